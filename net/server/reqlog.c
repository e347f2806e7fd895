#include "reqlog.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"

enum reqlog_format reqlog_format_of(const char *name)
{
	return name && strcmp(name, "json") == 0 ? REQLOG_JSON : REQLOG_TEXT;
}

/* s as the inside of a JSON string: quotes and backslashes escaped, control bytes as \u00XX. */
static void json_string(const char *s, char *out, size_t outsz)
{
	size_t n = 0;
	for (; *s && n + 7 < outsz; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\') {
			out[n++] = '\\';
			out[n++] = (char)ch;
		} else if (ch < 0x20 || ch == 0x7f) {
			n += (size_t)snprintf(out + n, outsz - n, "\\u%04x", ch);
		} else {
			out[n++] = (char)ch;
		}
	}
	out[n] = '\0';
}

void reqlog_write(enum reqlog_format format, const char *method, const char *path, const char *route, int status,
		  int64_t duration_us)
{
	if (format == REQLOG_TEXT) {
		fprintf(stderr, "%s %s %d %lldms\n", method, path, status, (long long)(duration_us / 1000));
		return;
	}
	char at[CLOCK_ISO_LEN + 1], m[128], p[1024], r[256], quoted[260];
	clock_format_iso(clock_now_ms(), at);
	json_string(method, m, sizeof m);
	json_string(path, p, sizeof p);
	if (route) {
		json_string(route, r, sizeof r);
		snprintf(quoted, sizeof quoted, "\"%s\"", r);
	} else {
		snprintf(quoted, sizeof quoted, "null");
	}
	fprintf(stderr, "{\"time\":\"%s\",\"method\":\"%s\",\"path\":\"%s\",\"route\":%s,\"status\":%d,"
			"\"durationMs\":%.3f}\n",
		at, m, p, quoted, status, (double)duration_us / 1000.0);
}
