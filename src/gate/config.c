#include "gate/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/alloc.h"
#include "base/fs.h"

/* Budget holds expire after this by default: longer than any generation, short enough that a
 * crashed gateway releases the budget the same day. */
#define GATE_DEFAULT_HOLD_TIMEOUT_S 3600
/* 10^15 yen is beyond any budget; the bound keeps yen*tokens products inside 128 bits. */
#define GATE_MAX_YEN 1000000000000000ull

typedef struct cfgp {
  yaml_document_t *doc;
  sk_err *err;
} cfgp;

static int line_of(const yaml_node_t *n) { return n ? (int)n->start_mark.line + 1 : 0; }

static int fail(cfgp *p, const yaml_node_t *n, const char *path, const char *fmt, const char *what) {
  return sk_err_set(p->err, SK_EFORMAT, "line %d: %s: %s%s", line_of(n), path, fmt, what ? what : "");
}

static const char *scalar(const yaml_node_t *n) {
  return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int get_str(cfgp *p, const yaml_node_t *n, const char *path, char *out, size_t cap) {
  const char *s = scalar(n);
  if (!s) return fail(p, n, path, "expected a string", NULL);
  if (strlen(s) >= cap) return fail(p, n, path, "too long", NULL);
  memcpy(out, s, strlen(s) + 1);
  return 0;
}

static int get_id(cfgp *p, const yaml_node_t *n, const char *path, char *out) {
  if (get_str(p, n, path, out, GATE_MAX_ID)) return -1;
  if (!out[0]) return fail(p, n, path, "must not be empty", NULL);
  for (const char *c = out; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' ||
          *c == '_' || *c == '.' || *c == ':'))
      return fail(p, n, path, "use only letters, digits and - _ . : (got '", out), -1;
  return 0;
}

static int get_u64(cfgp *p, const yaml_node_t *n, const char *path, uint64_t max, uint64_t *out) {
  const char *s = scalar(n);
  char *end;
  errno = 0;
  if (!s || !*s || *s == '-') return fail(p, n, path, "expected a non-negative integer", NULL);
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v > max) return fail(p, n, path, "expected a non-negative integer in range", NULL);
  *out = v;
  return 0;
}

static int get_bool(cfgp *p, const yaml_node_t *n, const char *path, int *out) {
  const char *s = scalar(n);
  if (s && (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))) *out = 1;
  else if (s && (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))) *out = 0;
  else return fail(p, n, path, "expected true or false", NULL);
  return 0;
}

static int get_enum(cfgp *p, const yaml_node_t *n, const char *path, const char *const *names, int *out) {
  const char *s = scalar(n);
  for (int i = 0; s && names[i]; i++)
    if (!strcmp(s, names[i])) {
      *out = i;
      return 0;
    }
  char list[256] = "";
  for (int i = 0; names[i]; i++) {
    if (!names[i][0]) continue;
    strncat(list, list[0] ? ", " : "one of: ", sizeof list - strlen(list) - 1);
    strncat(list, names[i], sizeof list - strlen(list) - 1);
  }
  return fail(p, n, path, "expected ", list);
}

static int get_u32(cfgp *p, const yaml_node_t *n, const char *path, uint32_t *out) {
  uint64_t v;
  if (get_u64(p, n, path, UINT32_MAX, &v)) return -1;
  *out = (uint32_t)v;
  return 0;
}

static int get_long(cfgp *p, const yaml_node_t *n, const char *path, long max, long *out) {
  uint64_t v;
  if (get_u64(p, n, path, (uint64_t)max, &v)) return -1;
  *out = (long)v;
  return 0;
}

#define FOR_PAIRS(doc, map, k, v)                                                                  \
  for (yaml_node_pair_t *pr_ = (map)->data.mapping.pairs.start; pr_ < (map)->data.mapping.pairs.top; pr_++) \
    for (yaml_node_t *k = yaml_document_get_node(doc, pr_->key), *v = yaml_document_get_node(doc, pr_->value), \
                     *once_ = k; once_; once_ = NULL)

static int expect_map(cfgp *p, const yaml_node_t *n, const char *path) {
  if (!n || n->type != YAML_MAPPING_NODE) return fail(p, n, path, "expected a mapping (key: value lines)", NULL);
  return 0;
}

static int unknown(cfgp *p, const yaml_node_t *k, const char *path) {
  return fail(p, k, path, "unknown key '", scalar(k) ? scalar(k) : "?"), -1;
}

static int parse_limits(cfgp *p, yaml_node_t *m, const char *path, gate_limits *out) {
  char sub[160];
  if (expect_map(p, m, path)) return -1;
  FOR_PAIRS(p->doc, m, k, v) {
    const char *key = scalar(k);
    snprintf(sub, sizeof sub, "%s.%s", path, key ? key : "?");
    if (key && !strcmp(key, "requests_per_minute")) { if (get_u32(p, v, sub, &out->requests_per_minute)) return -1; }
    else if (key && !strcmp(key, "tokens_per_minute")) { if (get_u32(p, v, sub, &out->tokens_per_minute)) return -1; }
    else return unknown(p, k, path);
  }
  return 0;
}

static const char *const k_prov[] = {"local", "anthropic", "openai", NULL};
static const char *const k_basis[] = {"", "consent", "equivalent_system", "eu_uk", NULL};
static const char *const k_class[] = {"public", "internal", "personal", NULL};
static const char *const k_period[] = {"month", "day", "total", NULL};

static int parse_model(cfgp *p, yaml_node_t *m, const char *path, gate_model *md) {
  char sub[160];
  int has_id = 0, v_int;
  if (expect_map(p, m, path)) return -1;
  md->line = line_of(m);
  md->max_class = GATE_CLASS_PUBLIC;
  FOR_PAIRS(p->doc, m, k, v) {
    const char *key = scalar(k) ? scalar(k) : "?";
    snprintf(sub, sizeof sub, "%s.%s", path, key);
    int rc = 0;
    if (!strcmp(key, "id")) { rc = get_id(p, v, sub, md->id); has_id = 1; }
    else if (!strcmp(key, "provider")) { rc = get_enum(p, v, sub, k_prov, &v_int); md->provider = (gate_provider)v_int; }
    else if (!strcmp(key, "base_url")) rc = get_str(p, v, sub, md->base_url, sizeof md->base_url);
    else if (!strcmp(key, "upstream_model")) rc = get_str(p, v, sub, md->upstream_model, sizeof md->upstream_model);
    else if (!strcmp(key, "api_key_env")) rc = get_str(p, v, sub, md->api_key_env, sizeof md->api_key_env);
    else if (!strcmp(key, "region")) rc = get_str(p, v, sub, md->region, sizeof md->region);
    else if (!strcmp(key, "art28_basis")) { rc = get_enum(p, v, sub, k_basis, &v_int); md->basis = (gate_basis)v_int; }
    else if (!strcmp(key, "max_data_class")) { rc = get_enum(p, v, sub, k_class, &v_int); md->max_class = (gate_class)v_int; }
    else if (!strcmp(key, "price_in_jpy_per_mtok")) rc = get_u64(p, v, sub, GATE_MAX_YEN, &md->price_in_jpy_per_mtok);
    else if (!strcmp(key, "price_out_jpy_per_mtok")) rc = get_u64(p, v, sub, GATE_MAX_YEN, &md->price_out_jpy_per_mtok);
    else return unknown(p, k, path);
    if (rc) return -1;
  }
  if (!has_id) return fail(p, m, path, "missing 'id'", NULL);
  if (md->provider != GATE_PROV_LOCAL) {
    if (strncmp(md->base_url, "http://", 7) && strncmp(md->base_url, "https://", 8))
      return fail(p, m, path, "an external model needs base_url: http(s)://...", NULL);
    if (!md->upstream_model[0]) memcpy(md->upstream_model, md->id, sizeof md->id);
  }
  return 0;
}

static int parse_tenant(cfgp *p, yaml_node_t *m, const char *path, gate_tenant *t) {
  char sub[160];
  int has_id = 0, v_int;
  if (expect_map(p, m, path)) return -1;
  t->line = line_of(m);
  t->reroute = 1;
  FOR_PAIRS(p->doc, m, k, v) {
    const char *key = scalar(k) ? scalar(k) : "?";
    snprintf(sub, sizeof sub, "%s.%s", path, key);
    int rc = 0;
    if (!strcmp(key, "id")) { rc = get_id(p, v, sub, t->id); has_id = 1; }
    else if (!strcmp(key, "name")) rc = get_str(p, v, sub, t->name, sizeof t->name);
    else if (!strcmp(key, "budget_jpy")) rc = get_u64(p, v, sub, GATE_MAX_YEN, &t->budget_jpy);
    else if (!strcmp(key, "key_budget_jpy")) rc = get_u64(p, v, sub, GATE_MAX_YEN, &t->key_budget_jpy);
    else if (!strcmp(key, "budget_period")) { rc = get_enum(p, v, sub, k_period, &v_int); t->period = (gate_period)v_int; }
    else if (!strcmp(key, "limits")) rc = parse_limits(p, v, sub, &t->limits);
    else if (!strcmp(key, "reidentify")) rc = get_bool(p, v, sub, &t->reidentify);
    else if (!strcmp(key, "on_refusal")) {
      static const char *const k_ref[] = {"deny", "reroute", NULL};
      rc = get_enum(p, v, sub, k_ref, &t->reroute);
    } else if (!strcmp(key, "models")) {
      if (!v || v->type != YAML_SEQUENCE_NODE) return fail(p, v, sub, "expected a list of model ids", NULL);
      for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        if (t->n_models == GATE_MAX_TENANT_MODELS) return fail(p, v, sub, "too many models", NULL);
        yaml_node_t *mn = yaml_document_get_node(p->doc, *it);
        if (scalar(mn) && !strcmp(scalar(mn), "*")) strcpy(t->models[t->n_models], "*");
        else if (get_id(p, mn, sub, t->models[t->n_models])) return -1;
        t->n_models++;
      }
    } else return unknown(p, k, path);
    if (rc) return -1;
  }
  if (!has_id) return fail(p, m, path, "missing 'id'", NULL);
  return 0;
}

static int parse_server(cfgp *p, yaml_node_t *m, gate_config *c) {
  if (expect_map(p, m, "server")) return -1;
  FOR_PAIRS(p->doc, m, k, v) {
    const char *key = scalar(k) ? scalar(k) : "?";
    char sub[96];
    snprintf(sub, sizeof sub, "server.%s", key);
    int rc;
    if (!strcmp(key, "model")) rc = get_str(p, v, sub, c->server_model, sizeof c->server_model);
    else if (!strcmp(key, "host")) rc = get_str(p, v, sub, c->server_host, sizeof c->server_host);
    else if (!strcmp(key, "port")) rc = get_long(p, v, sub, 65535, &c->server_port);
    else if (!strcmp(key, "parallel")) rc = get_long(p, v, sub, 1024, &c->server_parallel);
    else if (!strcmp(key, "ctx")) rc = get_long(p, v, sub, 1L << 20, &c->server_ctx);
    else if (!strcmp(key, "queue")) rc = get_long(p, v, sub, 1L << 20, &c->server_queue);
    else return unknown(p, k, "server");
    if (rc) return -1;
  }
  return 0;
}

static int parse_list(cfgp *p, yaml_node_t *v, const char *name, size_t max, size_t elem, void **arr, size_t *n,
                      int (*one)(cfgp *, yaml_node_t *, const char *, void *)) {
  if (!v || v->type != YAML_SEQUENCE_NODE) return fail(p, v, name, "expected a list ('- id: ...' items)", NULL);
  size_t cnt = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
  if (cnt > max) return fail(p, v, name, "too many entries", NULL);
  *arr = sk_calloc(cnt ? cnt : 1, elem);
  if (!*arr) return sk_err_set(p->err, SK_ENOMEM, "out of memory");
  for (size_t i = 0; i < cnt; i++) {
    char sub[64];
    snprintf(sub, sizeof sub, "%s[%zu]", name, i);
    if (one(p, yaml_document_get_node(p->doc, v->data.sequence.items.start[i]), sub, (char *)*arr + i * elem))
      return -1;
    *n = i + 1;
  }
  return 0;
}
static int one_model(cfgp *p, yaml_node_t *n, const char *path, void *o) { return parse_model(p, n, path, o); }
static int one_tenant(cfgp *p, yaml_node_t *n, const char *path, void *o) { return parse_tenant(p, n, path, o); }

static int validate(cfgp *p, gate_config *c) {
  for (size_t i = 0; i < c->n_tenants; i++) {
    for (size_t j = 0; j < i; j++)
      if (!strcmp(c->tenants[i].id, c->tenants[j].id))
        return sk_err_set(p->err, SK_EFORMAT, "line %d: tenant '%s' is defined twice (first on line %d)",
                          c->tenants[i].line, c->tenants[i].id, c->tenants[j].line);
    for (size_t m = 0; m < c->tenants[i].n_models; m++)
      if (strcmp(c->tenants[i].models[m], "*") && !gate_config_model(c, c->tenants[i].models[m]))
        return sk_err_set(p->err, SK_EFORMAT, "line %d: tenant '%s' allows model '%s', which models: does not define",
                          c->tenants[i].line, c->tenants[i].id, c->tenants[i].models[m]);
  }
  for (size_t i = 0; i < c->n_models; i++)
    for (size_t j = 0; j < i; j++)
      if (!strcmp(c->models[i].id, c->models[j].id))
        return sk_err_set(p->err, SK_EFORMAT, "line %d: model '%s' is defined twice (first on line %d)",
                          c->models[i].line, c->models[i].id, c->models[j].line);
  if (c->default_local[0]) {
    const gate_model *m = gate_config_model(c, c->default_local);
    if (!m || m->provider != GATE_PROV_LOCAL)
      return sk_err_set(p->err, SK_EFORMAT, "default_local '%s' must name a model with provider: local",
                        c->default_local);
  }
  if (c->anonymous_tenant[0] && !gate_config_tenant(c, c->anonymous_tenant))
    return sk_err_set(p->err, SK_EFORMAT, "anonymous_tenant '%s' is not one of tenants:", c->anonymous_tenant);
  return 0;
}

int gate_config_parse(const char *text, size_t len, gate_config **out, sk_err *err) {
  *out = NULL;
  if (len > GATE_MAX_CONFIG_BYTES) return sk_err_set(err, SK_ELIMIT, "config larger than %u bytes", GATE_MAX_CONFIG_BYTES);
  yaml_parser_t yp;
  yaml_document_t doc;
  if (!yaml_parser_initialize(&yp)) return sk_err_set(err, SK_ENOMEM, "out of memory");
  yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
  if (!yaml_parser_load(&yp, &doc)) {
    int rc = sk_err_set(err, SK_EFORMAT, "line %d: YAML syntax: %s%s%s", (int)yp.problem_mark.line + 1,
                        yp.problem ? yp.problem : "error", yp.context ? " " : "", yp.context ? yp.context : "");
    yaml_parser_delete(&yp);
    return rc;
  }
  yaml_parser_delete(&yp);
  gate_config *c = sk_calloc(1, sizeof *c);
  if (!c) {
    yaml_document_delete(&doc);
    return sk_err_set(err, SK_ENOMEM, "out of memory");
  }
  c->server_port = c->server_parallel = c->server_ctx = c->server_queue = -1;
  c->hold_timeout_s = GATE_DEFAULT_HOLD_TIMEOUT_S;
  cfgp p = {&doc, err};
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  int rc = 0;
  if (!root) rc = sk_err_set(err, SK_EFORMAT, "line 1: the config is empty");
  else if (expect_map(&p, root, "(top level)")) rc = -1;
  else {
    FOR_PAIRS(&doc, root, k, v) {
      if (rc) continue; /* (a break would leave only the macro's inner loop) */
      const char *key = scalar(k) ? scalar(k) : "?";
      if (!strcmp(key, "tenants"))
        rc = parse_list(&p, v, "tenants", GATE_MAX_TENANTS, sizeof(gate_tenant), (void **)&c->tenants, &c->n_tenants, one_tenant);
      else if (!strcmp(key, "models"))
        rc = parse_list(&p, v, "models", GATE_MAX_MODELS, sizeof(gate_model), (void **)&c->models, &c->n_models, one_model);
      else if (!strcmp(key, "default_local")) rc = get_id(&p, v, key, c->default_local);
      else if (!strcmp(key, "anonymous_tenant")) rc = get_id(&p, v, key, c->anonymous_tenant);
      else if (!strcmp(key, "key_limits")) rc = parse_limits(&p, v, key, &c->key_limits);
      else if (!strcmp(key, "hold_timeout_s")) rc = get_u32(&p, v, key, &c->hold_timeout_s);
      else if (!strcmp(key, "server")) rc = parse_server(&p, v, c);
      else if (!strcmp(key, "version")) {
        uint64_t ver;
        rc = get_u64(&p, v, key, 1, &ver);
      } else rc = unknown(&p, k, "(top level)");
    }
  }
  if (!rc && !c->n_tenants) rc = sk_err_set(err, SK_EFORMAT, "line 1: tenants: at least one tenant is required");
  if (!rc) rc = validate(&p, c);
  yaml_document_delete(&doc);
  if (rc) {
    gate_config_free(c);
    return err && err->code ? err->code : SK_EFORMAT;
  }
  *out = c;
  return SK_OK;
}

int gate_config_load_file(const char *path, gate_config **out, sk_err *err) {
  char *text = NULL;
  size_t len = 0;
  *out = NULL;
  int rc = sk_read_file(path, GATE_MAX_CONFIG_BYTES, &text, &len, err);
  if (rc) return rc;
  rc = gate_config_parse(text, len, out, err);
  sk_free(text);
  if (rc) sk_err_wrap(err, "%s", path);
  return rc;
}

int gate_config_default(const char *local_model, gate_config **out, sk_err *err) {
  char text[1024];
  snprintf(text, sizeof text,
           "anonymous_tenant: demo\n"
           "default_local: %s\n"
           "tenants:\n"
           "  - id: demo\n"
           "    name: demo (local only)\n"
           "    models: [%s]\n"
           "    reidentify: true\n"
           "models:\n"
           "  - id: %s\n"
           "    provider: local\n",
           local_model, local_model, local_model);
  return gate_config_parse(text, strlen(text), out, err);
}

void gate_config_free(gate_config *c) {
  if (!c) return;
  sk_free(c->tenants);
  sk_free(c->models);
  sk_free(c);
}

const gate_tenant *gate_config_tenant(const gate_config *c, const char *id) {
  for (size_t i = 0; i < c->n_tenants; i++)
    if (!strcmp(c->tenants[i].id, id)) return &c->tenants[i];
  return NULL;
}

const gate_model *gate_config_model(const gate_config *c, const char *id) {
  for (size_t i = 0; i < c->n_models; i++)
    if (!strcmp(c->models[i].id, id)) return &c->models[i];
  return NULL;
}

int gate_tenant_allows(const gate_tenant *t, const char *model_id) {
  for (size_t i = 0; i < t->n_models; i++)
    if (!strcmp(t->models[i], "*") || !strcmp(t->models[i], model_id)) return 1;
  return 0;
}

const char *gate_class_name(gate_class c) {
  static const char *const n[] = {"public", "internal", "personal", "specific", "highest"};
  return (unsigned)c < 5 ? n[c] : "unknown";
}
const char *gate_basis_name(gate_basis b) {
  static const char *const n[] = {"none", "consent", "equivalent_system", "eu_uk"};
  return (unsigned)b < 4 ? n[b] : "unknown";
}
const char *gate_provider_name(gate_provider p) { return (unsigned)p < 3 ? k_prov[p] : "unknown"; }
