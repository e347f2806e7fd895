#ifndef GUICHET_SMS_H
#define GUICHET_SMS_H
/*
 * The citizen's code by SMS (contract §9.2). The spec chooses the transport:
 *   none               no SMS: the code travels in /otp's answer (the seed)
 *   outbox:DIR         one .sms file per message in DIR (demos, tests)
 *   http(s)://URL      POST URL {"to": PHONE, "text": TEXT} through libcurl, with
 *                      the given headers (the gateway's key); any 2xx is sent
 */
#include <stddef.h>

struct sms;

/* headers: "Name: value" strings (copied). NULL with err when the spec is bad. */
struct sms *sms_open(const char *spec, const char *const *headers, size_t nheaders, long timeout_s,
		     char *err, size_t errsz);
void sms_free(struct sms *s);

/* 0 when SMS is off (spec none): nothing is ever sent. */
int sms_enabled(const struct sms *s);

/* Sends one SMS, within the timeout. 0 when sent, -1 with err (never the text: it holds a code). */
int sms_send(struct sms *s, const char *to, const char *text, char *err, size_t errsz);

/* The French text of a code, its lifetime in seconds: short, GSM-7, the code on a line of its own. */
void sms_code_text(const char *code, long ttl_s, char *out, size_t outsz);

#endif
