/* policy.h — the "decide" stage: may this tenant's key send data of this class to this model?
 *
 * Rules, in order (the first that fails refuses the external route):
 *   1. the model must exist and the tenant must list it;
 *   2. an external route needs a recorded APPI Art. 28 basis (consent, equivalent system, EU/UK);
 *   3. My Number (特定個人情報) and anything above never leave the premises, whatever the config;
 *   4. the request's data class must not exceed the route's max_data_class;
 *   5. a key with residency "onprem" never reaches an external route.
 * A refused external route is rerouted to the local model when the tenant says on_refusal: reroute
 * (and may use it), else the request is denied with the reason. Pure function: no I/O, no state. */
#ifndef SK_GATE_POLICY_H
#define SK_GATE_POLICY_H

#include "gate/config.h"
#include "gate/keys.h"

typedef struct gate_decision {
  const gate_model *model; /* the route taken (NULL when denied) */
  int external;
  int rerouted;            /* a refused external route fell back to the local model */
  int status;              /* 0 allowed; else 403 / 404 */
  char reason[384];        /* why refused or rerouted (no content, safe to log and return) */
} gate_decision;

/* local_model: the model id the server serves locally (used when the config does not define it). */
void gate_decide(const gate_config *c, const gate_tenant *t, const gate_key *k, const char *requested,
                 const char *local_model, gate_class cls, gate_decision *d);

#endif
