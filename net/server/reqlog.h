#ifndef GUICHET_REQLOG_H
#define GUICHET_REQLOG_H
/*
 * The request log: one line per request on stderr (--log-format):
 *   text  METHOD PATH STATUS DURATIONms
 *   json  {"time","method","path","route","status","durationMs"}
 * Never a body, a code, a password or a token. path is the printable copy the
 * HTTP layer keeps (control bytes already replaced); route is the template
 * that answered, or null.
 */
#include <stdint.h>

enum reqlog_format { REQLOG_TEXT, REQLOG_JSON };

/* "text" or "json"; anything else is text (config_check refuses it first). */
enum reqlog_format reqlog_format_of(const char *name);

void reqlog_write(enum reqlog_format format, const char *method, const char *path, const char *route, int status,
		  int64_t duration_us);

#endif
