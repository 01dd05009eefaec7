/* Merkle tree tests against RFC 9162's recursive definitions, written out naively here, and
 * against the published Certificate Transparency test vectors (8 leaves). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "audit/merkle.h"
#include "base/err.h"

#define MAX_N 70 /* covers every shape up to 2^6 plus non-powers of two either side */

static merkle_hash g_leaves[MAX_N];

static void make_leaves(void) {
  for (int i = 0; i < MAX_N; i++) {
    char s[32];
    int n = snprintf(s, sizeof s, "record-%d", i);
    merkle_leaf_hash(s, (size_t)n, &g_leaves[i]);
  }
}

/* ---- reference: RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1, transcribed literally ---- */
static uint64_t ref_k(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
static void ref_mth(const merkle_hash *d, uint64_t n, merkle_hash *out) {
  if (n == 0) {
    merkle_empty_root(out);
    return;
  }
  if (n == 1) {
    *out = d[0];
    return;
  }
  uint64_t k = ref_k(n);
  merkle_hash l, r;
  ref_mth(d, k, &l);
  ref_mth(d + k, n - k, &r);
  merkle_node_hash(&l, &r, out);
}
static void ref_path(const merkle_hash *d, uint64_t n, uint64_t m, merkle_proof *p) {
  if (n == 1) return;
  uint64_t k = ref_k(n);
  merkle_hash h;
  if (m < k) {
    ref_path(d, k, m, p);
    ref_mth(d + k, n - k, &h);
  } else {
    ref_path(d + k, n - k, m - k, p);
    ref_mth(d, k, &h);
  }
  p->h[p->n++] = h;
}
static void ref_sub(const merkle_hash *d, uint64_t m, uint64_t n, int b, merkle_proof *p) {
  merkle_hash h;
  if (m == n) {
    if (!b) {
      ref_mth(d, m, &h);
      p->h[p->n++] = h;
    }
    return;
  }
  uint64_t k = ref_k(n);
  if (m <= k) {
    ref_sub(d, m, k, b, p);
    ref_mth(d + k, n - k, &h);
  } else {
    ref_sub(d + k, m - k, n - k, 0, p);
    ref_mth(d, k, &h);
  }
  p->h[p->n++] = h;
}

static void root_matches_reference(void **state) {
  (void)state;
  for (uint64_t n = 0; n <= MAX_N; n++) {
    merkle_hash a, b;
    merkle_root(g_leaves, n, &a);
    ref_mth(g_leaves, n, &b);
    assert_memory_equal(a.b, b.b, 32);
  }
}

static void hand_computed_three_leaf_tree(void **state) {
  (void)state;
  /* MTH({d0,d1,d2}) = H(1 || H(1 || l0 || l1) || l2), spelled out byte by byte. */
  merkle_hash l[3], n01, want, got;
  merkle_leaf_hash("a", 1, &l[0]);
  merkle_leaf_hash("b", 1, &l[1]);
  merkle_leaf_hash("c", 1, &l[2]);
  merkle_node_hash(&l[0], &l[1], &n01);
  merkle_node_hash(&n01, &l[2], &want);
  merkle_root(l, 3, &got);
  assert_memory_equal(got.b, want.b, 32);
  /* inclusion of d2 in size 3 is [H(l0,l1)]; of d0 is [l1, l2] */
  merkle_proof p;
  assert_int_equal(merkle_inclusion_proof(l, 3, 2, &p), SK_OK);
  assert_int_equal(p.n, 1);
  assert_memory_equal(p.h[0].b, n01.b, 32);
  assert_int_equal(merkle_inclusion_proof(l, 3, 0, &p), SK_OK);
  assert_int_equal(p.n, 2);
  assert_memory_equal(p.h[0].b, l[1].b, 32);
  assert_memory_equal(p.h[1].b, l[2].b, 32);
  /* consistency 2 -> 3 is [l2] (old root n01 is a power-of-two subtree, so it is omitted) */
  assert_int_equal(merkle_consistency_proof(l, 2, 3, &p), SK_OK);
  assert_int_equal(p.n, 1);
  assert_memory_equal(p.h[0].b, l[2].b, 32);
  assert_int_equal(merkle_verify_consistency(2, 3, &n01, &want, &p), SK_OK);
}

/* RFC 6962 test vectors as published with the Certificate Transparency reference code. */
static void ct_test_vectors(void **state) {
  (void)state;
  static const char *inputs_hex[8] = {"", "00", "10", "2021", "3031", "40414243",
                                      "5051525354555657", "606162636465666768696a6b6c6d6e6f"};
  static const char *roots[8] = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  merkle_hash l[8];
  for (int i = 0; i < 8; i++) {
    uint8_t bytes[16];
    size_t n = strlen(inputs_hex[i]) / 2;
    for (size_t j = 0; j < n; j++) sscanf(inputs_hex[i] + 2 * j, "%2hhx", &bytes[j]);
    merkle_leaf_hash(bytes, n, &l[i]);
  }
  merkle_hash e, want;
  merkle_empty_root(&e);
  assert_int_equal(merkle_from_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", &want), 0);
  assert_memory_equal(e.b, want.b, 32);
  for (int n = 1; n <= 8; n++) {
    merkle_hash r;
    char hex[65];
    merkle_root(l, (uint64_t)n, &r);
    merkle_hex(&r, hex);
    assert_string_equal(hex, roots[n - 1]);
  }
}

static void inclusion_all_sizes(void **state) {
  (void)state;
  for (uint64_t n = 1; n <= MAX_N; n++) {
    merkle_hash root;
    merkle_root(g_leaves, n, &root);
    for (uint64_t m = 0; m < n; m++) {
      merkle_proof p, ref = {0};
      assert_int_equal(merkle_inclusion_proof(g_leaves, n, m, &p), SK_OK);
      ref_path(g_leaves, n, m, &ref);
      assert_int_equal(p.n, ref.n);
      assert_memory_equal(p.h, ref.h, p.n * sizeof p.h[0]);
      assert_int_equal(merkle_verify_inclusion(&g_leaves[m], m, n, &p, &root), SK_OK);
      /* wrong leaf, wrong index, wrong size, flipped bit, truncated, extended: all rejected */
      assert_int_not_equal(merkle_verify_inclusion(&g_leaves[(m + 1) % MAX_N], m, n, &p, &root), SK_OK);
      if (n > 1) {
        assert_int_not_equal(merkle_verify_inclusion(&g_leaves[m], (m + 1) % n, n, &p, &root), SK_OK);
        merkle_proof bad = p;
        bad.h[m % bad.n].b[7] ^= 0x20;
        assert_int_not_equal(merkle_verify_inclusion(&g_leaves[m], m, n, &bad, &root), SK_OK);
        bad = p;
        bad.n--;
        assert_int_not_equal(merkle_verify_inclusion(&g_leaves[m], m, n, &bad, &root), SK_OK);
      }
      merkle_proof ext = p;
      ext.h[ext.n++] = root;
      assert_int_not_equal(merkle_verify_inclusion(&g_leaves[m], m, n, &ext, &root), SK_OK);
    }
    merkle_proof p;
    assert_int_equal(merkle_inclusion_proof(g_leaves, n, n, &p), SK_ERANGE);
  }
}

static void consistency_all_sizes(void **state) {
  (void)state;
  for (uint64_t n = 1; n <= MAX_N; n++) {
    merkle_hash r2;
    merkle_root(g_leaves, n, &r2);
    for (uint64_t m = 1; m <= n; m++) {
      merkle_hash r1;
      merkle_root(g_leaves, m, &r1);
      merkle_proof p, ref = {0};
      assert_int_equal(merkle_consistency_proof(g_leaves, m, n, &p), SK_OK);
      ref_sub(g_leaves, m, n, 1, &ref);
      assert_int_equal(p.n, ref.n);
      assert_memory_equal(p.h, ref.h, p.n * sizeof p.h[0]);
      assert_int_equal(merkle_verify_consistency(m, n, &r1, &r2, &p), SK_OK);
      if (m < n) {
        merkle_proof bad = p;
        bad.h[(m + n) % bad.n].b[0] ^= 1;
        assert_int_not_equal(merkle_verify_consistency(m, n, &r1, &r2, &bad), SK_OK);
        assert_int_not_equal(merkle_verify_consistency(m, n, &r2, &r2, &p), SK_OK);
        assert_int_not_equal(merkle_verify_consistency(m, n, &r1, &r1, &p), SK_OK);
        if (m > 1) assert_int_not_equal(merkle_verify_consistency(m - 1, n, &r1, &r2, &p), SK_OK);
        bad = p;
        bad.n = 0;
        assert_int_not_equal(merkle_verify_consistency(m, n, &r1, &r2, &bad), SK_OK);
      }
    }
  }
}

int main(void) {
  if (merkle_init() != SK_OK) return 1;
  make_leaves();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(root_matches_reference),   cmocka_unit_test(hand_computed_three_leaf_tree),
      cmocka_unit_test(ct_test_vectors),          cmocka_unit_test(inclusion_all_sizes),
      cmocka_unit_test(consistency_all_sizes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
