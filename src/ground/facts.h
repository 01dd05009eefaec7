/* facts.h — deterministic extraction of checkable facts from normalised (NFKC) Japanese text:
 * numbers with units, era dates, percentages, negations in context, and names. Internal to
 * ground (verify.c); exposed for tests and the fuzzer. */
#ifndef SK_GROUND_FACTS_H
#define SK_GROUND_FACTS_H

#include <stddef.h>

/* Facts kept per sentence; further ones are ignored (a sentence is bounded in size anyway). */
#define GROUND_FACTS_MAX 48
#define GROUND_FACT_KEY_MAX 48

typedef enum ground_fact_kind {
  GROUND_FACT_NUMBER = 0, /* value + unit (円, 日, 条 with 第 ...) */
  GROUND_FACT_DATE,       /* era + year */
  GROUND_FACT_PERCENT,    /* value in percent */
  GROUND_FACT_NEGATION,   /* key: up to 3 characters before a negation marker */
  GROUND_FACT_NAME,       /* key: the name; unit: its suffix (大臣, 委員会 ...) */
} ground_fact_kind;

typedef struct ground_fact {
  ground_fact_kind kind;
  double value;
  char unit[GROUND_FACT_KEY_MAX]; /* unit, era, or name suffix */
  char key[GROUND_FACT_KEY_MAX];  /* surface text as found (for messages) / negation context */
} ground_fact;

/* Extracts facts of s[0..n) (normalised UTF-8) into f (capacity GROUND_FACTS_MAX); returns the
 * count. Never fails: malformed bytes are skipped. */
size_t ground_facts_extract(const char *s, size_t n, ground_fact *f);

/* Parses a kanji numeral run (〇一二...十百千万億兆) of s[0..n); returns 1 and *v on success. */
int ground_kanji_number(const char *s, size_t n, double *v);

#endif
