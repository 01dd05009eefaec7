/* Synthetic models: every arch and type writes a file the reader accepts, with llama.cpp's
 * tensor names and keys, the exact built-in vocabulary, deterministic bytes, the Q4_K_M mix,
 * and weights that are the same across types for one seed. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "engine/gguf.h"
#include "engine/gtype.h"
#include "engine/quant/quant.h"
#include "engine/synth.h"

#define MAX_FILE (64u << 20)

static gguf_file *write_and_open(const synth_config *c, sk_buf *b) {
  sk_err err;
  sk_buf_init(b, MAX_FILE);
  if (synth_write(c, gguf_sink_buf, b, &err)) fail_msg("synth_write: %s", err.msg);
  gguf_file *f;
  if (gguf_open_memory(b->data, b->len, &f, &err)) fail_msg("reader: %s", err.msg);
  return f;
}

static uint32_t u32(const gguf_file *f, const char *key) {
  uint32_t v = 0;
  if (gguf_get_u32(f, key, &v)) fail_msg("missing %s", key);
  return v;
}

static void every_arch_has_llama_cpp_names(void **state) {
  (void)state;
  const char *archs[] = {"llama", "qwen2", "qwen3", "gemma2", "gemma3"};
  for (size_t a = 0; a < 5; a++) {
    synth_config c;
    sk_err err;
    assert_int_equal(synth_config_init(&c, archs[a], "tiny", &err), SK_OK);
    sk_buf b;
    gguf_file *f = write_and_open(&c, &b);
    char key[128];
    gguf_str s;
    assert_int_equal(gguf_get_str(f, "general.architecture", &s), SK_OK);
    assert_true(gguf_str_eq(s, archs[a]));
#define K(x) (snprintf(key, sizeof key, "%s." x, archs[a]), key)
    assert_int_equal(u32(f, K("embedding_length")), c.n_embd);
    assert_int_equal(u32(f, K("block_count")), c.n_layer);
    assert_int_equal(u32(f, K("feed_forward_length")), c.n_ff);
    assert_int_equal(u32(f, K("attention.head_count")), c.n_head);
    assert_int_equal(u32(f, K("attention.head_count_kv")), c.n_head_kv);
    assert_int_equal(u32(f, K("attention.key_length")), c.head_dim);
    assert_int_equal(u32(f, K("attention.value_length")), c.head_dim);
    assert_int_equal(u32(f, K("context_length")), c.n_ctx);
    float v;
    assert_int_equal(gguf_get_f32(f, K("rope.freq_base"), &v), SK_OK);
    assert_int_equal(gguf_get_f32(f, K("attention.layer_norm_rms_epsilon"), &v), SK_OK);
    const int gemma = a >= 3;
    assert_int_equal(gguf_find_key(f, K("attention.sliding_window")) >= 0, gemma);
    assert_int_equal(gguf_find_key(f, K("attn_logit_softcapping")) >= 0, a == 3);
    assert_int_equal(gguf_find_key(f, K("final_logit_softcapping")) >= 0, a == 3);
    const uint64_t E = c.n_embd, Q = c.n_head * c.head_dim, KV = c.n_head_kv * c.head_dim;
    for (uint32_t l = 0; l < c.n_layer; l++) {
      const struct {
        const char *suffix;
        int present;
        uint64_t ne0, ne1;
      } want[] = {
          {"attn_norm.weight", 1, E, 1},
          {"attn_q.weight", 1, E, Q},
          {"attn_k.weight", 1, E, KV},
          {"attn_v.weight", 1, E, KV},
          {"attn_output.weight", 1, Q, E},
          {"attn_q.bias", a == 1, Q, 1},
          {"attn_k.bias", a == 1, KV, 1},
          {"attn_v.bias", a == 1, KV, 1},
          {"attn_q_norm.weight", a == 2 || a == 4, c.head_dim, 1},
          {"attn_k_norm.weight", a == 2 || a == 4, c.head_dim, 1},
          {"post_attention_norm.weight", gemma, E, 1},
          {"post_ffw_norm.weight", gemma, E, 1},
          {"ffn_norm.weight", 1, E, 1},
          {"ffn_gate.weight", 1, E, c.n_ff},
          {"ffn_up.weight", 1, E, c.n_ff},
          {"ffn_down.weight", 1, c.n_ff, E},
      };
      for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        char name[96];
        snprintf(name, sizeof name, "blk.%u.%s", l, want[k].suffix);
        const gguf_tensor *t = gguf_find_tensor(f, name);
        if ((t != NULL) != want[k].present) fail_msg("%s: %s presence wrong", archs[a], name);
        if (t) {
          assert_int_equal(t->ne[0], want[k].ne0);
          assert_int_equal(t->ne[1], want[k].ne1);
        }
      }
    }
    const gguf_tensor *emb = gguf_find_tensor(f, "token_embd.weight");
    assert_non_null(emb);
    assert_int_equal(emb->ne[0], E);
    assert_int_equal(emb->ne[1], c.n_vocab);
    assert_non_null(gguf_find_tensor(f, "output_norm.weight"));
    assert_int_equal(gguf_find_tensor(f, "output.weight") != NULL, !c.tied);
    gguf_close(f);
    sk_buf_release(&b);
  }
}

static void builtin_vocabulary_is_exact(void **state) {
  (void)state;
  synth_config c;
  sk_err err;
  assert_int_equal(synth_config_init(&c, "llama", "tiny", &err), SK_OK);
  sk_buf b;
  gguf_file *f = write_and_open(&c, &b);
  gguf_str s;
  assert_int_equal(gguf_get_str(f, "tokenizer.ggml.model", &s), SK_OK);
  assert_true(gguf_str_eq(s, "llama"));
  uint32_t et;
  uint64_t n;
  assert_int_equal(gguf_get_arr(f, "tokenizer.ggml.tokens", &et, &n), SK_OK);
  assert_int_equal(n, c.n_vocab);
  static float score[512];
  static int32_t type[512];
  assert_int_equal(gguf_arr_copy_f32(f, "tokenizer.ggml.scores", score, n), SK_OK);
  assert_int_equal(gguf_arr_copy_i32(f, "tokenizer.ggml.token_type", type, n), SK_OK);
  const struct {
    uint32_t id;
    const char *text;
    int type;
  } want[] = {{0, "<unk>", 2},
              {1, "<s>", 3},
              {2, "</s>", 3},
              {3, "<0x00>", 6},
              {13, "<0x0A>", 6},
              {258, "<0xFF>", 6},
              {259, "<|im_start|>", 3},
              {260, "<|im_end|>", 3},
              {261, "\xe2\x96\x81", 1},
              {262, "!", 1},
              {262 + 'a' - '!', "a", 1},
              {355, "~", 1},
              {356, "<unused_0>", 5},
              {511, "<unused_155>", 5}};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    assert_int_equal(gguf_arr_str(f, "tokenizer.ggml.tokens", want[i].id, &s), SK_OK);
    if (!gguf_str_eq(s, want[i].text))
      fail_msg("token %u is '%.*s', want '%s'", want[i].id, (int)s.len, s.ptr, want[i].text);
    assert_int_equal(type[want[i].id], want[i].type);
  }
  for (uint32_t id = 262; id <= 355; id++)
    assert_true(score[id] < score[id - 1]);
  assert_int_equal(u32(f, "tokenizer.ggml.bos_token_id"), 1);
  assert_int_equal(u32(f, "tokenizer.ggml.eos_token_id"), 2);
  assert_int_equal(u32(f, "tokenizer.ggml.unknown_token_id"), 0);
  int bv;
  assert_int_equal(gguf_get_bool(f, "tokenizer.ggml.add_bos_token", &bv), SK_OK);
  assert_true(bv);
  assert_int_equal(gguf_get_bool(f, "tokenizer.ggml.add_eos_token", &bv), SK_OK);
  assert_false(bv);
  assert_int_equal(gguf_get_str(f, "tokenizer.chat_template", &s), SK_OK);
  assert_non_null(memmem(s.ptr, s.len, "<|im_start|>", 12));
  assert_non_null(memmem(s.ptr, s.len, "add_generation_prompt", 21));
  gguf_close(f);
  sk_buf_release(&b);
}

/* Same seed → same bytes; another seed → other weights; F32 and a quantised file of one seed
 * hold the same weights up to quantisation error. */
static void deterministic_and_type_independent(void **state) {
  (void)state;
  synth_config c;
  sk_err err;
  assert_int_equal(synth_config_init(&c, "qwen3", "tiny", &err), SK_OK);
  sk_buf b1, b2, b3;
  gguf_file *f1 = write_and_open(&c, &b1), *f2 = write_and_open(&c, &b2);
  assert_int_equal(b1.len, b2.len);
  assert_memory_equal(b1.data, b2.data, b1.len);
  c.ftype = SYNTH_Q8_0;
  gguf_file *f3 = write_and_open(&c, &b3);
  const gguf_tensor *t1 = gguf_find_tensor(f1, "blk.1.ffn_up.weight");
  const gguf_tensor *t3 = gguf_find_tensor(f3, "blk.1.ffn_up.weight");
  assert_int_equal(t3->type, GTYPE_Q8_0);
  const uint64_t n = t1->ne[0] * t1->ne[1];
  float *x = sk_malloc(n * sizeof(float));
  quant_dequantize_row(GTYPE_Q8_0, t3->data, x, (int64_t)n);
  double e = 0, s = 0;
  for (uint64_t i = 0; i < n; i++) {
    const float w = ((const float *)t1->data)[i];
    e += (x[i] - w) * (double)(x[i] - w);
    s += (double)w * w;
  }
  assert_true(sqrt(e / s) < 0.01);
  assert_true(fabs(sqrt(s / (double)n) - 1.0 / sqrt(c.n_embd)) < 0.1 / sqrt(c.n_embd));
  sk_free(x);
  gguf_close(f3);
  sk_buf_release(&b3);
  c.ftype = SYNTH_F32;
  c.seed = 2;
  gguf_file *f4 = write_and_open(&c, &b3);
  const gguf_tensor *t4 = gguf_find_tensor(f4, "blk.1.ffn_up.weight");
  assert_memory_not_equal(t1->data, t4->data, t1->size_bytes);
  gguf_close(f4);
  sk_buf_release(&b3);
  gguf_close(f1);
  gguf_close(f2);
  sk_buf_release(&b1);
  sk_buf_release(&b2);
}

static void every_type_writes_and_q4_k_m_mixes_like_llama_cpp(void **state) {
  (void)state;
  for (int ft = 0; ft < SYNTH_FTYPE_COUNT; ft++) {
    synth_config c;
    sk_err err;
    assert_int_equal(synth_config_init(&c, "llama", "tiny", &err), SK_OK);
    c.n_embd = 256, c.n_ff = 512, c.head_dim = 64; /* K-quant friendly rows */
    c.n_layer = ft == SYNTH_Q4_K_M ? 8 : 2;
    c.n_head = 2, c.n_head_kv = 1;                                /* q rows 128: fallbacks */
    c.ftype = ft;
    sk_buf b;
    gguf_file *f = write_and_open(&c, &b);
    for (size_t i = 0; i < gguf_tensor_count(f); i++) {
      const gguf_tensor *t = gguf_tensor_at(f, i);
      assert_true(quant_type_supported(t->type));
      float *row = sk_malloc(t->ne[0] * sizeof(float));
      quant_dequantize_row(t->type, t->data, row, (int64_t)t->ne[0]);
      for (uint64_t k = 0; k < t->ne[0]; k++)
        assert_true(isfinite(row[k]));
      sk_free(row);
      if (t->n_dims == 1) assert_int_equal(t->type, GTYPE_F32);
    }
    if (ft == SYNTH_Q4_K_M) {
      /* 8 layers: use_more_bits picks layer 0, 7 and those with (i - n/8) % 3 == 2: 3, 6 */
      const int more[8] = {1, 0, 0, 1, 0, 0, 1, 1};
      for (int l = 0; l < 8; l++) {
        char name[64];
        snprintf(name, sizeof name, "blk.%d.ffn_down.weight", l);
        assert_int_equal(gguf_find_tensor(f, name)->type, more[l] ? GTYPE_Q6_K : GTYPE_Q4_K);
        snprintf(name, sizeof name, "blk.%d.attn_v.weight", l);
        assert_int_equal(gguf_find_tensor(f, name)->type, more[l] ? GTYPE_Q6_K : GTYPE_Q4_K);
        snprintf(name, sizeof name, "blk.%d.attn_output.weight", l); /* rows of 128 */
        assert_int_equal(gguf_find_tensor(f, name)->type, GTYPE_Q5_0);
        snprintf(name, sizeof name, "blk.%d.ffn_up.weight", l);
        assert_int_equal(gguf_find_tensor(f, name)->type, GTYPE_Q4_K);
      }
      assert_int_equal(gguf_find_tensor(f, "output.weight")->type, GTYPE_Q6_K);
      assert_int_equal(gguf_find_tensor(f, "token_embd.weight")->type, GTYPE_Q4_K);
    }
    gguf_close(f);
    sk_buf_release(&b);
  }
}

static void bad_configs_are_refused(void **state) {
  (void)state;
  synth_config c;
  sk_err err;
  assert_int_equal(synth_config_init(&c, "gpt2", "tiny", &err), SK_EINVAL);
  assert_int_equal(synth_config_init(&c, "llama", "huge", &err), SK_EINVAL);
  assert_int_equal(synth_config_init(&c, "llama", NULL, &err), SK_OK);
  c.n_vocab = 100;
  assert_int_equal(synth_config_check(&c, &err), SK_EINVAL);
  assert_int_equal(synth_config_init(&c, "llama", "tiny", &err), SK_OK);
  c.n_embd = 70;
  assert_int_equal(synth_config_check(&c, &err), SK_EINVAL);
  assert_int_equal(synth_config_init(&c, "llama", "tiny", &err), SK_OK);
  c.n_head = 3;
  assert_int_equal(synth_config_check(&c, &err), SK_EINVAL);
  assert_int_equal(synth_ftype_from_name("q4_k_m"), SYNTH_Q4_K_M);
  assert_int_equal(synth_ftype_from_name("Q3_K"), -1);
  assert_int_equal(synth_config_init(&c, "qwen2", "qwen2.5-0.5b", &err), SK_OK);
  assert_int_equal(c.n_embd, 896);
  assert_int_equal(c.n_vocab, 151936);
  assert_int_equal(synth_config_check(&c, &err), SK_OK);
  assert_int_equal(synth_config_init(&c, "llama", "llama-3.2-1b", &err), SK_OK);
  assert_true(c.rope_base == 500000.0f && c.tied && c.n_head_kv == 8);
  assert_int_equal(synth_config_check(&c, &err), SK_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_arch_has_llama_cpp_names),
      cmocka_unit_test(builtin_vocabulary_is_exact),
      cmocka_unit_test(deterministic_and_type_independent),
      cmocka_unit_test(every_type_writes_and_q4_k_m_mixes_like_llama_cpp),
      cmocka_unit_test(bad_configs_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
