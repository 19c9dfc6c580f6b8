/* bytemap.c - open-addressing hash map keyed by byte strings. */
#include "bytemap.h"

#include <stdlib.h>
#include <string.h>

struct bytemap_entry {
	uint8_t *key; /* NULL: empty slot */
	uint32_t len;
	uint32_t hash;
	void *value;
};

struct bytemap {
	struct bytemap_entry *slots;
	size_t mask; /* capacity - 1, capacity a power of two */
	size_t count;
};

static int grow(struct bytemap *m);
static size_t find(const struct bytemap *m, const void *key, size_t len,
                   uint32_t hash, bool *found);

uint32_t bytemap_hash(const void *key, size_t len)
{
	/* Eight bytes per step (names are 20-60 bytes; a byte-wise hash was
	   a tenth of a query's instructions), then a full avalanche. */
	const uint8_t *p = key;
	uint64_t h = 0x9E3779B97F4A7C15ull ^ ((uint64_t)len * 0xC2B2AE3D27D4EB4Full);
	uint64_t k;

	while (len >= 8) {
		memcpy(&k, p, 8);
		k *= 0x87C37B91114253D5ull;
		k ^= k >> 31;
		h = (h ^ k) * 0x4CF5AD432745937Full;
		p += 8;
		len -= 8;
	}
	if (len) {
		k = 0;
		memcpy(&k, p, len);
		k *= 0x87C37B91114253D5ull;
		k ^= k >> 31;
		h = (h ^ k) * 0x4CF5AD432745937Full;
	}
	h ^= h >> 33;
	h *= 0xFF51AFD7ED558CCDull;
	h ^= h >> 33;
	return (uint32_t)h ^ (uint32_t)(h >> 32);
}

struct bytemap *bytemap_new(void)
{
	struct bytemap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->slots = calloc(16, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return NULL;
	}
	m->mask = 15;
	return m;
}

/* Frees every key (and value) and empties the slots. */
static void drop_entries(struct bytemap *m, void (*free_value)(void *))
{
	size_t i;

	for (i = 0; i <= m->mask && m->count; i++) {
		if (!m->slots[i].key)
			continue;
		free(m->slots[i].key);
		if (free_value)
			free_value(m->slots[i].value);
		m->slots[i].key = NULL;
		m->count--;
	}
}

void bytemap_free(struct bytemap *m, void (*free_value)(void *))
{
	if (!m)
		return;
	drop_entries(m, free_value);
	free(m->slots);
	free(m);
}

void bytemap_clear(struct bytemap *m, void (*free_value)(void *))
{
	if (m->count == 0)
		return;
	drop_entries(m, free_value);
	/* A map that once held many keys goes back to a small table: a later
	   clear or foreach would otherwise walk the big one for a few keys,
	   and its memory would stay taken. */
	if (m->mask + 1 > 64) {
		struct bytemap_entry *small = calloc(16, sizeof(*small));
		if (small) {
			free(m->slots);
			m->slots = small;
			m->mask = 15;
		}
	}
}

void **bytemap_slot(struct bytemap *m, const void *key, size_t len, bool create)
{
	uint32_t hash = bytemap_hash(key, len);
	bool found;
	size_t i = find(m, key, len, hash, &found);
	struct bytemap_entry *e;

	if (found)
		return &m->slots[i].value;
	if (!create)
		return NULL;
	if ((m->count + 1) * 4 > (m->mask + 1) * 3) {
		if (grow(m) < 0)
			return NULL;
		i = find(m, key, len, hash, &found);
	}
	e = &m->slots[i];
	e->key = malloc(len ? len : 1);
	if (!e->key)
		return NULL;
	memcpy(e->key, key, len);
	e->len = (uint32_t)len;
	e->hash = hash;
	e->value = NULL;
	m->count++;
	return &e->value;
}

void *bytemap_remove(struct bytemap *m, const void *key, size_t len)
{
	bool found;
	size_t i = find(m, key, len, bytemap_hash(key, len), &found);
	size_t j;
	void *value;

	if (!found)
		return NULL;
	value = m->slots[i].value;
	free(m->slots[i].key);
	m->slots[i].key = NULL;
	m->count--;
	/* Backward shift: move later members of the probe run into the hole
	   when their home slot is at or before it. */
	j = i;
	for (;;) {
		size_t home;

		j = (j + 1) & m->mask;
		if (!m->slots[j].key)
			break;
		home = m->slots[j].hash & m->mask;
		if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
			m->slots[i] = m->slots[j];
			m->slots[j].key = NULL;
			i = j;
		}
	}
	return value;
}

size_t bytemap_count(const struct bytemap *m)
{
	return m->count;
}

int bytemap_foreach(const struct bytemap *m,
                    int (*fn)(void *ctx, const void *key, size_t len, void *value),
                    void *ctx)
{
	size_t i;
	int rc;

	for (i = 0; i <= m->mask; i++) {
		if (!m->slots[i].key)
			continue;
		rc = fn(ctx, m->slots[i].key, m->slots[i].len, m->slots[i].value);
		if (rc)
			return rc;
	}
	return 0;
}

static size_t find(const struct bytemap *m, const void *key, size_t len,
                   uint32_t hash, bool *found)
{
	size_t i = hash & m->mask;

	for (;;) {
		const struct bytemap_entry *e = &m->slots[i];

		if (!e->key) {
			*found = false;
			return i;
		}
		if (e->hash == hash && e->len == len && memcmp(e->key, key, len) == 0) {
			*found = true;
			return i;
		}
		i = (i + 1) & m->mask;
	}
}

static int grow(struct bytemap *m)
{
	size_t cap = (m->mask + 1) * 2;
	struct bytemap_entry *slots = calloc(cap, sizeof(*slots));
	size_t i;

	if (!slots)
		return -1;
	for (i = 0; i <= m->mask; i++) {
		struct bytemap_entry *e = &m->slots[i];
		size_t j;

		if (!e->key)
			continue;
		j = e->hash & (cap - 1);
		while (slots[j].key)
			j = (j + 1) & (cap - 1);
		slots[j] = *e;
	}
	free(m->slots);
	m->slots = slots;
	m->mask = cap - 1;
	return 0;
}
