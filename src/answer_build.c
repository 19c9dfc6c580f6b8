/* answer_build.c - records to answer nodes. A prebuilt node holds each
 * of its types' answers encoded (answer_encode) behind a question at
 * offset 12, with glue; a ClusterIP service becomes one compact node of
 * addresses and SRV heads (answer_synth writes its answers at lookup);
 * a service's node may also carry a hosts block and the reverse links of
 * its addresses. Which names such a node answers (and so get no node of
 * their own) is decided here from the set alone, before anything is put
 * into the table. The layouts are answer_node.h's. */
#include "answer_build.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "answer_encode.h"
#include "answer_node.h"
#include "answer_table.h"
#include "bytemap.h"
#include "dname.h"
#include "rcu_thread.h"
#include "records.h"

#include <urcu.h>

#define MAX_CNAME_CHAIN 8
/* A compact node's _port._proto names are found by scanning the set it
   comes from: only in sets of one service, never a whole cluster's. */
#define FOLD_SET_MAX 256

struct answer_builder {
	struct answer_encoder *enc;
	struct node_draft *draft;
	struct bytemap *glue_seen; /* glue targets done */
};

/* Whether zone number zone of set is a cluster zone (not a reverse one). */
static bool cluster_zone(const struct records_set *set, size_t zone)
{
	return zone < records_zone_count(set) &&
	       records_zone_at(set, zone)->kind == RECORDS_ZONE_CLUSTER;
}

/* ---- prebuilt nodes ------------------------------------------------------ */

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

/* A CNAME name answers every type: the CNAME, then for A and AAAA the
   target's addresses when the target is ours, following chains. */
static int draft_cname(struct answer_builder *b, const struct answer_table *t,
                       const struct records_set *set, const struct records_name *name)
{
	struct node_draft *d = b->draft;
	/* Only addresses follow the CNAME into the zone: CoreDNS never answers
	   SRV for an ExternalName service, and a target in another batch (the
	   usual case: zone_sync puts one service at a time) gives A and AAAA
	   only, so a CNAME put with its target in the same set must too. */
	static const uint16_t types[] = {QTYPE_ANY_NAME, RR_TYPE_A, RR_TYPE_AAAA};
	struct answer_encoder *enc = b->enc;
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
			n = answer_table_find(t, target, target_len);
			if (!n) {
				struct compact_view host;
				uint16_t got = 0;

				if (answer_table_find_host(t, target, target_len, &host))
					got = enc_from_compact(enc, &host, types[k], target,
					                       target_len);
				an = (uint16_t)(an + got);
				final_has = got > 0;
				break;
			}
			if (n->flags & NODE_CNAME) {
				const uint8_t *next;
				size_t next_len = node_cname_target(n, &next);
				struct record r = {RR_TYPE_CNAME, (uint16_t)next_len,
				                   answer_table_ttl(t), next};
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

static int draft_name(struct answer_builder *b, const struct answer_table *t,
                      const struct records_set *set, const struct records_name *name)
{
	struct node_draft *d = b->draft;
	struct answer_encoder *enc = b->enc;
	uint32_t i;

	if (has_type(name, RR_TYPE_CNAME))
		return draft_cname(b, t, set, name);
	for (i = 0; i < name->n_records; i++) {
		uint16_t type = name->records[i].type, an, ar;

		if (i > 0 && name->records[i - 1].type == type)
			continue; /* one answer per RRset */
		answer_encode_init(enc, name->owner, name->owner_len);
		an = answer_encode_rrset(enc, name, type);
		ar = answer_encode_glue(enc, b->glue_seen, set, name, type);
		bytemap_clear(b->glue_seen, NULL);
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
static bool compact_service(const struct records_set *set,
                            const struct records_name *name, struct compact_shape *s)
{
	return records_name_count(set) <= FOLD_SET_MAX && cluster_zone(set, name->zone) &&
	       compact_shape(name, name->owner, name->owner_len, s);
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

/* Whether svc's node may answer hosts (NODE_HOSTS): a service's node with
   addresses (not a namespace, not a CNAME), in a cluster zone of a small
   set. */
static bool may_have_hosts(const struct records_set *set,
                           const struct records_name *svc)
{
	return records_name_count(set) <= FOLD_SET_MAX && cluster_zone(set, svc->zone) &&
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
static bool plan_hosts(const struct records_set *set,
                       const struct records_name *svc, bool links,
                       struct hosts_plan *plan)
{
	size_t i, n4 = 0, n6 = 0;
	struct compact_shape s;

	memset(plan, 0, sizeof(*plan));
	plan->bytes = HOSTS_HEAD;
	if (!may_have_hosts(set, svc))
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
static bool host_folded(const struct records_set *set,
                        const struct records_name *name, struct compact_shape *s)
{
	size_t first = 1 + (size_t)name->owner[0];
	const struct records_name *svc;
	struct hosts_plan plan;

	if (name->owner[0] == 0 || first >= name->owner_len ||
	    records_name_count(set) > FOLD_SET_MAX)
		return false;
	svc = records_find(set, name->owner + first, name->owner_len - first);
	return svc && is_host_of(svc, name, s) && plan_hosts(set, svc, false, &plan);
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
static bool ptr_folded(const struct records_set *set,
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
	if (!svc || (!compact_service(set, svc, &s) && !host_folded(set, svc, &s)) ||
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
static const struct records_name *srv_alias_of(const struct records_set *set,
                                               const struct records_name *svc)
{
	struct compact_shape s;
	size_t i;

	if (!has_type(svc, RR_TYPE_SRV) || records_name_count(set) > FOLD_SET_MAX ||
	    !cluster_zone(set, svc->zone) || compact_service(set, svc, &s))
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
bool answer_build_folded(const struct records_set *set, const struct records_name *name)
{
	size_t prefix = srv_prefix_len(name->owner, name->owner_len);
	const struct records_name *svc;
	struct compact_shape s;

	if (!cluster_zone(set, name->zone))
		return ptr_folded(set, name);
	if (!prefix)
		return host_folded(set, name, &s);
	if (records_name_count(set) > FOLD_SET_MAX)
		return false;
	svc = records_find(set, name->owner + prefix, name->owner_len - prefix);
	if (!svc)
		return false;
	if (compact_service(set, svc, &s))
		return sub_of(svc, &s, name) != 0;
	return srv_alias_of(set, svc) == name;
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


bool answer_build_links(const struct records_set *set, const struct records_name *name)
{
	struct compact_shape shape;
	struct hosts_plan plan;

	return compact_service(set, name, &shape) || plan_hosts(set, name, false, &plan);
}

struct answer_builder *answer_builder_new(void)
{
	struct answer_builder *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->enc = malloc(sizeof(*b->enc));
	b->draft = calloc(1, sizeof(*b->draft));
	b->glue_seen = bytemap_new();
	if (!b->enc || !b->draft || !b->glue_seen) {
		answer_builder_free(b);
		return NULL;
	}
	return b;
}

void answer_builder_free(struct answer_builder *b)
{
	if (!b)
		return;
	free(b->enc);
	bytemap_free(b->glue_seen, NULL);
	if (b->draft) {
		free(b->draft->buf);
		free(b->draft->ends);
		free(b->draft);
	}
	free(b);
}

struct answer_node *answer_build_node(struct answer_builder *b, const struct answer_table *t,
                                      const struct records_set *set,
                                      const struct records_name *name)
{
	struct node_draft *d = b->draft;
	const struct answer_zone *z;
	struct compact_shape shape;
	struct hosts_plan plan;
	struct answer_node *n;

	if (name->zone >= records_zone_count(set))
		return NULL;
	z = answer_table_zone(t, name->zone);
	if (name->owner_len < z->name_len)
		return NULL;
	if (compact_service(set, name, &shape))
		return compact_node(set, name, &shape, name->owner_len - z->name_len,
		                    plan_hosts(set, name, true, &plan) ? &plan : NULL);
	d->n_types = 0;
	d->len = 0;
	d->n_ends = 0;
	/* A CNAME followed into the table reads its nodes. */
	thread_rcu_register();
	rcu_read_lock();
	if (draft_name(b, t, set, name) < 0) {
		n = NULL;
	} else {
		const struct records_name *alias = srv_alias_of(set, name);
		struct node_extras x = {
			name->owner, name->owner_len - z->name_len, name->zone,
			has_type(name, RR_TYPE_CNAME),
			alias ? alias->owner : NULL, alias ? alias->owner_len - name->owner_len : 0,
			plan_hosts(set, name, true, &plan) ? &plan : NULL,
			set, name};

		n = node_from_draft(d, &x);
	}
	rcu_read_unlock();
	return n;
}

int answer_build_put(struct answer_builder *b, struct answer_table *t,
                     const struct records_set *set, const struct records_name *name)
{
	struct answer_node *n = answer_build_node(b, t, set, name);

	return n ? answer_table_insert(t, name->owner, name->owner_len, n) : -1;
}

struct answer_table *answer_build_table(const struct records_set *set, bool pods_insecure,
                                        char *err, size_t errlen)
{
	const struct records_name *apex;
	const struct record *ns;
	uint32_t ttl = 5;
	struct answer_table *t = NULL;
	struct answer_builder *b;
	size_t i, n_names = records_name_count(set);

	/* The cluster TTL, for pod answers and CNAME hops: the apex NS's. */
	apex = records_zone_count(set) ? records_find(set, records_zone_at(set, 0)->name,
	                                              records_zone_at(set, 0)->name_len)
	                               : NULL;
	ns = apex ? first_of(apex, RR_TYPE_NS) : NULL;
	if (ns)
		ttl = ns->ttl;
	b = answer_builder_new();
	t = b ? answer_table_new(set, pods_insecure, ttl) : NULL;
	if (!t)
		goto oom;
	for (i = 0; i < n_names; i++) {
		const struct records_name *name = records_name_at(set, i);

		if (!answer_build_folded(set, name) && answer_build_put(b, t, set, name) < 0)
			goto oom;
	}
	answer_builder_free(b);
	return t;
oom:
	snprintf(err, errlen, "out of memory building the answer table");
	answer_builder_free(b);
	answer_table_free(t);
	return NULL;
}
