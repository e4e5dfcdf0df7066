/* fuzz_proc.c: libFuzzer target for the /proc parsers and the counter
 * arithmetic (src/perf/procparse.c). The first byte picks the parser, the
 * rest is the file's text; all of them also run on the whole input.
 * Properties: no crash, no read past the input (the replay copies each
 * input to an exact-size buffer for ASan), names NUL-terminated and
 * printable, percentages within 0..100.
 * Corpus: tests/fuzz/corpus/proc/ (replayed by CTest as fuzz_proc_replay). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "perf/procparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *n)
{
    size_t len = strnlen(n, NLOG__DEV_NAME_MAX);
    if (len == NLOG__DEV_NAME_MAX)
        abort();
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) n[i] < 0x21 || (unsigned char) n[i] > 0x7e)
            abort();
}

static void all(const char *t, size_t n)
{
    nlog__cpu_times a, b;
    nlog__parse_proc_stat_cpu(t, n, &a);
    b = a;
    b.user += 1;
    double pct = nlog__cpu_percent(&a, &b);
    if (a.have && pct != -1 && (pct < 0 || pct > 100))
        abort();
    nlog__proc_stat ps;
    nlog__parse_proc_self_stat(t, n, &ps);
    nlog__meminfo mi;
    nlog__parse_meminfo(t, n, &mi);
    if (mi.have_total && !mi.have_available && mi.available > mi.total)
        abort();
    nlog__proc_status st;
    nlog__parse_proc_status(t, n, &st);
    double l[3];
    (void) nlog__parse_loadavg(t, n, l);
    nlog__disk d[16];
    size_t nd = nlog__parse_diskstats(t, n, d, 16);
    for (size_t i = 0; i < nd; i++)
        check_name(d[i].name);
    nlog__netif f[16];
    size_t nf = nlog__parse_net_dev(t, n, f, 16);
    for (size_t i = 0; i < nf; i++)
        check_name(f[i].name);
    if (nd > 16 || nf > 16)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    all((const char *) data, size);
    if (size >= 40) { /* five statvfs fields */
        uint64_t v[5];
        memcpy(v, data, sizeof v);
        nlog__fs_usage u;
        nlog__fs_usage_from(v[0], v[1], v[2], v[3], v[4], &u);
        if (u.have && (u.used_percent < 0 || u.used_percent > 100 || u.available > u.free ||
                       u.free > u.total))
            abort();
        for (int bits = 32; bits <= 64; bits += 32) {
            int unknown;
            uint64_t dlt = nlog__counter_delta(v[0], v[1], bits, &unknown);
            if (unknown && dlt != 0)
                abort();
            if (!unknown && v[1] >= v[0] && dlt != v[1] - v[0])
                abort();
            if (bits == 64 && !unknown && v[1] < v[0])
                abort(); /* a 64-bit decrease is never a wrap */
            if ((v[0] == UINT64_MAX || v[1] == UINT64_MAX) && !unknown)
                abort(); /* saturated: unknown */
        }
    }
    return 0;
}
