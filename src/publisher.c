/* publisher.c - rebuilds the answer table when the cache changed, and
 * publishes it (publisher.h). */
#include "publisher.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include "answer_table.h"
#include "kube_object.h"
#include "log.h"
#include "records.h"
#include "svc_cache.h"
#include "zone_sync.h"

struct publisher {
	struct svc_cache *cache;
	const struct records_config *rcfg;
	struct answer_slot *slot;
	struct zone_sync *sync; /* made on the first rebuild */
	struct event *rebuild;
	uint32_t serial;
	bool change_pending;    /* a source changed; not yet published */
	struct timespec change_since;
	struct metrics_latency programming;
	uint64_t publishes, failures;
};

static void on_rebuild(evutil_socket_t fd, short what, void *arg);
static double seconds_between(const struct timespec *a, const struct timespec *b);

struct publisher *publisher_new(struct event_base *base, struct svc_cache *cache,
                                const struct records_config *rcfg,
                                struct answer_slot *slot, char *err, size_t errlen)
{
	struct publisher *p = calloc(1, sizeof(*p));

	if (p)
		p->rebuild = event_new(base, -1, 0, on_rebuild, p);
	if (!p || !p->rebuild) {
		snprintf(err, errlen, "out of memory");
		publisher_free(p);
		return NULL;
	}
	p->cache = cache;
	p->rcfg = rcfg;
	p->slot = slot;
	return p;
}

void publisher_free(struct publisher *p)
{
	if (!p)
		return;
	if (p->rebuild)
		event_free(p->rebuild);
	answer_table_unpublish(p->slot);
	zone_sync_free(p->sync);
	free(p);
}

void publisher_changed(void *ctx)
{
	struct publisher *p = ctx;

	if (!p->change_pending) {
		clock_gettime(CLOCK_MONOTONIC, &p->change_since);
		p->change_pending = true;
	}
	event_active(p->rebuild, 0, 0);
}

static void on_rebuild(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	publisher_run(arg);
}

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* The first rebuild says what was loaded; the others are debug. */
static void log_rebuild(const struct publisher *p, long services, double ms)
{
	const struct answer_table *t = zone_sync_table(p->sync);
	char imports[48] = "";

	if (p->publishes > 1) {
		log_debug("applied changes of %ld services in %.3f ms (serial %u)", services, ms,
		          p->serial);
		return;
	}
	if (p->rcfg->n_multicluster)
		snprintf(imports, sizeof(imports), ", %zu ServiceImports",
		         svc_cache_count(p->cache, KUBE_KIND_SERVICEIMPORT));
	log_info("loaded %zu services%s: %zu names (%zu KiB of answers) in %.1f ms (serial %u)",
	         svc_cache_count(p->cache, KUBE_KIND_SERVICE), imports, answer_table_entries(t),
	         answer_table_bytes(t) / 1024, ms, p->serial);
}

int publisher_run(struct publisher *p)
{
	char err[256];
	struct timespec t0, t1;
	uint32_t now = (uint32_t)time(NULL);
	long services;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!p->sync) {
		p->sync = zone_sync_new(p->rcfg, err, sizeof(err));
		if (!p->sync) {
			log_error("%s", err);
			p->failures++;
			return -1;
		}
	}
	p->serial = now > p->serial ? now : p->serial + 1;
	/* Only what changed is rebuilt, name by name, in the live table. */
	services = zone_sync_apply(p->sync, p->cache, p->serial, err, sizeof(err));
	if (services < 0) {
		log_error("%s (the rest keeps serving)", err);
		p->failures++;
		return -1;
	}
	if (!answer_table_published(p->slot))
		answer_table_publish(p->slot, zone_sync_table(p->sync));
	/* Parsing a large list leaves much freed memory in malloc's arenas;
	   hand it back to the system after big changes. */
	if (services > 1000)
		malloc_trim(0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	p->publishes++;
	if (p->change_pending) {
		metrics_latency_observe(&p->programming, seconds_between(&p->change_since, &t1));
		p->change_pending = false;
	}
	log_rebuild(p, services, seconds_between(&t0, &t1) * 1e3);
	return 0;
}

void publisher_stats(const struct publisher *p, struct publisher_stats *s)
{
	s->publishes = p ? p->publishes : 0;
	s->failures = p ? p->failures : 0;
	s->programming = p ? &p->programming : NULL;
}
