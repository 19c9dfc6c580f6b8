/* kubeconfig.c - reads a kubeconfig's current context with libyaml's
 * document API, or the in-cluster service-account files. */
#include "kubeconfig.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <yaml.h>

#include "kube_client.h"

static const yaml_node_t *kcfg_get(yaml_document_t *doc,
                                   const yaml_node_t *map, const char *key);
static const char *kcfg_scalar(const yaml_node_t *n);

/* ---- base64 ---------------------------------------------------------------- */

unsigned char *kubeconfig_base64_decode(const char *in, size_t *outlen)
{
	size_t len = strlen(in);
	/* EVP_DecodeUpdate writes whole 3-byte groups of what it has read */
	unsigned char *out = len <= INT_MAX / 2 ? malloc(len / 4 * 3 + 4) : NULL;
	EVP_ENCODE_CTX *ctx = out ? EVP_ENCODE_CTX_new() : NULL;
	int n = 0, tail = 0;

	if (!ctx)
		goto bad;
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, out, &n, (const unsigned char *)in, (int)len) < 0 ||
	    EVP_DecodeFinal(ctx, out + n, &tail) < 0)
		goto bad;
	EVP_ENCODE_CTX_free(ctx);
	out[n + tail] = '\0';
	*outlen = (size_t)(n + tail);
	return out;
bad:
	EVP_ENCODE_CTX_free(ctx);
	free(out);
	return NULL;
}

/* ---- yaml helpers ------------------------------------------------------------ */

static const char *kcfg_scalar(const yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

static const yaml_node_t *kcfg_get(yaml_document_t *doc,
                                   const yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		const char *k =
			kcfg_scalar(yaml_document_get_node(doc, p->key));
		if (k && strcmp(k, key) == 0)
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

/* The "sub" mapping of the list entry whose name is name, e.g.
   clusters[name=c1].cluster. */
static const yaml_node_t *kcfg_named(yaml_document_t *doc,
                                     const yaml_node_t *root,
                                     const char *list, const char *name,
                                     const char *sub)
{
	const yaml_node_t *seq = kcfg_get(doc, root, list);
	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return NULL;
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		const yaml_node_t *e = yaml_document_get_node(doc, *it);
		const char *n = kcfg_scalar(kcfg_get(doc, e, "name"));
		if (n && strcmp(n, name) == 0)
			return kcfg_get(doc, e, sub);
	}
	return NULL;
}

static bool kcfg_true(const char *s)
{
	return s && (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
	             strcmp(s, "TRUE") == 0 || strcmp(s, "yes") == 0);
}

/* A file name from the kubeconfig, relative to its directory. */
static char *kcfg_path(const char *dir, const char *name)
{
	size_t len;
	char *p;
	if (!name || !*name)
		return NULL;
	if (name[0] == '/' || !dir)
		return strdup(name);
	len = strlen(dir) + strlen(name) + 2;
	p = malloc(len);
	if (p)
		snprintf(p, len, "%s/%s", dir, name);
	return p;
}

static int kcfg_blob(const char *b64, unsigned char **out, size_t *outlen,
                     const char *field, const char *path, char *err,
                     size_t errlen)
{
	if (!b64)
		return 0;
	*out = kubeconfig_base64_decode(b64, outlen);
	if (!*out) {
		snprintf(err, errlen, "%s: %s is not valid base64", path, field);
		return -1;
	}
	return 0;
}

static int kcfg_dup(char **dst, const char *src)
{
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -1;
}

/* The YAML document at path. */
static int kcfg_read_document(const char *path, yaml_document_t *doc, char *err,
                              size_t errlen)
{
	yaml_parser_t parser;
	FILE *fp = fopen(path, "rb");
	int ret = 0;

	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(fp);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	yaml_parser_set_input_file(&parser, fp);
	if (!yaml_parser_load(&parser, doc)) {
		snprintf(err, errlen, "%s: line %lu: %s", path,
		         (unsigned long)parser.problem_mark.line + 1,
		         parser.problem ? parser.problem : "YAML error");
		ret = -1;
	}
	yaml_parser_delete(&parser);
	fclose(fp);
	return ret;
}

/* The nodes a context names. */
struct kcfg_context {
	const char *name, *cluster_name, *user_name;
	const yaml_node_t *context, *cluster, *user; /* user: NULL when none */
};

/* The context (the current one unless named) and its cluster and user. */
static int kcfg_select(yaml_document_t *doc, const yaml_node_t *root, const char *context,
                       struct kcfg_context *c, const char *path, char *err,
                       size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->name = context ? context : kcfg_scalar(kcfg_get(doc, root, "current-context"));
	if (!c->name || !*c->name) {
		snprintf(err, errlen, "%s: no current-context", path);
		return -1;
	}
	c->context = kcfg_named(doc, root, "contexts", c->name, "context");
	if (!c->context) {
		snprintf(err, errlen, "%s: context \"%s\" not found", path, c->name);
		return -1;
	}
	c->cluster_name = kcfg_scalar(kcfg_get(doc, c->context, "cluster"));
	c->user_name = kcfg_scalar(kcfg_get(doc, c->context, "user"));
	c->cluster = c->cluster_name
	                     ? kcfg_named(doc, root, "clusters", c->cluster_name, "cluster")
	                     : NULL;
	if (!c->cluster) {
		snprintf(err, errlen, "%s: cluster \"%s\" of context \"%s\" not found", path,
		         c->cluster_name ? c->cluster_name : "", c->name);
		return -1;
	}
	if (c->user_name && *c->user_name) {
		c->user = kcfg_named(doc, root, "users", c->user_name, "user");
		if (!c->user) {
			snprintf(err, errlen, "%s: user \"%s\" of context \"%s\" not found", path,
			         c->user_name, c->name);
			return -1;
		}
	}
	return 0;
}

/* The cluster's server and CA, the context's namespace; relative paths
   are taken from dir (the kubeconfig's). */
static int kcfg_read_cluster(yaml_document_t *doc, const struct kcfg_context *c,
                             const char *dir, struct kubeconfig *out, const char *path,
                             char *err, size_t errlen)
{
	const char *s = kcfg_scalar(kcfg_get(doc, c->cluster, "server"));

	if (!s || !*s) {
		snprintf(err, errlen, "%s: cluster \"%s\" has no server", path, c->cluster_name);
		return -1;
	}
	if (kcfg_dup(&out->server, s) < 0)
		goto oom;
	s = kcfg_scalar(kcfg_get(doc, c->cluster, "certificate-authority"));
	if (s && !(out->ca_file = kcfg_path(dir, s)))
		goto oom;
	if (kcfg_blob(kcfg_scalar(kcfg_get(doc, c->cluster, "certificate-authority-data")),
	              &out->ca_data, &out->ca_data_len, "certificate-authority-data", path, err,
	              errlen) < 0)
		return -1;
	out->insecure =
		kcfg_true(kcfg_scalar(kcfg_get(doc, c->cluster, "insecure-skip-tls-verify")));
	if (kcfg_dup(&out->namespace_, kcfg_scalar(kcfg_get(doc, c->context, "namespace"))) < 0)
		goto oom;
	return 0;
oom:
	snprintf(err, errlen, "%s: out of memory", path);
	return -1;
}

/* The user's token or client certificate (exec and auth-provider
   credentials refused with why). */
static int kcfg_read_user(yaml_document_t *doc, const struct kcfg_context *c,
                          const char *dir, struct kubeconfig *out, const char *path,
                          char *err, size_t errlen)
{
	const yaml_node_t *user = c->user;
	const char *s;

	if (kcfg_get(doc, user, "exec") || kcfg_get(doc, user, "auth-provider")) {
		snprintf(err, errlen,
		         "%s: user \"%s\": exec and auth-provider credentials are not "
		         "supported; use a token, tokenFile or client certificate",
		         path, c->user_name);
		return -1;
	}
	if (kcfg_dup(&out->token, kcfg_scalar(kcfg_get(doc, user, "token"))) < 0)
		goto oom;
	s = kcfg_scalar(kcfg_get(doc, user, "tokenFile"));
	if (s && !(out->token_file = kcfg_path(dir, s)))
		goto oom;
	s = kcfg_scalar(kcfg_get(doc, user, "client-certificate"));
	if (s && !(out->client_cert = kcfg_path(dir, s)))
		goto oom;
	s = kcfg_scalar(kcfg_get(doc, user, "client-key"));
	if (s && !(out->client_key = kcfg_path(dir, s)))
		goto oom;
	if (kcfg_blob(kcfg_scalar(kcfg_get(doc, user, "client-certificate-data")),
	              &out->cert_data, &out->cert_data_len, "client-certificate-data", path,
	              err, errlen) < 0 ||
	    kcfg_blob(kcfg_scalar(kcfg_get(doc, user, "client-key-data")), &out->key_data,
	              &out->key_data_len, "client-key-data", path, err, errlen) < 0)
		return -1;
	return 0;
oom:
	snprintf(err, errlen, "%s: out of memory", path);
	return -1;
}

int kubeconfig_load(const char *path, const char *context,
                    struct kubeconfig *out, char *err, size_t errlen)
{
	yaml_document_t doc;
	const yaml_node_t *root;
	struct kcfg_context c;
	char *dir = NULL, *slash;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (kcfg_read_document(path, &doc, err, errlen) < 0)
		return -1;
	root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		snprintf(err, errlen, "%s: not a kubeconfig (no mapping)", path);
		goto out;
	}
	if (kcfg_select(&doc, root, context, &c, path, err, errlen) < 0)
		goto out;
	/* relative file names are the kubeconfig's directory's */
	if (!(dir = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	if ((slash = strrchr(dir, '/')))
		*slash = '\0';
	else
		strcpy(dir, ".");
	if (kcfg_read_cluster(&doc, &c, dir, out, path, err, errlen) < 0 ||
	    (c.user && kcfg_read_user(&doc, &c, dir, out, path, err, errlen) < 0))
		goto out;
	ret = 0;
out:
	free(dir);
	yaml_document_delete(&doc);
	if (ret < 0)
		kubeconfig_clear(out);
	return ret;
}

bool kubeconfig_in_cluster_available(void)
{
	const char *h = getenv("KUBERNETES_SERVICE_HOST");
	const char *p = getenv("KUBERNETES_SERVICE_PORT");
	return h && *h && p && *p;
}

static char *kcfg_read_small(const char *path)
{
	char buf[4096];
	size_t n;
	FILE *fp = fopen(path, "r");
	if (!fp)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' ||
	                 buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return strdup(buf);
}

int kubeconfig_in_cluster(struct kubeconfig *out, char *err, size_t errlen)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *dir = getenv(KUBECONFIG_SA_DIR_ENV);
	char buf[1024];
	size_t len;

	memset(out, 0, sizeof(*out));
	if (!kubeconfig_in_cluster_available()) {
		snprintf(err, errlen,
		         "not running in a cluster (KUBERNETES_SERVICE_HOST/PORT "
		         "unset)");
		return -1;
	}
	if (!dir || !*dir)
		dir = KUBECONFIG_SA_DIR;
	if (strchr(host, ':'))
		snprintf(buf, sizeof(buf), "https://[%s]:%s", host, port);
	else
		snprintf(buf, sizeof(buf), "https://%s:%s", host, port);
	out->server = strdup(buf);
	snprintf(buf, sizeof(buf), "%s/token", dir);
	if (access(buf, R_OK) != 0) {
		snprintf(err, errlen, "in-cluster config: %s: %s", buf,
		         strerror(errno));
		kubeconfig_clear(out);
		return -1;
	}
	out->token_file = strdup(buf);
	len = (size_t)snprintf(buf, sizeof(buf), "%s/ca.crt", dir);
	if (len < sizeof(buf) && access(buf, R_OK) == 0)
		out->ca_file = strdup(buf);
	snprintf(buf, sizeof(buf), "%s/namespace", dir);
	out->namespace_ = kcfg_read_small(buf);
	if (!out->server || !out->token_file) {
		snprintf(err, errlen, "out of memory");
		kubeconfig_clear(out);
		return -1;
	}
	return 0;
}

void kubeconfig_to_client(const struct kubeconfig *kc,
                          struct kube_client_config *cfg)
{
	cfg->server = kc->server;
	cfg->token = kc->token;
	cfg->token_file = kc->token_file;
	cfg->ca_file = kc->ca_file;
	cfg->ca_data = kc->ca_data;
	cfg->ca_data_len = kc->ca_data_len;
	cfg->client_cert = kc->client_cert;
	cfg->client_key = kc->client_key;
	cfg->cert_data = kc->cert_data;
	cfg->cert_data_len = kc->cert_data_len;
	cfg->key_data = kc->key_data;
	cfg->key_data_len = kc->key_data_len;
	cfg->insecure = kc->insecure;
}

void kubeconfig_clear(struct kubeconfig *kc)
{
	if (!kc)
		return;
	free(kc->server);
	free(kc->ca_file);
	free(kc->ca_data);
	free(kc->token);
	free(kc->token_file);
	free(kc->client_cert);
	free(kc->client_key);
	free(kc->cert_data);
	free(kc->key_data);
	free(kc->namespace_);
	memset(kc, 0, sizeof(*kc));
}
