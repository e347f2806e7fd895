/* strptime */
#define _XOPEN_SOURCE 700
#include "provision.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "clock.h"
#include "config.h"
#include "jsonbody.h"
#include "mail.h"
#include "phone.h"
#include "store.h"
#include "token.h"

#define MAX_OPTS 8

/* The options a subcommand accepts: name → value, plus --db. */
struct opts {
	const char *names[MAX_OPTS];
	const char *values[MAX_OPTS];
	int count;
	struct config cfg;
	const char *positional;
};

static const char *opt(const struct opts *o, const char *name)
{
	for (int i = 0; i < o->count; i++)
		if (strcmp(o->names[i], name) == 0)
			return o->values[i];
	return NULL;
}

/* Parses argv against the allowed names (NULL-terminated). 0, or 2 after a message. */
static int parse(int argc, char **argv, const char *const *allowed, int positional, struct opts *o,
		 const char *usage)
{
	char err[256], name[64];
	memset(o, 0, sizeof *o);
	if (config_init(&o->cfg, err, sizeof err) != 0) {
		fprintf(stderr, "guichetd: %s\n", err);
		return 2;
	}
	int i = 0;
	while (i < argc) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: %s\n", usage);
			exit(0);
		}
		const char *value;
		int rc = config_next_option(argc, argv, &i, name, sizeof name, &value);
		if (rc == 0 && positional && !o->positional) {
			o->positional = argv[i++];
			continue;
		}
		if (rc <= 0) {
			fprintf(stderr, "guichetd: %s '%s'\nusage: %s\n",
				rc < 0 ? "missing value for" : "unexpected argument", argv[i], usage);
			return 2;
		}
		if (strcmp(name, "db") == 0) {
			o->cfg.db = value;
			continue;
		}
		int k = 0;
		while (allowed[k] && strcmp(allowed[k], name) != 0)
			k++;
		if (!allowed[k] || o->count == MAX_OPTS) {
			fprintf(stderr, "guichetd: unknown option --%s\nusage: %s\n", name, usage);
			return 2;
		}
		o->names[o->count] = allowed[k];
		o->values[o->count++] = value;
	}
	if (positional && !o->positional) {
		fprintf(stderr, "guichetd: missing argument\nusage: %s\n", usage);
		return 2;
	}
	return 0;
}

static struct store *open_store(const struct opts *o)
{
	char err[512];
	struct store *st;
	if (store_open(o->cfg.db, &st, err, sizeof err) != 0) {
		fprintf(stderr, "guichetd: %s\n", err);
		return NULL;
	}
	return st;
}

/* Field values from the command line must be valid UTF-8 text of sane length. */
static int text_ok(const char *what, const char *v, size_t max)
{
	if (v && (strlen(v) >= max || !jsonbody_valid_utf8(v, strlen(v)))) {
		fprintf(stderr, "guichetd: --%s: not valid UTF-8 or longer than %zu bytes\n", what, max - 1);
		return 0;
	}
	return 1;
}

/* ---- admin ---- */

static const char ADMIN_ADD_USAGE[] =
	"guichetd admin add --email E --nom N --prenom P [--telephone T --pays P --ville V] [--db PATH]";

static int admin_add(int argc, char **argv)
{
	static const char *const allowed[] = { "email", "nom", "prenom", "telephone", "pays", "ville", NULL };
	struct opts o;
	int rc = parse(argc, argv, allowed, 0, &o, ADMIN_ADD_USAGE);
	if (rc)
		return rc;
	struct admin a = { 0 };
	const char *email = opt(&o, "email"), *nom = opt(&o, "nom"), *prenom = opt(&o, "prenom");
	if (!email || !nom || !prenom || !*nom || !*prenom) {
		fprintf(stderr, "guichetd: --email, --nom and --prenom are required\nusage: %s\n", ADMIN_ADD_USAGE);
		return 2;
	}
	if (!mail_address_ok(email)) {
		fprintf(stderr, "guichetd: --email: '%s' is not an e-mail address\n", email);
		return 2;
	}
	if (!text_ok("nom", nom, sizeof a.nom) || !text_ok("prenom", prenom, sizeof a.prenom) ||
	    !text_ok("telephone", opt(&o, "telephone"), sizeof a.telephone) ||
	    !text_ok("pays", opt(&o, "pays"), sizeof a.pays) || !text_ok("ville", opt(&o, "ville"), sizeof a.ville))
		return 2;
	token_uuid_v4(a.matricule);
	snprintf(a.email, sizeof a.email, "%s", email);
	snprintf(a.nom, sizeof a.nom, "%s", nom);
	snprintf(a.prenom, sizeof a.prenom, "%s", prenom);
	snprintf(a.telephone, sizeof a.telephone, "%s", opt(&o, "telephone") ? opt(&o, "telephone") : "");
	snprintf(a.pays, sizeof a.pays, "%s", opt(&o, "pays") ? opt(&o, "pays") : "");
	snprintf(a.ville, sizeof a.ville, "%s", opt(&o, "ville") ? opt(&o, "ville") : "");
	struct store *st = open_store(&o);
	if (!st)
		return 1;
	int64_t id = 0;
	int status = store_admin_add(st, &a, clock_now_ms(), &id);
	if (status == ST_OK)
		store_audit_add(st, id, a.email, "admin.created", "ok", "cli", NULL, clock_now_ms());
	store_close(st);
	if (status == ST_CONFLICT) {
		fprintf(stderr, "guichetd: an admin with e-mail %s already exists\n", email);
		return 1;
	}
	if (status != ST_OK)
		return 1;
	printf("%s\n", a.matricule);
	return 0;
}

static void print_admin(const struct admin *a, void *ctx)
{
	char deleted[CLOCK_ISO_LEN + 1] = "-";
	(void)ctx;
	if (a->deleted_at)
		clock_format_iso(a->deleted_at, deleted);
	printf("%lld\t%s\t%s\t%s\t%s\t%s\t%s\n", (long long)a->id, a->matricule, a->email, a->nom, a->prenom,
	       a->deleted_at ? "deleted" : a->has_password ? "active" : "signup pending", deleted);
}

static int admin_list(int argc, char **argv)
{
	static const char *const allowed[] = { NULL };
	struct opts o;
	int rc = parse(argc, argv, allowed, 0, &o, "guichetd admin list [--db PATH]");
	if (rc)
		return rc;
	struct store *st = open_store(&o);
	if (!st)
		return 1;
	printf("id\tmatricule\temail\tnom\tprenom\tstate\tdeleted_at\n");
	int status = store_admin_list(st, print_admin, NULL);
	store_close(st);
	return status == ST_OK ? 0 : 1;
}

static int admin_delete(int argc, char **argv)
{
	static const char *const allowed[] = { "email", NULL };
	struct opts o;
	int rc = parse(argc, argv, allowed, 0, &o, "guichetd admin delete --email E [--db PATH]");
	if (rc)
		return rc;
	const char *email = opt(&o, "email");
	if (!email) {
		fprintf(stderr, "guichetd: --email is required\nusage: guichetd admin delete --email E\n");
		return 2;
	}
	struct store *st = open_store(&o);
	if (!st)
		return 1;
	int status = store_admin_delete(st, email, clock_now_ms());
	if (status == ST_OK)
		store_audit_add(st, 0, email, "admin.deleted", "ok", "cli", NULL, clock_now_ms());
	store_close(st);
	if (status == ST_NOT_FOUND) {
		fprintf(stderr, "guichetd: no admin with e-mail %s\n", email);
		return 1;
	}
	if (status != ST_OK)
		return 1;
	printf("deleted %s (tokens revoked)\n", email);
	return 0;
}

int provision_admin(int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "add") == 0)
		return admin_add(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "list") == 0)
		return admin_list(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "delete") == 0)
		return admin_delete(argc - 1, argv + 1);
	fprintf(stderr, "usage: guichetd admin add|list|delete ... (--help for each)\n");
	return 2;
}

/* ---- citizens and users ---- */

/* Adds one user; prints why not on failure. Returns the store status. */
static int add_user(struct store *st, const char *raw_phone, const char *type, const char *nom,
		    const char *prenom, char *why, size_t whysz)
{
	char phone[PHONE_MAX + 1];
	enum phone_result pr = phone_normalize(raw_phone, phone);
	if (pr != PHONE_OK) {
		snprintf(why, whysz, pr == PHONE_EMPTY ? "empty phone number" : "invalid phone number '%s'", raw_phone);
		return ST_NOT_FOUND;
	}
	if ((nom && (strlen(nom) > 255 || !jsonbody_valid_utf8(nom, strlen(nom)))) ||
	    (prenom && (strlen(prenom) > 255 || !jsonbody_valid_utf8(prenom, strlen(prenom))))) {
		snprintf(why, whysz, "name not valid UTF-8 or too long");
		return ST_NOT_FOUND;
	}
	int status = store_user_add(st, phone, type, nom && *nom ? nom : NULL, prenom && *prenom ? prenom : NULL,
				    clock_now_ms());
	if (status == ST_CONFLICT)
		snprintf(why, whysz, "phone number %s already registered", phone);
	else if (status != ST_OK)
		snprintf(why, whysz, "database error");
	return status;
}

static int user_add_with_type(int argc, char **argv, const char *type, const char *usage)
{
	static const char *const citizen_opts[] = { "phone", "nom", "prenom", NULL };
	static const char *const user_opts[] = { "phone", "type", "nom", "prenom", NULL };
	struct opts o;
	int rc = parse(argc, argv, type ? citizen_opts : user_opts, 0, &o, usage);
	if (rc)
		return rc;
	if (!type)
		type = opt(&o, "type");
	if (!opt(&o, "phone") || !type) {
		fprintf(stderr, "guichetd: missing option\nusage: %s\n", usage);
		return 2;
	}
	for (const char *p = type; *p; p++)
		if (!isupper((unsigned char)*p) && *p != '_') {
			fprintf(stderr, "guichetd: --type: expected an upper-case word such as AGENT\n");
			return 2;
		}
	struct store *st = open_store(&o);
	if (!st)
		return 1;
	char why[160];
	int status = add_user(st, opt(&o, "phone"), type, opt(&o, "nom"), opt(&o, "prenom"), why, sizeof why);
	store_close(st);
	if (status != ST_OK) {
		fprintf(stderr, "guichetd: %s\n", why);
		return status == ST_NOT_FOUND ? 2 : 1;
	}
	printf("added %s %s\n", type, opt(&o, "phone"));
	return 0;
}

/* Splits one CSV line in place (RFC 4180 quotes). Returns the field count. */
static int csv_split(char *line, char **fields, int max)
{
	int n = 0;
	char *p = line;
	while (n < max) {
		char *out = p;
		fields[n++] = p;
		if (*p == '"') {
			p++;
			for (;;) {
				if (*p == '\0')
					break;
				if (*p == '"' && p[1] == '"') {
					*out++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					*out++ = *p++;
				}
			}
			while (*p && *p != ',')
				p++;
		} else {
			while (*p && *p != ',')
				*out++ = *p++;
		}
		char *next = *p == ',' ? p + 1 : NULL;
		*out = '\0';
		if (!next)
			break;
		p = next;
	}
	return n;
}

static void trim_eol(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

static int citizen_import(int argc, char **argv)
{
	static const char *const allowed[] = { NULL };
	static const char usage[] = "guichetd citizen import FILE.csv [--db PATH]";
	struct opts o;
	int rc = parse(argc, argv, allowed, 1, &o, usage);
	if (rc)
		return rc;
	FILE *f = fopen(o.positional, "r");
	if (!f) {
		fprintf(stderr, "guichetd: cannot read %s\n", o.positional);
		return 1;
	}
	char line[4096], *fields[32];
	int col_phone = -1, col_nom = -1, col_prenom = -1;
	if (!fgets(line, sizeof line, f)) {
		fprintf(stderr, "guichetd: %s is empty: expected a header line (phoneNumber,nom,prenom)\n", o.positional);
		fclose(f);
		return 1;
	}
	trim_eol(line);
	char *header = line;
	if (strncmp(header, "\xEF\xBB\xBF", 3) == 0)
		header += 3; /* a UTF-8 BOM, as spreadsheets write */
	int ncols = csv_split(header, fields, 32);
	for (int i = 0; i < ncols; i++) {
		char *name = fields[i];
		while (*name == ' ')
			name++;
		if (strcasecmp(name, "phoneNumber") == 0 || strcasecmp(name, "phone") == 0)
			col_phone = i;
		else if (strcasecmp(name, "nom") == 0)
			col_nom = i;
		else if (strcasecmp(name, "prenom") == 0)
			col_prenom = i;
	}
	if (col_phone < 0) {
		fprintf(stderr, "guichetd: %s: the header has no phoneNumber (or phone) column\n", o.positional);
		fclose(f);
		return 1;
	}
	struct store *st = open_store(&o);
	if (!st) {
		fclose(f);
		return 1;
	}
	int added = 0, skipped = 0, lineno = 1, failed = store_begin(st) != 0;
	while (!failed && fgets(line, sizeof line, f)) {
		lineno++;
		trim_eol(line);
		if (line[0] == '\0')
			continue;
		int n = csv_split(line, fields, 32);
		char why[160];
		if (col_phone >= n) {
			printf("line %d: skipped: no phone number\n", lineno);
			skipped++;
			continue;
		}
		int status = add_user(st, fields[col_phone], "CITIZEN", col_nom >= 0 && col_nom < n ? fields[col_nom] : NULL,
				      col_prenom >= 0 && col_prenom < n ? fields[col_prenom] : NULL, why, sizeof why);
		if (status == ST_OK) {
			added++;
		} else if (status == ST_ERROR) {
			failed = 1;
		} else {
			printf("line %d: skipped: %s\n", lineno, why);
			skipped++;
		}
	}
	fclose(f);
	if (failed || store_commit(st) != 0) {
		store_rollback(st);
		store_close(st);
		fprintf(stderr, "guichetd: import failed, nothing was added\n");
		return 1;
	}
	store_close(st);
	printf("%d added, %d skipped\n", added, skipped);
	return 0;
}

int provision_citizen(int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "add") == 0)
		return user_add_with_type(argc - 1, argv + 1, "CITIZEN",
					  "guichetd citizen add --phone P [--nom N --prenom P] [--db PATH]");
	if (argc >= 1 && strcmp(argv[0], "import") == 0)
		return citizen_import(argc - 1, argv + 1);
	fprintf(stderr, "usage: guichetd citizen add|import ... (--help for each)\n");
	return 2;
}

int provision_user(int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "add") == 0)
		return user_add_with_type(argc - 1, argv + 1, NULL,
					  "guichetd user add --phone P --type AGENT [--nom N --prenom P] [--db PATH]");
	fprintf(stderr, "usage: guichetd user add --phone P --type TYPE\n");
	return 2;
}

/* ---- API keys (--otp-callers key) ---- */

#define APIKEY_PREFIX "gk_"

static int apikey_add(int argc, char **argv)
{
	static const char *const allowed[] = { "name", NULL };
	static const char usage[] = "guichetd apikey add --name NAME [--db PATH]";
	struct opts o;
	int rc = parse(argc, argv, allowed, 0, &o, usage);
	if (rc)
		return rc;
	const char *name = opt(&o, "name");
	struct apikey_row row;
	if (!name || !*name) {
		fprintf(stderr, "guichetd: --name is required\nusage: %s\n", usage);
		return 2;
	}
	if (!text_ok("name", name, sizeof row.name) || strpbrk(name, "\t\r\n"))
		return 2;
	/* the same shape as a token's secret, with a prefix that tells them apart */
	char secret[TOKEN_SECRET_LEN + 1], key[sizeof APIKEY_PREFIX + TOKEN_SECRET_LEN];
	unsigned char hash[TOKEN_HASH_BYTES];
	token_make_secret(secret);
	snprintf(key, sizeof key, "%s%s", APIKEY_PREFIX, secret);
	token_hash(key, hash);
	struct store *st = open_store(&o);
	if (!st)
		return 1;
	int status = store_apikey_add(st, name, hash, clock_now_ms());
	if (status == ST_OK)
		store_audit_add(st, 0, name, "apikey.created", "ok", "cli", NULL, clock_now_ms());
	store_close(st);
	if (status == ST_CONFLICT)
		fprintf(stderr, "guichetd: a live API key is already named '%s'\n", name);
	if (status == ST_OK) {
		printf("API key '%s' (shown once, stored only as a hash):\n%s\n", name, key);
		fflush(stdout);
	}
	sodium_memzero(secret, sizeof secret);
	sodium_memzero(key, sizeof key);
	return status == ST_OK ? 0 : 1;
}

static void print_time(int64_t ms, const char *after)
{
	char iso[CLOCK_ISO_LEN + 1] = "-";
	if (ms)
		clock_format_iso(ms, iso);
	printf("%s%s", iso, after);
}

static void print_apikey(const struct apikey_row *row, void *ctx)
{
	(void)ctx;
	printf("%s\t", row->name);
	print_time(row->created_at, "\t");
	print_time(row->last_used_at, "\t");
	printf("%s\n", row->revoked_at ? "revoked" : "live");
}

static int apikey_list(int argc, char **argv)
{
	static const char *const allowed[] = { NULL };
	struct opts o;
	int rc = parse(argc, argv, allowed, 0, &o, "guichetd apikey list [--db PATH]");
	if (rc)
		return rc;
	struct store *st = open_store(&o);
	if (!st)
		return 1;
	printf("name\tcreated\tlast_used\tstate\n");
	int status = store_apikey_list(st, print_apikey, NULL);
	store_close(st);
	return status == ST_OK ? 0 : 1;
}

static int apikey_revoke(int argc, char **argv)
{
	static const char *const allowed[] = { "name", NULL };
	static const char usage[] = "guichetd apikey revoke --name NAME [--db PATH]";
	struct opts o;
	int rc = parse(argc, argv, allowed, 0, &o, usage);
	if (rc)
		return rc;
	const char *name = opt(&o, "name");
	if (!name) {
		fprintf(stderr, "guichetd: --name is required\nusage: %s\n", usage);
		return 2;
	}
	struct store *st = open_store(&o);
	if (!st)
		return 1;
	int status = store_apikey_revoke(st, name, clock_now_ms());
	if (status == ST_OK)
		store_audit_add(st, 0, name, "apikey.revoked", "ok", "cli", NULL, clock_now_ms());
	store_close(st);
	if (status == ST_NOT_FOUND)
		fprintf(stderr, "guichetd: no live API key named '%s'\n", name);
	if (status == ST_OK)
		printf("revoked %s\n", name);
	return status == ST_OK ? 0 : 1;
}

int provision_apikey(int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "add") == 0)
		return apikey_add(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "list") == 0)
		return apikey_list(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "revoke") == 0)
		return apikey_revoke(argc - 1, argv + 1);
	fprintf(stderr, "usage: guichetd apikey add|list|revoke [--name NAME] [--db PATH]\n");
	return 2;
}

/* ---- backup ---- */

int provision_backup(int argc, char **argv)
{
	static const char *const allowed[] = { NULL };
	static const char usage[] = "guichetd backup FILE [--db PATH|URL]";
	struct opts o;
	int rc = parse(argc, argv, allowed, 1, &o, usage);
	if (rc)
		return rc;
	struct store *st = open_store(&o);
	if (!st)
		return 1;
	char err[512];
	rc = store_backup(st, o.positional, err, sizeof err);
	store_close(st);
	if (rc != 0) {
		fprintf(stderr, "guichetd: %s\n", err);
		return 1;
	}
	printf("backed up to %s\n", o.positional);
	return 0;
}

/* ---- audit ---- */

/*
 * Prints a field of the trail for an operator's terminal: control bytes (C0,
 * DEL, C1 as UTF-8) and the backslash are written as escapes, so no stored
 * text can move the cursor, forge a row or a column, or talk to the terminal.
 */
/*
 * The invisible format characters at p (UTF-8) that reorder or hide text:
 * U+061C, U+200B-200F, U+202A-202E, U+2060-2069 and U+FEFF, with which one
 * address could be shown for another. Their code point, or 0.
 */
static unsigned format_char(const unsigned char *p)
{
	unsigned cp = 0;
	if (p[0] == 0xd8 && p[1] == 0x9c)
		return 0x061c;
	if ((p[0] == 0xe2 || p[0] == 0xef) && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80)
		cp = (unsigned)(p[0] & 0x0f) << 12 | (unsigned)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
	return (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) ||
			       cp == 0xfeff ? cp : 0;
}

static void print_field(const char *text, const char *after)
{
	const unsigned char *p = (const unsigned char *)(*text ? text : "-");
	unsigned cp;
	for (; *p; p++) {
		if (*p == '\\')
			fputs("\\\\", stdout);
		else if (*p == '\t')
			fputs("\\t", stdout);
		else if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\r')
			fputs("\\r", stdout);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			printf("\\u%04x", *++p);
		else if ((cp = format_char(p))) {
			printf("\\u%04x", cp);
			p += cp == 0x061c ? 1 : 2; /* the rest of its UTF-8 */
		}
		else
			putchar(*p);
	}
	fputs(after, stdout);
}

static void print_audit(const struct audit_row *row, void *ctx)
{
	char at[CLOCK_ISO_LEN + 1];
	(void)ctx;
	clock_format_iso(row->at, at);
	print_field(at, "\t");
	print_field(row->email, "\t");
	print_field(row->event, "\t");
	print_field(row->outcome, "\t");
	print_field(row->ip, "\t");
	print_field(row->detail, "\n");
}

/* "2026-11-22", "2026-11-22T03:00:00Z" (UTC) or Unix seconds; -1 if neither. */
static int64_t parse_since(const char *s)
{
	struct tm tm = { 0 };
	char *end;
	const char *rest = strptime(s, "%Y-%m-%d", &tm);
	if (rest && *rest == 'T')
		rest = strptime(rest + 1, "%H:%M:%S", &tm);
	if (rest && (*rest == '\0' || strcmp(rest, "Z") == 0))
		return (int64_t)timegm(&tm) * 1000;
	long long secs = strtoll(s, &end, 10);
	if (end != s && *end == '\0' && secs >= 0)
		return secs * 1000;
	return -1;
}

int provision_audit(int argc, char **argv)
{
	static const char *const allowed[] = { "since", "admin", NULL };
	static const char usage[] = "guichetd audit [--since DATE|DATETIME|UNIX-SECONDS] [--admin EMAIL] [--db PATH]";
	struct opts o;
	int rc = parse(argc, argv, allowed, 0, &o, usage);
	if (rc)
		return rc;
	int64_t since = 0;
	if (opt(&o, "since") && (since = parse_since(opt(&o, "since"))) < 0) {
		fprintf(stderr, "guichetd: --since: expected 2026-11-22, 2026-11-22T03:00:00Z or Unix seconds\n");
		return 2;
	}
	struct store *st = open_store(&o);
	if (!st)
		return 1;
	printf("at\tactor\tevent\toutcome\tclient\tdetail\n");
	int status = store_audit_list(st, since, opt(&o, "admin"), print_audit, NULL);
	store_close(st);
	return status == ST_OK ? 0 : 1;
}
