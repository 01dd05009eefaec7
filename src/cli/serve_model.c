/* serve_model.c — which backend `sekisho serve` puts behind the scheduler: a GGUF model through
 * the engine, or the demo model (generated once by the synthetic-model writer under
 * DATA_DIR/models/ and served as "sekisho-demo", clearly labelled: random weights, not a
 * language model — it proves the plumbing on a fresh machine without downloads). */
#include <stdio.h>
#include <sys/stat.h>

#include "api/backend.h"
#include "base/fs.h"
#include "base/log.h"
#include "cli/cli.h"
#include "engine/synth.h"

/* The demo: the smallest synthetic shape in Q8_0 — the quantisation real deployments serve, so
 * the demo runs the same SIMD kernels (about 0.1 MB, generated in milliseconds). The file name
 * carries the type, so a data dir holding an older F16 demo just generates the Q8_0 one. */
#define DEMO_ARCH "qwen2"
#define DEMO_SHAPE "tiny"
#define DEMO_TYPE "Q8_0"
#define DEMO_MODEL_ID "sekisho-demo"

int serve_demo_backend(const sk_cli *cli, uint32_t n_ctx, uint32_t n_seq, sched_backend *be,
                       const char **label, sk_err *err);
int serve_model_backend(const char *path, const char *id, uint32_t n_ctx, uint32_t n_seq,
                        sched_backend *be, sk_err *err);

static int open_engine(const char *path, const char *id, uint32_t n_ctx, uint32_t n_seq,
                       sched_backend *be, sk_err *err) {
  backend_engine_params p = {.model_id = id, .n_ctx = n_ctx, .n_seq = n_seq};
  return backend_engine_new(path, &p, be, err);
}

int serve_model_backend(const char *path, const char *id, uint32_t n_ctx, uint32_t n_seq,
                        sched_backend *be, sk_err *err) {
  return open_engine(path, id, n_ctx, n_seq, be, err);
}

int serve_demo_backend(const sk_cli *cli, uint32_t n_ctx, uint32_t n_seq, sched_backend *be,
                       const char **label, sk_err *err) {
  char dir[1024], path[1200];
  if (sk_path_join(dir, sizeof dir, cli->data_dir, "models"))
    return sk_err_set(err, SK_ELIMIT, "data directory path too long");
  snprintf(path, sizeof path, "%s/demo-%s-%s-%s.gguf", dir, DEMO_ARCH, DEMO_SHAPE, DEMO_TYPE);
  struct stat st;
  if (stat(path, &st) != 0) {
    int rc = sk_mkdir_p(dir, err);
    if (rc) return rc;
    synth_config c;
    if ((rc = synth_config_init(&c, DEMO_ARCH, DEMO_SHAPE, err))) return rc;
    c.ftype = synth_ftype_from_name(DEMO_TYPE);
    uint64_t size = 0;
    if ((rc = synth_write_file(&c, path, &size, err))) return rc;
    fprintf(stderr, "sekisho serve: generated the demo model %s (%.1f MB, random weights)\n", path,
            size / 1e6);
  }
  *label = "DEMO model: random weights, output is not meaningful; serve a real model with -m";
  return open_engine(path, DEMO_MODEL_ID, n_ctx, n_seq, be, err);
}
