/* fwd_flights.c - questions in flight across threads (fwd_flights.h). */
#include "fwd_flights.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bytemap.h"

/* One key's asking: who asks, who waits (each forwarder once). */
struct flight {
	void *owner;
	void **waiting;
	size_t n, cap;
};

struct fwd_flights {
	pthread_mutex_t lock;
	struct bytemap *keys; /* key -> struct flight */
};

struct fwd_flights *fwd_flights_new(void)
{
	struct fwd_flights *fl = calloc(1, sizeof(*fl));

	if (!fl)
		return NULL;
	fl->keys = bytemap_new();
	if (!fl->keys || pthread_mutex_init(&fl->lock, NULL) != 0) {
		bytemap_free(fl->keys, NULL);
		free(fl);
		return NULL;
	}
	return fl;
}

static void flight_free(void *v)
{
	struct flight *fg = v;

	free(fg->waiting);
	free(fg);
}

void fwd_flights_free(struct fwd_flights *fl)
{
	if (!fl)
		return;
	bytemap_free(fl->keys, flight_free);
	pthread_mutex_destroy(&fl->lock);
	free(fl);
}

bool fwd_flights_join(struct fwd_flights *fl, const uint8_t *key, size_t len, void *me)
{
	void **slot;
	struct flight *fg;
	bool owner = true;
	size_t i;

	pthread_mutex_lock(&fl->lock);
	slot = bytemap_slot(fl->keys, key, len, true);
	if (!slot)
		goto out; /* out of memory: ask alone */
	fg = *slot;
	if (!fg) {
		fg = calloc(1, sizeof(*fg));
		if (!fg) {
			bytemap_remove(fl->keys, key, len);
			goto out;
		}
		fg->owner = me;
		*slot = fg;
		goto out;
	}
	if (fg->owner == me)
		goto out; /* its own request ended without telling: ask again */
	for (i = 0; i < fg->n; i++)
		if (fg->waiting[i] == me)
			break;
	if (i == fg->n) {
		if (fg->n == fg->cap) {
			size_t cap = fg->cap ? fg->cap * 2 : 4;
			void **w = realloc(fg->waiting, cap * sizeof(*w));
			if (!w)
				goto out;
			fg->waiting = w;
			fg->cap = cap;
		}
		fg->waiting[fg->n++] = me;
	}
	owner = false;
out:
	pthread_mutex_unlock(&fl->lock);
	return owner;
}

void fwd_flights_end(struct fwd_flights *fl, const uint8_t *key, size_t len, void *me,
                     bool failed, fwd_flights_wake_fn wake)
{
	struct flight *fg = NULL;
	void **slot;
	size_t i;

	pthread_mutex_lock(&fl->lock);
	slot = bytemap_slot(fl->keys, key, len, false);
	if (slot && ((struct flight *)*slot)->owner == me)
		fg = bytemap_remove(fl->keys, key, len);
	pthread_mutex_unlock(&fl->lock);
	if (!fg)
		return;
	for (i = 0; i < fg->n; i++)
		wake(fg->waiting[i], key, len, failed);
	flight_free(fg);
}
