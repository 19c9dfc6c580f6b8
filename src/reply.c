/* reply.c - writes every reply svcdns sends (reply.h): from its own data
 * (header, question echo, answer records, negative SOA, pod record, OPT)
 * and from an upstream's. */
#include "reply.h"

#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "answer_encode.h"
#include "answer_lookup.h"
#include "dname.h"
#include "dns.h"
#include "dnsmsg.h"
#include "pod_map.h"
#include "records.h"
#include "zone_hints.h"

static void put_header(uint8_t *out, const uint8_t *query, uint16_t flags, uint8_t rcode,
                       uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar);
static void put_found(struct reply *r, const struct answer_ref *ref);
static void put_pod(struct reply *r, const struct answer_ref *ref);
static size_t put_chased(uint8_t *out, const struct reply_client *c, const uint8_t *msg,
                         size_t len, size_t cap);
static size_t put_client_opt(uint8_t *out, size_t len, const struct reply_client *c,
                             uint16_t udp_size);
static inline size_t address_run(const struct answer_body *b);
static uint16_t body_rotation(const struct answer_body *b, size_t *rec_len);
static size_t copy_zone_first(const struct reply *r, const struct answer_body *b,
                              uint32_t keep, size_t rec_len, uint8_t *out);
static size_t copy_rotated(const struct answer_body *b, uint32_t keep, uint16_t first,
                           size_t rec_len, uint8_t *out);
static void rotate_runs(uint8_t *msg, size_t pos, size_t len, uint16_t an);
static bool put_srv_rotated(struct reply *r, const struct answer_body *b, size_t avail);
static size_t put_glue(const uint8_t *msg, uint8_t *out, size_t room, const uint8_t *rec,
                       size_t len, const uint8_t *body, size_t base, size_t rot_start,
                       size_t answer_end);
static void rotate_srv_copied(const struct reply *r, const struct answer_body *b, uint8_t *out);

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
	r->round_robin = false;
	r->zones = NULL;
	r->hints = NULL;
	r->hint_service = 0;
	r->client_zone = 0;
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
	uint16_t first;
	size_t rec_len;

	if (r->round_robin && !ref->pointer_shift && put_srv_rotated(r, b, avail))
		return;

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
	if (r->client_zone && !ref->pointer_shift && (rec_len = address_run(b)) != 0) {
		/* before the cut too: a truncated answer holds the near ones */
		body = copy_zone_first(r, b, keep, rec_len, r->out + r->len);
	} else if (ref->pointer_shift) {
		body = reply_body_copy(b, keep, ref->pointer_shift, ref->question_moves,
		                        r->out + r->len);
		if (r->round_robin) {
			rotate_runs(r->out, r->len, r->len + body, r->an);
			if (keep == total)
				rotate_srv_copied(r, b, r->out + r->len);
		}
	} else if (r->round_robin && (first = body_rotation(b, &rec_len)) != 0) {
		/* Rotated before the cut: a client that takes a truncated
		   answer as it is still gets a different part each time. */
		body = copy_rotated(b, keep, first, rec_len, r->out + r->len);
	} else {
		memcpy(r->out + r->len, b->wire, body);
	}
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
	if (c->round_robin)
		rotate_runs(out, DNS_HEADER_LEN + c->question_len, len, dns_ancount(out));
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
	flags = (uint16_t)(DNS_FLAG_QR | DNS_FLAG_AA | (c->flags & (DNS_FLAG_RD | DNS_FLAG_CD)));
	if (o + c->prefix_len > cap) {
		/* A long question and our long CNAME do not fit 512 bytes:
		   the empty TC reply sends the client to TCP. */
		dns_set_flags(out, flags | DNS_FLAG_TC);
		dns_set_counts(out, 1, 0, 0, 0);
		return o;
	}
	memcpy(out + o, c->prefix, c->prefix_len);
	o += c->prefix_len;
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

/* ---- round robin (CoreDNS's loadbalance) ----------------------------------
   An answer of several A or AAAA records of one owner starts at a random
   one of them, so that clients which take the first address spread over
   all of them. Only records of one owner, type and size move: each keeps
   its place's length, so no compression pointer (the owners', or any
   later record's into them) changes its meaning. The cluster's SRV
   answers rotate too (beyond CoreDNS, which leaves SRV alone): their
   records differ in length, so the glue's pointers into their targets
   are moved with them (put_srv_rotated). */

/* Per query thread. The start need not be unpredictable, only even. */
static _Thread_local uint32_t rr_state;

static uint32_t rr_next(void)
{
	uint32_t x = rr_state;

	if (!x && (getrandom(&x, sizeof(x), GRND_NONBLOCK) != (ssize_t)sizeof(x) || !x))
		x = ((uint32_t)(uintptr_t)&rr_state ^ (uint32_t)time(NULL)) | 1;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	rr_state = x;
	return x;
}

/* The record a rotated copy of b's answer starts at, and their length:
   0 unless the answer is 2 or more A or AAAA records of one owner (a
   pointer) and one size. */
/* The length of each record when b's answer is a run of 2 or more A or
   AAAA records of one owner (a pointer) and size, else 0. */
static inline size_t address_run(const struct answer_body *b)
{
	size_t s, i;
	uint16_t type;

	if (b->an < 2)
		return 0;
	s = b->ends[0];
	if (s < 4 || (b->wire[0] & 0xC0) != 0xC0)
		return 0;
	type = wire_u16(b->wire + 2);
	if (type != RR_TYPE_A && type != RR_TYPE_AAAA)
		return 0;
	for (i = 1; i < b->an; i++)
		if (b->ends[i] != (i + 1) * s || memcmp(b->wire + i * s, b->wire, 4) != 0)
			return 0;
	return s;
}

static uint16_t body_rotation(const struct answer_body *b, size_t *rec_len)
{
	if (!(*rec_len = address_run(b)))
		return 0;
	return (uint16_t)(rr_next() % b->an);
}

void reply_prefer_zone(struct reply *r, const struct pod_map *pods,
                       const struct zone_hints *hints, const uint8_t *lname,
                       uint32_t client_zone)
{
	r->zones = pods;
	r->client_zone = client_zone;
	/* A service's name starts with its own label and its namespace's. */
	if (hints && lname[0] && lname[1 + lname[0]]) {
		r->hints = hints;
		r->hint_service = zone_hints_service(lname, lname + 1 + lname[0]);
	}
}

/* Whether the endpoint at addr is meant for the client's zone: by the
   slice's hints, else by its pod's node's zone when its pod is known (no
   zone when the node has none), else by the slice's zone field
   (zone_hints.h). */
static bool meant_for_client(const struct reply *r, const uint8_t *addr, size_t len)
{
	bool hinted = false;
	int said = r->hints ? zone_hints_prefers(r->hints, r->hint_service, addr, len,
	                                         r->client_zone, &hinted)
	                    : -1;
	uint32_t pod_zone;

	if (said >= 0 && hinted)
		return said == 1;
	if (pod_map_zone_of(r->zones, addr, len, &pod_zone))
		return pod_zone == r->client_zone;
	return said == 1;
}

/* --prefer-zone: b's first keep records (see put_found) with the answer's
   records whose address is in the client's zone first, then the others;
   each group in its order, rotated to start at a random one of its own
   records (round robin: each as likely) or as kept. rec_len:
   address_run's. Returns the bytes written. */
static size_t copy_zone_first(const struct reply *r, const struct answer_body *b,
                              uint32_t keep, size_t rec_len, uint8_t *out)
{
	uint64_t local[(DNS_MAX_MSG / 16 + 63) / 64] = {0}; /* an A record is 16 bytes */
	size_t an = b->an, kept = keep < an ? keep : an, end = keep ? b->ends[keep - 1] : 0;
	size_t answer_end = an * rec_len, n = 0, n_local = 0, k, i;
	int pass;

	for (i = 0; i < an; i++)
		if (meant_for_client(r, b->wire + i * rec_len + 12, rec_len - 12)) {
			local[i / 64] |= (uint64_t)1 << (i % 64);
			n_local++;
		}
	for (pass = 0; pass < 2; pass++) {
		size_t size = pass == 0 ? n_local : an - n_local;
		size_t start = r->round_robin && size ? rr_next() % size : 0, rank = 0;
		unsigned want = pass == 0 ? 1u : 0u;
		/* the group's records from its start-th one, then from its first */
		for (k = 0; k < 2; k++)
			for (i = 0, rank = 0; i < an && n < kept; i++) {
				if (((local[i / 64] >> (i % 64)) & 1) != want)
					continue;
				if (k == 0 ? rank >= start : rank < start) {
					memcpy(out + n * rec_len, b->wire + i * rec_len, rec_len);
					n++;
				}
				rank++;
			}
	}
	if (end > answer_end)
		memcpy(out + answer_end, b->wire + answer_end, end - answer_end);
	return end;
}

/* b's first keep records (see put_found), the answer's rotated to start
   at record first. Returns the bytes written. */
static size_t copy_rotated(const struct answer_body *b, uint32_t keep, uint16_t first,
                           size_t rec_len, uint8_t *out)
{
	size_t an = keep < b->an ? keep : b->an;
	size_t head = (size_t)(b->an - first) < an ? (size_t)(b->an - first) : an;
	size_t end = keep ? b->ends[keep - 1] : 0;
	size_t answer_end = (size_t)b->an * rec_len;

	memcpy(out, b->wire + first * rec_len, head * rec_len);
	memcpy(out + head * rec_len, b->wire, (an - head) * rec_len);
	if (end > answer_end)
		memcpy(out + answer_end, b->wire + answer_end, end - answer_end);
	return end;
}

static void reverse_bytes(uint8_t *a, size_t n)
{
	size_t i, j;

	for (i = 0, j = n; i + 1 < j; i++, j--) {
		uint8_t t = a[i];
		a[i] = a[j - 1];
		a[j - 1] = t;
	}
}

/* Rotates run (n records of rec_len bytes) to start at a random record. */
static void rotate_run(uint8_t *run, size_t n, size_t rec_len)
{
	size_t k = (rr_next() % n) * rec_len;

	if (!k)
		return;
	reverse_bytes(run, k);
	reverse_bytes(run + k, n * rec_len - k);
	reverse_bytes(run, n * rec_len);
}

/* The length of the name at pos of msg (labels, then a zero or a
   pointer), or 0 past len. */
static size_t name_len_at(const uint8_t *msg, size_t pos, size_t len)
{
	size_t p = pos;

	while (p < len && msg[p] != 0 && (msg[p] & 0xC0) != 0xC0)
		p += 1u + msg[p];
	if (p >= len)
		return 0;
	return p - pos + (msg[p] ? 2 : 1);
}

/* Rotates in place each run of 2 or more A or AAAA records with the same
   owner bytes and size among the an answer records that start at pos of
   msg (len bytes, validated or written here). */
static void rotate_runs(uint8_t *msg, size_t pos, size_t len, uint16_t an)
{
	size_t run = 0, run_n = 0, run_len = 0, run_owner = 0;
	uint16_t i;

	for (i = 0; i < an; i++) {
		size_t owner = name_len_at(msg, pos, len), rec_len;
		uint16_t type;

		if (!owner || pos + owner + 10 > len)
			break;
		type = wire_u16(msg + pos + owner);
		rec_len = owner + 10 + wire_u16(msg + pos + owner + 8);
		if (pos + rec_len > len)
			break;
		if (run_n && rec_len == run_len && owner == run_owner &&
		    type == wire_u16(msg + run + owner) && memcmp(msg + pos, msg + run, owner) == 0) {
			run_n++;
		} else {
			if (run_n >= 2)
				rotate_run(msg + run, run_n, run_len);
			run_n = type == RR_TYPE_A || type == RR_TYPE_AAAA;
			run = pos;
			run_len = rec_len;
			run_owner = owner;
		}
		pos += rec_len;
	}
	if (run_n >= 2)
		rotate_run(msg + run, run_n, run_len);
}

/* The body offset bo, inside the answer section of an records (answer_end
   bytes), once the records from offset rot_start on come first. */
static size_t rotated_offset(size_t bo, size_t rot_start, size_t answer_end)
{
	return bo >= rot_start ? bo - rot_start : bo + (answer_end - rot_start);
}

/* The offset in msg of the question name's suffix that spells the same
   name (any letter case) as the uncompressed name at name (at most max
   bytes), or 0 when none does. */
static uint8_t ascii_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static size_t question_suffix(const uint8_t *msg, const uint8_t *name, size_t max)
{
	size_t q = DNS_HEADER_LEN;

	for (;;) {
		size_t a = q, b = 0;

		while (b < max && msg[a] == name[b]) {
			size_t n = name[b], i;
			if (n == 0)
				return q;
			if (n > 63 || b + 1 + n > max)
				return 0;
			for (i = 1; i <= n; i++)
				if (ascii_lower(msg[a + i]) != ascii_lower(name[b + i]))
					break;
			if (i <= n)
				break;
			a += 1 + n;
			b += 1 + n;
		}
		if (msg[q] == 0)
			return 0;
		q += 1u + msg[q];
	}
}

/* The glue record at rec (its owner may end in a pointer into the answer,
   whose bytes are at body): the pointer's new value once the answer
   starts at rot_start, in *ptr. The question's copy of the name where it
   has one (the service's domain, shared by every target), else where the
   target moved. False when that is past a pointer's reach (16 KiB): the
   record cannot stay. base: where the body starts in the message. */
static bool glue_pointer(const uint8_t *msg, const uint8_t *rec, size_t len, const uint8_t *body,
                         size_t base, size_t rot_start, size_t answer_end, size_t *at,
                         uint16_t *ptr)
{
	size_t p = 0, target, moved, q;

	*at = 0;
	while (p < len && rec[p] != 0 && (rec[p] & 0xC0) != 0xC0)
		p += 1u + rec[p];
	if (p + 1 >= len || (rec[p] & 0xC0) != 0xC0)
		return true;
	target = wire_u16(rec + p) & 0x3FFF;
	if (target < base || target >= base + answer_end)
		return true;
	*at = p + 1; /* 1 + offset: 0 says "no pointer to move" */
	q = question_suffix(msg, body + (target - base), answer_end - (target - base));
	moved = q ? q : base + rotated_offset(target - base, rot_start, answer_end);
	if (moved > 0x3FFF)
		return false;
	*ptr = (uint16_t)(0xC000 | moved);
	return true;
}

/* Copies the glue record rec (len bytes) to out (room bytes), its owner's
   pointer into the answer (body) moved with the rotation; where the moved
   target is out of a pointer's reach, the owner spells the target's
   labels out down to a suffix the question has (the service's domain).
   Returns the bytes written, 0 when they do not fit room. */
static size_t put_glue(const uint8_t *msg, uint8_t *out, size_t room, const uint8_t *rec,
                       size_t len, const uint8_t *body, size_t base, size_t rot_start,
                       size_t answer_end)
{
	size_t at, p, o, s, target, max, rest, q;
	uint16_t ptr;

	if (glue_pointer(msg, rec, len, body, base, rot_start, answer_end, &at, &ptr)) {
		if (len > room)
			return 0;
		memcpy(out, rec, len);
		if (at)
			wire_put_u16(out + at - 1, ptr);
		return len;
	}
	p = at - 1; /* the pointer, after the owner's own labels */
	target = (wire_u16(rec + p) & 0x3FFF) - base;
	max = answer_end - target;
	if (p > room)
		return 0;
	memcpy(out, rec, p);
	o = p;
	for (s = 0;; s += 1u + body[target + s]) {
		if (s >= max || (body[target + s] & 0xC0))
			return 0;
		if (body[target + s] == 0) {
			if (o + 1 > room)
				return 0;
			out[o++] = 0;
			break;
		}
		q = question_suffix(msg, body + target + s, max - s);
		if (q) {
			if (o + 2 > room)
				return 0;
			wire_put_u16(out + o, (uint16_t)(0xC000 | q));
			o += 2;
			break;
		}
		if (o + 1 + body[target + s] > room || o + 1 + body[target + s] > DNAME_MAX ||
		    s + 1 + body[target + s] > max)
			return 0;
		memcpy(out + o, body + target + s, 1u + body[target + s]);
		o += 1u + body[target + s];
	}
	rest = len - (p + 2);
	if (o + rest > room)
		return 0;
	memcpy(out + o, rec + p + 2, rest);
	return o + rest;
}

/* Whether the an answer records of body (ends as b's) are SRV records
   whose owner is the question. */
static bool srv_answer(const uint8_t *body, const struct answer_body *b)
{
	size_t i;

	if (b->an < 2 || b->ns)
		return false;
	for (i = 0; i < b->an; i++)
		if (memcmp(body + (i ? b->ends[i - 1] : 0), "\xc0\x0c\x00\x21", 4) != 0)
			return false;
	return true;
}

/* The same rotation on a whole answer already copied to out (the SRV
   answer of a _port._proto name, whose copy moved its pointers): the
   answer's bytes turned in place, the glue's pointers moved. */
static void rotate_srv_copied(const struct reply *r, const struct answer_body *b, uint8_t *out)
{
	size_t answer_end, rot_start, i;
	uint16_t first;

	if (!srv_answer(out, b) || !(first = (uint16_t)(rr_next() % b->an)))
		return;
	answer_end = b->ends[b->an - 1];
	rot_start = b->ends[first - 1];
	/* All the glue must stay (it is in place already): a target moved
	   out of a pointer's reach keeps the order. Its new pointers are
	   found before the answer's bytes move. */
	for (i = b->an; i < (size_t)b->an + b->ar; i++) {
		size_t at;
		uint16_t ptr;
		if (!glue_pointer(r->out, out + b->ends[i - 1], b->ends[i] - b->ends[i - 1], out, r->len,
		                  rot_start, answer_end, &at, &ptr))
			return;
	}
	for (i = b->an; i < (size_t)b->an + b->ar; i++) {
		size_t at;
		uint16_t ptr;
		uint8_t *rec = out + b->ends[i - 1];
		glue_pointer(r->out, rec, b->ends[i] - b->ends[i - 1], out, r->len, rot_start,
		             answer_end, &at, &ptr);
		if (at) /* the targets are read where they are still */
			wire_put_u16(rec + at - 1, ptr);
	}
	reverse_bytes(out, rot_start);
	reverse_bytes(out + rot_start, answer_end - rot_start);
	reverse_bytes(out, answer_end);
}

/* A prebuilt or compact SRV answer (2 or more records, owner the question,
   each target spelled out), started at a random record; then as much of
   the glue as fits, its owners' pointers moved with the targets. False
   when b is no such answer or the draw keeps the order: the caller copies
   it as it is. */
static bool put_srv_rotated(struct reply *r, const struct answer_body *b, size_t avail)
{
	uint8_t *out = r->out + r->len;
	size_t answer_end, rot_start, o = 0, i;
	uint16_t first, kept = 0, glue = 0;

	if (!srv_answer(b->wire, b))
		return false;
	first = (uint16_t)(rr_next() % b->an);
	if (!first)
		return false;
	answer_end = b->ends[b->an - 1];
	rot_start = b->ends[first - 1];
	for (i = 0; i < b->an; i++) {
		size_t k = (first + i) % b->an;
		size_t start = k ? b->ends[k - 1] : 0, len = b->ends[k] - start;
		if (o + len > avail)
			break;
		memcpy(out + o, b->wire + start, len);
		o += len;
		kept++;
	}
	if (kept == b->an) {
		for (i = b->an; i < (size_t)b->an + b->ar; i++) {
			size_t start = b->ends[i - 1], n;

			n = put_glue(r->out, out + o, avail - o, b->wire + start, b->ends[i] - start,
			             b->wire, r->len, rot_start, answer_end);
			if (!n)
				break; /* glue may go */
			o += n;
			glue++;
		}
	} else {
		r->flags |= DNS_FLAG_TC; /* answers had to go: ask over TCP */
	}
	r->an = kept;
	r->ar = glue;
	r->len += o;
	return true;
}

size_t reply_body_copy(const struct answer_body *body, size_t n_records, int shift,
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
