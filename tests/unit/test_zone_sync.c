/* test_zone_sync.c - the incremental answer table (zone_sync) against the
 * table built from scratch (records_build + answer_table_build) after
 * every apply: random changes from a small universe where services share
 * addresses, change type in place and point at each other, and a few
 * pinned transitions. Answers are compared as sets of records per section
 * (ldns), since an RRset's order may differ between the two; negative
 * answers by their SOA. Every name that ever existed is asked again and
 * again, so that leftovers in the incremental table show. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <ldns/ldns.h>
#include <urcu.h>

#include "answer_build.h"
#include "answer_lookup.h"
#include "answer_table.h"
#include "reply.h"
#include "dname.h"
#include "kube_json.h"
#include "kube_object.h"
#include "records.h"
#include "svc_cache.h"
#include "zone_sync.h"
#include "cache_fixture.h"

/* Each reference table costs ~10 ms to free (answer_table_free waits for
   liburcu's call_rcu thread, which sleeps 10 ms per wake-up): 5 x 25
   rounds keep the test under 2 s. ZONE_SYNC_SEEDS=n runs n seeds instead
   (seeds 1..n), for a longer hunt. */
#define N_SEEDS 5
#define N_ROUNDS 25

/* ---- the state of one run ---------------------------------------------- */

/* Every address the changes use: the reverse names of all are asked. */
static const char *const pool_ips[] = {
	"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", /* cluster IPs */
	"10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4", /* endpoints (and 10.0.0.1) */
	"fd00::1",  "fd00::2",                          /* v6 cluster IPs, endpoints */
};
#define N_POOL (sizeof(pool_ips) / sizeof(pool_ips[0]))

static const uint16_t qtypes[] = {RR_TYPE_A,   RR_TYPE_AAAA,  RR_TYPE_SRV, RR_TYPE_PTR,
                                  RR_TYPE_TXT, RR_TYPE_CNAME, RR_TYPE_ANY};
#define N_QTYPES (sizeof(qtypes) / sizeof(qtypes[0]))

struct wname {
	uint8_t len;
	uint8_t w[DNAME_MAX];
};

struct run {
	struct records_config cfg;
	struct svc_cache *cache;
	struct zone_sync *z;
	uint32_t serial;
	uint32_t rng;
	/* for failure messages */
	const char *what;
	unsigned seed, round;
	/* every name any reference set ever had, and the pool's reverse names */
	struct wname *names;
	size_t n_names, cap_names;
};

static void names_add(struct run *r, const uint8_t *w, size_t len)
{
	size_t i;

	for (i = 0; i < r->n_names; i++)
		if (r->names[i].len == len && memcmp(r->names[i].w, w, len) == 0)
			return;
	if (r->n_names == r->cap_names) {
		size_t cap = r->cap_names ? r->cap_names * 2 : 64;
		struct wname *grown = realloc(r->names, cap * sizeof(*grown));
		assert_non_null(grown);
		r->names = grown;
		r->cap_names = cap;
	}
	r->names[r->n_names].len = (uint8_t)len;
	memcpy(r->names[r->n_names].w, w, len);
	r->n_names++;
}

static void run_init(struct run *r, const char *what, unsigned seed)
{
	char err[256] = "";
	size_t i;

	memset(r, 0, sizeof(*r));
	cluster_config(&r->cfg);
	r->what = what;
	r->seed = seed;
	r->rng = seed * 2654435761u + 0x9E3779B9u;
	if (!r->rng)
		r->rng = 1;
	r->cache = svc_cache_new();
	assert_non_null(r->cache);
	r->z = zone_sync_new(&r->cfg, err, sizeof(err));
	if (!r->z)
		fail_msg("zone_sync_new: %s", err);
	for (i = 0; i < N_POOL; i++) {
		struct kube_ip ip;
		uint8_t w[DNAME_MAX];
		assert_int_equal(kube_ip_parse(pool_ips[i], &ip), 0);
		names_add(r, w, dname_reverse(&ip, w));
	}
}

static void run_free(struct run *r)
{
	zone_sync_free(r->z);
	svc_cache_free(r->cache);
	free(r->names);
}

static uint32_t rnd(struct run *r)
{
	uint32_t x = r->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return r->rng = x;
}

static unsigned pick(struct run *r, unsigned n)
{
	return rnd(r) % n;
}

/* ---- one answer, copied out of the read-side section ------------------- */

#define MSG_MAX (12 + DNAME_MAX + 4 + 65536)

struct snap {
	enum answer_status status;
	bool chase;
	uint16_t an, ns, ar;
	/* ANSWER_FOUND: a whole reply (header, question, body copied with the
	   pointer shift), so ldns can decompress it */
	uint8_t msg[MSG_MAX];
	size_t msg_len;
	/* NODATA/NXDOMAIN */
	uint8_t soa[1024];
	uint16_t soa_len;
	uint8_t apex[DNAME_MAX];
	uint8_t apex_len;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Looks name up in t and copies what the lookup says into s. Nothing here
   may fail a test: cmocka's longjmp would leave the read-side section
   open and the next synchronize_rcu waiting for ever. */
static void snap_lookup(const struct answer_table *t, const uint8_t *name, size_t len,
                        uint16_t qtype, struct snap *s)
{
	static struct answer_ref ref;
	size_t pos;

	memset(&ref, 0xAB, sizeof(ref));
	s->msg_len = 0;
	s->soa_len = 0;
	s->apex_len = 0;
	s->an = s->ns = s->ar = 0;
	s->chase = false;
	rcu_read_lock();
	answer_lookup(t, name, len, qtype, &ref);
	s->status = ref.status;
	if (ref.status == ANSWER_FOUND) {
		size_t n = (size_t)ref.body.an + ref.body.ns + ref.body.ar;
		s->an = ref.body.an;
		s->ns = ref.body.ns;
		s->ar = ref.body.ar;
		s->chase = ref.chase;
		memset(s->msg, 0, 12);
		put16(s->msg + 2, 0x8400); /* QR AA */
		put16(s->msg + 4, 1);
		put16(s->msg + 6, ref.body.an);
		put16(s->msg + 8, ref.body.ns);
		put16(s->msg + 10, ref.body.ar);
		memcpy(s->msg + 12, name, len);
		pos = 12 + len;
		put16(s->msg + pos, qtype);
		put16(s->msg + pos + 2, 1);
		pos += 4;
		if (ref.body.len <= MSG_MAX - pos &&
		    (n == 0 || ref.body.ends[n - 1] == ref.body.len))
			pos += reply_body_copy(&ref.body, n, ref.pointer_shift, ref.question_moves,
			                        s->msg + pos);
		else
			pos = 0; /* reported as unparsable */
		s->msg_len = pos;
	} else if (ref.status == ANSWER_NODATA || ref.status == ANSWER_NXDOMAIN) {
		s->soa_len = ref.soa_len <= sizeof(s->soa) ? ref.soa_len : 0;
		memcpy(s->soa, ref.soa, s->soa_len);
		s->apex_len = ref.apex_len;
		memcpy(s->apex, ref.apex, ref.apex_len);
	}
	rcu_read_unlock();
}

static const char *status_name(enum answer_status s)
{
	switch (s) {
	case ANSWER_FOUND:
		return "FOUND";
	case ANSWER_NODATA:
		return "NODATA";
	case ANSWER_NXDOMAIN:
		return "NXDOMAIN";
	case ANSWER_POD:
		return "POD";
	case ANSWER_OUTSIDE:
		return "OUTSIDE";
	}
	return "?";
}

static const char *qtype_name(uint16_t qtype)
{
	static char buf[16];

	switch (qtype) {
	case RR_TYPE_A:
		return "A";
	case RR_TYPE_AAAA:
		return "AAAA";
	case RR_TYPE_SRV:
		return "SRV";
	case RR_TYPE_PTR:
		return "PTR";
	case RR_TYPE_TXT:
		return "TXT";
	case RR_TYPE_CNAME:
		return "CNAME";
	case RR_TYPE_ANY:
		return "ANY";
	default:
		snprintf(buf, sizeof(buf), "TYPE%u", qtype);
		return buf;
	}
}

/* The records of one section as sorted text lines. */
struct lines {
	char **s;
	size_t n;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void lines_of(const ldns_rr_list *l, struct lines *out)
{
	size_t i, n = l ? ldns_rr_list_rr_count(l) : 0;

	out->n = n;
	out->s = calloc(n ? n : 1, sizeof(char *));
	assert_non_null(out->s);
	for (i = 0; i < n; i++) {
		char *t = ldns_rr2str(ldns_rr_list_rr(l, i));
		size_t k;
		assert_non_null(t);
		for (k = strlen(t); k > 0 && (t[k - 1] == '\n' || t[k - 1] == ' '); k--)
			t[k - 1] = '\0';
		out->s[i] = t;
	}
	qsort(out->s, n, sizeof(char *), cmp_str);
}

static void lines_free(struct lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		LDNS_FREE(l->s[i]);
	free(l->s);
}

static void append(char *buf, size_t cap, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= cap)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, cap - used, fmt, ap);
	va_end(ap);
}

/* Compares two FOUND replies as sets of records per section. Returns NULL
   when they agree, else a description (static buffer). */
static const char *compare_found(const struct snap *inc, const struct snap *ref)
{
	static char why[8192];
	ldns_pkt *pi = NULL, *pr = NULL;
	ldns_rr_list *(*sect[3])(const ldns_pkt *) = {ldns_pkt_answer, ldns_pkt_authority,
	                                              ldns_pkt_additional};
	static const char *const sect_name[3] = {"answer", "authority", "additional"};
	int k;
	bool differ = false;

	why[0] = '\0';
	if (inc->msg_len == ref->msg_len && memcmp(inc->msg, ref->msg, inc->msg_len) == 0 &&
	    inc->msg_len)
		return NULL; /* same bytes: same records in the same order */
	if (!inc->msg_len || ldns_wire2pkt(&pi, inc->msg, inc->msg_len) != LDNS_STATUS_OK) {
		snprintf(why, sizeof(why), "incremental answer does not parse (%zu bytes)",
		         inc->msg_len);
		return why;
	}
	if (!ref->msg_len || ldns_wire2pkt(&pr, ref->msg, ref->msg_len) != LDNS_STATUS_OK) {
		ldns_pkt_free(pi);
		snprintf(why, sizeof(why), "reference answer does not parse (%zu bytes)",
		         ref->msg_len);
		return why;
	}
	for (k = 0; k < 3; k++) {
		struct lines li, lr;
		size_t i;
		lines_of(sect[k](pi), &li);
		lines_of(sect[k](pr), &lr);
		if (li.n != lr.n)
			differ = true;
		for (i = 0; !differ && i < li.n; i++)
			if (strcmp(li.s[i], lr.s[i]) != 0)
				differ = true;
		append(why, sizeof(why), "\n  %s, incremental (%zu):", sect_name[k], li.n);
		for (i = 0; i < li.n; i++)
			append(why, sizeof(why), "\n    %s", li.s[i]);
		append(why, sizeof(why), "\n  %s, reference (%zu):", sect_name[k], lr.n);
		for (i = 0; i < lr.n; i++)
			append(why, sizeof(why), "\n    %s", lr.s[i]);
		lines_free(&li);
		lines_free(&lr);
	}
	ldns_pkt_free(pi);
	ldns_pkt_free(pr);
	return differ ? why : NULL;
}

static void name_text(const uint8_t *w, size_t len, char *out, size_t cap)
{
	if (dname_to_text(w, len, out, cap) != 0)
		snprintf(out, cap, "(unprintable name)");
}

/* inc must answer name/qtype as ref does. */
static void compare_one(const struct run *r, const struct answer_table *inc,
                        const struct answer_table *ref, const uint8_t *name, size_t len,
                        uint16_t qtype)
{
	static struct snap si, sr;
	char text[DNAME_MAX * 4 + 2];
	const char *why = NULL;
	char buf[256];

	snap_lookup(inc, name, len, qtype, &si);
	snap_lookup(ref, name, len, qtype, &sr);
	buf[0] = '\0';
	if (si.status != sr.status) {
		snprintf(buf, sizeof(buf), "status %s, reference %s", status_name(si.status),
		         status_name(sr.status));
		why = buf;
	} else if (si.status == ANSWER_FOUND) {
		if (si.chase != sr.chase) {
			snprintf(buf, sizeof(buf), "chase %d, reference %d", si.chase, sr.chase);
			why = buf;
		} else {
			why = compare_found(&si, &sr);
		}
	} else if (si.status == ANSWER_NODATA || si.status == ANSWER_NXDOMAIN) {
		if (si.soa_len != sr.soa_len || memcmp(si.soa, sr.soa, si.soa_len) != 0 ||
		    si.apex_len != sr.apex_len || memcmp(si.apex, sr.apex, si.apex_len) != 0) {
			snprintf(buf, sizeof(buf), "negative answer's SOA differs (%u bytes, "
			         "reference %u)", si.soa_len, sr.soa_len);
			why = buf;
		}
	}
	if (why) {
		name_text(name, len, text, sizeof(text));
		fail_msg("%s seed %u round %u (serial %u): %s %s: %s", r->what, r->seed, r->round,
		         r->serial, text, qtype_name(qtype), why);
	}
}

/* name with its first two labels' leading '_' taken off (the SRV alias
   form _port._proto answers as port.proto too). */
static size_t without_underscores(const uint8_t *name, size_t len, uint8_t *out)
{
	size_t l1 = name[0], l2;

	if (len < 4 || l1 < 2 || name[1] != '_' || 1 + l1 >= len)
		return 0;
	l2 = name[1 + l1];
	if (l2 < 2 || name[2 + l1] != '_')
		return 0;
	out[0] = (uint8_t)(l1 - 1);
	memcpy(out + 1, name + 2, l1 - 1);
	out[l1] = (uint8_t)(l2 - 1);
	memcpy(out + l1 + 1, name + l1 + 3, l2 - 1);
	memcpy(out + l1 + l2, name + 2 + l1 + l2, len - 2 - l1 - l2);
	return len - 2;
}

/* Applies the cache's changes, builds the reference from scratch and
   compares the two tables on every name seen so far. */
static void sync_and_check(struct run *r)
{
	char err[256] = "";
	struct records_set *set;
	struct answer_table *ref;
	long done;
	size_t i, k;

	r->serial++;
	done = zone_sync_apply(r->z, r->cache, r->serial, err, sizeof(err));
	if (done < 0)
		fail_msg("%s seed %u round %u: zone_sync_apply: %s", r->what, r->seed, r->round,
		         err);
	set = records_build(r->cache, &r->cfg, r->serial, err, sizeof(err));
	if (!set)
		fail_msg("records_build: %s", err);
	ref = answer_build_table(set, false, err, sizeof(err));
	if (!ref) {
		records_set_free(set);
		fail_msg("answer_table_build: %s", err);
	}
	for (i = 0; i < records_name_count(set); i++) {
		const struct records_name *n = records_name_at(set, i);
		uint8_t alias[DNAME_MAX];
		size_t alen = without_underscores(n->owner, n->owner_len, alias);
		names_add(r, n->owner, n->owner_len);
		if (alen)
			names_add(r, alias, alen);
	}
	records_set_free(set);
	for (i = 0; i < r->n_names; i++)
		for (k = 0; k < N_QTYPES; k++)
			compare_one(r, zone_sync_table(r->z), ref, r->names[i].w, r->names[i].len,
			            qtypes[k]);
	answer_table_free(ref);
}

/* ---- changes ------------------------------------------------------------ */

static void apply_json(struct run *r, const char *json)
{
	char err[256] = "";

	if (kube_json_parse_document(json, strlen(json), cache_put_cb, r->cache, err,
	                             sizeof(err)) != 0)
		fail_msg("%s: %s", json, err);
}

static const char *const namespaces[] = {"a", "b"};
#define N_NS 2
#define N_SVC 6

static void ports_json(struct run *r, char *buf, size_t cap)
{
	static const char *const variants[] = {
		"{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\"}",
		"{\"name\":\"http\",\"port\":80,\"protocol\":\"UDP\"}",
		"{\"name\":\"metrics\",\"port\":9090,\"protocol\":\"TCP\"}",
		"{\"name\":\"metrics\",\"port\":9090,\"protocol\":\"UDP\"}",
	};
	unsigned n = pick(r, 3), first = pick(r, 4), second = (first + 1 + pick(r, 3)) % 4;

	buf[0] = '\0';
	append(buf, cap, "\"ports\":[");
	if (n == 1 && pick(r, 6) == 0)
		append(buf, cap, "{\"port\":8080}"); /* one port may be unnamed */
	else if (n >= 1)
		append(buf, cap, "%s", variants[first]);
	if (n == 2)
		append(buf, cap, ",%s", variants[second]);
	append(buf, cap, "]");
}

/* A Service ns/name of kind 0 ClusterIP, 1 dual-stack, 2 headless,
   3 ExternalName. */
static void put_service(struct run *r, const char *ns, const char *name, unsigned kind)
{
	char json[1024], ports[300], spec[400];
	unsigned v4 = 1 + pick(r, 4), v6 = 1 + pick(r, 2);

	ports_json(r, ports, sizeof(ports));
	switch (kind) {
	case 0:
		snprintf(spec, sizeof(spec), "\"clusterIP\":\"10.0.0.%u\"", v4);
		break;
	case 1:
		snprintf(spec, sizeof(spec),
		         "\"clusterIP\":\"10.0.0.%u\",\"clusterIPs\":[\"10.0.0.%u\",\"fd00::%u\"]",
		         v4, v4, v6);
		break;
	case 2:
		snprintf(spec, sizeof(spec), "\"clusterIP\":\"None\"%s",
		         pick(r, 5) == 0 ? ",\"publishNotReadyAddresses\":true" : "");
		break;
	default:
		if (pick(r, 3) == 0)
			snprintf(spec, sizeof(spec),
			         "\"type\":\"ExternalName\",\"externalName\":\"www.example.com\"");
		else
			snprintf(spec, sizeof(spec),
			         "\"type\":\"ExternalName\","
			         "\"externalName\":\"s%u.%s.svc.cluster.local\"",
			         pick(r, N_SVC), namespaces[pick(r, N_NS)]);
		break;
	}
	snprintf(json, sizeof(json),
	         "{\"kind\":\"Service\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\"},"
	         "\"spec\":{%s,%s}}",
	         name, ns, spec, ports);
	apply_json(r, json);
}

/* EndpointSlice <svc>-<idx> of service ns/svc: 1-3 endpoints. */
static void put_slice(struct run *r, const char *ns, const char *svc, unsigned idx)
{
	static const char *const v4[] = {"10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4",
	                                 "10.0.0.1"};
	static const char *const v6[] = {"fd00::1", "fd00::2"};
	char json[2048], ports[300];
	bool six = pick(r, 4) == 0;
	unsigned n = 1 + pick(r, 3), i;

	json[0] = '\0';
	append(json, sizeof(json),
	       "{\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"%s-%u\",\"namespace\":\"%s\","
	       "\"labels\":{\"kubernetes.io/service-name\":\"%s\"}},\"addressType\":\"%s\","
	       "\"endpoints\":[",
	       svc, idx, ns, svc, six ? "IPv6" : "IPv4");
	for (i = 0; i < n; i++) {
		const char *addr = six ? v6[pick(r, 2)] : v4[pick(r, 5)];
		unsigned host = pick(r, 4);
		append(json, sizeof(json), "%s{\"addresses\":[\"%s\"]", i ? "," : "", addr);
		if (host < 2)
			append(json, sizeof(json), ",\"hostname\":\"h%u\"", host);
		if (pick(r, 4) == 0)
			append(json, sizeof(json), ",\"conditions\":{\"ready\":false}");
		append(json, sizeof(json), "}");
	}
	ports_json(r, ports, sizeof(ports));
	append(json, sizeof(json), "],%s}", ports);
	apply_json(r, json);
}

static void random_change(struct run *r)
{
	const char *ns = namespaces[pick(r, N_NS)];
	char name[8], slice[16];
	unsigned what = pick(r, 100), kind;
	const struct kube_object *old;

	snprintf(name, sizeof(name), "s%u", pick(r, N_SVC));
	if (what < 33) {
		put_service(r, ns, name, pick(r, 4));
	} else if (what < 55) {
		put_slice(r, ns, name, pick(r, 2));
	} else if (what < 67) {
		svc_cache_remove(r->cache, KUBE_KIND_SERVICE, ns, name);
	} else if (what < 79) {
		snprintf(slice, sizeof(slice), "%s-%u", name, pick(r, 2));
		svc_cache_remove(r->cache, KUBE_KIND_ENDPOINTSLICE, ns, slice);
	} else if (what < 95) {
		/* a service changes type in place */
		old = svc_cache_get(r->cache, KUBE_KIND_SERVICE, ns, name);
		kind = pick(r, 4);
		if (old) {
			unsigned was = old->u.svc.type == KUBE_SVC_HEADLESS ? 2
			               : old->u.svc.type == KUBE_SVC_EXTERNAL_NAME
			                       ? 3
			                       : old->u.svc.n_cluster_ips > 1 ? 1 : 0;
			if (kind == was)
				kind = (kind + 1 + pick(r, 3)) % 4;
		}
		put_service(r, ns, name, kind);
	} else {
		/* a Namespace object comes or goes */
		const char *nsn = pick(r, 2) ? "b" : "c";
		if (pick(r, 2)) {
			char json[200];
			snprintf(json, sizeof(json),
			         "{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}", nsn);
			apply_json(r, json);
		} else {
			svc_cache_remove(r->cache, KUBE_KIND_NAMESPACE, "", nsn);
		}
	}
}

static void test_random(void **state)
{
	static struct run r;
	unsigned seed, round, i, n, seeds = N_SEEDS;
	const char *env = getenv("ZONE_SYNC_SEEDS");
	(void)state;

	if (env && atoi(env) > 0)
		seeds = (unsigned)atoi(env);
	for (seed = 1; seed <= seeds; seed++) {
		run_init(&r, "random", seed);
		for (round = 0; round < N_ROUNDS; round++) {
			r.round = round;
			n = 1 + pick(&r, 4);
			for (i = 0; i < n; i++)
				random_change(&r);
			sync_and_check(&r);
		}
		run_free(&r);
	}
}

/* ---- pinned transitions ------------------------------------------------- */

/* The targets of the PTR answer of ip in t, sorted, joined by spaces
   ("" when not FOUND); status in *status. */
static void ptr_targets(const struct answer_table *t, const char *ip_text,
                        enum answer_status *status, char *out, size_t cap)
{
	static struct snap s;
	struct kube_ip ip;
	uint8_t w[DNAME_MAX];
	size_t len, i;
	ldns_pkt *p = NULL;
	struct lines l;

	assert_int_equal(kube_ip_parse(ip_text, &ip), 0);
	len = dname_reverse(&ip, w);
	snap_lookup(t, w, len, RR_TYPE_PTR, &s);
	*status = s.status;
	out[0] = '\0';
	if (s.status != ANSWER_FOUND)
		return;
	assert_int_equal(ldns_wire2pkt(&p, s.msg, s.msg_len), LDNS_STATUS_OK);
	l.n = ldns_rr_list_rr_count(ldns_pkt_answer(p));
	l.s = calloc(l.n ? l.n : 1, sizeof(char *));
	assert_non_null(l.s);
	for (i = 0; i < l.n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(p), i);
		assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_PTR);
		l.s[i] = ldns_rdf2str(ldns_rr_rdf(rr, 0));
		assert_non_null(l.s[i]);
	}
	qsort(l.s, l.n, sizeof(char *), cmp_str);
	for (i = 0; i < l.n; i++)
		append(out, cap, "%s%s", i ? " " : "", l.s[i]);
	lines_free(&l);
	ldns_pkt_free(p);
}

static void expect_ptr(const struct run *r, const char *ip, const char *targets)
{
	char got[1024];
	enum answer_status st;

	ptr_targets(zone_sync_table(r->z), ip, &st, got, sizeof(got));
	if (st != ANSWER_FOUND)
		fail_msg("%s: PTR of %s: status %s, expected %s", r->what, ip, status_name(st),
		         targets);
	if (strcmp(got, targets) != 0)
		fail_msg("%s: PTR of %s: \"%s\", expected \"%s\"", r->what, ip, got, targets);
}

/* A reverse name no service has: not ours to answer. The table answers
   unknown in-addr.arpa/ip6.arpa names OUTSIDE (forwarded upstream, as
   CoreDNS's fallthrough), never NXDOMAIN. */
static void expect_no_ptr(const struct run *r, const char *ip)
{
	char got[1024];
	enum answer_status st;

	ptr_targets(zone_sync_table(r->z), ip, &st, got, sizeof(got));
	if (st != ANSWER_OUTSIDE)
		fail_msg("%s: PTR of %s: status %s (%s), expected OUTSIDE", r->what, ip,
		         status_name(st), got);
}

#define SVC_JSON(ns, name, spec)                                                        \
	"{\"kind\":\"Service\",\"metadata\":{\"name\":\"" name "\",\"namespace\":\"" ns   \
	"\"},\"spec\":{" spec ",\"ports\":[{\"name\":\"http\",\"port\":80}]}}"

/* (a) Two services share 10.0.0.1; one goes; the other moves to 10.0.0.2. */
static void test_shared_ptr(void **state)
{
	static struct run r;
	(void)state;

	run_init(&r, "shared_ptr", 0);
	apply_json(&r, SVC_JSON("a", "s0", "\"clusterIP\":\"10.0.0.1\""));
	apply_json(&r, SVC_JSON("a", "s1", "\"clusterIP\":\"10.0.0.1\""));
	sync_and_check(&r);
	expect_ptr(&r, "10.0.0.1", "s0.a.svc.cluster.local. s1.a.svc.cluster.local.");

	r.round = 1;
	assert_int_equal(svc_cache_remove(r.cache, KUBE_KIND_SERVICE, "a", "s0"), 1);
	sync_and_check(&r);
	expect_ptr(&r, "10.0.0.1", "s1.a.svc.cluster.local.");

	r.round = 2;
	apply_json(&r, SVC_JSON("a", "s1", "\"clusterIP\":\"10.0.0.2\""));
	sync_and_check(&r);
	expect_no_ptr(&r, "10.0.0.1");
	expect_ptr(&r, "10.0.0.2", "s1.a.svc.cluster.local.");

	/* The same in one apply, the other way round: s0 and s1 share again,
	   then s1 goes while s0 moves. */
	r.round = 3;
	apply_json(&r, SVC_JSON("a", "s0", "\"clusterIP\":\"10.0.0.2\""));
	sync_and_check(&r);
	expect_ptr(&r, "10.0.0.2", "s0.a.svc.cluster.local. s1.a.svc.cluster.local.");
	r.round = 4;
	assert_int_equal(svc_cache_remove(r.cache, KUBE_KIND_SERVICE, "a", "s1"), 1);
	apply_json(&r, SVC_JSON("a", "s0", "\"clusterIP\":\"10.0.0.3\""));
	sync_and_check(&r);
	expect_no_ptr(&r, "10.0.0.1");
	expect_no_ptr(&r, "10.0.0.2");
	expect_ptr(&r, "10.0.0.3", "s0.a.svc.cluster.local.");
	run_free(&r);
}

/* (b) A ClusterIP service becomes headless (same name) and back. */
static void test_clusterip_headless(void **state)
{
	static struct run r;
	(void)state;

	run_init(&r, "clusterip_headless", 0);
	apply_json(&r, SVC_JSON("a", "s0", "\"clusterIP\":\"10.0.0.3\""));
	sync_and_check(&r);
	expect_ptr(&r, "10.0.0.3", "s0.a.svc.cluster.local.");
	expect_no_ptr(&r, "10.1.0.1");

	r.round = 1;
	apply_json(&r, SVC_JSON("a", "s0", "\"clusterIP\":\"None\""));
	apply_json(&r, "{\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"s0-0\","
	               "\"namespace\":\"a\",\"labels\":{\"kubernetes.io/service-name\":\"s0\"}},"
	               "\"addressType\":\"IPv4\",\"endpoints\":["
	               "{\"addresses\":[\"10.1.0.1\"],\"hostname\":\"h0\"},"
	               "{\"addresses\":[\"10.1.0.2\"]}],"
	               "\"ports\":[{\"name\":\"http\",\"port\":80}]}");
	sync_and_check(&r);
	expect_no_ptr(&r, "10.0.0.3");
	expect_ptr(&r, "10.1.0.1", "h0.s0.a.svc.cluster.local.");
	expect_ptr(&r, "10.1.0.2", "10-1-0-2.s0.a.svc.cluster.local.");

	/* Back to ClusterIP: its endpoints keep their names (CoreDNS does
	   that for ClusterIP services too), the cluster IP its PTR. */
	r.round = 2;
	apply_json(&r, SVC_JSON("a", "s0", "\"clusterIP\":\"10.0.0.3\""));
	sync_and_check(&r);
	expect_ptr(&r, "10.0.0.3", "s0.a.svc.cluster.local.");
	expect_ptr(&r, "10.1.0.1", "h0.s0.a.svc.cluster.local.");

	/* And without the slice, a ClusterIP service alone. */
	r.round = 3;
	assert_int_equal(svc_cache_remove(r.cache, KUBE_KIND_ENDPOINTSLICE, "a", "s0-0"), 1);
	sync_and_check(&r);
	expect_ptr(&r, "10.0.0.3", "s0.a.svc.cluster.local.");
	expect_no_ptr(&r, "10.1.0.1");
	expect_no_ptr(&r, "10.1.0.2");

	/* headless again, then ClusterIP in the same apply as the slice goes */
	r.round = 4;
	apply_json(&r, SVC_JSON("a", "s0", "\"clusterIP\":\"None\""));
	apply_json(&r, "{\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"s0-0\","
	               "\"namespace\":\"a\",\"labels\":{\"kubernetes.io/service-name\":\"s0\"}},"
	               "\"addressType\":\"IPv4\",\"endpoints\":["
	               "{\"addresses\":[\"10.0.0.3\"],\"hostname\":\"h1\"}],"
	               "\"ports\":[{\"name\":\"http\",\"port\":80}]}");
	sync_and_check(&r);
	expect_ptr(&r, "10.0.0.3", "h1.s0.a.svc.cluster.local.");
	r.round = 5;
	apply_json(&r, SVC_JSON("a", "s0", "\"clusterIP\":\"10.0.0.3\""));
	assert_int_equal(svc_cache_remove(r.cache, KUBE_KIND_ENDPOINTSLICE, "a", "s0-0"), 1);
	sync_and_check(&r);
	expect_ptr(&r, "10.0.0.3", "s0.a.svc.cluster.local.");
	run_free(&r);
}

#define DUAL(v4, v6) "\"clusterIP\":\"" v4 "\",\"clusterIPs\":[\"" v4 "\",\"" v6 "\"]"

/* (c) A dual-stack service's IPv6 address changes. */
static void test_dual_stack_v6_change(void **state)
{
	static struct run r;
	(void)state;

	run_init(&r, "dual_stack_v6", 0);
	apply_json(&r, SVC_JSON("a", "s2", DUAL("10.0.0.4", "fd00::1")));
	sync_and_check(&r);
	expect_ptr(&r, "10.0.0.4", "s2.a.svc.cluster.local.");
	expect_ptr(&r, "fd00::1", "s2.a.svc.cluster.local.");

	r.round = 1;
	apply_json(&r, SVC_JSON("a", "s2", DUAL("10.0.0.4", "fd00::2")));
	sync_and_check(&r);
	expect_ptr(&r, "10.0.0.4", "s2.a.svc.cluster.local.");
	expect_no_ptr(&r, "fd00::1");
	expect_ptr(&r, "fd00::2", "s2.a.svc.cluster.local.");

	/* shared with another dual-stack service, then moved back */
	r.round = 2;
	apply_json(&r, SVC_JSON("b", "s3", DUAL("10.0.0.1", "fd00::2")));
	sync_and_check(&r);
	expect_ptr(&r, "fd00::2", "s2.a.svc.cluster.local. s3.b.svc.cluster.local.");
	r.round = 3;
	apply_json(&r, SVC_JSON("a", "s2", DUAL("10.0.0.4", "fd00::1")));
	sync_and_check(&r);
	expect_ptr(&r, "fd00::1", "s2.a.svc.cluster.local.");
	expect_ptr(&r, "fd00::2", "s3.b.svc.cluster.local.");
	expect_ptr(&r, "10.0.0.1", "s3.b.svc.cluster.local.");
	run_free(&r);
}

/* (d) What zone_sync keeps besides the table: nothing for a service that
   its node describes (a ClusterIP service, with or without endpoints; a
   headless one with hostnames), a record for the others. */
static void test_kept(void **state)
{
	static struct run r;
	(void)state;

	run_init(&r, "kept", 0);
	apply_json(&r, SVC_JSON("a", "s0", "\"clusterIP\":\"10.0.0.5\""));
	apply_json(&r, SVC_JSON("a", "s1", "\"clusterIP\":\"None\""));
	apply_json(&r, "{\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"s1-0\","
	               "\"namespace\":\"a\",\"labels\":{\"kubernetes.io/service-name\":\"s1\"}},"
	               "\"addressType\":\"IPv4\",\"endpoints\":["
	               "{\"addresses\":[\"10.1.0.1\"],\"hostname\":\"h0\"},"
	               "{\"addresses\":[\"10.1.0.2\"],\"hostname\":\"h1\"}],"
	               "\"ports\":[{\"name\":\"http\",\"port\":80}]}");
	sync_and_check(&r);
	assert_int_equal(zone_sync_kept(r.z), 0);

	/* An ExternalName service's CNAME is kept (its target is a
	   dependency); so is a headless service whose endpoints share an
	   address (that PTR has two targets: no link answers it). */
	r.round = 1;
	apply_json(&r, "{\"kind\":\"Service\",\"metadata\":{\"name\":\"x\","
	               "\"namespace\":\"a\"},\"spec\":{\"type\":\"ExternalName\","
	               "\"externalName\":\"s0.a.svc.cluster.local\"}}");
	apply_json(&r, "{\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"s1-0\","
	               "\"namespace\":\"a\",\"labels\":{\"kubernetes.io/service-name\":\"s1\"}},"
	               "\"addressType\":\"IPv4\",\"endpoints\":["
	               "{\"addresses\":[\"10.1.0.1\"],\"hostname\":\"h0\"},"
	               "{\"addresses\":[\"10.1.0.1\"],\"hostname\":\"h1\"}],"
	               "\"ports\":[{\"name\":\"http\",\"port\":80}]}");
	sync_and_check(&r);
	expect_ptr(&r, "10.1.0.1", "h0.s1.a.svc.cluster.local. h1.s1.a.svc.cluster.local.");
	assert_int_equal(zone_sync_kept(r.z), 2);

	/* Back to one address each: nothing kept again. */
	r.round = 2;
	assert_int_equal(svc_cache_remove(r.cache, KUBE_KIND_SERVICE, "a", "x"), 1);
	apply_json(&r, "{\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"s1-0\","
	               "\"namespace\":\"a\",\"labels\":{\"kubernetes.io/service-name\":\"s1\"}},"
	               "\"addressType\":\"IPv4\",\"endpoints\":["
	               "{\"addresses\":[\"10.1.0.1\"],\"hostname\":\"h0\"},"
	               "{\"addresses\":[\"10.1.0.3\"],\"hostname\":\"h1\"}],"
	               "\"ports\":[{\"name\":\"http\",\"port\":80}]}");
	sync_and_check(&r);
	expect_ptr(&r, "10.1.0.1", "h0.s1.a.svc.cluster.local.");
	assert_int_equal(zone_sync_kept(r.z), 0);
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_ptr),
		cmocka_unit_test(test_clusterip_headless),
		cmocka_unit_test(test_dual_stack_v6_change),
		cmocka_unit_test(test_kept),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
