/* fwd_cache.c - the shared cache of forwarded answers (fwd_cache.h). */
#include "fwd_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <urcu.h>
#include <urcu/rculfhash.h>

#include "bytemap.h"
#include "dns.h"
#include "dnsmsg.h"
#include "rcu_thread.h"
#include "wire.h"

/* One reply. Immutable once in the table but for the CLOCK bit. */
struct entry {
	struct cds_lfht_node node;
	struct rcu_head rcu;
	time_t stored, expires;
	uint32_t ring_slot;
	uint32_t len;      /* of the reply */
	uint16_t key_len;
	uint16_t n_ttls;
	uint8_t hit;       /* asked since the CLOCK hand last passed */
	uint8_t refreshing; /* a prefetch of it was started */
	uint8_t denial;    /* fwd_cache_is_denial */
	/* ttls[n_ttls] (uint32_t, capped), ttl_at[n_ttls] (uint16_t), key,
	   then the reply; aligned for the TTLs */
	_Alignas(uint32_t) uint8_t data[];
};

struct fwd_cache {
	struct cds_lfht *ht;
	pthread_mutex_t lock;   /* stores: the ring, its hand, used */
	struct entry **ring;    /* max slots; the first used are taken */
	size_t max, used, hand;
	size_t denials;         /* of the used */
	uint64_t evictions;
};

static uint32_t *entry_ttls(struct entry *e)
{
	return (uint32_t *)(void *)e->data;
}

static uint16_t *entry_ttl_at(struct entry *e)
{
	return (uint16_t *)(void *)(e->data + e->n_ttls * sizeof(uint32_t));
}

static uint8_t *entry_key(struct entry *e)
{
	return e->data + e->n_ttls * (sizeof(uint32_t) + sizeof(uint16_t));
}

static uint8_t *entry_msg(struct entry *e)
{
	return entry_key(e) + e->key_len;
}

struct lookup_key {
	const uint8_t *key;
	size_t len;
};

static int match_key(struct cds_lfht_node *node, const void *arg)
{
	struct entry *e = caa_container_of(node, struct entry, node);
	const struct lookup_key *k = arg;

	return e->key_len == k->len && memcmp(entry_key(e), k->key, k->len) == 0;
}

static void free_entry_rcu(struct rcu_head *head)
{
	free(caa_container_of(head, struct entry, rcu));
}

struct fwd_cache *fwd_cache_new(size_t max_entries)
{
	struct fwd_cache *c = calloc(1, sizeof(*c));
	unsigned long buckets = 1024;

	if (!c)
		return NULL;
	while (buckets < max_entries && buckets < (1UL << 24))
		buckets <<= 1;
	c->max = max_entries;
	c->ring = calloc(max_entries ? max_entries : 1, sizeof(*c->ring));
	c->ht = cds_lfht_new(buckets, 1024, 0, CDS_LFHT_AUTO_RESIZE, NULL);
	if (!c->ring || !c->ht || pthread_mutex_init(&c->lock, NULL) != 0) {
		if (c->ht)
			cds_lfht_destroy(c->ht, NULL);
		free(c->ring);
		free(c);
		return NULL;
	}
	return c;
}

void fwd_cache_free(struct fwd_cache *c)
{
	size_t i;

	if (!c)
		return;
	thread_rcu_register(); /* the main loop's thread may never have read */
	rcu_barrier(); /* replaced entries still waiting for their grace period */
	rcu_read_lock();
	for (i = 0; i < c->used; i++)
		cds_lfht_del(c->ht, &c->ring[i]->node);
	rcu_read_unlock();
	cds_lfht_destroy(c->ht, NULL);
	for (i = 0; i < c->used; i++)
		free(c->ring[i]); /* no reader left: the query threads are gone */
	pthread_mutex_destroy(&c->lock);
	free(c->ring);
	free(c);
}

/* A slot for a new entry, the caller holding c->lock inside an RCU
   read-side section: a free one, else the first under the hand whose
   entry was not asked since the hand last passed (that entry goes). */
static size_t take_slot(struct fwd_cache *c)
{
	size_t turns;

	if (c->used < c->max)
		return c->used++;
	for (turns = 0; turns < 2 * c->max; turns++) {
		size_t slot = c->hand;
		struct entry *e = c->ring[slot];

		c->hand = (c->hand + 1) % c->max;
		if (CMM_LOAD_SHARED(e->hit) && turns < c->max) {
			CMM_STORE_SHARED(e->hit, 0);
			continue;
		}
		cds_lfht_del(c->ht, &e->node);
		c->denials -= e->denial;
		call_rcu(&e->rcu, free_entry_rcu);
		c->evictions++;
		return slot;
	}
	return 0; /* not reached: the second turn round the ring evicts */
}

void fwd_cache_put(struct fwd_cache *c, const uint8_t *key, size_t key_len,
                   const uint8_t *msg, size_t len, const struct dnsmsg *m, uint32_t ttl,
                   time_t now)
{
	struct lookup_key k = {key, key_len};
	struct cds_lfht_node *old;
	struct entry *e;
	size_t i, slot;

	if (!c || !c->max || !ttl || key_len > UINT16_MAX || len > DNS_MAX_MSG)
		return;
	e = malloc(sizeof(*e) + m->n_ttls * (sizeof(uint32_t) + sizeof(uint16_t)) + key_len +
	           len);
	if (!e)
		return; /* not cached: the next query asks upstream again */
	cds_lfht_node_init(&e->node);
	e->stored = now;
	e->expires = now + (time_t)ttl;
	e->len = (uint32_t)len;
	e->key_len = (uint16_t)key_len;
	e->n_ttls = (uint16_t)m->n_ttls;
	e->hit = 0;
	e->refreshing = 0;
	e->denial = fwd_cache_is_denial(msg);
	for (i = 0; i < m->n_ttls; i++) {
		uint32_t t = wire_u32(msg + m->ttl_at[i]);
		entry_ttls(e)[i] = t < ttl ? t : ttl;
		entry_ttl_at(e)[i] = m->ttl_at[i];
	}
	memcpy(entry_key(e), key, key_len);
	memcpy(entry_msg(e), msg, len);
	entry_msg(e)[0] = entry_msg(e)[1] = 0;

	pthread_mutex_lock(&c->lock);
	rcu_read_lock();
	old = cds_lfht_add_replace(c->ht, bytemap_hash(key, key_len), match_key, &k, &e->node);
	if (old) {
		struct entry *o = caa_container_of(old, struct entry, node);
		slot = o->ring_slot;
		c->denials -= o->denial;
		call_rcu(&o->rcu, free_entry_rcu);
	} else {
		slot = take_slot(c);
	}
	c->denials += e->denial;
	e->ring_slot = (uint32_t)slot;
	c->ring[slot] = e;
	rcu_read_unlock();
	pthread_mutex_unlock(&c->lock);
}

size_t fwd_cache_get(struct fwd_cache *c, const uint8_t *key, size_t key_len, time_t now,
                     uint32_t stale_for, uint32_t ttl_override, uint8_t *out, bool *refresh)
{
	struct lookup_key k = {key, key_len};
	struct cds_lfht_iter iter;
	struct cds_lfht_node *node;
	struct entry *e;
	size_t len = 0, i;
	time_t age;

	if (!c || !c->max)
		return 0;
	rcu_read_lock();
	cds_lfht_lookup(c->ht, bytemap_hash(key, key_len), match_key, &k, &iter);
	node = cds_lfht_iter_get_node(&iter);
	if (!node)
		goto out;
	e = caa_container_of(node, struct entry, node);
	if (now >= e->expires && (!stale_for || now - e->expires > (time_t)stale_for))
		goto out;
	if (!CMM_LOAD_SHARED(e->hit))
		CMM_STORE_SHARED(e->hit, 1);
	if (refresh && now < e->expires && e->expires - e->stored >= 10 &&
	    (e->expires - now) * 10 <= e->expires - e->stored &&
	    !CMM_LOAD_SHARED(e->refreshing) && uatomic_cmpxchg(&e->refreshing, 0, 1) == 0)
		*refresh = true;
	len = e->len;
	memcpy(out, entry_msg(e), len);
	/* Authoritative, as CoreDNS's cache answers: some clients discard a
	   reply that is not. */
	dns_set_flags(out, dns_flags(out) | DNS_FLAG_AA);
	age = now - e->stored;
	for (i = 0; i < e->n_ttls; i++) {
		uint32_t t = entry_ttls(e)[i], ttl = ttl_override;
		if (!ttl)
			ttl = t > (uint32_t)age ? t - (uint32_t)age : 0;
		wire_put_u32(out + entry_ttl_at(e)[i], ttl);
	}
out:
	rcu_read_unlock();
	return len;
}

size_t fwd_cache_count(const struct fwd_cache *c)
{
	return c ? CMM_LOAD_SHARED(c->used) : 0;
}

size_t fwd_cache_denials(const struct fwd_cache *c)
{
	return c ? CMM_LOAD_SHARED(c->denials) : 0;
}

bool fwd_cache_is_denial(const uint8_t *msg)
{
	uint8_t rcode = dns_flags(msg) & DNS_RCODE_MASK;

	return rcode == DNS_RCODE_NXDOMAIN || (rcode == 0 && dns_ancount(msg) == 0);
}

uint64_t fwd_cache_evictions(const struct fwd_cache *c)
{
	return c ? CMM_LOAD_SHARED(c->evictions) : 0;
}
