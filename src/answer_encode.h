/* answer_encode.h - RRsets to wire format, for answer_build's nodes
 * (reply asks it only which types carry a name): owners compressed
 * against the question at offset 12 and earlier names, names in NS, CNAME
 * and PTR data compressed too (RFC 3597 section 4), SRV targets never
 * (RFC 2782), each record's end noted so a reply can be cut at a whole
 * record.
 *
 * Ownership: an encoder is the caller's (about 200 KB: the builder keeps
 * one); it copies what it writes. Overflow is sticky: check e->overflow
 * once the answer is written. */
#ifndef SVCDNS_ANSWER_ENCODE_H
#define SVCDNS_ANSWER_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bytemap;
struct record;
struct records_name;
struct records_set;

#define DICT_MAX 128
#define BODY_MAX 65535

/* A message body being encoded, with its compression dictionary. */
struct answer_encoder {
	uint8_t buf[BODY_MAX];
	size_t len;          /* bytes of body */
	size_t base;         /* message offset of body[0] */
	const uint8_t *qname;
	size_t qname_len;
	struct {
		uint16_t msg_off;      /* where this suffix starts in the message */
		const uint8_t *suffix; /* the uncompressed suffix it stands for */
		uint8_t len;
	} dict[DICT_MAX];
	size_t n_dict;
	uint16_t ends[BODY_MAX / 11];
	size_t n_recs;
	bool overflow;
	uint8_t names[BODY_MAX]; /* copies of names the dict points into */
	size_t names_len;
};

/* Starts a body that follows the question qname (qlen bytes). */
void answer_encode_init(struct answer_encoder *e, const uint8_t *qname, size_t qlen);

/* Appends n raw bytes. */
void answer_encode_bytes(struct answer_encoder *e, const void *p, size_t n);

/* Appends name, compressed against the question and earlier names. */
void answer_encode_name(struct answer_encoder *e, const uint8_t *name, size_t len);

/* Whether records of type carry a name in their data, and where
   (*name_at: its offset in the rdata). */
bool answer_encode_rdata_name(uint16_t type, size_t *name_at);

/* Appends one record r owned by owner. */
void answer_encode_record(struct answer_encoder *e, const uint8_t *owner, size_t olen,
                          const struct record *r);

/* Appends the records of name with type; returns how many. */
uint16_t answer_encode_rrset(struct answer_encoder *e, const struct records_name *name,
                             uint16_t type);

/* Appends the additional section of name's SRV or NS records: the
   addresses (from set) of each target once; seen is the caller's scratch
   set of targets done. Returns how many records. */
uint16_t answer_encode_glue(struct answer_encoder *e, struct bytemap *seen,
                            const struct records_set *set, const struct records_name *name,
                            uint16_t type);

#endif
