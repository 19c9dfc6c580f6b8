/* forward.c - upstream forwarding and its response cache.
 *
 * A query is keyed by (lower-case name, type, DO/CD bits). A fresh entry
 * of the cache all query threads share (fwd_cache.c) answers at once; otherwise the query joins the in-flight request
 * for its key, or starts one: a connected UDP socket per request (so the
 * kernel picks a random source port and only the queried address can
 * answer), a random ID, and the reply accepted only if ID and question
 * match. TC from upstream moves the request to TCP. A timeout moves it to
 * the next upstream; when all fail, an expired entry younger than
 * stale_limit is served with stale_ttl, else SERVFAIL. */
#include "forward.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "bytemap.h"
#include "dname.h"
#include "dnsmsg.h"
#include "dns.h"
#include "fwd_cache.h"
#include "fwd_flights.h"
#include "query.h"
#include "reply.h"
#include "upstream_health.h"
#include "wire.h"

#define KEY_MAX (256 + 3)
#define MAX_UPSTREAMS 16

struct waiter {
	struct waiter *next;
	forward_reply_fn fn;
	void *ctx;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	bool has_peer;
	struct reply_client c;  /* what its reply keeps of its query */
	uint8_t *prefix;        /* forward_chase: our CNAME record(s) (c.prefix), or NULL */
};

struct request {
	struct forward *f;
	uint8_t key[KEY_MAX];
	size_t key_len;
	uint8_t query[12 + 256 + 4 + 11]; /* what we send upstream */
	size_t query_len;
	uint16_t id;
	const struct forward_upstreams *ups;
	size_t order[MAX_UPSTREAMS], n_order, try_no;
	int fd;
	struct event *read_ev, *timer;
	struct bufferevent *tcp;
	struct waiter *waiters;
	uint8_t *servfail;     /* an upstream's SERVFAIL reply, if one came */
	size_t servfail_len;
	struct timespec try_start; /* for the request duration histogram */
	bool prefetch;             /* started by a cache hit, not a client */
	bool shared;               /* registered in cfg->flights: others wait on it */
	bool failed;               /* every upstream failed */
};


struct forward {
	struct event_base *base;
	const struct forward_config *cfg;
	struct bytemap *inflight; /* key -> struct request */
	size_t n_inflight;
	struct upstream_health *health;
	struct forward_stats stats;
	size_t next_start; /* FORWARD_POLICY_ROUND_ROBIN: this thread's turn */
	/* Clients whose question another thread is asking (fwd_flights):
	   key -> struct waiter list; woken through wakes and wake_ev, which
	   the other thread fills and fires. */
	struct bytemap *parked;
	pthread_mutex_t wake_lock;
	struct wake *wakes;
	struct event *wake_ev;
	uint8_t out[QUERY_MAX_MSG + 64];
	uint8_t cached[DNS_MAX_MSG]; /* a reply copied from the cache */
};

/* The clients of one key parked on another thread's asking. */
struct parked {
	struct waiter *head;
};

/* Another thread's asking for key ended. */
struct wake {
	struct wake *next;
	bool failed;
	size_t key_len;
	uint8_t key[KEY_MAX];
};

static void start_try(struct request *r);
static void start_tcp(struct request *r);
static void park(struct forward *f, const uint8_t *key, size_t key_len, struct waiter *w);
static void wake_forwarder(void *arg, const uint8_t *key, size_t len, bool failed);
static void on_wake(evutil_socket_t fd, short what, void *arg);
static int free_parked(void *ctx, const void *key, size_t len, void *value);
static int drop_parked_of(void *ctx, const void *key, size_t len, void *value);
static void answer_failed(struct forward *f, struct waiter *w, size_t stale);
static void waiter_free(struct waiter *w);
static void finish(struct request *r, const uint8_t *reply, size_t len,
                   const struct dnsmsg *m);
static void fail_all(struct request *r);
static void request_free(struct request *r);
static void on_tcp_read(struct bufferevent *bev, void *arg);
static void on_tcp_event(struct bufferevent *bev, short what, void *arg);
static int drop_waiters_of(void *ctx, const void *key, size_t len, void *value);

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

struct forward *forward_new(struct event_base *base, const struct forward_config *cfg)
{
	struct forward *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->base = base;
	f->cfg = cfg;
	f->inflight = bytemap_new();
	f->parked = bytemap_new();
	f->health = upstream_health_new(base, cfg);
	f->wake_ev = event_new(base, -1, 0, on_wake, f);
	if (!f->inflight || !f->parked || !f->health || !f->wake_ev ||
	    pthread_mutex_init(&f->wake_lock, NULL) != 0) {
		if (f->wake_ev)
			event_free(f->wake_ev);
		f->wake_ev = NULL;
		bytemap_free(f->parked, NULL);
		f->parked = NULL;
		forward_free(f);
		return NULL;
	}
	return f;
}

static int drop_request(void *ctx, const void *key, size_t len, void *value)
{
	struct request *r = value;

	(void)ctx;
	(void)key;
	(void)len;
	r->f = NULL; /* the map is going away: do not touch it */
	request_free(r);
	return 0;
}

void forward_free(struct forward *f)
{
	if (!f)
		return;
	if (f->inflight) {
		bytemap_foreach(f->inflight, drop_request, NULL);
		bytemap_free(f->inflight, NULL);
	}
	if (f->parked) {
		bytemap_foreach(f->parked, free_parked, NULL);
		bytemap_free(f->parked, NULL);
		while (f->wakes) {
			struct wake *k = f->wakes;
			f->wakes = k->next;
			free(k);
		}
		event_free(f->wake_ev);
		pthread_mutex_destroy(&f->wake_lock);
	}
	upstream_health_free(f->health);
	free(f);
}

void forward_get_stats(const struct forward *f, struct forward_stats *out)
{
	*out = f->stats;
	out->cache_size = fwd_cache_count(f->cfg->cache); /* shared: the same in each */
	out->cache_denials = fwd_cache_denials(f->cfg->cache);
	out->cache_evictions = fwd_cache_evictions(f->cfg->cache);
	for (out->n_to = 0; out->n_to < FORWARD_STATS_TO; out->n_to++) {
		struct upstream_counts c;
		if (!upstream_health_counts(f->health, out->n_to, &c))
			break;
		out->to[out->n_to].addr = c.addr;
		out->to[out->n_to].requests = c.requests;
		out->to[out->n_to].probe_failures = c.probe_failures;
	}
}

/* ---- replies to clients ------------------------------------------------ */

static void waiter_free(struct waiter *w)
{
	free(w->prefix);
	free(w);
}

/* Writes the reply for w from an upstream message (reply.c) and hands it
   over. */
static void deliver(struct forward *f, struct waiter *w, const uint8_t *msg, size_t len)
{
	len = reply_forwarded(f->out, &w->c, msg, len, f->cfg->edns_size);
	if (len)
		w->fn(w->ctx, w->has_peer ? (struct sockaddr *)&w->peer : NULL, w->peer_len,
		      f->out, len);
}

/* A reply made here (SERVFAIL, REFUSED): header and question only. */
static void deliver_rcode(struct forward *f, struct waiter *w, uint8_t rcode)
{
	size_t len = reply_error(f->out, &w->c, rcode, f->cfg->edns_size);

	w->fn(w->ctx, w->has_peer ? (struct sockaddr *)&w->peer : NULL, w->peer_len, f->out,
	      len);
}

/* ---- cache ------------------------------------------------------------- */

/* How long an upstream's reply m may be cached: its smallest TTL (a
   negative one's SOA minimum, RFC 2308), capped; a SERVFAIL briefly; 0
   for what is not cached (other errors, a negative answer without SOA). */
static uint32_t entry_ttl(const struct forward_config *cfg, const struct dnsmsg *m)
{
	bool negative = m->rcode == DNS_RCODE_NXDOMAIN || (m->rcode == 0 && m->an == 0);

	if (m->rcode == DNS_RCODE_SERVFAIL)
		return cfg->servfail_ttl;
	if (m->rcode != 0 && m->rcode != DNS_RCODE_NXDOMAIN)
		return 0;
	if (negative) {
		if (!m->has_soa)
			return 0; /* RFC 2308: no SOA, no negative caching */
		return m->soa_negative_ttl < cfg->max_negative_ttl ? m->soa_negative_ttl
		                                                   : cfg->max_negative_ttl;
	}
	return m->min_ttl < cfg->max_ttl ? m->min_ttl : cfg->max_ttl;
}

/* Caps every TTL of msg (parsed as m) at ttl: a fresh answer says what
   the same answer from the cache would (CoreDNS's cache does the same,
   "to avoid a jarring TTL experience"). */
static void cap_ttls(uint8_t *msg, const struct dnsmsg *m, uint32_t ttl)
{
	size_t i;

	for (i = 0; i < m->n_ttls; i++) {
		const uint8_t *p = msg + m->ttl_at[i];
		uint32_t t = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
		             ((uint32_t)p[2] << 8) | p[3];
		if (t > ttl)
			wire_put_u32(msg + m->ttl_at[i], ttl);
	}
}

/* ---- requests ---------------------------------------------------------- */

static void close_transport(struct request *r)
{
	if (r->read_ev) {
		event_free(r->read_ev);
		r->read_ev = NULL;
	}
	if (r->fd >= 0) {
		close(r->fd);
		r->fd = -1;
	}
	if (r->tcp) {
		bufferevent_free(r->tcp);
		r->tcp = NULL;
	}
	if (r->timer)
		evtimer_del(r->timer); /* each try arms its own */
}

static void request_free(struct request *r)
{
	while (r->waiters) {
		struct waiter *w = r->waiters;
		r->waiters = w->next;
		waiter_free(w);
	}
	close_transport(r);
	if (r->timer)
		event_free(r->timer);
	free(r->servfail);
	if (r->f) {
		bytemap_remove(r->f->inflight, r->key, r->key_len);
		r->f->n_inflight--;
		/* the answer is in the shared cache by now (or failed): the
		   threads that parked clients on it look there */
		if (r->shared)
			fwd_flights_end(r->f->cfg->flights, r->key, r->key_len, r->f, r->failed,
			                wake_forwarder);
	}
	free(r);
}

static void note_result(struct request *r, bool ok)
{
	upstream_health_result(r->f->health, &r->ups->addrs[r->order[r->try_no]], ok);
}

/* One upstream round trip (the last try's, TCP retry included). */
static void observe_duration(struct request *r)
{
	struct timespec now;
	uint64_t ns, q;
	unsigned b = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (uint64_t)(now.tv_sec - r->try_start.tv_sec) * 1000000000u +
	     (uint64_t)(now.tv_nsec - r->try_start.tv_nsec);
	if (ns > 250000) {
		q = (ns - 1) / 250000;
		b = 64u - (unsigned)__builtin_clzll(q);
		if (b > FORWARD_DUR_BUCKETS)
			b = FORWARD_DUR_BUCKETS;
	}
	r->f->stats.dur[b]++;
	r->f->stats.dur_sum_ns += ns;
}

static void next_try(struct request *r)
{
	note_result(r, false);
	close_transport(r);
	r->try_no++;
	if (r->try_no >= r->n_order) {
		fail_all(r);
		return;
	}
	start_try(r);
}

static bool reply_matches(const struct request *r, const struct dnsmsg *m)
{
	const uint8_t *q = r->query + WIRE_HEADER_LEN;
	size_t qlen = r->query_len - WIRE_HEADER_LEN - 4 - 11;

	return m->id == r->id && (m->flags & DNS_FLAG_QR) && m->qname_len == qlen &&
	       memcmp(m->qname, q, qlen) == 0 && m->qtype == wire_u16(q + qlen) &&
	       m->qclass == wire_u16(q + qlen + 2);
}

static void handle_reply(struct request *r, const uint8_t *buf, size_t len, bool tcp)
{
	struct dnsmsg m;

	if (dnsmsg_parse(buf, len, &m) < 0 || !reply_matches(r, &m)) {
		/* Garbage, a late reply or a spoofing attempt: ignore it and
		   keep waiting for the real one (UDP) or give up on this try. */
		r->f->stats.replies_dropped++;
		if (tcp)
			next_try(r);
		return;
	}
	if ((m.flags & DNS_FLAG_TC) && !tcp) {
		start_tcp(r);
		return;
	}
	note_result(r, true);
	observe_duration(r);
	if (m.rcode == DNS_RCODE_SERVFAIL) {
		/* Another upstream may do better, and a stale answer beats
		   this one (RFC 8767); keep it in case nothing does. */
		if (!r->servfail && (r->servfail = malloc(len)) != NULL) {
			memcpy(r->servfail, buf, len);
			r->servfail_len = len;
		}
		close_transport(r);
		r->try_no++;
		if (r->try_no >= r->n_order)
			fail_all(r);
		else
			start_try(r);
		return;
	}
	finish(r, buf, len, &m);
}

static void on_tcp_read(struct bufferevent *bev, void *arg)
{
	struct request *r = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t prefix[2];
	size_t len;
	uint8_t *buf;

	if (evbuffer_copyout(in, prefix, 2) < 2)
		return;
	len = wire_u16(prefix);
	if (evbuffer_get_length(in) < 2 + len)
		return;
	buf = malloc(len ? len : 1);
	if (!buf) {
		next_try(r);
		return;
	}
	evbuffer_drain(in, 2);
	evbuffer_remove(in, buf, len);
	handle_reply(r, buf, len, true);
	free(buf);
}

static void on_tcp_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		next_try(arg);
}

static void on_udp_readable(evutil_socket_t fd, short what, void *arg)
{
	struct request *r = arg;
	uint8_t buf[QUERY_MAX_MSG];
	ssize_t n;

	(void)what;
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			next_try(r); /* ICMP unreachable and friends: this one is out */
		return;
	}
	/* One datagram per wakeup: the event stays ready while more wait. */
	handle_reply(r, buf, (size_t)n, false);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct request *r = arg;

	(void)fd;
	(void)what;
	r->f->stats.timeouts++;
	next_try(r);
}

/* This try over TCP (after TC, or --force-tcp), with a fresh timeout. */
static void start_tcp(struct request *r)
{
	struct bufferevent *bev;
	uint8_t prefix[2];
	const struct sockaddr_storage *addr = &r->ups->addrs[r->order[r->try_no]];
	socklen_t alen = r->ups->lens[r->order[r->try_no]];
	struct timeval tv = {r->f->cfg->timeout_ms / 1000, (r->f->cfg->timeout_ms % 1000) * 1000};

	close_transport(r);
	bev = bufferevent_socket_new(r->f->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!bev ||
	    bufferevent_socket_connect(bev, (const struct sockaddr *)addr, (int)alen) < 0) {
		if (bev)
			bufferevent_free(bev);
		next_try(r);
		return;
	}
	r->tcp = bev;
	bufferevent_setcb(bev, on_tcp_read, NULL, on_tcp_event, r);
	event_add(r->timer, &tv);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	wire_put_u16(prefix, (uint16_t)r->query_len);
	bufferevent_write(bev, prefix, 2);
	bufferevent_write(bev, r->query, r->query_len);
	r->f->stats.upstream_sent++;
	upstream_health_sent(r->f->health, addr);
}

static void start_try(struct request *r)
{
	const struct sockaddr_storage *addr = &r->ups->addrs[r->order[r->try_no]];
	socklen_t alen = r->ups->lens[r->order[r->try_no]];
	struct timeval tv = {r->f->cfg->timeout_ms / 1000,
	                     (r->f->cfg->timeout_ms % 1000) * 1000};

	clock_gettime(CLOCK_MONOTONIC, &r->try_start);
	r->id = (uint16_t)arc4random();
	wire_put_u16(r->query, r->id);
	if (r->f->cfg->force_tcp) {
		start_tcp(r);
		return;
	}
	r->fd = socket(addr->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd < 0 || connect(r->fd, (const struct sockaddr *)addr, alen) < 0 ||
	    send(r->fd, r->query, r->query_len, 0) < 0) {
		/* No route, no socket: this try has failed already. Its timer
		   fires at once, from the loop, not from inside this call. */
		struct timeval now = {0, 0};
		event_add(r->timer, &now);
		return;
	}
	r->f->stats.upstream_sent++;
	upstream_health_sent(r->f->health, addr);
	r->read_ev = event_new(r->f->base, r->fd, EV_READ | EV_PERSIST, on_udp_readable, r);
	if (!r->read_ev || event_add(r->read_ev, NULL) < 0) {
		next_try(r);
		return;
	}
	event_add(r->timer, &tv);
}

static void finish(struct request *r, const uint8_t *reply, size_t len,
                   const struct dnsmsg *m)
{
	struct forward *f = r->f;
	uint8_t *clean = malloc(len);
	size_t clean_len = len;
	struct dnsmsg cm;

	struct dnsmsg parsed;

	if (!m) {
		if (dnsmsg_parse(reply, len, &parsed) < 0) {
			free(clean);
			r->servfail_len = 0;
			free(r->servfail);
			r->servfail = NULL;
			fail_all(r);
			return;
		}
		m = &parsed;
	}
	if (!clean) {
		free(r->servfail);
		r->servfail = NULL;
		fail_all(r);
		return;
	}
	/* Drop the upstream's OPT: each client gets its own (or none). */
	memcpy(clean, reply, len);
	if (m->has_opt) {
		memmove(clean + m->opt_start, clean + m->opt_end, len - m->opt_end);
		clean_len -= m->opt_end - m->opt_start;
		wire_put_u16(clean + 10, (uint16_t)(m->ar - 1));
	}
	dns_set_flags(clean, dns_flags(clean) & (uint16_t)~DNS_FLAG_TC);
	if (dnsmsg_parse(clean, clean_len, &cm) == 0) {
		uint32_t ttl = entry_ttl(f->cfg, &cm);

		fwd_cache_put(f->cfg->cache, r->key, r->key_len, clean, clean_len, &cm, ttl, now_s());
		if (ttl)
			cap_ttls(clean, &cm, ttl);
		while (r->waiters) {
			struct waiter *w = r->waiters;
			r->waiters = w->next;
			deliver(f, w, clean, clean_len);
			waiter_free(w);
		}
	}
	free(clean);
	request_free(r);
}

static void fail_all(struct request *r)
{
	struct forward *f = r->f;
	size_t stale;

	if (r->prefetch && !r->waiters) {
		/* A refresh that failed: the cached entry stays as it is (and
		   may still be served stale), no SERVFAIL goes in its place. */
		r->failed = true;
		request_free(r);
		return;
	}
	/* Every upstream failed: an answer cached by any thread, even one
	   expired up to stale_limit ago (RFC 8767), with stale_ttl. */
	stale = fwd_cache_get(f->cfg->cache, r->key, r->key_len, now_s(), f->cfg->stale_limit,
	                      f->cfg->stale_ttl, f->cached, NULL);

	if (!stale && r->servfail) {
		/* Nothing stale to give: pass the upstream's SERVFAIL on (and
		   cache it briefly, so a broken domain is not hammered). */
		finish(r, r->servfail, r->servfail_len, NULL);
		return;
	}
	while (r->waiters) {
		struct waiter *w = r->waiters;
		r->waiters = w->next;
		answer_failed(f, w, stale);
	}
	r->failed = true;
	request_free(r);
}

/* A client whose question every upstream failed: the stale answer in
   f->cached (stale bytes), else SERVFAIL. Takes w. */
static void answer_failed(struct forward *f, struct waiter *w, size_t stale)
{
	if (stale) {
		f->stats.stale_served++;
		deliver(f, w, f->cached, stale);
	} else {
		f->stats.servfails++;
		deliver_rcode(f, w, DNS_RCODE_SERVFAIL);
	}
	waiter_free(w);
}

/* ---- entry point ------------------------------------------------------- */

static const struct forward_upstreams *upstreams_for(const struct forward *f,
                                                     const uint8_t *name, size_t len)
{
	const struct forward_upstreams *best = &f->cfg->ups;
	size_t best_len = 0, i;

	for (i = 0; i < f->cfg->n_stubs; i++) {
		const struct forward_stub *s = &f->cfg->stubs[i];
		size_t pos = 0;
		bool under = false;

		while (pos < len) {
			if (len - pos == s->zone_len) {
				under = memcmp(name + pos, s->zone, s->zone_len) == 0;
				break;
			}
			if (name[pos] == 0)
				break;
			pos += (size_t)name[pos] + 1;
		}
		if (under && s->zone_len > best_len) {
			best = &s->ups;
			best_len = s->zone_len;
		}
	}
	return best;
}

/* A waiter for the client query msg; NULL if msg is malformed. */
static struct waiter *waiter_new(const struct forward *f, const uint8_t *msg, size_t len,
                                 struct query_question *q,
                                 const struct sockaddr *peer, socklen_t peer_len,
                                 size_t limit, forward_reply_fn fn, void *ctx)
{
	struct waiter *w;

	if (query_parse(msg, len, q) < 0 || q->qend - WIRE_HEADER_LEN > sizeof(w->c.question))
		return NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->fn = fn;
	w->ctx = ctx;
	if (peer && peer_len <= sizeof(w->peer)) {
		memcpy(&w->peer, peer, peer_len);
		w->peer_len = peer_len;
		w->has_peer = true;
	}
	memcpy(w->c.id, msg, 2);
	w->c.flags = dns_flags(msg);
	w->c.edns = q->edns;
	w->c.edns_flags = q->edns_flags;
	w->c.round_robin = f->cfg->round_robin;
	/* limit: the TCP maximum, or the UDP cap of the client's EDNS size */
	w->c.limit = limit >= QUERY_MAX_MSG ? limit : dns_udp_limit(q->edns, q->edns_size, limit);
	w->c.question_len = q->qend - WIRE_HEADER_LEN;
	memcpy(w->c.question, msg + WIRE_HEADER_LEN, w->c.question_len);
	return w;
}

/* Answers w with (lname, qtype, qclass): from the cache, by joining the
   request in flight, or by starting one. Takes w. */
static void start_request(struct forward *f, struct waiter *w, const uint8_t *key,
                          size_t key_len, const uint8_t *lname, size_t lname_len,
                          uint16_t qtype, uint16_t qclass, bool shared);

/* Answers w with (lname, qtype, qclass): from the cache, by joining the
   request in flight in this thread or, unless alone, another thread's,
   or by starting one. Takes w. */
static void resolve_as(struct forward *f, struct waiter *w, const uint8_t *lname,
                       size_t lname_len, uint16_t qtype, uint16_t qclass, bool alone);

static void resolve(struct forward *f, struct waiter *w, const uint8_t *lname,
                    size_t lname_len, uint16_t qtype, uint16_t qclass)
{
	resolve_as(f, w, lname, lname_len, qtype, qclass, false);
}

static void resolve_as(struct forward *f, struct waiter *w, const uint8_t *lname,
                       size_t lname_len, uint16_t qtype, uint16_t qclass, bool alone)
{
	uint8_t key[KEY_MAX];
	size_t key_len, cached_len;
	bool refresh = false;
	void **slot;
	struct request *r;

	f->stats.queries++;
	memcpy(key, lname, lname_len);
	wire_put_u16(key + lname_len, qtype);
	key[lname_len + 2] = (uint8_t)(((w->c.edns_flags & DNS_EDNS_DO) ? 1 : 0) |
	                               ((w->c.flags & DNS_FLAG_CD) ? 2 : 0));
	key_len = lname_len + 3;

	cached_len = fwd_cache_get(f->cfg->cache, key, key_len, now_s(), 0, 0, f->cached,
	                           f->cfg->prefetch ? &refresh : NULL);
	if (cached_len) {
		f->stats.cache_hits++;
		f->stats.cache_hits_denial += fwd_cache_is_denial(f->cached);
		deliver(f, w, f->cached, cached_len);
		waiter_free(w);
		if (refresh && !bytemap_slot(f->inflight, key, key_len, false) &&
		    (!f->cfg->flights || fwd_flights_join(f->cfg->flights, key, key_len, f))) {
			/* Asked in the last tenth of its TTL: fetched again now
			   (unless another thread is asking it already), so that
			   it does not expire for the clients that ask it
			   (Unbound's and CoreDNS's prefetch). */
			f->stats.prefetches++;
			start_request(f, NULL, key, key_len, lname, lname_len, qtype, qclass,
			              f->cfg->flights != NULL);
		}
		return;
	}
	f->stats.cache_misses++;
	slot = bytemap_slot(f->inflight, key, key_len, false);
	if (slot) {
		/* Same question already on its way: wait for that answer. */
		r = *slot;
		w->next = r->waiters;
		r->waiters = w;
		return;
	}
	if (!alone && f->cfg->flights && !fwd_flights_join(f->cfg->flights, key, key_len, f)) {
		/* Another thread asks it already: wait for its answer. */
		park(f, key, key_len, w);
		return;
	}
	start_request(f, w, key, key_len, lname, lname_len, qtype, qclass,
	              !alone && f->cfg->flights);
}

/* ---- across threads ------------------------------------------------------ */

static void park(struct forward *f, const uint8_t *key, size_t key_len, struct waiter *w)
{
	void **slot = bytemap_slot(f->parked, key, key_len, true);
	struct parked *p = slot ? *slot : NULL;

	if (slot && !p && (p = calloc(1, sizeof(*p))) != NULL)
		*slot = p;
	if (!p) { /* out of memory: the client asks again */
		if (slot)
			bytemap_remove(f->parked, key, key_len);
		waiter_free(w);
		return;
	}
	w->next = p->head;
	p->head = w;
}

/* fwd_flights_end's call, from the thread that asked: tells the thread
   of forwarder arg (another one) and fires its wake event. */
static void wake_forwarder(void *arg, const uint8_t *key, size_t len, bool failed)
{
	struct forward *f = arg;
	struct wake *k = malloc(sizeof(*k));

	if (!k || len > KEY_MAX) {
		free(k);
		return; /* its clients time out and ask again */
	}
	k->failed = failed;
	k->key_len = len;
	memcpy(k->key, key, len);
	pthread_mutex_lock(&f->wake_lock);
	k->next = f->wakes;
	f->wakes = k;
	pthread_mutex_unlock(&f->wake_lock);
	event_active(f->wake_ev, EV_TIMEOUT, 0);
}

/* In this thread: the clients parked on each key another thread finished
   asking get the cached answer, or stale/SERVFAIL when it failed; an
   answer that was not cached (TTL 0, an error) is asked for again, by
   this thread alone. */
static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct forward *f = arg;
	struct wake *list;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&f->wake_lock);
	list = f->wakes;
	f->wakes = NULL;
	pthread_mutex_unlock(&f->wake_lock);
	while (list) {
		struct wake *k = list;
		struct parked *p = bytemap_remove(f->parked, k->key, k->key_len);
		struct waiter *w = p ? p->head : NULL;
		size_t lname_len = k->key_len - 3;
		uint16_t qtype = wire_u16(k->key + lname_len);

		list = k->next;
		while (w) {
			struct waiter *next = w->next;
			size_t len;

			w->next = NULL;
			if (k->failed) {
				len = fwd_cache_get(f->cfg->cache, k->key, k->key_len, now_s(),
				                    f->cfg->stale_limit, f->cfg->stale_ttl, f->cached, NULL);
				answer_failed(f, w, len);
			} else if ((len = fwd_cache_get(f->cfg->cache, k->key, k->key_len, now_s(), 0, 0,
			                                f->cached, NULL)) != 0) {
				f->stats.cache_hits++;
				f->stats.cache_hits_denial += fwd_cache_is_denial(f->cached);
				deliver(f, w, f->cached, len);
				waiter_free(w);
			} else {
				resolve_as(f, w, k->key, lname_len, qtype, 1 /* IN: only IN is forwarded */,
				           true);
			}
			w = next;
		}
		free(p);
		free(k);
	}
}

static int free_parked(void *ctx, const void *key, size_t len, void *value)
{
	struct parked *p = value;
	struct waiter *w = p->head;

	(void)ctx;
	(void)key;
	(void)len;
	while (w) {
		struct waiter *next = w->next;
		waiter_free(w);
		w = next;
	}
	free(p);
	return 0;
}

/* Sends the question of key upstream for w, or with no waiter (NULL) to
   refresh the cache (a prefetch: its failure leaves the entry alone). */
static void start_request(struct forward *f, struct waiter *w, const uint8_t *key,
                          size_t key_len, const uint8_t *lname, size_t lname_len,
                          uint16_t qtype, uint16_t qclass, bool shared)
{
	/* a prefetch asks with the DO and CD bits of its key, and RD */
	uint16_t flags = w ? w->c.flags : (uint16_t)(DNS_FLAG_RD |
	                                             ((key[key_len - 1] & 2) ? DNS_FLAG_CD : 0));
	uint16_t edns_flags = w ? w->c.edns_flags : ((key[key_len - 1] & 1) ? DNS_EDNS_DO : 0);
	void **slot;
	struct request *r;
	size_t i;

	if (f->n_inflight >= f->cfg->max_inflight ||
	    upstreams_for(f, lname, lname_len)->n == 0) {
		/* Over the limit (CoreDNS's max_concurrent), or a name no
		   upstream serves (--upstream none with stub domains). */
		if (shared)
			fwd_flights_end(f->cfg->flights, key, key_len, f, true, wake_forwarder);
		if (w) {
			deliver_rcode(f, w, DNS_RCODE_REFUSED);
			waiter_free(w);
		}
		return;
	}
	r = calloc(1, sizeof(*r));
	slot = r ? bytemap_slot(f->inflight, key, key_len, true) : NULL;
	if (!slot) {
		free(r);
		if (shared)
			fwd_flights_end(f->cfg->flights, key, key_len, f, true, wake_forwarder);
		if (w) {
			deliver_rcode(f, w, DNS_RCODE_SERVFAIL);
			waiter_free(w);
		}
		return;
	}
	*slot = r;
	f->n_inflight++;
	r->f = f;
	r->fd = -1;
	r->waiters = w;
	r->prefetch = !w;
	r->shared = shared;
	memcpy(r->key, key, key_len);
	r->key_len = key_len;
	r->ups = upstreams_for(f, lname, lname_len);
	r->timer = evtimer_new(f->base, on_timeout, r);
	if (!r->timer || r->ups->n == 0) {
		fail_all(r);
		return;
	}
	/* The upstream query: our ID, the client's RD and CD, a lower-case
	   question, and our own EDNS size with the client's DO bit. */
	memset(r->query, 0, WIRE_HEADER_LEN);
	wire_put_u16(r->query + 2, (uint16_t)(flags & (DNS_FLAG_RD | DNS_FLAG_CD)));
	wire_put_u16(r->query + 4, 1);
	wire_put_u16(r->query + 10, 1);
	memcpy(r->query + WIRE_HEADER_LEN, lname, lname_len);
	wire_put_u16(r->query + WIRE_HEADER_LEN + lname_len, qtype);
	wire_put_u16(r->query + WIRE_HEADER_LEN + lname_len + 2, qclass);
	r->query_len = WIRE_HEADER_LEN + lname_len + 4 +
	               dns_put_opt(r->query + WIRE_HEADER_LEN + lname_len + 4,
	                           f->cfg->edns_size, 0, edns_flags);

	/* Healthy upstreams first, from the policy's start (CoreDNS's
	   forward: random, round_robin, or sequential in the order given);
	   ones marked down go last, so they are still tried when nothing
	   else answers. */
	{
		size_t n = r->ups->n < MAX_UPSTREAMS ? r->ups->n : MAX_UPSTREAMS;
		size_t start = 0, k;

		if (n && f->cfg->policy == FORWARD_POLICY_RANDOM)
			start = arc4random_uniform((uint32_t)n);
		else if (n && f->cfg->policy == FORWARD_POLICY_ROUND_ROBIN)
			start = f->next_start++ % n;
		for (k = 0; k < 2; k++)
			for (i = 0; i < n; i++) {
				size_t idx = (start + i) % n;
				bool down = upstream_health_down(f->health, &r->ups->addrs[idx]);
				if (down == (k == 1))
					r->order[r->n_order++] = idx;
			}
		/* A single upstream gets a second chance. */
		if (n == 1)
			r->order[r->n_order++] = 0;
	}
	start_try(r);
}

void forward_query(struct forward *f, const uint8_t *msg, size_t len,
                   const struct sockaddr *peer, socklen_t peer_len, size_t limit,
                   forward_reply_fn fn, void *ctx)
{
	struct query_question q;
	struct waiter *w = waiter_new(f, msg, len, &q, peer, peer_len, limit, fn, ctx);

	if (w)
		resolve(f, w, q.lname, q.lname_len, q.qtype, q.qclass);
}

void forward_chase(struct forward *f, const uint8_t *msg, size_t len,
                   const uint8_t *local, size_t local_len,
                   const struct sockaddr *peer, socklen_t peer_len, size_t limit,
                   forward_reply_fn fn, void *ctx)
{
	struct query_question q;
	struct waiter *w = waiter_new(f, msg, len, &q, peer, peer_len, limit, fn, ctx);
	size_t start, rd;
	uint8_t target[256];
	size_t tlen = 0;

	if (!w)
		return;
	/* local: header, question, then CNAMEs (an ExternalName's; or
	   autopath's, and maybe an ExternalName's after it), each target
	   written in full: the last one's is asked. */
	start = WIRE_HEADER_LEN + w->c.question_len;
	rd = 0;
	for (size_t pos = start, i = 0; i < wire_u16(local + 6); i++) {
		while (pos < local_len && local[pos] && (local[pos] & 0xC0) != 0xC0)
			pos += (size_t)local[pos] + 1;
		pos += pos < local_len && local[pos] ? 2 : 1; /* a pointer, or the root */
		if (pos + 10 > local_len || wire_u16(local + pos) != 5) {
			rd = 0;
			break;
		}
		rd = pos + 10;
		pos = rd + wire_u16(local + pos + 8);
	}
	if (!rd) {
		waiter_free(w);
		return;
	}
	while (rd + tlen < local_len && local[rd + tlen] && tlen < 255)
		tlen += (size_t)local[rd + tlen] + 1;
	if (rd + tlen >= local_len || tlen + 1 > sizeof(target)) {
		waiter_free(w);
		return;
	}
	tlen++;
	for (size_t i = 0; i < tlen; i++) {
		uint8_t c = local[rd + i];
		target[i] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
	}
	w->c.prefix_len = local_len - start;
	w->prefix = malloc(w->c.prefix_len);
	if (!w->prefix) {
		waiter_free(w);
		return;
	}
	memcpy(w->prefix, local + start, w->c.prefix_len);
	w->c.prefix = w->prefix;
	w->c.prefix_an = wire_u16(local + 6);
	resolve(f, w, target, tlen, q.qtype, q.qclass);
}

void forward_cancel(struct forward *f, void *ctx)
{
	bytemap_foreach(f->inflight, drop_waiters_of, ctx);
	bytemap_foreach(f->parked, drop_parked_of, ctx);
}

static int drop_waiters_of(void *ctx, const void *key, size_t len, void *value)
{
	struct request *r = value;
	struct waiter **p = &r->waiters;

	(void)key;
	(void)len;
	while (*p) {
		if ((*p)->ctx == ctx) {
			struct waiter *w = *p;
			*p = w->next;
			waiter_free(w);
		} else {
			p = &(*p)->next;
		}
	}
	return 0;
}

/* Drops ctx's clients parked on another thread's question. */
static int drop_parked_of(void *ctx, const void *key, size_t len, void *value)
{
	struct parked *p = value;
	struct waiter **w = &p->head;

	(void)key;
	(void)len;
	while (*w) {
		if ((*w)->ctx == ctx) {
			struct waiter *gone = *w;
			*w = gone->next;
			waiter_free(gone);
		} else {
			w = &(*w)->next;
		}
	}
	return 0;
}

int forward_parse_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *port_text = NULL;
	unsigned long port = 53;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	const char *colon = strchr(text, ':');

	memset(ss, 0, sizeof(*ss));
	if (text[0] == '[') {
		const char *end = strchr(text, ']');
		if (!end || (size_t)(end - text - 1) >= sizeof(host))
			return -1;
		memcpy(host, text + 1, (size_t)(end - text - 1));
		host[end - text - 1] = '\0';
		if (end[1] == ':')
			port_text = end + 2;
		else if (end[1])
			return -1;
	} else if (colon && !strchr(colon + 1, ':')) {
		if ((size_t)(colon - text) >= sizeof(host))
			return -1;
		memcpy(host, text, (size_t)(colon - text));
		host[colon - text] = '\0';
		port_text = colon + 1;
	} else {
		if (strlen(text) >= sizeof(host))
			return -1;
		strcpy(host, text);
	}
	if (port_text) {
		char *end;
		port = strtoul(port_text, &end, 10);
		if (*end || port == 0 || port > 65535)
			return -1;
	}
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

static int add_upstream(struct forward_upstreams *ups, const char *text)
{
	struct sockaddr_storage *addrs;
	socklen_t *lens;

	if (ups->n >= MAX_UPSTREAMS)
		return -1;
	addrs = realloc(ups->addrs, (ups->n + 1) * sizeof(*addrs));
	if (!addrs)
		return -1;
	ups->addrs = addrs;
	lens = realloc(ups->lens, (ups->n + 1) * sizeof(*lens));
	if (!lens)
		return -1;
	ups->lens = lens;
	if (forward_parse_addr(text, &ups->addrs[ups->n], &ups->lens[ups->n]) < 0)
		return -1;
	ups->n++;
	return 0;
}

static int load_resolv_conf(struct forward_upstreams *ups, const char *path,
                            char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char line[512];

	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp)) {
		char word[32], addr[128];
		if (sscanf(line, "%31s %127s", word, addr) == 2 &&
		    strcmp(word, "nameserver") == 0) {
			char *pct = strchr(addr, '%'); /* fe80::1%eth0: scope unsupported */
			if (pct)
				continue;
			if (add_upstream(ups, addr) < 0)
				break; /* more than MAX_UPSTREAMS: the first ones win */
		}
	}
	fclose(fp);
	return 0;
}

int forward_config_load(struct forward_config *cfg, const char *const *upstreams,
                        size_t n_upstreams, const char *resolv_conf,
                        const char *const *stubs, size_t n_stubs, char *err,
                        size_t errlen)
{
	size_t i;

	memset(&cfg->ups, 0, sizeof(cfg->ups));
	cfg->stubs = NULL;
	cfg->n_stubs = 0;
	for (i = 0; i < n_upstreams; i++) {
		if (add_upstream(&cfg->ups, upstreams[i]) < 0) {
			snprintf(err, errlen, "invalid value '%s' for --upstream", upstreams[i]);
			return -1;
		}
	}
	if (n_upstreams == 0 && resolv_conf &&
	    load_resolv_conf(&cfg->ups, resolv_conf, err, errlen) < 0)
		return -1;
	if (n_stubs) {
		struct forward_stub *list = calloc(n_stubs, sizeof(*list));
		if (!list) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		cfg->stubs = list;
		for (i = 0; i < n_stubs; i++) {
			char domain[256], *servers, *save = NULL, *tok;
			const char *eq = strchr(stubs[i], '=');
			size_t dlen = eq ? (size_t)(eq - stubs[i]) : 0;

			cfg->n_stubs++;
			if (!eq || dlen == 0 || dlen >= sizeof(domain)) {
				snprintf(err, errlen, "invalid value '%s' for --stub-domain", stubs[i]);
				return -1;
			}
			memcpy(domain, stubs[i], dlen);
			domain[dlen] = '\0';
			list[i].zone_len = dname_from_text(domain, list[i].zone);
			servers = strdup(eq + 1);
			if (!servers || list[i].zone_len == 0) {
				free(servers);
				snprintf(err, errlen, "invalid value '%s' for --stub-domain", stubs[i]);
				return -1;
			}
			for (tok = strtok_r(servers, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
				if (add_upstream(&list[i].ups, tok) < 0) {
					snprintf(err, errlen, "invalid server '%s' in --stub-domain %s",
					         tok, stubs[i]);
					free(servers);
					return -1;
				}
			free(servers);
			if (list[i].ups.n == 0) {
				snprintf(err, errlen, "invalid value '%s' for --stub-domain", stubs[i]);
				return -1;
			}
		}
	}
	return 0;
}

void forward_config_release(struct forward_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_stubs; i++) {
		free(cfg->stubs[i].ups.addrs);
		free(cfg->stubs[i].ups.lens);
	}
	free((void *)cfg->stubs);
	free(cfg->ups.addrs);
	free(cfg->ups.lens);
	memset(&cfg->ups, 0, sizeof(cfg->ups));
	cfg->stubs = NULL;
	cfg->n_stubs = 0;
}
