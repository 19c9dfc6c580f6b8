/* answer_node.h - the one description of an answer node's bytes (for
 * the answer_* modules only): a prebuilt node (each type's answer
 * records, encoded), a compact service node (addresses and SRV heads,
 * answers written at lookup), the hosts block of a service's node, and
 * the reverse links at a node's end that answer PTRs; with the inline
 * readers of each. Nodes are entries of answer_table's RCU hash table.
 *
 * Ownership: nodes belong to their answer_table; the views here point
 * into a node and last as long as it does (an RCU read-side section). */
#ifndef SVCDNS_ANSWER_NODE_H
#define SVCDNS_ANSWER_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <urcu/rculfhash.h>

#include "answer_lookup.h"
#include "dname.h"

#define QTYPE_ANY_NAME 0 /* the CNAME answer, for any type */
#define MAX_TYPES 16
#define NODE_CNAME 0x01
#define NODE_COMPACT 0x02 /* a service node, answers written at lookup */
/* A prebuilt service node whose SRV answer is also one of its _port._proto
   names' (a headless service with one named port): that name's labels
   end the node (then their length), and it has no node of its own. */
#define NODE_SRV_ALIAS 0x04
/* The most SRV records such a node answers for its _port._proto name: the
   answer's compression pointers move by the name's extra labels, and must
   stay under 16 KiB. */
#define ALIAS_SRV_MAX 32
/* A service node (prebuilt or compact) that also answers the names one
   label below it whose records are only addresses (its endpoints'
   hostnames or dashed addresses) and links their reverse names: a hosts
   block (hosts_view) and its links at its end. Those names have no node
   of their own: 50k fewer nodes at 100k services, 200k in a cluster whose
   ClusterIP services have two endpoints each. */
#define NODE_HOSTS 0x08

/* A compact node's limits: its longest answer, its SRV records (each
   target spelled out) and the glue, must fit answer_ref's scratch
   (compact_shape). Larger services are prebuilt. */
#define COMPACT_ADDRS_MAX 8 /* more: a prebuilt node */
/* A hosts block's limits. A link's tag numbers its address in 7 bits: a
   compact node's own addresses first, then (from COMPACT_ADDRS_MAX) the
   hosts'. */
#define HOSTS_MAX 255
#define HOSTS_ADDRS_MAX (127 - COMPACT_ADDRS_MAX)
#define COMPACT_SRV_MAX 32
_Static_assert(18 + DNAME_MAX + COMPACT_ADDRS_MAX * 28 <= ANSWER_SCRATCH,
               "a compact node with one SRV record fits answer_ref's scratch");
_Static_assert(COMPACT_SRV_MAX + COMPACT_ADDRS_MAX <= ANSWER_SCRATCH_RECORDS,
               "compact answers' records fit answer_ref's scratch_ends");

/* One type's prebuilt answer inside its node's block. The record ends
   (an + ar of them, 2-byte aligned) sit just before the body. */
struct rrset_answer {
	uint16_t qtype;
	uint16_t an, ar;
	uint16_t pad;
	uint32_t body_off; /* from the node's first byte */
	uint32_t body_len;
};

/* One allocation per owner name: this header, the types, the name (only
   the labels before its zone's apex: the zone index says the rest), then
   each type's record ends and body. A compact node (NODE_COMPACT, no
   types) has its service's data after the name instead (compact_view).
   Kept small: at 100k services the table holds ~300k nodes. No rcu_head: replaced nodes go to the table's retired
   list and are freed together after one grace period (answer_table_reclaim). */
struct answer_node {
	struct cds_lfht_node lfht;
	uint32_t bytes; /* size of the allocation */
	uint8_t name_len; /* of the labels before the zone apex */
	uint8_t zone;
	uint8_t n_types;
	uint8_t flags;
	struct rrset_answer types[];
};

/* A compact node's reverse name (in-addr.arpa or ip6.arpa) for one of its
   addresses, when that PTR has the node's name as its only target: an
   entry of the hash table inside the node (at its end), so a PTR costs 24
   bytes instead of a node of its own. Where an answer_node has its byte
   count, a link has LINK_TAG, the address's index in the node (A then
   AAAA) and its own offset from the node's first byte. A node of the
   name, put when several services share the address, comes first. */
struct rev_link {
	struct cds_lfht_node lfht;
	uint32_t tag;
};
#define LINK_TAG 0x80000000u
#define LINK_OFF_MASK 0x00FFFFFFu
_Static_assert(offsetof(struct answer_node, bytes) == offsetof(struct rev_link, tag),
               "a hash entry's first word says whether it is a node or a link");

static inline uint32_t entry_tag(const struct cds_lfht_node *ht_node)
{
	uint32_t tag;

	memcpy(&tag, (const uint8_t *)ht_node + offsetof(struct rev_link, tag), sizeof(tag));
	return tag;
}

static inline const struct answer_node *link_owner(const struct cds_lfht_node *ht_node,
                                                   uint32_t tag)
{
	return (const struct answer_node *)(const void *)((const uint8_t *)ht_node -
	                                                  (tag & LINK_OFF_MASK));
}

static inline const uint8_t *node_name(const struct answer_node *n)
{
	return (const uint8_t *)&n->types[n->n_types];
}

static inline const uint8_t *rr_body(const struct answer_node *n,
                                     const struct rrset_answer *rr)
{
	return (const uint8_t *)n + rr->body_off;
}

static inline const uint16_t *rr_ends(const struct answer_node *n,
                                      const struct rrset_answer *rr)
{
	return (const uint16_t *)(const void *)((const uint8_t *)n + rr->body_off) -
	       (rr->an + rr->ar);
}

/* A compact node's data, after its name: ttl (4 bytes, wire order), the
   counts n4 n6 n_srv n_sub (1 byte each), n4 IPv4 and n6 IPv6 addresses,
   n_srv SRV rdata heads (priority, weight, port: 6 bytes; the target is
   the node's own name), then n_sub _port._proto names, each [prefix
   length][the two labels][count][count SRV heads]. */
struct compact_view {
	const uint8_t *ttl;
	uint8_t n4, n6, n_srv, n_sub;
	const uint8_t *a, *aaaa, *srv, *subs;
};

static inline void compact_view(const struct answer_node *n, struct compact_view *v)
{
	const uint8_t *p = node_name(n) + n->name_len;

	v->ttl = p;
	v->n4 = p[4];
	v->n6 = p[5];
	v->n_srv = p[6];
	v->n_sub = p[7];
	p += 8;
	v->a = p;
	p += 4 * (size_t)v->n4;
	v->aaaa = p;
	p += 16 * (size_t)v->n6;
	v->srv = p;
	p += 6 * (size_t)v->n_srv;
	v->subs = p;
}

/* Where compact node n's data ends (its hosts block, if any, starts). */
static inline const uint8_t *compact_end(const struct answer_node *n)
{
	struct compact_view v;
	const uint8_t *p;
	uint8_t i;

	compact_view(n, &v);
	for (i = 0, p = v.subs; i < v.n_sub; i++)
		p += 2 + (size_t)p[0] + 6 * (size_t)p[1 + p[0]];
	return p;
}

/* The links at the end of compact node n without hosts (8-byte aligned
   after its data): sets *links, returns how many. */
static inline size_t compact_links(const struct answer_node *n, const struct rev_link **links)
{
	size_t off = ((size_t)(compact_end(n) - (const uint8_t *)n) + 7) & ~(size_t)7;

	*links = (const struct rev_link *)(const void *)((const uint8_t *)n + off);
	return off < n->bytes ? (n->bytes - off) / sizeof(struct rev_link) : 0;
}

/* Address i of compact view v (A addresses first, then AAAA): its bytes,
   *len 4 or 16. */
static inline const uint8_t *compact_addr(const struct compact_view *v, size_t i, size_t *len)
{
	*len = i < v->n4 ? 4 : 16;
	return i < v->n4 ? v->a + 4 * i : v->aaaa + 16 * (i - v->n4);
}

/* The labels in the first rel bytes of a name. */
static inline size_t labels_in(const uint8_t *name, size_t rel)
{
	size_t at = 0, n = 0;

	while (at < rel && name[at]) {
		at += 1 + (size_t)name[at];
		n++;
	}
	return n;
}

/* A NODE_HOSTS node's hosts block, after its name (a prebuilt node) or
   its data (a compact one): the counts n_hosts n4 n6 n_links (1 byte
   each; n_links counts all the node's links), the links' offset from the
   node's first byte (4 bytes, host order), n4 IPv4 then n6 IPv6
   addresses (each host's in turn), then per host [label length][label]
   [ttl: 4 bytes, wire order][its IPv4 count][its IPv6 count]. */
struct hosts_view {
	uint8_t n_hosts, n4, n6, n_links;
	uint32_t links_at;
	const uint8_t *a, *aaaa, *hosts;
};

#define HOSTS_HEAD 8
#define HOST_FIXED 7 /* a host's bytes besides its label */

static inline void hosts_view(const struct answer_node *n, struct hosts_view *v)
{
	const uint8_t *p = n->flags & NODE_COMPACT ? compact_end(n) : node_name(n) + n->name_len;

	v->n_hosts = p[0];
	v->n4 = p[1];
	v->n6 = p[2];
	v->n_links = p[3];
	memcpy(&v->links_at, p + 4, 4);
	v->a = p + HOSTS_HEAD;
	v->aaaa = v->a + 4 * (size_t)v->n4;
	v->hosts = v->aaaa + 16 * (size_t)v->n6;
}

/* Host i of v as a compact view of its own (addresses only); *label: its
   label, length byte first. Walks from the first: blocks are small. */
static inline void host_at(const struct hosts_view *v, size_t i, struct compact_view *h,
                    const uint8_t **label)
{
	const uint8_t *p = v->hosts;
	size_t k, before4 = 0, before6 = 0;

	for (k = 0; k < i; k++) {
		const uint8_t *ttl = p + 1 + p[0];

		before4 += ttl[4];
		before6 += ttl[5];
		p = ttl + 6;
	}
	memset(h, 0, sizeof(*h));
	*label = p;
	h->ttl = p + 1 + p[0];
	h->n4 = h->ttl[4];
	h->n6 = h->ttl[5];
	h->a = v->a + 4 * before4;
	h->aaaa = v->aaaa + 16 * before6;
}

/* The host of v labelled label (length byte first, lower case) as
   host_at gives it. Returns false when v has none. */
static inline bool host_find(const struct hosts_view *v, const uint8_t *label,
                      struct compact_view *h)
{
	const uint8_t *p = v->hosts, *found;
	size_t k;

	for (k = 0; k < v->n_hosts; k++, p += HOST_FIXED + (size_t)p[0]) {
		if (p[0] == label[0] && memcmp(p + 1, label + 1, label[0]) == 0) {
			host_at(v, k, h, &found);
			return true;
		}
	}
	return false;
}

/* The number of the host of v with address number idx (IPv4 first). */
static inline size_t host_of_addr(const struct hosts_view *v, size_t idx)
{
	const uint8_t *p = v->hosts;
	size_t k, seen4 = 0, seen6 = 0;

	for (k = 0; k + 1 < v->n_hosts; k++) {
		const uint8_t *ttl = p + 1 + p[0];

		seen4 += ttl[4];
		seen6 += ttl[5];
		if (idx < v->n4 ? idx < seen4 : idx - v->n4 < seen6)
			break;
		p = ttl + 6;
	}
	return k;
}

/* The links of node n (compact or with hosts): sets *links, returns how
   many. */
static inline size_t node_links(const struct answer_node *n, const struct rev_link **links)
{
	struct hosts_view v;

	if (n->flags & NODE_HOSTS) {
		hosts_view(n, &v);
		*links = (const struct rev_link *)(const void *)((const uint8_t *)n + v.links_at);
		return v.n_links;
	}
	return n->flags & NODE_COMPACT ? compact_links(n, links) : 0;
}

/* The address number a link's tag holds: below COMPACT_ADDRS_MAX one of
   its compact node's own, else a host's (minus COMPACT_ADDRS_MAX). */
static inline size_t link_index(uint32_t tag)
{
	return (tag >> 24) & 0x7F;
}

/* The address whose reverse name a link of n (tag) stands for: its bytes,
   *len 4 or 16. */
static inline const uint8_t *link_addr(const struct answer_node *n, uint32_t tag, size_t *len)
{
	size_t i = link_index(tag);

	if (i >= COMPACT_ADDRS_MAX) {
		struct hosts_view v;

		hosts_view(n, &v);
		i -= COMPACT_ADDRS_MAX;
		*len = i < v.n4 ? 4 : 16;
		return i < v.n4 ? v.a + 4 * i : v.aaaa + 16 * (i - v.n4);
	} else {
		struct compact_view v;

		compact_view(n, &v);
		return compact_addr(&v, i, len);
	}
}

static inline const struct rrset_answer *node_type(const struct answer_node *n, uint16_t qtype)
{
	uint8_t i;

	for (i = 0; i < n->n_types; i++)
		if (n->types[i].qtype == qtype)
			return &n->types[i];
	return NULL;
}

/* The CNAME target written in a CNAME node's first record (uncompressed:
   nothing precedes it to point at). Returns its length or 0. */
static inline size_t node_cname_target(const struct answer_node *n, const uint8_t **target)
{
	const struct rrset_answer *rr = node_type(n, QTYPE_ANY_NAME);
	const uint8_t *body;
	size_t pos = 12, len = 0;

	if (!rr || rr->an == 0 || rr->body_len < 13)
		return 0;
	body = rr_body(n, rr);
	while (pos < rr_ends(n, rr)[0]) {
		uint8_t l = body[pos];
		if (l & 0xC0)
			return 0;
		len += (size_t)l + 1;
		pos += (size_t)l + 1;
		if (l == 0) {
			*target = body + 12;
			return len;
		}
	}
	return 0;
}

/* The length of the two labels starting with '_' that begin name, or 0. */
static inline size_t srv_prefix_len(const uint8_t *name, size_t len)
{
	size_t second;

	if (len < 2 || name[0] == 0 || name[1] != '_')
		return 0;
	second = 1 + (size_t)name[0];
	if (second + 1 >= len || name[second] == 0 || name[second + 1] != '_')
		return 0;
	second += 1 + (size_t)name[second];
	return second < len ? second : 0;
}

#endif
