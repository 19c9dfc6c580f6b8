/* answer_lookup.c - the hot path's lookup: one hash lookup for the name
 * asked (a _port._proto name asks its service's node first; a reverse
 * name may be a link inside a service's node), then the answer: a
 * prebuilt node's bytes as they are, or what answer_synth writes. */
#include "answer_lookup.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "answer_node.h"
#include "answer_synth.h"
#include "answer_table.h"
#include "dname.h"
#include "records.h"

void answer_lookup_negative(const struct answer_table *t, int zone,
                            enum answer_status status, struct answer_ref *ref)
{
	const struct answer_zone *z = answer_table_zone(t, (size_t)zone);

	ref->status = status;
	ref->soa = answer_table_soa(t, (size_t)zone, &ref->soa_len);
	ref->apex = z->name;
	ref->apex_len = z->name_len;
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
	n = answer_table_find(t, lname + prefix, len - prefix);
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

/* Whether lname may be an in-addr.arpa or ip6.arpa name (a cheap test
   before parsing it). */
static inline bool maybe_reverse(const uint8_t *lname, size_t len)
{
	return len >= 16 && lname[len - 6] == 4 && memcmp(lname + len - 5, "arpa", 4) == 0;
}

/* The node that answers lname, with what answer_lookup needs to know of
   how: *sub (a _port._proto entry of its service's node), *qname and
   *qlen (the name the node's answer is for: lname, or alias with the
   underscores added), *shift (the pointers' move
   for an underscore-less name). NULL when none does; also when the link
   of a reverse name answered it already (*linked). */
static inline const struct answer_node *find_answering(const struct answer_table *t,
                                                       const uint8_t *lname, size_t len,
                                                       uint16_t qtype, struct answer_ref *ref,
                                                       bool *linked, const uint8_t **sub,
                                                       uint8_t *alias, const uint8_t **qname,
                                                       size_t *qlen, int *shift)
{
	const struct answer_node *n = NULL;
	size_t alias_len;

	*linked = false;
	/* _port._proto names are mostly in their service's compact node: ask
	   it first, then for a node of the name's own. */
	if (len > 1 && lname[1] == '_')
		n = find_sub(t, lname, len, sub);
	if (!n) {
		struct kube_ip ip;
		uint32_t link_tag;

		if (maybe_reverse(lname, len) && dname_reverse_parse(lname, len, &ip)) {
			n = answer_table_find_reverse(t, lname, len, &ip, &link_tag);
			if (link_tag) {
				answer_synth_link(t, n, link_tag, lname, len, qtype, ref);
				*linked = true;
				return NULL;
			}
		} else {
			n = answer_table_find(t, lname, len);
		}
	}
	if (n || (alias_len = answer_synth_srv_name(t, lname, len, alias, shift)) == 0)
		return n;
	n = answer_table_find(t, alias, alias_len);
	if (n && !node_type(n, RR_TYPE_SRV))
		n = NULL; /* only SRV names have the underscore-less form */
	if (!n)
		n = find_sub(t, alias, alias_len, sub);
	if (n) {
		*qname = alias;
		*qlen = alias_len;
	} else {
		*shift = 0;
	}
	return n;
}

/* The answer of prebuilt node n to qtype; shift: as find_answering's. */
static inline void node_answer(const struct answer_table *t, const struct answer_node *n,
                               uint16_t qtype, int shift, struct answer_ref *ref)
{
	const struct rrset_answer *rr = node_type(n, qtype);

	if (!rr && (n->flags & NODE_CNAME))
		rr = node_type(n, QTYPE_ANY_NAME);
	if (!rr && qtype == RR_TYPE_ANY && n->n_types)
		rr = &n->types[0]; /* RFC 8482: one RRset answers ANY */
	if (!rr) {
		answer_lookup_negative(t, n->zone, ANSWER_NODATA, ref);
		return;
	}
	fill_found(n, rr, ref);
	ref->pointer_shift = shift;
	ref->chase = false;
	if (rr->qtype == QTYPE_ANY_NAME && qtype != RR_TYPE_CNAME && qtype != RR_TYPE_ANY) {
		const uint8_t *target;
		size_t tlen = node_cname_target(n, &target);
		ref->chase = tlen && answer_table_zone_of(t, target, tlen) < 0;
	}
}

/* The SRV answer of a headless service's node n (NODE_SRV_ALIAS) to its
   _port._proto name lname, written for the service's name as the
   question: in the copy, everything but the owners moves by the labels
   the question has in front of it. */
static void alias_answer(const struct answer_table *t, const struct answer_node *n,
                         size_t len, uint16_t qtype, struct answer_ref *ref)
{
	const struct rrset_answer *rr =
		qtype == RR_TYPE_SRV || qtype == RR_TYPE_ANY ? node_type(n, RR_TYPE_SRV) : NULL;

	if (!rr) {
		answer_lookup_negative(t, n->zone, ANSWER_NODATA, ref);
		return;
	}
	fill_found(n, rr, ref);
	ref->pointer_shift = (int)len - (int)(n->name_len + answer_table_zone(t, n->zone)->name_len);
	ref->question_moves = true;
	ref->chase = false;
}

void answer_lookup(const struct answer_table *t, const uint8_t *lname, size_t len,
                   uint16_t qtype, struct answer_ref *ref)
{
	const struct answer_node *n;
	const uint8_t *sub = NULL, *qname = lname;
	uint8_t alias[DNAME_MAX];
	size_t qlen = len;
	int shift = 0;
	bool linked;

	ref->question_moves = false;
	n = find_answering(t, lname, len, qtype, ref, &linked, &sub, alias, &qname, &qlen,
	                   &shift);
	if (linked)
		return;
	if (!n) {
		answer_synth_without_node(t, lname, len, qtype, ref);
	} else if (n->flags & NODE_COMPACT) {
		struct compact_view v;

		compact_view(n, &v);
		answer_synth_compact(t, &v, n->zone, sub, qname, qlen, qtype, ref);
		ref->pointer_shift = shift;
	} else if (sub) {
		alias_answer(t, n, len, qtype, ref);
	} else {
		node_answer(t, n, qtype, shift, ref);
	}
}
