/* kube_blob.h - the compact form the cache keeps objects in: one byte
 * string per object, no pointers, no padding, no allocation per string or
 * array, counts as varints, IPv4 addresses in 4 bytes, a cluster IP's text
 * and a target pod's name left out when they repeat what is already there.
 * A cached Service takes ~50 bytes this way, against ~176 as a packed
 * struct kube_object; at 100k Services that is most of svcdns's memory.
 *
 * A blob leaves out the object's namespace and name (its owner keys it by
 * them) and its resourceVersion (no reader of the cache needs it).
 *
 * A view decodes a blob back into a struct kube_object (subsets chained as
 * before, resource_version NULL): its strings point into the blob or at
 * the ns and name given, its structs and arrays are laid out in scratch
 * memory the caller provides. A view is read-only and never freed; it is
 * valid while the blob, the scratch and those two strings are.
 *
 * Blobs are written and read only here, so reading trusts them. */
#ifndef SVCDNS_KUBE_BLOB_H
#define SVCDNS_KUBE_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube_object.h"

/* Bytes of obj's blob, its subsets included. */
size_t kube_blob_size(const struct kube_object *obj);

/* Writes obj's blob (kube_blob_size(obj) bytes) to out. */
void kube_blob_write(const struct kube_object *obj, uint8_t *out);

/* Whether the blob stored holds the same bytes as fresh (fresh_len
   bytes): the same object, resourceVersion aside. Stored is read only up
   to its first difference from fresh, so its length need not be known:
   a blob is decoded without it, so no blob is the start of another. */
bool kube_blob_same(const uint8_t *stored, const uint8_t *fresh, size_t fresh_len);

/* Scratch bytes a view of blob takes. */
size_t kube_blob_view_size(const uint8_t *blob);

/* Decodes blob, the object ns/name, into scratch (kube_blob_view_size
   bytes, aligned for a pointer) and returns the object, which lives in
   scratch. */
const struct kube_object *kube_blob_view(const uint8_t *blob, const char *ns,
                                         const char *name, void *scratch);

#endif
