/* dns.h - DNS protocol numbers, the header's fields read and written in
 * place, and the OPT record svcdns sends (as NSD's packet.h). Header
 * flags have one width: bits of the 16-bit word at offset 2. */
#ifndef SVCDNS_DNS_H
#define SVCDNS_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define DNS_HEADER_LEN WIRE_HEADER_LEN
#define DNS_UDP_MIN 512 /* a UDP reply's size without EDNS (RFC 1035) */
#define DNS_MAX_MSG 65535

/* Header flags (the 16-bit word at offset 2, with the opcode and rcode). */
#define DNS_FLAG_QR 0x8000
#define DNS_FLAG_AA 0x0400
#define DNS_FLAG_TC 0x0200
#define DNS_FLAG_RD 0x0100
#define DNS_FLAG_RA 0x0080
#define DNS_FLAG_AD 0x0020
#define DNS_FLAG_CD 0x0010
#define DNS_OPCODE_MASK 0x7800
#define DNS_RCODE_MASK 0x000f

#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_NOTIMP 4
#define DNS_RCODE_REFUSED 5
#define DNS_RCODE_BADVERS 16 /* extended: its upper bits ride in the OPT */

/* EDNS (RFC 6891): the DO bit of the OPT's flags, and the record's size
   with an empty rdata. */
#define DNS_EDNS_DO 0x8000
#define DNS_OPT_LEN 11

static inline uint16_t dns_flags(const uint8_t *msg)
{
	return wire_u16(msg + 2);
}

static inline void dns_set_flags(uint8_t *msg, uint16_t flags)
{
	wire_put_u16(msg + 2, flags);
}

static inline unsigned dns_opcode(const uint8_t *msg)
{
	return (dns_flags(msg) & DNS_OPCODE_MASK) >> 11;
}

/* The section counts: QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT. */
static inline uint16_t dns_qdcount(const uint8_t *msg) { return wire_u16(msg + 4); }
static inline uint16_t dns_ancount(const uint8_t *msg) { return wire_u16(msg + 6); }
static inline uint16_t dns_nscount(const uint8_t *msg) { return wire_u16(msg + 8); }
static inline uint16_t dns_arcount(const uint8_t *msg) { return wire_u16(msg + 10); }

static inline void dns_set_counts(uint8_t *msg, uint16_t qd, uint16_t an, uint16_t ns,
                                  uint16_t ar)
{
	wire_put_u16(msg + 4, qd);
	wire_put_u16(msg + 6, an);
	wire_put_u16(msg + 8, ns);
	wire_put_u16(msg + 10, ar);
}

/* The largest reply a client takes over UDP: 512 without EDNS, else its
   EDNS size, at least 512 and at most cap (--udp-size). */
static inline size_t dns_udp_limit(bool edns, uint16_t edns_size, size_t cap)
{
	if (!edns)
		return DNS_UDP_MIN;
	return edns_size < DNS_UDP_MIN ? DNS_UDP_MIN : edns_size > cap ? cap : edns_size;
}

/* Writes the OPT record svcdns sends, DNS_OPT_LEN bytes: root owner, our
   UDP size, the upper bits of an extended rcode, version 0, the DO bit
   echoed (edns_flags: the client's), no options. Returns DNS_OPT_LEN. */
static inline size_t dns_put_opt(uint8_t *out, uint16_t udp_size, uint8_t ext_rcode,
                                 uint16_t edns_flags)
{
	out[0] = 0;
	wire_put_u16(out + 1, 41);
	wire_put_u16(out + 3, udp_size);
	out[5] = ext_rcode;
	out[6] = 0; /* version 0 */
	wire_put_u16(out + 7, (uint16_t)(edns_flags & DNS_EDNS_DO));
	wire_put_u16(out + 9, 0);
	return DNS_OPT_LEN;
}

#endif
