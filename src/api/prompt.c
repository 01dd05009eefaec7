#include "api/prompt.h"

#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"

uint32_t api_prompt_budget(uint32_t n_ctx, int32_t max_tokens) {
  uint32_t reserve = max_tokens > 0 ? (uint32_t)max_tokens : 1;
  if (reserve > n_ctx / 2) reserve = n_ctx / 2;
  if (reserve < 1) reserve = 1;
  return n_ctx > reserve ? n_ctx - reserve : 0;
}

/* Template + tokenize msgs[0..n) (chat) or prompt[0..plen) (completion). */
static int render(const sched_backend *be, const api_request *req, const api_message *msgs, size_t n,
                  const char *prompt, size_t plen, int32_t **toks, size_t *nt, api_error *e) {
  sk_buf text;
  sk_buf_init(&text, API_MAX_PROMPT_BYTES);
  sk_err err;
  sk_err_clear(&err);
  int rc;
  if (req->proto == API_PROTO_OPENAI_COMPLETION) rc = sk_buf_append(&text, prompt, plen);
  else rc = be->format_chat(be->impl, msgs, n, &text, &err);
  if (rc) {
    sk_buf_release(&text);
    return api_err(e, API_ERR_INVALID, req->proto == API_PROTO_OPENAI_COMPLETION ? "prompt" : "messages",
                   "cannot apply the chat template: %s", err.msg[0] ? err.msg : "prompt too long");
  }
  *toks = NULL;
  rc = be->tokenize(be->impl, text.data ? text.data : "", text.len, 1, toks, nt, &err);
  sk_buf_release(&text);
  if (rc)
    return api_err(e, API_ERR_INVALID, req->proto == API_PROTO_OPENAI_COMPLETION ? "prompt" : "messages",
                   "cannot tokenize the prompt: %s", err.msg);
  return 0;
}

/* One candidate: every system message, the non-system messages from the k-th on, and the last
 * kept message's content starting at byte `cut` (chat); or the raw prompt from `cut`. */
typedef struct fitter {
  const sched_backend *be;
  const api_request *req;
  size_t *ns;        /* indices of the non-system messages */
  size_t n_ns;
  api_message *view; /* scratch: the candidate conversation */
  uint32_t budget;
  int32_t *best;     /* tokens of the last candidate that fitted */
  size_t n_best;
} fitter;

/* 1: fits (tokens kept in f->best), 0: too long, -1: error. */
static int try_fit(fitter *f, size_t k, size_t cut, api_error *e) {
  const api_request *r = f->req;
  int32_t *t = NULL;
  size_t nt = 0;
  int rc;
  if (r->proto == API_PROTO_OPENAI_COMPLETION) {
    size_t len = strlen(r->prompt);
    rc = render(f->be, r, NULL, 0, r->prompt + cut, len - cut, &t, &nt, e);
  } else {
    size_t nv = 0, last = f->ns[f->n_ns - 1];
    for (size_t i = 0; i < r->n_messages; i++) {
      int sys = r->messages[i].role == API_ROLE_SYSTEM;
      if (!sys && i < f->ns[k]) continue;
      f->view[nv] = r->messages[i];
      if (i == last) f->view[nv].content = r->messages[i].content + cut;
      nv++;
    }
    rc = render(f->be, r, f->view, nv, NULL, 0, &t, &nt, e);
  }
  if (rc) return -1;
  if (nt > f->budget) {
    sk_free(t);
    return 0;
  }
  sk_free(f->best);
  f->best = t;
  f->n_best = nt;
  return 1;
}

/* Smallest cut >= c that starts a UTF-8 character (or the end). */
static size_t utf8_snap(const char *s, size_t len, size_t c) {
  while (c < len && ((unsigned char)s[c] & 0xC0) == 0x80) c++;
  return c;
}

/* Binary search for the fewest leading bytes of s[0..len) to drop so that the candidate with k
 * dropped messages fits; *cut_out the bytes dropped. 1 found, 0 nothing fits, -1 error. */
static int fit_bytes(fitter *f, size_t k, const char *s, size_t len, size_t *cut_out, api_error *e) {
  int r = try_fit(f, k, len, e);
  if (r <= 0) return r;
  size_t lo = 0, hi = len; /* lo: known too long (checked by the caller), hi: known to fit */
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2, m = utf8_snap(s, len, mid);
    if (m >= hi) { /* no character boundary in (mid, hi): nothing shorter to try up there */
      lo = mid;
      continue;
    }
    r = try_fit(f, k, m, e);
    if (r < 0) return -1;
    if (r) hi = m;
    else lo = mid;
  }
  *cut_out = hi; /* f->best holds hi's tokens: failed tries leave it alone */
  return 1;
}

int api_prompt_build(const sched_backend *be, const api_request *req, int32_t **toks, size_t *n,
                     api_prompt_cut *cut, api_error *e) {
  api_prompt_cut none = {0};
  if (cut) *cut = none;
  const char *p = req->prompt ? req->prompt : "";
  if (render(be, req, req->messages, req->n_messages, p, strlen(p), toks, n, e)) return -1;
  uint32_t budget = api_prompt_budget(be->n_ctx, req->max_tokens);
  if (!req->truncate_start || *n <= budget) return 0;

  size_t n_before = *n;
  sk_free(*toks);
  *toks = NULL;
  fitter f = {.be = be, .req = req, .budget = budget};
  int rc = -1;
  if (req->proto != API_PROTO_OPENAI_COMPLETION) {
    f.ns = sk_malloc((req->n_messages ? req->n_messages : 1) * sizeof *f.ns);
    f.view = sk_malloc((req->n_messages ? req->n_messages : 1) * sizeof *f.view);
    if (!f.ns || !f.view) {
      api_err(e, API_ERR_INTERNAL, "", "out of memory");
      goto out;
    }
    for (size_t i = 0; i < req->n_messages; i++)
      if (req->messages[i].role != API_ROLE_SYSTEM) f.ns[f.n_ns++] = i;
  }
  size_t k = 0, bytes = 0;
  int found;
  if (req->proto == API_PROTO_OPENAI_COMPLETION) {
    found = fit_bytes(&f, 0, p, strlen(p), &bytes, e);
  } else if (f.n_ns == 0) {
    found = 0; /* only system messages: nothing may be dropped */
  } else {
    /* fewest dropped messages (keeping the last): k = 0 is known too long */
    size_t lo = 0, hi = f.n_ns - 1;
    found = try_fit(&f, hi, 0, e);
    if (found > 0) {
      while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        int r = try_fit(&f, mid, 0, e);
        if (r < 0) goto out;
        if (r) hi = mid;
        else lo = mid;
      }
      /* start at a user turn, so the kept conversation is whole exchanges */
      while (hi < f.n_ns - 1 && req->messages[f.ns[hi]].role != API_ROLE_USER) hi++;
      found = try_fit(&f, hi, 0, e);
      k = hi;
    } else if (found == 0) {
      k = f.n_ns - 1;
      const char *last = req->messages[f.ns[k]].content;
      found = fit_bytes(&f, k, last, strlen(last), &bytes, e);
    }
  }
  if (found < 0) goto out;
  if (!found) {
    api_err(e, API_ERR_INVALID, req->proto == API_PROTO_OPENAI_COMPLETION ? "prompt" : "messages",
            "the prompt is %zu tokens and does not fit the context even truncated (the system prompt and "
            "chat template alone exceed the %u tokens left for the prompt out of the %u-token context): "
            "shorten the system prompt, lower max_tokens or start the server with a larger --ctx",
            n_before, budget, be->n_ctx);
    goto out;
  }
  *toks = f.best;
  *n = f.n_best;
  f.best = NULL;
  if (cut) *cut = (api_prompt_cut){.dropped_messages = (int32_t)k, .dropped_bytes = bytes, .n_before = (int32_t)n_before};
  rc = 0;
out:
  sk_free(f.best);
  sk_free(f.ns);
  sk_free(f.view);
  return rc;
}
