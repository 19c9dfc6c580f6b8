/* answer_table.c - the index of answer nodes: a liburcu lock-free hash
 * table (cds_lfht) of one node per owner name, plus the reverse links
 * inside nodes, so the writer replaces one name at a time while query
 * threads read without locks; a replaced node is freed after an RCU grace
 * period, in batches. The zones and their SOAs live here too. What a
 * node's bytes are is answer_node.h's; answer_build makes nodes and
 * answer_lookup answers from them. */
#include "answer_table.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <urcu.h>
#include <urcu/rculfhash.h>

#include "answer_node.h"
#include "bytemap.h"
#include "dname.h"
#include "rcu_thread.h"
#include "records.h"

struct zone_soa {
	struct rcu_head rcu;
	uint16_t len;
	uint8_t bytes[10 + 2 * DNAME_MAX + 20]; /* type..rdata, owner omitted */
};

struct answer_table {
	struct cds_lfht *ht;
	unsigned long buckets;
	size_t n_nodes, n_bytes;
	size_t n_links; /* hash entries besides the nodes (struct rev_link) */
	/* Bit d: some NODE_HOSTS node has hosts d labels below its zone's
	   apex (never cleared): answer_table_hosts_at. */
	uint32_t host_depths;
	struct answer_zone *zones;
	size_t n_zones;
	bool pods_insecure;
	uint32_t ttl;
	struct answer_node **retired; /* unlinked, freed after a grace period */
	size_t n_retired, cap_retired;
};

static const struct answer_node *find_node(const struct answer_table *t, uint32_t hash,
                                           const uint8_t *name, size_t len);

const struct answer_node *answer_table_find_host(const struct answer_table *t,
                                                 const uint8_t *lname, size_t len,
                                                 struct compact_view *h)
{
	size_t first = 1 + (size_t)lname[0];
	const struct answer_node *n;
	struct hosts_view v;

	if (lname[0] == 0 || first >= len)
		return NULL;
	n = find_node(t, bytemap_hash(lname + first, len - first), lname + first, len - first);
	if (!n || !(n->flags & NODE_HOSTS))
		return NULL;
	hosts_view(n, &v);
	return host_find(&v, lname, h) ? n : NULL;
}

/* Room for more retired nodes. Returns 0, or -1 out of memory. */
static int retired_reserve(struct answer_table *t, size_t more)
{
	size_t cap = t->cap_retired ? t->cap_retired : 256;
	struct answer_node **grown;

	if (t->n_retired + more <= t->cap_retired)
		return 0;
	while (cap < t->n_retired + more)
		cap *= 2;
	grown = realloc(t->retired, cap * sizeof(*grown));
	if (!grown)
		return -1;
	t->retired = grown;
	t->cap_retired = cap;
	return 0;
}

/* Retired nodes are freed this many at a time: a grace period per watch
   event would make the writer wait for the query threads (on a shared
   core, a context switch each time) to free a handful of nodes, and a
   relist that replaces every name must not hold two tables' worth. */
#define RETIRED_MAX 1024

/* Unlinked nodes wait here until answer_table_reclaim: one grace period for
   a whole batch instead of an rcu_head and a callback per node. Called
   outside any read-side section (it may wait for readers). */
static void retire_node(struct answer_table *t, struct answer_node *n)
{
	t->n_bytes -= n->bytes;
	if (retired_reserve(t, 1) < 0) {
		/* No room to defer: wait for readers now. */
		synchronize_rcu();
		free(n);
		return;
	}
	t->retired[t->n_retired++] = n;
	if (t->n_retired >= RETIRED_MAX)
		answer_table_reclaim(t);
}

void answer_table_reclaim(struct answer_table *t)
{
	size_t i;

	if (t->n_retired == 0)
		return;
	thread_rcu_register(); /* writers may run on threads that never read */
	synchronize_rcu();
	for (i = 0; i < t->n_retired; i++)
		free(t->retired[i]);
	t->n_retired = 0;
	if (t->cap_retired > 4096) {
		free(t->retired);
		t->retired = NULL;
		t->cap_retired = 0;
	}
}

static void free_soa_rcu(struct rcu_head *head)
{
	free(caa_container_of(head, struct zone_soa, rcu));
}

/* What match_name compares an entry with: a whole lower-case wire name,
   and for a reverse name the address it stands for (addr_len 4 or 16),
   which the links match. Without the address only nodes match. */
struct name_key {
	const struct answer_table *t;
	const uint8_t *name;
	size_t len;
	const uint8_t *addr;
	size_t addr_len;
};

static int match_name(struct cds_lfht_node *ht_node, const void *key)
{
	const struct answer_node *n = caa_container_of(ht_node, struct answer_node, lfht);
	const struct name_key *k = key;
	uint32_t tag = entry_tag(ht_node);
	const struct answer_zone *z;
	size_t rel;

	if (tag & LINK_TAG) {
		const uint8_t *addr;
		size_t alen;

		if (!k->addr_len)
			return 0;
		addr = link_addr(link_owner(ht_node, tag), tag, &alen);
		return alen == k->addr_len && memcmp(addr, k->addr, alen) == 0;
	}
	z = &k->t->zones[n->zone];
	rel = n->name_len;
	return rel + z->name_len == k->len && memcmp(node_name(n), k->name, rel) == 0 &&
	       memcmp(k->name + rel, z->name, z->name_len) == 0;
}

static const struct answer_node *find_node(const struct answer_table *t, uint32_t hash,
                                           const uint8_t *name, size_t len)
{
	struct cds_lfht_iter iter;
	struct cds_lfht_node *ht_node;
	struct name_key key = { t, name, len, NULL, 0 };

	cds_lfht_lookup(t->ht, hash, match_name, &key, &iter);
	ht_node = cds_lfht_iter_get_node(&iter);
	return ht_node ? caa_container_of(ht_node, struct answer_node, lfht) : NULL;
}

const struct answer_node *answer_table_find_reverse(const struct answer_table *t,
                                                    const uint8_t *lname, size_t len,
                                                    const struct kube_ip *ip,
                                                    uint32_t *link_tag)
{
	struct name_key key = { t, lname, len, ip->bytes, ip->family == AF_INET ? 4 : 16 };
	const struct answer_node *owner = NULL;
	struct cds_lfht_iter iter;
	struct cds_lfht_node *ht_node;

	*link_tag = 0;
	cds_lfht_lookup(t->ht, bytemap_hash(lname, len), match_name, &key, &iter);
	while ((ht_node = cds_lfht_iter_get_node(&iter)) != NULL) {
		uint32_t tag = entry_tag(ht_node);

		if (!(tag & LINK_TAG)) {
			*link_tag = 0;
			return caa_container_of(ht_node, struct answer_node, lfht);
		}
		if (!owner) {
			owner = link_owner(ht_node, tag);
			*link_tag = tag;
		}
		cds_lfht_next_duplicate(t->ht, match_name, &key, &iter);
	}
	return owner;
}

size_t answer_table_link_target(const struct answer_table *t, const struct answer_node *n,
                                uint32_t tag, uint8_t *out, const uint8_t **ttl)
{
	const struct answer_zone *z = &t->zones[n->zone];
	size_t at = 0;

	if (link_index(tag) >= COMPACT_ADDRS_MAX) {
		struct hosts_view v;
		struct compact_view h;
		const uint8_t *label;

		hosts_view(n, &v);
		host_at(&v, host_of_addr(&v, link_index(tag) - COMPACT_ADDRS_MAX), &h, &label);
		memcpy(out, label, 1 + (size_t)label[0]);
		at = 1 + (size_t)label[0];
		*ttl = h.ttl;
	} else {
		struct compact_view v;

		compact_view(n, &v);
		*ttl = v.ttl;
	}
	memcpy(out + at, node_name(n), n->name_len);
	memcpy(out + at + n->name_len, z->name, z->name_len);
	return at + n->name_len + z->name_len;
}

/* The address whose reverse name the link of n with tag tag stands for. */
static void link_ip(const struct answer_node *n, uint32_t tag, struct kube_ip *ip)
{
	size_t alen;
	const uint8_t *addr = link_addr(n, tag, &alen);

	memset(ip, 0, sizeof(*ip));
	ip->family = alen == 4 ? AF_INET : AF_INET6;
	memcpy(ip->bytes, addr, alen);
}

/* Puts n's links into the table, or takes them out (writer, inside a
   read-side section). */
static void links_add(struct answer_table *t, const struct answer_node *n)
{
	const struct rev_link *links;
	size_t i, count = node_links(n, &links);

	for (i = 0; i < count; i++) {
		uint8_t rev[DNAME_MAX];
		struct kube_ip ip;

		link_ip(n, links[i].tag, &ip);
		cds_lfht_add(t->ht, bytemap_hash(rev, dname_reverse(&ip, rev)),
		             (struct cds_lfht_node *)&links[i].lfht);
	}
	t->n_links += count;
}

static void links_del(struct answer_table *t, const struct answer_node *n)
{
	const struct rev_link *links;
	size_t i, count = node_links(n, &links);

	for (i = 0; i < count; i++)
		cds_lfht_del(t->ht, (struct cds_lfht_node *)&links[i].lfht);
	t->n_links -= count;
}

/* ---- table -------------------------------------------------------------- */

static void set_zone_soa(struct answer_zone *z, const struct records_zone *rz)
{
	struct zone_soa *soa = calloc(1, sizeof(*soa)), *old;
	uint8_t *p;

	if (!soa)
		return; /* keep the previous serial rather than lose the SOA */
	p = soa->bytes;
	*p++ = 0;
	*p++ = RR_TYPE_SOA;
	*p++ = 0;
	*p++ = 1;
	*p++ = (uint8_t)(rz->soa.ttl >> 24);
	*p++ = (uint8_t)(rz->soa.ttl >> 16);
	*p++ = (uint8_t)(rz->soa.ttl >> 8);
	*p++ = (uint8_t)rz->soa.ttl;
	*p++ = (uint8_t)(rz->soa.rdlen >> 8);
	*p++ = (uint8_t)rz->soa.rdlen;
	memcpy(p, rz->soa.rdata, rz->soa.rdlen);
	soa->len = (uint16_t)(10 + rz->soa.rdlen);
	old = rcu_xchg_pointer(&z->soa, soa);
	if (old)
		call_rcu(&old->rcu, free_soa_rcu);
}

struct answer_table *answer_table_new(const struct records_set *set, bool pods_insecure,
                                      uint32_t ttl)
{
	struct answer_table *t = calloc(1, sizeof(*t));
	size_t i;

	thread_rcu_register();
	if (!t)
		return NULL;
	t->pods_insecure = pods_insecure;
	t->ttl = ttl;
	t->n_zones = records_zone_count(set);
	t->zones = calloc(t->n_zones, sizeof(*t->zones));
	t->buckets = 1024;
	t->ht = cds_lfht_new(t->buckets, t->buckets, 0, CDS_LFHT_ACCOUNTING, NULL);
	if (!t->zones || !t->ht) {
		answer_table_free(t);
		return NULL;
	}
	for (i = 0; i < t->n_zones; i++) {
		const struct records_zone *rz = records_zone_at(set, i);
		memcpy(t->zones[i].name, rz->name, rz->name_len);
		t->zones[i].name_len = rz->name_len;
		t->zones[i].reverse = rz->kind == RECORDS_ZONE_REVERSE;
		t->zones[i].multicluster = rz->multicluster;
		set_zone_soa(&t->zones[i], rz);
		if (!t->zones[i].soa) {
			answer_table_free(t);
			return NULL;
		}
	}
	return t;
}

void answer_table_set_soa(struct answer_table *t, const struct records_set *set)
{
	size_t i;

	for (i = 0; i < t->n_zones && i < records_zone_count(set); i++)
		set_zone_soa(&t->zones[i], records_zone_at(set, i));
}

/* Keeps chains short: doubling the buckets when the nodes outnumber them.
   Done by the writer itself (no resize thread in the background). */
static void maybe_grow(struct answer_table *t)
{
	if (t->n_nodes + t->n_links > t->buckets * 2) {
		t->buckets *= 4;
		cds_lfht_resize(t->ht, t->buckets);
	}
}

void answer_table_reserve(struct answer_table *t, size_t names)
{
	unsigned long want = t->buckets;

	while (names > want * 2)
		want *= 4;
	if (want != t->buckets) {
		thread_rcu_register();
		t->buckets = want;
		cds_lfht_resize(t->ht, t->buckets);
	}
}

int answer_table_insert(struct answer_table *t, const uint8_t *owner, size_t len,
                        struct answer_node *n)
{
	struct name_key key = { t, owner, len, NULL, 0 };
	struct cds_lfht_node *old;
	const struct answer_zone *z = n->zone < t->n_zones ? &t->zones[n->zone] : NULL;

	/* Nodes keep only the labels before their zone's apex. */
	if (!z || len != n->name_len + (size_t)z->name_len ||
	    !dname_is_under(owner, len, z->name, z->name_len)) {
		free(n);
		return -1;
	}
	thread_rcu_register();
	rcu_read_lock();
	old = cds_lfht_add_replace(t->ht, bytemap_hash(owner, len), match_name, &key, &n->lfht);
	if (n->flags & NODE_HOSTS) {
		size_t depth = labels_in(node_name(n), n->name_len) + 1;
		if (depth < 32)
			t->host_depths |= 1u << depth;
	}
	/* The new links before the old ones go: a PTR always answers. */
	links_add(t, n);
	if (old)
		links_del(t, caa_container_of(old, struct answer_node, lfht));
	rcu_read_unlock();
	t->n_bytes += n->bytes;
	if (old) {
		retire_node(t, caa_container_of(old, struct answer_node, lfht));
	} else {
		t->n_nodes++;
		maybe_grow(t);
	}
	return 0;
}

int answer_table_delete(struct answer_table *t, const uint8_t *lname, size_t len)
{
	struct cds_lfht_iter iter;
	struct cds_lfht_node *ht_node;
	struct name_key key = { t, lname, len, NULL, 0 };
	int removed = 0;

	thread_rcu_register();
	rcu_read_lock();
	cds_lfht_lookup(t->ht, bytemap_hash(lname, len), match_name, &key, &iter);
	ht_node = cds_lfht_iter_get_node(&iter);
	if (ht_node && cds_lfht_del(t->ht, ht_node) == 0) {
		links_del(t, caa_container_of(ht_node, struct answer_node, lfht));
		t->n_nodes--;
		removed = 1;
	}
	rcu_read_unlock();
	if (removed)
		retire_node(t, caa_container_of(ht_node, struct answer_node, lfht));
	return removed;
}

void answer_table_free(struct answer_table *t)
{
	size_t i;

	if (!t)
		return;
	thread_rcu_register();
	if (t->ht) {
		struct cds_lfht_iter iter;
		struct cds_lfht_node *ht_node;

		/* No reader is left, but the nodes stay reachable through the
		   table until it is destroyed: collect them, free them after.
		   (Without room for the list, at exit out of memory, they leak.) */
		bool room = retired_reserve(t, t->n_nodes) == 0;

		rcu_read_lock();
		cds_lfht_first(t->ht, &iter);
		while ((ht_node = cds_lfht_iter_get_node(&iter)) != NULL) {
			cds_lfht_next(t->ht, &iter);
			if (entry_tag(ht_node) & LINK_TAG) {
				cds_lfht_del(t->ht, ht_node); /* inside a node */
				continue;
			}
			if (cds_lfht_del(t->ht, ht_node) == 0 && room &&
			    t->n_retired < t->cap_retired) {
				struct answer_node *n = caa_container_of(ht_node, struct answer_node, lfht);
				t->n_bytes -= n->bytes;
				t->retired[t->n_retired++] = n;
			}
		}
		rcu_read_unlock();
		cds_lfht_destroy(t->ht, NULL);
	}
	answer_table_reclaim(t);
	for (i = 0; t->zones && i < t->n_zones; i++)
		if (t->zones[i].soa)
			call_rcu(&t->zones[i].soa->rcu, free_soa_rcu);
	/* Every deferred free has run when this returns: nothing leaks at exit. */
	rcu_barrier();
	free(t->zones);
	free(t->retired);
	free(t);
}

/* ---- reading nodes ------------------------------------------------------ */

const struct answer_node *answer_table_find(const struct answer_table *t,
                                            const uint8_t *lname, size_t len)
{
	return find_node(t, bytemap_hash(lname, len), lname, len);
}

bool answer_table_hosts_at(const struct answer_table *t, const uint8_t *lname, size_t rel)
{
	size_t depth;

	if (!t->host_depths)
		return false;
	depth = labels_in(lname, rel);
	return depth < 32 && (t->host_depths >> depth & 1);
}

const struct answer_zone *answer_table_zone(const struct answer_table *t, size_t zone)
{
	return &t->zones[zone];
}

const uint8_t *answer_table_soa(const struct answer_table *t, size_t zone, uint16_t *len)
{
	const struct zone_soa *soa = rcu_dereference(t->zones[zone].soa);

	*len = soa->len;
	return soa->bytes;
}

bool answer_table_pods_insecure(const struct answer_table *t)
{
	return t->pods_insecure;
}

uint32_t answer_table_ttl(const struct answer_table *t)
{
	return t->ttl;
}

int answer_table_zone_of(const struct answer_table *t, const uint8_t *name, size_t len)
{
	int best = -1;
	size_t z;

	for (z = 0; z < t->n_zones; z++)
		if (dname_is_under(name, len, t->zones[z].name, t->zones[z].name_len) &&
		    (best < 0 || t->zones[z].name_len > t->zones[best].name_len))
			best = (int)z;
	return best;
}

bool answer_table_in_zone(const struct answer_table *t, const uint8_t *lname,
                          size_t len)
{
	return answer_table_zone_of(t, lname, len) >= 0;
}

int answer_table_node_links(const struct answer_table *t, const uint8_t *lname,
                            size_t len,
                            void (*fn)(void *ctx, const struct kube_ip *ip,
                                       const uint8_t *target, size_t target_len),
                            void *ctx)
{
	const struct answer_node *n;
	const struct rev_link *links;
	uint8_t target[DNAME_MAX];
	const uint8_t *ttl;
	size_t i, count;

	thread_rcu_register();
	rcu_read_lock();
	n = find_node(t, bytemap_hash(lname, len), lname, len);
	if (!n || !(n->flags & (NODE_COMPACT | NODE_HOSTS))) {
		rcu_read_unlock();
		return -1;
	}
	count = node_links(n, &links);
	for (i = 0; i < count; i++) {
		struct kube_ip ip;

		link_ip(n, links[i].tag, &ip);
		fn(ctx, &ip, target, answer_table_link_target(t, n, links[i].tag, target, &ttl));
	}
	rcu_read_unlock();
	return (int)count;
}

size_t answer_table_linkers(const struct answer_table *t, const struct kube_ip *ip,
                            void (*fn)(void *ctx, const uint8_t *name, size_t len),
                            void *ctx)
{
	uint8_t rev[DNAME_MAX], name[DNAME_MAX];
	size_t rev_len = dname_reverse(ip, rev), count = 0;
	struct name_key key = { t, rev, rev_len, ip->bytes, ip->family == AF_INET ? 4 : 16 };
	struct cds_lfht_iter iter;
	struct cds_lfht_node *ht_node;

	thread_rcu_register();
	rcu_read_lock();
	cds_lfht_lookup(t->ht, bytemap_hash(rev, rev_len), match_name, &key, &iter);
	while ((ht_node = cds_lfht_iter_get_node(&iter)) != NULL) {
		uint32_t tag = entry_tag(ht_node);

		if (tag & LINK_TAG) {
			const uint8_t *ttl;

			if (fn)
				fn(ctx, name, answer_table_link_target(t, link_owner(ht_node, tag), tag, name, &ttl));
			count++;
		}
		cds_lfht_next_duplicate(t->ht, match_name, &key, &iter);
	}
	rcu_read_unlock();
	return count;
}

size_t answer_table_entries(const struct answer_table *t)
{
	return t->n_nodes;
}

size_t answer_table_bytes(const struct answer_table *t)
{
	return sizeof(*t) + t->n_bytes + t->buckets * sizeof(void *) * 2;
}

/* ---- publication -------------------------------------------------------- */

void answer_table_publish(struct answer_slot *slot, struct answer_table *t)
{
	struct answer_table *old = rcu_xchg_pointer(&slot->current, t);

	if (old && old != t) {
		/* Readers that still hold the old table finish first. */
		synchronize_rcu();
		answer_table_free(old);
	}
}

struct answer_table *answer_table_acquire(struct answer_slot *slot)
{
	return rcu_dereference(slot->current);
}

struct answer_table *answer_table_published(const struct answer_slot *slot)
{
	return slot->current;
}

void answer_table_unpublish(struct answer_slot *slot)
{
	slot->current = NULL;
}
