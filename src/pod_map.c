/* pod_map.c - pod IP -> namespace and node, lock-free for readers.
 *
 * Two open-addressing tables with linear probing, one for IPv4 keys (one
 * 32-bit word) and one for IPv6 (four); a slot is its key words then a
 * value word. Deletion shifts the following slots back (no tombstones),
 * so a slot whose key is all zeros is empty: 0.0.0.0 and :: are never a
 * pod's. Readers detect a concurrent change by the sequence count. */
#include "pod_map.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <urcu.h>

#include "bytemap.h"
#include "kube_object.h"

/* The value word: namespace number (NS_SHARED: two pods hold the
   address), node number, and the list mark (pod_map_list_begin). */
#define VAL_NS_MASK 0xFFFFu
#define NS_SHARED 0xFFFFu
#define NS_MAX 0xFFFEu
#define VAL_NODE_SHIFT 16
#define VAL_NODE_MASK 0x7FFFu
#define NODE_MAX 0x7FFFu
#define VAL_MARK 0x80000000u

#define MIN_SLOTS 64u
#define LOAD_MAX_PCT 85u  /* grow past this */
#define LOAD_NEW_PCT 70u  /* to this */
/* A reader asks again when a change overlapped its read, and spins
   briefly while one is in progress; when that keeps happening (a writer
   descheduled inside a change, or changing without pause) it takes the
   writer's lock for one read, which no change can overlap. */
#define READ_TRIES 16
#define ODD_SPINS 1024u

struct slots {
	struct rcu_head rcu;
	uint32_t cap;
	unsigned words;  /* key words: 1 (IPv4) or 4 (IPv6) */
	uint32_t *w;     /* cap * (words + 1) */
	uint16_t *tag;   /* the pod's name tag, per slot: the writer's only */
};

/* The pods behind a shared address, each with its own value and tag. */
struct sharer {
	uint32_t key[4];
	unsigned words;
	uint32_t val;
	uint16_t tag;
};

struct pod_map {
	_Atomic uint32_t seq;  /* odd while the writer changes a table */
	pthread_mutex_t lock;  /* held by the writer while seq is odd */
	struct slots *v4, *v6; /* RCU pointers */
	size_t n4, n6;
	_Atomic bool synced;
	uint32_t mark;         /* the current list's mark: 0 or VAL_MARK */
	bool listing;          /* between list_begin and list_end */
	/* namespace number -> label (length byte first), set once, never
	   freed before the map: readers may hold one. */
	uint8_t *_Atomic *ns_labels;
	struct bytemap *ns_numbers; /* name -> number + 1 */
	size_t n_ns;
	struct bytemap *node_numbers; /* name -> number + 1; number 0: no node */
	size_t n_nodes;
	_Atomic uint32_t *node_zone;  /* node number -> its zone's hash (0: none) */
	uint64_t *node_listed;        /* bit per node: put since nodes_list_begin */
	struct sharer *sharers;
	size_t n_sharers, cap_sharers;
};

static struct slots *slots_new(uint32_t cap, unsigned words)
{
	struct slots *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cap = cap;
	s->words = words;
	s->w = calloc((size_t)cap * (words + 1), sizeof(uint32_t));
	s->tag = calloc(cap, sizeof(uint16_t));
	if (!s->w || !s->tag) {
		free(s->w);
		free(s->tag);
		free(s);
		return NULL;
	}
	return s;
}

static void slots_free(struct slots *s)
{
	if (s) {
		free(s->w);
		free(s->tag);
		free(s);
	}
}

static void slots_free_rcu(struct rcu_head *head)
{
	slots_free(caa_container_of(head, struct slots, rcu));
}

struct pod_map *pod_map_new(void)
{
	struct pod_map *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	m->v4 = slots_new(MIN_SLOTS, 1);
	m->v6 = slots_new(MIN_SLOTS, 4);
	m->ns_labels = calloc(NS_MAX, sizeof(*m->ns_labels));
	m->ns_numbers = bytemap_new();
	m->node_numbers = bytemap_new();
	m->node_zone = calloc(NODE_MAX + 1, sizeof(*m->node_zone));
	m->node_listed = calloc((NODE_MAX + 64) / 64, sizeof(*m->node_listed));
	m->n_nodes = 1;
	if (!m->v4 || !m->v6 || !m->ns_labels || !m->ns_numbers || !m->node_numbers ||
	    !m->node_zone || !m->node_listed) {
		pod_map_free(m);
		return NULL;
	}
	return m;
}

void pod_map_free(struct pod_map *m)
{
	size_t i;

	if (!m)
		return;
	rcu_barrier(); /* replaced slot arrays still waiting for their grace period */
	slots_free(m->v4);
	slots_free(m->v6);
	for (i = 0; m->ns_labels && i < m->n_ns; i++)
		free(m->ns_labels[i]);
	free(m->ns_labels);
	bytemap_free(m->ns_numbers, NULL);
	bytemap_free(m->node_numbers, NULL);
	free(m->node_zone);
	free(m->node_listed);
	free(m->sharers);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* ---- hashing and probing ---- */

static uint32_t key_hash(const uint32_t *key, unsigned words)
{
	uint32_t h = 0x9E3779B9u;
	unsigned i;

	for (i = 0; i < words; i++) {
		h ^= key[i];
		h *= 0x85EBCA6Bu;
		h ^= h >> 13;
	}
	h *= 0xC2B2AE35u;
	return h ^ (h >> 16);
}

static uint32_t home_slot(const struct slots *s, const uint32_t *key)
{
	return (uint32_t)(((uint64_t)key_hash(key, s->words) * s->cap) >> 32);
}

static uint32_t *slot_at(const struct slots *s, uint32_t i)
{
	return &s->w[(size_t)i * (s->words + 1)];
}

static bool key_empty(const uint32_t *key, unsigned words)
{
	unsigned i;

	for (i = 0; i < words; i++)
		if (key[i])
			return false;
	return true;
}

/* The writer's search: the slot holding key, or the empty slot that ends
   its probe (*found false). The table is never full. */
static uint32_t find_slot(const struct slots *s, const uint32_t *key, bool *found)
{
	uint32_t i = home_slot(s, key);

	for (;;) {
		const uint32_t *sl = slot_at(s, i);
		if (key_empty(sl, s->words)) {
			*found = false;
			return i;
		}
		if (memcmp(sl, key, s->words * sizeof(uint32_t)) == 0) {
			*found = true;
			return i;
		}
		i = i + 1 == s->cap ? 0 : i + 1;
	}
}

/* ---- the writer ---- */

static void write_begin(struct pod_map *m)
{
	pthread_mutex_lock(&m->lock);
	atomic_store_explicit(&m->seq, atomic_load_explicit(&m->seq, memory_order_relaxed) + 1,
	                      memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
}

static void write_end(struct pod_map *m)
{
	atomic_store_explicit(&m->seq, atomic_load_explicit(&m->seq, memory_order_relaxed) + 1,
	                      memory_order_release);
	pthread_mutex_unlock(&m->lock);
}

static void store_word(uint32_t *w, uint32_t v)
{
	__atomic_store_n(w, v, __ATOMIC_RELAXED);
}

static void store_slot(struct slots *s, uint32_t i, const uint32_t *key, uint32_t val,
                       uint16_t tag)
{
	uint32_t *sl = slot_at(s, i);
	unsigned k;

	for (k = 0; k < s->words; k++)
		store_word(&sl[k], key[k]);
	store_word(&sl[s->words], val);
	s->tag[i] = tag;
}

/* Empties slot i and moves back the slots after it that would no longer
   be found (linear probing's deletion without tombstones). */
static void delete_slot(struct slots *s, uint32_t i)
{
	static const uint32_t zero[5];
	uint32_t j = i;

	for (;;) {
		uint32_t k;
		j = j + 1 == s->cap ? 0 : j + 1;
		if (key_empty(slot_at(s, j), s->words))
			break;
		k = home_slot(s, slot_at(s, j));
		/* j's entry may fill the hole at i unless its home lies
		   cyclically in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		store_slot(s, i, slot_at(s, j), slot_at(s, j)[s->words], s->tag[j]);
		i = j;
	}
	store_slot(s, i, zero, 0, 0);
}

static struct slots **table_of(struct pod_map *m, unsigned words, size_t **count)
{
	*count = words == 1 ? &m->n4 : &m->n6;
	return words == 1 ? &m->v4 : &m->v6;
}

/* A table with room for one more key, rebuilt larger (or smaller, by
   want) when needed and published through RCU. */
static int resize(struct pod_map *m, unsigned words, size_t want)
{
	size_t *count;
	struct slots **tp = table_of(m, words, &count);
	struct slots *old = *tp, *s;
	uint64_t cap = (uint64_t)want * 100 / LOAD_NEW_PCT + 1;
	uint32_t i;

	if (cap < MIN_SLOTS)
		cap = MIN_SLOTS;
	if (cap > UINT32_MAX / 8)
		return -1;
	if (!(s = slots_new((uint32_t)cap, words)))
		return -1;
	for (i = 0; i < old->cap; i++) {
		const uint32_t *sl = slot_at(old, i);
		bool found;
		if (!key_empty(sl, words)) {
			uint32_t j = find_slot(s, sl, &found);
			store_slot(s, j, sl, sl[words], old->tag[i]);
		}
	}
	rcu_assign_pointer(*tp, s);
	call_rcu(&old->rcu, slots_free_rcu);
	return 0;
}

static int room_for_one(struct pod_map *m, unsigned words)
{
	size_t *count;
	struct slots **tp = table_of(m, words, &count);

	if ((uint64_t)(*count + 1) * 100 <= (uint64_t)(*tp)->cap * LOAD_MAX_PCT)
		return 0;
	return resize(m, words, *count + 1);
}

static uint16_t name_tag(const char *ns, const char *name)
{
	size_t a = strlen(ns), b = strlen(name);
	char buf[512];

	if (a + b + 1 > sizeof(buf))
		return (uint16_t)(bytemap_hash(name, b) ^ bytemap_hash(ns, a));
	memcpy(buf, ns, a);
	buf[a] = '/';
	memcpy(buf + a + 1, name, b);
	return (uint16_t)bytemap_hash(buf, a + b + 1);
}

/* The number of a name in map (numbers is name -> number + 1), added
   with add when new. -1 when there is no room or memory. */
static long number_of(struct bytemap *numbers, size_t *n, size_t max, const char *name,
                      int (*add)(struct pod_map *, size_t, const char *), struct pod_map *m)
{
	size_t len = strlen(name);
	void **slot = bytemap_slot(numbers, name, len, false);

	if (slot)
		return (long)((uintptr_t)*slot - 1);
	if (*n >= max)
		return -1;
	if (add && add(m, *n, name) < 0)
		return -1;
	if (!(slot = bytemap_slot(numbers, name, len, true)))
		return -1;
	*slot = (void *)(uintptr_t)(*n + 1);
	return (long)(*n)++;
}

static int add_ns_label(struct pod_map *m, size_t number, const char *name)
{
	size_t len = strlen(name);
	uint8_t *label;

	if (len == 0 || len > 63 || !(label = malloc(len + 1)))
		return -1;
	label[0] = (uint8_t)len;
	for (size_t i = 0; i < len; i++)
		label[1 + i] = (uint8_t)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
	atomic_store_explicit(&m->ns_labels[number], label, memory_order_release);
	return 0;
}

/* key words of ip: 1 or 4 (0: not an address a pod may hold) */
static unsigned ip_key(const struct kube_ip *ip, uint32_t key[4])
{
	if (ip->family == AF_INET) {
		memcpy(key, ip->bytes, 4);
		return key[0] ? 1 : 0;
	}
	if (ip->family == AF_INET6) {
		memcpy(key, ip->bytes, 16);
		return key_empty(key, 4) ? 0 : 4;
	}
	return 0;
}

static struct sharer *find_sharer(struct pod_map *m, const uint32_t *key, unsigned words,
                                  uint16_t tag)
{
	size_t i;

	for (i = 0; i < m->n_sharers; i++) {
		struct sharer *sh = &m->sharers[i];
		if (sh->words == words && sh->tag == tag &&
		    memcmp(sh->key, key, words * sizeof(uint32_t)) == 0)
			return sh;
	}
	return NULL;
}

static int add_sharer(struct pod_map *m, const uint32_t *key, unsigned words, uint32_t val,
                      uint16_t tag)
{
	struct sharer *sh = find_sharer(m, key, words, tag);

	if (!sh) {
		if (m->n_sharers == m->cap_sharers) {
			size_t cap = m->cap_sharers ? m->cap_sharers * 2 : 8;
			struct sharer *n = realloc(m->sharers, cap * sizeof(*n));
			if (!n)
				return -1;
			m->sharers = n;
			m->cap_sharers = cap;
		}
		sh = &m->sharers[m->n_sharers++];
		memset(sh, 0, sizeof(*sh));
		memcpy(sh->key, key, words * sizeof(uint32_t));
		sh->words = words;
		sh->tag = tag;
	}
	sh->val = val;
	return 0;
}

/* How many pods share key; *last: the index of one of them. */
static size_t count_sharers(const struct pod_map *m, const uint32_t *key, unsigned words,
                            size_t *last)
{
	size_t i, n = 0;

	for (i = 0; i < m->n_sharers; i++) {
		const struct sharer *sh = &m->sharers[i];
		if (sh->words == words && memcmp(sh->key, key, words * sizeof(uint32_t)) == 0) {
			n++;
			*last = i;
		}
	}
	return n;
}

/* After a sharer left slot i: one pod left holds the address alone
   again, none frees the slot. Inside write_begin/write_end. */
static void settle_shared(struct pod_map *m, struct slots *s, uint32_t i, size_t *count)
{
	uint32_t key[4];
	size_t n, last = 0;

	memcpy(key, slot_at(s, i), s->words * sizeof(uint32_t));
	n = count_sharers(m, key, s->words, &last);
	if (n == 0) {
		delete_slot(s, i);
		(*count)--;
	} else if (n == 1) {
		store_slot(s, i, key, m->sharers[last].val, m->sharers[last].tag);
		m->sharers[last] = m->sharers[--m->n_sharers];
	}
}

static void drop_sharer(struct pod_map *m, struct sharer *sh)
{
	*sh = m->sharers[--m->n_sharers];
}

static int put_one(struct pod_map *m, const uint32_t *key, unsigned words, uint32_t val,
                   uint16_t tag)
{
	size_t *count;
	struct slots *s;
	uint32_t i, held;
	bool found;
	int rc = 0;

	if (room_for_one(m, words) < 0)
		return -1;
	s = *table_of(m, words, &count);
	i = find_slot(s, key, &found);
	write_begin(m);
	if (!found) {
		store_slot(s, i, key, val, tag);
		(*count)++;
	} else if (((held = slot_at(s, i)[words]) & VAL_NS_MASK) == NS_SHARED) {
		rc = add_sharer(m, key, words, val, tag);
	} else if (s->tag[i] == tag) {
		store_slot(s, i, key, val, tag);
	} else if ((rc = add_sharer(m, key, words, held, s->tag[i])) == 0 &&
	           (rc = add_sharer(m, key, words, val, tag)) == 0) {
		store_slot(s, i, key, NS_SHARED, 0);
	}
	write_end(m);
	return rc;
}

int pod_map_put(struct pod_map *m, const struct kube_object *pod)
{
	long ns, node = 0;
	uint32_t val;
	uint16_t tag;
	size_t i;
	int rc = 0;

	if (pod->kind != KUBE_KIND_POD)
		return 0;
	tag = name_tag(pod->ns, pod->name);
	if (pod->u.pod.host_network ||
	    (pod->u.pod.phase && (strcmp(pod->u.pod.phase, "Succeeded") == 0 ||
	                          strcmp(pod->u.pod.phase, "Failed") == 0))) {
		/* A hostNetwork pod's address is its node's, never a client's
		   own; a finished pod's may already be another's. Either may
		   have been put before. */
		pod_map_remove(m, pod);
		return 0;
	}
	if (!pod->u.pod.n_ips)
		return 0;
	ns = number_of(m->ns_numbers, &m->n_ns, NS_MAX, pod->ns, add_ns_label, m);
	if (pod->u.pod.node_name && pod->u.pod.node_name[0])
		node = number_of(m->node_numbers, &m->n_nodes, NODE_MAX, pod->u.pod.node_name,
		                 NULL, m);
	if (ns < 0 || node < 0)
		return -1;
	val = (uint32_t)ns | ((uint32_t)node << VAL_NODE_SHIFT) | m->mark;
	for (i = 0; i < pod->u.pod.n_ips; i++) {
		uint32_t key[4];
		unsigned words = ip_key(&pod->u.pod.ips[i], key);
		if (words && put_one(m, key, words, val, tag) < 0)
			rc = -1;
	}
	return rc;
}

static size_t remove_one(struct pod_map *m, const uint32_t *key, unsigned words, uint16_t tag)
{
	size_t *count;
	struct slots *s = *table_of(m, words, &count);
	struct sharer *sh;
	uint32_t i;
	bool found;

	i = find_slot(s, key, &found);
	if (!found)
		return 0;
	if ((slot_at(s, i)[words] & VAL_NS_MASK) == NS_SHARED) {
		if (!(sh = find_sharer(m, key, words, tag)))
			return 0;
		drop_sharer(m, sh);
		write_begin(m);
		settle_shared(m, s, i, count);
		write_end(m);
		return 1;
	}
	if (s->tag[i] != tag)
		return 0; /* another pod has the address now */
	write_begin(m);
	delete_slot(s, i);
	(*count)--;
	write_end(m);
	return 1;
}

size_t pod_map_remove(struct pod_map *m, const struct kube_object *pod)
{
	uint16_t tag;
	size_t i, n = 0;

	if (pod->kind != KUBE_KIND_POD)
		return 0;
	tag = name_tag(pod->ns, pod->name);
	for (i = 0; i < pod->u.pod.n_ips; i++) {
		uint32_t key[4];
		unsigned words = ip_key(&pod->u.pod.ips[i], key);
		if (words)
			n += remove_one(m, key, words, tag);
	}
	return n;
}

/* The keys of one table whose slot (or sharer) matches: collected first,
   removed after, as removal moves slots. */
struct doomed {
	uint32_t (*keys)[4];
	uint16_t *tags;
	size_t n, cap;
};

static int doom(struct doomed *d, const uint32_t *key, unsigned words, uint16_t tag)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		uint32_t(*k)[4] = realloc(d->keys, cap * sizeof(*k));
		uint16_t *t;
		if (!k)
			return -1;
		d->keys = k;
		if (!(t = realloc(d->tags, cap * sizeof(*t))))
			return -1;
		d->tags = t;
		d->cap = cap;
	}
	memset(d->keys[d->n], 0, sizeof(d->keys[d->n]));
	memcpy(d->keys[d->n], key, words * sizeof(uint32_t));
	d->tags[d->n++] = tag;
	return 0;
}

typedef bool (*match_fn)(uint32_t val, uint16_t tag, const void *ctx);

static size_t remove_matching(struct pod_map *m, unsigned words, match_fn match, const void *ctx)
{
	size_t *count;
	struct slots *s = *table_of(m, words, &count);
	struct doomed d = {0};
	size_t i, n = 0;

	for (i = 0; i < s->cap; i++) {
		const uint32_t *sl = slot_at(s, (uint32_t)i);
		if (key_empty(sl, words) || (sl[words] & VAL_NS_MASK) == NS_SHARED)
			continue;
		if (match(sl[words], s->tag[i], ctx))
			doom(&d, sl, words, s->tag[i]);
	}
	for (i = 0; i < m->n_sharers; i++)
		if (m->sharers[i].words == words && match(m->sharers[i].val, m->sharers[i].tag, ctx))
			doom(&d, m->sharers[i].key, words, m->sharers[i].tag);
	for (i = 0; i < d.n; i++)
		n += remove_one(m, d.keys[i], words, d.tags[i]);
	free(d.keys);
	free(d.tags);
	return n;
}

uint32_t pod_map_zone_id(const char *zone, size_t len)
{
	return bytemap_hash(zone, len) | 1; /* never 0 */
}

int pod_map_put_node(struct pod_map *m, const char *name, const char *zone)
{
	long node = number_of(m->node_numbers, &m->n_nodes, NODE_MAX, name, NULL, m);
	uint32_t hash = 0;

	if (node < 0)
		return -1;
	if (zone && zone[0])
		hash = pod_map_zone_id(zone, strlen(zone));
	atomic_store_explicit(&m->node_zone[node], hash, memory_order_relaxed);
	m->node_listed[node / 64] |= (uint64_t)1 << (node % 64);
	return 0;
}

void pod_map_nodes_list_begin(struct pod_map *m)
{
	memset(m->node_listed, 0, (NODE_MAX + 64) / 64 * sizeof(*m->node_listed));
}

size_t pod_map_nodes_list_end(struct pod_map *m)
{
	size_t node, gone = 0;

	for (node = 1; node < m->n_nodes; node++)
		if (!(m->node_listed[node / 64] >> (node % 64) & 1) &&
		    atomic_load_explicit(&m->node_zone[node], memory_order_relaxed)) {
			atomic_store_explicit(&m->node_zone[node], 0, memory_order_relaxed);
			gone++;
		}
	return gone;
}

void pod_map_list_begin(struct pod_map *m)
{
	/* A list that broke off and starts again keeps its mark: what it
	   put is current, the rest still is not. */
	if (!m->listing)
		m->mark ^= VAL_MARK;
	m->listing = true;
}

static bool is_unmarked(uint32_t val, uint16_t tag, const void *ctx)
{
	(void)tag;
	return (val & VAL_MARK) != *(const uint32_t *)ctx;
}

size_t pod_map_list_end(struct pod_map *m)
{
	size_t n = remove_matching(m, 1, is_unmarked, &m->mark) +
	           remove_matching(m, 4, is_unmarked, &m->mark);

	m->listing = false;
	/* a list that shrank the cluster a lot: give the memory back */
	if (m->v4->cap > MIN_SLOTS && (uint64_t)m->n4 * 100 < (uint64_t)m->v4->cap * 25)
		resize(m, 1, m->n4);
	if (m->v6->cap > MIN_SLOTS && (uint64_t)m->n6 * 100 < (uint64_t)m->v6->cap * 25)
		resize(m, 4, m->n6);
	return n;
}

void pod_map_set_synced(struct pod_map *m)
{
	atomic_store_explicit(&m->synced, true, memory_order_release);
}

size_t pod_map_count(const struct pod_map *m)
{
	return m->n4 + m->n6;
}

size_t pod_map_bytes(const struct pod_map *m)
{
	return (size_t)m->v4->cap * (2 * sizeof(uint32_t) + sizeof(uint16_t)) +
	       (size_t)m->v6->cap * (5 * sizeof(uint32_t) + sizeof(uint16_t));
}

/* ---- readers ---- */

/* One probe for key in s; *value when found. */
static bool probe(const struct slots *s, const uint32_t *key, unsigned words, uint32_t *value)
{
	uint32_t i = home_slot(s, key), probes;

	for (probes = 0; probes < s->cap; probes++) {
		const uint32_t *sl = slot_at(s, i);
		uint32_t k[4];
		unsigned w;
		for (w = 0; w < words; w++)
			k[w] = __atomic_load_n(&sl[w], __ATOMIC_RELAXED);
		if (key_empty(k, words))
			return false;
		if (memcmp(k, key, words * sizeof(uint32_t)) == 0) {
			*value = __atomic_load_n(&sl[words], __ATOMIC_RELAXED);
			return true;
		}
		i = i + 1 == s->cap ? 0 : i + 1;
	}
	return false;
}

/* The value word of key: without a lock, unless changes keep getting in
   the way (see READ_TRIES). */
static bool read_value(const struct pod_map *m, const uint32_t *key, unsigned words,
                       uint32_t *value)
{
	struct pod_map *mm = (struct pod_map *)m; /* its atomics and lock only */
	uint32_t val = 0;
	bool hit;
	int tries;

	if (key_empty(key, words))
		return false;
	for (tries = 0; tries < READ_TRIES; tries++) {
		uint32_t seq = atomic_load_explicit(&mm->seq, memory_order_acquire), spins = 0;

		while ((seq & 1) && ++spins < ODD_SPINS) {
			caa_cpu_relax();
			seq = atomic_load_explicit(&mm->seq, memory_order_acquire);
		}
		if (seq & 1)
			continue;
		hit = probe(words == 1 ? rcu_dereference(mm->v4) : rcu_dereference(mm->v6), key,
		            words, &val);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&mm->seq, memory_order_relaxed) == seq)
			goto done;
	}
	pthread_mutex_lock(&mm->lock);
	hit = probe(words == 1 ? rcu_dereference(mm->v4) : rcu_dereference(mm->v6), key, words,
	            &val);
	pthread_mutex_unlock(&mm->lock);
done:
	if (!hit || (val & VAL_NS_MASK) == NS_SHARED)
		return false;
	*value = val;
	return true;
}

static uint32_t zone_of_node(const struct pod_map *m, uint32_t val)
{
	uint32_t node = (val >> VAL_NODE_SHIFT) & VAL_NODE_MASK;

	return atomic_load_explicit(&((struct pod_map *)m)->node_zone[node], memory_order_relaxed);
}

bool pod_map_lookup(const struct pod_map *m, const struct sockaddr *addr,
                    struct pod_client *out)
{
	static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
	uint32_t key[4], val;
	unsigned words;

	if (!m || !atomic_load_explicit(&((struct pod_map *)m)->synced, memory_order_acquire))
		return false;
	if (addr->sa_family == AF_INET) {
		memcpy(key, &((const struct sockaddr_in *)(const void *)addr)->sin_addr, 4);
		words = 1;
	} else if (addr->sa_family == AF_INET6) {
		const uint8_t *b =
			((const struct sockaddr_in6 *)(const void *)addr)->sin6_addr.s6_addr;
		if (memcmp(b, v4_mapped, 12) == 0) {
			memcpy(key, b + 12, 4);
			words = 1;
		} else {
			memcpy(key, b, 16);
			words = 4;
		}
	} else {
		return false;
	}
	if (!read_value(m, key, words, &val))
		return false;
	out->ns_label = atomic_load_explicit(&((struct pod_map *)m)->ns_labels[val & VAL_NS_MASK],
	                                     memory_order_acquire);
	out->node = (uint16_t)((val >> VAL_NODE_SHIFT) & VAL_NODE_MASK);
	out->zone = zone_of_node(m, val);
	return out->ns_label != NULL;
}

bool pod_map_zone_of(const struct pod_map *m, const uint8_t *addr, size_t len,
                     uint32_t *zone)
{
	uint32_t key[4], val;

	if (!m || (len != 4 && len != 16))
		return false;
	memcpy(key, addr, len);
	if (!read_value(m, key, (unsigned)(len / 4), &val))
		return false;
	*zone = zone_of_node(m, val);
	return true;
}
