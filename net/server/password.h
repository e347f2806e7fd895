#ifndef GUICHET_PASSWORD_H
#define GUICHET_PASSWORD_H
#include <sodium.h>
#include <stddef.h>

#define PASSWORD_MAX_BYTES 1024
#define PASSWORD_HASH_LEN crypto_pwhash_STRBYTES

/*
 * Checks the policy: at least min_chars characters (UTF-8 code points) and at
 * most PASSWORD_MAX_BYTES bytes. Returns NULL when the password is acceptable,
 * else the French message naming the rule, written into msg.
 */
const char *password_policy(const char *pw, int min_chars, char *msg, size_t msgsz);

/*
 * Argon2id via crypto_pwhash_str. At most `slots` hashes run at once across
 * the process (set once with password_init), so memory stays bounded; callers
 * past that wait. Returns 0 or -1 (out of memory).
 */
void password_init(int slots);
int password_hash(const char *pw, char out[PASSWORD_HASH_LEN]);
/* 1 when pw matches the stored hash. */
int password_verify(const char *stored, const char *pw);

#endif
