/* admin.c — the admin HTTP API over the key store (see gate_admin in pipeline.h). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "audit/log.h"
#include "gate/pipeline.h"

static int reply(sk_buf *out, int status, const char *msg) {
  json_t *j = json_pack("{s:{s:s}}", "error", "message", msg);
  char *s = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  if (s) sk_buf_append_str(out, s);
  free(s);
  return status;
}

static int key_reply(sk_buf *out, int status, const gate_key *k, const char *token) {
  json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", k->id, "tenant", k->tenant, "user", k->user, "role",
                        gate_role_name(k->role), "residency", gate_residency_name(k->residency));
  if (token) json_object_set_new(j, "key", json_string(token));
  char *s = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  if (s) sk_buf_append_str(out, s);
  free(s);
  return status;
}

int gate_admin(gate *g, const char *credential, const char *method, const char *path, const char *body, size_t len,
               sk_buf *out) {
  gate_keys *ks = gate_get_keys(g);
  gate_key me;
  sk_err err;
  if (!credential || gate_keys_check(ks, credential, &me, &err)) {
    gate_reject(g, credential, "admin", 401, "admin API: missing or invalid key");
    return reply(out, 401, "an admin API key is required");
  }
  if (me.role != GATE_ROLE_ADMIN) {
    gate_reject(g, credential, "admin", 403, "admin API: key is not an admin");
    return reply(out, 403, "this key's role may not use the admin API");
  }
  int status;
  char tok[GATE_MAX_TOKEN];
  gate_key k;
  char what[160];
  snprintf(what, sizeof what, "admin %s %.100s", method, path);
  if (!strcmp(path, "/admin/keys") && !strcmp(method, "GET")) {
    status = gate_keys_list_json(ks, NULL, out) ? 500 : 200;
  } else if (!strcmp(path, "/admin/keys") && !strcmp(method, "POST")) {
    json_error_t je;
    json_t *j = json_loadb(body ? body : "", len, 0, &je);
    const char *tenant = json_string_value(json_object_get(j, "tenant"));
    const char *user = json_string_value(json_object_get(j, "user"));
    const char *rs = json_string_value(json_object_get(j, "role"));
    const char *res = json_string_value(json_object_get(j, "residency"));
    int role = gate_role_parse(rs ? rs : "user");
    int resid = gate_residency_parse(res ? res : "onprem");
    if (!j || !tenant || role < 0 || resid < 0) status = reply(out, 400, "body: {\"tenant\":..., \"user\":..., \"role\": admin|user|auditor|agent, \"residency\": onprem|any}");
    else if (gate_keys_create(ks, tenant, user ? user : "", (gate_role)role, (gate_residency)resid, &k, tok, &err))
      status = reply(out, 400, err.msg);
    else status = key_reply(out, 201, &k, tok);
    json_decref(j);
  } else if (!strncmp(path, "/admin/keys/", 12)) {
    char id[64];
    snprintf(id, sizeof id, "%.63s", path + 12);
    char *slash = strchr(id, '/');
    if (slash) *slash = 0;
    if (slash && !strcmp(slash + 1, "rotate") && !strcmp(method, "POST")) {
      if (gate_keys_rotate(ks, id, &k, tok, &err)) status = reply(out, err.code == SK_ENOTFOUND ? 404 : 409, err.msg);
      else status = key_reply(out, 200, &k, tok);
    } else if (!slash && !strcmp(method, "DELETE")) {
      if (gate_keys_revoke(ks, id, &err)) status = reply(out, 404, err.msg);
      else status = reply(out, 200, "revoked");
    } else status = reply(out, 405, "use POST /admin/keys/ID/rotate or DELETE /admin/keys/ID");
  } else if (!strcmp(path, "/admin/config/reload") && !strcmp(method, "POST")) {
    if (gate_reload(g, &err)) status = reply(out, 400, err.msg);
    else status = reply(out, 200, "reloaded");
  } else {
    status = reply(out, 404, "no such admin endpoint");
  }
  gate_reject(g, credential, "admin", status, what); /* every admin call leaves a record */
  return status;
}
