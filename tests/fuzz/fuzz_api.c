/*
 * libFuzzer target: guichetd's request handling without sockets.
 * Input: "METHOD\nPATH\nAUTHORIZATION\nBODY..." handed to api_handle() on a
 * real store (a temporary SQLite file with one citizen and one admin).
 */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "clock.h"
#include "password.h"

static struct config cfg;
static struct app app;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char err[512], dir[] = "/tmp/guichet-fuzz-XXXXXX", path[600], outbox[600];
	if (sodium_init() < 0 || !mkdtemp(dir))
		abort();
	snprintf(path, sizeof path, "%s/fuzz.db", dir);
	snprintf(outbox, sizeof outbox, "outbox:%s/outbox", dir);
	config_init(&cfg, err, sizeof err);
	cfg.otp_cooldown = 0;
	cfg.rate_limit = 0;
	app.cfg = &cfg;
	if (store_open(path, &app.store, err, sizeof err) != 0 || !(app.abuse = abuse_new(&cfg, app.store)) || !(app.mailer = mailer_open(outbox, "fuzz@localhost", 5, err, sizeof err)))
		abort();
	password_init(1);
	store_user_add(app.store, "0123456789", "CITIZEN", NULL, NULL, clock_now_ms());
	struct admin a = { 0 };
	snprintf(a.matricule, sizeof a.matricule, "01b9c005-bc27-490b-bcf0-02944f01c436");
	snprintf(a.email, sizeof a.email, "admin@example.cm");
	snprintf(a.nom, sizeof a.nom, "Doe");
	snprintf(a.prenom, sizeof a.prenom, "John");
	store_admin_add(app.store, &a, clock_now_ms(), NULL);
	return 0;
}

/* Splits off one line; returns it NUL-terminated in a buffer you own. */
static char *take_line(const uint8_t **p, size_t *left)
{
	const uint8_t *nl = memchr(*p, '\n', *left);
	size_t n = nl ? (size_t)(nl - *p) : *left;
	char *line = malloc(n + 1);
	memcpy(line, *p, n);
	line[n] = '\0';
	*p += nl ? n + 1 : n;
	*left -= nl ? n + 1 : n;
	return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	size_t left = size;
	char *method = take_line(&p, &left);
	char *path = take_line(&p, &left);
	char *auth = take_line(&p, &left);
	struct request rq = {
		.app = &app,
		.method = method,
		.path = path,
		.body = (const char *)p,
		.body_len = left,
		.body_too_large = left > API_BODY_MAX,
		.authorization = auth[0] ? auth : NULL,
		.client_ip = "127.0.0.1",
		.client_key = "127.0.0.1",
	};
	struct reply out = { 0 };
	api_handle(&rq, &out);
	if (out.status < 200 || out.status > 599 || !out.body)
		abort();
	/* the server never answers 500 to what a client sends while the database is healthy */
	if (out.status == 500)
		abort();
	reply_release(&out);
	free(method);
	free(path);
	free(auth);
	return 0;
}
