/* reply.h - every byte of a reply svcdns sends: from its own data (the
 * header, the question echoed as the client wrote it, an answer from the
 * answer table, prebuilt or written by a compact node, cut at a whole
 * record with TC when it does not fit, a negative answer with its zone's
 * SOA, a pod's address record, the OPT record), and from an upstream's
 * (forwarded, chased after an ExternalName's CNAME, or an error made
 * here). query.c and forward.c decide what the reply is; this writes it.
 *
 * Ownership: the writers write into the caller's buffer (DNS_MAX_MSG
 * bytes) and read what they are given only while they run; no
 * allocation. */
#ifndef SVCDNS_REPLY_H
#define SVCDNS_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct answer_body;
struct answer_ref;
struct pod_map;
struct zone_hints;

struct reply {
	uint8_t *out;         /* the message being written */
	const uint8_t *query; /* the query it answers (header and question) */
	size_t len;           /* bytes written so far */
	size_t limit;         /* the most the message may hold */
	uint16_t flags;       /* AA, TC: the query's opcode, RD, CD are added */
	uint8_t rcode;
	uint16_t an, ns, ar;
	bool edns;            /* the query had an OPT: ours follows */
	uint16_t edns_flags;  /* the query's (DO is echoed) */
	uint16_t udp_size;    /* our OPT's UDP size */
	bool round_robin;     /* A and AAAA answers start at a random record
	                         (reply_begin: false) */
	/* --prefer-zone (reply_prefer_zone; reply_begin: none): an answer
	   of several A or AAAA records lists first those meant for
	   client_zone. */
	const struct pod_map *zones;
	const struct zone_hints *hints;
	uint64_t hint_service; /* zone_hints_service of the answer's name */
	uint32_t client_zone;
};

/* --prefer-zone for a client in zone client_zone (a pod_map_zone_id)
   asking lname (wire, lower case): an endpoint address comes first when
   the slices' hints (hints) mean it for that zone, or, when they say
   nothing of it, when its pod is on a node of that zone (pods). */
void reply_prefer_zone(struct reply *r, const struct pod_map *pods,
                       const struct zone_hints *hints, const uint8_t *lname,
                       uint32_t client_zone);

/* Starts the reply to query, whose question ends at qend, with the
   question echoed. limit: the client's UDP size or the TCP maximum. */
void reply_begin(struct reply *r, uint8_t *out, const uint8_t *query, size_t qend,
                 size_t limit, bool edns, uint16_t edns_flags, uint16_t udp_size);

/* A reply of a header alone (FORMERR, NOTIMP for a query whose question
   cannot be echoed). Returns its length. */
size_t reply_header_only(uint8_t *out, const uint8_t *query, uint8_t rcode);

/* Writes ref's answer from the table (an authoritative one): the records
   of ANSWER_FOUND as far as they fit (TC when an answer or authority
   record had to go; dropped glue is fine), the pod record of ANSWER_POD,
   or the SOA of ANSWER_NODATA and ANSWER_NXDOMAIN (with the rcode). */
void reply_answer(struct reply *r, const struct answer_ref *ref);

/* Ends the reply: our OPT when the query had one (ext_rcode: the upper
   bits of an extended rcode), then the header. Returns its length. */
size_t reply_finish(struct reply *r, uint8_t ext_rcode);

/* Ends the reply without an OPT, for the forwarder to complete (the
   chase of an ExternalName's outside target). Returns its length. */
size_t reply_finish_partial(struct reply *r);

/* Copies the first n_records records of body to out, moving compression
   pointers by shift (answer_ref.pointer_shift): those past the question's
   start, and with question_moves (answer_ref.question_moves) also those
   in rdata that name the question's start, which then stands for the
   name the body was written for. Returns the bytes written. */
size_t reply_body_copy(const struct answer_body *body, size_t n_records, int shift,
                       bool question_moves, uint8_t *out);

/* ---- replies to forwarded queries ---- */

/* What a reply to a forwarded query keeps of the client's query. */
struct reply_client {
	uint8_t id[2];
	uint16_t flags;          /* its header flags (RD and CD are echoed) */
	bool edns;               /* it had an OPT: ours follows */
	uint16_t edns_flags;
	size_t limit;            /* its UDP size, or the TCP maximum */
	uint8_t question[260];   /* as it came (the client's letter case too) */
	size_t question_len;
	const uint8_t *prefix;   /* our own answer records that come first (an
	                            ExternalName's CNAME), or NULL */
	size_t prefix_len;
	uint16_t prefix_an;
	bool round_robin;        /* as struct reply's */
};

/* The client's reply from an upstream's message msg (len bytes, its OPT
   already removed): the client's ID and question, an empty TC reply when
   it does not fit; with a prefix, our records then as many of msg's
   answer and authority records as fit (TC for the rest), authoritative.
   RA for an RD query, and our OPT (udp_size) when the client sent one.
   Returns its length, or 0 when msg is shorter than the question. */
size_t reply_forwarded(uint8_t *out, const struct reply_client *c, const uint8_t *msg,
                       size_t len, uint16_t udp_size);

/* A reply made here (SERVFAIL, REFUSED): header, question, our OPT.
   Returns its length. */
size_t reply_error(uint8_t *out, const struct reply_client *c, uint8_t rcode,
                   uint16_t udp_size);

#endif
