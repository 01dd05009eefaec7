/* cmd_info.c — `sekisho info MODEL.gguf`: what a GGUF file holds, without loading weights. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/gguf.h"
#include "engine/gtype.h"

static const char k_help[] =
    "usage: sekisho info [--json] MODEL.gguf\n"
    "\n"
    "Prints the architecture, hyper-parameters (every ARCH.* key), tokenizer (model, pre-\n"
    "tokenizer, vocabulary size, bos/eos, chat template presence), tensor counts per type,\n"
    "parameter count and file size. The file is mapped and validated, never loaded.\n"
    "\n"
    "  --json      one JSON object on stdout instead of text\n"
    "  -h, --help  this help\n";

#define INFO_MAX_ARCH 64 /* architecture names are short identifiers */

static json_t *kv_json(const gguf_file *f, size_t i) {
  const uint32_t t = gguf_kv_type(f, i);
  double d;
  gguf_str s;
  if (t == GGUF_TYPE_STRING && !gguf_kv_str(f, i, &s)) return json_stringn(s.ptr, (size_t)s.len);
  if (t == GGUF_TYPE_BOOL && !gguf_kv_number(f, i, &d)) return json_boolean(d != 0);
  if (t == GGUF_TYPE_FLOAT32 || t == GGUF_TYPE_FLOAT64) {
    if (!gguf_kv_number(f, i, &d)) return json_real(t == GGUF_TYPE_FLOAT32 ? (double)(float)d : d);
  } else if (t != GGUF_TYPE_ARRAY && !gguf_kv_number(f, i, &d)) {
    return json_integer((json_int_t)d);
  }
  uint32_t et;
  uint64_t n;
  if (t == GGUF_TYPE_ARRAY && !gguf_kv_arr(f, i, &et, &n)) {
    char buf[64];
    snprintf(buf, sizeof buf, "<array[%llu]>", (unsigned long long)n);
    return json_string(buf);
  }
  return json_null();
}

static long get_id(const gguf_file *f, const char *key) {
  uint32_t v;
  return gguf_get_u32(f, key, &v) ? -1 : (long)v;
}

int cmd_info(const sk_cli *cli, int argc, char **argv) {
  (void)cli;
  static const struct option opts[] = {
      {"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  int as_json = 0, c;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c == 'h') {
      fputs(k_help, stdout);
      return SK_EXIT_OK;
    }
    if (c == 'j')
      as_json = 1;
    else
      return sk_cli_usage_error("info", "invalid option");
  }
  if (optind != argc - 1) return sk_cli_usage_error("info", "expected one MODEL.gguf");
  const char *path = argv[optind];
  gguf_file *f;
  sk_err err;
  if (gguf_open(path, &f, &err)) return sk_cli_fail("info", "%s: %s", path, err.msg);

  char arch[INFO_MAX_ARCH] = "?";
  gguf_str s;
  if (!gguf_get_str(f, "general.architecture", &s) && s.len < sizeof arch)
    snprintf(arch, sizeof arch, "%.*s", (int)s.len, s.ptr);
  json_t *root = json_object(), *hp = json_object(), *tok = json_object(), *types = json_object();
  json_object_set_new(root, "file", json_string(path));
  json_object_set_new(root, "size_bytes", json_integer((json_int_t)gguf_file_size(f)));
  json_object_set_new(root, "version", json_integer(gguf_version(f)));
  json_object_set_new(root, "alignment", json_integer(gguf_alignment(f)));
  json_object_set_new(root, "architecture", json_string(arch));
  json_object_set_new(root, "name",
                      gguf_get_str(f, "general.name", &s) ? json_null()
                                                          : json_stringn(s.ptr, (size_t)s.len));
  const size_t alen = strlen(arch);
  for (size_t i = 0; i < gguf_kv_count(f); i++) {
    gguf_str k = gguf_kv_key(f, i);
    if (k.len > alen + 1 && !memcmp(k.ptr, arch, alen) && k.ptr[alen] == '.') {
      char key[256];
      snprintf(key, sizeof key, "%.*s", (int)(k.len - alen - 1 > 200 ? 200 : k.len - alen - 1),
               k.ptr + alen + 1);
      json_object_set_new(hp, key, kv_json(f, i));
    }
  }
  json_object_set_new(root, "hparams", hp);
  json_object_set_new(tok, "model",
                      gguf_get_str(f, "tokenizer.ggml.model", &s)
                          ? json_null()
                          : json_stringn(s.ptr, (size_t)s.len));
  json_object_set_new(
      tok, "pre",
      gguf_get_str(f, "tokenizer.ggml.pre", &s) ? json_null() : json_stringn(s.ptr, (size_t)s.len));
  uint32_t et;
  uint64_t n_vocab = 0;
  if (gguf_get_arr(f, "tokenizer.ggml.tokens", &et, &n_vocab)) n_vocab = 0;
  json_object_set_new(tok, "vocab_size", json_integer((json_int_t)n_vocab));
  long bos = get_id(f, "tokenizer.ggml.bos_token_id"),
       eos = get_id(f, "tokenizer.ggml.eos_token_id");
  json_object_set_new(tok, "bos", bos < 0 ? json_null() : json_integer(bos));
  json_object_set_new(tok, "eos", eos < 0 ? json_null() : json_integer(eos));
  uint64_t n_merges = 0;
  if (!gguf_get_arr(f, "tokenizer.ggml.merges", &et, &n_merges))
    json_object_set_new(tok, "merges", json_integer((json_int_t)n_merges));
  const int has_tmpl = !gguf_get_str(f, "tokenizer.chat_template", &s);
  json_object_set_new(tok, "chat_template", json_boolean(has_tmpl));
  json_object_set_new(tok, "chat_template_bytes", json_integer(has_tmpl ? (json_int_t)s.len : 0));
  json_object_set_new(root, "tokenizer", tok);
  uint64_t n_params = 0;
  for (size_t i = 0; i < gguf_tensor_count(f); i++) {
    const gguf_tensor *t = gguf_tensor_at(f, i);
    const char *tn = gtype_name(t->type);
    json_t *cnt = json_object_get(types, tn);
    json_object_set_new(types, tn, json_integer(cnt ? json_integer_value(cnt) + 1 : 1));
    uint64_t ne = 1;
    for (int d = 0; d < GGUF_MAX_DIMS; d++)
      ne *= t->ne[d];
    n_params += ne;
  }
  json_object_set_new(root, "n_tensors", json_integer((json_int_t)gguf_tensor_count(f)));
  json_object_set_new(root, "tensor_types", types);
  json_object_set_new(root, "n_params", json_integer((json_int_t)n_params));
  gguf_close(f);

  if (as_json) {
    char *txt = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
    if (txt) puts(txt);
    free(txt);
  } else {
    printf("file:          %s (%lld bytes, GGUF v%lld, alignment %lld)\n", path,
           json_integer_value(json_object_get(root, "size_bytes")),
           json_integer_value(json_object_get(root, "version")),
           json_integer_value(json_object_get(root, "alignment")));
    printf("architecture:  %s\n", arch);
    json_t *nm = json_object_get(root, "name");
    if (json_is_string(nm)) printf("name:          %s\n", json_string_value(nm));
    printf("hyper-parameters:\n");
    const char *key;
    json_t *v;
    json_object_foreach(hp, key, v) {
      char *vt = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(7));
      printf("  %-34s %s\n", key, vt ? vt : "?");
      free(vt);
    }
    json_t *tm = json_object_get(tok, "model"), *tp = json_object_get(tok, "pre");
    printf("tokenizer:     model %s, pre %s, vocab %llu, bos %ld, eos %ld",
           json_is_string(tm) ? json_string_value(tm) : "-",
           json_is_string(tp) ? json_string_value(tp) : "-", (unsigned long long)n_vocab, bos, eos);
    if (n_merges) printf(", %llu merges", (unsigned long long)n_merges);
    printf("\nchat template: %s\n", has_tmpl ? "yes" : "no");
    printf("tensors:       %lld (", json_integer_value(json_object_get(root, "n_tensors")));
    int first = 1;
    json_object_foreach(types, key, v) {
      printf("%s%s %lld", first ? "" : ", ", key, json_integer_value(v));
      first = 0;
    }
    printf("), %llu parameters\n", (unsigned long long)n_params);
  }
  json_decref(root);
  return SK_EXIT_OK;
}
