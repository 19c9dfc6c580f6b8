/* fwd_flights.h - the questions on their way upstream, across query
 * threads: a thread about to ask upstream what another thread is asking
 * already parks its clients instead, and is woken when that asking ends
 * (the answer then in the shared cache, or every upstream failed). One
 * upstream query for a name however many threads ask it at once.
 *
 * Ownership: the registry holds copies of the keys and opaque pointers to
 * the threads' forwarders (never dereferenced here); every forwarder that
 * joins must outlive the registry's use of it (the query threads stop
 * together). Thread-safe: one mutex, held only to look up and update. */
#ifndef SVCDNS_FWD_FLIGHTS_H
#define SVCDNS_FWD_FLIGHTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fwd_flights;

struct fwd_flights *fwd_flights_new(void); /* NULL on allocation failure */
void fwd_flights_free(struct fwd_flights *fl);

/* Whether me (a forwarder) now owns key and asks upstream (true), or
   another one does and me is to be woken when it ends (false). Out of
   memory: true (me asks itself). */
bool fwd_flights_join(struct fwd_flights *fl, const uint8_t *key, size_t len, void *me);

/* Called for each forwarder that waited on key, after the lock is
   released. */
typedef void (*fwd_flights_wake_fn)(void *waiter, const uint8_t *key, size_t len, bool failed);

/* The asking for key by me (its owner: else nothing happens) ended
   (failed: every upstream failed); each waiting forwarder is told, once. */
void fwd_flights_end(struct fwd_flights *fl, const uint8_t *key, size_t len, void *me,
                     bool failed, fwd_flights_wake_fn wake);

#endif
