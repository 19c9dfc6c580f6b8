/* http.h - /health, /ready and /metrics on libevent's evhttp, served from
 * the main loop (so a 200 from /health proves that loop turns).
 *
 * Ownership: the server borrows the event_base; the handlers' ctx must
 * outlive it. */
#ifndef SVCDNS_HTTP_H
#define SVCDNS_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct event_base;
struct http;

struct http_handlers {
	/* Return 0 for 200 "OK"; else 503 with the one-line reason written. */
	int (*health)(void *ctx, char *reason, size_t len);
	int (*ready)(void *ctx, char *reason, size_t len);
	/* Writes the Prometheus exposition to fp; -1 on failure (500). */
	int (*metrics)(void *ctx, FILE *fp);
	void *ctx;
};

/* Parses "ADDR:PORT", "[V6]:PORT" or ":PORT" (all IPv4 addresses) into a
   numeric host and a port (0 allowed). Returns 0, or -1 if malformed. */
int http_parse_addr(const char *text, char *host, size_t hostlen, uint16_t *port);

/* Binds addr (see http_parse_addr) on base. Returns NULL with err set
   ("127.0.0.1:9153: Address already in use"). */
struct http *http_start(struct event_base *base, const char *addr,
                        const struct http_handlers *h, char *err, size_t errlen);

/* The bound port (the real one when 0 was asked for). */
uint16_t http_port(const struct http *h);

void http_free(struct http *h);

#endif
