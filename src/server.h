/* server.h - query threads: each owns an event_base with a UDP socket and a
 * TCP listener per listen address (SO_REUSEPORT), answering from the
 * published answer table. */
#ifndef SVCDNS_SERVER_H
#define SVCDNS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "query.h"

struct answer_slot;
struct forward_config;
struct forward_stats;
struct metrics;
struct server;

struct server_config {
	const char *const *listen; /* addresses, text */
	size_t n_listen;
	uint16_t port;
	unsigned threads;
	struct query_opts qopts;
	unsigned tcp_idle_ms;      /* close idle TCP connections after this */
	unsigned tcp_max_conns;    /* per thread; the oldest is closed beyond */
	const struct forward_config *forward; /* NULL: foreign names refused */
	struct metrics *metrics;   /* a block per thread; NULL: not counted */
	bool reuse_port;           /* share the DNS port with another process */
};

/* Binds every socket (so bind errors surface here) and sets up each
   thread's loop, starting no thread: the caller may give up root between
   this and server_start, so that no query is answered as root. Unless
   cfg->reuse_port, a port another socket holds already is an error.
   Returns NULL with err set ("127.0.0.1:53: Permission denied"). */
struct server *server_bind(const struct server_config *cfg,
                           struct answer_slot *slot, char *err,
                           size_t errlen);

/* Starts the query threads of a bound server; queries that arrived since
   the bind are waiting in the sockets. Returns -1 with err set; the
   caller then calls server_stop. */
int server_start(struct server *s, char *err, size_t errlen);

/* Stops and joins the threads started, closes the sockets, frees s. */
void server_stop(struct server *s);

/* Sum of every thread's forwarder counters (read without locks, for
   /metrics). Returns false when forwarding is off. */
bool server_forward_stats(const struct server *s, struct forward_stats *out);

#endif
