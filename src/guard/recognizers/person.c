/* person.c — PERSON: names of people, in kanji, kana or romaji.
 *
 * Where a name is plausible (a lexicon hit, see lexicon.h) a candidate is formed and scored by
 * its context; MeCab is consulted only for candidates that have no decisive context.
 *   Kanji:   surname [space] given-name (both in the IPADIC name lexicon); a surname alone or a
 *            given name alone needs an honorific after it (様 さん 氏 殿 先生 君 くん ちゃん), a
 *            role label before it (氏名：, 担当：, 申請者：, 代表取締役 …) or a speech pattern after
 *            it (と申します, でございます, が承ります, が訪問 …); a full name with no context, or a
 *            surname with only a weak pattern (です, から), must be tagged 人名 by MeCab.
 *            Names never start or end inside a longer kanji word (千葉銀行, 世田谷区役所).
 *   Kana:    katakana/hiragana "surname given" pairs from the lexicon readings; any katakana or
 *            hiragana run under a reading label (フリガナ, カナ) or in brackets right after a name
 *            (加藤大輔（カトウ ダイスケ）), which also covers foreign names (グエン・ヴァン・アン).
 *   Romaji:  "Taro Yamada", "YAMADA Taro" when both words are lexicon names; any 1-3
 *            capitalised words after Mr./Ms./Dr., before -san/様, or after a name label (Name:,
 *            identity of, Dear, Hi).
 * Honorifics and labels are outside the span. */
#include <assert.h>
#include <mecab.h>
#include <pthread.h>
#include <string.h>

#include "base/alloc.h"

#include "guard/internal.h"

/* Longest surname / given name we try, in code points (勅使河原 is 4). */
#define PERSON_MAX_PART_CHARS 4
/* A name label sits right before the name: "申請者：", "担当の". */
#define PERSON_LABEL_WINDOW 30
/* MeCab sees the sentence around a candidate, at most this many bytes (8 kana/kanji) either
 * side: its choice at a name's edges depends on the neighbouring words, not on the whole
 * sentence, and the parse is the costliest step of a scan (it reads the window byte by byte
 * through the 50 MB dictionary). 90 bytes, 36, 24 and 15 gave identical findings on the dev set,
 * the novels and the business text; 9 changed two. */
#define PERSON_MECAB_WINDOW 24

/* A word with its length, so the hot loops never call strlen. */
typedef struct pword {
  const char *s;
  size_t n;
} pword;
#define W(lit) {lit, sizeof(lit) - 1}

static const pword k_honorific[] = {
    W("様"), W("さん"), W("氏"), W("殿"), W("先生"), W("君"), W("くん"), W("ちゃん"), W("宛"), W("さま"),
    W("-san"), W(" san"), W("司法書士"), W("弁護士"), W("税理士"), W("行政書士"), W("部長"), W("課長"), W("係長"),
    W("社長"), W("医師"), W("教授"), W("会長"), {NULL, 0}};
/* Relations before a bare given name: 妻の由香. */
static const pword k_relation[] = {
    W("妻"), W("夫"), W("長男"), W("長女"), W("次男"), W("次女"), W("息子"), W("娘"), W("父"), W("母"), W("兄"),
    W("姉"), W("弟"), W("妹"), {NULL, 0}};
/* Single kanji that are surnames in IPADIC but, before さん/様, are kinship or common nouns
 * (奥さん = wife, 兄さん = brother). */
static const pword k_not_surname[] = {
    W("奥"), W("嬢"), W("兄"), W("姉"), W("母"), W("父"), W("婆"), W("爺"), W("坊"), W("客"), W("皆"), W("神"),
    W("仏"), W("上"), W("王"), W("娘"), W("息"), W("叔"), W("伯"), W("親"), W("主"), {NULL, 0}};
/* Labels that announce a reading or a name in any script. */
static const pword k_name_label[] = {
    W("フリガナ"), W("ふりがな"), W("カナ"), W("氏名"), W("名前"), W("name"), W("名義"), {NULL, 0}};
static const pword k_label[] = {
    W("氏名"), W("名前"), W("お名前"), W("顧客名"), W("会員氏名"), W("担当者"), W("担当"), W("申請者"), W("請求者"),
    W("被保険者"), W("契約者"), W("名義"), W("お客様"), W("顧客"), W("記録"), W("受付"), W("運転者"), W("代表取締役"),
    W("代表者"), W("取締役"), W("社長"), W("部長"), W("課長"), W("係長"), W("主任"), W("宛先"), W("宛名"), W("差出人"),
    W("届出人"), W("申込者"), W("本人"), W("利用者"), W("世帯主"), W("世帯員"), W("配偶者"), W("対象児童"), W("被相続人"),
    W("相続人"), W("相談者"), W("依頼者"), W("弁護士"), W("司法書士"), W("税理士"), W("医師"), W("確認者"), W("作成者"),
    W("承認者"), W("入力者"), W("対応者"), W("連絡者"), W("保証人"), W("申出人"), W("申立人"), W("代理人"), W("参加者"),
    W("出席者"), W("総務部"), W("経理部"), W("営業部"), W("人事部"), W("op:"), W("from:"), W("to:"), W("cc:"),
    W("name:"), W("attendees:"), W("客:"), W("対象者"), W("後任は"), W("前任は"), W("名義は"), W("cardholder"),
    W("家族"), {NULL, 0}};
static const pword k_after_strong[] = {
    W("と申します"), W("と申し"), W("でござい"), W("が承"), W("が担当"), W("が訪問"), W("が対応"), W("が来店"), W("が伺"),
    W("より電話"), W("から着信"), W("から電話"), W("が取り"), W("から0"), W("が確認"), W("が説明"), W("が同行"), W("が受付"),
    {NULL, 0}};
static const pword k_after_weak[] = {
    W("です"), W("から"), W("が"), W("は"), W("に"), W("の"), W("、"), W("("), {NULL, 0}};
/* Hiragana that may follow a bare surname: particles and honorifics, not the rest of a word (向け). */
static const pword k_particle[] = {
    W("が"), W("は"), W("の"), W("に"), W("を"), W("と"), W("も"), W("へ"), W("で"), W("さん"), W("さま"),
    W("くん"), W("ちゃん"), W("より"), W("から"), W("まで"), W("や"), {NULL, 0}};

/* Word lists tested at a position (any_at): a 4096-bit set of the first characters of each
 * list's words (an ASCII byte, or the three bytes of a kanji/kana), built once, rejects almost
 * every position before the list is walked. */
enum { AW_HONORIFIC, AW_STRONG, AW_WEAK, AW_PARTICLE, AW_NOT_SURNAME, AW_LISTS };
static const pword *const k_at_lists[AW_LISTS] = {k_honorific, k_after_strong, k_after_weak, k_particle,
                                                  k_not_surname};
static uint64_t g_at_first[AW_LISTS][64];
static pthread_once_t g_at_once = PTHREAD_ONCE_INIT;

/* Key of the character at s[i] (its first byte when ASCII, else its first three bytes); -1 when
 * a three-byte character does not fit. */
static inline int first_key(const char *s, size_t len, size_t i) {
  const unsigned char *u = (const unsigned char *)s + i;
  if (u[0] < 0x80) return u[0];
  if (i + 3 > len) return -1;
  return (int)(((u[0] * 31u) ^ (u[1] * 131u) ^ (u[2] * 1031u)) & 4095u);
}

static void at_filters_init(void) {
  for (int li = 0; li < AW_LISTS; li++)
    for (const pword *w = k_at_lists[li]; w->s; w++) {
      assert((unsigned char)w->s[0] < 0x80 || w->n >= 3); /* multi-byte words: 3-byte first char */
      int key = first_key(w->s, w->n, 0);
      assert(key >= 0);
      g_at_first[li][key >> 6] |= (uint64_t)1 << (key & 63);
    }
}

static bool starts_with(const char *s, size_t len, size_t i, const char *w) {
  size_t l = strlen(w);
  return i + l <= len && !memcmp(s + i, w, l);
}

static bool any_at(const char *s, size_t len, size_t i, int list) {
  if (i >= len) return false;
  int key = first_key(s, len, i);
  if (key < 0) return false; /* no word of any list is shorter than its first character */
  /* the filters were built by rec_person, the only way in */
  if (!((g_at_first[list][key >> 6] >> (key & 63)) & 1)) return false;
  for (const pword *w = k_at_lists[list]; w->s; w++)
    if (w->s[0] == s[i] && i + w->n <= len && !memcmp(s + i, w->s, w->n)) return true;
  return false;
}

static bool honorific_at(const char *s, size_t len, size_t i) {
  if (!any_at(s, len, i, AW_HONORIFIC)) return false;
  return !starts_with(s, len, i, "氏名");
}

static bool is_kanjiish(uint32_t cp) { return cp_kanji(cp) || cp == 0x30F6 || cp == 0x30B1; /* ヶ ケ */ }

/* Label filters: label_before runs at most kanji of a text, and almost every time the two bytes
 * before the candidate end no label. A 4096-bit set of the (last-but-one, last) byte pairs of
 * each label list, built once, rejects those positions without walking the list. */
enum { LBL_LABEL, LBL_RELATION, LBL_NAME, LBL_LISTS };
static const pword *const k_label_lists[LBL_LISTS] = {k_label, k_relation, k_name_label};
static uint64_t g_label_pairs[LBL_LISTS][64];
static pthread_once_t g_label_once = PTHREAD_ONCE_INIT;

static inline unsigned pair_key(unsigned char a, unsigned char b) { return ((a * 31u) ^ (b * 131u)) & 4095u; }

/* Last character of each k_label word that ends in a 3-byte character (氏名 → 名): inside a
 * kanji word a label can end before i only when the kanji before i is one of these. */
static uint64_t g_label_last3[0x10000 / 64];

static void label_filters_init(void) {
  for (const pword *k = k_label; k->s; k++) {
    if (k->n < 3) continue;
    const unsigned char *u = (const unsigned char *)k->s + k->n - 3;
    if ((u[0] & 0xF0) != 0xE0) continue;
    unsigned cp = ((unsigned)(u[0] & 0x0F) << 12) | ((unsigned)(u[1] & 0x3F) << 6) | (u[2] & 0x3F);
    g_label_last3[cp >> 6] |= (uint64_t)1 << (cp & 63);
  }
  for (int li = 0; li < LBL_LISTS; li++)
    for (const pword *k = k_label_lists[li]; k->s; k++) {
      assert(k->n >= 2); /* the filter looks at two bytes */
      unsigned key = pair_key((unsigned char)k->s[k->n - 2], (unsigned char)k->s[k->n - 1]);
      g_label_pairs[li][key >> 6] |= (uint64_t)1 << (key & 63);
    }
}

/* Walks a label list for one ending at p (label_before_in, after its filters). */
static bool label_walk(const pii_doc *d, size_t st, size_t p, int list) {
  const char *s = d->n.s;
  for (const pword *k = k_label_lists[list]; k->s; k++) {
    size_t l = k->n;
    if (l <= p && st - (p - l) <= PERSON_LABEL_WINDOW && s[p - 1] == k->s[l - 1]) {
      bool eq = true;
      for (size_t j = 0; j < l && eq; j++) {
        char a = s[p - l + j], b = k->s[j];
        if (a >= 'A' && a <= 'Z') a = (char)(a + 32);
        eq = a == b;
      }
      if (eq) {
        /* "op:" etc. are ASCII words: need a boundary before them */
        if (ch_alpha(k->s[0]) && p - l > 0 && ch_alpha(s[p - l - 1])) continue;
        return true;
      }
    }
  }
  return false;
}

/* Label immediately before st (only ':', spaces, the の of 担当の, or a bracket between). Inline:
 * it is asked at most kanji of a text and the pair filter answers almost every time. */
static inline bool label_before_in(const pii_doc *d, size_t st, int list) {
  const char *s = d->n.s;
  size_t p = st;
  while (p > 0 && (s[p - 1] == ' ' || s[p - 1] == ':' || s[p - 1] == '(' || s[p - 1] == '>'))
    p--;
  if (p >= 3 && !memcmp(s + p - 3, "の", 3)) p -= 3;
  if (p >= 3 && !memcmp(s + p - 3, "、", 3)) { /* a list of names: 木村隆、木村修 */
    return false;
  }
  if (p < 2) return false; /* every label is at least two bytes */
  /* the filters were built by rec_person, the only way in */
  unsigned char a = (unsigned char)s[p - 2];
  if (a >= 'A' && a <= 'Z') a = (unsigned char)(a + 32);
  unsigned key = pair_key(a, (unsigned char)s[p - 1]);
  if (!((g_label_pairs[list][key >> 6] >> (key & 63)) & 1)) return false;
  return label_walk(d, st, p, list);
}
static bool label_before(const pii_doc *d, size_t st) { return label_before_in(d, st, LBL_LABEL); }

/* Start of line (skipping "[10:03] ", "- ", "> ") equals st and a ':' follows en. */
static bool speaker_label(const pii_doc *d, size_t st, size_t en) {
  const char *s = d->n.s;
  if (en >= d->n.len || s[en] != ':') return false;
  size_t p = st;
  while (p > 0 && s[p - 1] == ' ') p--;
  if (p > 0 && s[p - 1] == ']') {
    while (p > 0 && s[p - 1] != '[' && s[p - 1] != '\n') p--;
    if (p > 0 && s[p - 1] == '[') p--;
    while (p > 0 && s[p - 1] == ' ') p--;
  }
  while (p > 0 && (s[p - 1] == '-' || s[p - 1] == '>' || s[p - 1] == ' ' || s[p - 1] == '*')) p--;
  return p == 0 || s[p - 1] == '\n';
}

/* ---- MeCab check ---- */
static bool mecab_check(pii_doc *d, size_t st, size_t en, bool proper_only);
static bool mecab_is_name(pii_doc *d, size_t st, size_t en) { return mecab_check(d, st, en, false); }
/* proper_only: every token of the span is a proper noun or unknown to the dictionary (a modern
 * given name such as 結菜), none is a common word. */
/* Sentence around [st,en): from the previous 。！？ or newline to the next, at most
 * PERSON_MECAB_WINDOW bytes either side. */
static void sentence(const pii_doc *d, size_t st, size_t en, size_t *pa, size_t *pb) {
  const char *s = d->n.s;
  size_t a = st > PERSON_MECAB_WINDOW ? st - PERSON_MECAB_WINDOW : 0;
  size_t b = en + PERSON_MECAB_WINDOW < d->n.len ? en + PERSON_MECAB_WINDOW : d->n.len;
  for (size_t k = st; k > a; k--)
    if (s[k - 1] == '\n' || (k >= 3 && (!memcmp(s + k - 3, "。", 3) || !memcmp(s + k - 3, "！", 3)))) {
      a = k;
      break;
    }
  for (size_t k = en; k < b; k++)
    if (s[k] == '\n' || !memcmp(s + k, "。", k + 3 <= d->n.len ? 3 : 0)) {
      b = k;
      break;
    }
  while (a < st && ((unsigned char)s[a] & 0xC0) == 0x80) a++;
  while (b > en && b < d->n.len && ((unsigned char)s[b] & 0xC0) == 0x80) b--;
  *pa = a;
  *pb = b;
}

/* What a token's part of speech says, from its feature string (品詞,細分類1,…). */
enum { PC_KNOWN = 1, PC_PERSON = 2, PC_PROPER = 4, PC_FUNCTION = 8 };
static uint8_t pos_class_of(const char *f) {
  uint8_t c = PC_KNOWN;
  if (!strncmp(f, "名詞,固有名詞,人名", strlen("名詞,固有名詞,人名"))) c |= PC_PERSON;
  if (!strncmp(f, "名詞,固有名詞", strlen("名詞,固有名詞"))) c |= PC_PROPER;
  if (strstr(f, "サ変接続") || !strncmp(f, "動詞", 6) || !strncmp(f, "助詞", 6) || !strncmp(f, "助動詞", 9))
    c |= PC_FUNCTION;
  return c;
}
/* The class depends only on the part-of-speech fields, which the dictionary numbers (posid,
 * IPADIC's pos-id.def): cached per posid for the scan, so the feature string of each token is
 * read once per part of speech instead of once per token. posid 0 (a dictionary built without
 * pos-id.def numbers everything 0) is never cached. */
static uint8_t pos_class(pii_doc *d, const mecab_node_t *n) {
  unsigned id = n->posid;
  if (id == 0 || id >= PII_POS_CACHE) return pos_class_of(n->feature);
  if (!d->pos_cache[id]) d->pos_cache[id] = pos_class_of(n->feature);
  return d->pos_cache[id];
}

/* Creates the tagger and lattice on first use; false when they cannot be had. */
static bool mecab_ready(pii_doc *d) {
  if (!d->mecab_tagger) pii_mecab_take(d->sc, &d->mecab_tagger, &d->mecab_lattice);
  return d->mecab_tagger && d->mecab_lattice;
}

static bool mecab_parse(pii_doc *d, size_t a, size_t b) {
  if (!mecab_ready(d)) return false;
  const char *s = d->n.s;
  mecab_lattice_t *lat = d->mecab_lattice;
  mecab_lattice_set_sentence2(lat, s + a, b - a);
  d->mc_count = 0;
  d->mc_parses++;
  d->mc_start = a;
  d->mc_end = 0;
  if (!mecab_parse_lattice(d->mecab_tagger, lat)) return false;
  for (const mecab_node_t *n = mecab_lattice_get_bos_node(lat); n; n = n->next) {
    if (n->stat == MECAB_BOS_NODE || n->stat == MECAB_EOS_NODE) continue;
    if (d->mc_count == d->mc_cap) {
      size_t nc = d->mc_cap ? d->mc_cap * 2 : 64;
      pii_mnode *nn = sk_realloc(d->mc_nodes, nc * sizeof *nn);
      if (!nn) return false;
      d->mc_nodes = nn;
      d->mc_cap = nc;
    }
    bool unk = n->stat == MECAB_UNK_NODE;
    pii_mnode m = {.start = (uint32_t)(n->surface - s), .end = (uint32_t)(n->surface - s + n->length)};
    uint8_t pc = pos_class(d, n);
    m.person = (pc & PC_PERSON) != 0;
    m.proper = unk || (pc & PC_PROPER);
    m.function = !unk && (pc & PC_FUNCTION);
    d->mc_nodes[d->mc_count++] = m;
  }
  d->mc_end = b;
  return true;
}

/* True when a parse of the window ending at b cannot accept s[st,en), decided by one trie lookup
 * at st instead of the parse. The accepted token at st is one of the words the dictionary has at
 * st (MeCab's tokenizer makes the same lookup there, to the same sentence end b, unknown words
 * included):
 * - when none of them is 人名 (proper_only: 人名, a proper noun or an unknown word), no parse can
 *   put a name at st;
 * - when one is exactly s[st,en) and not a person's name (新築, 芝居, 西側, 厄介; proper_only: a
 *   common noun such as 記憶, 手紙, 母), MeCab's best path takes that word whole; surfaces that
 *   also have such an entry of that length (清) are left to the parse;
 * - when the longest word at st is a common one, longer than every name entry there (金満家,
 *   新聞屋: 金/新 are also surnames), MeCab reads that word: a heuristic, not a certainty. On
 *   the oracle corpus (tools/guard_findings.sh) it dropped one finding, the false name 金満家 in
 *   a novel; the dev set is unchanged. Parses per Aozora pass: 425 -> 271. */
static bool no_name_at(pii_doc *d, size_t st, size_t en, size_t b, bool proper_only) {
  mecab_lattice_t *lat = d->mecab_lattice;
  const char *s = d->n.s;
  bool common = false, special = false, any_special = false;
  size_t long_sp = 0, long_common = 0;
  const uint8_t want = proper_only ? (uint8_t)(PC_PERSON | PC_PROPER) : (uint8_t)PC_PERSON;
  for (const mecab_node_t *n = mecab_model_lookup(d->sc->mecab_model, s + st, s + b, lat); n; n = n->bnext) {
    bool sp = (pos_class(d, n) & want) || (proper_only && n->stat == MECAB_UNK_NODE);
    any_special |= sp;
    if (sp && n->length > long_sp) long_sp = n->length;
    if (!sp && n->stat == MECAB_NOR_NODE && n->length > long_common) long_common = n->length;
    if (n->stat != MECAB_NOR_NODE || n->length != en - st) continue;
    if (sp) special = true;
    else common = true;
  }
  mecab_lattice_clear(lat); /* frees the looked-up nodes; the cached parse lives in mc_nodes */
  return !any_special || (common && !special) || long_common > long_sp;
}

/* ---- parse memo: templated records repeat the same sentence windows (担当の佐藤が…), and a
 * parse depends only on the window's bytes, so each scan keeps the token lists of up to
 * PERSON_MEMO_SLOTS windows (direct-mapped by hash, compared byte for byte) and a window seen
 * before is restored instead of parsed again: the same tokens, so the same findings. */
#define PERSON_MEMO_SLOTS 512
/* Windows longer than this are not memoised (2 x PERSON_MECAB_WINDOW plus a long name fits). */
#define PERSON_MEMO_MAX_BYTES 192

typedef struct memo_slot {
  uint32_t len, count;           /* window bytes; tokens (len 0: empty slot) */
  char bytes[PERSON_MEMO_MAX_BYTES];
  pii_mnode *nodes;              /* offsets relative to the window start */
} memo_slot;
struct pii_mmemo {
  memo_slot slot[PERSON_MEMO_SLOTS];
};

static memo_slot *memo_find(pii_doc *d, size_t a, size_t b, bool create) {
  if (b - a > PERSON_MEMO_MAX_BYTES) return NULL;
  if (!d->memo) { /* a short text parses once or not at all: no memo before the second parse */
    if (!create || d->mc_parses < 2 || !(d->memo = sk_calloc(1, sizeof *d->memo))) return NULL;
  }
  uint32_t h = lex_hash_extend(LEX_HASH_INIT, d->n.s + a, b - a);
  return &d->memo->slot[h % PERSON_MEMO_SLOTS];
}

/* Restores the parse of s[a,b) into mc_nodes when the memo has it. */
static bool memo_get(pii_doc *d, size_t a, size_t b) {
  memo_slot *m = memo_find(d, a, b, false);
  if (!m || m->len != b - a || memcmp(m->bytes, d->n.s + a, b - a)) return false;
  if (m->count > d->mc_cap) {
    pii_mnode *nn = sk_realloc(d->mc_nodes, m->count * sizeof *nn);
    if (!nn) return false;
    d->mc_nodes = nn;
    d->mc_cap = m->count;
  }
  for (uint32_t i = 0; i < m->count; i++) {
    d->mc_nodes[i] = m->nodes[i];
    d->mc_nodes[i].start += (uint32_t)a;
    d->mc_nodes[i].end += (uint32_t)a;
  }
  d->mc_count = m->count;
  d->mc_start = a;
  d->mc_end = b;
  return true;
}

/* Stores the parse now in mc_nodes (of s[a,b)); silently skipped when memory is short. */
static void memo_put(pii_doc *d, size_t a, size_t b) {
  memo_slot *m = memo_find(d, a, b, true);
  if (!m) return;
  pii_mnode *nn = sk_realloc(m->nodes, (d->mc_count ? d->mc_count : 1) * sizeof *nn);
  if (!nn) return;
  m->nodes = nn;
  for (size_t i = 0; i < d->mc_count; i++) {
    nn[i] = d->mc_nodes[i];
    nn[i].start -= (uint32_t)a;
    nn[i].end -= (uint32_t)a;
  }
  m->count = (uint32_t)d->mc_count;
  m->len = (uint32_t)(b - a);
  memcpy(m->bytes, d->n.s + a, b - a);
}

void pii_person_release(pii_doc *d) {
  if (!d->memo) return;
  for (size_t i = 0; i < PERSON_MEMO_SLOTS; i++) sk_free(d->memo->slot[i].nodes);
  sk_free(d->memo);
  d->memo = NULL;
}

/* proper_only: every token of the span is a proper noun or unknown to the dictionary (a modern
 * given name such as 結菜), none is a common word. Otherwise the first token must be 人名. */
static bool mecab_check(pii_doc *d, size_t st, size_t en, bool proper_only) {
  if (!d->sc->mecab_model) return false;
  if (!(d->mc_end && st >= d->mc_start && en <= d->mc_end)) {
    size_t a, b;
    sentence(d, st, en, &a, &b);
    if (mecab_ready(d) && no_name_at(d, st, en, b, proper_only)) return false;
    if (!memo_get(d, a, b)) {
      if (!mecab_parse(d, a, b)) return false;
      memo_put(d, a, b);
    }
  }
  bool start_ok = false, end_ok = false, name_ok = false;
  for (size_t i = 0; i < d->mc_count; i++) {
    const pii_mnode *m = &d->mc_nodes[i];
    if (m->start == st) {
      start_ok = true;
      name_ok = m->person || (proper_only && m->proper);
    }
    if (m->end == en) end_ok = true;
    if (m->start > st && m->start < en && (m->function || (proper_only && !m->proper))) name_ok = false;
    if (m->start >= en) break;
  }
  return start_ok && end_ok && name_ok;
}

/* Longest lexicon part at i with flags want; returns its end or i. cps: code points matched. */
static size_t part_at(const pii_doc *d, size_t i, unsigned want, unsigned *got) {
  const char *s = d->n.s;
  size_t p = i, best = i;
  uint32_t h = LEX_HASH_INIT;
  for (size_t n = 0; n < PERSON_MAX_PART_CHARS && p < d->n.len; n++) {
    uint32_t cp;
    size_t k = ch_at(s, d->n.len, p, &cp);
    bool ok = (want & LEX_KANJI) ? (is_kanjiish(cp) || (n > 0 && cp_hiragana(cp)) || cp == 0x3005)
                                 : cp_katakana(cp) || cp_hiragana(cp);
    if (!ok) break;
    h = lex_hash_extend(h, s + p, k);
    p += k;
    unsigned f = lex_lookup_hashed(d->sc->lex, s + i, p - i, h);
    if (!f) break; /* not a name and not the start of one */
    if ((f & want) == want) {
      best = p;
      *got = f;
    }
  }
  return best;
}

/* part_at for LEX_SURNAME|LEX_KANJI and LEX_GIVEN|LEX_KANJI at once (the walk and the probes
 * are the same): returns the surname end and sets *given_end. */
static size_t part_at_kanji2(const pii_doc *d, size_t i, size_t *given_end) {
  const char *s = d->n.s;
  size_t p = i, best_s = i, best_g = i;
  uint32_t h = LEX_HASH_INIT;
  const unsigned ws = LEX_SURNAME | LEX_KANJI, wg = LEX_GIVEN | LEX_KANJI;
  for (size_t n = 0; n < PERSON_MAX_PART_CHARS && p < d->n.len; n++) {
    uint32_t cp;
    size_t k = ch_at(s, d->n.len, p, &cp);
    if (!(is_kanjiish(cp) || (n > 0 && cp_hiragana(cp)) || cp == 0x3005)) break;
    h = lex_hash_extend(h, s + p, k);
    p += k;
    unsigned f = lex_lookup_hashed(d->sc->lex, s + i, p - i, h);
    if (!f) break; /* not a name and not the start of one */
    if ((f & ws) == ws) best_s = p;
    if ((f & wg) == wg) best_g = p;
  }
  *given_end = best_g;
  return best_s;
}

static bool kanji_boundary_after(const pii_doc *d, size_t en) {
  if (en >= d->n.len) return true;
  uint32_t cp;
  ch_at(d->n.s, d->n.len, en, &cp);
  if (!is_kanjiish(cp) && !(cp >= 0x30A1 && cp <= 0x30FA)) return true;
  return honorific_at(d->n.s, d->n.len, en);
}

static void person_kanji(pii_doc *d) {
  const char *s = d->n.s;
  const uint8_t *cls = d->cls;
  size_t len = d->n.len;
  for (size_t i = 0; i < len;) {
    if (!(cls[i] & CL_KANJI)) { /* to the next kanji */
      i = cls_skip(cls, i, len, CL_KANJI);
      continue;
    }
    uint32_t cp;
    size_t k = ch_at(s, len, i, &cp);
    /* boundary before: not inside a kanji word (unless a label ends right there) */
    bool glued = i > 0 && (cls[ch_prev(s, i)] & CL_KANJIISH);
    if (i >= 3 && (!memcmp(s + i - 3, "ご", 3) || !memcmp(s + i - 3, "お", 3)) &&
        !label_before(d, i)) {
      i += k;
      continue;
    }
    /* inside a kanji word only a label right before can start a name: test that (cheap) before
     * any lexicon probe; the kanji before i must be the last character of some label */
    if (glued) {
      const unsigned char *u = (const unsigned char *)s + i - 3;
      bool may = i >= 3 && (u[0] & 0xF0) == 0xE0;
      if (may) {
        unsigned pc = ((unsigned)(u[0] & 0x0F) << 12) | ((unsigned)(u[1] & 0x3F) << 6) | (u[2] & 0x3F);
        may = (g_label_last3[pc >> 6] >> (pc & 63)) & 1;
      }
      if (!may) {
        i += k;
        continue;
      }
    }
    if (glued && !label_before(d, i)) {
      i += k;
      continue;
    }
    unsigned fg = 0;
    size_t given_at_i; /* part_at(d, i, LEX_GIVEN | LEX_KANJI), found by the same walk */
    size_t se = part_at_kanji2(d, i, &given_at_i);
    if (glued) {
      size_t ge0 = se > i ? se : given_at_i;
      if (ge0 == i || !label_before(d, i)) {
        i += k;
        continue;
      }
    }
    size_t best_end = 0;
    float score = 0;
    bool need_mecab = false;
    if (se > i) {
      size_t gs = se;
      if (gs < len && s[gs] == ' ') gs++;
      size_t ge = part_at(d, gs, LEX_GIVEN | LEX_KANJI, &fg);
      if (ge == gs && !honorific_at(s, len, gs)) {
        ge = part_at(d, gs, LEX_GIVEN | LEX_KANA, &fg);
        uint32_t nx2 = 0;
        if (ge < len) ch_at(s, len, ge, &nx2);
        if (ge - gs < 6 || cp_hiragana(nx2)) ge = gs; /* one kana, or a longer word: not a name */
      }
      bool unknown_given = false;
      if (!(ge > gs && kanji_boundary_after(d, ge))) {
        /* modern given names (陽斗, 悠真, 紬) are often missing from IPADIC: take 1..3 kanji up to
         * a word boundary, and let context or MeCab decide */
        size_t q = gs;
        int nk = 0;
        uint32_t c2;
        while (nk < 3 && q < len && (ch_at(s, len, q, &c2), cp_kanji(c2)) &&
               !honorific_at(s, len, q)) {
          q += ch_at(s, len, q, &c2);
          nk++;
        }
        if (nk > 0 && kanji_boundary_after(d, q)) {
          ge = q;
          unknown_given = true;
        } else {
          ge = gs;
        }
      }
      if (ge > gs && kanji_boundary_after(d, ge)) {
        best_end = ge;
        bool lab = label_before(d, i), hon = honorific_at(s, len, ge),
             aft = any_at(s, len, ge, AW_STRONG) || any_at(s, len, ge, AW_WEAK) ||
                   ge == len || s[ge] == '\n' || s[ge] == ' ' || s[ge] == ')' || s[ge] == ',';
        if (lab || hon) score = 0.9f, need_mecab = unknown_given && gs == se && !hon;
        else if (aft) score = 0.85f, need_mecab = se - i <= 3 || unknown_given;
      } else if (kanji_boundary_after(d, se)) {
        best_end = se;
        bool hon = honorific_at(s, len, se);
        bool lab = label_before(d, i);
        bool strong = any_at(s, len, se, AW_STRONG);
        bool spk = speaker_label(d, i, se);
        uint32_t nx = 0;
        if (se < len) ch_at(s, len, se, &nx);
        bool word_goes_on = cp_hiragana(nx) && !any_at(s, len, se, AW_PARTICLE);
        bool after_number = i > 0 && (ch_digit(s[i - 1]) || s[i - 1] == ',');
        bool kin = se - i == 3 && hon && any_at(s, len, i, AW_NOT_SURNAME);
        if (word_goes_on || after_number || kin) score = 0;
        else if (hon || spk || strong) score = 0.85f;
        else if (lab) score = 0.8f;
      }
    }
    if (best_end && score > 0 &&
        (!need_mecab || !d->sc->mecab_model || mecab_is_name(d, i, best_end))) {
      pii_emit(d, PII_PERSON, i, best_end, score);
      i = best_end;
      continue;
    }
    best_end = 0;
    score = 0;
    need_mecab = false;
    { /* given name alone: 花子さん, 妻の由香 */
      size_t ge = given_at_i;
      if (ge == i && label_before_in(d, i, LBL_RELATION)) {
        size_t q = i;
        int nk = 0;
        uint32_t c2;
        while (nk < 3 && q < len && (ch_at(s, len, q, &c2), cp_kanji(c2))) q += ch_at(s, len, q, &c2), nk++;
        if (nk > 0 && q < len && any_at(s, len, q, AW_PARTICLE) && (!d->sc->mecab_model || mecab_check(d, i, q, true)))
          ge = q;
      }
      if (ge > i && kanji_boundary_after(d, ge) &&
          (honorific_at(s, len, ge) || label_before_in(d, i, LBL_RELATION))) {
        best_end = ge;
        score = 0.75f;
      }
    }
    if (best_end && score > 0) {
      if (!need_mecab || !d->sc->mecab_model || mecab_is_name(d, i, best_end)) {
        pii_emit(d, PII_PERSON, i, best_end, score);
        i = best_end;
        continue;
      }
    }
    i += k;
  }
}

/* Reading labels searched a little further back (ctx_left keeps prepared lists by address:
 * keyword lists must be static). */
static const char *const k_reading_kw[] = {"フリガナ", "カナ", "ふりがな", NULL};

/* Kana runs: words of katakana (or hiragana) separated by one space or ・. */
static void person_kana(pii_doc *d) {
  const char *s = d->n.s;
  size_t len = d->n.len;
  const uint8_t *cls = d->cls;
  for (size_t i = 0; i < len;) {
    if (!(cls[i] & CL_KANA_W)) { /* to the next kana */
      i = cls_skip(cls, i, len, CL_KANA_W);
      continue;
    }
    bool hira = cls[i] & CL_HIRA;
    bool kata = !hira;
    size_t k = 3; /* every kana is 3 bytes */
    if (i > 0 && (cls[ch_prev(s, i)] & (kata ? CL_KATA : CL_HIRA))) {
      i += k;
      continue;
    }
    if (hira) {
      /* prose is mostly hiragana runs with no sign of a name: one bracket, label or second word
       * decides (the test below, for hiragana), so such a run is skipped after finding its end */
      bool paren0 = i > 0 && (s[ch_prev(s, i)] == '(' || s[ch_prev(s, i)] == '[');
      char pb0 = i > 0 ? s[i - 1] : '\n';
      bool label0 = pb0 == ':' || pb0 == ' ' || pb0 == '>' || (i >= 3 && !memcmp(s + i - 3, "は", 3));
      if (!paren0 && !label0) {
        size_t p = i;
        while (p < len && ((cls[p] & CL_HIRA) || ((unsigned char)s[p] == 0xE3 && (unsigned char)s[p + 1] == 0x83 &&
                                                  (unsigned char)s[p + 2] == 0xBC)))
          p += 3;
        size_t q = p;
        if (q < len && s[q] == ' ') q++;
        else if (q + 3 <= len && !memcmp(s + q, "・", 3)) q += 3;
        if (q == p || !(cls[q] & CL_HIRA)) { /* one word: nw == 1 below */
          i = p;
          continue;
        }
      }
    }
    /* collect up to 4 words */
    size_t ws[4], we[4];
    int nw = 0;
    size_t p = i;
    while (nw < 4 && p < len) {
      size_t st = p;
      /* kana are 3 bytes; ・ is E3 83 BB, ー is E3 83 BC */
      if (kata)
        while (p < len && (cls[p] & CL_KATA) && !((unsigned char)s[p + 1] == 0x83 && (unsigned char)s[p + 2] == 0xBB))
          p += 3;
      else
        while (p < len && ((cls[p] & CL_HIRA) || ((unsigned char)s[p] == 0xE3 && (unsigned char)s[p + 1] == 0x83 &&
                                                  (unsigned char)s[p + 2] == 0xBC)))
          p += 3;
      if (p == st) break;
      ws[nw] = st;
      we[nw] = p;
      nw++;
      if (p < len && s[p] == ' ') p++;
      else if (p + 3 <= len && !memcmp(s + p, "・", 3)) p += 3;
      else break;
      if (!(cls[p] & (kata ? CL_KATA : CL_HIRA))) break;
    }
    size_t en = we[nw - 1];
    /* glued to kanji on either side: part of a word (株式会社ヤマシタ工務店) */
    uint32_t nc = 0;
    if (en < len) ch_at(s, len, en, &nc);
    bool in_paren = i > 0 && (s[ch_prev(s, i)] == '(' || s[ch_prev(s, i)] == '[');
    /* labels end in ':', a space, a bracket or は: only then look for one */
    char pb = i > 0 ? s[i - 1] : '\n';
    bool may_label = pb == ':' || pb == ' ' || pb == '>' || (i >= 3 && !memcmp(s + i - 3, "は", 3));
    bool lab = may_label && (label_before_in(d, i, LBL_NAME) ||
                             ctx_left(d, i, 24, k_reading_kw) >= 0);
    /* prose is full of kana runs: only runs with some sign of a name are looked up */
    if (!(nw >= 2 || in_paren || may_label || (kata && honorific_at(s, len, en)) ||
          (kata && i > 0 && (pb == ':' || pb == ' ')))) {
      i = we[0];
      continue;
    }
    float score = 0;
    if ((in_paren && nw >= 2 && i >= 2 && d->n.s[i - 2] != ' ') || lab) score = kata ? 0.85f : 0;
    unsigned f0 = lex_lookup(d->sc->lex, s + ws[0], we[0] - ws[0]);
    if (nw >= 2) {
      unsigned f1 = lex_lookup(d->sc->lex, s + ws[1], we[1] - ws[1]);
      if ((f0 & LEX_SURNAME) && (f1 & LEX_GIVEN)) score = 0.85f;
      else if (hira && (in_paren || lab) && ((f0 & LEX_SURNAME) || (f1 & LEX_GIVEN))) score = 0.85f;
    } else {
      /* unspaced "ミヤザキサチコ": any split into surname + given */
      for (size_t q = ws[0] + 3; q + 3 <= we[0] && score == 0; q += 3) {
        unsigned a1 = lex_lookup(d->sc->lex, s + ws[0], q - ws[0]);
        unsigned a2 = lex_lookup(d->sc->lex, s + q, we[0] - q);
        if ((a1 & LEX_SURNAME) && (a2 & LEX_GIVEN) && q - ws[0] >= 6 && we[0] - q >= 6 &&
            (lab || in_paren || label_before(d, i)))
          score = 0.8f;
      }
      if ((f0 & (LEX_SURNAME | LEX_GIVEN)) && kata && honorific_at(s, len, en)) score = 0.8f;
      if (hira && (f0 & (LEX_SURNAME | LEX_GIVEN)) && (in_paren || lab) && score == 0) score = 0.8f;
    }
    if (!in_paren && i > 0 && (cls[ch_prev(s, i)] & CL_KANJI) && !lab) score = 0;
    if (en < len && cp_kanji(nc) && !honorific_at(s, len, en)) score = 0;
    if (score > 0 && en - i <= 60) {
      pii_emit(d, PII_PERSON, i, en, score);
      i = en;
      continue;
    }
    i = we[0];
  }
}

static const char *const k_title[] = {"mr. ", "ms. ", "mrs. ", "dr. ", "miss ", "prof. ", "mr ", "ms ",
                                      NULL};
static const char *const k_rlabel[] = {"name:", "name :", "氏名:", "identity of ", "dear ", "hi ", "hello ",
                                       "director: ", "attendees: ", "contact: ", "applicant: ",
                                       "customer: ", "from: ", "thanks, ", "cardholder ", "regards, ", "氏名：",
                                       "名前:", NULL};

static bool cap_word(const char *s, size_t len, size_t i, size_t *end) {
  if (i >= len || !ch_upper(s[i])) return false;
  size_t p = i + 1;
  while (p < len && ch_alpha(s[p])) p++;
  if (p - i < 2) return false;
  bool upper_all = true, lower_rest = true;
  for (size_t k = i + 1; k < p; k++) {
    upper_all &= ch_upper(s[k]);
    lower_rest &= !ch_upper(s[k]);
  }
  if (!upper_all && !lower_rest) return false;
  *end = p;
  return true;
}

/* "Sumitomo Mitsui Banking Corporation": two surnames that name a company. */
static bool company_after(const char *s, size_t len, size_t e) {
  static const char *const w[] = {" Bank", " Banking", " Corporation", " Co.", " Ltd", " Inc", " Group",
                                  " Holdings", " Trust", " Securities", " Insurance", " Life", NULL};
  for (const char *const *p = w; *p; p++)
    if (starts_with(s, len, e, *p)) return true;
  return false;
}

static void person_romaji(pii_doc *d) {
  const char *s = d->n.s;
  size_t len = d->n.len;
  const uint8_t *cls = d->cls;
  for (size_t i = 0; i < len; i++) {
    i = cls_skip(cls, i, len, CL_ASCII_UD); /* to the next capital (or digit) */
    if (i >= len) break;
    if (!ch_upper(s[i]) || (i > 0 && (ch_alnum(s[i - 1]) || s[i - 1] == '.' ||
                                       s[i - 1] == '-' || s[i - 1] == '_')))
      continue;
    size_t ws[3], we[3];
    int nw = 0;
    size_t p = i, e;
    while (nw < 3 && cap_word(s, len, p, &e)) {
      ws[nw] = p;
      we[nw] = e;
      nw++;
      if (e < len && s[e] == ' ' && e + 1 < len && ch_upper(s[e + 1])) p = e + 1;
      else break;
    }
    if (nw == 0) continue;
    static const char *const k_rom_stop[] = {"Cardholder", "Customer", "Applicant", "Dear", "Hi", "Hello",
                                             "Name", "Attendees", "Director", "Representative", "Thanks",
                                             "Regards", "Contact", "Client", "Team", "Account", NULL};
    bool stop = false;
    for (const char *const *w = k_rom_stop; *w && !stop; w++)
      stop = strlen(*w) == we[0] - ws[0] && !memcmp(s + ws[0], *w, we[0] - ws[0]);
    if (stop) {
      i = we[0];
      continue;
    }
    size_t en = we[nw - 1];
    if (en < len && (s[en] == '@' || ch_digit(s[en]) || (s[en] == '.' && en + 1 < len && ch_alpha(s[en + 1])))) {
      i = en;
      continue;
    }
    /* context */
    bool title = false, lab = false;
    for (const char *const *t = k_title; *t && !title; t++) {
      size_t l = strlen(*t);
      if (i >= l) {
        bool eq = true;
        for (size_t j = 0; j < l && eq; j++) {
          char c = s[i - l + j];
          if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
          eq = c == (*t)[j];
        }
        title = eq && (i - l == 0 || !ch_alpha(s[i - l - 1]));
      }
    }
    for (const char *const *t = k_rlabel; *t && !lab; t++) {
      size_t l = strlen(*t);
      size_t q = i;
      while (q > 0 && s[q - 1] == ' ' && (*t)[l - 1] != ' ') q--;
      if (q >= l) {
        bool eq = true;
        for (size_t j = 0; j < l && eq; j++) {
          char c = s[q - l + j];
          if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
          eq = c == (*t)[j];
        }
        lab = eq;
      }
    }
    bool glab = label_before(d, i);
    bool hon = honorific_at(s, len, en);
    if (i > 0 && s[i - 1] == '@' && !hon) {
      i = en;
      continue;
    }
    int nlex = 0, nsur = 0;
    for (int w = 0; w < nw; w++) {
      unsigned f = lex_lookup(d->sc->lex, s + ws[w], we[w] - ws[w]);
      if (f & LEX_ROMAJI) nlex++;
      if (f & LEX_SURNAME) nsur++;
    }
    float score = 0;
    int use = nw;
    if (title || hon || lab) score = 0.9f;
    else if (glab && nlex >= 1) score = 0.85f;
    else if (nw >= 2 && nlex >= 2 && nsur >= 1 && !company_after(s, len, we[1])) {
      score = 0.85f;
      use = 2;
    } else if (nw == 1 && nsur == 1 && speaker_label(d, i, en)) score = 0.8f;
    if (score > 0) {
      size_t e2 = we[use - 1];
      pii_emit(d, PII_PERSON, i, e2, score);
      i = e2;
    } else {
      i = we[0];
    }
  }
}

void rec_person(pii_doc *d) {
  if (!d->sc->lex) return;
  /* the static word-list filters every helper below reads, built once per process */
  pthread_once(&g_at_once, at_filters_init);
  pthread_once(&g_label_once, label_filters_init);
  person_kanji(d);
  person_kana(d);
  person_romaji(d);
}
