#include "gate/ratelimit.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"

typedef struct bucket {
  char name[GATE_MAX_ID + 2];
  double req, tok;  /* units available */
  double last_s;    /* monotonic time of the last refill */
  int used;
} bucket;

struct rl_table {
  pthread_mutex_t mu;
  bucket b[RL_MAX_BUCKETS];
};

static double mono_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint32_t fnv(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
  return h;
}

rl_table *rl_new(void) {
  rl_table *t = sk_calloc(1, sizeof *t);
  if (t) pthread_mutex_init(&t->mu, NULL);
  return t;
}

void rl_free(rl_table *t) {
  if (!t) return;
  pthread_mutex_destroy(&t->mu);
  sk_free(t);
}

/* Open addressing; a full probe window recycles its stalest bucket. Caller holds mu. */
static bucket *get(rl_table *t, const char *name, const gate_limits *lim, double now) {
  enum { PROBE = 16 };
  uint32_t h = fnv(name);
  bucket *stale = NULL;
  for (uint32_t i = 0; i < PROBE; i++) {
    bucket *b = &t->b[(h + i) % RL_MAX_BUCKETS];
    if (b->used && !strncmp(b->name, name, sizeof b->name)) return b;
    if (!b->used) {
      stale = b;
      break;
    }
    if (!stale || b->last_s < stale->last_s) stale = b;
  }
  memset(stale, 0, sizeof *stale);
  stale->used = 1;
  strncpy(stale->name, name, sizeof stale->name - 1);
  stale->req = lim->requests_per_minute;
  stale->tok = lim->tokens_per_minute;
  stale->last_s = now;
  return stale;
}

static void refill(bucket *b, const gate_limits *lim, double now) {
  double dt = now - b->last_s;
  if (dt < 0) dt = 0;
  b->req += dt * lim->requests_per_minute / 60.0;
  b->tok += dt * lim->tokens_per_minute / 60.0;
  if (b->req > lim->requests_per_minute) b->req = lim->requests_per_minute;
  if (b->tok > lim->tokens_per_minute) b->tok = lim->tokens_per_minute;
  b->last_s = now;
}

int rl_take(rl_table *t, const char *name, const gate_limits *lim, uint64_t tokens, double *retry_after_s,
            const char **which) {
  if (!lim->requests_per_minute && !lim->tokens_per_minute) return 0;
  double now = mono_s();
  pthread_mutex_lock(&t->mu);
  bucket *b = get(t, name, lim, now);
  refill(b, lim, now);
  int short_req = lim->requests_per_minute && b->req < 1.0;
  /* a request larger than the whole bucket could never pass: let it through when the bucket is full */
  double need = (double)tokens;
  if (lim->tokens_per_minute && need > lim->tokens_per_minute) need = lim->tokens_per_minute;
  int short_tok = lim->tokens_per_minute && b->tok < need;
  if (short_req || short_tok) {
    double wait = short_req ? (1.0 - b->req) * 60.0 / lim->requests_per_minute
                            : (need - b->tok) * 60.0 / lim->tokens_per_minute;
    pthread_mutex_unlock(&t->mu);
    *retry_after_s = wait;
    *which = short_req ? "requests" : "tokens";
    return 1;
  }
  if (lim->requests_per_minute) b->req -= 1.0;
  if (lim->tokens_per_minute) b->tok -= need;
  pthread_mutex_unlock(&t->mu);
  return 0;
}

void rl_refund(rl_table *t, const char *name, const gate_limits *lim, uint64_t tokens) {
  if (!lim->tokens_per_minute || !tokens) return;
  double now = mono_s();
  pthread_mutex_lock(&t->mu);
  bucket *b = get(t, name, lim, now);
  refill(b, lim, now);
  b->tok += (double)tokens;
  if (b->tok > lim->tokens_per_minute) b->tok = lim->tokens_per_minute;
  pthread_mutex_unlock(&t->mu);
}
