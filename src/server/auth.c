/* auth.c: API keys (see auth.h). The keyset is a small array read under a
 * read lock; a check hashes the presented key once and compares the digest
 * with every stored digest (sodium_memcmp: constant time per comparison).
 * Changes (nlogd_keys_add/remove) rewrite the whole file and swap the array
 * under the write lock, so readers never see a half-written set.
 * Tested by: tests/unit/server/test_server_auth.c, tests/fuzz/fuzz_auth.c */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "server/auth.h"

/* BLAKE2b key: domain separation, so the digest of a key here is never
 * the digest some other system computes of the same bytes. Public by design. */
static const unsigned char domain[16] = "nlogd-api-key-v1";

static int fail(char *why, size_t why_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t why_size, const char *fmt, ...)
{
    if (why && why_size) {
        va_list ap;
        va_start(ap, fmt);
        (void) vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int nlogd_key_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > NLOGD_KEY_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '@'))
            return 0;
    }
    return 1;
}

int nlogd_auth_key_syntax_ok(const char *s, size_t len)
{
    if (len < NLOGD_KEY_MIN || len > NLOGD_KEY_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '='))
            return 0;
    }
    return 1;
}

void nlogd_key_digest(const char *key, size_t len, unsigned char out[NLOGD_KEY_DIGEST])
{
    crypto_generichash(out, NLOGD_KEY_DIGEST, (const unsigned char *) key, len, domain,
                       sizeof domain);
}

void nlogd_key_digest_text(const unsigned char d[NLOGD_KEY_DIGEST], char *out, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    if (size < 8 + 2 * NLOGD_KEY_DIGEST + 1) {
        if (size)
            out[0] = '\0';
        return;
    }
    memcpy(out, "blake2b:", 8);
    for (size_t i = 0; i < NLOGD_KEY_DIGEST; i++) {
        out[8 + 2 * i] = hex[d[i] >> 4];
        out[9 + 2 * i] = hex[d[i] & 15];
    }
    out[8 + 2 * NLOGD_KEY_DIGEST] = '\0';
}

void nlogd_key_generate(char out[NLOGD_KEY_NEW_LEN + 1])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    memcpy(out, "nlk_", 4);
    sodium_bin2base64(out + 4, NLOGD_KEY_NEW_LEN + 1 - 4, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One field of a line: skips blanks, returns its start and length. */
static const char *field(const char **p, const char *end, size_t *len)
{
    const char *s = *p;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    const char *e = s;
    while (e < end && *e != ' ' && *e != '\t')
        e++;
    *p = e;
    *len = (size_t) (e - s);
    return s;
}

int nlogd_keys_parse(const char *text, size_t len, nlogd_key **ret_keys, size_t *ret_n,
                     char *why, size_t why_size)
{
    *ret_keys = NULL;
    *ret_n = 0;
    if (len > NLOGD_KEYS_FILE_MAX)
        return fail(why, why_size, "%zu bytes; accepted: at most %u bytes", len,
                    NLOGD_KEYS_FILE_MAX);
    nlogd_key *keys = NULL;
    size_t n = 0, cap = 0, line = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        line++;
        const char *nl = memchr(p, '\n', (size_t) (end - p));
        const char *le = nl ? nl : end;
        const char *next = nl ? nl + 1 : end;
        if (le > p && le[-1] == '\r')
            le--;
        if ((size_t) (le - p) > NLOGD_KEYS_LINE_MAX) {
            free(keys);
            return fail(why, why_size, "line %zu: longer than %d bytes; accepted: NAME ROLE HASH",
                        line, NLOGD_KEYS_LINE_MAX);
        }
        const char *q = p;
        size_t l1, l2, l3, l4;
        const char *f1 = field(&q, le, &l1);
        if (l1 == 0 || f1[0] == '#') {
            p = next;
            continue;
        }
        const char *f2 = field(&q, le, &l2);
        const char *f3 = field(&q, le, &l3);
        (void) field(&q, le, &l4);
        for (const char *c = p; c < le; c++)
            if ((unsigned char) *c < 0x20 && *c != '\t') {
                free(keys);
                return fail(why, why_size, "line %zu: a control character; accepted: NAME ROLE "
                            "HASH separated by spaces", line);
            }
        if (l2 == 0 || l3 == 0 || l4 != 0) {
            free(keys);
            return fail(why, why_size, "line %zu: %s; accepted: three fields, NAME ROLE HASH",
                        line, l4 ? "more than three fields" : "fewer than three fields");
        }
        if (!nlogd_key_name_ok(f1, l1)) {
            free(keys);
            return fail(why, why_size, "line %zu: invalid key name; accepted: %s", line,
                        NLOGD_KEY_NAME_ACCEPTED);
        }
        nlogd_role role = nlogd_role_parse(f2, l2);
        if (role == NLOGD_ROLE_NONE) {
            free(keys);
            return fail(why, why_size, "line %zu: unknown role '%.*s'; accepted: %s", line,
                        (int) (l2 > 16 ? 16 : l2), f2, NLOGD_ROLES_ACCEPTED);
        }
        if (l3 != 8 + 2 * NLOGD_KEY_DIGEST || memcmp(f3, "blake2b:", 8) != 0) {
            free(keys);
            return fail(why, why_size, "line %zu: the hash is not blake2b:<64 hex digits> (a key "
                        "itself never goes in this file; `nlogd --add-key NAME:ROLE` writes the "
                        "line)", line);
        }
        unsigned char d[NLOGD_KEY_DIGEST];
        for (size_t i = 0; i < NLOGD_KEY_DIGEST; i++) {
            int hi = hexval(f3[8 + 2 * i]), lo = hexval(f3[9 + 2 * i]);
            if (hi < 0 || lo < 0) {
                free(keys);
                return fail(why, why_size, "line %zu: the hash holds a character that is not a "
                            "hex digit; accepted: blake2b:<64 hex digits>", line);
            }
            d[i] = (unsigned char) (hi << 4 | lo);
        }
        for (size_t i = 0; i < n; i++)
            if (strlen(keys[i].name) == l1 && memcmp(keys[i].name, f1, l1) == 0) {
                free(keys);
                return fail(why, why_size, "line %zu: the name '%.*s' is used twice; accepted: "
                            "unique names", line, (int) l1, f1);
            }
        if (n == NLOGD_KEYS_MAX) {
            free(keys);
            return fail(why, why_size, "line %zu: more than %d keys", line, NLOGD_KEYS_MAX);
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            nlogd_key *k = realloc(keys, cap * sizeof *k);
            if (!k) {
                free(keys);
                return fail(why, why_size, "out of memory");
            }
            keys = k;
        }
        memset(&keys[n], 0, sizeof keys[n]);
        memcpy(keys[n].name, f1, l1);
        keys[n].role = role;
        memcpy(keys[n].digest, d, sizeof d);
        n++;
        p = next;
    }
    *ret_keys = keys;
    *ret_n = n;
    return 0;
}

static int read_file(const char *path, char **ret, size_t *ret_len, char *why, size_t why_size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(why, why_size, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(why, why_size, "%s: not a regular file", path);
    }
    if (st.st_size > (off_t) NLOGD_KEYS_FILE_MAX) {
        close(fd);
        return fail(why, why_size, "%s: %lld bytes; accepted: at most %u bytes", path,
                    (long long) st.st_size, NLOGD_KEYS_FILE_MAX);
    }
    char *buf = malloc((size_t) st.st_size + 1);
    size_t got = 0;
    while (buf && got < (size_t) st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t) st.st_size - got);
        if (r <= 0)
            break;
        got += (size_t) r;
    }
    close(fd);
    if (!buf)
        return fail(why, why_size, "%s: out of memory", path);
    buf[got] = '\0';
    *ret = buf;
    *ret_len = got;
    return 0;
}

int nlogd_keys_load(nlogd_keyset *ks, const char *path, char *why, size_t why_size)
{
    memset(ks, 0, sizeof *ks);
    pthread_rwlock_init(&ks->lock, NULL);
    if (!path || !path[0])
        return 0;
    snprintf(ks->path, sizeof ks->path, "%s", path);
    char *text = NULL;
    size_t len = 0;
    if (read_file(path, &text, &len, why, why_size) != 0)
        return -1;
    char w[512];
    int rc = nlogd_keys_parse(text, len, &ks->keys, &ks->n, w, sizeof w);
    free(text);
    if (rc != 0)
        return fail(why, why_size, "%s: %s", path, w);
    return 0;
}

void nlogd_keys_free(nlogd_keyset *ks)
{
    if (!ks)
        return;
    if (ks->keys)
        sodium_memzero(ks->keys, ks->n * sizeof *ks->keys);
    free(ks->keys);
    ks->keys = NULL;
    ks->n = 0;
    pthread_rwlock_destroy(&ks->lock);
}

int nlogd_keys_enabled(nlogd_keyset *ks)
{
    return ks->path[0] != '\0';
}

nlogd_role nlogd_keys_check(nlogd_keyset *ks, const char *key, size_t len, char *name,
                            size_t name_size)
{
    unsigned char d[NLOGD_KEY_DIGEST];
    nlogd_role role = NLOGD_ROLE_NONE;
    if (!nlogd_auth_key_syntax_ok(key, len))
        return NLOGD_ROLE_NONE;
    nlogd_key_digest(key, len, d);
    pthread_rwlock_rdlock(&ks->lock);
    size_t hit = (size_t) -1;
    for (size_t i = 0; i < ks->n; i++)
        if (sodium_memcmp(ks->keys[i].digest, d, sizeof d) == 0)
            hit = i; /* no early exit: every digest is compared */
    if (hit != (size_t) -1) {
        role = ks->keys[hit].role;
        if (name && name_size)
            snprintf(name, name_size, "%s", ks->keys[hit].name);
    }
    pthread_rwlock_unlock(&ks->lock);
    sodium_memzero(d, sizeof d);
    return role;
}

static void format_line(char *out, size_t size, const char *name, nlogd_role role,
                        const unsigned char digest[NLOGD_KEY_DIGEST])
{
    char h[8 + 2 * NLOGD_KEY_DIGEST + 1];
    nlogd_key_digest_text(digest, h, sizeof h);
    snprintf(out, size, "%s %s %s\n", name, nlogd_role_name(role), h);
}

/* Writes keys[0..n) to path atomically. */
static int write_keys(const char *path, const nlogd_key *keys, size_t n, char *why,
                      size_t why_size)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail(why, why_size, "%s: cannot write: %s", tmp, strerror(errno));
    int ok = 1;
    const char head[] = "# nlogd API keys: NAME ROLE HASH (written by nlogd; keys are never "
                        "stored, only their BLAKE2b digests)\n";
    ok = write(fd, head, sizeof head - 1) == (ssize_t) (sizeof head - 1);
    for (size_t i = 0; ok && i < n; i++) {
        char line[NLOGD_KEYS_LINE_MAX];
        format_line(line, sizeof line, keys[i].name, keys[i].role, keys[i].digest);
        size_t l = strlen(line);
        ok = write(fd, line, l) == (ssize_t) l;
    }
    if (ok)
        ok = fsync(fd) == 0;
    int err = errno;
    if (close(fd) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        err = ok ? errno : err;
        (void) unlink(tmp);
        return fail(why, why_size, "%s: cannot write: %s", path, strerror(err));
    }
    return 0;
}

int nlogd_keys_add(nlogd_keyset *ks, const char *name, nlogd_role role,
                   const unsigned char digest[NLOGD_KEY_DIGEST], char *why, size_t why_size)
{
    if (!ks->path[0])
        return fail(why, why_size, "no key file is configured (server.api_keys_file)");
    if (!nlogd_key_name_ok(name, strlen(name)))
        return fail(why, why_size, "invalid key name; accepted: %s", NLOGD_KEY_NAME_ACCEPTED);
    pthread_rwlock_wrlock(&ks->lock);
    int rc = 0;
    for (size_t i = 0; i < ks->n && rc == 0; i++)
        if (strcmp(ks->keys[i].name, name) == 0)
            rc = fail(why, why_size, "a key named '%s' exists already; accepted: a new name",
                      name);
    if (rc == 0 && ks->n >= NLOGD_KEYS_MAX)
        rc = fail(why, why_size, "%d keys exist already, the most a key file holds",
                  NLOGD_KEYS_MAX);
    nlogd_key *nk = rc == 0 ? malloc((ks->n + 1) * sizeof *nk) : NULL;
    if (rc == 0 && !nk)
        rc = fail(why, why_size, "out of memory");
    if (rc == 0) {
        if (ks->n)
            memcpy(nk, ks->keys, ks->n * sizeof *nk);
        memset(&nk[ks->n], 0, sizeof nk[ks->n]);
        snprintf(nk[ks->n].name, sizeof nk[ks->n].name, "%s", name);
        nk[ks->n].role = role;
        memcpy(nk[ks->n].digest, digest, NLOGD_KEY_DIGEST);
        rc = write_keys(ks->path, nk, ks->n + 1, why, why_size);
        if (rc == 0) {
            free(ks->keys);
            ks->keys = nk;
            ks->n++;
            nk = NULL;
        }
    }
    free(nk);
    pthread_rwlock_unlock(&ks->lock);
    return rc;
}

int nlogd_keys_remove(nlogd_keyset *ks, const char *name, char *why, size_t why_size)
{
    if (!ks->path[0])
        return fail(why, why_size, "no key file is configured (server.api_keys_file)");
    pthread_rwlock_wrlock(&ks->lock);
    size_t at = ks->n;
    for (size_t i = 0; i < ks->n; i++)
        if (strcmp(ks->keys[i].name, name) == 0)
            at = i;
    int rc = 0;
    if (at == ks->n)
        rc = fail(why, why_size, "no key is named '%.64s'", name);
    nlogd_key *nk = NULL;
    if (rc == 0) {
        nk = malloc((ks->n > 1 ? ks->n - 1 : 1) * sizeof *nk);
        if (!nk)
            rc = fail(why, why_size, "out of memory");
    }
    if (rc == 0) {
        size_t m = 0;
        for (size_t i = 0; i < ks->n; i++)
            if (i != at)
                nk[m++] = ks->keys[i];
        rc = write_keys(ks->path, nk, m, why, why_size);
        if (rc == 0) {
            sodium_memzero(ks->keys, ks->n * sizeof *ks->keys);
            free(ks->keys);
            ks->keys = nk;
            ks->n = m;
            nk = NULL;
        }
    }
    free(nk);
    pthread_rwlock_unlock(&ks->lock);
    return rc;
}

int nlogd_keys_append_file(const char *path, const char *name, nlogd_role role,
                           const unsigned char digest[NLOGD_KEY_DIGEST], char *why,
                           size_t why_size)
{
    nlogd_keyset ks;
    char w[600];
    struct stat st;
    if (stat(path, &st) != 0) {
        /* a new file: empty key set */
        memset(&ks, 0, sizeof ks);
        pthread_rwlock_init(&ks.lock, NULL);
        snprintf(ks.path, sizeof ks.path, "%s", path);
    } else if (nlogd_keys_load(&ks, path, w, sizeof w) != 0) {
        nlogd_keys_free(&ks);
        return fail(why, why_size, "%s", w);
    }
    int rc = nlogd_keys_add(&ks, name, role, digest, why, why_size);
    nlogd_keys_free(&ks);
    return rc;
}

int nlogd_auth_parse_bearer(const char *header, char *key, size_t key_size, size_t *ret_len,
                            char *why, size_t why_size)
{
    *ret_len = 0;
    if (key_size)
        key[0] = '\0';
    if (!header)
        return 0;
    const char *p = header;
    while (*p == ' ' || *p == '\t')
        p++;
    static const char scheme[] = "bearer";
    for (size_t i = 0; i < 6; i++) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char) (c + 32);
        if (c != scheme[i])
            return fail(why, why_size, "Authorization: the scheme is not Bearer; accepted: "
                        "Authorization: Bearer KEY");
    }
    p += 6;
    if (*p != ' ' && *p != '\t')
        return fail(why, why_size, "Authorization: no key after Bearer; accepted: "
                    "Authorization: Bearer KEY");
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = 0;
    while (p[n] && p[n] != ' ' && p[n] != '\t' && n <= NLOGD_KEY_MAX)
        n++;
    const char *rest = p + n;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    if (n == 0 || *rest || !nlogd_auth_key_syntax_ok(p, n) || n + 1 > key_size)
        return fail(why, why_size, "Authorization: the key is not well-formed; accepted: %d to "
                    "%d of A-Z a-z 0-9 - . _ ~ + / =", NLOGD_KEY_MIN, NLOGD_KEY_MAX);
    memcpy(key, p, n);
    key[n] = '\0';
    *ret_len = n;
    return 1;
}

int nlogd_key_request_parse(const char *body, size_t len, char name[NLOGD_KEY_NAME_MAX + 1],
                            nlogd_role *ret_role, nlogd_err *e)
{
    name[0] = '\0';
    *ret_role = NLOGD_ROLE_NONE;
    if (len > 4096)
        return nlogd_fail(e, 413, "payload_too_large", "body",
                          "body: %zu bytes; accepted: at most 4096 bytes", len);
    json_tokener *tok = json_tokener_new_ex(4);
    if (!tok)
        return nlogd_fail(e, 503, "internal", "", "out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = json_tokener_parse_ex(tok, body, (int) len);
    int ok = o && json_tokener_get_error(tok) == json_tokener_success &&
             json_tokener_get_parse_end(tok) == len && json_object_is_type(o, json_type_object);
    json_tokener_free(tok);
    int rc = 0;
    if (!ok) {
        rc = nlogd_fail(e, 400, "malformed_body", "body",
                        "body: not one JSON object; accepted: {\"name\":\"NAME\",\"role\":\"ROLE\"}");
        goto out;
    }
    json_object_object_foreach(o, bk, bv)
    {
        (void) bv;
        if (strcmp(bk, "name") != 0 && strcmp(bk, "role") != 0) {
            char q[128];
            nlogd_quote(q, sizeof q, bk, strlen(bk));
            rc = nlogd_fail(e, 400, "unknown_parameter", bk,
                            "unknown member %s; accepted: name, role", q);
            goto out;
        }
    }
    json_object *n, *r;
    if (!json_object_object_get_ex(o, "name", &n) || !json_object_is_type(n, json_type_string) ||
        !nlogd_key_name_ok(json_object_get_string(n), (size_t) json_object_get_string_len(n))) {
        rc = nlogd_fail(e, 400, "invalid_parameter", "name",
                        "name: missing or invalid; accepted: %s", NLOGD_KEY_NAME_ACCEPTED);
        goto out;
    }
    if (!json_object_object_get_ex(o, "role", &r) || !json_object_is_type(r, json_type_string) ||
        (*ret_role = nlogd_role_parse(json_object_get_string(r),
                                      (size_t) json_object_get_string_len(r))) ==
            NLOGD_ROLE_NONE) {
        rc = nlogd_fail(e, 400, "invalid_parameter", "role",
                        "role: missing or unknown; accepted: " NLOGD_ROLES_ACCEPTED);
        goto out;
    }
    snprintf(name, NLOGD_KEY_NAME_MAX + 1, "%s", json_object_get_string(n));
out:
    json_object_put(o);
    return rc;
}
