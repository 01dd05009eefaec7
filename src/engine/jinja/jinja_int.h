/* jinja_int.h — internals shared by the Jinja lexer/parser (jinja_parse.c), the evaluator
 * (jinja_eval.c) and the builtins (jinja_builtins.c). Not a public interface. */
#ifndef SK_ENGINE_JINJA_INT_H
#define SK_ENGINE_JINJA_INT_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "engine/jinja/jinja.h"

/* ---- arena: bump allocation with a byte cap; everything is freed at once ---- */
typedef struct ja_chunk ja_chunk;
typedef struct jarena {
  ja_chunk *head;
  size_t total_bytes, max_bytes;
} jarena;

void ja_init(jarena *a, size_t max_bytes);
void ja_release(jarena *a);
void *ja_alloc(jarena *a, size_t n); /* 16-byte aligned, zeroed; NULL past max or on OOM */

/* ---- values ---- */
typedef enum jv_type {
  JV_UNDEF,
  JV_NONE,
  JV_BOOL,
  JV_INT,
  JV_FLOAT,
  JV_STR,
  JV_LIST,
  JV_DICT,
  JV_NS, /* namespace(): a dict whose attributes may be assigned */
  JV_LOOP,
  JV_MACRO,
  JV_FUNC, /* builtin global function, u.i = jfunc id */
} jv_type;

typedef struct jlist jlist;
typedef struct jdict jdict;
typedef struct jloop jloop;
typedef struct jnode jnode;

typedef struct jv {
  uint8_t t;
  union {
    int64_t i; /* INT, BOOL, FUNC */
    double f;
    struct {
      const char *p;
      size_t n;
    } s;
    jlist *l;
    jdict *d; /* DICT, NS */
    jloop *loop;
    const jnode *mac;
  } u;
} jv;

struct jlist {
  size_t n, cap;
  jv *v;
};
struct jdict {
  size_t n, cap;
  jv *keys; /* strings */
  jv *vals;
};
struct jloop {
  int64_t index0, length;
  jv prev, next;
};

/* ---- tokens and AST ---- */
typedef enum jtok_kind {
  T_TEXT,
  T_VBEGIN,
  T_VEND,
  T_BBEGIN,
  T_BEND,
  T_NAME,
  T_STR,
  T_INT,
  T_FLOAT,
  T_OP,
  T_EOF
} jtok_kind;

typedef enum jnode_kind {
  /* statements */
  N_TEXT,   /* str */
  N_OUTPUT, /* a */
  N_IF,     /* a cond, body then, body2 else */
  N_FOR,    /* str/str2 targets, a iter, b filter, body, body2 else */
  N_SET,    /* str name (str2 attribute when ns.attr, or second name when pair=1), a value */
  N_SETBLOCK, /* str name, body */
  N_MACRO,    /* str name, args: params (N_PARAM), body */
  N_BREAK,
  N_CONTINUE,
  /* expressions */
  N_LIT,    /* v */
  N_NAME,   /* str */
  N_ATTR,   /* a obj, str name */
  N_INDEX,  /* a obj, b key */
  N_SLICE,  /* a obj, b start, c stop, d step (NULL when absent) */
  N_CALL,   /* a callee, args */
  N_FILTER, /* a obj (NULL in select-style use), str name, args */
  N_TEST,   /* a obj, str name, args, op = negated */
  N_UNARY,  /* op, a */
  N_BINARY, /* op, a, b */
  N_COND,   /* a then, b cond, c else (NULL: undefined) */
  N_LIST,   /* args */
  N_DICT,   /* args: alternating key, value */
  N_KWARG,  /* str name, a value (inside args) */
  N_PARAM,  /* str name, a default or NULL */
} jnode_kind;

enum {
  OP_ADD = 1, OP_SUB, OP_MUL, OP_DIV, OP_FLOORDIV, OP_MOD, OP_POW, OP_CONCAT,
  OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NOTIN, OP_AND, OP_OR, OP_NOT, OP_NEG, OP_POS
};

struct jnode {
  uint8_t kind, op, pair;
  int line;
  const char *str, *str2; /* names: NUL-terminated copies in the template arena */
  size_t str_len;         /* N_TEXT length */
  jnode *a, *b, *c, *d;
  jnode *args; /* linked through next */
  jnode *body, *body2;
  jnode *next;
  jv v;
};

struct jinja_template {
  jarena arena;
  jnode *root;
};

/* ---- evaluation runtime (jinja_eval.c, used by jinja_builtins.c) ---- */
typedef struct jvar {
  const char *name;
  jv val;
} jvar;

typedef struct jsb { /* string builder in the arena */
  char *p;
  size_t n, cap;
} jsb;

typedef struct jrt {
  jarena arena;
  jmp_buf jb;
  sk_err *err;
  int code;
  uint64_t steps, max_steps;
  size_t max_output;
  int depth;
  int ctl; /* 0, 1 break, 2 continue */
  jvar *vars;
  size_t n_vars, cap_vars, frame; /* variables from index `frame` are the innermost scope */
  int line;
  jsb *out;
} jrt;

_Noreturn void jr_fail(jrt *r, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void *jr_alloc(jrt *r, size_t n);
void jr_step(jrt *r);

jv jv_str(const char *p, size_t n);
jv jv_int(int64_t i);
jv jv_bool(int b);
jv jv_float(double f);
jv jv_none(void);
jv jv_undef(void);
int jv_truthy(const jv *v);
int jv_equal(const jv *a, const jv *b);
const char *jv_type_name(int t);
jlist *jl_new(jrt *r, size_t cap);
void jl_push(jrt *r, jlist *l, jv v);
jdict *jd_new(jrt *r, size_t cap);
void jd_set(jrt *r, jdict *d, jv key, jv val);
int jd_get(const jdict *d, const char *k, size_t kn, jv *out);
jv jv_strz(const char *s);

void sb_put(jrt *r, jsb *b, const char *p, size_t n);
/* Appends the str() of v (Python-style for lists/dicts/None/bools). */
void jv_to_sb(jrt *r, jsb *b, const jv *v, int repr);
jv jv_to_str(jrt *r, const jv *v);
void jv_tojson(jrt *r, jsb *b, const jv *v, int indent, int level);

/* Builtins (jinja_builtins.c): each returns the result or fails through jr_fail.
 * nargs positional + kw (names/values) arguments. */
typedef struct jargs {
  jv *pos;
  size_t npos;
  const char **kw_names;
  jv *kw;
  size_t nkw;
} jargs;
jv jb_filter(jrt *r, const char *name, jv obj, const jargs *a);
int jb_test(jrt *r, const char *name, const jv *obj, const jargs *a);
/* Method call obj.name(args); *found = 0 when obj has no such method. */
jv jb_method(jrt *r, const jv *obj, const char *name, const jargs *a, int *found);
/* Global functions. */
enum { JF_RANGE = 1, JF_NAMESPACE, JF_RAISE, JF_DICT };
jv jb_call_global(jrt *r, int fn, const jargs *a);
int jb_global_id(const char *name);

#endif
