/* forward.h - names outside the cluster zones: sent to upstream servers
 * from the query thread's own event_base, with a response cache, identical
 * in-flight queries merged, TCP retry after TC, failover between upstreams,
 * and stale answers (RFC 8767) when every upstream fails.
 *
 * One struct forward per query thread: no locks. Ownership: the forwarder
 * copies what it keeps of a query; the config must outlive it. */
#ifndef SVCDNS_FORWARD_H
#define SVCDNS_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct forward;

struct forward_upstreams {
	struct sockaddr_storage *addrs;
	socklen_t *lens;
	size_t n;
};

struct forward_stub {
	uint8_t zone[256]; /* wire, lower case */
	size_t zone_len;
	struct forward_upstreams ups;
};

struct fwd_cache;
struct fwd_flights;

/* Which upstream a query tries first (the others follow in order). */
enum forward_policy {
	FORWARD_POLICY_RANDOM,      /* CoreDNS's default */
	FORWARD_POLICY_ROUND_ROBIN, /* the next one each query */
	FORWARD_POLICY_SEQUENTIAL   /* the first one given, then the next */
};

struct forward_config {
	struct forward_upstreams ups;  /* default upstreams */
	const struct forward_stub *stubs;
	size_t n_stubs;
	unsigned timeout_ms;           /* per try */
	struct fwd_cache *cache;       /* shared by every thread's forwarder; NULL: none */
	struct fwd_flights *flights;   /* questions in flight, shared; NULL: per thread only */
	unsigned max_inflight;         /* beyond: REFUSED, as CoreDNS's max_concurrent */
	uint32_t max_ttl, max_negative_ttl, servfail_ttl;
	uint32_t stale_limit, stale_ttl;
	uint16_t edns_size;            /* our payload size towards upstreams */
	bool round_robin;              /* A and AAAA answers start at a random record */
	enum forward_policy policy;
	bool force_tcp;                /* ask upstreams over TCP only */
	bool prefetch;                 /* refresh an entry asked in its TTL's last tenth */
};

/* Receives the reply for one client. peer is the client address given to
   forward_query (NULL if none was). Called exactly once per forward_query
   unless forward_cancel() dropped it. */
typedef void (*forward_reply_fn)(void *ctx, const struct sockaddr *peer,
                                 socklen_t peer_len, const uint8_t *msg,
                                 size_t len);

/* NULL on allocation failure. */
struct forward *forward_new(struct event_base *base,
                            const struct forward_config *cfg);
void forward_free(struct forward *f);

/* Answers msg (a query that query_answer() passed on: one question, sane
   header). limit is our UDP cap (the client's EDNS size is applied within
   it, 512 without EDNS), or 65535 over TCP. fn may run before this returns (cache hit). */
void forward_query(struct forward *f, const uint8_t *msg, size_t len,
                   const struct sockaddr *peer, socklen_t peer_len,
                   size_t limit, forward_reply_fn fn, void *ctx);

/* For a reply of ours that is a CNAME to a name outside our zones (an
   ExternalName service; query_answer() said QUERY_CHASE): local
   (local_len bytes: header, the client's question, the CNAME record) is
   completed with the target's records of the asked type from upstream,
   as CoreDNS does. Same callback contract as forward_query(). */
void forward_chase(struct forward *f, const uint8_t *msg, size_t len,
                   const uint8_t *local, size_t local_len,
                   const struct sockaddr *peer, socklen_t peer_len, size_t limit,
                   forward_reply_fn fn, void *ctx);

/* Forgets every pending reply for ctx (a TCP connection that closed). */
void forward_cancel(struct forward *f, void *ctx);

/* Counters for metrics and tests. */
#define FORWARD_DUR_BUCKETS 16 /* 0.00025 s doubling to 8.192 s, as CoreDNS */
/* Per upstream, for CoreDNS's {to} labels: the first FORWARD_STATS_TO of
   the config's upstreams (default ones, then each stub's), the rest only
   in the totals. CoreDNS's forward takes at most 15 per block. */
#define FORWARD_STATS_TO 64
struct forward_to_stats {
	const struct sockaddr_storage *addr; /* the config's */
	uint64_t requests, probe_failures;
};

struct forward_stats {
	uint64_t queries, cache_hits, cache_hits_denial, cache_misses, upstream_sent,
		replies_dropped,
		timeouts, stale_served, servfails, prefetches;
	size_t n_to;
	struct forward_to_stats to[FORWARD_STATS_TO];
	size_t cache_size;        /* of the shared cache: the same in every thread's */
	size_t cache_denials;     /* likewise: of them, denials */
	uint64_t cache_evictions; /* likewise */
	/* Upstream round trips that got a usable reply: not cumulative here,
	   the last bucket is +Inf. */
	uint64_t dur[FORWARD_DUR_BUCKETS + 1];
	uint64_t dur_sum_ns;
};
void forward_get_stats(const struct forward *f, struct forward_stats *out);

/* Fills the upstream lists of cfg: from upstreams ("ADDR[:PORT]"), or when
   there are none from the nameserver lines of resolv_conf (NULL: no
   default upstreams, only stubs); stubs are
   "DOMAIN=ADDR[:PORT][,ADDR...]". Other fields are left alone. Returns 0,
   or -1 with err naming the bad value. Release with
   forward_config_release(). */
int forward_config_load(struct forward_config *cfg, const char *const *upstreams,
                        size_t n_upstreams, const char *resolv_conf,
                        const char *const *stubs, size_t n_stubs, char *err,
                        size_t errlen);
void forward_config_release(struct forward_config *cfg);

/* Parses "ADDR", "ADDR:PORT", "[V6]:PORT" into ss (port default 53).
   Returns 0 or -1. */
int forward_parse_addr(const char *text, struct sockaddr_storage *ss,
                       socklen_t *len);

#endif
