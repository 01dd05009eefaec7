/* config.h — the perimeter's configuration (YAML): tenants, models and routes, limits, budgets.
 *
 *   gate_config *cfg;  gate_config_load_file("sekisho.yaml", &cfg, &err);  // err names the line
 *   ... gate_config_free(cfg);
 *
 * A loaded config is immutable; the gate swaps whole configs on reload (hot reload) and keeps the
 * old one until no request uses it. See docs/gate.md for the format and a worked example. */
#ifndef SK_GATE_CONFIG_H
#define SK_GATE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* A configuration file is a page of YAML; 1 MiB is far beyond any real one and bounds the parser. */
#define GATE_MAX_CONFIG_BYTES (1u << 20)
/* Departments of one institution; linear scans below are fine at this size. */
#define GATE_MAX_TENANTS 256
#define GATE_MAX_MODELS 64
/* Models one tenant lists as allowed. */
#define GATE_MAX_TENANT_MODELS 64
/* Identifiers (tenant ids, model ids) are short ASCII names. */
#define GATE_MAX_ID 64
#define GATE_MAX_URL 512

/* Data classes, ordered like guard's pii_level (public < internal < personal < specific). */
typedef enum gate_class {
  GATE_CLASS_PUBLIC = 0,
  GATE_CLASS_INTERNAL,
  GATE_CLASS_PERSONAL,
  GATE_CLASS_SPECIFIC, /* My Number: never leaves the premises, whatever the config says */
  GATE_CLASS_HIGHEST,
} gate_class;

typedef enum gate_provider { GATE_PROV_LOCAL = 0, GATE_PROV_ANTHROPIC, GATE_PROV_OPENAI } gate_provider;

/* APPI Article 28: a transfer of personal data to a third party abroad needs one of these. */
typedef enum gate_basis {
  GATE_BASIS_NONE = 0,          /* the route is unusable for any request */
  GATE_BASIS_CONSENT,           /* the data subject consented (Art. 28(1)) */
  GATE_BASIS_EQUIVALENT_SYSTEM, /* the recipient keeps an equivalent system (Art. 28(1), rule 16) */
  GATE_BASIS_EU_UK,             /* destination country recognised as equivalent (EU/UK) */
} gate_basis;

typedef enum gate_period { GATE_PERIOD_MONTH = 0, GATE_PERIOD_DAY, GATE_PERIOD_TOTAL } gate_period;

typedef struct gate_limits {
  uint32_t requests_per_minute; /* 0: unlimited */
  uint32_t tokens_per_minute;   /* 0: unlimited */
} gate_limits;

typedef struct gate_model {
  char id[GATE_MAX_ID];          /* the name clients use */
  gate_provider provider;
  char base_url[GATE_MAX_URL];   /* external only */
  char upstream_model[128];      /* the provider's model name (default: id) */
  char api_key_env[64];          /* environment variable holding the provider key ("" = none) */
  char region[32];
  gate_basis basis;
  gate_class max_class;          /* highest data class this route may carry (after pseudonymisation) */
  uint64_t price_in_jpy_per_mtok;
  uint64_t price_out_jpy_per_mtok;
  int line;
} gate_model;

typedef struct gate_tenant {
  char id[GATE_MAX_ID];
  char name[128];                /* display name, e.g. 融資部 */
  uint64_t budget_jpy;           /* per period; 0: no budget (unlimited) */
  uint64_t key_budget_jpy;       /* per API key of this tenant, per period; 0: none */
  gate_period period;
  gate_limits limits;
  char models[GATE_MAX_TENANT_MODELS][GATE_MAX_ID]; /* allowed models ("*" = all) */
  size_t n_models;
  int reidentify;                /* answers show original names to permitted roles */
  int reroute;                   /* a refused external route falls back to default_local */
  int line;
} gate_tenant;

typedef struct gate_config {
  gate_tenant *tenants;
  size_t n_tenants;
  gate_model *models;
  size_t n_models;
  char default_local[GATE_MAX_ID]; /* local model for reroutes ("" = the served one) */
  char anonymous_tenant[GATE_MAX_ID]; /* requests with no key go here as role user ("" = refuse) */
  gate_limits key_limits;        /* per API key */
  uint32_t hold_timeout_s;       /* accepted for compatibility; holds are in memory (docs/gate.md) */
  /* server section (optional; command-line flags win) */
  char server_model[GATE_MAX_URL];
  char server_host[64];
  long server_port, server_parallel, server_ctx, server_queue; /* -1: unset */
  uint64_t version;              /* bumped on each successful (re)load */
} gate_config;

/* Parses YAML text; *out owned by the caller (gate_config_free). Errors name the line:
 * "line 12: tenants[1].budget_jpy: expected a non-negative integer". */
int gate_config_parse(const char *text, size_t len, gate_config **out, sk_err *err);
int gate_config_load_file(const char *path, gate_config **out, sk_err *err);
/* The built-in configuration used when `serve` has no --config: one local-only tenant "demo"
 * that anonymous loopback clients also map to. local_model: the served model id. */
int gate_config_default(const char *local_model, gate_config **out, sk_err *err);
void gate_config_free(gate_config *c);

const gate_tenant *gate_config_tenant(const gate_config *c, const char *id);
const gate_model *gate_config_model(const gate_config *c, const char *id);
int gate_tenant_allows(const gate_tenant *t, const char *model_id);

const char *gate_class_name(gate_class c);
const char *gate_basis_name(gate_basis b);
const char *gate_provider_name(gate_provider p);

#endif
