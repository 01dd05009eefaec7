/* lexicon.c — see lexicon.h. Open-addressing hash table over a string pool. */
#include "guard/lexicon.h"

#include <stdbool.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/utf8.h"

/* Pool of all name spellings: ~32k names x 5 spellings x ~10 bytes. */
#define LEX_MAX_POOL_BYTES ((size_t)16 << 20)

typedef struct lex_slot {
  uint32_t off; /* into pool; 0 = empty (pool starts with a dummy byte) */
  uint16_t len;
  uint16_t flags;
  uint32_t hash;
} lex_slot;

/* Presence filter in front of the table: one bit per hash value (mod LEX_FILTER_BITS) of every
 * stored spelling. Scanners probe the lexicon at almost every kanji and kana of a text and most
 * probes miss; the 256 KB bit set stays in the L2 cache where the multi-megabyte slot table does
 * not, so a miss is answered without touching the table. ~300k spellings set < 15% of the bits. */
#define LEX_FILTER_BITS ((size_t)1 << 21)
/* Two-character spellings (6 bytes: 山田, やま) are most probes (the second step of every name
 * walk: ~77k of ~86k per 1.7 MB of novels) and have a filter of their own, a quarter the size, that
 * stays cached between probes; ~28k such spellings set ~5% of its bits. */
#define LEX_FILTER6_BITS ((size_t)1 << 19)

struct pii_lexicon {
  sk_buf pool;
  lex_slot *slots;
  size_t cap, count;
  uint64_t *filter;  /* LEX_FILTER_BITS bits, spellings of other lengths */
  uint64_t *filter6; /* LEX_FILTER6_BITS bits, 6-byte spellings */
  uint8_t *one;      /* 65536 flag bytes: the entries that are one 3-byte UTF-8 character */
};

/* One kanji or kana (3 bytes E0..EF 80..BF 80..BF) as a 16-bit key; -1 for anything else. The
 * map from those bytes to the key is one to one. Scanners ask about single characters at
 * almost every kanji of a text (the first step of every name): a 64 KB flag table answers
 * without hashing or probing. */
static inline int one_key(const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  if (n != 3 || (u[0] & 0xF0) != 0xE0 || (u[1] & 0xC0) != 0x80 || (u[2] & 0xC0) != 0x80) return -1;
  return (int)(((unsigned)(u[0] & 0x0F) << 12) | ((unsigned)(u[1] & 0x3F) << 6) | (u[2] & 0x3F));
}

static inline size_t filter_bit(uint32_t h) { return h & (LEX_FILTER_BITS - 1); }
static inline size_t filter6_bit(uint32_t h) { return h & (LEX_FILTER6_BITS - 1); }

static uint32_t fnv1a(const char *s, size_t n) { return lex_hash_extend(LEX_HASH_INIT, s, n); }

static bool eq_ci(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
    if (x >= 'A' && x <= 'Z') x = (unsigned char)(x + 32);
    if (y >= 'A' && y <= 'Z') y = (unsigned char)(y + 32);
    if (x != y) return false;
  }
  return true;
}

static int grow(pii_lexicon *lx) {
  size_t ncap = lx->cap ? lx->cap * 2 : 1 << 16;
  lex_slot *ns = sk_calloc(ncap, sizeof *ns);
  if (!ns) return SK_ENOMEM;
  for (size_t i = 0; i < lx->cap; i++) {
    if (!lx->slots[i].off) continue;
    size_t j = lx->slots[i].hash & (ncap - 1);
    while (ns[j].off) j = (j + 1) & (ncap - 1);
    ns[j] = lx->slots[i];
  }
  sk_free(lx->slots);
  lx->slots = ns;
  lx->cap = ncap;
  return 0;
}

static int add(pii_lexicon *lx, const char *s, size_t n, unsigned flags) {
  if (n == 0 || n > LEX_MAX_NAME_BYTES) return 0;
  int key = one_key(s, n);
  if (key >= 0) lx->one[key] |= (uint8_t)flags;
  if ((lx->count + 1) * 2 > lx->cap && grow(lx)) return SK_ENOMEM;
  uint32_t h = fnv1a(s, n);
  size_t j = h & (lx->cap - 1);
  while (lx->slots[j].off) {
    lex_slot *sl = &lx->slots[j];
    if (sl->hash == h && sl->len == n && eq_ci(lx->pool.data + sl->off, s, n)) {
      sl->flags |= (uint16_t)flags;
      return 0;
    }
    j = (j + 1) & (lx->cap - 1);
  }
  size_t off = lx->pool.len;
  int rc = sk_buf_append(&lx->pool, s, n);
  if (rc) return rc;
  lx->slots[j] = (lex_slot){.off = (uint32_t)off, .len = (uint16_t)n, .flags = (uint16_t)flags, .hash = h};
  if (n == 6) lx->filter6[filter6_bit(h) >> 6] |= (uint64_t)1 << (filter6_bit(h) & 63);
  else lx->filter[filter_bit(h) >> 6] |= (uint64_t)1 << (filter_bit(h) & 63);
  lx->count++;
  return 0;
}

unsigned lex_lookup(const pii_lexicon *lx, const char *s, size_t n) {
  if (!lx || n == 0 || n > LEX_MAX_NAME_BYTES) return 0;
  return lex_lookup_hashed(lx, s, n, fnv1a(s, n));
}

unsigned lex_lookup_hashed(const pii_lexicon *lx, const char *s, size_t n, uint32_t h) {
  if (!lx || n == 0 || n > LEX_MAX_NAME_BYTES) return 0;
  int key = one_key(s, n);
  if (key >= 0) return lx->one[key];
  if (n == 6 ? !((lx->filter6[filter6_bit(h) >> 6] >> (filter6_bit(h) & 63)) & 1)
             : !((lx->filter[filter_bit(h) >> 6] >> (filter_bit(h) & 63)) & 1))
    return 0;
  size_t j = h & (lx->cap - 1);
  while (lx->slots[j].off) {
    const lex_slot *sl = &lx->slots[j];
    if (sl->hash == h && sl->len == n && eq_ci(lx->pool.data + sl->off, s, n)) return sl->flags;
    j = (j + 1) & (lx->cap - 1);
  }
  return 0;
}

size_t lex_count(const pii_lexicon *lx) { return lx ? lx->count : 0; }

/* Hepburn romaji of one katakana code point (U+30A1..U+30F6); small kana handled by caller. */
static const char *const k_kana_romaji[] = {
    /* 30A1 */ "a", "a", "i", "i", "u", "u", "e", "e", "o", "o",
    /* 30AB */ "ka", "ga", "ki", "gi", "ku", "gu", "ke", "ge", "ko", "go",
    /* 30B5 */ "sa", "za", "shi", "ji", "su", "zu", "se", "ze", "so", "zo",
    /* 30BF */ "ta", "da", "chi", "ji", "tsu", "tsu", "zu", "te", "de", "to", "do",
    /* 30CA */ "na", "ni", "nu", "ne", "no",
    /* 30CF */ "ha", "ba", "pa", "hi", "bi", "pi", "fu", "bu", "pu", "he", "be", "pe", "ho", "bo", "po",
    /* 30DE */ "ma", "mi", "mu", "me", "mo",
    /* 30E3 */ "ya", "ya", "yu", "yu", "yo", "yo",
    /* 30E9 */ "ra", "ri", "ru", "re", "ro",
    /* 30EE */ "wa", "wa", "i", "e", "o", "n", "vu", "ka", "ke"};

/* Converts katakana reading to romaji in out; returns length or 0 when a char is unknown. */
static size_t kata_to_romaji(const char *s, size_t n, char *out, size_t cap) {
  size_t o = 0, i = 0;
  bool sokuon = false;
  while (i < n) {
    uint32_t cp;
    size_t k = sk_utf8_decode(s + i, n - i, &cp);
    if (!k) return 0;
    i += k;
    if (cp == 0x30C3) { /* ッ */
      sokuon = true;
      continue;
    }
    if (cp == 0x30FC) { /* ー: long vowel, dropped */
      continue;
    }
    if (cp < 0x30A1 || cp > 0x30F6) return 0;
    const char *r = k_kana_romaji[cp - 0x30A1];
    /* small ャュョ after an i-row kana: kya, sha, cha, ja */
    if ((cp == 0x30E3 || cp == 0x30E5 || cp == 0x30E7) && o > 0 && out[o - 1] == 'i') {
      o--;
      if (o >= 1 && (out[o - 1] == 'h' || out[o - 1] == 'j')) { /* shi->sh, chi->ch, ji->j */
      } else {
        if (o + 1 >= cap) return 0;
        out[o++] = 'y';
      }
      r = cp == 0x30E3 ? "a" : cp == 0x30E5 ? "u" : "o";
    }
    size_t rl = strlen(r);
    if (o + rl + 2 >= cap) return 0;
    if (sokuon) {
      out[o++] = r[0] == 'c' ? 't' : r[0];
      sokuon = false;
    }
    memcpy(out + o, r, rl);
    o += rl;
  }
  out[o] = '\0';
  return o;
}

/* satou -> sato, yuuki -> yuki, oono -> ono: how romaji is usually written in passports. */
static size_t drop_long_vowels(const char *in, size_t n, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (o > 0 && ((in[i] == 'u' && (out[o - 1] == 'o' || out[o - 1] == 'u')) ||
                  (in[i] == 'o' && out[o - 1] == 'o') || (in[i] == 'i' && out[o - 1] == 'i' && 0)))
      continue;
    out[o++] = in[i];
  }
  out[o] = '\0';
  return o;
}

/* Marks every proper prefix of s (at code point boundaries) so lookups can stop early. */
static int add_prefixes(pii_lexicon *lx, const char *s, size_t n) {
  for (size_t i = 1; i < n; i++) {
    if (((unsigned char)s[i] & 0xC0) == 0x80) continue;
    int rc = add(lx, s, i, LEX_PREFIX);
    if (rc) return rc;
  }
  return 0;
}

static int add_name(pii_lexicon *lx, unsigned kind, const char *w, size_t wn, const char *r, size_t rn) {
  int rc = add(lx, w, wn, kind | LEX_KANJI);
  if (!rc && wn <= LEX_MAX_NAME_BYTES) rc = add_prefixes(lx, w, wn);
  if (!rc && rn <= LEX_MAX_NAME_BYTES) rc = add_prefixes(lx, r, rn);
  if (rc) return rc;
  if (rn == 0 || rn > LEX_MAX_NAME_BYTES) return 0;
  rc = add(lx, r, rn, kind | LEX_KANA);
  if (rc) return rc;
  char hira[LEX_MAX_NAME_BYTES + 1];
  size_t hn = 0;
  for (size_t i = 0; i < rn;) { /* katakana -> hiragana is a fixed offset of 0x60 */
    uint32_t cp;
    size_t k = sk_utf8_decode(r + i, rn - i, &cp);
    if (!k) return 0;
    if (cp >= 0x30A1 && cp <= 0x30F6) cp -= 0x60;
    hn += sk_utf8_encode(cp, hira + hn);
    i += k;
  }
  rc = add(lx, hira, hn, kind | LEX_KANA);
  if (!rc) rc = add_prefixes(lx, hira, hn);
  if (rc) return rc;
  char rom[96], rom2[96];
  size_t ln = kata_to_romaji(r, rn, rom, sizeof rom);
  if (ln < 2) return 0; /* single letters are never names on their own */
  rc = add(lx, rom, ln, kind | LEX_ROMAJI);
  if (rc) return rc;
  size_t l2 = drop_long_vowels(rom, ln, rom2);
  return l2 >= 2 ? add(lx, rom2, l2, kind | LEX_ROMAJI) : 0;
}

static pii_lexicon *lex_new(void) {
  pii_lexicon *lx = sk_calloc(1, sizeof *lx);
  if (!lx) return NULL;
  sk_buf_init(&lx->pool, LEX_MAX_POOL_BYTES);
  lx->filter = sk_calloc(LEX_FILTER_BITS / 64, sizeof *lx->filter);
  lx->filter6 = sk_calloc(LEX_FILTER6_BITS / 64, sizeof *lx->filter6);
  lx->one = sk_calloc(0x10000, 1);
  if (!lx->filter || !lx->filter6 || !lx->one || sk_buf_append_byte(&lx->pool, '\0') || grow(lx)) {
    lex_free(lx);
    return NULL;
  }
  return lx;
}

void lex_free(pii_lexicon *lx) {
  if (!lx) return;
  sk_buf_release(&lx->pool);
  sk_free(lx->slots);
  sk_free(lx->filter);
  sk_free(lx->filter6);
  sk_free(lx->one);
  sk_free(lx);
}

/* Feature strings in sys.dic are NUL-terminated CSV: 品詞,細分類1,細分類2,細分類3,活用型,活用形,原形,読み,発音.
 * We look for the prefix below and take fields 3 (姓/名), 6 (written) and 7 (reading). */
static const char k_person_prefix[] = "名詞,固有名詞,人名,";

int lex_load(const char *sys_dic_path, pii_lexicon **out, sk_err *err) {
  *out = NULL;
  char *dic = NULL;
  size_t n = 0;
  int rc = sk_read_file(sys_dic_path, LEX_MAX_DIC_BYTES, &dic, &n, err);
  if (rc) return rc;
  pii_lexicon *lx = lex_new();
  if (!lx) {
    sk_free(dic);
    return sk_err_set(err, SK_ENOMEM, "out of memory building the name lexicon");
  }
  const size_t pl = sizeof k_person_prefix - 1;
  const char *p = dic, *end = dic + n;
  /* a plain loop, not memmem: sanitizer interceptors re-check the whole haystack per call */
  for (; p + pl <= end; p++) {
    if (*p != k_person_prefix[0] || (p > dic && p[-1] != '\0') || memcmp(p, k_person_prefix, pl))
      continue;
    const char *f = p + pl;
    const char *fe = f;
    while (fe < end && *fe) fe++;
    if (fe >= end) break;
    /* fields after the prefix: kind,*,*,written,reading,pron */
    const char *fld[6] = {0};
    size_t fl[6] = {0};
    int nf = 0;
    const char *q = f;
    while (nf < 6 && q <= fe) {
      const char *c = memchr(q, ',', (size_t)(fe - q));
      const char *e = c ? c : fe;
      fld[nf] = q;
      fl[nf] = (size_t)(e - q);
      nf++;
      if (!c) break;
      q = c + 1;
    }
    if (nf >= 5) {
      unsigned kind = 0;
      if (fl[0] == 3 && !memcmp(fld[0], "姓", 3)) kind = LEX_SURNAME;
      else if (fl[0] == 3 && !memcmp(fld[0], "名", 3)) kind = LEX_GIVEN;
      if (kind && (rc = add_name(lx, kind, fld[3], fl[3], fld[4], fl[4])) != 0) {
        sk_free(dic);
        lex_free(lx);
        return sk_err_set(err, rc, "out of memory building the name lexicon");
      }
    }
    p = fe;
  }
  sk_free(dic);
  if (lx->count == 0) {
    lex_free(lx);
    return sk_err_set(err, SK_EFORMAT, "%s holds no person names (not an IPADIC sys.dic?)",
                      sys_dic_path);
  }
  *out = lx;
  return 0;
}

int lex_load_lines(const char *text, pii_lexicon **out, sk_err *err) {
  *out = NULL;
  pii_lexicon *lx = lex_new();
  if (!lx) return sk_err_set(err, SK_ENOMEM, "out of memory building the name lexicon");
  const char *p = text;
  while (*p) {
    const char *nl = strchr(p, '\n');
    const char *e = nl ? nl : p + strlen(p);
    const char *c1 = memchr(p, ',', (size_t)(e - p));
    const char *c2 = c1 ? memchr(c1 + 1, ',', (size_t)(e - c1 - 1)) : NULL;
    if (c1 && c2 && (p[0] == 'S' || p[0] == 'G')) {
      int rc = add_name(lx, p[0] == 'S' ? LEX_SURNAME : LEX_GIVEN, c1 + 1, (size_t)(c2 - c1 - 1),
                        c2 + 1, (size_t)(e - c2 - 1));
      if (rc) {
        lex_free(lx);
        return sk_err_set(err, rc, "out of memory building the name lexicon");
      }
    }
    p = nl ? nl + 1 : e;
  }
  *out = lx;
  return 0;
}
