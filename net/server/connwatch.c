#include "connwatch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"

#define BUCKETS 4096
#define TICK_MS 250

struct conn_entry {
	struct conn_entry *prev, *next; /* in its bucket */
	unsigned bucket;
	int fd;
	int cut; /* its socket was shut down */
	char key[NETADDR_KEY];
	_Atomic int64_t deadline; /* monotonic ms; 0: a request is being answered */
};

struct connwatch {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	int running;
	int per_addr;
	int64_t deadline_ms;
	const struct cidr_list *exempt;
	struct conn_entry *buckets[BUCKETS];
};

static unsigned hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % BUCKETS;
}

static void cut(struct conn_entry *e)
{
	if (!e->cut)
		shutdown(e->fd, SHUT_RDWR);
	e->cut = 1;
}

/* Cuts every connection past its deadline; the lock keeps each socket open meanwhile. */
static void *watch(void *arg)
{
	struct connwatch *w = arg;
	struct timespec tick;
	pthread_mutex_lock(&w->lock);
	while (w->running) {
		int64_t now = clock_mono_ms();
		for (unsigned b = 0; b < BUCKETS; b++) {
			for (struct conn_entry *e = w->buckets[b]; e; e = e->next) {
				int64_t deadline = atomic_load_explicit(&e->deadline, memory_order_relaxed);
				if (deadline && deadline < now)
					cut(e);
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &tick);
		tick.tv_nsec += TICK_MS * 1000000L;
		if (tick.tv_nsec >= 1000000000L) {
			tick.tv_sec++;
			tick.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&w->wake, &w->lock, &tick);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct connwatch *connwatch_start(int per_addr, int64_t deadline_ms, const struct cidr_list *exempt)
{
	struct connwatch *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->per_addr = per_addr;
	w->deadline_ms = deadline_ms;
	w->exempt = exempt;
	w->running = 1;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&w->thread, NULL, watch, w) != 0) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return NULL;
	}
	return w;
}

void connwatch_stop(struct connwatch *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->running = 0;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	for (unsigned b = 0; b < BUCKETS; b++) {
		while (w->buckets[b]) {
			struct conn_entry *e = w->buckets[b];
			w->buckets[b] = e->next;
			free(e);
		}
	}
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

struct conn_entry *connwatch_open(struct connwatch *w, int fd, const char *peer)
{
	struct conn_entry *e = calloc(1, sizeof *e);
	if (!e) {
		shutdown(fd, SHUT_RDWR);
		return NULL;
	}
	e->fd = fd;
	netaddr_key(peer, e->key);
	e->bucket = hash(e->key);
	atomic_store_explicit(&e->deadline, clock_mono_ms() + w->deadline_ms, memory_order_relaxed);
	int capped = !netaddr_contains(w->exempt, peer);
	pthread_mutex_lock(&w->lock);
	int same = 0;
	for (struct conn_entry *o = w->buckets[e->bucket]; o && capped; o = o->next)
		same += strcmp(o->key, e->key) == 0;
	int refused = capped && same >= w->per_addr;
	if (!refused) {
		e->next = w->buckets[e->bucket];
		if (e->next)
			e->next->prev = e;
		w->buckets[e->bucket] = e;
	}
	pthread_mutex_unlock(&w->lock);
	if (refused) {
		shutdown(fd, SHUT_RDWR);
		free(e);
		return NULL;
	}
	return e;
}

void connwatch_close(struct connwatch *w, struct conn_entry *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&w->lock);
	if (e->prev)
		e->prev->next = e->next;
	else
		w->buckets[e->bucket] = e->next;
	if (e->next)
		e->next->prev = e->prev;
	pthread_mutex_unlock(&w->lock);
	free(e);
}

void connwatch_busy(struct conn_entry *e)
{
	if (e)
		atomic_store_explicit(&e->deadline, 0, memory_order_relaxed);
}

void connwatch_idle(struct connwatch *w, struct conn_entry *e)
{
	if (e)
		atomic_store_explicit(&e->deadline, clock_mono_ms() + w->deadline_ms, memory_order_relaxed);
}
