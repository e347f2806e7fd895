#ifndef GUICHET_REPLY_H
#define GUICHET_REPLY_H
#include <cjson/cJSON.h>

/* The two envelopes of the contract, and the bare one of /health. */
enum envelope {
	ENV_CITIZEN, /* {"status": "success"|"error", "message", "data"} */
	ENV_ADMIN,   /* {"status": <http status>, "message"[, "data"]} */
};

/* What a route answers; the HTTP layer turns it into a response. */
struct reply {
	int status;
	char *body;       /* JSON text you own (free with reply_release) */
	long retry_after; /* > 0: Retry-After header, seconds */
	char allow[48];   /* non-empty: Allow header (405) */
	long rate_limit;  /* > 0: X-RateLimit-Limit and -Remaining headers */
	long rate_remaining;
	const char *content_type; /* NULL: JSON; else a static string (reply_text) */
};

/* Sets status and an envelope with message and data (data is consumed; NULL: none/null). */
void reply_json(struct reply *out, enum envelope env, int status, const char *message, cJSON *data);
/* Same with a string as the citizen 500's technical data. */
void reply_citizen_error(struct reply *out, const char *detail);
/* A body that is not JSON: text allocated with cJSON_malloc (consumed), content_type static. */
void reply_text(struct reply *out, int status, char *text, const char *content_type);
/* A raw JSON body (consumed). */
void reply_raw(struct reply *out, int status, cJSON *root);
void reply_release(struct reply *r);

#endif
