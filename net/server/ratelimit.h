#ifndef GUICHET_RATELIMIT_H
#define GUICHET_RATELIMIT_H
/*
 * Requests per minute per client address: a token bucket per address that
 * holds `per_minute` tokens and refills continuously. Buckets live in a fixed
 * table (no allocation per client); when a set is full the least recently
 * seen address is forgotten, which can only ever favour that address.
 */
#include <stdint.h>

struct ratelimit;

/* per_minute 0: no limit (ratelimit_take always allows). */
struct ratelimit *ratelimit_new(long per_minute);
void ratelimit_free(struct ratelimit *rl);

/* Takes one token for key. Returns 0 when allowed, else the seconds to wait. */
long ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_ms, long *remaining);
long ratelimit_limit(const struct ratelimit *rl);

#endif
