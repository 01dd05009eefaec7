/* canon.h — a strict JSON parser into a flat tree, and the canonical form the audit log stores.
 *
 *   canon_doc d;  canon_init(&d);
 *   canon_parse(&d, json, len, 16, &e);     // root is node 0; object members sorted by key
 *   canon_dump(&d, 0, &buf);                // compact, keys sorted
 *   canon_release(&d);
 *
 * Why not jansson: a record is parsed, validated and re-serialised on every append, and jansson
 * spent ~60% of the append CPU doing it (one malloc per value, a hash table per object, a sort
 * at dump). This parser fills two growable arrays and nothing else.
 *
 * Compatibility contract (records already on disk were written through jansson, and new ones
 * must canonicalise identically so that the stored form never depends on which path wrote it):
 * what it accepts and what it prints are exactly those of jansson 2.14's
 * json_loadb(JSON_REJECT_DUPLICATES) followed by json_dumps(JSON_COMPACT | JSON_SORT_KEYS):
 * strict RFC 8259 grammar, strict UTF-8, no \u0000, duplicate keys refused, integers as
 * long long ("-0" is 0, out of range refused), reals printed as "%.17g" with ".0" added when no
 * '.' or 'e' and the exponent's '+' and leading zeros dropped, strings escaped only for '"',
 * '\\' and control characters (\b \f \n \r \t by name, others as \u00XX, upper-case hex).
 * tests/unit/audit/test_canon.c and tests/fuzz/fuzz_audit_record.c check it against jansson.
 * Error messages are this parser's own (codes: SK_EFORMAT for syntax, SK_ELIMIT for depth). */
#ifndef SK_AUDIT_CANON_H
#define SK_AUDIT_CANON_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

/* Largest input accepted: offsets are 32-bit and a canonical number may be ~8x its input
 * ("1e9" -> "1000000000.0"), so 16 MiB keeps every offset far below 2^32. */
#define CANON_MAX_INPUT (16u << 20)
/* Deepest max_depth a caller may ask for (the parser recurses once per level). */
#define CANON_MAX_DEPTH 64
#define CANON_NONE UINT32_MAX

typedef enum canon_type {
  CANON_NULL,
  CANON_TRUE,
  CANON_FALSE,
  CANON_INT,
  CANON_REAL,
  CANON_STR,
  CANON_ARR,
  CANON_OBJ,
} canon_type;

typedef struct canon_node {
  uint32_t type;     /* canon_type */
  uint32_t key;      /* object members: arena offset of the decoded key */
  uint32_t key_len;
  uint32_t text;     /* STR: decoded bytes; INT, REAL: canonical text (arena offset) */
  uint32_t text_len;
  uint32_t child;    /* ARR, OBJ: first element / member (members in key order), or CANON_NONE */
  uint32_t next;     /* next sibling, or CANON_NONE */
  uint32_t n_child;  /* ARR, OBJ: number of children */
  int64_t ival;      /* INT: the value */
} canon_node;

typedef struct canon_doc {
  canon_node *nodes; /* node 0 is the root; nodes are numbered in document order */
  uint32_t n, cap;
  char *arena;       /* decoded strings and canonical numbers */
  size_t arena_len, arena_cap;
  uint32_t *tmp;     /* member lists being sorted */
  size_t tmp_len, tmp_cap;
} canon_doc;

void canon_init(canon_doc *d);
/* Frees everything the doc holds; d may be reused after canon_init. */
void canon_release(canon_doc *d);

/* Parses len bytes of json (need not be NUL-terminated) into d, replacing what it held. A value
 * nested deeper than max_depth (the root is depth 0) is SK_ELIMIT; any syntax, UTF-8 or range
 * error, or a duplicate key, is SK_EFORMAT. */
int canon_parse(canon_doc *d, const char *json, size_t len, int max_depth, sk_err *err);

/* Appends the canonical text of node (0 = root) to out. SK_ELIMIT/SK_ENOMEM from out. */
int canon_dump(const canon_doc *d, uint32_t node, sk_buf *out);

/* Key / text of a node as a pointer into the arena (not NUL-terminated: use the lengths). */
static inline const char *canon_key(const canon_doc *d, const canon_node *n) { return d->arena + n->key; }
static inline const char *canon_text(const canon_doc *d, const canon_node *n) { return d->arena + n->text; }
/* 1 when node n's key is exactly the C string s. */
int canon_key_is(const canon_doc *d, const canon_node *n, const char *s);

#endif
