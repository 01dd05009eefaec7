/* oracle_util.h — helpers shared by the engine's model tests (included, not compiled alone). */
#ifndef SK_TEST_ORACLE_UTIL_H
#define SK_TEST_ORACLE_UTIL_H

#include <math.h>
#include <stdio.h>

#include "engine/engine.h"

static int file_exists(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  fclose(f);
  return 1;
}

/* Index of the largest logit, ties to the lower id (the oracle's rule). */
static int argmax_logits(const float *l, int n) {
  int best = 0;
  for (int i = 1; i < n; i++)
    if (l[i] > l[best]) best = i;
  return best;
}

static double lse_logits(const float *l, int n) {
  double mx = l[0];
  for (int i = 1; i < n; i++)
    if (l[i] > mx) mx = l[i];
  double s = 0;
  for (int i = 0; i < n; i++) s += exp((double)l[i] - mx);
  return mx + log(s);
}

#endif
