#ifndef GUICHET_PHONE_H
#define GUICHET_PHONE_H
#include <stddef.h>

/* Longest phone number we store, in characters (E.164 allows 15 digits). */
#define PHONE_MAX 32

enum phone_result {
	PHONE_OK,
	PHONE_EMPTY,   /* nothing left once separators are removed */
	PHONE_INVALID, /* a character that is not a digit, or too long */
};

/*
 * Normalises a phone number as it is stored and matched: spaces, dots and
 * dashes are removed; a leading '+' is kept; anything else is invalid.
 * out must hold PHONE_MAX + 1 bytes.
 */
enum phone_result phone_normalize(const char *in, char *out);

#endif
