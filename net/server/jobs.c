#include "jobs.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define JOBS_MAX_THREADS 64

struct jobs {
	pthread_mutex_t lock;
	pthread_cond_t ready; /* a job was queued, or the pool is stopping */
	pthread_cond_t idle;  /* a running job finished */
	struct job *head, *tail;
	int running;
	int draining; /* no new job is taken */
	int stopping; /* the workers leave */
	int nthreads;
	pthread_t threads[JOBS_MAX_THREADS];
};

static void *worker(void *arg)
{
	struct jobs *pool = arg;
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		while (!pool->head && !pool->stopping)
			pthread_cond_wait(&pool->ready, &pool->lock);
		struct job *job = pool->head;
		if (!job)
			break;
		pool->head = job->next;
		if (!pool->head)
			pool->tail = NULL;
		pool->running++;
		pthread_mutex_unlock(&pool->lock);
		job->run(job);
		pthread_mutex_lock(&pool->lock);
		pool->running--;
		pthread_cond_broadcast(&pool->idle);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

struct jobs *jobs_start(int threads)
{
	struct jobs *pool = calloc(1, sizeof *pool);
	if (!pool)
		return NULL;
	if (threads < 1)
		threads = 1;
	if (threads > JOBS_MAX_THREADS)
		threads = JOBS_MAX_THREADS;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->ready, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&pool->idle, &attr);
	pthread_condattr_destroy(&attr);
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&pool->threads[i], NULL, worker, pool) != 0)
			break;
		pool->nthreads++;
	}
	if (pool->nthreads == 0) {
		jobs_stop(pool);
		return NULL;
	}
	return pool;
}

int jobs_submit(struct jobs *pool, struct job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&pool->lock);
	int refused = pool->draining;
	if (!refused) {
		if (pool->tail)
			pool->tail->next = job;
		else
			pool->head = job;
		pool->tail = job;
		pthread_cond_signal(&pool->ready);
	}
	pthread_mutex_unlock(&pool->lock);
	return refused ? -1 : 0;
}

int jobs_drain(struct jobs *pool, long timeout_ms)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&pool->lock);
	pool->draining = 1;
	struct job *queued = pool->head;
	pool->head = pool->tail = NULL;
	pthread_mutex_unlock(&pool->lock);
	while (queued) {
		struct job *next = queued->next;
		queued->cancel(queued);
		queued = next;
	}
	pthread_mutex_lock(&pool->lock);
	int rc = 0;
	while (pool->running && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&pool->idle, &pool->lock, &deadline);
	int busy = pool->running;
	pthread_mutex_unlock(&pool->lock);
	return busy ? -1 : 0;
}

void jobs_stop(struct jobs *pool)
{
	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->draining = pool->stopping = 1;
	struct job *queued = pool->head;
	pool->head = pool->tail = NULL;
	pthread_cond_broadcast(&pool->ready);
	pthread_mutex_unlock(&pool->lock);
	while (queued) {
		struct job *next = queued->next;
		queued->cancel(queued);
		queued = next;
	}
	for (int i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
	pthread_cond_destroy(&pool->ready);
	pthread_cond_destroy(&pool->idle);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}
