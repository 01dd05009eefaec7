/* pool.c — persistent worker threads. A job is published by bumping a generation counter; the
 * workers, and the caller waiting for them, first spin on it briefly (a decode step runs a few
 * hundred short jobs per token, each separated by microseconds of serial work, so a worker that
 * went to sleep would cost a futex wake-up, 5-50 us, per job), then park on a condition variable
 * so an idle pool burns no CPU. Every state change that a parked thread waits for is made under
 * the mutex, so no wake-up is lost. */
#include "base/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "base/alloc.h"

/* Spin iterations before parking: ~15-30 us with a pause instruction per iteration. That covers
 * the serial gaps between the jobs of one token (a few us) and small load imbalances; longer
 * spins only burn CPU that other threads (of a loaded machine) could use. */
#define POOL_SPIN_ITERS 1000

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

struct sk_pool {
  int n_threads;
  pthread_t *threads; /* n_threads - 1 workers */
  pthread_mutex_t mu;
  pthread_cond_t wake; /* workers wait for a new generation */
  pthread_cond_t done; /* the caller waits for pending == 0 */
  atomic_ulong generation; /* written under mu; read without it while spinning */
  atomic_int pending;      /* workers still running the current job */
  atomic_int stop;
  sk_pool_fn fn;
  void *arg;
};

typedef struct worker_start {
  sk_pool *pool;
  int ith;
} worker_start;

static void *worker_main(void *p) {
  worker_start *ws = p;
  sk_pool *pool = ws->pool;
  int ith = ws->ith;
  sk_free(ws);
  unsigned long seen = 0;
  for (;;) {
    for (int i = 0; i < POOL_SPIN_ITERS && atomic_load_explicit(&pool->generation,
                                                                memory_order_acquire) == seen;
         i++)
      cpu_relax();
    pthread_mutex_lock(&pool->mu);
    while (!atomic_load(&pool->stop) && atomic_load(&pool->generation) == seen)
      pthread_cond_wait(&pool->wake, &pool->mu);
    if (atomic_load(&pool->stop)) {
      pthread_mutex_unlock(&pool->mu);
      break;
    }
    seen = atomic_load(&pool->generation);
    sk_pool_fn fn = pool->fn;
    void *arg = pool->arg;
    pthread_mutex_unlock(&pool->mu);
    fn(arg, ith, pool->n_threads);
    if (atomic_fetch_sub_explicit(&pool->pending, 1, memory_order_acq_rel) == 1) {
      pthread_mutex_lock(&pool->mu); /* the caller may be parked: wake it under the mutex */
      pthread_cond_signal(&pool->done);
      pthread_mutex_unlock(&pool->mu);
    }
  }
  return NULL;
}

int sk_pool_cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) return 1;
  if (n > SK_POOL_MAX_THREADS) return SK_POOL_MAX_THREADS;
  return (int)n;
}

int sk_pool_new(int n_threads, sk_pool **out, sk_err *err) {
  *out = NULL;
  if (n_threads < 1 || n_threads > SK_POOL_MAX_THREADS)
    return sk_err_set(err, SK_EINVAL, "thread count %d outside 1..%d", n_threads,
                      SK_POOL_MAX_THREADS);
  sk_pool *p = sk_calloc(1, sizeof *p);
  if (!p) return sk_err_set(err, SK_ENOMEM, "out of memory for the thread pool");
  p->n_threads = 1;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->wake, NULL);
  pthread_cond_init(&p->done, NULL);
  if (n_threads > 1) {
    p->threads = sk_calloc((size_t)n_threads - 1, sizeof *p->threads);
    if (!p->threads) {
      sk_pool_free(p);
      return sk_err_set(err, SK_ENOMEM, "out of memory for %d threads", n_threads);
    }
  }
  for (int i = 1; i < n_threads; i++) {
    worker_start *ws = sk_malloc(sizeof *ws);
    if (!ws) {
      sk_pool_free(p);
      return sk_err_set(err, SK_ENOMEM, "out of memory starting thread %d", i);
    }
    ws->pool = p;
    ws->ith = i;
    if (pthread_create(&p->threads[i - 1], NULL, worker_main, ws) != 0) {
      sk_free(ws);
      sk_pool_free(p);
      return sk_err_set(err, SK_EIO, "cannot create worker thread %d of %d", i, n_threads);
    }
    p->n_threads = i + 1; /* threads started so far, so sk_pool_free joins exactly these */
  }
  *out = p;
  return SK_OK;
}

void sk_pool_free(sk_pool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  atomic_store(&p->stop, 1);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
  for (int i = 1; i < p->n_threads; i++) pthread_join(p->threads[i - 1], NULL);
  pthread_cond_destroy(&p->wake);
  pthread_cond_destroy(&p->done);
  pthread_mutex_destroy(&p->mu);
  sk_free(p->threads);
  sk_free(p);
}

int sk_pool_n_threads(const sk_pool *p) { return p->n_threads; }

void sk_pool_run(sk_pool *p, sk_pool_fn fn, void *arg) {
  if (p->n_threads == 1) {
    fn(arg, 0, 1);
    return;
  }
  pthread_mutex_lock(&p->mu);
  p->fn = fn;
  p->arg = arg;
  atomic_store(&p->pending, p->n_threads - 1);
  atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
  pthread_cond_broadcast(&p->wake); /* cheap when nobody is parked */
  pthread_mutex_unlock(&p->mu);
  fn(arg, 0, p->n_threads);
  for (int i = 0; i < POOL_SPIN_ITERS && atomic_load_explicit(&p->pending, memory_order_acquire);
       i++)
    cpu_relax();
  if (atomic_load_explicit(&p->pending, memory_order_acquire) == 0) return;
  pthread_mutex_lock(&p->mu);
  while (atomic_load(&p->pending) > 0) pthread_cond_wait(&p->done, &p->mu);
  pthread_mutex_unlock(&p->mu);
}
