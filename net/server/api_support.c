#include "api_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "phone.h"

#ifndef GUICHET_VERSION
#define GUICHET_VERSION "0.0.0"
#endif

#define MAX_TRIES 5
#define AUDIT_PAGE_DEFAULT 50
#define AUDIT_PAGE_MAX 200

static const char NO_CITIZEN[] = "Numéro de téléphone introuvable ou non associé à un Citoyen";
static const char INTERNAL[] = "Erreur interne.";

static void answer(struct call *c, int status, const char *message, cJSON *data)
{
	reply_json(c->out, ENV_ADMIN, status, message, data);
}

static void audit(struct call *c, const char *event, const char *outcome, const char *detail)
{
	store_audit_add(c->app->store, c->admin->id, c->admin->email, event, outcome, c->rq->client_ip, detail,
			clock_now_ms());
}

/* A time as the API writes it (as /otp's expiresAt), or null for 0. */
static cJSON *json_time(int64_t ms)
{
	if (!ms)
		return cJSON_CreateNull();
	char iso[CLOCK_ISO_LEN + 1];
	clock_format_iso(ms, iso);
	return cJSON_CreateString(iso);
}

void api_support_meta(struct call *c)
{
	const struct config *cfg = c->app->cfg;
	cJSON *data = cJSON_CreateObject();
	cJSON_AddNumberToObject(data, "otpDigits", (double)cfg->otp_digits);
	cJSON_AddNumberToObject(data, "citizenOtpTtl", (double)cfg->citizen_otp_ttl);
	cJSON_AddNumberToObject(data, "adminOtpTtl", (double)cfg->admin_otp_ttl);
	cJSON_AddStringToObject(data, "otpCallers", cfg->otp_callers);
	cJSON_AddBoolToObject(data, "sms", sms_enabled(c->app->sms));
	cJSON_AddStringToObject(data, "version", GUICHET_VERSION);
	answer(c, 200, "OK", data);
}

/* Seconds until the limit `id` lets `subject` through, and what is left of its budget. */
static int limit_state(struct call *c, enum limit_id id, const char *subject, int64_t now, long *wait, long *left)
{
	struct limit_use lu;
	int64_t count, reset_at;
	abuse_use(c->app->abuse, id, subject, &lu);
	if (store_limit_peek(c->app->store, lu.key, now, &count, &reset_at) != ST_OK)
		return -1;
	*left = lu.budget > count ? lu.budget - (long)count : 0;
	*wait = lu.budget > 0 && count >= lu.budget ? (long)((reset_at - now + 999) / 1000) : 0;
	return 0;
}

/* Who sent the citizen's last code: the newest "citizen.code" sent among the phone's recent entries. */
struct last_sender {
	char actor[320];
	int found;
};

static void find_sender(const struct audit_row *row, void *ctx)
{
	struct last_sender *ls = ctx;
	if (!ls->found && strcmp(row->event, "citizen.code") == 0 &&
	    (strcmp(row->outcome, "created") == 0 || strcmp(row->outcome, "resent") == 0)) {
		snprintf(ls->actor, sizeof ls->actor, "%s", row->email[0] ? row->email : "anonyme");
		ls->found = 1;
	}
}

/* The citizen's state as data; NULL after answering 404 or 500. */
static cJSON *citizen_json(struct call *c, const char *phone)
{
	struct citizen_state cs;
	int64_t now = clock_now_ms();
	long cooldown, ignored, wait, budget_left;
	int status = store_citizen_state(c->app->store, phone, now, MAX_TRIES, &cs);
	if (status == ST_NOT_FOUND) {
		answer(c, 404, NO_CITIZEN, NULL);
		return NULL;
	}
	if (status != ST_OK || limit_state(c, LIMIT_SEND, phone, now, &cooldown, &ignored) != 0 ||
	    limit_state(c, LIMIT_GUESS, phone, now, &wait, &budget_left) != 0) {
		answer(c, 500, INTERNAL, NULL);
		return NULL;
	}
	cJSON *data = cJSON_CreateObject();
	cJSON_AddStringToObject(data, "phoneNumber", phone);
	cJSON_AddItemToObject(data, "nom", cs.nom[0] ? cJSON_CreateString(cs.nom) : cJSON_CreateNull());
	cJSON_AddItemToObject(data, "prenom", cs.prenom[0] ? cJSON_CreateString(cs.prenom) : cJSON_CreateNull());
	cJSON *otp = cJSON_AddObjectToObject(data, "otp");
	cJSON_AddBoolToObject(otp, "live", cs.otp_live);
	cJSON_AddItemToObject(otp, "expiresAt", json_time(cs.otp_live ? cs.otp_expires_at : 0));
	cJSON_AddNumberToObject(otp, "triesLeft", cs.tries_left);
	cJSON_AddNumberToObject(data, "cooldownSeconds", (double)cooldown);
	cJSON_AddNumberToObject(data, "guessBudgetLeft", (double)budget_left);
	cJSON_AddItemToObject(data, "lastSentAt", json_time(cs.last_sent_at));
	/* the trail says who; looking back one page is enough for a code still worth asking about */
	struct last_sender ls = { .found = 0 };
	if (cs.last_sent_at)
		store_audit_page(c->app->store, 0, AUDIT_PAGE_MAX, NULL, phone, find_sender, &ls);
	cJSON_AddItemToObject(data, "lastSentBy", ls.found ? cJSON_CreateString(ls.actor) : cJSON_CreateNull());
	return data;
}

/* The {phone} of the path, normalised; 0 after answering 404 when it is none. */
static int path_phone(struct call *c, char *phone)
{
	if (phone_normalize(c->param, phone) == PHONE_OK)
		return 1;
	answer(c, 404, NO_CITIZEN, NULL);
	return 0;
}

void api_support_citizen(struct call *c)
{
	char phone[PHONE_MAX + 1];
	cJSON *data;
	if (path_phone(c, phone) && (data = citizen_json(c, phone)))
		answer(c, 200, "Citoyen trouvé.", data);
}

void api_support_unlock(struct call *c)
{
	char phone[PHONE_MAX + 1];
	struct citizen_state cs;
	if (!path_phone(c, phone))
		return;
	int status = store_citizen_state(c->app->store, phone, clock_now_ms(), MAX_TRIES, &cs);
	if (status == ST_NOT_FOUND) {
		answer(c, 404, NO_CITIZEN, NULL);
		return;
	}
	struct limit_use guess, send;
	abuse_use(c->app->abuse, LIMIT_GUESS, phone, &guess);
	abuse_use(c->app->abuse, LIMIT_SEND, phone, &send);
	if (status != ST_OK || store_limit_clear(c->app->store, guess.key) != ST_OK ||
	    store_limit_clear(c->app->store, send.key) != ST_OK) {
		answer(c, 500, INTERNAL, NULL);
		return;
	}
	audit(c, "citizen.unlock", "ok", phone);
	cJSON *data = citizen_json(c, phone);
	if (data)
		answer(c, 200, "Citoyen débloqué.", data);
}

/* A whole number from the URL, within [min, max]; `fallback` when absent; -1 when not one. */
static long query_number(struct call *c, const char *name, long fallback, long min, long max)
{
	const char *v = api_query(c, name);
	if (!v)
		return fallback;
	char *end;
	long n = strtol(v, &end, 10);
	return end != v && *end == '\0' && n >= min && n <= max ? n : -1;
}

struct page {
	cJSON *entries;
	int count;
	int limit;
	int64_t last_id;
};

static void add_entry(const struct audit_row *row, void *ctx)
{
	struct page *p = ctx;
	if (p->count++ >= p->limit)
		return; /* the one past the page: there is a next one */
	cJSON *e = cJSON_CreateObject();
	cJSON_AddNumberToObject(e, "id", (double)row->id);
	cJSON_AddItemToObject(e, "at", json_time(row->at));
	cJSON_AddStringToObject(e, "event", row->event);
	cJSON_AddStringToObject(e, "outcome", row->outcome);
	cJSON_AddStringToObject(e, "actor", row->email[0] ? row->email : "anonyme");
	cJSON_AddItemToObject(e, "ip", row->ip[0] ? cJSON_CreateString(row->ip) : cJSON_CreateNull());
	cJSON_AddItemToObject(e, "detail", row->detail[0] ? cJSON_CreateString(row->detail) : cJSON_CreateNull());
	cJSON_AddItemToArray(p->entries, e);
	p->last_id = row->id;
}

void api_support_audit(struct call *c)
{
	long limit = query_number(c, "limit", AUDIT_PAGE_DEFAULT, 1, AUDIT_PAGE_MAX);
	long before = query_number(c, "before", 0, 1, 9007199254740991L);
	if (limit < 0 || before < 0) {
		answer(c, 400, "Paramètre invalide : 'limit' va de 1 à 200, 'before' est un identifiant d'entrée.", NULL);
		return;
	}
	const char *admin = api_query(c, "admin"), *phone_arg = api_query(c, "phone");
	char phone[PHONE_MAX + 1];
	if (phone_arg && phone_normalize(phone_arg, phone) != PHONE_OK)
		snprintf(phone, sizeof phone, "-"); /* matches no entry */
	struct page p = { .entries = cJSON_CreateArray(), .limit = (int)limit };
	int status = store_audit_page(c->app->store, before, (int)limit + 1, admin && *admin ? admin : NULL,
				      phone_arg ? phone : NULL, add_entry, &p);
	if (status != ST_OK) {
		cJSON_Delete(p.entries);
		answer(c, 500, INTERNAL, NULL);
		return;
	}
	cJSON *data = cJSON_CreateObject();
	cJSON_AddItemToObject(data, "entries", p.entries);
	cJSON_AddItemToObject(data, "next", p.count > p.limit ? cJSON_CreateNumber((double)p.last_id) : cJSON_CreateNull());
	answer(c, 200, "OK", data);
}

struct sessions {
	cJSON *list;
	int64_t current;
};

static void add_session(const struct session_row *row, void *ctx)
{
	struct sessions *s = ctx;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)row->id);
	cJSON_AddItemToObject(o, "createdAt", json_time(row->created_at));
	cJSON_AddItemToObject(o, "lastUsedAt", json_time(row->last_used_at));
	cJSON_AddBoolToObject(o, "current", row->id == s->current);
	cJSON_AddItemToArray(s->list, o);
}

void api_support_sessions(struct call *c)
{
	struct sessions s = { .list = cJSON_CreateArray(), .current = c->token_id };
	if (store_token_list(c->app->store, c->admin->id, clock_now_ms(), add_session, &s) != ST_OK) {
		cJSON_Delete(s.list);
		answer(c, 500, INTERNAL, NULL);
		return;
	}
	cJSON *data = cJSON_CreateObject();
	cJSON_AddItemToObject(data, "sessions", s.list);
	answer(c, 200, "OK", data);
}

void api_support_session_revoke(struct call *c)
{
	char *end;
	long long id = strtoll(c->param, &end, 10);
	int status = *end == '\0' && id > 0 ? store_token_revoke_own(c->app->store, c->admin->id, id, clock_now_ms())
					    : ST_NOT_FOUND;
	if (status == ST_NOT_FOUND) {
		answer(c, 404, "Session introuvable.", NULL);
		return;
	}
	if (status != ST_OK) {
		answer(c, 500, INTERNAL, NULL);
		return;
	}
	char detail[32];
	snprintf(detail, sizeof detail, "session %lld", id);
	audit(c, "session.revoked", "ok", detail);
	answer(c, 200, "Session révoquée.", NULL);
}
