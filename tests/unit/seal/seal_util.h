/* seal_util.h: helpers of the sealing tests: keys made with the real keygen
 * and installed where the writer looks for them, a sealed configuration,
 * reading and editing log lines the way an attacker would, and running the
 * real verifier. Header-only (static functions); not a test of its own. */
#ifndef TEST_SEAL_UTIL_H
#define TEST_SEAL_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static const int64_t SU_SEC = 1000000000LL;

typedef struct su_env {
    char base[4096]; /* scratch */
    char dir[4200];  /* the log directory */
    char keys[4200]; /* nlog keygen --sealing output */
    char pub[4300];  /* keys/seal.pub */
} su_env;

static inline void su_copy_file(const char *src, const char *dst)
{
    size_t len;
    char *data = tu_read_file(src, &len);
    if (!data)
        fail_msg("cannot read %s: %s", src, strerror(errno));
    FILE *f = fopen(dst, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(dst, 0600), 0);
    free(data);
}

/* Keys in <scratch>/keys; host states installed in <scratch>/logs/.seal. */
static inline void su_env_init(su_env *e, const char *name)
{
    snprintf(e->base, sizeof e->base, "%s", tu_scratch(name));
    snprintf(e->dir, sizeof e->dir, "%s/logs", e->base);
    snprintf(e->keys, sizeof e->keys, "%s/keys", e->base);
    snprintf(e->pub, sizeof e->pub, "%s/seal.pub", e->keys);
    if (nlog_seal_keygen(e->keys, NULL, 0, NULL) != NLOG_OK)
        fail_msg("keygen: %s", nlog_errmsg());
    char p[8192], q[8192];
    snprintf(p, sizeof p, "%s/.seal", e->dir);
    assert_int_equal(mkdir(e->dir, 0750), 0);
    assert_int_equal(mkdir(p, 0700), 0);
    static const char *const names[] = {"netlink.log", "security.log", "audit.log"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/host/%s.seal", e->keys, names[i]);
        snprintf(q, sizeof q, "%s/.seal/%s.seal", e->dir, names[i]);
        su_copy_file(p, q);
    }
}

/* A sealed configuration of netlink.log in e->dir: `records` per checkpoint,
 * then pairs of key, value (NULL-terminated) through nlog_config_set. */
static inline void su_init(const su_env *e, int records, ...)
{
    nlog_config cfg;
    tu_config(&cfg, e->dir);
    cfg.seal = 1;
    cfg.seal_checkpoint_records = records;
    cfg.compression_enabled = 0;
    va_list ap;
    va_start(ap, records);
    const char *k;
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *val = va_arg(ap, const char *);
        nlog_error err;
        if (nlog_config_set(&cfg, k, val, &err) != NLOG_OK)
            fail_msg("%s", err.message);
    }
    va_end(ap);
    if (nlog_init(&cfg) != NLOG_OK)
        fail_msg("nlog_init: %s", nlog_errmsg());
}

/* Records from..to (inclusive) with about 220-byte lines before sealing. */
static inline void su_records(int from, int to)
{
    nlog_logger *lg = nlog_get_logger("seal.test");
    for (int i = from; i <= to; i++)
        NLOG_INFO(lg, "sealed record", NLOG_CTX("n", (int64_t) i),
                  NLOG_META("pad", "abcdefghijklmnopqrstuvwxyz0123"));
}

/* ---- lines ----------------------------------------------------------------------- */

typedef struct su_lines {
    char **l;    /* each line, NUL-terminated, without '\n' */
    size_t n;
    int partial; /* the file did not end with '\n' */
} su_lines;

static inline su_lines su_read(const char *path)
{
    size_t len;
    char *t = tu_read_file(path, &len);
    if (!t)
        fail_msg("cannot read %s", path);
    su_lines L = {NULL, 0, 0};
    size_t cap = 64;
    L.l = calloc(cap, sizeof *L.l);
    assert_non_null(L.l);
    size_t i = 0;
    while (i < len) {
        char *nl = memchr(t + i, '\n', len - i);
        size_t n = nl ? (size_t) (nl - (t + i)) : len - i;
        if (L.n == cap) {
            L.l = realloc(L.l, (cap *= 2) * sizeof *L.l);
            assert_non_null(L.l);
            memset(L.l + L.n, 0, (cap - L.n) * sizeof *L.l);
        }
        L.l[L.n] = malloc(n + 1);
        memcpy(L.l[L.n], t + i, n);
        L.l[L.n][n] = '\0';
        L.n++;
        if (!nl)
            L.partial = 1;
        i += n + 1;
    }
    free(t);
    return L;
}

static inline void su_write(const char *path, const su_lines *L)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < L->n; i++)
        fprintf(f, "%s%s", L->l[i], i + 1 < L->n || !L->partial ? "\n" : "");
    assert_int_equal(fclose(f), 0);
}

static inline void su_free(su_lines *L)
{
    for (size_t i = 0; i < L->n; i++)
        free(L->l[i]);
    free(L->l);
    L->l = NULL;
    L->n = 0;
}

static inline void su_delete(su_lines *L, size_t i)
{
    assert_true(i < L->n);
    free(L->l[i]);
    memmove(L->l + i, L->l + i + 1, (L->n - i - 1) * sizeof *L->l);
    L->n--;
}

static inline void su_insert(su_lines *L, size_t i, const char *line)
{
    L->l = realloc(L->l, (L->n + 1) * sizeof *L->l);
    memmove(L->l + i + 1, L->l + i, (L->n - i) * sizeof *L->l);
    L->l[i] = strdup(line);
    L->n++;
}

static inline void su_set(su_lines *L, size_t i, const char *line)
{
    free(L->l[i]);
    L->l[i] = strdup(line);
}

/* The line of record `seq`, or -1. */
static inline long su_find(const su_lines *L, unsigned long long seq)
{
    char want[48];
    int n = snprintf(want, sizeof want, ",\"seal\":%llu}", seq);
    for (size_t i = 0; i < L->n; i++) {
        size_t len = strlen(L->l[i]);
        if (len >= (size_t) n && strcmp(L->l[i] + len - n, want) == 0 && L->l[i][0] == '{' &&
            strncmp(L->l[i], "{\"nlog_seal\"", 12) != 0)
            return (long) i;
    }
    return -1;
}

static inline int su_is_ckpt(const char *l)
{
    return strncmp(l, "{\"nlog_seal\":\"checkpoint\"", 25) == 0;
}

static inline int su_is_anchor(const char *l)
{
    return strncmp(l, "{\"nlog_seal\":\"anchor\"", 21) == 0;
}

static inline unsigned long long su_num(const char *l, const char *member)
{
    char key[64];
    snprintf(key, sizeof key, "\"%s\":", member);
    const char *p = strstr(l, key);
    assert_non_null(p);
    return strtoull(p + strlen(key), NULL, 10);
}

/* The checkpoint line covering record `seq`, or -1. */
static inline long su_ckpt_of(const su_lines *L, unsigned long long seq)
{
    for (size_t i = 0; i < L->n; i++)
        if (su_is_ckpt(L->l[i]) && su_num(L->l[i], "first") <= seq &&
            su_num(L->l[i], "last") >= seq)
            return (long) i;
    return -1;
}

/* Replaces the text `from` by `to` once in line i. */
static inline void su_edit(su_lines *L, size_t i, const char *from, const char *to)
{
    char *p = strstr(L->l[i], from);
    if (!p)
        fail_msg("'%s' not in line %zu: %.200s", from, i, L->l[i]);
    size_t a = (size_t) (p - L->l[i]), fl = strlen(from), tl = strlen(to), ll = strlen(L->l[i]);
    char *n = malloc(ll - fl + tl + 1);
    memcpy(n, L->l[i], a);
    memcpy(n + a, to, tl);
    memcpy(n + a + tl, p + fl, ll - a - fl + 1);
    free(L->l[i]);
    L->l[i] = n;
}

/* ---- verification --------------------------------------------------------------------- */

static inline nlog_seal_report *su_verify_with(const char *pub, const char *const *paths,
                                               size_t n, const char *against, int partial)
{
    nlog_seal_key *k;
    if (nlog_seal_key_load(pub, &k) != NLOG_OK)
        fail_msg("key: %s", nlog_errmsg());
    nlog_seal_verify_opts o;
    nlog_seal_verify_opts_init(&o);
    const nlog_seal_key *ks[1] = {k};
    o.keys = ks;
    o.n_keys = 1;
    o.against = against;
    o.allow_partial = partial;
    nlog_seal_report *r = NULL;
    if (nlog_seal_verify(&o, paths, n, &r) != NLOG_OK)
        fail_msg("nlog_seal_verify: %s", nlog_errmsg());
    nlog_seal_key_destroy(k);
    return r;
}

static inline nlog_seal_report *su_verify(const su_env *e, const char *path)
{
    const char *p[1] = {path ? path : e->dir};
    return su_verify_with(e->pub, p, 1, NULL, 0);
}

static inline void su_print(const nlog_seal_report *r)
{
    for (size_t i = 0; i < nlog_seal_report_n_logs(r); i++) {
        const nlog_seal_log_summary *s = nlog_seal_report_log(r, i);
        print_message("  log %s: files %zu records %llu checkpoints %llu sealed %llu..%llu "
                      "trailing %llu problems %llu\n",
                      s->name, s->files, (unsigned long long) s->records,
                      (unsigned long long) s->checkpoints, (unsigned long long) s->sealed_first,
                      (unsigned long long) s->sealed_last, (unsigned long long) s->trailing,
                      (unsigned long long) s->problems);
    }
    for (size_t i = 0; i < nlog_seal_report_n_problems(r) && i < 12; i++) {
        const nlog_seal_problem *p = nlog_seal_report_problem(r, i);
        print_message("  %s seq %llu offset %lld: %s\n", nlog_seal_kind_name(p->kind),
                      (unsigned long long) p->seq, (long long) p->offset, p->message);
    }
}

static inline void su_assert_ok(nlog_seal_report *r)
{
    if (!nlog_seal_report_ok(r)) {
        su_print(r);
        fail_msg("verification failed");
    }
}

/* The first problem (the first bad record) is `kind` at `seq`. */
static inline void su_assert_first(nlog_seal_report *r, nlog_seal_kind kind,
                                   unsigned long long seq)
{
    const nlog_seal_problem *p = nlog_seal_report_problem(r, 0);
    if (!p || p->kind != kind || p->seq != seq) {
        su_print(r);
        fail_msg("want first problem %s at seq %llu, got %s at %llu", nlog_seal_kind_name(kind),
                 seq, p ? nlog_seal_kind_name(p->kind) : "none",
                 p ? (unsigned long long) p->seq : 0ULL);
    }
}

/* Problem i, which must exist. */
static inline const nlog_seal_problem *su_problem(const nlog_seal_report *r, size_t i)
{
    static const nlog_seal_problem none = {.file = "", .log = "", .message = ""};
    const nlog_seal_problem *p = nlog_seal_report_problem(r, i);
    if (!p)
        fail_msg("no problem %zu in the report", i);
    return p ? p : &none;
}

static inline int su_has(const nlog_seal_report *r, nlog_seal_kind kind, unsigned long long seq)
{
    for (size_t i = 0; i < nlog_seal_report_n_problems(r); i++) {
        const nlog_seal_problem *p = nlog_seal_report_problem(r, i);
        if (p->kind == kind && p->seq == seq)
            return 1;
    }
    return 0;
}

static inline const nlog_seal_log_summary *su_log(const nlog_seal_report *r, const char *name)
{
    static const nlog_seal_log_summary none;
    for (size_t i = 0; i < nlog_seal_report_n_logs(r); i++) {
        const nlog_seal_log_summary *s = nlog_seal_report_log(r, i);
        if (s && strcmp(s->name, name) == 0)
            return s;
    }
    fail_msg("no log %s in the report", name);
    return &none;
}

#endif /* TEST_SEAL_UTIL_H */
