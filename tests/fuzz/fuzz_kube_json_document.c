/* fuzz_kube_json_document.c - kube_json_parse_document on arbitrary bytes:
 * no crash, no leak (every delivered object is freed), an error message
 * whenever it fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kube_json.h"
#include "kube_object.h"
#include "log.h"

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
	size_t n = 0;

	err[0] = '\0';
	if (kube_json_parse_document((const char *)data, size, on_object, &n, err,
	                             sizeof(err)) < 0)
		FUZZ_ASSERT(err[0] != '\0' && memchr(err, '\0', sizeof(err)));
	return 0;
}

static void on_object(void *ctx, enum kube_json_event ev,
                      struct kube_object *obj, const char *message)
{
	(void)message;
	FUZZ_ASSERT(ev == KUBE_EV_OBJECT);
	if (obj) {
		FUZZ_ASSERT(obj->kind > KUBE_KIND_UNKNOWN && obj->kind < KUBE_KIND_COUNT);
		FUZZ_ASSERT(obj->name && obj->ns);
		(void)strlen(kube_kind_name((enum kube_kind)obj->kind));
		kube_object_free(obj);
	}
	(*(size_t *)ctx)++;
}
