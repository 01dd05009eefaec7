#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "base/alloc.h"
#include "ground/index.h"
#include "ground/ingest.h"
#include "ground/retrieve.h"
#include "ground/text.h"

static void write_file(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, n, f), n);
  fclose(f);
}

static void retrieve_finds_article_and_reingest_skips(void **state) {
  (void)state;
  char dir[] = "/tmp/sk_ground_XXXXXX";
  assert_non_null(mkdtemp(dir));
  char db[256], a[256], b[256];
  snprintf(db, sizeof db, "%s/c.db", dir);
  snprintf(a, sizeof a, "%s/bank.txt", dir);
  snprintf(b, sizeof b, "%s/appi.md", dir);
  const char *ta = "（資本金の額）\n第五条　銀行の資本金の額は、政令で定める額以上でなければならない。\n"
                   "（業務の範囲）\n第十条　銀行は、預金の受入れ、資金の貸付けを行う。\n";
  const char *tb = "# 利用目的\n個人情報取扱事業者は、利用目的をできる限り特定しなければならない。\n";
  write_file(a, ta, strlen(ta));
  write_file(b, tb, strlen(tb));
  ground_index *ix = NULL;
  sk_err err;
  assert_int_equal(ground_index_open(db, &ix, &err), SK_OK);
  ground_ingest_status st;
  size_t nc = 0;
  assert_int_equal(ground_ingest_file(ix, a, &st, &nc, &err), SK_OK);
  assert_int_equal(st, GROUND_INGEST_ADDED);
  assert_int_equal(nc, 2);
  assert_int_equal(ground_ingest_file(ix, b, &st, &nc, &err), SK_OK);
  assert_int_equal(ground_ingest_file(ix, a, &st, &nc, &err), SK_OK);
  assert_int_equal(st, GROUND_INGEST_UNCHANGED);
  ground_hit *h = NULL;
  size_t n = 0;
  assert_int_equal(ground_retrieve(ix, "銀行の資本金はいくら？", 3, GROUND_FUSE_DEFAULT, &h, &n, &err), SK_OK);
  assert_true(n >= 1);
  assert_string_equal(h[0].label, "第五条（資本金の額）");
  assert_string_equal(h[0].source, a);
  assert_memory_equal(ta + h[0].byte_start, h[0].text, h[0].byte_end - h[0].byte_start);
  ground_hits_free(h, n);
  assert_int_equal(ground_retrieve(ix, "利用目的の特定", 3, GROUND_FUSE_DEFAULT, &h, &n, &err), SK_OK);
  assert_true(n >= 1);
  assert_string_equal(h[0].source, b);
  assert_string_equal(h[0].label, "利用目的");
  ground_hits_free(h, n);
  /* a changed file is updated, its old chunks gone */
  write_file(a, "第一条　信託業務を営む。\n", strlen("第一条　信託業務を営む。\n"));
  assert_int_equal(ground_ingest_file(ix, a, &st, &nc, &err), SK_OK);
  assert_int_equal(st, GROUND_INGEST_UPDATED);
  int64_t files = 0, chunks = 0;
  assert_int_equal(ground_index_stats(ix, &files, &chunks, &err), SK_OK);
  assert_int_equal(files, 2);
  assert_int_equal(chunks, 2);
  assert_int_equal(ground_retrieve(ix, "資本金", 3, GROUND_FUSE_DEFAULT, &h, &n, &err), SK_OK);
  assert_int_equal(n, 0);
  ground_hits_free(h, n);
  assert_int_equal(ground_retrieve(ix, "x", 0, GROUND_FUSE_DEFAULT, &h, &n, &err), SK_ERANGE);
  ground_index_close(ix);
  unlink(a), unlink(b), unlink(db);
  char side[300];
  snprintf(side, sizeof side, "%s-wal", db), unlink(side);
  snprintf(side, sizeof side, "%s-shm", db), unlink(side);
  rmdir(dir);
}

/* The default ranking's features (rank.h): a question asking いつ gets the answer-window feature
 * only from the passage that holds a date near its terms, and that passage ranks first although
 * it is longer. */
static void ranking_features_answer_type(void **state) {
  (void)state;
  ground_index *ix = NULL;
  sk_err err;
  assert_int_equal(ground_index_open(":memory:", &ix, &err), SK_OK);
  if (!ground_index_has_words(ix)) { ground_index_close(ix); skip(); } /* no MeCab dictionary */
  static const char *const docs[] = {
      "東大寺の大仏の開眼は盛大だった。",
      "東大寺の大仏の開眼は西暦752年のことであった。",
      "銀行の資本金の額は政令で定める。", "個人情報の利用目的を特定する。", "富士山は静岡県と山梨県にまたがる。",
      "鉄道の駅は町の中心にある。", "北海道の冬は長く雪が多い。", "将棋の名人戦は春に始まる。"};
  for (size_t d = 0; d < sizeof docs / sizeof docs[0]; d++) {
    char path[16];
    snprintf(path, sizeof path, "%zu", d);
    assert_int_equal(ground_index_put_text(ix, path, ground_hash(docs[d], strlen(docs[d])), docs[d], strlen(docs[d]), 0, NULL, &err), SK_OK);
  }
  ground_rank_row *rows = NULL;
  size_t n = 0;
  assert_int_equal(ground_rank_candidates(ix, "東大寺の大仏の開眼はいつ？", NULL, &rows, &n, &err), SK_OK);
  assert_true(n >= 2);
  /* chunk ids follow insertion: doc 1 is chunk 2 */
  assert_int_equal(rows[0].id, 2);
  const ground_rank_row *other = rows[1].id == 1 ? &rows[1] : &rows[0];
  assert_int_equal(other->id, 1);
  assert_true(rows[0].f[0][4] > 0.5);      /* a date in the window holding the question's terms */
  assert_true(other->f[0][4] == 0.0);      /* no number + 年/日 anywhere */
  assert_true(other->f[0][0] >= rows[0].f[0][0]); /* the shorter passage wins on bigram BM25 alone */
  sk_free(rows);
  ground_hit *h = NULL;
  assert_int_equal(ground_retrieve(ix, "東大寺の大仏の開眼はいつ？", 2, GROUND_FUSE_DEFAULT, &h, &n, &err), SK_OK);
  assert_int_equal(n, 2);
  assert_string_equal(h[0].source, "1");
  ground_hits_free(h, n);
  ground_index_close(ix);
}

static void hostile_files_give_clear_errors(void **state) {
  (void)state;
  char dir[] = "/tmp/sk_ground_XXXXXX";
  assert_non_null(mkdtemp(dir));
  char p[256];
  char *t = NULL;
  size_t l = 0;
  uint64_t h;
  sk_err err;
  snprintf(p, sizeof p, "%s/junk.txt", dir);
  write_file(p, "abc\0\x01\x02", 6);
  assert_int_equal(ground_load_file(p, &t, &l, &h, &err), SK_EFORMAT);
  assert_non_null(strstr(err.msg, "binary"));
  unlink(p);
  snprintf(p, sizeof p, "%s/sjis.txt", dir);
  write_file(p, "\x8b\xe2\x8d\x73\x96\x40", 6); /* 銀行法 in Shift_JIS */
  assert_int_equal(ground_load_file(p, &t, &l, &h, &err), SK_EFORMAT);
  assert_non_null(strstr(err.msg, "invalid UTF-8"));
  unlink(p);
  snprintf(p, sizeof p, "%s/broken.pdf", dir);
  write_file(p, "%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage", 44);
  int rc = ground_load_file(p, &t, &l, &h, &err);
  assert_true(rc == SK_EFORMAT || rc == SK_ENOTSUP);
  unlink(p);
  snprintf(p, sizeof p, "%s/fake.pdf", dir);
  write_file(p, "hello", 5);
  assert_int_equal(ground_load_file(p, &t, &l, &h, &err), SK_EFORMAT);
  assert_non_null(strstr(err.msg, "not a PDF"));
  unlink(p);
  snprintf(p, sizeof p, "%s/page.html", dir);
  const char *html = "<html><head><style>x{}</style><script>var a='<p>';</script></head><body><h1>銀行法</h1>"
                     "<p>第一条&amp;目的&#12290;</p></body></html>";
  write_file(p, html, strlen(html));
  assert_int_equal(ground_load_file(p, &t, &l, &h, &err), SK_OK);
  assert_non_null(strstr(t, "# 銀行法"));
  assert_non_null(strstr(t, "第一条&目的。"));
  assert_null(strstr(t, "var a"));
  sk_free(t);
  unlink(p);
  rmdir(dir);
}

/* References to the document itself are blanked, content and look-alikes (日本文化) are kept. */
static void strip_meta_keeps_content(void **state) {
  (void)state;
  char q1[] = "この文書では、バヤズィトのどこへの遠征を説明しているか?";
  assert_int_equal(ground_query_strip_meta(q1, strlen(q1)), 2);
  assert_null(strstr(q1, "文書"));
  assert_null(strstr(q1, "説明"));
  assert_non_null(strstr(q1, "バヤズィトのどこへの遠征を"));
  char q2[] = "日本文化の説明は何?"; /* no reference: 本文 inside 日本文化, 説明 is content */
  assert_int_equal(ground_query_strip_meta(q2, strlen(q2)), 0);
  assert_string_equal(q2, "日本文化の説明は何?");
  char q3[] = "東大寺を建てた天皇の名前を答えなさい。";
  assert_int_equal(ground_query_strip_meta(q3, strlen(q3)), 1);
  assert_non_null(strstr(q3, "天皇の名前を"));
  assert_null(strstr(q3, "答え"));
  assert_int_equal(strlen(q3), strlen("東大寺を建てた天皇の名前を答えなさい。")); /* length kept */
}

static int64_t count_rows(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  int64_t v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

/* Single kanji as tokens (interrogatives dropped on the query side); a schema-1 collection,
 * which has no kanji rows, gets them from the stored chunk text on open. */
static void kanji_stream_and_schema1_upgrade(void **state) {
  (void)state;
  sk_buf b;
  sk_buf_init(&b, 256);
  assert_int_equal(ground_kanji("誰が死んだ?", strlen("誰が死んだ?"), 1, &b), SK_OK);
  assert_int_equal(b.len, strlen("死 "));
  assert_memory_equal(b.data, "死 ", b.len);
  sk_buf_reset(&b);
  assert_int_equal(ground_kanji("誰が死去abc", strlen("誰が死去abc"), 0, &b), SK_OK);
  assert_int_equal(b.len, strlen("誰 死 去 "));
  assert_memory_equal(b.data, "誰 死 去 ", b.len);
  sk_buf_release(&b);
  char dir[] = "/tmp/sk_ground_XXXXXX";
  assert_non_null(mkdtemp(dir));
  char db[256];
  snprintf(db, sizeof db, "%s/k.db", dir);
  ground_index *ix = NULL;
  sk_err err;
  assert_int_equal(ground_index_open(db, &ix, &err), SK_OK);
  const char *docs[] = {"女王は1603年に死去した。", "女王は戴冠式で王冠を戴いた。"};
  for (size_t d = 0; d < 2; d++) {
    char path[16];
    snprintf(path, sizeof path, "%zu", d);
    assert_int_equal(ground_index_put_text(ix, path, ground_hash(docs[d], strlen(docs[d])), docs[d], strlen(docs[d]), 0, NULL, &err), SK_OK);
  }
  sqlite3 *h = ground_index_db(ix);
  assert_int_equal(count_rows(h, "SELECT count(*) FROM fts_k"), 2);
  assert_int_equal(count_rows(h, "SELECT count(*) FROM meta WHERE key='schema' AND value='2'"), 1);
  /* make it look like a collection written before the kanji table */
  assert_int_equal(sqlite3_exec(h, "DELETE FROM fts_k; UPDATE meta SET value='1' WHERE key='schema'", NULL, NULL, NULL), SQLITE_OK);
  ground_index_close(ix);
  assert_int_equal(ground_index_open(db, &ix, &err), SK_OK);
  h = ground_index_db(ix);
  assert_int_equal(count_rows(h, "SELECT count(*) FROM fts_k"), 2);
  assert_int_equal(count_rows(h, "SELECT count(*) FROM fts_k WHERE fts_k MATCH '\"去\"'"), 1);
  assert_int_equal(count_rows(h, "SELECT count(*) FROM meta WHERE key='schema' AND value='2'"), 1);
  ground_hit *hits = NULL;
  size_t n = 0;
  assert_int_equal(ground_retrieve(ix, "女王は死んだか？", 2, GROUND_FUSE_DEFAULT, &hits, &n, &err), SK_OK);
  assert_true(n >= 1);
  assert_string_equal(hits[0].source, "0"); /* 死 of 死んだ meets 死去 */
  ground_hits_free(hits, n);
  ground_index_close(ix);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(strip_meta_keeps_content),
                                     cmocka_unit_test(kanji_stream_and_schema1_upgrade),
                                     cmocka_unit_test(retrieve_finds_article_and_reingest_skips),
                                     cmocka_unit_test(hostile_files_give_clear_errors),
                                     cmocka_unit_test(ranking_features_answer_type)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
