/* gguf.c — GGUF v2/v3 reader. The file is mapped read-only; parsing walks it once with a bounds-
 * checked cursor, so every field is validated before use and errors name the field and offset. */
#include "engine/gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "engine/gtype.h"

typedef struct gguf_kv {
  gguf_str key;
  uint32_t type;
  uint32_t arr_type;   /* element type when type == ARRAY */
  uint64_t arr_len;    /* element count when type == ARRAY */
  const uint8_t *val;  /* value bytes (for arrays: the first element) */
  uint64_t *str_offs;  /* string arrays: byte offset of each element from val */
} gguf_kv;

struct gguf_file {
  const uint8_t *base;
  uint64_t size;
  int mapped; /* 1: base is our mmap, unmap on close */
  void *map_base;   /* what to munmap (the copy's region starts before base: alignment) */
  size_t map_bytes; /* its length */
  int copied;       /* 1: GGUF_LOAD_HUGE copy */
  uint32_t version;
  uint32_t alignment;
  uint64_t data_offset;
  size_t n_kv;
  gguf_kv *kv;
  size_t n_tensors;
  gguf_tensor *tensors;
  uint32_t *kv_hash; /* open addressing, index+1, 0 = empty; size kv_hash_cap (power of 2) */
  size_t kv_hash_cap;
  uint32_t *t_hash;
  size_t t_hash_cap;
};

/* ---- bounds-checked cursor ---- */

typedef struct rd {
  const uint8_t *p;
  uint64_t size;
  uint64_t pos;
  sk_err *err;
} rd;

static int rd_need(rd *r, uint64_t n, const char *what) {
  if (n > r->size - r->pos)
    return sk_err_set(r->err, SK_EFORMAT,
                      "truncated file: %s at offset %llu needs %llu bytes, only %llu remain", what,
                      (unsigned long long)r->pos, (unsigned long long)n,
                      (unsigned long long)(r->size - r->pos));
  return SK_OK;
}

static int rd_u32(rd *r, uint32_t *v, const char *what) {
  int rc = rd_need(r, 4, what);
  if (rc) return rc;
  memcpy(v, r->p + r->pos, 4);
  r->pos += 4;
  return SK_OK;
}

static int rd_u64(rd *r, uint64_t *v, const char *what) {
  int rc = rd_need(r, 8, what);
  if (rc) return rc;
  memcpy(v, r->p + r->pos, 8);
  r->pos += 8;
  return SK_OK;
}

static int rd_str(rd *r, gguf_str *s, uint64_t max_len, const char *what) {
  uint64_t start = r->pos, len;
  int rc = rd_u64(r, &len, what);
  if (rc) return rc;
  if (len > max_len)
    return sk_err_set(r->err, SK_EFORMAT, "%s at offset %llu: length %llu exceeds the limit %llu",
                      what, (unsigned long long)start, (unsigned long long)len,
                      (unsigned long long)max_len);
  if ((rc = rd_need(r, len, what))) return rc;
  s->ptr = (const char *)r->p + r->pos;
  s->len = len;
  r->pos += len;
  return SK_OK;
}

static uint64_t scalar_size(uint32_t t) {
  switch (t) {
  case GGUF_TYPE_UINT8: case GGUF_TYPE_INT8: case GGUF_TYPE_BOOL: return 1;
  case GGUF_TYPE_UINT16: case GGUF_TYPE_INT16: return 2;
  case GGUF_TYPE_UINT32: case GGUF_TYPE_INT32: case GGUF_TYPE_FLOAT32: return 4;
  case GGUF_TYPE_UINT64: case GGUF_TYPE_INT64: case GGUF_TYPE_FLOAT64: return 8;
  default: return 0;
  }
}

/* ---- hashing (FNV-1a) for key and tensor-name lookup: O(1) lookups, O(n) duplicate checks ---- */

static uint64_t hash_bytes(const char *s, uint64_t n) {
  uint64_t h = 1469598103934665603ull;
  for (uint64_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
  return h;
}

static int str_eq2(gguf_str a, const char *b, uint64_t bn) {
  return a.len == bn && memcmp(a.ptr, b, bn) == 0;
}

static size_t hash_cap_for(size_t n) {
  size_t cap = 16;
  while (cap < n * 2) cap <<= 1;
  return cap;
}

/* Finds the slot for name; returns the stored index or -1, and *slot the probe position. */
static long hash_find(const uint32_t *tab, size_t cap, const char *name, uint64_t n,
                      gguf_str (*key_of)(const gguf_file *, size_t), const gguf_file *f,
                      size_t *slot) {
  size_t i = (size_t)hash_bytes(name, n) & (cap - 1);
  for (;;) {
    if (tab[i] == 0) {
      if (slot) *slot = i;
      return -1;
    }
    if (str_eq2(key_of(f, tab[i] - 1), name, n)) {
      if (slot) *slot = i;
      return (long)tab[i] - 1;
    }
    i = (i + 1) & (cap - 1);
  }
}

static gguf_str kv_key_of(const gguf_file *f, size_t i) { return f->kv[i].key; }
static gguf_str tensor_key_of(const gguf_file *f, size_t i) { return f->tensors[i].name; }

/* ---- parsing ---- */

static int parse_kv(gguf_file *f, rd *r, size_t idx) {
  gguf_kv *kv = &f->kv[idx];
  uint64_t at = r->pos;
  int rc = rd_str(r, &kv->key, GGUF_MAX_KEY_LEN, "metadata key");
  if (rc) return rc;
  if (kv->key.len == 0)
    return sk_err_set(r->err, SK_EFORMAT, "metadata key %zu at offset %llu is empty", idx,
                      (unsigned long long)at);
  if ((rc = rd_u32(r, &kv->type, "metadata value type"))) return rc;
  kv->val = r->p + r->pos;
  const int klen = kv->key.len > 200 ? 200 : (int)kv->key.len;
  if (kv->type == GGUF_TYPE_STRING) {
    gguf_str s;
    return rd_str(r, &s, GGUF_MAX_STRING_LEN, "metadata string value");
  }
  if (kv->type == GGUF_TYPE_ARRAY) {
    if ((rc = rd_u32(r, &kv->arr_type, "array element type"))) return rc;
    if ((rc = rd_u64(r, &kv->arr_len, "array length"))) return rc;
    if (kv->arr_len > GGUF_MAX_ARRAY_LEN)
      return sk_err_set(r->err, SK_EFORMAT, "array '%.*s' at offset %llu: %llu elements exceed "
                        "the limit %u", klen, kv->key.ptr, (unsigned long long)at,
                        (unsigned long long)kv->arr_len, GGUF_MAX_ARRAY_LEN);
    kv->val = r->p + r->pos;
    if (kv->arr_type == GGUF_TYPE_STRING) {
      /* Each element needs at least its 8-byte length: bound the index by the bytes left. */
      if (kv->arr_len > (r->size - r->pos) / 8)
        return sk_err_set(r->err, SK_EFORMAT, "string array '%.*s' at offset %llu: %llu "
                          "elements cannot fit in the %llu bytes left", klen, kv->key.ptr,
                          (unsigned long long)at, (unsigned long long)kv->arr_len,
                          (unsigned long long)(r->size - r->pos));
      kv->str_offs = sk_malloc((size_t)kv->arr_len * sizeof(uint64_t));
      if (!kv->str_offs) return sk_err_set(r->err, SK_ENOMEM, "out of memory indexing strings");
      for (uint64_t i = 0; i < kv->arr_len; i++) {
        kv->str_offs[i] = (uint64_t)(r->p + r->pos - kv->val);
        gguf_str s;
        if ((rc = rd_str(r, &s, GGUF_MAX_STRING_LEN, "string array element")))
          return sk_err_wrap(r->err, "array '%.*s' element %llu", klen, kv->key.ptr,
                             (unsigned long long)i);
      }
      return SK_OK;
    }
    uint64_t es = scalar_size(kv->arr_type);
    if (es == 0)
      return sk_err_set(r->err, SK_EFORMAT, "array '%.*s' at offset %llu has unsupported element "
                        "type %u (nested arrays are not allowed)", klen, kv->key.ptr,
                        (unsigned long long)at, kv->arr_type);
    if ((rc = rd_need(r, kv->arr_len * es, "array data"))) return rc;
    r->pos += kv->arr_len * es;
    return SK_OK;
  }
  uint64_t sz = scalar_size(kv->type);
  if (sz == 0)
    return sk_err_set(r->err, SK_EFORMAT, "metadata '%.*s' at offset %llu has unknown value type "
                      "%u", klen, kv->key.ptr, (unsigned long long)at, kv->type);
  if ((rc = rd_need(r, sz, "metadata value"))) return rc;
  r->pos += sz;
  return SK_OK;
}

static int parse_tensor(gguf_file *f, rd *r, size_t idx) {
  gguf_tensor *t = &f->tensors[idx];
  uint64_t at = r->pos;
  int rc = rd_str(r, &t->name, GGUF_MAX_KEY_LEN, "tensor name");
  if (rc) return rc;
  const int nlen = t->name.len > 200 ? 200 : (int)t->name.len;
  if ((rc = rd_u32(r, &t->n_dims, "tensor dimension count"))) return rc;
  if (t->n_dims == 0 || t->n_dims > GGUF_MAX_DIMS)
    return sk_err_set(r->err, SK_EFORMAT, "tensor '%.*s' at offset %llu: %u dimensions (1..%d "
                      "allowed)", nlen, t->name.ptr, (unsigned long long)at, t->n_dims,
                      GGUF_MAX_DIMS);
  uint64_t nel = 1;
  for (uint32_t d = 0; d < GGUF_MAX_DIMS; d++) {
    t->ne[d] = 1;
    if (d < t->n_dims && (rc = rd_u64(r, &t->ne[d], "tensor dimension"))) return rc;
    if (t->ne[d] == 0 || t->ne[d] > (1ull << 40) || nel > UINT64_MAX / t->ne[d])
      return sk_err_set(r->err, SK_EFORMAT, "tensor '%.*s': dimension %u = %llu is invalid",
                        nlen, t->name.ptr, d, (unsigned long long)t->ne[d]);
    nel *= t->ne[d];
  }
  if ((rc = rd_u32(r, &t->type, "tensor type"))) return rc;
  size_t be = gtype_block_elems(t->type);
  if (be == 0)
    return sk_err_set(r->err, SK_EFORMAT, "tensor '%.*s': unknown type id %u", nlen, t->name.ptr,
                      t->type);
  if (t->ne[0] % be)
    return sk_err_set(r->err, SK_EFORMAT, "tensor '%.*s': row length %llu is not a multiple of "
                      "the %s block size %zu", nlen, t->name.ptr, (unsigned long long)t->ne[0],
                      gtype_name(t->type), be);
  uint64_t row = gtype_row_bytes(t->type, t->ne[0]);
  uint64_t rows = nel / t->ne[0];
  if (row && rows > UINT64_MAX / row)
    return sk_err_set(r->err, SK_EFORMAT, "tensor '%.*s': size overflows", nlen, t->name.ptr);
  t->size_bytes = row * rows;
  return rd_u64(r, &t->offset, "tensor data offset");
}

static int parse(gguf_file *f, sk_err *err) {
  rd r = {.p = f->base, .size = f->size, .pos = 0, .err = err};
  uint32_t magic;
  int rc = rd_u32(&r, &magic, "magic");
  if (rc) return rc;
  if (memcmp(&magic, "GGUF", 4) != 0)
    return sk_err_set(err, SK_EFORMAT, "not a GGUF file: magic at offset 0 is not 'GGUF'");
  if ((rc = rd_u32(&r, &f->version, "version"))) return rc;
  if (f->version != 2 && f->version != 3)
    return sk_err_set(err, f->version == 1 ? SK_ENOTSUP : SK_EFORMAT,
                      "GGUF version %u at offset 4 is not supported (2 and 3 are)", f->version);
  uint64_t n_tensors, n_kv;
  if ((rc = rd_u64(&r, &n_tensors, "tensor count"))) return rc;
  if ((rc = rd_u64(&r, &n_kv, "metadata count"))) return rc;
  if (n_tensors > GGUF_MAX_TENSORS)
    return sk_err_set(err, SK_EFORMAT, "tensor count %llu at offset 8 exceeds the limit %d",
                      (unsigned long long)n_tensors, GGUF_MAX_TENSORS);
  if (n_kv > GGUF_MAX_KV)
    return sk_err_set(err, SK_EFORMAT, "metadata count %llu at offset 16 exceeds the limit %d",
                      (unsigned long long)n_kv, GGUF_MAX_KV);
  /* Each kv needs >= 8+1+4 bytes and each tensor >= 8+1+4+8+4+8: refuse counts the file can't hold
   * before allocating for them. */
  if (n_kv * 13 + n_tensors * 33 > f->size - r.pos)
    return sk_err_set(err, SK_EFORMAT, "counts (%llu metadata, %llu tensors) cannot fit in a "
                      "%llu-byte file", (unsigned long long)n_kv, (unsigned long long)n_tensors,
                      (unsigned long long)f->size);
  f->kv = sk_calloc((size_t)n_kv, sizeof *f->kv);
  f->tensors = sk_calloc((size_t)n_tensors, sizeof *f->tensors);
  f->kv_hash_cap = hash_cap_for((size_t)n_kv);
  f->t_hash_cap = hash_cap_for((size_t)n_tensors);
  f->kv_hash = sk_calloc(f->kv_hash_cap, sizeof *f->kv_hash);
  f->t_hash = sk_calloc(f->t_hash_cap, sizeof *f->t_hash);
  if (!f->kv || !f->tensors || !f->kv_hash || !f->t_hash)
    return sk_err_set(err, SK_ENOMEM, "out of memory for the GGUF index");

  for (size_t i = 0; i < n_kv; i++) {
    f->n_kv = i + 1; /* counted before parsing so close() frees a half-built entry */
    if ((rc = parse_kv(f, &r, i))) return rc;
    size_t slot;
    gguf_str k = f->kv[i].key;
    if (hash_find(f->kv_hash, f->kv_hash_cap, k.ptr, k.len, kv_key_of, f, &slot) >= 0)
      return sk_err_set(err, SK_EFORMAT, "duplicate metadata key '%.*s'",
                        k.len > 200 ? 200 : (int)k.len, k.ptr);
    f->kv_hash[slot] = (uint32_t)i + 1;
  }

  f->alignment = GGUF_DEFAULT_ALIGNMENT;
  long ai = gguf_find_key(f, "general.alignment");
  if (ai >= 0) {
    if (f->kv[ai].type != GGUF_TYPE_UINT32)
      return sk_err_set(err, SK_EFORMAT, "general.alignment must be a uint32");
    memcpy(&f->alignment, f->kv[ai].val, 4);
    if (f->alignment == 0 || (f->alignment & (f->alignment - 1)) || f->alignment > (1u << 16))
      return sk_err_set(err, SK_EFORMAT, "general.alignment %u is not a power of two <= 65536",
                        f->alignment);
  }

  for (size_t i = 0; i < n_tensors; i++) {
    if ((rc = parse_tensor(f, &r, i))) return rc;
    f->n_tensors = i + 1;
    size_t slot;
    gguf_str nm = f->tensors[i].name;
    if (hash_find(f->t_hash, f->t_hash_cap, nm.ptr, nm.len, tensor_key_of, f, &slot) >= 0)
      return sk_err_set(err, SK_EFORMAT, "duplicate tensor name '%.*s'",
                        nm.len > 200 ? 200 : (int)nm.len, nm.ptr);
    f->t_hash[slot] = (uint32_t)i + 1;
  }

  uint64_t data = (r.pos + f->alignment - 1) / f->alignment * f->alignment;
  if (n_tensors > 0 && data > f->size)
    return sk_err_set(err, SK_EFORMAT, "tensor data section at offset %llu lies past the end of "
                      "the %llu-byte file", (unsigned long long)data, (unsigned long long)f->size);
  f->data_offset = data;
  for (size_t i = 0; i < n_tensors; i++) {
    gguf_tensor *t = &f->tensors[i];
    const int nlen = t->name.len > 200 ? 200 : (int)t->name.len;
    if (t->offset % f->alignment)
      return sk_err_set(err, SK_EFORMAT, "tensor '%.*s': data offset %llu is not aligned to %u",
                        nlen, t->name.ptr, (unsigned long long)t->offset, f->alignment);
    uint64_t avail = f->size - data;
    if (t->offset > avail || t->size_bytes > avail - t->offset)
      return sk_err_set(err, SK_EFORMAT, "tensor '%.*s': data [%llu, +%llu) lies past the end of "
                        "the file (truncated download?)", nlen, t->name.ptr,
                        (unsigned long long)(data + t->offset),
                        (unsigned long long)t->size_bytes);
    t->data = f->base + data + t->offset;
  }
  return SK_OK;
}

static int open_common(gguf_file *f, gguf_file **out, sk_err *err) {
  int rc = parse(f, err);
  if (rc) {
    gguf_close(f);
    return rc;
  }
  *out = f;
  return SK_OK;
}

int gguf_open_memory(const void *data, size_t size_bytes, gguf_file **out, sk_err *err) {
  *out = NULL;
  gguf_file *f = sk_calloc(1, sizeof *f);
  if (!f) return sk_err_set(err, SK_ENOMEM, "out of memory");
  f->base = data;
  f->size = size_bytes;
  return open_common(f, out, err);
}

#define GGUF_HUGE_PAGE ((size_t)2 << 20) /* x86-64 / arm64 (4 KiB granule) PMD page */

/* 1 unless /sys/kernel/mm/transparent_hugepage/enabled says [never] (or does not exist). */
static int thp_available(void) {
  FILE *fp = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
  if (!fp) return 0;
  char line[128] = {0};
  int ok = fgets(line, sizeof line, fp) != NULL && strstr(line, "[never]") == NULL;
  fclose(fp);
  return ok;
}

/* MemAvailable of /proc/meminfo in bytes (0 when unknown). */
static uint64_t mem_available(void) {
  FILE *fp = fopen("/proc/meminfo", "r");
  if (!fp) return 0;
  char line[128];
  unsigned long long kib = 0;
  while (fgets(line, sizeof line, fp))
    if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1) break;
  fclose(fp);
  return (uint64_t)kib * 1024;
}

/* Reads exactly n bytes from fd's start; 0 or -1. */
static int read_all(int fd, uint8_t *p, size_t n) {
  size_t off = 0;
  while (off < n) {
    ssize_t r = pread(fd, p + off, n - off, (off_t)off);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    off += (size_t)r;
  }
  return 0;
}

int gguf_open(const char *path, gguf_file **out, sk_err *err) {
  return gguf_open_ex(path, GGUF_LOAD_MAP, out, err);
}

int gguf_open_ex(const char *path, gguf_load how, gguf_file **out, sk_err *err) {
  *out = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sk_err_set(err, SK_EIO, "cannot open '%s': %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return sk_err_set(err, SK_EIO, "'%s' is not a regular file", path);
  }
  if (st.st_size < 24) {
    close(fd);
    return sk_err_set(err, SK_EFORMAT, "'%s' is too small (%lld bytes) to be a GGUF file", path,
                      (long long)st.st_size);
  }
  const size_t size = (size_t)st.st_size;
  int copied = 0;
  void *map = MAP_FAILED, *region = MAP_FAILED;
  size_t region_bytes = 0;
  if (how == GGUF_LOAD_AUTO)
    how = (uint64_t)st.st_size >= GGUF_HUGE_MIN_BYTES && thp_available() &&
                  (uint64_t)st.st_size <= mem_available() / 2
              ? GGUF_LOAD_HUGE
              : GGUF_LOAD_MAP;
  if (how == GGUF_LOAD_HUGE) {
    region_bytes = (size + 2 * GGUF_HUGE_PAGE - 1) / GGUF_HUGE_PAGE * GGUF_HUGE_PAGE;
    region = mmap(NULL, region_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region != MAP_FAILED) {
      uint8_t *p = (uint8_t *)(((uintptr_t)region + GGUF_HUGE_PAGE - 1) &
                               ~(uintptr_t)(GGUF_HUGE_PAGE - 1));
      (void)madvise(p, size, MADV_HUGEPAGE); /* advice: without THP it is plain memory */
      if (read_all(fd, p, size) == 0 && mprotect(p, size, PROT_READ) == 0) {
        map = p;
        copied = 1;
      } else {
        munmap(region, region_bytes);
        region = MAP_FAILED;
      }
    }
  }
  if (map == MAP_FAILED) {
    map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    /* Page-cache misses then read ahead in 2 MiB folios that map with one TLB entry each. */
    if (map != MAP_FAILED) (void)madvise(map, size, MADV_HUGEPAGE);
    region = map;
    region_bytes = size;
  }
  close(fd);
  if (map == MAP_FAILED) return sk_err_set(err, SK_EIO, "cannot map '%s': %s", path, strerror(errno));
  gguf_file *f = sk_calloc(1, sizeof *f);
  if (!f) {
    munmap(region, region_bytes);
    return sk_err_set(err, SK_ENOMEM, "out of memory");
  }
  f->base = map;
  f->size = (uint64_t)st.st_size;
  f->mapped = 1;
  f->map_base = region;
  f->map_bytes = region_bytes;
  f->copied = copied;
  int rc = open_common(f, out, err);
  if (rc) sk_err_wrap(err, "%s", path);
  return rc;
}

void gguf_close(gguf_file *f) {
  if (!f) return;
  for (size_t i = 0; i < f->n_kv; i++) sk_free(f->kv[i].str_offs);
  sk_free(f->kv);
  sk_free(f->tensors);
  sk_free(f->kv_hash);
  sk_free(f->t_hash);
  if (f->mapped) munmap(f->map_base, f->map_bytes);
  sk_free(f);
}

int gguf_is_copied(const gguf_file *f) { return f->copied; }
uint32_t gguf_version(const gguf_file *f) { return f->version; }
uint32_t gguf_alignment(const gguf_file *f) { return f->alignment; }
uint64_t gguf_file_size(const gguf_file *f) { return f->size; }
uint64_t gguf_data_offset(const gguf_file *f) { return f->data_offset; }
size_t gguf_kv_count(const gguf_file *f) { return f->n_kv; }
gguf_str gguf_kv_key(const gguf_file *f, size_t i) { return f->kv[i].key; }
uint32_t gguf_kv_type(const gguf_file *f, size_t i) { return f->kv[i].type; }
size_t gguf_tensor_count(const gguf_file *f) { return f->n_tensors; }
const gguf_tensor *gguf_tensor_at(const gguf_file *f, size_t i) {
  return i < f->n_tensors ? &f->tensors[i] : NULL;
}

int gguf_str_eq(gguf_str s, const char *c) { return str_eq2(s, c, strlen(c)); }

long gguf_find_key(const gguf_file *f, const char *key) {
  if (!f->kv_hash) return -1;
  return hash_find(f->kv_hash, f->kv_hash_cap, key, strlen(key), kv_key_of, f, NULL);
}

const gguf_tensor *gguf_find_tensor(const gguf_file *f, const char *name) {
  if (!f->t_hash) return NULL;
  long i = hash_find(f->t_hash, f->t_hash_cap, name, strlen(name), tensor_key_of, f, NULL);
  return i < 0 ? NULL : &f->tensors[i];
}

/* ---- value access ---- */

/* Reads a scalar of GGUF type t at p as either an integer (is_int) or a double. */
static int scalar_value(uint32_t t, const uint8_t *p, int64_t *iv, uint64_t *uv, double *dv,
                        int *kind /* 0 signed, 1 unsigned, 2 float */) {
  union { uint8_t u8; int8_t i8; uint16_t u16; int16_t i16; uint32_t u32; int32_t i32;
          uint64_t u64; int64_t i64; float f32; double f64; } v;
  uint64_t sz = scalar_size(t);
  if (sz == 0) return SK_EFORMAT;
  memcpy(&v, p, sz);
  switch (t) {
  case GGUF_TYPE_UINT8: *uv = v.u8; *kind = 1; break;
  case GGUF_TYPE_BOOL: *uv = v.u8 != 0; *kind = 1; break;
  case GGUF_TYPE_UINT16: *uv = v.u16; *kind = 1; break;
  case GGUF_TYPE_UINT32: *uv = v.u32; *kind = 1; break;
  case GGUF_TYPE_UINT64: *uv = v.u64; *kind = 1; break;
  case GGUF_TYPE_INT8: *iv = v.i8; *kind = 0; break;
  case GGUF_TYPE_INT16: *iv = v.i16; *kind = 0; break;
  case GGUF_TYPE_INT32: *iv = v.i32; *kind = 0; break;
  case GGUF_TYPE_INT64: *iv = v.i64; *kind = 0; break;
  case GGUF_TYPE_FLOAT32: *dv = v.f32; *kind = 2; break;
  case GGUF_TYPE_FLOAT64: *dv = v.f64; *kind = 2; break;
  default: return SK_EFORMAT;
  }
  return SK_OK;
}

static const gguf_kv *kv_by_key(const gguf_file *f, const char *key) {
  long i = gguf_find_key(f, key);
  return i < 0 ? NULL : &f->kv[i];
}

static int get_u64_checked(const gguf_kv *kv, uint64_t *out) {
  int64_t iv = 0; uint64_t uv = 0; double dv = 0; int kind;
  if (scalar_value(kv->type, kv->val, &iv, &uv, &dv, &kind)) return SK_EFORMAT;
  if (kind == 2) return SK_EFORMAT;
  if (kind == 0) {
    if (iv < 0) return SK_EFORMAT;
    uv = (uint64_t)iv;
  }
  *out = uv;
  return SK_OK;
}

int gguf_get_u64(const gguf_file *f, const char *key, uint64_t *out) {
  const gguf_kv *kv = kv_by_key(f, key);
  if (!kv) return SK_ENOTFOUND;
  return get_u64_checked(kv, out);
}

int gguf_get_u32(const gguf_file *f, const char *key, uint32_t *out) {
  uint64_t v;
  int rc = gguf_get_u64(f, key, &v);
  if (rc) return rc;
  if (v > UINT32_MAX) return SK_EFORMAT;
  *out = (uint32_t)v;
  return SK_OK;
}

int gguf_get_i64(const gguf_file *f, const char *key, int64_t *out) {
  const gguf_kv *kv = kv_by_key(f, key);
  if (!kv) return SK_ENOTFOUND;
  int64_t iv = 0; uint64_t uv = 0; double dv = 0; int kind;
  if (scalar_value(kv->type, kv->val, &iv, &uv, &dv, &kind) || kind == 2) return SK_EFORMAT;
  if (kind == 1) {
    if (uv > INT64_MAX) return SK_EFORMAT;
    iv = (int64_t)uv;
  }
  *out = iv;
  return SK_OK;
}

int gguf_kv_number(const gguf_file *f, size_t i, double *out) {
  if (i >= f->n_kv) return SK_EINVAL;
  int64_t iv = 0; uint64_t uv = 0; double dv = 0; int kind;
  if (scalar_value(f->kv[i].type, f->kv[i].val, &iv, &uv, &dv, &kind)) return SK_EFORMAT;
  *out = kind == 0 ? (double)iv : kind == 1 ? (double)uv : dv;
  return SK_OK;
}

int gguf_get_f32(const gguf_file *f, const char *key, float *out) {
  long i = gguf_find_key(f, key);
  if (i < 0) return SK_ENOTFOUND;
  double d;
  if (f->kv[i].type == GGUF_TYPE_BOOL || gguf_kv_number(f, (size_t)i, &d)) return SK_EFORMAT;
  *out = (float)d;
  return SK_OK;
}

int gguf_get_bool(const gguf_file *f, const char *key, int *out) {
  const gguf_kv *kv = kv_by_key(f, key);
  if (!kv) return SK_ENOTFOUND;
  if (kv->type != GGUF_TYPE_BOOL) return SK_EFORMAT;
  *out = kv->val[0] != 0;
  return SK_OK;
}

static gguf_str str_at(const uint8_t *p) {
  gguf_str s;
  memcpy(&s.len, p, 8);
  s.ptr = (const char *)p + 8;
  return s;
}

int gguf_kv_str(const gguf_file *f, size_t i, gguf_str *out) {
  if (i >= f->n_kv) return SK_EINVAL;
  if (f->kv[i].type != GGUF_TYPE_STRING) return SK_EFORMAT;
  *out = str_at(f->kv[i].val);
  return SK_OK;
}

int gguf_get_str(const gguf_file *f, const char *key, gguf_str *out) {
  long i = gguf_find_key(f, key);
  if (i < 0) return SK_ENOTFOUND;
  return gguf_kv_str(f, (size_t)i, out);
}

int gguf_kv_arr(const gguf_file *f, size_t i, uint32_t *elem_type, uint64_t *len) {
  if (i >= f->n_kv) return SK_EINVAL;
  if (f->kv[i].type != GGUF_TYPE_ARRAY) return SK_EFORMAT;
  *elem_type = f->kv[i].arr_type;
  *len = f->kv[i].arr_len;
  return SK_OK;
}

int gguf_get_arr(const gguf_file *f, const char *key, uint32_t *elem_type, uint64_t *len) {
  long i = gguf_find_key(f, key);
  if (i < 0) return SK_ENOTFOUND;
  return gguf_kv_arr(f, (size_t)i, elem_type, len);
}

int gguf_arr_str(const gguf_file *f, const char *key, uint64_t i, gguf_str *out) {
  const gguf_kv *kv = kv_by_key(f, key);
  if (!kv) return SK_ENOTFOUND;
  if (kv->type != GGUF_TYPE_ARRAY || kv->arr_type != GGUF_TYPE_STRING) return SK_EFORMAT;
  if (i >= kv->arr_len) return SK_ERANGE;
  *out = str_at(kv->val + kv->str_offs[i]);
  return SK_OK;
}

static int arr_numeric(const gguf_file *f, const char *key, uint64_t n, const gguf_kv **kv_out) {
  const gguf_kv *kv = kv_by_key(f, key);
  if (!kv) return SK_ENOTFOUND;
  if (kv->type != GGUF_TYPE_ARRAY || scalar_size(kv->arr_type) == 0) return SK_EFORMAT;
  if (n > kv->arr_len) return SK_ERANGE;
  *kv_out = kv;
  return SK_OK;
}

int gguf_arr_copy_f32(const gguf_file *f, const char *key, float *dst, uint64_t n) {
  const gguf_kv *kv;
  int rc = arr_numeric(f, key, n, &kv);
  if (rc) return rc;
  uint64_t es = scalar_size(kv->arr_type);
  if (kv->arr_type == GGUF_TYPE_FLOAT32) {
    memcpy(dst, kv->val, n * 4);
    return SK_OK;
  }
  for (uint64_t i = 0; i < n; i++) {
    int64_t iv = 0; uint64_t uv = 0; double dv = 0; int kind;
    if (scalar_value(kv->arr_type, kv->val + i * es, &iv, &uv, &dv, &kind)) return SK_EFORMAT;
    dst[i] = (float)(kind == 0 ? (double)iv : kind == 1 ? (double)uv : dv);
  }
  return SK_OK;
}

int gguf_arr_copy_i32(const gguf_file *f, const char *key, int32_t *dst, uint64_t n) {
  const gguf_kv *kv;
  int rc = arr_numeric(f, key, n, &kv);
  if (rc) return rc;
  uint64_t es = scalar_size(kv->arr_type);
  for (uint64_t i = 0; i < n; i++) {
    int64_t iv = 0; uint64_t uv = 0; double dv = 0; int kind;
    if (scalar_value(kv->arr_type, kv->val + i * es, &iv, &uv, &dv, &kind) || kind == 2)
      return SK_EFORMAT;
    if (kind == 1) {
      if (uv > INT32_MAX) return SK_EFORMAT;
      iv = (int64_t)uv;
    }
    if (iv < INT32_MIN || iv > INT32_MAX) return SK_EFORMAT;
    dst[i] = (int32_t)iv;
  }
  return SK_OK;
}
