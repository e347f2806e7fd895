#include "api.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api_admin.h"
#include "api_citizen.h"
#include "api_support.h"
#include "clock.h"
#include "jsonbody.h"
#include "metrics.h"
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
	int caller;    /* a citizen route: who asks is told apart, and required with --otp-callers key */
	int sends_sms; /* slow when SMS is on */
	int group_commit; /* writes through the store's group commit: answered by its writer */
};

#define ADMIN "/api/admin/"

static const struct route ROUTES[] = {
	{ .method = "GET", .path = "/health", .handler = api_health, .env = ENV_CITIZEN, .raw_body = 1, .unlimited = 1 },
	{ .method = "GET", .path = "/metrics", .handler = api_metrics, .env = ENV_CITIZEN, .raw_body = 1, .unlimited = 1 },
	{ .method = "POST", .path = "/otp", .handler = api_citizen_otp, .env = ENV_CITIZEN, .caller = 1, .sends_sms = 1,
	  .group_commit = 1 },
	{ .method = "POST", .path = "/otp/verify", .handler = api_citizen_verify, .env = ENV_CITIZEN, .caller = 1,
	  .group_commit = 1 },
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
	{ .method = "GET", .path = ADMIN "meta", .handler = api_support_meta, .env = ENV_ADMIN, .raw_body = 1 },
	{ .method = "GET", .path = ADMIN "citizens/{}", .handler = api_support_citizen, .env = ENV_ADMIN, .auth = 1, .raw_body = 1 },
	{ .method = "POST", .path = ADMIN "citizens/{}/unlock", .handler = api_support_unlock, .env = ENV_ADMIN, .auth = 1, .raw_body = 1 },
	{ .method = "GET", .path = ADMIN "audit", .handler = api_support_audit, .env = ENV_ADMIN, .auth = 1, .raw_body = 1 },
	{ .method = "GET", .path = ADMIN "sessions", .handler = api_support_sessions, .env = ENV_ADMIN, .auth = 1, .raw_body = 1 },
	{ .method = "DELETE", .path = ADMIN "sessions/{}", .handler = api_support_session_revoke, .env = ENV_ADMIN, .auth = 1, .raw_body = 1 },
	{ .method = "POST", .path = ADMIN "email-reset-init", .handler = api_admin_email_init, .env = ENV_ADMIN, .auth = 1, .slow = 1 },
	{ .method = "PATCH", .path = ADMIN "email-reset-process", .handler = api_admin_email_process, .env = ENV_ADMIN, .auth = 1, .slow = 1 },
};

#define ROUTE_COUNT (sizeof ROUTES / sizeof ROUTES[0])

/*
 * 1 when path fits the route's template, where "{}" stands for one non-empty
 * segment (copied into param, which it must fit).
 */
static int path_match(const char *template, const char *path, char *param, size_t paramsz)
{
	const char *hole = strstr(template, "{}");
	if (!hole)
		return strcmp(template, path) == 0;
	size_t head = (size_t)(hole - template);
	if (strncmp(template, path, head) != 0)
		return 0;
	const char *value = path + head, *end = strchr(value, '/');
	size_t len = end ? (size_t)(end - value) : strlen(value);
	if (len == 0 || len >= paramsz || strcmp(hole + 2, value + len) != 0)
		return 0;
	memcpy(param, value, len);
	param[len] = '\0';
	return 1;
}

/* The route for method+path (its {} in param); NULL with *path_known set when only the method is wrong. */
static const struct route *route_find(const char *method, const char *path, int *path_known, char *param,
				      size_t paramsz)
{
	*path_known = 0;
	for (size_t i = 0; i < ROUTE_COUNT; i++) {
		if (!path_match(ROUTES[i].path, path, param, paramsz))
			continue;
		*path_known = 1;
		if (strcmp(ROUTES[i].method, method) == 0)
			return &ROUTES[i];
	}
	return NULL;
}

size_t api_route_count(void)
{
	return ROUTE_COUNT;
}

const char *api_route_method(size_t i)
{
	return i < ROUTE_COUNT ? ROUTES[i].method : NULL;
}

const char *api_route_path(size_t i)
{
	return i < ROUTE_COUNT ? ROUTES[i].path : NULL;
}

int api_route_index(const char *method, const char *path)
{
	int known;
	char param[64];
	const struct route *r = route_find(method, path, &known, param, sizeof param);
	return r ? (int)(r - ROUTES) : -1;
}

int api_routes_print(FILE *to)
{
	for (size_t i = 0; i < ROUTE_COUNT; i++)
		if (fprintf(to, "%s %s\n", ROUTES[i].method, ROUTES[i].path) < 0)
			return 1;
	return fflush(to) != 0;
}

static void allow_header(const char *path, char *out, size_t outsz)
{
	char param[64];
	out[0] = '\0';
	for (size_t i = 0; i < ROUTE_COUNT; i++) {
		if (!path_match(ROUTES[i].path, path, param, sizeof param))
			continue;
		size_t len = strlen(out);
		snprintf(out + len, outsz - len, "%s%s", len ? ", " : "", ROUTES[i].method);
	}
}

enum api_pool api_pool_of(const struct app *app, const char *method, const char *path)
{
	int known;
	char param[64];
	const struct route *r = route_find(method, path, &known, param, sizeof param);
	if (!r)
		return API_INLINE;
	if (r->slow || (r->sends_sms && sms_enabled(app->sms)))
		return API_SLOW;
	/* a shared store is a network round trip away: its calls wait in the wide pool, not the event loop */
	if (!r->unlimited && store_shared(app->store))
		return API_WAITS;
	/* the citizen's writes share a group commit; its writer answers them, no thread waits */
	if (r->group_commit)
		return API_LATER;
	return API_INLINE;
}

static enum envelope envelope_of_path(const char *path)
{
	return strncmp(path, "/api/", 5) == 0 ? ENV_ADMIN : ENV_CITIZEN;
}

const char *api_query(const struct call *c, const char *name)
{
	for (size_t i = 0; i < c->rq->nquery; i++)
		if (strcmp(c->rq->query[i].name, name) == 0)
			return c->rq->query[i].value;
	return NULL;
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

/*
 * Who calls a citizen route: an admin (live token), an API key, or nobody
 * known ("anonyme"). 0 when told apart, -1 when not, -2 when the database failed.
 */
static int identify_caller(const struct request *rq, struct call *c, struct admin *admin)
{
	snprintf(c->caller, sizeof c->caller, "anonyme");
	if (!rq->authorization)
		return -1;
	int rc = authenticate(rq, admin, &c->token_id);
	if (rc == 0) {
		c->admin = admin;
		snprintf(c->caller, sizeof c->caller, "%s", admin->email);
		return 0;
	}
	if (rc == -2)
		return -2;
	const char *key = rq->authorization;
	if (strncasecmp(key, "Bearer ", 7) == 0)
		key += 7;
	unsigned char hash[TOKEN_HASH_BYTES];
	char name[128];
	token_hash(key, hash);
	int status = store_apikey_auth(rq->app->store, hash, clock_now_ms(), name, sizeof name);
	if (status == ST_OK)
		snprintf(c->caller, sizeof c->caller, "%s", name);
	return status == ST_OK ? 0 : status == ST_ERROR ? -2 : -1;
}

int api_handle(const struct request *rq, struct reply *out)
{
	int path_known;
	struct admin admin;
	struct call c = { .rq = rq, .app = rq->app, .out = out };
	const struct route *r = route_find(rq->method, rq->path, &path_known, c.param, sizeof c.param);
	enum envelope env = r ? r->env : envelope_of_path(rq->path);
	if (!(r && r->unlimited) && !abuse_request(rq->app->abuse, rq->client_key, env, out))
		return 0;
	if (!r && path_known) {
		allow_header(rq->path, out->allow, sizeof out->allow);
		reply_json(out, env, 405, "Méthode non autorisée.", NULL);
		return 0;
	}
	if (!r) {
		reply_json(out, env, 404, "Route introuvable.", NULL);
		return 0;
	}
	if (rq->body_too_large) {
		reply_json(out, env, 413, "Requête trop volumineuse.", NULL);
		return 0;
	}
	if (r->auth) {
		int rc = authenticate(rq, &admin, &c.token_id);
		if (rc == -2) {
			reply_json(out, env, 500, "Erreur interne.", NULL);
			return 0;
		}
		if (rc != 0) {
			reply_json(out, env, 401, "Non authentifié.", NULL);
			return 0;
		}
		c.admin = &admin;
	}
	if (r->caller) {
		int rc = identify_caller(rq, &c, &admin);
		if (rc == -2) {
			reply_citizen_error(out, "database unavailable");
			return 0;
		}
		/* with --otp-callers any, a credential that is none is ignored: the caller is anonyme */
		if (rc != 0 && strcmp(rq->app->cfg->otp_callers, "key") == 0) {
			reply_json(out, env, 401, "Non authentifié.", NULL);
			return 0;
		}
	}
	cJSON *body = NULL;
	if (!r->raw_body) {
		enum body_result br = jsonbody_parse(rq->body, rq->body_len, &body);
		if (br != BODY_OK) {
			reply_json(out, env, 400,
				   br == BODY_NOT_OBJECT ? "Le corps de la requête doit être un objet JSON."
							 : "Requête JSON invalide.", NULL);
			return 0;
		}
	}
	c.body = body;
	r->handler(&c);
	cJSON_Delete(body);
	return c.later;
}
