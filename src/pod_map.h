/* pod_map.h - which pod a client is: every pod's IP with its namespace and
 * node, for --autopath (the client's search path starts with its
 * namespace). It holds every pod of the cluster, so it keeps nothing else
 * of one: an IPv4 slot is 10 bytes (address, namespace and node numbers,
 * a 16-bit tag of the pod's name: it tells an update of the pod holding
 * an address from another pod's), about 14 bytes a pod with the table
 * 70-85% full. An address that two pods hold at once, a hostNetwork pod's
 * (its node's), or one the map lacks answers "unknown".
 *
 * One writer (the loop that owns the sources), many readers (the query
 * threads, inside an RCU read-side section): a reader loads a slot's words
 * atomically between two reads of a sequence count the writer bumps
 * around each change, and asks again when it moved; only when changes
 * keep overlapping its read (a writer descheduled inside one) does it take
 * the writer's lock for one read. The slot arrays are replaced through
 * RCU when they grow.
 *
 * With --prefer-zone it also knows each node's zone, so that an address
 * it places has a zone: the client's, and an endpoint's (an endpoint is a
 * pod; its zone is its node's, the label the EndpointSlice controller
 * copies into the slice).
 *
 * Ownership: the map copies what it keeps of an object; pod_map_lookup's
 * namespace label points into the map and lasts for the read-side
 * section. */
#ifndef SVCDNS_POD_MAP_H
#define SVCDNS_POD_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct kube_object;
struct pod_map;

struct pod_map *pod_map_new(void); /* NULL on allocation failure */
/* Once no reader can hold it any more (the query threads have stopped). */
void pod_map_free(struct pod_map *m);

/* ---- the writer ---- */

/* Adds or updates a Pod's addresses (a hostNetwork pod's and a finished
   one's, Succeeded or Failed, are removed instead). Returns 0, or -1 on allocation failure (or past
   65,534 namespaces or 32,767 nodes: that pod stays unknown). */
int pod_map_put(struct pod_map *m, const struct kube_object *pod);

/* Removes a Pod by the addresses it had; returns how many went. */
size_t pod_map_remove(struct pod_map *m, const struct kube_object *pod);

/* The number a zone's name is known by (a hash, never 0), in pod_client
   and zone_hints alike. */
uint32_t pod_map_zone_id(const char *zone, size_t len);

/* A Node's zone (its topology.kubernetes.io/zone label; NULL or "": none),
   for --prefer-zone. Returns 0, or -1 past 32,766 nodes or on allocation
   failure. */
int pod_map_put_node(struct pod_map *m, const char *name, const char *zone);

/* A full list of Nodes starts, and has ended: a node it did not name has
   no zone any more (it was deleted while the watch was down). Returns
   how many lost theirs. */
void pod_map_nodes_list_begin(struct pod_map *m);
size_t pod_map_nodes_list_end(struct pod_map *m);

/* A full list is starting: pods not put again before pod_map_list_end are
   removed there (which returns how many). */
void pod_map_list_begin(struct pod_map *m);
size_t pod_map_list_end(struct pod_map *m);

/* The pods are all in (the first list ended): until then every client is
   unknown, so that autopath never walks with a namespace it guessed. */
void pod_map_set_synced(struct pod_map *m);

size_t pod_map_count(const struct pod_map *m); /* addresses held */
size_t pod_map_bytes(const struct pod_map *m); /* the slot arrays' memory */

/* ---- readers ---- */

struct pod_client {
	const uint8_t *ns_label; /* wire: its length byte, then the label */
	uint16_t node;           /* its node's number in this map (0: none) */
	uint32_t zone;           /* its node's zone (a hash; 0: unknown) */
};

/* The pod whose address is addr (AF_INET or AF_INET6; a v4-mapped IPv6
   address is its IPv4 one). false when unknown, shared or not synced. */
bool pod_map_lookup(const struct pod_map *m, const struct sockaddr *addr,
                    struct pod_client *out);

/* Whether the map holds the pod at addr (len 4 or 16 bytes, as in an A or
   AAAA record); then *zone is its node's zone (0: none). */
bool pod_map_zone_of(const struct pod_map *m, const uint8_t *addr, size_t len,
                     uint32_t *zone);

#endif
