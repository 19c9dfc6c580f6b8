/* metrics.h - DNS counters kept per query thread and rendered in the
 * Prometheus text format with CoreDNS's names, so existing dashboards work.
 *
 * Each query thread writes only its own cache-line-aligned block with plain
 * increments: no lock, no atomic, no shared line. The scraper (main loop)
 * reads every block and sums; a 64-bit aligned load is never torn on the
 * platforms we build for, and a count that is one query behind is fine.
 *
 * Ownership: metrics_new() allocates the blocks; metrics_free() releases
 * them after the query threads have stopped. */
#ifndef SVCDNS_METRICS_H
#define SVCDNS_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include "kube_object.h"

struct forward_stats;
struct kube_client_stats;

enum metrics_proto { METRICS_UDP = 0, METRICS_TCP, METRICS_PROTOS };
enum metrics_family { METRICS_V4 = 0, METRICS_V6, METRICS_FAMILIES };
enum metrics_qtype {
	METRICS_QT_A = 0, METRICS_QT_AAAA, METRICS_QT_SRV, METRICS_QT_PTR,
	METRICS_QT_TXT, METRICS_QT_SOA, METRICS_QT_NS, METRICS_QT_CNAME,
	METRICS_QT_OTHER, METRICS_QTYPES
};
/* Who produced a response: the answer table, or the forwarder (which
   includes its cache). The "plugin" label of responses_total. */
enum metrics_origin { METRICS_LOCAL = 0, METRICS_FORWARD, METRICS_ORIGINS };

/* coredns_dns_request_duration_seconds: 0.00025 s doubling to 8.192 s. */
#define METRICS_DUR_BUCKETS 16
/* coredns_dns_request/response_size_bytes: 0 .. 64000. */
#define METRICS_SIZE_BUCKETS 14

/* One query thread's counters. Buckets are not cumulative here (one
   increment per observation); rendering makes them cumulative. */
struct metrics_thread {
	uint64_t requests[METRICS_PROTOS][METRICS_FAMILIES][METRICS_QTYPES];
	uint64_t responses[METRICS_ORIGINS][16]; /* by rcode */
	uint64_t dur[METRICS_QTYPES][METRICS_DUR_BUCKETS + 1];
	uint64_t dur_sum_ns[METRICS_QTYPES];
	uint64_t req_size[METRICS_PROTOS][METRICS_SIZE_BUCKETS + 1];
	uint64_t req_size_sum[METRICS_PROTOS];
	uint64_t resp_size[METRICS_PROTOS][METRICS_SIZE_BUCKETS + 1];
	uint64_t resp_size_sum[METRICS_PROTOS];
	bool log_queries; /* --log-queries; read-only once threads run */
} __attribute__((aligned(64)));

struct metrics;

/* Blocks for n query threads, zeroed. NULL on allocation failure. */
struct metrics *metrics_new(unsigned n, bool log_queries);
void metrics_free(struct metrics *m);
/* The block of thread i (< n). */
struct metrics_thread *metrics_thread(struct metrics *m, unsigned i);
/* Sums every thread's block into out (done at scrape time). */
void metrics_sum(const struct metrics *m, struct metrics_thread *out);

/* Bucket of a query's QTYPE, read from the question of msg (a query or a
   reply: the question starts at offset 12). METRICS_QT_OTHER when the
   message is too short or the name is malformed. */
enum metrics_qtype metrics_qtype_of(const uint8_t *msg, size_t len);

/* Nanoseconds of a monotonic clock (vDSO, no system call). */
static inline uint64_t metrics_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline unsigned metrics_size_bucket(size_t n)
{
	static const uint32_t ub[METRICS_SIZE_BUCKETS] = {
		0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16000, 32000,
		48000, 64000};
	unsigned i = 0;
	while (i < METRICS_SIZE_BUCKETS && n > ub[i])
		i++;
	return i;
}

static inline unsigned metrics_dur_bucket(uint64_t ns)
{
	uint64_t q;
	unsigned b;
	if (ns <= 250000)
		return 0;
	q = (ns - 1) / 250000; /* bucket b holds (250us<<(b-1), 250us<<b] */
	b = 64u - (unsigned)__builtin_clzll(q);
	return b < METRICS_DUR_BUCKETS ? b : METRICS_DUR_BUCKETS;
}

/* A query arrived (every one is counted, answered or not). */
static inline void metrics_request(struct metrics_thread *t, enum metrics_proto p,
                                   int sa_family, enum metrics_qtype qt, size_t size)
{
	t->requests[p][sa_family == AF_INET6][qt]++;
	t->req_size[p][metrics_size_bucket(size)]++;
	t->req_size_sum[p] += size;
}

/* A reply was sent; rcode is read from its header. */
static inline void metrics_response(struct metrics_thread *t, enum metrics_proto p,
                                    enum metrics_origin o, const uint8_t *reply,
                                    size_t size)
{
	t->responses[o][size >= 4 ? (reply[3] & 0x0f) : 2]++;
	t->resp_size[p][metrics_size_bucket(size)]++;
	t->resp_size_sum[p] += size;
}

/* How long a locally answered query took, from its arrival. */
static inline void metrics_duration(struct metrics_thread *t, enum metrics_qtype qt,
                                    uint64_t ns)
{
	t->dur[qt][metrics_dur_bucket(ns)]++;
	t->dur_sum_ns[qt] += ns;
}

/* --log-queries: one line "client qname qtype rcode duration" through
   log.c. reply is the answer sent (its question and rcode are logged);
   dur_ns 0 prints "-" (forwarded answers, whose start is not kept). */
void metrics_log_query(const struct sockaddr *client, const char *proto,
                       const uint8_t *reply, size_t len, uint64_t dur_ns);

/* ---- rendering --------------------------------------------------------- */

/* coredns_kubernetes_dns_programming_duration_seconds: from a source's
   change notification to the new answers being published. */
#define METRICS_PROG_BUCKETS 20 /* 0.001 s doubling, as CoreDNS */
struct metrics_latency {
	uint64_t bucket[METRICS_PROG_BUCKETS + 1];
	double sum;
	uint64_t count;
};
void metrics_latency_observe(struct metrics_latency *l, double seconds);

/* Everything the main loop knows at scrape time. */
struct metrics_app {
	const char *server;                  /* label, e.g. "dns://:53" */
	const struct forward_stats *fwd;     /* summed over threads; NULL: off */
	const struct kube_client_stats *api; /* NULL: --dir source */
	size_t objects[KUBE_KIND_COUNT];     /* in the cache, by kind */
	size_t table_entries, table_bytes;   /* the published answer table */
	double since_sync;                   /* seconds; < 0: never synced */
	const struct metrics_latency *programming;
	uint64_t publishes, publish_failures;
	bool ready, lameduck;
	bool autopath;                       /* --autopath: its counter */
	uint64_t autopath_successes;
	bool pod_map;                        /* --autopath or --prefer-zone */
	size_t pod_addresses, pod_map_bytes;
};

/* Writes the whole exposition (text format 0.0.4) to fp: the summed DNS
   counters of dns (may be NULL: all zero) and app. Returns 0, or -1 when
   writing fails. */
int metrics_render(const struct metrics_thread *dns, const struct metrics_app *app,
                   FILE *fp);

#endif
