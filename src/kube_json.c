/* kube_json.c - yajl callbacks as a small state machine: a path of keys
 * ("spec.ports[].name") is kept as the parser descends; values whose path
 * matters are copied into a builder, which becomes a typed kube_object when
 * its map closes. Input may arrive in chunks split at any byte. */
#include "kube_json.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "kube_object.h"

#define PATH_MAX_LEN 512
#define MAX_DEPTH 64
#define MAX_ITEMS_PER_LIST 100000000

/* Whether the n bytes at f are lit, or start with it: the length first,
   so that most fields of an object, which match nothing, cost no call. */
#define IS(f, n, lit) ((n) == sizeof(lit) - 1 && memcmp((f), lit, sizeof(lit) - 1) == 0)
#define PREFIX(f, n, lit) ((n) >= sizeof(lit) - 1 && memcmp((f), lit, sizeof(lit) - 1) == 0)

/* A growable array of pointers or small structs, grown by doubling. */
struct vec {
	void *items;
	size_t n, cap;
};

struct raw_port { /* targetPort and nodePort: no name or variable uses them */
	char *name, *protocol;
	long port;
};

struct raw_addr { /* EndpointSlice endpoint or Endpoints address */
	struct vec ips; /* char * */
	char *hostname, *target_name, *zone;
	char *for_zones; /* hints.forZones[].name joined by ',' */
	int ready;      /* -1 absent, 0 false, 1 true */
};

struct raw_subset {
	struct vec ready;     /* struct raw_addr */
	struct vec not_ready; /* struct raw_addr */
	struct vec ports;     /* struct raw_port */
};

/* Everything any kept kind may need, collected whatever the key order. */
struct builder {
	char *kind, *name, *ns, *rv, *cont;
	char *svc_type, *cluster_ip, *external_name, *service_label, *address_type;
	char *import_label, *cluster_label; /* the Multi-Cluster Services labels */
	char *pod_ip, *hostname, *subdomain, *phase, *message, *node_name;
	bool host_network;
	bool publish_not_ready, tolerate_unready, has_items;
	bool initial_events_end; /* a BOOKMARK that ends a WatchList's initial events */
	long code; /* Status code of an ERROR event */
	struct vec cluster_ips; /* char * */
	struct vec pod_ips;     /* char * */
	struct vec ports;       /* struct raw_port (service spec.ports or slice ports) */
	struct vec endpoints;   /* struct raw_addr (slice) */
	struct vec subsets;     /* struct raw_subset (Endpoints) */
	char *labels;           /* metadata.labels, "key\0value\0" pairs */
	size_t labels_len, labels_cap;
	const char *bad;        /* first reason the object is malformed */
};

struct kube_json {
	enum kube_json_mode mode;
	kube_json_cb cb;
	void *ctx;
	yajl_handle yajl;
	bool failed;
	int default_kind;
	unsigned long line; /* newlines fed so far, for error messages */
	size_t pending_bytes; /* watch: non-blank bytes since the last event */

	char path[PATH_MAX_LEN + 1];
	size_t path_len;
	int depth;
	struct {
		bool is_map;
		size_t base_len;
	} frames[MAX_DEPTH];
	bool path_truncated;

	struct builder top;  /* the document or watch event itself */
	struct builder item; /* the object being read (item or event object) */
	int item_depth;      /* depth of the item's map; 0 when none open */
	size_t item_root;    /* path offset where item-relative paths start */
	char *event_type;    /* watch: "ADDED", ... */
	struct vec pending;  /* document: struct builder * without a kind */
	char *list_rv, *list_continue;
	char *last_rv;   /* watch: last event's resourceVersion */
	int last_code;   /* watch: last ERROR event's Status code */
};

static int on_null(void *ctx);
static int on_bool(void *ctx, int value);
static int on_number(void *ctx, const char *s, size_t len);
static int on_string(void *ctx, const unsigned char *s, size_t len);
static int on_start_map(void *ctx);
static int on_map_key(void *ctx, const unsigned char *s, size_t len);
static int on_end_map(void *ctx);
static int on_start_array(void *ctx);
static int on_end_array(void *ctx);

static const yajl_callbacks callbacks = {
	on_null, on_bool, NULL, NULL, on_number, on_string,
	on_start_map, on_map_key, on_end_map, on_start_array, on_end_array,
};

static void *vec_push(struct vec *v, size_t size);
static void builder_clear(struct builder *b);
static void builder_value(struct builder *b, const char *path, size_t n, const char *s,
                          size_t len, char type);
static void builder_element(struct builder *b, const char *path, size_t n);
static struct kube_object *builder_finish(struct builder *b, int kind,
                                          const char **why);
static void deliver(struct kube_json *p, enum kube_json_event ev,
                    struct builder *b, int kind);
static int field(struct kube_json *p, const char *s, size_t len, char type);
static void format_error(struct kube_json *p, const unsigned char *buf,
                         size_t len, char *err, size_t errlen);

struct kube_json *kube_json_new(enum kube_json_mode mode, kube_json_cb cb, void *ctx)
{
	struct kube_json *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->mode = mode;
	p->cb = cb;
	p->ctx = ctx;
	p->default_kind = KUBE_KIND_UNKNOWN;
	p->line = 1;
	p->yajl = yajl_alloc(&callbacks, NULL, p);
	if (!p->yajl) {
		free(p);
		return NULL;
	}
	if (mode == KUBE_JSON_WATCH)
		yajl_config(p->yajl, yajl_allow_multiple_values, 1);
	return p;
}

void kube_json_free(struct kube_json *p)
{
	size_t i;

	if (!p)
		return;
	yajl_free(p->yajl);
	builder_clear(&p->top);
	builder_clear(&p->item);
	for (i = 0; i < p->pending.n; i++) {
		struct builder *b = ((struct builder **)p->pending.items)[i];
		builder_clear(b);
		free(b);
	}
	free(p->pending.items);
	free(p->event_type);
	free(p->list_rv);
	free(p->list_continue);
	free(p->last_rv);
	free(p);
}

void kube_json_set_default_kind(struct kube_json *p, int kind)
{
	p->default_kind = kind;
}

/* Newlines in buf, sixteen bytes a step (the compiler's vector types,
   SSE2 on x86-64): kubectl output has a line per field, and a memchr
   call per line was a tenth of parsing a big list, the word-at-a-time
   count still 3% of a start. Each byte of counts counts one lane's
   newlines over at most 255 steps before it is added up. */
typedef uint8_t lanes16 __attribute__((vector_size(16)));

static unsigned long count_newlines(const unsigned char *buf, size_t len)
{
	const lanes16 nl = {'\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n',
	                    '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n'};
	unsigned long n = 0;
	size_t i = 0, lane;

	while (i + 16 <= len) {
		lanes16 counts = {0};
		size_t steps;

		for (steps = 0; steps < 255 && i + 16 <= len; steps++, i += 16) {
			lanes16 v;
			memcpy(&v, buf + i, 16);
			counts -= (lanes16)(v == nl); /* a match is all ones: -1 */
		}
		for (lane = 0; lane < 16; lane++)
			n += counts[lane];
	}
	for (; i < len; i++)
		n += buf[i] == '\n';
	return n;
}

int kube_json_feed(struct kube_json *p, const char *buf, size_t len, char *err,
                   size_t errlen)
{
	const unsigned char *u = (const unsigned char *)buf;
	size_t i;

	if (p->failed) {
		snprintf(err, errlen, "line %lu: input after a syntax error", p->line);
		return -1;
	}
	if (yajl_parse(p->yajl, u, len) != yajl_status_ok) {
		format_error(p, u, len, err, errlen);
		p->failed = true;
		return -1;
	}
	p->line += count_newlines(u, len);
	if (p->mode == KUBE_JSON_WATCH) {
		for (i = 0; i < len && !p->pending_bytes; i++)
			if (u[i] != ' ' && u[i] != '\t' && u[i] != '\r' && u[i] != '\n')
				p->pending_bytes++;
		if (p->depth == 0 && !p->event_type)
			p->pending_bytes = 0; /* every event so far is complete */
	}
	return 0;
}

/* The kind the document's own "kind" gives its items (ServiceList ->
   Service), or KUBE_KIND_UNKNOWN while none has been read. */
static int list_kind(const struct kube_json *p)
{
	return p->top.kind ? (int)kube_kind_from_string(p->top.kind, true)
	                   : KUBE_KIND_UNKNOWN;
}

int kube_json_finish(struct kube_json *p, char *err, size_t errlen)
{
	size_t i;
	int kind;

	if (p->failed) {
		snprintf(err, errlen, "line %lu: input after a syntax error", p->line);
		return -1;
	}
	/* A watch stream may end between events, or before the first one. */
	if (p->mode == KUBE_JSON_WATCH && p->pending_bytes == 0)
		return 0;
	if (yajl_complete_parse(p->yajl) != yajl_status_ok) {
		format_error(p, NULL, 0, err, errlen);
		p->failed = true;
		return -1;
	}
	if (p->mode != KUBE_JSON_DOCUMENT)
		return 0;
	/* Items without a kind take it from the list (ServiceList -> Service). */
	kind = list_kind(p);
	if (kind == KUBE_KIND_UNKNOWN)
		kind = p->default_kind;
	for (i = 0; i < p->pending.n; i++) {
		struct builder *b = ((struct builder **)p->pending.items)[i];
		if (kind != KUBE_KIND_UNKNOWN)
			deliver(p, KUBE_EV_OBJECT, b, kind);
		builder_clear(b);
		free(b);
	}
	p->pending.n = 0;
	return 0;
}

const char *kube_json_list_version(const struct kube_json *p)
{
	return p->list_rv;
}

const char *kube_json_list_continue(const struct kube_json *p)
{
	return p->list_continue;
}

const char *kube_json_last_version(const struct kube_json *p)
{
	return p->last_rv;
}

int kube_json_last_error_code(const struct kube_json *p)
{
	return p->last_code;
}

int kube_json_parse_document(const char *buf, size_t len, kube_json_cb cb,
                             void *ctx, char *err, size_t errlen)
{
	struct kube_json *p = kube_json_new(KUBE_JSON_DOCUMENT, cb, ctx);
	int rc;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = kube_json_feed(p, buf, len, err, errlen);
	if (rc == 0)
		rc = kube_json_finish(p, err, errlen);
	kube_json_free(p);
	return rc;
}

/* ---- yajl callbacks ---------------------------------------------------- */

static void path_set_key(struct kube_json *p, const char *key, size_t len)
{
	size_t base = p->frames[p->depth - 1].base_len;
	size_t need = base + (base ? 1 : 0) + len;

	p->path_len = base;
	if (need > PATH_MAX_LEN) {
		/* Such a path matches nothing we keep; remember it is cut. */
		p->path_truncated = true;
		p->path[p->path_len] = '\0';
		return;
	}
	p->path_truncated = false;
	if (base)
		p->path[p->path_len++] = '.';
	memcpy(p->path + p->path_len, key, len);
	p->path_len += len;
	p->path[p->path_len] = '\0';
}

static int push_frame(struct kube_json *p, bool is_map)
{
	if (p->depth >= MAX_DEPTH)
		return 0; /* absurd nesting: stop parsing with an error */
	p->frames[p->depth].is_map = is_map;
	p->frames[p->depth].base_len = p->path_len;
	p->depth++;
	if (!is_map && p->path_len + 2 <= PATH_MAX_LEN) {
		memcpy(p->path + p->path_len, "[]", 3);
		p->path_len += 2;
		p->frames[p->depth - 1].base_len = p->path_len;
	}
	return 1;
}

static void pop_frame(struct kube_json *p)
{
	p->depth--;
	p->path_len = p->frames[p->depth].base_len;
	if (!p->frames[p->depth].is_map && p->path_len >= 2)
		p->path_len -= 2;
	p->path[p->path_len] = '\0';
}

/* The builder and item-relative path (*rel, *rel_len bytes) a value at
   the current path goes to. */
static struct builder *target(struct kube_json *p, const char **rel, size_t *rel_len)
{
	if (p->item_depth && p->depth >= p->item_depth && p->item_root <= p->path_len) {
		*rel = p->path + p->item_root;
		*rel_len = p->path_len - p->item_root;
		return &p->item;
	}
	*rel = p->path;
	*rel_len = p->path_len;
	return &p->top;
}

static int field(struct kube_json *p, const char *s, size_t len, char type)
{
	const char *rel;
	size_t rel_len;
	struct builder *b;

	if (p->path_truncated || p->depth == 0)
		return 1;
	b = target(p, &rel, &rel_len);
	if (b == &p->top && p->depth == 1 && p->mode == KUBE_JSON_WATCH &&
	    IS(rel, rel_len, "type") && type == 's') {
		free(p->event_type);
		p->event_type = strndup(s, len);
		return p->event_type != NULL;
	}
	builder_value(b, rel, rel_len, s, len, type);
	return 1;
}

static int on_null(void *ctx)
{
	return field(ctx, "", 0, 'n');
}

static int on_bool(void *ctx, int value)
{
	return field(ctx, value ? "true" : "false", value ? 4 : 5, 'b');
}

static int on_number(void *ctx, const char *s, size_t len)
{
	return field(ctx, s, len, '#');
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	return field(ctx, (const char *)s, len, 's');
}

static int on_start_map(void *ctx)
{
	struct kube_json *p = ctx;
	bool starts_item = false;

	if (!p->path_truncated && !p->item_depth) {
		if (p->mode == KUBE_JSON_DOCUMENT)
			starts_item = p->depth == 2 && IS(p->path, p->path_len, "items[]");
		else
			starts_item = p->depth == 1 && IS(p->path, p->path_len, "object");
	}
	if (!p->path_truncated && p->depth > 0 && !starts_item) {
		const char *rel;
		size_t rel_len;
		struct builder *b = target(p, &rel, &rel_len);
		builder_element(b, rel, rel_len);
	}
	if (!push_frame(p, true))
		return 0;
	if (starts_item) {
		if (p->mode == KUBE_JSON_DOCUMENT) {
			p->top.has_items = true;
			if (p->pending.n >= MAX_ITEMS_PER_LIST)
				return 0;
		}
		builder_clear(&p->item);
		p->item_depth = p->depth;
		p->item_root = p->path_len;
	}
	return 1;
}

static int on_map_key(void *ctx, const unsigned char *s, size_t len)
{
	struct kube_json *p = ctx;

	path_set_key(p, (const char *)s, len);
	if (p->item_depth && p->depth == p->item_depth)
		p->item_root = p->frames[p->depth - 1].base_len +
		               (p->frames[p->depth - 1].base_len ? 1 : 0);
	return 1;
}

static void finish_item(struct kube_json *p)
{
	if (p->mode == KUBE_JSON_WATCH) {
		/* Delivered with the event when the top-level map closes. */
		return;
	}
	if (p->item.kind) {
		int kind = kube_kind_from_string(p->item.kind, false);
		if (kind != KUBE_KIND_UNKNOWN)
			deliver(p, KUBE_EV_OBJECT, &p->item, kind);
		builder_clear(&p->item);
		return;
	}
	/* A kind-less item takes the list's kind. Known already (an API
	   server writes "kind" before "items"): deliver now, as the item
	   ends. Only a list that names its kind after its items makes the
	   items wait, whole, until the document ends. */
	if (list_kind(p) != KUBE_KIND_UNKNOWN) {
		deliver(p, KUBE_EV_OBJECT, &p->item, list_kind(p));
		builder_clear(&p->item);
		return;
	}
	{
		struct builder **slot = vec_push(&p->pending, sizeof(*slot));
		struct builder *copy = malloc(sizeof(*copy));

		if (!slot || !copy) {
			free(copy);
			if (slot)
				p->pending.n--;
			builder_clear(&p->item);
			return;
		}
		*copy = p->item;
		memset(&p->item, 0, sizeof(p->item));
		*slot = copy;
	}
}

static void finish_event(struct kube_json *p)
{
	static const struct {
		const char *name;
		enum kube_json_event ev;
	} types[] = {
		{"ADDED", KUBE_EV_ADDED},       {"MODIFIED", KUBE_EV_MODIFIED},
		{"DELETED", KUBE_EV_DELETED},   {"BOOKMARK", KUBE_EV_BOOKMARK},
		{"ERROR", KUBE_EV_ERROR},
	};
	size_t i;
	int kind;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (p->event_type && strcmp(p->event_type, types[i].name) == 0)
			break;
	if (p->item.rv) {
		char *copy = strdup(p->item.rv);
		if (copy) {
			free(p->last_rv);
			p->last_rv = copy;
		}
	}
	p->last_code = (int)p->item.code;
	if (i == sizeof(types) / sizeof(types[0])) {
		p->cb(p->ctx, KUBE_EV_ERROR, NULL, "watch event without a known type");
	} else if (types[i].ev == KUBE_EV_ERROR) {
		p->cb(p->ctx, KUBE_EV_ERROR, NULL,
		      p->item.message ? p->item.message : "watch ERROR event");
	} else if (types[i].ev == KUBE_EV_BOOKMARK) {
		struct kube_object *obj = calloc(1, sizeof(*obj));
		if (obj && p->item.rv) {
			obj->resource_version = p->item.rv;
			p->item.rv = NULL;
			p->cb(p->ctx,
			      p->item.initial_events_end ? KUBE_EV_INITIAL_EVENTS_END
			                                 : KUBE_EV_BOOKMARK,
			      obj, NULL);
		} else {
			free(obj);
			p->cb(p->ctx, KUBE_EV_ERROR, NULL, "BOOKMARK without resourceVersion");
		}
	} else {
		/* The default is for objects without a kind; an unknown kind
		   (ConfigMap...) stays unknown and is ignored. */
		kind = p->item.kind ? (int)kube_kind_from_string(p->item.kind, false)
		                    : p->default_kind;
		deliver(p, types[i].ev, &p->item, kind);
	}
	builder_clear(&p->item);
	builder_clear(&p->top);
	free(p->event_type);
	p->event_type = NULL;
}

static int on_end_map(void *ctx)
{
	struct kube_json *p = ctx;
	bool closes_item = p->item_depth && p->depth == p->item_depth;

	pop_frame(p);
	if (closes_item) {
		p->item_depth = 0;
		finish_item(p);
	}
	if (p->depth == 0) {
		if (p->mode == KUBE_JSON_WATCH) {
			finish_event(p);
		} else {
			/* A document that is one object rather than a list. */
			free(p->list_rv);
			free(p->list_continue);
			p->list_rv = p->top.rv ? strdup(p->top.rv) : NULL;
			p->list_continue = p->top.cont ? strdup(p->top.cont) : NULL;
			if (!p->top.has_items && p->top.kind &&
			    !kube_kind_from_string(p->top.kind, true)) {
				int kind = kube_kind_from_string(p->top.kind, false);
				if (kind != KUBE_KIND_UNKNOWN)
					deliver(p, KUBE_EV_OBJECT, &p->top, kind);
			}
		}
	}
	return 1;
}

static int on_start_array(void *ctx)
{
	struct kube_json *p = ctx;

	return push_frame(p, false);
}

static int on_end_array(void *ctx)
{
	pop_frame(ctx);
	return 1;
}

/* ---- builder ----------------------------------------------------------- */

static void *vec_push(struct vec *v, size_t size)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 4;
		void *grown = realloc(v->items, cap * size);
		if (!grown)
			return NULL;
		v->items = grown;
		v->cap = cap;
	}
	memset((char *)v->items + v->n * size, 0, size);
	return (char *)v->items + v->n++ * size;
}

static void free_strings(struct vec *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		free(((char **)v->items)[i]);
	free(v->items);
	memset(v, 0, sizeof(*v));
}

static void free_raw_ports(struct vec *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		struct raw_port *rp = &((struct raw_port *)v->items)[i];
		free(rp->name);
		free(rp->protocol);
	}
	free(v->items);
	memset(v, 0, sizeof(*v));
}

static void free_raw_addrs(struct vec *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		struct raw_addr *a = &((struct raw_addr *)v->items)[i];
		free_strings(&a->ips);
		free(a->hostname);
		free(a->target_name);
		free(a->zone);
		free(a->for_zones);
	}
	free(v->items);
	memset(v, 0, sizeof(*v));
}

static void builder_clear(struct builder *b)
{
	size_t i;
	char **strs[] = {&b->kind, &b->name, &b->ns, &b->rv, &b->cont,
	                 &b->svc_type, &b->cluster_ip, &b->external_name,
	                 &b->service_label, &b->address_type, &b->pod_ip,
	                 &b->hostname, &b->subdomain, &b->phase, &b->message,
	                 &b->node_name, &b->import_label, &b->cluster_label};

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	free_strings(&b->cluster_ips);
	free_strings(&b->pod_ips);
	free_raw_ports(&b->ports);
	free_raw_addrs(&b->endpoints);
	for (i = 0; i < b->subsets.n; i++) {
		struct raw_subset *s = &((struct raw_subset *)b->subsets.items)[i];
		free_raw_addrs(&s->ready);
		free_raw_addrs(&s->not_ready);
		free_raw_ports(&s->ports);
	}
	free(b->subsets.items);
	free(b->labels);
	memset(b, 0, sizeof(*b));
}

static void set_string(struct builder *b, char **dst, const char *s, size_t len,
                       char type)
{
	if (type == 'n')
		return;
	if (type != 's') {
		b->bad = b->bad ? b->bad : "a string field holds another type";
		return;
	}
	free(*dst);
	*dst = strndup(s, len);
	if (!*dst)
		b->bad = "out of memory";
}

static void push_string(struct builder *b, struct vec *v, const char *s,
                        size_t len, char type)
{
	char **slot;

	if (type != 's') {
		b->bad = b->bad ? b->bad : "a list of strings holds another type";
		return;
	}
	slot = vec_push(v, sizeof(char *));
	if (!slot || !(*slot = strndup(s, len)))
		b->bad = "out of memory";
}

static void set_number(struct builder *b, long *dst, const char *s, size_t len,
                       char type)
{
	char buf[32], *end;
	long v;

	if (type == 'n')
		return;
	if (type != '#' || len >= sizeof(buf)) {
		b->bad = b->bad ? b->bad : "a number field holds another type";
		return;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || *end) {
		b->bad = b->bad ? b->bad : "a number field is not an integer";
		return;
	}
	*dst = v;
}

static void append_zone(struct builder *b, char **list, const char *s, size_t len);

static void *last(struct vec *v, size_t size)
{
	return v->n ? (char *)v->items + (v->n - 1) * size : NULL;
}

static void port_value(struct builder *b, struct raw_port *rp, const char *f, size_t n,
                       const char *s, size_t len, char type)
{
	if (!rp)
		return;
	switch (f[0]) {
	case 'n':
		if (IS(f, n, "name"))
			set_string(b, &rp->name, s, len, type);
		break;
	case 'p':
		if (IS(f, n, "port"))
			set_number(b, &rp->port, s, len, type);
		else if (IS(f, n, "protocol"))
			set_string(b, &rp->protocol, s, len, type);
		break;
	default:
		break;
	}
}

static void addr_value(struct builder *b, struct raw_addr *a, const char *f, size_t n,
                       const char *s, size_t len, char type)
{
	if (!a)
		return;
	switch (f[0]) {
	case 'a':
	case 'i':
		if (IS(f, n, "addresses[]") || IS(f, n, "ip"))
			push_string(b, &a->ips, s, len, type);
		break;
	case 'h':
		if (IS(f, n, "hostname"))
			set_string(b, &a->hostname, s, len, type);
		else if (IS(f, n, "hints.forZones[].name") && type == 's')
			append_zone(b, &a->for_zones, s, len);
		break;
	case 't':
		if (IS(f, n, "targetRef.name"))
			set_string(b, &a->target_name, s, len, type);
		break;
	case 'c':
		if (IS(f, n, "conditions.ready") && type == 'b')
			a->ready = s[0] == 't';
		break;
	case 'z':
		if (IS(f, n, "zone"))
			set_string(b, &a->zone, s, len, type);
		break;
	default:
		break;
	}
}

/* One more name of hints.forZones, after a ',' (no zone name holds one:
   label values are alphanumerics, '-', '_' and '.'). */
static void append_zone(struct builder *b, char **list, const char *s, size_t len)
{
	size_t have = *list ? strlen(*list) : 0;
	char *p;

	if (len == 0 || memchr(s, ',', len) || memchr(s, '\0', len))
		return;
	if (have + len + 2 > 4096) {
		b->bad = "hints.forZones too long";
		return;
	}
	if (!(p = realloc(*list, have + len + 2))) {
		b->bad = "out of memory";
		return;
	}
	if (have)
		p[have++] = ',';
	memcpy(p + have, s, len);
	p[have + len] = '\0';
	*list = p;
}

/* Appends one of metadata.labels as "key\0value\0" (a label selector's
   input; JSON strings with a NUL in them match no selector as meant). */
static void add_label(struct builder *b, const char *key, size_t klen, const char *value,
                      size_t vlen)
{
	size_t need = b->labels_len + klen + vlen + 2;

	if (need > UINT32_MAX) {
		b->bad = "metadata.labels too large";
		return;
	}
	if (need > b->labels_cap) {
		size_t cap = b->labels_cap ? b->labels_cap * 2 : 256;
		char *p;

		while (cap < need)
			cap *= 2;
		p = realloc(b->labels, cap);
		if (!p) {
			b->bad = "out of memory";
			return;
		}
		b->labels = p;
		b->labels_cap = cap;
	}
	memcpy(b->labels + b->labels_len, key, klen);
	b->labels[b->labels_len + klen] = '\0';
	memcpy(b->labels + b->labels_len + klen + 1, value, vlen);
	b->labels[b->labels_len + klen + 1 + vlen] = '\0';
	b->labels_len = need;
}

static void metadata_value(struct builder *b, const char *f, size_t n, const char *s,
                           size_t len, char type)
{
	switch (f[0]) {
	case 'n':
		if (IS(f, n, "name"))
			set_string(b, &b->name, s, len, type);
		else if (IS(f, n, "namespace"))
			set_string(b, &b->ns, s, len, type);
		break;
	case 'r':
		if (IS(f, n, "resourceVersion"))
			set_string(b, &b->rv, s, len, type);
		break;
	case 'c':
		if (IS(f, n, "continue"))
			set_string(b, &b->cont, s, len, type);
		break;
	case 'l':
		if (IS(f, n, "labels.kubernetes.io/service-name"))
			set_string(b, &b->service_label, s, len, type);
		else if (IS(f, n, "labels.multicluster.kubernetes.io/service-name"))
			set_string(b, &b->import_label, s, len, type);
		else if (IS(f, n, "labels.multicluster.kubernetes.io/source-cluster"))
			set_string(b, &b->cluster_label, s, len, type);
		if (n > 7 && memcmp(f, "labels.", 7) == 0 && type == 's')
			add_label(b, f + 7, n - 7, s, len);
		break;
	case 'a':
		if (IS(f, n, "annotations.service.alpha.kubernetes.io/"
		              "tolerate-unready-endpoints"))
			b->tolerate_unready =
				type == 's' && len == 4 && memcmp(s, "true", 4) == 0;
		else if (IS(f, n, "annotations.k8s.io/initial-events-end"))
			b->initial_events_end =
				type == 's' && len == 4 && memcmp(s, "true", 4) == 0;
		break;
	default:
		break;
	}
}

static void spec_value(struct builder *b, const char *f, size_t n, const char *s, size_t len,
                       char type)
{
	switch (f[0]) {
	case 't':
		if (IS(f, n, "type"))
			set_string(b, &b->svc_type, s, len, type);
		break;
	case 'c':
		if (IS(f, n, "clusterIP"))
			set_string(b, &b->cluster_ip, s, len, type);
		else if (IS(f, n, "clusterIPs[]"))
			push_string(b, &b->cluster_ips, s, len, type);
		break;
	case 'i':
		if (IS(f, n, "ips[]")) /* a ServiceImport's */
			push_string(b, &b->cluster_ips, s, len, type);
		break;
	case 'e':
		if (IS(f, n, "externalName"))
			set_string(b, &b->external_name, s, len, type);
		break;
	case 'p':
		if (PREFIX(f, n, "ports[]."))
			port_value(b, last(&b->ports, sizeof(struct raw_port)), f + 8, n - 8, s, len,
			           type);
		else if (IS(f, n, "publishNotReadyAddresses"))
			b->publish_not_ready = type == 'b' && s[0] == 't';
		break;
	case 'h':
		if (IS(f, n, "hostname"))
			set_string(b, &b->hostname, s, len, type);
		else if (IS(f, n, "hostNetwork"))
			b->host_network = type == 'b' && s[0] == 't';
		break;
	case 'n':
		if (IS(f, n, "nodeName"))
			set_string(b, &b->node_name, s, len, type);
		break;
	case 's':
		if (IS(f, n, "subdomain"))
			set_string(b, &b->subdomain, s, len, type);
		break;
	default:
		break;
	}
}

static void subset_value(struct builder *b, const char *f, size_t n, const char *s,
                         size_t len, char type)
{
	struct raw_subset *sub = last(&b->subsets, sizeof(struct raw_subset));

	if (!sub)
		return;
	if (PREFIX(f, n, "addresses[]."))
		addr_value(b, last(&sub->ready, sizeof(struct raw_addr)), f + 12, n - 12, s, len,
		           type);
	else if (PREFIX(f, n, "notReadyAddresses[]."))
		addr_value(b, last(&sub->not_ready, sizeof(struct raw_addr)), f + 20, n - 20, s, len,
		           type);
	else if (PREFIX(f, n, "ports[]."))
		port_value(b, last(&sub->ports, sizeof(struct raw_port)), f + 8, n - 8, s, len,
		           type);
}

/* A scalar at path (relative to the object). Most values of a kubectl
   object are fields nobody reads (uid, timestamps, labels, selectors...):
   the first letters rule out most comparisons before any is made. */
static void builder_value(struct builder *b, const char *path, size_t n, const char *s,
                          size_t len, char type)
{
	switch (path[0]) {
	case 'k':
		if (IS(path, n, "kind"))
			set_string(b, &b->kind, s, len, type);
		break;
	case 'm':
		if (PREFIX(path, n, "metadata."))
			metadata_value(b, path + 9, n - 9, s, len, type);
		else if (IS(path, n, "message"))
			set_string(b, &b->message, s, len, type);
		break;
	case 'c':
		if (IS(path, n, "code"))
			set_number(b, &b->code, s, len, type);
		break;
	case 's':
		if (PREFIX(path, n, "spec."))
			spec_value(b, path + 5, n - 5, s, len, type);
		else if (PREFIX(path, n, "subsets[]."))
			subset_value(b, path + 10, n - 10, s, len, type);
		else if (IS(path, n, "status.podIP"))
			set_string(b, &b->pod_ip, s, len, type);
		else if (IS(path, n, "status.podIPs[].ip"))
			push_string(b, &b->pod_ips, s, len, type);
		else if (IS(path, n, "status.phase"))
			set_string(b, &b->phase, s, len, type);
		break;
	case 'a':
		if (IS(path, n, "addressType"))
			set_string(b, &b->address_type, s, len, type);
		break;
	case 'e':
		if (PREFIX(path, n, "endpoints[]."))
			addr_value(b, last(&b->endpoints, sizeof(struct raw_addr)), path + 12,
			           n - 12, s, len, type);
		break;
	case 'p':
		if (PREFIX(path, n, "ports[]."))
			port_value(b, last(&b->ports, sizeof(struct raw_port)), path + 8,
			           n - 8, s, len, type);
		break;
	default:
		break;
	}
}

/* A map starts at path: open a new element where the path is a list we keep. */
static void builder_element(struct builder *b, const char *path, size_t n)
{
	void *added = (void *)1;

	/* Most maps (metadata, labels, selector, status...) are none of these. */
	if (path[0] != 's' && path[0] != 'p' && path[0] != 'e')
		return;
	if (IS(path, n, "spec.ports[]") || IS(path, n, "ports[]"))
		added = vec_push(&b->ports, sizeof(struct raw_port));
	else if (IS(path, n, "endpoints[]")) {
		struct raw_addr *a = vec_push(&b->endpoints, sizeof(struct raw_addr));
		if (a)
			a->ready = -1;
		added = a;
	} else if (IS(path, n, "subsets[]"))
		added = vec_push(&b->subsets, sizeof(struct raw_subset));
	else if (PREFIX(path, n, "subsets[].") && b->subsets.n) {
		struct raw_subset *sub = last(&b->subsets, sizeof(struct raw_subset));
		struct raw_addr *a = NULL;
		if (IS(path + 10, n - 10, "addresses[]"))
			added = a = vec_push(&sub->ready, sizeof(struct raw_addr));
		else if (IS(path + 10, n - 10, "notReadyAddresses[]"))
			added = a = vec_push(&sub->not_ready, sizeof(struct raw_addr));
		else if (IS(path + 10, n - 10, "ports[]"))
			added = vec_push(&sub->ports, sizeof(struct raw_port));
		if (a)
			a->ready = -1; /* readiness comes from the list it is in */
	}
	if (!added)
		b->bad = "out of memory";
}

/* ---- validation and conversion ----------------------------------------- */

static bool valid_label(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 63)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		      (c >= 'A' && c <= 'Z') || c == '_'))
			return false;
	}
	return true;
}

static char *take(char **s)
{
	char *v = *s;

	*s = NULL;
	return v;
}

static int convert_ports(struct vec *raw, struct kube_port **out, uint32_t *n,
                         const char **why)
{
	size_t i;

	*out = NULL;
	*n = 0;
	if (!raw->n)
		return 0;
	*out = calloc(raw->n, sizeof(**out));
	if (!*out) {
		*why = "out of memory";
		return -1;
	}
	for (i = 0; i < raw->n; i++) {
		struct raw_port *rp = &((struct raw_port *)raw->items)[i];
		struct kube_port *kp = &(*out)[i];

		(*n)++;
		kp->name = rp->name ? take(&rp->name) : strdup("");
		if (!kp->name) {
			*why = "out of memory";
			return -1;
		}
		if (rp->port < 1 || rp->port > 65535) {
			*why = "port out of range 1-65535";
			return -1;
		}
		if (kp->name[0] && !valid_label(kp->name)) {
			*why = "port name is not a DNS label";
			return -1;
		}
		kp->port = (uint16_t)rp->port;
		if (!rp->protocol || strcmp(rp->protocol, "TCP") == 0)
			kp->proto = KUBE_PROTO_TCP;
		else if (strcmp(rp->protocol, "UDP") == 0)
			kp->proto = KUBE_PROTO_UDP;
		else if (strcmp(rp->protocol, "SCTP") == 0)
			kp->proto = KUBE_PROTO_SCTP;
		else {
			*why = "unknown port protocol";
			return -1;
		}
	}
	return 0;
}

static int convert_ips(struct vec *raw, struct kube_ip **out, uint16_t *n,
                       const char **why)
{
	size_t i;

	*out = NULL;
	*n = 0;
	if (!raw->n)
		return 0;
	if (raw->n > KUBE_IPS_MAX) {
		*why = "more than 65535 addresses in one list";
		return -1;
	}
	*out = calloc(raw->n, sizeof(**out));
	if (!*out) {
		*why = "out of memory";
		return -1;
	}
	for (i = 0; i < raw->n; i++) {
		if (kube_ip_parse(((char **)raw->items)[i], &(*out)[i]) < 0) {
			*why = "an IP address does not parse";
			return -1;
		}
	}
	*n = (uint16_t)raw->n;
	return 0;
}

static int convert_addrs(struct vec *raw, int ready_default,
                         struct kube_endpoint *eps, size_t *n, const char **why)
{
	size_t i;

	for (i = 0; i < raw->n; i++) {
		struct raw_addr *a = &((struct raw_addr *)raw->items)[i];
		struct kube_endpoint *ep = &eps[(*n)++];

		if (convert_ips(&a->ips, &ep->addrs, &ep->n_addrs, why) < 0)
			return -1;
		if (a->hostname && valid_label(a->hostname))
			ep->hostname = take(&a->hostname);
		ep->target_name = take(&a->target_name);
		ep->zone = take(&a->zone);
		ep->for_zones = take(&a->for_zones);
		ep->ready = a->ready < 0 ? ready_default : a->ready;
	}
	return 0;
}

static int convert_service(struct builder *b, struct kube_service *svc,
                           const char **why)
{
	if (b->tolerate_unready || b->publish_not_ready)
		svc->publish_not_ready = true;
	svc->cluster_ip = b->cluster_ip ? take(&b->cluster_ip) : strdup("");
	if (!svc->cluster_ip) {
		*why = "out of memory";
		return -1;
	}
	if (b->svc_type && strcmp(b->svc_type, "ExternalName") == 0) {
		svc->type = KUBE_SVC_EXTERNAL_NAME;
		if (!b->external_name || !b->external_name[0]) {
			*why = "ExternalName service without spec.externalName";
			return -1;
		}
		svc->external_name = take(&b->external_name);
	} else if (strcmp(svc->cluster_ip, "None") == 0) {
		svc->type = KUBE_SVC_HEADLESS;
	} else {
		svc->type = KUBE_SVC_CLUSTER_IP;
		if (!b->cluster_ips.n && svc->cluster_ip[0]) {
			char **slot = vec_push(&b->cluster_ips, sizeof(char *));
			if (!slot || !(*slot = strdup(svc->cluster_ip))) {
				*why = "out of memory";
				return -1;
			}
		}
		if (convert_ips(&b->cluster_ips, &svc->cluster_ips, &svc->n_cluster_ips,
		                why) < 0)
			return -1;
	}
	return convert_ports(&b->ports, &svc->ports, &svc->n_ports, why);
}

static int convert_slice(struct builder *b, struct kube_endpointslice *sl,
                         const char **why)
{
	size_t n = 0;

	if (!b->service_label || !valid_label(b->service_label)) {
		/* A slice of no service serves no name; keep it harmless. */
		sl->service_name = strdup("");
	} else {
		sl->service_name = take(&b->service_label);
	}
	if (!sl->service_name) {
		*why = "out of memory";
		return -1;
	}
	/* Labels that do not make a DNS label name nothing. */
	if (b->import_label && valid_label(b->import_label))
		sl->import_name = take(&b->import_label);
	if (b->cluster_label && valid_label(b->cluster_label))
		sl->cluster_id = take(&b->cluster_label);
	/* FQDN slices name no addresses DNS can serve. */
	if (b->address_type && strcmp(b->address_type, "FQDN") == 0)
		return 0;
	if (b->endpoints.n) {
		sl->endpoints = calloc(b->endpoints.n, sizeof(*sl->endpoints));
		if (!sl->endpoints) {
			*why = "out of memory";
			return -1;
		}
		if (convert_addrs(&b->endpoints, 1, sl->endpoints, &n, why) < 0) {
			sl->n_endpoints = n;
			return -1;
		}
		sl->n_endpoints = n;
	}
	return convert_ports(&b->ports, &sl->ports, &sl->n_ports, why);
}

/* A ServiceImport (multicluster.x-k8s.io/v1alpha1): spec.type ClusterSetIP
   with the cluster set's addresses in spec.ips, or Headless. */
static int convert_service_import(struct builder *b, struct kube_service *svc,
                                  const char **why)
{
	if (b->svc_type && strcmp(b->svc_type, "Headless") == 0) {
		svc->type = KUBE_SVC_HEADLESS;
	} else if (b->svc_type && strcmp(b->svc_type, "ClusterSetIP") == 0) {
		svc->type = KUBE_SVC_CLUSTER_IP;
		if (convert_ips(&b->cluster_ips, &svc->cluster_ips, &svc->n_cluster_ips,
		                why) < 0)
			return -1;
	} else {
		*why = "spec.type is neither ClusterSetIP nor Headless";
		return -1;
	}
	return convert_ports(&b->ports, &svc->ports, &svc->n_ports, why);
}

/* Endpoints: one slice per subset, chained through next_subset. */
static int convert_endpoints(struct builder *b, struct kube_object *obj,
                             const char **why)
{
	size_t i;
	struct kube_object *cur = obj;

	for (i = 0; i < b->subsets.n || i == 0; i++) {
		struct raw_subset *sub =
			b->subsets.n ? &((struct raw_subset *)b->subsets.items)[i] : NULL;
		struct kube_endpointslice *sl;
		size_t total, n = 0;

		if (i > 0) {
			cur->next_subset = calloc(1, sizeof(*cur));
			if (!cur->next_subset) {
				*why = "out of memory";
				return -1;
			}
			cur = cur->next_subset;
			cur->kind = KUBE_KIND_ENDPOINTS;
			cur->ns = strdup(obj->ns);
			cur->name = strdup(obj->name);
			if (!cur->ns || !cur->name) {
				*why = "out of memory";
				return -1;
			}
		}
		sl = &cur->u.slice;
		sl->from_endpoints = true;
		sl->service_name = strdup(obj->name);
		if (!sl->service_name) {
			*why = "out of memory";
			return -1;
		}
		if (!sub)
			break;
		total = sub->ready.n + sub->not_ready.n;
		if (total) {
			sl->endpoints = calloc(total, sizeof(*sl->endpoints));
			if (!sl->endpoints) {
				*why = "out of memory";
				return -1;
			}
		}
		if (convert_addrs(&sub->ready, 1, sl->endpoints, &n, why) < 0 ||
		    convert_addrs(&sub->not_ready, 0, sl->endpoints, &n, why) < 0) {
			sl->n_endpoints = n;
			return -1;
		}
		/* notReadyAddresses are never ready, whatever their fields say. */
		sl->n_endpoints = n;
		if (convert_ports(&sub->ports, &sl->ports, &sl->n_ports, why) < 0)
			return -1;
	}
	return 0;
}

static int convert_pod(struct builder *b, struct kube_pod *pod, const char **why)
{
	if (!b->pod_ips.n && b->pod_ip && b->pod_ip[0]) {
		char **slot = vec_push(&b->pod_ips, sizeof(char *));
		if (!slot || !(*slot = strdup(b->pod_ip))) {
			*why = "out of memory";
			return -1;
		}
	}
	if (convert_ips(&b->pod_ips, &pod->ips, &pod->n_ips, why) < 0)
		return -1;
	pod->hostname = take(&b->hostname);
	pod->subdomain = take(&b->subdomain);
	pod->phase = take(&b->phase);
	pod->node_name = take(&b->node_name);
	pod->host_network = b->host_network;
	return 0;
}

static struct kube_object *builder_finish(struct builder *b, int kind,
                                          const char **why)
{
	struct kube_object *obj;
	int rc = 0;

	if (b->bad) {
		*why = b->bad;
		return NULL;
	}
	if (!b->name || !valid_label(b->name) || strchr(b->name, '_')) {
		/* EndpointSlice and Pod names may be longer than a label. */
		if (!(b->name && b->name[0] && strlen(b->name) <= 253 &&
		      (kind == KUBE_KIND_ENDPOINTSLICE || kind == KUBE_KIND_POD ||
		       kind == KUBE_KIND_NODE))) {
			*why = b->name ? "metadata.name is not a valid name"
			               : "object without metadata.name";
			return NULL;
		}
	}
	if (kind != KUBE_KIND_NAMESPACE && kind != KUBE_KIND_NODE &&
	    (!b->ns || !valid_label(b->ns) || strchr(b->ns, '_'))) {
		*why = b->ns ? "metadata.namespace is not a valid name"
		             : "object without metadata.namespace";
		return NULL;
	}
	obj = calloc(1, sizeof(*obj));
	if (!obj) {
		*why = "out of memory";
		return NULL;
	}
	obj->kind = (uint8_t)kind;
	obj->name = take(&b->name);
	obj->ns = kind == KUBE_KIND_NAMESPACE || kind == KUBE_KIND_NODE ? strdup("") : take(&b->ns);
	obj->resource_version = take(&b->rv);
	if (b->labels_len) {
		obj->labels = b->labels;
		obj->labels_len = (uint32_t)b->labels_len;
		b->labels = NULL;
		b->labels_len = b->labels_cap = 0;
	}
	if (!obj->ns) {
		*why = "out of memory";
		kube_object_free(obj);
		return NULL;
	}
	switch (kind) {
	case KUBE_KIND_SERVICE:
		rc = convert_service(b, &obj->u.svc, why);
		break;
	case KUBE_KIND_ENDPOINTSLICE:
		rc = convert_slice(b, &obj->u.slice, why);
		break;
	case KUBE_KIND_ENDPOINTS:
		rc = convert_endpoints(b, obj, why);
		break;
	case KUBE_KIND_SERVICEIMPORT:
		rc = convert_service_import(b, &obj->u.svc, why);
		break;
	case KUBE_KIND_POD:
		rc = convert_pod(b, &obj->u.pod, why);
		break;
	default:
		break;
	}
	if (rc < 0) {
		kube_object_free(obj);
		return NULL;
	}
	return obj;
}

static void deliver(struct kube_json *p, enum kube_json_event ev,
                    struct builder *b, int kind)
{
	const char *why = NULL;
	struct kube_object *obj;
	char msg[256];

	if (kind == KUBE_KIND_UNKNOWN) {
		p->cb(p->ctx, ev, NULL, NULL);
		return;
	}
	obj = builder_finish(b, kind, &why);
	if (!obj) {
		snprintf(msg, sizeof(msg), "%s %s%s%s skipped: %s", kube_kind_name(kind),
		         b->ns ? b->ns : "", b->ns ? "/" : "", b->name ? b->name : "?",
		         why);
		p->cb(p->ctx, ev, NULL, msg);
		return;
	}
	/* Packed now, while the pieces just freed can be reused by the next
	   object: packing later leaves a heap full of holes. */
	p->cb(p->ctx, ev, kube_object_pack(obj), NULL);
}

static void format_error(struct kube_json *p, const unsigned char *buf,
                         size_t len, char *err, size_t errlen)
{
	unsigned char *msg = yajl_get_error(p->yajl, 0, buf, len);
	unsigned long line = p->line;
	size_t at = buf ? yajl_get_bytes_consumed(p->yajl) : 0, i;
	char *text = (char *)msg, *nl;

	for (i = 0; buf && i < at && i < len; i++)
		if (buf[i] == '\n')
			line++;
	if (text && strncmp(text, "parse error: ", 13) == 0)
		text += 13;
	if (text && (nl = strchr(text, '\n')))
		*nl = '\0';
	if (buf && at < len && at > 0)
		snprintf(err, errlen, "line %lu: %s near '%c'", line,
		         text ? text : "syntax error", buf[at > 0 ? at - 1 : 0]);
	else
		snprintf(err, errlen, "line %lu: %s", line, text ? text : "syntax error");
	yajl_free_error(p->yajl, msg);
}
