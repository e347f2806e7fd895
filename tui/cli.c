#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>

#include "text.h"

#define LINE_MAX_LEN 4096

/* ---- options: one parser for the command line and every script line ---- */

enum {
	OPT_SERVER = 256, OPT_CACERT, OPT_TOKEN_STORE, OPT_TIMEOUT, OPT_HEADLESS, OPT_KEEP_GOING, OPT_TAP,
	OPT_JSON, OPT_PASSWORD_STDIN, OPT_EMAIL, OPT_FINALLY, OPT_VERSION, OPT_LIMIT, OPT_ADMIN, OPT_PHONE,
	OPT_HELP = 'h',
};

static const struct option OPTIONS[] = {
	{ "server", required_argument, NULL, OPT_SERVER },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "token-store", required_argument, NULL, OPT_TOKEN_STORE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "headless", no_argument, NULL, OPT_HEADLESS },
	{ "keep-going", no_argument, NULL, OPT_KEEP_GOING },
	{ "tap", no_argument, NULL, OPT_TAP },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
	{ "email", required_argument, NULL, OPT_EMAIL },
	{ "finally", no_argument, NULL, OPT_FINALLY },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "admin", required_argument, NULL, OPT_ADMIN },
	{ "phone", required_argument, NULL, OPT_PHONE },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* The options a --headless line may carry: they concern that command alone. */
static int line_option(int opt)
{
	return opt == OPT_JSON || opt == OPT_PASSWORD_STDIN || opt == OPT_EMAIL || opt == OPT_FINALLY || opt == OPT_LIMIT ||
	       opt == OPT_ADMIN || opt == OPT_PHONE;
}

static int usage_error(char *msg, size_t msgsz, const char *fmt, const char *what)
{
	snprintf(msg, msgsz, fmt, what);
	return EXIT_USAGE;
}

int cli_parse(int argc, char **argv, int script_line, struct cli_args *a, char *msg, size_t msgsz)
{
	memset(a, 0, sizeof *a);
	optind = 0; /* glibc: start afresh (every script line is parsed anew) */
	opterr = 0;
	int c;
	/* "-": words come back in order as option 1, so options may stand anywhere, POSIXLY_CORRECT or not */
	while ((c = getopt_long(argc, argv, "-:h", OPTIONS, NULL)) != -1) {
		const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
		if (c == 1) {
			if (a->nwords == CLI_WORDS_MAX)
				return usage_error(msg, msgsz, _("trop d'arguments : %s"), optarg);
			a->words[a->nwords++] = optarg;
			continue;
		}
		if (c == '?')
			return usage_error(msg, msgsz, _("option inconnue : %s"), arg);
		if (c == ':')
			return usage_error(msg, msgsz, _("valeur manquante pour %s"), arg);
		char name[32] = "-h";
		for (const struct option *o = OPTIONS; o->name; o++)
			if (o->val == c)
				snprintf(name, sizeof name, "--%s", o->name);
		if (script_line && !line_option(c))
			return usage_error(msg, msgsz, _("%s : option de la ligne de commande, pas d'une ligne de script"), name);
		if (!script_line && c == OPT_FINALLY)
			return usage_error(msg, msgsz, _("%s : seulement sur une ligne d'un script --headless"), name);
		switch (c) {
		case OPT_SERVER: a->server = optarg; break;
		case OPT_CACERT: a->cacert = optarg; break;
		case OPT_TOKEN_STORE: a->token_store = optarg; break;
		case OPT_TIMEOUT: a->timeout = optarg; break;
		case OPT_EMAIL: a->email = optarg; break;
		case OPT_LIMIT: a->limit = optarg; break;
		case OPT_ADMIN: a->admin = optarg; break;
		case OPT_PHONE: a->phone = optarg; break;
		case OPT_HEADLESS: a->headless = 1; break;
		case OPT_KEEP_GOING: a->keep_going = 1; break;
		case OPT_TAP: a->tap = 1; break;
		case OPT_JSON: a->json = 1; break;
		case OPT_PASSWORD_STDIN: a->password_stdin = 1; break;
		case OPT_FINALLY: a->finally = 1; break;
		case OPT_VERSION: a->version = 1; break;
		case OPT_HELP: a->help = 1; break;
		default: break;
		}
	}
	for (; optind < argc; optind++) { /* what follows "--" */
		if (a->nwords == CLI_WORDS_MAX)
			return usage_error(msg, msgsz, _("trop d'arguments : %s"), argv[optind]);
		a->words[a->nwords++] = argv[optind];
	}
	return EXIT_DONE;
}

/* ---- the subcommands ---- */

enum ask { ASK_NOTHING, ASK_CURRENT, ASK_NEW };
enum slot { SLOT_EMAIL, SLOT_MATRICULE, SLOT_CODE, SLOT_PHONE, SLOT_ID };

struct command {
	const char *name, *sub; /* sub NULL: none */
	enum action_id action;
	int nargs;
	enum slot slots[2];     /* where each argument goes */
	const char *args_help;  /* N_() */
	const char *what;       /* N_(): its line in guichet --help */
	enum ask ask;
	const char *prompt;     /* N_(), with ASK_CURRENT */
};

static const struct command COMMANDS[] = {
	{ "login", NULL, ACTION_LOGIN, 1, { SLOT_EMAIL }, N_("EMAIL"),
	  N_("se connecter (mot de passe : invite ou --password-stdin)"), ASK_CURRENT, N_("Mot de passe : ") },
	{ "logout", NULL, ACTION_LOGOUT, 0, { 0 }, "", N_("se déconnecter et oublier le jeton"), ASK_NOTHING, NULL },
	{ "whoami", NULL, ACTION_WHOAMI, 0, { 0 }, "", N_("le profil de l'admin connecté"), ASK_NOTHING, NULL },
	{ "health", NULL, ACTION_HEALTH, 0, { 0 }, "", N_("le serveur répond-il ?"), ASK_NOTHING, NULL },
	{ "signup", "init", ACTION_SIGNUP_INIT, 2, { SLOT_MATRICULE, SLOT_EMAIL }, N_("MATRICULE EMAIL"),
	  N_("envoyer un code d'inscription par e-mail"), ASK_NOTHING, NULL },
	{ "signup", "finish", ACTION_SIGNUP_FINISH, 1, { SLOT_CODE }, N_("CODE [--email E]"),
	  N_("choisir le mot de passe avec le code reçu"), ASK_NEW, NULL },
	{ "password", "forgot", ACTION_PASSWORD_FORGOT, 1, { SLOT_EMAIL }, N_("EMAIL"),
	  N_("envoyer un code de réinitialisation (déconnecté)"), ASK_NOTHING, NULL },
	{ "password", "reset", ACTION_PASSWORD_RESET, 1, { SLOT_CODE }, N_("CODE [--email E]"),
	  N_("choisir un nouveau mot de passe avec ce code"), ASK_NEW, NULL },
	{ "password", "change-init", ACTION_PASSWORD_CHANGE_INIT, 0, { 0 }, "",
	  N_("envoyer un code pour changer le mot de passe (connecté)"), ASK_NOTHING, NULL },
	{ "password", "change", ACTION_PASSWORD_CHANGE, 1, { SLOT_CODE }, N_("CODE"),
	  N_("choisir le nouveau mot de passe"), ASK_NEW, NULL },
	{ "email", "change-init", ACTION_EMAIL_CHANGE_INIT, 1, { SLOT_EMAIL }, N_("NOUVEL_EMAIL"),
	  N_("envoyer un code à la nouvelle adresse (demande le mot de passe)"), ASK_CURRENT,
	  N_("Mot de passe actuel : ") },
	{ "email", "change", ACTION_EMAIL_CHANGE, 1, { SLOT_CODE }, N_("CODE"), N_("confirmer la nouvelle adresse"),
	  ASK_NOTHING, NULL },
	{ "otp", "send", ACTION_OTP_SEND, 1, { SLOT_PHONE }, N_("TÉLÉPHONE"),
	  N_("envoyer le code d'un citoyen : création, ou renvoi s'il en a un"), ASK_NOTHING, NULL },
	{ "otp", "create", ACTION_OTP_CREATE, 1, { SLOT_PHONE }, N_("TÉLÉPHONE"), N_("créer le code d'un citoyen"),
	  ASK_NOTHING, NULL },
	{ "otp", "resend", ACTION_OTP_RESEND, 1, { SLOT_PHONE }, N_("TÉLÉPHONE"), N_("renvoyer un nouveau code"),
	  ASK_NOTHING, NULL },
	{ "otp", "verify", ACTION_OTP_VERIFY, 2, { SLOT_PHONE, SLOT_CODE }, N_("TÉLÉPHONE CODE"),
	  N_("vérifier (et consommer) le code d'un citoyen"), ASK_NOTHING, NULL },
	{ "citizen", "show", ACTION_CITIZEN_SHOW, 1, { SLOT_PHONE }, N_("TÉLÉPHONE"),
	  N_("l'état d'un citoyen : code, délai, essais, dernier envoi"), ASK_NOTHING, NULL },
	{ "citizen", "unlock", ACTION_CITIZEN_UNLOCK, 1, { SLOT_PHONE }, N_("TÉLÉPHONE"),
	  N_("remettre à zéro le délai et les essais d'un citoyen"), ASK_NOTHING, NULL },
	{ "audit", NULL, ACTION_AUDIT, 0, { 0 }, N_("[--limit N] [--admin E] [--phone P]"),
	  N_("le journal, du plus récent : une ligne par entrée"), ASK_NOTHING, NULL },
	{ "sessions", "list", ACTION_SESSIONS, 0, { 0 }, "", N_("les sessions ouvertes de l'admin (* : celle-ci)"),
	  ASK_NOTHING, NULL },
	{ "sessions", "revoke", ACTION_SESSION_REVOKE, 1, { SLOT_ID }, N_("ID"),
	  N_("fermer une session (la sienne : c'est une déconnexion)"), ASK_NOTHING, NULL },
};
#define COMMAND_COUNT (sizeof COMMANDS / sizeof COMMANDS[0])

/* printf's %-*s counts bytes; this counts characters, so accents line up. */
static void print_padded(FILE *to, const char *s, size_t width)
{
	fputs(s, to);
	for (size_t w = text_width(s); w < width; w++)
		fputc(' ', to);
}

static void command_usage(const struct command *c, FILE *to)
{
	char words[200];
	snprintf(words, sizeof words, "%s%s%s %s", c->name, c->sub ? " " : "", c->sub ? c->sub : "",
		 c->args_help[0] ? _(c->args_help) : "");
	fputs("  ", to);
	print_padded(to, words, 32);
	fprintf(to, " %s\n", _(c->what));
}

void cli_usage(FILE *to)
{
	fputs(_("usage : guichet [OPTIONS]                  l'interface en terminal\n"
		"        guichet [OPTIONS] COMMANDE ARGS    une action, pour les scripts\n"
		"        guichet [OPTIONS] --headless       une commande par ligne lue sur l'entrée standard\n\n"
		"Commandes :\n"), to);
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		command_usage(&COMMANDS[i], to);
	fputs(_("\nOptions (avant ou après la commande) :\n"
		"  --server URL          l'adresse de guichetd (GUICHET_SERVER ; défaut http://127.0.0.1:8080)\n"
		"  --cacert FICHIER      faire confiance à cette AC pour https (GUICHET_CACERT)\n"
		"  --token-store TYPE    keyring | file | none (GUICHET_TOKEN_STORE ; défaut keyring)\n"
		"  --password-stdin      lire les mots de passe sur l'entrée standard, un par ligne\n"
		"  --email E             signup finish, password reset : l'adresse de l'admin (défaut :\n"
		"                        celle du dernier signup init / password forgot)\n"
		"  --json                afficher la réponse JSON du serveur (caractères de contrôle échappés)\n"
		"  --limit N, --admin E, --phone P\n"
		"                        audit : N entrées (défaut 50), celles de cet admin, de ce téléphone\n"
		"  --timeout S           abandonner une requête après S secondes (défaut 30)\n"
		"  --headless            un script : une ligne de résultat par commande\n"
		"  --keep-going          avec --headless : exécuter toutes les lignes, même après un échec\n"
		"  --tap                 avec --headless : sortie TAP, une ligne par commande\n"
		"  --finally             sur une ligne de script : l'exécuter même après un échec (logout)\n"
		"  --version, --help\n\n"
		"Codes de sortie : 0 fait, 1 refusé par le serveur, 2 usage, 3 serveur injoignable,\n"
		"4 erreur du serveur, 5 erreur du stockage du jeton. GUICHET_TOKEN remplace le jeton stocké.\n"
		"Les commandes otp envoient le jeton stocké s'il y en a un (un serveur en --otp-callers key\n"
		"le demande). Réglages aussi dans $XDG_CONFIG_HOME/guichet/config (server = URL, ...).\n"), to);
}

/* What one command produced, printed by the caller in the mode it runs in. */
#define DETAIL_MAX 8
struct outcome {
	int code;
	char message[1100];
	struct {
		const char *label; /* "" for a line without one */
		char value[600];
	} lines[DETAIL_MAX];
	int nlines;
	char *json;        /* the server's body, cleaned (owned); one line per page for a listing */
	char *listing;     /* audit, sessions list: one line per entry (owned) */
	size_t listing_len;
	int listed;        /* entries in the listing */
	long long next;    /* audit: the `before` of the next page, 0 when none */
	char note[1100];   /* what the token store said (stderr) */
};

static int outcome_set(struct outcome *o, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int outcome_set(struct outcome *o, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->message, sizeof o->message, fmt, ap);
	va_end(ap);
	return o->code = code;
}

static void outcome_line(struct outcome *o, const char *label, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void outcome_line(struct outcome *o, const char *label, const char *fmt, ...)
{
	if (o->nlines == DETAIL_MAX)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->lines[o->nlines].value, sizeof o->lines[o->nlines].value, fmt, ap);
	va_end(ap);
	o->lines[o->nlines++].label = label;
}

/* Adds one line to the listing; a line that cannot be had is dropped (out of memory). */
static void outcome_list(struct outcome *o, const char *line)
{
	size_t len = strlen(line);
	char *grown = realloc(o->listing, o->listing_len + len + 2);
	if (!grown)
		return;
	o->listing = grown;
	memcpy(o->listing + o->listing_len, line, len);
	o->listing_len += len;
	o->listing[o->listing_len++] = '\n';
	o->listing[o->listing_len] = '\0';
	o->listed++;
}

/* Adds text (owned) to the JSON shown: a listing's pages one a line, or after a space on a script's line. */
static void outcome_json(struct outcome *o, char *text, char separator)
{
	if (!o->json) {
		o->json = text;
		return;
	}
	size_t had = strlen(o->json), len = strlen(text);
	char *grown = realloc(o->json, had + len + 2);
	if (grown) {
		grown[had] = separator;
		memcpy(grown + had + 1, text, len + 1);
		o->json = grown;
	}
	free(text);
}

/* ---- passwords, never from argv ---- */

static void wipe(char *buf, size_t len)
{
	volatile char *p = buf;
	while (len--)
		*p++ = '\0';
}

/* One line without echo from the terminal, or from `in` with --password-stdin. */
static int read_secret(struct cli *cli, int from_stdin, const char *prompt, char *out, size_t outsz)
{
	FILE *from = cli->in, *tty = NULL;
	struct termios saved, quiet;
	int restore = 0;
	if (!from_stdin) {
		if (!(tty = fopen("/dev/tty", "r+")))
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
	if (from == cli->in)
		cli->lines_read++;
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

/* Why no password could be read: said for where it was expected. */
static int no_password(struct outcome *o, int from_stdin, int script)
{
	if (script && from_stdin)
		return outcome_set(o, EXIT_USAGE, "%s", _("Ligne du mot de passe manquante : elle doit suivre la ligne "
							   "qui porte --password-stdin."));
	if (from_stdin)
		return outcome_set(o, EXIT_USAGE, "%s", _("Aucun mot de passe sur l'entrée standard (--password-stdin)."));
	return outcome_set(o, EXIT_USAGE, "%s", _("Mot de passe requis : utilisez --password-stdin ou un terminal."));
}

/* The password a command asks for: the current one, or a new one (twice at a prompt). */
static int ask_password(struct cli *cli, const struct command *c, int from_stdin, int script, struct outcome *o,
			char *out, size_t outsz)
{
	const char *prompt = c->ask == ASK_CURRENT ? _(c->prompt) : _("Nouveau mot de passe : ");
	if (read_secret(cli, from_stdin, prompt, out, outsz) != 0)
		return no_password(o, from_stdin, script);
	if (c->ask == ASK_NEW && !from_stdin) {
		char again[1100];
		int same = read_secret(cli, 0, _("Confirmer le mot de passe : "), again, sizeof again) == 0 &&
			   strcmp(again, out) == 0;
		wipe(again, sizeof again);
		if (!same)
			return outcome_set(o, EXIT_USAGE, "%s", _("Les mots de passe ne correspondent pas."));
	}
	if (c->ask == ASK_NEW && !out[0])
		return outcome_set(o, EXIT_USAGE, "%s", _("Mot de passe vide."));
	return EXIT_DONE;
}

/* ---- what a result says, beyond the server's message ---- */

/* An API time with the local clock beside it: "2026-…Z (14:37:05, heure locale)"; "—" for none. */
static void local_time(const char *iso, char *out, size_t outsz)
{
	char local[64] = "";
	time_t at = iso[0] ? client_time(iso) : -1;
	struct tm tm;
	if (!iso[0]) {
		snprintf(out, outsz, "—");
		return;
	}
	if (at >= 0 && localtime_r(&at, &tm))
		strftime(local, sizeof local, _("%H:%M:%S, heure locale"), &tm);
	snprintf(out, outsz, local[0] ? "%s (%s)" : "%s%s", iso, local);
}

/* Tab-separated fields, as guichetd audit prints them: "-" for an empty one, "\\" for a backslash
   (the client already made every control character a '?', so no tab or newline is left in them). */
static void join_fields(char *out, size_t outsz, const char *const *fields, int n)
{
	size_t o = 0;
	for (int i = 0; i < n && o + 1 < outsz; i++) {
		const char *f = fields[i][0] ? fields[i] : "-";
		for (; *f && o + 2 < outsz; f++) {
			if (*f == '\\')
				out[o++] = '\\';
			out[o++] = *f;
		}
		if (i + 1 < n && o + 1 < outsz)
			out[o++] = '\t';
	}
	out[o] = '\0';
}

static void describe_citizen(const struct client_citizen *c, struct outcome *o)
{
	char when[128];
	outcome_line(o, _("Téléphone"), "%s", c->phone);
	if (c->nom[0] || c->prenom[0])
		outcome_line(o, _("Citoyen"), "%s%s%s", c->prenom, c->prenom[0] ? " " : "", c->nom);
	local_time(c->expires_at, when, sizeof when);
	if (c->live)
		outcome_line(o, _("Code"), _("en cours jusqu'à %s, %ld essai(s) restant(s)"), when, c->tries_left);
	else
		outcome_line(o, _("Code"), "%s", _("aucun en cours"));
	if (c->cooldown > 0)
		outcome_line(o, _("Délai"), _("nouvel envoi possible dans %ld s"), c->cooldown);
	else
		outcome_line(o, _("Délai"), "%s", _("aucun : un code peut être envoyé"));
	outcome_line(o, _("Erreurs permises"), _("%ld avant blocage"), c->budget_left);
	local_time(c->last_sent_at, when, sizeof when);
	if (c->last_sent_by[0])
		outcome_line(o, _("Dernier envoi"), _("%s par %s"), when, c->last_sent_by);
	else
		outcome_line(o, _("Dernier envoi"), "%s", when);
}

static void describe_listing(const struct client_result *r, struct outcome *o)
{
	char line[1400];
	for (int i = 0; r->has_audit && i < r->naudit; i++) {
		const struct client_audit_entry *e = &r->audit[i];
		const char *fields[] = { e->at, e->actor, e->event, e->outcome, e->ip, e->detail };
		join_fields(line, sizeof line, fields, 6);
		outcome_list(o, line);
	}
	if (r->has_audit)
		o->next = r->audit_next;
	for (int i = 0; r->has_sessions && i < r->nsessions; i++) {
		const struct client_session *e = &r->sessions[i];
		char id[32];
		snprintf(id, sizeof id, "%lld", e->id);
		const char *fields[] = { id, e->created_at, e->last_used_at, e->current ? "*" : "" };
		join_fields(line, sizeof line, fields, 4);
		outcome_list(o, line);
	}
}

static void describe(const struct cli *cli, const struct action_run *run, struct outcome *o)
{
	const struct client_result *r = &run->r;
	if (run->status == EXIT_DONE && run->id == ACTION_HEALTH)
		outcome_set(o, o->code, _("Serveur disponible (%s)."), cli->net.base_url);
	if (run->status == EXIT_DONE && run->id == ACTION_LOGIN && r->has_admin)
		outcome_line(o, _("Connecté"), _("%s %s <%s> (jeton : %s)"), r->admin.prenom, r->admin.nom,
			     r->admin.email, credstore_where(&cli->tokens));
	if (run->status == EXIT_DONE && run->id == ACTION_WHOAMI && r->has_admin) {
		const char *labels[PROFILE_LINES], *values[PROFILE_LINES];
		action_profile(&r->admin, labels, values);
		for (int i = 0; i < PROFILE_LINES; i++)
			outcome_line(o, labels[i], "%s", values[i][0] ? values[i] : "—");
	}
	if (run->status == EXIT_DONE && r->otp_issued) {
		char local[64] = "";
		time_t at = client_time(r->expires_at);
		struct tm tm;
		if (at >= 0 && localtime_r(&at, &tm))
			strftime(local, sizeof local, _("%H:%M:%S, heure locale"), &tm);
		outcome_line(o, _("Téléphone"), "%s", r->phone);
		if (r->has_code)
			outcome_line(o, _("Code"), "%s", r->code);
		else
			outcome_line(o, "", "%s", _(CLIENT_CODE_BY_SMS));
		outcome_line(o, _("Expire"), local[0] ? "%s (%s)" : "%s%s", r->expires_at, local);
	}
	if (run->status == EXIT_DONE && r->has_citizen)
		describe_citizen(&r->citizen, o);
	if (run->status == EXIT_DONE)
		describe_listing(r, o);
	if (run->status == EXIT_DONE && run->id == ACTION_SESSION_REVOKE && run->token_forgotten)
		outcome_line(o, "", "%s", _("C'était cette session : jeton supprimé, vous êtes déconnecté."));
	if (run->status == EXIT_REFUSED && r->retry_after > 0)
		outcome_line(o, "", _("Réessayer dans %ld s."), r->retry_after);
}

/* ---- running a command ---- */

static const struct command *find_command(const struct cli_args *a)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++) {
		const struct command *c = &COMMANDS[i];
		if (strcmp(c->name, a->words[0]) == 0 && (!c->sub || (a->nwords > 1 && strcmp(c->sub, a->words[1]) == 0)))
			return c;
	}
	return NULL;
}

static int known_name(const char *name)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		if (strcmp(COMMANDS[i].name, name) == 0)
			return 1;
	return 0;
}

static void name_usage(const char *name, FILE *to)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		if (strcmp(COMMANDS[i].name, name) == 0)
			command_usage(&COMMANDS[i], to);
}

/* Sends the checked run and waits for its end (the token store's part included); the outcome says it. */
static int perform(struct cli *cli, struct action_run *run, int json, int script, struct outcome *o)
{
	int code = action_send(run, &cli->net);
	if (code == EXIT_DONE) {
		do
			client_call_run(&run->call);
		while (action_answered(run, &cli->net));
		code = action_end(run, &cli->tokens);
		if (run->note[0])
			snprintf(o->note, sizeof o->note, "%s", run->note);
		if (json && run->r.raw_json && run->r.raw_json[0]) {
			char *clean = client_clean_json(run->r.raw_json, strlen(run->r.raw_json), script);
			if (clean)
				outcome_json(o, clean, script ? ' ' : '\n');
		}
	}
	outcome_set(o, code, "%s", run->r.message);
	describe(cli, run, o);
	action_release(run);
	return code;
}

/* Whether session id is the one of this token (so revoking it is a logout); 0 when that cannot be told. */
static int current_session(struct cli *cli, const char *token, long long id)
{
	struct action_run run;
	int current = 0;
	if (action_check(&run, ACTION_SESSIONS, NULL, token, &cli->tokens) == EXIT_DONE &&
	    action_send(&run, &cli->net) == EXIT_DONE) {
		client_call_run(&run.call);
		action_answered(&run, &cli->net);
		for (int i = 0; run.r.has_sessions && i < run.r.nsessions; i++)
			if (run.r.sessions[i].id == id)
				current = run.r.sessions[i].current;
	}
	action_release(&run);
	return current;
}

/* audit's --limit: 1 to 100,000 entries (default 50); -1 when not a number in that range. */
static int audit_limit(const char *text)
{
	if (!text)
		return CLIENT_AUDIT_PAGE;
	char *end;
	long n = strtol(text, &end, 10);
	return end != text && *end == '\0' && n >= 1 && n <= 100000 ? (int)n : -1;
}

/* Token, password, request, answer, local effects: every command goes this way, through the actions. */
static int run_command(struct cli *cli, const struct cli_args *a, int script, struct outcome *o)
{
	int from_stdin = cli->password_stdin || a->password_stdin;
	if (a->nwords < 1)
		return outcome_set(o, EXIT_USAGE, "%s", _("Commande manquante (guichet --help)."));
	const struct command *c = find_command(a);
	if (!c) {
		if (!script)
			name_usage(a->words[0], stderr);
		return outcome_set(o, EXIT_USAGE, _("Commande inconnue : %s%s%s"), a->words[0], a->nwords > 1 ? " " : "",
				   a->nwords > 1 ? a->words[1] : "");
	}
	char password[1100] = "";
	int code = EXIT_DONE, skip = c->sub ? 2 : 1;
	struct action_input in = { .email = a->email };
	if (a->nwords - skip != c->nargs) {
		if (!script)
			command_usage(c, stderr);
		code = outcome_set(o, EXIT_USAGE, _("Nombre d'arguments incorrect pour « %s%s%s »."), c->name,
				   c->sub ? " " : "", c->sub ? c->sub : "");
	}
	for (int i = 0; code == EXIT_DONE && i < c->nargs; i++) {
		const char *w = a->words[skip + i] ? a->words[skip + i] : "";
		switch (c->slots[i]) {
		case SLOT_EMAIL: in.email = w; break;
		case SLOT_MATRICULE: in.matricule = w; break;
		case SLOT_CODE: in.code = w; break;
		case SLOT_PHONE: in.phone = w; break;
		case SLOT_ID: {
			char *end;
			in.id = strtoll(w, &end, 10);
			if (end == w || *end || in.id <= 0)
				code = outcome_set(o, EXIT_USAGE, _("Identifiant de session invalide : %s"), w);
			break;
		}
		}
	}
	if (code == EXIT_DONE && c->action == ACTION_AUDIT) {
		in.admin = a->admin;
		in.phone = a->phone;
		if ((in.limit = audit_limit(a->limit)) < 0)
			code = outcome_set(o, EXIT_USAGE, _("--limit : un nombre d'entrées de 1 à 100000, pas « %s »."), a->limit);
	} else if (code == EXIT_DONE && (a->limit || a->admin || a->phone)) {
		code = outcome_set(o, EXIT_USAGE, "%s", _("--limit, --admin et --phone sont des options de « audit »."));
	}
	struct action_run run;
	char warn[1100] = "";
	char *token = NULL;
	if (code == EXIT_DONE) {
		if (action_token_use(c->action) != TOKEN_NONE) /* warn: the keyring's fallback notice, once a process */
			token = credstore_load(&cli->tokens, warn, sizeof warn);
		code = action_check(&run, c->action, &in, token, &cli->tokens);
		if (code != EXIT_DONE)
			outcome_set(o, code, "%s", run.r.message);
	}
	if (code != EXIT_DONE) {
		/* the password line that follows is this command's: never run it as the next command */
		if (c->ask != ASK_NOTHING && from_stdin)
			read_secret(cli, 1, "", password, sizeof password);
	} else if (c->ask != ASK_NOTHING) {
		code = ask_password(cli, c, from_stdin, script, o, password, sizeof password);
	}
	if (warn[0])
		snprintf(o->note, sizeof o->note, "%s", warn);
	if (code == EXIT_DONE && c->action == ACTION_SESSION_REVOKE)
		run.in.current = current_session(cli, token, in.id);
	if (code == EXIT_DONE) {
		run.in.password = password;
		code = perform(cli, &run, cli->json || a->json, script, o);
	}
	/* audit: page after page until --limit entries or the oldest */
	while (code == EXIT_DONE && c->action == ACTION_AUDIT && o->next && o->listed < in.limit) {
		in.id = o->next;
		int left = in.limit - o->listed;
		struct action_input page = in;
		page.limit = left < CLIENT_AUDIT_PAGE ? left : CLIENT_AUDIT_PAGE;
		code = action_check(&run, ACTION_AUDIT, &page, token, &cli->tokens);
		code = code == EXIT_DONE ? perform(cli, &run, cli->json || a->json, script, o)
					 : outcome_set(o, code, "%s", run.r.message);
	}
	wipe(password, sizeof password);
	credstore_free_token(token);
	return o->code = code;
}

/* Pads every label of the detail lines to the widest. */
static size_t label_width(const struct outcome *o)
{
	size_t w = 0;
	for (int i = 0; i < o->nlines; i++)
		if (text_width(o->lines[i].label) > w)
			w = text_width(o->lines[i].label);
	return w;
}

/* audit and sessions list print their entries, one per line. */
static int is_listing(const struct cli_args *a)
{
	const struct command *c = a->nwords ? find_command(a) : NULL;
	return c && (c->action == ACTION_AUDIT || c->action == ACTION_SESSIONS);
}

int cli_command(struct cli *cli, const struct cli_args *a)
{
	if (a->help) {
		if (a->nwords && known_name(a->words[0]))
			name_usage(a->words[0], stdout);
		else
			cli_usage(stdout);
		return EXIT_DONE;
	}
	struct outcome o = { 0 };
	int code = run_command(cli, a, 0, &o);
	FILE *to = code == EXIT_DONE ? stdout : stderr;
	if (o.note[0])
		fprintf(stderr, "guichet: %s\n", o.note);
	if (o.json) {
		printf("%s\n", o.json);
	} else if (code == EXIT_DONE && (o.listing || o.listed == 0) && is_listing(a)) {
		/* a listing is its lines, as guichetd audit prints them; nothing when it is empty */
		if (o.listing)
			fputs(o.listing, stdout);
	} else {
		fprintf(to, "%s%s\n", code == EXIT_DONE ? "" : "guichet: ", o.message);
		size_t w = label_width(&o);
		for (int i = 0; i < o.nlines; i++) {
			if (o.lines[i].label[0]) {
				print_padded(to, o.lines[i].label, w);
				fputs(_(" : "), to);
			}
			fprintf(to, "%s\n", o.lines[i].value);
		}
	}
	free(o.json);
	free(o.listing);
	return code;
}

/* ---- scripts ---- */

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

/* The message column: the message and the detail lines, on one line. */
static void result_text(const struct outcome *o, int json, char *out, size_t outsz)
{
	size_t n = (size_t)snprintf(out, outsz, "%s", json && o->json ? o->json : o->message);
	for (int i = 0; !(json && o->json) && i < o->nlines && n < outsz; i++)
		n += (size_t)snprintf(out + n, outsz - n, " | %s%s%s", o->lines[i].label,
				      o->lines[i].label[0] ? _(" : ") : "", o->lines[i].value);
	/* a listing's lines hold tabs: a script's result line only counts them */
	if (!(json && o->json) && (o->listing || o->next) && n < outsz)
		snprintf(out + n, outsz - n, _(" | %d entrée(s)"), o->listed);
}

/* TAP: a '#' in a description starts a directive unless escaped. */
static void print_tap_text(const char *s)
{
	for (; *s; s++) {
		if (*s == '#' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
}

int cli_script(struct cli *cli)
{
	char line[LINE_MAX_LEN], shown[LINE_MAX_LEN], text[2 * LINE_MAX_LEN];
	int worst = EXIT_DONE, tests = 0;
	while (fgets(line, sizeof line, cli->in)) {
		int lineno = ++cli->lines_read;
		line[strcspn(line, "\r\n")] = '\0';
		char *start = line + strspn(line, " \t");
		if (!*start || *start == '#')
			continue;
		snprintf(shown, sizeof shown, "%s", start);
		char *argv[CLI_WORDS_MAX + 2] = { "guichet" };
		int argc = 1 + split_line(start, argv + 1, CLI_WORDS_MAX + 1);
		struct cli_args a;
		struct outcome o = { 0 };
		int parsed = cli_parse(argc, argv, 1, &a, o.message, sizeof o.message);
		if (worst != EXIT_DONE && !cli->keep_going && !(parsed == EXIT_DONE && a.finally)) {
			/* after a failure only --finally lines run; a skipped command's password line is skipped too */
			const struct command *c = parsed == EXIT_DONE && a.nwords ? find_command(&a) : NULL;
			char password[1100];
			if (c && c->ask != ASK_NOTHING && (cli->password_stdin || a.password_stdin))
				read_secret(cli, 1, "", password, sizeof password);
			wipe(password, sizeof password);
			if (cli->tap) {
				printf("ok %d - ", ++tests);
				print_tap_text(shown);
				printf(" # SKIP %s\n", _("après un échec"));
			}
			continue;
		}
		int code = parsed == EXIT_DONE ? run_command(cli, &a, 1, &o) : (o.code = EXIT_USAGE);
		if (o.note[0])
			fprintf(stderr, "guichet: %s\n", o.note);
		result_text(&o, cli->json || (parsed == EXIT_DONE && a.json), text, sizeof text);
		if (cli->tap) {
			printf("%s %d - ", code == EXIT_DONE ? "ok" : "not ok", ++tests);
			print_tap_text(shown);
			fputs(": ", stdout);
			print_tap_text(text);
			putchar('\n');
		} else {
			printf("%s\t%d\t%s\t%s\n", code == EXIT_DONE ? "ok" : "FAIL", lineno, shown, text);
		}
		fflush(stdout);
		free(o.json);
		free(o.listing);
		if (code != EXIT_DONE && worst == EXIT_DONE)
			worst = code;
	}
	if (cli->tap)
		printf("1..%d\n", tests);
	return worst;
}
