/* answer_build.h - the compile from a records set to answer nodes, done
 * when the data changes: each name's RRsets encoded as wire answers
 * (answer_encode), or a service's addresses and ports kept as one compact
 * node, and the decision which names need no node of their own because
 * their service's node answers them (answer_node.h describes the bytes).
 *
 * Folding, decided from the set alone (a set of one service, at most a
 * few hundred names, as zone_sync builds them):
 * - a ClusterIP service (addresses, and SRV records pointing at itself)
 *   is one compact node that also answers its _port._proto names;
 * - a service's node with addresses answers the names one label below it
 *   whose records are only addresses (its endpoints' hostnames) in a hosts
 *   block;
 * - such a node links the reverse name of each of its addresses whose PTR
 *   has that name (or host) as its only target;
 * - a headless service's node answers the _port._proto name whose SRV
 *   records are its own.
 *
 * Ownership: a builder is the writer's scratch space (about 200 KB); a
 * node it returns is the caller's until inserted into a table. */
#ifndef SVCDNS_ANSWER_BUILD_H
#define SVCDNS_ANSWER_BUILD_H

#include <stdbool.h>
#include <stddef.h>

struct answer_builder;
struct answer_node;
struct answer_table;
struct records_name;
struct records_set;

/* NULL on allocation failure. */
struct answer_builder *answer_builder_new(void);
void answer_builder_free(struct answer_builder *b);

/* Whether name (of set) is answered by another name's node of set, and
   so gets none of its own. */
bool answer_build_folded(const struct records_set *set, const struct records_name *name);

/* Whether the node of name (of set) is one that links reverse names: a
   compact node, or one with hosts. What it links is then
   answer_table_node_links's to say. */
bool answer_build_links(const struct records_set *set, const struct records_name *name);

/* The node of name (from set, which also provides SRV/NS glue and
   in-batch CNAME targets; a CNAME target in another batch is followed
   into t). name must not be folded (answer_build_folded, which the
   caller asks first: it scans the set, and is not asked twice). NULL on
   allocation failure. */
struct answer_node *answer_build_node(struct answer_builder *b, const struct answer_table *t,
                                      const struct records_set *set,
                                      const struct records_name *name);

/* answer_build_node, then answer_table_insert. Returns 0, or -1 (the old
   node kept). */
int answer_build_put(struct answer_builder *b, struct answer_table *t,
                     const struct records_set *set, const struct records_name *name);

/* A table of every name of set (the folded ones in their services'
   nodes). NULL with err on failure. */
struct answer_table *answer_build_table(const struct records_set *set, bool pods_insecure,
                                        char *err, size_t errlen);

#endif
