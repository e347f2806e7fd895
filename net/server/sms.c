#include "sms.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outbox.h"

enum sms_kind { SMS_NONE, SMS_OUTBOX, SMS_HTTP };

struct sms {
	enum sms_kind kind;
	char *where; /* the outbox directory or the gateway's URL */
	struct curl_slist *headers;
	long timeout_s;
};

void sms_free(struct sms *s)
{
	if (!s)
		return;
	free(s->where);
	curl_slist_free_all(s->headers);
	free(s);
}

struct sms *sms_open(const char *spec, const char *const *headers, size_t nheaders, long timeout_s,
		     char *err, size_t errsz)
{
	struct sms *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	s->timeout_s = timeout_s > 0 ? timeout_s : 10;
	if (strcmp(spec, "none") == 0)
		return s;
	int outbox = strncmp(spec, "outbox:", 7) == 0;
	s->kind = outbox ? SMS_OUTBOX : SMS_HTTP;
	s->where = strdup(outbox ? spec + 7 : spec);
	struct curl_slist *list = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
	for (size_t i = 0; list && i < nheaders; i++) {
		struct curl_slist *more = curl_slist_append(list, headers[i]);
		if (!more) {
			curl_slist_free_all(list);
			list = NULL;
		}
		list = more;
	}
	s->headers = list;
	char why[512];
	if (!s->where || !s->headers) {
		snprintf(err, errsz, "out of memory");
	} else if (outbox && outbox_prepare(s->where, why, sizeof why) != 0) {
		snprintf(err, errsz, "--sms: %s", why);
	} else if (!outbox && strncmp(spec, "http://", 7) != 0 && strncmp(spec, "https://", 8) != 0) {
		snprintf(err, errsz, "--sms: expected none, outbox:DIR or http(s)://URL, got '%s'", spec);
	} else {
		return s;
	}
	sms_free(s);
	return NULL;
}

int sms_enabled(const struct sms *s)
{
	return s && s->kind != SMS_NONE;
}

void sms_code_text(const char *code, long ttl_s, char *out, size_t outsz)
{
	if (ttl_s < 120)
		snprintf(out, outsz, "Votre code guichet :\n%s\nValable %ld secondes. Ne le donnez à personne.", code, ttl_s);
	else
		snprintf(out, outsz, "Votre code guichet :\n%s\nValable %ld minutes. Ne le donnez à personne.", code,
			 (ttl_s + 59) / 60);
}

static size_t discard(char *data, size_t size, size_t n, void *ctx)
{
	(void)data;
	(void)ctx;
	return size * n;
}

static int send_http(struct sms *s, const char *to, const char *text, char *err, size_t errsz)
{
	cJSON *body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "to", to);
	cJSON_AddStringToObject(body, "text", text);
	char *json = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	CURL *curl = curl_easy_init();
	if (!json || !curl) {
		snprintf(err, errsz, "out of memory");
		free(json);
		curl_easy_cleanup(curl);
		return -1;
	}
	char curl_err[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(curl, CURLOPT_URL, s->where);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, s->timeout_s);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
	CURLcode rc = curl_easy_perform(curl);
	long status = 0;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(curl);
	sodium_memzero(json, strlen(json)); /* it holds a code */
	free(json);
	if (rc != CURLE_OK) {
		snprintf(err, errsz, "sms gateway: %s", curl_err[0] ? curl_err : curl_easy_strerror(rc));
		return -1;
	}
	if (status < 200 || status > 299) {
		snprintf(err, errsz, "sms gateway answered %ld", status);
		return -1;
	}
	return 0;
}

int sms_send(struct sms *s, const char *to, const char *text, char *err, size_t errsz)
{
	if (!sms_enabled(s)) {
		snprintf(err, errsz, "sms is off");
		return -1;
	}
	if (s->kind == SMS_HTTP)
		return send_http(s, to, text, err, errsz);
	char msg[512];
	int len = snprintf(msg, sizeof msg, "To: %s\n\n%s\n", to, text);
	int rc = len > 0 && (size_t)len < sizeof msg ? outbox_write(s->where, "sms", msg, (size_t)len, err, errsz) : -1;
	sodium_memzero(msg, sizeof msg);
	return rc;
}
