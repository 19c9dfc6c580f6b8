/* dname.h - domain names in uncompressed wire format: building, text
 * conversion, case folding, reverse names. No allocation. */
#ifndef SVCDNS_DNAME_H
#define SVCDNS_DNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kube_ip;

#define DNAME_MAX 255

/* A name under construction: labels appended left to right. */
struct dname_buf {
	uint8_t wire[DNAME_MAX];
	size_t len; /* bytes used, without the terminating root label */
	bool overflow;
};

void dname_buf_init(struct dname_buf *b);
/* Appends one label, lower-cased. Sets overflow (and ignores the label)
   when the label is empty, > 63 bytes, or the name would exceed 255. */
void dname_buf_label(struct dname_buf *b, const char *label, size_t len);
/* Appends an already encoded name (wire, ending in the root label) and
   returns the total length with the root, or 0 on overflow. */
size_t dname_buf_finish(struct dname_buf *b, const uint8_t *suffix, size_t suffix_len);

/* Text ("www.Example.com" or with a trailing dot) to lower-case wire.
   Returns the wire length, or 0 if the text is not a valid host name. */
size_t dname_from_text(const char *text, uint8_t *out);

/* Wire to text with a trailing dot. Returns 0, or -1 if out is too small
   or the name malformed. */
int dname_to_text(const uint8_t *wire, size_t len, char *out, size_t outlen);

/* The in-addr.arpa / ip6.arpa name of ip, wire. Returns its length. */
size_t dname_reverse(const struct kube_ip *ip, uint8_t *out);

/* The inverse: the address whose dname_reverse() is exactly name (lower
   case wire, len bytes). False for anything else: partial names, labels
   with leading zeros or upper-case hex, other suffixes. */
bool dname_reverse_parse(const uint8_t *name, size_t len, struct kube_ip *ip);

/* True when name (len bytes) equals suffix or ends with it at a label
   boundary. Both lower-case wire. */
bool dname_is_under(const uint8_t *name, size_t len, const uint8_t *suffix,
                    size_t suffix_len);

#endif
