/* report.h — governance evidence from a range of the audit log.
 *
 * audit_report aggregates records [from, to] into a JSON document: volumes per tenant, model,
 * route, kind and decision; PII blocked / redacted / passed by category (counts only); external
 * transfers with their legal basis; incidents; the model inventory with file hashes; the tree
 * size, root and latest checkpoint that make the figures checkable; and, for each of the ten
 * common principles of Japan's AI Guidelines for Business, the evidence the log provides (or a
 * plain statement that the log cannot show it, so the operator explains it elsewhere). */
#ifndef SK_AUDIT_REPORT_H
#define SK_AUDIT_REPORT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "audit/log.h"
#include "base/err.h"

/* Incidents listed one by one in a report; beyond this only their count grows. */
#define REPORT_MAX_INCIDENTS 1000
/* Distinct values kept per breakdown (tenants, models...); the rest are summed as "(other)". */
#define REPORT_MAX_KEYS 10000

/* Builds the report for records from..to inclusive (to is clamped to the last record).
 * *out is a new JSON object owned by the caller (json_decref). */
int audit_report(audit_log *log, uint64_t from, uint64_t to, json_t **out, sk_err *err);

/* Renders a report (as built above) as a self-contained HTML page to f. */
int audit_report_html(const json_t *report, FILE *f, sk_err *err);

/* Writes records from..to inclusive to f as JSONL, each line exactly the stored bytes (so
 * SHA-256(0x00 || line) is the Merkle leaf), followed by one trailer line
 * {"export":{"from","to","tree_size","root","checkpoint"}} for the auditor. */
int audit_export(audit_log *log, uint64_t from, uint64_t to, FILE *f, sk_err *err);

#endif
