/* kube_object.h - typed Kubernetes objects as svcdns keeps them (Service,
 * EndpointSlice, Endpoints, Namespace, Pod, Node, and the Multi-Cluster
 * Services API's ServiceImport); plain data, no DNS, no JSON.
 *
 * Ownership: a struct kube_object owns every string and array it points to;
 * kube_object_free() releases all of it, whether they are separate
 * allocations or packed into the object's own block. Strings are
 * NUL-terminated copies. */
#ifndef SVCDNS_KUBE_OBJECT_H
#define SVCDNS_KUBE_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kube_kind {
	KUBE_KIND_UNKNOWN = 0,
	KUBE_KIND_SERVICE,
	KUBE_KIND_ENDPOINTSLICE,
	KUBE_KIND_ENDPOINTS, /* v1 Endpoints, converted to slices (see below) */
	KUBE_KIND_NAMESPACE,
	KUBE_KIND_POD,
	KUBE_KIND_NODE, /* name and labels only (its zone): pod_map's */
	/* multicluster.x-k8s.io ServiceImport, kept as a kube_service:
	   ClusterSetIP as KUBE_SVC_CLUSTER_IP with spec.ips, Headless as
	   KUBE_SVC_HEADLESS (--multicluster) */
	KUBE_KIND_SERVICEIMPORT,
	KUBE_KIND_COUNT
};

/* An IPv4 or IPv6 address; family is AF_INET or AF_INET6. */
struct kube_ip {
	uint8_t family;
	uint8_t bytes[16];
};

enum kube_proto { KUBE_PROTO_TCP = 0, KUBE_PROTO_UDP, KUBE_PROTO_SCTP };

/* What DNS and the kubelet's variables use of a port: not targetPort or
   nodePort (16 bytes; a cache of 100k Services holds ~150k of these). */
struct kube_port {
	char *name; /* "" when unnamed, never NULL */
	uint16_t port;
	uint8_t proto;    /* enum kube_proto */
};

enum kube_service_type {
	KUBE_SVC_CLUSTER_IP = 0, /* also NodePort and LoadBalancer */
	KUBE_SVC_HEADLESS,       /* clusterIP: None */
	KUBE_SVC_EXTERNAL_NAME
};

/* Counts sit beside the small fields, keeping the union small (the
   parser refuses more than KUBE_IPS_MAX addresses in one list). */
#define KUBE_IPS_MAX UINT16_MAX

struct kube_service {
	uint8_t type;            /* enum kube_service_type */
	bool publish_not_ready;  /* spec.publishNotReadyAddresses or the
	                            tolerate-unready-endpoints annotation */
	uint16_t n_cluster_ips;
	uint32_t n_ports;
	char *cluster_ip;        /* spec.clusterIP as written ("None", "" ...) */
	struct kube_ip *cluster_ips; /* parsed spec.clusterIPs (or clusterIP) */
	char *external_name;     /* ExternalName only, else NULL */
	struct kube_port *ports;
};

/* One endpoint of a slice: addresses of one family, one readiness. */
struct kube_endpoint {
	struct kube_ip *addrs;
	char *hostname;      /* NULL when absent */
	char *target_name;   /* targetRef.name (the pod), NULL when absent */
	/* Read by zone_hints (--prefer-zone), not kept by the cache: */
	char *zone;          /* its zone field, NULL when absent */
	char *for_zones;     /* hints.forZones names joined by ',', NULL when none */
	uint16_t n_addrs;
	bool ready;          /* conditions.ready absent counts as ready */
};

/* An EndpointSlice, or one subset of a v1 Endpoints object (from_endpoints). */
struct kube_endpointslice {
	char *service_name; /* label kubernetes.io/service-name, or the
	                       Endpoints object's own name */
	/* The Multi-Cluster Services labels: the ServiceImport it belongs
	   to (multicluster.kubernetes.io/service-name) and the cluster its
	   endpoints are in (multicluster.kubernetes.io/source-cluster).
	   NULL when absent. */
	char *import_name;
	char *cluster_id;
	struct kube_endpoint *endpoints;
	struct kube_port *ports;
	uint32_t n_endpoints;
	uint32_t n_ports;
	bool from_endpoints;
};

struct kube_pod {
	struct kube_ip *ips; /* status.podIPs, else status.podIP */
	char *hostname;
	char *subdomain;
	char *phase;
	/* Read by pod_map (which client is which pod), not kept by the
	   cache (kube_blob): */
	char *node_name;     /* spec.nodeName, NULL when absent */
	bool host_network;   /* spec.hostNetwork: its IP is its node's */
	uint16_t n_ips;
};

struct kube_object {
	uint8_t kind; /* enum kube_kind */
	bool packed;  /* one allocation holds it all (kube_object_pack) */
	uint32_t labels_len;
	char *ns;     /* "" for cluster-scoped objects (Namespace) */
	char *name;
	char *resource_version; /* NULL when absent */
	/* metadata.labels as "key\0value\0" pairs, labels_len bytes (NULL
	   when none). Read by svc_cache_put's selectors, not kept by the
	   cache. */
	char *labels;
	union {
		struct kube_service svc;         /* SERVICE and SERVICEIMPORT */
		struct kube_endpointslice slice; /* ENDPOINTSLICE and ENDPOINTS */
		struct kube_pod pod;
	} u;
	/* v1 Endpoints with several subsets become several slices: the extra
	   ones hang here, same ns/name. NULL otherwise. */
	struct kube_object *next_subset;
};

void kube_object_free(struct kube_object *obj);

/* The same object copied into a single allocation (every string and array
   inside it, the struct first), the chain of subsets packed one by one;
   obj is freed. Long-lived objects cost less that way: one malloc header
   instead of one per string, no fragmentation from parsing. On allocation
   failure returns obj unchanged (it stays valid and usable). */
struct kube_object *kube_object_pack(struct kube_object *obj);

/* A packed copy of obj and its subsets, which the caller owns (obj may be
   a cache's borrowed view). NULL on allocation failure. */
struct kube_object *kube_object_clone(const struct kube_object *obj);

/* Whether a and b hold the same data that svc_cache keeps (subsets
   included; resourceVersion, labels, a Pod's node and an endpoint's zones,
   read as objects are put, aside): a cached view equals what was put. */
bool kube_object_equal(const struct kube_object *a, const struct kube_object *b);

/* "Service", "EndpointSlice", ... for log lines. Never NULL. */
const char *kube_kind_name(enum kube_kind kind);

/* Kind from a JSON "kind" value ("Service", "ServiceList" with list=true...).
   Returns KUBE_KIND_UNKNOWN for anything else. */
enum kube_kind kube_kind_from_string(const char *s, bool list);

/* Parses text ("10.0.0.1", "fd00::1") into ip. Returns 0, or -1 if invalid. */
int kube_ip_parse(const char *text, struct kube_ip *ip);

/* Writes the textual form into buf (at least 46 bytes). Returns buf. */
char *kube_ip_format(const struct kube_ip *ip, char *buf, size_t len);

const char *kube_proto_name(enum kube_proto proto); /* "TCP"... */

#endif
