#include "transport.h"
#include "dynlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef GUICHET_VERSION
#define GUICHET_VERSION "0.0.0"
#endif

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct transport_exchange *x = userp;
	size_t n = size * nmemb;
	if (x->overflow || x->response_len + n > TRANSPORT_RESPONSE_MAX) {
		x->overflow = 1;
		return n; /* keep reading, drop the excess: the result says so */
	}
	char *grown = realloc(x->response, x->response_len + n + 1);
	if (!grown)
		return 0;
	x->response = grown;
	memcpy(x->response + x->response_len, data, n);
	x->response_len += n;
	x->response[x->response_len] = '\0';
	return n;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *userp)
{
	struct transport_exchange *x = userp;
	size_t n = size * nmemb;
	if (n > 12 && strncasecmp(line, "Retry-After:", 12) == 0)
		x->retry_after = strtol(line + 12, NULL, 10);
	return n;
}

int transport_prepare(struct transport_exchange *x, const struct transport_options *opt,
		      const char *method, const char *path, const char *body, const char *token)
{
	memset(x, 0, sizeof *x);
	char url[2048], auth[512];
	const char *base = opt->base_url;
	size_t blen = strlen(base);
	while (blen && base[blen - 1] == '/')
		blen--;
	if (snprintf(url, sizeof url, "%.*s%s", (int)blen, base, path) >= (int)sizeof url || dynlib_curl() != 0)
		return -1;
	x->easy = sym_curl_easy_init();
	if (!x->easy)
		return -1;
	x->headers = sym_curl_slist_append(NULL, "Accept: application/json");
	if (body)
		x->headers = sym_curl_slist_append(x->headers, "Content-Type: application/json; charset=utf-8");
	if (token) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
		x->headers = sym_curl_slist_append(x->headers, auth);
		memset(auth, 0, sizeof auth);
	}
	x->headers = sym_curl_slist_append(x->headers, "Expect:");
	CURL *e = x->easy;
	sym_curl_easy_setopt(e, CURLOPT_URL, url);
	sym_curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	sym_curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	sym_curl_easy_setopt(e, CURLOPT_USERAGENT, "guichet/" GUICHET_VERSION);
	sym_curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	sym_curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	sym_curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	sym_curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	sym_curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->error);
	sym_curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	sym_curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L);
	sym_curl_easy_setopt(e, CURLOPT_TIMEOUT, opt->timeout_s > 0 ? opt->timeout_s : 30L);
	sym_curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	sym_curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	sym_curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (opt->cacert)
		sym_curl_easy_setopt(e, CURLOPT_CAINFO, opt->cacert);
	sym_curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	if (body) {
		x->request_body = strdup(body);
		if (!x->request_body)
			return -1;
		sym_curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->request_body);
		sym_curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(x->request_body));
	}
	return 0;
}

void transport_release(struct transport_exchange *x)
{
	/* both exist only once libcurl is loaded: an exchange never prepared has neither */
	if (x->easy)
		sym_curl_easy_cleanup(x->easy);
	if (x->headers)
		sym_curl_slist_free_all(x->headers); /* it held the Authorization header */
	if (x->request_body) {
		/* the body may carry a password */
		volatile char *p = x->request_body;
		while (*p)
			*p++ = '\0';
		free(x->request_body);
	}
	free(x->response);
	memset(x, 0, sizeof *x);
}

static void finish(struct transport_exchange *x, CURLcode rc)
{
	x->result = rc;
	sym_curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
	if (rc != CURLE_OK && !x->error[0])
		snprintf(x->error, sizeof x->error, "%s", sym_curl_easy_strerror(rc));
	x->done = 1;
}

void transport_run(struct transport_exchange *x)
{
	finish(x, sym_curl_easy_perform(x->easy));
}

int transport_start(CURLM *multi, struct transport_exchange *x)
{
	return sym_curl_multi_add_handle(multi, x->easy) == CURLM_OK ? 0 : -1;
}

int transport_collect(CURLM *multi)
{
	int left, count = 0;
	CURLMsg *msg;
	while ((msg = sym_curl_multi_info_read(multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct transport_exchange *x = NULL;
		CURL *easy = msg->easy_handle;
		CURLcode rc = msg->data.result;
		sym_curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
		sym_curl_multi_remove_handle(multi, easy);
		if (x) {
			finish(x, rc);
			count++;
		}
	}
	return count;
}

void transport_cancel(CURLM *multi, struct transport_exchange *x)
{
	if (x->easy && !x->done)
		sym_curl_multi_remove_handle(multi, x->easy);
}

int transport_unreachable(const struct transport_exchange *x)
{
	switch (x->result) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return 1;
	default:
		return x->result != CURLE_OK;
	}
}
