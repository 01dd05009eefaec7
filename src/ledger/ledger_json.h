/* ledger_json.h — the JSON forms of accounts, transfers and results (CLI and admin API).
 *
 * 128-bit ids and amounts are JSON strings of decimal digits ("0x…" hex accepted on input; small
 * JSON integers too). Amounts are base units: yen for JPY, 10^-18 JPYC for JPYC; on input
 * "amount_decimal": "1.5" is accepted instead of "amount" and scaled by the transfer's ledger.
 * Unknown keys are refused, so a typo never silently becomes a zero field. */
#ifndef SK_LEDGER_JSON_H
#define SK_LEDGER_JSON_H

#include <jansson.h>

#include "ledger/ledger.h"

/* One JSON line is at most this long: a transfer with every field is well under 1 KiB. */
#define LEDGER_JSON_LINE_MAX 4096

/* Parses one transfer/account object. Returns LEDGER_OK, or LEDGER_MALFORMED with a reason in why.
 * Even on failure out->flags carries the "linked" flag when it could be read, so a bad line still
 * belongs to its chain. */
ledger_result ledger_json_parse_transfer(const char *text, size_t len, ledger_transfer *out,
                                         char *why, size_t why_size);
ledger_result ledger_json_parse_account(const char *text, size_t len, ledger_account *out, char *why,
                                        size_t why_size);

/* New JSON objects (caller owns, json_decref). NULL when out of memory. */
json_t *ledger_json_u128(u128 v);
json_t *ledger_json_account(const ledger_account *a);
json_t *ledger_json_transfer(const ledger_transfer *t, ledger_status status, u128 posted);
const char *ledger_status_str(ledger_status s);

/* Parses a JSON value (string or non-negative integer) as a u128; 0 or -1. */
int ledger_json_get_u128(const json_t *v, u128 *out);

#endif
