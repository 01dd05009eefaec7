/* address.c — ADDRESS: Japanese postal addresses, and their romanised English form.
 * Rule (Japanese): starts at a prefecture (東京都 北海道 大阪府 京都府 ○○県) or, for the ~15%
 * written without one, at a kanji word ending in 市/区/郡 that stands at a word boundary; runs
 * over kanji, katakana, digits, dashes and single spaces (hiragana only in の/ヶ and 上る/下る/
 * 入る of Kyoto street addresses, or a hiragana city name before 市/町/村); must contain a
 * block number (digits, or kanji numerals before 丁目/番/号); ends after the last block-number
 * element (番地, 番, 号, 丁目, 条 …), then extends over a building name and room ("メゾン・ド・
 * ソレイユ 709号室") when one follows on the same line. Bare city/ward names never match.
 * English: "[Building NNN, ]2-14-3 Taishido, Setagaya-ku, Tokyo" — a chome-ban-go triple followed
 * by comma-separated words with -ku/-shi/-cho/-machi/-gun and a prefecture. */
#include <string.h>

#include "guard/internal.h"

static const char *const k_pref_special[] = {"東京都", "北海道", "大阪府", "京都府", NULL};
/* Prefecture names before 県 (41 of them). */
static const char *const k_ken[] = {
    "青森", "岩手", "宮城", "秋田", "山形", "福島", "茨城", "栃木", "群馬", "埼玉", "千葉", "神奈川",
    "新潟", "富山", "石川", "福井", "山梨", "長野", "岐阜", "静岡", "愛知", "三重", "滋賀", "兵庫",
    "奈良", "和歌山", "鳥取", "島根", "岡山", "広島", "山口", "徳島", "香川", "愛媛", "高知", "福岡",
    "佐賀", "長崎", "熊本", "大分", "宮崎", "鹿児島", "沖縄", NULL};

/* Longest address we extend over: prefecture to room number is under 60 characters. */
#define ADDR_MAX_BYTES 240

static inline bool sw(const char *s, size_t len, size_t i, const char *w) {
  size_t l = strlen(w);
  return i + l <= len && !memcmp(s + i, w, l);
}

/* 都道府県 all start with byte E5 (府), E7 (県) or E9 (都 道): a one-byte test before memcmp. */
static inline bool pref_suffix_at(const char *s, size_t len, size_t i) {
  if (i + 3 > len) return false;
  unsigned char c = (unsigned char)s[i];
  if (c != 0xE5 && c != 0xE7 && c != 0xE9) return false;
  return sw(s, len, i, "県") || sw(s, len, i, "都") || sw(s, len, i, "道") || sw(s, len, i, "府");
}

static size_t prefecture_at(const char *s, size_t len, size_t i) {
  /* every prefecture name ends in 都道府県 as its 3rd or 4th character: test that first */
  if (!(pref_suffix_at(s, len, i + 6) || (i + 12 <= len && sw(s, len, i + 9, "県"))))
    return 0;
  for (const char *const *p = k_pref_special; *p; p++)
    if (sw(s, len, i, *p)) return i + strlen(*p);
  for (const char *const *p = k_ken; *p; p++)
    if (sw(s, len, i, *p) && sw(s, len, i + strlen(*p), "県")) return i + strlen(*p) + 3;
  return 0;
}

static inline bool kanji_num(uint32_t cp) { return cp_kanji_num(cp); }

static const char *const k_block_suffix[] = {"丁目", "番地の", "番地", "番町", "番", "号", "条", "線", "地割", NULL};

/* Scans from body start b; returns the end of the address (after last block element) or 0. */
static size_t scan_body(const char *s, size_t len, size_t b, size_t limit) {
  size_t p = b, last_block = 0;
  while (p < len && p < limit) {
    uint32_t cp;
    size_t k = ch_at(s, len, p, &cp);
    if (ch_digit(s[p])) {
      while (p < len && ch_digit(s[p])) p++;
      last_block = p;
      for (const char *const *x = k_block_suffix; *x; x++)
        if (sw(s, len, p, *x)) {
          p += strlen(*x);
          last_block = p;
          break;
        }
      if (p < len && s[p] == '-' && p + 1 < len && (ch_digit(s[p + 1]))) p++;
      continue;
    }
    if (kanji_num(cp)) {
      size_t q = p;
      uint32_t c2;
      while (q < len && (ch_at(s, len, q, &c2), kanji_num(c2))) q += ch_at(s, len, q, &c2);
      bool blk = false;
      for (const char *const *x = k_block_suffix; *x; x++)
        if (sw(s, len, q, *x)) {
          q += strlen(*x);
          blk = true;
          break;
        }
      if (blk) last_block = q;
      p = q;
      continue;
    }
    if (sw(s, len, p, "上る") || sw(s, len, p, "下る") || sw(s, len, p, "入る")) {
      p += 6;
      continue;
    }
    if (cp_kanji(cp) || (cp_katakana(cp) && cp != 0x30FB) || cp == 0x30F6) {
      p += k;
      continue;
    }
    if (s[p] == ' ' && p + 1 < len && s[p + 1] != ' ' && !last_block) {
      p++;
      continue;
    }
    if (sw(s, len, p, "の") || sw(s, len, p, "ノ")) {
      uint32_t c2;
      if (p + 3 < len && (ch_digit(s[p + 3]) || (!last_block && (ch_at(s, len, p + 3, &c2), cp_kanji(c2))))) {
        p += 3;
        continue;
      }
    }
    if (cp_hiragana(cp) && !last_block) { /* 光が丘, おもろまち1-11-5 */
      size_t q = p;
      uint32_t c2;
      while (q < len && q - p < 15 && (ch_at(s, len, q, &c2), cp_hiragana(c2))) q += 3;
      if (q < len && (ch_digit(s[q]) || (ch_at(s, len, q, &c2), cp_kanji(c2)))) {
        p = q;
        continue;
      }
    }
    if (cp_hiragana(cp) && !last_block) { /* さいたま市, つくば市 */
      size_t q = p;
      uint32_t c2;
      while (q < len && q - p < 15 && (ch_at(s, len, q, &c2), cp_hiragana(c2))) q += 3;
      if (sw(s, len, q, "市") || sw(s, len, q, "町") || sw(s, len, q, "村") || sw(s, len, q, "区")) {
        p = q;
        continue;
      }
    }
    break;
  }
  return last_block;
}

/* Building and room after the block number: " メゾン・ド・ソレイユ 709号室", "グランドハイツ101". */
static size_t building(const char *s, size_t len, size_t e) {
  size_t p = e;
  if (p < len && s[p] == ' ') p++;
  uint32_t cp;
  if (p >= len) return e;
  ch_at(s, len, p, &cp);
  if (!(cp_katakana(cp) || ch_alpha(s[p]) || cp_kanji(cp))) {
    /* bare room: "-305" already consumed; "305号室" */
    size_t q = p;
    while (q < len && ch_digit(s[q])) q++;
    if (q > p && sw(s, len, q, "号室")) return q + 6;
    return e;
  }
  size_t q = p, last = e;
  bool kata_or_latin = false;
  while (q < len && q - e < 80) {
    size_t k = ch_at(s, len, q, &cp);
    if (cp_katakana(cp) || ch_alpha(s[q]) || cp == 0x30FB) kata_or_latin = true;
    else if (cp_kanji(cp)) {
    } else if (ch_digit(s[q])) {
      while (q < len && ch_digit(s[q])) q++;
      if (sw(s, len, q, "号室")) q += 6;
      else if (sw(s, len, q, "号") || sw(s, len, q, "階") || sw(s, len, q, "F")) q += s[q] == 'F' ? 1 : 3;
      last = q;
      continue;
    } else if (s[q] == ' ' || s[q] == '-') {
    } else break;
    q += k;
    if (kata_or_latin) last = q;
  }
  return kata_or_latin ? last : e;
}

static bool block_suffix_at(const char *s, size_t len, size_t q) {
  for (const char *const *x = k_block_suffix; *x; x++)
    if (sw(s, len, q, *x)) return true;
  return false;
}

/* Prefilter: scan_body() finds a block number only at an ASCII digit or at a run of kanji
 * numerals followed by a block suffix (三丁目, 十五番). Returns the first position >= from that is
 * a digit or lies in such a run (len when none). An address starting at i needs one before
 * i + ADDR_MAX_BYTES, so the scanner skips every kanji that has none within reach; the position
 * only moves forward, so the whole text is walked once. */
static size_t next_block_mark(const pii_doc *d, size_t from) {
  const char *s = d->n.s;
  const uint8_t *cls = d->cls;
  size_t len = d->n.len, p = from;
  while (p < len) {
    if (ch_digit(s[p])) return p;
    if (!(cls[p] & CL_KANJI_NUM)) {
      p = cls_skip(cls, p + 1, len, CL_KANJI_NUM | CL_ASCII_UD); /* digits are CL_ASCII_UD */
      continue;
    }
    size_t q = p;
    while (q < len && (cls[q] & CL_KANJI_NUM)) q += 3; /* every kanji numeral is 3 bytes */
    if (block_suffix_at(s, len, q)) return p;
    p = q;
  }
  return len;
}

static void address_ja(pii_doc *d) {
  const char *s = d->n.s;
  size_t len = d->n.len;
  const uint8_t *cls = d->cls;
  size_t mark = next_block_mark(d, 0);
  for (size_t i = 0; i < len;) {
    if (!(cls[i] & CL_KANJI)) { /* to the next kanji */
      i = cls_skip(cls, i, len, CL_KANJI);
      continue;
    }
    uint32_t cp;
    size_t k = ch_at(s, len, i, &cp);
    if (mark < i) mark = next_block_mark(d, i);
    if (mark >= len) break; /* no block number anywhere after i */
    if (mark - i >= ADDR_MAX_BYTES) { /* none within reach: jump to where one could start */
      i = mark - ADDR_MAX_BYTES + 1;
      while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
      continue;
    }
    size_t body = prefecture_at(s, len, i);
    if (!body) {
      /* a city/ward/district word at a boundary */
      if (i > 0 && (cls[ch_prev(s, i)] & CL_KANJI)) {
        i += k;
        continue;
      }
      size_t q = i;
      bool city = false;
      for (int n = 0; n < 6 && q < len; n++) {
        uint32_t c2;
        size_t kk = ch_at(s, len, q, &c2);
        if (!cp_kanji(c2) && c2 != 0x30F6) break;
        q += kk;
        if (c2 == 0x5E02 /* 市 */ || c2 == 0x90E1 /* 郡 */ || (c2 == 0x533A /* 区 */ && n >= 1)) {
          city = true;
          break;
        }
      }
      if (!city) {
        i += k;
        continue;
      }
      body = i;
    }
    size_t limit = i + ADDR_MAX_BYTES < len ? i + ADDR_MAX_BYTES : len;
    size_t e = scan_body(s, len, body, limit);
    if (e > body) {
      e = building(s, len, e);
      pii_emit(d, PII_ADDRESS, i, e, 0.88f);
      i = e;
      continue;
    }
    i += k;
  }
}

static bool ends_with_ci(const char *s, size_t a, size_t b, const char *w) {
  size_t l = strlen(w);
  if (b - a < l) return false;
  for (size_t j = 0; j < l; j++) {
    char c = s[b - l + j];
    if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
    if (c != w[j]) return false;
  }
  return true;
}

/* English: N-N(-N) Word, Word-ku, Prefecture */
static void address_en(pii_doc *d) {
  const char *s = d->n.s;
  size_t len = d->n.len;
  for (size_t i = 0; i < len; i++) {
    if (!ch_digit(s[i]) || (i > 0 && (ch_alnum(s[i - 1]) || s[i - 1] == '-'))) continue;
    size_t p = i;
    int groups = 0;
    while (p < len && ch_digit(s[p])) {
      while (p < len && ch_digit(s[p])) p++;
      groups++;
      if (p + 1 < len && s[p] == '-' && ch_digit(s[p + 1])) p++;
      else break;
    }
    if (groups < 2 || p >= len || s[p] != ' ') continue;
    /* words separated by ", " until a -ku/-shi/-cho/-gun word, then optional prefecture */
    size_t q = p, end = 0;
    int parts = 0;
    bool ward = false;
    while (q < len && parts < 5) {
      while (q < len && (s[q] == ' ' || s[q] == ',')) q++;
      size_t ws = q;
      while (q < len && (ch_alpha(s[q]) || s[q] == '-')) q++;
      if (q == ws || !ch_upper(s[ws])) break;
      parts++;
      if (ends_with_ci(s, ws, q, "-ku") || ends_with_ci(s, ws, q, "-shi") ||
          ends_with_ci(s, ws, q, "-cho") || ends_with_ci(s, ws, q, "-machi") ||
          ends_with_ci(s, ws, q, "-gun") || ends_with_ci(s, ws, q, " city"))
        ward = true;
      else if (ward) {
        end = q; /* prefecture word after the ward */
        if (q + 4 <= len && !memcmp(s + q, "-ken", 4)) end = q + 4;
        break;
      }
      end = q;
      if (q >= len || s[q] != ',') break;
    }
    if (!ward || !end) continue;
    /* building before: "Park Heights 305, " */
    size_t st = i;
    if (st >= 2 && s[st - 1] == ' ' && s[st - 2] == ',') {
      size_t b = st - 2, r = b;
      while (r > 0 && ch_digit(s[r - 1])) r--;
      if (r < b && r > 0 && s[r - 1] == ' ') {
        size_t w = r - 1;
        while (w > 0 && (ch_alpha(s[w - 1]) || s[w - 1] == ' ' || s[w - 1] == '-')) w--;
        while (w < r && s[w] == ' ') w++;
        if (w < r - 1 && ch_upper(s[w])) st = w;
      }
    }
    pii_emit(d, PII_ADDRESS, st, end, 0.85f);
    i = end;
  }
}

void rec_address(pii_doc *d) {
  address_ja(d);
  address_en(d);
}
