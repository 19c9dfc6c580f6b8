/* query.c - the hot path. Check the header, read the question into a
 * lower-case stack buffer, look the answer up, and decide the reply, which
 * reply.c writes: header, the client's question bytes as received, the
 * records, OPT. */
#include "query.h"

#include <string.h>

#include "answer_lookup.h"
#include "autopath.h"
#include "dname.h"
#include "dns.h"
#include "hosts.h"
#include "pod_map.h"
#include "records.h"
#include "reply.h"


static int parse_question(const uint8_t *msg, size_t len, struct query_question *q);

/* The names of --hosts come before the cluster's, as CoreDNS's hosts
   plugin comes before kubernetes; and before the first sync. */
static bool hosts_lookup(const struct query_opts *opts, const uint8_t *lname, size_t len,
                         uint16_t qtype, struct answer_ref *ref)
{
	const struct hosts_table *hosts;

	if (!opts->hosts || !(hosts = hosts_slot_acquire(opts->hosts)))
		return false;
	return hosts_table_lookup(hosts, lname, len, qtype, ref);
}

/* query_lookup, inlined into the hot path */
static inline void lookup_local(const struct answer_table *table, const struct query_opts *opts,
                                const uint8_t *lname, size_t len, uint16_t qtype,
                                struct answer_ref *ref)
{
	if (!opts->hosts || !hosts_lookup(opts, lname, len, qtype, ref))
		answer_lookup(table, lname, len, qtype, ref);
}

void query_lookup(const struct answer_table *table, const struct query_opts *opts,
                  const uint8_t *lname, size_t len, uint16_t qtype, struct answer_ref *ref)
{
	lookup_local(table, opts, lname, len, qtype, ref);
}
static int parse_records(const uint8_t *msg, size_t len, size_t *pos, uint16_t count,
                         bool opt_allowed, struct query_question *q);

enum query_result query_answer(const struct answer_table *table,
                               const struct query_opts *opts,
                               const uint8_t *msg, size_t len, bool tcp,
                               const struct sockaddr *client,
                               uint8_t *out, size_t *reply_len)
{
	struct query_question q;
	struct answer_ref ref;
	struct reply r;

	if (len < WIRE_HEADER_LEN)
		return QUERY_DROP; /* not even an ID to answer to */
	if (dns_flags(msg) & DNS_FLAG_QR)
		return QUERY_DROP; /* never answer a response: reflection loops */
	if (dns_opcode(msg) != 0) {
		*reply_len = reply_header_only(out, msg, DNS_RCODE_NOTIMP);
		return QUERY_REPLY;
	}
	/* Only an IXFR query has an authority section: the client's SOA
	   (RFC 1995). It is refused below like AXFR, not a FORMERR. */
	if (dns_qdcount(msg) != 1 || dns_ancount(msg) != 0 || query_parse(msg, len, &q) < 0 ||
	    (dns_nscount(msg) != 0 && q.qtype != RR_TYPE_IXFR)) {
		*reply_len = reply_header_only(out, msg, DNS_RCODE_FORMERR);
		return QUERY_REPLY;
	}
	reply_begin(&r, out, msg, q.qend,
	            tcp ? QUERY_MAX_MSG : dns_udp_limit(q.edns, q.edns_size, opts->udp_cap),
	            q.edns, q.edns_flags, opts->udp_cap);
	r.round_robin = opts->round_robin;
	if (q.edns && q.edns_version != 0) {
		/* RFC 6891 6.1.3: BADVERS, with our OPT saying version 0. */
		r.rcode = DNS_RCODE_BADVERS & DNS_RCODE_MASK;
		*reply_len = reply_finish(&r, DNS_RCODE_BADVERS >> 4);
		return QUERY_REPLY;
	}
	if (q.qclass != 1 || q.qtype == RR_TYPE_AXFR || q.qtype == RR_TYPE_IXFR) {
		r.rcode = DNS_RCODE_REFUSED;
		goto done;
	}
	if (q.qtype == RR_TYPE_OPT) {
		r.rcode = DNS_RCODE_FORMERR;
		goto done;
	}
	if (!table) {
		size_t z;
		if (hosts_lookup(opts, q.lname, q.lname_len, q.qtype, &ref)) {
			reply_answer(&r, &ref);
			goto done;
		}
		for (z = 0; z < opts->n_zones; z++)
			if (dname_is_under(q.lname, q.lname_len, opts->zones[z].name,
			                   opts->zones[z].len))
				break;
		if (z == opts->n_zones && !opts->refuse_outside)
			return QUERY_FORWARD;
		/* No data yet: SERVFAIL, never a false NXDOMAIN. */
		r.rcode = z == opts->n_zones ? DNS_RCODE_REFUSED : DNS_RCODE_SERVFAIL;
		goto done;
	}

	lookup_local(table, opts, q.lname, q.lname_len, q.qtype, &ref);
	if (ref.status == ANSWER_OUTSIDE) {
		if (!opts->refuse_outside)
			return QUERY_FORWARD;
		r.rcode = DNS_RCODE_REFUSED;
		goto done;
	}
	if (ref.status == ANSWER_NXDOMAIN && opts->autopath) {
		enum query_result walked =
			autopath_answer(table, opts, msg, &q, tcp, client, out, reply_len);
		if (walked != QUERY_DROP)
			return walked;
	}
	if (opts->prefer_zone && ref.status == ANSWER_FOUND && client &&
	    (q.qtype == RR_TYPE_A || q.qtype == RR_TYPE_AAAA)) {
		struct pod_client pod;
		if (pod_map_lookup(opts->pods, client, &pod) && pod.zone)
			reply_prefer_zone(&r, opts->pods, opts->zone_hints, q.lname, pod.zone);
	}
	reply_answer(&r, &ref);
	if (ref.status == ANSWER_FOUND && ref.chase && !opts->refuse_outside &&
	    !(r.flags & DNS_FLAG_TC)) {
		/* CoreDNS resolves an ExternalName's outside target upstream and
		   answers with both; the forwarder appends the rest. */
		*reply_len = reply_finish_partial(&r);
		return QUERY_CHASE;
	}
done:
	*reply_len = reply_finish(&r, 0);
	return QUERY_REPLY;
}

int query_parse(const uint8_t *msg, size_t len, struct query_question *q)
{
	q->edns = false;
	q->edns_flags = 0;
	size_t pos;

	if (len < WIRE_HEADER_LEN || parse_question(msg, len, q) < 0)
		return -1;
	pos = q->qend;
	if (parse_records(msg, len, &pos, wire_u16(msg + 8), false, q) < 0)
		return -1;
	return parse_records(msg, len, &pos, wire_u16(msg + 10), true, q);
}

/* The name must be plain labels (no compression in a question), lower-cased
   into q->lname as it is read. */
static int parse_question(const uint8_t *msg, size_t len, struct query_question *q)
{
	size_t pos = WIRE_HEADER_LEN, out = 0;

	for (;;) {
		uint8_t n;
		size_t i;

		if (pos >= len)
			return -1;
		n = msg[pos++];
		if (n == 0)
			break;
		if (n > 63 || pos + n > len || out + 1 + n + 1 > 255)
			return -1;
		q->lname[out++] = n;
		for (i = 0; i < n; i++) {
			uint8_t c = msg[pos + i];
			q->lname[out++] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
		}
		pos += n;
	}
	q->lname[out++] = 0;
	q->lname_len = out;
	if (pos + 4 > len)
		return -1;
	q->qtype = wire_u16(msg + pos);
	q->qclass = wire_u16(msg + pos + 2);
	q->qend = pos + 4;
	return 0;
}

/* Walks count records from *pos: the authority section (an IXFR's SOA,
   skipped), then the additional one, read for its OPT record (opt_allowed).
   Anything malformed, an OPT elsewhere, or two OPTs is a FORMERR; other
   records (TSIG...) are ignored. */
static int parse_records(const uint8_t *msg, size_t len, size_t *at, uint16_t count,
                         bool opt_allowed, struct query_question *q)
{
	size_t pos = *at;
	uint16_t i;

	for (i = 0; i < count; i++) {
		size_t name_start = pos;
		uint16_t type, rdlen;

		/* Skip the owner: labels, or a pointer, bounded by the packet. */
		for (;;) {
			uint8_t n;
			if (pos >= len)
				return -1;
			n = msg[pos];
			if ((n & 0xC0) == 0xC0) {
				pos += 2;
				break;
			}
			if (n > 63)
				return -1;
			pos += 1 + n;
			if (n == 0)
				break;
		}
		if (pos + 10 > len)
			return -1;
		type = wire_u16(msg + pos);
		rdlen = wire_u16(msg + pos + 8);
		if (pos + 10 + rdlen > len)
			return -1;
		if (type == RR_TYPE_OPT) {
			if (!opt_allowed || q->edns || msg[name_start] != 0)
				return -1;
			q->edns = true;
			q->edns_size = wire_u16(msg + pos + 2);
			q->edns_version = msg[pos + 5];
			q->edns_flags = wire_u16(msg + pos + 6);
		}
		pos += 10 + rdlen;
	}
	*at = pos;
	return 0;
}


