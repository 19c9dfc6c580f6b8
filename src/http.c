/* http.c - the operator's endpoints: /health (liveness), /ready (sources
 * synced), /metrics (Prometheus text format 0.0.4). */
#include "http.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

struct http {
	struct evhttp *evh;
	struct http_handlers h;
	uint16_t port;
};

static void on_request(struct evhttp_request *req, void *arg);
static void free_memstream(const void *data, size_t len, void *arg);

int http_parse_addr(const char *text, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon, *h = text;
	size_t hl;
	char *end;
	unsigned long p;

	if (!text || !*text)
		return -1;
	if (text[0] == '[') {
		const char *rb = strchr(text, ']');
		if (!rb || rb[1] != ':')
			return -1;
		h = text + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon || memchr(text, ':', (size_t)(colon - text)))
			return -1; /* bare IPv6 needs brackets */
		hl = (size_t)(colon - text);
	}
	if (hl == 0) {
		h = "0.0.0.0";
		hl = 7;
	}
	if (hl >= hostlen || !colon[1])
		return -1;
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno || *end || p > 65535 || colon[1] == '-' || colon[1] == '+')
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (uint16_t)p;
	return 0;
}

struct http *http_start(struct event_base *base, const char *addr,
                        const struct http_handlers *h, char *err, size_t errlen)
{
	struct http *s;
	struct evhttp_bound_socket *bs;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[64];
	uint16_t port;

	if (http_parse_addr(addr, host, sizeof(host), &port) < 0) {
		snprintf(err, errlen, "invalid value '%s' for --http (ADDR:PORT)", addr);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->evh = evhttp_new(base))) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->h = *h;
	evhttp_set_allowed_methods(s->evh, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(s->evh, 10);
	evhttp_set_gencb(s->evh, on_request, s);
	errno = 0;
	bs = evhttp_bind_socket_with_handle(s->evh, host, port);
	if (!bs) {
		snprintf(err, errlen, "--http %s: %s", addr,
		         errno ? strerror(errno) : "cannot bind");
		evhttp_free(s->evh);
		free(s);
		return NULL;
	}
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) == 0)
		port = ntohs(ss.ss_family == AF_INET6
		                 ? ((struct sockaddr_in6 *)&ss)->sin6_port
		                 : ((struct sockaddr_in *)&ss)->sin_port);
	s->port = port;
	return s;
}

uint16_t http_port(const struct http *h)
{
	return h ? h->port : 0;
}

void http_free(struct http *h)
{
	if (!h)
		return;
	evhttp_free(h->evh);
	free(h);
}

static void reply_text(struct evhttp_request *req, int code, const char *status,
                       const char *body)
{
	struct evbuffer *out = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  "text/plain; charset=utf-8");
	if (out)
		evbuffer_add_printf(out, "%s\n", body);
	evhttp_send_reply(req, code, status, out);
	if (out)
		evbuffer_free(out);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct http *s = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	char reason[256] = "";

	if (!path)
		path = "/";
	if (strcmp(path, "/health") == 0 || strcmp(path, "/ready") == 0) {
		int (*fn)(void *, char *, size_t) =
			path[1] == 'h' ? s->h.health : s->h.ready;
		if (!fn || fn(s->h.ctx, reason, sizeof(reason)) == 0)
			reply_text(req, 200, "OK", "OK");
		else
			reply_text(req, 503, "Service Unavailable", reason);
		return;
	}
	if (strcmp(path, "/metrics") == 0 && s->h.metrics) {
		char *data = NULL;
		size_t len = 0;
		FILE *fp = open_memstream(&data, &len);
		struct evbuffer *out;
		int rc = fp ? s->h.metrics(s->h.ctx, fp) : -1;

		if (fp && fclose(fp) != 0)
			rc = -1;
		out = evbuffer_new();
		if (rc < 0 || !out ||
		    evbuffer_add_reference(out, data, len, free_memstream, NULL) < 0) {
			free(data);
			if (out)
				evbuffer_free(out);
			reply_text(req, 500, "Internal Server Error", "cannot render metrics");
			return;
		}
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
		                  "text/plain; version=0.0.4; charset=utf-8");
		evhttp_send_reply(req, 200, "OK", out);
		evbuffer_free(out);
		return;
	}
	reply_text(req, 404, "Not Found", "not found: try /health, /ready or /metrics");
}

static void free_memstream(const void *data, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	free((void *)data);
}
