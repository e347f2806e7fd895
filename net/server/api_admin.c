#include "api_admin.h"

#include <ctype.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "jsonbody.h"
#include "mail.h"
#include "metrics.h"
#include "otp.h"
#include "password.h"
#include "token.h"

#define MAX_TRIES 5
#define CODE_DRAWS 16
/* An e-mail from a client that names no admin is kept this long at most in the audit trail. */
#define CLIENT_TEXT_MAX 64

static const char MISSING[] = "Champs requis manquants.";
static const char INTERNAL[] = "Erreur interne.";
static const char SENT[] = "Otp envoyé";
static const char PASSWORD_UPDATED[] = "Mot de passe mis a jour avec succes. Veuillez vous reconnecter.";

static void answer(struct call *c, int status, const char *message)
{
	reply_json(c->out, ENV_ADMIN, status, message, NULL);
}

static void lower_ascii(const char *in, char *out, size_t outsz)
{
	size_t i = 0;
	for (; in[i] && i + 1 < outsz; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

/*
 * What the audit trail keeps of an e-mail a client typed: a well-formed
 * address, lower-cased; anything else bounded to CLIENT_TEXT_MAX bytes of
 * printable ASCII, so no client fills the disk or writes to an operator's
 * terminal through it.
 */
static void client_email(const char *in, char *out, size_t outsz)
{
	if (mail_address_ok(in) && strlen(in) < outsz) {
		lower_ascii(in, out, outsz);
		return;
	}
	size_t n = 0, limit = outsz < CLIENT_TEXT_MAX + 4 ? outsz - 4 : CLIENT_TEXT_MAX;
	for (; n < limit && in[n]; n++)
		out[n] = (in[n] > ' ' && in[n] < 0x7f) ? in[n] : '?';
	snprintf(out + n, outsz - n, "%s", in[n] ? "..." : "");
}

/* One line of the audit trail: who, what, how it ended, from where. Never a secret. */
static void audit(struct call *c, const struct admin *a, const char *email, const char *event, const char *outcome)
{
	char typed[320];
	if (!a && email)
		client_email(email, typed, sizeof typed);
	store_audit_add(c->app->store, a ? a->id : 0, a ? a->email : email ? typed : NULL, event, outcome,
			c->rq->client_ip, NULL, clock_now_ms());
}

static void audit_purpose(struct call *c, const struct admin *a, const char *email, enum admin_purpose p,
			  const char *what, const char *outcome)
{
	char event[64];
	snprintf(event, sizeof event, "%s.%s", store_purpose_name(p), what);
	audit(c, a, email, event, outcome);
}

/* The budget of wrong passwords of one admin. */
static void login_lock(struct call *c, const struct admin *a, struct limit_use *lock)
{
	char subject[24];
	snprintf(subject, sizeof subject, "%lld", (long long)a->id);
	abuse_use(c->app->abuse, LIMIT_LOGIN, subject, lock);
}

/*
 * Reads the named string fields (NULL-terminated list of name, &value pairs).
 * Returns 1 when all are present, else answers 400 and returns 0.
 */
static int need_strings(struct call *c, const char *name, const char **value, ...)
{
	va_list ap;
	int missing = 0;
	const char *wrong = NULL;
	va_start(ap, value);
	while (name) {
		enum field_result fr = jsonbody_string(c->body, name, value);
		if (fr == FIELD_MISSING)
			missing = 1;
		else if (fr == FIELD_WRONG_TYPE && !wrong)
			wrong = name;
		name = va_arg(ap, const char *);
		if (name)
			value = va_arg(ap, const char **);
	}
	va_end(ap);
	if (missing) {
		answer(c, 400, MISSING);
		return 0;
	}
	if (wrong) {
		char msg[160];
		snprintf(msg, sizeof msg, "Champ invalide : '%s' doit être une chaîne de caractères.", wrong);
		answer(c, 400, msg);
		return 0;
	}
	return 1;
}

cJSON *api_admin_json(const struct admin *a)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)a->id);
	cJSON_AddStringToObject(o, "matricule", a->matricule);
	cJSON_AddStringToObject(o, "nom", a->nom);
	cJSON_AddStringToObject(o, "prenom", a->prenom);
	cJSON_AddStringToObject(o, "email", a->email);
#define OPTIONAL(key, value) \
	cJSON_AddItemToObject(o, key, (value)[0] ? cJSON_CreateString(value) : cJSON_CreateNull())
	OPTIONAL("telephone", a->telephone);
	OPTIONAL("pays", a->pays);
	OPTIONAL("ville", a->ville);
	OPTIONAL("photoProfil", a->photo_profil);
	OPTIONAL("pieceIdentite", a->piece_identite);
#undef OPTIONAL
	if (a->deleted_at) {
		char iso[CLOCK_ISO_LEN + 1];
		clock_format_iso(a->deleted_at, iso);
		cJSON_AddStringToObject(o, "deleted_at", iso);
	} else {
		cJSON_AddNullToObject(o, "deleted_at");
	}
	return o;
}


static const char *const PURPOSE_TEXT[] = {
	[PURPOSE_SIGNUP] = "finaliser votre inscription",
	[PURPOSE_PASSWORD_RESET] = "réinitialiser votre mot de passe",
	[PURPOSE_PASSWORD_CHANGE] = "changer votre mot de passe",
	[PURPOSE_EMAIL_CHANGE] = "confirmer votre nouvelle adresse e-mail",
};

/* Best effort: the change is already made; a lost notice is logged, not fatal. */
static void notify(struct call *c, const char *to, const char *subject, const char *body)
{
	char err[256];
	if (mailer_send(c->app->mailer, to, subject, body, err, sizeof err) != 0)
		fprintf(stderr, "guichetd: notice mail not sent: %s\n", err);
}

/*
 * Issues an OTP of `purpose` for the admin and mails it to `to`. Returns 1
 * when sent; otherwise answers (429 cooldown, 500) and returns 0, leaving no
 * live OTP and no cooldown behind when the mail fails.
 */
static int send_otp(struct call *c, const struct admin *a, enum admin_purpose purpose, const char *to)
{
	const struct config *cfg = c->app->cfg;
	char code[OTP_DIGITS_MAX + 1], context[64], address[320];
	unsigned char hash[OTP_HASH_BYTES];
	int64_t otp_id = 0, now = clock_now_ms();
	int status = ST_CONFLICT;
	struct limit_use cooldown;
	lower_ascii(to, address, sizeof address);
	abuse_use(c->app->abuse, LIMIT_SEND, address, &cooldown);
	struct otp_request rq = {
		.hash = hash,
		.now = now,
		.expires_at = now + cfg->admin_otp_ttl * 1000,
		.cooldown = &cooldown,
	};
	snprintf(context, sizeof context, "admin:%s", store_purpose_name(purpose));
	/* codes live at once for one purpose must differ: the code alone finds its admin */
	for (int draw = 0; draw < CODE_DRAWS && status == ST_CONFLICT; draw++) {
		otp_generate((int)cfg->otp_digits, code);
		otp_hash(c->app->key, context, code, hash);
		status = store_admin_otp_issue(c->app->store, a->id, purpose,
					       purpose == PURPOSE_EMAIL_CHANGE ? to : NULL, &rq, &otp_id);
	}
	if (status == ST_LIMITED) {
		audit_purpose(c, a, NULL, purpose, "code", "cooldown");
		abuse_refuse(&cooldown, ENV_ADMIN, c->out);
		return 0;
	}
	if (status != ST_OK) {
		answer(c, 500, INTERNAL);
		return 0;
	}
	char body[1024], err[256];
	snprintf(body, sizeof body,
		 "Bonjour %s %s,\n\n"
		 "Voici votre code pour %s :\n\n"
		 "%s\n\n"
		 "Il expire dans %ld minutes et ne sert qu'une fois.\n"
		 "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.\n",
		 a->prenom, a->nom, PURPOSE_TEXT[purpose], code, (cfg->admin_otp_ttl + 59) / 60);
	int sent = mailer_send(c->app->mailer, to, "Votre code guichet", body, err, sizeof err) == 0;
	sodium_memzero(body, sizeof body);
	metrics_code(METRICS_MAIL, sent);
	sodium_memzero(code, sizeof code);
	if (!sent) {
		fprintf(stderr, "guichetd: otp mail not sent: %s\n", err);
		store_admin_otp_cancel(c->app->store, otp_id, &cooldown);
		audit_purpose(c, a, NULL, purpose, "code", "mail_failed");
		answer(c, 500, INTERNAL);
		return 0;
	}
	audit_purpose(c, a, NULL, purpose, "code", "sent");
	return 1;
}

/*
 * Reads the otp field and finds its live OTP of `purpose`. Returns 1 with
 * *otp_id and the admin, or answers `wrong_status wrong_message` (or a 429)
 * and returns 0.
 *
 * Wrong guesses are budgeted across regenerated codes. A request that says
 * who it is for (a token, or the optional "email") is checked against that
 * admin's code only and counts against that admin's budget: someone else's
 * guessing never slows it. A code-only guess could match anyone's code, so
 * those share one server-wide budget per purpose, whatever their address.
 */
static int find_otp(struct call *c, enum admin_purpose purpose, int wrong_status, const char *wrong_message,
		    int64_t *otp_id, struct admin *who)
{
	char code[OTP_DIGITS_MAX + 1], context[64], subject[32];
	unsigned char hash[OTP_HASH_BYTES];
	const char *email = NULL;
	if (!c->admin && jsonbody_string(c->body, "email", &email) == FIELD_WRONG_TYPE) {
		answer(c, 400, "Champ invalide : 'email' doit être une chaîne de caractères.");
		return 0;
	}
	if (jsonbody_otp(c->body, "otp", (int)c->app->cfg->otp_digits, code) != FIELD_OK) {
		answer(c, wrong_status, wrong_message);
		return 0;
	}
	int64_t admin_id = c->admin ? c->admin->id : 0;
	int status = ST_OK;
	if (!c->admin && email) {
		struct admin named;
		status = store_admin_by_email(c->app->store, email, &named);
		if (status == ST_OK)
			admin_id = named.id;
	}
	struct limit_use budget;
	if (admin_id) {
		snprintf(subject, sizeof subject, "admin:%lld", (long long)admin_id);
		abuse_use(c->app->abuse, LIMIT_GUESS, subject, &budget);
	} else {
		abuse_use(c->app->abuse, LIMIT_CODE_ONLY, store_purpose_name(purpose), &budget);
	}
	snprintf(context, sizeof context, "admin:%s", store_purpose_name(purpose));
	otp_hash(c->app->key, context, code, hash);
	sodium_memzero(code, sizeof code);
	int64_t found = 0;
	/* an e-mail of no admin names no code: nothing to compare, nothing to count */
	if (status == ST_OK)
		status = store_admin_otp_find(c->app->store, purpose, hash, admin_id, clock_now_ms(), MAX_TRIES,
					      &budget, otp_id, &found);
	if (status == ST_OK)
		status = store_admin_by_id(c->app->store, found, who);
	if (status == ST_OK)
		return 1;
	if (status == ST_ERROR) {
		answer(c, 500, INTERNAL);
		return 0;
	}
	if (status == ST_LIMITED) {
		audit_purpose(c, c->admin, email, purpose, "otp", "guess_budget_spent");
		abuse_refuse(&budget, ENV_ADMIN, c->out);
		return 0;
	}
	audit_purpose(c, c->admin, email, purpose, "otp", "refused");
	answer(c, wrong_status, wrong_message);
	return 0;
}

/* The password field, checked against the policy (400 naming the rule). */
static const char *new_password(struct call *c)
{
	const char *pw;
	enum field_result fr = jsonbody_string(c->body, "password", &pw);
	if (fr == FIELD_MISSING || !jsonbody_present(c->body, "otp")) {
		answer(c, 400, MISSING);
		return NULL;
	}
	if (fr == FIELD_WRONG_TYPE) {
		answer(c, 400, "Champ invalide : 'password' doit être une chaîne de caractères.");
		return NULL;
	}
	char msg[160];
	if (password_policy(pw, (int)c->app->cfg->password_min_length, msg, sizeof msg)) {
		answer(c, 400, msg);
		return NULL;
	}
	return pw;
}

/* The *-process routes that set a password: policy, OTP, hash, then one atomic update. */
static void set_password(struct call *c, enum admin_purpose purpose, int wrong_status, const char *wrong_message)
{
	const char *pw = new_password(c);
	if (!pw)
		return;
	int64_t otp_id;
	struct admin who;
	if (!find_otp(c, purpose, wrong_status, wrong_message, &otp_id, &who))
		return;
	char hash[PASSWORD_HASH_LEN];
	if (password_hash(pw, hash) != 0) {
		answer(c, 500, INTERNAL);
		return;
	}
	int signup = purpose == PURPOSE_SIGNUP;
	int status = store_admin_password_set(c->app->store, otp_id, who.id, hash, signup, !signup,
					      clock_now_ms());
	if (status == ST_WRONG) {
		answer(c, wrong_status, wrong_message);
		return;
	}
	if (status != ST_OK) {
		answer(c, 500, INTERNAL);
		return;
	}
	audit_purpose(c, &who, NULL, purpose, "done", "ok");
	struct limit_use lock; /* a new password ends a login lock */
	login_lock(c, &who, &lock);
	store_limit_clear(c->app->store, lock.key);
	if (signup) {
		answer(c, 200, "Mot de passe et email mis à jour.");
		return;
	}
	notify(c, who.email, "Votre mot de passe guichet a été modifié",
	       "Bonjour,\n\nLe mot de passe de votre compte guichet vient d'être modifié.\n"
	       "Toutes vos sessions ont été fermées.\n\n"
	       "Si vous n'êtes pas à l'origine de ce changement, contactez votre administrateur.\n");
	answer(c, 200, PASSWORD_UPDATED);
}

void api_admin_signin_init(struct call *c)
{
	const char *matricule, *email;
	if (!need_strings(c, "matricule", &matricule, "email", &email, (const char *)NULL))
		return;
	struct admin a;
	int status = store_admin_by_matricule_email(c->app->store, matricule, email, &a);
	if (status == ST_NOT_FOUND) {
		audit(c, NULL, email, "signup.code", "unknown_matricule_or_email");
		answer(c, 404, "Matricule ou adresse inconnu.");
		return;
	}
	if (status != ST_OK)
		{ answer(c, 500, INTERNAL); return; }
	if (a.has_password) {
		audit(c, &a, NULL, "signup.code", "already_registered");
		answer(c, 400, "Vous êtes déjà inscrit.");
		return;
	}
	if (send_otp(c, &a, PURPOSE_SIGNUP, a.email))
		answer(c, 200, "E-mail envoyé avec succès.");
}

void api_admin_signin_process(struct call *c)
{
	set_password(c, PURPOSE_SIGNUP, 401, "OTP incorrect ou expiré.");
}

/*
 * Verifies a password, one of the admin's budget of wrong ones taken first
 * (so concurrent guesses cannot overshoot it) and given back when right.
 * 1 when right; 0 when wrong (answered 401 with `wrong_event` audited) or
 * refused (answered 429).
 */
static int check_password(struct call *c, const struct admin *a, const char *pw, const char *wrong_event)
{
	struct limit_use lock;
	login_lock(c, a, &lock);
	int status = store_limit_take(c->app->store, &lock, clock_now_ms());
	if (status == ST_LIMITED) {
		audit(c, a, NULL, wrong_event, "locked");
		abuse_refuse(&lock, ENV_ADMIN, c->out);
		return 0;
	}
	if (status != ST_OK) {
		answer(c, 500, INTERNAL);
		return 0;
	}
	if (strlen(pw) <= PASSWORD_MAX_BYTES && password_verify(a->password_hash, pw)) {
		if (lock.taken)
			store_limit_clear(c->app->store, lock.key);
		return 1;
	}
	audit(c, a, NULL, wrong_event, "wrong_password");
	answer(c, 401, "Mot de passe incorrect.");
	return 0;
}

void api_admin_login(struct call *c)
{
	const char *email, *pw;
	if (!need_strings(c, "email", &email, "password", &pw, (const char *)NULL))
		return;
	struct admin a;
	int status = store_admin_by_email(c->app->store, email, &a);
	if (status == ST_NOT_FOUND) {
		audit(c, NULL, email, "login", "unknown_email");
		answer(c, 404, "Adresse inconnue.");
		return;
	}
	if (status != ST_OK)
		{ answer(c, 500, INTERNAL); return; }
	if (!a.has_password) {
		audit(c, &a, NULL, "login", "signup_pending");
		answer(c, 403, "Inscription non terminée.");
		return;
	}
	if (!check_password(c, &a, pw, "login"))
		return;
	int64_t now = clock_now_ms();

	char secret[TOKEN_SECRET_LEN + 1], token[TOKEN_SECRET_LEN + 32];
	unsigned char hash[TOKEN_HASH_BYTES];
	int64_t id;
	token_make_secret(secret);
	token_hash(secret, hash);
	if (store_token_create(c->app->store, a.id, hash, now, now + c->app->cfg->token_ttl * 1000, &id) != ST_OK) {
		sodium_memzero(secret, sizeof secret);
		{ answer(c, 500, INTERNAL); return; }
	}
	snprintf(token, sizeof token, "%lld|%s", (long long)id, secret);
	cJSON *data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "token", token);
	cJSON_AddItemToObject(data, "admin", api_admin_json(&a));
	reply_json(c->out, ENV_ADMIN, 200, "Connexion réussie.", data);
	audit(c, &a, NULL, "login", "ok");
	sodium_memzero(secret, sizeof secret);
	sodium_memzero(token, sizeof token);
}

void api_admin_logout(struct call *c)
{
	if (store_token_revoke(c->app->store, c->token_id, clock_now_ms()) != ST_OK)
		{ answer(c, 500, INTERNAL); return; }
	audit(c, c->admin, NULL, "logout", "ok");
	answer(c, 200, "Déconnexion réussie.");
}

void api_admin_me(struct call *c)
{
	cJSON *data = cJSON_CreateObject();
	cJSON_AddItemToObject(data, "admin", api_admin_json(c->admin));
	reply_json(c->out, ENV_ADMIN, 200, "OK", data);
}

void api_admin_reset_init(struct call *c)
{
	const char *email;
	if (!need_strings(c, "email", &email, (const char *)NULL))
		return;
	struct admin a;
	int status = store_admin_by_email(c->app->store, email, &a);
	if (status == ST_NOT_FOUND) {
		audit_purpose(c, NULL, email, PURPOSE_PASSWORD_RESET, "code", "unknown_email");
		answer(c, 404, "Adresse inconnue.");
		return;
	}
	if (status != ST_OK)
		{ answer(c, 500, INTERNAL); return; }
	if (!a.has_password) {
		audit_purpose(c, &a, NULL, PURPOSE_PASSWORD_RESET, "code", "signup_pending");
		answer(c, 403, "Inscription non terminée.");
		return;
	}
	if (send_otp(c, &a, PURPOSE_PASSWORD_RESET, a.email))
		answer(c, 200, SENT);
}

void api_admin_reset_process(struct call *c)
{
	set_password(c, PURPOSE_PASSWORD_RESET, 404, "Otp expiré ou incorrect.");
}

void api_admin_change_init(struct call *c)
{
	if (send_otp(c, c->admin, PURPOSE_PASSWORD_CHANGE, c->admin->email))
		answer(c, 200, SENT);
}

void api_admin_change_process(struct call *c)
{
	set_password(c, PURPOSE_PASSWORD_CHANGE, 401, "Otp incorrect.");
}

void api_admin_email_init(struct call *c)
{
	const char *email, *pw;
	if (!need_strings(c, "email", &email, "password", &pw, (const char *)NULL))
		return;
	if (!mail_address_ok(email))
		{ answer(c, 400, "Adresse e-mail invalide."); return; }
	if (!check_password(c, c->admin, pw, "email-change.code"))
		return;
	struct admin other;
	int status = store_admin_by_email(c->app->store, email, &other);
	if (status == ST_OK) {
		audit(c, c->admin, NULL, "email-change.code", "address_taken");
		answer(c, 409, "Adresse déjà utilisée.");
		return;
	}
	if (status != ST_NOT_FOUND)
		{ answer(c, 500, INTERNAL); return; }
	if (send_otp(c, c->admin, PURPOSE_EMAIL_CHANGE, email))
		answer(c, 200, "Otp envoyé avec succès.");
}

void api_admin_email_process(struct call *c)
{
	if (!jsonbody_present(c->body, "otp"))
		{ answer(c, 400, MISSING); return; }
	int64_t otp_id;
	struct admin who;
	if (!find_otp(c, PURPOSE_EMAIL_CHANGE, 401, "Otp incorrect.", &otp_id, &who))
		return;
	char new_email[320];
	int status = store_admin_email_set(c->app->store, otp_id, who.id, clock_now_ms(), new_email);
	if (status == ST_WRONG)
		{ answer(c, 401, "Otp incorrect."); return; }
	if (status == ST_CONFLICT)
		{ answer(c, 409, "Adresse déjà utilisée."); return; }
	if (status != ST_OK)
		{ answer(c, 500, INTERNAL); return; }
	char body[1024];
	snprintf(body, sizeof body,
		 "Bonjour,\n\nL'adresse e-mail de votre compte guichet a été changée en %s.\n\n"
		 "Si vous n'êtes pas à l'origine de ce changement, contactez votre administrateur.\n",
		 new_email);
	notify(c, who.email, "Votre adresse e-mail guichet a été changée", body);
	audit(c, &who, NULL, "email-change.done", "ok");
	answer(c, 200, "Email du compte modifié avec succes.");
}
