/* cmd_ingest.c — `sekisho ingest PATH... --collection NAME`: add documents to a collection. */
#include <dirent.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "cli/cli.h"
#include "cli/ground_common.h"
#include "ground/ingest.h"

/* Files gathered from the arguments (folders are walked); beyond this the command refuses. */
#define INGEST_FILES_MAX 100000
/* Folder depth walked: deeper trees are almost always a mistake (a symlink loop, /). */
#define INGEST_DEPTH_MAX 16

typedef struct flist {
  char **v;
  size_t n, cap;
} flist;

static int supported_ext(const char *name) {
  static const char *const ext[] = {".txt", ".md", ".markdown", ".html", ".htm", ".xhtml", ".pdf"};
  size_t n = strlen(name);
  for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
    size_t l = strlen(ext[i]);
    if (n > l && !strcasecmp(name + n - l, ext[i])) return 1;
  }
  return 0;
}

static int add_file(flist *f, const char *path) {
  if (f->n >= INGEST_FILES_MAX) return -1;
  if (f->n == f->cap) {
    size_t nc = f->cap ? f->cap * 2 : 64;
    char **nv = sk_realloc(f->v, nc * sizeof *nv);
    if (!nv) return -1;
    f->v = nv, f->cap = nc;
  }
  char *p = sk_strdup(path);
  if (!p) return -1;
  f->v[f->n++] = p;
  return 0;
}

static int walk(flist *f, const char *path, int depth, int explicit_arg) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "sekisho ingest: error: cannot read %s: no such file or directory\n", path);
    return -1;
  }
  if (S_ISDIR(st.st_mode)) {
    if (depth >= INGEST_DEPTH_MAX) return 0;
    DIR *d = opendir(path);
    if (!d) return -1;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) && !rc) {
      if (e->d_name[0] == '.') continue;
      char sub[PATH_MAX];
      if ((size_t)snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) >= sizeof sub) continue;
      rc = walk(f, sub, depth + 1, 0);
    }
    closedir(d);
    return rc;
  }
  if (!S_ISREG(st.st_mode)) return 0;
  if (!explicit_arg && !supported_ext(path)) return 0;
  char real[PATH_MAX];
  if (!realpath(path, real)) return -1;
  return add_file(f, real);
}

static void progress(size_t done, size_t total, const char *name) {
  const int width = 30;
  int fill = total ? (int)((double)done / (double)total * width) : width;
  const char *base = strrchr(name, '/');
  fprintf(stderr, "\r[%.*s%*s] %zu/%zu %-40.40s", fill, "##############################", width - fill, "", done, total,
          base ? base + 1 : name);
  fflush(stderr);
}

int cmd_ingest(const sk_cli *cli, int argc, char **argv) {
  static const struct option opts[] = {
      {"collection", required_argument, 0, 'c'}, {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0}};
  const char *coll = NULL;
  int quiet = 0, c;
  while ((c = getopt_long(argc, argv, "c:qh", opts, NULL)) != -1) {
    switch (c) {
    case 'c': coll = optarg; break;
    case 'q': quiet = 1; break;
    case 'h':
      printf("usage: sekisho ingest PATH... --collection NAME [--quiet]\n\n"
             "Adds text, Markdown, HTML and PDF files (folders are walked) to the collection NAME,\n"
             "stored in DATA/ground/NAME.db. Files whose content is unchanged since the last ingest are\n"
             "skipped; changed files replace their old chunks. Chunks follow Japanese structure\n"
             "(sentences 。！？, articles 第N条, headings) and keep source, page and byte offsets.\n"
             "PDF needs pdftotext (poppler-utils).\n\n"
             "  -c, --collection NAME  collection to add to ([A-Za-z0-9_-], created when absent)\n"
             "  -q, --quiet            no progress bar\n");
      return SK_EXIT_OK;
    default: return sk_cli_usage_error("ingest", "unknown option");
    }
  }
  if (!coll) return sk_cli_usage_error("ingest", "--collection NAME is required");
  if (!sk_collection_name_ok(coll)) return sk_cli_usage_error("ingest", "collection name '%s' must be 1-64 of [A-Za-z0-9_-]", coll);
  if (optind >= argc) return sk_cli_usage_error("ingest", "give at least one file or folder");
  flist files = {0};
  for (int i = optind; i < argc; i++)
    if (walk(&files, argv[i], 0, 1)) {
      for (size_t k = 0; k < files.n; k++) sk_free(files.v[k]);
      sk_free(files.v);
      return sk_cli_fail("ingest", "cannot gather %s (missing, unreadable, or more than %d files)", argv[i], INGEST_FILES_MAX);
    }
  ground_index *ix = NULL;
  sk_err err = {0};
  if (sk_collection_open(cli->data_dir, coll, 1, &ix, &err)) {
    for (size_t k = 0; k < files.n; k++) sk_free(files.v[k]);
    sk_free(files.v);
    return sk_cli_fail("ingest", "%s", err.msg);
  }
  int tty = !quiet && isatty(2);
  size_t added = 0, updated = 0, same = 0, failed = 0, chunks = 0;
  for (size_t k = 0; k < files.n; k++) {
    if (tty) progress(k, files.n, files.v[k]);
    ground_ingest_status st;
    size_t nc = 0;
    if (ground_ingest_file(ix, files.v[k], &st, &nc, &err)) {
      if (tty) fputc('\n', stderr);
      fprintf(stderr, "sekisho ingest: error: %s: %s\n", files.v[k], err.msg);
      failed++;
      continue;
    }
    chunks += nc;
    if (st == GROUND_INGEST_ADDED) added++;
    else if (st == GROUND_INGEST_UPDATED) updated++;
    else same++;
  }
  if (tty) { progress(files.n, files.n, "done"); fputc('\n', stderr); }
  int64_t nf = 0, nch = 0;
  ground_index_stats(ix, &nf, &nch, &err);
  printf("collection %s: %zu added, %zu updated, %zu unchanged, %zu failed (%zu new chunks); now %lld files, %lld chunks%s\n",
         coll, added, updated, same, failed, chunks, (long long)nf, (long long)nch,
         ground_index_has_words(ix) ? "" : " [MeCab dictionary missing: bigram index only]");
  ground_index_close(ix);
  for (size_t k = 0; k < files.n; k++) sk_free(files.v[k]);
  sk_free(files.v);
  return failed ? SK_EXIT_FAIL : SK_EXIT_OK;
}
