/* envvars.h - the kubelet's service environment variables ({SVC}_SERVICE_HOST,
 * {SVC}_PORT_443_TCP, ...) computed from the Services in a svc_cache, byte
 * for byte as the kubelet writes them, and rendered as shell, env-file or
 * JSON text. Pure: no I/O except the FILE the writer is given.
 *
 * Ownership: a struct envvars owns its array and every string in it;
 * envvars_free() releases them. */
#ifndef SVCDNS_ENVVARS_H
#define SVCDNS_ENVVARS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct kube_object;
struct svc_cache;

struct envvar {
	char *name;
	char *value;
};

/* Sorted by name (byte order), names unique. */
struct envvars {
	struct envvar *v;
	size_t n;
};

enum envvars_format {
	ENVVARS_SHELL = 0, /* export NAME='value' */
	ENVVARS_ENV,       /* NAME=value, as docker run --env-file reads */
	ENVVARS_JSON       /* one object, keys sorted */
};

/* The variables a pod in namespace ns gets (the kubelet's
   getServiceEnvVarMap): default/kubernetes always; with service_links every
   Service of ns too, and a `kubernetes` Service in ns then replaces the
   default one. Services without a cluster IP ("None", "") give nothing.
   When two services would set the same name (only possible with unusual
   names) the one whose name sorts last wins, so the output is stable.
   Fills *out (zeroed first). Returns 0, or -1 on allocation failure
   (*out is then empty). */
int envvars_for_pod(const struct svc_cache *cache, const char *ns,
                    bool service_links, struct envvars *out);

/* The variables of exactly these Services, in this order (the kubelet's
   FromServices followed by its map: a later duplicate name wins). Objects
   that are not Services or have no cluster IP are skipped. Fills *out
   (zeroed first). Returns 0, or -1 on allocation failure. */
int envvars_from_services(const struct kube_object *const *svcs, size_t n,
                          struct envvars *out);

/* Value of name, or NULL when absent. Borrowed from ev. */
const char *envvars_get(const struct envvars *ev, const char *name);

void envvars_free(struct envvars *ev);

/* True when name can be a shell variable ([A-Za-z_][A-Za-z0-9_]*). */
bool envvars_is_shell_name(const char *name);

/* Writes ev to fp in fmt. A variable the format cannot carry (shell: name
   not a shell identifier; env: newline in name or value, or '=' in name)
   is left out and counted in *skipped (may be NULL). Returns 0, or -1 when
   writing fails. */
int envvars_write(const struct envvars *ev, enum envvars_format fmt, FILE *fp,
                  size_t *skipped);

/* "shell", "env", "json"; NULL-terminated, in enum order (for a
   CONFIG_CHOICE table entry). */
extern const char *const envvars_format_names[];

#endif
