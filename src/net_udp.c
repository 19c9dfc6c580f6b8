/* net_udp.c - the UDP side of a query thread. Buffers are allocated once
 * per socket; answering a datagram allocates nothing. */
#include "net_udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <urcu.h>

#include "answer_table.h"
#include "forward.h"
#include "metrics.h"
#include "query.h"

#define BATCH 32
#define RECV_BUF 4096
#define BATCHES_PER_WAKEUP 16 /* then yield to TCP and the other sockets */

struct net_udp {
	int fd;
	struct event *ev;
	struct answer_slot *slot;
	const struct query_opts *opts;
	struct forward *fwd;
	struct metrics_thread *metrics; /* NULL: not counted */
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec in_iov[BATCH], out_iov[BATCH];
	struct sockaddr_storage peers[BATCH];
	uint8_t *in_buf;  /* BATCH * RECV_BUF */
	uint8_t *out_buf; /* BATCH * QUERY_MAX_MSG */
	/* While the forwarder is handed query cur of a batch: a reply it
	   gives at once (a cache hit) joins the batch's sendmmsg as reply
	   n_out instead of a sendto of its own. */
	bool collecting, collected;
	int cur, n_out;
};

static void on_readable(evutil_socket_t fd, short what, void *arg);
static void reply_to_peer(void *ctx, const struct sockaddr *peer, socklen_t peer_len,
                          const uint8_t *msg, size_t len);

int net_udp_bind(const struct sockaddr *sa, socklen_t salen, char *err, size_t errlen)
{
	int fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int on = 1;

	if (fd < 0) {
		snprintf(err, errlen, "UDP socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0 ||
	    (sa->sa_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0) ||
	    bind(fd, sa, salen) < 0) {
		snprintf(err, errlen, "UDP bind: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct net_udp *net_udp_new(struct event_base *base, int fd, struct answer_slot *slot,
                            const struct query_opts *opts, struct forward *fwd)
{
	struct net_udp *u = calloc(1, sizeof(*u));
	int i;

	if (!u)
		return NULL;
	u->fd = fd;
	u->slot = slot;
	u->opts = opts;
	u->fwd = fwd;
	u->in_buf = malloc((size_t)BATCH * RECV_BUF);
	u->out_buf = malloc((size_t)BATCH * QUERY_MAX_MSG);
	u->ev = event_new(base, fd, EV_READ | EV_PERSIST, on_readable, u);
	if (!u->in_buf || !u->out_buf || !u->ev || event_add(u->ev, NULL) < 0) {
		net_udp_free(u);
		return NULL;
	}
	for (i = 0; i < BATCH; i++) {
		u->in_iov[i].iov_base = u->in_buf + (size_t)i * RECV_BUF;
		u->in_iov[i].iov_len = RECV_BUF;
	}
	return u;
}

void net_udp_set_metrics(struct net_udp *u, struct metrics_thread *m)
{
	u->metrics = m;
}

void net_udp_free(struct net_udp *u)
{
	if (!u)
		return;
	if (u->ev)
		event_free(u->ev);
	close(u->fd);
	free(u->in_buf);
	free(u->out_buf);
	free(u);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct net_udp *u = arg;
	int round;

	(void)what;
	for (round = 0; round < BATCHES_PER_WAKEUP; round++) {
		int n, i, replies = 0;
		uint64_t t0 = 0;
		enum metrics_qtype qts[BATCH];

		for (i = 0; i < BATCH; i++) {
			memset(&u->in[i].msg_hdr, 0, sizeof(u->in[i].msg_hdr));
			u->in[i].msg_hdr.msg_name = &u->peers[i];
			u->in[i].msg_hdr.msg_namelen = sizeof(u->peers[i]);
			u->in[i].msg_hdr.msg_iov = &u->in_iov[i];
			u->in[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, u->in, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return; /* EAGAIN, or an error the next wakeup will retry */
		if (u->metrics)
			t0 = metrics_now_ns();

		rcu_read_lock();
		{
			const struct answer_table *table = answer_table_acquire(u->slot);
			for (i = 0; i < n; i++) {
				uint8_t *reply = u->out_buf + (size_t)replies * QUERY_MAX_MSG;
				size_t reply_len = 0;
				enum query_result r;

				if (u->in[i].msg_hdr.msg_flags & MSG_TRUNC)
					continue; /* a query larger than any sane one */
				if (u->metrics) {
					qts[replies] = metrics_qtype_of(u->in_iov[i].iov_base,
					                                u->in[i].msg_len);
					metrics_request(u->metrics, METRICS_UDP,
					                u->peers[i].ss_family, qts[replies],
					                u->in[i].msg_len);
				}
				r = query_answer(table, u->opts, u->in_iov[i].iov_base,
				                 u->in[i].msg_len, false,
				                 (const struct sockaddr *)&u->peers[i], reply, &reply_len);
				if ((r == QUERY_FORWARD || r == QUERY_CHASE) && u->fwd) {
					u->collecting = true;
					u->collected = false;
					u->cur = i;
					u->n_out = replies;
					if (r == QUERY_FORWARD)
						forward_query(u->fwd, u->in_iov[i].iov_base,
						              u->in[i].msg_len,
						              (struct sockaddr *)&u->peers[i],
						              u->in[i].msg_hdr.msg_namelen,
						              u->opts->udp_cap, reply_to_peer, u);
					else
						forward_chase(u->fwd, u->in_iov[i].iov_base,
						              u->in[i].msg_len, reply, reply_len,
						              (struct sockaddr *)&u->peers[i],
						              u->in[i].msg_hdr.msg_namelen,
						              u->opts->udp_cap, reply_to_peer, u);
					u->collecting = false;
					if (u->collected)
						replies++;
					continue;
				}
				if (r != QUERY_REPLY)
					continue;
				if (u->metrics)
					metrics_response(u->metrics, METRICS_UDP, METRICS_LOCAL,
					                 reply, reply_len);
				memset(&u->out[replies].msg_hdr, 0, sizeof(u->out[replies].msg_hdr));
				u->out_iov[replies].iov_base = reply;
				u->out_iov[replies].iov_len = reply_len;
				u->out[replies].msg_hdr.msg_name = &u->peers[i];
				u->out[replies].msg_hdr.msg_namelen = u->in[i].msg_hdr.msg_namelen;
				u->out[replies].msg_hdr.msg_iov = &u->out_iov[replies];
				u->out[replies].msg_hdr.msg_iovlen = 1;
				replies++;
			}
		}
		rcu_read_unlock();

		for (i = 0; i < replies;) {
			int sent = sendmmsg(fd, u->out + i, (unsigned)(replies - i), 0);
			if (sent <= 0) {
				/* A reply the socket refuses is skipped, not retried:
				   the client will ask again. */
				i++;
				continue;
			}
			i += sent;
		}
		if (u->metrics) {
			/* One clock read per batch: every reply in it waited that
			   long from arrival to sendmmsg. */
			uint64_t dt = metrics_now_ns() - t0;
			for (i = 0; i < replies; i++) {
				metrics_duration(u->metrics, qts[i], dt);
				if (u->metrics->log_queries)
					metrics_log_query(u->out[i].msg_hdr.msg_name, "udp",
					                  u->out_iov[i].iov_base,
					                  u->out_iov[i].iov_len, dt);
			}
		}
		if (n < BATCH)
			return;
	}
}

/* A forwarded answer: sent straight from the socket the query came in on. */
static void reply_to_peer(void *ctx, const struct sockaddr *peer, socklen_t peer_len,
                          const uint8_t *msg, size_t len)
{
	struct net_udp *u = ctx;

	if (!peer)
		return;
	if (u->collecting && !u->collected && len <= QUERY_MAX_MSG) {
		/* answered at once (from the cache): sent with the batch */
		uint8_t *slot = u->out_buf + (size_t)u->n_out * QUERY_MAX_MSG;
		struct mmsghdr *m = &u->out[u->n_out];

		memcpy(slot, msg, len);
		memset(&m->msg_hdr, 0, sizeof(m->msg_hdr));
		u->out_iov[u->n_out].iov_base = slot;
		u->out_iov[u->n_out].iov_len = len;
		m->msg_hdr.msg_name = &u->peers[u->cur];
		m->msg_hdr.msg_namelen = u->in[u->cur].msg_hdr.msg_namelen;
		m->msg_hdr.msg_iov = &u->out_iov[u->n_out];
		m->msg_hdr.msg_iovlen = 1;
		u->collected = true;
		if (u->metrics) /* its duration and log line come with the batch's */
			metrics_response(u->metrics, METRICS_UDP, METRICS_FORWARD, msg, len);
		return;
	}
	sendto(u->fd, msg, len, MSG_DONTWAIT, peer, peer_len);
	if (u->metrics) {
		metrics_response(u->metrics, METRICS_UDP, METRICS_FORWARD, msg, len);
		if (u->metrics->log_queries)
			metrics_log_query(peer, "udp", msg, len, 0);
	}
}
