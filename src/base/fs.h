/* fs.h — small file helpers with explicit bounds. */
#ifndef SK_BASE_FS_H
#define SK_BASE_FS_H

#include <stddef.h>
#include <stdio.h>

#include "base/err.h"

/* Reads a whole file ("-" is stdin) into a new NUL-terminated buffer the caller frees with
 * sk_free. Fails with SK_ELIMIT when the file is larger than max_bytes. */
int sk_read_file(const char *path, size_t max_bytes, char **out, size_t *out_len, sk_err *err);

/* Creates dir and its parents (mode 0700: the data directory holds keys and logs). */
int sk_mkdir_p(const char *dir, sk_err *err);

/* Resolves the data directory: explicit (from --data-dir) if non-NULL, else $SEKISHO_DATA_DIR,
 * else "./sekisho-data". Returns a static or caller-provided string; never NULL. */
const char *sk_data_dir(const char *explicit_dir);

/* Joins dir and name into out (size out_size); SK_ELIMIT when it does not fit. */
int sk_path_join(char *out, size_t out_size, const char *dir, const char *name);

#endif
