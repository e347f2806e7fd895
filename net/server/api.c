#include "api.h"

#include <stdio.h>
#include <string.h>

#include "api_admin.h"
#include "api_citizen.h"
#include "clock.h"
#include "jsonbody.h"
#include "token.h"

struct route {
	const char *method;
	const char *path;
	void (*handler)(struct call *c);
	enum envelope env;
	int auth;     /* needs a bearer token */
	int slow;     /* hashes a password or sends mail */
	int raw_body; /* takes no JSON body (/health) */
	int unlimited; /* not counted against the per-address request budget */
};

#define ADMIN "/api/admin/"

static const struct route ROUTES[] = {
	{ .method = "GET", .path = "/health", .handler = api_health, .env = ENV_CITIZEN, .raw_body = 1, .unlimited = 1 },
	{ .method = "POST", .path = "/otp", .handler = api_citizen_otp, .env = ENV_CITIZEN },
	{ .method = "POST", .path = "/otp/verify", .handler = api_citizen_verify, .env = ENV_CITIZEN },
	{ .method = "POST", .path = ADMIN "signin-init", .handler = api_admin_signin_init, .env = ENV_ADMIN, .slow = 1 },
	{ .method = "PATCH", .path = ADMIN "signin-process", .handler = api_admin_signin_process, .env = ENV_ADMIN, .slow = 1 },
	{ .method = "POST", .path = ADMIN "login", .handler = api_admin_login, .env = ENV_ADMIN, .slow = 1 },
	{ .method = "DELETE", .path = ADMIN "logout", .handler = api_admin_logout, .env = ENV_ADMIN, .auth = 1 },
	{ .method = "GET", .path = ADMIN "me", .handler = api_admin_me, .env = ENV_ADMIN, .auth = 1 },
	{ .method = "POST", .path = ADMIN "password-reset-while-dissconnected-init", .handler = api_admin_reset_init, .env = ENV_ADMIN, .slow = 1 },
	{ .method = "PATCH", .path = ADMIN "password-reset-while-dissconnected-process", .handler = api_admin_reset_process, .env = ENV_ADMIN, .slow = 1 },
	/* the correctly spelt alias */
	{ .method = "POST", .path = ADMIN "password-reset-while-disconnected-init", .handler = api_admin_reset_init, .env = ENV_ADMIN, .slow = 1 },
	{ .method = "PATCH", .path = ADMIN "password-reset-while-disconnected-process", .handler = api_admin_reset_process, .env = ENV_ADMIN, .slow = 1 },
	{ .method = "POST", .path = ADMIN "password-reset-while-connected-init", .handler = api_admin_change_init, .env = ENV_ADMIN, .auth = 1, .slow = 1 },
	{ .method = "PATCH", .path = ADMIN "password-reset-while-connected-process", .handler = api_admin_change_process, .env = ENV_ADMIN, .auth = 1, .slow = 1 },
	{ .method = "POST", .path = ADMIN "email-reset-init", .handler = api_admin_email_init, .env = ENV_ADMIN, .auth = 1, .slow = 1 },
	{ .method = "PATCH", .path = ADMIN "email-reset-process", .handler = api_admin_email_process, .env = ENV_ADMIN, .auth = 1, .slow = 1 },
};

#define ROUTE_COUNT (sizeof ROUTES / sizeof ROUTES[0])

/* The route for method+path; NULL with *path_known set when only the method is wrong. */
static const struct route *route_find(const char *method, const char *path, int *path_known)
{
	*path_known = 0;
	for (size_t i = 0; i < ROUTE_COUNT; i++) {
		if (strcmp(ROUTES[i].path, path) != 0)
			continue;
		*path_known = 1;
		if (strcmp(ROUTES[i].method, method) == 0)
			return &ROUTES[i];
	}
	return NULL;
}

static void allow_header(const char *path, char *out, size_t outsz)
{
	out[0] = '\0';
	for (size_t i = 0; i < ROUTE_COUNT; i++) {
		if (strcmp(ROUTES[i].path, path) != 0)
			continue;
		size_t len = strlen(out);
		snprintf(out + len, outsz - len, "%s%s", len ? ", " : "", ROUTES[i].method);
	}
}

int api_is_slow(const char *method, const char *path)
{
	int known;
	const struct route *r = route_find(method, path, &known);
	return r && r->slow;
}

static enum envelope envelope_of_path(const char *path)
{
	return strncmp(path, "/api/", 5) == 0 ? ENV_ADMIN : ENV_CITIZEN;
}

void api_error(const char *path, int status, const char *message, struct reply *out)
{
	reply_json(out, envelope_of_path(path), status, message, NULL);
}

/* 0 and the admin when the Authorization header names a live token, else -1. */
static int authenticate(const struct request *rq, struct admin *admin, int64_t *token_id)
{
	const char *secret;
	unsigned char hash[TOKEN_HASH_BYTES];
	if (!rq->authorization || token_parse(rq->authorization, token_id, &secret) != 0)
		return -1;
	token_hash(secret, hash);
	int status = store_token_auth(rq->app->store, *token_id, hash, clock_now_ms(), admin);
	return status == ST_OK ? 0 : status == ST_ERROR ? -2 : -1;
}

void api_handle(const struct request *rq, struct reply *out)
{
	int path_known;
	const struct route *r = route_find(rq->method, rq->path, &path_known);
	enum envelope env = r ? r->env : envelope_of_path(rq->path);
	if (!(r && r->unlimited) && !abuse_request(rq->app->abuse, rq->client_key, env, out))
		return;
	if (!r && path_known) {
		allow_header(rq->path, out->allow, sizeof out->allow);
		reply_json(out, env, 405, "Méthode non autorisée.", NULL);
		return;
	}
	if (!r) {
		reply_json(out, env, 404, "Route introuvable.", NULL);
		return;
	}
	if (rq->body_too_large) {
		reply_json(out, env, 413, "Requête trop volumineuse.", NULL);
		return;
	}
	struct admin admin;
	struct call c = { .rq = rq, .app = rq->app, .out = out };
	if (r->auth) {
		int rc = authenticate(rq, &admin, &c.token_id);
		if (rc == -2) {
			reply_json(out, env, 500, "Erreur interne.", NULL);
			return;
		}
		if (rc != 0) {
			reply_json(out, env, 401, "Non authentifié.", NULL);
			return;
		}
		c.admin = &admin;
	}
	cJSON *body = NULL;
	if (!r->raw_body) {
		enum body_result br = jsonbody_parse(rq->body, rq->body_len, &body);
		if (br != BODY_OK) {
			reply_json(out, env, 400,
				   br == BODY_NOT_OBJECT ? "Le corps de la requête doit être un objet JSON."
							 : "Requête JSON invalide.", NULL);
			return;
		}
	}
	c.body = body;
	r->handler(&c);
	cJSON_Delete(body);
}
