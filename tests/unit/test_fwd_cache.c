/* test_fwd_cache.c - the shared cache of forwarded answers: TTLs counted
 * down and capped, AA set, freshness and the stale window, the override
 * TTL, replacement, the CLOCK bound (names asked again stay, the others
 * go), disabled with 0 entries, and four threads storing and reading the
 * same keys at once (run under ASan and valgrind by make check). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include <cmocka.h>

#include "dns.h"
#include "dnsmsg.h"
#include "fwd_cache.h"
#include "rcu_thread.h"
#include "wire.h"

/* A reply to "<label>.example. A" with one A record of TTL ttl: header,
   question, answer. */
static size_t reply(const char *label, uint32_t ttl, uint8_t *out, struct dnsmsg *m)
{
	size_t n = 12, l = strlen(label);

	memset(out, 0, 12);
	out[0] = 0x12;
	out[1] = 0x34;
	dns_set_flags(out, DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA);
	dns_set_counts(out, 1, 1, 0, 0);
	out[n++] = (uint8_t)l;
	memcpy(out + n, label, l);
	n += l;
	memcpy(out + n, "\7example\0\0\1\0\1", 13);
	n += 13;
	memcpy(out + n, "\xc0\x0c\0\1\0\1", 6);
	wire_put_u32(out + n + 6, ttl);
	memcpy(out + n + 10, "\0\4\xc0\0\2\1", 6);
	n += 16;
	assert_int_equal(dnsmsg_parse(out, n, m), 0);
	return n;
}

static size_t key_of(const char *label, uint8_t *key)
{
	size_t l = strlen(label);

	key[0] = (uint8_t)l;
	memcpy(key + 1, label, l);
	memcpy(key + 1 + l, "\7example\0\0\1\0", 12);
	return l + 13;
}

static void put(struct fwd_cache *c, const char *label, uint32_t msg_ttl, uint32_t ttl, time_t now)
{
	uint8_t msg[512], key[300];
	struct dnsmsg m;
	size_t len = reply(label, msg_ttl, msg, &m), klen = key_of(label, key);

	fwd_cache_put(c, key, klen, msg, len, &m, ttl, now);
}

/* The TTL of the one answer record, or -1 when the key is not served. */
static long get_ttl(struct fwd_cache *c, const char *label, time_t now, uint32_t stale_for,
                    uint32_t override)
{
	static uint8_t out[DNS_MAX_MSG];
	uint8_t key[300];
	size_t len = fwd_cache_get(c, key, key_of(label, key), now, stale_for, override, out, NULL);

	if (!len)
		return -1;
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 0);
	assert_true(dns_flags(out) & DNS_FLAG_AA);
	return (long)wire_u32(out + len - 10);
}

static void test_ttls_and_staleness(void **state)
{
	struct fwd_cache *c = fwd_cache_new(16);
	(void)state;

	assert_non_null(c);
	put(c, "a", 300, 100, 1000); /* the record's 300 capped at the entry's 100 */
	assert_int_equal(get_ttl(c, "a", 1000, 0, 0), 100);
	assert_int_equal(get_ttl(c, "a", 1040, 0, 0), 60);
	assert_int_equal(get_ttl(c, "a", 1099, 0, 0), 1);
	assert_int_equal(get_ttl(c, "a", 1100, 0, 0), -1);    /* expired */
	assert_int_equal(get_ttl(c, "a", 1100, 50, 30), 30);  /* stale, TTL 30 */
	assert_int_equal(get_ttl(c, "a", 1150, 50, 30), 30);
	assert_int_equal(get_ttl(c, "a", 1151, 50, 30), -1);  /* past the stale window */
	assert_int_equal(get_ttl(c, "b", 1000, 50, 0), -1);
	put(c, "a", 20, 20, 2000);                            /* replaced */
	assert_int_equal(get_ttl(c, "a", 2005, 0, 0), 15);
	assert_int_equal(fwd_cache_count(c), 1);
	put(c, "z", 20, 0, 2000);                             /* TTL 0: not stored */
	assert_int_equal(get_ttl(c, "z", 2000, 0, 0), -1);
	fwd_cache_free(c);

	c = fwd_cache_new(0); /* --cache-size 0 */
	assert_non_null(c);
	put(c, "a", 300, 300, 1000);
	assert_int_equal(get_ttl(c, "a", 1000, 0, 0), -1);
	assert_int_equal(fwd_cache_count(c), 0);
	fwd_cache_free(c);
}

/* Prefetch: the first hit in the last tenth of a TTL of 10 s or more
   says so, once; a replaced entry may say so again. */
static bool refresh_at(struct fwd_cache *c, const char *label, time_t now)
{
	static uint8_t out[DNS_MAX_MSG];
	uint8_t key[300];
	bool refresh = false;

	assert_true(fwd_cache_get(c, key, key_of(label, key), now, 0, 0, out, &refresh) > 0);
	return refresh;
}

static void test_refresh(void **state)
{
	struct fwd_cache *c = fwd_cache_new(16);
	(void)state;

	assert_non_null(c);
	put(c, "a", 100, 100, 1000);
	assert_false(refresh_at(c, "a", 1000));
	assert_false(refresh_at(c, "a", 1089)); /* 11 s left of 100 */
	assert_true(refresh_at(c, "a", 1090));  /* the last tenth */
	assert_false(refresh_at(c, "a", 1091)); /* once */
	put(c, "a", 100, 100, 1092);            /* refreshed */
	assert_false(refresh_at(c, "a", 1093));
	assert_true(refresh_at(c, "a", 1183));
	put(c, "b", 9, 9, 1000);                /* under 10 s: never */
	assert_false(refresh_at(c, "b", 1008));
	fwd_cache_free(c);
}

/* Full at 8: a new name takes the place of one not asked since the hand
   last passed; names asked in between stay. */
static void test_clock(void **state)
{
	struct fwd_cache *c = fwd_cache_new(8);
	char name[16];
	int i, round;
	(void)state;

	assert_non_null(c);
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		put(c, name, 300, 300, 1000);
	}
	assert_int_equal(fwd_cache_count(c), 8);
	for (round = 0; round < 5; round++) {
		/* n0 and n1 are popular */
		assert_int_equal(get_ttl(c, "n0", 1000, 0, 0), 300);
		assert_int_equal(get_ttl(c, "n1", 1000, 0, 0), 300);
		for (i = 0; i < 3; i++) {
			snprintf(name, sizeof(name), "new%d-%d", round, i);
			put(c, name, 300, 300, 1000);
		}
	}
	assert_int_equal(fwd_cache_count(c), 8);
	assert_int_equal(fwd_cache_evictions(c), 15);
	assert_int_equal(get_ttl(c, "n0", 1000, 0, 0), 300);
	assert_int_equal(get_ttl(c, "n1", 1000, 0, 0), 300);
	assert_int_equal(get_ttl(c, "new4-2", 1000, 0, 0), 300); /* the newest */
	for (i = 2; i < 8; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		assert_int_equal(get_ttl(c, name, 1000, 0, 0), -1);
	}
	fwd_cache_free(c);
}

/* Four threads store and read 64 names in a cache of 32 at once. */
static struct fwd_cache *shared;

/* The 64 replies, made by the main thread. */
static uint8_t msgs[64][64];
static size_t lens[64];
static struct dnsmsg ms[64];

/* cmocka's assertions are for the main thread: this one reports. */
static void *hammer(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	uint8_t key[300], out[DNS_MAX_MSG];
	char name[16];
	int i;

	thread_rcu_register();
	for (i = 0; i < 20000; i++) {
		unsigned n;
		size_t klen, len;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % 64;
		snprintf(name, sizeof(name), "h%u", n);
		klen = key_of(name, key);
		if ((seed >> 8) % 4 == 0) {
			fwd_cache_put(shared, key, klen, msgs[n], lens[n], &ms[n], 300, 1000);
		} else {
			len = fwd_cache_get(shared, key, klen, 1000, 0, 0, out, NULL);
			if (len && (len != 12 + 1 + strlen(name) + 13 + 16 ||
			            wire_u32(out + len - 10) != 300 ||
			            memcmp(out + 13, name, strlen(name)) != 0))
				return (void *)1; /* torn or wrong: a race */
		}
	}
	thread_rcu_unregister();
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t th[4];
	void *res;
	int i;
	(void)state;

	shared = fwd_cache_new(32);
	assert_non_null(shared);
	for (i = 0; i < 64; i++) {
		char name[16];
		snprintf(name, sizeof(name), "h%d", i);
		lens[i] = reply(name, 300, msgs[i], &ms[i]);
	}
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer, (void *)(uintptr_t)(i + 1)), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], &res), 0);
		assert_null(res);
	}
	assert_true(fwd_cache_count(shared) <= 32);
	fwd_cache_free(shared);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ttls_and_staleness),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_refresh),
		cmocka_unit_test(test_threads),
	};
	thread_rcu_register(); /* this thread reads and writes too */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
