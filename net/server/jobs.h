#ifndef GUICHET_JOBS_H
#define GUICHET_JOBS_H
/*
 * A fixed pool of worker threads for slow work (Argon2, SMTP), so the HTTP
 * event loop never waits on it. Jobs are embedded in their owner's struct:
 * no allocation per job.
 */
struct job {
	void (*run)(struct job *job);
	void (*cancel)(struct job *job); /* a queued job that will not run (shutting down) */
	struct job *next;
};

struct jobs;

struct jobs *jobs_start(int threads);
/* Queues a job: 0, or -1 once the pool is draining (the job is not taken). */
int jobs_submit(struct jobs *pool, struct job *job);
/*
 * Refuses new jobs, cancels the queued ones and waits up to timeout_ms for
 * those running. 0 when the pool is idle, -1 when some still run.
 */
int jobs_drain(struct jobs *pool, long timeout_ms);
/* Joins the threads and frees the pool (drain it first: queued jobs are cancelled). */
void jobs_stop(struct jobs *pool);

#endif
