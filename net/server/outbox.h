#ifndef GUICHET_OUTBOX_H
#define GUICHET_OUTBOX_H
/*
 * Messages as files, for demos and tests (--mail outbox:DIR, --sms outbox:DIR):
 * each one written whole, fsynced, then renamed into DIR, so a reader never
 * sees half a message and nothing answered is lost.
 */
#include <stddef.h>

/* Creates DIR (0700) when missing. 0, or -1 with err. */
int outbox_prepare(const char *dir, char *err, size_t errsz);
/* Writes one message as DIR/<ms since epoch>-<random>.<ext>. 0, or -1 with err. */
int outbox_write(const char *dir, const char *ext, const char *data, size_t len, char *err, size_t errsz);

#endif
