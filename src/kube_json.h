/* kube_json.h - incremental yajl parser turning Kubernetes JSON into
 * kube_objects: whole documents (a List, a *List, or one object, as kubectl
 * and the API server print them) and watch streams (concatenated
 * {"type":..., "object":...} events), fed in chunks split anywhere.
 *
 * Ownership: every kube_object handed to the callback belongs to the
 * callback, which must kube_object_free() it or keep it. */
#ifndef SVCDNS_KUBE_JSON_H
#define SVCDNS_KUBE_JSON_H

#include <stddef.h>

struct kube_object;
struct kube_json;

enum kube_json_mode {
	KUBE_JSON_DOCUMENT, /* one value: List, *List or a single object */
	KUBE_JSON_WATCH     /* any number of watch event objects */
};

enum kube_json_event {
	KUBE_EV_OBJECT,   /* document mode: one item of the document */
	KUBE_EV_ADDED,
	KUBE_EV_MODIFIED,
	KUBE_EV_DELETED,
	KUBE_EV_BOOKMARK, /* obj carries only resource_version */
	/* The BOOKMARK annotated k8s.io/initial-events-end that ends the
	   initial ADDED events of a WatchList (sendInitialEvents=true);
	   obj carries only resource_version. */
	KUBE_EV_INITIAL_EVENTS_END,
	KUBE_EV_ERROR     /* obj NULL; message holds the Status message */
};

/* Called once per object or event. obj may be NULL (ERROR events, or an
   object of a kind svcdns does not keep, which is skipped silently). For a
   list document, resource_version is the list's metadata.resourceVersion
   (NULL until known) and continue_token its metadata.continue; both are
   only reliable in the final call of kube_json_finish. message: for
   KUBE_EV_ERROR the Status message, else a reason the item was skipped
   (malformed object), else NULL. */
typedef void (*kube_json_cb)(void *ctx, enum kube_json_event ev,
                             struct kube_object *obj, const char *message);

/* Returns NULL on allocation failure. */
struct kube_json *kube_json_new(enum kube_json_mode mode, kube_json_cb cb,
                                void *ctx);
void kube_json_free(struct kube_json *p);

/* Feeds a chunk. Returns 0, or -1 on a syntax error: then err (of errlen
   bytes) says "line N: <reason>" and the parser accepts nothing more. */
int kube_json_feed(struct kube_json *p, const char *buf, size_t len,
                   char *err, size_t errlen);

/* Ends the input: -1 with err set if it ended inside a value. In document
   mode, items that had no "kind" are typed here from the list's kind and
   delivered, so every OBJECT callback of a list happens at or before this. */
int kube_json_finish(struct kube_json *p, char *err, size_t errlen);

/* Kind given to objects that carry none (watch streams and lists of one
   resource omit it). Default: none (such objects are typed from a list's
   kind, or skipped). */
void kube_json_set_default_kind(struct kube_json *p, int kind);

/* metadata.resourceVersion and metadata.continue of a list document, valid
   after kube_json_finish; NULL when absent. Owned by the parser. */
const char *kube_json_list_version(const struct kube_json *p);
const char *kube_json_list_continue(const struct kube_json *p);

/* Watch mode: the metadata.resourceVersion of the last event delivered,
   even one whose object was skipped as malformed (so a client can move
   past it); NULL if none had one. Owned by the parser. */
const char *kube_json_last_version(const struct kube_json *p);

/* Watch mode: the Status "code" of the last ERROR event (410 for "too old
   resource version"), or 0 if it had none. */
int kube_json_last_error_code(const struct kube_json *p);

/* Convenience: parses a whole buffer in document mode. */
int kube_json_parse_document(const char *buf, size_t len, kube_json_cb cb,
                             void *ctx, char *err, size_t errlen);

#endif
