/* chunk.c — sentence splitter and structure-aware chunker (see chunk.h). */
#include "ground/chunk.h"

#include <string.h>

#include "base/alloc.h"
#include "base/utf8.h"

/* Brackets deeper than this are junk, not prose: 。 ends sentences again. */
#define GROUND_BRACKET_DEPTH_MAX 8
/* Growth step for the output arrays; they are bounded by GROUND_SENTENCES_MAX. */
#define GROW_MIN 64

static int starts_with(const char *s, size_t n, const char *lit) {
  size_t l = strlen(lit);
  return n >= l && !memcmp(s, lit, l);
}

static size_t cp_at(const char *s, size_t n, uint32_t *cp) {
  size_t l = sk_utf8_decode(s, n, cp);
  if (l == 0) { *cp = 0xFFFD; return 1; }
  return l;
}

static int is_space_cp(uint32_t cp) {
  return cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n' || cp == '\f' || cp == '\v' ||
         cp == 0x3000 || cp == 0xA0;
}
static int is_end_cp(uint32_t cp) {
  return cp == 0x3002 /* 。 */ || cp == 0xFF01 /* ！ */ || cp == 0xFF1F /* ？ */ || cp == '!' ||
         cp == '?' || cp == 0xFF0E /* ． */;
}
static int is_close_cp(uint32_t cp) {
  return cp == 0x300D || cp == 0x300F || cp == 0xFF09 || cp == ')' || cp == '"' || cp == 0x3011 ||
         cp == 0x201D;
}

typedef struct spans {
  ground_span *v;
  size_t n, cap;
} spans;

static int push_span(spans *a, size_t s, size_t e, const char *text, sk_err *err) {
  /* trim whitespace (ASCII and the ideographic space) on both sides */
  while (s < e) {
    uint32_t cp;
    size_t l = cp_at(text + s, e - s, &cp);
    if (!is_space_cp(cp)) break;
    s += l;
  }
  while (e > s) {
    size_t b = e - 1;
    while (b > s && ((unsigned char)text[b] & 0xC0) == 0x80) b--;
    uint32_t cp;
    cp_at(text + b, e - b, &cp);
    if (!is_space_cp(cp)) break;
    e = b;
  }
  if (e <= s) return SK_OK;
  if (a->n == a->cap) {
    if (a->cap >= GROUND_SENTENCES_MAX)
      return sk_err_set(err, SK_ELIMIT, "more than %u sentences in one document", GROUND_SENTENCES_MAX);
    size_t nc = a->cap ? a->cap * 2 : GROW_MIN;
    ground_span *nv = sk_realloc(a->v, nc * sizeof *nv);
    if (!nv) return sk_err_set(err, SK_ENOMEM, "out of memory splitting sentences");
    a->v = nv;
    a->cap = nc;
  }
  a->v[a->n++] = (ground_span){s, e};
  return SK_OK;
}

/* Cuts [s,e) into pieces of at most GROUND_SENTENCE_MAX_BYTES at code point boundaries. */
static int push_bounded(spans *a, size_t s, size_t e, const char *text, sk_err *err) {
  while (e - s > GROUND_SENTENCE_MAX_BYTES) {
    size_t cut = s + GROUND_SENTENCE_MAX_BYTES;
    while (cut > s + 1 && ((unsigned char)text[cut] & 0xC0) == 0x80) cut--;
    int rc = push_span(a, s, cut, text, err);
    if (rc) return rc;
    s = cut;
  }
  return push_span(a, s, e, text, err);
}

int ground_split_sentences(const char *text, size_t n, ground_span **out, size_t *n_out, sk_err *err) {
  spans a = {0};
  size_t start = 0, i = 0;
  uint32_t prev = 0;
  int depth = 0; /* inside （…） or 「…」: 。 there (（以下「利用目的」という。）) ends no sentence */
  while (i < n) {
    uint32_t cp;
    size_t l = cp_at(text + i, n - i, &cp);
    size_t next = i + l;
    int cut = 0;
    if (cp == 0xFF08 || cp == 0x300C || cp == 0x300E) depth++;
    else if ((cp == 0xFF09 || cp == 0x300D || cp == 0x300F) && depth > 0) depth--;
    if (is_end_cp(cp) && depth > 0 && depth <= GROUND_BRACKET_DEPTH_MAX) {
      /* stays inside the sentence */
    } else if (is_end_cp(cp)) {
      while (next < n) { /* keep closing brackets and repeated marks with the sentence */
        uint32_t c2;
        size_t l2 = cp_at(text + next, n - next, &c2);
        if (!is_close_cp(c2) && !is_end_cp(c2)) break;
        next += l2;
      }
      /* "3.5" or "e.g." in ASCII: '!'/'?' only end before a space or the end */
      if ((cp == '!' || cp == '?') && next < n && !is_space_cp((unsigned char)text[next])) cut = 0;
      else cut = 1;
    } else if (cp == '\n' || cp == '\f') {
      /* a wrapped English line (letter/digit/comma before the break) continues */
      int wrapped = prev < 0x80 && prev != 0 && prev != '\n' && prev != '\f' &&
                    (prev == ',' || (prev >= 'a' && prev <= 'z') || (prev >= 'A' && prev <= 'Z'));
      cut = cp == '\f' || !wrapped;
      depth = 0; /* an unbalanced bracket never swallows more than its line */
    }
    if (cut) {
      int rc = push_bounded(&a, start, next, text, err);
      if (rc) { sk_free(a.v); return rc; }
      start = next;
    }
    if (!is_space_cp(cp) || cp == '\n' || cp == '\f') prev = cp;
    i = next;
  }
  int rc = push_bounded(&a, start, n, text, err);
  if (rc) { sk_free(a.v); return rc; }
  *out = a.v;
  *n_out = a.n;
  return SK_OK;
}

/* Structure markers at the start of a sentence. */
static int is_numeral_cp(uint32_t cp) {
  static const char k[] = "〇一二三四五六七八九十百千０１２３４５６７８９";
  if (cp >= '0' && cp <= '9') return 1;
  char enc[4];
  size_t l = sk_utf8_encode(cp, enc);
  if (l == 0) return 0;
  for (size_t i = 0; i + l <= sizeof k - 1; i += 3)
    if (!memcmp(k + i, enc, l)) return 1;
  return 0;
}

/* 第 + numerals + one of 条章節款編 at s: returns 1 for an article (条), 2 for a larger unit. */
static int structure_kind(const char *s, size_t n) {
  if (!starts_with(s, n, "第")) return 0;
  size_t i = 3, digits = 0;
  while (i < n) {
    uint32_t cp;
    size_t l = cp_at(s + i, n - i, &cp);
    if (!is_numeral_cp(cp)) break;
    digits++;
    i += l;
  }
  if (!digits) return 0;
  if (starts_with(s + i, n - i, "条")) return 1;
  if (starts_with(s + i, n - i, "章") || starts_with(s + i, n - i, "節") ||
      starts_with(s + i, n - i, "款") || starts_with(s + i, n - i, "編"))
    return 2;
  return 0;
}

/* A caption such as （目的） alone on its sentence. */
static int is_caption(const char *s, size_t n) {
  return n >= 6 && n <= 96 && starts_with(s, n, "（") && !memcmp(s + n - 3, "）", 3) &&
         !memchr(s, '\n', n);
}

static void set_label(char *label, const char *s, size_t n) {
  size_t k = n < GROUND_LABEL_MAX - 1 ? n : GROUND_LABEL_MAX - 1;
  while (k > 0 && k < n && ((unsigned char)s[k] & 0xC0) == 0x80) k--; /* whole code points */
  size_t j = 0;
  for (size_t i = 0; i < k; i++) label[j++] = (s[i] == '\n' || s[i] == '\r' || s[i] == '\t') ? ' ' : s[i];
  label[j] = 0;
}

/* Label text for an article: 第…条 (plus の二…) up to the first space. */
static size_t article_label_len(const char *s, size_t n) {
  size_t i = 0;
  while (i < n && i < 60) {
    uint32_t cp;
    size_t l = cp_at(s + i, n - i, &cp);
    if (is_space_cp(cp)) break;
    i += l;
  }
  return i;
}

int ground_chunk_text(const char *text, size_t n, size_t chunk_bytes, ground_chunk **out,
                      size_t *n_out, sk_err *err) {
  *out = NULL;
  *n_out = 0;
  if (chunk_bytes == 0) chunk_bytes = GROUND_CHUNK_DEFAULT_BYTES;
  if (chunk_bytes > GROUND_CHUNK_MAX_BYTES) chunk_bytes = GROUND_CHUNK_MAX_BYTES;
  ground_span *ss = NULL;
  size_t ns = 0;
  int rc = ground_split_sentences(text, n, &ss, &ns, err);
  if (rc) return rc;
  ground_chunk *v = NULL;
  size_t nv = 0, cap = 0;
  char caption[GROUND_LABEL_MAX] = "";
  char label[GROUND_LABEL_MAX] = "";
  int page = 1, open = 0, only_caption = 0;
  size_t ff_scan = 0; /* form feeds counted up to here */
  for (size_t k = 0; k < ns; k++) {
    const char *s = text + ss[k].start;
    size_t sl = ss[k].end - ss[k].start;
    for (; ff_scan < ss[k].start; ff_scan++)
      if (text[ff_scan] == '\f') page++, open = 0; /* a page break closes the chunk */
    int kind = structure_kind(s, sl);
    int heading = (sl >= 1 && s[0] == '#') || kind == 2;
    int cap_line = is_caption(s, sl);
    int new_chunk = !open;
    if (open && (kind == 1 || heading || cap_line) && !only_caption) new_chunk = 1;
    if (open && ss[k].end - v[nv - 1].start > chunk_bytes) new_chunk = 1;
    if (kind == 1) {
      char art[GROUND_LABEL_MAX];
      set_label(art, s, article_label_len(s, sl));
      if (caption[0] && strlen(art) + strlen(caption) < GROUND_LABEL_MAX) strcat(art, caption);
      memcpy(label, art, sizeof label);
      caption[0] = 0;
    } else if (heading) {
      size_t skip = 0;
      while (skip < sl && (s[skip] == '#' || s[skip] == ' ')) skip++;
      set_label(label, s + skip, sl - skip);
    }
    if (cap_line) set_label(caption, s, sl);
    if (new_chunk) {
      if (nv == cap) {
        if (cap >= GROUND_SENTENCES_MAX) { rc = sk_err_set(err, SK_ELIMIT, "too many chunks"); break; }
        size_t nc = cap ? cap * 2 : GROW_MIN;
        ground_chunk *nvv = sk_realloc(v, nc * sizeof *nvv);
        if (!nvv) { rc = sk_err_set(err, SK_ENOMEM, "out of memory chunking"); break; }
        v = nvv;
        cap = nc;
      }
      v[nv] = (ground_chunk){.start = ss[k].start, .end = ss[k].end, .page = page};
      memcpy(v[nv].label, cap_line && kind != 1 ? caption : label, GROUND_LABEL_MAX);
      nv++;
      open = 1;
      only_caption = cap_line;
    } else {
      v[nv - 1].end = ss[k].end;
      if (only_caption && kind == 1) memcpy(v[nv - 1].label, label, GROUND_LABEL_MAX);
      only_caption = 0;
    }
  }
  sk_free(ss);
  if (rc) { sk_free(v); return rc; }
  *out = v;
  *n_out = nv;
  return SK_OK;
}
