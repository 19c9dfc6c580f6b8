/* dnsmsg.h - a bounds-checked walk over a whole DNS message from an
 * untrusted peer (an upstream's reply): validates every name and record,
 * and indexes what the forwarder needs (TTL positions, the OPT record, the
 * negative-caching TTL). No allocation. */
#ifndef SVCDNS_DNSMSG_H
#define SVCDNS_DNSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most records a 64 KiB message can hold (the smallest is 11 bytes:
   a root owner and no data), so that no well-formed message is refused:
   a headless service of 600 endpoints is a 600-record answer, and an
   autopath reply carries one whole. */
#define DNSMSG_MAX_RRS ((65535 - 12 - 5) / 11)

struct dnsmsg {
	uint16_t id, flags;
	uint8_t rcode;            /* header rcode (4 bits) */
	uint16_t qdcount, an, ns, ar;
	size_t question_end;      /* offset just past the question */
	uint8_t qname[256];       /* question name, lower case, wire */
	size_t qname_len;
	uint16_t qtype, qclass;
	size_t n_ttls;            /* TTL fields of every RR but OPT */
	uint16_t ttl_at[DNSMSG_MAX_RRS];
	uint32_t min_ttl;         /* smallest TTL of answer/authority RRs */
	bool has_soa;             /* authority SOA (negative answers) */
	uint32_t soa_negative_ttl; /* min(SOA TTL, SOA MINIMUM) */
	bool has_opt;
	size_t opt_start, opt_end; /* the OPT RR's bytes, when has_opt */
};

/* Parses msg. Returns 0, or -1 if it is malformed (bad name, pointer loop
   or forward pointer, record past the end, trailing garbage, more than
   DNSMSG_MAX_RRS records, QDCOUNT != 1, two OPTs). */
int dnsmsg_parse(const uint8_t *msg, size_t len, struct dnsmsg *out);

/* Copies the resource record at *pos of msg (already validated by
   dnsmsg_parse) to out with every compressed name written in full: owner
   and the names inside NS, CNAME, PTR, DNAME, MX, SRV and SOA data. Moves
   *pos past the record. Returns the bytes written, or 0 if the record is
   malformed or does not fit in cap. */
size_t dnsmsg_copy_rr(const uint8_t *msg, size_t len, size_t *pos, uint8_t *out,
                      size_t cap);

#endif
