/* libFuzzer target: the console's parsing of server responses, and what it lets reach a terminal. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* No C0 control but the allowed ones, no DEL, no C1 (as UTF-8 C2 80-9F or as a lone byte). */
static int terminal_safe(const char *s, int allow_lf)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p < 0x20 && !(allow_lf && *p == '\n')) || *p == 0x7F)
			return 0;
		if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
			return 0;
		if (*p >= 0x80 && *p <= 0xBF && (p == (const unsigned char *)s || p[-1] < 0x80))
			return 0; /* a continuation byte that follows no lead byte */
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct client_result r;
	memset(&r, 0, sizeof r);
	client_parse((const char *)data, size, &r);
	/* whatever arrives, the typed result holds terminated strings */
	if (memchr(r.message, '\0', sizeof r.message) == NULL || memchr(r.token, '\0', sizeof r.token) == NULL ||
	    memchr(r.admin.email, '\0', sizeof r.admin.email) == NULL || memchr(r.code, '\0', sizeof r.code) == NULL)
		__builtin_trap();
	/* ... and nothing a terminal would obey */
	if (!terminal_safe(r.message, 0) || !terminal_safe(r.admin.nom, 0) || !terminal_safe(r.code, 0) ||
	    !terminal_safe(r.phone, 0) || !terminal_safe(r.expires_at, 0))
		__builtin_trap();
	/* a code is only ever shown as part of an issued OTP */
	if (r.has_code && !r.otp_issued)
		__builtin_trap();
	char *json = client_clean_json((const char *)data, size, 1);
	if (json && !terminal_safe(json, 0))
		__builtin_trap();
	free(json);
	json = client_clean_json((const char *)data, size, 0);
	if (json && !terminal_safe(json, 1))
		__builtin_trap();
	free(json);
	char text[64];
	client_clean_text(text, sizeof text, (const char *)data, size);
	if (strlen(text) >= sizeof text || !terminal_safe(text, 0))
		__builtin_trap();
	return 0;
}
