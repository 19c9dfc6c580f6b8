/* query.h - the hot path: checks a query, finds its prebuilt answer, and
 * writes the reply into a caller's buffer. Knows nothing of Kubernetes.
 * No allocation, no locks; the caller holds the RCU read lock. */
#ifndef SVCDNS_QUERY_H
#define SVCDNS_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct answer_ref;
struct answer_table;
struct hosts_slot;
struct pod_map;
struct zone_hints;

#define QUERY_UDP_MIN 512
#define QUERY_MAX_MSG 65535

struct query_zone {
	uint8_t name[256]; /* wire, lower case */
	size_t len;
};

struct query_opts {
	uint16_t udp_cap;      /* largest UDP reply we send (EDNS), e.g. 1232 */
	bool refuse_outside;   /* no forwarder: REFUSED for foreign names */
	bool round_robin;      /* A and AAAA answers start at a random record */
	struct hosts_slot *hosts; /* --hosts: answered first; NULL without */
	/* which client is which pod (autopath.h), for autopath and
	   prefer_zone; NULL when both are off */
	const struct pod_map *pods;
	bool autopath;            /* walk the client's search path */
	bool prefer_zone;         /* a headless answer's endpoints in the
	                             client's zone first */
	const struct zone_hints *zone_hints; /* prefer_zone: the slices' hints */
	uint32_t autopath_ttl;    /* of its CNAME: the cluster records' TTL */
	/* The cluster zones, so that before the first load cluster names get
	   SERVFAIL while other names are still forwarded. */
	const struct query_zone *zones;
	size_t n_zones;
};

enum query_result {
	QUERY_REPLY,   /* *reply_len bytes in out are the reply */
	QUERY_DROP,    /* send nothing */
	QUERY_FORWARD, /* not ours: hand the query to the forwarder */
	QUERY_CHASE    /* out holds our CNAME answer (an ExternalName); the
	                  forwarder adds its target's records (forward_chase) */
};

/* The question of a query, as the hot path reads it. */
struct query_question {
	size_t qend;         /* offset just past QTYPE/QCLASS */
	uint8_t lname[256];  /* question name, lower case, wire */
	size_t lname_len;
	uint16_t qtype, qclass;
	bool edns;
	uint16_t edns_size;
	uint8_t edns_version;
	uint16_t edns_flags;
};

/* Reads the question and the OPT record of msg (header already checked
   for QDCOUNT 1). Returns 0, or -1 when malformed (FORMERR). */
int query_parse(const uint8_t *msg, size_t len, struct query_question *q);

/* Answers msg (len bytes) from client (NULL: unknown) from table (NULL:
   not yet synced -> SERVFAIL for cluster names). tcp selects the size
   limit (65535 instead of the client's UDP size). out must hold
   QUERY_MAX_MSG bytes. */
enum query_result query_answer(const struct answer_table *table,
                               const struct query_opts *opts,
                               const uint8_t *msg, size_t len, bool tcp,
                               const struct sockaddr *client,
                               uint8_t *out, size_t *reply_len);

/* What a name (lower-case wire) answers locally: --hosts first, then the
   table (ANSWER_OUTSIDE: neither has it). */
void query_lookup(const struct answer_table *table, const struct query_opts *opts,
                  const uint8_t *lname, size_t len, uint16_t qtype, struct answer_ref *ref);

#endif
