/* autopath.c - the search path walked here: which names to try, and the
 * reply that joins the asked name to the one found. */
#include "autopath.h"

#include <stdatomic.h>
#include <string.h>

#include "answer_lookup.h"
#include "dname.h"
#include "dns.h"
#include "pod_map.h"
#include "records.h"
#include "reply.h"

static const uint8_t svc_label[] = {3, 's', 'v', 'c'};

/* one counter for every thread: only walked queries touch it */
static _Atomic uint64_t successes;

uint64_t autopath_successes(void)
{
	return atomic_load_explicit(&successes, memory_order_relaxed);
}

/* Our CNAME record from the question (a pointer) to base (the client's
   letters, base_len bytes of labels) + suffix (wire, ending in the root).
   Returns its length, 0 when the name would be too long. */
static size_t put_cname(uint8_t *p, const uint8_t *base, size_t base_len,
                        const uint8_t *suffix, size_t suffix_len, uint32_t ttl)
{
	size_t target = base_len + suffix_len;

	if (target > DNAME_MAX)
		return 0;
	wire_put_u16(p, 0xC000 | DNS_HEADER_LEN);
	wire_put_u16(p + 2, RR_TYPE_CNAME);
	wire_put_u16(p + 4, 1);
	wire_put_u32(p + 6, ttl);
	wire_put_u16(p + 10, (uint16_t)target);
	memcpy(p + 12, base, base_len);
	memcpy(p + 12 + base_len, suffix, suffix_len);
	return 12 + target;
}

/* The reply to a candidate name as if the pod had asked it (TCP-sized,
   no OPT; its zone's addresses first with --prefer-zone): what the reply
   to the client copies after our CNAME. */
static size_t candidate_reply(const struct query_opts *opts, const uint8_t *msg,
                              const struct query_question *q, const uint8_t *name,
                              size_t name_len, const struct answer_ref *ref,
                              const struct pod_client *pod, uint8_t *out)
{
	uint8_t query[DNS_HEADER_LEN + DNAME_MAX + 4];
	struct reply r;

	memcpy(query, msg, DNS_HEADER_LEN);
	memcpy(query + DNS_HEADER_LEN, name, name_len);
	wire_put_u16(query + DNS_HEADER_LEN + name_len, q->qtype);
	wire_put_u16(query + DNS_HEADER_LEN + name_len + 2, q->qclass);
	reply_begin(&r, out, query, DNS_HEADER_LEN + name_len + 4, QUERY_MAX_MSG, false, 0,
	            opts->udp_cap);
	r.round_robin = opts->round_robin;
	if (opts->prefer_zone && pod->zone &&
	    (q->qtype == RR_TYPE_A || q->qtype == RR_TYPE_AAAA))
		reply_prefer_zone(&r, opts->pods, opts->zone_hints, name, pod->zone);
	reply_answer(&r, ref);
	return reply_finish(&r, 0);
}

enum query_result autopath_answer(const struct answer_table *table,
                                  const struct query_opts *opts, const uint8_t *msg,
                                  const struct query_question *q, bool tcp,
                                  const struct sockaddr *client, uint8_t *out,
                                  size_t *reply_len)
{
	struct pod_client pod;
	uint8_t suffix[DNAME_MAX + 1], name[DNAME_MAX + 1], cname[12 + DNAME_MAX];
	uint8_t found[QUERY_MAX_MSG];
	const uint8_t *zone = NULL, *base = msg + DNS_HEADER_LEN;
	size_t zone_len = 0, suffix_len, base_len, z, cname_len = 0, name_len = 0;
	struct answer_ref ref;
	struct reply_client c;
	int step;

	if (!client || !table || !pod_map_lookup(opts->pods, client, &pod))
		return QUERY_DROP;
	for (z = 0; z < opts->n_zones && !zone; z++)
		if (dname_is_under(q->lname, q->lname_len, opts->zones[z].name, opts->zones[z].len)) {
			zone = opts->zones[z].name;
			zone_len = opts->zones[z].len;
		}
	if (!zone)
		return QUERY_DROP;
	/* the client's first search suffix: <ns>.svc.<zone> */
	suffix_len = 1 + pod.ns_label[0] + sizeof(svc_label) + zone_len;
	if (suffix_len >= q->lname_len)
		return QUERY_DROP;
	memcpy(suffix, pod.ns_label, 1 + pod.ns_label[0]);
	memcpy(suffix + 1 + pod.ns_label[0], svc_label, sizeof(svc_label));
	memcpy(suffix + 1 + pod.ns_label[0] + sizeof(svc_label), zone, zone_len);
	if (!dname_is_under(q->lname, q->lname_len, suffix, suffix_len))
		return QUERY_DROP;
	base_len = q->lname_len - suffix_len;

	/* svc.<zone>, <zone>, then the name as written (its root label) */
	for (step = 0; step < 3; step++) {
		static const uint8_t root[1] = {0};
		const uint8_t *tail = step == 0 ? suffix + 1 + pod.ns_label[0] : step == 1 ? zone : root;
		size_t tail_len = step == 0 ? sizeof(svc_label) + zone_len : step == 1 ? zone_len : 1;
		bool last = step == 2;

		if (base_len + tail_len > DNAME_MAX)
			continue;
		memcpy(name, q->lname, base_len);
		memcpy(name + base_len, tail, tail_len);
		name_len = base_len + tail_len;
		query_lookup(table, opts, name, name_len, q->qtype, &ref);
		if (ref.status == ANSWER_NXDOMAIN && !last)
			continue;
		cname_len = put_cname(cname, base, base_len, tail, tail_len, opts->autopath_ttl);
		if (!cname_len)
			return QUERY_DROP;
		if (ref.status == ANSWER_OUTSIDE) {
			/* the name as written is the forwarder's */
			struct reply r;
			if (opts->refuse_outside)
				return QUERY_DROP;
			reply_begin(&r, out, msg, q->qend, QUERY_MAX_MSG, q->edns, q->edns_flags,
			            opts->udp_cap);
			memcpy(out + r.len, cname, cname_len);
			r.len += cname_len;
			r.an = 1;
			r.flags |= DNS_FLAG_AA;
			*reply_len = reply_finish_partial(&r);
			atomic_fetch_add_explicit(&successes, 1, memory_order_relaxed);
			return QUERY_CHASE;
		}
		break;
	}
	if (!cname_len)
		return QUERY_DROP;

	/* Our CNAME, then the records of the name found, as a forwarded
	   chase's reply is built: answer and authority copied, TC when they
	   do not fit the client's size. An ExternalName found on the way is
	   the forwarder's to complete: that part goes without an OPT. */
	memset(&c, 0, sizeof(c));
	c.id[0] = msg[0];
	c.id[1] = msg[1];
	c.flags = dns_flags(msg);
	c.edns = q->edns && !(ref.status == ANSWER_FOUND && ref.chase && !opts->refuse_outside);
	c.edns_flags = q->edns_flags;
	c.limit = tcp ? QUERY_MAX_MSG : dns_udp_limit(q->edns, q->edns_size, opts->udp_cap);
	c.question_len = q->qend - DNS_HEADER_LEN;
	memcpy(c.question, msg + DNS_HEADER_LEN, c.question_len);
	c.prefix = cname;
	c.prefix_len = cname_len;
	c.prefix_an = 1;
	*reply_len = reply_forwarded(out, &c, found,
	                             candidate_reply(opts, msg, q, name, name_len, &ref, &pod,
	                                             found),
	                             opts->udp_cap);
	if (!*reply_len)
		return QUERY_DROP;
	atomic_fetch_add_explicit(&successes, 1, memory_order_relaxed);
	if (ref.status == ANSWER_FOUND && ref.chase && !opts->refuse_outside &&
	    !(dns_flags(out) & DNS_FLAG_TC))
		return QUERY_CHASE;
	return QUERY_REPLY;
}
