/* bytemap.h - a hash map from byte strings (up to 65,535 bytes) to
 * pointers. Not thread-safe: each map has one user (the writer, or one
 * query thread's forwarder), or is read only (bytemap_get) once built.
 *
 * Ownership: keys are copied into the map; values are the caller's, handed
 * to the free_value function given to bytemap_free() (which may be NULL). */
#ifndef SVCDNS_BYTEMAP_H
#define SVCDNS_BYTEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bytemap;

/* 32-bit hash of len bytes (also used by the answer table). */
uint32_t bytemap_hash(const void *key, size_t len);

struct bytemap *bytemap_new(void); /* NULL on allocation failure */
void bytemap_free(struct bytemap *m, void (*free_value)(void *));

/* Removes every entry (values to free_value, which may be NULL). A large
   table shrinks back to the initial size. */
void bytemap_clear(struct bytemap *m, void (*free_value)(void *));

/* Pointer to the value slot for key; with create, a missing key is added
   with value NULL. Returns NULL when absent (or on allocation failure with
   create, or a key longer than 65,535 bytes). The slot is valid until the
   next insertion or removal. */
void **bytemap_slot(struct bytemap *m, const void *key, size_t len, bool create);

/* The value of key, or NULL when absent. Only reads: threads may look up
   a map nobody writes to any more. */
void *bytemap_get(const struct bytemap *m, const void *key, size_t len);

/* Removes key; returns its value, or NULL when absent. */
void *bytemap_remove(struct bytemap *m, const void *key, size_t len);

size_t bytemap_count(const struct bytemap *m);

/* Calls fn for every entry (fn must not change m); stops when fn returns
   non-zero and returns it. */
int bytemap_foreach(const struct bytemap *m,
                    int (*fn)(void *ctx, const void *key, size_t len, void *value),
                    void *ctx);

#endif
