/* verify.c — full recomputation of the audit log. */
#include "audit/verify.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/checkpoint.h"
#include "audit/log.h"
#include "audit/record.h"
#include "base/alloc.h"
#include "base/fs.h"

/* Streaming read size: large enough that syscalls do not dominate hashing. */
#define VERIFY_CHUNK (4u << 20)
/* Beside a live writer, a frame being copied into preallocated space can be seen half written
 * (zeros where its next page is not copied yet): re-read a failing record this many times,
 * VERIFY_LIVE_WAIT_US apart, before calling it damage. */
#define VERIFY_LIVE_RETRIES 5
#define VERIFY_LIVE_WAIT_US 20000

/* Offset of the first non-zero byte at or after `from`, or UINT64_MAX; -1 on a read error. */
static int first_nonzero(int fd, uint64_t from, uint64_t *out) {
  uint8_t b[1 << 16];
  *out = UINT64_MAX;
  for (uint64_t at = from;;) {
    ssize_t n = pread(fd, b, sizeof b, (off_t)at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) return 0;
    for (ssize_t i = 0; i < n; i++)
      if (b[i]) {
        *out = at + (uint64_t)i;
        return 0;
      }
    at += (uint64_t)n;
  }
}

/* Beside a live writer: wait and make the loop re-read from pos (1), or give up (0). */
static int live_retry(int live, int *retries, size_t *len, size_t pos, int *eof) {
  if (!live || *retries >= VERIFY_LIVE_RETRIES) return 0;
  (*retries)++;
  usleep(VERIFY_LIVE_WAIT_US);
  *len = pos;
  *eof = 0;
  return 1;
}

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

static void bad(audit_verify_result *r, uint64_t seq, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void bad(audit_verify_result *r, uint64_t seq, const char *fmt, ...) {
  if (!r->ok) return; /* keep the first */
  r->ok = 0;
  r->first_bad = seq;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->reason, sizeof r->reason, fmt, ap);
  va_end(ap);
}

typedef struct frontier {
  merkle_hash h[MERKLE_MAX_PROOF + 1];
  size_t n;
  uint64_t count;
} frontier;

static void fr_push(frontier *f, const merkle_hash *leaf) {
  f->h[f->n++] = *leaf;
  for (uint64_t c = f->count; c & 1; c >>= 1) {
    merkle_node_hash(&f->h[f->n - 2], &f->h[f->n - 1], &f->h[f->n - 2]);
    f->n--;
  }
  f->count++;
}

static void fr_root(const frontier *f, merkle_hash *out) {
  if (f->n == 0) {
    merkle_empty_root(out);
    return;
  }
  merkle_hash r = f->h[f->n - 1];
  for (size_t i = f->n - 1; i-- > 0;) merkle_node_hash(&f->h[i], &r, &r);
  *out = r;
}

typedef struct ckpts {
  uint64_t *sizes;
  size_t n, next;
  uint64_t last_good; /* size of the last checkpoint that matched */
  sign_key key;
  int have_key;
} ckpts;

/* Checks checkpoint ck->sizes[ck->next] against the current frontier (count == its size). */
static int check_ckpt(const char *dir, ckpts *ck, const frontier *f, audit_verify_result *res, sk_err *err) {
  uint64_t size = ck->sizes[ck->next++];
  char *text = NULL;
  size_t len = 0;
  sk_err e2;
  int rc = audit_checkpoint_read(dir, size, &text, &len, &e2);
  if (rc) return sk_err_set(err, rc, "%s", e2.msg);
  audit_checkpoint c;
  if (ckpt_parse(text, len, &c, &e2) || c.size != size) {
    bad(res, ck->last_good, "checkpoint file for size %" PRIu64 " is malformed or renamed: %s", size, e2.msg);
  } else if (ckpt_verify(text, len, &ck->key, &e2)) {
    bad(res, ck->last_good, "checkpoint at size %" PRIu64 ": %s", size, e2.msg);
  } else {
    merkle_hash root;
    fr_root(f, &root);
    if (memcmp(root.b, c.root.b, MERKLE_HASH_BYTES) != 0)
      bad(res, ck->last_good,
          "records in [%" PRIu64 ", %" PRIu64 ") were rewritten: the tree root at size %" PRIu64
          " differs from the signed checkpoint of %s (hashes were recomputed to hide it)",
          ck->last_good, size, size, c.time);
    else {
      ck->last_good = size;
      res->checkpoints++;
    }
  }
  sk_free(text);
  return SK_OK;
}

int audit_verify(const char *dir, uint64_t from, audit_verify_result *res, sk_err *err) {
  memset(res, 0, sizeof *res);
  res->ok = 1;
  if (merkle_init()) return sk_err_set(err, SK_EIO, "libsodium failed to initialise");
  char path[PATH_MAX];
  int rc = sk_path_join(path, sizeof path, dir, AUDIT_FILE_NAME);
  if (rc) return sk_err_set(err, rc, "path too long");
  ckpts ck = {0};
  if ((rc = audit_checkpoint_sizes(dir, &ck.sizes, &ck.n, err))) return rc;
  if (ck.n) {
    char sp[PATH_MAX], pp[PATH_MAX];
    if ((rc = audit_key_paths(dir, sp, pp, err)) || (rc = sign_load_public(pp, &ck.key, err))) {
      sk_free(ck.sizes);
      return sk_err_wrap(err, "checkpoints exist but the log's public key cannot be read");
    }
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    sk_free(ck.sizes);
    return sk_err_set(err, errno == ENOENT ? SK_ENOTFOUND : SK_EIO, "cannot open %s: %s", path, strerror(errno));
  }
  /* A live writer holds an exclusive flock: then an incomplete last frame is an append in
   * flight, not damage. Without a writer it is a truncation or an unrecovered crash. */
  int live = 0;
  if (flock(fd, LOCK_SH | LOCK_NB) != 0) live = errno == EWOULDBLOCK;
  else flock(fd, LOCK_UN);
  size_t cap = VERIFY_CHUNK + AUDIT_MAX_RECORD_BYTES + AUDIT_FRAME_OVERHEAD;
  uint8_t *buf = sk_malloc(cap);
  if (!buf) {
    close(fd);
    sk_free(ck.sizes);
    return sk_err_set(err, SK_ENOMEM, "out of memory");
  }
  uint8_t hdr[AUDIT_HEADER_BYTES];
  if (pread(fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr || memcmp(hdr, AUDIT_FILE_MAGIC, 8) || le32(hdr + 8) != 1 ||
      le32(hdr + 12) != 0)
    bad(res, 0, "the file header is damaged or not a Sekisho audit log");
  frontier f = {0};
  while (res->ok && ck.next < ck.n && ck.sizes[ck.next] == 0) /* a checkpoint of the empty log */
    if ((rc = check_ckpt(dir, &ck, &f, res, err))) goto out;
  uint64_t off = AUDIT_HEADER_BYTES; /* file offset of buf[0] */
  size_t len = 0, pos = 0;
  int eof = 0, retries = 0;
  while (res->ok) {
    if (!eof && len - pos < AUDIT_MAX_RECORD_BYTES + AUDIT_FRAME_OVERHEAD) {
      memmove(buf, buf + pos, len - pos);
      off += pos;
      len -= pos;
      pos = 0;
      while (!eof && len < cap - AUDIT_MAX_RECORD_BYTES) {
        ssize_t n = pread(fd, buf + len, cap - len, (off_t)(off + len));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          rc = sk_err_set(err, SK_EIO, "reading %s: %s", path, strerror(errno));
          goto out;
        }
        if (n == 0) eof = 1;
        len += (size_t)n;
      }
    }
    size_t avail = len - pos;
    if (avail == 0) break;
    uint64_t i = f.count;
    const uint8_t *p = buf + pos;
    size_t hl = avail < 12 ? avail : 12, z = 0;
    while (z < hl && p[z] == 0) z++;
    if (z == hl) { /* an all-zero header: the records end, preallocated space follows */
      uint64_t nz;
      if (first_nonzero(fd, off + pos, &nz) != 0) {
        rc = sk_err_set(err, SK_EIO, "reading %s: %s", path, strerror(errno));
        goto out;
      }
      if (nz == UINT64_MAX || live) break; /* live: an append in flight */
      bad(res, i, "non-zero byte at offset %" PRIu64 " after the end of the records (offset %" PRIu64
                  "): a record's header was zeroed, a torn write never acknowledged, or bytes were added",
          nz, off + pos);
      break;
    }
    if (avail < 12) {
      if (live) break;
      bad(res, i, "the file ends inside record %" PRIu64 "'s header (%zu stray bytes at offset %" PRIu64
                  "): truncated or a torn write never acknowledged",
          i, avail, off + pos);
      break;
    }
    uint32_t rlen = le32(p);
    uint64_t seq = le64(p + 4);
    if (seq != i) {
      if (live_retry(live, &retries, &len, pos, &eof)) continue;
      bad(res, i, "record %" PRIu64 " at offset %" PRIu64 " carries sequence number %" PRIu64
                  " (records deleted, inserted, reordered or the frame altered)",
          i, off + pos, seq);
      break;
    }
    if (rlen > AUDIT_MAX_RECORD_BYTES) {
      if (live_retry(live, &retries, &len, pos, &eof)) continue;
      bad(res, i, "record %" PRIu64 " claims %u bytes, more than any record may have", i, rlen);
      break;
    }
    if (avail < (size_t)rlen + AUDIT_FRAME_OVERHEAD) {
      if (live) break;
      bad(res, i, "the file ends inside record %" PRIu64 " (truncated, or a torn write never acknowledged)", i);
      break;
    }
    merkle_hash leaf;
    memcpy(leaf.b, p + 12 + rlen, MERKLE_HASH_BYTES);
    if (i >= from) {
      merkle_hash h;
      merkle_leaf_hash(p + 12, rlen, &h);
      res->rehashed++;
      if (memcmp(h.b, leaf.b, MERKLE_HASH_BYTES)) {
        if (live_retry(live, &retries, &len, pos, &eof)) continue;
        bad(res, i, "record %" PRIu64 " does not match its hash: its content or stored hash was changed", i);
        break;
      }
      if (!record_has_seq((const char *)p + 12, rlen, i)) {
        if (live_retry(live, &retries, &len, pos, &eof)) continue;
        bad(res, i, "record %" PRIu64 "'s text names a different sequence number (moved record)", i);
        break;
      }
    }
    fr_push(&f, &leaf);
    retries = 0;
    pos += (size_t)rlen + AUDIT_FRAME_OVERHEAD;
    while (res->ok && ck.next < ck.n && ck.sizes[ck.next] == f.count)
      if ((rc = check_ckpt(dir, &ck, &f, res, err))) goto out;
  }
  res->records = f.count;
  if (res->ok && ck.next < ck.n)
    bad(res, f.count, "the log has %" PRIu64 " records but a signed checkpoint covers %" PRIu64
                      ": records from %" PRIu64 " on were deleted",
        f.count, ck.sizes[ck.n - 1], f.count);
  fr_root(&f, &res->root);
out:
  sk_free(buf);
  sk_free(ck.sizes);
  close(fd);
  return rc;
}
