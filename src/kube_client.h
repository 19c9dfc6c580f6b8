/* kube_client.h - the API-server source: Services, EndpointSlices
 * (Endpoints when slices are absent), Namespaces and Pods on request, each
 * listed and watched as one WatchList stream where the server offers it,
 * else a paged LIST then a WATCH, through libcurl's multi socket interface
 * on a libevent loop, applied to a svc_cache as they stream in; resume,
 * relist, backoff and authentication. With --namespaces, a resource the
 * API forbids cluster-wide is read in each namespace named (a Role per
 * namespace is then enough).
 *
 * Ownership: the client borrows the event_base and the cache (both must
 * outlive it) and copies everything it keeps from the config. */
#ifndef SVCDNS_KUBE_CLIENT_H
#define SVCDNS_KUBE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct event_base;
struct svc_cache;
struct kube_client;

struct kube_client_config {
	const char *server;      /* "https://10.0.0.1:6443", "http://127.0.0.1:8001" */
	const char *token_file;  /* re-read every 60 s and after a 401; or NULL */
	const char *token;       /* fixed bearer token; or NULL */
	const char *ca_file;     /* PEM bundle; or NULL */
	const void *ca_data;     /* PEM in memory (kubeconfig *-data); or NULL */
	size_t ca_data_len;
	const char *client_cert; /* PEM files; or NULL */
	const char *client_key;
	const void *cert_data;   /* PEM in memory; or NULL */
	size_t cert_data_len;
	const void *key_data;
	size_t key_data_len;
	bool insecure;           /* skip TLS verification */
	bool watch_pods;         /* also list/watch running Pods */
	/* The Pods are only which client is which pod (--autopath without
	   --pods verified): the first sync does not wait for their list, a
	   pods watch the API forbids stops nothing else, and labels do not
	   filter them. */
	bool pods_only_clients;
	/* Also list/watch Nodes (their zones, --prefer-zone); not waited for
	   by the first sync either. */
	bool watch_nodes;
	bool watch_namespaces;   /* also list/watch Namespaces (names) */
	bool watch_endpoints;    /* list/watch EndpointSlices (or Endpoints);
	                            without it, with watch_service_imports,
	                            the slices of ServiceImports only */
	/* Also list/watch ServiceImports (multicluster.x-k8s.io/v1alpha1,
	   --multicluster); without the CRD or the permission, the first
	   sync does not wait for them. */
	bool watch_service_imports;
	const char *labels;      /* labelSelector of Services and their endpoints, or NULL */
	const char *namespace_labels; /* labelSelector of Namespaces, or NULL */
	/* --namespaces: the only namespaces the cache keeps, or none. A
	   namespaced resource is read cluster-wide while the API allows it,
	   else in each of these; Namespaces forbidden cluster-wide, these
	   exist (unless namespace_labels needs the objects' labels). */
	const char *const *namespaces;
	size_t n_namespaces;
	unsigned watch_timeout_s; /* timeoutSeconds of a watch; 0: 240..360 random */
};

/* Called after the cache changed: first once every resource has been listed
   (synced), then after each applied batch of watch events or relist. */
typedef void (*kube_client_changed_fn)(void *ctx);

/* Counters for /metrics. */
struct kube_client_stats {
	uint64_t lists;          /* complete LISTs (all pages) */
	uint64_t relists;        /* LISTs after the first, per resource */
	uint64_t list_pages;
	uint64_t watches;        /* WATCH requests started */
	uint64_t watch_restarts; /* watches resumed after an end or a drop */
	uint64_t events;         /* ADDED/MODIFIED/DELETED applied */
	uint64_t bookmarks;
	uint64_t skipped;        /* malformed events or objects */
	uint64_t failures;       /* failed requests (network, HTTP, parse) */
	/* Failures by class, index 1..7: network, TLS, 401, 403, 429, 5xx,
	   other HTTP status (index 0 unused). */
	uint64_t errors_by_class[8];
	time_t last_sync;        /* wall time of the last list or applied event */
	bool synced;
	bool api_up;             /* false while in backoff after a failure */
};

/* Starts listing at once. Returns NULL with err set on a bad config (no
   server, unreadable token file) or allocation failure. */
struct kube_client *kube_client_new(struct event_base *base,
                                    struct svc_cache *cache,
                                    const struct kube_client_config *cfg,
                                    kube_client_changed_fn changed, void *ctx,
                                    char *err, size_t errlen);

/* Runs a private loop until every resource has been listed once (no watch),
   for svcdns-env. Returns 0, or -1 with err set on the first failure or
   after timeout_s seconds. */
int kube_client_list_once(struct svc_cache *cache,
                          const struct kube_client_config *cfg,
                          unsigned timeout_s, char *err, size_t errlen);

bool kube_client_synced(const struct kube_client *c);
/* Re-reads the token file now (SIGHUP); a failure is logged and the old
   token kept. */
void kube_client_reload_token(struct kube_client *c);
void kube_client_get_stats(const struct kube_client *c,
                           struct kube_client_stats *out);

/* Cancels every transfer and timer; the cache keeps its contents. */
void kube_client_free(struct kube_client *c);

/* ---- pure helpers, exported for the unit tests ---- */

/* Delay before retry number attempt (0-based): 0.5 s doubling to 30 s, with
   rnd01 in [0,1) spreading it over the upper half of each step; never under
   retry_after_s seconds when that is positive (capped at 300 s). */
unsigned kube_client_backoff_ms(unsigned attempt, long retry_after_s,
                                double rnd01);

/* Writes server+path+query into buf. list: limit=500 (+continue); watch:
   watch=1, allowWatchBookmarks, resourceVersion, timeoutSeconds. extra is
   an already-encoded query fragment (fieldSelector=...) or NULL. Values are
   percent-encoded. Returns 0, or -1 if buf is too small. */
int kube_client_build_url(char *buf, size_t len, const char *server,
                          const char *path, const char *extra, bool watch,
                          const char *rv, const char *cont,
                          unsigned timeout_s);

/* Value of a Retry-After header line ("Retry-After: 3\r\n"), in seconds;
   -1 if the line is not one or is not delta-seconds. */
long kube_client_parse_retry_after(const char *line, size_t len);

#endif
