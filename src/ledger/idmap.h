/* idmap.h — open-addressing hash map from a nonzero 128-bit id to a uint32 slot index.
 *
 * Linear probing with backward-shift deletion (no tombstones), so undoing an insert leaves the
 * table exactly as if the insert never happened. Keys must be nonzero (0 marks an empty bucket). */
#ifndef SK_LEDGER_IDMAP_H
#define SK_LEDGER_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#include "ledger/u128.h"

typedef struct idmap_entry {
  u128 key;
  uint32_t value;
} idmap_entry;

typedef struct idmap {
  idmap_entry *slots; /* owned; capacity is a power of two */
  size_t cap;
  size_t count;
} idmap;

/* Not allocating. */
void idmap_init(idmap *m);
/* Frees the table. */
void idmap_release(idmap *m);
/* Returns 0 and sets *value when found, -1 otherwise. */
int idmap_get(const idmap *m, u128 key, uint32_t *value);
/* Inserts a key that is not present (asserted). Returns 0 or SK_ENOMEM. */
int idmap_put(idmap *m, u128 key, uint32_t value);
/* Removes key if present. */
void idmap_del(idmap *m, u128 key);
/* Ensures room for `more` inserts without rehashing (so later puts cannot fail). */
int idmap_reserve(idmap *m, size_t more);

#endif
