/* cmd_scan.c — `sekisho scan`: find personal data in a text, a file, or JSONL records.
 *
 *   sekisho scan [--json] [-f FILE | TEXT]      findings of one text (stdin when neither)
 *   sekisho scan --jsonl [-f FILE]              {"id","text"} per line -> {"id","entities":[...]}
 *
 * The values found are never printed in the plain or --json forms' metadata beyond the span
 * the caller asked to see ("text" in the plain form is the caller's own input). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/fs.h"
#include "cli/cli.h"
#include "guard/guard.h"

/* One JSONL record or one input text: the scanner's own limit. */
#define SCAN_MAX_INPUT_BYTES PII_MAX_TEXT_BYTES

static void usage(FILE *out) {
  fprintf(out,
          "usage: sekisho scan [--json] [-f FILE | TEXT]\n"
          "       sekisho scan --jsonl [-f FILE]\n"
          "\n"
          "Finds Japanese personal data (My Number, corporate number, cards, phones, postal codes,\n"
          "addresses, names, e-mail, IPs, bank accounts, licences, passports, residence cards,\n"
          "birth dates, health-insurance numbers). Offsets are UTF-8 byte offsets, end exclusive.\n"
          "\n"
          "  --json        one JSON object: {\"level\",\"entities\":[{\"type\",\"start\",\"end\",\"score\"}]}\n"
          "  --jsonl       read {\"id\",\"text\"} records line by line (stdin or -f), write\n"
          "                {\"id\",\"entities\":[...]} lines (the format of score.py)\n"
          "  -f, --file F  read the text (or records) from F; '-' is stdin\n"
          "  --no-mecab    do not use MeCab for names (lexicon and context only)\n"
          "  -h, --help    this help\n"
          "\n"
          "Exit status: 0 scanned (whether or not anything was found), 1 error, 2 usage.\n");
}

static json_t *entities_json(const pii_findings *f) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < f->count; i++) {
    const pii_finding *x = &f->items[i];
    json_array_append_new(arr, json_pack("{s:s,s:I,s:I,s:f}", "type", pii_type_name(x->type),
                                         "start", (json_int_t)x->start, "end", (json_int_t)x->end,
                                         "score", (double)x->score));
  }
  return arr;
}

static int scan_jsonl(const pii_scanner *sc, FILE *in) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  long lineno = 0;
  int rc = SK_EXIT_OK;
  while ((n = getline(&line, &cap, in)) != -1) {
    lineno++;
    if (n <= 1) continue;
    if ((size_t)n > SCAN_MAX_INPUT_BYTES) {
      rc = sk_cli_fail("scan", "line %ld is longer than %zu bytes; split the record", lineno,
                       (size_t)SCAN_MAX_INPUT_BYTES);
      break;
    }
    json_error_t je;
    json_t *rec = json_loadb(line, (size_t)n, 0, &je);
    const char *text = rec ? json_string_value(json_object_get(rec, "text")) : NULL;
    if (!text) {
      json_decref(rec);
      rc = sk_cli_fail("scan", "line %ld: not a JSON object with a \"text\" string (%s)", lineno,
                       rec ? "no text" : je.text);
      break;
    }
    size_t tl = json_string_length(json_object_get(rec, "text"));
    pii_findings f;
    pii_findings_init(&f);
    sk_err err;
    if (pii_scan(sc, text, tl, &f, &err)) {
      json_decref(rec);
      rc = sk_cli_fail("scan", "line %ld: %s", lineno, err.msg);
      break;
    }
    json_t *out = json_object();
    json_t *id = json_object_get(rec, "id");
    json_object_set(out, "id", id ? id : json_null());
    json_object_set_new(out, "entities", entities_json(&f));
    char *s = json_dumps(out, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (s) {
      puts(s);
      free(s);
    }
    json_decref(out);
    json_decref(rec);
    pii_findings_release(&f);
  }
  free(line);
  return rc;
}

int cmd_scan(const sk_cli *cli, int argc, char **argv) {
  (void)cli;
  static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                       {"jsonl", no_argument, NULL, 'l'},
                                       {"file", required_argument, NULL, 'f'},
                                       {"no-mecab", no_argument, NULL, 'M'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int json = 0, jsonl = 0, c;
  const char *file = NULL;
  pii_options po = {0};
  while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
    switch (c) {
    case 'j': json = 1; break;
    case 'l': jsonl = 1; break;
    case 'f': file = optarg; break;
    case 'M': po.disable_mecab = 1; break;
    case 'h': usage(stdout); return SK_EXIT_OK;
    default: return sk_cli_usage_error("scan", "unknown option");
    }
  }
  if (file && optind < argc) return sk_cli_usage_error("scan", "give either -f FILE or TEXT, not both");
  if (optind + 1 < argc) return sk_cli_usage_error("scan", "give the text as one argument (quote it)");
  if (jsonl && optind < argc) return sk_cli_usage_error("scan", "--jsonl reads records from -f FILE or stdin");
  pii_scanner *sc;
  sk_err err;
  if (pii_scanner_new(&po, &sc, &err)) return sk_cli_fail("scan", "%s", err.msg);
  int rc = SK_EXIT_OK;
  if (jsonl) {
    FILE *in = stdin;
    if (file && strcmp(file, "-") && !(in = fopen(file, "rb"))) {
      pii_scanner_free(sc);
      return sk_cli_fail("scan", "cannot open %s (check the path)", file);
    }
    rc = scan_jsonl(sc, in);
    if (in != stdin) fclose(in);
    pii_scanner_free(sc);
    return rc;
  }
  char *text = NULL;
  size_t tl = 0;
  if (optind < argc) {
    text = sk_strdup(argv[optind]);
    tl = text ? strlen(text) : 0;
    if (!text) rc = sk_cli_fail("scan", "out of memory");
  } else if (sk_read_file(file ? file : "-", SCAN_MAX_INPUT_BYTES, &text, &tl, &err)) {
    rc = sk_cli_fail("scan", "%s", err.msg);
  }
  if (rc == SK_EXIT_OK) {
    pii_findings f;
    pii_findings_init(&f);
    if (pii_scan(sc, text ? text : "", tl, &f, &err)) {
      rc = sk_cli_fail("scan", "%s", err.msg);
    } else if (json) {
      json_t *out = json_pack("{s:s,s:o}", "level", pii_level_name(pii_classify(&f)), "entities",
                              entities_json(&f));
      char *s = json_dumps(out, JSON_COMPACT | JSON_ENSURE_ASCII);
      if (s) puts(s);
      free(s);
      json_decref(out);
    } else {
      printf("level: %s\n", pii_level_name(pii_classify(&f)));
      for (size_t i = 0; i < f.count; i++) {
        const pii_finding *x = &f.items[i];
        printf("%-20s %6zu %6zu  %.2f  %.*s\n", pii_type_name(x->type), x->start, x->end,
               (double)x->score, (int)(x->end - x->start), text + x->start);
      }
      if (f.count == 0) printf("no personal data found\n");
    }
    pii_findings_release(&f);
  }
  sk_free(text);
  pii_scanner_free(sc);
  return rc;
}
