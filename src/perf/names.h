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
