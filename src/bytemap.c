/* bytemap.c - hash map keyed by byte strings, laid out for memory: an
 * index of 4-byte slots (open addressing, linear probing, backward-shift
 * deletion) pointing into a dense array of 16-byte entries, and the keys
 * packed one after another in a single arena. At 100k keys that is about
 * half of a slot array of full entries plus one malloc'd copy per key,
 * and no allocation per insertion. */
#include "bytemap.h"

#include <stdlib.h>
#include <string.h>

#define MIN_SLOTS 16
#define KEY_MAX 0xFFFF /* the arena stores lengths in two bytes */

struct bytemap_entry {
	void *value;
	uint32_t hash;
	uint32_t key_off; /* into the arena: 2-byte length, then the key */
};

struct bytemap {
	uint32_t *index; /* slot -> entry number + 1; 0 = empty */
	size_t mask;     /* slots - 1, slots a power of two */
	struct bytemap_entry *entries;
	size_t count, cap;
	uint8_t *keys; /* arena */
	size_t keys_len, keys_cap;
	size_t keys_dead; /* arena bytes of removed keys, reclaimed by compaction */
};

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

static inline size_t key_len_at(const struct bytemap *m, uint32_t off)
{
	return (size_t)m->keys[off] | (size_t)m->keys[off + 1] << 8;
}

static inline const uint8_t *key_at(const struct bytemap *m, uint32_t off)
{
	return m->keys + off + 2;
}

struct bytemap *bytemap_new(void)
{
	struct bytemap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->index = calloc(MIN_SLOTS, sizeof(*m->index));
	if (!m->index) {
		free(m);
		return NULL;
	}
	m->mask = MIN_SLOTS - 1;
	return m;
}

static void drop_values(struct bytemap *m, void (*free_value)(void *))
{
	size_t i;

	if (free_value)
		for (i = 0; i < m->count; i++)
			free_value(m->entries[i].value);
}

void bytemap_free(struct bytemap *m, void (*free_value)(void *))
{
	if (!m)
		return;
	drop_values(m, free_value);
	free(m->index);
	free(m->entries);
	free(m->keys);
	free(m);
}

void bytemap_clear(struct bytemap *m, void (*free_value)(void *))
{
	if (m->count == 0 && m->keys_len == 0)
		return;
	drop_values(m, free_value);
	m->count = 0;
	m->keys_len = 0;
	m->keys_dead = 0;
	/* A map that once held many keys goes back to a small one: a later
	   clear or foreach would otherwise walk the big one for a few keys,
	   and its memory would stay taken. */
	if (m->mask + 1 > 4 * MIN_SLOTS) {
		uint32_t *small = calloc(MIN_SLOTS, sizeof(*small));
		if (small) {
			free(m->index);
			m->index = small;
			m->mask = MIN_SLOTS - 1;
			free(m->entries);
			m->entries = NULL;
			m->cap = 0;
			free(m->keys);
			m->keys = NULL;
			m->keys_cap = 0;
			return;
		}
	}
	memset(m->index, 0, (m->mask + 1) * sizeof(*m->index));
}

/* The slot holding key, or (found false) the empty slot where it goes. */
static size_t find(const struct bytemap *m, const void *key, size_t len,
                   uint32_t hash, bool *found)
{
	size_t i = hash & m->mask;

	for (;;) {
		uint32_t e = m->index[i];
		const struct bytemap_entry *ent;

		if (e == 0) {
			*found = false;
			return i;
		}
		ent = &m->entries[e - 1];
		if (ent->hash == hash && key_len_at(m, ent->key_off) == len &&
		    memcmp(key_at(m, ent->key_off), key, len) == 0) {
			*found = true;
			return i;
		}
		i = (i + 1) & m->mask;
	}
}

/* The slot that points at entry number e (which is in the map). */
static size_t slot_of_entry(const struct bytemap *m, size_t e)
{
	size_t i = m->entries[e].hash & m->mask;

	while (m->index[i] != e + 1)
		i = (i + 1) & m->mask;
	return i;
}

static int grow_index(struct bytemap *m)
{
	size_t slots = (m->mask + 1) * 2, e;
	uint32_t *index = calloc(slots, sizeof(*index));

	if (!index)
		return -1;
	for (e = 0; e < m->count; e++) {
		size_t j = m->entries[e].hash & (slots - 1);
		while (index[j])
			j = (j + 1) & (slots - 1);
		index[j] = (uint32_t)(e + 1);
	}
	free(m->index);
	m->index = index;
	m->mask = slots - 1;
	return 0;
}

/* Grows by half (not double): at 100k keys a doubling would leave up to
   half of each array unused for good. */
static size_t next_cap(size_t cap, size_t need, size_t min)
{
	size_t n = cap < min ? min : cap + cap / 2;

	return n < need ? need : n;
}

static int reserve_entry(struct bytemap *m)
{
	struct bytemap_entry *entries;
	size_t cap;

	if (m->count < m->cap)
		return 0;
	if (m->count >= UINT32_MAX - 1)
		return -1;
	cap = next_cap(m->cap, m->count + 1, 8);
	entries = realloc(m->entries, cap * sizeof(*entries));
	if (!entries)
		return -1;
	m->entries = entries;
	m->cap = cap;
	return 0;
}

/* Rewrites the arena without the keys of removed entries. */
static int compact_keys(struct bytemap *m)
{
	size_t live = m->keys_len - m->keys_dead, at = 0, e;
	uint8_t *keys = malloc(live ? live : 1);

	if (!keys)
		return -1;
	for (e = 0; e < m->count; e++) {
		size_t n = 2 + key_len_at(m, m->entries[e].key_off);
		memcpy(keys + at, m->keys + m->entries[e].key_off, n);
		m->entries[e].key_off = (uint32_t)at;
		at += n;
	}
	free(m->keys);
	m->keys = keys;
	m->keys_len = at;
	m->keys_cap = live ? live : 1;
	m->keys_dead = 0;
	return 0;
}

static int reserve_key(struct bytemap *m, size_t len)
{
	size_t need = m->keys_len + 2 + len, cap;
	uint8_t *keys;

	if (need <= m->keys_cap)
		return 0;
	/* Removed keys first: a map with churn reuses its arena instead of
	   growing it. */
	if (m->keys_dead > m->keys_len / 2 && compact_keys(m) == 0 &&
	    m->keys_len + 2 + len <= m->keys_cap)
		return 0;
	need = m->keys_len + 2 + len;
	if (need > UINT32_MAX)
		return -1;
	cap = next_cap(m->keys_cap, need, 256);
	if (cap > UINT32_MAX)
		cap = UINT32_MAX;
	keys = realloc(m->keys, cap);
	if (!keys)
		return -1;
	m->keys = keys;
	m->keys_cap = cap;
	return 0;
}

void **bytemap_slot(struct bytemap *m, const void *key, size_t len, bool create)
{
	uint32_t hash = bytemap_hash(key, len);
	bool found;
	size_t i = find(m, key, len, hash, &found);
	struct bytemap_entry *ent;

	if (found)
		return &m->entries[m->index[i] - 1].value;
	if (!create || len > KEY_MAX)
		return NULL;
	if (reserve_entry(m) < 0 || reserve_key(m, len) < 0)
		return NULL;
	if ((m->count + 1) * 4 > (m->mask + 1) * 3) {
		if (grow_index(m) < 0)
			return NULL;
		i = find(m, key, len, hash, &found);
	}
	ent = &m->entries[m->count];
	ent->value = NULL;
	ent->hash = hash;
	ent->key_off = (uint32_t)m->keys_len;
	m->keys[m->keys_len] = (uint8_t)len;
	m->keys[m->keys_len + 1] = (uint8_t)(len >> 8);
	if (len)
		memcpy(m->keys + m->keys_len + 2, key, len);
	m->keys_len += 2 + len;
	m->index[i] = (uint32_t)(++m->count);
	return &ent->value;
}

void *bytemap_get(const struct bytemap *m, const void *key, size_t len)
{
	bool found;
	size_t i = find(m, key, len, bytemap_hash(key, len), &found);

	return found ? m->entries[m->index[i] - 1].value : NULL;
}

void *bytemap_remove(struct bytemap *m, const void *key, size_t len)
{
	bool found;
	size_t i = find(m, key, len, bytemap_hash(key, len), &found);
	size_t j, e, last;
	void *value;

	if (!found)
		return NULL;
	e = m->index[i] - 1;
	value = m->entries[e].value;
	m->keys_dead += 2 + len;
	m->index[i] = 0;
	/* Backward shift: move later members of the probe run into the hole
	   when their home slot is at or before it. */
	j = i;
	for (;;) {
		size_t home;

		j = (j + 1) & m->mask;
		if (!m->index[j])
			break;
		home = m->entries[m->index[j] - 1].hash & m->mask;
		if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
			m->index[i] = m->index[j];
			m->index[j] = 0;
			i = j;
		}
	}
	/* The last entry fills the hole, so entries stay dense. */
	last = m->count - 1;
	if (e != last) {
		m->index[slot_of_entry(m, last)] = (uint32_t)(e + 1);
		m->entries[e] = m->entries[last];
	}
	m->count--;
	if (m->count == 0) {
		m->keys_len = 0;
		m->keys_dead = 0;
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
	size_t e;
	int rc;

	for (e = 0; e < m->count; e++) {
		const struct bytemap_entry *ent = &m->entries[e];
		rc = fn(ctx, key_at(m, ent->key_off), key_len_at(m, ent->key_off),
		        ent->value);
		if (rc)
			return rc;
	}
	return 0;
}
