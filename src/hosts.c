/* hosts.c - a hosts(5) file compiled to answers (hosts.h). */
#include "hosts.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <urcu.h>

#include "answer_lookup.h"
#include "bytemap.h"
#include "dname.h"
#include "kube_object.h"
#include "records.h"
#include "wire.h"

/* One answer: records whose owner is a pointer to the question. */
struct hosts_rrset {
	uint8_t *wire;
	uint16_t *ends; /* ends[i]: just past record i */
	uint32_t len, cap;
	uint16_t n, ends_cap;
};

enum { SET_A, SET_AAAA, SET_PTR, SETS };

struct hosts_entry {
	struct hosts_rrset sets[SETS];
};

struct hosts_table {
	struct bytemap *names; /* lower-case wire name -> struct hosts_entry */
	bool wildcards;        /* some name is "*.<suffix>" */
};

/* An answer with no records: what put_found copies from must not be NULL. */
static const uint8_t no_records[1];
static const uint16_t no_ends[1];

static int add_text(struct hosts_table *t, const struct hosts_text *text,
                    const struct hosts_options *opts, hosts_report_fn report, void *ctx);
static int add_line(struct hosts_table *t, char *line, const struct hosts_options *opts,
                    const char **why);
static int add_name(struct hosts_table *t, const struct kube_ip *ip, const char *text,
                    const struct hosts_options *opts);
static int read_file(struct hosts_file *f, hosts_report_fn report, void *ctx);
static struct hosts_entry *entry_of(struct hosts_table *t, const uint8_t *name, size_t len);
static int add_record(struct hosts_rrset *set, uint16_t type, uint32_t ttl,
                      const uint8_t *rdata, size_t rdlen);
static void entry_free(void *value);
static void fill(const struct hosts_rrset *set, struct answer_ref *ref);

struct hosts_table *hosts_table_build(const struct hosts_text *texts, size_t n,
                                      const struct hosts_options *opts,
                                      hosts_report_fn report, void *ctx)
{
	struct hosts_table *t = calloc(1, sizeof(*t));
	size_t i;

	if (!t || !(t->names = bytemap_new())) {
		free(t);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (add_text(t, &texts[i], opts, report, ctx) < 0) {
			hosts_table_free(t);
			return NULL;
		}
	}
	return t;
}

void hosts_table_free(struct hosts_table *t)
{
	if (!t)
		return;
	bytemap_free(t->names, entry_free);
	free(t);
}

size_t hosts_table_names(const struct hosts_table *t)
{
	return t ? bytemap_count(t->names) : 0;
}

bool hosts_table_lookup(const struct hosts_table *t, const uint8_t *lname, size_t len,
                        uint16_t qtype, struct answer_ref *ref)
{
	const struct hosts_entry *e = bytemap_get(t->names, lname, len), *w = NULL;
	const struct hosts_rrset *set = NULL;
	bool exists;

	if (qtype == RR_TYPE_PTR) {
		/* Only addresses have PTRs; other names fall through. */
		if (!e || !e->sets[SET_PTR].n)
			return false;
		fill(&e->sets[SET_PTR], ref);
		return true;
	}
	/* "*.example.org" answers a.example.org, not example.org nor a.b.example.org. */
	if (t->wildcards && len > 1u + lname[0] + 1u) {
		uint8_t key[DNAME_MAX];
		size_t rest = len - 1u - lname[0];

		key[0] = 1;
		key[1] = '*';
		memcpy(key + 2, lname + 1 + lname[0], rest);
		w = bytemap_get(t->names, key, 2 + rest);
	}
	exists = (e && (e->sets[SET_A].n || e->sets[SET_AAAA].n)) ||
	         (w && (w->sets[SET_A].n || w->sets[SET_AAAA].n));
	if (!exists)
		return false;
	if (qtype == RR_TYPE_A || qtype == RR_TYPE_AAAA) {
		int k = qtype == RR_TYPE_A ? SET_A : SET_AAAA;
		set = e && e->sets[k].n ? &e->sets[k] : w ? &w->sets[k] : NULL;
	}
	fill(set, ref);
	return true;
}

struct hosts_table *hosts_slot_acquire(struct hosts_slot *slot)
{
	return rcu_dereference(slot->current);
}

/* ---- building ------------------------------------------------------------ */

/* The lines reported of one text before "and N more". */
#define REPORT_LINES_MAX 10

static int add_text(struct hosts_table *t, const struct hosts_text *text,
                    const struct hosts_options *opts, hosts_report_fn report, void *ctx)
{
	char line[4096], msg[600];
	size_t pos = 0, lineno = 0, bad = 0;

	while (pos < text->len) {
		const char *nl = memchr(text->text + pos, '\n', text->len - pos);
		size_t n = nl ? (size_t)(nl - (text->text + pos)) : text->len - pos;
		const char *why = "longer than any hosts line";
		int rc = 1;

		lineno++;
		if (n < sizeof(line)) {
			memcpy(line, text->text + pos, n);
			line[n] = '\0';
			rc = add_line(t, line, opts, &why);
		}
		if (rc < 0)
			return -1;
		if (rc > 0 && report && ++bad <= REPORT_LINES_MAX) {
			snprintf(msg, sizeof(msg), "%s:%zu: %s, skipped", text->name, lineno, why);
			report(ctx, true, msg);
		}
		pos += n + 1;
	}
	if (report && bad > REPORT_LINES_MAX) {
		snprintf(msg, sizeof(msg), "%s: %zu more lines skipped", text->name,
		         bad - REPORT_LINES_MAX);
		report(ctx, true, msg);
	}
	return 0;
}

/* "ADDRESS NAME..." with a "#" comment: returns 0, 1 when the line is
   neither empty nor usable (*why says why; the line's good names are
   kept), -1 on allocation failure. */
static int add_line(struct hosts_table *t, char *line, const struct hosts_options *opts,
                    const char **why)
{
	static const char space[] = " \t\r\f\v";
	char *save = NULL, *addr, *zone, *name;
	char *hash = strchr(line, '#');
	struct kube_ip ip;
	int names = 0, bad = 0;

	if (hash)
		*hash = '\0';
	addr = strtok_r(line, space, &save);
	if (!addr)
		return 0;
	zone = strchr(addr, '%'); /* fe80::1%eth0: the zone is no part of the address */
	if (zone)
		*zone = '\0';
	if (kube_ip_parse(addr, &ip) < 0) {
		*why = "not an IP address first";
		return 1;
	}
	if (ip.family == AF_INET6 && !memcmp(ip.bytes, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12)) {
		/* ::ffff:a.b.c.d is an IPv4 address, as CoreDNS reads it */
		memmove(ip.bytes, ip.bytes + 12, 4);
		memset(ip.bytes + 4, 0, 12);
		ip.family = AF_INET;
	}
	while ((name = strtok_r(NULL, space, &save)) != NULL) {
		int rc = add_name(t, &ip, name, opts);
		if (rc < 0)
			return -1;
		bad |= rc;
		names++;
	}
	if (names == 0)
		*why = "no name after the address";
	else if (bad)
		*why = "a name that is not a host name (the others kept)";
	return names == 0 || bad;
}

/* One name of a line: its address record, and the address's PTR to it.
   Returns 0, 1 for a name that is not one (skipped), -1 on allocation
   failure. */
static int add_name(struct hosts_table *t, const struct kube_ip *ip, const char *text,
                    const struct hosts_options *opts)
{
	uint8_t wire[DNAME_MAX], rev[DNAME_MAX];
	size_t len, rev_len;
	bool wild = text[0] == '*' && text[1] == '.';
	struct hosts_entry *e;
	bool v4 = ip->family == AF_INET;

	if (wild) {
		len = dname_from_text(text + 2, wire + 2);
		if (len <= 1 || len + 2 > DNAME_MAX)
			return 1;
		wire[0] = 1;
		wire[1] = '*';
		len += 2;
		t->wildcards = true;
	} else {
		len = dname_from_text(text, wire);
		if (len <= 1)
			return 1;
	}
	e = entry_of(t, wire, len);
	if (!e || add_record(&e->sets[v4 ? SET_A : SET_AAAA], v4 ? RR_TYPE_A : RR_TYPE_AAAA,
	                     opts->ttl, ip->bytes, v4 ? 4 : 16) < 0)
		return -1;
	if (wild || opts->no_reverse)
		return 0;
	rev_len = dname_reverse(ip, rev);
	e = entry_of(t, rev, rev_len);
	if (!e || add_record(&e->sets[SET_PTR], RR_TYPE_PTR, opts->ttl, wire, len) < 0)
		return -1;
	return 0;
}

static struct hosts_entry *entry_of(struct hosts_table *t, const uint8_t *name, size_t len)
{
	void **slot = bytemap_slot(t->names, name, len, true);

	if (!slot)
		return NULL;
	if (!*slot)
		*slot = calloc(1, sizeof(struct hosts_entry));
	return *slot;
}

/* Appends a record to set unless it has the same rdata already (a name on
   two lines: one record) or is full. Returns -1 on allocation failure. */
static int add_record(struct hosts_rrset *set, uint16_t type, uint32_t ttl,
                      const uint8_t *rdata, size_t rdlen)
{
	size_t rec = 12 + rdlen, start = 0, i;
	uint8_t *p;

	for (i = 0; i < set->n; i++) {
		size_t end = set->ends[i];
		if (end - start == rec && memcmp(set->wire + start + 12, rdata, rdlen) == 0)
			return 0;
		start = end;
	}
	if (set->n >= HOSTS_RRSET_MAX)
		return 0;
	if (set->len + rec > set->cap) {
		uint32_t cap = set->cap ? set->cap * 2 : 64;
		while (cap < set->len + rec)
			cap *= 2;
		p = realloc(set->wire, cap);
		if (!p)
			return -1;
		set->wire = p;
		set->cap = cap;
	}
	if (set->n == set->ends_cap) {
		uint16_t cap = set->ends_cap ? (uint16_t)(set->ends_cap * 2) : 4;
		uint16_t *ends = realloc(set->ends, cap * sizeof(*ends));
		if (!ends)
			return -1;
		set->ends = ends;
		set->ends_cap = cap;
	}
	p = set->wire + set->len;
	wire_put_u16(p, 0xC000 | 12); /* the question's name */
	wire_put_u16(p + 2, type);
	wire_put_u16(p + 4, 1);
	wire_put_u32(p + 6, ttl);
	wire_put_u16(p + 10, (uint16_t)rdlen);
	memcpy(p + 12, rdata, rdlen);
	set->len += (uint32_t)rec;
	set->ends[set->n++] = (uint16_t)set->len;
	return 0;
}

static void entry_free(void *value)
{
	struct hosts_entry *e = value;
	int i;

	for (i = 0; i < SETS; i++) {
		free(e->sets[i].wire);
		free(e->sets[i].ends);
	}
	free(e);
}

/* An authoritative answer of set's records (none when set is NULL or
   empty). */
static void fill(const struct hosts_rrset *set, struct answer_ref *ref)
{
	memset(ref, 0, offsetof(struct answer_ref, scratch));
	ref->status = ANSWER_FOUND;
	if (set && set->n) {
		ref->body.wire = set->wire;
		ref->body.len = set->len;
		ref->body.an = set->n;
		ref->body.ends = set->ends;
	} else {
		ref->body.wire = no_records;
		ref->body.ends = no_ends;
	}
}

/* ---- the file -------------------------------------------------------------- */

int hosts_files_init(struct hosts_files *h, const char *const *paths, size_t n,
                     const struct hosts_options *opts)
{
	size_t i;

	memset(h, 0, sizeof(*h));
	h->files = calloc(n ? n : 1, sizeof(*h->files));
	if (!h->files)
		return -1;
	for (i = 0; i < n; i++)
		h->files[i].path = paths[i];
	h->n = n;
	h->opts = *opts;
	return 0;
}

int hosts_files_refresh(struct hosts_files *h, hosts_report_fn report, void *ctx)
{
	struct hosts_text *texts;
	struct hosts_table *t, *old;
	size_t i, n = 0;
	bool changed = false;
	char msg[600];

	for (i = 0; i < h->n; i++) {
		int rc = read_file(&h->files[i], report, ctx);
		if (rc < 0)
			return -1;
		changed |= rc > 0;
	}
	if (!changed)
		return 0;
	texts = calloc(h->n, sizeof(*texts));
	if (!texts)
		return -1;
	for (i = 0; i < h->n; i++) {
		if (!h->files[i].text)
			continue;
		texts[n].name = h->files[i].path;
		texts[n].text = h->files[i].text;
		texts[n].len = h->files[i].len;
		n++;
	}
	t = hosts_table_build(texts, n, &h->opts, report, ctx);
	free(texts);
	if (!t)
		return -1;
	old = rcu_xchg_pointer(&h->slot.current, t);
	if (old) {
		synchronize_rcu(); /* readers that hold the old table finish first */
		hosts_table_free(old);
	}
	if (report) {
		snprintf(msg, sizeof(msg), "%zu names from %zu of %zu files", hosts_table_names(t), n,
		         h->n);
		report(ctx, false, msg);
	}
	return 1;
}

void hosts_files_release(struct hosts_files *h)
{
	size_t i;

	hosts_table_free(rcu_xchg_pointer(&h->slot.current, NULL));
	for (i = 0; i < h->n; i++)
		free(h->files[i].text);
	free(h->files);
	h->files = NULL;
	h->n = 0;
}

/* Reads f when it changed (mtime or size). Returns 1 when its text is
   new, 0 when unchanged or unreadable (its last text stays; said once),
   -1 on allocation failure. */
static int read_file(struct hosts_file *f, hosts_report_fn report, void *ctx)
{
	struct stat st;
	char *text, msg[600];
	size_t len = 0;
	const char *why = NULL;
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	if (why)
		goto unreadable;
	if (f->text && st.st_size == f->size && st.st_mtim.tv_sec == f->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == f->mtime.tv_nsec) {
		close(fd);
		f->unreadable = false;
		return 0;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		close(fd);
		return -1;
	}
	/* Up to the size stat saw: a file being written is read again when
	   its size or mtime moves on. */
	while (len < (size_t)st.st_size) {
		ssize_t got = read(fd, text + len, (size_t)st.st_size - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			why = strerror(errno);
			free(text);
			goto unreadable;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	free(f->text);
	f->text = text;
	f->len = len;
	f->mtime = st.st_mtim;
	f->size = st.st_size;
	f->unreadable = false;
	return 1;

unreadable:
	if (!f->unreadable && report) {
		snprintf(msg, sizeof(msg), "%s: %s; %s", f->path, why,
		         f->text ? "serving its last contents" : "nothing served from it");
		report(ctx, true, msg);
	}
	if (fd >= 0)
		close(fd);
	f->unreadable = true;
	return 0;
}
