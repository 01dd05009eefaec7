/* ground_chat.c — grounded chat and the verify endpoint (see ground_chat.h). */
#include "api/ground_chat.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "api/jfield.h"
#include "base/alloc.h"
#include "base/fs.h"
#include "ground/index.h"
#include "ground/prompt.h"
#include "ground/retrieve.h"
#include "ground/verify.h"

struct api_ground {
  ground_hit *hits;
  size_t n_hits;
  uint32_t counts[3];
};

static int collection_path(const char *data_dir, const char *name, char *out, size_t n) {
  char dir[4096], file[API_GROUND_NAME_MAX + 8];
  if (sk_path_join(dir, sizeof dir, data_dir ? data_dir : ".", "ground")) return -1;
  snprintf(file, sizeof file, "%s.db", name);
  return sk_path_join(out, n, dir, file) ? -1 : 0;
}

int api_ground_prepare(const char *data_dir, api_request *req, api_ground **out, api_error *e) {
  *out = NULL;
  size_t u = req->n_messages;
  while (u > 0 && req->messages[u - 1].role != API_ROLE_USER) u--;
  if (u == 0) return api_err(e, API_ERR_INVALID, "messages", "grounded chat needs a user message to answer");
  api_message *m = &req->messages[u - 1];
  if (strlen(m->content) > GROUND_QUERY_MAX_BYTES)
    return api_err(e, API_ERR_INVALID, "messages", "the question of a grounded chat is longer than %d bytes",
                   GROUND_QUERY_MAX_BYTES);
  char path[4300];
  struct stat st;
  if (collection_path(data_dir, req->ground_collection, path, sizeof path) || stat(path, &st) != 0)
    return api_err(e, API_ERR_NOT_FOUND, "sekisho.collection",
                   "no collection '%s' on this server (create it with `sekisho ingest PATH --collection %s`)",
                   req->ground_collection, req->ground_collection);
  api_ground *g = sk_calloc(1, sizeof *g);
  if (!g) return api_err(e, API_ERR_INTERNAL, "", "out of memory");
  ground_index *ix = NULL;
  sk_err err;
  sk_err_clear(&err);
  char *prompt = NULL;
  int rc = ground_index_open(path, &ix, &err);
  if (!rc) rc = ground_retrieve(ix, m->content, (size_t)req->ground_top_k, GROUND_FUSE_DEFAULT, &g->hits, &g->n_hits, &err);
  if (!rc) rc = ground_build_prompt(g->hits, g->n_hits, m->content, &prompt, &err);
  ground_index_close(ix);
  if (rc) {
    api_ground_free(g);
    return api_err(e, rc == SK_ELIMIT || rc == SK_EFORMAT ? API_ERR_INVALID : API_ERR_INTERNAL, "messages",
                   "grounded chat on collection '%s': %s", req->ground_collection, err.msg);
  }
  sk_free(m->content);
  m->content = prompt;
  *out = g;
  return 0;
}

struct json_t *api_ground_citations(api_ground *g, const char *answer, size_t len) {
  ground_cite *c = NULL;
  size_t nc = 0;
  ground_claim *cl = NULL;
  size_t ncl = 0;
  sk_err err;
  memset(g->counts, 0, sizeof g->counts);
  json_t *arr = json_array();
  if (!arr || ground_cite_answer(answer, len, g->hits, g->n_hits, &c, &nc, &err)) {
    json_decref(arr);
    return NULL;
  }
  /* verdicts of each answer sentence against the retrieved chunks (the same sentence split) */
  ground_doc *docs = sk_calloc(g->n_hits ? g->n_hits : 1, sizeof *docs);
  if (docs && g->n_hits) {
    for (size_t i = 0; i < g->n_hits; i++) docs[i] = (ground_doc){g->hits[i].source, g->hits[i].text, strlen(g->hits[i].text)};
    if (ground_verify(docs, g->n_hits, answer, len, &cl, &ncl, &err)) cl = NULL, ncl = 0;
  }
  for (size_t k = 0; k < ncl; k++) g->counts[cl[k].verdict <= GROUND_CONTRADICTED ? cl[k].verdict : 1]++;
  for (size_t k = 0; k < nc; k++) {
    json_t *ids = json_array(), *srcs = json_array();
    for (size_t j = 0; j < c[k].n; j++) {
      const ground_hit *h = NULL;
      for (size_t i = 0; i < g->n_hits && !h; i++)
        if (g->hits[i].chunk_id == c[k].chunk_ids[j]) h = &g->hits[i];
      if (!h) continue;
      json_array_append_new(ids, json_integer(h->chunk_id));
      json_array_append_new(srcs, json_pack("{s:I,s:s,s:i,s:I,s:I,s:s}", "chunk_id", (json_int_t)h->chunk_id, "source",
                                            h->source, "page", h->page, "start", (json_int_t)h->byte_start, "end",
                                            (json_int_t)h->byte_end, "label", h->label));
    }
    json_t *o = json_pack("{s:I,s:I,s:o,s:o}", "start", (json_int_t)c[k].start, "end", (json_int_t)c[k].end,
                          "chunk_ids", ids, "sources", srcs);
    for (size_t i = 0; o && i < ncl; i++)
      if (cl[i].start == c[k].start && cl[i].end == c[k].end)
        json_object_set_new(o, "verdict", json_string(ground_verdict_name(cl[i].verdict)));
    if (o) json_array_append_new(arr, o);
  }
  sk_free(cl);
  sk_free(docs);
  sk_free(c);
  return arr;
}

void api_ground_counts(const api_ground *g, uint32_t counts[3], uint32_t *n_chunks) {
  memcpy(counts, g->counts, sizeof g->counts);
  *n_chunks = (uint32_t)g->n_hits;
}

void api_ground_free(api_ground *g) {
  if (!g) return;
  ground_hits_free(g->hits, g->n_hits);
  sk_free(g);
}

int api_ground_verify(const char *body, size_t len, sk_buf *out, api_error *e) {
  json_t *root;
  if (jf_load_object(body, len, &root, e)) return -1;
  int rc = -1;
  ground_doc docs[API_VERIFY_SOURCES_MAX];
  char names[API_VERIFY_SOURCES_MAX][32]; /* "sources[" + 20 digits + "]" + NUL */
  ground_claim *cl = NULL;
  size_t ncl = 0;
  json_t *srcs = json_object_get(root, "sources"), *text = json_object_get(root, "text");
  if (!json_is_array(srcs) || json_array_size(srcs) == 0 || json_array_size(srcs) > API_VERIFY_SOURCES_MAX) {
    api_err(e, API_ERR_INVALID, "sources", "'sources' must be an array of 1..%d strings or {\"name\",\"text\"} objects",
            API_VERIFY_SOURCES_MAX);
    goto out;
  }
  if (!json_is_string(text)) {
    api_err(e, API_ERR_INVALID, "text", "'text' must be the string to verify");
    goto out;
  }
  size_t ns = json_array_size(srcs), total = 0;
  for (size_t i = 0; i < ns; i++) {
    json_t *s = json_array_get(srcs, i), *t = json_is_object(s) ? json_object_get(s, "text") : s;
    json_t *nm = json_is_object(s) ? json_object_get(s, "name") : NULL;
    if (!json_is_string(t) || (nm && !json_is_string(nm))) {
      api_err(e, API_ERR_INVALID, "sources", "sources[%zu] must be a string or {\"name\": string, \"text\": string}", i);
      goto out;
    }
    snprintf(names[i], sizeof names[i], "sources[%zu]", i);
    docs[i] = (ground_doc){nm ? json_string_value(nm) : names[i], json_string_value(t), json_string_length(t)};
    total += docs[i].len;
  }
  if (total > GROUND_VERIFY_SOURCE_MAX_BYTES) {
    api_err(e, API_ERR_INVALID, "sources", "sources total more than %u bytes", GROUND_VERIFY_SOURCE_MAX_BYTES);
    goto out;
  }
  sk_err err;
  sk_err_clear(&err);
  const char *tx = json_string_value(text);
  size_t tl = json_string_length(text);
  if (ground_verify(docs, ns, tx, tl, &cl, &ncl, &err)) {
    api_err(e, API_ERR_INVALID, "text", "cannot verify: %s", err.msg);
    goto out;
  }
  json_t *arr = json_array();
  json_int_t cnt[3] = {0, 0, 0};
  for (size_t i = 0; arr && i < ncl; i++) {
    json_t *ev = json_array();
    for (size_t j = 0; ev && j < cl[i].n_ev; j++) {
      const ground_evidence *x = &cl[i].ev[j];
      json_array_append_new(ev, json_pack("{s:s,s:I,s:I,s:f}", "source", docs[x->doc].name, "start", (json_int_t)x->start,
                                          "end", (json_int_t)x->end, "coverage", x->coverage));
    }
    cnt[cl[i].verdict <= GROUND_CONTRADICTED ? cl[i].verdict : 1]++;
    json_array_append_new(arr, json_pack("{s:s%,s:I,s:I,s:s,s:b,s:f,s:s,s:o}", "text", tx + cl[i].start,
                                         cl[i].end - cl[i].start, "start", (json_int_t)cl[i].start, "end",
                                         (json_int_t)cl[i].end, "verdict", ground_verdict_name(cl[i].verdict),
                                         "ambiguous", cl[i].ambiguous, "coverage", cl[i].coverage, "reason",
                                         cl[i].reason, "evidence", ev ? ev : json_array()));
  }
  json_t *res = json_pack("{s:o,s:{s:I,s:I,s:I}}", "sentences", arr ? arr : json_array(), "counts", "supported", cnt[0],
                          "unsupported", cnt[1], "contradicted", cnt[2]);
  char *s = res ? json_dumps(res, JSON_COMPACT) : NULL;
  json_decref(res);
  if (!s || sk_buf_append_str(out, s)) {
    free(s);
    api_err(e, API_ERR_INTERNAL, "", "out of memory");
    goto out;
  }
  free(s);
  rc = 0;
out:
  sk_free(cl);
  json_decref(root);
  return rc;
}
