/* cmd_serve.c — `sekisho serve`: the OpenAI/Anthropic-compatible HTTP server over the local
 * engine, with continuous batching. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/backend.h"
#include "api/http.h"
#include "api/metrics.h"
#include "api/sched.h"
#include "base/log.h"
#include "cli/cli.h"
#include "gate/pipeline.h"
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

/* In-flight generations get this long to finish after SIGTERM before they are cancelled. */
#define SERVE_SHUTDOWN_DEADLINE_MS 10000
/* Config files are a handful of keys. */
#define SERVE_MAX_CONFIG_BYTES (64 * 1024)

typedef struct serve_opts {
  const char *model;
  const char *config;
  const char *host;
  long port;
  long parallel;
  long ctx;
  long queue;
  long grace_ms;
  int toy;
  const char *port_file;
} serve_opts;

static void usage(FILE *o) {
  fprintf(o,
          "usage: sekisho serve [-m MODEL.gguf] [--config FILE] [--host 127.0.0.1] [--port 8080]\n"
          "                     [--parallel N] [--ctx N] [--queue N] [--grace SECONDS]\n"
          "                     [--port-file FILE] [--toy]\n"
          "\n"
          "Serves a local model over OpenAI-compatible (/v1/chat/completions, /v1/completions,\n"
          "/v1/models) and Anthropic-compatible (/v1/messages) HTTP APIs, plus /health and\n"
          "/metrics (Prometheus). Up to --parallel requests share each forward pass (continuous\n"
          "batching); up to --queue more wait; beyond that requests get 429 with Retry-After.\n"
          "A prompt longer than --ctx is a 400 error unless the request opts in to truncation\n"
          "with \"sekisho\": {\"truncate\": \"start\"} (docs/api.md).\n"
          "\n"
          "  -m, --model FILE   GGUF model to serve; without it a small DEMO model is generated\n"
          "                     once under DATA_DIR/models/ and served as 'sekisho-demo'\n"
          "  --config FILE      perimeter config (YAML: tenants, models/routes, limits, budgets,\n"
          "                     optional server: section; flags win); reloaded when it changes.\n"
          "                     Default: one local-only tenant 'demo' (see docs/gate.md)\n"
          "  --host ADDR        numeric address to listen on (default 127.0.0.1)\n"
          "  --port N           TCP port (default 8080; 0 picks a free one)\n"
          "  --parallel N       concurrent sequences per forward pass (default 4, max %d)\n"
          "  --ctx N            context length per sequence in tokens (default 2048)\n"
          "  --queue N          requests waiting beyond --parallel (default %d)\n"
          "  --grace SECONDS    on SIGTERM, time in-flight requests get to finish (default %d)\n"
          "  --port-file FILE   write the bound port to FILE once listening (for scripts)\n"
          "  --toy              serve the deterministic test model 'sekisho-toy' (no weights)\n"
          "  -h, --help         this help\n",
          ENG_MAX_SEQ, SCHED_DEFAULT_QUEUE, SERVE_SHUTDOWN_DEADLINE_MS / 1000);
}

static int parse_long(const char *s, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

/* Fills unset options from the config's server: section (command-line options win). */
static void apply_server_section(const gate_config *c, serve_opts *o) {
  if (!o->model && c->server_model[0]) o->model = c->server_model;
  if (!o->host && c->server_host[0]) o->host = c->server_host;
  if (o->port < 0) o->port = c->server_port;
  if (o->parallel < 0) o->parallel = c->server_parallel;
  if (o->ctx < 0) o->ctx = c->server_ctx;
  if (o->queue < 0) o->queue = c->server_queue;
}

const api_gate_ops *serve_gate_ops(gate *g, const char *local_model, void **ud);

/* Watches the config file and reloads it when it changes (hot reload); a bad edit keeps the old
 * config running and is reported with its line. */
typedef struct reload_ctx {
  gate *g;
  atomic_int stop;
} reload_ctx;
static void *reload_main(void *arg) {
  reload_ctx *r = arg;
  while (!atomic_load(&r->stop)) {
    struct timespec ts = {0, 250 * 1000 * 1000};
    nanosleep(&ts, NULL);
    sk_err err;
    sk_err_clear(&err);
    int rc = gate_reload_if_changed(r->g, &err);
    if (rc == 1) fprintf(stderr, "sekisho serve: configuration reloaded\n");
    else if (rc < 0) fprintf(stderr, "sekisho serve: configuration NOT reloaded (still running the previous one): %s\n", err.msg);
  }
  return NULL;
}

int serve_demo_backend(const sk_cli *cli, uint32_t n_ctx, uint32_t n_seq, sched_backend *be,
                       const char **label, sk_err *err);
int serve_model_backend(const char *path, const char *id, uint32_t n_ctx, uint32_t n_seq,
                        sched_backend *be, sk_err *err);

int cmd_serve(const sk_cli *cli, int argc, char **argv) {
  serve_opts o = {.port = -1, .parallel = -1, .ctx = -1, .queue = -1, .grace_ms = -1};
  static const struct option lo[] = {
      {"model", required_argument, 0, 'm'},    {"config", required_argument, 0, 'c'},
      {"host", required_argument, 0, 'H'},     {"port", required_argument, 0, 'p'},
      {"parallel", required_argument, 0, 'P'}, {"ctx", required_argument, 0, 'C'},
      {"queue", required_argument, 0, 'Q'},    {"grace", required_argument, 0, 'g'},
      {"port-file", required_argument, 0, 'F'}, {"toy", no_argument, 0, 'T'},
      {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
  int ch;
  long v;
  while ((ch = getopt_long(argc, argv, "m:h", lo, NULL)) != -1) {
    switch (ch) {
    case 'm': o.model = optarg; break;
    case 'c': o.config = optarg; break;
    case 'H': o.host = optarg; break;
    case 'F': o.port_file = optarg; break;
    case 'T': o.toy = 1; break;
    case 'p':
      if (parse_long(optarg, 0, 65535, &o.port)) return sk_cli_usage_error("serve", "--port must be 0..65535");
      break;
    case 'P':
      if (parse_long(optarg, 1, ENG_MAX_SEQ, &o.parallel))
        return sk_cli_usage_error("serve", "--parallel must be 1..%d", ENG_MAX_SEQ);
      break;
    case 'C':
      if (parse_long(optarg, 16, (long)ENG_MAX_CTX, &o.ctx))
        return sk_cli_usage_error("serve", "--ctx must be 16..%u", ENG_MAX_CTX);
      break;
    case 'Q':
      if (parse_long(optarg, 1, SCHED_MAX_QUEUE, &o.queue))
        return sk_cli_usage_error("serve", "--queue must be 1..%d", SCHED_MAX_QUEUE);
      break;
    case 'g':
      if (parse_long(optarg, 0, 3600, &v)) return sk_cli_usage_error("serve", "--grace must be 0..3600 seconds");
      o.grace_ms = v * 1000;
      break;
    case 'h': usage(stdout); return SK_EXIT_OK;
    default: return sk_cli_usage_error("serve", "unknown option");
    }
  }
  if (optind < argc) return sk_cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
  char *model_owned = NULL, *host_owned = NULL;
  gate_config *gcfg = NULL;
  {
    sk_err cerr;
    if (o.config && gate_config_load_file(o.config, &gcfg, &cerr))
      return sk_cli_fail("serve", "invalid config: %s", cerr.msg);
    if (gcfg) apply_server_section(gcfg, &o);
  }
  if (o.port < 0) o.port = 8080;
  if (o.parallel < 0) o.parallel = 4;
  if (o.ctx < 0) o.ctx = 2048;
  if (o.queue < 0) o.queue = SCHED_DEFAULT_QUEUE;
  if (o.grace_ms < 0) o.grace_ms = SERVE_SHUTDOWN_DEADLINE_MS;
  if (o.parallel < 1 || o.parallel > ENG_MAX_SEQ || o.ctx < 16 || o.queue < 1 || o.queue > SCHED_MAX_QUEUE) {
    gate_config_free(gcfg);
    free(model_owned);
    free(host_owned);
    return sk_cli_usage_error("serve", "config values out of range (parallel 1..%d, ctx >= 16, queue 1..%d)",
                              ENG_MAX_SEQ, SCHED_MAX_QUEUE);
  }

  /* Block the shutdown signals before any thread starts, so only sigwait below sees them. */
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);
  signal(SIGPIPE, SIG_IGN);

  sk_err err;
  sk_err_clear(&err);
  sched_backend be;
  const char *label = "";
  int rc;
  if (o.toy) {
    backend_toy_params tp = {.n_ctx = (uint32_t)o.ctx, .n_seq = (uint32_t)o.parallel, .decode_us = 2000,
                             .decode_tok_us = 20};
    rc = backend_toy_new(&tp, &be, &err);
    label = "toy test model (not a language model)";
  } else if (o.model) {
    rc = serve_model_backend(o.model, NULL, (uint32_t)o.ctx, (uint32_t)o.parallel, &be, &err);
  } else {
    rc = serve_demo_backend(cli, (uint32_t)o.ctx, (uint32_t)o.parallel, &be, &label, &err);
  }
  free(model_owned);
  if (rc) {
    gate_config_free(gcfg);
    free(host_owned);
    return sk_cli_fail("serve", "cannot load the model: %s", err.msg);
  }

  /* The perimeter: every generation passes gate/pipeline.c. Without --config, the built-in config
   * serves one local-only tenant "demo" (loopback clients without a key map to it). */
  if (!gcfg && gate_config_default(be.model_id, &gcfg, &err)) {
    be.close(be.impl);
    free(host_owned);
    return sk_cli_fail("serve", "built-in config: %s", err.msg);
  }
  gate *gt = NULL;
  gate_params gp = {.data_dir = cli->data_dir, .config = gcfg, .config_path = o.config, .local_model = be.model_id};
  if (gate_open(&gp, &gt, &err)) {
    be.close(be.impl);
    free(host_owned);
    return sk_cli_fail("serve", "cannot start the perimeter: %s", err.msg);
  }
  if (gate_keys_count(gate_get_keys(gt)) == 0) {
    gate_key k;
    char tok[GATE_MAX_TOKEN];
    const char *tenant = gcfg->anonymous_tenant[0] ? gcfg->anonymous_tenant : gcfg->tenants[0].id;
    if (!gate_keys_create(gate_get_keys(gt), tenant, "admin", GATE_ROLE_ADMIN, GATE_RES_ONPREM, &k, tok, &err))
      fprintf(stderr, "sekisho serve: created the first admin key (shown only now; stored hashed in %s/gate/keys.json):\n  %s\n",
              cli->data_dir, tok);
  }
  void *gops_ud = NULL;
  const api_gate_ops *gops = serve_gate_ops(gt, be.model_id, &gops_ud);
  reload_ctx rctx = {.g = gt};
  pthread_t rth;
  int have_rth = o.config && !pthread_create(&rth, NULL, reload_main, &rctx);

  sched *sc = NULL;
  sched_params sp = {.n_parallel = (uint32_t)o.parallel, .max_queue = (uint32_t)o.queue};
  if (sched_new(&be, &sp, &sc, &err)) {
    atomic_store(&rctx.stop, 1);
    if (have_rth) pthread_join(rth, NULL);
    gate_close(gt);
    be.close(be.impl);
    free(host_owned);
    return sk_cli_fail("serve", "cannot start the scheduler: %s", err.msg);
  }
  api_metrics *m = api_metrics_new();
  api_server *srv = NULL;
  api_server_params hp = {.host = o.host, .port = (uint16_t)o.port, .sched = sc, .be = &be, .metrics = m,
                          .model_label = label, .gops = gops, .gops_ud = gops_ud, .data_dir = cli->data_dir};
  if (!m || api_server_start(&hp, &srv, &err)) {
    atomic_store(&rctx.stop, 1);
    if (have_rth) pthread_join(rth, NULL);
    gate_close(gt);
    sched_free(sc);
    api_metrics_free(m);
    be.close(be.impl);
    free(host_owned);
    return sk_cli_fail("serve", "%s", m ? err.msg : "out of memory");
  }
  uint16_t port = api_server_port(srv);
  if (o.port_file) {
    FILE *f = fopen(o.port_file, "w");
    if (f) {
      fprintf(f, "%u\n", port);
      fclose(f);
    }
  }
  fprintf(stderr, "sekisho serve: model '%s'%s%s%s, %ld parallel, ctx %ld, listening on http://%s:%u\n",
          be.model_id, label[0] ? " (" : "", label, label[0] ? ")" : "", o.parallel, o.ctx,
          o.host ? o.host : "127.0.0.1", port);
  fflush(stderr);

  int sig = 0;
  sigwait(&sigs, &sig);
  fprintf(stderr, "sekisho serve: %s received, finishing in-flight requests (up to %ld s)\n",
          sig == SIGTERM ? "SIGTERM" : "SIGINT", o.grace_ms / 1000);
  api_server_stop(srv, (int)o.grace_ms);
  atomic_store(&rctx.stop, 1);
  if (have_rth) pthread_join(rth, NULL);
  gate_close(gt);
  sched_free(sc);
  api_metrics_free(m);
  be.close(be.impl);
  free(host_owned);
  fprintf(stderr, "sekisho serve: stopped\n");
  return SK_EXIT_OK;
}
