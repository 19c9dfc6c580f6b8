/* kube_client.c - LIST + WATCH against the Kubernetes API through libcurl's
 * multi socket interface driven by libevent; applies what it reads to the
 * svc_cache and tells the owner when the cache changed.
 *
 * With --namespaces, Services, EndpointSlices (or Endpoints) and Pods are
 * read cluster-wide, as CoreDNS reads them, while the API allows it. When
 * it forbids one (403: an account given a Role in each namespace, no
 * ClusterRole), that stream stops for good and one stream per namespace
 * named takes its place, each a stream like any other (WatchList or pages,
 * resume, a relist that sweeps only its own namespace, backoff, its own
 * 403 logged; the first sync waits for every one). Scoping at once would
 * save that one refused request, but an account that may read cluster-wide
 * would lose what CoreDNS gives it: every namespace's Pods (autopath and
 * --prefer-zone place every client, not only those of the namespaces
 * named) and the Namespace objects (a namespace named that does not exist
 * is NXDOMAIN). Namespaces are cluster-scoped: a Role can grant no list of
 * them, so where they are forbidden the namespaces named exist. A
 * permission granted later changes nothing an answer depends on. */
#include "kube_client.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "bytemap.h"
#include "kube_json.h"
#include "kube_object.h"
#include "log.h"
#include "svc_cache.h"

#define KC_PAGE_LIMIT 500
#define KC_TOKEN_REREAD_S 60
#define KC_MAX_RESOURCES 6 /* services, slices, namespaces, pods, nodes, imports */
#define KC_SCOPABLE 4      /* of which namespaced: services, slices, pods, imports */
#define KC_PATH_MAX 320    /* "/apis/.../namespaces/<ns, encoded>/endpointslices" */
#define KC_NAME_MAX 96     /* "endpointslices in <ns>" */
#define KC_ERRBODY_MAX 1024
#define KC_URL_MAX 4096
/* A consistent list streamed as a watch (KEP-3157); needs bookmarks on. */
#define KC_WATCH_LIST_QUERY "&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"

enum kc_phase { KC_IDLE, KC_LIST, KC_WATCH };
enum kc_next { KC_NEXT_LIST, KC_NEXT_WATCH };

/* Why the API server is not usable right now; a change of class is worth a
   new log line, a repeat is not. */
enum kc_fail_class {
	KC_OK = 0,
	KC_FAIL_NET,
	KC_FAIL_TLS,
	KC_FAIL_AUTH,
	KC_FAIL_FORBIDDEN,
	KC_FAIL_THROTTLED,
	KC_FAIL_SERVER,
	KC_FAIL_OTHER
};

struct kc_sock {
	struct kube_client *c;
	curl_socket_t fd;
	struct event *ev;
	struct kc_sock *prev, *next;
};

/* One stream: a resource listed and watched cluster-wide, or in one
   namespace. */
struct kc_res {
	struct kube_client *c;
	const char *api;      /* "/api/v1", "/apis/discovery.k8s.io/v1" */
	const char *resource; /* "services" */
	const char *ns;       /* the namespace it covers; NULL: all */
	char name[KC_NAME_MAX]; /* "services", "services in ns1": for logs */
	char path[KC_PATH_MAX]; /* collection path */
	const char *extra; /* encoded query fragment or NULL */
	enum kube_kind kind;
	bool is_slices;    /* may fall back to v1 endpoints on 404 */
	bool optional;     /* not waited for by the first sync */
	/* ServiceImports the API does not serve (no CRD: 404) or this account
	   may not read (403): not waited for either until they list. */
	bool unavailable;
	/* Streamed now; a cluster-wide one stops when the API forbids it and
	   its n_scoped streams, the next entries of the array, start
	   (kc_scope). */
	bool active;
	size_t n_scoped;
	struct kc_res *whole; /* of a namespace's stream: the cluster-wide one */
	bool pod_pending;  /* a namespace's pods, not listed since the group began */
	enum kc_fail_class failing; /* its last failure, logged; KC_OK since a 200 */

	enum kc_phase phase;
	enum kc_next next;
	bool listed;       /* at least one complete list */
	bool first_watch;  /* next watch follows a list */
	char *rv;          /* last seen resourceVersion */
	char *cont;        /* continue token of the list in progress */
	/* The list in progress (paged, or a WatchList's initial events),
	   applied item by item: the keys it named, kept only when the cache
	   held objects of its kind before (sweep), to remove the rest at its
	   end. */
	bool in_list, sweep, sweep_failed, counted_relist;
	struct bytemap *seen;
	size_t list_objects, list_changes;
	bool streaming;    /* this transfer is a WatchList (sendInitialEvents) */
	bool initial_done; /* its initial events have ended */
	unsigned watch_list_broken; /* WatchLists ended before their bookmark */
	unsigned attempt;  /* consecutive failures, for backoff */
	unsigned relists_in_row; /* ERROR-driven relists without progress */
	struct event *timer;

	/* the transfer in flight */
	CURL *easy;
	struct curl_slist *headers;
	struct kube_json *parser;
	char errbuf[CURL_ERROR_SIZE];
	long http_code;
	bool code_known;
	long retry_after;
	char errbody[KC_ERRBODY_MAX];
	size_t errbody_len;
	bool parse_failed;
	bool got_error_event;
	int error_code;      /* the ERROR event's Status code (410: too old) */
	char error_msg[256];
	unsigned batch_changes;
	unsigned watch_events;
	struct timeval started;
};

struct kube_client {
	struct event_base *base;
	struct svc_cache *cache;
	kube_client_changed_fn changed;
	void *ctx;

	char *server;
	char *token;
	char *token_file;
	char *ca_file, *client_cert, *client_key;
	void *ca_data, *cert_data, *key_data;
	size_t ca_data_len, cert_data_len, key_data_len;
	bool insecure;
	unsigned watch_timeout_s;

	CURLM *multi;
	struct event *curl_timer;
	struct event *token_timer;
	struct kc_sock *socks;

	struct kc_res *res;    /* allocated once: timers point into it */
	size_t n_res;
	char *labels_param;    /* "labelSelector=..." of --labels, or NULL */
	char *ns_labels_param; /* of --namespace-labels */
	char *pods_param;      /* the running pods' fieldSelector and labels_param */
	char *mcs_slices_param; /* --no-endpoints --multicluster: the MCS slices only */
	char **ns_names;       /* --namespaces */
	size_t n_ns;
	bool pod_group_open;   /* kc_pod_group_join */

	enum kc_fail_class fail_class;
	struct timeval down_since;
	bool token_warned;
	uint64_t rng;
	/* Lists as one WatchList stream (sendInitialEvents=true) until the
	   server shows it does not offer them; then in pages. */
	bool watch_list;
	/* Relists under way: publication waits for their end (notify_deferred),
	   so readers never see one half applied. */
	unsigned relists_running;
	bool notify_deferred;

	struct kube_client_stats st;

	/* list-once mode (svcdns-env) */
	bool list_only;
	bool done;
	char fatal[256];
};

static void kc_start(struct kc_res *r);
static void kc_notify(struct kube_client *c);
static void kc_list_complete(struct kc_res *r, const char *list_rv);
static void kc_schedule(struct kc_res *r, enum kc_next next, unsigned ms);
static void kc_drain(struct kube_client *c);
static void kc_relist(struct kc_res *r, unsigned ms);
static void kc_end_transfer(struct kc_res *r);
static void kc_stop_list_only(struct kube_client *c);

/* ---- small helpers ------------------------------------------------------ */

static double kc_elapsed(const struct timeval *since)
{
	struct timeval now;
	evutil_gettimeofday(&now, NULL);
	return (double)(now.tv_sec - since->tv_sec) +
	       (double)(now.tv_usec - since->tv_usec) / 1e6;
}

static char *kc_strdup0(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void *kc_memdup(const void *p, size_t n)
{
	void *q;
	if (!p || !n)
		return NULL;
	q = malloc(n);
	if (q)
		memcpy(q, p, n);
	return q;
}

static void kc_set_str(char **dst, const char *src)
{
	char *n = src ? strdup(src) : NULL;
	if (src && !n)
		return; /* keep the old value rather than lose it */
	free(*dst);
	*dst = n;
}

/* ---- pure helpers ------------------------------------------------------- */

unsigned kube_client_backoff_ms(unsigned attempt, long retry_after_s,
                                double rnd01)
{
	double step = 500.0, ms;
	for (unsigned i = 0; i < attempt && step < 30000.0; i++)
		step *= 2.0;
	if (step > 30000.0)
		step = 30000.0;
	if (rnd01 < 0.0 || rnd01 >= 1.0)
		rnd01 = 0.0;
	/* spread over [step/2, step) but never below the 0.5 s floor */
	ms = step / 2.0 + rnd01 * step / 2.0;
	if (ms < 500.0)
		ms = 500.0;
	if (retry_after_s > 0) {
		double ra = retry_after_s > 300 ? 300000.0 : retry_after_s * 1000.0;
		if (ms < ra)
			ms = ra;
	}
	return (unsigned)ms;
}

static int kc_append(char *buf, size_t len, size_t *pos, const char *s)
{
	size_t n = strlen(s);
	if (*pos + n >= len)
		return -1;
	memcpy(buf + *pos, s, n);
	*pos += n;
	buf[*pos] = '\0';
	return 0;
}

static int kc_append_enc(char *buf, size_t len, size_t *pos, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' ||
		    ch == '~') {
			if (*pos + 1 >= len)
				return -1;
			buf[(*pos)++] = (char)ch;
		} else {
			if (*pos + 3 >= len)
				return -1;
			buf[(*pos)++] = '%';
			buf[(*pos)++] = hex[ch >> 4];
			buf[(*pos)++] = hex[ch & 15];
		}
	}
	buf[*pos] = '\0';
	return 0;
}

int kube_client_build_url(char *buf, size_t len, const char *server,
                          const char *path, const char *extra, bool watch,
                          const char *rv, const char *cont,
                          unsigned timeout_s)
{
	size_t pos = 0, sl;
	char num[32];

	if (!buf || !len || !server || !path)
		return -1;
	buf[0] = '\0';
	sl = strlen(server);
	while (sl > 0 && server[sl - 1] == '/')
		sl--; /* "https://h:6443/" + "/api/v1/..." */
	if (sl + 1 >= len)
		return -1;
	memcpy(buf, server, sl);
	pos = sl;
	buf[pos] = '\0';
	if (kc_append(buf, len, &pos, path) < 0)
		return -1;
	if (watch) {
		if (kc_append(buf, len, &pos, "?allowWatchBookmarks=true") < 0)
			return -1;
		if (extra && (kc_append(buf, len, &pos, "&") < 0 ||
		              kc_append(buf, len, &pos, extra) < 0))
			return -1;
		if (rv && *rv &&
		    (kc_append(buf, len, &pos, "&resourceVersion=") < 0 ||
		     kc_append_enc(buf, len, &pos, rv) < 0))
			return -1;
		snprintf(num, sizeof(num), "&timeoutSeconds=%u&watch=1",
		         timeout_s);
		return kc_append(buf, len, &pos, num);
	}
	if (extra && (kc_append(buf, len, &pos, "?") < 0 ||
	              kc_append(buf, len, &pos, extra) < 0 ||
	              kc_append(buf, len, &pos, "&") < 0))
		return -1;
	if (!extra && kc_append(buf, len, &pos, "?") < 0)
		return -1;
	if (cont && *cont &&
	    (kc_append(buf, len, &pos, "continue=") < 0 ||
	     kc_append_enc(buf, len, &pos, cont) < 0 ||
	     kc_append(buf, len, &pos, "&") < 0))
		return -1;
	snprintf(num, sizeof(num), "limit=%d", KC_PAGE_LIMIT);
	return kc_append(buf, len, &pos, num);
}

long kube_client_parse_retry_after(const char *line, size_t len)
{
	static const char key[] = "retry-after:";
	size_t i, kl = sizeof(key) - 1;
	long v = 0;
	bool any = false;

	if (len < kl)
		return -1;
	for (i = 0; i < kl; i++)
		if (tolower((unsigned char)line[i]) != key[i])
			return -1;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	for (; i < len && isdigit((unsigned char)line[i]); i++) {
		any = true;
		if (v < 100000)
			v = v * 10 + (line[i] - '0');
	}
	while (i < len && isspace((unsigned char)line[i]))
		i++;
	/* an HTTP date is legal too; treat it as "unknown" */
	return any && i == len ? v : -1;
}

/* ---- streams ------------------------------------------------------------ */

/* r's path and name, from its api, resource and namespace. Returns 0, or
   -1 when the path does not fit. */
static int kc_res_locate(struct kc_res *r)
{
	size_t pos = 0;

	r->path[0] = '\0';
	if (kc_append(r->path, sizeof(r->path), &pos, r->api) < 0 ||
	    (r->ns && (kc_append(r->path, sizeof(r->path), &pos, "/namespaces/") < 0 ||
	               kc_append_enc(r->path, sizeof(r->path), &pos, r->ns) < 0)) ||
	    kc_append(r->path, sizeof(r->path), &pos, "/") < 0 ||
	    kc_append(r->path, sizeof(r->path), &pos, r->resource) < 0)
		return -1;
	snprintf(r->name, sizeof(r->name), "%s%s%s", r->resource, r->ns ? " in " : "",
	         r->ns ? r->ns : "");
	return 0;
}

/* No EndpointSlice API: v1 Endpoints instead. */
static void kc_use_endpoints(struct kc_res *r)
{
	r->kind = KUBE_KIND_ENDPOINTS;
	r->api = "/api/v1";
	r->resource = "endpoints";
	kc_res_locate(r); /* shorter than the slices' path: fits */
}

/* The namespaces of --namespaces exist: the objects a list of Namespaces
   would have given, without labels. Returns how many changed the cache. */
static size_t kc_put_named_namespaces(struct kube_client *c)
{
	size_t changes = 0;

	for (size_t i = 0; i < c->n_ns; i++) {
		struct kube_object *o = calloc(1, sizeof(*o));

		if (o) {
			o->kind = KUBE_KIND_NAMESPACE;
			o->ns = strdup("");
			o->name = strdup(c->ns_names[i]);
		}
		if (!o || !o->ns || !o->name) {
			kube_object_free(o);
			log_error("out of memory storing namespace %s", c->ns_names[i]);
			continue;
		}
		if (svc_cache_put(c->cache, o) == 0)
			changes++;
	}
	return changes;
}

/* ---- token -------------------------------------------------------------- */

/* Reads the token file by path (it is a symlink swapped on rotation).
   Returns 0, or -1 with err set. */
static int kc_read_token(struct kube_client *c, char *err, size_t errlen)
{
	char buf[16384];
	size_t n;
	FILE *fp;

	if (!c->token_file)
		return 0;
	fp = fopen(c->token_file, "r");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", c->token_file, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "%s: empty token file", c->token_file);
		return -1;
	}
	if (strpbrk(buf, "\r\n")) {
		snprintf(err, errlen, "%s: token has a line break",
		         c->token_file);
		return -1;
	}
	if (!c->token || strcmp(c->token, buf) != 0) {
		if (c->token)
			log_info("bearer token in %s changed", c->token_file);
		kc_set_str(&c->token, buf);
	}
	return 0;
}

static void kc_token_tick(evutil_socket_t fd, short what, void *arg)
{
	struct kube_client *c = arg;
	char err[256];
	(void)fd;
	(void)what;
	if (kc_read_token(c, err, sizeof(err)) < 0) {
		if (!c->token_warned)
			log_warn("cannot re-read bearer token, keeping the old one: %s",
			         err);
		c->token_warned = true;
	} else {
		c->token_warned = false;
	}
}

/* ---- state changes, logged once ------------------------------------------ */

/* r got a 200. The server is back unless a resource still has its 403 (a
   permission only it lacks, which a retry will not fix). */
static void kc_api_ok(struct kube_client *c, struct kc_res *r)
{
	bool outage = c->fail_class == KC_FAIL_NET || c->fail_class == KC_FAIL_TLS;
	size_t i;

	r->failing = KC_OK;
	/* After an outage (the server could not be reached) the other
	   resources are waiting out backoffs that grew meanwhile (up to 30 s
	   each): the server answers again, so they retry now rather than
	   serve stale data that long. Not after an error the server gave
	   (403, 429, 5xx: a resource may keep getting it), nor before a wait
	   it asked for (Retry-After). */
	for (i = 0; outage && i < c->n_res; i++) {
		struct kc_res *o = &c->res[i];
		if (o->phase == KC_IDLE && o->attempt > 0 && o->retry_after <= 0 && o->timer &&
		    evtimer_pending(o->timer, NULL))
			kc_schedule(o, o->next, 0);
	}
	for (i = 0; i < c->n_res; i++)
		if (c->res[i].failing == KC_FAIL_FORBIDDEN)
			return;
	if (c->fail_class != KC_OK)
		log_info("API server back after %.0f s", kc_elapsed(&c->down_since));
	c->fail_class = KC_OK;
	c->st.api_up = true;
}

static void kc_api_failed(struct kube_client *c, enum kc_fail_class cls,
                          struct kc_res *r, const char *why)
{
	enum kc_fail_class was;
	bool told;

	c->st.failures++;
	if ((unsigned)cls < sizeof(c->st.errors_by_class) / sizeof(c->st.errors_by_class[0]))
		c->st.errors_by_class[cls]++;
	c->st.api_up = false;
	if (c->fail_class == KC_OK)
		evutil_gettimeofday(&c->down_since, NULL);
	if (c->list_only && !c->fatal[0])
		snprintf(c->fatal, sizeof(c->fatal), "%s %s: %s", c->server,
		         r->name, why);
	was = c->fail_class;
	told = r->failing == cls;
	c->fail_class = cls;
	r->failing = cls;
	/* A change of class is told once for the server; a permission the
	   server denies, once per resource: the 403 on nodes even while pods
	   get theirs. */
	if (cls == KC_FAIL_FORBIDDEN ? told : was == cls)
		return;
	if (cls == KC_FAIL_NET || cls == KC_FAIL_TLS)
		log_error("API server unreachable: %s (%s, %s)", why,
		          c->server, r->name);
	else
		log_error("API server error: %s (%s, %s)", why, c->server,
		          r->name);
}

/* ---- applying a list ----------------------------------------------------- */

/* One namespace's stream of pods is listed with the others, as a group:
   the pod map keeps no names (svc_cache_pod_map), and forgets at
   svc_cache_list_end every pod not put since svc_cache_list_begin, so
   every namespace's pods must be put again in between. A list of one
   namespace's pods relists the others; until the last is in, the map
   keeps what it had (at first: no client placed, as while the pods are
   forbidden). */
static void kc_pod_group_join(struct kc_res *r)
{
	struct kube_client *c = r->c;
	struct kc_res *first = r->whole + 1;

	r->pod_pending = true;
	if (c->pod_group_open)
		return;
	c->pod_group_open = true;
	svc_cache_list_begin(c->cache, KUBE_KIND_POD);
	for (size_t i = 0; i < r->whole->n_scoped; i++) {
		struct kc_res *o = first + i;

		if (o == r)
			continue;
		o->pod_pending = true;
		/* not one already waiting to list */
		if (o->phase != KC_IDLE || o->next != KC_NEXT_LIST) {
			kc_end_transfer(o);
			kc_relist(o, 0);
		}
	}
}

/* r's list is complete: the group's ends with the last. Returns how many
   pods the map forgot that the cache does not count. */
static size_t kc_pod_group_done(struct kc_res *r)
{
	struct kube_client *c = r->c;

	r->pod_pending = false;
	if (!c->pod_group_open)
		return 0;
	for (size_t i = 0; i < r->whole->n_scoped; i++)
		if (r->whole[1 + i].pod_pending)
			return 0;
	c->pod_group_open = false;
	return svc_cache_list_end(c->cache, KUBE_KIND_POD);
}

/* The cache's end of a list of the whole kind, which a namespace's list
   is only as the pods' group. */
static size_t kc_kind_list_end(struct kc_res *r)
{
	if (!r->whole)
		return svc_cache_list_end(r->c->cache, r->kind);
	return r->kind == KUBE_KIND_POD ? kc_pod_group_done(r) : 0;
}

/* A list is applied to the cache item by item as it streams in, never held
   whole (at 100k objects a held list was the peak of a relist's memory).
   What the cache holds of the kind and the list does not name is removed
   at its end. */
static void kc_list_begin(struct kc_res *r)
{
	struct kube_client *c = r->c;

	bytemap_free(r->seen, NULL);
	r->seen = NULL;
	r->sweep = svc_cache_count(c->cache, r->kind) > 0;
	r->sweep_failed = false;
	if (r->sweep && !(r->seen = bytemap_new()))
		r->sweep_failed = true;
	r->list_objects = r->list_changes = 0;
	r->in_list = true;
	if (!r->whole)
		svc_cache_list_begin(c->cache, r->kind);
	else if (r->kind == KUBE_KIND_POD)
		kc_pod_group_join(r);
	if (r->listed && !r->counted_relist) {
		r->counted_relist = true;
		c->relists_running++;
	}
}

/* The list is over, complete or not: publication resumes. */
static void kc_list_end(struct kc_res *r)
{
	struct kube_client *c = r->c;

	bytemap_free(r->seen, NULL);
	r->seen = NULL;
	r->in_list = false;
	if (r->counted_relist) {
		r->counted_relist = false;
		if (--c->relists_running == 0 && c->notify_deferred) {
			c->notify_deferred = false;
			kc_notify(c);
		}
	}
}

static size_t kc_key(char *buf, size_t len, const char *ns, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", ns ? ns : "", name ? name : "");
	return n < 0 || (size_t)n >= len ? 0 : (size_t)n;
}

/* One item of the list in progress (takes obj). */
static void kc_list_item(struct kc_res *r, struct kube_object *obj)
{
	struct kube_client *c = r->c;
	int put;

	if (r->sweep && !r->sweep_failed) {
		char key[600];
		size_t klen = kc_key(key, sizeof(key), obj->ns, obj->name);
		void **slot = klen ? bytemap_slot(r->seen, key, klen, true) : NULL;

		if (slot)
			*slot = (void *)1;
		else
			r->sweep_failed = true;
	}
	/* by content: an object rewritten with the same data (only its
	   resourceVersion differs) changes no answer, and the cache says
	   so (1) */
	put = svc_cache_put(c->cache, obj);
	r->list_objects++;
	if (put < 0)
		log_error("out of memory storing %s %s", kube_kind_name(r->kind), "object");
	else if (put == 0)
		r->list_changes++;
}

struct kc_gone {
	const struct bytemap *seen;
	const char *ns; /* only this namespace's objects; NULL: all */
	char **keys; /* "ns\0name" of each object the list did not name */
	size_t n, cap;
	bool oom;
};

static int kc_find_gone(void *ctx, const struct kube_object *obj)
{
	struct kc_gone *g = ctx;
	char key[600];
	size_t klen = kc_key(key, sizeof(key), obj->ns, obj->name);
	char *copy;

	if (g->ns && strcmp(g->ns, obj->ns ? obj->ns : "") != 0)
		return 0; /* another namespace's stream lists it */
	if (!klen || bytemap_slot((struct bytemap *)g->seen, key, klen, false))
		return 0;
	if (g->n == g->cap) {
		size_t ncap = g->cap ? 2 * g->cap : 16;
		char **nk = realloc(g->keys, ncap * sizeof(*nk));
		if (!nk) {
			g->oom = true;
			return 0;
		}
		g->keys = nk;
		g->cap = ncap;
	}
	if (!(copy = strdup(key))) {
		g->oom = true;
		return 0;
	}
	copy[strlen(obj->ns ? obj->ns : "")] = '\0';
	g->keys[g->n++] = copy;
	return 0;
}

/* Removes what the cache holds of the list's kind (in its namespace) and
   the list did not name. Returns the number removed. */
static size_t kc_list_sweep(struct kc_res *r)
{
	struct kube_client *c = r->c;
	struct kc_gone g = {.seen = r->seen, .ns = r->ns};
	size_t removed = 0;

	if (!r->sweep)
		return 0;
	if (r->sweep_failed) {
		/* vanished objects stay until a relist finds them gone */
		log_error("out of memory during relist of %s", kube_kind_name(r->kind));
		return 0;
	}
	svc_cache_foreach(c->cache, r->kind, kc_find_gone, &g);
	if (g.oom)
		log_error("out of memory during relist of %s", kube_kind_name(r->kind));
	for (size_t i = 0; i < g.n; i++) {
		const char *ns = g.keys[i], *name = ns + strlen(ns) + 1;

		if (svc_cache_remove(c->cache, r->kind, ns, name) > 0) {
			log_debug("relist: %s %s/%s is gone", kube_kind_name(r->kind), ns, name);
			removed++;
		}
		free(g.keys[i]);
	}
	free(g.keys);
	return removed;
}

static void kc_notify(struct kube_client *c)
{
	if (c->relists_running) {
		c->notify_deferred = true;
		return;
	}
	c->st.last_sync = time(NULL);
	if (c->st.synced && c->changed)
		c->changed(c->ctx);
}

static bool kc_all_listed(const struct kube_client *c)
{
	for (size_t i = 0; i < c->n_res; i++)
		if (c->res[i].active && !c->res[i].listed && !c->res[i].optional &&
		    !c->res[i].unavailable)
			return false;
	return true;
}

/* After a list: the owner is told, the first time once every stream the
   answers need has listed (in list-once mode that ends the loop), then
   when the cache changed. */
static void kc_listed(struct kube_client *c, size_t changes)
{
	if (!c->st.synced && kc_all_listed(c)) {
		c->st.synced = true;
		log_info("synced with the API server %s", c->server);
		kc_notify(c);
	} else if (c->st.synced && changes) {
		kc_notify(c);
	}
	if (c->list_only && kc_all_listed(c))
		kc_stop_list_only(c);
}

/* ---- parser callbacks ---------------------------------------------------- */

static void kc_list_cb(void *ctx, enum kube_json_event ev,
                       struct kube_object *obj, const char *msg)
{
	struct kc_res *r = ctx;
	(void)ev;
	if (!obj) {
		if (msg) {
			r->c->st.skipped++;
			log_warn("%s list: skipped an item: %s", r->name, msg);
		}
		return;
	}
	if (obj->kind != r->kind) {
		kube_object_free(obj);
		return;
	}
	kc_list_item(r, obj);
}

static void kc_watch_cb(void *ctx, enum kube_json_event ev,
                        struct kube_object *obj, const char *msg)
{
	struct kc_res *r = ctx;
	struct kube_client *c = r->c;

	r->watch_events++;
	if (ev == KUBE_EV_ERROR) {
		r->got_error_event = true;
		r->error_code = kube_json_last_error_code(r->parser);
		snprintf(r->error_msg, sizeof(r->error_msg), "%s",
		         msg ? msg : "(no message)");
		kube_object_free(obj);
		return;
	}
	if (!obj) {
		if (msg) {
			/* Move past it: after a reconnect the server would send
			   the same malformed event again. */
			const char *rv = kube_json_last_version(r->parser);
			if (rv)
				kc_set_str(&r->rv, rv);
			c->st.skipped++;
			log_warn("%s watch: skipped an event: %s", r->name, msg);
		}
		return;
	}
	if (obj->resource_version)
		kc_set_str(&r->rv, obj->resource_version);
	if (ev == KUBE_EV_INITIAL_EVENTS_END) {
		c->st.bookmarks++;
		kube_object_free(obj);
		if (r->streaming && !r->initial_done) {
			r->initial_done = true;
			r->watch_list_broken = 0;
			kc_list_complete(r, r->rv);
		}
		return;
	}
	if (r->streaming && !r->initial_done) {
		/* a WatchList's initial events: the list, as a stream */
		if (ev == KUBE_EV_ADDED && obj->kind == r->kind)
			kc_list_item(r, obj);
		else
			kube_object_free(obj);
		return;
	}
	if (ev == KUBE_EV_BOOKMARK) {
		c->st.bookmarks++;
		r->relists_in_row = 0;
		kube_object_free(obj);
		return;
	}
	if (obj->kind != r->kind || (ev != KUBE_EV_ADDED &&
	                             ev != KUBE_EV_MODIFIED &&
	                             ev != KUBE_EV_DELETED)) {
		kube_object_free(obj);
		return;
	}
	r->relists_in_row = 0;
	c->st.events++;
	log_debug("%s %s %s/%s rv %s", r->name,
	          ev == KUBE_EV_DELETED ? "deleted"
	          : ev == KUBE_EV_ADDED ? "added"
	                                : "modified",
	          obj->ns, obj->name, r->rv ? r->rv : "-");
	if (ev == KUBE_EV_DELETED) {
		if (svc_cache_delete(c->cache, obj) > 0)
			r->batch_changes++;
		kube_object_free(obj);
		return;
	}
	if (svc_cache_put(c->cache, obj) < 0)
		log_error("out of memory storing a %s", r->name);
	else
		r->batch_changes++;
}

/* ---- curl callbacks per transfer ---------------------------------------- */

static size_t kc_header(char *buf, size_t size, size_t n, void *ud)
{
	struct kc_res *r = ud;
	size_t len = size * n;
	long ra;

	if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		r->retry_after = -1;
		r->code_known = false;
	} else if ((ra = kube_client_parse_retry_after(buf, len)) >= 0) {
		r->retry_after = ra;
	}
	return len;
}

static size_t kc_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct kc_res *r = ud;
	struct kube_client *c = r->c;
	size_t n = size * nmemb;
	char err[256];
	struct timeval t0;

	if (!r->code_known) {
		long code = 0;
		if (curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code) !=
		    CURLE_OK)
			code = 0;
		r->http_code = code;
		r->code_known = true;
		if (code == 200) {
			kc_api_ok(c, r);
			r->attempt = 0;
		}
	}
	if (r->http_code != 200) {
		/* keep the start of an error body for the log line */
		size_t room = sizeof(r->errbody) - 1 - r->errbody_len;
		size_t k = n < room ? n : room;
		memcpy(r->errbody + r->errbody_len, ptr, k);
		r->errbody_len += k;
		r->errbody[r->errbody_len] = '\0';
		return n;
	}
	evutil_gettimeofday(&t0, NULL);
	if (kube_json_feed(r->parser, ptr, n, err, sizeof(err)) < 0) {
		log_warn("%s %s: broken JSON, dropping the connection: %s",
		         r->name, r->phase == KC_WATCH ? "watch" : "list", err);
		c->st.skipped++;
		r->parse_failed = true;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	if (r->phase == KC_WATCH && r->batch_changes) {
		unsigned k = r->batch_changes;
		r->batch_changes = 0;
		kc_notify(c);
		log_debug("%s: %u change(s) applied in %.3f ms",
		          r->name, k, kc_elapsed(&t0) * 1e3);
	}
	return n;
}

/* ---- transfers ------------------------------------------------------------ */

static void kc_end_transfer(struct kc_res *r)
{
	if (r->easy) {
		CURLMcode mc = r->c->multi ? curl_multi_remove_handle(
		                                     r->c->multi, r->easy)
		                           : CURLM_OK;
		if (mc != CURLM_OK)
			log_warn("curl_multi_remove_handle: %s",
			         curl_multi_strerror(mc));
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
	}
	curl_slist_free_all(r->headers);
	r->headers = NULL;
	kube_json_free(r->parser);
	r->parser = NULL;
	r->phase = KC_IDLE;
}

static double kc_rand01(struct kube_client *c)
{
	/* xorshift64: jitter needs spread, not secrecy */
	uint64_t x = c->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	c->rng = x;
	return (double)(x >> 11) / 9007199254740992.0;
}

static unsigned kc_backoff(struct kc_res *r)
{
	unsigned ms = kube_client_backoff_ms(r->attempt, r->retry_after,
	                                     kc_rand01(r->c));
	if (r->attempt < 32)
		r->attempt++;
	return ms;
}

static void kc_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct kc_res *r = arg;
	(void)fd;
	(void)what;
	kc_start(r);
}

static void kc_schedule(struct kc_res *r, enum kc_next next, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	r->next = next;
	if (ms)
		log_debug("%s: next %s in %u ms", r->name,
		          next == KC_NEXT_LIST ? "list" : "watch", ms);
	if (evtimer_add(r->timer, &tv) < 0) {
		/* nothing else can wake this resource: say so loudly */
		log_error("%s: cannot arm the retry timer", r->name);
	}
}

/* A list from scratch: what a half-read list applied stays (it is newer),
   what it would have removed waits for the next complete one. */
static void kc_relist(struct kc_res *r, unsigned ms)
{
	kc_list_end(r);
	free(r->cont);
	r->cont = NULL;
	kc_schedule(r, KC_NEXT_LIST, ms);
}

static void kc_stop_list_only(struct kube_client *c)
{
	c->done = true;
	event_base_loopbreak(c->base);
}

/* The request's headers: JSON, and the bearer token if there is one.
   NULL on allocation failure. */
static struct curl_slist *kc_headers(const struct kube_client *c)
{
	struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json"), *more;
	char *line;
	size_t ll;

	if (!h || !c->token)
		return h;
	ll = strlen(c->token) + sizeof("Authorization: Bearer ");
	line = malloc(ll);
	if (!line) {
		curl_slist_free_all(h);
		return NULL;
	}
	snprintf(line, ll, "Authorization: Bearer %s", c->token);
	more = curl_slist_append(h, line);
	free(line);
	if (!more) {
		curl_slist_free_all(h);
		return NULL;
	}
	return more;
}

/* The transfer's options: URL, callbacks, timeouts (a watch's ends at its
   timeoutSeconds; a list's when it stalls), TLS and credentials. */
static CURLcode kc_set_options(struct kc_res *r, const char *url, bool watch,
                               unsigned timeout)
{
	const struct kube_client *c = r->c;
	CURLcode rc = CURLE_OK;

#define KC_OPT(o, v)                                                       \
	do {                                                               \
		if (rc == CURLE_OK)                                        \
			rc = curl_easy_setopt(r->easy, o, v);              \
	} while (0)
	KC_OPT(CURLOPT_URL, url);
	KC_OPT(CURLOPT_PRIVATE, r);
	KC_OPT(CURLOPT_WRITEFUNCTION, kc_write);
	KC_OPT(CURLOPT_WRITEDATA, r);
	KC_OPT(CURLOPT_HEADERFUNCTION, kc_header);
	KC_OPT(CURLOPT_HEADERDATA, r);
	KC_OPT(CURLOPT_ERRORBUFFER, r->errbuf);
	KC_OPT(CURLOPT_HTTPHEADER, r->headers);
	KC_OPT(CURLOPT_USERAGENT, "svcdns");
	KC_OPT(CURLOPT_NOSIGNAL, 1L);
	KC_OPT(CURLOPT_CONNECTTIMEOUT, 10L);
	KC_OPT(CURLOPT_TCP_KEEPALIVE, 1L);
	KC_OPT(CURLOPT_TCP_KEEPIDLE, 30L);
	KC_OPT(CURLOPT_TCP_KEEPINTVL, 15L);
	/* no CURLOPT_PIPEWAIT: over HTTP/1.1 a transfer waiting to share a
	   connection with a never-ending watch would wait forever */
	if (watch) {
		/* the server ends it at timeoutSeconds; this catches a black hole */
		KC_OPT(CURLOPT_TIMEOUT, (long)timeout + 30L);
	} else {
		KC_OPT(CURLOPT_ACCEPT_ENCODING, "");
		KC_OPT(CURLOPT_LOW_SPEED_LIMIT, 1L);
		KC_OPT(CURLOPT_LOW_SPEED_TIME, 60L);
	}
	if (c->ca_file)
		KC_OPT(CURLOPT_CAINFO, c->ca_file);
	if (c->ca_data) {
		struct curl_blob b = { c->ca_data, c->ca_data_len,
		                       CURL_BLOB_COPY };
		KC_OPT(CURLOPT_CAINFO_BLOB, &b);
	}
	if (c->client_cert)
		KC_OPT(CURLOPT_SSLCERT, c->client_cert);
	if (c->cert_data) {
		struct curl_blob b = { c->cert_data, c->cert_data_len,
		                       CURL_BLOB_COPY };
		KC_OPT(CURLOPT_SSLCERT_BLOB, &b);
	}
	if (c->client_cert || c->cert_data)
		KC_OPT(CURLOPT_SSLCERTTYPE, "PEM");
	if (c->client_key)
		KC_OPT(CURLOPT_SSLKEY, c->client_key);
	if (c->key_data) {
		struct curl_blob b = { c->key_data, c->key_data_len,
		                       CURL_BLOB_COPY };
		KC_OPT(CURLOPT_SSLKEY_BLOB, &b);
	}
	if (c->client_key || c->key_data)
		KC_OPT(CURLOPT_SSLKEYTYPE, "PEM");
	if (c->insecure) {
		KC_OPT(CURLOPT_SSL_VERIFYPEER, 0L);
		KC_OPT(CURLOPT_SSL_VERIFYHOST, 0L);
	}
#undef KC_OPT
	return rc;
}

static void kc_start(struct kc_res *r)
{
	struct kube_client *c = r->c;
	/* A list is one WatchList stream where the server offers it: the
	   state as ADDED events, a bookmark, then the watch goes on. */
	bool stream = r->next == KC_NEXT_LIST && c->watch_list && !c->list_only;
	bool watch = r->next == KC_NEXT_WATCH || stream;
	char url[KC_URL_MAX];
	unsigned timeout = c->watch_timeout_s;
	CURLcode rc;
	CURLMcode mc;

	if (!timeout)
		timeout = 240 + (unsigned)(kc_rand01(c) * 121.0);
	if (r->next == KC_NEXT_LIST && !r->cont)
		kc_list_begin(r);
	r->streaming = stream;
	r->initial_done = false;
	if (kube_client_build_url(url, sizeof(url), c->server, r->path, r->extra, watch,
	                          stream ? NULL : r->rv, stream ? NULL : r->cont,
	                          timeout) < 0 ||
	    (stream && strlen(url) + sizeof(KC_WATCH_LIST_QUERY) > sizeof(url))) {
		log_error("%s: request URL too long", r->name);
		goto fail;
	}
	if (stream)
		strcat(url, KC_WATCH_LIST_QUERY);
	r->parser = kube_json_new(watch ? KUBE_JSON_WATCH : KUBE_JSON_DOCUMENT,
	                          watch ? kc_watch_cb : kc_list_cb, r);
	if (r->parser)
		kube_json_set_default_kind(r->parser, (int)r->kind);
	r->easy = curl_easy_init();
	r->headers = kc_headers(c);
	if (!r->parser || !r->easy || !r->headers) {
		log_error("%s: out of memory starting a request", r->name);
		goto fail;
	}

	r->http_code = 0;
	r->code_known = false;
	r->retry_after = -1;
	r->errbody_len = 0;
	r->errbody[0] = '\0';
	r->errbuf[0] = '\0';
	r->parse_failed = false;
	r->got_error_event = false;
	r->error_code = 0;
	r->error_msg[0] = '\0';
	r->batch_changes = 0;
	r->watch_events = 0;
	evutil_gettimeofday(&r->started, NULL);

	rc = kc_set_options(r, url, watch, timeout);
	if (rc != CURLE_OK) {
		log_error("%s: curl_easy_setopt: %s", r->name,
		          curl_easy_strerror(rc));
		goto fail;
	}
	r->phase = watch ? KC_WATCH : KC_LIST;
	mc = curl_multi_add_handle(c->multi, r->easy);
	if (mc != CURLM_OK) {
		log_error("%s: curl_multi_add_handle: %s", r->name,
		          curl_multi_strerror(mc));
		r->phase = KC_IDLE;
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
		goto fail;
	}
	if (stream) {
		log_debug("%s: WatchList", r->name);
	} else if (watch) {
		c->st.watches++;
		if (!r->first_watch)
			c->st.watch_restarts++;
		r->first_watch = false;
		log_debug("%s: watch from resourceVersion %s", r->name,
		          r->rv ? r->rv : "(none)");
	}
	return;
fail:
	kc_end_transfer(r);
	if (c->list_only) {
		snprintf(c->fatal, sizeof(c->fatal), "%s: cannot start request",
		         r->name);
		kc_stop_list_only(c);
		return;
	}
	kc_schedule(r, r->next, kc_backoff(r));
}

/* "message":"..." of a Status body, or the body itself (429 is text). */
static void kc_status_message(const struct kc_res *r, char *out, size_t len)
{
	const char *m = strstr(r->errbody, "\"message\"");
	size_t i = 0;
	if (m) {
		m += 9;
		while (*m == ' ' || *m == ':')
			m++;
		if (*m == '"')
			m++;
		while (*m && *m != '"' && i + 1 < len) {
			if (*m == '\\' && m[1])
				m++;
			out[i++] = *m++;
		}
	} else {
		for (m = r->errbody; *m && *m != '\n' && i + 1 < len; m++)
			out[i++] = isprint((unsigned char)*m) ? *m : ' ';
	}
	out[i] = '\0';
}

static enum kc_fail_class kc_curl_class(CURLcode res)
{
	switch (res) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_USE_SSL_FAILED:
		return KC_FAIL_TLS;
	default:
		return KC_FAIL_NET;
	}
}

/* The list is complete: swap it into the cache in one step. */
static void kc_list_complete(struct kc_res *r, const char *list_rv)
{
	struct kube_client *c = r->c;
	size_t changes, n = r->list_objects;
	bool relist = r->listed;

	changes = r->list_changes + kc_list_sweep(r) + kc_kind_list_end(r);
	kc_list_end(r);
	free(r->cont);
	r->cont = NULL;
	if (list_rv && *list_rv)
		kc_set_str(&r->rv, list_rv);
	else
		log_warn("%s list has no resourceVersion; watching from now",
		         r->name);
	r->listed = true;
	r->unavailable = false;
	c->st.lists++;
	if (relist)
		c->st.relists++;
	log_info("%s %s%s: %zu objects, %zu changed, resourceVersion %s",
	         relist ? "relisted" : "listed", r->name,
	         r->streaming ? " (WatchList)" : "", n, changes, r->rv ? r->rv : "-");
	kc_listed(c, changes);
	if (c->list_only)
		return;
	r->first_watch = true;
	if (!r->streaming) /* a WatchList's stream goes on as the watch */
		kc_schedule(r, KC_NEXT_WATCH, 0);
}

/* A WatchList that ended before the bookmark ending its initial events. */
static void kc_watch_list_failed(struct kc_res *r, long code)
{
	struct kube_client *c = r->c;

	if (code != 200) {
		/* 422 from a server with the WatchList feature off, 400 from
		   one that does not know the parameters */
		log_info("%s: the API server does not offer WatchList (HTTP %ld); listing in pages",
		         r->name, code);
		c->watch_list = false;
		kc_relist(r, 0);
		return;
	}
	if (r->got_error_event) {
		log_warn("%s: WatchList ended by an ERROR event %d (%s); listing again", r->name,
		         r->error_code, r->error_msg);
		kc_relist(r, r->error_code == 410 ? 0 : kc_backoff(r));
		return;
	}
	/* A server that ignores sendInitialEvents streams the objects but
	   never the bookmark that ends them. */
	if (++r->watch_list_broken >= 2) {
		log_warn("%s: WatchList streams end without the bookmark that ends their initial "
		         "events; listing in pages", r->name);
		c->watch_list = false;
		kc_relist(r, 0);
		return;
	}
	log_info("%s: WatchList ended before its initial events did; listing again", r->name);
	kc_relist(r, kc_backoff(r));
}

/* A list page that came whole (200): the next page, or the list is
   complete. Returns false when its JSON was broken (parse_failed set). */
static bool kc_list_page_done(struct kc_res *r)
{
	struct kube_client *c = r->c;
	const char *cont;
	char err[256], *rv_copy;

	if (kube_json_finish(r->parser, err, sizeof(err)) < 0) {
		log_warn("%s list: broken JSON: %s", r->name, err);
		r->parse_failed = true;
		return false;
	}
	cont = kube_json_list_continue(r->parser);
	c->st.list_pages++;
	if (cont && *cont) {
		kc_set_str(&r->cont, cont);
		kc_end_transfer(r);
		kc_schedule(r, KC_NEXT_LIST, 0);
		return true;
	}
	rv_copy = kc_strdup0(kube_json_list_version(r->parser));
	kc_end_transfer(r);
	kc_list_complete(r, rv_copy);
	free(rv_copy);
	return true;
}

/* A watch the server ended (200, stream complete): resume from the last
   resourceVersion, or relist after a 410 ERROR event. */
static void kc_watch_ended(struct kc_res *r, double dur, bool short_watch)
{
	struct kube_client *c = r->c;
	char err[256];

	if (kube_json_finish(r->parser, err, sizeof(err)) < 0)
		log_debug("%s watch ended inside an event: %s", r->name, err);
	kc_end_transfer(r);
	if (r->got_error_event && r->error_code != 0 && r->error_code != 410) {
		/* A 429 or 5xx Status: the resourceVersion is still good, so
		   watch again after a backoff, no relist. */
		log_warn("%s watch: ERROR event %d (%s); watching again", r->name,
		         r->error_code, r->error_msg);
		kc_schedule(r, KC_NEXT_WATCH, kc_backoff(r));
		return;
	}
	if (r->got_error_event) {
		unsigned ms = r->relists_in_row
		                      ? kube_client_backoff_ms(r->relists_in_row - 1, -1,
		                                               kc_rand01(c))
		                      : 0;
		r->relists_in_row++;
		log_warn("%s watch: ERROR event (%s); relisting", r->name, r->error_msg);
		kc_relist(r, ms);
		return;
	}
	log_debug("%s watch ended after %.1f s; resuming from %s", r->name, dur,
	          r->rv ? r->rv : "-");
	kc_schedule(r, KC_NEXT_WATCH, short_watch ? kc_backoff(r) : 0);
}

/* Broken JSON: a watch carries on from the last good event; a list is
   read again. */
static void kc_parse_failed(struct kc_res *r, enum kc_phase phase, bool short_watch)
{
	struct kube_client *c = r->c;

	kc_end_transfer(r);
	if (phase == KC_WATCH) {
		/* events before the bad one are applied; carry on from the
		   last good resourceVersion */
		kc_schedule(r, KC_NEXT_WATCH, short_watch ? kc_backoff(r) : 0);
		return;
	}
	c->st.failures++;
	if (c->list_only) {
		snprintf(c->fatal, sizeof(c->fatal), "%s: broken list response", r->name);
		kc_stop_list_only(c);
		return;
	}
	kc_relist(r, kc_backoff(r));
}

/* Whether a 403 of r's makes it read namespace by namespace instead: a
   cluster-wide stream that has them, or the Namespaces when --namespaces
   names them and no --namespace-labels needs their labels. */
static bool kc_may_scope(const struct kc_res *r)
{
	const struct kube_client *c = r->c;

	if (!r->active || r->whole)
		return false;
	return r->n_scoped ||
	       (r->kind == KUBE_KIND_NAMESPACE && c->n_ns && !c->ns_labels_param);
}

/* The API forbids r cluster-wide: r stops for good, and its namespaces'
   streams start, or the Namespaces named exist. */
static void kc_scope(struct kc_res *r)
{
	struct kube_client *c = r->c;

	kc_list_end(r); /* the list it began, if any */
	free(r->cont);
	r->cont = NULL;
	r->active = false;
	if (r->kind == KUBE_KIND_NAMESPACE) {
		log_info("namespaces: forbidden cluster-wide (HTTP 403); the %zu of --namespaces exist",
		         c->n_ns);
		kc_listed(c, kc_put_named_namespaces(c));
		return;
	}
	log_info("%s: forbidden cluster-wide (HTTP 403); listing and watching it in each of the "
	         "%zu namespaces of --namespaces", r->name, r->n_scoped);
	for (size_t i = 0; i < r->n_scoped; i++) {
		struct kc_res *o = r + 1 + i;

		if (r->kind == KUBE_KIND_ENDPOINTS && o->kind != r->kind)
			kc_use_endpoints(o);
		o->active = true;
		kc_schedule(o, KC_NEXT_LIST, 0);
	}
}

/* --multicluster without the ServiceImport CRD or the permission to read
   it: the cluster's own names must not wait for it (CoreDNS serves after
   its startup timeout), so the first sync goes on without the imports,
   told once, and the list is retried as after any failure: installing
   the CRD or granting the rule needs no restart. */
static void kc_import_unavailable(struct kc_res *r, long code)
{
	kc_end_transfer(r);
	if (!r->unavailable)
		log_warn("%s: HTTP %ld: %s; the multicluster zones have no imports until it lists",
		         r->name, code,
		         code == 404 ? "the API has no ServiceImports (install the "
		                       "multicluster.x-k8s.io CRD)"
		                     : "forbidden (grant list and watch on "
		                       "serviceimports.multicluster.x-k8s.io)");
	r->unavailable = true;
	kc_relist(r, kc_backoff(r));
	kc_listed(r->c, 0);
}

/* A request that failed before any data (network, TLS, an HTTP status):
   410 relists, a 404 for EndpointSlices falls back to Endpoints, a 403
   cluster-wide may scope the stream (kc_scope), the rest is logged by
   class and retried after a backoff. */
static void kc_request_failed(struct kc_res *r, enum kc_phase phase, CURLcode res, long code)
{
	struct kube_client *c = r->c;
	char why[512], msg[300];
	enum kc_fail_class cls;

	if (res != CURLE_OK) {
		cls = kc_curl_class(res);
		snprintf(why, sizeof(why), "%s", r->errbuf[0] ? r->errbuf : curl_easy_strerror(res));
	} else if (code == 410) {
		kc_end_transfer(r);
		log_warn("%s: 410 Gone (%s); relisting", r->name,
		         phase == KC_LIST ? "continue token expired" : "resourceVersion too old");
		kc_relist(r, 0);
		return;
	} else if (code == 404 && phase == KC_LIST && r->is_slices &&
	           r->kind == KUBE_KIND_ENDPOINTSLICE) {
		kc_end_transfer(r);
		log_warn("%s: no EndpointSlice API (404); using v1 Endpoints", r->name);
		kc_use_endpoints(r);
		kc_relist(r, 0);
		return;
	} else if (code == 403 && kc_may_scope(r)) {
		kc_end_transfer(r);
		kc_scope(r);
		return;
	} else if ((code == 404 || code == 403) && r->kind == KUBE_KIND_SERVICEIMPORT &&
	           phase == KC_LIST) {
		kc_import_unavailable(r, code);
		return;
	} else {
		kc_status_message(r, msg, sizeof(msg));
		cls = code == 401   ? KC_FAIL_AUTH
		      : code == 403 ? KC_FAIL_FORBIDDEN
		      : code == 429 ? KC_FAIL_THROTTLED
		      : code >= 500 ? KC_FAIL_SERVER
		                    : KC_FAIL_OTHER;
		snprintf(why, sizeof(why), "HTTP %ld%s%s%s", code, msg[0] ? " \"" : "", msg,
		         msg[0] ? "\"" : "");
		if (code == 401) {
			size_t l = strlen(why);
			snprintf(why + l, sizeof(why) - l, ": bearer token rejected%s%s",
			         c->token_file ? ", from " : "", c->token_file ? c->token_file : "");
			kc_token_tick(-1, 0, c); /* it may have rotated */
		}
	}
	kc_end_transfer(r);
	kc_api_failed(c, cls, r, why);
	if (c->list_only) {
		kc_stop_list_only(c);
		return;
	}
	if (phase == KC_WATCH)
		kc_schedule(r, KC_NEXT_WATCH, kc_backoff(r));
	else
		kc_relist(r, kc_backoff(r));
}

/* A transfer ended: what comes next for its resource. */
static void kc_done(struct kc_res *r, CURLcode res)
{
	enum kc_phase phase = r->phase;
	long code = r->http_code;
	double dur = kc_elapsed(&r->started);
	bool short_watch;

	if (!r->code_known &&
	    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK)
		code = 0;
	short_watch = dur < 1.0 && r->watch_events == 0;

	if (phase == KC_WATCH && r->streaming && !r->initial_done) {
		if (code == 200 || (res == CURLE_OK && (code == 400 || code == 422))) {
			kc_end_transfer(r);
			kc_watch_list_failed(r, code);
			return;
		}
		phase = KC_LIST; /* any other failure: a list's, retried as one */
	}
	if (res == CURLE_OK && code == 200 && phase == KC_LIST && !r->parse_failed &&
	    kc_list_page_done(r))
		return;
	if (res == CURLE_OK && code == 200 && phase == KC_WATCH) {
		kc_watch_ended(r, dur, short_watch);
		return;
	}
	if (r->parse_failed) {
		kc_parse_failed(r, phase, short_watch);
		return;
	}
	if (res != CURLE_OK && code == 200 && phase == KC_WATCH) {
		/* the stream started, then broke: resume, no relist */
		log_info("%s watch dropped after %.1f s (%s); resuming from %s", r->name, dur,
		         r->errbuf[0] ? r->errbuf : curl_easy_strerror(res), r->rv ? r->rv : "-");
		kc_end_transfer(r);
		kc_schedule(r, KC_NEXT_WATCH, short_watch ? kc_backoff(r) : 0);
		return;
	}
	kc_request_failed(r, phase, res, code);
}

/* ---- curl multi <-> libevent ---------------------------------------------- */

static void kc_drain(struct kube_client *c)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(c->multi, &left))) {
		struct kc_res *r = NULL;
		if (m->msg != CURLMSG_DONE)
			continue;
		if (curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
		                      (char **)&r) != CURLE_OK || !r) {
			log_error("curl transfer without owner");
			continue;
		}
		kc_done(r, m->data.result);
	}
}

static void kc_sock_event(evutil_socket_t fd, short what, void *arg)
{
	struct kc_sock *s = arg;
	struct kube_client *c = s->c; /* s may be freed by the action */
	int action = 0, running = 0;
	CURLMcode mc;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	mc = curl_multi_socket_action(c->multi, fd, action, &running);
	if (mc != CURLM_OK)
		log_error("curl_multi_socket_action: %s",
		          curl_multi_strerror(mc));
	kc_drain(c);
}

static void kc_sock_free(struct kube_client *c, struct kc_sock *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		c->socks = s->next;
	if (s->next)
		s->next->prev = s->prev;
	if (s->ev)
		event_free(s->ev);
	free(s);
}

static int kc_socket_cb(CURL *e, curl_socket_t fd, int what, void *userp,
                        void *sockp)
{
	struct kube_client *c = userp;
	struct kc_sock *s = sockp;
	short kind;
	(void)e;

	if (what == CURL_POLL_REMOVE) {
		if (s) {
			kc_sock_free(c, s);
			if (curl_multi_assign(c->multi, fd, NULL) != CURLM_OK)
				log_debug("curl_multi_assign(NULL) failed");
		}
		return 0;
	}
	kind = EV_PERSIST;
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -1;
		s->c = c;
		s->fd = fd;
		s->next = c->socks;
		if (c->socks)
			c->socks->prev = s;
		c->socks = s;
		if (curl_multi_assign(c->multi, fd, s) != CURLM_OK) {
			kc_sock_free(c, s);
			return -1;
		}
	}
	if (s->ev)
		event_free(s->ev);
	s->ev = event_new(c->base, fd, kind, kc_sock_event, s);
	if (!s->ev || event_add(s->ev, NULL) < 0) {
		log_error("cannot watch a curl socket");
		return -1;
	}
	return 0;
}

static void kc_curl_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct kube_client *c = arg;
	int running = 0;
	CURLMcode mc;
	(void)fd;
	(void)what;
	mc = curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0,
	                              &running);
	if (mc != CURLM_OK)
		log_error("curl_multi_socket_action: %s",
		          curl_multi_strerror(mc));
	kc_drain(c);
}

static int kc_timer_fn(CURLM *multi, long timeout_ms, void *userp)
{
	struct kube_client *c = userp;
	struct timeval tv;
	(void)multi;
	if (timeout_ms < 0)
		return evtimer_del(c->curl_timer) < 0 ? -1 : 0;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(c->curl_timer, &tv) < 0 ? -1 : 0;
}

/* ---- lifecycle -------------------------------------------------------------- */

/* "labelSelector=<selector, URL-encoded>", allocated; NULL when out of
   memory. */
static char *kc_selector_param(const char *selector)
{
	size_t len = sizeof("labelSelector=") + 3 * strlen(selector);
	size_t pos = sizeof("labelSelector=") - 1;
	char *p = malloc(len);

	if (!p)
		return NULL;
	memcpy(p, "labelSelector=", pos + 1);
	if (kc_append_enc(p, len, &pos, selector) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

/* The labelSelector of the slices a ServiceImport has, and labels's.
   Returns 0, or -1 out of memory. */
static int kc_mcs_slices_param(struct kube_client *c, const char *labels)
{
	static const char mcs[] = "multicluster.kubernetes.io/service-name";
	size_t n = (labels ? strlen(labels) + 1 : 0) + sizeof(mcs);
	char *selector = malloc(n);

	if (!selector)
		return -1;
	snprintf(selector, n, "%s%s%s", labels ? labels : "", labels ? "," : "", mcs);
	c->mcs_slices_param = kc_selector_param(selector);
	free(selector);
	return c->mcs_slices_param ? 0 : -1;
}

/* A cluster-wide stream and, with --namespaces, for a namespaced kind,
   one per namespace (started by kc_scope). Returns the cluster-wide one,
   or NULL when a namespace's path would be too long. */
static struct kc_res *kc_add_res(struct kube_client *c, const char *api, const char *resource,
                                 const char *extra, enum kube_kind kind, bool optional)
{
	bool namespaced = kind != KUBE_KIND_NAMESPACE && kind != KUBE_KIND_NODE;
	struct kc_res *whole = &c->res[c->n_res];
	size_t n = namespaced ? c->n_ns : 0;

	for (size_t i = 0; i <= n; i++) {
		struct kc_res *r = &c->res[c->n_res++];

		r->c = c;
		r->api = api;
		r->resource = resource;
		r->ns = i ? c->ns_names[i - 1] : NULL;
		r->whole = i ? whole : NULL;
		r->active = i == 0;
		r->extra = extra;
		r->kind = kind;
		r->is_slices = kind == KUBE_KIND_ENDPOINTSLICE;
		r->optional = optional;
		r->retry_after = -1;
		r->next = KC_NEXT_LIST;
		if (kc_res_locate(r) < 0)
			return NULL;
	}
	whole->n_scoped = n;
	return whole;
}

/* Copies --namespaces and makes room for every stream. Returns 0, or -1
   out of memory. */
static int kc_alloc_res(struct kube_client *c, const struct kube_client_config *cfg)
{
	c->res = calloc(KC_MAX_RESOURCES + KC_SCOPABLE * cfg->n_namespaces, sizeof(*c->res));
	if (cfg->n_namespaces && !(c->ns_names = calloc(cfg->n_namespaces, sizeof(char *))))
		return -1;
	for (; c->n_ns < cfg->n_namespaces; c->n_ns++)
		if (!(c->ns_names[c->n_ns] = strdup(cfg->namespaces[c->n_ns])))
			return -1;
	return c->res ? 0 : -1;
}

/* The streams the config asks for. Returns 0, or -1 with err set. */
static int kc_add_resources(struct kube_client *c, const struct kube_client_config *cfg,
                            char *err, size_t errlen)
{
	static const char running[] = "fieldSelector=status.phase%21%3DSucceeded%2C"
	                              "status.phase%21%3DFailed%2Cstatus.phase%21%3DUnknown";
	bool ok;

	/* The API filters by label (CoreDNS's labels and namespace_labels);
	   the cache checks again (svc_cache_select), as it does for --dir. */
	if (kc_alloc_res(c, cfg) < 0 ||
	    (cfg->labels && !(c->labels_param = kc_selector_param(cfg->labels))) ||
	    (cfg->namespace_labels &&
	     !(c->ns_labels_param = kc_selector_param(cfg->namespace_labels)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (cfg->watch_pods && c->labels_param && !cfg->pods_only_clients) {
		size_t n = sizeof(running) + 1 + strlen(c->labels_param);
		if (!(c->pods_param = malloc(n))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		snprintf(c->pods_param, n, "%s&%s", running, c->labels_param);
	}
	ok = kc_add_res(c, "/api/v1", "services", c->labels_param, KUBE_KIND_SERVICE, false) != NULL;
	if (ok && cfg->watch_endpoints) {
		ok = kc_add_res(c, "/apis/discovery.k8s.io/v1", "endpointslices", c->labels_param,
		                KUBE_KIND_ENDPOINTSLICE, false) != NULL;
	} else if (ok && cfg->watch_service_imports) {
		/* CoreDNS's noendpoints leaves the multicluster endpoints: their
		   slices alone (its selector, with --labels's). */
		if (kc_mcs_slices_param(c, cfg->labels) < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		ok = kc_add_res(c, "/apis/discovery.k8s.io/v1", "endpointslices",
		                c->mcs_slices_param, KUBE_KIND_ENDPOINTSLICE, false) != NULL;
	}
	/* A namespace exists from its Namespace object, not only while it
	   holds Services: <ns>.svc answers NODATA, and with --pods insecure
	   its pod names resolve, as CoreDNS (which watches them) answers. */
	if (ok && cfg->watch_namespaces)
		ok = kc_add_res(c, "/api/v1", "namespaces", c->ns_labels_param,
		                KUBE_KIND_NAMESPACE, false) != NULL;
	if (ok && cfg->watch_pods)
		ok = kc_add_res(c, "/api/v1", "pods", c->pods_param ? c->pods_param : running,
		                KUBE_KIND_POD, cfg->pods_only_clients) != NULL;
	if (ok && cfg->watch_nodes)
		ok = kc_add_res(c, "/api/v1", "nodes", NULL, KUBE_KIND_NODE, true) != NULL;
	/* CoreDNS lists them with no label selector of --labels. */
	if (ok && cfg->watch_service_imports)
		ok = kc_add_res(c, "/apis/multicluster.x-k8s.io/v1alpha1", "serviceimports", NULL,
		                KUBE_KIND_SERVICEIMPORT, false) != NULL;
	if (!ok)
		snprintf(err, errlen, "--namespaces: a name too long for a request path");
	return ok ? 0 : -1;
}

/* Copies what c keeps of cfg (its strings and blobs). Returns 0, or -1
   out of memory. */
static int kc_copy_config(struct kube_client *c, const struct kube_client_config *cfg)
{
	bool oom = false;

	c->insecure = cfg->insecure;
	c->watch_timeout_s = cfg->watch_timeout_s;
	c->server = strdup(cfg->server);
	oom |= !c->server;
#define KC_DUP(f)                                                          \
	do {                                                               \
		c->f = kc_strdup0(cfg->f);                                 \
		oom |= cfg->f && !c->f;                                    \
	} while (0)
	KC_DUP(token);
	KC_DUP(token_file);
	KC_DUP(ca_file);
	KC_DUP(client_cert);
	KC_DUP(client_key);
#undef KC_DUP
#define KC_BLOB(f)                                                         \
	do {                                                               \
		c->f = kc_memdup(cfg->f, cfg->f##_len);                    \
		c->f##_len = c->f ? cfg->f##_len : 0;                      \
		oom |= cfg->f && cfg->f##_len && !c->f;                    \
	} while (0)
	KC_BLOB(ca_data);
	KC_BLOB(cert_data);
	KC_BLOB(key_data);
#undef KC_BLOB
	return oom ? -1 : 0;
}

/* The seed of the backoff jitter: different per process and client. */
static uint64_t kc_seed(const struct kube_client *c)
{
	struct timeval now;
	uint64_t rng;

	evutil_gettimeofday(&now, NULL);
	rng = ((uint64_t)now.tv_sec << 20) ^ (uint64_t)now.tv_usec ^ (uint64_t)(uintptr_t)c;
	return rng ? rng : 88172645463325252ULL;
}

/* libcurl's multi handle driven by base (its sockets and timer), the
   token file's re-read timer and each resource's retry timer. Returns 0,
   or -1 with err. */
static int kc_start_events(struct kube_client *c, char *err, size_t errlen)
{
	CURLMcode mc = CURLM_OK;
	size_t i;

	c->multi = curl_multi_init();
	c->curl_timer = evtimer_new(c->base, kc_curl_timeout, c);
	if (c->token_file)
		c->token_timer = event_new(c->base, -1, EV_PERSIST, kc_token_tick, c);
	if (!c->multi || !c->curl_timer || (c->token_file && !c->token_timer)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (mc == CURLM_OK)
		mc = curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, kc_socket_cb);
	if (mc == CURLM_OK)
		mc = curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	if (mc == CURLM_OK)
		mc = curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, kc_timer_fn);
	if (mc == CURLM_OK)
		mc = curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	if (mc != CURLM_OK) {
		snprintf(err, errlen, "curl_multi_setopt: %s", curl_multi_strerror(mc));
		return -1;
	}
	if (c->token_timer) {
		struct timeval tv = { KC_TOKEN_REREAD_S, 0 };
		if (event_add(c->token_timer, &tv) < 0) {
			snprintf(err, errlen, "cannot arm the token timer");
			return -1;
		}
	}
	for (i = 0; i < c->n_res; i++) {
		c->res[i].timer = evtimer_new(c->base, kc_timer_cb, &c->res[i]);
		if (!c->res[i].timer) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

struct kube_client *kube_client_new(struct event_base *base,
                                    struct svc_cache *cache,
                                    const struct kube_client_config *cfg,
                                    kube_client_changed_fn changed, void *ctx,
                                    char *err, size_t errlen)
{
	struct kube_client *c;
	size_t i;

	if (!cfg || !cfg->server || !*cfg->server) {
		snprintf(err, errlen, "no API server URL");
		return NULL;
	}
	if (strncmp(cfg->server, "http://", 7) != 0 &&
	    strncmp(cfg->server, "https://", 8) != 0) {
		snprintf(err, errlen,
		         "API server URL %s: must start with http:// or https://",
		         cfg->server);
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "curl_global_init failed");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		curl_global_cleanup();
		return NULL;
	}
	c->base = base;
	c->cache = cache;
	c->changed = changed;
	c->ctx = ctx;
	c->watch_list = true;
	c->rng = kc_seed(c);
	if (kc_copy_config(c, cfg) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (c->token_file && kc_read_token(c, err, errlen) < 0)
		goto fail;
	if (kc_add_resources(c, cfg, err, errlen) < 0 || kc_start_events(c, err, errlen) < 0)
		goto fail;
	for (i = 0; i < c->n_res; i++)
		if (c->res[i].active)
			kc_schedule(&c->res[i], KC_NEXT_LIST, 0);
	return c;
fail:
	kube_client_free(c);
	return NULL;
}

bool kube_client_synced(const struct kube_client *c)
{
	return c && c->st.synced;
}

void kube_client_reload_token(struct kube_client *c)
{
	if (c && c->token_file)
		kc_token_tick(-1, 0, c);
}

void kube_client_get_stats(const struct kube_client *c,
                           struct kube_client_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (c)
		*out = c->st;
}

void kube_client_free(struct kube_client *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_res; i++) {
		struct kc_res *r = &c->res[i];
		kc_end_transfer(r);
		if (r->timer)
			event_free(r->timer);
		bytemap_free(r->seen, NULL);
		free(r->rv);
		free(r->cont);
	}
	if (c->multi) {
		CURLMcode mc = curl_multi_cleanup(c->multi);
		if (mc != CURLM_OK)
			log_warn("curl_multi_cleanup: %s",
			         curl_multi_strerror(mc));
	}
	while (c->socks)
		kc_sock_free(c, c->socks);
	if (c->curl_timer)
		event_free(c->curl_timer);
	if (c->token_timer)
		event_free(c->token_timer);
	free(c->res);
	for (size_t i = 0; i < c->n_ns; i++)
		free(c->ns_names[i]);
	free(c->ns_names);
	free(c->labels_param);
	free(c->ns_labels_param);
	free(c->pods_param);
	free(c->mcs_slices_param);
	free(c->server);
	free(c->token);
	free(c->token_file);
	free(c->ca_file);
	free(c->client_cert);
	free(c->client_key);
	free(c->ca_data);
	free(c->cert_data);
	free(c->key_data);
	free(c);
	curl_global_cleanup();
}

static void kc_list_once_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct kube_client *c = arg;
	(void)fd;
	(void)what;
	if (!c->fatal[0])
		snprintf(c->fatal, sizeof(c->fatal),
		         "%s: no complete list within the time limit",
		         c->server);
	kc_stop_list_only(c);
}

int kube_client_list_once(struct svc_cache *cache,
                          const struct kube_client_config *cfg,
                          unsigned timeout_s, char *err, size_t errlen)
{
	struct event_base *base = event_base_new();
	struct kube_client *c;
	struct event *deadline = NULL;
	struct timeval tv = { timeout_s ? timeout_s : 30, 0 };
	int ret = -1;

	if (!base) {
		snprintf(err, errlen, "cannot create an event loop");
		return -1;
	}
	c = kube_client_new(base, cache, cfg, NULL, NULL, err, errlen);
	if (!c) {
		event_base_free(base);
		return -1;
	}
	c->list_only = true;
	deadline = evtimer_new(base, kc_list_once_timeout, c);
	if (!deadline || evtimer_add(deadline, &tv) < 0) {
		snprintf(err, errlen, "cannot arm the deadline timer");
		goto out;
	}
	while (!c->done)
		if (event_base_loop(base, EVLOOP_ONCE) < 0)
			break;
	if (c->st.synced && !c->fatal[0]) {
		ret = 0;
	} else {
		snprintf(err, errlen, "%s",
		         c->fatal[0] ? c->fatal : "event loop failed");
	}
out:
	if (deadline)
		event_free(deadline);
	kube_client_free(c);
	event_base_free(base);
	return ret;
}
