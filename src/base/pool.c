/* pool.c — persistent worker threads: a generation counter under one mutex wakes the workers
 * for each job; a pending count brings the caller back when all are done. Jobs in the engine
 * last tens of microseconds to milliseconds, so the mutex/condvar cost is small beside them. */
#include "base/pool.h"

#include <pthread.h>
#include <unistd.h>

#include "base/alloc.h"

struct sk_pool {
  int n_threads;
  pthread_t *threads; /* n_threads - 1 workers */
  pthread_mutex_t mu;
  pthread_cond_t wake; /* workers wait for a new generation */
  pthread_cond_t done; /* the caller waits for pending == 0 */
  unsigned long generation;
  int pending;
  int stop;
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
  pthread_mutex_lock(&pool->mu);
  for (;;) {
    while (!pool->stop && pool->generation == seen) pthread_cond_wait(&pool->wake, &pool->mu);
    if (pool->stop) break;
    seen = pool->generation;
    sk_pool_fn fn = pool->fn;
    void *arg = pool->arg;
    pthread_mutex_unlock(&pool->mu);
    fn(arg, ith, pool->n_threads);
    pthread_mutex_lock(&pool->mu);
    if (--pool->pending == 0) pthread_cond_signal(&pool->done);
  }
  pthread_mutex_unlock(&pool->mu);
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
  p->stop = 1;
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
  p->pending = p->n_threads - 1;
  p->generation++;
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
  fn(arg, 0, p->n_threads);
  pthread_mutex_lock(&p->mu);
  while (p->pending > 0) pthread_cond_wait(&p->done, &p->mu);
  pthread_mutex_unlock(&p->mu);
}
