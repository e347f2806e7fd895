#include "netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static int parse_ip(const char *text, int *family, unsigned char *addr)
{
	if (inet_pton(AF_INET, text, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

static int parse_one(const char *item, struct cidr *c)
{
	char buf[64];
	if (snprintf(buf, sizeof buf, "%s", item) >= (int)sizeof buf)
		return -1;
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (parse_ip(buf, &c->family, c->addr) != 0)
		return -1;
	int max = c->family == AF_INET ? 32 : 128;
	c->bits = max;
	if (slash) {
		char *end;
		long bits = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end || bits < 0 || bits > max)
			return -1;
		c->bits = (int)bits;
	}
	return 0;
}

int netaddr_parse_list(const char *spec, struct cidr_list *out)
{
	char buf[1024];
	memset(out, 0, sizeof *out);
	if (!spec || snprintf(buf, sizeof buf, "%s", spec) >= (int)sizeof buf)
		return -1;
	for (char *save = NULL, *item = strtok_r(buf, ", ", &save); item; item = strtok_r(NULL, ", ", &save)) {
		if (out->count == NETADDR_MAX || parse_one(item, &out->items[out->count]) != 0)
			return -1;
		out->count++;
	}
	return out->count ? 0 : -1;
}

static int in_range(const struct cidr *c, int family, const unsigned char *addr)
{
	if (family != c->family)
		return 0;
	int full = c->bits / 8, rest = c->bits % 8;
	if (memcmp(addr, c->addr, (size_t)full) != 0)
		return 0;
	if (!rest)
		return 1;
	unsigned char mask = (unsigned char)(0xFF << (8 - rest));
	return (addr[full] & mask) == (c->addr[full] & mask);
}

int netaddr_contains(const struct cidr_list *list, const char *ip)
{
	int family;
	unsigned char addr[16];
	if (!list || parse_ip(ip, &family, addr) != 0)
		return 0;
	for (int i = 0; i < list->count; i++)
		if (in_range(&list->items[i], family, addr))
			return 1;
	return 0;
}

/* Looks at the entry [start, end) of a header line: 1 and the address when it is one, else 0. */
static int entry_address(const char *start, const char *end, char *out)
{
	while (start < end && (*start == ' ' || *start == '\t'))
		start++;
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	size_t len = (size_t)(end - start);
	int family;
	unsigned char addr[16];
	if (len == 0 || len >= NETADDR_TEXT)
		return 0;
	memcpy(out, start, len);
	out[len] = '\0';
	return parse_ip(out, &family, addr) == 0;
}

void netaddr_client(const struct cidr_list *trusted, const char *peer, const char *const *forwarded,
		    size_t nforwarded, char *out)
{
	snprintf(out, NETADDR_TEXT, "%s", peer);
	if (!trusted || !trusted->count || !netaddr_contains(trusted, peer))
		return;
	/* walk from the right: the entries our own proxies appended come last */
	for (size_t line = nforwarded; line-- > 0;) {
		const char *text = forwarded[line];
		const char *end = text + strlen(text);
		while (end > text) {
			const char *start = end;
			while (start > text && start[-1] != ',')
				start--;
			char item[NETADDR_TEXT];
			int blank = strspn(start, " \t") >= (size_t)(end - start);
			if (!blank) {
				if (!entry_address(start, end, item))
					return; /* not an address: keep the last good hop */
				memcpy(out, item, NETADDR_TEXT);
				if (!netaddr_contains(trusted, item))
					return;
			}
			end = start > text ? start - 1 : text;
		}
	}
}

void netaddr_key(const char *ip, char *out)
{
	unsigned char addr[16];
	if (inet_pton(AF_INET6, ip, addr) != 1) {
		snprintf(out, NETADDR_KEY, "%s", ip);
		return;
	}
	static const unsigned char v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (memcmp(addr, v4_mapped, sizeof v4_mapped) == 0) {
		inet_ntop(AF_INET, addr + 12, out, NETADDR_KEY);
		return;
	}
	memset(addr + 8, 0, 8);
	char text[NETADDR_TEXT];
	inet_ntop(AF_INET6, addr, text, sizeof text);
	snprintf(out, NETADDR_KEY, "%s/64", text);
}
