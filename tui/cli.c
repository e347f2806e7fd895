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
		"  otp create|resend PHONE         a citizen's OTP: its code, or \"Code envoyé par SMS.\"\n"
		"  otp verify PHONE CODE           check (and use) a citizen's OTP\n"
		"  health                          is the server up?\n\n"
		"Options:\n"
		"  --server URL          guichetd's address (GUICHET_SERVER; default http://127.0.0.1:8080)\n"
		"  --cacert FILE         trust this CA for https (GUICHET_CACERT)\n"
		"  --token-store KIND    keyring | file | none (GUICHET_TOKEN_STORE; default keyring)\n"
		"  --password-stdin      read passwords from standard input, one per line\n"
		"  --email E             signup finish, password reset: the admin's address (default:\n"
		"                        the one given to the last signup init / password forgot)\n"
		"  --json                print the server's JSON response (control characters escaped)\n"
		"  --keep-going          with --headless: run every line even after a failure\n"
		"  --timeout S           give up on a request after S seconds (default 30)\n"
		"  --version, --help\n\n"
		"Exit codes: 0 done, 1 refused by the server, 2 usage, 3 server unreachable,\n"
		"4 server error, 5 token storage error. GUICHET_TOKEN overrides the stored token.\n"
		"otp commands send the stored token when there is one (a server with\n"
		"--otp-callers key wants it) and work without one where the server allows.\n"
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

/* Overwrites a secret in a way the compiler may not drop. */
static void wipe(char *buf, size_t len)
{
	volatile char *p = buf;
	while (len--)
		*p++ = '\0';
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
		o->json = client_clean_json(r->raw_json, strlen(r->raw_json), cli->headless);
	int code = r->outcome == CLIENT_OK ? EXIT_DONE
		 : r->outcome == CLIENT_REFUSED ? EXIT_REFUSED
		 : r->outcome == CLIENT_UNREACHABLE ? EXIT_UNREACHABLE
						     : EXIT_SERVER;
	return outcome_set(o, code, "%s", r->message);
}

/* ---- the commands ---- */

/* One command's run: what it read, what it sent, what came back. */
struct run {
	struct cli *cli;
	char **args;
	const char *email; /* --email, or the remembered one, where a command takes it */
	char remembered[320];
	char *token;       /* the stored token, for connected commands */
	char password[1100];
	struct client_call call;
	struct client_result r;
	struct outcome *o;
};

enum ask { ASK_NOTHING, ASK_CURRENT, ASK_NEW };

struct command {
	const char *name;
	const char *sub; /* NULL: none */
	int nargs;
	const char *args_help;
	unsigned needs_token : 1;
	unsigned sends_token : 1; /* a citizen route: sends the stored token when there is one */
	unsigned names_admin : 1; /* a code-only route: always sends the admin's e-mail */
	enum ask ask;
	const char *prompt; /* with ASK_CURRENT */
	int (*prepare)(struct run *run);
	int (*after)(struct run *run, int code); /* optional: what the answer changes locally */
};

static int prep_health(struct run *x) { return client_health(&x->call, &x->cli->net); }
static int prep_login(struct run *x) { return client_login(&x->call, &x->cli->net, x->args[0], x->password); }
static int prep_logout(struct run *x) { return client_logout(&x->call, &x->cli->net, x->token); }
static int prep_whoami(struct run *x) { return client_me(&x->call, &x->cli->net, x->token); }
static int prep_signup_init(struct run *x) { return client_signup_init(&x->call, &x->cli->net, x->args[0], x->args[1]); }
static int prep_signup_finish(struct run *x)
{
	return client_signup_finish(&x->call, &x->cli->net, x->args[0], x->password, x->email);
}
static int prep_forgot(struct run *x) { return client_password_forgot(&x->call, &x->cli->net, x->args[0]); }
static int prep_reset(struct run *x)
{
	return client_password_reset(&x->call, &x->cli->net, x->args[0], x->password, x->email);
}
static int prep_change_init(struct run *x) { return client_password_change_init(&x->call, &x->cli->net, x->token); }
static int prep_change(struct run *x)
{
	return client_password_change(&x->call, &x->cli->net, x->token, x->args[0], x->password);
}
static int prep_email_init(struct run *x)
{
	return client_email_change_init(&x->call, &x->cli->net, x->token, x->args[0], x->password);
}
static int prep_email(struct run *x) { return client_email_change(&x->call, &x->cli->net, x->token, x->args[0]); }
static int prep_otp_create(struct run *x) { return client_otp(&x->call, &x->cli->net, x->token, "create", x->args[0]); }
static int prep_otp_resend(struct run *x) { return client_otp(&x->call, &x->cli->net, x->token, "resend", x->args[0]); }
static int prep_otp_verify(struct run *x)
{
	return client_otp_verify(&x->call, &x->cli->net, x->token, x->args[0], x->args[1]);
}

static int after_login(struct run *x, int code)
{
	if (code != EXIT_DONE)
		return code;
	char msg[512];
	int stored = credstore_save(&x->cli->tokens, x->r.token, msg, sizeof msg);
	if (stored < 0)
		return outcome_set(x->o, EXIT_STORAGE, "%s (%s)", x->r.message, msg);
	if (stored > 0)
		fprintf(stderr, "guichet: %s\n", msg);
	if (x->r.has_admin)
		snprintf(x->o->detail, sizeof x->o->detail, "Connecté : %s %s <%s> (jeton : %s)", x->r.admin.prenom,
			 x->r.admin.nom, x->r.admin.email, credstore_where(&x->cli->tokens));
	return code;
}

/* The token goes whatever the server said: revoked, expired or out of reach. */
static int after_logout(struct run *x, int code)
{
	char msg[512];
	if (credstore_clear(&x->cli->tokens, msg, sizeof msg) != 0)
		return outcome_set(x->o, EXIT_STORAGE, "%s", msg);
	if (code == EXIT_UNREACHABLE)
		outcome_set(x->o, code, "%s — jeton supprimé localement.", x->r.message);
	else if (code == EXIT_REFUSED && x->r.auth_failed)
		code = outcome_set(x->o, EXIT_DONE, "Session déjà fermée côté serveur — jeton supprimé localement.");
	return code;
}

static int after_whoami(struct run *x, int code)
{
	const struct client_admin *a = &x->r.admin;
	if (code == EXIT_DONE && x->r.has_admin)
		snprintf(x->o->detail, sizeof x->o->detail,
			 "Nom       : %s\nPrénom    : %s\nE-mail    : %s\nMatricule : %s\n"
			 "Téléphone : %s\nVille     : %s\nPays      : %s",
			 a->nom, a->prenom, a->email, a->matricule, a->telephone, a->ville, a->pays);
	return code;
}

static int after_health(struct run *x, int code)
{
	if (code == EXIT_DONE)
		outcome_set(x->o, code, "Serveur disponible (%s).", x->cli->net.base_url);
	return code;
}

/* A password change or reset revoked every token on the server: forget ours. */
static int after_password_set(struct run *x, int code)
{
	char msg[512];
	if (code == EXIT_DONE)
		credstore_clear(&x->cli->tokens, msg, sizeof msg);
	return code;
}

/* The address a code was mailed to, for the `finish` / `reset` that follows. */
static int remember_email(struct run *x, int code, const char *email)
{
	char msg[512];
	if (code == EXIT_DONE && credstore_save_email(&x->cli->tokens, email, msg, sizeof msg) != 0)
		fprintf(stderr, "guichet: %s (l'adresse n'est retenue que pour ce processus)\n", msg);
	return code;
}

static int after_signup_init(struct run *x, int code) { return remember_email(x, code, x->args[1]); }
static int after_forgot(struct run *x, int code) { return remember_email(x, code, x->args[0]); }

/* The code is used: the address is no longer needed. */
static int after_signup_finish(struct run *x, int code)
{
	if (code == EXIT_DONE)
		credstore_clear_email(&x->cli->tokens);
	return code;
}

static int after_reset(struct run *x, int code) { return after_password_set(x, after_signup_finish(x, code)); }

static int after_otp(struct run *x, int code)
{
	if (code == EXIT_DONE && x->r.otp_issued)
		snprintf(x->o->detail, sizeof x->o->detail, "Téléphone : %s\n%s%s\nExpire    : %s", x->r.phone,
			 x->r.has_code ? "Code      : " : "", x->r.has_code ? x->r.code : CLIENT_CODE_BY_SMS,
			 x->r.expires_at);
	if (code == EXIT_REFUSED && x->r.retry_after > 0)
		snprintf(x->o->detail, sizeof x->o->detail, "Réessayer dans %ld s.", x->r.retry_after);
	return code;
}

static const struct command COMMANDS[] = {
	{ "login", NULL, 1, "EMAIL", .ask = ASK_CURRENT, .prompt = "Mot de passe : ", .prepare = prep_login,
	  .after = after_login },
	{ "logout", NULL, 0, "", .needs_token = 1, .prepare = prep_logout, .after = after_logout },
	{ "whoami", NULL, 0, "", .needs_token = 1, .prepare = prep_whoami, .after = after_whoami },
	{ "health", NULL, 0, "", .prepare = prep_health, .after = after_health },
	{ "signup", "init", 2, "MATRICULE EMAIL", .prepare = prep_signup_init, .after = after_signup_init },
	{ "signup", "finish", 1, "CODE [--email E]", .names_admin = 1, .ask = ASK_NEW, .prepare = prep_signup_finish,
	  .after = after_signup_finish },
	{ "password", "forgot", 1, "EMAIL", .prepare = prep_forgot, .after = after_forgot },
	{ "password", "reset", 1, "CODE [--email E]", .names_admin = 1, .ask = ASK_NEW, .prepare = prep_reset,
	  .after = after_reset },
	{ "password", "change-init", 0, "", .needs_token = 1, .prepare = prep_change_init },
	{ "password", "change", 1, "CODE", .needs_token = 1, .ask = ASK_NEW, .prepare = prep_change,
	  .after = after_password_set },
	{ "email", "change-init", 1, "NEW_EMAIL", .needs_token = 1, .ask = ASK_CURRENT,
	  .prompt = "Mot de passe actuel : ", .prepare = prep_email_init },
	{ "email", "change", 1, "CODE", .needs_token = 1, .prepare = prep_email },
	{ "otp", "create", 1, "PHONE", .sends_token = 1, .prepare = prep_otp_create, .after = after_otp },
	{ "otp", "resend", 1, "PHONE", .sends_token = 1, .prepare = prep_otp_resend, .after = after_otp },
	{ "otp", "verify", 2, "PHONE CODE", .sends_token = 1, .prepare = prep_otp_verify },
};
#define COMMAND_COUNT (sizeof COMMANDS / sizeof COMMANDS[0])

/* Token, password, request, answer, local effects: every command goes this way. */
static int execute(const struct command *c, struct run *x)
{
	int code = EXIT_DONE;
	char warn[512];
	if (c->names_admin && !x->email) {
		if (credstore_load_email(&x->cli->tokens, x->remembered, sizeof x->remembered) == 0)
			x->email = x->remembered;
		else
			code = outcome_set(x->o, EXIT_USAGE, "Adresse e-mail inconnue : ajoutez --email ADRESSE "
							     "(celle donnée à « signup init » ou « password forgot »).");
	}
	if (code == EXIT_DONE && (c->needs_token || c->sends_token)) {
		x->token = credstore_load(&x->cli->tokens, warn, sizeof warn);
		/* a command that works without a token has nothing to warn about */
		if (warn[0] && c->needs_token)
			fprintf(stderr, "guichet: %s\n", warn);
		if (!x->token && c->needs_token)
			code = outcome_set(x->o, EXIT_REFUSED, "%s", NOT_CONNECTED);
	}
	if (code != EXIT_DONE) {
		/* the password line that follows is this command's: never run it as the next one */
		if (c->ask != ASK_NOTHING && x->cli->password_stdin)
			read_secret(x->cli, "", x->password, sizeof x->password);
	} else if (c->ask == ASK_CURRENT && read_secret(x->cli, c->prompt, x->password, sizeof x->password) != 0)
		code = outcome_set(x->o, EXIT_USAGE, "Mot de passe requis : utilisez --password-stdin ou un terminal.");
	else if (c->ask == ASK_NEW)
		code = read_new_password(x->cli, x->o, x->password, sizeof x->password);
	if (code == EXIT_DONE) {
		int prepared = c->prepare(x);
		wipe(x->password, sizeof x->password);
		code = prepared == 0 ? finish(x->cli, &x->call, &x->r, x->o)
				     : outcome_set(x->o, EXIT_USAGE, "Requête impossible à préparer (adresse du serveur ?).");
		if (c->after)
			code = c->after(x, code);
	}
	wipe(x->password, sizeof x->password);
	wipe(x->r.token, sizeof x->r.token);
	credstore_free_token(x->token);
	client_call_free(&x->call);
	return code;
}

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
		struct run run = { .cli = cli, .args = args + skip, .email = email, .o = o };
		return execute(c, &run);
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
			printf("%s\t%d\t%s\t%s\n", code == EXIT_DONE ? "ok" : "FAIL", lineno, shown, o.json);
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
