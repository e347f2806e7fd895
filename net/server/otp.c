#include "otp.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Digits per draw: 10^9 < 2^32, the bound randombytes_uniform takes. */
#define DIGITS_PER_DRAW 9

void otp_generate(int digits, char *out)
{
	/* a number of `n` digits per draw, leading zeros kept: one system call per code, not one per digit */
	for (int done = 0; done < digits;) {
		int n = digits - done < DIGITS_PER_DRAW ? digits - done : DIGITS_PER_DRAW;
		uint32_t bound = 1;
		for (int i = 0; i < n; i++)
			bound *= 10;
		uint32_t draw = randombytes_uniform(bound);
		for (int i = n - 1; i >= 0; i--, draw /= 10)
			out[done + i] = (char)('0' + draw % 10);
		done += n;
	}
	out[digits] = '\0';
}

void otp_hash(const unsigned char key[OTP_KEY_BYTES], const char *context,
	      const char *code, unsigned char out[OTP_HASH_BYTES])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, key, OTP_KEY_BYTES, OTP_HASH_BYTES);
	/* the NUL separates context from code, so no two pairs hash alike */
	crypto_generichash_update(&st, (const unsigned char *)context, strlen(context) + 1);
	crypto_generichash_update(&st, (const unsigned char *)code, strlen(code));
	crypto_generichash_final(&st, out, OTP_HASH_BYTES);
}

int otp_hash_equal(const unsigned char *a, const unsigned char *b)
{
	return sodium_memcmp(a, b, OTP_HASH_BYTES) == 0;
}

static int read_key(int fd, unsigned char key[OTP_KEY_BYTES])
{
	size_t got = 0;
	while (got < OTP_KEY_BYTES) {
		ssize_t n = read(fd, key + got, OTP_KEY_BYTES - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

int otp_key_load(const char *path, unsigned char key[OTP_KEY_BYTES], char *err, size_t errsz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		int rc = read_key(fd, key);
		close(fd);
		if (rc != 0)
			snprintf(err, errsz, "server key %s is damaged (expected %d bytes)", path, OTP_KEY_BYTES);
		return rc;
	}
	if (errno != ENOENT) {
		snprintf(err, errsz, "cannot read server key %s: %s", path, strerror(errno));
		return -1;
	}
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
		snprintf(err, errsz, "server key path too long");
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errsz, "cannot create server key %s: %s", path, strerror(errno));
		return -1;
	}
	randombytes_buf(key, OTP_KEY_BYTES);
	int ok = write(fd, key, OTP_KEY_BYTES) == OTP_KEY_BYTES && fsync(fd) == 0;
	ok = (close(fd) == 0) && ok;
	/* link() fails if another process created the key meanwhile: use theirs */
	if (ok && link(tmp, path) != 0) {
		unlink(tmp);
		if (errno == EEXIST)
			return otp_key_load(path, key, err, errsz);
		ok = 0;
	}
	unlink(tmp);
	if (!ok) {
		snprintf(err, errsz, "cannot write server key %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
