/* test_kube_client.c - the pure parts of the API client: backoff arithmetic,
 * request URLs, Retry-After parsing. The network parts are covered by the
 * system tests against tests/fakeapi. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kube_client.h"

static void test_backoff_grows_and_caps(void **state)
{
	unsigned prev_hi = 0;
	(void)state;
	/* lowest draw of each step: half the step, floor 0.5 s */
	assert_int_equal(kube_client_backoff_ms(0, -1, 0.0), 500);
	assert_int_equal(kube_client_backoff_ms(1, -1, 0.0), 500);
	assert_int_equal(kube_client_backoff_ms(2, -1, 0.0), 1000);
	assert_int_equal(kube_client_backoff_ms(3, -1, 0.0), 2000);
	for (unsigned a = 0; a < 40; a++) {
		unsigned lo = kube_client_backoff_ms(a, -1, 0.0);
		unsigned hi = kube_client_backoff_ms(a, -1, 0.999999);
		assert_true(lo >= 500);
		assert_true(hi <= 30000);
		assert_true(lo <= hi);
		assert_true(hi >= prev_hi); /* never shrinks */
		prev_hi = hi;
	}
	assert_int_equal(kube_client_backoff_ms(100, -1, 0.0), 15000);
	assert_true(kube_client_backoff_ms(100, -1, 0.999999) >= 29999);
	/* a bad draw is treated as 0 */
	assert_int_equal(kube_client_backoff_ms(3, -1, 7.0), 2000);
}

static void test_backoff_retry_after(void **state)
{
	(void)state;
	assert_int_equal(kube_client_backoff_ms(0, 5, 0.0), 5000);
	/* Retry-After only lengthens the wait */
	assert_int_equal(kube_client_backoff_ms(10, 1, 0.0), 15000);
	/* and an absurd one is capped at 5 min */
	assert_int_equal(kube_client_backoff_ms(0, 86400, 0.0), 300000);
	assert_int_equal(kube_client_backoff_ms(0, 0, 0.0), 500);
}

static void test_url_list(void **state)
{
	char buf[512];
	(void)state;
	assert_int_equal(kube_client_build_url(buf, sizeof(buf),
	                                       "https://10.0.0.1:6443/",
	                                       "/api/v1/services", NULL, false,
	                                       NULL, NULL, 0), 0);
	assert_string_equal(buf, "https://10.0.0.1:6443/api/v1/services?limit=500");
	assert_int_equal(kube_client_build_url(buf, sizeof(buf),
	                                       "http://127.0.0.1:8001",
	                                       "/api/v1/services", NULL, false,
	                                       "55", "eyJ2Ijoi+/=", 0), 0);
	assert_string_equal(buf, "http://127.0.0.1:8001/api/v1/services"
	                         "?continue=eyJ2Ijoi%2B%2F%3D&limit=500");
	assert_int_equal(kube_client_build_url(buf, sizeof(buf), "http://h",
	                                       "/api/v1/pods",
	                                       "fieldSelector=a%21%3Db", false,
	                                       NULL, NULL, 0), 0);
	assert_string_equal(buf, "http://h/api/v1/pods?fieldSelector=a%21%3Db&limit=500");
}

static void test_url_watch(void **state)
{
	char buf[512];
	(void)state;
	assert_int_equal(kube_client_build_url(
		buf, sizeof(buf), "https://h:6443",
		"/apis/discovery.k8s.io/v1/endpointslices", NULL, true,
		"12345", NULL, 300), 0);
	assert_string_equal(buf, "https://h:6443/apis/discovery.k8s.io/v1/endpointslices"
	                         "?allowWatchBookmarks=true&resourceVersion=12345"
	                         "&timeoutSeconds=300&watch=1");
	/* an opaque version is passed back encoded */
	assert_int_equal(kube_client_build_url(buf, sizeof(buf), "http://h",
	                                       "/api/v1/services", NULL, true,
	                                       "a b&c", NULL, 7), 0);
	assert_string_equal(buf, "http://h/api/v1/services?allowWatchBookmarks=true"
	                         "&resourceVersion=a%20b%26c&timeoutSeconds=7&watch=1");
}

static void test_url_too_small(void **state)
{
	char buf[40];
	(void)state;
	assert_int_equal(kube_client_build_url(buf, sizeof(buf),
	                                       "https://a-long-host-name:6443",
	                                       "/api/v1/services", NULL, true,
	                                       "1", NULL, 300), -1);
	assert_int_equal(kube_client_build_url(buf, sizeof(buf), NULL,
	                                       "/x", NULL, true, NULL, NULL, 1), -1);
}

static void test_retry_after(void **state)
{
	const char *l1 = "Retry-After: 3\r\n";
	const char *l2 = "retry-after:10\r\n";
	const char *l3 = "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n";
	const char *l4 = "Content-Type: text/plain\r\n";
	(void)state;
	assert_int_equal(kube_client_parse_retry_after(l1, strlen(l1)), 3);
	assert_int_equal(kube_client_parse_retry_after(l2, strlen(l2)), 10);
	assert_int_equal(kube_client_parse_retry_after(l3, strlen(l3)), -1);
	assert_int_equal(kube_client_parse_retry_after(l4, strlen(l4)), -1);
	assert_int_equal(kube_client_parse_retry_after("Retry", 5), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_grows_and_caps),
		cmocka_unit_test(test_backoff_retry_after),
		cmocka_unit_test(test_url_list),
		cmocka_unit_test(test_url_watch),
		cmocka_unit_test(test_url_too_small),
		cmocka_unit_test(test_retry_after),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
