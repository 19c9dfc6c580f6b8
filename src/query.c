/* query.c - the hot path. Check the header, read the question into a
 * lower-case stack buffer, look the answer up, and assemble: header, the
 * client's question bytes as received, the prebuilt records, OPT. */
#include "query.h"

#include <string.h>
#include <sys/socket.h>

#include "answer_table.h"
#include "dname.h"
#include "dns.h"
#include "records.h"


static int parse_question(const uint8_t *msg, size_t len, struct query_question *q);
static int parse_records(const uint8_t *msg, size_t len, size_t *pos, uint16_t count,
                         bool opt_allowed, struct query_question *q);
static size_t put_header(uint8_t *out, const uint8_t *msg, uint16_t flags,
                         uint8_t rcode, uint16_t qd, uint16_t an, uint16_t ns,
                         uint16_t ar);

enum query_result query_answer(const struct answer_table *table,
                               const struct query_opts *opts,
                               const uint8_t *msg, size_t len, bool tcp,
                               uint8_t *out, size_t *reply_len)
{
	struct query_question q;
	struct answer_ref ref;
	uint8_t rcode = DNS_RCODE_NOERROR;
	uint16_t flags = 0;
	size_t limit, pos, qlen, opt_len;
	uint16_t an = 0, ns = 0, ar = 0;

	if (len < WIRE_HEADER_LEN)
		return QUERY_DROP; /* not even an ID to answer to */
	if (dns_flags(msg) & DNS_FLAG_QR)
		return QUERY_DROP; /* never answer a response: reflection loops */
	if (dns_opcode(msg) != 0) {
		*reply_len = put_header(out, msg, 0, DNS_RCODE_NOTIMP, 0, 0, 0, 0);
		return QUERY_REPLY;
	}
	if (dns_qdcount(msg) != 1 || dns_ancount(msg) != 0) {
		*reply_len = put_header(out, msg, 0, DNS_RCODE_FORMERR, 0, 0, 0, 0);
		return QUERY_REPLY;
	}
	/* Only an IXFR query has an authority section: the client's SOA
	   (RFC 1995). It is refused below like AXFR, not a FORMERR. */
	if (query_parse(msg, len, &q) < 0 ||
	    (dns_nscount(msg) != 0 && q.qtype != RR_TYPE_IXFR)) {
		*reply_len = put_header(out, msg, 0, DNS_RCODE_FORMERR, 0, 0, 0, 0);
		return QUERY_REPLY;
	}
	qlen = q.qend - WIRE_HEADER_LEN;
	opt_len = q.edns ? DNS_OPT_LEN : 0;
	pos = WIRE_HEADER_LEN + qlen;

	if (q.edns && q.edns_version != 0) {
		/* RFC 6891 6.1.3: BADVERS, with our OPT saying version 0. */
		put_header(out, msg, 0, DNS_RCODE_BADVERS & 0x0f, 1, 0, 0, 1);
		memcpy(out + WIRE_HEADER_LEN, msg + WIRE_HEADER_LEN, qlen);
		pos = WIRE_HEADER_LEN + qlen;
		pos += dns_put_opt(out + pos, opts->udp_cap, DNS_RCODE_BADVERS >> 4, q.edns_flags);
		*reply_len = pos;
		return QUERY_REPLY;
	}
	if (q.qclass != 1 || q.qtype == RR_TYPE_AXFR || q.qtype == RR_TYPE_IXFR) {
		rcode = DNS_RCODE_REFUSED;
		goto negative_plain;
	}
	if (q.qtype == RR_TYPE_OPT) {
		rcode = DNS_RCODE_FORMERR;
		goto negative_plain;
	}
	if (!table) {
		size_t z;
		for (z = 0; z < opts->n_zones; z++)
			if (dname_is_under(q.lname, q.lname_len, opts->zones[z].name,
			                   opts->zones[z].len))
				break;
		if (z == opts->n_zones && !opts->refuse_outside)
			return QUERY_FORWARD;
		/* No data yet: SERVFAIL, never a false NXDOMAIN. */
		rcode = z == opts->n_zones ? DNS_RCODE_REFUSED : DNS_RCODE_SERVFAIL;
		goto negative_plain;
	}

	limit = tcp ? QUERY_MAX_MSG : dns_udp_limit(q.edns, q.edns_size, opts->udp_cap);

	answer_table_lookup(table, q.lname, q.lname_len, q.qtype, &ref);
	memcpy(out + WIRE_HEADER_LEN, msg + WIRE_HEADER_LEN, qlen);
	flags = DNS_FLAG_AA;
	switch (ref.status) {
	case ANSWER_FOUND: {
		size_t avail = limit - WIRE_HEADER_LEN - qlen - opt_len;
		size_t body = ref.body.len;
		uint32_t total = (uint32_t)ref.body.an + ref.body.ns + ref.body.ar, keep = total;

		if (body > avail) {
			keep = 0;
			while (keep < total && ref.body.ends[keep] <= avail)
				keep++;
			body = keep ? ref.body.ends[keep - 1] : 0;
		}
		an = (uint16_t)(keep < ref.body.an ? keep : ref.body.an);
		ns = (uint16_t)(keep - an < ref.body.ns ? keep - an : ref.body.ns);
		ar = (uint16_t)(keep - an - ns);
		/* Dropping glue is fine; dropping answers means "ask over TCP". */
		if (an < ref.body.an || ns < ref.body.ns)
			flags |= DNS_FLAG_TC;
		if (ref.pointer_shift)
			body = answer_body_copy(&ref.body, keep, ref.pointer_shift,
			                        ref.question_moves, out + pos);
		else
			memcpy(out + pos, ref.body.wire, body);
		pos += body;
		break;
	}
	case ANSWER_POD: {
		bool v4 = ref.pod_ip.family == AF_INET;
		size_t rdlen = v4 ? 4 : 16;
		wire_put_u16(out + pos, 0xC000 | WIRE_HEADER_LEN);
		wire_put_u16(out + pos + 2, v4 ? RR_TYPE_A : RR_TYPE_AAAA);
		wire_put_u16(out + pos + 4, 1);
		wire_put_u32(out + pos + 6, ref.ttl);
		wire_put_u16(out + pos + 10, (uint16_t)rdlen);
		memcpy(out + pos + 12, ref.pod_ip.bytes, rdlen);
		pos += 12 + rdlen;
		an = 1;
		break;
	}
	case ANSWER_NXDOMAIN:
		rcode = DNS_RCODE_NXDOMAIN;
		/* fall through */
	case ANSWER_NODATA:
		/* SOA owner: the zone apex in its own (lower) case, as CoreDNS
		   writes it, not a pointer into the client's question. */
		memcpy(out + pos, ref.apex, ref.apex_len);
		memcpy(out + pos + ref.apex_len, ref.soa, ref.soa_len);
		pos += ref.apex_len + ref.soa_len;
		ns = 1;
		break;
	case ANSWER_OUTSIDE:
		if (!opts->refuse_outside)
			return QUERY_FORWARD;
		rcode = DNS_RCODE_REFUSED;
		flags = 0;
		break;
	}
	if (ref.status == ANSWER_FOUND && ref.chase && !opts->refuse_outside &&
	    !(flags & DNS_FLAG_TC)) {
		/* CoreDNS resolves an ExternalName's outside target upstream and
		   answers with both; the forwarder appends the rest. */
		put_header(out, msg, 0, rcode, 1, an, ns, ar);
		*reply_len = pos;
		return QUERY_CHASE;
	}
	if (q.edns) {
		pos += dns_put_opt(out + pos, opts->udp_cap, 0, q.edns_flags);
		ar++;
	}
	put_header(out, msg, flags, rcode, 1, an, ns, ar);
	*reply_len = pos;
	return QUERY_REPLY;

negative_plain:
	memcpy(out + WIRE_HEADER_LEN, msg + WIRE_HEADER_LEN, qlen);
	pos = WIRE_HEADER_LEN + qlen;
	if (q.edns)
		pos += dns_put_opt(out + pos, opts->udp_cap, 0, q.edns_flags);
	put_header(out, msg, 0, rcode, 1, 0, 0, q.edns ? 1 : 0);
	*reply_len = pos;
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

static size_t put_header(uint8_t *out, const uint8_t *msg, uint16_t flags,
                         uint8_t rcode, uint16_t qd, uint16_t an, uint16_t ns,
                         uint16_t ar)
{
	uint16_t asked = dns_flags(msg);

	out[0] = msg[0];
	out[1] = msg[1];
	dns_set_flags(out, (uint16_t)(DNS_FLAG_QR | (asked & (DNS_OPCODE_MASK | DNS_FLAG_RD |
	                                                      DNS_FLAG_CD)) |
	                              flags | (rcode & DNS_RCODE_MASK)));
	dns_set_counts(out, qd, an, ns, ar);
	return WIRE_HEADER_LEN;
}

