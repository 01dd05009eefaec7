/* jinja_builtins.c — the filters, tests, methods and global functions chat templates use.
 * Unknown names are render-time errors naming the filter/test/method, so a template that uses
 * something exotic in a branch it never takes still renders. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/jinja/jinja_int.h"

size_t jv_str_chars(const jv *v);
jlist *jv_iter_list(jrt *r, const jv *v);
int jv_contains(jrt *r, const jv *hay, const jv *needle);

static const jv *arg(const jargs *a, size_t i, const char *kw) {
  for (size_t k = 0; kw && k < a->nkw; k++)
    if (!strcmp(a->kw_names[k], kw)) return &a->kw[k];
  return i < a->npos ? &a->pos[i] : NULL;
}

static jv need_str(jrt *r, const jv *v, const char *what) {
  if (!v || v->t != JV_STR) jr_fail(r, SK_EINVAL, "%s expects a string, got a %s", what, v ? jv_type_name(v->t) : "nothing");
  return *v;
}

static int in_set(char c, const jv *chars) {
  if (!chars) return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  return memchr(chars->u.s.p, c, chars->u.s.n) != NULL;
}

/* strip/lstrip/rstrip (bytes: the default set and typical arguments are ASCII). */
static jv strip(jv s, const jv *chars, int left, int right) {
  size_t a = 0, b = s.u.s.n;
  if (left)
    while (a < b && in_set(s.u.s.p[a], chars)) a++;
  if (right)
    while (b > a && in_set(s.u.s.p[b - 1], chars)) b--;
  return jv_str(s.u.s.p + a, b - a);
}

static jv case_map(jrt *r, jv s, int mode /* 0 lower 1 upper 2 capitalize 3 title */) {
  char *p = jr_alloc(r, s.u.s.n + 1);
  int start = 1;
  for (size_t i = 0; i < s.u.s.n; i++) {
    unsigned char c = (unsigned char)s.u.s.p[i];
    if (c >= 0x80) {
      p[i] = (char)c;
      start = 0;
      continue;
    }
    int up = mode == 1 || ((mode == 2 && i == 0) || (mode == 3 && start));
    p[i] = (char)(up ? toupper(c) : (mode == 0 || mode >= 2) ? tolower(c) : c);
    start = !isalnum(c);
  }
  return jv_str(p, s.u.s.n);
}

static jv replace(jrt *r, jv s, jv from, jv to) {
  jsb b = {0};
  if (from.u.s.n == 0) return s;
  size_t i = 0;
  while (i < s.u.s.n) {
    jr_step(r);
    const char *hit = memmem(s.u.s.p + i, s.u.s.n - i, from.u.s.p, from.u.s.n);
    if (!hit) break;
    size_t at = (size_t)(hit - s.u.s.p);
    sb_put(r, &b, s.u.s.p + i, at - i);
    sb_put(r, &b, to.u.s.p, to.u.s.n);
    i = at + from.u.s.n;
  }
  sb_put(r, &b, s.u.s.p + i, s.u.s.n - i);
  return jv_str(b.p ? b.p : "", b.n);
}

static jv split(jrt *r, jv s, const jv *sep, const jv *maxsplit) {
  jlist *l = jl_new(r, 4);
  int64_t max = maxsplit && maxsplit->t == JV_INT ? maxsplit->u.i : -1;
  if (!sep || sep->t == JV_NONE) { /* whitespace runs, no empty strings */
    size_t i = 0;
    while (i < s.u.s.n) {
      while (i < s.u.s.n && in_set(s.u.s.p[i], NULL)) i++;
      if (i >= s.u.s.n) break;
      size_t j = i;
      if (max >= 0 && (int64_t)l->n >= max) j = s.u.s.n;
      else
        while (j < s.u.s.n && !in_set(s.u.s.p[j], NULL)) j++;
      jl_push(r, l, jv_str(s.u.s.p + i, j - i));
      i = j;
    }
    return (jv){.t = JV_LIST, .u.l = l};
  }
  jv d = need_str(r, sep, "split");
  if (d.u.s.n == 0) jr_fail(r, SK_EINVAL, "split: empty separator");
  size_t i = 0;
  for (;;) {
    jr_step(r);
    const char *hit = (max < 0 || (int64_t)l->n < max)
                          ? memmem(s.u.s.p + i, s.u.s.n - i, d.u.s.p, d.u.s.n) : NULL;
    if (!hit) break;
    size_t at = (size_t)(hit - s.u.s.p);
    jl_push(r, l, jv_str(s.u.s.p + i, at - i));
    i = at + d.u.s.n;
  }
  jl_push(r, l, jv_str(s.u.s.p + i, s.u.s.n - i));
  return (jv){.t = JV_LIST, .u.l = l};
}

static int starts(jv s, jv p) { return p.u.s.n <= s.u.s.n && !memcmp(s.u.s.p, p.u.s.p, p.u.s.n); }
static int ends(jv s, jv p) {
  return p.u.s.n <= s.u.s.n && !memcmp(s.u.s.p + s.u.s.n - p.u.s.n, p.u.s.p, p.u.s.n);
}

static jv items_of(jrt *r, const jv *d) {
  jlist *l = jl_new(r, d->u.d->n);
  for (size_t i = 0; i < d->u.d->n; i++) {
    jlist *pair = jl_new(r, 2);
    jl_push(r, pair, d->u.d->keys[i]);
    jl_push(r, pair, d->u.d->vals[i]);
    jl_push(r, l, (jv){.t = JV_LIST, .u.l = pair});
  }
  return (jv){.t = JV_LIST, .u.l = l};
}

jv jb_method(jrt *r, const jv *obj, const char *m, const jargs *a, int *found) {
  *found = 1;
  if (obj->t == JV_STR) {
    jv s = *obj;
    if (!strcmp(m, "strip")) return strip(s, arg(a, 0, NULL), 1, 1);
    if (!strcmp(m, "lstrip")) return strip(s, arg(a, 0, NULL), 1, 0);
    if (!strcmp(m, "rstrip")) return strip(s, arg(a, 0, NULL), 0, 1);
    if (!strcmp(m, "lower")) return case_map(r, s, 0);
    if (!strcmp(m, "upper")) return case_map(r, s, 1);
    if (!strcmp(m, "capitalize")) return case_map(r, s, 2);
    if (!strcmp(m, "title")) return case_map(r, s, 3);
    if (!strcmp(m, "split")) return split(r, s, arg(a, 0, "sep"), arg(a, 1, "maxsplit"));
    if (!strcmp(m, "startswith")) return jv_bool(starts(s, need_str(r, arg(a, 0, NULL), "startswith")));
    if (!strcmp(m, "endswith")) return jv_bool(ends(s, need_str(r, arg(a, 0, NULL), "endswith")));
    if (!strcmp(m, "replace"))
      return replace(r, s, need_str(r, arg(a, 0, NULL), "replace"), need_str(r, arg(a, 1, NULL), "replace"));
    if (!strcmp(m, "find")) {
      jv n = need_str(r, arg(a, 0, NULL), "find");
      const char *hit = memmem(s.u.s.p, s.u.s.n, n.u.s.p, n.u.s.n);
      return jv_int(hit ? (int64_t)(hit - s.u.s.p) : -1);
    }
  } else if (obj->t == JV_DICT || obj->t == JV_NS) {
    if (!strcmp(m, "items")) return items_of(r, obj);
    if (!strcmp(m, "keys") || !strcmp(m, "values")) {
      jlist *l = jl_new(r, obj->u.d->n);
      for (size_t i = 0; i < obj->u.d->n; i++)
        jl_push(r, l, m[0] == 'k' ? obj->u.d->keys[i] : obj->u.d->vals[i]);
      return (jv){.t = JV_LIST, .u.l = l};
    }
    if (!strcmp(m, "get")) {
      const jv *k = arg(a, 0, NULL), *def = arg(a, 1, NULL);
      jv out;
      if (k && k->t == JV_STR && jd_get(obj->u.d, k->u.s.p, k->u.s.n, &out)) return out;
      return def ? *def : jv_none();
    }
  } else if (obj->t == JV_LIST) {
    if (!strcmp(m, "append")) {
      const jv *x = arg(a, 0, NULL);
      if (!x) jr_fail(r, SK_EINVAL, "append needs an argument");
      jl_push(r, obj->u.l, *x);
      return jv_none();
    }
  }
  *found = 0;
  return jv_undef();
}

static int64_t length_of(jrt *r, const jv *v) {
  switch (v->t) {
    case JV_STR: return (int64_t)jv_str_chars(v);
    case JV_LIST: return (int64_t)v->u.l->n;
    case JV_DICT: case JV_NS: return (int64_t)v->u.d->n;
    case JV_UNDEF: return 0;
    default: jr_fail(r, SK_EINVAL, "a %s has no length", jv_type_name(v->t));
  }
}

int jb_test(jrt *r, const char *t, const jv *v, const jargs *a) {
  const jv *x = arg(a, 0, NULL);
  if (!strcmp(t, "defined")) return v->t != JV_UNDEF;
  if (!strcmp(t, "undefined")) return v->t == JV_UNDEF;
  if (!strcmp(t, "none")) return v->t == JV_NONE;
  if (!strcmp(t, "string")) return v->t == JV_STR;
  if (!strcmp(t, "number")) return v->t == JV_INT || v->t == JV_FLOAT;
  if (!strcmp(t, "integer")) return v->t == JV_INT;
  if (!strcmp(t, "float")) return v->t == JV_FLOAT;
  if (!strcmp(t, "boolean")) return v->t == JV_BOOL;
  if (!strcmp(t, "true")) return v->t == JV_BOOL && v->u.i;
  if (!strcmp(t, "false")) return v->t == JV_BOOL && !v->u.i;
  if (!strcmp(t, "mapping")) return v->t == JV_DICT || v->t == JV_NS;
  if (!strcmp(t, "iterable")) return v->t == JV_STR || v->t == JV_LIST || v->t == JV_DICT || v->t == JV_NS;
  if (!strcmp(t, "sequence")) return v->t == JV_STR || v->t == JV_LIST || v->t == JV_DICT;
  if (!strcmp(t, "callable")) return v->t == JV_MACRO || v->t == JV_FUNC;
  if (!strcmp(t, "lower") || !strcmp(t, "upper")) {
    if (v->t != JV_STR) return 0;
    for (size_t i = 0; i < v->u.s.n; i++)
      if (t[0] == 'l' ? isupper((unsigned char)v->u.s.p[i]) : islower((unsigned char)v->u.s.p[i])) return 0;
    return 1;
  }
  if (!strcmp(t, "odd") || !strcmp(t, "even")) {
    if (v->t != JV_INT) jr_fail(r, SK_EINVAL, "test %s needs an integer", t);
    return (v->u.i % 2 != 0) == (t[0] == 'o');
  }
  if (!strcmp(t, "divisibleby")) {
    if (v->t != JV_INT || !x || x->t != JV_INT || x->u.i == 0)
      jr_fail(r, SK_EINVAL, "divisibleby needs non-zero integers");
    return x->u.i == -1 || v->u.i % x->u.i == 0;
  }
  if (!x && (!strcmp(t, "equalto") || !strcmp(t, "eq") || !strcmp(t, "==") || !strcmp(t, "ne") ||
             !strcmp(t, "sameas") || !strcmp(t, "in") || !strcmp(t, "lt") || !strcmp(t, "gt") ||
             !strcmp(t, "le") || !strcmp(t, "ge")))
    jr_fail(r, SK_EINVAL, "test %s needs an argument", t);
  if (!strcmp(t, "equalto") || !strcmp(t, "eq") || !strcmp(t, "sameas")) return jv_equal(v, x);
  if (!strcmp(t, "ne")) return !jv_equal(v, x);
  if (!strcmp(t, "in")) return jv_contains(r, x, v);
  if (!strcmp(t, "lt") || !strcmp(t, "gt") || !strcmp(t, "le") || !strcmp(t, "ge")) {
    if ((v->t == JV_INT || v->t == JV_FLOAT) && (x->t == JV_INT || x->t == JV_FLOAT)) {
      double p = v->t == JV_INT ? (double)v->u.i : v->u.f, q = x->t == JV_INT ? (double)x->u.i : x->u.f;
      return t[0] == 'l' ? (t[1] == 't' ? p < q : p <= q) : (t[1] == 't' ? p > q : p >= q);
    }
    jr_fail(r, SK_EINVAL, "test %s needs numbers", t);
  }
  jr_fail(r, SK_ENOTSUP, "unknown test '%s'", t);
}

/* select/reject/selectattr/rejectattr/map share the walk. */
static jv filter_seq(jrt *r, const char *f, jv obj, const jargs *a) {
  jlist *src = jv_iter_list(r, &obj), *out = jl_new(r, src->n);
  int attr = !strcmp(f, "selectattr") || !strcmp(f, "rejectattr");
  int keep_if = f[0] == 's';
  if (!strcmp(f, "map")) {
    const jv *at = arg(a, 99, "attribute");
    for (size_t i = 0; i < src->n; i++) {
      jr_step(r);
      jv it = src->v[i], res;
      if (at) {
        jv k = need_str(r, at, "map(attribute=)");
        res = (it.t == JV_DICT || it.t == JV_NS) && jd_get(it.u.d, k.u.s.p, k.u.s.n, &res) ? res : jv_undef();
        if (res.t == JV_UNDEF) {
          const jv *def = arg(a, 99, "default");
          if (def) res = *def;
        }
      } else {
        jv fname = need_str(r, arg(a, 0, NULL), "map");
        char name[64];
        size_t nn = fname.u.s.n < sizeof name - 1 ? fname.u.s.n : sizeof name - 1;
        memcpy(name, fname.u.s.p, nn);
        name[nn] = '\0';
        jargs rest = {a->pos + 1, a->npos - 1, a->kw_names, a->kw, a->nkw};
        res = jb_filter(r, name, it, &rest);
      }
      jl_push(r, out, res);
    }
    return (jv){.t = JV_LIST, .u.l = out};
  }
  size_t first = attr ? 1 : 0;
  const jv *tname = arg(a, first, NULL);
  char name[64] = "";
  if (tname) {
    jv tn = need_str(r, tname, f);
    size_t nn = tn.u.s.n < sizeof name - 1 ? tn.u.s.n : sizeof name - 1;
    memcpy(name, tn.u.s.p, nn);
    name[nn] = '\0';
  }
  jargs rest = {a->pos + (a->npos > first + 1 ? first + 1 : a->npos),
                a->npos > first + 1 ? a->npos - first - 1 : 0, NULL, NULL, 0};
  for (size_t i = 0; i < src->n; i++) {
    jr_step(r);
    jv it = src->v[i], subject = it;
    if (attr) {
      jv k = need_str(r, arg(a, 0, NULL), f);
      if (!((it.t == JV_DICT || it.t == JV_NS) && jd_get(it.u.d, k.u.s.p, k.u.s.n, &subject)))
        subject = jv_undef();
    }
    int ok = tname ? jb_test(r, name, &subject, &rest) : jv_truthy(&subject);
    if (ok == keep_if) jl_push(r, out, it);
  }
  return (jv){.t = JV_LIST, .u.l = out};
}

jv jb_filter(jrt *r, const char *f, jv v, const jargs *a) {
  if (!strcmp(f, "trim")) return strip(need_str(r, &v, "trim"), arg(a, 0, "chars"), 1, 1);
  if (!strcmp(f, "length") || !strcmp(f, "count")) return jv_int(length_of(r, &v));
  if (!strcmp(f, "safe") || !strcmp(f, "e") || !strcmp(f, "escape")) {
    if (f[0] == 's') return v;
    jv s = jv_to_str(r, &v);
    jv out = replace(r, s, jv_strz("&"), jv_strz("&amp;"));
    out = replace(r, out, jv_strz("<"), jv_strz("&lt;"));
    out = replace(r, out, jv_strz(">"), jv_strz("&gt;"));
    out = replace(r, out, jv_strz("\""), jv_strz("&#34;"));
    return replace(r, out, jv_strz("'"), jv_strz("&#39;"));
  }
  if (!strcmp(f, "string")) return jv_to_str(r, &v);
  if (!strcmp(f, "upper")) return case_map(r, jv_to_str(r, &v), 1);
  if (!strcmp(f, "lower")) return case_map(r, jv_to_str(r, &v), 0);
  if (!strcmp(f, "capitalize")) return case_map(r, jv_to_str(r, &v), 2);
  if (!strcmp(f, "title")) return case_map(r, jv_to_str(r, &v), 3);
  if (!strcmp(f, "replace"))
    return replace(r, need_str(r, &v, "replace"), need_str(r, arg(a, 0, NULL), "replace"),
                   need_str(r, arg(a, 1, NULL), "replace"));
  if (!strcmp(f, "default") || !strcmp(f, "d")) {
    const jv *def = arg(a, 0, "default_value"), *boolean = arg(a, 1, "boolean");
    int use = v.t == JV_UNDEF || (boolean && jv_truthy(boolean) && !jv_truthy(&v));
    return use ? (def ? *def : jv_str("", 0)) : v;
  }
  if (!strcmp(f, "tojson")) {
    const jv *ind = arg(a, 0, "indent");
    int indent = ind && ind->t == JV_INT ? (int)(ind->u.i < 0 ? 0 : ind->u.i > 16 ? 16 : ind->u.i) : 0;
    jsb b = {0};
    jv_tojson(r, &b, &v, indent, 0);
    return jv_str(b.p ? b.p : "", b.n);
  }
  if (!strcmp(f, "join")) {
    jlist *l = jv_iter_list(r, &v);
    const jv *sep = arg(a, 0, "d");
    jsb b = {0};
    for (size_t i = 0; i < l->n; i++) {
      if (i && sep) jv_to_sb(r, &b, sep, 0);
      jv_to_sb(r, &b, &l->v[i], 0);
    }
    return jv_str(b.p ? b.p : "", b.n);
  }
  if (!strcmp(f, "first") || !strcmp(f, "last")) {
    jlist *l = jv_iter_list(r, &v);
    if (!l->n) return jv_undef();
    return f[0] == 'f' ? l->v[0] : l->v[l->n - 1];
  }
  if (!strcmp(f, "list")) return (jv){.t = JV_LIST, .u.l = jv_iter_list(r, &v)};
  if (!strcmp(f, "reverse")) {
    jlist *l = jv_iter_list(r, &v), *o = jl_new(r, l->n);
    for (size_t i = l->n; i-- > 0;) jl_push(r, o, l->v[i]);
    if (v.t == JV_STR) {
      jsb b = {0};
      for (size_t i = 0; i < o->n; i++) sb_put(r, &b, o->v[i].u.s.p, o->v[i].u.s.n);
      return jv_str(b.p ? b.p : "", b.n);
    }
    return (jv){.t = JV_LIST, .u.l = o};
  }
  if (!strcmp(f, "items")) {
    if (v.t == JV_UNDEF || v.t == JV_NONE) return (jv){.t = JV_LIST, .u.l = jl_new(r, 1)};
    if (v.t != JV_DICT && v.t != JV_NS) jr_fail(r, SK_EINVAL, "items expects a dict");
    return items_of(r, &v);
  }
  if (!strcmp(f, "int")) {
    if (v.t == JV_INT || v.t == JV_BOOL) return jv_int(v.u.i);
    if (v.t == JV_FLOAT && isfinite(v.u.f) && fabs(v.u.f) < 9e18) return jv_int((int64_t)v.u.f);
    if (v.t == JV_STR) {
      char tmp[32];
      size_t n = v.u.s.n < sizeof tmp - 1 ? v.u.s.n : sizeof tmp - 1;
      memcpy(tmp, v.u.s.p, n);
      tmp[n] = '\0';
      return jv_int(strtoll(tmp, NULL, 10));
    }
    return jv_int(0);
  }
  if (!strcmp(f, "float")) {
    if (v.t == JV_INT || v.t == JV_BOOL) return jv_float((double)v.u.i);
    if (v.t == JV_FLOAT) return v;
    return jv_float(0.0);
  }
  if (!strcmp(f, "abs")) {
    if (v.t == JV_INT) return jv_int(v.u.i < 0 && v.u.i != INT64_MIN ? -v.u.i : v.u.i);
    if (v.t == JV_FLOAT) return jv_float(fabs(v.u.f));
    jr_fail(r, SK_EINVAL, "abs expects a number");
  }
  if (!strcmp(f, "select") || !strcmp(f, "reject") || !strcmp(f, "selectattr") ||
      !strcmp(f, "rejectattr") || !strcmp(f, "map"))
    return filter_seq(r, f, v, a);
  if (!strcmp(f, "unique")) {
    jlist *l = jv_iter_list(r, &v), *o = jl_new(r, l->n);
    for (size_t i = 0; i < l->n; i++) {
      jv lst = {.t = JV_LIST, .u.l = o};
      if (!jv_contains(r, &lst, &l->v[i])) jl_push(r, o, l->v[i]);
    }
    return (jv){.t = JV_LIST, .u.l = o};
  }
  if (!strcmp(f, "indent")) {
    const jv *w = arg(a, 0, "width");
    int64_t width = w && w->t == JV_INT ? (w->u.i < 0 ? 0 : w->u.i > 64 ? 64 : w->u.i) : 4;
    const jv *fl = arg(a, 1, "first");
    jv s = jv_to_str(r, &v);
    jsb b = {0};
    char pad[64];
    memset(pad, ' ', sizeof pad);
    if (fl && jv_truthy(fl)) sb_put(r, &b, pad, (size_t)width);
    for (size_t i = 0; i < s.u.s.n; i++) {
      sb_put(r, &b, s.u.s.p + i, 1);
      if (s.u.s.p[i] == '\n' && i + 1 < s.u.s.n && s.u.s.p[i + 1] != '\n') sb_put(r, &b, pad, (size_t)width);
    }
    return jv_str(b.p ? b.p : "", b.n);
  }
  jr_fail(r, SK_ENOTSUP, "unknown filter '%s'", f);
}

int jb_global_id(const char *name) {
  if (!strcmp(name, "range")) return JF_RANGE;
  if (!strcmp(name, "namespace")) return JF_NAMESPACE;
  if (!strcmp(name, "raise_exception")) return JF_RAISE;
  if (!strcmp(name, "dict")) return JF_DICT;
  return 0;
}

jv jb_call_global(jrt *r, int fn, const jargs *a) {
  switch (fn) {
    case JF_RANGE: {
      int64_t lo = 0, hi, step = 1;
      for (size_t i = 0; i < a->npos; i++)
        if (a->pos[i].t != JV_INT) jr_fail(r, SK_EINVAL, "range expects integers");
      if (a->npos == 1) hi = a->pos[0].u.i;
      else if (a->npos == 2 || a->npos == 3) {
        lo = a->pos[0].u.i;
        hi = a->pos[1].u.i;
        if (a->npos == 3) step = a->pos[2].u.i;
      } else jr_fail(r, SK_EINVAL, "range expects 1 to 3 arguments");
      if (step == 0) jr_fail(r, SK_EINVAL, "range step cannot be zero");
      double count = ceil(((double)hi - (double)lo) / (double)step);
      if (count > JINJA_MAX_RANGE) jr_fail(r, SK_ELIMIT, "range longer than %d", JINJA_MAX_RANGE);
      jlist *l = jl_new(r, count > 0 ? (size_t)count : 1);
      for (int64_t i = lo; step > 0 ? i < hi : i > hi; i += step) jl_push(r, l, jv_int(i));
      return (jv){.t = JV_LIST, .u.l = l};
    }
    case JF_NAMESPACE: case JF_DICT: {
      jdict *d = jd_new(r, a->nkw + 1);
      if (a->npos && (a->pos[0].t == JV_DICT || a->pos[0].t == JV_NS))
        for (size_t i = 0; i < a->pos[0].u.d->n; i++) jd_set(r, d, a->pos[0].u.d->keys[i], a->pos[0].u.d->vals[i]);
      for (size_t i = 0; i < a->nkw; i++) jd_set(r, d, jv_strz(a->kw_names[i]), a->kw[i]);
      return (jv){.t = fn == JF_NAMESPACE ? JV_NS : JV_DICT, .u.d = d};
    }
    case JF_RAISE: {
      jv msg = a->npos ? jv_to_str(r, &a->pos[0]) : jv_strz("error");
      int n = msg.u.s.n > 200 ? 200 : (int)msg.u.s.n;
      jr_fail(r, SK_EINVAL, "template error: %.*s", n, msg.u.s.p);
    }
    default: jr_fail(r, SK_EINVAL, "internal: unknown function");
  }
}
