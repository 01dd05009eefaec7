/* checkpoint.c — the log's key and checkpoint files. */
#include "audit/checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/fs.h"

int audit_key_paths(const char *dir, char *secret_path, char *public_path, sk_err *err) {
  if (snprintf(secret_path, PATH_MAX, "%s/keys/log.key", dir) >= PATH_MAX ||
      snprintf(public_path, PATH_MAX, "%s/keys/log.pub", dir) >= PATH_MAX)
    return sk_err_set(err, SK_ELIMIT, "audit directory path too long");
  return SK_OK;
}

int audit_log_key(const char *dir, sign_key *out, sk_err *err) {
  char sp[PATH_MAX], pp[PATH_MAX], kd[PATH_MAX];
  int rc = audit_key_paths(dir, sp, pp, err);
  if (rc) return rc;
  if (access(sp, F_OK) != 0) {
    snprintf(kd, sizeof kd, "%s/keys", dir);
    if ((rc = sk_mkdir_p(kd, err))) return rc;
    rc = sign_keygen(AUDIT_LOG_KEY_NAME, sp, pp, err);
    if (rc && rc != SK_EEXIST) return rc; /* EEXIST: a concurrent creator won */
  }
  return sign_load_secret(sp, out, err);
}

static int ckpt_path(const char *dir, uint64_t size, char *out, sk_err *err) {
  if (snprintf(out, PATH_MAX, "%s/checkpoints/%020" PRIu64 ".ckpt", dir, size) >= PATH_MAX)
    return sk_err_set(err, SK_ELIMIT, "audit directory path too long");
  return SK_OK;
}

int audit_checkpoint_create(audit_log *log, char **text, sk_err *err) {
  if (text) *text = NULL;
  const char *dir = audit_dir(log);
  sign_key key;
  int rc = audit_log_key(dir, &key, err);
  if (rc) return rc;
  uint64_t size = audit_size(log);
  merkle_hash root;
  char *t = NULL, path[PATH_MAX], tmp[PATH_MAX + 16], cdir[PATH_MAX];
  if ((rc = audit_root(log, size, &root, err))) goto out;
  if ((rc = ckpt_make(AUDIT_LOG_KEY_NAME, size, &root, (int64_t)time(NULL), &key, &t, err))) goto out;
  snprintf(cdir, sizeof cdir, "%s/checkpoints", dir);
  if ((rc = sk_mkdir_p(cdir, err)) || (rc = ckpt_path(dir, size, path, err))) goto out;
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  size_t n = strlen(t);
  int ok = fd >= 0 && write(fd, t, n) == (ssize_t)n && fsync(fd) == 0;
  if (fd >= 0) close(fd);
  if (!ok || rename(tmp, path) != 0) {
    rc = sk_err_set(err, SK_EIO, "cannot store checkpoint %s: %s", path, strerror(errno));
    goto out;
  }
  int dfd = open(cdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  if (text) {
    *text = t;
    t = NULL;
  }
out:
  sk_free(t);
  memset(&key, 0, sizeof key);
  return rc;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

int audit_checkpoint_sizes(const char *dir, uint64_t **sizes, size_t *n, sk_err *err) {
  *sizes = NULL;
  *n = 0;
  char cdir[PATH_MAX];
  if (snprintf(cdir, sizeof cdir, "%s/checkpoints", dir) >= (int)sizeof cdir)
    return sk_err_set(err, SK_ELIMIT, "path too long");
  DIR *d = opendir(cdir);
  if (!d) return errno == ENOENT ? SK_OK : sk_err_set(err, SK_EIO, "cannot list %s: %s", cdir, strerror(errno));
  size_t cap = 0;
  uint64_t *v = NULL;
  int rc = SK_OK;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l != 25 || strcmp(e->d_name + 20, ".ckpt") || strspn(e->d_name, "0123456789") != 20) continue;
    if (*n >= AUDIT_MAX_CHECKPOINTS) {
      rc = sk_err_set(err, SK_ELIMIT, "more than %d checkpoints in %s", AUDIT_MAX_CHECKPOINTS, cdir);
      break;
    }
    if (*n == cap) {
      cap = cap ? cap * 2 : 64;
      uint64_t *nv = sk_realloc(v, cap * sizeof *v);
      if (!nv) {
        rc = sk_err_set(err, SK_ENOMEM, "out of memory");
        break;
      }
      v = nv;
    }
    v[(*n)++] = strtoull(e->d_name, NULL, 10);
  }
  closedir(d);
  if (rc) {
    sk_free(v);
    *n = 0;
    return rc;
  }
  if (v) qsort(v, *n, sizeof *v, cmp_u64);
  *sizes = v;
  return SK_OK;
}

int audit_checkpoint_read(const char *dir, uint64_t size, char **text, size_t *len, sk_err *err) {
  char path[PATH_MAX];
  int rc = ckpt_path(dir, size, path, err);
  if (rc) return rc;
  return sk_read_file(path, CKPT_MAX_BYTES, text, len, err);
}
