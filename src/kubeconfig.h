/* kubeconfig.h - where the API server is and how to log in: a kubeconfig
 * file (current context, read with libyaml) or the in-cluster service
 * account, turned into a kube_client_config.
 *
 * Ownership: a struct kubeconfig owns its strings and decoded blobs;
 * kubeconfig_clear() releases them. A kube_client_config filled from it
 * borrows them. */
#ifndef SVCDNS_KUBECONFIG_H
#define SVCDNS_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct kube_client_config;

struct kubeconfig {
	char *server;
	char *ca_file;             /* certificate-authority, made absolute */
	unsigned char *ca_data;    /* certificate-authority-data, decoded */
	size_t ca_data_len;
	bool insecure;             /* insecure-skip-tls-verify */
	char *token;
	char *token_file;          /* tokenFile, made absolute */
	char *client_cert;
	char *client_key;
	unsigned char *cert_data;  /* client-certificate-data, decoded */
	size_t cert_data_len;
	unsigned char *key_data;   /* client-key-data, decoded */
	size_t key_data_len;
	char *namespace_;          /* context namespace, or the service
	                              account's; NULL when unknown */
};

/* Environment variable that moves the service-account directory (tests). */
#define KUBECONFIG_SA_DIR_ENV "SVCDNS_SA_DIR"
#define KUBECONFIG_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* Reads path; context NULL means current-context. Relative file names are
   taken relative to the kubeconfig's directory. Returns 0, or -1 with err
   naming the file and what is wrong (out is then cleared). */
int kubeconfig_load(const char *path, const char *context,
                    struct kubeconfig *out, char *err, size_t errlen);

/* True when KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are set. */
bool kubeconfig_in_cluster_available(void);

/* https://HOST:PORT (IPv6 bracketed), token file and ca.crt of the service
   account directory. Returns 0, or -1 with err set (not in a cluster, no
   token file). */
int kubeconfig_in_cluster(struct kubeconfig *out, char *err, size_t errlen);

/* Points cfg's fields at kc's (cfg's other fields are left alone). */
void kubeconfig_to_client(const struct kubeconfig *kc,
                          struct kube_client_config *cfg);

void kubeconfig_clear(struct kubeconfig *kc);

/* Decodes standard base64, padded as Go's encoding/json writes []byte
   (whitespace ignored; OpenSSL's decoder). Returns a malloc'd buffer
   (NUL-terminated for convenience) with *outlen, or NULL if invalid. */
unsigned char *kubeconfig_base64_decode(const char *in, size_t *outlen);

#endif
