/* zone_sync.c - incremental maintenance of the answer table.
 *
 * For each service it knows the names it put in the table, the PTRs it
 * contributes (a reverse name may be shared by several services) and the
 * in-zone CNAME target it points at. When the cache reports a service as
 * changed, its records are rebuilt alone, the table is updated name by
 * name, names it no longer has are deleted, shared PTR names are rebuilt
 * from all contributors, and services whose CNAME points at a changed name
 * are redone too (once per apply, so CNAME loops terminate).
 *
 * A service whose only node is a compact one (a ClusterIP service) or a
 * headless one's, either answering its endpoints' names too, has all of
 * that in its node: the name, and a link per address for the PTR. For
 * those nothing is kept here; the table is read back (owned_from_table),
 * and the links count among a reverse name's contributors. That is one
 * copy of a service's DNS data instead of two: about 16 MB at 100k
 * services, ~20 MB more when their ClusterIP services have endpoints. */
#include "zone_sync.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "answer_build.h"
#include "answer_table.h"
#include "bytemap.h"
#include "dname.h"
#include "kube_object.h"
#include "records.h"
#include "svc_cache.h"

/* What one service has put into the table, in one allocation (kept for
 * headless and ExternalName services, pods, and any service the table
 * does not describe on its own): its cluster names, then its PTRs as
 * (reverse name, target) pairs, then its in-zone CNAME target.
 *
 * A cluster name is stored against the name before it: [prefix length]
 * [shared length][prefix bytes] stands for the prefix followed by the last
 * <shared> bytes of that earlier name. A service's names share its own
 * name as suffix, so most cost a label or two. The first name is whole.
 * A pair is [key length][the reverse name's key] and then the target
 * stored the same way against the first name, so that any pair can be
 * read on its own. Pairs of one reverse name are adjacent. A reverse
 * name's key is the address it stands for (rev_key): 5 or 17 bytes
 * instead of 24 to 74, here and in the map of contributors. */
struct owned {
	uint32_t names_len; /* bytes of encoded names, from data[0] */
	uint32_t ptrs_len;  /* bytes of encoded pairs, after the names */
	uint8_t cname_len;  /* 0: no in-zone CNAME; else bytes after the pairs */
	uint8_t data[];
};

/* A reverse name's kept contributors (the nodes that link it are
   the others): the one owner itself, or (low bit set) a struct ptr_many
   when several kept services share the address. */
struct ptr_many {
	size_t n, cap;
	const struct owned *by[];
};

/* Walks an encoded run of names. */
struct name_cursor {
	const uint8_t *p, *end;
	uint8_t name[DNAME_MAX];
	size_t len;
};

/* Scratch space for encoding one service's names and pairs. */
struct blob {
	uint8_t *buf;
	size_t len, cap;
};

struct zone_sync {
	const struct records_config *cfg;
	struct answer_table *table;
	struct answer_builder *builder;
	struct bytemap *owned;  /* "ns/svc" -> struct owned */
	struct bytemap *ptrs;   /* reverse name's key -> kept owner or tagged ptr_many */
	struct bytemap *deps;   /* CNAME target -> bytemap of "ns/svc" keys */
	struct records_set *scratch; /* reused for each service, PTR, namespace */
	struct blob names, pairs;    /* reused for each service */
	/* Names of the service being updated that its own node answers
	   (answer_build_folded): not remembered, and deleted if the
	   service had put them as nodes of their own before. */
	struct bytemap *folded;
	/* Where pair_find last found a pair: services that share addresses
	   list them in the same (sorted) order, so the next search starts
	   there and a shared address costs O(1), not a scan. */
	const struct owned *find_owner;
	size_t find_off;
	bool applied; /* an apply has run: the table may hold services' names */
};

/* A key may be redone when a name it depends on changes after it was
   done, a bounded number of times so that CNAME loops end. */
#define MAX_VISITS 3

/* One block for all the keys ("ns/svc", or "ns" for a namespace, each
   NUL-terminated) rather than a malloc each: a first load queues 100k,
   and what is freed afterwards is one block, not 100k holes in the heap. */
struct pending {
	struct blob keys;
	uint32_t *offs; /* where key i starts in keys */
	size_t n, cap;
	size_t next;          /* keys before this one are done or in progress */
	struct bytemap *seen; /* key -> times queued (uintptr_t) */
	bool oom;
};

static void free_owned(void *v);
static void free_ptr_set(void *v);
static void free_dep_set(void *v);

struct zone_sync *zone_sync_new(const struct records_config *cfg, char *err,
                                size_t errlen)
{
	struct zone_sync *z = calloc(1, sizeof(*z));
	struct records_set *set;

	if (!z) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	z->cfg = cfg;
	z->owned = bytemap_new();
	z->folded = bytemap_new();
	z->ptrs = bytemap_new();
	z->deps = bytemap_new();
	set = records_new(cfg, 0, err, errlen);
	if (!set || !z->owned || !z->ptrs || !z->deps || !z->folded) {
		if (set)
			snprintf(err, errlen, "out of memory");
		records_set_free(set);
		zone_sync_free(z);
		return NULL;
	}
	z->table = answer_table_new(set, cfg->pods == RECORDS_PODS_INSECURE, cfg->ttl);
	z->builder = answer_builder_new();
	z->scratch = set; /* its serial does not matter: only the apex has a SOA */
	if (!z->table || !z->builder) {
		snprintf(err, errlen, "out of memory");
		zone_sync_free(z);
		return NULL;
	}
	return z;
}

void zone_sync_free(struct zone_sync *z)
{
	if (!z)
		return;
	answer_table_free(z->table);
	answer_builder_free(z->builder);
	records_set_free(z->scratch);
	bytemap_free(z->owned, free_owned);
	bytemap_free(z->ptrs, free_ptr_set);
	bytemap_free(z->deps, free_dep_set);
	bytemap_free(z->folded, NULL);
	free(z->names.buf);
	free(z->pairs.buf);
	free(z);
}

size_t zone_sync_kept(const struct zone_sync *z)
{
	return bytemap_count(z->owned);
}

struct answer_table *zone_sync_table(const struct zone_sync *z)
{
	return z->table;
}

static void free_owned(void *v)
{
	free(v);
}

static bool ptr_is_many(const void *v)
{
	return ((uintptr_t)v & 1) != 0;
}

static struct ptr_many *ptr_many_of(void *v)
{
	return (struct ptr_many *)((uintptr_t)v & ~(uintptr_t)1);
}

static void free_ptr_set(void *v)
{
	if (ptr_is_many(v))
		free(ptr_many_of(v));
}

/* ---- encoded names ------------------------------------------------------ */

/* A reverse name's key: 0x80 (IPv4) or 0x81 (IPv6) and the address, which
   no name starts with (a label is at most 63 bytes); a name that is not
   an address's (none, records makes PTRs with dname_reverse) is its own
   key. key has room for DNAME_MAX bytes. Returns the key's length. */
static size_t ip_key(const struct kube_ip *ip, uint8_t *key)
{
	key[0] = ip->family == AF_INET ? 0x80 : 0x81;
	memcpy(key + 1, ip->bytes, key[0] == 0x80 ? 4 : 16);
	return key[0] == 0x80 ? 5 : 17;
}

static size_t rev_key(const uint8_t *rev, size_t len, uint8_t *key)
{
	struct kube_ip ip;

	if (!dname_reverse_parse(rev, len, &ip)) {
		memcpy(key, rev, len);
		return len;
	}
	return ip_key(&ip, key);
}

/* The address of an address's key (ip_key's inverse); false for a key
   that is a name. */
static bool key_ip(const uint8_t *key, size_t klen, struct kube_ip *ip)
{
	if (klen == 0 || (key[0] != 0x80 && key[0] != 0x81))
		return false;
	memset(ip, 0, sizeof(*ip));
	ip->family = key[0] == 0x80 ? AF_INET : AF_INET6;
	memcpy(ip->bytes, key + 1, klen - 1);
	return true;
}

/* The reverse name of key (rev_key's inverse) into name. Returns its length. */
static size_t rev_name(const uint8_t *key, size_t klen, uint8_t *name)
{
	struct kube_ip ip;

	if (!key_ip(key, klen, &ip)) {
		memcpy(name, key, klen);
		return klen;
	}
	return dname_reverse(&ip, name);
}

static int blob_put(struct blob *b, const uint8_t *bytes, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *grown;
		while (cap < b->len + n)
			cap *= 2;
		grown = realloc(b->buf, cap);
		if (!grown)
			return -1;
		b->buf = grown;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, bytes, n);
	b->len += n;
	return 0;
}

/* Appends name, stored against prev (may be NULL). */
static int name_encode(struct blob *b, const uint8_t *name, size_t len,
                       const uint8_t *prev, size_t prev_len)
{
	size_t shared = 0;
	uint8_t head[2];

	while (prev && shared < len && shared < prev_len &&
	       name[len - 1 - shared] == prev[prev_len - 1 - shared])
		shared++;
	head[0] = (uint8_t)(len - shared);
	head[1] = (uint8_t)shared;
	if (blob_put(b, head, 2) < 0)
		return -1;
	return blob_put(b, name, len - shared);
}

static void cursor_init(struct name_cursor *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->end = p + len;
	c->len = 0;
}

/* Decodes the next name into c->name. Returns false at the end. */
static bool cursor_next(struct name_cursor *c)
{
	uint8_t plen, slen;
	uint8_t tail[DNAME_MAX];

	if (c->p + 2 > c->end)
		return false;
	plen = c->p[0];
	slen = c->p[1];
	/* The shared bytes end the previous name, which is overwritten. */
	memcpy(tail, c->name + c->len - slen, slen);
	memcpy(c->name, c->p + 2, plen);
	memcpy(c->name + plen, tail, slen);
	c->len = (size_t)plen + slen;
	c->p += 2 + plen;
	return true;
}

static const uint8_t *owned_cname(const struct owned *o)
{
	return o->cname_len ? o->data + o->names_len + o->ptrs_len : NULL;
}

/* The first cluster name, stored whole: what PTR targets are stored
   against. */
static const uint8_t *owned_first(const struct owned *o, size_t *len)
{
	*len = o->names_len >= 2 ? o->data[0] : 0;
	return o->data + 2;
}

/* One (reverse name's key, target) pair of an owned. */
struct pair {
	const uint8_t *rev; /* the key (rev_key) */
	size_t rev_len;
	uint8_t target[DNAME_MAX];
	size_t target_len;
};

static const uint8_t *pairs_begin(const struct owned *o)
{
	return o->data + o->names_len;
}

static const uint8_t *pairs_end(const struct owned *o)
{
	return o->data + o->names_len + o->ptrs_len;
}

/* Decodes the pair at at; returns where the next one starts. */
static const uint8_t *pair_read(const struct owned *o, const uint8_t *at, struct pair *pr)
{
	size_t ref_len, plen, slen;
	const uint8_t *ref = owned_first(o, &ref_len);

	pr->rev_len = at[0];
	pr->rev = at + 1;
	at += 1 + pr->rev_len;
	plen = at[0];
	slen = at[1];
	memcpy(pr->target, at + 2, plen);
	memcpy(pr->target + plen, ref + ref_len - slen, slen);
	pr->target_len = plen + slen;
	return at + 2 + plen;
}

/* Skips the pair at at without decoding its target. */
static const uint8_t *pair_skip(const uint8_t *at, const uint8_t **rev, size_t *rev_len)
{
	*rev_len = at[0];
	*rev = at + 1;
	at += 1 + *rev_len;
	return at + 2 + at[0];
}

/* The group of adjacent pairs at at (of one reverse name): sets rev and
   returns where the next group starts. */
static const uint8_t *group_next(const struct owned *o, const uint8_t *at,
                                 const uint8_t **rev, size_t *rev_len)
{
	const uint8_t *end = pairs_end(o), *r;
	size_t rl;

	at = pair_skip(at, rev, rev_len);
	while (at < end) {
		const uint8_t *next = pair_skip(at, &r, &rl);
		if (rl != *rev_len || memcmp(r, *rev, rl) != 0)
			break;
		at = next;
	}
	return at;
}

/* The first pair of o for rev, or NULL. Searches from where the last
   search in o ended, then from the start. */
static const uint8_t *pair_find(struct zone_sync *z, const struct owned *o,
                                const uint8_t *rev, size_t rev_len)
{
	const uint8_t *begin = pairs_begin(o), *end = pairs_end(o);
	const uint8_t *from = z->find_owner == o ? begin + z->find_off : begin;
	const uint8_t *at = from, *stop = end;
	int lap;

	for (lap = 0; lap < 2; lap++) {
		while (at < stop) {
			const uint8_t *r, *next;
			size_t rl;
			next = pair_skip(at, &r, &rl);
			if (rl == rev_len && memcmp(r, rev, rl) == 0) {
				z->find_owner = o;
				z->find_off = (size_t)(at - begin);
				return at;
			}
			at = next;
		}
		at = begin;
		stop = from;
	}
	return NULL;
}

/* Frees o, which must not be remembered anywhere any more. */
static void owned_release(struct zone_sync *z, struct owned *o)
{
	if (o && z->find_owner == o)
		z->find_owner = NULL;
	free_owned(o);
}

static void free_dep_set(void *v)
{
	bytemap_free(v, NULL);
}

/* ---- the work list ----------------------------------------------------- */

static void pending_add(struct pending *p, const char *key)
{
	void **slot = bytemap_slot(p->seen, key, strlen(key), true);
	uintptr_t visits;
	size_t i, off;

	if (!slot) {
		p->oom = true;
		return;
	}
	visits = (uintptr_t)*slot;
	if (visits >= MAX_VISITS)
		return;
	/* Still waiting in the list: nothing to add. */
	for (i = p->n; visits && i > p->next; i--)
		if (strcmp((const char *)p->keys.buf + p->offs[i - 1], key) == 0)
			return;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		uint32_t *grown = realloc(p->offs, cap * sizeof(*grown));
		if (!grown) {
			p->oom = true;
			return;
		}
		p->offs = grown;
		p->cap = cap;
	}
	off = p->keys.len;
	if (off > UINT32_MAX - 600 || blob_put(&p->keys, (const uint8_t *)key, strlen(key) + 1) < 0) {
		p->oom = true;
		return;
	}
	p->offs[p->n++] = (uint32_t)off;
	*slot = (void *)(visits + 1);
}

static void on_change(void *ctx, const char *ns, const char *name)
{
	char key[600];
	size_t ns_len = strlen(ns), name_len = name ? strlen(name) : 0;

	/* Not snprintf: a first load queues every service. */
	if (ns_len + 1 + name_len >= sizeof(key))
		return; /* longer than any name Kubernetes allows */
	memcpy(key, ns, ns_len);
	key[ns_len] = '\0';
	if (name) {
		key[ns_len] = '/';
		memcpy(key + ns_len + 1, name, name_len + 1);
	}
	pending_add(ctx, key);
}

/* Services whose CNAME points at name must be redone. */
static int queue_dependent(void *ctx, const void *key, size_t len, void *value)
{
	char buf[600];

	(void)value;
	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, key, len);
	buf[len] = '\0';
	pending_add(ctx, buf);
	return 0;
}

static void name_changed(struct zone_sync *z, struct pending *p, const uint8_t *name,
                         size_t len)
{
	void **slot = bytemap_slot(z->deps, name, len, false);

	if (slot)
		bytemap_foreach(*slot, queue_dependent, p);
}

/* Puts name of set into the table, unless another name's node answers it.
   Returns 0, or -1 on allocation failure. */
static int put_name(struct zone_sync *z, const struct records_set *set,
                    const struct records_name *name)
{
	if (answer_build_folded(set, name))
		return 0;
	return answer_build_put(z->builder, z->table, set, name);
}

/* ---- PTR names shared between services -------------------------------- */

/* Adds the PTR records of o for the reverse name with key key to set (as
   name), from the group of pairs that starts at at (o's first pair for
   the key). */
static void ptr_collect(struct zone_sync *z, struct records_set *set, const struct owned *o,
                        const uint8_t *at, const uint8_t *key, size_t key_len,
                        const uint8_t *name, size_t name_len, int zone)
{
	const uint8_t *end = pairs_end(o);
	struct pair pr;

	while (at && at < end) {
		at = pair_read(o, at, &pr);
		if (pr.rev_len != key_len || memcmp(pr.rev, key, key_len) != 0)
			break;
		records_add_record(set, name, name_len, zone, RR_TYPE_PTR, z->cfg->ttl,
		                   pr.target, pr.target_len);
	}
}

/* The reverse name ptr_settle is settling, for add_linker. */
struct settle {
	struct zone_sync *z;
	const uint8_t *name;
	size_t name_len;
	int zone;
};

/* Adds a PTR to the name being settled (ctx) for a link to it (target:
   the compact node's or host's name). */
static void add_linker(void *ctx, const uint8_t *target, size_t len)
{
	struct settle *st = ctx;

	records_add_record(st->z->scratch, st->name, st->name_len, st->zone, RR_TYPE_PTR,
	                   st->z->cfg->ttl, target, len);
}

/* Gives the reverse name with key rev the answer of all its contributors:
   the services in z->ptrs (their pairs say the targets) and the nodes
   that link it (the table says). A name whose one target is linked needs
   no node of its own: the link answers it, so a node left from when the
   address was shared goes. Several targets make a node of the name's
   own, which lookups find before the links. */
static int ptr_settle(struct zone_sync *z, const uint8_t *rev, size_t rev_len)
{
	void **slot = bytemap_slot(z->ptrs, rev, rev_len, false);
	struct records_set *set = z->scratch;
	const struct records_name *ptr;
	uint8_t name[DNAME_MAX];
	size_t i, linkers = 0, name_len = rev_name(rev, rev_len, name);
	struct settle st = {z, name, name_len, 0};
	struct kube_ip ip;
	bool is_addr = key_ip(rev, rev_len, &ip);

	if (slot && !*slot) {
		bytemap_remove(z->ptrs, rev, rev_len);
		slot = NULL;
	}
	/* Nearly every address: one service's, whose node links it. */
	if (!slot && (!is_addr || answer_table_linkers(z->table, &ip, NULL, NULL) <= 1)) {
		answer_table_delete(z->table, name, name_len);
		return 0;
	}
	if (records_clear(set) < 0)
		return -1;
	st.zone = records_zone_of(set, name, name_len);
	if (slot && ptr_is_many(*slot)) {
		const struct ptr_many *m = ptr_many_of(*slot);
		for (i = 0; i < m->n; i++)
			ptr_collect(z, set, m->by[i], pair_find(z, m->by[i], rev, rev_len), rev,
			            rev_len, name, name_len, st.zone);
	} else if (slot) {
		const struct owned *by = *slot;
		ptr_collect(z, set, by, pair_find(z, by, rev, rev_len), rev, rev_len, name,
		            name_len, st.zone);
	}
	if (is_addr)
		linkers = answer_table_linkers(z->table, &ip, add_linker, &st);
	if (records_finish(set) < 0 || records_failed(set))
		return -1;
	ptr = records_find(set, name, name_len);
	/* The one target a link has is the link's: it answers. */
	if (!ptr || (ptr->n_records == 1 && linkers)) {
		answer_table_delete(z->table, name, name_len);
		return 0;
	}
	return put_name(z, set, ptr);
}

/* Whether the PTRs of the reverse name with key rev in set (the service
   just put) are answered by a link of the service's node: then the link
   counts the service among the name's contributors (ptr_settle), and
   z->ptrs need not. That is every PTR of a ClusterIP service with
   endpoints (its cluster IP's, its endpoints' names') and of a headless
   one's endpoints, unless an address is shared inside the service. */
static bool group_linked(const struct records_set *set, const uint8_t *rev, size_t rev_len)
{
	uint8_t name[DNAME_MAX];
	const struct records_name *ptr = records_find(set, name, rev_name(rev, rev_len, name));

	return ptr && answer_build_folded(set, ptr);
}

/* Takes o off rev's contributors (the entry stays, maybe empty, until
   ptr_settle). */
static void ptr_forget(struct zone_sync *z, const struct owned *o, const uint8_t *rev,
                       size_t rev_len)
{
	void **slot = bytemap_slot(z->ptrs, rev, rev_len, false);
	struct ptr_many *m;
	size_t i;

	if (!slot || !*slot)
		return;
	if (!ptr_is_many(*slot)) {
		if (*slot == o)
			*slot = NULL;
		return;
	}
	m = ptr_many_of(*slot);
	for (i = 0; i < m->n;) {
		if (m->by[i] == o)
			m->by[i] = m->by[--m->n];
		else
			i++;
	}
	if (m->n <= 1) {
		*slot = m->n ? (void *)m->by[0] : NULL;
		free(m);
	}
}

static int ptr_remember(struct zone_sync *z, const struct owned *o, const uint8_t *rev,
                        size_t rev_len)
{
	void **slot = bytemap_slot(z->ptrs, rev, rev_len, true);
	struct ptr_many *m;
	size_t i;

	if (!slot)
		return -1;
	if (!*slot || *slot == o) {
		*slot = (void *)o;
		return 0;
	}
	if (!ptr_is_many(*slot)) {
		m = malloc(sizeof(*m) + 4 * sizeof(m->by[0]));
		if (!m)
			return -1;
		m->n = 1;
		m->cap = 4;
		m->by[0] = *slot;
		*slot = (void *)((uintptr_t)m | 1);
	}
	m = ptr_many_of(*slot);
	for (i = 0; i < m->n; i++)
		if (m->by[i] == o)
			return 0;
	if (m->n == m->cap) {
		struct ptr_many *grown = realloc(m, sizeof(*m) + 2 * m->cap * sizeof(m->by[0]));
		if (!grown)
			return -1;
		m = grown;
		m->cap *= 2;
		*slot = (void *)((uintptr_t)m | 1);
	}
	m->by[m->n++] = o;
	return 0;
}

/* ---- one service ------------------------------------------------------ */

static void deps_update(struct zone_sync *z, const char *key, const struct owned *old,
                        const struct owned *new_owned)
{
	void **slot;

	if (old && old->cname_len) {
		slot = bytemap_slot(z->deps, owned_cname(old), old->cname_len, false);
		if (slot) {
			bytemap_remove(*slot, key, strlen(key));
			if (bytemap_count(*slot) == 0)
				free_dep_set(bytemap_remove(z->deps, owned_cname(old),
				                            old->cname_len));
		}
	}
	if (new_owned && new_owned->cname_len) {
		slot = bytemap_slot(z->deps, owned_cname(new_owned), new_owned->cname_len, true);
		if (slot && !*slot)
			*slot = bytemap_new();
		if (slot && *slot)
			bytemap_slot(*slot, key, strlen(key), true);
	}
}

/* A struct owned of the names and pairs encoded in z's buffers and cname
   (cname_len bytes). NULL out of memory. */
static struct owned *owned_make(struct zone_sync *z, const uint8_t *cname, size_t cname_len)
{
	struct owned *o = malloc(sizeof(*o) + z->names.len + z->pairs.len + cname_len);

	if (!o)
		return NULL;
	o->names_len = (uint32_t)z->names.len;
	o->ptrs_len = (uint32_t)z->pairs.len;
	o->cname_len = (uint8_t)cname_len;
	if (z->names.len) /* the buffers are NULL until first used */
		memcpy(o->data, z->names.buf, z->names.len);
	if (z->pairs.len)
		memcpy(o->data + z->names.len, z->pairs.buf, z->pairs.len);
	if (cname_len)
		memcpy(o->data + z->names.len + z->pairs.len, cname, cname_len);
	return o;
}

/* Puts the cluster names of set into the table and encodes what the
   service owns into a new struct owned (NULL on allocation failure). */
static struct owned *put_names(struct zone_sync *z, struct records_set *set,
                               struct pending *p)
{
	const struct records_name *prev = NULL, *first = NULL;
	const uint8_t *cname = NULL;
	size_t i, cname_len = 0;
	size_t n_zones = z->cfg->n_zones;
	uint32_t r;
	bool folded;

	z->names.len = 0;
	z->pairs.len = 0;
	bytemap_clear(z->folded, NULL);
	for (i = 0; i < records_name_count(set); i++) {
		const struct records_name *name = records_name_at(set, i);

		if (name->zone >= n_zones)
			continue;
		folded = answer_build_folded(set, name);
		if (!folded && answer_build_put(z->builder, z->table, set, name) < 0)
			return NULL;
		name_changed(z, p, name->owner, name->owner_len);
		if (folded) {
			/* In the service's own node: goes with it. */
			if (!bytemap_slot(z->folded, name->owner, name->owner_len, true))
				return NULL;
			continue;
		}
		if (name_encode(&z->names, name->owner, name->owner_len,
		                prev ? prev->owner : NULL, prev ? prev->owner_len : 0) < 0)
			return NULL;
		if (!first)
			first = name;
		prev = name;
		for (r = 0; r < name->n_records && !cname; r++) {
			const struct record *rec = &name->records[r];
			int tz;
			if (rec->type != RR_TYPE_CNAME)
				continue;
			tz = records_zone_of(set, rec->rdata, rec->rdlen);
			if (tz >= 0 && (size_t)tz < n_zones) {
				cname = rec->rdata;
				cname_len = rec->rdlen;
			}
		}
	}
	for (i = 0; i < records_name_count(set); i++) {
		const struct records_name *name = records_name_at(set, i);
		uint8_t key[DNAME_MAX], key_len;

		if (name->zone < n_zones)
			continue;
		key_len = (uint8_t)rev_key(name->owner, name->owner_len, key);
		for (r = 0; r < name->n_records; r++) {
			const struct record *rec = &name->records[r];
			if (rec->type != RR_TYPE_PTR)
				continue;
			if (blob_put(&z->pairs, &key_len, 1) < 0 ||
			    blob_put(&z->pairs, key, key_len) < 0 ||
			    name_encode(&z->pairs, rec->rdata, rec->rdlen,
			                first ? first->owner : NULL, first ? first->owner_len : 0) < 0)
				return NULL;
		}
	}
	return owned_make(z, cname, cname_len);
}

/* Where read_link appends pairs, for owned_from_table. */
struct link_reader {
	struct zone_sync *z;
	const uint8_t *name; /* the service's, which targets are stored against */
	size_t len;
	bool oom;
};

/* Appends the pair of one link (answer_table_node_links callback). */
static void read_link(void *ctx, const struct kube_ip *ip, const uint8_t *target,
                      size_t target_len)
{
	struct link_reader *r = ctx;
	uint8_t key[DNAME_MAX], key_len = (uint8_t)ip_key(ip, key);

	if (blob_put(&r->z->pairs, &key_len, 1) < 0 || blob_put(&r->z->pairs, key, key_len) < 0 ||
	    name_encode(&r->z->pairs, target, target_len, r->name, r->len) < 0)
		r->oom = true;
}

/* What a service that is one node with its links put (a ClusterIP
   service's compact node, or a headless service's node, with their
   endpoints' names), read back from the table instead of kept: its name, and for
   each address whose reverse name the node links, that name's PTR to the
   node's name or host. name: the service's name in the first zone (len 0:
   none); pods are never read back. Sets *out (NULL when the name has no
   such node). Returns 0, or -1 out of memory. */
static int owned_from_table(struct zone_sync *z, const uint8_t *name, size_t len,
                            struct owned **out)
{
	struct link_reader r = {z, name, len, false};

	*out = NULL;
	z->names.len = 0;
	z->pairs.len = 0;
	if (!len || answer_table_node_links(z->table, name, len, read_link, &r) < 0)
		return 0;
	if (r.oom || name_encode(&z->names, name, len, NULL, 0) < 0)
		return -1;
	*out = owned_make(z, NULL, 0);
	return *out ? 0 : -1;
}

/* Whether the service's node says all that o, what the service just put
   (set) and named name (len bytes), says, so that o need not be kept
   (answer_table_node_links reads it back): o's one name is that node's,
   which links reverse names (answer_build_links), and each of o's
   reverse names is answered by a link. */
static bool node_describes(const struct zone_sync *z, const struct records_set *set,
                           const struct owned *o, const uint8_t *name, size_t len)
{
	const struct records_name *svc = len ? records_find(set, name, len) : NULL;
	size_t i;

	if (!svc || o->cname_len || o->names_len != 2 + len ||
	    memcmp(o->data + 2, name, len) != 0 || !answer_build_links(set, svc))
		return false;
	for (i = 0; i < records_name_count(set); i++) {
		const struct records_name *rev = records_name_at(set, i);

		if (rev->zone >= z->cfg->n_zones && !answer_build_folded(set, rev))
			return false;
	}
	return true;
}

/* Whether set has name among its cluster names. */
static bool set_has(const struct zone_sync *z, const struct records_set *set,
                    const uint8_t *name, size_t len)
{
	const struct records_name *n = records_find(set, name, len);

	return n && n->zone < z->cfg->n_zones;
}

/* Fills z->scratch with the records of what key names ("ns/svc" a
   Service, "ns//pod" a Pod, whose records exist only with --pods
   verified, "ns/+name" a ServiceImport, named in the multicluster zones)
   as the cache holds it now (none when it is gone), and name with the
   name the table may describe it by (name_len 0: none). Returns 0, 1 when
   key has no records to keep (an import without multicluster zones), or
   -1 on allocation failure. */
static int records_of_key(struct zone_sync *z, struct svc_cache *cache, const char *key,
                          bool *exists, uint8_t *name, size_t *name_len)
{
	char ns[300];
	const char *slash = strchr(key, '/'), *svc = slash ? slash + 1 : NULL;
	const struct kube_object *obj;
	struct records_set *set = z->scratch;
	size_t owner_zone = 0;

	if (!slash || (size_t)(slash - key) >= sizeof(ns))
		return 1;
	memcpy(ns, key, (size_t)(slash - key));
	ns[slash - key] = '\0';
	if (svc[0] == '/') {
		obj = z->cfg->pods == RECORDS_PODS_VERIFIED
		              ? svc_cache_get(cache, KUBE_KIND_POD, ns, svc + 1)
		              : NULL;
	} else if (svc[0] == '+') {
		if (z->cfg->n_multicluster == 0)
			return 1;
		svc++;
		owner_zone = z->cfg->n_zones - z->cfg->n_multicluster;
		obj = svc_cache_get(cache, KUBE_KIND_SERVICEIMPORT, ns, svc);
	} else {
		obj = svc_cache_get(cache, KUBE_KIND_SERVICE, ns, svc);
	}
	if (records_clear(set) < 0)
		return -1;
	if (obj && obj->kind == KUBE_KIND_POD)
		records_add_pod(set, obj);
	else if (obj && obj->kind == KUBE_KIND_SERVICEIMPORT)
		records_add_service_import(set, cache, obj);
	else if (obj)
		records_add_service(set, cache, obj);
	if (records_failed(set) || records_finish(set) < 0)
		return -1;
	*exists = obj != NULL;
	*name_len = slash[1] == '/' ? 0 : records_service_owner(set, owner_zone, ns, svc, name);
	return 0;
}

/* Deletes the names old has that set no longer puts as nodes of their own. */
static void delete_gone(struct zone_sync *z, const struct records_set *set,
                        const struct owned *old, struct pending *p)
{
	struct name_cursor c;

	cursor_init(&c, old->data, old->names_len);
	while (cursor_next(&c)) {
		if (set_has(z, set, c.name, c.len) && !bytemap_slot(z->folded, c.name, c.len, false))
			continue;
		answer_table_delete(z->table, c.name, c.len);
		name_changed(z, p, c.name, c.len);
	}
}

/* The reverse names a service changed from old (stored: as kept here) to
   o (kept when keep; put from set): its contributors updated, every
   reverse name it had or has rebuilt from them. */
static int settle_ptrs(struct zone_sync *z, const struct records_set *set,
                       const struct owned *o, bool keep, const struct owned *old,
                       const struct owned *stored)
{
	const uint8_t *at, *next, *rev;
	size_t rev_len;
	int rc = 0;

	/* The contributors z->ptrs knows are the kept owners; the others are
	   the table's links, which put_names already changed. */
	for (at = stored ? pairs_begin(stored) : NULL; at && at < pairs_end(stored); at = next) {
		next = group_next(stored, at, &rev, &rev_len);
		ptr_forget(z, stored, rev, rev_len);
	}
	for (at = keep ? pairs_begin(o) : NULL; rc == 0 && at && at < pairs_end(o); at = next) {
		next = group_next(o, at, &rev, &rev_len);
		if (!group_linked(set, rev, rev_len))
			rc = ptr_remember(z, o, rev, rev_len);
	}
	/* set is scratch for ptr_settle from here on. */
	for (at = pairs_begin(o); rc == 0 && at < pairs_end(o); at = next) {
		next = group_next(o, at, &rev, &rev_len);
		rc = ptr_settle(z, rev, rev_len);
	}
	for (at = old ? pairs_begin(old) : NULL; rc == 0 && at && at < pairs_end(old);
	     at = next) {
		next = group_next(old, at, &rev, &rev_len);
		if (!pair_find(z, o, rev, rev_len))
			rc = ptr_settle(z, rev, rev_len);
	}
	return rc;
}

/* fresh: the table cannot hold anything of the service yet (the first
   visit of the first apply), so there is nothing old to look up. */
static int update_service(struct zone_sync *z, struct svc_cache *cache,
                          const char *key, struct pending *p, bool fresh)
{
	struct records_set *set = z->scratch;
	struct owned *o, *old = NULL, *stored = NULL;
	void **slot = NULL;
	uint8_t name[DNAME_MAX];
	size_t name_len;
	bool exists = false, keep;
	int rc = records_of_key(z, cache, key, &exists, name, &name_len);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	slot = fresh ? NULL : bytemap_slot(z->owned, key, strlen(key), false);
	if (slot)
		stored = old = *slot;
	else if (!fresh && owned_from_table(z, name, name_len, &old) < 0)
		return -1;
	o = put_names(z, set, p);
	if (!o) {
		if (old != stored)
			owned_release(z, old);
		return -1;
	}
	/* Kept unless its node shows it all (a service of one compact node). */
	keep = exists && (o->names_len || o->ptrs_len) && !node_describes(z, set, o, name, name_len);
	slot = keep ? bytemap_slot(z->owned, key, strlen(key), true) : NULL;
	if (keep && !slot) {
		owned_release(z, o);
		if (old != stored)
			owned_release(z, old);
		return -1; /* the table has the new names; redone next time */
	}
	if (old)
		delete_gone(z, set, old, p);
	rc = settle_ptrs(z, set, o, keep, old, stored);
	deps_update(z, key, old, exists ? o : NULL);
	if (keep) {
		*slot = o;
	} else {
		bytemap_remove(z->owned, key, strlen(key));
		owned_release(z, o);
	}
	owned_release(z, old);
	return rc;
}

static int update_namespace(struct zone_sync *z, struct svc_cache *cache,
                            uint32_t serial, const char *ns)
{
	struct records_set *set = z->scratch;
	size_t i;
	int rc = 0;

	(void)serial;
	if (records_clear(set) < 0)
		return -1;
	records_add_namespace(set, ns);
	if (records_failed(set) || records_finish(set) < 0)
		return -1;
	for (i = 0; i < records_name_count(set) && rc == 0; i++) {
		const struct records_name *name = records_name_at(set, i);
		if (svc_cache_namespace_exists(cache, ns))
			rc = put_name(z, set, name);
		else
			answer_table_delete(z->table, name->owner, name->owner_len);
	}
	return rc;
}

/* The apex names carry the SOA, whose serial changes with every apply. */
static int update_apex(struct zone_sync *z, uint32_t serial)
{
	struct records_set *set;
	char err[128];
	size_t i;
	int rc = 0;

	set = records_new(z->cfg, serial, err, sizeof(err));
	if (!set)
		return -1;
	records_add_apex(set);
	if (records_failed(set) || records_finish(set) < 0) {
		records_set_free(set);
		return -1;
	}
	for (i = 0; i < records_name_count(set) && rc == 0; i++)
		rc = put_name(z, set, records_name_at(set, i));
	answer_table_set_soa(z->table, set);
	records_set_free(set);
	return rc;
}

long zone_sync_apply(struct zone_sync *z, struct svc_cache *cache, uint32_t serial,
                     char *err, size_t errlen)
{
	struct pending p;
	size_t i, drained;
	long done = 0;
	int rc = 0;

	memset(&p, 0, sizeof(p));
	p.seen = bytemap_new();
	if (!p.seen) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	svc_cache_drain_changes(cache, on_change, &p);
	drained = p.n; /* keys after these are dependents, maybe visited before */
	/* A service has up to about four names (itself, PTRs, endpoint names,
	   the SRV names of a headless one). */
	answer_table_reserve(z->table, answer_table_entries(z->table) + 4 * p.n);
	/* Dependents discovered while working join the end of the list. */
	for (i = 0; i < p.n && rc == 0; i++) {
		char key[600]; /* a copy: the block moves when dependents are queued */
		const char *queued = (const char *)p.keys.buf + p.offs[i];

		memcpy(key, queued, strlen(queued) + 1); /* on_change kept it short */
		p.next = i + 1;
		if (strchr(key, '/')) {
			rc = update_service(z, cache, key, &p, !z->applied && i < drained);
			done++;
		} else {
			rc = update_namespace(z, cache, serial, key);
		}
	}
	z->applied = true;
	if (rc == 0)
		rc = update_apex(z, serial);
	if (rc < 0 || p.oom)
		snprintf(err, errlen, "out of memory applying changes");
	free(p.keys.buf);
	free(p.offs);
	bytemap_free(p.seen, NULL);
	return rc < 0 || p.oom ? -1 : done;
}
