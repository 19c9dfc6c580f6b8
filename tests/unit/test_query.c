/* test_query.c - the hot path on hand-built wire queries: reply header,
 * echoed question, EDNS, every error rcode, truncation at whole records,
 * and a fixed-seed loop of mutated packets that must never crash or write
 * past the reply buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "answer_build.h"
#include "answer_lookup.h"
#include "answer_table.h"
#include "dname.h"
#include "kube_json.h"
#include "kube_object.h"
#include "query.h"
#include "records.h"
#include "svc_cache.h"
#include "cache_fixture.h"

#define UDP_CAP 1232
#define GUARD 256
#define CLASS_IN 1
#define CLASS_CH 3
#define NO_EDNS (-1)

struct fix {
	struct records_set *set;
	struct answer_table *table; /* pods insecure */
	uint8_t *out;               /* QUERY_MAX_MSG bytes, then a guard */
	struct query_zone zone;      /* cluster.local */
	struct query_opts opts;
};

static int setup(void **state)
{
	static struct fix f;
	static const char *const zones[] = {"cluster.local"};
	struct svc_cache *c = svc_cache_new();
	struct records_config cfg;
	char *json, err[256] = "";
	size_t len = 0, cap = 1 << 20;
	int i;

	json = malloc(cap);
	assert_non_null(json);
	len += (size_t)snprintf(
		json + len, cap - len,
		"{\"kind\":\"List\",\"items\":["
		"{\"kind\":\"Service\",\"metadata\":{\"name\":\"svc1\",\"namespace\":\"testns\"},"
		" \"spec\":{\"clusterIP\":\"10.0.0.1\",\"ports\":[{\"name\":\"http\",\"port\":80}]}},"
		"{\"kind\":\"Service\",\"metadata\":{\"name\":\"big\",\"namespace\":\"testns\"},"
		" \"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"name\":\"http\",\"port\":80}]}},"
		"{\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"big-1\",\"namespace\":\"testns\","
		" \"labels\":{\"kubernetes.io/service-name\":\"big\"}},"
		" \"ports\":[{\"name\":\"http\",\"port\":80}],\"endpoints\":[");
	for (i = 0; i < 100; i++)
		len += (size_t)snprintf(json + len, cap - len, "%s{\"addresses\":[\"10.8.0.%d\"]}",
		                        i ? "," : "", i + 1);
	len += (size_t)snprintf(json + len, cap - len, "]}]}");
	if (kube_json_parse_document(json, len, cache_put_cb, c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	free(json);
	memset(&cfg, 0, sizeof(cfg));
	cfg.zones = zones;
	cfg.n_zones = 1;
	cfg.ttl = 5;
	f.set = records_build(c, &cfg, 7, err, sizeof(err));
	assert_non_null(f.set);
	svc_cache_free(c);
	f.table = answer_build_table(f.set, true, err, sizeof(err));
	assert_non_null(f.table);
	f.out = malloc(QUERY_MAX_MSG + GUARD);
	assert_non_null(f.out);
	f.zone.len = dname_from_text("cluster.local", f.zone.name);
	assert_true(f.zone.len > 0);
	f.opts.udp_cap = UDP_CAP;
	f.opts.refuse_outside = true;
	f.opts.zones = &f.zone;
	f.opts.n_zones = 1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	answer_table_free(f->table);
	records_set_free(f->set);
	free(f->out);
	return 0;
}

/* ---- building queries -------------------------------------------------- */

struct q {
	uint8_t b[1024];
	size_t len;
	size_t qend; /* end of the question */
};

static void u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* A query for name (letter case kept) with an OPT record when edns_size
   is not NO_EDNS. */
static void mkq(struct q *q, uint16_t id, bool rd, const char *name, uint16_t qtype,
                uint16_t qclass, int edns_size, uint8_t edns_version, uint16_t edns_flags)
{
	size_t pos = 12;
	const char *p = name;

	memset(q, 0, sizeof(*q));
	u16(q->b, id);
	q->b[2] = rd ? 0x01 : 0x00;
	u16(q->b + 4, 1);
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		q->b[pos++] = (uint8_t)n;
		memcpy(q->b + pos, p, n);
		pos += n;
		p += n + (dot ? 1 : 0);
	}
	q->b[pos++] = 0;
	u16(q->b + pos, qtype);
	u16(q->b + pos + 2, qclass);
	pos += 4;
	q->qend = pos;
	if (edns_size != NO_EDNS) {
		q->b[pos++] = 0;
		u16(q->b + pos, RR_TYPE_OPT);
		u16(q->b + pos + 2, (uint16_t)edns_size);
		q->b[pos + 4] = 0;
		q->b[pos + 5] = edns_version;
		u16(q->b + pos + 6, edns_flags);
		u16(q->b + pos + 8, 0);
		pos += 10;
		u16(q->b + 10, 1);
	}
	q->len = pos;
}

static enum query_result ask(struct fix *f, const struct answer_table *t,
                             const uint8_t *msg, size_t len, bool tcp, size_t *rlen)
{
	enum query_result r;

	memset(f->out + QUERY_MAX_MSG, 0x5A, GUARD);
	*rlen = (size_t)-1;
	r = query_answer(t, &f->opts, msg, len, tcp, NULL, f->out, rlen);
	{
		size_t i;
		for (i = 0; i < GUARD; i++)
			if (f->out[QUERY_MAX_MSG + i] != 0x5A)
				fail_msg("wrote past QUERY_MAX_MSG");
	}
	if (r == QUERY_REPLY)
		assert_true(*rlen >= 12 && *rlen <= QUERY_MAX_MSG);
	return r;
}

static size_t reply(struct fix *f, const struct q *q, bool tcp)
{
	size_t rlen;

	assert_int_equal(ask(f, f->table, q->b, q->len, tcp, &rlen), QUERY_REPLY);
	return rlen;
}

#define RCODE(o) ((o)[3] & 0x0f)
#define QR(o) (((o)[2] & 0x80) != 0)
#define AA(o) (((o)[2] & 0x04) != 0)
#define TC(o) (((o)[2] & 0x02) != 0)
#define RD(o) (((o)[2] & 0x01) != 0)
#define QDCOUNT(o) get16((o) + 4)
#define ANCOUNT(o) get16((o) + 6)
#define NSCOUNT(o) get16((o) + 8)
#define ARCOUNT(o) get16((o) + 10)

/* Skips a name that may end in a pointer; 0 when malformed. */
static size_t skip_name(const uint8_t *m, size_t len, size_t pos)
{
	for (;;) {
		if (pos >= len)
			return 0;
		if ((m[pos] & 0xC0) == 0xC0)
			return pos + 2 <= len ? pos + 2 : 0;
		if (m[pos] > 63)
			return 0;
		if (m[pos] == 0)
			return pos + 1;
		pos += m[pos] + 1u;
	}
}

/* The reply parses: its counts match its bytes exactly. Returns the offset
   of record k (in answer+authority+additional order), or the end. */
static size_t walk(const uint8_t *m, size_t len, size_t stop_at_record)
{
	size_t pos = 12, i, total;

	assert_true(len >= 12);
	for (i = 0; i < QDCOUNT(m); i++) {
		pos = skip_name(m, len, pos);
		assert_true(pos && pos + 4 <= len);
		pos += 4;
	}
	total = (size_t)ANCOUNT(m) + NSCOUNT(m) + ARCOUNT(m);
	for (i = 0; i < total; i++) {
		if (i == stop_at_record)
			return pos;
		pos = skip_name(m, len, pos);
		assert_true(pos && pos + 10 <= len);
		pos += 10u + get16(m + pos + 8);
		assert_true(pos <= len);
	}
	assert_int_equal(pos, len);
	return pos;
}

/* ---- tests ------------------------------------------------------------- */

static void test_reply_header_and_question(void **state)
{
	struct fix *f = *state;
	struct q q;
	size_t rlen;
	uint8_t *o = f->out;

	mkq(&q, 0xBEEF, true, "SvC1.TestNS.svc.Cluster.Local", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	rlen = reply(f, &q, false);
	assert_int_equal(o[0], 0xBE);
	assert_int_equal(o[1], 0xEF);
	assert_true(QR(o));
	assert_true(AA(o));
	assert_true(RD(o));
	assert_false(TC(o));
	assert_int_equal((o[2] >> 3) & 0x0f, 0);
	assert_int_equal(RCODE(o), 0);
	assert_int_equal(QDCOUNT(o), 1);
	assert_int_equal(ANCOUNT(o), 1);
	assert_int_equal(NSCOUNT(o), 0);
	assert_int_equal(ARCOUNT(o), 0);
	/* the question as the client wrote it */
	assert_memory_equal(o + 12, q.b + 12, q.qend - 12);
	/* the answer: owner 0xC00C, A, IN, ttl 5, 10.0.0.1 */
	assert_int_equal(rlen, q.qend + 16);
	assert_memory_equal(o + q.qend,
	                    "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x05\x00\x04\x0a\x00\x00\x01", 16);
	walk(o, rlen, (size_t)-1);

	/* RD not set: not set in the reply */
	mkq(&q, 1, false, "svc1.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	reply(f, &q, false);
	assert_false(RD(o));
	assert_true(AA(o));
}

static void test_negative_answers(void **state)
{
	struct fix *f = *state;
	struct q q;
	size_t rlen, at;
	uint8_t *o = f->out;

	mkq(&q, 2, true, "NoSuch.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	rlen = reply(f, &q, false);
	assert_int_equal(RCODE(o), 3);
	assert_true(AA(o));
	assert_int_equal(ANCOUNT(o), 0);
	assert_int_equal(NSCOUNT(o), 1);
	at = walk(o, rlen, 0);
	/* SOA owned by the apex, in lower case */
	assert_memory_equal(o + at, "\x07" "cluster\x05local\x00\x00\x06\x00\x01", 19);
	walk(o, rlen, (size_t)-1);

	/* NODATA */
	mkq(&q, 3, true, "svc1.testns.svc.cluster.local", RR_TYPE_TXT, CLASS_IN, NO_EDNS, 0, 0);
	rlen = reply(f, &q, false);
	assert_int_equal(RCODE(o), 0);
	assert_true(AA(o));
	assert_int_equal(ANCOUNT(o), 0);
	assert_int_equal(NSCOUNT(o), 1);
	walk(o, rlen, (size_t)-1);

	/* pods insecure */
	mkq(&q, 4, true, "10-9-8-7.TESTNS.pod.cluster.local", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	rlen = reply(f, &q, false);
	assert_int_equal(RCODE(o), 0);
	assert_int_equal(ANCOUNT(o), 1);
	assert_int_equal(rlen, q.qend + 16);
	assert_memory_equal(o + q.qend,
	                    "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x05\x00\x04\x0a\x09\x08\x07", 16);
}

static void test_edns(void **state)
{
	struct fix *f = *state;
	struct q q;
	size_t rlen;
	uint8_t *o = f->out, *opt;

	mkq(&q, 5, true, "svc1.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, 4096, 0, 0x8000);
	rlen = reply(f, &q, false);
	assert_int_equal(RCODE(o), 0);
	assert_int_equal(ANCOUNT(o), 1);
	assert_int_equal(ARCOUNT(o), 1);
	assert_int_equal(rlen, q.qend + 16 + 11);
	opt = o + rlen - 11;
	assert_int_equal(opt[0], 0);
	assert_int_equal(get16(opt + 1), RR_TYPE_OPT);
	assert_int_equal(get16(opt + 3), UDP_CAP);
	assert_int_equal(opt[5], 0); /* extended rcode */
	assert_int_equal(opt[6], 0); /* version */
	assert_int_equal(get16(opt + 7), 0x8000); /* DO echoed (RFC 3225) */
	assert_int_equal(get16(opt + 9), 0);
	walk(o, rlen, (size_t)-1);

	/* OPT also on a negative answer */
	mkq(&q, 6, true, "nosuch.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, 512, 0, 0);
	rlen = reply(f, &q, false);
	assert_int_equal(RCODE(o), 3);
	assert_int_equal(NSCOUNT(o), 1);
	assert_int_equal(ARCOUNT(o), 1);
	assert_int_equal(get16(o + rlen - 11 + 1), RR_TYPE_OPT);
	assert_int_equal(get16(o + rlen - 11 + 3), UDP_CAP);
	walk(o, rlen, (size_t)-1);
}

static void test_badvers(void **state)
{
	struct fix *f = *state;
	struct q q;
	size_t rlen;
	uint8_t *o = f->out, *opt;

	mkq(&q, 7, true, "svc1.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, 1232, 1, 0);
	rlen = reply(f, &q, false);
	assert_true(QR(o));
	assert_int_equal(RCODE(o), 0); /* BADVERS = 16: low bits 0 */
	assert_int_equal(QDCOUNT(o), 1);
	assert_int_equal(ANCOUNT(o), 0);
	assert_int_equal(ARCOUNT(o), 1);
	assert_memory_equal(o + 12, q.b + 12, q.qend - 12);
	assert_int_equal(rlen, q.qend + 11);
	opt = o + q.qend;
	assert_int_equal(get16(opt + 1), RR_TYPE_OPT);
	assert_int_equal(opt[5], 1); /* upper bits of 16 */
	assert_int_equal(opt[6], 0); /* we speak version 0 */
}

static void expect_rcode(struct fix *f, const uint8_t *msg, size_t len, int rcode)
{
	size_t rlen;

	assert_int_equal(ask(f, f->table, msg, len, false, &rlen), QUERY_REPLY);
	assert_int_equal(f->out[0], msg[0]);
	assert_int_equal(f->out[1], msg[1]);
	assert_true(QR(f->out));
	if (RCODE(f->out) != rcode)
		fail_msg("rcode %d, expected %d", RCODE(f->out), rcode);
	walk(f->out, rlen, (size_t)-1);
}

static void test_formerr(void **state)
{
	struct fix *f = *state;
	struct q q;
	size_t cut;

	/* QDCOUNT 0 and 2 */
	mkq(&q, 8, true, "svc1.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	u16(q.b + 4, 0);
	expect_rcode(f, q.b, q.len, 1);
	u16(q.b + 4, 2);
	expect_rcode(f, q.b, q.len, 1);
	/* an answer section in a query */
	mkq(&q, 8, true, "svc1.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	u16(q.b + 6, 1);
	expect_rcode(f, q.b, q.len, 1);

	/* a label longer than 63 */
	{
		char name[100];
		memset(name, 'a', 64);
		strcpy(name + 64, ".cluster.local");
		mkq(&q, 9, true, name, RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
		expect_rcode(f, q.b, q.len, 1);
	}
	/* a compression pointer in the question */
	mkq(&q, 10, true, "x", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	q.b[12] = 0xC0;
	q.b[13] = 0x0C;
	expect_rcode(f, q.b, q.len, 1);
	mkq(&q, 10, true, "svc1.cluster.local", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	q.b[17] = 0xC0; /* "svc1" then a pointer */
	q.b[18] = 0x0C;
	expect_rcode(f, q.b, 19 + 4, 1);

	/* truncated questions: every cut between the header and the end */
	mkq(&q, 11, true, "svc1.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	for (cut = 12; cut < q.len; cut++)
		expect_rcode(f, q.b, cut, 1);
	/* a truncated OPT */
	mkq(&q, 12, true, "svc1.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, 1232, 0, 0);
	for (cut = q.qend; cut < q.len; cut++)
		expect_rcode(f, q.b, cut, 1);
	/* a name over 255 bytes */
	{
		char name[400];
		size_t i;
		name[0] = '\0';
		for (i = 0; i < 5; i++)
			strcat(name, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
		strcat(name, "local");
		mkq(&q, 13, true, name, RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
		expect_rcode(f, q.b, q.len, 1);
	}
}

static void test_notimp_and_drop(void **state)
{
	struct fix *f = *state;
	struct q q;
	size_t rlen, n;

	mkq(&q, 14, true, "svc1.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	q.b[2] |= 2 << 3; /* opcode 2: STATUS */
	expect_rcode(f, q.b, q.len, 4);
	assert_int_equal((f->out[2] >> 3) & 0x0f, 2);

	/* responses are never answered */
	mkq(&q, 15, true, "svc1.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	q.b[2] |= 0x80;
	assert_int_equal(ask(f, f->table, q.b, q.len, false, &rlen), QUERY_DROP);
	assert_int_equal(ask(f, f->table, q.b, q.len, true, &rlen), QUERY_DROP);
	/* shorter than a header */
	mkq(&q, 16, true, "svc1.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	for (n = 0; n < 12; n++)
		assert_int_equal(ask(f, f->table, q.b, n, false, &rlen), QUERY_DROP);
}

static void test_refused(void **state)
{
	struct fix *f = *state;
	struct q q;
	size_t rlen;

	mkq(&q, 17, true, "version.bind", RR_TYPE_TXT, CLASS_CH, NO_EDNS, 0, 0);
	expect_rcode(f, q.b, q.len, 5);
	mkq(&q, 18, true, "svc1.testns.svc.cluster.local", RR_TYPE_A, CLASS_CH, NO_EDNS, 0, 0);
	expect_rcode(f, q.b, q.len, 5);
	mkq(&q, 19, true, "cluster.local", RR_TYPE_AXFR, CLASS_IN, NO_EDNS, 0, 0);
	expect_rcode(f, q.b, q.len, 5);
	assert_int_equal(ANCOUNT(f->out), 0);
	mkq(&q, 20, true, "cluster.local", RR_TYPE_IXFR, CLASS_IN, NO_EDNS, 0, 0);
	expect_rcode(f, q.b, q.len, 5);

	/* foreign names: REFUSED without a forwarder, no AA */
	mkq(&q, 21, true, "www.Example.com", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	expect_rcode(f, q.b, q.len, 5);
	assert_false(AA(f->out));
	assert_int_equal(QDCOUNT(f->out), 1);
	assert_memory_equal(f->out + 12, q.b + 12, q.qend - 12);
	mkq(&q, 22, true, "9.9.9.9.in-addr.arpa", RR_TYPE_PTR, CLASS_IN, NO_EDNS, 0, 0);
	expect_rcode(f, q.b, q.len, 5);
	/* with a forwarder: handed over */
	f->opts.refuse_outside = false;
	mkq(&q, 23, true, "www.example.com", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	assert_int_equal(ask(f, f->table, q.b, q.len, false, &rlen), QUERY_FORWARD);
	mkq(&q, 24, true, "svc1.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	assert_int_equal(ask(f, f->table, q.b, q.len, false, &rlen), QUERY_REPLY);
	f->opts.refuse_outside = true;
}

static void test_servfail_without_table(void **state)
{
	struct fix *f = *state;
	struct q q;
	size_t rlen;

	mkq(&q, 25, true, "svc1.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	assert_int_equal(ask(f, NULL, q.b, q.len, false, &rlen), QUERY_REPLY);
	assert_int_equal(RCODE(f->out), 2);
	assert_int_equal(QDCOUNT(f->out), 1);
	assert_int_equal(ANCOUNT(f->out), 0);
	assert_memory_equal(f->out + 12, q.b + 12, q.qend - 12);
	walk(f->out, rlen, (size_t)-1);
	mkq(&q, 26, true, "nosuch.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, 1232, 0, 0);
	assert_int_equal(ask(f, NULL, q.b, q.len, false, &rlen), QUERY_REPLY);
	assert_int_equal(RCODE(f->out), 2); /* never a false NXDOMAIN */
	assert_int_equal(ARCOUNT(f->out), 1);
	walk(f->out, rlen, (size_t)-1);
	/* names outside the cluster zones: forwarded, or REFUSED without a
	   forwarder, even before the first load */
	mkq(&q, 27, true, "www.example.com", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	assert_int_equal(ask(f, NULL, q.b, q.len, false, &rlen), QUERY_REPLY);
	assert_int_equal(RCODE(f->out), 5);
	f->opts.refuse_outside = false;
	assert_int_equal(ask(f, NULL, q.b, q.len, false, &rlen), QUERY_FORWARD);
	mkq(&q, 28, true, "svc1.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	assert_int_equal(ask(f, NULL, q.b, q.len, false, &rlen), QUERY_REPLY);
	assert_int_equal(RCODE(f->out), 2);
	f->opts.refuse_outside = true;
}

/* Whole records, counts that match the bytes, TC when answers are cut. */
static void check_truncated(struct fix *f, size_t rlen, size_t limit, bool edns)
{
	uint8_t *o = f->out;
	size_t total = 0, i, pos;

	assert_true(rlen <= limit);
	assert_true(TC(o));
	assert_true(ANCOUNT(o) < 100);
	assert_true(ANCOUNT(o) > 0);
	walk(o, rlen, (size_t)-1);
	/* the answers are all A records of the service */
	pos = walk(o, rlen, 0);
	for (i = 0; i < ANCOUNT(o); i++) {
		assert_int_equal(get16(o + pos), 0xC00C);
		assert_int_equal(get16(o + pos + 2), RR_TYPE_A);
		pos += 16;
		total++;
	}
	assert_int_equal(total, ANCOUNT(o));
	if (edns) {
		assert_int_equal(ARCOUNT(o), 1);
		assert_int_equal(get16(o + rlen - 11 + 1), RR_TYPE_OPT);
	}
	/* no room left for another record */
	assert_true(rlen + 16 > limit);
}

static void test_truncation(void **state)
{
	struct fix *f = *state;
	struct q q;
	size_t rlen;
	uint8_t *o = f->out;

	/* UDP without EDNS: 512 bytes */
	mkq(&q, 27, true, "big.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	rlen = reply(f, &q, false);
	assert_int_equal(RCODE(o), 0);
	check_truncated(f, rlen, 512, false);
	assert_int_equal(ARCOUNT(o), 0);

	/* TCP: the whole answer */
	rlen = reply(f, &q, true);
	assert_false(TC(o));
	assert_int_equal(ANCOUNT(o), 100);
	assert_int_equal(rlen, q.qend + 100 * 16);
	walk(o, rlen, (size_t)-1);

	/* EDNS 4096 over UDP: our cap */
	mkq(&q, 28, true, "big.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, 4096, 0, 0);
	rlen = reply(f, &q, false);
	check_truncated(f, rlen, UDP_CAP, true);
	/* EDNS below 512 counts as 512 */
	mkq(&q, 29, true, "big.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, 100, 0, 0);
	rlen = reply(f, &q, false);
	check_truncated(f, rlen, 512, true);
	/* EDNS over TCP: whole, OPT at the end */
	rlen = reply(f, &q, true);
	assert_false(TC(o));
	assert_int_equal(ANCOUNT(o), 100);
	assert_int_equal(ARCOUNT(o), 1);
	walk(o, rlen, (size_t)-1);

	/* SRV with glue: cut glue is fine only when all answers fit */
	mkq(&q, 30, true, "_http._tcp.big.testns.svc.cluster.local", RR_TYPE_SRV, CLASS_IN,
	    NO_EDNS, 0, 0);
	rlen = reply(f, &q, false);
	assert_true(rlen <= 512);
	assert_true(TC(o));
	walk(o, rlen, (size_t)-1);
	rlen = reply(f, &q, true);
	assert_false(TC(o));
	assert_int_equal(ANCOUNT(o), 100);
	assert_int_equal(ARCOUNT(o), 100);
	walk(o, rlen, (size_t)-1);

	/* the small answer is never cut */
	mkq(&q, 31, true, "svc1.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	reply(f, &q, false);
	assert_false(TC(o));
}

/* ---- random and mutated packets ---------------------------------------- */

static uint32_t rng_state = 12345;

static uint32_t rnd(void)
{
	/* xorshift32: fixed seed, same packets every run */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void test_fuzz(void **state)
{
	struct fix *f = *state;
	static struct q seeds[12];
	uint8_t pkt[1100];
	size_t n_seeds = 0, iter, rlen;
	unsigned long replies = 0;

	mkq(&seeds[n_seeds++], 1, true, "svc1.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	mkq(&seeds[n_seeds++], 2, true, "big.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	mkq(&seeds[n_seeds++], 3, true, "big.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, 4096, 0, 0x8000);
	mkq(&seeds[n_seeds++], 4, true, "_http._tcp.big.testns.svc.cluster.local", RR_TYPE_SRV, CLASS_IN, 1232, 0, 0);
	mkq(&seeds[n_seeds++], 5, true, "http.tcp.big.testns.svc.cluster.local", RR_TYPE_SRV, CLASS_IN, NO_EDNS, 0, 0);
	mkq(&seeds[n_seeds++], 6, true, "nosuch.testns.svc.cluster.local", RR_TYPE_A, CLASS_IN, 512, 0, 0);
	mkq(&seeds[n_seeds++], 7, true, "10-1-2-3.testns.pod.cluster.local", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	mkq(&seeds[n_seeds++], 8, true, "fd00--1.testns.pod.cluster.local", RR_TYPE_AAAA, CLASS_IN, 1232, 0, 0);
	mkq(&seeds[n_seeds++], 9, true, "www.example.com", RR_TYPE_A, CLASS_IN, NO_EDNS, 0, 0);
	mkq(&seeds[n_seeds++], 10, true, "1.0.0.10.in-addr.arpa", RR_TYPE_PTR, CLASS_IN, 1232, 1, 0);
	mkq(&seeds[n_seeds++], 11, true, "cluster.local", RR_TYPE_ANY, CLASS_IN, 65535, 0, 0);
	mkq(&seeds[n_seeds++], 12, true, "big.testns.svc.cluster.local", RR_TYPE_ANY, CLASS_IN, 1500, 0, 0);

	for (iter = 0; iter < 200000; iter++) {
		const struct q *s = &seeds[rnd() % n_seeds];
		size_t len, k, flips;
		uint32_t mode = rnd() % 8;
		bool tcp = rnd() % 4 == 0;
		const struct answer_table *t = rnd() % 16 ? f->table : NULL;
		enum query_result r;

		if (mode == 0) {
			/* pure noise */
			len = rnd() % 600;
			for (k = 0; k < len; k++)
				pkt[k] = (uint8_t)rnd();
		} else {
			memcpy(pkt, s->b, s->len);
			len = s->len;
			flips = 1 + rnd() % 4;
			for (k = 0; k < flips; k++) {
				size_t at = rnd() % len;
				switch (rnd() % 4) {
				case 0: pkt[at] = (uint8_t)rnd(); break;
				case 1: pkt[at] ^= (uint8_t)(1u << (rnd() % 8)); break;
				case 2: pkt[at] = (uint8_t)(rnd() % 2 ? 0xC0 : 0x3F); break;
				default: pkt[at] = 0; break;
				}
			}
			if (mode == 1)
				len = rnd() % (len + 1); /* truncate */
			else if (mode == 2) {
				size_t extra = rnd() % 400; /* trailing junk */
				for (k = 0; k < extra; k++)
					pkt[len + k] = (uint8_t)rnd();
				len += extra;
			}
			/* keep the QR bit clear most of the time to get deeper */
			if (len > 2 && rnd() % 8)
				pkt[2] &= 0x7f;
		}
		r = ask(f, t, pkt, len, tcp, &rlen);
		if (r != QUERY_REPLY)
			continue;
		replies++;
		/* a reply: same ID, QR, within the transport's limit, and it parses */
		assert_int_equal(f->out[0], pkt[0]);
		assert_int_equal(f->out[1], pkt[1]);
		assert_true(QR(f->out));
		if (!tcp)
			assert_true(rlen <= UDP_CAP);
		walk(f->out, rlen, (size_t)-1);
	}
	assert_true(replies > 100000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_header_and_question),
		cmocka_unit_test(test_negative_answers),
		cmocka_unit_test(test_edns),
		cmocka_unit_test(test_badvers),
		cmocka_unit_test(test_formerr),
		cmocka_unit_test(test_notimp_and_drop),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_servfail_without_table),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
