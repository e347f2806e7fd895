/*
 * libFuzzer target: the inputs of guichetd's abuse limits that a client
 * controls, the addresses and headers that decide who it is.
 * Input: "TRUSTED-RANGES\nPEER\nX-FORWARDED-FOR LINE\n..." (any bytes).
 * Checks: never a crash; the client is the peer or one of the forwarded
 * entries, always a parseable address; its key is bounded and NUL-ended.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"

#define LINES_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_address(const char *text)
{
	unsigned char addr[16];
	return inet_pton(AF_INET, text, addr) == 1 || inet_pton(AF_INET6, text, addr) == 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	const char *lines[LINES_MAX + 2];
	size_t n = 0;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && n < LINES_MAX + 2;
	     line = strtok_r(NULL, "\n", &save))
		lines[n++] = line;
	struct cidr_list trusted;
	const char *peer = n > 1 ? lines[1] : "127.0.0.1";
	int have_trusted = n > 0 && netaddr_parse_list(lines[0], &trusted) == 0;
	char client[NETADDR_TEXT], key[NETADDR_KEY];
	netaddr_client(have_trusted ? &trusted : NULL, peer, n > 2 ? lines + 2 : NULL, n > 2 ? n - 2 : 0, client);
	if (strlen(client) >= NETADDR_TEXT)
		abort();
	/* the peer is kept verbatim (it comes from the socket); anything else must be an address */
	if (strncmp(client, peer, NETADDR_TEXT - 1) != 0 && !is_address(client))
		abort();
	if (is_address(client)) {
		netaddr_key(client, key);
		if (strlen(key) >= NETADDR_KEY || (!strchr(client, ':') && strcmp(key, client) != 0))
			abort();
	}
	free(text);
	return 0;
}
