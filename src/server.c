/* server.c - query threads. Every socket is bound before any thread
 * starts, so a bind error stops start-up with a clear message. Each thread
 * runs its own event_base over its own SO_REUSEPORT sockets: no shared
 * state but the RCU-published answer table. */
#include "server.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <urcu.h>

#include "forward.h"
#include "log.h"
#include "metrics.h"
#include "net_tcp.h"
#include "net_udp.h"
#include "rcu_thread.h"

struct worker {
	struct server *server;
	pthread_t thread;
	bool started;
	struct event_base *base;
	int *udp_fds, *tcp_fds; /* per listen address, -1 once handed over */
	struct net_udp **udp;
	struct net_tcp **tcp;
	struct forward *fwd; /* this thread's forwarder and cache */
	/* Activated by server_stop from the main thread: its callback breaks
	   the loop from inside. A plain event_base_loopbreak from outside is
	   lost when it comes before the thread has entered its loop (the loop
	   clears the flag as it starts), and the join then waits for ever. */
	struct event *stop;
};

struct server {
	struct server_config cfg;
	struct answer_slot *slot;
	struct worker *workers;
	size_t n_listen;
};

static void *worker_main(void *arg);
static void on_stop(evutil_socket_t fd, short what, void *arg);
static int port_taken(const struct sockaddr *sa, socklen_t len, char *why, size_t whylen);
static int resolve(const char *addr, uint16_t port, struct sockaddr_storage *ss,
                   socklen_t *len);

struct server *server_bind(const struct server_config *cfg, struct answer_slot *slot,
                           char *err, size_t errlen)
{
	struct server *s = calloc(1, sizeof(*s));
	unsigned w;
	size_t a;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->cfg = *cfg;
	s->slot = slot;
	s->n_listen = cfg->n_listen;
	s->workers = calloc(cfg->threads, sizeof(*s->workers));
	if (!s->workers) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (w = 0; w < cfg->threads; w++) {
		struct worker *wk = &s->workers[w];
		wk->server = s;
		wk->udp_fds = malloc(cfg->n_listen * sizeof(int));
		wk->tcp_fds = malloc(cfg->n_listen * sizeof(int));
		wk->udp = calloc(cfg->n_listen, sizeof(*wk->udp));
		wk->tcp = calloc(cfg->n_listen, sizeof(*wk->tcp));
		if (!wk->udp_fds || !wk->tcp_fds || !wk->udp || !wk->tcp) {
			snprintf(err, errlen, "out of memory");
			s->cfg.threads = w + 1;
			goto fail;
		}
		for (a = 0; a < cfg->n_listen; a++)
			wk->udp_fds[a] = wk->tcp_fds[a] = -1;
	}
	for (a = 0; a < cfg->n_listen; a++) {
		struct sockaddr_storage ss;
		socklen_t len;
		char why[256];

		if (resolve(cfg->listen[a], cfg->port, &ss, &len) < 0) {
			snprintf(err, errlen, "invalid listen address '%s'", cfg->listen[a]);
			goto fail;
		}
		/* Our sockets share the port among our threads with
		   SO_REUSEPORT, which would as silently share it with another
		   server of the same user: the kernel would split the queries. */
		if (!cfg->reuse_port && port_taken((struct sockaddr *)&ss, len, why, sizeof(why))) {
			snprintf(err, errlen, "%s port %u: %s", cfg->listen[a], (unsigned)cfg->port,
			         why);
			goto fail;
		}
		for (w = 0; w < cfg->threads; w++) {
			struct worker *wk = &s->workers[w];
			wk->udp_fds[a] = net_udp_bind((struct sockaddr *)&ss, len, why, sizeof(why));
			if (wk->udp_fds[a] >= 0)
				wk->tcp_fds[a] = net_tcp_bind((struct sockaddr *)&ss, len, why,
				                              sizeof(why));
			if (wk->udp_fds[a] < 0 || wk->tcp_fds[a] < 0) {
				snprintf(err, errlen, "%s port %u: %s", cfg->listen[a],
				         (unsigned)cfg->port, why);
				goto fail;
			}
		}
	}
	for (w = 0; w < cfg->threads; w++) {
		struct worker *wk = &s->workers[w];
		wk->base = event_base_new();
		if (!wk->base) {
			snprintf(err, errlen, "cannot create an event loop");
			goto fail;
		}
		wk->stop = event_new(wk->base, -1, 0, on_stop, wk->base);
		if (!wk->stop) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		if (cfg->forward && !(wk->fwd = forward_new(wk->base, cfg->forward))) {
			snprintf(err, errlen, "out of memory setting up forwarding");
			goto fail;
		}
		for (a = 0; a < cfg->n_listen; a++) {
			wk->udp[a] = net_udp_new(wk->base, wk->udp_fds[a], slot, &s->cfg.qopts,
			                         wk->fwd);
			wk->udp_fds[a] = -1;
			wk->tcp[a] = net_tcp_new(wk->base, wk->tcp_fds[a], slot, &s->cfg.qopts,
			                         wk->fwd, cfg->tcp_idle_ms, cfg->tcp_max_conns);
			wk->tcp_fds[a] = -1;
			if (!wk->udp[a] || !wk->tcp[a]) {
				snprintf(err, errlen, "out of memory setting up listeners");
				goto fail;
			}
			net_udp_set_metrics(wk->udp[a], metrics_thread(cfg->metrics, w));
			net_tcp_set_metrics(wk->tcp[a], metrics_thread(cfg->metrics, w));
		}
	}
	return s;
fail:
	server_stop(s);
	return NULL;
}

int server_start(struct server *s, char *err, size_t errlen)
{
	unsigned w;

	for (w = 0; w < s->cfg.threads; w++) {
		int rc = pthread_create(&s->workers[w].thread, NULL, worker_main,
		                        &s->workers[w]);
		if (rc != 0) {
			snprintf(err, errlen, "cannot start a query thread: %s", strerror(rc));
			return -1;
		}
		s->workers[w].started = true;
	}
	return 0;
}

void server_stop(struct server *s)
{
	unsigned w;
	size_t a;

	if (!s)
		return;
	for (w = 0; w < s->cfg.threads; w++)
		if (s->workers[w].started)
			event_active(s->workers[w].stop, EV_READ, 0);
	for (w = 0; w < s->cfg.threads; w++) {
		struct worker *wk = &s->workers[w];
		if (wk->started)
			pthread_join(wk->thread, NULL);
		for (a = 0; a < s->n_listen; a++) {
			if (wk->udp)
				net_udp_free(wk->udp[a]);
			if (wk->tcp)
				net_tcp_free(wk->tcp[a]);
			if (wk->udp_fds && wk->udp_fds[a] >= 0)
				close(wk->udp_fds[a]);
			if (wk->tcp_fds && wk->tcp_fds[a] >= 0)
				close(wk->tcp_fds[a]);
		}
		forward_free(wk->fwd);
		if (wk->stop)
			event_free(wk->stop);
		if (wk->base)
			event_base_free(wk->base);
		free(wk->udp);
		free(wk->tcp);
		free(wk->udp_fds);
		free(wk->tcp_fds);
	}
	free(s->workers);
	free(s);
}

bool server_forward_stats(const struct server *s, struct forward_stats *out)
{
	unsigned w;

	memset(out, 0, sizeof(*out));
	if (!s || !s->cfg.forward)
		return false;
	for (w = 0; w < s->cfg.threads; w++) {
		struct forward_stats one;
		if (!s->workers[w].fwd)
			continue;
		forward_get_stats(s->workers[w].fwd, &one);
		out->queries += one.queries;
		out->cache_hits += one.cache_hits;
		out->cache_hits_denial += one.cache_hits_denial;
		out->cache_misses += one.cache_misses;
		out->upstream_sent += one.upstream_sent;
		out->replies_dropped += one.replies_dropped;
		out->timeouts += one.timeouts;
		out->stale_served += one.stale_served;
		out->servfails += one.servfails;
		out->prefetches += one.prefetches;
		out->n_to = one.n_to; /* one config: the same upstreams in each */
		for (size_t i = 0; i < one.n_to; i++) {
			out->to[i].addr = one.to[i].addr;
			out->to[i].requests += one.to[i].requests;
			out->to[i].probe_failures += one.to[i].probe_failures;
		}
		out->cache_size = one.cache_size; /* one cache for all */
		out->cache_denials = one.cache_denials;
		out->cache_evictions = one.cache_evictions;
		for (size_t b = 0; b <= FORWARD_DUR_BUCKETS; b++)
			out->dur[b] += one.dur[b];
		out->dur_sum_ns += one.dur_sum_ns;
	}
	return true;
}

static void *worker_main(void *arg)
{
	struct worker *wk = arg;

	thread_rcu_register();
	event_base_loop(wk->base, 0);
	thread_rcu_unregister();
	return NULL;
}

/* Whether another socket holds sa's UDP or TCP port: a bind without
   SO_REUSEPORT (and, for UDP, without SO_REUSEADDR) fails then. A TCP
   connection in TIME_WAIT does not count. */
static int port_taken(const struct sockaddr *sa, socklen_t len, char *why, size_t whylen)
{
	static const int types[] = {SOCK_DGRAM, SOCK_STREAM};
	size_t i;
	int on = 1;

	for (i = 0; i < 2; i++) {
		int fd = socket(sa->sa_family, types[i] | SOCK_CLOEXEC, 0);
		int rc, saved;

		if (fd < 0)
			continue; /* the real bind reports it */
		if (types[i] == SOCK_STREAM)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (sa->sa_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
		rc = bind(fd, sa, len);
		saved = errno;
		close(fd);
		if (rc < 0 && saved == EADDRINUSE) {
			snprintf(why, whylen,
			         "%s: Address already in use by another socket (--reuse-port shares it)",
			         types[i] == SOCK_DGRAM ? "UDP" : "TCP");
			return 1;
		}
	}
	return 0;
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static int resolve(const char *addr, uint16_t port, struct sockaddr_storage *ss,
                   socklen_t *len)
{
	struct addrinfo hints, *res = NULL;
	char service[8];

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_DGRAM;
	snprintf(service, sizeof(service), "%u", (unsigned)port);
	if (getaddrinfo(addr, service, &hints, &res) != 0 || !res)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}
