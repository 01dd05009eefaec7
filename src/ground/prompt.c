/* prompt.c — grounded prompt and citation map (see prompt.h). */
#include "ground/prompt.h"

#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "ground/chunk.h"

/* Longest chunk text put in a prompt (bytes). */
#define PROMPT_CHUNK_MAX 4096

int ground_build_prompt(const ground_hit *hits, size_t n, const char *question, char **prompt, sk_err *err) {
  *prompt = NULL;
  sk_buf b;
  sk_buf_init(&b, GROUND_PROMPT_MAX_BYTES);
  int rc = sk_buf_append_str(&b, "次の資料だけに基づいて質問に答えてください。各文の末尾に根拠とした資料の番号を [1] のように付けてください。"
                                 "資料に書かれていないことは「資料には記載がありません」と答えてください。\n\n");
  for (size_t i = 0; i < n && !rc; i++) {
    size_t tl = strlen(hits[i].text), cut = tl < PROMPT_CHUNK_MAX ? tl : PROMPT_CHUNK_MAX;
    while (cut > 0 && cut < tl && ((unsigned char)hits[i].text[cut] & 0xC0) == 0x80) cut--;
    rc = sk_buf_printf(&b, "[%zu] %s %s\n%.*s\n\n", i + 1, hits[i].source, hits[i].label, (int)cut, hits[i].text);
  }
  if (!rc) rc = sk_buf_printf(&b, "質問: %s\n", question);
  if (rc) {
    sk_buf_release(&b);
    return sk_err_set(err, rc, "grounded prompt exceeds %d bytes", GROUND_PROMPT_MAX_BYTES);
  }
  *prompt = sk_buf_detach(&b);
  return *prompt ? SK_OK : sk_err_set(err, SK_ENOMEM, "out of memory");
}

/* End of the run of citation markers and spaces at p ("[1][2] 次の文" -> at 次). */
static size_t lead_end(const char *a, size_t len, size_t p) {
  for (;;) {
    while (p < len && a[p] == ' ') p++;
    size_t open = p < len && a[p] == '[' ? 1 : (p + 3 <= len && !memcmp(a + p, "［", 3) ? 3 : 0);
    if (!open) return p;
    size_t j = p + open;
    while (j < len && a[j] >= '0' && a[j] <= '9') j++;
    size_t close = j < len && a[j] == ']' ? 1 : (j + 3 <= len && !memcmp(a + j, "］", 3) ? 3 : 0);
    if (j == p + open || !close) return p;
    p = j + close;
  }
}

int ground_cite_answer(const char *answer, size_t len, const ground_hit *hits, size_t n_hits, ground_cite **out,
                size_t *n_out, sk_err *err) {
  *out = NULL;
  *n_out = 0;
  ground_span *s = NULL;
  size_t ns = 0;
  int rc = ground_split_sentences(answer, len, &s, &ns, err);
  if (rc) return rc;
  ground_cite *c = sk_calloc(ns ? ns : 1, sizeof *c);
  if (!c) { sk_free(s); return sk_err_set(err, SK_ENOMEM, "out of memory"); }
  for (size_t k = 0; k < ns; k++) {
    c[k].start = s[k].start;
    c[k].end = s[k].end;
    /* a marker right after the sentence end (。[1]) belongs to it, though the splitter put it at
     * the start of the next sentence: scan from after our own leading markers to the end of the
     * next sentence's leading markers */
    size_t from = k ? lead_end(answer, len, s[k].start) : s[k].start;
    size_t stop = k + 1 < ns ? lead_end(answer, len, s[k + 1].start) : len;
    for (size_t i = from; i < stop; i++) {
      size_t open = 0;
      if (answer[i] == '[') open = 1;
      else if (i + 3 <= len && !memcmp(answer + i, "［", 3)) open = 3;
      if (!open) continue;
      size_t j = i + open, v = 0, digits = 0;
      while (j < len && answer[j] >= '0' && answer[j] <= '9' && digits < 4) v = v * 10 + (size_t)(answer[j++] - '0'), digits++;
      int close = j < len && answer[j] == ']' ? 1 : (j + 3 <= len && !memcmp(answer + j, "］", 3) ? 3 : 0);
      if (!digits || !close || v < 1 || v > n_hits) continue;
      int dup = 0;
      for (size_t m = 0; m < c[k].n; m++) dup |= c[k].chunk_ids[m] == hits[v - 1].chunk_id;
      if (!dup && c[k].n < GROUND_CITES_PER_SENTENCE) c[k].chunk_ids[c[k].n++] = hits[v - 1].chunk_id;
    }
  }
  sk_free(s);
  *out = c;
  *n_out = ns;
  return SK_OK;
}
