/* test_envvars.c - the kubelet's service variables: a table of clusters and
 * pods (services in, variables out) modelled on the kubelet's own
 * TestFromServices and TestMakeEnvironmentVariables, plus the writers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "envvars.h"
#include "kube_object.h"
#include "svc_cache.h"

#define MAX_PORTS 4
#define MAX_SVCS 12
#define MAX_VARS 64

struct tport {
	const char *name;
	uint16_t port;
	uint8_t proto;
};

struct tsvc {
	const char *ns;
	const char *name;
	const char *ip;      /* spec.clusterIP as written; NULL: absent */
	const char *ip2;     /* second of spec.clusterIPs (dual-stack) */
	uint8_t type;
	struct tport ports[MAX_PORTS];
};

struct tcase {
	const char *title;
	const char *pod_ns;
	bool links;
	struct tsvc svcs[MAX_SVCS];
	const char *expect[MAX_VARS]; /* "NAME=value", any order */
};

#define TCP KUBE_PROTO_TCP
#define UDP KUBE_PROTO_UDP
#define SCTP KUBE_PROTO_SCTP

/* The services of the kubelet's TestMakeEnvironmentVariables (one per
   ns/name: our cache, like the API, holds one), plus a headless and an
   ExternalName service in test2 that must give nothing. */
#define KUBELET_CLUSTER                                                   \
	{ "default", "kubernetes", "1.2.3.1", NULL, 0, { { "", 8081, TCP } } }, \
	{ "test1", "test", "1.2.3.3", NULL, 0, { { "", 8083, TCP } } },         \
	{ "test2", "kubernetes", "1.2.3.4", NULL, 0, { { "", 8084, TCP } } },   \
	{ "test2", "test", "1.2.3.5", NULL, 0, { { "", 8085, TCP } } },         \
	{ "test2", "test-headless", "None", NULL, KUBE_SVC_HEADLESS,            \
	  { { "", 8085, TCP } } },                                              \
	{ "test2", "test-ext", "", NULL, KUBE_SVC_EXTERNAL_NAME,                \
	  { { "", 8085, TCP } } },                                              \
	{ "default", "not-special", "1.2.3.8", NULL, 0, { { "", 8088, TCP } } }, \
	{ "default", "not-special-none", "None", NULL, KUBE_SVC_HEADLESS,       \
	  { { "", 8088, TCP } } }

#define KUBE_VARS(ip, port)                                                \
	"KUBERNETES_SERVICE_HOST=" ip, "KUBERNETES_SERVICE_PORT=" port,      \
	"KUBERNETES_PORT=tcp://" ip ":" port,                                 \
	"KUBERNETES_PORT_" port "_TCP=tcp://" ip ":" port,                    \
	"KUBERNETES_PORT_" port "_TCP_PROTO=tcp",                             \
	"KUBERNETES_PORT_" port "_TCP_PORT=" port,                            \
	"KUBERNETES_PORT_" port "_TCP_ADDR=" ip

#define TEST_VARS(ip, port)                                                \
	"TEST_SERVICE_HOST=" ip, "TEST_SERVICE_PORT=" port,                  \
	"TEST_PORT=tcp://" ip ":" port,                                       \
	"TEST_PORT_" port "_TCP=tcp://" ip ":" port,                          \
	"TEST_PORT_" port "_TCP_PROTO=tcp",                                   \
	"TEST_PORT_" port "_TCP_PORT=" port, "TEST_PORT_" port "_TCP_ADDR=" ip

static const struct tcase cases[] = {
	{
		"kubelet TestFromServices: dashes, named and unnamed ports, "
		"UDP first, numeric port name, None and empty cluster IP",
		"ns", true,
		{
			{ "ns", "foo-bar", "1.2.3.4", NULL, 0, { { "", 8080, TCP } } },
			{ "ns", "abc-123", "5.6.7.8", NULL, 0,
			  { { "u-d-p", 8081, UDP }, { "t-c-p", 8081, TCP } } },
			{ "ns", "q-u-u-x", "9.8.7.6", NULL, 0,
			  { { "", 8082, TCP }, { "8083", 8083, TCP } } },
			{ "ns", "svrc-clusterip-none", "None", NULL,
			  KUBE_SVC_HEADLESS, { { "", 8082, TCP } } },
			{ "ns", "svrc-clusterip-empty", "", NULL,
			  KUBE_SVC_EXTERNAL_NAME, { { "", 8082, TCP } } },
		},
		{
			"FOO_BAR_SERVICE_HOST=1.2.3.4",
			"FOO_BAR_SERVICE_PORT=8080",
			"FOO_BAR_PORT=tcp://1.2.3.4:8080",
			"FOO_BAR_PORT_8080_TCP=tcp://1.2.3.4:8080",
			"FOO_BAR_PORT_8080_TCP_PROTO=tcp",
			"FOO_BAR_PORT_8080_TCP_PORT=8080",
			"FOO_BAR_PORT_8080_TCP_ADDR=1.2.3.4",
			"ABC_123_SERVICE_HOST=5.6.7.8",
			"ABC_123_SERVICE_PORT=8081",
			"ABC_123_SERVICE_PORT_U_D_P=8081",
			"ABC_123_SERVICE_PORT_T_C_P=8081",
			"ABC_123_PORT=udp://5.6.7.8:8081",
			"ABC_123_PORT_8081_UDP=udp://5.6.7.8:8081",
			"ABC_123_PORT_8081_UDP_PROTO=udp",
			"ABC_123_PORT_8081_UDP_PORT=8081",
			"ABC_123_PORT_8081_UDP_ADDR=5.6.7.8",
			"ABC_123_PORT_8081_TCP=tcp://5.6.7.8:8081",
			"ABC_123_PORT_8081_TCP_PROTO=tcp",
			"ABC_123_PORT_8081_TCP_PORT=8081",
			"ABC_123_PORT_8081_TCP_ADDR=5.6.7.8",
			"Q_U_U_X_SERVICE_HOST=9.8.7.6",
			"Q_U_U_X_SERVICE_PORT=8082",
			"Q_U_U_X_SERVICE_PORT_8083=8083",
			"Q_U_U_X_PORT=tcp://9.8.7.6:8082",
			"Q_U_U_X_PORT_8082_TCP=tcp://9.8.7.6:8082",
			"Q_U_U_X_PORT_8082_TCP_PROTO=tcp",
			"Q_U_U_X_PORT_8082_TCP_PORT=8082",
			"Q_U_U_X_PORT_8082_TCP_ADDR=9.8.7.6",
			"Q_U_U_X_PORT_8083_TCP=tcp://9.8.7.6:8083",
			"Q_U_U_X_PORT_8083_TCP_PROTO=tcp",
			"Q_U_U_X_PORT_8083_TCP_PORT=8083",
			"Q_U_U_X_PORT_8083_TCP_ADDR=9.8.7.6",
		},
	},
	{
		"pod ns without service links: only default/kubernetes",
		"test1", false, { KUBELET_CLUSTER },
		{ KUBE_VARS("1.2.3.1", "8081") },
	},
	{
		"pod ns with service links: its services and default/kubernetes",
		"test1", true, { KUBELET_CLUSTER },
		{ TEST_VARS("1.2.3.3", "8083"), KUBE_VARS("1.2.3.1", "8081") },
	},
	{
		"kubernetes in the pod ns, links off: the default one",
		"test2", false, { KUBELET_CLUSTER },
		{ KUBE_VARS("1.2.3.1", "8081") },
	},
	{
		"kubernetes in the pod ns, links on: it replaces the default "
		"one; headless and ExternalName give nothing",
		"test2", true, { KUBELET_CLUSTER },
		{ TEST_VARS("1.2.3.5", "8085"), KUBE_VARS("1.2.3.4", "8084") },
	},
	{
		"pod in default, links off",
		"default", false, { KUBELET_CLUSTER },
		{ KUBE_VARS("1.2.3.1", "8081") },
	},
	{
		"pod in default, links on",
		"default", true, { KUBELET_CLUSTER },
		{
			"NOT_SPECIAL_SERVICE_HOST=1.2.3.8",
			"NOT_SPECIAL_SERVICE_PORT=8088",
			"NOT_SPECIAL_PORT=tcp://1.2.3.8:8088",
			"NOT_SPECIAL_PORT_8088_TCP=tcp://1.2.3.8:8088",
			"NOT_SPECIAL_PORT_8088_TCP_PROTO=tcp",
			"NOT_SPECIAL_PORT_8088_TCP_PORT=8088",
			"NOT_SPECIAL_PORT_8088_TCP_ADDR=1.2.3.8",
			KUBE_VARS("1.2.3.1", "8081"),
		},
	},
	{
		"unknown namespace: only default/kubernetes",
		"nowhere", true, { KUBELET_CLUSTER },
		{ KUBE_VARS("1.2.3.1", "8081") },
	},
	{
		"headless kubernetes in the pod ns does not hide the default one",
		"hl", true,
		{
			{ "default", "kubernetes", "10.96.0.1", NULL, 0,
			  { { "https", 443, TCP } } },
			{ "hl", "kubernetes", "None", NULL, KUBE_SVC_HEADLESS,
			  { { "https", 443, TCP } } },
		},
		{
			"KUBERNETES_SERVICE_HOST=10.96.0.1",
			"KUBERNETES_SERVICE_PORT=443",
			"KUBERNETES_SERVICE_PORT_HTTPS=443",
			"KUBERNETES_PORT=tcp://10.96.0.1:443",
			"KUBERNETES_PORT_443_TCP=tcp://10.96.0.1:443",
			"KUBERNETES_PORT_443_TCP_PROTO=tcp",
			"KUBERNETES_PORT_443_TCP_PORT=443",
			"KUBERNETES_PORT_443_TCP_ADDR=10.96.0.1",
		},
	},
	{
		"no services at all",
		"default", true, { { NULL } }, { NULL },
	},
	{
		"the docs example: redis-master",
		"web", true,
		{ { "web", "redis-master", "10.0.0.11", NULL, 0,
		    { { "", 6379, TCP } } } },
		{
			"REDIS_MASTER_SERVICE_HOST=10.0.0.11",
			"REDIS_MASTER_SERVICE_PORT=6379",
			"REDIS_MASTER_PORT=tcp://10.0.0.11:6379",
			"REDIS_MASTER_PORT_6379_TCP=tcp://10.0.0.11:6379",
			"REDIS_MASTER_PORT_6379_TCP_PROTO=tcp",
			"REDIS_MASTER_PORT_6379_TCP_PORT=6379",
			"REDIS_MASTER_PORT_6379_TCP_ADDR=10.0.0.11",
		},
	},
	{
		"IPv6 cluster IP: bracketed in URLs only",
		"v6", false,
		{ { "default", "kubernetes", "fd00:10:96::1", NULL, 0,
		    { { "https", 443, TCP } } } },
		{
			"KUBERNETES_SERVICE_HOST=fd00:10:96::1",
			"KUBERNETES_SERVICE_PORT=443",
			"KUBERNETES_SERVICE_PORT_HTTPS=443",
			"KUBERNETES_PORT=tcp://[fd00:10:96::1]:443",
			"KUBERNETES_PORT_443_TCP=tcp://[fd00:10:96::1]:443",
			"KUBERNETES_PORT_443_TCP_PROTO=tcp",
			"KUBERNETES_PORT_443_TCP_PORT=443",
			"KUBERNETES_PORT_443_TCP_ADDR=fd00:10:96::1",
		},
	},
	{
		"dual-stack: the primary clusterIP only, IPv4 or IPv6 first",
		"ds", true,
		{
			{ "ds", "web", "10.0.0.5", "fd00::5", 0,
			  { { "http", 80, TCP } } },
			{ "ds", "web6", "fd00::6", "10.0.0.6", 0,
			  { { "", 8080, TCP } } },
		},
		{
			"WEB_SERVICE_HOST=10.0.0.5",
			"WEB_SERVICE_PORT=80",
			"WEB_SERVICE_PORT_HTTP=80",
			"WEB_PORT=tcp://10.0.0.5:80",
			"WEB_PORT_80_TCP=tcp://10.0.0.5:80",
			"WEB_PORT_80_TCP_PROTO=tcp",
			"WEB_PORT_80_TCP_PORT=80",
			"WEB_PORT_80_TCP_ADDR=10.0.0.5",
			"WEB6_SERVICE_HOST=fd00::6",
			"WEB6_SERVICE_PORT=8080",
			"WEB6_PORT=tcp://[fd00::6]:8080",
			"WEB6_PORT_8080_TCP=tcp://[fd00::6]:8080",
			"WEB6_PORT_8080_TCP_PROTO=tcp",
			"WEB6_PORT_8080_TCP_PORT=8080",
			"WEB6_PORT_8080_TCP_ADDR=fd00::6",
		},
	},
	{
		"UDP, TCP and SCTP on one service; same port number twice",
		"sys", true,
		{ { "sys", "kube-dns", "10.96.0.10", NULL, 0,
		    { { "dns", 53, UDP },
		      { "dns-tcp", 53, TCP },
		      { "metrics", 9153, TCP },
		      { "sig", 3868, SCTP } } } },
		{
			"KUBE_DNS_SERVICE_HOST=10.96.0.10",
			"KUBE_DNS_SERVICE_PORT=53",
			"KUBE_DNS_SERVICE_PORT_DNS=53",
			"KUBE_DNS_SERVICE_PORT_DNS_TCP=53",
			"KUBE_DNS_SERVICE_PORT_METRICS=9153",
			"KUBE_DNS_SERVICE_PORT_SIG=3868",
			"KUBE_DNS_PORT=udp://10.96.0.10:53",
			"KUBE_DNS_PORT_53_UDP=udp://10.96.0.10:53",
			"KUBE_DNS_PORT_53_UDP_PROTO=udp",
			"KUBE_DNS_PORT_53_UDP_PORT=53",
			"KUBE_DNS_PORT_53_UDP_ADDR=10.96.0.10",
			"KUBE_DNS_PORT_53_TCP=tcp://10.96.0.10:53",
			"KUBE_DNS_PORT_53_TCP_PROTO=tcp",
			"KUBE_DNS_PORT_53_TCP_PORT=53",
			"KUBE_DNS_PORT_53_TCP_ADDR=10.96.0.10",
			"KUBE_DNS_PORT_9153_TCP=tcp://10.96.0.10:9153",
			"KUBE_DNS_PORT_9153_TCP_PROTO=tcp",
			"KUBE_DNS_PORT_9153_TCP_PORT=9153",
			"KUBE_DNS_PORT_9153_TCP_ADDR=10.96.0.10",
			"KUBE_DNS_PORT_3868_SCTP=sctp://10.96.0.10:3868",
			"KUBE_DNS_PORT_3868_SCTP_PROTO=sctp",
			"KUBE_DNS_PORT_3868_SCTP_PORT=3868",
			"KUBE_DNS_PORT_3868_SCTP_ADDR=10.96.0.10",
		},
	},
	{
		"mangling: '-' to '_' and upper case, nothing else",
		"m", true,
		{ { "m", "my-svc-2", "10.1.1.1", NULL, 0,
		    { { "grpc-web", 50051, TCP } } } },
		{
			"MY_SVC_2_SERVICE_HOST=10.1.1.1",
			"MY_SVC_2_SERVICE_PORT=50051",
			"MY_SVC_2_SERVICE_PORT_GRPC_WEB=50051",
			"MY_SVC_2_PORT=tcp://10.1.1.1:50051",
			"MY_SVC_2_PORT_50051_TCP=tcp://10.1.1.1:50051",
			"MY_SVC_2_PORT_50051_TCP_PROTO=tcp",
			"MY_SVC_2_PORT_50051_TCP_PORT=50051",
			"MY_SVC_2_PORT_50051_TCP_ADDR=10.1.1.1",
		},
	},
	{
		"a colliding name: the service that sorts last wins",
		"c", true,
		{
			{ "c", "a-port-80-tcp", "10.2.0.2", NULL, 0,
			  { { "", 81, TCP } } },
			{ "c", "a", "10.2.0.1", NULL, 0, { { "", 80, TCP } } },
		},
		{
			"A_SERVICE_HOST=10.2.0.1",
			"A_SERVICE_PORT=80",
			"A_PORT=tcp://10.2.0.1:80",
			"A_PORT_80_TCP=tcp://10.2.0.1:80",
			"A_PORT_80_TCP_PROTO=tcp",
			"A_PORT_80_TCP_ADDR=10.2.0.1",
			"A_PORT_80_TCP_SERVICE_HOST=10.2.0.2",
			"A_PORT_80_TCP_SERVICE_PORT=81",
			/* both set this one; "a-port-80-tcp" > "a" */
			"A_PORT_80_TCP_PORT=tcp://10.2.0.2:81",
			"A_PORT_80_TCP_PORT_81_TCP=tcp://10.2.0.2:81",
			"A_PORT_80_TCP_PORT_81_TCP_PROTO=tcp",
			"A_PORT_80_TCP_PORT_81_TCP_PORT=81",
			"A_PORT_80_TCP_PORT_81_TCP_ADDR=10.2.0.2",
		},
	},
	{
		"services of other namespaces and other kinds are ignored",
		"mine", true,
		{
			{ "other", "web", "10.3.0.1", NULL, 0, { { "", 80, TCP } } },
			{ "mine", "db", NULL, NULL, 0, { { "", 5432, TCP } } },
		},
		{ NULL },
	},
};

static char *xstrdup(const char *s)
{
	char *d = s ? strdup(s) : NULL;

	assert_true(s == NULL || d != NULL);
	return d;
}

static struct kube_object *make_service(const struct tsvc *t)
{
	struct kube_object *o = calloc(1, sizeof(*o));
	size_t np = 0;

	assert_non_null(o);
	o->kind = KUBE_KIND_SERVICE;
	o->ns = xstrdup(t->ns);
	o->name = xstrdup(t->name);
	o->u.svc.type = t->type;
	o->u.svc.cluster_ip = xstrdup(t->ip);
	if (t->ip && t->type == KUBE_SVC_CLUSTER_IP) {
		const char *ips[2] = { t->ip, t->ip2 };
		size_t n = t->ip2 ? 2 : 1;

		o->u.svc.cluster_ips = calloc(n, sizeof(struct kube_ip));
		assert_non_null(o->u.svc.cluster_ips);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(
				kube_ip_parse(ips[i], &o->u.svc.cluster_ips[i]), 0);
		o->u.svc.n_cluster_ips = n;
	}
	while (np < MAX_PORTS && t->ports[np].port != 0)
		np++;
	o->u.svc.ports = calloc(np ? np : 1, sizeof(struct kube_port));
	assert_non_null(o->u.svc.ports);
	for (size_t i = 0; i < np; i++) {
		o->u.svc.ports[i].name = xstrdup(t->ports[i].name);
		o->u.svc.ports[i].port = t->ports[i].port;
		o->u.svc.ports[i].proto = t->ports[i].proto;
	}
	o->u.svc.n_ports = np;
	return o;
}

static struct svc_cache *make_cache(const struct tsvc *svcs, size_t n)
{
	struct svc_cache *c = svc_cache_new();

	assert_non_null(c);
	for (size_t i = 0; i < n && svcs[i].name != NULL; i++)
		assert_int_equal(svc_cache_put(c, make_service(&svcs[i])), 0);
	return c;
}

static void check_case(const struct tcase *tc)
{
	struct svc_cache *c = make_cache(tc->svcs, MAX_SVCS);
	struct envvars ev;
	size_t n_expect = 0;

	assert_int_equal(envvars_for_pod(c, tc->pod_ns, tc->links, &ev), 0);
	for (; n_expect < MAX_VARS && tc->expect[n_expect]; n_expect++) {
		const char *want = tc->expect[n_expect];
		const char *eq = strchr(want, '=');
		char name[128];
		const char *got;

		assert_non_null(eq);
		snprintf(name, sizeof(name), "%.*s", (int)(eq - want), want);
		got = envvars_get(&ev, name);
		if (got == NULL || strcmp(got, eq + 1) != 0) {
			print_error("case '%s': %s is '%s', want '%s'\n",
			            tc->title, name, got ? got : "(unset)", eq + 1);
			fail();
		}
	}
	if (ev.n != n_expect) {
		print_error("case '%s': %zu variables, want %zu:\n", tc->title,
		            ev.n, n_expect);
		for (size_t i = 0; i < ev.n; i++)
			print_error("  %s=%s\n", ev.v[i].name, ev.v[i].value);
		fail();
	}
	for (size_t i = 1; i < ev.n; i++)
		assert_true(strcmp(ev.v[i - 1].name, ev.v[i].name) < 0);
	envvars_free(&ev);
	svc_cache_free(c);
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}

/* FromServices over an explicit list: a later duplicate wins, a port-less
   service gives only its host, non-Services are skipped. */
static void test_from_services(void **state)
{
	struct tsvc a = { "x", "dup", "10.0.0.1", NULL, 0, { { "", 80, TCP } } };
	struct tsvc b = { "y", "dup", "10.0.0.2", NULL, 0, { { "", 80, TCP } } };
	struct tsvc bare = { "x", "bare", "10.0.0.3", NULL, 0, { { NULL } } };
	struct kube_object *oa = make_service(&a), *ob = make_service(&b);
	struct kube_object *obare = make_service(&bare);
	struct kube_object ns_obj = { .kind = KUBE_KIND_NAMESPACE, .ns = "",
		                      .name = "x" };
	const struct kube_object *list[] = { oa, ob, obare, &ns_obj };
	struct envvars ev;

	(void)state;
	assert_int_equal(envvars_from_services(list, 4, &ev), 0);
	assert_string_equal(envvars_get(&ev, "DUP_SERVICE_HOST"), "10.0.0.2");
	assert_string_equal(envvars_get(&ev, "DUP_PORT"), "tcp://10.0.0.2:80");
	assert_string_equal(envvars_get(&ev, "BARE_SERVICE_HOST"), "10.0.0.3");
	assert_null(envvars_get(&ev, "BARE_SERVICE_PORT"));
	assert_null(envvars_get(&ev, "X_SERVICE_HOST"));
	assert_int_equal(ev.n, 7 + 1);
	envvars_free(&ev);

	assert_int_equal(envvars_from_services(list, 0, &ev), 0);
	assert_int_equal(ev.n, 0);
	assert_null(envvars_get(&ev, "DUP_PORT"));
	envvars_free(&ev);
	kube_object_free(oa);
	kube_object_free(ob);
	kube_object_free(obare);
}

/* Renders ev in fmt into a string the caller frees. */
static char *render(const struct envvars *ev, enum envvars_format fmt,
                    size_t *skipped)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	assert_int_equal(envvars_write(ev, fmt, fp, skipped), 0);
	assert_int_equal(fclose(fp), 0);
	return buf;
}

static void test_writers(void **state)
{
	struct envvar v[] = {
		{ "A", "plain" },
		{ "B", "it's $HOME `x` \"q\" \\" },
		{ "C", "two\nlines\ttab\x01" },
		{ "D.E", "dotted" },
		{ "F", "" },
	};
	struct envvars ev = { v, sizeof(v) / sizeof(v[0]) };
	size_t skipped;
	char *out;

	(void)state;
	out = render(&ev, ENVVARS_SHELL, &skipped);
	assert_string_equal(out,
	                    "export A='plain'\n"
	                    "export B='it'\\''s $HOME `x` \"q\" \\'\n"
	                    "export C='two\nlines\ttab\x01'\n"
	                    "export F=''\n");
	assert_int_equal(skipped, 1);
	free(out);

	out = render(&ev, ENVVARS_ENV, &skipped);
	assert_string_equal(out, "A=plain\n"
	                         "B=it's $HOME `x` \"q\" \\\n"
	                         "D.E=dotted\n"
	                         "F=\n");
	assert_int_equal(skipped, 1);
	free(out);

	out = render(&ev, ENVVARS_JSON, &skipped);
	assert_string_equal(out, "{\n"
	                         "  \"A\": \"plain\",\n"
	                         "  \"B\": \"it's $HOME `x` \\\"q\\\" \\\\\",\n"
	                         "  \"C\": \"two\\nlines\\ttab\\u0001\",\n"
	                         "  \"D.E\": \"dotted\",\n"
	                         "  \"F\": \"\"\n"
	                         "}\n");
	assert_int_equal(skipped, 0);
	free(out);

	ev.n = 0;
	out = render(&ev, ENVVARS_JSON, NULL);
	assert_string_equal(out, "{}\n");
	free(out);
	out = render(&ev, ENVVARS_SHELL, NULL);
	assert_string_equal(out, "");
	free(out);
}

static void test_shell_name(void **state)
{
	(void)state;
	assert_true(envvars_is_shell_name("KUBERNETES_PORT_443_TCP"));
	assert_true(envvars_is_shell_name("_X1"));
	assert_false(envvars_is_shell_name(""));
	assert_false(envvars_is_shell_name("1X"));
	assert_false(envvars_is_shell_name("A.B"));
	assert_false(envvars_is_shell_name("A-B"));
	assert_string_equal(envvars_format_names[ENVVARS_SHELL], "shell");
	assert_string_equal(envvars_format_names[ENVVARS_ENV], "env");
	assert_string_equal(envvars_format_names[ENVVARS_JSON], "json");
	assert_null(envvars_format_names[3]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_from_services),
		cmocka_unit_test(test_writers),
		cmocka_unit_test(test_shell_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
