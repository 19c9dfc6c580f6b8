/* test_svc_cache.c - the object cache: put, replace, get, remove, clear,
 * counts, iteration and the generation counter; Endpoints objects with
 * chained subsets are freed whole (run under valgrind to see it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kube_json.h"
#include "kube_object.h"
#include "label_selector.h"
#include "svc_cache.h"
#include "cache_fixture.h"

static struct kube_object *make(enum kube_kind kind, const char *ns, const char *name)
{
	struct kube_object *o = calloc(1, sizeof(*o));

	assert_non_null(o);
	o->kind = (uint8_t)kind;
	o->ns = strdup(ns);
	o->name = strdup(name);
	assert_non_null(o->ns);
	assert_non_null(o->name);
	if (kind == KUBE_KIND_SERVICE) {
		o->u.svc.cluster_ip = strdup("10.0.0.1");
		o->u.svc.cluster_ips = calloc(1, sizeof(struct kube_ip));
		assert_non_null(o->u.svc.cluster_ips);
		assert_int_equal(kube_ip_parse("10.0.0.1", o->u.svc.cluster_ips), 0);
		o->u.svc.n_cluster_ips = 1;
	} else if (kind == KUBE_KIND_ENDPOINTSLICE || kind == KUBE_KIND_ENDPOINTS) {
		o->u.slice.service_name = strdup(name);
	}
	return o;
}

/* A service with two ports and a slice with two endpoints, by hand (every
   string its own allocation, as a source may build them). */
static struct kube_object *make_full(enum kube_kind kind, const char *name)
{
	struct kube_object *o = make(kind, "ns1", name);
	struct kube_port *ports = calloc(2, sizeof(*ports));

	assert_non_null(ports);
	ports[0].name = strdup("http");
	ports[0].port = 80;
	ports[1].name = strdup("");
	ports[1].port = 53;
	ports[1].proto = KUBE_PROTO_UDP;
	o->resource_version = strdup("42");
	if (kind == KUBE_KIND_SERVICE) {
		o->u.svc.ports = ports;
		o->u.svc.n_ports = 2;
		o->u.svc.external_name = strdup("example.org");
	} else {
		struct kube_endpoint *eps = calloc(2, sizeof(*eps));
		size_t i;

		assert_non_null(eps);
		for (i = 0; i < 2; i++) {
			eps[i].addrs = calloc(1, sizeof(struct kube_ip));
			assert_non_null(eps[i].addrs);
			assert_int_equal(kube_ip_parse(i ? "fd00::2" : "10.1.0.1", eps[i].addrs), 0);
			eps[i].n_addrs = 1;
			eps[i].ready = i == 0;
		}
		eps[0].hostname = strdup("web-0");
		eps[1].target_name = strdup("pod-1");
		o->u.slice.endpoints = eps;
		o->u.slice.n_endpoints = 2;
		o->u.slice.ports = ports;
		o->u.slice.n_ports = 2;
	}
	return o;
}

static bool inside(const struct kube_object *block, const void *p)
{
	const char *b = (const char *)block;
	/* malloc_usable_size is not portable: the packed data follows the
	   struct within a few hundred bytes for these objects. */
	return (const char *)p >= b && (const char *)p < b + 4096;
}

/* Packing keeps every field, moves them into the object's block, packs a
   chain of subsets, and leaves an already packed object alone. */
static void test_pack(void **state)
{
	static const enum kube_kind kinds[] = {KUBE_KIND_SERVICE, KUBE_KIND_ENDPOINTSLICE,
	                                       KUBE_KIND_ENDPOINTS};
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct kube_object *obj = make_full(kinds[k], "a");
		struct kube_object *ref = make_full(kinds[k], "a");
		struct kube_object *packed;

		if (kinds[k] == KUBE_KIND_ENDPOINTS) {
			obj->next_subset = make_full(kinds[k], "a");
			ref->next_subset = make_full(kinds[k], "a");
			free(ref->next_subset->u.slice.endpoints[0].hostname);
			free(obj->next_subset->u.slice.endpoints[0].hostname);
			ref->next_subset->u.slice.endpoints[0].hostname = strdup("other");
			obj->next_subset->u.slice.endpoints[0].hostname = strdup("other");
		}
		packed = kube_object_pack(obj);
		assert_non_null(packed);
		assert_true(packed->packed);
		assert_true(kube_object_equal(packed, ref));
		assert_true(inside(packed, packed->ns));
		assert_true(inside(packed, packed->resource_version));
		assert_string_equal(packed->resource_version, "42");
		if (kinds[k] == KUBE_KIND_SERVICE) {
			assert_true(inside(packed, packed->u.svc.ports[0].name));
			assert_string_equal(packed->u.svc.ports[0].name, "http");
			assert_string_equal(packed->u.svc.external_name, "example.org");
		} else {
			assert_true(inside(packed, packed->u.slice.endpoints[1].addrs));
			assert_string_equal(packed->u.slice.endpoints[1].target_name, "pod-1");
			assert_int_equal(packed->u.slice.endpoints[1].addrs[0].family,
			                 ref->u.slice.endpoints[1].addrs[0].family);
		}
		if (kinds[k] == KUBE_KIND_ENDPOINTS) {
			assert_non_null(packed->next_subset);
			assert_true(packed->next_subset->packed);
			assert_string_equal(packed->next_subset->u.slice.endpoints[0].hostname,
			                    "other");
		}
		assert_ptr_equal(kube_object_pack(packed), packed);
		kube_object_free(packed);
		kube_object_free(ref);
	}
	assert_null(kube_object_pack(NULL));
}

/* Parses one document and puts every object into c. */
static void put_json(struct svc_cache *c, const char *json);

static void put_json(struct svc_cache *c, const char *json)
{
	char err[256] = "";

	if (kube_json_parse_document(json, strlen(json), cache_put_cb, c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

static void test_put_get_replace(void **state)
{
	struct svc_cache *c = svc_cache_new();
	struct kube_object *a, *b, *a_copy, *b_copy;
	uint64_t g0, g1, g2;
	(void)state;

	assert_non_null(c);
	g0 = svc_cache_generation(c);
	assert_int_equal(svc_cache_count(c, KUBE_KIND_SERVICE), 0);
	assert_null(svc_cache_get(c, KUBE_KIND_SERVICE, "ns", "a"));

	a = make(KUBE_KIND_SERVICE, "ns", "a");
	a_copy = kube_object_clone(a);
	assert_int_equal(svc_cache_put(c, a), 0);
	g1 = svc_cache_generation(c);
	assert_true(g1 > g0);
	assert_true(kube_object_equal(svc_cache_get(c, KUBE_KIND_SERVICE, "ns", "a"), a_copy));
	assert_int_equal(svc_cache_count(c, KUBE_KIND_SERVICE), 1);
	/* kind, namespace and name all make the key */
	assert_null(svc_cache_get(c, KUBE_KIND_ENDPOINTSLICE, "ns", "a"));
	assert_null(svc_cache_get(c, KUBE_KIND_SERVICE, "ns2", "a"));
	assert_null(svc_cache_get(c, KUBE_KIND_SERVICE, "ns", "b"));
	assert_null(svc_cache_get(c, KUBE_KIND_SERVICE, "n", "sa"));

	/* replace: same key, new object; the old one is freed by the cache */
	b = make(KUBE_KIND_SERVICE, "ns", "a");
	b->u.svc.type = KUBE_SVC_HEADLESS;
	b_copy = kube_object_clone(b);
	assert_int_equal(svc_cache_put(c, b), 0);
	g2 = svc_cache_generation(c);
	assert_true(g2 > g1);
	assert_true(kube_object_equal(svc_cache_get(c, KUBE_KIND_SERVICE, "ns", "a"), b_copy));
	assert_false(kube_object_equal(b_copy, a_copy));
	kube_object_free(a_copy);
	kube_object_free(b_copy);
	assert_int_equal(svc_cache_count(c, KUBE_KIND_SERVICE), 1);

	/* same ns/name, other kinds: separate entries */
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_ENDPOINTSLICE, "ns", "a")), 0);
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_ENDPOINTS, "ns", "a")), 0);
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_NAMESPACE, "", "ns")), 0);
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_POD, "ns", "a")), 0);
	assert_int_equal(svc_cache_count(c, KUBE_KIND_SERVICE), 1);
	assert_int_equal(svc_cache_count(c, KUBE_KIND_ENDPOINTSLICE), 1);
	assert_int_equal(svc_cache_count(c, KUBE_KIND_ENDPOINTS), 1);
	assert_int_equal(svc_cache_count(c, KUBE_KIND_NAMESPACE), 1);
	assert_int_equal(svc_cache_count(c, KUBE_KIND_POD), 1);
	assert_non_null(svc_cache_get(c, KUBE_KIND_NAMESPACE, "", "ns"));
	assert_int_equal(svc_cache_get(c, KUBE_KIND_SERVICE, "ns", "a")->u.svc.type,
	                 KUBE_SVC_HEADLESS);
	svc_cache_free(c);
}

/* svc_cache_only_namespaces: objects of other namespaces are dropped (put
   says "nothing changed"); a Namespace object counts by its name. */
static void test_only_namespaces(void **state)
{
	struct svc_cache *c = svc_cache_new();
	static const char *const keep[] = {"shop", "data"};

	(void)state;
	assert_non_null(c);
	assert_int_equal(svc_cache_only_namespaces(c, keep, 2), 0);
	put_json(c, "{\"kind\":\"List\",\"items\":["
	            "{\"kind\":\"Service\",\"metadata\":{\"name\":\"a\",\"namespace\":\"shop\"},"
	            "\"spec\":{\"clusterIP\":\"10.0.0.1\"}},"
	            "{\"kind\":\"Service\",\"metadata\":{\"name\":\"b\",\"namespace\":\"other\"},"
	            "\"spec\":{\"clusterIP\":\"10.0.0.2\"}},"
	            "{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"data\"}},"
	            "{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"other\"}}]}");
	assert_non_null(svc_cache_get(c, KUBE_KIND_SERVICE, "shop", "a"));
	assert_null(svc_cache_get(c, KUBE_KIND_SERVICE, "other", "b"));
	assert_int_equal(svc_cache_count(c, KUBE_KIND_SERVICE), 1);
	assert_int_equal(svc_cache_count(c, KUBE_KIND_NAMESPACE), 1);
	assert_true(svc_cache_namespace_exists(c, "data"));
	assert_false(svc_cache_namespace_exists(c, "other"));
	svc_cache_free(c);
}

static void test_put_unknown_kind(void **state)
{
	struct svc_cache *c = svc_cache_new();
	(void)state;

	/* takes ownership even on failure: valgrind sees no leak */
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_UNKNOWN, "ns", "x")), -1);
	assert_int_equal(svc_cache_count(c, KUBE_KIND_UNKNOWN), 0);
	svc_cache_free(c);
}

static void test_remove(void **state)
{
	struct svc_cache *c = svc_cache_new();
	uint64_t g;
	(void)state;

	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_SERVICE, "ns", "a")), 0);
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_SERVICE, "ns", "b")), 0);
	g = svc_cache_generation(c);
	assert_int_equal(svc_cache_remove(c, KUBE_KIND_SERVICE, "ns", "zzz"), 0);
	assert_int_equal(svc_cache_remove(c, KUBE_KIND_POD, "ns", "a"), 0);
	assert_int_equal(svc_cache_generation(c), g); /* nothing changed */
	assert_int_equal(svc_cache_remove(c, KUBE_KIND_SERVICE, "ns", "a"), 1);
	assert_true(svc_cache_generation(c) > g);
	assert_null(svc_cache_get(c, KUBE_KIND_SERVICE, "ns", "a"));
	assert_non_null(svc_cache_get(c, KUBE_KIND_SERVICE, "ns", "b"));
	assert_int_equal(svc_cache_count(c, KUBE_KIND_SERVICE), 1);
	assert_int_equal(svc_cache_remove(c, KUBE_KIND_SERVICE, "ns", "a"), 0);
	/* put again after remove */
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_SERVICE, "ns", "a")), 0);
	assert_int_equal(svc_cache_count(c, KUBE_KIND_SERVICE), 2);
	svc_cache_free(c);
}

static void test_clear(void **state)
{
	struct svc_cache *c = svc_cache_new();
	uint64_t g;
	int i;
	char name[32];
	(void)state;

	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		assert_int_equal(svc_cache_put(c, make(KUBE_KIND_SERVICE, "ns", name)), 0);
		assert_int_equal(svc_cache_put(c, make(KUBE_KIND_POD, "ns", name)), 0);
	}
	assert_int_equal(svc_cache_count(c, KUBE_KIND_SERVICE), 100);
	g = svc_cache_generation(c);
	svc_cache_clear(c);
	assert_true(svc_cache_generation(c) > g);
	assert_int_equal(svc_cache_count(c, KUBE_KIND_SERVICE), 0);
	assert_int_equal(svc_cache_count(c, KUBE_KIND_POD), 0);
	assert_null(svc_cache_get(c, KUBE_KIND_SERVICE, "ns", "s1"));
	/* usable after clear */
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_SERVICE, "ns", "s1")), 0);
	assert_non_null(svc_cache_get(c, KUBE_KIND_SERVICE, "ns", "s1"));
	svc_cache_free(c);
}

struct visit {
	int seen[50];
	size_t calls;
	size_t stop_after;
};

static int visit(void *ctx, const struct kube_object *obj)
{
	struct visit *v = ctx;
	int i;

	assert_int_equal(obj->kind, KUBE_KIND_SERVICE);
	assert_int_equal(sscanf(obj->name, "s%d", &i), 1);
	assert_true(i >= 0 && i < 50);
	v->seen[i]++;
	v->calls++;
	return v->stop_after && v->calls == v->stop_after ? 7 : 0;
}

static void test_foreach(void **state)
{
	struct svc_cache *c = svc_cache_new();
	struct visit v;
	char name[32];
	int i;
	(void)state;

	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		assert_int_equal(svc_cache_put(c, make(KUBE_KIND_SERVICE, "ns", name)), 0);
	}
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_POD, "ns", "p")), 0);
	memset(&v, 0, sizeof(v));
	assert_int_equal(svc_cache_foreach(c, KUBE_KIND_SERVICE, visit, &v), 0);
	assert_int_equal(v.calls, 50);
	for (i = 0; i < 50; i++)
		assert_int_equal(v.seen[i], 1);
	/* stops early with fn's value */
	memset(&v, 0, sizeof(v));
	v.stop_after = 10;
	assert_int_equal(svc_cache_foreach(c, KUBE_KIND_SERVICE, visit, &v), 7);
	assert_int_equal(v.calls, 10);
	/* empty kind: no calls */
	memset(&v, 0, sizeof(v));
	assert_int_equal(svc_cache_foreach(c, KUBE_KIND_ENDPOINTS, visit, &v), 0);
	assert_int_equal(v.calls, 0);
	svc_cache_free(c);
}

static const char endpoints_json[] =
	"{\"kind\":\"Endpoints\",\"metadata\":{\"name\":\"legacy\",\"namespace\":\"old\"},\n"
	" \"subsets\":[{\"addresses\":[{\"ip\":\"10.0.0.1\",\"hostname\":\"h\",\"targetRef\":{\"name\":\"p\"}}],\n"
	"              \"notReadyAddresses\":[{\"ip\":\"10.0.0.2\"}],\"ports\":[{\"name\":\"a\",\"port\":1}]},\n"
	"             {\"addresses\":[{\"ip\":\"10.0.1.1\"}],\"ports\":[{\"name\":\"b\",\"port\":2,\"targetPort\":\"x\"}]},\n"
	"             {\"addresses\":[{\"ip\":\"fd00::1\"}],\"ports\":[{\"port\":3}]}]}";

/* Endpoints with chained subsets: replaced, removed and cleared without a
   leak (valgrind --leak-check=full checks this test). */
static void test_endpoints_subsets_freed(void **state)
{
	struct svc_cache *c = svc_cache_new();
	const struct kube_object *o;
	size_t n = 0;
	(void)state;

	put_json(c, endpoints_json);
	o = svc_cache_get(c, KUBE_KIND_ENDPOINTS, "old", "legacy");
	assert_non_null(o);
	for (; o; o = o->next_subset)
		n++;
	assert_int_equal(n, 3);
	/* the chain counts as one object */
	assert_int_equal(svc_cache_count(c, KUBE_KIND_ENDPOINTS), 1);
	/* replace the chained object with another chained one */
	put_json(c, endpoints_json);
	assert_int_equal(svc_cache_count(c, KUBE_KIND_ENDPOINTS), 1);
	assert_int_equal(svc_cache_remove(c, KUBE_KIND_ENDPOINTS, "old", "legacy"), 1);
	put_json(c, endpoints_json);
	svc_cache_clear(c);
	put_json(c, endpoints_json);
	/* and one left for svc_cache_free */
	put_json(c, "{\"kind\":\"List\",\"items\":[\n"
	            " {\"kind\":\"Service\",\"metadata\":{\"name\":\"s\",\"namespace\":\"n\"},\n"
	            "  \"spec\":{\"clusterIP\":\"10.0.0.1\",\"ports\":[{\"name\":\"h\",\"port\":80,\"targetPort\":\"web\"}]}},\n"
	            " {\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"s-1\",\"namespace\":\"n\",\n"
	            "   \"labels\":{\"kubernetes.io/service-name\":\"s\"}},\n"
	            "  \"endpoints\":[{\"addresses\":[\"10.1.0.1\"],\"hostname\":\"x\",\"targetRef\":{\"name\":\"p\"}}],\n"
	            "  \"ports\":[{\"name\":\"h\",\"port\":8080}]},\n"
	            " {\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"n\"},\n"
	            "  \"spec\":{\"hostname\":\"x\",\"subdomain\":\"s\"},\n"
	            "  \"status\":{\"phase\":\"Running\",\"podIPs\":[{\"ip\":\"10.1.0.1\"}]}},\n"
	            " {\"kind\":\"Service\",\"metadata\":{\"name\":\"e\",\"namespace\":\"n\"},\n"
	            "  \"spec\":{\"type\":\"ExternalName\",\"externalName\":\"a.example.com\"}},\n"
	            " {\"kind\":\"Namespace\",\"metadata\":{\"name\":\"n\"}}]}");
	assert_int_equal(svc_cache_count(c, KUBE_KIND_SERVICE), 2);
	assert_int_equal(svc_cache_count(c, KUBE_KIND_ENDPOINTSLICE), 1);
	assert_int_equal(svc_cache_count(c, KUBE_KIND_POD), 1);
	assert_int_equal(svc_cache_count(c, KUBE_KIND_NAMESPACE), 1);
	assert_int_equal(svc_cache_count(c, KUBE_KIND_ENDPOINTS), 1);
	svc_cache_free(c);
}

/* Many keys: growth of the maps keeps every entry reachable. */
static void test_many(void **state)
{
	struct svc_cache *c = svc_cache_new();
	char ns[32], name[32];
	int i;
	(void)state;

	for (i = 0; i < 5000; i++) {
		snprintf(ns, sizeof(ns), "ns%d", i % 37);
		snprintf(name, sizeof(name), "svc-%d", i);
		assert_int_equal(svc_cache_put(c, make(KUBE_KIND_SERVICE, ns, name)), 0);
	}
	assert_int_equal(svc_cache_count(c, KUBE_KIND_SERVICE), 5000);
	for (i = 0; i < 5000; i += 2) {
		snprintf(ns, sizeof(ns), "ns%d", i % 37);
		snprintf(name, sizeof(name), "svc-%d", i);
		assert_int_equal(svc_cache_remove(c, KUBE_KIND_SERVICE, ns, name), 1);
	}
	assert_int_equal(svc_cache_count(c, KUBE_KIND_SERVICE), 2500);
	for (i = 0; i < 5000; i++) {
		const struct kube_object *o;
		snprintf(ns, sizeof(ns), "ns%d", i % 37);
		snprintf(name, sizeof(name), "svc-%d", i);
		o = svc_cache_get(c, KUBE_KIND_SERVICE, ns, name);
		if (i % 2) {
			assert_non_null(o);
			assert_string_equal(o->name, name);
			assert_string_equal(o->ns, ns);
		} else {
			assert_null(o);
		}
	}
	svc_cache_free(c);
}

/* Puts obj and checks that the cache gives back the same data: every field
   kube_object_equal compares (every subset's namespace and name too), but
   no resourceVersion, which the cache does not keep. */
static void put_and_compare(struct svc_cache *c, struct kube_object *obj)
{
	struct kube_object *ref = kube_object_clone(obj);
	const struct kube_object *got, *a, *b;

	assert_non_null(ref);
	assert_int_equal(svc_cache_put(c, obj), 0);
	got = svc_cache_get(c, (enum kube_kind)ref->kind, ref->ns, ref->name);
	assert_non_null(got);
	assert_true(kube_object_equal(got, ref));
	for (a = got, b = ref; a && b; a = a->next_subset, b = b->next_subset)
		assert_null(a->resource_version);
	kube_object_free(ref);
}

/* The cache keeps objects in a compact form of its own: every kind and
   every optional field (absent, empty, present) survives the trip, and so
   do texts that are not in canonical form and counts past one byte. */
static void test_round_trip(void **state)
{
	struct svc_cache *c = svc_cache_new();
	struct kube_object *o;
	const struct kube_object *const *eps;
	size_t i;
	(void)state;

	assert_non_null(c);
	put_and_compare(c, make_full(KUBE_KIND_SERVICE, "full"));
	put_and_compare(c, make_full(KUBE_KIND_ENDPOINTSLICE, "full"));

	/* clusterIP text that its parsed address would not print back */
	o = make(KUBE_KIND_SERVICE, "ns1", "v6");
	free(o->u.svc.cluster_ip);
	o->u.svc.cluster_ip = strdup("FD00:0::1");
	assert_int_equal(kube_ip_parse("fd00::1", o->u.svc.cluster_ips), 0);
	o->u.svc.publish_not_ready = true;
	put_and_compare(c, o);
	/* headless: "None" and no addresses; no clusterIP at all */
	o = make(KUBE_KIND_SERVICE, "ns1", "headless");
	free(o->u.svc.cluster_ip);
	free(o->u.svc.cluster_ips);
	o->u.svc.cluster_ip = strdup("None");
	o->u.svc.cluster_ips = NULL;
	o->u.svc.n_cluster_ips = 0;
	o->u.svc.type = KUBE_SVC_HEADLESS;
	put_and_compare(c, o);
	o = make(KUBE_KIND_SERVICE, "ns1", "bare");
	free(o->u.svc.cluster_ip);
	o->u.svc.cluster_ip = NULL;
	put_and_compare(c, o);
	/* 300 ports: counts and port numbers past one byte */
	o = make(KUBE_KIND_SERVICE, "ns1", "many");
	o->u.svc.ports = calloc(300, sizeof(*o->u.svc.ports));
	assert_non_null(o->u.svc.ports);
	o->u.svc.n_ports = 300;
	for (i = 0; i < 300; i++) {
		char name[16];
		snprintf(name, sizeof(name), i % 2 ? "p%zu" : "", i);
		o->u.svc.ports[i].name = strdup(name);
		o->u.svc.ports[i].port = (uint16_t)(65535 - i);
		o->u.svc.ports[i].proto = (uint8_t)(i % 3);
	}
	put_and_compare(c, o);

	/* endpoints whose pod is named as its hostname, or not, or absent */
	o = make_full(KUBE_KIND_ENDPOINTSLICE, "mixed");
	o->u.slice.endpoints[1].hostname = strdup("pod-1");
	put_and_compare(c, o);
	o = make_full(KUBE_KIND_ENDPOINTSLICE, "differ");
	o->u.slice.endpoints[0].target_name = strdup("web-0-pod");
	put_and_compare(c, o);

	/* v1 Endpoints with three subsets, each its own data */
	o = make_full(KUBE_KIND_ENDPOINTS, "legacy");
	o->next_subset = make_full(KUBE_KIND_ENDPOINTS, "legacy");
	o->next_subset->next_subset = make(KUBE_KIND_ENDPOINTS, "ns1", "legacy");
	o->u.slice.from_endpoints = true;
	free(o->next_subset->u.slice.endpoints[0].hostname);
	o->next_subset->u.slice.endpoints[0].hostname = strdup("other");
	put_and_compare(c, o);
	assert_int_equal(svc_cache_endpoints_of(c, "ns1", "legacy", &eps), 1);
	assert_non_null(eps[0]->next_subset->next_subset);
	assert_string_equal(eps[0]->next_subset->u.slice.endpoints[0].hostname, "other");

	/* a pod with every field, one with none; a namespace */
	o = make(KUBE_KIND_POD, "ns1", "web-0");
	o->u.pod.ips = calloc(2, sizeof(struct kube_ip));
	assert_non_null(o->u.pod.ips);
	assert_int_equal(kube_ip_parse("10.2.0.1", &o->u.pod.ips[0]), 0);
	assert_int_equal(kube_ip_parse("fd00::9", &o->u.pod.ips[1]), 0);
	o->u.pod.n_ips = 2;
	o->u.pod.hostname = strdup("web-0");
	o->u.pod.subdomain = strdup("");
	o->u.pod.phase = strdup("Running");
	o->resource_version = strdup("");
	put_and_compare(c, o);
	put_and_compare(c, make(KUBE_KIND_POD, "ns1", "empty"));
	put_and_compare(c, make(KUBE_KIND_NAMESPACE, "", "ns1"));

	/* both slices of one service at once, each intact */
	o = make_full(KUBE_KIND_ENDPOINTSLICE, "full-2");
	free(o->u.slice.service_name);
	o->u.slice.service_name = strdup("full");
	put_and_compare(c, o);
	assert_int_equal(svc_cache_endpoints_of(c, "ns1", "full", &eps), 2);
	for (i = 0; i < 2; i++) {
		assert_string_equal(eps[i]->u.slice.service_name, "full");
		assert_int_equal(eps[i]->u.slice.n_endpoints, 2);
		assert_string_equal(eps[i]->u.slice.endpoints[1].target_name, "pod-1");
	}
	assert_string_not_equal(eps[0]->name, eps[1]->name);
	svc_cache_free(c);
}

/* Addresses print as inet_ntop prints them (IPv4 is formatted by hand). */
static void test_ip_format(void **state)
{
	static const char *const texts[] = {"0.0.0.0", "255.255.255.255", "10.0.100.9",
	                                    "1.10.100.200", "192.168.0.10", "fd00::1",
	                                    "::ffff:10.0.0.1"};
	struct kube_ip ip;
	char buf[64];
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		assert_int_equal(kube_ip_parse(texts[i], &ip), 0);
		assert_string_equal(kube_ip_format(&ip, buf, sizeof(buf)), texts[i]);
	}
}

/* The names of the endpoint objects of service ns1/svc, sorted and
   joined with spaces, as svc_cache_endpoints_of gives them. */
static const char *endpoint_names(struct svc_cache *c, const char *svc)
{
	static char out[256];
	const struct kube_object *const *eps;
	const char *names[16];
	size_t n = svc_cache_endpoints_of(c, "ns1", svc, &eps), i, j;

	assert_true(n < 16);
	for (i = 0; i < n; i++) {
		assert_string_equal(eps[i]->ns, "ns1");
		assert_string_equal(eps[i]->u.slice.service_name, svc);
		for (j = i; j > 0 && strcmp(names[j - 1], eps[i]->name) > 0; j--)
			names[j] = names[j - 1];
		names[j] = eps[i]->name;
	}
	out[0] = '\0';
	for (i = 0; i < n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? " " : "",
		         names[i]);
	return out;
}

/* Drained keys, sorted, as "ns|name" ("ns|-" for a namespace). */
struct drained {
	char keys[16][64];
	size_t n;
};

static void drain_cb(void *ctx, const char *ns, const char *name)
{
	struct drained *d = ctx;

	assert_true(d->n < 16);
	snprintf(d->keys[d->n++], sizeof(d->keys[0]), "%s|%s", ns, name ? name : "-");
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static const char *drain_all(struct svc_cache *c)
{
	static char out[1024];
	struct drained d = {.n = 0};
	size_t i;

	svc_cache_drain_changes(c, drain_cb, &d);
	qsort(d.keys, d.n, sizeof(d.keys[0]), key_cmp);
	out[0] = '\0';
	for (i = 0; i < d.n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? " " : "",
		         d.keys[i]);
	return out;
}

/* A drain reports what changed since the last: services (a removed one,
   or one a slice names, too), pods as "/name", namespaces. Putting the
   same data again (only the resourceVersion differs) changes nothing:
   put says 1, the generation stays, nothing is drained. */
static void test_drain_and_unchanged(void **state)
{
	struct svc_cache *c = svc_cache_new();
	struct kube_object *o;
	uint64_t g;
	(void)state;

	assert_non_null(c);
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_SERVICE, "a", "s")), 0);
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_SERVICE, "a", "gone")), 0);
	assert_int_equal(svc_cache_remove(c, KUBE_KIND_SERVICE, "a", "gone"), 1);
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_POD, "b", "p")), 0);
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_ENDPOINTSLICE, "c", "orphan")), 0);
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_NAMESPACE, "", "d")), 0);
	assert_string_equal(drain_all(c), "a|- a|gone a|s b|- b|/p c|- c|orphan d|-");
	assert_string_equal(drain_all(c), "");

	o = make(KUBE_KIND_SERVICE, "a", "s");
	o->resource_version = strdup("7");
	g = svc_cache_generation(c);
	assert_int_equal(svc_cache_put(c, o), 1);
	assert_int_equal(svc_cache_generation(c), g);
	assert_string_equal(drain_all(c), "");

	o = make(KUBE_KIND_SERVICE, "a", "s");
	o->u.svc.publish_not_ready = true;
	assert_int_equal(svc_cache_put(c, o), 0);
	assert_true(svc_cache_generation(c) > g);
	assert_true(svc_cache_get(c, KUBE_KIND_SERVICE, "a", "s")->u.svc.publish_not_ready);
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_ENDPOINTSLICE, "a", "s")), 0);
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_POD, "b", "p")), 1);
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_SERVICE, "e", "t")), 0);
	/* a's only object was replaced: its namespace is reported too */
	assert_string_equal(drain_all(c), "a|- a|s e|- e|t");
	svc_cache_free(c);
}

/* obj with labels "k=v,k2=v2" (NULL: none). */
static struct kube_object *labelled(struct kube_object *o, const char *labels)
{
	size_t n = labels ? strlen(labels) : 0, i;

	if (!labels)
		return o;
	o->labels = malloc(n + 2);
	assert_non_null(o->labels);
	for (i = 0; i < n; i++)
		o->labels[i] = labels[i] == '=' || labels[i] == ',' ? '\0' : labels[i];
	o->labels[n] = '\0';
	o->labels_len = (uint32_t)n + 1;
	return o;
}

static struct label_selector *selector(const char *text)
{
	char err[200];
	struct label_selector *s = label_selector_parse(text, err, sizeof(err));

	if (!s)
		fail_msg("%s", err);
	return s;
}

static int count_one(void *ctx, const struct kube_object *obj)
{
	(void)obj;
	(*(int *)ctx)++;
	return 0;
}

static int count_kind(const struct svc_cache *c, enum kube_kind kind)
{
	int n = 0;

	svc_cache_foreach(c, kind, count_one, &n);
	return n;
}

/* --labels: objects that do not match are not kept (Pods too, as
   CoreDNS lists them with the selector), and one that stops matching is
   removed (its change reported); Namespaces pass. */
static void test_select_labels(void **state)
{
	struct svc_cache *c = svc_cache_new();
	struct label_selector *sel = selector("app in (web,api),!canary");
	const struct kube_object *const *eps;
	(void)state;

	assert_non_null(c);
	svc_cache_select(c, sel, NULL);
	assert_int_equal(svc_cache_put(c, labelled(make(KUBE_KIND_SERVICE, "a", "web"), "app=web")), 0);
	assert_int_equal(svc_cache_put(c, labelled(make(KUBE_KIND_SERVICE, "a", "db"), "app=db")), 1);
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_SERVICE, "a", "bare")), 1);
	assert_int_equal(svc_cache_put(c, labelled(make(KUBE_KIND_SERVICE, "a", "api"),
	                                          "app=api,canary=yes")), 1);
	assert_int_equal(svc_cache_put(c, labelled(make(KUBE_KIND_ENDPOINTSLICE, "a", "web"),
	                                          "app=web,kubernetes.io/service-name=web")), 0);
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_ENDPOINTSLICE, "a", "web-2")), 1);
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_NAMESPACE, "", "a")), 0);
	assert_int_equal(svc_cache_put(c, labelled(make(KUBE_KIND_POD, "a", "p"), "app=api")), 0);
	assert_int_equal(svc_cache_put(c, labelled(make(KUBE_KIND_POD, "a", "q"), "app=db")), 1);
	assert_non_null(svc_cache_get(c, KUBE_KIND_SERVICE, "a", "web"));
	assert_null(svc_cache_get(c, KUBE_KIND_SERVICE, "a", "db"));
	assert_int_equal(svc_cache_count(c, KUBE_KIND_SERVICE), 1);
	assert_int_equal(svc_cache_endpoints_of(c, "a", "web", &eps), 1);
	assert_string_equal(drain_all(c), "a|- a|/p a|web");
	/* its labels change: gone, and said */
	assert_int_equal(svc_cache_put(c, labelled(make(KUBE_KIND_SERVICE, "a", "web"), "app=other")), 0);
	assert_null(svc_cache_get(c, KUBE_KIND_SERVICE, "a", "web"));
	assert_string_equal(drain_all(c), "a|web");
	assert_int_equal(svc_cache_put(c, labelled(make(KUBE_KIND_SERVICE, "a", "web"), "app=other")), 1);
	assert_string_equal(drain_all(c), "");
	assert_int_equal(svc_cache_put(c, labelled(make(KUBE_KIND_SERVICE, "a", "web"), "app=web")), 0);
	assert_non_null(svc_cache_get(c, KUBE_KIND_SERVICE, "a", "web"));
	svc_cache_free(c);
	label_selector_free(sel);
}

/* --namespace-labels: a namespace's objects are kept but hidden from every
   lookup until its Namespace matches; each flip reports all of them. */
static void test_select_namespaces(void **state)
{
	struct svc_cache *c = svc_cache_new();
	struct label_selector *sel = selector("team=shop");
	const struct kube_object *const *eps;
	(void)state;

	assert_non_null(c);
	svc_cache_select(c, NULL, sel);
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_SERVICE, "a", "web")), 0);
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_SERVICE, "a", "db")), 0);
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_ENDPOINTSLICE, "a", "web")), 0);
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_POD, "a", "p")), 0);
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_SERVICE, "b", "x")), 0);
	/* no Namespace object yet: nothing is exposed */
	assert_null(svc_cache_get(c, KUBE_KIND_SERVICE, "a", "web"));
	assert_false(svc_cache_namespace_exists(c, "a"));
	assert_int_equal(count_kind(c, KUBE_KIND_SERVICE), 0);
	assert_int_equal(svc_cache_endpoints_of(c, "a", "web", &eps), 0);
	drain_all(c);

	assert_int_equal(svc_cache_put(c, labelled(make(KUBE_KIND_NAMESPACE, "", "a"), "team=shop")), 0);
	assert_int_equal(svc_cache_put(c, labelled(make(KUBE_KIND_NAMESPACE, "", "b"), "team=db")), 0);
	assert_non_null(svc_cache_get(c, KUBE_KIND_SERVICE, "a", "web"));
	assert_non_null(svc_cache_get(c, KUBE_KIND_NAMESPACE, "", "a"));
	assert_null(svc_cache_get(c, KUBE_KIND_NAMESPACE, "", "b"));
	assert_null(svc_cache_get(c, KUBE_KIND_SERVICE, "b", "x"));
	assert_true(svc_cache_namespace_exists(c, "a"));
	assert_false(svc_cache_namespace_exists(c, "b"));
	assert_int_equal(count_kind(c, KUBE_KIND_SERVICE), 2);
	assert_int_equal(count_kind(c, KUBE_KIND_NAMESPACE), 1);
	assert_int_equal(svc_cache_endpoints_of(c, "a", "web", &eps), 1);
	/* b, hidden before and after, has nothing to report */
	assert_string_equal(drain_all(c), "a|- a|/p a|db a|web");

	/* a's labels change (the same blob otherwise): hidden again, all said */
	assert_int_equal(svc_cache_put(c, labelled(make(KUBE_KIND_NAMESPACE, "", "a"), "team=x")), 0);
	assert_null(svc_cache_get(c, KUBE_KIND_SERVICE, "a", "web"));
	assert_string_equal(drain_all(c), "a|- a|/p a|db a|web");
	assert_int_equal(svc_cache_put(c, labelled(make(KUBE_KIND_NAMESPACE, "", "a"), "team=x")), 1);
	assert_string_equal(drain_all(c), "");
	/* b starts to match; then its Namespace object goes */
	assert_int_equal(svc_cache_put(c, labelled(make(KUBE_KIND_NAMESPACE, "", "b"), "team=shop")), 0);
	assert_non_null(svc_cache_get(c, KUBE_KIND_SERVICE, "b", "x"));
	assert_string_equal(drain_all(c), "b|- b|x");
	assert_int_equal(svc_cache_remove(c, KUBE_KIND_NAMESPACE, "", "b"), 1);
	assert_null(svc_cache_get(c, KUBE_KIND_SERVICE, "b", "x"));
	assert_false(svc_cache_namespace_exists(c, "b"));
	assert_string_equal(drain_all(c), "b|- b|x");
	svc_cache_free(c);
	label_selector_free(sel);
}

static struct kube_object *slice_of(enum kube_kind kind, const char *name, const char *svc)
{
	struct kube_object *o = make(kind, "ns1", name);

	free(o->u.slice.service_name);
	o->u.slice.service_name = strdup(svc);
	return o;
}

/* Which slices name a service follows every put and remove, in any
   order; its v1 Endpoints count only while it has no slice. */
static void test_endpoints_index(void **state)
{
	struct svc_cache *c = svc_cache_new();
	(void)state;

	assert_non_null(c);
	assert_string_equal(endpoint_names(c, "s"), "");
	assert_int_equal(svc_cache_put(c, slice_of(KUBE_KIND_ENDPOINTS, "s", "s")), 0);
	assert_string_equal(endpoint_names(c, "s"), "s");
	assert_int_equal(svc_cache_put(c, slice_of(KUBE_KIND_ENDPOINTSLICE, "s-b", "s")), 0);
	assert_int_equal(svc_cache_put(c, slice_of(KUBE_KIND_ENDPOINTSLICE, "s-a", "s")), 0);
	assert_int_equal(svc_cache_put(c, slice_of(KUBE_KIND_ENDPOINTSLICE, "s-c", "s")), 0);
	assert_int_equal(svc_cache_put(c, slice_of(KUBE_KIND_ENDPOINTS, "s2", "s")), 0);
	assert_string_equal(endpoint_names(c, "s"), "s-a s-b s-c");
	/* replaced in place: listed once */
	{
		struct kube_object *moved = slice_of(KUBE_KIND_ENDPOINTSLICE, "s-b", "s");
		moved->u.slice.from_endpoints = true; /* other data, same service */
		assert_int_equal(svc_cache_put(c, moved), 0);
	}
	assert_string_equal(endpoint_names(c, "s"), "s-a s-b s-c");
	assert_int_equal(svc_cache_put(c, slice_of(KUBE_KIND_ENDPOINTSLICE, "s-b", "s")), 0);
	assert_string_equal(endpoint_names(c, "s"), "s-a s-b s-c");
	assert_int_equal(svc_cache_remove(c, KUBE_KIND_ENDPOINTSLICE, "ns1", "s-b"), 1);
	assert_string_equal(endpoint_names(c, "s"), "s-a s-c");
	/* a slice that moves to another service */
	assert_int_equal(svc_cache_put(c, slice_of(KUBE_KIND_ENDPOINTSLICE, "s-a", "t")), 0);
	assert_string_equal(endpoint_names(c, "s"), "s-c");
	assert_string_equal(endpoint_names(c, "t"), "s-a");
	assert_int_equal(svc_cache_remove(c, KUBE_KIND_ENDPOINTSLICE, "ns1", "s-c"), 1);
	assert_string_equal(endpoint_names(c, "s"), "s s2");
	assert_int_equal(svc_cache_remove(c, KUBE_KIND_ENDPOINTS, "ns1", "s"), 1);
	assert_string_equal(endpoint_names(c, "s"), "s2");
	assert_int_equal(svc_cache_put(c, slice_of(KUBE_KIND_ENDPOINTSLICE, "s-d", "s")), 0);
	assert_string_equal(endpoint_names(c, "s"), "s-d");
	assert_int_equal(svc_cache_remove(c, KUBE_KIND_ENDPOINTSLICE, "ns1", "s-d"), 1);
	assert_int_equal(svc_cache_remove(c, KUBE_KIND_ENDPOINTS, "ns1", "s2"), 1);
	assert_string_equal(endpoint_names(c, "s"), "");
	assert_string_equal(endpoint_names(c, "t"), "s-a");
	svc_cache_free(c);
}

/* The slices of a ServiceImport: those labelled with its name, whatever
   Service they name too; an import and its slices are drained as
   (ns, "+" name), apart from the Service of the same name. */
static void test_import_slices(void **state)
{
	struct svc_cache *c = svc_cache_new();
	const struct kube_object *const *got;
	struct kube_object *o;
	(void)state;

	assert_non_null(c);
	assert_int_equal(svc_cache_put(c, make(KUBE_KIND_SERVICEIMPORT, "ns1", "db")), 0);
	o = slice_of(KUBE_KIND_ENDPOINTSLICE, "db-east", "");
	o->u.slice.import_name = strdup("db");
	o->u.slice.cluster_id = strdup("east");
	assert_int_equal(svc_cache_put(c, o), 0);
	o = slice_of(KUBE_KIND_ENDPOINTSLICE, "db-both", "db"); /* a Service's too */
	o->u.slice.import_name = strdup("db");
	assert_int_equal(svc_cache_put(c, o), 0);
	assert_string_equal(drain_all(c), "ns1|+db ns1|- ns1|db");
	assert_int_equal(svc_cache_import_slices(c, "ns1", "db", &got), 2);
	assert_true(strcmp(got[0]->name, "db-both") == 0 || strcmp(got[1]->name, "db-both") == 0);
	assert_string_equal(endpoint_names(c, "db"), "db-both");
	assert_non_null(svc_cache_get(c, KUBE_KIND_ENDPOINTSLICE, "ns1", "db-east"));
	assert_string_equal(
		svc_cache_get(c, KUBE_KIND_ENDPOINTSLICE, "ns1", "db-east")->u.slice.cluster_id,
		"east");
	/* the label taken off: the slice leaves the import */
	assert_int_equal(svc_cache_put(c, slice_of(KUBE_KIND_ENDPOINTSLICE, "db-both", "db")), 0);
	assert_string_equal(drain_all(c), "ns1|+db ns1|db");
	assert_int_equal(svc_cache_import_slices(c, "ns1", "db", &got), 1);
	assert_string_equal(got[0]->name, "db-east");
	assert_int_equal(svc_cache_remove(c, KUBE_KIND_ENDPOINTSLICE, "ns1", "db-east"), 1);
	assert_int_equal(svc_cache_import_slices(c, "ns1", "db", &got), 0);
	assert_int_equal(svc_cache_remove(c, KUBE_KIND_SERVICEIMPORT, "ns1", "db"), 1);
	assert_string_equal(drain_all(c), "ns1|+db");
	svc_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_replace),
		cmocka_unit_test(test_put_unknown_kind),
		cmocka_unit_test(test_only_namespaces),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_clear),
		cmocka_unit_test(test_foreach),
		cmocka_unit_test(test_endpoints_subsets_freed),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_pack),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_ip_format),
		cmocka_unit_test(test_endpoints_index),
		cmocka_unit_test(test_import_slices),
		cmocka_unit_test(test_drain_and_unchanged),
		cmocka_unit_test(test_select_labels),
		cmocka_unit_test(test_select_namespaces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
