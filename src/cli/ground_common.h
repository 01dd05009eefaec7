/* ground_common.h — helpers shared by the ingest/retrieve/verify subcommands. */
#ifndef SK_CLI_GROUND_COMMON_H
#define SK_CLI_GROUND_COMMON_H

#include <stddef.h>

#include "base/err.h"
#include "ground/index.h"

/* Longest collection name: it becomes a file name under DATA/ground/. */
#define SK_COLLECTION_NAME_MAX 64

/* 1 when name is [A-Za-z0-9_-]{1,64}, else 0. */
int sk_collection_name_ok(const char *name);
/* Opens DATA/ground/NAME.db; create = 0 fails with SK_ENOTFOUND when it does not exist. */
int sk_collection_open(const char *data_dir, const char *name, int create, ground_index **out, sk_err *err);

#endif
