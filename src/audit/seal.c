/* seal.c — per-subject encryption and crypto-shredding. */
#include "audit/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/fs.h"

#define SEAL_KEY_BYTES crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define SEAL_NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
/* Sealed plaintext bound: the whole record is bounded far below this anyway. */
#define SEAL_MAX_PLAIN_BYTES (64u * 1024u)

static int sync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return -1;
  int rc = fsync(fd);
  close(fd);
  return rc;
}

/* Reads a 32-byte key file; SK_ENOTFOUND when absent. */
static int read_key(const char *path, unsigned char key[32], sk_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return sk_err_set(err, SK_ENOTFOUND, "no key %s", path);
    return sk_err_set(err, SK_EIO, "cannot open %s: %s", path, strerror(errno));
  }
  ssize_t n = read(fd, key, 32);
  close(fd);
  if (n != 32) return sk_err_set(err, SK_ECORRUPT, "key file %s is not 32 bytes", path);
  return SK_OK;
}

/* Loads the key at path, or creates it atomically (temp file + link, so a concurrent creator
 * either wins or reads the winner's complete key) and durably (file and directory synced). */
static int load_or_create_key(const char *dir, const char *path, unsigned char key[32], sk_err *err) {
  int rc = read_key(path, key, err);
  if (rc != SK_ENOTFOUND) return rc;
  if ((rc = sk_mkdir_p(dir, err))) return rc;
  char tmp[PATH_MAX];
  if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%lx", path, (long)getpid(), (unsigned long)randombytes_random()) >=
      (int)sizeof tmp)
    return sk_err_set(err, SK_ELIMIT, "key path too long");
  randombytes_buf(key, 32);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return sk_err_set(err, SK_EIO, "cannot create %s: %s", tmp, strerror(errno));
  int ok = write(fd, key, 32) == 32 && fsync(fd) == 0;
  close(fd);
  if (!ok) {
    unlink(tmp);
    return sk_err_set(err, SK_EIO, "cannot write key %s: %s", tmp, strerror(errno));
  }
  if (link(tmp, path) != 0) {
    int e = errno;
    unlink(tmp);
    if (e == EEXIST) return read_key(path, key, err);
    return sk_err_set(err, SK_EIO, "cannot install key %s: %s", path, strerror(e));
  }
  unlink(tmp);
  if (sync_dir(dir) != 0) return sk_err_set(err, SK_EIO, "cannot sync %s: %s", dir, strerror(errno));
  return SK_OK;
}

static int key_paths(const char *dir, const char *tag, char *keys_dir, char *subj_dir, char *path,
                     sk_err *err) {
  if (snprintf(keys_dir, PATH_MAX, "%s/keys", dir) >= PATH_MAX ||
      snprintf(subj_dir, PATH_MAX, "%s/keys/subjects", dir) >= PATH_MAX ||
      (tag && snprintf(path, PATH_MAX, "%s/keys/subjects/%s.key", dir, tag) >= PATH_MAX))
    return sk_err_set(err, SK_ELIMIT, "audit directory path too long");
  return SK_OK;
}

int seal_subject_tag(const char *dir, const char *subject, char tag[SEAL_TAG_HEX], sk_err *err) {
  size_t n = strlen(subject);
  if (n == 0 || n > SEAL_MAX_SUBJECT_BYTES)
    return sk_err_set(err, SK_EINVAL, "subject id must be 1..%d bytes", SEAL_MAX_SUBJECT_BYTES);
  char keys_dir[PATH_MAX], subj_dir[PATH_MAX], path[PATH_MAX];
  int rc = key_paths(dir, NULL, keys_dir, subj_dir, path, err);
  if (rc) return rc;
  if (snprintf(path, sizeof path, "%s/subject-tag.key", keys_dir) >= (int)sizeof path)
    return sk_err_set(err, SK_ELIMIT, "path too long");
  unsigned char key[32], mac[crypto_auth_hmacsha256_BYTES];
  if ((rc = load_or_create_key(keys_dir, path, key, err))) return rc;
  crypto_auth_hmacsha256(mac, (const unsigned char *)subject, n, key);
  sodium_memzero(key, sizeof key);
  sodium_bin2hex(tag, SEAL_TAG_HEX, mac, sizeof mac);
  return SK_OK;
}

int seal_personal(const char *dir, const char *subject, json_t *personal, json_t **sealed, sk_err *err) {
  *sealed = NULL;
  char tag[SEAL_TAG_HEX], keys_dir[PATH_MAX], subj_dir[PATH_MAX], path[PATH_MAX];
  int rc = seal_subject_tag(dir, subject, tag, err);
  if (rc || (rc = key_paths(dir, tag, keys_dir, subj_dir, path, err))) return rc;
  unsigned char key[SEAL_KEY_BYTES], nonce[SEAL_NONCE_BYTES];
  if ((rc = load_or_create_key(subj_dir, path, key, err))) return rc;
  char *pt = json_dumps(personal, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
  if (!pt) return sk_err_set(err, SK_ENOMEM, "out of memory");
  size_t pt_len = strlen(pt);
  if (pt_len > SEAL_MAX_PLAIN_BYTES) {
    free(pt);
    return sk_err_set(err, SK_ELIMIT, "personal data is %zu bytes; limit %u", pt_len, SEAL_MAX_PLAIN_BYTES);
  }
  size_t ct_len = pt_len + crypto_aead_xchacha20poly1305_ietf_ABYTES;
  unsigned char *ct = sk_malloc(ct_len);
  size_t b64_len = sodium_base64_ENCODED_LEN(ct_len, sodium_base64_VARIANT_ORIGINAL);
  char *b64 = sk_malloc(b64_len);
  if (!ct || !b64) {
    free(pt);
    sk_free(ct);
    sk_free(b64);
    return sk_err_set(err, SK_ENOMEM, "out of memory");
  }
  randombytes_buf(nonce, sizeof nonce);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &clen, (unsigned char *)pt, pt_len, (unsigned char *)tag,
                                             64, NULL, nonce, key);
  sodium_memzero(pt, pt_len);
  free(pt);
  sodium_memzero(key, sizeof key);
  char nonce_b64[sodium_base64_ENCODED_LEN(SEAL_NONCE_BYTES, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(nonce_b64, sizeof nonce_b64, nonce, sizeof nonce, sodium_base64_VARIANT_ORIGINAL);
  sodium_bin2base64(b64, b64_len, ct, (size_t)clen, sodium_base64_VARIANT_ORIGINAL);
  *sealed = json_pack("{s:s,s:s,s:s,s:s}", "alg", "xchacha20poly1305", "subject_tag", tag, "nonce",
                      nonce_b64, "ct", b64);
  sk_free(ct);
  sk_free(b64);
  if (!*sealed) return sk_err_set(err, SK_ENOMEM, "out of memory");
  return SK_OK;
}

int seal_open(const char *dir, json_t *sealed, json_t **personal, sk_err *err) {
  *personal = NULL;
  const char *tag = NULL, *nonce_b64 = NULL, *ct_b64 = NULL;
  if (!json_is_object(sealed) ||
      json_unpack(sealed, "{s:s,s:s,s:s}", "subject_tag", &tag, "nonce", &nonce_b64, "ct", &ct_b64) != 0 ||
      strlen(tag) != 64 || strspn(tag, "0123456789abcdef") != 64)
    return sk_err_set(err, SK_EFORMAT, "malformed \"sealed\" object");
  char keys_dir[PATH_MAX], subj_dir[PATH_MAX], path[PATH_MAX];
  int rc = key_paths(dir, tag, keys_dir, subj_dir, path, err);
  if (rc) return rc;
  unsigned char key[SEAL_KEY_BYTES], nonce[SEAL_NONCE_BYTES];
  if ((rc = read_key(path, key, err))) {
    if (rc == SK_ENOTFOUND) sk_err_set(err, SK_ENOTFOUND, "subject key shredded (data erased)");
    return rc;
  }
  size_t ct_cap = strlen(ct_b64), ct_len = 0, nlen = 0;
  unsigned char *ct = sk_malloc(ct_cap + 1), *pt = sk_malloc(ct_cap + 1);
  if (!ct || !pt) {
    sk_free(ct);
    sk_free(pt);
    return sk_err_set(err, SK_ENOMEM, "out of memory");
  }
  unsigned long long plen = 0;
  if (sodium_base642bin(nonce, sizeof nonce, nonce_b64, strlen(nonce_b64), NULL, &nlen, NULL,
                        sodium_base64_VARIANT_ORIGINAL) != 0 || nlen != sizeof nonce ||
      sodium_base642bin(ct, ct_cap, ct_b64, ct_cap, NULL, &ct_len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &plen, NULL, ct, ct_len, (unsigned char *)tag, 64, nonce,
                                                 key) != 0) {
    rc = sk_err_set(err, SK_ECORRUPT, "sealed personal data fails authentication");
  } else {
    json_error_t je;
    *personal = json_loadb((char *)pt, (size_t)plen, JSON_DECODE_ANY, &je);
    if (!*personal) rc = sk_err_set(err, SK_ECORRUPT, "sealed personal data is not JSON");
    sodium_memzero(pt, (size_t)plen);
  }
  sodium_memzero(key, sizeof key);
  sk_free(ct);
  sk_free(pt);
  return rc;
}

int seal_shred(const char *dir, const char *subject, sk_err *err) {
  char tag[SEAL_TAG_HEX], keys_dir[PATH_MAX], subj_dir[PATH_MAX], path[PATH_MAX];
  int rc = seal_subject_tag(dir, subject, tag, err);
  if (rc || (rc = key_paths(dir, tag, keys_dir, subj_dir, path, err))) return rc;
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return sk_err_set(err, SK_ENOTFOUND, "no key for this subject (already shredded?)");
    return sk_err_set(err, SK_EIO, "cannot open %s: %s", path, strerror(errno));
  }
  static const unsigned char zeros[32];
  int ok = write(fd, zeros, sizeof zeros) == (ssize_t)sizeof zeros && fsync(fd) == 0;
  close(fd);
  if (!ok || unlink(path) != 0 || sync_dir(subj_dir) != 0)
    return sk_err_set(err, SK_EIO, "cannot shred %s: %s", path, strerror(errno));
  return SK_OK;
}
