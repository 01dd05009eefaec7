/* log.c — append-only file, crash recovery, group commit, in-memory leaf index. */
#include "audit/log.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/record.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/fs.h"

/* Read buffer for the recovery scan at open. */
#define AUDIT_SCAN_CHUNK (1u << 20)

/* An appender waiting for its group commit. Lives on the appender's stack; queued in sequence
 * order, so the records one flush covers are always a prefix of the queue. */
typedef struct waiter {
  uint64_t last;        /* last sequence number of the append */
  struct waiter *next;
  sem_t sem;            /* posted once: the append is settled, or this waiter must lead */
  int lead;             /* set before the post: lead the next group commit */
  int rc;               /* set before the post when settled */
} waiter;

struct audit_log {
  pthread_mutex_t mu;
  pthread_cond_t cv;    /* flushing cleared, or pending drained (back-pressure, close) */
  waiter *q_head, *q_tail;
  int fd;
  audit_opts opts;
  char dir[PATH_MAX];
  /* index: every record assigned a number (durable or not yet) */
  merkle_hash *leaves;
  uint64_t *offsets;
  uint64_t assigned, cap;
  uint64_t durable;       /* records [0, durable) are on disk and synced */
  uint64_t assigned_end;  /* file offset after the last assigned frame */
  uint64_t durable_end;   /* file offset after the last durable frame */
  uint64_t alloc_end;     /* file size: [durable_end, alloc_end) is zeros (preallocated) */
  uint64_t written;       /* bytes of frames written since open (sizes the next extension) */
  /* compact range of the durable tree: perfect subtrees, largest first (for O(log n) roots) */
  merkle_hash frontier[MERKLE_MAX_PROOF + 1];
  size_t frontier_n;
  sk_buf pending, spare;
  bool flushing;
  int failed; /* sticky sk_code once a write/sync failed */
  audit_stats stats;
};

static void put_le32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put_le64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get_le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_le64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

static void frontier_push(audit_log *log, const merkle_hash *leaf, uint64_t index) {
  log->frontier[log->frontier_n++] = *leaf;
  for (uint64_t c = index; c & 1; c >>= 1) {
    merkle_node_hash(&log->frontier[log->frontier_n - 2], &log->frontier[log->frontier_n - 1],
                     &log->frontier[log->frontier_n - 2]);
    log->frontier_n--;
  }
}

static int reserve(audit_log *log, uint64_t extra, sk_err *err) {
  if (log->assigned + extra > AUDIT_MAX_RECORDS)
    return sk_err_set(err, SK_ELIMIT, "audit log is full (%llu records); start a new log",
                      (unsigned long long)AUDIT_MAX_RECORDS);
  if (log->assigned + extra <= log->cap) return SK_OK;
  uint64_t cap = log->cap ? log->cap : 1024;
  while (cap < log->assigned + extra) cap *= 2;
  merkle_hash *l = sk_realloc(log->leaves, (size_t)cap * sizeof *l);
  if (!l) return sk_err_set(err, SK_ENOMEM, "out of memory growing the audit index");
  log->leaves = l;
  uint64_t *o = sk_realloc(log->offsets, (size_t)cap * sizeof *o);
  if (!o) return sk_err_set(err, SK_ENOMEM, "out of memory growing the audit index");
  log->offsets = o;
  log->cap = cap;
  return SK_OK;
}

static int sync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = fsync(fd);
  close(fd);
  return rc;
}

/* Offset just after the last non-zero byte of the file (AUDIT_HEADER_BYTES if none after it). */
static int nonzero_end(int fd, uint64_t file_size, uint64_t *out) {
  uint8_t b[1 << 16];
  uint64_t end = file_size;
  while (end > AUDIT_HEADER_BYTES) {
    size_t n = end - AUDIT_HEADER_BYTES < sizeof b ? (size_t)(end - AUDIT_HEADER_BYTES) : sizeof b;
    if (pread(fd, b, n, (off_t)(end - n)) != (ssize_t)n) return -1;
    for (size_t i = n; i-- > 0;)
      if (b[i]) {
        *out = end - n + i + 1;
        return 0;
      }
    end -= n;
  }
  *out = AUDIT_HEADER_BYTES;
  return 0;
}

static int all_zero(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return 0;
  return 1;
}

/* Scans frames from the header on; stops at the first incomplete frame (torn tail) or at an
 * all-zero header (the preallocated tail). A damaged header is a torn write when nothing but
 * zeros follows it (nz_end: a write cut short inside preallocated space); otherwise, like any
 * structural damage in a complete frame, it is corruption. Stored leaf hashes are trusted here:
 * verify checks. */
static int scan(audit_log *log, uint64_t file_size, uint64_t nz_end, uint64_t *good_end, int *at_zero,
                sk_err *err) {
  sk_buf b;
  sk_buf_init(&b, AUDIT_SCAN_CHUNK + AUDIT_MAX_RECORD_BYTES + AUDIT_FRAME_OVERHEAD);
  int rc = sk_buf_reserve(&b, AUDIT_SCAN_CHUNK + AUDIT_MAX_RECORD_BYTES + AUDIT_FRAME_OVERHEAD);
  if (rc) return sk_err_set(err, rc, "out of memory for the recovery scan");
  uint64_t off = AUDIT_HEADER_BYTES; /* file offset of b.data[0] */
  size_t pos = 0;
  *good_end = off;
  for (;;) {
    /* refill so that at least one maximal frame is buffered if the file has it */
    if (b.len - pos < AUDIT_MAX_RECORD_BYTES + AUDIT_FRAME_OVERHEAD && off + b.len < file_size) {
      memmove(b.data, b.data + pos, b.len - pos);
      off += pos;
      b.len -= pos;
      pos = 0;
      ssize_t n = pread(log->fd, b.data + b.len, AUDIT_SCAN_CHUNK, (off_t)(off + b.len));
      if (n < 0) {
        rc = sk_err_set(err, SK_EIO, "reading %s/%s: %s", log->dir, AUDIT_FILE_NAME, strerror(errno));
        break;
      }
      b.len += (size_t)n;
    }
    size_t avail = b.len - pos;
    if (avail == 0) break;
    const uint8_t *p = (const uint8_t *)b.data + pos;
    if (avail < 12) { /* torn frame header, or a short zero tail */
      *at_zero = all_zero(p, avail);
      break;
    }
    if (all_zero(p, 12)) { /* end of the records: preallocated space */
      *at_zero = 1;
      break;
    }
    uint32_t len = get_le32(p);
    uint64_t seq = get_le64(p + 4);
    if ((len > AUDIT_MAX_RECORD_BYTES || seq != log->assigned) && nz_end <= off + pos + 12) break; /* torn */
    if (len > AUDIT_MAX_RECORD_BYTES || seq != log->assigned) {
      rc = sk_err_set(err, SK_ECORRUPT,
                      "record %llu at offset %llu is damaged (length %u, sequence %llu); run "
                      "'sekisho audit verify' to see the first bad record",
                      (unsigned long long)log->assigned, (unsigned long long)(off + pos), len,
                      (unsigned long long)seq);
      break;
    }
    if (avail < (size_t)len + AUDIT_FRAME_OVERHEAD) break; /* torn frame body */
    if ((rc = reserve(log, 1, err))) break;
    log->offsets[log->assigned] = off + pos;
    memcpy(log->leaves[log->assigned].b, p + 12 + len, MERKLE_HASH_BYTES);
    log->assigned++;
    pos += (size_t)len + AUDIT_FRAME_OVERHEAD;
    *good_end = off + pos;
  }
  sk_buf_release(&b);
  return rc;
}

/* The last group commit before a crash may have left frames whose length is on disk but whose
 * bytes are not (some file systems expose zeros after a power cut). Only the last flush can be
 * torn, and a flush writes at most AUDIT_MAX_PENDING_BYTES: rehash the frames in that window. If
 * the bad frames run to the end of the file, they are the torn tail: cut the log at the first.
 * A bad frame followed by good ones is tampering, not a crash: refuse (fail closed).
 * Content damage before the window is left for verify to report. */
static int check_tail(audit_log *log, uint64_t *good_end, sk_err *err) {
  uint64_t window = AUDIT_MAX_PENDING_BYTES + AUDIT_MAX_RECORD_BYTES + AUDIT_FRAME_OVERHEAD;
  uint64_t from = *good_end > window ? *good_end - window : 0;
  uint64_t lo = 0, hi = log->assigned; /* first frame starting at or after `from` */
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (log->offsets[mid] < from) lo = mid + 1;
    else hi = mid;
  }
  char *b = sk_malloc(AUDIT_MAX_RECORD_BYTES + AUDIT_FRAME_OVERHEAD);
  if (!b) return sk_err_set(err, SK_ENOMEM, "out of memory");
  int rc = SK_OK;
  uint64_t first_bad = UINT64_MAX;
  for (uint64_t i = lo; i < log->assigned; i++) {
    uint64_t end = i + 1 < log->assigned ? log->offsets[i + 1] : *good_end;
    size_t n = (size_t)(end - log->offsets[i]);
    if (pread(log->fd, b, n, (off_t)log->offsets[i]) != (ssize_t)n) {
      rc = sk_err_set(err, SK_EIO, "reading %s/%s: %s", log->dir, AUDIT_FILE_NAME, strerror(errno));
      break;
    }
    merkle_hash h;
    size_t len = n - AUDIT_FRAME_OVERHEAD;
    merkle_leaf_hash(b + 12, len, &h);
    int good = memcmp(h.b, log->leaves[i].b, MERKLE_HASH_BYTES) == 0 && record_has_seq(b + 12, len, i);
    if (!good && first_bad == UINT64_MAX) first_bad = i;
    if (good && first_bad != UINT64_MAX) {
      /* intact records after a bad one: not a torn tail but damage; never cut good records */
      rc = sk_err_set(err, SK_ECORRUPT,
                      "record %llu does not match its hash but later records are intact: the log was "
                      "altered; run 'sekisho audit verify' and preserve %s as evidence",
                      (unsigned long long)first_bad, log->dir);
      break;
    }
  }
  if (rc == SK_OK && first_bad != UINT64_MAX) {
    *good_end = log->offsets[first_bad];
    log->assigned = first_bad;
  }
  sk_free(b);
  return rc;
}

/* Copies bytes [from, to) of the log to records.log.torn-<ms> before they are cut off: an
 * unacknowledged torn write is harmless, but if it was tampering the evidence is kept. */
static int quarantine(audit_log *log, uint64_t from, uint64_t to, sk_err *err) {
  char path[PATH_MAX];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int out = -1;
  /* Two recoveries within one millisecond (tests, or a crash loop) must not collide: add a
   * counter rather than fail. */
  for (int k = 0; out < 0 && k < 1000; k++) {
    if (snprintf(path, sizeof path, "%s/%s.torn-%lld%03ld-%d", log->dir, AUDIT_FILE_NAME,
                 (long long)ts.tv_sec, ts.tv_nsec / 1000000, k) >= (int)sizeof path)
      return sk_err_set(err, SK_ELIMIT, "path too long");
    out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0 && errno != EEXIST) break;
  }
  if (out < 0) return sk_err_set(err, SK_EIO, "cannot create %s: %s", path, strerror(errno));
  char buf[1 << 16];
  int ok = 1;
  for (uint64_t at = from; ok && at < to;) {
    size_t n = to - at < sizeof buf ? (size_t)(to - at) : sizeof buf;
    ok = pread(log->fd, buf, n, (off_t)at) == (ssize_t)n && write(out, buf, n) == (ssize_t)n;
    at += n;
  }
  ok = ok && fsync(out) == 0;
  close(out);
  if (!ok || sync_dir(log->dir) != 0) return sk_err_set(err, SK_EIO, "cannot write %s: %s", path, strerror(errno));
  return SK_OK;
}

const char *audit_dir(const audit_log *log) { return log->dir; }

int audit_open(const char *dir, const audit_opts *opts, audit_log **out, sk_err *err) {
  *out = NULL;
  if (merkle_init() != SK_OK) return sk_err_set(err, SK_EIO, "libsodium failed to initialise");
  audit_log *log = sk_calloc(1, sizeof *log);
  if (!log) return sk_err_set(err, SK_ENOMEM, "out of memory");
  log->fd = -1;
  if (opts) log->opts = *opts;
  pthread_mutex_init(&log->mu, NULL);
  pthread_cond_init(&log->cv, NULL);
  sk_buf_init(&log->pending, AUDIT_MAX_PENDING_BYTES);
  sk_buf_init(&log->spare, log->pending.max_bytes);
  int rc = SK_OK;
  char path[PATH_MAX];
  if (snprintf(log->dir, sizeof log->dir, "%s", dir) >= (int)sizeof log->dir ||
      (rc = sk_path_join(path, sizeof path, dir, AUDIT_FILE_NAME))) {
    rc = sk_err_set(err, SK_ELIMIT, "audit directory path too long");
    goto fail;
  }
  bool ro = log->opts.read_only;
  if (!ro && (rc = sk_mkdir_p(dir, err))) goto fail;
  log->fd = open(path, ro ? O_RDONLY | O_CLOEXEC : O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (log->fd < 0) {
    rc = sk_err_set(err, errno == ENOENT ? SK_ENOTFOUND : SK_EIO, "cannot open %s: %s%s", path, strerror(errno),
                    errno == ENOENT ? " (no audit log yet: append a record first)" : "");
    goto fail;
  }
  if (!ro && flock(log->fd, LOCK_EX | LOCK_NB) != 0) {
    rc = sk_err_set(err, SK_EBUSY, "%s is in use by another writer (is the gateway running?)", path);
    goto fail;
  }
  struct stat st;
  if (fstat(log->fd, &st) != 0) {
    rc = sk_err_set(err, SK_EIO, "stat %s: %s", path, strerror(errno));
    goto fail;
  }
  uint8_t hdr[AUDIT_HEADER_BYTES] = {0};
  if (st.st_size == 0) {
    if (ro) {
      rc = sk_err_set(err, SK_ENOTFOUND, "%s is empty", path);
      goto fail;
    }
    memcpy(hdr, AUDIT_FILE_MAGIC, 8);
    put_le32(hdr + 8, 1);
    if (pwrite(log->fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr || fdatasync(log->fd) != 0 ||
        sync_dir(dir) != 0) {
      rc = sk_err_set(err, SK_EIO, "cannot initialise %s: %s", path, strerror(errno));
      goto fail;
    }
    st.st_size = AUDIT_HEADER_BYTES;
  } else if (st.st_size < AUDIT_HEADER_BYTES || pread(log->fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr ||
             memcmp(hdr, AUDIT_FILE_MAGIC, 8) != 0 || get_le32(hdr + 8) != 1 ||
             get_le32(hdr + 12) != 0) {
    rc = sk_err_set(err, SK_ECORRUPT, "%s is not a Sekisho audit log (bad header)", path);
    goto fail;
  }
  uint64_t good_end = 0, nz_end = 0;
  if (nonzero_end(log->fd, (uint64_t)st.st_size, &nz_end) != 0) {
    rc = sk_err_set(err, SK_EIO, "reading %s: %s", path, strerror(errno));
    goto fail;
  }
  int at_zero = 0;
  if ((rc = scan(log, (uint64_t)st.st_size, nz_end, &good_end, &at_zero, err))) goto fail;
  if (at_zero && nz_end > good_end) {
    /* Writes are sequential, so a crash leaves zeros only after the last byte it wrote: data
     * after an all-zero header is a zeroed record or added bytes, not a torn write. Fail
     * closed, as for a bad frame followed by intact ones. */
    rc = sk_err_set(err, SK_ECORRUPT,
                    "%s: record %llu's header at offset %llu is zero but data follows it: the log was "
                    "altered; run 'sekisho audit verify' and preserve %s as evidence",
                    path, (unsigned long long)log->assigned, (unsigned long long)good_end, dir);
    goto fail;
  }
  if ((rc = check_tail(log, &good_end, err))) goto fail;
  log->alloc_end = (uint64_t)st.st_size;
  if (good_end < (uint64_t)st.st_size && nz_end > good_end) { /* a torn tail, not just zeros */
    log->alloc_end = good_end;
    log->stats.recovered_bytes = (uint64_t)st.st_size - good_end;
    if (!ro && ((rc = quarantine(log, good_end, (uint64_t)st.st_size, err)) ||
                ftruncate(log->fd, (off_t)good_end) != 0 || fdatasync(log->fd) != 0)) {
      if (!rc) rc = sk_err_set(err, SK_EIO, "cannot drop the torn tail of %s: %s", path, strerror(errno));
      goto fail;
    }
  }
  for (uint64_t i = 0; i < log->assigned; i++) frontier_push(log, &log->leaves[i], i);
  log->durable = log->assigned;
  if (log->alloc_end < good_end) log->alloc_end = good_end;
  log->assigned_end = log->durable_end = good_end;
  log->stats.records = log->durable;
  *out = log;
  return SK_OK;
fail:
  audit_close(log);
  return rc;
}

static int lead_commit(audit_log *log, sk_err *err);

void audit_close(audit_log *log) {
  if (!log) return;
  pthread_mutex_lock(&log->mu);
  while (log->flushing) pthread_cond_wait(&log->cv, &log->mu);
  if (!log->opts.read_only && !log->failed && log->durable < log->assigned) {
    log->flushing = true; /* records appended without waiting and not yet carried: write them */
    (void)lead_commit(log, NULL); /* releases mu; a failure leaves them out (never acknowledged) */
    pthread_mutex_lock(&log->mu);
  }
  pthread_mutex_unlock(&log->mu);
  /* trim the preallocated tail: a closed log is exactly its frames (best effort: a tail that
   * stays is valid, and a crash mid-trim leaves a shorter zero tail, also valid) */
  if (log->fd >= 0 && !log->opts.read_only && !log->failed && log->alloc_end > log->durable_end &&
      log->durable_end >= AUDIT_HEADER_BYTES && ftruncate(log->fd, (off_t)log->durable_end) == 0)
    (void)fdatasync(log->fd);
  if (log->fd >= 0) close(log->fd); /* releases the flock */
  sk_buf_release(&log->pending);
  sk_buf_release(&log->spare);
  sk_free(log->leaves);
  sk_free(log->offsets);
  pthread_cond_destroy(&log->cv);
  pthread_mutex_destroy(&log->mu);
  sk_free(log);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Under mu: frames one prepared body as record `assigned` directly into pending. */
static int frame_one(audit_log *log, const char *body, size_t body_len, int64_t t_ms, sk_err *err) {
  uint64_t seq = log->assigned;
  int rc = sk_buf_reserve(&log->pending, body_len + RECORD_ENVELOPE_MAX + AUDIT_FRAME_OVERHEAD + 1);
  if (rc) return sk_err_set(err, rc, "out of memory queueing a record");
  char *f = log->pending.data + log->pending.len;
  size_t room = log->pending.cap - log->pending.len - 12;
  size_t n = record_compose(f + 12, room < AUDIT_MAX_RECORD_BYTES + 1 ? room : AUDIT_MAX_RECORD_BYTES + 1, seq, t_ms,
                            body, body_len);
  if (n == 0) return sk_err_set(err, SK_ELIMIT, "record too large");
  put_le32((uint8_t *)f, (uint32_t)n);
  put_le64((uint8_t *)f + 4, seq);
  merkle_hash h;
  merkle_leaf_hash(f + 12, n, &h);
  memcpy(f + 12 + n, h.b, MERKLE_HASH_BYTES);
  log->pending.len += n + AUDIT_FRAME_OVERHEAD;
  log->pending.data[log->pending.len] = '\0';
  log->leaves[seq] = h;
  log->offsets[seq] = log->assigned_end;
  log->assigned_end += n + AUDIT_FRAME_OVERHEAD;
  log->assigned++;
  return SK_OK;
}

/* Under mu, with log->flushing set by the caller: writes and syncs everything pending (one group
 * commit). Drops mu while doing I/O, so that the next batch fills meanwhile (pipelining); the
 * flushing flag keeps other leaders out. Returns with mu held and flushing still set. */
static int flush_once(audit_log *log, sk_err *err) {
  sk_buf tmp = log->pending;
  log->pending = log->spare;
  log->spare = tmp;
  uint64_t target = log->assigned, end = log->assigned_end, at = log->durable_end;
  pthread_mutex_unlock(&log->mu);
  int rc = SK_OK, e = 0;
  size_t done = 0;
  /* Grow the zero-filled tail when this write would pass it: the one sync below then covers the
   * new size too, and the following commits overwrite existing blocks (no inode write). Only the
   * leader touches alloc_end and written (the flushing flag keeps others out). */
  log->written += log->spare.len;
  if (end > log->alloc_end) {
    uint64_t grow = log->written < AUDIT_PREALLOC_MIN ? AUDIT_PREALLOC_MIN
                    : log->written > AUDIT_PREALLOC_MAX ? AUDIT_PREALLOC_MAX : log->written;
    uint64_t from = log->alloc_end > end ? log->alloc_end : end, to = end + grow;
    static const uint8_t zeros[1 << 16];
    for (uint64_t z = from; rc == SK_OK && z < to;) {
      size_t n = to - z < sizeof zeros ? (size_t)(to - z) : sizeof zeros;
      ssize_t w = pwrite(log->fd, zeros, n, (off_t)z);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        e = errno;
        rc = SK_EIO;
        break;
      }
      z += (size_t)w;
    }
    if (rc == SK_OK) log->alloc_end = to;
  }
  while (rc == SK_OK && done < log->spare.len) {
    ssize_t w = pwrite(log->fd, log->spare.data + done, log->spare.len - done, (off_t)(at + done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      e = errno;
      rc = SK_EIO;
      break;
    }
    done += (size_t)w;
  }
  if (rc == SK_OK) {
    if (log->opts.fail_sync_after > 0 && --log->opts.fail_sync_after == 0) {
      rc = SK_EIO;
      e = EIO;
    } else if (fdatasync(log->fd) != 0) {
      rc = SK_EIO;
      e = errno;
    }
  }
  sk_buf_reset(&log->spare);
  pthread_mutex_lock(&log->mu);
  log->stats.syncs++;
  if (rc) {
    log->failed = rc;
    sk_err_set(err, rc, "audit log write/sync failed: %s; the log refuses appends until reopened", strerror(e));
  } else {
    for (uint64_t i = log->durable; i < target; i++) frontier_push(log, &log->leaves[i], i);
    log->durable = target;
    log->durable_end = end;
    log->stats.records = target;
  }
  return rc;
}

static int failed_rc(audit_log *log, sk_err *err) {
  sk_err_set(err, log->failed ? log->failed : SK_EIO,
             "audit log write/sync failed; the log refuses appends until reopened");
  return log->failed ? log->failed : SK_EIO;
}

/* Under mu, with log->flushing set: leads one group commit, which covers everything pending
 * (the leader's own records included). Then hands leadership to the first appender still
 * waiting (its records arrived during this flush) so the next commit starts at once, and wakes
 * exactly the appenders this commit covered: no broadcast, and they never retake mu.
 * Returns the commit's result with mu released. */
static int lead_commit(audit_log *log, sk_err *err) {
  int rc = flush_once(log, err);
  waiter *covered = NULL, **tail = &covered;
  while (log->q_head && (log->failed || log->q_head->last < log->durable)) {
    waiter *w = log->q_head;
    log->q_head = w->next;
    *tail = w;
    tail = &w->next;
  }
  *tail = NULL;
  if (!log->q_head) log->q_tail = NULL;
  waiter *next = NULL;
  if (log->q_head && !log->failed) {
    next = log->q_head;
    log->q_head = next->next;
    if (!log->q_head) log->q_tail = NULL;
    next->lead = 1; /* flushing stays set: it passes to `next` */
  } else {
    log->flushing = false;
  }
  pthread_cond_broadcast(&log->cv); /* back-pressure and close waiters only: usually none */
  int fail = log->failed;
  pthread_mutex_unlock(&log->mu);
  if (next) sem_post(&next->sem);
  while (covered) {
    waiter *w = covered;
    covered = w->next; /* read before the post: w lives on a stack that may unwind at once */
    w->rc = fail;
    sem_post(&w->sem);
  }
  return rc;
}

/* Under mu: waits until records up to `last` (already framed into pending) are durable, leading
 * a group commit when none is running. Returns with mu released. */
static int commit(audit_log *log, uint64_t last, sk_err *err) {
  if (!log->flushing) {
    log->flushing = true;
    return lead_commit(log, err);
  }
  waiter w = {.last = last};
  int sem_rc = sem_init(&w.sem, 0, 0);
  assert(sem_rc == 0); /* an unshared semaphore needs no resources: cannot fail on Linux */
  (void)sem_rc;
  if (log->q_tail) log->q_tail->next = &w;
  else log->q_head = &w;
  log->q_tail = &w;
  pthread_mutex_unlock(&log->mu);
  while (sem_wait(&w.sem) != 0) {
  }
  sem_destroy(&w.sem);
  if (w.lead) {
    pthread_mutex_lock(&log->mu);
    return lead_commit(log, err);
  }
  if (w.rc) return failed_rc(log, err);
  return SK_OK;
}

/* Validates, frames and (wait) commits n records; without wait they stay pending for the next
 * group commit. *first_seq (may be NULL) gets the first number. */
static int append_impl(audit_log *log, const char *const *json, size_t n, int wait, uint64_t *first_seq, sk_err *err) {
  if (n == 0) return sk_err_set(err, SK_EINVAL, "empty batch");
  if (n > AUDIT_MAX_BATCH) return sk_err_set(err, SK_ELIMIT, "batch of %zu records; limit %u", n, AUDIT_MAX_BATCH);
  if (log->opts.read_only) return sk_err_set(err, SK_EDENIED, "audit log opened read-only");
  /* a single append (the gateway's case) allocates nothing here */
  char *body1 = NULL;
  size_t len1 = 0;
  char **bodies = n == 1 ? &body1 : sk_calloc(n, sizeof *bodies);
  size_t *lens = n == 1 ? &len1 : sk_calloc(n, sizeof *lens);
  int rc = SK_OK;
  if (!bodies || !lens) {
    rc = sk_err_set(err, SK_ENOMEM, "out of memory");
    goto out;
  }
  /* validation, canonical JSON and sealing happen outside the lock */
  size_t need = 0;
  for (size_t i = 0; i < n; i++) {
    if ((rc = record_prepare(log->dir, json[i], &bodies[i], &lens[i], err))) {
      if (n > 1) sk_err_wrap(err, "record %zu of the batch", i + 1);
      goto out;
    }
    need += lens[i] + RECORD_ENVELOPE_MAX + AUDIT_FRAME_OVERHEAD;
  }
  if (need > AUDIT_MAX_PENDING_BYTES) {
    rc = sk_err_set(err, SK_ELIMIT, "batch of %zu bytes exceeds the group-commit bound %u; split it", need,
                    AUDIT_MAX_PENDING_BYTES);
    goto out;
  }
  pthread_mutex_lock(&log->mu);
  /* back-pressure: never queue more than the bound; drain (or help drain) first */
  while (!log->failed && log->pending.len > 0 && log->pending.len + need > AUDIT_MAX_PENDING_BYTES) {
    if (log->flushing) {
      pthread_cond_wait(&log->cv, &log->mu);
    } else {
      log->flushing = true;
      (void)lead_commit(log, NULL); /* a failure poisons the log: seen below */
      pthread_mutex_lock(&log->mu);
    }
  }
  if (log->failed) {
    rc = failed_rc(log, err);
    pthread_mutex_unlock(&log->mu);
    goto out;
  }
  if ((rc = reserve(log, n, err))) {
    pthread_mutex_unlock(&log->mu);
    goto out;
  }
  uint64_t first = log->assigned, first_end = log->assigned_end;
  size_t pending0 = log->pending.len;
  int64_t t = now_ms();
  for (size_t i = 0; i < n && rc == SK_OK; i++) rc = frame_one(log, bodies[i], lens[i], t, err);
  if (rc) { /* only possible for the first frames of this batch: roll them back */
    log->pending.len = pending0;
    if (log->pending.data) log->pending.data[pending0] = '\0';
    log->assigned_end = first_end;
    log->assigned = first;
    pthread_mutex_unlock(&log->mu);
    goto out;
  }
  if (wait) {
    rc = commit(log, log->assigned - 1, err); /* releases mu */
  } else {
    log->stats.deferred += n;
    pthread_mutex_unlock(&log->mu);
  }
  if (rc == SK_OK && first_seq) *first_seq = first;
out:
  if (bodies)
    for (size_t i = 0; i < n; i++) sk_free(bodies[i]);
  if (n > 1) {
    sk_free(bodies);
    sk_free(lens);
  }
  return rc;
}

int audit_append_batch(audit_log *log, const char *const *json, size_t n, uint64_t *first_seq, sk_err *err) {
  return append_impl(log, json, n, 1, first_seq, err);
}

int audit_append(audit_log *log, const char *json, uint64_t *seq, sk_err *err) {
  return append_impl(log, &json, 1, 1, seq, err);
}

int audit_append_batch_nowait(audit_log *log, const char *const *json, size_t n, uint64_t *last_seq, sk_err *err) {
  uint64_t first = 0;
  int rc = append_impl(log, json, n, 0, &first, err);
  if (rc == SK_OK && last_seq) *last_seq = first + n - 1;
  return rc;
}

int audit_sync(audit_log *log, uint64_t seq, sk_err *err) {
  pthread_mutex_lock(&log->mu);
  if (log->failed) {
    int rc = failed_rc(log, err);
    pthread_mutex_unlock(&log->mu);
    return rc;
  }
  if (seq < log->durable) { /* a group commit already carried it */
    pthread_mutex_unlock(&log->mu);
    return SK_OK;
  }
  if (seq >= log->assigned) {
    pthread_mutex_unlock(&log->mu);
    return sk_err_set(err, SK_EINVAL, "record %llu was never appended", (unsigned long long)seq);
  }
  return commit(log, seq, err); /* releases mu */
}

uint64_t audit_size(audit_log *log) {
  pthread_mutex_lock(&log->mu);
  uint64_t n = log->durable;
  pthread_mutex_unlock(&log->mu);
  return n;
}

void audit_get_stats(audit_log *log, audit_stats *out) {
  pthread_mutex_lock(&log->mu);
  *out = log->stats;
  pthread_mutex_unlock(&log->mu);
}

static int check_seq(audit_log *log, uint64_t seq, sk_err *err) {
  if (seq >= log->durable)
    return sk_err_set(err, SK_ENOTFOUND, "no record %llu (the log has %llu records)", (unsigned long long)seq,
                      (unsigned long long)log->durable);
  return SK_OK;
}

int audit_read(audit_log *log, uint64_t seq, char **json, size_t *len, sk_err *err) {
  *json = NULL;
  pthread_mutex_lock(&log->mu);
  int rc = check_seq(log, seq, err);
  uint64_t off = rc ? 0 : log->offsets[seq];
  pthread_mutex_unlock(&log->mu);
  if (rc) return rc;
  uint8_t h[12];
  if (pread(log->fd, h, sizeof h, (off_t)off) != (ssize_t)sizeof h)
    return sk_err_set(err, SK_EIO, "reading record %llu: %s", (unsigned long long)seq, strerror(errno));
  uint32_t n = get_le32(h);
  if (n > AUDIT_MAX_RECORD_BYTES || get_le64(h + 4) != seq)
    return sk_err_set(err, SK_ECORRUPT, "record %llu is damaged on disk", (unsigned long long)seq);
  char *b = sk_malloc((size_t)n + 1);
  if (!b) return sk_err_set(err, SK_ENOMEM, "out of memory");
  if (pread(log->fd, b, n, (off_t)(off + 12)) != (ssize_t)n) {
    sk_free(b);
    return sk_err_set(err, SK_EIO, "reading record %llu: %s", (unsigned long long)seq, strerror(errno));
  }
  b[n] = '\0';
  *json = b;
  if (len) *len = n;
  return SK_OK;
}

int audit_leaf(audit_log *log, uint64_t seq, merkle_hash *out, sk_err *err) {
  pthread_mutex_lock(&log->mu);
  int rc = check_seq(log, seq, err);
  if (!rc) *out = log->leaves[seq];
  pthread_mutex_unlock(&log->mu);
  return rc;
}

static int check_size(audit_log *log, uint64_t size, sk_err *err) {
  if (size > log->durable)
    return sk_err_set(err, SK_ERANGE, "tree size %llu is larger than the log (%llu records)",
                      (unsigned long long)size, (unsigned long long)log->durable);
  return SK_OK;
}

int audit_root(audit_log *log, uint64_t size, merkle_hash *out, sk_err *err) {
  pthread_mutex_lock(&log->mu);
  int rc = check_size(log, size, err);
  if (!rc) {
    if (size == log->durable && size > 0) {
      merkle_hash r = log->frontier[log->frontier_n - 1];
      for (size_t i = log->frontier_n - 1; i-- > 0;) merkle_node_hash(&log->frontier[i], &r, &r);
      *out = r;
    } else {
      merkle_root(log->leaves, size, out);
    }
  }
  pthread_mutex_unlock(&log->mu);
  return rc;
}

int audit_prove_inclusion(audit_log *log, uint64_t seq, uint64_t size, merkle_proof *out, sk_err *err) {
  pthread_mutex_lock(&log->mu);
  int rc = check_size(log, size, err);
  if (!rc && seq >= size)
    rc = sk_err_set(err, SK_ERANGE, "record %llu is not in a tree of %llu records", (unsigned long long)seq,
                    (unsigned long long)size);
  if (!rc) rc = merkle_inclusion_proof(log->leaves, size, seq, out);
  pthread_mutex_unlock(&log->mu);
  return rc;
}

int audit_prove_consistency(audit_log *log, uint64_t size1, uint64_t size2, merkle_proof *out, sk_err *err) {
  pthread_mutex_lock(&log->mu);
  int rc = check_size(log, size2, err);
  if (!rc && (size1 == 0 || size1 > size2))
    rc = sk_err_set(err, SK_ERANGE, "consistency needs 0 < old size <= new size");
  if (!rc) rc = merkle_consistency_proof(log->leaves, size1, size2, out);
  pthread_mutex_unlock(&log->mu);
  return rc;
}
