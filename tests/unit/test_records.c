/* test_records.c - cache -> RRsets per the Kubernetes DNS specification in
 * CoreDNS's shapes: ClusterIP, dual stack, headless, endpoint names, SRV,
 * PTR, ExternalName, the zone's own records, and the zone dump. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "dname.h"
#include "kube_json.h"
#include "kube_object.h"
#include "records.h"
#include "svc_cache.h"
#include "cache_fixture.h"

#define SERIAL 1700000000u

static const char cluster_json[] =
	"{\"kind\":\"List\",\"items\":[\n"
	/* ClusterIP, three ports, one unnamed */
	" {\"kind\":\"Service\",\"metadata\":{\"name\":\"svc1\",\"namespace\":\"testns\"},\n"
	"  \"spec\":{\"clusterIP\":\"10.0.0.1\",\"ports\":[{\"name\":\"http\",\"port\":80},\n"
	"    {\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"},{\"port\":9999}]}},\n"
	" {\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"svc1-a\",\"namespace\":\"testns\",\n"
	"   \"labels\":{\"kubernetes.io/service-name\":\"svc1\"}},\"addressType\":\"IPv4\",\n"
	"  \"endpoints\":[{\"addresses\":[\"10.1.2.3\"]}],\"ports\":[{\"name\":\"http\",\"port\":8080}]},\n"
	/* dual stack */
	" {\"kind\":\"Service\",\"metadata\":{\"name\":\"dual\",\"namespace\":\"testns\"},\n"
	"  \"spec\":{\"clusterIP\":\"10.0.0.2\",\"clusterIPs\":[\"10.0.0.2\",\"fd00::2\"],\n"
	"    \"ports\":[{\"name\":\"http\",\"port\":80}]}},\n"
	/* headless */
	" {\"kind\":\"Service\",\"metadata\":{\"name\":\"hdls\",\"namespace\":\"testns\"},\n"
	"  \"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"name\":\"http\",\"port\":80}]}},\n"
	" {\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"hdls-4\",\"namespace\":\"testns\",\n"
	"   \"labels\":{\"kubernetes.io/service-name\":\"hdls\"}},\"addressType\":\"IPv4\",\n"
	"  \"endpoints\":[{\"addresses\":[\"10.2.0.1\"],\"hostname\":\"web-0\",\"conditions\":{\"ready\":true}},\n"
	"               {\"addresses\":[\"10.2.0.2\"]},\n"
	"               {\"addresses\":[\"10.2.0.3\"],\"hostname\":\"web-2\",\"conditions\":{\"ready\":false}}],\n"
	"  \"ports\":[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\"}]},\n"
	" {\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"hdls-6\",\"namespace\":\"testns\",\n"
	"   \"labels\":{\"kubernetes.io/service-name\":\"hdls\"}},\"addressType\":\"IPv6\",\n"
	"  \"endpoints\":[{\"addresses\":[\"fd00::1\"]},{\"addresses\":[\"fd00::\"]}],\n"
	"  \"ports\":[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\"}]},\n"
	/* headless, publishNotReadyAddresses / the annotation */
	" {\"kind\":\"Service\",\"metadata\":{\"name\":\"pnr\",\"namespace\":\"testns\"},\n"
	"  \"spec\":{\"clusterIP\":\"None\",\"publishNotReadyAddresses\":true}},\n"
	" {\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"pnr-1\",\"namespace\":\"testns\",\n"
	"   \"labels\":{\"kubernetes.io/service-name\":\"pnr\"}},\n"
	"  \"endpoints\":[{\"addresses\":[\"10.3.0.1\"],\"conditions\":{\"ready\":false}}]},\n"
	" {\"kind\":\"Service\",\"metadata\":{\"name\":\"tol\",\"namespace\":\"testns\",\"annotations\":\n"
	"   {\"service.alpha.kubernetes.io/tolerate-unready-endpoints\":\"true\"}},\n"
	"  \"spec\":{\"clusterIP\":\"None\"}},\n"
	" {\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"tol-1\",\"namespace\":\"testns\",\n"
	"   \"labels\":{\"kubernetes.io/service-name\":\"tol\"}},\n"
	"  \"endpoints\":[{\"addresses\":[\"10.3.1.1\"],\"conditions\":{\"ready\":false}}]},\n"
	/* headless without ready endpoints, and without any */
	" {\"kind\":\"Service\",\"metadata\":{\"name\":\"empty\",\"namespace\":\"testns\"},\n"
	"  \"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"name\":\"http\",\"port\":80}]}},\n"
	" {\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"empty-1\",\"namespace\":\"testns\",\n"
	"   \"labels\":{\"kubernetes.io/service-name\":\"empty\"}},\n"
	"  \"endpoints\":[{\"addresses\":[\"10.4.0.1\"],\"hostname\":\"e-0\",\"conditions\":{\"ready\":false}}],\n"
	"  \"ports\":[{\"name\":\"http\",\"port\":80}]},\n"
	" {\"kind\":\"Service\",\"metadata\":{\"name\":\"nosl\",\"namespace\":\"testns\"},\n"
	"  \"spec\":{\"clusterIP\":\"None\"}},\n"
	/* v1 Endpoints only, two subsets */
	" {\"kind\":\"Service\",\"metadata\":{\"name\":\"legacy\",\"namespace\":\"testns\"},\n"
	"  \"spec\":{\"clusterIP\":\"None\"}},\n"
	" {\"kind\":\"Endpoints\",\"metadata\":{\"name\":\"legacy\",\"namespace\":\"testns\"},\n"
	"  \"subsets\":[{\"addresses\":[{\"ip\":\"10.5.0.1\",\"hostname\":\"l-0\"}],\n"
	"               \"notReadyAddresses\":[{\"ip\":\"10.5.0.2\"}],\"ports\":[{\"name\":\"a\",\"port\":1}]},\n"
	"              {\"addresses\":[{\"ip\":\"10.5.1.1\"}],\"ports\":[{\"name\":\"b\",\"port\":2}]}]},\n"
	/* Endpoints and an EndpointSlice: the slice wins */
	" {\"kind\":\"Service\",\"metadata\":{\"name\":\"both\",\"namespace\":\"testns\"},\n"
	"  \"spec\":{\"clusterIP\":\"None\"}},\n"
	" {\"kind\":\"Endpoints\",\"metadata\":{\"name\":\"both\",\"namespace\":\"testns\"},\n"
	"  \"subsets\":[{\"addresses\":[{\"ip\":\"10.6.9.9\"}]}]},\n"
	" {\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"both-x\",\"namespace\":\"testns\",\n"
	"   \"labels\":{\"kubernetes.io/service-name\":\"both\"}},\n"
	"  \"endpoints\":[{\"addresses\":[\"10.6.0.1\"]}]},\n"
	/* ExternalName */
	" {\"kind\":\"Service\",\"metadata\":{\"name\":\"ext\",\"namespace\":\"testns\"},\n"
	"  \"spec\":{\"type\":\"ExternalName\",\"externalName\":\"WWW.Example.com\"}},\n"
	" {\"kind\":\"Service\",\"metadata\":{\"name\":\"extip\",\"namespace\":\"testns\"},\n"
	"  \"spec\":{\"type\":\"ExternalName\",\"externalName\":\"192.0.2.7\"}},\n"
	/* namespaces known from any object */
	" {\"kind\":\"Namespace\",\"metadata\":{\"name\":\"emptyns\"}},\n"
	" {\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"podns\"},\n"
	"  \"status\":{\"podIP\":\"10.9.0.1\"}},\n"
	" {\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"g-1\",\"namespace\":\"slicens\",\n"
	"   \"labels\":{\"kubernetes.io/service-name\":\"ghost\"}},\n"
	"  \"endpoints\":[{\"addresses\":[\"10.9.1.1\"]}]}\n"
	"]}";

static struct svc_cache *cache_from(const char *json)
{
	struct svc_cache *c = svc_cache_new();
	char err[256] = "";

	assert_non_null(c);
	if (kube_json_parse_document(json, strlen(json), cache_put_cb, c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	return c;
}

static struct records_set *build(const struct svc_cache *c, const char *const *zones,
                                 size_t n_zones)
{
	struct records_config cfg;
	struct records_set *set;
	char err[256] = "";

	memset(&cfg, 0, sizeof(cfg));
	cfg.zones = zones;
	cfg.n_zones = n_zones;
	cfg.ttl = 5;
	set = records_build(c, &cfg, SERIAL, err, sizeof(err));
	if (!set)
		fail_msg("records_build: %s", err);
	return set;
}

static const char *const one_zone[] = {"cluster.local"};

struct fix {
	struct svc_cache *cache;
	struct records_set *set;
};

static int setup(void **state)
{
	static struct fix f;

	f.cache = cache_from(cluster_json);
	f.set = build(f.cache, one_zone, 1);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	records_set_free(f->set);
	svc_cache_free(f->cache);
	return 0;
}

/* ---- helpers ----------------------------------------------------------- */

static size_t wire(const char *text, uint8_t *out)
{
	size_t n = dname_from_text(text, out);

	if (!n)
		fail_msg("bad name %s", text);
	return n;
}

static const struct records_name *find(const struct records_set *set, const char *text)
{
	uint8_t w[DNAME_MAX];
	size_t n = wire(text, w);

	return records_find(set, w, n);
}

static const struct records_name *must_find(const struct records_set *set,
                                            const char *text)
{
	const struct records_name *n = find(set, text);

	if (!n)
		fail_msg("%s does not exist", text);
	return n;
}

static size_t count(const struct records_name *n, uint16_t type)
{
	size_t i, k = 0;

	for (i = 0; i < n->n_records; i++)
		k += n->records[i].type == type;
	return k;
}

static const struct record *rec(const struct records_name *n, uint16_t type, size_t k)
{
	size_t i;

	for (i = 0; i < n->n_records; i++)
		if (n->records[i].type == type && k-- == 0)
			return &n->records[i];
	fail_msg("record missing");
	return NULL;
}

/* Whether name has an A/AAAA with that address. */
static bool has_addr(const struct records_name *n, const char *ip_text)
{
	struct kube_ip ip;
	size_t i;
	uint16_t type;

	assert_int_equal(kube_ip_parse(ip_text, &ip), 0);
	type = ip.family == AF_INET ? RR_TYPE_A : RR_TYPE_AAAA;
	for (i = 0; i < n->n_records; i++) {
		const struct record *r = &n->records[i];
		if (r->type == type && r->rdlen == (ip.family == AF_INET ? 4 : 16) &&
		    memcmp(r->rdata, ip.bytes, r->rdlen) == 0)
			return true;
	}
	return false;
}

static void assert_name_rdata(const uint8_t *rdata, size_t len, const char *text)
{
	uint8_t w[DNAME_MAX];
	size_t n = wire(text, w);
	char got[300] = "?";

	if (len != n || memcmp(rdata, w, n) != 0) {
		dname_to_text(rdata, len, got, sizeof(got));
		fail_msg("name %s, expected %s", got, text);
	}
}

static void assert_srv(const struct record *r, uint16_t weight, uint16_t port,
                       const char *target)
{
	assert_int_equal(r->type, RR_TYPE_SRV);
	assert_int_equal(r->ttl, 5);
	assert_true(r->rdlen > 6);
	assert_int_equal((r->rdata[0] << 8) | r->rdata[1], 0);
	assert_int_equal((r->rdata[2] << 8) | r->rdata[3], weight);
	assert_int_equal((r->rdata[4] << 8) | r->rdata[5], port);
	assert_name_rdata(r->rdata + 6, r->rdlen - 6u, target);
}

/* The SRV of n whose target is target. */
static const struct record *srv_to(const struct records_name *n, const char *target)
{
	uint8_t w[DNAME_MAX];
	size_t len = wire(target, w), i;

	for (i = 0; i < n->n_records; i++) {
		const struct record *r = &n->records[i];
		if (r->type == RR_TYPE_SRV && r->rdlen == 6 + len &&
		    memcmp(r->rdata + 6, w, len) == 0)
			return r;
	}
	fail_msg("no SRV to %s", target);
	return NULL;
}

/* ---- tests ------------------------------------------------------------- */

static void test_cluster_ip(void **state)
{
	struct fix *f = *state;
	const struct records_name *n = must_find(f->set, "svc1.testns.svc.cluster.local");
	const struct record *r;
	(void)state;

	assert_int_equal(count(n, RR_TYPE_A), 1);
	assert_int_equal(count(n, RR_TYPE_AAAA), 0);
	r = rec(n, RR_TYPE_A, 0);
	assert_int_equal(r->ttl, 5);
	assert_int_equal(r->rdlen, 4);
	assert_memory_equal(r->rdata, "\x0a\x00\x00\x01", 4);
	assert_true(has_addr(n, "10.0.0.1"));
	assert_int_equal(n->zone, 0);
	/* lookups are by lower-case wire */
	assert_non_null(find(f->set, "SVC1.TestNS.svc.Cluster.Local"));
	/* records grouped by type */
	{
		size_t i;
		for (i = 1; i < n->n_records; i++)
			if (n->records[i].type != n->records[i - 1].type) {
				size_t j;
				for (j = i + 1; j < n->n_records; j++)
					assert_int_not_equal(n->records[j].type, n->records[i - 1].type);
			}
	}
}

static void test_dual_stack(void **state)
{
	struct fix *f = *state;
	const struct records_name *n = must_find(f->set, "dual.testns.svc.cluster.local");
	const struct records_name *s;

	assert_int_equal(count(n, RR_TYPE_A), 1);
	assert_int_equal(count(n, RR_TYPE_AAAA), 1);
	assert_true(has_addr(n, "10.0.0.2"));
	assert_true(has_addr(n, "fd00::2"));
	/* SRV weight split over the two cluster IPs, duplicates dropped */
	s = must_find(f->set, "_http._tcp.dual.testns.svc.cluster.local");
	assert_int_equal(count(s, RR_TYPE_SRV), 1);
	assert_srv(rec(s, RR_TYPE_SRV, 0), 50, 80, "dual.testns.svc.cluster.local");
}

static void test_srv_cluster_ip(void **state)
{
	struct fix *f = *state;
	const struct records_name *n;
	size_t i;
	int ports = 0;

	n = must_find(f->set, "_http._tcp.svc1.testns.svc.cluster.local");
	assert_int_equal(n->n_records, 1);
	assert_srv(rec(n, RR_TYPE_SRV, 0), 100, 80, "svc1.testns.svc.cluster.local");
	/* exact wire of the rdata */
	assert_int_equal(rec(n, RR_TYPE_SRV, 0)->rdlen, 6 + 31);
	assert_memory_equal(rec(n, RR_TYPE_SRV, 0)->rdata,
	                    "\x00\x00\x00\x64\x00\x50"
	                    "\x04svc1\x06testns\x03svc\x07" "cluster\x05local",
	                    6 + 31);

	n = must_find(f->set, "_dns._udp.svc1.testns.svc.cluster.local");
	assert_srv(rec(n, RR_TYPE_SRV, 0), 100, 53, "svc1.testns.svc.cluster.local");
	assert_null(find(f->set, "_dns._tcp.svc1.testns.svc.cluster.local"));
	assert_null(find(f->set, "_http._udp.svc1.testns.svc.cluster.local"));

	/* the bare name lists every port, named or not */
	n = must_find(f->set, "svc1.testns.svc.cluster.local");
	assert_int_equal(count(n, RR_TYPE_SRV), 3);
	for (i = 0; i < 3; i++) {
		const struct record *r = rec(n, RR_TYPE_SRV, i);
		uint16_t port = (uint16_t)((r->rdata[4] << 8) | r->rdata[5]);
		assert_int_equal((r->rdata[0] << 8) | r->rdata[1], 0);
		assert_name_rdata(r->rdata + 6, r->rdlen - 6u, "svc1.testns.svc.cluster.local");
		ports |= port == 80 ? 1 : port == 53 ? 2 : port == 9999 ? 4 : 8;
	}
	assert_int_equal(ports, 7);
}

static void test_endpoint_names_of_cluster_ip(void **state)
{
	struct fix *f = *state;
	const struct records_name *n;

	n = must_find(f->set, "10-1-2-3.svc1.testns.svc.cluster.local");
	assert_int_equal(n->n_records, 1);
	assert_true(has_addr(n, "10.1.2.3"));
}

static void test_headless(void **state)
{
	struct fix *f = *state;
	const struct records_name *n = must_find(f->set, "hdls.testns.svc.cluster.local");
	const struct records_name *s;

	/* only the ready endpoints */
	assert_int_equal(count(n, RR_TYPE_A), 2);
	assert_true(has_addr(n, "10.2.0.1"));
	assert_true(has_addr(n, "10.2.0.2"));
	assert_false(has_addr(n, "10.2.0.3"));
	assert_int_equal(count(n, RR_TYPE_AAAA), 2);
	assert_true(has_addr(n, "fd00::1"));
	assert_true(has_addr(n, "fd00::"));

	/* endpoint names: hostname, else dashed address */
	n = must_find(f->set, "web-0.hdls.testns.svc.cluster.local");
	assert_int_equal(n->n_records, 1);
	assert_true(has_addr(n, "10.2.0.1"));
	n = must_find(f->set, "10-2-0-2.hdls.testns.svc.cluster.local");
	assert_true(has_addr(n, "10.2.0.2"));
	n = must_find(f->set, "fd00--1.hdls.testns.svc.cluster.local");
	assert_int_equal(n->n_records, 1);
	assert_true(has_addr(n, "fd00::1"));
	n = must_find(f->set, "fd00--0.hdls.testns.svc.cluster.local");
	assert_true(has_addr(n, "fd00::"));
	assert_null(find(f->set, "fd00--.hdls.testns.svc.cluster.local"));
	assert_null(find(f->set, "web-2.hdls.testns.svc.cluster.local"));
	assert_null(find(f->set, "10-2-0-3.hdls.testns.svc.cluster.local"));

	/* SRV: one per ready endpoint, weight 100/4, targets the endpoints */
	s = must_find(f->set, "_http._tcp.hdls.testns.svc.cluster.local");
	assert_int_equal(count(s, RR_TYPE_SRV), 4);
	assert_srv(srv_to(s, "web-0.hdls.testns.svc.cluster.local"), 25, 80,
	           "web-0.hdls.testns.svc.cluster.local");
	assert_srv(srv_to(s, "10-2-0-2.hdls.testns.svc.cluster.local"), 25, 80,
	           "10-2-0-2.hdls.testns.svc.cluster.local");
	assert_srv(srv_to(s, "fd00--1.hdls.testns.svc.cluster.local"), 25, 80,
	           "fd00--1.hdls.testns.svc.cluster.local");
	assert_srv(srv_to(s, "fd00--0.hdls.testns.svc.cluster.local"), 25, 80,
	           "fd00--0.hdls.testns.svc.cluster.local");
	/* bare name: the same targets */
	n = must_find(f->set, "hdls.testns.svc.cluster.local");
	assert_int_equal(count(n, RR_TYPE_SRV), 4);
	srv_to(n, "web-0.hdls.testns.svc.cluster.local");
}

/* A headless service with more endpoints than the duplicate check scans
   (the index takes over) across two slices: slice one has 30 endpoints and
   ports http+metrics, slice two 30 more, of which 10 repeat addresses of
   slice one, and port http only. Duplicated addresses count once in A;
   SRV weights are 100 / (number of (address, port) pairs with the name). */
static void test_big_headless(void **state)
{
	char *json = malloc(65536), *p = json;
	struct svc_cache *c;
	struct records_set *set;
	const struct records_name *n;
	char ip[32];
	int i, slice;

	(void)state;
	assert_non_null(json);
	p += sprintf(p, "{\"kind\":\"List\",\"items\":[{\"kind\":\"Service\","
	                "\"metadata\":{\"name\":\"big\",\"namespace\":\"ns\"},"
	                "\"spec\":{\"clusterIP\":\"None\"}}");
	for (slice = 0; slice < 2; slice++) {
		p += sprintf(p, ",{\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"big-%d\","
		                "\"namespace\":\"ns\",\"labels\":{\"kubernetes.io/service-name\":"
		                "\"big\"}},\"addressType\":\"IPv4\",\"endpoints\":[", slice);
		for (i = 0; i < 30; i++) {
			/* slice 1 repeats 10.9.0.20-29 of slice 0, then 10.9.1.x */
			int host = slice == 0 ? i : i < 10 ? 20 + i : i;
			snprintf(ip, sizeof(ip), "10.9.%d.%d", slice == 1 && i >= 10, host);
			p += sprintf(p, "%s{\"addresses\":[\"%s\"],\"conditions\":{\"ready\":true}}",
			             i ? "," : "", ip);
		}
		p += sprintf(p, "],\"ports\":[{\"name\":\"http\",\"port\":80}%s]}",
		             slice == 0 ? ",{\"name\":\"metrics\",\"port\":9090}" : "");
	}
	p += sprintf(p, "]}");
	c = cache_from(json);
	set = build(c, one_zone, 1);

	n = must_find(set, "big.ns.svc.cluster.local");
	assert_int_equal(count(n, RR_TYPE_A), 50);
	assert_true(has_addr(n, "10.9.0.25"));
	assert_true(has_addr(n, "10.9.1.29"));
	/* http: 30 + 30 pairs (the repeated addresses too, as CoreDNS), one
	   record per distinct rdata: 50 targets */
	n = must_find(set, "_http._tcp.big.ns.svc.cluster.local");
	assert_int_equal(count(n, RR_TYPE_SRV), 50);
	assert_srv(srv_to(n, "10-9-1-15.big.ns.svc.cluster.local"), 100 / 60, 80,
	           "10-9-1-15.big.ns.svc.cluster.local");
	n = must_find(set, "_metrics._tcp.big.ns.svc.cluster.local");
	assert_int_equal(count(n, RR_TYPE_SRV), 30);
	assert_srv(srv_to(n, "10-9-0-3.big.ns.svc.cluster.local"), 100 / 30, 9090,
	           "10-9-0-3.big.ns.svc.cluster.local");
	n = must_find(set, "10-9-0-22.big.ns.svc.cluster.local");
	assert_int_equal(n->n_records, 1);
	records_set_free(set);
	svc_cache_free(c);
	free(json);
}

/* More than 100 targets: each SRV weight is at least 1, as CoreDNS
   writes it (100 / 120 would round to 0, "almost never" to RFC 2782). */
static void test_srv_weight_floor(void **state)
{
	char *json = malloc(65536), *p = json;
	struct svc_cache *c;
	struct records_set *set;
	const struct records_name *n;
	int i;

	(void)state;
	assert_non_null(json);
	p += sprintf(p, "{\"kind\":\"List\",\"items\":[{\"kind\":\"Service\","
	                "\"metadata\":{\"name\":\"many\",\"namespace\":\"ns\"},"
	                "\"spec\":{\"clusterIP\":\"None\"}},{\"kind\":\"EndpointSlice\","
	                "\"metadata\":{\"name\":\"many-0\",\"namespace\":\"ns\",\"labels\":"
	                "{\"kubernetes.io/service-name\":\"many\"}},\"addressType\":\"IPv4\","
	                "\"endpoints\":[");
	for (i = 0; i < 120; i++)
		p += sprintf(p, "%s{\"addresses\":[\"10.8.0.%d\"],\"conditions\":{\"ready\":true}}",
		             i ? "," : "", i + 1);
	p += sprintf(p, "],\"ports\":[{\"name\":\"http\",\"port\":80}]}]}");
	c = cache_from(json);
	set = build(c, one_zone, 1);
	n = must_find(set, "_http._tcp.many.ns.svc.cluster.local");
	assert_int_equal(count(n, RR_TYPE_SRV), 120);
	assert_srv(srv_to(n, "10-8-0-7.many.ns.svc.cluster.local"), 1, 80,
	           "10-8-0-7.many.ns.svc.cluster.local");
	n = must_find(set, "many.ns.svc.cluster.local");
	assert_srv(srv_to(n, "10-8-0-120.many.ns.svc.cluster.local"), 1, 80,
	           "10-8-0-120.many.ns.svc.cluster.local");
	records_set_free(set);
	svc_cache_free(c);
	free(json);
}

/* --endpoint-pod-names (CoreDNS's endpoint_pod_names): an endpoint
   without a hostname is named by its pod (targetRef.name, cut to 63
   bytes), in A, SRV targets and PTR; a hostname still wins, and without a
   pod name the dashed address stays. */
static void test_endpoint_pod_names(void **state)
{
	static const char json[] =
		"{\"kind\":\"List\",\"items\":[{\"kind\":\"Service\",\"metadata\":{\"name\":\"hl\","
		"\"namespace\":\"ns\"},\"spec\":{\"clusterIP\":\"None\"}},{\"kind\":\"EndpointSlice\","
		"\"metadata\":{\"name\":\"hl-1\",\"namespace\":\"ns\",\"labels\":{\"kubernetes.io/"
		"service-name\":\"hl\"}},\"addressType\":\"IPv4\",\"endpoints\":["
		"{\"addresses\":[\"10.7.0.1\"],\"conditions\":{\"ready\":true},"
		"\"targetRef\":{\"kind\":\"Pod\",\"name\":\"web-7d9f-abcde\"}},"
		"{\"addresses\":[\"10.7.0.2\"],\"hostname\":\"h2\",\"conditions\":{\"ready\":true},"
		"\"targetRef\":{\"kind\":\"Pod\",\"name\":\"web-7d9f-fghij\"}},"
		"{\"addresses\":[\"10.7.0.3\"],\"conditions\":{\"ready\":true}},"
		"{\"addresses\":[\"10.7.0.4\"],\"conditions\":{\"ready\":true},\"targetRef\":"
		"{\"kind\":\"Pod\",\"name\":\"a-very-long-pod-name-0123456789-0123456789-0123456789-"
		"0123456789\"}}],\"ports\":[{\"name\":\"http\",\"port\":80}]}]}";
	struct svc_cache *c = cache_from(json);
	struct records_config cfg;
	struct records_set *set;
	const struct records_name *n;
	char err[256] = "";

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.zones = one_zone;
	cfg.n_zones = 1;
	cfg.ttl = 5;
	cfg.endpoint_pod_names = true;
	set = records_build(c, &cfg, SERIAL, err, sizeof(err));
	assert_non_null(set);
	n = must_find(set, "web-7d9f-abcde.hl.ns.svc.cluster.local");
	assert_true(has_addr(n, "10.7.0.1"));
	assert_non_null(find(set, "h2.hl.ns.svc.cluster.local"));
	assert_null(find(set, "web-7d9f-fghij.hl.ns.svc.cluster.local"));
	assert_non_null(find(set, "10-7-0-3.hl.ns.svc.cluster.local"));
	assert_null(find(set, "10-7-0-1.hl.ns.svc.cluster.local"));
	n = must_find(set, "a-very-long-pod-name-0123456789-0123456789-0123456789-012345678"
	                   ".hl.ns.svc.cluster.local");
	assert_true(has_addr(n, "10.7.0.4"));
	n = must_find(set, "_http._tcp.hl.ns.svc.cluster.local");
	srv_to(n, "web-7d9f-abcde.hl.ns.svc.cluster.local");
	n = must_find(set, "1.0.7.10.in-addr.arpa");
	assert_int_equal(n->n_records, 1);
	assert_name_rdata(rec(n, RR_TYPE_PTR, 0)->rdata, rec(n, RR_TYPE_PTR, 0)->rdlen,
	                  "web-7d9f-abcde.hl.ns.svc.cluster.local");
	records_set_free(set);
	svc_cache_free(c);
}

/* A set built with one records option on (flag: which). */
static struct records_set *build_with(const struct svc_cache *c, bool ignore_empty,
                                      bool no_endpoints)
{
	struct records_config cfg;
	struct records_set *set;
	char err[256] = "";

	memset(&cfg, 0, sizeof(cfg));
	cfg.zones = one_zone;
	cfg.n_zones = 1;
	cfg.ttl = 5;
	cfg.ignore_empty_service = ignore_empty;
	cfg.no_endpoints = no_endpoints;
	set = records_build(c, &cfg, SERIAL, err, sizeof(err));
	if (!set)
		fail_msg("%s", err);
	return set;
}

static const char empty_json[] =
	"{\"kind\":\"List\",\"items\":["
	"{\"kind\":\"Service\",\"metadata\":{\"name\":\"empty\",\"namespace\":\"ns\"},"
	"\"spec\":{\"clusterIP\":\"10.5.0.1\",\"ports\":[{\"name\":\"http\",\"port\":80}]}},"
	"{\"kind\":\"Service\",\"metadata\":{\"name\":\"full\",\"namespace\":\"ns\"},"
	"\"spec\":{\"clusterIP\":\"10.5.0.2\",\"ports\":[{\"name\":\"http\",\"port\":80}]}},"
	"{\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"full-1\",\"namespace\":\"ns\","
	"\"labels\":{\"kubernetes.io/service-name\":\"full\"}},\"addressType\":\"IPv4\","
	"\"endpoints\":[{\"addresses\":[\"10.6.0.1\"],\"conditions\":{\"ready\":true}}],"
	"\"ports\":[{\"name\":\"http\",\"port\":80}]},"
	"{\"kind\":\"Service\",\"metadata\":{\"name\":\"hl\",\"namespace\":\"ns\"},"
	"\"spec\":{\"clusterIP\":\"None\"}},"
	"{\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"hl-1\",\"namespace\":\"ns\","
	"\"labels\":{\"kubernetes.io/service-name\":\"hl\"}},\"addressType\":\"IPv4\","
	"\"endpoints\":[{\"addresses\":[\"10.6.1.1\"],\"conditions\":{\"ready\":true}}]}]}";

/* --ignore-empty-service (CoreDNS's ignore empty_service): a ClusterIP
   service without ready endpoints has no name (its cluster IP's PTR
   stays); one with endpoints, and headless ones, are untouched. */
static void test_ignore_empty_service(void **state)
{
	struct svc_cache *c = cache_from(empty_json);
	struct records_set *set = build_with(c, true, false);

	(void)state;
	assert_null(find(set, "empty.ns.svc.cluster.local"));
	assert_null(find(set, "_http._tcp.empty.ns.svc.cluster.local"));
	assert_non_null(find(set, "1.0.5.10.in-addr.arpa"));
	assert_true(has_addr(must_find(set, "full.ns.svc.cluster.local"), "10.5.0.2"));
	assert_true(has_addr(must_find(set, "hl.ns.svc.cluster.local"), "10.6.1.1"));
	records_set_free(set);
	set = build_with(c, false, false);
	assert_true(has_addr(must_find(set, "empty.ns.svc.cluster.local"), "10.5.0.1"));
	records_set_free(set);
	svc_cache_free(c);
}

/* --no-endpoints (CoreDNS's noendpoints): no endpoint names, no PTRs of
   endpoints, a headless service has no name; cluster IPs stay. */
static void test_no_endpoints(void **state)
{
	struct svc_cache *c = cache_from(empty_json);
	struct records_set *set = build_with(c, false, true);

	(void)state;
	assert_true(has_addr(must_find(set, "full.ns.svc.cluster.local"), "10.5.0.2"));
	assert_null(find(set, "10-6-0-1.full.ns.svc.cluster.local"));
	assert_null(find(set, "1.0.6.10.in-addr.arpa"));
	assert_null(find(set, "hl.ns.svc.cluster.local"));
	assert_null(find(set, "10-6-1-1.hl.ns.svc.cluster.local"));
	records_set_free(set);
	svc_cache_free(c);
}

static void test_publish_not_ready(void **state)
{
	struct fix *f = *state;
	const struct records_name *n;

	n = must_find(f->set, "pnr.testns.svc.cluster.local");
	assert_int_equal(count(n, RR_TYPE_A), 1);
	assert_true(has_addr(n, "10.3.0.1"));
	assert_non_null(find(f->set, "10-3-0-1.pnr.testns.svc.cluster.local"));
	n = must_find(f->set, "tol.testns.svc.cluster.local");
	assert_true(has_addr(n, "10.3.1.1"));
}

static void test_headless_without_ready(void **state)
{
	struct fix *f = *state;

	/* the spec: NXDOMAIN, so the name must not exist at all */
	assert_null(find(f->set, "empty.testns.svc.cluster.local"));
	assert_null(find(f->set, "_http._tcp.empty.testns.svc.cluster.local"));
	assert_null(find(f->set, "e-0.empty.testns.svc.cluster.local"));
	assert_null(find(f->set, "nosl.testns.svc.cluster.local"));
	/* and no PTR for the not-ready address */
	assert_null(find(f->set, "1.0.4.10.in-addr.arpa"));
}

static void test_endpoints_fallback(void **state)
{
	struct fix *f = *state;
	const struct records_name *n;

	/* Endpoints only: every subset, ready addresses only */
	n = must_find(f->set, "legacy.testns.svc.cluster.local");
	assert_int_equal(count(n, RR_TYPE_A), 2);
	assert_true(has_addr(n, "10.5.0.1"));
	assert_true(has_addr(n, "10.5.1.1"));
	assert_non_null(find(f->set, "l-0.legacy.testns.svc.cluster.local"));
	assert_non_null(find(f->set, "10-5-1-1.legacy.testns.svc.cluster.local"));
	assert_non_null(find(f->set, "_a._tcp.legacy.testns.svc.cluster.local"));
	assert_non_null(find(f->set, "_b._tcp.legacy.testns.svc.cluster.local"));
	assert_null(find(f->set, "10-5-0-2.legacy.testns.svc.cluster.local"));

	/* a service with a slice ignores its Endpoints */
	n = must_find(f->set, "both.testns.svc.cluster.local");
	assert_int_equal(count(n, RR_TYPE_A), 1);
	assert_true(has_addr(n, "10.6.0.1"));
	assert_null(find(f->set, "10-6-9-9.both.testns.svc.cluster.local"));
	assert_null(find(f->set, "9.9.6.10.in-addr.arpa"));
}

static void test_ptr(void **state)
{
	struct fix *f = *state;
	const struct records_name *n;
	const struct record *r;

	n = must_find(f->set, "1.0.0.10.in-addr.arpa");
	assert_int_equal(n->n_records, 1);
	r = rec(n, RR_TYPE_PTR, 0);
	assert_int_equal(r->ttl, 5);
	assert_name_rdata(r->rdata, r->rdlen, "svc1.testns.svc.cluster.local");
	assert_int_equal(n->zone, 1); /* in-addr.arpa follows the cluster zones */

	/* endpoint of a ClusterIP service */
	n = must_find(f->set, "3.2.1.10.in-addr.arpa");
	r = rec(n, RR_TYPE_PTR, 0);
	assert_name_rdata(r->rdata, r->rdlen, "10-1-2-3.svc1.testns.svc.cluster.local");

	/* headless endpoints: hostname, dashed */
	n = must_find(f->set, "1.0.2.10.in-addr.arpa");
	r = rec(n, RR_TYPE_PTR, 0);
	assert_name_rdata(r->rdata, r->rdlen, "web-0.hdls.testns.svc.cluster.local");
	n = must_find(f->set, "2.0.2.10.in-addr.arpa");
	r = rec(n, RR_TYPE_PTR, 0);
	assert_name_rdata(r->rdata, r->rdlen, "10-2-0-2.hdls.testns.svc.cluster.local");
	/* not ready: none */
	assert_null(find(f->set, "3.0.2.10.in-addr.arpa"));

	/* IPv6: 32 nibbles, reversed */
	n = must_find(f->set, "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa");
	r = rec(n, RR_TYPE_PTR, 0);
	assert_name_rdata(r->rdata, r->rdlen, "dual.testns.svc.cluster.local");
	assert_int_equal(n->zone, 2);
	n = must_find(f->set, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa");
	r = rec(n, RR_TYPE_PTR, 0);
	assert_name_rdata(r->rdata, r->rdlen, "fd00--1.hdls.testns.svc.cluster.local");
	/* dual stack: the v4 cluster IP too */
	n = must_find(f->set, "2.0.0.10.in-addr.arpa");
	r = rec(n, RR_TYPE_PTR, 0);
	assert_name_rdata(r->rdata, r->rdlen, "dual.testns.svc.cluster.local");
}

/* dname_reverse_parse is dname_reverse's exact inverse: every address
   round-trips, and no other spelling of a reverse name parses (the
   answer table matches reverse names by the address they stand for). */
static void test_reverse_parse(void **state)
{
	static const char *const not_addresses[] = {
		"01.0.0.10.in-addr.arpa", "256.0.0.10.in-addr.arpa", "0.0.10.in-addr.arpa",
		"1.0.0.0.10.in-addr.arpa", "a.0.0.10.in-addr.arpa", "1.0.0.10.in-addr.arpa.x",
		"1.0.0.10.ip6.arpa", "in-addr.arpa", "1000.0.0.10.in-addr.arpa",
		"2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.ip6.arpa",
		"2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.g.ip6.arpa",
		"20.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa",
		"2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.in-addr.arpa"};
	uint8_t w[DNAME_MAX], back[DNAME_MAX];
	struct kube_ip ip, got;
	uint32_t x = 2463534242u;
	size_t i, n;
	(void)state;

	for (i = 0; i < 2000; i++) {
		size_t k;
		memset(&ip, 0, sizeof(ip));
		ip.family = i % 2 ? AF_INET6 : AF_INET;
		for (k = 0; k < 16; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			ip.bytes[k] = (uint8_t)(i < 4 ? i * 85 : x); /* 0, 85, 170, 255 first */
		}
		if (ip.family == AF_INET)
			memset(ip.bytes + 4, 0, 12);
		n = dname_reverse(&ip, w);
		assert_true(dname_reverse_parse(w, n, &got));
		assert_memory_equal(&got, &ip, sizeof(ip));
		assert_int_equal(dname_reverse(&got, back), n);
		assert_memory_equal(back, w, n);
	}
	for (i = 0; i < sizeof(not_addresses) / sizeof(not_addresses[0]); i++) {
		n = dname_from_text(not_addresses[i], w);
		assert_true(n > 0);
		if (dname_reverse_parse(w, n, &got))
			fail_msg("%s parsed", not_addresses[i]);
	}
}

static void test_external_name(void **state)
{
	struct fix *f = *state;
	const struct records_name *n;
	const struct record *r;

	n = must_find(f->set, "ext.testns.svc.cluster.local");
	assert_int_equal(n->n_records, 1);
	r = rec(n, RR_TYPE_CNAME, 0);
	assert_int_equal(r->ttl, 5);
	assert_name_rdata(r->rdata, r->rdlen, "www.example.com"); /* lower case */
	assert_null(find(f->set, "_http._tcp.ext.testns.svc.cluster.local"));

	/* an IP is not a name: no CNAME */
	n = find(f->set, "extip.testns.svc.cluster.local");
	if (n)
		assert_int_equal(count(n, RR_TYPE_CNAME), 0);
}

static void test_zone_records(void **state)
{
	struct fix *f = *state;
	const struct records_name *n;
	const struct record *r;
	const struct records_zone *z;
	static const uint8_t soa_rdata[] =
		"\x02ns\x03" "dns\x07" "cluster\x05local\x00"
		"\x0ahostmaster\x07" "cluster\x05local\x00"
		"\x65\x53\xf1\x00" /* 1700000000 */
		"\x00\x00\x1c\x20" /* 7200 */
		"\x00\x00\x07\x08" /* 1800 */
		"\x00\x01\x51\x80" /* 86400 */
		"\x00\x00\x00\x05"; /* ttl */

	n = must_find(f->set, "dns-version.cluster.local");
	assert_int_equal(n->n_records, 1);
	r = rec(n, RR_TYPE_TXT, 0);
	assert_int_equal(r->ttl, 28800);
	assert_int_equal(r->rdlen, 6);
	assert_memory_equal(r->rdata, "\x05" "1.1.0", 6);

	n = must_find(f->set, "cluster.local");
	assert_int_equal(count(n, RR_TYPE_SOA), 1);
	r = rec(n, RR_TYPE_SOA, 0);
	assert_int_equal(r->ttl, 5);
	assert_int_equal(r->rdlen, sizeof(soa_rdata) - 1);
	assert_memory_equal(r->rdata, soa_rdata, sizeof(soa_rdata) - 1);
	assert_int_equal(count(n, RR_TYPE_NS), 1);
	assert_name_rdata(rec(n, RR_TYPE_NS, 0)->rdata, rec(n, RR_TYPE_NS, 0)->rdlen,
	                  "ns.dns.cluster.local");
	assert_non_null(find(f->set, "ns.dns.cluster.local"));

	/* zones: the cluster zone, then in-addr.arpa and ip6.arpa */
	assert_int_equal(records_zone_count(f->set), 3);
	z = records_zone_at(f->set, 0);
	assert_int_equal(z->kind, RECORDS_ZONE_CLUSTER);
	assert_int_equal(z->name_len, 15);
	assert_memory_equal(z->name, "\x07" "cluster\x05local", 15);
	assert_int_equal(z->soa.type, RR_TYPE_SOA);
	assert_int_equal(z->soa.rdlen, sizeof(soa_rdata) - 1);
	assert_memory_equal(z->soa.rdata, soa_rdata, sizeof(soa_rdata) - 1);
	assert_int_equal(records_zone_at(f->set, 1)->kind, RECORDS_ZONE_REVERSE);
	assert_int_equal(records_zone_at(f->set, 2)->kind, RECORDS_ZONE_REVERSE);
	assert_true(records_name_count(f->set) > 20);
}

static void test_namespaces(void **state)
{
	struct fix *f = *state;
	const struct records_name *n;

	n = must_find(f->set, "testns.svc.cluster.local");
	assert_int_equal(n->n_records, 0);
	n = must_find(f->set, "emptyns.svc.cluster.local"); /* Namespace object */
	assert_int_equal(n->n_records, 0);
	must_find(f->set, "podns.svc.cluster.local");   /* a Pod */
	must_find(f->set, "slicens.svc.cluster.local"); /* an EndpointSlice */
	must_find(f->set, "svc.cluster.local");
	must_find(f->set, "pod.cluster.local");
	assert_null(find(f->set, "nosuchns.svc.cluster.local"));
	/* a slice of no service serves no name */
	assert_null(find(f->set, "ghost.slicens.svc.cluster.local"));
}

static void test_zone_of(void **state)
{
	struct fix *f = *state;
	uint8_t w[DNAME_MAX];
	size_t n;

	n = wire("svc1.testns.svc.cluster.local", w);
	assert_int_equal(records_zone_of(f->set, w, n), 0);
	n = wire("cluster.local", w);
	assert_int_equal(records_zone_of(f->set, w, n), 0);
	n = wire("1.0.0.10.in-addr.arpa", w);
	assert_int_equal(records_zone_of(f->set, w, n), 1);
	n = wire("1.d.f.ip6.arpa", w);
	assert_int_equal(records_zone_of(f->set, w, n), 2);
	n = wire("example.com", w);
	assert_int_equal(records_zone_of(f->set, w, n), -1);
	n = wire("xcluster.local", w);
	assert_int_equal(records_zone_of(f->set, w, n), -1);
	n = wire("local", w);
	assert_int_equal(records_zone_of(f->set, w, n), -1);
	n = wire("arpa", w);
	assert_int_equal(records_zone_of(f->set, w, n), -1);
}

static void test_second_zone(void **state)
{
	struct fix *f = *state;
	static const char *const zones[] = {"cluster.local", "Example.ORG."};
	struct records_set *set = build(f->cache, zones, 2);
	const struct records_name *n, *m;
	const struct record *r;
	uint8_t w[DNAME_MAX];
	size_t len;

	assert_int_equal(records_zone_count(set), 4);
	assert_int_equal(records_zone_at(set, 1)->kind, RECORDS_ZONE_CLUSTER);
	assert_int_equal(records_zone_at(set, 2)->kind, RECORDS_ZONE_REVERSE);
	n = must_find(set, "svc1.testns.svc.example.org");
	assert_int_equal(n->zone, 1);
	assert_true(has_addr(n, "10.0.0.1"));
	m = must_find(set, "svc1.testns.svc.cluster.local");
	assert_int_equal(m->zone, 0);
	assert_int_equal(n->n_records, m->n_records);
	n = must_find(set, "_http._tcp.svc1.testns.svc.example.org");
	assert_srv(rec(n, RR_TYPE_SRV, 0), 100, 80, "svc1.testns.svc.example.org");
	must_find(set, "web-0.hdls.testns.svc.example.org");
	must_find(set, "emptyns.svc.example.org");
	must_find(set, "dns-version.example.org");
	r = rec(must_find(set, "ext.testns.svc.example.org"), RR_TYPE_CNAME, 0);
	assert_name_rdata(r->rdata, r->rdlen, "www.example.com");
	/* SOA of the second zone names it */
	r = rec(must_find(set, "example.org"), RR_TYPE_SOA, 0);
	assert_name_rdata(r->rdata, 20, "ns.dns.example.org");
	/* PTR targets stay in the primary zone, once */
	n = must_find(set, "1.0.0.10.in-addr.arpa");
	assert_int_equal(n->n_records, 1);
	r = rec(n, RR_TYPE_PTR, 0);
	assert_name_rdata(r->rdata, r->rdlen, "svc1.testns.svc.cluster.local");
	assert_int_equal(n->zone, 2);
	len = wire("a.example.org", w);
	assert_int_equal(records_zone_of(set, w, len), 1);
	len = wire("a.cluster.local", w);
	assert_int_equal(records_zone_of(set, w, len), 0);
	records_set_free(set);
}

static void test_bad_zone(void **state)
{
	struct fix *f = *state;
	static const char *const zones[] = {"bad zone!"};
	struct records_config cfg;
	char err[256] = "";

	memset(&cfg, 0, sizeof(cfg));
	cfg.zones = zones;
	cfg.n_zones = 1;
	cfg.ttl = 5;
	assert_null(records_build(f->cache, &cfg, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "bad zone!"));
}

static void test_print_zone(void **state)
{
	struct fix *f = *state;
	char *text = NULL;
	size_t size = 0;
	FILE *fp = open_memstream(&text, &size);
	char first[256];
	size_t n;

	assert_non_null(fp);
	assert_int_equal(records_print_zone(f->set, 0, fp), 0);
	fclose(fp);
	assert_non_null(text);
	n = strcspn(text, "\n");
	assert_true(n < sizeof(first));
	memcpy(first, text, n);
	first[n] = '\0';
	/* "cluster.local.\t5\tIN\tSOA\tns.dns.cluster.local. hostmaster..." */
	if (strncmp(first, "cluster.local.", 14) != 0 || !strstr(first, "SOA") ||
	    !strstr(first, "ns.dns.cluster.local.") ||
	    !strstr(first, "hostmaster.cluster.local.") ||
	    !strstr(first, "1700000000 7200 1800 86400 5"))
		fail_msg("first line: %s", first);
	/* one SOA only, and the records follow */
	assert_null(strstr(text + n, "SOA"));
	assert_non_null(strstr(text, "svc1.testns.svc.cluster.local.\t5\tIN\tA\t10.0.0.1"));
	assert_non_null(strstr(text, "dns-version.cluster.local.\t28800\tIN\tTXT\t\"1.1.0\""));
	/* the cluster zone only: no PTRs */
	assert_null(strstr(text, "in-addr.arpa"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cluster_ip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dual_stack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_srv_cluster_ip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_endpoint_names_of_cluster_ip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_headless, setup, teardown),
		cmocka_unit_test(test_big_headless),
		cmocka_unit_test_setup_teardown(test_publish_not_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_headless_without_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_endpoints_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ptr, setup, teardown),
		cmocka_unit_test(test_reverse_parse),
		cmocka_unit_test_setup_teardown(test_external_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zone_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_namespaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zone_of, setup, teardown),
		cmocka_unit_test(test_srv_weight_floor),
		cmocka_unit_test(test_endpoint_pod_names),
		cmocka_unit_test(test_ignore_empty_service),
		cmocka_unit_test(test_no_endpoints),
		cmocka_unit_test_setup_teardown(test_second_zone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_zone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_print_zone, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
