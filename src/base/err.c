#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int sk_err_set(sk_err *err, int code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    if (err->msg[0] == '\0') snprintf(err->msg, sizeof err->msg, "%s", sk_code_str(code));
  }
  return code;
}

int sk_err_wrap(sk_err *err, const char *fmt, ...) {
  if (!err) return SK_EINVAL;
  char prefix[SK_ERR_MSG_MAX];
  char old[SK_ERR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, err->msg, sizeof old);
  size_t n = strlen(prefix);
  if (n > sizeof err->msg - 3) n = sizeof err->msg - 3;
  memcpy(err->msg, prefix, n);
  memcpy(err->msg + n, ": ", 2);
  size_t m = strlen(old);
  if (m > sizeof err->msg - n - 3) m = sizeof err->msg - n - 3;
  memcpy(err->msg + n + 2, old, m);
  err->msg[n + 2 + m] = '\0';
  return err->code;
}

void sk_err_clear(sk_err *err) {
  if (!err) return;
  err->code = SK_OK;
  err->msg[0] = '\0';
}

const char *sk_code_str(int code) {
  switch (code) {
  case SK_OK: return "ok";
  case SK_ENOMEM: return "out of memory";
  case SK_EINVAL: return "invalid argument";
  case SK_EIO: return "input/output error";
  case SK_EFORMAT: return "malformed input";
  case SK_ERANGE: return "value out of range";
  case SK_ENOTSUP: return "not supported";
  case SK_ELIMIT: return "limit exceeded";
  case SK_ENOTFOUND: return "not found";
  case SK_EEXIST: return "already exists";
  case SK_EDENIED: return "denied";
  case SK_ECORRUPT: return "integrity check failed";
  case SK_EBUSY: return "busy";
  default: return "unknown error";
  }
}
