#ifndef GUICHET_OTP_H
#define GUICHET_OTP_H
#include <stddef.h>

#define OTP_DIGITS_MIN 4
#define OTP_DIGITS_MAX 10
#define OTP_KEY_BYTES 32
#define OTP_HASH_BYTES 32

/* Writes `digits` uniformly random decimal digits and a NUL (CSPRNG, no modulo bias). */
void otp_generate(int digits, char *out);

/*
 * Keyed BLAKE2b of a code within a context ("citizen:<phone>", "admin:<purpose>"),
 * so a stolen database alone cannot be brute-forced back into live codes.
 */
void otp_hash(const unsigned char key[OTP_KEY_BYTES], const char *context,
	      const char *code, unsigned char out[OTP_HASH_BYTES]);

/* Constant-time comparison of two hashes; 1 when equal. */
int otp_hash_equal(const unsigned char *a, const unsigned char *b);

/*
 * Loads the server key from path, creating it (mode 0600, random) when it does
 * not exist. Returns 0, or -1 with a message in err.
 */
int otp_key_load(const char *path, unsigned char key[OTP_KEY_BYTES], char *err, size_t errsz);

#endif
