#include "ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SETS 4096
#define WAYS 4
#define KEY_MAX 48

struct bucket {
	char key[KEY_MAX];
	double tokens;
	int64_t last_ms;
};

struct ratelimit {
	long per_minute;
	pthread_mutex_t lock;
	struct bucket table[SETS][WAYS];
};

struct ratelimit *ratelimit_new(long per_minute)
{
	struct ratelimit *rl = calloc(1, sizeof *rl);
	if (!rl)
		return NULL;
	rl->per_minute = per_minute;
	pthread_mutex_init(&rl->lock, NULL);
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

long ratelimit_limit(const struct ratelimit *rl)
{
	return rl->per_minute;
}

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static struct bucket *find(struct ratelimit *rl, const char *key, int64_t now_ms)
{
	struct bucket *set = rl->table[fnv1a(key) % SETS];
	struct bucket *oldest = &set[0];
	for (int i = 0; i < WAYS; i++) {
		if (set[i].key[0] && strcmp(set[i].key, key) == 0)
			return &set[i];
		if (set[i].last_ms < oldest->last_ms)
			oldest = &set[i];
	}
	strncpy(oldest->key, key, KEY_MAX - 1);
	oldest->key[KEY_MAX - 1] = '\0';
	oldest->tokens = (double)rl->per_minute;
	oldest->last_ms = now_ms;
	return oldest;
}

long ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_ms, long *remaining)
{
	if (rl->per_minute <= 0) {
		*remaining = 0;
		return 0;
	}
	double per_ms = (double)rl->per_minute / 60000.0;
	long wait = 0;
	pthread_mutex_lock(&rl->lock);
	struct bucket *b = find(rl, key, now_ms);
	if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * per_ms;
		if (b->tokens > (double)rl->per_minute)
			b->tokens = (double)rl->per_minute;
		b->last_ms = now_ms;
	}
	if (b->tokens >= 1.0)
		b->tokens -= 1.0;
	else
		wait = (long)((1.0 - b->tokens) / per_ms / 1000.0) + 1;
	*remaining = (long)b->tokens;
	pthread_mutex_unlock(&rl->lock);
	return wait;
}
