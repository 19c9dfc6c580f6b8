/* test_pod_map.c - the pod address map of --autopath: IPv4, IPv6 and
 * v4-mapped lookups, the namespace label and node numbers, hostNetwork
 * pods, addresses two pods share, the list's mark and sweep (a list that
 * breaks off too), a randomized run against a reference model (small
 * tables, collisions, backward-shift deletion across the wrap), growth to
 * 150,000 pods with the bytes a pod costs, and readers on other threads
 * while the writer grows, shrinks and churns the tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>

#include <cmocka.h>

#include <urcu.h>

#include "bytemap.h"
#include "kube_object.h"
#include "pod_map.h"

/* ---- pods ---------------------------------------------------------------- */

/* A Pod as kube_object_free frees it: every string its own allocation. */
static struct kube_object *pod_new(const char *ns, const char *name, const char *node,
                                   const char *ip1, const char *ip2, bool host_network)
{
	struct kube_object *o = calloc(1, sizeof(*o));
	size_t n = 0;

	assert_non_null(o);
	o->kind = KUBE_KIND_POD;
	o->ns = strdup(ns);
	o->name = strdup(name);
	assert_non_null(o->ns);
	assert_non_null(o->name);
	if (node) {
		o->u.pod.node_name = strdup(node);
		assert_non_null(o->u.pod.node_name);
	}
	o->u.pod.phase = strdup("Running");
	o->u.pod.ips = calloc(2, sizeof(struct kube_ip));
	assert_non_null(o->u.pod.ips);
	if (ip1)
		assert_int_equal(kube_ip_parse(ip1, &o->u.pod.ips[n++]), 0);
	if (ip2)
		assert_int_equal(kube_ip_parse(ip2, &o->u.pod.ips[n++]), 0);
	o->u.pod.n_ips = (uint16_t)n;
	o->u.pod.host_network = host_network;
	return o;
}

/* The same on the stack, for the bulk tests (never kube_object_free'd). */
struct tpod {
	struct kube_object o;
	struct kube_ip ips[2];
	char ns[80], name[80], node[80];
};

static void tpod_set(struct tpod *p, const char *ns, const char *name, const char *node,
                     const struct kube_ip *ip1, const struct kube_ip *ip2, bool host_network)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->ns, sizeof(p->ns), "%s", ns);
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->o.kind = KUBE_KIND_POD;
	p->o.ns = p->ns;
	p->o.name = p->name;
	if (node) {
		snprintf(p->node, sizeof(p->node), "%s", node);
		p->o.u.pod.node_name = p->node;
	}
	p->o.u.pod.ips = p->ips;
	if (ip1)
		p->ips[p->o.u.pod.n_ips++] = *ip1;
	if (ip2)
		p->ips[p->o.u.pod.n_ips++] = *ip2;
	p->o.u.pod.host_network = host_network;
}

static struct kube_ip ip4(uint32_t host_order)
{
	struct kube_ip ip;

	memset(&ip, 0, sizeof(ip));
	ip.family = AF_INET;
	ip.bytes[0] = (uint8_t)(host_order >> 24);
	ip.bytes[1] = (uint8_t)(host_order >> 16);
	ip.bytes[2] = (uint8_t)(host_order >> 8);
	ip.bytes[3] = (uint8_t)host_order;
	return ip;
}

static struct kube_ip ip6(uint16_t prefix, uint32_t low)
{
	struct kube_ip ip;

	memset(&ip, 0, sizeof(ip));
	ip.family = AF_INET6;
	ip.bytes[0] = (uint8_t)(prefix >> 8);
	ip.bytes[1] = (uint8_t)prefix;
	ip.bytes[12] = (uint8_t)(low >> 24);
	ip.bytes[13] = (uint8_t)(low >> 16);
	ip.bytes[14] = (uint8_t)(low >> 8);
	ip.bytes[15] = (uint8_t)low;
	return ip;
}

/* ---- lookups ------------------------------------------------------------- */

static void sockaddr_of_ip(const struct kube_ip *ip, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ip->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(5353);
		memcpy(&sin->sin_addr, ip->bytes, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(5353);
		memcpy(&sin6->sin6_addr, ip->bytes, 16);
	}
}

static void sockaddr_of(const char *text, struct sockaddr_storage *ss)
{
	struct kube_ip ip;

	assert_int_equal(kube_ip_parse(text, &ip), 0);
	sockaddr_of_ip(&ip, ss);
}

/* Whether the label (length byte, then the label) is ns in lower case. */
static bool label_is(const uint8_t *label, const char *ns)
{
	size_t i, len = strlen(ns);

	if (!label || label[0] != len)
		return false;
	for (i = 0; i < len; i++) {
		char c = ns[i] >= 'A' && ns[i] <= 'Z' ? (char)(ns[i] + 32) : ns[i];
		if (label[1 + i] != (uint8_t)c)
			return false;
	}
	return true;
}

/* A lookup as a query thread makes it; the label is copied out while the
   read-side section lasts (into label, 64 bytes). */
static bool lookup_sa(const struct pod_map *m, const struct sockaddr_storage *ss,
                      uint8_t *label, uint16_t *node)
{
	struct pod_client out = {0};
	bool ok;

	rcu_read_lock();
	ok = pod_map_lookup(m, (const struct sockaddr *)ss, &out);
	if (ok) {
		assert_non_null(out.ns_label);
		assert_true(out.ns_label[0] >= 1 && out.ns_label[0] <= 63);
		memcpy(label, out.ns_label, 1u + out.ns_label[0]);
		*node = out.node;
	}
	rcu_read_unlock();
	return ok;
}

static bool lookup(const struct pod_map *m, const char *text, uint8_t *label, uint16_t *node)
{
	struct sockaddr_storage ss;

	sockaddr_of(text, &ss);
	return lookup_sa(m, &ss, label, node);
}

static bool lookup_ip(const struct pod_map *m, const struct kube_ip *ip, uint8_t *label,
                      uint16_t *node)
{
	struct sockaddr_storage ss;

	sockaddr_of_ip(ip, &ss);
	return lookup_sa(m, &ss, label, node);
}

/* text is found, of namespace ns; returns its node number */
static uint16_t expect_pod(const struct pod_map *m, const char *text, const char *ns)
{
	uint8_t label[64];
	uint16_t node = 0xFFFF;

	if (!lookup(m, text, label, &node))
		fail_msg("%s: not found, expected a pod of %s", text, ns);
	if (!label_is(label, ns))
		fail_msg("%s: namespace label %.*s, expected %s", text, label[0],
		         (const char *)label + 1, ns);
	return node;
}

static void expect_unknown(const struct pod_map *m, const char *text)
{
	uint8_t label[64];
	uint16_t node;

	if (lookup(m, text, label, &node))
		fail_msg("%s: found (namespace %.*s), expected unknown", text, label[0],
		         (const char *)label + 1);
}

static struct pod_map *map_synced(void)
{
	struct pod_map *m = pod_map_new();

	assert_non_null(m);
	pod_map_set_synced(m);
	return m;
}

/* A map for the tests that may stop at a failure: the teardown frees it. */
static int map_setup(void **state)
{
	*state = map_synced();
	return *state ? 0 : -1;
}

static int map_teardown(void **state)
{
	pod_map_free(*state);
	return 0;
}

/* ---- basics -------------------------------------------------------------- */

static void test_put_lookup(void **state)
{
	struct pod_map *m = pod_map_new();
	struct kube_object *a = pod_new("default", "a", "node-1", "10.1.2.3", "fd00::5", false);
	struct kube_object *b = pod_new("web", "b", "node-1", "10.1.2.4", NULL, false);
	struct sockaddr_storage ss;
	struct pod_client out;
	(void)state;

	assert_non_null(m);
	assert_int_equal(pod_map_count(m), 0);
	assert_int_equal(pod_map_put(m, a), 0);
	assert_int_equal(pod_map_put(m, b), 0);
	assert_int_equal(pod_map_count(m), 3);

	/* not synced: nobody is known yet */
	expect_unknown(m, "10.1.2.3");
	expect_unknown(m, "fd00::5");
	expect_unknown(m, "::ffff:10.1.2.3");
	pod_map_set_synced(m);

	expect_pod(m, "10.1.2.3", "default");
	expect_pod(m, "fd00::5", "default");
	expect_pod(m, "::ffff:10.1.2.3", "default"); /* v4-mapped: the IPv4 key */
	expect_pod(m, "10.1.2.4", "web");
	expect_pod(m, "::ffff:10.1.2.4", "web");
	expect_unknown(m, "10.1.2.5");
	expect_unknown(m, "3.10.2.1"); /* byte order */
	expect_unknown(m, "::ffff:10.1.2.5");
	expect_unknown(m, "fd00::6");
	expect_unknown(m, "::10.1.2.3");  /* v4-compatible is not v4-mapped */
	expect_unknown(m, "fd00::5:0");
	expect_unknown(m, "0.0.0.0");
	expect_unknown(m, "::");
	expect_unknown(m, "::ffff:0.0.0.0");

	/* a family the map does not know */
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	assert_false(pod_map_lookup(m, (const struct sockaddr *)&ss, &out));
	/* no map */
	sockaddr_of("10.1.2.3", &ss);
	assert_false(pod_map_lookup(NULL, (const struct sockaddr *)&ss, &out));

	/* putting the same pod again changes nothing */
	assert_int_equal(pod_map_put(m, a), 0);
	assert_int_equal(pod_map_count(m), 3);
	expect_pod(m, "10.1.2.3", "default");

	assert_int_equal(pod_map_remove(m, a), 2);
	assert_int_equal(pod_map_count(m), 1);
	expect_unknown(m, "10.1.2.3");
	expect_unknown(m, "fd00::5");
	expect_unknown(m, "::ffff:10.1.2.3");
	expect_pod(m, "10.1.2.4", "web");
	assert_int_equal(pod_map_remove(m, a), 0); /* gone already */
	assert_int_equal(pod_map_remove(m, b), 1);
	assert_int_equal(pod_map_count(m), 0);
	expect_unknown(m, "10.1.2.4");

	kube_object_free(a);
	kube_object_free(b);
	pod_map_free(m);
	pod_map_free(NULL);
}

static void test_not_a_pod_or_no_address(void **state)
{
	struct pod_map *m = map_synced();
	struct kube_object *none = pod_new("default", "pending", "node-1", NULL, NULL, false);
	struct kube_object *svc = pod_new("default", "svc", NULL, "10.9.9.9", NULL, false);
	struct kube_object *zero = pod_new("default", "zero", NULL, "0.0.0.0", "::", false);
	(void)state;

	svc->kind = KUBE_KIND_SERVICE; /* pod_new's fields: free it as a pod */
	assert_int_equal(pod_map_put(m, none), 0);
	assert_int_equal(pod_map_put(m, svc), 0);
	assert_int_equal(pod_map_put(m, zero), 0);
	assert_int_equal(pod_map_count(m), 0);
	expect_unknown(m, "10.9.9.9");
	assert_int_equal(pod_map_remove(m, svc), 0);
	assert_int_equal(pod_map_remove(m, none), 0);
	svc->kind = KUBE_KIND_POD;
	kube_object_free(none);
	kube_object_free(svc);
	kube_object_free(zero);
	pod_map_free(m);
}

static void test_namespace_label_and_nodes(void **state)
{
	static const char ns63[] =
		"a23456789012345678901234567890123456789012345678901234567890123";
	static const char ns64[] =
		"a234567890123456789012345678901234567890123456789012345678901234";
	struct pod_map *m = map_synced();
	struct kube_object *p[6];
	uint16_t n0, n1, n2, n3, n4;
	int i;
	(void)state;

	p[0] = pod_new("kube-system", "dns", "node-a", "10.0.0.1", NULL, false);
	p[1] = pod_new("Mixed-Case", "x", "node-b", "10.0.0.2", NULL, false);
	p[2] = pod_new("kube-system", "proxy", "node-a", "10.0.0.3", NULL, false);
	p[3] = pod_new(ns63, "long", "node-c", "10.0.0.4", "fd00::4", false);
	p[4] = pod_new("kube-system", "nonode", NULL, "10.0.0.5", NULL, false);
	p[5] = pod_new(ns64, "toolong", "node-d", "10.0.0.6", NULL, false);
	for (i = 0; i < 5; i++)
		assert_int_equal(pod_map_put(m, p[i]), 0);
	/* a namespace longer than a label cannot be a search path's */
	assert_int_equal(pod_map_put(m, p[5]), -1);
	expect_unknown(m, "10.0.0.6");
	assert_int_equal(pod_map_count(m), 6);

	n0 = expect_pod(m, "10.0.0.1", "kube-system");
	n1 = expect_pod(m, "10.0.0.2", "mixed-case"); /* lower-cased */
	n2 = expect_pod(m, "10.0.0.3", "kube-system");
	n3 = expect_pod(m, "fd00::4", ns63);
	n4 = expect_pod(m, "10.0.0.5", "kube-system");
	assert_int_equal(expect_pod(m, "10.0.0.4", ns63), n3);
	assert_int_equal(n0, n2); /* the same node, the same number */
	assert_int_not_equal(n0, n1);
	assert_int_not_equal(n0, n3);
	assert_int_not_equal(n1, n3);
	assert_true(n0 <= 0x7FFF && n1 <= 0x7FFF && n3 <= 0x7FFF && n4 <= 0x7FFF);
	printf("node numbers: node-a %u, node-b %u, node-c %u, no node %u\n", n0, n1, n3, n4);

	/* the pod moves to another node (a new pod object, same name) */
	kube_object_free(p[0]);
	p[0] = pod_new("kube-system", "dns", "node-b", "10.0.0.1", NULL, false);
	assert_int_equal(pod_map_put(m, p[0]), 0);
	assert_int_equal(expect_pod(m, "10.0.0.1", "kube-system"), n1);
	assert_int_equal(pod_map_count(m), 6);

	for (i = 0; i < 6; i++)
		kube_object_free(p[i]);
	pod_map_free(m);
}

static void test_host_network(void **state)
{
	struct pod_map *m = map_synced();
	struct kube_object *host = pod_new("kube-system", "kube-proxy-x", "node-1", "192.168.1.10",
	                                   "fd00:1::10", true);
	struct kube_object *a = pod_new("default", "a", "node-1", "10.0.0.7", "fd00::7", false);
	struct kube_object *a_host = pod_new("default", "a", "node-1", "10.0.0.7", "fd00::7", true);
	struct kube_object *b = pod_new("default", "b", "node-1", "10.0.0.8", NULL, false);
	struct kube_object *other_host =
		pod_new("kube-system", "agent", "node-1", "10.0.0.8", NULL, true);
	(void)state;

	assert_int_equal(pod_map_put(m, host), 0);
	assert_int_equal(pod_map_count(m), 0);
	expect_unknown(m, "192.168.1.10");
	expect_unknown(m, "fd00:1::10");

	/* a pod put before its hostNetwork was seen goes when it is */
	assert_int_equal(pod_map_put(m, a), 0);
	expect_pod(m, "10.0.0.7", "default");
	expect_pod(m, "fd00::7", "default");
	assert_int_equal(pod_map_put(m, a_host), 0);
	expect_unknown(m, "10.0.0.7");
	expect_unknown(m, "fd00::7");
	assert_int_equal(pod_map_count(m), 0);

	/* another pod's hostNetwork on the same address leaves b alone */
	assert_int_equal(pod_map_put(m, b), 0);
	assert_int_equal(pod_map_put(m, other_host), 0);
	expect_pod(m, "10.0.0.8", "default");
	assert_int_equal(pod_map_count(m), 1);

	kube_object_free(host);
	kube_object_free(a);
	kube_object_free(a_host);
	kube_object_free(b);
	kube_object_free(other_host);
	pod_map_free(m);
}

/* ---- shared addresses ---------------------------------------------------- */

static void test_shared(void **state)
{
	struct pod_map *m = map_synced();
	struct kube_object *a = pod_new("ns-a", "a", "node-a", "10.0.0.9", "fd00::a", false);
	struct kube_object *a2 = pod_new("ns-a", "a", "node-c", "10.0.0.9", "fd00::a", false);
	struct kube_object *b = pod_new("ns-b", "b", "node-b", "10.0.0.9", "fd00::9", false);
	struct kube_object *c = pod_new("ns-c", "c", "node-c", "10.0.0.9", "fd00::9", false);
	struct kube_object *stranger = pod_new("ns-d", "d", NULL, "10.0.0.9", NULL, false);
	uint16_t node_b, node_c;
	(void)state;

	assert_int_equal(pod_map_put(m, a), 0);
	assert_int_equal(pod_map_put(m, b), 0);
	node_b = expect_pod(m, "fd00::9", "ns-b");
	expect_unknown(m, "10.0.0.9");
	expect_unknown(m, "::ffff:10.0.0.9");
	expect_pod(m, "fd00::a", "ns-a");
	assert_int_equal(pod_map_count(m), 3); /* addresses, a shared one once */

	/* an update of a sharer keeps it shared */
	assert_int_equal(pod_map_put(m, a2), 0);
	assert_int_equal(pod_map_put(m, b), 0);
	expect_unknown(m, "10.0.0.9");
	assert_int_equal(pod_map_count(m), 3);

	/* a pod that holds no part of it removes nothing */
	assert_int_equal(pod_map_remove(m, stranger), 0);
	expect_unknown(m, "10.0.0.9");

	/* a leaves (by object): b holds it alone again, its own node too */
	assert_int_equal(pod_map_remove(m, a2), 2);
	assert_int_equal(expect_pod(m, "10.0.0.9", "ns-b"), node_b);
	expect_pod(m, "::ffff:10.0.0.9", "ns-b");
	expect_unknown(m, "fd00::a");
	assert_int_equal(pod_map_count(m), 2);

	/* a comes back, b leaves: a holds it again */
	assert_int_equal(pod_map_put(m, a2), 0);
	expect_unknown(m, "10.0.0.9");
	assert_int_equal(pod_map_remove(m, b), 2);
	node_c = expect_pod(m, "10.0.0.9", "ns-a");
	expect_pod(m, "fd00::a", "ns-a");
	expect_unknown(m, "fd00::9");
	assert_int_equal(pod_map_count(m), 2);

	/* three at once, on both families */
	assert_int_equal(pod_map_put(m, b), 0);
	assert_int_equal(pod_map_put(m, c), 0);
	expect_unknown(m, "10.0.0.9");
	expect_unknown(m, "fd00::9");
	assert_int_equal(pod_map_count(m), 3);
	assert_int_equal(pod_map_remove(m, b), 2);
	expect_unknown(m, "10.0.0.9");           /* a and c */
	assert_int_equal(expect_pod(m, "fd00::9", "ns-c"), node_c);
	assert_int_equal(pod_map_remove(m, c), 2);
	expect_pod(m, "10.0.0.9", "ns-a");
	expect_unknown(m, "fd00::9");
	assert_int_equal(pod_map_count(m), 2);
	assert_int_equal(pod_map_remove(m, a2), 2);
	assert_int_equal(pod_map_count(m), 0);
	expect_unknown(m, "10.0.0.9");

	/* a hostNetwork update of a sharer takes it out of the sharing */
	assert_int_equal(pod_map_put(m, a), 0);
	assert_int_equal(pod_map_put(m, b), 0);
	a->u.pod.host_network = true;
	assert_int_equal(pod_map_put(m, a), 0);
	expect_pod(m, "10.0.0.9", "ns-b");
	assert_int_equal(pod_map_count(m), 2);

	kube_object_free(a);
	kube_object_free(a2);
	kube_object_free(b);
	kube_object_free(c);
	kube_object_free(stranger);
	pod_map_free(m);
}

/* ---- the list's mark and sweep ------------------------------------------- */

#define LIST_PODS 40

static void list_pod(struct tpod *p, int i)
{
	char name[32];
	/* 30 and 31 share an address; every third pod is dual-stack */
	struct kube_ip a = ip4(0x0A200000u + (uint32_t)(i == 31 ? 30 : i) + 1);
	struct kube_ip b = ip6(0xfd00, (uint32_t)i + 1);

	snprintf(name, sizeof(name), "p%d", i);
	tpod_set(p, i % 2 ? "odd" : "even", name, "node", &a, i % 3 == 0 ? &b : NULL, false);
}

/* Each pod's addresses found exactly when present says, and the count;
   30 and 31's address is found when one of them holds it. */
static void expect_listed(struct pod_map *m, const bool *present, const char *when)
{
	size_t addresses = 0;
	int i;

	for (i = 0; i < LIST_PODS; i++) {
		struct tpod p;
		uint8_t label[64];
		uint16_t node;
		int holder = i;
		bool want = present[i];

		if (i == 30 || i == 31) {
			want = present[30] != present[31];
			holder = present[30] ? 30 : 31;
		}
		list_pod(&p, i);
		if (lookup_ip(m, &p.ips[0], label, &node) != want)
			fail_msg("%s: pod %d: %s, expected %s", when, i, want ? "unknown" : "found",
			         want ? "found" : "unknown");
		if (want && !label_is(label, holder % 2 ? "odd" : "even"))
			fail_msg("%s: pod %d: wrong namespace", when, i);
		if (p.o.u.pod.n_ips == 2 && lookup_ip(m, &p.ips[1], label, &node) != present[i])
			fail_msg("%s: pod %d (IPv6): %s", when, i,
			         present[i] ? "unknown" : "found");
		if (present[i])
			addresses += p.o.u.pod.n_ips;
	}
	if (present[30] && present[31])
		addresses--;
	if (pod_map_count(m) != addresses)
		fail_msg("%s: pod_map_count %zu, expected %zu", when, pod_map_count(m), addresses);
}

static size_t addresses_of(int i)
{
	return i % 3 == 0 ? 2 : 1;
}

static void test_list_sweep(void **state)
{
	struct pod_map *m = map_synced();
	bool present[LIST_PODS] = {false}, all[LIST_PODS];
	struct tpod p;
	size_t gone_want;
	int i, round;
	(void)state;

	for (i = 0; i < LIST_PODS; i++) {
		list_pod(&p, i);
		assert_int_equal(pod_map_put(m, &p.o), 0);
		present[i] = true;
	}
	expect_listed(m, present, "all put");

	/* several rounds: the mark flips each time */
	for (round = 0; round < 4; round++) {
		/* list every pod but those i % 4 == round */
		bool before[LIST_PODS];
		memcpy(before, present, sizeof(before));
		pod_map_list_begin(m);
		gone_want = 0;
		for (i = 0; i < LIST_PODS; i++) {
			if (i % 4 == round) {
				if (present[i])
					gone_want += addresses_of(i);
				present[i] = false;
				continue;
			}
			list_pod(&p, i);
			assert_int_equal(pod_map_put(m, &p.o), 0);
			present[i] = true;
		}
		/* until the end nothing goes */
		for (i = 0; i < LIST_PODS; i++)
			before[i] = before[i] || present[i];
		expect_listed(m, before, "before the list ends");
		assert_int_equal(pod_map_list_end(m), gone_want);
		expect_listed(m, present, "after the list");
		/* a watch event between lists: stays until the next list */
		list_pod(&p, round);
		assert_int_equal(pod_map_put(m, &p.o), 0);
		present[round] = true;
		expect_listed(m, present, "a watch event after the list");
	}

	/* a list that breaks off: begin, some, begin again, others, end.
	   What either part put stays; exactly the rest goes. */
	for (i = 0; i < LIST_PODS; i++) {
		list_pod(&p, i);
		assert_int_equal(pod_map_put(m, &p.o), 0);
		present[i] = true;
	}
	pod_map_list_begin(m);
	for (i = 0; i < 20; i++) {
		list_pod(&p, i);
		assert_int_equal(pod_map_put(m, &p.o), 0);
	}
	pod_map_list_begin(m); /* the list broke off and starts again */
	gone_want = 0;
	for (i = 0; i < LIST_PODS; i++) {
		bool again = i >= 10 && (i % 2 == 0 || i == 31);
		if (again) {
			list_pod(&p, i);
			assert_int_equal(pod_map_put(m, &p.o), 0);
		}
		if (i >= 20 && !again) {
			gone_want += addresses_of(i);
			present[i] = false;
		}
	}
	for (i = 0; i < LIST_PODS; i++)
		all[i] = true;
	expect_listed(m, all, "broken list, before its end");
	assert_int_equal(pod_map_list_end(m), gone_want);
	expect_listed(m, present, "broken list, after its end");

	/* an empty list empties the map */
	pod_map_list_begin(m);
	gone_want = 0;
	for (i = 0; i < LIST_PODS; i++)
		if (present[i])
			gone_want += addresses_of(i);
	assert_int_equal(pod_map_list_end(m), gone_want);
	memset(present, 0, sizeof(present));
	expect_listed(m, present, "empty list");
	assert_int_equal(pod_map_count(m), 0);
	pod_map_free(m);
}

/* A list that keeps few of many pods gives the memory back, and every
   pod it kept is still found (the tables are rebuilt smaller). */
static void test_list_shrinks(void **state)
{
	struct pod_map *m = map_synced();
	struct tpod p;
	size_t big;
	int i;
	(void)state;

	for (i = 0; i < 20000; i++) {
		char name[32];
		struct kube_ip a = ip4(0x0A400000u + (uint32_t)i + 1), b = ip6(0xfd01, (uint32_t)i + 1);
		snprintf(name, sizeof(name), "p%d", i);
		tpod_set(&p, "big", name, "n", &a, &b, false);
		assert_int_equal(pod_map_put(m, &p.o), 0);
	}
	assert_int_equal(pod_map_count(m), 40000);
	big = pod_map_bytes(m);
	pod_map_list_begin(m);
	for (i = 0; i < 20000; i += 100) {
		char name[32];
		struct kube_ip a = ip4(0x0A400000u + (uint32_t)i + 1), b = ip6(0xfd01, (uint32_t)i + 1);
		snprintf(name, sizeof(name), "p%d", i);
		tpod_set(&p, "big", name, "n", &a, &b, false);
		assert_int_equal(pod_map_put(m, &p.o), 0);
	}
	assert_int_equal(pod_map_list_end(m), 40000 - 400);
	assert_int_equal(pod_map_count(m), 400);
	assert_true(pod_map_bytes(m) * 10 < big);
	for (i = 0; i < 20000; i++) {
		struct kube_ip a = ip4(0x0A400000u + (uint32_t)i + 1), b = ip6(0xfd01, (uint32_t)i + 1);
		uint8_t label[64];
		uint16_t node;
		bool want = i % 100 == 0;
		assert_true(lookup_ip(m, &a, label, &node) == want);
		assert_true(lookup_ip(m, &b, label, &node) == want);
		if (want)
			assert_true(label_is(label, "big"));
	}
	pod_map_free(m);
}

/* ---- randomized, against a reference model ------------------------------- */

static uint64_t rng_state;

static uint32_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return (uint32_t)(x >> 32);
}

static uint32_t rnd_below(uint32_t n)
{
	return (uint32_t)(((uint64_t)rnd() * n) >> 32);
}

/* The map tells two pods on one address apart by a 16-bit tag of
   "namespace/name" (pod_map.c's name_tag): the model keeps to pods whose
   tags differ, so that its answers are exact. */
static uint16_t tag_of(const char *ns, const char *name)
{
	char buf[200];
	int n = snprintf(buf, sizeof(buf), "%s/%s", ns, name);

	return (uint16_t)bytemap_hash(buf, (size_t)n);
}

#define MODEL_MAX_PODS 400
#define MODEL_NODES 7

struct mpod {
	char ns[16], name[16];
	bool present;  /* in the map */
	bool dual;     /* an IPv6 address too */
	uint32_t v4, v6; /* indices into the pools */
	int node;      /* -1: none */
	bool listed;
};

struct model {
	struct mpod pods[MODEL_MAX_PODS];
	int n_pods;
	uint32_t n_v4, n_v6; /* pool sizes */
	int node_number[MODEL_NODES]; /* the map's number, -1 until seen */
};

static struct kube_ip pool_v4(uint32_t i)
{
	/* spread over a /16: the hash decides where they land */
	return ip4(0x0A000000u + ((i / 250) << 8) + (i % 250) + 1);
}

static struct kube_ip pool_v6(uint32_t i)
{
	return ip6(0xfd00, i * 7 + 1);
}

static void mpod_object(const struct mpod *mp, struct tpod *p, bool host)
{
	char node[16];
	struct kube_ip a = pool_v4(mp->v4), b = pool_v6(mp->v6);

	snprintf(node, sizeof(node), "node-%d", mp->node);
	tpod_set(p, mp->ns, mp->name, mp->node >= 0 ? node : NULL, &a, mp->dual ? &b : NULL,
	         host);
}

static size_t mpod_addresses(const struct mpod *mp)
{
	return mp->dual ? 2 : 1;
}

static void model_init(struct model *md, int n_pods, uint32_t n_v4, uint32_t n_v6)
{
	uint16_t *tags = calloc(65536, sizeof(*tags));
	int i, tried;

	assert_non_null(tags);
	memset(md, 0, sizeof(*md));
	md->n_v4 = n_v4;
	md->n_v6 = n_v6;
	for (i = 0; i < MODEL_NODES; i++)
		md->node_number[i] = -1;
	for (tried = 0; md->n_pods < n_pods && tried < 10 * n_pods; tried++) {
		struct mpod *mp = &md->pods[md->n_pods];
		uint16_t tag;
		snprintf(mp->ns, sizeof(mp->ns), "ns%d", tried % 13);
		snprintf(mp->name, sizeof(mp->name), "pod-%d", tried);
		tag = tag_of(mp->ns, mp->name);
		if (tags[tag])
			continue; /* the map could not tell it from another */
		tags[tag] = 1;
		md->n_pods++;
	}
	assert_int_equal(md->n_pods, n_pods);
	free(tags);
}

/* A node keeps the number the map gave it first, and no two nodes have
   the same (a pod without a node: any number). */
static void model_node_check(struct model *md, int node, uint16_t got, const char *where)
{
	int k;

	if (node < 0)
		return;
	if (md->node_number[node] < 0) {
		for (k = 0; k < MODEL_NODES; k++)
			if (md->node_number[k] == got)
				fail_msg("%s: node-%d has node-%d's number %u", where, node, k, got);
		md->node_number[node] = got;
	} else if (md->node_number[node] != got) {
		fail_msg("%s: node-%d is %u, was %d", where, node, got, md->node_number[node]);
	}
}

static void model_put(struct model *md, struct pod_map *m, struct mpod *mp)
{
	struct tpod p;
	bool host;

	if (!mp->present) {
		/* a new pod: new addresses */
		mp->v4 = rnd_below(md->n_v4);
		mp->dual = rnd_below(3) == 0;
		mp->v6 = rnd_below(md->n_v6);
	}
	mp->node = (int)rnd_below(MODEL_NODES + 1) - 1;
	host = rnd_below(20) == 0;
	mpod_object(mp, &p, host);
	assert_int_equal(pod_map_put(m, &p.o), 0);
	if (host) {
		mp->present = false; /* never mapped, or unmapped now */
		return;
	}
	mp->present = true;
	mp->listed = true;
}

static void model_remove(struct pod_map *m, struct mpod *mp)
{
	struct tpod p;
	size_t want = mp->present ? mpod_addresses(mp) : 0, got;

	mpod_object(mp, &p, false);
	got = pod_map_remove(m, &p.o);
	if (got != want)
		fail_msg("remove %s/%s: %zu addresses went, expected %zu", mp->ns, mp->name, got,
		         want);
	mp->present = false;
}

/* Every address of the pools: who the map says, who the model says. */
static void model_check(struct model *md, struct pod_map *m, uint32_t *holders4,
                        uint32_t *holders6, int *who4, int *who6)
{
	size_t count = 0;
	uint32_t i;
	int k;

	memset(holders4, 0, md->n_v4 * sizeof(*holders4));
	memset(holders6, 0, md->n_v6 * sizeof(*holders6));
	for (k = 0; k < md->n_pods; k++) {
		const struct mpod *mp = &md->pods[k];
		if (!mp->present)
			continue;
		holders4[mp->v4]++;
		who4[mp->v4] = k;
		if (mp->dual) {
			holders6[mp->v6]++;
			who6[mp->v6] = k;
		}
	}
	for (i = 0; i < md->n_v4 + md->n_v6; i++) {
		bool v6 = i >= md->n_v4;
		uint32_t j = v6 ? i - md->n_v4 : i;
		uint32_t holders = v6 ? holders6[j] : holders4[j];
		struct kube_ip ip = v6 ? pool_v6(j) : pool_v4(j);
		uint8_t label[64];
		uint16_t node;
		bool found = lookup_ip(m, &ip, label, &node);
		char text[64];

		if (holders)
			count++;
		kube_ip_format(&ip, text, sizeof(text));
		if (found != (holders == 1))
			fail_msg("%s: %s, held by %u pods", text, found ? "found" : "unknown",
			         holders);
		if (found) {
			const struct mpod *mp = &md->pods[v6 ? who6[j] : who4[j]];
			if (!label_is(label, mp->ns))
				fail_msg("%s: namespace %.*s, expected %s", text, label[0],
				         (const char *)label + 1, mp->ns);
			model_node_check(md, mp->node, node, text);
		}
		if (!v6) {
			/* the same through a v4-mapped IPv6 address */
			struct sockaddr_storage ss;
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
			memset(&ss, 0, sizeof(ss));
			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr.s6_addr[10] = 0xFF;
			sin6->sin6_addr.s6_addr[11] = 0xFF;
			memcpy(&sin6->sin6_addr.s6_addr[12], ip.bytes, 4);
			if (lookup_sa(m, &ss, label, &node) != found)
				fail_msg("::ffff:%s: differs from %s", text, text);
		}
	}
	if (pod_map_count(m) != count)
		fail_msg("pod_map_count %zu, the model holds %zu addresses", pod_map_count(m), count);
}

/* A full list: some pods listed again, some new ones, maybe broken off
   and started again; the rest must go. */
static void model_list(struct model *md, struct pod_map *m)
{
	size_t gone_want = 0, gone;
	int k, part, parts = rnd_below(3) == 0 ? 2 : 1;
	uint32_t keep = 50 + rnd_below(50);

	for (k = 0; k < md->n_pods; k++)
		md->pods[k].listed = false;
	for (part = 0; part < parts; part++) {
		pod_map_list_begin(m);
		for (k = 0; k < md->n_pods; k++) {
			struct mpod *mp = &md->pods[k];
			if (mp->present ? rnd_below(100) < keep : rnd_below(10) == 0)
				model_put(md, m, mp);
			/* a watch event that removes during the list */
			if (rnd_below(50) == 0)
				model_remove(m, mp);
		}
	}
	for (k = 0; k < md->n_pods; k++) {
		struct mpod *mp = &md->pods[k];
		if (mp->present && !mp->listed) {
			gone_want += mpod_addresses(mp);
			mp->present = false;
		}
	}
	gone = pod_map_list_end(m);
	if (gone != gone_want)
		fail_msg("list end: %zu addresses went, expected %zu", gone, gone_want);
}

static void run_model(int n_pods, uint32_t n_v4, uint32_t n_v6, int batches, int batch)
{
	struct model *md = calloc(1, sizeof(*md));
	struct pod_map *m = map_synced();
	uint32_t *holders4, *holders6;
	int *who4, *who6;
	int b, i, k;

	assert_non_null(md);
	model_init(md, n_pods, n_v4, n_v6);
	holders4 = calloc(n_v4, sizeof(*holders4));
	holders6 = calloc(n_v6, sizeof(*holders6));
	who4 = calloc(n_v4, sizeof(*who4));
	who6 = calloc(n_v6, sizeof(*who6));
	assert_true(holders4 && holders6 && who4 && who6);
	for (b = 0; b < batches; b++) {
		/* phases: fill up, churn, drain, so the tables grow and shrink */
		int phase = (b * 3 / batches);
		for (i = 0; i < batch; i++) {
			struct mpod *mp = &md->pods[rnd_below((uint32_t)md->n_pods)];
			uint32_t r = rnd_below(100);
			uint32_t put_pct = phase == 0 ? 75 : phase == 1 ? 50 : 25;
			if (r < put_pct)
				model_put(md, m, mp);
			else
				model_remove(m, mp);
		}
		if (rnd_below(25) == 0)
			model_list(md, m);
		model_check(md, m, holders4, holders6, who4, who6);
	}
	/* everything out: the map is empty */
	for (k = 0; k < md->n_pods; k++)
		if (md->pods[k].present) {
			struct tpod p;
			mpod_object(&md->pods[k], &p, false);
			if (pod_map_remove(m, &p.o) != mpod_addresses(&md->pods[k]))
				fail_msg("final remove of %s", md->pods[k].name);
			md->pods[k].present = false;
		}
	model_check(md, m, holders4, holders6, who4, who6);
	assert_int_equal(pod_map_count(m), 0);
	free(holders4);
	free(holders6);
	free(who4);
	free(who6);
	free(md);
	pod_map_free(m);
}

/* A small table filled up to where it would grow, then emptied in a
   random order with every address checked after each removal: clusters
   that run over the end of the array are shifted back across it. */
#define FULL_SMALL 54

static void test_full_small_table(void **state)
{
	uint32_t addr[FULL_SMALL];
	bool present[FULL_SMALL];
	int trial, i, j, fam;
	(void)state;

	rng_state = 0x5DEECE66DDEECE66ull;
	for (trial = 0; trial < 300; trial++) {
		struct pod_map *m = map_synced();
		int order[FULL_SMALL];
		for (i = 0; i < FULL_SMALL; i++) {
			/* distinct: the index in the low byte */
			addr[i] = (rnd() & 0x00FFFF00u) | 0x0A000000u | (uint32_t)(i + 1);
			present[i] = true;
			order[i] = i;
		}
		for (i = FULL_SMALL - 1; i > 0; i--) {
			int k = (int)rnd_below((uint32_t)i + 1), t = order[i];
			order[i] = order[k];
			order[k] = t;
		}
		for (fam = 0; fam < 2; fam++) {
			for (i = 0; i < FULL_SMALL; i++) {
				struct tpod p;
				char name[16];
				struct kube_ip a = fam ? ip6(0xfd10, addr[i]) : ip4(addr[i]);
				snprintf(name, sizeof(name), "f%d", i);
				tpod_set(&p, name[1] & 1 ? "one" : "two", name, NULL, &a, NULL, false);
				assert_int_equal(pod_map_put(m, &p.o), 0);
				present[i] = true;
			}
			for (i = 0; i < FULL_SMALL; i++) {
				struct tpod p;
				char name[16];
				int victim = order[i];
				struct kube_ip a = fam ? ip6(0xfd10, addr[victim]) : ip4(addr[victim]);
				snprintf(name, sizeof(name), "f%d", victim);
				tpod_set(&p, name[1] & 1 ? "one" : "two", name, NULL, &a, NULL, false);
				assert_int_equal(pod_map_remove(m, &p.o), 1);
				present[victim] = false;
				for (j = 0; j < FULL_SMALL; j++) {
					struct kube_ip b = fam ? ip6(0xfd10, addr[j]) : ip4(addr[j]);
					uint8_t label[64];
					uint16_t node;
					if (lookup_ip(m, &b, label, &node) != present[j])
						fail_msg("trial %d: after removing %d of %d, address %d %s",
						         trial, i + 1, FULL_SMALL, j,
						         present[j] ? "is lost" : "is still there");
				}
				assert_int_equal(pod_map_count(m), (size_t)(FULL_SMALL - i - 1));
			}
		}
		pod_map_free(m);
	}
}

static void test_random_small(void **state)
{
	(void)state;
	rng_state = 0x9E3779B97F4A7C15ull;
	/* 64-slot tables all along (they grow past 54 addresses, and the
	   pools have 54 of a family): long clusters, and deletions that
	   shift slots back across the end of the array */
	run_model(80, 54, 54, 3000, 8);
	rng_state = 0x0123456789ABCDEFull;
	run_model(30, 40, 40, 2000, 6);
	/* everyone on a handful of addresses: sharing all the time */
	rng_state = 0xDEADBEEFCAFEF00Dull;
	run_model(40, 6, 3, 1000, 5);
}

static void test_random_growing(void **state)
{
	(void)state;
	rng_state = 0xA5A5A5A55A5A5A5Aull;
	/* up to a few thousand addresses: grows past 64 slots and shrinks
	   back at list ends */
	run_model(MODEL_MAX_PODS, 600, 300, 300, 40);
}

/* ---- growth: 150,000 pods ------------------------------------------------ */

#define BIG_PODS 150000

static void big_pod(struct tpod *p, int i, bool host)
{
	char ns[16], name[24], node[16];
	uint32_t n = (uint32_t)i + 1;
	struct kube_ip a = ip4(0x0A000000u | n); /* 10.x.y.z */

	snprintf(ns, sizeof(ns), "ns-%d", i % 100);
	snprintf(name, sizeof(name), "pod-%d", i);
	snprintf(node, sizeof(node), "node-%d", i % 1000);
	tpod_set(p, ns, name, node, &a, NULL, host);
}

static void test_growth_150k(void **state)
{
	struct pod_map *m = map_synced();
	struct tpod p;
	double per_pod;
	int i, node_number[1000], *node_of = malloc(65536 * sizeof(int));
	(void)state;

	assert_non_null(node_of);
	for (i = 0; i < 1000; i++)
		node_number[i] = -1;
	for (i = 0; i < 65536; i++)
		node_of[i] = -1;

	for (i = 0; i < BIG_PODS; i++) {
		big_pod(&p, i, false);
		assert_int_equal(pod_map_put(m, &p.o), 0);
	}
	assert_int_equal(pod_map_count(m), BIG_PODS);
	per_pod = (double)pod_map_bytes(m) / (double)pod_map_count(m);
	printf("pod_map at %d IPv4 pods in 100 namespaces: %zu bytes, %.2f bytes per pod\n",
	       BIG_PODS, pod_map_bytes(m), per_pod);
	assert_true(pod_map_bytes(m) <= 16 * pod_map_count(m));

	for (i = 0; i < BIG_PODS; i++) {
		uint8_t label[64];
		uint16_t node;
		big_pod(&p, i, false);
		if (!lookup_ip(m, &p.ips[0], label, &node))
			fail_msg("pod %d not found", i);
		if (!label_is(label, p.ns))
			fail_msg("pod %d: wrong namespace", i);
		/* one number a node, and not another's */
		if (node_number[i % 1000] < 0) {
			if (node_of[node] >= 0)
				fail_msg("node-%d and node-%d have the same number %u", node_of[node],
				         i % 1000, node);
			node_number[i % 1000] = node;
			node_of[node] = i % 1000;
		} else if (node != node_number[i % 1000]) {
			fail_msg("pod %d: node %u, other pods of node-%d %d", i, node, i % 1000,
			         node_number[i % 1000]);
		}
	}
	/* past the end of the pods */
	{
		struct kube_ip a = ip4(0x0A000000u | (BIG_PODS + 1));
		uint8_t label[64];
		uint16_t node;
		assert_false(lookup_ip(m, &a, label, &node));
	}

	/* every other pod goes (as a watch deletes: by object), the rest stay */
	for (i = 0; i < BIG_PODS; i += 2) {
		big_pod(&p, i, false);
		assert_int_equal(pod_map_remove(m, &p.o), 1);
	}
	assert_int_equal(pod_map_count(m), BIG_PODS / 2);
	for (i = 0; i < BIG_PODS; i++) {
		uint8_t label[64];
		uint16_t node;
		big_pod(&p, i, false);
		if (lookup_ip(m, &p.ips[0], label, &node) != (i % 2 == 1))
			fail_msg("pod %d: %s after removing the even ones", i,
			         i % 2 ? "unknown" : "found");
	}
	free(node_of);
	pod_map_free(m);
}

/* Removal in a namespace of thousands of pods (1,500 a namespace at 150k
   pods in 100), whose 16-bit name tags collide: each removes its own
   pod's address and no other. */
#define CROWDED_PODS 3000

static void crowded_pod(struct tpod *p, int i)
{
	char name[24];
	struct kube_ip a = ip4(0x0A100000u + (uint32_t)i + 1);

	snprintf(name, sizeof(name), "pod-%d", i);
	tpod_set(p, "crowded", name, "node", &a, NULL, false);
}

static void test_remove_crowded(void **state)
{
	struct pod_map *m = *state;
	struct tpod p;
	int i, j;

	for (i = 0; i < CROWDED_PODS; i++) {
		crowded_pod(&p, i);
		assert_int_equal(pod_map_put(m, &p.o), 0);
	}
	for (i = 0; i < CROWDED_PODS; i++) {
		size_t gone;
		crowded_pod(&p, i);
		gone = pod_map_remove(m, &p.o);
		if (gone != 1) {
			for (j = i + 1; j < CROWDED_PODS; j++) {
				uint8_t label[64];
				uint16_t node;
				crowded_pod(&p, j);
				if (!lookup_ip(m, &p.ips[0], label, &node))
					break;
			}
			fail_msg("pod_map_remove(crowded, pod-%d) removed %zu addresses; "
			         "%s%d%s", i, gone, j < CROWDED_PODS ? "pod-" : "(",
			         j < CROWDED_PODS ? j : i,
			         j < CROWDED_PODS ? ", not removed, is unknown now" : ")");
		}
		assert_int_equal(pod_map_count(m), (size_t)(CROWDED_PODS - i - 1));
	}
}

/* ---- readers on other threads -------------------------------------------- */

#define STABLE_PODS 512
#define CHURN_PODS 60000
#define CHURN_ROUNDS 3
#define READER_MAX_PASSES 2000000L
#ifndef READERS
#define READERS 2
#endif

struct reader_ctx {
	struct pod_map *m;
	atomic_bool *stop;
	atomic_int *started;
	long lookups, misses, wrong;
	char first_error[256];
};

static void stable_pod(struct tpod *p, int i)
{
	char ns[24], name[24], node[24];
	struct kube_ip a = ip4(0xAC100000u + (uint32_t)i + 1); /* 172.16.x.y */
	struct kube_ip b = ip6(0xfd05, (uint32_t)i + 1);

	snprintf(ns, sizeof(ns), "stable-%d", i % 10);
	snprintf(name, sizeof(name), "s%d", i);
	snprintf(node, sizeof(node), "snode-%d", i % 5);
	tpod_set(p, ns, name, node, &a, i % 2 ? &b : NULL, false);
}

static void churn_pod(struct tpod *p, int round, int i)
{
	char ns[24], name[32];
	/* pairs of pods share an address now and then */
	uint32_t n = (uint32_t)(i % 97 == 0 && i ? i - 1 : i) + 1;
	struct kube_ip a = ip4(0x0A800000u + n); /* 10.128.x.y */
	struct kube_ip b = ip6(0xfd06, n);

	snprintf(ns, sizeof(ns), "churn-%d", (i + round) % 50);
	snprintf(name, sizeof(name), "c%d", i);
	tpod_set(p, ns, name, i % 7 ? "cnode" : NULL, &a, i % 3 == 0 ? &b : NULL, false);
}

static void *reader(void *arg)
{
	struct reader_ctx *rc = arg;
	struct tpod *stable = calloc(STABLE_PODS, sizeof(*stable));
	struct sockaddr_storage *ss = calloc(STABLE_PODS * 2, sizeof(*ss));
	long pass;
	int i;

	rcu_register_thread();
	if (!stable || !ss) {
		snprintf(rc->first_error, sizeof(rc->first_error), "out of memory");
		rc->wrong++;
		goto out;
	}
	for (i = 0; i < STABLE_PODS; i++) {
		stable_pod(&stable[i], i);
		sockaddr_of_ip(&stable[i].ips[0], &ss[2 * i]);
		if (stable[i].o.u.pod.n_ips == 2)
			sockaddr_of_ip(&stable[i].ips[1], &ss[2 * i + 1]);
	}
	atomic_fetch_add(rc->started, 1);
	for (pass = 0; pass < READER_MAX_PASSES && !atomic_load(rc->stop); pass++) {
		for (i = 0; i < 2 * STABLE_PODS; i++) {
			const struct tpod *p = &stable[i / 2];
			struct pod_client out;
			bool ok, right = false;

			if (i % 2 && p->o.u.pod.n_ips < 2)
				continue;
			rcu_read_lock();
			ok = pod_map_lookup(rc->m, (const struct sockaddr *)&ss[i], &out);
			if (ok)
				right = label_is(out.ns_label, p->ns);
			rcu_read_unlock();
			rc->lookups++;
			if (!ok)
				rc->misses++;
			else if (!right)
				rc->wrong++;
			if ((!ok || !right) && !rc->first_error[0])
				snprintf(rc->first_error, sizeof(rc->first_error),
				         "pod %s/%s (%s): %s after %ld lookups", p->ns, p->name,
				         i % 2 ? "IPv6" : "IPv4", ok ? "wrong namespace" : "not found",
				         rc->lookups);
		}
	}
out:
	rcu_unregister_thread();
	free(stable);
	free(ss);
	return NULL;
}

/* The writer's part: grows both tables from their smallest size, updates
   the stable pods in place, removes the churn, lists the stable pods only
   (a list that breaks off once) so the tables shrink back. No cmocka
   assertion while the readers run: the first error is kept. */
static void churn(struct pod_map *m, char *error, size_t len)
{
	struct tpod p;
	int i, round;

	for (round = 0; round < CHURN_ROUNDS && !error[0]; round++) {
		for (i = 0; i < CHURN_PODS; i++) {
			churn_pod(&p, round, i);
			if (pod_map_put(m, &p.o) != 0)
				snprintf(error, len, "put of churn pod %d failed", i);
		}
		for (i = 0; i < STABLE_PODS; i++) {
			stable_pod(&p, i);
			if (pod_map_put(m, &p.o) != 0)
				snprintf(error, len, "update of stable pod %d failed", i);
		}
		/* half the churn goes by object, the rest by the list's sweep */
		for (i = 0; i < CHURN_PODS; i += 2) {
			churn_pod(&p, round, i);
			pod_map_remove(m, &p.o);
		}
		pod_map_list_begin(m);
		for (i = 0; i < STABLE_PODS; i++) {
			stable_pod(&p, i);
			if (pod_map_put(m, &p.o) != 0)
				snprintf(error, len, "list put of stable pod %d failed", i);
			if (i == STABLE_PODS / 2)
				pod_map_list_begin(m); /* broke off: starts again */
		}
		pod_map_list_end(m);
		if (pod_map_count(m) != STABLE_PODS + STABLE_PODS / 2)
			snprintf(error, len, "round %d: %zu addresses after the list, expected %d",
			         round, pod_map_count(m), STABLE_PODS + STABLE_PODS / 2);
	}
}

static void test_concurrent_readers(void **state)
{
	struct pod_map *m = *state;
	struct reader_ctx rc[READERS];
	pthread_t th[READERS];
	atomic_bool stop = false;
	atomic_int started = 0;
	struct tpod p;
	char error[200] = "";
	int i, n_threads = 0, waited;

	for (i = 0; i < STABLE_PODS; i++) {
		stable_pod(&p, i);
		assert_int_equal(pod_map_put(m, &p.o), 0);
	}
	memset(rc, 0, sizeof(rc));
	for (i = 0; i < READERS; i++) {
		rc[i].m = m;
		rc[i].stop = &stop;
		rc[i].started = &started;
		if (pthread_create(&th[i], NULL, reader, &rc[i]) != 0) {
			snprintf(error, sizeof(error), "pthread_create failed");
			break;
		}
		n_threads++;
	}
	for (waited = 0; atomic_load(&started) < n_threads && waited < 10000; waited++) {
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
	}
	if (!error[0])
		churn(m, error, sizeof(error));
	atomic_store(&stop, true);
	for (i = 0; i < n_threads; i++)
		pthread_join(th[i], NULL);
	if (error[0])
		fail_msg("%s", error);
	for (i = 0; i < READERS; i++) {
		printf("reader %d: %ld lookups, %ld not found, %ld wrong%s%s\n", i, rc[i].lookups,
		       rc[i].misses, rc[i].wrong, rc[i].first_error[0] ? "; first: " : "",
		       rc[i].first_error);
		assert_true(rc[i].lookups > 0);
	}
	for (i = 0; i < READERS; i++) {
		assert_int_equal(rc[i].wrong, 0);
		assert_int_equal(rc[i].misses, 0);
	}
}

/* pod_map_zone_of's zone, or NOT_PLACED when the map holds no pod there */
#define NOT_PLACED 0xFFFFFFFFu
static uint32_t zone_at(const struct pod_map *m, const uint8_t *ip, size_t len)
{
	uint32_t zone = 12345;

	return pod_map_zone_of(m, ip, len, &zone) ? zone : NOT_PLACED;
}

/* Nodes' zones: a pod's address has its node's zone; a node relabelled
   moves it; a list of Nodes that no longer names a node takes its zone. */
static void test_node_zones(void **state)
{
	struct pod_map *m = map_synced();
	struct kube_object *a = pod_new("default", "a", "n-a", "10.7.0.1", NULL, false);
	struct kube_object *b = pod_new("default", "b", "n-b", "10.7.0.2", NULL, false);
	struct kube_object *c = pod_new("default", "c", NULL, "10.7.0.3", NULL, false);
	const uint8_t ip_a[4] = {10, 7, 0, 1}, ip_b[4] = {10, 7, 0, 2}, ip_c[4] = {10, 7, 0, 3};
	const uint8_t ip_x[4] = {10, 7, 0, 9};
	uint32_t za, zb;
	(void)state;

	assert_int_equal(pod_map_put(m, a), 0);
	assert_int_equal(pod_map_put(m, b), 0);
	assert_int_equal(pod_map_put(m, c), 0);
	assert_int_equal(zone_at(m, ip_a, 4), 0); /* no Node seen yet */
	assert_int_equal(pod_map_put_node(m, "n-a", "zone-a"), 0);
	assert_int_equal(pod_map_put_node(m, "n-b", "zone-b"), 0);
	za = zone_at(m, ip_a, 4);
	zb = zone_at(m, ip_b, 4);
	assert_int_not_equal(za, 0);
	assert_int_not_equal(zb, 0);
	assert_int_not_equal(za, zb);
	assert_int_equal(zone_at(m, ip_c, 4), 0); /* a pod without a node */
	assert_int_equal(zone_at(m, ip_x, 4), NOT_PLACED); /* no pod */
	assert_int_equal(zone_at(m, ip_a, 3), NOT_PLACED);
	/* relabelled, then without a zone */
	assert_int_equal(pod_map_put_node(m, "n-b", "zone-a"), 0);
	assert_int_equal(zone_at(m, ip_b, 4), za);
	assert_int_equal(pod_map_put_node(m, "n-b", NULL), 0);
	assert_int_equal(zone_at(m, ip_b, 4), 0);
	assert_int_equal(pod_map_put_node(m, "n-b", "zone-b"), 0);
	/* a list that names n-a only */
	pod_map_nodes_list_begin(m);
	assert_int_equal(pod_map_put_node(m, "n-a", "zone-a"), 0);
	assert_int_equal(pod_map_nodes_list_end(m), 1);
	assert_int_equal(zone_at(m, ip_a, 4), za);
	assert_int_equal(zone_at(m, ip_b, 4), 0);

	kube_object_free(a);
	kube_object_free(b);
	kube_object_free(c);
	pod_map_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_lookup),
		cmocka_unit_test(test_node_zones),
		cmocka_unit_test(test_not_a_pod_or_no_address),
		cmocka_unit_test(test_namespace_label_and_nodes),
		cmocka_unit_test(test_host_network),
		cmocka_unit_test(test_shared),
		cmocka_unit_test(test_list_sweep),
		cmocka_unit_test(test_list_shrinks),
		cmocka_unit_test(test_full_small_table),
		cmocka_unit_test(test_random_small),
		cmocka_unit_test(test_random_growing),
		cmocka_unit_test(test_growth_150k),
		cmocka_unit_test_setup_teardown(test_remove_crowded, map_setup, map_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_readers, map_setup, map_teardown),
	};
	int rc;

	rcu_register_thread(); /* this thread reads, and pod_map_free waits on RCU */
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rcu_unregister_thread();
	return rc;
}
