/* record.c — envelope validation and the canonical stored form. */
#include "audit/record.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit/canon.h"
#include "audit/log.h"
#include "audit/seal.h"
#include "base/alloc.h"

/* Deepest nesting accepted in "extra"/"personal": a record is an envelope, not a document. */
#define RECORD_MAX_DEPTH 16

typedef enum ftype { F_STR, F_HEX64, F_UINT, F_NUM, F_BOOL, F_PII, F_GROUND, F_ANY, F_OBJ } ftype;

static const struct field {
  const char *name;
  ftype type;
  size_t len; /* strlen(name): the fast path compares lengths first */
} k_fields[] = {
    {"kind", F_STR, 4},          {"tenant", F_STR, 6},          {"actor", F_STR, 5},
    {"decision", F_STR, 8},      {"model", F_STR, 5},           {"route", F_STR, 5},
    {"model_sha256", F_HEX64, 12}, {"external", F_BOOL, 8},      {"legal_basis", F_STR, 11},
    {"pii", F_PII, 3},           {"prompt_sha256", F_HEX64, 13}, {"response_sha256", F_HEX64, 15},
    {"tokens_in", F_UINT, 9},    {"tokens_out", F_UINT, 10},     {"latency_ms", F_UINT, 10},
    {"cost", F_NUM, 4},          {"policy_version", F_STR, 14},  {"request_id", F_STR, 10},
    {"incident", F_STR, 8},      {"subject", F_STR, 7},         {"personal", F_ANY, 8},
    {"extra", F_OBJ, 5},         {"grounding", F_GROUND, 9},
};

static int depth_ok(json_t *v, int depth) {
  if (depth > RECORD_MAX_DEPTH) return 0;
  if (json_is_object(v)) {
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) if (!depth_ok(x, depth + 1)) return 0;
  } else if (json_is_array(v)) {
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) if (!depth_ok(x, depth + 1)) return 0;
  }
  return 1;
}

static int is_hex64(const char *s) {
  if (strlen(s) != 64) return 0;
  for (const char *p = s; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return 0;
  return 1;
}

static int check_field(const char *name, ftype t, json_t *v, sk_err *err) {
  switch (t) {
  case F_STR:
    if (!json_is_string(v)) return sk_err_set(err, SK_EFORMAT, "field \"%s\" must be a string", name);
    return SK_OK;
  case F_HEX64:
    if (!json_is_string(v) || !is_hex64(json_string_value(v)))
      return sk_err_set(err, SK_EFORMAT, "field \"%s\" must be 64 lowercase hex digits (SHA-256)", name);
    return SK_OK;
  case F_UINT:
    if (!json_is_integer(v) || json_integer_value(v) < 0)
      return sk_err_set(err, SK_EFORMAT, "field \"%s\" must be a non-negative integer", name);
    return SK_OK;
  case F_NUM:
    if (!json_is_number(v)) return sk_err_set(err, SK_EFORMAT, "field \"%s\" must be a number", name);
    return SK_OK;
  case F_BOOL:
    if (!json_is_boolean(v)) return sk_err_set(err, SK_EFORMAT, "field \"%s\" must be true or false", name);
    return SK_OK;
  case F_PII: {
    if (!json_is_object(v))
      return sk_err_set(err, SK_EFORMAT, "field \"pii\" must be an object of category -> count");
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
      if (!json_is_integer(x) || json_integer_value(x) < 0)
        return sk_err_set(err, SK_EFORMAT,
                          "pii.\"%s\" must be a count (non-negative integer): the audit log stores "
                          "categories and counts, never the values",
                          k);
    }
    return SK_OK;
  }
  case F_GROUND: {
    /* grounded chat: per-sentence verdict counts and chunks retrieved; never the text */
    static const char *const keys[] = {"supported", "unsupported", "contradicted", "chunks"};
    if (!json_is_object(v))
      return sk_err_set(err, SK_EFORMAT, "field \"grounding\" must be an object of verdict -> count");
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
      int known = 0;
      for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) known |= !strcmp(k, keys[i]);
      if (!known)
        return sk_err_set(err, SK_EFORMAT, "grounding.\"%s\" is not allowed (supported, unsupported, contradicted, chunks)", k);
      if (!json_is_integer(x) || json_integer_value(x) < 0)
        return sk_err_set(err, SK_EFORMAT, "grounding.\"%s\" must be a count (non-negative integer)", k);
    }
    return SK_OK;
  }
  case F_OBJ:
    if (!json_is_object(v)) return sk_err_set(err, SK_EFORMAT, "field \"%s\" must be an object", name);
    return SK_OK;
  case F_ANY:
    return SK_OK;
  }
  return SK_OK;
}

int record_prepare_slow(const char *dir, const char *json, char **body, size_t *body_len, sk_err *err) {
  *body = NULL;
  *body_len = 0;
  json_error_t je;
  size_t in_len = strlen(json);
  if (in_len > AUDIT_RECORD_INPUT_MAX)
    return sk_err_set(err, SK_ELIMIT, "record is %zu bytes; the limit is %u", in_len,
                      AUDIT_RECORD_INPUT_MAX);
  json_t *obj = json_loadb(json, in_len, JSON_REJECT_DUPLICATES, &je);
  if (!obj) return sk_err_set(err, SK_EFORMAT, "record is not valid JSON: %s (column %d)", je.text, je.column);
  int rc = SK_OK;
  if (!json_is_object(obj)) {
    rc = sk_err_set(err, SK_EFORMAT, "record must be a JSON object");
    goto out;
  }
  if (!depth_ok(obj, 0)) {
    rc = sk_err_set(err, SK_ELIMIT, "record nests deeper than %d levels", RECORD_MAX_DEPTH);
    goto out;
  }
  const char *k;
  json_t *v;
  json_object_foreach(obj, k, v) {
    if (!strcmp(k, "seq") || !strcmp(k, "time")) {
      rc = sk_err_set(err, SK_EINVAL, "field \"%s\" is assigned by the log; remove it from the input", k);
      goto out;
    }
    size_t i = 0;
    for (; i < sizeof k_fields / sizeof k_fields[0]; i++)
      if (!strcmp(k, k_fields[i].name)) break;
    if (i == sizeof k_fields / sizeof k_fields[0]) {
      rc = sk_err_set(err, SK_EFORMAT,
                      "unknown field \"%s\": the envelope is fixed (see docs/audit.md); put "
                      "free-form data under \"extra\"",
                      k);
      goto out;
    }
    if ((rc = check_field(k, k_fields[i].type, v, err))) goto out;
  }
  if (!json_is_string(json_object_get(obj, "kind"))) {
    rc = sk_err_set(err, SK_EFORMAT, "field \"kind\" (string) is required");
    goto out;
  }
  json_t *personal = json_object_get(obj, "personal");
  if (personal) {
    json_t *subject = json_object_get(obj, "subject");
    if (!subject) {
      rc = sk_err_set(err, SK_EFORMAT, "\"personal\" needs \"subject\": whose key seals it");
      goto out;
    }
    json_t *sealed = NULL;
    if ((rc = seal_personal(dir, json_string_value(subject), personal, &sealed, err))) goto out;
    json_object_del(obj, "personal");
    json_object_del(obj, "subject"); /* the subject id itself is personal: only its tag stays */
    json_object_set_new(obj, "sealed", sealed);
  }
  char *s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
  if (!s) {
    rc = sk_err_set(err, SK_ENOMEM, "out of memory serialising record");
    goto out;
  }
  size_t n = strlen(s);
  if (n + RECORD_ENVELOPE_MAX > AUDIT_MAX_RECORD_BYTES) {
    free(s);
    rc = sk_err_set(err, SK_ELIMIT, "record is %zu bytes once canonical; the limit is %u", n,
                    AUDIT_MAX_RECORD_BYTES - RECORD_ENVELOPE_MAX);
    goto out;
  }
  *body = sk_strndup(s, n);
  free(s);
  if (!*body) {
    rc = sk_err_set(err, SK_ENOMEM, "out of memory");
    goto out;
  }
  *body_len = n;
out:
  json_decref(obj);
  return rc;
}

/* The same checks as check_field, on the fast parser's tree. */
static int check_node(const canon_doc *d, const char *name, ftype t, const canon_node *v, sk_err *err) {
  switch (t) {
  case F_STR:
    if (v->type != CANON_STR) return sk_err_set(err, SK_EFORMAT, "field \"%s\" must be a string", name);
    return SK_OK;
  case F_HEX64: {
    int ok = v->type == CANON_STR && v->text_len == 64;
    for (uint32_t i = 0; ok && i < 64; i++) {
      char c = canon_text(d, v)[i];
      ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
    if (!ok) return sk_err_set(err, SK_EFORMAT, "field \"%s\" must be 64 lowercase hex digits (SHA-256)", name);
    return SK_OK;
  }
  case F_UINT:
    if (v->type != CANON_INT || v->ival < 0)
      return sk_err_set(err, SK_EFORMAT, "field \"%s\" must be a non-negative integer", name);
    return SK_OK;
  case F_NUM:
    if (v->type != CANON_INT && v->type != CANON_REAL)
      return sk_err_set(err, SK_EFORMAT, "field \"%s\" must be a number", name);
    return SK_OK;
  case F_BOOL:
    if (v->type != CANON_TRUE && v->type != CANON_FALSE)
      return sk_err_set(err, SK_EFORMAT, "field \"%s\" must be true or false", name);
    return SK_OK;
  case F_PII:
  case F_GROUND: {
    static const char *const keys[] = {"supported", "unsupported", "contradicted", "chunks"};
    if (v->type != CANON_OBJ)
      return sk_err_set(err, SK_EFORMAT, t == F_PII ? "field \"pii\" must be an object of category -> count"
                                                    : "field \"grounding\" must be an object of verdict -> count");
    /* report the first bad member in input order, as the jansson path does */
    uint32_t bad = CANON_NONE;
    for (uint32_t c = v->child; c != CANON_NONE; c = d->nodes[c].next) {
      const canon_node *x = &d->nodes[c];
      int known = t == F_PII;
      for (size_t i = 0; !known && i < sizeof keys / sizeof keys[0]; i++) known = canon_key_is(d, x, keys[i]);
      if ((!known || x->type != CANON_INT || x->ival < 0) && c < bad) bad = c;
    }
    if (bad == CANON_NONE) return SK_OK;
    const canon_node *x = &d->nodes[bad];
    int kl = (int)(x->key_len > 128 ? 128 : x->key_len);
    const char *k = canon_key(d, x);
    if (t == F_PII)
      return sk_err_set(err, SK_EFORMAT,
                        "pii.\"%.*s\" must be a count (non-negative integer): the audit log stores "
                        "categories and counts, never the values",
                        kl, k);
    int known = 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) known |= canon_key_is(d, x, keys[i]);
    if (!known)
      return sk_err_set(err, SK_EFORMAT, "grounding.\"%.*s\" is not allowed (supported, unsupported, contradicted, chunks)", kl, k);
    return sk_err_set(err, SK_EFORMAT, "grounding.\"%.*s\" must be a count (non-negative integer)", kl, k);
  }
  case F_OBJ:
    if (v->type != CANON_OBJ) return sk_err_set(err, SK_EFORMAT, "field \"%s\" must be an object", name);
    return SK_OK;
  case F_ANY:
    return SK_OK;
  }
  return SK_OK;
}

/* Checks one top-level member; SK_OK, or an error in err. *personal set when it is "personal". */
static int check_member(const canon_doc *d, const canon_node *m, int *personal, sk_err *err) {
  int kl = (int)(m->key_len > 128 ? 128 : m->key_len);
  if (canon_key_is(d, m, "seq") || canon_key_is(d, m, "time"))
    return sk_err_set(err, SK_EINVAL, "field \"%.*s\" is assigned by the log; remove it from the input", kl,
                      canon_key(d, m));
  for (size_t i = 0; i < sizeof k_fields / sizeof k_fields[0]; i++)
    if (m->key_len == k_fields[i].len && memcmp(canon_key(d, m), k_fields[i].name, k_fields[i].len) == 0) {
      if (k_fields[i].type == F_ANY) *personal = 1;
      return check_node(d, k_fields[i].name, k_fields[i].type, m, err);
    }
  return sk_err_set(err, SK_EFORMAT,
                    "unknown field \"%.*s\": the envelope is fixed (see docs/audit.md); put "
                    "free-form data under \"extra\"",
                    kl, canon_key(d, m));
}

int record_prepare(const char *dir, const char *json, char **body, size_t *body_len, sk_err *err) {
  *body = NULL;
  *body_len = 0;
  size_t in_len = strlen(json);
  if (in_len > AUDIT_RECORD_INPUT_MAX)
    return sk_err_set(err, SK_ELIMIT, "record is %zu bytes; the limit is %u", in_len,
                      AUDIT_RECORD_INPUT_MAX);
  canon_doc d;
  canon_init(&d);
  int rc = canon_parse(&d, json, in_len, RECORD_MAX_DEPTH, err);
  if (rc == SK_ELIMIT) {
    rc = sk_err_set(err, SK_ELIMIT, "record nests deeper than %d levels", RECORD_MAX_DEPTH);
    goto out;
  }
  if (rc) {
    if (rc == SK_EFORMAT) sk_err_wrap(err, "record is not valid JSON");
    goto out;
  }
  const canon_node *root = &d.nodes[0];
  if (root->type != CANON_OBJ) {
    rc = sk_err_set(err, SK_EFORMAT, "record must be a JSON object");
    goto out;
  }
  /* the first bad field in input order (node numbers follow the input) */
  int personal = 0, has_kind = 0;
  uint32_t bad = CANON_NONE;
  sk_err first;
  for (uint32_t c = root->child; c != CANON_NONE; c = d.nodes[c].next) {
    sk_err e1;
    if (check_member(&d, &d.nodes[c], &personal, &e1) != SK_OK && c < bad) {
      bad = c;
      first = e1;
    }
    if (canon_key_is(&d, &d.nodes[c], "kind") && d.nodes[c].type == CANON_STR) has_kind = 1;
  }
  if (bad != CANON_NONE) {
    rc = sk_err_set(err, first.code, "%s", first.msg);
    goto out;
  }
  if (!has_kind) {
    rc = sk_err_set(err, SK_EFORMAT, "field \"kind\" (string) is required");
    goto out;
  }
  if (personal) { /* sealing works on jansson values; rare, and it does key-file I/O anyway */
    canon_release(&d);
    return record_prepare_slow(dir, json, body, body_len, err);
  }
  sk_buf b;
  sk_buf_init(&b, AUDIT_MAX_RECORD_BYTES);
  if ((rc = sk_buf_reserve(&b, in_len + 64)) == SK_OK) rc = canon_dump(&d, 0, &b);
  if (rc == SK_OK && b.len + RECORD_ENVELOPE_MAX > AUDIT_MAX_RECORD_BYTES) rc = SK_ELIMIT;
  if (rc) {
    size_t n = b.len;
    sk_buf_release(&b);
    if (rc == SK_ELIMIT)
      rc = sk_err_set(err, SK_ELIMIT, "record is %s%zu bytes once canonical; the limit is %u",
                      n + RECORD_ENVELOPE_MAX > AUDIT_MAX_RECORD_BYTES ? "" : "over ", n,
                      AUDIT_MAX_RECORD_BYTES - RECORD_ENVELOPE_MAX);
    else
      rc = sk_err_set(err, rc, "out of memory serialising record");
    goto out;
  }
  *body_len = b.len;
  *body = sk_buf_detach(&b);
out:
  canon_release(&d);
  return rc;
}

/* Writes v as exactly `width` decimal digits. */
static void put_digits(char *o, unsigned v, int width) {
  for (int i = width - 1; i >= 0; i--, v /= 10) o[i] = (char)('0' + v % 10);
}

/* Proleptic Gregorian date of a day count since 1970-01-01 (civil-from-days): gmtime_r takes a
 * process-wide lock in glibc, and this runs under the log's lock for every record. */
static void civil_date(int64_t days, int64_t *y, unsigned *m, unsigned *d) {
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  unsigned doe = (unsigned)(days - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

size_t record_compose(char *out, size_t out_size, uint64_t seq, int64_t time_ms, const char *body,
                      size_t body_len) {
  if (body_len < 2) return 0;
  int64_t secs = time_ms >= 0 ? time_ms / 1000 : (time_ms - 999) / 1000;
  unsigned ms = (unsigned)(time_ms - secs * 1000);
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  unsigned sod = (unsigned)(secs - days * 86400);
  int64_t y;
  unsigned mo, dd;
  civil_date(days, &y, &mo, &dd);
  char pre[80];
  size_t n = 0;
  if (y >= 0 && y <= 9999) {
    memcpy(pre, "{\"seq\":", 7);
    n = 7;
    char t[24];
    size_t k = 0;
    uint64_t v = seq;
    do t[k++] = (char)('0' + v % 10);
    while (v /= 10);
    while (k) pre[n++] = t[--k];
    memcpy(pre + n, ",\"time\":\"", 9);
    n += 9;
    put_digits(pre + n, (unsigned)y, 4);
    pre[n + 4] = '-';
    put_digits(pre + n + 5, mo, 2);
    pre[n + 7] = '-';
    put_digits(pre + n + 8, dd, 2);
    pre[n + 10] = 'T';
    put_digits(pre + n + 11, sod / 3600, 2);
    pre[n + 13] = ':';
    put_digits(pre + n + 14, sod / 60 % 60, 2);
    pre[n + 16] = ':';
    put_digits(pre + n + 17, sod % 60, 2);
    pre[n + 19] = '.';
    put_digits(pre + n + 20, ms, 3);
    memcpy(pre + n + 23, "Z\"", 2);
    n += 25;
    if (body_len > 2) pre[n++] = ',';
  } else { /* outside 0000-9999: the general (slow) form, as before */
    time_t ts = (time_t)secs;
    struct tm tm;
    gmtime_r(&ts, &tm);
    int k = snprintf(pre, sizeof pre, "{\"seq\":%" PRIu64 ",\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"%s", seq,
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (int)(time_ms % 1000), body_len > 2 ? "," : "");
    if (k < 0 || (size_t)k >= sizeof pre) return 0;
    n = (size_t)k;
  }
  /* body is "{...}": drop its '{' */
  size_t need = n + body_len - 1;
  if (need + 1 > out_size) return 0;
  memcpy(out, pre, n);
  memcpy(out + n, body + 1, body_len - 1);
  out[need] = '\0';
  return need;
}

int record_has_seq(const char *rec, size_t len, uint64_t seq) {
  char pre[40];
  int n = snprintf(pre, sizeof pre, "{\"seq\":%" PRIu64 ",", seq);
  return n > 0 && (size_t)n <= len && memcmp(rec, pre, (size_t)n) == 0;
}
