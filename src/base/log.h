/* log.h — leveled logging for programs (CLI, server), never called from inside libraries:
 * libraries return errors. Output goes to stderr; level from --verbose or SEKISHO_LOG. */
#ifndef SK_BASE_LOG_H
#define SK_BASE_LOG_H

typedef enum sk_log_level { SK_LOG_ERROR = 0, SK_LOG_WARN, SK_LOG_INFO, SK_LOG_DEBUG } sk_log_level;

void sk_log_set_level(sk_log_level level);
sk_log_level sk_log_get_level(void);
void sk_log(sk_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
