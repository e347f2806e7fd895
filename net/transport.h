#ifndef GUICHET_TRANSPORT_H
#define GUICHET_TRANSPORT_H
/*
 * HTTP exchanges with guichetd over libcurl's multi interface, so that the
 * same request can be awaited (headless commands) or driven from the UI's
 * event loop without blocking it.
 */
#include <curl/curl.h>
#include <stddef.h>

#define TRANSPORT_RESPONSE_MAX ((size_t)1024 * 1024)

struct transport_options {
	const char *base_url; /* "http://127.0.0.1:8080" */
	const char *cacert;   /* NULL: the system's CAs */
	long timeout_s;       /* whole exchange; 0: 30 s */
};

struct transport_exchange {
	CURL *easy;
	struct curl_slist *headers;
	char *request_body;
	char *response; /* NUL-terminated, may be NULL */
	size_t response_len;
	int overflow;
	long status;      /* HTTP status; 0 before an answer */
	long retry_after; /* from Retry-After, seconds */
	CURLcode result;
	int done;
	char error[CURL_ERROR_SIZE];
};

/*
 * Prepares one request (not started). body: JSON text or NULL; token: bearer
 * token or NULL. Returns 0, or -1 (out of memory / bad URL).
 */
int transport_prepare(struct transport_exchange *x, const struct transport_options *opt,
		      const char *method, const char *path, const char *body, const char *token);
void transport_release(struct transport_exchange *x);

/* Runs a prepared exchange to its end (blocking). */
void transport_run(struct transport_exchange *x);

/* Non-blocking: add to a multi handle, then call transport_collect after curl_multi_perform. */
int transport_start(CURLM *multi, struct transport_exchange *x);
/* Marks finished exchanges done (their private pointer is the exchange). Returns how many. */
int transport_collect(CURLM *multi);
/* Aborts a started exchange. */
void transport_cancel(CURLM *multi, struct transport_exchange *x);

/* 1 when the failure means the server could not be reached at all. */
int transport_unreachable(const struct transport_exchange *x);

#endif
