/* ground_common.c — collection naming and opening for the grounding subcommands. */
#include "cli/ground_common.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fs.h"

int sk_collection_name_ok(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > SK_COLLECTION_NAME_MAX) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return 0;
  }
  return 1;
}

int sk_collection_open(const char *data_dir, const char *name, int create, ground_index **out, sk_err *err) {
  char dir[4096], file[4200], path[4300];
  int rc = sk_path_join(dir, sizeof dir, data_dir, "ground");
  if (rc) return sk_err_set(err, rc, "data directory path too long");
  snprintf(file, sizeof file, "%s.db", name);
  if ((rc = sk_path_join(path, sizeof path, dir, file))) return sk_err_set(err, rc, "collection path too long");
  struct stat st;
  if (!create && stat(path, &st) != 0)
    return sk_err_set(err, SK_ENOTFOUND, "no collection '%s' in %s (create it with `sekisho ingest PATH --collection %s`)",
                      name, dir, name);
  if (create && (rc = sk_mkdir_p(dir, err))) return rc;
  return ground_index_open(path, out, err);
}
