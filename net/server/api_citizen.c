#include "api_citizen.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "jsonbody.h"
#include "metrics.h"
#include "otp.h"
#include "phone.h"

#define MAX_TRIES 5

static const char MISSING[] = "Champs requis manquants";
static const char BAD_TYPE[] = "Type d'opération invalide. Utilisez 'create' ou 'resend'.";
static const char NO_CITIZEN[] = "Numéro de téléphone introuvable ou non associé à un Citoyen";
static const char PHONE_NOT_STRING[] = "Le champ 'phoneNumber' doit être une chaîne de caractères.";
static const char WRONG_OTP[] = "OTP incorrect ou expiré";

void api_health(struct call *c)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "status", "ok");
	reply_raw(c->out, 200, root);
}

static void fail(struct call *c, int status, const char *message)
{
	reply_json(c->out, ENV_CITIZEN, status, message, NULL);
}

/* Every code sent and every verification, with who asked, from where, about which phone. */
static void audit(struct call *c, const char *event, const char *outcome, const char *phone)
{
	store_audit_add(c->app->store, c->admin ? c->admin->id : 0, c->caller, event, outcome, c->rq->client_ip, phone,
			clock_now_ms());
}

/* Sends the code by SMS when SMS is on. 1 when sent (or off); 0 when it failed (err set). */
static int deliver(struct call *c, const char *phone, const char *code, char *err, size_t errsz)
{
	if (!sms_enabled(c->app->sms))
		return 1;
	char text[256];
	sms_code_text(code, c->app->cfg->citizen_otp_ttl, text, sizeof text);
	int sent = sms_send(c->app->sms, phone, text, err, errsz) == 0;
	sodium_memzero(text, sizeof text);
	metrics_code(METRICS_SMS, sent);
	return sent;
}

/* Reads phoneNumber; an empty number once separators are gone counts as missing. */
static enum field_result read_phone(const cJSON *body, char *phone, enum phone_result *pr)
{
	const char *raw;
	enum field_result fr = jsonbody_string(body, "phoneNumber", &raw);
	*pr = PHONE_INVALID;
	if (fr != FIELD_OK)
		return fr;
	*pr = phone_normalize(raw, phone);
	return *pr == PHONE_EMPTY ? FIELD_MISSING : FIELD_OK;
}

/*
 * A /otp or /otp/verify call whose step is on its way to disk: all its answer
 * needs, owned by it until answered (the request's body and caller are gone
 * by then).
 */
struct pending {
	struct reply *out;
	void (*answered)(void *ctx); /* NULL: answered before the handler returns */
	void *answered_ctx;
	int create;
	int otp_in_response;
	char phone[PHONE_MAX + 1];
	char code[OTP_DIGITS_MAX + 1];
	char caller[320];
	unsigned char hash[OTP_HASH_BYTES];
	struct limit_use limit; /* the cooldown of /otp, the guess budget of /otp/verify */
	struct otp_request rq;
	struct audit_note told;
	void (*answer)(struct pending *p, int status); /* writes the reply for the step's status */
};

static struct pending *pending_new(struct call *c, const char *phone, const char *event)
{
	struct pending *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->out = c->out;
	snprintf(p->phone, sizeof p->phone, "%s", phone);
	snprintf(p->caller, sizeof p->caller, "%s", c->caller);
	p->told = (struct audit_note){
		.admin_id = c->admin ? c->admin->id : 0,
		.email = p->caller,
		.event = event,
		.ip = c->rq->client_ip, /* the request's: it outlives the answer */
		.detail = p->phone,
		.now = clock_now_ms(),
	};
	return p;
}

/* Hands the answer on when it comes later (rq->answered), and frees the call's state. */
static void pending_done(struct pending *p)
{
	void (*answered)(void *) = p->answered;
	void *ctx = p->answered_ctx;
	sodium_memzero(p->code, sizeof p->code);
	free(p);
	if (answered)
		answered(ctx);
}

/*
 * 1 when the call may be answered by the store's writer: its HTTP layer
 * waits for it, and no SMS is to go after the step (the writer must not wait on one).
 */
static int may_answer_later(struct call *c, struct pending *p, int sends_sms)
{
	if (!c->rq->answered || (sends_sms && sms_enabled(c->app->sms)))
		return 0;
	p->answered = c->rq->answered;
	p->answered_ctx = c->rq->answered_ctx;
	c->later = 1;
	return 1;
}

/* The answers both routes share: an unknown phone, a spent limit, a database failure. */
static void answer_common(struct pending *p, int status)
{
	if (status == ST_NOT_FOUND)
		reply_json(p->out, ENV_CITIZEN, 400, NO_CITIZEN, NULL);
	else if (status == ST_LIMITED)
		abuse_refuse(&p->limit, ENV_CITIZEN, p->out);
	else
		reply_citizen_error(p->out, "database unavailable");
}

/* The store's continuation: the reply, then the call handed back to the HTTP layer. */
static void pending_then(void *ctx, int status)
{
	struct pending *p = ctx;
	p->answer(p, status);
	pending_done(p);
}

static void answer_code(const struct pending *p)
{
	char iso[CLOCK_ISO_LEN + 1];
	clock_format_iso(p->rq.expires_at, iso);
	cJSON *data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "phoneNumber", p->phone);
	if (p->otp_in_response) /* else the code travels only by SMS */
		cJSON_AddStringToObject(data, "otp", p->code);
	cJSON_AddStringToObject(data, "expiresAt", iso);
	reply_json(p->out, ENV_CITIZEN, p->create ? 201 : 200,
		   p->create ? "OTP créé avec succès" : "OTP régénéré avec succès", data);
}

static void issue_answer(struct pending *p, int status)
{
	switch (status) {
	case ST_OK:
		answer_code(p);
		break;
	case ST_EXISTS:
		reply_json(p->out, ENV_CITIZEN, 400,
			   "Un OTP existe déjà pour ce numéro. Utilisez le type 'resend' pour régénérer.", NULL);
		break;
	case ST_NONE:
		reply_json(p->out, ENV_CITIZEN, 400,
			   "Aucun OTP n'existe pour ce numéro. Utilisez le type 'create' pour en générer un.", NULL);
		break;
	default:
		answer_common(p, status);
		break;
	}
}

/* With SMS on: the code is sent once on disk, and "sent" is told only once the SMS went. */
static void issue_and_send(struct call *c, struct pending *p)
{
	int status = store_citizen_otp_issue(c->app->store, p->phone, p->create, &p->rq);
	char err[256];
	if (status == ST_OK && !deliver(c, p->phone, p->code, err, sizeof err)) {
		fprintf(stderr, "guichetd: sms not sent: %s\n", err);
		store_citizen_otp_cancel(c->app->store, p->phone, &p->limit);
		audit(c, "citizen.code", "send_failed", p->phone);
		reply_citizen_error(c->out, "sms not sent");
		return;
	}
	if (status == ST_OK && sms_enabled(c->app->sms))
		audit(c, "citizen.code", p->create ? "created" : "resent", p->phone);
	issue_answer(p, status);
}

void api_citizen_otp(struct call *c)
{
	const char *type;
	char phone[PHONE_MAX + 1];
	enum phone_result pr;
	enum field_result ft = jsonbody_string(c->body, "type", &type);
	enum field_result fp = read_phone(c->body, phone, &pr);
	if (ft == FIELD_MISSING || fp == FIELD_MISSING)
		{ fail(c, 400, MISSING); return; }
	int create = ft == FIELD_OK && strcmp(type, "create") == 0;
	if (ft != FIELD_OK || (!create && strcmp(type, "resend") != 0))
		{ fail(c, 400, BAD_TYPE); return; }
	if (fp == FIELD_WRONG_TYPE)
		{ fail(c, 400, PHONE_NOT_STRING); return; }
	if (pr != PHONE_OK)
		{ fail(c, 400, NO_CITIZEN); return; }

	struct pending *p = pending_new(c, phone, "citizen.code");
	if (!p)
		{ reply_citizen_error(c->out, "out of memory"); return; }
	const struct config *cfg = c->app->cfg;
	char context[PHONE_MAX + 16];
	p->create = create;
	p->otp_in_response = config_otp_in_response(cfg);
	otp_generate((int)cfg->otp_digits, p->code);
	snprintf(context, sizeof context, "citizen:%s", phone);
	otp_hash(c->app->key, context, p->code, p->hash);
	abuse_use(c->app->abuse, LIMIT_SEND, phone, &p->limit);
	p->told.outcome[ST_LIMITED] = "cooldown";
	/* with SMS, "sent" is known only once the SMS went: that entry is written then */
	if (!sms_enabled(c->app->sms))
		p->told.outcome[ST_OK] = create ? "created" : "resent";
	p->rq = (struct otp_request){
		.hash = p->hash,
		.now = p->told.now,
		.expires_at = p->told.now + cfg->citizen_otp_ttl * 1000,
		.cooldown = &p->limit,
		.audit = &p->told,
	};
	p->answer = issue_answer;
	if (may_answer_later(c, p, 1)) {
		store_citizen_otp_issue_then(c->app->store, p->phone, create, &p->rq,
					     &(struct store_then){ pending_then, p });
		return;
	}
	issue_and_send(c, p);
	pending_done(p);
}

static void verify_answer(struct pending *p, int status)
{
	switch (status) {
	case ST_OK: {
		cJSON *data = cJSON_CreateObject();
		cJSON_AddStringToObject(data, "phoneNumber", p->phone);
		reply_json(p->out, ENV_CITIZEN, 200, "OTP vérifié avec succès", data);
		break;
	}
	case ST_WRONG:
		reply_json(p->out, ENV_CITIZEN, 400, WRONG_OTP, NULL);
		break;
	default:
		answer_common(p, status);
		break;
	}
}

void api_citizen_verify(struct call *c)
{
	char phone[PHONE_MAX + 1], code[OTP_DIGITS_MAX + 1], context[PHONE_MAX + 16];
	enum phone_result pr;
	int digits = (int)c->app->cfg->otp_digits;
	enum field_result fp = read_phone(c->body, phone, &pr);
	enum field_result fo = jsonbody_otp(c->body, "otp", digits, code);
	if (fp == FIELD_MISSING || fo == FIELD_MISSING)
		{ fail(c, 400, MISSING); return; }
	if (fp == FIELD_WRONG_TYPE)
		{ fail(c, 400, PHONE_NOT_STRING); return; }
	if (pr != PHONE_OK)
		{ fail(c, 400, NO_CITIZEN); return; }
	if (fo != FIELD_OK)
		{ fail(c, 400, WRONG_OTP); return; }
	struct pending *p = pending_new(c, phone, "citizen.verify");
	if (!p) {
		sodium_memzero(code, sizeof code);
		reply_citizen_error(c->out, "out of memory");
		return;
	}
	/* wrong guesses are counted per phone across regenerated codes, not only per code */
	abuse_use(c->app->abuse, LIMIT_GUESS, phone, &p->limit);
	snprintf(context, sizeof context, "citizen:%s", phone);
	otp_hash(c->app->key, context, code, p->hash);
	sodium_memzero(code, sizeof code);
	p->told.outcome[ST_OK] = "ok";
	p->told.outcome[ST_NOT_FOUND] = "unknown_phone";
	p->told.outcome[ST_WRONG] = "wrong";
	p->told.outcome[ST_LIMITED] = "guess_budget_spent";
	p->answer = verify_answer;
	if (may_answer_later(c, p, 0)) {
		store_citizen_otp_verify_then(c->app->store, p->phone, p->hash, p->told.now, MAX_TRIES, &p->limit,
					      &p->told, &(struct store_then){ pending_then, p });
		return;
	}
	verify_answer(p, store_citizen_otp_verify(c->app->store, p->phone, p->hash, p->told.now, MAX_TRIES,
						  &p->limit, &p->told));
	pending_done(p);
}
