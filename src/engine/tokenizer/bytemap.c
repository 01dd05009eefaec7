/* bytemap.c — GPT-2's reversible byte <-> unicode mapping used by byte-level BPE: printable
 * Latin-1 bytes stand for themselves, the other 68 bytes for U+0100.. in order. */
#include "engine/tokenizer/tok_impl.h"

static int printable(int b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

/* The table itself is in bytemap.inc (one entry per byte, following the rule above). */
const char tok_byte_enc[256][3] = {
#define E2(cp) {(char)(0xC0 | ((cp) >> 6)), (char)(0x80 | ((cp)&0x3F)), 0}
#define E1(cp) {(char)(cp), 0, 0}
#include "engine/tokenizer/bytemap.inc"
#undef E1
#undef E2
};
const unsigned char tok_byte_enc_len[256] = {
#define E2(cp) 2
#define E1(cp) 1
#include "engine/tokenizer/bytemap.inc"
#undef E1
#undef E2
};

int tok_byte_dec(uint32_t cp) {
  if (cp < 256 && printable((int)cp)) return (int)cp;
  if (cp < 256 || cp >= 256 + 68) return -1;
  int n = 0;
  for (int b = 0; b < 256; b++) {
    if (printable(b)) continue;
    if ((uint32_t)(256 + n) == cp) return b;
    n++;
  }
  return -1;
}
