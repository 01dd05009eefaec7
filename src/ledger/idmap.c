#include "ledger/idmap.h"

#include <assert.h>

#include "base/alloc.h"
#include "base/err.h"

/* Load factor bound 1/2 keeps probe sequences short for linear probing. */
#define IDMAP_MIN_CAP 64

static inline size_t idmap_hash(u128 key) {
  uint64_t x = u128_lo(key) ^ (u128_hi(key) * 0x9e3779b97f4a7c15ull);
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return (size_t)x;
}

void idmap_init(idmap *m) {
  m->slots = NULL;
  m->cap = 0;
  m->count = 0;
}

void idmap_release(idmap *m) {
  sk_free(m->slots);
  idmap_init(m);
}

int idmap_get(const idmap *m, u128 key, uint32_t *value) {
  if (m->cap == 0 || key == 0) return -1;
  size_t mask = m->cap - 1;
  for (size_t i = idmap_hash(key) & mask;; i = (i + 1) & mask) {
    if (m->slots[i].key == key) {
      *value = m->slots[i].value;
      return 0;
    }
    if (m->slots[i].key == 0) return -1;
  }
}

static void insert_raw(idmap_entry *slots, size_t cap, u128 key, uint32_t value) {
  size_t mask = cap - 1;
  size_t i = idmap_hash(key) & mask;
  while (slots[i].key != 0) {
    assert(slots[i].key != key);
    i = (i + 1) & mask;
  }
  slots[i].key = key;
  slots[i].value = value;
}

int idmap_reserve(idmap *m, size_t more) {
  size_t need = m->count + more;
  if (need * 2 <= m->cap) return SK_OK;
  size_t cap = m->cap ? m->cap : IDMAP_MIN_CAP;
  while (need * 2 > cap) cap *= 2;
  idmap_entry *slots = sk_calloc(cap, sizeof *slots);
  if (!slots) return SK_ENOMEM;
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].key) insert_raw(slots, cap, m->slots[i].key, m->slots[i].value);
  sk_free(m->slots);
  m->slots = slots;
  m->cap = cap;
  return SK_OK;
}

int idmap_put(idmap *m, u128 key, uint32_t value) {
  assert(key != 0);
  int rc = idmap_reserve(m, 1);
  if (rc) return rc;
  insert_raw(m->slots, m->cap, key, value);
  m->count++;
  return SK_OK;
}

void idmap_del(idmap *m, u128 key) {
  if (m->cap == 0 || key == 0) return;
  size_t mask = m->cap - 1;
  size_t i = idmap_hash(key) & mask;
  while (m->slots[i].key != key) {
    if (m->slots[i].key == 0) return;
    i = (i + 1) & mask;
  }
  /* Backward shift: pull later members of the probe run into the hole when their home allows. */
  size_t hole = i;
  for (size_t j = (hole + 1) & mask; m->slots[j].key != 0; j = (j + 1) & mask) {
    size_t home = idmap_hash(m->slots[j].key) & mask;
    /* j may move to hole iff home is not cyclically in (hole, j]. */
    int in_range = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!in_range) {
      m->slots[hole] = m->slots[j];
      hole = j;
    }
  }
  m->slots[hole].key = 0;
  m->slots[hole].value = 0;
  m->count--;
}
