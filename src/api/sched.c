#include "api/sched.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/utf8.h"
#include "engine/stop.h"

/* Text a job may buffer before its reader takes it: a slow reader cannot make the scheduler
 * allocate without bound (generation continues; excess is a fault we report). 16 MiB is far
 * above API_MAX_GEN_TOKENS tokens of text. */
#define SCHED_MAX_JOB_TEXT (16u * 1024u * 1024u)

struct sched_job {
  sched *s;
  int refs; /* under s->mu */
  int32_t *prompt;
  size_t n_prompt;
  int32_t max_tokens;
  sampler_params sp;
  char **stop;
  size_t n_stop;
  /* shared with readers, under s->mu */
  sk_buf out;
  sched_job_info info;
  int cancel;
  int queued;
  pthread_cond_t cv;
  double t_submit, t_first;
  sched_job *next;
};

typedef struct slot {
  sched_job *job; /* NULL when free */
  int32_t seq;
  size_t n_fed;   /* prompt tokens already decoded */
  int32_t n_past; /* KV positions of this sequence */
  int32_t last;   /* token to decode next (after prefill) */
  int batch_idx;  /* index of its logits in the current batch, or -1 */
  sampler *smp;
  stop_matcher *stop;
  char pend[8];   /* bytes of an incomplete UTF-8 character */
  size_t n_pend;
} slot;

struct sched {
  const sched_backend *be;
  uint32_t n_parallel, max_queue;
  pthread_t thread;
  int thread_started;
  pthread_mutex_t mu;
  pthread_cond_t work_cv;
  sched_job *q_head, *q_tail;
  uint32_t n_queued, n_active;
  int stopping; /* no new submissions */
  int quit;     /* thread must exit */
  slot *slots;
  eng_batch_tok *batch;
  uint64_t decode_calls, decode_tokens;
};

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void job_free(sched_job *j) {
  sk_free(j->prompt);
  for (size_t i = 0; i < j->n_stop; i++) sk_free(j->stop[i]);
  sk_free(j->stop);
  sk_buf_release(&j->out);
  pthread_cond_destroy(&j->cv);
  sk_free(j);
}

/* Under mu. */
static void job_unref(sched_job *j) {
  assert(j->refs > 0);
  if (--j->refs == 0) job_free(j);
}

/* Under mu: appends text, replacing bytes that can never be UTF-8 with U+FFFD. */
static void job_emit(sched_job *j, const char *t, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint32_t cp;
    size_t l = sk_utf8_decode(t + i, n - i, &cp);
    int rc;
    if (l == 0) {
      rc = sk_buf_append(&j->out, "\xef\xbf\xbd", 3);
      l = 1;
    } else {
      rc = sk_buf_append(&j->out, t + i, l);
    }
    if (rc) break; /* reader far behind: drop (bounded); counted in n_gen anyway */
    i += l;
  }
}

/* Under mu. */
static void slot_finish(sched *s, slot *sl, api_finish f, const char *error) {
  sched_job *j = sl->job;
  if (f != API_FINISH_STOP && f != API_FINISH_CANCELLED) {
    /* an incomplete trailing character can no longer complete: show it replaced */
    if (sl->n_pend) {
      const char *o;
      size_t on;
      stop_feed(sl->stop, "\xef\xbf\xbd", 3, &o, &on);
      job_emit(j, o, on);
    }
    const char *o;
    size_t on;
    stop_flush(sl->stop, &o, &on);
    job_emit(j, o, on);
  }
  j->info.finish = f;
  if (f == API_FINISH_STOP) j->info.stop_index = stop_matched(sl->stop);
  if (error) snprintf(j->info.error, sizeof j->info.error, "%s", error);
  if (j->t_first > 0) j->info.gen_ms = now_ms() - j->t_first;
  pthread_cond_broadcast(&j->cv);
  s->be->kv_seq_rm(s->be->impl, sl->seq, 0, -1);
  sampler_free(sl->smp);
  stop_free(sl->stop);
  int32_t seq = sl->seq;
  memset(sl, 0, sizeof *sl);
  sl->seq = seq;
  sl->batch_idx = -1;
  s->n_active--;
  job_unref(j);
}

/* Under mu: moves queued jobs into free slots. */
static void admit(sched *s) {
  for (uint32_t i = 0; i < s->n_parallel && s->q_head; i++) {
    slot *sl = &s->slots[i];
    if (sl->job) continue;
    sched_job *j = s->q_head;
    s->q_head = j->next;
    if (!s->q_head) s->q_tail = NULL;
    s->n_queued--;
    j->queued = 0;
    j->next = NULL;
    if (j->cancel) {
      j->info.finish = API_FINISH_CANCELLED;
      pthread_cond_broadcast(&j->cv);
      job_unref(j);
      i--; /* the slot is still free */
      continue;
    }
    sk_err err;
    if (sampler_new(&j->sp, s->be->n_vocab, &sl->smp, &err) ||
        stop_new((const char *const *)j->stop, j->n_stop, &sl->stop, &err)) {
      sampler_free(sl->smp);
      sl->smp = NULL;
      j->info.finish = API_FINISH_ERROR;
      snprintf(j->info.error, sizeof j->info.error, "%s", err.msg);
      pthread_cond_broadcast(&j->cv);
      job_unref(j);
      i--;
      continue;
    }
    for (size_t k = 0; k < j->n_prompt; k++) sampler_accept(sl->smp, j->prompt[k]);
    s->be->kv_seq_rm(s->be->impl, sl->seq, 0, -1);
    sl->job = j;
    sl->n_fed = 0;
    sl->n_past = 0;
    sl->n_pend = 0;
    sl->batch_idx = -1;
    s->n_active++;
  }
}

/* Scheduler thread, without mu: turns one token into text for its job. Returns a finish reason
 * or API_FINISH_NONE. */
static api_finish slot_take_token(sched *s, slot *sl, int32_t tok) {
  sched_job *j = sl->job;
  sampler_accept(sl->smp, tok);
  if (s->be->is_eog(s->be->impl, tok)) return API_FINISH_EOS;
  char piece[SCHED_MAX_PIECE + 8];
  memcpy(piece, sl->pend, sl->n_pend);
  int n = s->be->piece(s->be->impl, tok, piece + sl->n_pend, SCHED_MAX_PIECE);
  if (n < 0) n = 0;
  size_t total = sl->n_pend + (size_t)n;
  size_t ready = sk_utf8_complete_prefix(piece, total);
  sl->n_pend = total - ready;
  if (sl->n_pend > 4) { /* cannot happen for a valid prefix rule; never hold more than one char */
    ready = total;
    sl->n_pend = 0;
  }
  memcpy(sl->pend, piece + ready, sl->n_pend);
  /* Bytes that can never form a character become U+FFFD before stop matching, so stop strings
   * match exactly the text the client sees. */
  char clean[3 * (SCHED_MAX_PIECE + 8)];
  size_t cn = 0;
  for (size_t i = 0; i < ready;) {
    uint32_t cp;
    size_t l = sk_utf8_decode(piece + i, ready - i, &cp);
    if (l == 0) {
      memcpy(clean + cn, "\xef\xbf\xbd", 3);
      cn += 3;
      i++;
    } else {
      memcpy(clean + cn, piece + i, l);
      cn += l;
      i += l;
    }
  }
  const char *o;
  size_t on;
  int hit = stop_feed(sl->stop, clean, cn, &o, &on);
  pthread_mutex_lock(&s->mu);
  job_emit(j, o, on);
  pthread_cond_broadcast(&j->cv);
  pthread_mutex_unlock(&s->mu);
  if (hit == 1) return API_FINISH_STOP;
  if (j->info.n_gen >= j->max_tokens) return API_FINISH_LENGTH;
  if ((uint32_t)sl->n_past >= s->be->n_ctx) return API_FINISH_LENGTH;
  return API_FINISH_NONE;
}

static void *sched_main(void *arg) {
  sched *s = arg;
  const sched_backend *be = s->be;
  pthread_mutex_lock(&s->mu);
  for (;;) {
    /* 1. cancellations take effect before the next decode step */
    for (uint32_t i = 0; i < s->n_parallel; i++)
      if (s->slots[i].job && (s->slots[i].job->cancel || s->quit))
        slot_finish(s, &s->slots[i], API_FINISH_CANCELLED, NULL);
    if (s->quit) {
      while (s->q_head) { /* jobs never admitted */
        sched_job *j = s->q_head;
        s->q_head = j->next;
        s->n_queued--;
        j->queued = 0;
        j->info.finish = API_FINISH_CANCELLED;
        pthread_cond_broadcast(&j->cv);
        job_unref(j);
      }
      s->q_tail = NULL;
      break;
    }
    /* 2. admit */
    admit(s);
    if (s->n_active == 0) {
      pthread_cond_wait(&s->work_cv, &s->mu);
      continue;
    }
    /* 3. build the batch: one decode token per running job, then prefill chunks */
    size_t n = 0, budget = be->n_batch;
    for (uint32_t i = 0; i < s->n_parallel; i++) {
      slot *sl = &s->slots[i];
      sl->batch_idx = -1;
      if (!sl->job || sl->n_fed < sl->job->n_prompt || n >= budget) continue;
      s->batch[n] = (eng_batch_tok){sl->last, sl->n_past, sl->seq, 1};
      sl->batch_idx = (int)n++;
    }
    for (uint32_t i = 0; i < s->n_parallel && n < budget; i++) {
      slot *sl = &s->slots[i];
      if (!sl->job || sl->n_fed >= sl->job->n_prompt) continue;
      size_t take = sl->job->n_prompt - sl->n_fed;
      if (take > budget - n) take = budget - n;
      for (size_t k = 0; k < take; k++) {
        int last = sl->n_fed + k + 1 == sl->job->n_prompt;
        s->batch[n] = (eng_batch_tok){sl->job->prompt[sl->n_fed + k],
                                      sl->n_past + (int32_t)k, sl->seq, last};
        if (last) sl->batch_idx = (int)n;
        n++;
      }
    }
    pthread_mutex_unlock(&s->mu);

    /* 4. decode (no lock: readers and submitters proceed meanwhile) */
    sk_err err;
    sk_err_clear(&err);
    int rc = be->decode(be->impl, s->batch, n, &err);
    pthread_mutex_lock(&s->mu);
    s->decode_calls++;
    s->decode_tokens += n;
    if (rc) {
      for (uint32_t i = 0; i < s->n_parallel; i++)
        if (s->slots[i].job) slot_finish(s, &s->slots[i], API_FINISH_ERROR, err.msg);
      continue;
    }
    /* advance positions */
    for (size_t k = 0; k < n; k++) {
      for (uint32_t i = 0; i < s->n_parallel; i++) {
        slot *sl = &s->slots[i];
        if (sl->job && sl->seq == s->batch[k].seq) {
          sl->n_past++;
          if (sl->n_fed < sl->job->n_prompt) sl->n_fed++;
          break;
        }
      }
    }
    pthread_mutex_unlock(&s->mu);

    /* 5. sample and publish */
    for (uint32_t i = 0; i < s->n_parallel; i++) {
      slot *sl = &s->slots[i];
      if (!sl->job || sl->batch_idx < 0) continue;
      const float *lg = be->logits(be->impl, (size_t)sl->batch_idx);
      api_finish f = API_FINISH_ERROR;
      if (lg) {
        int32_t tok = 0;
        sampler_sample(sl->smp, lg, &tok);
        pthread_mutex_lock(&s->mu);
        if (sl->job->info.n_gen == 0) {
          sl->job->t_first = now_ms();
          sl->job->info.ttft_ms = sl->job->t_first - sl->job->t_submit;
        }
        sl->job->info.n_gen++;
        pthread_mutex_unlock(&s->mu);
        f = slot_take_token(s, sl, tok);
        sl->last = tok;
      }
      if (f != API_FINISH_NONE) {
        pthread_mutex_lock(&s->mu);
        slot_finish(s, sl, f, lg ? NULL : "engine returned no logits");
        pthread_mutex_unlock(&s->mu);
      }
    }
    pthread_mutex_lock(&s->mu);
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

int sched_new(const sched_backend *be, const sched_params *p, sched **out, sk_err *err) {
  *out = NULL;
  uint32_t np = p->n_parallel;
  if (np < 1 || np > ENG_MAX_SEQ || np > be->n_seq)
    return sk_err_set(err, SK_ERANGE, "parallel slots must be 1..%u (got %u)",
                      be->n_seq < ENG_MAX_SEQ ? be->n_seq : ENG_MAX_SEQ, np);
  uint32_t mq = p->max_queue ? p->max_queue : SCHED_DEFAULT_QUEUE;
  if (mq > SCHED_MAX_QUEUE)
    return sk_err_set(err, SK_ERANGE, "queue depth must be at most %d (got %u)", SCHED_MAX_QUEUE, mq);
  if (be->n_batch == 0 || be->n_batch > ENG_MAX_BATCH || be->n_batch < np)
    return sk_err_set(err, SK_ERANGE, "batch size %u must be in %u..%d", be->n_batch, np, ENG_MAX_BATCH);
  sched *s = sk_calloc(1, sizeof *s);
  if (!s) return sk_err_set(err, SK_ENOMEM, "out of memory");
  s->be = be;
  s->n_parallel = np;
  s->max_queue = mq;
  s->slots = sk_calloc(np, sizeof *s->slots);
  s->batch = sk_calloc(be->n_batch, sizeof *s->batch);
  if (!s->slots || !s->batch) {
    sk_free(s->slots);
    sk_free(s->batch);
    sk_free(s);
    return sk_err_set(err, SK_ENOMEM, "out of memory");
  }
  for (uint32_t i = 0; i < np; i++) {
    s->slots[i].seq = (int32_t)i;
    s->slots[i].batch_idx = -1;
  }
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->work_cv, NULL);
  if (pthread_create(&s->thread, NULL, sched_main, s) != 0) {
    sched_free(s);
    return sk_err_set(err, SK_EIO, "cannot start the scheduler thread");
  }
  s->thread_started = 1;
  *out = s;
  return SK_OK;
}

void sched_shutdown(sched *s, int deadline_ms) {
  if (!s) return;
  pthread_mutex_lock(&s->mu);
  s->stopping = 1;
  double end = now_ms() + deadline_ms;
  while ((s->n_active || s->n_queued) && now_ms() < end) {
    pthread_mutex_unlock(&s->mu);
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
    pthread_mutex_lock(&s->mu);
  }
  s->quit = 1;
  pthread_cond_broadcast(&s->work_cv);
  pthread_mutex_unlock(&s->mu);
  if (s->thread_started) {
    pthread_join(s->thread, NULL);
    s->thread_started = 0;
  }
}

void sched_free(sched *s) {
  if (!s) return;
  sched_shutdown(s, 0);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->work_cv);
  sk_free(s->slots);
  sk_free(s->batch);
  sk_free(s);
}

int sched_submit(sched *s, const sched_job_params *p, sched_job **out, sk_err *err) {
  *out = NULL;
  if (p->n_prompt == 0) return sk_err_set(err, SK_EINVAL, "the prompt is empty");
  if (p->n_prompt >= s->be->n_ctx)
    return sk_err_set(err, SK_ELIMIT,
                      "the prompt is %zu tokens; the context limit is %u tokens (including at least "
                      "one generated token): shorten the prompt or start the server with a larger --ctx",
                      p->n_prompt, s->be->n_ctx);
  if (p->max_tokens < 1) return sk_err_set(err, SK_EINVAL, "max_tokens must be at least 1");
  for (size_t i = 0; i < p->n_prompt; i++)
    if (p->prompt[i] < 0 || p->prompt[i] >= s->be->n_vocab)
      return sk_err_set(err, SK_EINVAL, "prompt token %zu is outside the vocabulary", i);
  sched_job *j = sk_calloc(1, sizeof *j);
  if (!j) return sk_err_set(err, SK_ENOMEM, "out of memory");
  j->prompt = sk_malloc(p->n_prompt * sizeof *j->prompt);
  j->stop = p->n_stop ? sk_calloc(p->n_stop, sizeof *j->stop) : NULL;
  sk_buf_init(&j->out, SCHED_MAX_JOB_TEXT);
  pthread_cond_init(&j->cv, NULL);
  int oom = !j->prompt || (p->n_stop && !j->stop);
  for (size_t i = 0; !oom && i < p->n_stop; i++) {
    j->stop[i] = sk_strdup(p->stop[i]);
    j->n_stop = i + 1;
    if (!j->stop[i]) oom = 1;
  }
  if (oom) {
    job_free(j);
    return sk_err_set(err, SK_ENOMEM, "out of memory");
  }
  memcpy(j->prompt, p->prompt, p->n_prompt * sizeof *j->prompt);
  j->n_prompt = p->n_prompt;
  j->max_tokens = p->max_tokens;
  j->sp = p->sampling;
  j->s = s;
  j->info.n_prompt = (int32_t)p->n_prompt;
  j->info.ttft_ms = -1;
  j->info.stop_index = -1;
  j->t_submit = now_ms();
  pthread_mutex_lock(&s->mu);
  if (s->stopping) {
    pthread_mutex_unlock(&s->mu);
    job_free(j);
    return sk_err_set(err, SK_EDENIED, "the server is shutting down");
  }
  uint32_t free_slots = s->n_parallel - s->n_active;
  if (s->n_queued >= s->max_queue + free_slots) {
    uint32_t q = s->n_queued;
    pthread_mutex_unlock(&s->mu);
    job_free(j);
    return sk_err_set(err, SK_EBUSY, "all %u slots are busy and %u requests are queued; retry later",
                      s->n_parallel, q);
  }
  j->refs = 2; /* caller + scheduler */
  j->queued = 1;
  if (s->q_tail) s->q_tail->next = j;
  else s->q_head = j;
  s->q_tail = j;
  s->n_queued++;
  pthread_cond_signal(&s->work_cv);
  pthread_mutex_unlock(&s->mu);
  *out = j;
  return SK_OK;
}

int sched_job_poll(sched_job *j, int timeout_ms, sk_buf *out, sched_job_info *info) {
  sched *s = j->s;
  pthread_mutex_lock(&s->mu);
  if (j->out.len == 0 && j->info.finish == API_FINISH_NONE && timeout_ms > 0) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&j->cv, &s->mu, &ts);
  }
  int rc = 0;
  if (j->out.len) {
    if (sk_buf_append(out, j->out.data, j->out.len) == 0) sk_buf_reset(&j->out);
  }
  if (info) *info = j->info;
  if (j->info.finish != API_FINISH_NONE && j->out.len == 0) rc = 1;
  pthread_mutex_unlock(&s->mu);
  return rc;
}

void sched_job_cancel(sched_job *j) {
  sched *s = j->s;
  pthread_mutex_lock(&s->mu);
  j->cancel = 1;
  pthread_cond_signal(&s->work_cv);
  pthread_mutex_unlock(&s->mu);
}

void sched_job_release(sched_job *j) {
  if (!j) return;
  sched *s = j->s;
  pthread_mutex_lock(&s->mu);
  j->cancel = 1;
  pthread_cond_signal(&s->work_cv);
  job_unref(j);
  pthread_mutex_unlock(&s->mu);
}

void sched_get_stats(sched *s, sched_stats *out) {
  pthread_mutex_lock(&s->mu);
  out->queued = s->n_queued;
  out->active = s->n_active;
  out->n_parallel = s->n_parallel;
  out->decode_calls = s->decode_calls;
  out->decode_tokens = s->decode_tokens;
  pthread_mutex_unlock(&s->mu);
}
