#include "base/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static atomic_int g_level = SK_LOG_WARN;

void sk_log_set_level(sk_log_level level) { atomic_store(&g_level, (int)level); }
sk_log_level sk_log_get_level(void) { return (sk_log_level)atomic_load(&g_level); }

void sk_log(sk_log_level level, const char *fmt, ...) {
  if ((int)level > atomic_load(&g_level)) return;
  static const char *names[] = {"error", "warn", "info", "debug"};
  char ts[32];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  char line[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fprintf(stderr, "%s sekisho %s: %s\n", ts, names[level], line);
}
