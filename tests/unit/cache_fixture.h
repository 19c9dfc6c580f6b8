/* cache_fixture.h - what the unit tests that load JSON into a cache share:
 * a kube_json callback that puts every object (and fails the test on any
 * message) and the records config of a plain cluster.local. Include after
 * <cmocka.h>; static inline, so a test that uses one of them only does
 * not warn about the other. */
#ifndef SVCDNS_TEST_CACHE_FIXTURE_H
#define SVCDNS_TEST_CACHE_FIXTURE_H

#include <string.h>

#include "kube_json.h"
#include "records.h"
#include "svc_cache.h"

/* kube_json callback: ctx is a struct svc_cache. */
static inline void cache_put_cb(void *ctx, enum kube_json_event ev, struct kube_object *obj,
                                const char *message)
{
	(void)ev;
	if (message)
		fail_msg("unexpected message: %s", message);
	if (obj) /* 1: the same data again, as a test may load twice */
		assert_in_range(svc_cache_put(ctx, obj), 0, 1);
}

/* Zone cluster.local, TTL 5, everything else off. */
static inline void cluster_config(struct records_config *cfg)
{
	static const char *const zones[] = {"cluster.local"};

	memset(cfg, 0, sizeof(*cfg));
	cfg->zones = zones;
	cfg->n_zones = 1;
	cfg->ttl = 5;
}

#endif
