/* Config parsing: a valid file, and errors that name the line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "gate/config.h"
#include "gate/policy.h"

static const char *k_good =
    "default_local: local\n"
    "tenants:\n"
    "  - id: yushi\n"
    "    name: 融資部\n"
    "    models: [local, claude, nobasis]\n"
    "    budget_jpy: 5000\n"
    "    key_budget_jpy: 700\n"
    "    limits: {requests_per_minute: 60}\n"
    "  - id: eigyo\n"
    "    models: [local]\n"
    "    on_refusal: deny\n"
    "models:\n"
    "  - id: local\n"
    "    provider: local\n"
    "  - id: claude\n"
    "    provider: anthropic\n"
    "    base_url: https://api.anthropic.com\n"
    "    art28_basis: consent\n"
    "    max_data_class: internal\n"
    "  - id: nobasis\n"
    "    provider: openai\n"
    "    base_url: https://example.invalid\n"
    "    max_data_class: personal\n";

static void test_good(void **st) {
  (void)st;
  gate_config *c = NULL;
  sk_err err;
  assert_int_equal(gate_config_parse(k_good, strlen(k_good), &c, &err), 0);
  assert_int_equal(c->n_tenants, 2);
  assert_int_equal(c->n_models, 3);
  const gate_tenant *t = gate_config_tenant(c, "yushi");
  assert_non_null(t);
  assert_string_equal(t->name, "融資部");
  assert_int_equal(t->budget_jpy, 5000);
  assert_int_equal(t->key_budget_jpy, 700);
  assert_int_equal(t->limits.requests_per_minute, 60);
  assert_int_equal(gate_config_model(c, "claude")->basis, GATE_BASIS_CONSENT);
  assert_int_equal(gate_config_model(c, "nobasis")->basis, GATE_BASIS_NONE);
  gate_config_free(c);
}

static void expect_line(const char *text, const char *want) {
  gate_config *c = NULL;
  sk_err err;
  sk_err_clear(&err);
  assert_int_not_equal(gate_config_parse(text, strlen(text), &c, &err), 0);
  assert_null(c);
  if (!strstr(err.msg, want)) fail_msg("error '%s' lacks '%s'", err.msg, want);
}

static void test_errors_name_the_line(void **st) {
  (void)st;
  expect_line("tenants:\n  - id: a\n    budget_jpy: -5\n", "line 3: tenants[0].budget_jpy");
  expect_line("tenants:\n  - id: a\n    colour: red\n", "line 3");
  expect_line("tenants:\n  - id: a\nmodels:\n  - id: m\n    provider: anthropic\n", "line 4");
  expect_line("tenants:\n  - id: a\nmodels:\n  - id: m\n    provider: openai\n    base_url: http://x\n    max_data_class: specific\n",
              "line 7");
  expect_line("tenants: [\n", "YAML syntax");
  expect_line("tenants:\n  - id: a\n    models: [ghost]\n", "ghost");
  expect_line("tenants:\n  - id: a\n  - id: a\n", "line 3: tenant 'a' is defined twice");
}

static void test_policy(void **st) {
  (void)st;
  gate_config *c = NULL;
  sk_err err;
  assert_int_equal(gate_config_parse(k_good, strlen(k_good), &c, &err), 0);
  const gate_tenant *y = gate_config_tenant(c, "yushi"), *e = gate_config_tenant(c, "eigyo");
  gate_key any = {.residency = GATE_RES_ANY}, onprem = {.residency = GATE_RES_ONPREM};
  gate_decision d;
  gate_decide(c, y, &any, "claude", "local", GATE_CLASS_INTERNAL, &d);
  assert_int_equal(d.status, 0);
  assert_true(d.external);
  /* personal data above the route's class: rerouted to local */
  gate_decide(c, y, &any, "claude", "local", GATE_CLASS_PERSONAL, &d);
  assert_true(d.rerouted);
  assert_false(d.external);
  assert_string_equal(d.model->id, "local");
  /* My Number never external */
  gate_decide(c, y, &any, "claude", "local", GATE_CLASS_SPECIFIC, &d);
  assert_false(d.external);
  assert_non_null(strstr(d.reason, "My Number"));
  /* no Art. 28 basis: never used, even for public data */
  gate_decide(c, y, &any, "nobasis", "local", GATE_CLASS_PUBLIC, &d);
  assert_false(d.external);
  assert_non_null(strstr(d.reason, "Art. 28"));
  /* the key's residency decides, not anything else */
  gate_decide(c, y, &onprem, "claude", "local", GATE_CLASS_PUBLIC, &d);
  assert_false(d.external);
  /* tenant not allowed the model */
  gate_decide(c, e, &any, "claude", "local", GATE_CLASS_PUBLIC, &d);
  assert_int_equal(d.status, 403);
  gate_decide(c, y, &any, "nope", "local", GATE_CLASS_PUBLIC, &d);
  assert_int_equal(d.status, 404);
  gate_config_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_good), cmocka_unit_test(test_errors_name_the_line),
                                     cmocka_unit_test(test_policy)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
