/* names.c: see names.h. Character classes are a table so the recording path
 * checks a byte with one load; it is filled once (pthread_once). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "perf/names.h"

enum { C_NAME_FIRST = 1, C_NAME = 2, C_KEY_FIRST = 4, C_KEY = 8, C_UNIT = 16 };

static unsigned char cls[256];
static pthread_once_t cls_once = PTHREAD_ONCE_INIT;

static void init_classes(void)
{
    for (int c = 0; c < 256; c++) {
        unsigned char v = 0;
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        int digit = c >= '0' && c <= '9';
        if (alpha || c == '_' || c == ':')
            v |= C_NAME_FIRST;
        if (alpha || digit || c == '_' || c == ':')
            v |= C_NAME;
        if (alpha || c == '_')
            v |= C_KEY_FIRST;
        if (alpha || digit || c == '_')
            v |= C_KEY;
        if (alpha || digit || c == '_' || c == '%' || c == '/' || c == '.' || c == '-')
            v |= C_UNIT;
        cls[c] = v;
    }
}

static inline void ensure_classes(void)
{
    (void) pthread_once(&cls_once, init_classes);
}

static const char name_rule[] =
    "names of 1 to 128 characters from a-z, A-Z, 0-9, '_' and ':', not starting with a digit";
static const char key_rule[] =
    "tag keys of 1 to 64 characters from a-z, A-Z, 0-9 and '_', not starting with a digit";

/* Length of s if every byte is in class `rest` (the first in `first`) and it
 * has 1..max bytes, else -1. */
static long measure(const char *s, unsigned first, unsigned rest, size_t max)
{
    const unsigned char *p = (const unsigned char *) s;
    if (!(cls[p[0]] & first))
        return -1;
    size_t n = 1;
    while (p[n]) {
        if (!(cls[p[n]] & rest) || n >= max)
            return -1;
        n++;
    }
    return (long) n;
}

long nlog__perf_name_len(const char *name)
{
    ensure_classes();
    if (!name)
        return -1;
    return measure(name, C_NAME_FIRST, C_NAME, NLOG_PERF_NAME_MAX);
}

nlog_status nlog__perf_check(const char *name, const char *unit, const nlog_tag *tags,
                             size_t n_tags, nlog__perf_lens *lens)
{
    ensure_classes();
    long n = name ? measure(name, C_NAME_FIRST, C_NAME, NLOG_PERF_NAME_MAX) : -1;
    if (NLOG_UNLIKELY(n < 0)) {
        nlog__set_errmsg("invalid metric name '%.64s%s'; accepted: %s", name ? name : "(null)",
                         name && strlen(name) > 64 ? "..." : "", name_rule);
        return NLOG_EINVAL;
    }
    lens->name = (uint16_t) n;
    lens->unit = 0;
    if (unit && unit[0]) {
        long u = measure(unit, C_UNIT, C_UNIT, NLOG_PERF_UNIT_MAX);
        if (NLOG_UNLIKELY(u < 0)) {
            nlog__set_errmsg("metric '%s': invalid unit '%.40s'; accepted: up to 32 characters "
                             "from a-z, A-Z, 0-9, '_', '%%', '/', '.' and '-'",
                             name, unit);
            return NLOG_EINVAL;
        }
        lens->unit = (uint16_t) u;
    }
    if (NLOG_UNLIKELY(n_tags > NLOG_PERF_TAGS_MAX)) {
        nlog__set_errmsg("metric '%s': %zu tags; accepted: at most %d", name, n_tags,
                         NLOG_PERF_TAGS_MAX);
        return NLOG_EINVAL;
    }
    if (n_tags && !tags) {
        nlog__set_errmsg("metric '%s': %zu tags but the tag array is NULL", name, n_tags);
        return NLOG_EINVAL;
    }
    for (size_t i = 0; i < n_tags; i++) {
        const char *k = tags[i].key, *v = tags[i].value;
        long kl = k ? measure(k, C_KEY_FIRST, C_KEY, NLOG_PERF_TAG_KEY_MAX) : -1;
        if (NLOG_UNLIKELY(kl < 0)) {
            nlog__set_errmsg("metric '%s': invalid tag key '%.40s'; accepted: %s", name,
                             k ? k : "(null)", key_rule);
            return NLOG_EINVAL;
        }
        if (NLOG_UNLIKELY(!v)) {
            nlog__set_errmsg("metric '%s': tag '%s' has a NULL value", name, k);
            return NLOG_EINVAL;
        }
        size_t vl = strnlen(v, NLOG_PERF_TAG_VALUE_MAX + 1);
        if (NLOG_UNLIKELY(vl > NLOG_PERF_TAG_VALUE_MAX)) {
            nlog__set_errmsg("metric '%s': the value of tag '%s' is longer than %d bytes", name,
                             k, NLOG_PERF_TAG_VALUE_MAX);
            return NLOG_EINVAL;
        }
        for (size_t j = 0; j < i; j++) {
            if (lens->key[j] == (uint16_t) kl && memcmp(tags[j].key, k, (size_t) kl) == 0) {
                nlog__set_errmsg("metric '%s': tag '%s' given twice", name, k);
                return NLOG_EINVAL;
            }
        }
        lens->key[i] = (uint16_t) kl;
        lens->value[i] = (uint16_t) vl;
    }
    return NLOG_OK;
}

nlog_status nlog__perf_names_split(const char *list, size_t len,
                                   void (*fn)(const char *name, size_t len, void *user),
                                   void *user, char *why, size_t why_size)
{
    ensure_classes();
    if (len > 16384) {
        snprintf(why, why_size, "metric_names: the list is %zu bytes long; accepted: at most "
                 "16384 bytes", len);
        return NLOG_EINVAL;
    }
    size_t i = 0, count = 0;
    while (i < len) {
        while (i < len && (list[i] == ' ' || list[i] == '\t' || list[i] == ','))
            i++;
        if (i >= len)
            break;
        size_t start = i;
        while (i < len && list[i] != ',')
            i++;
        size_t end = i;
        while (end > start && (list[end - 1] == ' ' || list[end - 1] == '\t'))
            end--;
        size_t n = end - start;
        int ok = n >= 1 && n <= NLOG_PERF_NAME_MAX &&
                 (cls[(unsigned char) list[start]] & C_NAME_FIRST);
        for (size_t k = start + 1; ok && k < end; k++)
            ok = (cls[(unsigned char) list[k]] & C_NAME) != 0;
        if (!ok) {
            char shown[48];
            size_t m = 0;
            for (size_t k = start; k < end && m + 5 < sizeof shown; k++) {
                unsigned char c = (unsigned char) list[k];
                if (c < 0x20 || c >= 0x7f)
                    m += (size_t) snprintf(shown + m, sizeof shown - m, "\\x%02x", c);
                else
                    shown[m++] = (char) c;
            }
            shown[m] = '\0';
            snprintf(why, why_size,
                     "metric_names: invalid metric name '%s%s' at position %zu; accepted: a "
                     "comma-separated list of %s",
                     shown, m + 5 >= sizeof shown ? "..." : "", start + 1, name_rule);
            return NLOG_EINVAL;
        }
        if (++count > 256) {
            snprintf(why, why_size, "metric_names: more than 256 names; accepted: at most 256");
            return NLOG_EINVAL;
        }
        fn(list + start, n, user);
    }
    return NLOG_OK;
}
