/* publisher.h - how the cache's changes reach the query threads: the
 * writer's side of the published answer table. A source's change marks
 * the publisher pending, and several changes in one turn of the loop
 * become one rebuild. The rebuild applies them through zone_sync with a
 * new SOA serial (the time of the change, always moving forward), makes
 * the table visible on the first success (until then queries get
 * SERVFAIL), and measures how long a change took to be answered (the
 * programming latency of /metrics).
 *
 * Ownership: a publisher owns its zone_sync (and so the answer table);
 * it borrows the event_base, the cache, the records config and the slot,
 * which must outlive it. Single writer: the loop of base. */
#ifndef SVCDNS_PUBLISHER_H
#define SVCDNS_PUBLISHER_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

struct answer_slot;
struct event_base;
struct publisher;
struct records_config;
struct svc_cache;

/* NULL with err on allocation failure. */
struct publisher *publisher_new(struct event_base *base, struct svc_cache *cache,
                                const struct records_config *rcfg,
                                struct answer_slot *slot, char *err, size_t errlen);

/* Frees p and its table: call once no query thread reads the slot (it
   is emptied first). */
void publisher_free(struct publisher *p);

/* A source changed the cache (a source's change callback; ctx: the
   publisher): a rebuild runs on the next turn of the loop. */
void publisher_changed(void *ctx);

/* Rebuilds now. Returns 0, or -1 when the changes could not be applied
   (logged; the table keeps serving what it had, the changes are retried
   with the next). */
int publisher_run(struct publisher *p);

struct publisher_stats {
	uint64_t publishes, failures;
	const struct metrics_latency *programming;
};
void publisher_stats(const struct publisher *p, struct publisher_stats *s);

#endif
