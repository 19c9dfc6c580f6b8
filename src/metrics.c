/* metrics.c - per-thread DNS counters summed at scrape time, and the
 * Prometheus text exposition of them and of the main loop's state. */
#include "metrics.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "forward.h"
#include "kube_client.h"
#include "log.h"
#include "svcdns_autoconf.h"

struct metrics {
	unsigned n;
	struct metrics_thread *blocks;
};

static const char *const qtype_names[METRICS_QTYPES] = {
	"A", "AAAA", "SRV", "PTR", "TXT", "SOA", "NS", "CNAME", "other"};
static const char *const proto_names[METRICS_PROTOS] = {"udp", "tcp"};
static const char *const family_names[METRICS_FAMILIES] = {"1", "2"};
static const char *const origin_names[METRICS_ORIGINS] = {"kubernetes", "forward"};
static const char *const rcode_names[16] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "11", "12", "13",
	"14", "15"};
static const char *const size_bounds[METRICS_SIZE_BUCKETS] = {
	"0", "100", "200", "300", "400", "511", "1023", "2047", "4095", "8291",
	"16000", "32000", "48000", "64000"};
/* kube_client_stats.errors_by_class, index 1..7 */
static const char *const api_error_names[8] = {
	NULL, "network", "tls", "401", "403", "429", "5xx", "other"};

static void render_histogram(FILE *fp, const char *name, const char *labels,
                             const uint64_t *buckets, size_t nb, double first,
                             const char *const *bounds, double sum);

struct metrics *metrics_new(unsigned n, bool log_queries)
{
	struct metrics *m = calloc(1, sizeof(*m));
	unsigned i;

	if (!m)
		return NULL;
	m->n = n ? n : 1;
	m->blocks = aligned_alloc(64, sizeof(*m->blocks) * m->n);
	if (!m->blocks) {
		free(m);
		return NULL;
	}
	memset(m->blocks, 0, sizeof(*m->blocks) * m->n);
	for (i = 0; i < m->n; i++)
		m->blocks[i].log_queries = log_queries;
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	free(m->blocks);
	free(m);
}

struct metrics_thread *metrics_thread(struct metrics *m, unsigned i)
{
	return m && i < m->n ? &m->blocks[i] : NULL;
}

void metrics_sum(const struct metrics *m, struct metrics_thread *out)
{
	unsigned i;
	size_t k, words = offsetof(struct metrics_thread, log_queries) / sizeof(uint64_t);

	memset(out, 0, sizeof(*out));
	for (i = 0; m && i < m->n; i++) {
		/* The block is an array of uint64_t up to log_queries; read each
		   word once through a volatile pointer so the compiler does not
		   assume the other threads' blocks stand still. */
		const volatile uint64_t *src = (const volatile uint64_t *)&m->blocks[i];
		uint64_t *dst = (uint64_t *)out;
		for (k = 0; k < words; k++)
			dst[k] += src[k];
	}
}

enum metrics_qtype metrics_qtype_of(const uint8_t *msg, size_t len)
{
	size_t off = 12;
	uint16_t qt;

	while (off < len && msg[off] != 0) {
		if (msg[off] & 0xc0)
			return METRICS_QT_OTHER;
		off += 1u + msg[off];
	}
	if (off + 3 > len)
		return METRICS_QT_OTHER;
	qt = (uint16_t)(msg[off + 1] << 8 | msg[off + 2]);
	switch (qt) {
	case 1: return METRICS_QT_A;
	case 28: return METRICS_QT_AAAA;
	case 33: return METRICS_QT_SRV;
	case 12: return METRICS_QT_PTR;
	case 16: return METRICS_QT_TXT;
	case 6: return METRICS_QT_SOA;
	case 2: return METRICS_QT_NS;
	case 5: return METRICS_QT_CNAME;
	default: return METRICS_QT_OTHER;
	}
}

void metrics_log_query(const struct sockaddr *client, const char *proto,
                       const uint8_t *reply, size_t len, uint64_t dur_ns)
{
	char addr[INET6_ADDRSTRLEN + 8] = "-", name[1024], dur[32] = "-";
	size_t off = 12, n = 0;
	unsigned qtype = 0;
	int rcode = len >= 4 ? reply[3] & 0x0f : -1;

	if (client && client->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)client;
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		snprintf(addr, sizeof(addr), "%s:%u", a, (unsigned)ntohs(s->sin_port));
	} else if (client && client->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)client;
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		snprintf(addr, sizeof(addr), "[%s]:%u", a, (unsigned)ntohs(s->sin6_port));
	}
	/* The question name as text; bytes outside [!-~] are escaped. */
	while (off < len && reply[off] != 0 && !(reply[off] & 0xc0) && n + 8 < sizeof(name)) {
		size_t l = reply[off++], j;
		for (j = 0; j < l && off < len && n + 5 < sizeof(name); j++, off++) {
			uint8_t c = reply[off];
			if (c > 0x20 && c < 0x7f && c != '.' && c != '\\')
				name[n++] = (char)c;
			else
				n += (size_t)snprintf(name + n, sizeof(name) - n, "\\%03u", c);
		}
		name[n++] = '.';
	}
	if (n == 0)
		name[n++] = '.';
	name[n] = '\0';
	if (off < len && reply[off] == 0 && off + 3 <= len)
		qtype = (unsigned)(reply[off + 1] << 8 | reply[off + 2]);
	if (dur_ns)
		snprintf(dur, sizeof(dur), "%.6fs", (double)dur_ns / 1e9);
	{
		enum metrics_qtype b = metrics_qtype_of(reply, len);
		char tn[16];
		if (b != METRICS_QT_OTHER)
			snprintf(tn, sizeof(tn), "%s", qtype_names[b]);
		else
			snprintf(tn, sizeof(tn), "TYPE%u", qtype);
		log_write(LOG_LEVEL_INFO, "query %s %s %s %s %s %s", addr, proto, name, tn,
		          rcode >= 0 ? rcode_names[rcode] : "-", dur);
	}
}

void metrics_latency_observe(struct metrics_latency *l, double seconds)
{
	double bound = 0.001;
	unsigned i;

	for (i = 0; i < METRICS_PROG_BUCKETS && seconds > bound; i++)
		bound *= 2;
	l->bucket[i]++;
	l->sum += seconds;
	l->count++;
}

/* ---- rendering --------------------------------------------------------- */

static void header(FILE *fp, const char *name, const char *type, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(FILE *fp, const char *name, const char *type, const char *help,
                const char *labels, double v)
{
	header(fp, name, type, help);
	fprintf(fp, "%s%s%s%s %.17g\n", name, labels[0] ? "{" : "", labels,
	        labels[0] ? "}" : "", v);
}

/* buckets: nb finite buckets plus +Inf, not cumulative. Bounds come from
   bounds[] when given, else first doubling. */
static void render_histogram(FILE *fp, const char *name, const char *labels,
                             const uint64_t *buckets, size_t nb, double first,
                             const char *const *bounds, double sum)
{
	uint64_t cum = 0;
	double bound = first;
	size_t i;
	const char *sep = labels[0] ? "," : "";

	for (i = 0; i < nb; i++, bound *= 2) {
		cum += buckets[i];
		if (bounds)
			fprintf(fp, "%s_bucket{%s%sle=\"%s\"} %" PRIu64 "\n", name, labels, sep,
			        bounds[i], cum);
		else
			fprintf(fp, "%s_bucket{%s%sle=\"%g\"} %" PRIu64 "\n", name, labels, sep,
			        bound, cum);
	}
	cum += buckets[nb];
	fprintf(fp, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels, sep, cum);
	fprintf(fp, "%s_sum%s%s%s %.17g\n", name, labels[0] ? "{" : "", labels,
	        labels[0] ? "}" : "", sum);
	fprintf(fp, "%s_count%s%s%s %" PRIu64 "\n", name, labels[0] ? "{" : "", labels,
	        labels[0] ? "}" : "", cum);
}

static void render_dns(FILE *fp, const struct metrics_thread *t, const char *srv)
{
	char lb[256];
	size_t p, f, q, o, r;

	header(fp, "coredns_dns_requests_total", "counter", "Counter of DNS requests made per zone, protocol and family.");
	for (p = 0; p < METRICS_PROTOS; p++)
		for (f = 0; f < METRICS_FAMILIES; f++)
			for (q = 0; q < METRICS_QTYPES; q++)
				if (t->requests[p][f][q])
					fprintf(fp, "coredns_dns_requests_total{server=\"%s\",zone=\".\",view=\"\",proto=\"%s\",family=\"%s\",type=\"%s\"} %" PRIu64 "\n",
					        srv, proto_names[p], family_names[f], qtype_names[q],
					        t->requests[p][f][q]);

	header(fp, "coredns_dns_responses_total", "counter", "Counter of response status codes.");
	for (o = 0; o < METRICS_ORIGINS; o++)
		for (r = 0; r < 16; r++)
			if (t->responses[o][r])
				fprintf(fp, "coredns_dns_responses_total{server=\"%s\",zone=\".\",view=\"\",rcode=\"%s\",plugin=\"%s\"} %" PRIu64 "\n",
				        srv, rcode_names[r], origin_names[o], t->responses[o][r]);

	header(fp, "coredns_dns_request_duration_seconds", "histogram",
	       "Histogram of the time (in seconds) each request took (answers from the table; forwarded queries are not observed).");
	for (q = 0; q < METRICS_QTYPES; q++) {
		uint64_t n = 0;
		size_t b;
		for (b = 0; b <= METRICS_DUR_BUCKETS; b++)
			n += t->dur[q][b];
		if (!n)
			continue;
		snprintf(lb, sizeof(lb), "server=\"%s\",zone=\".\",view=\"\",type=\"%s\"", srv,
		         qtype_names[q]);
		render_histogram(fp, "coredns_dns_request_duration_seconds", lb, t->dur[q],
		                 METRICS_DUR_BUCKETS, 0.00025, NULL, (double)t->dur_sum_ns[q] / 1e9);
	}

	header(fp, "coredns_dns_request_size_bytes", "histogram", "Size of the request in bytes.");
	for (p = 0; p < METRICS_PROTOS; p++) {
		snprintf(lb, sizeof(lb), "server=\"%s\",zone=\".\",view=\"\",proto=\"%s\"", srv,
		         proto_names[p]);
		render_histogram(fp, "coredns_dns_request_size_bytes", lb, t->req_size[p],
		                 METRICS_SIZE_BUCKETS, 0, size_bounds, (double)t->req_size_sum[p]);
	}
	header(fp, "coredns_dns_response_size_bytes", "histogram", "Size of the returned response in bytes.");
	for (p = 0; p < METRICS_PROTOS; p++) {
		snprintf(lb, sizeof(lb), "server=\"%s\",zone=\".\",view=\"\",proto=\"%s\"", srv,
		         proto_names[p]);
		render_histogram(fp, "coredns_dns_response_size_bytes", lb, t->resp_size[p],
		                 METRICS_SIZE_BUCKETS, 0, size_bounds, (double)t->resp_size_sum[p]);
	}
}

/* An upstream as CoreDNS's {to} label writes it: "ADDR:PORT", "[V6]:PORT". */
static const char *upstream_label(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, (unsigned)ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, (unsigned)ntohs(a->sin_port));
	}
	return buf;
}

static void render_forward(FILE *fp, const struct metrics_thread *t,
                           const struct forward_stats *fs, const char *srv)
{
	char lb[128], to[INET6_ADDRSTRLEN + 10];
	size_t r;

	/* CoreDNS's types: denials (NXDOMAIN, NODATA) apart from the rest */
	header(fp, "coredns_cache_entries", "gauge", "The number of elements in the cache of forwarded answers.");
	fprintf(fp, "coredns_cache_entries{server=\"%s\",type=\"success\"} %zu\n", srv,
	        fs->cache_size - fs->cache_denials);
	fprintf(fp, "coredns_cache_entries{server=\"%s\",type=\"denial\"} %zu\n", srv,
	        fs->cache_denials);
	header(fp, "coredns_cache_hits_total", "counter", "The count of cache hits (forwarded names).");
	fprintf(fp, "coredns_cache_hits_total{server=\"%s\",type=\"success\"} %" PRIu64 "\n", srv,
	        fs->cache_hits - fs->cache_hits_denial);
	fprintf(fp, "coredns_cache_hits_total{server=\"%s\",type=\"denial\"} %" PRIu64 "\n", srv,
	        fs->cache_hits_denial);
	snprintf(lb, sizeof(lb), "server=\"%s\"", srv);
	one(fp, "coredns_cache_misses_total", "counter", "The count of cache misses (forwarded names).", lb, (double)fs->cache_misses);
	one(fp, "coredns_cache_evictions_total", "counter", "The count of cache evictions (forwarded names).", lb, (double)fs->cache_evictions);
	one(fp, "coredns_cache_served_stale_total", "counter", "The number of requests served from stale cache entries.", lb, (double)fs->stale_served);
	one(fp, "coredns_cache_prefetch_total", "counter", "The number of times the cache has prefetched a cached item.", lb, (double)fs->prefetches);
	header(fp, "coredns_forward_requests_total", "counter", "Counter of requests sent to upstreams (UDP and TCP).");
	for (r = 0; r < fs->n_to; r++)
		fprintf(fp, "coredns_forward_requests_total{to=\"%s\"} %" PRIu64 "\n",
		        upstream_label(fs->to[r].addr, to, sizeof(to)), fs->to[r].requests);
	header(fp, "coredns_forward_healthcheck_failures_total", "counter", "Health probes of down upstreams left unanswered.");
	for (r = 0; r < fs->n_to; r++)
		fprintf(fp, "coredns_forward_healthcheck_failures_total{to=\"%s\"} %" PRIu64 "\n",
		        upstream_label(fs->to[r].addr, to, sizeof(to)), fs->to[r].probe_failures);
	header(fp, "coredns_forward_responses_total", "counter",
	       "Counter of answers to forwarded queries by rcode (cache hits and stale answers included).");
	for (r = 0; r < 16; r++)
		if (t->responses[METRICS_FORWARD][r])
			fprintf(fp, "coredns_forward_responses_total{rcode=\"%s\"} %" PRIu64 "\n",
			        rcode_names[r], t->responses[METRICS_FORWARD][r]);
	{
		uint64_t cum = 0, n = 0;
		size_t b;
		header(fp, "coredns_forward_request_duration_seconds", "histogram",
		       "Histogram of the time each upstream request took.");
		for (b = 0; b <= FORWARD_DUR_BUCKETS; b++)
			n += fs->dur[b];
		for (b = 0; b < FORWARD_DUR_BUCKETS; b++) {
			cum += fs->dur[b];
			fprintf(fp, "coredns_forward_request_duration_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
			        0.00025 * (double)(1u << b), cum);
		}
		fprintf(fp, "coredns_forward_request_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", n);
		fprintf(fp, "coredns_forward_request_duration_seconds_sum %.9f\n", (double)fs->dur_sum_ns / 1e9);
		fprintf(fp, "coredns_forward_request_duration_seconds_count %" PRIu64 "\n", n);
	}
	one(fp, "svcdns_forward_queries_total", "counter", "Queries handed to the forwarder.", "", (double)fs->queries);
	one(fp, "svcdns_forward_timeouts_total", "counter", "Upstream tries that timed out.", "", (double)fs->timeouts);
	one(fp, "svcdns_forward_stale_served_total", "counter", "Stale answers served because every upstream failed (RFC 8767).", "", (double)fs->stale_served);
	one(fp, "svcdns_forward_servfails_total", "counter", "SERVFAIL answers the forwarder produced itself.", "", (double)fs->servfails);
	one(fp, "svcdns_forward_dropped_total", "counter", "Forwarded queries dropped (over max in-flight or cancelled).", "", (double)fs->replies_dropped);
}

static void render_api(FILE *fp, const struct kube_client_stats *a)
{
	size_t i;

	one(fp, "svcdns_api_up", "gauge", "1 while the API server answers, 0 while in backoff after a failure.", "", a->api_up ? 1 : 0);
	one(fp, "svcdns_api_synced", "gauge", "1 once every resource has been listed.", "", a->synced ? 1 : 0);
	one(fp, "svcdns_api_lists_total", "counter", "Complete LISTs (all pages).", "", (double)a->lists);
	one(fp, "svcdns_api_relists_total", "counter", "LISTs after the first, per resource.", "", (double)a->relists);
	one(fp, "svcdns_api_watches_total", "counter", "WATCH requests started.", "", (double)a->watches);
	one(fp, "svcdns_api_watch_restarts_total", "counter", "Watches resumed after an end or a drop.", "", (double)a->watch_restarts);
	one(fp, "svcdns_api_events_total", "counter", "Watch events applied.", "", (double)a->events);
	one(fp, "svcdns_api_skipped_total", "counter", "Malformed events or objects skipped.", "", (double)a->skipped);
	header(fp, "svcdns_api_errors_total", "counter", "Failed API requests by code (HTTP status, or network/tls).");
	for (i = 1; i < 8; i++)
		fprintf(fp, "svcdns_api_errors_total{code=\"%s\"} %" PRIu64 "\n", api_error_names[i],
		        a->errors_by_class[i]);
}

int metrics_render(const struct metrics_thread *dns, const struct metrics_app *app,
                   FILE *fp)
{
	static const struct metrics_thread zero;
	static const char *const kinds[KUBE_KIND_COUNT] = {
		NULL, "service", "endpointslice", "endpoints", "namespace", "pod", "node",
		"serviceimport"};
	const char *srv = app->server ? app->server : "dns://:53";
	size_t k;

	if (!dns)
		dns = &zero;
	one(fp, "svcdns_build_info", "gauge", "Always 1; the version label says which svcdns.",
	    "version=\"" PACKAGE_VERSION "\"", 1);
	render_dns(fp, dns, srv);
	if (app->fwd)
		render_forward(fp, dns, app->fwd, srv);
	if (app->programming) {
		const struct metrics_latency *l = app->programming;
		header(fp, "coredns_kubernetes_dns_programming_duration_seconds", "histogram",
		       "Time from a source's change to the new answers being published (all service kinds).");
		render_histogram(fp, "coredns_kubernetes_dns_programming_duration_seconds",
		                 "service_kind=\"all\"", l->bucket, METRICS_PROG_BUCKETS, 0.001,
		                 NULL, l->sum);
	}
	header(fp, "svcdns_cache_objects", "gauge", "Kubernetes objects in the cache, by kind.");
	for (k = 1; k < KUBE_KIND_COUNT; k++)
		fprintf(fp, "svcdns_cache_objects{kind=\"%s\"} %zu\n", kinds[k], app->objects[k]);
	one(fp, "svcdns_answer_table_entries", "gauge", "Nodes in the published answer table (one per name; a ClusterIP service's SRV names share its node).", "", (double)app->table_entries);
	one(fp, "svcdns_answer_table_bytes", "gauge", "Bytes of the published answer table.", "", (double)app->table_bytes);
	one(fp, "svcdns_publishes_total", "counter", "Answer tables built and published.", "", (double)app->publishes);
	one(fp, "svcdns_publish_failures_total", "counter", "Answer table builds that failed (the previous table kept serving).", "", (double)app->publish_failures);
	if (app->autopath) {
		char lb[128];
		snprintf(lb, sizeof(lb), "server=\"%s\"", srv);
		one(fp, "coredns_autopath_success_total", "counter", "Queries answered by walking the client's search path.", lb, (double)app->autopath_successes);
	}
	if (app->pod_map) {
		one(fp, "svcdns_pod_map_addresses", "gauge", "Pod addresses known for autopath (a pod of two families counts twice).", "", (double)app->pod_addresses);
		one(fp, "svcdns_pod_map_bytes", "gauge", "Bytes of the pod map's slot arrays.", "", (double)app->pod_map_bytes);
	}
	if (app->since_sync >= 0)
		one(fp, "svcdns_seconds_since_last_sync", "gauge", "Seconds since the last successful list or applied watch event (API) or directory scan.", "", app->since_sync);
	if (app->api)
		render_api(fp, app->api);
	one(fp, "svcdns_ready", "gauge", "1 when /ready answers 200.", "", app->ready ? 1 : 0);
	one(fp, "svcdns_lameduck", "gauge", "1 while shutting down (DNS still answered).", "", app->lameduck ? 1 : 0);
	return ferror(fp) ? -1 : 0;
}
