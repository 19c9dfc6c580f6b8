/* net_tcp.c - the TCP side of a query thread. Each connection is a
 * bufferevent; complete messages in its input are answered in order. */
#include "net_tcp.h"

#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <urcu.h>

#include "answer_table.h"
#include "forward.h"
#include "metrics.h"
#include "query.h"
#include "wire.h"

#define OUTPUT_HIGH_WATER (256 * 1024) /* stop reading from a client that
                                          does not read its answers */

struct tcp_conn {
	struct net_tcp *owner;
	struct bufferevent *bev;
	struct tcp_conn *prev, *next; /* oldest first */
	bool closing; /* client sent EOF: close once its answers are out */
	/* Armed while a message is incomplete: a client trickling one byte
	   at a time must not hold the connection forever (the bufferevent's
	   read timeout restarts with every byte). */
	struct event *deadline;
	struct sockaddr_storage peer; /* for metrics and --log-queries */
};

struct net_tcp {
	struct evconnlistener *listener;
	struct answer_slot *slot;
	const struct query_opts *opts;
	struct forward *fwd;
	struct metrics_thread *metrics; /* NULL: not counted */
	struct timeval idle;
	unsigned max_conns, n_conns;
	struct tcp_conn *oldest, *newest;
	uint8_t in[QUERY_MAX_MSG];
	uint8_t out[2 + QUERY_MAX_MSG];
};

static void on_accept(struct evconnlistener *l, evutil_socket_t fd,
                      struct sockaddr *sa, int salen, void *arg);
static void on_read(struct bufferevent *bev, void *arg);
static void on_write(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);
static void on_deadline(evutil_socket_t fd, short what, void *arg);
static void conn_close(struct tcp_conn *c);
static void reply_to_conn(void *ctx, const struct sockaddr *peer, socklen_t peer_len,
                          const uint8_t *msg, size_t len);

int net_tcp_bind(const struct sockaddr *sa, socklen_t salen, char *err, size_t errlen)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int on = 1;

	if (fd < 0) {
		snprintf(err, errlen, "TCP socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0 ||
	    (sa->sa_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0) ||
	    bind(fd, sa, salen) < 0 || listen(fd, 1024) < 0) {
		snprintf(err, errlen, "TCP bind: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct net_tcp *net_tcp_new(struct event_base *base, int fd, struct answer_slot *slot,
                            const struct query_opts *opts, struct forward *fwd,
                            unsigned idle_ms, unsigned max_conns)
{
	struct net_tcp *t = calloc(1, sizeof(*t));

	if (!t) {
		close(fd);
		return NULL;
	}
	t->slot = slot;
	t->opts = opts;
	t->fwd = fwd;
	t->idle.tv_sec = idle_ms / 1000;
	t->idle.tv_usec = (idle_ms % 1000) * 1000;
	t->max_conns = max_conns ? max_conns : 1;
	t->listener = evconnlistener_new(base, on_accept, t, LEV_OPT_CLOSE_ON_FREE, -1, fd);
	if (!t->listener) {
		close(fd);
		free(t);
		return NULL;
	}
	return t;
}

void net_tcp_set_metrics(struct net_tcp *t, struct metrics_thread *m)
{
	t->metrics = m;
}

void net_tcp_free(struct net_tcp *t)
{
	if (!t)
		return;
	while (t->oldest) {
		/* Shutting down: answers already made go out if the socket
		   takes them now (best effort, never blocks). */
		struct bufferevent *bev = t->oldest->bev;
		evbuffer_write(bufferevent_get_output(bev), bufferevent_getfd(bev));
		conn_close(t->oldest);
	}
	evconnlistener_free(t->listener);
	free(t);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd,
                      struct sockaddr *sa, int salen, void *arg)
{
	struct net_tcp *t = arg;
	struct tcp_conn *c;

	(void)sa;
	(void)salen;
	/* At the cap the oldest connection goes: a flood of idle clients must
	   not lock out new ones. */
	if (t->n_conns >= t->max_conns && t->oldest)
		conn_close(t->oldest);
	c = calloc(1, sizeof(*c));
	if (!c) {
		evutil_closesocket(fd);
		return;
	}
	c->owner = t;
	if (sa && salen > 0 && (size_t)salen <= sizeof(c->peer))
		memcpy(&c->peer, sa, (size_t)salen);
	c->bev = bufferevent_socket_new(evconnlistener_get_base(l), fd,
	                                BEV_OPT_CLOSE_ON_FREE);
	c->deadline = evtimer_new(evconnlistener_get_base(l), on_deadline, c);
	if (!c->bev || !c->deadline) {
		if (c->bev)
			bufferevent_free(c->bev);
		else
			evutil_closesocket(fd);
		if (c->deadline)
			event_free(c->deadline);
		free(c);
		return;
	}
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_set_timeouts(c->bev, &t->idle, &t->idle);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->prev = t->newest;
	if (t->newest)
		t->newest->next = c;
	else
		t->oldest = c;
	t->newest = c;
	t->n_conns++;
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;
	struct net_tcp *t = c->owner;
	struct evbuffer *input = bufferevent_get_input(bev);
	struct evbuffer *output = bufferevent_get_output(bev);
	uint64_t t0 = t->metrics ? metrics_now_ns() : 0;

	for (;;) {
		uint8_t prefix[2];
		size_t msg_len, reply_len = 0;
		enum query_result r;

		if (evbuffer_get_length(output) > OUTPUT_HIGH_WATER) {
			bufferevent_disable(bev, EV_READ); /* on_write re-enables */
			return;
		}
		if (evbuffer_get_length(input) < 2 ||
		    evbuffer_get_length(input) < 2 + (size_t)wire_u16(
		            evbuffer_pullup(input, 2))) {
			/* Part of a message: it must be whole within the idle time,
			   counted from its first byte. */
			if (evbuffer_get_length(input) == 0)
				evtimer_del(c->deadline);
			else if (!evtimer_pending(c->deadline, NULL))
				evtimer_add(c->deadline, &t->idle);
			return;
		}
		evbuffer_copyout(input, prefix, 2);
		msg_len = wire_u16(prefix);
		evtimer_del(c->deadline);
		evbuffer_drain(input, 2);
		evbuffer_remove(input, t->in, msg_len);
		if (t->metrics)
			metrics_request(t->metrics, METRICS_TCP, c->peer.ss_family,
			                metrics_qtype_of(t->in, msg_len), msg_len);

		rcu_read_lock();
		r = query_answer(answer_table_acquire(t->slot), t->opts, t->in, msg_len,
		                 true, (const struct sockaddr *)&c->peer, t->out + 2, &reply_len);
		rcu_read_unlock();
		if (r == QUERY_FORWARD && t->fwd) {
			/* The answer comes later, maybe after newer ones: DNS over
			   TCP allows replies out of order (RFC 7766 6.2.1.1). */
			forward_query(t->fwd, t->in, msg_len, NULL, 0, QUERY_MAX_MSG,
			              reply_to_conn, c);
			continue;
		}
		if (r == QUERY_CHASE && t->fwd) {
			forward_chase(t->fwd, t->in, msg_len, t->out + 2, reply_len, NULL, 0,
			              QUERY_MAX_MSG, reply_to_conn, c);
			continue;
		}
		if (r != QUERY_REPLY) {
			/* A message we cannot even answer ends the conversation. */
			conn_close(c);
			return;
		}
		wire_put_u16(t->out, (uint16_t)reply_len);
		evbuffer_add(output, t->out, 2 + reply_len);
		if (t->metrics) {
			uint64_t dt = metrics_now_ns() - t0;
			metrics_response(t->metrics, METRICS_TCP, METRICS_LOCAL, t->out + 2,
			                 reply_len);
			metrics_duration(t->metrics, metrics_qtype_of(t->out + 2, reply_len), dt);
			if (t->metrics->log_queries)
				metrics_log_query((struct sockaddr *)&c->peer, "tcp", t->out + 2,
				                  reply_len, dt);
		}
	}
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;

	if (c->closing) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			conn_close(c);
		return;
	}
	if (!(bufferevent_get_enabled(bev) & EV_READ)) {
		bufferevent_enable(bev, EV_READ);
		on_read(bev, arg);
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct tcp_conn *c = arg;

	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		c->closing = true;
		bufferevent_disable(bev, EV_READ);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_close(c);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_close(arg);
}

static void conn_close(struct tcp_conn *c)
{
	struct net_tcp *t = c->owner;

	if (c->prev)
		c->prev->next = c->next;
	else
		t->oldest = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		t->newest = c->prev;
	t->n_conns--;
	if (t->fwd)
		forward_cancel(t->fwd, c); /* no answer may reach a freed connection */
	event_free(c->deadline);
	bufferevent_free(c->bev);
	free(c);
}

static void reply_to_conn(void *ctx, const struct sockaddr *peer, socklen_t peer_len,
                          const uint8_t *msg, size_t len)
{
	struct tcp_conn *c = ctx;
	uint8_t prefix[2];

	(void)peer;
	(void)peer_len;
	wire_put_u16(prefix, (uint16_t)len);
	evbuffer_add(bufferevent_get_output(c->bev), prefix, 2);
	evbuffer_add(bufferevent_get_output(c->bev), msg, len);
	if (c->owner->metrics) {
		metrics_response(c->owner->metrics, METRICS_TCP, METRICS_FORWARD, msg, len);
		if (c->owner->metrics->log_queries)
			metrics_log_query((struct sockaddr *)&c->peer, "tcp", msg, len, 0);
	}
}
