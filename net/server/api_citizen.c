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

static void answer_code(struct call *c, int status, const char *message, const char *phone,
			const char *code, int64_t expires_at)
{
	char iso[CLOCK_ISO_LEN + 1];
	clock_format_iso(expires_at, iso);
	cJSON *data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "phoneNumber", phone);
	if (config_otp_in_response(c->app->cfg)) /* else the code travels only by SMS */
		cJSON_AddStringToObject(data, "otp", code);
	cJSON_AddStringToObject(data, "expiresAt", iso);
	reply_json(c->out, ENV_CITIZEN, status, message, data);
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

	const struct config *cfg = c->app->cfg;
	char code[OTP_DIGITS_MAX + 1], context[PHONE_MAX + 16];
	unsigned char hash[OTP_HASH_BYTES];
	otp_generate((int)cfg->otp_digits, code);
	snprintf(context, sizeof context, "citizen:%s", phone);
	otp_hash(c->app->key, context, code, hash);
	int64_t now = clock_now_ms();
	struct limit_use cooldown;
	abuse_use(c->app->abuse, LIMIT_SEND, phone, &cooldown);
	struct otp_request rq = {
		.hash = hash,
		.now = now,
		.expires_at = now + cfg->citizen_otp_ttl * 1000,
		.cooldown = &cooldown,
	};
	char err[256];
	switch (store_citizen_otp_issue(c->app->store, phone, create, &rq)) {
	case ST_OK:
		if (!deliver(c, phone, code, err, sizeof err)) {
			fprintf(stderr, "guichetd: sms not sent: %s\n", err);
			store_citizen_otp_cancel(c->app->store, phone, &cooldown);
			audit(c, "citizen.code", "send_failed", phone);
			reply_citizen_error(c->out, "sms not sent");
			break;
		}
		audit(c, "citizen.code", create ? "created" : "resent", phone);
		answer_code(c, create ? 201 : 200, create ? "OTP créé avec succès" : "OTP régénéré avec succès",
			    phone, code, rq.expires_at);
		break;
	case ST_NOT_FOUND:
		fail(c, 400, NO_CITIZEN);
		break;
	case ST_EXISTS:
		fail(c, 400, "Un OTP existe déjà pour ce numéro. Utilisez le type 'resend' pour régénérer.");
		break;
	case ST_NONE:
		fail(c, 400, "Aucun OTP n'existe pour ce numéro. Utilisez le type 'create' pour en générer un.");
		break;
	case ST_LIMITED:
		audit(c, "citizen.code", "cooldown", phone);
		abuse_refuse(&cooldown, ENV_CITIZEN, c->out);
		break;
	default:
		reply_citizen_error(c->out, "database unavailable");
		break;
	}
	sodium_memzero(code, sizeof code);
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
	unsigned char hash[OTP_HASH_BYTES];
	struct limit_use budget;
	/* wrong guesses are counted per phone across regenerated codes, not only per code */
	abuse_use(c->app->abuse, LIMIT_GUESS, phone, &budget);
	snprintf(context, sizeof context, "citizen:%s", phone);
	otp_hash(c->app->key, context, code, hash);
	sodium_memzero(code, sizeof code);
	switch (store_citizen_otp_verify(c->app->store, phone, hash, clock_now_ms(), MAX_TRIES, &budget)) {
	case ST_OK: {
		audit(c, "citizen.verify", "ok", phone);
		cJSON *data = cJSON_CreateObject();
		cJSON_AddStringToObject(data, "phoneNumber", phone);
		reply_json(c->out, ENV_CITIZEN, 200, "OTP vérifié avec succès", data);
		break;
	}
	case ST_NOT_FOUND:
		audit(c, "citizen.verify", "unknown_phone", phone);
		fail(c, 400, NO_CITIZEN);
		break;
	case ST_WRONG:
		audit(c, "citizen.verify", "wrong", phone);
		fail(c, 400, WRONG_OTP);
		break;
	case ST_LIMITED:
		audit(c, "citizen.verify", "guess_budget_spent", phone);
		abuse_refuse(&budget, ENV_CITIZEN, c->out);
		break;
	default:
		reply_citizen_error(c->out, "database unavailable");
		break;
	}
}
