/* dname.c - wire-format domain name helpers. */
#include "dname.h"

#include <string.h>
#include <sys/socket.h>

#include "kube_object.h"

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

void dname_buf_init(struct dname_buf *b)
{
	b->len = 0;
	b->overflow = false;
}

void dname_buf_label(struct dname_buf *b, const char *label, size_t len)
{
	size_t i;

	if (len == 0 || len > 63 || b->len + 1 + len + 1 > DNAME_MAX) {
		b->overflow = true;
		return;
	}
	b->wire[b->len++] = (uint8_t)len;
	for (i = 0; i < len; i++)
		b->wire[b->len++] = lower((uint8_t)label[i]);
}

size_t dname_buf_finish(struct dname_buf *b, const uint8_t *suffix, size_t suffix_len)
{
	if (b->overflow || b->len + suffix_len > DNAME_MAX || suffix_len == 0)
		return 0;
	memcpy(b->wire + b->len, suffix, suffix_len);
	return b->len + suffix_len;
}

size_t dname_from_text(const char *text, uint8_t *out)
{
	struct dname_buf b;
	const char *p = text;

	dname_buf_init(&b);
	if (strcmp(text, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		size_t i;

		for (i = 0; i < n; i++) {
			char c = p[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '_'))
				return 0;
		}
		dname_buf_label(&b, p, n);
		if (b.overflow)
			return 0;
		if (!dot)
			break;
		p = dot + 1;
	}
	if (b.len + 1 > DNAME_MAX)
		return 0;
	memcpy(out, b.wire, b.len);
	out[b.len] = 0;
	return b.len + 1;
}

int dname_to_text(const uint8_t *wire, size_t len, char *out, size_t outlen)
{
	size_t pos = 0, o = 0;

	if (len == 1 && wire[0] == 0) {
		if (outlen < 2)
			return -1;
		memcpy(out, ".", 2);
		return 0;
	}
	while (pos < len && wire[pos]) {
		size_t n = wire[pos++];
		if (n > 63 || pos + n > len || o + n + 2 > outlen)
			return -1;
		memcpy(out + o, wire + pos, n);
		o += n;
		out[o++] = '.';
		pos += n;
	}
	out[o] = '\0';
	return 0;
}

size_t dname_reverse(const struct kube_ip *ip, uint8_t *out)
{
	static const char hex[] = "0123456789abcdef";
	static const uint8_t in_addr[] = "\x07in-addr\x04" "arpa";
	static const uint8_t ip6[] = "\x03ip6\x04" "arpa";
	size_t o = 0;
	int i;

	if (ip->family == AF_INET) {
		for (i = 3; i >= 0; i--) {
			char digits[4];
			int n = 0, v = ip->bytes[i];
			if (v >= 100)
				digits[n++] = (char)('0' + v / 100);
			if (v >= 10)
				digits[n++] = (char)('0' + (v / 10) % 10);
			digits[n++] = (char)('0' + v % 10);
			out[o++] = (uint8_t)n;
			memcpy(out + o, digits, (size_t)n);
			o += (size_t)n;
		}
		memcpy(out + o, in_addr, sizeof(in_addr));
		return o + sizeof(in_addr);
	}
	for (i = 15; i >= 0; i--) {
		out[o++] = 1;
		out[o++] = (uint8_t)hex[ip->bytes[i] & 0xf];
		out[o++] = 1;
		out[o++] = (uint8_t)hex[ip->bytes[i] >> 4];
	}
	memcpy(out + o, ip6, sizeof(ip6));
	return o + sizeof(ip6);
}

/* One in-addr.arpa label: 1-3 digits, no leading zero, at most 255. */
static int octet_label(const uint8_t *label, size_t n)
{
	int v = 0;
	size_t i;

	if (n == 0 || n > 3 || (n > 1 && label[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (label[i] < '0' || label[i] > '9')
			return -1;
		v = v * 10 + (label[i] - '0');
	}
	return v <= 255 ? v : -1;
}

static int nibble(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool dname_reverse_parse(const uint8_t *name, size_t len, struct kube_ip *ip)
{
	static const uint8_t in_addr[] = "\x07in-addr\x04" "arpa";
	static const uint8_t ip6[] = "\x03ip6\x04" "arpa";
	size_t at = 0;
	int i;

	memset(ip, 0, sizeof(*ip));
	if (len == 64 + sizeof(ip6) &&
	    memcmp(name + len - sizeof(ip6), ip6, sizeof(ip6)) == 0) {
		/* 32 one-nibble labels, least significant first. */
		for (i = 15; i >= 0; i--, at += 4) {
			int lo, hi;
			if (name[at] != 1 || name[at + 2] != 1 || (lo = nibble(name[at + 1])) < 0 ||
			    (hi = nibble(name[at + 3])) < 0)
				return false;
			ip->bytes[i] = (uint8_t)(hi << 4 | lo);
		}
		ip->family = AF_INET6;
		return true;
	}
	if (len < 4 * 2 + sizeof(in_addr) || len > 4 * 4 + sizeof(in_addr) ||
	    memcmp(name + len - sizeof(in_addr), in_addr, sizeof(in_addr)) != 0)
		return false;
	for (i = 3; i >= 0; i--) {
		int v;
		if (at >= len - sizeof(in_addr) ||
		    (v = octet_label(name + at + 1, name[at])) < 0)
			return false;
		ip->bytes[i] = (uint8_t)v;
		at += 1 + (size_t)name[at];
	}
	if (at != len - sizeof(in_addr))
		return false;
	ip->family = AF_INET;
	return true;
}

bool dname_is_under(const uint8_t *name, size_t len, const uint8_t *suffix,
                    size_t suffix_len)
{
	size_t pos = 0;

	if (suffix_len > len)
		return false;
	/* Walk label boundaries so "xcluster.local" is not under "cluster.local". */
	while (pos < len) {
		if (len - pos == suffix_len)
			return memcmp(name + pos, suffix, suffix_len) == 0;
		if (len - pos < suffix_len || name[pos] == 0)
			return false;
		pos += (size_t)name[pos] + 1;
	}
	return false;
}
