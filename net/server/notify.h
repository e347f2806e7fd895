#ifndef GUICHET_NOTIFY_H
#define GUICHET_NOTIFY_H
/*
 * Tells systemd (Type=notify) where guichetd stands, through libsystemd's
 * sd_notify. Outside systemd ($NOTIFY_SOCKET unset) every call does nothing.
 */

/* The server listens and answers: READY=1, with url in STATUS=. */
void notify_ready(const char *url);

/* A stop was asked for; requests in flight are being finished: STOPPING=1. */
void notify_stopping(void);

#endif
