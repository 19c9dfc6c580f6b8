/* test_bytemap.c - the byte-string hash map against a plain array model:
 * random inserts, lookups and removals (the index's backward shift and the
 * dense entries' swap-with-last), key arena compaction under churn,
 * foreach, clear, and the key length limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <malloc.h>
#include <string.h>

#include <cmocka.h>

#include "bytemap.h"

#define MODEL_MAX 6000

struct model {
	char keys[MODEL_MAX][40];
	size_t lens[MODEL_MAX];
	bool present[MODEL_MAX];
};

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Key i: varied lengths (0..39 bytes), binary bytes included. */
static size_t make_key(size_t i, char *out)
{
	size_t len = (i * 7) % 40, j;

	for (j = 0; j < len; j++)
		out[j] = (char)((i >> (j % 3 * 8)) + j * 31);
	if (len >= 2) {
		out[0] = (char)i;
		out[1] = (char)(i >> 8);
	}
	return len;
}

static void check_all(struct bytemap *m, const struct model *md, size_t n)
{
	size_t i, count = 0;

	for (i = 0; i < n; i++) {
		void **slot = bytemap_slot(m, md->keys[i], md->lens[i], false);
		if (md->present[i]) {
			assert_non_null(slot);
			assert_ptr_equal(*slot, (void *)(uintptr_t)(i + 1));
			count++;
		} else if (md->lens[i] >= 2) {
			assert_null(slot); /* shorter keys are never inserted */
		}
	}
	assert_int_equal(bytemap_count(m), count);
}

static int count_visit(void *ctx, const void *key, size_t len, void *value)
{
	size_t *seen = ctx, i = (uintptr_t)value - 1;
	char buf[40];

	assert_int_equal(make_key(i, buf), len);
	assert_memory_equal(buf, key, len);
	(*seen)++;
	return 0;
}

static int stop_at_second(void *ctx, const void *key, size_t len, void *value)
{
	int *calls = ctx;
	(void)key;
	(void)len;
	(void)value;
	return ++*calls == 2 ? 42 : 0;
}

static void test_model(void **state)
{
	static struct model md;
	struct bytemap *m = bytemap_new();
	size_t n = MODEL_MAX, i, round, seen;
	int calls = 0;

	(void)state;
	assert_non_null(m);
	memset(&md, 0, sizeof(md));
	for (i = 0; i < n; i++)
		md.lens[i] = make_key(i, md.keys[i]);
	/* Only keys of length >= 2 are distinct (they carry i). */
	for (round = 0; round < 20; round++) {
		for (i = 0; i < 4000; i++) {
			size_t k = rng() % n;
			if (md.lens[k] < 2)
				continue;
			if (rng() % 3 == 0) {
				void *v = bytemap_remove(m, md.keys[k], md.lens[k]);
				assert_ptr_equal(v, md.present[k] ? (void *)(uintptr_t)(k + 1)
				                                   : NULL);
				md.present[k] = false;
			} else {
				void **slot = bytemap_slot(m, md.keys[k], md.lens[k], true);
				assert_non_null(slot);
				if (md.present[k])
					assert_ptr_equal(*slot, (void *)(uintptr_t)(k + 1));
				else
					assert_null(*slot);
				*slot = (void *)(uintptr_t)(k + 1);
				md.present[k] = true;
			}
		}
		check_all(m, &md, n);
		seen = 0;
		assert_int_equal(bytemap_foreach(m, count_visit, &seen), 0);
		assert_int_equal(seen, bytemap_count(m));
	}
	assert_int_equal(bytemap_foreach(m, stop_at_second, &calls), 42);
	assert_int_equal(calls, 2);
	/* Remove everything, one by one. */
	for (i = 0; i < n; i++)
		if (md.present[i]) {
			assert_non_null(bytemap_remove(m, md.keys[i], md.lens[i]));
			md.present[i] = false;
		}
	assert_int_equal(bytemap_count(m), 0);
	check_all(m, &md, n);
	bytemap_free(m, NULL);
}

static void test_empty_and_long_keys(void **state)
{
	struct bytemap *m = bytemap_new();
	static char big[70000];
	void **slot;

	(void)state;
	assert_non_null(m);
	slot = bytemap_slot(m, "", 0, true);
	assert_non_null(slot);
	*slot = m;
	assert_ptr_equal(*bytemap_slot(m, "x", 0, false), m);
	assert_null(bytemap_slot(m, "x", 1, false));
	memset(big, 'a', sizeof(big));
	slot = bytemap_slot(m, big, 65535, true);
	assert_non_null(slot);
	*slot = big;
	assert_null(bytemap_slot(m, big, 65536, true)); /* over the limit */
	assert_ptr_equal(*bytemap_slot(m, big, 65535, false), big);
	assert_int_equal(bytemap_count(m), 2);
	assert_ptr_equal(bytemap_remove(m, "", 0), m);
	assert_null(bytemap_remove(m, "", 0));
	assert_int_equal(bytemap_count(m), 1);
	bytemap_free(m, NULL);
}

static int freed;
static void count_free(void *v)
{
	free(v);
	freed++;
}

/* Heap bytes in use, big (mmap'd) blocks included. */
static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* Churn on a few live keys: the arena is compacted instead of growing,
   and every key still reads back. */
static void test_churn_and_clear(void **state)
{
	struct bytemap *m = bytemap_new();
	char key[32];
	size_t i, len;

	size_t heap_before;

	(void)state;
	assert_non_null(m);
	heap_before = heap_in_use();
	for (i = 0; i < 200000; i++) {
		void **slot;
		len = (size_t)snprintf(key, sizeof(key), "ns-%zu/svc-%zu", i % 7, i);
		slot = bytemap_slot(m, key, len, true);
		assert_non_null(slot);
		*slot = malloc(1);
		if (i >= 5) {
			len = (size_t)snprintf(key, sizeof(key), "ns-%zu/svc-%zu",
			                       (i - 5) % 7, i - 5);
			free(bytemap_remove(m, key, len));
		}
	}
	assert_int_equal(bytemap_count(m), 5);
	/* Without compaction the arena would hold all 200,000 keys (~3.4 MB);
	   the 5 live keys and their values need a few hundred bytes. (Under
	   AddressSanitizer mallinfo2 reads 0 and this check is moot.) */
	assert_true(heap_in_use() < heap_before + 64 * 1024);
	for (i = 200000 - 5; i < 200000; i++) {
		len = (size_t)snprintf(key, sizeof(key), "ns-%zu/svc-%zu", i % 7, i);
		assert_non_null(bytemap_slot(m, key, len, false));
	}
	freed = 0;
	bytemap_clear(m, count_free);
	assert_int_equal(freed, 5);
	assert_int_equal(bytemap_count(m), 0);
	/* A big map cleared, then reused. */
	for (i = 0; i < 10000; i++) {
		len = (size_t)snprintf(key, sizeof(key), "k%zu", i);
		*bytemap_slot(m, key, len, true) = malloc(1);
	}
	freed = 0;
	bytemap_clear(m, count_free);
	assert_int_equal(freed, 10000);
	assert_null(bytemap_slot(m, "k1", 2, false));
	*bytemap_slot(m, "k1", 2, true) = malloc(1);
	assert_int_equal(bytemap_count(m), 1);
	freed = 0;
	bytemap_free(m, count_free);
	assert_int_equal(freed, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_empty_and_long_keys),
		cmocka_unit_test(test_churn_and_clear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
