/* answer_table.h - the index of answer nodes: one node per lower-case
 * owner name (answer_build compiles them) in a lock-free hash table under
 * RCU, with the zones and their SOAs, and the one table that is published
 * to the query threads.
 *
 * One writer changes the table a name at a time (answer_table_insert,
 * answer_table_delete); query threads find nodes inside an RCU read-side
 * section (answer_lookup) and never see a half-built one. Replaced nodes
 * are freed after a grace period, in batches (answer_table_reclaim).
 * Ownership: the table owns the nodes inserted into it; it copies the
 * zones it is created with. */
#ifndef SVCDNS_ANSWER_TABLE_H
#define SVCDNS_ANSWER_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dname.h"
#include "kube_object.h"

struct answer_node;
struct answer_table;
struct compact_view;
struct records_set;

/* One zone of the table: a cluster zone (then the multicluster ones),
   then the reverse zones, numbered as the records_set it came from. */
struct answer_zone {
	uint8_t name[DNAME_MAX]; /* wire, lower case */
	uint8_t name_len;
	bool reverse;
	bool multicluster;       /* a --multicluster zone */
	struct zone_soa *soa;    /* RCU-published (answer_table_soa) */
};

/* An empty table for the zones of set (cluster zones, then the reverse
   zones) with their SOAs. pods_insecure enables a-b-c-d.<ns>.pod.<zone>
   answers with TTL ttl, which is also the TTL of a CNAME hop followed
   into another batch. NULL on allocation failure. */
struct answer_table *answer_table_new(const struct records_set *set,
                                      bool pods_insecure, uint32_t ttl);
/* Frees t and every node. No reader may still use it. */
void answer_table_free(struct answer_table *t);

/* Takes the zones' SOAs (new serial) from set. */
void answer_table_set_soa(struct answer_table *t, const struct records_set *set);

/* Inserts node n (from answer_build_node) as the node of owner (wire,
   lower case, len bytes), replacing the node of the same name, and its
   reverse links. The table owns n from here on, also on failure. Returns
   0, or -1 when owner is not in n's zone (n freed). */
int answer_table_insert(struct answer_table *t, const uint8_t *owner, size_t len,
                        struct answer_node *n);

/* Removes the node of lname. Returns 1 if there was one, else 0. */
int answer_table_delete(struct answer_table *t, const uint8_t *lname, size_t len);

/* Sizes the hash table for names nodes in one step: a first load of 100k
   services would otherwise resize it (and rehash) on the way up. */
void answer_table_reserve(struct answer_table *t, size_t names);

/* Frees the nodes that insert/delete replaced or removed, after waiting
   for every reader that may still see them (synchronize_rcu). They do it
   themselves once RETIRED_MAX nodes wait; call it outside any read-side
   section. answer_table_free does it last. */
void answer_table_reclaim(struct answer_table *t);

size_t answer_table_entries(const struct answer_table *t); /* names */
size_t answer_table_bytes(const struct answer_table *t);

/* ---- reading nodes ------------------------------------------------------
   For answer_lookup, answer_synth and answer_build (following a CNAME
   into the table): inside a read-side section, or from the writer. */

/* The node of lname (wire, lower case, len bytes), or NULL. */
const struct answer_node *answer_table_find(const struct answer_table *t,
                                            const uint8_t *lname, size_t len);

/* The reverse name lname of address ip: the node of its own if there is
   one (several services share the address), else the node that links it
   (*link_tag: the link's tag; 0 when none links it). */
const struct answer_node *answer_table_find_reverse(const struct answer_table *t,
                                                    const uint8_t *lname, size_t len,
                                                    const struct kube_ip *ip,
                                                    uint32_t *link_tag);

/* lname is a host that a service's node (the name one label up) answers
   in its hosts block: that node, and *h the host's addresses. Else NULL.
   Cheap to skip with answer_table_hosts_at. */
const struct answer_node *answer_table_find_host(const struct answer_table *t,
                                                 const uint8_t *lname, size_t len,
                                                 struct compact_view *h);

/* Whether some node answers hosts as many labels below its zone's apex as
   the first rel bytes of lname hold: a miss of another depth needs no
   answer_table_find_host. */
bool answer_table_hosts_at(const struct answer_table *t, const uint8_t *lname, size_t rel);

/* The PTR target of the link of n with tag tag (its node's name, or the
   name of the host it links) into out (DNAME_MAX bytes), *ttl its TTL
   (wire order). Returns the target's length. */
size_t answer_table_link_target(const struct answer_table *t, const struct answer_node *n,
                                uint32_t tag, uint8_t *out, const uint8_t **ttl);

/* The zone number lname is in or under (the longest match), or -1. */
int answer_table_zone_of(const struct answer_table *t, const uint8_t *lname, size_t len);
const struct answer_zone *answer_table_zone(const struct answer_table *t, size_t zone);

/* Zone zone's SOA record after its owner (type, class, ttl, rdlength,
   rdata): *len bytes, valid until the read-side section ends. */
const uint8_t *answer_table_soa(const struct answer_table *t, size_t zone, uint16_t *len);

bool answer_table_pods_insecure(const struct answer_table *t);
uint32_t answer_table_ttl(const struct answer_table *t);

/* True when lname is in or under one of the table's zones (cluster or
   reverse). */
bool answer_table_in_zone(const struct answer_table *t, const uint8_t *lname,
                          size_t len);

/* ---- links: who answers a reverse name ---------------------------------
   A compact service node, and a service node with hosts, answer the PTRs
   of their addresses through links: hash entries inside the node, one
   per address whose PTR has that node's name (or host's) as its only
   target (answer_node.h). The links are the only record of those PTRs,
   so the writer (zone_sync) asks the table what they are rather than
   keeping a second copy; these two calls are how. Both are for the
   writer's thread, outside a read-side section. */

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
