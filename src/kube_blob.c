/* kube_blob.c - kube_object <-> the cache's compact byte form.
 *
 * A blob is one object after another, each
 *     kind:u8 flags:u8 body
 * with F_MORE set on every object a subset follows. Namespace, name and
 * resourceVersion are not kept: the cache's key holds the first two, and
 * nothing reads the last from the cache. str is the bytes and a
 * NUL (so a view's strings point straight into the blob); optional strings
 * are there only when their flag is set; counts are LEB128 varints; an
 * address is its family byte then 4 or 16 bytes; a port is name:str
 * port:u16 (big-endian) proto:u8.
 *
 * Writing and viewing each walk the same layout twice: first with no
 * output to add up sizes, then for real (as kube_object_pack does). */
#include "kube_blob.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

/* flags, shared */
#define F_MORE 0x01 /* another object (a subset) follows */
/* Service */
#define F_SVC_IP_TEXT 0x04  /* spec.clusterIP as written follows */
#define F_SVC_IP_FIRST 0x08 /* spec.clusterIP is the first address's text */
#define F_SVC_EXTERNAL 0x10
#define F_SVC_NOT_READY 0x20 /* publish_not_ready */
/* EndpointSlice, Endpoints */
#define F_SLICE_SERVICE 0x04
#define F_SLICE_FROM_ENDPOINTS 0x08
#define F_SLICE_IMPORT 0x10  /* import_name follows */
#define F_SLICE_CLUSTER 0x20 /* cluster_id follows */
/* Pod */
#define F_POD_HOSTNAME 0x04
#define F_POD_SUBDOMAIN 0x08
#define F_POD_PHASE 0x10
/* one endpoint's own flag byte */
#define E_READY 0x01
#define E_HOSTNAME 0x02
#define E_TARGET 0x04
#define E_TARGET_IS_HOSTNAME 0x08

#define IP_TEXT_MAX 46 /* INET6_ADDRSTRLEN */

/* ---- writing ------------------------------------------------------------ */

struct writer {
	uint8_t *out; /* NULL while measuring */
	size_t at;
};

static void put_bytes(struct writer *w, const void *p, size_t len)
{
	if (w->out)
		memcpy(w->out + w->at, p, len);
	w->at += len;
}

static void put_u8(struct writer *w, uint8_t v)
{
	put_bytes(w, &v, 1);
}

static void put_varint(struct writer *w, uint32_t v)
{
	while (v >= 0x80) {
		put_u8(w, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	put_u8(w, (uint8_t)v);
}

static void put_str(struct writer *w, const char *s)
{
	if (s)
		put_bytes(w, s, strlen(s) + 1);
}

static void put_ips(struct writer *w, const struct kube_ip *ips, size_t n)
{
	size_t i;

	put_varint(w, (uint32_t)n);
	for (i = 0; i < n; i++) {
		put_u8(w, ips[i].family);
		put_bytes(w, ips[i].bytes, ips[i].family == AF_INET ? 4 : 16);
	}
}

static void put_ports(struct writer *w, const struct kube_port *ports, size_t n)
{
	size_t i;

	put_varint(w, (uint32_t)n);
	for (i = 0; i < n; i++) {
		uint8_t port[3] = {(uint8_t)(ports[i].port >> 8), (uint8_t)ports[i].port,
		                   ports[i].proto};
		put_str(w, ports[i].name ? ports[i].name : "");
		put_bytes(w, port, sizeof(port));
	}
}

/* Whether spec.clusterIP reads exactly as its first parsed address would
   be written: then the view writes it again instead of the blob keeping
   it (true of every Service an API server returns). */
static bool ip_text_is_first(const struct kube_service *svc)
{
	char text[IP_TEXT_MAX];

	return svc->cluster_ip && svc->n_cluster_ips > 0 &&
	       strcmp(svc->cluster_ip, kube_ip_format(&svc->cluster_ips[0], text,
	                                              sizeof(text))) == 0;
}

static void put_service(struct writer *w, const struct kube_service *svc, uint8_t *flags)
{
	if (ip_text_is_first(svc))
		*flags |= F_SVC_IP_FIRST;
	else if (svc->cluster_ip)
		*flags |= F_SVC_IP_TEXT;
	if (svc->external_name)
		*flags |= F_SVC_EXTERNAL;
	if (svc->publish_not_ready)
		*flags |= F_SVC_NOT_READY;
	put_u8(w, svc->type);
	put_ips(w, svc->cluster_ips, svc->n_cluster_ips);
	if (*flags & F_SVC_IP_TEXT)
		put_str(w, svc->cluster_ip);
	put_str(w, svc->external_name);
	put_ports(w, svc->ports, svc->n_ports);
}

static void put_slice(struct writer *w, const struct kube_endpointslice *s, uint8_t *flags)
{
	size_t i;

	if (s->service_name)
		*flags |= F_SLICE_SERVICE;
	if (s->from_endpoints)
		*flags |= F_SLICE_FROM_ENDPOINTS;
	if (s->import_name)
		*flags |= F_SLICE_IMPORT;
	if (s->cluster_id)
		*flags |= F_SLICE_CLUSTER;
	put_str(w, s->service_name);
	put_str(w, s->import_name);
	put_str(w, s->cluster_id);
	put_varint(w, s->n_endpoints);
	for (i = 0; i < s->n_endpoints; i++) {
		const struct kube_endpoint *ep = &s->endpoints[i];
		uint8_t e = ep->ready ? E_READY : 0;

		if (ep->hostname)
			e |= E_HOSTNAME;
		if (ep->hostname && ep->target_name && strcmp(ep->hostname, ep->target_name) == 0)
			e |= E_TARGET_IS_HOSTNAME;
		else if (ep->target_name)
			e |= E_TARGET;
		put_u8(w, e);
		put_ips(w, ep->addrs, ep->n_addrs);
		put_str(w, ep->hostname);
		if (e & E_TARGET)
			put_str(w, ep->target_name);
	}
	put_ports(w, s->ports, s->n_ports);
}

static void put_pod(struct writer *w, const struct kube_pod *pod, uint8_t *flags)
{
	if (pod->hostname)
		*flags |= F_POD_HOSTNAME;
	if (pod->subdomain)
		*flags |= F_POD_SUBDOMAIN;
	if (pod->phase)
		*flags |= F_POD_PHASE;
	put_ips(w, pod->ips, pod->n_ips);
	put_str(w, pod->hostname);
	put_str(w, pod->subdomain);
	put_str(w, pod->phase);
}

static void put_object(struct writer *w, const struct kube_object *obj)
{
	for (; obj; obj = obj->next_subset) {
		uint8_t flags = obj->next_subset ? F_MORE : 0;
		size_t flags_at;

		put_u8(w, obj->kind);
		flags_at = w->at;
		put_u8(w, 0); /* flags, known once the body is written */
		switch (obj->kind) {
		case KUBE_KIND_SERVICE:
		case KUBE_KIND_SERVICEIMPORT:
			put_service(w, &obj->u.svc, &flags);
			break;
		case KUBE_KIND_ENDPOINTSLICE:
		case KUBE_KIND_ENDPOINTS:
			put_slice(w, &obj->u.slice, &flags);
			break;
		case KUBE_KIND_POD:
			put_pod(w, &obj->u.pod, &flags);
			break;
		default:
			break;
		}
		if (w->out)
			w->out[flags_at] = flags;
	}
}

size_t kube_blob_size(const struct kube_object *obj)
{
	struct writer w = {NULL, 0};

	put_object(&w, obj);
	return w.at;
}

void kube_blob_write(const struct kube_object *obj, uint8_t *out)
{
	struct writer w = {out, 0};

	put_object(&w, obj);
}

bool kube_blob_same(const uint8_t *stored, const uint8_t *fresh, size_t fresh_len)
{
	size_t i;

	/* Byte by byte, not memcmp: that may read stored past its end. */
	for (i = 0; i < fresh_len; i++)
		if (stored[i] != fresh[i])
			return false;
	return true;
}

/* ---- viewing ------------------------------------------------------------ */

struct viewer {
	const uint8_t *in; /* the blob, read front to back */
	uint8_t *out;      /* scratch; NULL while measuring */
	size_t at;         /* scratch bytes used */
};

/* Room for n bytes in scratch; NULL while measuring or when n is 0. */
static void *take(struct viewer *v, size_t n, size_t align)
{
	void *p;

	if (n == 0)
		return NULL;
	v->at = (v->at + align - 1) & ~(align - 1);
	p = v->out ? v->out + v->at : NULL;
	v->at += n;
	return p;
}

static uint8_t get_u8(struct viewer *v)
{
	return *v->in++;
}

static uint32_t get_varint(struct viewer *v)
{
	uint32_t x = 0;
	unsigned shift = 0;
	uint8_t b;

	do {
		b = get_u8(v);
		x |= (uint32_t)(b & 0x7F) << shift;
		shift += 7;
	} while (b & 0x80);
	return x;
}

static char *get_str(struct viewer *v)
{
	char *s = (char *)(uintptr_t)v->in; /* views are read-only */

	v->in += strlen(s) + 1;
	return s;
}

static char *get_str_if(struct viewer *v, bool present)
{
	return present ? get_str(v) : NULL;
}

static struct kube_ip *get_ips(struct viewer *v, uint16_t *n_out)
{
	uint32_t n = get_varint(v), i;
	struct kube_ip *ips = take(v, n * sizeof(*ips), _Alignof(struct kube_ip));

	for (i = 0; i < n; i++) {
		uint8_t family = get_u8(v);
		size_t len = family == AF_INET ? 4 : 16;

		if (ips) {
			memset(&ips[i], 0, sizeof(ips[i]));
			ips[i].family = family;
			memcpy(ips[i].bytes, v->in, len);
		}
		v->in += len;
	}
	*n_out = (uint16_t)n;
	return ips;
}

static struct kube_port *get_ports(struct viewer *v, uint32_t *n_out)
{
	uint32_t n = get_varint(v), i;
	struct kube_port *ports = take(v, n * sizeof(*ports), _Alignof(struct kube_port));

	for (i = 0; i < n; i++) {
		char *name = get_str(v);
		uint16_t port = (uint16_t)(v->in[0] << 8 | v->in[1]);
		uint8_t proto = v->in[2];

		v->in += 3;
		if (ports) {
			ports[i].name = name;
			ports[i].port = port;
			ports[i].proto = proto;
		}
	}
	*n_out = n;
	return ports;
}

static void get_service(struct viewer *v, struct kube_service *svc, uint8_t flags)
{
	svc->type = get_u8(v);
	svc->publish_not_ready = flags & F_SVC_NOT_READY;
	svc->cluster_ips = get_ips(v, &svc->n_cluster_ips);
	if (flags & F_SVC_IP_FIRST) {
		svc->cluster_ip = take(v, IP_TEXT_MAX, 1);
		if (svc->cluster_ip)
			kube_ip_format(&svc->cluster_ips[0], svc->cluster_ip, IP_TEXT_MAX);
	} else {
		svc->cluster_ip = get_str_if(v, flags & F_SVC_IP_TEXT);
	}
	svc->external_name = get_str_if(v, flags & F_SVC_EXTERNAL);
	svc->ports = get_ports(v, &svc->n_ports);
}

static void get_slice(struct viewer *v, struct kube_endpointslice *s, uint8_t flags)
{
	uint32_t i;

	s->service_name = get_str_if(v, flags & F_SLICE_SERVICE);
	s->from_endpoints = flags & F_SLICE_FROM_ENDPOINTS;
	s->import_name = get_str_if(v, flags & F_SLICE_IMPORT);
	s->cluster_id = get_str_if(v, flags & F_SLICE_CLUSTER);
	s->n_endpoints = get_varint(v);
	s->endpoints = take(v, s->n_endpoints * sizeof(*s->endpoints),
	                    _Alignof(struct kube_endpoint));
	for (i = 0; i < s->n_endpoints; i++) {
		struct kube_endpoint ep = {0};
		uint8_t e = get_u8(v);

		ep.ready = e & E_READY;
		ep.addrs = get_ips(v, &ep.n_addrs);
		ep.hostname = get_str_if(v, e & E_HOSTNAME);
		ep.target_name = e & E_TARGET_IS_HOSTNAME ? ep.hostname
		                                          : get_str_if(v, e & E_TARGET);
		if (s->endpoints)
			s->endpoints[i] = ep;
	}
	s->ports = get_ports(v, &s->n_ports);
}

static void get_pod(struct viewer *v, struct kube_pod *pod, uint8_t flags)
{
	pod->ips = get_ips(v, &pod->n_ips);
	pod->hostname = get_str_if(v, flags & F_POD_HOSTNAME);
	pod->subdomain = get_str_if(v, flags & F_POD_SUBDOMAIN);
	pod->phase = get_str_if(v, flags & F_POD_PHASE);
}

static struct kube_object *view_objects(struct viewer *v, const char *ns,
                                        const char *name)
{
	struct kube_object *head = NULL, **tail = &head;
	uint8_t flags;

	do {
		struct kube_object o = {0};
		struct kube_object *dst = take(v, sizeof(o), _Alignof(struct kube_object));

		o.kind = get_u8(v);
		flags = get_u8(v);
		o.packed = true; /* not the caller's to free piece by piece */
		o.ns = (char *)(uintptr_t)ns;
		o.name = (char *)(uintptr_t)name;
		switch (o.kind) {
		case KUBE_KIND_SERVICE:
		case KUBE_KIND_SERVICEIMPORT:
			get_service(v, &o.u.svc, flags);
			break;
		case KUBE_KIND_ENDPOINTSLICE:
		case KUBE_KIND_ENDPOINTS:
			get_slice(v, &o.u.slice, flags);
			break;
		case KUBE_KIND_POD:
			get_pod(v, &o.u.pod, flags);
			break;
		default:
			break;
		}
		if (dst) {
			*dst = o;
			*tail = dst;
			tail = &dst->next_subset;
		}
	} while (flags & F_MORE);
	return head;
}

size_t kube_blob_view_size(const uint8_t *blob)
{
	struct viewer v = {blob, NULL, 0};

	view_objects(&v, NULL, NULL);
	return v.at;
}

const struct kube_object *kube_blob_view(const uint8_t *blob, const char *ns,
                                         const char *name, void *scratch)
{
	struct viewer v = {blob, scratch, 0};

	return view_objects(&v, ns, name);
}
