#include "gate/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/fs.h"

#define KEYS_FILE "keys.json"
#define SECRET_FILE "keys.secret"
#define LOCK_FILE "keys.lock"
#define SECRET_BYTES 32
/* How often (at most) a request triggers a stat of keys.json to pick up CLI changes. */
#define KEYS_REFRESH_NS 500000000ll

struct gate_keys {
  pthread_rwlock_t lock;
  char dir[4096];
  unsigned char secret[SECRET_BYTES];
  gate_key *keys;
  size_t n;
  struct timespec mtime;
  int64_t checked_ns;
};

static const char *const k_roles[] = {"admin", "user", "auditor", "agent"};
static const char *const k_res[] = {"onprem", "any"};
const char *gate_role_name(gate_role r) { return (unsigned)r < 4 ? k_roles[r] : "unknown"; }
const char *gate_residency_name(gate_residency r) { return (unsigned)r < 2 ? k_res[r] : "unknown"; }
int gate_role_parse(const char *s) {
  for (int i = 0; i < 4; i++)
    if (s && !strcmp(s, k_roles[i])) return i;
  return -1;
}
int gate_residency_parse(const char *s) {
  for (int i = 0; i < 2; i++)
    if (s && !strcmp(s, k_res[i])) return i;
  return -1;
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void hash_token(const gate_keys *k, const char *token, size_t len, unsigned char out[32]) {
  crypto_generichash(out, 32, (const unsigned char *)token, len, k->secret, SECRET_BYTES);
}

static int path_in(const gate_keys *k, const char *name, char *out, size_t cap, sk_err *err) {
  if (sk_path_join(out, cap, k->dir, name)) return sk_err_set(err, SK_ELIMIT, "path too long: %s/%s", k->dir, name);
  return 0;
}

/* Loads keys.json (missing file = no keys). Caller holds the write lock. */
static int load(gate_keys *k, sk_err *err) {
  char path[4200];
  if (path_in(k, KEYS_FILE, path, sizeof path, err)) return SK_ELIMIT;
  struct stat st;
  if (stat(path, &st)) {
    if (errno != ENOENT) return sk_err_set(err, SK_EIO, "stat %s: %s", path, strerror(errno));
    k->n = 0;
    return 0;
  }
  if (st.st_mtim.tv_sec == k->mtime.tv_sec && st.st_mtim.tv_nsec == k->mtime.tv_nsec && k->keys) return 0;
  json_error_t je;
  json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
  if (!j || !json_is_array(j) || json_array_size(j) > GATE_MAX_KEYS) {
    json_decref(j);
    return sk_err_set(err, SK_ECORRUPT, "%s: line %d: %s", path, je.line, j ? "expected an array of keys" : je.text);
  }
  gate_key *nk = sk_calloc(json_array_size(j) + 1, sizeof *nk);
  if (!nk) {
    json_decref(j);
    return sk_err_set(err, SK_ENOMEM, "out of memory");
  }
  size_t i;
  json_t *e;
  json_array_foreach(j, i, e) {
    const char *id = json_string_value(json_object_get(e, "id"));
    const char *tenant = json_string_value(json_object_get(e, "tenant"));
    const char *user = json_string_value(json_object_get(e, "user"));
    const char *hash = json_string_value(json_object_get(e, "hash"));
    int role = gate_role_parse(json_string_value(json_object_get(e, "role")));
    int res = gate_residency_parse(json_string_value(json_object_get(e, "residency")));
    size_t bl = 0;
    if (!id || strlen(id) != GATE_KEY_ID_HEX || !tenant || strlen(tenant) >= GATE_MAX_ID || !user ||
        strlen(user) >= GATE_MAX_ID || !hash || role < 0 || res < 0 ||
        sodium_hex2bin(nk[i].hash, 32, hash, strlen(hash), NULL, &bl, NULL) || bl != 32) {
      sk_free(nk);
      json_decref(j);
      return sk_err_set(err, SK_ECORRUPT, "%s: key #%zu is malformed", path, i);
    }
    memcpy(nk[i].id, id, GATE_KEY_ID_HEX + 1);
    snprintf(nk[i].tenant, sizeof nk[i].tenant, "%s", tenant);
    snprintf(nk[i].user, sizeof nk[i].user, "%s", user);
    nk[i].role = (gate_role)role;
    nk[i].residency = (gate_residency)res;
    nk[i].created = (int64_t)json_integer_value(json_object_get(e, "created"));
    nk[i].revoked = json_is_true(json_object_get(e, "revoked"));
  }
  sk_free(k->keys);
  k->keys = nk;
  k->n = json_array_size(j);
  k->mtime = st.st_mtim;
  json_decref(j);
  return 0;
}

static int save(gate_keys *k, sk_err *err) {
  char path[4200], tmp[4300];
  if (path_in(k, KEYS_FILE, path, sizeof path, err)) return SK_ELIMIT;
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < k->n; i++) {
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, k->keys[i].hash, 32);
    json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:b}", "id", k->keys[i].id, "tenant",
                                         k->keys[i].tenant, "user", k->keys[i].user, "role",
                                         gate_role_name(k->keys[i].role), "residency",
                                         gate_residency_name(k->keys[i].residency), "hash", hex, "created",
                                         (json_int_t)k->keys[i].created, "revoked", k->keys[i].revoked));
  }
  if (!arr || json_dump_file(arr, tmp, JSON_INDENT(1)) || rename(tmp, path)) {
    json_decref(arr);
    return sk_err_set(err, SK_EIO, "cannot write %s: %s", path, strerror(errno));
  }
  json_decref(arr);
  struct stat st;
  if (!stat(path, &st)) k->mtime = st.st_mtim;
  return 0;
}

int gate_keys_open(const char *dir, gate_keys **out, sk_err *err) {
  *out = NULL;
  if (sodium_init() < 0) return sk_err_set(err, SK_EIO, "libsodium failed to initialise");
  if (strlen(dir) >= sizeof((gate_keys *)0)->dir) return sk_err_set(err, SK_ELIMIT, "key directory path too long");
  int rc = sk_mkdir_p(dir, err);
  if (rc) return rc;
  gate_keys *k = sk_calloc(1, sizeof *k);
  if (!k) return sk_err_set(err, SK_ENOMEM, "out of memory");
  snprintf(k->dir, sizeof k->dir, "%s", dir);
  pthread_rwlock_init(&k->lock, NULL);
  char path[4200];
  path_in(k, SECRET_FILE, path, sizeof path, NULL);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    randombytes_buf(k->secret, SECRET_BYTES);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0 && write(fd, k->secret, SECRET_BYTES) == SECRET_BYTES && fsync(fd) == 0) {
      close(fd);
      fd = open(path, O_RDONLY | O_CLOEXEC);
    } else if (fd >= 0) {
      close(fd);
      fd = -1;
    } else {
      fd = open(path, O_RDONLY | O_CLOEXEC); /* lost a race with another process: use its secret */
    }
  }
  if (fd < 0 || read(fd, k->secret, SECRET_BYTES) != SECRET_BYTES) {
    if (fd >= 0) close(fd);
    gate_keys_close(k);
    return sk_err_set(err, SK_EIO, "cannot read the key secret %s (it must hold %d bytes)", path, SECRET_BYTES);
  }
  close(fd);
  rc = load(k, err);
  if (rc) {
    gate_keys_close(k);
    return rc;
  }
  k->checked_ns = now_ns();
  *out = k;
  return 0;
}

void gate_keys_close(gate_keys *k) {
  if (!k) return;
  sodium_memzero(k->secret, SECRET_BYTES);
  sk_free(k->keys);
  pthread_rwlock_destroy(&k->lock);
  sk_free(k);
}

int gate_keys_refresh(gate_keys *k, sk_err *err) {
  pthread_rwlock_wrlock(&k->lock);
  int rc = load(k, err);
  k->checked_ns = now_ns();
  pthread_rwlock_unlock(&k->lock);
  return rc;
}

int gate_keys_check(gate_keys *k, const char *token, gate_key *out, sk_err *err) {
  size_t plen = strlen(GATE_KEY_PREFIX);
  size_t len = strnlen(token, GATE_MAX_TOKEN);
  if (len >= GATE_MAX_TOKEN || strncmp(token, GATE_KEY_PREFIX, plen) || len < plen + GATE_KEY_ID_HEX + 2 ||
      token[plen + GATE_KEY_ID_HEX] != '-')
    return sk_err_set(err, SK_EDENIED, "the API key is not a Sekisho key (expected %s...)", GATE_KEY_PREFIX);
  if (now_ns() - __atomic_load_n(&k->checked_ns, __ATOMIC_RELAXED) > KEYS_REFRESH_NS) gate_keys_refresh(k, NULL);
  unsigned char h[32];
  hash_token(k, token, len, h);
  pthread_rwlock_rdlock(&k->lock);
  const gate_key *hit = NULL;
  for (size_t i = 0; i < k->n; i++)
    if (!memcmp(k->keys[i].id, token + plen, GATE_KEY_ID_HEX)) {
      hit = &k->keys[i];
      break;
    }
  int ok = hit && sodium_memcmp(hit->hash, h, 32) == 0;
  if (ok) *out = *hit;
  pthread_rwlock_unlock(&k->lock);
  if (!ok) return sk_err_set(err, SK_EDENIED, "invalid API key");
  if (out->revoked) return sk_err_set(err, SK_EDENIED, "the API key %s was revoked", out->id);
  return 0;
}

/* Takes the cross-process lock and reloads; returns the fd to release, or -1. */
static int lock_file(gate_keys *k, sk_err *err) {
  char path[4200];
  path_in(k, LOCK_FILE, path, sizeof path, NULL);
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || flock(fd, LOCK_EX)) {
    if (fd >= 0) close(fd);
    sk_err_set(err, SK_EIO, "cannot lock %s: %s", path, strerror(errno));
    return -1;
  }
  pthread_rwlock_wrlock(&k->lock);
  k->mtime.tv_sec = -1; /* force a re-read */
  if (load(k, err)) {
    pthread_rwlock_unlock(&k->lock);
    close(fd);
    return -1;
  }
  return fd;
}
static void unlock_file(gate_keys *k, int fd) {
  pthread_rwlock_unlock(&k->lock);
  close(fd);
}

static void make_token(gate_keys *k, const char *id, char token[GATE_MAX_TOKEN], unsigned char hash[32]) {
  unsigned char sec[32];
  char b64[64];
  randombytes_buf(sec, sizeof sec);
  sodium_bin2base64(b64, sizeof b64, sec, sizeof sec, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  snprintf(token, GATE_MAX_TOKEN, "%s%s-%s", GATE_KEY_PREFIX, id, b64);
  hash_token(k, token, strlen(token), hash);
  sodium_memzero(sec, sizeof sec);
}

int gate_keys_create(gate_keys *k, const char *tenant, const char *user, gate_role role, gate_residency res,
                     gate_key *out, char token[GATE_MAX_TOKEN], sk_err *err) {
  if (!tenant || !*tenant || strlen(tenant) >= GATE_MAX_ID || !user || strlen(user) >= GATE_MAX_ID)
    return sk_err_set(err, SK_EINVAL, "tenant (1..%d chars) and user (< %d chars) are required", GATE_MAX_ID - 1,
                      GATE_MAX_ID);
  int fd = lock_file(k, err);
  if (fd < 0) return err ? err->code : SK_EIO;
  if (k->n >= GATE_MAX_KEYS) {
    unlock_file(k, fd);
    return sk_err_set(err, SK_ELIMIT, "at most %d keys; revoke and delete old ones", GATE_MAX_KEYS);
  }
  gate_key *nk = sk_realloc(k->keys, (k->n + 1) * sizeof *nk);
  if (!nk) {
    unlock_file(k, fd);
    return sk_err_set(err, SK_ENOMEM, "out of memory");
  }
  k->keys = nk;
  gate_key *e = &k->keys[k->n];
  memset(e, 0, sizeof *e);
  unsigned char idb[GATE_KEY_ID_HEX / 2];
  randombytes_buf(idb, sizeof idb);
  sodium_bin2hex(e->id, sizeof e->id, idb, sizeof idb);
  snprintf(e->tenant, sizeof e->tenant, "%s", tenant);
  snprintf(e->user, sizeof e->user, "%s", user);
  e->role = role;
  e->residency = res;
  e->created = (int64_t)time(NULL);
  make_token(k, e->id, token, e->hash);
  k->n++;
  int rc = save(k, err);
  if (!rc && out) *out = *e;
  unlock_file(k, fd);
  return rc;
}

static gate_key *find(gate_keys *k, const char *id) {
  for (size_t i = 0; i < k->n; i++)
    if (!strcmp(k->keys[i].id, id)) return &k->keys[i];
  return NULL;
}

int gate_keys_rotate(gate_keys *k, const char *id, gate_key *out, char token[GATE_MAX_TOKEN], sk_err *err) {
  int fd = lock_file(k, err);
  if (fd < 0) return err ? err->code : SK_EIO;
  gate_key *e = find(k, id);
  int rc;
  if (!e) rc = sk_err_set(err, SK_ENOTFOUND, "no key with id '%.32s' (see `sekisho keys list`)", id);
  else if (e->revoked) rc = sk_err_set(err, SK_EDENIED, "key %s is revoked; create a new one", id);
  else {
    make_token(k, e->id, token, e->hash);
    rc = save(k, err);
    if (!rc && out) *out = *e;
  }
  unlock_file(k, fd);
  return rc;
}

int gate_keys_revoke(gate_keys *k, const char *id, sk_err *err) {
  int fd = lock_file(k, err);
  if (fd < 0) return err ? err->code : SK_EIO;
  gate_key *e = find(k, id);
  int rc;
  if (!e) rc = sk_err_set(err, SK_ENOTFOUND, "no key with id '%.32s' (see `sekisho keys list`)", id);
  else {
    e->revoked = 1;
    rc = save(k, err);
  }
  unlock_file(k, fd);
  return rc;
}

int gate_keys_list_json(gate_keys *k, const char *tenant, sk_buf *out) {
  pthread_rwlock_rdlock(&k->lock);
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < k->n; i++) {
    const gate_key *e = &k->keys[i];
    if (tenant && strcmp(tenant, e->tenant)) continue;
    json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:b}", "id", e->id, "tenant", e->tenant, "user",
                                         e->user, "role", gate_role_name(e->role), "residency",
                                         gate_residency_name(e->residency), "created", (json_int_t)e->created,
                                         "revoked", e->revoked));
  }
  pthread_rwlock_unlock(&k->lock);
  char *s = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
  json_decref(arr);
  int rc = s ? sk_buf_append_str(out, s) : SK_ENOMEM;
  free(s);
  return rc;
}

size_t gate_keys_count(gate_keys *k) {
  pthread_rwlock_rdlock(&k->lock);
  size_t n = k->n;
  pthread_rwlock_unlock(&k->lock);
  return n;
}
