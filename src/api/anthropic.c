#include "api/anthropic.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/jfield.h"
#include "api/sse.h"
#include "base/alloc.h"
#include "base/err.h"
#include "base/jsonw.h"

/* content: a string or an array of text blocks (concatenated). */
static int parse_content(json_t *v, const char *param, char **out, api_error *e) {
  if (json_is_string(v)) return jf_strdup(v, param, out, e);
  if (!json_is_array(v))
    return api_err(e, API_ERR_INVALID, param, "%s: must be a string or an array of content blocks", param);
  sk_buf b;
  sk_buf_init(&b, API_MAX_BODY_BYTES);
  size_t i;
  json_t *blk;
  json_array_foreach(v, i, blk) {
    json_t *type = json_object_get(blk, "type");
    json_t *text = json_object_get(blk, "text");
    if (!json_is_object(blk) || !json_is_string(type)) {
      sk_buf_release(&b);
      return api_err(e, API_ERR_INVALID, param, "%s.%zu: must be a content block with a 'type'", param, i);
    }
    if (strcmp(json_string_value(type), "text") || !json_is_string(text)) {
      sk_buf_release(&b);
      return api_err(e, API_ERR_INVALID, param,
                     "%s.%zu: content block type '%s' is not supported; only 'text' blocks with a 'text' string are",
                     param, i, json_string_value(type));
    }
    if (sk_buf_append(&b, json_string_value(text), json_string_length(text)) != 0) {
      sk_buf_release(&b);
      return api_err(e, API_ERR_INVALID, param, "%s: too long", param);
    }
  }
  if (b.len && memchr(b.data, '\0', b.len)) {
    sk_buf_release(&b);
    return api_err(e, API_ERR_INVALID, param, "%s: must not contain NUL characters", param);
  }
  *out = b.len ? sk_buf_detach(&b) : sk_strdup("");
  return *out ? 0 : api_err(e, API_ERR_INTERNAL, param, "out of memory");
}

int anthropic_parse_messages(const char *body, size_t len, api_request *req, api_error *e) {
  json_t *root;
  if (jf_load_object(body, len, &root, e)) return -1;
  req->proto = API_PROTO_ANTHROPIC;
  int rc = -1;
  if (jf_model(root, &req->model, e)) goto out;
  int64_t mt = 0;
  int has_mt = 0;
  if (jf_int(root, "max_tokens", 1, API_MAX_GEN_TOKENS, &mt, &has_mt, e)) goto out;
  if (!has_mt) {
    api_err(e, API_ERR_INVALID, "max_tokens", "max_tokens: field required");
    goto out;
  }
  req->max_tokens = (int32_t)mt;
  if (jf_number(root, "temperature", 0.0, 1.0, &req->temperature, e)) goto out;
  if (jf_number(root, "top_p", 0.0, 1.0, &req->top_p, e)) goto out;
  if (req->top_p <= 0.0) {
    api_err(e, API_ERR_INVALID, "top_p", "top_p: must be greater than 0");
    goto out;
  }
  if (jf_bool(root, "stream", &req->stream, e)) goto out;
  if (jf_stops(json_object_get(root, "stop_sequences"), "stop_sequences", API_MAX_STOP_ANTHROPIC,
               &req->stop, &req->n_stop, e))
    goto out;
  /* Not part of the Messages API; accepted as an extension for reproducible sampling. */
  int64_t seed = 0;
  if (jf_int(root, "seed", INT64_MIN, INT64_MAX, &seed, &req->has_seed, e)) goto out;
  req->seed = (uint64_t)seed;
  if (jf_truncate(root, req, e)) goto out;

  json_t *msgs = json_object_get(root, "messages");
  json_t *sys = json_object_get(root, "system");
  if (!json_is_array(msgs) || json_array_size(msgs) == 0) {
    api_err(e, API_ERR_INVALID, "messages", "messages: must be a non-empty array");
    goto out;
  }
  size_t n = json_array_size(msgs);
  if (n > API_MAX_MESSAGES) {
    api_err(e, API_ERR_INVALID, "messages", "messages: %zu entries; at most %d are allowed", n,
            API_MAX_MESSAGES);
    goto out;
  }
  int has_sys = sys && !json_is_null(sys);
  req->messages = sk_calloc(n + 1, sizeof *req->messages);
  if (!req->messages) {
    api_err(e, API_ERR_INTERNAL, "", "out of memory");
    goto out;
  }
  if (has_sys) {
    req->messages[0].role = API_ROLE_SYSTEM;
    if (parse_content(sys, "system", &req->messages[0].content, e)) goto out;
    req->n_messages = 1;
  }
  for (size_t i = 0; i < n; i++) {
    json_t *m = json_array_get(msgs, i);
    char param[64];
    snprintf(param, sizeof param, "messages.%zu.role", i);
    json_t *role = json_object_get(m, "role");
    if (!json_is_object(m) || !json_is_string(role)) {
      api_err(e, API_ERR_INVALID, param, "%s: field required (user or assistant)", param);
      goto out;
    }
    const char *r = json_string_value(role);
    api_role ar;
    if (!strcmp(r, "user")) ar = API_ROLE_USER;
    else if (!strcmp(r, "assistant")) ar = API_ROLE_ASSISTANT;
    else {
      api_err(e, API_ERR_INVALID, param, "%s: must be 'user' or 'assistant' (use the top-level 'system' field)",
              param);
      goto out;
    }
    snprintf(param, sizeof param, "messages.%zu.content", i);
    api_message *dst = &req->messages[req->n_messages];
    dst->role = ar;
    if (parse_content(json_object_get(m, "content"), param, &dst->content, e)) goto out;
    req->n_messages++;
  }
  rc = 0;
out:
  json_decref(root);
  if (rc) api_request_release(req);
  return rc;
}

/* ---- rendering -------------------------------------------------------------------------- */

static const char *error_type(api_err_kind k) {
  switch (k) {
  case API_ERR_INVALID: return "invalid_request_error";
  case API_ERR_METHOD: return "invalid_request_error";
  case API_ERR_AUTH: return "authentication_error";
  case API_ERR_PERMISSION: return "permission_error";
  case API_ERR_NOT_FOUND: return "not_found_error";
  case API_ERR_TOO_LARGE: return "request_too_large";
  case API_ERR_RATE_LIMIT: return "rate_limit_error";
  case API_ERR_UNAVAILABLE: return "overloaded_error";
  case API_ERR_INTERNAL: return "api_error";
  }
  return "api_error";
}

static json_t *error_json(const api_error *e) {
  return json_pack("{s:s, s:{s:s, s:s}}", "type", "error", "error", "type", error_type(e->kind),
                   "message", e->message);
}

int anthropic_render_error(const api_error *e, sk_buf *out) { return jf_dump(error_json(e), out); }

static json_t *stop_reason(api_finish f) {
  switch (f) {
  case API_FINISH_NONE: return json_null();
  case API_FINISH_LENGTH: return json_string("max_tokens");
  case API_FINISH_STOP: return json_string("stop_sequence");
  default: return json_string("end_turn");
  }
}

static json_t *stop_seq(const api_result *r) {
  return r->finish == API_FINISH_STOP && r->stop_seq ? json_string(r->stop_seq) : json_null();
}

static json_t *text_json(const char *t, size_t n) {
  json_t *s = json_stringn(t ? t : "", t ? n : 0);
  return s ? s : json_string("\xef\xbf\xbd");
}

static int render_result_tree(const api_result *r, sk_buf *out) {
  json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:o}], s:o, s:o, s:{s:i, s:i}}", "id", r->id,
                        "type", "message", "role", "assistant", "model", r->model, "content", "type",
                        "text", "text", text_json(r->text, r->text_len), "stop_reason",
                        stop_reason(r->finish), "stop_sequence", stop_seq(r), "usage",
                        "input_tokens", (int)r->n_prompt, "output_tokens", (int)r->n_gen);
  return jf_dump(j, out);
}

/* The same document written as text (a jansson tree only to serialise it cost ~5% of a gated
 * request); text jansson would refuse (a NUL byte, invalid UTF-8) takes the tree's path. */
int anthropic_render_result(const api_request *req, const api_result *r, sk_buf *out) {
  (void)req;
  size_t mark = out->len;
  int rc = sk_buf_append_byte(out, '{');
  rc = rc ? rc : sk_json_key(out, "id");
  rc = rc ? rc : sk_json_cstr(out, r->id);
  rc = rc ? rc : sk_buf_append_str(out, ",\"type\":\"message\",\"role\":\"assistant\"");
  rc = rc ? rc : sk_json_key(out, "model");
  rc = rc ? rc : sk_json_cstr(out, r->model);
  rc = rc ? rc : sk_buf_append_str(out, ",\"content\":[{\"type\":\"text\",\"text\":");
  rc = rc ? rc : sk_json_str(out, r->text ? r->text : "", r->text ? r->text_len : 0);
  rc = rc ? rc : sk_buf_append_str(out, "}],\"stop_reason\":");
  const char *sr = r->finish == API_FINISH_NONE     ? NULL
                   : r->finish == API_FINISH_LENGTH ? "max_tokens"
                   : r->finish == API_FINISH_STOP   ? "stop_sequence"
                                                    : "end_turn";
  rc = rc ? rc : sk_json_cstr(out, sr);
  rc = rc ? rc : sk_json_key(out, "stop_sequence");
  rc = rc ? rc : sk_json_cstr(out, r->finish == API_FINISH_STOP && r->stop_seq ? r->stop_seq : NULL);
  rc = rc ? rc
          : sk_buf_printf(out, ",\"usage\":{\"input_tokens\":%d,\"output_tokens\":%d}}", (int)r->n_prompt,
                          (int)r->n_gen);
  if (rc == SK_EINVAL) {
    out->len = mark;
    if (out->data) out->data[mark] = '\0';
    return render_result_tree(r, out);
  }
  return rc;
}

static int emit(sk_buf *out, const char *event, json_t *j) {
  if (!j) return SK_ENOMEM;
  int rc = sse_event_json(out, event, j);
  json_decref(j);
  return rc;
}

int anthropic_stream_begin(const api_request *req, const api_result *r, sk_buf *out) {
  (void)req;
  int rc = emit(out, "message_start",
                json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:[], s:n, s:n, s:{s:i, s:i}}}", "type",
                          "message_start", "message", "id", r->id, "type", "message", "role",
                          "assistant", "model", r->model, "content", "stop_reason", "stop_sequence",
                          "usage", "input_tokens", (int)r->n_prompt, "output_tokens", 1));
  if (!rc)
    rc = emit(out, "content_block_start",
              json_pack("{s:s, s:i, s:{s:s, s:s}}", "type", "content_block_start", "index", 0,
                        "content_block", "type", "text", "text", ""));
  if (!rc) rc = emit(out, "ping", json_pack("{s:s}", "type", "ping"));
  return rc;
}

int anthropic_stream_delta(const api_request *req, const api_result *r, const char *text,
                           size_t len, sk_buf *out) {
  (void)req;
  (void)r;
  return emit(out, "content_block_delta",
              json_pack("{s:s, s:i, s:{s:s, s:o}}", "type", "content_block_delta", "index", 0,
                        "delta", "type", "text_delta", "text", text_json(text, len)));
}

int anthropic_stream_end(const api_request *req, const api_result *r, sk_buf *out) {
  (void)req;
  int rc = emit(out, "content_block_stop",
                json_pack("{s:s, s:i}", "type", "content_block_stop", "index", 0));
  if (!rc)
    rc = emit(out, "message_delta",
              json_pack("{s:s, s:{s:o, s:o}, s:{s:i}}", "type", "message_delta", "delta",
                        "stop_reason", stop_reason(r->finish), "stop_sequence", stop_seq(r),
                        "usage", "output_tokens", (int)r->n_gen));
  if (!rc) rc = emit(out, "message_stop", json_pack("{s:s}", "type", "message_stop"));
  return rc;
}

int anthropic_stream_error(const api_error *e, sk_buf *out) {
  return emit(out, "error", error_json(e));
}
