/* net_udp.h - one UDP socket served on an event_base: recvmmsg batches in,
 * answers from the published table, sendmmsg batches out. */
#ifndef SVCDNS_NET_UDP_H
#define SVCDNS_NET_UDP_H

#include <stddef.h>
#include <sys/socket.h>

struct answer_slot;
struct event_base;
struct forward;
struct query_opts;
struct net_udp;

/* A bound, non-blocking UDP socket with SO_REUSEPORT, so every query thread
   can have its own. Returns the fd, or -1 with err set. */
int net_udp_bind(const struct sockaddr *sa, socklen_t salen, char *err,
                 size_t errlen);

/* Serves fd on base (takes ownership of fd); foreign names go to fwd
   (NULL: none). NULL on allocation failure. */
struct net_udp *net_udp_new(struct event_base *base, int fd,
                            struct answer_slot *slot,
                            const struct query_opts *opts, struct forward *fwd);
void net_udp_free(struct net_udp *u);

/* Counts this socket's queries in m (the thread's block; NULL: none). */
struct metrics_thread;
void net_udp_set_metrics(struct net_udp *u, struct metrics_thread *m);

#endif
