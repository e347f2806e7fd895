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
/* Longest address text, NUL included (INET6_ADDRSTRLEN), and longest key ("/64" added). */
#define NETADDR_TEXT 46
#define NETADDR_KEY 50

/*
 * The client's address: the peer itself unless the peer is a trusted proxy;
 * then the rightmost X-Forwarded-For entry that is not trusted, walking every
 * header line (`forwarded`, in the order received) from the last, whatever
 * their length: a client may pad or add lines, but only left of what our own
 * proxies appended. An entry that is not an address stops the walk at the
 * last good hop. out holds NETADDR_TEXT bytes.
 */
void netaddr_client(const struct cidr_list *trusted, const char *peer, const char *const *forwarded,
		    size_t nforwarded, char *out);

/*
 * The key per-address limits count by: an IPv4 address as is (an IPv4-mapped
 * IPv6 one too), an IPv6 address by its /64, since one subscriber usually
 * holds a whole /64. out holds NETADDR_KEY bytes.
 */
void netaddr_key(const char *ip, char *out);

#endif
