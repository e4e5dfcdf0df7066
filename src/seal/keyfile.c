/* keyfile.c: reading and writing key files (see keyfile.h), and the public
 * key object of seal.h. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlog/seal.h>

#include "core/core.h"
#include "seal/b64.h"
#include "seal/keyfile.h"

#define KEYFILE_MAX (64 * 1024)

/* The whole file, NUL-terminated; NULL with errno set. */
static char *slurp(const char *path, size_t *ret_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *buf = malloc(KEYFILE_MAX + 1);
    size_t len = 0;
    int err = buf ? 0 : ENOMEM;
    while (!err) {
        ssize_t n = read(fd, buf + len, KEYFILE_MAX + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            err = errno;
        else if (n == 0)
            break;
        else if ((len += (size_t) n) > KEYFILE_MAX)
            err = EFBIG;
    }
    (void) close(fd);
    if (err) {
        if (buf)
            sodium_memzero(buf, KEYFILE_MAX + 1);
        free(buf);
        errno = err;
        return NULL;
    }
    buf[len] = '\0';
    *ret_len = len;
    return buf;
}

static void wipe_free(char *buf)
{
    if (buf) {
        sodium_memzero(buf, KEYFILE_MAX + 1);
        free(buf);
    }
}

/* Calls fn for each non-comment line; stops at the first non-zero return. */
typedef int (*line_fn)(const char *line, size_t len, int lineno, void *ctx);

static int each_line(char *text, size_t len, line_fn fn, void *ctx)
{
    int lineno = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t l = nl ? (size_t) (nl - (text + i)) : len - i;
        lineno++;
        const char *s = text + i;
        size_t n = l;
        if (n && s[n - 1] == '\r')
            n--;
        if (n && s[0] != '#') {
            int rc = fn(s, n, lineno, ctx);
            if (rc)
                return rc;
        }
        i += l + 1;
    }
    return 0;
}

typedef struct key_ctx {
    const char *tag;
    uint8_t *out;
    size_t n;
    int found;
    char *why;
    size_t why_size;
    const char *path;
} key_ctx;

static int key_line(const char *s, size_t len, int lineno, void *vctx)
{
    key_ctx *c = vctx;
    size_t tl = strlen(c->tag);
    if (len < tl + 3 || memcmp(s, c->tag, tl) != 0 || memcmp(s + tl, " 1 ", 3) != 0) {
        snprintf(c->why, c->why_size, "%s:%d: expected '%s 1 <key>'", c->path, lineno, c->tag);
        return EINVAL;
    }
    if (c->found) {
        snprintf(c->why, c->why_size, "%s:%d: a second key line; a key file holds one key",
                 c->path, lineno);
        return EINVAL;
    }
    long got = nlog__b64_decode(s + tl + 3, len - tl - 3, c->out, c->n);
    if (got != (long) c->n) {
        snprintf(c->why, c->why_size, "%s:%d:%zu: the key is not base64url of %zu bytes",
                 c->path, lineno, tl + 4, c->n);
        return EINVAL;
    }
    c->found = 1;
    return 0;
}

int nlog__seal_keyfile_read(const char *path, const char *tag, uint8_t *out, size_t n, char *why,
                            size_t why_size)
{
    size_t len;
    char *text = slurp(path, &len);
    if (!text) {
        int e = errno;
        snprintf(why, why_size, "cannot read %s: %s", path,
                 e == EFBIG ? "larger than 64 KiB" : strerror(e));
        return e;
    }
    key_ctx c = {tag, out, n, 0, why, why_size, path};
    int rc = each_line(text, len, key_line, &c);
    wipe_free(text);
    if (rc)
        return rc;
    if (!c.found) {
        snprintf(why, why_size, "%s: no '%s' line", path, tag);
        return EINVAL;
    }
    return 0;
}

static int write_file(const char *path, const char *text, size_t len, unsigned mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, (mode_t) mode);
    if (fd < 0)
        return errno;
    int err = 0;
    size_t done = 0;
    while (done < len && !err) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno != EINTR)
            err = errno;
        else if (w > 0)
            done += (size_t) w;
    }
    if (!err && fsync(fd) != 0)
        err = errno;
    if (close(fd) != 0 && !err)
        err = errno;
    if (err)
        (void) unlink(path);
    return err;
}

int nlog__seal_keyfile_write(const char *path, const char *comment, const char *tag,
                             const uint8_t *key, size_t n, unsigned mode)
{
    size_t cap = strlen(comment) + strlen(tag) + NLOG__B64_LEN(n) + 16;
    char *text = malloc(cap);
    if (!text)
        return ENOMEM;
    int l = snprintf(text, cap, "# %s\n%s 1 ", comment, tag);
    size_t len = (size_t) l + nlog__b64_encode(key, n, text + l);
    text[len++] = '\n';
    int err = write_file(path, text, len, mode);
    sodium_memzero(text, cap);
    free(text);
    return err;
}

typedef struct trans_ctx {
    uint8_t *out;
    size_t max, n;
    char *why;
    size_t why_size;
    const char *path;
} trans_ctx;

static int trans_line(const char *s, size_t len, int lineno, void *vctx)
{
    trans_ctx *c = vctx;
    static const char tag[] = "nlog-seal-transition 1 ";
    const size_t item = NLOG__SEAL_TRANS_LEN + NLOG__SEAL_SIG_LEN;
    nlog__seal_trans t;
    if (c->n >= c->max) {
        snprintf(c->why, c->why_size, "%s:%d: more than %zu transitions", c->path, lineno,
                 c->max);
        return EINVAL;
    }
    if (len < sizeof tag - 1 || memcmp(s, tag, sizeof tag - 1) != 0 ||
        nlog__b64_decode(s + sizeof tag - 1, len - (sizeof tag - 1), c->out + c->n * item,
                         item) != (long) item ||
        !nlog__seal_trans_decode(c->out + c->n * item, item, &t)) {
        snprintf(c->why, c->why_size, "%s:%d: expected 'nlog-seal-transition 1 <base64url>'",
                 c->path, lineno);
        return EINVAL;
    }
    c->n++;
    return 0;
}

int nlog__seal_transitions_read(const char *path, uint8_t *out, size_t max, char *why,
                                size_t why_size)
{
    size_t len;
    char *text = slurp(path, &len);
    if (!text) {
        if (errno == ENOENT)
            return 0;
        snprintf(why, why_size, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    trans_ctx c = {out, max, 0, why, why_size, path};
    int rc = each_line(text, len, trans_line, &c);
    wipe_free(text);
    return rc ? -1 : (int) c.n;
}

int nlog__seal_transitions_write(const char *path, const uint8_t *items, size_t n)
{
    const size_t item = NLOG__SEAL_TRANS_LEN + NLOG__SEAL_SIG_LEN;
    size_t cap = 128 + n * (NLOG__B64_LEN(item) + 32);
    char *text = malloc(cap);
    if (!text)
        return ENOMEM;
    size_t len = (size_t) snprintf(text, cap, "# nlog sealing key transitions, oldest first\n");
    for (size_t i = 0; i < n; i++) {
        len += (size_t) snprintf(text + len, cap - len, "nlog-seal-transition 1 ");
        len += nlog__b64_encode(items + i * item, item, text + len);
        text[len++] = '\n';
    }
    int err = write_file(path, text, len, 0644);
    free(text);
    return err;
}

/* ---- the public key object -------------------------------------------------- */

struct nlog_seal_key {
    uint8_t pk[NLOG__SEAL_PK_LEN];
    char id[17];
};

nlog_status nlog_seal_key_load(const char *path, nlog_seal_key **ret_key)
{
    nlog__clear_errmsg();
    if (!path || !ret_key) {
        nlog__set_errmsg("nlog_seal_key_load: path and ret_key must not be NULL");
        return NLOG_EINVAL;
    }
    if (nlog__seal_crypto_init() != 0) {
        nlog__set_errmsg("libsodium cannot be initialised");
        return NLOG_EIO;
    }
    nlog_seal_key *k = calloc(1, sizeof *k);
    if (!k)
        return NLOG_ENOMEM;
    char why[512];
    int err = nlog__seal_keyfile_read(path, "nlog-seal-public-key", k->pk, sizeof k->pk, why,
                                      sizeof why);
    if (err) {
        free(k);
        nlog__set_errmsg("%s", why);
        return err == ENOENT ? NLOG_ENOTFOUND : err == EINVAL ? NLOG_EINVAL : NLOG_EIO;
    }
    nlog__seal_key_id(k->pk, k->id);
    *ret_key = k;
    return NLOG_OK;
}

const char *nlog_seal_key_id(const nlog_seal_key *key)
{
    return key ? key->id : "";
}

void nlog_seal_key_destroy(nlog_seal_key *key)
{
    free(key);
}

const uint8_t *nlog__seal_key_bytes(const nlog_seal_key *key)
{
    return key->pk;
}
