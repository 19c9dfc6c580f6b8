/* svc_cache.c - objects by kind, keyed "namespace/name". */
#include "svc_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytemap.h"

struct svc_cache {
	struct bytemap *by_kind[KUBE_KIND_COUNT];
	uint64_t generation;
};

static size_t make_key(char *buf, size_t len, const char *ns, const char *name);
static void free_object(void *obj);

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
	return c;
}

void svc_cache_free(struct svc_cache *c)
{
	int k;

	if (!c)
		return;
	for (k = 0; k < KUBE_KIND_COUNT; k++)
		bytemap_free(c->by_kind[k], free_object);
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
	kube_object_free(*slot);
	*slot = obj;
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
	kube_object_free(obj);
	c->generation++;
	return 1;
}

void svc_cache_clear(struct svc_cache *c)
{
	int k;

	for (k = 0; k < KUBE_KIND_COUNT; k++) {
		struct bytemap *fresh = bytemap_new();
		if (!fresh)
			continue; /* keep the old contents rather than lose the map */
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

static size_t make_key(char *buf, size_t len, const char *ns, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", ns ? ns : "", name ? name : "");

	return n < 0 ? 0 : ((size_t)n < len ? (size_t)n : len - 1);
}

static void free_object(void *obj)
{
	kube_object_free(obj);
}
