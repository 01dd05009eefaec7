/* fuzz_tokenizer.c — arbitrary bytes through encode (with and without special parsing and
 * BOS), detokenize and the streaming detokenizer, on an SPM and a byte-level BPE vocabulary.
 * Uses ../shared/oracle/vocab/ggml-vocab-llama-spm.gguf and rebuilt/ggml-vocab-qwen2.gguf when
 * present (run from the repository root), else small vocabularies built in memory.
 * Byte 0 of the input picks the vocabulary and the flags; the rest is the text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/utf8.h"
#include "engine/gguf.h"
#include "engine/tokenizer/tok.h"

static tok_vocab *g_vocab[2];

static tok_vocab *from_file(const char *path) {
  gguf_file *g = NULL;
  sk_err err;
  tok_vocab *v = NULL;
  if (gguf_open(path, &g, &err) != SK_OK) return NULL;
  if (tok_load_gguf(g, &v, &err) != SK_OK) v = NULL;
  gguf_close(g);
  return v;
}

static tok_vocab *in_memory(int bpe) {
  static char bytes[256][8];
  static tok_str toks[256 + 8];
  static int32_t types[256 + 8];
  static float scores[256 + 8];
  uint32_t n = 0;
  tok_spec s;
  tok_spec_init(&s);
  if (bpe) {
    for (int b = 0; b < 256; b++) {
      int cp = b, k = 0;
      if (!((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE))) {
        for (int c = 0; c < b; c++)
          if (!((c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE))) k++;
        cp = 256 + k;
      }
      toks[n] = (tok_str){bytes[b], sk_utf8_encode((uint32_t)cp, bytes[b])};
      types[n++] = TOK_TYPE_NORMAL;
    }
    toks[n] = (tok_str){"he", 2}, types[n++] = TOK_TYPE_NORMAL;
    toks[n] = (tok_str){"<|im_end|>", 10}, types[n++] = TOK_TYPE_CONTROL;
    static const tok_str merges[] = {{"h e", 3}};
    s.model = "gpt2";
    s.pre = "qwen2";
    s.merges = merges;
    s.n_merges = 1;
    s.bos_id = s.eos_id = (int32_t)n - 1;
  } else {
    toks[n] = (tok_str){"<unk>", 5}, types[n++] = TOK_TYPE_UNKNOWN;
    toks[n] = (tok_str){"<s>", 3}, types[n++] = TOK_TYPE_CONTROL;
    toks[n] = (tok_str){"</s>", 4}, types[n++] = TOK_TYPE_CONTROL;
    for (int b = 0; b < 256; b++) {
      snprintf(bytes[b], sizeof bytes[b], "<0x%02X>", b);
      toks[n] = (tok_str){bytes[b], 6}, types[n++] = TOK_TYPE_BYTE;
    }
    toks[n] = (tok_str){"\xE2\x96\x81", 3}, scores[n] = -1, types[n++] = TOK_TYPE_NORMAL;
    toks[n] = (tok_str){"a", 1}, scores[n] = -2, types[n++] = TOK_TYPE_NORMAL;
    toks[n] = (tok_str){"\xE2\x96\x81" "a", 4}, scores[n] = -0.5f, types[n++] = TOK_TYPE_NORMAL;
    toks[n] = (tok_str){"<U>", 3}, types[n++] = TOK_TYPE_USER_DEFINED;
    s.model = "llama";
  }
  s.n_tokens = n;
  s.tokens = toks;
  s.types = types;
  s.scores = scores;
  tok_vocab *v = NULL;
  sk_err err;
  if (tok_vocab_build(&s, &v, &err) != SK_OK) abort();
  return v;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  g_vocab[0] = from_file("../shared/oracle/vocab/ggml-vocab-llama-spm.gguf");
  if (!g_vocab[0]) g_vocab[0] = in_memory(0);
  g_vocab[1] = from_file("../shared/oracle/vocab/rebuilt/ggml-vocab-qwen2.gguf");
  if (!g_vocab[1]) g_vocab[1] = in_memory(1);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t mode = data[0];
  const tok_vocab *v = g_vocab[mode & 1];
  const char *text = (const char *)data + 1;
  size_t len = size - 1;
  static int32_t ids[1 << 16];
  size_t n = 0;
  sk_err err;
  int rc = tok_encode(v, text, len, (mode >> 1) & 1, (mode >> 2) & 1, ids, 1 << 16, &n, &err);
  if (rc != SK_OK && rc != SK_ELIMIT) abort();
  if (rc == SK_ELIMIT) n = 1 << 16;
  for (size_t i = 0; i < n; i++)
    if (ids[i] < 0 || (uint32_t)ids[i] >= tok_n_vocab(v)) abort();
  sk_buf out;
  sk_buf_init(&out, 1u << 24);
  if (tok_detokenize(v, ids, n, (mode >> 3) & 1, (mode >> 4) & 1, &out) != SK_OK) abort();
  sk_buf_reset(&out);
  tok_stream st;
  tok_stream_init(&st, v, (mode >> 4) & 1);
  for (size_t i = 0; i < n; i++)
    if (tok_stream_push(&st, ids[i], &out) != SK_OK) abort();
  if (tok_stream_flush(&st, &out) != SK_OK) abort();
  if (!sk_utf8_valid(out.data ? out.data : "", out.len, NULL)) abort(); /* never broken UTF-8 */
  /* valid UTF-8 text without specials round-trips through the stream */
  sk_buf_release(&out);
  return 0;
}
