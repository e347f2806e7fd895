#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"

static int parse_number(const char *flag, const char *value, long min, long max,
			long *out, char *err, size_t errsz)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(value, &end, 10);
	if (errno || end == value || *end != '\0' || v < min || v > max) {
		snprintf(err, errsz, "--%s: expected a whole number from %ld to %ld, got '%s'",
			 flag, min, max, value);
		return -1;
	}
	*out = v;
	return 0;
}

int config_set(struct config *cfg, const char *name, const char *value, char *err, size_t errsz)
{
	if (strcmp(name, "sms-header") == 0) {
		if (!strchr(value, ':') || strpbrk(value, "\r\n") || cfg->sms_header_count == CONFIG_SMS_HEADERS_MAX) {
			snprintf(err, errsz, "--sms-header: expected 'Name: value' (at most %d), got '%s'",
				 CONFIG_SMS_HEADERS_MAX, value);
			return -1;
		}
		cfg->sms_headers[cfg->sms_header_count++] = value;
		return 1;
	}
#define CONFIG_SET_NUM(field, flag, env, def, min, max) \
	if (strcmp(name, flag) == 0) \
		return parse_number(flag, value, min, max, &cfg->field, err, errsz) == 0 ? 1 : -1;
#define CONFIG_SET_STR(field, flag, env, def) \
	if (strcmp(name, flag) == 0) { \
		if (value[0] == '\0') { \
			snprintf(err, errsz, "--%s: empty value", flag); \
			return -1; \
		} \
		cfg->field = value; \
		return 1; \
	}
	CONFIG_NUMBERS(CONFIG_SET_NUM)
	CONFIG_STRINGS(CONFIG_SET_STR)
#undef CONFIG_SET_NUM
#undef CONFIG_SET_STR
	return 0;
}

int config_init(struct config *cfg, char *err, size_t errsz)
{
#define CONFIG_DEF_NUM(field, flag, env, def, min, max) cfg->field = def;
#define CONFIG_DEF_STR(field, flag, env, def) cfg->field = def;
	CONFIG_NUMBERS(CONFIG_DEF_NUM)
	CONFIG_STRINGS(CONFIG_DEF_STR)
#undef CONFIG_DEF_NUM
#undef CONFIG_DEF_STR
	const char *v;
#define CONFIG_ENV(field, flag, env, ...) \
	if ((v = getenv(env)) && *v && config_set(cfg, flag, v, err, errsz) < 0) { \
		size_t len = strlen(err); \
		snprintf(err + len, errsz - len, " (from %s)", env); \
		return -1; \
	}
	CONFIG_NUMBERS(CONFIG_ENV)
	CONFIG_STRINGS(CONFIG_ENV)
#undef CONFIG_ENV
	cfg->sms_header_count = 0;
	cfg->sms_headers_env = getenv("GUICHET_SMS_HEADERS");
	return 0;
}

static int one_of(const char *value, const char *a, const char *b)
{
	return strcmp(value, a) == 0 || strcmp(value, b) == 0;
}

int config_otp_in_response(const struct config *cfg)
{
	if (cfg->otp_in_response)
		return strcmp(cfg->otp_in_response, "yes") == 0;
	return strcmp(cfg->sms, "none") == 0;
}

int config_check(const struct config *cfg, char *err, size_t errsz)
{
	if (!one_of(cfg->otp_callers, "any", "key")) {
		snprintf(err, errsz, "--otp-callers: expected any or key, got '%s'", cfg->otp_callers);
		return -1;
	}
	if (cfg->otp_in_response && !one_of(cfg->otp_in_response, "yes", "no")) {
		snprintf(err, errsz, "--otp-in-response: expected yes or no, got '%s'", cfg->otp_in_response);
		return -1;
	}
	if (strcmp(cfg->sms, "none") != 0 && strncmp(cfg->sms, "outbox:", 7) != 0 &&
	    strncmp(cfg->sms, "http://", 7) != 0 && strncmp(cfg->sms, "https://", 8) != 0) {
		snprintf(err, errsz, "--sms: expected none, outbox:DIR, http://URL or https://URL, got '%s'", cfg->sms);
		return -1;
	}
	if (!one_of(cfg->log_format, "text", "json")) {
		snprintf(err, errsz, "--log-format: expected text or json, got '%s'", cfg->log_format);
		return -1;
	}
	struct cidr_list ranges;
	if (strcmp(cfg->metrics_allow, "none") != 0 && netaddr_parse_list(cfg->metrics_allow, &ranges) != 0) {
		snprintf(err, errsz, "--metrics-allow: expected none or CIDR ranges such as 127.0.0.0/8,::1, got '%s'",
			 cfg->metrics_allow);
		return -1;
	}
	return 0;
}

static const char *or_none(const char *s)
{
	return s ? s : "(none)";
}

void config_usage(void)
{
	printf("Settings (flag, environment variable, default):\n");
#define CONFIG_USE_NUM(field, flag, env, def, min, max) \
	printf("  --%-22s %-30s %ld\n", flag " N", env, (long)(def));
#define CONFIG_USE_STR(field, flag, env, def) \
	printf("  --%-22s %-30s %s\n", flag " VALUE", env, or_none(def));
	CONFIG_STRINGS(CONFIG_USE_STR)
	CONFIG_NUMBERS(CONFIG_USE_NUM)
#undef CONFIG_USE_NUM
#undef CONFIG_USE_STR
	printf("  --%-22s %-30s %s\n", "sms-header 'N: V'", "GUICHET_SMS_HEADERS", "(none; repeatable, one per line)");
	printf("\n--otp-in-response defaults to yes with --sms none, no otherwise.\n");
}

int config_next_option(int argc, char **argv, int *i, char *namebuf, size_t namesz,
		       const char **value)
{
	const char *arg = argv[*i];
	if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
		return 0;
	const char *name = arg + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	if (len >= namesz)
		len = namesz - 1;
	memcpy(namebuf, name, len);
	namebuf[len] = '\0';
	if (eq) {
		*value = eq + 1;
		*i += 1;
		return 1;
	}
	if (*i + 1 >= argc)
		return -1;
	*value = argv[*i + 1];
	*i += 2;
	return 1;
}
