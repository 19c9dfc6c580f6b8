/* answer_synth.c - answers written at query time (see answer_synth.h for
 * which). The compact answers are a few stores each: a record's owner is
 * a pointer to the question (or to an SRV target written just before),
 * its TTL and data are copied from the node; CoreDNS's Kubernetes names
 * without a node are recognised by their shape. */
#include "answer_synth.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "answer_lookup.h"
#include "answer_node.h"
#include "answer_table.h"
#include "dname.h"
#include "records.h"

/* ---- Kubernetes names without a node ------------------------------------- */

/* a-b-c-d.<ns>.pod.<zone>: the label spells the address (kube-dns's
   "insecure" pod records). Returns true and sets ip when it parses. */
static bool pod_address(const uint8_t *name, size_t len, size_t zone_len,
                        struct kube_ip *ip)
{
	char text[64];
	size_t n = name[0], i, dashes = 0, p2, p3;
	bool double_dash = false;

	if (n == 0 || n >= sizeof(text) || 1 + n >= len)
		return false;
	p2 = 1 + n;                       /* namespace label */
	p3 = p2 + 1 + name[p2];           /* "pod" label */
	if (name[p2] == 0 || p3 + 4 > len || name[p3] != 3 ||
	    memcmp(name + p3 + 1, "pod", 3) != 0 || len - (p3 + 4) != zone_len)
		return false;
	for (i = 0; i < n; i++) {
		char c = (char)name[1 + i];
		if (c == '-') {
			dashes++;
			if (i > 0 && name[i] == '-')
				double_dash = true;
		}
		text[i] = c;
	}
	text[n] = '\0';
	if (dashes == 3 && !double_dash) {
		for (i = 0; i < n; i++)
			if (text[i] == '-')
				text[i] = '.';
		return kube_ip_parse(text, ip) == 0 && ip->family == AF_INET;
	}
	for (i = 0; i < n; i++)
		if (text[i] == '-')
			text[i] = ':';
	return kube_ip_parse(text, ip) == 0 && ip->family == AF_INET6;
}

/* Whether name (len bytes, in a zone of zone_len bytes) is <ns>.pod.<zone>. */
static bool is_pod_namespace(const uint8_t *name, size_t len, size_t zone_len)
{
	size_t p2 = 1 + (size_t)name[0];

	return name[0] != 0 && p2 + 4 + zone_len == len && name[p2] == 3 &&
	       memcmp(name + p2 + 1, "pod", 3) == 0;
}

/* Whether <ns>.svc.<zone> exists: insecure pod records still need a
   namespace that does (CoreDNS). ns_label points at the namespace label. */
static bool namespace_exists(const struct answer_table *t, const uint8_t *ns_label,
                             int zone)
{
	uint8_t name[DNAME_MAX];
	const struct answer_zone *z = answer_table_zone(t, (size_t)zone);
	size_t n = (size_t)ns_label[0] + 1, len = n + 4 + z->name_len;

	if (len > DNAME_MAX)
		return false;
	memcpy(name, ns_label, n);
	memcpy(name + n, "\x03svc", 4);
	memcpy(name + n + 4, z->name, z->name_len);
	return answer_table_find(t, name, len) != NULL;
}

/* Whether the label at p (length byte first) is tcp, udp or sctp, with
   or without its underscore: the protocols an SRV name can have. */
static bool proto_label(const uint8_t *p)
{
	const uint8_t *s = p + 1 + (p[1] == '_');
	size_t n = p[0] - (size_t)(p[1] == '_');

	return (n == 3 && (memcmp(s, "tcp", 3) == 0 || memcmp(s, "udp", 3) == 0)) ||
	       (n == 4 && memcmp(s, "sctp", 4) == 0);
}

/* CoreDNS also answers _port._proto names written without one or both
   underscores ("http.tcp.web.ns.svc.zone"), for every type: these names
   exist as the real one does. Only on a miss: writes lname with them to
   out and returns its length (0 when it does not apply); *shift is minus
   the underscores added. The second label must name a protocol, which
   keeps this off the search-path misses (www.example.com.ns.svc...). In
   a multicluster zone two labels without any underscore are an endpoint
   and its cluster, not a port and protocol. */
size_t answer_synth_srv_name(const struct answer_table *t, const uint8_t *lname, size_t len,
                             uint8_t *out, int *shift)
{
	size_t l1 = lname[0], l2, at = 0, added = 0;
	int zone;

	if (l1 == 0 || 1 + l1 >= len)
		return 0;
	l2 = lname[1 + l1];
	if (l2 == 0 || 2 + l1 + l2 >= len || !proto_label(lname + 1 + l1))
		return 0;
	if (lname[1] == '_' && lname[2 + l1] == '_')
		return 0; /* already the real form */
	if (lname[1] != '_' && lname[2 + l1] != '_' &&
	    (zone = answer_table_zone_of(t, lname, len)) >= 0 &&
	    answer_table_zone(t, (size_t)zone)->multicluster)
		return 0;
	if (l1 + 1 > 63 || l2 + 1 > 63)
		return 0;
	out[at++] = (uint8_t)(lname[1] == '_' ? l1 : l1 + 1);
	if (lname[1] != '_') {
		out[at++] = '_';
		added++;
	}
	memcpy(out + at, lname + 1, l1);
	at += l1;
	out[at++] = (uint8_t)(lname[2 + l1] == '_' ? l2 : l2 + 1);
	if (lname[2 + l1] != '_') {
		out[at++] = '_';
		added++;
	}
	memcpy(out + at, lname + 2 + l1, l2);
	at += l2;
	if (at + (len - (2 + l1 + l2)) > DNAME_MAX)
		return 0;
	memcpy(out + at, lname + 2 + l1 + l2, len - (2 + l1 + l2));
	at += len - (2 + l1 + l2);
	*shift = -(int)added;
	return at;
}

/* ---- answers written into the answer_ref --------------------------------- */

/* An answer being written into an answer_ref's scratch. */
struct synth {
	struct answer_ref *ref;
	size_t len;
	uint16_t n; /* records */
};

/* A record's owner (a pointer), type, class IN, TTL and rdlength. */
static uint8_t *synth_head(struct synth *w, uint16_t owner_at, uint16_t type,
                           const uint8_t *ttl, size_t rdlen)
{
	uint8_t *p = w->ref->scratch + w->len;

	p[0] = (uint8_t)(0xC0 | (owner_at >> 8));
	p[1] = (uint8_t)owner_at;
	p[2] = (uint8_t)(type >> 8);
	p[3] = (uint8_t)type;
	p[4] = 0;
	p[5] = 1;
	memcpy(p + 6, ttl, 4);
	p[10] = (uint8_t)(rdlen >> 8);
	p[11] = (uint8_t)rdlen;
	return p + 12;
}

static void synth_end(struct synth *w, size_t bytes)
{
	w->len += bytes;
	w->ref->scratch_ends[w->n++] = (uint16_t)w->len;
}

/* The written records as the answer: the first an in the answer section,
   the rest additional. */
static void synth_found(struct synth *w, uint16_t an)
{
	struct answer_ref *ref = w->ref;

	ref->status = ANSWER_FOUND;
	ref->body.wire = ref->scratch;
	ref->body.len = (uint32_t)w->len;
	ref->body.an = an;
	ref->body.ns = 0;
	ref->body.ar = (uint16_t)(w->n - an);
	ref->body.ends = ref->scratch_ends;
	ref->chase = false;
}

/* The node's addresses of type (A or AAAA), owned by the name at owner_at.
   (Two loops with constant sizes: the copies compile to moves.) */
static void synth_addrs(struct synth *w, const struct compact_view *v, uint16_t type,
                        uint16_t owner_at)
{
	size_t i;

	if (type == RR_TYPE_A) {
		for (i = 0; i < v->n4; i++) {
			memcpy(synth_head(w, owner_at, type, v->ttl, 4), v->a + 4 * i, 4);
			synth_end(w, 12 + 4);
		}
		return;
	}
	for (i = 0; i < v->n6; i++) {
		memcpy(synth_head(w, owner_at, type, v->ttl, 16), v->aaaa + 16 * i, 16);
		synth_end(w, 12 + 16);
	}
}

/* SRV records of the question's name from count rdata heads, all with the
   target target (lower case, target_len bytes), spelled out in each: an SRV
   target is never compressed (RFC 2782). base: the message offset of the
   scratch's first byte. Returns the message offset of the first target,
   which the glue's owners point at. */
static uint16_t synth_srv(struct synth *w, const struct compact_view *v,
                          const uint8_t *heads, size_t count, const uint8_t *target,
                          size_t target_len, size_t base)
{
	uint16_t target_at = (uint16_t)(base + w->len + 18);
	size_t i;

	for (i = 0; i < count; i++) {
		uint8_t *p = synth_head(w, 12, RR_TYPE_SRV, v->ttl, 6 + target_len);

		memcpy(p, heads + 6 * i, 6);
		memcpy(p + 6, target, target_len);
		synth_end(w, 18 + target_len);
	}
	return target_at;
}

/* Writes the answer of compact view v (a compact node's, or a host's) of
   zone number zone, or of its _port._proto name sub, to qtype into ref.
   qname: the name asked, lower case, qlen bytes. */
void answer_synth_compact(const struct answer_table *t, const struct compact_view *v,
                          uint8_t zone, const uint8_t *sub, const uint8_t *qname,
                          size_t qlen, uint16_t qtype, struct answer_ref *ref)
{
	struct synth w = {ref, 0, 0};
	uint16_t an = 0, target_at;

	if (qtype == RR_TYPE_ANY) /* RFC 8482: one RRset, the first type's */
		qtype = sub || (!v->n4 && !v->n6) ? RR_TYPE_SRV : v->n4 ? RR_TYPE_A : RR_TYPE_AAAA;
	if (sub && qtype == RR_TYPE_SRV) {
		size_t prefix = sub[0];
		target_at = synth_srv(&w, v, sub + 2 + prefix, sub[1 + prefix], qname + prefix,
		                      qlen - prefix, 12 + qlen + 4);
		an = w.n;
		synth_addrs(&w, v, RR_TYPE_A, target_at);
		synth_addrs(&w, v, RR_TYPE_AAAA, target_at);
	} else if (!sub && (qtype == RR_TYPE_A || qtype == RR_TYPE_AAAA)) {
		synth_addrs(&w, v, qtype, 12);
		an = w.n;
	} else if (!sub && qtype == RR_TYPE_SRV && v->n_srv) {
		/* The target is the service, the name asked: the glue's owners
		   point at the question, in the client's letter case. */
		synth_srv(&w, v, v->srv, v->n_srv, qname, qlen, 12 + qlen + 4);
		an = w.n;
		synth_addrs(&w, v, RR_TYPE_A, 12);
		synth_addrs(&w, v, RR_TYPE_AAAA, 12);
	}
	if (an == 0) {
		answer_lookup_negative(t, zone, ANSWER_NODATA, ref);
		return;
	}
	synth_found(&w, an);
}

/* The answer of the reverse name lname that node n links (tag: the
   link's): a PTR to n's name or its host's, spelled out as the writer's
   encoder does. */
void answer_synth_link(const struct answer_table *t, const struct answer_node *n,
                       uint32_t tag, const uint8_t *lname, size_t len, uint16_t qtype,
                       struct answer_ref *ref)
{
	struct synth w = {ref, 0, 0};
	const uint8_t *ttl;
	uint8_t *p;
	size_t rdlen;

	if (qtype != RR_TYPE_PTR && qtype != RR_TYPE_ANY) {
		int zone = answer_table_zone_of(t, lname, len); /* links are in a reverse zone */

		answer_lookup_negative(t, zone < 0 ? 0 : zone, ANSWER_NODATA, ref);
		return;
	}
	/* The target straight into the record: scratch has room for it. */
	p = ref->scratch + 12;
	rdlen = answer_table_link_target(t, n, tag, p, &ttl);
	synth_head(&w, 12, RR_TYPE_PTR, ttl, rdlen);
	synth_end(&w, 12 + rdlen);
	synth_found(&w, 1);
	ref->pointer_shift = 0;
}

/* A name with no node of its own: answered by a service's node as one of
   its hosts, synthesised (a pod's name with --pods insecure, and the
   <ns>.pod.<zone> above it), or NXDOMAIN; outside our zones, and reverse
   names we do not know, it belongs to the upstream. */
void answer_synth_without_node(const struct answer_table *t, const uint8_t *lname,
                               size_t len, uint16_t qtype, struct answer_ref *ref)
{
	const struct answer_node *host_of;
	const struct answer_zone *z;
	struct compact_view host;
	bool pods = answer_table_pods_insecure(t);
	int zone;

	zone = answer_table_zone_of(t, lname, len);
	z = zone >= 0 ? answer_table_zone(t, (size_t)zone) : NULL;
	if (!z || z->reverse) {
		/* Reverse names we do not know belong to the upstream
		   (CoreDNS's "fallthrough in-addr.arpa ip6.arpa"). */
		ref->status = ANSWER_OUTSIDE;
		return;
	}
	host_of = answer_table_hosts_at(t, lname, len - z->name_len)
	                  ? answer_table_find_host(t, lname, len, &host)
	                  : NULL;
	if (host_of) {
		answer_synth_compact(t, &host, host_of->zone, NULL, lname, len, qtype, ref);
		ref->pointer_shift = 0;
		return;
	}
	if (pods && pod_address(lname, len, z->name_len, &ref->pod_ip) &&
	    namespace_exists(t, lname + 1 + lname[0], zone)) {
		uint16_t want = ref->pod_ip.family == AF_INET ? RR_TYPE_A : RR_TYPE_AAAA;
		if (qtype == want || qtype == RR_TYPE_ANY) {
			ref->status = ANSWER_POD;
			ref->ttl = answer_table_ttl(t);
			return;
		}
		answer_lookup_negative(t, zone, ANSWER_NODATA, ref);
		return;
	}
	/* <ns>.pod.<zone>: with insecure pod records every name below it
	   exists, so it is an empty non-terminal (RFC 8020), as CoreDNS
	   answers. */
	if (pods && is_pod_namespace(lname, len, z->name_len) && namespace_exists(t, lname, zone)) {
		answer_lookup_negative(t, zone, ANSWER_NODATA, ref);
		return;
	}
	answer_lookup_negative(t, zone, ANSWER_NXDOMAIN, ref);
}
