#ifndef GUICHET_ABUSE_H
#define GUICHET_ABUSE_H
/*
 * Every abuse limit of guichetd, declared once (ABUSE_LIMITS), counted in one
 * atomic step and refused with one 429 (contract §4, §8, §9.3):
 *
 *   requests   requests per minute per client address (--rate-limit): a token
 *              bucket in memory when one process serves the store, else a
 *              fixed window in the store, so that every node counts together
 *   send       one code per phone or e-mail per --otp-cooldown
 *   guess      wrong codes in a row per phone / per admin (--otp-guess-budget),
 *              an hour after the last one; a right code starts again from zero
 *   code-only  guesses that name no admin, per purpose, server-wide
 *              (--code-only-guesses, default 10^digits / 10,000 an hour): whatever
 *              the number of addresses, one live code is found with
 *              probability at most 1 in 10,000 an hour
 *   login      wrong passwords in a row per admin (--login-max-failures), 15 minutes
 *              after the last one
 *
 * Every counted limit but `requests` lives in the store (store_limit_take), so a
 * check and its count are one statement and concurrent requests cannot overshoot.
 */
#include "reply.h"
#include "store.h"

struct config;

#define ABUSE_LIMITS(X) \
	X(LIMIT_REQUESTS,  "requests")  \
	X(LIMIT_SEND,      "send")      \
	X(LIMIT_GUESS,     "guess")     \
	X(LIMIT_CODE_ONLY, "code-only") \
	X(LIMIT_LOGIN,     "login")

enum limit_id {
#define ABUSE_ENUM(id, name) id,
	ABUSE_LIMITS(ABUSE_ENUM)
#undef ABUSE_ENUM
	LIMIT_COUNT
};

struct abuse;

/* st: where limits are counted (and requests too when store_shared(st)). */
struct abuse *abuse_new(const struct config *cfg, struct store *st);
void abuse_free(struct abuse *ab);

/* Describes one use of limit `id` about `subject` (a phone, "admin:ID", a purpose...). */
void abuse_use(const struct abuse *ab, enum limit_id id, const char *subject, struct limit_use *out);

/*
 * The per-address request budget: 1 when the request may go on (X-RateLimit
 * headers set), 0 when refused (the 429 is in out).
 */
int abuse_request(struct abuse *ab, const char *client_key, enum envelope env, struct reply *out);

/* The one 429 of every limit: its message, Retry-After and X-RateLimit-*. */
void abuse_refuse(const struct limit_use *lu, enum envelope env, struct reply *out);

/* Name of a limit, for the audit trail. */
const char *abuse_name(enum limit_id id);

#endif
