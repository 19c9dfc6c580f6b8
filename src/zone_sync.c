/* zone_sync.c - incremental maintenance of the answer table.
 *
 * For each service it remembers the names it put in the table, the PTRs it
 * contributes (a reverse name may be shared by several services) and the
 * in-zone CNAME target it points at. When the cache reports a service as
 * changed, its records are rebuilt alone, the table is updated name by
 * name, names it no longer has are deleted, shared PTR names are rebuilt
 * from all contributors, and services whose CNAME points at a changed name
 * are redone too (once per apply, so CNAME loops terminate). */
#include "zone_sync.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer_table.h"
#include "bytemap.h"
#include "dname.h"
#include "kube_object.h"
#include "records.h"
#include "svc_cache.h"

/* What one service has put into the table. */
struct owned {
	uint8_t *names;   /* concatenated wire names (cluster zones) */
	size_t names_len;
	uint8_t *ptrs;    /* concatenated (reverse name, target) wire pairs */
	size_t ptrs_len;
	uint8_t *cname;   /* in-zone CNAME target, or NULL */
	size_t cname_len;
};

/* Everyone who contributes a PTR record to one reverse name. */
struct ptr_owner {
	const struct owned *by;
	const uint8_t *target; /* inside by->ptrs, which outlives this entry */
	size_t target_len;
};

struct ptr_set {
	struct ptr_owner *owners;
	size_t n, cap;
	int zone;
};

struct zone_sync {
	const struct records_config *cfg;
	struct answer_table *table;
	struct bytemap *owned;  /* "ns/svc" -> struct owned */
	struct bytemap *ptrs;   /* reverse name -> struct ptr_set */
	struct bytemap *deps;   /* CNAME target -> bytemap of "ns/svc" keys */
	struct records_set *scratch; /* reused for each service, PTR, namespace */
};

/* A key may be redone when a name it depends on changes after it was
   done, a bounded number of times so that CNAME loops end. */
#define MAX_VISITS 3

struct pending {
	char **keys; /* "ns/svc", or "ns" for a namespace */
	size_t n, cap;
	size_t next;          /* keys before this one are done or in progress */
	struct bytemap *seen; /* key -> times queued (uintptr_t) */
	bool oom;
};

static void free_owned(void *v);
static void free_ptr_set(void *v);
static void free_dep_set(void *v);

struct zone_sync *zone_sync_new(const struct records_config *cfg, char *err,
                                size_t errlen)
{
	struct zone_sync *z = calloc(1, sizeof(*z));
	struct records_set *set;

	if (!z) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	z->cfg = cfg;
	z->owned = bytemap_new();
	z->ptrs = bytemap_new();
	z->deps = bytemap_new();
	set = records_new(cfg, 0, err, errlen);
	if (!set || !z->owned || !z->ptrs || !z->deps) {
		if (set)
			snprintf(err, errlen, "out of memory");
		records_set_free(set);
		zone_sync_free(z);
		return NULL;
	}
	z->table = answer_table_new(set, cfg->pods == RECORDS_PODS_INSECURE, cfg->ttl);
	z->scratch = set; /* its serial does not matter: only the apex has a SOA */
	if (!z->table) {
		snprintf(err, errlen, "out of memory");
		zone_sync_free(z);
		return NULL;
	}
	return z;
}

void zone_sync_free(struct zone_sync *z)
{
	if (!z)
		return;
	answer_table_free(z->table);
	records_set_free(z->scratch);
	bytemap_free(z->owned, free_owned);
	bytemap_free(z->ptrs, free_ptr_set);
	bytemap_free(z->deps, free_dep_set);
	free(z);
}

struct answer_table *zone_sync_table(const struct zone_sync *z)
{
	return z->table;
}

static void free_owned(void *v)
{
	struct owned *o = v;

	if (!o)
		return;
	free(o->names);
	free(o->ptrs);
	free(o->cname);
	free(o);
}

static void free_ptr_set(void *v)
{
	struct ptr_set *p = v;

	if (!p)
		return;
	free(p->owners);
	free(p);
}

static void free_dep_set(void *v)
{
	bytemap_free(v, NULL);
}

/* ---- the work list ----------------------------------------------------- */

static void pending_add(struct pending *p, const char *key)
{
	void **slot = bytemap_slot(p->seen, key, strlen(key), true);
	uintptr_t visits;
	size_t i;
	char *copy;

	if (!slot) {
		p->oom = true;
		return;
	}
	visits = (uintptr_t)*slot;
	if (visits >= MAX_VISITS)
		return;
	/* Still waiting in the list: nothing to add. */
	for (i = p->n; visits && i > p->next; i--)
		if (strcmp(p->keys[i - 1], key) == 0)
			return;
	copy = strdup(key);
	if (!copy) {
		p->oom = true;
		return;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		char **grown = realloc(p->keys, cap * sizeof(*grown));
		if (!grown) {
			free(copy);
			p->oom = true;
			return;
		}
		p->keys = grown;
		p->cap = cap;
	}
	p->keys[p->n++] = copy;
	*slot = (void *)(visits + 1);
}

static void on_change(void *ctx, const char *ns, const char *name)
{
	char key[600];

	if (name)
		snprintf(key, sizeof(key), "%s/%s", ns, name);
	else
		snprintf(key, sizeof(key), "%s", ns);
	pending_add(ctx, key);
}

/* Services whose CNAME points at name must be redone. */
static int queue_dependent(void *ctx, const void *key, size_t len, void *value)
{
	char buf[600];

	(void)value;
	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, key, len);
	buf[len] = '\0';
	pending_add(ctx, buf);
	return 0;
}

static void name_changed(struct zone_sync *z, struct pending *p, const uint8_t *name,
                         size_t len)
{
	void **slot = bytemap_slot(z->deps, name, len, false);

	if (slot)
		bytemap_foreach(*slot, queue_dependent, p);
}

/* ---- PTR names shared between services -------------------------------- */

static int ptr_rebuild(struct zone_sync *z, uint32_t serial, const uint8_t *rev,
                       size_t rev_len, struct pending *p)
{
	void **slot = bytemap_slot(z->ptrs, rev, rev_len, false);
	struct ptr_set *ps = slot ? *slot : NULL;
	struct records_set *set;
	char err[128];
	size_t i;
	int rc;

	if (!ps || ps->n == 0) {
		if (ps)
			free_ptr_set(bytemap_remove(z->ptrs, rev, rev_len));
		answer_table_delete(z->table, rev, rev_len);
		name_changed(z, p, rev, rev_len);
		return 0;
	}
	(void)serial;
	(void)err;
	set = z->scratch;
	if (records_clear(set) < 0)
		return -1;
	for (i = 0; i < ps->n; i++)
		records_add_record(set, rev, rev_len, ps->zone, RR_TYPE_PTR, z->cfg->ttl,
		                   ps->owners[i].target, ps->owners[i].target_len);
	rc = records_finish(set) < 0 || records_failed(set) ? -1 : 0;
	if (rc == 0 && records_name_count(set))
		rc = answer_table_put(z->table, set, records_name_at(set, 0));
	return rc;
}

static void ptr_forget(struct zone_sync *z, const struct owned *o, const uint8_t *rev,
                       size_t rev_len)
{
	void **slot = bytemap_slot(z->ptrs, rev, rev_len, false);
	struct ptr_set *ps = slot ? *slot : NULL;
	size_t i;

	if (!ps)
		return;
	for (i = 0; i < ps->n;) {
		if (ps->owners[i].by == o)
			ps->owners[i] = ps->owners[--ps->n];
		else
			i++;
	}
}

static int ptr_remember(struct zone_sync *z, const struct owned *o, const uint8_t *rev,
                        size_t rev_len, int zone, const uint8_t *target,
                        size_t target_len)
{
	void **slot = bytemap_slot(z->ptrs, rev, rev_len, true);
	struct ptr_set *ps;

	if (!slot)
		return -1;
	if (!*slot && !(*slot = calloc(1, sizeof(struct ptr_set)))) {
		bytemap_remove(z->ptrs, rev, rev_len);
		return -1;
	}
	ps = *slot;
	ps->zone = zone;
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 1;
		struct ptr_owner *grown = realloc(ps->owners, cap * sizeof(*grown));
		if (!grown)
			return -1;
		ps->owners = grown;
		ps->cap = cap;
	}
	ps->owners[ps->n].by = o;
	ps->owners[ps->n].target = target;
	ps->owners[ps->n].target_len = target_len;
	ps->n++;
	return 0;
}

/* ---- one service ------------------------------------------------------ */

static int blob_add(uint8_t **blob, size_t *len, const uint8_t *a, size_t alen)
{
	uint8_t *grown = realloc(*blob, *len + alen);

	if (!grown)
		return -1;
	memcpy(grown + *len, a, alen);
	*blob = grown;
	*len += alen;
	return 0;
}

static bool blob_has(const uint8_t *blob, size_t len, const uint8_t *name, size_t nlen)
{
	size_t pos = 0;

	while (pos < len) {
		size_t l = 0;
		while (blob[pos + l])
			l += (size_t)blob[pos + l] + 1;
		l++;
		if (l == nlen && memcmp(blob + pos, name, nlen) == 0)
			return true;
		pos += l;
	}
	return false;
}

static size_t wire_len(const uint8_t *name)
{
	size_t l = 0;

	while (name[l])
		l += (size_t)name[l] + 1;
	return l + 1;
}

static void deps_update(struct zone_sync *z, const char *key, const struct owned *old,
                        const struct owned *new_owned)
{
	void **slot;

	if (old && old->cname) {
		slot = bytemap_slot(z->deps, old->cname, old->cname_len, false);
		if (slot) {
			bytemap_remove(*slot, key, strlen(key));
			if (bytemap_count(*slot) == 0)
				free_dep_set(bytemap_remove(z->deps, old->cname, old->cname_len));
		}
	}
	if (new_owned && new_owned->cname) {
		slot = bytemap_slot(z->deps, new_owned->cname, new_owned->cname_len, true);
		if (slot && !*slot)
			*slot = bytemap_new();
		if (slot && *slot)
			bytemap_slot(*slot, key, strlen(key), true);
	}
}

static int update_service(struct zone_sync *z, struct svc_cache *cache, uint32_t serial,
                          const char *key, struct pending *p)
{
	char ns[300];
	const char *slash = strchr(key, '/');
	const struct kube_object *obj;
	struct records_set *set;
	struct owned *o, *old = NULL;
	void **slot;
	char err[128];
	size_t i, pos, n_zones = z->cfg->n_zones;
	int rc = 0;

	if (!slash || (size_t)(slash - key) >= sizeof(ns))
		return 0;
	memcpy(ns, key, (size_t)(slash - key));
	ns[slash - key] = '\0';
	/* "ns//pod": a Pod, whose records exist only with --pods verified. */
	if (slash[1] == '/')
		obj = z->cfg->pods == RECORDS_PODS_VERIFIED
		              ? svc_cache_get(cache, KUBE_KIND_POD, ns, slash + 2)
		              : NULL;
	else
		obj = svc_cache_get(cache, KUBE_KIND_SERVICE, ns, slash + 1);

	(void)err;
	set = z->scratch;
	o = calloc(1, sizeof(*o));
	if (!o || records_clear(set) < 0) {
		free(o);
		return -1;
	}
	if (obj && obj->kind == KUBE_KIND_POD)
		records_add_pod(set, obj);
	else if (obj)
		records_add_service(set, cache, obj);
	if (records_failed(set) || records_finish(set) < 0) {
		free(o);
		return -1;
	}
	slot = bytemap_slot(z->owned, key, strlen(key), false);
	if (slot)
		old = *slot;

	for (i = 0; i < records_name_count(set) && rc == 0; i++) {
		const struct records_name *name = records_name_at(set, i);
		uint32_t r;

		if (name->zone < n_zones) {
			rc = answer_table_put(z->table, set, name);
			if (rc == 0)
				rc = blob_add(&o->names, &o->names_len, name->owner, name->owner_len);
			name_changed(z, p, name->owner, name->owner_len);
			for (r = 0; r < name->n_records && rc == 0; r++) {
				const struct record *rec = &name->records[r];
				int tz;
				if (rec->type != RR_TYPE_CNAME || o->cname)
					continue;
				tz = records_zone_of(set, rec->rdata, rec->rdlen);
				if (tz >= 0 && (size_t)tz < n_zones) {
					o->cname = malloc(rec->rdlen);
					if (!o->cname)
						rc = -1;
					else {
						memcpy(o->cname, rec->rdata, rec->rdlen);
						o->cname_len = rec->rdlen;
					}
				}
			}
			continue;
		}
		for (r = 0; r < name->n_records && rc == 0; r++) {
			const struct record *rec = &name->records[r];
			if (rec->type != RR_TYPE_PTR)
				continue;
			if (blob_add(&o->ptrs, &o->ptrs_len, name->owner, name->owner_len) < 0 ||
			    blob_add(&o->ptrs, &o->ptrs_len, rec->rdata, rec->rdlen) < 0)
				rc = -1;
		}
	}
	if (rc < 0) {
		free_owned(o);
		return -1;
	}

	/* Names the service no longer has. */
	for (pos = 0; old && pos < old->names_len;) {
		size_t l = wire_len(old->names + pos);
		if (!blob_has(o->names, o->names_len, old->names + pos, l)) {
			answer_table_delete(z->table, old->names + pos, l);
			name_changed(z, p, old->names + pos, l);
		}
		pos += l;
	}

	/* PTRs: withdraw the old contributions, add the new, rebuild both. */
	for (pos = 0; old && pos < old->ptrs_len;) {
		size_t rl = wire_len(old->ptrs + pos), tl = wire_len(old->ptrs + pos + rl);
		ptr_forget(z, old, old->ptrs + pos, rl);
		pos += rl + tl;
	}
	for (pos = 0; pos < o->ptrs_len && rc == 0;) {
		size_t rl = wire_len(o->ptrs + pos), tl = wire_len(o->ptrs + pos + rl);
		int zone = records_zone_of(set, o->ptrs + pos, rl);
		rc = ptr_remember(z, o, o->ptrs + pos, rl, zone, o->ptrs + pos + rl, tl);
		pos += rl + tl;
	}
	for (pos = 0; old && pos < old->ptrs_len && rc == 0;) {
		size_t rl = wire_len(old->ptrs + pos), tl = wire_len(old->ptrs + pos + rl);
		rc = ptr_rebuild(z, serial, old->ptrs + pos, rl, p);
		pos += rl + tl;
	}
	for (pos = 0; pos < o->ptrs_len && rc == 0;) {
		size_t rl = wire_len(o->ptrs + pos), tl = wire_len(o->ptrs + pos + rl);
		rc = ptr_rebuild(z, serial, o->ptrs + pos, rl, p);
		pos += rl + tl;
	}

	deps_update(z, key, old, obj ? o : NULL);
	if (obj && (o->names_len || o->ptrs_len)) {
		slot = bytemap_slot(z->owned, key, strlen(key), true);
		if (!slot) {
			free_owned(o);
			return -1;
		}
		*slot = o;
		free_owned(old);
	} else {
		free_owned(bytemap_remove(z->owned, key, strlen(key)));
		free_owned(o);
	}
	return rc;
}

static int update_namespace(struct zone_sync *z, struct svc_cache *cache,
                            uint32_t serial, const char *ns)
{
	struct records_set *set = z->scratch;
	size_t i;
	int rc = 0;

	(void)serial;
	if (records_clear(set) < 0)
		return -1;
	records_add_namespace(set, ns);
	if (records_failed(set) || records_finish(set) < 0)
		return -1;
	for (i = 0; i < records_name_count(set) && rc == 0; i++) {
		const struct records_name *name = records_name_at(set, i);
		if (svc_cache_namespace_exists(cache, ns))
			rc = answer_table_put(z->table, set, name);
		else
			answer_table_delete(z->table, name->owner, name->owner_len);
	}
	return rc;
}

/* The apex names carry the SOA, whose serial changes with every apply. */
static int update_apex(struct zone_sync *z, uint32_t serial)
{
	struct records_set *set;
	char err[128];
	size_t i;
	int rc = 0;

	set = records_new(z->cfg, serial, err, sizeof(err));
	if (!set)
		return -1;
	records_add_apex(set);
	if (records_failed(set) || records_finish(set) < 0) {
		records_set_free(set);
		return -1;
	}
	for (i = 0; i < records_name_count(set) && rc == 0; i++)
		rc = answer_table_put(z->table, set, records_name_at(set, i));
	answer_table_set_soa(z->table, set);
	records_set_free(set);
	return rc;
}

long zone_sync_apply(struct zone_sync *z, struct svc_cache *cache, uint32_t serial,
                     char *err, size_t errlen)
{
	struct pending p;
	size_t i;
	long done = 0;
	int rc = 0;

	memset(&p, 0, sizeof(p));
	p.seen = bytemap_new();
	if (!p.seen) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	svc_cache_drain_changes(cache, on_change, &p);
	/* Dependents discovered while working join the end of the list. */
	for (i = 0; i < p.n && rc == 0; i++) {
		p.next = i + 1;
		if (strchr(p.keys[i], '/')) {
			rc = update_service(z, cache, serial, p.keys[i], &p);
			done++;
		} else {
			rc = update_namespace(z, cache, serial, p.keys[i]);
		}
	}
	if (rc == 0)
		rc = update_apex(z, serial);
	/* One grace period for every node this batch replaced. */
	answer_table_reclaim(z->table);
	if (rc < 0 || p.oom)
		snprintf(err, errlen, "out of memory applying changes");
	for (i = 0; i < p.n; i++)
		free(p.keys[i]);
	free(p.keys);
	bytemap_free(p.seen, NULL);
	return rc < 0 || p.oom ? -1 : done;
}
