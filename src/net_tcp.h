/* net_tcp.h - DNS over TCP on an event_base: length-prefixed messages,
 * pipelined queries answered in order, idle timeout, a connection cap. */
#ifndef SVCDNS_NET_TCP_H
#define SVCDNS_NET_TCP_H

#include <stddef.h>
#include <sys/socket.h>

struct answer_slot;
struct event_base;
struct forward;
struct query_opts;
struct net_tcp;

/* A bound, listening, non-blocking socket with SO_REUSEPORT. Returns the
   fd, or -1 with err set. */
int net_tcp_bind(const struct sockaddr *sa, socklen_t salen, char *err,
                 size_t errlen);

/* Accepts on fd (taken over) from base; foreign names go to fwd (NULL:
   none). Connections idle for idle_ms are
   closed; beyond max_conns the oldest connection is closed. NULL on
   failure. */
struct net_tcp *net_tcp_new(struct event_base *base, int fd,
                            struct answer_slot *slot,
                            const struct query_opts *opts, struct forward *fwd,
                            unsigned idle_ms, unsigned max_conns);
/* Closes the listener and every connection. */
void net_tcp_free(struct net_tcp *t);

/* Counts this listener's queries in m (the thread's block; NULL: none). */
struct metrics_thread;
void net_tcp_set_metrics(struct net_tcp *t, struct metrics_thread *m);

#endif
