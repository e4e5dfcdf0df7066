/* registry.c: the logger registry and the thresholds of every logger.
 *
 * This is one of the library's two pieces of global mutable state. It maps
 * names to loggers (a chained hash table that only grows) and names to
 * overrides, and keeps each logger's inline threshold equal to
 *     own override, else nearest ancestor override, else the global level.
 * Every change to an override or to the global level recomputes the affected
 * loggers under `lock` and publishes each threshold with an atomic store, so a
 * change is seen by all threads on their next call. Readers (the logging
 * calls) never take the lock.
 * Invariant: a logger, once returned, is never moved or freed before
 * nlog__registry_reset() (nlog_shutdown()).
 * Tested by: tests/unit/core/test_registry.c */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/logger_impl.h"
#include "format/utf8.h"
#include "internal/diag.h"
#include "security/sec_internal.h"

typedef struct override {
    struct override *next;
    nlog_level level;
    size_t name_len;
    char name[]; /* NUL-terminated */
} override;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static nlog_logger **buckets;    /* loggers by name hash */
static size_t n_buckets;         /* power of two, or 0 */
static size_t n_loggers;
static override *overrides;      /* singly linked; at most NLOG_LEVEL_OVERRIDES_MAX */
static size_t n_overrides;
static int global_level = NLOG_LEVEL_INFO;
static int special_bits = 3;     /* bit 0 security on, bit 1 audit on */
static int configured;

/* Used when the registry cannot allocate: logging must never get NULL. */
static nlog_logger fallback_logger = {
    .head = {NLOG_LEVEL_INFO, 3},
    .name_len = 8,
    .name = "fallback",
};

static uint64_t hash_name(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char) s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static override *find_override(const char *name, size_t len)
{
    for (override *o = overrides; o; o = o->next)
        if (o->name_len == len && memcmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

/* own override, else nearest ancestor's, else the global level. */
static int threshold_for(const char *name, size_t len)
{
    if (overrides) {
        for (;;) {
            override *o = find_override(name, len);
            if (o)
                return (int) o->level;
            while (len > 0 && name[len - 1] != '.')
                len--;
            if (len == 0)
                break;
            len--; /* drop the dot */
        }
    }
    return global_level;
}

static void refresh_locked(void)
{
    for (size_t b = 0; b < n_buckets; b++) {
        for (nlog_logger *lg = buckets[b]; lg; lg = lg->next) {
            __atomic_store_n(&lg->head.threshold, threshold_for(lg->name, lg->name_len),
                             __ATOMIC_RELAXED);
            __atomic_store_n(&lg->head.special, special_bits, __ATOMIC_RELAXED);
        }
    }
    __atomic_store_n(&fallback_logger.head.threshold, global_level, __ATOMIC_RELAXED);
    __atomic_store_n(&fallback_logger.head.special, special_bits, __ATOMIC_RELAXED);
}

static int grow_locked(void)
{
    size_t nb = n_buckets ? n_buckets * 2 : 64;
    nlog_logger **nbk = calloc(nb, sizeof *nbk);
    if (!nbk)
        return 0;
    for (size_t b = 0; b < n_buckets; b++) {
        nlog_logger *lg = buckets[b];
        while (lg) {
            nlog_logger *next = lg->next;
            size_t i = hash_name(lg->name, lg->name_len) & (nb - 1);
            lg->next = nbk[i];
            nbk[i] = lg;
            lg = next;
        }
    }
    free(buckets);
    buckets = nbk;
    n_buckets = nb;
    return 1;
}

nlog_logger *nlog_get_logger(const char *name)
{
    nlog__ensure_init();
    return nlog__registry_get(name);
}

nlog_logger *nlog__registry_get(const char *name)
{
    if (!name || !*name)
        name = "root";
    size_t len = strlen(name);
    if (len > NLOG_LOGGER_NAME_MAX) {
        len = nlog__utf8_cut(name, len, NLOG_LOGGER_NAME_MAX);
        nlog__diag(NLOG_DIAG_INPUT, NLOG_EINVAL, 0, "logger name",
                   "logger name longer than %d bytes was cut to '%.40s...'", NLOG_LOGGER_NAME_MAX,
                   name);
    }
    uint64_t h = hash_name(name, len);

    pthread_mutex_lock(&lock);
    nlog_logger *lg = NULL;
    if (n_buckets) {
        for (lg = buckets[h & (n_buckets - 1)]; lg; lg = lg->next)
            if (lg->name_len == len && memcmp(lg->name, name, len) == 0)
                break;
    }
    if (!lg) {
        if (n_loggers >= n_buckets && !grow_locked()) {
            lg = NULL;
        } else {
            lg = calloc(1, sizeof *lg + len + 1);
        }
        if (!lg) {
            pthread_mutex_unlock(&lock);
            nlog__diag(NLOG_DIAG_INTERNAL, NLOG_ENOMEM, 0, name,
                       "out of memory creating logger '%.64s'; using the fallback logger", name);
            return &fallback_logger;
        }
        char *stored = (char *) (lg + 1);
        memcpy(stored, name, len);
        stored[len] = '\0';
        lg->name = stored;
        lg->name_len = len;
        lg->head.threshold = threshold_for(lg->name, len);
        lg->head.special = special_bits;
        size_t i = h & (n_buckets - 1);
        lg->next = buckets[i];
        buckets[i] = lg;
        n_loggers++;
    }
    pthread_mutex_unlock(&lock);
    return lg;
}

const char *nlog_logger_name(const nlog_logger *lg)
{
    return lg ? lg->name : "";
}

nlog_level nlog_logger_effective_level(const nlog_logger *lg)
{
    if (!lg)
        return NLOG_LEVEL_INVALID;
    return (nlog_level) __atomic_load_n(&lg->head.threshold, __ATOMIC_RELAXED);
}

static nlog_status set_override_locked(const char *name, size_t len, nlog_level level)
{
    override **pp = &overrides;
    while (*pp && !((*pp)->name_len == len && memcmp((*pp)->name, name, len) == 0))
        pp = &(*pp)->next;
    if (level == NLOG_LEVEL_INVALID) {
        if (*pp) {
            override *dead = *pp;
            *pp = dead->next;
            free(dead);
            n_overrides--;
        }
        return NLOG_OK;
    }
    if (*pp) {
        (*pp)->level = level;
        return NLOG_OK;
    }
    if (n_overrides >= NLOG_LEVEL_OVERRIDES_MAX)
        return NLOG_ELIMIT;
    override *o = malloc(sizeof *o + len + 1);
    if (!o)
        return NLOG_ENOMEM;
    memcpy(o->name, name, len);
    o->name[len] = '\0';
    o->name_len = len;
    o->level = level;
    o->next = overrides;
    overrides = o;
    n_overrides++;
    return NLOG_OK;
}

nlog_status nlog_set_logger_level(const char *name, nlog_level level)
{
    if (!name || (level != NLOG_LEVEL_INVALID && nlog_level_index(level) < 0))
        return NLOG_EINVAL;
    if (!*name)
        name = "root";
    size_t len = strlen(name);
    if (len > NLOG_LOGGER_NAME_MAX)
        len = nlog__utf8_cut(name, len, NLOG_LOGGER_NAME_MAX);
    pthread_mutex_lock(&lock);
    nlog_status st = set_override_locked(name, len, level);
    if (st == NLOG_OK)
        refresh_locked();
    pthread_mutex_unlock(&lock);
    nlog__audit_level(name, level, st); /* after the lock: it logs */
    return st;
}

nlog_status nlog_logger_set_level(nlog_logger *lg, nlog_level level)
{
    if (!lg || nlog_level_index(level) < 0)
        return NLOG_EINVAL;
    return nlog_set_logger_level(lg->name, level);
}

void nlog_logger_clear_level(nlog_logger *lg)
{
    if (lg) {
        nlog_status st = nlog_set_logger_level(lg->name, NLOG_LEVEL_INVALID);
        (void) st; /* removing an override cannot fail */
    }
}

nlog_status nlog_set_level(nlog_level level)
{
    if (nlog_level_index(level) < 0)
        return NLOG_EINVAL;
    pthread_mutex_lock(&lock);
    global_level = (int) level;
    refresh_locked();
    pthread_mutex_unlock(&lock);
    nlog__audit_level(NULL, level, NLOG_OK); /* after the lock: it logs */
    return NLOG_OK;
}

nlog_level nlog_get_level(void)
{
    pthread_mutex_lock(&lock);
    nlog_level l = (nlog_level) global_level;
    pthread_mutex_unlock(&lock);
    return l;
}

static void free_overrides(override *o)
{
    while (o) {
        override *next = o->next;
        free(o);
        o = next;
    }
}

nlog_status nlog__registry_apply(const nlog_config *cfg)
{
    /* Build the new override list aside so a failure changes nothing. */
    pthread_mutex_lock(&lock);
    override *saved = overrides;
    size_t saved_n = n_overrides;
    overrides = NULL;
    n_overrides = 0;
    nlog_status st = NLOG_OK;
    for (size_t i = 0; i < cfg->n_loggers && st == NLOG_OK; i++) {
        const char *nm = cfg->loggers[i].name;
        st = set_override_locked(nm, strnlen(nm, NLOG_LOGGER_NAME_MAX), cfg->loggers[i].level);
    }
    if (st != NLOG_OK) {
        free_overrides(overrides);
        overrides = saved;
        n_overrides = saved_n;
    } else {
        free_overrides(saved);
        global_level = (int) cfg->level;
        special_bits = (cfg->security_enabled ? 1 : 0) | (cfg->audit_enabled ? 2 : 0);
        configured = 1;
        refresh_locked();
    }
    pthread_mutex_unlock(&lock);
    return st;
}

int nlog__registry_configured(void)
{
    return __atomic_load_n(&configured, __ATOMIC_ACQUIRE);
}

void nlog__registry_reset(void)
{
    pthread_mutex_lock(&lock);
    for (size_t b = 0; b < n_buckets; b++) {
        nlog_logger *lg = buckets[b];
        while (lg) {
            nlog_logger *next = lg->next;
            free(lg);
            lg = next;
        }
    }
    free(buckets);
    buckets = NULL;
    n_buckets = 0;
    n_loggers = 0;
    free_overrides(overrides);
    overrides = NULL;
    n_overrides = 0;
    global_level = NLOG_LEVEL_INFO;
    special_bits = 3;
    configured = 0;
    pthread_mutex_unlock(&lock);
}

void nlog__registry_lock(void)
{
    pthread_mutex_lock(&lock);
}

void nlog__registry_unlock(void)
{
    pthread_mutex_unlock(&lock);
}
