/* committer.c — background batch writer for after-the-answer records (see committer.h). */
#include "gate/committer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"

_Static_assert(2 * GATE_COMMIT_MAX_ROUND <= LEDGER_BATCH_MAX, "a round's transfers fit one ledger batch");
_Static_assert(GATE_COMMIT_MAX_ROUND <= AUDIT_MAX_BATCH, "a round's records fit one audit batch");

typedef struct item {
  struct item *next;
  char *json;
  ledger_transfer tr[2];
  size_t n_tr;
} item;

struct gate_committer {
  audit_log *audit;
  ledger *led;
  pthread_t th;
  pthread_mutex_t mu;
  pthread_cond_t work, space;
  item *head, *tail;
  size_t queued;
  int stop;
  int lingering; /* the writer waits for the round to fill: wake it only when it is full */
  gate_commit_stats st;
};

/* Writes one round: every audit record appended in one go WITHOUT waiting for its sync (it rides
 * on the next group commit, see committer.h), every transfer in one ledger batch. *seq gets the
 * last audit record's number; returns the number of records appended. */
static size_t write_round(gate_committer *c, item *list, size_t n, uint64_t *seq) {
  const char **recs = sk_calloc(n, sizeof *recs);
  ledger_transfer *tr = sk_calloc(2 * n, sizeof *tr);
  ledger_result *res = sk_calloc(2 * n, sizeof *res);
  size_t nr = 0, nt = 0;
  for (item *it = list; it; it = it->next) {
    if (it->json && recs) recs[nr++] = it->json;
    for (size_t k = 0; k < it->n_tr && tr; k++) tr[nt++] = it->tr[k];
  }
  uint64_t aerr = 0, lerr = 0;
  sk_err err;
  if (!recs) aerr = n;
  else if (nr && audit_append_batch_nowait(c->audit, recs, nr, seq, &err)) aerr = nr, nr = 0;
  if (!tr || !res) lerr = nt ? nt : 1;
  else if (nt && ledger_create_transfers(c->led, tr, nt, 0, NULL, res, &err))
    lerr = nt;
  else
    for (size_t k = 0; k < nt; k++) lerr += res[k] != LEDGER_OK && res[k] != LEDGER_EXISTS;
  sk_free(recs);
  sk_free(tr);
  sk_free(res);
  pthread_mutex_lock(&c->mu);
  c->st.rounds++;
  c->st.items += n;
  c->st.audit_errors += aerr;
  c->st.ledger_errors += lerr;
  pthread_mutex_unlock(&c->mu);
  return nr;
}

/* Makes the records of a round durable: usually a group commit already carried them. */
static void sync_round(gate_committer *c, uint64_t seq, size_t n) {
  if (audit_size(c->audit) > seq) return; /* carried by an "admitted" group commit */
  sk_err err;
  int rc = audit_sync(c->audit, seq, &err);
  pthread_mutex_lock(&c->mu);
  if (rc) c->st.audit_errors += n;
  c->st.audit_syncs++;
  pthread_mutex_unlock(&c->mu);
}

static struct timespec deadline_in_ms(long ms) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  t.tv_nsec += ms * 1000000L;
  while (t.tv_nsec >= 1000000000L) t.tv_sec++, t.tv_nsec -= 1000000000L;
  return t;
}

static void *run(void *arg) {
  gate_committer *c = arg;
  size_t unsynced = 0;  /* audit records of the last round not yet known durable */
  uint64_t unsynced_seq = 0;
  pthread_mutex_lock(&c->mu);
  for (;;) {
    /* idle: the last round's records get at most one linger to ride on an "admitted" sync */
    while (!c->head && !c->stop) {
      if (!unsynced) {
        pthread_cond_wait(&c->work, &c->mu);
        continue;
      }
      struct timespec until = deadline_in_ms(GATE_COMMIT_LINGER_MS);
      if (pthread_cond_timedwait(&c->work, &c->mu, &until) && !c->head) {
        pthread_mutex_unlock(&c->mu);
        sync_round(c, unsynced_seq, unsynced);
        unsynced = 0;
        pthread_mutex_lock(&c->mu);
      }
    }
    if (!c->head && c->stop) break;
    /* linger: let the round fill up (pushers only wake us when it is full or we stop) */
    struct timespec until = deadline_in_ms(GATE_COMMIT_LINGER_MS);
    c->lingering = 1;
    while (!c->stop && c->queued < GATE_COMMIT_FULL_ROUND)
      if (pthread_cond_timedwait(&c->work, &c->mu, &until)) break;
    c->lingering = 0;
    item *list = c->head, *last = list;
    size_t n = 1;
    while (last->next && n < GATE_COMMIT_MAX_ROUND) last = last->next, n++;
    c->head = last->next;
    if (!c->head) c->tail = NULL;
    last->next = NULL;
    c->queued -= n;
    pthread_cond_broadcast(&c->space);
    pthread_mutex_unlock(&c->mu);
    uint64_t seq = 0;
    size_t nr = write_round(c, list, n, &seq);
    /* the previous round's records have had a whole linger to ride on a group commit */
    if (unsynced) sync_round(c, unsynced_seq, unsynced);
    unsynced = nr, unsynced_seq = seq;
    while (list) {
      item *nx = list->next;
      free(list->json);
      sk_free(list);
      list = nx;
    }
    pthread_mutex_lock(&c->mu);
  }
  pthread_mutex_unlock(&c->mu);
  if (unsynced) sync_round(c, unsynced_seq, unsynced);
  return NULL;
}

int gate_committer_start(audit_log *a, ledger *l, gate_committer **out, sk_err *err) {
  *out = NULL;
  gate_committer *c = sk_calloc(1, sizeof *c);
  if (!c) return sk_err_set(err, SK_ENOMEM, "out of memory");
  c->audit = a;
  c->led = l;
  pthread_mutex_init(&c->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* the linger deadline ignores wall-clock steps */
  pthread_cond_init(&c->work, &ca);
  pthread_condattr_destroy(&ca);
  pthread_cond_init(&c->space, NULL);
  if (pthread_create(&c->th, NULL, run, c)) {
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->work);
    pthread_cond_destroy(&c->space);
    sk_free(c);
    return sk_err_set(err, SK_EIO, "cannot start the committer thread");
  }
  *out = c;
  return 0;
}

void gate_committer_stop(gate_committer *c) {
  if (!c) return;
  pthread_mutex_lock(&c->mu);
  c->stop = 1;
  pthread_cond_signal(&c->work);
  pthread_mutex_unlock(&c->mu);
  pthread_join(c->th, NULL);
  pthread_mutex_destroy(&c->mu);
  pthread_cond_destroy(&c->work);
  pthread_cond_destroy(&c->space);
  sk_free(c);
}

int gate_committer_push(gate_committer *c, char *json, const ledger_transfer *tr, size_t n) {
  item *it = sk_calloc(1, sizeof *it);
  if (!it) {
    free(json);
    return SK_ENOMEM;
  }
  it->json = json;
  it->n_tr = n < 2 ? n : 2;
  if (it->n_tr) memcpy(it->tr, tr, it->n_tr * sizeof *tr);
  pthread_mutex_lock(&c->mu);
  while (c->queued >= GATE_COMMIT_MAX_QUEUE && !c->stop) pthread_cond_wait(&c->space, &c->mu);
  if (c->tail) c->tail->next = it;
  else c->head = it;
  c->tail = it;
  c->queued++;
  if (!c->lingering || c->queued >= GATE_COMMIT_FULL_ROUND) pthread_cond_signal(&c->work);
  pthread_mutex_unlock(&c->mu);
  return 0;
}

void gate_committer_stats(gate_committer *c, gate_commit_stats *out) {
  pthread_mutex_lock(&c->mu);
  *out = c->st;
  pthread_mutex_unlock(&c->mu);
}
