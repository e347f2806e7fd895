#ifndef GUICHET_CONFIG_H
#define GUICHET_CONFIG_H
#include <stddef.h>

/*
 * Every setting of guichetd: flag, environment variable, default.
 * X(field, flag, env, default, min, max) for numbers,
 * S(field, flag, env, default) for strings (NULL: unset).
 */
#define CONFIG_NUMBERS(X) \
	X(otp_digits,          "otp-digits",          "GUICHET_OTP_DIGITS",          6,     4, 10) \
	X(citizen_otp_ttl,     "citizen-otp-ttl",     "GUICHET_CITIZEN_OTP_TTL",     300,   1, 31536000) \
	X(admin_otp_ttl,       "admin-otp-ttl",       "GUICHET_ADMIN_OTP_TTL",       600,   1, 31536000) \
	X(otp_cooldown,        "otp-cooldown",        "GUICHET_OTP_COOLDOWN",        30,    0, 86400) \
	X(token_ttl,           "token-ttl",           "GUICHET_TOKEN_TTL",           86400, 1, 315360000) \
	X(password_min_length, "password-min-length", "GUICHET_PASSWORD_MIN_LENGTH", 8,     1, 1024) \
	X(login_max_failures,  "login-max-failures",  "GUICHET_LOGIN_MAX_FAILURES",  10,    0, 1000000) \
	X(rate_limit,          "rate-limit",          "GUICHET_RATE_LIMIT",          600,   0, 100000000) \
	X(otp_guess_budget,    "otp-guess-budget",    "GUICHET_OTP_GUESS_BUDGET",    100,   0, 1000000) \
	X(code_only_guesses,   "code-only-guesses",   "GUICHET_CODE_ONLY_GUESSES",   0,     0, 100000000) \
	X(mail_timeout,        "mail-timeout",        "GUICHET_MAIL_TIMEOUT",        15,    1, 600) \
	X(max_conns_per_addr,  "max-conns-per-addr",  "GUICHET_MAX_CONNS_PER_ADDR",  64,    1, 100000) \
	X(request_timeout,     "request-timeout",     "GUICHET_REQUEST_TIMEOUT",     10,    1, 3600) \
	X(audit_days,          "audit-days",          "GUICHET_AUDIT_DAYS",          365,   1, 36500) \
	X(sms_timeout,         "sms-timeout",         "GUICHET_SMS_TIMEOUT",         10,    1, 600)

#define CONFIG_STRINGS(S) \
	S(listen,    "listen",    "GUICHET_LISTEN",    "127.0.0.1:8080") \
	S(db,        "db",        "GUICHET_DB",        "guichet.db") \
	S(mail,      "mail",      "GUICHET_MAIL",      "outbox:outbox") \
	S(mail_from, "mail-from", "GUICHET_MAIL_FROM", "guichet@localhost") \
	S(tls_cert,  "tls-cert",  "GUICHET_TLS_CERT",  NULL) \
	S(tls_key,   "tls-key",   "GUICHET_TLS_KEY",   NULL) \
	S(trust_proxy, "trust-proxy", "GUICHET_TRUST_PROXY", NULL) \
	S(otp_callers, "otp-callers", "GUICHET_OTP_CALLERS", "any") \
	S(sms,       "sms",       "GUICHET_SMS",       "none") \
	S(otp_in_response, "otp-in-response", "GUICHET_OTP_IN_RESPONSE", NULL) \
	S(metrics_allow, "metrics-allow", "GUICHET_METRICS_ALLOW", "127.0.0.0/8,::1") \
	S(log_format, "log-format", "GUICHET_LOG_FORMAT", "text")

/* --sms-header may be repeated; GUICHET_SMS_HEADERS holds one header per line. */
#define CONFIG_SMS_HEADERS_MAX 8

/* Strings point into argv, the environment or literals: nothing to free. */
struct config {
#define CONFIG_NUM_FIELD(field, flag, env, def, min, max) long field;
#define CONFIG_STR_FIELD(field, flag, env, def) const char *field;
	CONFIG_NUMBERS(CONFIG_NUM_FIELD)
	CONFIG_STRINGS(CONFIG_STR_FIELD)
#undef CONFIG_NUM_FIELD
#undef CONFIG_STR_FIELD
	const char *sms_headers[CONFIG_SMS_HEADERS_MAX]; /* from --sms-header, in order */
	int sms_header_count;
	const char *sms_headers_env; /* GUICHET_SMS_HEADERS, used when no --sms-header is given */
};

/* 1 when --otp-in-response yes (the default with --sms none). */
int config_otp_in_response(const struct config *cfg);

/* Checks the settings that depend on each other or take words. 0, or -1 with err. */
int config_check(const struct config *cfg, char *err, size_t errsz);

/* Defaults, then GUICHET_* variables. Returns 0, or -1 with err set. */
int config_init(struct config *cfg, char *err, size_t errsz);

/*
 * Applies one flag (name without "--"). Returns 1 when applied, 0 when the
 * name is not a setting, -1 when the value is bad (err set).
 */
int config_set(struct config *cfg, const char *name, const char *value, char *err, size_t errsz);

/* Prints the settings table (for --help). */
void config_usage(void);

/*
 * Reads "--name value" or "--name=value" at argv[*i]. On success sets *name
 * (without dashes, copied into namebuf) and *value, advances *i, returns 1.
 * Returns 0 when argv[*i] is not an option, -1 when its value is missing.
 */
int config_next_option(int argc, char **argv, int *i, char *namebuf, size_t namesz,
		       const char **value);

#endif
