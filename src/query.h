/* query.h - the hot path: checks a query, finds its prebuilt answer, and
 * writes the reply into a caller's buffer. Knows nothing of Kubernetes.
 * No allocation, no locks; the caller holds the RCU read lock. */
#ifndef SVCDNS_QUERY_H
#define SVCDNS_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct answer_table;

#define QUERY_UDP_MIN 512
#define QUERY_MAX_MSG 65535

struct query_opts {
	uint16_t udp_cap;      /* largest UDP reply we send (EDNS), e.g. 1232 */
	bool refuse_outside;   /* no forwarder: REFUSED for foreign names */
};

enum query_result {
	QUERY_REPLY,   /* *reply_len bytes in out are the reply */
	QUERY_DROP,    /* send nothing */
	QUERY_FORWARD  /* not ours: hand the query to the forwarder */
};

/* Answers msg (len bytes) from table (NULL: not yet synced -> SERVFAIL for
   cluster names). tcp selects the size limit (65535 instead of the client's
   UDP size). out must hold QUERY_MAX_MSG bytes. */
enum query_result query_answer(const struct answer_table *table,
                               const struct query_opts *opts,
                               const uint8_t *msg, size_t len, bool tcp,
                               uint8_t *out, size_t *reply_len);

#endif
