#ifndef GUICHET_CONNWATCH_H
#define GUICHET_CONNWATCH_H
/*
 * Every open connection of guichetd, so that one address cannot starve the
 * others (contract §9.4):
 * - at most `per_addr` connections per client address (an IPv6 client by its
 *   /64; trusted proxies are exempt, they carry everybody);
 * - a request must be received whole, headers and body, within `deadline_ms`
 *   of the connection being ready for it: a client that sends a byte now and
 *   then (slowloris) is cut off, which libmicrohttpd's idle timeout alone
 *   would not do.
 * A watcher thread shuts down the sockets past their deadline; libmicrohttpd
 * then sees the end of the stream and closes the connection itself.
 */
#include <stdint.h>

#include "netaddr.h"

struct connwatch;
struct conn_entry;

struct connwatch *connwatch_start(int per_addr, int64_t deadline_ms, const struct cidr_list *exempt);
void connwatch_stop(struct connwatch *w);

/* A new connection on fd from peer: its entry, or NULL when refused (its socket is shut down). */
struct conn_entry *connwatch_open(struct connwatch *w, int fd, const char *peer);
/* The connection is closed (before its socket is): NULL is ignored. */
void connwatch_close(struct connwatch *w, struct conn_entry *e);
/* The request was received whole: no deadline while it is answered. */
void connwatch_busy(struct conn_entry *e);
/* Its answer went out: the next request has deadline_ms from now. */
void connwatch_idle(struct connwatch *w, struct conn_entry *e);

#endif
