/* zone_hints.h - which endpoints of a service are meant for which zones,
 * for --prefer-zone: from each EndpointSlice endpoint's hints.forZones
 * (the zones the EndpointSlice controller assigns it to, which kube-proxy's
 * topology-aware routing follows), else from its own zone field. The
 * controller hints each service's endpoints on its own, so an address is
 * known per service: the key is the service (namespace and name) and the
 * address. Hints decide; an endpoint without them is placed by pod_map
 * (its pod's node's zone) when its pod is known, else by its zone field.
 *
 * An address is in one slice of a service at a time (the controller moves
 * it, it does not copy it): a slice's removal removes its addresses' hints
 * for that service, whichever slice put them last.
 *
 * One writer (the loop that owns the sources), readers in the query
 * threads inside an RCU read-side section: liburcu's lock-free hash table,
 * replaced entries freed after a grace period.
 *
 * Ownership: the map copies what it keeps; a slice given to put or remove
 * stays the caller's. */
#ifndef SVCDNS_ZONE_HINTS_H
#define SVCDNS_ZONE_HINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kube_object;
struct zone_hints;

struct zone_hints *zone_hints_new(void); /* NULL on allocation failure */
/* Once no reader can hold it any more (the query threads have stopped). */
void zone_hints_free(struct zone_hints *h);

/* ---- the writer ---- */

/* The hints of a slice's endpoints (an ENDPOINTSLICE object; others are
   ignored), replacing what its addresses had for its service. Returns 0,
   or -1 on allocation failure (those addresses keep their old hints). */
int zone_hints_put_slice(struct zone_hints *h, const struct kube_object *slice);

/* Forgets the hints of a slice's addresses for its service (a slice
   deleted, or about to be replaced by its new version). */
void zone_hints_remove_slice(struct zone_hints *h, const struct kube_object *slice);

/* Forgets everything (the cache was cleared). */
void zone_hints_clear(struct zone_hints *h);

/* ---- readers ---- */

/* The key of the service whose name's first two labels are svc and ns
   (wire labels: a length byte, then the label, lower case). */
uint64_t zone_hints_service(const uint8_t *svc_label, const uint8_t *ns_label);

/* Whether the service's endpoint at addr (4 or 16 bytes) is meant for
   zone (a pod_map_zone_id): 1 yes, 0 no, -1 the slices do not say;
   *hinted: whether its hints say so, or only its zone field (which the
   controller wrote when it last synced the slice: a relabelled node's
   pods are placed better by the pod map). */
int zone_hints_prefers(const struct zone_hints *h, uint64_t service, const uint8_t *addr,
                       size_t len, uint32_t zone, bool *hinted);

#endif
