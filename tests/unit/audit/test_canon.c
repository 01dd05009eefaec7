/* The fast canonical-JSON path (canon.c, record_prepare) against the jansson reference: same
 * acceptance, same bytes. Hand-picked edge cases, then generated and mutated documents. */
#include <inttypes.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "audit/canon.h"
#include "audit/log.h"
#include "audit/record.h"
#include "base/alloc.h"

/* Sealing would write keys: give both paths a directory that cannot exist, so "personal"
 * records fail the same way on both. */
#define NO_DIR "/dev/null/no-audit-dir"

/* jansson's canonical form, or NULL when it refuses the input. */
static char *ref_canon(const char *js, size_t len) {
  json_error_t je;
  json_t *v = json_loadb(js, len, JSON_REJECT_DUPLICATES, &je);
  if (!v) return NULL;
  char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(v);
  return s;
}

/* Compares canon with jansson on one document; returns 1 when both accepted it. */
static int same_as_jansson(const char *js, size_t len) {
  char *want = ref_canon(js, len);
  canon_doc d;
  canon_init(&d);
  sk_err e;
  int rc = canon_parse(&d, js, len, CANON_MAX_DEPTH, &e);
  int accepted = 0;
  if (want && rc != SK_OK) fail_msg("canon refused what jansson accepts: %.*s (%s)", (int)len, js, e.msg);
  if (!want && rc == SK_OK) fail_msg("canon accepted what jansson refuses: %.*s", (int)len, js);
  if (want) {
    sk_buf b;
    sk_buf_init(&b, 1u << 24);
    assert_int_equal(canon_dump(&d, 0, &b), SK_OK);
    if (b.len != strlen(want) || memcmp(b.data, want, b.len) != 0)
      fail_msg("input  %.*s\ncanon  %.*s\njansson %s", (int)len, js, (int)b.len, b.data, want);
    sk_buf_release(&b);
    free(want);
    accepted = 1;
  }
  canon_release(&d);
  return accepted;
}

/* record_prepare (fast) against record_prepare_slow (jansson) on one record. */
static int same_record(const char *js) {
  char *a = NULL, *b = NULL;
  size_t al = 0, bl = 0;
  sk_err ea, eb;
  int ra = record_prepare(NO_DIR, js, &a, &al, &ea), rb = record_prepare_slow(NO_DIR, js, &b, &bl, &eb);
  if ((ra == SK_OK) != (rb == SK_OK))
    fail_msg("record %s\nfast rc %d (%s)\nslow rc %d (%s)", js, ra, ra ? ea.msg : "", rb, rb ? eb.msg : "");
  if (ra == SK_OK && (al != bl || memcmp(a, b, al) != 0)) fail_msg("record %s\nfast %s\nslow %s", js, a, b);
  sk_free(a);
  sk_free(b);
  return ra == SK_OK;
}

static const char *const k_docs[] = {
    "{}", "[]", " { } ", "[1,2,3]", "{\"b\":1,\"a\":2,\"c\":{\"z\":[],\"y\":{}}}",
    "{\"a\":1,\"a\":2}", "{\"a\":{\"x\":1,\"x\":1}}", "[{\"a\":1,\"b\":2},{\"b\":1,\"a\":2}]",
    "[0,-0,1,-1,9223372036854775807,-9223372036854775808]", "[9223372036854775808]", "[-9223372036854775809]",
    "[0.0123,1e5,1E5,1e+5,1e-5,1e300,1e-300,-0.0,0.1,1.5,1e16,1e17,123456789012345678.0,5e-324,1e-400]",
    "[1e400]", "[-1e400]", "[01]", "[1.]", "[.5]", "[1e]", "[1e+]", "[-]", "[+1]", "[0x10]", "[1.e5]",
    "[\"\\u001f\\u007f/\\/\\b\\f\\n\\r\\t\\\"\\\\\"]", "[\"\\u00e9\\u3042\\ud83d\\ude00\"]", "[\"\\ud83d\"]",
    "[\"\\ude00\"]", "[\"\\ud83d\\u0041\"]", "[\"\\u0000\"]", "[\"\\x\"]", "[\"\\u12\"]", "[\"\\u12G4\"]",
    "[\"a\tb\"]", "[\"unterminated]", "[\"\xc3\xa9\xe3\x81\x82\xf0\x9f\x98\x80\"]", "[\"\xc3\"]", "[\"\xc0\x80\"]",
    "[\"\xed\xa0\x80\"]", "[\"\xf4\x90\x80\x80\"]", "[\"\xe0\x80\x80\"]", "[\"\xf0\x80\x80\x80\"]", "[\"\xff\"]",
    "[\x80]", "[true,false,null]", "[tru]", "[truex]", "[nul]", "[True]", "{\"a\":1,}", "[1,]", "[,1]",
    "{\"a\" 1}", "{a:1}", "{\"a\":1}x", "{\"a\":1} ", "\t\r\n{\"a\":1}\n", "1", "\"str\"", "null", "",
    "   ", "{", "[", "{\"\":0}", "{\"\\u00e9\":1,\"e\":2,\"\\\"\":3,\"\\\\\":4,\"\\n\":5}",
    "{\"b\":1,\"ba\":2,\"a\":3,\"ab\":4,\"\\u00ff\":5,\"\\u0100\":6}", "[[[[[[[[[[]]]]]]]]]]",
    "{\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9,\"k0\":0,\"ka\":10}",
    "{\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9,\"k0\":0,\"k1\":10}",
};

static void edge_cases_match_jansson(void **state) {
  (void)state;
  int accepted = 0;
  for (size_t i = 0; i < sizeof k_docs / sizeof k_docs[0]; i++)
    accepted += same_as_jansson(k_docs[i], strlen(k_docs[i]));
  printf("edge cases: %d of %zu accepted by both\n", accepted, sizeof k_docs / sizeof k_docs[0]);
  assert_true(accepted >= 15); /* the list exercises both sides */
  /* an embedded NUL: length-delimited input */
  assert_int_equal(same_as_jansson("[\"a\0b\"]", 7), 0);
}

static const char *const k_records[] = {
    "{\"kind\":\"completed\",\"tenant\":\"t\",\"pii\":{\"PHONE_JP\":1,\"PERSON\":2},\"cost\":0.0123,"
    "\"tokens_in\":5,\"external\":true,\"legal_basis\":\"consent\"}",
    "{\"kind\":\"k\",\"grounding\":{\"supported\":1,\"chunks\":3}}", "{\"kind\":\"k\",\"grounding\":{\"other\":1}}",
    "{\"kind\":\"k\",\"grounding\":{\"supported\":-1}}", "{\"kind\":\"k\",\"pii\":{\"NAME\":\"Tanaka\"}}",
    "{\"kind\":\"k\",\"pii\":[]}", "{\"kind\":\"k\",\"tokens_in\":-1}", "{\"kind\":\"k\",\"tokens_in\":1.0}",
    "{\"kind\":\"k\",\"cost\":1}", "{\"kind\":\"k\",\"cost\":\"1\"}", "{\"kind\":\"k\",\"external\":null}",
    "{\"kind\":\"k\",\"prompt_sha256\":\"" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}",
    "{\"kind\":\"k\",\"prompt_sha256\":\"" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\"}",
    "{\"kind\":\"k\",\"prompt_sha256\":\"0123\"}", "{\"kind\":\"k\",\"seq\":1}", "{\"kind\":\"k\",\"time\":\"x\"}",
    "{\"kind\":\"k\",\"prompt\":\"hello\"}", "{\"kind\":1}", "{\"tenant\":\"x\"}", "[1]", "{\"kind\":",
    "{\"kind\":\"k\",\"extra\":{\"deep\":[[[[[[[[[[[[[[1]]]]]]]]]]]]]}}",
    "{\"kind\":\"k\",\"extra\":{\"deep\":[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]}}",
    "{\"kind\":\"k\",\"extra\":{\"deep\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}}", "{\"kind\":\"k\",\"extra\":[]}",
    "{\"kind\":\"k\",\"subject\":\"s\"}", "{\"kind\":\"k\",\"subject\":\"s\",\"personal\":{\"n\":1}}",
    "{\"kind\":\"k\",\"personal\":1}", "{\"kind\":\"k\",\"kind\":\"k\"}", "{\"kind\":\"\\u3042\\n\"}",
    "{\"extra\":{\"z\":1,\"a\":[1.5,\"x\",null]},\"kind\":\"k\",\"decision\":\"allow\"}",
};

static void records_match_jansson_path(void **state) {
  (void)state;
  int accepted = 0;
  for (size_t i = 0; i < sizeof k_records / sizeof k_records[0]; i++) accepted += same_record(k_records[i]);
  printf("records: %d of %zu accepted by both\n", accepted, sizeof k_records / sizeof k_records[0]);
  assert_true(accepted >= 6);
}

/* xorshift: a fixed sequence, so a failure reproduces */
static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return g_rng;
}

static void gen_str(sk_buf *b) {
  static const char *const parts[] = {"a", "b", "ab", "\\n", "\\u00e9", "\xe3\x81\x82", "\\\"", "\\\\",
                                      "\\u001f", "\\ud83d\\ude00", "/", "\\/", "k", "\xc3\xa9", " "};
  sk_buf_append_byte(b, '"');
  for (int n = (int)(rnd() % 4); n-- > 0;) sk_buf_append_str(b, parts[rnd() % (sizeof parts / sizeof parts[0])]);
  sk_buf_append_byte(b, '"');
}

static void gen_value(sk_buf *b, int depth) {
  static const char *const nums[] = {"0", "-0", "7", "-12", "0.5", "1e3", "-2.5E-3", "1e21", "3.14159265358979",
                                     "100.0", "123456789", "-0.0", "1E+2", "9007199254740993"};
  unsigned k = (unsigned)(rnd() % (depth > 4 ? 4 : 7));
  switch (k) {
  case 0: sk_buf_append_str(b, nums[rnd() % (sizeof nums / sizeof nums[0])]); break;
  case 1: gen_str(b); break;
  case 2: sk_buf_append_str(b, rnd() & 1 ? "true" : (rnd() & 1 ? "false" : "null")); break;
  case 3: sk_buf_append_str(b, "[]"); break;
  case 4:
  case 5: {
    sk_buf_append_byte(b, '[');
    for (int n = (int)(rnd() % 4), i = 0; i < n; i++) {
      if (i) sk_buf_append_str(b, rnd() % 8 ? "," : " , ");
      gen_value(b, depth + 1);
    }
    sk_buf_append_byte(b, ']');
    break;
  }
  default: {
    sk_buf_append_byte(b, '{');
    for (int n = (int)(rnd() % 12), i = 0; i < n; i++) {
      if (i) sk_buf_append_byte(b, ',');
      gen_str(b);
      sk_buf_append_str(b, rnd() % 8 ? ":" : " : ");
      gen_value(b, depth + 1);
    }
    sk_buf_append_byte(b, '}');
  }
  }
}

static void generated_and_mutated_documents_match(void **state) {
  (void)state;
  int accepted = 0, refused = 0;
  for (int it = 0; it < 20000; it++) {
    sk_buf b;
    sk_buf_init(&b, 1u << 20);
    sk_buf_append_str(&b, "{\"kind\":\"k\",\"extra\":");
    size_t head = b.len;
    gen_value(&b, 1);
    sk_buf_append_byte(&b, '}');
    if (it % 2) { /* mutate: flip, drop or insert a byte */
      size_t at = rnd() % b.len;
      static const char ins[] = "{}[]\",:\\0123456789eE.-+tfnu \x80\xc3\xff";
      switch (rnd() % 3) {
      case 0: b.data[at] = ins[rnd() % (sizeof ins - 1)]; break;
      case 1: memmove(b.data + at, b.data + at + 1, b.len - at), b.len--; break;
      default:
        sk_buf_append_byte(&b, ' ');
        memmove(b.data + at + 1, b.data + at, b.len - at - 1);
        b.data[at] = ins[rnd() % (sizeof ins - 1)];
      }
      b.data[b.len] = '\0';
    }
    if (strlen(b.data) == b.len) (void)same_record(b.data);
    if (same_as_jansson(b.data, b.len)) accepted++;
    else refused++;
    /* the extra value alone, as a document of its own when it is a container */
    if (b.data[head] == '{' || b.data[head] == '[') (void)same_as_jansson(b.data + head, b.len - head - 1);
    sk_buf_release(&b);
  }
  assert_true(accepted > 1000 && refused > 1000);
}

/* record_compose's hand-written date against gmtime_r + snprintf (what it replaced). */
static void compose_matches_gmtime(void **state) {
  (void)state;
  char got[256], want[256];
  for (int i = 0; i < 200000; i++) {
    int64_t t = i < 4 ? (int64_t[]){0, 999, 951782400000, 253402300799999}[i]
                      : (int64_t)(rnd() % 253402300800000ull); /* 1970 .. 9999-12-31 */
    uint64_t seq = rnd() >> (rnd() % 64);
    const char *body = i % 3 ? "{\"kind\":\"k\"}" : "{}";
    size_t n = record_compose(got, sizeof got, seq, t, body, strlen(body));
    time_t secs = (time_t)(t / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    int k = snprintf(want, sizeof want, "{\"seq\":%" PRIu64 ",\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"%s%s", seq,
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (int)(t % 1000), strlen(body) > 2 ? "," : "", body + 1);
    if (n != (size_t)k || strcmp(got, want) != 0) fail_msg("t=%" PRId64 ": %s != %s", t, got, want);
  }
  assert_int_equal(record_compose(got, 20, 1, 0, "{}", 2), 0); /* does not fit */
}

static void canon_limits(void **state) {
  (void)state;
  canon_doc d;
  canon_init(&d);
  sk_err e;
  assert_int_equal(canon_parse(&d, "[[[1]]]", 7, 2, &e), SK_ELIMIT);
  assert_int_equal(canon_parse(&d, "[[[1]]]", 7, 3, &e), SK_OK);
  assert_int_equal(canon_parse(&d, "{\"a\":1,\"a\":2}", 13, 3, &e), SK_EFORMAT);
  assert_non_null(strstr(e.msg, "duplicate"));
  canon_release(&d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(edge_cases_match_jansson),
      cmocka_unit_test(records_match_jansson_path),
      cmocka_unit_test(generated_and_mutated_documents_match),
      cmocka_unit_test(compose_matches_gmtime),
      cmocka_unit_test(canon_limits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
