/* err.h — error codes and the error record every library fills instead of printing.
 *
 * Convention (see ../shared/ARCHITECTURE.md): functions return 0 (SK_OK) on success and a
 * negative sk_code on failure; when the caller passes a non-NULL sk_err, the callee writes a
 * human-readable message saying what went wrong (which field, which offset) and, where it can,
 * what to do. Libraries never print. */
#ifndef SK_BASE_ERR_H
#define SK_BASE_ERR_H

#include <stddef.h>

typedef enum sk_code {
  SK_OK = 0,
  SK_ENOMEM = -1,    /* allocation failed or a bound on memory was hit */
  SK_EINVAL = -2,    /* caller passed an invalid argument */
  SK_EIO = -3,       /* an operating-system call failed (errno in the message) */
  SK_EFORMAT = -4,   /* input data is malformed, truncated or hostile */
  SK_ERANGE = -5,    /* a value is out of its allowed range */
  SK_ENOTSUP = -6,   /* valid input that this build does not support */
  SK_ELIMIT = -7,    /* a named resource bound was exceeded */
  SK_ENOTFOUND = -8, /* the thing asked for does not exist */
  SK_EEXIST = -9,    /* the thing to create already exists */
  SK_EDENIED = -10,  /* refused by policy */
  SK_ECORRUPT = -11, /* stored state failed an integrity check */
  SK_EBUSY = -12,    /* temporarily unavailable; retry later */
} sk_code;

/* Size of the message buffer: enough for a path, a field name and an offset. */
#define SK_ERR_MSG_MAX 512

typedef struct sk_err {
  int code;                 /* an sk_code */
  char msg[SK_ERR_MSG_MAX]; /* NUL-terminated, never empty after sk_err_set */
} sk_err;

/* Records code and a printf-style message in err (which may be NULL); returns code so callers
 * can write `return sk_err_set(err, SK_EFORMAT, "...")`. */
int sk_err_set(sk_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prepends context ("while loading X: ") to an already set message; returns err->code. */
int sk_err_wrap(sk_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clears err to SK_OK with an empty message. */
void sk_err_clear(sk_err *err);

/* Static, English name of a code ("malformed input"). Never NULL. */
const char *sk_code_str(int code);

#endif
