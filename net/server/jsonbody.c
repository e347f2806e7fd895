#include "jsonbody.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int jsonbody_valid_utf8(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0;
	while (i < len) {
		unsigned char c = s[i];
		size_t extra;
		unsigned int cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			extra = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			extra = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			extra = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (len - i <= extra)
			return 0;
		for (size_t k = 1; k <= extra; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
			return 0;
		if (cp >= 0xD800 && cp <= 0xDFFF)
			return 0;
		i += extra + 1;
	}
	return 1;
}

/* Finds a \u0000 escape, reading escapes pairwise so "\\u0000" is not one. */
static int has_nul_escape(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\\')
			continue;
		if (buf[i + 1] == 'u' && i + 5 < len && memcmp(buf + i + 2, "0000", 4) == 0)
			return 1;
		i++; /* skip the escaped character */
	}
	return 0;
}

static int is_blank(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r' && buf[i] != '\n')
			return 0;
	return 1;
}

enum body_result jsonbody_parse(const char *buf, size_t len, cJSON **out)
{
	*out = NULL;
	if (len == 0 || is_blank(buf, len)) {
		*out = cJSON_CreateObject();
		return *out ? BODY_OK : BODY_INVALID;
	}
	if (memchr(buf, '\0', len) || !jsonbody_valid_utf8(buf, len) || has_nul_escape(buf, len))
		return BODY_INVALID;
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (!root)
		return BODY_INVALID;
	if (end && !is_blank(end, len - (size_t)(end - buf))) {
		cJSON_Delete(root);
		return BODY_INVALID;
	}
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return BODY_NOT_OBJECT;
	}
	*out = root;
	return BODY_OK;
}

int jsonbody_present(const cJSON *obj, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	return item && !cJSON_IsNull(item) && !(cJSON_IsString(item) && item->valuestring && !item->valuestring[0]);
}

enum field_result jsonbody_string(const cJSON *obj, const char *name, const char **out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	*out = NULL;
	if (!item || cJSON_IsNull(item))
		return FIELD_MISSING;
	if (!cJSON_IsString(item) || !item->valuestring)
		return FIELD_WRONG_TYPE;
	if (item->valuestring[0] == '\0')
		return FIELD_MISSING;
	*out = item->valuestring;
	return FIELD_OK;
}

enum field_result jsonbody_otp(const cJSON *obj, const char *name, int digits, char *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (!item || cJSON_IsNull(item))
		return FIELD_MISSING;
	if (cJSON_IsNumber(item)) {
		double v = item->valuedouble;
		double limit = pow(10.0, digits);
		if (!(v >= 0) || v >= limit || floor(v) != v)
			return FIELD_WRONG_TYPE;
		snprintf(out, (size_t)digits + 1, "%0*.0f", digits, v);
		return FIELD_OK;
	}
	if (!cJSON_IsString(item) || !item->valuestring)
		return FIELD_WRONG_TYPE;
	const char *s = item->valuestring;
	if (s[0] == '\0')
		return FIELD_MISSING;
	size_t n = strlen(s);
	if (n != (size_t)digits || strspn(s, "0123456789") != n)
		return FIELD_WRONG_TYPE;
	memcpy(out, s, n + 1);
	return FIELD_OK;
}
