#include "gate/policy.h"

#include <stdio.h>
#include <string.h>

/* The local model to fall back to: default_local, else the served model if the config defines it. */
static const gate_model *local_of(const gate_config *c, const char *local_model) {
  const gate_model *m = gate_config_model(c, c->default_local[0] ? c->default_local : local_model);
  return m && m->provider == GATE_PROV_LOCAL ? m : NULL;
}

void gate_decide(const gate_config *c, const gate_tenant *t, const gate_key *k, const char *requested,
                 const char *local_model, gate_class cls, gate_decision *d) {
  memset(d, 0, sizeof *d);
  const gate_model *m = gate_config_model(c, requested);
  if (!m) {
    d->status = 404;
    snprintf(d->reason, sizeof d->reason, "model '%.64s' is not configured on this gateway", requested);
    return;
  }
  if (!gate_tenant_allows(t, m->id)) {
    d->status = 403;
    snprintf(d->reason, sizeof d->reason, "tenant '%s' may not use model '%s'", t->id, m->id);
    return;
  }
  if (m->provider == GATE_PROV_LOCAL) {
    d->model = m;
    return;
  }
  char why[256] = "";
  if (m->basis == GATE_BASIS_NONE)
    snprintf(why, sizeof why, "route '%s' has no APPI Art. 28 basis recorded (art28_basis), so it is never used",
             m->id);
  else if (cls >= GATE_CLASS_SPECIFIC)
    snprintf(why, sizeof why, "the request contains %s data (My Number); it never leaves the premises",
             gate_class_name(cls));
  else if (cls > m->max_class)
    snprintf(why, sizeof why, "the request contains %s data; route '%s' accepts at most %s", gate_class_name(cls),
             m->id, gate_class_name(m->max_class));
  else if (k && k->residency == GATE_RES_ONPREM)
    snprintf(why, sizeof why, "API key %s is restricted to on-premise processing (residency onprem)", k->id);
  if (!why[0]) {
    d->model = m;
    d->external = 1;
    return;
  }
  const gate_model *loc = local_of(c, local_model);
  if (t->reroute && loc && gate_tenant_allows(t, loc->id)) {
    d->model = loc;
    d->rerouted = 1;
    snprintf(d->reason, sizeof d->reason, "rerouted to local model '%.64s': %.250s", loc->id, why);
    return;
  }
  d->status = 403;
  snprintf(d->reason, sizeof d->reason, "%s", why);
}
