/* fuzz_guard_scan.c — libFuzzer target: any bytes (invalid UTF-8, NULs, repetitions) through
 * pii_scan, then pseudonymise and re-identify in two chunks split at a fuzzer-chosen point; the
 * round trip must restore the input byte for byte and every finding must lie inside the input.
 * pii_scan_parallel with tiny chunks (cut at every few lines) must find exactly the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "guard/guard.h"
#include "guard/pseudonym.h"

static pii_scanner *g_sc;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sk_err err;
  if (!g_sc && pii_scanner_new(NULL, &g_sc, &err)) abort();
  if (size > ((size_t)1 << 20)) return 0; /* libFuzzer's default max_len is far below */
  const char *text = (const char *)data;
  pii_findings f;
  pii_findings_init(&f);
  if (pii_scan(g_sc, text, size, &f, &err)) abort();
  for (size_t i = 0; i < f.count; i++) {
    if (f.items[i].start >= f.items[i].end || f.items[i].end > size) abort();
    if (i && f.items[i - 1].end > f.items[i].start) abort();
  }
  {
    pii_findings g;
    pii_findings_init(&g);
    if (pii_scan_parallel(g_sc, text, size, 3, 16, &g, &err)) abort();
    if (g.count != f.count) abort();
    for (size_t i = 0; i < f.count; i++)
      if (g.items[i].type != f.items[i].type || g.items[i].start != f.items[i].start ||
          g.items[i].end != f.items[i].end || g.items[i].score != f.items[i].score)
        abort();
    pii_findings_release(&g);
  }
  pii_key key;
  pii_key_from_secret(&key, "fuzz", "t");
  pii_vault *v;
  if (pii_vault_new(&v)) abort();
  sk_buf ps, out;
  sk_buf_init(&ps, (size_t)64 << 20);
  sk_buf_init(&out, (size_t)64 << 20);
  if (pii_apply(text, size, &f, PII_ACT_PSEUDO, &key, v, &ps, &err)) abort();
  /* re-identification is exact only when the input itself holds no vault token text */
  size_t cut = size ? data[0] % (ps.len + 1) : 0;
  pii_reid r;
  pii_reid_init(&r, v);
  if (pii_reid_feed(&r, ps.data ? ps.data : "", cut, &out) ||
      pii_reid_feed(&r, ps.data ? ps.data + cut : "", ps.len - cut, &out) || pii_reid_finish(&r, &out))
    abort();
  if (!memmem(text, size, "<", 1) && (out.len != size || (size && memcmp(out.data, text, size)))) abort();
  sk_buf_release(&ps);
  sk_buf_release(&out);
  pii_vault_free(v);
  pii_findings_release(&f);
  return 0;
}
