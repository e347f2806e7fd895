#ifndef GUICHET_JSONBODY_H
#define GUICHET_JSONBODY_H
#include <cjson/cJSON.h>
#include <stddef.h>

enum body_result {
	BODY_OK,
	BODY_INVALID, /* not JSON, not UTF-8, or holds a NUL */
	BODY_NOT_OBJECT,
};

/*
 * Parses a request body. An empty body is an empty object (so that routes
 * answer "missing fields"). Refuses invalid UTF-8, raw NUL bytes and the
 * \u0000 escape, which cJSON would silently truncate a string at.
 * On BODY_OK, *out is an object you now own (cJSON_Delete).
 */
enum body_result jsonbody_parse(const char *buf, size_t len, cJSON **out);

/* True when buf[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
int jsonbody_valid_utf8(const char *buf, size_t len);

enum field_result {
	FIELD_OK,
	FIELD_MISSING,    /* absent, null or "" */
	FIELD_WRONG_TYPE, /* present but not of the expected type or form */
};

/* 1 when the member is there: not absent, null or "". */
int jsonbody_present(const cJSON *obj, const char *name);

/* A non-empty string member; *out points into obj. */
enum field_result jsonbody_string(const cJSON *obj, const char *name, const char **out);

/*
 * An OTP member: a string of exactly `digits` digits, or a non-negative
 * integer below 10^digits, left-padded with zeros. out holds digits + 1.
 */
enum field_result jsonbody_otp(const cJSON *obj, const char *name, int digits, char *out);

#endif
