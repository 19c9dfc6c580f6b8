/* answer_table.h - RRsets compiled into ready wire replies, one node per
 * lower-case owner name, in a lock-free hash table under RCU.
 *
 * One writer changes the table a name at a time (answer_table_put/delete);
 * query threads look names up inside an RCU read-side section and never see
 * a half-built node. Replaced nodes are freed after a grace period, in
 * batches (answer_table_reclaim).
 * Ownership: the table copies all it needs from the records_set given to
 * it; the set may be freed afterwards. */
#ifndef SVCDNS_ANSWER_TABLE_H
#define SVCDNS_ANSWER_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube_object.h"

struct records_set;
struct records_name;
struct answer_table;

enum answer_status {
	ANSWER_FOUND,    /* body holds the answer */
	ANSWER_NODATA,   /* name exists, not this type: SOA in authority */
	ANSWER_NXDOMAIN, /* in a zone of ours, name does not exist */
	ANSWER_POD,      /* synthesised pod record: pod_ip, ttl */
	ANSWER_OUTSIDE   /* not in any zone of ours (forward or refuse) */
};

/* Room for the answers of a compact service node (answer_table.c), which
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
	int pointer_shift;           /* ANSWER_FOUND: copy with answer_body_copy */
	bool question_moves;         /* with pointer_shift: the body was written
	                                for a question that is now a suffix of
	                                the asked one (see answer_body_copy) */
	bool chase;                  /* ANSWER_FOUND: a CNAME whose target is
	                                outside our zones (ExternalName): the
	                                target's records come from upstream */
	/* Where a compact node's answer is written (body then points here):
	   an answer_ref must not be copied or moved while body is in use. */
	uint8_t scratch[ANSWER_SCRATCH];
	uint16_t scratch_ends[ANSWER_SCRATCH_RECORDS];
};

/* An empty table for the zones of set (cluster zones, then the reverse
   zones) with their SOAs. pods_insecure enables a-b-c-d.<ns>.pod.<zone>
   answers with TTL ttl. NULL on allocation failure. */
struct answer_table *answer_table_new(const struct records_set *set,
                                      bool pods_insecure, uint32_t ttl);

/* Compiles name (from set, which also provides SRV/NS glue and in-batch
   CNAME targets) into its node and inserts it, replacing the node of the
   same name. Returns 0, or -1 on allocation failure (old node kept).

   A service name whose records are only addresses and SRV records pointing
   back at itself (a ClusterIP service) becomes one compact node that also
   answers its _port._proto names: set must then be that service's own
   small set (at most a few hundred names, as zone_sync builds them), which
   put scans for those names. Putting such a _port._proto name stores
   nothing and returns 1: put the service's name too (from the same set),
   and delete the node the name had of its own, if it had one (a lookup
   finds that node before the service's).

   A prebuilt service node with addresses (a headless service) answers the
   names one label below it whose records are only addresses (its
   endpoints' hostnames) in the same way: putting one returns 1.

   The same for the reverse name of such a name's address, or of a compact
   node's, whose PTR in set has that name as its only target: the node
   answers it (put returns 1), unless the name has a node of its own, which
   comes first. When several services share the address, put the name's
   PTR records of all of them (a set that lacks their names): that node is
   then kept. */
int answer_table_put(struct answer_table *t, const struct records_set *set,
                     const struct records_name *name);

/* Removes the node of lname. Returns 1 if there was one, else 0. */
int answer_table_delete(struct answer_table *t, const uint8_t *lname, size_t len);

/* Sizes the hash table for names nodes in one step: a first load of 100k
   services would otherwise resize it (and rehash) on the way up. */
void answer_table_reserve(struct answer_table *t, size_t names);

/* Frees the nodes that put/delete replaced or removed, after waiting for
   every reader that may still see them (synchronize_rcu). put/delete do it
   themselves once RETIRED_MAX nodes wait; call it outside any read-side
   section. answer_table_free does it last. */
void answer_table_reclaim(struct answer_table *t);

/* Takes the zones' SOAs (new serial) from set. */
void answer_table_set_soa(struct answer_table *t, const struct records_set *set);

/* answer_table_new() plus every name of set. NULL with err on failure. */
struct answer_table *answer_table_build(const struct records_set *set,
                                        bool pods_insecure, char *err,
                                        size_t errlen);
/* Frees t and every node. No reader may still use it. */
void answer_table_free(struct answer_table *t);

/* Looks up lname (wire, lower case, len bytes) for qtype. Never allocates.
   Call inside an RCU read-side section; ref is valid until it ends. A
   compact node's answer is written into ref->scratch. */
void answer_table_lookup(const struct answer_table *t, const uint8_t *lname,
                         size_t len, uint16_t qtype, struct answer_ref *ref);

/* Copies the first n_records records of body to out, moving compression
   pointers by shift (ref.pointer_shift): those past the question's start,
   and with question_moves (ref.question_moves) also those in rdata that
   name the question's start, which then stands for the name the body was
   written for. Returns the bytes written. */
size_t answer_body_copy(const struct answer_body *body, size_t n_records, int shift,
                        bool question_moves, uint8_t *out);

/* True when lname is in or under one of the table's zones (cluster or
   reverse). */
bool answer_table_in_zone(const struct answer_table *t, const uint8_t *lname,
                          size_t len);

/* ---- what service nodes hold, for the writer ---------------------------
   A service that is one node with its links (a compact one: a ClusterIP
   service without endpoints; or a headless service's, with its hosts) may
   be fully described by that node: zone_sync then keeps nothing else for
   it. Both calls are for the writer's thread, outside a read-side
   section. */

/* Calls fn with the address and the PTR target (wire, lower case) of every
   link of lname's node (wire, lower case), in link order, when that node
   is compact or answers hosts. fn runs inside a read-side section: it
   must not change the table. Returns how many links, or -1 when lname has
   no such node. */
int answer_table_node_links(const struct answer_table *t, const uint8_t *lname,
                            size_t len,
                            void (*fn)(void *ctx, const struct kube_ip *ip,
                                       const uint8_t *target, size_t target_len),
                            void *ctx);

/* Calls fn (unless NULL: only counting) with the PTR target (wire, lower
   case) of every link to the reverse name of ip: a compact node's name, or
   a host's, whether or not a node of the reverse name's own shadows the
   links. fn runs inside a read-side section: it must not change the
   table. Returns how many. */
size_t answer_table_linkers(const struct answer_table *t, const struct kube_ip *ip,
                            void (*fn)(void *ctx, const uint8_t *name, size_t len),
                            void *ctx);

size_t answer_table_entries(const struct answer_table *t); /* names */
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

/* The writer's own look at the slot (from its thread, no RCU): the table
   published, or NULL before the first. */
struct answer_table *answer_table_published(const struct answer_slot *slot);

/* Empties the slot once no reader is left (the query threads joined),
   without freeing the table: its owner (zone_sync) does. */
void answer_table_unpublish(struct answer_slot *slot);

#endif
