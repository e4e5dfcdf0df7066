/* verify_api.c: nlog_seal_verify() and the report (seal.h).
 *
 * Inputs are grouped into logs ("file families"): a rotated segment
 * <stem>-<YYYYMMDD>T<HHMMSS>Z-<NNNNNN><ext>[.zst|.gz] belongs to <stem><ext>;
 * any other file is a log of its own. In a directory, hidden files,
 * sub-directories and the writer's .tmp/.lock files are skipped. A log's
 * files are read segments first, in name order (which is time order), then
 * the active file. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <nlog/seal.h>

#include "core/core.h"
#include "seal/keyfile.h"
#include "seal/verify.h"

typedef struct entry {
    char *path;
    char dir[4096];                     /* the directory it is in */
    char family[NLOG__SEAL_NAME_MAX + 1];
    char sort[NLOG__SEAL_NAME_MAX + 8]; /* segments by name; the active file after them */
    uint64_t size;
} entry;

struct nlog_seal_report {
    nlog__vlog **logs;
    size_t n_logs;
    nlog_seal_problem *probs;
    size_t n_probs;
    uint8_t (*pks)[NLOG__SEAL_PK_LEN];
    nlog__vkeys keys;
    nlog__vagainst *against;
};

const char *nlog_seal_kind_name(nlog_seal_kind kind)
{
    static const char *const names[] = {
        "OK",         "MAC_MISMATCH",     "CHAIN_BREAK",       "SEQ_GAP",
        "SEQ_DUP",    "ORDER",            "CHECKPOINT_SIG",    "TRUNCATED",
        "ROLLBACK",   "UNKNOWN_KEY_EPOCH", "MISSING_SEGMENT", "MALFORMED",
        "UNSEALED"};
    return (unsigned) kind < sizeof names / sizeof names[0] ? names[kind] : "UNKNOWN";
}

void nlog_seal_verify_opts_init(nlog_seal_verify_opts *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->struct_size = sizeof *opts;
}

/* If `name` is a rotated segment, writes its family into out and returns 1. */
static int segment_family(const char *name, char *out, size_t out_size)
{
    size_t len = strlen(name);
    for (size_t i = 1; i + 25 <= len; i++) {
        const char *p = name + i;
        if (p[0] != '-' || p[9] != 'T' || p[16] != 'Z' || p[17] != '-')
            continue;
        int ok = 1;
        for (int k = 1; k <= 23 && ok; k++)
            if (k != 9 && k != 16 && k != 17)
                ok = p[k] >= '0' && p[k] <= '9';
        if (!ok)
            continue;
        const char *ext = p + 24;
        size_t el = strlen(ext);
        if (el >= 4 && strcmp(ext + el - 4, ".zst") == 0)
            el -= 4;
        else if (el >= 3 && strcmp(ext + el - 3, ".gz") == 0)
            el -= 3;
        if (i + el + 1 > out_size)
            return 0;
        memcpy(out, name, i);
        memcpy(out + i, ext, el);
        out[i + el] = '\0';
        return 1;
    }
    return 0;
}

/* Hidden files, the writer's temporary and lock files, sealing states. */
static int skip_name(const char *n)
{
    size_t l = strlen(n);
    if (n[0] == '.')
        return 1;
    static const char *const sfx[] = {".tmp", ".lock", ".seal", ".seal.next"};
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        size_t sl = strlen(sfx[i]);
        if (l > sl && strcmp(n + l - sl, sfx[i]) == 0)
            return 1;
    }
    const char *t = strstr(n, ".tmp");
    if (t) { /* NAME.tmp<pid> */
        t += 4;
        while (*t >= '0' && *t <= '9')
            t++;
        return *t == '\0';
    }
    return 0;
}

static nlog_status add_entry(entry **es, size_t *n, size_t *cap, const char *path,
                             const char *base, uint64_t size)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 32;
        entry *ne = realloc(*es, nc * sizeof *ne);
        if (!ne)
            return NLOG_ENOMEM;
        *es = ne;
        *cap = nc;
    }
    entry *e = &(*es)[*n];
    memset(e, 0, sizeof *e);
    e->path = strdup(path);
    if (!e->path)
        return NLOG_ENOMEM;
    e->size = size;
    size_t dl = (size_t) (base - path);
    while (dl > 1 && path[dl - 1] == '/')
        dl--;
    snprintf(e->dir, sizeof e->dir, "%.*s", (int) (dl ? dl : 1), dl ? path : ".");
    if (segment_family(base, e->family, sizeof e->family)) {
        snprintf(e->sort, sizeof e->sort, "0%s", base);
    } else {
        snprintf(e->family, sizeof e->family, "%s", base);
        snprintf(e->sort, sizeof e->sort, "1%s", base);
    }
    (*n)++;
    return NLOG_OK;
}

/* Logs are told apart by directory and name. */
static int same_log(const entry *a, const entry *b)
{
    return strcmp(a->family, b->family) == 0 && strcmp(a->dir, b->dir) == 0;
}

static int cmp_entry(const void *x, const void *y)
{
    const entry *a = x, *b = y;
    int c = strcmp(a->family, b->family);
    if (c)
        return c;
    c = strcmp(a->dir, b->dir);
    if (c)
        return c;
    c = strcmp(a->sort, b->sort);
    return c ? c : strcmp(a->path, b->path);
}

static nlog_status collect(const char *const *paths, size_t n_paths, entry **ret, size_t *ret_n)
{
    entry *es = NULL;
    size_t n = 0, cap = 0;
    nlog_status st = NLOG_OK;
    for (size_t i = 0; i < n_paths && st == NLOG_OK; i++) {
        struct stat sb;
        if (stat(paths[i], &sb) != 0) {
            nlog__set_errmsg("%s: %s", paths[i], strerror(errno));
            st = errno == ENOENT ? NLOG_ENOTFOUND : NLOG_EIO;
            break;
        }
        if (!S_ISDIR(sb.st_mode)) {
            const char *base = strrchr(paths[i], '/');
            st = add_entry(&es, &n, &cap, paths[i], base ? base + 1 : paths[i],
                           (uint64_t) sb.st_size);
            continue;
        }
        DIR *d = opendir(paths[i]);
        if (!d) {
            nlog__set_errmsg("%s: %s", paths[i], strerror(errno));
            st = NLOG_EIO;
            break;
        }
        struct dirent *de;
        while (st == NLOG_OK && (de = readdir(d)) != NULL) {
            if (skip_name(de->d_name))
                continue;
            char p[8192];
            if (snprintf(p, sizeof p, "%s/%s", paths[i], de->d_name) >= (int) sizeof p)
                continue;
            struct stat fs;
            if (stat(p, &fs) != 0 || !S_ISREG(fs.st_mode))
                continue;
            st = add_entry(&es, &n, &cap, p, p + strlen(p) - strlen(de->d_name),
                           (uint64_t) fs.st_size);
        }
        (void) closedir(d);
    }
    if (st == NLOG_OK && n == 0) {
        nlog__set_errmsg("no log files to verify in the given paths");
        st = NLOG_ENOTFOUND;
    }
    if (st != NLOG_OK) {
        for (size_t i = 0; i < n; i++)
            free(es[i].path);
        free(es);
        return st;
    }
    if (n > 1)
        qsort(es, n, sizeof *es, cmp_entry);
    *ret = es;
    *ret_n = n;
    return NLOG_OK;
}

void nlog_seal_report_destroy(nlog_seal_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_logs; i++)
        nlog__vlog_destroy(r->logs[i]);
    free(r->logs);
    free(r->probs);
    free(r->pks);
    free(r->against);
    free(r);
}

/* Reads one file into v. Returns NLOG_OK, or NLOG_EIO if it cannot be opened. */
static nlog_status feed(nlog__vlog *v, const char *path, int last, uint64_t *done,
                        uint64_t total, const nlog_seal_verify_opts *o)
{
    nlog__seal_reader *rd;
    char why[512];
    int err = nlog__seal_reader_open(path, &rd, why, sizeof why);
    if (err) {
        nlog__set_errmsg("%s", why);
        return err == ENOMEM ? NLOG_ENOMEM : NLOG_EIO;
    }
    nlog__vlog_file(v, path, last);
    uint64_t base = *done, lines = 0;
    for (;;) {
        const char *line;
        size_t len;
        uint64_t off;
        nlog__seal_read rc = nlog__seal_reader_next(rd, &line, &len, &off);
        if (rc == NLOG__READ_EOF)
            break;
        if (rc == NLOG__READ_ERROR) {
            nlog__vlog_read_error(v, nlog__seal_reader_error(rd), off);
            break;
        }
        nlog__vlog_line(v, rc, line, len, off);
        if (o->progress && (++lines & 0x3fff) == 0)
            o->progress(base + nlog__seal_reader_consumed(rd), total, o->progress_user);
    }
    *done = base + nlog__seal_reader_consumed(rd);
    if (o->progress)
        o->progress(*done, total, o->progress_user);
    nlog__seal_reader_close(rd);
    return NLOG_OK;
}

nlog_status nlog_seal_verify(const nlog_seal_verify_opts *opts, const char *const *paths,
                             size_t n_paths, nlog_seal_report **ret_report)
{
    nlog__clear_errmsg();
    if (!opts || opts->struct_size < sizeof *opts || !opts->keys || opts->n_keys == 0 ||
        !paths || n_paths == 0 || !ret_report) {
        nlog__set_errmsg("nlog_seal_verify: give at least one key and one path (and set "
                         "struct_size with nlog_seal_verify_opts_init)");
        return NLOG_EINVAL;
    }
    if (nlog__seal_crypto_init() != 0) {
        nlog__set_errmsg("libsodium cannot be initialised");
        return NLOG_EIO;
    }
    nlog_seal_report *r = calloc(1, sizeof *r);
    if (!r)
        return NLOG_ENOMEM;
    r->pks = malloc(opts->n_keys * sizeof *r->pks);
    if (!r->pks) {
        nlog_seal_report_destroy(r);
        return NLOG_ENOMEM;
    }
    for (size_t i = 0; i < opts->n_keys; i++) {
        if (!opts->keys[i]) {
            nlog_seal_report_destroy(r);
            nlog__set_errmsg("nlog_seal_verify: key %zu is NULL", i);
            return NLOG_EINVAL;
        }
        memcpy(r->pks[i], nlog__seal_key_bytes(opts->keys[i]), NLOG__SEAL_PK_LEN);
    }
    r->keys.pk = (const uint8_t(*)[NLOG__SEAL_PK_LEN]) r->pks;
    r->keys.n = opts->n_keys;
    if (opts->against) {
        char why[1024];
        r->against = malloc(sizeof *r->against);
        if (!r->against) {
            nlog_seal_report_destroy(r);
            return NLOG_ENOMEM;
        }
        if (nlog__vagainst_load(opts->against, &r->keys, r->against, why, sizeof why) != 0) {
            nlog_seal_report_destroy(r);
            nlog__set_errmsg("%s", why);
            return NLOG_EINVAL;
        }
    }
    entry *es;
    size_t n;
    nlog_status st = collect(paths, n_paths, &es, &n);
    if (st != NLOG_OK) {
        nlog_seal_report_destroy(r);
        return st;
    }
    uint64_t total = 0, done = 0;
    int many_dirs = 0;
    for (size_t i = 0; i < n; i++) {
        total += es[i].size;
        many_dirs |= strcmp(es[i].dir, es[0].dir) != 0;
    }
    for (size_t i = 0; i < n && st == NLOG_OK;) {
        size_t j = i;
        while (j < n && same_log(&es[j], &es[i]))
            j++;
        char name[4400];
        if (many_dirs) /* the same name in several directories: several logs */
            snprintf(name, sizeof name, "%s/%s", es[i].dir, es[i].family);
        else
            snprintf(name, sizeof name, "%s", es[i].family);
        nlog__vlog **nl = realloc(r->logs, (r->n_logs + 1) * sizeof *nl);
        nlog__vlog *v = nl ? nlog__vlog_create(name, &r->keys, r->against, opts->allow_partial,
                                               opts->max_problems)
                           : NULL;
        if (nl)
            r->logs = nl;
        if (!v) {
            st = NLOG_ENOMEM;
            break;
        }
        r->logs[r->n_logs++] = v;
        for (size_t k = i; k < j && st == NLOG_OK; k++)
            st = feed(v, es[k].path, k + 1 == j, &done, total, opts);
        nlog__vlog_finish(v);
        i = j;
    }
    for (size_t i = 0; i < n; i++)
        free(es[i].path);
    free(es);
    if (st == NLOG_OK && r->against) {
        int found = 0;
        for (size_t i = 0; i < r->n_logs; i++)
            found |= nlog__vlog_against_concerned(r->logs[i]);
        if (!found && r->n_logs == 1) {
            nlog__vlog_against_absent(r->logs[0]);
        } else if (!found) {
            st = NLOG_EINVAL;
            nlog__set_errmsg("the exported checkpoint is for the log %s, which is not among the "
                             "inputs",
                             r->against->name);
        }
    }
    size_t np = 0;
    for (size_t i = 0; st == NLOG_OK && i < r->n_logs; i++)
        np += nlog__vlog_n_problems(r->logs[i]);
    if (st == NLOG_OK && np) {
        r->probs = calloc(np, sizeof *r->probs);
        if (!r->probs)
            st = NLOG_ENOMEM;
    }
    for (size_t i = 0; st == NLOG_OK && i < r->n_logs; i++)
        for (size_t k = 0; k < nlog__vlog_n_problems(r->logs[i]); k++) {
            const nlog__vproblem *p = nlog__vlog_problem(r->logs[i], k);
            nlog_seal_problem *q = &r->probs[r->n_probs++];
            q->kind = p->kind;
            q->seq = p->seq;
            q->offset = p->offset;
            q->file = nlog__vlog_file_path(r->logs[i], p->file);
            q->log = nlog__vlog_name(r->logs[i]);
            q->message = p->message;
        }
    if (st != NLOG_OK) {
        nlog_seal_report_destroy(r);
        return st;
    }
    *ret_report = r;
    return NLOG_OK;
}

int nlog_seal_report_ok(const nlog_seal_report *r)
{
    if (!r)
        return 0;
    for (size_t i = 0; i < r->n_logs; i++)
        if (nlog__vlog_summary(r->logs[i])->problems)
            return 0;
    return 1;
}

size_t nlog_seal_report_n_logs(const nlog_seal_report *r)
{
    return r ? r->n_logs : 0;
}

const nlog_seal_log_summary *nlog_seal_report_log(const nlog_seal_report *r, size_t i)
{
    return r && i < r->n_logs ? nlog__vlog_summary(r->logs[i]) : NULL;
}

size_t nlog_seal_report_n_problems(const nlog_seal_report *r)
{
    return r ? r->n_probs : 0;
}

const nlog_seal_problem *nlog_seal_report_problem(const nlog_seal_report *r, size_t i)
{
    return r && i < r->n_probs ? &r->probs[i] : NULL;
}

nlog_status nlog_seal_report_export_checkpoint(const nlog_seal_report *r, size_t i,
                                               const char *path)
{
    nlog__clear_errmsg();
    if (!r || i >= r->n_logs || !path) {
        nlog__set_errmsg("nlog_seal_report_export_checkpoint: no such log");
        return NLOG_EINVAL;
    }
    char why[1024];
    int rc = nlog__vlog_export(r->logs[i], path, why, sizeof why);
    if (rc) {
        nlog__set_errmsg("%s", why);
        return rc < 0 ? NLOG_ESTATE : NLOG_EIO;
    }
    return NLOG_OK;
}
