#include "abuse.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "metrics.h"

#define MINUTE_MS ((int64_t)60 * 1000)
#define HOUR_MS (60 * MINUTE_MS)
#define LOGIN_LOCK_MS (15 * MINUTE_MS)

static const char WAIT[] = "Trop de requêtes. Réessayez dans %ld secondes.";
static const char WRONG_CODES[] = "Trop de codes erronés. Réessayez dans %ld secondes.";

static const struct limit_def {
	const char *name;
	const char *message; /* the 429's text; %ld: seconds to wait */
	int clear_on_success;
} LIMITS[LIMIT_COUNT] = {
	[LIMIT_REQUESTS] = { "requests", WAIT, 0 },
	[LIMIT_SEND] = { "send", "Veuillez patienter %ld secondes avant de demander un nouveau code.", 0 },
	[LIMIT_GUESS] = { "guess", WRONG_CODES, 1 },
	[LIMIT_CODE_ONLY] = { "code-only", WRONG_CODES, 0 },
	[LIMIT_LOGIN] = { "login", WAIT, 1 },
};

/* ---- requests per minute per address: token buckets in a fixed table ---- */

#define SETS 4096
#define WAYS 4

struct bucket {
	char key[48];
	double tokens;
	int64_t last_ms;
};

struct abuse {
	const struct config *cfg;
	struct store *shared; /* non-NULL: requests are counted there, across nodes */
	pthread_mutex_t lock;
	struct bucket table[SETS][WAYS];
};

struct abuse *abuse_new(const struct config *cfg, struct store *st)
{
	struct abuse *ab = calloc(1, sizeof *ab);
	if (!ab)
		return NULL;
	ab->cfg = cfg;
	ab->shared = st && store_shared(st) ? st : NULL;
	pthread_mutex_init(&ab->lock, NULL);
	return ab;
}

void abuse_free(struct abuse *ab)
{
	if (!ab)
		return;
	pthread_mutex_destroy(&ab->lock);
	free(ab);
}

const char *abuse_name(enum limit_id id)
{
	return LIMITS[id].name;
}

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/*
 * The bucket of key; when its set is full the least recently seen address is
 * forgotten, which can only ever favour that address.
 */
static struct bucket *bucket_of(struct abuse *ab, const char *key, double full, int64_t now)
{
	struct bucket *set = ab->table[fnv1a(key) % SETS];
	struct bucket *oldest = &set[0];
	for (int i = 0; i < WAYS; i++) {
		if (set[i].key[0] && strcmp(set[i].key, key) == 0)
			return &set[i];
		if (set[i].last_ms < oldest->last_ms)
			oldest = &set[i];
	}
	snprintf(oldest->key, sizeof oldest->key, "%s", key);
	oldest->tokens = full;
	oldest->last_ms = now;
	return oldest;
}

/* Several nodes: one fixed window a minute per address, counted in the store in one statement. */
static int request_shared(struct abuse *ab, const char *client_key, enum envelope env, struct reply *out)
{
	struct limit_use lu;
	abuse_use(ab, LIMIT_REQUESTS, client_key, &lu);
	lu.fixed_window = 1;
	int status = store_limit_take(ab->shared, &lu, clock_now_ms());
	if (status == ST_LIMITED) {
		abuse_refuse(&lu, env, out);
		return 0;
	}
	/* a database that fails here fails the route too: let the route answer it */
	out->rate_limit = lu.budget;
	out->rate_remaining = lu.budget > lu.used ? lu.budget - lu.used : 0;
	return 1;
}

int abuse_request(struct abuse *ab, const char *client_key, enum envelope env, struct reply *out)
{
	long per_minute = ab->cfg->rate_limit;
	if (per_minute <= 0)
		return 1;
	if (ab->shared)
		return request_shared(ab, client_key, env, out);
	double full = (double)per_minute, per_ms = full / (double)MINUTE_MS;
	int64_t now = clock_mono_ms();
	long wait = 0;
	pthread_mutex_lock(&ab->lock);
	struct bucket *b = bucket_of(ab, client_key, full, now);
	if (now > b->last_ms) {
		b->tokens += (double)(now - b->last_ms) * per_ms;
		if (b->tokens > full)
			b->tokens = full;
		b->last_ms = now;
	}
	if (b->tokens >= 1.0)
		b->tokens -= 1.0;
	else
		wait = (long)((1.0 - b->tokens) / per_ms / 1000.0) + 1;
	long remaining = (long)b->tokens;
	pthread_mutex_unlock(&ab->lock);
	if (!wait) {
		out->rate_limit = per_minute;
		out->rate_remaining = remaining;
		return 1;
	}
	struct limit_use lu = { .limit = LIMIT_REQUESTS, .budget = per_minute, .retry_after_s = wait };
	abuse_refuse(&lu, env, out);
	return 0;
}

/* ---- the limits kept in the store ---- */

/* 10^digits / 10,000: what keeps one code's chance at 1 in 10,000 (at least 1). */
static long code_only_default(long digits)
{
	long budget = 1;
	for (long d = 4; d < digits; d++)
		budget *= 10;
	return budget;
}

void abuse_use(const struct abuse *ab, enum limit_id id, const char *subject, struct limit_use *out)
{
	const struct config *cfg = ab->cfg;
	memset(out, 0, sizeof *out);
	out->limit = (int)id;
	out->clear_on_success = LIMITS[id].clear_on_success;
	snprintf(out->key, sizeof out->key, "%s:%s", LIMITS[id].name, subject);
	switch (id) {
	case LIMIT_SEND:
		out->budget = cfg->otp_cooldown > 0 ? 1 : 0;
		out->window_ms = cfg->otp_cooldown * 1000;
		break;
	case LIMIT_GUESS:
		out->budget = cfg->otp_guess_budget;
		out->window_ms = HOUR_MS;
		break;
	case LIMIT_CODE_ONLY:
		out->budget = cfg->code_only_guesses > 0 ? cfg->code_only_guesses : code_only_default(cfg->otp_digits);
		out->window_ms = HOUR_MS;
		break;
	case LIMIT_LOGIN:
		out->budget = cfg->login_max_failures;
		out->window_ms = LOGIN_LOCK_MS;
		break;
	case LIMIT_REQUESTS:
	case LIMIT_COUNT:
		out->budget = cfg->rate_limit;
		out->window_ms = MINUTE_MS;
		break;
	}
}

void abuse_refuse(const struct limit_use *lu, enum envelope env, struct reply *out)
{
	char msg[160];
	long wait = lu->retry_after_s > 0 ? lu->retry_after_s : 1;
	metrics_limit_hit(lu->limit);
	snprintf(msg, sizeof msg, LIMITS[lu->limit].message, wait);
	out->retry_after = wait;
	out->rate_limit = lu->budget;
	out->rate_remaining = 0;
	reply_json(out, env, 429, msg, NULL);
}
