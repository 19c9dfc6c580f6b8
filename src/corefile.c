/* corefile.c - a Corefile converted to svcdns's command line (corefile.h).
 *
 * Three passes. The lexer splits a copy of the text into tokens the way
 * CoreDNS's caddyfile lexer does. The walker checks the structure the way
 * caddyfile's parser does, so that a text CoreDNS would refuse returns 1
 * before anything is printed; it also finds the main port and the block
 * whose settings are global. The converter walks the same structure again,
 * fills one table of flags and reports what has no equivalent; the table
 * is printed last, in svcdns --help's order. */
#include "corefile.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX (4u << 20) /* kubeadm's Corefile is 600 bytes */
#define VALUE_MAX 1024      /* longest value printed */
#define VALUES_MAX 64       /* values of one repeatable flag */
#define ZONES_MAX 64        /* zones of one server block */
#define PENDING_MAX 32      /* cache "disable" lines checked at the end */
#define REPORTS_MAX 200     /* messages written; the rest are counted */
#define WHAT_MAX 160        /* bytes of Corefile text quoted in a message */
#define TARGETS_MAX 32      /* forward targets taken (CoreDNS allows 15) */
#define MCS_PLUGINS_MAX 8   /* multicluster plugin directives checked at the end */

/* CoreDNS's defaults where they matter to a conversion. */
#define CD_PORT 53
#define CD_CACHE_CAP 9984
#define CD_HEALTH ":8080"
#define CD_READY ":8181"
#define CD_PROMETHEUS "localhost:9153"

/* ---- the flags, in svcdns --help's order ---- */
enum flag {
	F_APISERVER,
	F_CA_FILE,
	F_KUBECONFIG,
	F_NAMESPACES,
	F_LABELS,
	F_NAMESPACE_LABELS,
	F_KUBE_CONTEXT,
	F_LISTEN,
	F_PORT,
	F_DOMAIN,
	F_MULTICLUSTER,
	F_TTL,
	F_UPSTREAM,
	F_RESOLV_CONF,
	F_STUB_DOMAIN,
	F_CACHE_SIZE,
	F_CACHE_TTL,
	F_FORWARD_TIMEOUT,
	F_FORWARD_POLICY,
	F_FORCE_TCP,
	F_SERVE_STALE,
	F_PREFETCH,
	F_HTTP,
	F_PODS,
	F_AUTOPATH,
	F_ENDPOINT_POD_NAMES,
	F_IGNORE_EMPTY_SERVICE,
	F_NO_ENDPOINTS,
	F_LOADBALANCE,
	F_HOSTS,
	F_HOSTS_TTL,
	F_HOSTS_RELOAD,
	F_HOSTS_NO_REVERSE,
	F_UDP_SIZE,
	F_LOG_QUERIES,
	F_LAMEDUCK,
	F_COUNT
};

enum arity { ONE, MANY, BARE };

static const struct flag_def {
	const char *name;
	enum arity arity;
} flag_table[F_COUNT] = {
	[F_APISERVER] = {"apiserver", ONE},
	[F_CA_FILE] = {"ca-file", ONE},
	[F_KUBECONFIG] = {"kubeconfig", ONE},
	[F_NAMESPACES] = {"namespaces", MANY},
	[F_LABELS] = {"labels", ONE},
	[F_NAMESPACE_LABELS] = {"namespace-labels", ONE},
	[F_KUBE_CONTEXT] = {"kube-context", ONE},
	[F_LISTEN] = {"listen", MANY},
	[F_PORT] = {"port", ONE},
	[F_DOMAIN] = {"domain", MANY},
	[F_MULTICLUSTER] = {"multicluster", MANY},
	[F_TTL] = {"ttl", ONE},
	[F_UPSTREAM] = {"upstream", MANY},
	[F_RESOLV_CONF] = {"resolv-conf", ONE},
	[F_STUB_DOMAIN] = {"stub-domain", MANY},
	[F_CACHE_SIZE] = {"cache-size", ONE},
	[F_CACHE_TTL] = {"cache-ttl", ONE},
	[F_FORWARD_TIMEOUT] = {"forward-timeout", ONE},
	[F_FORWARD_POLICY] = {"forward-policy", ONE},
	[F_FORCE_TCP] = {"force-tcp", BARE},
	[F_SERVE_STALE] = {"serve-stale", ONE},
	[F_PREFETCH] = {"prefetch", BARE},
	[F_HTTP] = {"http", ONE},
	[F_PODS] = {"pods", ONE},
	[F_AUTOPATH] = {"autopath", BARE},
	[F_ENDPOINT_POD_NAMES] = {"endpoint-pod-names", BARE},
	[F_IGNORE_EMPTY_SERVICE] = {"ignore-empty-service", BARE},
	[F_NO_ENDPOINTS] = {"no-endpoints", BARE},
	[F_LOADBALANCE] = {"loadbalance", ONE},
	[F_HOSTS] = {"hosts", ONE},
	[F_HOSTS_TTL] = {"hosts-ttl", ONE},
	[F_HOSTS_RELOAD] = {"hosts-reload", ONE},
	[F_HOSTS_NO_REVERSE] = {"hosts-no-reverse", BARE},
	[F_UDP_SIZE] = {"udp-size", ONE},
	[F_LOG_QUERIES] = {"log-queries", BARE},
	[F_LAMEDUCK] = {"lameduck", ONE},
};

struct slot {
	char *v[VALUES_MAX]; /* owned; NULL for a BARE flag */
	unsigned line[VALUES_MAX];
	size_t n;
};

/* ---- the text ---- */
struct token {
	char *s;           /* NUL-terminated, in the converter's copy of the text */
	unsigned line;     /* where it starts */
	unsigned end_line; /* where it ends (a quoted string may hold newlines) */
};

/* One address of /health, /ready or /metrics. */
enum endpoint_kind { EP_PROMETHEUS, EP_READY, EP_HEALTH, EP_COUNT };

struct endpoint {
	char addr[80]; /* "HOST:PORT" as svcdns's --http takes it; "" unset */
	unsigned line;
};

/* A cache "disable" line, checked once every cluster domain is known. */
struct pending {
	char *what; /* owned */
	char *zones; /* owned: normalized zones, space-separated */
	unsigned line;
};

/* The multicluster plugin's directive, its source checked once the
   kubernetes plugin's is known. */
struct mcs_plugin {
	size_t name;              /* its directive's token */
	size_t nargs;
	size_t kubeconfig, kcargs; /* its kubeconfig option's token; 0: in-cluster */
	size_t noendpoints;        /* its noendpoints option's token; 0: none */
};

struct conv {
	const char *name;
	FILE *errs;
	char *buf; /* the copy of the text the tokens point into */
	struct token *tok;
	size_t n, cap;
	struct slot flags[F_COUNT];
	int status; /* 0, or 2 once something was reported */
	bool oom;
	size_t messages, dropped;
	/* found by the walker */
	unsigned long main_port;
	size_t global_at; /* first key token of the block holding the globals */
	bool have_global;
	size_t blocks; /* of any kind */
	/* gathered by the converter */
	bool root_seen, root_forward, global_cache, global_loadbalance, kubernetes, lameduck;
	unsigned global_line;
	struct endpoint ep[EP_COUNT];
	struct pending pending[PENDING_MAX];
	size_t n_pending;
	struct mcs_plugin mcs[MCS_PLUGINS_MAX];
	size_t n_mcs;
	unsigned mcs_option_line; /* kubernetes's first multicluster option that named zones */
};

/* ---- structure ---- */
enum block_kind { B_SERVER, B_IMPORT, B_SNIPPET };

struct block {
	enum block_kind kind;
	size_t keys, nkeys; /* key tokens (for B_IMPORT: the import line) */
	size_t body, end;   /* directive tokens [body, end) */
};

struct directive {
	size_t name;
	size_t nargs;       /* arguments on its line before a '{' */
	size_t open, close; /* its block's braces; open == 0: no block */
	size_t end;         /* one past its last token */
	bool trailing;      /* tokens after its block's '}' */
};

struct option {
	size_t name, nargs;
	bool nested; /* it opens a block of its own */
};

/* The server block being converted. */
struct server {
	bool root, global;
	char *zones[ZONES_MAX]; /* owned: its zones other than the root, normalized */
	size_t nzones;
	unsigned line;
	bool forwarded, kubernetes, multicluster;
};

typedef void convert_fn(struct conv *c, struct server *s, const struct directive *d);

static int lex(struct conv *c, const char *text, size_t len);
static bool cache_serve_stale(struct conv *c, const struct option *o);
static size_t space_len(const unsigned char *p, size_t left);
static int push_token(struct conv *c, char *s, unsigned line, unsigned end_line);
static int walk(struct conv *c, bool convert);
static int next_block(struct conv *c, size_t *pos, struct block *b);
static int next_directive(struct conv *c, size_t *pos, size_t end, struct directive *d);
static bool next_option(const struct conv *c, size_t *pos, const struct directive *d,
                        struct option *o);
static size_t match_brace(const struct conv *c, size_t open);
static void find_globals(struct conv *c, const struct block *b);
static void convert_block(struct conv *c, const struct block *b);
static void convert_directive(struct conv *c, struct server *s, const struct directive *d);
static void finish(struct conv *c);
static void print_flags(struct conv *c, FILE *out);
static void release(struct conv *c);

static convert_fn conv_nothing, conv_kubernetes, conv_forward, conv_cache, conv_health,
	conv_ready, conv_prometheus, conv_log, conv_loadbalance, conv_hosts, conv_bind,
	conv_bufsize, conv_autopath, conv_multicluster;

static int syntax_error(struct conv *c, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void report(struct conv *c, unsigned line, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void note(struct conv *c, unsigned line, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- the plugins ---- */
static const struct plugin {
	const char *name;
	convert_fn *convert; /* NULL: no equivalent, for the reason given */
	const char *why;
	bool implied;        /* in a block for another zone: svcdns's global one applies */
} plugins[] = {
	{"kubernetes", conv_kubernetes, NULL, false},
	{"forward", conv_forward, NULL, false},
	{"cache", conv_cache, NULL, true},
	{"health", conv_health, NULL, false},
	{"ready", conv_ready, NULL, false},
	{"prometheus", conv_prometheus, NULL, false},
	{"errors", conv_nothing, NULL, true},
	{"log", conv_log, NULL, true},
	{"loop", conv_nothing, NULL, true},
	{"reload", conv_nothing, NULL, true},
	{"loadbalance", conv_loadbalance, NULL, true},
	{"hosts", conv_hosts, NULL, false},
	{"bind", conv_bind, NULL, false},
	{"bufsize", conv_bufsize, NULL, false},
	{"import", NULL,
	 "svcdns reads no other files: convert what the files hold and add their flags", false},
	{"autopath", conv_autopath, NULL, false},
	{"multicluster", conv_multicluster, NULL, false},
	{"rewrite", NULL, "svcdns rewrites no questions or answers", false},
	{"template", NULL, "svcdns synthesizes no answers from templates", false},
	{"dnssec", NULL, "svcdns signs nothing (no DNSSEC)", false},
	{"sign", NULL, "svcdns signs nothing (no DNSSEC)", false},
	{"transfer", NULL, "svcdns refuses AXFR and IXFR", false},
	{"k8s_external", NULL, "svcdns serves no zone for external and LoadBalancer IPs", false},
	{"etcd", NULL, "svcdns serves no zone data besides the cluster's and --hosts", false},
	{"file", NULL, "svcdns serves no zone data besides the cluster's and --hosts", false},
	{"auto", NULL, "svcdns serves no zone data besides the cluster's and --hosts", false},
	{"secondary", NULL, "svcdns serves no zone data besides the cluster's and --hosts", false},
	{"route53", NULL, "svcdns serves no zone data besides the cluster's and --hosts", false},
	{"azure", NULL, "svcdns serves no zone data besides the cluster's and --hosts", false},
	{"clouddns", NULL, "svcdns serves no zone data besides the cluster's and --hosts", false},
	{"chaos", NULL, "svcdns answers no CH-class version or hostname questions", false},
	{"acl", NULL, "svcdns has no query access lists", false},
	{"any", NULL, "svcdns answers ANY itself (see docs/coredns-differences.txt)", false},
	{"minimal", NULL, "svcdns's answers carry what they carry; no minimal mode", false},
	{"tls", NULL, "svcdns serves plain DNS only", false},
	{"root", NULL, "svcdns takes paths as given (relative to its working directory)", false},
	{"dnstap", NULL, "svcdns writes no dnstap; --log-queries logs one line per query", false},
	{"trace", NULL, "svcdns exports no traces", false},
	{"debug", NULL, "svcdns has no debug mode; see --log-level", false},
	{"pprof", NULL, "svcdns serves no profiles", false},
	{"timeouts", NULL, "svcdns's TCP idle timeout is --tcp-idle", false},
};

/* ---- small helpers ---- */
static bool tok_is(const struct conv *c, size_t i, const char *s)
{
	return i < c->n && strcmp(c->tok[i].s, s) == 0;
}

/* The token starts a line (caddyfile's isNewLine). */
static bool bol(const struct conv *c, size_t i)
{
	return i == 0 || c->tok[i - 1].end_line < c->tok[i].line;
}

static bool has_env(const char *s)
{
	const char *p = strstr(s, "{$");

	if (p && strchr(p + 2, '}'))
		return true;
	p = strstr(s, "{%");
	return p && strstr(p + 2, "%}");
}

static char *dup_n(struct conv *c, const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (!d) {
		c->oom = true;
		return NULL;
	}
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Digits only (no sign: CoreDNS's negative values are errors anyway). */
static bool parse_num(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

/* Go's time.ParseDuration ("1h30m", "1.5s", "500ms", "0"), non-negative,
   in nanoseconds. */
static bool parse_duration(const char *s, uint64_t *out)
{
	static const struct {
		const char *suffix;
		uint64_t ns;
	} units[] = {
		{"ns", 1},        {"us", 1000},       {"\xc2\xb5s", 1000},   {"\xce\xbcs", 1000},
		{"ms", 1000000},  {"s", 1000000000},  {"m", 60000000000ull}, {"h", 3600000000000ull},
	};
	const uint64_t limit = INT64_MAX;
	uint64_t total = 0;

	if (*s == '+')
		s++;
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return true;
	}
	if (!*s)
		return false;
	while (*s) {
		uint64_t whole = 0, frac = 0, scale = 1, unit = 0, v;
		bool digits = false;
		size_t k, ulen = 0;

		for (; *s >= '0' && *s <= '9'; s++, digits = true) {
			if (whole > (limit - 9) / 10)
				return false;
			whole = whole * 10 + (uint64_t)(*s - '0');
		}
		if (*s == '.') {
			for (s++; *s >= '0' && *s <= '9'; s++, digits = true) {
				if (scale < 1000000000000ull) { /* finer digits do not matter here */
					frac = frac * 10 + (uint64_t)(*s - '0');
					scale *= 10;
				}
			}
		}
		if (!digits)
			return false;
		/* The longest unit that matches ("ms" before "m"). */
		for (k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
			size_t l = strlen(units[k].suffix);
			if (l > ulen && strncmp(s, units[k].suffix, l) == 0) {
				unit = units[k].ns;
				ulen = l;
			}
		}
		if (!unit || whole > limit / unit)
			return false;
		v = whole * unit;
		v += (uint64_t)((long double)frac * (long double)unit / (long double)scale);
		if (v > limit - total)
			return false;
		total += v;
		s += ulen;
	}
	*out = total;
	return true;
}

/* A duration as a whole number of units (1e9: seconds) up to max. */
static bool duration_in(const char *s, uint64_t unit, unsigned long max, unsigned long *out)
{
	uint64_t ns;

	if (!parse_duration(s, &ns) || ns % unit || ns / unit > max)
		return false;
	*out = (unsigned long)(ns / unit);
	return true;
}

/* ---- messages ---- */

/* Appends s to out (at *pos, bounded), control bytes escaped: what is
   written stays on one line. */
static void put_text(char *out, size_t outlen, size_t *pos, const char *s)
{
	char tmp[8];
	const char *add;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '\n')
			add = "\\n";
		else if (ch == '\t')
			add = "\\t";
		else if (ch < 0x20 || ch == 0x7f) {
			snprintf(tmp, sizeof(tmp), "\\x%02x", ch);
			add = tmp;
		} else {
			tmp[0] = (char)ch;
			tmp[1] = '\0';
			add = tmp;
		}
		for (; *add; add++)
			if (*pos + 1 < outlen)
				out[(*pos)++] = *add;
	}
	out[*pos < outlen ? *pos : outlen - 1] = '\0';
}

/* A token as a message quotes it: in quotes when it holds a space or is
   empty, as it was written in the Corefile. */
static void put_token(char *out, size_t outlen, size_t *pos, const char *s)
{
	bool quote = !*s || strpbrk(s, " \t\n\r\v\f") != NULL;

	if (quote && *pos + 1 < outlen)
		out[(*pos)++] = '"';
	put_text(out, outlen, pos, s);
	if (quote && *pos + 1 < outlen)
		out[(*pos)++] = '"';
	out[*pos < outlen ? *pos : outlen - 1] = '\0';
}

/* "prefix" followed by count tokens from first, as a message quotes them. */
static void describe(const struct conv *c, const char *prefix, size_t first, size_t count,
                     char *out, size_t outlen)
{
	size_t pos = 0, i;

	out[0] = '\0';
	if (prefix) {
		put_text(out, outlen, &pos, prefix);
		if (pos + 2 < outlen) {
			out[pos++] = ':';
			out[pos++] = ' ';
			out[pos] = '\0';
		}
	}
	for (i = first; i < first + count && i < c->n; i++) {
		if (i > first && pos + 1 < outlen)
			out[pos++] = ' ';
		put_token(out, outlen, &pos, c->tok[i].s);
	}
	if (pos + 1 >= outlen && outlen > 4)
		memcpy(out + outlen - 4, "...", 4); /* cut: say so */
}

static void message(struct conv *c, unsigned line, const char *kind, const char *what,
                    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
static void message(struct conv *c, unsigned line, const char *kind, const char *what,
                    const char *fmt, va_list ap)
{
	char why[1024], safe[1024];
	size_t pos = 0;

	if (c->messages >= REPORTS_MAX) {
		c->dropped++;
		return;
	}
	c->messages++;
	/* Corefile text quoted in the reason (an argument with a line break)
	   is escaped like the rest: one message, one line. */
	vsnprintf(why, sizeof(why), fmt, ap);
	put_text(safe, sizeof(safe), &pos, why);
	fprintf(c->errs, "%s:%u: %s%s: %s\n", c->name, line, kind, what, safe);
}

/* Something has no equivalent: the status becomes 2. */
static void report(struct conv *c, unsigned line, const char *what, const char *fmt, ...)
{
	va_list ap;

	c->status = 2;
	va_start(ap, fmt);
	message(c, line, "", what, fmt, ap);
	va_end(ap);
}

/* Converted, differently in form: worth a line, not a failure. */
static void note(struct conv *c, unsigned line, const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message(c, line, "note: ", what, fmt, ap);
	va_end(ap);
}

static int syntax_error(struct conv *c, unsigned line, const char *fmt, ...)
{
	va_list ap;

	fprintf(c->errs, "%s:%u: ", c->name, line);
	va_start(ap, fmt);
	vfprintf(c->errs, fmt, ap);
	va_end(ap);
	fputs(": not a Corefile\n", c->errs);
	return -1;
}

/* ---- the flag table ---- */

/* A value printed on one line: not empty, no control characters. */
static bool value_ok(struct conv *c, unsigned line, const char *what, const char *v)
{
	const unsigned char *p;

	if (!*v) {
		report(c, line, what, "an empty value");
		return false;
	}
	if (strlen(v) > VALUE_MAX) {
		report(c, line, what, "a value longer than %d bytes", VALUE_MAX);
		return false;
	}
	for (p = (const unsigned char *)v; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			report(c, line, what, "a value with a control character or line break");
			return false;
		}
	}
	return true;
}

/* A flag svcdns takes once: a second, different value is a conflict. */
static void set_one(struct conv *c, enum flag f, const char *v, unsigned line, const char *what)
{
	struct slot *s = &c->flags[f];

	if (!value_ok(c, line, what, v))
		return;
	if (s->n) {
		if (strcmp(s->v[0], v) != 0)
			report(c, line, what, "conflicts with line %u (--%s %s): svcdns takes one --%s",
			       s->line[0], flag_table[f].name, s->v[0], flag_table[f].name);
		return;
	}
	if (!(s->v[0] = dup_n(c, v, strlen(v))))
		return;
	s->line[0] = line;
	s->n = 1;
}

static void set_num(struct conv *c, enum flag f, unsigned long v, unsigned line, const char *what)
{
	char num[24];

	snprintf(num, sizeof(num), "%lu", v);
	set_one(c, f, num, line, what);
}

static void set_bare(struct conv *c, enum flag f, unsigned line)
{
	if (!c->flags[f].n) {
		c->flags[f].n = 1;
		c->flags[f].line[0] = line;
	}
}

/* A repeatable flag: a value given twice is kept once. */
static void add_many(struct conv *c, enum flag f, const char *v, unsigned line, const char *what)
{
	struct slot *s = &c->flags[f];
	size_t i;

	if (!value_ok(c, line, what, v))
		return;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], v) == 0)
			return;
	if (s->n == VALUES_MAX) {
		report(c, line, what, "more than %d --%s values", VALUES_MAX, flag_table[f].name);
		return;
	}
	if (!(s->v[s->n] = dup_n(c, v, strlen(v))))
		return;
	s->line[s->n++] = line;
}

/* ---- zones and addresses ---- */

struct key {
	const char *zone; /* in the key text: transport and port excluded */
	size_t zlen;
	unsigned long port;
	const char *why; /* why svcdns cannot take it; NULL: usable */
};

/* A server block key or a zone argument: [dns://]ZONE[:PORT], as
   CoreDNS's SplitProtocolHostPort and plugin.SplitHostPort read it. */
static void parse_key(const char *s, unsigned long def_port, struct key *k)
{
	const char *sep = strstr(s, "://"), *colon = NULL, *p;
	size_t len;

	memset(k, 0, sizeof(*k));
	k->port = def_port;
	if (sep) {
		if (sep - s != 3 || strncmp(s, "dns", 3) != 0) {
			k->why = "a server for another transport (TLS, HTTPS, gRPC, QUIC): svcdns "
			         "answers plain DNS over UDP and TCP";
			return;
		}
		s = sep + 3;
	}
	len = strlen(s);
	if (len && s[len - 1] == ',')
		len--; /* "a, b {": the comma joins keys */
	for (p = s; p < s + len; p++)
		if (*p == ':')
			colon = p;
	if (colon) {
		const char *d = colon + 1;
		unsigned long port = 0;
		bool digits = d < s + len;

		for (; d < s + len && digits; d++) {
			digits = *d >= '0' && *d <= '9';
			if (digits && (port = port * 10 + (unsigned long)(*d - '0')) > 65535)
				port = 65536;
		}
		if (colon == s + len - 1) {
			k->why = "nothing after the last ':'";
			return;
		}
		if (digits) {
			if (port == 0 || port > 65535) {
				k->why = "a port out of range";
				return;
			}
			k->port = port;
			len = (size_t)(colon - s);
		}
	}
	if (len == 0) {
		k->why = "no zone";
		return;
	}
	k->zone = s;
	k->zlen = len;
}

static bool zone_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_';
}

/* A network ("10.0.0.0/8", "fd00::/64") as CoreDNS names its reverse zone,
   when the mask falls on a label boundary (octets, nibbles). */
static char *cidr_zone(struct conv *c, const char *s, size_t len, const char **why)
{
	char addr[64], out[128];
	const char *slash = memchr(s, '/', len);
	unsigned char b[16];
	unsigned long bits;
	size_t pos = 0, alen = slash ? (size_t)(slash - s) : 0;
	int i;

	*why = "a network that is not an address/mask on an octet (IPv4) or nibble (IPv6) "
	       "boundary";
	if (!slash || alen == 0 || alen >= sizeof(addr) || len - alen - 1 > 3)
		return NULL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	{
		char mask[4];
		memcpy(mask, slash + 1, len - alen - 1);
		mask[len - alen - 1] = '\0';
		if (!parse_num(mask, 128, &bits))
			return NULL;
	}
	if (inet_pton(AF_INET, addr, b) == 1) {
		if (bits > 32 || bits % 8)
			return NULL;
		for (i = (int)bits / 8 - 1; i >= 0; i--)
			pos += (size_t)snprintf(out + pos, sizeof(out) - pos, "%u.", b[i]);
		snprintf(out + pos, sizeof(out) - pos, "in-addr.arpa");
	} else if (inet_pton(AF_INET6, addr, b) == 1) {
		if (bits % 4)
			return NULL;
		for (i = (int)bits / 4 - 1; i >= 0; i--)
			pos += (size_t)snprintf(out + pos, sizeof(out) - pos, "%x.",
			                        i % 2 ? b[i / 2] & 0xf : b[i / 2] >> 4);
		snprintf(out + pos, sizeof(out) - pos, "ip6.arpa");
	} else {
		return NULL;
	}
	*why = NULL;
	return dup_n(c, out, strlen(out));
}

/* The zone as svcdns's flags take it: lower case, no trailing dot ("."
   for the root). NULL with *why when it is not a name svcdns takes. */
static char *zone_norm(struct conv *c, const char *s, size_t len, const char **why)
{
	size_t i, label = 0;
	char *z;

	*why = NULL;
	if (memchr(s, '/', len))
		return cidr_zone(c, s, len, why);
	if (len == 1 && s[0] == '.')
		return dup_n(c, ".", 1);
	if (len > 1 && s[len - 1] == '.')
		len--;
	if (len > 253) {
		*why = "a name longer than 253 bytes";
		return NULL;
	}
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0)
				break;
			label = 0;
		} else if (!zone_char(s[i]) || ++label > 63) {
			break;
		}
	}
	if (i < len || label == 0) {
		*why = "not a domain name (letters, digits, '-' and '_' in labels of 1 to 63)";
		return NULL;
	}
	if (!(z = dup_n(c, s, len)))
		return NULL;
	for (i = 0; i < len; i++)
		if (z[i] >= 'A' && z[i] <= 'Z')
			z[i] = (char)(z[i] - 'A' + 'a');
	return z;
}

static bool is_reverse(const char *zone)
{
	return strcmp(zone, "in-addr.arpa") == 0 || strcmp(zone, "ip6.arpa") == 0 ||
	       ends_with(zone, ".in-addr.arpa") || ends_with(zone, ".ip6.arpa");
}

/* zone is d or below it. */
static bool zone_within(const char *zone, const char *d)
{
	size_t n = strlen(zone), m = strlen(d);

	return strcmp(zone, d) == 0 || (n > m && zone[n - m - 1] == '.' && strcmp(zone + n - m, d) == 0);
}

static bool is_ip(const char *host)
{
	unsigned char b[16];

	return inet_pton(AF_INET, host, b) == 1 || inet_pton(AF_INET6, host, b) == 1;
}

/* A forward target svcdns's --upstream takes: ADDR, ADDR:PORT, [V6]:PORT,
   [V6] or a bare V6 (what CoreDNS's HostPortOrFile accepts as addresses). */
static bool ip_target(const char *t)
{
	char host[64];
	const char *port = NULL, *colon = strchr(t, ':');
	size_t hl;
	unsigned long p;

	if (strchr(t, '%'))
		return false;
	if (t[0] == '[') {
		const char *rb = strchr(t, ']');
		if (!rb)
			return false;
		hl = (size_t)(rb - t - 1);
		if (rb[1] == ':')
			port = rb + 2;
		else if (rb[1])
			return false;
		t++;
	} else if (colon && !strchr(colon + 1, ':')) {
		hl = (size_t)(colon - t);
		port = colon + 1;
	} else {
		hl = strlen(t);
	}
	if (hl == 0 || hl >= sizeof(host))
		return false;
	memcpy(host, t, hl);
	host[hl] = '\0';
	if (port && (!parse_num(port, 65535, &p) || p == 0))
		return false;
	return is_ip(host);
}

/* A Go listen address (":8080", "localhost:9153", "[::1]:8080") as
   svcdns's --http takes it ("0.0.0.0:8080", "127.0.0.1:9153"). */
static bool http_addr(const char *in, char *out, size_t outlen)
{
	char host[64];
	const char *port;
	size_t hl;
	unsigned long p;
	bool v6 = false;

	if (in[0] == '[') {
		const char *rb = strchr(in, ']');
		if (!rb || rb[1] != ':')
			return false;
		hl = (size_t)(rb - in - 1);
		in++;
		port = rb + 2;
		v6 = true;
	} else {
		const char *colon = strrchr(in, ':');
		if (!colon || memchr(in, ':', (size_t)(colon - in)))
			return false;
		hl = (size_t)(colon - in);
		port = colon + 1;
	}
	if (hl >= sizeof(host) || !parse_num(port, 65535, &p))
		return false;
	memcpy(host, in, hl);
	host[hl] = '\0';
	if (hl == 0)
		snprintf(host, sizeof(host), "0.0.0.0");
	else if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	else if (!is_ip(host))
		return false;
	else if (strchr(host, ':'))
		v6 = true;
	snprintf(out, outlen, v6 ? "[%s]:%lu" : "%s:%lu", host, p);
	return true;
}

/* ---- the lexer (caddyfile's lexer.next, over bytes) ---- */

/* Length of the white space character at p (Go's unicode.IsSpace), or 0. */
static size_t space_len(const unsigned char *p, size_t left)
{
	if (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		return 1;
	if (left >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
		return 2; /* NEL, NBSP */
	if (left >= 3 && p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80)
		return 3; /* U+1680 */
	if (left >= 3 && p[0] == 0xe2 && p[1] == 0x80 &&
	    ((p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf))
		return 3; /* U+2000..200A, 2028, 2029, 202F */
	if (left >= 3 && p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f)
		return 3; /* U+205F */
	if (left >= 3 && p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80)
		return 3; /* U+3000 */
	return 0;
}

static int push_token(struct conv *c, char *s, unsigned line, unsigned end_line)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct token *t = realloc(c->tok, cap * sizeof(*t));
		if (!t) {
			c->oom = true;
			return -1;
		}
		c->tok = t;
		c->cap = cap;
	}
	c->tok[c->n].s = s;
	c->tok[c->n].line = line;
	c->tok[c->n].end_line = end_line;
	c->n++;
	return 0;
}

/* Tokens are written over the copy of the text they come from: a token
   is never longer than its source (quotes and \ before " dropped), and the
   byte that ends it takes its NUL. */
static int lex(struct conv *c, const char *text, size_t len)
{
	const unsigned char *in;
	size_t r = 0, w = 0, start = 0, k;
	unsigned line = 1, tline = 0;
	bool in_token = false, quoted = false, escaped = false, comment = false;

	for (k = 0; k < len; k++) {
		unsigned char ch = (unsigned char)text[k];

		if (ch == '\n')
			line++;
		else if ((ch < 0x20 && !(ch >= '\t' && ch <= '\r')) || ch == 0x7f)
			return syntax_error(c, line, "a control byte 0x%02x", ch);
	}
	if (!(c->buf = malloc(len + 1))) {
		c->oom = true;
		return -1;
	}
	if (len)
		memcpy(c->buf, text, len);
	c->buf[len] = '\0';
	in = (const unsigned char *)c->buf;
	line = 1;
	if (len >= 3 && memcmp(in, "\xef\xbb\xbf", 3) == 0)
		r = 3; /* a byte order mark */
	while (r < len) {
		unsigned char ch = in[r];
		size_t sp;

		if (quoted) {
			r++;
			if (!escaped && ch == '\\') {
				escaped = true;
				continue;
			}
			if (!escaped && ch == '"') {
				quoted = in_token = false;
				c->buf[w++] = '\0';
				if (push_token(c, c->buf + start, tline, line) < 0)
					return -1;
				continue;
			}
			if (ch == '\n')
				line++;
			if (escaped && ch != '"')
				c->buf[w++] = '\\'; /* only \" is an escape */
			c->buf[w++] = (char)ch;
			escaped = false;
			continue;
		}
		if ((sp = space_len(in + r, len - r)) > 0) {
			r += sp;
			if (ch == '\r')
				continue; /* dropped, even inside a word, as caddyfile does */
			if (ch == '\n') {
				line++;
				comment = false;
			}
			if (in_token && w > start) {
				in_token = false;
				c->buf[w++] = '\0';
				if (push_token(c, c->buf + start, tline, tline) < 0)
					return -1;
			}
			continue;
		}
		r++;
		if (ch == '#')
			comment = true;
		if (comment)
			continue;
		if (!in_token || w == start) {
			in_token = true;
			start = w;
			tline = line;
			if (ch == '"') {
				quoted = true;
				continue;
			}
		}
		c->buf[w++] = (char)ch;
	}
	/* An unterminated word or quoted string ends the text, as in CoreDNS. */
	if (in_token && w > start) {
		c->buf[w++] = '\0';
		if (push_token(c, c->buf + start, tline, line) < 0)
			return -1;
	}
	return 0;
}

/* ---- the walker (caddyfile's parser) ---- */

static size_t match_brace(const struct conv *c, size_t open)
{
	size_t i, depth = 0;

	for (i = open; i < c->n; i++) {
		if (tok_is(c, i, "{"))
			depth++;
		else if (tok_is(c, i, "}") && --depth == 0)
			return i;
	}
	return c->n;
}

/* The directive at *pos, up to the next line at nesting 0 (parser.directive).
   Returns 1, 0 at the block's end (its '}' or end), -1 on a syntax error. */
static int next_directive(struct conv *c, size_t *pos, size_t end, struct directive *d)
{
	size_t j, nesting = 0;

	if (*pos >= end || tok_is(c, *pos, "}"))
		return 0;
	memset(d, 0, sizeof(*d));
	d->name = *pos;
	if (tok_is(c, *pos, "{"))
		return syntax_error(c, c->tok[*pos].line, "'{' where a directive was expected");
	for (j = *pos + 1; j < end; j++) {
		if (tok_is(c, j, "{")) {
			if (nesting == 0) {
				if (d->open)
					d->trailing = true;
				else
					d->open = j;
			}
			nesting++;
		} else if (bol(c, j) && nesting == 0) {
			break;
		} else if (tok_is(c, j, "}")) {
			if (nesting == 0)
				return syntax_error(c, c->tok[j].line,
				                    "unexpected '}': it closes no block (a block's "
				                    "closing brace goes on a line of its own)");
			if (--nesting == 0 && !d->close)
				d->close = j;
		} else if (d->close) {
			d->trailing = true;
		}
	}
	if (nesting)
		return syntax_error(c, c->tok[d->name].line, "a '{' of '%s' is never closed",
		                    c->tok[d->name].s);
	for (d->nargs = 0; d->name + 1 + d->nargs < j; d->nargs++) {
		size_t a = d->name + 1 + d->nargs;
		if (bol(c, a) || tok_is(c, a, "{"))
			break;
	}
	d->end = j;
	*pos = j;
	return 1;
}

/* The next option in a directive's block: a token, the rest of its line
   its arguments (caddyfile's NextBlock and RemainingArgs). */
static bool next_option(const struct conv *c, size_t *pos, const struct directive *d,
                        struct option *o)
{
	size_t k;

	if (!d->open || *pos >= d->close)
		return false;
	memset(o, 0, sizeof(*o));
	o->name = *pos;
	k = *pos + 1;
	if (tok_is(c, o->name, "{")) {
		o->nested = true;
		k = match_brace(c, o->name) + 1;
	}
	while (k < d->close) {
		if (tok_is(c, k, "{")) {
			o->nested = true;
			k = match_brace(c, k) + 1;
			continue;
		}
		if (bol(c, k))
			break;
		if (!o->nested)
			o->nargs++;
		k++;
	}
	*pos = k;
	return true;
}

/* The block at *pos (parser.parseOne). Returns 1, 0 at the end of the
   text, -1 on a syntax error. */
static int next_block(struct conv *c, size_t *pos, struct block *b)
{
	size_t i = *pos;
	struct directive d;
	bool expecting = false;
	int rc;

	if (i >= c->n)
		return 0;
	memset(b, 0, sizeof(*b));
	if (tok_is(c, i, "import")) {
		b->kind = B_IMPORT;
		b->keys = i;
		for (b->nkeys = 1; i + b->nkeys < c->n && !bol(c, i + b->nkeys); b->nkeys++)
			;
		*pos = i + b->nkeys;
		return 1;
	}
	b->kind = B_SERVER;
	b->keys = i;
	/* Keys: the first line, and the next after one ending in ','. */
	for (;;) {
		const char *t = c->tok[i].s;

		if (strcmp(t, "{") == 0) {
			if (expecting)
				return syntax_error(c, c->tok[i].line, "a key list ends in ','");
			break;
		}
		if (strcmp(t, "}") == 0)
			return syntax_error(c, c->tok[i].line, "unexpected '}' where a server block "
			                                        "should start");
		if (*t)
			expecting = t[strlen(t) - 1] == ',';
		i++;
		if (i >= c->n) {
			if (expecting)
				return syntax_error(c, c->tok[i - 1].line, "a key list ends in ','");
			break;
		}
		if (!expecting && bol(c, i))
			break;
	}
	b->nkeys = i - b->keys;
	if (b->nkeys == 1 && c->tok[b->keys].s[0] == '(' && ends_with(c->tok[b->keys].s, ")")) {
		size_t close;

		b->kind = B_SNIPPET;
		if (!tok_is(c, i, "{"))
			return syntax_error(c, c->tok[b->keys].line, "a snippet without a '{'");
		if ((close = match_brace(c, i)) >= c->n)
			return syntax_error(c, c->tok[i].line, "the snippet's '{' is never closed");
		*pos = close + 1;
		return 1;
	}
	if (i >= c->n) { /* keys and nothing else */
		b->body = b->end = i;
		*pos = i;
		return 1;
	}
	if (tok_is(c, i, "{")) {
		b->body = i + 1;
		for (i = b->body; (rc = next_directive(c, &i, c->n, &d)) > 0;)
			;
		if (rc < 0)
			return -1;
		if (!tok_is(c, i, "}"))
			return syntax_error(c, c->tok[b->keys].line,
			                    "the server block's '{' is never closed");
		b->end = i;
		*pos = i + 1;
		return 1;
	}
	/* No braces: the rest of the text (a '}' ends it, as in caddyfile). */
	b->body = i;
	for (; (rc = next_directive(c, &i, c->n, &d)) > 0;)
		;
	if (rc < 0)
		return -1;
	b->end = i;
	*pos = i < c->n ? i + 1 : i;
	return 1;
}

/* The main port is the root zone's (its first block's); without one, the
   first block's. The globals (cache, log, loadbalance, bind, hosts) come
   from that block. */
static void find_globals(struct conv *c, const struct block *b)
{
	struct key k;
	size_t i;

	c->blocks++;
	if (b->kind != B_SERVER)
		return;
	for (i = b->keys; i < b->keys + b->nkeys; i++) {
		if (!c->tok[i].s[0] || has_env(c->tok[i].s))
			continue;
		parse_key(c->tok[i].s, CD_PORT, &k);
		if (k.why)
			continue;
		if (k.zlen == 1 && k.zone[0] == '.') {
			if (!c->root_seen) {
				c->root_seen = true;
				c->main_port = k.port;
				c->global_at = b->keys;
				c->have_global = true;
			}
			return;
		}
		if (!c->have_global) {
			c->main_port = k.port;
			c->global_at = b->keys;
			c->have_global = true;
		}
	}
}

static int walk(struct conv *c, bool convert)
{
	size_t pos = 0;
	struct block b;
	int rc;

	while ((rc = next_block(c, &pos, &b)) > 0) {
		if (convert)
			convert_block(c, &b);
		else
			find_globals(c, &b);
	}
	return rc;
}

/* ---- the converter ---- */

static void convert_block(struct conv *c, const struct block *b)
{
	char what[WHAT_MAX];
	struct server s;
	struct directive d;
	size_t i, pos, before = c->messages;
	unsigned line = c->tok[b->keys].line;

	describe(c, NULL, b->keys, b->nkeys, what, sizeof(what));
	if (b->kind == B_IMPORT) {
		report(c, line, what, "svcdns reads no other files: convert what the files hold and "
		                      "add their flags");
		return;
	}
	if (b->kind == B_SNIPPET) {
		report(c, line, what, "a snippet: svcdns has none; convert it where it is imported");
		return;
	}
	memset(&s, 0, sizeof(s));
	s.global = c->have_global && b->keys == c->global_at;
	s.line = line;
	for (i = b->keys; i < b->keys + b->nkeys; i++) {
		const char *t = c->tok[i].s, *why;
		struct key k;
		char *z;

		if (!*t)
			continue;
		describe(c, NULL, i, 1, what, sizeof(what));
		if (has_env(t)) {
			report(c, c->tok[i].line, what, "an environment variable: svcdns substitutes none; "
			                                "write the value");
			continue;
		}
		parse_key(t, CD_PORT, &k);
		if (k.why) {
			report(c, c->tok[i].line, what, "%s", k.why);
			continue;
		}
		if (!(z = zone_norm(c, k.zone, k.zlen, &why))) {
			if (why)
				report(c, c->tok[i].line, what, "%s", why);
			continue;
		}
		if (k.port != c->main_port) {
			report(c, c->tok[i].line, what,
			       "a server on port %lu: svcdns answers on one port (--port %lu, the root "
			       "zone's)",
			       k.port, c->main_port);
			free(z);
			continue;
		}
		if (strcmp(z, ".") == 0) {
			s.root = true;
			free(z);
		} else if (s.nzones == ZONES_MAX) {
			report(c, c->tok[i].line, what, "more than %d zones in one block", ZONES_MAX);
			free(z);
		} else {
			s.zones[s.nzones++] = z;
		}
	}
	if (s.root || s.nzones) {
		if (s.root && c->global_line) {
			describe(c, NULL, b->keys, b->nkeys, what, sizeof(what));
			report(c, line, what, "a second server block for the root zone on the same port "
			                      "(CoreDNS refuses this too)");
		} else {
			if (s.global)
				c->global_line = line;
			for (pos = b->body; next_directive(c, &pos, b->end, &d) > 0;)
				convert_directive(c, &s, &d);
			if (!s.global && !s.forwarded && !s.kubernetes && !s.multicluster &&
			    c->messages == before) {
				describe(c, NULL, b->keys, b->nkeys, what, sizeof(what));
				report(c, line, what,
				       "a server block without forward or kubernetes: svcdns has no "
				       "servers for single zones; its names are forwarded upstream");
			}
		}
	}
	for (i = 0; i < s.nzones; i++)
		free(s.zones[i]);
}

static void convert_directive(struct conv *c, struct server *s, const struct directive *d)
{
	const char *name = c->tok[d->name].s;
	const struct plugin *p = NULL;
	char what[WHAT_MAX];
	size_t i;

	describe(c, NULL, d->name, 1 + d->nargs, what, sizeof(what));
	for (i = 0; i < sizeof(plugins) / sizeof(plugins[0]); i++)
		if (strcmp(plugins[i].name, name) == 0)
			p = &plugins[i];
	if (p && p->implied && !s->global)
		return;
	if (p && p->convert == conv_kubernetes)
		c->kubernetes = true; /* there, even if it cannot be converted */
	for (i = d->name; i < d->end; i++) {
		if (has_env(c->tok[i].s)) {
			report(c, c->tok[d->name].line, what,
			       "an environment variable (%s): svcdns substitutes none; write the value",
			       c->tok[i].s);
			return;
		}
	}
	if (!p) {
		report(c, c->tok[d->name].line, what, "a plugin svcdns has no equivalent of");
		return;
	}
	if (!p->convert) {
		report(c, c->tok[d->name].line, what, "%s", p->why);
		return;
	}
	p->convert(c, s, d);
	if (d->trailing)
		report(c, c->tok[d->name].line, what, "words or a second block after its block: "
		                                      "CoreDNS refuses this too");
}

/* Reports an option of a directive that svcdns has no equivalent for. */
static void option_report(struct conv *c, const struct directive *d, const struct option *o,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void option_report(struct conv *c, const struct directive *d, const struct option *o,
                          const char *fmt, ...)
{
	char what[WHAT_MAX], why[512];
	va_list ap;

	describe(c, c->tok[d->name].s, o->name, 1 + o->nargs, what, sizeof(what));
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (strcmp(c->tok[o->name].s, "import") == 0) /* caddyfile splices it anywhere */
		snprintf(why, sizeof(why), "svcdns reads no other files: convert what the files "
		                           "hold and add their flags");
	report(c, c->tok[o->name].line, what, "%s", why);
}

static void option_what(const struct conv *c, const struct directive *d, const struct option *o,
                        char *what, size_t len)
{
	describe(c, c->tok[d->name].s, o->name, 1 + o->nargs, what, len);
}

/* Options of a directive with none svcdns takes. */
static void no_options(struct conv *c, const struct directive *d, const char *why)
{
	struct option o;
	size_t pos = d->open + 1;

	while (next_option(c, &pos, d, &o))
		option_report(c, d, &o, "%s", why);
}

static const char *arg(const struct conv *c, const struct directive *d, size_t i)
{
	return c->tok[d->name + 1 + i].s;
}

static const char *oarg(const struct conv *c, const struct option *o, size_t i)
{
	return c->tok[o->name + 1 + i].s;
}

static bool oname(const struct conv *c, const struct option *o, const char *name)
{
	return strcmp(c->tok[o->name].s, name) == 0;
}

/* Joins the option's arguments with sep (a label selector's words, a
   namespace list); NULL when it does not fit. */
static char *join_args(struct conv *c, const struct option *o, const char *sep)
{
	size_t i, len = 0, pos = 0;
	char *v;

	for (i = 0; i < o->nargs; i++)
		len += strlen(oarg(c, o, i)) + strlen(sep);
	if (len > VALUE_MAX + strlen(sep) || !(v = malloc(len + 1))) {
		c->oom = c->oom || len <= VALUE_MAX + strlen(sep);
		return NULL;
	}
	v[0] = '\0';
	for (i = 0; i < o->nargs; i++)
		pos += (size_t)snprintf(v + pos, len + 1 - pos, "%s%s", i ? sep : "", oarg(c, o, i));
	return v;
}

static void conv_nothing(struct conv *c, struct server *s, const struct directive *d)
{
	(void)c;
	(void)s;
	(void)d;
}

/* Options svcdns has no equivalent of, and why, for a plugin. */
struct reason {
	const char *name, *why;
};

static const char *reason_of(const struct reason *table, const char *name)
{
	for (; table->name; table++)
		if (strcmp(table->name, name) == 0)
			return table->why;
	return "an option svcdns has no equivalent of";
}

static const struct reason kubernetes_reasons[] = {
	{"zonal", "svcdns has no zone-scoped names for headless services"},
	{"apiserver_qps", "svcdns sets no client rate limits: one list and one watch a resource"},
	{"apiserver_burst", "svcdns sets no client rate limits: one list and one watch a resource"},
	{"apiserver_max_inflight",
	 "svcdns sets no client rate limits: one list and one watch a resource"},
	{NULL, NULL},
};

/* The options converted: one here with other arguments is malformed. */
static const char *const kubernetes_options[] = {
	"endpoint", "tls", "kubeconfig", "namespaces", "labels", "namespace_labels", "pods",
	"ttl", "endpoint_pod_names", "ignore", "noendpoints", NULL,
};

static bool in_list(const char *const *list, const char *name)
{
	for (; *list; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

static const struct reason cache_reasons[] = {
	{"prefetch", "prefetch takes at most AMOUNT, DURATION and PERCENTAGE (CoreDNS refuses more)"},
	{"serve_stale", "svcdns serves a stale answer only when every upstream fails (CoreDNS's "
	                "serve_stale DURATION verify), for whole seconds up to a week"},
	{"serve_stale_policy", "svcdns serves a stale answer only when every upstream fails"},
	{"servfail", "svcdns does not cache SERVFAIL"},
	{"keepttl", "svcdns hands out the remaining TTL of a cached answer"},
	{NULL, NULL},
};

static const struct reason forward_reasons[] = {
	{"max_concurrent", "svcdns's limit of queries in flight is fixed at 1000"},
	{"policy", "svcdns's --forward-policy is random, round_robin or sequential"},
	{"read_timeout", "svcdns's --forward-timeout is whole milliseconds from 50 to 60000"},
	{"force_tcp", "force_tcp takes no argument (CoreDNS refuses this too)"},
	{"prefer_udp", "svcdns asks over UDP and retries over TCP when the answer is truncated"},
	{"tls", "svcdns forwards plain DNS, no TLS"},
	{"tls_servername", "svcdns forwards plain DNS, no TLS"},
	{"except", "svcdns forwards every name outside the cluster zones (a --stub-domain can send "
	           "some elsewhere)"},
	{"health_check", "health_check takes an interval (CoreDNS refuses it without one)"},
	{"max_fails", "svcdns takes an upstream down after 2 failures in a row, fixed"},
	{"expire", "svcdns keeps no upstream connections open"},
	{"max_idle_conns", "svcdns keeps no upstream connections open"},
	{"max_age", "svcdns keeps no upstream connections open"},
	{NULL, NULL},
};

/* Where kubernetes connects, and its multicluster option; an option's
   name 0: not given. */
struct kube_source {
	struct option endpoint, tls, kubeconfig, multicluster;
};

/* Zones of one plugin, normalized (CoreDNS's k8s.Zones less the root). */
struct zone_list {
	char *z[ZONES_MAX]; /* owned */
	size_t n;
};

static bool zone_listed(const struct zone_list *zl, const char *z)
{
	size_t i;

	for (i = 0; i < zl->n; i++)
		if (strcmp(zl->z[i], z) == 0)
			return true;
	return false;
}

/* Takes z (owned) into zl. */
static void zone_add(struct conv *c, struct zone_list *zl, char *z, unsigned line,
                     const char *what)
{
	if (zone_listed(zl, z)) {
		free(z);
	} else if (zl->n == ZONES_MAX) {
		report(c, line, what, "more than %d zones in one plugin", ZONES_MAX);
		free(z);
	} else {
		zl->z[zl->n++] = z;
	}
}

static void zones_free(struct zone_list *zl)
{
	size_t i;

	for (i = 0; i < zl->n; i++)
		free(zl->z[i]);
	zl->n = 0;
}

/* The plugin's zones: its arguments, or the block's (CoreDNS's
   OriginsFromArgsOrServerBlock). The root is reported, not listed. */
static void kubernetes_zones(struct conv *c, const struct server *s, const struct directive *d,
                             struct zone_list *zl)
{
	char what[WHAT_MAX];
	unsigned line = c->tok[d->name].line;
	const char *why;
	struct key k;
	size_t i;
	char *z;

	describe(c, NULL, d->name, 1 + d->nargs, what, sizeof(what));
	if ((d->nargs == 0 && s->root) || (d->nargs == 1 && tok_is(c, d->name + 1, ".")))
		report(c, line, what, "the root zone as the cluster zone: svcdns serves the cluster "
		                      "under --domain zones only");
	if (d->nargs == 0) {
		for (i = 0; i < s->nzones; i++)
			if ((z = dup_n(c, s->zones[i], strlen(s->zones[i]))))
				zone_add(c, zl, z, line, what);
		return;
	}
	for (i = 0; i < d->nargs; i++) {
		parse_key(arg(c, d, i), CD_PORT, &k);
		if (k.why || !(z = zone_norm(c, k.zone, k.zlen, &why))) {
			if (!c->oom)
				report(c, line, what, "%s: %s", arg(c, d, i), k.why ? k.why : why);
			continue;
		}
		if (strcmp(z, ".") == 0)
			free(z);
		else
			zone_add(c, zl, z, line, what);
	}
}

/* "multicluster ZONES...": each zone is served from ServiceImports
   (--multicluster) and is no cluster zone. As CoreDNS reads it
   (OriginsFromArgsOrServerBlock with an empty server block): the zones
   are the arguments only, never the plugin's or the block's, so a bare
   "multicluster" names none; an argument that is no zone is dropped
   without a word (reported here: it was meant to be one); a zone that is
   not among the plugin's own is refused. */
static void kubernetes_multicluster(struct conv *c, const struct directive *d,
                                    const struct option *o, const struct zone_list *zl,
                                    struct zone_list *mc)
{
	char what[WHAT_MAX], zones[WHAT_MAX];
	unsigned line = c->tok[o->name].line;
	size_t i, pos = 0, read = 0;
	const char *why;
	struct key k;
	char *z;

	option_what(c, d, o, what, sizeof(what));
	zones[0] = '\0';
	for (i = 0; i < zl->n; i++) {
		if (pos + 1 < sizeof(zones) && i)
			zones[pos++] = ' ';
		put_text(zones, sizeof(zones), &pos, zl->z[i]);
	}
	for (i = 0; i < o->nargs; i++) {
		parse_key(oarg(c, o, i), CD_PORT, &k);
		if (k.why || !(z = zone_norm(c, k.zone, k.zlen, &why))) {
			if (!c->oom)
				report(c, line, what, "%s: %s (CoreDNS drops it without a word)",
				       oarg(c, o, i), k.why ? k.why : why);
			continue;
		}
		read++;
		if (strcmp(z, ".") == 0) {
			report(c, line, what, "the root zone as a multicluster zone: svcdns's "
			                      "--multicluster takes a zone below it (clusterset.local)");
			free(z);
		} else if (is_reverse(z)) {
			report(c, line, what, "%s: a reverse zone as a multicluster zone: ServiceImports "
			                      "have names, reverse zones answer addresses", z);
			free(z);
		} else if (!zone_listed(zl, z)) {
			report(c, line, what, "%s is not among the plugin's zones (%s): CoreDNS refuses "
			                      "this too (\"is not authoritative for the multicluster "
			                      "zone\"); add it to the kubernetes line",
			       z, zones);
			free(z);
		} else {
			zone_add(c, mc, z, line, what);
		}
	}
	if (read == 0 && !c->oom)
		report(c, line, what, "names no zone: CoreDNS then serves no multicluster zone (it "
		                      "takes them from this line only, not from the plugin's or the "
		                      "block's zones); name the zones, or drop the line");
}

/* --domain for the plugin's zones but the multicluster ones and the
   reverse ones (always served); --multicluster for those. */
static void kubernetes_domains(struct conv *c, const struct directive *d,
                               const struct zone_list *zl, const struct option *mco,
                               const struct zone_list *mc)
{
	char what[WHAT_MAX];
	unsigned line = c->tok[d->name].line;
	const char *primary = NULL;
	bool domains = false;
	size_t i;

	describe(c, NULL, d->name, 1 + d->nargs, what, sizeof(what));
	for (i = 0; i < zl->n; i++) {
		if (is_reverse(zl->z[i]))
			continue;
		if (!primary)
			primary = zl->z[i];
		if (!zone_listed(mc, zl->z[i])) {
			add_many(c, F_DOMAIN, zl->z[i], line, what);
			domains = true;
		}
	}
	/* CoreDNS names PTR targets in its first zone that is not a reverse
	   one, multicluster or not; svcdns in the first --domain. (No
	   --domain at all is reported in finish().) */
	if (domains && primary && zone_listed(mc, primary))
		report(c, line, what, "%s, the first zone, names CoreDNS's PTR targets, and it is a "
		                      "multicluster zone; svcdns names them in the first --domain: "
		                      "list a cluster zone first",
		       primary);
	if (!mco->name)
		return;
	if (mc->n && !c->mcs_option_line)
		c->mcs_option_line = c->tok[mco->name].line;
	option_what(c, d, mco, what, sizeof(what));
	for (i = 0; i < mc->n; i++)
		add_many(c, F_MULTICLUSTER, mc->z[i], c->tok[mco->name].line, what);
}

/* The option's arguments joined by sep as one value of f: "a,b" for
   namespaces; a label selector's words joined by spaces, as CoreDNS does. */
static void set_joined(struct conv *c, enum flag f, const struct directive *d,
                       const struct option *o, const char *sep)
{
	char what[WHAT_MAX];
	char *v = join_args(c, o, sep);

	option_what(c, d, o, what, sizeof(what));
	if (!v) {
		if (!c->oom)
			option_report(c, d, o, "longer than %d bytes", VALUE_MAX);
		return;
	}
	if (flag_table[f].arity == MANY)
		add_many(c, f, v, c->tok[o->name].line, what);
	else
		set_one(c, f, v, c->tok[o->name].line, what);
	free(v);
}

/* Every zone the option names is a reverse zone (or it names none). */
static bool only_reverse(struct conv *c, const struct option *o)
{
	const char *why;
	struct key k;
	size_t i;
	char *z;
	bool rev;

	for (i = 0; i < o->nargs; i++) {
		parse_key(oarg(c, o, i), CD_PORT, &k);
		if (k.why || !(z = zone_norm(c, k.zone, k.zlen, &why)))
			return false;
		rev = is_reverse(z);
		free(z);
		if (!rev)
			return false;
	}
	return true;
}

static void kubernetes_option(struct conv *c, const struct directive *d, const struct option *o,
                              struct kube_source *src)
{
	char what[WHAT_MAX];
	const char *name = c->tok[o->name].s, *a = o->nargs ? oarg(c, o, 0) : "";
	unsigned line = c->tok[o->name].line;
	unsigned long n;
	size_t i;

	option_what(c, d, o, what, sizeof(what));
	if (o->nested) {
		option_report(c, d, o, "a block inside an option: CoreDNS refuses this too");
	} else if (strcmp(name, "endpoint") == 0 && o->nargs) {
		src->endpoint = *o;
		if (o->nargs > 1)
			note(c, line, what, "only the first URL is used, as CoreDNS does");
	} else if (strcmp(name, "tls") == 0 && o->nargs == 3) {
		src->tls = *o;
	} else if (strcmp(name, "kubeconfig") == 0 && (o->nargs == 1 || o->nargs == 2)) {
		src->kubeconfig = *o;
	} else if (strcmp(name, "namespaces") == 0 && o->nargs) {
		for (i = 0; i < o->nargs && !strchr(oarg(c, o, i), ','); i++)
			;
		if (i < o->nargs)
			option_report(c, d, o, "a namespace name with a ','");
		else
			set_joined(c, F_NAMESPACES, d, o, ",");
	} else if ((strcmp(name, "labels") == 0 || strcmp(name, "namespace_labels") == 0) &&
	           o->nargs) {
		set_joined(c, name[0] == 'l' ? F_LABELS : F_NAMESPACE_LABELS, d, o, " ");
	} else if (strcmp(name, "pods") == 0 && o->nargs == 1 &&
	           (!strcmp(a, "disabled") || !strcmp(a, "insecure") || !strcmp(a, "verified"))) {
		set_one(c, F_PODS, a, line, what);
	} else if (strcmp(name, "ttl") == 0 && o->nargs == 1 && parse_num(a, 3600, &n)) {
		set_num(c, F_TTL, n, line, what);
	} else if (strcmp(name, "fallthrough") == 0) {
		/* svcdns forwards the reverse names it does not know; a cluster
		   name it does not know is NXDOMAIN. */
		if (!only_reverse(c, o))
			option_report(c, d, o, "svcdns answers NXDOMAIN for cluster names it does not "
			                       "have; only reverse names fall through (to the upstreams)");
	} else if (strcmp(name, "endpoint_pod_names") == 0 && o->nargs == 0) {
		set_bare(c, F_ENDPOINT_POD_NAMES, line);
	} else if (strcmp(name, "ignore") == 0 && o->nargs == 1 && !strcmp(a, "empty_service")) {
		set_bare(c, F_IGNORE_EMPTY_SERVICE, line);
	} else if (strcmp(name, "noendpoints") == 0 && o->nargs == 0) {
		set_bare(c, F_NO_ENDPOINTS, line);
	} else if (strcmp(name, "multicluster") == 0) {
		/* A later line replaces an earlier one, as in CoreDNS. */
		if (src->multicluster.name)
			note(c, c->tok[src->multicluster.name].line, "kubernetes: multicluster",
			     "ignored: line %u's multicluster replaces it (CoreDNS reads the last one "
			     "too)",
			     line);
		src->multicluster = *o;
	} else if (strcmp(name, "startup_timeout") == 0) {
		/* svcdns serves from the start: SERVFAIL for cluster names until
		   the first lists are in, forwarding at once. */
	} else if (in_list(kubernetes_options, name)) {
		option_report(c, d, o, "arguments CoreDNS refuses too (see its kubernetes README)");
	} else {
		option_report(c, d, o, "%s", reason_of(kubernetes_reasons, name));
	}
}

/* kubeconfig wins over endpoint and tls, as in CoreDNS; tls is read only
   with an endpoint. */
static void kubernetes_source(struct conv *c, const struct directive *d,
                              const struct kube_source *src)
{
	char what[WHAT_MAX];
	const struct option *kc = &src->kubeconfig, *ep = &src->endpoint, *tls = &src->tls;

	if (kc->name) {
		option_what(c, d, kc, what, sizeof(what));
		set_one(c, F_KUBECONFIG, oarg(c, kc, 0), c->tok[kc->name].line, what);
		if (kc->nargs == 2)
			set_one(c, F_KUBE_CONTEXT, oarg(c, kc, 1), c->tok[kc->name].line, what);
		if (ep->name)
			note(c, c->tok[ep->name].line, "kubernetes: endpoint",
			     "ignored: kubeconfig is given (CoreDNS ignores it too)");
		if (tls->name)
			note(c, c->tok[tls->name].line, "kubernetes: tls",
			     "ignored: kubeconfig is given (CoreDNS ignores it too)");
	} else if (ep->name) {
		option_what(c, d, ep, what, sizeof(what));
		set_one(c, F_APISERVER, oarg(c, ep, 0), c->tok[ep->name].line, what);
		if (tls->name) {
			option_what(c, d, tls, what, sizeof(what));
			set_one(c, F_CA_FILE, oarg(c, tls, 2), c->tok[tls->name].line, what);
			report(c, c->tok[tls->name].line, what,
			       "a client certificate and key: svcdns takes client credentials from a "
			       "kubeconfig (--kubeconfig); the CA became --ca-file");
		}
	} else if (tls->name) {
		note(c, c->tok[tls->name].line, "kubernetes: tls",
		     "ignored: no endpoint, so CoreDNS connects in-cluster and ignores it too");
	}
}

static void conv_kubernetes(struct conv *c, struct server *s, const struct directive *d)
{
	struct kube_source src;
	struct zone_list zl, mc;
	struct option o;
	size_t pos;

	s->kubernetes = c->kubernetes = true;
	memset(&src, 0, sizeof(src));
	zl.n = mc.n = 0;
	kubernetes_zones(c, s, d, &zl);
	for (pos = d->open + 1; next_option(c, &pos, d, &o);)
		kubernetes_option(c, d, &o, &src);
	if (src.multicluster.name)
		kubernetes_multicluster(c, d, &src.multicluster, &zl, &mc);
	kubernetes_domains(c, d, &zl, &src.multicluster, &mc);
	kubernetes_source(c, d, &src);
	zones_free(&zl);
	zones_free(&mc);
}

/* A forward target's address, file, or why it is neither for svcdns. */
enum target_kind { T_ADDR, T_FILE, T_BAD };

static enum target_kind classify_target(const char *t, const char **addr, const char **why)
{
	const char *sep = strstr(t, "://");

	*why = NULL;
	*addr = t;
	if (sep) {
		if (sep - t != 3 || strncmp(t, "dns", 3) != 0) {
			*why = "an upstream over TLS, HTTPS, gRPC or QUIC: svcdns forwards plain DNS";
			return T_BAD;
		}
		*addr = t = sep + 3;
	}
	if (ip_target(t))
		return T_ADDR;
	if (strchr(t, '%')) {
		*why = "an IPv6 address with a zone index: svcdns takes plain addresses";
		return T_BAD;
	}
	if (strchr(t, '/'))
		return T_FILE;
	*why = "a host name or an unusable address: svcdns's upstreams are addresses";
	return T_BAD;
}

/* A forward's TO list as svcdns can take it. */
struct targets {
	const char *addr[TARGETS_MAX], *file[TARGETS_MAX];
	size_t naddrs, nfiles;
};

static void forward_targets(struct conv *c, const struct directive *d, struct targets *t)
{
	char what[WHAT_MAX];
	const char *a, *why;
	size_t i;

	describe(c, NULL, d->name, 1 + d->nargs, what, sizeof(what));
	for (i = 1; i < d->nargs; i++) {
		switch (classify_target(arg(c, d, i), &a, &why)) {
		case T_ADDR:
			if (t->naddrs < TARGETS_MAX)
				t->addr[t->naddrs++] = a;
			break;
		case T_FILE:
			if (t->nfiles < TARGETS_MAX)
				t->file[t->nfiles++] = a;
			break;
		case T_BAD:
			report(c, c->tok[d->name].line, what, "%s: %s", arg(c, d, i), why);
			break;
		}
	}
}

static void forward_option(struct conv *c, const struct directive *d, const struct option *o)
{
	char what[WHAT_MAX];
	const char *a = o->nargs == 1 ? oarg(c, o, 0) : "";
	unsigned long n;

	option_what(c, d, o, what, sizeof(what));
	if (o->nested)
		option_report(c, d, o, "a block inside an option: CoreDNS refuses this too");
	else if (oname(c, o, "max_concurrent") && strcmp(a, "1000") == 0)
		; /* svcdns's limit, built in (REFUSED beyond it) */
	else if (oname(c, o, "policy") && strcmp(a, "random") == 0)
		; /* svcdns's default too: healthy upstreams first, from a random one */
	else if (oname(c, o, "policy") && (strcmp(a, "round_robin") == 0 ||
	                                   strcmp(a, "sequential") == 0))
		set_one(c, F_FORWARD_POLICY, a, c->tok[o->name].line, what);
	else if (oname(c, o, "force_tcp") && o->nargs == 0)
		set_bare(c, F_FORCE_TCP, c->tok[o->name].line);
	else if (oname(c, o, "max_fails") && strcmp(a, "2") == 0)
		; /* svcdns's: down after two failures in a row */
	else if (oname(c, o, "health_check") && o->nargs >= 1)
		note(c, c->tok[o->name].line, what, "svcdns probes a down upstream with . IN NS "
		     "every 0.5 s, whatever the interval and options given");
	else if (oname(c, o, "read_timeout") && duration_in(a, 1000000, 60000, &n) && n >= 50)
		set_num(c, F_FORWARD_TIMEOUT, n, c->tok[o->name].line, what);
	else
		option_report(c, d, o, "%s", reason_of(forward_reasons, c->tok[o->name].s));
}

/* "forward . TO..." in the root zone's block: the upstreams. */
static void forward_root(struct conv *c, const struct directive *d, const struct targets *t)
{
	char what[WHAT_MAX];
	unsigned line = c->tok[d->name].line;
	size_t i;

	describe(c, NULL, d->name, 1 + d->nargs, what, sizeof(what));
	if (c->root_forward) {
		report(c, line, what, "a second forward for the root zone: svcdns has one set of "
		                      "upstreams");
		return;
	}
	c->root_forward = true;
	for (i = 0; i < t->naddrs; i++)
		add_many(c, F_UPSTREAM, t->addr[i], line, what);
	for (i = 0; i < t->nfiles; i++) {
		if (t->naddrs || i > 0)
			report(c, line, what, "%s: svcdns reads one --resolv-conf, and only when no "
			                      "--upstream is given", t->file[i]);
		else if (strcmp(t->file[i], "/etc/resolv.conf") != 0) /* svcdns's default */
			set_one(c, F_RESOLV_CONF, t->file[i], line, what);
	}
}

/* --stub-domain ZONE=ADDR,ADDR... */
static void forward_stub(struct conv *c, const struct directive *d, const char *zone,
                         const struct targets *t)
{
	char what[WHAT_MAX], v[VALUE_MAX + 2];
	size_t i, pos;

	describe(c, NULL, d->name, 1 + d->nargs, what, sizeof(what));
	if (!t->naddrs)
		return;
	pos = (size_t)snprintf(v, sizeof(v), "%s=", zone);
	for (i = 0; i < t->naddrs && pos < sizeof(v); i++)
		pos += (size_t)snprintf(v + pos, sizeof(v) - pos, "%s%s", i ? "," : "", t->addr[i]);
	if (pos >= sizeof(v))
		report(c, c->tok[d->name].line, what, "longer than %d bytes", VALUE_MAX);
	else
		add_many(c, F_STUB_DOMAIN, v, c->tok[d->name].line, what);
}

static void conv_forward(struct conv *c, struct server *s, const struct directive *d)
{
	char what[WHAT_MAX];
	unsigned line = c->tok[d->name].line;
	struct targets t;
	struct option o;
	const char *why;
	struct key k;
	size_t i, pos;
	char *from;

	describe(c, NULL, d->name, 1 + d->nargs, what, sizeof(what));
	if (d->nargs < 2) {
		report(c, line, what, "expects FROM and TO... (CoreDNS refuses this too)");
		return;
	}
	parse_key(arg(c, d, 0), CD_PORT, &k);
	if (k.why || !(from = zone_norm(c, k.zone, k.zlen, &why))) {
		if (!c->oom)
			report(c, line, what, "%s: %s", arg(c, d, 0), k.why ? k.why : why);
		return;
	}
	memset(&t, 0, sizeof(t));
	forward_targets(c, d, &t);
	for (pos = d->open + 1; next_option(c, &pos, d, &o);)
		forward_option(c, d, &o);
	if (strcmp(from, ".") == 0 && s->root) {
		forward_root(c, d, &t);
	} else {
		/* A stub domain: FROM, or "." standing for the block's zones. */
		s->forwarded = true;
		for (i = 0; i < t.nfiles; i++)
			report(c, line, what, "%s: svcdns's stub domains take addresses, not a "
			                      "resolv.conf", t.file[i]);
		if (strcmp(from, ".") != 0)
			forward_stub(c, d, from, &t);
		for (i = 0; strcmp(from, ".") == 0 && i < s->nzones; i++)
			forward_stub(c, d, s->zones[i], &t);
	}
	free(from);
}

/* What a cache directive sets; [0] answers (success), [1] denials. */
struct cache_conf {
	unsigned long ttl;    /* its TTL argument; 0: none */
	unsigned long cap[2]; /* capacities, CoreDNS's default when not given */
	unsigned long max[2]; /* the TTLs of success and denial; 0: none */
	unsigned line[2];
	bool caps;            /* a capacity was given */
};

/* "success|denial CAPACITY [TTL [MINTTL]]" */
static void cache_capacity(struct conv *c, const struct directive *d, const struct option *o,
                           struct cache_conf *cc)
{
	int k = oname(c, o, "success") ? 0 : 1;
	unsigned long n;

	if (o->nargs < 1 || o->nargs > 3 || !parse_num(oarg(c, o, 0), 10000000, &n)) {
		option_report(c, d, o, "expects CAPACITY [TTL [MINTTL]], a capacity up to 10000000");
		return;
	}
	cc->caps = true;
	cc->cap[k] = n;
	if (o->nargs >= 2) {
		if (!parse_num(oarg(c, o, 1), 86400ul * 365, &n) || n == 0) {
			option_report(c, d, o, "a TTL that is not a positive number");
			return;
		}
		cc->max[k] = n;
		cc->line[k] = c->tok[o->name].line;
	}
	if (o->nargs == 3)
		option_report(c, d, o, "a minimum TTL: svcdns caches an answer for its own TTL, up "
		                       "to --cache-ttl");
}

/* "disable success|denial ZONES": silent when every zone is a cluster
   domain (kubeadm's) or a multicluster zone (Cilium's MCS recipe adds
   clusterset.local to these lines), which is known only once every
   kubernetes directive has been read: checked in finish(). */
static void cache_disable(struct conv *c, const struct directive *d, const struct option *o)
{
	char what[WHAT_MAX], zones[VALUE_MAX + 1];
	size_t zpos = 0, k;
	const char *why;
	struct key key;
	char *z;

	if (o->nargs == 0 ||
	    (strcmp(oarg(c, o, 0), "success") != 0 && strcmp(oarg(c, o, 0), "denial") != 0)) {
		option_report(c, d, o, "expects success or denial, then zones");
		return;
	}
	zones[0] = '\0';
	for (k = 1; k < o->nargs && zpos < sizeof(zones); k++) {
		parse_key(oarg(c, o, k), CD_PORT, &key);
		if (key.why || !(z = zone_norm(c, key.zone, key.zlen, &why)))
			break;
		zpos += (size_t)snprintf(zones + zpos, sizeof(zones) - zpos, "%s%s", zpos ? " " : "", z);
		free(z);
	}
	if (o->nargs == 1 || k < o->nargs || zpos >= sizeof(zones) || c->n_pending == PENDING_MAX) {
		option_report(c, d, o, "svcdns caches every forwarded answer and denial");
		return;
	}
	option_what(c, d, o, what, sizeof(what));
	c->pending[c->n_pending].what = dup_n(c, what, strlen(what));
	c->pending[c->n_pending].zones = dup_n(c, zones, strlen(zones));
	c->pending[c->n_pending].line = c->tok[o->name].line;
	c->n_pending++;
}

/* svcdns keeps one cache, its size the sum of CoreDNS's two, and one TTL
   that caps answers and denials alike. */
static void cache_flags(struct conv *c, const struct cache_conf *cc, unsigned line)
{
	unsigned long answers = cc->max[0] ? cc->max[0] : cc->ttl;
	unsigned long denials = cc->max[1] ? cc->max[1] : cc->ttl;
	unsigned long expect = answers ? answers : 1800; /* svcdns's cap for denials */
	char what[48];

	if (cc->caps && cc->cap[0] + cc->cap[1] > 10000000)
		report(c, line, "cache", "a capacity over svcdns's 10000000 entries");
	else if (cc->caps)
		set_num(c, F_CACHE_SIZE, cc->cap[0] + cc->cap[1], line,
		        "cache: success + denial capacity");
	if (answers > 86400)
		report(c, cc->line[0] ? cc->line[0] : line, "cache", "a TTL over svcdns's 86400 seconds");
	else if (answers)
		set_num(c, F_CACHE_TTL, answers, cc->line[0] ? cc->line[0] : line, "cache: TTL");
	if (denials && denials != expect) {
		snprintf(what, sizeof(what), "cache: denial TTL %lu", denials);
		report(c, cc->line[1] ? cc->line[1] : line, what,
		       "svcdns caps denials at --cache-ttl too (%lu)", expect);
	}
}

static void conv_cache(struct conv *c, struct server *s, const struct directive *d)
{
	char what[WHAT_MAX];
	unsigned line = c->tok[d->name].line;
	struct cache_conf cc = {0, {CD_CACHE_CAP, CD_CACHE_CAP}, {0, 0}, {0, 0}, false};
	struct option o;
	size_t i = 0, pos;

	(void)s;
	c->global_cache = true;
	describe(c, NULL, d->name, 1 + d->nargs, what, sizeof(what));
	/* A first argument of digits is the TTL, the rest zones. */
	if (d->nargs && arg(c, d, 0)[strspn(arg(c, d, 0), "0123456789")] == '\0') {
		if (!parse_num(arg(c, d, 0), 86400ul * 365, &cc.ttl) || cc.ttl == 0) {
			report(c, line, what, "a TTL that is not from 1 second to a year (CoreDNS "
			                      "refuses 0 too)");
			return;
		}
		i = 1;
	}
	for (; i < d->nargs && strcmp(arg(c, d, i), ".") == 0; i++)
		;
	if (i < d->nargs)
		report(c, line, what, "caching for some zones only: svcdns caches every forwarded "
		                      "answer and never a cluster name");
	for (pos = d->open + 1; next_option(c, &pos, d, &o);) {
		if (o.nested)
			option_report(c, d, &o, "a block inside an option: CoreDNS refuses this too");
		else if (oname(c, &o, "success") || oname(c, &o, "denial"))
			cache_capacity(c, d, &o, &cc);
		else if (oname(c, &o, "disable"))
			cache_disable(c, d, &o);
		else if (oname(c, &o, "serve_stale") && cache_serve_stale(c, &o))
			; /* --serve-stale */
		else if (oname(c, &o, "prefetch") && o.nargs <= 3) {
			/* svcdns refreshes any entry asked in its last tenth */
			set_bare(c, F_PREFETCH, c->tok[o.name].line);
			if (o.nargs) {
				char w[WHAT_MAX];
				option_what(c, d, &o, w, sizeof(w));
				note(c, c->tok[o.name].line, w, "svcdns's --prefetch refreshes an "
				     "entry asked once in the last 10%% of its TTL, whatever the "
				     "amount, duration and percentage");
			}
		}
		else
			option_report(c, d, &o, "%s", reason_of(cache_reasons, c->tok[o.name].s));
	}
	cache_flags(c, &cc, line);
}

/* "serve_stale [DURATION [verify]]" (CoreDNS's default duration 1h):
   --serve-stale SECONDS. svcdns serves a stale answer only once every
   upstream has failed, which is CoreDNS's "verify"; "immediate" (serve
   first, refresh after) is not converted. False: not convertible. */
static bool cache_serve_stale(struct conv *c, const struct option *o)
{
	char what[WHAT_MAX];
	unsigned long n = 3600;

	if (o->nargs > 2 || (o->nargs == 2 && strcmp(oarg(c, o, 1), "verify") != 0))
		return false;
	if (o->nargs >= 1 && !duration_in(oarg(c, o, 0), 1000000000, 604800, &n))
		return false;
	describe(c, NULL, o->name, 1 + o->nargs, what, sizeof(what));
	set_num(c, F_SERVE_STALE, n, c->tok[o->name].line, what);
	return true;
}

/* /health, /ready and /metrics: one address each, merged in finish(). */
static void endpoint_set(struct conv *c, enum endpoint_kind kind, const struct directive *d,
                         const char *def)
{
	char what[WHAT_MAX], addr[80];
	const char *a = d->nargs ? arg(c, d, 0) : def;
	unsigned line = c->tok[d->name].line;
	struct endpoint *e = &c->ep[kind];

	describe(c, NULL, d->name, 1 + d->nargs, what, sizeof(what));
	if (d->nargs > 1) {
		report(c, line, what, "expects one address (CoreDNS refuses this too)");
		return;
	}
	if (!http_addr(a, addr, sizeof(addr))) {
		report(c, line, what, "%s: svcdns's --http takes ADDR:PORT with a numeric address", a);
		return;
	}
	if (!e->addr[0]) {
		snprintf(e->addr, sizeof(e->addr), "%s", addr);
		e->line = line;
	} else if (strcmp(e->addr, addr) != 0) {
		note(c, line, what, "served with the other endpoints on one --http address");
	}
}

static void conv_health(struct conv *c, struct server *s, const struct directive *d)
{
	char what[WHAT_MAX];
	struct option o;
	size_t pos;
	unsigned long n;

	(void)s;
	endpoint_set(c, EP_HEALTH, d, CD_HEALTH);
	for (pos = d->open + 1; next_option(c, &pos, d, &o);) {
		option_what(c, d, &o, what, sizeof(what));
		if (!o.nested && oname(c, &o, "lameduck") && o.nargs == 1) {
			c->lameduck = true; /* given: no default in finish() */
			if (!duration_in(oarg(c, &o, 0), 1000000000, 3600, &n))
				option_report(c, d, &o, "svcdns's --lameduck is whole seconds from 0 to 3600");
			else
				set_num(c, F_LAMEDUCK, n, c->tok[o.name].line, what);
		} else {
			option_report(c, d, &o, "an option svcdns has no equivalent of");
		}
	}
}

static void conv_ready(struct conv *c, struct server *s, const struct directive *d)
{
	struct option o;
	size_t pos;

	(void)s;
	endpoint_set(c, EP_READY, d, CD_READY);
	for (pos = d->open + 1; next_option(c, &pos, d, &o);) {
		if (!o.nested && oname(c, &o, "monitor") && o.nargs == 1 &&
		    strcmp(oarg(c, &o, 0), "until-ready") == 0)
			continue; /* CoreDNS's default */
		if (oname(c, &o, "monitor"))
			option_report(c, d, &o, "svcdns's /ready turns 200 once the first lists are in "
			                        "and 503 only in the lame duck");
		else
			option_report(c, d, &o, "an option svcdns has no equivalent of");
	}
}

static void conv_prometheus(struct conv *c, struct server *s, const struct directive *d)
{
	(void)s;
	endpoint_set(c, EP_PROMETHEUS, d, CD_PROMETHEUS);
	no_options(c, d, "svcdns exports its own metrics only, no Go runtime metrics");
}

static void conv_log(struct conv *c, struct server *s, const struct directive *d)
{
	char what[WHAT_MAX];
	struct option o;
	size_t pos, i;
	bool ok = true;

	(void)s;
	describe(c, NULL, d->name, 1 + d->nargs, what, sizeof(what));
	for (i = 0; i < d->nargs; i++) {
		const char *a = arg(c, d, i);
		if (i + 1 == d->nargs && d->nargs > 1 && strchr(a, '{')) {
			if (strcmp(a, "{common}") != 0) {
				report(c, c->tok[d->name].line, what,
				       "a log format: svcdns's query log line is its own (client, proto, "
				       "qname, qtype, rcode, duration)");
				ok = false;
			}
		} else if (strcmp(a, ".") != 0) {
			report(c, c->tok[d->name].line, what,
			       "logging some names only: --log-queries logs every query");
			ok = false;
			break;
		}
	}
	for (pos = d->open + 1; next_option(c, &pos, d, &o);) {
		if (!o.nested && oname(c, &o, "class") && o.nargs == 1 &&
		    strcmp(oarg(c, &o, 0), "all") == 0)
			continue;
		option_report(c, d, &o, oname(c, &o, "class")
		                            ? "logging some answers only: --log-queries logs every "
		                              "query (errors are logged anyway)"
		                            : "an option svcdns has no equivalent of");
		ok = false;
	}
	if (ok)
		set_bare(c, F_LOG_QUERIES, c->tok[d->name].line);
}

static void conv_loadbalance(struct conv *c, struct server *s, const struct directive *d)
{
	char what[WHAT_MAX];

	(void)s;
	c->global_loadbalance = true;
	describe(c, NULL, d->name, 1 + d->nargs, what, sizeof(what));
	if (d->nargs > 1 || (d->nargs == 1 && strcmp(arg(c, d, 0), "round_robin") != 0))
		report(c, c->tok[d->name].line, what,
		       "svcdns's one policy is round_robin (--loadbalance round_robin|none)");
	no_options(c, d, "svcdns's round_robin has no options");
}

static void conv_hosts(struct conv *c, struct server *s, const struct directive *d)
{
	char what[WHAT_MAX];
	const char *file = "/etc/hosts";
	unsigned line = c->tok[d->name].line;
	bool fall = false, inline_reported = false;
	struct option o;
	size_t pos, i;
	unsigned long n;

	describe(c, NULL, d->name, 1 + d->nargs, what, sizeof(what));
	if (!s->global) {
		report(c, line, what, "hosts in a block for other zones: svcdns's --hosts answers "
		                      "for every name, from the main server");
		return;
	}
	if (d->nargs)
		file = arg(c, d, 0);
	for (i = 1; i < d->nargs; i++)
		if (strcmp(arg(c, d, i), ".") != 0)
			break;
	if (i < d->nargs)
		report(c, line, what, "hosts for some zones only: svcdns's --hosts answers for every "
		                      "name in the file");
	set_one(c, F_HOSTS, file, line, what);
	for (pos = d->open + 1; next_option(c, &pos, d, &o);) {
		unsigned ol = c->tok[o.name].line;

		option_what(c, d, &o, what, sizeof(what));
		if (o.nested) {
			option_report(c, d, &o, "a block inside an option: CoreDNS refuses this too");
		} else if (oname(c, &o, "ttl")) {
			if (o.nargs != 1 || !parse_num(oarg(c, &o, 0), 65535, &n) || n == 0)
				option_report(c, d, &o, "expects seconds from 1 to 65535");
			else
				set_num(c, F_HOSTS_TTL, n, ol, what);
		} else if (oname(c, &o, "reload")) {
			if (o.nargs != 1 || !duration_in(oarg(c, &o, 0), 1000000000, 86400, &n))
				option_report(c, d, &o, "svcdns's --hosts-reload is whole seconds from 0 to "
				                        "86400");
			else
				set_num(c, F_HOSTS_RELOAD, n, ol, what);
		} else if (oname(c, &o, "no_reverse") && o.nargs == 0) {
			set_bare(c, F_HOSTS_NO_REVERSE, ol);
		} else if (oname(c, &o, "fallthrough")) {
			fall = true;
			for (i = 0; i < o.nargs; i++)
				if (strcmp(oarg(c, &o, i), ".") != 0)
					option_report(c, d, &o, "falling through for some zones only: svcdns "
					                        "falls through for every name the file lacks");
		} else if (oname(c, &o, "fallthrough_unsupported")) {
			option_report(c, d, &o, "svcdns answers other types of a name in the file with "
			                        "no records (NOERROR), not from upstream");
		} else if (!inline_reported) {
			/* CoreDNS reads any other line as an inline hosts entry. */
			inline_reported = true;
			option_report(c, d, &o, "inline entries: svcdns reads them from the file only; "
			                        "add them to it");
		}
	}
	if (!fall) {
		describe(c, NULL, d->name, 1 + d->nargs, what, sizeof(what));
		report(c, line, what, "no fallthrough: svcdns always falls through to the cluster "
		                      "and the upstreams for names the file lacks");
	}
}

static void conv_bind(struct conv *c, struct server *s, const struct directive *d)
{
	char what[WHAT_MAX];
	unsigned line = c->tok[d->name].line;
	size_t i;

	describe(c, NULL, d->name, 1 + d->nargs, what, sizeof(what));
	if (!s->global) {
		report(c, line, what, "bind in a block for other zones: svcdns listens on the main "
		                      "server's addresses for every zone");
		return;
	}
	if (d->nargs == 0)
		report(c, line, what, "no address (CoreDNS refuses this too)");
	for (i = 0; i < d->nargs; i++) {
		if (is_ip(arg(c, d, i)))
			add_many(c, F_LISTEN, arg(c, d, i), line, what);
		else
			report(c, line, what, "%s: an interface or name: svcdns's --listen takes "
			                      "addresses", arg(c, d, i));
	}
	no_options(c, d, "svcdns listens on the addresses given, with no exceptions");
}

/* autopath [ZONE...] @kubernetes: the search path of the client's pod.
   (CoreDNS's needs "pods verified" as well; svcdns's watches the pods'
   addresses itself.) */
static void conv_autopath(struct conv *c, struct server *s, const struct directive *d)
{
	char what[WHAT_MAX];
	unsigned line = c->tok[d->name].line;

	(void)s;
	describe(c, NULL, d->name, 1 + d->nargs, what, sizeof(what));
	if (d->nargs == 0 || strcmp(arg(c, d, d->nargs - 1), "@kubernetes") != 0) {
		report(c, line, what, "svcdns's --autopath walks the search path of the client's "
		                      "pod (autopath @kubernetes), not one from a file");
		return;
	}
	set_bare(c, F_AUTOPATH, line);
	no_options(c, d, "an option svcdns has no equivalent of");
}

/* The multicluster plugin (github.com/coredns/multicluster, compiled into
   some CoreDNS images): "multicluster [ZONES...] { kubeconfig KUBECONFIG
   [CONTEXT]; noendpoints; fallthrough [ZONES...] }", its zones the
   arguments or the block's. svcdns's --multicluster serves the same
   names from the same ServiceImports and EndpointSlices, read over the
   one connection the kubernetes plugin's options chose: a kubeconfig
   other than that one is checked in finish(). Its options:
     - noendpoints turns the multicluster zone's endpoints off, which
       svcdns cannot do (its --no-endpoints leaves them, as the kubernetes
       plugin's noendpoints does): reported in finish().
     - fallthrough sends a name it lacks down the chain, to forward. The
       kubernetes plugin's fallthrough rule: one for reverse zones only
       changes nothing (it serves none), a bare one passes silently as the
       kubernetes plugin's does, one naming a forward zone is reported
       (svcdns answers NXDOMAIN itself).
   It answers with a TTL of 5, fixed; svcdns's multicluster zones answer
   with --ttl (checked in finish()). */
static void conv_multicluster(struct conv *c, struct server *s, const struct directive *d)
{
	char what[WHAT_MAX];
	unsigned line = c->tok[d->name].line;
	struct mcs_plugin *m = NULL;
	const char *why;
	struct option o;
	struct key k;
	size_t i, pos;
	char *z;

	s->multicluster = true;
	describe(c, NULL, d->name, 1 + d->nargs, what, sizeof(what));
	if (d->nargs == 0 && s->root)
		report(c, line, what, "the root zone (the block's) as the multicluster zone: svcdns's "
		                      "--multicluster takes a zone below it; name the zone "
		                      "(clusterset.local)");
	for (i = 0; d->nargs == 0 && i < s->nzones; i++) {
		if (is_reverse(s->zones[i]))
			report(c, line, what, "%s: a reverse zone as a multicluster zone: ServiceImports "
			                      "have names, reverse zones answer addresses", s->zones[i]);
		else
			add_many(c, F_MULTICLUSTER, s->zones[i], line, what);
	}
	for (i = 0; i < d->nargs; i++) {
		parse_key(arg(c, d, i), CD_PORT, &k);
		if (k.why || !(z = zone_norm(c, k.zone, k.zlen, &why))) {
			if (!c->oom)
				report(c, line, what, "%s: %s (CoreDNS drops it without a word)", arg(c, d, i),
				       k.why ? k.why : why);
			continue;
		}
		if (strcmp(z, ".") == 0)
			report(c, line, what, "the root zone as a multicluster zone: svcdns's "
			                      "--multicluster takes a zone below it (clusterset.local)");
		else if (is_reverse(z))
			report(c, line, what, "%s: a reverse zone as a multicluster zone: ServiceImports "
			                      "have names, reverse zones answer addresses", z);
		else
			add_many(c, F_MULTICLUSTER, z, line, what);
		free(z);
	}
	if (c->n_mcs < MCS_PLUGINS_MAX) {
		m = &c->mcs[c->n_mcs++];
		memset(m, 0, sizeof(*m));
		m->name = d->name;
		m->nargs = d->nargs;
	} else {
		report(c, line, what, "more than %d multicluster directives", MCS_PLUGINS_MAX);
	}
	for (pos = d->open + 1; next_option(c, &pos, d, &o);) {
		if (o.nested) {
			option_report(c, d, &o, "a block inside an option: CoreDNS refuses this too");
		} else if (oname(c, &o, "kubeconfig") && (o.nargs == 1 || o.nargs == 2)) {
			if (m) {
				m->kubeconfig = o.name;
				m->kcargs = o.nargs;
			}
		} else if (oname(c, &o, "noendpoints") && o.nargs == 0) {
			if (m)
				m->noendpoints = o.name;
		} else if (oname(c, &o, "fallthrough")) {
			if (!only_reverse(c, &o))
				option_report(c, d, &o, "svcdns answers NXDOMAIN for multicluster names it "
				                        "does not have, not from upstream");
		} else if (oname(c, &o, "kubeconfig") || oname(c, &o, "noendpoints")) {
			option_report(c, d, &o, "arguments CoreDNS refuses too (see the multicluster "
			                        "plugin's README)");
		} else {
			option_report(c, d, &o, "an option the multicluster plugin does not have "
			                        "(CoreDNS refuses it too)");
		}
	}
}

/* The multicluster plugin's connection against the kubernetes plugin's:
   svcdns reads ServiceImports over the one it has. */
static void mcs_source(struct conv *c, const struct mcs_plugin *m)
{
	const struct slot *kc = &c->flags[F_KUBECONFIG], *ctx = &c->flags[F_KUBE_CONTEXT],
			  *api = &c->flags[F_APISERVER];
	const char *file = m->kubeconfig ? c->tok[m->kubeconfig + 1].s : NULL;
	const char *context = m->kcargs == 2 ? c->tok[m->kubeconfig + 2].s : NULL;
	char what[WHAT_MAX], theirs[WHAT_MAX];
	unsigned line = c->tok[m->name].line;
	bool same;

	describe(c, NULL, m->name, 1 + m->nargs, what, sizeof(what));
	if (!c->kubernetes) {
		/* reported as missing; the one connection is this one */
		if (file) {
			set_one(c, F_KUBECONFIG, file, c->tok[m->kubeconfig].line, what);
			if (context)
				set_one(c, F_KUBE_CONTEXT, context, c->tok[m->kubeconfig].line, what);
		}
		return;
	}
	if (file)
		same = kc->n && strcmp(kc->v[0], file) == 0 &&
		       (context ? ctx->n && strcmp(ctx->v[0], context) == 0 : !ctx->n);
	else
		same = !kc->n && !api->n;
	if (same)
		return;
	if (kc->n)
		snprintf(theirs, sizeof(theirs), "kubeconfig %s%s%s", kc->v[0], ctx->n ? " " : "",
		         ctx->n ? ctx->v[0] : "");
	else if (api->n)
		snprintf(theirs, sizeof(theirs), "endpoint %s", api->v[0]);
	else
		snprintf(theirs, sizeof(theirs), "in-cluster");
	report(c, file ? c->tok[m->kubeconfig].line : line, what,
	       "reads ServiceImports %s%s%s%s, the kubernetes plugin its objects %s%s: svcdns reads "
	       "both over one connection (--kubeconfig, --apiserver, or in-cluster)",
	       file ? "with kubeconfig " : "in-cluster", file ? file : "", context ? " " : "",
	       context ? context : "", kc->n || api->n ? "with " : "", theirs);
}

static void conv_bufsize(struct conv *c, struct server *s, const struct directive *d)
{
	char what[WHAT_MAX];
	unsigned long n = 1232; /* CoreDNS's default, and svcdns's */

	(void)s;
	describe(c, NULL, d->name, 1 + d->nargs, what, sizeof(what));
	if (d->nargs > 1 || (d->nargs == 1 && (!parse_num(arg(c, d, 0), 4096, &n) || n < 512))) {
		report(c, c->tok[d->name].line, what, "expects a size from 512 to 4096 (CoreDNS "
		                                      "refuses this too)");
		return;
	}
	set_num(c, F_UDP_SIZE, n, c->tok[d->name].line, what);
	no_options(c, d, "an option svcdns has no equivalent of");
}

/* Endpoints in the multicluster zones: svcdns's --no-endpoints, as the
   kubernetes plugin's noendpoints, leaves them (it watches the slices of
   ServiceImports alone). The multicluster plugin's own noendpoints turns
   them off, which svcdns cannot do. */
static void mcs_endpoints(struct conv *c, const struct mcs_plugin *m)
{
	char what[WHAT_MAX];

	if (m && m->noendpoints) {
		describe(c, "multicluster", m->noendpoints, 1, what, sizeof(what));
		report(c, c->tok[m->noendpoints].line, what,
		       "svcdns cannot turn off the multicluster zone's endpoints: its "
		       "--no-endpoints, as the kubernetes plugin's noendpoints, leaves them");
	}
}

/* What only every block together tells about the multicluster zones:
   the multicluster plugin's connection and TTL, a zone served both ways,
   no cluster zone left. */
static void multicluster_finish(struct conv *c)
{
	const struct slot *dom = &c->flags[F_DOMAIN], *ttl = &c->flags[F_TTL];
	struct slot *mcz = &c->flags[F_MULTICLUSTER];
	char what[WHAT_MAX];
	size_t i, k;

	for (i = 0; i < c->n_mcs; i++) {
		const struct mcs_plugin *m = &c->mcs[i];

		mcs_source(c, m);
		mcs_endpoints(c, m);
		if (ttl->n && strcmp(ttl->v[0], "5") != 0) {
			describe(c, NULL, m->name, 1 + m->nargs, what, sizeof(what));
			report(c, c->tok[m->name].line, what,
			       "the multicluster plugin answers with a TTL of 5, fixed; svcdns's "
			       "multicluster zones answer with --ttl %s, as the kubernetes plugin's "
			       "multicluster option does",
			       ttl->v[0]);
		}
	}
	mcs_endpoints(c, NULL);
	/* Kept as the cluster zone (CoreDNS's kubernetes plugin answers before
	   the multicluster plugin), so that what is printed still starts. */
	for (i = 0; i < mcz->n;) {
		for (k = 0; k < dom->n && strcmp(dom->v[k], mcz->v[i]) != 0; k++)
			;
		if (k == dom->n) {
			i++;
			continue;
		}
		snprintf(what, sizeof(what), "multicluster %s", mcz->v[i]);
		report(c, mcz->line[i], what,
		       "also a cluster zone (--domain, line %u): svcdns serves a zone from Services "
		       "(--domain) or from ServiceImports (--multicluster), not both; kept as a "
		       "cluster zone",
		       dom->line[k]);
		free(mcz->v[i]);
		memmove(&mcz->v[i], &mcz->v[i + 1], (mcz->n - i - 1) * sizeof(mcz->v[0]));
		memmove(&mcz->line[i], &mcz->line[i + 1], (mcz->n - i - 1) * sizeof(mcz->line[0]));
		mcz->n--;
	}
	if (c->kubernetes && mcz->n && !dom->n)
		report(c, mcz->line[0], "multicluster",
		       "no cluster zone besides the multicluster zones: svcdns always serves one "
		       "(--domain, cluster.local by default)");
}

/* What only the whole file tells: defaults that differ, one HTTP
   address, the cache lines waiting for the cluster domains. */
static void finish(struct conv *c)
{
	static const char *const ep_name[EP_COUNT] = {"prometheus", "ready", "health"};
	const struct slot *dom = &c->flags[F_DOMAIN], *mcz = &c->flags[F_MULTICLUSTER];
	const struct endpoint *chosen = NULL;
	size_t i, k;
	char what[WHAT_MAX];

	for (i = 0; i < c->n_pending; i++) {
		struct pending *p = &c->pending[i];
		char *save = NULL, *z;
		bool all = p->zones != NULL && p->what != NULL;

		/* svcdns answers its multicluster zones from memory too */
		for (z = all ? strtok_r(p->zones, " ", &save) : NULL; z; z = strtok_r(NULL, " ", &save)) {
			bool ours = false;

			for (k = 0; k < dom->n && !ours; k++)
				ours = zone_within(z, dom->v[k]);
			for (k = 0; k < mcz->n && !ours; k++)
				ours = zone_within(z, mcz->v[k]);
			all = all && ours;
		}
		if (!all && p->what)
			report(c, p->line, p->what, "svcdns caches every forwarded answer and denial");
	}
	multicluster_finish(c);
	if (!c->global_line)
		return;
	if (c->main_port != CD_PORT)
		set_num(c, F_PORT, c->main_port, c->global_line, "port");
	/* CoreDNS refuses names outside its zones when nothing forwards them. */
	if (!c->root_forward)
		set_one(c, F_UPSTREAM, "none", c->global_line, "forward");
	if (!c->global_loadbalance)
		set_one(c, F_LOADBALANCE, "none", c->global_line, "loadbalance");
	if (!c->global_cache)
		set_one(c, F_CACHE_SIZE, "0", c->global_line, "cache");
	if (!c->lameduck)
		set_one(c, F_LAMEDUCK, "0", c->global_line, "health");
	for (i = 0; i < EP_COUNT && !chosen; i++)
		if (c->ep[i].addr[0])
			chosen = &c->ep[i];
	if (chosen) {
		bool loopback = strncmp(chosen->addr, "127.", 4) == 0 ||
		                strncmp(chosen->addr, "[::1]", 5) == 0;
		size_t order[EP_COUNT] = {EP_PROMETHEUS, EP_READY, EP_HEALTH};

		set_one(c, F_HTTP, chosen->addr, chosen->line, "http");
		/* In the order of the file. */
		for (i = 1; i < EP_COUNT; i++)
			for (k = i; k > 0 && c->ep[order[k]].line < c->ep[order[k - 1]].line; k--) {
				size_t t = order[k];
				order[k] = order[k - 1];
				order[k - 1] = t;
			}
		for (i = 0; i < EP_COUNT; i++) {
			const struct endpoint *e = &c->ep[order[i]];

			if (!e->addr[0] || strcmp(e->addr, chosen->addr) == 0)
				continue;
			snprintf(what, sizeof(what), "%s %s", ep_name[order[i]], e->addr);
			if (loopback && strncmp(e->addr, "127.", 4) != 0)
				note(c, e->line, what,
				     "served on --http %s (svcdns has one port for /health, /ready and "
				     "/metrics), out of the kubelet's reach: give --http an address the "
				     "pod's probes can reach, and point them there",
				     chosen->addr);
			else
				note(c, e->line, what,
				     "served on --http %s (svcdns has one port for /health, /ready and "
				     "/metrics): point the pod's probes there",
				     chosen->addr);
		}
	}
	if (!c->kubernetes)
		report(c, c->global_line, "kubernetes",
		       "missing: svcdns always serves a cluster zone (--domain, cluster.local by "
		       "default)");
}

static void print_flags(struct conv *c, FILE *out)
{
	size_t f, i;

	for (f = 0; f < F_COUNT; f++) {
		const struct slot *s = &c->flags[f];

		for (i = 0; i < s->n; i++) {
			if (flag_table[f].arity == BARE)
				fprintf(out, "--%s\n", flag_table[f].name);
			else if (strpbrk(s->v[i], " \t"))
				fprintf(out, "--%s=%s\n", flag_table[f].name, s->v[i]);
			else
				fprintf(out, "--%s %s\n", flag_table[f].name, s->v[i]);
		}
	}
}

static void release(struct conv *c)
{
	size_t f, i;

	for (f = 0; f < F_COUNT; f++)
		for (i = 0; i < c->flags[f].n; i++)
			free(c->flags[f].v[i]);
	for (i = 0; i < c->n_pending; i++) {
		free(c->pending[i].what);
		free(c->pending[i].zones);
	}
	free(c->tok);
	free(c->buf);
}

int corefile_convert(const char *text, size_t len, const char *name, FILE *out, FILE *errs)
{
	struct conv *c = calloc(1, sizeof(*c));
	int rc;

	if (!name)
		name = "Corefile";
	if (!c) {
		fprintf(errs, "%s: out of memory\n", name);
		return 1;
	}
	c->name = name;
	c->errs = errs;
	c->main_port = CD_PORT;
	if (!text)
		len = 0;
	if (len > TEXT_MAX) {
		rc = 1;
		fprintf(errs, "%s: larger than %u bytes: not a Corefile\n", name, TEXT_MAX);
	} else if (lex(c, text, len) < 0 || walk(c, false) < 0) {
		rc = 1;
	} else if (c->blocks == 0) {
		rc = 1;
		fprintf(errs, "%s: no server block: not a Corefile\n", name);
	} else {
		walk(c, true);
		finish(c);
		if (c->dropped)
			fprintf(errs, "%s: %zu more messages not shown\n", name, c->dropped);
		if (c->oom) {
			rc = 1;
		} else {
			print_flags(c, out);
			rc = c->status;
		}
	}
	if (c->oom)
		fprintf(errs, "%s: out of memory\n", name);
	release(c);
	free(c);
	return rc;
}
