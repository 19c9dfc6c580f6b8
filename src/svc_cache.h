/* svc_cache.h - the model: Services, EndpointSlices, Endpoints, Namespaces,
 * Pods and ServiceImports by kind/namespace/name. Knows nothing about DNS or sources.
 *
 * Single writer: only the loop that owns the sources touches a cache.
 * Ownership: svc_cache_put takes the object (and frees it: the cache keeps
 * a compact copy, a kube_blob). Lookups hand out read-only views decoded
 * from that copy into the cache's scratch memory; each says below how long
 * its view lasts, never past the next change to the cache. Whoever needs
 * an object longer copies it (kube_object_clone). */
#ifndef SVCDNS_SVC_CACHE_H
#define SVCDNS_SVC_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube_object.h"

struct svc_cache;

struct svc_cache *svc_cache_new(void); /* NULL on allocation failure */
void svc_cache_free(struct svc_cache *c);

/* Keeps only objects of these namespaces (a Namespace object: of these
   names) from now on, as CoreDNS's "namespaces" option exposes only them:
   svc_cache_put drops the others. Call before the first put. Returns 0,
   or -1 on allocation failure. */
int svc_cache_only_namespaces(struct svc_cache *c, const char *const *names, size_t n);

struct label_selector;

/* CoreDNS's labels and namespace_labels, from now on: a Service,
   EndpointSlice, Endpoints or Pod object whose labels do not match services is
   not kept (put removes one the cache held: its labels changed); the
   objects of a namespace whose Namespace object does not match
   namespaces are kept but hidden from every lookup (get, foreach,
   endpoints_of, namespace_exists) until it does, and all of them are
   reported changed when it starts or stops matching. Either may be NULL.
   The selectors stay the caller's and must outlive the cache. Call before
   the first put. */
void svc_cache_select(struct svc_cache *c, const struct label_selector *services,
                      const struct label_selector *namespaces);

/* Inserts or replaces the object of the same kind/ns/name; takes ownership
   (frees obj on failure). Returns 0 when stored, 1 when the cache held the
   same data already (resourceVersion aside: nothing changed, nothing is
   reported) or the object's namespace is not kept, or -1 on allocation
   failure. An object the selectors do not keep removes the one held:
   0 then, 1 when there was none. */
int svc_cache_put(struct svc_cache *c, struct kube_object *obj);

/* Removes kind/ns/name. Returns 1 if it was there, 0 if not. */
int svc_cache_remove(struct svc_cache *c, enum kube_kind kind, const char *ns,
                     const char *name);

/* Removes obj's kind/ns/name, as a watch's DELETED event: a Pod also from
   the pod map, by the addresses obj names (svc_cache_remove scans the map
   for its name). Returns 1 if it was there, 0 if not. */
int svc_cache_delete(struct svc_cache *c, const struct kube_object *obj);

struct pod_map;

/* --autopath: every Pod put or removed from now on also goes to map
   (which client is which pod), which stays the caller's; with keep_pods
   false the cache keeps no Pod itself (only --pods verified's records
   read them), their puts and removals change no DNS data (put returns
   1), and a Pod leaves the map only by svc_cache_delete (its last state)
   or a list's sweep (svc_cache_list_end): svc_cache_remove, by name,
   cannot find its addresses. Call before the first put. */
void svc_cache_pod_map(struct svc_cache *c, struct pod_map *map, bool keep_pods);

struct zone_hints;

/* --prefer-zone: the zones each EndpointSlice's endpoints are meant for
   go to hints as the slices are put and removed (hints stays the
   caller's). Call before the first put. */
void svc_cache_zone_hints(struct svc_cache *c, struct zone_hints *hints);

/* A source's full list of kind starts, and has ended: for the pod map,
   which the sweep of svc_cache_foreach cannot reach, pods not put again
   are removed at the end, and the map counts as synced; nodes not put
   again lose their zone. Returns how many pods went that the cache does
   not count itself. */
void svc_cache_list_begin(struct svc_cache *c, enum kube_kind kind);
size_t svc_cache_list_end(struct svc_cache *c, enum kube_kind kind);

/* Removes every object of every kind. */
void svc_cache_clear(struct svc_cache *c);

/* A view of kind/ns/name, valid until the next svc_cache_get of the same
   kind or the next change. NULL when absent. Never fails otherwise:
   svc_cache_put grows the scratch memory views need before it stores. */
const struct kube_object *svc_cache_get(const struct svc_cache *c,
                                        enum kube_kind kind, const char *ns,
                                        const char *name);

/* Number of objects of kind. */
size_t svc_cache_count(const struct svc_cache *c, enum kube_kind kind);

/* Calls fn with a view of every object of kind, in no particular order,
   each valid during that call only; stops early and returns fn's value
   when it is non-zero. Do not change the cache from fn, nor start another
   foreach of the same kind. */
typedef int (*svc_cache_visit_fn)(void *ctx, const struct kube_object *obj);
int svc_cache_foreach(const struct svc_cache *c, enum kube_kind kind,
                      svc_cache_visit_fn fn, void *ctx);

/* Bumped on every change; lets consumers skip work when nothing changed. */
uint64_t svc_cache_generation(const struct svc_cache *c);

/* The endpoint objects of service ns/name: its EndpointSlices, or, only if
   it has none, its v1 Endpoints objects (each possibly chained through
   next_subset). Sets *out to an array of views valid until the next
   svc_cache_endpoints_of or change; returns its length. */
size_t svc_cache_endpoints_of(const struct svc_cache *c, const char *ns,
                              const char *name,
                              const struct kube_object *const **out);

/* The EndpointSlices of ServiceImport ns/name (labelled
   multicluster.kubernetes.io/service-name), as svc_cache_endpoints_of's,
   valid until the next svc_cache_import_slices or change. */
size_t svc_cache_import_slices(const struct svc_cache *c, const char *ns, const char *name,
                               const struct kube_object *const **out);

/* Whether namespace ns exists: a Namespace object, or any object in it. */
bool svc_cache_namespace_exists(const struct svc_cache *c, const char *ns);

/* What changed since the last drain, for incremental consumers: every
   service whose DNS data may differ (its Service, or a slice naming it,
   changed) as (ns, name), every Pod that changed as (ns, "/" pod name),
   every ServiceImport whose DNS data may differ as (ns, "+" name),
   and every namespace whose existence may differ as (ns, NULL). Each key once per drain, in no particular order; the
   list is empty afterwards. */
typedef void (*svc_cache_change_fn)(void *ctx, const char *ns, const char *name);
void svc_cache_drain_changes(struct svc_cache *c, svc_cache_change_fn fn, void *ctx);

#endif
