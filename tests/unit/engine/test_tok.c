/* Tokenizer unit tests on small in-memory vocabularies (no ../shared needed): SPM merges by
 * score, byte fallback, the "▁" prefix; byte-level BPE merges by rank; special-token splitting;
 * bounds; invalid UTF-8; out-of-memory; the streaming detokenizer (Japanese, emoji, broken
 * sequences). With ../shared present, also round-trips Japanese and emoji through real
 * vocabularies one token at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/utf8.h"
#include "engine/gguf.h"
#include "engine/tokenizer/tok.h"

#define S(x) {x, sizeof x - 1}

/* ---- a tiny SentencePiece vocabulary ---- */
enum { SPM_UNK = 0, SPM_BOS = 1, SPM_EOS = 2, SPM_BYTE0 = 3 };
static tok_vocab *spm_vocab(void) {
  static tok_str toks[256 + 16];
  static float scores[256 + 16];
  static int32_t types[256 + 16];
  static char bytes[256][7];
  uint32_t n = 0;
  toks[n] = (tok_str)S("<unk>"), types[n++] = TOK_TYPE_UNKNOWN;
  toks[n] = (tok_str)S("<s>"), types[n++] = TOK_TYPE_CONTROL;
  toks[n] = (tok_str)S("</s>"), types[n++] = TOK_TYPE_CONTROL;
  for (int b = 0; b < 256; b++) {
    snprintf(bytes[b], sizeof bytes[b], "<0x%02X>", b);
    toks[n] = (tok_str){bytes[b], 6}, types[n++] = TOK_TYPE_BYTE;
  }
  const struct {
    tok_str t;
    float s;
    int32_t ty;
  } extra[] = {
      {S("\xE2\x96\x81"), -3, 1},      /* 259 ▁ */
      {S("a"), -4, 1},                 /* 260 */
      {S("b"), -4, 1},                 /* 261 */
      {S("\xE2\x96\x81" "a"), -1, 1},  /* 262 ▁a */
      {S("ab"), -2, 1},                /* 263 */
      {S("\xE2\x96\x81" "ab"), -0.5, 1}, /* 264 ▁ab */
      {S("<|im_end|>"), 0, TOK_TYPE_CONTROL}, /* 265 */
      {S("<U>"), 0, TOK_TYPE_USER_DEFINED},   /* 266 */
      {S("日本"), -1, 1},                /* 267 */
  };
  for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
    toks[n] = extra[i].t;
    scores[n] = extra[i].s;
    types[n++] = extra[i].ty;
  }
  tok_spec s;
  tok_spec_init(&s);
  s.model = "llama";
  s.n_tokens = n;
  s.tokens = toks;
  s.scores = scores;
  s.types = types;
  tok_vocab *v = NULL;
  sk_err err;
  assert_int_equal(tok_vocab_build(&s, &v, &err), SK_OK);
  return v;
}

/* ---- a tiny byte-level BPE vocabulary: ids 0..255 are the bytes in order ---- */
static int bpe_try(const char *pre, tok_vocab **out) {
  static tok_str toks[256 + 8];
  static char enc[256][3];
  uint32_t n = 0;
  for (int b = 0; b < 256; b++) {
    int cp = b, k = 0;
    if (!((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF))) {
      for (int c = 0; c < b; c++)
        if (!((c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF)))
          k++;
      cp = 256 + k;
    }
    size_t l = sk_utf8_encode((uint32_t)cp, enc[b]);
    toks[n++] = (tok_str){enc[b], l};
  }
  toks[n++] = (tok_str)S("he");              /* 256 */
  toks[n++] = (tok_str)S("\xC4\xA0t");       /* 257 Ġt */
  toks[n++] = (tok_str)S("\xC4\xA0the");     /* 258 Ġthe */
  toks[n++] = (tok_str)S("<|endoftext|>");   /* 259 */
  static const tok_str merges[] = {S("h e"), S("\xC4\xA0 t"), S("\xC4\xA0t he")};
  int32_t types[256 + 8];
  for (uint32_t i = 0; i < n; i++) types[i] = TOK_TYPE_NORMAL;
  types[259] = TOK_TYPE_CONTROL;
  tok_spec s;
  tok_spec_init(&s);
  s.model = "gpt2";
  s.pre = pre;
  s.n_tokens = n;
  s.tokens = toks;
  s.types = types;
  s.n_merges = 3;
  s.merges = merges;
  s.bos_id = s.eos_id = 259;
  sk_err err;
  return tok_vocab_build(&s, out, &err);
}

static tok_vocab *bpe_vocab(const char *pre) {
  tok_vocab *v = NULL;
  assert_int_equal(bpe_try(pre, &v), SK_OK);
  return v;
}

static size_t enc(const tok_vocab *v, const char *t, int add, int parse, int32_t *ids) {
  size_t n = 0;
  sk_err err;
  assert_int_equal(tok_encode(v, t, strlen(t), add, parse, ids, 256, &n, &err), SK_OK);
  return n;
}

#define ASSERT_IDS(got, n, ...)                                                                \
  do {                                                                                         \
    const int32_t want_[] = {__VA_ARGS__};                                                     \
    assert_int_equal((n), sizeof want_ / sizeof want_[0]);                                     \
    assert_memory_equal((got), want_, sizeof want_);                                           \
  } while (0)

static void spm_merges_by_score_with_space_prefix(void **state) {
  (void)state;
  tok_vocab *v = spm_vocab();
  int32_t ids[256];
  size_t n = enc(v, "ab", 0, 0, ids);
  ASSERT_IDS(ids, n, 264);        /* ▁a (-1) merges before ab (-2), then ▁ab */
  n = enc(v, "ab", 1, 0, ids);
  ASSERT_IDS(ids, n, SPM_BOS, 264);
  n = enc(v, "b a", 0, 0, ids);   /* ▁b is no token: ▁ b ▁a */
  ASSERT_IDS(ids, n, 259, 261, 262);
  n = enc(v, "\xC3\xA9", 0, 0, ids); /* é: byte fallback */
  ASSERT_IDS(ids, n, 259, SPM_BYTE0 + 0xC3, SPM_BYTE0 + 0xA9);
  n = enc(v, "日本", 0, 0, ids);
  ASSERT_IDS(ids, n, 259, 267);
  n = enc(v, "", 1, 1, ids);
  ASSERT_IDS(ids, n, SPM_BOS);
  n = enc(v, "", 0, 0, ids);
  assert_int_equal(n, 0);
  assert_int_equal(tok_nl(v), SPM_BYTE0 + '\n');
  assert_true(tok_is_eog(v, SPM_EOS));
  assert_true(tok_is_eog(v, 265)); /* <|im_end|> */
  tok_free(v);
}

static void spm_special_tokens_split_only_when_asked(void **state) {
  (void)state;
  tok_vocab *v = spm_vocab();
  int32_t ids[256];
  /* parsed: control token, then a space prefix again after it */
  size_t n = enc(v, "a<|im_end|>b", 0, 1, ids);
  ASSERT_IDS(ids, n, 262, 265, 259, 261);
  /* not parsed: the control token is text (bytes), but user-defined tokens always split */
  n = enc(v, "<|im_end|>", 0, 0, ids);
  assert_true(n > 1);
  for (size_t i = 0; i < n; i++) assert_int_not_equal(ids[i], 265);
  n = enc(v, "a<U>", 0, 0, ids);
  ASSERT_IDS(ids, n, 262, 266);
  tok_free(v);
}

static void bpe_merges_by_rank(void **state) {
  (void)state;
  tok_vocab *v = bpe_vocab("gpt-2");
  int32_t ids[256];
  size_t n = enc(v, " the", 0, 0, ids);
  ASSERT_IDS(ids, n, 258);
  n = enc(v, "the", 0, 0, ids);
  ASSERT_IDS(ids, n, 't', 256);
  n = enc(v, "the<|endoftext|>", 1, 1, ids); /* gpt-2: no BOS by default */
  ASSERT_IDS(ids, n, 't', 256, 259);
  n = enc(v, "\xFF", 0, 0, ids); /* a bad byte reads as U+FFFD (EF BF BD) */
  ASSERT_IDS(ids, n, 0xEF, 0xBF, 0xBD);
  assert_int_equal(tok_nl(v), '\n');
  /* detokenize back */
  sk_buf b;
  sk_buf_init(&b, 1024);
  int32_t back[] = {'t', 256, 258};
  assert_int_equal(tok_detokenize(v, back, 3, 0, 0, &b), SK_OK);
  assert_string_equal(b.data, "the the");
  sk_buf_release(&b);
  tok_free(v);
}

static void bounds_and_errors(void **state) {
  (void)state;
  tok_vocab *v = bpe_vocab("llama-bpe");
  int32_t ids[2];
  size_t n = 0;
  sk_err err;
  /* llama-bpe adds BOS; 3 tokens do not fit in 2 */
  assert_int_equal(tok_encode(v, "ab", 2, 1, 0, ids, 2, &n, &err), SK_ELIMIT);
  assert_int_equal(n, 3);
  assert_int_equal(ids[0], 259);
  assert_int_equal(tok_encode(v, "x", (size_t)TOK_MAX_INPUT_BYTES + 1, 0, 0, ids, 2, &n, &err),
                   SK_ELIMIT);
  /* unsupported tokenizers are a clear error */
  tok_spec s;
  tok_spec_init(&s);
  tok_str t[] = {S("a")};
  s.model = "rwkv";
  s.n_tokens = 1;
  s.tokens = t;
  tok_vocab *w = NULL;
  assert_int_equal(tok_vocab_build(&s, &w, &err), SK_ENOTSUP);
  assert_non_null(strstr(err.msg, "rwkv"));
  s.model = "gpt2";
  s.pre = "no-such-pre";
  assert_int_equal(tok_vocab_build(&s, &w, &err), SK_ENOTSUP);
  assert_null(w);
  /* every allocation failing in turn while building and encoding: errors, never crashes */
  for (long k = 1; k < 80; k++) {
    tok_vocab *x = NULL;
    sk_alloc_fail_after(k);
    int rc = bpe_try("qwen2", &x);
    if (rc == SK_OK) {
      int rc2 = tok_encode(x, "the 日本 the", 14, 1, 1, ids, 2, &n, &err);
      assert_true(rc2 == SK_ENOMEM || rc2 == SK_ELIMIT);
    } else {
      assert_int_equal(rc, SK_ENOMEM);
      assert_null(x);
    }
    sk_alloc_fail_after(0);
    tok_free(x);
  }
  tok_free(v);
}

/* Streams ids one at a time; after every push the output must be valid UTF-8. */
static void stream_all(const tok_vocab *v, const int32_t *ids, size_t n, sk_buf *out) {
  tok_stream st;
  tok_stream_init(&st, v, 0);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(tok_stream_push(&st, ids[i], out), SK_OK);
    assert_true(sk_utf8_valid(out->data ? out->data : "", out->len, NULL));
  }
  assert_int_equal(tok_stream_flush(&st, out), SK_OK);
  assert_true(sk_utf8_valid(out->data ? out->data : "", out->len, NULL));
}

static const char k_ja[] = "東京都の個人情報保護について説明してください。🦙🚀 😶\u200d🌫️ 👨\u200d👩\u200d👧 ✅ ｶﾀｶﾅ";

static void stream_holds_back_partial_characters(void **state) {
  (void)state;
  tok_vocab *v = bpe_vocab("qwen2");
  int32_t ids[512];
  size_t n = 0;
  sk_err err;
  /* byte-per-token vocabulary: every multi-byte character is split across tokens */
  assert_int_equal(tok_encode(v, k_ja, strlen(k_ja), 0, 0, ids, 512, &n, &err), SK_OK);
  assert_true(n > 40);
  sk_buf b;
  sk_buf_init(&b, 1 << 16);
  tok_stream st;
  tok_stream_init(&st, v, 0);
  size_t emitted_at_first = 0;
  assert_int_equal(tok_stream_push(&st, ids[0], &b), SK_OK); /* first byte of 東 */
  emitted_at_first = b.len;
  assert_int_equal(emitted_at_first, 0);
  sk_buf_reset(&b);
  stream_all(v, ids, n, &b);
  assert_int_equal(b.len, strlen(k_ja));
  assert_memory_equal(b.data, k_ja, b.len);
  /* broken sequences come out as U+FFFD: E6 then 'A'; a lone continuation; a truncated end */
  int32_t bad[] = {0xE6, 'A', 0x80, 'B', 0xF0, 0x9F};
  sk_buf_reset(&b);
  stream_all(v, bad, 6, &b);
  assert_string_equal(b.data, "\xEF\xBF\xBD" "A" "\xEF\xBF\xBD" "B" "\xEF\xBF\xBD");
  sk_buf_release(&b);
  tok_free(v);
}

static void invalid_utf8_never_crashes(void **state) {
  (void)state;
  tok_vocab *sv = spm_vocab(), *bv = bpe_vocab("llama-bpe");
  uint32_t x = 12345;
  char text[64];
  int32_t ids[1024];
  for (int round = 0; round < 2000; round++) {
    size_t len = (size_t)(round % 63) + 1;
    for (size_t i = 0; i < len; i++) {
      x = x * 1103515245u + 12345u;
      text[i] = (char)(x >> 16);
    }
    size_t n;
    sk_err err;
    for (int parse = 0; parse < 2; parse++) {
      assert_int_equal(tok_encode(sv, text, len, 1, parse, ids, 1024, &n, &err), SK_OK);
      sk_buf b;
      sk_buf_init(&b, 1 << 16);
      assert_int_equal(tok_detokenize(sv, ids, n, 1, 0, &b), SK_OK);
      sk_buf_release(&b);
      assert_int_equal(tok_encode(bv, text, len, 1, parse, ids, 1024, &n, &err), SK_OK);
    }
  }
  tok_free(sv);
  tok_free(bv);
}

/* Real vocabularies (../shared): encode, then stream one token at a time; the text comes back
 * byte for byte and every intermediate output is valid UTF-8. */
static void real_vocab_stream_round_trip(void **state) {
  (void)state;
  static const char *files[] = {"../shared/oracle/models/qwen2-Q8_0.gguf",
                                "../shared/oracle/models/llama-spm-Q8_0.gguf",
                                "../shared/oracle/models/llama-bpe-Q4_0.gguf",
                                "../shared/oracle/models/stories260K-f32.gguf"};
  static const char *texts[] = {k_ja, "むかしむかし、あるところに 🍑 がありました。\n改行\tタブ",
                                "Hello, world! 日本語と English の mixed テキスト 😀😀"};
  for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
    gguf_file *g = NULL;
    sk_err err;
    if (gguf_open(files[f], &g, &err)) {
      printf("SKIP %s: %s\n", files[f], err.msg);
      continue;
    }
    tok_vocab *v = NULL;
    assert_int_equal(tok_load_gguf(g, &v, &err), SK_OK);
    gguf_close(g);
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
      int32_t ids[1024];
      size_t n;
      assert_int_equal(tok_encode(v, texts[t], strlen(texts[t]), 0, 0, ids, 1024, &n, &err),
                       SK_OK);
      sk_buf b;
      sk_buf_init(&b, 1 << 16);
      tok_stream st;
      tok_stream_init(&st, v, 0);
      st.lstrip_first = tok_vocab_model(v) == TOK_MODEL_SPM; /* the "▁" prefix */
      for (size_t i = 0; i < n; i++) {
        assert_int_equal(tok_stream_push(&st, ids[i], &b), SK_OK);
        assert_true(sk_utf8_valid(b.data ? b.data : "", b.len, NULL));
      }
      assert_int_equal(tok_stream_flush(&st, &b), SK_OK);
      assert_int_equal(b.len, strlen(texts[t]));
      assert_memory_equal(b.data, texts[t], b.len);
      /* and the one-shot detokenizer agrees */
      sk_buf_reset(&b);
      assert_int_equal(tok_detokenize(v, ids, n, 0, 0, &b), SK_OK);
      assert_int_equal(b.len, strlen(texts[t]));
      sk_buf_release(&b);
    }
    printf("PASS %s: streaming round trip\n", files[f]);
    tok_free(v);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(spm_merges_by_score_with_space_prefix),
      cmocka_unit_test(spm_special_tokens_split_only_when_asked),
      cmocka_unit_test(bpe_merges_by_rank),
      cmocka_unit_test(bounds_and_errors),
      cmocka_unit_test(stream_holds_back_partial_characters),
      cmocka_unit_test(invalid_utf8_never_crashes),
      cmocka_unit_test(real_vocab_stream_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
