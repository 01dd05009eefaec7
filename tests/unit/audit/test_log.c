/* Audit log tests: append/read/proofs, tamper detection (every byte, delete, reorder, insert,
 * rewrite-with-recomputed-hashes, truncation), checkpoints, group commit, fault injection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include "audit/checkpoint.h"
#include "audit/log.h"
#include "audit/merkle.h"
#include "audit/verify.h"
#include "audit_test_util.h"
#include "base/alloc.h"

#define N_RECORDS 20

static void append_n(audit_log *log, int n, int start) {
  for (int i = 0; i < n; i++) {
    char js[256];
    snprintf(js, sizeof js,
             "{\"kind\":\"completed\",\"tenant\":\"t%d\",\"model\":\"m%d\",\"decision\":\"allow\","
             "\"pii\":{\"PHONE\":%d},\"tokens_in\":%d,\"request_id\":\"r%d\"}",
             (start + i) % 3, (start + i) % 2, (start + i) % 4, 10 + start + i, start + i);
    uint64_t seq = 0;
    sk_err e;
    assert_int_equal(audit_append(log, js, &seq, &e), SK_OK);
    assert_int_equal(seq, (uint64_t)(start + i));
  }
}

static void make_log(char *dir, size_t n, int records) {
  tu_tmpdir(dir, n);
  audit_log *log;
  sk_err e;
  assert_int_equal(audit_open(dir, NULL, &log, &e), SK_OK);
  append_n(log, records, 0);
  audit_close(log);
}

static int verify_dir(const char *dir, audit_verify_result *r) {
  sk_err e;
  int rc = audit_verify(dir, 0, r, &e);
  assert_int_equal(rc, SK_OK);
  return r->ok;
}

/* Offsets of each frame, found by walking the file. */
static size_t frame_offsets(const unsigned char *b, size_t len, size_t *offs, size_t max) {
  size_t n = 0, p = AUDIT_HEADER_BYTES;
  while (p + 12 <= len && n < max) {
    uint32_t l = (uint32_t)b[p] | (uint32_t)b[p + 1] << 8 | (uint32_t)b[p + 2] << 16 | (uint32_t)b[p + 3] << 24;
    offs[n++] = p;
    p += l + AUDIT_FRAME_OVERHEAD;
  }
  offs[n] = p;
  return n;
}

static void append_read_prove(void **state) {
  (void)state;
  char dir[64];
  make_log(dir, sizeof dir, N_RECORDS);
  audit_log *log;
  sk_err e;
  assert_int_equal(audit_open(dir, NULL, &log, &e), SK_OK);
  assert_int_equal(audit_size(log), N_RECORDS);
  merkle_hash leaves[N_RECORDS], root, r2;
  for (uint64_t i = 0; i < N_RECORDS; i++) {
    char *js;
    size_t len = 0;
    assert_int_equal(audit_read(log, i, &js, &len, &e), SK_OK);
    char want[32];
    snprintf(want, sizeof want, "{\"seq\":%" PRIu64 ",", i);
    assert_memory_equal(js, want, strlen(want));
    assert_non_null(strstr(js, "\"time\":\""));
    merkle_leaf_hash(js, len, &leaves[i]); /* recomputed independently of the stored hash */
    sk_free(js);
  }
  merkle_root(leaves, N_RECORDS, &root);
  assert_int_equal(audit_root(log, N_RECORDS, &r2, &e), SK_OK);
  assert_memory_equal(root.b, r2.b, 32);
  for (uint64_t size = 1; size <= N_RECORDS; size++) {
    merkle_hash rs;
    assert_int_equal(audit_root(log, size, &rs, &e), SK_OK);
    for (uint64_t i = 0; i < size; i++) {
      merkle_proof p;
      assert_int_equal(audit_prove_inclusion(log, i, size, &p, &e), SK_OK);
      assert_int_equal(merkle_verify_inclusion(&leaves[i], i, size, &p, &rs), SK_OK);
    }
    merkle_proof c;
    assert_int_equal(audit_prove_consistency(log, size, N_RECORDS, &c, &e), SK_OK);
    assert_int_equal(merkle_verify_consistency(size, N_RECORDS, &rs, &root, &c), SK_OK);
  }
  char *js;
  assert_int_equal(audit_read(log, N_RECORDS, &js, NULL, &e), SK_ENOTFOUND);
  /* envelope rules */
  assert_int_equal(audit_append(log, "{\"tenant\":\"x\"}", NULL, &e), SK_EFORMAT);
  assert_int_equal(audit_append(log, "{\"kind\":\"x\",\"seq\":4}", NULL, &e), SK_EINVAL);
  assert_int_equal(audit_append(log, "{\"kind\":\"x\",\"pii\":{\"NAME\":\"Tanaka\"}}", NULL, &e), SK_EFORMAT);
  assert_int_equal(audit_append(log, "{\"kind\":\"x\",\"prompt\":\"hello\"}", NULL, &e), SK_EFORMAT);
  assert_int_equal(audit_append(log, "[1,2]", NULL, &e), SK_EFORMAT);
  assert_int_equal(audit_append(log, "{\"kind\":", NULL, &e), SK_EFORMAT);
  assert_int_equal(audit_size(log), N_RECORDS);
  audit_close(log);
  audit_verify_result r;
  assert_true(verify_dir(dir, &r));
  assert_int_equal(r.records, N_RECORDS);
  assert_memory_equal(r.root.b, root.b, 32);
  tu_rm_rf(dir);
}

/* Flip every byte of the file, one at a time: verify must fail and name the record holding it. */
static void tamper_every_byte(void **state) {
  (void)state;
  char dir[64], path[128];
  make_log(dir, sizeof dir, N_RECORDS);
  snprintf(path, sizeof path, "%s/" AUDIT_FILE_NAME, dir);
  size_t len = 0;
  unsigned char *b = tu_slurp(path, &len);
  size_t offs[N_RECORDS + 2];
  assert_int_equal(frame_offsets(b, len, offs, N_RECORDS + 1), N_RECORDS);
  assert_int_equal(offs[N_RECORDS], len);
  audit_verify_result r;
  assert_true(verify_dir(dir, &r));
  for (size_t at = 0; at < len; at++) {
    b[at] ^= 0x01;
    tu_spit(path, b, len);
    if (verify_dir(dir, &r)) fail_msg("flipping byte %zu went unnoticed", at);
    uint64_t want = 0;
    while (want + 1 < N_RECORDS && offs[want + 1] <= at) want++;
    if (r.first_bad != want) {
      fail_msg("byte %zu: first_bad %" PRIu64 ", want %" PRIu64 " (%s)", at, r.first_bad, want, r.reason);
    }
    b[at] ^= 0x01;
  }
  tu_spit(path, b, len);
  assert_true(verify_dir(dir, &r));
  free(b);
  tu_rm_rf(dir);
}

static void tamper_structure(void **state) {
  (void)state;
  char dir[64], path[128];
  make_log(dir, sizeof dir, N_RECORDS);
  snprintf(path, sizeof path, "%s/" AUDIT_FILE_NAME, dir);
  size_t len = 0;
  unsigned char *b = tu_slurp(path, &len);
  unsigned char *t = malloc(len * 2);
  size_t offs[N_RECORDS + 2];
  frame_offsets(b, len, offs, N_RECORDS + 1);
  audit_verify_result r;
  for (size_t k = 0; k + 1 < N_RECORDS; k++) { /* delete record k (the last needs a checkpoint) */
    size_t fl = offs[k + 1] - offs[k];
    memcpy(t, b, offs[k]);
    memcpy(t + offs[k], b + offs[k + 1], len - offs[k + 1]);
    tu_spit(path, t, len - fl);
    assert_false(verify_dir(dir, &r));
    assert_int_equal(r.first_bad, k);
  }
  for (size_t j = 0; j + 1 < N_RECORDS; j++) { /* swap records j and j+1 */
    size_t a = offs[j + 1] - offs[j], c = offs[j + 2] - offs[j + 1];
    memcpy(t, b, len);
    memcpy(t + offs[j], b + offs[j + 1], c);
    memcpy(t + offs[j] + c, b + offs[j], a);
    tu_spit(path, t, len);
    assert_false(verify_dir(dir, &r));
    assert_int_equal(r.first_bad, j);
  }
  for (size_t j = 0; j <= N_RECORDS; j++) { /* insert a copy of record 5 before position j */
    size_t fl = offs[6] - offs[5];
    memcpy(t, b, offs[j]);
    memcpy(t + offs[j], b + offs[5], fl);
    memcpy(t + offs[j] + fl, b + offs[j], len - offs[j]);
    tu_spit(path, t, len + fl);
    assert_false(verify_dir(dir, &r));
    /* a copy of 5 put just before the original is indistinguishable from it: the original is then
     * the first record out of place */
    assert_int_equal(r.first_bad, j == 5 ? 6 : j);
  }
  for (size_t cut = len - 1; cut > offs[N_RECORDS - 1]; cut -= 7) { /* truncate inside the last record */
    tu_spit(path, b, cut);
    assert_false(verify_dir(dir, &r));
    assert_int_equal(r.first_bad, N_RECORDS - 1);
  }
  tu_spit(path, b, len);
  assert_true(verify_dir(dir, &r));
  free(t);
  free(b);
  tu_rm_rf(dir);
}

/* An attacker who rewrites a record AND recomputes its stored hash, or deletes whole trailing
 * records, defeats the per-record checks; the signed checkpoint catches both. */
static void checkpoints_catch_rewrites_and_truncation(void **state) {
  (void)state;
  char dir[64], path[128];
  make_log(dir, sizeof dir, N_RECORDS);
  audit_log *log;
  sk_err e;
  assert_int_equal(audit_open(dir, NULL, &log, &e), SK_OK);
  char *text = NULL;
  assert_int_equal(audit_checkpoint_create(log, &text, &e), SK_OK);
  audit_checkpoint c;
  assert_int_equal(ckpt_parse(text, strlen(text), &c, &e), SK_OK);
  assert_int_equal(c.size, N_RECORDS);
  sign_key pub;
  char sp[PATH_MAX], pp[PATH_MAX];
  audit_key_paths(dir, sp, pp, &e);
  assert_int_equal(sign_load_public(pp, &pub, &e), SK_OK);
  assert_int_equal(ckpt_verify(text, strlen(text), &pub, &e), SK_OK);
  text[40] ^= 1; /* altered checkpoint text */
  assert_int_not_equal(ckpt_verify(text, strlen(text), &pub, &e), SK_OK);
  sk_free(text);
  audit_close(log);

  snprintf(path, sizeof path, "%s/" AUDIT_FILE_NAME, dir);
  size_t len = 0;
  unsigned char *b = tu_slurp(path, &len);
  size_t offs[N_RECORDS + 2];
  frame_offsets(b, len, offs, N_RECORDS + 1);
  audit_verify_result r;
  assert_true(verify_dir(dir, &r));
  assert_int_equal(r.checkpoints, 1);
  /* delete the last record */
  tu_spit(path, b, offs[N_RECORDS - 1]);
  assert_false(verify_dir(dir, &r));
  assert_int_equal(r.first_bad, N_RECORDS - 1);
  /* rewrite record 7's tenant and recompute its leaf hash */
  unsigned char *t = malloc(len);
  memcpy(t, b, len);
  char *rec = (char *)t + offs[7] + 12;
  uint32_t rl = (uint32_t)(offs[8] - offs[7] - AUDIT_FRAME_OVERHEAD);
  char *tn = memmem(rec, rl, "\"tenant\":\"t1\"", 13);
  assert_non_null(tn);
  tn[11] = '2';
  merkle_hash h;
  merkle_leaf_hash(rec, rl, &h);
  memcpy(rec + rl, h.b, 32);
  tu_spit(path, t, len);
  assert_false(verify_dir(dir, &r));
  assert_int_equal(r.first_bad, 0); /* somewhere in [0, 20): the first unproven record */
  assert_non_null(strstr(r.reason, "rewritten"));
  /* a forged checkpoint signature is caught too */
  tu_spit(path, b, len);
  char cp[PATH_MAX];
  snprintf(cp, sizeof cp, "%s/checkpoints/%020d.ckpt", dir, N_RECORDS);
  size_t cl = 0;
  unsigned char *ct = tu_slurp(cp, &cl);
  unsigned char orig = ct[cl - 5];
  ct[cl - 5] = orig == 'A' ? 'B' : 'A';
  tu_spit(cp, ct, cl);
  assert_false(verify_dir(dir, &r));
  ct[cl - 5] = orig;
  tu_spit(cp, ct, cl);
  assert_true(verify_dir(dir, &r));
  free(ct);
  free(t);
  free(b);
  tu_rm_rf(dir);
}

static void witness_cosigns_and_checks_consistency(void **state) {
  (void)state;
  char dir[64];
  make_log(dir, sizeof dir, 5);
  audit_log *log;
  sk_err e;
  assert_int_equal(audit_open(dir, NULL, &log, &e), SK_OK);
  char *c1, *c2;
  assert_int_equal(audit_checkpoint_create(log, &c1, &e), SK_OK);
  append_n(log, 8, 5);
  assert_int_equal(audit_checkpoint_create(log, &c2, &e), SK_OK);
  char wsk[PATH_MAX], wpk[PATH_MAX];
  snprintf(wsk, sizeof wsk, "%s/witness.key", dir);
  snprintf(wpk, sizeof wpk, "%s/witness.pub", dir);
  assert_int_equal(sign_keygen("witness-a", wsk, wpk, &e), SK_OK);
  assert_int_equal(sign_keygen("witness-a", wsk, wpk, &e), SK_EEXIST); /* never overwrites */
  sign_key w, wp;
  assert_int_equal(sign_load_secret(wsk, &w, &e), SK_OK);
  assert_int_equal(sign_load_public(wpk, &wp, &e), SK_OK);
  /* the witness checks c2 extends c1 before cosigning */
  audit_checkpoint a, b;
  assert_int_equal(ckpt_parse(c1, strlen(c1), &a, &e), SK_OK);
  assert_int_equal(ckpt_parse(c2, strlen(c2), &b, &e), SK_OK);
  merkle_proof p;
  assert_int_equal(audit_prove_consistency(log, a.size, b.size, &p, &e), SK_OK);
  assert_int_equal(merkle_verify_consistency(a.size, b.size, &a.root, &b.root, &p), SK_OK);
  char *co;
  assert_int_equal(ckpt_cosign(c2, strlen(c2), &w, &co, &e), SK_OK);
  assert_int_equal(ckpt_verify(co, strlen(co), &wp, &e), SK_OK);
  sign_key lp;
  char sp[PATH_MAX], pp[PATH_MAX];
  audit_key_paths(dir, sp, pp, &e);
  assert_int_equal(sign_load_public(pp, &lp, &e), SK_OK);
  assert_int_equal(ckpt_verify(co, strlen(co), &lp, &e), SK_OK);
  assert_int_equal(ckpt_verify(c1, strlen(c1), &wp, &e), SK_ENOTFOUND);
  sk_free(co);
  sk_free(c1);
  sk_free(c2);
  audit_close(log);
  tu_rm_rf(dir);
}

static void empty_log_checkpoint_verifies(void **state) {
  (void)state;
  char dir[64];
  tu_tmpdir(dir, sizeof dir);
  audit_log *log;
  sk_err e;
  assert_int_equal(audit_open(dir, NULL, &log, &e), SK_OK);
  assert_int_equal(audit_checkpoint_create(log, NULL, &e), SK_OK);
  append_n(log, 3, 0);
  assert_int_equal(audit_checkpoint_create(log, NULL, &e), SK_OK);
  audit_close(log);
  audit_verify_result r;
  assert_true(verify_dir(dir, &r));
  assert_int_equal(r.checkpoints, 2);
  /* a checkpoint whose public key went missing is not silently skipped */
  char pub[PATH_MAX];
  snprintf(pub, sizeof pub, "%s/keys/log.pub", dir);
  assert_int_equal(unlink(pub), 0);
  assert_int_not_equal(audit_verify(dir, 0, &r, &e), SK_OK);
  tu_rm_rf(dir);
}

typedef struct worker {
  audit_log *log;
  int id, n, failures;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  for (int i = 0; i < w->n; i++) {
    char js[128];
    snprintf(js, sizeof js, "{\"kind\":\"admitted\",\"request_id\":\"w%d-%d\"}", w->id, i);
    sk_err e;
    if (audit_append(w->log, js, NULL, &e) != SK_OK) w->failures++;
  }
  return NULL;
}

static void verify_beside_live_writer(void **state) {
  (void)state;
  char dir[64];
  tu_tmpdir(dir, sizeof dir);
  audit_log *log;
  sk_err e;
  assert_int_equal(audit_open(dir, NULL, &log, &e), SK_OK);
  enum { T = 4, PER = 150 };
  pthread_t th[T];
  worker w[T];
  for (int i = 0; i < T; i++) {
    w[i] = (worker){log, i, PER, 0};
    pthread_create(&th[i], NULL, work, &w[i]);
  }
  uint64_t last = 0;
  for (int k = 0; k < 30; k++) {
    audit_verify_result r;
    assert_int_equal(audit_verify(dir, 0, &r, &e), SK_OK);
    if (!r.ok) fail_msg("verify of a live log failed: %s", r.reason);
    assert_true(r.records >= last);
    last = r.records;
  }
  for (int i = 0; i < T; i++) pthread_join(th[i], NULL);
  audit_close(log);
  tu_rm_rf(dir);
}

static void group_commit_shares_syncs(void **state) {
  (void)state;
  char dir[64];
  tu_tmpdir(dir, sizeof dir);
  audit_log *log;
  sk_err e;
  assert_int_equal(audit_open(dir, NULL, &log, &e), SK_OK);
  enum { T = 16, PER = 100 };
  pthread_t th[T];
  worker w[T];
  for (int i = 0; i < T; i++) {
    w[i] = (worker){log, i, PER, 0};
    pthread_create(&th[i], NULL, work, &w[i]);
  }
  for (int i = 0; i < T; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(w[i].failures, 0);
  }
  audit_stats st;
  audit_get_stats(log, &st);
  assert_int_equal(st.records, T * PER);
  assert_true(st.syncs < T * PER); /* at least some appends shared a sync */
  audit_close(log);
  audit_verify_result r;
  assert_true(verify_dir(dir, &r));
  assert_int_equal(r.records, T * PER);
  tu_rm_rf(dir);
}

/* A crash between write and sync can leave any prefix of the last frame: open drops it. */
static void torn_tail_recovered(void **state) {
  (void)state;
  char dir[64], path[128];
  make_log(dir, sizeof dir, 4);
  snprintf(path, sizeof path, "%s/" AUDIT_FILE_NAME, dir);
  size_t len = 0;
  unsigned char *b = tu_slurp(path, &len);
  size_t offs[8] = {0};
  assert_true(frame_offsets(b, len, offs, 6) >= 4);
  for (size_t cut = offs[3] + 1; cut < len; cut++) {
    tu_spit(path, b, cut);
    audit_log *log;
    sk_err e;
    assert_int_equal(audit_open(dir, NULL, &log, &e), SK_OK);
    assert_int_equal(audit_size(log), 3);
    audit_stats st;
    audit_get_stats(log, &st);
    assert_int_equal(st.recovered_bytes, cut - offs[3]);
    append_n(log, 1, 3);
    audit_close(log);
    audit_verify_result r;
    assert_true(verify_dir(dir, &r));
    assert_int_equal(r.records, 4);
  }
  /* a "complete" last frame whose bytes never reached the disk (zeros after a power cut) */
  unsigned char *z = malloc(len);
  memcpy(z, b, len);
  memset(z + offs[3] + 12, 0, len - offs[3] - 12 - 32);
  tu_spit(path, z, len);
  {
    audit_log *log;
    sk_err e;
    assert_int_equal(audit_open(dir, NULL, &log, &e), SK_OK);
    assert_int_equal(audit_size(log), 3);
    audit_close(log);
    audit_verify_result r;
    assert_true(verify_dir(dir, &r));
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls %s/" AUDIT_FILE_NAME ".torn-* >/dev/null", dir);
    assert_int_equal(system(cmd), 0); /* the cut bytes were kept */
  }
  free(z);
  /* damage in the middle is not "torn": open refuses to append after it (fail closed), both for
   * a broken frame and for content that no longer matches its hash */
  audit_log *log;
  sk_err e;
  b[offs[1] + 20] ^= 0x40;
  tu_spit(path, b, len);
  assert_int_equal(audit_open(dir, NULL, &log, &e), SK_ECORRUPT);
  b[offs[1] + 20] ^= 0x40;
  b[offs[1] + 5] ^= 0x40;
  tu_spit(path, b, len);
  assert_int_equal(audit_open(dir, NULL, &log, &e), SK_ECORRUPT);
  free(b);
  tu_rm_rf(dir);
}

/* Writes `len` bytes of b as DIR/records.log in a fresh directory (an image of a crashed log). */
static void image(char *dir, size_t n, const unsigned char *b, size_t len) {
  char path[128];
  tu_tmpdir(dir, n);
  snprintf(path, sizeof path, "%s/" AUDIT_FILE_NAME, dir);
  tu_spit(path, b, len);
}

/* The preallocated zero tail: present while the writer runs (and after a crash), trimmed by
 * close; verify and recovery stop at the all-zero header and insist that only zeros follow. */
static void preallocated_tail(void **state) {
  (void)state;
  char dir[64], path[128], img[64];
  make_log(dir, sizeof dir, 4);
  snprintf(path, sizeof path, "%s/" AUDIT_FILE_NAME, dir);
  audit_log *log;
  sk_err e;
  assert_int_equal(audit_open(dir, NULL, &log, &e), SK_OK);
  append_n(log, 3, 4);
  size_t len = 0;
  unsigned char *b = tu_slurp(path, &len); /* what a crash now would leave */
  size_t offs[10] = {0};
  assert_int_equal(frame_offsets(b, len, offs, 7), 7);
  assert_true(len >= offs[5] + AUDIT_PREALLOC_MIN); /* preallocated */
  for (size_t i = offs[7]; i < len; i++) assert_int_equal(b[i], 0);
  audit_verify_result r;
  assert_true(verify_dir(dir, &r)); /* beside the live writer */
  assert_int_equal(r.records, 7);
  audit_close(log);
  size_t closed_len = 0;
  free(tu_slurp(path, &closed_len));
  assert_int_equal(closed_len, offs[7]); /* trimmed */
  /* the crash image verifies and reopens as is */
  image(img, sizeof img, b, len);
  assert_true(verify_dir(img, &r));
  assert_int_equal(r.records, 7);
  assert_int_equal(audit_open(img, NULL, &log, &e), SK_OK);
  assert_int_equal(audit_size(log), 7);
  append_n(log, 1, 7);
  audit_close(log);
  assert_true(verify_dir(img, &r));
  assert_int_equal(r.records, 8);
  tu_rm_rf(img);
  /* a stray byte in the tail (writes are sequential: no crash leaves one): verify names the
   * record after the last, open fails closed */
  b[len - 100] = 'x';
  image(img, sizeof img, b, len);
  assert_false(verify_dir(img, &r));
  assert_int_equal(r.first_bad, 7);
  assert_int_equal(audit_open(img, NULL, &log, &e), SK_ECORRUPT);
  tu_rm_rf(img);
  b[len - 100] = 0;
  /* a write cut short inside the tail (the header of record 7 half there): torn, recovered */
  unsigned char *t = malloc(len);
  memcpy(t, b, len);
  memcpy(t + offs[7], b + offs[6], 6); /* a copy of a header's first 6 bytes: wrong seq */
  image(img, sizeof img, t, len);
  assert_int_equal(audit_open(img, NULL, &log, &e), SK_OK);
  assert_int_equal(audit_size(log), 7);
  audit_close(log);
  assert_true(verify_dir(img, &r));
  tu_rm_rf(img);
  free(t);
  /* a zeroed header in the middle is not the end: verify names it, open refuses */
  memset(b + offs[2], 0, 12);
  image(img, sizeof img, b, len);
  assert_false(verify_dir(img, &r));
  assert_int_equal(r.first_bad, 2);
  assert_int_equal(audit_open(img, NULL, &log, &e), SK_ECORRUPT);
  tu_rm_rf(img);
  free(b);
  tu_rm_rf(dir);
}

typedef struct until_fail {
  audit_log *log;
  int acked;
  int last_rc;
} until_fail;

static void *append_until_fail(void *arg) {
  until_fail *u = arg;
  for (int i = 0; i < 1000; i++) {
    sk_err e;
    u->last_rc = audit_append(u->log, "{\"kind\":\"x\",\"tenant\":\"t\"}", NULL, &e);
    if (u->last_rc != SK_OK) break;
    u->acked++;
  }
  return NULL;
}

/* A sync failing under concurrent appends: every appender gets the error (none hangs waiting for
 * a commit that will never come, none is told a lost record is durable), and exactly the
 * acknowledged records are counted durable. */
static void failed_sync_under_concurrency(void **state) {
  (void)state;
  char dir[64];
  tu_tmpdir(dir, sizeof dir);
  audit_opts o = {.fail_sync_after = 20};
  audit_log *log;
  sk_err e;
  assert_int_equal(audit_open(dir, &o, &log, &e), SK_OK);
  enum { T = 16 };
  pthread_t th[T];
  until_fail u[T];
  for (int i = 0; i < T; i++) {
    u[i] = (until_fail){log, 0, SK_OK};
    pthread_create(&th[i], NULL, append_until_fail, &u[i]);
  }
  int acked = 0;
  for (int i = 0; i < T; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(u[i].last_rc, SK_EIO);
    acked += u[i].acked;
  }
  assert_int_equal(audit_size(log), (uint64_t)acked);
  audit_close(log);
  assert_int_equal(audit_open(dir, NULL, &log, &e), SK_OK);
  assert_true(audit_size(log) >= (uint64_t)acked);
  audit_close(log);
  audit_verify_result r;
  assert_true(verify_dir(dir, &r));
  tu_rm_rf(dir);
}

static void failed_sync_poisons_log(void **state) {
  (void)state;
  char dir[64];
  tu_tmpdir(dir, sizeof dir);
  audit_opts o = {.fail_sync_after = 2};
  audit_log *log;
  sk_err e;
  assert_int_equal(audit_open(dir, &o, &log, &e), SK_OK);
  assert_int_equal(audit_append(log, "{\"kind\":\"a\"}", NULL, &e), SK_OK);
  assert_int_equal(audit_append(log, "{\"kind\":\"b\"}", NULL, &e), SK_EIO);
  assert_int_equal(audit_append(log, "{\"kind\":\"c\"}", NULL, &e), SK_EIO);
  assert_int_equal(audit_size(log), 1);
  audit_close(log);
  assert_int_equal(audit_open(dir, NULL, &log, &e), SK_OK);
  assert_true(audit_size(log) >= 1); /* "b" was written but never acknowledged: may survive */
  audit_close(log);
  audit_verify_result r;
  assert_true(verify_dir(dir, &r));
  /* allocation failures surface as errors, never as partial state */
  assert_int_equal(audit_open(dir, NULL, &log, &e), SK_OK);
  uint64_t before = audit_size(log);
  for (long nth = 1; nth < 8; nth++) {
    sk_alloc_fail_after(nth);
    int rc = audit_append(log, "{\"kind\":\"oom\"}", NULL, &e);
    sk_alloc_fail_after(0);
    if (rc == SK_OK) before++;
    else assert_int_equal(rc, SK_ENOMEM);
    assert_int_equal(audit_size(log), before);
  }
  audit_close(log);
  assert_true(verify_dir(dir, &r));
  tu_rm_rf(dir);
}

/* Records appended without waiting are invisible until a group commit carries them (another
 * appender's, audit_sync's, or close's), then verify like any other; a failed sync is reported
 * to audit_sync and poisons the log as usual. */
static void nowait_rides_on_group_commit(void **state) {
  (void)state;
  char dir[64];
  tu_tmpdir(dir, sizeof dir);
  audit_log *log;
  sk_err e;
  assert_int_equal(audit_open(dir, NULL, &log, &e), SK_OK);
  append_n(log, 2, 0);
  const char *three[] = {"{\"kind\":\"completed\",\"request_id\":\"a\"}", "{\"kind\":\"completed\",\"request_id\":\"b\"}",
                         "{\"kind\":\"denied\",\"request_id\":\"c\"}"};
  uint64_t last = 0;
  assert_int_equal(audit_append_batch_nowait(log, three, 3, &last, &e), SK_OK);
  assert_int_equal(last, 4);
  assert_int_equal(audit_size(log), 2); /* not durable, not visible */
  char *js = NULL;
  size_t len = 0;
  assert_int_not_equal(audit_read(log, 3, &js, &len, &e), SK_OK);
  audit_stats st;
  audit_get_stats(log, &st);
  uint64_t syncs = st.syncs;
  assert_int_equal(st.deferred, 3);
  uint64_t seq = 0;
  assert_int_equal(audit_append(log, "{\"kind\":\"admitted\",\"request_id\":\"d\"}", &seq, &e), SK_OK);
  assert_int_equal(seq, 5);
  assert_int_equal(audit_size(log), 6); /* one sync carried all four */
  audit_get_stats(log, &st);
  assert_int_equal(st.syncs, syncs + 1);
  assert_int_equal(audit_read(log, 4, &js, &len, &e), SK_OK);
  assert_non_null(strstr(js, "\"request_id\":\"c\""));
  sk_free(js);
  assert_int_equal(audit_sync(log, 3, &e), SK_OK); /* already durable: no sync */
  audit_get_stats(log, &st);
  assert_int_equal(st.syncs, syncs + 1);
  assert_int_equal(audit_append_batch_nowait(log, three, 2, &last, &e), SK_OK);
  assert_int_equal(last, 7);
  assert_int_equal(audit_sync(log, 8, &e), SK_EINVAL); /* never appended */
  assert_int_equal(audit_sync(log, 6, &e), SK_OK);      /* one flush writes everything pending */
  assert_int_equal(audit_size(log), 8);
  assert_int_equal(audit_append_batch_nowait(log, three, 1, NULL, &e), SK_OK);
  audit_close(log); /* writes the pending record */
  assert_int_equal(audit_open(dir, NULL, &log, &e), SK_OK);
  assert_int_equal(audit_size(log), 9);
  audit_close(log);
  audit_verify_result r;
  assert_true(verify_dir(dir, &r));
  assert_int_equal(r.records, 9);
  /* a failed sync: audit_sync reports it, the log refuses from then on */
  tu_tmpdir(dir, sizeof dir);
  audit_opts o = {.fail_sync_after = 1};
  assert_int_equal(audit_open(dir, &o, &log, &e), SK_OK);
  assert_int_equal(audit_append_batch_nowait(log, three, 1, &last, &e), SK_OK);
  assert_int_equal(audit_sync(log, last, &e), SK_EIO);
  assert_int_equal(audit_sync(log, last, &e), SK_EIO);
  assert_int_equal(audit_append_batch_nowait(log, three, 1, &last, &e), SK_EIO);
  assert_int_equal(audit_size(log), 0);
  audit_close(log);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(append_read_prove),
      cmocka_unit_test(tamper_every_byte),
      cmocka_unit_test(tamper_structure),
      cmocka_unit_test(checkpoints_catch_rewrites_and_truncation),
      cmocka_unit_test(witness_cosigns_and_checks_consistency),
      cmocka_unit_test(empty_log_checkpoint_verifies),
      cmocka_unit_test(group_commit_shares_syncs),
      cmocka_unit_test(verify_beside_live_writer),
      cmocka_unit_test(torn_tail_recovered),
      cmocka_unit_test(failed_sync_poisons_log),
      cmocka_unit_test(failed_sync_under_concurrency),
      cmocka_unit_test(preallocated_tail),
      cmocka_unit_test(nowait_rides_on_group_commit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
