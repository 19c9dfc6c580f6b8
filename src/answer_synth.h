/* answer_synth.h - answers written at query time, in one place: those of
 * compact service nodes and of the hosts in a service's node (a few
 * stores into the answer_ref's scratch, which costs less memory than
 * prebuilt bytes for every ClusterIP service), the PTR of a reverse name
 * a node links, and the Kubernetes names that have no node at all: pods'
 * dashed addresses (--pods insecure) and the <ns>.pod.<zone> above them,
 * and the _port._proto names written without their underscores, as
 * CoreDNS answers them.
 *
 * Ownership: everything is written into the caller's answer_ref; the
 * table and its nodes are only read (inside an RCU read-side section). */
#ifndef SVCDNS_ANSWER_SYNTH_H
#define SVCDNS_ANSWER_SYNTH_H

#include <stddef.h>
#include <stdint.h>

struct answer_node;
struct answer_ref;
struct answer_table;
struct compact_view;

/* The answer of compact view v (a compact node's, or a host's) in zone
   number zone, or of its _port._proto name sub (an entry of the node's,
   answer_node.h; or NULL), to qtype. qname: the name asked, lower case,
   qlen bytes. */
void answer_synth_compact(const struct answer_table *t, const struct compact_view *v,
                          uint8_t zone, const uint8_t *sub, const uint8_t *qname,
                          size_t qlen, uint16_t qtype, struct answer_ref *ref);

/* The answer of the reverse name lname that node n links (tag: the
   link's): a PTR to n's name or its host's. */
void answer_synth_link(const struct answer_table *t, const struct answer_node *n,
                       uint32_t tag, const uint8_t *lname, size_t len, uint16_t qtype,
                       struct answer_ref *ref);

/* CoreDNS also answers _port._proto names written without one or both
   underscores ("http.tcp.web.ns.svc.zone"), for every type. Writes the
   real name of lname to out (DNAME_MAX bytes) and returns its length, or
   0 when lname is not such a name; *shift is minus the underscores
   added. Only for a miss. */
size_t answer_synth_srv_name(const struct answer_table *t, const uint8_t *lname, size_t len,
                             uint8_t *out, int *shift);

/* The answer of a name with no node of its own: a host of a service's
   node, a pod's name (--pods insecure), <ns>.pod.<zone>, or NXDOMAIN; a
   name outside our zones, or a reverse name we do not know, is
   ANSWER_OUTSIDE (the upstream's). */
void answer_synth_without_node(const struct answer_table *t, const uint8_t *lname,
                               size_t len, uint16_t qtype, struct answer_ref *ref);

#endif
