/* zone_hints.c - the zones each service's endpoints are meant for
 * (zone_hints.h). */
#include "zone_hints.h"
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <urcu.h>
#include <urcu/rculfhash.h>
#include "bytemap.h"
#include "kube_object.h"
#include "pod_map.h"
#include "rcu_thread.h"

/* More zones than a region has; a longer hints list keeps its first. */
#define ZONES_MAX 16

struct entry {
	struct cds_lfht_node node;
	struct rcu_head rcu;
	uint64_t service;
	uint8_t addr[16];
	uint8_t len;     /* 4 or 16 */
	uint8_t n_zones;
	bool hinted;     /* zones from hints.forZones, not the zone field */
	uint32_t zones[]; /* pod_map_zone_id */
};

struct zone_hints {
	struct cds_lfht *ht;
};

struct key {
	uint64_t service;
	const uint8_t *addr;
	size_t len;
};

static unsigned long key_hash(const struct key *k)
{
	uint64_t h = k->service ^ bytemap_hash(k->addr, k->len);

	h *= 0x9E3779B97F4A7C15ULL;
	return (unsigned long)(h ^ (h >> 29));
}

static int match_key(struct cds_lfht_node *node, const void *arg)
{
	const struct entry *e = caa_container_of(node, struct entry, node);
	const struct key *k = arg;

	return e->service == k->service && e->len == k->len &&
	       memcmp(e->addr, k->addr, k->len) == 0;
}

static void free_entry_rcu(struct rcu_head *head)
{
	free(caa_container_of(head, struct entry, rcu));
}

struct zone_hints *zone_hints_new(void)
{
	struct zone_hints *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->ht = cds_lfht_new(1024, 1024, 0, CDS_LFHT_AUTO_RESIZE, NULL);
	if (!h->ht) {
		free(h);
		return NULL;
	}
	return h;
}

void zone_hints_free(struct zone_hints *h)
{
	if (!h)
		return;
	zone_hints_clear(h);
	rcu_barrier(); /* the entries waiting for their grace period */
	cds_lfht_destroy(h->ht, NULL);
	free(h);
}

void zone_hints_clear(struct zone_hints *h)
{
	struct cds_lfht_iter iter;
	struct entry *e;

	thread_rcu_register();
	rcu_read_lock();
	cds_lfht_for_each_entry(h->ht, &iter, e, node) {
		if (cds_lfht_del(h->ht, &e->node) == 0)
			call_rcu(&e->rcu, free_entry_rcu);
	}
	rcu_read_unlock();
}

/* name as a lower-case wire label into out (64 bytes). false when it
   cannot be one. */
static bool wire_label(const char *name, uint8_t *out)
{
	size_t len = name ? strlen(name) : 0, i;

	if (!len || len > 63)
		return false;
	out[0] = (uint8_t)len;
	for (i = 0; i < len; i++)
		out[1 + i] = (uint8_t)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
	return true;
}

/* The service key of a slice: its service's name and namespace as the
   wire labels a query's name holds. false when they cannot be labels. */
static bool slice_service(const struct kube_object *slice, uint64_t *out)
{
	uint8_t svc[64], ns[64];

	if (!wire_label(slice->u.slice.service_name, svc) || !wire_label(slice->ns, ns))
		return false;
	*out = zone_hints_service(svc, ns);
	return true;
}

/* The zones an endpoint is meant for: its hints (*hinted), else its own
   zone. */
static size_t endpoint_zones(const struct kube_endpoint *ep, uint32_t *zones, bool *hinted)
{
	const char *p = ep->for_zones && ep->for_zones[0] ? ep->for_zones : ep->zone;
	size_t n = 0;

	*hinted = p == ep->for_zones;
	while (p && *p && n < ZONES_MAX) {
		size_t len = strcspn(p, ",");
		if (len)
			zones[n++] = pod_map_zone_id(p, len);
		p += len;
		if (*p == ',')
			p++;
	}
	return n;
}

static void remove_key(struct zone_hints *h, const struct key *k)
{
	struct cds_lfht_iter iter;
	struct cds_lfht_node *node;

	cds_lfht_lookup(h->ht, key_hash(k), match_key, k, &iter);
	node = cds_lfht_iter_get_node(&iter);
	if (node && cds_lfht_del(h->ht, node) == 0) {
		call_rcu(&caa_container_of(node, struct entry, node)->rcu, free_entry_rcu);
	}
}

static int put_key(struct zone_hints *h, const struct key *k, const uint32_t *zones,
                   size_t n_zones, bool hinted)
{
	struct entry *e = malloc(sizeof(*e) + n_zones * sizeof(*zones));
	struct cds_lfht_node *old;

	if (!e)
		return -1;
	cds_lfht_node_init(&e->node);
	e->service = k->service;
	memset(e->addr, 0, sizeof(e->addr));
	memcpy(e->addr, k->addr, k->len);
	e->len = (uint8_t)k->len;
	e->n_zones = (uint8_t)n_zones;
	e->hinted = hinted;
	memcpy(e->zones, zones, n_zones * sizeof(*zones));
	old = cds_lfht_add_replace(h->ht, key_hash(k), match_key, k, &e->node);
	if (old)
		call_rcu(&caa_container_of(old, struct entry, node)->rcu, free_entry_rcu);
	return 0;
}

/* Puts (zones given) or removes (zones NULL) every address of slice. */
static int apply_slice(struct zone_hints *h, const struct kube_object *slice, bool put)
{
	struct key k;
	size_t i, j;
	int rc = 0;

	if (slice->kind != KUBE_KIND_ENDPOINTSLICE || !slice_service(slice, &k.service))
		return 0;
	thread_rcu_register();
	rcu_read_lock();
	for (i = 0; i < slice->u.slice.n_endpoints; i++) {
		const struct kube_endpoint *ep = &slice->u.slice.endpoints[i];
		uint32_t zones[ZONES_MAX];
		bool hinted = false;
		size_t n_zones = put ? endpoint_zones(ep, zones, &hinted) : 0;

		for (j = 0; j < ep->n_addrs; j++) {
			k.addr = ep->addrs[j].bytes;
			k.len = ep->addrs[j].family == AF_INET ? 4 : 16;
			if (n_zones)
				rc |= put_key(h, &k, zones, n_zones, hinted);
			else
				remove_key(h, &k);
		}
	}
	rcu_read_unlock();
	return rc ? -1 : 0;
}

int zone_hints_put_slice(struct zone_hints *h, const struct kube_object *slice)
{
	return apply_slice(h, slice, true);
}

void zone_hints_remove_slice(struct zone_hints *h, const struct kube_object *slice)
{
	apply_slice(h, slice, false);
}

uint64_t zone_hints_service(const uint8_t *svc_label, const uint8_t *ns_label)
{
	uint64_t a = bytemap_hash(svc_label, 1 + (size_t)svc_label[0]);
	uint64_t b = bytemap_hash(ns_label, 1 + (size_t)ns_label[0]);

	return a << 32 | b;
}

int zone_hints_prefers(const struct zone_hints *h, uint64_t service, const uint8_t *addr,
                       size_t len, uint32_t zone, bool *hinted)
{
	struct key k = {service, addr, len};
	struct cds_lfht_iter iter;
	struct cds_lfht_node *node;
	const struct entry *e;
	size_t i;

	if (!h)
		return -1;
	cds_lfht_lookup(h->ht, key_hash(&k), match_key, &k, &iter);
	if (!(node = cds_lfht_iter_get_node(&iter)))
		return -1;
	e = caa_container_of(node, struct entry, node);
	*hinted = e->hinted;
	for (i = 0; i < e->n_zones; i++)
		if (e->zones[i] == zone)
			return 1;
	return 0;
}
