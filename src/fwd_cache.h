/* fwd_cache.h - the cache of forwarded answers, one for every query
 * thread: a name cached (or found missing, or kept stale) by one thread is
 * answered the same way by all, whatever port a client's query came from.
 *
 * Keyed by (lower-case name, type, DO/CD bits) as the forwarder builds it.
 * A hit takes no lock: liburcu's lock-free hash table, read inside an RCU
 * read-side section. Stores (an upstream's reply) take one mutex, for the
 * CLOCK ring that bounds the cache: each entry has a slot in the ring and
 * a bit a hit sets; a new entry takes the first slot whose entry was not
 * hit since the hand last passed, so popular names stay.
 *
 * Ownership: the cache owns copies of the replies; fwd_cache_get copies
 * into the caller's buffer. Every thread that calls in must be registered
 * with RCU. fwd_cache_free only after those threads are gone. */
#ifndef SVCDNS_FWD_CACHE_H
#define SVCDNS_FWD_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct dnsmsg;
struct fwd_cache;

/* A cache of at most max_entries replies (0: nothing is cached). NULL on
   allocation failure. */
struct fwd_cache *fwd_cache_new(size_t max_entries);
void fwd_cache_free(struct fwd_cache *c);

/* Stores msg (len bytes, the upstream's reply without OPT, parsed as m)
   for ttl seconds from now (0: not stored), replacing the key's entry.
   The entry's TTLs are capped at ttl. */
void fwd_cache_put(struct fwd_cache *c, const uint8_t *key, size_t key_len,
                   const uint8_t *msg, size_t len, const struct dnsmsg *m, uint32_t ttl,
                   time_t now);

/* The key's reply copied into out (DNS_MAX_MSG bytes), ID 0 and AA set,
   with its TTLs counted down to now, or all set to ttl_override when that
   is not 0. Only an entry still fresh at now, or with stale_for, one that
   expired at most stale_for seconds ago. Returns its length, 0 when there
   is none. With refresh (may be NULL): set, for the first caller only,
   when a fresh entry of 10 s or more is in the last tenth of its TTL
   (the caller fetches it again: prefetch). */
size_t fwd_cache_get(struct fwd_cache *c, const uint8_t *key, size_t key_len, time_t now,
                     uint32_t stale_for, uint32_t ttl_override, uint8_t *out, bool *refresh);

/* Whether a reply is a denial (NXDOMAIN, or NOERROR with no answer):
   CoreDNS's cache counts those apart ("denial", the others "success"). */
bool fwd_cache_is_denial(const uint8_t *msg);

/* Entries held (fresh and expired), of them denials, and entries evicted
   to make room. */
size_t fwd_cache_count(const struct fwd_cache *c);
size_t fwd_cache_denials(const struct fwd_cache *c);
uint64_t fwd_cache_evictions(const struct fwd_cache *c);

#endif
