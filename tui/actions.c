#include "actions.h"

#include <stdio.h>
#include <string.h>

#include "../net/dynlib.h"
#include "text.h"

/* What the answer does to the stored token (besides a dead token, which is always forgotten). */
enum token_rule { TOKEN_KEEP, TOKEN_SAVE, TOKEN_FORGET_ON_SUCCESS, TOKEN_FORGET_ALWAYS,
		  TOKEN_FORGET_IF_CURRENT /* on success, when the input says it was the current session */ };
enum email_rule { EMAIL_KEEP, EMAIL_REMEMBER, EMAIL_FORGET };

typedef int prepare_fn(struct client_call *call, const struct transport_options *net, const char *token,
		       const struct action_input *in);

struct action_def {
	enum token_use token;
	unsigned names_admin : 1; /* a code-only route: always names its admin (the remembered address) */
	enum token_rule on_token;
	enum email_rule on_email; /* on success */
	prepare_fn *prepare;
	/* optional: the step that follows this answer, or -1 */
	int (*next)(const struct client_result *r);
};

static int prep_health(struct client_call *c, const struct transport_options *n, const char *t, const struct action_input *in)
{
	(void)t;
	(void)in;
	return client_health(c, n);
}
static int prep_meta(struct client_call *c, const struct transport_options *n, const char *t, const struct action_input *in)
{
	(void)t;
	(void)in;
	return client_meta(c, n);
}
static int prep_login(struct client_call *c, const struct transport_options *n, const char *t, const struct action_input *in)
{
	(void)t;
	return client_login(c, n, in->email, in->password);
}
static int prep_logout(struct client_call *c, const struct transport_options *n, const char *t, const struct action_input *in)
{
	(void)in;
	return client_logout(c, n, t);
}
static int prep_me(struct client_call *c, const struct transport_options *n, const char *t, const struct action_input *in)
{
	(void)in;
	return client_me(c, n, t);
}
static int prep_signup_init(struct client_call *c, const struct transport_options *n, const char *t,
			    const struct action_input *in)
{
	(void)t;
	return client_signup_init(c, n, in->matricule, in->email);
}
static int prep_signup_finish(struct client_call *c, const struct transport_options *n, const char *t,
			      const struct action_input *in)
{
	(void)t;
	return client_signup_finish(c, n, in->code, in->password, in->email);
}
static int prep_forgot(struct client_call *c, const struct transport_options *n, const char *t, const struct action_input *in)
{
	(void)t;
	return client_password_forgot(c, n, in->email);
}
static int prep_reset(struct client_call *c, const struct transport_options *n, const char *t, const struct action_input *in)
{
	(void)t;
	return client_password_reset(c, n, in->code, in->password, in->email);
}
static int prep_change_init(struct client_call *c, const struct transport_options *n, const char *t,
			    const struct action_input *in)
{
	(void)in;
	return client_password_change_init(c, n, t);
}
static int prep_change(struct client_call *c, const struct transport_options *n, const char *t, const struct action_input *in)
{
	return client_password_change(c, n, t, in->code, in->password);
}
static int prep_email_init(struct client_call *c, const struct transport_options *n, const char *t,
			   const struct action_input *in)
{
	return client_email_change_init(c, n, t, in->email, in->password);
}
static int prep_email(struct client_call *c, const struct transport_options *n, const char *t, const struct action_input *in)
{
	return client_email_change(c, n, t, in->code);
}
static int prep_create(struct client_call *c, const struct transport_options *n, const char *t, const struct action_input *in)
{
	return client_otp(c, n, t, "create", in->phone);
}
static int prep_resend(struct client_call *c, const struct transport_options *n, const char *t, const struct action_input *in)
{
	return client_otp(c, n, t, "resend", in->phone);
}
static int prep_verify(struct client_call *c, const struct transport_options *n, const char *t, const struct action_input *in)
{
	return client_otp_verify(c, n, t, in->phone, in->code);
}

static int prep_citizen(struct client_call *c, const struct transport_options *n, const char *t,
			const struct action_input *in)
{
	return client_citizen(c, n, t, in->phone);
}
static int prep_unlock(struct client_call *c, const struct transport_options *n, const char *t, const struct action_input *in)
{
	return client_citizen_unlock(c, n, t, in->phone);
}
static int prep_audit(struct client_call *c, const struct transport_options *n, const char *t, const struct action_input *in)
{
	return client_audit(c, n, t, in->limit, in->id, in->admin, in->phone);
}
static int prep_sessions(struct client_call *c, const struct transport_options *n, const char *t,
			 const struct action_input *in)
{
	(void)in;
	return client_sessions(c, n, t);
}
static int prep_revoke(struct client_call *c, const struct transport_options *n, const char *t, const struct action_input *in)
{
	return client_session_revoke(c, n, t, in->id);
}

/* otp send: a create that finds a live code becomes a resend. */
static int resend_if_live(const struct client_result *r)
{
	return r->status == 400 && strcmp(r->message, CLIENT_OTP_EXISTS) == 0 ? ACTION_OTP_RESEND : -1;
}

static const struct action_def ACTIONS[ACTION_COUNT] = {
	[ACTION_HEALTH] = { .prepare = prep_health },
	[ACTION_META] = { .prepare = prep_meta },
	[ACTION_LOGIN] = { .on_token = TOKEN_SAVE, .prepare = prep_login },
	[ACTION_LOGOUT] = { .token = TOKEN_REQUIRED, .on_token = TOKEN_FORGET_ALWAYS, .prepare = prep_logout },
	[ACTION_WHOAMI] = { .token = TOKEN_REQUIRED, .prepare = prep_me },
	[ACTION_SIGNUP_INIT] = { .on_email = EMAIL_REMEMBER, .prepare = prep_signup_init },
	[ACTION_SIGNUP_FINISH] = { .names_admin = 1, .on_email = EMAIL_FORGET, .prepare = prep_signup_finish },
	[ACTION_PASSWORD_FORGOT] = { .on_email = EMAIL_REMEMBER, .prepare = prep_forgot },
	/* a new password revokes every token on the server: ours goes too */
	[ACTION_PASSWORD_RESET] = { .names_admin = 1, .on_token = TOKEN_FORGET_ON_SUCCESS, .on_email = EMAIL_FORGET,
				    .prepare = prep_reset },
	[ACTION_PASSWORD_CHANGE_INIT] = { .token = TOKEN_REQUIRED, .prepare = prep_change_init },
	[ACTION_PASSWORD_CHANGE] = { .token = TOKEN_REQUIRED, .on_token = TOKEN_FORGET_ON_SUCCESS, .prepare = prep_change },
	[ACTION_EMAIL_CHANGE_INIT] = { .token = TOKEN_REQUIRED, .prepare = prep_email_init },
	[ACTION_EMAIL_CHANGE] = { .token = TOKEN_REQUIRED, .prepare = prep_email },
	/* citizen routes: the token when there is one (a server with --otp-callers key wants it) */
	[ACTION_OTP_CREATE] = { .token = TOKEN_OPTIONAL, .prepare = prep_create },
	[ACTION_OTP_RESEND] = { .token = TOKEN_OPTIONAL, .prepare = prep_resend },
	[ACTION_OTP_SEND] = { .token = TOKEN_OPTIONAL, .prepare = prep_create, .next = resend_if_live },
	[ACTION_OTP_VERIFY] = { .token = TOKEN_OPTIONAL, .prepare = prep_verify },
	/* the support desk (contract §9.6) */
	[ACTION_CITIZEN_SHOW] = { .token = TOKEN_REQUIRED, .prepare = prep_citizen },
	[ACTION_CITIZEN_UNLOCK] = { .token = TOKEN_REQUIRED, .prepare = prep_unlock },
	[ACTION_AUDIT] = { .token = TOKEN_REQUIRED, .prepare = prep_audit },
	[ACTION_SESSIONS] = { .token = TOKEN_REQUIRED, .prepare = prep_sessions },
	/* revoking the session of the token we hold ends it here too */
	[ACTION_SESSION_REVOKE] = { .token = TOKEN_REQUIRED, .on_token = TOKEN_FORGET_IF_CURRENT, .prepare = prep_revoke },
};

enum token_use action_token_use(enum action_id id)
{
	return ACTIONS[id].token;
}

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static int refuse(struct action_run *run, int status, const char *message)
{
	snprintf(run->r.message, sizeof run->r.message, "%s", message);
	return run->status = status;
}

int action_check(struct action_run *run, enum action_id id, const struct action_input *in, const char *token,
		 struct credstore *cs)
{
	const struct action_def *d = &ACTIONS[id];
	memset(run, 0, sizeof *run);
	run->id = run->step = id;
	copy(run->email, sizeof run->email, in ? in->email : NULL);
	copy(run->matricule, sizeof run->matricule, in ? in->matricule : NULL);
	copy(run->code, sizeof run->code, in ? in->code : NULL);
	copy(run->phone, sizeof run->phone, in ? in->phone : NULL);
	copy(run->admin, sizeof run->admin, in ? in->admin : NULL);
	run->in = (struct action_input){ .email = run->email, .matricule = run->matricule, .code = run->code,
					 .phone = run->phone, .admin = run->admin, .password = in ? in->password : NULL,
					 .limit = in ? in->limit : 0, .id = in ? in->id : 0, .current = in ? in->current : 0 };
	if (d->names_admin && !run->email[0] && credstore_load_email(cs, run->email, sizeof run->email) != 0)
		return refuse(run, EXIT_USAGE, _("Adresse e-mail inconnue : ajoutez --email ADRESSE "
						 "(celle donnée à « signup init » ou « password forgot »)."));
	/* the phone is part of the path there: a '/' or '?' in it would name another route */
	if ((id == ACTION_CITIZEN_SHOW || id == ACTION_CITIZEN_UNLOCK) &&
	    run->phone[strspn(run->phone, "0123456789+ .-()")] != '\0')
		return refuse(run, EXIT_USAGE, _("Numéro de téléphone invalide : chiffres, espaces, points, tirets et + seulement."));
	if (d->token == TOKEN_REQUIRED && !token)
		return refuse(run, EXIT_REFUSED, _("Non connecté."));
	run->token = d->token == TOKEN_NONE ? NULL : token;
	return EXIT_DONE;
}

int action_send(struct action_run *run, const struct transport_options *net)
{
	int rc = ACTIONS[run->step].prepare(&run->call, net, run->token, &run->in);
	run->in.password = NULL;
	if (rc != 0) {
		client_call_free(&run->call);
		if (dynlib_curl() != 0) { /* a broken installation, not the admin's input */
			snprintf(run->r.message, sizeof run->r.message, _("libcurl ne se charge pas : %s"), dynlib_error());
			return run->status = EXIT_SERVER;
		}
		return refuse(run, EXIT_USAGE, _("Requête impossible à préparer (adresse du serveur ?)."));
	}
	return EXIT_DONE;
}

int action_status(enum client_outcome outcome)
{
	return outcome == CLIENT_OK ? EXIT_DONE
	     : outcome == CLIENT_REFUSED ? EXIT_REFUSED
	     : outcome == CLIENT_UNREACHABLE ? EXIT_UNREACHABLE
					     : EXIT_SERVER;
}

int action_answered(struct action_run *run, const struct transport_options *net)
{
	client_call_result(&run->call, &run->r);
	run->status = action_status(run->r.outcome);
	const struct action_def *d = &ACTIONS[run->step];
	int next = d->next ? d->next(&run->r) : -1;
	if (next < 0)
		return 0;
	client_call_free(&run->call);
	run->step = (enum action_id)next;
	return action_send(run, net) == EXIT_DONE;
}

/* The stored token goes: asked by the action, or dead (a 401 to the token we sent). */
static int forgets_token(const struct action_run *run)
{
	const struct action_def *d = &ACTIONS[run->id];
	int ok = run->r.outcome == CLIENT_OK;
	return d->on_token == TOKEN_FORGET_ALWAYS || (d->on_token == TOKEN_FORGET_ON_SUCCESS && ok) ||
	       (d->on_token == TOKEN_FORGET_IF_CURRENT && ok && run->in.current) || run->r.auth_failed;
}

int action_touches_store(const struct action_run *run)
{
	const struct action_def *d = &ACTIONS[run->id];
	int ok = run->r.outcome == CLIENT_OK;
	return forgets_token(run) || (ok && (d->on_token == TOKEN_SAVE || d->on_email != EMAIL_KEEP));
}

int action_end(struct action_run *run, struct credstore *cs)
{
	const struct action_def *d = &ACTIONS[run->id];
	struct client_result *r = &run->r;
	int ok = r->outcome == CLIENT_OK;
	char msg[sizeof run->note];
	run->status = action_status(r->outcome);
	if (ok && d->on_token == TOKEN_SAVE) {
		int rc = credstore_save(cs, r->token, msg, sizeof msg);
		if (rc < 0)
			run->status = EXIT_STORAGE;
		else
			run->token_saved = 1;
		copy(run->note, sizeof run->note, msg);
	}
	run->session_lost = r->auth_failed && d->on_token != TOKEN_FORGET_ALWAYS;
	if (forgets_token(run)) {
		/* a GUICHET_TOKEN refused or logged out is the environment's: the stored one stays */
		if (!cs->env_token && credstore_clear(cs, msg, sizeof msg) != 0)
			run->status = EXIT_STORAGE;
		if (!cs->env_token)
			copy(run->note, sizeof run->note, msg);
		run->token_forgotten = 1;
	}
	if (d->on_token == TOKEN_FORGET_ALWAYS && run->status == EXIT_UNREACHABLE) {
		char server[sizeof r->message];
		copy(server, sizeof server, r->message);
		snprintf(r->message, sizeof r->message, _("%s — jeton supprimé localement."), server);
	} else if (d->on_token == TOKEN_FORGET_ALWAYS && r->auth_failed && run->status != EXIT_STORAGE) {
		/* the server had already closed this session: logging out is done */
		r->outcome = CLIENT_OK;
		run->status = EXIT_DONE;
		copy(r->message, sizeof r->message, _("Session déjà fermée côté serveur — jeton supprimé localement."));
	}
	if (ok && d->on_email == EMAIL_REMEMBER && credstore_save_email(cs, run->email, msg, sizeof msg) != 0)
		snprintf(run->note, sizeof run->note, _("%s (l'adresse n'est retenue que pour ce processus)"), msg);
	if (ok && d->on_email == EMAIL_FORGET)
		credstore_clear_email(cs);
	return run->status;
}

int action_starts_session(const struct action_run *run)
{
	return ACTIONS[run->id].on_token == TOKEN_SAVE && run->r.outcome == CLIENT_OK && run->r.token[0];
}

void action_release(struct action_run *run)
{
	client_call_free(&run->call);
	volatile char *p = run->r.token;
	for (size_t i = 0; i < sizeof run->r.token; i++)
		p[i] = '\0';
	run->in.password = NULL;
}

void action_profile(const struct client_admin *a, const char *labels[PROFILE_LINES], const char *values[PROFILE_LINES])
{
	const char *l[PROFILE_LINES] = { _("Nom"), _("Prénom"), _("E-mail"), _("Matricule"),
					 _("Téléphone"), _("Ville"), _("Pays") };
	const char *v[PROFILE_LINES] = { a->nom, a->prenom, a->email, a->matricule, a->telephone, a->ville, a->pays };
	memcpy(labels, l, sizeof l);
	memcpy(values, v, sizeof v);
}
