#include "phone.h"

enum phone_result phone_normalize(const char *in, char *out)
{
	size_t n = 0;
	for (const char *p = in; *p; p++) {
		char c = *p;
		if (c == ' ' || c == '.' || c == '-' || c == '\t')
			continue;
		if (!(c >= '0' && c <= '9') && !(c == '+' && n == 0))
			return PHONE_INVALID;
		if (n == PHONE_MAX)
			return PHONE_INVALID;
		out[n++] = c;
	}
	out[n] = '\0';
	if (n == 0)
		return PHONE_EMPTY;
	if (n == 1 && out[0] == '+')
		return PHONE_INVALID;
	return PHONE_OK;
}
