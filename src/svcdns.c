/* svcdns.c - main: options -> log -> sources -> cache -> answer table ->
 * query threads; the main loop owns the sources and publishes new answer
 * tables when they change. */
#include "svcdns_autoconf.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "answer_table.h"
#include "autopath.h"
#include "config.h"
#include "corefile.h"
#include "dname.h"
#include "forward.h"
#include "fwd_cache.h"
#include "fwd_flights.h"
#include "hosts.h"
#include "http.h"
#include "kube_client.h"
#include "kubeconfig.h"
#include "kube_object.h"
#include "label_selector.h"
#include "log.h"
#include "metrics.h"
#include "pod_map.h"
#include "privileges.h"
#include "publisher.h"
#include "records.h"
#include "server.h"
#include "source_dir.h"
#include "svc_cache.h"
#include "zone_hints.h"

#define DIR_POLL_MS 500
#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

struct options {
	const char *dir;
	const char *apiserver, *token_file, *ca_file, *kubeconfig, *kube_context;
	struct config_list listen;
	unsigned long port;
	struct config_list domain;
	struct config_list multicluster;
	unsigned long ttl;
	struct config_list upstream;
	const char *resolv_conf;
	struct config_list stub_domain;
	unsigned long cache_size;
	unsigned long cache_ttl;
	unsigned long forward_timeout;
	int forward_policy;
	bool force_tcp;
	unsigned long serve_stale;
	bool prefetch;
	const char *http;
	unsigned long threads;
	int pods;
	bool autopath;
	bool prefer_zone;
	bool dump_zone;
	const char *from_corefile;
	struct config_list ns_address;
	struct config_list namespaces;
	const char *labels;
	const char *namespace_labels;
	unsigned long udp_size;
	unsigned long tcp_idle;
	unsigned long tcp_max_conns;
	int log_level;
	bool log_queries;
	bool reuse_port;
	bool endpoint_pod_names;
	bool ignore_empty_service;
	bool no_endpoints;
	int loadbalance;
	struct config_list hosts;
	unsigned long hosts_ttl;
	unsigned long hosts_reload;
	bool hosts_no_reverse;
	unsigned long lameduck;
	const char *user;
};

static const char *const pods_modes[] = {"disabled", "insecure", "verified", NULL};
static const char *const log_levels[] = {"error", "warning", "info", "debug", NULL};
enum { LOADBALANCE_ROUND_ROBIN, LOADBALANCE_NONE };
static const char *const loadbalance_modes[] = {"round_robin", "none", NULL};
/* In enum forward_policy's order. */
static const char *const forward_policies[] = {"random", "round_robin", "sequential", NULL};

#define OPT(field) offsetof(struct options, field)
static const struct config_option option_table[] = {
	{"dir", CONFIG_STRING, "DIR", NULL, 0, 0, NULL, OPT(dir),
	 "load Services, EndpointSlices, Endpoints, Namespaces, Pods from the kubectl JSON files in DIR; reload on change"},
	{"apiserver", CONFIG_STRING, "URL", NULL, 0, 0, NULL, OPT(apiserver),
	 "list and watch this Kubernetes API server"},
	{"token-file", CONFIG_STRING, "FILE", NULL, 0, 0, NULL, OPT(token_file),
	 "bearer token for --apiserver (re-read every minute)"},
	{"ca-file", CONFIG_STRING, "FILE", NULL, 0, 0, NULL, OPT(ca_file),
	 "CA certificates that sign the API server's certificate"},
	{"kubeconfig", CONFIG_STRING, "FILE", NULL, 0, 0, NULL, OPT(kubeconfig),
	 "take server, CA and credentials from a kubeconfig"},
	{"namespaces", CONFIG_LIST, "NS[,NS...]", NULL, 0, 0, NULL, OPT(namespaces),
	 "expose only these namespaces (CoreDNS's namespaces); the others' objects are not kept; where the API forbids reading a resource cluster-wide (a Role in each namespace, no ClusterRole), each namespace is listed and watched on its own"},
	{"labels", CONFIG_STRING, "SELECTOR", NULL, 0, 0, NULL, OPT(labels),
	 "expose only the Services (and their EndpointSlices) whose labels match, e.g. 'app in (web,api),!canary' (CoreDNS's labels)"},
	{"namespace-labels", CONFIG_STRING, "SELECTOR", NULL, 0, 0, NULL, OPT(namespace_labels),
	 "expose only the namespaces whose labels match (CoreDNS's namespace_labels); the others' names are NXDOMAIN"},
	{"kube-context", CONFIG_STRING, "NAME", NULL, 0, 0, NULL, OPT(kube_context),
	 "the kubeconfig's context to use (default: its current-context)"},
	{"listen", CONFIG_LIST, "ADDR", NULL, 0, 0, NULL, OPT(listen),
	 "address to answer on (default: 0.0.0.0 and ::)"},
	{"port", CONFIG_UINT, "N", "53", 1, 65535, NULL, OPT(port), "DNS port, UDP and TCP"},
	{"domain", CONFIG_LIST, "ZONE", "cluster.local", 0, 0, NULL, OPT(domain),
	 "cluster zone; the first one names PTR targets"},
	{"multicluster", CONFIG_LIST, "ZONE", NULL, 0, 0, NULL, OPT(multicluster),
	 "serve ZONE (e.g. clusterset.local) from ServiceImports and the EndpointSlices of the Multi-Cluster Services API (CoreDNS's multicluster); repeatable"},
	{"ttl", CONFIG_UINT, "N", "5", 0, 3600, NULL, OPT(ttl), "TTL of cluster records"},
	{"upstream", CONFIG_LIST, "ADDR[:PORT]", NULL, 0, 0, NULL, OPT(upstream),
	 "where names outside the cluster zones go; 'none' refuses them"},
	{"resolv-conf", CONFIG_STRING, "FILE", "/etc/resolv.conf", 0, 0, NULL, OPT(resolv_conf),
	 "nameservers used when no --upstream is given"},
	{"stub-domain", CONFIG_LIST, "DOMAIN=ADDR[:PORT][,ADDR...]", NULL, 0, 0, NULL,
	 OPT(stub_domain), "send DOMAIN to its own servers; the longest match wins"},
	{"cache-size", CONFIG_UINT, "N", "9984", 0, 10000000, NULL, OPT(cache_size),
	 "entries in the cache of forwarded answers, one for all query threads (0 disables it)"},
	{"cache-ttl", CONFIG_UINT, "SECONDS", NULL, 1, 86400, NULL, OPT(cache_ttl),
	 "longest a forwarded answer or denial is cached, and the largest TTL handed out for one (CoreDNS's cache TTL; default 3600 for answers, 1800 for denials)"},
	{"forward-timeout", CONFIG_UINT, "MS", "2000", 50, 60000, NULL, OPT(forward_timeout),
	 "wait this long for an upstream before trying the next"},
	{"forward-policy", CONFIG_CHOICE, "POLICY", "random", 0, 0, forward_policies, OPT(forward_policy),
	 "which --upstream a query tries first (CoreDNS's forward policy); the others follow"},
	{"force-tcp", CONFIG_FLAG, NULL, NULL, 0, 0, NULL, OPT(force_tcp),
	 "ask upstreams over TCP only (CoreDNS's force_tcp)"},
	{"serve-stale", CONFIG_UINT, "SECONDS", "3600", 0, 604800, NULL, OPT(serve_stale),
	 "when every upstream fails, answer from a cached entry expired up to this long ago, TTL 30 (RFC 8767; 0: never)"},
	{"prefetch", CONFIG_FLAG, NULL, NULL, 0, 0, NULL, OPT(prefetch),
	 "fetch a cached forwarded answer again when it is asked in the last tenth of its TTL (10 s or more), so popular names never expire (CoreDNS's and Unbound's prefetch)"},
	{"http", CONFIG_STRING, "ADDR:PORT", "127.0.0.1:9153", 0, 0, NULL, OPT(http),
	 "address of /health, /ready and /metrics"},
	{"threads", CONFIG_UINT, "N", NULL, 1, 256, NULL, OPT(threads),
	 "query threads (default: number of CPUs)"},
	{"pods", CONFIG_CHOICE, "MODE", "disabled", 0, 0, pods_modes, OPT(pods),
	 "records for a-b-c-d.<ns>.pod.<zone>"},
	{"autopath", CONFIG_FLAG, NULL, NULL, 0, 0, NULL, OPT(autopath),
	 "walk a pod's search path here: a query for NAME.<its ns>.svc.<zone> that does not exist is answered with a CNAME to the first of NAME.svc.<zone>, NAME.<zone>, NAME that does (CoreDNS's autopath @kubernetes); watches Pods, keeping only their addresses"},
	{"prefer-zone", CONFIG_FLAG, NULL, NULL, 0, 0, NULL, OPT(prefer_zone),
	 "a headless service's A or AAAA answer to a pod lists first the endpoints meant for the zone of the pod's node (topology.kubernetes.io/zone): by the EndpointSlice's hints.forZones, else by the node of the endpoint's pod, else by the endpoint's zone; rotated within each group; watches Pods and Nodes, keeping only addresses, nodes and zones"},
	{"endpoint-pod-names", CONFIG_FLAG, NULL, NULL, 0, 0, NULL, OPT(endpoint_pod_names),
	 "name an endpoint without a hostname by its pod (targetRef.name), not its dashed address (CoreDNS's endpoint_pod_names)"},
	{"ignore-empty-service", CONFIG_FLAG, NULL, NULL, 0, 0, NULL, OPT(ignore_empty_service),
	 "a ClusterIP service without ready endpoints is NXDOMAIN (CoreDNS's ignore empty_service)"},
	{"no-endpoints", CONFIG_FLAG, NULL, NULL, 0, 0, NULL, OPT(no_endpoints),
	 "no endpoint names or records, and no EndpointSlice watch (CoreDNS's noendpoints); the --multicluster zones keep theirs, as in CoreDNS"},
	{"loadbalance", CONFIG_CHOICE, "POLICY", "round_robin", 0, 0, loadbalance_modes, OPT(loadbalance),
	 "round_robin: an answer of several A or AAAA records, the cluster's or forwarded, or the cluster's SRV records, starts at a random one (CoreDNS's loadbalance); none: in the order kept"},
	{"hosts", CONFIG_LIST, "FILE", NULL, 0, 0, NULL, OPT(hosts),
	 "answer the names and addresses of a hosts(5) file first, the rest from the cluster and upstream (CoreDNS's hosts with fallthrough)"},
	{"hosts-ttl", CONFIG_UINT, "SECONDS", "3600", 0, 2147483647, NULL, OPT(hosts_ttl),
	 "TTL of the answers from --hosts"},
	{"hosts-reload", CONFIG_UINT, "SECONDS", "5", 0, 86400, NULL, OPT(hosts_reload),
	 "look this often whether a --hosts file changed (0: only at start and on SIGHUP)"},
	{"hosts-no-reverse", CONFIG_FLAG, NULL, NULL, 0, 0, NULL, OPT(hosts_no_reverse),
	 "no PTR answers from the --hosts file (CoreDNS's no_reverse)"},
	{"from-corefile", CONFIG_STRING, "FILE", NULL, 0, 0, NULL, OPT(from_corefile),
	 "print the options that do what CoreDNS's Corefile FILE does, one a line, and exit: 0, or 2 when some of it has no equivalent (listed on stderr)"},
	{"dump-zone", CONFIG_FLAG, NULL, NULL, 0, 0, NULL, OPT(dump_zone),
	 "print the cluster zone as a master file and exit"},
	{"ns-address", CONFIG_LIST, "ADDR", NULL, 0, 0, NULL, OPT(ns_address),
	 "address of ns.dns.<zone> (default: the first specific --listen address)"},
	{"udp-size", CONFIG_UINT, "BYTES", "1232", 512, 65535, NULL, OPT(udp_size),
	 "largest UDP reply, whatever the client's EDNS size"},
	{"tcp-idle", CONFIG_UINT, "SECONDS", "10", 1, 3600, NULL, OPT(tcp_idle),
	 "close TCP connections idle this long"},
	{"tcp-max-conns", CONFIG_UINT, "N", "1000", 1, 1000000, NULL, OPT(tcp_max_conns),
	 "open TCP connections; beyond it the oldest are closed"},
	{"log-level", CONFIG_CHOICE, "LEVEL", "info", 0, 0, log_levels, OPT(log_level),
	 "least severe messages logged"},
	{"log-queries", CONFIG_FLAG, NULL, NULL, 0, 0, NULL, OPT(log_queries),
	 "log one line per query: client, proto, qname, qtype, rcode, duration"},
	{"reuse-port", CONFIG_FLAG, NULL, NULL, 0, 0, NULL, OPT(reuse_port),
	 "share the DNS port with another process already on it (a restart without a gap); without it such a port is an error"},
	{"lameduck", CONFIG_UINT, "SECONDS", "5", 0, 3600, NULL, OPT(lameduck),
	 "after SIGTERM or SIGINT, keep answering DNS this long with /health and /ready failing, then exit"},
	{"user", CONFIG_STRING, "NAME", NULL, 0, 0, NULL, OPT(user),
	 "after binding the sockets and before the first query, switch to this user and its group; the --dir files and the token file are read as that user from then on"},
	{NULL, 0, NULL, NULL, 0, 0, NULL, 0, NULL},
};

struct app {
	struct options opt;
	struct event_base *base;
	struct svc_cache *cache;
	struct pod_map *pods;   /* --autopath: which client is which pod */
	struct zone_hints *zone_hints; /* --prefer-zone: the slices' hints */
	struct source_dir *dir;
	struct kube_client *api;     /* --apiserver, --kubeconfig, in-cluster */
	struct kubeconfig kc;
	struct kube_client_config kcfg;
	struct answer_slot slot;
	struct records_config rcfg;
	struct kube_ip *ns_addrs;
	const char **zone_names; /* --domain, then --multicluster: rcfg's zones */
	struct publisher *publisher; /* the cache's changes -> the answer table */
	struct event *sig_term, *sig_int, *sig_hup;
	struct hosts_files hosts;    /* --hosts */
	struct event *hosts_timer;
	char **only_ns;      /* --namespaces, split at commas */
	struct label_selector *select_labels;    /* --labels */
	struct label_selector *select_ns_labels; /* --namespace-labels */
	size_t n_only_ns;
	struct forward_config fcfg;
	struct fwd_cache *fcache;    /* the query threads' forwarders share it */
	struct fwd_flights *fflights; /* and their questions in flight */
	bool forwarding;
	struct query_zone *zones;
	struct server *server;
	struct metrics *metrics;
	struct http *http;
	char server_label[32];       /* "dns://:53", the metrics' server label */
	bool lameduck;
	struct event *lameduck_timer;
};

static int read_options(struct app *app, int argc, char **argv);
static int setup_configs(struct app *app, char *err, size_t errlen);
static int split_namespaces(struct app *app, char *err, size_t errlen);
static int load_sources(struct app *app, char *err, size_t errlen);
static int dump_zone(struct app *app);
static int from_corefile(const char *path);
static int start_signals(struct app *app);
static int start_hosts(struct app *app, char *err, size_t errlen);
static void refresh_hosts(struct app *app);
static int server_config_of(struct app *app, struct server_config *scfg, char *err,
                            size_t errlen);
static int start_serving(struct app *app, struct server_config *scfg, char *err,
                         size_t errlen);
static int start_following(struct app *app, char *err, size_t errlen);
static void teardown(struct app *app);
static void on_signal(evutil_socket_t sig, short what, void *arg);
static int setup_zones(struct app *app, char *err, size_t errlen);
static int setup_records_config(struct app *app, char *err, size_t errlen);
static int setup_api_config(struct app *app, char *err, size_t errlen);
static int setup_forwarding(struct app *app, const struct server_config *scfg,
                            char *err, size_t errlen);
static int http_health(void *ctx, char *reason, size_t len);
static int http_ready(void *ctx, char *reason, size_t len);
static int http_metrics(void *ctx, FILE *fp);
static void on_lameduck_over(evutil_socket_t fd, short what, void *arg);

int main(int argc, char **argv)
{
	struct app app;
	struct server_config scfg;
	char err[512];
	int rc, status = EXIT_RUNTIME;

	memset(&app, 0, sizeof(app));
	rc = read_options(&app, argc, argv);
	if (rc != 0)
		return rc < 0 ? EXIT_USAGE : 0;
	log_init("svcdns", (enum log_level)app.opt.log_level);
	if (app.opt.from_corefile) {
		status = from_corefile(app.opt.from_corefile);
		goto out;
	}
	if (setup_configs(&app, err, sizeof(err)) < 0) {
		fprintf(stderr, "svcdns: %s\n", err);
		status = EXIT_USAGE;
		goto out;
	}
	/* sources -> cache -> answer table */
	if (load_sources(&app, err, sizeof(err)) < 0) {
		fprintf(stderr, "svcdns: %s\n", err);
		goto out;
	}
	if (app.opt.dump_zone) {
		status = dump_zone(&app);
		goto out;
	}
	if (start_signals(&app) < 0)
		goto out;
	if (start_hosts(&app, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	/* -> query threads, and the ports that watch them */
	if (server_config_of(&app, &scfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "svcdns: %s\n", err);
		status = EXIT_USAGE;
		goto out;
	}
	if (start_serving(&app, &scfg, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	/* the sources keep the cache current from here on */
	if (start_following(&app, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	log_info("serving %zu services on port %u with %u threads",
	         svc_cache_count(app.cache, KUBE_KIND_SERVICE), (unsigned)scfg.port,
	         scfg.threads);
	event_base_dispatch(app.base);
	log_info("shutting down");
	status = 0;
out:
	teardown(&app);
	return status;
}

/* Parses the command line into app->opt. Returns 0, 1 when done already
   (--help, --version), -1 on a usage error (said on stderr). */
static int read_options(struct app *app, int argc, char **argv)
{
	char err[512];
	int rest, rc;

	rc = config_parse(option_table, &app->opt, argc, argv, &rest, "svcdns [OPTIONS]",
	                  "svcdns " PACKAGE_VERSION, err, sizeof(err));
	if (rc == 0 && rest < argc) {
		snprintf(err, sizeof(err), "unexpected argument '%s'", argv[rest]);
		rc = -1;
	}
	if (rc != 0) {
		if (rc < 0)
			fprintf(stderr, "svcdns: %s\n", err);
		config_free(option_table, &app->opt);
	}
	return rc;
}

/* --namespaces: every item split at commas into app->only_ns. */
static int split_namespaces(struct app *app, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < app->opt.namespaces.n; i++) {
		const char *p = app->opt.namespaces.items[i];

		for (;;) {
			size_t n = strcspn(p, ",");
			char **grown;

			if (n == 0 || n > 63) {
				snprintf(err, errlen, "--namespaces '%s': not a list of namespace names",
				         app->opt.namespaces.items[i]);
				return -1;
			}
			grown = realloc(app->only_ns, (app->n_only_ns + 1) * sizeof(*grown));
			if (!grown || !(grown[app->n_only_ns] = strndup(p, n))) {
				if (grown)
					app->only_ns = grown;
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			app->only_ns = grown;
			app->n_only_ns++;
			if (p[n] == '\0')
				break;
			p += n + 1;
		}
	}
	return 0;
}

/* The API client's and the records' settings, from the options. */
static int setup_configs(struct app *app, char *err, size_t errlen)
{
	if (split_namespaces(app, err, errlen) < 0)
		return -1;
	if (app->opt.labels &&
	    !(app->select_labels = label_selector_parse(app->opt.labels, err, errlen)))
		return -1;
	if (app->opt.namespace_labels &&
	    !(app->select_ns_labels = label_selector_parse(app->opt.namespace_labels, err, errlen)))
		return -1;
	if (!app->opt.dir && setup_api_config(app, err, errlen) < 0)
		return -1;
	app->kcfg.labels = app->opt.labels;
	app->kcfg.namespace_labels = app->opt.namespace_labels;
	app->kcfg.namespaces = (const char *const *)app->only_ns;
	app->kcfg.n_namespaces = app->n_only_ns;
	/* Pods are listed and watched only when their records or autopath
	   need them. */
	app->kcfg.watch_pods = app->opt.pods == RECORDS_PODS_VERIFIED || app->opt.autopath ||
	                       app->opt.prefer_zone;
	app->kcfg.pods_only_clients = app->opt.pods != RECORDS_PODS_VERIFIED;
	app->kcfg.watch_nodes = app->opt.prefer_zone;
	app->kcfg.watch_namespaces = true;
	app->kcfg.watch_endpoints = !app->opt.no_endpoints;
	app->kcfg.watch_service_imports = app->opt.multicluster.n > 0;
	return setup_records_config(app, err, errlen);
}

/* The cache, filled from --dir (and its answers published), or for
   --dump-zone from one list of the API. From the API otherwise nothing is
   published before the first complete list: until then cluster names get
   SERVFAIL. */
static int load_sources(struct app *app, char *err, size_t errlen)
{
	evthread_use_pthreads();
	app->base = event_base_new();
	app->cache = svc_cache_new();
	app->dir = app->cache && app->opt.dir ? source_dir_new(app->opt.dir, app->cache) : NULL;
	if (!app->base || !app->cache || (app->opt.dir && !app->dir) ||
	    (app->n_only_ns && svc_cache_only_namespaces(app->cache,
	                                                 (const char *const *)app->only_ns,
	                                                 app->n_only_ns) < 0)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	svc_cache_select(app->cache, app->select_labels, app->select_ns_labels);
	app->publisher = publisher_new(app->base, app->cache, &app->rcfg, &app->slot, err, errlen);
	if (!app->publisher)
		return -1;
	if (app->opt.autopath || app->opt.prefer_zone) {
		if (!(app->pods = pod_map_new())) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		/* --dir keeps its few Pods too: a file's removal is then exact */
		svc_cache_pod_map(app->cache, app->pods,
		                  app->opt.pods == RECORDS_PODS_VERIFIED || app->dir);
	}
	if (app->opt.prefer_zone) {
		if (!(app->zone_hints = zone_hints_new())) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		svc_cache_zone_hints(app->cache, app->zone_hints);
	}
	if (app->dir && source_dir_scan(app->dir, err, errlen) < 0)
		return -1;
	if (app->dir && app->pods)
		pod_map_set_synced(app->pods); /* every file is read */
	if (!app->dir && app->opt.dump_zone &&
	    kube_client_list_once(app->cache, &app->kcfg, 30, err, errlen) < 0)
		return -1;
	if (app->dir && !app->opt.dump_zone && publisher_run(app->publisher) < 0) {
		snprintf(err, errlen, "cannot build the first answers");
		return -1;
	}
	return 0;
}

/* --dump-zone: the cluster zones as master files on stdout. */
static int dump_zone(struct app *app)
{
	char build_err[256];
	struct records_set *set = records_build(app->cache, &app->rcfg, 0, build_err,
	                                        sizeof(build_err));
	size_t z;

	if (!set) {
		fprintf(stderr, "svcdns: %s\n", build_err);
		return EXIT_RUNTIME;
	}
	for (z = 0; z < app->rcfg.n_zones; z++)
		if (records_print_zone(set, z, stdout) < 0) {
			fprintf(stderr, "svcdns: writing the zone failed\n");
			records_set_free(set);
			return EXIT_RUNTIME;
		}
	records_set_free(set);
	return fflush(stdout) == 0 ? 0 : EXIT_RUNTIME;
}

/* The signal handlers go in before the first socket answers: a SIGTERM
   that comes once DNS is served must mean a clean shutdown, not death by
   the default action. The callbacks run only from the loop, once
   everything is set up. */
static int start_signals(struct app *app)
{
	app->sig_term = evsignal_new(app->base, SIGTERM, on_signal, app);
	app->sig_int = evsignal_new(app->base, SIGINT, on_signal, app);
	app->sig_hup = evsignal_new(app->base, SIGHUP, on_signal, app);
	if (!app->sig_term || !app->sig_int || !app->sig_hup ||
	    event_add(app->sig_term, NULL) < 0 || event_add(app->sig_int, NULL) < 0 ||
	    event_add(app->sig_hup, NULL) < 0) {
		log_error("cannot set up the signal handlers");
		return -1;
	}
	return 0;
}

/* The query threads' settings, forwarding included. */
static int server_config_of(struct app *app, struct server_config *scfg, char *err,
                            size_t errlen)
{
	static const char *const default_listen[] = {"0.0.0.0", "::"};
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	memset(scfg, 0, sizeof(*scfg));
	if (app->opt.listen.n) {
		scfg->listen = app->opt.listen.items;
		scfg->n_listen = app->opt.listen.n;
	} else {
		scfg->listen = default_listen;
		scfg->n_listen = 2;
	}
	scfg->port = (uint16_t)app->opt.port;
	scfg->threads = app->opt.threads ? (unsigned)app->opt.threads
	                                 : (unsigned)(ncpu > 0 ? ncpu : 1);
	scfg->qopts.udp_cap = (uint16_t)app->opt.udp_size;
	if (setup_forwarding(app, scfg, err, errlen) < 0)
		return -1;
	scfg->qopts.refuse_outside = !app->forwarding;
	scfg->qopts.round_robin = app->opt.loadbalance == LOADBALANCE_ROUND_ROBIN;
	scfg->qopts.hosts = app->opt.hosts.n ? &app->hosts.slot : NULL;
	scfg->qopts.pods = app->pods;
	scfg->qopts.autopath = app->opt.autopath;
	scfg->qopts.prefer_zone = app->opt.prefer_zone;
	scfg->qopts.zone_hints = app->zone_hints;
	scfg->qopts.autopath_ttl = (uint32_t)app->opt.ttl;
	app->fcfg.round_robin = scfg->qopts.round_robin;
	scfg->qopts.zones = app->zones;
	scfg->qopts.n_zones = app->rcfg.n_zones;
	scfg->forward = app->forwarding ? &app->fcfg : NULL;
	scfg->tcp_idle_ms = (unsigned)app->opt.tcp_idle * 1000;
	scfg->tcp_max_conns =
		(unsigned)((app->opt.tcp_max_conns + scfg->threads - 1) / scfg->threads);
	scfg->reuse_port = app->opt.reuse_port;
	return 0;
}

/* The DNS sockets and /health, /ready, /metrics bound, the privileges
   dropped, then the query threads started. */
static int start_serving(struct app *app, struct server_config *scfg, char *err,
                         size_t errlen)
{
	const struct http_handlers hh = {http_health, http_ready, http_metrics, app};

	app->metrics = metrics_new(scfg->threads, app->opt.log_queries);
	if (!app->metrics) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	scfg->metrics = app->metrics;
	snprintf(app->server_label, sizeof(app->server_label), "dns://:%u",
	         (unsigned)scfg->port);
	app->server = server_bind(scfg, &app->slot, err, errlen);
	if (!app->server)
		return -1;
	app->http = http_start(app->base, app->opt.http, &hh, err, errlen);
	if (!app->http)
		return -1;
	log_info("http on %s (port %u): /health /ready /metrics", app->opt.http,
	         (unsigned)http_port(app->http));
	if (app->opt.user && privileges_drop(app->opt.user, err, errlen) < 0)
		return -1;
	return server_start(app->server, err, errlen);
}

/* The main loop's events, and the source that keeps the cache current:
   --dir polled, or the API listed and watched. */
static int start_following(struct app *app, char *err, size_t errlen)
{
	app->lameduck_timer = evtimer_new(app->base, on_lameduck_over, app);
	if (!app->lameduck_timer ||
	    (app->dir && source_dir_watch(app->dir, app->base, DIR_POLL_MS, publisher_changed,
	                                  app->publisher) < 0)) {
		snprintf(err, errlen, "cannot set up the main loop");
		return -1;
	}
	if (!app->dir) {
		app->api = kube_client_new(app->base, app->cache, &app->kcfg, publisher_changed,
		                           app->publisher, err, errlen);
		if (!app->api)
			return -1;
	}
	return 0;
}

/* Everything main set up, in reverse: the query threads stop before the
   table they read goes. */
static void teardown(struct app *app)
{
	http_free(app->http);
	server_stop(app->server);
	metrics_free(app->metrics);
	if (app->lameduck_timer)
		event_free(app->lameduck_timer);
	if (app->sig_term)
		event_free(app->sig_term);
	if (app->sig_int)
		event_free(app->sig_int);
	if (app->sig_hup)
		event_free(app->sig_hup);
	if (app->hosts_timer)
		event_free(app->hosts_timer);
	hosts_files_release(&app->hosts);
	kube_client_free(app->api);
	kubeconfig_clear(&app->kc);
	/* The query threads are gone: nobody reads the table any more. */
	publisher_free(app->publisher);
	source_dir_free(app->dir);
	svc_cache_free(app->cache);
	pod_map_free(app->pods);
	zone_hints_free(app->zone_hints);
	label_selector_free(app->select_labels);
	label_selector_free(app->select_ns_labels);
	if (app->base)
		event_base_free(app->base);
	free(app->ns_addrs);
	free(app->zone_names);
	free(app->zones);
	for (size_t i = 0; i < app->n_only_ns; i++)
		free(app->only_ns[i]);
	free(app->only_ns);
	forward_config_release(&app->fcfg);
	fwd_cache_free(app->fcache); /* the query threads are gone */
	fwd_flights_free(app->fflights);
	config_free(option_table, &app->opt);
	libevent_global_shutdown();
}

/* The first non-loopback IPv4 address of this host, else 127.0.0.1. */
static size_t local_address(struct kube_ip *ip)
{
	struct ifaddrs *list = NULL, *ifa;

	memset(ip, 0, sizeof(*ip));
	ip->family = AF_INET;
	ip->bytes[0] = 127;
	ip->bytes[3] = 1;
	if (getifaddrs(&list) < 0)
		return 1;
	for (ifa = list; ifa; ifa = ifa->ifa_next) {
		const struct sockaddr_in *sin = (const void *)ifa->ifa_addr;
		if (!sin || sin->sin_family != AF_INET || (ifa->ifa_flags & IFF_LOOPBACK))
			continue;
		memcpy(ip->bytes, &sin->sin_addr, 4);
		break;
	}
	freeifaddrs(list);
	return 1;
}

/* The zones answered from the cache: --domain's, then --multicluster's
   (records_config's order). A zone may not be both. */
static int setup_zones(struct app *app, char *err, size_t errlen)
{
	const struct config_list *cl = &app->opt.domain, *mc = &app->opt.multicluster;
	size_t i, j, n = cl->n + mc->n;
	uint8_t wire[256], other[256];

	app->zone_names = calloc(n ? n : 1, sizeof(*app->zone_names));
	if (!app->zone_names) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *zone = i < cl->n ? cl->items[i] : mc->items[i - cl->n];
		size_t len = dname_from_text(zone, wire);

		if (len < 2) {
			snprintf(err, errlen, "invalid value '%s' for --%s", zone,
			         i < cl->n ? "domain" : "multicluster");
			return -1;
		}
		for (j = 0; j < i; j++)
			if (dname_from_text(app->zone_names[j], other) == len &&
			    memcmp(wire, other, len) == 0) {
				snprintf(err, errlen, "zone '%s' given twice (--domain and "
				         "--multicluster zones are distinct)", zone);
				return -1;
			}
		app->zone_names[i] = zone;
	}
	app->rcfg.zones = app->zone_names;
	app->rcfg.n_zones = n;
	app->rcfg.n_multicluster = mc->n;
	return 0;
}

static int setup_records_config(struct app *app, char *err, size_t errlen)
{
	size_t i, n = 0;

	if (setup_zones(app, err, errlen) < 0)
		return -1;
	app->rcfg.ttl = (uint32_t)app->opt.ttl;
	app->rcfg.pods = (enum records_pods)app->opt.pods;
	app->rcfg.endpoint_pod_names = app->opt.endpoint_pod_names;
	app->rcfg.ignore_empty_service = app->opt.ignore_empty_service;
	app->rcfg.no_endpoints = app->opt.no_endpoints;
	app->ns_addrs = calloc(app->opt.ns_address.n + 1, sizeof(*app->ns_addrs));
	if (!app->ns_addrs) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < app->opt.ns_address.n; i++) {
		if (kube_ip_parse(app->opt.ns_address.items[i], &app->ns_addrs[n]) < 0) {
			snprintf(err, errlen, "invalid value '%s' for --ns-address",
			         app->opt.ns_address.items[i]);
			return -1;
		}
		n++;
	}
	/* Default: the first listen address that names one interface. */
	for (i = 0; n == 0 && i < app->opt.listen.n; i++) {
		struct kube_ip ip;
		static const uint8_t zero[16];
		if (kube_ip_parse(app->opt.listen.items[i], &ip) < 0) {
			snprintf(err, errlen, "invalid value '%s' for --listen",
			         app->opt.listen.items[i]);
			return -1;
		}
		if (memcmp(ip.bytes, zero, ip.family == AF_INET ? 4 : 16) != 0)
			app->ns_addrs[n++] = ip;
	}
	/* Wildcard only: the host's own address, as CoreDNS uses its local IP,
	   so the apex NS always has an address (named-checkzone requires it). */
	if (n == 0)
		n = local_address(&app->ns_addrs[0]);
	app->rcfg.ns_addrs = app->ns_addrs;
	app->rcfg.n_ns_addrs = n;
	return 0;
}

/* Where the API source comes from: --apiserver (with --token-file,
   --ca-file), else --kubeconfig, else the in-cluster service account. */
static int setup_api_config(struct app *app, char *err, size_t errlen)
{
	struct kube_client_config *k = &app->kcfg;

	if (app->opt.kube_context && !app->opt.kubeconfig) {
		snprintf(err, errlen, "--kube-context needs --kubeconfig");
		return -1;
	}
	if (app->opt.apiserver) {
		k->server = app->opt.apiserver;
	} else if (app->opt.kubeconfig) {
		if (kubeconfig_load(app->opt.kubeconfig, app->opt.kube_context, &app->kc, err,
		                    errlen) < 0)
			return -1;
		kubeconfig_to_client(&app->kc, k);
	} else if (kubeconfig_in_cluster_available()) {
		if (kubeconfig_in_cluster(&app->kc, err, errlen) < 0)
			return -1;
		kubeconfig_to_client(&app->kc, k);
	} else {
		snprintf(err, errlen, "no source of cluster data: pass --dir DIR, "
		                      "--apiserver URL or --kubeconfig FILE, or run in a "
		                      "cluster (KUBERNETES_SERVICE_HOST)");
		return -1;
	}
	if (app->opt.token_file)
		k->token_file = app->opt.token_file;
	if (app->opt.ca_file)
		k->ca_file = app->opt.ca_file;
	return 0;
}

/* Rebuilds the answer table from the cache and swaps it in. */
/* ---- --from-corefile ---- */

/* The Corefile at path as svcdns options (corefile.c); the exit status:
   0, 2 when some of it has no equivalent, 1 when it cannot be read or is
   no Corefile. */
static int from_corefile(const char *path)
{
	FILE *fp = fopen(path, "rb");
	size_t cap = 4u << 20, len;
	char *text;
	int rc;

	if (!fp) {
		fprintf(stderr, "svcdns: %s: %s\n", path, strerror(errno));
		return EXIT_RUNTIME;
	}
	text = malloc(cap + 1);
	if (!text) {
		fclose(fp);
		fprintf(stderr, "svcdns: out of memory\n");
		return EXIT_RUNTIME;
	}
	/* One byte more than the converter takes: a larger file is refused
	   by it, not cut here. */
	len = fread(text, 1, cap + 1, fp);
	if (ferror(fp)) {
		fprintf(stderr, "svcdns: %s: %s\n", path, strerror(errno));
		rc = EXIT_RUNTIME;
	} else {
		rc = corefile_convert(text, len, path, stdout, stderr);
	}
	fclose(fp);
	free(text);
	return rc;
}

/* ---- --hosts ---- */

static void log_hosts(void *ctx, bool warning, const char *msg)
{
	(void)ctx;
	if (warning)
		log_warn("hosts: %s", msg);
	else
		log_info("hosts: %s", msg);
}

/* Reads the files that changed; one that cannot be read leaves its last
   contents served. */
static void refresh_hosts(struct app *app)
{
	if (hosts_files_refresh(&app->hosts, log_hosts, NULL) < 0)
		log_error("hosts: out of memory; the last table stays");
}

static void on_hosts_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	refresh_hosts(arg);
}

/* The first read (a missing file is no error: it may appear later), then
   a look every --hosts-reload seconds. */
static int start_hosts(struct app *app, char *err, size_t errlen)
{
	struct timeval tv = {(time_t)app->opt.hosts_reload, 0};

	struct hosts_options opts = {(uint32_t)app->opt.hosts_ttl, app->opt.hosts_no_reverse};

	if (!app->opt.hosts.n)
		return 0;
	if (hosts_files_init(&app->hosts, app->opt.hosts.items, app->opt.hosts.n, &opts) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	refresh_hosts(app);
	if (!app->opt.hosts_reload)
		return 0;
	app->hosts_timer = event_new(app->base, -1, EV_PERSIST, on_hosts_timer, app);
	if (!app->hosts_timer || event_add(app->hosts_timer, &tv) < 0) {
		snprintf(err, errlen, "cannot start the --hosts timer");
		return -1;
	}
	return 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct app *app = arg;
	char err[512];

	(void)what;
	if (sig == SIGHUP) {
		/* We log to stderr, which has nothing to reopen: re-read the
		   inputs instead. */
		log_info("SIGHUP: re-reading %s%s", app->dir ? "--dir" : "the token file",
		         app->opt.hosts.n ? " and --hosts" : "");
		kube_client_reload_token(app->api);
		if (app->opt.hosts.n)
			refresh_hosts(app);
		if (app->dir) {
			int rc = source_dir_scan(app->dir, err, sizeof(err));
			if (rc < 0)
				log_error("%s", err);
			else if (rc > 0)
				publisher_changed(app->publisher);
		}
		return;
	}
	if (app->lameduck || app->opt.lameduck == 0) {
		/* A second signal during lame duck ends it at once. */
		event_base_loopbreak(app->base);
		return;
	}
	/* Lame duck, as CoreDNS's health plugin: probes fail so the endpoint
	   leaves the Service, DNS is still answered for clients that have not
	   noticed yet. */
	app->lameduck = true;
	log_info("%s: lame duck for %lu s (DNS still answered, /health and /ready fail)",
	         sig == SIGTERM ? "SIGTERM" : "SIGINT", app->opt.lameduck);
	{
		struct timeval tv = {(time_t)app->opt.lameduck, 0};
		if (evtimer_add(app->lameduck_timer, &tv) < 0)
			event_base_loopbreak(app->base);
	}
}

static void on_lameduck_over(evutil_socket_t fd, short what, void *arg)
{
	struct app *app = arg;

	(void)fd;
	(void)what;
	event_base_loopbreak(app->base);
}

static int http_health(void *ctx, char *reason, size_t len)
{
	const struct app *app = ctx;

	if (app->lameduck) {
		snprintf(reason, len, "shutting down (lame duck)");
		return -1;
	}
	return 0;
}

static int http_ready(void *ctx, char *reason, size_t len)
{
	const struct app *app = ctx;

	if (app->lameduck) {
		snprintf(reason, len, "shutting down (lame duck)");
		return -1;
	}
	if (app->api && !kube_client_synced(app->api)) {
		snprintf(reason, len, "kubernetes: waiting for the first complete list from %s",
		         app->kcfg.server ? app->kcfg.server : "the API server");
		return -1;
	}
	if (!answer_table_published(&app->slot)) {
		snprintf(reason, len, "no answers published yet");
		return -1;
	}
	return 0;
}

static int http_metrics(void *ctx, FILE *fp)
{
	struct app *app = ctx;
	struct metrics_thread dns;
	struct metrics_app ma;
	struct forward_stats fs;
	struct kube_client_stats ks;
	struct publisher_stats ps;
	struct answer_table *t;
	char reason[8];
	size_t k;

	memset(&ma, 0, sizeof(ma));
	metrics_sum(app->metrics, &dns);
	ma.server = app->server_label;
	if (server_forward_stats(app->server, &fs))
		ma.fwd = &fs;
	ma.since_sync = -1;
	if (app->api) {
		kube_client_get_stats(app->api, &ks);
		ma.api = &ks;
		if (ks.last_sync > 0)
			ma.since_sync = difftime(time(NULL), ks.last_sync);
	}
	for (k = 1; k < KUBE_KIND_COUNT; k++)
		ma.objects[k] = svc_cache_count(app->cache, (enum kube_kind)k);
	t = answer_table_published(&app->slot); /* the writer's thread */
	if (t) {
		ma.table_entries = answer_table_entries(t);
		ma.table_bytes = answer_table_bytes(t);
	}
	publisher_stats(app->publisher, &ps);
	ma.programming = ps.programming;
	ma.publishes = ps.publishes;
	ma.publish_failures = ps.failures;
	ma.ready = http_ready(app, reason, sizeof(reason)) == 0;
	ma.lameduck = app->lameduck;
	if (app->pods) {
		ma.autopath = app->opt.autopath;
		ma.pod_map = true;
		ma.autopath_successes = autopath_successes();
		ma.pod_addresses = pod_map_count(app->pods); /* the writer's thread */
		ma.pod_map_bytes = pod_map_bytes(app->pods);
	}
	return metrics_render(&dns, &ma, fp);
}

/* Is addr one of the addresses we answer on? Then forwarding to it would
   loop (CoreDNS's "loop" plugin guards against the same mistake, typically
   a node resolv.conf naming the cluster DNS or 127.0.0.1). */
static bool is_own_address(const struct sockaddr_storage *addr,
                           const struct server_config *scfg)
{
	size_t i;
	uint16_t port;
	const uint8_t *bytes;
	size_t n;

	if (addr->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)addr;
		port = ntohs(sin->sin_port);
		bytes = (const uint8_t *)&sin->sin_addr;
		n = 4;
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)addr;
		port = ntohs(sin6->sin6_port);
		bytes = (const uint8_t *)&sin6->sin6_addr;
		n = 16;
	}
	if (port != scfg->port)
		return false;
	for (i = 0; i < scfg->n_listen; i++) {
		struct kube_ip ip;
		static const uint8_t zero[16];
		if (kube_ip_parse(scfg->listen[i], &ip) < 0 ||
		    (ip.family == AF_INET) != (n == 4))
			continue;
		/* A wildcard listener answers on loopback and every local address. */
		if (memcmp(ip.bytes, zero, n) == 0 || memcmp(ip.bytes, bytes, n) == 0)
			return true;
	}
	return false;
}

static int setup_forwarding(struct app *app, const struct server_config *scfg,
                            char *err, size_t errlen)
{
	const struct config_list *ups = &app->opt.upstream;
	size_t i, j;
	bool none;

	app->zones = calloc(app->rcfg.n_zones ? app->rcfg.n_zones : 1, sizeof(*app->zones));
	if (!app->zones) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < app->rcfg.n_zones; i++)
		app->zones[i].len = dname_from_text(app->rcfg.zones[i], app->zones[i].name);
	none = ups->n == 1 && strcmp(ups->items[0], "none") == 0;
	if (none && app->opt.stub_domain.n == 0) {
		app->forwarding = false;
		return 0;
	}
	/* "none" drops the default upstreams; stub domains still forward. */
	if (forward_config_load(&app->fcfg, none ? NULL : ups->items, none ? 0 : ups->n,
	                        none ? NULL : app->opt.resolv_conf,
	                        app->opt.stub_domain.items, app->opt.stub_domain.n, err,
	                        errlen) < 0)
		return -1;
	if (app->fcfg.ups.n == 0 && app->fcfg.n_stubs == 0) {
		log_warn("no upstream nameserver in %s: names outside the cluster "
		         "zones will be refused", app->opt.resolv_conf);
		app->forwarding = false;
		return 0;
	}
	for (i = 0; i < app->fcfg.ups.n; i++) {
		if (is_own_address(&app->fcfg.ups.addrs[i], scfg)) {
			snprintf(err, errlen,
			         "upstream %zu (from %s) is svcdns itself: forwarding would "
			         "loop; pass --upstream with a real resolver",
			         i + 1, ups->n ? "--upstream" : app->opt.resolv_conf);
			return -1;
		}
	}
	for (i = 0; i < app->fcfg.n_stubs; i++)
		for (j = 0; j < app->fcfg.stubs[i].ups.n; j++)
			if (is_own_address(&app->fcfg.stubs[i].ups.addrs[j], scfg)) {
				snprintf(err, errlen,
				         "--stub-domain %s sends queries to svcdns itself: "
				         "forwarding would loop",
				         app->opt.stub_domain.items[i]);
				return -1;
			}
	app->fcfg.timeout_ms = (unsigned)app->opt.forward_timeout;
	app->fcache = fwd_cache_new(app->opt.cache_size);
	if (!app->fcache) {
		snprintf(err, errlen, "out of memory for --cache-size %lu", app->opt.cache_size);
		return -1;
	}
	app->fcfg.cache = app->fcache;
	app->fflights = fwd_flights_new();
	if (!app->fflights) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	app->fcfg.flights = app->fflights;
	app->fcfg.max_inflight = 1000;
	/* CoreDNS's cache: 3600 s for answers, 1800 s for denials, unless
	   "cache TTL" sets both */
	app->fcfg.max_ttl = app->opt.cache_ttl ? (uint32_t)app->opt.cache_ttl : 3600;
	app->fcfg.max_negative_ttl = app->opt.cache_ttl ? (uint32_t)app->opt.cache_ttl : 1800;
	app->fcfg.servfail_ttl = 5;
	app->fcfg.stale_limit = (uint32_t)app->opt.serve_stale;
	app->fcfg.policy = (enum forward_policy)app->opt.forward_policy;
	app->fcfg.force_tcp = app->opt.force_tcp;
	app->fcfg.prefetch = app->opt.prefetch;
	app->fcfg.stale_ttl = 30;
	app->fcfg.edns_size = (uint16_t)app->opt.udp_size;
	app->forwarding = true;
	return 0;
}
