/* names.c: see names.h. Character classes are a constant table so the
 * recording path checks a byte with one load. */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "perf/names.h"

enum { C_NAME_FIRST = NLOG__C_NAME_FIRST, C_NAME = NLOG__C_NAME, C_KEY_FIRST = NLOG__C_KEY_FIRST,
       C_KEY = NLOG__C_KEY, C_UNIT = NLOG__C_UNIT };

/* The class table, computed by the compiler: no initialisation at run time. */
#define ALPHA(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define DIGIT(c) ((c) >= '0' && (c) <= '9')
#define CLS(c)                                                                               \
    (unsigned char) (((ALPHA(c) || (c) == '_' || (c) == ':') ? C_NAME_FIRST : 0) |           \
                     ((ALPHA(c) || DIGIT(c) || (c) == '_' || (c) == ':') ? C_NAME : 0) |     \
                     ((ALPHA(c) || (c) == '_') ? C_KEY_FIRST : 0) |                          \
                     ((ALPHA(c) || DIGIT(c) || (c) == '_') ? C_KEY : 0) |                    \
                     ((ALPHA(c) || DIGIT(c) || (c) == '_' || (c) == '%' || (c) == '/' ||     \
                       (c) == '.' || (c) == '-') ? C_UNIT : 0))
#define CLS4(c) CLS(c), CLS((c) + 1), CLS((c) + 2), CLS((c) + 3)
#define CLS16(c) CLS4(c), CLS4((c) + 4), CLS4((c) + 8), CLS4((c) + 12)
#define CLS64(c) CLS16(c), CLS16((c) + 16), CLS16((c) + 32), CLS16((c) + 48)
const unsigned char nlog__perf_cls[256] = {CLS64(0), CLS64(64), CLS64(128), CLS64(192)};
#define cls nlog__perf_cls

static const char name_rule[] =
    "names of 1 to 128 characters from a-z, A-Z, 0-9, '_' and ':', not starting with a digit";
static const char key_rule[] =
    "tag keys of 1 to 64 characters from a-z, A-Z, 0-9 and '_', not starting with a digit";

/* Length of s if every byte is in class `rest` (the first in `first`) and it
 * has 1..max bytes, else -1. strlen() is the C library's vectorised one; the
 * class test then accumulates without a branch per byte. */
static long measure(const char *s, unsigned first, unsigned rest, size_t max)
{
    size_t n = strlen(s);
    if (NLOG_UNLIKELY(n == 0 || n > max))
        return -1;
    const unsigned char *p = (const unsigned char *) s;
    unsigned ok = cls[p[0]] & first;
    unsigned all = rest;
    for (size_t i = 1; i < n; i++)
        all &= cls[p[i]];
    return ok && (all & rest) ? (long) n : -1;
}

long nlog__perf_name_len(const char *name)
{
    if (!name)
        return -1;
    return measure(name, C_NAME_FIRST, C_NAME, NLOG_PERF_NAME_MAX);
}

nlog_status nlog__perf_check(const char *name, const char *unit, const nlog_tag *tags,
                             size_t n_tags, nlog__perf_lens *lens)
{
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
            if (lens->key[j] == (uint16_t) kl && tags[j].key[0] == k[0] &&
                memcmp(tags[j].key, k, (size_t) kl) == 0) {
                nlog__set_errmsg("metric '%s': tag '%s' given twice", name, k);
                return NLOG_EINVAL;
            }
        }
        lens->key[i] = (uint16_t) kl;
        lens->value[i] = (uint16_t) vl;
    }
    return NLOG_OK;
}

nlog_status nlog__perf_check_reserved(const char *name, nlog_metric_kind kind, const nlog_tag *tags,
                                      size_t n_tags)
{
    if (nlog__perf_reserved_name(name, (long) strlen(name))) {
        nlog__set_errmsg("metric name '%.64s' is reserved: names starting with 'nlog_' are the "
                         "library's own metrics (nlog_perf_prometheus() exports them)",
                         name);
        return NLOG_EINVAL;
    }
    for (size_t i = 0; i < n_tags; i++) {
        const char *k = tags[i].key;
        if (nlog__perf_reserved_key(k, (long) strlen(k), kind)) {
            nlog__set_errmsg("metric '%s': tag key '%.40s' is reserved: %s", name, k,
                             k[0] == '_' ? "keys starting with '__' are Prometheus' own"
                                         : "timers and values are exported as summaries, whose "
                                           "'quantile' label it would duplicate");
            return NLOG_EINVAL;
        }
    }
    return NLOG_OK;
}

nlog_status nlog__perf_names_split(const char *list, size_t len,
                                   void (*fn)(const char *name, size_t len, void *user),
                                   void *user, char *why, size_t why_size)
{
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
