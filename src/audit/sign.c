/* sign.c — Ed25519 key files and checkpoint text. */
#include "audit/sign.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/fs.h"

#define CKPT_HEADER "sekisho-audit-checkpoint/v1"
#define PUB_TAG "sekisho-audit-ed25519"
#define SEC_TAG "sekisho-audit-ed25519-secret"
/* A key file is one short line. */
#define KEY_FILE_MAX 512

static int valid_name(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > SIGN_MAX_NAME) return 0;
  for (const char *p = s; *p; p++)
    if (*p <= ' ' || *p == 0x7f) return 0;
  return 1;
}

void sign_key_id(const uint8_t pk[32], char out[17]) {
  uint8_t h[32];
  crypto_hash_sha256(h, pk, 32);
  sodium_bin2hex(out, 17, h, 8);
}

void sign_public_text(const sign_key *key, char *out, size_t out_size) {
  char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(b64, sizeof b64, key->pk, 32, sodium_base64_VARIANT_ORIGINAL);
  snprintf(out, out_size, PUB_TAG " %s %s\n", key->name, b64);
}

static int write_new_file(const char *path, const char *text, int mode, sk_err *err) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    return sk_err_set(err, errno == EEXIST ? SK_EEXIST : SK_EIO, "cannot create %s: %s", path, strerror(errno));
  size_t n = strlen(text);
  int ok = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
  close(fd);
  if (!ok) return sk_err_set(err, SK_EIO, "cannot write %s: %s", path, strerror(errno));
  return SK_OK;
}

int sign_keygen(const char *name, const char *secret_path, const char *public_path, sk_err *err) {
  if (sodium_init() < 0) return sk_err_set(err, SK_EIO, "libsodium failed to initialise");
  if (!valid_name(name)) return sk_err_set(err, SK_EINVAL, "key name must be 1..%d printable characters without spaces", SIGN_MAX_NAME);
  sign_key k = {0};
  snprintf(k.name, sizeof k.name, "%s", name);
  crypto_sign_keypair(k.pk, k.sk);
  char b64[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)], line[KEY_FILE_MAX];
  sodium_bin2base64(b64, sizeof b64, k.sk, 64, sodium_base64_VARIANT_ORIGINAL);
  snprintf(line, sizeof line, SEC_TAG " %s %s\n", name, b64);
  int rc = write_new_file(secret_path, line, 0600, err);
  sodium_memzero(line, sizeof line);
  sodium_memzero(b64, sizeof b64);
  sodium_memzero(k.sk, sizeof k.sk);
  if (rc) return rc;
  sign_public_text(&k, line, sizeof line);
  rc = write_new_file(public_path, line, 0644, err);
  if (rc == SK_EEXIST) { /* stale public key from an older pair: replace it */
    unlink(public_path);
    rc = write_new_file(public_path, line, 0644, err);
  }
  return rc;
}

static int load_key(const char *path, int secret, sign_key *out, sk_err *err) {
  memset(out, 0, sizeof *out);
  char *text = NULL;
  size_t len = 0;
  int rc = sk_read_file(path, KEY_FILE_MAX, &text, &len, err);
  if (rc) return rc;
  char tag[40], name[SIGN_MAX_NAME + 2], b64[128];
  uint8_t raw[64];
  size_t got = 0;
  size_t want = secret ? 64 : 32;
  if (sscanf(text, "%39s %65s %127s", tag, name, b64) != 3 || strcmp(tag, secret ? SEC_TAG : PUB_TAG) ||
      !valid_name(name) ||
      sodium_base642bin(raw, sizeof raw, b64, strlen(b64), NULL, &got, NULL, sodium_base64_VARIANT_ORIGINAL) ||
      got != want) {
    sodium_memzero(text, len);
    sk_free(text);
    return sk_err_set(err, SK_EFORMAT, "%s is not a Sekisho %s key file", path, secret ? "secret" : "public");
  }
  sodium_memzero(text, len);
  sk_free(text);
  memcpy(out->name, name, strlen(name) + 1); /* valid_name bounded it */
  if (secret) {
    memcpy(out->sk, raw, 64);
    crypto_sign_ed25519_sk_to_pk(out->pk, out->sk);
    out->has_secret = 1;
  } else {
    memcpy(out->pk, raw, 32);
  }
  sodium_memzero(raw, sizeof raw);
  return SK_OK;
}

int sign_load_secret(const char *path, sign_key *out, sk_err *err) { return load_key(path, 1, out, err); }
int sign_load_public(const char *path, sign_key *out, sk_err *err) { return load_key(path, 0, out, err); }

static int sig_line(const char *body, size_t body_len, const sign_key *key, sk_buf *b) {
  uint8_t sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, NULL, (const uint8_t *)body, body_len, key->sk);
  char b64[sodium_base64_ENCODED_LEN(crypto_sign_BYTES, sodium_base64_VARIANT_ORIGINAL)], id[17];
  sodium_bin2base64(b64, sizeof b64, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
  sign_key_id(key->pk, id);
  return sk_buf_printf(b, "sig %s %s %s\n", key->name, id, b64);
}

int ckpt_make(const char *origin, uint64_t size, const merkle_hash *root, int64_t time_s, const sign_key *key,
              char **text, sk_err *err) {
  *text = NULL;
  if (!key->has_secret) return sk_err_set(err, SK_EINVAL, "signing needs the secret key");
  if (!valid_name(origin)) return sk_err_set(err, SK_EINVAL, "origin must be a short name without spaces");
  char hex[65], ts[32];
  merkle_hex(root, hex);
  time_t t = (time_t)time_s;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  sk_buf b;
  sk_buf_init(&b, CKPT_MAX_BYTES);
  int rc = sk_buf_printf(&b, CKPT_HEADER "\n%s\n%" PRIu64 "\n%s\n%s\n", origin, size, hex, ts);
  size_t body_len = b.len;
  if (!rc) rc = sk_buf_append_str(&b, "\n");
  if (!rc) rc = sig_line(b.data, body_len, key, &b);
  if (rc) {
    sk_buf_release(&b);
    return sk_err_set(err, rc, "checkpoint too large");
  }
  *text = sk_buf_detach(&b);
  return SK_OK;
}

/* Splits text into lines; returns SK_OK with body_len and the line array. */
int ckpt_parse(const char *text, size_t len, audit_checkpoint *out, sk_err *err) {
  memset(out, 0, sizeof *out);
  if (len > CKPT_MAX_BYTES) return sk_err_set(err, SK_ELIMIT, "checkpoint larger than %d bytes", CKPT_MAX_BYTES);
  char buf[CKPT_MAX_BYTES + 1];
  memcpy(buf, text, len);
  buf[len] = '\0';
  if (strlen(buf) != len) return sk_err_set(err, SK_EFORMAT, "checkpoint contains a NUL byte");
  char *lines[6 + CKPT_MAX_SIGS]; /* header, 4 body lines, blank, signatures */
  size_t nl = 0;
  char *p = buf;
  while (*p && nl < sizeof lines / sizeof lines[0]) {
    char *e = strchr(p, '\n');
    if (!e) return sk_err_set(err, SK_EFORMAT, "checkpoint line %zu does not end with a newline", nl + 1);
    *e = '\0';
    lines[nl++] = p;
    p = e + 1;
  }
  if (*p) return sk_err_set(err, SK_ELIMIT, "checkpoint has too many lines");
  if (nl < 7 || strcmp(lines[0], CKPT_HEADER) || lines[5][0] != '\0')
    return sk_err_set(err, SK_EFORMAT, "not a checkpoint (expected '" CKPT_HEADER "', 4 lines, a blank line, signatures)");
  if (!valid_name(lines[1])) return sk_err_set(err, SK_EFORMAT, "bad origin line");
  snprintf(out->origin, sizeof out->origin, "%s", lines[1]);
  char *end = NULL;
  errno = 0;
  unsigned long long sz = strtoull(lines[2], &end, 10);
  if (errno || *end || lines[2][0] < '0' || lines[2][0] > '9') return sk_err_set(err, SK_EFORMAT, "bad size line");
  out->size = sz;
  if (merkle_from_hex(lines[3], &out->root)) return sk_err_set(err, SK_EFORMAT, "bad root line");
  if (strlen(lines[4]) >= sizeof out->time) return sk_err_set(err, SK_EFORMAT, "bad time line");
  snprintf(out->time, sizeof out->time, "%s", lines[4]);
  out->body_len = (size_t)(lines[5] - buf);
  for (size_t i = 6; i < nl; i++) {
    char name[SIGN_MAX_NAME + 2], id[20], sig[120];
    if (strncmp(lines[i], "sig ", 4) || sscanf(lines[i], "sig %65s %19s %119s", name, id, sig) != 3 || !valid_name(name))
      return sk_err_set(err, SK_EFORMAT, "bad signature line %zu", i + 1);
    memcpy(out->sig_names[out->nsigs++], name, strlen(name) + 1); /* bounded by valid_name */
  }
  return SK_OK;
}

int ckpt_verify(const char *text, size_t len, const sign_key *key, sk_err *err) {
  audit_checkpoint c;
  int rc = ckpt_parse(text, len, &c, err);
  if (rc) return rc;
  char want_id[17];
  sign_key_id(key->pk, want_id);
  const char *p = text + c.body_len + 1;
  while (*p) {
    char name[SIGN_MAX_NAME + 2], id[20], b64[120];
    if (sscanf(p, "sig %65s %19s %119s", name, id, b64) == 3 && !strcmp(name, key->name) && !strcmp(id, want_id)) {
      uint8_t sig[crypto_sign_BYTES];
      size_t got = 0;
      if (sodium_base642bin(sig, sizeof sig, b64, strlen(b64), NULL, &got, NULL, sodium_base64_VARIANT_ORIGINAL) ||
          got != sizeof sig)
        return sk_err_set(err, SK_ECORRUPT, "signature by %s is malformed", name);
      if (crypto_sign_verify_detached(sig, (const uint8_t *)text, c.body_len, key->pk) != 0)
        return sk_err_set(err, SK_ECORRUPT, "signature by %s (%s) does not verify: the checkpoint was altered", name, id);
      return SK_OK;
    }
    const char *e = strchr(p, '\n');
    if (!e) break;
    p = e + 1;
  }
  return sk_err_set(err, SK_ENOTFOUND, "checkpoint has no signature by key %s (%s)", key->name, want_id);
}

int ckpt_cosign(const char *text, size_t len, const sign_key *key, char **out, sk_err *err) {
  *out = NULL;
  audit_checkpoint c;
  int rc = ckpt_parse(text, len, &c, err);
  if (rc) return rc;
  if (!key->has_secret) return sk_err_set(err, SK_EINVAL, "cosigning needs the witness's secret key");
  for (size_t i = 0; i < c.nsigs; i++)
    if (!strcmp(c.sig_names[i], key->name)) return sk_err_set(err, SK_EEXIST, "already signed by %s", key->name);
  if (c.nsigs >= CKPT_MAX_SIGS) return sk_err_set(err, SK_ELIMIT, "checkpoint already has %d signatures", CKPT_MAX_SIGS);
  sk_buf b;
  sk_buf_init(&b, CKPT_MAX_BYTES);
  rc = sk_buf_append(&b, text, len);
  if (!rc) rc = sig_line(text, c.body_len, key, &b);
  if (rc) {
    sk_buf_release(&b);
    return sk_err_set(err, rc, "checkpoint too large");
  }
  *out = sk_buf_detach(&b);
  return SK_OK;
}
