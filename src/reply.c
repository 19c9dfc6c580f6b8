/* reply.c - writes every reply svcdns sends (reply.h): from its own data
 * (header, question echo, answer records, negative SOA, pod record, OPT)
 * and from an upstream's. */
#include "reply.h"

#include <string.h>
#include <sys/socket.h>

#include "answer_table.h"
#include "dns.h"
#include "dnsmsg.h"
#include "records.h"

static void put_header(uint8_t *out, const uint8_t *query, uint16_t flags, uint8_t rcode,
                       uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar);
static void put_found(struct reply *r, const struct answer_ref *ref);
static void put_pod(struct reply *r, const struct answer_ref *ref);
static size_t put_chased(uint8_t *out, const struct reply_client *c, const uint8_t *msg,
                         size_t len, size_t cap);
static size_t put_client_opt(uint8_t *out, size_t len, const struct reply_client *c,
                             uint16_t udp_size);

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

/* ---- replies to forwarded queries -------------------------------------- */

size_t reply_forwarded(uint8_t *out, const struct reply_client *c, const uint8_t *msg,
                       size_t len, uint16_t udp_size)
{
	size_t qend = DNS_HEADER_LEN + c->question_len;
	size_t opt_len = c->edns ? DNS_OPT_LEN : 0;

	if (c->prefix) {
		len = put_chased(out, c, msg, len, c->limit - opt_len);
	} else {
		if (len < qend)
			return 0;
		memcpy(out, msg, len);
		out[0] = c->id[0];
		out[1] = c->id[1];
		/* The question exactly as the client wrote it (0x20 case too). */
		memcpy(out + DNS_HEADER_LEN, c->question, c->question_len);
		if (len + opt_len > c->limit) {
			/* Too big for this client: an empty TC reply sends it to TCP. */
			len = qend;
			dns_set_flags(out, dns_flags(out) | DNS_FLAG_TC);
			dns_set_counts(out, 1, 0, 0, 0);
		}
	}
	return put_client_opt(out, len, c, udp_size);
}

size_t reply_error(uint8_t *out, const struct reply_client *c, uint8_t rcode,
                   uint16_t udp_size)
{
	out[0] = c->id[0];
	out[1] = c->id[1];
	dns_set_flags(out, (uint16_t)(DNS_FLAG_QR | DNS_FLAG_RA |
	                              (c->flags & (DNS_FLAG_RD | DNS_FLAG_CD)) | rcode));
	dns_set_counts(out, 1, 0, 0, 0);
	memcpy(out + DNS_HEADER_LEN, c->question, c->question_len);
	return put_client_opt(out, DNS_HEADER_LEN + c->question_len, c, udp_size);
}

/* RA and our OPT on a forwarded reply of len bytes; returns the new length.
   svcdns offers recursion for every name it forwards, whatever the
   upstream (an authoritative server sets no RA): glibc's res_send and Go
   take an empty NOERROR answer with neither AA nor RA for a lame referral
   and fail the lookup. */
static size_t put_client_opt(uint8_t *out, size_t len, const struct reply_client *c,
                             uint16_t udp_size)
{
	if (c->flags & DNS_FLAG_RD)
		dns_set_flags(out, dns_flags(out) | DNS_FLAG_RA);
	if (c->edns) {
		len += dns_put_opt(out + len, udp_size, 0, c->edns_flags);
		wire_put_u16(out + 10, (uint16_t)(dns_arcount(out) + 1));
	}
	return len;
}

/* Our CNAME (the prefix), then as many of the target's answer and
   authority records from the upstream's reply as fit in cap bytes (names
   written out in full: its compression pointers meant its own message).
   The CNAME is ours, so the reply is authoritative, as CoreDNS's is; what
   does not fit is cut at a whole record with TC set, so the client keeps
   the CNAME and asks again over TCP. */
static size_t put_chased(uint8_t *out, const struct reply_client *c, const uint8_t *msg,
                         size_t len, size_t cap)
{
	size_t o, pos, i;
	struct dnsmsg m;
	uint16_t an = 0, ns = 0, flags;

	if (cap > DNS_MAX_MSG - DNS_OPT_LEN)
		cap = DNS_MAX_MSG - DNS_OPT_LEN;
	o = DNS_HEADER_LEN + c->question_len;
	out[0] = c->id[0];
	out[1] = c->id[1];
	memcpy(out + DNS_HEADER_LEN, c->question, c->question_len);
	memcpy(out + o, c->prefix, c->prefix_len);
	o += c->prefix_len;
	flags = (uint16_t)(DNS_FLAG_QR | DNS_FLAG_AA | (c->flags & (DNS_FLAG_RD | DNS_FLAG_CD)));
	if (dnsmsg_parse(msg, len, &m) == 0) {
		flags |= (uint16_t)((m.flags & DNS_FLAG_RA) | m.rcode);
		pos = m.question_end;
		for (i = 0; i < (size_t)m.an + m.ns; i++) {
			size_t n = o < cap ? dnsmsg_copy_rr(msg, len, &pos, out + o, cap - o) : 0;
			if (!n) {
				flags |= DNS_FLAG_TC;
				break;
			}
			o += n;
			if (i < m.an)
				an++;
			else
				ns++;
		}
	} else {
		flags |= DNS_RCODE_SERVFAIL;
	}
	dns_set_flags(out, flags);
	dns_set_counts(out, 1, (uint16_t)(c->prefix_an + an), ns, 0);
	return o;
}
