/* text.c — normalisation (utf8proc NFKC + casefold), character bigrams, MeCab content words. */
#include "ground/text.h"

#include <mecab.h>
#include <string.h>
#include <utf8proc.h>

#include "base/alloc.h"
#include "base/utf8.h"

/* Longest single MeCab token kept: longer "words" are unknown-word runs (URLs, junk). */
#define GROUND_WORD_MAX_BYTES 96

int ground_normalize(const char *s, size_t n, char **out, size_t *out_len, sk_err *err) {
  *out = NULL;
  if (out_len) *out_len = 0;
  if (n > GROUND_TEXT_MAX_BYTES)
    return sk_err_set(err, SK_ELIMIT, "text of %zu bytes exceeds the %u-byte normalisation limit", n,
                      GROUND_TEXT_MAX_BYTES);
  size_t bad = 0;
  if (!sk_utf8_valid(s, n, &bad))
    return sk_err_set(err, SK_EFORMAT, "invalid UTF-8 at byte %zu", bad);
  utf8proc_uint8_t *res = NULL;
  utf8proc_ssize_t r =
      utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &res,
                   UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
                       UTF8PROC_IGNORE);
  if (r < 0) return sk_err_set(err, r == UTF8PROC_ERROR_NOMEM ? SK_ENOMEM : SK_EFORMAT, "normalisation failed: %s", utf8proc_errmsg(r));
  /* utf8proc allocates with malloc; copy into our allocator so callers free uniformly. */
  char *copy = sk_strndup((const char *)res, (size_t)r);
  free(res);
  if (!copy) return sk_err_set(err, SK_ENOMEM, "out of memory normalising %zu bytes", n);
  *out = copy;
  if (out_len) *out_len = (size_t)r;
  return SK_OK;
}

int ground_is_word_cp(unsigned cp) {
  if (cp < 0x80) return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
  switch (c) {
  case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
  case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
  case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
    return 1;
  default:
    return 0;
  }
}

int ground_kanji(const char *norm, size_t n, int query, sk_buf *out) {
  for (size_t i = 0; i < n;) {
    uint32_t cp = 0;
    size_t l = sk_utf8_decode(norm + i, n - i, &cp);
    if (l == 0) { i++; continue; }
    int keep = (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF);
    if (query && (cp == 0x4F55 /* 何 */ || cp == 0x8AB0 /* 誰 */ || cp == 0x5E7E /* 幾 */)) keep = 0;
    if (keep) {
      int rc = sk_buf_append(out, norm + i, l);
      if (rc == SK_OK) rc = sk_buf_append_byte(out, ' ');
      if (rc) return rc;
    }
    i += l;
  }
  return SK_OK;
}

int ground_bigrams(const char *norm, size_t n, sk_buf *out) {
  size_t i = 0, prev_at = 0, prev_len = 0, run = 0;
  while (i < n) {
    uint32_t cp = 0;
    size_t l = sk_utf8_decode(norm + i, n - i, &cp);
    if (l == 0) l = 1, cp = 0xFFFD; /* callers pass valid UTF-8; be safe anyway */
    if (!ground_is_word_cp(cp)) {
      if (run == 1) { /* a lone character between separators */
        int rc = sk_buf_append(out, norm + prev_at, prev_len);
        if (rc == SK_OK) rc = sk_buf_append_byte(out, ' ');
        if (rc) return rc;
      }
      run = 0;
    } else {
      if (run >= 1) {
        int rc = sk_buf_append(out, norm + prev_at, prev_len + l);
        if (rc == SK_OK) rc = sk_buf_append_byte(out, ' ');
        if (rc) return rc;
      }
      run++;
      prev_at = i;
      prev_len = l;
    }
    i += l;
  }
  if (run == 1) {
    int rc = sk_buf_append(out, norm + prev_at, prev_len);
    if (rc == SK_OK) rc = sk_buf_append_byte(out, ' ');
    if (rc) return rc;
  }
  return SK_OK;
}

struct ground_tagger {
  mecab_t *m;
};

int ground_tagger_new(ground_tagger **out, sk_err *err) {
  *out = NULL;
  ground_tagger *t = sk_calloc(1, sizeof *t);
  if (!t) return sk_err_set(err, SK_ENOMEM, "out of memory creating a MeCab tagger");
  t->m = mecab_new2("");
  if (!t->m) {
    sk_free(t);
    return sk_err_set(err, SK_ENOTSUP,
                      "MeCab could not start (%s); install mecab-ipadic-utf8 or use bigrams only",
                      mecab_strerror(NULL));
  }
  *out = t;
  return SK_OK;
}

void ground_tagger_free(ground_tagger *t) {
  if (!t) return;
  if (t->m) mecab_destroy(t->m);
  sk_free(t);
}

/* Keeps content words: the ipadic part of speech is the first CSV field of node->feature. */
static int keep_word(const char *feat, size_t surface_len) {
  static const char *const keep[] = {"名詞", "動詞", "形容詞", "副詞", "連体詞", "接頭詞"};
  int ok = 0;
  for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
    size_t kl = strlen(keep[i]);
    if (!strncmp(feat, keep[i], kl) && feat[kl] == ',') ok = 1;
  }
  if (!ok) return 0;
  /* Dependent nouns/verbs (こと, する's いる ...) and one-character suffixes carry no topic. */
  if (strstr(feat, ",非自立,") && strncmp(feat, "名詞", 6) != 0) return 0;
  if ((!strncmp(feat, "名詞,非自立", 16) || !strncmp(feat, "名詞,代名詞", 16) ||
       !strncmp(feat, "名詞,接尾", 13)) && surface_len <= 3)
    return 0;
  return 1;
}

/* Appends the letters/digits of w[0..n) as one token (symbols inside are dropped). */
static int append_word(sk_buf *out, const char *w, size_t n) {
  size_t before = out->len;
  for (size_t i = 0; i < n;) {
    uint32_t cp = 0;
    size_t l = sk_utf8_decode(w + i, n - i, &cp);
    if (l == 0) { i++; continue; }
    if (ground_is_word_cp(cp)) {
      int rc = sk_buf_append(out, w + i, l);
      if (rc) return rc;
    }
    i += l;
  }
  if (out->len > before) return sk_buf_append_byte(out, ' ');
  return SK_OK;
}

/* Compound nouns: consecutive nouns (東大寺 + 仏像) are also indexed joined, up to this many
 * bytes, so a question naming the compound prefers the passage that has it intact. */
#define GROUND_COMPOUND_MAX_BYTES 64

int ground_words(ground_tagger *t, const char *norm, size_t n, sk_buf *out, sk_err *err) {
  const mecab_node_t *node = mecab_sparse_tonode2(t->m, norm, n);
  if (!node) return sk_err_set(err, SK_EFORMAT, "MeCab failed: %s", mecab_strerror(t->m));
  char comp[GROUND_COMPOUND_MAX_BYTES];
  size_t cl = 0;
  int parts = 0;
  for (; node; node = node->next) {
    int noun = (node->stat == MECAB_NOR_NODE || node->stat == MECAB_UNK_NODE) && !strncmp(node->feature, "名詞,", 7) &&
               strncmp(node->feature, "名詞,非自立", 16) && strncmp(node->feature, "名詞,代名詞", 16);
    if (noun && cl + node->length <= sizeof comp) {
      memcpy(comp + cl, node->surface, node->length);
      cl += node->length;
      parts++;
    } else {
      if (parts >= 2) {
        int rc = append_word(out, comp, cl);
        if (rc) return sk_err_set(err, rc, "token buffer full");
      }
      cl = 0;
      parts = 0;
      if (noun && node->length <= sizeof comp) memcpy(comp, node->surface, node->length), cl = node->length, parts = 1;
    }
    if (node->stat != MECAB_NOR_NODE && node->stat != MECAB_UNK_NODE) continue;
    if (node->length == 0 || node->length > GROUND_WORD_MAX_BYTES) continue;
    if (!keep_word(node->feature, node->length)) continue;
    /* The base form is CSV field 7 (index 6); "*" when unknown: use the surface then. */
    const char *f = node->feature;
    for (int k = 0; k < 6 && f; k++) {
      f = strchr(f, ',');
      if (f) f++;
    }
    int rc;
    if (f && *f && *f != '*' && *f != ',') {
      const char *e = strchr(f, ',');
      size_t bl = e ? (size_t)(e - f) : strlen(f);
      rc = append_word(out, f, bl > GROUND_WORD_MAX_BYTES ? GROUND_WORD_MAX_BYTES : bl);
    } else {
      rc = append_word(out, node->surface, node->length);
    }
    if (rc) return sk_err_set(err, rc, "token buffer full");
  }
  return SK_OK;
}

/* Interrogatives: whatever their part of speech, they name what is asked, never what the
 * answering passage says (it says 1990年, not 何年). A fixed list of the language's question
 * words, not fitted to any data set. */
static const char *const k_interrogatives[] = {
    "何", "なに", "なん", "どこ", "どちら", "どっち", "どれ", "どの", "どんな", "どう", "どのよう",
    "どのように", "なぜ", "いつ", "誰", "だれ", "いくつ", "いくら", "幾つ"};

/* 1 when a MeCab node carries content (a bigram touching it is worth matching): nouns other than
 * pronouns and dependent nouns, independent verbs, adjectives, adverbs, adnominals, prefixes;
 * interrogatives never. Particles, auxiliaries, suffix verbs and symbols carry none. */
static int content_node(const mecab_node_t *node) {
  for (size_t i = 0; i < sizeof k_interrogatives / sizeof k_interrogatives[0]; i++) {
    size_t l = strlen(k_interrogatives[i]);
    if (node->length == l && !memcmp(node->surface, k_interrogatives[i], l)) return 0;
  }
  const char *f = node->feature;
  if (!strncmp(f, "名詞,", 7)) return strncmp(f, "名詞,代名詞", 16) && strncmp(f, "名詞,非自立", 16);
  if (!strncmp(f, "動詞,", 7)) return !strncmp(f, "動詞,自立", 13);
  static const char *const keep[] = {"形容詞,", "接頭詞,", "副詞,", "連体詞,"};
  for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
    if (!strncmp(f, keep[i], strlen(keep[i]))) return 1;
  return 0;
}

int ground_query_bigrams(ground_tagger *t, const char *norm, size_t n, sk_buf *out, sk_err *err) {
  return ground_query_bigrams_kind(t, norm, n, out, NULL, 0, NULL, err);
}

/* Records the kind of the token just appended (see text.h). */
static void note_kind(unsigned char *kind, size_t kind_max, size_t *n_kind, unsigned char k) {
  if (!kind || !n_kind) return;
  if (*n_kind < kind_max) kind[*n_kind] = k;
  (*n_kind)++;
}

int ground_query_bigrams_kind(ground_tagger *t, const char *norm, size_t n, sk_buf *out, unsigned char *kind,
                              size_t kind_max, size_t *n_kind, sk_err *err) {
  if (n_kind) *n_kind = 0;
  if (!t) {
    int rc = ground_bigrams(norm, n, out);
    return rc ? sk_err_set(err, rc, "query tokens") : SK_OK;
  }
  unsigned char *flag = sk_calloc(n ? n : 1, 1);
  if (!flag) return sk_err_set(err, SK_ENOMEM, "out of memory");
  const mecab_node_t *node = mecab_sparse_tonode2(t->m, norm, n);
  if (!node) {
    sk_free(flag);
    return sk_err_set(err, SK_EFORMAT, "MeCab failed: %s", mecab_strerror(t->m));
  }
  for (; node; node = node->next) {
    if (node->stat != MECAB_NOR_NODE && node->stat != MECAB_UNK_NODE) continue;
    if (node->surface < norm || node->surface + node->length > norm + n) continue;
    if (content_node(node)) memset(flag + (node->surface - norm), 1, node->length);
  }
  /* As ground_bigrams, but a bigram is kept only when one of its characters is content, and a
   * lone character only when it is content. */
  int rc = SK_OK;
  size_t i = 0, prev_at = 0, prev_len = 0, run = 0;
  while (i < n && !rc) {
    uint32_t cp = 0;
    size_t l = sk_utf8_decode(norm + i, n - i, &cp);
    if (l == 0) l = 1, cp = 0xFFFD;
    if (!ground_is_word_cp(cp)) {
      if (run == 1 && flag[prev_at]) {
        rc = sk_buf_append(out, norm + prev_at, prev_len);
        if (!rc) rc = sk_buf_append_byte(out, ' ');
        note_kind(kind, kind_max, n_kind, 2);
      }
      run = 0;
    } else {
      if (run >= 1 && (flag[prev_at] || flag[i])) {
        rc = sk_buf_append(out, norm + prev_at, prev_len + l);
        if (!rc) rc = sk_buf_append_byte(out, ' ');
        note_kind(kind, kind_max, n_kind, (unsigned char)(flag[prev_at] && flag[i] ? 2 : 1));
      }
      run++;
      prev_at = i;
      prev_len = l;
    }
    i += l;
  }
  if (!rc && run == 1 && flag[prev_at]) {
    rc = sk_buf_append(out, norm + prev_at, prev_len);
    if (!rc) rc = sk_buf_append_byte(out, ' ');
    note_kind(kind, kind_max, n_kind, 2);
  }
  sk_free(flag);
  return rc ? sk_err_set(err, rc, "query tokens") : SK_OK;
}

/* Phrases of ground_query_strip_meta (normalised: NFKC + casefold leave them unchanged). */
static const char *const k_meta_refs[] = {"この文書", "この文章", "この記事", "この段落", "この資料", "本文中", "本文"};
static const char *const k_meta_verbs[] = {"説明", "紹介", "挙げ", "書か", "書い", "書き", "言及", "表現", "取り上げ",
                                           "指摘", "述べ", "記述", "記載", "言っ", "言わ", "比較", "よると", "によれば"};
static const char *const k_meta_orders[] = {"答えなさい", "答えよ", "取り出しなさい", "抜き出しなさい", "抜き出せ",
                                            "書きなさい", "述べなさい"};

/* 1 when the code point ending just before byte j of s is a kanji (本文 inside 日本文化 is no
 * reference to the text). */
static int kanji_before(const char *s, size_t j) {
  size_t k = j;
  while (k > 0 && ((unsigned char)s[k - 1] & 0xC0) == 0x80) k--;
  if (k == 0 || j - k != 2) return 0; /* a kanji is 3 bytes: lead + 2 continuation bytes */
  uint32_t cp = 0;
  if (!sk_utf8_decode(s + k - 1, 3, &cp)) return 0;
  return cp >= 0x4E00 && cp <= 0x9FFF;
}

/* Blanks every occurrence of each phrase of list k in s[0..n) (not preceded by a kanji when
 * whole_word); returns how many. */
static size_t blank_all(char *s, size_t n, const char *const *k, size_t nk, int whole_word) {
  size_t got = 0;
  for (size_t i = 0; i < nk; i++) {
    size_t l = strlen(k[i]);
    for (size_t j = 0; j + l <= n; j++)
      if (!memcmp(s + j, k[i], l) && !(whole_word && kanji_before(s, j))) memset(s + j, ' ', l), j += l - 1, got++;
  }
  return got;
}

size_t ground_query_strip_meta(char *norm, size_t n) {
  size_t got = blank_all(norm, n, k_meta_orders, sizeof k_meta_orders / sizeof k_meta_orders[0], 0);
  size_t refs = blank_all(norm, n, k_meta_refs, sizeof k_meta_refs / sizeof k_meta_refs[0], 1);
  if (refs) got += refs + blank_all(norm, n, k_meta_verbs, sizeof k_meta_verbs / sizeof k_meta_verbs[0], 0);
  return got;
}
