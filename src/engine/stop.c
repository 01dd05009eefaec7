/* stop.c — see stop.h. The pending text is at most (longest stop - 1) + one piece, so each
 * feed scans O(n_stops * (piece + longest stop)) bytes. */
#include "engine/stop.h"

#include <assert.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"

struct stop_matcher {
  char **stops;
  size_t *lens;
  size_t n;
  size_t max_len;
  sk_buf pend; /* text not yet emitted */
  sk_buf out;  /* what the last call hands out */
  int matched; /* index of the matched stop, or -1 */
};

int stop_new(const char *const *stops, size_t n, stop_matcher **out, sk_err *err) {
  *out = NULL;
  if (n > STOP_MAX_STRINGS)
    return sk_err_set(err, SK_ELIMIT, "stop strings: %zu given, at most %d", n, STOP_MAX_STRINGS);
  for (size_t i = 0; i < n; i++) {
    size_t len = stops[i] ? strlen(stops[i]) : 0;
    if (len == 0) return sk_err_set(err, SK_EINVAL, "stop string %zu is empty", i);
    if (len > STOP_MAX_LEN)
      return sk_err_set(err, SK_ELIMIT, "stop string %zu is %zu bytes, at most %d", i, len,
                        STOP_MAX_LEN);
  }
  stop_matcher *m = sk_calloc(1, sizeof *m);
  if (!m) return sk_err_set(err, SK_ENOMEM, "stop strings: out of memory");
  m->matched = -1;
  sk_buf_init(&m->pend, STOP_MAX_LEN + STOP_MAX_PIECE);
  sk_buf_init(&m->out, STOP_MAX_LEN + STOP_MAX_PIECE);
  if (n) {
    m->stops = sk_calloc(n, sizeof *m->stops);
    m->lens = sk_calloc(n, sizeof *m->lens);
    if (!m->stops || !m->lens) goto oom;
  }
  for (size_t i = 0; i < n; i++) {
    m->stops[i] = sk_strdup(stops[i]);
    if (!m->stops[i]) goto oom;
    m->n = i + 1;
    m->lens[i] = strlen(stops[i]);
    if (m->lens[i] > m->max_len) m->max_len = m->lens[i];
  }
  *out = m;
  return SK_OK;
oom:
  stop_free(m);
  return sk_err_set(err, SK_ENOMEM, "stop strings: out of memory");
}

void stop_free(stop_matcher *m) {
  if (!m) return;
  for (size_t i = 0; i < m->n; i++) sk_free(m->stops[i]);
  sk_free(m->stops);
  sk_free(m->lens);
  sk_buf_release(&m->pend);
  sk_buf_release(&m->out);
  sk_free(m);
}

int stop_matched(const stop_matcher *m) { return m->matched; }

void stop_reset(stop_matcher *m) {
  sk_buf_reset(&m->pend);
  sk_buf_reset(&m->out);
  m->matched = -1;
}

/* Length of the longest suffix of s[0..n) that is a proper prefix of some stop string. */
static size_t held_suffix(const stop_matcher *m, const char *s, size_t n) {
  size_t best = 0;
  for (size_t i = 0; i < m->n; i++) {
    size_t lim = m->lens[i] - 1;
    if (lim > n) lim = n;
    for (size_t k = lim; k > best; k--)
      if (memcmp(s + n - k, m->stops[i], k) == 0) {
        best = k;
        break;
      }
  }
  return best;
}

/* Moves pend[0..k) to out and shifts the rest of pend down. */
static int emit_prefix(stop_matcher *m, size_t k) {
  sk_buf_reset(&m->out);
  int rc = sk_buf_append(&m->out, m->pend.data, k);
  if (rc) return rc;
  if (m->pend.len > k) memmove(m->pend.data, m->pend.data + k, m->pend.len - k);
  m->pend.len -= k;
  if (m->pend.data) m->pend.data[m->pend.len] = '\0';
  return SK_OK;
}

int stop_feed(stop_matcher *m, const char *piece, size_t n, const char **out, size_t *out_len) {
  *out = "";
  *out_len = 0;
  if (m->matched >= 0) return 1;
  if (n > STOP_MAX_PIECE) return SK_ELIMIT;
  size_t old_len = m->pend.len;
  int rc = sk_buf_append(&m->pend, piece, n);
  if (rc) return rc;
  /* Earliest complete stop. Matches wholly inside the old pending text were ruled out before,
   * so the search starts where a stop could still end in the new bytes. */
  size_t from = old_len >= m->max_len ? old_len - m->max_len + 1 : 0;
  size_t best_pos = (size_t)-1;
  int best_i = -1;
  for (size_t i = 0; i < m->n; i++) {
    const char *hay = m->pend.data + from;
    size_t hay_len = m->pend.len - from;
    const char *hit = memmem(hay, hay_len, m->stops[i], m->lens[i]);
    if (hit && (size_t)(hit - m->pend.data) < best_pos) {
      best_pos = (size_t)(hit - m->pend.data);
      best_i = (int)i;
    }
  }
  if (best_i >= 0) {
    m->matched = best_i;
    rc = emit_prefix(m, best_pos);
    sk_buf_reset(&m->pend);
    if (rc) return rc;
    *out = m->out.data ? m->out.data : "";
    *out_len = m->out.len;
    return 1;
  }
  size_t hold = held_suffix(m, m->pend.data, m->pend.len);
  assert(hold <= m->pend.len);
  rc = emit_prefix(m, m->pend.len - hold);
  if (rc) return rc;
  *out = m->out.data ? m->out.data : "";
  *out_len = m->out.len;
  return 0;
}

void stop_flush(stop_matcher *m, const char **out, size_t *out_len) {
  *out = "";
  *out_len = 0;
  if (m->matched >= 0 || m->pend.len == 0) return;
  /* hand pend itself out: it is cleared by the next feed/reset */
  sk_buf_reset(&m->out);
  sk_buf tmp = m->out;
  m->out = m->pend;
  m->pend = tmp;
  *out = m->out.data;
  *out_len = m->out.len;
}
