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
