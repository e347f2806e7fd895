#include "token.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

static const char ALPHABET[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static unsigned long crc_of(const char *s, size_t n)
{
	return crc32(crc32(0L, Z_NULL, 0), (const Bytef *)s, (uInt)n);
}

void token_make_secret(char *out)
{
	for (int i = 0; i < TOKEN_RANDOM_LEN; i++)
		out[i] = ALPHABET[randombytes_uniform(sizeof ALPHABET - 1)];
	snprintf(out + TOKEN_RANDOM_LEN, 9, "%08lx", crc_of(out, TOKEN_RANDOM_LEN));
}

int token_secret_wellformed(const char *s)
{
	if (strlen(s) != TOKEN_SECRET_LEN)
		return 0;
	for (int i = 0; i < TOKEN_RANDOM_LEN; i++)
		if (!isalnum((unsigned char)s[i]))
			return 0;
	char crc[9];
	snprintf(crc, sizeof crc, "%08lx", crc_of(s, TOKEN_RANDOM_LEN));
	return memcmp(crc, s + TOKEN_RANDOM_LEN, 8) == 0;
}

int token_parse(const char *header, int64_t *id, const char **secret)
{
	const char *p = header;
	while (*p == ' ')
		p++;
	if (strncasecmp(p, "Bearer ", 7) == 0) {
		p += 7;
		while (*p == ' ')
			p++;
	}
	int64_t value = 0;
	const char *digits = p;
	while (*p >= '0' && *p <= '9') {
		if (value > (INT64_MAX - 9) / 10)
			return -1;
		value = value * 10 + (*p - '0');
		p++;
	}
	if (p == digits || *p != '|' || value <= 0)
		return -1;
	p++;
	if (!token_secret_wellformed(p))
		return -1;
	*id = value;
	*secret = p;
	return 0;
}

void token_hash(const char *secret, unsigned char out[TOKEN_HASH_BYTES])
{
	crypto_hash_sha256(out, (const unsigned char *)secret, strlen(secret));
}

void token_uuid_v4(char *out)
{
	unsigned char b[16];
	randombytes_buf(b, sizeof b);
	b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
		 b[11], b[12], b[13], b[14], b[15]);
}
