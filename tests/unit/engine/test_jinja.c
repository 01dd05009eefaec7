/* Jinja interpreter semantics (as Jinja2 with trim_blocks and lstrip_blocks, the settings
 * transformers uses) and its bounds against hostile templates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "engine/jinja/jinja.h"

static int run(const char *src, const jinja_limits *lim, sk_buf *out, sk_err *e) {
  jinja_template *t = NULL;
  int rc = jinja_parse(src, strlen(src), &t, e);
  if (rc) return rc;
  chat_msg m[2] = {{"system", "S"}, {"user", "こんにちは"}};
  jinja_chat_ctx ctx = {m, 2, 1, "<s>", "</s>", -1};
  rc = jinja_render_chat(t, &ctx, lim, out, e);
  jinja_free(t);
  return rc;
}

static void expect(const char *src, const char *want) {
  sk_buf b;
  sk_buf_init(&b, 1 << 20);
  sk_err e;
  int rc = run(src, NULL, &b, &e);
  if (rc) fail_msg("template %s failed: %s", src, e.msg);
  const char *got = b.len ? b.data : "";
  if (strcmp(got, want)) fail_msg("template %s\n gave [%s]\n want [%s]", src, got, want);
  sk_buf_release(&b);
}

static void expect_error(const char *src, int code, const char *msg_part) {
  sk_buf b;
  sk_buf_init(&b, 1 << 20);
  sk_err e;
  jinja_limits lim = {200000, 8u << 20, 1u << 20};
  int rc = run(src, &lim, &b, &e);
  if (rc == 0) fail_msg("template %s rendered [%s], expected an error", src, b.len ? b.data : "");
  if (code && rc != code) fail_msg("template %s: code %d (%s), expected %d", src, rc, e.msg, code);
  if (msg_part && !strstr(e.msg, msg_part)) fail_msg("message [%s] lacks [%s]", e.msg, msg_part);
  assert_int_equal(b.len, 0);
  sk_buf_release(&b);
}

static void loops_and_loop_vars(void **state) {
  (void)state;
  expect("{% for x in [1,2,3] %}{{ loop.index }}{{ ',' if not loop.last }}{% endfor %}", "1,2,3");
  expect("{% for x in 'ab' %}{{ loop.revindex }}{{ x }}{{ loop.length }}{% endfor %}", "2a21b2");
  expect("{% for x in [] %}x{% else %}empty{% endfor %}", "empty");
  expect("{% for x in [1,2,3,4] if x > 2 %}{{ loop.index }}{{ x }}{% endfor %}", "1324");
  expect("{% for i in range(10) %}{% if i == 3 %}{% break %}{% endif %}{% if i == 1 %}{% continue "
         "%}{% endif %}{{ i }}{% endfor %}",
         "02");
  expect("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;");
  expect("{% for m in messages %}{{ m.role }}:{{ m['content'] }}|{% endfor %}", "system:S|user:こんにちは|");
  expect("{% for x in [1,2] %}{{ loop.previtem }}-{{ loop.nextitem }};{% endfor %}", "-2;1-;");
}

static void whitespace_control(void **state) {
  (void)state;
  /* trim_blocks + lstrip_blocks: a tag alone on its line leaves nothing behind */
  expect("a\n  {% if true %}\n  b\n  {% endif %}\nc", "a\n  b\nc");
  expect("  {%- if true -%}  x  {%- endif -%}  ", "x");
  expect("a  {{- ' b ' -}}  c", "a b c");
  expect("x {# comment #}\ny", "x y");
  expect("  {%+ if true %}k{% endif %}", "  k");
  expect("{{ 'v' }}\nw", "v\nw"); /* no trimming after an expression */
}

static void scoping_and_namespace(void **state) {
  (void)state;
  expect("{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}", "1");
  expect("{% set ns = namespace(c=0) %}{% for i in range(5) %}{% set ns.c = ns.c + i %}{% endfor "
         "%}{{ ns.c }}",
         "10");
  expect("{% set s %}a{{ 1 }}{% endset %}[{{ s }}]", "[a1]");
  expect("{% set a, b = [1, 2] %}{{ b }}{{ a }}", "21");
  expect("{% set messages = messages[1:] %}{{ messages | length }}{{ messages[0].role }}", "1user");
  expect("{% macro greet(n, p='!') %}hi {{ n }}{{ p }}{% endmacro %}{{ greet('a') }} {{ greet('b', "
         "p='?') }}",
         "hi a! hi b?");
}

static void expressions_and_filters(void **state) {
  (void)state;
  expect("{{ '  x  ' | trim }}|{{ [1,2,3] | length }}|{{ 'a,b'.split(',') }}", "x|3|['a', 'b']");
  expect("{{ [1,2,3,4][1:] }}{{ [1,2,3][::-1] }}{{ '日本語'[1] }}{{ 'abc'[-1] }}{{ '日本語'|length }}",
         "[2, 3, 4][3, 2, 1]本c3");
  expect("{{ {'a': [1, 'x'], 'b': none, 'c': true} | tojson }}", "{\"a\": [1, \"x\"], \"b\": null, \"c\": true}");
  expect("{{ {'a': [1, 'é']} | tojson(indent=2) }}", "{\n  \"a\": [\n    1,\n    \"é\"\n  ]\n}");
  expect("{{ 'y' if x is defined else 'n' }}{{ none is none }}{{ 3 is odd }}{{ x is not defined }}",
         "nTrueTrueTrue");
  expect("{{ [1,2,3,4] | select('even') | join('-') }}/{{ ['a','code_interpreter'] | "
         "reject('equalto','code_interpreter') | join(', ') }}",
         "2-4/a");
  expect("{{ messages | map(attribute='role') | join(',') }}|{{ messages | selectattr('role', "
         "'equalto', 'user') | list | length }}",
         "system,user|1");
  expect("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 1 / 2 }} {{ 'ab' ~ 3 }} {{ 1.5 + 1 }}",
         "3 -4 1 2 1024 0.5 ab3 2.5");
  expect("{{ 'a' in 'cat' }}{{ 2 not in [1, 3] }}{{ 'role' in messages[0] }}{{ not 1 == 2 and 3 > 2 }}",
         "TrueTrueTrueTrue");
  expect("{{ 'Hello World'.lower() }} {{ 'ab'.upper() }} {{ '<think>x</think>y'.split('</think>')[-1] }}",
         "hello world AB y");
  expect("{{ '\\n\\nx\\n'.strip('\\n') }}|{{ 'xxa'.lstrip('x') }}|{{ 'abc'.startswith('ab') }}", "x|a|True");
  expect("{{ bos_token }}{{ eos_token }}{{ add_generation_prompt }}{{ undefined_var }}", "<s></s>True");
  expect("{{ x | default('d') }}{{ '' | default('e', true) }}{{ none }}", "deNone");
  expect("{{ \"it's\" }} {{ 'a' 'b' }} {{ '\\u65e5' }}", "it's ab 日");
  expect("{{ [1, 2] + [3] }}{{ {'k': 'v'}.get('k') }}{{ {'k': 'v'}.get('z', 0) }}", "[1, 2, 3]v0");
  expect("{% generation %}g{% endgeneration %}", "g");
}

static void errors_are_reported(void **state) {
  (void)state;
  expect_error("{{ raise_exception('bad roles') }}", SK_EINVAL, "bad roles");
  expect_error("{{ 'a' + 1 }}", SK_EINVAL, "unsupported operand");
  expect_error("{{ nofn() }}", SK_EINVAL, "undefined");
  expect_error("{{ 1 | nosuchfilter }}", SK_ENOTSUP, "nosuchfilter");
  expect_error("{{ 1 is nosuchtest }}", SK_ENOTSUP, "nosuchtest");
  expect_error("{{ 1 // 0 }}", SK_EINVAL, "zero");
  expect_error("line1\n{% if %}", SK_EFORMAT, "line 2");
  expect_error("{% for x in y %}", SK_EFORMAT, "endfor");
  expect_error("{{ 'unterminated }}", SK_EFORMAT, "unterminated");
  expect_error("{% include 'x' %}", SK_ENOTSUP, "include");
  expect_error("{% set ns.x = 1 %}", SK_EINVAL, "namespace");
  expect_error("{{ x[1:2:0] }}", 0, NULL);
  expect_error("{{ [1][0:1:0] }}", SK_EINVAL, "zero");
}

static void hostile_templates_are_bounded(void **state) {
  (void)state;
  expect_error("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
               SK_ELIMIT, "budget");
  expect_error("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", SK_ELIMIT, "recursion");
  expect_error("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}"
               "{% endfor %}",
               SK_ELIMIT, NULL);
  expect_error("{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}", SK_ELIMIT, NULL);
  expect_error("{{ range(1000000000) }}", SK_ELIMIT, "range");
  expect_error("{{ 2 ** 100 }}", SK_ERANGE, "overflow");
  /* parser nesting */
  char src[4200];
  size_t n = 0;
  n += (size_t)snprintf(src + n, sizeof src - n, "{{ ");
  for (int i = 0; i < 2000; i++) src[n++] = '(';
  src[n++] = '1';
  for (int i = 0; i < 2000; i++) src[n++] = ')';
  snprintf(src + n, sizeof src - n, " }}");
  expect_error(src, SK_ELIMIT, "nesting");
  sk_err e;
  jinja_template *t = NULL;
  static char big[JINJA_MAX_SOURCE + 2];
  memset(big, 'a', sizeof big - 1);
  assert_int_equal(jinja_parse(big, sizeof big - 1, &t, &e), SK_ELIMIT);
  assert_null(t);
}

static void out_of_memory_is_an_error(void **state) {
  (void)state;
  const char *src = "{% for m in messages %}{{ m.role }}{% endfor %}";
  for (long nth = 1; nth < 12; nth++) {
    sk_buf b;
    sk_buf_init(&b, 1 << 16);
    sk_err e;
    sk_alloc_fail_after(nth);
    int rc = run(src, NULL, &b, &e);
    sk_alloc_fail_after(0);
    assert_true(rc == 0 || rc == SK_ENOMEM || rc == SK_ELIMIT);
    if (rc == 0) assert_string_equal(b.data, "systemuser");
    sk_buf_release(&b);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(loops_and_loop_vars),         cmocka_unit_test(whitespace_control),
      cmocka_unit_test(scoping_and_namespace),       cmocka_unit_test(expressions_and_filters),
      cmocka_unit_test(errors_are_reported),         cmocka_unit_test(hostile_templates_are_bounded),
      cmocka_unit_test(out_of_memory_is_an_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
