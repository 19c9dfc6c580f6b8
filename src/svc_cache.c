/* svc_cache.c - objects by kind, keyed "namespace/name", each kept as a
 * kube_blob and handed out as a view decoded into scratch memory. */
#include "svc_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytemap.h"
#include "kube_blob.h"
#include "label_selector.h"
#include "pod_map.h"
#include "zone_hints.h"

/* The endpoint objects naming one service, by name (same namespace): the
   names of its EndpointSlices, then those of its v1 Endpoints, each
   NUL-terminated, in one block. A real cluster has a slice or two for
   nearly every service, so this is one small allocation per service, not
   an array and a string per slice. */
struct endpoint_names {
	uint32_t n_slices, n_endpoints;
	uint32_t len; /* bytes used in names */
	char names[];
};

/* Memory views are decoded into; it grows and is never given back, so
   after the first few lookups a view costs no allocation. */
struct scratch {
	void *mem;
	size_t cap;
};

/* One scratch per way of handing out views, so that each keeps the
   lifetime svc_cache.h promises while the others are in use. */
struct views {
	struct scratch get[KUBE_KIND_COUNT];
	struct scratch each[KUBE_KIND_COUNT];
	struct scratch endpoints;
	struct scratch import_endpoints;
	struct scratch own; /* the cache's own reading, e.g. of a replaced blob */
};

struct svc_cache {
	struct bytemap *by_kind[KUBE_KIND_COUNT]; /* "ns/name" -> blob */
	struct views *views; /* written through a const cache: scratch only */
	struct bytemap *endpoints_by_service; /* "ns/svc" -> struct endpoint_names */
	struct bytemap *slices_by_import;     /* "ns/import" -> struct endpoint_names
	                                         (slices only) */
	struct bytemap *ns_objects;           /* "ns" -> object count (uintptr_t) */
	struct bytemap *changed;              /* "ns/svc" or "ns" -> NULL */
	struct bytemap *only_ns;              /* kept namespaces; NULL: all */
	const struct label_selector *select_objects;    /* --labels, or NULL */
	const struct label_selector *select_namespaces; /* --namespace-labels */
	struct bytemap *exposed_ns; /* with select_namespaces: the matching ones */
	struct pod_map *pod_map;    /* --autopath: every Pod's address, or NULL */
	struct zone_hints *zone_hints; /* --prefer-zone: the slices' hints, or NULL */
	bool keep_pods;             /* Pods also kept here (--pods verified) */
	uint64_t generation;
};

static size_t make_key(char *buf, size_t len, const char *ns, const char *name);
static const struct kube_object *view(struct scratch *s, const uint8_t *blob,
                                      const void *key, size_t key_len);
static void *scratch_reserve(struct scratch *s, size_t need);
static int reserve_views(struct svc_cache *c, const struct kube_object *obj,
                         const uint8_t *blob, size_t key_len);
static void scratch_free(struct scratch *s);
static void index_add(struct svc_cache *c, const struct kube_object *obj);
static void index_remove(struct svc_cache *c, const uint8_t *blob, const void *key,
                         size_t key_len);
static bool hidden(const struct svc_cache *c, const char *ns);
static int put_selected(struct svc_cache *c, const struct kube_object *obj);
static int put_node(struct pod_map *map, const struct kube_object *node);
static void put_hints(struct svc_cache *c, const struct kube_object *slice);
static void expose_namespace(struct svc_cache *c, const char *ns, bool exposed);

struct svc_cache *svc_cache_new(void)
{
	struct svc_cache *c = calloc(1, sizeof(*c));
	int k;

	if (!c)
		return NULL;
	c->views = calloc(1, sizeof(*c->views));
	if (!c->views) {
		free(c);
		return NULL;
	}
	for (k = 0; k < KUBE_KIND_COUNT; k++) {
		c->by_kind[k] = bytemap_new();
		if (!c->by_kind[k]) {
			svc_cache_free(c);
			return NULL;
		}
	}
	c->endpoints_by_service = bytemap_new();
	c->slices_by_import = bytemap_new();
	c->ns_objects = bytemap_new();
	c->changed = bytemap_new();
	if (!c->endpoints_by_service || !c->slices_by_import || !c->ns_objects || !c->changed) {
		svc_cache_free(c);
		return NULL;
	}
	return c;
}

void svc_cache_free(struct svc_cache *c)
{
	int k;

	if (!c)
		return;
	for (k = 0; k < KUBE_KIND_COUNT; k++)
		bytemap_free(c->by_kind[k], free);
	bytemap_free(c->endpoints_by_service, free);
	bytemap_free(c->slices_by_import, free);
	bytemap_free(c->ns_objects, NULL);
	bytemap_free(c->changed, NULL);
	bytemap_free(c->only_ns, NULL);
	bytemap_free(c->exposed_ns, NULL);
	if (c->views) {
		for (k = 0; k < KUBE_KIND_COUNT; k++) {
			scratch_free(&c->views->get[k]);
			scratch_free(&c->views->each[k]);
		}
		scratch_free(&c->views->endpoints);
		scratch_free(&c->views->import_endpoints);
		scratch_free(&c->views->own);
		free(c->views);
	}
	free(c);
}

int svc_cache_put(struct svc_cache *c, struct kube_object *obj)
{
	char key[600];
	size_t len;
	void **slot;
	uint8_t *blob;
	bool exposure_changed = false;

	if (obj->kind == KUBE_KIND_UNKNOWN || obj->kind >= KUBE_KIND_COUNT) {
		kube_object_free(obj);
		return -1;
	}
	if (obj->kind == KUBE_KIND_NODE) {
		/* only its zone, for the pod map; no DNS data */
		int rc = c->pod_map ? put_node(c->pod_map, obj) : 0;
		kube_object_free(obj);
		return rc < 0 ? -1 : 1;
	}
	if (obj->kind == KUBE_KIND_POD && c->pod_map) {
		/* which pod a client is does not depend on what is exposed */
		int rc;
		if (c->keep_pods) {
			/* the addresses it had, should they have changed */
			const struct kube_object *old = svc_cache_get(c, KUBE_KIND_POD, obj->ns, obj->name);
			if (old)
				pod_map_remove(c->pod_map, old);
		}
		rc = pod_map_put(c->pod_map, obj);
		if (!c->keep_pods) {
			kube_object_free(obj);
			return rc < 0 ? -1 : 1; /* no DNS data changed */
		}
	}
	if (c->only_ns) {
		/* a Namespace object is of the namespace it names */
		const char *ns = obj->kind == KUBE_KIND_NAMESPACE ? obj->name : obj->ns;

		if (!ns || !bytemap_slot(c->only_ns, ns, strlen(ns), false)) {
			kube_object_free(obj);
			return 1;
		}
	}
	if (c->select_objects || c->select_namespaces) {
		uint64_t before = c->generation;
		int rc = put_selected(c, obj);
		if (rc != 2) {
			kube_object_free(obj);
			return rc;
		}
		exposure_changed = c->generation != before;
	}
	if (obj->kind == KUBE_KIND_ENDPOINTSLICE && c->zone_hints)
		put_hints(c, obj);
	blob = malloc(kube_blob_size(obj));
	if (blob)
		kube_blob_write(obj, blob);
	len = make_key(key, sizeof(key), obj->ns, obj->name);
	slot = blob && reserve_views(c, obj, blob, len) == 0
	               ? bytemap_slot(c->by_kind[obj->kind], key, len, true)
	               : NULL;
	if (!slot) {
		free(blob);
		kube_object_free(obj);
		return -1;
	}
	if (*slot && kube_blob_same(*slot, blob, kube_blob_size(obj))) {
		free(blob);
		kube_object_free(obj);
		return exposure_changed ? 0 : 1; /* a Namespace's labels are no part of its blob */
	}
	if (*slot)
		index_remove(c, *slot, key, len);
	free(*slot);
	*slot = blob;
	index_add(c, obj);
	kube_object_free(obj);
	c->generation++;
	return 0;
}

/* A slice's hints replace those of the version the cache holds (the
   blob keeps no zones: the old version's addresses are what goes). */
static void put_hints(struct svc_cache *c, const struct kube_object *slice)
{
	const struct kube_object *old =
		svc_cache_get(c, KUBE_KIND_ENDPOINTSLICE, slice->ns, slice->name);

	if (old)
		zone_hints_remove_slice(c->zone_hints, old);
	zone_hints_put_slice(c->zone_hints, slice); /* on failure, no preference */
}

/* svc_cache_remove without the pod map */
static int remove_stored(struct svc_cache *c, enum kube_kind kind, const char *ns,
                         const char *name)
{
	char key[600];
	size_t len = make_key(key, sizeof(key), ns, name);
	uint8_t *blob;

	if (kind >= KUBE_KIND_COUNT)
		return 0;
	if (kind == KUBE_KIND_ENDPOINTSLICE && c->zone_hints) {
		const struct kube_object *held = svc_cache_get(c, kind, ns, name);
		if (held)
			zone_hints_remove_slice(c->zone_hints, held);
	}
	blob = bytemap_remove(c->by_kind[kind], key, len);
	if (!blob)
		return 0;
	if (kind == KUBE_KIND_NAMESPACE && c->select_namespaces)
		expose_namespace(c, name, false);
	index_remove(c, blob, key, len);
	free(blob);
	c->generation++;
	return 1;
}

int svc_cache_remove(struct svc_cache *c, enum kube_kind kind, const char *ns,
                     const char *name)
{
	if (kind == KUBE_KIND_NODE) {
		if (c->pod_map)
			pod_map_put_node(c->pod_map, name, NULL);
		return 0;
	}
	if (kind == KUBE_KIND_POD && c->pod_map) {
		const struct kube_object *held;
		if (!c->keep_pods)
			return 0; /* the map has no names: see svc_cache_pod_map */
		/* by the addresses it had */
		if ((held = svc_cache_get(c, KUBE_KIND_POD, ns, name)))
			pod_map_remove(c->pod_map, held);
	}
	return remove_stored(c, kind, ns, name);
}

int svc_cache_delete(struct svc_cache *c, const struct kube_object *obj)
{
	if (obj->kind == KUBE_KIND_NODE)
		return svc_cache_remove(c, KUBE_KIND_NODE, "", obj->name);
	if (obj->kind == KUBE_KIND_POD && c->pod_map) {
		size_t gone = pod_map_remove(c->pod_map, obj);
		if (!c->keep_pods)
			return gone ? 1 : 0;
	}
	if (obj->kind >= KUBE_KIND_COUNT)
		return 0;
	return remove_stored(c, (enum kube_kind)obj->kind, obj->ns, obj->name);
}

void svc_cache_pod_map(struct svc_cache *c, struct pod_map *map, bool keep_pods)
{
	c->pod_map = map;
	c->keep_pods = keep_pods;
}

void svc_cache_zone_hints(struct svc_cache *c, struct zone_hints *hints)
{
	c->zone_hints = hints;
}

void svc_cache_list_begin(struct svc_cache *c, enum kube_kind kind)
{
	if (kind == KUBE_KIND_POD && c->pod_map)
		pod_map_list_begin(c->pod_map);
	if (kind == KUBE_KIND_NODE && c->pod_map)
		pod_map_nodes_list_begin(c->pod_map);
}

size_t svc_cache_list_end(struct svc_cache *c, enum kube_kind kind)
{
	size_t gone = 0;

	if (kind == KUBE_KIND_POD && c->pod_map) {
		gone = pod_map_list_end(c->pod_map);
		pod_map_set_synced(c->pod_map);
	}
	if (kind == KUBE_KIND_NODE && c->pod_map)
		pod_map_nodes_list_end(c->pod_map); /* no DNS data */
	return c->keep_pods || kind != KUBE_KIND_POD ? 0 : gone;
}

/* A Node's zone label (the current one, else the beta one older clusters
   still set). */
static int put_node(struct pod_map *map, const struct kube_object *node)
{
	const char *zone = labels_get(node->labels, node->labels_len, "topology.kubernetes.io/zone");

	if (!zone)
		zone = labels_get(node->labels, node->labels_len,
		                  "failure-domain.beta.kubernetes.io/zone");
	return pod_map_put_node(map, node->name, zone);
}

static int remove_each(void *ctx, const void *key, size_t len, void *value)
{
	index_remove(ctx, value, key, len);
	return 0;
}

void svc_cache_clear(struct svc_cache *c)
{
	int k;

	if (c->pod_map) {
		pod_map_list_begin(c->pod_map);
		pod_map_list_end(c->pod_map);
	}
	if (c->zone_hints)
		zone_hints_clear(c->zone_hints);
	for (k = 0; k < KUBE_KIND_COUNT; k++) {
		struct bytemap *fresh = bytemap_new();
		if (!fresh)
			continue; /* keep the old contents rather than lose the map */
		bytemap_foreach(c->by_kind[k], remove_each, c);
		bytemap_free(c->by_kind[k], free);
		c->by_kind[k] = fresh;
	}
	if (c->exposed_ns)
		bytemap_clear(c->exposed_ns, NULL);
	c->generation++;
}

const struct kube_object *svc_cache_get(const struct svc_cache *c,
                                        enum kube_kind kind, const char *ns,
                                        const char *name)
{
	char key[600];
	size_t len = make_key(key, sizeof(key), ns, name);
	void **slot;

	if (kind >= KUBE_KIND_COUNT)
		return NULL;
	slot = bytemap_slot(c->by_kind[kind], key, len, false);
	if (!slot || hidden(c, kind == KUBE_KIND_NAMESPACE ? name : ns))
		return NULL;
	return view(&c->views->get[kind], *slot, key, len);
}

size_t svc_cache_count(const struct svc_cache *c, enum kube_kind kind)
{
	return kind < KUBE_KIND_COUNT ? bytemap_count(c->by_kind[kind]) : 0;
}

struct visit_ctx {
	const struct svc_cache *c;
	svc_cache_visit_fn fn;
	void *ctx;
	struct scratch *scratch;
};

static int visit_one(void *ctx, const void *key, size_t len, void *value)
{
	struct visit_ctx *v = ctx;
	const struct kube_object *obj = view(v->scratch, value, key, len);

	if (!obj || hidden(v->c, obj->kind == KUBE_KIND_NAMESPACE ? obj->name : obj->ns))
		return 0;
	return v->fn(v->ctx, obj);
}

int svc_cache_foreach(const struct svc_cache *c, enum kube_kind kind,
                      svc_cache_visit_fn fn, void *ctx)
{
	struct visit_ctx v = {c, fn, ctx, NULL};

	if (kind >= KUBE_KIND_COUNT)
		return 0;
	v.scratch = &c->views->each[kind];
	return bytemap_foreach(c->by_kind[kind], visit_one, &v);
}

uint64_t svc_cache_generation(const struct svc_cache *c)
{
	return c->generation;
}

/* "ns/name" (cut to fit len, which no valid Kubernetes name reaches). */
static size_t make_key(char *buf, size_t len, const char *ns, const char *name)
{
	size_t a = ns ? strlen(ns) : 0, b = name ? strlen(name) : 0;

	if (a > len / 2 - 1)
		a = len / 2 - 1;
	if (b > len / 2 - 1)
		b = len / 2 - 1;
	memcpy(buf, ns ? ns : "", a);
	buf[a] = '/';
	memcpy(buf + a + 1, name ? name : "", b);
	buf[a + 1 + b] = '\0';
	return a + 1 + b;
}

/* Scratch bytes for a view of blob and its key ("ns/name"). */
static size_t view_size(const uint8_t *blob, size_t key_len)
{
	return ((key_len + 8) & ~(size_t)7) + ((kube_blob_view_size(blob) + 7) & ~(size_t)7);
}

/* Writes the view of blob, keyed key, at mem (view_size bytes): the key
   split into its namespace and name first (its size is known without
   walking the blob), then the object. */
static const struct kube_object *view_at(void *mem, const uint8_t *blob, const void *key,
                                         size_t key_len)
{
	char *ns = mem, *slash;

	memcpy(ns, key, key_len);
	ns[key_len] = '\0';
	slash = strchr(ns, '/'); /* make_key put it there */
	*slash = '\0';
	return kube_blob_view(blob, ns, slash + 1, ns + ((key_len + 8) & ~(size_t)7));
}

/* The view of blob in s, which grows to fit; NULL when it cannot. */
static const struct kube_object *view(struct scratch *s, const uint8_t *blob,
                                      const void *key, size_t key_len)
{
	void *mem = scratch_reserve(s, view_size(blob, key_len));

	return mem ? view_at(mem, blob, key, key_len) : NULL;
}

static void *scratch_reserve(struct scratch *s, size_t need)
{
	if (need > s->cap) {
		void *grown = realloc(s->mem, need);
		if (!grown)
			return NULL;
		s->mem = grown;
		s->cap = need;
	}
	return s->mem;
}

static void scratch_free(struct scratch *s)
{
	free(s->mem);
	s->mem = NULL;
	s->cap = 0;
}

/* ---- indexes and change tracking ---------------------------------------- */

static void mark_changed(struct svc_cache *c, const char *ns, const char *name)
{
	char key[600];
	size_t len = name ? make_key(key, sizeof(key), ns, name) : strlen(ns);

	if (!name && len < sizeof(key))
		memcpy(key, ns, len);

	if (len < sizeof(key))
		bytemap_slot(c->changed, key, len, true);
}

/* A pod is reported as (ns, "/" name): no service name starts with '/'. */
static void mark_pod_changed(struct svc_cache *c, const struct kube_object *obj)
{
	char name[300];

	snprintf(name, sizeof(name), "/%s", obj->name);
	mark_changed(c, obj->ns, name);
}

/* A ServiceImport as (ns, "+" name): no Kubernetes name holds a '+'. */
static void mark_import_changed(struct svc_cache *c, const char *ns, const char *import)
{
	char name[300];

	snprintf(name, sizeof(name), "+%s", import);
	mark_changed(c, ns, name);
}

/* Counts objects per namespace; a namespace appearing or vanishing is a
   change (its <ns>.svc name exists or not). */
static void count_namespace(struct svc_cache *c, const char *ns, int delta)
{
	void **slot = bytemap_slot(c->ns_objects, ns, strlen(ns), delta > 0);
	uintptr_t n;

	if (!slot)
		return;
	n = (uintptr_t)*slot;
	if (delta > 0) {
		if (n++ == 0)
			mark_changed(c, ns, NULL);
		*slot = (void *)n;
	} else if (n <= 1) {
		bytemap_remove(c->ns_objects, ns, strlen(ns));
		mark_changed(c, ns, NULL);
	} else {
		*slot = (void *)(n - 1);
	}
}

/* Bytes of set's first n names. */
static size_t names_span(const struct endpoint_names *set, uint32_t n)
{
	size_t at = 0;

	while (n--)
		at += strlen(set->names + at) + 1;
	return at;
}

/* Adds name to *set (created when NULL), among the slices or among the
   Endpoints. Returns -1 on allocation failure, *set unchanged. */
static int names_add(struct endpoint_names **set, bool slice, const char *name)
{
	size_t add = strlen(name) + 1, len = *set ? (*set)->len : 0;
	struct endpoint_names *grown = realloc(*set, sizeof(*grown) + len + add);
	size_t at;

	if (!grown)
		return -1;
	if (!*set)
		memset(grown, 0, sizeof(*grown));
	at = slice ? names_span(grown, grown->n_slices) : len;
	memmove(grown->names + at + add, grown->names + at, len - at);
	memcpy(grown->names + at, name, add);
	grown->len = (uint32_t)(len + add);
	if (slice)
		grown->n_slices++;
	else
		grown->n_endpoints++;
	*set = grown;
	return 0;
}

/* Drops name from the slices or from the Endpoints of set. */
static void names_drop(struct endpoint_names *set, bool slice, const char *name)
{
	uint32_t i, n = slice ? set->n_slices : set->n_endpoints;
	size_t at = slice ? 0 : names_span(set, set->n_slices);

	for (i = 0; i < n; i++) {
		size_t one = strlen(set->names + at) + 1;
		if (strcmp(set->names + at, name) == 0) {
			memmove(set->names + at, set->names + at + one, set->len - at - one);
			set->len -= (uint32_t)one;
			if (slice)
				set->n_slices--;
			else
				set->n_endpoints--;
			return;
		}
		at += one;
	}
}

/* Files slice (or Endpoints) obj under owner ns/owner in map. */
static void slice_index_add(struct bytemap *map, const struct kube_object *obj,
                            const char *owner)
{
	char key[600];
	size_t len = make_key(key, sizeof(key), obj->ns, owner);
	void **slot = bytemap_slot(map, key, len, true);
	struct endpoint_names *set;

	if (!slot)
		return;
	set = *slot;
	/* out of memory: the service just lacks these endpoints */
	if (names_add(&set, obj->kind == KUBE_KIND_ENDPOINTSLICE, obj->name) < 0 && !set)
		bytemap_remove(map, key, len);
	else
		*slot = set;
}

/* Undoes slice_index_add. Returns whether the owner had it filed. */
static bool slice_index_drop(struct bytemap *map, const struct kube_object *obj,
                             const char *owner)
{
	char key[600];
	size_t len = make_key(key, sizeof(key), obj->ns, owner);
	void **slot = bytemap_slot(map, key, len, false);
	struct endpoint_names *set;

	if (!slot)
		return false;
	set = *slot;
	names_drop(set, obj->kind == KUBE_KIND_ENDPOINTSLICE, obj->name);
	if (set->n_slices == 0 && set->n_endpoints == 0)
		free(bytemap_remove(map, key, len));
	return true;
}

static void index_add(struct svc_cache *c, const struct kube_object *obj)
{
	const char *ns_name = obj->kind == KUBE_KIND_NAMESPACE ? obj->name : obj->ns;

	count_namespace(c, ns_name, +1);
	if (obj->kind == KUBE_KIND_SERVICE) {
		mark_changed(c, obj->ns, obj->name);
	} else if (obj->kind == KUBE_KIND_SERVICEIMPORT) {
		mark_import_changed(c, obj->ns, obj->name);
	} else if (obj->kind == KUBE_KIND_POD) {
		mark_pod_changed(c, obj);
	} else if (obj->kind == KUBE_KIND_ENDPOINTSLICE || obj->kind == KUBE_KIND_ENDPOINTS) {
		const char *svc = obj->u.slice.service_name, *import = obj->u.slice.import_name;

		if (svc[0]) {
			slice_index_add(c->endpoints_by_service, obj, svc);
			mark_changed(c, obj->ns, svc);
		}
		if (import) {
			slice_index_add(c->slices_by_import, obj, import);
			mark_import_changed(c, obj->ns, import);
		}
	}
}

/* Drops the object blob, keyed key, from the indexes. */
static void index_remove(struct svc_cache *c, const uint8_t *blob, const void *key,
                         size_t key_len)
{
	const struct kube_object *obj = view(&c->views->own, blob, key, key_len);
	const char *ns_name;

	if (!obj)
		return; /* out of memory: the indexes keep a stale entry */
	ns_name = obj->kind == KUBE_KIND_NAMESPACE ? obj->name : obj->ns;

	if (obj->kind == KUBE_KIND_SERVICE) {
		mark_changed(c, obj->ns, obj->name);
	} else if (obj->kind == KUBE_KIND_SERVICEIMPORT) {
		mark_import_changed(c, obj->ns, obj->name);
	} else if (obj->kind == KUBE_KIND_POD) {
		mark_pod_changed(c, obj);
	} else if (obj->kind == KUBE_KIND_ENDPOINTSLICE || obj->kind == KUBE_KIND_ENDPOINTS) {
		const char *svc = obj->u.slice.service_name, *import = obj->u.slice.import_name;

		if (svc[0] && slice_index_drop(c->endpoints_by_service, obj, svc))
			mark_changed(c, obj->ns, svc);
		if (import && slice_index_drop(c->slices_by_import, obj, import))
			mark_import_changed(c, obj->ns, import);
	}
	count_namespace(c, ns_name, -1);
}

/* Scratch bytes for views of the n names from first (objects of kind in
   ns, one after another), their array included. */
static size_t views_need(const struct svc_cache *c, enum kube_kind kind, const char *ns,
                         const char *first, size_t n)
{
	size_t need = n * sizeof(void *), i, len;
	const char *one;
	char key[600];
	void **slot;

	for (i = 0, one = first; i < n; i++, one += strlen(one) + 1) {
		len = make_key(key, sizeof(key), ns, one);
		slot = bytemap_slot(c->by_kind[kind], key, len, false);
		if (slot)
			need += view_size(*slot, len);
	}
	return need;
}

/* Grows every scratch a view of blob (obj's, keyed key_len bytes) may be
   decoded into, before it is stored: reading what the cache holds then
   never fails for want of memory, which would look like a missing object
   and drop its answers. Returns 0, or -1 on allocation failure. */
static int reserve_views(struct svc_cache *c, const struct kube_object *obj,
                         const uint8_t *blob, size_t key_len)
{
	struct views *v = c->views;
	size_t need = view_size(blob, key_len);
	const struct endpoint_names *set = NULL;
	void **slot;

	if (!scratch_reserve(&v->get[obj->kind], need) ||
	    !scratch_reserve(&v->each[obj->kind], need) || !scratch_reserve(&v->own, need))
		return -1;
	if (obj->kind != KUBE_KIND_ENDPOINTSLICE && obj->kind != KUBE_KIND_ENDPOINTS)
		return 0;
	/* All of its service's slices and Endpoints with it, at most what
	   svc_cache_endpoints_of can need afterwards. */
	if (obj->u.slice.service_name && obj->u.slice.service_name[0]) {
		char key[600];
		size_t len = make_key(key, sizeof(key), obj->ns, obj->u.slice.service_name);

		slot = bytemap_slot(c->endpoints_by_service, key, len, false);
		set = slot ? *slot : NULL;
	}
	need += sizeof(void *);
	if (set) {
		const char *endpoints = set->names + names_span(set, set->n_slices);
		need += views_need(c, KUBE_KIND_ENDPOINTSLICE, obj->ns, set->names, set->n_slices);
		need += views_need(c, KUBE_KIND_ENDPOINTS, obj->ns, endpoints, set->n_endpoints);
	}
	if (!scratch_reserve(&v->endpoints, need))
		return -1;
	if (!obj->u.slice.import_name)
		return 0;
	/* The same for svc_cache_import_slices. */
	{
		char key[600];
		size_t len = make_key(key, sizeof(key), obj->ns, obj->u.slice.import_name);

		slot = bytemap_slot(c->slices_by_import, key, len, false);
		set = slot ? *slot : NULL;
		need = view_size(blob, key_len) + sizeof(void *);
		if (set)
			need += views_need(c, KUBE_KIND_ENDPOINTSLICE, obj->ns, set->names,
			                   set->n_slices);
		return scratch_reserve(&v->import_endpoints, need) ? 0 : -1;
	}
}

/* Views of the n objects of kind named from first (in ns) in scratch s,
   as svc_cache_endpoints_of hands them out. */
static size_t views_of(const struct svc_cache *c, struct scratch *s, enum kube_kind kind,
                       const char *ns, const char *first, size_t n,
                       const struct kube_object *const **out);

size_t svc_cache_endpoints_of(const struct svc_cache *c, const char *ns,
                              const char *name, const struct kube_object *const **out)
{
	char key[600];
	size_t len = make_key(key, sizeof(key), ns, name);
	void **slot = bytemap_slot(c->endpoints_by_service, key, len, false);
	const struct endpoint_names *set = slot ? *slot : NULL;
	/* Endpoints count only for a service that has no EndpointSlice. */
	enum kube_kind kind = set && set->n_slices ? KUBE_KIND_ENDPOINTSLICE : KUBE_KIND_ENDPOINTS;
	const char *first = !set ? NULL : set->n_slices ? set->names
	                                : set->names + names_span(set, set->n_slices);
	size_t n = set ? (set->n_slices ? set->n_slices : set->n_endpoints) : 0;

	return views_of(c, &c->views->endpoints, kind, ns, first, n, out);
}

size_t svc_cache_import_slices(const struct svc_cache *c, const char *ns, const char *name,
                               const struct kube_object *const **out)
{
	char key[600];
	size_t len = make_key(key, sizeof(key), ns, name);
	void **slot = bytemap_slot(c->slices_by_import, key, len, false);
	const struct endpoint_names *set = slot ? *slot : NULL;

	return views_of(c, &c->views->import_endpoints, KUBE_KIND_ENDPOINTSLICE, ns,
	                set ? set->names : NULL, set ? set->n_slices : 0, out);
}

static size_t views_of(const struct svc_cache *c, struct scratch *s, enum kube_kind kind,
                       const char *ns, const char *first, size_t n,
                       const struct kube_object *const **out)
{
	char key[600];
	size_t len;
	void **slot;
	const struct kube_object **objs;
	const char *one;
	size_t i, at;
	uint8_t *mem;

	*out = NULL;
	if (hidden(c, ns))
		return 0;
	/* The array of views first, then the views, all in one scratch
	   (grown by svc_cache_put to fit: this cannot fail). */
	mem = n ? scratch_reserve(s, views_need(c, kind, ns, first, n)) : NULL;
	if (!mem)
		return 0;
	objs = (const struct kube_object **)(void *)mem;
	at = n * sizeof(*objs);
	for (i = 0, one = first; i < n; i++, one += strlen(one) + 1) {
		len = make_key(key, sizeof(key), ns, one);
		slot = bytemap_slot(c->by_kind[kind], key, len, false);
		if (!slot)
			return 0; /* indexed but not stored: cannot happen */
		objs[i] = view_at(mem + at, *slot, key, len);
		at += view_size(*slot, len);
	}
	*out = objs;
	return n;
}

int svc_cache_only_namespaces(struct svc_cache *c, const char *const *names, size_t n)
{
	size_t i;

	if (!c->only_ns && !(c->only_ns = bytemap_new()))
		return -1;
	for (i = 0; i < n; i++) {
		void **slot = bytemap_slot(c->only_ns, names[i], strlen(names[i]), true);
		if (!slot)
			return -1;
		*slot = (void *)1;
	}
	return 0;
}

bool svc_cache_namespace_exists(const struct svc_cache *c, const char *ns)
{
	return !hidden(c, ns) && bytemap_slot(c->ns_objects, ns, strlen(ns), false) != NULL;
}

/* ---- label selectors ------------------------------------------------------ */

void svc_cache_select(struct svc_cache *c, const struct label_selector *services,
                      const struct label_selector *namespaces)
{
	c->select_objects = services;
	c->select_namespaces = namespaces;
	if (namespaces && !c->exposed_ns)
		c->exposed_ns = bytemap_new(); /* NULL: every namespace hidden */
}

/* A namespace whose objects lookups do not see (--namespace-labels). */
static bool hidden(const struct svc_cache *c, const char *ns)
{
	return c->select_namespaces &&
	       (!c->exposed_ns || !bytemap_get(c->exposed_ns, ns, strlen(ns)));
}

/* The selectors' part of svc_cache_put: 2 to go on storing obj, else what
   put returns. */
static int put_selected(struct svc_cache *c, const struct kube_object *obj)
{
	const char *labels = obj->labels ? obj->labels : "";

	switch (obj->kind) {
	case KUBE_KIND_SERVICE:
	case KUBE_KIND_ENDPOINTSLICE:
	case KUBE_KIND_ENDPOINTS:
	case KUBE_KIND_POD: /* --pods verified: CoreDNS lists pods with the selector too */
		if (!c->select_objects ||
		    label_selector_matches(c->select_objects, labels, obj->labels_len))
			return 2;
		/* Its labels no longer match: gone, as the API's watch says with
		   a DELETED event. */
		return svc_cache_remove(c, (enum kube_kind)obj->kind, obj->ns, obj->name) ? 0 : 1;
	case KUBE_KIND_NAMESPACE:
		if (c->select_namespaces)
			expose_namespace(c, obj->name,
			                 label_selector_matches(c->select_namespaces, labels,
			                                        obj->labels_len));
		return 2;
	default:
		return 2;
	}
}

struct reveal_ctx {
	struct svc_cache *c;
	const char *ns;
	size_t ns_len;
	bool pods;
};

static int mark_in_namespace(void *ctx, const void *key, size_t len, void *value)
{
	struct reveal_ctx *r = ctx;
	char name[300];

	(void)value;
	if (len <= r->ns_len + 1 || memcmp(key, r->ns, r->ns_len) != 0 ||
	    ((const char *)key)[r->ns_len] != '/' || len - r->ns_len - 1 >= sizeof(name) - 1)
		return 0;
	if (r->pods) {
		name[0] = '/';
		memcpy(name + 1, (const char *)key + r->ns_len + 1, len - r->ns_len - 1);
		name[len - r->ns_len] = '\0';
	} else {
		memcpy(name, (const char *)key + r->ns_len + 1, len - r->ns_len - 1);
		name[len - r->ns_len - 1] = '\0';
	}
	mark_changed(r->c, r->ns, name);
	return 0;
}

/* ns starts or stops matching --namespace-labels: each of its services
   and pods answers differently now. */
static void expose_namespace(struct svc_cache *c, const char *ns, bool exposed)
{
	struct reveal_ctx r = {c, ns, strlen(ns), false};
	bool was = c->exposed_ns && bytemap_get(c->exposed_ns, ns, r.ns_len);
	void **slot;

	if (was == exposed || !c->exposed_ns)
		return;
	if (exposed) {
		slot = bytemap_slot(c->exposed_ns, ns, r.ns_len, true);
		if (!slot)
			return; /* out of memory: it stays hidden */
		*slot = (void *)1;
	} else {
		bytemap_remove(c->exposed_ns, ns, r.ns_len);
	}
	bytemap_foreach(c->by_kind[KUBE_KIND_SERVICE], mark_in_namespace, &r);
	r.pods = true;
	bytemap_foreach(c->by_kind[KUBE_KIND_POD], mark_in_namespace, &r);
	mark_changed(c, ns, NULL);
	c->generation++;
}

struct drain_ctx {
	svc_cache_change_fn fn;
	void *ctx;
};

static int drain_one(void *ctx, const void *key, size_t len, void *value)
{
	struct drain_ctx *d = ctx;
	char buf[600];
	char *slash;

	(void)value;
	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, key, len);
	buf[len] = '\0';
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		d->fn(d->ctx, buf, slash + 1);
	} else {
		d->fn(d->ctx, buf, NULL);
	}
	return 0;
}

void svc_cache_drain_changes(struct svc_cache *c, svc_cache_change_fn fn, void *ctx)
{
	struct drain_ctx d = {fn, ctx};
	struct bytemap *fresh = bytemap_new();

	if (!fresh)
		return; /* try again at the next drain */
	bytemap_foreach(c->changed, drain_one, &d);
	bytemap_free(c->changed, NULL);
	c->changed = fresh;
}
