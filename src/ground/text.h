/* text.h — Japanese text normalisation and the two token streams the index uses.
 *
 * Normalisation is NFKC + case folding (utf8proc): full-width Ａ１ becomes a1, half-width ｶﾅ
 * becomes カナ, so a query typed either way meets the document. Two token streams come out of
 * normalised text:
 *   - character bigrams over runs of letters/digits (no punctuation, no whitespace): robust to
 *     unknown words and segmentation errors;
 *   - MeCab content words (nouns, verbs, adjectives, adverbs; base forms; particles, auxiliaries
 *     and symbols dropped): precise where the dictionary knows the word.
 * Tokens contain only Unicode letters and digits, so SQLite's unicode61 tokenizer keeps each one
 * whole when they are written space-separated into an FTS5 column. */
#ifndef SK_GROUND_TEXT_H
#define SK_GROUND_TEXT_H

#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

/* Longest text normalised in one call (a chunk, a query, a sentence). Chunks are far smaller;
 * the bound keeps a hostile caller from asking utf8proc for an unbounded allocation. */
#define GROUND_TEXT_MAX_BYTES (4u << 20)

/* Normalises s[0..n) (must be valid UTF-8) into a new NUL-terminated string the caller frees
 * with sk_free. SK_EFORMAT on invalid UTF-8, SK_ELIMIT past GROUND_TEXT_MAX_BYTES. */
int ground_normalize(const char *s, size_t n, char **out, size_t *out_len, sk_err *err);

/* Appends the character bigrams of already-normalised text to out, space-separated. A run of a
 * single character yields that character alone (so "a" or "銀" is still searchable).
 * Returns SK_OK or SK_ELIMIT/SK_ENOMEM from the buffer. */
int ground_bigrams(const char *norm, size_t n, sk_buf *out);

/* Appends every kanji (CJK unified ideograph) of normalised text to out as its own token,
 * space-separated, in order: the third stream. Kanji are morphemes, so a passage that says 死去
 * shares 死 with a question that says 死んだ, and 誕生 / 生まれ share 生, where neither the
 * bigrams nor MeCab's base forms meet. With query != 0 the interrogative kanji 何 誰 幾 are left
 * out (they name what is asked, never what the passage says). */
int ground_kanji(const char *norm, size_t n, int query, sk_buf *out);

/* A MeCab tagger (opaque). One per thread: MeCab lattices are not shared. */
typedef struct ground_tagger ground_tagger;

/* Opens MeCab with the system dictionary (mecabrc). Caller frees with ground_tagger_free.
 * SK_ENOTSUP with a message naming the package when no dictionary is installed. */
int ground_tagger_new(ground_tagger **out, sk_err *err);
void ground_tagger_free(ground_tagger *t);

/* Appends the content-word tokens (base forms) of normalised text to out, space-separated. */
int ground_words(ground_tagger *t, const char *norm, size_t n, sk_buf *out, sk_err *err);

/* Query-side bigrams: as ground_bigrams, but bigrams made only of function characters (particles,
 * auxiliaries, pronouns, interrogatives such as 何/どこ/いつ/誰/どの, per MeCab's part of speech)
 * are dropped, and a lone character is kept only when it is content. The passage that answers a
 * question shares its content, not its question form (ですか, はどこ). t may be NULL: plain
 * ground_bigrams then. */
int ground_query_bigrams(ground_tagger *t, const char *norm, size_t n, sk_buf *out, sk_err *err);

/* As ground_query_bigrams, and kind[i] (i < kind_max) gets, for the i-th token written, 2 when
 * all its characters are content and 1 when it straddles content and a function character
 * (a boundary bigram such as 大仏|は). *n_kind gets the token count. kind may be NULL. Without a
 * tagger every token is written with kind 2. */
int ground_query_bigrams_kind(ground_tagger *t, const char *norm, size_t n, sk_buf *out, unsigned char *kind,
                              size_t kind_max, size_t *n_kind, sk_err *err);

/* Blanks, in place (bytes become spaces, the length is kept), the parts of a normalised question
 * that talk about the document or the task rather than its content: a reference to the text
 * itself (この文書 この文章 この記事 この段落 本文 文中 上の文 …) and, when the question holds such a
 * reference, the reporting verbs around it (説明 紹介 挙げ 書か/書い/書き 言及 表現 取り上げ 指摘 述べ
 * 記述 記載 言っ 比較 …); instructions such as 答えなさい / 取り出しなさい / 抜き出しなさい always.
 * "この文書で紹介している説では" then searches for 説, not for paragraphs about documents. A fixed
 * list of the language's reading-comprehension phrasing, not fitted to a data set. Returns the
 * number of phrases blanked. */
size_t ground_query_strip_meta(char *norm, size_t n);

/* 1 when the code point is a letter or digit (Unicode L* or N*), else 0. */
int ground_is_word_cp(unsigned cp);

#endif
