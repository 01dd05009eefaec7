/* Crash test: a writer process with concurrent appenders is killed with SIGKILL at a random
 * moment; every record it acknowledged must be present (with its content) after restart, and the
 * log must verify. Also: sealing and crypto-shredding keep the tree verifiable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "audit/log.h"
#include "audit/seal.h"
#include "audit/verify.h"
#include "audit_test_util.h"
#include "base/alloc.h"

enum { THREADS = 8, ROUNDS = 3 };

typedef struct child_worker {
  audit_log *log;
  int id, fd;
} child_worker;

static void *child_work(void *arg) {
  child_worker *w = arg;
  for (int i = 0;; i++) {
    char js[128];
    snprintf(js, sizeof js, "{\"kind\":\"admitted\",\"request_id\":\"w%d-%d\"}", w->id, i);
    uint64_t seq;
    sk_err e;
    if (audit_append(w->log, js, &seq, &e) != SK_OK) _exit(3);
    char ack[64];
    int n = snprintf(ack, sizeof ack, "%" PRIu64 " w%d-%d\n", seq, w->id, i);
    if (write(w->fd, ack, (size_t)n) != n) _exit(4); /* < PIPE_BUF: atomic */
  }
  return NULL;
}

static void sigkill_loses_no_acknowledged_record(void **state) {
  (void)state;
  char dir[64];
  tu_tmpdir(dir, sizeof dir);
  for (int round = 0; round < ROUNDS; round++) {
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      close(p[0]);
      audit_log *log;
      sk_err e;
      if (audit_open(dir, NULL, &log, &e) != SK_OK) _exit(2);
      pthread_t th[THREADS];
      child_worker w[THREADS];
      for (int i = 0; i < THREADS; i++) {
        w[i] = (child_worker){log, round * 100 + i, p[1]};
        pthread_create(&th[i], NULL, child_work, &w[i]);
      }
      for (;;) pause();
    }
    close(p[1]);
    /* Kill only after the first acknowledgement: on a loaded machine opening the log and the first
     * fsync can take longer than the fixed delay, and a round with nothing acknowledged proves
     * nothing. */
    struct pollfd pfd = {.fd = p[0], .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 30000), 1);
    struct timespec ts = {0, (50 + 40 * round) * 1000000L};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status));
    /* collect every acknowledgement the child managed to send */
    size_t cap = 1 << 20, len = 0;
    char *acks = malloc(cap);
    ssize_t n;
    while ((n = read(p[0], acks + len, cap - len - 1)) > 0) {
      len += (size_t)n;
      if (len + 1 >= cap) acks = realloc(acks, cap *= 2);
    }
    acks[len] = '\0';
    close(p[0]);
    audit_log *log;
    sk_err e;
    assert_int_equal(audit_open(dir, NULL, &log, &e), SK_OK); /* recovers */
    uint64_t size = audit_size(log), nacks = 0;
    char *save = NULL;
    for (char *line = strtok_r(acks, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
      uint64_t seq;
      char rid[32], want[48];
      if (sscanf(line, "%" SCNu64 " %31s", &seq, rid) != 2) continue; /* a torn last line */
      nacks++;
      if (seq >= size) fail_msg("acknowledged record %" PRIu64 " lost (log has %" PRIu64 ")", seq, size);
      char *js;
      assert_int_equal(audit_read(log, seq, &js, NULL, &e), SK_OK);
      snprintf(want, sizeof want, "\"request_id\":\"%s\"", rid);
      if (!strstr(js, want)) fail_msg("record %" PRIu64 " is %s, expected %s", seq, js, want);
      sk_free(js);
    }
    assert_true(nacks > 0);
    audit_close(log);
    free(acks);
    audit_verify_result r;
    assert_int_equal(audit_verify(dir, 0, &r, &e), SK_OK);
    if (!r.ok) fail_msg("verify after crash: %s", r.reason);
    print_message("round %d: %" PRIu64 " acknowledged, %" PRIu64 " in the log after restart\n", round, nacks, size);
  }
  tu_rm_rf(dir);
}

static void shredding_keeps_tree_verifiable(void **state) {
  (void)state;
  char dir[64];
  tu_tmpdir(dir, sizeof dir);
  audit_log *log;
  sk_err e;
  assert_int_equal(audit_open(dir, NULL, &log, &e), SK_OK);
  uint64_t s1, s2;
  assert_int_equal(audit_append(log,
                                "{\"kind\":\"admitted\",\"subject\":\"user-42\",\"personal\":{\"email\":"
                                "\"taro@example.jp\"}}",
                                &s1, &e),
                   SK_OK);
  assert_int_equal(audit_append(log, "{\"kind\":\"admitted\",\"subject\":\"user-7\",\"personal\":\"hanako\"}", &s2, &e),
                   SK_OK);
  assert_int_equal(audit_append(log, "{\"kind\":\"admitted\",\"personal\":\"x\"}", NULL, &e), SK_EFORMAT);
  char *js;
  assert_int_equal(audit_read(log, s1, &js, NULL, &e), SK_OK);
  assert_null(strstr(js, "taro")); /* never in clear */
  assert_null(strstr(js, "user-42"));
  json_t *rec = json_loads(js, 0, NULL);
  sk_free(js);
  json_t *personal = NULL;
  assert_int_equal(seal_open(dir, json_object_get(rec, "sealed"), &personal, &e), SK_OK);
  assert_string_equal(json_string_value(json_object_get(personal, "email")), "taro@example.jp");
  json_decref(personal);
  /* tampering with the ciphertext is caught by the AEAD */
  json_t *sealed = json_deep_copy(json_object_get(rec, "sealed"));
  char ct[512];
  snprintf(ct, sizeof ct, "%s", json_string_value(json_object_get(sealed, "ct")));
  ct[3] = ct[3] == 'A' ? 'B' : 'A';
  json_object_set_new(sealed, "ct", json_string(ct));
  assert_int_equal(seal_open(dir, sealed, &personal, &e), SK_ECORRUPT);
  json_decref(sealed);
  /* shred user-42: unreadable, user-7 still readable, the log verifies */
  assert_int_equal(seal_shred(dir, "user-42", &e), SK_OK);
  assert_int_equal(seal_shred(dir, "user-42", &e), SK_ENOTFOUND);
  assert_int_equal(seal_open(dir, json_object_get(rec, "sealed"), &personal, &e), SK_ENOTFOUND);
  json_decref(rec);
  assert_int_equal(audit_read(log, s2, &js, NULL, &e), SK_OK);
  rec = json_loads(js, 0, NULL);
  sk_free(js);
  assert_int_equal(seal_open(dir, json_object_get(rec, "sealed"), &personal, &e), SK_OK);
  assert_string_equal(json_string_value(personal), "hanako");
  json_decref(personal);
  json_decref(rec);
  audit_close(log);
  audit_verify_result r;
  assert_int_equal(audit_verify(dir, 0, &r, &e), SK_OK);
  assert_true(r.ok);
  assert_int_equal(r.records, 2);
  tu_rm_rf(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(sigkill_loses_no_acknowledged_record),
      cmocka_unit_test(shredding_keeps_tree_verifiable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
