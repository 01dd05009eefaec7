/* prompt.h — turns a parsed request into the prompt tokens the scheduler runs: the chat template
 * (or the raw completion prompt), tokenized by the served model, and — only when the request
 * asks for it (`"sekisho": {"truncate": "start"}`) — shortened from the start to fit the context.
 *
 *   api_request ──format_chat / prompt──▶ text ──tokenize──▶ tokens ──(fits?)──▶ sched_submit
 *                                   ▲                                 │ no, and truncate=start
 *                                   └── drop oldest turns, then the ◀─┘
 *                                       start of the last message
 *
 * Without the opt-in nothing is cut: a prompt that does not fit reaches sched_submit, which
 * answers 400 with both lengths. System messages are never dropped. */
#ifndef SK_API_PROMPT_H
#define SK_API_PROMPT_H

#include <stddef.h>
#include <stdint.h>

#include "api/request.h"
#include "api/sched.h"

/* Largest prompt (template applied) in bytes: the body bound plus template overhead. */
#define API_MAX_PROMPT_BYTES (API_MAX_BODY_BYTES + 64 * 1024)

/* What truncation removed (all zero when nothing was cut). */
typedef struct api_prompt_cut {
  int32_t dropped_messages; /* whole non-system messages removed, oldest first */
  size_t dropped_bytes;     /* bytes cut from the start of the last message / the raw prompt */
  int32_t n_before;         /* prompt tokens before truncation (0 when nothing was cut) */
} api_prompt_cut;

/* Tokens a truncated prompt may use out of n_ctx: the context less room for the answer
 * (max_tokens, but at most half the context, so a huge max_tokens cannot erase the prompt). */
uint32_t api_prompt_budget(uint32_t n_ctx, int32_t max_tokens);

/* Renders and tokenizes req for be. *toks sk_malloc'd (caller frees), *n its length; *cut says
 * what was dropped (may be NULL). Returns 0, or -1 with e filled (400: template/tokenizer
 * failure, or with truncation asked for, a system prompt that alone does not fit). */
int api_prompt_build(const sched_backend *be, const api_request *req, int32_t **toks, size_t *n,
                     api_prompt_cut *cut, api_error *e);

#endif
