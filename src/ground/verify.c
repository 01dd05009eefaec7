/* verify.c — sentence-level support and fact checks (see verify.h). */
#include "ground/verify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/utf8.h"
#include "ground/chunk.h"
#include "ground/facts.h"
#include "ground/text.h"

/* Bigram keys per sentence: sentences are cut at GROUND_SENTENCE_MAX_BYTES, so at most that
 * many bigrams; keys are 32-bit hashes (a collision only makes two bigrams count as one). */
#define KEYS_MAX GROUND_SENTENCE_MAX_BYTES
/* Candidate sentences kept per claim for the fact checks: boilerplate such as
 * この法律は、平成X年…から施行する。 repeats with only the date differing, so ties are common. */
#define CANDIDATES_MAX 32
/* Evidence within this share of the best coverage may vouch for a fact. */
#define GROUND_EVIDENCE_NEAR 0.95

typedef struct sent {
  size_t doc, start, end;
  uint32_t *keys; /* sorted, unique */
  size_t nk;
} sent;

const char *ground_verdict_name(ground_verdict v) {
  switch (v) {
  case GROUND_SUPPORTED: return "supported";
  case GROUND_UNSUPPORTED: return "unsupported";
  case GROUND_CONTRADICTED: return "contradicted";
  }
  return "?";
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static int strchr_cp_numeral(uint32_t cp) {
  static const uint32_t k[] = {0x3007, 0x4E00, 0x4E8C, 0x4E09, 0x56DB, 0x4E94, 0x516D, 0x4E03,
                               0x516B, 0x4E5D, 0x5341, 0x767E, 0x5343, 0x4E07, 0x5104};
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) if (k[i] == cp) return 1;
  return 0;
}

/* Hashed bigram set of normalised text (bigrams with a digit or kanji numeral left out). */
static size_t bigram_keys(const char *norm, size_t n, uint32_t *keys, sk_buf *tmp) {
  sk_buf_reset(tmp);
  if (ground_bigrams(norm, n, tmp)) return 0;
  size_t nk = 0;
  const char *p = tmp->data, *end = tmp->data + tmp->len;
  while (p && p < end && nk < KEYS_MAX) {
    const char *sp = memchr(p, ' ', (size_t)(end - p));
    size_t l = sp ? (size_t)(sp - p) : (size_t)(end - p);
    /* numbers are compared by value in the fact checks; as bigrams they would make 十二月 and
     * 12月 look like different words */
    int numeric = 0;
    for (size_t i = 0; i < l;) {
      uint32_t cp = 0;
      size_t cl = sk_utf8_decode(p + i, l - i, &cp);
      if (!cl) break;
      if ((cp >= '0' && cp <= '9') || strchr_cp_numeral(cp)) numeric = 1;
      i += cl;
    }
    if (numeric) { p = sp ? sp + 1 : end; continue; }
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < l; i++) h = (h ^ (unsigned char)p[i]) * 16777619u;
    if (l) keys[nk++] = h;
    p = sp ? sp + 1 : end;
  }
  qsort(keys, nk, sizeof *keys, cmp_u32);
  size_t w = 0;
  for (size_t i = 0; i < nk; i++) if (!w || keys[w - 1] != keys[i]) keys[w++] = keys[i];
  return w;
}

typedef struct dfent {
  uint32_t key;
  uint32_t df;
} dfent;

static double idf_of(const dfent *df, size_t ndf, size_t nsent, uint32_t key) {
  size_t lo = 0, hi = ndf;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (df[mid].key < key) lo = mid + 1;
    else hi = mid;
  }
  double d = (lo < ndf && df[lo].key == key) ? df[lo].df : 0.5;
  return log(1.0 + (double)nsent / d);
}

static double coverage(const uint32_t *ck, const double *w, size_t nc, double wsum, const sent *s) {
  double got = 0;
  size_t i = 0, j = 0;
  while (i < nc && j < s->nk) {
    if (ck[i] < s->keys[j]) i++;
    else if (ck[i] > s->keys[j]) j++;
    else got += w[i], i++, j++;
  }
  return wsum > 0 ? got / wsum : 0;
}

static int same_fact(const ground_fact *a, const ground_fact *b) {
  if (a->kind != b->kind) return 0;
  switch (a->kind) {
  case GROUND_FACT_NEGATION: return !strcmp(a->key, b->key) && !strcmp(a->unit, b->unit);
  case GROUND_FACT_NAME: return !strcmp(a->key, b->key);
  default: return !strcmp(a->unit, b->unit) && fabs(a->value - b->value) < 1e-9;
  }
}

static const char *kind_name(ground_fact_kind k) {
  static const char *const n[] = {"number", "date", "percentage", "negation", "name"};
  return n[k];
}

/* Normalises a span into *norm (freed by caller). */
static int norm_span(const char *t, size_t s, size_t e, char **norm, size_t *nl, sk_err *err) {
  return ground_normalize(t + s, e - s, norm, nl, err);
}

typedef struct srcfacts {
  ground_fact f[GROUND_FACTS_MAX];
  size_t n;
  char *norm;
  size_t nl;
} srcfacts;

static const char *const k_polarity[] = {"affirmatively", "negatively (ない/ず/ません)", "permissively (もよい)",
                                         "with an obligation (なければならない)"};

/* Polarity of the last few characters before the final 。: 0 plain, 1 negative, 2 permissive,
 * 3 obligation. */
static int final_polarity(const char *s, size_t n) {
  while (n >= 3 && (!memcmp(s + n - 3, "。", 3) || !memcmp(s + n - 3, "」", 3) || !memcmp(s + n - 3, "）", 3))) n -= 3;
  size_t from = n > 15 ? n - 15 : 0; /* five characters */
  while (from > 0 && from < n && ((unsigned char)s[from] & 0xC0) == 0x80) from++;
  const char *t = s + from;
  size_t tl = n - from;
  if (memmem(t, tl, "もよい", 9) || memmem(t, tl, "てよい", 9)) return 2;
  /* obligation: a wider window, なければならない is eight characters */
  size_t wf = n > 30 ? n - 30 : 0;
  while (wf > 0 && wf < n && ((unsigned char)s[wf] & 0xC0) == 0x80) wf++;
  if (memmem(s + wf, n - wf, "なければならな", 21) || memmem(s + wf, n - wf, "なくてはならな", 21) ||
      memmem(s + wf, n - wf, "なければならぬ", 21))
    return 3;
  if (memmem(t, tl, "ない", 6) || memmem(t, tl, "ません", 9) || memmem(t, tl, "ず", 3) || memmem(t, tl, "ぬ", 3)) return 1;
  return 0;
}

/* Fact checks of claim facts cf against the evidence sentences' facts. */
static void check_facts(const ground_fact *cf, size_t ncf, const char *cnorm, size_t cnl,
                        const srcfacts *ev, const double *ev_cov, size_t nev, ground_claim *c) {
  for (size_t i = 0; i < ncf && c->verdict != GROUND_CONTRADICTED; i++) {
    const ground_fact *a = &cf[i];
    int found = 0;
    /* only evidence about as good as the best counts: a weaker sentence that happens to carry
     * the same number (another article's 平成十年) does not vouch for this one */
    for (size_t e = 0; e < nev && !found && ev_cov[e] >= GROUND_EVIDENCE_NEAR * ev_cov[0]; e++)
      for (size_t j = 0; j < ev[e].n && !found; j++) found = same_fact(a, &ev[e].f[j]);
    if (found) continue;
    /* a counterpart of the same kind and unit in the best evidence with another value */
    const ground_fact *other = NULL;
    for (size_t j = 0; j < (nev ? ev[0].n : 0) && !other; j++) {
      const ground_fact *b = &ev[0].f[j];
      if (b->kind != a->kind) continue;
      if (a->kind == GROUND_FACT_NEGATION) continue;
      if (!strcmp(a->unit, b->unit)) other = b;
    }
    /* a counterpart only contradicts when the evidence is about the same statement; below
     * GROUND_CONTRADICT_MIN (names: GROUND_SUPPORT_MIN, a shared suffix is weak evidence) the
     * claim is merely unsupported */
    double need = a->kind == GROUND_FACT_NAME ? GROUND_SUPPORT_MIN : GROUND_CONTRADICT_MIN;
    if ((a->kind == GROUND_FACT_NEGATION || other) && ev_cov[0] >= need) {
      c->verdict = GROUND_CONTRADICTED;
      if (other)
        snprintf(c->reason, sizeof c->reason, "%s %s differs from the source (%s)", kind_name(a->kind), a->key, other->key);
      else
        snprintf(c->reason, sizeof c->reason, "negation differs: '%s%s' is not what the source says", a->key, a->unit);
      return;
    }
    if (c->verdict == GROUND_SUPPORTED) {
      c->verdict = GROUND_UNSUPPORTED;
      snprintf(c->reason, sizeof c->reason, "%s %s does not appear in the source", kind_name(a->kind), a->key);
    }
  }
  if (c->verdict == GROUND_CONTRADICTED || !nev || ev_cov[0] < GROUND_CONTRADICT_MIN) return;
  /* the predicate at the end of the sentence: obligation/prohibition (…ならない), negation
   * (…できない), permission (…てもよい) or plain (…できる) must agree with the evidence */
  int pc = final_polarity(cnorm, cnl), pe = final_polarity(ev[0].norm, ev[0].nl);
  /* which pairs conflict: plain~permissive (できる/してもよい) and plain~obligation (とされる/
   * しなければならない) are paraphrases; negation against anything else, and permission against
   * obligation, are not */
  static const unsigned char conflict[4][4] = {{0, 1, 0, 0}, {1, 0, 1, 1}, {0, 1, 0, 1}, {0, 1, 1, 0}};
  if (conflict[pc][pe]) {
    c->verdict = GROUND_CONTRADICTED;
    snprintf(c->reason, sizeof c->reason, "the sentence ends %s, the source %s", k_polarity[pc], k_polarity[pe]);
    return;
  }
  /* the reverse: a negation in the evidence whose context appears in the claim un-negated */
  for (size_t j = 0; j < ev[0].n; j++) {
    const ground_fact *b = &ev[0].f[j];
    if (b->kind != GROUND_FACT_NEGATION || strlen(b->key) < 6) continue;
    int in_claim = 0;
    for (size_t i = 0; i < ncf && !in_claim; i++) in_claim = same_fact(b, &cf[i]);
    if (in_claim) continue;
    if (memmem(cnorm, cnl, b->key, strlen(b->key))) {
      c->verdict = GROUND_CONTRADICTED;
      snprintf(c->reason, sizeof c->reason, "negation differs: the source says '%s%s'", b->key, b->unit);
      return;
    }
  }
}

int ground_verify(const ground_doc *sources, size_t n_sources, const char *text, size_t n,
                  ground_claim **out, size_t *n_out, sk_err *err) {
  return ground_verify_ex(sources, n_sources, text, n, NULL, out, n_out, err);
}

int ground_verify_ex(const ground_doc *sources, size_t n_sources, const char *text, size_t n,
                     const ground_verify_opts *opts, ground_claim **out, size_t *n_out, sk_err *err) {
  *out = NULL;
  *n_out = 0;
  size_t total = 0;
  for (size_t d = 0; d < n_sources; d++) {
    total += sources[d].len;
    size_t bad = 0;
    if (!sk_utf8_valid(sources[d].text, sources[d].len, &bad))
      return sk_err_set(err, SK_EFORMAT, "source %s: invalid UTF-8 at byte %zu", sources[d].name, bad);
  }
  if (total > GROUND_VERIFY_SOURCE_MAX_BYTES)
    return sk_err_set(err, SK_ELIMIT, "sources total %zu bytes, more than %u", total, GROUND_VERIFY_SOURCE_MAX_BYTES);
  if (n > GROUND_VERIFY_TEXT_MAX_BYTES)
    return sk_err_set(err, SK_ELIMIT, "text of %zu bytes is more than %u", n, GROUND_VERIFY_TEXT_MAX_BYTES);
  size_t bad = 0;
  if (!sk_utf8_valid(text, n, &bad)) return sk_err_set(err, SK_EFORMAT, "text: invalid UTF-8 at byte %zu", bad);

  int rc = SK_OK;
  sent *ss = NULL;
  size_t nss = 0, capss = 0;
  uint32_t *keys = sk_malloc(KEYS_MAX * sizeof *keys);
  double *w = sk_malloc(KEYS_MAX * sizeof *w);
  sk_buf tmp;
  sk_buf_init(&tmp, 16 * GROUND_SENTENCE_MAX_BYTES);
  dfent *df = NULL;
  ground_span *cs = NULL;
  ground_claim *claims = NULL;
  srcfacts *sf = NULL;
  char *norm = NULL;
  size_t ndf = 0, ncs = 0;
  if (!keys || !w) { rc = sk_err_set(err, SK_ENOMEM, "out of memory"); goto done; }
  /* 1. source sentences and their bigram sets */
  for (size_t d = 0; d < n_sources; d++) {
    ground_span *sp = NULL;
    size_t nsp = 0;
    if ((rc = ground_split_sentences(sources[d].text, sources[d].len, &sp, &nsp, err))) goto done;
    for (size_t k = 0; k < nsp && !rc; k++) {
      size_t nl = 0;
      sk_free(norm);
      norm = NULL;
      if ((rc = norm_span(sources[d].text, sp[k].start, sp[k].end, &norm, &nl, err))) break;
      size_t nk = bigram_keys(norm, nl, keys, &tmp);
      if (!nk) continue;
      if (nss == capss) {
        size_t nc = capss ? capss * 2 : 256;
        sent *nv = sk_realloc(ss, nc * sizeof *nv);
        if (!nv) { rc = sk_err_set(err, SK_ENOMEM, "out of memory"); break; }
        ss = nv, capss = nc;
      }
      uint32_t *kc = sk_malloc(nk * sizeof *kc);
      if (!kc) { rc = sk_err_set(err, SK_ENOMEM, "out of memory"); break; }
      memcpy(kc, keys, nk * sizeof *kc);
      ss[nss++] = (sent){d, sp[k].start, sp[k].end, kc, nk};
    }
    sk_free(sp);
    if (rc) goto done;
  }
  /* document frequencies over source sentences */
  {
    size_t all = 0;
    for (size_t i = 0; i < nss; i++) all += ss[i].nk;
    uint32_t *flat = sk_malloc((all ? all : 1) * sizeof *flat);
    df = sk_malloc((all ? all : 1) * sizeof *df);
    if (!flat || !df) { sk_free(flat); rc = sk_err_set(err, SK_ENOMEM, "out of memory"); goto done; }
    size_t p = 0;
    for (size_t i = 0; i < nss; i++) memcpy(flat + p, ss[i].keys, ss[i].nk * sizeof *flat), p += ss[i].nk;
    qsort(flat, all, sizeof *flat, cmp_u32);
    for (size_t i = 0; i < all; i++) {
      if (ndf && df[ndf - 1].key == flat[i]) df[ndf - 1].df++;
      else df[ndf++] = (dfent){flat[i], 1};
    }
    sk_free(flat);
  }
  /* 2. claims */
  if ((rc = ground_split_sentences(text, n, &cs, &ncs, err))) goto done;
  claims = sk_calloc(ncs ? ncs : 1, sizeof *claims);
  sf = sk_calloc(CANDIDATES_MAX, sizeof *sf);
  if (!claims || !sf) { rc = sk_err_set(err, SK_ENOMEM, "out of memory"); goto done; }
  for (size_t k = 0; k < ncs; k++) {
    ground_claim *c = &claims[k];
    c->start = cs[k].start;
    c->end = cs[k].end;
    size_t nl = 0;
    sk_free(norm);
    norm = NULL;
    if ((rc = norm_span(text, cs[k].start, cs[k].end, &norm, &nl, err))) goto done;
    size_t nk = bigram_keys(norm, nl, keys, &tmp);
    double wsum = 0;
    for (size_t i = 0; i < nk; i++) wsum += (w[i] = idf_of(df, ndf, nss, keys[i]));
    /* top evidence by coverage */
    size_t best[CANDIDATES_MAX];
    double bc[CANDIDATES_MAX];
    size_t nb = 0;
    for (size_t s = 0; s < nss; s++) {
      double cv = coverage(keys, w, nk, wsum, &ss[s]);
      if (cv <= 0) continue;
      size_t pos = nb;
      while (pos > 0 && bc[pos - 1] < cv) pos--;
      if (pos >= CANDIDATES_MAX) continue;
      size_t last = nb < CANDIDATES_MAX ? nb : CANDIDATES_MAX - 1;
      for (size_t m = last; m > pos; m--) best[m] = best[m - 1], bc[m] = bc[m - 1];
      best[pos] = s, bc[pos] = cv;
      if (nb < CANDIDATES_MAX) nb++;
    }
    c->coverage = nb ? bc[0] : 0;
    c->verdict = GROUND_SUPPORTED;
    c->n_ev = 0;
    size_t ncand = 0;
    while (ncand < nb && bc[ncand] >= GROUND_AMBIGUOUS_MIN) ncand++;
    for (size_t e = 0; e < ncand && c->n_ev < GROUND_EVIDENCE_MAX; e++)
      c->ev[c->n_ev++] = (ground_evidence){ss[best[e]].doc, ss[best[e]].start, ss[best[e]].end, bc[e]};
    if (c->coverage < GROUND_AMBIGUOUS_MIN) {
      c->verdict = GROUND_UNSUPPORTED;
      snprintf(c->reason, sizeof c->reason, "no source passage says this (best coverage %.2f)", c->coverage);
      continue;
    }
    ground_fact cf[GROUND_FACTS_MAX];
    size_t ncf = ground_facts_extract(norm, nl, cf);
    for (size_t e = 0; e < ncand; e++) {
      const sent *x = &ss[best[e]];
      sk_free(sf[e].norm);
      sf[e].norm = NULL;
      if ((rc = norm_span(sources[x->doc].text, x->start, x->end, &sf[e].norm, &sf[e].nl, err))) goto done;
      sf[e].n = ground_facts_extract(sf[e].norm, sf[e].nl, sf[e].f);
    }
    check_facts(cf, ncf, norm, nl, sf, bc, ncand, c);
    if (c->verdict == GROUND_SUPPORTED && ncand > 1) {
      /* cite the candidate that carries the claim's facts, when a tie put another one first */
      for (size_t e = 1; e < ncand && bc[e] >= GROUND_EVIDENCE_NEAR * bc[0]; e++) {
        size_t hits0 = 0, hitse = 0;
        for (size_t i = 0; i < ncf; i++)
          for (size_t j = 0; j < sf[0].n || j < sf[e].n; j++) {
            if (j < sf[0].n && same_fact(&cf[i], &sf[0].f[j])) hits0++;
            if (j < sf[e].n && same_fact(&cf[i], &sf[e].f[j])) hitse++;
          }
        if (hitse > hits0) {
          c->ev[0] = (ground_evidence){ss[best[e]].doc, ss[best[e]].start, ss[best[e]].end, bc[e]};
          break;
        }
      }
    }
    if (c->verdict == GROUND_SUPPORTED && c->coverage < GROUND_SUPPORT_MIN) {
      c->verdict = GROUND_UNSUPPORTED;
      c->ambiguous = 1;
      snprintf(c->reason, sizeof c->reason, "only partly covered by the source (coverage %.2f)", c->coverage);
      if (opts && opts->judge && c->n_ev) {
        ground_verdict jv = c->verdict;
        sk_err jerr;
        const ground_evidence *x = &c->ev[0];
        if (opts->judge(opts->judge_user, text + c->start, c->end - c->start, sources[x->doc].text + x->start,
                        x->end - x->start, &jv, &jerr) == SK_OK &&
            (jv == GROUND_SUPPORTED || jv == GROUND_UNSUPPORTED || jv == GROUND_CONTRADICTED)) {
          c->verdict = jv;
          snprintf(c->reason, sizeof c->reason, "judge: %s (lexical coverage %.2f)", ground_verdict_name(jv), c->coverage);
        }
      }
    }
  }
  *out = claims;
  *n_out = ncs;
  claims = NULL;
done:
  for (size_t i = 0; i < nss; i++) sk_free(ss[i].keys);
  if (sf) for (size_t e = 0; e < CANDIDATES_MAX; e++) sk_free(sf[e].norm);
  sk_free(sf);
  sk_free(ss);
  sk_free(keys);
  sk_free(w);
  sk_free(df);
  sk_free(cs);
  sk_free(claims);
  sk_free(norm);
  sk_buf_release(&tmp);
  return rc;
}
