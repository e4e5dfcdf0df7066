/* fuzz_perf_names.c: libFuzzer target for the metric_names list of the JSON
 * snapshot (what ?metric_names= of the server passes) and the sample name
 * checks (src/perf/names.c).
 * Properties: no crash; every name handed out is a valid metric name within
 * the input; a refusal has a one-line message; at most 256 names.
 * Corpus: tests/fuzz/corpus/perf_names/ (replayed as fuzz_perf_names_replay). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "perf/names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct ctx {
    const char *base;
    size_t size;
    int n;
} ctx;

static void got(const char *name, size_t len, void *user)
{
    ctx *c = user;
    if (name < c->base || name + len > c->base + c->size || len == 0 || len > NLOG_PERF_NAME_MAX)
        abort();
    char buf[NLOG_PERF_NAME_MAX + 1];
    memcpy(buf, name, len);
    buf[len] = '\0';
    if (nlog__perf_name_len(buf) != (long) len)
        abort();
    c->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[512];
    ctx c = {(const char *) data, size, 0};
    why[0] = '\0';
    nlog_status st = nlog__perf_names_split((const char *) data, size, got, &c, why, sizeof why);
    if (st != NLOG_OK && (why[0] == '\0' || strchr(why, '\n')))
        abort();
    if (c.n > 256)
        abort();
    /* the same bytes as a name, a unit and a tag */
    char s[512];
    size_t n = size < sizeof s - 1 ? size : sizeof s - 1;
    memcpy(s, data, n);
    s[n] = '\0';
    nlog_tag tag = {s, s};
    nlog__perf_lens lens;
    (void) nlog__perf_check(s, s, &tag, 1, &lens);
    return 0;
}
