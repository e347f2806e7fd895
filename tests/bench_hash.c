/*
 * The machine's own Argon2id figures, for tests/bench.sh: one hash alone (the
 * best of five), then how many hashes per second THREADS threads reach when they
 * all hash at once, with guichetd's parameters (libsodium's "interactive":
 * 64 MiB each). Prints "ONE_MS PARALLEL_PER_S".
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define PASSWORD "bench-Passw0rd"
#define EACH 6

static char stored[crypto_pwhash_STRBYTES];

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *hash_some(void *arg)
{
	(void)arg;
	for (int i = 0; i < EACH; i++)
		if (crypto_pwhash_str_verify(stored, PASSWORD, sizeof PASSWORD - 1) != 0)
			abort();
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 2;
	if (threads < 1 || threads > 64 || sodium_init() < 0 ||
	    crypto_pwhash_str(stored, PASSWORD, sizeof PASSWORD - 1, crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return 1;
	double best = 1e9;
	for (int i = 0; i < 5; i++) {
		double t0 = now_s();
		if (crypto_pwhash_str_verify(stored, PASSWORD, sizeof PASSWORD - 1) != 0)
			return 1;
		double took = now_s() - t0;
		best = took < best ? took : best;
	}
	pthread_t tid[64];
	double t0 = now_s();
	for (int i = 0; i < threads; i++)
		if (pthread_create(&tid[i], NULL, hash_some, NULL) != 0)
			return 1;
	for (int i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	printf("%.1f %.2f\n", best * 1000, threads * EACH / (now_s() - t0));
	return 0;
}
