/* answer_encode.c - RRsets to wire format with name compression, for the
 * answer table's nodes (answer_encode.h). */
#include "answer_encode.h"

#include <string.h>

#include "bytemap.h"
#include "records.h"

void answer_encode_init(struct answer_encoder *e, const uint8_t *qname, size_t qlen)
{
	e->len = 0;
	e->base = 12 + qlen + 4;
	e->qname = qname;
	e->qname_len = qlen;
	e->n_dict = 0;
	e->n_recs = 0;
	e->overflow = false;
	e->names_len = 0;
	/* Owners equal to the question point at it (and so echo the client's
	   letter case, as CoreDNS does). Other names are not compressed against
	   the question's suffixes: targets keep the zone's own lower case,
	   whatever case the client used. */
	e->dict[0].msg_off = 12;
	e->dict[0].suffix = qname;
	e->dict[0].len = (uint8_t)qlen;
	e->n_dict = 1;
}

void answer_encode_bytes(struct answer_encoder *e, const void *p, size_t n)
{
	if (e->overflow || e->len + n > sizeof(e->buf)) {
		e->overflow = true;
		return;
	}
	memcpy(e->buf + e->len, p, n);
	e->len += n;
}

static void enc_u16(struct answer_encoder *e, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	answer_encode_bytes(e, b, 2);
}

static void enc_u32(struct answer_encoder *e, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
	                (uint8_t)v};
	answer_encode_bytes(e, b, 4);
}

/* Writes name, compressed against the question and earlier names when
   may_point; either way later names may point into it. */
static void enc_name_as(struct answer_encoder *e, const uint8_t *name, size_t len, bool may_point)
{
	size_t pos = 0;
	const uint8_t *copy;

	/* Remember the name so later records can point at its suffixes. */
	if (e->names_len + len <= sizeof(e->names)) {
		memcpy(e->names + e->names_len, name, len);
		copy = e->names + e->names_len;
		e->names_len += len;
	} else {
		copy = NULL;
	}
	while (pos < len && name[pos]) {
		size_t rest = len - pos, i;

		for (i = 0; may_point && i < e->n_dict; i++) {
			if (e->dict[i].len == rest &&
			    memcmp(e->dict[i].suffix, name + pos, rest) == 0) {
				enc_u16(e, (uint16_t)(0xC000 | e->dict[i].msg_off));
				return;
			}
		}
		if (copy && e->n_dict < DICT_MAX && e->base + e->len < 0x3FFF) {
			e->dict[e->n_dict].msg_off = (uint16_t)(e->base + e->len);
			e->dict[e->n_dict].suffix = copy + pos;
			e->dict[e->n_dict].len = (uint8_t)rest;
			e->n_dict++;
		}
		answer_encode_bytes(e, name + pos, (size_t)name[pos] + 1);
		pos += (size_t)name[pos] + 1;
	}
	answer_encode_bytes(e, "", 1);
}

void answer_encode_name(struct answer_encoder *e, const uint8_t *name, size_t len)
{
	enc_name_as(e, name, len, true);
}

bool answer_encode_rdata_name(uint16_t type, size_t *name_at)
{
	switch (type) {
	case RR_TYPE_NS:
	case RR_TYPE_CNAME:
	case RR_TYPE_PTR:
		*name_at = 0;
		return true;
	case RR_TYPE_SRV:
		*name_at = 6;
		return true;
	default:
		return false;
	}
}

void answer_encode_record(struct answer_encoder *e, const uint8_t *owner, size_t olen,
                       const struct record *r)
{
	size_t rdlen_at, name_at;

	answer_encode_name(e, owner, olen);
	enc_u16(e, r->type);
	enc_u16(e, 1);
	enc_u32(e, r->ttl);
	rdlen_at = e->len;
	enc_u16(e, 0);
	if (answer_encode_rdata_name(r->type, &name_at)) {
		/* RFC 3597 section 4 lets NS, CNAME, PTR names be compressed;
		   RFC 2782 forbids it for the SRV target, and Go's resolver
		   before 1.22 rejects a message that does it. */
		answer_encode_bytes(e, r->rdata, name_at);
		enc_name_as(e, r->rdata + name_at, r->rdlen - name_at,
		            r->type != RR_TYPE_SRV);
	} else {
		answer_encode_bytes(e, r->rdata, r->rdlen);
	}
	if (e->overflow)
		return;
	e->buf[rdlen_at] = (uint8_t)((e->len - rdlen_at - 2) >> 8);
	e->buf[rdlen_at + 1] = (uint8_t)(e->len - rdlen_at - 2);
	if (e->n_recs < sizeof(e->ends) / sizeof(e->ends[0]))
		e->ends[e->n_recs++] = (uint16_t)e->len;
	else
		e->overflow = true;
}

/* Writes the records of name with type; returns how many. */
uint16_t answer_encode_rrset(struct answer_encoder *e, const struct records_name *name,
                          uint16_t type)
{
	uint16_t n = 0;
	uint32_t i;

	for (i = 0; i < name->n_records; i++) {
		if (name->records[i].type != type)
			continue;
		answer_encode_record(e, name->owner, name->owner_len, &name->records[i]);
		n++;
	}
	return n;
}

/* Whether record i of name points at the same target as an earlier one.
   Few records: compared with each; many (a big headless service): looked
   up in seen, the writer's scratch set of targets. */
static bool glue_seen_before(struct bytemap *seen, const struct records_name *name,
                             uint32_t i, uint16_t type, size_t name_at)
{
	const struct record *r = &name->records[i];
	uint32_t j;
	void **slot;

	if (name->n_records <= 16) {
		for (j = 0; j < i; j++)
			if (name->records[j].type == type &&
			    name->records[j].rdlen == r->rdlen &&
			    memcmp(name->records[j].rdata + name_at, r->rdata + name_at,
			           r->rdlen - name_at) == 0)
				return true;
		return false;
	}
	slot = bytemap_slot(seen, r->rdata + name_at, r->rdlen - name_at, true);
	if (!slot)
		return false; /* out of memory: the glue may repeat, no harm */
	if (*slot)
		return true;
	*slot = (void *)1;
	return false;
}

/* Additional section: the addresses of names the answer points at. */
uint16_t answer_encode_glue(struct answer_encoder *e, struct bytemap *seen,
                         const struct records_set *set,
                         const struct records_name *name, uint16_t type)
{
	uint16_t n = 0;
	uint32_t i;
	size_t name_at;

	if (type != RR_TYPE_SRV && type != RR_TYPE_NS)
		return 0;
	for (i = 0; i < name->n_records; i++) {
		const struct record *r = &name->records[i];
		const struct records_name *target;

		if (r->type != type || !answer_encode_rdata_name(type, &name_at))
			continue;
		/* Each target once, even when several records name it. */
		if (glue_seen_before(seen, name, i, type, name_at))
			continue;
		target = records_find(set, r->rdata + name_at, r->rdlen - name_at);
		if (!target)
			continue;
		n = (uint16_t)(n + answer_encode_rrset(e, target, RR_TYPE_A));
		n = (uint16_t)(n + answer_encode_rrset(e, target, RR_TYPE_AAAA));
	}
	return n;
}

