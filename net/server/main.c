/* guichetd: the bundled backend of guichet (contract §3–§5). */
#include <curl/curl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "clock.h"
#include "config.h"
#include "http.h"
#include "netaddr.h"
#include "mail.h"
#include "metrics.h"
#include "notify.h"
#include "password.h"
#include "provision.h"
#include "store.h"

#ifndef GUICHET_VERSION
#define GUICHET_VERSION "0.0.0"
#endif

/* Argon2id uses 64 MiB per hash: two at once keeps memory bounded on a small machine. */
#define HASH_SLOTS 2
/* SIGTERM: requests in flight get this long to finish (contract §9.4). */
#define STOP_GRACE_MS 10000L
#define DAY_MS ((int64_t)24 * 60 * 60 * 1000)
#define PEM_MAX ((size_t)64 * 1024)

static void usage(FILE *to)
{
	fprintf(to,
		"usage: guichetd COMMAND [OPTIONS]\n\n"
		"Commands:\n"
		"  serve                      run the HTTP server\n"
		"  admin add|list|delete      manage admins\n"
		"  citizen add|import         register citizens (import reads a CSV file)\n"
		"  user add --type TYPE       register a non-citizen user\n"
		"  apikey add|list|revoke     keys for /otp with --otp-callers key\n"
		"  backup FILE                an online copy of the database (SQLite backup API, or pg_dump)\n"
		"  audit [--since T] [--admin E]  print the admin events (audit trail)\n"
		"  routes                     print the HTTP routes, METHOD PATH per line\n"
		"  --version, --help\n\n"
		"Every command takes --db PATH (GUICHET_DB). `guichetd serve --help` lists the settings.\n");
}

static char *read_pem(const char *path, char *err, size_t errsz)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errsz, "cannot read %s", path);
		return NULL;
	}
	char *buf = malloc(PEM_MAX);
	size_t n = buf ? fread(buf, 1, PEM_MAX - 1, f) : 0;
	fclose(f);
	if (!buf || n == 0 || n == PEM_MAX - 1) {
		snprintf(err, errsz, "%s is empty or too large", path);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

static int parse_serve(int argc, char **argv, struct config *cfg)
{
	char err[256], name[64];
	if (config_init(cfg, err, sizeof err) != 0) {
		fprintf(stderr, "guichetd: %s\n", err);
		return 2;
	}
	for (int i = 0; i < argc;) {
		const char *value;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: guichetd serve [--FLAG VALUE ...]\n\n");
			config_usage();
			exit(0);
		}
		int rc = config_next_option(argc, argv, &i, name, sizeof name, &value);
		if (rc <= 0) {
			fprintf(stderr, "guichetd: %s '%s' (see guichetd serve --help)\n",
				rc < 0 ? "missing value for" : "unexpected argument", argv[i]);
			return 2;
		}
		rc = config_set(cfg, name, value, err, sizeof err);
		if (rc == 0) {
			fprintf(stderr, "guichetd: unknown option --%s (see guichetd serve --help)\n", name);
			return 2;
		}
		if (rc < 0) {
			fprintf(stderr, "guichetd: %s\n", err);
			return 2;
		}
	}
	const char *colon = strrchr(cfg->listen, ':');
	if (!colon || colon == cfg->listen || colon[1] == '\0' || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    strtol(colon + 1, NULL, 10) > 65535) {
		fprintf(stderr, "guichetd: --listen: expected HOST:PORT, got '%s'\n", cfg->listen);
		return 2;
	}
	if (!cfg->tls_cert != !cfg->tls_key) {
		fprintf(stderr, "guichetd: --tls-cert and --tls-key go together\n");
		return 2;
	}
	if (config_check(cfg, err, sizeof err) != 0) {
		fprintf(stderr, "guichetd: %s\n", err);
		return 2;
	}
	return 0;
}

/* 1 when --listen names a loopback address: only this machine can reach it. */
static int listen_is_loopback(const char *listen)
{
	const char *colon = strrchr(listen, ':');
	size_t len = colon ? (size_t)(colon - listen) : strlen(listen);
	char host[256];
	snprintf(host, sizeof host, "%.*s", (int)len, listen);
	return strncmp(host, "127.", 4) == 0 || strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0 ||
	       strcmp(host, "localhost") == 0;
}

/* The SMS gateway's headers: the --sms-header flags, else the lines of GUICHET_SMS_HEADERS (cut in buf). */
static size_t sms_headers(const struct config *cfg, char *buf, size_t bufsz, const char **out)
{
	size_t n = 0;
	for (; n < (size_t)cfg->sms_header_count; n++)
		out[n] = cfg->sms_headers[n];
	if (n || !cfg->sms_headers_env)
		return n;
	snprintf(buf, bufsz, "%s", cfg->sms_headers_env);
	for (char *save = NULL, *line = strtok_r(buf, "\r\n", &save); line && n < CONFIG_SMS_HEADERS_MAX;
	     line = strtok_r(NULL, "\r\n", &save))
		out[n++] = line;
	return n;
}

static int serve(int argc, char **argv)
{
	struct config cfg;
	int rc = parse_serve(argc, argv, &cfg);
	if (rc)
		return rc;
	char err[512];
	struct app app = { .cfg = &cfg };
	char *cert = NULL, *key = NULL, *url = NULL;
	struct http *http = NULL;
	rc = 1;
	if (cfg.tls_cert && (!(cert = read_pem(cfg.tls_cert, err, sizeof err)) ||
			     !(key = read_pem(cfg.tls_key, err, sizeof err))))
		goto out;
	char header_buf[4096];
	const char *headers[CONFIG_SMS_HEADERS_MAX];
	size_t nheaders = sms_headers(&cfg, header_buf, sizeof header_buf, headers);
	if (store_open(cfg.db, &app.store, err, sizeof err) != 0 ||
	    store_server_key(app.store, app.key, err, sizeof err) != 0 ||
	    !(app.mailer = mailer_open(cfg.mail, cfg.mail_from, cfg.mail_timeout, err, sizeof err)) ||
	    !(app.sms = sms_open(cfg.sms, headers, nheaders, cfg.sms_timeout, err, sizeof err)))
		goto out;
	sodium_memzero(header_buf, sizeof header_buf); /* the gateway's key */
	if (strcmp(cfg.otp_callers, "any") == 0 && !listen_is_loopback(cfg.listen))
		fprintf(stderr, "warning: --otp-callers any on %s: anyone who can reach it can obtain any citizen's "
				"code; use --otp-callers key (and --sms) to deploy\n", cfg.listen);
	if (!(app.abuse = abuse_new(&cfg, app.store))) {
		snprintf(err, sizeof err, "out of memory");
		goto out;
	}
	password_init(HASH_SLOTS);
	metrics_start();

	/* signals are taken by sigwait below, never by a server thread */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct cidr_list trusted;
	if (cfg.trust_proxy && netaddr_parse_list(cfg.trust_proxy, &trusted) != 0) {
		snprintf(err, sizeof err, "--trust-proxy: expected CIDR ranges such as 10.0.0.0/8,::1, got '%s'",
			 cfg.trust_proxy);
		goto out;
	}
	struct http_options opt = { .listen = cfg.listen, .tls_cert = cert, .tls_key = key, .log_requests = 1,
				    .trusted_proxies = cfg.trust_proxy ? &trusted : NULL,
				    .request_timeout_s = cfg.request_timeout, .max_conns_per_addr = cfg.max_conns_per_addr };
	/* the audit trail's retention: at start, then hourly in the main thread until a signal comes */
	store_audit_prune(app.store, clock_now_ms() - cfg.audit_days * DAY_MS);
	http = http_start(&app, &opt, &url, err, sizeof err);
	if (!http)
		goto out;
	printf("listening on %s\n", url);
	fflush(stdout);
	notify_ready(url);
	const struct timespec hourly = { .tv_sec = 3600 };
	while (sigtimedwait(&stop, NULL, &hourly) < 0)
		store_audit_prune(app.store, clock_now_ms() - cfg.audit_days * DAY_MS);
	notify_stopping();
	fprintf(stderr, "guichetd: stopping\n");
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "guichetd: %s\n", err);
	if (http_stop(http, STOP_GRACE_MS) != 0) {
		/* a request still runs: its thread holds what we would free */
		fprintf(stderr, "guichetd: stopped with requests still running\n");
		fflush(stderr);
		_exit(rc);
	}
	mailer_free(app.mailer);
	sms_free(app.sms);
	abuse_free(app.abuse);
	store_close(app.store);
	sodium_memzero(app.key, sizeof app.key);
	if (key)
		sodium_memzero(key, strlen(key));
	free(cert);
	free(key);
	free(url);
	return rc;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "guichetd: cannot initialise libsodium or libcurl\n");
		return 1;
	}
	int rc;
	const char *cmd = argc > 1 ? argv[1] : "";
	if (strcmp(cmd, "serve") == 0)
		rc = serve(argc - 2, argv + 2);
	else if (strcmp(cmd, "admin") == 0)
		rc = provision_admin(argc - 2, argv + 2);
	else if (strcmp(cmd, "citizen") == 0)
		rc = provision_citizen(argc - 2, argv + 2);
	else if (strcmp(cmd, "user") == 0)
		rc = provision_user(argc - 2, argv + 2);
	else if (strcmp(cmd, "apikey") == 0)
		rc = provision_apikey(argc - 2, argv + 2);
	else if (strcmp(cmd, "routes") == 0)
		rc = api_routes_print(stdout);
	else if (strcmp(cmd, "audit") == 0)
		rc = provision_audit(argc - 2, argv + 2);
	else if (strcmp(cmd, "backup") == 0)
		rc = provision_backup(argc - 2, argv + 2);
	else if (strcmp(cmd, "--version") == 0)
		rc = printf("guichetd %s\n", GUICHET_VERSION) < 0;
	else if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		rc = 0;
	} else {
		if (*cmd)
			fprintf(stderr, "guichetd: unknown command '%s'\n", cmd);
		usage(stderr);
		rc = 2;
	}
	curl_global_cleanup();
	return rc;
}
