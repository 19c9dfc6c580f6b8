/* label_selector.h - Kubernetes label selectors in their string form
 * ("environment in (staging, qa),app=nginx,!canary,tier!=db"), as kubectl
 * -l and the API's labelSelector parameter take them: parsed once,
 * matched against an object's labels. For CoreDNS's `labels` and
 * `namespace_labels`: the API filters what it sends with the same text,
 * and a --dir source is filtered here.
 *
 * Ownership: a selector owns copies of its keys and values;
 * label_selector_free releases it. Matching reads the labels given only
 * while it runs. */
#ifndef SVCDNS_LABEL_SELECTOR_H
#define SVCDNS_LABEL_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

struct label_selector;

/* Parses text: requirements separated by commas, each "key", "!key",
   "key=value", "key==value", "key!=value", "key in (v1,v2)",
   "key notin (v1,v2)", "key>N" or "key<N". The empty text selects
   everything. NULL on a syntax error (err says where) or allocation
   failure. */
struct label_selector *label_selector_parse(const char *text, char *err, size_t errlen);
void label_selector_free(struct label_selector *s);

/* Whether labels (n pairs "key\0value\0" in len bytes, as kube_object
   holds them) satisfy every requirement of s. */
bool label_selector_matches(const struct label_selector *s, const char *labels, size_t len);

/* The value of key in labels ("key\0value\0" pairs, len bytes, as
   kube_object's), or NULL. */
const char *labels_get(const char *labels, size_t len, const char *key);

#endif
