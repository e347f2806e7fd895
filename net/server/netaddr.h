#ifndef GUICHET_NETADDR_H
#define GUICHET_NETADDR_H
/* Client addresses behind trusted reverse proxies (--trust-proxy CIDR[,CIDR...]). */
#include <stddef.h>

#define NETADDR_MAX 16

struct cidr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int bits;
};

struct cidr_list {
	struct cidr items[NETADDR_MAX];
	int count;
};

/* Parses "10.0.0.0/8,::1" (a bare address is a /32 or /128). 0, or -1 when malformed. */
int netaddr_parse_list(const char *spec, struct cidr_list *out);
/* 1 when ip (text) falls in one of the ranges. */
int netaddr_contains(const struct cidr_list *list, const char *ip);
/*
 * The client's address: the peer itself unless the peer is a trusted proxy;
 * then the rightmost X-Forwarded-For entry that is not trusted (so a client
 * cannot forge its way past the proxies). out holds at least 46 bytes.
 */
void netaddr_client(const struct cidr_list *trusted, const char *peer, const char *forwarded_for,
		    char *out, size_t outsz);

#endif
