/* pool.h — a persistent pool of worker threads for data-parallel loops.
 *
 * Threads are created once (sk_pool_new) and stay alive, parked on a condition variable, until
 * sk_pool_free: running a job allocates nothing and creates no thread, so the engine can call
 * sk_pool_run several times per token. The calling thread takes part as worker 0.
 *
 * A job is fn(arg, ith, nth) called once for every ith in [0, nth) where nth is the pool's
 * thread count; the function splits its own work by ith (e.g. rows ith, ith + nth, ...).
 * sk_pool_run returns when every call has returned. One thread drives a pool at a time.
 *
 * Ownership: the caller frees what sk_pool_new returns with sk_pool_free. */
#ifndef SK_BASE_POOL_H
#define SK_BASE_POOL_H

#include "base/err.h"

/* More threads than this is a configuration error (the biggest CPUs have 384 hardware threads). */
#define SK_POOL_MAX_THREADS 512

typedef struct sk_pool sk_pool;
typedef void (*sk_pool_fn)(void *arg, int ith, int nth);

/* n_threads ≥ 1 (1: no worker thread, jobs run on the caller). */
int sk_pool_new(int n_threads, sk_pool **out, sk_err *err);
void sk_pool_free(sk_pool *p);
int sk_pool_n_threads(const sk_pool *p);
void sk_pool_run(sk_pool *p, sk_pool_fn fn, void *arg);
/* Online CPUs (≥ 1). */
int sk_pool_cpu_count(void);

#endif
