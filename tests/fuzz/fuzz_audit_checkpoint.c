/* Fuzz the checkpoint parser and signature check: hostile checkpoint text must only ever yield
 * an error, never a crash, a read past the input or an accepted forgery. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "audit/merkle.h"
#include "audit/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static sign_key key;
  static int ready;
  if (!ready) {
    if (merkle_init() != 0) return 0;
    memset(&key, 0, sizeof key);
    strcpy(key.name, "sekisho-log");
    for (int i = 0; i < 32; i++) key.pk[i] = (uint8_t)i; /* nobody holds its secret key */
    ready = 1;
  }
  audit_checkpoint c;
  sk_err e;
  (void)ckpt_parse((const char *)data, size, &c, &e);
  if (size > 0 && size < CKPT_MAX_BYTES && memchr(data, 0, size) == NULL) {
    char buf[CKPT_MAX_BYTES + 1];
    memcpy(buf, data, size);
    buf[size] = '\0';
    if (ckpt_verify(buf, size, &key, &e) == 0) __builtin_trap(); /* a forgery was accepted */
  }
  return 0;
}
