/* auth.h: API keys — the key file, how keys are hashed and checked, and how
 * a caller presents one.
 *
 * Key file (server.api_keys_file): UTF-8 text, one key per line,
 *
 *     # NAME ROLE HASH
 *     shop-frontend ingest blake2b:3f1c...64 hex digits
 *
 * NAME is 1..64 of A-Z a-z 0-9 . _ - @ (the caller's identity in audit
 * records and security events), ROLE one of roles.h, HASH the key's digest.
 * Blank lines and lines starting with '#' are skipped. At most 1 MiB, 1024
 * keys, 512 bytes per line; names are unique.
 *
 * Hash: BLAKE2b-256 of the key, keyed with a fixed 16-byte domain string
 * (crypto_generichash). Keys are 32 random bytes (256 bits) made by nlogd,
 * so a fast hash is enough: nobody can search a 2^256 space, while a
 * password hash (Argon2, crypto_pwhash) would cost tens of milliseconds and
 * megabytes per request, an easy denial of service. The file never holds a
 * key, and no message or log line ever shows one.
 *
 * A caller presents a key as "Authorization: Bearer KEY"; the live stream
 * also takes ?api_key=KEY or a first message {"type":"auth","api_key":KEY}
 * (browsers cannot set headers on a WebSocket).
 *
 * Thread-safety: a keyset is read by any number of threads while one
 * thread changes it (nlogd_keys_* take the keyset's lock). */
#ifndef NLOGD_AUTH_H
#define NLOGD_AUTH_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "server/error.h"
#include "server/roles.h"

#define NLOGD_KEY_NAME_MAX 64      /* bytes of a key's name */
#define NLOGD_KEY_MAX 256          /* bytes of a presented key */
#define NLOGD_KEY_MIN 16           /* bytes of a presented key, at least */
#define NLOGD_KEYS_MAX 1024        /* keys in one file */
#define NLOGD_KEYS_FILE_MAX (1u << 20)
#define NLOGD_KEYS_LINE_MAX 512
#define NLOGD_KEY_DIGEST 32
#define NLOGD_KEY_NEW_LEN 47       /* "nlk_" + 43 base64url characters, without the NUL */
#define NLOGD_KEY_NAME_ACCEPTED "1 to 64 of A-Z a-z 0-9 . _ - @"

typedef struct nlogd_key {
    char name[NLOGD_KEY_NAME_MAX + 1];
    nlogd_role role;
    unsigned char digest[NLOGD_KEY_DIGEST];
} nlogd_key;

typedef struct nlogd_keyset {
    pthread_rwlock_t lock;
    nlogd_key *keys;           /* n of them, malloc'd */
    size_t n;
    char path[1024];           /* "" = no file: no keys, open access */
} nlogd_keyset;

/* Parses a key file's text into keys[] (malloc'd, *ret_n of them). On a
 * problem returns -1 and writes "line N: what; accepted: ..." into why.
 * This is the parser tests/fuzz/fuzz_auth.c fuzzes. */
int nlogd_keys_parse(const char *text, size_t len, nlogd_key **ret_keys, size_t *ret_n,
                     char *why, size_t why_size);

/* Loads `path` ("" = no keys) into ks (initialised here). Returns 0, or -1
 * with "PATH: line N: ..." in why. */
int nlogd_keys_load(nlogd_keyset *ks, const char *path, char *why, size_t why_size);
void nlogd_keys_free(nlogd_keyset *ks);
/* Whether any key is configured. */
int nlogd_keys_enabled(nlogd_keyset *ks);

/* Checks a presented key. Returns the role (and copies the key's name into
 * name) or NLOGD_ROLE_NONE. Compares against every key in constant time per
 * key, so timing tells nothing about which digest came close. */
nlogd_role nlogd_keys_check(nlogd_keyset *ks, const char *key, size_t len, char *name,
                            size_t name_size);

/* Makes a new random key (NLOGD_KEY_NEW_LEN characters + NUL into out). */
void nlogd_key_generate(char out[NLOGD_KEY_NEW_LEN + 1]);
/* The digest of a key, and its text form "blake2b:<64 hex>" (out of at
 * least 8 + 64 + 1 bytes). */
void nlogd_key_digest(const char *key, size_t len, unsigned char out[NLOGD_KEY_DIGEST]);
void nlogd_key_digest_text(const unsigned char d[NLOGD_KEY_DIGEST], char *out, size_t size);
/* Whether name[0..len) is a valid key name. */
int nlogd_key_name_ok(const char *name, size_t len);

/* Adds a key (its digest) or removes one by name, and rewrites the key
 * file atomically (temporary file, fsync, rename; mode 0600). Return 0, or
 * -1 with why (and the keyset unchanged): a name in use / not found, the
 * file cannot be written, no key file configured. */
int nlogd_keys_add(nlogd_keyset *ks, const char *name, nlogd_role role,
                   const unsigned char digest[NLOGD_KEY_DIGEST], char *why, size_t why_size);
int nlogd_keys_remove(nlogd_keyset *ks, const char *name, char *why, size_t why_size);
/* Appends "NAME ROLE blake2b:..." to a key file (created 0600 if missing):
 * what `nlogd --add-key` does before nlogd runs. */
int nlogd_keys_append_file(const char *path, const char *name, nlogd_role role,
                           const unsigned char digest[NLOGD_KEY_DIGEST], char *why,
                           size_t why_size);

/* Credentials in a request. Each returns 1 with the key copied into key
 * (NUL-terminated, *ret_len bytes), 0 when there is none, -1 when what was
 * sent is malformed (why says how; the key is never quoted back).
 *   header: the Authorization header's value ("Bearer KEY", scheme in any
 *           case), NULL when absent;
 * These are what tests/fuzz/fuzz_auth.c fuzzes. */
int nlogd_auth_parse_bearer(const char *header, char *key, size_t key_size, size_t *ret_len,
                            char *why, size_t why_size);
/* Whether s[0..len) looks like a key: NLOGD_KEY_MIN..NLOGD_KEY_MAX bytes of
 * A-Z a-z 0-9 - . _ ~ + / =. */
int nlogd_auth_key_syntax_ok(const char *s, size_t len);

/* The body of POST /api/v2/keys: {"name": NAME, "role": ROLE}, at most 4 KiB.
 * Returns 0, or -1 with e (400, the member named). Fuzzed with the rest. */
int nlogd_key_request_parse(const char *body, size_t len, char name[NLOGD_KEY_NAME_MAX + 1],
                            nlogd_role *ret_role, nlogd_err *e);

#endif
