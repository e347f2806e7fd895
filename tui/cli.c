#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "../net/client.h"

#define LINE_MAX_LEN 4096
#define ARGS_MAX 16

static const char NOT_CONNECTED[] = "Non connecté.";

void cli_usage(FILE *to)
{
	fprintf(to,
		"usage: guichet [OPTIONS]                 the terminal UI\n"
		"       guichet [OPTIONS] COMMAND ARGS    one action, for scripts\n"
		"       guichet [OPTIONS] --headless      one command per line from stdin\n\n"
		"Commands:\n"
		"  login EMAIL                     log in (password: prompt or --password-stdin)\n"
		"  logout                          log out and forget the token\n"
		"  whoami                          the logged-in admin's profile\n"
		"  signup init MATRICULE EMAIL     mail a signup code\n"
		"  signup finish CODE [--email E]  choose the password with the mailed code\n"
		"  password forgot EMAIL           mail a reset code (not logged in)\n"
		"  password reset CODE [--email E] choose a new password with that code\n"
		"  password change-init            mail a code to change the password (logged in)\n"
		"  password change CODE            choose the new password\n"
		"  email change-init NEW_EMAIL     mail a code to the new address (asks the password)\n"
		"  email change CODE               confirm the new address\n"
		"  otp create|resend PHONE         a citizen's OTP\n"
		"  otp verify PHONE CODE           check (and use) a citizen's OTP\n"
		"  health                          is the server up?\n\n"
		"Options:\n"
		"  --server URL          guichetd's address (GUICHET_SERVER; default http://127.0.0.1:8080)\n"
		"  --cacert FILE         trust this CA for https (GUICHET_CACERT)\n"
		"  --token-store KIND    keyring | file | none (GUICHET_TOKEN_STORE; default keyring)\n"
		"  --password-stdin      read passwords from standard input, one per line\n"
		"  --json                print the server's JSON response unchanged\n"
		"  --keep-going          with --headless: run every line even after a failure\n"
		"  --timeout S           give up on a request after S seconds (default 30)\n"
		"  --version, --help\n\n"
		"Exit codes: 0 done, 1 refused by the server, 2 usage, 3 server unreachable,\n"
		"4 server error, 5 token storage error. GUICHET_TOKEN overrides the stored token.\n"
		"Settings may also live in $XDG_CONFIG_HOME/guichet/config (server = URL, ...).\n");
}

/* What one command produced, printed by the caller in the mode it runs in. */
struct outcome {
	int code;
	char message[1024];
	char detail[2048]; /* extra lines: profile, code and expiry */
	char *json;        /* the server's body (owned) */
};

static int outcome_set(struct outcome *o, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int outcome_set(struct outcome *o, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->message, sizeof o->message, fmt, ap);
	va_end(ap);
	o->code = code;
	return code;
}

/* ---- passwords, never from argv ---- */

/* Reads one line without echo from the terminal, or from `in` with --password-stdin. */
static int read_secret(struct cli *cli, const char *prompt, char *out, size_t outsz)
{
	FILE *from = cli->in;
	FILE *tty = NULL;
	struct termios saved, quiet;
	int restore = 0;
	if (!cli->password_stdin) {
		tty = fopen("/dev/tty", "r+");
		if (!tty)
			return -1;
		from = tty;
		fprintf(tty, "%s", prompt);
		fflush(tty);
		if (tcgetattr(fileno(tty), &saved) == 0) {
			quiet = saved;
			quiet.c_lflag &= (tcflag_t)~ECHO;
			restore = tcsetattr(fileno(tty), TCSAFLUSH, &quiet) == 0;
		}
	}
	char *got = fgets(out, (int)outsz, from);
	if (restore)
		tcsetattr(fileno(tty), TCSAFLUSH, &saved);
	if (tty) {
		fprintf(tty, "\n");
		fclose(tty);
	}
	if (!got)
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

/* A new password: asked twice at a prompt, once from stdin. */
static int read_new_password(struct cli *cli, struct outcome *o, char *out, size_t outsz)
{
	if (read_secret(cli, "Nouveau mot de passe : ", out, outsz) != 0)
		return outcome_set(o, EXIT_USAGE, "Mot de passe requis : utilisez --password-stdin ou un terminal.");
	if (!cli->password_stdin) {
		char again[1100];
		int same = read_secret(cli, "Confirmer le mot de passe : ", again, sizeof again) == 0 &&
			   strcmp(again, out) == 0;
		memset(again, 0, sizeof again);
		if (!same)
			return outcome_set(o, EXIT_USAGE, "Les mots de passe ne correspondent pas.");
	}
	if (!out[0])
		return outcome_set(o, EXIT_USAGE, "Mot de passe vide.");
	return 0;
}

/* ---- running a call ---- */

static int finish(struct cli *cli, struct client_call *call, struct client_result *r, struct outcome *o)
{
	client_call_run(call);
	client_call_result(call, r);
	if (cli->json && r->raw_json[0])
		o->json = strdup(r->raw_json);
	int code = r->outcome == CLIENT_OK ? EXIT_DONE
		 : r->outcome == CLIENT_REFUSED ? EXIT_REFUSED
		 : r->outcome == CLIENT_UNREACHABLE ? EXIT_UNREACHABLE
						     : EXIT_SERVER;
	return outcome_set(o, code, "%s", r->message);
}

static char *stored_token(struct cli *cli, struct outcome *o)
{
	char warn[512];
	char *token = credstore_load(&cli->tokens, warn, sizeof warn);
	if (warn[0])
		fprintf(stderr, "guichet: %s\n", warn);
	if (!token)
		outcome_set(o, EXIT_REFUSED, "%s", NOT_CONNECTED);
	return token;
}

static void describe_admin(const struct client_admin *a, struct outcome *o)
{
	snprintf(o->detail, sizeof o->detail,
		 "Nom       : %s\nPrénom    : %s\nE-mail    : %s\nMatricule : %s\n"
		 "Téléphone : %s\nVille     : %s\nPays      : %s",
		 a->nom, a->prenom, a->email, a->matricule, a->telephone, a->ville, a->pays);
}

/* ---- the commands ---- */

static int cmd_login(struct cli *cli, char **args, const char *email_opt, struct outcome *o)
{
	(void)email_opt;
	char password[1100];
	if (read_secret(cli, "Mot de passe : ", password, sizeof password) != 0)
		return outcome_set(o, EXIT_USAGE, "Mot de passe requis : utilisez --password-stdin ou un terminal.");
	struct client_call call;
	struct client_result r = { 0 };
	int rc = client_login(&call, &cli->net, args[0], password);
	memset(password, 0, sizeof password);
	if (rc != 0)
		return outcome_set(o, EXIT_USAGE, "Requête impossible à préparer (adresse du serveur ?).");
	int code = finish(cli, &call, &r, o);
	if (code == EXIT_DONE) {
		char msg[512];
		int stored = credstore_save(&cli->tokens, r.token, msg, sizeof msg);
		if (stored < 0)
			code = outcome_set(o, EXIT_STORAGE, "%s (%s)", r.message, msg);
		else if (stored > 0)
			fprintf(stderr, "guichet: %s\n", msg);
		if (r.has_admin)
			snprintf(o->detail, sizeof o->detail, "Connecté : %s %s <%s> (jeton : %s)", r.admin.prenom,
				 r.admin.nom, r.admin.email, credstore_where(&cli->tokens));
	}
	memset(r.token, 0, sizeof r.token);
	client_call_free(&call);
	return code;
}

static int cmd_logout(struct cli *cli, char **args, const char *email_opt, struct outcome *o)
{
	(void)args;
	(void)email_opt;
	char *token = stored_token(cli, o);
	if (!token)
		return o->code;
	struct client_call call;
	struct client_result r = { 0 };
	int code = client_logout(&call, &cli->net, token) == 0 ? finish(cli, &call, &r, o)
							       : outcome_set(o, EXIT_USAGE, "Adresse du serveur invalide.");
	char msg[512];
	/* the token goes, whatever the server said: it is revoked, expired or unreachable */
	if (credstore_clear(&cli->tokens, msg, sizeof msg) != 0)
		code = outcome_set(o, EXIT_STORAGE, "%s", msg);
	else if (code == EXIT_UNREACHABLE)
		outcome_set(o, code, "%s — jeton supprimé localement.", r.message);
	else if (code == EXIT_REFUSED && r.auth_failed)
		code = outcome_set(o, EXIT_DONE, "Session déjà fermée côté serveur — jeton supprimé localement.");
	credstore_free_token(token);
	client_call_free(&call);
	return code;
}

static int cmd_whoami(struct cli *cli, char **args, const char *email_opt, struct outcome *o)
{
	(void)args;
	(void)email_opt;
	char *token = stored_token(cli, o);
	if (!token)
		return o->code;
	struct client_call call;
	struct client_result r = { 0 };
	int code = client_me(&call, &cli->net, token) == 0 ? finish(cli, &call, &r, o)
							   : outcome_set(o, EXIT_USAGE, "Adresse du serveur invalide.");
	if (code == EXIT_DONE && r.has_admin)
		describe_admin(&r.admin, o);
	credstore_free_token(token);
	client_call_free(&call);
	return code;
}

static int cmd_health(struct cli *cli, char **args, const char *email_opt, struct outcome *o)
{
	(void)args;
	(void)email_opt;
	struct client_call call;
	struct client_result r = { 0 };
	int code = client_health(&call, &cli->net) == 0 ? finish(cli, &call, &r, o)
							: outcome_set(o, EXIT_USAGE, "Adresse du serveur invalide.");
	if (code == EXIT_DONE)
		outcome_set(o, code, "Serveur disponible (%s).", cli->net.base_url);
	client_call_free(&call);
	return code;
}

static int cmd_signup_init(struct cli *cli, char **args, const char *email_opt, struct outcome *o)
{
	(void)email_opt;
	struct client_call call;
	struct client_result r = { 0 };
	int code = client_signup_init(&call, &cli->net, args[0], args[1]) == 0 ? finish(cli, &call, &r, o)
									       : outcome_set(o, EXIT_USAGE, "Adresse du serveur invalide.");
	client_call_free(&call);
	return code;
}

/* signup finish, password reset: a code and a new password, no token. */
static int code_and_new_password(struct cli *cli, char **args, const char *email_opt, struct outcome *o,
				 int (*prepare)(struct client_call *, const struct transport_options *, const char *,
						const char *, const char *))
{
	char password[1100];
	if (read_new_password(cli, o, password, sizeof password) != 0)
		return o->code;
	struct client_call call;
	struct client_result r = { 0 };
	int rc = prepare(&call, &cli->net, args[0], password, email_opt);
	memset(password, 0, sizeof password);
	int code = rc == 0 ? finish(cli, &call, &r, o) : outcome_set(o, EXIT_USAGE, "Adresse du serveur invalide.");
	client_call_free(&call);
	return code;
}

static int cmd_signup_finish(struct cli *cli, char **args, const char *email_opt, struct outcome *o)
{
	return code_and_new_password(cli, args, email_opt, o, client_signup_finish);
}

static int cmd_password_reset(struct cli *cli, char **args, const char *email_opt, struct outcome *o)
{
	int code = code_and_new_password(cli, args, email_opt, o, client_password_reset);
	if (code == EXIT_DONE) {
		char msg[512];
		credstore_clear(&cli->tokens, msg, sizeof msg); /* the server revoked it */
	}
	return code;
}

static int cmd_password_forgot(struct cli *cli, char **args, const char *email_opt, struct outcome *o)
{
	(void)email_opt;
	struct client_call call;
	struct client_result r = { 0 };
	int code = client_password_forgot(&call, &cli->net, args[0]) == 0 ? finish(cli, &call, &r, o)
									  : outcome_set(o, EXIT_USAGE, "Adresse du serveur invalide.");
	client_call_free(&call);
	return code;
}

static int cmd_password_change_init(struct cli *cli, char **args, const char *email_opt, struct outcome *o)
{
	(void)args;
	(void)email_opt;
	char *token = stored_token(cli, o);
	if (!token)
		return o->code;
	struct client_call call;
	struct client_result r = { 0 };
	int code = client_password_change_init(&call, &cli->net, token) == 0
			   ? finish(cli, &call, &r, o)
			   : outcome_set(o, EXIT_USAGE, "Adresse du serveur invalide.");
	credstore_free_token(token);
	client_call_free(&call);
	return code;
}

static int cmd_password_change(struct cli *cli, char **args, const char *email_opt, struct outcome *o)
{
	(void)email_opt;
	char *token = stored_token(cli, o);
	if (!token)
		return o->code;
	char password[1100];
	if (read_new_password(cli, o, password, sizeof password) != 0) {
		credstore_free_token(token);
		return o->code;
	}
	struct client_call call;
	struct client_result r = { 0 };
	int rc = client_password_change(&call, &cli->net, token, args[0], password);
	memset(password, 0, sizeof password);
	int code = rc == 0 ? finish(cli, &call, &r, o) : outcome_set(o, EXIT_USAGE, "Adresse du serveur invalide.");
	if (code == EXIT_DONE) {
		char msg[512];
		credstore_clear(&cli->tokens, msg, sizeof msg); /* every token was revoked */
	}
	credstore_free_token(token);
	client_call_free(&call);
	return code;
}

static int cmd_email_change_init(struct cli *cli, char **args, const char *email_opt, struct outcome *o)
{
	(void)email_opt;
	char *token = stored_token(cli, o);
	if (!token)
		return o->code;
	char password[1100];
	if (read_secret(cli, "Mot de passe actuel : ", password, sizeof password) != 0) {
		credstore_free_token(token);
		return outcome_set(o, EXIT_USAGE, "Mot de passe requis : utilisez --password-stdin ou un terminal.");
	}
	struct client_call call;
	struct client_result r = { 0 };
	int rc = client_email_change_init(&call, &cli->net, token, args[0], password);
	memset(password, 0, sizeof password);
	int code = rc == 0 ? finish(cli, &call, &r, o) : outcome_set(o, EXIT_USAGE, "Adresse du serveur invalide.");
	credstore_free_token(token);
	client_call_free(&call);
	return code;
}

static int cmd_email_change(struct cli *cli, char **args, const char *email_opt, struct outcome *o)
{
	(void)email_opt;
	char *token = stored_token(cli, o);
	if (!token)
		return o->code;
	struct client_call call;
	struct client_result r = { 0 };
	int code = client_email_change(&call, &cli->net, token, args[0]) == 0
			   ? finish(cli, &call, &r, o)
			   : outcome_set(o, EXIT_USAGE, "Adresse du serveur invalide.");
	credstore_free_token(token);
	client_call_free(&call);
	return code;
}

static int citizen_otp(struct cli *cli, const char *type, const char *phone, struct outcome *o)
{
	struct client_call call;
	struct client_result r = { 0 };
	int code = client_otp(&call, &cli->net, type, phone) == 0 ? finish(cli, &call, &r, o)
								  : outcome_set(o, EXIT_USAGE, "Adresse du serveur invalide.");
	if (code == EXIT_DONE && r.has_code)
		snprintf(o->detail, sizeof o->detail, "Téléphone : %s\nCode      : %s\nExpire    : %s", r.phone, r.code,
			 r.expires_at);
	if (code == EXIT_REFUSED && r.retry_after > 0)
		snprintf(o->detail, sizeof o->detail, "Réessayer dans %ld s.", r.retry_after);
	client_call_free(&call);
	return code;
}

static int cmd_otp_create(struct cli *cli, char **args, const char *email_opt, struct outcome *o)
{
	(void)email_opt;
	return citizen_otp(cli, "create", args[0], o);
}

static int cmd_otp_resend(struct cli *cli, char **args, const char *email_opt, struct outcome *o)
{
	(void)email_opt;
	return citizen_otp(cli, "resend", args[0], o);
}

static int cmd_otp_verify(struct cli *cli, char **args, const char *email_opt, struct outcome *o)
{
	(void)email_opt;
	struct client_call call;
	struct client_result r = { 0 };
	int code = client_otp_verify(&call, &cli->net, args[0], args[1]) == 0 ? finish(cli, &call, &r, o)
									      : outcome_set(o, EXIT_USAGE, "Adresse du serveur invalide.");
	client_call_free(&call);
	return code;
}

struct command {
	const char *name;
	const char *sub; /* NULL: none */
	int nargs;
	const char *args_help;
	int (*run)(struct cli *, char **, const char *, struct outcome *);
};

static const struct command COMMANDS[] = {
	{ "login", NULL, 1, "EMAIL", cmd_login },
	{ "logout", NULL, 0, "", cmd_logout },
	{ "whoami", NULL, 0, "", cmd_whoami },
	{ "health", NULL, 0, "", cmd_health },
	{ "signup", "init", 2, "MATRICULE EMAIL", cmd_signup_init },
	{ "signup", "finish", 1, "CODE [--email E]", cmd_signup_finish },
	{ "password", "forgot", 1, "EMAIL", cmd_password_forgot },
	{ "password", "reset", 1, "CODE [--email E]", cmd_password_reset },
	{ "password", "change-init", 0, "", cmd_password_change_init },
	{ "password", "change", 1, "CODE", cmd_password_change },
	{ "email", "change-init", 1, "NEW_EMAIL", cmd_email_change_init },
	{ "email", "change", 1, "CODE", cmd_email_change },
	{ "otp", "create", 1, "PHONE", cmd_otp_create },
	{ "otp", "resend", 1, "PHONE", cmd_otp_resend },
	{ "otp", "verify", 2, "PHONE CODE", cmd_otp_verify },
};
#define COMMAND_COUNT (sizeof COMMANDS / sizeof COMMANDS[0])

int cli_is_command(const char *name)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		if (strcmp(COMMANDS[i].name, name) == 0)
			return 1;
	return 0;
}

static void command_help(const char *name, FILE *to)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		if (strcmp(COMMANDS[i].name, name) == 0)
			fprintf(to, "usage: guichet %s%s%s %s\n", name, COMMANDS[i].sub ? " " : "",
				COMMANDS[i].sub ? COMMANDS[i].sub : "", COMMANDS[i].args_help);
}

/* Finds the command and splits its own options (--email, --help) from its arguments. */
static int run_command(struct cli *cli, int argc, char **argv, struct outcome *o)
{
	if (argc < 1)
		return outcome_set(o, EXIT_USAGE, "Commande manquante.");
	const char *email = NULL;
	char *args[ARGS_MAX];
	int nargs = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			command_help(argv[0], stdout);
			return outcome_set(o, EXIT_DONE, "%s", "");
		}
		if (strcmp(argv[i], "--email") == 0 && i + 1 < argc) {
			email = argv[++i];
		} else if (strncmp(argv[i], "--email=", 8) == 0) {
			email = argv[i] + 8;
		} else if (strncmp(argv[i], "--", 2) == 0 && argv[i][2]) {
			command_help(argv[0], stderr);
			return outcome_set(o, EXIT_USAGE, "Option inconnue : %s", argv[i]);
		} else if (nargs < ARGS_MAX) {
			args[nargs++] = argv[i];
		}
	}
	for (size_t i = 0; i < COMMAND_COUNT; i++) {
		const struct command *c = &COMMANDS[i];
		if (strcmp(c->name, argv[0]) != 0)
			continue;
		int skip = c->sub ? 1 : 0;
		if (c->sub && (nargs < 1 || strcmp(args[0], c->sub) != 0))
			continue;
		if (nargs - skip != c->nargs) {
			command_help(argv[0], stderr);
			return outcome_set(o, EXIT_USAGE, "Nombre d'arguments incorrect pour « %s%s%s ».", c->name,
					   c->sub ? " " : "", c->sub ? c->sub : "");
		}
		return c->run(cli, args + skip, email, o);
	}
	command_help(argv[0], stderr);
	return outcome_set(o, EXIT_USAGE, "Commande inconnue : %s%s%s", argv[0], nargs ? " " : "", nargs ? args[0] : "");
}

int cli_command(struct cli *cli, int argc, char **argv)
{
	struct outcome o = { 0 };
	int code = run_command(cli, argc, argv, &o);
	if (cli->json && o.json)
		printf("%s\n", o.json);
	else if (code == EXIT_DONE) {
		if (o.message[0])
			printf("%s\n", o.message);
		if (o.detail[0])
			printf("%s\n", o.detail);
	} else {
		fprintf(stderr, "guichet: %s\n", o.message);
		if (o.detail[0])
			fprintf(stderr, "%s\n", o.detail);
	}
	free(o.json);
	return code;
}

/* Splits a script line on blanks, with "double quotes" for arguments that hold spaces. */
static int split_line(char *line, char **argv, int max)
{
	int argc = 0;
	char *p = line;
	while (*p && argc < max) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		char *out = p;
		argv[argc++] = p;
		int quoted = 0;
		while (*p && (quoted || (*p != ' ' && *p != '\t'))) {
			if (*p == '"') {
				quoted = !quoted;
				p++;
				continue;
			}
			*out++ = *p++;
		}
		if (*p)
			p++;
		*out = '\0';
	}
	return argc;
}

int cli_script(struct cli *cli, int keep_going)
{
	char line[LINE_MAX_LEN], shown[LINE_MAX_LEN];
	int worst = EXIT_DONE, lineno = 0;
	cli->headless = 1;
	while (fgets(line, sizeof line, cli->in)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		char *start = line + strspn(line, " \t");
		if (!*start || *start == '#')
			continue;
		snprintf(shown, sizeof shown, "%s", start);
		char *argv[ARGS_MAX];
		int argc = split_line(start, argv, ARGS_MAX);
		/* per-line flags that belong to the whole run */
		int json = cli->json, pw = cli->password_stdin, n = 0;
		for (int i = 0; i < argc; i++) {
			if (strcmp(argv[i], "--password-stdin") == 0)
				cli->password_stdin = 1;
			else if (strcmp(argv[i], "--json") == 0)
				cli->json = 1;
			else
				argv[n++] = argv[i];
		}
		struct outcome o = { 0 };
		int code = run_command(cli, n, argv, &o);
		for (char *d = o.detail; (d = strchr(d, '\n'));)
			*d = ' ';
		if (cli->json && o.json)
			printf("%s\n", o.json);
		else
			printf("%s\t%d\t%s\t%s%s%s\n", code == EXIT_DONE ? "ok" : "FAIL", lineno, shown, o.message,
			       o.detail[0] ? " | " : "", o.detail);
		fflush(stdout);
		free(o.json);
		cli->json = json;
		cli->password_stdin = pw;
		if (code != EXIT_DONE) {
			if (worst == EXIT_DONE)
				worst = code;
			if (!keep_going)
				break;
		}
	}
	return worst;
}
