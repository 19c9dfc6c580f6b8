/* test_corefile.c - Corefiles converted to svcdns's options: the default
 * Corefiles of kubeadm, k3s, EKS, AKS and OpenShift, and kubeadm's after
 * Cilium's MCS-API recipe, against their expected flags, messages and
 * status (tests/fixtures/corefiles, found through $TESTDIR: a missing file
 * fails); stub-domain blocks, ports, bind, Go durations, comments, quotes,
 * nested blocks, the kubernetes, cache, hosts and http options; the
 * kubernetes plugin's multicluster option and the multicluster plugin;
 * every unsupported directive reported at its line; and
 * texts that are no Corefile (unbalanced braces, NUL bytes, garbage) giving
 * 1 without a crash, cut at every byte or not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "corefile.h"

/* One conversion: what it printed on out and errs, and its status. */
struct result {
	int rc;
	char *out, *err;
	size_t out_len, err_len;
};

static void run_n(const char *text, size_t len, struct result *r)
{
	FILE *out = open_memstream(&r->out, &r->out_len);
	FILE *err = open_memstream(&r->err, &r->err_len);

	assert_non_null(out);
	assert_non_null(err);
	r->rc = corefile_convert(text, len, "t", out, err);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(fclose(err), 0);
}

static void run(const char *text, struct result *r)
{
	run_n(text, strlen(text), r);
}

static void done(struct result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

/* The text has a line that is exactly line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return true;
		p++;
	}
	return false;
}

/* The text has a line that starts with prefix. */
static bool has_prefix(const char *text, const char *prefix)
{
	const char *p = text;

	while ((p = strstr(p, prefix))) {
		if (p == text || p[-1] == '\n')
			return true;
		p++;
	}
	return false;
}

static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

#define assert_line(text, line)                                                 \
	do {                                                                    \
		if (!has_line((text), (line)))                                  \
			fail_msg("no line \"%s\" in:\n%s", (line), (text));     \
	} while (0)
#define assert_no_line(text, line)                                              \
	do {                                                                    \
		if (has_line((text), (line)))                                   \
			fail_msg("a line \"%s\" in:\n%s", (line), (text));      \
	} while (0)
#define assert_prefix(text, prefix)                                             \
	do {                                                                    \
		if (!has_prefix((text), (prefix)))                              \
			fail_msg("no line starting \"%s\" in:\n%s", (prefix), (text)); \
	} while (0)

static char *read_file(const char *name, const char *ext, size_t *len)
{
	const char *dir = getenv("TESTDIR");
	char path[4096];
	FILE *fp;
	char *buf;
	long n;

	if (!dir)
		fail_msg("set TESTDIR to the tests directory");
	snprintf(path, sizeof(path), "%s/fixtures/corefiles/%s%s", dir, name, ext);
	if (!(fp = fopen(path, "rb")))
		fail_msg("%s: missing", path);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	if (len)
		*len = (size_t)n;
	return buf;
}

/* ---- the platforms' default Corefiles ---- */
static void check_fixture(const char *name)
{
	char file[64];
	size_t len;
	char *text, *flags, *unsupported, *status;
	FILE *out, *err;
	struct result r;

	snprintf(file, sizeof(file), "%s.Corefile", name);
	text = read_file(file, "", &len);
	flags = read_file(name, ".flags", NULL);
	unsupported = read_file(name, ".unsupported", NULL);
	status = read_file(name, ".status", NULL);
	out = open_memstream(&r.out, &r.out_len);
	err = open_memstream(&r.err, &r.err_len);
	r.rc = corefile_convert(text, len, file, out, err);
	fclose(out);
	fclose(err);
	assert_string_equal(r.out, flags);
	assert_string_equal(r.err, unsupported);
	assert_int_equal(r.rc, atoi(status));
	/* The first line says where the Corefile comes from. */
	assert_true(text[0] == '#');
	done(&r);
	free(text);
	free(flags);
	free(unsupported);
	free(status);
}

static void test_fixture_kubeadm(void **state)
{
	(void)state;
	check_fixture("kubeadm");
}

static void test_fixture_k3s(void **state)
{
	(void)state;
	check_fixture("k3s");
}

static void test_fixture_eks(void **state)
{
	(void)state;
	check_fixture("eks");
}

static void test_fixture_aks(void **state)
{
	(void)state;
	check_fixture("aks");
}

static void test_fixture_openshift(void **state)
{
	(void)state;
	check_fixture("openshift");
}

static void test_fixture_cilium_mcsapi(void **state)
{
	(void)state;
	check_fixture("cilium-mcsapi");
}

/* The kubeadm Corefile without its comment line gives exactly the flags
   tests/realapi/coredns_lib.sh runs svcdns with for it. */
static void test_kubeadm_as_documented(void **state)
{
	struct result r;

	(void)state;
	run(".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n"
	    "    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n"
	    "       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n"
	    "    prometheus :9153\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n"
	    "    }\n    cache 30 {\n       disable success cluster.local\n"
	    "       disable denial cluster.local\n    }\n    loop\n    reload\n    loadbalance\n}\n",
	    &r);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "--domain cluster.local\n--ttl 30\n--cache-ttl 30\n"
	                           "--http 0.0.0.0:9153\n--pods insecure\n--lameduck 5\n");
	done(&r);
}

/* ---- server blocks ---- */
static void test_stub_domains(void **state)
{
	struct result r;

	(void)state;
	run(".:53 {\n"
	    "  kubernetes cluster.local\n"
	    "  forward . 10.0.0.53\n"
	    "  forward corp.example 10.1.0.1 dns://10.1.0.2:5353\n" /* 4: FROM in the main block */
	    "  cache 30\n  loadbalance\n"
	    "}\n"
	    "Example.COM.:53 consul.local {\n" /* 8: two zones, one block */
	    "  errors\n  cache 30\n  log\n"      /* implied: ignored */
	    "  forward . 10.0.0.1 10.0.0.2:5353 [fd00::1]:53\n"
	    "}\n"
	    "dns://10.0.0.0/8 {\n" /* 14: a network: its reverse zone */
	    "  forward . 10.9.9.9\n"
	    "}\n"
	    "fd00:1::/32 {\n"
	    "  forward . 10.9.9.8\n"
	    "}\n"
	    "files.example {\n" /* 20 */
	    "  forward . /etc/other-resolv.conf\n"
	    "}\n"
	    "empty.example {\n" /* 23: nothing it could be */
	    "  errors\n"
	    "}\n",
	    &r);
	assert_line(r.out, "--upstream 10.0.0.53");
	assert_line(r.out, "--stub-domain corp.example=10.1.0.1,10.1.0.2:5353");
	assert_line(r.out, "--stub-domain example.com=10.0.0.1,10.0.0.2:5353,[fd00::1]:53");
	assert_line(r.out, "--stub-domain consul.local=10.0.0.1,10.0.0.2:5353,[fd00::1]:53");
	assert_line(r.out, "--stub-domain 10.in-addr.arpa=10.9.9.9");
	assert_line(r.out, "--stub-domain 1.0.0.0.0.0.d.f.ip6.arpa=10.9.9.8");
	assert_no_line(r.out, "--log-queries");
	assert_prefix(r.err, "t:21: forward . /etc/other-resolv.conf: /etc/other-resolv.conf: ");
	assert_prefix(r.err, "t:23: empty.example: a server block without forward or kubernetes");
	assert_int_equal(r.rc, 2);
	done(&r);

	/* A stub block alone converts fully. */
	run(".:53 {\n kubernetes cluster.local\n forward . 1.1.1.1\n cache\n loadbalance\n"
	    " health {\n  lameduck 5s\n }\n}\n"
	    "example.com {\n errors\n cache 30\n forward . 10.0.0.1\n}\n",
	    &r);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "--domain cluster.local\n--upstream 1.1.1.1\n"
	                           "--stub-domain example.com=10.0.0.1\n--http 0.0.0.0:8080\n"
	                           "--lameduck 5\n");
	assert_string_equal(r.err, "");
	done(&r);
}

static void test_ports(void **state)
{
	struct result r;

	(void)state;
	run("cluster.local:1053 {\n kubernetes\n}\n" /* before the root block: still 1053 */
	    "dns://.:1053 {\n forward . 1.1.1.1\n cache\n loadbalance\n}\n"
	    "example.com:53 {\n forward . 10.0.0.1\n}\n"     /* 9: another port */
	    "tls://.:853 {\n forward . 1.1.1.1\n}\n"         /* 12: another transport */
	    ".:1053 {\n errors\n}\n"                         /* 15: the root twice */
	    "bad:port:x {\n}\n",                             /* 18 */
	    &r);
	assert_line(r.out, "--port 1053");
	assert_line(r.out, "--domain cluster.local");
	assert_line(r.out, "--upstream 1.1.1.1");
	assert_prefix(r.err, "t:9: example.com:53: a server on port 53: svcdns answers on one "
	                     "port (--port 1053");
	assert_prefix(r.err, "t:12: tls://.:853: a server for another transport");
	assert_prefix(r.err, "t:15: .:1053: a second server block for the root zone");
	assert_prefix(r.err, "t:18: bad:port:x: not a domain name");
	assert_no_line(r.out, "--stub-domain example.com=10.0.0.1");
	assert_int_equal(r.rc, 2);
	done(&r);

	/* Port 53 is svcdns's default: no flag. No root block: names outside
	   the zones are refused, as CoreDNS refuses them. */
	run("cluster.local {\n kubernetes\n}\n", &r);
	assert_no_line(r.out, "--port 53");
	assert_line(r.out, "--upstream none");
	assert_line(r.out, "--domain cluster.local");
	assert_int_equal(r.rc, 0);
	done(&r);

	/* A port out of range, and nothing after the colon. */
	run(".:70000 {\n}\n.: {\n}\n", &r);
	assert_prefix(r.err, "t:1: .:70000: a port out of range");
	assert_prefix(r.err, "t:3: .:: nothing after the last ':'");
	assert_int_equal(r.rc, 2);
	done(&r);
}

static void test_bind(void **state)
{
	struct result r;

	(void)state;
	run(".:53 {\n"
	    "  bind 10.0.0.10 fd00::10 eth0 10.0.0.10 {\n" /* a duplicate is kept once */
	    "    except 10.0.0.11\n"
	    "  }\n"
	    "  kubernetes cluster.local\n"
	    "}\n"
	    "example.com {\n"
	    "  bind 127.0.0.1\n" /* 8 */
	    "  forward . 10.0.0.1\n"
	    "}\n",
	    &r);
	assert_string_equal(r.out, "--listen 10.0.0.10\n--listen fd00::10\n--domain cluster.local\n"
	                           "--upstream none\n--stub-domain example.com=10.0.0.1\n"
	                           "--cache-size 0\n--loadbalance none\n--lameduck 0\n");
	assert_prefix(r.err, "t:2: bind 10.0.0.10 fd00::10 eth0 10.0.0.10: eth0: an interface");
	assert_prefix(r.err, "t:3: bind: except 10.0.0.11: ");
	assert_prefix(r.err, "t:8: bind 127.0.0.1: bind in a block for other zones");
	assert_int_equal(count_lines(r.err), 3);
	assert_int_equal(r.rc, 2);
	done(&r);
}

/* Go durations, converted to each flag's unit. */
static void test_durations(void **state)
{
	static const struct {
		const char *text, *flag; /* flag NULL: reported */
	} cases[] = {
		{"health {\n lameduck 5s\n}", "--lameduck 5"},
		{"health {\n lameduck 1m\n}", "--lameduck 60"},
		{"health {\n lameduck 1m30s\n}", "--lameduck 90"},
		{"health {\n lameduck 1.5m\n}", "--lameduck 90"},
		{"health {\n lameduck 0\n}", "--lameduck 0"},
		{"health {\n lameduck 0s\n}", "--lameduck 0"},
		{"health {\n lameduck 2000ms\n}", "--lameduck 2"},
		{"health {\n lameduck 1h\n}", "--lameduck 3600"},
		{"health {\n lameduck 500ms\n}", NULL},  /* not whole seconds */
		{"health {\n lameduck 1.5s\n}", NULL},
		{"health {\n lameduck 2h\n}", NULL},     /* over 3600 */
		{"health {\n lameduck 5\n}", NULL},      /* no unit */
		{"health {\n lameduck 5x\n}", NULL},
		{"health {\n lameduck -5s\n}", NULL},
		{"health {\n lameduck 99999999999999h\n}", NULL}, /* overflows */
		{"health {\n lameduck .s\n}", NULL},
		{"hosts /h {\n reload 15s\n fallthrough\n}", "--hosts-reload 15"},
		{"hosts /h {\n reload 0\n fallthrough\n}", "--hosts-reload 0"},
		{"hosts /h {\n reload 2h\n fallthrough\n}", "--hosts-reload 7200"},
		{"hosts /h {\n reload 100ms\n fallthrough\n}", NULL},
		{"forward . 1.1.1.1 {\n read_timeout 1.5s\n}", "--forward-timeout 1500"},
		{"forward . 1.1.1.1 {\n read_timeout 2s\n}", "--forward-timeout 2000"},
		{"forward . 1.1.1.1 {\n read_timeout 500us\n}", NULL}, /* under 50 ms */
		{"forward . 1.1.1.1 {\n read_timeout 10ms\n}", NULL},
		{"forward . 1.1.1.1 {\n read_timeout 2m\n}", NULL},    /* over 60 s */
		{"kubernetes cluster.local {\n startup_timeout 5s\n}", NULL /* silent, no flag */},
		{"forward . 1.1.1.1 {\n policy sequential\n}", "--forward-policy sequential"},
		{"forward . 1.1.1.1 {\n policy round_robin\n}", "--forward-policy round_robin"},
		{"forward . 1.1.1.1 {\n policy fastest\n}", NULL},
		{"forward . 1.1.1.1 {\n force_tcp\n}", "--force-tcp"},
		{"cache 30 {\n serve_stale\n}", "--serve-stale 3600"},
		{"cache 30 {\n serve_stale 2h\n}", "--serve-stale 7200"},
		{"cache 30 {\n serve_stale 10m verify\n}", "--serve-stale 600"},
		{"cache 30 {\n serve_stale 10m immediate\n}", NULL}, /* serves before asking */
		{"cache 30 {\n serve_stale 30d\n}", NULL},          /* over a week */
		{"cache 30 {\n prefetch\n}", "--prefetch"},
		{"cache 30 {\n prefetch 10 1m 10%\n}", "--prefetch"}, /* with a note */
	};
	char text[256];
	struct result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), ".:53 {\n kubernetes cluster.local\n %s\n}\n",
		         cases[i].text);
		run(text, &r);
		if (cases[i].flag) {
			assert_line(r.out, cases[i].flag);
			assert_int_equal(r.rc, 0);
		} else if (strstr(cases[i].text, "startup_timeout")) {
			assert_int_equal(r.rc, 0);
		} else {
			assert_int_equal(r.rc, 2);
			assert_prefix(r.err, "t:4: ");
		}
		done(&r);
	}
}

static void test_comments_and_quotes(void **state)
{
	struct result r;

	(void)state;
	run("# a comment { with braces }\n"
	    ".:53 { # after the brace\n"
	    "  kubernetes \"cluster.local\" { # a quoted zone\n"
	    "    namespaces default \"kube-system\"\n"
	    "    labels app in (a, b),tier!=db\n"
	    "    namespace_labels \"team in (x, y)\"\n"
	    "    kubeconfig \"/etc/kube config\" my\\ctx\n"
	    "  }\n"
	    "  forward . 1.1.1.1#comment right after a word\n"
	    "  hosts \"/etc/a \\\"quoted\\\" name\" {\n"
	    "    fallthrough\n"
	    "  }\n"
	    "  rewrite \"a\n"
	    "b\" c\n" /* 13-14: a quoted string across lines */
	    "  autopath /etc/resolv.conf\n" /* 15: lines still counted */
	    "}\n",
	    &r);
	assert_line(r.out, "--domain cluster.local");
	assert_line(r.out, "--namespaces default,kube-system");
	/* CoreDNS joins a selector's words with spaces. */
	assert_line(r.out, "--labels=app in (a, b),tier!=db");
	assert_line(r.out, "--namespace-labels=team in (x, y)");
	assert_line(r.out, "--kubeconfig=/etc/kube config");
	assert_line(r.out, "--kube-context my\\ctx"); /* only \" is an escape */
	assert_line(r.out, "--upstream 1.1.1.1");
	assert_line(r.out, "--hosts=/etc/a \"quoted\" name");
	assert_prefix(r.err, "t:13: rewrite \"a\\nb\" c: ");
	assert_prefix(r.err, "t:15: autopath /etc/resolv.conf: ");
	assert_int_equal(count_lines(r.err), 2);
	assert_int_equal(r.rc, 2);
	done(&r);

	/* CR LF line ends, a byte order mark, NBSP and tabs as spaces. */
	run("\xef\xbb\xbf.:53 {\r\n\tkubernetes\xc2\xa0" "cluster.local\r\n forward . 1.1.1.1\r\n"
	    " cache\r\n loadbalance\r\n health {\r\n  lameduck 5s\r\n }\r\n}\r\n",
	    &r);
	assert_string_equal(r.out, "--domain cluster.local\n--upstream 1.1.1.1\n"
	                           "--http 0.0.0.0:8080\n--lameduck 5\n");
	assert_string_equal(r.err, "");
	assert_int_equal(r.rc, 0);
	done(&r);

	/* Keys on two lines joined by a comma; braceless single server. */
	run("example.com,\n  example.org {\n forward . 10.0.0.1\n}\n", &r);
	assert_line(r.out, "--stub-domain example.com=10.0.0.1");
	assert_line(r.out, "--stub-domain example.org=10.0.0.1");
	done(&r);
	run(".:53\nkubernetes cluster.local\nforward . 1.1.1.1\n", &r);
	assert_line(r.out, "--domain cluster.local");
	assert_line(r.out, "--upstream 1.1.1.1");
	assert_int_equal(r.rc, 0);
	done(&r);
}

static void test_nested_blocks(void **state)
{
	struct result r;

	(void)state;
	run(".:53 {\n"
	    "  view internal {\n"                      /* 2: unknown, nested deep */
	    "    expr { a { b { c } } }\n"
	    "    more {\n      x\n    }\n"
	    "  }\n"
	    "  kubernetes cluster.local {\n"          /* 8 */
	    "    pods insecure\n"
	    "    weird {\n"                           /* 10: a block in an option */
	    "      nested\n"
	    "    }\n"
	    "    ttl 10\n"                            /* still read after it */
	    "  }\n"
	    "  forward . 1.1.1.1\n"
	    "  cache 30 {\n    success 1000\n  }\n"  /* 16 */
	    "}\n",
	    &r);
	assert_prefix(r.err, "t:2: view internal: a plugin svcdns has no equivalent of");
	assert_prefix(r.err, "t:10: kubernetes: weird: a block inside an option");
	assert_line(r.out, "--pods insecure");
	assert_line(r.out, "--ttl 10");
	assert_line(r.out, "--cache-size 10984"); /* 1000 + CoreDNS's default 9984 */
	assert_int_equal(count_lines(r.err), 2);
	assert_int_equal(r.rc, 2);
	done(&r);
}

/* Every directive svcdns cannot do, each at its line. */
static void test_unsupported_lines(void **state)
{
	static const char *const expected[] = {
		"t:3: autopath /etc/resolv.conf: ",
		"t:4: rewrite name foo.example bar.example: ",
		"t:5: template IN A example.org: ",
		"t:8: dnssec: ",
		"t:9: transfer: ",
		"t:12: import /etc/coredns/custom/*.override: ",
		"t:13: k8s_external example.org: ",
		"t:14: etcd example.org: ",
		"t:15: file /db example.org: ",
		"t:16: auto: ",
		"t:17: secondary example.net: ",
		"t:18: route53 example.org.:Z1: ",
		"t:19: no_such_plugin a b c: a plugin svcdns has no equivalent of",
		"t:20: acl: ",
		"t:21: kubernetes: zonal: ",
		"t:22: kubernetes: multicluster clusterset.local: clusterset.local is not among the "
		"plugin's zones (cluster.local): CoreDNS refuses this too",
		"t:23: kubernetes: apiserver_qps 10: ",
		"t:24: kubernetes: fallthrough cluster.local: ",
		"t:25: kubernetes: pods sometimes: ",
		"t:26: kubernetes: ttl 3601: ",
		"t:27: kubernetes: ignore something: ",
		"t:28: kubernetes: tls only-two args: ",
		"t:29: kubernetes: import more.conf: svcdns reads no other files",
		"t:30: forward . tls://9.9.9.9 dns.example 1.1.1.1: tls://9.9.9.9: ",
		"t:30: forward . tls://9.9.9.9 dns.example 1.1.1.1: dns.example: a host name",
		"t:33: forward: prefer_udp: ",
		"t:35: forward: expire 10s: ",
		"t:36: forward: tls_servername dns.quad9.net: ",
		"t:37: forward: except example.org: ",
		"t:38: forward: max_concurrent 100: ",
		"t:40: cache 30 example.org: caching for some zones only",
		"t:43: cache: disable success: ",
		"t:44: cache: disable denial example.org: ",
		"t:45: cache: success 100 30 5: a minimum TTL",
		"t:47: hosts: 10.0.0.1 a.example: inline entries",
		"t:48: hosts: fallthrough example.org: ",
		"t:47: hosts /etc/hosts example.org: hosts for some zones only",
		"t:50: loadbalance weighted /w: ",
		"t:51: log example.org: logging some names only",
		"t:52: log . {combined}: a log format",
		"t:54: ready: monitor continuously: ",
		"t:56: prometheus: runtime_metrics: ",
		"t:58: bufsize 100: ",
		"t:59: forward . 8.8.8.8: a second forward for the root zone",
		"t:60: whoami {$HOME}: an environment variable ({$HOME})",
		"t:62: (snippet): a snippet",
		"t:65: import snippet: ",
	};
	const char *text =
		".:53 {\n"                                           /* 1 */
		"  errors\n"
		"  autopath /etc/resolv.conf\n"
		"  rewrite name foo.example bar.example\n"
		"  template IN A example.org {\n"                    /* 5 */
		"    answer \"{{ .Name }} 60 IN A 10.0.0.1\"\n"
		"  }\n"
		"  dnssec\n"
		"  transfer {\n    to *\n  }\n"                      /* 9 */
		"  import /etc/coredns/custom/*.override\n"          /* 12 */
		"  k8s_external example.org\n"
		"  etcd example.org\n"
		"  file /db example.org\n"                           /* 15 */
		"  auto\n"
		"  secondary example.net\n"
		"  route53 example.org.:Z1\n"
		"  no_such_plugin a b c\n"
		"  acl\n"                                            /* 20 */
		"  kubernetes cluster.local { zonal\n"
		"    multicluster clusterset.local\n"
		"    apiserver_qps 10\n"
		"    fallthrough cluster.local\n"
		"    pods sometimes\n"                               /* 25 */
		"    ttl 3601\n"
		"    ignore something\n"
		"    tls only-two args\n"
		"  import more.conf }\n"
		"  forward . tls://9.9.9.9 dns.example 1.1.1.1 {\n"  /* 30 */
		"    policy sequential\n"
		"    force_tcp\n"
		"    prefer_udp\n"
		"    health_check 5s\n"
		"    expire 10s\n"                                   /* 35 */
		"    tls_servername dns.quad9.net\n"
		"    except example.org\n"
		"    max_concurrent 100\n"
		"  }\n"
		"  cache 30 example.org {\n"                         /* 40 */
		"    prefetch 10\n"
		"    serve_stale\n"
		"    disable success\n"
		"    disable denial example.org\n"
		"    success 100 30 5\n"                             /* 45 */
		"  }\n"
		"  hosts /etc/hosts example.org { 10.0.0.1 a.example\n"
		"    fallthrough example.org\n"
		"  }\n"
		"  loadbalance weighted /w\n"                        /* 50 */
		"  log example.org\n"
		"  log . {combined}\n"
		"  ready :8181 {\n"
		"    monitor continuously\n"
		"  }\n"                                              /* 55 */
		"  prometheus :9153 { runtime_metrics\n"
		"  }\n"
		"  bufsize 100\n"
		"  forward . 8.8.8.8\n"
		"  whoami {$HOME}\n"                                 /* 60 */
		"}\n"
		"(snippet) {\n"
		"  log\n"
		"}\n"
		"import snippet\n";                                  /* 65 */
	struct result r;
	size_t i;

	(void)state;
	run(text, &r);
	for (i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		assert_prefix(r.err, expected[i]);
	/* Nothing else, except the notes on ready's merged address, on
	   prefetch's arguments and on health_check's interval. */
	assert_int_equal(count_lines(r.err), sizeof(expected) / sizeof(expected[0]) + 3);
	assert_prefix(r.err, "t:53: note: ready 0.0.0.0:8181: served on --http 0.0.0.0:9153");
	assert_prefix(r.err, "t:41: note: cache: prefetch 10: svcdns's --prefetch");
	assert_prefix(r.err, "t:34: note: forward: health_check 5s: svcdns probes a down upstream");
	assert_line(r.out, "--prefetch");
	assert_int_equal(r.rc, 2);
	/* What did convert is still printed. */
	assert_line(r.out, "--domain cluster.local");
	assert_line(r.out, "--upstream 1.1.1.1");
	assert_line(r.out, "--cache-size 10084");
	assert_line(r.out, "--cache-ttl 30");
	assert_line(r.out, "--hosts /etc/hosts");
	assert_line(r.out, "--http 0.0.0.0:9153");
	assert_no_line(r.out, "--log-queries");
	done(&r);
}

static void test_kubernetes_options(void **state)
{
	struct result r;

	(void)state;
	run(".:53 {\n"
	    "  kubernetes cluster.local Example.ORG. in-addr.arpa 10.in-addr.arpa ip6.arpa "
	    "10.96.0.0/12 {\n"
	    "    endpoint https://10.0.0.1:6443 https://10.0.0.2:6443\n" /* 3: first only */
	    "    tls /c.crt /c.key /ca.crt\n"                             /* 4 */
	    "    pods verified\n"
	    "    ttl 0\n"
	    "    fallthrough in-addr.arpa ip6.arpa\n"
	    "    fallthrough\n"
	    "    endpoint_pod_names\n"
	    "    ignore empty_service\n"
	    "    noendpoints\n"
	    "    startup_timeout 10s\n"
	    "    namespaces a b\n"
	    "    namespaces c\n"
	    "  }\n"
	    "  forward . 1.1.1.1\n  cache\n  loadbalance\n  health {\n    lameduck 5s\n  }\n"
	    "}\n",
	    &r);
	assert_string_equal(r.out, "--apiserver https://10.0.0.1:6443\n--ca-file /ca.crt\n"
	                           "--namespaces a,b\n--namespaces c\n--domain cluster.local\n"
	                           "--domain example.org\n--ttl 0\n--upstream 1.1.1.1\n"
	                           "--http 0.0.0.0:8080\n--pods verified\n--endpoint-pod-names\n"
	                           "--ignore-empty-service\n--no-endpoints\n--lameduck 5\n");
	/* 10.96.0.0/12 is no octet boundary; the client certificate needs a
	   kubeconfig. */
	assert_prefix(r.err, "t:2: kubernetes cluster.local Example.ORG. ");
	assert_prefix(r.err, "t:3: note: kubernetes: endpoint https://10.0.0.1:6443 "
	                     "https://10.0.0.2:6443: only the first URL");
	assert_prefix(r.err, "t:4: kubernetes: tls /c.crt /c.key /ca.crt: a client certificate");
	assert_int_equal(count_lines(r.err), 3);
	assert_int_equal(r.rc, 2);
	done(&r);

	/* kubeconfig wins over endpoint and tls, as in CoreDNS. */
	run(".:53 {\n kubernetes cluster.local {\n  endpoint https://a\n  tls a b c\n"
	    "  kubeconfig /kc ctx\n }\n forward . 1.1.1.1\n cache\n loadbalance\n}\n",
	    &r);
	assert_line(r.out, "--kubeconfig /kc");
	assert_line(r.out, "--kube-context ctx");
	assert_no_line(r.out, "--apiserver https://a");
	assert_no_line(r.out, "--ca-file c");
	assert_prefix(r.err, "t:3: note: kubernetes: endpoint: ignored");
	assert_prefix(r.err, "t:4: note: kubernetes: tls: ignored");
	assert_int_equal(r.rc, 0);
	done(&r);

	/* The block's zones when it names none; the root is not a cluster zone;
	   no kubernetes at all is reported. */
	run("cluster.local in-addr.arpa {\n kubernetes\n}\n", &r);
	assert_line(r.out, "--domain cluster.local");
	assert_no_line(r.out, "--domain in-addr.arpa");
	assert_int_equal(r.rc, 0);
	done(&r);
	run(".:53 {\n kubernetes\n forward . 1.1.1.1\n}\n", &r);
	assert_prefix(r.err, "t:2: kubernetes: the root zone as the cluster zone");
	assert_int_equal(r.rc, 2);
	done(&r);
	run(".:53 {\n forward . 1.1.1.1\n}\n", &r);
	assert_prefix(r.err, "t:1: kubernetes: missing");
	assert_int_equal(r.rc, 2);
	done(&r);
	/* Two kubernetes blocks that disagree. */
	run("a.local {\n kubernetes {\n  ttl 5\n }\n}\nb.local {\n kubernetes {\n  ttl 6\n }\n}\n",
	    &r);
	assert_line(r.out, "--domain a.local");
	assert_line(r.out, "--domain b.local");
	assert_line(r.out, "--ttl 5");
	assert_prefix(r.err, "t:8: kubernetes: ttl 6: conflicts with line 3 (--ttl 5)");
	assert_int_equal(r.rc, 2);
	done(&r);
}

static void test_forward_targets(void **state)
{
	struct result r;

	(void)state;
	run(".:53 {\n kubernetes cluster.local\n"
	    " forward . dns://1.1.1.1 1.0.0.1:5353 [2606:4700::1111]:53 2606:4700::1001 [::1] "
	    "/etc/resolv.conf fe80::1%eth0 1.1.1.1:0 {\n"
	    "  max_concurrent 1000\n  policy random\n }\n"
	    " cache\n loadbalance\n}\n",
	    &r);
	assert_string_equal(r.out, "--domain cluster.local\n--upstream 1.1.1.1\n"
	                           "--upstream 1.0.0.1:5353\n--upstream [2606:4700::1111]:53\n"
	                           "--upstream 2606:4700::1001\n--upstream [::1]\n--lameduck 0\n");
	assert_prefix(r.err, "t:3: forward . dns://1.1.1.1 ");
	assert_true(strstr(r.err, ": /etc/resolv.conf: svcdns reads one --resolv-conf") != NULL);
	assert_true(strstr(r.err, ": fe80::1%eth0: an IPv6 address with a zone index") != NULL);
	assert_true(strstr(r.err, ": 1.1.1.1:0: a host name or an unusable address") != NULL);
	assert_int_equal(count_lines(r.err), 3);
	done(&r);

	/* A resolv.conf of its own; /etc/resolv.conf is svcdns's default. */
	run(".:53 {\n kubernetes cluster.local\n forward . /run/resolv.conf\n cache\n"
	    " loadbalance\n}\n",
	    &r);
	assert_line(r.out, "--resolv-conf /run/resolv.conf");
	assert_no_line(r.out, "--upstream none");
	assert_int_equal(r.rc, 0);
	done(&r);
	run(".:53 {\n kubernetes cluster.local\n cache\n loadbalance\n}\n", &r);
	assert_line(r.out, "--upstream none");
	assert_int_equal(r.rc, 0);
	done(&r);
	run(".:53 {\n kubernetes cluster.local\n forward\n}\n", &r);
	assert_prefix(r.err, "t:3: forward: expects FROM and TO");
	done(&r);
}

static void test_cache(void **state)
{
	struct result r;

	(void)state;
	run(".:53 {\n kubernetes cluster.local k8s.example\n forward . 1.1.1.1\n loadbalance\n"
	    " cache 600 {\n  success 20000\n  denial 5000 600\n"
	    "  disable success cluster.local sub.k8s.example\n }\n}\n",
	    &r);
	assert_line(r.out, "--cache-size 25000");
	assert_line(r.out, "--cache-ttl 600");
	assert_string_equal(r.err, "");
	assert_int_equal(r.rc, 0);
	done(&r);
	/* One TTL for answers and denials. */
	run(".:53 {\n kubernetes cluster.local\n forward . 1.1.1.1\n loadbalance\n"
	    " cache {\n  success 9984 300\n  denial 9984 5\n }\n}\n",
	    &r);
	assert_line(r.out, "--cache-ttl 300");
	assert_line(r.out, "--cache-size 19968");
	assert_prefix(r.err, "t:7: cache: denial TTL 5: svcdns caps denials at --cache-ttl too (300)");
	done(&r);
	run(".:53 {\n kubernetes cluster.local\n forward . 1.1.1.1\n loadbalance\n"
	    " cache 0\n}\n",
	    &r);
	assert_prefix(r.err, "t:5: cache 0: ");
	assert_int_equal(r.rc, 2);
	done(&r);
	run(".:53 {\n kubernetes cluster.local\n forward . 1.1.1.1\n loadbalance\n"
	    " cache 100000\n}\n",
	    &r);
	assert_prefix(r.err, "t:5: cache: a TTL over svcdns's 86400 seconds");
	done(&r);
}

static void test_hosts(void **state)
{
	struct result r;

	(void)state;
	run(".:53 {\n kubernetes cluster.local\n forward . 1.1.1.1\n cache\n loadbalance\n"
	    " hosts {\n  ttl 60\n  no_reverse\n  fallthrough\n }\n}\n",
	    &r);
	assert_line(r.out, "--hosts /etc/hosts");
	assert_line(r.out, "--hosts-ttl 60");
	assert_line(r.out, "--hosts-no-reverse");
	assert_int_equal(r.rc, 0);
	done(&r);
	/* Without fallthrough CoreDNS answers NXDOMAIN for names it lacks. */
	run(".:53 {\n kubernetes cluster.local\n forward . 1.1.1.1\n cache\n loadbalance\n"
	    " hosts /etc/nodes\n}\n",
	    &r);
	assert_line(r.out, "--hosts /etc/nodes");
	assert_prefix(r.err, "t:6: hosts /etc/nodes: no fallthrough");
	assert_int_equal(r.rc, 2);
	done(&r);
	run(".:53 {\n kubernetes cluster.local\n}\nexample.org {\n hosts {\n  fallthrough\n }\n}\n",
	    &r);
	assert_prefix(r.err, "t:5: hosts: hosts in a block for other zones");
	done(&r);
}

static void test_autopath(void **state)
{
	struct result r;

	(void)state;
	/* CoreDNS's autopath needs pods verified too; svcdns's does not. */
	run(".:53 {\n kubernetes cluster.local {\n  pods verified\n }\n autopath @kubernetes\n"
	    " forward . 1.1.1.1\n cache\n loadbalance\n}\n",
	    &r);
	assert_line(r.out, "--autopath");
	assert_line(r.out, "--pods verified");
	assert_int_equal(r.rc, 0);
	done(&r);
	run(".:53 {\n kubernetes cluster.local\n autopath cluster.local @kubernetes\n"
	    " forward . 1.1.1.1\n cache\n loadbalance\n}\n",
	    &r);
	assert_line(r.out, "--autopath");
	assert_int_equal(r.rc, 0);
	done(&r);
	run(".:53 {\n kubernetes cluster.local\n autopath /etc/resolv.conf\n"
	    " forward . 1.1.1.1\n cache\n loadbalance\n}\n",
	    &r);
	assert_prefix(r.err, "t:3: autopath /etc/resolv.conf: svcdns's --autopath walks");
	assert_int_equal(r.rc, 2);
	done(&r);
}

static void test_http_and_log(void **state)
{
	struct result r;

	(void)state;
	/* One address: prometheus's; the others are notes, not failures. */
	run(".:53 {\n kubernetes cluster.local\n forward . 1.1.1.1\n cache\n loadbalance\n"
	    " health 10.0.0.1:8080\n ready localhost:8181\n prometheus [::]:9153\n log\n"
	    " errors {\n  consolidate 5m \".* timeout$\"\n }\n}\n",
	    &r);
	assert_line(r.out, "--http [::]:9153");
	assert_line(r.out, "--log-queries");
	assert_prefix(r.err, "t:6: note: health 10.0.0.1:8080: served on --http [::]:9153");
	assert_prefix(r.err, "t:7: note: ready 127.0.0.1:8181: served on --http [::]:9153");
	assert_int_equal(r.rc, 0);
	done(&r);
	/* ready alone; a host name is no address. */
	run(".:53 {\n kubernetes cluster.local\n forward . 1.1.1.1\n cache\n loadbalance\n"
	    " ready\n health dns.example:8080\n}\n",
	    &r);
	assert_line(r.out, "--http 0.0.0.0:8181");
	assert_prefix(r.err, "t:7: health dns.example:8080: dns.example:8080: svcdns's --http");
	assert_int_equal(r.rc, 2);
	done(&r);
	run(".:53 {\n kubernetes cluster.local\n forward . 1.1.1.1\n cache\n loadbalance\n"
	    " log . {\n  class all\n }\n bufsize 1232\n}\n",
	    &r);
	assert_line(r.out, "--log-queries");
	assert_line(r.out, "--udp-size 1232");
	assert_int_equal(r.rc, 0);
	done(&r);
}

/* A value that cannot be one line of output, and one the flag table would
   take twice. */
static void test_values(void **state)
{
	struct result r;
	char *text;
	size_t i;

	(void)state;
	run(".:53 {\n kubernetes cluster.local {\n  kubeconfig \"/a\nb\"\n }\n}\n", &r);
	assert_no_line(r.out, "--kubeconfig /a");
	assert_prefix(r.err, "t:3: kubernetes: kubeconfig \"/a\\nb\": a value with a control "
	                     "character");
	done(&r);
	run(".:53 {\n kubernetes cluster.local {\n  kubeconfig \"\"\n }\n}\n", &r);
	assert_prefix(r.err, "t:3: kubernetes: kubeconfig \"\": an empty value");
	done(&r);
	/* 70 domains: 64 kept, the rest reported. */
	text = malloc(70 * 16 + 64);
	assert_non_null(text);
	strcpy(text, ".:53 {\n kubernetes");
	for (i = 0; i < 70; i++)
		sprintf(text + strlen(text), " z%zu.local", i);
	strcat(text, "\n}\n");
	run(text, &r);
	assert_line(r.out, "--domain z63.local");
	assert_no_line(r.out, "--domain z64.local");
	assert_prefix(r.err, "t:2: kubernetes z0.local");
	done(&r);
	free(text);
}

/* At most 200 messages, then a count. */
static void test_message_cap(void **state)
{
	struct result r;
	char *text = malloc(300 * 16 + 64);
	size_t i;

	(void)state;
	assert_non_null(text);
	strcpy(text, ".:53 {\n kubernetes cluster.local\n");
	for (i = 0; i < 300; i++)
		sprintf(text + strlen(text), " unknown%zu\n", i);
	strcat(text, "}\n");
	run(text, &r);
	assert_int_equal(count_lines(r.err), 201);
	assert_line(r.err, "t: 100 more messages not shown");
	assert_int_equal(r.rc, 2);
	done(&r);
	free(text);
}

/* ---- Multi-Cluster Services ---- */

/* kubernetes's multicluster option: --multicluster, and no --domain. */
static void test_multicluster_option(void **state)
{
	struct result r;

	(void)state;
	/* The zones from the block; the option's zone in another spelling. */
	run("cluster.local clusterset.local {\n kubernetes {\n  multicluster CLUSTERSET.local.\n"
	    " }\n}\n",
	    &r);
	assert_string_equal(r.out, "--domain cluster.local\n--multicluster clusterset.local\n"
	                           "--upstream none\n--cache-size 0\n--loadbalance none\n"
	                           "--lameduck 0\n");
	assert_string_equal(r.err, "");
	assert_int_equal(r.rc, 0);
	done(&r);

	/* Two zones; the cache lines naming a multicluster zone stay silent
	   (svcdns answers it from memory, as a cluster zone). */
	run(".:53 {\n kubernetes cluster.local clusterset.local mcs.example in-addr.arpa {\n"
	    "  multicluster clusterset.local mcs.example:53\n }\n forward . 1.1.1.1\n"
	    " cache 30 {\n  disable success cluster.local clusterset.local sub.mcs.example\n }\n"
	    " loadbalance\n}\n",
	    &r);
	assert_string_equal(r.out, "--domain cluster.local\n--multicluster clusterset.local\n"
	                           "--multicluster mcs.example\n--upstream 1.1.1.1\n"
	                           "--cache-ttl 30\n--lameduck 0\n");
	assert_string_equal(r.err, "");
	assert_int_equal(r.rc, 0);
	done(&r);

	/* The last multicluster line wins, as in CoreDNS: the zone the first
	   named stays a cluster zone. */
	run(".:53 {\n kubernetes cluster.local a.local b.local {\n  multicluster a.local\n"
	    "  multicluster b.local\n }\n}\n",
	    &r);
	assert_line(r.out, "--domain a.local");
	assert_line(r.out, "--multicluster b.local");
	assert_no_line(r.out, "--multicluster a.local");
	assert_prefix(r.err, "t:3: note: kubernetes: multicluster: ignored: line 4's multicluster "
	                     "replaces it");
	assert_int_equal(count_lines(r.err), 1);
	assert_int_equal(r.rc, 0);
	done(&r);

	/* Two kubernetes plugins, one for each zone: what svcdns does too. */
	run("cluster.local {\n kubernetes\n}\nclusterset.local {\n kubernetes {\n"
	    "  multicluster clusterset.local\n }\n}\n",
	    &r);
	assert_line(r.out, "--domain cluster.local");
	assert_line(r.out, "--multicluster clusterset.local");
	assert_string_equal(r.err, "");
	assert_int_equal(r.rc, 0);
	done(&r);
}

static void test_multicluster_option_errors(void **state)
{
	struct result r;

	(void)state;
	/* Not among the plugin's zones: CoreDNS refuses it. */
	run(".:53 {\n kubernetes cluster.local in-addr.arpa {\n  multicluster clusterset.local\n"
	    " }\n forward . 1.1.1.1\n cache\n loadbalance\n}\n",
	    &r);
	assert_string_equal(r.out, "--domain cluster.local\n--upstream 1.1.1.1\n--lameduck 0\n");
	assert_string_equal(r.err, "t:3: kubernetes: multicluster clusterset.local: clusterset.local "
	                           "is not among the plugin's zones (cluster.local in-addr.arpa): "
	                           "CoreDNS refuses this too (\"is not authoritative for the "
	                           "multicluster zone\"); add it to the kubernetes line\n");
	assert_int_equal(r.rc, 2);
	done(&r);

	/* No zone: CoreDNS takes none from the plugin or the block, and serves
	   clusterset.local as a cluster zone. */
	run("cluster.local clusterset.local {\n kubernetes {\n  multicluster\n }\n}\n", &r);
	assert_line(r.out, "--domain cluster.local");
	assert_line(r.out, "--domain clusterset.local");
	assert_no_line(r.out, "--multicluster clusterset.local");
	assert_prefix(r.err, "t:3: kubernetes: multicluster: names no zone: CoreDNS then serves no "
	                     "multicluster zone");
	assert_int_equal(count_lines(r.err), 1);
	assert_int_equal(r.rc, 2);
	done(&r);

	/* Arguments that are no zone (CoreDNS drops them: none left), a
	   reverse zone, the root. */
	run(".:53 {\n kubernetes cluster.local in-addr.arpa . {\n  multicluster bad..zone a:b:\n"
	    "  multicluster in-addr.arpa .\n }\n}\n",
	    &r);
	assert_no_line(r.out, "--multicluster in-addr.arpa");
	assert_prefix(r.err, "t:3: note: kubernetes: multicluster: ignored");
	assert_prefix(r.err, "t:4: kubernetes: multicluster in-addr.arpa .: in-addr.arpa: a "
	                     "reverse zone as a multicluster zone");
	assert_prefix(r.err, "t:4: kubernetes: multicluster in-addr.arpa .: the root zone as a "
	                     "multicluster zone");
	done(&r);
	run(".:53 {\n kubernetes cluster.local {\n  multicluster bad..zone a:\n }\n}\n", &r);
	assert_prefix(r.err, "t:3: kubernetes: multicluster bad..zone a:: bad..zone: not a domain "
	                     "name");
	assert_prefix(r.err, "t:3: kubernetes: multicluster bad..zone a:: a:: nothing after the "
	                     "last ':' (CoreDNS drops it without a word)");
	assert_prefix(r.err, "t:3: kubernetes: multicluster bad..zone a:: names no zone");
	assert_int_equal(count_lines(r.err), 3);
	assert_int_equal(r.rc, 2);
	done(&r);

	/* The multicluster zone first: CoreDNS names PTR targets in it. */
	run(".:53 {\n kubernetes clusterset.local cluster.local in-addr.arpa {\n"
	    "  multicluster clusterset.local\n }\n}\n",
	    &r);
	assert_string_equal(r.err, "t:2: kubernetes clusterset.local cluster.local in-addr.arpa: "
	                           "clusterset.local, the first zone, names CoreDNS's PTR targets, "
	                           "and it is a multicluster zone; svcdns names them in the first "
	                           "--domain: list a cluster zone first\n");
	assert_line(r.out, "--domain cluster.local");
	assert_line(r.out, "--multicluster clusterset.local");
	assert_int_equal(r.rc, 2);
	done(&r);

	/* No cluster zone left: svcdns would serve cluster.local. */
	run(".:53 {\n kubernetes clusterset.local in-addr.arpa {\n  multicluster clusterset.local\n"
	    " }\n}\n",
	    &r);
	assert_no_line(r.out, "--domain clusterset.local");
	assert_line(r.out, "--multicluster clusterset.local");
	assert_string_equal(r.err, "t:3: multicluster: no cluster zone besides the multicluster "
	                           "zones: svcdns always serves one (--domain, cluster.local by "
	                           "default)\n");
	assert_int_equal(r.rc, 2);
	done(&r);

	/* CoreDNS's noendpoints leaves the multicluster zones' endpoints,
	   and so does svcdns's --no-endpoints. */
	run(".:53 {\n kubernetes cluster.local clusterset.local {\n  noendpoints\n"
	    "  multicluster clusterset.local\n }\n}\n",
	    &r);
	assert_line(r.out, "--no-endpoints");
	assert_line(r.out, "--multicluster clusterset.local");
	assert_string_equal(r.err, "");
	assert_int_equal(r.rc, 0);
	done(&r);

	/* A zone one plugin serves from Services and another from
	   ServiceImports: kept a cluster zone (svcdns refuses both). */
	run("a.local {\n kubernetes\n}\nb.local a.local {\n kubernetes {\n  multicluster a.local\n"
	    " }\n}\n",
	    &r);
	assert_line(r.out, "--domain a.local");
	assert_line(r.out, "--domain b.local");
	assert_no_line(r.out, "--multicluster a.local");
	assert_prefix(r.err, "t:6: multicluster a.local: also a cluster zone (--domain, line 2)");
	assert_int_equal(count_lines(r.err), 1);
	assert_int_equal(r.rc, 2);
	done(&r);
}

/* The multicluster plugin (github.com/coredns/multicluster). */
static void test_multicluster_plugin(void **state)
{
	struct result r;

	(void)state;
	/* Its README's Corefile, with kubeadm's TTL (5) left out. */
	run(".:53 {\n errors\n health {\n  lameduck 5s\n }\n multicluster clusterset.local\n"
	    " kubernetes cluster.local in-addr.arpa ip6.arpa {\n  pods insecure\n"
	    "  fallthrough in-addr.arpa ip6.arpa\n }\n prometheus :9153\n"
	    " forward . /etc/resolv.conf\n cache 30\n loop\n reload\n loadbalance\n}\n",
	    &r);
	assert_string_equal(r.out, "--domain cluster.local\n--multicluster clusterset.local\n"
	                           "--cache-ttl 30\n--http 0.0.0.0:9153\n--pods insecure\n"
	                           "--lameduck 5\n");
	assert_prefix(r.err, "t:3: note: health 0.0.0.0:8080: served on --http 0.0.0.0:9153");
	assert_int_equal(count_lines(r.err), 1);
	assert_int_equal(r.rc, 0);
	done(&r);

	/* Its zones from the block; a block of its own is a server; the same
	   kubeconfig as kubernetes; fallthrough for no zone or reverse ones is
	   what svcdns does. */
	run(".:53 {\n kubernetes cluster.local {\n  kubeconfig /kc ctx\n }\n forward . 1.1.1.1\n"
	    " cache\n loadbalance\n}\n"
	    "clusterset.local:53 mcs.example {\n multicluster {\n  kubeconfig /kc ctx\n"
	    "  fallthrough\n  fallthrough in-addr.arpa ip6.arpa\n }\n}\n",
	    &r);
	assert_string_equal(r.out, "--kubeconfig /kc\n--kube-context ctx\n--domain cluster.local\n"
	                           "--multicluster clusterset.local\n--multicluster mcs.example\n"
	                           "--upstream 1.1.1.1\n--lameduck 0\n");
	assert_string_equal(r.err, "");
	assert_int_equal(r.rc, 0);
	done(&r);

	/* Its options svcdns cannot follow. */
	run(".:53 {\n kubernetes cluster.local\n multicluster clusterset.local {\n"
	    "  noendpoints\n" /* 4 */
	    "  fallthrough clusterset.local\n"
	    "  noendpoints x\n"
	    "  kubeconfig\n"
	    "  endpoint https://a\n" /* 8 */
	    "  ttl {\n   x\n  }\n"
	    " }\n forward . 1.1.1.1\n cache\n loadbalance\n}\n",
	    &r);
	assert_line(r.out, "--multicluster clusterset.local");
	assert_prefix(r.err, "t:4: multicluster: noendpoints: svcdns cannot turn off the "
	                     "multicluster zone's endpoints");
	assert_prefix(r.err, "t:5: multicluster: fallthrough clusterset.local: svcdns answers "
	                     "NXDOMAIN for multicluster names it does not have");
	assert_prefix(r.err, "t:6: multicluster: noendpoints x: arguments CoreDNS refuses too");
	assert_prefix(r.err, "t:7: multicluster: kubeconfig: arguments CoreDNS refuses too");
	assert_prefix(r.err, "t:8: multicluster: endpoint https://a: an option the multicluster "
	                     "plugin does not have");
	assert_prefix(r.err, "t:9: multicluster: ttl: a block inside an option");
	assert_int_equal(count_lines(r.err), 6);
	assert_int_equal(r.rc, 2);
	done(&r);

	/* Another connection than kubernetes's: svcdns has one. */
	run(".:53 {\n kubernetes cluster.local\n multicluster clusterset.local {\n"
	    "  kubeconfig /mcs\n }\n}\n",
	    &r);
	assert_no_line(r.out, "--kubeconfig /mcs");
	assert_string_equal(r.err, "t:4: multicluster clusterset.local: reads ServiceImports with "
	                           "kubeconfig /mcs, the kubernetes plugin its objects in-cluster: "
	                           "svcdns reads both over one connection (--kubeconfig, "
	                           "--apiserver, or in-cluster)\n");
	assert_int_equal(r.rc, 2);
	done(&r);
	run(".:53 {\n kubernetes cluster.local {\n  endpoint https://api:6443\n }\n"
	    " multicluster clusterset.local\n}\n",
	    &r);
	assert_prefix(r.err, "t:5: multicluster clusterset.local: reads ServiceImports in-cluster, "
	                     "the kubernetes plugin its objects with endpoint https://api:6443: ");
	done(&r);
	run(".:53 {\n kubernetes cluster.local {\n  kubeconfig /kc a\n }\n"
	    " multicluster clusterset.local {\n  kubeconfig /kc b\n }\n}\n",
	    &r);
	assert_prefix(r.err, "t:6: multicluster clusterset.local: reads ServiceImports with "
	                     "kubeconfig /kc b, the kubernetes plugin its objects with kubeconfig "
	                     "/kc a: ");
	assert_int_equal(count_lines(r.err), 1);
	done(&r);

	/* Its TTL is 5, whatever kubernetes's ttl. */
	run(".:53 {\n kubernetes cluster.local {\n  ttl 30\n }\n multicluster clusterset.local\n"
	    "}\n",
	    &r);
	assert_line(r.out, "--ttl 30");
	assert_line(r.out, "--multicluster clusterset.local");
	assert_prefix(r.err, "t:5: multicluster clusterset.local: the multicluster plugin answers "
	                     "with a TTL of 5, fixed; svcdns's multicluster zones answer with --ttl "
	                     "30");
	assert_int_equal(r.rc, 2);
	done(&r);

	/* The root zone (the block's), a reverse zone, a zone kubernetes
	   serves (it answers first in CoreDNS: kept a cluster zone). */
	run(".:53 {\n kubernetes cluster.local\n multicluster\n"
	    " multicluster 10.0.0.0/8 cluster.local .\n}\n",
	    &r);
	assert_prefix(r.err, "t:3: multicluster: the root zone (the block's) as the multicluster "
	                     "zone");
	assert_prefix(r.err, "t:4: multicluster 10.0.0.0/8 cluster.local .: 10.in-addr.arpa: a "
	                     "reverse zone as a multicluster zone");
	assert_prefix(r.err, "t:4: multicluster 10.0.0.0/8 cluster.local .: the root zone as a "
	                     "multicluster zone");
	assert_prefix(r.err, "t:4: multicluster cluster.local: also a cluster zone (--domain, "
	                     "line 2)");
	assert_line(r.out, "--domain cluster.local");
	assert_no_line(r.out, "--multicluster cluster.local");
	assert_no_line(r.out, "--multicluster .");
	assert_int_equal(count_lines(r.err), 4);
	assert_int_equal(r.rc, 2);
	done(&r);

	/* noendpoints: svcdns's --no-endpoints, as kubernetes's, leaves the
	   multicluster zones' endpoints; the plugin's own turns them off. */
	run(".:53 {\n kubernetes cluster.local {\n  noendpoints\n }\n"
	    " multicluster clusterset.local {\n  noendpoints\n }\n}\n",
	    &r);
	assert_line(r.out, "--no-endpoints");
	assert_line(r.out, "--multicluster clusterset.local");
	assert_string_equal(r.err, "t:6: multicluster: noendpoints: svcdns cannot turn off the "
	                           "multicluster zone's endpoints: its --no-endpoints, as the "
	                           "kubernetes plugin's noendpoints, leaves them\n");
	assert_int_equal(r.rc, 2);
	done(&r);
	run(".:53 {\n kubernetes cluster.local {\n  noendpoints\n }\n"
	    " multicluster clusterset.local\n}\n",
	    &r);
	assert_line(r.out, "--no-endpoints");
	assert_string_equal(r.err, "");
	assert_int_equal(r.rc, 0);
	done(&r);

	/* No kubernetes at all: reported; the plugin's kubeconfig is the one
	   connection. */
	run("clusterset.local {\n multicluster {\n  kubeconfig /kc ctx\n }\n}\n", &r);
	assert_line(r.out, "--kubeconfig /kc");
	assert_line(r.out, "--kube-context ctx");
	assert_line(r.out, "--multicluster clusterset.local");
	assert_prefix(r.err, "t:1: kubernetes: missing");
	assert_int_equal(count_lines(r.err), 1);
	assert_int_equal(r.rc, 2);
	done(&r);
}

/* ---- texts that are no Corefile ---- */
static void test_malformed(void **state)
{
	static const char *const texts[] = {
		"",
		"# only a comment\n",
		"{",
		"}",
		".:53 {",
		".:53 {\n errors\n",
		".:53 {\n errors\n}\n}\n",
		".:53 {\n errors }\n}\n",            /* '}' after a directive on its line */
		".:53 {\n kubernetes {\n}\n",
		".:53 {\n {\n}\n",                   /* '{' where a directive should be */
		"a, {\n}\n",
		"a,",
		"(snippet) {\n log\n",
		".:53 {\n forward . 1.1.1.1 {\n  policy random\n }\n",
		".:53 {\n \"unterminated {\n}\n",
		".:53 {\x01}\n",                      /* a control byte */
		".:53 {\n errors\x7f\n}\n",
	};
	struct result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		run(texts[i], &r);
		if (r.rc != 1)
			fail_msg("text %zu: status %d, not 1:\n%s", i, r.rc, texts[i]);
		assert_string_equal(r.out, "");
		assert_int_equal(count_lines(r.err), 1);
		done(&r);
	}
	/* NUL bytes. */
	run_n(".:53 {\n kubernetes\0 cluster.local\n}\n", 34, &r);
	assert_int_equal(r.rc, 1);
	assert_prefix(r.err, "t:2: a control byte 0x00");
	done(&r);
	run_n("\0", 1, &r);
	assert_int_equal(r.rc, 1);
	done(&r);
	/* NULL text of no length: empty. */
	run_n(NULL, 0, &r);
	assert_int_equal(r.rc, 1);
	done(&r);
}

static uint32_t rng_state = 2463534242u;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* 1 MB of random bytes, of random Corefile words, and more than the 4 MiB
   a Corefile may have: no crash; bytes are no Corefile. */
static void test_garbage(void **state)
{
	static const char *const words[] = {
		"{", "}", "{", "}", "\n", "\n", " ", "\t", ".:53", "kubernetes", "forward", ".",
		"cache", "30", "\"", "#", "import", "(s)", "{$X}", "health", "lameduck", "5s",
		"hosts", "fallthrough", "1.1.1.1", "bind", "log", "\\", "\r", ",", ":", "/",
		"dns://", "10.0.0.0/8", "prometheus", ":9153", "ttl", "disable", "success",
		"multicluster", "clusterset.local", "kubeconfig", "noendpoints",
	};
	const size_t size = 1000000;
	char *buf = malloc(4u * 1024 * 1024 + 2);
	struct result r;
	size_t i, pos;
	int round;

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < size; i++)
		buf[i] = (char)rng();
	run_n(buf, size, &r);
	assert_int_equal(r.rc, 1);
	done(&r);
	for (round = 0; round < 20; round++) {
		for (pos = 0; pos < size - 16;) {
			const char *w = words[rng() % (sizeof(words) / sizeof(words[0]))];
			memcpy(buf + pos, w, strlen(w));
			pos += strlen(w);
			buf[pos++] = rng() % 3 ? ' ' : '\n';
		}
		run_n(buf, pos, &r);
		assert_true(r.rc >= 0 && r.rc <= 2);
		assert_true(count_lines(r.err) <= 201 + 1);
		done(&r);
	}
	/* Balanced, deep and wide: converted, not refused. */
	pos = (size_t)sprintf(buf, ".:53 {\n x ");
	for (i = 0; i < 100000; i++)
		buf[pos++] = '{', buf[pos++] = ' ';
	for (i = 0; i < 100000; i++)
		buf[pos++] = '}', buf[pos++] = ' ';
	pos += (size_t)sprintf(buf + pos, "\n}\n");
	run_n(buf, pos, &r);
	assert_int_equal(r.rc, 2);
	assert_prefix(r.err, "t:2: x: a plugin svcdns has no equivalent of");
	done(&r);
	memset(buf, ' ', 4u * 1024 * 1024 + 1);
	memcpy(buf, ".:53 {\n}\n", 9);
	run_n(buf, 4u * 1024 * 1024 + 1, &r);
	assert_int_equal(r.rc, 1);
	assert_prefix(r.err, "t: larger than");
	done(&r);
	free(buf);
}

/* Every prefix of a real Corefile: a status, no crash, nothing printed on
   a 1. */
static void test_every_prefix(void **state)
{
	size_t len, cut;
	char *text = read_file("aks.Corefile", "", &len);
	struct result r;

	(void)state;
	for (cut = 0; cut <= len; cut++) {
		char *copy = malloc(cut ? cut : 1);

		assert_non_null(copy);
		memcpy(copy, text, cut); /* exactly cut bytes: reading past fails ASan */
		run_n(copy, cut, &r);
		assert_true(r.rc >= 0 && r.rc <= 2);
		if (r.rc == 1)
			assert_string_equal(r.out, "");
		done(&r);
		free(copy);
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_kubeadm),
		cmocka_unit_test(test_fixture_k3s),
		cmocka_unit_test(test_fixture_eks),
		cmocka_unit_test(test_fixture_aks),
		cmocka_unit_test(test_fixture_openshift),
		cmocka_unit_test(test_fixture_cilium_mcsapi),
		cmocka_unit_test(test_kubeadm_as_documented),
		cmocka_unit_test(test_stub_domains),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_bind),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_comments_and_quotes),
		cmocka_unit_test(test_nested_blocks),
		cmocka_unit_test(test_unsupported_lines),
		cmocka_unit_test(test_kubernetes_options),
		cmocka_unit_test(test_forward_targets),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_autopath),
		cmocka_unit_test(test_http_and_log),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_message_cap),
		cmocka_unit_test(test_multicluster_option),
		cmocka_unit_test(test_multicluster_option_errors),
		cmocka_unit_test(test_multicluster_plugin),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_every_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
