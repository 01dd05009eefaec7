/* verify.h — the explainer: which sentences of a text are supported by the sources, by which
 * passage, and which are not.
 *
 * For each sentence of the text (split as in chunk.h):
 *   1. Lexical support: the source sentences with the highest IDF-weighted share of the claim's
 *      character bigrams ("coverage", 0..1) are its candidate evidence.
 *   2. Deterministic fact checks against that evidence: numbers with their unit (三十日, 1,000円,
 *      第五条; kanji and Arabic numerals compare by value), era dates (令和8年, 平成二十五年,
 *      元年), percentages (1.5%, 百分の五十, 3割), negation around the same words
 *      (できる/できない, しなければならない/しなくてもよい), and names (kanji/katakana runs ending in
 *      大臣, 長官, 委員会, 銀行 ...). A fact whose counterpart in the evidence has another value
 *      makes the sentence CONTRADICTED; a fact absent from the evidence makes it UNSUPPORTED.
 *   3. Otherwise SUPPORTED when coverage >= GROUND_SUPPORT_MIN, else UNSUPPORTED; sentences with
 *      coverage in [GROUND_AMBIGUOUS_MIN, GROUND_SUPPORT_MIN) are marked `ambiguous` — the
 *      place where a second judge (the local model) may be asked. */
#ifndef SK_GROUND_VERIFY_H
#define SK_GROUND_VERIFY_H

#include <stddef.h>

#include "base/err.h"

/* Coverage at or above which a sentence without fact conflicts is supported. */
#define GROUND_SUPPORT_MIN 0.70
/* Coverage from which a differing fact in the best evidence counts as a contradiction (the
 * evidence is about the same statement); below it the sentence is only unsupported. */
#define GROUND_CONTRADICT_MIN 0.60
/* Coverage below which no source passage is considered related at all. */
#define GROUND_AMBIGUOUS_MIN 0.45
/* Evidence spans reported per sentence. */
#define GROUND_EVIDENCE_MAX 3
/* Bounds: sources in total and the text to verify (bytes), sentences of the text. */
#define GROUND_VERIFY_SOURCE_MAX_BYTES (64u << 20)
#define GROUND_VERIFY_TEXT_MAX_BYTES (4u << 20)
#define GROUND_REASON_MAX 256

typedef enum ground_verdict {
  GROUND_SUPPORTED = 0,
  GROUND_UNSUPPORTED = 1,
  GROUND_CONTRADICTED = 2,
} ground_verdict;

typedef struct ground_doc {
  const char *name; /* shown in citations (file path) */
  const char *text; /* valid UTF-8, not necessarily NUL-terminated */
  size_t len;
} ground_doc;

typedef struct ground_evidence {
  size_t doc;        /* index into the sources */
  size_t start, end; /* byte span of the source sentence */
  double coverage;   /* share of the claim this sentence covers, 0..1 */
} ground_evidence;

typedef struct ground_claim {
  size_t start, end; /* byte span of the sentence in the verified text */
  ground_verdict verdict;
  int ambiguous;     /* lexical evidence alone is not decisive (see header comment) */
  double coverage;   /* best single-sentence coverage */
  ground_evidence ev[GROUND_EVIDENCE_MAX];
  size_t n_ev;
  char reason[GROUND_REASON_MAX]; /* e.g. "percentage 1.5% differs from the source (1.2%)" */
} ground_claim;

/* Verifies text[0..n) against the sources. *out is a new array the caller frees with sk_free.
 * SK_EFORMAT for invalid UTF-8 (message names the document and byte), SK_ELIMIT past bounds. */
int ground_verify(const ground_doc *sources, size_t n_sources, const char *text, size_t n,
                  ground_claim **out, size_t *n_out, sk_err *err);

/* Second judge for ambiguous sentences (the local model, plugged in by the caller so that ground
 * does not depend on the engine): given the claim and its best evidence sentence (both UTF-8,
 * not NUL-terminated), sets *verdict to GROUND_SUPPORTED, GROUND_UNSUPPORTED or
 * GROUND_CONTRADICTED and returns SK_OK; any error leaves the lexical verdict in place.
 * Called only for claims with `ambiguous` set and no deterministic fact conflict. */
typedef int (*ground_judge_fn)(void *user, const char *claim, size_t claim_len, const char *evidence,
                               size_t evidence_len, ground_verdict *verdict, sk_err *err);

typedef struct ground_verify_opts {
  ground_judge_fn judge; /* NULL: lexical verdicts only */
  void *judge_user;
} ground_verify_opts;

/* ground_verify with options (opts may be NULL). A claim decided by the judge has its reason
 * prefixed "judge: ". */
int ground_verify_ex(const ground_doc *sources, size_t n_sources, const char *text, size_t n,
                     const ground_verify_opts *opts, ground_claim **out, size_t *n_out, sk_err *err);

const char *ground_verdict_name(ground_verdict v);

#endif
