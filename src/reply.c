/* reply.c - writes the replies svcdns answers from its own data (reply.h):
 * header, question echo, answer records, negative SOA, pod record, OPT. */
#include "reply.h"

#include <string.h>
#include <sys/socket.h>

#include "answer_table.h"
#include "dns.h"
#include "records.h"

static void put_header(uint8_t *out, const uint8_t *query, uint16_t flags, uint8_t rcode,
                       uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar);
static void put_found(struct reply *r, const struct answer_ref *ref);
static void put_pod(struct reply *r, const struct answer_ref *ref);

void reply_begin(struct reply *r, uint8_t *out, const uint8_t *query, size_t qend,
                 size_t limit, bool edns, uint16_t edns_flags, uint16_t udp_size)
{
	r->out = out;
	r->query = query;
	r->limit = limit;
	r->flags = 0;
	r->rcode = 0;
	r->an = r->ns = r->ar = 0;
	r->edns = edns;
	r->edns_flags = edns_flags;
	r->udp_size = udp_size;
	/* The question exactly as it came (the client's letter case too):
	   answer owners point at it. */
	memcpy(out + DNS_HEADER_LEN, query + DNS_HEADER_LEN, qend - DNS_HEADER_LEN);
	r->len = qend;
}

size_t reply_header_only(uint8_t *out, const uint8_t *query, uint8_t rcode)
{
	put_header(out, query, 0, rcode, 0, 0, 0, 0);
	return DNS_HEADER_LEN;
}

void reply_answer(struct reply *r, const struct answer_ref *ref)
{
	r->flags |= DNS_FLAG_AA;
	switch (ref->status) {
	case ANSWER_FOUND:
		put_found(r, ref);
		break;
	case ANSWER_POD:
		put_pod(r, ref);
		break;
	case ANSWER_NXDOMAIN:
		r->rcode = DNS_RCODE_NXDOMAIN;
		/* fall through */
	case ANSWER_NODATA:
		/* SOA owner: the zone apex in its own (lower) case, as CoreDNS
		   writes it, not a pointer into the client's question. */
		memcpy(r->out + r->len, ref->apex, ref->apex_len);
		memcpy(r->out + r->len + ref->apex_len, ref->soa, ref->soa_len);
		r->len += ref->apex_len + ref->soa_len;
		r->ns = 1;
		break;
	case ANSWER_OUTSIDE:
		break;
	}
}

size_t reply_finish(struct reply *r, uint8_t ext_rcode)
{
	if (r->edns) {
		r->len += dns_put_opt(r->out + r->len, r->udp_size, ext_rcode, r->edns_flags);
		r->ar++;
	}
	put_header(r->out, r->query, r->flags, r->rcode, 1, r->an, r->ns, r->ar);
	return r->len;
}

size_t reply_finish_partial(struct reply *r)
{
	put_header(r->out, r->query, r->flags, r->rcode, 1, r->an, r->ns, r->ar);
	return r->len;
}

/* The answer body, as many whole records as fit before our OPT. */
static void put_found(struct reply *r, const struct answer_ref *ref)
{
	const struct answer_body *b = &ref->body;
	size_t avail = r->limit - r->len - (r->edns ? DNS_OPT_LEN : 0);
	size_t body = b->len;
	uint32_t total = (uint32_t)b->an + b->ns + b->ar, keep = total;

	if (body > avail) {
		keep = 0;
		while (keep < total && b->ends[keep] <= avail)
			keep++;
		body = keep ? b->ends[keep - 1] : 0;
	}
	r->an = (uint16_t)(keep < b->an ? keep : b->an);
	r->ns = (uint16_t)(keep - r->an < b->ns ? keep - r->an : b->ns);
	r->ar = (uint16_t)(keep - r->an - r->ns);
	/* Dropping glue is fine; dropping answers means "ask over TCP". */
	if (r->an < b->an || r->ns < b->ns)
		r->flags |= DNS_FLAG_TC;
	if (ref->pointer_shift)
		body = answer_body_copy(b, keep, ref->pointer_shift, ref->question_moves,
		                        r->out + r->len);
	else
		memcpy(r->out + r->len, b->wire, body);
	r->len += body;
}

/* a-b-c-d.<ns>.pod.<zone>: the address its name spells, owned by the
   question. */
static void put_pod(struct reply *r, const struct answer_ref *ref)
{
	bool v4 = ref->pod_ip.family == AF_INET;
	size_t rdlen = v4 ? 4 : 16;
	uint8_t *p = r->out + r->len;

	wire_put_u16(p, 0xC000 | DNS_HEADER_LEN);
	wire_put_u16(p + 2, v4 ? RR_TYPE_A : RR_TYPE_AAAA);
	wire_put_u16(p + 4, 1);
	wire_put_u32(p + 6, ref->ttl);
	wire_put_u16(p + 10, (uint16_t)rdlen);
	memcpy(p + 12, ref->pod_ip.bytes, rdlen);
	r->len += 12 + rdlen;
	r->an = 1;
}

static void put_header(uint8_t *out, const uint8_t *query, uint16_t flags, uint8_t rcode,
                       uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
	uint16_t asked = dns_flags(query);

	out[0] = query[0];
	out[1] = query[1];
	dns_set_flags(out, (uint16_t)(DNS_FLAG_QR |
	                              (asked & (DNS_OPCODE_MASK | DNS_FLAG_RD | DNS_FLAG_CD)) |
	                              flags | (rcode & DNS_RCODE_MASK)));
	dns_set_counts(out, qd, an, ns, ar);
}
