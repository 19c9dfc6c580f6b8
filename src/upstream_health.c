/* upstream_health.c - upstreams marked down and probed back (upstream_health.h). */
#include "upstream_health.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "dns.h"
#include "forward.h"
#include "wire.h"

#define DOWN_AFTER_FAILS 2
#define PROBE_MS 500

struct upstream {
	struct upstream_health *set;
	const struct sockaddr_storage *addr;
	socklen_t len;
	unsigned fails;      /* in a row */
	bool down;
	struct event *timer; /* while down: the next probe */
	struct event *read;  /* the probe's socket */
	int fd;
	uint16_t id;
	bool answered;       /* the last probe got its reply */
	uint64_t requests, probe_failures;
};

struct upstream_health {
	struct event_base *base;
	struct upstream *ups;
	size_t n;
};

static void on_probe_timer(evutil_socket_t fd, short what, void *arg);
static void stop_probing(struct upstream *u);

static int add_list(struct upstream_health *h, const struct forward_upstreams *list)
{
	size_t i;

	for (i = 0; i < list->n; i++) {
		struct upstream *u = &h->ups[h->n++];
		u->set = h;
		u->addr = &list->addrs[i];
		u->len = list->lens[i];
		u->fd = -1;
		u->timer = evtimer_new(h->base, on_probe_timer, u);
		if (!u->timer)
			return -1;
	}
	return 0;
}

struct upstream_health *upstream_health_new(struct event_base *base,
                                            const struct forward_config *cfg)
{
	struct upstream_health *h = calloc(1, sizeof(*h));
	size_t i, n = cfg->ups.n;

	if (!h)
		return NULL;
	for (i = 0; i < cfg->n_stubs; i++)
		n += cfg->stubs[i].ups.n;
	h->base = base;
	h->ups = calloc(n ? n : 1, sizeof(*h->ups));
	if (!h->ups || add_list(h, &cfg->ups) < 0) {
		upstream_health_free(h);
		return NULL;
	}
	for (i = 0; i < cfg->n_stubs; i++)
		if (add_list(h, &cfg->stubs[i].ups) < 0) {
			upstream_health_free(h);
			return NULL;
		}
	return h;
}

void upstream_health_free(struct upstream_health *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; h->ups && i < h->n; i++) {
		stop_probing(&h->ups[i]);
		if (h->ups[i].timer)
			event_free(h->ups[i].timer);
	}
	free(h->ups);
	free(h);
}

static struct upstream *find(const struct upstream_health *h, const struct sockaddr_storage *addr)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (h->ups[i].addr == addr)
			return &h->ups[i];
	return NULL;
}

bool upstream_health_down(const struct upstream_health *h, const struct sockaddr_storage *addr)
{
	const struct upstream *u = find(h, addr);

	return u && u->down;
}

void upstream_health_result(struct upstream_health *h, const struct sockaddr_storage *addr,
                            bool ok)
{
	struct upstream *u = find(h, addr);
	struct timeval tv = {0, PROBE_MS * 1000};

	if (!u)
		return;
	if (ok) {
		u->fails = 0;
		if (u->down) {
			u->down = false;
			stop_probing(u);
		}
		return;
	}
	if (++u->fails >= DOWN_AFTER_FAILS && !u->down) {
		u->down = true;
		u->answered = true; /* no probe outstanding yet */
		event_add(u->timer, &tv);
	}
}

void upstream_health_sent(struct upstream_health *h, const struct sockaddr_storage *addr)
{
	struct upstream *u = find(h, addr);

	if (u)
		u->requests++;
}

bool upstream_health_counts(const struct upstream_health *h, size_t i,
                            struct upstream_counts *out)
{
	if (!h || i >= h->n)
		return false;
	out->addr = h->ups[i].addr;
	out->requests = h->ups[i].requests;
	out->probe_failures = h->ups[i].probe_failures;
	return true;
}

/* ---- probes ---------------------------------------------------------- */

static void close_probe(struct upstream *u)
{
	if (u->read) {
		event_free(u->read);
		u->read = NULL;
	}
	if (u->fd >= 0) {
		close(u->fd);
		u->fd = -1;
	}
}

static void stop_probing(struct upstream *u)
{
	close_probe(u);
	if (u->timer)
		evtimer_del(u->timer);
}

/* A reply to the probe: any well-formed one brings the upstream back (a
   REFUSED from a stub's server, which serves no root, is life too). */
static void on_probe_reply(evutil_socket_t fd, short what, void *arg)
{
	struct upstream *u = arg;
	uint8_t buf[512];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);

	(void)what;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < DNS_HEADER_LEN || wire_u16(buf) != u->id || !(dns_flags(buf) & DNS_FLAG_QR))
		return; /* refused port (ICMP), or not ours: the next probe tries again */
	u->answered = true;
	u->fails = 0;
	u->down = false;
	stop_probing(u);
}

/* Every PROBE_MS while down: the last probe's silence counted, a new one
   sent. */
static void on_probe_timer(evutil_socket_t unused, short what, void *arg)
{
	struct upstream *u = arg;
	struct timeval tv = {0, PROBE_MS * 1000};
	uint8_t q[DNS_HEADER_LEN + 5];

	(void)unused;
	(void)what;
	if (!u->answered)
		u->probe_failures++;
	close_probe(u);
	u->answered = false;
	u->id = (uint16_t)arc4random();
	memset(q, 0, sizeof(q));
	wire_put_u16(q, u->id);
	dns_set_flags(q, DNS_FLAG_RD);
	wire_put_u16(q + 4, 1);
	q[DNS_HEADER_LEN] = 0; /* the root */
	wire_put_u16(q + DNS_HEADER_LEN + 1, 2); /* NS */
	wire_put_u16(q + DNS_HEADER_LEN + 3, 1); /* IN */
	u->fd = socket(u->addr->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd >= 0 && connect(u->fd, (const struct sockaddr *)u->addr, u->len) == 0 &&
	    send(u->fd, q, sizeof(q), 0) == (ssize_t)sizeof(q)) {
		u->read = event_new(u->set->base, u->fd, EV_READ | EV_PERSIST, on_probe_reply, u);
		if (u->read)
			event_add(u->read, NULL);
	}
	evtimer_add(u->timer, &tv);
}
