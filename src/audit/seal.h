/* seal.h — erasable personal data: per-subject keys and crypto-shredding.
 *
 * A record's "personal" value is encrypted (XChaCha20-Poly1305, libsodium) under a key that
 * belongs to its data subject alone; the record keeps only the ciphertext and a keyed tag of the
 * subject id (HMAC-SHA-256 under the log's tag key, so ids are not guessable from the log).
 * The Merkle leaf covers the ciphertext, so deleting the subject's key ("shredding", APPI
 * erasure / GDPR art. 17) makes the data unreadable while every proof and checkpoint still holds.
 *
 * Keys live in DIR/keys/subject-tag.key and DIR/keys/subjects/<tag>.key (mode 0600). */
#ifndef SK_AUDIT_SEAL_H
#define SK_AUDIT_SEAL_H

#include <jansson.h>

#include "base/err.h"

#define SEAL_TAG_HEX 65 /* 64 hex digits + NUL */
/* A subject id is an identifier, not a document. */
#define SEAL_MAX_SUBJECT_BYTES 256

/* Tag of a subject id (creates the log's tag key on first use). */
int seal_subject_tag(const char *dir, const char *subject, char tag[SEAL_TAG_HEX], sk_err *err);

/* Encrypts `personal` for subject (creating the subject's key durably if absent) and returns a
 * new JSON object {"alg","ct","nonce","subject_tag"} owned by the caller (json_decref). */
int seal_personal(const char *dir, const char *subject, json_t *personal, json_t **sealed, sk_err *err);

/* Decrypts a "sealed" object. SK_ENOTFOUND when the subject's key was shredded; SK_ECORRUPT
 * when the ciphertext fails authentication. *personal is a new reference (json_decref). */
int seal_open(const char *dir, json_t *sealed, json_t **personal, sk_err *err);

/* Destroys the subject's key (overwrite, unlink, sync the directory). SK_ENOTFOUND if none. */
int seal_shred(const char *dir, const char *subject, sk_err *err);

#endif
