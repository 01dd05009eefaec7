#include "api/openai.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api/jfield.h"
#include "api/sse.h"
#include "base/alloc.h"
#include "base/err.h"
#include "base/jsonw.h"

/* ---- parsing ---------------------------------------------------------------------------- */

/* content: a string, null, or an array of {"type":"text","text":...} parts (concatenated). */
static int parse_content(json_t *v, const char *param, char **out, api_error *e) {
  if (!v || json_is_null(v)) {
    *out = sk_strdup("");
    return *out ? 0 : api_err(e, API_ERR_INTERNAL, param, "out of memory");
  }
  if (json_is_string(v)) return jf_strdup(v, param, out, e);
  if (!json_is_array(v))
    return api_err(e, API_ERR_INVALID, param, "'%s' must be a string or an array of text parts", param);
  sk_buf b;
  sk_buf_init(&b, API_MAX_BODY_BYTES);
  size_t i;
  json_t *part;
  json_array_foreach(v, i, part) {
    json_t *type = json_object_get(part, "type");
    json_t *text = json_object_get(part, "text");
    if (!json_is_object(part) || !json_is_string(type) || strcmp(json_string_value(type), "text") ||
        !json_is_string(text)) {
      sk_buf_release(&b);
      return api_err(e, API_ERR_INVALID, param,
                     "'%s[%zu]' must be {\"type\":\"text\",\"text\":\"...\"}; only text parts are supported",
                     param, i);
    }
    if (sk_buf_append(&b, json_string_value(text), json_string_length(text)) != 0) {
      sk_buf_release(&b);
      return api_err(e, API_ERR_INVALID, param, "'%s' is too long", param);
    }
  }
  if (b.len && memchr(b.data, '\0', b.len)) {
    sk_buf_release(&b);
    return api_err(e, API_ERR_INVALID, param, "'%s' must not contain NUL characters", param);
  }
  *out = b.len ? sk_buf_detach(&b) : sk_strdup("");
  return *out ? 0 : api_err(e, API_ERR_INTERNAL, param, "out of memory");
}

/* Fields shared by chat and completions. */
static int parse_common(json_t *root, api_request *req, api_error *e) {
  if (jf_model(root, &req->model, e)) return -1;
  int64_t n = 1, mt = 0;
  int has_mt = 0, has_mct = 0;
  if (jf_int(root, "n", 1, 1, &n, NULL, e)) return api_err(e, API_ERR_INVALID, "n", "only n=1 is supported");
  if (jf_int(root, "max_tokens", 1, API_MAX_GEN_TOKENS, &mt, &has_mt, e)) return -1;
  if (has_mt) req->max_tokens = (int32_t)mt;
  if (jf_int(root, "max_completion_tokens", 1, API_MAX_GEN_TOKENS, &mt, &has_mct, e)) return -1;
  if (has_mct) req->max_tokens = (int32_t)mt;
  if (jf_number(root, "temperature", 0.0, 2.0, &req->temperature, e)) return -1;
  if (jf_number(root, "top_p", 0.0, 1.0, &req->top_p, e)) return -1;
  if (req->top_p <= 0.0) return api_err(e, API_ERR_INVALID, "top_p", "'top_p' must be greater than 0");
  int64_t seed = 0;
  /* OpenAI seeds are 64-bit signed; we use the bits as an unsigned PRNG seed. */
  if (jf_int(root, "seed", INT64_MIN, INT64_MAX, &seed, &req->has_seed, e)) return -1;
  req->seed = (uint64_t)seed;
  if (jf_bool(root, "stream", &req->stream, e)) return -1;
  json_t *so = json_object_get(root, "stream_options");
  if (so && !json_is_null(so)) {
    if (!json_is_object(so))
      return api_err(e, API_ERR_INVALID, "stream_options", "'stream_options' must be an object");
    if (!req->stream)
      return api_err(e, API_ERR_INVALID, "stream_options", "'stream_options' is only allowed when 'stream' is true");
    if (jf_bool(so, "include_usage", &req->include_usage, e))
      return api_err(e, API_ERR_INVALID, "stream_options.include_usage", "'stream_options.include_usage' must be true or false");
  }
  if (jf_stops(json_object_get(root, "stop"), "stop", API_MAX_STOP_OPENAI, &req->stop, &req->n_stop, e))
    return -1;
  int lp = 0;
  if (jf_bool(root, "logprobs", &lp, e)) return -1;
  if (lp) return api_err(e, API_ERR_INVALID, "logprobs", "'logprobs' is not supported by this server");
  return 0;
}

/* The grounded-chat option {"collection": NAME, "top_k": K} (absent or null: none). */
static int parse_sekisho(json_t *o, api_request *req, api_error *e) {
  if (!o || json_is_null(o)) return 0;
  json_t *c = json_object_get(o, "collection"), *k = json_object_get(o, "top_k");
  if (json_is_object(o) && (!c || json_is_null(c)) && (!k || json_is_null(k))) return 0; /* e.g. truncate only */
  if (!json_is_object(o) || !json_is_string(c))
    return api_err(e, API_ERR_INVALID, "sekisho.collection",
                   "'sekisho' must be {\"collection\": NAME, \"top_k\": K} with a collection made by `sekisho ingest`");
  const char *name = json_string_value(c);
  size_t nl = strlen(name), ok = nl >= 1 && nl <= API_GROUND_NAME_MAX;
  for (size_t i = 0; ok && i < nl; i++)
    ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') || (name[i] >= '0' && name[i] <= '9') ||
         name[i] == '_' || name[i] == '-';
  if (!ok)
    return api_err(e, API_ERR_INVALID, "sekisho.collection", "collection name must be 1-%d of [A-Za-z0-9_-]",
                   API_GROUND_NAME_MAX);
  req->ground_top_k = API_GROUND_TOP_K_DEFAULT;
  if (k && !json_is_null(k)) {
    if (!json_is_integer(k) || json_integer_value(k) < 1 || json_integer_value(k) > API_GROUND_TOP_K_MAX)
      return api_err(e, API_ERR_INVALID, "sekisho.top_k", "'sekisho.top_k' must be an integer 1..%d", API_GROUND_TOP_K_MAX);
    req->ground_top_k = (int32_t)json_integer_value(k);
  }
  req->ground_collection = sk_strdup(name);
  if (!req->ground_collection) return api_err(e, API_ERR_INTERNAL, "", "out of memory");
  return 0;
}

int openai_parse_chat(const char *body, size_t len, api_request *req, api_error *e) {
  json_t *root;
  if (jf_load_object(body, len, &root, e)) return -1;
  req->proto = API_PROTO_OPENAI_CHAT;
  int rc = -1;
  if (parse_common(root, req, e)) goto out;
  json_t *rf = json_object_get(root, "response_format");
  if (rf && !json_is_null(rf)) {
    json_t *t = json_object_get(rf, "type");
    if (!json_is_object(rf) || !json_is_string(t)) {
      api_err(e, API_ERR_INVALID, "response_format", "'response_format' must be {\"type\":\"text\"}");
      goto out;
    }
    if (strcmp(json_string_value(t), "text")) {
      api_err(e, API_ERR_INVALID, "response_format.type",
              "response_format type '%s' is not supported; only 'text' is", json_string_value(t));
      goto out;
    }
  }
  if (parse_sekisho(json_object_get(root, "sekisho"), req, e)) goto out;
  if (jf_truncate(root, req, e)) goto out;
  json_t *msgs = json_object_get(root, "messages");
  if (!json_is_array(msgs) || json_array_size(msgs) == 0) {
    api_err(e, API_ERR_INVALID, "messages", "'messages' must be a non-empty array");
    goto out;
  }
  size_t n = json_array_size(msgs);
  if (n > API_MAX_MESSAGES) {
    api_err(e, API_ERR_INVALID, "messages", "'messages' has %zu entries; at most %d are allowed", n,
            API_MAX_MESSAGES);
    goto out;
  }
  req->messages = sk_calloc(n, sizeof *req->messages);
  if (!req->messages) {
    api_err(e, API_ERR_INTERNAL, "", "out of memory");
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    json_t *m = json_array_get(msgs, i);
    char param[64];
    snprintf(param, sizeof param, "messages[%zu].role", i);
    json_t *role = json_object_get(m, "role");
    if (!json_is_object(m) || !json_is_string(role)) {
      api_err(e, API_ERR_INVALID, param, "'%s' must be a string", param);
      goto out;
    }
    const char *r = json_string_value(role);
    api_role ar;
    if (!strcmp(r, "system") || !strcmp(r, "developer")) ar = API_ROLE_SYSTEM;
    else if (!strcmp(r, "user")) ar = API_ROLE_USER;
    else if (!strcmp(r, "assistant")) ar = API_ROLE_ASSISTANT;
    else {
      api_err(e, API_ERR_INVALID, param,
              "'%s' must be one of system, developer, user, assistant (tools are not supported)", param);
      goto out;
    }
    snprintf(param, sizeof param, "messages[%zu].content", i);
    req->messages[i].role = ar;
    if (parse_content(json_object_get(m, "content"), param, &req->messages[i].content, e)) goto out;
    req->n_messages = i + 1;
  }
  rc = 0;
out:
  json_decref(root);
  if (rc) api_request_release(req);
  return rc;
}

int openai_parse_completion(const char *body, size_t len, api_request *req, api_error *e) {
  json_t *root;
  if (jf_load_object(body, len, &root, e)) return -1;
  req->proto = API_PROTO_OPENAI_COMPLETION;
  req->max_tokens = 16; /* OpenAI's documented default for completions */
  int rc = -1;
  if (parse_common(root, req, e)) goto out;
  json_t *p = json_object_get(root, "prompt");
  if (json_is_array(p) && json_array_size(p) == 1) p = json_array_get(p, 0);
  if (!json_is_string(p)) {
    api_err(e, API_ERR_INVALID, "prompt", "'prompt' must be a string (or an array of one string)");
    goto out;
  }
  if (jf_strdup(p, "prompt", &req->prompt, e)) goto out;
  if (jf_truncate(root, req, e)) goto out;
  int echo = 0;
  if (jf_bool(root, "echo", &echo, e)) goto out;
  if (echo) {
    api_err(e, API_ERR_INVALID, "echo", "'echo' is not supported by this server");
    goto out;
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
  case API_ERR_AUTH: return "authentication_error";
  case API_ERR_PERMISSION: return "permission_error";
  case API_ERR_NOT_FOUND: return "not_found_error";
  case API_ERR_METHOD: return "invalid_request_error";
  case API_ERR_TOO_LARGE: return "invalid_request_error";
  case API_ERR_RATE_LIMIT: return "rate_limit_error";
  case API_ERR_UNAVAILABLE: return "server_unavailable";
  case API_ERR_INTERNAL: return "server_error";
  }
  return "server_error";
}

static const char *error_code(api_err_kind k) {
  switch (k) {
  case API_ERR_NOT_FOUND: return "model_not_found";
  case API_ERR_TOO_LARGE: return "request_too_large";
  case API_ERR_RATE_LIMIT: return "rate_limit_exceeded";
  default: return NULL;
  }
}

static json_t *error_json(const api_error *e) {
  const char *code = error_code(e->kind);
  return json_pack("{s:{s:s, s:s, s:o, s:o}}", "error", "message", e->message, "type",
                   error_type(e->kind), "param", e->param[0] ? json_string(e->param) : json_null(),
                   "code", code ? json_string(code) : json_null());
}

int openai_render_error(const api_error *e, sk_buf *out) { return jf_dump(error_json(e), out); }

static const char *finish_str(api_finish f) {
  switch (f) {
  case API_FINISH_LENGTH: return "length";
  case API_FINISH_NONE: return NULL;
  default: return "stop";
  }
}

static json_t *usage_json(const api_result *r) {
  return json_pack("{s:i, s:i, s:i}", "prompt_tokens", (int)r->n_prompt, "completion_tokens",
                   (int)r->n_gen, "total_tokens", (int)(r->n_prompt + r->n_gen));
}

static json_t *text_json(const char *t, size_t n) {
  json_t *s = json_stringn(t ? t : "", t ? n : 0);
  return s ? s : json_string("\xef\xbf\xbd"); /* invalid UTF-8 never reaches here; be safe */
}

static json_t *finish_json(api_finish f) {
  const char *s = finish_str(f);
  return s ? json_string(s) : json_null();
}

static int render_result_tree(const api_request *req, const api_result *r, sk_buf *out) {
  json_t *choice;
  if (req->proto == API_PROTO_OPENAI_CHAT)
    choice = json_pack("{s:i, s:{s:s, s:o, s:n}, s:n, s:o}", "index", 0, "message", "role",
                       "assistant", "content", text_json(r->text, r->text_len), "refusal",
                       "logprobs", "finish_reason", finish_json(r->finish));
  else
    choice = json_pack("{s:i, s:o, s:n, s:o}", "index", 0, "text", text_json(r->text, r->text_len),
                       "logprobs", "finish_reason", finish_json(r->finish));
  json_t *j = json_pack("{s:s, s:s, s:I, s:s, s:[o], s:o, s:s}", "id", r->id, "object",
                        req->proto == API_PROTO_OPENAI_CHAT ? "chat.completion" : "text_completion",
                        "created", (json_int_t)r->created, "model", r->model, "choices", choice,
                        "usage", usage_json(r), "system_fingerprint", "sekisho");
  if (j && r->citations) json_object_set(j, "citations", r->citations);
  return jf_dump(j, out);
}

/* The same document written as text (a jansson tree only to serialise it cost ~5% of a gated
 * request); citations, and text jansson would refuse (a NUL byte, invalid UTF-8), take the
 * tree's path. */
int openai_render_result(const api_request *req, const api_result *r, sk_buf *out) {
  if (r->citations) return render_result_tree(req, r, out);
  int chat = req->proto == API_PROTO_OPENAI_CHAT;
  size_t mark = out->len;
  int rc = sk_buf_append_byte(out, '{');
  rc = rc ? rc : sk_json_key(out, "id");
  rc = rc ? rc : sk_json_cstr(out, r->id);
  rc = rc ? rc
          : sk_buf_printf(out, ",\"object\":\"%s\",\"created\":%lld", chat ? "chat.completion" : "text_completion",
                          (long long)r->created);
  rc = rc ? rc : sk_json_key(out, "model");
  rc = rc ? rc : sk_json_cstr(out, r->model);
  rc = rc ? rc
          : sk_buf_append_str(out, chat ? ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                                        : ",\"choices\":[{\"index\":0,\"text\":");
  rc = rc ? rc : sk_json_str(out, r->text ? r->text : "", r->text ? r->text_len : 0);
  rc = rc ? rc : sk_buf_append_str(out, chat ? ",\"refusal\":null},\"logprobs\":null" : ",\"logprobs\":null");
  rc = rc ? rc : sk_json_key(out, "finish_reason");
  rc = rc ? rc : sk_json_cstr(out, finish_str(r->finish));
  rc = rc ? rc
          : sk_buf_printf(out,
                          "}],\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d,\"total_tokens\":%d},"
                          "\"system_fingerprint\":\"sekisho\"}",
                          (int)r->n_prompt, (int)r->n_gen, (int)(r->n_prompt + r->n_gen));
  if (rc == SK_EINVAL) {
    out->len = mark;
    if (out->data) out->data[mark] = '\0';
    return render_result_tree(req, r, out);
  }
  return rc;
}

static json_t *chunk(const api_request *req, const api_result *r, json_t *choices) {
  return json_pack("{s:s, s:s, s:I, s:s, s:s, s:o}", "id", r->id, "object",
                   req->proto == API_PROTO_OPENAI_CHAT ? "chat.completion.chunk" : "text_completion",
                   "created", (json_int_t)r->created, "model", r->model, "system_fingerprint",
                   "sekisho", "choices", choices);
}

static int emit(sk_buf *out, json_t *j) {
  if (!j) return SK_ENOMEM;
  int rc = sse_event_json(out, NULL, j);
  json_decref(j);
  return rc;
}

static json_t *choice_delta(const api_request *req, json_t *delta_or_text, api_finish f) {
  if (req->proto == API_PROTO_OPENAI_CHAT)
    return json_pack("{s:i, s:o, s:n, s:o}", "index", 0, "delta", delta_or_text, "logprobs",
                     "finish_reason", finish_json(f));
  return json_pack("{s:i, s:o, s:n, s:o}", "index", 0, "text", delta_or_text, "logprobs",
                   "finish_reason", finish_json(f));
}

int openai_stream_begin(const api_request *req, const api_result *r, sk_buf *out) {
  if (req->proto != API_PROTO_OPENAI_CHAT) return 0; /* completions start with text */
  json_t *delta = json_pack("{s:s, s:s}", "role", "assistant", "content", "");
  return emit(out, chunk(req, r, json_pack("[o]", choice_delta(req, delta, API_FINISH_NONE))));
}

int openai_stream_delta(const api_request *req, const api_result *r, const char *text, size_t len,
                        sk_buf *out) {
  json_t *t = text_json(text, len);
  json_t *d = req->proto == API_PROTO_OPENAI_CHAT ? json_pack("{s:o}", "content", t) : t;
  return emit(out, chunk(req, r, json_pack("[o]", choice_delta(req, d, API_FINISH_NONE))));
}

int openai_stream_end(const api_request *req, const api_result *r, sk_buf *out) {
  json_t *d = req->proto == API_PROTO_OPENAI_CHAT ? json_object() : json_string("");
  json_t *c = chunk(req, r, json_pack("[o]", choice_delta(req, d, r->finish)));
  if (c && req->include_usage) json_object_set_new(c, "usage", json_null());
  int rc = emit(out, c);
  if (!rc && req->include_usage) {
    json_t *u = chunk(req, r, json_array());
    if (u) json_object_set_new(u, "usage", usage_json(r));
    rc = emit(out, u);
  }
  if (!rc && r->citations) { /* grounded chat: one last chunk, no choices, with the citations */
    json_t *cc = chunk(req, r, json_array());
    if (cc) json_object_set(cc, "citations", r->citations);
    rc = emit(out, cc);
  }
  if (!rc) rc = sse_event_raw(out, NULL, "[DONE]");
  return rc;
}

int openai_stream_error(const api_error *e, sk_buf *out) {
  int rc = emit(out, error_json(e));
  if (!rc) rc = sse_event_raw(out, NULL, "[DONE]");
  return rc;
}

int openai_render_models(const char *model_id, long long created, sk_buf *out) {
  return jf_dump(json_pack("{s:s, s:[{s:s, s:s, s:I, s:s}]}", "object", "list", "data", "id", model_id,
                        "object", "model", "created", (json_int_t)created, "owned_by", "sekisho"),
              out);
}
