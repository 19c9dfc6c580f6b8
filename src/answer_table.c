/* answer_table.c - every answer svcdns can give, encoded once when the data
 * changes. The query path hashes the lower-case name, finds the entry and
 * copies its bytes behind the client's own question. */
#include "answer_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <urcu.h>

#include "bytemap.h"
#include "dname.h"
#include "records.h"

#define QTYPE_ANY_NAME 0 /* entry key for "any other type" of a name */
#define MAX_CNAME_CHAIN 8
#define DICT_MAX 128
#define BODY_MAX 65535

enum entry_kind { ENTRY_ANSWER, ENTRY_NODATA };

struct entry {
	uint32_t hash;
	uint16_t qtype;
	uint8_t kind;     /* enum entry_kind */
	uint8_t zone;
	uint8_t name_len;
	uint16_t an, ns, ar;
	uint32_t name_off; /* in blob */
	uint32_t body_off; /* in blob */
	uint32_t body_len;
	uint32_t ends_off; /* in ends[] */
};

struct zone_info {
	uint8_t name[DNAME_MAX];
	uint8_t name_len;
	bool reverse;
	uint8_t soa[10 + 2 * DNAME_MAX + 20]; /* type..rdata, owner omitted */
	uint16_t soa_len;
	uint32_t ttl;
};

struct answer_table {
	struct entry *entries;
	size_t n_entries, cap_entries;
	uint32_t *index; /* entry number + 1; 0 empty */
	size_t index_mask;
	uint8_t *blob;
	size_t blob_len, blob_cap;
	uint16_t *ends;
	size_t n_ends, cap_ends;
	struct zone_info *zones;
	size_t n_zones;
	bool pods_insecure;
	uint32_t pod_ttl;
};

/* A message body being encoded, with its compression dictionary. */
struct encoder {
	uint8_t buf[BODY_MAX];
	size_t len;          /* bytes of body */
	size_t base;         /* message offset of body[0] */
	const uint8_t *qname;
	size_t qname_len;
	struct {
		uint16_t msg_off;      /* where this suffix starts in the message */
		const uint8_t *suffix; /* the uncompressed suffix it stands for */
		uint8_t len;
	} dict[DICT_MAX];
	size_t n_dict;
	uint16_t ends[BODY_MAX / 11];
	size_t n_recs;
	bool overflow;
	uint8_t names[BODY_MAX]; /* copies of names the dict points into */
	size_t names_len;
};

static int add_entry(struct answer_table *t, const uint8_t *name, size_t len,
                     uint16_t qtype, enum entry_kind kind, uint8_t zone,
                     const struct encoder *enc, uint16_t an, uint16_t ns,
                     uint16_t ar);
static int build_index(struct answer_table *t);
static int add_name_entries_for(struct answer_table *t, const struct records_set *set,
                                const struct records_name *name, struct encoder *enc);
static const struct entry *find(const struct answer_table *t, uint32_t name_hash,
                                const uint8_t *name, size_t len, uint16_t qtype);

static uint32_t mix(uint32_t name_hash, uint16_t qtype)
{
	uint32_t h = name_hash ^ ((uint32_t)qtype * 0x9e3779b1u);

	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h;
}

/* ---- encoder ----------------------------------------------------------- */

static void enc_init(struct encoder *e, const uint8_t *qname, size_t qlen)
{
	e->len = 0;
	e->base = 12 + qlen + 4;
	e->qname = qname;
	e->qname_len = qlen;
	e->n_dict = 0;
	e->n_recs = 0;
	e->overflow = false;
	e->names_len = 0;
	/* Owners equal to the question point at it (and so echo the client's
	   letter case, as CoreDNS does). Other names are not compressed against
	   the question's suffixes: targets keep the zone's own lower case,
	   whatever case the client used. */
	e->dict[0].msg_off = 12;
	e->dict[0].suffix = qname;
	e->dict[0].len = (uint8_t)qlen;
	e->n_dict = 1;
}

static void enc_bytes(struct encoder *e, const void *p, size_t n)
{
	if (e->overflow || e->len + n > sizeof(e->buf)) {
		e->overflow = true;
		return;
	}
	memcpy(e->buf + e->len, p, n);
	e->len += n;
}

static void enc_u16(struct encoder *e, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	enc_bytes(e, b, 2);
}

static void enc_u32(struct encoder *e, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
	                (uint8_t)v};
	enc_bytes(e, b, 4);
}

/* Writes name compressed against the question and earlier names. */
static void enc_name(struct encoder *e, const uint8_t *name, size_t len)
{
	size_t pos = 0;
	const uint8_t *copy;

	/* Remember the name so later records can point at its suffixes. */
	if (e->names_len + len <= sizeof(e->names)) {
		memcpy(e->names + e->names_len, name, len);
		copy = e->names + e->names_len;
		e->names_len += len;
	} else {
		copy = NULL;
	}
	while (pos < len && name[pos]) {
		size_t rest = len - pos, i;

		for (i = 0; i < e->n_dict; i++) {
			if (e->dict[i].len == rest &&
			    memcmp(e->dict[i].suffix, name + pos, rest) == 0) {
				enc_u16(e, (uint16_t)(0xC000 | e->dict[i].msg_off));
				return;
			}
		}
		if (copy && e->n_dict < DICT_MAX && e->base + e->len < 0x3FFF) {
			e->dict[e->n_dict].msg_off = (uint16_t)(e->base + e->len);
			e->dict[e->n_dict].suffix = copy + pos;
			e->dict[e->n_dict].len = (uint8_t)rest;
			e->n_dict++;
		}
		enc_bytes(e, name + pos, (size_t)name[pos] + 1);
		pos += (size_t)name[pos] + 1;
	}
	enc_bytes(e, "", 1);
}

static bool rdata_has_name(uint16_t type, size_t *name_at)
{
	switch (type) {
	case RR_TYPE_NS:
	case RR_TYPE_CNAME:
	case RR_TYPE_PTR:
		*name_at = 0;
		return true;
	case RR_TYPE_SRV:
		*name_at = 6;
		return true;
	default:
		return false;
	}
}

static void enc_record(struct encoder *e, const uint8_t *owner, size_t olen,
                       const struct record *r)
{
	size_t rdlen_at, name_at;

	enc_name(e, owner, olen);
	enc_u16(e, r->type);
	enc_u16(e, 1);
	enc_u32(e, r->ttl);
	rdlen_at = e->len;
	enc_u16(e, 0);
	if (rdata_has_name(r->type, &name_at)) {
		/* RFC 3597 allows compressing NS, CNAME, PTR; SRV targets are
		   compressed by every server we are compared with too. */
		enc_bytes(e, r->rdata, name_at);
		enc_name(e, r->rdata + name_at, r->rdlen - name_at);
	} else {
		enc_bytes(e, r->rdata, r->rdlen);
	}
	if (e->overflow)
		return;
	e->buf[rdlen_at] = (uint8_t)((e->len - rdlen_at - 2) >> 8);
	e->buf[rdlen_at + 1] = (uint8_t)(e->len - rdlen_at - 2);
	if (e->n_recs < sizeof(e->ends) / sizeof(e->ends[0]))
		e->ends[e->n_recs++] = (uint16_t)e->len;
	else
		e->overflow = true;
}

/* Writes the records of name with type; returns how many. */
static uint16_t enc_rrset(struct encoder *e, const struct records_name *name,
                          uint16_t type)
{
	uint16_t n = 0;
	uint32_t i;

	for (i = 0; i < name->n_records; i++) {
		if (name->records[i].type != type)
			continue;
		enc_record(e, name->owner, name->owner_len, &name->records[i]);
		n++;
	}
	return n;
}

/* Additional section: the addresses of names the answer points at. */
static uint16_t enc_glue(struct encoder *e, const struct records_set *set,
                         const struct records_name *name, uint16_t type)
{
	uint16_t n = 0;
	uint32_t i;
	size_t name_at;

	if (type != RR_TYPE_SRV && type != RR_TYPE_NS)
		return 0;
	for (i = 0; i < name->n_records; i++) {
		const struct record *r = &name->records[i];
		const struct records_name *target;
		uint32_t j;
		bool dup = false;

		if (r->type != type || !rdata_has_name(type, &name_at))
			continue;
		/* Each target once, even when several records name it. */
		for (j = 0; j < i; j++)
			if (name->records[j].type == type &&
			    name->records[j].rdlen == r->rdlen &&
			    memcmp(name->records[j].rdata + name_at, r->rdata + name_at,
			           r->rdlen - name_at) == 0)
				dup = true;
		if (dup)
			continue;
		target = records_find(set, r->rdata + name_at, r->rdlen - name_at);
		if (!target)
			continue;
		n = (uint16_t)(n + enc_rrset(e, target, RR_TYPE_A));
		n = (uint16_t)(n + enc_rrset(e, target, RR_TYPE_AAAA));
	}
	return n;
}

/* ---- build ------------------------------------------------------------- */

static bool has_type(const struct records_name *name, uint16_t type)
{
	uint32_t i;

	for (i = 0; i < name->n_records; i++)
		if (name->records[i].type == type)
			return true;
	return false;
}

static const struct record *first_of(const struct records_name *name, uint16_t type)
{
	uint32_t i;

	for (i = 0; i < name->n_records; i++)
		if (name->records[i].type == type)
			return &name->records[i];
	return NULL;
}

/* A CNAME name answers every type: the CNAME, then (for targets in our
   zones) the target's records of the asked type, following chains. */
static int add_cname_entries(struct answer_table *t, const struct records_set *set,
                             const struct records_name *name, struct encoder *enc)
{
	static const uint16_t types[] = {QTYPE_ANY_NAME, RR_TYPE_A, RR_TYPE_AAAA,
	                                 RR_TYPE_SRV, RR_TYPE_TXT, RR_TYPE_PTR};
	size_t k;

	for (k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
		const struct records_name *cur = name;
		uint16_t an = 0, hops;
		bool final_has = false;

		enc_init(enc, name->owner, name->owner_len);
		for (hops = 0; hops < MAX_CNAME_CHAIN; hops++) {
			const struct record *cn = first_of(cur, RR_TYPE_CNAME);
			if (!cn) {
				if (types[k] != QTYPE_ANY_NAME) {
					uint16_t got = enc_rrset(enc, cur, types[k]);
					an = (uint16_t)(an + got);
					final_has = got > 0;
				}
				break;
			}
			enc_record(enc, cur->owner, cur->owner_len, cn);
			an++;
			cur = records_find(set, cn->rdata, cn->rdlen);
			if (!cur)
				break;
		}
		/* Types the in-zone target lacks get the plain CNAME entry. */
		if (types[k] != QTYPE_ANY_NAME && !final_has)
			continue;
		if (enc->overflow)
			continue;
		if (add_entry(t, name->owner, name->owner_len, types[k], ENTRY_ANSWER,
		              name->zone, enc, an, 0, 0) < 0)
			return -1;
	}
	return 0;
}

/* CoreDNS also answers _port._proto names written without the
   underscores ("http.tcp.web.ns.svc.zone"). The variant gets entries of its
   own, encoded against its own question, so the hot path stays a lookup. */
static int add_srv_alias(struct answer_table *t, const struct records_set *set,
                         const struct records_name *name, struct encoder *enc)
{
	uint8_t owner[DNAME_MAX];
	struct records_name alias = *name;
	size_t l1 = name->owner[0], l2, at = 0;

	if (l1 < 2 || name->owner[1] != '_')
		return 0;
	l2 = name->owner[1 + l1];
	if (l2 < 2 || name->owner[2 + l1] != '_')
		return 0;
	owner[at++] = (uint8_t)(l1 - 1);
	memcpy(owner + at, name->owner + 2, l1 - 1);
	at += l1 - 1;
	owner[at++] = (uint8_t)(l2 - 1);
	memcpy(owner + at, name->owner + 1 + l1 + 2, l2 - 1);
	at += l2 - 1;
	memcpy(owner + at, name->owner + 2 + l1 + l2, name->owner_len - (2 + l1 + l2));
	at += name->owner_len - (2 + l1 + l2);
	alias.owner = owner;
	alias.owner_len = (uint8_t)at;
	return add_name_entries_for(t, set, &alias, enc);
}

static int add_name_entries(struct answer_table *t, const struct records_set *set,
                            const struct records_name *name, struct encoder *enc)
{
	if (add_name_entries_for(t, set, name, enc) < 0)
		return -1;
	if (name->n_records && name->records[0].type == RR_TYPE_SRV)
		return add_srv_alias(t, set, name, enc);
	return 0;
}

static int add_name_entries_for(struct answer_table *t, const struct records_set *set,
                                const struct records_name *name, struct encoder *enc)
{
	uint32_t i;

	if (has_type(name, RR_TYPE_CNAME))
		return add_cname_entries(t, set, name, enc);
	for (i = 0; i < name->n_records; i++) {
		uint16_t type = name->records[i].type, an, ar;

		if (i > 0 && name->records[i - 1].type == type)
			continue; /* one entry per RRset */
		enc_init(enc, name->owner, name->owner_len);
		an = enc_rrset(enc, name, type);
		ar = enc_glue(enc, set, name, type);
		if (enc->overflow) {
			/* Larger than any message: keep what fits in 64 KiB. */
			size_t keep = 0, n;
			for (n = 0; n < enc->n_recs && enc->ends[n] <= 65535 - enc->base; n++)
				keep = enc->ends[n];
			enc->len = keep;
			enc->n_recs = n;
			enc->overflow = false;
			if (an > n)
				an = (uint16_t)n;
			ar = (uint16_t)(n - an);
		}
		if (add_entry(t, name->owner, name->owner_len, type, ENTRY_ANSWER,
		              name->zone, enc, an, 0, ar) < 0)
			return -1;
	}
	return add_entry(t, name->owner, name->owner_len, QTYPE_ANY_NAME, ENTRY_NODATA,
	                 name->zone, NULL, 0, 0, 0);
}

struct answer_table *answer_table_build(const struct records_set *set,
                                        bool pods_insecure, char *err,
                                        size_t errlen)
{
	struct answer_table *t = calloc(1, sizeof(*t));
	struct encoder *enc = malloc(sizeof(*enc));
	size_t i, n_names = records_name_count(set);

	if (!t || !enc)
		goto oom;
	t->pods_insecure = pods_insecure;
	t->n_zones = records_zone_count(set);
	t->zones = calloc(t->n_zones, sizeof(*t->zones));
	if (!t->zones)
		goto oom;
	for (i = 0; i < t->n_zones; i++) {
		const struct records_zone *rz = records_zone_at(set, i);
		struct zone_info *z = &t->zones[i];
		uint8_t *p = z->soa;

		memcpy(z->name, rz->name, rz->name_len);
		z->name_len = rz->name_len;
		z->reverse = rz->kind == RECORDS_ZONE_REVERSE;
		z->ttl = rz->soa.ttl;
		*p++ = 0;
		*p++ = RR_TYPE_SOA;
		*p++ = 0;
		*p++ = 1;
		*p++ = (uint8_t)(rz->soa.ttl >> 24);
		*p++ = (uint8_t)(rz->soa.ttl >> 16);
		*p++ = (uint8_t)(rz->soa.ttl >> 8);
		*p++ = (uint8_t)rz->soa.ttl;
		*p++ = (uint8_t)(rz->soa.rdlen >> 8);
		*p++ = (uint8_t)rz->soa.rdlen;
		memcpy(p, rz->soa.rdata, rz->soa.rdlen);
		z->soa_len = (uint16_t)(10 + rz->soa.rdlen);
		if (i == 0)
			t->pod_ttl = rz->soa.ttl; /* refined below from an A record */
	}
	for (i = 0; i < n_names; i++) {
		if (add_name_entries(t, set, records_name_at(set, i), enc) < 0)
			goto oom;
	}
	/* Pod answers carry the cluster TTL: the NS record's, which is it. */
	{
		const struct records_name *apex = records_find(set, t->zones[0].name,
		                                               t->zones[0].name_len);
		const struct record *ns = apex ? first_of(apex, RR_TYPE_NS) : NULL;
		if (ns)
			t->pod_ttl = ns->ttl;
	}
	if (build_index(t) < 0)
		goto oom;
	free(enc);
	return t;
oom:
	snprintf(err, errlen, "out of memory building the answer table");
	free(enc);
	answer_table_free(t);
	return NULL;
}

void answer_table_free(struct answer_table *t)
{
	if (!t)
		return;
	free(t->entries);
	free(t->index);
	free(t->blob);
	free(t->ends);
	free(t->zones);
	free(t);
}

static int blob_append(struct answer_table *t, const void *p, size_t n, uint32_t *off)
{
	if (t->blob_len + n > t->blob_cap) {
		size_t cap = t->blob_cap ? t->blob_cap * 2 : 65536;
		uint8_t *grown;
		while (cap < t->blob_len + n)
			cap *= 2;
		if (cap > UINT32_MAX)
			return -1;
		grown = realloc(t->blob, cap);
		if (!grown)
			return -1;
		t->blob = grown;
		t->blob_cap = cap;
	}
	*off = (uint32_t)t->blob_len;
	memcpy(t->blob + t->blob_len, p, n);
	t->blob_len += n;
	return 0;
}

static int add_entry(struct answer_table *t, const uint8_t *name, size_t len,
                     uint16_t qtype, enum entry_kind kind, uint8_t zone,
                     const struct encoder *enc, uint16_t an, uint16_t ns,
                     uint16_t ar)
{
	struct entry *e;

	if (t->n_entries == t->cap_entries) {
		size_t cap = t->cap_entries ? t->cap_entries * 2 : 1024;
		struct entry *grown = realloc(t->entries, cap * sizeof(*grown));
		if (!grown)
			return -1;
		t->entries = grown;
		t->cap_entries = cap;
	}
	e = &t->entries[t->n_entries];
	memset(e, 0, sizeof(*e));
	e->hash = mix(bytemap_hash(name, len), qtype);
	e->qtype = qtype;
	e->kind = (uint8_t)kind;
	e->zone = zone;
	e->name_len = (uint8_t)len;
	if (blob_append(t, name, len, &e->name_off) < 0)
		return -1;
	if (enc) {
		size_t r;
		if (blob_append(t, enc->buf, enc->len, &e->body_off) < 0)
			return -1;
		e->body_len = (uint32_t)enc->len;
		e->an = an;
		e->ns = ns;
		e->ar = ar;
		if (t->n_ends + enc->n_recs > t->cap_ends) {
			size_t cap = t->cap_ends ? t->cap_ends * 2 : 4096;
			uint16_t *grown;
			while (cap < t->n_ends + enc->n_recs)
				cap *= 2;
			grown = realloc(t->ends, cap * sizeof(*grown));
			if (!grown)
				return -1;
			t->ends = grown;
			t->cap_ends = cap;
		}
		e->ends_off = (uint32_t)t->n_ends;
		for (r = 0; r < enc->n_recs; r++)
			t->ends[t->n_ends++] = enc->ends[r];
	}
	t->n_entries++;
	return 0;
}

static int build_index(struct answer_table *t)
{
	size_t cap = 16, i;

	while (cap < t->n_entries * 2)
		cap *= 2;
	t->index = calloc(cap, sizeof(*t->index));
	if (!t->index)
		return -1;
	t->index_mask = cap - 1;
	for (i = 0; i < t->n_entries; i++) {
		size_t slot = t->entries[i].hash & t->index_mask;
		while (t->index[slot])
			slot = (slot + 1) & t->index_mask;
		t->index[slot] = (uint32_t)(i + 1);
	}
	return 0;
}

/* ---- lookup (hot path) ------------------------------------------------- */

static const struct entry *find(const struct answer_table *t, uint32_t name_hash,
                                const uint8_t *name, size_t len, uint16_t qtype)
{
	uint32_t h = mix(name_hash, qtype);
	size_t slot = h & t->index_mask;

	for (;;) {
		uint32_t idx = t->index[slot];
		const struct entry *e;

		if (!idx)
			return NULL;
		e = &t->entries[idx - 1];
		if (e->hash == h && e->qtype == qtype && e->name_len == len &&
		    memcmp(t->blob + e->name_off, name, len) == 0)
			return e;
		slot = (slot + 1) & t->index_mask;
	}
}

static int zone_of(const struct answer_table *t, const uint8_t *name, size_t len)
{
	int best = -1;
	size_t z;

	for (z = 0; z < t->n_zones; z++)
		if (dname_is_under(name, len, t->zones[z].name, t->zones[z].name_len) &&
		    (best < 0 || t->zones[z].name_len > t->zones[best].name_len))
			best = (int)z;
	return best;
}

static void fill_negative(const struct answer_table *t, int zone, size_t len,
                          struct answer_ref *ref)
{
	ref->soa = t->zones[zone].soa;
	ref->soa_len = t->zones[zone].soa_len;
	ref->apex = t->zones[zone].name;
	ref->apex_len = t->zones[zone].name_len;
	(void)len;
}

/* a-b-c-d.<ns>.pod.<zone>: the label spells the address (kube-dns's
   "insecure" pod records). Returns true and sets ip when it parses. */
static bool pod_address(const uint8_t *name, size_t len, size_t zone_len,
                        struct kube_ip *ip)
{
	char text[64];
	size_t n = name[0], i, dashes = 0, p2, p3;
	bool double_dash = false;

	if (n == 0 || n >= sizeof(text) || 1 + n >= len)
		return false;
	p2 = 1 + n;                       /* namespace label */
	p3 = p2 + 1 + name[p2];           /* "pod" label */
	if (name[p2] == 0 || p3 + 4 > len || name[p3] != 3 ||
	    memcmp(name + p3 + 1, "pod", 3) != 0 || len - (p3 + 4) != zone_len)
		return false;
	for (i = 0; i < n; i++) {
		char c = (char)name[1 + i];
		if (c == '-') {
			dashes++;
			if (i > 0 && name[i] == '-')
				double_dash = true;
		}
		text[i] = c;
	}
	text[n] = '\0';
	if (dashes == 3 && !double_dash) {
		for (i = 0; i < n; i++)
			if (text[i] == '-')
				text[i] = '.';
		return kube_ip_parse(text, ip) == 0 && ip->family == AF_INET;
	}
	for (i = 0; i < n; i++)
		if (text[i] == '-')
			text[i] = ':';
	return kube_ip_parse(text, ip) == 0 && ip->family == AF_INET6;
}

/* Whether <ns>.svc.<zone> exists: insecure pod records still need a
   namespace that does (CoreDNS). ns_label points at the namespace label. */
static bool namespace_exists(const struct answer_table *t, const uint8_t *ns_label,
                             int zone)
{
	uint8_t name[DNAME_MAX];
	size_t n = (size_t)ns_label[0] + 1, len = n + 4 + t->zones[zone].name_len;

	if (len > DNAME_MAX)
		return false;
	memcpy(name, ns_label, n);
	memcpy(name + n, "\x03svc", 4);
	memcpy(name + n + 4, t->zones[zone].name, t->zones[zone].name_len);
	return find(t, bytemap_hash(name, len), name, len, QTYPE_ANY_NAME) != NULL;
}

static void fill_found(const struct answer_table *t, const struct entry *e,
                       struct answer_ref *ref)
{
	ref->status = ANSWER_FOUND;
	ref->body.wire = t->blob + e->body_off;
	ref->body.len = e->body_len;
	ref->body.an = e->an;
	ref->body.ns = e->ns;
	ref->body.ar = e->ar;
	ref->body.ends = t->ends + e->ends_off;
}

void answer_table_lookup(const struct answer_table *t, const uint8_t *lname,
                         size_t len, uint16_t qtype, struct answer_ref *ref)
{
	uint32_t h = bytemap_hash(lname, len);
	const struct entry *e = find(t, h, lname, len, qtype);
	int zone;

	if (e && e->kind == ENTRY_ANSWER) {
		fill_found(t, e, ref);
		return;
	}
	e = find(t, h, lname, len, QTYPE_ANY_NAME);
	if (e) {
		if (e->kind == ENTRY_ANSWER) { /* a CNAME */
			fill_found(t, e, ref);
			return;
		}
		if (qtype == RR_TYPE_ANY) {
			/* RFC 8482: one RRset is a complete answer to ANY. */
			static const uint16_t order[] = {RR_TYPE_A,   RR_TYPE_AAAA, RR_TYPE_SRV,
			                                 RR_TYPE_PTR, RR_TYPE_TXT,  RR_TYPE_SOA};
			size_t i;
			for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
				const struct entry *any = find(t, h, lname, len, order[i]);
				if (any) {
					fill_found(t, any, ref);
					return;
				}
			}
		}
		ref->status = ANSWER_NODATA;
		fill_negative(t, e->zone, len, ref);
		return;
	}
	zone = zone_of(t, lname, len);
	if (zone < 0 || t->zones[zone].reverse) {
		/* Reverse names we do not know belong to the upstream
		   (CoreDNS's "fallthrough in-addr.arpa ip6.arpa"). */
		ref->status = ANSWER_OUTSIDE;
		return;
	}
	if (t->pods_insecure && pod_address(lname, len, t->zones[zone].name_len,
	                                    &ref->pod_ip) &&
	    namespace_exists(t, lname + 1 + lname[0], zone)) {
		uint16_t want = ref->pod_ip.family == AF_INET ? RR_TYPE_A : RR_TYPE_AAAA;
		if (qtype == want || qtype == RR_TYPE_ANY) {
			ref->status = ANSWER_POD;
			ref->ttl = t->pod_ttl;
			return;
		}
		ref->status = ANSWER_NODATA;
		fill_negative(t, zone, len, ref);
		return;
	}
	ref->status = ANSWER_NXDOMAIN;
	fill_negative(t, zone, len, ref);
}

bool answer_table_in_zone(const struct answer_table *t, const uint8_t *lname,
                          size_t len)
{
	return zone_of(t, lname, len) >= 0;
}

size_t answer_table_entries(const struct answer_table *t)
{
	return t->n_entries;
}

size_t answer_table_bytes(const struct answer_table *t)
{
	return sizeof(*t) + t->cap_entries * sizeof(struct entry) +
	       (t->index_mask + 1) * sizeof(uint32_t) + t->blob_cap +
	       t->cap_ends * sizeof(uint16_t) + t->n_zones * sizeof(struct zone_info);
}

/* ---- publication ------------------------------------------------------- */

void answer_table_publish(struct answer_slot *slot, struct answer_table *t)
{
	struct answer_table *old = rcu_xchg_pointer(&slot->current, t);

	if (old) {
		/* Readers that still hold the old table finish first. */
		synchronize_rcu();
		answer_table_free(old);
	}
}

struct answer_table *answer_table_acquire(struct answer_slot *slot)
{
	return rcu_dereference(slot->current);
}

void answer_table_retire(struct answer_slot *slot)
{
	answer_table_publish(slot, NULL);
}
