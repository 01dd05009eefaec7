/* ledger_json.c — JSON forms of ledger records (see ledger_json.h). */
#include "ledger/ledger_json.h"

#include <stdio.h>
#include <string.h>

int ledger_json_get_u128(const json_t *v, u128 *out) {
  if (json_is_string(v)) return u128_parse(json_string_value(v), json_string_length(v), out);
  if (json_is_integer(v) && json_integer_value(v) >= 0) {
    *out = (u128)json_integer_value(v);
    return 0;
  }
  return -1;
}

json_t *ledger_json_u128(u128 v) {
  char buf[U128_STR_MAX];
  return json_string(u128_format(v, buf));
}

static const struct {
  const char *name;
  uint16_t bit;
} k_tflags[] = {{"linked", LEDGER_TF_LINKED},
                {"pending", LEDGER_TF_PENDING},
                {"post_pending_transfer", LEDGER_TF_POST_PENDING},
                {"void_pending_transfer", LEDGER_TF_VOID_PENDING}},
  k_aflags[] = {{"linked", LEDGER_AF_LINKED},
                {"debits_must_not_exceed_credits", LEDGER_AF_DEBITS_MUST_NOT_EXCEED_CREDITS},
                {"credits_must_not_exceed_debits", LEDGER_AF_CREDITS_MUST_NOT_EXCEED_DEBITS}};

#define FAIL(...) (snprintf(why, why_size, __VA_ARGS__), LEDGER_MALFORMED)

static ledger_result parse_flags(const json_t *v, int transfer, uint16_t *out, char *why,
                                 size_t why_size) {
  size_t n = transfer ? sizeof k_tflags / sizeof k_tflags[0] : sizeof k_aflags / sizeof k_aflags[0];
  if (json_is_integer(v)) {
    json_int_t x = json_integer_value(v);
    if (x < 0 || x > 0xffff) return FAIL("\"flags\" must be 0..65535");
    *out = (uint16_t)x; /* reserved bits are reported by the ledger as reserved_flag */
    return LEDGER_OK;
  }
  if (!json_is_array(v)) return FAIL("\"flags\" must be an array of names or an integer");
  size_t i;
  json_t *e;
  json_array_foreach(v, i, e) {
    const char *s = json_string_value(e);
    size_t k = 0;
    while (s && k < n && strcmp(s, transfer ? k_tflags[k].name : k_aflags[k].name)) k++;
    if (!s || k == n) return FAIL("unknown flag at \"flags\"[%zu]", i);
    *out |= transfer ? k_tflags[k].bit : k_aflags[k].bit;
  }
  return LEDGER_OK;
}

static json_t *load(const char *text, size_t len, char *why, size_t why_size) {
  if (len > LEDGER_JSON_LINE_MAX) {
    snprintf(why, why_size, "line longer than %d bytes", LEDGER_JSON_LINE_MAX);
    return NULL;
  }
  json_error_t je;
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  if (!root) {
    snprintf(why, why_size, "invalid JSON at column %d: %s", je.column, je.text);
    return NULL;
  }
  if (!json_is_object(root)) {
    json_decref(root);
    snprintf(why, why_size, "expected a JSON object");
    return NULL;
  }
  return root;
}

static int get_u32(const json_t *v, uint64_t max, uint64_t *out) {
  if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
    return -1;
  *out = (uint64_t)json_integer_value(v);
  return 0;
}

static int get_u64(const json_t *v, uint64_t *out) {
  if (json_is_integer(v) && json_integer_value(v) >= 0) return *out = (uint64_t)json_integer_value(v), 0;
  u128 x;
  if (ledger_json_get_u128(v, &x) || x > UINT64_MAX) return -1;
  *out = (uint64_t)x;
  return 0;
}

static int get_ledger(const json_t *v, uint32_t *out) {
  if (json_is_string(v)) return ledger_parse_ledger(json_string_value(v), out);
  uint64_t x;
  if (get_u32(v, UINT32_MAX, &x)) return -1;
  *out = (uint32_t)x;
  return 0;
}

ledger_result ledger_json_parse_transfer(const char *text, size_t len, ledger_transfer *out,
                                         char *why, size_t why_size) {
  memset(out, 0, sizeof *out);
  json_t *root = load(text, len, why, why_size);
  if (!root) return LEDGER_MALFORMED;
  ledger_result r = LEDGER_OK;
  json_t *fl = json_object_get(root, "flags");
  if (fl && (r = parse_flags(fl, 1, &out->flags, why, why_size))) goto out;
  const char *key;
  json_t *v;
  const json_t *dec = NULL;
  json_object_foreach(root, key, v) {
    uint64_t x;
    int bad = 0;
    if (!strcmp(key, "flags")) continue;
    else if (!strcmp(key, "id")) bad = ledger_json_get_u128(v, &out->id);
    else if (!strcmp(key, "debit_account_id")) bad = ledger_json_get_u128(v, &out->debit_account_id);
    else if (!strcmp(key, "credit_account_id")) bad = ledger_json_get_u128(v, &out->credit_account_id);
    else if (!strcmp(key, "amount")) bad = ledger_json_get_u128(v, &out->amount);
    else if (!strcmp(key, "amount_decimal")) dec = v;
    else if (!strcmp(key, "pending_id")) bad = ledger_json_get_u128(v, &out->pending_id);
    else if (!strcmp(key, "user_data_128")) bad = ledger_json_get_u128(v, &out->user_data_128);
    else if (!strcmp(key, "user_data_64")) bad = get_u64(v, &out->user_data_64);
    else if (!strcmp(key, "user_data_32")) bad = get_u32(v, UINT32_MAX, &x) || (out->user_data_32 = (uint32_t)x, 0);
    else if (!strcmp(key, "timeout")) bad = get_u32(v, UINT32_MAX, &x) || (out->timeout_s = (uint32_t)x, 0);
    else if (!strcmp(key, "ledger")) bad = get_ledger(v, &out->ledger);
    else if (!strcmp(key, "code")) bad = get_u32(v, UINT16_MAX, &x) || (out->code = (uint16_t)x, 0);
    else {
      r = FAIL("unknown key \"%.64s\"", key);
      goto out;
    }
    if (bad) {
      r = FAIL("\"%s\" is not a valid value (ids and amounts: decimal strings up to 2^128-1)", key);
      goto out;
    }
  }
  if (!json_object_get(root, "code") && !(out->flags & (LEDGER_TF_POST_PENDING | LEDGER_TF_VOID_PENDING)))
    out->code = 1; /* default code; post/void keep 0 = "same as the pending transfer" */
  if (dec) {
    if (json_object_get(root, "amount")) {
      r = FAIL("give \"amount\" or \"amount_decimal\", not both");
      goto out;
    }
    const char *s = json_string_value(dec);
    int rc = s ? u128_parse_amount(s, json_string_length(dec), ledger_scale(out->ledger), &out->amount) : -1;
    if (rc == -2) r = FAIL("\"amount_decimal\" overflows 128 bits");
    else if (rc) r = FAIL("\"amount_decimal\" must be a decimal string with at most %u fraction digits",
                          ledger_scale(out->ledger));
  }
out:
  json_decref(root);
  return r;
}

ledger_result ledger_json_parse_account(const char *text, size_t len, ledger_account *out, char *why,
                                        size_t why_size) {
  memset(out, 0, sizeof *out);
  json_t *root = load(text, len, why, why_size);
  if (!root) return LEDGER_MALFORMED;
  ledger_result r = LEDGER_OK;
  json_t *fl = json_object_get(root, "flags");
  if (fl && (r = parse_flags(fl, 0, &out->flags, why, why_size))) goto out;
  const char *key;
  json_t *v;
  json_object_foreach(root, key, v) {
    uint64_t x;
    int bad = 0;
    if (!strcmp(key, "flags")) continue;
    else if (!strcmp(key, "id")) bad = ledger_json_get_u128(v, &out->id);
    else if (!strcmp(key, "user_data_128")) bad = ledger_json_get_u128(v, &out->user_data_128);
    else if (!strcmp(key, "user_data_64")) bad = get_u64(v, &out->user_data_64);
    else if (!strcmp(key, "user_data_32")) bad = get_u32(v, UINT32_MAX, &x) || (out->user_data_32 = (uint32_t)x, 0);
    else if (!strcmp(key, "ledger")) bad = get_ledger(v, &out->ledger);
    else if (!strcmp(key, "code")) bad = get_u32(v, UINT16_MAX, &x) || (out->code = (uint16_t)x, 0);
    else {
      r = FAIL("unknown key \"%.64s\"", key);
      goto out;
    }
    if (bad) {
      r = FAIL("\"%s\" is not a valid value", key);
      goto out;
    }
  }
  if (!json_object_get(root, "code")) out->code = 1;
out:
  json_decref(root);
  return r;
}

const char *ledger_status_str(ledger_status s) {
  switch (s) {
  case LEDGER_ST_POSTED: return "posted";
  case LEDGER_ST_PENDING: return "pending";
  case LEDGER_ST_POSTED_PENDING: return "pending_posted";
  case LEDGER_ST_VOIDED: return "voided";
  case LEDGER_ST_EXPIRED: return "expired";
  }
  return "unknown";
}

static json_t *flag_names(uint16_t flags, int transfer) {
  json_t *a = json_array();
  size_t n = transfer ? sizeof k_tflags / sizeof k_tflags[0] : sizeof k_aflags / sizeof k_aflags[0];
  for (size_t k = 0; a && k < n; k++)
    if (flags & (transfer ? k_tflags[k].bit : k_aflags[k].bit))
      json_array_append_new(a, json_string(transfer ? k_tflags[k].name : k_aflags[k].name));
  if (a && transfer && (flags & LEDGER_TF_APPROVAL)) json_array_append_new(a, json_string("approval"));
  return a;
}

static json_t *ledger_value(uint32_t no) {
  const char *name = ledger_name(no);
  return name ? json_string(name) : json_integer(no);
}

json_t *ledger_json_account(const ledger_account *a) {
  unsigned scale = ledger_scale(a->ledger);
  char buf[U128_STR_MAX + 1];
  /* Net balance: credits - debits (posted), with a sign. */
  int neg = a->debits_posted > a->credits_posted;
  u128 mag = neg ? a->debits_posted - a->credits_posted : a->credits_posted - a->debits_posted;
  buf[0] = '-';
  u128_format_amount(mag, scale, buf + neg);
  return json_pack("{s:o s:o s:i s:o s:o s:o s:o s:o s:s s:o s:o s:I s:I}", "id",
                   ledger_json_u128(a->id), "ledger", ledger_value(a->ledger), "code", (int)a->code,
                   "flags", flag_names(a->flags, 0), "debits_pending", ledger_json_u128(a->debits_pending),
                   "debits_posted", ledger_json_u128(a->debits_posted), "credits_pending",
                   ledger_json_u128(a->credits_pending), "credits_posted",
                   ledger_json_u128(a->credits_posted), "net_posted_decimal", buf, "user_data_128",
                   ledger_json_u128(a->user_data_128), "user_data_64", ledger_json_u128(a->user_data_64),
                   "user_data_32", (json_int_t)a->user_data_32, "timestamp", (json_int_t)a->timestamp);
}

json_t *ledger_json_transfer(const ledger_transfer *t, ledger_status status, u128 posted) {
  char buf[U128_STR_MAX];
  json_t *o = json_pack(
      "{s:o s:o s:o s:o s:s s:o s:i s:o s:I s:s s:o s:o s:I s:I}", "id", ledger_json_u128(t->id),
      "debit_account_id", ledger_json_u128(t->debit_account_id), "credit_account_id",
      ledger_json_u128(t->credit_account_id), "amount", ledger_json_u128(t->amount), "amount_decimal",
      u128_format_amount(t->amount, ledger_scale(t->ledger), buf), "ledger", ledger_value(t->ledger),
      "code", (int)t->code, "flags", flag_names(t->flags, 1), "timeout", (json_int_t)t->timeout_s,
      "status", ledger_status_str(status), "user_data_128", ledger_json_u128(t->user_data_128),
      "user_data_64", ledger_json_u128(t->user_data_64), "user_data_32", (json_int_t)t->user_data_32,
      "timestamp", (json_int_t)t->timestamp);
  if (o && t->pending_id) json_object_set_new(o, "pending_id", ledger_json_u128(t->pending_id));
  if (o && status == LEDGER_ST_POSTED_PENDING) json_object_set_new(o, "posted_amount", ledger_json_u128(posted));
  return o;
}
