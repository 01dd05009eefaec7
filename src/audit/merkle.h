/* merkle.h — RFC 9162 (Certificate Transparency v2) Merkle tree hashing and proofs.
 *
 * Hash: SHA-256 with domain separation: leaf = H(0x00 || data), node = H(0x01 || left || right),
 * empty tree = H(""). Trees are given as arrays of leaf hashes (index 0 = first record).
 * Proofs follow RFC 9162 §2.1.3 (inclusion, "audit path") and §2.1.4 (consistency); verifiers
 * follow the algorithms of §2.1.3.2 and §2.1.4.2 so that any RFC 9162 verifier accepts them.
 *
 * Everything here is pure computation: no allocation except where noted, no I/O. */
#ifndef SK_AUDIT_MERKLE_H
#define SK_AUDIT_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_BYTES 32
/* A proof for a tree of up to 2^64 leaves has at most 64 hashes (one per level). */
#define MERKLE_MAX_PROOF 64

typedef struct merkle_hash {
  uint8_t b[MERKLE_HASH_BYTES];
} merkle_hash;

typedef struct merkle_proof {
  size_t n;                            /* number of hashes used */
  merkle_hash h[MERKLE_MAX_PROOF];     /* bottom-up order, as RFC 9162 lists them */
} merkle_proof;

/* Library initialisation (libsodium); safe to call many times, from many threads.
 * Returns 0 or SK_EIO when the crypto library cannot start. */
int merkle_init(void);

void merkle_leaf_hash(const void *data, size_t len, merkle_hash *out);
void merkle_node_hash(const merkle_hash *left, const merkle_hash *right, merkle_hash *out);
void merkle_empty_root(merkle_hash *out);

/* MTH over leaves[0..n): iterative, O(n) hashes, O(log n) stack. */
void merkle_root(const merkle_hash *leaves, uint64_t n, merkle_hash *out);

/* Inclusion proof PATH(index, D[0:n]). SK_ERANGE when index >= n. */
int merkle_inclusion_proof(const merkle_hash *leaves, uint64_t n, uint64_t index, merkle_proof *out);

/* Consistency proof PROOF(m, D[0:n]) for 0 < m <= n (empty when m == n). SK_ERANGE otherwise. */
int merkle_consistency_proof(const merkle_hash *leaves, uint64_t m, uint64_t n, merkle_proof *out);

/* 0 when `leaf` at `index` is in the tree of `size` leaves with `root`; SK_ECORRUPT otherwise. */
int merkle_verify_inclusion(const merkle_hash *leaf, uint64_t index, uint64_t size,
                            const merkle_proof *proof, const merkle_hash *root);

/* 0 when the tree (size1, root1) is a prefix of (size2, root2); SK_ECORRUPT otherwise.
 * size1 == size2 needs an empty proof and equal roots; size1 == 0 is consistent with anything. */
int merkle_verify_consistency(uint64_t size1, uint64_t size2, const merkle_hash *root1,
                              const merkle_hash *root2, const merkle_proof *proof);

/* Lowercase hex, out must hold 2*MERKLE_HASH_BYTES+1. */
void merkle_hex(const merkle_hash *h, char *out);
/* Parses 64 hex digits; SK_EFORMAT otherwise. */
int merkle_from_hex(const char *hex, merkle_hash *out);

#endif
