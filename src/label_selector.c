/* label_selector.c - parse and match Kubernetes label selectors
 * (label_selector.h), with the syntax and meaning of apimachinery's
 * labels.Parse: "!=" and "notin" also match an object without the key. */
#include "label_selector.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum op { OP_EXISTS, OP_NOT_EXISTS, OP_IN, OP_NOT_IN, OP_GT, OP_LT };

struct requirement {
	char *key;
	enum op op;
	char **values; /* OP_IN, OP_NOT_IN (= and != are one-value sets) */
	size_t n_values;
	long long number; /* OP_GT, OP_LT */
};

struct label_selector {
	struct requirement *reqs;
	size_t n;
};

#define NAME_MAX_LEN 63
#define PREFIX_MAX_LEN 253

struct parser {
	const char *text;
	size_t pos;
	char *err;
	size_t errlen;
};

static int parse_requirement(struct parser *p, struct requirement *r);
static char *read_word(struct parser *p, const char *what, bool is_key);
static void skip_space(struct parser *p);
static int fail(struct parser *p, const char *fmt, ...);

struct label_selector *label_selector_parse(const char *text, char *err, size_t errlen)
{
	struct label_selector *s = calloc(1, sizeof(*s));
	struct parser p = {text, 0, err, errlen};

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	skip_space(&p);
	if (!text[p.pos])
		return s; /* selects everything */
	for (;;) {
		struct requirement *reqs = realloc(s->reqs, (s->n + 1) * sizeof(*reqs));

		if (!reqs) {
			snprintf(err, errlen, "out of memory");
			break;
		}
		s->reqs = reqs;
		memset(&s->reqs[s->n], 0, sizeof(s->reqs[s->n]));
		if (parse_requirement(&p, &s->reqs[s->n]) < 0) {
			s->n++; /* freed with the rest */
			break;
		}
		s->n++;
		skip_space(&p);
		if (!text[p.pos])
			return s;
		if (text[p.pos] != ',') {
			fail(&p, "expected ',' or the end");
			break;
		}
		p.pos++;
	}
	label_selector_free(s);
	return NULL;
}

void label_selector_free(struct label_selector *s)
{
	size_t i, j;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->reqs[i].key);
		for (j = 0; j < s->reqs[i].n_values; j++)
			free(s->reqs[i].values[j]);
		free(s->reqs[i].values);
	}
	free(s->reqs);
	free(s);
}

bool label_selector_matches(const struct label_selector *s, const char *labels, size_t len)
{
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		const struct requirement *r = &s->reqs[i];
		const char *v = labels_get(labels, len, r->key);
		bool in = false;
		char *end;
		long long num;

		switch (r->op) {
		case OP_EXISTS:
			if (!v)
				return false;
			break;
		case OP_NOT_EXISTS:
			if (v)
				return false;
			break;
		case OP_IN:
		case OP_NOT_IN:
			for (j = 0; v && j < r->n_values && !in; j++)
				in = strcmp(v, r->values[j]) == 0;
			if (in != (r->op == OP_IN))
				return false;
			break;
		case OP_GT:
		case OP_LT:
			if (!v || !*v)
				return false;
			errno = 0;
			num = strtoll(v, &end, 10);
			if (*end || errno)
				return false;
			if (r->op == OP_GT ? !(num > r->number) : !(num < r->number))
				return false;
			break;
		}
	}
	return true;
}

/* ---- parsing --------------------------------------------------------------- */

static int add_value(struct requirement *r, char *v)
{
	char **values = realloc(r->values, (r->n_values + 1) * sizeof(*values));

	if (!values) {
		free(v);
		return -1;
	}
	r->values = values;
	r->values[r->n_values++] = v;
	return 0;
}

static int parse_requirement(struct parser *p, struct requirement *r)
{
	const char *t = p->text;
	char *v;

	skip_space(p);
	if (t[p->pos] == '!') {
		p->pos++;
		skip_space(p);
		r->op = OP_NOT_EXISTS;
		r->key = read_word(p, "a key", true);
		return r->key ? 0 : -1;
	}
	r->key = read_word(p, "a key", true);
	if (!r->key)
		return -1;
	skip_space(p);
	if (!t[p->pos] || t[p->pos] == ',') {
		r->op = OP_EXISTS;
		return 0;
	}
	if (t[p->pos] == '=' || (t[p->pos] == '!' && t[p->pos + 1] == '=')) {
		r->op = t[p->pos] == '=' ? OP_IN : OP_NOT_IN;
		p->pos += t[p->pos] == '!' || t[p->pos + 1] == '=' ? 2 : 1;
		skip_space(p);
		v = read_word(p, "a value", false);
		if (!v)
			return -1;
		return add_value(r, v) == 0 ? 0 : fail(p, "out of memory");
	}
	if (t[p->pos] == '>' || t[p->pos] == '<') {
		char *end;

		r->op = t[p->pos] == '>' ? OP_GT : OP_LT;
		p->pos++;
		skip_space(p);
		v = read_word(p, "a number", false);
		if (!v)
			return -1;
		errno = 0;
		r->number = strtoll(v, &end, 10);
		if (!*v || *end || errno) {
			free(v);
			return fail(p, "'>' and '<' need an integer");
		}
		free(v);
		return 0;
	}
	if (strncmp(t + p->pos, "notin", 5) == 0 && (t[p->pos + 5] == ' ' || t[p->pos + 5] == '(')) {
		r->op = OP_NOT_IN;
		p->pos += 5;
	} else if (strncmp(t + p->pos, "in", 2) == 0 && (t[p->pos + 2] == ' ' || t[p->pos + 2] == '(')) {
		r->op = OP_IN;
		p->pos += 2;
	} else {
		return fail(p, "expected '=', '==', '!=', 'in', 'notin', '>' or '<' after the key");
	}
	skip_space(p);
	if (t[p->pos] != '(')
		return fail(p, "expected '(' after in/notin");
	p->pos++;
	for (;;) {
		skip_space(p);
		if (t[p->pos] == ')' && r->n_values == 0)
			return fail(p, "in/notin needs at least one value");
		v = read_word(p, "a value", false);
		if (!v || add_value(r, v) < 0)
			return -1;
		skip_space(p);
		if (t[p->pos] == ')') {
			p->pos++;
			return 0;
		}
		if (t[p->pos] != ',')
			return fail(p, "expected ',' or ')' in the value list");
		p->pos++;
	}
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A label name or value: up to 63 of [A-Za-z0-9._-], alphanumeric at both
   ends (a value may be empty). */
static bool valid_name(const char *s, size_t n, bool empty_ok)
{
	size_t i;

	if (n == 0)
		return empty_ok;
	if (n > NAME_MAX_LEN || !alnum(s[0]) || !alnum(s[n - 1]))
		return false;
	for (i = 0; i < n; i++)
		if (!name_char(s[i]))
			return false;
	return true;
}

/* A key ("prefix/name", the prefix a DNS subdomain) or a value, copied. */
static char *read_word(struct parser *p, const char *what, bool is_key)
{
	const char *t = p->text + p->pos;
	size_t n = 0;
	char *out;

	while (t[n] && (name_char(t[n]) || (is_key && t[n] == '/')))
		n++;
	if (is_key) {
		const char *slash = memchr(t, '/', n);
		size_t i, plen = slash ? (size_t)(slash - t) : 0;
		bool ok = slash ? plen > 0 && plen <= PREFIX_MAX_LEN &&
		                  valid_name(slash + 1, n - plen - 1, false)
		                : valid_name(t, n, false);

		for (i = 0; ok && i < plen; i++)
			ok = (t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9') ||
			     t[i] == '-' || t[i] == '.';
		if (!ok) {
			fail(p, "expected %s (a label key: [prefix/]name)", what);
			return NULL;
		}
	} else if (!valid_name(t, n, true)) {
		fail(p, "expected %s (up to 63 of A-Z a-z 0-9 . _ -)", what);
		return NULL;
	}
	out = malloc(n + 1);
	if (!out) {
		fail(p, "out of memory");
		return NULL;
	}
	memcpy(out, t, n);
	out[n] = '\0';
	p->pos += n;
	return out;
}

static void skip_space(struct parser *p)
{
	while (p->text[p->pos] == ' ' || p->text[p->pos] == '\t')
		p->pos++;
}

static int fail(struct parser *p, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "label selector \"%s\": %s at offset %zu", p->text, why, p->pos);
	return -1;
}

const char *labels_get(const char *labels, size_t len, const char *key)
{
	size_t pos = 0;

	while (pos < len) {
		const char *k = labels + pos;
		size_t klen = strnlen(k, len - pos);
		const char *v;
		size_t vlen;

		if (pos + klen + 1 >= len)
			return NULL; /* a key without its value: no more labels */
		v = k + klen + 1;
		vlen = strnlen(v, len - pos - klen - 1);
		if (strcmp(k, key) == 0)
			return v;
		pos += klen + 1 + vlen + 1;
	}
	return NULL;
}
