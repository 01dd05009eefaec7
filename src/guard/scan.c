/* scan.c — the scanner: normalise, run every recogniser, resolve overlaps, map spans back to
 * the original bytes. */
#include <mecab.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/utf8.h"
#include "guard/internal.h"

static const char *const k_type_names[PII_TYPE_COUNT] = {
    "JP_MY_NUMBER", "JP_CORPORATE_NUMBER", "CREDIT_CARD",     "PHONE_NUMBER",
    "POSTAL_CODE",  "ADDRESS",             "PERSON",          "EMAIL",
    "IP_ADDRESS",   "BANK_ACCOUNT",        "DRIVERS_LICENSE", "PASSPORT",
    "RESIDENCE_CARD", "DATE_OF_BIRTH",     "HEALTH_INSURANCE"};

const char *pii_type_name(pii_type t) {
  return (unsigned)t < PII_TYPE_COUNT ? k_type_names[t] : "UNKNOWN";
}

int pii_type_from_name(const char *name) {
  for (int i = 0; i < PII_TYPE_COUNT; i++)
    if (!strcmp(name, k_type_names[i])) return i;
  return -1;
}

const char *pii_level_name(pii_level l) {
  static const char *const names[] = {"public", "internal", "personal", "specific", "highest"};
  return (unsigned)l <= PII_LEVEL_HIGHEST ? names[l] : "unknown";
}

pii_level pii_type_level(pii_type t) {
  switch (t) {
  case PII_JP_MY_NUMBER: return PII_LEVEL_SPECIFIC;
  case PII_HEALTH_INSURANCE: return PII_LEVEL_HIGHEST;
  case PII_JP_CORPORATE_NUMBER:
  case PII_IP_ADDRESS: return PII_LEVEL_INTERNAL;
  default: return PII_LEVEL_PERSONAL;
  }
}

pii_level pii_classify(const pii_findings *f) {
  pii_level l = PII_LEVEL_PUBLIC;
  for (size_t i = 0; i < f->count; i++) {
    pii_level t = pii_type_level(f->items[i].type);
    if (t > l) l = t;
  }
  return l;
}

void pii_findings_init(pii_findings *f) { memset(f, 0, sizeof *f); }
void pii_findings_release(pii_findings *f) {
  sk_free(f->items);
  memset(f, 0, sizeof *f);
}

static int findings_push(pii_findings *f, pii_finding x) {
  if (f->count >= PII_MAX_FINDINGS) return SK_ELIMIT;
  if (f->count == f->cap) {
    size_t nc = f->cap ? f->cap * 2 : 16;
    pii_finding *ni = sk_realloc(f->items, nc * sizeof *ni);
    if (!ni) return SK_ENOMEM;
    f->items = ni;
    f->cap = nc;
  }
  f->items[f->count++] = x;
  return 0;
}

void pii_emit(pii_doc *d, pii_type t, size_t start, size_t end, float score) {
  if (end <= start || end > d->n.len) return;
  if (findings_push(&d->cands, (pii_finding){.type = t, .start = start, .end = end, .score = score}))
    d->oom = 1;
}

/* ---- scanner ---- */

/* Idle (tagger, lattice) pairs: one per thread that scanned at once is enough; 64 is
 * pii_scan_parallel's thread limit. */
#define PII_MECAB_POOL_MAX 64
struct pii_mpool {
  pthread_mutex_t mu;
  size_t n;
  void *tagger[PII_MECAB_POOL_MAX], *lattice[PII_MECAB_POOL_MAX];
};

bool pii_mecab_take(const pii_scanner_impl *sc, void **tagger, void **lattice) {
  *tagger = *lattice = NULL;
  if (!sc->mecab_model) return false;
  struct pii_mpool *p = sc->mpool;
  if (p) {
    pthread_mutex_lock(&p->mu);
    if (p->n) {
      p->n--;
      *tagger = p->tagger[p->n];
      *lattice = p->lattice[p->n];
    }
    pthread_mutex_unlock(&p->mu);
    if (*tagger) return true;
  }
  *tagger = mecab_model_new_tagger(sc->mecab_model);
  *lattice = mecab_model_new_lattice(sc->mecab_model);
  if (*tagger && *lattice) return true;
  if (*lattice) mecab_lattice_destroy(*lattice);
  if (*tagger) mecab_destroy(*tagger);
  *tagger = *lattice = NULL;
  return false;
}

void pii_mecab_give(const pii_scanner_impl *sc, void *tagger, void *lattice) {
  if (!tagger || !lattice) {
    if (lattice) mecab_lattice_destroy(lattice);
    if (tagger) mecab_destroy(tagger);
    return;
  }
  struct pii_mpool *p = sc->mpool;
  if (p) {
    mecab_lattice_clear(lattice);
    pthread_mutex_lock(&p->mu);
    bool kept = p->n < PII_MECAB_POOL_MAX;
    if (kept) {
      p->tagger[p->n] = tagger;
      p->lattice[p->n] = lattice;
      p->n++;
    }
    pthread_mutex_unlock(&p->mu);
    if (kept) return;
  }
  mecab_lattice_destroy(lattice);
  mecab_destroy(tagger);
}

int pii_scanner_new(const pii_options *opt, pii_scanner **out, sk_err *err) {
  *out = NULL;
  pii_scanner *sc = sk_calloc(1, sizeof *sc);
  if (!sc) return sk_err_set(err, SK_ENOMEM, "out of memory creating the scanner");
  if (opt) sc->opt = *opt;
  if (!sc->opt.disable_mecab) {
    char arg[600];
    if (sc->opt.mecab_dicdir)
      snprintf(arg, sizeof arg, "-d %s", sc->opt.mecab_dicdir);
    else
      arg[0] = '\0';
    mecab_model_t *m = mecab_model_new2(arg);
    if (m) {
      const mecab_dictionary_info_t *di = mecab_model_dictionary_info(m);
      sk_err lerr;
      if (di && di->filename && lex_load(di->filename, &sc->lex, &lerr) == 0) {
        sc->mecab_model = m;
        sc->mpool = sk_calloc(1, sizeof *sc->mpool); /* NULL: no pool, a pair per scan */
        if (sc->mpool && pthread_mutex_init(&sc->mpool->mu, NULL)) {
          sk_free(sc->mpool);
          sc->mpool = NULL;
        }
      } else {
        mecab_model_destroy(m);
      }
    }
  }
  *out = sc;
  return 0;
}

void pii_scanner_free(pii_scanner *sc) {
  if (!sc) return;
  if (sc->mpool) {
    for (size_t i = 0; i < sc->mpool->n; i++) {
      mecab_lattice_destroy(sc->mpool->lattice[i]);
      mecab_destroy(sc->mpool->tagger[i]);
    }
    pthread_mutex_destroy(&sc->mpool->mu);
    sk_free(sc->mpool);
  }
  if (sc->mecab_model) mecab_model_destroy(sc->mecab_model);
  lex_free(sc->lex);
  sk_free(sc);
}

int pii_scanner_has_mecab(const pii_scanner *sc) { return sc && sc->mecab_model != NULL; }

/* ---- resolution ---- */

static int by_score_desc(const void *pa, const void *pb) {
  const pii_finding *a = pa, *b = pb;
  if (a->score != b->score) return a->score > b->score ? -1 : 1;
  size_t la = a->end - a->start, lb = b->end - b->start;
  if (la != lb) return la > lb ? -1 : 1;
  return a->start < b->start ? -1 : a->start > b->start;
}

/* Stable bottom-up merge sort of candidates by by_score_desc, with the comparison inlined: on
 * PII-dense text qsort's indirect calls and element copies were a tenth of the scan. Being
 * stable, it orders exactly as glibc's (merge-sort) qsort did. Returns SK_ENOMEM without
 * touching v when the scratch buffer cannot be had. */
static inline bool score_before(const pii_finding *a, const pii_finding *b) {
  if (a->score != b->score) return a->score > b->score;
  size_t la = a->end - a->start, lb = b->end - b->start;
  if (la != lb) return la > lb;
  return a->start < b->start;
}

static int sort_by_score(pii_finding *v, size_t n) {
  if (n < 2) return 0;
  pii_finding *tmp = sk_malloc(n * sizeof *tmp);
  if (!tmp) return SK_ENOMEM;
  pii_finding *src = v, *dst = tmp;
  for (size_t w = 1; w < n; w *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * w) {
      size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      size_t a = lo, b = mid, o = lo;
      while (a < mid && b < hi) dst[o++] = score_before(&src[b], &src[a]) ? src[b++] : src[a++];
      while (a < mid) dst[o++] = src[a++];
      while (b < hi) dst[o++] = src[b++];
    }
    pii_finding *t = src;
    src = dst;
    dst = t;
  }
  if (src != v) memcpy(v, src, n * sizeof *v);
  sk_free(tmp);
  return 0;
}

/* Kept findings never overlap, so their starts are distinct and any sort orders them the same
 * way: the same bottom-up merge as above, by start (qsort's indirect calls were ~6% of a scan of
 * PII-dense text). Returns SK_ENOMEM without touching v when the scratch cannot be had. */
static int sort_by_start(pii_finding *v, size_t n) {
  if (n < 2) return 0;
  pii_finding *tmp = sk_malloc(n * sizeof *tmp);
  if (!tmp) return SK_ENOMEM;
  pii_finding *src = v, *dst = tmp;
  for (size_t w = 1; w < n; w *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * w) {
      size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      size_t a = lo, b = mid, o = lo;
      while (a < mid && b < hi) dst[o++] = src[b].start < src[a].start ? src[b++] : src[a++];
      while (a < mid) dst[o++] = src[a++];
      while (b < hi) dst[o++] = src[b++];
    }
    pii_finding *t = src;
    src = dst;
    dst = t;
  }
  if (src != v) memcpy(v, src, n * sizeof *v);
  sk_free(tmp);
  return 0;
}

static int by_start(const void *pa, const void *pb) {
  const pii_finding *a = pa, *b = pb;
  return a->start < b->start ? -1 : a->start > b->start;
}

int pii_scan(const pii_scanner *sc, const char *text, size_t len, pii_findings *out, sk_err *err) {
  if (!sc || !out || (!text && len)) return sk_err_set(err, SK_EINVAL, "pii_scan: NULL argument");
  if (len > PII_MAX_TEXT_BYTES)
    return sk_err_set(err, SK_ELIMIT, "text is %zu bytes; the scanner takes at most %zu per call "
                      "(split the document)", len, PII_MAX_TEXT_BYTES);
  pii_doc d = {.sc = sc};
  if (pii_norm_build(&d.n, text ? text : "", len))
    return sk_err_set(err, SK_ENOMEM, "out of memory normalising %zu bytes", len);
  d.cls = d.n.cls; /* built in the same pass */
  rec_table(&d);
  rec_numbers(&d);
  rec_email(&d);
  rec_ip_v6(&d);
  rec_passport(&d);
  rec_residence_card(&d);
  rec_date_of_birth(&d);
  rec_address(&d);
  rec_person(&d);
  int rc = 0;
  if (d.oom) {
    rc = sk_err_set(err, SK_ENOMEM, "out of memory (or more than %zu candidates) while scanning",
                    PII_MAX_FINDINGS);
    goto done;
  }
  /* greedy: best score first, never overlapping */
  if (sort_by_score(d.cands.items, d.cands.count))
    qsort(d.cands.items, d.cands.count, sizeof *d.cands.items, by_score_desc);
  pii_findings keep;
  pii_findings_init(&keep);
  unsigned char *taken = sk_calloc(d.n.len + 1, 1);
  if (!taken) {
    rc = sk_err_set(err, SK_ENOMEM, "out of memory resolving findings");
    goto done;
  }
  for (size_t i = 0; i < d.cands.count; i++) {
    pii_finding *c = &d.cands.items[i];
    if (c->score < sc->opt.min_score) continue;
    bool clash = false;
    for (size_t k = c->start; k < c->end && !clash; k++) clash = taken[k];
    if (clash) continue;
    memset(taken + c->start, 1, c->end - c->start);
    if (findings_push(&keep, *c)) {
      rc = sk_err_set(err, SK_ENOMEM, "out of memory resolving findings");
      break;
    }
  }
  sk_free(taken);
  if (!rc) {
    if (keep.count && sort_by_start(keep.items, keep.count))
      qsort(keep.items, keep.count, sizeof *keep.items, by_start);
    for (size_t i = 0; i < keep.count && !rc; i++) {
      pii_finding f = keep.items[i];
      pii_norm_span(&d.n, f.start, f.end, &f.start, &f.end);
      if (findings_push(out, f)) rc = sk_err_set(err, SK_ENOMEM, "out of memory storing findings");
    }
  }
  pii_findings_release(&keep);
done:
  pii_mecab_give(sc, d.mecab_tagger, d.mecab_lattice);
  sk_free(d.mc_nodes);
  pii_person_release(&d);
  sk_free(d.tc);
  pii_findings_release(&d.cands);
  pii_norm_release(&d.n);
  return rc;
}

/* ---- character helpers ---- */

size_t ch_at_slow(const char *s, size_t len, size_t i, uint32_t *cp) {
  size_t k = sk_utf8_decode(s + i, len - i, cp);
  if (!k) {
    *cp = (unsigned char)s[i];
    return 1;
  }
  return k;
}
