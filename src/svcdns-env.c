/* svcdns-env.c - main of svcdns-env: one LIST of the cluster's Services
 * (directory or API server) into a cache, the kubelet's service variables
 * for one namespace, printed as shell/env/json or added to the environment
 * of a command that is then exec'd. */
#ifdef HAVE_CONFIG_H
#include "svcdns_autoconf.h"
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "envvars.h"
#include "kube_client.h"
#include "kube_object.h"
#include "kubeconfig.h"
#include "log.h"
#include "source_dir.h"
#include "svc_cache.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define PROG "svcdns-env"
#define LIST_TIMEOUT_S 30

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

struct env_opts {
	const char *dir;
	const char *apiserver;
	const char *token_file;
	const char *ca_file;
	const char *kubeconfig;
	const char *kube_context;
	const char *ns;
	int format;
	bool no_links;
	bool verbose;
};

static const struct config_option options[] = {
	{ "dir", CONFIG_STRING, "DIR", NULL, 0, 0, NULL,
	  offsetof(struct env_opts, dir),
	  "read Services from the kubectl-style JSON files in DIR" },
	{ "apiserver", CONFIG_STRING, "URL", NULL, 0, 0, NULL,
	  offsetof(struct env_opts, apiserver),
	  "list Services from this API server" },
	{ "token-file", CONFIG_STRING, "FILE", NULL, 0, 0, NULL,
	  offsetof(struct env_opts, token_file),
	  "bearer token for --apiserver" },
	{ "ca-file", CONFIG_STRING, "FILE", NULL, 0, 0, NULL,
	  offsetof(struct env_opts, ca_file),
	  "CA bundle (PEM) for --apiserver" },
	{ "kubeconfig", CONFIG_STRING, "FILE", NULL, 0, 0, NULL,
	  offsetof(struct env_opts, kubeconfig),
	  "take server, CA and credentials from a kubeconfig" },
	{ "kube-context", CONFIG_STRING, "NAME", NULL, 0, 0, NULL,
	  offsetof(struct env_opts, kube_context),
	  "the kubeconfig's context to use (default: its current-context)" },
	{ "namespace", CONFIG_STRING, "NS", NULL, 0, 0, NULL,
	  offsetof(struct env_opts, ns),
	  "the pod's namespace (default: the service account's, else "
	  "\"default\")" },
	{ "format", CONFIG_CHOICE, "FORMAT", "shell", 0, 0,
	  envvars_format_names, offsetof(struct env_opts, format),
	  "output format" },
	{ "no-service-links", CONFIG_FLAG, NULL, NULL, 0, 0, NULL,
	  offsetof(struct env_opts, no_links),
	  "only the kubernetes service's variables (enableServiceLinks: false)" },
	{ "verbose", CONFIG_FLAG, NULL, NULL, 0, 0, NULL,
	  offsetof(struct env_opts, verbose), "log what is loaded" },
	{ NULL, 0, NULL, NULL, 0, 0, NULL, 0, NULL },
};

/* The library logs its errors as they happen, with a time stamp; a one-shot
   tool should say what went wrong in one line. While loading, stderr goes
   to a temporary file; on success it is replayed (warnings stay visible),
   on failure only the first error is kept for that one line. */
struct log_capture {
	FILE *tmp;
	int saved_fd;
};

static const char synopsis[] =
	PROG " [OPTIONS] [-- COMMAND [ARGS...]]";

static char *read_sa_file(const char *name);
static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static void capture_start(struct log_capture *cap, bool enabled);
static void capture_stop(struct log_capture *cap, bool replay, char *first,
                         size_t len);
static int load_dir(struct svc_cache *cache, const char *dir, char *msg,
                    size_t len);
static int load_api(struct svc_cache *cache, const struct env_opts *o,
                    char **ns_out, char *msg, size_t len);
static int has_services_in(void *ctx, const struct kube_object *obj);
static int namespace_known(const struct svc_cache *cache, const char *ns);
static int exec_with(const struct envvars *ev, char **argv);

/* Contents of a file in the service-account directory (SVCDNS_SA_DIR
   overrides it, for tests), trailing white space removed; NULL when
   absent or empty. */
static char *read_sa_file(const char *name)
{
	const char *dir = getenv(KUBECONFIG_SA_DIR_ENV);
	char path[4096], buf[256];
	size_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s",
	         dir && *dir ? dir : KUBECONFIG_SA_DIR, name);
	fp = fopen(path, "r");
	if (fp == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	while (n > 0 && strchr(" \t\r\n", buf[n - 1]))
		n--;
	buf[n] = '\0';
	return n > 0 ? strdup(buf) : NULL;
}

static int usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, PROG ": %s (see --help)\n", msg);
	return EXIT_USAGE;
}

static void capture_start(struct log_capture *cap, bool enabled)
{
	cap->tmp = NULL;
	cap->saved_fd = -1;
	if (!enabled)
		return;
	fflush(stderr);
	cap->tmp = tmpfile();
	if (cap->tmp == NULL)
		return;
	cap->saved_fd = dup(STDERR_FILENO);
	if (cap->saved_fd < 0 ||
	    dup2(fileno(cap->tmp), STDERR_FILENO) < 0) {
		if (cap->saved_fd >= 0)
			close(cap->saved_fd);
		fclose(cap->tmp);
		cap->tmp = NULL;
		cap->saved_fd = -1;
	}
}

/* Restores stderr. first gets the text of the first "[error]: " line
   without its time stamp or a trailing "(keeping ...)" remark that means
   nothing to a one-shot run; "" when there is none. */
static void capture_stop(struct log_capture *cap, bool replay, char *first,
                         size_t len)
{
	static const char tag[] = "[error]: ";
	char line[1024];

	first[0] = '\0';
	if (cap->tmp == NULL)
		return;
	fflush(stderr);
	dup2(cap->saved_fd, STDERR_FILENO);
	close(cap->saved_fd);
	rewind(cap->tmp);
	while (fgets(line, sizeof(line), cap->tmp) != NULL) {
		const char *text = strstr(line, tag);
		char *keep;
		size_t n;

		if (replay) {
			fputs(line, stderr);
			continue;
		}
		if (text == NULL || first[0] != '\0')
			continue;
		snprintf(first, len, "%s", text + sizeof(tag) - 1);
		n = strlen(first);
		while (n > 0 && (first[n - 1] == '\n' || first[n - 1] == '\r'))
			first[--n] = '\0';
		keep = strstr(first, " (keeping ");
		if (keep != NULL && first[n - 1] == ')')
			*keep = '\0';
	}
	fclose(cap->tmp);
	cap->tmp = NULL;
}

/* One scan of DIR. A file that does not parse is fatal here: a partial
   set of variables would be silently wrong. */
static int load_dir(struct svc_cache *cache, const char *dir, char *msg,
                    size_t len)
{
	struct source_dir *src = source_dir_new(dir, cache);
	size_t bad;

	if (src == NULL) {
		snprintf(msg, len, "out of memory");
		return -1;
	}
	if (source_dir_scan(src, msg, len) < 0) {
		source_dir_free(src);
		return -1;
	}
	bad = source_dir_bad_files(src);
	source_dir_free(src);
	if (bad > 0) {
		snprintf(msg, len, "%s: %zu file%s could not be loaded", dir,
		         bad, bad == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

/* One LIST from the API server given by --apiserver, --kubeconfig or the
   in-cluster service account. *ns_out gets the kubeconfig context's
   namespace (malloc'd) when it names one. */
static int load_api(struct svc_cache *cache, const struct env_opts *o,
                    char **ns_out, char *msg, size_t len)
{
	struct kube_client_config cfg = { 0 };
	struct kubeconfig kc = { 0 };
	int rc;

	if (o->apiserver != NULL) {
		cfg.server = o->apiserver;
		cfg.token_file = o->token_file;
		cfg.ca_file = o->ca_file;
	} else {
		rc = o->kubeconfig != NULL
		             ? kubeconfig_load(o->kubeconfig, o->kube_context, &kc, msg,
		                               len)
		             : kubeconfig_in_cluster(&kc, msg, len);
		if (rc < 0)
			return -1;
		kubeconfig_to_client(&kc, &cfg);
		if (kc.namespace_ != NULL)
			*ns_out = strdup(kc.namespace_);
	}
	rc = kube_client_list_once(cache, &cfg, LIST_TIMEOUT_S, msg, len);
	kubeconfig_clear(&kc);
	return rc;
}

static int has_services_in(void *ctx, const struct kube_object *obj)
{
	return strcmp(obj->ns, ctx) == 0;
}

/* Whether ns can be told to exist: it has Services, or it is listed as a
   Namespace. 1 yes, 0 unknown (the source gives no Namespaces, so absence
   proves nothing), -1 known not to exist. */
static int namespace_known(const struct svc_cache *cache, const char *ns)
{
	if (svc_cache_foreach(cache, KUBE_KIND_SERVICE, has_services_in,
	                      (void *)ns) != 0)
		return 1;
	if (svc_cache_count(cache, KUBE_KIND_NAMESPACE) == 0)
		return 0;
	return svc_cache_get(cache, KUBE_KIND_NAMESPACE, "", ns) ? 1 : -1;
}

/* Adds ev to the environment (variables already set win, as a
   container's own env does over the kubelet's) and execs argv[0]. */
static int exec_with(const struct envvars *ev, char **argv)
{
	for (size_t i = 0; i < ev->n; i++) {
		if (ev->v[i].name[0] == '\0' || strchr(ev->v[i].name, '='))
			continue;
		if (setenv(ev->v[i].name, ev->v[i].value, 0) < 0) {
			fprintf(stderr, PROG ": setenv %s: %s\n",
			        ev->v[i].name, strerror(errno));
			return EXIT_RUNTIME;
		}
	}
	fflush(stdout);
	execvp(argv[0], argv);
	fprintf(stderr, PROG ": %s: %s\n", argv[0], strerror(errno));
	/* As env(1) and the shells report it. */
	return errno == ENOENT ? 127 : 126;
}

int main(int argc, char **argv)
{
	struct env_opts o;
	struct svc_cache *cache = NULL;
	struct envvars ev = { NULL, 0 };
	struct log_capture cap;
	char err[512], msg[512], logged[512];
	char *sa_ns = NULL, *ctx_ns = NULL;
	const char *ns;
	char **cmd = NULL;
	int rest = argc, rc, status = EXIT_RUNTIME;
	size_t skipped = 0;

	log_init(PROG, LOG_LEVEL_WARN);
	rc = config_parse(options, &o, argc, argv, &rest, synopsis,
	                  PROG " " PACKAGE_VERSION, err, sizeof(err));
	if (rc != 0) {
		config_free(options, &o);
		if (rc > 0)
			return 0;
		fprintf(stderr, PROG ": %s\n", err);
		return EXIT_USAGE;
	}
	if (o.verbose)
		log_threshold = LOG_LEVEL_INFO;
	if (rest < argc) {
		/* Only "--" may introduce the command, so that a stray word
		   is never run. */
		if (rest == 0 || strcmp(argv[rest - 1], "--") != 0) {
			status = usage_error("unexpected argument '%s'; put the "
			                     "command after --", argv[rest]);
			goto out;
		}
		cmd = argv + rest;
	} else if (rest > 1 && strcmp(argv[rest - 1], "--") == 0) {
		status = usage_error("no command after '--'");
		goto out;
	}

	if ((o.dir != NULL) + (o.apiserver != NULL) + (o.kubeconfig != NULL) >
	    1) {
		status = usage_error("give only one of --dir, --apiserver and "
		                     "--kubeconfig");
		goto out;
	}
	if ((o.token_file != NULL || o.ca_file != NULL) && o.apiserver == NULL) {
		status = usage_error("--%s needs --apiserver",
		                     o.token_file ? "token-file" : "ca-file");
		goto out;
	}
	if (o.dir == NULL && o.apiserver == NULL && o.kubeconfig == NULL &&
	    !kubeconfig_in_cluster_available()) {
		status = usage_error("no source: pass --dir DIR, --apiserver URL "
		                     "or --kubeconfig FILE (inside a pod the "
		                     "service account is used)");
		goto out;
	}
	if (o.ns != NULL && o.ns[0] == '\0') {
		status = usage_error("--namespace: the value '' is empty");
		goto out;
	}

	cache = svc_cache_new();
	if (cache == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	capture_start(&cap, !o.verbose);
	rc = o.dir != NULL ? load_dir(cache, o.dir, msg, sizeof(msg))
	                   : load_api(cache, &o, &ctx_ns, msg, sizeof(msg));
	capture_stop(&cap, rc == 0, logged, sizeof(logged));
	if (rc < 0) {
		/* A bad file's reason is only in the log; the API client's
		   message already names the server and the cause. */
		fprintf(stderr, PROG ": %s\n",
		        o.dir != NULL && logged[0] ? logged : msg);
		goto out;
	}

	/* --namespace, else the kubeconfig context's, else the service
	   account's, else "default". */
	if (o.ns != NULL) {
		ns = o.ns;
	} else if (ctx_ns != NULL) {
		ns = ctx_ns;
	} else {
		sa_ns = read_sa_file("namespace");
		ns = sa_ns ? sa_ns : "default";
	}
	if (namespace_known(cache, ns) < 0) {
		fprintf(stderr, PROG ": namespace '%s' not found\n", ns);
		goto out;
	}
	if (envvars_for_pod(cache, ns, !o.no_links, &ev) < 0) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	svc_cache_free(cache);
	cache = NULL;

	if (cmd != NULL) {
		status = exec_with(&ev, cmd);
		goto out;
	}
	if (envvars_write(&ev, (enum envvars_format)o.format, stdout,
	                  &skipped) < 0 ||
	    fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, PROG ": writing the output: %s\n",
		        strerror(errno));
		goto out;
	}
	if (skipped > 0)
		fprintf(stderr, PROG ": warning: %zu variable%s left out: "
		                "not representable in %s format\n",
		        skipped, skipped == 1 ? "" : "s",
		        envvars_format_names[o.format]);
	status = 0;
out:
	envvars_free(&ev);
	svc_cache_free(cache);
	free(sa_ns);
	free(ctx_ns);
	config_free(options, &o);
	return status;
}
