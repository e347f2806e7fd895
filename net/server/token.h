#ifndef GUICHET_TOKEN_H
#define GUICHET_TOKEN_H
#include <stddef.h>
#include <stdint.h>

/*
 * Bearer tokens in the Laravel Sanctum 4 form: "<id>|<secret>", where the
 * secret is 40 random [A-Za-z0-9] followed by the CRC32 (crc32b) of those 40
 * as 8 lowercase hex digits. Only a SHA-256 of the secret is stored.
 */
#define TOKEN_RANDOM_LEN 40
#define TOKEN_SECRET_LEN (TOKEN_RANDOM_LEN + 8)
#define TOKEN_HASH_BYTES 32

/* Writes a fresh secret (TOKEN_SECRET_LEN chars + NUL). */
void token_make_secret(char *out);

/* 1 when s is a secret of the right length, alphabet and checksum. */
int token_secret_wellformed(const char *s);

/*
 * Splits "Bearer <id>|<secret>" or a bare "<id>|<secret>" into its parts.
 * Returns 0 and points *secret into header, or -1 when malformed.
 */
int token_parse(const char *header, int64_t *id, const char **secret);

void token_hash(const char *secret, unsigned char out[TOKEN_HASH_BYTES]);

/* Writes a random UUID v4 (36 chars + NUL), lowercase. */
void token_uuid_v4(char *out);

#endif
