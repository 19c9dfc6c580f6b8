/* test_metrics.c - bucket arithmetic, per-thread sums, question parsing and
 * the Prometheus text rendering (every line a comment or a valid sample,
 * histograms cumulative, CoreDNS names present); http_parse_addr. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "forward.h"
#include "http.h"
#include "kube_client.h"
#include "metrics.h"

static void test_buckets(void **state)
{
	(void)state;
	assert_int_equal(metrics_dur_bucket(0), 0);
	assert_int_equal(metrics_dur_bucket(250000), 0);
	assert_int_equal(metrics_dur_bucket(250001), 1);
	assert_int_equal(metrics_dur_bucket(500000), 1);
	assert_int_equal(metrics_dur_bucket(500001), 2);
	assert_int_equal(metrics_dur_bucket(8192000000ull), 15);
	assert_int_equal(metrics_dur_bucket(8192000001ull), METRICS_DUR_BUCKETS);
	assert_int_equal(metrics_size_bucket(0), 0);
	assert_int_equal(metrics_size_bucket(1), 1);
	assert_int_equal(metrics_size_bucket(100), 1);
	assert_int_equal(metrics_size_bucket(511), 5);
	assert_int_equal(metrics_size_bucket(512), 6);
	assert_int_equal(metrics_size_bucket(64000), 13);
	assert_int_equal(metrics_size_bucket(65535), METRICS_SIZE_BUCKETS);
}

static void test_qtype_of(void **state)
{
	/* header, "a.b." , type SRV, class IN */
	uint8_t q[] = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 1, 'b', 0, 0, 33, 0, 1};
	(void)state;
	assert_int_equal(metrics_qtype_of(q, sizeof(q)), METRICS_QT_SRV);
	q[18] = 28;
	assert_int_equal(metrics_qtype_of(q, sizeof(q)), METRICS_QT_AAAA);
	q[18] = 99;
	assert_int_equal(metrics_qtype_of(q, sizeof(q)), METRICS_QT_OTHER);
	assert_int_equal(metrics_qtype_of(q, 17), METRICS_QT_OTHER); /* cut */
	q[12] = 0xc0;                                                  /* pointer */
	assert_int_equal(metrics_qtype_of(q, sizeof(q)), METRICS_QT_OTHER);
}

static void test_blocks_aligned_and_summed(void **state)
{
	struct metrics *m = metrics_new(3, false);
	struct metrics_thread sum;
	uint8_t reply[12] = {0, 1, 0x81, 0x83}; /* NXDOMAIN */
	unsigned i;
	(void)state;
	assert_non_null(m);
	for (i = 0; i < 3; i++) {
		struct metrics_thread *t = metrics_thread(m, i);
		assert_int_equal((uintptr_t)t % 64, 0);
		metrics_request(t, METRICS_UDP, AF_INET, METRICS_QT_A, 40);
		metrics_response(t, METRICS_UDP, METRICS_LOCAL, reply, sizeof(reply));
		metrics_duration(t, METRICS_QT_A, 1000);
	}
	metrics_request(metrics_thread(m, 2), METRICS_TCP, AF_INET6, METRICS_QT_PTR, 50);
	assert_null(metrics_thread(m, 3));
	metrics_sum(m, &sum);
	assert_int_equal(sum.requests[METRICS_UDP][METRICS_V4][METRICS_QT_A], 3);
	assert_int_equal(sum.requests[METRICS_TCP][METRICS_V6][METRICS_QT_PTR], 1);
	assert_int_equal(sum.responses[METRICS_LOCAL][3], 3);
	assert_int_equal(sum.dur[METRICS_QT_A][0], 3);
	assert_int_equal(sum.dur_sum_ns[METRICS_QT_A], 3000);
	assert_int_equal(sum.req_size_sum[METRICS_UDP], 120);
	metrics_free(m);
}

/* Strict check of one exposition line: comment, or
   name{label="value",...} number. Returns 1 if valid. */
static int valid_line(const char *l)
{
	const char *p = l;
	char *end;
	if (strncmp(l, "# HELP ", 7) == 0 || strncmp(l, "# TYPE ", 7) == 0)
		return 1;
	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == ':'))
		return 0;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
	       *p == '_' || *p == ':')
		p++;
	if (*p == '{') {
		p++;
		while (*p != '}') {
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
				return 0;
			while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			       (*p >= '0' && *p <= '9') || *p == '_')
				p++;
			if (p[0] != '=' || p[1] != '"')
				return 0;
			p += 2;
			while (*p && *p != '"') {
				if (*p == '\\')
					p++;
				p++;
			}
			if (*p != '"')
				return 0;
			p++;
			if (*p == ',')
				p++;
			else if (*p != '}')
				return 0;
		}
		p++;
	}
	if (*p != ' ')
		return 0;
	p++;
	strtod(p, &end);
	return end != p && *end == '\0';
}

static char *render(const struct metrics_thread *t, const struct metrics_app *a)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	assert_int_equal(metrics_render(t, a, fp), 0);
	fclose(fp);
	return buf;
}

static void test_render(void **state)
{
	struct metrics *m = metrics_new(2, false);
	struct metrics_thread sum;
	struct metrics_app app;
	struct forward_stats fs;
	struct kube_client_stats ks;
	struct metrics_latency lat;
	uint8_t reply[12] = {0, 1, 0x81, 0x80};
	char *text, *line, *save;
	int lines = 0, i;
	(void)state;

	for (i = 0; i < 5; i++) {
		metrics_request(metrics_thread(m, (unsigned)i % 2), METRICS_UDP, AF_INET, METRICS_QT_A, 30);
		metrics_response(metrics_thread(m, (unsigned)i % 2), METRICS_UDP, METRICS_LOCAL, reply, 90);
		metrics_duration(metrics_thread(m, (unsigned)i % 2), METRICS_QT_A, 300000u * (unsigned)i);
	}
	metrics_sum(m, &sum);
	memset(&app, 0, sizeof(app));
	memset(&fs, 0, sizeof(fs));
	memset(&ks, 0, sizeof(ks));
	memset(&lat, 0, sizeof(lat));
	metrics_latency_observe(&lat, 0.0004);
	metrics_latency_observe(&lat, 0.003);
	fs.cache_hits = 7;
	fs.cache_hits_denial = 2;
	fs.cache_size = 4;
	fs.cache_denials = 1;
	ks.errors_by_class[3] = 2; /* 401 */
	app.server = "dns://:53";
	app.fwd = &fs;
	app.api = &ks;
	app.programming = &lat;
	app.objects[KUBE_KIND_SERVICE] = 11;
	app.since_sync = 1.5;
	app.ready = true;
	text = render(&sum, &app);

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!valid_line(line))
			fail_msg("invalid exposition line: '%s'", line);
		lines++;
	}
	free(text);
	assert_true(lines > 50);

	text = render(&sum, &app);
	assert_non_null(strstr(text, "coredns_dns_requests_total{server=\"dns://:53\",zone=\".\",view=\"\",proto=\"udp\",family=\"1\",type=\"A\"} 5\n"));
	assert_non_null(strstr(text, "coredns_dns_responses_total{server=\"dns://:53\",zone=\".\",view=\"\",rcode=\"NOERROR\",plugin=\"kubernetes\"} 5\n"));
	/* durations 0, .3, .6, .9, 1.2 ms: cumulative buckets */
	assert_non_null(strstr(text, "type=\"A\",le=\"0.00025\"} 1\n"));
	assert_non_null(strstr(text, "type=\"A\",le=\"0.0005\"} 2\n"));
	assert_non_null(strstr(text, "type=\"A\",le=\"0.001\"} 4\n"));
	assert_non_null(strstr(text, "type=\"A\",le=\"0.002\"} 5\n"));
	assert_non_null(strstr(text, "type=\"A\",le=\"+Inf\"} 5\n"));
	assert_non_null(strstr(text, "coredns_dns_request_duration_seconds_count{server=\"dns://:53\",zone=\".\",view=\"\",type=\"A\"} 5\n"));
	assert_non_null(strstr(text, "coredns_dns_response_size_bytes_bucket{server=\"dns://:53\",zone=\".\",view=\"\",proto=\"udp\",le=\"100\"} 5\n"));
	assert_non_null(strstr(text, "coredns_dns_request_size_bytes_sum{server=\"dns://:53\",zone=\".\",view=\"\",proto=\"udp\"} 150\n"));
	assert_non_null(strstr(text, "coredns_cache_hits_total{server=\"dns://:53\",type=\"success\"} 5\n"));
	assert_non_null(strstr(text, "coredns_cache_hits_total{server=\"dns://:53\",type=\"denial\"} 2\n"));
	assert_non_null(strstr(text, "coredns_cache_entries{server=\"dns://:53\",type=\"success\"} 3\n"));
	assert_non_null(strstr(text, "coredns_cache_entries{server=\"dns://:53\",type=\"denial\"} 1\n"));
	assert_non_null(strstr(text, "coredns_kubernetes_dns_programming_duration_seconds_bucket{service_kind=\"all\",le=\"0.001\"} 1\n"));
	assert_non_null(strstr(text, "coredns_kubernetes_dns_programming_duration_seconds_count{service_kind=\"all\"} 2\n"));
	assert_non_null(strstr(text, "svcdns_api_errors_total{code=\"401\"} 2\n"));
	assert_non_null(strstr(text, "svcdns_cache_objects{kind=\"service\"} 11\n"));
	assert_non_null(strstr(text, "svcdns_seconds_since_last_sync 1.5\n"));
	assert_non_null(strstr(text, "svcdns_ready 1\n"));
	assert_non_null(strstr(text, "# TYPE coredns_dns_request_duration_seconds histogram\n"));
	free(text);

	/* no forwarder, no API, nothing counted: still valid */
	memset(&app, 0, sizeof(app));
	app.since_sync = -1;
	text = render(NULL, &app);
	assert_null(strstr(text, "coredns_cache_hits_total"));
	assert_null(strstr(text, "svcdns_api_up"));
	assert_null(strstr(text, "svcdns_seconds_since_last_sync"));
	free(text);
	metrics_free(m);
}

static void test_http_parse_addr(void **state)
{
	char host[64];
	uint16_t port;
	(void)state;
	assert_int_equal(http_parse_addr("127.0.0.1:9153", host, sizeof(host), &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 9153);
	assert_int_equal(http_parse_addr(":8080", host, sizeof(host), &port), 0);
	assert_string_equal(host, "0.0.0.0");
	assert_int_equal(http_parse_addr("[::1]:0", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 0);
	assert_int_equal(http_parse_addr("::1:80", host, sizeof(host), &port), -1);
	assert_int_equal(http_parse_addr("1.2.3.4", host, sizeof(host), &port), -1);
	assert_int_equal(http_parse_addr("1.2.3.4:", host, sizeof(host), &port), -1);
	assert_int_equal(http_parse_addr("1.2.3.4:70000", host, sizeof(host), &port), -1);
	assert_int_equal(http_parse_addr("1.2.3.4:-1", host, sizeof(host), &port), -1);
	assert_int_equal(http_parse_addr("", host, sizeof(host), &port), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_qtype_of),
		cmocka_unit_test(test_blocks_aligned_and_summed),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_http_parse_addr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
