#ifndef GUICHET_MAIL_H
#define GUICHET_MAIL_H
#include <stddef.h>

/*
 * Outgoing mail behind one small interface. The URL chooses the transport:
 *   outbox:DIR          one RFC 5322 .eml file per mail in DIR (written, fsynced, renamed)
 *   smtp://HOST:PORT    libcurl SMTP (smtps:// for TLS)
 * Bodies are text/plain UTF-8, 8bit: an OTP stands on a line of its own.
 */
struct mailer;

/* timeout_s bounds one SMTP exchange (a server that hangs costs at most that). */
struct mailer *mailer_open(const char *url, const char *from, long timeout_s, char *err, size_t errsz);
void mailer_free(struct mailer *m);

/* Sends one mail. Returns 0 when written or accepted by the server, -1 with err set. */
int mailer_send(struct mailer *m, const char *to, const char *subject, const char *body,
		char *err, size_t errsz);

/* 1 when addr is usable as a recipient: one '@', no spaces or control characters. */
int mail_address_ok(const char *addr);

#endif
