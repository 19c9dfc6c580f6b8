/* answer_lookup.h - the answer to one question from the answer table: the
 * node of the name asked (or of its service, for a _port._proto name or
 * a reverse name that a service's node links), and from it either a
 * prebuilt answer's bytes or an answer answer_synth writes; a name
 * without a node goes to answer_synth's Kubernetes rules.
 *
 * Ownership: an answer_ref points into the table's nodes or into its own
 * scratch; it is valid until the RCU read-side section ends and must not
 * be moved while in use. No allocation. */
#ifndef SVCDNS_ANSWER_LOOKUP_H
#define SVCDNS_ANSWER_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube_object.h"

struct answer_table;

enum answer_status {
	ANSWER_FOUND,    /* body holds the answer */
	ANSWER_NODATA,   /* name exists, not this type: SOA in authority */
	ANSWER_NXDOMAIN, /* in a zone of ours, name does not exist */
	ANSWER_POD,      /* synthesised pod record: pod_ip, ttl */
	ANSWER_OUTSIDE   /* not in any zone of ours (forward or refuse) */
};

/* Room for the answers of a compact service node (answer_synth.c), which
   are written at lookup time into the answer_ref itself. */
#define ANSWER_SCRATCH 1152
#define ANSWER_SCRATCH_RECORDS 40

/* Pre-encoded records following the question: names are compressed against
   a question at offset 12 (the owner of every answer record is 0xC00C). */
struct answer_body {
	const uint8_t *wire;
	uint32_t len;
	uint16_t an, ns, ar;   /* records per section */
	const uint16_t *ends;  /* ends[i]: offset just past record i */
};

struct answer_ref {
	enum answer_status status;
	struct answer_body body;     /* ANSWER_FOUND */
	const uint8_t *soa;          /* NODATA/NXDOMAIN: SOA RR after its owner
	                                (type, class, ttl, rdlength, rdata) */
	uint16_t soa_len;
	const uint8_t *apex;         /* NODATA/NXDOMAIN: the zone name, wire,
	                                lower case (the SOA's owner) */
	uint8_t apex_len;
	uint32_t ttl;                /* ANSWER_POD */
	struct kube_ip pod_ip;       /* ANSWER_POD */
	int pointer_shift;           /* ANSWER_FOUND: copy with reply_body_copy */
	bool question_moves;         /* with pointer_shift: the body was written
	                                for a question that is now a suffix of
	                                the asked one (see reply_body_copy) */
	bool chase;                  /* ANSWER_FOUND: a CNAME whose target is
	                                outside our zones (ExternalName): the
	                                target's records come from upstream */
	/* Where a compact node's answer is written (body then points here):
	   an answer_ref must not be copied or moved while body is in use. */
	uint8_t scratch[ANSWER_SCRATCH];
	uint16_t scratch_ends[ANSWER_SCRATCH_RECORDS];
};

/* Looks up lname (wire, lower case, len bytes) for qtype in t. Never
   allocates. Call inside an RCU read-side section; ref is valid until it
   ends. */
void answer_lookup(const struct answer_table *t, const uint8_t *lname, size_t len,
                   uint16_t qtype, struct answer_ref *ref);

/* A negative answer (status: ANSWER_NODATA or ANSWER_NXDOMAIN) of zone
   number zone of t: its SOA and apex. */
void answer_lookup_negative(const struct answer_table *t, int zone,
                            enum answer_status status, struct answer_ref *ref);

#endif
