/* envvars.c - the kubelet's service environment variables (see envvars.h).
 *
 * The rules follow kubelet's envvars.FromServices and getServiceEnvVarMap:
 * names are the service (or port) name upper-cased with '-' turned into '_'
 * and nothing else; URLs are "<proto>://" + JoinHostPort(clusterIP, port),
 * so an IPv6 cluster IP is bracketed. */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envvars.h"
#include "kube_object.h"
#include "svc_cache.h"

/* A variable while the list is built: seq orders duplicates so the last
   one set wins, as in the kubelet's map. */
struct pending {
	char *name;
	char *value;
	size_t seq;
};

struct builder {
	struct pending *v;
	size_t n, cap;
	bool failed;
};

/* The Services a pod sees. Each is a copy the selection owns: the cache's
   views last one visit. */
struct pod_select {
	const char *ns;
	bool links;
	struct kube_object **svcs;
	size_t n, cap;
	struct kube_object *master; /* default/kubernetes */
	struct kube_object *local_master; /* ns/kubernetes */
	bool failed;
};

static char *xasprintf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static char *mangle(const char *s);
static bool service_ip_set(const struct kube_service *svc);
static const char *proto_lower(uint8_t proto);
static void add(struct builder *b, char *name, char *value);
static void add_service(struct builder *b, const struct kube_object *obj);
static int cmp_pending(const void *a, const void *b);
static int cmp_service(const void *a, const void *b);
static int finish(struct builder *b, struct envvars *out);
static int push(struct pod_select *s, struct kube_object *copy);
static struct kube_object *keep(struct pod_select *s, const struct kube_object *obj);
static int select_visit(void *ctx, const struct kube_object *obj);
static int write_json_string(FILE *fp, const char *s);

const char *const envvars_format_names[] = { "shell", "env", "json", NULL };

static const char master_ns[] = "default";
static const char master_name[] = "kubernetes";

static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	int len;
	char *s;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		return NULL;
	s = malloc((size_t)len + 1);
	if (s == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* makeEnvVariableName: ToUpper(Replace(s, "-", "_")). Go's ToUpper maps
   Unicode too; DNS-1035 names are ASCII, so ASCII is all we change. */
static char *mangle(const char *s)
{
	size_t len = strlen(s);
	char *out = malloc(len + 1);

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i <= len; i++) {
		char c = s[i];

		if (c == '-')
			c = '_';
		else if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		out[i] = c;
	}
	return out;
}

/* IsServiceIPSet: the primary clusterIP, as written, is neither "None"
   nor empty. clusterIPs[1] (dual-stack) never matters. */
static bool service_ip_set(const struct kube_service *svc)
{
	return svc->cluster_ip != NULL && svc->cluster_ip[0] != '\0' &&
	       strcmp(svc->cluster_ip, "None") != 0;
}


static const char *proto_lower(uint8_t proto)
{
	switch (proto) {
	case KUBE_PROTO_UDP:
		return "udp";
	case KUBE_PROTO_SCTP:
		return "sctp";
	default:
		return "tcp";
	}
}

/* Takes name and value (either may be NULL after a failed allocation,
   which marks the builder failed). */
static void add(struct builder *b, char *name, char *value)
{
	if (b->failed || name == NULL || value == NULL) {
		b->failed = true;
		free(name);
		free(value);
		return;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 32;
		struct pending *v = realloc(b->v, cap * sizeof(*v));

		if (v == NULL) {
			b->failed = true;
			free(name);
			free(value);
			return;
		}
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n].name = name;
	b->v[b->n].value = value;
	b->v[b->n].seq = b->n;
	b->n++;
}

static void add_service(struct builder *b, const struct kube_object *obj)
{
	const struct kube_service *svc = &obj->u.svc;
	const char *ip = svc->cluster_ip;
	const char *lb, *rb;
	char *prefix;

	if (obj->kind != KUBE_KIND_SERVICE || !service_ip_set(svc))
		return;
	prefix = mangle(obj->name);
	if (prefix == NULL) {
		b->failed = true;
		return;
	}
	/* net.JoinHostPort brackets any host with a colon in it. */
	lb = strchr(ip, ':') ? "[" : "";
	rb = strchr(ip, ':') ? "]" : "";

	add(b, xasprintf("%s_SERVICE_HOST", prefix), strdup(ip));
	/* A Service with a cluster IP must have ports (API validation); the
	   kubelet would crash on one without. We give just the host. */
	if (svc->n_ports > 0)
		add(b, xasprintf("%s_SERVICE_PORT", prefix),
		    xasprintf("%u", (unsigned)svc->ports[0].port));
	for (size_t i = 0; i < svc->n_ports; i++) {
		const struct kube_port *p = &svc->ports[i];
		char *pname;

		if (p->name == NULL || p->name[0] == '\0')
			continue;
		pname = mangle(p->name);
		if (pname == NULL) {
			b->failed = true;
			break;
		}
		add(b, xasprintf("%s_SERVICE_PORT_%s", prefix, pname),
		    xasprintf("%u", (unsigned)p->port));
		free(pname);
	}
	/* Docker link variables. */
	for (size_t i = 0; i < svc->n_ports; i++) {
		const struct kube_port *p = &svc->ports[i];
		unsigned port = p->port;
		const char *up = kube_proto_name((enum kube_proto)p->proto);
		const char *lo = proto_lower(p->proto);

		if (i == 0)
			add(b, xasprintf("%s_PORT", prefix),
			    xasprintf("%s://%s%s%s:%u", lo, lb, ip, rb, port));
		add(b, xasprintf("%s_PORT_%u_%s", prefix, port, up),
		    xasprintf("%s://%s%s%s:%u", lo, lb, ip, rb, port));
		add(b, xasprintf("%s_PORT_%u_%s_PROTO", prefix, port, up),
		    strdup(lo));
		add(b, xasprintf("%s_PORT_%u_%s_PORT", prefix, port, up),
		    xasprintf("%u", port));
		add(b, xasprintf("%s_PORT_%u_%s_ADDR", prefix, port, up),
		    strdup(ip));
	}
	free(prefix);
}

static int cmp_pending(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_service(const void *a, const void *b)
{
	const struct kube_object *x = *(const struct kube_object *const *)a;
	const struct kube_object *y = *(const struct kube_object *const *)b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->ns, y->ns);
}

/* Sorts, keeps the last of each name, moves the result into out. */
static int finish(struct builder *b, struct envvars *out)
{
	size_t w = 0;

	if (!b->failed && b->n > 0) {
		qsort(b->v, b->n, sizeof(*b->v), cmp_pending);
		out->v = malloc(b->n * sizeof(*out->v));
		if (out->v == NULL)
			b->failed = true;
	}
	if (b->failed) {
		for (size_t i = 0; i < b->n; i++) {
			free(b->v[i].name);
			free(b->v[i].value);
		}
		free(b->v);
		return -1;
	}
	for (size_t i = 0; i < b->n; i++) {
		if (i + 1 < b->n && strcmp(b->v[i].name, b->v[i + 1].name) == 0) {
			free(b->v[i].name);
			free(b->v[i].value);
			continue;
		}
		out->v[w].name = b->v[i].name;
		out->v[w].value = b->v[i].value;
		w++;
	}
	out->n = w;
	free(b->v);
	return 0;
}

int envvars_from_services(const struct kube_object *const *svcs, size_t n,
                          struct envvars *out)
{
	struct builder b = { 0 };

	out->v = NULL;
	out->n = 0;
	for (size_t i = 0; i < n && !b.failed; i++)
		add_service(&b, svcs[i]);
	return finish(&b, out);
}

static struct kube_object *keep(struct pod_select *s, const struct kube_object *obj)
{
	struct kube_object *copy = kube_object_clone(obj);

	if (copy == NULL)
		s->failed = true;
	return copy;
}

/* Adds copy (NULL after a failed keep) to the selection, which owns it. */
static int push(struct pod_select *s, struct kube_object *copy)
{
	if (copy == NULL)
		return -1;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct kube_object **v = realloc(s->svcs, cap * sizeof(*v));

		if (v == NULL) {
			kube_object_free(copy);
			s->failed = true;
			return -1;
		}
		s->svcs = v;
		s->cap = cap;
	}
	s->svcs[s->n++] = copy;
	return 0;
}

static int select_visit(void *ctx, const struct kube_object *obj)
{
	struct pod_select *s = ctx;
	bool is_master_name = strcmp(obj->name, master_name) == 0;

	if (!service_ip_set(&obj->u.svc))
		return 0;
	if (is_master_name && strcmp(obj->ns, master_ns) == 0) {
		kube_object_free(s->master);
		s->master = keep(s, obj);
		return s->failed ? 1 : 0;
	}
	if (!s->links || strcmp(obj->ns, s->ns) != 0)
		return 0;
	if (is_master_name) {
		kube_object_free(s->local_master);
		s->local_master = keep(s, obj);
		return s->failed ? 1 : 0;
	}
	return push(s, keep(s, obj)) < 0 ? 1 : 0;
}

int envvars_for_pod(const struct svc_cache *cache, const char *ns,
                    bool service_links, struct envvars *out)
{
	struct pod_select s = { .ns = ns, .links = service_links };
	int rc = -1;

	out->v = NULL;
	out->n = 0;
	svc_cache_foreach(cache, KUBE_KIND_SERVICE, select_visit, &s);
	/* The kubelet keys its map by service name: default/kubernetes goes
	   in only when the name is free, a same-named Service of the pod's
	   own namespace (links on) overwrites it. */
	if (s.local_master) {
		kube_object_free(s.master);
		s.master = s.local_master;
	}
	if (s.master && !s.failed)
		push(&s, s.master); /* owns it now, even when it fails */
	else
		kube_object_free(s.master);
	if (!s.failed) {
		/* Hash-map order in the kubelet; sorted here so a name collision
		   between two services resolves the same way every time. */
		if (s.n > 1)
			qsort(s.svcs, s.n, sizeof(*s.svcs), cmp_service);
		rc = envvars_from_services((const struct kube_object *const *)s.svcs,
		                           s.n, out);
	}
	for (size_t i = 0; i < s.n; i++)
		kube_object_free(s.svcs[i]);
	free(s.svcs);
	return rc;
}

const char *envvars_get(const struct envvars *ev, const char *name)
{
	size_t lo = 0, hi = ev->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, ev->v[mid].name);

		if (c == 0)
			return ev->v[mid].value;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

void envvars_free(struct envvars *ev)
{
	if (ev == NULL)
		return;
	for (size_t i = 0; i < ev->n; i++) {
		free(ev->v[i].name);
		free(ev->v[i].value);
	}
	free(ev->v);
	ev->v = NULL;
	ev->n = 0;
}

bool envvars_is_shell_name(const char *name)
{
	if (!((*name >= 'A' && *name <= 'Z') || (*name >= 'a' && *name <= 'z') ||
	      *name == '_'))
		return false;
	for (const char *p = name + 1; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return true;
}

/* JSON string with the escapes RFC 8259 requires; other bytes (UTF-8)
   pass through unchanged. */
static int write_json_string(FILE *fp, const char *s)
{
	if (putc('"', fp) == EOF)
		return -1;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int rc;

		if (*p == '"' || *p == '\\')
			rc = fprintf(fp, "\\%c", *p);
		else if (*p == '\n')
			rc = fputs("\\n", fp);
		else if (*p == '\t')
			rc = fputs("\\t", fp);
		else if (*p < 0x20 || *p == 0x7f)
			rc = fprintf(fp, "\\u%04x", *p);
		else
			rc = putc(*p, fp);
		if (rc < 0)
			return -1;
	}
	return putc('"', fp) == EOF ? -1 : 0;
}

int envvars_write(const struct envvars *ev, enum envvars_format fmt, FILE *fp,
                  size_t *skipped)
{
	size_t skip = 0;
	bool first = true;

	if (fmt == ENVVARS_JSON && fputs("{", fp) == EOF)
		return -1;
	for (size_t i = 0; i < ev->n; i++) {
		const char *name = ev->v[i].name;
		const char *value = ev->v[i].value;

		switch (fmt) {
		case ENVVARS_SHELL:
			if (!envvars_is_shell_name(name)) {
				skip++;
				continue;
			}
			/* Inside single quotes only ' itself is special: close
			   the quote, add an escaped one, reopen. */
			if (fprintf(fp, "export %s='", name) < 0)
				return -1;
			for (const char *p = value; *p; p++) {
				int rc = *p == '\'' ? fputs("'\\''", fp)
				                    : putc(*p, fp);

				if (rc < 0)
					return -1;
			}
			if (fputs("'\n", fp) == EOF)
				return -1;
			break;
		case ENVVARS_ENV:
			if (name[0] == '\0' || strchr(name, '=') ||
			    strchr(name, '\n') || strchr(value, '\n')) {
				skip++;
				continue;
			}
			if (fprintf(fp, "%s=%s\n", name, value) < 0)
				return -1;
			break;
		case ENVVARS_JSON:
			if (fputs(first ? "\n  " : ",\n  ", fp) == EOF ||
			    write_json_string(fp, name) < 0 ||
			    fputs(": ", fp) == EOF ||
			    write_json_string(fp, value) < 0)
				return -1;
			first = false;
			break;
		}
	}
	if (fmt == ENVVARS_JSON && fputs(first ? "}\n" : "\n}\n", fp) == EOF)
		return -1;
	if (skipped != NULL)
		*skipped = skip;
	return 0;
}
