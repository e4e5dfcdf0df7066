/* resolve.c: the public configuration API and the five layers.
 *
 *     built-in defaults < profile < YAML file < environment < code
 *
 * Each layer sets some keys; a key takes its value from the highest layer
 * that sets it, and remembers which layer that was (its origin), which is
 * what nlog_config_explain() reports. The loggers map merges per name with
 * the same order. Defaults and profile values are text in the key table and
 * go through the same parser as everything else.
 *
 * Failure policy: what the program asked for explicitly (a profile, a file,
 * a value in code, and the NETLINK_LOG_PROFILE / NETLINK_LOG_CONFIG variables,
 * which select those layers) fails the call with NLOG_ECONFIG and a message,
 * and *out is not touched. A bad NETLINK_LOG_<KEY> value does not fail: the
 * key keeps the value of the layers below and one diagnostic per variable is
 * reported per call, naming the variable, the value, what is accepted and
 * the value used instead.
 *
 * No global state: all work happens in one heap-allocated resolver.
 * Tested by: tests/unit/config/test_config_resolve.c, test_config_env.c,
 * test_config_explain.c */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"
#include "internal/diag.h"

typedef enum origin_kind {
    ORIGIN_DEFAULT = 0,
    ORIGIN_PROFILE,
    ORIGIN_FILE,
    ORIGIN_ENV,
    ORIGIN_CODE
} origin_kind;

typedef struct origin {
    unsigned char kind; /* origin_kind */
    nlog__cfg_pos pos;  /* ORIGIN_FILE: where */
} origin;

typedef struct resolver {
    nlog_config code;                            /* the caller's struct: the code layer */
    nlog__cfg_layer file;                        /* the YAML file layer */
    nlog_config res;                             /* the result */
    origin key_origin[NLOG__CFG_KEYS_MAX];
    origin logger_origin[NLOG_CONFIG_LOGGERS_MAX];
    int profile;                                 /* nlog__profile, or -1 */
    char file_path[NLOG_CONFIG_PATH_MAX];        /* "" when no file */
    const char *bad_env[NLOG__CFG_KEYS_MAX];     /* rejected NETLINK_LOG_<KEY> values */
    nlog_config scratch;                         /* for re-checking them (too big for the stack) */
} resolver;

static const char env_profile[] = "NETLINK_LOG_PROFILE";
static const char env_config[] = "NETLINK_LOG_CONFIG";

static void *member(nlog_config *cfg, const nlog__cfg_key *k)
{
    return (char *) cfg + k->offset;
}

static const void *member_c(const nlog_config *cfg, const nlog__cfg_key *k)
{
    return (const char *) cfg + k->offset;
}

void nlog_config_init(nlog_config *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->struct_size = sizeof *cfg;
    cfg->use_environment = 1;
    for (size_t i = 0; i < nlog__cfg_n_keys; i++) {
        const nlog__cfg_key *k = &nlog__cfg_keys[i];
        switch (k->type) {
        case NLOG__CFG_BOOL:
        case NLOG__CFG_INT:
        case NLOG__CFG_SIZE:
        case NLOG__CFG_ENUM:
            if (k->size == sizeof(int64_t)) /* a SIZE row over an int64_t member */
                *(int64_t *) member(cfg, k) = NLOG_UNSET;
            else
                *(int *) member(cfg, k) = NLOG_UNSET;
            break;
        case NLOG__CFG_LEVEL:
            *(nlog_level *) member(cfg, k) = NLOG_LEVEL_INVALID;
            break;
        case NLOG__CFG_CUSTOM:
            k->custom->unset(member(cfg, k));
            break;
        case NLOG__CFG_PATH:
        case NLOG__CFG_EMAIL:
        case NLOG__CFG_URL:
        case NLOG__CFG_LEVELS:
        case NLOG__CFG_STRING:
            break; /* "" and no entries, from the memset */
        }
    }
}

static void source_text(const resolver *r, const nlog__cfg_key *k, origin o, char *buf,
                        size_t size)
{
    char env[NLOG__CFG_ENV_MAX];
    switch ((origin_kind) o.kind) {
    case ORIGIN_DEFAULT:
        snprintf(buf, size, "default");
        return;
    case ORIGIN_PROFILE:
        snprintf(buf, size, "profile %s", nlog__cfg_profile_name((nlog__profile) r->profile));
        return;
    case ORIGIN_FILE:
        snprintf(buf, size, "file %s:%d:%d", r->file_path, o.pos.line, o.pos.column);
        return;
    case ORIGIN_ENV:
        nlog__cfg_env_name(k, env, sizeof env);
        snprintf(buf, size, "environment %s", env);
        return;
    case ORIGIN_CODE:
        snprintf(buf, size, "code");
        return;
    }
    snprintf(buf, size, "?");
}

/* Splits the next comma-separated item off *p, trimmed of blanks. Returns 0
 * at the end of the text. Empty items are skipped. */
static int next_item(const char **p, const char **ret_item, size_t *ret_len)
{
    const char *s = *p;
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == ',')
            s++;
        if (*s == '\0') {
            *p = s;
            return 0;
        }
        const char *e = strchr(s, ',');
        if (!e)
            e = s + strlen(s);
        const char *end = e;
        while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        *ret_item = s;
        *ret_len = (size_t) (end - s);
        *p = e;
        return 1;
    }
}

/* Parses "name=LEVEL" (blanks around either part allowed). */
static nlog_status parse_logger_item(const char *item, size_t len, char *name,
                                     nlog_level *ret_level, char *why, size_t why_size)
{
    char q[128];
    const char *eq = NULL;
    for (size_t i = 0; i < len; i++)
        if (item[i] == '=')
            eq = item + i; /* the last '=': levels never contain one */
    if (!eq) {
        nlog__cfg_quote(q, sizeof q, item, len);
        snprintf(why, why_size,
                 "entry %s is not NAME=LEVEL; accepted: comma-separated NAME=LEVEL pairs such "
                 "as noisy.lib=ERROR,db=DEBUG",
                 q);
        return NLOG_ECONFIG;
    }
    size_t nlen = (size_t) (eq - item);
    while (nlen > 0 && (item[nlen - 1] == ' ' || item[nlen - 1] == '\t'))
        nlen--;
    const char *lv = eq + 1;
    size_t llen = len - (size_t) (lv - item);
    while (llen > 0 && (*lv == ' ' || *lv == '\t')) {
        lv++;
        llen--;
    }
    if (nlog__cfg_check_logger_name(item, nlen, why, why_size) != NLOG_OK)
        return NLOG_ECONFIG;
    if (nlog__cfg_parse_level(lv, llen, ret_level, why, why_size) != NLOG_OK)
        return NLOG_ECONFIG;
    memcpy(name, item, nlen);
    name[nlen] = '\0';
    return NLOG_OK;
}

/* Puts one loggers entry into the result with its origin. */
static nlog_status put_logger(resolver *r, const char *name, nlog_level level, origin o)
{
    size_t idx;
    nlog_status st = nlog__cfg_logger_put(&r->res, name, level, &idx);
    if (st == NLOG_OK)
        r->logger_origin[idx] = o;
    return st;
}

/* The code layer: checks every value set in the caller's struct. */
static nlog_status check_code(const resolver *r, nlog_error *err)
{
    char why[NLOG__CFG_WHY_MAX];
    const nlog_config *c = &r->code;
    int is_set;

    if (!memchr(c->profile, '\0', sizeof c->profile)) {
        nlog__cfg_fail(err, NLOG_ECONFIG, "code", "profile", 1, "the string is not NUL-terminated");
        return NLOG_ECONFIG;
    }
    if (!memchr(c->config_file, '\0', sizeof c->config_file)) {
        nlog__cfg_fail(err, NLOG_ECONFIG, "code", "config_file", 1,
                       "the string is not NUL-terminated");
        return NLOG_ECONFIG;
    }
    for (size_t i = 0; i < nlog__cfg_n_keys; i++) {
        const nlog__cfg_key *k = &nlog__cfg_keys[i];
        if (k->type == NLOG__CFG_LEVELS)
            continue;
        if (nlog__cfg_check_member(k, c, &is_set, why, sizeof why) != NLOG_OK) {
            nlog__cfg_fail(err, NLOG_ECONFIG, "code", k->name, 1, "%s", why);
            return NLOG_ECONFIG;
        }
    }
    if (c->n_loggers > NLOG_CONFIG_LOGGERS_MAX) {
        nlog__cfg_fail(err, NLOG_ECONFIG, "code", "loggers", 1,
                       "n_loggers is %zu; accepted: at most %d entries", c->n_loggers,
                       NLOG_CONFIG_LOGGERS_MAX);
        return NLOG_ECONFIG;
    }
    for (size_t i = 0; i < c->n_loggers; i++) {
        const nlog_logger_level *e = &c->loggers[i];
        const char *nul = memchr(e->name, '\0', sizeof e->name);
        if (!nul) {
            nlog__cfg_fail(err, NLOG_ECONFIG, "code", "loggers", 1,
                           "entry %zu: the name is not NUL-terminated", i);
            return NLOG_ECONFIG;
        }
        if (nlog__cfg_check_logger_name(e->name, (size_t) (nul - e->name), why, sizeof why) !=
            NLOG_OK) {
            nlog__cfg_fail(err, NLOG_ECONFIG, "code", "loggers", 1, "entry %zu: %s", i, why);
            return NLOG_ECONFIG;
        }
        if (nlog_level_index(e->level) < 0) {
            char key[NLOG_LOGGER_NAME_MAX + 16];
            snprintf(key, sizeof key, "loggers.%s", e->name);
            nlog__cfg_fail(err, NLOG_ECONFIG, "code", key, 1,
                           "%d is not a level; accepted: one of the NLOG_LEVEL_* values",
                           (int) e->level);
            return NLOG_ECONFIG;
        }
    }
    return NLOG_OK;
}

/* Picks the profile: the struct's, else NETLINK_LOG_PROFILE. */
static nlog_status pick_profile(resolver *r, nlog_error *err)
{
    const char *name = NULL, *source = "profile";
    char q[128];
    r->profile = -1;
    if (r->code.profile[0]) {
        name = r->code.profile;
    } else if (r->code.use_environment) {
        name = nlog__config_getenv(env_profile);
        source = env_profile;
        if (name && !*name)
            name = NULL;
    }
    if (!name)
        return NLOG_OK;
    r->profile = nlog__cfg_profile_find(name);
    if (r->profile >= 0)
        return NLOG_OK;
    nlog__cfg_quote(q, sizeof q, name, strlen(name));
    nlog__cfg_fail(err, NLOG_ECONFIG, source, "profile", 0, "unknown profile %s; accepted: %s", q,
                   nlog__cfg_profile_accepted());
    return NLOG_ECONFIG;
}

/* Reads the file: the struct's config_file, else NETLINK_LOG_CONFIG. */
static nlog_status read_file(resolver *r, nlog_error *err)
{
    const char *path = NULL;
    if (r->code.config_file[0]) {
        path = r->code.config_file;
    } else if (r->code.use_environment) {
        path = nlog__config_getenv(env_config);
        if (path && !*path)
            path = NULL;
        if (path && strlen(path) >= sizeof r->file_path) {
            nlog__cfg_fail(err, NLOG_ECONFIG, env_config, "config_file", 0,
                           "the path is longer than %zu bytes", sizeof r->file_path - 1);
            return NLOG_ECONFIG;
        }
    }
    if (!path)
        return NLOG_OK;
    snprintf(r->file_path, sizeof r->file_path, "%s", path);
    return nlog__config_parse_file(r->file_path, &r->file, err);
}

static void apply_defaults_and_profile(resolver *r)
{
    for (size_t i = 0; i < nlog__cfg_n_keys; i++) {
        const nlog__cfg_key *k = &nlog__cfg_keys[i];
        if (k->type == NLOG__CFG_LEVELS)
            continue;
        /* Table texts are checked by test_config_keys.c; a failure here
         * would leave the nlog_config_init() value. */
        nlog_status st = nlog__cfg_parse_value(k, k->def, strlen(k->def), &r->res, NULL, 0);
        (void) st;
        r->key_origin[i].kind = ORIGIN_DEFAULT;
        if (r->profile >= 0 && k->profile[r->profile]) {
            const char *v = k->profile[r->profile];
            if (nlog__cfg_parse_value(k, v, strlen(v), &r->res, NULL, 0) == NLOG_OK)
                r->key_origin[i].kind = ORIGIN_PROFILE;
        }
    }
}

static void apply_file(resolver *r)
{
    const nlog__cfg_layer *f = &r->file;
    for (size_t i = 0; i < nlog__cfg_n_keys; i++) {
        const nlog__cfg_key *k = &nlog__cfg_keys[i];
        if (!f->set[i] || k->type == NLOG__CFG_LEVELS)
            continue;
        memcpy(member(&r->res, k), member_c(&f->v, k), k->size);
        r->key_origin[i] = (origin){ORIGIN_FILE, f->pos[i]};
    }
    /* The result has no loggers yet and the file at most the maximum. */
    for (size_t i = 0; i < f->v.n_loggers; i++)
        (void) put_logger(r, f->v.loggers[i].name, f->v.loggers[i].level,
                          (origin){ORIGIN_FILE, f->logger_pos[i]});
}

static void apply_env_loggers(resolver *r, const char *var, const char *text)
{
    char why[NLOG__CFG_WHY_MAX];
    char name[NLOG_LOGGER_NAME_MAX + 1];
    const char *p = text, *item;
    size_t len, n = 0;
    nlog_level lv;

    while (next_item(&p, &item, &len)) {
        if (parse_logger_item(item, len, name, &lv, why, sizeof why) != NLOG_OK) {
            nlog__diag(NLOG_DIAG_CONFIG, NLOG_ECONFIG, 0, var, "%s: %s; entry ignored", var, why);
            continue;
        }
        if (++n > NLOG_CONFIG_LOGGERS_MAX ||
            put_logger(r, name, lv, (origin){ORIGIN_ENV, {0, 0}}) != NLOG_OK)
            nlog__diag(NLOG_DIAG_CONFIG, NLOG_ECONFIG, 0, var,
                       "%s: entry for '%s' ignored: more than %d loggers", var, name,
                       NLOG_CONFIG_LOGGERS_MAX);
    }
}

static void apply_env(resolver *r)
{
    char var[NLOG__CFG_ENV_MAX];
    for (size_t i = 0; i < nlog__cfg_n_keys; i++) {
        const nlog__cfg_key *k = &nlog__cfg_keys[i];
        nlog__cfg_env_name(k, var, sizeof var);
        const char *v = nlog__config_getenv(var);
        if (!v || !*v)
            continue; /* unset and empty variables are ignored alike */
        if (k->type == NLOG__CFG_LEVELS) {
            apply_env_loggers(r, var, v);
        } else if (nlog__cfg_parse_value(k, v, strlen(v), &r->res, NULL, 0) == NLOG_OK) {
            r->key_origin[i] = (origin){ORIGIN_ENV, {0, 0}};
        } else {
            r->bad_env[i] = v; /* reported once the final value is known */
        }
    }
}

static nlog_status apply_code(resolver *r, nlog_error *err)
{
    const nlog_config *c = &r->code;
    char why[8];
    int is_set;
    for (size_t i = 0; i < nlog__cfg_n_keys; i++) {
        const nlog__cfg_key *k = &nlog__cfg_keys[i];
        if (k->type == NLOG__CFG_LEVELS)
            continue;
        if (nlog__cfg_check_member(k, c, &is_set, why, sizeof why) == NLOG_OK && is_set) {
            memcpy(member(&r->res, k), member_c(c, k), k->size);
            r->key_origin[i] = (origin){ORIGIN_CODE, {0, 0}};
        }
    }
    for (size_t i = 0; i < c->n_loggers; i++) {
        if (put_logger(r, c->loggers[i].name, c->loggers[i].level,
                       (origin){ORIGIN_CODE, {0, 0}}) != NLOG_OK) {
            nlog__cfg_fail(err, NLOG_ECONFIG, "code", "loggers", 1,
                           "more than %d entries once the profile, file, environment and code "
                           "layers are merged; accepted: at most %d loggers in all",
                           NLOG_CONFIG_LOGGERS_MAX, NLOG_CONFIG_LOGGERS_MAX);
            return NLOG_ECONFIG;
        }
    }
    return NLOG_OK;
}

static void report_bad_env(resolver *r)
{
    char var[NLOG__CFG_ENV_MAX];
    char why[NLOG__CFG_WHY_MAX];
    char value[NLOG__CFG_VALUE_MAX];
    char source[NLOG_CONFIG_PATH_MAX + 48];

    for (size_t i = 0; i < nlog__cfg_n_keys; i++) {
        const nlog__cfg_key *k = &nlog__cfg_keys[i];
        if (!r->bad_env[i])
            continue;
        nlog__cfg_env_name(k, var, sizeof var);
        nlog_config_init(&r->scratch);
        if (nlog__cfg_parse_value(k, r->bad_env[i], strlen(r->bad_env[i]), &r->scratch, why,
                                  sizeof why) == NLOG_OK)
            continue; /* the environment changed under us: nothing to report */
        nlog__cfg_value_text(k, &r->res, value, sizeof value);
        source_text(r, k, r->key_origin[i], source, sizeof source);
        nlog__diag(NLOG_DIAG_CONFIG, NLOG_ECONFIG, 0, var, "%s: %s; using '%s' (%s) instead", var,
                   why, value, source);
    }
}

/* Copies the caller's struct, bounded by its struct_size. */
static nlog_status take_input(resolver *r, const nlog_config *in, nlog_error *err)
{
    nlog_config_init(&r->code);
    if (!in)
        return NLOG_OK;
    if (in->struct_size < offsetof(nlog_config, level) || in->struct_size > (1u << 20)) {
        nlog__cfg_fail(err, NLOG_EINVAL, "code", "", 0,
                       "struct_size is %zu: initialise the struct with nlog_config_init()",
                       in->struct_size);
        return NLOG_EINVAL;
    }
    memcpy(&r->code, in, NLOG__MIN(in->struct_size, sizeof r->code));
    r->code.struct_size = sizeof r->code;
    return NLOG_OK;
}

/* Runs every layer into r->res. */
static nlog_status resolve_all(resolver *r, const nlog_config *in, nlog_error *err)
{
    nlog_status st;

    st = take_input(r, in, err);
    if (st != NLOG_OK)
        return st;
    st = check_code(r, err);
    if (st != NLOG_OK)
        return st;
    st = pick_profile(r, err);
    if (st != NLOG_OK)
        return st;
    nlog__cfg_layer_init(&r->file);
    st = read_file(r, err);
    if (st != NLOG_OK)
        return st;

    nlog_config_init(&r->res);
    apply_defaults_and_profile(r);
    apply_file(r);
    if (r->code.use_environment)
        apply_env(r);
    st = apply_code(r, err);
    if (st != NLOG_OK)
        return st;
    report_bad_env(r);

    r->res.use_environment = r->code.use_environment ? 1 : 0;
    snprintf(r->res.profile, sizeof r->res.profile, "%s",
             r->profile >= 0 ? nlog__cfg_profile_name((nlog__profile) r->profile) : "");
    snprintf(r->res.config_file, sizeof r->res.config_file, "%s", r->file_path);
    return NLOG_OK;
}

static resolver *resolver_new(nlog_error *err)
{
    resolver *r = calloc(1, sizeof *r);
    if (!r)
        nlog__cfg_fail(err, NLOG_ENOMEM, "", "", 0, "out of memory");
    return r;
}

nlog_status nlog_config_resolve(const nlog_config *in, nlog_config *out, nlog_error *err)
{
    nlog_status st;
    resolver *r;

    if (!out) {
        nlog__cfg_fail(err, NLOG_EINVAL, "", "", 0, "nlog_config_resolve: out is NULL");
        return NLOG_EINVAL;
    }
    r = resolver_new(err);
    if (!r)
        return NLOG_ENOMEM;
    st = resolve_all(r, in, err);
    if (st == NLOG_OK) {
        /* Write no more than the caller's struct holds. */
        size_t n = in ? NLOG__MIN(in->struct_size, sizeof r->res) : sizeof r->res;
        r->res.struct_size = n;
        memcpy(out, &r->res, n);
    }
    free(r);
    return st;
}

nlog_status nlog_config_explain(const nlog_config *in, nlog_config_visit_fn fn, void *user,
                                nlog_error *err)
{
    char value[NLOG__CFG_VALUE_MAX];
    char source[NLOG_CONFIG_PATH_MAX + 48];
    char key[NLOG_LOGGER_NAME_MAX + 16];
    nlog_status st;
    resolver *r;

    if (!fn) {
        nlog__cfg_fail(err, NLOG_EINVAL, "", "", 0, "nlog_config_explain: fn is NULL");
        return NLOG_EINVAL;
    }
    r = resolver_new(err);
    if (!r)
        return NLOG_ENOMEM;
    st = resolve_all(r, in, err);
    if (st == NLOG_OK) {
        const nlog__cfg_key *lk = nlog__cfg_key_loggers();
        for (size_t i = 0; i < nlog__cfg_n_keys; i++) {
            const nlog__cfg_key *k = &nlog__cfg_keys[i];
            if (k->type == NLOG__CFG_LEVELS)
                continue;
            nlog__cfg_value_text(k, &r->res, value, sizeof value);
            source_text(r, k, r->key_origin[i], source, sizeof source);
            fn(k->name, value, source, user);
        }
        for (size_t i = 0; i < r->res.n_loggers; i++) {
            const nlog_logger_level *e = &r->res.loggers[i];
            snprintf(key, sizeof key, "loggers.%s", e->name);
            source_text(r, lk, r->logger_origin[i], source, sizeof source);
            fn(key, nlog_level_name(e->level), source, user);
        }
    }
    free(r);
    return st;
}

nlog_status nlog_config_validate_file(const char *path, nlog_error *err)
{
    nlog__cfg_layer *layer;
    nlog_status st;

    if (!path) {
        nlog__cfg_fail(err, NLOG_EINVAL, "", "", 0, "nlog_config_validate_file: path is NULL");
        return NLOG_EINVAL;
    }
    layer = malloc(sizeof *layer);
    if (!layer) {
        nlog__cfg_fail(err, NLOG_ENOMEM, path, "", 0, "out of memory");
        return NLOG_ENOMEM;
    }
    nlog__cfg_layer_init(layer);
    st = nlog__config_parse_file(path, layer, err);
    free(layer);
    return st;
}

nlog_status nlog_config_load_file(const char *path, nlog_config *cfg, nlog_error *err)
{
    struct {
        nlog__cfg_layer file;
        nlog_config copy;
    } *w;
    nlog_status st;

    if (!path || !cfg) {
        nlog__cfg_fail(err, NLOG_EINVAL, "", "", 0, "nlog_config_load_file: %s is NULL",
                       path ? "cfg" : "path");
        return NLOG_EINVAL;
    }
    if (cfg->n_loggers > NLOG_CONFIG_LOGGERS_MAX) {
        nlog__cfg_fail(err, NLOG_EINVAL, "", "", 0,
                       "nlog_config_load_file: cfg->n_loggers is %zu; initialise the struct "
                       "with nlog_config_init()",
                       cfg->n_loggers);
        return NLOG_EINVAL;
    }
    w = malloc(sizeof *w);
    if (!w) {
        nlog__cfg_fail(err, NLOG_ENOMEM, path, "", 0, "out of memory");
        return NLOG_ENOMEM;
    }
    nlog__cfg_layer_init(&w->file);
    st = nlog__config_parse_file(path, &w->file, err);
    if (st == NLOG_OK) {
        w->copy = *cfg;
        for (size_t i = 0; i < nlog__cfg_n_keys; i++) {
            const nlog__cfg_key *k = &nlog__cfg_keys[i];
            if (w->file.set[i] && k->type != NLOG__CFG_LEVELS)
                memcpy(member(&w->copy, k), member_c(&w->file.v, k), k->size);
        }
        for (size_t i = 0; i < w->file.v.n_loggers && st == NLOG_OK; i++) {
            if (nlog__cfg_logger_put(&w->copy, w->file.v.loggers[i].name,
                                     w->file.v.loggers[i].level, NULL) != NLOG_OK) {
                nlog__cfg_fail(err, NLOG_ECONFIG, path, "loggers", 1,
                               "more than %d entries together with those already set; "
                               "accepted: at most %d loggers",
                               NLOG_CONFIG_LOGGERS_MAX, NLOG_CONFIG_LOGGERS_MAX);
                st = NLOG_ECONFIG;
            }
        }
        if (st == NLOG_OK)
            *cfg = w->copy;
    }
    free(w);
    return st;
}

/* "loggers.NAME" = LEVEL, or "loggers" = "a=ERROR,b=DEBUG". */
static nlog_status set_loggers(nlog_config *cfg, const char *key, const char *value,
                               nlog_error *err)
{
    char why[NLOG__CFG_WHY_MAX];
    char name[NLOG_LOGGER_NAME_MAX + 1];
    nlog_config *copy;
    nlog_level lv;
    nlog_status st = NLOG_OK;

    copy = malloc(sizeof *copy);
    if (!copy) {
        nlog__cfg_fail(err, NLOG_ENOMEM, "", key, 0, "out of memory");
        return NLOG_ENOMEM;
    }
    *copy = *cfg;
    if (key[7] == '.') {
        const char *n = key + 8;
        if (nlog__cfg_check_logger_name(n, strlen(n), why, sizeof why) != NLOG_OK ||
            nlog__cfg_parse_level(value, strlen(value), &lv, why, sizeof why) != NLOG_OK) {
            nlog__cfg_fail(err, NLOG_ECONFIG, "", key, 1, "%s", why);
            st = NLOG_ECONFIG;
        } else if (nlog__cfg_logger_put(copy, n, lv, NULL) != NLOG_OK) {
            nlog__cfg_fail(err, NLOG_ECONFIG, "", key, 1,
                           "the loggers map is full; accepted: at most %d loggers",
                           NLOG_CONFIG_LOGGERS_MAX);
            st = NLOG_ECONFIG;
        }
    } else {
        const char *p = value, *item;
        size_t len;
        while (st == NLOG_OK && next_item(&p, &item, &len)) {
            if (parse_logger_item(item, len, name, &lv, why, sizeof why) != NLOG_OK) {
                nlog__cfg_fail(err, NLOG_ECONFIG, "", key, 1, "%s", why);
                st = NLOG_ECONFIG;
            } else if (nlog__cfg_logger_put(copy, name, lv, NULL) != NLOG_OK) {
                nlog__cfg_fail(err, NLOG_ECONFIG, "", key, 1,
                               "the loggers map is full; accepted: at most %d loggers",
                               NLOG_CONFIG_LOGGERS_MAX);
                st = NLOG_ECONFIG;
            }
        }
    }
    if (st == NLOG_OK)
        *cfg = *copy;
    free(copy);
    return st;
}

nlog_status nlog_config_set(nlog_config *cfg, const char *key, const char *value,
                            nlog_error *err)
{
    char why[NLOG__CFG_WHY_MAX];
    char list[NLOG__CFG_WHY_MAX];
    char q[128];
    char prefix[128] = "";
    const nlog__cfg_key *k;

    if (!cfg || !key || !value) {
        nlog__cfg_fail(err, NLOG_EINVAL, "", key ? key : "", 0,
                       "nlog_config_set: cfg, key and value must not be NULL");
        return NLOG_EINVAL;
    }
    if (strncmp(key, "loggers", 7) == 0 && (key[7] == '\0' || key[7] == '.')) {
        if (cfg->n_loggers > NLOG_CONFIG_LOGGERS_MAX) {
            nlog__cfg_fail(err, NLOG_EINVAL, "", key, 0,
                           "nlog_config_set: cfg->n_loggers is %zu; initialise the struct with "
                           "nlog_config_init()",
                           cfg->n_loggers);
            return NLOG_EINVAL;
        }
        return set_loggers(cfg, key, value, err);
    }
    k = nlog__cfg_key_find(key, strlen(key));
    if (!k) {
        /* Suggest among the keys of the deepest section the key names. */
        const char *dot = strrchr(key, '.');
        const char *leaf = key;
        if (dot && (size_t) (dot - key) < sizeof prefix - 1 &&
            nlog__cfg_is_section(key, (size_t) (dot - key))) {
            memcpy(prefix, key, (size_t) (dot - key) + 1);
            prefix[dot - key + 1] = '\0';
            leaf = dot + 1;
        }
        size_t slen = 0;
        const char *s = nlog__cfg_suggest(prefix, leaf, strlen(leaf), &slen);
        char hint[160] = "";
        if (s)
            snprintf(hint, sizeof hint, " did you mean '%s%.*s'?", prefix, (int) slen, s);
        nlog__cfg_quote(q, sizeof q, key, strlen(key));
        nlog__cfg_key_list(prefix, list, sizeof list);
        nlog__cfg_fail(err, NLOG_ECONFIG, "", key, 0, "unknown key %s;%s accepted keys: %s", q,
                       hint, list);
        return NLOG_ECONFIG;
    }
    if (nlog__cfg_parse_value(k, value, strlen(value), cfg, why, sizeof why) != NLOG_OK) {
        nlog__cfg_fail(err, NLOG_ECONFIG, "", key, 1, "%s", why);
        return NLOG_ECONFIG;
    }
    return NLOG_OK;
}
