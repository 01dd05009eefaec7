/* pretokenize.c — splits text into words before BPE, as llama.cpp's unicode_regex_split does.
 *
 * llama.cpp applies a list of regexes in turn, each refining the pieces of the previous one;
 * every piece of text not matched by a regex stays a piece of its own (the "gap"). Two patterns
 * (GPT-2's and Llama-3's) have hand-written matchers there; the others run through std::regex
 * on a "collapsed" text where each non-ASCII code point stands for its category and non-ASCII
 * white space for \v. We implement each pattern that our pre-tokenizers use as a small matcher
 * with the same leftmost-first semantics, so no regex engine is needed. Positions are code
 * point indices; a piece is a length. */
#include <string.h>

#include "base/alloc.h"
#include "engine/tokenizer/tok_impl.h"

int tok_words_push(tok_words *w, uint32_t len);
int tok_words_push(tok_words *w, uint32_t len) {
  if (len == 0) return SK_OK;
  if (w->n == w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 64;
    uint32_t *p = sk_realloc(w->len, cap * sizeof *p);
    if (!p) return SK_ENOMEM;
    w->len = p;
    w->cap = cap;
  }
  w->len[w->n++] = len;
  return SK_OK;
}

void tok_words_release(tok_words *w) {
  sk_free(w->len);
  w->len = NULL;
  w->n = w->cap = 0;
}

/* A segment [a, b) of the code points being refined. */
typedef struct seg {
  const uint32_t *c;
  const uint8_t *f;
  size_t a, b;
  size_t prev; /* end of the last emitted piece */
  tok_words *out;
  int rc;
} seg;

static inline uint8_t F(const seg *s, size_t p) { return (p >= s->a && p < s->b) ? s->f[p] : 0; }
static inline uint32_t C(const seg *s, size_t p) {
  return (p >= s->a && p < s->b) ? s->c[p] : 0xFFFFFFFFu;
}
static inline size_t add(seg *s, size_t end) {
  size_t len = end - s->prev;
  if (len && s->rc == SK_OK) s->rc = tok_words_push(s->out, (uint32_t)len);
  s->prev = end;
  return len;
}

/* 's|'t|'re|'ve|'m|'ll|'d (case-insensitive when ci): length of the match at pos or 0. */
static size_t contraction(const seg *s, size_t pos, int ci) {
  if (C(s, pos) != '\'' || pos + 1 >= s->b) return 0;
  uint32_t n1 = C(s, pos + 1);
  if (ci) n1 = ucd_tolower(n1);
  if (n1 == 's' || n1 == 't' || n1 == 'm' || n1 == 'd') return 2;
  if (pos + 2 < s->b) {
    uint32_t n2 = C(s, pos + 2);
    if (ci) n2 = ucd_tolower(n2);
    if ((n1 == 'r' && n2 == 'e') || (n1 == 'v' && n2 == 'e') || (n1 == 'l' && n2 == 'l')) return 3;
  }
  return 0;
}

#define WLN (UCD_WHITESPACE | UCD_LETTER | UCD_NUMBER)

/* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static void split_gpt2(seg *s) {
  for (size_t pos = s->a; pos < s->b;) {
    uint32_t cpt = C(s, pos);
    uint8_t fl = F(s, pos);
    size_t k = contraction(s, pos, 0);
    if (k) {
      pos += add(s, pos + k);
      continue;
    }
    uint8_t f2 = cpt == ' ' ? F(s, pos + 1) : fl;
    if (f2 & UCD_LETTER) {
      pos += (cpt == ' ');
      while (F(s, pos) & UCD_LETTER) pos++;
      add(s, pos);
      continue;
    }
    if (f2 & UCD_NUMBER) {
      pos += (cpt == ' ');
      while (F(s, pos) & UCD_NUMBER) pos++;
      add(s, pos);
      continue;
    }
    if (!(f2 & WLN) && f2) {
      pos += (cpt == ' ');
      while (!(F(s, pos) & WLN) && F(s, pos)) pos++;
      add(s, pos);
      continue;
    }
    size_t nws = 0;
    while (F(s, pos + nws) & UCD_WHITESPACE) nws++;
    if (nws > 1 && pos + nws < s->b) {
      pos += nws - 1;
      add(s, pos);
      continue;
    }
    if (nws > 0) {
      pos += nws;
      add(s, pos);
      continue;
    }
    add(s, ++pos);
  }
}

/* (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,max_digits}|
 *  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * max_digits 3 is Llama-3 (llama.cpp's own matcher); 1 is Qwen2 (std::regex there, whose
 * collapsed classes agree with the flags used here). */
static void split_llama3(seg *s, size_t max_digits) {
  for (size_t pos = s->a; pos < s->b;) {
    uint32_t cpt = C(s, pos);
    uint8_t fl = F(s, pos);
    size_t k = contraction(s, pos, 1);
    if (k) {
      pos += add(s, pos + k);
      continue;
    }
    if (!(cpt == '\r' || cpt == '\n' || (fl & UCD_NUMBER))) {
      if ((fl & UCD_LETTER) || (F(s, pos + 1) & UCD_LETTER)) {
        pos++;
        while (F(s, pos) & UCD_LETTER) pos++;
        add(s, pos);
        continue;
      }
    }
    if (fl & UCD_NUMBER) {
      size_t ini = pos;
      while (F(s, pos) & UCD_NUMBER) {
        if (++pos - ini >= max_digits) {
          add(s, pos);
          ini = pos;
        }
      }
      add(s, pos);
      continue;
    }
    uint8_t f2 = cpt == ' ' ? F(s, pos + 1) : fl;
    if (!(f2 & WLN) && fl) {
      pos += (cpt == ' ');
      while (!(F(s, pos) & WLN) && F(s, pos)) pos++;
      while (C(s, pos) == '\r' || C(s, pos) == '\n') pos++;
      add(s, pos);
      continue;
    }
    size_t nws = 0, last_rn = 0;
    while (F(s, pos + nws) & UCD_WHITESPACE) {
      uint32_t c2 = C(s, pos + nws);
      if (c2 == '\r' || c2 == '\n') last_rn = pos + nws + 1;
      nws++;
    }
    if (last_rn > 0) {
      pos = last_rn;
      add(s, pos);
      continue;
    }
    if (nws > 1 && pos + nws < s->b) {
      pos += nws - 1;
      add(s, pos);
      continue;
    }
    if (nws > 0) {
      pos += nws;
      add(s, pos);
      continue;
    }
    add(s, ++pos);
  }
}

/* ---- std::regex-style patterns: character classes on the collapsed / wide text ---- */

typedef int (*cls_fn)(uint32_t cp, uint8_t fl);

/* What std::regex sees for a non-ASCII code point: white space was replaced by \v. */
static inline int ws(uint32_t cp, uint8_t fl) {
  (void)cp;
  return (fl & UCD_WHITESPACE) != 0;
}
static int ascii_punct(uint32_t c) { /* llama.cpp's collapsed \p{P} for ASCII */
  return (c >= 0x21 && c <= 0x23) || (c >= 0x25 && c <= 0x2A) || (c >= 0x2C && c <= 0x2F) ||
         c == 0x3A || c == 0x3B || c == 0x3F || c == 0x40 || (c >= 0x5B && c <= 0x5D) ||
         c == 0x5F || c == 0x7B || c == 0x7D;
}
static int cls_N(uint32_t c, uint8_t fl) { /* \p{N} collapsed */
  if (c < 0x80) return c >= '0' && c <= '9';
  return !(fl & UCD_WHITESPACE) && (fl & UCD_NUMBER);
}
static int cls_L(uint32_t c, uint8_t fl) { /* \p{L} collapsed */
  if (c < 0x80) return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  return !(fl & UCD_WHITESPACE) && (fl & UCD_LETTER);
}
static int cls_P(uint32_t c, uint8_t fl) { /* \p{P} collapsed */
  if (c < 0x80) return ascii_punct(c);
  return !(fl & UCD_WHITESPACE) && (fl & UCD_PUNCT);
}
static int cls_falcon(uint32_t c, uint8_t fl) { /* [\p{P}\$\+<=>\^~\|`] */
  if (c < 0x80) return ascii_punct(c) || (c && strchr("$+<=>^~|`", (int)c));
  return cls_P(c, fl);
}
static int cls_default(uint32_t c, uint8_t fl) { /* [\p{P}\$\+<=>\^~\|] */
  if (c < 0x80) return ascii_punct(c) || (c && strchr("$+<=>^~|", (int)c));
  return cls_P(c, fl);
}
static int cls_rn(uint32_t c, uint8_t fl) {
  (void)fl;
  return c == '\r' || c == '\n';
}
static int cls_digit(uint32_t c, uint8_t fl) {
  (void)fl;
  return c >= '0' && c <= '9';
}

/* Wide-regex classes from literal ranges (deepseek). A non-ASCII white-space code point is \v
 * by then and matches none of them. */
typedef struct range {
  uint32_t lo, hi;
} range;
static int in_ranges(const range *r, size_t n, uint32_t c) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (c < r[mid].lo) hi = mid;
    else if (c > r[mid].hi) lo = mid + 1;
    else return 1;
  }
  return 0;
}
/* [A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕ
 *  ἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳ
 *  Ꙁ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃] (sorted) */
static const range k_ds_latin[] = {
    {0x41, 0x5A},       {0x61, 0x7A},       {0xB5, 0xB5},       {0xC0, 0xD6},
    {0xD8, 0xF6},       {0xF8, 0x1BA},      {0x1BC, 0x1BF},     {0x1C4, 0x293},
    {0x295, 0x2AF},     {0x370, 0x373},     {0x376, 0x377},     {0x37B, 0x37D},
    {0x37F, 0x37F},     {0x386, 0x386},     {0x388, 0x38A},     {0x38C, 0x38C},
    {0x38E, 0x3A1},     {0x3A3, 0x3F5},     {0x3F7, 0x481},     {0x48A, 0x52F},
    {0x531, 0x556},     {0x10A0, 0x10C5},   {0x13A0, 0x13F5},   {0x13F8, 0x13FD},
    {0x1C90, 0x1CBA},   {0x1CBD, 0x1CBF},   {0x1D00, 0x1D2B},   {0x1D6B, 0x1D77},
    {0x1D79, 0x1D9A},   {0x1E00, 0x1F15},   {0x1F18, 0x1F1D},   {0x1F20, 0x1F45},
    {0x1F48, 0x1F4D},   {0x1F50, 0x1F57},   {0x1F59, 0x1F59},   {0x1F5B, 0x1F5B},
    {0x1F5D, 0x1F5D},   {0x1F5F, 0x1F7D},   {0x1F80, 0x1FB4},   {0x1FB6, 0x1FBC},
    {0x1FBE, 0x1FBE},   {0x1FC2, 0x1FC4},   {0x1FC6, 0x1FCC},   {0x1FD0, 0x1FD3},
    {0x1FD6, 0x1FDB},   {0x1FE0, 0x1FEC},   {0x1FF2, 0x1FF4},   {0x1FF6, 0x1FFC},
    {0x2102, 0x2102},   {0x2107, 0x2107},   {0x210A, 0x2113},   {0x2115, 0x2115},
    {0x2119, 0x211D},   {0x2124, 0x2124},   {0x2126, 0x2126},   {0x2128, 0x2128},
    {0x212A, 0x212D},   {0x212F, 0x2134},   {0x2139, 0x2139},   {0x213C, 0x213F},
    {0x2145, 0x2149},   {0x214E, 0x214E},   {0x2183, 0x2184},   {0x2C00, 0x2C7B},
    {0x2C7E, 0x2CE4},   {0x2CEB, 0x2CEE},   {0x2CF2, 0x2CF3},   {0xA640, 0xA66D},
    {0xA680, 0xA69B},   {0xA722, 0xA76F},   {0xA771, 0xA787},   {0xA78B, 0xA78E},
    {0xAB70, 0xABBF},   {0xFB00, 0xFB06},   {0xFB13, 0xFB17},   {0xFF21, 0xFF3A},
    {0xFF41, 0xFF5A},   {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
    {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};
/* [!-/:-~！-／：-～‘-‟　-。] */
static const range k_ds_punct[] = {{0x21, 0x2F},     {0x3A, 0x7E},     {0x2018, 0x201F},
                                   {0x3000, 0x3002}, {0xFF01, 0xFF0F}, {0xFF1A, 0xFF5E}};
/* [一-龥ࠀ-一가-퟿] */
static const range k_ds_cjk[] = {{0x800, 0x4E00}, {0x4E00, 0x9FA5}, {0xAC00, 0xD7FF}};

#define RANGES(r) r, sizeof r / sizeof r[0]
static inline int wide(uint32_t c, uint8_t fl) { return !(c >= 0x80 && (fl & UCD_WHITESPACE)); }
static int cls_ds_latin(uint32_t c, uint8_t fl) {
  return wide(c, fl) && in_ranges(RANGES(k_ds_latin), c);
}
static int cls_ds_punct(uint32_t c, uint8_t fl) {
  return wide(c, fl) && in_ranges(RANGES(k_ds_punct), c);
}
static int cls_ds_cjk(uint32_t c, uint8_t fl) { return wide(c, fl) && in_ranges(RANGES(k_ds_cjk), c); }

/* Emits a regex match [m0, m1) and the gap before it. */
static void emit_match(seg *s, size_t m0, size_t m1) {
  add(s, m0);
  add(s, m1);
}

typedef enum pat_kind { PAT_RUN, PAT_ONE, PAT_WS_RUN, PAT_TRAIL_WS, PAT_DIGIT3 } pat_kind;

/* X+ (RUN), X (ONE), \s?X+ (WS_RUN), \s+$ (TRAIL_WS), [0-9]{3} (DIGIT3) */
static void split_pattern(seg *s, pat_kind kind, cls_fn x) {
  size_t pos = s->a;
  if (kind == PAT_TRAIL_WS) {
    size_t p = s->b;
    while (p > s->a && (F(s, p - 1) & UCD_WHITESPACE)) p--;
    if (p < s->b) emit_match(s, p, s->b);
    add(s, s->b);
    return;
  }
  while (pos < s->b) {
    uint32_t c = s->c[pos];
    uint8_t fl = s->f[pos];
    switch (kind) {
    case PAT_RUN:
      if (x(c, fl)) {
        size_t m0 = pos;
        while (pos < s->b && x(s->c[pos], s->f[pos])) pos++;
        emit_match(s, m0, pos);
        continue;
      }
      break;
    case PAT_ONE:
      if (x(c, fl)) {
        emit_match(s, pos, pos + 1);
        pos++;
        continue;
      }
      break;
    case PAT_WS_RUN: {
      size_t m0 = pos, p = pos;
      if (ws(c, fl) && p + 1 < s->b && x(s->c[p + 1], s->f[p + 1])) p++;
      if (x(s->c[p], s->f[p])) {
        while (p < s->b && x(s->c[p], s->f[p])) p++;
        emit_match(s, m0, p);
        pos = p;
        continue;
      }
      break;
    }
    case PAT_DIGIT3:
      if (pos + 3 <= s->b && x(c, fl) && x(s->c[pos + 1], 0) && x(s->c[pos + 2], 0)) {
        emit_match(s, pos, pos + 3);
        pos += 3;
        continue;
      }
      break;
    case PAT_TRAIL_WS: break;
    }
    pos++;
  }
  add(s, s->b);
}

typedef struct pass {
  int kind; /* 0 gpt2, 1 llama3, 2 qwen2, else 10 + pat_kind */
  cls_fn cls;
} pass;

#define P_GPT2 {0, NULL}
#define P_LLAMA3 {1, NULL}
#define P_QWEN2 {2, NULL}
#define P(k, c) {10 + (k), c}

static const pass k_default[] = {P(PAT_RUN, cls_default), P_GPT2, P(PAT_RUN, cls_N),
                                 P(PAT_DIGIT3, cls_digit)};
static const pass k_llama3[] = {P_LLAMA3};
static const pass k_qwen2[] = {P_QWEN2};
static const pass k_gpt2[] = {P_GPT2};
static const pass k_starcoder[] = {P(PAT_ONE, cls_N), P_GPT2};
static const pass k_falcon[] = {P(PAT_RUN, cls_falcon), P_GPT2, P(PAT_DIGIT3, cls_digit)};
static const pass k_ds_llm[] = {P(PAT_ONE, cls_rn),        P(PAT_WS_RUN, cls_ds_latin),
                                P(PAT_WS_RUN, cls_ds_punct), P(PAT_TRAIL_WS, NULL),
                                P(PAT_RUN, cls_ds_cjk),      P(PAT_RUN, cls_N)};
static const pass k_ds_coder[] = {P(PAT_ONE, cls_rn), P(PAT_WS_RUN, cls_L),
                                  P(PAT_WS_RUN, cls_P), P(PAT_RUN, cls_ds_cjk),
                                  P(PAT_ONE, cls_N)};

int pretok_split(tok_pre pre, const uint32_t *cpts, const uint8_t *flags, size_t n,
                 tok_words *out) {
  const pass *passes;
  size_t n_pass;
#define USE(a) (passes = a, n_pass = sizeof a / sizeof a[0])
  switch (pre) {
  case TOK_PRE_LLAMA3: USE(k_llama3); break;
  case TOK_PRE_QWEN2: USE(k_qwen2); break;
  case TOK_PRE_GPT2: USE(k_gpt2); break;
  case TOK_PRE_STARCODER: USE(k_starcoder); break;
  case TOK_PRE_FALCON: USE(k_falcon); break;
  case TOK_PRE_DEEPSEEK_LLM: USE(k_ds_llm); break;
  case TOK_PRE_DEEPSEEK_CODER: USE(k_ds_coder); break;
  default: USE(k_default); break;
  }
#undef USE
  out->n = 0;
  if (n == 0) return SK_OK;
  if (n > UINT32_MAX) return SK_ELIMIT;
  tok_words cur = {0}, next = {0};
  int rc = tok_words_push(&cur, (uint32_t)n);
  for (size_t p = 0; p < n_pass && rc == SK_OK; p++) {
    next.n = 0;
    size_t start = 0;
    for (size_t i = 0; i < cur.n && rc == SK_OK; i++) {
      seg s = {cpts, flags, start, start + cur.len[i], start, &next, SK_OK};
      switch (passes[p].kind) {
      case 0: split_gpt2(&s); break;
      case 1: split_llama3(&s, 3); break;
      case 2: split_llama3(&s, 1); break;
      default: split_pattern(&s, (pat_kind)(passes[p].kind - 10), passes[p].cls); break;
      }
      rc = s.rc;
      start += cur.len[i];
    }
    tok_words t = cur;
    cur = next;
    next = t;
  }
  tok_words_release(&next);
  if (rc != SK_OK) {
    tok_words_release(&cur);
    return rc;
  }
  tok_words_release(out);
  *out = cur;
  return SK_OK;
}
