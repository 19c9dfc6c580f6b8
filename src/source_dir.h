/* source_dir.h - the directory source: every *.json file in a directory,
 * loaded into a svc_cache, re-read when a file changes (mtime poll on a
 * libevent timer). A file that fails to parse is reported and the objects
 * it gave before stay in the cache.
 *
 * Ownership: the source borrows the cache and the event_base; both must
 * outlive it. */
#ifndef SVCDNS_SOURCE_DIR_H
#define SVCDNS_SOURCE_DIR_H

#include <stddef.h>

struct event_base;
struct svc_cache;
struct source_dir;

/* Called after the cache changed because of a reload. */
typedef void (*source_dir_changed_fn)(void *ctx);

/* NULL on allocation failure. path is copied. */
struct source_dir *source_dir_new(const char *path, struct svc_cache *cache);
void source_dir_free(struct source_dir *s);

/* Scans the directory and applies changed, new and removed files to the
   cache. Bad files are logged (file name and reason) and keep their old
   objects. Returns 1 if the cache changed, 0 if not, -1 if the directory
   cannot be read (err says why; the cache is untouched). */
int source_dir_scan(struct source_dir *s, char *err, size_t errlen);

/* Number of files whose last read failed to parse. */
size_t source_dir_bad_files(const struct source_dir *s);

/* Polls the directory every interval_ms on base; calls changed after each
   scan that changed the cache. Returns 0, or -1 if the timer fails. */
int source_dir_watch(struct source_dir *s, struct event_base *base,
                     unsigned interval_ms, source_dir_changed_fn changed,
                     void *ctx);

#endif
