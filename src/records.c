/* records.c - the Kubernetes DNS-Based Service Discovery specification
 * (v1.1.0) in CoreDNS's shapes: every name the cache implies, with its
 * records. */
#include "records.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "bytemap.h"
#include "dname.h"
#include "kube_object.h"
#include "svc_cache.h"

#define SOA_REFRESH 7200
#define SOA_RETRY 1800
#define SOA_EXPIRE 86400
#define TXT_TTL 28800

struct name_node {
	struct records_name pub;
	struct record *recs;
	size_t cap;
};

/* Names and rdata of a set come from chunks freed all at once: a set is
   filled, read and dropped (or cleared for reuse) as a whole. */
struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	uint8_t data[];
};

struct records_set {
	struct arena_chunk *arena;
	struct records_zone *zones;
	size_t n_zones;
	struct bytemap *by_name; /* wire name -> struct name_node */
	/* (node, type, rdata) of every record of names with more than
	   DEDUP_LINEAR records: duplicates found without a scan */
	struct bytemap *rr_index;
	struct records_name **names; /* sorted view, built at the end */
	size_t n_names;
	const struct records_config *cfg;
	bool failed;
};

/* One ready address of a service, with the label it is published under
   (and, of a ServiceImport, the cluster it is in: the label after it, ""
   when its slice names none). */
struct ep_addr {
	const struct kube_ip *ip;
	char label[64];
	const char *cluster;
	const struct kube_endpointslice *slice;
};

/* Up to this many records a name checks for duplicates by scanning them. */
#define DEDUP_LINEAR 16
/* Longer rdata (none of the records this file makes) is always scanned. */
#define RDATA_INDEX_MAX 512

static struct name_node *node(struct records_set *set, const uint8_t *owner,
                              size_t len, int zone);
static void add_rr(struct records_set *set, const uint8_t *owner, size_t len,
                   int zone, uint16_t type, uint32_t ttl, const uint8_t *rdata,
                   size_t rdlen);
static void free_node(void *v);
static void *arena_alloc(struct records_set *set, size_t n);
static void arena_release(struct records_set *set, bool keep_first);
static int add_service_zone(struct records_set *set, const struct svc_cache *cache,
                            size_t zone, const struct kube_object *obj);
static int finish_names(struct records_set *set);
static void add_address(struct records_set *set, const uint8_t *owner, size_t len,
                        int zone, const struct kube_ip *ip);

struct build_ctx {
	struct records_set *set;
	const struct svc_cache *cache;
};

struct records_set *records_new(const struct records_config *cfg, uint32_t serial,
                                char *err, size_t errlen)
{
	struct records_set *set = calloc(1, sizeof(*set));
	size_t z;

	if (!set) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	set->cfg = cfg;
	set->n_zones = cfg->n_zones + 2;
	set->zones = calloc(set->n_zones, sizeof(*set->zones));
	set->by_name = bytemap_new();
	set->rr_index = bytemap_new();
	if (!set->zones || !set->by_name || !set->rr_index) {
		snprintf(err, errlen, "out of memory");
		records_set_free(set);
		return NULL;
	}
	for (z = 0; z < cfg->n_zones; z++) {
		size_t len = dname_from_text(cfg->zones[z], set->zones[z].name);
		if (len < 2) {
			snprintf(err, errlen, "invalid zone name '%s'", cfg->zones[z]);
			records_set_free(set);
			return NULL;
		}
		set->zones[z].name_len = (uint8_t)len;
		set->zones[z].kind = RECORDS_ZONE_CLUSTER;
		set->zones[z].multicluster = z > 0 && z >= cfg->n_zones - cfg->n_multicluster;
	}
	memcpy(set->zones[z].name, "\x07in-addr\x04" "arpa", 14);
	set->zones[z].name_len = 14;
	set->zones[z].kind = RECORDS_ZONE_REVERSE;
	z++;
	memcpy(set->zones[z].name, "\x03ip6\x04" "arpa", 10);
	set->zones[z].name_len = 10;
	set->zones[z].kind = RECORDS_ZONE_REVERSE;

	/* SOA of every zone; the reverse zones borrow the primary zone's names. */
	for (z = 0; z < set->n_zones; z++) {
		struct records_zone *zone = &set->zones[z];
		const struct records_zone *named =
			zone->kind == RECORDS_ZONE_CLUSTER ? zone : &set->zones[0];
		uint8_t rdata[2 * DNAME_MAX + 20], *p = rdata;
		struct dname_buf b;
		size_t n;
		uint32_t times[5] = {serial, SOA_REFRESH, SOA_RETRY, SOA_EXPIRE, cfg->ttl};
		int i;

		dname_buf_init(&b);
		dname_buf_label(&b, "ns", 2);
		dname_buf_label(&b, "dns", 3);
		n = dname_buf_finish(&b, named->name, named->name_len);
		memcpy(p, b.wire, n);
		p += n;
		dname_buf_init(&b);
		dname_buf_label(&b, "hostmaster", 10);
		n = dname_buf_finish(&b, named->name, named->name_len);
		memcpy(p, b.wire, n);
		p += n;
		for (i = 0; i < 5; i++) {
			p[0] = (uint8_t)(times[i] >> 24);
			p[1] = (uint8_t)(times[i] >> 16);
			p[2] = (uint8_t)(times[i] >> 8);
			p[3] = (uint8_t)times[i];
			p += 4;
		}
		zone->soa.type = RR_TYPE_SOA;
		zone->soa.ttl = cfg->ttl < 300 ? cfg->ttl : 300;
		zone->soa.rdlen = (uint16_t)(p - rdata);
		zone->soa.rdata = malloc(zone->soa.rdlen);
		if (!zone->soa.rdata) {
			snprintf(err, errlen, "out of memory");
			records_set_free(set);
			return NULL;
		}
		memcpy((uint8_t *)zone->soa.rdata, rdata, zone->soa.rdlen);
	}
	return set;
}

void records_add_apex(struct records_set *set)
{
	const struct records_config *cfg = set->cfg;
	size_t z;

	for (z = 0; z < cfg->n_zones && !set->failed; z++) {
		struct records_zone *zone = &set->zones[z];
		struct dname_buf b;
		uint8_t name[DNAME_MAX];
		size_t n, i;
		uint8_t txt[6] = {5, '1', '.', '1', '.', '0'};

		add_rr(set, zone->name, zone->name_len, (int)z, RR_TYPE_SOA,
		       zone->soa.ttl, zone->soa.rdata, zone->soa.rdlen);
		dname_buf_init(&b);
		dname_buf_label(&b, "ns", 2);
		dname_buf_label(&b, "dns", 3);
		n = dname_buf_finish(&b, zone->name, zone->name_len);
		memcpy(name, b.wire, n);
		add_rr(set, zone->name, zone->name_len, (int)z, RR_TYPE_NS, cfg->ttl,
		       name, n);
		node(set, name, n, (int)z);
		for (i = 0; i < cfg->n_ns_addrs; i++) {
			const struct kube_ip *ip = &cfg->ns_addrs[i];
			add_rr(set, name, n, (int)z,
			       ip->family == AF_INET ? RR_TYPE_A : RR_TYPE_AAAA, cfg->ttl,
			       ip->bytes, ip->family == AF_INET ? 4 : 16);
		}
		dname_buf_init(&b);
		dname_buf_label(&b, "dns-version", 11);
		n = dname_buf_finish(&b, zone->name, zone->name_len);
		add_rr(set, b.wire, n, (int)z, RR_TYPE_TXT, TXT_TTL, txt, sizeof(txt));
		dname_buf_init(&b);
		dname_buf_label(&b, "svc", 3);
		node(set, b.wire, dname_buf_finish(&b, zone->name, zone->name_len), (int)z);
		dname_buf_init(&b);
		dname_buf_label(&b, "pod", 3);
		node(set, b.wire, dname_buf_finish(&b, zone->name, zone->name_len), (int)z);
	}
}

void records_add_service(struct records_set *set, const struct svc_cache *cache,
                         const struct kube_object *svc)
{
	size_t z;

	for (z = 0; z < set->cfg->n_zones && !set->failed; z++)
		if (!set->zones[z].multicluster)
			add_service_zone(set, cache, z, svc);
}

void records_add_service_import(struct records_set *set, const struct svc_cache *cache,
                                const struct kube_object *import)
{
	size_t z;

	for (z = 0; z < set->cfg->n_zones && !set->failed; z++)
		if (set->zones[z].multicluster)
			add_service_zone(set, cache, z, import);
}

void records_add_pod(struct records_set *set, const struct kube_object *pod)
{
	size_t z, i;

	/* Finished pods keep their IP in status but no longer own it. */
	if (pod->u.pod.phase && (strcmp(pod->u.pod.phase, "Succeeded") == 0 ||
	                         strcmp(pod->u.pod.phase, "Failed") == 0))
		return;
	for (z = 0; z < set->cfg->n_zones && !set->failed; z++) {
		const struct records_zone *zone = &set->zones[z];
		for (i = 0; i < pod->u.pod.n_ips; i++) {
			const struct kube_ip *ip = &pod->u.pod.ips[i];
			char label[64];
			size_t k, len;
			struct dname_buf b;

			kube_ip_format(ip, label, sizeof(label));
			for (k = 0; label[k]; k++)
				if (label[k] == '.' || label[k] == ':')
					label[k] = '-';
			dname_buf_init(&b);
			dname_buf_label(&b, label, strlen(label));
			dname_buf_label(&b, pod->ns, strlen(pod->ns));
			dname_buf_label(&b, "pod", 3);
			len = dname_buf_finish(&b, zone->name, zone->name_len);
			if (len)
				add_address(set, b.wire, len, (int)z, ip);
		}
	}
}

void records_add_namespace(struct records_set *set, const char *ns)
{
	size_t z;

	for (z = 0; z < set->cfg->n_zones && !set->failed; z++) {
		const struct records_zone *zone = &set->zones[z];
		struct dname_buf b;
		size_t len;

		dname_buf_init(&b);
		dname_buf_label(&b, ns, strlen(ns));
		dname_buf_label(&b, "svc", 3);
		len = dname_buf_finish(&b, zone->name, zone->name_len);
		if (len)
			node(set, b.wire, len, (int)z);
	}
}

void records_add_record(struct records_set *set, const uint8_t *owner, size_t len,
                        int zone, uint16_t type, uint32_t ttl, const uint8_t *rdata,
                        size_t rdlen)
{
	if (rdata)
		add_rr(set, owner, len, zone, type, ttl, rdata, rdlen);
	else
		node(set, owner, len, zone);
}

int records_finish(struct records_set *set)
{
	return finish_names(set);
}

int records_clear(struct records_set *set)
{
	bytemap_clear(set->by_name, free_node);
	bytemap_clear(set->rr_index, NULL);
	arena_release(set, true);
	free(set->names);
	set->names = NULL;
	set->n_names = 0;
	set->failed = false;
	return 0;
}

bool records_failed(const struct records_set *set)
{
	return set->failed;
}

static int build_service(void *ctx, const struct kube_object *obj)
{
	struct build_ctx *bc = ctx;

	records_add_service(bc->set, bc->cache, obj);
	return bc->set->failed ? 1 : 0;
}

static int build_service_import(void *ctx, const struct kube_object *obj)
{
	struct build_ctx *bc = ctx;

	records_add_service_import(bc->set, bc->cache, obj);
	return bc->set->failed ? 1 : 0;
}

static int build_pod(void *ctx, const struct kube_object *obj)
{
	struct build_ctx *bc = ctx;

	records_add_pod(bc->set, obj);
	return bc->set->failed ? 1 : 0;
}

static int build_namespace(void *ctx, const struct kube_object *obj)
{
	struct build_ctx *bc = ctx;

	/* Any object makes its namespace exist (<ns>.svc.<zone> is NODATA). */
	records_add_namespace(bc->set, obj->kind == KUBE_KIND_NAMESPACE ? obj->name : obj->ns);
	return bc->set->failed ? 1 : 0;
}

struct records_set *records_build(const struct svc_cache *cache,
                                  const struct records_config *cfg,
                                  uint32_t serial, char *err, size_t errlen)
{
	struct records_set *set = records_new(cfg, serial, err, errlen);
	struct build_ctx bc;
	int k;

	if (!set)
		return NULL;
	bc.set = set;
	bc.cache = cache;
	records_add_apex(set);
	svc_cache_foreach(cache, KUBE_KIND_SERVICE, build_service, &bc);
	if (cfg->n_multicluster)
		svc_cache_foreach(cache, KUBE_KIND_SERVICEIMPORT, build_service_import, &bc);
	if (cfg->pods == RECORDS_PODS_VERIFIED)
		svc_cache_foreach(cache, KUBE_KIND_POD, build_pod, &bc);
	for (k = KUBE_KIND_SERVICE; k < KUBE_KIND_COUNT; k++)
		svc_cache_foreach(cache, (enum kube_kind)k, build_namespace, &bc);
	if (set->failed || finish_names(set) < 0) {
		snprintf(err, errlen, "out of memory");
		records_set_free(set);
		return NULL;
	}
	return set;
}

void records_set_free(struct records_set *set)
{
	size_t z;

	if (!set)
		return;
	bytemap_free(set->by_name, free_node);
	bytemap_free(set->rr_index, NULL);
	arena_release(set, false);
	for (z = 0; set->zones && z < set->n_zones; z++)
		free((void *)set->zones[z].soa.rdata);
	free(set->zones);
	free(set->names);
	free(set);
}

size_t records_zone_count(const struct records_set *set)
{
	return set->n_zones;
}

const struct records_zone *records_zone_at(const struct records_set *set, size_t i)
{
	return &set->zones[i];
}

size_t records_name_count(const struct records_set *set)
{
	return set->n_names;
}

const struct records_name *records_name_at(const struct records_set *set, size_t i)
{
	return set->names[i];
}

const struct records_name *records_find(const struct records_set *set,
                                        const uint8_t *lname, size_t len)
{
	void **slot = bytemap_slot(set->by_name, lname, len, false);

	return slot ? &((struct name_node *)*slot)->pub : NULL;
}

int records_zone_of(const struct records_set *set, const uint8_t *lname, size_t len)
{
	int best = -1;
	size_t z;

	for (z = 0; z < set->n_zones; z++) {
		const struct records_zone *zone = &set->zones[z];
		if (dname_is_under(lname, len, zone->name, zone->name_len) &&
		    (best < 0 || zone->name_len > set->zones[best].name_len))
			best = (int)z;
	}
	return best;
}

/* ---- building blocks --------------------------------------------------- */

static struct name_node *node(struct records_set *set, const uint8_t *owner,
                              size_t len, int zone)
{
	void **slot;
	struct name_node *nn;

	if (len == 0)
		return NULL; /* an over-long name: nothing to add */
	slot = bytemap_slot(set->by_name, owner, len, true);
	if (!slot) {
		set->failed = true;
		return NULL;
	}
	if (*slot)
		return *slot;
	nn = arena_alloc(set, sizeof(*nn) + len);
	if (!nn) {
		bytemap_remove(set->by_name, owner, len);
		set->failed = true;
		return NULL;
	}
	memset(nn, 0, sizeof(*nn));
	memcpy(nn + 1, owner, len);
	nn->pub.owner = (const uint8_t *)(nn + 1);
	nn->pub.owner_len = (uint8_t)len;
	nn->pub.zone = (uint8_t)zone;
	*slot = nn;
	return nn;
}

/* Adds (nn, type, rdata) to the set's record index. Returns 1 if it is
   new, 0 if it was there, -1 (set failed) out of memory. */
static int index_rr(struct records_set *set, const struct name_node *nn, uint16_t type,
                    const uint8_t *rdata, size_t rdlen)
{
	uint8_t key[sizeof(nn) + 2 + RDATA_INDEX_MAX];
	void **slot;

	memcpy(key, &nn, sizeof(nn));
	key[sizeof(nn)] = (uint8_t)(type >> 8);
	key[sizeof(nn) + 1] = (uint8_t)type;
	memcpy(key + sizeof(nn) + 2, rdata, rdlen);
	slot = bytemap_slot(set->rr_index, key, sizeof(nn) + 2 + rdlen, true);
	if (!slot) {
		set->failed = true;
		return -1;
	}
	if (*slot)
		return 0;
	*slot = (void *)1;
	return 1;
}

static void add_rr(struct records_set *set, const uint8_t *owner, size_t len,
                   int zone, uint16_t type, uint32_t ttl, const uint8_t *rdata,
                   size_t rdlen)
{
	struct name_node *nn = node(set, owner, len, zone);
	struct record *r;
	uint8_t *copy;
	size_t i;

	if (!nn)
		return;
	/* An RRset holds each rdata once (dual-stack and multi-service
	   duplicates collapse, as CoreDNS drops duplicate records). A name
	   with thousands of records (a big headless service) is checked
	   through the index, not by a scan per record. */
	if (nn->pub.n_records < DEDUP_LINEAR || rdlen > RDATA_INDEX_MAX) {
		for (i = 0; i < nn->pub.n_records; i++)
			if (nn->recs[i].type == type && nn->recs[i].rdlen == rdlen &&
			    memcmp(nn->recs[i].rdata, rdata, rdlen) == 0)
				return;
	} else {
		/* The first time past the limit, the records so far go in. */
		if (nn->pub.n_records == DEDUP_LINEAR)
			for (i = 0; i < nn->pub.n_records; i++)
				if (nn->recs[i].rdlen <= RDATA_INDEX_MAX)
					index_rr(set, nn, nn->recs[i].type, nn->recs[i].rdata,
					         nn->recs[i].rdlen);
		if (index_rr(set, nn, type, rdata, rdlen) == 0)
			return;
	}
	if (set->failed)
		return;
	if (nn->pub.n_records == nn->cap) {
		size_t cap = nn->cap ? nn->cap * 2 : 2;
		struct record *grown = realloc(nn->recs, cap * sizeof(*grown));
		if (!grown) {
			set->failed = true;
			return;
		}
		nn->recs = grown;
		nn->cap = cap;
	}
	copy = arena_alloc(set, rdlen ? rdlen : 1);
	if (!copy) {
		set->failed = true;
		return;
	}
	memcpy(copy, rdata, rdlen);
	r = &nn->recs[nn->pub.n_records++];
	r->type = type;
	r->ttl = ttl;
	r->rdlen = (uint16_t)rdlen;
	r->rdata = copy;
	nn->pub.records = nn->recs;
}

static void free_node(void *v)
{
	struct name_node *nn = v;

	free(nn->recs); /* the node and its rdata live in the arena */
}

static void *arena_alloc(struct records_set *set, size_t n)
{
	struct arena_chunk *c = set->arena;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (!c || c->used + n > c->cap) {
		size_t cap = n > 65536 ? n : 65536;
		struct arena_chunk *fresh = malloc(sizeof(*fresh) + cap);
		if (!fresh)
			return NULL;
		fresh->next = c;
		fresh->used = 0;
		fresh->cap = cap;
		set->arena = c = fresh;
	}
	p = c->data + c->used;
	c->used += n;
	return p;
}

static void arena_release(struct records_set *set, bool keep_first)
{
	struct arena_chunk *c = set->arena, *keep = NULL;

	while (c) {
		struct arena_chunk *next = c->next;
		if (keep_first && !next) {
			keep = c; /* the oldest chunk stays for reuse */
			keep->used = 0;
		} else {
			free(c);
		}
		c = next;
	}
	set->arena = keep;
}

/* CoreDNS's endpoint label: hostname, else (pod_names: its
   endpoint_pod_names) the pod's name, else the address with dashes (IPv6
   "fd00::1" -> "fd00--1", a trailing '-' gets a '0'). A label is at most
   63 bytes: a longer pod name is cut there. */
static void endpoint_label(const struct kube_endpoint *ep, const struct kube_ip *ip,
                           bool pod_names, char *out, size_t outlen)
{
	char text[64];
	size_t i, n;

	if (ep->hostname) {
		snprintf(out, outlen, "%s", ep->hostname);
		return;
	}
	if (pod_names && ep->target_name && ep->target_name[0]) {
		snprintf(out, outlen < 64 ? outlen : 64, "%s", ep->target_name);
		return;
	}
	kube_ip_format(ip, text, sizeof(text));
	n = strlen(text);
	for (i = 0; i < n; i++)
		if (text[i] == '.' || text[i] == ':')
			text[i] = '-';
	if (n && text[n - 1] == '-' && n + 1 < sizeof(text)) {
		text[n] = '0';
		text[n + 1] = '\0';
	}
	snprintf(out, outlen, "%s", text);
}

static bool port_matches(const struct kube_port *svc_port,
                         const struct kube_port *ep_port)
{
	return strcmp(svc_port->name, ep_port->name) == 0 &&
	       svc_port->proto == ep_port->proto;
}

static const char *proto_label(uint8_t proto)
{
	return proto == KUBE_PROTO_UDP ? "_udp" : proto == KUBE_PROTO_SCTP ? "_sctp" : "_tcp";
}

/* _<port>._<proto>.<svc name> */
static size_t srv_owner(uint8_t *out, const struct kube_port *port,
                        const uint8_t *svc_name, size_t svc_len)
{
	struct dname_buf b;
	char label[64];
	size_t len = strlen(port->name);
	const char *proto = proto_label(port->proto);

	if (len + 1 > sizeof(label) - 1)
		return 0; /* "_" and the name make a label longer than 63 */
	label[0] = '_'; /* not snprintf: a first load names 150k ports */
	memcpy(label + 1, port->name, len);
	dname_buf_init(&b);
	dname_buf_label(&b, label, len + 1);
	dname_buf_label(&b, proto, strlen(proto));
	len = dname_buf_finish(&b, svc_name, svc_len);
	if (len)
		memcpy(out, b.wire, len);
	return len;
}

/* The weight of each of n SRV records that share 100, as CoreDNS writes
   it: rounded down, but at least 1 (a weight of 0 means "almost never"
   to RFC 2782 clients, and 600 endpoints would all get it). */
static uint16_t srv_weight(size_t n)
{
	return n > 100 ? 1 : (uint16_t)(100 / (n ? n : 1));
}

static size_t srv_rdata(uint8_t *out, uint16_t weight, uint16_t port,
                        const uint8_t *target, size_t target_len)
{
	out[0] = 0;
	out[1] = 0; /* priority 0, as CoreDNS */
	out[2] = (uint8_t)(weight >> 8);
	out[3] = (uint8_t)weight;
	out[4] = (uint8_t)(port >> 8);
	out[5] = (uint8_t)port;
	memcpy(out + 6, target, target_len);
	return 6 + target_len;
}

static void add_address(struct records_set *set, const uint8_t *owner, size_t len,
                        int zone, const struct kube_ip *ip)
{
	add_rr(set, owner, len, zone, ip->family == AF_INET ? RR_TYPE_A : RR_TYPE_AAAA,
	       set->cfg->ttl, ip->bytes, ip->family == AF_INET ? 4 : 16);
}

static void add_ptr(struct records_set *set, const struct kube_ip *ip,
                    const uint8_t *target, size_t target_len)
{
	uint8_t rev[DNAME_MAX];
	size_t len = dname_reverse(ip, rev);
	int zone = (int)set->cfg->n_zones + (ip->family == AF_INET ? 0 : 1);

	add_rr(set, rev, len, zone, RR_TYPE_PTR, set->cfg->ttl, target, target_len);
}

/* Ready addresses of a service across its slices, with their labels. */
static size_t collect_ready(struct records_set *set, const struct svc_cache *cache,
                            const struct kube_object *svc, struct ep_addr **out)
{
	const struct kube_object *const *objs;
	size_t n_objs, i, j, k, n = 0, cap = 0;
	struct ep_addr *addrs = NULL;
	const struct kube_object *part;

	*out = NULL;
	/* CoreDNS's noendpoints, which leaves the multicluster endpoints */
	if (set->cfg->no_endpoints && svc->kind != KUBE_KIND_SERVICEIMPORT)
		return 0;
	n_objs = svc->kind == KUBE_KIND_SERVICEIMPORT
	                 ? svc_cache_import_slices(cache, svc->ns, svc->name, &objs)
	                 : svc_cache_endpoints_of(cache, svc->ns, svc->name, &objs);
	for (i = 0; i < n_objs; i++) {
		for (part = objs[i]; part; part = part->next_subset) {
			const struct kube_endpointslice *sl = &part->u.slice;
			for (j = 0; j < sl->n_endpoints; j++) {
				const struct kube_endpoint *ep = &sl->endpoints[j];
				if (!ep->ready && !svc->u.svc.publish_not_ready)
					continue;
				for (k = 0; k < ep->n_addrs; k++) {
					if (n == cap) {
						size_t ncap = cap ? cap * 2 : 8;
						struct ep_addr *grown =
							realloc(addrs, ncap * sizeof(*grown));
						if (!grown) {
							set->failed = true;
							free(addrs);
							return 0;
						}
						addrs = grown;
						cap = ncap;
					}
					addrs[n].ip = &ep->addrs[k];
					addrs[n].slice = sl;
					addrs[n].cluster = svc->kind != KUBE_KIND_SERVICEIMPORT ? NULL
					                   : sl->cluster_id ? sl->cluster_id : "";
					endpoint_label(ep, &ep->addrs[k],
					               set->cfg->endpoint_pod_names,
					               addrs[n].label, sizeof(addrs[n].label));
					n++;
				}
			}
		}
	}
	*out = addrs;
	return n;
}

/* An endpoint's name: its label below the service, or of a ServiceImport
   its label and its cluster's (none when the slice names no cluster). */
static size_t endpoint_name(uint8_t *out, const struct ep_addr *ep, const uint8_t *svc_name,
                            size_t svc_len)
{
	struct dname_buf b;
	size_t len;

	if (ep->cluster && !ep->cluster[0])
		return 0;
	dname_buf_init(&b);
	dname_buf_label(&b, ep->label, strlen(ep->label));
	if (ep->cluster)
		dname_buf_label(&b, ep->cluster, strlen(ep->cluster));
	len = dname_buf_finish(&b, svc_name, svc_len);
	if (len)
		memcpy(out, b.wire, len);
	return len;
}

static void add_cluster_ip_service(struct records_set *set, const struct svc_cache *cache,
                                   int zone, bool primary, const struct kube_object *obj,
                                   const uint8_t *name, size_t len)
{
	const struct kube_service *svc = &obj->u.svc;
	size_t i, n_eps;
	struct ep_addr *eps;
	uint8_t owner[DNAME_MAX], rdata[6 + DNAME_MAX];
	uint16_t weight;

	n_eps = collect_ready(set, cache, obj, &eps);
	if (n_eps == 0 && set->cfg->ignore_empty_service) {
		/* CoreDNS's "ignore empty_service": no name, so a client's
		   resolver walks on along its search path; the cluster IP's
		   PTR stays, as CoreDNS answers it. */
		for (i = 0; primary && i < svc->n_cluster_ips; i++)
			add_ptr(set, &svc->cluster_ips[i], name, len);
		free(eps);
		return;
	}
	/* CoreDNS names a ServiceImport by its ports (one answer per port
	   and address): without ports, only its endpoints have names. */
	if (obj->kind == KUBE_KIND_SERVICEIMPORT && svc->n_ports == 0)
		goto endpoints;
	node(set, name, len, zone); /* exists even without an address: NODATA */
	for (i = 0; i < svc->n_cluster_ips; i++) {
		add_address(set, name, len, zone, &svc->cluster_ips[i]);
		if (primary)
			add_ptr(set, &svc->cluster_ips[i], name, len);
	}
	/* SRV: CoreDNS makes one entry per (cluster IP, port) and divides the
	   weight among them before dropping the duplicates. */
	if (svc->n_cluster_ips && svc->n_ports) {
		size_t per_port = svc->n_cluster_ips;
		weight = srv_weight(per_port);
		for (i = 0; i < svc->n_ports; i++) {
			size_t olen, rlen;
			if (!svc->ports[i].name[0])
				continue;
			olen = srv_owner(owner, &svc->ports[i], name, len);
			rlen = srv_rdata(rdata, weight, svc->ports[i].port, name, len);
			if (olen)
				add_rr(set, owner, olen, zone, RR_TYPE_SRV, set->cfg->ttl,
				       rdata, rlen);
		}
		weight = srv_weight(per_port * svc->n_ports);
		for (i = 0; i < svc->n_ports; i++) {
			size_t rlen = srv_rdata(rdata, weight, svc->ports[i].port, name, len);
			add_rr(set, name, len, zone, RR_TYPE_SRV, set->cfg->ttl, rdata, rlen);
		}
	}
	/* Endpoint names exist for ClusterIP services too (CoreDNS). */
endpoints:
	for (i = 0; i < n_eps; i++) {
		size_t elen = endpoint_name(owner, &eps[i], name, len);
		if (!elen)
			continue;
		add_address(set, owner, elen, zone, eps[i].ip);
		if (primary)
			add_ptr(set, eps[i].ip, owner, elen);
	}
	free(eps);
}

/* How many (address, port) pairs of eps have a port named like each one:
   the SRV weight divisor. Counted once per service, not per record. */
struct port_count {
	const struct kube_port *port; /* the first with this name and protocol */
	size_t n;
};

/* Returns 0 with *out (NULL when there are no ports), or -1 out of memory. */
static int count_ports(const struct ep_addr *eps, size_t n_eps, struct port_count **out,
                       size_t *n_counts)
{
	struct port_count *counts = NULL;
	size_t i, j, k, n = 0, cap = 0;

	for (i = 0; i < n_eps; i++) {
		for (j = 0; j < eps[i].slice->n_ports; j++) {
			const struct kube_port *p = &eps[i].slice->ports[j];
			for (k = 0; k < n && !port_matches(counts[k].port, p); k++)
				;
			if (k == n) {
				if (n == cap) {
					size_t ncap = cap ? cap * 2 : 8;
					struct port_count *grown = realloc(counts, ncap * sizeof(*grown));
					if (!grown) {
						free(counts);
						return -1;
					}
					counts = grown;
					cap = ncap;
				}
				counts[n].port = p;
				counts[n].n = 0;
				n++;
			}
			counts[k].n++;
		}
	}
	*out = counts;
	*n_counts = n;
	return 0;
}

static size_t port_count_of(const struct port_count *counts, size_t n,
                            const struct kube_port *p)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (port_matches(counts[k].port, p))
			return counts[k].n;
	return 0;
}

static void add_headless_service(struct records_set *set, const struct svc_cache *cache,
                                 int zone, bool primary, const struct kube_object *obj,
                                 const uint8_t *name, size_t len)
{
	size_t i, j, n_eps, all = 0, n_counts = 0;
	struct ep_addr *eps;
	struct port_count *counts;
	uint8_t owner[DNAME_MAX], target[DNAME_MAX], rdata[6 + DNAME_MAX];

	n_eps = collect_ready(set, cache, obj, &eps);
	if (n_eps == 0)
		return; /* no ready endpoints: the name does not exist (NXDOMAIN) */
	if (count_ports(eps, n_eps, &counts, &n_counts) < 0) {
		set->failed = true;
		free(eps);
		return;
	}
	for (i = 0; i < n_eps; i++) {
		size_t tlen = endpoint_name(target, &eps[i], name, len);
		add_address(set, name, len, zone, eps[i].ip);
		if (!tlen)
			continue;
		add_address(set, target, tlen, zone, eps[i].ip);
		if (primary)
			add_ptr(set, eps[i].ip, target, tlen);
		all += eps[i].slice->n_ports;
	}
	/* SRV per named port: one per (address, port) with that name, weight
	   100 / their number, as CoreDNS. Bare name: every port. */
	for (i = 0; i < n_eps; i++) {
		const struct kube_endpointslice *sl = eps[i].slice;
		size_t tlen = endpoint_name(target, &eps[i], name, len);
		if (!tlen)
			continue;
		for (j = 0; j < sl->n_ports; j++) {
			const struct kube_port *p = &sl->ports[j];
			size_t same = port_count_of(counts, n_counts, p), olen, rlen;

			if (p->name[0] && same) {
				olen = srv_owner(owner, p, name, len);
				rlen = srv_rdata(rdata, srv_weight(same), p->port, target, tlen);
				if (olen)
					add_rr(set, owner, olen, zone, RR_TYPE_SRV, set->cfg->ttl,
					       rdata, rlen);
			}
			rlen = srv_rdata(rdata, srv_weight(all), p->port, target, tlen);
			add_rr(set, name, len, zone, RR_TYPE_SRV, set->cfg->ttl, rdata, rlen);
		}
	}
	free(counts);
	free(eps);
}

size_t records_service_owner(const struct records_set *set, size_t zone, const char *ns,
                             const char *name, uint8_t *out)
{
	const struct records_zone *rz = &set->zones[zone];
	struct dname_buf b;
	uint8_t ns_name[DNAME_MAX];
	size_t ns_len, len;

	dname_buf_init(&b);
	dname_buf_label(&b, ns, strlen(ns));
	dname_buf_label(&b, "svc", 3);
	ns_len = dname_buf_finish(&b, rz->name, rz->name_len);
	if (!ns_len)
		return 0;
	memcpy(ns_name, b.wire, ns_len);
	dname_buf_init(&b);
	dname_buf_label(&b, name, strlen(name));
	len = dname_buf_finish(&b, ns_name, ns_len);
	if (len)
		memcpy(out, b.wire, len);
	return len;
}

static int add_service_zone(struct records_set *set, const struct svc_cache *cache,
                            size_t zone_index, const struct kube_object *obj)
{
	int z = (int)zone_index;
	bool primary = zone_index == 0;
	uint8_t name[DNAME_MAX];
	size_t len = records_service_owner(set, zone_index, obj->ns, obj->name, name);

	if (!len)
		return 0;

	switch (obj->u.svc.type) {
	case KUBE_SVC_CLUSTER_IP:
		add_cluster_ip_service(set, cache, z, primary, obj, name, len);
		break;
	case KUBE_SVC_HEADLESS:
		add_headless_service(set, cache, z, primary, obj, name, len);
		break;
	case KUBE_SVC_EXTERNAL_NAME: {
		uint8_t target[DNAME_MAX];
		struct kube_ip ip;
		size_t tlen;

		node(set, name, len, z);
		/* An IP as externalName is not a name: CoreDNS ignores it. */
		if (kube_ip_parse(obj->u.svc.external_name, &ip) == 0)
			break;
		tlen = dname_from_text(obj->u.svc.external_name, target);
		if (tlen)
			add_rr(set, name, len, z, RR_TYPE_CNAME, set->cfg->ttl, target, tlen);
		break;
	}
	}
	return set->failed ? 1 : 0;
}

static int collect_name(void *ctx, const void *key, size_t len, void *value)
{
	struct records_set *set = ctx;

	(void)key;
	(void)len;
	set->names[set->n_names++] = &((struct name_node *)value)->pub;
	return 0;
}

static int finish_names(struct records_set *set)
{
	size_t i;

	if (set->failed)
		return -1;
	set->names = malloc((bytemap_count(set->by_name) + 1) * sizeof(*set->names));
	if (!set->names)
		return -1;
	bytemap_foreach(set->by_name, collect_name, set);
	for (i = 0; i < set->n_names; i++) {
		struct name_node *nn = (struct name_node *)set->names[i];
		size_t j;
		bool sorted = true;
		for (j = 1; j < nn->pub.n_records; j++)
			if (nn->recs[j].type < nn->recs[j - 1].type)
				sorted = false;
		if (!sorted) {
			/* Group by type, keeping insertion order inside an RRset
			   (the order of ports and endpoints users see). */
			for (j = 1; j < nn->pub.n_records; j++) {
				struct record r = nn->recs[j];
				size_t k = j;
				while (k > 0 && nn->recs[k - 1].type > r.type) {
					nn->recs[k] = nn->recs[k - 1];
					k--;
				}
				nn->recs[k] = r;
			}
		}
	}
	return 0;
}

/* ---- zone dump --------------------------------------------------------- */

/* Canonical DNS order (RFC 4034 6.1): labels compared from the right, so
   the apex comes first and each name's children follow it. */
static int compare_names(const void *a, const void *b)
{
	const struct records_name *na = *(const struct records_name *const *)a;
	const struct records_name *nb = *(const struct records_name *const *)b;
	const uint8_t *la[128], *lb[128];
	int ca = 0, cb = 0;
	size_t pos;

	for (pos = 0; pos < na->owner_len && na->owner[pos] && ca < 128;
	     pos += na->owner[pos] + 1u)
		la[ca++] = na->owner + pos;
	for (pos = 0; pos < nb->owner_len && nb->owner[pos] && cb < 128;
	     pos += nb->owner[pos] + 1u)
		lb[cb++] = nb->owner + pos;
	while (ca > 0 && cb > 0) {
		const uint8_t *x = la[--ca], *y = lb[--cb];
		size_t n = x[0] < y[0] ? x[0] : y[0];
		int c = memcmp(x + 1, y + 1, n);
		if (c)
			return c;
		if (x[0] != y[0])
			return x[0] < y[0] ? -1 : 1;
	}
	return ca - cb;
}

static int print_record(FILE *fp, const struct records_name *name,
                        const struct record *r)
{
	uint8_t wire[DNAME_MAX + 10 + 65535];
	size_t pos = 0;
	ldns_rr *rr = NULL;
	ldns_status st;

	memcpy(wire, name->owner, name->owner_len);
	pos = name->owner_len;
	wire[pos++] = (uint8_t)(r->type >> 8);
	wire[pos++] = (uint8_t)r->type;
	wire[pos++] = 0;
	wire[pos++] = 1; /* IN */
	wire[pos++] = (uint8_t)(r->ttl >> 24);
	wire[pos++] = (uint8_t)(r->ttl >> 16);
	wire[pos++] = (uint8_t)(r->ttl >> 8);
	wire[pos++] = (uint8_t)r->ttl;
	wire[pos++] = (uint8_t)(r->rdlen >> 8);
	wire[pos++] = (uint8_t)r->rdlen;
	memcpy(wire + pos, r->rdata, r->rdlen);
	pos += r->rdlen;
	{
		size_t at = 0;
		st = ldns_wire2rr(&rr, wire, pos, &at, LDNS_SECTION_ANSWER);
	}
	if (st != LDNS_STATUS_OK)
		return -1;
	ldns_rr_print(fp, rr);
	ldns_rr_free(rr);
	return ferror(fp) ? -1 : 0;
}

int records_print_zone(const struct records_set *set, size_t zone, FILE *fp)
{
	const struct records_name **sorted;
	size_t i, n = 0;
	uint32_t j;
	int rc = 0;

	sorted = malloc((set->n_names + 1) * sizeof(*sorted));
	if (!sorted)
		return -1;
	for (i = 0; i < set->n_names; i++)
		if (set->names[i]->zone == zone)
			sorted[n++] = set->names[i];
	qsort(sorted, n, sizeof(*sorted), compare_names);
	/* A master file starts with the SOA. */
	for (i = 0; i < n && rc == 0; i++)
		for (j = 0; j < sorted[i]->n_records && rc == 0; j++)
			if (sorted[i]->records[j].type == RR_TYPE_SOA)
				rc = print_record(fp, sorted[i], &sorted[i]->records[j]);
	for (i = 0; i < n && rc == 0; i++)
		for (j = 0; j < sorted[i]->n_records && rc == 0; j++)
			if (sorted[i]->records[j].type != RR_TYPE_SOA)
				rc = print_record(fp, sorted[i], &sorted[i]->records[j]);
	free(sorted);
	return rc;
}
