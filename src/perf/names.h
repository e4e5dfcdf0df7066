/* names.h (internal): the rules for metric names, tag keys and values and
 * units (see perf.h), and the metric_names list of the JSON snapshot.
 *
 * The checks run on the recording thread, so they are single passes that
 * also measure the strings; a failure writes "what; accepted: ..." into the
 * thread's nlog_errmsg().
 * Tested by: tests/unit/perf/test_names.c, tests/fuzz/fuzz_perf_names.c */
#ifndef NLOG_PERF_NAMES_H
#define NLOG_PERF_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <nlog/perf.h>

/* Lengths of a checked sample's strings. */
typedef struct nlog__perf_lens {
    uint16_t name;
    uint16_t unit;
    uint16_t key[NLOG_PERF_TAGS_MAX];
    uint16_t value[NLOG_PERF_TAGS_MAX];
} nlog__perf_lens;

/* Checks name, unit (NULL: none) and tags, fills *lens. Returns NLOG_OK or
 * NLOG_EINVAL with nlog_errmsg() set. */
nlog_status nlog__perf_check(const char *name, const char *unit, const nlog_tag *tags,
                             size_t n_tags, nlog__perf_lens *lens);

/* The character classes behind the rules (one byte per character). */
enum { NLOG__C_NAME_FIRST = 1, NLOG__C_NAME = 2, NLOG__C_KEY_FIRST = 4, NLOG__C_KEY = 8,
       NLOG__C_UNIT = 16 };
extern const unsigned char nlog__perf_cls[256];

/* Copies the NUL-terminated s into dst while checking it, in one pass: the
 * first byte in class `first`, the others in `rest`, 1..max bytes. Returns
 * the length, or -1 (dst then holds a partial copy). dst has room for max.
 * Eight bytes per bound check: the classes exclude NUL, so a block stops at
 * the string's end without reading past it. */
static inline long nlog__perf_copy_checked(char *dst, const char *s, unsigned first,
                                           unsigned rest, size_t max)
{
    const unsigned char *p = (const unsigned char *) s;
    if (!(nlog__perf_cls[p[0]] & first))
        return -1;
    dst[0] = (char) p[0];
    size_t n = 1;
    while (n + 8 <= max) {
#define NLOG__STEP(k)                                                                         \
    if (!(nlog__perf_cls[p[n + k]] & rest)) {                                                 \
        n += k;                                                                               \
        goto end;                                                                             \
    }                                                                                         \
    dst[n + k] = (char) p[n + k];
        NLOG__STEP(0) NLOG__STEP(1) NLOG__STEP(2) NLOG__STEP(3)
        NLOG__STEP(4) NLOG__STEP(5) NLOG__STEP(6) NLOG__STEP(7)
#undef NLOG__STEP
        n += 8;
    }
    while (n < max && (nlog__perf_cls[p[n]] & rest)) {
        dst[n] = (char) p[n];
        n++;
    }
end:
    return p[n] == 0 ? (long) n : -1;
}

/* Copies a tag value (any bytes up to its NUL, at most max) into dst.
 * Returns the length, or -1 if it is longer. */
static inline long nlog__perf_copy_value(char *dst, const char *s, size_t max)
{
    size_t n = 0;
    while (n + 8 <= max) {
#define NLOG__STEP(k)                                                                         \
    if (!s[n + k]) {                                                                          \
        n += k;                                                                               \
        goto end;                                                                             \
    }                                                                                         \
    dst[n + k] = s[n + k];
        NLOG__STEP(0) NLOG__STEP(1) NLOG__STEP(2) NLOG__STEP(3)
        NLOG__STEP(4) NLOG__STEP(5) NLOG__STEP(6) NLOG__STEP(7)
#undef NLOG__STEP
        n += 8;
    }
    while (n < max && s[n]) {
        dst[n] = s[n];
        n++;
    }
end:
    return s[n] == 0 ? (long) n : -1;
}

/* Reserved names (perf.h): "nlog_..." metric names, "__..." tag keys, and
 * the tag key "quantile" on timers and values. Checks on copied bytes, for
 * the recording path. */
static inline int nlog__perf_reserved_name(const char *p, long n)
{
    return n >= 5 && p[0] == 'n' && memcmp(p, "nlog_", 5) == 0;
}
static inline int nlog__perf_reserved_key(const char *p, long n, nlog_metric_kind kind)
{
    return (n >= 2 && p[0] == '_' && p[1] == '_') ||
           ((kind == NLOG_METRIC_TIMER || kind == NLOG_METRIC_VALUE) && n == 8 && p[0] == 'q' &&
            memcmp(p, "quantile", 8) == 0);
}
/* The same for checked strings, with the message: NLOG_OK or NLOG_EINVAL
 * with nlog_errmsg() set. */
nlog_status nlog__perf_check_reserved(const char *name, nlog_metric_kind kind, const nlog_tag *tags,
                                      size_t n_tags);

/* Length of a valid metric name, or -1. */
long nlog__perf_name_len(const char *name);

/* Splits a comma-separated list of metric names (blanks around names are
 * ignored, empty items skipped). Calls fn(name, len, user) for each valid
 * name; stops and returns NLOG_EINVAL at the first invalid one, with
 * "metric_names: ... at position N; accepted: ..." in *why (size why_size).
 * At most 256 names and 16384 bytes of text. */
nlog_status nlog__perf_names_split(const char *list, size_t len,
                                   void (*fn)(const char *name, size_t len, void *user),
                                   void *user, char *why, size_t why_size);

#endif /* NLOG_PERF_NAMES_H */
