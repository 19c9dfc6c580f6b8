/* autopath.h - the client's search path walked by the server (--autopath),
 * as CoreDNS's autopath @kubernetes does, from the pod map instead of its
 * Pod watch's objects.
 *
 * A pod's resolv.conf searches <ns>.svc.<zone>, svc.<zone>, <zone> before
 * the name as written. When a query's name ends in the first of those for
 * the client's own namespace and does not exist, the rest of that list is
 * tried here; the first name that exists (any answer but NXDOMAIN) is the
 * reply: a CNAME from the asked name to it, then its records. When none
 * does, the reply is the name as written: its answer, or its NXDOMAIN
 * after the CNAME. A name as written that lies outside the cluster zones
 * is the forwarder's to complete (QUERY_CHASE). The client stops walking
 * at the first reply that is not NXDOMAIN, so it ends where its own walk
 * would have: one query for an outside name instead of four.
 *
 * Runs on the query threads' hot path (inside the RCU read-side section
 * query_answer's caller holds); no allocation. */
#ifndef SVCDNS_AUTOPATH_H
#define SVCDNS_AUTOPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "query.h"

struct answer_table;

/* For msg, whose question q has no name in the cluster (NXDOMAIN), from
   client: writes the reply into out (QUERY_MAX_MSG bytes) and returns
   QUERY_REPLY, or its local part and returns QUERY_CHASE. Returns
   QUERY_DROP (writing nothing) when autopath does not apply: an unknown
   or shared client address, a name outside the client's own namespace's
   suffix, or a walk that would need a forwarder there is none of. */
enum query_result autopath_answer(const struct answer_table *table,
                                  const struct query_opts *opts, const uint8_t *msg,
                                  const struct query_question *q, bool tcp,
                                  const struct sockaddr *client, uint8_t *out,
                                  size_t *reply_len);

/* Queries answered by a walk so far, every thread's (CoreDNS's
   coredns_autopath_success_total). */
uint64_t autopath_successes(void);

#endif
