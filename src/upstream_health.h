/* upstream_health.h - which upstreams answer, per query thread, as
 * CoreDNS's forward health_check does: an upstream that failed twice in a
 * row is down, skipped by queries (tried last), and probed in the
 * background with ". IN NS" every half second until it answers; any
 * reply brings it back. No client query waits on a dead upstream to learn
 * that it is back.
 *
 * Ownership: the set belongs to one forwarder (one query thread and its
 * event loop); the addresses are the forward_config's and must outlive
 * it. It also counts what was sent to each upstream, for the metrics'
 * {to} labels. */
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

/* A query was sent to addr (counted for CoreDNS's requests_total{to}). */
void upstream_health_sent(struct upstream_health *h, const struct sockaddr_storage *addr);

/* What was counted for the i-th upstream of cfg (the default ones, then
   each stub's, in order): returns false when i is past the last. */
struct upstream_counts {
	const struct sockaddr_storage *addr; /* cfg's */
	uint64_t requests;       /* queries sent to it */
	uint64_t probe_failures; /* probes that got no answer (CoreDNS's
	                            healthcheck failures) */
};
bool upstream_health_counts(const struct upstream_health *h, size_t i,
                            struct upstream_counts *out);

#endif
