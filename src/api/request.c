#include "api/request.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"

int api_err_status(api_err_kind kind) {
  switch (kind) {
  case API_ERR_INVALID: return 400;
  case API_ERR_AUTH: return 401;
  case API_ERR_PERMISSION: return 403;
  case API_ERR_NOT_FOUND: return 404;
  case API_ERR_METHOD: return 405;
  case API_ERR_TOO_LARGE: return 413;
  case API_ERR_RATE_LIMIT: return 429;
  case API_ERR_UNAVAILABLE: return 503;
  case API_ERR_INTERNAL: return 500;
  }
  return 500;
}

int api_err(api_error *e, api_err_kind kind, const char *param, const char *fmt, ...) {
  if (!e) return -1;
  e->kind = kind;
  e->retry_after_s = 0;
  snprintf(e->param, sizeof e->param, "%s", param ? param : "");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->message, sizeof e->message, fmt, ap);
  va_end(ap);
  return -1;
}

void api_request_init(api_request *r) {
  memset(r, 0, sizeof *r);
  r->max_tokens = API_DEFAULT_GEN_TOKENS;
  r->temperature = 1.0;
  r->top_p = 1.0;
}

void api_request_release(api_request *r) {
  sk_free(r->model);
  for (size_t i = 0; i < r->n_messages; i++) sk_free(r->messages[i].content);
  sk_free(r->messages);
  sk_free(r->prompt);
  for (size_t i = 0; i < r->n_stop; i++) sk_free(r->stop[i]);
  sk_free(r->stop);
  sk_free(r->ground_collection);
  api_request_init(r);
}

const char *api_role_name(api_role role) {
  switch (role) {
  case API_ROLE_SYSTEM: return "system";
  case API_ROLE_USER: return "user";
  case API_ROLE_ASSISTANT: return "assistant";
  }
  return "user";
}
