/* guard.h — Japanese personal-data detection (the "scan" stage of the checkpoint).
 *
 *   pii_scanner *sc; pii_scanner_new(NULL, &sc, &err);     // loads the name lexicon once
 *   pii_findings f; pii_findings_init(&f);
 *   pii_scan(sc, text, len, &f, &err);                      // f.items[i]: type, [start,end), score
 *   pii_findings_release(&f); pii_scanner_free(sc);
 *
 * Offsets are UTF-8 byte offsets into the ORIGINAL text (end exclusive), whatever the
 * normalisation did. Findings never overlap and are sorted by start. A scanner is immutable after
 * creation and may be shared by threads; each pii_scan call uses only its own memory.
 * Nothing in this module logs or prints the values it finds. */
#ifndef SK_GUARD_GUARD_H
#define SK_GUARD_GUARD_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef enum pii_type {
  PII_JP_MY_NUMBER = 0,
  PII_JP_CORPORATE_NUMBER,
  PII_CREDIT_CARD,
  PII_PHONE_NUMBER,
  PII_POSTAL_CODE,
  PII_ADDRESS,
  PII_PERSON,
  PII_EMAIL,
  PII_IP_ADDRESS,
  PII_BANK_ACCOUNT,
  PII_DRIVERS_LICENSE,
  PII_PASSPORT,
  PII_RESIDENCE_CARD,
  PII_DATE_OF_BIRTH,
  PII_HEALTH_INSURANCE,
  PII_TYPE_COUNT
} pii_type;

/* Sensitivity of a whole text, ordered: a policy compares with < and >. */
typedef enum pii_level {
  PII_LEVEL_PUBLIC = 0,   /* nothing found */
  PII_LEVEL_INTERNAL,     /* business identifiers only (corporate number, role e-mail, IP) */
  PII_LEVEL_PERSONAL,     /* 個人情報: names, contacts, addresses, account and card numbers */
  PII_LEVEL_SPECIFIC,     /* 特定個人情報: contains a My Number */
  PII_LEVEL_HIGHEST,      /* health-insurance numbers: may not even be requested (since 2020) */
} pii_level;

typedef struct pii_finding {
  pii_type type;
  size_t start; /* byte offset in the original text */
  size_t end;   /* exclusive */
  float score;  /* confidence in (0,1] */
} pii_finding;

typedef struct pii_findings {
  pii_finding *items;
  size_t count;
  size_t cap;
} pii_findings;

/* Hard limits. */
/* Largest text one pii_scan call accepts: offsets are kept in 32 bits in the normaliser's map,
 * and a prompt larger than this is not a prompt. Callers split longer documents. */
#define PII_MAX_TEXT_BYTES ((size_t)64 << 20)
/* Most findings kept per call: bounds memory on hostile input (a file of nothing but numbers). */
#define PII_MAX_FINDINGS ((size_t)1 << 20)

typedef struct pii_options {
  const char *mecab_dicdir; /* NULL: the system default (mecab-ipadic-utf8) */
  int disable_mecab;        /* 1: names from the lexicon and context only (no MeCab) */
  float min_score;          /* findings below this are dropped; 0 keeps all */
} pii_options;

typedef struct pii_scanner pii_scanner;

/* Creates a scanner (caller owns *out, frees with pii_scanner_free). Loads the person-name
 * lexicon from the MeCab dictionary; when MeCab or its dictionary is missing the scanner still
 * works with katakana/romaji/context rules only and pii_scanner_has_mecab() says 0. */
int pii_scanner_new(const pii_options *opt, pii_scanner **out, sk_err *err);
void pii_scanner_free(pii_scanner *sc);
int pii_scanner_has_mecab(const pii_scanner *sc);

void pii_findings_init(pii_findings *f);
void pii_findings_release(pii_findings *f);

/* Scans text[0..len) (any bytes: invalid UTF-8 and NULs are tolerated) and APPENDS findings to
 * out (caller owns out). Returns 0, SK_ELIMIT (len > PII_MAX_TEXT_BYTES), SK_ENOMEM. */
int pii_scan(const pii_scanner *sc, const char *text, size_t len, pii_findings *out, sk_err *err);

/* Smallest chunk pii_scan_parallel gives a thread: below this the context margins (about 2 KB
 * per chunk) and thread start-up cost more than they save. */
#define PII_PARALLEL_MIN_CHUNK ((size_t)256 << 10)

/* pii_scan on up to `threads` threads for long texts: the text is cut at line starts into
 * chunks of at least min_chunk bytes (0: PII_PARALLEL_MIN_CHUNK), each scanned with enough
 * context around it that the findings equal those of pii_scan on the whole text. Appends to
 * out (caller owns it); same errors as pii_scan. threads <= 1 or a short text: plain pii_scan. */
int pii_scan_parallel(const pii_scanner *sc, const char *text, size_t len, int threads,
                      size_t min_chunk, pii_findings *out, sk_err *err);

/* Sensitivity of a text given its findings. */
pii_level pii_classify(const pii_findings *f);

const char *pii_type_name(pii_type t);       /* "JP_MY_NUMBER"; never NULL */
int pii_type_from_name(const char *name);     /* pii_type, or -1 */
const char *pii_level_name(pii_level l);     /* "public", "internal", ... */
pii_level pii_type_level(pii_type t);        /* level a single finding of type t implies */

#endif
