/* kube_object.c - lifetime and small helpers of the typed objects. */
#include "kube_object.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* The layout kube_object.h promises (on 64-bit targets). */
_Static_assert(sizeof(void *) != 8 || sizeof(struct kube_object) == 104,
               "a kube_object is 104 bytes");
_Static_assert(sizeof(void *) != 8 || sizeof(struct kube_port) == 16,
               "a kube_port is 16 bytes");

static void free_ports(struct kube_port *ports, size_t n);

void kube_object_free(struct kube_object *obj)
{
	while (obj) {
		struct kube_object *next = obj->next_subset;
		size_t i;

		if (obj->packed) {
			free(obj);
			obj = next;
			continue;
		}
		free(obj->ns);
		free(obj->name);
		free(obj->resource_version);
		free(obj->labels);
		switch (obj->kind) {
		case KUBE_KIND_SERVICE:
		case KUBE_KIND_SERVICEIMPORT:
			free(obj->u.svc.cluster_ip);
			free(obj->u.svc.cluster_ips);
			free(obj->u.svc.external_name);
			free_ports(obj->u.svc.ports, obj->u.svc.n_ports);
			break;
		case KUBE_KIND_ENDPOINTSLICE:
		case KUBE_KIND_ENDPOINTS:
			free(obj->u.slice.service_name);
			free(obj->u.slice.import_name);
			free(obj->u.slice.cluster_id);
			for (i = 0; i < obj->u.slice.n_endpoints; i++) {
				struct kube_endpoint *ep = &obj->u.slice.endpoints[i];
				free(ep->addrs);
				free(ep->hostname);
				free(ep->target_name);
				free(ep->zone);
				free(ep->for_zones);
			}
			free(obj->u.slice.endpoints);
			free_ports(obj->u.slice.ports, obj->u.slice.n_ports);
			break;
		case KUBE_KIND_POD:
			free(obj->u.pod.ips);
			free(obj->u.pod.hostname);
			free(obj->u.pod.subdomain);
			free(obj->u.pod.phase);
			free(obj->u.pod.node_name);
			break;
		default:
			break;
		}
		free(obj);
		obj = next;
	}
}

const char *kube_kind_name(enum kube_kind kind)
{
	static const char *const names[KUBE_KIND_COUNT] = {
		"unknown", "Service", "EndpointSlice", "Endpoints", "Namespace", "Pod", "Node",
		"ServiceImport"};

	return kind < KUBE_KIND_COUNT ? names[kind] : "unknown";
}

enum kube_kind kube_kind_from_string(const char *s, bool list)
{
	static const struct {
		const char *name;
		enum kube_kind kind;
	} kinds[] = {
		{"Service", KUBE_KIND_SERVICE},     {"EndpointSlice", KUBE_KIND_ENDPOINTSLICE},
		{"Endpoints", KUBE_KIND_ENDPOINTS}, {"Namespace", KUBE_KIND_NAMESPACE},
		{"Pod", KUBE_KIND_POD},             {"Node", KUBE_KIND_NODE},
		{"ServiceImport", KUBE_KIND_SERVICEIMPORT},
	};
	size_t i, n = strlen(s);

	if (list) {
		if (n < 4 || strcmp(s + n - 4, "List") != 0)
			return KUBE_KIND_UNKNOWN;
		n -= 4;
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].name) == n && memcmp(kinds[i].name, s, n) == 0)
			return kinds[i].kind;
	return KUBE_KIND_UNKNOWN;
}

int kube_ip_parse(const char *text, struct kube_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, text, ip->bytes) == 1) {
		ip->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, ip->bytes) == 1) {
		ip->family = AF_INET6;
		return 0;
	}
	return -1;
}

char *kube_ip_format(const struct kube_ip *ip, char *buf, size_t len)
{
	/* IPv4 by hand: glibc's inet_ntop goes through sprintf, and the cache
	   formats a cluster IP each time it hands out a Service. */
	if (ip->family == AF_INET && len >= 16) {
		char *p = buf;
		int i;

		for (i = 0; i < 4; i++) {
			unsigned v = ip->bytes[i];
			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
			*p++ = i < 3 ? '.' : '\0';
		}
		return buf;
	}
	if (!inet_ntop(ip->family == AF_INET ? AF_INET : AF_INET6, ip->bytes, buf,
	               (socklen_t)len))
		buf[0] = '\0';
	return buf;
}

const char *kube_proto_name(enum kube_proto proto)
{
	switch (proto) {
	case KUBE_PROTO_UDP:
		return "UDP";
	case KUBE_PROTO_SCTP:
		return "SCTP";
	default:
		return "TCP";
	}
}

static void free_ports(struct kube_port *ports, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(ports[i].name);
	free(ports);
}

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool ips_eq(const struct kube_ip *a, size_t na, const struct kube_ip *b, size_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na * sizeof(*a)) == 0);
}

static bool ports_eq(const struct kube_port *a, size_t na, const struct kube_port *b,
                     size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (!str_eq(a[i].name, b[i].name) || a[i].port != b[i].port ||
		    a[i].proto != b[i].proto)
			return false;
	return true;
}

/* ---- packing ------------------------------------------------------------
   Two passes over the same walk: the first (base NULL) only adds up sizes,
   the second copies into the block. */

struct packer {
	uint8_t *base; /* NULL while measuring */
	size_t at;
};

static void *pack_bytes(struct packer *p, const void *src, size_t len, size_t align)
{
	void *dst;

	p->at = (p->at + align - 1) & ~(align - 1);
	dst = p->base ? p->base + p->at : NULL;
	if (dst && len)
		memcpy(dst, src, len);
	p->at += len;
	return dst;
}

static char *pack_str(struct packer *p, const char *s)
{
	return s ? pack_bytes(p, s, strlen(s) + 1, 1) : NULL;
}

static struct kube_port *pack_ports(struct packer *p, const struct kube_port *ports,
                                    size_t n)
{
	struct kube_port *out;
	size_t i;

	if (!ports)
		return NULL;
	out = pack_bytes(p, ports, n * sizeof(*ports), _Alignof(struct kube_port));
	for (i = 0; i < n; i++) {
		char *name = pack_str(p, ports[i].name);
		if (out)
			out[i].name = name;
	}
	return out;
}

static struct kube_ip *pack_ips(struct packer *p, const struct kube_ip *ips, size_t n)
{
	return ips ? pack_bytes(p, ips, n * sizeof(*ips), _Alignof(struct kube_ip)) : NULL;
}

/* Copies obj's struct and data into p; returns the copy (NULL measuring). */
static struct kube_object *pack_one(struct packer *p, const struct kube_object *obj)
{
	struct kube_object *o = pack_bytes(p, obj, sizeof(*obj), _Alignof(struct kube_object));
	struct kube_object c = *obj; /* its pointers are redirected below */
	size_t i;

	/* The 8-byte-aligned arrays first, the bytes (strings, addresses)
	   after them: no padding between. */
	switch (obj->kind) {
	case KUBE_KIND_SERVICE:
	case KUBE_KIND_SERVICEIMPORT:
		c.u.svc.ports = pack_ports(p, obj->u.svc.ports, obj->u.svc.n_ports);
		c.u.svc.cluster_ip = pack_str(p, obj->u.svc.cluster_ip);
		c.u.svc.cluster_ips = pack_ips(p, obj->u.svc.cluster_ips, obj->u.svc.n_cluster_ips);
		c.u.svc.external_name = pack_str(p, obj->u.svc.external_name);
		break;
	case KUBE_KIND_ENDPOINTSLICE:
	case KUBE_KIND_ENDPOINTS:
		c.u.slice.service_name = pack_str(p, obj->u.slice.service_name);
		c.u.slice.import_name = pack_str(p, obj->u.slice.import_name);
		c.u.slice.cluster_id = pack_str(p, obj->u.slice.cluster_id);
		c.u.slice.endpoints = obj->u.slice.endpoints
		        ? pack_bytes(p, obj->u.slice.endpoints,
		                     obj->u.slice.n_endpoints * sizeof(struct kube_endpoint),
		                     _Alignof(struct kube_endpoint))
		        : NULL;
		for (i = 0; i < obj->u.slice.n_endpoints; i++) {
			const struct kube_endpoint *ep = &obj->u.slice.endpoints[i];
			struct kube_ip *addrs = pack_ips(p, ep->addrs, ep->n_addrs);
			char *hostname = pack_str(p, ep->hostname);
			char *target = pack_str(p, ep->target_name);
			char *zone = pack_str(p, ep->zone);
			char *for_zones = pack_str(p, ep->for_zones);
			if (c.u.slice.endpoints) {
				c.u.slice.endpoints[i].addrs = addrs;
				c.u.slice.endpoints[i].hostname = hostname;
				c.u.slice.endpoints[i].target_name = target;
				c.u.slice.endpoints[i].zone = zone;
				c.u.slice.endpoints[i].for_zones = for_zones;
			}
		}
		c.u.slice.ports = pack_ports(p, obj->u.slice.ports, obj->u.slice.n_ports);
		break;
	case KUBE_KIND_POD:
		c.u.pod.ips = pack_ips(p, obj->u.pod.ips, obj->u.pod.n_ips);
		c.u.pod.hostname = pack_str(p, obj->u.pod.hostname);
		c.u.pod.subdomain = pack_str(p, obj->u.pod.subdomain);
		c.u.pod.phase = pack_str(p, obj->u.pod.phase);
		c.u.pod.node_name = pack_str(p, obj->u.pod.node_name);
		break;
	default:
		break;
	}
	c.ns = pack_str(p, obj->ns);
	c.name = pack_str(p, obj->name);
	c.resource_version = pack_str(p, obj->resource_version);
	c.labels = obj->labels ? pack_bytes(p, obj->labels, obj->labels_len, 1) : NULL;
	if (o) {
		c.packed = true;
		c.next_subset = NULL;
		*o = c;
	}
	return o;
}

struct kube_object *kube_object_pack(struct kube_object *obj)
{
	struct kube_object *head = NULL, **tail = &head, *cur;

	for (cur = obj; cur && !cur->packed; cur = cur->next_subset) {
		struct packer p = {NULL, 0};

		pack_one(&p, cur);
		p.base = malloc(p.at);
		if (!p.base)
			break;
		p.at = 0;
		*tail = pack_one(&p, cur);
		tail = &(*tail)->next_subset;
	}
	/* The unpacked originals before cur have their copies now; cur and
	   what follows (out of memory, or already packed) stay as they are. */
	*tail = cur;
	while (obj != cur) {
		struct kube_object *next = obj->next_subset;
		obj->next_subset = NULL;
		kube_object_free(obj);
		obj = next;
	}
	return head;
}

struct kube_object *kube_object_clone(const struct kube_object *obj)
{
	struct kube_object *head = NULL, **tail = &head;

	for (; obj; obj = obj->next_subset) {
		struct packer p = {NULL, 0};

		pack_one(&p, obj);
		p.base = malloc(p.at);
		if (!p.base) {
			kube_object_free(head);
			return NULL;
		}
		p.at = 0;
		*tail = pack_one(&p, obj);
		tail = &(*tail)->next_subset;
	}
	return head;
}

bool kube_object_equal(const struct kube_object *a, const struct kube_object *b)
{
	size_t i;

	for (; a && b; a = a->next_subset, b = b->next_subset) {
		if (a->kind != b->kind || !str_eq(a->ns, b->ns) || !str_eq(a->name, b->name))
			return false;
		switch (a->kind) {
		case KUBE_KIND_SERVICE:
		case KUBE_KIND_SERVICEIMPORT: {
			const struct kube_service *x = &a->u.svc, *y = &b->u.svc;
			if (x->type != y->type || x->publish_not_ready != y->publish_not_ready ||
			    !str_eq(x->cluster_ip, y->cluster_ip) ||
			    !str_eq(x->external_name, y->external_name) ||
			    !ips_eq(x->cluster_ips, x->n_cluster_ips, y->cluster_ips, y->n_cluster_ips) ||
			    !ports_eq(x->ports, x->n_ports, y->ports, y->n_ports))
				return false;
			break;
		}
		case KUBE_KIND_ENDPOINTSLICE:
		case KUBE_KIND_ENDPOINTS: {
			const struct kube_endpointslice *x = &a->u.slice, *y = &b->u.slice;
			if (!str_eq(x->service_name, y->service_name) ||
			    !str_eq(x->import_name, y->import_name) ||
			    !str_eq(x->cluster_id, y->cluster_id) ||
			    x->from_endpoints != y->from_endpoints ||
			    x->n_endpoints != y->n_endpoints ||
			    !ports_eq(x->ports, x->n_ports, y->ports, y->n_ports))
				return false;
			for (i = 0; i < x->n_endpoints; i++) {
				const struct kube_endpoint *p = &x->endpoints[i], *q = &y->endpoints[i];
				if (p->ready != q->ready || !str_eq(p->hostname, q->hostname) ||
				    !str_eq(p->target_name, q->target_name) ||
				    !ips_eq(p->addrs, p->n_addrs, q->addrs, q->n_addrs))
					return false;
			}
			break;
		}
		case KUBE_KIND_POD: {
			const struct kube_pod *x = &a->u.pod, *y = &b->u.pod;
			if (!ips_eq(x->ips, x->n_ips, y->ips, y->n_ips) ||
			    !str_eq(x->hostname, y->hostname) || !str_eq(x->subdomain, y->subdomain) ||
			    !str_eq(x->phase, y->phase))
				return false;
			break;
		}
		default:
			break;
		}
	}
	return a == NULL && b == NULL;
}
