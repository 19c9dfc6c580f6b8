/* zone_sync.h - keeps the answer table in step with the cache by redoing
 * only what changed: the names of each changed Service (and the PTRs and
 * CNAMEs that depend on them), namespace names that appeared or vanished,
 * and the zones' SOA serial. One event costs the work of one service, not
 * of the whole cluster.
 *
 * Ownership: a zone_sync owns its answer table; the records config must
 * outlive it. Single writer: call it from the loop that owns the cache. */
#ifndef SVCDNS_ZONE_SYNC_H
#define SVCDNS_ZONE_SYNC_H

#include <stddef.h>
#include <stdint.h>

struct answer_table;
struct records_config;
struct svc_cache;
struct zone_sync;

/* NULL with err set on allocation failure or an invalid zone. */
struct zone_sync *zone_sync_new(const struct records_config *cfg, char *err,
                                size_t errlen);
void zone_sync_free(struct zone_sync *z);

/* Applies every change the cache recorded since the last call (the first
   call applies everything) with SOA serial serial. Returns the number of
   services rebuilt, or -1 with err on allocation failure (the table keeps
   whatever was applied; the failed services are retried next time). */
long zone_sync_apply(struct zone_sync *z, struct svc_cache *cache, uint32_t serial,
                     char *err, size_t errlen);

/* How many services z keeps a record of what they put; the others (most:
   a ClusterIP service, a headless one with hostnames) are described by
   their nodes alone. */
size_t zone_sync_kept(const struct zone_sync *z);

/* The table queries read; never NULL after zone_sync_new. */
struct answer_table *zone_sync_table(const struct zone_sync *z);

#endif
