/* cmd_retrieve.c — `sekisho retrieve --collection NAME --query TEXT [--k 5] [--json]`. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "cli/cli.h"
#include "cli/ground_common.h"
#include "ground/retrieve.h"

/* Characters of chunk text shown per hit in the human-readable listing. */
#define SNIPPET_BYTES 300

int cmd_retrieve(const sk_cli *cli, int argc, char **argv) {
  static const struct option opts[] = {{"collection", required_argument, 0, 'c'}, {"query", required_argument, 0, 'q'},
                                       {"k", required_argument, 0, 'k'},          {"json", no_argument, 0, 'j'},
                                       {"method", required_argument, 0, 'm'},     {"help", no_argument, 0, 'h'},
                                       {0}};
  const char *coll = NULL, *query = NULL, *method = "default";
  long k = 5;
  int json = 0, c;
  while ((c = getopt_long(argc, argv, "c:q:k:jm:h", opts, NULL)) != -1) {
    switch (c) {
    case 'c': coll = optarg; break;
    case 'q': query = optarg; break;
    case 'k': {
      char *end = NULL;
      k = strtol(optarg, &end, 10);
      if (!end || *end || k < 1 || k > GROUND_K_MAX) return sk_cli_usage_error("retrieve", "--k must be 1..%d", GROUND_K_MAX);
      break;
    }
    case 'j': json = 1; break;
    case 'm': method = optarg; break;
    case 'h':
      printf("usage: sekisho retrieve --collection NAME --query TEXT [--k 5] [--json]\n\n"
             "Ranks the chunks of a collection for a question (BM25 over character bigrams and MeCab\n"
             "words, fused) and prints them with chunk id, source, page, byte span and score.\n\n"
             "  -c, --collection NAME  collection made by `sekisho ingest`\n"
             "  -q, --query TEXT       the question (any Japanese or English text)\n"
             "  -k, --k N              number of chunks (1..%d, default 5)\n"
             "  -j, --json             JSON output: {\"query\",\"hits\":[{rank,chunk_id,source,page,\n"
             "                         byte_start,byte_end,label,score,text}]}\n"
             "  -m, --method M         default|bigram|words|rrf|score (for comparisons)\n",
             GROUND_K_MAX);
      return SK_EXIT_OK;
    default: return sk_cli_usage_error("retrieve", "unknown option");
    }
  }
  if (!coll || !query) return sk_cli_usage_error("retrieve", "--collection and --query are required");
  if (!sk_collection_name_ok(coll)) return sk_cli_usage_error("retrieve", "collection name '%s' must be 1-64 of [A-Za-z0-9_-]", coll);
  ground_fusion mode = GROUND_FUSE_DEFAULT;
  if (!strcmp(method, "bigram")) mode = GROUND_FUSE_BIGRAM;
  else if (!strcmp(method, "words")) mode = GROUND_FUSE_WORDS;
  else if (!strcmp(method, "rrf")) mode = GROUND_FUSE_RRF;
  else if (!strcmp(method, "score")) mode = GROUND_FUSE_SCORE;
  else if (strcmp(method, "default")) return sk_cli_usage_error("retrieve", "unknown --method '%s'", method);
  ground_index *ix = NULL;
  sk_err err = {0};
  if (sk_collection_open(cli->data_dir, coll, 0, &ix, &err)) return sk_cli_fail("retrieve", "%s", err.msg);
  ground_hit *h = NULL;
  size_t n = 0;
  if (ground_retrieve(ix, query, (size_t)k, mode, &h, &n, &err)) {
    ground_index_close(ix);
    return sk_cli_fail("retrieve", "%s", err.msg);
  }
  if (json) {
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
      json_array_append_new(arr, json_pack("{s:I,s:I,s:s,s:i,s:I,s:I,s:s,s:f,s:s}", "rank", (json_int_t)(i + 1), "chunk_id",
                                           (json_int_t)h[i].chunk_id, "source", h[i].source, "page", h[i].page, "byte_start",
                                           (json_int_t)h[i].byte_start, "byte_end", (json_int_t)h[i].byte_end, "label",
                                           h[i].label, "score", h[i].score, "text", h[i].text));
    json_t *root = json_pack("{s:s,s:s,s:o}", "collection", coll, "query", query, "hits", arr);
    char *s = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
    if (s) puts(s);
    free(s);
    json_decref(root);
  } else {
    if (!n) printf("no chunk matches the query\n");
    for (size_t i = 0; i < n; i++) {
      size_t tl = strlen(h[i].text), cut = tl < SNIPPET_BYTES ? tl : SNIPPET_BYTES;
      while (cut < tl && cut > 0 && ((unsigned char)h[i].text[cut] & 0xC0) == 0x80) cut--;
      for (size_t j = 0; j < cut; j++)
        if (h[i].text[j] == '\n') h[i].text[j] = ' ';
      printf("%zu. [chunk %lld] %s p.%d bytes %zu-%zu %s (score %.3f)\n   %.*s%s\n", i + 1, (long long)h[i].chunk_id,
             h[i].source, h[i].page, h[i].byte_start, h[i].byte_end, h[i].label, h[i].score, (int)cut, h[i].text,
             cut < tl ? "…" : "");
    }
  }
  ground_hits_free(h, n);
  ground_index_close(ix);
  return SK_EXIT_OK;
}
