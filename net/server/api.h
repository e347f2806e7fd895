#ifndef GUICHET_API_H
#define GUICHET_API_H
/*
 * Request handling without sockets: a request in, a reply out. The HTTP layer
 * (http.c) feeds it; so can a fuzzer or a unit test.
 */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "app.h"
#include "reply.h"
#include "store.h"

#define API_BODY_MAX ((size_t)16 * 1024)

struct query_arg {
	const char *name;
	const char *value;
};

#define API_QUERY_MAX 16

struct request {
	struct app *app;
	const char *method;
	const char *path;
	const char *body;
	size_t body_len;
	int body_too_large;
	const char *authorization; /* NULL when absent */
	const char *client_ip;  /* for the audit trail */
	const char *client_key; /* what per-address limits count by (netaddr_key) */
	const struct query_arg *query; /* the URL's arguments, decoded */
	size_t nquery;
	/*
	 * When set, a handler may answer later, from another thread: it then
	 * writes its reply and calls answered(answered_ctx) once. NULL: every
	 * answer is written before api_handle returns.
	 */
	void (*answered)(void *ctx);
	void *answered_ctx;
};

/* What a handler gets: the parsed body and, on authenticated routes, who asks. */
struct call {
	const struct request *rq;
	struct app *app;
	const cJSON *body;
	const struct admin *admin;
	int64_t token_id;
	char caller[320]; /* citizen routes: the admin's e-mail, the API key's name, or "anonyme" */
	char param[64];   /* the {} segment of the route's path, when it has one */
	struct reply *out;
	int later;        /* set by a handler that will answer through rq->answered */
};

/*
 * Answers one request; out must start zeroed and is released by the caller.
 * 1 when the answer comes later, through rq->answered; 0 when it is in out.
 */
int api_handle(const struct request *rq, struct reply *out);

/* The value of a URL argument, or NULL. */
const char *api_query(const struct call *c, const char *name);

/* An answer that the HTTP layer decides on (framing, shutdown), in the envelope of path's route. */
void api_error(const char *path, int status, const char *message, struct reply *out);

/*
 * The route table, for metrics and `guichetd routes`: templates as written
 * in it, where "{}" stands for one path segment.
 */
size_t api_route_count(void);
const char *api_route_method(size_t i);
const char *api_route_path(size_t i);
/* The index of the route that answers method+path, or -1. */
int api_route_index(const char *method, const char *path);
/* Prints "METHOD TEMPLATE" per route, one a line. 0, or 1 when it could not write. */
int api_routes_print(FILE *to);

/* Where a route runs: where its wait costs least. */
enum api_pool {
	API_INLINE, /* in the event loop's thread: quick, or an answer without a route */
	API_SLOW,   /* password hashing, mail, SMS: a small pool, so few hashes (64 MiB each) are in flight */
	API_WAITS,  /* waits on the store (a network round trip): a wide pool, so many wait together */
	API_LATER,  /* in the event loop's thread, answered by the store's writer once on disk: no thread waits */
};
enum api_pool api_pool_of(const struct app *app, const char *method, const char *path);

#endif
