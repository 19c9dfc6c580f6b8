/* source_dir.c - a directory of kubectl JSON files as a source of objects.
 * Each file remembers the keys it put in the cache, so a changed file
 * replaces exactly its own objects and a broken one leaves them alone. */
#include "source_dir.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/event.h>

#include "bytemap.h"
#include "kube_json.h"
#include "kube_object.h"
#include "log.h"
#include "svc_cache.h"

struct dir_file {
	char *name; /* file name within the directory */
	struct timespec mtime, ctime;
	off_t size;
	ino_t ino;
	bool bad;  /* last read failed; objects are from an older version */
	bool seen; /* present in the current scan */
	/* The keys of the objects it put in the cache, one after another in a
	   single block, each as [kind]ns NUL name NUL (key_read): at 100k
	   objects a few MB less than a struct and two strings each. */
	char *keys;
	size_t keys_len, n_keys;
};

/* One key of a file's block. */
struct file_key {
	uint8_t kind;
	const char *ns, *name;
	size_t len; /* bytes of the record: it is also the key's map key */
};

/* Reads the record at p into k; returns where the next one starts. */
static const char *key_read(const char *p, struct file_key *k)
{
	k->kind = (uint8_t)p[0];
	k->ns = p + 1;
	k->name = k->ns + strlen(k->ns) + 1;
	k->len = (size_t)(k->name + strlen(k->name) + 1 - p);
	return p + k->len;
}

struct source_dir {
	char *path;
	struct svc_cache *cache;
	struct dir_file *files;
	size_t n_files;
	struct event *timer;
	source_dir_changed_fn changed;
	void *changed_ctx;
};

struct load_ctx {
	const char *file;
	struct kube_object **objs;
	size_t n, cap;
	bool oom;
};

static int load_file(struct source_dir *s, struct dir_file *f);
static void forget_keys(struct source_dir *s, struct dir_file *f);
static void on_timer(evutil_socket_t fd, short what, void *arg);

struct source_dir *source_dir_new(const char *path, struct svc_cache *cache)
{
	struct source_dir *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->path = strdup(path);
	if (!s->path) {
		free(s);
		return NULL;
	}
	s->cache = cache;
	return s;
}

static void free_keys(struct dir_file *f)
{
	free(f->keys);
	f->keys = NULL;
	f->keys_len = 0;
	f->n_keys = 0;
}

void source_dir_free(struct source_dir *s)
{
	size_t i;

	if (!s)
		return;
	if (s->timer)
		event_free(s->timer);
	for (i = 0; i < s->n_files; i++) {
		free_keys(&s->files[i]);
		free(s->files[i].name);
	}
	free(s->files);
	free(s->path);
	free(s);
}

static bool is_json_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".json") == 0;
}

static struct dir_file *find_file(struct source_dir *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_files; i++)
		if (strcmp(s->files[i].name, name) == 0)
			return &s->files[i];
	return NULL;
}

int source_dir_scan(struct source_dir *s, char *err, size_t errlen)
{
	DIR *dir = opendir(s->path);
	struct dirent *de;
	bool changed = false;
	size_t i;

	if (!dir) {
		snprintf(err, errlen, "%s: %s", s->path, strerror(errno));
		return -1;
	}
	for (i = 0; i < s->n_files; i++)
		s->files[i].seen = false;
	while ((de = readdir(dir)) != NULL) {
		char full[4096];
		struct stat st;
		struct dir_file *f;

		if (!is_json_name(de->d_name))
			continue;
		snprintf(full, sizeof(full), "%s/%s", s->path, de->d_name);
		if (stat(full, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		f = find_file(s, de->d_name);
		if (!f) {
			struct dir_file *grown =
				realloc(s->files, (s->n_files + 1) * sizeof(*grown));
			if (!grown)
				continue;
			s->files = grown;
			f = &s->files[s->n_files];
			memset(f, 0, sizeof(*f));
			f->name = strdup(de->d_name);
			if (!f->name)
				continue;
			s->n_files++;
			f->size = -1;
		}
		f->seen = true;
		if (f->size == st.st_size && f->ino == st.st_ino &&
		    f->mtime.tv_sec == st.st_mtim.tv_sec &&
		    f->mtime.tv_nsec == st.st_mtim.tv_nsec &&
		    f->ctime.tv_sec == st.st_ctim.tv_sec &&
		    f->ctime.tv_nsec == st.st_ctim.tv_nsec)
			continue;
		f->size = st.st_size;
		f->ino = st.st_ino;
		f->mtime = st.st_mtim;
		f->ctime = st.st_ctim;
		if (load_file(s, f) > 0)
			changed = true;
	}
	closedir(dir);
	/* Files that went away take their objects with them. */
	for (i = 0; i < s->n_files;) {
		struct dir_file *f = &s->files[i];
		if (f->seen) {
			i++;
			continue;
		}
		log_info("%s/%s: removed, its objects are withdrawn", s->path, f->name);
		if (f->n_keys)
			changed = true;
		forget_keys(s, f);
		free(f->name);
		s->files[i] = s->files[--s->n_files];
	}
	return changed ? 1 : 0;
}

size_t source_dir_bad_files(const struct source_dir *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->n_files; i++)
		n += s->files[i].bad;
	return n;
}

int source_dir_watch(struct source_dir *s, struct event_base *base,
                     unsigned interval_ms, source_dir_changed_fn changed,
                     void *ctx)
{
	struct timeval tv = {interval_ms / 1000, (interval_ms % 1000) * 1000};

	s->changed = changed;
	s->changed_ctx = ctx;
	s->timer = event_new(base, -1, EV_PERSIST, on_timer, s);
	if (!s->timer || event_add(s->timer, &tv) < 0)
		return -1;
	return 0;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct source_dir *s = arg;
	char err[512];
	int rc;

	(void)fd;
	(void)what;
	rc = source_dir_scan(s, err, sizeof(err));
	if (rc < 0)
		log_error("%s (keeping the data loaded before)", err);
	else if (rc > 0 && s->changed)
		s->changed(s->changed_ctx);
}

static void collect(void *ctx, enum kube_json_event ev, struct kube_object *obj,
                    const char *message)
{
	struct load_ctx *lc = ctx;

	(void)ev;
	if (!obj) {
		if (message)
			log_warn("%s: %s", lc->file, message);
		return;
	}
	if (lc->n == lc->cap) {
		size_t cap = lc->cap ? lc->cap * 2 : 16;
		struct kube_object **grown = realloc(lc->objs, cap * sizeof(*grown));
		if (!grown) {
			lc->oom = true;
			kube_object_free(obj);
			return;
		}
		lc->objs = grown;
		lc->cap = cap;
	}
	lc->objs[lc->n++] = obj;
}

/* Parses the file at path a chunk at a time, handing each object to cb.
   A whole file in memory was the peak of a start: 85 MB of JSON for 100k
   Services, on top of the objects parsed from it. Returns 0, or -1 with
   err set. */
static int parse_file(const char *path, kube_json_cb cb, void *ctx, char *err,
                      size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	struct kube_json *p;
	char chunk[65536];
	int rc = 0;

	if (!fp) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	p = kube_json_new(KUBE_JSON_DOCUMENT, cb, ctx);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		fclose(fp);
		return -1;
	}
	for (;;) {
		size_t got = fread(chunk, 1, sizeof(chunk), fp);
		if (got > 0 && (rc = kube_json_feed(p, chunk, got, err, errlen)) < 0)
			break;
		if (got < sizeof(chunk))
			break;
	}
	if (rc == 0 && ferror(fp)) {
		snprintf(err, errlen, "%s", strerror(errno));
		rc = -1;
	}
	if (rc == 0)
		rc = kube_json_finish(p, err, errlen);
	kube_json_free(p);
	fclose(fp);
	return rc;
}

/* Returns 1 when the cache changed, 0 when not (or the file is bad). */
static int load_file(struct source_dir *s, struct dir_file *f)
{
	char full[4096], err[512];
	struct load_ctx lc = {0};
	size_t i;
	int rc;
	size_t keys_cap = 1;
	char *keys;

	snprintf(full, sizeof(full), "%s/%s", s->path, f->name);
	lc.file = full;
	rc = parse_file(full, collect, &lc, err, sizeof(err));
	if (rc < 0 || lc.oom) {
		log_error("%s: %s (keeping its previous objects)", full,
		          lc.oom ? "out of memory" : err);
		for (i = 0; i < lc.n; i++)
			kube_object_free(lc.objs[i]);
		free(lc.objs);
		f->bad = true;
		return 0;
	}
	for (i = 0; i < lc.n; i++)
		keys_cap += 3 + strlen(lc.objs[i]->ns) + strlen(lc.objs[i]->name);
	keys = malloc(keys_cap);
	if (!keys) {
		for (i = 0; i < lc.n; i++)
			kube_object_free(lc.objs[i]);
		free(lc.objs);
		f->bad = true;
		return 0;
	}
	if (f->bad)
		log_info("%s: loaded again", full);
	f->bad = false;
	/* Only the difference reaches the cache: unchanged objects stay (and
	   cost no rebuild), objects gone from the file are removed. */
	{
		struct dir_file old = *f;
		size_t changed = 0, j;

		f->keys = keys;
		f->keys_len = 0;
		f->n_keys = 0;
		for (i = 0; i < lc.n; i++) {
			struct kube_object *obj = lc.objs[i];
			char *rec = keys + f->keys_len;
			size_t ns_len = strlen(obj->ns) + 1, name_len = strlen(obj->name) + 1;
			int put;

			rec[0] = (char)obj->kind;
			memcpy(rec + 1, obj->ns, ns_len);
			memcpy(rec + 1 + ns_len, obj->name, name_len);
			put = svc_cache_put(s->cache, obj); /* frees obj */
			if (put < 0)
				continue; /* not in the cache: not one of the file's keys */
			if (put == 0)
				changed++;
			f->keys_len += 1 + ns_len + name_len;
			f->n_keys++;
		}
		if (old.n_keys) {
			struct bytemap *now = bytemap_new();
			struct file_key k;
			const char *p;

			for (i = 0, p = f->keys; now && i < f->n_keys; i++) {
				const char *rec = p;
				p = key_read(p, &k);
				bytemap_slot(now, rec, k.len, true);
			}
			for (j = 0, p = old.keys; j < old.n_keys; j++) {
				const char *rec = p;
				p = key_read(p, &k);
				if (now && bytemap_slot(now, rec, k.len, false))
					continue;
				changed += (size_t)svc_cache_remove(s->cache, k.kind, k.ns, k.name);
			}
			bytemap_free(now, NULL);
		}
		free_keys(&old);
		free(lc.objs);
		log_debug("%s: %zu objects, %zu changed", full, f->n_keys, changed);
		return changed > 0;
	}
}

static void forget_keys(struct source_dir *s, struct dir_file *f)
{
	const char *p = f->keys;
	struct file_key k;
	size_t i;

	for (i = 0; i < f->n_keys; i++) {
		p = key_read(p, &k);
		svc_cache_remove(s->cache, k.kind, k.ns, k.name);
	}
	free_keys(f);
}
