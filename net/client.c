#include "client.h"
#include "dynlib.h"

#include <cjson/cJSON.h>
#include <libintl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Builds a JSON object from name/value pairs (NULL values left out) and prepares the call. */
static int prepare(struct client_call *call, const struct transport_options *o, const char *method,
		   const char *path, const char *token, int with_body, ...)
{
	char *body = NULL;
	memset(call, 0, sizeof *call); /* so client_call_free is safe whatever fails below */
	if (with_body) {
		cJSON *obj = cJSON_CreateObject();
		va_list ap;
		va_start(ap, with_body);
		for (const char *name; (name = va_arg(ap, const char *));) {
			const char *value = va_arg(ap, const char *);
			if (value)
				cJSON_AddStringToObject(obj, name, value);
		}
		va_end(ap);
		body = cJSON_PrintUnformatted(obj);
		cJSON_Delete(obj);
		if (!body)
			return -1;
	}
	int rc = transport_prepare(&call->x, o, method, path, body, token);
	call->sent_token = token != NULL;
	if (body) {
		memset(body, 0, strlen(body)); /* may hold a password */
		cJSON_free(body);
	}
	return rc;
}

#define ADMIN "/api/admin/"
/* the sentinel of prepare()'s name/value list, typed as its arguments are */
#define END ((const char *)NULL)

int client_health(struct client_call *call, const struct transport_options *o)
{
	return prepare(call, o, "GET", "/health", NULL, 0);
}

int client_meta(struct client_call *call, const struct transport_options *o)
{
	return prepare(call, o, "GET", ADMIN "meta", NULL, 0);
}

int client_login(struct client_call *call, const struct transport_options *o, const char *email, const char *password)
{
	return prepare(call, o, "POST", ADMIN "login", NULL, 1, "email", email, "password", password, END);
}

int client_logout(struct client_call *call, const struct transport_options *o, const char *token)
{
	return prepare(call, o, "DELETE", ADMIN "logout", token, 0);
}

int client_me(struct client_call *call, const struct transport_options *o, const char *token)
{
	return prepare(call, o, "GET", ADMIN "me", token, 0);
}

int client_signup_init(struct client_call *call, const struct transport_options *o, const char *matricule, const char *email)
{
	return prepare(call, o, "POST", ADMIN "signin-init", NULL, 1, "matricule", matricule, "email", email, END);
}

int client_signup_finish(struct client_call *call, const struct transport_options *o, const char *code,
			 const char *password, const char *email)
{
	return prepare(call, o, "PATCH", ADMIN "signin-process", NULL, 1, "otp", code, "password", password,
		       "email", email, END);
}

int client_password_forgot(struct client_call *call, const struct transport_options *o, const char *email)
{
	return prepare(call, o, "POST", ADMIN "password-reset-while-dissconnected-init", NULL, 1, "email", email, END);
}

int client_password_reset(struct client_call *call, const struct transport_options *o, const char *code,
			  const char *password, const char *email)
{
	return prepare(call, o, "PATCH", ADMIN "password-reset-while-dissconnected-process", NULL, 1, "otp", code,
		       "password", password, "email", email, END);
}

int client_password_change_init(struct client_call *call, const struct transport_options *o, const char *token)
{
	return prepare(call, o, "POST", ADMIN "password-reset-while-connected-init", token, 0);
}

int client_password_change(struct client_call *call, const struct transport_options *o, const char *token,
			   const char *code, const char *password)
{
	return prepare(call, o, "PATCH", ADMIN "password-reset-while-connected-process", token, 1, "otp", code,
		       "password", password, END);
}

int client_email_change_init(struct client_call *call, const struct transport_options *o, const char *token,
			     const char *new_email, const char *password)
{
	return prepare(call, o, "POST", ADMIN "email-reset-init", token, 1, "email", new_email, "password", password, END);
}

int client_email_change(struct client_call *call, const struct transport_options *o, const char *token, const char *code)
{
	return prepare(call, o, "PATCH", ADMIN "email-reset-process", token, 1, "otp", code, END);
}

int client_otp(struct client_call *call, const struct transport_options *o, const char *token, const char *type,
	       const char *phone)
{
	return prepare(call, o, "POST", "/otp", token, 1, "type", type, "phoneNumber", phone, END);
}

int client_otp_verify(struct client_call *call, const struct transport_options *o, const char *token, const char *phone,
		      const char *code)
{
	return prepare(call, o, "POST", "/otp/verify", token, 1, "phoneNumber", phone, "otp", code, END);
}

/* ---- the support routes ---- */

/* ADMIN "citizens/" + the phone, escaped, + tail; 0, or -1 when out of memory or too long. */
static int citizen_path(char *out, size_t outsz, const char *phone, const char *tail)
{
	char *escaped = dynlib_curl() == 0 ? sym_curl_easy_escape(NULL, phone, 0) : NULL;
	if (!escaped)
		return -1;
	int n = snprintf(out, outsz, ADMIN "citizens/%s%s", escaped, tail);
	sym_curl_free(escaped);
	return n > 0 && (size_t)n < outsz ? 0 : -1;
}

int client_citizen(struct client_call *call, const struct transport_options *o, const char *token, const char *phone)
{
	char path[512];
	memset(call, 0, sizeof *call);
	return citizen_path(path, sizeof path, phone, "") ? -1 : prepare(call, o, "GET", path, token, 0);
}

int client_citizen_unlock(struct client_call *call, const struct transport_options *o, const char *token,
			  const char *phone)
{
	char path[512];
	memset(call, 0, sizeof *call);
	return citizen_path(path, sizeof path, phone, "/unlock") ? -1 : prepare(call, o, "POST", path, token, 0);
}

/* Appends "&name=value" (value escaped) to the query in out; -1 when it does not fit. */
static int add_query(char *out, size_t outsz, const char *name, const char *value)
{
	if (!value || !*value)
		return 0;
	char *escaped = dynlib_curl() == 0 ? sym_curl_easy_escape(NULL, value, 0) : NULL;
	if (!escaped)
		return -1;
	size_t len = strlen(out);
	int n = snprintf(out + len, outsz - len, "&%s=%s", name, escaped);
	sym_curl_free(escaped);
	return n > 0 && (size_t)n < outsz - len ? 0 : -1;
}

int client_audit(struct client_call *call, const struct transport_options *o, const char *token, int limit,
		 long long before, const char *admin, const char *phone)
{
	char path[1400];
	memset(call, 0, sizeof *call);
	if (limit < 1 || limit > CLIENT_AUDIT_PAGE)
		limit = CLIENT_AUDIT_PAGE;
	snprintf(path, sizeof path, ADMIN "audit?limit=%d", limit);
	if (before > 0)
		snprintf(path + strlen(path), sizeof path - strlen(path), "&before=%lld", before);
	if (add_query(path, sizeof path, "admin", admin) || add_query(path, sizeof path, "phone", phone))
		return -1;
	return prepare(call, o, "GET", path, token, 0);
}

int client_sessions(struct client_call *call, const struct transport_options *o, const char *token)
{
	return prepare(call, o, "GET", ADMIN "sessions", token, 0);
}

int client_session_revoke(struct client_call *call, const struct transport_options *o, const char *token,
			  long long id)
{
	char path[64];
	snprintf(path, sizeof path, ADMIN "sessions/%lld", id);
	return prepare(call, o, "DELETE", path, token, 0);
}

void client_call_run(struct client_call *call)
{
	transport_run(&call->x);
}

int client_call_start(struct client_call *call, CURLM *multi)
{
	return transport_start(multi, &call->x);
}

int client_call_done(const struct client_call *call)
{
	return call->x.done;
}

void client_call_cancel(struct client_call *call, CURLM *multi)
{
	transport_cancel(multi, &call->x);
}

void client_call_free(struct client_call *call)
{
	transport_release(&call->x);
}

/* ---- server text made safe for a terminal ---- */

/*
 * The length (1-4) of the valid UTF-8 character at s[0..len), its code point
 * in *cp; 0 when s[0] starts no valid character (stray continuation, overlong
 * form, surrogate, past U+10FFFF, cut short).
 */
static size_t utf8_char(const unsigned char *s, size_t len, unsigned long *cp)
{
	static const unsigned long least[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xC0 && s[0] < 0xE0 ? 2 : s[0] >= 0xE0 && s[0] < 0xF0 ? 3
		 : s[0] >= 0xF0 && s[0] < 0xF8 ? 4 : 0;
	if (n == 0 || n > len)
		return 0;
	unsigned long c = n == 1 ? s[0] : s[0] & (0x7Fu >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3Fu);
	}
	if (c < least[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

/*
 * C0, DEL and C1: what a terminal may take as a command; and the invisible
 * format characters that reorder or hide text (bidi overrides and isolates,
 * zero-width characters, the BOM), with which "a@x.cm" could be shown for
 * another address.
 */
static int is_control(unsigned long cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || (cp >= 0x200B && cp <= 0x200F) ||
	       (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xFEFF;
}

size_t client_clean_text(char *out, size_t outsz, const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;
	if (outsz == 0)
		return 0;
	for (size_t i = 0; i < len;) {
		unsigned long cp = 0;
		size_t n = utf8_char(s + i, len - i, &cp);
		int safe = n > 0 && !is_control(cp);
		size_t w = safe ? n : 1;
		if (o + w >= outsz) /* never half a character */
			break;
		if (safe)
			memcpy(out + o, s + i, n);
		else
			out[o] = '?';
		o += w;
		i += n ? n : 1;
	}
	out[o] = '\0';
	return o;
}

char *client_clean_json(const char *json, size_t len, int one_line)
{
	if (len > (SIZE_MAX - 1) / 6)
		return NULL;
	size_t cap = len * 6 + 1; /* "\u00XX" for every byte at worst */
	char *out = malloc(cap);
	if (!out)
		return NULL;
	const unsigned char *s = (const unsigned char *)json;
	size_t o = 0;
	int in_string = 0, escaped = 0;
	for (size_t i = 0; i < len;) {
		unsigned long cp = 0;
		size_t n = utf8_char(s + i, len - i, &cp);
		if (n == 0 || is_control(cp)) {
			if (in_string && n == 0)
				o += (size_t)snprintf(out + o, cap - o, "\\ufffd");
			else if (in_string)
				o += (size_t)snprintf(out + o, cap - o, "\\u%04lx", cp);
			else if (cp == '\n' && !one_line)
				out[o++] = '\n';
			else /* JSON whitespace stays whitespace; the rest was not JSON anyway */
				out[o++] = n && (cp == '\t' || cp == '\n' || cp == '\r') ? ' ' : '?';
			i += n ? n : 1;
			escaped = 0;
			continue;
		}
		if (in_string && !escaped && cp == '"')
			in_string = 0;
		else if (!in_string && cp == '"')
			in_string = 1;
		escaped = in_string && !escaped && cp == '\\';
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	return out;
}

static void copy_string(const cJSON *obj, const char *name, char *out, size_t outsz)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	const char *s = cJSON_IsString(item) && item->valuestring ? item->valuestring : "";
	client_clean_text(out, outsz, s, strlen(s));
}

static void read_admin(const cJSON *a, struct client_result *r)
{
	if (!cJSON_IsObject(a))
		return;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(a, "id");
	/* a double out of long long's range would be undefined behaviour to convert */
	r->admin.id = cJSON_IsNumber(id) && id->valuedouble >= 0 && id->valuedouble < 9.0e18 ? (long long)id->valuedouble : 0;
	copy_string(a, "matricule", r->admin.matricule, sizeof r->admin.matricule);
	copy_string(a, "nom", r->admin.nom, sizeof r->admin.nom);
	copy_string(a, "prenom", r->admin.prenom, sizeof r->admin.prenom);
	copy_string(a, "email", r->admin.email, sizeof r->admin.email);
	copy_string(a, "telephone", r->admin.telephone, sizeof r->admin.telephone);
	copy_string(a, "pays", r->admin.pays, sizeof r->admin.pays);
	copy_string(a, "ville", r->admin.ville, sizeof r->admin.ville);
	r->has_admin = 1;
}

/* A whole number in [min, max], or def. */
static long number_in(const cJSON *obj, const char *name, long min, long max, long def)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	return cJSON_IsNumber(item) && item->valuedouble >= (double)min && item->valuedouble <= (double)max
		       ? (long)item->valuedouble : def;
}

/* An id: a whole number the API writes as a JSON number; 0 when it is not one. */
static long long id_of(const cJSON *obj, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	/* a double out of long long's range would be undefined behaviour to convert */
	return cJSON_IsNumber(item) && item->valuedouble >= 1 && item->valuedouble < 9.0e15 ? (long long)item->valuedouble : 0;
}

static void read_citizen(const cJSON *data, struct client_result *r)
{
	const cJSON *otp = cJSON_GetObjectItemCaseSensitive(data, "otp");
	if (!cJSON_IsObject(otp) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(data, "phoneNumber")))
		return;
	struct client_citizen *c = &r->citizen;
	r->has_citizen = 1;
	copy_string(data, "phoneNumber", c->phone, sizeof c->phone);
	copy_string(data, "nom", c->nom, sizeof c->nom);
	copy_string(data, "prenom", c->prenom, sizeof c->prenom);
	c->live = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(otp, "live"));
	copy_string(otp, "expiresAt", c->expires_at, sizeof c->expires_at);
	c->tries_left = number_in(otp, "triesLeft", 0, 1000, 0);
	c->cooldown = number_in(data, "cooldownSeconds", 0, 30L * 86400, 0);
	c->budget_left = number_in(data, "guessBudgetLeft", 0, 1L << 30, 0);
	copy_string(data, "lastSentAt", c->last_sent_at, sizeof c->last_sent_at);
	copy_string(data, "lastSentBy", c->last_sent_by, sizeof c->last_sent_by);
}

static void read_audit(const cJSON *data, struct client_result *r)
{
	const cJSON *entries = cJSON_GetObjectItemCaseSensitive(data, "entries"), *e;
	if (!cJSON_IsArray(entries))
		return;
	r->has_audit = 1;
	cJSON_ArrayForEach(e, entries) {
		if (r->naudit == CLIENT_AUDIT_PAGE || !cJSON_IsObject(e))
			break;
		struct client_audit_entry *a = &r->audit[r->naudit++];
		a->id = id_of(e, "id");
		copy_string(e, "at", a->at, sizeof a->at);
		copy_string(e, "event", a->event, sizeof a->event);
		copy_string(e, "outcome", a->outcome, sizeof a->outcome);
		copy_string(e, "actor", a->actor, sizeof a->actor);
		copy_string(e, "ip", a->ip, sizeof a->ip);
		copy_string(e, "detail", a->detail, sizeof a->detail);
	}
	/* a page cut short here goes on from its last entry kept */
	r->audit_next = r->naudit == CLIENT_AUDIT_PAGE && cJSON_GetArraySize(entries) > CLIENT_AUDIT_PAGE
				? r->audit[r->naudit - 1].id
				: id_of(data, "next");
}

static void read_sessions(const cJSON *data, struct client_result *r)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(data, "sessions"), *e;
	if (!cJSON_IsArray(list))
		return;
	r->has_sessions = 1;
	cJSON_ArrayForEach(e, list) {
		if (r->nsessions == CLIENT_SESSIONS_MAX || !cJSON_IsObject(e))
			break;
		struct client_session *s = &r->sessions[r->nsessions++];
		s->id = id_of(e, "id");
		copy_string(e, "createdAt", s->created_at, sizeof s->created_at);
		copy_string(e, "lastUsedAt", s->last_used_at, sizeof s->last_used_at);
		s->current = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "current"));
	}
}

static void read_meta(const cJSON *data, struct client_result *r)
{
	if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(data, "otpDigits")))
		return;
	r->has_meta = 1;
	r->meta.otp_digits = (int)number_in(data, "otpDigits", 4, 10, 6);
	r->meta.citizen_otp_ttl = number_in(data, "citizenOtpTtl", 1, 30L * 86400, 300);
	r->meta.admin_otp_ttl = number_in(data, "adminOtpTtl", 1, 30L * 86400, 600);
	r->meta.sms = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "sms"));
}

void client_parse(const char *json, size_t len, struct client_result *r)
{
	cJSON *root = json ? cJSON_ParseWithLength(json, len) : NULL;
	copy_string(root, "message", r->message, sizeof r->message);
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
	if (cJSON_IsObject(data)) {
		read_admin(cJSON_GetObjectItemCaseSensitive(data, "admin"), r);
		copy_string(data, "token", r->token, sizeof r->token);
		read_meta(data, r);
		read_citizen(data, r);
		read_audit(data, r);
		read_sessions(data, r);
		/* an issued citizen code has an expiry; the code itself may have gone by SMS only */
		if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(data, "expiresAt"))) {
			r->otp_issued = 1;
			r->has_code = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(data, "otp"));
			copy_string(data, "otp", r->code, sizeof r->code);
			copy_string(data, "phoneNumber", r->phone, sizeof r->phone);
			copy_string(data, "expiresAt", r->expires_at, sizeof r->expires_at);
		}
	}
	cJSON_Delete(root);
}

#define N_(s) (s) /* for the catalogue (xgettext -kN_); translated where used */

/* What went wrong in the user's language; libcurl's own (English) words only for the rare rest. */
static const struct {
	CURLcode code;
	const char *words;
} CURL_WORDS[] = {
	{ CURLE_COULDNT_CONNECT, N_("connexion refusée") },
	{ CURLE_COULDNT_RESOLVE_HOST, N_("nom d'hôte inconnu") },
	{ CURLE_OPERATION_TIMEDOUT, N_("pas de réponse dans le délai (--timeout)") },
	{ CURLE_PEER_FAILED_VERIFICATION, N_("certificat du serveur refusé (--cacert ?)") },
	{ CURLE_SSL_CONNECT_ERROR, N_("échec de la négociation TLS") },
	{ CURLE_SSL_CACERT_BADFILE, N_("fichier d'autorité de certification illisible (--cacert)") },
	{ CURLE_URL_MALFORMAT, N_("adresse du serveur invalide") },
	{ CURLE_UNSUPPORTED_PROTOCOL, N_("adresse du serveur invalide") },
	{ CURLE_SEND_ERROR, N_("connexion coupée") },
	{ CURLE_RECV_ERROR, N_("connexion coupée") },
	{ CURLE_GOT_NOTHING, N_("connexion fermée sans réponse") },
};

static const char *curl_words(CURLcode code, const char *fallback)
{
	for (size_t i = 0; i < sizeof CURL_WORDS / sizeof CURL_WORDS[0]; i++)
		if (CURL_WORDS[i].code == code)
			return gettext(CURL_WORDS[i].words);
	return fallback;
}

time_t client_time(const char *iso)
{
	struct tm tm = { 0 };
	int n = 0;
	if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		   &tm.tm_sec, &n) != 6)
		return -1;
	const char *rest = iso + n;
	if (*rest == '.')
		while (*++rest >= '0' && *rest <= '9')
			;
	if (strcmp(rest, "Z") != 0)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

void client_call_result(const struct client_call *call, struct client_result *r)
{
	const struct transport_exchange *x = &call->x;
	memset(r, 0, sizeof *r);
	r->status = x->status;
	r->retry_after = x->retry_after;
	r->raw_json = x->response ? x->response : "";
	char error[CURL_ERROR_SIZE]; /* libcurl's words may quote the server's */
	client_clean_text(error, sizeof error, x->error, strnlen(x->error, sizeof x->error));
	if (x->result != CURLE_OK && x->status == 0) {
		r->outcome = CLIENT_UNREACHABLE;
		snprintf(r->message, sizeof r->message, gettext("Serveur injoignable : %s."), curl_words(x->result, error));
		return;
	}
	if (x->result != CURLE_OK || x->overflow) {
		r->outcome = CLIENT_SERVER_ERROR;
		snprintf(r->message, sizeof r->message, gettext("Réponse incomplète du serveur : %s"),
			 x->overflow ? gettext("trop volumineuse") : curl_words(x->result, error));
		return;
	}
	client_parse(x->response, x->response_len, r);
	if (x->status >= 200 && x->status < 300)
		r->outcome = CLIENT_OK;
	else if (x->status >= 400 && x->status < 500)
		r->outcome = CLIENT_REFUSED;
	else
		r->outcome = CLIENT_SERVER_ERROR;
	/*
	 * Only the token we sent can have expired: other 401s (a wrong password or
	 * code, a citizen route that wants a token we do not have) leave the session alone.
	 */
	r->auth_failed = call->sent_token && x->status == 401 && strcmp(r->message, "Non authentifié.") == 0;
	if (!r->message[0]) {
		if (r->outcome == CLIENT_OK)
			snprintf(r->message, sizeof r->message, "OK");
		else
			snprintf(r->message, sizeof r->message, gettext("Réponse inattendue du serveur (HTTP %ld)."), x->status);
	}
}
