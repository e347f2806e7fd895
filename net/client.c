#include "client.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
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

int client_otp(struct client_call *call, const struct transport_options *o, const char *type, const char *phone)
{
	return prepare(call, o, "POST", "/otp", NULL, 1, "type", type, "phoneNumber", phone, END);
}

int client_otp_verify(struct client_call *call, const struct transport_options *o, const char *phone, const char *code)
{
	return prepare(call, o, "POST", "/otp/verify", NULL, 1, "phoneNumber", phone, "otp", code, END);
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

static void copy_string(const cJSON *obj, const char *name, char *out, size_t outsz)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	snprintf(out, outsz, "%s", cJSON_IsString(item) && item->valuestring ? item->valuestring : "");
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

void client_parse(const char *json, size_t len, struct client_result *r)
{
	cJSON *root = json ? cJSON_ParseWithLength(json, len) : NULL;
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");
	if (cJSON_IsString(msg) && msg->valuestring)
		snprintf(r->message, sizeof r->message, "%s", msg->valuestring);
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
	if (cJSON_IsObject(data)) {
		read_admin(cJSON_GetObjectItemCaseSensitive(data, "admin"), r);
		copy_string(data, "token", r->token, sizeof r->token);
		const cJSON *otp = cJSON_GetObjectItemCaseSensitive(data, "otp");
		if (cJSON_IsString(otp)) {
			r->has_code = 1;
			copy_string(data, "otp", r->code, sizeof r->code);
			copy_string(data, "phoneNumber", r->phone, sizeof r->phone);
			copy_string(data, "expiresAt", r->expires_at, sizeof r->expires_at);
		}
	}
	cJSON_Delete(root);
}

void client_call_result(const struct client_call *call, struct client_result *r)
{
	const struct transport_exchange *x = &call->x;
	memset(r, 0, sizeof *r);
	r->status = x->status;
	r->retry_after = x->retry_after;
	r->raw_json = x->response ? x->response : "";
	if (x->result != CURLE_OK && x->status == 0) {
		r->outcome = CLIENT_UNREACHABLE;
		snprintf(r->message, sizeof r->message, "Serveur injoignable : %s", x->error);
		return;
	}
	if (x->result != CURLE_OK || x->overflow) {
		r->outcome = CLIENT_SERVER_ERROR;
		snprintf(r->message, sizeof r->message, "Réponse incomplète du serveur : %s",
			 x->overflow ? "trop volumineuse" : x->error);
		return;
	}
	client_parse(x->response, x->response_len, r);
	if (x->status >= 200 && x->status < 300)
		r->outcome = CLIENT_OK;
	else if (x->status >= 400 && x->status < 500)
		r->outcome = CLIENT_REFUSED;
	else
		r->outcome = CLIENT_SERVER_ERROR;
	/* other 401s (a wrong password or code) leave the session alone */
	r->auth_failed = x->status == 401 && strcmp(r->message, "Non authentifié.") == 0;
	if (!r->message[0]) {
		if (r->outcome == CLIENT_OK)
			snprintf(r->message, sizeof r->message, "OK");
		else
			snprintf(r->message, sizeof r->message, "Réponse inattendue du serveur (HTTP %ld).", x->status);
	}
}
