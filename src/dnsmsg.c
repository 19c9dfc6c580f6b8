/* dnsmsg.c - walking an untrusted DNS message. */
#include "dnsmsg.h"

#include <string.h>

#include "wire.h"

#define TYPE_SOA 6
#define TYPE_OPT 41

/* Skips (and, when out is given, decodes lower-case into out) the name at
   *pos. Pointers must point backwards, so loops are impossible. */
static int read_name_case(const uint8_t *msg, size_t len, size_t *pos, uint8_t *out,
                          size_t *out_len, bool lower)
{
	size_t p = *pos, o = 0, end = 0;
	bool jumped = false;
	int hops = 0;

	for (;;) {
		uint8_t n;
		if (p >= len)
			return -1;
		n = msg[p];
		if ((n & 0xC0) == 0xC0) {
			size_t target;
			if (p + 1 >= len || ++hops > 64)
				return -1;
			target = ((size_t)(n & 0x3F) << 8) | msg[p + 1];
			if (target >= p)
				return -1;
			if (!jumped)
				end = p + 2;
			jumped = true;
			p = target;
			continue;
		}
		if (n & 0xC0)
			return -1; /* extended label types */
		if (o + 1 + n > 255 || p + 1 + n > len)
			return -1;
		if (out) {
			size_t i;
			out[o] = n;
			for (i = 0; i < n; i++) {
				uint8_t c = msg[p + 1 + i];
				out[o + 1 + i] = (lower && c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
			}
		}
		o += 1 + (size_t)n;
		p += 1 + (size_t)n;
		if (n == 0)
			break;
	}
	if (out_len)
		*out_len = o;
	*pos = jumped ? end : p;
	return 0;
}

static int read_name(const uint8_t *msg, size_t len, size_t *pos, uint8_t *out,
                     size_t *out_len)
{
	return read_name_case(msg, len, pos, out, out_len, true);
}

int dnsmsg_parse(const uint8_t *msg, size_t len, struct dnsmsg *m)
{
	size_t pos = WIRE_HEADER_LEN, total, i;

	memset(m, 0, sizeof(*m));
	if (len < WIRE_HEADER_LEN)
		return -1;
	m->id = wire_u16(msg);
	m->flags = wire_u16(msg + 2);
	m->rcode = msg[3] & 0x0f;
	m->qdcount = wire_u16(msg + 4);
	m->an = wire_u16(msg + 6);
	m->ns = wire_u16(msg + 8);
	m->ar = wire_u16(msg + 10);
	if (m->qdcount != 1)
		return -1;
	if (read_name(msg, len, &pos, m->qname, &m->qname_len) < 0 || pos + 4 > len)
		return -1;
	m->qtype = wire_u16(msg + pos);
	m->qclass = wire_u16(msg + pos + 2);
	pos += 4;
	m->question_end = pos;
	total = (size_t)m->an + m->ns + m->ar;
	if (total > DNSMSG_MAX_RRS)
		return -1;
	m->min_ttl = UINT32_MAX;
	for (i = 0; i < total; i++) {
		size_t start = pos;
		uint16_t type, rdlen;
		uint32_t ttl;

		if (read_name(msg, len, &pos, NULL, NULL) < 0 || pos + 10 > len)
			return -1;
		type = wire_u16(msg + pos);
		ttl = ((uint32_t)msg[pos + 4] << 24) | ((uint32_t)msg[pos + 5] << 16) |
		      ((uint32_t)msg[pos + 6] << 8) | msg[pos + 7];
		rdlen = wire_u16(msg + pos + 8);
		if (pos + 10 + rdlen > len)
			return -1;
		if (type == TYPE_OPT) {
			if (m->has_opt || i < (size_t)m->an + m->ns)
				return -1;
			m->has_opt = true;
			m->opt_start = start;
			m->opt_end = pos + 10 + rdlen;
		} else {
			if (ttl > 0x7fffffffu)
				ttl = 0; /* RFC 2181 8: treat as zero */
			m->ttl_at[m->n_ttls++] = (uint16_t)(pos + 4);
			if (i < (size_t)m->an + m->ns && ttl < m->min_ttl)
				m->min_ttl = ttl;
			if (type == TYPE_SOA && i >= m->an && i < (size_t)m->an + m->ns) {
				size_t r = pos + 10;
				uint32_t minimum;
				if (read_name(msg, len, &r, NULL, NULL) < 0 ||
				    read_name(msg, len, &r, NULL, NULL) < 0 || r + 20 > pos + 10 + rdlen)
					return -1;
				minimum = ((uint32_t)msg[r + 16] << 24) | ((uint32_t)msg[r + 17] << 16) |
				          ((uint32_t)msg[r + 18] << 8) | msg[r + 19];
				m->has_soa = true;
				m->soa_negative_ttl = ttl < minimum ? ttl : minimum;
			}
		}
		pos += 10 + rdlen;
	}
	if (pos != len)
		return -1;
	if (m->min_ttl == UINT32_MAX)
		m->min_ttl = 0;
	return 0;
}

/* Writes the (possibly compressed) name at *pos of msg to out in full,
   letter case kept. Returns its length, or 0. */
static size_t expand_name(const uint8_t *msg, size_t len, size_t *pos, uint8_t *out,
                          size_t cap)
{
	uint8_t name[256];
	size_t n;

	if (read_name_case(msg, len, pos, name, &n, false) < 0 || n > cap)
		return 0;
	memcpy(out, name, n);
	return n;
}

size_t dnsmsg_copy_rr(const uint8_t *msg, size_t len, size_t *pos, uint8_t *out,
                      size_t cap)
{
	size_t o, owner_len, rd_start, rd_end, p = *pos, n, fixed;
	uint16_t type, rdlen;

	owner_len = expand_name(msg, len, &p, out, cap);
	if (!owner_len || p + 10 > len || owner_len + 10 > cap)
		return 0;
	type = wire_u16(msg + p);
	rdlen = wire_u16(msg + p + 8);
	rd_start = p + 10;
	rd_end = rd_start + rdlen;
	if (rd_end > len)
		return 0;
	memcpy(out + owner_len, msg + p, 8); /* type, class, TTL */
	o = owner_len + 10;                  /* RDLENGTH written at the end */
	p = rd_start;
	switch (type) {
	case 2: case 5: case 12: case 39: /* NS CNAME PTR DNAME */
	case 15: case 33:                 /* MX, SRV: numbers, then a name */
		fixed = type == 15 ? 2 : type == 33 ? 6 : 0;
		if (p + fixed > rd_end || o + fixed > cap)
			return 0;
		memcpy(out + o, msg + p, fixed);
		o += fixed;
		p += fixed;
		n = expand_name(msg, rd_end, &p, out + o, cap - o);
		if (!n)
			return 0;
		o += n;
		break;
	case TYPE_SOA:
		n = expand_name(msg, rd_end, &p, out + o, cap - o);
		if (!n)
			return 0;
		o += n;
		n = expand_name(msg, rd_end, &p, out + o, cap - o);
		if (!n || p + 20 > rd_end || o + n + 20 > cap)
			return 0;
		o += n;
		memcpy(out + o, msg + p, 20);
		o += 20;
		p += 20;
		break;
	default:
		if (o + rdlen > cap)
			return 0;
		memcpy(out + o, msg + rd_start, rdlen);
		o += rdlen;
		p = rd_end;
		break;
	}
	if (p != rd_end)
		return 0;
	out[owner_len + 8] = (uint8_t)((o - owner_len - 10) >> 8);
	out[owner_len + 9] = (uint8_t)(o - owner_len - 10);
	*pos = rd_end;
	return o;
}
