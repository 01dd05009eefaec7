/* cmd_verify.c — `sekisho verify --source FILE... --text FILE [--json]`: the explainer. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "cli/cli.h"
#include "cli/ground_judge.h"
#include "ground/ingest.h"
#include "ground/verify.h"

/* Most --source files in one run. */
#define VERIFY_SOURCES_MAX 64

int cmd_verify(const sk_cli *cli, int argc, char **argv) {
  (void)cli;
  static const struct option opts[] = {{"source", required_argument, 0, 's'}, {"text", required_argument, 0, 't'},
                                       {"json", no_argument, 0, 'j'}, {"judge-model", required_argument, 0, 'J'},
                                       {"help", no_argument, 0, 'h'}, {0}};
  const char *judge_model = NULL;
  const char *src_paths[VERIFY_SOURCES_MAX];
  size_t ns = 0;
  const char *text_path = NULL;
  int json = 0, c;
  while ((c = getopt_long(argc, argv, "s:t:jh", opts, NULL)) != -1) {
    switch (c) {
    case 's':
      if (ns == VERIFY_SOURCES_MAX) return sk_cli_usage_error("verify", "at most %d --source files", VERIFY_SOURCES_MAX);
      src_paths[ns++] = optarg;
      break;
    case 't': text_path = optarg; break;
    case 'j': json = 1; break;
    case 'J': judge_model = optarg; break;
    case 'h':
      printf("usage: sekisho verify --source FILE... --text FILE [--json]\n\n"
             "Splits the text (e.g. a model's answer or summary; '-' is stdin) into sentences and, for\n"
             "each, finds the supporting source sentences and gives a verdict: supported, unsupported\n"
             "or contradicted. Numbers, amounts, dates (令和/平成, kanji numerals), percentages, names\n"
             "and negations that differ from the source are caught deterministically.\n"
             "Exit status: 0 all supported, 1 some sentence unsupported or contradicted (or an error).\n\n"
             "  -s, --source FILE  a source document (text/Markdown/HTML/PDF); repeat for several;\n"
             "                     further files may follow the options\n"
             "  -t, --text FILE    the text to check\n"
             "  -j, --json         JSON: {\"sentences\":[{text,start,end,verdict,ambiguous,coverage,\n"
             "                     reason,evidence:[{source,start,end,coverage,text}]}],\"counts\":{...}}\n"
             "  --judge-model GGUF  ask this local model about sentences the lexical evidence leaves\n"
             "                     ambiguous (coverage 0.45-0.70, no fact conflict); their reason\n"
             "                     then starts with \"judge:\"\n");
      return SK_EXIT_OK;
    default: return sk_cli_usage_error("verify", "unknown option");
    }
  }
  for (int i = optind; i < argc && ns < VERIFY_SOURCES_MAX; i++) src_paths[ns++] = argv[i];
  if (!ns || !text_path) return sk_cli_usage_error("verify", "--source FILE and --text FILE are required");
  ground_doc docs[VERIFY_SOURCES_MAX];
  char *bufs[VERIFY_SOURCES_MAX] = {0};
  sk_err err = {0};
  int rc = SK_EXIT_OK;
  char *text = NULL;
  size_t tl = 0;
  ground_claim *cl = NULL;
  size_t ncl = 0;
  ground_model_judge *judge = NULL;
  for (size_t i = 0; i < ns; i++) {
    uint64_t h;
    size_t l = 0;
    if (ground_load_file(src_paths[i], &bufs[i], &l, &h, &err)) {
      rc = sk_cli_fail("verify", "source %s: %s", src_paths[i], err.msg);
      goto done;
    }
    docs[i] = (ground_doc){src_paths[i], bufs[i], l};
  }
  {
    uint64_t h;
    if (ground_load_file(text_path, &text, &tl, &h, &err)) {
      rc = sk_cli_fail("verify", "text %s: %s", text_path, err.msg);
      goto done;
    }
  }
  if (judge_model && ground_model_judge_open(judge_model, &judge, &err)) {
    rc = sk_cli_fail("verify", "judge model %s: %s", judge_model, err.msg);
    goto done;
  }
  ground_verify_opts vo = {judge ? ground_model_judge_fn : NULL, judge};
  if (ground_verify_ex(docs, ns, text, tl, &vo, &cl, &ncl, &err)) {
    rc = sk_cli_fail("verify", "%s", err.msg);
    goto done;
  }
  size_t cnt[3] = {0};
  for (size_t i = 0; i < ncl; i++) cnt[cl[i].verdict]++;
  if (json) {
    json_t *arr = json_array();
    for (size_t i = 0; i < ncl; i++) {
      json_t *ev = json_array();
      for (size_t e = 0; e < cl[i].n_ev; e++) {
        const ground_evidence *x = &cl[i].ev[e];
        json_array_append_new(ev, json_pack("{s:s,s:I,s:I,s:f,s:s%}", "source", docs[x->doc].name, "start",
                                            (json_int_t)x->start, "end", (json_int_t)x->end, "coverage", x->coverage,
                                            "text", docs[x->doc].text + x->start, x->end - x->start));
      }
      json_array_append_new(arr, json_pack("{s:s%,s:I,s:I,s:s,s:b,s:f,s:s,s:o}", "text", text + cl[i].start,
                                           cl[i].end - cl[i].start, "start", (json_int_t)cl[i].start, "end",
                                           (json_int_t)cl[i].end, "verdict", ground_verdict_name(cl[i].verdict),
                                           "ambiguous", cl[i].ambiguous, "coverage", cl[i].coverage, "reason",
                                           cl[i].reason, "evidence", ev));
    }
    json_t *root = json_pack("{s:o,s:{s:I,s:I,s:I}}", "sentences", arr, "counts", "supported", (json_int_t)cnt[0],
                             "unsupported", (json_int_t)cnt[1], "contradicted", (json_int_t)cnt[2]);
    char *s = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
    if (s) puts(s);
    free(s);
    json_decref(root);
  } else {
    for (size_t i = 0; i < ncl; i++) {
      printf("%zu. %-12s %.*s\n", i + 1, ground_verdict_name(cl[i].verdict), (int)(cl[i].end - cl[i].start), text + cl[i].start);
      if (cl[i].reason[0]) printf("   why: %s\n", cl[i].reason);
      for (size_t e = 0; e < cl[i].n_ev; e++) {
        const ground_evidence *x = &cl[i].ev[e];
        printf("   source: %s bytes %zu-%zu (coverage %.2f): %.*s\n", docs[x->doc].name, x->start, x->end, x->coverage,
               (int)(x->end - x->start), docs[x->doc].text + x->start);
      }
    }
    printf("%zu sentences: %zu supported, %zu unsupported, %zu contradicted\n", ncl, cnt[0], cnt[1], cnt[2]);
  }
  if (cnt[1] || cnt[2]) rc = SK_EXIT_FAIL;
done:
  ground_model_judge_free(judge);
  sk_free(cl);
  sk_free(text);
  for (size_t i = 0; i < ns; i++) sk_free(bufs[i]);
  return rc;
}
