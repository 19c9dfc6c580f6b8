/* test_answer_table.c - RRsets compiled into wire answers: lookup statuses
 * (found, NODATA, NXDOMAIN, outside, pods), section counts with glue, SRV
 * aliases, CNAME chains, ANY, and the record boundaries in ends[]. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "answer_build.h"
#include "answer_lookup.h"
#include "answer_table.h"
#include "reply.h"
#include "dname.h"
#include "kube_json.h"
#include "kube_object.h"
#include "records.h"
#include "svc_cache.h"
#include "cache_fixture.h"


/* Puts name as zone_sync does: 1 (nothing put) when another name's node
   of set answers it, else answer_build_put's 0 or -1. */
static int put_name(struct answer_table *t, const struct records_set *set,
                    const struct records_name *name)
{
	struct answer_builder *b;
	int rc;

	if (answer_build_folded(set, name))
		return 1;
	b = answer_builder_new();
	assert_non_null(b);
	rc = answer_build_put(b, t, set, name);
	answer_builder_free(b);
	return rc;
}

static const char cluster_json[] =
	"{\"kind\":\"List\",\"items\":[\n"
	" {\"kind\":\"Service\",\"metadata\":{\"name\":\"svc1\",\"namespace\":\"testns\"},\n"
	"  \"spec\":{\"clusterIP\":\"10.0.0.1\",\"ports\":[{\"name\":\"http\",\"port\":80},{\"name\":\"https\",\"port\":443}]}},\n"
	" {\"kind\":\"Service\",\"metadata\":{\"name\":\"dual\",\"namespace\":\"testns\"},\n"
	"  \"spec\":{\"clusterIP\":\"10.0.0.2\",\"clusterIPs\":[\"10.0.0.2\",\"fd00::2\"],\n"
	"    \"ports\":[{\"name\":\"http\",\"port\":80}]}},\n"
	" {\"kind\":\"Service\",\"metadata\":{\"name\":\"hdls\",\"namespace\":\"testns\"},\n"
	"  \"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"name\":\"http\",\"port\":80}]}},\n"
	" {\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"hdls-1\",\"namespace\":\"testns\",\n"
	"   \"labels\":{\"kubernetes.io/service-name\":\"hdls\"}},\n"
	"  \"endpoints\":[{\"addresses\":[\"10.2.0.1\"],\"hostname\":\"web-0\"},\n"
	"               {\"addresses\":[\"10.2.0.2\"]},{\"addresses\":[\"10.2.0.3\"]},\n"
	"               {\"addresses\":[\"10.2.0.4\"],\"conditions\":{\"ready\":false}}],\n"
	"  \"ports\":[{\"name\":\"http\",\"port\":80}]},\n"
	" {\"kind\":\"Service\",\"metadata\":{\"name\":\"empty\",\"namespace\":\"testns\"},\n"
	"  \"spec\":{\"clusterIP\":\"None\"}},\n"
	" {\"kind\":\"Service\",\"metadata\":{\"name\":\"ext\",\"namespace\":\"testns\"},\n"
	"  \"spec\":{\"type\":\"ExternalName\",\"externalName\":\"www.example.com\"}},\n"
	" {\"kind\":\"Service\",\"metadata\":{\"name\":\"alias\",\"namespace\":\"testns\"},\n"
	"  \"spec\":{\"type\":\"ExternalName\",\"externalName\":\"svc1.testns.svc.cluster.local\"}},\n"
	" {\"kind\":\"Namespace\",\"metadata\":{\"name\":\"other\"}}\n"
	"]}";

struct fix {
	struct svc_cache *cache;
	struct records_set *set;
	struct answer_table *table;
	struct answer_table *pods; /* built with pods_insecure */
};

static int setup(void **state)
{
	static struct fix f;
	struct records_config cfg;
	char err[256] = "";

	f.cache = svc_cache_new();
	if (kube_json_parse_document(cluster_json, strlen(cluster_json), cache_put_cb, f.cache,
	                             err, sizeof(err)) != 0)
		fail_msg("%s", err);
	cluster_config(&cfg);
	f.set = records_build(f.cache, &cfg, 42, err, sizeof(err));
	assert_non_null(f.set);
	f.table = answer_build_table(f.set, false, err, sizeof(err));
	assert_non_null(f.table);
	f.pods = answer_build_table(f.set, true, err, sizeof(err));
	assert_non_null(f.pods);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	answer_table_free(f->table);
	answer_table_free(f->pods);
	records_set_free(f->set);
	svc_cache_free(f->cache);
	return 0;
}

static void lookup(const struct answer_table *t, const char *text, uint16_t qtype,
                   struct answer_ref *ref)
{
	uint8_t w[DNAME_MAX];
	size_t n = dname_from_text(text, w);

	assert_true(n > 0);
	memset(ref, 0xAB, sizeof(*ref));
	answer_lookup(t, w, n, qtype, ref);
}

/* Skips a (possibly compressed) name in body; returns the new offset. */
static size_t skip_name(const uint8_t *b, size_t len, size_t pos)
{
	for (;;) {
		assert_true(pos < len);
		if ((b[pos] & 0xC0) == 0xC0) {
			assert_true(pos + 2 <= len);
			return pos + 2;
		}
		assert_true(b[pos] <= 63);
		if (b[pos] == 0)
			return pos + 1;
		pos += b[pos] + 1u;
	}
}

/* Walks the records of a body: ends[] must mark each record's end, the
   last one the body's length, and each answer owner must be 0xC00C. */
static void check_body(const struct answer_body *body, uint16_t first_type)
{
	size_t pos = 0, i, total = (size_t)body->an + body->ns + body->ar;
	uint16_t prev = 0;

	assert_true(total > 0);
	for (i = 0; i < total; i++) {
		uint16_t type, rdlen;
		if (i < body->an) {
			/* the first answer is owned by the question; later ones in a
			   CNAME chain by the previous target */
			if (i == 0) {
				assert_int_equal(body->wire[pos], 0xC0);
				assert_int_equal(body->wire[pos + 1], 0x0C);
			}
		}
		pos = skip_name(body->wire, body->len, pos);
		assert_true(pos + 10 <= body->len);
		type = (uint16_t)((body->wire[pos] << 8) | body->wire[pos + 1]);
		if (i == 0 && first_type)
			assert_int_equal(type, first_type);
		assert_int_equal((body->wire[pos + 2] << 8) | body->wire[pos + 3], 1);
		rdlen = (uint16_t)((body->wire[pos + 8] << 8) | body->wire[pos + 9]);
		if (type == RR_TYPE_SRV) {
			/* RFC 2782: the target is not compressed (Go's resolver
			   before 1.22 rejects the message otherwise) */
			size_t at = pos + 10 + 6;
			while (at < pos + 10u + rdlen && body->wire[at] != 0) {
				assert_true(body->wire[at] <= 63);
				at += body->wire[at] + 1u;
			}
			assert_int_equal(at + 1, pos + 10u + rdlen);
		}
		pos += 10u + rdlen;
		assert_true(pos <= body->len);
		assert_int_equal(body->ends[i], pos);
		assert_true(body->ends[i] > prev);
		prev = body->ends[i];
	}
	assert_int_equal(body->ends[total - 1], body->len);
	assert_int_equal(pos, body->len);
}

static void expect_found(const struct answer_table *t, const char *name, uint16_t qtype,
                         uint16_t an, uint16_t ar, uint16_t first_type)
{
	struct answer_ref ref;

	lookup(t, name, qtype, &ref);
	if (ref.status != ANSWER_FOUND)
		fail_msg("%s/%u: status %d, expected FOUND", name, qtype, ref.status);
	assert_int_equal(ref.body.an, an);
	assert_int_equal(ref.body.ns, 0);
	assert_int_equal(ref.body.ar, ar);
	check_body(&ref.body, first_type);
}

static void expect_negative(const struct answer_table *t, const char *name,
                            uint16_t qtype, enum answer_status status)
{
	struct answer_ref ref;

	lookup(t, name, qtype, &ref);
	if (ref.status != status)
		fail_msg("%s/%u: status %d, expected %d", name, qtype, ref.status, status);
	assert_int_equal(ref.apex_len, 15);
	assert_memory_equal(ref.apex, "\x07" "cluster\x05local", 15);
	/* SOA after its owner: type, class, ttl, rdlength, rdata */
	assert_true(ref.soa_len > 10);
	assert_int_equal((ref.soa[0] << 8) | ref.soa[1], RR_TYPE_SOA);
	assert_int_equal((ref.soa[2] << 8) | ref.soa[3], 1);
	assert_int_equal((ref.soa[8] << 8) | ref.soa[9], ref.soa_len - 10);
	assert_memory_equal(ref.soa + 10, "\x02ns\x03" "dns\x07" "cluster\x05local", 21);
}

static void expect_status(const struct answer_table *t, const char *name,
                          uint16_t qtype, enum answer_status status)
{
	struct answer_ref ref;

	lookup(t, name, qtype, &ref);
	if (ref.status != status)
		fail_msg("%s/%u: status %d, expected %d", name, qtype, ref.status, status);
}

static void test_found(void **state)
{
	struct fix *f = *state;
	struct answer_ref ref;

	lookup(f->table, "svc1.testns.svc.cluster.local", RR_TYPE_A, &ref);
	assert_int_equal(ref.status, ANSWER_FOUND);
	assert_int_equal(ref.body.an, 1);
	assert_int_equal(ref.body.ar, 0);
	assert_int_equal(ref.body.len, 16);
	assert_memory_equal(ref.body.wire,
	                    "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x05\x00\x04\x0a\x00\x00\x01", 16);
	check_body(&ref.body, RR_TYPE_A);

	expect_found(f->table, "dual.testns.svc.cluster.local", RR_TYPE_AAAA, 1, 0, RR_TYPE_AAAA);
	expect_found(f->table, "hdls.testns.svc.cluster.local", RR_TYPE_A, 3, 0, RR_TYPE_A);
	expect_found(f->table, "web-0.hdls.testns.svc.cluster.local", RR_TYPE_A, 1, 0, RR_TYPE_A);
	expect_found(f->table, "dns-version.cluster.local", RR_TYPE_TXT, 1, 0, RR_TYPE_TXT);
	expect_found(f->table, "cluster.local", RR_TYPE_SOA, 1, 0, RR_TYPE_SOA);
	expect_found(f->table, "1.0.0.10.in-addr.arpa", RR_TYPE_PTR, 1, 0, RR_TYPE_PTR);
	expect_found(f->table, "1.0.2.10.in-addr.arpa", RR_TYPE_PTR, 1, 0, RR_TYPE_PTR);
}

static void test_srv_glue(void **state)
{
	struct fix *f = *state;

	/* the target's address in the additional section */
	expect_found(f->table, "_http._tcp.svc1.testns.svc.cluster.local", RR_TYPE_SRV, 1, 1,
	             RR_TYPE_SRV);
	/* dual stack: A and AAAA glue */
	expect_found(f->table, "_http._tcp.dual.testns.svc.cluster.local", RR_TYPE_SRV, 1, 2,
	             RR_TYPE_SRV);
	/* headless: one SRV and one glue address per ready endpoint */
	expect_found(f->table, "_http._tcp.hdls.testns.svc.cluster.local", RR_TYPE_SRV, 3, 3,
	             RR_TYPE_SRV);
	/* bare name: every port, the target's address once */
	expect_found(f->table, "svc1.testns.svc.cluster.local", RR_TYPE_SRV, 2, 1, RR_TYPE_SRV);
}

static void test_srv_alias(void **state)
{
	struct fix *f = *state;

	expect_found(f->table, "http.tcp.svc1.testns.svc.cluster.local", RR_TYPE_SRV, 1, 1,
	             RR_TYPE_SRV);
	expect_found(f->table, "https.tcp.svc1.testns.svc.cluster.local", RR_TYPE_SRV, 1, 1,
	             RR_TYPE_SRV);
	expect_found(f->table, "http.tcp.hdls.testns.svc.cluster.local", RR_TYPE_SRV, 3, 3,
	             RR_TYPE_SRV);
	expect_status(f->table, "http.udp.svc1.testns.svc.cluster.local", RR_TYPE_SRV,
	              ANSWER_NXDOMAIN);
}

static void test_nodata(void **state)
{
	struct fix *f = *state;

	expect_negative(f->table, "svc1.testns.svc.cluster.local", RR_TYPE_TXT, ANSWER_NODATA);
	expect_negative(f->table, "svc1.testns.svc.cluster.local", RR_TYPE_AAAA, ANSWER_NODATA);
	expect_negative(f->table, "testns.svc.cluster.local", RR_TYPE_A, ANSWER_NODATA);
	expect_negative(f->table, "other.svc.cluster.local", RR_TYPE_A, ANSWER_NODATA);
	expect_negative(f->table, "svc.cluster.local", RR_TYPE_A, ANSWER_NODATA);
	expect_negative(f->table, "pod.cluster.local", RR_TYPE_A, ANSWER_NODATA);
	expect_negative(f->table, "cluster.local", RR_TYPE_A, ANSWER_NODATA);
	expect_negative(f->table, "dns-version.cluster.local", RR_TYPE_A, ANSWER_NODATA);
	expect_negative(f->table, "_http._tcp.svc1.testns.svc.cluster.local", RR_TYPE_A,
	                ANSWER_NODATA);
}

static void test_nxdomain(void **state)
{
	struct fix *f = *state;

	expect_negative(f->table, "nosuch.testns.svc.cluster.local", RR_TYPE_A, ANSWER_NXDOMAIN);
	expect_negative(f->table, "nosuchns.svc.cluster.local", RR_TYPE_A, ANSWER_NXDOMAIN);
	expect_negative(f->table, "empty.testns.svc.cluster.local", RR_TYPE_A, ANSWER_NXDOMAIN);
	expect_negative(f->table, "a.b.svc1.testns.svc.cluster.local", RR_TYPE_A,
	                ANSWER_NXDOMAIN);
	expect_negative(f->table, "10-2-0-4.hdls.testns.svc.cluster.local", RR_TYPE_A,
	                ANSWER_NXDOMAIN);
	expect_negative(f->table, "x.cluster.local", RR_TYPE_A, ANSWER_NXDOMAIN);
}

static void test_outside(void **state)
{
	struct fix *f = *state;
	uint8_t w[DNAME_MAX];
	size_t n;

	expect_status(f->table, "example.com", RR_TYPE_A, ANSWER_OUTSIDE);
	expect_status(f->table, "www.example.com", RR_TYPE_A, ANSWER_OUTSIDE);
	expect_status(f->table, "local", RR_TYPE_A, ANSWER_OUTSIDE);
	expect_status(f->table, "xcluster.local", RR_TYPE_A, ANSWER_OUTSIDE);
	expect_status(f->table, "svc1.testns.svc.cluster.local.example.com", RR_TYPE_A,
	              ANSWER_OUTSIDE);
	/* reverse names we do not know go upstream */
	expect_status(f->table, "9.9.9.9.in-addr.arpa", RR_TYPE_PTR, ANSWER_OUTSIDE);
	expect_status(f->table, "4.0.2.10.in-addr.arpa", RR_TYPE_PTR, ANSWER_OUTSIDE);
	expect_status(f->table, "1.d.f.ip6.arpa", RR_TYPE_PTR, ANSWER_OUTSIDE);
	/* the root */
	{
		struct answer_ref ref;
		answer_lookup(f->table, (const uint8_t *)"", 1, RR_TYPE_A, &ref);
		assert_int_equal(ref.status, ANSWER_OUTSIDE);
	}
	n = dname_from_text("a.cluster.local", w);
	assert_true(answer_table_in_zone(f->table, w, n));
	n = dname_from_text("9.9.9.9.in-addr.arpa", w);
	assert_true(answer_table_in_zone(f->table, w, n));
	n = dname_from_text("example.com", w);
	assert_false(answer_table_in_zone(f->table, w, n));
}

static void test_cname(void **state)
{
	struct fix *f = *state;
	static const uint16_t types[] = {RR_TYPE_A, RR_TYPE_AAAA, RR_TYPE_TXT, RR_TYPE_SRV,
	                                 15 /* MX */};
	size_t i;

	/* an out-of-zone target: the CNAME alone, for any type */
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		expect_found(f->table, "ext.testns.svc.cluster.local", types[i], 1, 0,
		             RR_TYPE_CNAME);
	/* an in-zone target's addresses are followed */
	expect_found(f->table, "alias.testns.svc.cluster.local", RR_TYPE_A, 2, 0, RR_TYPE_CNAME);
	/* its SRV records are not: CoreDNS never answers SRV for an
	   ExternalName service (the client asks the target itself) */
	expect_found(f->table, "alias.testns.svc.cluster.local", RR_TYPE_SRV, 1, 0,
	             RR_TYPE_CNAME);
	/* the target lacks AAAA: the CNAME alone */
	expect_found(f->table, "alias.testns.svc.cluster.local", RR_TYPE_AAAA, 1, 0,
	             RR_TYPE_CNAME);
}

static void test_any(void **state)
{
	struct fix *f = *state;

	/* RFC 8482: one RRset */
	expect_found(f->table, "dual.testns.svc.cluster.local", RR_TYPE_ANY, 1, 0, 0);
	expect_found(f->table, "svc1.testns.svc.cluster.local", RR_TYPE_ANY, 1, 0, RR_TYPE_A);
	expect_found(f->table, "dns-version.cluster.local", RR_TYPE_ANY, 1, 0, RR_TYPE_TXT);
	expect_negative(f->table, "testns.svc.cluster.local", RR_TYPE_ANY, ANSWER_NODATA);
	expect_negative(f->table, "nosuch.testns.svc.cluster.local", RR_TYPE_ANY,
	                ANSWER_NXDOMAIN);
}

static void test_pods(void **state)
{
	struct fix *f = *state;
	struct answer_ref ref;
	struct kube_ip ip;

	lookup(f->pods, "10-1-2-3.testns.pod.cluster.local", RR_TYPE_A, &ref);
	assert_int_equal(ref.status, ANSWER_POD);
	assert_int_equal(ref.ttl, 5);
	assert_int_equal(ref.pod_ip.family, AF_INET);
	assert_memory_equal(ref.pod_ip.bytes, "\x0a\x01\x02\x03", 4);
	/* any namespace that exists, here one from a Namespace object */
	lookup(f->pods, "10-1-2-3.other.pod.cluster.local", RR_TYPE_A, &ref);
	assert_int_equal(ref.status, ANSWER_POD);
	lookup(f->pods, "10-1-2-3.testns.pod.cluster.local", RR_TYPE_ANY, &ref);
	assert_int_equal(ref.status, ANSWER_POD);
	/* the other family: NODATA */
	expect_negative(f->pods, "10-1-2-3.testns.pod.cluster.local", RR_TYPE_AAAA,
	                ANSWER_NODATA);
	/* IPv6 */
	lookup(f->pods, "fd00--1.testns.pod.cluster.local", RR_TYPE_AAAA, &ref);
	assert_int_equal(ref.status, ANSWER_POD);
	assert_int_equal(kube_ip_parse("fd00::1", &ip), 0);
	assert_int_equal(ref.pod_ip.family, AF_INET6);
	assert_memory_equal(ref.pod_ip.bytes, ip.bytes, 16);
	expect_negative(f->pods, "fd00--1.testns.pod.cluster.local", RR_TYPE_A, ANSWER_NODATA);
	/* the namespace must exist */
	expect_negative(f->pods, "10-1-2-3.nosuchns.pod.cluster.local", RR_TYPE_A,
	                ANSWER_NXDOMAIN);
	/* not an address */
	expect_negative(f->pods, "10-1-2.testns.pod.cluster.local", RR_TYPE_A, ANSWER_NXDOMAIN);
	expect_negative(f->pods, "10-1-2-300.testns.pod.cluster.local", RR_TYPE_A,
	                ANSWER_NXDOMAIN);
	expect_negative(f->pods, "web.testns.pod.cluster.local", RR_TYPE_A, ANSWER_NXDOMAIN);
	expect_negative(f->pods, "x.10-1-2-3.testns.pod.cluster.local", RR_TYPE_A,
	                ANSWER_NXDOMAIN);
	expect_negative(f->pods, "10-1-2-3.testns.svc.cluster.local", RR_TYPE_A,
	                ANSWER_NXDOMAIN);
	/* disabled: NXDOMAIN */
	expect_negative(f->table, "10-1-2-3.testns.pod.cluster.local", RR_TYPE_A,
	                ANSWER_NXDOMAIN);
	expect_negative(f->table, "fd00--1.testns.pod.cluster.local", RR_TYPE_AAAA,
	                ANSWER_NXDOMAIN);
}

/* Every answer of every name: well-formed bodies and ends[]. */
static void test_all_bodies(void **state)
{
	struct fix *f = *state;
	static const uint16_t types[] = {RR_TYPE_A,   RR_TYPE_AAAA, RR_TYPE_SRV, RR_TYPE_PTR,
	                                 RR_TYPE_TXT, RR_TYPE_SOA,  RR_TYPE_NS,  RR_TYPE_CNAME,
	                                 RR_TYPE_ANY};
	size_t i, k, found = 0;

	for (i = 0; i < records_name_count(f->set); i++) {
		const struct records_name *n = records_name_at(f->set, i);
		for (k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
			struct answer_ref ref;
			answer_lookup(f->table, n->owner, n->owner_len, types[k], &ref);
			assert_true(ref.status == ANSWER_FOUND || ref.status == ANSWER_NODATA);
			if (ref.status == ANSWER_FOUND) {
				check_body(&ref.body, 0);
				found++;
			}
		}
	}
	assert_true(found > 20);
	/* At most a node per name: _port._proto and PTR names may have none. */
	assert_true(answer_table_entries(f->table) > 0);
	assert_true(answer_table_entries(f->table) < records_name_count(f->set));
	assert_true(answer_table_bytes(f->table) > 0);
}

/* A headless service with many endpoints: a big body, still consistent. */
static void test_big_answer(void **state)
{
	struct svc_cache *c = svc_cache_new();
	struct records_config cfg;
	struct records_set *set;
	struct answer_table *t;
	struct answer_ref ref;
	char *json, err[256] = "";
	size_t len = 0, cap = 1 << 20;
	int i;
	(void)state;

	json = malloc(cap);
	assert_non_null(json);
	len += (size_t)snprintf(json + len, cap - len,
	                        "{\"kind\":\"List\",\"items\":[{\"kind\":\"Service\",\"metadata\":"
	                        "{\"name\":\"big\",\"namespace\":\"n\"},\"spec\":{\"clusterIP\":\"None\","
	                        "\"ports\":[{\"name\":\"http\",\"port\":80}]}},{\"kind\":\"EndpointSlice\","
	                        "\"metadata\":{\"name\":\"big-1\",\"namespace\":\"n\",\"labels\":"
	                        "{\"kubernetes.io/service-name\":\"big\"}},\"ports\":[{\"name\":\"http\","
	                        "\"port\":80}],\"endpoints\":[");
	for (i = 0; i < 500; i++)
		len += (size_t)snprintf(json + len, cap - len, "%s{\"addresses\":[\"10.8.%d.%d\"]}",
		                        i ? "," : "", i / 250, i % 250 + 1);
	len += (size_t)snprintf(json + len, cap - len, "]}]}");
	assert_int_equal(kube_json_parse_document(json, len, cache_put_cb, c, err, sizeof(err)), 0);
	free(json);
	cluster_config(&cfg);
	set = records_build(c, &cfg, 1, err, sizeof(err));
	assert_non_null(set);
	t = answer_build_table(set, false, err, sizeof(err));
	assert_non_null(t);
	records_set_free(set); /* the table keeps its own copy */
	svc_cache_free(c);

	lookup(t, "big.n.svc.cluster.local", RR_TYPE_A, &ref);
	assert_int_equal(ref.status, ANSWER_FOUND);
	assert_int_equal(ref.body.an, 500);
	assert_int_equal(ref.body.len, 500 * 16);
	check_body(&ref.body, RR_TYPE_A);
	lookup(t, "_http._tcp.big.n.svc.cluster.local", RR_TYPE_SRV, &ref);
	assert_int_equal(ref.status, ANSWER_FOUND);
	assert_int_equal(ref.body.an, 500);
	assert_int_equal(ref.body.ar, 500);
	check_body(&ref.body, RR_TYPE_SRV);
	answer_table_free(t);
}

/* ---- compact service nodes against prebuilt answers ---------------------
   answer_build folds a ClusterIP service's _port._proto names into one
   node whose answers are written at lookup time, but only for sets of one
   service's size. The same cluster with 300 more namespaces is too big to
   fold: its table holds every answer prebuilt, and both must answer every
   name, every type, byte for byte. */

static struct answer_table *unfolded_table(struct svc_cache **cache_out,
                                           struct records_set **set_out)
{
	struct svc_cache *c = svc_cache_new();
	struct records_config cfg;
	struct records_set *set;
	struct answer_table *t;
	char json[64], err[256] = "";
	int i;

	assert_int_equal(kube_json_parse_document(cluster_json, strlen(cluster_json), cache_put_cb,
	                                          c, err, sizeof(err)), 0);
	for (i = 0; i < 300; i++) {
		int n = snprintf(json, sizeof(json),
		                 "{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"f%d\"}}", i);
		assert_int_equal(kube_json_parse_document(json, (size_t)n, cache_put_cb, c, err,
		                                          sizeof(err)), 0);
	}
	cluster_config(&cfg);
	set = records_build(c, &cfg, 42, err, sizeof(err));
	assert_non_null(set);
	assert_true(records_name_count(set) > 300);
	t = answer_build_table(set, false, err, sizeof(err));
	assert_non_null(t);
	*cache_out = c;
	*set_out = set;
	return t;
}

/* The reply a client gets for ref: a header, the question name/qtype,
   the body copied as query.c copies it. NULL when it does not parse. */
static ldns_pkt *as_reply(const struct answer_ref *ref, const uint8_t *name, size_t len,
                          uint16_t qtype)
{
	static uint8_t msg[65536];
	size_t pos = 12, n = (size_t)ref->body.an + ref->body.ns + ref->body.ar;
	ldns_pkt *pkt = NULL;

	memset(msg, 0, 12);
	msg[2] = 0x84; /* QR AA */
	msg[5] = 1;
	msg[7] = (uint8_t)ref->body.an;
	msg[9] = (uint8_t)ref->body.ns;
	msg[11] = (uint8_t)ref->body.ar;
	memcpy(msg + pos, name, len);
	pos += len;
	msg[pos++] = (uint8_t)(qtype >> 8);
	msg[pos++] = (uint8_t)qtype;
	msg[pos++] = 0;
	msg[pos++] = 1;
	pos += reply_body_copy(&ref->body, n, ref->pointer_shift, ref->question_moves,
	                        msg + pos);
	return ldns_wire2pkt(&pkt, msg, pos) == LDNS_STATUS_OK ? pkt : NULL;
}

/* Whether a's and b's replies hold the same records, section by section,
   in the same order (their compression may differ). */
static bool same_reply(const struct answer_ref *a, const struct answer_ref *b,
                       const uint8_t *name, size_t len, uint16_t qtype)
{
	ldns_pkt *pa = as_reply(a, name, len, qtype), *pb = as_reply(b, name, len, qtype);
	bool same = pa && pb &&
	            ldns_rr_list_compare(ldns_pkt_answer(pa), ldns_pkt_answer(pb)) == 0 &&
	            ldns_rr_list_compare(ldns_pkt_authority(pa), ldns_pkt_authority(pb)) == 0 &&
	            ldns_rr_list_compare(ldns_pkt_additional(pa), ldns_pkt_additional(pb)) == 0;

	ldns_pkt_free(pa);
	ldns_pkt_free(pb);
	return same;
}

static void expect_same(const struct answer_table *a, const struct answer_table *b,
                        const uint8_t *name, size_t len, uint16_t qtype)
{
	struct answer_ref ra, rb;
	char text[DNAME_MAX * 4 + 2];

	assert_int_equal(dname_to_text(name, len, text, sizeof(text)), 0);
	answer_lookup(a, name, len, qtype, &ra);
	answer_lookup(b, name, len, qtype, &rb);
	if (ra.status != rb.status)
		fail_msg("%s/%u: status %d, prebuilt %d", text, qtype, ra.status, rb.status);
	if (ra.status == ANSWER_FOUND && ra.question_moves) {
		/* A _port._proto name its service's prebuilt node answers: the
		   service's body, copied with its pointers moved. The same
		   records, compressed against the service's name. */
		if (ra.body.an != rb.body.an || ra.body.ar != rb.body.ar ||
		    ra.body.ns != rb.body.ns || !same_reply(&ra, &rb, name, len, qtype))
			fail_msg("%s/%u: answers differ from the prebuilt ones", text, qtype);
		assert_int_equal(ra.chase, rb.chase);
		check_body(&ra.body, 0);
	} else if (ra.status == ANSWER_FOUND) {
		size_t n = (size_t)ra.body.an + ra.body.ns + ra.body.ar;
		if (ra.body.an != rb.body.an || ra.body.ar != rb.body.ar ||
		    ra.body.ns != rb.body.ns || ra.body.len != rb.body.len ||
		    memcmp(ra.body.wire, rb.body.wire, ra.body.len) != 0)
			fail_msg("%s/%u: answers differ (%u/%u/%u %u bytes, prebuilt "
			         "%u/%u/%u %u bytes)",
			         text, qtype, ra.body.an, ra.body.ns, ra.body.ar, ra.body.len,
			         rb.body.an, rb.body.ns, rb.body.ar, rb.body.len);
		assert_memory_equal(ra.body.ends, rb.body.ends, n * sizeof(uint16_t));
		assert_int_equal(ra.pointer_shift, rb.pointer_shift);
		assert_int_equal(ra.chase, rb.chase);
		assert_true(same_reply(&ra, &rb, name, len, qtype));
		check_body(&ra.body, 0);
	} else if (ra.status == ANSWER_NODATA || ra.status == ANSWER_NXDOMAIN) {
		assert_int_equal(ra.soa_len, rb.soa_len);
		assert_memory_equal(ra.soa, rb.soa, ra.soa_len);
	}
}

/* name with its first two labels' leading '_' taken off (SRV aliases). */
static size_t without_underscores(const uint8_t *name, size_t len, uint8_t *out)
{
	size_t l1 = name[0], l2 = name[1 + l1];

	out[0] = (uint8_t)(l1 - 1);
	memcpy(out + 1, name + 2, l1 - 1);
	out[l1] = (uint8_t)(l2 - 1);
	memcpy(out + l1 + 1, name + l1 + 3, l2 - 1);
	memcpy(out + l1 + l2, name + 2 + l1 + l2, len - 2 - l1 - l2);
	return len - 2;
}

static void test_compact_same_answers(void **state)
{
	static const uint16_t types[] = {RR_TYPE_A,   RR_TYPE_AAAA, RR_TYPE_SRV, RR_TYPE_PTR,
	                                 RR_TYPE_TXT, RR_TYPE_SOA,  RR_TYPE_NS,  RR_TYPE_CNAME,
	                                 RR_TYPE_ANY};
	static const char *const extra[] = {
		"_tcp.svc1.testns.svc.cluster.local", "_nope._tcp.svc1.testns.svc.cluster.local",
		"x._http._tcp.svc1.testns.svc.cluster.local", "_http._udp.dual.testns.svc.cluster.local",
		"http.tcp.dual.testns.svc.cluster.local", "_http.tcp.svc1.testns.svc.cluster.local",
		"http._tcp.svc1.testns.svc.cluster.local", "_a._b.svc1.testns.svc.cluster.local"};
	struct fix *f = *state;
	struct svc_cache *c;
	struct records_set *set;
	struct answer_table *big = unfolded_table(&c, &set);
	uint8_t w[DNAME_MAX];
	size_t i, k, n, folded = 0;

	/* The 300 namespaces are 300 names; the folded table has fewer still. */
	assert_true(answer_table_entries(f->table) + 300 < answer_table_entries(big));
	for (i = 0; i < records_name_count(f->set); i++) {
		const struct records_name *name = records_name_at(f->set, i);
		for (k = 0; k < sizeof(types) / sizeof(types[0]); k++)
			expect_same(f->table, big, name->owner, name->owner_len, types[k]);
		if (name->owner_len > 4 && name->owner[1] == '_') {
			folded++;
			n = without_underscores(name->owner, name->owner_len, w);
			expect_same(f->table, big, w, n, RR_TYPE_SRV);
			expect_same(f->table, big, w, n, RR_TYPE_ANY);
			expect_same(f->table, big, w, n, RR_TYPE_A);
		}
	}
	assert_true(folded >= 4); /* svc1 http, https; dual http; hdls http */
	{
		/* hdls's one named port: answered from hdls's prebuilt node */
		struct answer_ref ref;
		n = dname_from_text("_http._tcp.hdls.testns.svc.cluster.local", w);
		answer_lookup(f->table, w, n, RR_TYPE_SRV, &ref);
		assert_int_equal(ref.status, ANSWER_FOUND);
		assert_true(ref.question_moves);
		n = dname_from_text("http.tcp.hdls.testns.svc.cluster.local", w);
		answer_lookup(f->table, w, n, RR_TYPE_SRV, &ref);
		assert_int_equal(ref.status, ANSWER_FOUND);
		assert_true(ref.question_moves);
		assert_int_equal(ref.pointer_shift, 9); /* \4http\3tcp in front of hdls */
	}
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		n = dname_from_text(extra[i], w);
		for (k = 0; k < sizeof(types) / sizeof(types[0]); k++)
			expect_same(f->table, big, w, n, types[k]);
	}
	answer_table_free(big);
	records_set_free(set);
	svc_cache_free(c);
}

/* A CNAME put on its own (zone_sync's sets hold one service) follows its
   target into the table: out of a compact node the same as out of a
   prebuilt one. */
static void test_compact_cname_target(void **state)
{
	static const uint16_t types[] = {RR_TYPE_A, RR_TYPE_AAAA, RR_TYPE_SRV, RR_TYPE_ANY,
	                                 RR_TYPE_CNAME};
	struct fix *f = *state;
	struct svc_cache *c;
	struct records_set *big_set, *one;
	struct answer_table *big = unfolded_table(&c, &big_set);
	struct records_config cfg;
	uint8_t w[DNAME_MAX];
	char err[256] = "";
	size_t n = dname_from_text("alias.testns.svc.cluster.local", w), k;
	const struct records_name *name;

	cluster_config(&cfg);
	one = records_new(&cfg, 42, err, sizeof(err));
	assert_non_null(one);
	records_add_service(one, f->cache, svc_cache_get(f->cache, KUBE_KIND_SERVICE, "testns",
	                                                 "alias"));
	assert_int_equal(records_finish(one), 0);
	name = records_find(one, w, n);
	assert_non_null(name);
	{
		uint8_t target[DNAME_MAX];
		size_t tlen = dname_from_text("svc1.testns.svc.cluster.local", target);
		assert_null(records_find(one, target, tlen)); /* found in the table */
	}
	assert_int_equal(put_name(f->table, one, name), 0);
	assert_int_equal(put_name(big, one, name), 0); /* prebuilt svc1 */
	for (k = 0; k < sizeof(types) / sizeof(types[0]); k++)
		expect_same(f->table, big, w, n, types[k]);
	expect_found(f->table, "alias.testns.svc.cluster.local", RR_TYPE_A, 2, 0,
	             RR_TYPE_CNAME);
	records_set_free(one);
	answer_table_free(big);
	records_set_free(big_set);
	svc_cache_free(c);
}

/* A cache and its records from one kubectl List document. */
static struct records_set *set_of(const char *json, struct svc_cache **cache)
{
	struct records_config cfg;
	char err[256] = "";
	struct records_set *set;

	*cache = svc_cache_new();
	assert_non_null(*cache);
	if (kube_json_parse_document(json, strlen(json), cache_put_cb, *cache, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	cluster_config(&cfg);
	set = records_build(*cache, &cfg, 42, err, sizeof(err));
	assert_non_null(set);
	return set;
}

/* The PTR answer's single target, as text. */
static void expect_ptr(const struct answer_table *t, const char *rev, const char *target)
{
	struct answer_ref ref;
	char text[DNAME_MAX * 4];

	lookup(t, rev, RR_TYPE_PTR, &ref);
	assert_int_equal(ref.status, ANSWER_FOUND);
	assert_int_equal(ref.body.an, 1);
	check_body(&ref.body, RR_TYPE_PTR);
	assert_int_equal(dname_to_text(ref.body.wire + 12, ref.body.len - 12, text, sizeof(text)),
	                 0);
	assert_string_equal(text, target);
}

/* A reverse name that a compact node answers (a link, no node of its own)
   gives way to a node of the name's own (zone_sync puts one when services
   share the address), answers again once that node goes, and follows its
   service's node when the service moves or goes. */
static void test_ptr_links(void **state)
{
#define SVC(name, ip)                                                                   \
	"{\"kind\":\"Service\",\"metadata\":{\"name\":\"" name "\",\"namespace\":\"n\"},"     \
	"\"spec\":{\"clusterIP\":\"" ip "\",\"ports\":[{\"name\":\"http\",\"port\":80}]}}"
	static const char one[] = "{\"kind\":\"List\",\"items\":[" SVC("a", "10.9.0.1") "]}";
	static const char two[] = "{\"kind\":\"List\",\"items\":[" SVC("a", "10.9.0.1") ","
	                          SVC("b", "10.9.0.1") "]}";
	static const char moved[] = "{\"kind\":\"List\",\"items\":[" SVC("a", "10.9.0.2") "]}";
#undef SVC
	static const char rev1[] = "1.0.9.10.in-addr.arpa", rev2[] = "2.0.9.10.in-addr.arpa";
	struct svc_cache *c1, *c2, *c3;
	struct records_set *s1 = set_of(one, &c1), *s2 = set_of(two, &c2), *s3 = set_of(moved, &c3);
	struct answer_table *t = answer_table_new(s1, false, 5);
	const struct records_name *name;
	struct answer_ref ref;
	uint8_t w[DNAME_MAX], a[DNAME_MAX];
	size_t n, alen = dname_from_text("a.n.svc.cluster.local", a), i, nodes;
	int folded = 0;
	(void)state;

	assert_non_null(t);
	for (i = 0; i < records_name_count(s1); i++) {
		int put = put_name(t, s1, records_name_at(s1, i));
		assert_true(put == 0 || put == 1);
		folded += put;
	}
	assert_int_equal(folded, 2); /* _http._tcp.a and the PTR */
	nodes = answer_table_entries(t);
	expect_ptr(t, rev1, "a.n.svc.cluster.local.");
	lookup(t, rev1, RR_TYPE_ANY, &ref);
	assert_int_equal(ref.status, ANSWER_FOUND);
	lookup(t, rev1, RR_TYPE_A, &ref);
	assert_int_equal(ref.status, ANSWER_NODATA);
	assert_int_equal(ref.apex_len, 14); /* in-addr.arpa's SOA */
	lookup(t, "9.9.9.10.in-addr.arpa", RR_TYPE_PTR, &ref);
	assert_int_equal(ref.status, ANSWER_OUTSIDE);
	lookup(t, "01.0.9.10.in-addr.arpa", RR_TYPE_PTR, &ref);
	assert_int_equal(ref.status, ANSWER_OUTSIDE); /* not the address's name */
	n = dname_from_text(rev1, w);
	assert_int_equal(answer_table_delete(t, w, n), 0); /* no node of its own */
	expect_ptr(t, rev1, "a.n.svc.cluster.local.");

	/* Shared with b: the name's own node, both targets, comes first. */
	name = records_find(s2, w, n);
	assert_non_null(name);
	assert_int_equal(name->n_records, 2);
	assert_int_equal(put_name(t, s2, name), 0);
	assert_int_equal(answer_table_entries(t), nodes + 1);
	lookup(t, rev1, RR_TYPE_PTR, &ref);
	assert_int_equal(ref.status, ANSWER_FOUND);
	assert_int_equal(ref.body.an, 2);
	assert_int_equal(answer_table_delete(t, w, n), 1);
	expect_ptr(t, rev1, "a.n.svc.cluster.local.");

	/* a moves to 10.9.0.2: its links go with its old node. */
	name = records_find(s3, a, alen);
	assert_non_null(name);
	assert_int_equal(put_name(t, s3, name), 0);
	lookup(t, rev1, RR_TYPE_PTR, &ref);
	assert_int_equal(ref.status, ANSWER_OUTSIDE);
	expect_ptr(t, rev2, "a.n.svc.cluster.local.");
	assert_int_equal(answer_table_delete(t, a, alen), 1);
	lookup(t, rev2, RR_TYPE_PTR, &ref);
	assert_int_equal(ref.status, ANSWER_OUTSIDE);
	assert_int_equal(answer_table_entries(t), nodes - 1);

	answer_table_free(t);
	records_set_free(s1);
	records_set_free(s2);
	records_set_free(s3);
	svc_cache_free(c1);
	svc_cache_free(c2);
	svc_cache_free(c3);
}

/* A service's endpoint names (its hosts) have no nodes of their own: its
   node (prebuilt for a headless service, compact for a ClusterIP one)
   answers them and links their reverse names. They follow the node when
   it is replaced or deleted. three: db with hosts db-0 db-1 db-2; one: db
   with db-1 only; cluster_ip: db's own address, or NULL. */
#define HOSTS_SVC(cip, eps)                                                                \
	"{\"kind\":\"List\",\"items\":["                                                    \
	"{\"kind\":\"Service\",\"metadata\":{\"name\":\"db\",\"namespace\":\"n\"},"        \
	"\"spec\":{\"clusterIP\":\"" cip "\",\"ports\":[{\"name\":\"pg\",\"port\":5432}]}},"  \
	"{\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"db-1\",\"namespace\":\"n\","     \
	"\"labels\":{\"kubernetes.io/service-name\":\"db\"}},\"endpoints\":[" eps "],"          \
	"\"ports\":[{\"name\":\"pg\",\"port\":5432}]}]}"
#define HOSTS_EP(ip, host) "{\"addresses\":[\"" ip "\"],\"hostname\":\"" host "\"}"
#define HOSTS_THREE                                                                         \
	HOSTS_EP("10.8.0.1", "db-0") "," HOSTS_EP("10.8.0.2", "db-1") ","                      \
	"{\"addresses\":[\"fd00::3\"],\"hostname\":\"db-2\"}"

static void check_hosts(const char *three, const char *one, const char *cluster_ip)
{
	static const char *const hosts[] = {"db-0.db.n.svc.cluster.local",
	                                    "db-1.db.n.svc.cluster.local",
	                                    "db-2.db.n.svc.cluster.local"};
	struct svc_cache *c3, *c1;
	struct records_set *s3 = set_of(three, &c3), *s1 = set_of(one, &c1);
	struct answer_table *t = answer_table_new(s3, false, 5);
	const struct records_name *name;
	struct answer_ref ref;
	uint8_t w[DNAME_MAX], db[DNAME_MAX];
	size_t n, db_len = dname_from_text("db.n.svc.cluster.local", db), i, k, nodes;
	int folded = 0, put;

	assert_non_null(t);
	for (i = 0; i < records_name_count(s3); i++) {
		name = records_name_at(s3, i);
		put = put_name(t, s3, name);
		for (k = 0; k < 3; k++) {
			n = dname_from_text(hosts[k], w);
			if (n == name->owner_len && memcmp(w, name->owner, n) == 0)
				assert_int_equal(put, 1);
		}
		assert_true(put == 0 || put == 1);
		folded += put;
	}
	/* three hosts, their three PTRs, _pg._tcp.db (db's SRV alias, or a
	   port of its compact node), and a cluster IP's PTR */
	assert_int_equal(folded, cluster_ip ? 8 : 7);
	if (cluster_ip) {
		lookup(t, "db.n.svc.cluster.local", RR_TYPE_A, &ref);
		assert_int_equal(ref.status, ANSWER_FOUND);
		assert_int_equal(ref.body.an, 1);
		assert_memory_equal(ref.body.wire + ref.body.len - 4, cluster_ip, 4);
		expect_ptr(t, "9.9.8.10.in-addr.arpa", "db.n.svc.cluster.local.");
	}
	nodes = answer_table_entries(t);
	lookup(t, hosts[0], RR_TYPE_A, &ref);
	assert_int_equal(ref.status, ANSWER_FOUND);
	assert_int_equal(ref.body.an, 1);
	check_body(&ref.body, RR_TYPE_A);
	assert_memory_equal(ref.body.wire + ref.body.len - 4, "\x0a\x08\x00\x01", 4);
	assert_memory_equal(ref.body.wire + 6, "\0\0\0\x05", 4); /* TTL */
	lookup(t, hosts[1], RR_TYPE_ANY, &ref);
	assert_int_equal(ref.status, ANSWER_FOUND);
	assert_memory_equal(ref.body.wire + ref.body.len - 4, "\x0a\x08\x00\x02", 4);
	lookup(t, hosts[2], RR_TYPE_AAAA, &ref);
	assert_int_equal(ref.status, ANSWER_FOUND);
	check_body(&ref.body, RR_TYPE_AAAA);
	assert_int_equal(ref.body.wire[ref.body.len - 1], 3);
	expect_status(t, hosts[2], RR_TYPE_A, ANSWER_NODATA);
	expect_status(t, hosts[0], RR_TYPE_SRV, ANSWER_NODATA);
	expect_status(t, "db-9.db.n.svc.cluster.local", RR_TYPE_A, ANSWER_NXDOMAIN);
	expect_status(t, "x.db-0.db.n.svc.cluster.local", RR_TYPE_A, ANSWER_NXDOMAIN);
	expect_ptr(t, "1.0.8.10.in-addr.arpa", "db-0.db.n.svc.cluster.local.");
	expect_ptr(t, "2.0.8.10.in-addr.arpa", "db-1.db.n.svc.cluster.local.");
	expect_ptr(t, "3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa",
	           "db-2.db.n.svc.cluster.local.");

	/* Replaced by a node with db-1 only: db-0 and its PTR go with the old
	   node; the three come back with the next. */
	name = records_find(s3, db, db_len);
	assert_non_null(name);
	assert_int_equal(put_name(t, s1, records_find(s1, db, db_len)), 0);
	expect_status(t, hosts[0], RR_TYPE_A, ANSWER_NXDOMAIN); /* db's node has db-1 only */
	expect_status(t, "1.0.8.10.in-addr.arpa", RR_TYPE_PTR, ANSWER_OUTSIDE);
	expect_ptr(t, "2.0.8.10.in-addr.arpa", "db-1.db.n.svc.cluster.local.");
	if (cluster_ip)
		expect_ptr(t, "9.9.8.10.in-addr.arpa", "db.n.svc.cluster.local.");
	assert_int_equal(put_name(t, s3, name), 0);
	expect_ptr(t, "1.0.8.10.in-addr.arpa", "db-0.db.n.svc.cluster.local.");
	assert_int_equal(answer_table_entries(t), nodes);

	/* Deleting the node takes its hosts and links. */
	assert_int_equal(answer_table_delete(t, db, db_len), 1);
	expect_status(t, hosts[1], RR_TYPE_A, ANSWER_NXDOMAIN);
	expect_status(t, "2.0.8.10.in-addr.arpa", RR_TYPE_PTR, ANSWER_OUTSIDE);
	expect_status(t, "9.9.8.10.in-addr.arpa", RR_TYPE_PTR, ANSWER_OUTSIDE);

	answer_table_free(t);
	records_set_free(s1);
	records_set_free(s3);
	svc_cache_free(c1);
	svc_cache_free(c3);
}

static void test_hosts_headless(void **state)
{
	static const char three[] = HOSTS_SVC("None", HOSTS_THREE);
	static const char one[] = HOSTS_SVC("None", HOSTS_EP("10.8.0.2", "db-1"));

	(void)state;
	check_hosts(three, one, NULL);
}

static void test_hosts_clusterip(void **state)
{
	static const char three[] = HOSTS_SVC("10.8.9.9", HOSTS_THREE);
	static const char one[] = HOSTS_SVC("10.8.9.9", HOSTS_EP("10.8.0.2", "db-1"));

	(void)state;
	check_hosts(three, one, "\x0a\x08\x09\x09");
}
#undef HOSTS_THREE
#undef HOSTS_EP
#undef HOSTS_SVC

/* Replacing and deleting names frees the old nodes in batches (after a
   grace period): a long run of replacements crosses the batch limit, the
   byte count stays that of the live nodes, answers stay right, and
   nothing leaks (valgrind/ASan run this too). */
static void test_replace_many(void **state)
{
	struct fix *f = *state;
	const struct records_name *name = NULL;
	struct answer_ref ref;
	size_t i, entries = answer_table_entries(f->table);
	size_t bytes = answer_table_bytes(f->table);

	for (i = 0; i < records_name_count(f->set); i++) {
		name = records_name_at(f->set, i);
		if (name->owner_len > 5 && memcmp(name->owner, "\x04svc1", 5) == 0)
			break;
	}
	assert_true(i < records_name_count(f->set));
	for (i = 0; i < 70000; i++)
		assert_int_equal(put_name(f->table, f->set, name), 0);
	assert_int_equal(answer_table_entries(f->table), entries);
	assert_int_equal(answer_table_bytes(f->table), bytes);
	lookup(f->table, "svc1.testns.svc.cluster.local", RR_TYPE_A, &ref);
	assert_int_equal(ref.status, ANSWER_FOUND);
	assert_int_equal(ref.body.an, 1);
	answer_table_reclaim(f->table);

	assert_int_equal(answer_table_delete(f->table, name->owner, name->owner_len), 1);
	assert_int_equal(answer_table_delete(f->table, name->owner, name->owner_len), 0);
	assert_int_equal(answer_table_entries(f->table), entries - 1);
	lookup(f->table, "svc1.testns.svc.cluster.local", RR_TYPE_A, &ref);
	assert_int_equal(ref.status, ANSWER_NXDOMAIN);
	assert_int_equal(put_name(f->table, f->set, name), 0);
	assert_int_equal(answer_table_bytes(f->table), bytes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_found),
		cmocka_unit_test(test_srv_glue),
		cmocka_unit_test(test_srv_alias),
		cmocka_unit_test(test_nodata),
		cmocka_unit_test(test_nxdomain),
		cmocka_unit_test(test_outside),
		cmocka_unit_test(test_cname),
		cmocka_unit_test(test_any),
		cmocka_unit_test(test_pods),
		cmocka_unit_test(test_all_bodies),
		cmocka_unit_test(test_big_answer),
		cmocka_unit_test(test_compact_same_answers),
		cmocka_unit_test(test_compact_cname_target),
		cmocka_unit_test(test_ptr_links),
		cmocka_unit_test(test_hosts_headless),
		cmocka_unit_test(test_hosts_clusterip),
		cmocka_unit_test(test_replace_many), /* last: it replaces svc1 */
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
