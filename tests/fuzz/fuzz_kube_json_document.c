/* fuzz_kube_json_document.c - kube_json_parse_document on arbitrary bytes:
 * no crash, no leak (every delivered object is freed), an error message
 * whenever it fails; and every object it delivers comes back from the
 * cache's compact form (kube_blob) as it went in, but a Node, which the
 * cache does not keep (only a pod map takes its zone). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kube_json.h"
#include "kube_object.h"
#include "log.h"
#include "svc_cache.h"

struct fuzz_ctx {
	size_t n;
	struct svc_cache *cache;
};

static void on_object(void *ctx, enum kube_json_event ev,
                      struct kube_object *obj, const char *message);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz_kube_json_document", LOG_LEVEL_ERROR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct fuzz_ctx ctx = {0, svc_cache_new()};

	FUZZ_ASSERT(ctx.cache != NULL);
	err[0] = '\0';
	if (kube_json_parse_document((const char *)data, size, on_object, &ctx, err,
	                             sizeof(err)) < 0)
		FUZZ_ASSERT(err[0] != '\0' && memchr(err, '\0', sizeof(err)));
	svc_cache_free(ctx.cache);
	return 0;
}

static void on_object(void *ctx, enum kube_json_event ev,
                      struct kube_object *obj, const char *message)
{
	struct fuzz_ctx *f = ctx;

	(void)message;
	FUZZ_ASSERT(ev == KUBE_EV_OBJECT);
	if (obj) {
		struct kube_object *copy = kube_object_clone(obj);
		const struct kube_object *back;

		FUZZ_ASSERT(obj->kind > KUBE_KIND_UNKNOWN && obj->kind < KUBE_KIND_COUNT);
		FUZZ_ASSERT(obj->name && obj->ns);
		(void)strlen(kube_kind_name((enum kube_kind)obj->kind));
		FUZZ_ASSERT(copy != NULL && kube_object_equal(copy, obj));
		/* 1: a document may name the same object twice */
		FUZZ_ASSERT(svc_cache_put(f->cache, copy) >= 0);
		back = svc_cache_get(f->cache, (enum kube_kind)obj->kind, obj->ns, obj->name);
		if (obj->kind == KUBE_KIND_NODE) /* only its zone, for a pod map */
			FUZZ_ASSERT(back == NULL);
		else
			FUZZ_ASSERT(back != NULL && kube_object_equal(back, obj));
		kube_object_free(obj);
	}
	f->n++;
}
