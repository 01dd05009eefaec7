/* API keys: create/check, forged and foreign tokens, rotation, revocation, a second handle on the
 * same directory (the CLI beside a running server), and what the key file holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "base/fs.h"
#include "gate/keys.h"

static char g_dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(g_dir, sizeof g_dir, "/tmp/sk_keys_XXXXXX");
  return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  return system(cmd) == 0 ? 0 : -1;
}

static void test_create_and_check(void **state) {
  (void)state;
  gate_keys *k = NULL;
  sk_err err;
  assert_int_equal(gate_keys_open(g_dir, &k, &err), 0);
  gate_key key, got;
  char tok[GATE_MAX_TOKEN];
  assert_int_equal(gate_keys_create(k, "yushi", "tanaka", GATE_ROLE_USER, GATE_RES_ANY, &key, tok, &err), 0);
  assert_int_equal(strncmp(tok, GATE_KEY_PREFIX, strlen(GATE_KEY_PREFIX)), 0);
  assert_int_equal(gate_keys_check(k, tok, &got, &err), 0);
  assert_string_equal(got.id, key.id);
  assert_string_equal(got.tenant, "yushi");
  assert_string_equal(got.user, "tanaka");
  assert_int_equal(got.role, GATE_ROLE_USER);
  assert_int_equal(got.residency, GATE_RES_ANY);

  /* forged: the right id with one secret character changed (the whole token is hashed and the
   * hashes compared with sodium_memcmp, so a near miss is as wrong as any other) */
  char forged[GATE_MAX_TOKEN];
  snprintf(forged, sizeof forged, "%s", tok);
  size_t n = strlen(forged);
  forged[n - 1] = forged[n - 1] == 'A' ? 'B' : 'A';
  assert_int_equal(gate_keys_check(k, forged, &got, &err), SK_EDENIED);
  assert_non_null(strstr(err.msg, "invalid"));
  /* truncated, and a token that is not a Sekisho key at all */
  forged[n - 1] = 0;
  assert_int_equal(gate_keys_check(k, forged, &got, &err), SK_EDENIED);
  assert_int_equal(gate_keys_check(k, "sk-ant-api03-whatever", &got, &err), SK_EDENIED);
  assert_non_null(strstr(err.msg, "not a Sekisho key"));
  /* another key's secret under this key's id */
  gate_key key2;
  char tok2[GATE_MAX_TOKEN];
  assert_int_equal(gate_keys_create(k, "eigyo", "sato", GATE_ROLE_AGENT, GATE_RES_ONPREM, &key2, tok2, &err), 0);
  size_t plen = strlen(GATE_KEY_PREFIX);
  char mixed[GATE_MAX_TOKEN];
  snprintf(mixed, sizeof mixed, "%.*s%s", (int)(plen + GATE_KEY_ID_HEX), tok, tok2 + plen + GATE_KEY_ID_HEX);
  assert_int_equal(gate_keys_check(k, mixed, &got, &err), SK_EDENIED);
  assert_int_equal(gate_keys_check(k, tok2, &got, &err), 0);
  assert_string_equal(got.tenant, "eigyo");
  assert_int_equal(got.residency, GATE_RES_ONPREM);
  assert_int_equal(gate_keys_count(k), 2);

  /* the file holds no token and no secret part of one */
  char path[128];
  snprintf(path, sizeof path, "%s/keys.json", g_dir);
  char *text = NULL;
  size_t len = 0;
  assert_int_equal(sk_read_file(path, GATE_MAX_KEYS_FILE, &text, &len, &err), 0);
  assert_null(strstr(text, tok + plen + GATE_KEY_ID_HEX + 1));
  assert_null(strstr(text, tok2 + plen + GATE_KEY_ID_HEX + 1));
  sk_free(text);
  gate_keys_close(k);
}

static void test_rotate_and_revoke(void **state) {
  (void)state;
  gate_keys *k = NULL;
  sk_err err;
  assert_int_equal(gate_keys_open(g_dir, &k, &err), 0);
  gate_key key, got;
  char tok[GATE_MAX_TOKEN], tok_new[GATE_MAX_TOKEN];
  assert_int_equal(gate_keys_create(k, "yushi", "suzuki", GATE_ROLE_ADMIN, GATE_RES_ANY, &key, tok, &err), 0);
  assert_int_equal(gate_keys_rotate(k, key.id, &got, tok_new, &err), 0);
  assert_string_equal(got.id, key.id);
  assert_string_not_equal(tok, tok_new);
  assert_int_equal(gate_keys_check(k, tok, &got, &err), SK_EDENIED); /* the old token stops at once */
  assert_int_equal(gate_keys_check(k, tok_new, &got, &err), 0);
  assert_int_equal(got.role, GATE_ROLE_ADMIN);

  assert_int_equal(gate_keys_revoke(k, key.id, &err), 0);
  assert_int_equal(gate_keys_check(k, tok_new, &got, &err), SK_EDENIED);
  assert_non_null(strstr(err.msg, "revoked"));
  assert_int_equal(gate_keys_rotate(k, key.id, &got, tok, &err), SK_EDENIED); /* no resurrection */
  assert_int_equal(gate_keys_revoke(k, "0123456789abcdef", &err), SK_ENOTFOUND);
  gate_keys_close(k);
}

static void test_second_handle_sees_changes(void **state) {
  (void)state;
  gate_keys *server = NULL, *cli = NULL;
  sk_err err;
  assert_int_equal(gate_keys_open(g_dir, &server, &err), 0);
  assert_int_equal(gate_keys_open(g_dir, &cli, &err), 0);
  gate_key key, got;
  char tok[GATE_MAX_TOKEN];
  assert_int_equal(gate_keys_create(cli, "yushi", "ito", GATE_ROLE_USER, GATE_RES_ANY, &key, tok, &err), 0);
  assert_int_equal(gate_keys_refresh(server, &err), 0);
  assert_int_equal(gate_keys_check(server, tok, &got, &err), 0);
  assert_int_equal(gate_keys_revoke(cli, key.id, &err), 0);
  assert_int_equal(gate_keys_refresh(server, &err), 0);
  assert_int_equal(gate_keys_check(server, tok, &got, &err), SK_EDENIED);
  gate_keys_close(cli);
  gate_keys_close(server);
}

static void test_roles_parse(void **state) {
  (void)state;
  assert_int_equal(gate_role_parse("auditor"), GATE_ROLE_AUDITOR);
  assert_int_equal(gate_role_parse("root"), -1);
  assert_int_equal(gate_residency_parse("onprem"), GATE_RES_ONPREM);
  assert_int_equal(gate_residency_parse("mars"), -1);
  assert_string_equal(gate_role_name(GATE_ROLE_AGENT), "agent");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_create_and_check, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rotate_and_revoke, setup, teardown),
      cmocka_unit_test_setup_teardown(test_second_handle_sees_changes, setup, teardown),
      cmocka_unit_test(test_roles_parse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
