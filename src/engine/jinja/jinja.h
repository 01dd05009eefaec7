/* jinja.h — a small, bounded interpreter for the Jinja2 subset that chat templates use.
 *
 * Supported: text with {{ }}, {% %}, {# #} and whitespace control (-, +), trim_blocks and
 * lstrip_blocks on (as transformers' apply_chat_template sets them); if/elif/else, for (with
 * `if` filter, else, loop.index/index0/revindex/first/last/length/previtem/nextitem, unpacking
 * of pairs), set (name, namespace attribute, block set), macro, break/continue,
 * generation blocks; literals (string, int, float, list, dict, true/false/none); and/or/not,
 * comparisons, in/not in, + - * / // % ** ~, conditional expressions, attribute and item
 * access, slices; filters (trim, length, tojson, join, default, upper, lower, first, last,
 * items, list, string, int, float, replace, select/reject/selectattr/rejectattr/map, ...);
 * tests (defined, none, string, mapping, iterable, equalto, ...); string/dict/list methods
 * (strip, split, startswith, get, items, append, ...); globals range, namespace,
 * raise_exception.
 *
 * Hostile templates: the source size, parse nesting, evaluation steps, recursion depth,
 * memory and output size are all bounded (JINJA_* below); any violation is an error with the
 * template line, never a crash or a hang. All render-time memory comes from one arena freed
 * when the render ends. */
#ifndef SK_ENGINE_JINJA_H
#define SK_ENGINE_JINJA_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "engine/chat_template.h"

/* Real chat templates are 0.2-40 KiB; 1 MiB is clearly not a chat template. */
#define JINJA_MAX_SOURCE (1u << 20)
/* Nesting of blocks and expressions in the parser (real templates nest < 10 deep). */
#define JINJA_MAX_PARSE_DEPTH 128
/* Macro call / expression recursion at render time. */
#define JINJA_MAX_EVAL_DEPTH 256
/* Default evaluation budget: a long conversation through a tool-heavy template takes ~1e5
 * steps; 1e7 stops runaway loops within a fraction of a second. */
#define JINJA_DEFAULT_MAX_STEPS 10000000ull
/* Default render memory: the prompt itself (bounded by the context window, < 4 MiB of text)
 * plus intermediate strings. */
#define JINJA_DEFAULT_MAX_MEMORY (64u << 20)
#define JINJA_DEFAULT_MAX_OUTPUT (16u << 20)
/* range() longer than this is refused (no template needs more). */
#define JINJA_MAX_RANGE 100000

typedef struct jinja_limits {
  uint64_t max_steps;
  size_t max_memory_bytes;
  size_t max_output_bytes;
} jinja_limits;

typedef struct jinja_template jinja_template;

/* Parses src[0..len). *out is owned by the caller (jinja_free). SK_EFORMAT with the line on a
 * syntax error, SK_ELIMIT past the bounds above. src need not stay alive afterwards. */
int jinja_parse(const char *src, size_t len, jinja_template **out, sk_err *err);
void jinja_free(jinja_template *t);

typedef struct jinja_chat_ctx {
  const chat_msg *msgs;
  size_t n_msgs;
  int add_generation_prompt;
  const char *bos_token; /* NULL: "" */
  const char *eos_token; /* NULL: "" */
  int enable_thinking;   /* -1: leave the variable undefined; 0/1: false/true */
} jinja_chat_ctx;

/* Renders with variables messages, add_generation_prompt, bos_token, eos_token (and
 * enable_thinking when set), appending to out. lim may be NULL for the defaults. On error
 * (template raised, bad operation, limit) out is left with its previous length. */
int jinja_render_chat(const jinja_template *t, const jinja_chat_ctx *ctx, const jinja_limits *lim,
                      sk_buf *out, sk_err *err);

#endif
