/* test_pii_dev.c — the acceptance bar of issue 4 on ../shared/data/pii/pii-dev.jsonl: writes
 * predictions with the library, runs the dataset's own scorer (score.py) and fails when micro
 * F1 (lenient) < 0.97 or any type's F1 < 0.93. Skips (with a reason) when the data set or
 * python3 is absent. Prints the per-type table so the figures can be quoted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "guard/guard.h"

#define GOLD "../shared/data/pii/pii-dev.jsonl"
#define SCORER "../shared/data/pii/score.py"

static void dev_set_meets_the_bar(void **state) {
  (void)state;
  if (access(GOLD, R_OK) || access(SCORER, R_OK)) {
    printf("SKIP: %s or %s absent\n", GOLD, SCORER);
    skip();
  }
  if (system("python3 -c 'import json' >/dev/null 2>&1") != 0) {
    printf("SKIP: python3 not available to run score.py\n");
    skip();
  }
  pii_scanner *sc;
  sk_err err;
  assert_int_equal(pii_scanner_new(NULL, &sc, &err), 0);
  char pred[] = "/tmp/sk_pii_predXXXXXX";
  int fd = mkstemp(pred);
  assert_true(fd >= 0);
  FILE *out = fdopen(fd, "w");
  FILE *in = fopen(GOLD, "r");
  assert_non_null(in);
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, in) > 0) {
    json_error_t je;
    json_t *rec = json_loads(line, 0, &je);
    assert_non_null(rec);
    json_t *t = json_object_get(rec, "text");
    pii_findings f;
    pii_findings_init(&f);
    assert_int_equal(pii_scan(sc, json_string_value(t), json_string_length(t), &f, &err), 0);
    json_t *ents = json_array();
    for (size_t i = 0; i < f.count; i++)
      json_array_append_new(ents, json_pack("{s:s,s:I,s:I}", "type", pii_type_name(f.items[i].type),
                                            "start", (json_int_t)f.items[i].start, "end",
                                            (json_int_t)f.items[i].end));
    json_t *o = json_pack("{s:O,s:o}", "id", json_object_get(rec, "id"), "entities", ents);
    char *s = json_dumps(o, JSON_COMPACT);
    fprintf(out, "%s\n", s);
    free(s);
    json_decref(o);
    json_decref(rec);
    pii_findings_release(&f);
  }
  free(line);
  fclose(in);
  fclose(out);
  pii_scanner_free(sc);
  char cmd[512];
  snprintf(cmd, sizeof cmd, "python3 %s %s %s 2>&1", SCORER, GOLD, pred);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  char buf[512];
  int in_lenient = 0, types = 0;
  double micro = -1, worst = 2;
  char worst_type[64] = "";
  while (fgets(buf, sizeof buf, p)) {
    fputs(buf, stdout);
    if (strstr(buf, "== lenient")) in_lenient = 1;
    else if (strstr(buf, "== strict")) in_lenient = 0;
    char name[64];
    long g, pr, tp;
    double P, R, F;
    if (in_lenient && sscanf(buf, "%63s %ld %ld %ld %lf %lf %lf", name, &g, &pr, &tp, &P, &R, &F) == 7) {
      if (!strcmp(name, "micro")) continue;
      types++;
      if (F < worst) {
        worst = F;
        snprintf(worst_type, sizeof worst_type, "%s", name);
      }
    }
    if (!strncmp(buf, "micro_f1_lenient=", 17)) micro = atof(buf + 17);
  }
  pclose(p);
  unlink(pred);
  printf("micro F1 lenient %.3f; worst type %s F1 %.3f over %d types\n", micro, worst_type, worst, types);
  assert_int_equal(types, PII_TYPE_COUNT);
  assert_true(micro >= 0.97);
  assert_true(worst >= 0.93);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(dev_set_meets_the_bar)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
