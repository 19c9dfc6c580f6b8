/* answer_table.c - every answer svcdns can give, encoded when the data
 * changes. One node per owner name holds the wire answers of each of its
 * types; nodes live in a liburcu lock-free hash table (cds_lfht), so the
 * writer replaces one name at a time while query threads read without
 * locks, and a replaced node is freed after an RCU grace period. The query
 * path hashes the lower-case name, finds the node and copies the bytes
 * behind the client's own question. What a node's bytes are is
 * answer_node.h's; this file builds nodes, indexes them and answers from
 * them. */
#include "answer_table.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <urcu.h>
#include <urcu/rculfhash.h>

#include "bytemap.h"
#include "dname.h"
#include "records.h"
#include "answer_encode.h"
#include "rcu_thread.h"
#include "answer_node.h"

#define MAX_CNAME_CHAIN 8
/* A compact node's _port._proto names are found by scanning the set it
   comes from: only in sets of one service, never a whole cluster's. */
#define FOLD_SET_MAX 256

struct zone_soa {
	struct rcu_head rcu;
	uint16_t len;
	uint8_t bytes[10 + 2 * DNAME_MAX + 20]; /* type..rdata, owner omitted */
};

struct zone_info {
	uint8_t name[DNAME_MAX];
	uint8_t name_len;
	bool reverse;
	bool multicluster; /* a --multicluster zone */
	struct zone_soa *soa; /* RCU-published */
};

struct answer_table {
	struct cds_lfht *ht;
	unsigned long buckets;
	size_t n_nodes, n_bytes;
	size_t n_links; /* hash entries besides the nodes (struct rev_link) */
	/* Bit d: some NODE_HOSTS node has hosts d labels below its zone's
	   apex (never cleared). A miss of another depth skips find_host. */
	uint32_t host_depths;
	struct zone_info *zones;
	size_t n_zones;
	bool pods_insecure;
	uint32_t ttl;
	struct answer_encoder *enc; /* writer's scratch space */
	struct node_draft *draft;
	struct bytemap *glue_seen;    /* writer's scratch: glue targets done */
	struct answer_node **retired; /* unlinked, freed after a grace period */
	size_t n_retired, cap_retired;
};


static const struct answer_node *find_node(const struct answer_table *t, uint32_t hash,
                                           const uint8_t *name, size_t len);
static int zone_of(const struct answer_table *t, const uint8_t *name, size_t len);

/* lname is a host that a NODE_HOSTS node answers (the name one label
   up): that node, and *h the host's addresses. Else NULL. */
static const struct answer_node *find_host(const struct answer_table *t,
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

/* a-b-c-d.<ns>.pod.<zone>: the label spells the address (kube-dns's
   "insecure" pod records). Returns true and sets ip when it parses. */
static bool pod_address(const uint8_t *name, size_t len, size_t zone_len,
                        struct kube_ip *ip)
{
	char text[64];
	size_t n = name[0], i, dashes = 0, p2, p3;
	bool double_dash = false;

	if (n == 0 || n >= sizeof(text) || 1 + n >= len)
		return false;
	p2 = 1 + n;                       /* namespace label */
	p3 = p2 + 1 + name[p2];           /* "pod" label */
	if (name[p2] == 0 || p3 + 4 > len || name[p3] != 3 ||
	    memcmp(name + p3 + 1, "pod", 3) != 0 || len - (p3 + 4) != zone_len)
		return false;
	for (i = 0; i < n; i++) {
		char c = (char)name[1 + i];
		if (c == '-') {
			dashes++;
			if (i > 0 && name[i] == '-')
				double_dash = true;
		}
		text[i] = c;
	}
	text[n] = '\0';
	if (dashes == 3 && !double_dash) {
		for (i = 0; i < n; i++)
			if (text[i] == '-')
				text[i] = '.';
		return kube_ip_parse(text, ip) == 0 && ip->family == AF_INET;
	}
	for (i = 0; i < n; i++)
		if (text[i] == '-')
			text[i] = ':';
	return kube_ip_parse(text, ip) == 0 && ip->family == AF_INET6;
}

/* Whether name (len bytes, in a zone of zone_len bytes) is <ns>.pod.<zone>. */
static bool is_pod_namespace(const uint8_t *name, size_t len, size_t zone_len)
{
	size_t p2 = 1 + (size_t)name[0];

	return name[0] != 0 && p2 + 4 + zone_len == len && name[p2] == 3 &&
	       memcmp(name + p2 + 1, "pod", 3) == 0;
}

/* ---- nodes -------------------------------------------------------------- */

/* The parts of a node being assembled before it is copied into one block. */
/* The parts of a node being assembled before it is copied into one block.
   Bodies and record ends go to scratch buffers kept for the next name. */
struct node_draft {
	struct {
		uint16_t qtype, an, ar;
		size_t body_off;
		uint32_t body_len;
		size_t ends_off, n_ends;
	} types[MAX_TYPES];
	size_t n_types;
	uint8_t *buf;       /* bodies */
	size_t len, cap;
	uint16_t *ends;     /* record ends */
	size_t n_ends, cap_ends;
};

static int draft_reserve(struct node_draft *d, size_t bytes, size_t ends)
{
	if (d->len + bytes > d->cap) {
		size_t cap = d->cap ? d->cap : 4096;
		uint8_t *grown;
		while (cap < d->len + bytes)
			cap *= 2;
		grown = realloc(d->buf, cap);
		if (!grown)
			return -1;
		d->buf = grown;
		d->cap = cap;
	}
	if (d->n_ends + ends > d->cap_ends) {
		size_t cap = d->cap_ends ? d->cap_ends : 256;
		uint16_t *grown;
		while (cap < d->n_ends + ends)
			cap *= 2;
		grown = realloc(d->ends, cap * sizeof(*grown));
		if (!grown)
			return -1;
		d->ends = grown;
		d->cap_ends = cap;
	}
	return 0;
}

/* Takes the encoder's current body as the answer to qtype. */
static int draft_add(struct node_draft *d, struct answer_encoder *e, uint16_t qtype,
                     uint16_t an, uint16_t ar)
{
	size_t i = d->n_types;

	if (i >= MAX_TYPES)
		return 0; /* more types than any cluster name has: drop extras */
	if (e->overflow) {
		/* Larger than any message: keep what fits in 64 KiB. */
		size_t keep = 0, n;
		for (n = 0; n < e->n_recs && e->ends[n] <= 65535 - e->base; n++)
			keep = e->ends[n];
		e->len = keep;
		e->n_recs = n;
		e->overflow = false;
		if (an > n)
			an = (uint16_t)n;
		ar = (uint16_t)(n - an);
	}
	if (draft_reserve(d, e->len, e->n_recs) < 0)
		return -1;
	d->types[i].qtype = qtype;
	d->types[i].an = an;
	d->types[i].ar = ar;
	d->types[i].body_off = d->len;
	d->types[i].body_len = (uint32_t)e->len;
	d->types[i].ends_off = d->n_ends;
	d->types[i].n_ends = e->n_recs;
	memcpy(d->buf + d->len, e->buf, e->len);
	d->len += e->len;
	memcpy(d->ends + d->n_ends, e->ends, e->n_recs * sizeof(uint16_t));
	d->n_ends += e->n_recs;
	d->n_types++;
	return 0;
}

static bool has_type(const struct records_name *name, uint16_t type)
{
	uint32_t i;

	for (i = 0; i < name->n_records; i++)
		if (name->records[i].type == type)
			return true;
	return false;
}

static const struct record *first_of(const struct records_name *name, uint16_t type)
{
	uint32_t i;

	for (i = 0; i < name->n_records; i++)
		if (name->records[i].type == type)
			return &name->records[i];
	return NULL;
}

static const struct rrset_answer *node_type(const struct answer_node *n, uint16_t qtype)
{
	uint8_t i;

	for (i = 0; i < n->n_types; i++)
		if (n->types[i].qtype == qtype)
			return &n->types[i];
	return NULL;
}

/* enc_from_node for a compact node or a host (view v): its addresses of
   type qtype. */
static uint16_t enc_from_compact(struct answer_encoder *e, const struct compact_view *v,
                                 uint16_t qtype, const uint8_t *owner, size_t olen)
{
	const uint8_t *rdata;
	size_t rdlen;
	uint16_t i, count;

	if (qtype == RR_TYPE_A) {
		count = v->n4;
		rdata = v->a;
		rdlen = 4;
	} else if (qtype == RR_TYPE_AAAA) {
		count = v->n6;
		rdata = v->aaaa;
		rdlen = 16;
	} else {
		return 0;
	}
	for (i = 0; i < count; i++) {
		uint8_t head[10] = {(uint8_t)(qtype >> 8), (uint8_t)qtype, 0, 1};
		memcpy(head + 4, v->ttl, 4);
		head[8] = 0;
		head[9] = (uint8_t)rdlen;
		answer_encode_name(e, owner, olen);
		answer_encode_bytes(e, head, sizeof(head));
		answer_encode_bytes(e, rdata + i * rdlen, rdlen);
		if (!e->overflow && e->n_recs < sizeof(e->ends) / sizeof(e->ends[0]))
			e->ends[e->n_recs++] = (uint16_t)e->len;
	}
	return count;
}

/* Copies the A/AAAA answers of a node already in the table as records of
   owner (used to follow a CNAME into another service's name). */
static uint16_t enc_from_node(struct answer_encoder *e, const struct answer_node *n,
                              uint16_t qtype, const uint8_t *owner, size_t olen)
{
	const struct rrset_answer *rr = node_type(n, qtype);
	const uint16_t *ends;
	uint16_t i, count = 0;

	if (n->flags & NODE_COMPACT) {
		struct compact_view v;

		compact_view(n, &v);
		return enc_from_compact(e, &v, qtype, owner, olen);
	}
	if (!rr || (qtype != RR_TYPE_A && qtype != RR_TYPE_AAAA))
		return 0;
	ends = rr_ends(n, rr);
	for (i = 0; i < rr->an; i++) {
		size_t start = i ? ends[i - 1] : 0;
		/* Each record: owner pointer (2), then type..rdata. */
		answer_encode_name(e, owner, olen);
		answer_encode_bytes(e, rr_body(n, rr) + start + 2, ends[i] - start - 2);
		if (!e->overflow && e->n_recs < sizeof(e->ends) / sizeof(e->ends[0]))
			e->ends[e->n_recs++] = (uint16_t)e->len;
		count++;
	}
	return count;
}

/* The CNAME target written in a CNAME node's first record (uncompressed:
   nothing precedes it to point at). Returns its length or 0. */
static size_t node_cname_target(const struct answer_node *n, const uint8_t **target)
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

/* A CNAME name answers every type: the CNAME, then for A and AAAA the
   target's addresses when the target is ours, following chains. */
static int draft_cname(struct answer_table *t, struct node_draft *d,
                       const struct records_set *set, const struct records_name *name)
{
	/* Only addresses follow the CNAME into the zone: CoreDNS never answers
	   SRV for an ExternalName service, and a target in another batch (the
	   usual case: zone_sync puts one service at a time) gives A and AAAA
	   only, so a CNAME put with its target in the same set must too. */
	static const uint16_t types[] = {QTYPE_ANY_NAME, RR_TYPE_A, RR_TYPE_AAAA};
	struct answer_encoder *enc = t->enc;
	size_t k;

	for (k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
		const struct records_name *cur = name;
		uint16_t an = 0, hops;
		bool final_has = false;
		const struct record *cn = first_of(name, RR_TYPE_CNAME);
		const uint8_t *target = cn->rdata;
		size_t target_len = cn->rdlen;

		answer_encode_init(enc, name->owner, name->owner_len);
		answer_encode_record(enc, name->owner, name->owner_len, cn);
		an++;
		for (hops = 0; hops < MAX_CNAME_CHAIN && types[k] != QTYPE_ANY_NAME; hops++) {
			const struct answer_node *n;
			cur = records_find(set, target, target_len);
			if (cur) {
				const struct record *next = first_of(cur, RR_TYPE_CNAME);
				if (!next) {
					uint16_t got = answer_encode_rrset(enc, cur, types[k]);
					an = (uint16_t)(an + got);
					final_has = got > 0;
					break;
				}
				answer_encode_record(enc, cur->owner, cur->owner_len, next);
				an++;
				target = next->rdata;
				target_len = next->rdlen;
				continue;
			}
			/* Not in this batch: another service's name in the table,
			   or a host its node answers. */
			n = find_node(t, bytemap_hash(target, target_len), target, target_len);
			if (!n) {
				struct compact_view host;
				uint16_t got = 0;

				if (find_host(t, target, target_len, &host))
					got = enc_from_compact(enc, &host, types[k], target,
					                       target_len);
				an = (uint16_t)(an + got);
				final_has = got > 0;
				break;
			}
			if (n->flags & NODE_CNAME) {
				const uint8_t *next;
				size_t next_len = node_cname_target(n, &next);
				struct record r = {RR_TYPE_CNAME, (uint16_t)next_len, t->ttl, next};
				if (!next_len)
					break;
				answer_encode_record(enc, target, target_len, &r);
				an++;
				target = next;
				target_len = next_len;
				continue;
			}
			{
				uint16_t got = enc_from_node(enc, n, types[k], target, target_len);
				an = (uint16_t)(an + got);
				final_has = got > 0;
			}
			break;
		}
		/* Types the target lacks get the plain CNAME answer. */
		if (types[k] != QTYPE_ANY_NAME && !final_has)
			continue;
		if (draft_add(d, enc, types[k], an, 0) < 0)
			return -1;
	}
	return 0;
}

static int draft_name(struct answer_table *t, struct node_draft *d,
                      const struct records_set *set, const struct records_name *name)
{
	struct answer_encoder *enc = t->enc;
	uint32_t i;

	if (has_type(name, RR_TYPE_CNAME))
		return draft_cname(t, d, set, name);
	for (i = 0; i < name->n_records; i++) {
		uint16_t type = name->records[i].type, an, ar;

		if (i > 0 && name->records[i - 1].type == type)
			continue; /* one answer per RRset */
		answer_encode_init(enc, name->owner, name->owner_len);
		an = answer_encode_rrset(enc, name, type);
		ar = answer_encode_glue(enc, t->glue_seen, set, name, type);
		bytemap_clear(t->glue_seen, NULL);
		if (draft_add(d, enc, type, an, ar) < 0)
			return -1;
	}
	return 0;
}

/* A node of size bytes with its header filled in and, after the types,
   its name: the name_len bytes of owner before the zone apex. NULL when
   malloc fails or size does not fit the header. */
static struct answer_node *node_alloc(size_t size, const uint8_t *owner,
                                      size_t name_len, uint8_t zone, size_t n_types,
                                      uint8_t flags)
{
	struct answer_node *n;

	if (size >= LINK_TAG)
		return NULL;
	n = malloc(size);
	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->bytes = (uint32_t)size;
	n->name_len = (uint8_t)name_len;
	n->zone = zone;
	n->n_types = (uint8_t)n_types;
	n->flags = flags;
	memcpy((uint8_t *)node_name(n), owner, name_len);
	return n;
}


/* ---- compact service nodes --------------------------------------------- */

/* What a name's records look like to a compact node. */
struct compact_shape {
	uint32_t ttl;
	size_t n4, n6, n_srv;
};

/* Whether name's records are only addresses and SRV records whose target
   is target, all with one TTL, few enough for a compact node. */
static bool compact_shape(const struct records_name *name, const uint8_t *target,
                          size_t target_len, struct compact_shape *s)
{
	uint32_t i;

	memset(s, 0, sizeof(*s));
	if (name->n_records == 0)
		return false; /* a name without records: its node is small anyway */
	s->ttl = name->records[0].ttl;
	for (i = 0; i < name->n_records; i++) {
		const struct record *r = &name->records[i];

		if (r->ttl != s->ttl)
			return false;
		if (r->type == RR_TYPE_A && r->rdlen == 4)
			s->n4++;
		else if (r->type == RR_TYPE_AAAA && r->rdlen == 16)
			s->n6++;
		else if (r->type == RR_TYPE_SRV && r->rdlen == 6 + target_len &&
		         memcmp(r->rdata + 6, target, target_len) == 0)
			s->n_srv++;
		else
			return false;
	}
	/* The longest answer, every SRV record with its target spelled out
	   and all the glue, must fit answer_ref's scratch. */
	return s->n4 + s->n6 <= COMPACT_ADDRS_MAX && s->n_srv <= COMPACT_SRV_MAX &&
	       s->n_srv * (18 + target_len) + s->n4 * 16 + s->n6 * 28 <= ANSWER_SCRATCH;
}

/* Whether name (of set) becomes a compact service node. */
static bool compact_service(const struct answer_table *t, const struct records_set *set,
                            const struct records_name *name, struct compact_shape *s)
{
	return records_name_count(set) <= FOLD_SET_MAX && name->zone < t->n_zones &&
	       !t->zones[name->zone].reverse &&
	       compact_shape(name, name->owner, name->owner_len, s);
}

/* The length of the two labels starting with '_' that begin name, or 0. */
static size_t srv_prefix_len(const uint8_t *name, size_t len)
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

/* The length of name's _port._proto labels when name is one of the
   compact service svc's (shape s) _port._proto names, whose node answers
   it: only SRV records pointing at svc, with svc's TTL. Else 0. */
static size_t sub_of(const struct records_name *svc, const struct compact_shape *s,
                     const struct records_name *name)
{
	size_t prefix = srv_prefix_len(name->owner, name->owner_len);
	struct compact_shape sub;

	if (!prefix || name->owner_len - prefix != svc->owner_len ||
	    memcmp(name->owner + prefix, svc->owner, svc->owner_len) != 0 ||
	    !compact_shape(name, svc->owner, svc->owner_len, &sub) || sub.n4 || sub.n6 ||
	    sub.ttl != s->ttl)
		return 0;
	return prefix;
}

/* Whether the compact node of svc (shape s) links the reverse name rev
   (rev_len bytes) of one of its addresses: the PTR there has svc as its
   only target, with svc's TTL. */
static bool links_reverse(const struct records_set *set, const struct records_name *svc,
                          const struct compact_shape *s, const uint8_t *rev, size_t rev_len)
{
	const struct records_name *ptr = records_find(set, rev, rev_len);
	const struct record *r;

	if (!ptr || ptr->n_records != 1)
		return false;
	r = &ptr->records[0];
	return r->type == RR_TYPE_PTR && r->ttl == s->ttl && r->rdlen == svc->owner_len &&
	       memcmp(r->rdata, svc->owner, svc->owner_len) == 0;
}

/* ---- hosts of service nodes ---------------------------------------------- */

/* Whether svc's node may answer hosts (NODE_HOSTS): a service's node with
   addresses (not a namespace, not a CNAME), in a cluster zone of a small
   set. */
static bool may_have_hosts(const struct answer_table *t, const struct records_set *set,
                           const struct records_name *svc)
{
	return records_name_count(set) <= FOLD_SET_MAX && svc->zone < t->n_zones &&
	       !t->zones[svc->zone].reverse &&
	       (has_type(svc, RR_TYPE_A) || has_type(svc, RR_TYPE_AAAA)) &&
	       !has_type(svc, RR_TYPE_CNAME);
}

/* Whether name is one label below svc with addresses only (shape *s), as
   a host of svc's node is. */
static bool is_host_of(const struct records_name *svc, const struct records_name *name,
                       struct compact_shape *s)
{
	size_t first = 1 + (size_t)name->owner[0];

	return name->owner[0] != 0 && name->owner[1] != '_' && first < name->owner_len &&
	       name->owner_len - first == svc->owner_len && name->zone == svc->zone &&
	       memcmp(name->owner + first, svc->owner, svc->owner_len) == 0 &&
	       compact_shape(name, NULL, 0, s) && s->n_srv == 0;
}

/* The hosts that svc's node answers: the names of set one label below it
   with addresses only, in set order, all of them or (too many) none. */
struct hosts_plan {
	size_t n_hosts, n4, n6, bytes; /* bytes: of the hosts block */
	size_t n_links;
	uint8_t linked[HOSTS_ADDRS_MAX]; /* address numbers, IPv4 first */
};

/* Fills plan for svc's node (its links too, with links); false when it
   answers no host. */
static bool plan_hosts(const struct answer_table *t, const struct records_set *set,
                       const struct records_name *svc, bool links,
                       struct hosts_plan *plan)
{
	size_t i, n4 = 0, n6 = 0;
	struct compact_shape s;

	memset(plan, 0, sizeof(*plan));
	plan->bytes = HOSTS_HEAD;
	if (!may_have_hosts(t, set, svc))
		return false;
	for (i = 0; i < records_name_count(set); i++) {
		const struct records_name *name = records_name_at(set, i);

		if (!is_host_of(svc, name, &s))
			continue;
		plan->n_hosts++;
		plan->n4 += s.n4;
		plan->n6 += s.n6;
		plan->bytes += HOST_FIXED + name->owner[0] + 4 * s.n4 + 16 * s.n6;
	}
	if (plan->n_hosts == 0 || plan->n_hosts > HOSTS_MAX ||
	    plan->n4 + plan->n6 > HOSTS_ADDRS_MAX)
		return false;
	if (!links)
		return true;
	/* Which reverse names the node links: numbered as stored. */
	for (i = 0; i < records_name_count(set); i++) {
		const struct records_name *name = records_name_at(set, i);
		uint32_t r;

		if (!is_host_of(svc, name, &s))
			continue;
		for (r = 0; r < name->n_records; r++) {
			const struct record *rec = &name->records[r];
			bool v4 = rec->type == RR_TYPE_A;
			uint8_t rev[DNAME_MAX];
			struct kube_ip ip;

			memset(&ip, 0, sizeof(ip));
			ip.family = v4 ? AF_INET : AF_INET6;
			memcpy(ip.bytes, rec->rdata, rec->rdlen);
			if (links_reverse(set, name, &s, rev, dname_reverse(&ip, rev)))
				plan->linked[plan->n_links++] =
					(uint8_t)(v4 ? n4 : plan->n4 + n6);
			if (v4)
				n4++;
			else
				n6++;
		}
	}
	return true;
}

/* Whether name is a host that its service's node answers (shape *s). */
static bool host_folded(const struct answer_table *t, const struct records_set *set,
                        const struct records_name *name, struct compact_shape *s)
{
	size_t first = 1 + (size_t)name->owner[0];
	const struct records_name *svc;
	struct hosts_plan plan;

	if (name->owner[0] == 0 || first >= name->owner_len ||
	    records_name_count(set) > FOLD_SET_MAX)
		return false;
	svc = records_find(set, name->owner + first, name->owner_len - first);
	return svc && is_host_of(svc, name, s) && plan_hosts(t, set, svc, false, &plan);
}

/* Writes plan's hosts block into node n at hosts_at (plan->bytes), and
   the hosts' links after the node's own_links (a compact node's) at
   links_at. */
static void write_hosts(const struct records_set *set, const struct records_name *svc,
                        const struct hosts_plan *plan, struct answer_node *n,
                        size_t hosts_at, size_t own_links, size_t links_at)
{
	uint8_t *p = (uint8_t *)n + hosts_at;
	uint8_t *a = p + HOSTS_HEAD, *aaaa = a + 4 * plan->n4, *h = aaaa + 16 * plan->n6;
	uint32_t at = (uint32_t)links_at;
	struct compact_shape s;
	size_t i;

	for (i = 0; i < plan->n_links; i++) {
		size_t off = links_at + (own_links + i) * sizeof(struct rev_link);
		struct rev_link *l = (struct rev_link *)(void *)((uint8_t *)n + off);

		memset(&l->lfht, 0, sizeof(l->lfht));
		l->tag = LINK_TAG | (uint32_t)(COMPACT_ADDRS_MAX + plan->linked[i]) << 24 |
		         (uint32_t)off;
	}
	p[0] = (uint8_t)plan->n_hosts;
	p[1] = (uint8_t)plan->n4;
	p[2] = (uint8_t)plan->n6;
	p[3] = (uint8_t)(own_links + plan->n_links);
	memcpy(p + 4, &at, 4);
	for (i = 0; i < records_name_count(set); i++) {
		const struct records_name *name = records_name_at(set, i);
		uint32_t r;

		if (!is_host_of(svc, name, &s))
			continue;
		memcpy(h, name->owner, 1 + (size_t)name->owner[0]);
		h += 1 + name->owner[0];
		h[0] = (uint8_t)(s.ttl >> 24);
		h[1] = (uint8_t)(s.ttl >> 16);
		h[2] = (uint8_t)(s.ttl >> 8);
		h[3] = (uint8_t)s.ttl;
		h[4] = (uint8_t)s.n4;
		h[5] = (uint8_t)s.n6;
		h += 6;
		for (r = 0; r < name->n_records; r++) {
			const struct record *rec = &name->records[r];

			if (rec->type == RR_TYPE_A) {
				memcpy(a, rec->rdata, 4);
				a += 4;
			} else {
				memcpy(aaaa, rec->rdata, 16);
				aaaa += 16;
			}
		}
	}
}

/* What a prebuilt node holds besides its types: its name (name_len
   bytes of owner, the labels before the zone apex), whether it is a
   CNAME, the _port._proto labels whose SRV answer is its own (alias,
   alias_len bytes; or NULL) and the hosts it answers (hosts: plan of the
   service svc in set; or NULL). */
struct node_extras {
	const uint8_t *owner;
	size_t name_len;
	uint8_t zone;
	bool cname;
	const uint8_t *alias;
	size_t alias_len;
	const struct hosts_plan *hosts;
	const struct records_set *set;
	const struct records_name *svc;
};

static struct answer_node *node_from_draft(const struct node_draft *d,
                                           const struct node_extras *x)
{
	size_t size = sizeof(struct answer_node) + d->n_types * sizeof(struct rrset_answer);
	size_t i, at, hosts_at = 0, links_at = 0;
	struct answer_node *n;

	size += x->name_len;
	if (x->hosts) {
		hosts_at = size;
		size += x->hosts->bytes;
	}
	for (i = 0; i < d->n_types; i++)
		size += 1 + d->types[i].n_ends * sizeof(uint16_t) + d->types[i].body_len;
	if (x->hosts) {
		links_at = (size + 7) & ~(size_t)7;
		size = links_at + x->hosts->n_links * sizeof(struct rev_link);
	}
	if (x->alias)
		size += x->alias_len + 1;
	if (size > LINK_OFF_MASK)
		return NULL;
	n = node_alloc(size, x->owner, x->name_len, x->zone, d->n_types,
	               (x->cname ? NODE_CNAME : 0) | (x->alias ? NODE_SRV_ALIAS : 0) |
	                       (x->hosts ? NODE_HOSTS : 0));
	if (!n)
		return NULL;
	if (x->alias) {
		memcpy((uint8_t *)n + size - 1 - x->alias_len, x->alias, x->alias_len);
		((uint8_t *)n)[size - 1] = (uint8_t)x->alias_len;
	}
	if (x->hosts)
		write_hosts(x->set, x->svc, x->hosts, n, hosts_at, 0, links_at);
	at = sizeof(struct answer_node) + d->n_types * sizeof(struct rrset_answer) +
	     x->name_len + (x->hosts ? x->hosts->bytes : 0);
	for (i = 0; i < d->n_types; i++) {
		struct rrset_answer *rr = &n->types[i];
		size_t ends_bytes = d->types[i].n_ends * sizeof(uint16_t);

		at += at & 1; /* the ends are uint16_t */
		memcpy((uint8_t *)n + at, d->ends + d->types[i].ends_off, ends_bytes);
		at += ends_bytes;
		rr->qtype = d->types[i].qtype;
		rr->an = d->types[i].an;
		rr->ar = d->types[i].ar;
		rr->pad = 0;
		rr->body_off = (uint32_t)at;
		rr->body_len = d->types[i].body_len;
		memcpy((uint8_t *)n + at, d->buf + d->types[i].body_off, d->types[i].body_len);
		at += d->types[i].body_len;
	}
	return n;
}

/* Whether name is a reverse name that a node in set links: a compact
   node, or the node of a service whose host is the PTR's target. */
static bool ptr_folded(const struct answer_table *t, const struct records_set *set,
                       const struct records_name *name)
{
	const struct records_name *svc;
	struct compact_shape s;
	struct kube_ip ip;
	size_t alen;
	uint32_t i;

	if (name->n_records != 1 || name->records[0].type != RR_TYPE_PTR ||
	    !dname_reverse_parse(name->owner, name->owner_len, &ip))
		return false;
	svc = records_find(set, name->records[0].rdata, name->records[0].rdlen);
	if (!svc || (!compact_service(t, set, svc, &s) && !host_folded(t, set, svc, &s)) ||
	    !links_reverse(set, svc, &s, name->owner, name->owner_len))
		return false;
	alen = ip.family == AF_INET ? 4 : 16;
	for (i = 0; i < svc->n_records; i++)
		if (svc->records[i].type == (alen == 4 ? RR_TYPE_A : RR_TYPE_AAAA) &&
		    memcmp(svc->records[i].rdata, ip.bytes, alen) == 0)
			return true;
	return false;
}

/* Whether name's records are exactly svc's SRV records, in order. */
static bool same_srv(const struct records_name *svc, const struct records_name *name)
{
	uint32_t i, j = 0;

	for (i = 0; i < svc->n_records; i++) {
		const struct record *a = &svc->records[i], *b;

		if (a->type != RR_TYPE_SRV)
			continue;
		if (j == name->n_records)
			return false;
		b = &name->records[j++];
		if (b->type != RR_TYPE_SRV || b->ttl != a->ttl || b->rdlen != a->rdlen ||
		    memcmp(b->rdata, a->rdata, a->rdlen) != 0)
			return false;
	}
	return j == name->n_records && j > 0 && j <= ALIAS_SRV_MAX;
}

/* The _port._proto name of set that prebuilt service node svc answers
   too (NODE_SRV_ALIAS): the first one whose SRV records are svc's own,
   as with a headless service's only named port. NULL when none is, or
   for a compact service (its node folds its names its own way). */
static const struct records_name *srv_alias_of(const struct answer_table *t,
                                               const struct records_set *set,
                                               const struct records_name *svc)
{
	struct compact_shape s;
	size_t i;

	if (!has_type(svc, RR_TYPE_SRV) || records_name_count(set) > FOLD_SET_MAX ||
	    t->zones[svc->zone].reverse || compact_service(t, set, svc, &s))
		return NULL;
	for (i = 0; i < records_name_count(set); i++) {
		const struct records_name *name = records_name_at(set, i);
		size_t prefix = srv_prefix_len(name->owner, name->owner_len);

		if (prefix && name->owner_len - prefix == svc->owner_len &&
		    memcmp(name->owner + prefix, svc->owner, svc->owner_len) == 0 &&
		    same_srv(svc, name))
			return name;
	}
	return NULL;
}

/* Whether a service node in set answers name: a compact one, or a
   prebuilt one whose SRV answer is name's (NODE_SRV_ALIAS). */
static bool folded(const struct answer_table *t, const struct records_set *set,
                   const struct records_name *name)
{
	size_t prefix = srv_prefix_len(name->owner, name->owner_len);
	const struct records_name *svc;
	struct compact_shape s;

	if (t->zones[name->zone].reverse)
		return ptr_folded(t, set, name);
	if (!prefix)
		return host_folded(t, set, name, &s);
	if (records_name_count(set) > FOLD_SET_MAX)
		return false;
	svc = records_find(set, name->owner + prefix, name->owner_len - prefix);
	if (!svc)
		return false;
	if (compact_service(t, set, svc, &s))
		return sub_of(svc, &s, name) != 0;
	return srv_alias_of(t, set, svc) == name;
}

static uint8_t *put_srv_heads(uint8_t *p, const struct records_name *name)
{
	uint32_t i;

	for (i = 0; i < name->n_records; i++) {
		if (name->records[i].type != RR_TYPE_SRV)
			continue;
		memcpy(p, name->records[i].rdata, 6);
		p += 6;
	}
	return p;
}

/* Which addresses of compact service svc (shape sh) link their reverse
   name: each as its index among the A (or 0x80 | among the AAAA) into
   linked. Returns how many. */
static size_t compact_linked(const struct records_set *set, const struct records_name *svc,
                             const struct compact_shape *sh, uint8_t *linked)
{
	size_t n_links = 0, n4 = 0, n6 = 0;
	uint32_t r;

	for (r = 0; r < svc->n_records; r++) {
		const struct record *rec = &svc->records[r];
		uint8_t rev[DNAME_MAX];
		struct kube_ip ip;
		bool v4 = rec->type == RR_TYPE_A;

		if (!v4 && rec->type != RR_TYPE_AAAA)
			continue;
		memset(&ip, 0, sizeof(ip));
		ip.family = v4 ? AF_INET : AF_INET6;
		memcpy(ip.bytes, rec->rdata, rec->rdlen);
		if (links_reverse(set, svc, sh, rev, dname_reverse(&ip, rev)))
			linked[n_links++] = (uint8_t)(v4 ? n4 : 0x80 | n6);
		if (v4)
			n4++;
		else
			n6++;
	}
	return n_links;
}

/* Writes a compact node's body at p: TTL, counts, the addresses (A
   first, then AAAA, each in record order), the SRV heads, then each
   _port._proto name of set (n_sub of them) with its own. */
static void compact_body(uint8_t *p, const struct records_set *set,
                         const struct records_name *svc, const struct compact_shape *sh,
                         size_t n_sub)
{
	size_t i;
	uint32_t r;

	p[0] = (uint8_t)(sh->ttl >> 24);
	p[1] = (uint8_t)(sh->ttl >> 16);
	p[2] = (uint8_t)(sh->ttl >> 8);
	p[3] = (uint8_t)sh->ttl;
	p[4] = (uint8_t)sh->n4;
	p[5] = (uint8_t)sh->n6;
	p[6] = (uint8_t)sh->n_srv;
	p[7] = (uint8_t)n_sub; /* at most FOLD_SET_MAX - 1 */
	p += 8;
	/* Records come grouped by type (A, AAAA, SRV), in answer order. */
	for (r = 0; r < svc->n_records; r++)
		if (svc->records[r].type == RR_TYPE_A) {
			memcpy(p, svc->records[r].rdata, 4);
			p += 4;
		}
	for (r = 0; r < svc->n_records; r++)
		if (svc->records[r].type == RR_TYPE_AAAA) {
			memcpy(p, svc->records[r].rdata, 16);
			p += 16;
		}
	p = put_srv_heads(p, svc);
	for (i = 0; i < records_name_count(set); i++) {
		const struct records_name *sub = records_name_at(set, i);
		size_t prefix = sub_of(svc, sh, sub);

		if (!prefix)
			continue;
		*p++ = (uint8_t)prefix;
		memcpy(p, sub->owner, prefix);
		p += prefix;
		*p++ = (uint8_t)sub->n_records;
		p = put_srv_heads(p, sub);
	}
}

/* The compact node of service name s (shape sh) with its _port._proto
   names from set and the hosts of plan hosts (or NULL); rel: bytes of its
   name before the zone apex. Its layout: answer_node.h. */
static struct answer_node *compact_node(const struct records_set *set,
                                        const struct records_name *svc,
                                        const struct compact_shape *sh, size_t rel,
                                        const struct hosts_plan *hosts)
{
	size_t size = sizeof(struct answer_node) + rel + 8 + 4 * sh->n4 + 16 * sh->n6 +
	              6 * sh->n_srv;
	size_t i, n_sub = 0, n_links, links_at, hosts_at, all_links;
	uint8_t linked[COMPACT_ADDRS_MAX];
	struct compact_view v;
	struct answer_node *n;

	for (i = 0; i < records_name_count(set); i++) {
		const struct records_name *sub = records_name_at(set, i);
		size_t prefix = sub_of(svc, sh, sub);
		if (prefix) {
			size += 2 + prefix + 6 * sub->n_records;
			n_sub++;
		}
	}
	hosts_at = size;
	if (hosts)
		size += hosts->bytes;
	links_at = (size + 7) & ~(size_t)7;
	n_links = compact_linked(set, svc, sh, linked);
	all_links = n_links + (hosts ? hosts->n_links : 0);
	if (links_at + all_links * sizeof(struct rev_link) > LINK_OFF_MASK)
		return NULL;
	if (all_links || hosts)
		size = links_at + all_links * sizeof(struct rev_link);
	n = node_alloc(size, svc->owner, rel, svc->zone, 0,
	               NODE_COMPACT | (hosts ? NODE_HOSTS : 0));
	if (!n)
		return NULL;
	compact_body((uint8_t *)node_name(n) + rel, set, svc, sh, n_sub);
	/* The links, each with its address's index in the node. */
	compact_view(n, &v);
	for (i = 0; i < n_links; i++) {
		struct rev_link *l = (struct rev_link *)(void *)((uint8_t *)n + links_at) + i;
		size_t at = links_at + i * sizeof(*l);
		size_t idx = linked[i] & 0x80 ? v.n4 + (linked[i] & 0x7F) : linked[i];

		memset(&l->lfht, 0, sizeof(l->lfht));
		l->tag = LINK_TAG | (uint32_t)idx << 24 | (uint32_t)at;
	}
	if (hosts)
		write_hosts(set, svc, hosts, n, hosts_at, n_links, links_at);
	return n;
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
	const struct zone_info *z;
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

/* A reverse name: the node of its own if there is one (several services
   share the address), else the node linking it (*link_tag: the link's
   tag, 0 when not linked). ip: the address lname stands for. */
static const struct answer_node *find_reverse(const struct answer_table *t, uint32_t hash,
                                              const uint8_t *lname, size_t len,
                                              const struct kube_ip *ip, uint32_t *link_tag)
{
	struct name_key key = { t, lname, len, ip->bytes, ip->family == AF_INET ? 4 : 16 };
	const struct answer_node *owner = NULL;
	struct cds_lfht_iter iter;
	struct cds_lfht_node *ht_node;

	*link_tag = 0;
	cds_lfht_lookup(t->ht, hash, match_name, &key, &iter);
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

/* The PTR target of the link of n with tag tag (its node's name, or the
   name of the host it links) into out (DNAME_MAX bytes), *ttl its TTL
   (wire order). Returns the target's length. */
static size_t link_target(const struct answer_table *t, const struct answer_node *n,
                          uint32_t tag, uint8_t *out, const uint8_t **ttl)
{
	const struct zone_info *z = &t->zones[n->zone];
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

static void set_zone_soa(struct zone_info *z, const struct records_zone *rz)
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
	t->enc = malloc(sizeof(*t->enc));
	t->draft = calloc(1, sizeof(*t->draft));
	t->glue_seen = bytemap_new();
	t->buckets = 1024;
	t->ht = cds_lfht_new(t->buckets, t->buckets, 0, CDS_LFHT_ACCOUNTING, NULL);
	if (!t->zones || !t->enc || !t->draft || !t->ht || !t->glue_seen) {
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

int answer_table_put(struct answer_table *t, const struct records_set *set,
                     const struct records_name *name)
{
	struct node_draft *d = t->draft;
	struct answer_node *n;
	struct cds_lfht_node *old;
	struct name_key key = { t, name->owner, name->owner_len, NULL, 0 };
	const struct zone_info *z;
	struct compact_shape shape;

	/* Nodes keep only the labels before their zone's apex. */
	if (name->zone >= t->n_zones)
		return -1;
	z = &t->zones[name->zone];
	if (!dname_is_under(name->owner, name->owner_len, z->name, z->name_len))
		return -1;
	if (folded(t, set, name))
		return 1; /* its service's compact node answers it */
	thread_rcu_register();
	d->n_types = 0;
	d->len = 0;
	d->n_ends = 0;
	rcu_read_lock();
	if (compact_service(t, set, name, &shape)) {
		struct hosts_plan plan;

		n = compact_node(set, name, &shape, name->owner_len - z->name_len,
		                 plan_hosts(t, set, name, true, &plan) ? &plan : NULL);
	} else if (draft_name(t, d, set, name) < 0) {
		rcu_read_unlock();
		return -1;
	} else {
		const struct records_name *alias = srv_alias_of(t, set, name);
		struct hosts_plan plan;
		bool cname = has_type(name, RR_TYPE_CNAME);
		struct node_extras x = {
			name->owner, name->owner_len - z->name_len, name->zone, cname,
			alias ? alias->owner : NULL, alias ? alias->owner_len - name->owner_len : 0,
			plan_hosts(t, set, name, true, &plan) ? &plan : NULL,
			set, name};

		n = node_from_draft(d, &x);
	}
	if (!n) {
		rcu_read_unlock();
		return -1;
	}
	old = cds_lfht_add_replace(t->ht, bytemap_hash(name->owner, name->owner_len),
	                           match_name, &key, &n->lfht);
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

struct answer_table *answer_table_build(const struct records_set *set,
                                        bool pods_insecure, char *err,
                                        size_t errlen)
{
	const struct records_name *apex;
	const struct record *ns;
	uint32_t ttl = 5;
	struct answer_table *t;
	size_t i, n_names = records_name_count(set);

	/* The cluster TTL, for pod answers and CNAME hops: the apex NS's. */
	apex = records_zone_count(set) ? records_find(set, records_zone_at(set, 0)->name,
	                                              records_zone_at(set, 0)->name_len)
	                               : NULL;
	ns = apex ? first_of(apex, RR_TYPE_NS) : NULL;
	if (ns)
		ttl = ns->ttl;
	t = answer_table_new(set, pods_insecure, ttl);
	if (!t)
		goto oom;
	for (i = 0; i < n_names; i++)
		if (answer_table_put(t, set, records_name_at(set, i)) < 0)
			goto oom;
	return t;
oom:
	snprintf(err, errlen, "out of memory building the answer table");
	answer_table_free(t);
	return NULL;
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
	free(t->enc);
	free(t->retired);
	bytemap_free(t->glue_seen, NULL);
	if (t->draft) {
		free(t->draft->buf);
		free(t->draft->ends);
		free(t->draft);
	}
	free(t);
}

/* ---- lookup (hot path) -------------------------------------------------- */

static int zone_of(const struct answer_table *t, const uint8_t *name, size_t len)
{
	int best = -1;
	size_t z;

	for (z = 0; z < t->n_zones; z++)
		if (dname_is_under(name, len, t->zones[z].name, t->zones[z].name_len) &&
		    (best < 0 || t->zones[z].name_len > t->zones[best].name_len))
			best = (int)z;
	return best;
}

static void fill_negative(const struct answer_table *t, int zone, struct answer_ref *ref)
{
	const struct zone_soa *soa = rcu_dereference(t->zones[zone].soa);

	ref->soa = soa->bytes;
	ref->soa_len = soa->len;
	ref->apex = t->zones[zone].name;
	ref->apex_len = t->zones[zone].name_len;
}

static void fill_found(const struct answer_node *n, const struct rrset_answer *rr,
                       struct answer_ref *ref)
{
	ref->status = ANSWER_FOUND;
	ref->body.wire = rr_body(n, rr);
	ref->body.len = rr->body_len;
	ref->body.an = rr->an;
	ref->body.ns = 0;
	ref->body.ar = rr->ar;
	ref->body.ends = rr_ends(n, rr);
	ref->pointer_shift = 0;
}

/* Whether <ns>.svc.<zone> exists: insecure pod records still need a
   namespace that does (CoreDNS). ns_label points at the namespace label. */
static bool namespace_exists(const struct answer_table *t, const uint8_t *ns_label,
                             int zone)
{
	uint8_t name[DNAME_MAX];
	size_t n = (size_t)ns_label[0] + 1, len = n + 4 + t->zones[zone].name_len;

	if (len > DNAME_MAX)
		return false;
	memcpy(name, ns_label, n);
	memcpy(name + n, "\x03svc", 4);
	memcpy(name + n + 4, t->zones[zone].name, t->zones[zone].name_len);
	return find_node(t, bytemap_hash(name, len), name, len) != NULL;
}

/* Whether the label at p (length byte first) is tcp, udp or sctp, with
   or without its underscore: the protocols an SRV name can have. */
static bool proto_label(const uint8_t *p)
{
	const uint8_t *s = p + 1 + (p[1] == '_');
	size_t n = p[0] - (size_t)(p[1] == '_');

	return (n == 3 && (memcmp(s, "tcp", 3) == 0 || memcmp(s, "udp", 3) == 0)) ||
	       (n == 4 && memcmp(s, "sctp", 4) == 0);
}

/* CoreDNS also answers _port._proto names written without one or both
   underscores ("http.tcp.web.ns.svc.zone"), for every type: these names
   exist as the real one does. Only on a miss: writes lname with them to
   out and returns its length (0 when it does not apply); *shift is minus
   the underscores added. The second label must name a protocol, which
   keeps this off the search-path misses (www.example.com.ns.svc...). In
   a multicluster zone two labels without any underscore are an endpoint
   and its cluster, not a port and protocol. */
static size_t srv_alias(const struct answer_table *t, const uint8_t *lname, size_t len,
                        uint8_t *out, int *shift)
{
	size_t l1 = lname[0], l2, at = 0, added = 0;
	int zone;

	if (l1 == 0 || 1 + l1 >= len)
		return 0;
	l2 = lname[1 + l1];
	if (l2 == 0 || 2 + l1 + l2 >= len || !proto_label(lname + 1 + l1))
		return 0;
	if (lname[1] == '_' && lname[2 + l1] == '_')
		return 0; /* already the real form */
	if (lname[1] != '_' && lname[2 + l1] != '_' &&
	    (zone = zone_of(t, lname, len)) >= 0 && t->zones[zone].multicluster)
		return 0;
	if (l1 + 1 > 63 || l2 + 1 > 63)
		return 0;
	out[at++] = (uint8_t)(lname[1] == '_' ? l1 : l1 + 1);
	if (lname[1] != '_') {
		out[at++] = '_';
		added++;
	}
	memcpy(out + at, lname + 1, l1);
	at += l1;
	out[at++] = (uint8_t)(lname[2 + l1] == '_' ? l2 : l2 + 1);
	if (lname[2 + l1] != '_') {
		out[at++] = '_';
		added++;
	}
	memcpy(out + at, lname + 2 + l1, l2);
	at += l2;
	if (at + (len - (2 + l1 + l2)) > DNAME_MAX)
		return 0;
	memcpy(out + at, lname + 2 + l1 + l2, len - (2 + l1 + l2));
	at += len - (2 + l1 + l2);
	*shift = -(int)added;
	return at;
}

/* ---- compact answers (hot path) ----------------------------------------- */

/* lname is _port._proto.<service>: the compact node of the service when it
   has that port (*sub: its entry), or the prebuilt node of the service
   whose SRV answer is that name's (NODE_SRV_ALIAS; *sub: the labels),
   else NULL. */
static const struct answer_node *find_sub(const struct answer_table *t,
                                          const uint8_t *lname, size_t len,
                                          const uint8_t **sub)
{
	size_t prefix = srv_prefix_len(lname, len);
	const struct answer_node *n;
	struct compact_view v;
	const uint8_t *p;
	uint8_t i;

	if (!prefix)
		return NULL;
	n = find_node(t, bytemap_hash(lname + prefix, len - prefix), lname + prefix,
	              len - prefix);
	if (n && (n->flags & NODE_SRV_ALIAS)) {
		const uint8_t *end = (const uint8_t *)n + n->bytes - 1;
		if (*end != prefix || memcmp(end - prefix, lname, prefix) != 0)
			return NULL;
		*sub = end - prefix;
		return n;
	}
	if (!n || !(n->flags & NODE_COMPACT))
		return NULL;
	compact_view(n, &v);
	for (i = 0, p = v.subs; i < v.n_sub; i++) {
		if (p[0] == prefix && memcmp(p + 1, lname, prefix) == 0) {
			*sub = p;
			return n;
		}
		p += 2 + (size_t)p[0] + 6 * (size_t)p[1 + p[0]];
	}
	return NULL;
}

/* An answer being written into an answer_ref's scratch. */
struct synth {
	struct answer_ref *ref;
	size_t len;
	uint16_t n; /* records */
};

/* A record's owner (a pointer), type, class IN, TTL and rdlength. */
static uint8_t *synth_head(struct synth *w, uint16_t owner_at, uint16_t type,
                           const uint8_t *ttl, size_t rdlen)
{
	uint8_t *p = w->ref->scratch + w->len;

	p[0] = (uint8_t)(0xC0 | (owner_at >> 8));
	p[1] = (uint8_t)owner_at;
	p[2] = (uint8_t)(type >> 8);
	p[3] = (uint8_t)type;
	p[4] = 0;
	p[5] = 1;
	memcpy(p + 6, ttl, 4);
	p[10] = (uint8_t)(rdlen >> 8);
	p[11] = (uint8_t)rdlen;
	return p + 12;
}

static void synth_end(struct synth *w, size_t bytes)
{
	w->len += bytes;
	w->ref->scratch_ends[w->n++] = (uint16_t)w->len;
}

/* The written records as the answer: the first an in the answer section,
   the rest additional. */
static void synth_found(struct synth *w, uint16_t an)
{
	struct answer_ref *ref = w->ref;

	ref->status = ANSWER_FOUND;
	ref->body.wire = ref->scratch;
	ref->body.len = (uint32_t)w->len;
	ref->body.an = an;
	ref->body.ns = 0;
	ref->body.ar = (uint16_t)(w->n - an);
	ref->body.ends = ref->scratch_ends;
	ref->chase = false;
}

/* The node's addresses of type (A or AAAA), owned by the name at owner_at.
   (Two loops with constant sizes: the copies compile to moves.) */
static void synth_addrs(struct synth *w, const struct compact_view *v, uint16_t type,
                        uint16_t owner_at)
{
	size_t i;

	if (type == RR_TYPE_A) {
		for (i = 0; i < v->n4; i++) {
			memcpy(synth_head(w, owner_at, type, v->ttl, 4), v->a + 4 * i, 4);
			synth_end(w, 12 + 4);
		}
		return;
	}
	for (i = 0; i < v->n6; i++) {
		memcpy(synth_head(w, owner_at, type, v->ttl, 16), v->aaaa + 16 * i, 16);
		synth_end(w, 12 + 16);
	}
}

/* SRV records of the question's name from count rdata heads, all with the
   target target (lower case, target_len bytes), spelled out in each: an SRV
   target is never compressed (RFC 2782). base: the message offset of the
   scratch's first byte. Returns the message offset of the first target,
   which the glue's owners point at. */
static uint16_t synth_srv(struct synth *w, const struct compact_view *v,
                          const uint8_t *heads, size_t count, const uint8_t *target,
                          size_t target_len, size_t base)
{
	uint16_t target_at = (uint16_t)(base + w->len + 18);
	size_t i;

	for (i = 0; i < count; i++) {
		uint8_t *p = synth_head(w, 12, RR_TYPE_SRV, v->ttl, 6 + target_len);

		memcpy(p, heads + 6 * i, 6);
		memcpy(p + 6, target, target_len);
		synth_end(w, 18 + target_len);
	}
	return target_at;
}

/* Writes the answer of compact view v (a compact node's, or a host's) of
   zone number zone, or of its _port._proto name sub, to qtype into ref.
   qname: the name asked, lower case, qlen bytes. */
static void compact_answer(const struct answer_table *t, const struct compact_view *v,
                           uint8_t zone, const uint8_t *sub, const uint8_t *qname,
                           size_t qlen, uint16_t qtype, struct answer_ref *ref)
{
	struct synth w = {ref, 0, 0};
	uint16_t an = 0, target_at;

	if (qtype == RR_TYPE_ANY) /* RFC 8482: one RRset, the first type's */
		qtype = sub || (!v->n4 && !v->n6) ? RR_TYPE_SRV : v->n4 ? RR_TYPE_A : RR_TYPE_AAAA;
	if (sub && qtype == RR_TYPE_SRV) {
		size_t prefix = sub[0];
		target_at = synth_srv(&w, v, sub + 2 + prefix, sub[1 + prefix], qname + prefix,
		                      qlen - prefix, 12 + qlen + 4);
		an = w.n;
		synth_addrs(&w, v, RR_TYPE_A, target_at);
		synth_addrs(&w, v, RR_TYPE_AAAA, target_at);
	} else if (!sub && (qtype == RR_TYPE_A || qtype == RR_TYPE_AAAA)) {
		synth_addrs(&w, v, qtype, 12);
		an = w.n;
	} else if (!sub && qtype == RR_TYPE_SRV && v->n_srv) {
		/* The target is the service, the name asked: the glue's owners
		   point at the question, in the client's letter case. */
		synth_srv(&w, v, v->srv, v->n_srv, qname, qlen, 12 + qlen + 4);
		an = w.n;
		synth_addrs(&w, v, RR_TYPE_A, 12);
		synth_addrs(&w, v, RR_TYPE_AAAA, 12);
	}
	if (an == 0) {
		ref->status = ANSWER_NODATA;
		fill_negative(t, zone, ref);
		return;
	}
	synth_found(&w, an);
}


/* The answer of the reverse name lname that node n links (tag: the
   link's): a PTR to n's name or its host's, spelled out as the writer's
   encoder does. */
static void link_answer(const struct answer_table *t, const struct answer_node *n,
                        uint32_t tag, const uint8_t *lname, size_t len, uint16_t qtype,
                        struct answer_ref *ref)
{
	struct synth w = {ref, 0, 0};
	const uint8_t *ttl;
	uint8_t *p;
	size_t rdlen;

	if (qtype != RR_TYPE_PTR && qtype != RR_TYPE_ANY) {
		int zone = zone_of(t, lname, len); /* a reverse zone: links are in one */

		ref->status = ANSWER_NODATA;
		fill_negative(t, zone < 0 ? 0 : zone, ref);
		return;
	}
	/* The target straight into the record: scratch has room for it. */
	p = ref->scratch + 12;
	rdlen = link_target(t, n, tag, p, &ttl);
	synth_head(&w, 12, RR_TYPE_PTR, ttl, rdlen);
	synth_end(&w, 12 + rdlen);
	synth_found(&w, 1);
	ref->pointer_shift = 0;
}

/* Whether a NODE_HOSTS node may answer lname, whose labels before its
   zone's apex are rel bytes. */
static inline bool host_depth_used(const struct answer_table *t, const uint8_t *lname,
                                   size_t rel)
{
	size_t depth;

	if (!t->host_depths)
		return false;
	depth = labels_in(lname, rel);
	return depth < 32 && (t->host_depths >> depth & 1);
}

/* Whether lname may be an in-addr.arpa or ip6.arpa name (a cheap test
   before parsing it). */
static inline bool maybe_reverse(const uint8_t *lname, size_t len)
{
	return len >= 16 && lname[len - 6] == 4 && memcmp(lname + len - 5, "arpa", 4) == 0;
}

/* A name with no node of its own: answered by a service's node as one of
   its hosts, synthesised (a pod's name with --pods insecure, and the
   <ns>.pod.<zone> above it), or NXDOMAIN; outside our zones, and reverse
   names we do not know, it belongs to the upstream. */
static void answer_without_node(const struct answer_table *t, const uint8_t *lname,
                                size_t len, uint16_t qtype, struct answer_ref *ref)
{
	const struct answer_node *host_of;
	struct compact_view host;
	int zone;

	zone = zone_of(t, lname, len);
	if (zone < 0 || t->zones[zone].reverse) {
		/* Reverse names we do not know belong to the upstream
		   (CoreDNS's "fallthrough in-addr.arpa ip6.arpa"). */
		ref->status = ANSWER_OUTSIDE;
		return;
	}
	host_of = host_depth_used(t, lname, len - t->zones[zone].name_len)
	                  ? find_host(t, lname, len, &host)
	                  : NULL;
	if (host_of) {
		compact_answer(t, &host, host_of->zone, NULL, lname, len, qtype, ref);
		ref->pointer_shift = 0;
		return;
	}
	if (t->pods_insecure && pod_address(lname, len, t->zones[zone].name_len,
	                                    &ref->pod_ip) &&
	    namespace_exists(t, lname + 1 + lname[0], zone)) {
		uint16_t want = ref->pod_ip.family == AF_INET ? RR_TYPE_A : RR_TYPE_AAAA;
		if (qtype == want || qtype == RR_TYPE_ANY) {
			ref->status = ANSWER_POD;
			ref->ttl = t->ttl;
			return;
		}
		ref->status = ANSWER_NODATA;
		fill_negative(t, zone, ref);
		return;
	}
	/* <ns>.pod.<zone>: with insecure pod records every name below it
	   exists, so it is an empty non-terminal (RFC 8020), as CoreDNS
	   answers. */
	if (t->pods_insecure && is_pod_namespace(lname, len, t->zones[zone].name_len) &&
	    namespace_exists(t, lname, zone)) {
		ref->status = ANSWER_NODATA;
		fill_negative(t, zone, ref);
		return;
	}
	ref->status = ANSWER_NXDOMAIN;
	fill_negative(t, zone, ref);
}

void answer_table_lookup(const struct answer_table *t, const uint8_t *lname,
                         size_t len, uint16_t qtype, struct answer_ref *ref)
{
	const struct answer_node *n = NULL;
	const struct rrset_answer *rr;
	const uint8_t *sub = NULL, *qname = lname;
	uint8_t alias[DNAME_MAX];
	size_t qlen = len, alias_len;
	int shift = 0;

	ref->question_moves = false;
	/* _port._proto names are mostly in their service's compact node: ask
	   it first, then for a node of the name's own. */
	if (len > 1 && lname[1] == '_')
		n = find_sub(t, lname, len, &sub);
	if (!n) {
		uint32_t hash = bytemap_hash(lname, len);
		struct kube_ip ip;
		uint32_t link_tag;

		if (maybe_reverse(lname, len) && dname_reverse_parse(lname, len, &ip)) {
			n = find_reverse(t, hash, lname, len, &ip, &link_tag);
			if (link_tag) {
				link_answer(t, n, link_tag, lname, len, qtype, ref);
				return;
			}
		} else {
			n = find_node(t, hash, lname, len);
		}
	}
	if (!n && (alias_len = srv_alias(t, lname, len, alias, &shift)) != 0) {
		n = find_node(t, bytemap_hash(alias, alias_len), alias, alias_len);
		if (n && !node_type(n, RR_TYPE_SRV))
			n = NULL; /* only SRV names have the underscore-less form */
		if (!n)
			n = find_sub(t, alias, alias_len, &sub);
		if (n) {
			qname = alias;
			qlen = alias_len;
		} else {
			shift = 0;
		}
	}
	if (n && (n->flags & NODE_COMPACT)) {
		struct compact_view v;

		compact_view(n, &v);
		compact_answer(t, &v, n->zone, sub, qname, qlen, qtype, ref);
		ref->pointer_shift = shift;
		return;
	}
	if (n && sub) {
		/* The service's SRV answer, written for the service's name as
		   the question: in the copy, everything but the owners moves by
		   the labels the question has in front of it. */
		rr = qtype == RR_TYPE_SRV || qtype == RR_TYPE_ANY ? node_type(n, RR_TYPE_SRV)
		                                                 : NULL;
		if (rr) {
			fill_found(n, rr, ref);
			ref->pointer_shift =
				(int)len - (int)(n->name_len + t->zones[n->zone].name_len);
			ref->question_moves = true;
			ref->chase = false;
			return;
		}
		ref->status = ANSWER_NODATA;
		fill_negative(t, n->zone, ref);
		return;
	}
	if (n) {
		rr = node_type(n, qtype);
		if (!rr && (n->flags & NODE_CNAME))
			rr = node_type(n, QTYPE_ANY_NAME);
		if (!rr && qtype == RR_TYPE_ANY && n->n_types)
			rr = &n->types[0]; /* RFC 8482: one RRset answers ANY */
		if (rr) {
			fill_found(n, rr, ref);
			ref->pointer_shift = shift;
			ref->chase = false;
			if (rr->qtype == QTYPE_ANY_NAME && qtype != RR_TYPE_CNAME &&
			    qtype != RR_TYPE_ANY) {
				const uint8_t *target;
				size_t tlen = node_cname_target(n, &target);
				ref->chase = tlen && zone_of(t, target, tlen) < 0;
			}
			return;
		}
		ref->status = ANSWER_NODATA;
		fill_negative(t, n->zone, ref);
		return;
	}
	answer_without_node(t, lname, len, qtype, ref);
}

size_t answer_body_copy(const struct answer_body *body, size_t n_records, int shift,
                        bool question_moves, uint8_t *out)
{
	size_t len = n_records ? body->ends[n_records - 1] : 0, pos = 0, i;

	memcpy(out, body->wire, len);
	if (shift == 0)
		return len;
	/* The body was encoded for a question of another length: every
	   pointer past the question's start moves by the difference. With
	   question_moves the body's question is a suffix of the one asked, so
	   12 moves too, except as the owner of an answer record (the whole
	   question there). */
	for (i = 0; i < n_records; i++) {
		size_t end = body->ends[i], name_at = 0;
		int names;

		for (names = 0; names < 2 && pos < end; names++) {
			/* owner, then (SRV/CNAME/PTR/NS) the name in the rdata */
			for (;;) {
				uint8_t l = out[pos];
				if ((l & 0xC0) == 0xC0) {
					unsigned ptr = ((unsigned)(l & 0x3F) << 8) | out[pos + 1];
					if (ptr > 12 || (ptr == 12 && question_moves &&
					                 (names == 1 || i >= body->an)))
						ptr = (unsigned)((int)ptr + shift);
					out[pos] = (uint8_t)(0xC0 | (ptr >> 8));
					out[pos + 1] = (uint8_t)ptr;
					pos += 2;
					break;
				}
				pos += (size_t)l + 1;
				if (l == 0)
					break;
			}
			if (names == 0) {
				uint16_t type = (uint16_t)((out[pos] << 8) | out[pos + 1]);
				if (!answer_encode_rdata_name(type, &name_at))
					break;
				pos += 10 + name_at;
			}
		}
		pos = end;
	}
	return len;
}

bool answer_table_in_zone(const struct answer_table *t, const uint8_t *lname,
                          size_t len)
{
	return zone_of(t, lname, len) >= 0;
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
		fn(ctx, &ip, target, link_target(t, n, links[i].tag, target, &ttl));
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
				fn(ctx, name, link_target(t, link_owner(ht_node, tag), tag, name, &ttl));
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
