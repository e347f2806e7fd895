#ifndef GUICHET_JOBS_H
#define GUICHET_JOBS_H
/*
 * A fixed pool of worker threads for slow work (Argon2, SMTP), so the HTTP
 * event loop never waits on it. Jobs are embedded in their owner's struct:
 * no allocation per job.
 */
struct job {
	void (*run)(struct job *job);
	struct job *next;
};

struct jobs;

struct jobs *jobs_start(int threads);
void jobs_submit(struct jobs *pool, struct job *job);
/* Runs every job already queued, then joins the threads and frees the pool. */
void jobs_stop(struct jobs *pool);

#endif
