/* kube_object.c - lifetime and small helpers of the typed objects. */
#include "kube_object.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void free_ports(struct kube_port *ports, size_t n);

void kube_object_free(struct kube_object *obj)
{
	while (obj) {
		struct kube_object *next = obj->next_subset;
		size_t i;

		free(obj->ns);
		free(obj->name);
		free(obj->resource_version);
		switch (obj->kind) {
		case KUBE_KIND_SERVICE:
			free(obj->u.svc.cluster_ip);
			free(obj->u.svc.cluster_ips);
			free(obj->u.svc.external_name);
			free_ports(obj->u.svc.ports, obj->u.svc.n_ports);
			break;
		case KUBE_KIND_ENDPOINTSLICE:
		case KUBE_KIND_ENDPOINTS:
			free(obj->u.slice.service_name);
			for (i = 0; i < obj->u.slice.n_endpoints; i++) {
				struct kube_endpoint *ep = &obj->u.slice.endpoints[i];
				free(ep->addrs);
				free(ep->hostname);
				free(ep->target_name);
			}
			free(obj->u.slice.endpoints);
			free_ports(obj->u.slice.ports, obj->u.slice.n_ports);
			break;
		case KUBE_KIND_POD:
			free(obj->u.pod.ips);
			free(obj->u.pod.hostname);
			free(obj->u.pod.subdomain);
			free(obj->u.pod.phase);
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
		"unknown", "Service", "EndpointSlice", "Endpoints", "Namespace", "Pod"};

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
		{"Pod", KUBE_KIND_POD},
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

	for (i = 0; i < n; i++) {
		free(ports[i].name);
		free(ports[i].target_port_name);
	}
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
		    a[i].proto != b[i].proto || a[i].target_port != b[i].target_port ||
		    !str_eq(a[i].target_port_name, b[i].target_port_name) ||
		    a[i].node_port != b[i].node_port)
			return false;
	return true;
}

bool kube_object_equal(const struct kube_object *a, const struct kube_object *b)
{
	size_t i;

	for (; a && b; a = a->next_subset, b = b->next_subset) {
		if (a->kind != b->kind || !str_eq(a->ns, b->ns) || !str_eq(a->name, b->name))
			return false;
		switch (a->kind) {
		case KUBE_KIND_SERVICE: {
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
