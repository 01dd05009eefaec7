/* In-process server tests: the gate seam (parse → hook → schedule) and error shapes per API,
 * over a raw loopback socket so no HTTP client library is needed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "api/backend.h"
#include "api/http.h"

typedef struct fx {
  sched_backend be;
  sched *s;
  api_metrics *m;
  api_server *srv;
  int gate_calls;
  char seen_model[64];
} fx;

/* The gate refuses requests carrying "X-Deny" and records what it saw. */
static int gate(void *ud, const api_conn *c, api_request *req, api_error *e) {
  fx *f = ud;
  f->gate_calls++;
  snprintf(f->seen_model, sizeof f->seen_model, "%s", req->model);
  if (api_conn_header(c, "X-Deny")) return api_err(e, API_ERR_PERMISSION, "", "denied by policy");
  return 0;
}

static int setup(void **state) {
  static fx f;
  memset(&f, 0, sizeof f);
  sk_err err;
  backend_toy_params tp = {.n_ctx = 256, .n_seq = 2};
  assert_int_equal(backend_toy_new(&tp, &f.be, &err), 0);
  sched_params sp = {.n_parallel = 2};
  assert_int_equal(sched_new(&f.be, &sp, &f.s, &err), 0);
  f.m = api_metrics_new();
  api_server_params hp = {.port = 0, .sched = f.s, .be = &f.be, .metrics = f.m, .gate = gate, .gate_ud = &f};
  assert_int_equal(api_server_start(&hp, &f.srv, &err), 0);
  *state = &f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  api_server_stop(f->srv, 1000);
  sched_free(f->s);
  api_metrics_free(f->m);
  f->be.close(f->be.impl);
  return 0;
}

/* Sends one request (Connection: close) and reads the whole answer into out. Returns status. */
static int http(fx *f, const char *path, const char *extra_hdr, const char *body, char *out, size_t cap) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(api_server_port(f->srv))};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  char req[8192];
  int n = snprintf(req, sizeof req,
                   "POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
                   "%sContent-Length: %zu\r\n\r\n%s",
                   path, extra_hdr, strlen(body), body);
  assert_int_equal(write(fd, req, (size_t)n), n);
  size_t got = 0;
  ssize_t r;
  while (got + 1 < cap && (r = read(fd, out + got, cap - 1 - got)) > 0) got += (size_t)r;
  out[got] = 0;
  close(fd);
  int status = 0;
  sscanf(out, "HTTP/1.1 %d", &status);
  return status;
}

static void gate_sees_parsed_request_and_can_refuse(void **state) {
  fx *f = *state;
  char out[16384];
  const char *chat = "{\"model\":\"sekisho-toy\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3}";
  assert_int_equal(http(f, "/v1/chat/completions", "", chat, out, sizeof out), 200);
  assert_int_equal(f->gate_calls, 1);
  assert_string_equal(f->seen_model, "sekisho-toy");
  assert_int_equal(http(f, "/v1/chat/completions", "X-Deny: 1\r\n", chat, out, sizeof out), 403);
  assert_non_null(strstr(out, "\"permission_error\""));
  assert_non_null(strstr(out, "denied by policy"));
  const char *msg = "{\"model\":\"sekisho-toy\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  assert_int_equal(http(f, "/v1/messages", "X-Deny: 1\r\n", msg, out, sizeof out), 403);
  assert_non_null(strstr(out, "{\"type\":\"error\",\"error\":{\"type\":\"permission_error\""));
  /* a request that fails parsing never reaches the gate */
  int before = f->gate_calls;
  assert_int_equal(http(f, "/v1/messages", "", "{\"model\":1}", out, sizeof out), 400);
  assert_int_equal(f->gate_calls, before);
}

static void unknown_model_is_404_in_each_shape(void **state) {
  fx *f = *state;
  char out[16384];
  assert_int_equal(http(f, "/v1/chat/completions", "",
                        "{\"model\":\"gpt-9\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", out,
                        sizeof out),
                   404);
  assert_non_null(strstr(out, "\"code\":\"model_not_found\""));
  assert_int_equal(http(f, "/v1/messages", "",
                        "{\"model\":\"claude-9\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                        out, sizeof out),
                   404);
  assert_non_null(strstr(out, "\"not_found_error\""));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(gate_sees_parsed_request_and_can_refuse),
      cmocka_unit_test(unknown_model_is_404_in_each_shape),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
