/* answer_table.h - RRsets compiled into ready wire replies, keyed by
 * (lower-case qname, qtype), published as an immutable snapshot under RCU.
 *
 * A table is built whole from a records_set when the cache changes and never
 * modified afterwards; readers find it through a slot with
 * answer_table_acquire() inside an RCU read-side section.
 * Ownership: the table copies all it needs; the records_set may be freed
 * after answer_table_build() returns. */
#ifndef SVCDNS_ANSWER_TABLE_H
#define SVCDNS_ANSWER_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube_object.h"

struct records_set;
struct answer_table;

enum answer_status {
	ANSWER_FOUND,    /* body holds the answer */
	ANSWER_NODATA,   /* name exists, not this type: SOA in authority */
	ANSWER_NXDOMAIN, /* in a zone of ours, name does not exist */
	ANSWER_POD,      /* synthesised pod record: pod_ip, ttl */
	ANSWER_OUTSIDE   /* not in any zone of ours (forward or refuse) */
};

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
};

/* Compiles set into a table. pods_insecure enables a-b-c-d.<ns>.pod.<zone>
   synthesis. Returns NULL on allocation failure or an answer that cannot be
   encoded (err says which name). */
struct answer_table *answer_table_build(const struct records_set *set,
                                        bool pods_insecure, char *err,
                                        size_t errlen);
void answer_table_free(struct answer_table *t);

/* Looks up lname (wire, lower case, len bytes) for qtype. Never allocates.
   ref points into t and is valid while t is. */
void answer_table_lookup(const struct answer_table *t, const uint8_t *lname,
                         size_t len, uint16_t qtype, struct answer_ref *ref);

/* True when lname is in or under one of the table's zones (cluster or
   reverse). */
bool answer_table_in_zone(const struct answer_table *t, const uint8_t *lname,
                          size_t len);

size_t answer_table_entries(const struct answer_table *t);
size_t answer_table_bytes(const struct answer_table *t);

/* ---- publication ------------------------------------------------------
   One slot holds the current table. The writer replaces it; the old table
   is freed after a grace period. Readers (threads registered with RCU) call
   answer_table_acquire() between rcu_read_lock() and rcu_read_unlock(). */
struct answer_slot {
	struct answer_table *current; /* NULL until the first successful load */
};

void answer_table_publish(struct answer_slot *slot, struct answer_table *t);
struct answer_table *answer_table_acquire(struct answer_slot *slot);
/* Writer side, at shutdown: frees the current table after a grace period. */
void answer_table_retire(struct answer_slot *slot);

#endif
