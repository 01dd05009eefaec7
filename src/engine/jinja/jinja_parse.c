/* jinja_parse.c — arena, lexer and recursive-descent parser for the Jinja subset (jinja.h).
 *
 * The lexer applies whitespace control while it cuts the source: `-` strips whitespace on that
 * side of a tag, trim_blocks drops the first newline after a block or comment tag, and
 * lstrip_blocks drops spaces and tabs between the start of a line and a block or comment tag
 * (unless the tag opens with `+`). Errors unwind with longjmp; every allocation lives in the
 * template's arena, so unwinding leaks nothing. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/utf8.h"
#include "engine/jinja/jinja_int.h"

/* ---- arena ---- */
struct ja_chunk {
  ja_chunk *next;
  size_t used, cap;
  _Alignas(16) unsigned char data[];
};

/* Chunks of 64 KiB amortise malloc; larger requests get their own chunk. */
#define JA_CHUNK_BYTES (64u * 1024u)

void ja_init(jarena *a, size_t max_bytes) {
  a->head = NULL;
  a->total_bytes = 0;
  a->max_bytes = max_bytes;
}

void ja_release(jarena *a) {
  ja_chunk *c = a->head;
  while (c) {
    ja_chunk *n = c->next;
    sk_free(c);
    c = n;
  }
  a->head = NULL;
  a->total_bytes = 0;
}

void *ja_alloc(jarena *a, size_t n) {
  size_t need = (n + 15u) & ~(size_t)15u;
  if (need < n) return NULL;
  ja_chunk *c = a->head;
  if (!c || c->cap - c->used < need) {
    size_t cap = need > JA_CHUNK_BYTES ? need : JA_CHUNK_BYTES;
    if (cap > a->max_bytes || a->total_bytes > a->max_bytes - cap) return NULL;
    c = sk_malloc(sizeof *c + cap);
    if (!c) return NULL;
    c->used = 0;
    c->cap = cap;
    c->next = a->head;
    a->head = c;
    a->total_bytes += cap;
  }
  void *p = c->data + c->used;
  c->used += need;
  memset(p, 0, n);
  return p;
}

/* ---- lexer ---- */
typedef struct jtok {
  uint8_t kind;
  int line;
  const char *s; /* T_TEXT: slice of source; T_STR: decoded copy; names/ops: slice */
  size_t n;
  int64_t ival;
  double fval;
} jtok;

typedef struct jparser {
  jarena *a;
  jmp_buf jb;
  sk_err *err;
  int code;
  const char *src;
  size_t len;
  jtok *toks;
  size_t ntok, cap;
  size_t pos;
  int depth;
} jparser;

_Noreturn static void pfail(jparser *p, int line, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
_Noreturn static void pfail(jparser *p, int line, int code, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  p->code = sk_err_set(p->err, code, "chat template line %d: %s", line, msg);
  longjmp(p->jb, 1);
}

static void *palloc(jparser *p, size_t n) {
  void *m = ja_alloc(p->a, n);
  if (!m) pfail(p, 0, SK_ENOMEM, "out of memory while parsing");
  return m;
}

static jtok *push_tok(jparser *p, int kind, int line, const char *s, size_t n) {
  if (p->ntok == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 256;
    jtok *t = palloc(p, cap * sizeof *t);
    if (p->ntok) memcpy(t, p->toks, p->ntok * sizeof *t);
    p->toks = t;
    p->cap = cap;
  }
  jtok *t = &p->toks[p->ntok++];
  memset(t, 0, sizeof *t);
  t->kind = (uint8_t)kind;
  t->line = line;
  t->s = s;
  t->n = n;
  return t;
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static int is_name0(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes a quoted string starting at src[i] (the quote); returns the index after it. */
static size_t lex_string(jparser *p, size_t i, int line) {
  char q = p->src[i++];
  char *out = palloc(p, p->len - i + 1);
  size_t n = 0;
  while (i < p->len && p->src[i] != q) {
    char c = p->src[i++];
    if (c == '\\' && i < p->len) {
      char e = p->src[i++];
      switch (e) {
        case 'n': out[n++] = '\n'; break;
        case 't': out[n++] = '\t'; break;
        case 'r': out[n++] = '\r'; break;
        case '\\': out[n++] = '\\'; break;
        case '\'': out[n++] = '\''; break;
        case '"': out[n++] = '"'; break;
        case '0': out[n++] = '\0'; break;
        case 'x':
        case 'u': {
          int digits = e == 'x' ? 2 : 4;
          uint32_t cp = 0;
          for (int k = 0; k < digits; k++) {
            int h = i < p->len ? hexval(p->src[i]) : -1;
            if (h < 0) pfail(p, line, SK_EFORMAT, "bad \\%c escape in a string", e);
            cp = cp * 16 + (uint32_t)h;
            i++;
          }
          char tmp[4];
          size_t k = sk_utf8_encode(cp, tmp);
          if (!k) pfail(p, line, SK_EFORMAT, "escape \\%c%04X is not a character", e, cp);
          memcpy(out + n, tmp, k); /* the escape took >= 4 bytes of source, so this fits */
          n += k;
          break;
        }
        default: out[n++] = '\\'; out[n++] = e; break;
      }
    } else {
      out[n++] = c;
    }
  }
  if (i >= p->len) pfail(p, line, SK_EFORMAT, "unterminated string literal");
  jtok *t = push_tok(p, T_STR, line, out, n);
  (void)t;
  return i + 1;
}

static const char *const k_ops[] = {"**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%",
                                    "~",  "<",  ">",  "=",  "(",  ")",  "[", "]", "{", "}", ",",
                                    ".",  ":",  "|"};

/* Lexes the inside of a {{ }} or {% %} tag from i; returns the index after the closing
 * delimiter and sets *strip_after when it was `-}}` / `-%}`. */
static size_t lex_tag(jparser *p, size_t i, int *line, int block, int *strip_after) {
  int braces = 0;
  char close = block ? '%' : '}';
  for (;;) {
    while (i < p->len && is_ws(p->src[i])) {
      if (p->src[i] == '\n') (*line)++;
      i++;
    }
    if (i >= p->len) pfail(p, *line, SK_EFORMAT, "unterminated %s tag", block ? "{%" : "{{");
    const char *s = p->src + i;
    size_t left = p->len - i;
    if (braces == 0) {
      if (left >= 3 && s[0] == '-' && s[1] == close && s[2] == '}') {
        *strip_after = 1;
        return i + 3;
      }
      if (left >= 2 && s[0] == close && s[1] == '}') {
        *strip_after = 0;
        return i + 2;
      }
    }
    char c = s[0];
    if (is_name0(c)) {
      size_t j = i + 1;
      while (j < p->len && (is_name0(p->src[j]) || is_digit(p->src[j]))) j++;
      push_tok(p, T_NAME, *line, s, j - i);
      i = j;
    } else if (is_digit(c)) {
      size_t j = i;
      while (j < p->len && (is_digit(p->src[j]) || p->src[j] == '_')) j++;
      int is_float = 0;
      if (j + 1 < p->len && p->src[j] == '.' && is_digit(p->src[j + 1])) {
        is_float = 1;
        j++;
        while (j < p->len && is_digit(p->src[j])) j++;
      }
      if (j < p->len && (p->src[j] == 'e' || p->src[j] == 'E')) {
        size_t k = j + 1;
        if (k < p->len && (p->src[k] == '+' || p->src[k] == '-')) k++;
        if (k < p->len && is_digit(p->src[k])) {
          is_float = 1;
          j = k;
          while (j < p->len && is_digit(p->src[j])) j++;
        }
      }
      char num[64];
      size_t nn = 0;
      for (size_t k = i; k < j && nn < sizeof num - 1; k++)
        if (p->src[k] != '_') num[nn++] = p->src[k];
      num[nn] = '\0';
      if (j - i >= sizeof num - 1) pfail(p, *line, SK_EFORMAT, "number literal too long");
      jtok *t = push_tok(p, is_float ? T_FLOAT : T_INT, *line, s, j - i);
      if (is_float) {
        t->fval = strtod(num, NULL);
      } else {
        char *end;
        errno = 0;
        long long v = strtoll(num, &end, 10);
        if (errno == ERANGE) pfail(p, *line, SK_EFORMAT, "integer literal out of range");
        t->ival = v;
      }
      i = j;
    } else if (c == '\'' || c == '"') {
      i = lex_string(p, i, *line);
    } else {
      size_t k;
      for (k = 0; k < sizeof k_ops / sizeof k_ops[0]; k++) {
        size_t ol = strlen(k_ops[k]);
        if (ol <= left && memcmp(s, k_ops[k], ol) == 0) break;
      }
      if (k == sizeof k_ops / sizeof k_ops[0])
        pfail(p, *line, SK_EFORMAT, "unexpected character '%c' in a tag", c);
      size_t ol = strlen(k_ops[k]);
      if (c == '{' || c == '[' || c == '(') braces++;
      if ((c == '}' || c == ']' || c == ')') && braces > 0) braces--;
      push_tok(p, T_OP, *line, s, ol);
      i += ol;
    }
  }
}

/* Strips trailing whitespace of the last text token (for `{%-`, `{{-`, `{#-`). */
static void rstrip_last_text(jparser *p) {
  if (p->ntok && p->toks[p->ntok - 1].kind == T_TEXT) {
    jtok *t = &p->toks[p->ntok - 1];
    while (t->n && is_ws(t->s[t->n - 1])) t->n--;
  }
}

/* lstrip_blocks: spaces/tabs from the start of the line up to the tag at src[at]. */
static void lstrip_to_tag(jparser *p, size_t at) {
  size_t k = at;
  while (k > 0 && (p->src[k - 1] == ' ' || p->src[k - 1] == '\t')) k--;
  if (k != 0 && p->src[k - 1] != '\n') return;
  if (k == at) return;
  if (p->ntok && p->toks[p->ntok - 1].kind == T_TEXT) {
    jtok *t = &p->toks[p->ntok - 1];
    if (t->s + t->n == p->src + at) {
      size_t cut = at - k;
      if (cut > t->n) cut = t->n;
      t->n -= cut;
    }
  }
}

static void lex(jparser *p) {
  size_t i = 0;
  int line = 1;
  int strip_next = 0, trim_nl = 0;
  while (i < p->len) {
    /* text up to the next tag opener */
    size_t j = i;
    while (j < p->len) {
      if (p->src[j] == '{' && j + 1 < p->len &&
          (p->src[j + 1] == '{' || p->src[j + 1] == '%' || p->src[j + 1] == '#'))
        break;
      j++;
    }
    size_t ts = i;
    if (strip_next)
      while (ts < j && is_ws(p->src[ts])) ts++;
    else if (trim_nl) {
      if (ts < j && p->src[ts] == '\n') ts++;
      else if (ts + 1 < j && p->src[ts] == '\r' && p->src[ts + 1] == '\n') ts += 2;
    }
    int text_line = line;
    for (size_t k = i; k < ts; k++) text_line += p->src[k] == '\n';
    if (j > ts) push_tok(p, T_TEXT, text_line, p->src + ts, j - ts);
    for (size_t k = i; k < j; k++) line += p->src[k] == '\n';
    strip_next = trim_nl = 0;
    if (j >= p->len) break;
    char kind = p->src[j + 1];
    size_t k = j + 2;
    int plus = 0;
    if (k < p->len && p->src[k] == '-') {
      rstrip_last_text(p);
      k++;
    } else if (k < p->len && p->src[k] == '+') {
      plus = 1;
      k++;
    } else if (kind != '{' && !plus) {
      lstrip_to_tag(p, j);
    }
    if (kind == '#') {
      const char *end = NULL;
      for (size_t m = k; m + 1 < p->len; m++)
        if (p->src[m] == '#' && p->src[m + 1] == '}') {
          end = p->src + m;
          break;
        }
      if (!end) pfail(p, line, SK_EFORMAT, "unterminated comment");
      size_t e = (size_t)(end - p->src);
      for (size_t m = j; m < e; m++) line += p->src[m] == '\n';
      if (e > k && p->src[e - 1] == '-') strip_next = 1;
      else trim_nl = 1;
      i = e + 2;
      continue;
    }
    int strip_after = 0;
    push_tok(p, kind == '{' ? T_VBEGIN : T_BBEGIN, line, p->src + j, 2);
    i = lex_tag(p, k, &line, kind == '%', &strip_after);
    push_tok(p, kind == '{' ? T_VEND : T_BEND, line, p->src + i - 2, 2);
    if (strip_after) strip_next = 1;
    else if (kind == '%') trim_nl = 1;
  }
  push_tok(p, T_EOF, line, p->src + p->len, 0);
}

/* ---- parser ---- */
static jtok *peek(jparser *p) { return &p->toks[p->pos]; }
static jtok *next(jparser *p) {
  jtok *t = &p->toks[p->pos];
  if (t->kind != T_EOF) p->pos++;
  return t;
}
static int tok_is(const jtok *t, int kind, const char *s) {
  return t->kind == kind && strlen(s) == t->n && memcmp(t->s, s, t->n) == 0;
}
static int at_op(jparser *p, const char *s) { return tok_is(peek(p), T_OP, s); }
static int at_name(jparser *p, const char *s) { return tok_is(peek(p), T_NAME, s); }

static const char *tok_desc(const jtok *t) {
  switch (t->kind) {
    case T_EOF: return "end of template";
    case T_VEND: return "'}}'";
    case T_BEND: return "'%}'";
    case T_STR: return "a string";
    case T_INT: case T_FLOAT: return "a number";
    case T_NAME: return "a name";
    case T_TEXT: return "text";
    default: return "an operator";
  }
}

static void expect_op(jparser *p, const char *s) {
  if (!at_op(p, s)) pfail(p, peek(p)->line, SK_EFORMAT, "expected '%s', found %s", s, tok_desc(peek(p)));
  next(p);
}
static void expect_kind(jparser *p, int kind, const char *what) {
  if (peek(p)->kind != kind)
    pfail(p, peek(p)->line, SK_EFORMAT, "expected %s, found %s", what, tok_desc(peek(p)));
  next(p);
}
static const char *dup_tok(jparser *p, const jtok *t) {
  char *s = palloc(p, t->n + 1);
  memcpy(s, t->s, t->n);
  return s;
}
static const char *expect_name(jparser *p) {
  jtok *t = peek(p);
  if (t->kind != T_NAME) pfail(p, t->line, SK_EFORMAT, "expected a name, found %s", tok_desc(t));
  next(p);
  return dup_tok(p, t);
}

static jnode *mk(jparser *p, int kind, int line) {
  jnode *n = palloc(p, sizeof *n);
  n->kind = (uint8_t)kind;
  n->line = line;
  return n;
}

static void enter(jparser *p) {
  if (++p->depth > JINJA_MAX_PARSE_DEPTH)
    pfail(p, peek(p)->line, SK_ELIMIT, "nesting deeper than %d", JINJA_MAX_PARSE_DEPTH);
}
static void leave(jparser *p) { p->depth--; }

static jnode *parse_expr(jparser *p, int allow_cond);
static jnode *parse_unary(jparser *p, int with_filter);

/* '(' args ')' — positional expressions and name=value keyword arguments. */
static jnode *parse_call_args(jparser *p) {
  expect_op(p, "(");
  jnode *head = NULL, **tail = &head;
  while (!at_op(p, ")")) {
    jnode *arg;
    if (peek(p)->kind == T_NAME && tok_is(&p->toks[p->pos + 1], T_OP, "=")) {
      arg = mk(p, N_KWARG, peek(p)->line);
      arg->str = expect_name(p);
      next(p);
      arg->a = parse_expr(p, 1);
    } else {
      arg = parse_expr(p, 1);
    }
    *tail = arg;
    tail = &arg->next;
    if (!at_op(p, ",")) break;
    next(p);
  }
  expect_op(p, ")");
  return head;
}

static jnode *parse_primary(jparser *p) {
  jtok *t = peek(p);
  jnode *n;
  if (t->kind == T_NAME) {
    next(p);
    n = mk(p, N_LIT, t->line);
    if (tok_is(t, T_NAME, "true") || tok_is(t, T_NAME, "True")) n->v = jv_bool(1);
    else if (tok_is(t, T_NAME, "false") || tok_is(t, T_NAME, "False")) n->v = jv_bool(0);
    else if (tok_is(t, T_NAME, "none") || tok_is(t, T_NAME, "None")) n->v = jv_none();
    else {
      n->kind = N_NAME;
      n->str = dup_tok(p, t);
    }
    return n;
  }
  if (t->kind == T_STR) {
    /* adjacent literals concatenate, as in Python */
    size_t total = 0, k = p->pos;
    while (p->toks[k].kind == T_STR) total += p->toks[k++].n;
    char *s = palloc(p, total + 1);
    size_t off = 0;
    while (peek(p)->kind == T_STR) {
      jtok *u = next(p);
      memcpy(s + off, u->s, u->n);
      off += u->n;
    }
    n = mk(p, N_LIT, t->line);
    n->v = jv_str(s, total);
    return n;
  }
  if (t->kind == T_INT || t->kind == T_FLOAT) {
    next(p);
    n = mk(p, N_LIT, t->line);
    n->v = t->kind == T_INT ? jv_int(t->ival) : jv_float(t->fval);
    return n;
  }
  if (tok_is(t, T_OP, "(")) {
    next(p);
    jnode *e = parse_expr(p, 1);
    if (at_op(p, ",")) { /* tuple: represented as a list */
      n = mk(p, N_LIST, t->line);
      n->args = e;
      jnode **tail = &e->next;
      while (at_op(p, ",")) {
        next(p);
        if (at_op(p, ")")) break;
        *tail = parse_expr(p, 1);
        tail = &(*tail)->next;
      }
      e = n;
    }
    expect_op(p, ")");
    return e;
  }
  if (tok_is(t, T_OP, "[")) {
    next(p);
    n = mk(p, N_LIST, t->line);
    jnode **tail = &n->args;
    while (!at_op(p, "]")) {
      *tail = parse_expr(p, 1);
      tail = &(*tail)->next;
      if (!at_op(p, ",")) break;
      next(p);
    }
    expect_op(p, "]");
    return n;
  }
  if (tok_is(t, T_OP, "{")) {
    next(p);
    n = mk(p, N_DICT, t->line);
    jnode **tail = &n->args;
    while (!at_op(p, "}")) {
      *tail = parse_expr(p, 1);
      tail = &(*tail)->next;
      expect_op(p, ":");
      *tail = parse_expr(p, 1);
      tail = &(*tail)->next;
      if (!at_op(p, ",")) break;
      next(p);
    }
    expect_op(p, "}");
    return n;
  }
  pfail(p, t->line, SK_EFORMAT, "expected an expression, found %s", tok_desc(t));
}

static jnode *parse_postfix(jparser *p, jnode *n) {
  for (;;) {
    int line = peek(p)->line;
    if (at_op(p, ".")) {
      next(p);
      jnode *a = mk(p, N_ATTR, line);
      a->a = n;
      if (peek(p)->kind == T_INT) { /* x.0 means x[0] */
        a->kind = N_INDEX;
        a->b = mk(p, N_LIT, line);
        a->b->v = jv_int(next(p)->ival);
      } else {
        a->str = expect_name(p);
      }
      n = a;
    } else if (at_op(p, "[")) {
      next(p);
      jnode *start = NULL;
      if (!at_op(p, ":")) start = parse_expr(p, 1);
      if (at_op(p, ":")) {
        next(p);
        jnode *s = mk(p, N_SLICE, line);
        s->a = n;
        s->b = start;
        if (!at_op(p, ":") && !at_op(p, "]")) s->c = parse_expr(p, 1);
        if (at_op(p, ":")) {
          next(p);
          if (!at_op(p, "]")) s->d = parse_expr(p, 1);
        }
        n = s;
      } else {
        if (!start) pfail(p, line, SK_EFORMAT, "empty subscript");
        jnode *x = mk(p, N_INDEX, line);
        x->a = n;
        x->b = start;
        n = x;
      }
      expect_op(p, "]");
    } else if (at_op(p, "(")) {
      jnode *c = mk(p, N_CALL, line);
      c->a = n;
      c->args = parse_call_args(p);
      n = c;
    } else {
      return n;
    }
  }
}

static int starts_test_arg(jparser *p) {
  jtok *t = peek(p);
  if (t->kind == T_STR || t->kind == T_INT || t->kind == T_FLOAT) return 1;
  if (t->kind == T_NAME) {
    static const char *const stop[] = {"and", "or", "else", "if", "in", "is", "not"};
    for (size_t i = 0; i < sizeof stop / sizeof stop[0]; i++)
      if (tok_is(t, T_NAME, stop[i])) return 0;
    return 1;
  }
  return tok_is(t, T_OP, "[") || tok_is(t, T_OP, "{");
}

static jnode *parse_filters(jparser *p, jnode *n) {
  for (;;) {
    int line = peek(p)->line;
    if (at_op(p, "|")) {
      next(p);
      jnode *f = mk(p, N_FILTER, line);
      f->a = n;
      f->str = expect_name(p);
      if (at_op(p, "(")) f->args = parse_call_args(p);
      n = f;
    } else if (at_name(p, "is")) {
      next(p);
      jnode *t = mk(p, N_TEST, line);
      t->a = n;
      if (at_name(p, "not")) {
        next(p);
        t->op = 1;
      }
      t->str = expect_name(p);
      if (at_op(p, "(")) t->args = parse_call_args(p);
      else if (starts_test_arg(p)) t->args = parse_postfix(p, parse_primary(p));
      n = t;
    } else {
      return n;
    }
  }
}

static jnode *parse_unary(jparser *p, int with_filter) {
  enter(p);
  jnode *n;
  int line = peek(p)->line;
  if (at_op(p, "-") || at_op(p, "+")) {
    int neg = at_op(p, "-");
    next(p);
    n = mk(p, N_UNARY, line);
    n->op = neg ? OP_NEG : OP_POS;
    n->a = parse_unary(p, 0);
  } else {
    n = parse_postfix(p, parse_primary(p));
  }
  if (with_filter) n = parse_filters(p, n);
  leave(p);
  return n;
}

static jnode *binary(jparser *p, int op, int line, jnode *a, jnode *b) {
  jnode *n = mk(p, N_BINARY, line);
  n->op = (uint8_t)op;
  n->a = a;
  n->b = b;
  return n;
}

static jnode *parse_pow(jparser *p) {
  jnode *n = parse_unary(p, 1);
  while (at_op(p, "**")) {
    int line = next(p)->line;
    n = binary(p, OP_POW, line, n, parse_unary(p, 1));
  }
  return n;
}

static jnode *parse_math2(jparser *p) {
  jnode *n = parse_pow(p);
  for (;;) {
    int op = at_op(p, "*") ? OP_MUL : at_op(p, "/") ? OP_DIV : at_op(p, "//") ? OP_FLOORDIV
           : at_op(p, "%") ? OP_MOD : 0;
    if (!op) return n;
    int line = next(p)->line;
    n = binary(p, op, line, n, parse_pow(p));
  }
}

static jnode *parse_concat(jparser *p) {
  jnode *n = parse_math2(p);
  while (at_op(p, "~")) {
    int line = next(p)->line;
    n = binary(p, OP_CONCAT, line, n, parse_math2(p));
  }
  return n;
}

static jnode *parse_math1(jparser *p) {
  jnode *n = parse_concat(p);
  for (;;) {
    int op = at_op(p, "+") ? OP_ADD : at_op(p, "-") ? OP_SUB : 0;
    if (!op) return n;
    int line = next(p)->line;
    n = binary(p, op, line, n, parse_concat(p));
  }
}

static jnode *parse_compare(jparser *p) {
  jnode *n = parse_math1(p);
  for (;;) {
    int line = peek(p)->line, op = 0;
    if (at_op(p, "==")) op = OP_EQ;
    else if (at_op(p, "!=")) op = OP_NE;
    else if (at_op(p, "<")) op = OP_LT;
    else if (at_op(p, "<=")) op = OP_LE;
    else if (at_op(p, ">")) op = OP_GT;
    else if (at_op(p, ">=")) op = OP_GE;
    else if (at_name(p, "in")) op = OP_IN;
    else if (at_name(p, "not") && tok_is(&p->toks[p->pos + 1], T_NAME, "in")) {
      next(p);
      op = OP_NOTIN;
    }
    if (!op) return n;
    next(p);
    n = binary(p, op, line, n, parse_math1(p));
  }
}

static jnode *parse_not(jparser *p) {
  if (at_name(p, "not")) {
    int line = next(p)->line;
    enter(p);
    jnode *n = mk(p, N_UNARY, line);
    n->op = OP_NOT;
    n->a = parse_not(p);
    leave(p);
    return n;
  }
  return parse_compare(p);
}

static jnode *parse_and(jparser *p) {
  jnode *n = parse_not(p);
  while (at_name(p, "and")) {
    int line = next(p)->line;
    n = binary(p, OP_AND, line, n, parse_not(p));
  }
  return n;
}

static jnode *parse_or(jparser *p) {
  jnode *n = parse_and(p);
  while (at_name(p, "or")) {
    int line = next(p)->line;
    n = binary(p, OP_OR, line, n, parse_and(p));
  }
  return n;
}

static jnode *parse_expr(jparser *p, int allow_cond) {
  enter(p);
  jnode *n = parse_or(p);
  if (allow_cond && at_name(p, "if")) {
    int line = next(p)->line;
    jnode *c = mk(p, N_COND, line);
    c->a = n;
    c->b = parse_or(p);
    if (at_name(p, "else")) {
      next(p);
      c->c = parse_expr(p, 1);
    }
    n = c;
  }
  leave(p);
  return n;
}

/* ---- statements ---- */
static jnode *parse_body(jparser *p, const char *const *ends, const char **which);

static const char *const k_if_ends[] = {"elif", "else", "endif", NULL};
static const char *const k_endif[] = {"endif", NULL};
static const char *const k_for_ends[] = {"else", "endfor", NULL};
static const char *const k_endfor[] = {"endfor", NULL};
static const char *const k_endset[] = {"endset", NULL};
static const char *const k_endmacro[] = {"endmacro", NULL};
static const char *const k_endgen[] = {"endgeneration", NULL};

static jnode *parse_if_rest(jparser *p, int line) {
  jnode *n = mk(p, N_IF, line);
  n->a = parse_expr(p, 1);
  expect_kind(p, T_BEND, "'%}'");
  const char *which;
  n->body = parse_body(p, k_if_ends, &which);
  if (strcmp(which, "elif") == 0) {
    n->body2 = parse_if_rest(p, peek(p)->line);
  } else if (strcmp(which, "else") == 0) {
    expect_kind(p, T_BEND, "'%}'");
    n->body2 = parse_body(p, k_endif, &which);
    expect_kind(p, T_BEND, "'%}'");
  } else {
    expect_kind(p, T_BEND, "'%}'");
  }
  return n;
}

static jnode *parse_stmt(jparser *p, int line, const jtok *kw) {
  const char *which;
  if (tok_is(kw, T_NAME, "if")) return parse_if_rest(p, line);
  if (tok_is(kw, T_NAME, "for")) {
    jnode *n = mk(p, N_FOR, line);
    n->str = expect_name(p);
    if (at_op(p, ",")) {
      next(p);
      n->str2 = expect_name(p);
      n->pair = 1;
    }
    if (!at_name(p, "in")) pfail(p, line, SK_EFORMAT, "expected 'in' in a for tag");
    next(p);
    n->a = parse_expr(p, 0);
    if (at_name(p, "if")) {
      next(p);
      n->b = parse_expr(p, 0);
    }
    if (at_name(p, "recursive")) pfail(p, line, SK_ENOTSUP, "recursive loops are not supported");
    expect_kind(p, T_BEND, "'%}'");
    n->body = parse_body(p, k_for_ends, &which);
    if (strcmp(which, "else") == 0) {
      expect_kind(p, T_BEND, "'%}'");
      n->body2 = parse_body(p, k_endfor, &which);
    }
    expect_kind(p, T_BEND, "'%}'");
    return n;
  }
  if (tok_is(kw, T_NAME, "set")) {
    jnode *n = mk(p, N_SET, line);
    n->str = expect_name(p);
    if (at_op(p, ".")) {
      next(p);
      n->str2 = expect_name(p);
    } else if (at_op(p, ",")) {
      next(p);
      n->str2 = expect_name(p);
      n->pair = 1;
    }
    if (peek(p)->kind == T_BEND && !n->str2) {
      next(p);
      n->kind = N_SETBLOCK;
      n->body = parse_body(p, k_endset, &which);
      expect_kind(p, T_BEND, "'%}'");
      return n;
    }
    expect_op(p, "=");
    n->a = parse_expr(p, 1);
    expect_kind(p, T_BEND, "'%}'");
    return n;
  }
  if (tok_is(kw, T_NAME, "macro")) {
    jnode *n = mk(p, N_MACRO, line);
    n->str = expect_name(p);
    expect_op(p, "(");
    jnode **tail = &n->args;
    while (!at_op(p, ")")) {
      jnode *par = mk(p, N_PARAM, peek(p)->line);
      par->str = expect_name(p);
      if (at_op(p, "=")) {
        next(p);
        par->a = parse_expr(p, 1);
      }
      *tail = par;
      tail = &par->next;
      if (!at_op(p, ",")) break;
      next(p);
    }
    expect_op(p, ")");
    expect_kind(p, T_BEND, "'%}'");
    n->body = parse_body(p, k_endmacro, &which);
    expect_kind(p, T_BEND, "'%}'");
    return n;
  }
  if (tok_is(kw, T_NAME, "break") || tok_is(kw, T_NAME, "continue")) {
    jnode *n = mk(p, tok_is(kw, T_NAME, "break") ? N_BREAK : N_CONTINUE, line);
    expect_kind(p, T_BEND, "'%}'");
    return n;
  }
  if (tok_is(kw, T_NAME, "generation")) { /* transformers' assistant-mask marker: transparent */
    expect_kind(p, T_BEND, "'%}'");
    jnode *n = mk(p, N_IF, line);
    n->a = mk(p, N_LIT, line);
    n->a->v = jv_bool(1);
    n->body = parse_body(p, k_endgen, &which);
    expect_kind(p, T_BEND, "'%}'");
    return n;
  }
  pfail(p, line, SK_ENOTSUP, "unsupported tag '%.*s'", (int)(kw->n > 40 ? 40 : kw->n), kw->s);
}

static jnode *parse_body(jparser *p, const char *const *ends, const char **which) {
  enter(p);
  jnode *head = NULL, **tail = &head;
  for (;;) {
    jtok *t = peek(p);
    jnode *n = NULL;
    if (t->kind == T_EOF) {
      if (ends) {
        size_t k = 0;
        while (ends[k + 1]) k++; /* the closing tag is listed last */
        pfail(p, t->line, SK_EFORMAT, "missing {%% %s %%}", ends[k]);
      }
      break;
    } else if (t->kind == T_TEXT) {
      next(p);
      n = mk(p, N_TEXT, t->line);
      n->str = t->s;
      n->str_len = t->n;
    } else if (t->kind == T_VBEGIN) {
      next(p);
      n = mk(p, N_OUTPUT, t->line);
      n->a = parse_expr(p, 1);
      expect_kind(p, T_VEND, "'}}'");
    } else if (t->kind == T_BBEGIN) {
      next(p);
      jtok *kw = peek(p);
      if (kw->kind != T_NAME) pfail(p, kw->line, SK_EFORMAT, "expected a tag name after {%%");
      for (size_t i = 0; ends && ends[i]; i++)
        if (tok_is(kw, T_NAME, ends[i])) {
          next(p);
          *which = ends[i];
          leave(p);
          return head;
        }
      next(p);
      n = parse_stmt(p, t->line, kw);
    } else {
      pfail(p, t->line, SK_EFORMAT, "unexpected %s", tok_desc(t));
    }
    *tail = n;
    tail = &n->next;
  }
  leave(p);
  return head;
}

int jinja_parse(const char *src, size_t len, jinja_template **out, sk_err *err) {
  *out = NULL;
  if (len > JINJA_MAX_SOURCE)
    return sk_err_set(err, SK_ELIMIT, "chat template is %zu bytes, at most %u", len,
                      JINJA_MAX_SOURCE);
  jinja_template *t = sk_calloc(1, sizeof *t);
  if (!t) return sk_err_set(err, SK_ENOMEM, "out of memory");
  /* tokens + nodes take well under 64 bytes per source byte */
  ja_init(&t->arena, 64 * (size_t)len + (1u << 20));
  jparser *p = sk_calloc(1, sizeof *p);
  if (!p) {
    sk_free(t);
    return sk_err_set(err, SK_ENOMEM, "out of memory");
  }
  p->a = &t->arena;
  p->err = err;
  if (setjmp(p->jb)) {
    int code = p->code;
    sk_free(p);
    jinja_free(t);
    return code;
  }
  char *copy = palloc(p, len + 1);
  if (len) memcpy(copy, src, len);
  p->src = copy;
  p->len = len;
  lex(p);
  t->root = parse_body(p, NULL, NULL);
  sk_free(p);
  *out = t;
  return SK_OK;
}

void jinja_free(jinja_template *t) {
  if (!t) return;
  ja_release(&t->arena);
  sk_free(t);
}
