/* libFuzzer target: the console's parsing of server responses. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct client_result r;
	memset(&r, 0, sizeof r);
	client_parse((const char *)data, size, &r);
	/* whatever arrives, the typed result holds terminated strings */
	if (memchr(r.message, '\0', sizeof r.message) == NULL || memchr(r.token, '\0', sizeof r.token) == NULL ||
	    memchr(r.admin.email, '\0', sizeof r.admin.email) == NULL || memchr(r.code, '\0', sizeof r.code) == NULL)
		__builtin_trap();
	return 0;
}
