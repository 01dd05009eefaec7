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
          "\n"
          "Serves a local model over OpenAI-compatible (/v1/chat/completions, /v1/completions,\n"
          "/v1/models) and Anthropic-compatible (/v1/messages) HTTP APIs, plus /health and\n"
          "/metrics (Prometheus). Up to --parallel requests share each forward pass (continuous\n"
          "batching); up to --queue more wait; beyond that requests get 429 with Retry-After.\n"
          "\n"
          "  -m, --model FILE   GGUF model to serve; without it a small DEMO model is generated\n"
          "                     once under DATA_DIR/models/ and served as 'sekisho-demo'\n"
          "  --config FILE      JSON object with any of: model, host, port, parallel, ctx, queue\n"
          "                     (command-line options win); default: built-in settings\n"
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

/* Fills unset options from the JSON config file. */
static int load_config(const char *path, serve_opts *o, char **model_owned, char **host_owned) {
  json_error_t je;
  json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
  if (!j) return sk_cli_fail("serve", "cannot read config %s: line %d: %s", path, je.line, je.text);
  if (!json_is_object(j)) {
    json_decref(j);
    return sk_cli_fail("serve", "config %s must be a JSON object", path);
  }
  const char *key;
  json_t *v;
  json_object_foreach(j, key, v) {
    long *dst = !strcmp(key, "port") ? &o->port : !strcmp(key, "parallel") ? &o->parallel
                : !strcmp(key, "ctx") ? &o->ctx : !strcmp(key, "queue") ? &o->queue : NULL;
    if (dst) {
      if (!json_is_integer(v)) goto bad;
      if (*dst < 0) *dst = (long)json_integer_value(v);
    } else if (!strcmp(key, "model") || !strcmp(key, "host")) {
      if (!json_is_string(v)) goto bad;
      const char **sdst = !strcmp(key, "model") ? &o->model : &o->host;
      if (!*sdst) {
        char *dup = strdup(json_string_value(v));
        if (!dup) goto bad;
        if (!strcmp(key, "model")) *model_owned = dup;
        else *host_owned = dup;
        *sdst = dup;
      }
    } else {
      fprintf(stderr, "sekisho serve: warning: config key '%s' is not used by serve\n", key);
    }
    continue;
  bad:
    json_decref(j);
    return sk_cli_fail("serve", "config %s: '%s' has the wrong type", path, key);
  }
  json_decref(j);
  return 0;
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
  if (o.config && load_config(o.config, &o, &model_owned, &host_owned)) {
    free(model_owned);
    free(host_owned);
    return SK_EXIT_FAIL;
  }
  if (o.port < 0) o.port = 8080;
  if (o.parallel < 0) o.parallel = 4;
  if (o.ctx < 0) o.ctx = 2048;
  if (o.queue < 0) o.queue = SCHED_DEFAULT_QUEUE;
  if (o.grace_ms < 0) o.grace_ms = SERVE_SHUTDOWN_DEADLINE_MS;
  if (o.parallel < 1 || o.parallel > ENG_MAX_SEQ || o.ctx < 16 || o.queue < 1 || o.queue > SCHED_MAX_QUEUE) {
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
    free(host_owned);
    return sk_cli_fail("serve", "cannot load the model: %s", err.msg);
  }

  sched *sc = NULL;
  sched_params sp = {.n_parallel = (uint32_t)o.parallel, .max_queue = (uint32_t)o.queue};
  if (sched_new(&be, &sp, &sc, &err)) {
    be.close(be.impl);
    free(host_owned);
    return sk_cli_fail("serve", "cannot start the scheduler: %s", err.msg);
  }
  api_metrics *m = api_metrics_new();
  api_server *srv = NULL;
  api_server_params hp = {.host = o.host, .port = (uint16_t)o.port, .sched = sc, .be = &be, .metrics = m,
                          .model_label = label};
  if (!m || api_server_start(&hp, &srv, &err)) {
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
  sched_free(sc);
  api_metrics_free(m);
  be.close(be.impl);
  free(host_owned);
  fprintf(stderr, "sekisho serve: stopped\n");
  return SK_EXIT_OK;
}
