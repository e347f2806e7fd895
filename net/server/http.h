#ifndef GUICHET_HTTP_H
#define GUICHET_HTTP_H
/*
 * The HTTP side of guichetd: libmicrohttpd with a small thread pool for the
 * fast routes and a job pool (jobs.h) for slow ones, whose connections are
 * suspended meanwhile. Each request is handed to api_handle().
 */
#include <stddef.h>

#include "app.h"
#include "netaddr.h"

struct http;

struct http_options {
	const char *listen;   /* HOST:PORT, port 0 for any free one */
	const char *tls_cert; /* PEM text, or NULL for plain HTTP */
	const char *tls_key;
	int log_requests;     /* one line per request on stderr */
	const struct cidr_list *trusted_proxies; /* NULL: the peer is the client */
	long request_timeout_s;  /* a request must arrive whole within it */
	long max_conns_per_addr; /* open connections per client address */
};

/* Starts serving. On success *url is "http(s)://HOST:PORT" (you own it). */
struct http *http_start(struct app *app, const struct http_options *opt, char **url,
			char *err, size_t errsz);
/*
 * Stops accepting, answers 503 to slow work not yet started, lets the
 * requests in flight finish (up to grace_ms), then stops. 0 when stopped
 * cleanly; -1 when a request still ran past the grace period, in which case
 * nothing was freed and the caller should exit without cleaning up.
 */
int http_stop(struct http *h, long grace_ms);

#endif
