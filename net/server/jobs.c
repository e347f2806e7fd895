#include "jobs.h"

#include <pthread.h>
#include <stdlib.h>

#define JOBS_MAX_THREADS 64

struct jobs {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	struct job *head, *tail;
	int stopping;
	int nthreads;
	pthread_t threads[JOBS_MAX_THREADS];
};

static void *worker(void *arg)
{
	struct jobs *pool = arg;
	for (;;) {
		pthread_mutex_lock(&pool->lock);
		while (!pool->head && !pool->stopping)
			pthread_cond_wait(&pool->ready, &pool->lock);
		struct job *job = pool->head;
		if (!job) {
			pthread_mutex_unlock(&pool->lock);
			return NULL;
		}
		pool->head = job->next;
		if (!pool->head)
			pool->tail = NULL;
		pthread_mutex_unlock(&pool->lock);
		job->run(job);
	}
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

void jobs_submit(struct jobs *pool, struct job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&pool->lock);
	if (pool->tail)
		pool->tail->next = job;
	else
		pool->head = job;
	pool->tail = job;
	pthread_cond_signal(&pool->ready);
	pthread_mutex_unlock(&pool->lock);
}

void jobs_stop(struct jobs *pool)
{
	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = 1;
	pthread_cond_broadcast(&pool->ready);
	pthread_mutex_unlock(&pool->lock);
	for (int i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
	pthread_cond_destroy(&pool->ready);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}
