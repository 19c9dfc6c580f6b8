/* test_dnsmsg.c - dnsmsg_parse, the walk over an upstream's reply: what it
 * indexes in good replies (ID, question, TTL offsets, smallest TTL, the
 * negative-caching TTL from the SOA, the OPT record) and what it rejects
 * (pointer loops and forward pointers, truncated names and records,
 * trailing bytes, QDCOUNT != 1, OPT outside the additional section, two
 * OPTs, too many records, overlong names). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dnsmsg.h"

/* ---- a small message builder ---------------------------------------------- */
struct msg {
	uint8_t b[70000];
	size_t n;
};

static void put8(struct msg *m, unsigned v) { m->b[m->n++] = (uint8_t)v; }
static void put16(struct msg *m, unsigned v) { put8(m, v >> 8); put8(m, v & 0xff); }
static void put32(struct msg *m, uint32_t v) { put16(m, v >> 16); put16(m, v & 0xffff); }

static void header(struct msg *m, unsigned id, unsigned flags, unsigned qd, unsigned an,
                   unsigned ns, unsigned ar)
{
	m->n = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

/* "www.example.com" -> labels and the root (no trailing dot needed). */
static void name(struct msg *m, const char *text)
{
	while (*text) {
		const char *dot = strchr(text, '.');
		size_t len = dot ? (size_t)(dot - text) : strlen(text);
		put8(m, (unsigned)len);
		memcpy(m->b + m->n, text, len);
		m->n += len;
		text += len;
		if (*text == '.')
			text++;
	}
	put8(m, 0);
}

static void ptr(struct msg *m, unsigned off) { put16(m, 0xC000 | off); }

static void question(struct msg *m, const char *qname, unsigned type)
{
	name(m, qname);
	put16(m, type);
	put16(m, 1);
}

/* RR header after an owner name; returns the offset of the TTL. */
static size_t rrhdr(struct msg *m, unsigned type, unsigned cls, uint32_t ttl, unsigned rdlen)
{
	size_t at;
	put16(m, type);
	put16(m, cls);
	at = m->n;
	put32(m, ttl);
	put16(m, rdlen);
	return at;
}

static size_t a_rr(struct msg *m, uint32_t ttl, unsigned last_octet)
{
	size_t at;
	ptr(m, 12);
	at = rrhdr(m, 1, 1, ttl, 4);
	put8(m, 192);
	put8(m, 0);
	put8(m, 2);
	put8(m, last_octet);
	return at;
}

static void opt_rr(struct msg *m)
{
	put8(m, 0);
	rrhdr(m, 41, 1232, 0x8000, 0);
}

/* SOA with compressed MNAME/RNAME pointing at the question name. */
static size_t soa_rr(struct msg *m, uint32_t ttl, uint32_t minimum)
{
	size_t at, rdstart;
	ptr(m, 12);
	at = rrhdr(m, 6, 1, ttl, 0);
	rdstart = m->n;
	ptr(m, 12);
	ptr(m, 12);
	put32(m, 1);
	put32(m, 3600);
	put32(m, 600);
	put32(m, 86400);
	put32(m, minimum);
	m->b[rdstart - 2] = (uint8_t)((m->n - rdstart) >> 8);
	m->b[rdstart - 1] = (uint8_t)((m->n - rdstart) & 0xff);
	return at;
}

static uint32_t u32at(const struct msg *m, size_t at)
{
	return ((uint32_t)m->b[at] << 24) | ((uint32_t)m->b[at + 1] << 16) |
	       ((uint32_t)m->b[at + 2] << 8) | m->b[at + 3];
}

static int parse(struct msg *m, struct dnsmsg *out)
{
	return dnsmsg_parse(m->b, m->n, out);
}

static struct msg M;
static struct dnsmsg D;

/* ---- good replies ------------------------------------------------------------- */
static void test_a_reply(void **state)
{
	size_t t1, t2;
	static const uint8_t want[] = "\3www\7example\3com";

	(void)state;
	header(&M, 0xBEEF, 0x8180, 1, 2, 0, 0);
	question(&M, "WwW.Example.COM", 1);
	t1 = a_rr(&M, 300, 1);
	t2 = a_rr(&M, 60, 2);
	assert_int_equal(parse(&M, &D), 0);
	assert_int_equal(D.id, 0xBEEF);
	assert_int_equal(D.flags, 0x8180);
	assert_int_equal(D.rcode, 0);
	assert_int_equal(D.qdcount, 1);
	assert_int_equal(D.an, 2);
	assert_int_equal(D.qtype, 1);
	assert_int_equal(D.qclass, 1);
	assert_int_equal(D.question_end, 12 + 17 + 4);
	assert_int_equal(D.qname_len, 17);
	assert_memory_equal(D.qname, want, 17); /* lower case */
	assert_int_equal(D.n_ttls, 2);
	assert_int_equal(D.ttl_at[0], t1);
	assert_int_equal(D.ttl_at[1], t2);
	assert_int_equal(u32at(&M, D.ttl_at[0]), 300);
	assert_int_equal(u32at(&M, D.ttl_at[1]), 60);
	assert_int_equal(D.min_ttl, 60);
	assert_false(D.has_soa);
	assert_false(D.has_opt);
}

/* The smallest TTL is over answer and authority; additional records get
   TTL offsets (they are counted down) but do not lower min_ttl. */
static void test_min_ttl_sections(void **state)
{
	(void)state;
	header(&M, 1, 0x8180, 1, 1, 1, 1);
	question(&M, "example.com", 1);
	a_rr(&M, 300, 1);
	ptr(&M, 12);
	rrhdr(&M, 2, 1, 200, 2); /* NS in authority, TTL 200 */
	ptr(&M, 12);             /* its rdata */
	a_rr(&M, 5, 9);          /* additional: TTL 5 */
	assert_int_equal(parse(&M, &D), 0);
	assert_int_equal(D.n_ttls, 3);
	assert_int_equal(D.min_ttl, 200);
	assert_int_equal(u32at(&M, D.ttl_at[2]), 5);
}

static void test_ttl_high_bit_is_zero(void **state)
{
	(void)state;
	header(&M, 1, 0x8180, 1, 2, 0, 0);
	question(&M, "example.com", 1);
	a_rr(&M, 300, 1);
	a_rr(&M, 0x80000000u, 2);
	assert_int_equal(parse(&M, &D), 0);
	assert_int_equal(D.min_ttl, 0);
}

static void test_no_records_min_ttl_zero(void **state)
{
	(void)state;
	header(&M, 1, 0x8182, 1, 0, 0, 0);
	question(&M, "example.com", 1);
	assert_int_equal(parse(&M, &D), 0);
	assert_int_equal(D.rcode, 2);
	assert_int_equal(D.n_ttls, 0);
	assert_int_equal(D.min_ttl, 0);
	assert_false(D.has_soa);
}

static void test_soa_negative_ttl_minimum(void **state)
{
	size_t at;
	(void)state;
	header(&M, 7, 0x8183, 1, 0, 1, 0);
	question(&M, "nope.example.com", 1);
	at = soa_rr(&M, 60, 3);
	assert_int_equal(parse(&M, &D), 0);
	assert_int_equal(D.rcode, 3);
	assert_true(D.has_soa);
	assert_int_equal(D.soa_negative_ttl, 3);
	assert_int_equal(D.n_ttls, 1);
	assert_int_equal(D.ttl_at[0], at);
	assert_int_equal(D.min_ttl, 60);
}

static void test_soa_negative_ttl_own_ttl(void **state)
{
	(void)state;
	header(&M, 7, 0x8180, 1, 0, 1, 0); /* NODATA */
	question(&M, "example.com", 16);
	soa_rr(&M, 2, 30);
	assert_int_equal(parse(&M, &D), 0);
	assert_true(D.has_soa);
	assert_int_equal(D.soa_negative_ttl, 2);
}

static void test_soa_in_answer_not_negative(void **state)
{
	(void)state;
	header(&M, 7, 0x8180, 1, 1, 0, 0);
	question(&M, "example.com", 6);
	soa_rr(&M, 60, 3);
	assert_int_equal(parse(&M, &D), 0);
	assert_false(D.has_soa);
	assert_int_equal(D.min_ttl, 60);
}

static void test_opt_in_additional(void **state)
{
	size_t start;
	(void)state;
	header(&M, 9, 0x8180, 1, 1, 0, 2);
	question(&M, "example.com", 1);
	a_rr(&M, 300, 1);
	start = M.n;
	opt_rr(&M);
	a_rr(&M, 40, 7); /* a record after the OPT */
	assert_int_equal(parse(&M, &D), 0);
	assert_true(D.has_opt);
	assert_int_equal(D.opt_start, start);
	assert_int_equal(D.opt_end, start + 11);
	assert_int_equal(D.n_ttls, 2); /* the OPT's TTL is flags, not a TTL */
	assert_int_equal(u32at(&M, D.ttl_at[1]), 40);
	assert_int_equal(D.min_ttl, 300);
}

/* As many records as a 64 KiB message holds: the smallest, 11 bytes each
   (a root owner, type NULL, no data), under the shortest question. */
static void test_max_rrs_accepted(void **state)
{
	unsigned i;
	(void)state;
	header(&M, 1, 0x8180, 1, DNSMSG_MAX_RRS, 0, 0);
	put8(&M, 0);
	put16(&M, 10);
	put16(&M, 1);
	for (i = 0; i < DNSMSG_MAX_RRS; i++) {
		put8(&M, 0);
		rrhdr(&M, 10, 1, 100 + i, 0);
	}
	assert_true(M.n <= 65535);
	assert_int_equal(parse(&M, &D), 0);
	assert_int_equal(D.n_ttls, DNSMSG_MAX_RRS);
	assert_int_equal(D.min_ttl, 100);
	/* a message of 600 A records (a big headless service) is no limit */
	header(&M, 1, 0x8180, 1, 600, 0, 0);
	question(&M, "example.com", 1);
	for (i = 0; i < 600; i++)
		a_rr(&M, 100 + i, i & 0xff);
	assert_int_equal(parse(&M, &D), 0);
	assert_int_equal(D.n_ttls, 600);
}

/* ---- rejections --------------------------------------------------------------- */
static void test_reject_short_header(void **state)
{
	(void)state;
	header(&M, 1, 0x8180, 1, 0, 0, 0);
	assert_int_equal(dnsmsg_parse(M.b, 11, &D), -1);
	assert_int_equal(dnsmsg_parse(M.b, 0, &D), -1);
	assert_int_equal(dnsmsg_parse(M.b, 12, &D), -1); /* QD 1 but no question */
}

static void test_reject_qdcount(void **state)
{
	(void)state;
	header(&M, 1, 0x8180, 2, 0, 0, 0);
	question(&M, "example.com", 1);
	question(&M, "example.net", 1);
	assert_int_equal(parse(&M, &D), -1);
	header(&M, 1, 0x8180, 0, 0, 0, 0);
	assert_int_equal(parse(&M, &D), -1);
}

static void test_reject_pointer_to_itself(void **state)
{
	(void)state;
	header(&M, 1, 0x8180, 1, 1, 0, 0);
	question(&M, "example.com", 1);
	{
		size_t here = M.n;
		ptr(&M, (unsigned)here); /* owner: a pointer to itself */
	}
	rrhdr(&M, 1, 1, 1, 4);
	put32(&M, 0);
	assert_int_equal(parse(&M, &D), -1);
}

static void test_reject_pointer_loop(void **state)
{
	size_t a;
	(void)state;
	/* owner of RR 1: label "x" then a pointer to RR 2's owner (forward);
	   RR 2's owner points back at RR 1's: a loop if forward pointers
	   were allowed. */
	header(&M, 1, 0x8180, 1, 2, 0, 0);
	question(&M, "example.com", 1);
	a = M.n;
	put8(&M, 1);
	put8(&M, 'x');
	ptr(&M, (unsigned)(a + 4 + 10 + 4));
	rrhdr(&M, 1, 1, 1, 4);
	put32(&M, 0);
	ptr(&M, (unsigned)a);
	rrhdr(&M, 1, 1, 1, 4);
	put32(&M, 0);
	assert_int_equal(parse(&M, &D), -1);
}

static void test_reject_forward_pointer(void **state)
{
	size_t fix;
	(void)state;
	header(&M, 1, 0x8180, 1, 1, 0, 0);
	question(&M, "example.com", 1);
	fix = M.n;
	ptr(&M, 0);  /* patched below to point at the rdata that follows */
	rrhdr(&M, 5, 1, 1, 13);
	name(&M, "example.com"); /* CNAME rdata: a valid name, but later */
	M.b[fix] = (uint8_t)(0xC0 | ((fix + 12) >> 8));
	M.b[fix + 1] = (uint8_t)((fix + 12) & 0xff);
	assert_int_equal(parse(&M, &D), -1);
	/* also in the question */
	header(&M, 1, 0x8180, 1, 0, 0, 0);
	ptr(&M, 14);
	name(&M, "example.com");
	put16(&M, 1);
	put16(&M, 1);
	assert_int_equal(parse(&M, &D), -1);
}

static void test_reject_pointer_past_end(void **state)
{
	(void)state;
	header(&M, 1, 0x8180, 1, 1, 0, 0);
	question(&M, "example.com", 1);
	put8(&M, 0xC0); /* half a pointer, then the end */
	assert_int_equal(parse(&M, &D), -1);
}

static void test_reject_truncated(void **state)
{
	struct msg full;
	size_t cut;
	(void)state;
	header(&M, 1, 0x8180, 1, 1, 1, 1);
	question(&M, "example.com", 1);
	a_rr(&M, 300, 1);
	soa_rr(&M, 60, 3);
	opt_rr(&M);
	assert_int_equal(parse(&M, &D), 0);
	full = M;
	/* every shorter prefix is malformed */
	for (cut = 0; cut < full.n; cut++)
		assert_int_equal(dnsmsg_parse(full.b, cut, &D), -1);
}

static void test_reject_rdlen_past_end(void **state)
{
	(void)state;
	header(&M, 1, 0x8180, 1, 1, 0, 0);
	question(&M, "example.com", 1);
	ptr(&M, 12);
	rrhdr(&M, 1, 1, 300, 5); /* claims 5, has 4 */
	put32(&M, 0);
	assert_int_equal(parse(&M, &D), -1);
}

static void test_reject_count_too_high(void **state)
{
	(void)state;
	header(&M, 1, 0x8180, 1, 2, 0, 0); /* two answers claimed, one there */
	question(&M, "example.com", 1);
	a_rr(&M, 300, 1);
	assert_int_equal(parse(&M, &D), -1);
}

static void test_reject_trailing_bytes(void **state)
{
	(void)state;
	header(&M, 1, 0x8180, 1, 1, 0, 0);
	question(&M, "example.com", 1);
	a_rr(&M, 300, 1);
	put8(&M, 0);
	assert_int_equal(parse(&M, &D), -1);
	header(&M, 1, 0x8180, 1, 0, 0, 0);
	question(&M, "example.com", 1);
	put16(&M, 0xdead);
	assert_int_equal(parse(&M, &D), -1);
}

static void test_reject_opt_in_answer(void **state)
{
	(void)state;
	header(&M, 1, 0x8180, 1, 1, 0, 0);
	question(&M, "example.com", 1);
	opt_rr(&M);
	assert_int_equal(parse(&M, &D), -1);
}

static void test_reject_opt_in_authority(void **state)
{
	(void)state;
	header(&M, 1, 0x8180, 1, 1, 1, 0);
	question(&M, "example.com", 1);
	a_rr(&M, 300, 1);
	opt_rr(&M);
	assert_int_equal(parse(&M, &D), -1);
}

static void test_reject_two_opts(void **state)
{
	(void)state;
	header(&M, 1, 0x8180, 1, 0, 0, 2);
	question(&M, "example.com", 1);
	opt_rr(&M);
	opt_rr(&M);
	assert_int_equal(parse(&M, &D), -1);
}

static void test_reject_too_many_rrs(void **state)
{
	unsigned i;
	(void)state;
	/* one more than a 64 KiB message can hold, each of the smallest */
	header(&M, 1, 0x8180, 1, DNSMSG_MAX_RRS + 1, 0, 0);
	put8(&M, 0);
	put16(&M, 10);
	put16(&M, 1);
	for (i = 0; i < DNSMSG_MAX_RRS + 1; i++) {
		put8(&M, 0);
		rrhdr(&M, 10, 1, 100, 0);
	}
	assert_int_equal(parse(&M, &D), -1);
	/* the counts alone, without the records */
	header(&M, 1, 0x8180, 1, 0xffff, 0xffff, 0xffff);
	question(&M, "example.com", 1);
	assert_int_equal(parse(&M, &D), -1);
}

static void test_reject_long_name(void **state)
{
	char label[64], text[300];
	(void)state;
	memset(label, 'a', 63);
	label[63] = '\0';
	/* 4 x 63-byte labels: 256 bytes with the root, over 255 */
	snprintf(text, sizeof(text), "%s.%s.%s.%s", label, label, label, label);
	header(&M, 1, 0x8180, 1, 0, 0, 0);
	question(&M, text, 1);
	assert_int_equal(parse(&M, &D), -1);
	/* 3 x 63 + 61: 255 bytes exactly, accepted */
	snprintf(text, sizeof(text), "%s.%s.%s.%.61s", label, label, label, label);
	header(&M, 1, 0x8180, 1, 0, 0, 0);
	question(&M, text, 1);
	assert_int_equal(parse(&M, &D), 0);
	assert_int_equal(D.qname_len, 255);
}

static void test_reject_long_name_via_pointer(void **state)
{
	char label[64], text[300];
	size_t q;
	(void)state;
	memset(label, 'b', 63);
	label[63] = '\0';
	snprintf(text, sizeof(text), "%s.%s.%s.%.61s", label, label, label, label);
	header(&M, 1, 0x8180, 1, 1, 0, 0);
	q = M.n;
	question(&M, text, 1); /* 255 bytes: fine */
	put8(&M, 1);           /* owner "x" + pointer to it: 257 bytes */
	put8(&M, 'x');
	ptr(&M, (unsigned)q);
	rrhdr(&M, 1, 1, 1, 4);
	put32(&M, 0);
	assert_int_equal(parse(&M, &D), -1);
}

static void test_reject_extended_label(void **state)
{
	(void)state;
	header(&M, 1, 0x8180, 1, 0, 0, 0);
	put8(&M, 0x41); /* 01xxxxxx: extended label type */
	put8(&M, 0);
	put16(&M, 1);
	put16(&M, 1);
	assert_int_equal(parse(&M, &D), -1);
	header(&M, 1, 0x8180, 1, 0, 0, 0);
	put8(&M, 0x81); /* 10xxxxxx: reserved */
	put8(&M, 0);
	put16(&M, 1);
	put16(&M, 1);
	assert_int_equal(parse(&M, &D), -1);
}

static void test_reject_label_past_end(void **state)
{
	(void)state;
	header(&M, 1, 0x8180, 1, 0, 0, 0);
	put8(&M, 20);
	put8(&M, 'a');
	assert_int_equal(parse(&M, &D), -1);
}

static void test_reject_short_soa(void **state)
{
	size_t rd;
	(void)state;
	header(&M, 1, 0x8183, 1, 0, 1, 0);
	question(&M, "nope.example.com", 1);
	ptr(&M, 12);
	rrhdr(&M, 6, 1, 60, 0);
	rd = M.n;
	ptr(&M, 12);
	ptr(&M, 12);
	put32(&M, 1);
	put32(&M, 2);
	put32(&M, 3);
	put32(&M, 4); /* MINIMUM missing */
	M.b[rd - 1] = (uint8_t)(M.n - rd);
	assert_int_equal(parse(&M, &D), -1);
}

static void test_reject_soa_names_past_rdata(void **state)
{
	size_t rd;
	(void)state;
	/* RDLENGTH 4 but the SOA's names and numbers run on into the bytes
	   after it (which are the message's end here): must not be read as
	   the SOA. */
	header(&M, 1, 0x8183, 1, 0, 1, 0);
	question(&M, "nope.example.com", 1);
	ptr(&M, 12);
	rrhdr(&M, 6, 1, 60, 0);
	rd = M.n;
	ptr(&M, 12);
	ptr(&M, 12);
	M.b[rd - 1] = 4;
	{
		size_t i;
		for (i = 0; i < 20; i++)
			put8(&M, 0);
	}
	assert_int_equal(parse(&M, &D), -1);
}

/* Random mutations of a good reply never crash (ASan/valgrind find the
   rest) and never index outside the message. */
static void test_mutations_stay_in_bounds(void **state)
{
	struct msg base;
	unsigned seed = 12345, i;
	(void)state;
	header(&M, 1, 0x8180, 1, 2, 1, 1);
	question(&M, "www.example.com", 1);
	a_rr(&M, 300, 1);
	a_rr(&M, 30, 2);
	soa_rr(&M, 60, 3);
	opt_rr(&M);
	base = M;
	for (i = 0; i < 20000; i++) {
		size_t len = base.n, k;
		M = base;
		for (k = 0; k < 1 + i % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			M.b[(seed >> 8) % len] = (uint8_t)(seed >> 20);
		}
		seed = seed * 1103515245u + 12345u;
		if (i % 3 == 0)
			len = (seed >> 8) % (len + 1);
		if (dnsmsg_parse(M.b, len, &D) == 0) {
			size_t t;
			assert_true(D.question_end <= len);
			for (t = 0; t < D.n_ttls; t++)
				assert_true((size_t)D.ttl_at[t] + 4 <= len);
			if (D.has_opt)
				assert_true(D.opt_start < D.opt_end && D.opt_end <= len);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_reply),
		cmocka_unit_test(test_min_ttl_sections),
		cmocka_unit_test(test_ttl_high_bit_is_zero),
		cmocka_unit_test(test_no_records_min_ttl_zero),
		cmocka_unit_test(test_soa_negative_ttl_minimum),
		cmocka_unit_test(test_soa_negative_ttl_own_ttl),
		cmocka_unit_test(test_soa_in_answer_not_negative),
		cmocka_unit_test(test_opt_in_additional),
		cmocka_unit_test(test_max_rrs_accepted),
		cmocka_unit_test(test_reject_short_header),
		cmocka_unit_test(test_reject_qdcount),
		cmocka_unit_test(test_reject_pointer_to_itself),
		cmocka_unit_test(test_reject_pointer_loop),
		cmocka_unit_test(test_reject_forward_pointer),
		cmocka_unit_test(test_reject_pointer_past_end),
		cmocka_unit_test(test_reject_truncated),
		cmocka_unit_test(test_reject_rdlen_past_end),
		cmocka_unit_test(test_reject_count_too_high),
		cmocka_unit_test(test_reject_trailing_bytes),
		cmocka_unit_test(test_reject_opt_in_answer),
		cmocka_unit_test(test_reject_opt_in_authority),
		cmocka_unit_test(test_reject_two_opts),
		cmocka_unit_test(test_reject_too_many_rrs),
		cmocka_unit_test(test_reject_long_name),
		cmocka_unit_test(test_reject_long_name_via_pointer),
		cmocka_unit_test(test_reject_extended_label),
		cmocka_unit_test(test_reject_label_past_end),
		cmocka_unit_test(test_reject_short_soa),
		cmocka_unit_test(test_reject_soa_names_past_rdata),
		cmocka_unit_test(test_mutations_stay_in_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
