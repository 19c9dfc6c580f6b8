/* test_hosts.c - a hosts(5) file compiled to answers: the lines CoreDNS's
 * hosts plugin reads (comments, aliases, IPv6 with a zone, ::ffff:
 * addresses, upper case, trailing dots) and skips (no address, no name,
 * bad names); A, AAAA and PTR records as encoded; NODATA for other types
 * of a known name; fall through for unknown ones; one-label wildcards;
 * duplicates; no_reverse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "answer_lookup.h"
#include "dname.h"
#include "hosts.h"
#include "records.h"
#include "wire.h"

static const char hosts_text[] =
	"# a comment line\n"
	"127.0.0.1\tlocalhost\n"
	"10.0.0.5   node-1 Node-1.Example.ORG.  # the node, twice, one alias\n"
	"10.0.0.6   node-2\n"
	"10.0.0.7   node-2\n"
	"10.0.0.6   node-2\n"              /* a duplicate: one record */
	"fd00::5    node-1\n"
	"fe80::1%eth0 linklocal\n"
	"::ffff:192.0.2.9 mapped\n"
	"10.0.0.99  *.wild.example.org\n"
	"not-an-ip  name\n"                /* skipped */
	"10.0.0.8\n"                      /* no name: skipped */
	"10.0.0.9   bad..name ok-name\n"  /* bad..name skipped, ok-name kept */
	"   \n"
	"10.0.0.10  last-line-without-newline";

/* The messages build() was given, one a line. */
static char reports[8192];
static size_t n_reports;

static void collect(void *ctx, bool warning, const char *msg)
{
	size_t used = strlen(reports);

	(void)ctx;
	assert_true(warning);
	snprintf(reports + used, sizeof(reports) - used, "%s\n", msg);
	n_reports++;
}

static struct hosts_table *build_texts(const struct hosts_text *texts, size_t n,
                                       const struct hosts_options *o)
{
	struct hosts_table *t;

	reports[0] = '\0';
	n_reports = 0;
	t = hosts_table_build(texts, n, o, collect, NULL);
	assert_non_null(t);
	return t;
}

static struct hosts_table *build(const struct hosts_options *o, size_t *skipped)
{
	struct hosts_text text = {"test-hosts", hosts_text, strlen(hosts_text)};
	struct hosts_table *t = build_texts(&text, 1, o);

	if (skipped)
		*skipped = n_reports;
	return t;
}

static size_t wire(const char *text, uint8_t *out)
{
	size_t n = dname_from_text(text, out);
	assert_true(n > 0);
	return n;
}

/* The records of ref's answer as "TYPE TTL RDATA" lines (addresses as
   text, PTR targets as names), in order. */
static void records_text(const struct answer_ref *ref, char *out, size_t cap)
{
	size_t start = 0, o = 0, i;

	out[0] = '\0';
	for (i = 0; i < ref->body.an; i++) {
		const uint8_t *r = ref->body.wire + start;
		uint16_t type = wire_u16(r + 2), rdlen = wire_u16(r + 10);
		char rd[300];

		assert_int_equal(wire_u16(r), 0xC00C); /* the owner: the question */
		assert_int_equal(wire_u16(r + 4), 1);
		assert_int_equal(ref->body.ends[i], start + 12 + rdlen);
		if (type == RR_TYPE_A) {
			snprintf(rd, sizeof(rd), "%u.%u.%u.%u", r[12], r[13], r[14], r[15]);
		} else if (type == RR_TYPE_AAAA) {
			assert_int_equal(rdlen, 16);
			snprintf(rd, sizeof(rd), "aaaa:%02x%02x..%02x%02x", r[12], r[13], r[26], r[27]);
		} else {
			assert_int_equal(dname_to_text(r + 12, rdlen, rd, sizeof(rd)), 0);
		}
		o += (size_t)snprintf(out + o, cap - o, "%s%u %u %s", i ? "|" : "", type,
		                      (unsigned)((uint32_t)r[6] << 24 | (uint32_t)r[7] << 16 | (uint32_t)r[8] << 8 | r[9]), rd);
		start = ref->body.ends[i];
	}
	assert_int_equal(start, ref->body.len);
}

/* The answer to NAME/TYPE as text; "FALLTHROUGH" when the table lacks it. */
static const char *ask(const struct hosts_table *t, const char *name, uint16_t type)
{
	static char out[4096];
	static struct answer_ref ref;
	uint8_t w[DNAME_MAX];
	size_t n = wire(name, w);

	if (!hosts_table_lookup(t, w, n, type, &ref))
		return "FALLTHROUGH";
	assert_int_equal(ref.status, ANSWER_FOUND);
	assert_int_equal(ref.body.ns, 0);
	assert_int_equal(ref.body.ar, 0);
	assert_int_equal(ref.pointer_shift, 0);
	assert_false(ref.chase);
	assert_non_null(ref.body.wire);
	records_text(&ref, out, sizeof(out));
	return out[0] ? out : "NODATA";
}

static void test_lines(void **state)
{
	struct hosts_options o = {.ttl = 60, .no_reverse = false};
	size_t skipped = 0;
	struct hosts_table *t = build(&o, &skipped);

	(void)state;
	assert_int_equal(skipped, 3);
	assert_string_equal(reports,
	                    "test-hosts:11: not an IP address first, skipped\n"
	                    "test-hosts:12: no name after the address, skipped\n"
	                    "test-hosts:13: a name that is not a host name (the others kept), skipped\n");
	assert_string_equal(ask(t, "localhost", RR_TYPE_A), "1 60 127.0.0.1");
	assert_string_equal(ask(t, "node-1", RR_TYPE_A), "1 60 10.0.0.5");
	assert_string_equal(ask(t, "node-1", RR_TYPE_AAAA), "28 60 aaaa:fd00..0005");
	assert_string_equal(ask(t, "node-1.example.org", RR_TYPE_A), "1 60 10.0.0.5");
	assert_string_equal(ask(t, "node-2", RR_TYPE_A), "1 60 10.0.0.6|1 60 10.0.0.7");
	assert_string_equal(ask(t, "linklocal", RR_TYPE_AAAA), "28 60 aaaa:fe80..0001");
	assert_string_equal(ask(t, "mapped", RR_TYPE_A), "1 60 192.0.2.9");
	assert_string_equal(ask(t, "mapped", RR_TYPE_AAAA), "NODATA");
	assert_string_equal(ask(t, "ok-name", RR_TYPE_A), "1 60 10.0.0.9");
	assert_string_equal(ask(t, "last-line-without-newline", RR_TYPE_A), "1 60 10.0.0.10");
	assert_string_equal(ask(t, "name", RR_TYPE_A), "FALLTHROUGH");
	/* the names of a known name's other types: NODATA; unknown: fall through */
	assert_string_equal(ask(t, "node-2", RR_TYPE_AAAA), "NODATA");
	assert_string_equal(ask(t, "node-2", RR_TYPE_TXT), "NODATA");
	assert_string_equal(ask(t, "node-2", RR_TYPE_ANY), "NODATA");
	assert_string_equal(ask(t, "node-3", RR_TYPE_A), "FALLTHROUGH");
	assert_string_equal(ask(t, "example.org", RR_TYPE_A), "FALLTHROUGH");
	hosts_table_free(t);
}

static void test_reverse(void **state)
{
	struct hosts_options o = {.ttl = 3600, .no_reverse = false};
	struct hosts_table *t = build(&o, NULL);

	(void)state;
	/* names in file order, each once */
	assert_string_equal(ask(t, "5.0.0.10.in-addr.arpa", RR_TYPE_PTR),
	                    "12 3600 node-1.|12 3600 node-1.example.org.");
	assert_string_equal(ask(t, "6.0.0.10.in-addr.arpa", RR_TYPE_PTR), "12 3600 node-2.");
	assert_string_equal(ask(t, "9.2.0.192.in-addr.arpa", RR_TYPE_PTR), "12 3600 mapped.");
	assert_string_equal(
		ask(t, "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa",
		    RR_TYPE_PTR),
		"12 3600 node-1.");
	/* no PTR for an address not in the file, nor for the wildcard's */
	assert_string_equal(ask(t, "8.0.0.10.in-addr.arpa", RR_TYPE_PTR), "FALLTHROUGH");
	assert_string_equal(ask(t, "99.0.0.10.in-addr.arpa", RR_TYPE_PTR), "FALLTHROUGH");
	/* PTR of a host name, A of a reverse name: fall through */
	assert_string_equal(ask(t, "node-1", RR_TYPE_PTR), "FALLTHROUGH");
	assert_string_equal(ask(t, "5.0.0.10.in-addr.arpa", RR_TYPE_A), "FALLTHROUGH");
	hosts_table_free(t);

	o.no_reverse = true;
	t = build(&o, NULL);
	assert_string_equal(ask(t, "5.0.0.10.in-addr.arpa", RR_TYPE_PTR), "FALLTHROUGH");
	assert_string_equal(ask(t, "node-1", RR_TYPE_A), "1 3600 10.0.0.5");
	hosts_table_free(t);
}

static void test_wildcard(void **state)
{
	struct hosts_options o = {.ttl = 60};
	struct hosts_table *t = build(&o, NULL);

	(void)state;
	assert_string_equal(ask(t, "a.wild.example.org", RR_TYPE_A), "1 60 10.0.0.99");
	assert_string_equal(ask(t, "other.wild.example.org", RR_TYPE_AAAA), "NODATA");
	/* one label only, and not the suffix itself */
	assert_string_equal(ask(t, "a.b.wild.example.org", RR_TYPE_A), "FALLTHROUGH");
	assert_string_equal(ask(t, "wild.example.org", RR_TYPE_A), "FALLTHROUGH");
	hosts_table_free(t);
}

static void test_empty_and_garbage(void **state)
{
	struct hosts_options o = {.ttl = 60};
	static const char garbage[] = "\x01\x02\xff\n#\n\n  \t\n1.2.3.4.5 x\n::: y\n10.1.1.1 \xc3\xa9t\xc3\xa9\n";
	struct hosts_text empty = {"empty", "", 0}, bad = {"bad", garbage, sizeof(garbage) - 1};
	char many[2000] = "";
	struct hosts_text lots = {"lots", many, 0};
	struct hosts_table *t = build_texts(&empty, 1, &o);
	int i;

	(void)state;
	assert_int_equal(hosts_table_names(t), 0);
	assert_int_equal(n_reports, 0);
	assert_string_equal(ask(t, "localhost", RR_TYPE_A), "FALLTHROUGH");
	hosts_table_free(t);
	t = build_texts(&bad, 1, &o);
	assert_int_equal(n_reports, 4);
	assert_int_equal(hosts_table_names(t), 0);
	hosts_table_free(t);
	/* 15 bad lines: the first 10 said, then how many more */
	for (i = 0; i < 15; i++)
		strcat(many, "nonsense here\n");
	lots.len = strlen(many);
	t = build_texts(&lots, 1, &o);
	assert_int_equal(n_reports, 11);
	assert_non_null(strstr(reports, "lots:10: not an IP address first, skipped\n"));
	assert_null(strstr(reports, "lots:11:"));
	assert_non_null(strstr(reports, "lots: 5 more lines skipped\n"));
	hosts_table_free(t);
}

/* Several files make one table: their records joined, in order. */
static void test_several_files(void **state)
{
	static const char second[] = "10.0.0.5 node-9\n10.0.0.11 NODE-1\n";
	struct hosts_options o = {.ttl = 60};
	struct hosts_text texts[2] = {{"first", hosts_text, strlen(hosts_text)},
	                              {"second", second, strlen(second)}};
	struct hosts_table *t = build_texts(texts, 2, &o);

	(void)state;
	assert_string_equal(ask(t, "node-1", RR_TYPE_A), "1 60 10.0.0.5|1 60 10.0.0.11");
	assert_string_equal(ask(t, "node-9", RR_TYPE_A), "1 60 10.0.0.5");
	assert_string_equal(ask(t, "5.0.0.10.in-addr.arpa", RR_TYPE_PTR),
	                    "12 60 node-1.|12 60 node-1.example.org.|12 60 node-9.");
	assert_non_null(strstr(reports, "first:11:"));
	hosts_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_reverse),
		cmocka_unit_test(test_wildcard),
		cmocka_unit_test(test_empty_and_garbage),
		cmocka_unit_test(test_several_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
