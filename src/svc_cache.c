/* svc_cache.c - objects by kind, keyed "namespace/name". */
#include "svc_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytemap.h"

/* The endpoint objects naming one service. */
struct endpoint_set {
	const struct kube_object **slices;    /* EndpointSlices */
	size_t n_slices, cap_slices;
	const struct kube_object **endpoints; /* v1 Endpoints */
	size_t n_endpoints, cap_endpoints;
};

struct svc_cache {
	struct bytemap *by_kind[KUBE_KIND_COUNT];
	struct bytemap *endpoints_by_service; /* "ns/svc" -> struct endpoint_set */
	struct bytemap *ns_objects;           /* "ns" -> object count (uintptr_t) */
	struct bytemap *changed;              /* "ns/svc" or "ns" -> NULL */
	uint64_t generation;
};

static size_t make_key(char *buf, size_t len, const char *ns, const char *name);
static void free_object(void *obj);
static void index_add(struct svc_cache *c, const struct kube_object *obj);
static void index_remove(struct svc_cache *c, const struct kube_object *obj);
static void free_endpoint_set(void *v);

struct svc_cache *svc_cache_new(void)
{
	struct svc_cache *c = calloc(1, sizeof(*c));
	int k;

	if (!c)
		return NULL;
	for (k = 0; k < KUBE_KIND_COUNT; k++) {
		c->by_kind[k] = bytemap_new();
		if (!c->by_kind[k]) {
			svc_cache_free(c);
			return NULL;
		}
	}
	c->endpoints_by_service = bytemap_new();
	c->ns_objects = bytemap_new();
	c->changed = bytemap_new();
	if (!c->endpoints_by_service || !c->ns_objects || !c->changed) {
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
		bytemap_free(c->by_kind[k], free_object);
	bytemap_free(c->endpoints_by_service, free_endpoint_set);
	bytemap_free(c->ns_objects, NULL);
	bytemap_free(c->changed, NULL);
	free(c);
}

int svc_cache_put(struct svc_cache *c, struct kube_object *obj)
{
	char key[600];
	size_t len;
	void **slot;

	if (obj->kind == KUBE_KIND_UNKNOWN || obj->kind >= KUBE_KIND_COUNT) {
		kube_object_free(obj);
		return -1;
	}
	len = make_key(key, sizeof(key), obj->ns, obj->name);
	slot = bytemap_slot(c->by_kind[obj->kind], key, len, true);
	if (!slot) {
		kube_object_free(obj);
		return -1;
	}
	if (*slot)
		index_remove(c, *slot);
	kube_object_free(*slot);
	*slot = obj;
	index_add(c, obj);
	c->generation++;
	return 0;
}

int svc_cache_remove(struct svc_cache *c, enum kube_kind kind, const char *ns,
                     const char *name)
{
	char key[600];
	size_t len = make_key(key, sizeof(key), ns, name);
	struct kube_object *obj;

	if (kind >= KUBE_KIND_COUNT)
		return 0;
	obj = bytemap_remove(c->by_kind[kind], key, len);
	if (!obj)
		return 0;
	index_remove(c, obj);
	kube_object_free(obj);
	c->generation++;
	return 1;
}

static int remove_each(void *ctx, const void *key, size_t len, void *value)
{
	(void)key;
	(void)len;
	index_remove(ctx, value);
	return 0;
}

void svc_cache_clear(struct svc_cache *c)
{
	int k;

	for (k = 0; k < KUBE_KIND_COUNT; k++) {
		struct bytemap *fresh = bytemap_new();
		if (!fresh)
			continue; /* keep the old contents rather than lose the map */
		bytemap_foreach(c->by_kind[k], remove_each, c);
		bytemap_free(c->by_kind[k], free_object);
		c->by_kind[k] = fresh;
	}
	c->generation++;
}

struct kube_object *svc_cache_get(const struct svc_cache *c, enum kube_kind kind,
                                  const char *ns, const char *name)
{
	char key[600];
	size_t len = make_key(key, sizeof(key), ns, name);
	void **slot;

	if (kind >= KUBE_KIND_COUNT)
		return NULL;
	slot = bytemap_slot(c->by_kind[kind], key, len, false);
	return slot ? *slot : NULL;
}

size_t svc_cache_count(const struct svc_cache *c, enum kube_kind kind)
{
	return kind < KUBE_KIND_COUNT ? bytemap_count(c->by_kind[kind]) : 0;
}

struct visit_ctx {
	svc_cache_visit_fn fn;
	void *ctx;
};

static int visit_one(void *ctx, const void *key, size_t len, void *value)
{
	struct visit_ctx *v = ctx;

	(void)key;
	(void)len;
	return v->fn(v->ctx, value);
}

int svc_cache_foreach(const struct svc_cache *c, enum kube_kind kind,
                      svc_cache_visit_fn fn, void *ctx)
{
	struct visit_ctx v = {fn, ctx};

	if (kind >= KUBE_KIND_COUNT)
		return 0;
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

static void free_object(void *obj)
{
	kube_object_free(obj);
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

static int ptr_push(const struct kube_object ***arr, size_t *n, size_t *cap,
                    const struct kube_object *obj)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 2;
		const struct kube_object **grown = realloc(*arr, ncap * sizeof(*grown));
		if (!grown)
			return -1;
		*arr = grown;
		*cap = ncap;
	}
	(*arr)[(*n)++] = obj;
	return 0;
}

static void ptr_drop(const struct kube_object **arr, size_t *n,
                     const struct kube_object *obj)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (arr[i] == obj) {
			arr[i] = arr[--*n];
			return;
		}
}

static void index_add(struct svc_cache *c, const struct kube_object *obj)
{
	const char *ns_name = obj->kind == KUBE_KIND_NAMESPACE ? obj->name : obj->ns;

	count_namespace(c, ns_name, +1);
	if (obj->kind == KUBE_KIND_SERVICE) {
		mark_changed(c, obj->ns, obj->name);
	} else if (obj->kind == KUBE_KIND_POD) {
		mark_pod_changed(c, obj);
	} else if (obj->kind == KUBE_KIND_ENDPOINTSLICE || obj->kind == KUBE_KIND_ENDPOINTS) {
		const char *svc = obj->u.slice.service_name;
		char key[600];
		size_t len;
		void **slot;
		struct endpoint_set *set;
		int rc;

		if (!svc[0])
			return;
		len = make_key(key, sizeof(key), obj->ns, svc);
		slot = bytemap_slot(c->endpoints_by_service, key, len, true);
		if (!slot)
			return;
		if (!*slot && !(*slot = calloc(1, sizeof(struct endpoint_set)))) {
			bytemap_remove(c->endpoints_by_service, key, len);
			return;
		}
		set = *slot;
		if (obj->kind == KUBE_KIND_ENDPOINTSLICE)
			rc = ptr_push(&set->slices, &set->n_slices, &set->cap_slices, obj);
		else
			rc = ptr_push(&set->endpoints, &set->n_endpoints, &set->cap_endpoints, obj);
		(void)rc; /* out of memory: the service just lacks these endpoints */
		mark_changed(c, obj->ns, svc);
	}
}

static void index_remove(struct svc_cache *c, const struct kube_object *obj)
{
	const char *ns_name = obj->kind == KUBE_KIND_NAMESPACE ? obj->name : obj->ns;

	if (obj->kind == KUBE_KIND_SERVICE) {
		mark_changed(c, obj->ns, obj->name);
	} else if (obj->kind == KUBE_KIND_POD) {
		mark_pod_changed(c, obj);
	} else if (obj->kind == KUBE_KIND_ENDPOINTSLICE || obj->kind == KUBE_KIND_ENDPOINTS) {
		const char *svc = obj->u.slice.service_name;
		char key[600];
		size_t len = make_key(key, sizeof(key), obj->ns, svc);
		void **slot = svc[0] ? bytemap_slot(c->endpoints_by_service, key, len, false)
		                     : NULL;

		if (slot) {
			struct endpoint_set *set = *slot;
			if (obj->kind == KUBE_KIND_ENDPOINTSLICE)
				ptr_drop(set->slices, &set->n_slices, obj);
			else
				ptr_drop(set->endpoints, &set->n_endpoints, obj);
			if (set->n_slices == 0 && set->n_endpoints == 0)
				free_endpoint_set(bytemap_remove(c->endpoints_by_service, key, len));
			mark_changed(c, obj->ns, svc);
		}
	}
	count_namespace(c, ns_name, -1);
}

static void free_endpoint_set(void *v)
{
	struct endpoint_set *set = v;

	if (!set)
		return;
	free(set->slices);
	free(set->endpoints);
	free(set);
}

size_t svc_cache_endpoints_of(const struct svc_cache *c, const char *ns,
                              const char *name, const struct kube_object *const **out)
{
	char key[600];
	size_t len = make_key(key, sizeof(key), ns, name);
	void **slot = bytemap_slot(c->endpoints_by_service, key, len, false);
	const struct endpoint_set *set = slot ? *slot : NULL;

	*out = NULL;
	if (!set)
		return 0;
	/* Endpoints count only for a service that has no EndpointSlice. */
	if (set->n_slices) {
		*out = set->slices;
		return set->n_slices;
	}
	*out = set->endpoints;
	return set->n_endpoints;
}

bool svc_cache_namespace_exists(const struct svc_cache *c, const char *ns)
{
	return bytemap_slot(c->ns_objects, ns, strlen(ns), false) != NULL;
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
