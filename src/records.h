/* records.h - the Kubernetes DNS specification: turns the cache into the
 * RRsets of every cluster name (forward zones and reverse PTRs), in
 * CoreDNS's default shapes. Pure: no sockets, no wire replies.
 *
 * Names are uncompressed wire format, lower case. Ownership: a records_set
 * owns all its names and rdata; records_set_free() releases them. */
#ifndef SVCDNS_RECORDS_H
#define SVCDNS_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct svc_cache;
struct kube_ip;
struct kube_object;

#define RR_TYPE_A 1
#define RR_TYPE_NS 2
#define RR_TYPE_CNAME 5
#define RR_TYPE_SOA 6
#define RR_TYPE_PTR 12
#define RR_TYPE_TXT 16
#define RR_TYPE_AAAA 28
#define RR_TYPE_SRV 33
#define RR_TYPE_OPT 41
#define RR_TYPE_IXFR 251
#define RR_TYPE_AXFR 252
#define RR_TYPE_ANY 255

enum records_pods { RECORDS_PODS_DISABLED = 0, RECORDS_PODS_INSECURE, RECORDS_PODS_VERIFIED };

struct records_config {
	const char *const *zones; /* cluster zones, text, e.g. "cluster.local" */
	size_t n_zones;
	/* The last n_multicluster of zones are --multicluster zones (e.g.
	   "clusterset.local"): ServiceImports are named there, Services are
	   not; zone 0 is always a cluster zone. */
	size_t n_multicluster;
	uint32_t ttl;
	enum records_pods pods;
	bool endpoint_pod_names; /* an endpoint without hostname: its pod's name */
	bool ignore_empty_service; /* a ClusterIP service without ready endpoints:
	                              no name (NXDOMAIN) */
	bool no_endpoints;       /* no endpoint names or records at all (but of
	                            ServiceImports, as CoreDNS) */
	const struct kube_ip *ns_addrs; /* A/AAAA of ns.dns.<zone>; may be 0 */
	size_t n_ns_addrs;
};

struct record {
	uint16_t type;
	uint16_t rdlen;
	uint32_t ttl;
	const uint8_t *rdata; /* uncompressed wire rdata */
};

enum records_zone_kind { RECORDS_ZONE_CLUSTER, RECORDS_ZONE_REVERSE };

struct records_zone {
	uint8_t name[256]; /* wire, lower case */
	uint8_t name_len;
	uint8_t kind;      /* enum records_zone_kind */
	bool multicluster; /* a --multicluster zone (of kind CLUSTER) */
	struct record soa; /* owner: the zone apex */
};

/* One owner name: its records, possibly none (the name exists, NODATA). */
struct records_name {
	const uint8_t *owner; /* wire, lower case */
	uint8_t owner_len;
	uint8_t zone;         /* index into records_set zones */
	uint32_t n_records;
	const struct record *records; /* grouped by type, in answer order */
};

struct records_set;

/* Builds the RRsets for cache under cfg; serial is the SOA serial.
   Returns NULL on allocation failure or a zone name that does not parse
   (err says which). */
struct records_set *records_build(const struct svc_cache *cache,
                                  const struct records_config *cfg,
                                  uint32_t serial, char *err, size_t errlen);
void records_set_free(struct records_set *set);

/* Building a set piece by piece, for consumers that rebuild only what
   changed: records_new() (zones and their SOAs only), then any of
   records_add_*, then records_finish() before reading names. Additions
   that run out of memory mark the set failed (records_failed). */
struct records_set *records_new(const struct records_config *cfg, uint32_t serial,
                                char *err, size_t errlen);
/* Apex SOA and NS, ns.dns, dns-version, svc. and pod. of every zone. */
void records_add_apex(struct records_set *set);
/* The names one Service implies (every zone), and its PTRs. */
void records_add_service(struct records_set *set, const struct svc_cache *cache,
                         const struct kube_object *svc);
/* The names one ServiceImport implies in every multicluster zone, as
   CoreDNS's multicluster option makes them: a ClusterSetIP import like a
   ClusterIP Service (its spec.ips), a Headless one like a headless
   Service, its endpoints named <hostname>.<cluster id>.<name>.<ns>.svc.
   No PTRs. */
void records_add_service_import(struct records_set *set, const struct svc_cache *cache,
                                const struct kube_object *import);
/* <name>.<ns>.svc.<cluster zone zone>, wire, into out (DNAME_MAX bytes).
   Returns its length, or 0 when the labels do not make a name. */
size_t records_service_owner(const struct records_set *set, size_t zone, const char *ns,
                             const char *name, uint8_t *out);
/* --pods verified: <a-b-c-d>.<ns>.pod.<zone> for each IP of a running
   Pod (IPv6 with '-' for ':'), every zone. */
void records_add_pod(struct records_set *set, const struct kube_object *pod);
/* <ns>.svc.<zone> of every zone, as a name without records. */
void records_add_namespace(struct records_set *set, const char *ns);
/* One record (or, with rdata NULL, just the name) of owner in zone. */
void records_add_record(struct records_set *set, const uint8_t *owner, size_t len,
                        int zone, uint16_t type, uint32_t ttl, const uint8_t *rdata,
                        size_t rdlen);
int records_finish(struct records_set *set); /* 0, or -1 out of memory */
/* Empties set of names (zones and SOAs stay), for reuse as scratch space.
   Returns 0, or -1 out of memory (the set is then failed). */
int records_clear(struct records_set *set);
bool records_failed(const struct records_set *set);

size_t records_zone_count(const struct records_set *set);
const struct records_zone *records_zone_at(const struct records_set *set,
                                           size_t i);

size_t records_name_count(const struct records_set *set);
const struct records_name *records_name_at(const struct records_set *set,
                                           size_t i);

/* The name with owner lname (wire, lower case), or NULL. */
const struct records_name *records_find(const struct records_set *set,
                                        const uint8_t *lname, size_t len);

/* Index of the zone lname is in or under, or -1. Longest match wins. */
int records_zone_of(const struct records_set *set, const uint8_t *lname,
                    size_t len);

/* Writes cluster zone i as an RFC 1035 master file (rendered with ldns),
   SOA first. Returns 0, or -1 on a write error. */
int records_print_zone(const struct records_set *set, size_t zone, FILE *fp);

#endif
