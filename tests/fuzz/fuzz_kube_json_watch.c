/* fuzz_kube_json_watch.c - the watch-stream parser fed arbitrary chunk
 * splits. Byte 0 picks the default kind, byte 1 the largest chunk, byte 2
 * seeds the split points; the rest is the stream. The chunked parse must
 * succeed or fail exactly as a whole-buffer parse does, and when both
 * succeed deliver the same events with the same objects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "kube_json.h"
#include "kube_object.h"
#include "log.h"

/* A running digest of the events: FNV-1a over a canonical rendering. */
struct trace {
	uint64_t hash;
	size_t events;
};

static void trace_bytes(struct trace *t, const void *p, size_t n);
static void trace_str(struct trace *t, const char *s);
static void trace_object(struct trace *t, const struct kube_object *obj);
static void on_event(void *ctx, enum kube_json_event ev,
                     struct kube_object *obj, const char *message);
static int run(const char *buf, size_t len, int kind, size_t max_chunk,
               uint32_t seed, struct trace *t);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz_kube_json_watch", LOG_LEVEL_ERROR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace whole, chunked;
	int kind, rw, rc;
	size_t max_chunk;
	uint32_t seed;

	if (size < 3)
		return 0;
	kind = data[0] % KUBE_KIND_COUNT; /* 0: no default kind */
	max_chunk = (size_t)data[1] + 1;
	seed = data[2] | 1u;
	data += 3;
	size -= 3;

	rw = run((const char *)data, size, kind, 0, 0, &whole);
	rc = run((const char *)data, size, kind, max_chunk, seed, &chunked);
	FUZZ_ASSERT(rw == rc);
	if (rw == 0) {
		FUZZ_ASSERT(whole.events == chunked.events);
		FUZZ_ASSERT(whole.hash == chunked.hash);
	}
	return 0;
}

/* max_chunk 0: one feed of the whole buffer. */
static int run(const char *buf, size_t len, int kind, size_t max_chunk,
               uint32_t seed, struct trace *t)
{
	struct kube_json *p;
	char err[256];
	size_t pos = 0;
	int r = 0;

	t->hash = 1469598103934665603ull;
	t->events = 0;
	p = kube_json_new(KUBE_JSON_WATCH, on_event, t);
	FUZZ_ASSERT(p);
	if (kind)
		kube_json_set_default_kind(p, kind);
	while (pos < len && r == 0) {
		size_t n = len - pos;
		if (max_chunk) {
			seed ^= seed << 13; /* xorshift32 */
			seed ^= seed >> 17;
			seed ^= seed << 5;
			if (n > 1 + seed % max_chunk)
				n = 1 + seed % max_chunk;
		}
		err[0] = '\0';
		r = kube_json_feed(p, buf + pos, n, err, sizeof(err));
		if (r < 0)
			FUZZ_ASSERT(err[0] != '\0');
		pos += n;
	}
	if (r == 0) {
		err[0] = '\0';
		r = kube_json_finish(p, err, sizeof(err));
		if (r < 0)
			FUZZ_ASSERT(err[0] != '\0');
	}
	kube_json_free(p);
	return r;
}

static void on_event(void *ctx, enum kube_json_event ev,
                     struct kube_object *obj, const char *message)
{
	struct trace *t = ctx;
	uint8_t e = (uint8_t)ev;

	FUZZ_ASSERT(ev != KUBE_EV_OBJECT);
	if (ev == KUBE_EV_ERROR)
		FUZZ_ASSERT(obj == NULL);
	t->events++;
	trace_bytes(t, &e, 1);
	trace_str(t, message);
	trace_object(t, obj);
	kube_object_free(obj);
}

static void trace_bytes(struct trace *t, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		t->hash ^= b[i];
		t->hash *= 1099511628211ull;
	}
}

static void trace_str(struct trace *t, const char *s)
{
	/* NULL and "" differ; the NUL ends each string. */
	trace_bytes(t, s ? "s" : "n", 1);
	if (s)
		trace_bytes(t, s, strlen(s) + 1);
}

static void trace_ips(struct trace *t, const struct kube_ip *ips, size_t n)
{
	size_t i;

	trace_bytes(t, &n, sizeof(n));
	for (i = 0; i < n; i++) {
		FUZZ_ASSERT(ips[i].family == AF_INET || ips[i].family == AF_INET6);
		trace_bytes(t, &ips[i].family, 1);
		trace_bytes(t, ips[i].bytes, ips[i].family == AF_INET ? 4 : 16);
	}
}

static void trace_ports(struct trace *t, const struct kube_port *p, size_t n)
{
	size_t i;

	trace_bytes(t, &n, sizeof(n));
	for (i = 0; i < n; i++) {
		FUZZ_ASSERT(p[i].name);
		trace_str(t, p[i].name);
		trace_bytes(t, &p[i].port, sizeof(p[i].port));
		trace_bytes(t, &p[i].proto, sizeof(p[i].proto));
	}
}

static void trace_object(struct trace *t, const struct kube_object *obj)
{
	size_t i;

	for (; obj; obj = obj->next_subset) {
		trace_bytes(t, &obj->kind, 1);
		trace_str(t, obj->ns);
		trace_str(t, obj->name);
		trace_str(t, obj->resource_version);
		switch (obj->kind) {
		case KUBE_KIND_SERVICE:
			trace_bytes(t, &obj->u.svc.type, 1);
			trace_bytes(t, &obj->u.svc.publish_not_ready, 1);
			trace_str(t, obj->u.svc.cluster_ip);
			trace_ips(t, obj->u.svc.cluster_ips, obj->u.svc.n_cluster_ips);
			trace_str(t, obj->u.svc.external_name);
			trace_ports(t, obj->u.svc.ports, obj->u.svc.n_ports);
			break;
		case KUBE_KIND_ENDPOINTSLICE:
		case KUBE_KIND_ENDPOINTS:
			trace_str(t, obj->u.slice.service_name);
			trace_bytes(t, &obj->u.slice.from_endpoints, 1);
			trace_bytes(t, &obj->u.slice.n_endpoints, sizeof(obj->u.slice.n_endpoints));
			for (i = 0; i < obj->u.slice.n_endpoints; i++) {
				const struct kube_endpoint *e = &obj->u.slice.endpoints[i];
				trace_ips(t, e->addrs, e->n_addrs);
				trace_str(t, e->hostname);
				trace_str(t, e->target_name);
				trace_bytes(t, &e->ready, 1);
			}
			trace_ports(t, obj->u.slice.ports, obj->u.slice.n_ports);
			break;
		case KUBE_KIND_POD:
			trace_ips(t, obj->u.pod.ips, obj->u.pod.n_ips);
			trace_str(t, obj->u.pod.hostname);
			trace_str(t, obj->u.pod.subdomain);
			trace_str(t, obj->u.pod.phase);
			break;
		default:
			break;
		}
	}
}
