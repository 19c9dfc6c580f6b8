/* upstream_health.h - which upstreams answer, per query thread, as
 * CoreDNS's forward health_check does: an upstream that failed twice in a
 * row is down, skipped by queries (tried last), and probed in the
 * background with ". IN NS" every half second until it answers; any
 * reply brings it back. No client query waits on a dead upstream to learn
 * that it is back.
 *
 * Ownership: the set belongs to one forwarder (one query thread and its
 * event loop); the addresses are the forward_config's and must outlive
 * it. */
#ifndef SVCDNS_UPSTREAM_HEALTH_H
#define SVCDNS_UPSTREAM_HEALTH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct forward_config;
struct upstream_health;

/* Every upstream of cfg (default and stubs), all up. NULL on allocation
   failure. */
struct upstream_health *upstream_health_new(struct event_base *base,
                                            const struct forward_config *cfg);
void upstream_health_free(struct upstream_health *h);

/* Whether addr (one of cfg's, by address) is down now. */
bool upstream_health_down(const struct upstream_health *h, const struct sockaddr_storage *addr);

/* The outcome of a query to addr: a usable reply, or a timeout or error. */
void upstream_health_result(struct upstream_health *h, const struct sockaddr_storage *addr,
                            bool ok);

/* Probes that got no answer (CoreDNS's healthcheck failures). */
uint64_t upstream_health_probe_failures(const struct upstream_health *h);

#endif
