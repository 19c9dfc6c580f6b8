/* test_kube_json.c - JSON documents and watch streams into kube_objects:
 * list shapes as kubectl and the API server print them, every kept kind,
 * skipped malformed items, syntax errors with their line, and watch
 * streams split at every byte offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "kube_json.h"
#include "kube_object.h"

/* ---- a callback that keeps everything it is given ---------------------- */

#define MAX_EVENTS 64

struct event {
	enum kube_json_event ev;
	struct kube_object *obj; /* owned by the collector */
	char *message;
};

struct collector {
	struct event ev[MAX_EVENTS];
	size_t n;
};

static void collect(void *ctx, enum kube_json_event ev, struct kube_object *obj,
                    const char *message)
{
	struct collector *c = ctx;

	assert_true(c->n < MAX_EVENTS);
	c->ev[c->n].ev = ev;
	c->ev[c->n].obj = obj;
	c->ev[c->n].message = message ? strdup(message) : NULL;
	c->n++;
}

static void collector_free(struct collector *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		kube_object_free(c->ev[i].obj);
		free(c->ev[i].message);
	}
	c->n = 0;
}

/* Objects delivered, in order (events without an object left out). */
static size_t n_objects(const struct collector *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->n; i++)
		n += c->ev[i].obj != NULL;
	return n;
}

static struct kube_object *object_at(const struct collector *c, size_t k)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->ev[i].obj && k-- == 0)
			return c->ev[i].obj;
	fail_msg("no object %zu", k);
	return NULL;
}

static struct kube_object *object_named(const struct collector *c, int kind,
                                        const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->ev[i].obj && c->ev[i].obj->kind == kind &&
		    strcmp(c->ev[i].obj->name, name) == 0)
			return c->ev[i].obj;
	fail_msg("no %s named %s", kube_kind_name(kind), name);
	return NULL;
}

static size_t n_messages(const struct collector *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->n; i++)
		n += c->ev[i].message != NULL;
	return n;
}

static void parse_ok(const char *json, struct collector *c)
{
	char err[256] = "";
	int rc = kube_json_parse_document(json, strlen(json), collect, c, err,
	                                  sizeof(err));
	if (rc != 0)
		fail_msg("parse failed: %s", err);
}

static const char *ip_text(const struct kube_ip *ip)
{
	static char buf[8][64];
	static int turn;
	char *b = buf[turn++ % 8];
	return kube_ip_format(ip, b, 64);
}

/* ---- a full textual form of an object, to compare runs ----------------- */

struct text {
	char buf[16384];
	size_t len;
};

static void put(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, sizeof(t->buf) - t->len, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(t->buf) - t->len);
	t->len += (size_t)n;
}

static void put_ports(struct text *t, const struct kube_port *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		put(t, " port[%s %u %u]", p[i].name, p[i].port, p[i].proto);
}

static void describe(struct text *t, const struct kube_object *o)
{
	size_t i, j;

	for (; o; o = o->next_subset) {
		put(t, "%s %s/%s rv=%s", kube_kind_name(o->kind), o->ns, o->name,
		    o->resource_version ? o->resource_version : "-");
		switch (o->kind) {
		case KUBE_KIND_SERVICE:
			put(t, " type=%u pnr=%d cip=%s ext=%s", o->u.svc.type,
			    o->u.svc.publish_not_ready, o->u.svc.cluster_ip,
			    o->u.svc.external_name ? o->u.svc.external_name : "-");
			for (i = 0; i < o->u.svc.n_cluster_ips; i++)
				put(t, " ip=%s", ip_text(&o->u.svc.cluster_ips[i]));
			put_ports(t, o->u.svc.ports, o->u.svc.n_ports);
			break;
		case KUBE_KIND_ENDPOINTSLICE:
		case KUBE_KIND_ENDPOINTS:
			put(t, " svc=%s fe=%d", o->u.slice.service_name,
			    o->u.slice.from_endpoints);
			for (i = 0; i < o->u.slice.n_endpoints; i++) {
				const struct kube_endpoint *ep = &o->u.slice.endpoints[i];
				put(t, " ep[%s %s %d", ep->hostname ? ep->hostname : "-",
				    ep->target_name ? ep->target_name : "-", ep->ready);
				for (j = 0; j < ep->n_addrs; j++)
					put(t, " %s", ip_text(&ep->addrs[j]));
				put(t, "]");
			}
			put_ports(t, o->u.slice.ports, o->u.slice.n_ports);
			break;
		case KUBE_KIND_POD:
			put(t, " host=%s sub=%s phase=%s",
			    o->u.pod.hostname ? o->u.pod.hostname : "-",
			    o->u.pod.subdomain ? o->u.pod.subdomain : "-",
			    o->u.pod.phase ? o->u.pod.phase : "-");
			for (i = 0; i < o->u.pod.n_ips; i++)
				put(t, " ip=%s", ip_text(&o->u.pod.ips[i]));
			break;
		default:
			break;
		}
		put(t, o->next_subset ? " | " : "");
	}
}

/* The transcript of everything the callback saw. */
static void transcript(const struct collector *c, struct text *t)
{
	size_t i;

	t->len = 0;
	t->buf[0] = '\0';
	for (i = 0; i < c->n; i++) {
		put(t, "%d ", (int)c->ev[i].ev);
		if (c->ev[i].obj)
			describe(t, c->ev[i].obj);
		else
			put(t, "(null)");
		put(t, " msg=%s\n", c->ev[i].message ? c->ev[i].message : "-");
	}
}

/* ---- documents --------------------------------------------------------- */

static const char v1_list[] =
	"{\"apiVersion\":\"v1\",\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"\"},\n"
	" \"items\":[\n"
	"  {\"apiVersion\":\"v1\",\"kind\":\"Service\",\n"
	"   \"metadata\":{\"name\":\"web\",\"namespace\":\"shop\",\"resourceVersion\":\"11\"},\n"
	"   \"spec\":{\"type\":\"ClusterIP\",\"clusterIP\":\"10.96.0.10\",\n"
	"            \"clusterIPs\":[\"10.96.0.10\"],\n"
	"            \"ports\":[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\",\"targetPort\":8080},\n"
	"                       {\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\",\"targetPort\":\"dns-port\"}]}},\n"
	"  {\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\n"
	"   \"metadata\":{\"name\":\"cfg\",\"namespace\":\"shop\"},\"data\":{\"a\":\"b\"}},\n"
	"  {\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"shop\"}},\n"
	"  {\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\",\n"
	"   \"metadata\":{\"name\":\"web-abcde\",\"namespace\":\"shop\",\n"
	"     \"labels\":{\"kubernetes.io/service-name\":\"web\"}},\n"
	"   \"addressType\":\"IPv4\",\n"
	"   \"endpoints\":[{\"addresses\":[\"10.1.0.5\"]}],\n"
	"   \"ports\":[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}]}\n"
	" ]}\n";

static void test_v1_list(void **state)
{
	struct collector c = {0};
	struct kube_object *o;
	(void)state;

	parse_ok(v1_list, &c);
	assert_int_equal(n_objects(&c), 3);
	assert_int_equal(n_messages(&c), 0); /* ConfigMap ignored silently */

	o = object_named(&c, KUBE_KIND_SERVICE, "web");
	assert_string_equal(o->ns, "shop");
	assert_string_equal(o->resource_version, "11");
	assert_int_equal(o->u.svc.type, KUBE_SVC_CLUSTER_IP);
	assert_string_equal(o->u.svc.cluster_ip, "10.96.0.10");
	assert_int_equal(o->u.svc.n_cluster_ips, 1);
	assert_string_equal(ip_text(&o->u.svc.cluster_ips[0]), "10.96.0.10");
	assert_int_equal(o->u.svc.n_ports, 2);
	assert_string_equal(o->u.svc.ports[0].name, "http");
	assert_int_equal(o->u.svc.ports[0].port, 80);
	assert_int_equal(o->u.svc.ports[0].proto, KUBE_PROTO_TCP);
	/* targetPort as a name: accepted, not kept (nothing uses it) */
	assert_string_equal(o->u.svc.ports[1].name, "dns");
	assert_int_equal(o->u.svc.ports[1].proto, KUBE_PROTO_UDP);
	assert_false(o->u.svc.publish_not_ready);
	assert_null(o->next_subset);

	o = object_named(&c, KUBE_KIND_NAMESPACE, "shop");
	assert_string_equal(o->ns, "");

	o = object_named(&c, KUBE_KIND_ENDPOINTSLICE, "web-abcde");
	assert_string_equal(o->u.slice.service_name, "web");
	assert_false(o->u.slice.from_endpoints);
	assert_int_equal(o->u.slice.n_endpoints, 1);
	assert_true(o->u.slice.endpoints[0].ready); /* conditions absent */
	assert_int_equal(o->u.slice.n_ports, 1);
	assert_int_equal(o->u.slice.ports[0].port, 8080);
	collector_free(&c);
}

/* As the API server prints a list response: items without kind, and the
   list's "kind" after "items". */
static const char service_list[] =
	"{\"items\":[\n"
	"  {\"metadata\":{\"name\":\"a\",\"namespace\":\"ns1\",\"resourceVersion\":\"5\"},\n"
	"   \"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"port\":9000}]}},\n"
	"  {\"metadata\":{\"name\":\"b\",\"namespace\":\"ns1\"},\n"
	"   \"spec\":{\"type\":\"ExternalName\",\"externalName\":\"db.example.com\"}},\n"
	"  {\"metadata\":{\"name\":\"c\",\"namespace\":\"ns2\"},\n"
	"   \"spec\":{\"clusterIP\":\"10.0.0.3\",\"clusterIPs\":[\"10.0.0.3\",\"fd00::3\"],\n"
	"            \"ipFamilies\":[\"IPv4\",\"IPv6\"]}}\n"
	" ],\n"
	" \"metadata\":{\"resourceVersion\":\"12345\",\"continue\":\"eyJ2IjoibWV0YSJ9\"},\n"
	" \"apiVersion\":\"v1\",\"kind\":\"ServiceList\"}\n";

static void test_service_list_kind_after_items(void **state)
{
	struct collector c = {0};
	struct kube_json *p = kube_json_new(KUBE_JSON_DOCUMENT, collect, &c);
	char err[256] = "";
	struct kube_object *o;
	(void)state;

	assert_non_null(p);
	assert_int_equal(kube_json_feed(p, service_list, sizeof(service_list) - 1,
	                                err, sizeof(err)),
	                 0);
	assert_int_equal(kube_json_finish(p, err, sizeof(err)), 0);
	assert_string_equal(kube_json_list_version(p), "12345");
	assert_string_equal(kube_json_list_continue(p), "eyJ2IjoibWV0YSJ9");
	kube_json_free(p);

	assert_int_equal(n_objects(&c), 3);
	assert_int_equal(n_messages(&c), 0);
	o = object_named(&c, KUBE_KIND_SERVICE, "a");
	assert_int_equal(o->u.svc.type, KUBE_SVC_HEADLESS);
	assert_string_equal(o->u.svc.cluster_ip, "None");
	assert_int_equal(o->u.svc.n_cluster_ips, 0);
	assert_string_equal(o->u.svc.ports[0].name, "");
	assert_int_equal(o->u.svc.ports[0].proto, KUBE_PROTO_TCP);
	assert_string_equal(o->resource_version, "5");
	o = object_named(&c, KUBE_KIND_SERVICE, "b");
	assert_int_equal(o->u.svc.type, KUBE_SVC_EXTERNAL_NAME);
	assert_string_equal(o->u.svc.external_name, "db.example.com");
	o = object_named(&c, KUBE_KIND_SERVICE, "c");
	assert_string_equal(o->ns, "ns2");
	assert_int_equal(o->u.svc.n_cluster_ips, 2);
	assert_string_equal(ip_text(&o->u.svc.cluster_ips[0]), "10.0.0.3");
	assert_int_equal(o->u.svc.cluster_ips[1].family, AF_INET6);
	assert_string_equal(ip_text(&o->u.svc.cluster_ips[1]), "fd00::3");
	collector_free(&c);
}

/* Kind-less items are delivered as each one ends when the list named its
   kind first (an API server's order), and only at the end when it names
   it after them (they cannot be typed before). */
static void test_kindless_items_delivered_when_typed(void **state)
{
	static const char first[] =
		"{\"kind\":\"ServiceList\",\"apiVersion\":\"v1\",\"items\":[\n"
		"  {\"metadata\":{\"name\":\"a\",\"namespace\":\"ns1\"},\"spec\":{\"clusterIP\":\"10.0.0.1\"}},\n"
		"  {\"metadata\":{\"name\":\"b\",\"namespace\":\"ns1\"},\"spec\":{\"clusterIP\":\"10.0.0.2\"}}\n"
		"]}";
	const char *cut = strstr(first, "},\n") + 3; /* just after item a */
	struct collector c = {0};
	struct kube_json *p = kube_json_new(KUBE_JSON_DOCUMENT, collect, &c);
	char err[256] = "";
	(void)state;

	assert_non_null(p);
	assert_int_equal(kube_json_feed(p, first, (size_t)(cut - first), err, sizeof(err)), 0);
	assert_int_equal(n_objects(&c), 1); /* a, before the document ends */
	assert_string_equal(object_at(&c, 0)->name, "a");
	assert_int_equal(kube_json_feed(p, cut, strlen(cut), err, sizeof(err)), 0);
	assert_int_equal(kube_json_finish(p, err, sizeof(err)), 0);
	assert_int_equal(n_objects(&c), 2);
	assert_int_equal(object_at(&c, 1)->kind, KUBE_KIND_SERVICE);
	kube_json_free(p);
	collector_free(&c);

	/* The kind after the items: nothing until it is known. */
	p = kube_json_new(KUBE_JSON_DOCUMENT, collect, &c);
	assert_non_null(p);
	cut = strstr(service_list, "],");
	assert_int_equal(kube_json_feed(p, service_list, (size_t)(cut - service_list), err,
	                                sizeof(err)),
	                 0);
	assert_int_equal(n_objects(&c), 0);
	assert_int_equal(kube_json_feed(p, cut, strlen(cut), err, sizeof(err)), 0);
	assert_int_equal(kube_json_finish(p, err, sizeof(err)), 0);
	assert_int_equal(n_objects(&c), 3);
	kube_json_free(p);
	collector_free(&c);
}

static void test_list_version_absent(void **state)
{
	struct collector c = {0};
	struct kube_json *p = kube_json_new(KUBE_JSON_DOCUMENT, collect, &c);
	static const char doc[] = "{\"kind\":\"ServiceList\",\"items\":[]}";
	char err[256];
	(void)state;

	assert_int_equal(kube_json_feed(p, doc, strlen(doc), err, sizeof(err)), 0);
	assert_int_equal(kube_json_finish(p, err, sizeof(err)), 0);
	assert_null(kube_json_list_version(p));
	assert_null(kube_json_list_continue(p));
	assert_int_equal(n_objects(&c), 0);
	kube_json_free(p);
	collector_free(&c);
}

static void test_single_object(void **state)
{
	struct collector c = {0};
	struct kube_object *o;
	(void)state;

	parse_ok("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\n"
	         " \"metadata\":{\"name\":\"kubernetes\",\"namespace\":\"default\",\n"
	         "   \"labels\":{\"component\":\"apiserver\"}},\n"
	         " \"spec\":{\"clusterIP\":\"10.96.0.1\",\"type\":\"NodePort\",\n"
	         "   \"ports\":[{\"name\":\"https\",\"port\":443,\"targetPort\":6443,\"nodePort\":30443}]},\n"
	         " \"status\":{\"loadBalancer\":{}}}",
	         &c);
	assert_int_equal(n_objects(&c), 1);
	o = object_at(&c, 0);
	assert_int_equal(c.ev[0].ev, KUBE_EV_OBJECT);
	assert_int_equal(o->kind, KUBE_KIND_SERVICE);
	assert_string_equal(o->name, "kubernetes");
	assert_int_equal(o->u.svc.type, KUBE_SVC_CLUSTER_IP); /* NodePort */
	/* clusterIPs absent: taken from clusterIP */
	assert_int_equal(o->u.svc.n_cluster_ips, 1);
	assert_string_equal(ip_text(&o->u.svc.cluster_ips[0]), "10.96.0.1");
	assert_int_equal(o->u.svc.ports[0].port, 443);
	/* metadata.labels as "key\0value\0" pairs, for the label selectors */
	assert_int_equal(o->labels_len, sizeof("component\0apiserver"));
	assert_memory_equal(o->labels, "component\0apiserver", o->labels_len);
	collector_free(&c);
}

/* Every label kept in order, prefixed keys, empty values; a label that
   is not a string is not one. */
static void test_labels(void **state)
{
	struct collector c = {0};
	static const char want[] = "app\0web\0example.com/tier\0\0kubernetes.io/service-name\0web";
	(void)state;

	parse_ok("{\"kind\":\"List\",\"items\":[\n"
	         "{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\",\"addressType\":\"IPv4\",\n"
	         " \"metadata\":{\"name\":\"web-1\",\"namespace\":\"a\",\"labels\":{\"app\":\"web\",\n"
	         "   \"example.com/tier\":\"\",\"n\":5,\"kubernetes.io/service-name\":\"web\"}},\n"
	         " \"endpoints\":[]},\n"
	         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"a\",\n"
	         "   \"labels\":{\"app\":\"web\"}},\"status\":{\"podIP\":\"10.0.0.1\",\"phase\":\"Running\"}},\n"
	         "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a\"}}]}",
	         &c);
	assert_int_equal(n_objects(&c), 3);
	assert_int_equal(object_at(&c, 0)->labels_len, sizeof(want));
	assert_memory_equal(object_at(&c, 0)->labels, want, sizeof(want));
	assert_memory_equal(object_at(&c, 1)->labels, "app\0web", sizeof("app\0web"));
	assert_null(object_at(&c, 2)->labels);
	assert_int_equal(object_at(&c, 2)->labels_len, 0);
	collector_free(&c);
}

static void test_endpointslice_list(void **state)
{
	struct collector c = {0};
	struct kube_object *o;
	const struct kube_endpoint *ep;
	(void)state;

	parse_ok("{\"kind\":\"EndpointSliceList\",\"apiVersion\":\"discovery.k8s.io/v1\",\n"
	         " \"items\":[{\"metadata\":{\"name\":\"db-x1\",\"namespace\":\"data\",\n"
	         "   \"labels\":{\"kubernetes.io/service-name\":\"db\",\"endpointslice.kubernetes.io/managed-by\":\"x\"}},\n"
	         "  \"addressType\":\"IPv6\",\n"
	         "  \"endpoints\":[\n"
	         "   {\"addresses\":[\"fd00::a\"],\"hostname\":\"db-0\",\n"
	         "    \"targetRef\":{\"kind\":\"Pod\",\"name\":\"db-0\",\"namespace\":\"data\"},\n"
	         "    \"conditions\":{\"ready\":true,\"serving\":true},\"zone\":\"eu-1a\",\n"
	         "    \"hints\":{\"forZones\":[{\"name\":\"eu-1a\"},{\"name\":\"eu-1b\"}]}},\n"
	         "   {\"addresses\":[\"fd00::b\"],\"conditions\":{\"ready\":false},\"zone\":\"eu-1c\",\n"
	         "    \"hints\":{\"forZones\":[]}},\n"
	         "   {\"addresses\":[\"fd00::c\"],\"conditions\":{}},\n"
	         "   {\"addresses\":[\"fd00::d\"],\"conditions\":{\"ready\":null}}],\n"
	         "  \"ports\":[{\"name\":\"pg\",\"port\":5432,\"protocol\":\"TCP\"},\n"
	         "            {\"name\":\"sctp\",\"port\":7000,\"protocol\":\"SCTP\"}]}]}",
	         &c);
	assert_int_equal(n_objects(&c), 1);
	o = object_at(&c, 0);
	assert_int_equal(o->kind, KUBE_KIND_ENDPOINTSLICE);
	assert_string_equal(o->name, "db-x1");
	assert_string_equal(o->ns, "data");
	assert_string_equal(o->u.slice.service_name, "db");
	assert_int_equal(o->u.slice.n_endpoints, 4);
	ep = o->u.slice.endpoints;
	assert_int_equal(ep[0].n_addrs, 1);
	assert_int_equal(ep[0].addrs[0].family, AF_INET6);
	assert_string_equal(ip_text(&ep[0].addrs[0]), "fd00::a");
	assert_string_equal(ep[0].hostname, "db-0");
	assert_string_equal(ep[0].target_name, "db-0");
	assert_true(ep[0].ready);
	assert_false(ep[1].ready);       /* ready: false */
	assert_null(ep[1].hostname);
	assert_null(ep[1].target_name);
	assert_string_equal(ep[0].zone, "eu-1a");
	assert_string_equal(ep[0].for_zones, "eu-1a,eu-1b");
	assert_string_equal(ep[1].zone, "eu-1c");
	assert_null(ep[1].for_zones);    /* forZones empty */
	assert_null(ep[2].zone);
	assert_true(ep[2].ready);        /* ready absent */
	assert_true(ep[3].ready);        /* ready null: unknown counts as ready */
	assert_int_equal(o->u.slice.n_ports, 2);
	assert_int_equal(o->u.slice.ports[1].proto, KUBE_PROTO_SCTP);
	collector_free(&c);
}

/* ServiceImports (multicluster.x-k8s.io) and the Multi-Cluster Services
   labels of EndpointSlices. */
static void test_service_imports(void **state)
{
	struct collector c = {0};
	struct kube_object *o;
	(void)state;

	parse_ok("{\"kind\":\"ServiceImportList\",\"apiVersion\":\"multicluster.x-k8s.io/v1alpha1\",\n"
	         " \"items\":[{\"metadata\":{\"name\":\"web\",\"namespace\":\"prod\"},\n"
	         "  \"spec\":{\"type\":\"ClusterSetIP\",\"ips\":[\"10.42.0.5\",\"fd00::5\"],\n"
	         "   \"ports\":[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\",\"appProtocol\":\"h2c\"},\n"
	         "            {\"port\":53,\"protocol\":\"UDP\"}]},\n"
	         "  \"status\":{\"clusters\":[{\"cluster\":\"east\"}]}},\n"
	         " {\"metadata\":{\"name\":\"db\",\"namespace\":\"prod\"},\"spec\":{\"type\":\"Headless\",\"ports\":[]}},\n"
	         " {\"metadata\":{\"name\":\"odd\",\"namespace\":\"prod\"},\"spec\":{\"type\":\"LoadBalancer\"}}]}",
	         &c);
	assert_int_equal(n_objects(&c), 2);
	assert_int_equal(n_messages(&c), 1); /* odd: no such type */
	o = object_named(&c, KUBE_KIND_SERVICEIMPORT, "web");
	assert_int_equal(o->u.svc.type, KUBE_SVC_CLUSTER_IP);
	assert_int_equal(o->u.svc.n_cluster_ips, 2);
	assert_string_equal(ip_text(&o->u.svc.cluster_ips[1]), "fd00::5");
	assert_int_equal(o->u.svc.n_ports, 2);
	assert_string_equal(o->u.svc.ports[0].name, "http");
	assert_int_equal(o->u.svc.ports[1].proto, KUBE_PROTO_UDP);
	o = object_named(&c, KUBE_KIND_SERVICEIMPORT, "db");
	assert_int_equal(o->u.svc.type, KUBE_SVC_HEADLESS);
	assert_int_equal(o->u.svc.n_ports, 0);
	collector_free(&c);

	parse_ok("{\"kind\":\"EndpointSliceList\",\"items\":[\n"
	         " {\"metadata\":{\"name\":\"db-east\",\"namespace\":\"prod\",\"labels\":{\n"
	         "   \"multicluster.kubernetes.io/service-name\":\"db\",\n"
	         "   \"multicluster.kubernetes.io/source-cluster\":\"east\"}},\n"
	         "  \"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[\"10.1.0.1\"]}]},\n"
	         " {\"metadata\":{\"name\":\"db-x\",\"namespace\":\"prod\",\"labels\":{\n"
	         "   \"kubernetes.io/service-name\":\"db\",\n"
	         "   \"multicluster.kubernetes.io/source-cluster\":\"not a label\"}},\n"
	         "  \"addressType\":\"IPv4\",\"endpoints\":[]}]}",
	         &c);
	o = object_named(&c, KUBE_KIND_ENDPOINTSLICE, "db-east");
	assert_string_equal(o->u.slice.import_name, "db");
	assert_string_equal(o->u.slice.cluster_id, "east");
	assert_string_equal(o->u.slice.service_name, ""); /* no Service's */
	o = object_named(&c, KUBE_KIND_ENDPOINTSLICE, "db-x");
	assert_null(o->u.slice.import_name);
	assert_null(o->u.slice.cluster_id); /* not a DNS label: names nothing */
	assert_string_equal(o->u.slice.service_name, "db");
	collector_free(&c);
}

static void test_endpoints_subsets(void **state)
{
	struct collector c = {0};
	struct kube_object *o, *s2, *s3;
	(void)state;

	parse_ok("{\"kind\":\"EndpointsList\",\"apiVersion\":\"v1\",\"items\":[\n"
	         " {\"metadata\":{\"name\":\"legacy\",\"namespace\":\"old\"},\n"
	         "  \"subsets\":[\n"
	         "   {\"addresses\":[{\"ip\":\"10.2.0.1\",\"hostname\":\"l-0\",\n"
	         "                  \"targetRef\":{\"kind\":\"Pod\",\"name\":\"legacy-0\"}},\n"
	         "                 {\"ip\":\"10.2.0.2\"}],\n"
	         "    \"notReadyAddresses\":[{\"ip\":\"10.2.0.3\"}],\n"
	         "    \"ports\":[{\"name\":\"http\",\"port\":80}]},\n"
	         "   {\"notReadyAddresses\":[{\"ip\":\"10.2.1.1\",\"hostname\":\"l-9\"}],\n"
	         "    \"addresses\":[{\"ip\":\"10.2.1.2\"}],\n"
	         "    \"ports\":[{\"name\":\"admin\",\"port\":9090,\"protocol\":\"TCP\"}]},\n"
	         "   {\"addresses\":[{\"ip\":\"fd00::9\"}],\"ports\":[{\"port\":1}]}]}]}",
	         &c);
	assert_int_equal(n_objects(&c), 1);
	assert_int_equal(n_messages(&c), 0);
	o = object_at(&c, 0);
	assert_int_equal(o->kind, KUBE_KIND_ENDPOINTS);
	assert_string_equal(o->name, "legacy");
	assert_string_equal(o->ns, "old");
	assert_true(o->u.slice.from_endpoints);
	assert_string_equal(o->u.slice.service_name, "legacy");
	assert_int_equal(o->u.slice.n_endpoints, 3);
	assert_string_equal(ip_text(&o->u.slice.endpoints[0].addrs[0]), "10.2.0.1");
	assert_string_equal(o->u.slice.endpoints[0].hostname, "l-0");
	assert_string_equal(o->u.slice.endpoints[0].target_name, "legacy-0");
	assert_true(o->u.slice.endpoints[0].ready);
	assert_true(o->u.slice.endpoints[1].ready);
	assert_string_equal(ip_text(&o->u.slice.endpoints[2].addrs[0]), "10.2.0.3");
	assert_false(o->u.slice.endpoints[2].ready);
	assert_int_equal(o->u.slice.n_ports, 1);
	assert_string_equal(o->u.slice.ports[0].name, "http");

	s2 = o->next_subset;
	assert_non_null(s2);
	assert_int_equal(s2->kind, KUBE_KIND_ENDPOINTS);
	assert_string_equal(s2->name, "legacy");
	assert_string_equal(s2->ns, "old");
	assert_true(s2->u.slice.from_endpoints);
	assert_string_equal(s2->u.slice.service_name, "legacy");
	assert_int_equal(s2->u.slice.n_endpoints, 2);
	/* readiness follows the list, not the key order */
	{
		size_t i;
		int seen = 0;
		for (i = 0; i < 2; i++) {
			const struct kube_endpoint *ep = &s2->u.slice.endpoints[i];
			if (strcmp(ip_text(&ep->addrs[0]), "10.2.1.1") == 0) {
				assert_false(ep->ready);
				assert_string_equal(ep->hostname, "l-9");
				seen |= 1;
			} else {
				assert_string_equal(ip_text(&ep->addrs[0]), "10.2.1.2");
				assert_true(ep->ready);
				seen |= 2;
			}
		}
		assert_int_equal(seen, 3);
	}
	assert_int_equal(s2->u.slice.n_ports, 1);
	assert_int_equal(s2->u.slice.ports[0].port, 9090);

	s3 = s2->next_subset;
	assert_non_null(s3);
	assert_int_equal(s3->u.slice.n_endpoints, 1);
	assert_int_equal(s3->u.slice.endpoints[0].addrs[0].family, AF_INET6);
	assert_true(s3->u.slice.endpoints[0].ready);
	assert_null(s3->next_subset);
	collector_free(&c);
}

static void test_endpoints_no_subsets(void **state)
{
	struct collector c = {0};
	struct kube_object *o;
	(void)state;

	parse_ok("{\"kind\":\"Endpoints\",\"apiVersion\":\"v1\",\n"
	         " \"metadata\":{\"name\":\"empty\",\"namespace\":\"old\"},\"subsets\":null}",
	         &c);
	assert_int_equal(n_objects(&c), 1);
	o = object_at(&c, 0);
	assert_int_equal(o->kind, KUBE_KIND_ENDPOINTS);
	assert_int_equal(o->u.slice.n_endpoints, 0);
	assert_null(o->next_subset);
	collector_free(&c);
}

static void test_pod_and_namespace(void **state)
{
	struct collector c = {0};
	struct kube_object *o;
	(void)state;

	parse_ok("{\"kind\":\"List\",\"items\":[\n"
	         " {\"kind\":\"Pod\",\"apiVersion\":\"v1\",\n"
	         "  \"metadata\":{\"name\":\"web-0\",\"namespace\":\"shop\"},\n"
	         "  \"spec\":{\"hostname\":\"web-0\",\"subdomain\":\"web\",\n"
	         "     \"containers\":[{\"name\":\"c\",\"ports\":[{\"containerPort\":80}]}]},\n"
	         "  \"status\":{\"phase\":\"Running\",\"podIP\":\"10.1.0.7\",\n"
	         "     \"podIPs\":[{\"ip\":\"10.1.0.7\"},{\"ip\":\"fd00::7\"}]}},\n"
	         " {\"kind\":\"Pod\",\"metadata\":{\"name\":\"solo\",\"namespace\":\"shop\"},\n"
	         "  \"status\":{\"podIP\":\"10.1.0.8\"}},\n"
	         " {\"kind\":\"Namespace\",\"metadata\":{\"name\":\"kube-system\",\n"
	         "   \"labels\":{\"kubernetes.io/metadata.name\":\"kube-system\"}},\n"
	         "  \"spec\":{\"finalizers\":[\"kubernetes\"]},\"status\":{\"phase\":\"Active\"}}]}",
	         &c);
	assert_int_equal(n_objects(&c), 3);
	o = object_named(&c, KUBE_KIND_POD, "web-0");
	assert_string_equal(o->u.pod.hostname, "web-0");
	assert_string_equal(o->u.pod.subdomain, "web");
	assert_string_equal(o->u.pod.phase, "Running");
	assert_int_equal(o->u.pod.n_ips, 2);
	assert_string_equal(ip_text(&o->u.pod.ips[0]), "10.1.0.7");
	assert_string_equal(ip_text(&o->u.pod.ips[1]), "fd00::7");
	o = object_named(&c, KUBE_KIND_POD, "solo");
	assert_int_equal(o->u.pod.n_ips, 1);
	assert_string_equal(ip_text(&o->u.pod.ips[0]), "10.1.0.8");
	assert_null(o->u.pod.hostname);
	o = object_named(&c, KUBE_KIND_NAMESPACE, "kube-system");
	assert_string_equal(o->ns, "");
	collector_free(&c);
}

static void test_unknown_fields_and_nulls(void **state)
{
	struct collector c = {0};
	struct kube_object *o;
	(void)state;

	parse_ok("{\"kind\":\"List\",\"items\":null}", &c);
	assert_int_equal(c.n, 0);

	parse_ok("{\"kind\":\"ServiceList\",\"items\":[\n"
	         " {\"metadata\":{\"name\":\"s\",\"namespace\":\"n\",\n"
	         "   \"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":\n"
	         "     \"{\\\"spec\\\":{\\\"clusterIP\\\":\\\"1.2.3.4\\\"}}\"},\n"
	         "   \"managedFields\":[{\"manager\":\"m\",\"fieldsV1\":{\"f:spec\":{\"f:ports\":{\n"
	         "      \"k:{\\\"port\\\":80}\":{\".\":{}}}}}}],\n"
	         "   \"ownerReferences\":null},\n"
	         "  \"spec\":{\"clusterIP\":\"10.0.0.9\",\"clusterIPs\":null,\"ports\":null,\n"
	         "    \"selector\":{\"app\":\"s\",\"name\":\"other\"},\n"
	         "    \"sessionAffinityConfig\":{\"clientIP\":{\"timeoutSeconds\":10800}},\n"
	         "    \"ipFamilies\":[\"IPv4\"],\"internalTrafficPolicy\":\"Cluster\",\n"
	         "    \"allocateLoadBalancerNodePorts\":true,\"someFutureField\":[1,2.5,{\"x\":[]}]},\n"
	         "  \"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"203.0.113.1\"}]},\n"
	         "    \"conditions\":null}}]}",
	         &c);
	assert_int_equal(n_objects(&c), 1);
	assert_int_equal(n_messages(&c), 0);
	o = object_at(&c, 0);
	assert_string_equal(o->name, "s");
	assert_int_equal(o->u.svc.n_ports, 0);
	assert_int_equal(o->u.svc.n_cluster_ips, 1);
	assert_string_equal(ip_text(&o->u.svc.cluster_ips[0]), "10.0.0.9");
	collector_free(&c);

	/* an EndpointSlice with null endpoints and ports */
	parse_ok("{\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"e\",\"namespace\":\"n\",\n"
	         " \"labels\":{\"kubernetes.io/service-name\":\"s\"}},\"addressType\":\"IPv4\",\n"
	         " \"endpoints\":null,\"ports\":null}",
	         &c);
	assert_int_equal(n_objects(&c), 1);
	o = object_at(&c, 0);
	assert_int_equal(o->u.slice.n_endpoints, 0);
	assert_int_equal(o->u.slice.n_ports, 0);
	collector_free(&c);

	/* a document of an unknown kind delivers nothing kept */
	parse_ok("{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\",\"namespace\":\"y\"}}", &c);
	assert_int_equal(n_objects(&c), 0);
	assert_int_equal(n_messages(&c), 0);
	collector_free(&c);
	parse_ok("{\"kind\":\"ConfigMapList\",\"items\":[{\"metadata\":{\"name\":\"x\",\"namespace\":\"y\"}}]}",
	         &c);
	assert_int_equal(n_objects(&c), 0);
	assert_int_equal(n_messages(&c), 0);
	collector_free(&c);
}

static void test_publish_not_ready(void **state)
{
	struct collector c = {0};
	(void)state;

	parse_ok("{\"kind\":\"ServiceList\",\"items\":[\n"
	         " {\"metadata\":{\"name\":\"p1\",\"namespace\":\"n\"},\n"
	         "  \"spec\":{\"clusterIP\":\"None\",\"publishNotReadyAddresses\":true}},\n"
	         " {\"metadata\":{\"name\":\"p2\",\"namespace\":\"n\",\"annotations\":{\n"
	         "   \"service.alpha.kubernetes.io/tolerate-unready-endpoints\":\"true\"}},\n"
	         "  \"spec\":{\"clusterIP\":\"None\"}},\n"
	         " {\"metadata\":{\"name\":\"p3\",\"namespace\":\"n\",\"annotations\":{\n"
	         "   \"service.alpha.kubernetes.io/tolerate-unready-endpoints\":\"false\"}},\n"
	         "  \"spec\":{\"clusterIP\":\"None\",\"publishNotReadyAddresses\":false}},\n"
	         " {\"metadata\":{\"name\":\"p4\",\"namespace\":\"n\"},\"spec\":{\"clusterIP\":\"None\"}}]}",
	         &c);
	assert_int_equal(n_objects(&c), 4);
	assert_true(object_named(&c, KUBE_KIND_SERVICE, "p1")->u.svc.publish_not_ready);
	assert_true(object_named(&c, KUBE_KIND_SERVICE, "p2")->u.svc.publish_not_ready);
	assert_false(object_named(&c, KUBE_KIND_SERVICE, "p3")->u.svc.publish_not_ready);
	assert_false(object_named(&c, KUBE_KIND_SERVICE, "p4")->u.svc.publish_not_ready);
	collector_free(&c);
}

/* Each malformed item is skipped with a message; the good ones arrive. */
static void test_malformed_items_skipped(void **state)
{
	struct collector c = {0};
	size_t i, skipped = 0;
	(void)state;

	parse_ok("{\"kind\":\"List\",\"items\":[\n"
	         " {\"kind\":\"Service\",\"metadata\":{\"namespace\":\"n\"},\"spec\":{\"clusterIP\":\"10.0.0.1\"}},\n"
	         " {\"kind\":\"Service\",\"metadata\":{\"name\":\"nons\"},\"spec\":{\"clusterIP\":\"10.0.0.2\"}},\n"
	         " {\"kind\":\"Service\",\"metadata\":{\"name\":\"bigport\",\"namespace\":\"n\"},\n"
	         "  \"spec\":{\"clusterIP\":\"10.0.0.3\",\"ports\":[{\"name\":\"x\",\"port\":70000}]}},\n"
	         " {\"kind\":\"Service\",\"metadata\":{\"name\":\"badip\",\"namespace\":\"n\"},\n"
	         "  \"spec\":{\"clusterIP\":\"10.0.0.300\"}},\n"
	         " {\"kind\":\"Service\",\"metadata\":{\"name\":42,\"namespace\":\"n\"}},\n"
	         " {\"kind\":\"Service\",\"metadata\":{\"name\":\"strport\",\"namespace\":\"n\"},\n"
	         "  \"spec\":{\"clusterIP\":\"10.0.0.4\",\"ports\":[{\"port\":\"80\"}]}},\n"
	         " {\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"badep\",\"namespace\":\"n\",\n"
	         "   \"labels\":{\"kubernetes.io/service-name\":\"good\"}},\n"
	         "  \"endpoints\":[{\"addresses\":[\"not-an-ip\"]}]},\n"
	         " {\"kind\":\"Pod\",\"metadata\":{\"name\":\"badpod\",\"namespace\":\"n\"},\n"
	         "  \"status\":{\"podIPs\":[{\"ip\":true}]}},\n"
	         " {\"kind\":\"Service\",\"metadata\":{\"name\":\"good\",\"namespace\":\"n\"},\n"
	         "  \"spec\":{\"clusterIP\":\"10.0.0.5\",\"ports\":[{\"name\":\"h\",\"port\":65535}]}}\n"
	         "]}",
	         &c);
	assert_int_equal(n_objects(&c), 1);
	assert_string_equal(object_at(&c, 0)->name, "good");
	assert_int_equal(object_at(&c, 0)->u.svc.ports[0].port, 65535);
	for (i = 0; i < c.n; i++) {
		if (c.ev[i].obj)
			continue;
		assert_non_null(c.ev[i].message);
		assert_non_null(strstr(c.ev[i].message, "skipped"));
		skipped++;
	}
	assert_int_equal(skipped, 8);
	collector_free(&c);

	/* Same for items typed from the list's kind at the end. */
	parse_ok("{\"items\":[{\"metadata\":{\"name\":\"x\",\"namespace\":\"n\"},\n"
	         "  \"spec\":{\"clusterIP\":\"10.0.0.1\",\"ports\":[{\"port\":0}]}},\n"
	         " {\"metadata\":{\"name\":\"y\",\"namespace\":\"n\"},\"spec\":{\"clusterIP\":\"10.0.0.2\"}}],\n"
	         " \"kind\":\"ServiceList\"}",
	         &c);
	assert_int_equal(n_objects(&c), 1);
	assert_string_equal(object_at(&c, 0)->name, "y");
	assert_int_equal(n_messages(&c), 1);
	collector_free(&c);
}

/* ---- syntax errors ----------------------------------------------------- */

static void expect_error(const char *doc, const char *prefix)
{
	struct collector c = {0};
	char err[256] = "";
	int rc = kube_json_parse_document(doc, strlen(doc), collect, &c, err, sizeof(err));

	assert_int_equal(rc, -1);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("error '%s' does not start with '%s'", err, prefix);
	collector_free(&c);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	expect_error("{\"kind\":\"List\",\"items\":[}", "line 1: ");
	expect_error("{\n  \"kind\": \"List\",\n  \"items\": [ }\n}\n", "line 3: ");
	expect_error("{\n\"kind\":\"List\",\n\"items\":[\n{\"a\":1,,}\n]}\n", "line 4: ");
	/* ends inside a value: reported by finish, at the last line */
	expect_error("{\n\"kind\":\"List\",\n\"items\":[\n", "line 4: ");
	expect_error("", "line 1: ");
	expect_error("{\"kind\":\"List\"} {\"kind\":\"List\"}", "line 1: ");
}

/* The line is right when the error comes in a later chunk. */
static void test_syntax_error_line_across_chunks(void **state)
{
	static const char doc[] = "{\n\"kind\":\n\"List\",\n\"items\":\n[\n1,\n]\n}\n";
	size_t split;
	(void)state;

	for (split = 0; split <= sizeof(doc) - 1; split++) {
		struct collector c = {0};
		struct kube_json *p = kube_json_new(KUBE_JSON_DOCUMENT, collect, &c);
		char err[256] = "";
		int rc = kube_json_feed(p, doc, split, err, sizeof(err));

		if (rc == 0)
			rc = kube_json_feed(p, doc + split, sizeof(doc) - 1 - split, err,
			                    sizeof(err));
		if (rc == 0)
			rc = kube_json_finish(p, err, sizeof(err));
		assert_int_equal(rc, -1);
		if (strncmp(err, "line 7: ", 8) != 0)
			fail_msg("split %zu: '%s'", split, err);
		/* nothing more accepted */
		assert_int_equal(kube_json_feed(p, "{}", 2, err, sizeof(err)), -1);
		kube_json_free(p);
		collector_free(&c);
	}
}

/* Lines counted in bulk come out right past the counter's 255-step
   batches (16 bytes a step) and at every alignment of a chunk. */
static void test_syntax_error_line_long(void **state)
{
	enum { BLANK = 13000 };
	static const char head[] = "{\"kind\":\"List\",\"items\":[ 1,";
	char doc[sizeof(head) + BLANK + 8];
	size_t len, splits[] = {0, 1, 15, 17, 4079, 4080, 4081, 4097, 8191, 13013};
	size_t i;
	(void)state;

	memcpy(doc, head, sizeof(head) - 1);
	len = sizeof(head) - 1;
	for (i = 0; i < BLANK; i++)
		doc[len++] = i < 12000 ? '\n' : ' '; /* full counts in every lane */
	memcpy(doc + len, "]}", 2); /* "1, ]": an error on line 12001 */
	len += 2;
	for (i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
		struct collector c = {0};
		struct kube_json *p = kube_json_new(KUBE_JSON_DOCUMENT, collect, &c);
		char err[256] = "";
		int rc = kube_json_feed(p, doc, splits[i], err, sizeof(err));

		if (rc == 0)
			rc = kube_json_feed(p, doc + splits[i], len - splits[i], err, sizeof(err));
		if (rc == 0)
			rc = kube_json_finish(p, err, sizeof(err));
		assert_int_equal(rc, -1);
		if (strncmp(err, "line 12001: ", 12) != 0)
			fail_msg("split %zu: '%s'", splits[i], err);
		kube_json_free(p);
		collector_free(&c);
	}
}

/* ---- watch streams ----------------------------------------------------- */

static const char watch_stream[] =
	"{\"type\":\"ADDED\",\"object\":{\"kind\":\"Service\",\"apiVersion\":\"v1\",\n"
	"  \"metadata\":{\"name\":\"web\",\"namespace\":\"shop\",\"resourceVersion\":\"100\"},\n"
	"  \"spec\":{\"clusterIP\":\"10.0.0.1\",\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":\"http\"}]}}}\n"
	"{\"object\":{\"metadata\":{\"name\":\"web\",\"namespace\":\"shop\",\"resourceVersion\":\"101\"},\n"
	"  \"spec\":{\"clusterIP\":\"10.0.0.1\",\"clusterIPs\":[\"10.0.0.1\",\"fd00::1\"]}},\"type\":\"MODIFIED\"}\n"
	"{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Service\",\"metadata\":{\"resourceVersion\":\"150\"}}}\n"
	"{\"type\":\"ADDED\",\"object\":{\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"web-1\",\n"
	"  \"namespace\":\"shop\",\"labels\":{\"kubernetes.io/service-name\":\"web\"}},\n"
	"  \"endpoints\":[{\"addresses\":[\"10.1.1.1\"],\"conditions\":{\"ready\":false}},\n"
	"                {\"addresses\":[\"10.1.1.2\"]}],\"ports\":[{\"name\":\"http\",\"port\":8080}]}}\n"
	"{\"type\":\"DELETED\",\"object\":{\"kind\":\"Service\",\"metadata\":{\"name\":\"old\",\"namespace\":\"shop\",\"resourceVersion\":\"160\"},\"spec\":{}}}\n"
	"{\"type\":\"ADDED\",\"object\":{\"kind\":\"Service\",\"metadata\":{\"name\":\"bad\",\"namespace\":\"shop\"},\n"
	"  \"spec\":{\"clusterIP\":\"10.0.0.2\",\"ports\":[{\"port\":70000}]}}}\n"
	"{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\n"
	"  \"message\":\"too old resource version: 1 (150)\",\"reason\":\"Expired\",\"code\":410}}\n";

static void check_watch_events(const struct collector *c)
{
	const struct kube_object *o;

	assert_int_equal(c->n, 7);
	assert_int_equal(c->ev[0].ev, KUBE_EV_ADDED);
	o = c->ev[0].obj;
	assert_non_null(o);
	assert_int_equal(o->kind, KUBE_KIND_SERVICE);
	assert_string_equal(o->name, "web");
	assert_string_equal(o->resource_version, "100");

	/* no kind in the object: the default kind; "type" after "object" */
	assert_int_equal(c->ev[1].ev, KUBE_EV_MODIFIED);
	o = c->ev[1].obj;
	assert_non_null(o);
	assert_int_equal(o->kind, KUBE_KIND_SERVICE);
	assert_string_equal(o->resource_version, "101");
	assert_int_equal(o->u.svc.n_cluster_ips, 2);

	assert_int_equal(c->ev[2].ev, KUBE_EV_BOOKMARK);
	assert_non_null(c->ev[2].obj);
	assert_string_equal(c->ev[2].obj->resource_version, "150");

	assert_int_equal(c->ev[3].ev, KUBE_EV_ADDED);
	o = c->ev[3].obj;
	assert_non_null(o);
	assert_int_equal(o->kind, KUBE_KIND_ENDPOINTSLICE);
	assert_int_equal(o->u.slice.n_endpoints, 2);
	assert_false(o->u.slice.endpoints[0].ready);
	assert_true(o->u.slice.endpoints[1].ready);

	assert_int_equal(c->ev[4].ev, KUBE_EV_DELETED);
	o = c->ev[4].obj;
	assert_non_null(o);
	assert_string_equal(o->name, "old");
	assert_string_equal(o->resource_version, "160");

	assert_int_equal(c->ev[5].ev, KUBE_EV_ADDED);
	assert_null(c->ev[5].obj);
	assert_non_null(c->ev[5].message);
	assert_non_null(strstr(c->ev[5].message, "skipped"));

	assert_int_equal(c->ev[6].ev, KUBE_EV_ERROR);
	assert_null(c->ev[6].obj);
	assert_string_equal(c->ev[6].message, "too old resource version: 1 (150)");
}

static struct kube_json *watch_parser(struct collector *c)
{
	struct kube_json *p = kube_json_new(KUBE_JSON_WATCH, collect, c);

	assert_non_null(p);
	kube_json_set_default_kind(p, KUBE_KIND_SERVICE);
	return p;
}

static void test_watch_events(void **state)
{
	struct collector c = {0};
	struct kube_json *p = watch_parser(&c);
	char err[256] = "";
	(void)state;

	assert_int_equal(kube_json_feed(p, watch_stream, sizeof(watch_stream) - 1, err,
	                                sizeof(err)),
	                 0);
	assert_int_equal(kube_json_finish(p, err, sizeof(err)), 0);
	kube_json_free(p);
	check_watch_events(&c);
	collector_free(&c);
}

/* A WatchList's initial events end with a BOOKMARK annotated
   k8s.io/initial-events-end: "true" (another annotation, or "false", is a
   plain bookmark). */
static void test_watch_initial_events_end(void **state)
{
	struct collector c = {0};
	struct kube_json *p = watch_parser(&c);
	static const char ev[] =
		"{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Service\",\"metadata\":"
		"{\"resourceVersion\":\"7\",\"annotations\":{\"k8s.io/initial-events-end\":\"false\"}}}}\n"
		"{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Service\",\"metadata\":"
		"{\"annotations\":{\"other\":\"true\",\"k8s.io/initial-events-end\":\"true\"},"
		"\"resourceVersion\":\"8\"}}}\n"
		"{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Service\",\"metadata\":"
		"{\"resourceVersion\":\"9\"}}}\n";
	char err[256];
	(void)state;

	assert_int_equal(kube_json_feed(p, ev, strlen(ev), err, sizeof(err)), 0);
	assert_int_equal(kube_json_finish(p, err, sizeof(err)), 0);
	kube_json_free(p);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.ev[0].ev, KUBE_EV_BOOKMARK);
	assert_int_equal(c.ev[1].ev, KUBE_EV_INITIAL_EVENTS_END);
	assert_string_equal(c.ev[1].obj->resource_version, "8");
	assert_int_equal(c.ev[2].ev, KUBE_EV_BOOKMARK);
	collector_free(&c);
}

static void test_watch_without_default_kind(void **state)
{
	struct collector c = {0};
	struct kube_json *p = kube_json_new(KUBE_JSON_WATCH, collect, &c);
	static const char ev[] =
		"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"namespace\":\"b\"}}}\n"
		"{\"type\":\"ADDED\",\"object\":{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"b\"}}}\n";
	char err[256];
	(void)state;

	assert_int_equal(kube_json_feed(p, ev, strlen(ev), err, sizeof(err)), 0);
	assert_int_equal(kube_json_finish(p, err, sizeof(err)), 0);
	kube_json_free(p);
	assert_int_equal(n_objects(&c), 1);
	assert_int_equal(object_at(&c, 0)->kind, KUBE_KIND_NAMESPACE);
	collector_free(&c);
}

/* The default kind is for objects that carry none: an object whose kind is
   one svcdns does not keep is not turned into one (kube_json.h). */
static void test_watch_unknown_kind_not_defaulted(void **state)
{
	struct collector c = {0};
	struct kube_json *p = watch_parser(&c); /* default kind: Service */
	static const char ev[] =
		"{\"type\":\"ADDED\",\"object\":{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\n"
		"  \"metadata\":{\"name\":\"cfg\",\"namespace\":\"shop\"},\"data\":{\"a\":\"b\"}}}\n"
		"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"web\",\"namespace\":\"shop\"},\n"
		"  \"spec\":{\"clusterIP\":\"10.0.0.1\"}}}\n";
	char err[256];
	(void)state;

	assert_int_equal(kube_json_feed(p, ev, strlen(ev), err, sizeof(err)), 0);
	assert_int_equal(kube_json_finish(p, err, sizeof(err)), 0);
	kube_json_free(p);
	{
		/* checked after freeing, so a failure leaks nothing */
		size_t n = c.n;
		int kind0 = n > 0 && c.ev[0].obj ? c.ev[0].obj->kind : -1;
		bool msg0 = n > 0 && c.ev[0].message;
		int kind1 = n > 1 && c.ev[1].obj ? c.ev[1].obj->kind : -1;

		collector_free(&c);
		assert_int_equal(n, 2);
		if (kind0 >= 0)
			fail_msg("a ConfigMap was delivered as a %s",
			         kube_kind_name((enum kube_kind)kind0));
		assert_false(msg0);
		assert_int_equal(kind1, KUBE_KIND_SERVICE);
	}
}

/* A stream cut inside an event is an error at finish; a clean end is not. */
static void test_watch_finish(void **state)
{
	static const char one[] =
		"{\"type\":\"ADDED\",\"object\":{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a\"}}}\n";
	struct collector c = {0};
	struct kube_json *p = watch_parser(&c);
	char err[256] = "";
	(void)state;

	assert_int_equal(kube_json_feed(p, one, strlen(one), err, sizeof(err)), 0);
	assert_int_equal(kube_json_feed(p, one, 20, err, sizeof(err)), 0);
	assert_int_equal(kube_json_finish(p, err, sizeof(err)), -1);
	if (strncmp(err, "line 2: ", 8) != 0)
		fail_msg("'%s'", err);
	kube_json_free(p);
	assert_int_equal(n_objects(&c), 1);
	collector_free(&c);

	p = watch_parser(&c);
	assert_int_equal(kube_json_feed(p, one, strlen(one), err, sizeof(err)), 0);
	assert_int_equal(kube_json_feed(p, "\n  \n", 4, err, sizeof(err)), 0);
	assert_int_equal(kube_json_finish(p, err, sizeof(err)), 0);
	kube_json_free(p);
	assert_int_equal(n_objects(&c), 1);
	collector_free(&c);

	/* an empty stream (a watch that timed out with no events) ended
	   inside no value: fine */
	{
		int rc;
		p = watch_parser(&c);
		rc = kube_json_finish(p, err, sizeof(err));
		kube_json_free(p);
		collector_free(&c);
		if (rc != 0)
			fail_msg("empty watch stream: %s", err);
	}
}

static void run_split(const char *stream, size_t len, const size_t *cuts,
                      size_t n_cuts, enum kube_json_mode mode, struct text *out)
{
	struct collector c = {0};
	struct kube_json *p = kube_json_new(mode, collect, &c);
	char err[256] = "";
	size_t at = 0, i;

	assert_non_null(p);
	if (mode == KUBE_JSON_WATCH)
		kube_json_set_default_kind(p, KUBE_KIND_SERVICE);
	for (i = 0; i <= n_cuts; i++) {
		size_t end = i < n_cuts ? cuts[i] : len;
		if (kube_json_feed(p, stream + at, end - at, err, sizeof(err)) != 0)
			fail_msg("feed [%zu,%zu): %s", at, end, err);
		at = end;
	}
	if (kube_json_finish(p, err, sizeof(err)) != 0)
		fail_msg("finish: %s", err);
	if (mode == KUBE_JSON_DOCUMENT)
		snprintf(out->buf, 64, "rv=%s c=%s\n",
		         kube_json_list_version(p) ? kube_json_list_version(p) : "-",
		         kube_json_list_continue(p) ? kube_json_list_continue(p) : "-");
	kube_json_free(p);
	{
		struct text t;
		transcript(&c, &t);
		if (mode == KUBE_JSON_DOCUMENT) {
			size_t l = strlen(out->buf);
			assert_true(l + t.len < sizeof(out->buf));
			memcpy(out->buf + l, t.buf, t.len + 1);
			out->len = l + t.len;
		} else {
			memcpy(out->buf, t.buf, t.len + 1);
			out->len = t.len;
		}
	}
	collector_free(&c);
}

static void check_splits(const char *stream, enum kube_json_mode mode)
{
	size_t len = strlen(stream), k, i;
	static struct text whole, part;
	size_t *cuts;

	run_split(stream, len, NULL, 0, mode, &whole);
	assert_true(whole.len > 0);
	/* one cut at every offset (0 and len give empty chunks) */
	for (k = 0; k <= len; k++) {
		run_split(stream, len, &k, 1, mode, &part);
		if (strcmp(whole.buf, part.buf) != 0)
			fail_msg("split at %zu differs:\n--- whole\n%s--- split\n%s", k,
			         whole.buf, part.buf);
	}
	/* two cuts around every offset */
	for (k = 1; k + 1 < len; k++) {
		size_t two[2] = {k - 1, k + 1};
		run_split(stream, len, two, 2, mode, &part);
		assert_string_equal(whole.buf, part.buf);
	}
	/* byte by byte */
	cuts = malloc(len * sizeof(*cuts));
	assert_non_null(cuts);
	for (i = 0; i < len; i++)
		cuts[i] = i + 1;
	run_split(stream, len, cuts, len - 1, mode, &part);
	free(cuts);
	assert_string_equal(whole.buf, part.buf);
}

static void test_watch_split_every_offset(void **state)
{
	(void)state;
	check_splits(watch_stream, KUBE_JSON_WATCH);
	/* and the events are the ones expected when fed whole */
	{
		struct collector c = {0};
		struct kube_json *p = watch_parser(&c);
		char err[256];
		size_t i;
		for (i = 0; i < sizeof(watch_stream) - 1; i++)
			assert_int_equal(kube_json_feed(p, watch_stream + i, 1, err, sizeof(err)), 0);
		assert_int_equal(kube_json_finish(p, err, sizeof(err)), 0);
		kube_json_free(p);
		check_watch_events(&c);
		collector_free(&c);
	}
}

static void test_document_split_every_offset(void **state)
{
	(void)state;
	check_splits(service_list, KUBE_JSON_DOCUMENT);
	check_splits(v1_list, KUBE_JSON_DOCUMENT);
}

/* Escapes and multi-byte UTF-8 straddling a chunk boundary. */
static void test_watch_split_escapes(void **state)
{
	static const char stream[] =
		"{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"message\":\"caf\\u00e9 \\\"q\\\" \xc3\xa9\\n\"}}"
		"{\"type\":\"ADDED\",\"object\":{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"n\\u0031\"}}}";
	struct collector c = {0};
	struct kube_json *p;
	char err[256];
	(void)state;

	check_splits(stream, KUBE_JSON_WATCH);
	p = watch_parser(&c);
	assert_int_equal(kube_json_feed(p, stream, strlen(stream), err, sizeof(err)), 0);
	assert_int_equal(kube_json_finish(p, err, sizeof(err)), 0);
	kube_json_free(p);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.ev[0].message, "caf\xc3\xa9 \"q\" \xc3\xa9\n");
	assert_string_equal(c.ev[1].obj->name, "n1");
	collector_free(&c);
}

static void test_watch_syntax_error(void **state)
{
	struct collector c = {0};
	struct kube_json *p = watch_parser(&c);
	static const char stream[] =
		"{\"type\":\"ADDED\",\"object\":{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a\"}}}\n"
		"{\"type\":\"ADDED\",\"object\":{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"b\"}}}\n"
		"{\"type\":\"ADDED\",]\n";
	char err[256] = "";
	(void)state;

	assert_int_equal(kube_json_feed(p, stream, strlen(stream), err, sizeof(err)), -1);
	if (strncmp(err, "line 3: ", 8) != 0)
		fail_msg("'%s'", err);
	assert_int_equal(n_objects(&c), 2);
	kube_json_free(p);
	collector_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_list),
		cmocka_unit_test(test_service_list_kind_after_items),
		cmocka_unit_test(test_kindless_items_delivered_when_typed),
		cmocka_unit_test(test_list_version_absent),
		cmocka_unit_test(test_single_object),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_endpointslice_list),
		cmocka_unit_test(test_service_imports),
		cmocka_unit_test(test_endpoints_subsets),
		cmocka_unit_test(test_endpoints_no_subsets),
		cmocka_unit_test(test_pod_and_namespace),
		cmocka_unit_test(test_unknown_fields_and_nulls),
		cmocka_unit_test(test_publish_not_ready),
		cmocka_unit_test(test_malformed_items_skipped),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_syntax_error_line_across_chunks),
		cmocka_unit_test(test_syntax_error_line_long),
		cmocka_unit_test(test_watch_events),
		cmocka_unit_test(test_watch_without_default_kind),
		cmocka_unit_test(test_watch_unknown_kind_not_defaulted),
		cmocka_unit_test(test_watch_finish),
		cmocka_unit_test(test_watch_initial_events_end),
		cmocka_unit_test(test_watch_split_every_offset),
		cmocka_unit_test(test_document_split_every_offset),
		cmocka_unit_test(test_watch_split_escapes),
		cmocka_unit_test(test_watch_syntax_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
