#include "base/fs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/buf.h"

int sk_read_file(const char *path, size_t max_bytes, char **out, size_t *out_len, sk_err *err) {
  int is_stdin = strcmp(path, "-") == 0;
  FILE *f = is_stdin ? stdin : fopen(path, "rb");
  if (!f) return sk_err_set(err, SK_EIO, "cannot open '%s': %s", path, strerror(errno));
  sk_buf b;
  sk_buf_init(&b, max_bytes);
  char chunk[65536];
  int rc = SK_OK;
  for (;;) {
    size_t n = fread(chunk, 1, sizeof chunk, f);
    if (n > 0 && (rc = sk_buf_append(&b, chunk, n)) != SK_OK) break;
    if (n < sizeof chunk) {
      if (ferror(f)) rc = SK_EIO;
      break;
    }
  }
  if (!is_stdin) fclose(f);
  if (rc == SK_OK && (rc = sk_buf_reserve(&b, 0)) == SK_OK) {
    b.data[b.len] = '\0';
    *out_len = b.len;
    *out = sk_buf_detach(&b);
    return SK_OK;
  }
  sk_buf_release(&b);
  if (rc == SK_ELIMIT)
    return sk_err_set(err, rc, "'%s' is larger than the limit of %zu bytes", path, max_bytes);
  if (rc == SK_ENOMEM) return sk_err_set(err, rc, "out of memory reading '%s'", path);
  return sk_err_set(err, rc, "read error on '%s': %s", path, strerror(errno));
}

int sk_mkdir_p(const char *dir, sk_err *err) {
  char tmp[4096];
  size_t n = strlen(dir);
  if (n == 0 || n >= sizeof tmp) return sk_err_set(err, SK_EINVAL, "bad directory path '%s'", dir);
  memcpy(tmp, dir, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (tmp[i] == '/' || tmp[i] == '\0') {
      char saved = tmp[i];
      tmp[i] = '\0';
      if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return sk_err_set(err, SK_EIO, "cannot create directory '%s': %s", tmp, strerror(errno));
      tmp[i] = saved;
    }
  }
  return SK_OK;
}

const char *sk_data_dir(const char *explicit_dir) {
  if (explicit_dir && *explicit_dir) return explicit_dir;
  const char *env = getenv("SEKISHO_DATA_DIR");
  if (env && *env) return env;
  return "./sekisho-data";
}

int sk_path_join(char *out, size_t out_size, const char *dir, const char *name) {
  int n = snprintf(out, out_size, "%s/%s", dir, name);
  if (n < 0 || (size_t)n >= out_size) return SK_ELIMIT;
  return SK_OK;
}
