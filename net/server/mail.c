#include "mail.h"
#include "outbox.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAIL_MAX 16384

struct mailer {
	char *outbox; /* NULL for SMTP */
	char *url;
	char *from;
	long timeout_s;
};

int mail_address_ok(const char *addr)
{
	const char *at = strchr(addr, '@');
	size_t len = strlen(addr);
	if (!at || at == addr || at[1] == '\0' || strchr(at + 1, '@') || len > 254)
		return 0;
	for (const char *p = addr; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>' || *p == ',' || *p == ';')
			return 0;
	return 1;
}

struct mailer *mailer_open(const char *url, const char *from, long timeout_s, char *err, size_t errsz)
{
	if (!mail_address_ok(from)) {
		snprintf(err, errsz, "--mail-from: '%s' is not an e-mail address", from);
		return NULL;
	}
	struct mailer *m = calloc(1, sizeof *m);
	if (!m)
		goto oom;
	m->timeout_s = timeout_s > 0 ? timeout_s : 15;
	m->from = strdup(from);
	m->url = strdup(url);
	if (!m->from || !m->url)
		goto oom;
	if (strncmp(url, "outbox:", 7) == 0) {
		m->outbox = strdup(url + 7);
		if (!m->outbox)
			goto oom;
		char why[512];
		if (outbox_prepare(m->outbox, why, sizeof why) != 0) {
			snprintf(err, errsz, "--mail: %s", why);
			mailer_free(m);
			return NULL;
		}
	} else if (strncmp(url, "smtp://", 7) != 0 && strncmp(url, "smtps://", 8) != 0) {
		snprintf(err, errsz, "--mail: expected outbox:DIR, smtp://HOST:PORT or smtps://HOST:PORT, got '%s'", url);
		mailer_free(m);
		return NULL;
	}
	return m;
oom:
	snprintf(err, errsz, "out of memory");
	mailer_free(m);
	return NULL;
}

void mailer_free(struct mailer *m)
{
	if (!m)
		return;
	free(m->outbox);
	free(m->url);
	free(m->from);
	free(m);
}

/* RFC 2047 "Q" encoded-word for a UTF-8 subject: readable in the raw message, and no base64 anywhere. */
static void encode_subject(const char *subject, char *out, size_t outsz)
{
	static const char HEX[] = "0123456789ABCDEF";
	size_t n = (size_t)snprintf(out, outsz, "=?UTF-8?Q?");
	for (const unsigned char *p = (const unsigned char *)subject; *p && n + 6 < outsz; p++) {
		if (*p == ' ') {
			out[n++] = '_';
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			   *p == '.' || *p == ',' || *p == '-' || *p == '\'') {
			out[n++] = (char)*p;
		} else {
			out[n++] = '=';
			out[n++] = HEX[*p >> 4];
			out[n++] = HEX[*p & 15];
		}
	}
	snprintf(out + n, outsz - n, "?=");
}

/* Builds the whole message; returns its length, or -1 if too long. */
static int compose(const struct mailer *m, const char *to, const char *subject, const char *body,
		   char *out, size_t outsz)
{
	char date[64], subj[600], id[33];
	time_t now = time(NULL);
	struct tm tm;
	unsigned char rnd[16];
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(id, sizeof id, rnd, sizeof rnd);
	encode_subject(subject, subj, sizeof subj);
	const char *domain = strchr(m->from, '@') + 1;
	int n = snprintf(out, outsz,
			 "Date: %s\r\n"
			 "From: guichet <%s>\r\n"
			 "To: <%s>\r\n"
			 "Subject: %s\r\n"
			 "Message-ID: <%s@%s>\r\n"
			 "MIME-Version: 1.0\r\n"
			 "Content-Type: text/plain; charset=utf-8\r\n"
			 "Content-Transfer-Encoding: 8bit\r\n"
			 "\r\n",
			 date, m->from, to, subj, id, domain);
	if (n < 0 || (size_t)n >= outsz)
		return -1;
	/* body lines get CRLF endings, as SMTP wants */
	size_t len = (size_t)n;
	for (const char *p = body; *p; p++) {
		if (len + 3 >= outsz)
			return -1;
		if (*p == '\n' && (p == body || p[-1] != '\r'))
			out[len++] = '\r';
		out[len++] = *p;
	}
	if (len + 3 >= outsz)
		return -1;
	if (len < 2 || out[len - 1] != '\n') {
		out[len++] = '\r';
		out[len++] = '\n';
	}
	out[len] = '\0';
	return (int)len;
}


struct upload {
	const char *data;
	size_t left;
};

static size_t feed(char *buf, size_t size, size_t nmemb, void *userp)
{
	struct upload *up = userp;
	size_t n = size * nmemb;
	if (n > up->left)
		n = up->left;
	memcpy(buf, up->data, n);
	up->data += n;
	up->left -= n;
	return n;
}

static int send_smtp(const struct mailer *m, const char *to, const char *msg, size_t len,
		     char *err, size_t errsz)
{
	CURL *curl = curl_easy_init();
	if (!curl) {
		snprintf(err, errsz, "smtp: cannot start libcurl");
		return -1;
	}
	char rcpt_buf[300], from_buf[300];
	snprintf(rcpt_buf, sizeof rcpt_buf, "<%s>", to);
	snprintf(from_buf, sizeof from_buf, "<%s>", m->from);
	struct curl_slist *rcpt = curl_slist_append(NULL, rcpt_buf);
	struct upload up = { msg, len };
	curl_easy_setopt(curl, CURLOPT_URL, m->url);
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from_buf);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, feed);
	curl_easy_setopt(curl, CURLOPT_READDATA, &up);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, m->timeout_s < 5 ? m->timeout_s : 5L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, m->timeout_s);
	curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	CURLcode rc = curl_easy_perform(curl);
	if (rc != CURLE_OK)
		snprintf(err, errsz, "smtp: %s", curl_easy_strerror(rc));
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(curl);
	return rc == CURLE_OK ? 0 : -1;
}

int mailer_send(struct mailer *m, const char *to, const char *subject, const char *body,
		char *err, size_t errsz)
{
	if (!mail_address_ok(to)) {
		snprintf(err, errsz, "invalid recipient");
		return -1;
	}
	char *msg = malloc(MAIL_MAX);
	if (!msg) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	int len = compose(m, to, subject, body, msg, MAIL_MAX);
	int rc = -1;
	if (len < 0)
		snprintf(err, errsz, "mail too long");
	else if (m->outbox)
		rc = outbox_write(m->outbox, "eml", msg, (size_t)len, err, errsz);
	else
		rc = send_smtp(m, to, msg, (size_t)len, err, errsz);
	sodium_memzero(msg, MAIL_MAX); /* it may hold a code */
	free(msg);
	return rc;
}
