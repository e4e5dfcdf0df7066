/* procparse.c: see procparse.h. A small cursor type walks the text; numbers
 * are read digit by digit (strtoull and strtod follow the locale and need a
 * NUL), saturating at UINT64_MAX. */
#include <string.h>

#include "perf/procparse.h"

typedef struct cur {
    const char *p, *end;
} cur;

static int at_end(const cur *c)
{
    return c->p >= c->end;
}

static void skip_blanks(cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

static void next_line(cur *c)
{
    const char *nl = memchr(c->p, '\n', (size_t) (c->end - c->p));
    c->p = nl ? nl + 1 : c->end;
}

/* The end of the current line. */
static const char *line_end(const cur *c)
{
    const char *nl = memchr(c->p, '\n', (size_t) (c->end - c->p));
    return nl ? nl : c->end;
}

/* Reads an unsigned decimal number; 0 if there is none (then *ok = 0). */
static uint64_t read_u64(cur *c, const char *limit, int *ok)
{
    skip_blanks(c);
    uint64_t v = 0;
    int digits = 0;
    while (c->p < limit && *c->p >= '0' && *c->p <= '9') {
        unsigned d = (unsigned) (*c->p - '0');
        v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
        c->p++;
        digits++;
    }
    if (ok)
        *ok = digits > 0;
    return v;
}

/* "12.34" (no sign, no exponent) as a double; *ok = 0 without digits. */
static double read_decimal(cur *c, const char *limit, int *ok)
{
    int whole_ok, frac_digits = 0;
    uint64_t whole = read_u64(c, limit, &whole_ok);
    double v = (double) whole;
    if (c->p < limit && *c->p == '.') {
        c->p++;
        double scale = 0.1;
        while (c->p < limit && *c->p >= '0' && *c->p <= '9') {
            if (frac_digits < 18)
                v += (*c->p - '0') * scale;
            scale /= 10;
            frac_digits++;
            c->p++;
        }
    }
    *ok = whole_ok || frac_digits > 0;
    return v;
}

/* Whether the line starts with `word` followed by a blank or ':'. */
static int line_is(const cur *c, const char *word)
{
    size_t n = strlen(word);
    return (size_t) (c->end - c->p) > n && memcmp(c->p, word, n) == 0 &&
           (c->p[n] == ' ' || c->p[n] == '\t' || c->p[n] == ':');
}

void nlog__parse_proc_stat_cpu(const char *text, size_t len, nlog__cpu_times *out)
{
    memset(out, 0, sizeof *out);
    cur c = {text, text + len};
    for (; !at_end(&c); next_line(&c)) {
        if (!line_is(&c, "cpu"))
            continue;
        const char *le = line_end(&c);
        c.p += 3;
        uint64_t v[8] = {0};
        int ok = 1, n = 0;
        for (; n < 8; n++) {
            int one;
            v[n] = read_u64(&c, le, &one);
            if (!one)
                break;
        }
        ok = n >= 4; /* very old kernels have no iowait...steal */
        if (!ok)
            return;
        out->user = v[0];
        out->nice = v[1];
        out->system = v[2];
        out->idle = v[3];
        out->iowait = v[4];
        out->irq = v[5];
        out->softirq = v[6];
        out->steal = v[7];
        out->have = 1;
        return;
    }
}

void nlog__parse_proc_self_stat(const char *text, size_t len, nlog__proc_stat *out)
{
    memset(out, 0, sizeof *out);
    /* "pid (comm) state ...": comm may hold spaces and ')', so the fields
     * start after the last ')'. */
    const char *close = NULL;
    for (const char *p = text; p < text + len; p++)
        if (*p == ')')
            close = p;
    if (!close)
        return;
    cur c = {close + 1, text + len};
    const char *le = line_end(&c);
    /* field 3 is the state letter; then fields 4.. are numbers (some signed) */
    skip_blanks(&c);
    if (c.p >= le)
        return;
    c.p++; /* state */
    uint64_t f[25] = {0};
    int have = 0;
    for (int i = 4; i <= 24; i++) {
        skip_blanks(&c);
        if (c.p < le && *c.p == '-') { /* a negative field (priority, nice): not one we use */
            c.p++;
        }
        int ok;
        f[i] = read_u64(&c, le, &ok);
        if (!ok)
            break;
        have = i;
    }
    if (have < 24)
        return;
    out->utime = f[14];
    out->stime = f[15];
    out->threads = f[20];
    out->rss_pages = f[24];
    out->have = 1;
}

/* "Key:   123 kB" lines. */
static int kv_line(cur *c, const char *key, uint64_t *out)
{
    if (!line_is(c, key))
        return 0;
    const char *le = line_end(c);
    cur v = {c->p + strlen(key), le};
    if (v.p < le && *v.p == ':')
        v.p++;
    int ok;
    uint64_t n = read_u64(&v, le, &ok);
    if (!ok)
        return 0;
    skip_blanks(&v);
    if (le - v.p >= 2 && (v.p[0] == 'k' || v.p[0] == 'K') && (v.p[1] == 'B' || v.p[1] == 'b'))
        n = n > UINT64_MAX / 1024 ? UINT64_MAX : n * 1024;
    *out = n;
    return 1;
}

void nlog__parse_meminfo(const char *text, size_t len, nlog__meminfo *out)
{
    memset(out, 0, sizeof *out);
    cur c = {text, text + len};
    for (; !at_end(&c); next_line(&c)) {
        if (kv_line(&c, "MemTotal", &out->total))
            out->have_total = 1;
        else if (kv_line(&c, "MemAvailable", &out->available))
            out->have_available = 1;
        else if (kv_line(&c, "MemFree", &out->free) || kv_line(&c, "Buffers", &out->buffers) ||
                 kv_line(&c, "Cached", &out->cached))
            continue;
    }
    if (!out->have_available && out->have_total) {
        /* kernels before 3.14: the classic estimate */
        uint64_t a = out->free + out->buffers;
        a = a < out->free ? UINT64_MAX : a + out->cached < a ? UINT64_MAX : a + out->cached;
        out->available = a > out->total ? out->total : a;
    }
}

void nlog__parse_proc_status(const char *text, size_t len, nlog__proc_status *out)
{
    memset(out, 0, sizeof *out);
    cur c = {text, text + len};
    for (; !at_end(&c); next_line(&c)) {
        if (kv_line(&c, "VmRSS", &out->rss_bytes))
            out->have_rss = 1;
        else if (kv_line(&c, "Threads", &out->threads))
            out->have_threads = 1;
    }
}

int nlog__parse_loadavg(const char *text, size_t len, double out[3])
{
    cur c = {text, text + len};
    const char *le = line_end(&c);
    for (int i = 0; i < 3; i++) {
        int ok;
        out[i] = read_decimal(&c, le, &ok);
        if (!ok) {
            out[0] = out[1] = out[2] = 0;
            return 0;
        }
    }
    return 1;
}

/* A device/interface name token of the line into dst (cut to fit). */
static int read_name(cur *c, const char *limit, char *dst, char stop)
{
    skip_blanks(c);
    size_t n = 0;
    while (c->p < limit && *c->p != ' ' && *c->p != '\t' && *c->p != stop) {
        unsigned char ch = (unsigned char) *c->p;
        if (n + 1 < NLOG__DEV_NAME_MAX)
            dst[n++] = (ch < 0x21 || ch > 0x7e) ? '?' : (char) ch;
        c->p++;
    }
    dst[n] = '\0';
    return n > 0;
}

size_t nlog__parse_diskstats(const char *text, size_t len, nlog__disk *out, size_t max)
{
    size_t n = 0;
    cur c = {text, text + len};
    for (; !at_end(&c) && n < max; next_line(&c)) {
        const char *le = line_end(&c);
        cur l = {c.p, le};
        nlog__disk d;
        memset(&d, 0, sizeof d);
        int ok1, ok2;
        d.major = (unsigned) read_u64(&l, le, &ok1);
        d.minor = (unsigned) read_u64(&l, le, &ok2);
        if (!ok1 || !ok2 || !read_name(&l, le, d.name, '\0'))
            continue;
        uint64_t f[8];
        int ok = 1;
        for (int i = 0; i < 8 && ok; i++)
            f[i] = read_u64(&l, le, &ok);
        if (!ok)
            continue;
        /* reads completed, merged, sectors read, ms; writes completed, merged, sectors, ms */
        d.reads = f[0];
        d.read_sectors = f[2];
        d.writes = f[4];
        d.write_sectors = f[6];
        out[n++] = d;
    }
    return n;
}

size_t nlog__parse_net_dev(const char *text, size_t len, nlog__netif *out, size_t max)
{
    size_t n = 0;
    cur c = {text, text + len};
    for (; !at_end(&c) && n < max; next_line(&c)) {
        const char *le = line_end(&c);
        const char *colon = memchr(c.p, ':', (size_t) (le - c.p));
        if (!colon) /* the two header lines */
            continue;
        cur l = {c.p, colon};
        nlog__netif f;
        memset(&f, 0, sizeof f);
        if (!read_name(&l, colon, f.name, ':'))
            continue;
        l.p = colon + 1;
        l.end = le;
        uint64_t v[16];
        int ok = 1;
        for (int i = 0; i < 16 && ok; i++)
            v[i] = read_u64(&l, le, &ok);
        if (!ok)
            continue;
        f.rx_bytes = v[0];
        f.rx_packets = v[1];
        f.rx_errors = v[2];
        f.rx_drops = v[3];
        f.tx_bytes = v[8];
        f.tx_packets = v[9];
        f.tx_errors = v[10];
        f.tx_drops = v[11];
        out[n++] = f;
    }
    return n;
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

void nlog__fs_usage_from(uint64_t frsize, uint64_t bsize, uint64_t blocks, uint64_t bfree,
                         uint64_t bavail, nlog__fs_usage *out)
{
    memset(out, 0, sizeof *out);
    uint64_t unit = frsize ? frsize : bsize;
    if (unit == 0 || blocks == 0)
        return;
    if (bfree > blocks)
        bfree = blocks;
    if (bavail > bfree)
        bavail = bfree;
    out->total = mul_sat(blocks, unit);
    out->free = mul_sat(bfree, unit);
    out->available = mul_sat(bavail, unit);
    double used = (double) (blocks - bfree);
    double denom = used + (double) bavail;
    out->used_percent = denom > 0 ? 100.0 * (used / denom) : 0.0; /* a ratio <= 1 first: <= 100 */
    out->have = 1;
}

uint64_t nlog__counter_delta(uint64_t prev, uint64_t now, int bits, int *ret_unknown)
{
    if (ret_unknown)
        *ret_unknown = 0;
    if (prev != UINT64_MAX && now != UINT64_MAX) {
        if (now >= prev)
            return now - prev;
        if (bits == 32 && prev > UINT32_MAX / 2 && prev <= UINT32_MAX && now <= UINT32_MAX)
            return (uint64_t) UINT32_MAX - prev + 1 + now; /* a 32-bit counter wrapped */
    }
    if (ret_unknown)
        *ret_unknown = 1;
    return 0;
}

/* b - a of one CPU time; 0 with *down set when it went backwards. */
static uint64_t tick_delta(uint64_t a, uint64_t b, int *down)
{
    if (b < a) {
        *down = 1;
        return 0;
    }
    return b - a;
}

double nlog__cpu_percent(const nlog__cpu_times *a, const nlog__cpu_times *b)
{
    if (!a->have || !b->have)
        return -1;
    int down = 0, io_down = 0;
    /* sums in double: six 64-bit deltas could wrap a uint64_t */
    double busy = (double) tick_delta(a->user, b->user, &down) +
                  (double) tick_delta(a->nice, b->nice, &down) +
                  (double) tick_delta(a->system, b->system, &down) +
                  (double) tick_delta(a->irq, b->irq, &down) +
                  (double) tick_delta(a->softirq, b->softirq, &down) +
                  (double) tick_delta(a->steal, b->steal, &down);
    double idle = (double) tick_delta(a->idle, b->idle, &down);
    double io = (double) tick_delta(a->iowait, b->iowait, &io_down); /* may go down: then 0 */
    double total = busy + idle + io;
    if (down || !(total > 0))
        return -1;
    double pct = 100.0 * (busy / total);
    return pct > 100.0 ? 100.0 : pct;
}
