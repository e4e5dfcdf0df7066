/* category.c: built-in and registered categories.
 *
 * Custom names are appended to a fixed array and never removed, so a name
 * pointer handed out stays valid for the life of the process and lookups by
 * id need no lock: the count is published with release ordering after the
 * entry is written.
 * Tested by: tests/unit/core/test_category.c */
#include <pthread.h>
#include <string.h>

#include <nlog/category.h>

#include "core/core.h"

#define CUSTOM_BASE 32 /* ids of custom categories start here */

static const char *const builtin[NLOG_CAT_BUILTIN_COUNT] = {
    "application", "system", "security", "performance", "api",
    "database",    "network", "auth",    "audit",
};

static pthread_mutex_t custom_lock = PTHREAD_MUTEX_INITIALIZER;
static char custom_names[NLOG_CATEGORY_CUSTOM_MAX][NLOG_CATEGORY_NAME_MAX + 1];
static unsigned custom_count;

const char *nlog_category_name(nlog_category cat)
{
    unsigned c = (unsigned) cat;
    if (c < NLOG_CAT_BUILTIN_COUNT)
        return builtin[c];
    if (c >= CUSTOM_BASE && c - CUSTOM_BASE < __atomic_load_n(&custom_count, __ATOMIC_ACQUIRE))
        return custom_names[c - CUSTOM_BASE];
    return NULL;
}

nlog_status nlog_category_validate(const char *name)
{
    if (!name)
        return NLOG_EINVAL;
    size_t n = 0;
    for (const char *p = name; *p; p++, n++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                 c == '-';
        if (!ok || n >= NLOG_CATEGORY_NAME_MAX)
            return NLOG_EINVAL;
    }
    return n == 0 ? NLOG_EINVAL : NLOG_OK;
}

nlog_status nlog_category_find(const char *name, nlog_category *ret_cat)
{
    if (!name || !ret_cat)
        return NLOG_EINVAL;
    for (unsigned i = 0; i < NLOG_CAT_BUILTIN_COUNT; i++) {
        if (strcmp(name, builtin[i]) == 0) {
            *ret_cat = (nlog_category) i;
            return NLOG_OK;
        }
    }
    unsigned n = __atomic_load_n(&custom_count, __ATOMIC_ACQUIRE);
    for (unsigned i = 0; i < n; i++) {
        if (strcmp(name, custom_names[i]) == 0) {
            *ret_cat = (nlog_category) (CUSTOM_BASE + i);
            return NLOG_OK;
        }
    }
    return nlog_category_validate(name) == NLOG_OK ? NLOG_ENOTFOUND : NLOG_EINVAL;
}

nlog_status nlog_category_register(const char *name, nlog_category *ret_cat)
{
    if (!ret_cat)
        return NLOG_EINVAL;
    if (nlog_category_validate(name) != NLOG_OK) {
        nlog__set_errmsg("invalid category name '%.64s%s': a category is 1 to %d characters from "
                         "a-z, 0-9, '_', '.' and '-'",
                         name ? name : "(null)", name && strlen(name) > 64 ? "..." : "",
                         NLOG_CATEGORY_NAME_MAX);
        return NLOG_EINVAL;
    }
    nlog_status st = NLOG_OK;
    pthread_mutex_lock(&custom_lock);
    if (nlog_category_find(name, ret_cat) != NLOG_OK) {
        if (custom_count >= NLOG_CATEGORY_CUSTOM_MAX) {
            nlog__set_errmsg("too many custom categories (the limit is %d)",
                             NLOG_CATEGORY_CUSTOM_MAX);
            st = NLOG_ELIMIT;
        } else {
            memcpy(custom_names[custom_count], name, strlen(name) + 1);
            *ret_cat = (nlog_category) (CUSTOM_BASE + custom_count);
            __atomic_store_n(&custom_count, custom_count + 1, __ATOMIC_RELEASE);
        }
    }
    pthread_mutex_unlock(&custom_lock);
    return st;
}
