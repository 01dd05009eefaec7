/* jinja_eval.c — values and the tree-walking evaluator. Every node visit costs one step of
 * the budget; every allocation comes from the render arena (bounded); errors unwind with
 * longjmp to jinja_render_chat, which frees the arena. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/utf8.h"
#include "engine/jinja/jinja_int.h"

_Noreturn void jr_fail(jrt *r, int code, const char *fmt, ...) {
  char msg[300];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  r->code = sk_err_set(r->err, code, "chat template line %d: %s", r->line, msg);
  longjmp(r->jb, 1);
}

void *jr_alloc(jrt *r, size_t n) {
  void *p = ja_alloc(&r->arena, n);
  if (!p)
    jr_fail(r, SK_ELIMIT, "render memory bound of %zu bytes exceeded", r->arena.max_bytes);
  return p;
}

void jr_step(jrt *r) {
  if (++r->steps > r->max_steps)
    jr_fail(r, SK_ELIMIT, "evaluation budget of %llu steps exhausted (runaway loop?)",
            (unsigned long long)r->max_steps);
}

/* ---- values ---- */
jv jv_str(const char *p, size_t n) {
  jv v = {.t = JV_STR};
  v.u.s.p = p;
  v.u.s.n = n;
  return v;
}
jv jv_strz(const char *s) { return jv_str(s, strlen(s)); }
jv jv_int(int64_t i) {
  jv v = {.t = JV_INT};
  v.u.i = i;
  return v;
}
jv jv_bool(int b) {
  jv v = {.t = JV_BOOL};
  v.u.i = b != 0;
  return v;
}
jv jv_float(double f) {
  jv v = {.t = JV_FLOAT};
  v.u.f = f;
  return v;
}
jv jv_none(void) { return (jv){.t = JV_NONE}; }
jv jv_undef(void) { return (jv){.t = JV_UNDEF}; }

const char *jv_type_name(int t) {
  static const char *const names[] = {"undefined", "none", "bool",  "int",  "float",  "string",
                                      "list",      "dict", "namespace", "loop", "macro", "function"};
  return t >= 0 && t <= JV_FUNC ? names[t] : "?";
}

int jv_truthy(const jv *v) {
  switch (v->t) {
    case JV_UNDEF: case JV_NONE: return 0;
    case JV_BOOL: case JV_INT: return v->u.i != 0;
    case JV_FLOAT: return v->u.f != 0.0;
    case JV_STR: return v->u.s.n != 0;
    case JV_LIST: return v->u.l->n != 0;
    case JV_DICT: return v->u.d->n != 0;
    default: return 1;
  }
}

static int is_num(const jv *v) { return v->t == JV_INT || v->t == JV_FLOAT || v->t == JV_BOOL; }
static double num(const jv *v) { return v->t == JV_FLOAT ? v->u.f : (double)v->u.i; }

int jv_equal(const jv *a, const jv *b) {
  if (is_num(a) && is_num(b)) {
    if (a->t != JV_FLOAT && b->t != JV_FLOAT) return a->u.i == b->u.i;
    return num(a) == num(b);
  }
  if (a->t != b->t) return (a->t == JV_UNDEF || a->t == JV_NONE) && a->t == b->t;
  switch (a->t) {
    case JV_UNDEF: case JV_NONE: return 1;
    case JV_STR: return a->u.s.n == b->u.s.n && memcmp(a->u.s.p, b->u.s.p, a->u.s.n) == 0;
    case JV_LIST:
      if (a->u.l->n != b->u.l->n) return 0;
      for (size_t i = 0; i < a->u.l->n; i++)
        if (!jv_equal(&a->u.l->v[i], &b->u.l->v[i])) return 0;
      return 1;
    case JV_DICT: case JV_NS: {
      if (a->u.d->n != b->u.d->n) return 0;
      for (size_t i = 0; i < a->u.d->n; i++) {
        jv o;
        if (!jd_get(b->u.d, a->u.d->keys[i].u.s.p, a->u.d->keys[i].u.s.n, &o)) return 0;
        if (!jv_equal(&a->u.d->vals[i], &o)) return 0;
      }
      return 1;
    }
    default: return a->u.mac == b->u.mac;
  }
}

jlist *jl_new(jrt *r, size_t cap) {
  jlist *l = jr_alloc(r, sizeof *l);
  l->cap = cap ? cap : 4;
  l->v = jr_alloc(r, l->cap * sizeof *l->v);
  return l;
}

void jl_push(jrt *r, jlist *l, jv v) {
  if (l->n == l->cap) {
    jv *nv = jr_alloc(r, l->cap * 2 * sizeof *nv);
    memcpy(nv, l->v, l->n * sizeof *nv);
    l->v = nv;
    l->cap *= 2;
  }
  l->v[l->n++] = v;
}

jdict *jd_new(jrt *r, size_t cap) {
  jdict *d = jr_alloc(r, sizeof *d);
  d->cap = cap ? cap : 4;
  d->keys = jr_alloc(r, d->cap * sizeof *d->keys);
  d->vals = jr_alloc(r, d->cap * sizeof *d->vals);
  return d;
}

int jd_get(const jdict *d, const char *k, size_t kn, jv *out) {
  for (size_t i = 0; i < d->n; i++)
    if (d->keys[i].u.s.n == kn && memcmp(d->keys[i].u.s.p, k, kn) == 0) {
      *out = d->vals[i];
      return 1;
    }
  return 0;
}

void jd_set(jrt *r, jdict *d, jv key, jv val) {
  if (key.t != JV_STR) key = jv_to_str(r, &key);
  for (size_t i = 0; i < d->n; i++)
    if (d->keys[i].u.s.n == key.u.s.n && memcmp(d->keys[i].u.s.p, key.u.s.p, key.u.s.n) == 0) {
      d->vals[i] = val;
      return;
    }
  if (d->n == d->cap) {
    jv *nk = jr_alloc(r, d->cap * 2 * sizeof *nk), *nv = jr_alloc(r, d->cap * 2 * sizeof *nv);
    memcpy(nk, d->keys, d->n * sizeof *nk);
    memcpy(nv, d->vals, d->n * sizeof *nv);
    d->keys = nk;
    d->vals = nv;
    d->cap *= 2;
  }
  d->keys[d->n] = key;
  d->vals[d->n++] = val;
}

void sb_put(jrt *r, jsb *b, const char *p, size_t n) {
  if (n == 0) return;
  if (b->n + n > r->max_output || b->n + n < b->n)
    jr_fail(r, SK_ELIMIT, "rendered text exceeds %zu bytes", r->max_output);
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < b->n + n) cap *= 2;
    char *np = jr_alloc(r, cap);
    if (b->n) memcpy(np, b->p, b->n);
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->n, p, n);
  b->n += n;
}

static void sb_str(jrt *r, jsb *b, const char *s) { sb_put(r, b, s, strlen(s)); }

static void put_float(jrt *r, jsb *b, double f) {
  char tmp[64];
  if (isnan(f)) snprintf(tmp, sizeof tmp, "nan");
  else if (isinf(f)) snprintf(tmp, sizeof tmp, f > 0 ? "inf" : "-inf");
  else {
    snprintf(tmp, sizeof tmp, "%.17g", f);
    /* shortest representation that round-trips, as Python's repr */
    for (int prec = 1; prec <= 17; prec++) {
      char t2[64];
      snprintf(t2, sizeof t2, "%.*g", prec, f);
      if (strtod(t2, NULL) == f) {
        memcpy(tmp, t2, sizeof t2);
        break;
      }
    }
    if (!strpbrk(tmp, ".eninf")) strcat(tmp, ".0");
  }
  sb_str(r, b, tmp);
}

static void put_repr_str(jrt *r, jsb *b, const jv *v) {
  int dq = memchr(v->u.s.p, '\'', v->u.s.n) && !memchr(v->u.s.p, '"', v->u.s.n);
  char q = dq ? '"' : '\'';
  sb_put(r, b, &q, 1);
  for (size_t i = 0; i < v->u.s.n; i++) {
    char c = v->u.s.p[i];
    if (c == '\\' || c == q) sb_put(r, b, "\\", 1);
    if (c == '\n') sb_put(r, b, "\\n", 2);
    else sb_put(r, b, &c, 1);
  }
  sb_put(r, b, &q, 1);
}

void jv_to_sb(jrt *r, jsb *b, const jv *v, int repr) {
  jr_step(r);
  char tmp[32];
  switch (v->t) {
    case JV_UNDEF: return;
    case JV_NONE: sb_str(r, b, "None"); return;
    case JV_BOOL: sb_str(r, b, v->u.i ? "True" : "False"); return;
    case JV_INT: snprintf(tmp, sizeof tmp, "%lld", (long long)v->u.i); sb_str(r, b, tmp); return;
    case JV_FLOAT: put_float(r, b, v->u.f); return;
    case JV_STR:
      if (repr) put_repr_str(r, b, v);
      else sb_put(r, b, v->u.s.p, v->u.s.n);
      return;
    case JV_LIST:
      sb_put(r, b, "[", 1);
      for (size_t i = 0; i < v->u.l->n; i++) {
        if (i) sb_put(r, b, ", ", 2);
        jv_to_sb(r, b, &v->u.l->v[i], 1);
      }
      sb_put(r, b, "]", 1);
      return;
    case JV_DICT: case JV_NS:
      sb_put(r, b, "{", 1);
      for (size_t i = 0; i < v->u.d->n; i++) {
        if (i) sb_put(r, b, ", ", 2);
        jv_to_sb(r, b, &v->u.d->keys[i], 1);
        sb_put(r, b, ": ", 2);
        jv_to_sb(r, b, &v->u.d->vals[i], 1);
      }
      sb_put(r, b, "}", 1);
      return;
    default: sb_str(r, b, "<object>"); return;
  }
}

jv jv_to_str(jrt *r, const jv *v) {
  if (v->t == JV_STR) return *v;
  jsb b = {0};
  jv_to_sb(r, &b, v, 0);
  return jv_str(b.p ? b.p : "", b.n);
}

static void json_str(jrt *r, jsb *b, const char *p, size_t n) {
  sb_put(r, b, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    char tmp[8];
    switch (c) {
      case '"': sb_put(r, b, "\\\"", 2); break;
      case '\\': sb_put(r, b, "\\\\", 2); break;
      case '\n': sb_put(r, b, "\\n", 2); break;
      case '\r': sb_put(r, b, "\\r", 2); break;
      case '\t': sb_put(r, b, "\\t", 2); break;
      case '\b': sb_put(r, b, "\\b", 2); break;
      case '\f': sb_put(r, b, "\\f", 2); break;
      default:
        if (c < 0x20) {
          snprintf(tmp, sizeof tmp, "\\u%04x", c);
          sb_put(r, b, tmp, 6);
        } else {
          sb_put(r, b, (const char *)&c, 1); /* ensure_ascii=False, as transformers */
        }
    }
  }
  sb_put(r, b, "\"", 1);
}

static void json_nl(jrt *r, jsb *b, int indent, int level) {
  sb_put(r, b, "\n", 1);
  for (int i = 0; i < indent * level; i++) sb_put(r, b, " ", 1);
}

/* Python json.dumps: separators ", " / ": " (or "," with indent), keys in insertion order. */
void jv_tojson(jrt *r, jsb *b, const jv *v, int indent, int level) {
  jr_step(r);
  if (level > JINJA_MAX_EVAL_DEPTH) jr_fail(r, SK_ELIMIT, "tojson: value nested too deep");
  switch (v->t) {
    case JV_UNDEF: case JV_NONE: sb_str(r, b, "null"); return;
    case JV_BOOL: sb_str(r, b, v->u.i ? "true" : "false"); return;
    case JV_INT: case JV_FLOAT: jv_to_sb(r, b, v, 0); return;
    case JV_STR: json_str(r, b, v->u.s.p, v->u.s.n); return;
    case JV_LIST:
      sb_put(r, b, "[", 1);
      for (size_t i = 0; i < v->u.l->n; i++) {
        if (i) sb_put(r, b, indent ? "," : ", ", indent ? 1 : 2);
        if (indent) json_nl(r, b, indent, level + 1);
        jv_tojson(r, b, &v->u.l->v[i], indent, level + 1);
      }
      if (indent && v->u.l->n) json_nl(r, b, indent, level);
      sb_put(r, b, "]", 1);
      return;
    case JV_DICT: case JV_NS:
      sb_put(r, b, "{", 1);
      for (size_t i = 0; i < v->u.d->n; i++) {
        if (i) sb_put(r, b, indent ? "," : ", ", indent ? 1 : 2);
        if (indent) json_nl(r, b, indent, level + 1);
        json_str(r, b, v->u.d->keys[i].u.s.p, v->u.d->keys[i].u.s.n);
        sb_put(r, b, ": ", 2);
        jv_tojson(r, b, &v->u.d->vals[i], indent, level + 1);
      }
      if (indent && v->u.d->n) json_nl(r, b, indent, level);
      sb_put(r, b, "}", 1);
      return;
    default: jr_fail(r, SK_EINVAL, "tojson: cannot serialise a %s", jv_type_name(v->t));
  }
}

/* ---- variables ---- */
static int lookup(jrt *r, const char *name, jv *out) {
  for (size_t i = r->n_vars; i-- > 0;)
    if (strcmp(r->vars[i].name, name) == 0) {
      *out = r->vars[i].val;
      return 1;
    }
  return 0;
}

static void set_var(jrt *r, const char *name, jv val) {
  for (size_t i = r->frame; i < r->n_vars; i++)
    if (strcmp(r->vars[i].name, name) == 0) {
      r->vars[i].val = val;
      return;
    }
  if (r->n_vars == r->cap_vars) {
    size_t cap = r->cap_vars ? r->cap_vars * 2 : 32;
    jvar *nv = jr_alloc(r, cap * sizeof *nv);
    if (r->n_vars) memcpy(nv, r->vars, r->n_vars * sizeof *nv);
    r->vars = nv;
    r->cap_vars = cap;
  }
  r->vars[r->n_vars].name = name;
  r->vars[r->n_vars++].val = val;
}

/* ---- strings by code point (Python indexes characters, not bytes) ---- */
static size_t cp_len_at(const char *p, size_t n) {
  uint32_t cp;
  size_t k = sk_utf8_decode(p, n, &cp);
  return k ? k : 1; /* an invalid byte counts as one character */
}

size_t jv_str_chars(const jv *v);
size_t jv_str_chars(const jv *v) {
  size_t c = 0;
  for (size_t i = 0; i < v->u.s.n; i += cp_len_at(v->u.s.p + i, v->u.s.n - i)) c++;
  return c;
}

/* Byte offsets of each character plus the end: offs[0..nchars]. */
static size_t *char_offsets(jrt *r, const jv *v, size_t *nchars) {
  size_t n = jv_str_chars(v);
  size_t *offs = jr_alloc(r, (n + 1) * sizeof *offs);
  size_t k = 0;
  for (size_t i = 0; i < v->u.s.n; i += cp_len_at(v->u.s.p + i, v->u.s.n - i)) offs[k++] = i;
  offs[k] = v->u.s.n;
  *nchars = n;
  return offs;
}

jlist *jv_iter_list(jrt *r, const jv *v);
jlist *jv_iter_list(jrt *r, const jv *v) {
  switch (v->t) {
    case JV_LIST: return v->u.l;
    case JV_DICT: case JV_NS: {
      jlist *l = jl_new(r, v->u.d->n);
      for (size_t i = 0; i < v->u.d->n; i++) jl_push(r, l, v->u.d->keys[i]);
      return l;
    }
    case JV_STR: {
      size_t n, *offs = char_offsets(r, v, &n);
      jlist *l = jl_new(r, n);
      for (size_t i = 0; i < n; i++) jl_push(r, l, jv_str(v->u.s.p + offs[i], offs[i + 1] - offs[i]));
      return l;
    }
    case JV_UNDEF: case JV_NONE: return jl_new(r, 1);
    default: jr_fail(r, SK_EINVAL, "a %s is not iterable", jv_type_name(v->t));
  }
}

/* ---- attribute and item access ---- */
static jv loop_attr(jrt *r, const jloop *l, const char *name) {
  if (!strcmp(name, "index")) return jv_int(l->index0 + 1);
  if (!strcmp(name, "index0")) return jv_int(l->index0);
  if (!strcmp(name, "revindex")) return jv_int(l->length - l->index0);
  if (!strcmp(name, "revindex0")) return jv_int(l->length - l->index0 - 1);
  if (!strcmp(name, "first")) return jv_bool(l->index0 == 0);
  if (!strcmp(name, "last")) return jv_bool(l->index0 == l->length - 1);
  if (!strcmp(name, "length")) return jv_int(l->length);
  if (!strcmp(name, "previtem")) return l->prev;
  if (!strcmp(name, "nextitem")) return l->next;
  (void)r;
  return jv_undef();
}

static jv get_attr(jrt *r, const jv *obj, const char *name) {
  jv out;
  if ((obj->t == JV_DICT || obj->t == JV_NS) && jd_get(obj->u.d, name, strlen(name), &out))
    return out;
  if (obj->t == JV_LOOP) return loop_attr(r, obj->u.loop, name);
  return jv_undef();
}

static int64_t norm_index(int64_t i, int64_t n) { return i < 0 ? i + n : i; }

static jv get_item(jrt *r, const jv *obj, const jv *key) {
  if (obj->t == JV_DICT || obj->t == JV_NS) {
    jv k = key->t == JV_STR ? *key : jv_to_str(r, key), out;
    return jd_get(obj->u.d, k.u.s.p, k.u.s.n, &out) ? out : jv_undef();
  }
  if (key->t == JV_STR) return jv_undef(); /* only dicts have string keys */
  if (key->t != JV_INT && key->t != JV_BOOL) return jv_undef();
  if (obj->t == JV_LIST) {
    int64_t i = norm_index(key->u.i, (int64_t)obj->u.l->n);
    return i >= 0 && i < (int64_t)obj->u.l->n ? obj->u.l->v[i] : jv_undef();
  }
  if (obj->t == JV_STR) {
    size_t n, *offs = char_offsets(r, obj, &n);
    int64_t i = norm_index(key->u.i, (int64_t)n);
    if (i < 0 || i >= (int64_t)n) return jv_undef();
    return jv_str(obj->u.s.p + offs[i], offs[i + 1] - offs[i]);
  }
  return jv_undef();
}

static jv do_slice(jrt *r, const jv *obj, const jv *a, const jv *b, const jv *c) {
  int64_t step = 1;
  if (c->t != JV_UNDEF && c->t != JV_NONE) {
    if (c->t != JV_INT) jr_fail(r, SK_EINVAL, "slice step must be an integer");
    step = c->u.i;
    if (step == 0) jr_fail(r, SK_EINVAL, "slice step cannot be zero");
  }
  size_t n = 0, *offs = NULL;
  if (obj->t == JV_LIST) n = obj->u.l->n;
  else if (obj->t == JV_STR) offs = char_offsets(r, obj, &n);
  else if (obj->t == JV_UNDEF) return jv_undef();
  else jr_fail(r, SK_EINVAL, "cannot slice a %s", jv_type_name(obj->t));
  int64_t len = (int64_t)n;
  int64_t lo = step > 0 ? 0 : len - 1, hi = step > 0 ? len : -1;
  if (a->t == JV_INT) {
    lo = norm_index(a->u.i, len);
    if (step > 0) lo = lo < 0 ? 0 : lo > len ? len : lo;
    else lo = lo < -1 ? -1 : lo > len - 1 ? len - 1 : lo;
  }
  if (b->t == JV_INT) {
    hi = norm_index(b->u.i, len);
    if (step > 0) hi = hi < 0 ? 0 : hi > len ? len : hi;
    else hi = hi < -1 ? -1 : hi > len - 1 ? len - 1 : hi;
  }
  if (obj->t == JV_LIST) {
    jlist *l = jl_new(r, 4);
    for (int64_t i = lo; step > 0 ? i < hi : i > hi; i += step) jl_push(r, l, obj->u.l->v[i]);
    return (jv){.t = JV_LIST, .u.l = l};
  }
  jsb sb = {0};
  for (int64_t i = lo; step > 0 ? i < hi : i > hi; i += step)
    sb_put(r, &sb, obj->u.s.p + offs[i], offs[i + 1] - offs[i]);
  return jv_str(sb.p ? sb.p : "", sb.n);
}

/* ---- operators ---- */
static jv arith(jrt *r, int op, const jv *a, const jv *b) {
  if (op == OP_ADD && a->t == JV_STR && b->t == JV_STR) {
    size_t n = a->u.s.n + b->u.s.n;
    if (n > r->max_output) jr_fail(r, SK_ELIMIT, "string longer than %zu bytes", r->max_output);
    char *p = jr_alloc(r, n + 1);
    memcpy(p, a->u.s.p, a->u.s.n);
    memcpy(p + a->u.s.n, b->u.s.p, b->u.s.n);
    return jv_str(p, n);
  }
  if (op == OP_ADD && a->t == JV_LIST && b->t == JV_LIST) {
    jlist *l = jl_new(r, a->u.l->n + b->u.l->n);
    for (size_t i = 0; i < a->u.l->n; i++) jl_push(r, l, a->u.l->v[i]);
    for (size_t i = 0; i < b->u.l->n; i++) jl_push(r, l, b->u.l->v[i]);
    return (jv){.t = JV_LIST, .u.l = l};
  }
  if (op == OP_MUL && ((a->t == JV_STR && b->t == JV_INT) || (a->t == JV_INT && b->t == JV_STR))) {
    const jv *s = a->t == JV_STR ? a : b;
    int64_t k = a->t == JV_INT ? a->u.i : b->u.i;
    jsb sb = {0};
    for (int64_t i = 0; i < k; i++) {
      jr_step(r);
      sb_put(r, &sb, s->u.s.p, s->u.s.n);
    }
    return jv_str(sb.p ? sb.p : "", sb.n);
  }
  if (!is_num(a) || !is_num(b))
    jr_fail(r, SK_EINVAL, "unsupported operand types %s and %s", jv_type_name(a->t),
            jv_type_name(b->t));
  if (a->t != JV_FLOAT && b->t != JV_FLOAT && op != OP_DIV) {
    int64_t x = a->u.i, y = b->u.i, z = 0;
    switch (op) {
      case OP_ADD: if (__builtin_add_overflow(x, y, &z)) goto ovf; return jv_int(z);
      case OP_SUB: if (__builtin_sub_overflow(x, y, &z)) goto ovf; return jv_int(z);
      case OP_MUL: if (__builtin_mul_overflow(x, y, &z)) goto ovf; return jv_int(z);
      case OP_FLOORDIV: case OP_MOD: {
        if (y == 0) jr_fail(r, SK_EINVAL, "integer division or modulo by zero");
        if (x == INT64_MIN && y == -1) goto ovf;
        int64_t q = x / y, m = x % y;
        if (m != 0 && ((m < 0) != (y < 0))) {
          q--;
          m += y;
        }
        return jv_int(op == OP_MOD ? m : q);
      }
      case OP_POW: {
        if (y < 0) return jv_float(pow((double)x, (double)y));
        z = 1;
        for (int64_t i = 0; i < y; i++) {
          jr_step(r);
          if (__builtin_mul_overflow(z, x, &z)) goto ovf;
          if (z == 0 || z == 1) break;
        }
        return jv_int(z);
      }
      default: break;
    }
  }
  double x = num(a), y = num(b);
  switch (op) {
    case OP_ADD: return jv_float(x + y);
    case OP_SUB: return jv_float(x - y);
    case OP_MUL: return jv_float(x * y);
    case OP_DIV:
      if (y == 0) jr_fail(r, SK_EINVAL, "division by zero");
      return jv_float(x / y);
    case OP_FLOORDIV:
      if (y == 0) jr_fail(r, SK_EINVAL, "division by zero");
      return jv_float(floor(x / y));
    case OP_MOD:
      if (y == 0) jr_fail(r, SK_EINVAL, "modulo by zero");
      return jv_float(x - floor(x / y) * y);
    case OP_POW: return jv_float(pow(x, y));
    default: break;
  }
ovf:
  jr_fail(r, SK_ERANGE, "integer overflow");
}

static int compare(jrt *r, int op, const jv *a, const jv *b) {
  int c;
  if (is_num(a) && is_num(b)) {
    double x = num(a), y = num(b);
    c = x < y ? -1 : x > y ? 1 : 0;
  } else if (a->t == JV_STR && b->t == JV_STR) {
    size_t m = a->u.s.n < b->u.s.n ? a->u.s.n : b->u.s.n;
    c = memcmp(a->u.s.p, b->u.s.p, m);
    if (c == 0) c = a->u.s.n < b->u.s.n ? -1 : a->u.s.n > b->u.s.n ? 1 : 0;
  } else {
    jr_fail(r, SK_EINVAL, "cannot compare %s with %s", jv_type_name(a->t), jv_type_name(b->t));
  }
  switch (op) {
    case OP_LT: return c < 0;
    case OP_LE: return c <= 0;
    case OP_GT: return c > 0;
    default: return c >= 0;
  }
}

int jv_contains(jrt *r, const jv *hay, const jv *needle);
int jv_contains(jrt *r, const jv *hay, const jv *needle) {
  switch (hay->t) {
    case JV_STR:
      if (needle->t != JV_STR) jr_fail(r, SK_EINVAL, "'in <string>' needs a string on the left");
      return needle->u.s.n == 0 || memmem(hay->u.s.p, hay->u.s.n, needle->u.s.p, needle->u.s.n);
    case JV_LIST:
      for (size_t i = 0; i < hay->u.l->n; i++)
        if (jv_equal(&hay->u.l->v[i], needle)) return 1;
      return 0;
    case JV_DICT: case JV_NS: {
      jv o;
      return needle->t == JV_STR && jd_get(hay->u.d, needle->u.s.p, needle->u.s.n, &o);
    }
    case JV_UNDEF: case JV_NONE: return 0;
    default: jr_fail(r, SK_EINVAL, "'in' needs a string, list or dict, not a %s", jv_type_name(hay->t));
  }
}

/* ---- evaluation ---- */
static jv eval(jrt *r, const jnode *n);
static void exec_body(jrt *r, const jnode *s);

static void enter(jrt *r) {
  if (++r->depth > JINJA_MAX_EVAL_DEPTH)
    jr_fail(r, SK_ELIMIT, "recursion deeper than %d", JINJA_MAX_EVAL_DEPTH);
}

static void build_args(jrt *r, const jnode *args, jargs *out) {
  size_t np = 0, nk = 0;
  for (const jnode *a = args; a; a = a->next) {
    if (a->kind == N_KWARG) nk++;
    else np++;
  }
  out->pos = jr_alloc(r, (np + 1) * sizeof *out->pos);
  out->kw = jr_alloc(r, (nk + 1) * sizeof *out->kw);
  out->kw_names = jr_alloc(r, (nk + 1) * sizeof *out->kw_names);
  out->npos = out->nkw = 0;
  for (const jnode *a = args; a; a = a->next) {
    if (a->kind == N_KWARG) {
      out->kw_names[out->nkw] = a->str;
      out->kw[out->nkw++] = eval(r, a->a);
    } else {
      out->pos[out->npos++] = eval(r, a);
    }
  }
}

static jv call_macro(jrt *r, const jnode *m, const jargs *a) {
  enter(r);
  size_t saved_frame = r->frame, saved_n = r->n_vars;
  /* evaluate defaults in the caller's scope first, then open the macro's frame */
  size_t i = 0;
  jv vals[64];
  const char *names[64];
  size_t nparams = 0;
  for (const jnode *par = m->args; par; par = par->next, i++) {
    if (nparams == 64) jr_fail(r, SK_ELIMIT, "macro %s has more than 64 parameters", m->str);
    jv v = jv_undef();
    int found = 0;
    for (size_t k = 0; k < a->nkw; k++)
      if (!strcmp(a->kw_names[k], par->str)) {
        v = a->kw[k];
        found = 1;
      }
    if (!found && i < a->npos) v = a->pos[i];
    else if (!found && par->a) v = eval(r, par->a);
    names[nparams] = par->str;
    vals[nparams++] = v;
  }
  r->frame = r->n_vars;
  for (size_t k = 0; k < nparams; k++) set_var(r, names[k], vals[k]);
  jsb *saved_out = r->out, body = {0};
  r->out = &body;
  exec_body(r, m->body);
  r->ctl = 0;
  r->out = saved_out;
  r->n_vars = saved_n;
  r->frame = saved_frame;
  r->depth--;
  return jv_str(body.p ? body.p : "", body.n);
}

static jv call_value(jrt *r, const jv *f, const jargs *a, const char *what) {
  if (f->t == JV_FUNC) return jb_call_global(r, (int)f->u.i, a);
  if (f->t == JV_MACRO) return call_macro(r, f->u.mac, a);
  if (f->t == JV_UNDEF) jr_fail(r, SK_EINVAL, "'%s' is undefined", what);
  jr_fail(r, SK_EINVAL, "'%s' (a %s) is not callable", what, jv_type_name(f->t));
}

static jv eval(jrt *r, const jnode *n) {
  jr_step(r);
  r->line = n->line;
  jv v, w;
  switch (n->kind) {
    case N_LIT: return n->v;
    case N_NAME:
      if (lookup(r, n->str, &v)) return v;
      {
        int fn = jb_global_id(n->str);
        if (fn) return (jv){.t = JV_FUNC, .u.i = fn};
      }
      return jv_undef();
    case N_ATTR:
      v = eval(r, n->a);
      return get_attr(r, &v, n->str);
    case N_INDEX:
      v = eval(r, n->a);
      w = eval(r, n->b);
      return get_item(r, &v, &w);
    case N_SLICE: {
      v = eval(r, n->a);
      jv a = n->b ? eval(r, n->b) : jv_undef(), b = n->c ? eval(r, n->c) : jv_undef(),
         c = n->d ? eval(r, n->d) : jv_undef();
      return do_slice(r, &v, &a, &b, &c);
    }
    case N_CALL: {
      jargs a;
      enter(r);
      if (n->a->kind == N_ATTR) {
        v = eval(r, n->a->a);
        build_args(r, n->args, &a);
        int found = 0;
        w = jb_method(r, &v, n->a->str, &a, &found);
        if (!found) {
          jv f = get_attr(r, &v, n->a->str);
          w = call_value(r, &f, &a, n->a->str);
        }
      } else {
        jv f = eval(r, n->a);
        build_args(r, n->args, &a);
        w = call_value(r, &f, &a, n->a->kind == N_NAME ? n->a->str : "expression");
      }
      r->depth--;
      return w;
    }
    case N_FILTER: {
      jargs a;
      enter(r);
      v = eval(r, n->a);
      build_args(r, n->args, &a);
      w = jb_filter(r, n->str, v, &a);
      r->depth--;
      return w;
    }
    case N_TEST: {
      jargs a;
      enter(r);
      v = eval(r, n->a);
      build_args(r, n->args, &a);
      int t = jb_test(r, n->str, &v, &a);
      r->depth--;
      return jv_bool(n->op ? !t : t);
    }
    case N_UNARY:
      v = eval(r, n->a);
      if (n->op == OP_NOT) return jv_bool(!jv_truthy(&v));
      if (v.t == JV_INT || v.t == JV_BOOL) {
        if (n->op == OP_POS) return jv_int(v.u.i);
        if (v.u.i == INT64_MIN) jr_fail(r, SK_ERANGE, "integer overflow");
        return jv_int(-v.u.i);
      }
      if (v.t == JV_FLOAT) return jv_float(n->op == OP_NEG ? -v.u.f : v.u.f);
      jr_fail(r, SK_EINVAL, "bad operand type for unary -: %s", jv_type_name(v.t));
    case N_BINARY:
      v = eval(r, n->a);
      if (n->op == OP_AND) return jv_truthy(&v) ? eval(r, n->b) : v;
      if (n->op == OP_OR) return jv_truthy(&v) ? v : eval(r, n->b);
      w = eval(r, n->b);
      r->line = n->line;
      switch (n->op) {
        case OP_EQ: return jv_bool(jv_equal(&v, &w));
        case OP_NE: return jv_bool(!jv_equal(&v, &w));
        case OP_LT: case OP_LE: case OP_GT: case OP_GE: return jv_bool(compare(r, n->op, &v, &w));
        case OP_IN: return jv_bool(jv_contains(r, &w, &v));
        case OP_NOTIN: return jv_bool(!jv_contains(r, &w, &v));
        case OP_CONCAT: {
          jsb sb = {0};
          jv_to_sb(r, &sb, &v, 0);
          jv_to_sb(r, &sb, &w, 0);
          return jv_str(sb.p ? sb.p : "", sb.n);
        }
        default: return arith(r, n->op, &v, &w);
      }
    case N_COND:
      v = eval(r, n->b);
      if (jv_truthy(&v)) return eval(r, n->a);
      return n->c ? eval(r, n->c) : jv_undef();
    case N_LIST: {
      jlist *l = jl_new(r, 4);
      for (const jnode *a = n->args; a; a = a->next) jl_push(r, l, eval(r, a));
      return (jv){.t = JV_LIST, .u.l = l};
    }
    case N_DICT: {
      jdict *d = jd_new(r, 4);
      for (const jnode *a = n->args; a && a->next; a = a->next->next) {
        jv k = eval(r, a), val = eval(r, a->next);
        jd_set(r, d, k, val);
      }
      return (jv){.t = JV_DICT, .u.d = d};
    }
    default: jr_fail(r, SK_EINVAL, "internal: unexpected node %d in an expression", n->kind);
  }
}

static void unpack_pair(jrt *r, const jnode *n, const jv *item) {
  if (item->t != JV_LIST || item->u.l->n != 2)
    jr_fail(r, SK_EINVAL, "cannot unpack a %s into %s, %s", jv_type_name(item->t), n->str, n->str2);
  set_var(r, n->str, item->u.l->v[0]);
  set_var(r, n->str2, item->u.l->v[1]);
}

static void exec_for(jrt *r, const jnode *n) {
  jv it = eval(r, n->a);
  jlist *src = jv_iter_list(r, &it);
  size_t saved_frame = r->frame, saved_n = r->n_vars;
  r->frame = r->n_vars;
  jlist *items = src;
  if (n->b) { /* {% for x in xs if cond %}: loop.* counts only the kept items */
    items = jl_new(r, src->n);
    for (size_t i = 0; i < src->n; i++) {
      jr_step(r);
      if (n->pair) unpack_pair(r, n, &src->v[i]);
      else set_var(r, n->str, src->v[i]);
      jv c = eval(r, n->b);
      if (jv_truthy(&c)) jl_push(r, items, src->v[i]);
    }
  }
  jloop *lp = jr_alloc(r, sizeof *lp);
  lp->length = (int64_t)items->n;
  set_var(r, "loop", (jv){.t = JV_LOOP, .u.loop = lp});
  for (size_t i = 0; i < items->n; i++) {
    jr_step(r);
    lp->index0 = (int64_t)i;
    lp->prev = i ? items->v[i - 1] : jv_undef();
    lp->next = i + 1 < items->n ? items->v[i + 1] : jv_undef();
    if (n->pair) unpack_pair(r, n, &items->v[i]);
    else set_var(r, n->str, items->v[i]);
    exec_body(r, n->body);
    if (r->ctl == 1) {
      r->ctl = 0;
      break;
    }
    r->ctl = 0;
  }
  if (items->n == 0 && n->body2) exec_body(r, n->body2);
  r->n_vars = saved_n;
  r->frame = saved_frame;
}

static void exec_stmt(jrt *r, const jnode *n) {
  jr_step(r);
  r->line = n->line;
  switch (n->kind) {
    case N_TEXT: sb_put(r, r->out, n->str, n->str_len); return;
    case N_OUTPUT: {
      jv v = eval(r, n->a);
      jv_to_sb(r, r->out, &v, 0);
      return;
    }
    case N_IF: {
      jv c = eval(r, n->a);
      enter(r);
      exec_body(r, jv_truthy(&c) ? n->body : n->body2);
      r->depth--;
      return;
    }
    case N_FOR:
      enter(r);
      exec_for(r, n);
      r->depth--;
      return;
    case N_SET: {
      jv v = eval(r, n->a);
      if (n->pair) {
        unpack_pair(r, n, &v);
      } else if (n->str2) {
        jv ns;
        if (!lookup(r, n->str, &ns) || ns.t != JV_NS)
          jr_fail(r, SK_EINVAL, "cannot set %s.%s: %s is not a namespace", n->str, n->str2, n->str);
        jd_set(r, ns.u.d, jv_strz(n->str2), v);
      } else {
        set_var(r, n->str, v);
      }
      return;
    }
    case N_SETBLOCK: {
      jsb *saved = r->out, body = {0};
      r->out = &body;
      enter(r);
      exec_body(r, n->body);
      r->depth--;
      r->out = saved;
      set_var(r, n->str, jv_str(body.p ? body.p : "", body.n));
      return;
    }
    case N_MACRO: set_var(r, n->str, (jv){.t = JV_MACRO, .u.mac = n}); return;
    case N_BREAK: r->ctl = 1; return;
    case N_CONTINUE: r->ctl = 2; return;
    default: jr_fail(r, SK_EINVAL, "internal: unexpected node %d as a statement", n->kind);
  }
}

static void exec_body(jrt *r, const jnode *s) {
  for (; s && !r->ctl; s = s->next) exec_stmt(r, s);
}

int jinja_render_chat(const jinja_template *t, const jinja_chat_ctx *ctx, const jinja_limits *lim,
                      sk_buf *out, sk_err *err) {
  jrt *r = sk_calloc(1, sizeof *r);
  if (!r) return sk_err_set(err, SK_ENOMEM, "out of memory");
  r->err = err;
  r->max_steps = lim && lim->max_steps ? lim->max_steps : JINJA_DEFAULT_MAX_STEPS;
  r->max_output = lim && lim->max_output_bytes ? lim->max_output_bytes : JINJA_DEFAULT_MAX_OUTPUT;
  ja_init(&r->arena, lim && lim->max_memory_bytes ? lim->max_memory_bytes : JINJA_DEFAULT_MAX_MEMORY);
  int rc;
  if (setjmp(r->jb)) {
    rc = r->code;
    goto done;
  }
  jsb *body = jr_alloc(r, sizeof *body);
  r->out = body;
  jlist *msgs = jl_new(r, ctx->n_msgs);
  for (size_t i = 0; i < ctx->n_msgs; i++) {
    jdict *d = jd_new(r, 2);
    const char *role = ctx->msgs[i].role ? ctx->msgs[i].role : "";
    const char *content = ctx->msgs[i].content ? ctx->msgs[i].content : "";
    jd_set(r, d, jv_strz("role"), jv_strz(role));
    jd_set(r, d, jv_strz("content"), jv_strz(content));
    jl_push(r, msgs, (jv){.t = JV_DICT, .u.d = d});
  }
  set_var(r, "messages", (jv){.t = JV_LIST, .u.l = msgs});
  set_var(r, "add_generation_prompt", jv_bool(ctx->add_generation_prompt));
  set_var(r, "bos_token", jv_strz(ctx->bos_token ? ctx->bos_token : ""));
  set_var(r, "eos_token", jv_strz(ctx->eos_token ? ctx->eos_token : ""));
  if (ctx->enable_thinking >= 0) set_var(r, "enable_thinking", jv_bool(ctx->enable_thinking));
  r->frame = r->n_vars; /* template-level sets shadow, never replace, the context */
  exec_body(r, t->root);
  rc = sk_buf_append(out, body->p ? body->p : "", body->n);
  if (rc) rc = sk_err_set(err, rc, "rendered prompt (%zu bytes) does not fit the output buffer", body->n);
done:
  ja_release(&r->arena);
  sk_free(r);
  return rc;
}
