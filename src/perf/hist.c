/* hist.c: see hist.h. The bin of a value comes from its IEEE-754 bits
 * (exponent and top mantissa bits), so indexing needs no log(). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "perf/hist.h"

#define COUNT_MASK ((UINT64_C(1) << 48) - 1)
#define SUB (1u << NLOG__HIST_SUB_BITS)

unsigned nlog__hist_index(double x)
{
    double m = fabs(x);
    if (!(m >= 0x1p-40))
        return NLOG__HIST_ZERO; /* zero, tiny, (NaN never reaches here) */
    unsigned pos;
    if (m >= 0x1p50) {
        pos = NLOG__HIST_HALF - 1;
    } else {
        uint64_t u;
        memcpy(&u, &m, sizeof u);
        int e = (int) ((u >> 52) & 0x7ff) - 1023;
        unsigned j = (unsigned) (u >> (52 - NLOG__HIST_SUB_BITS)) & (SUB - 1);
        pos = (unsigned) (e - NLOG__HIST_EXP_MIN) * SUB + j;
    }
    return x < 0 ? NLOG__HIST_ZERO - 1 - pos : NLOG__HIST_ZERO + 1 + pos;
}

double nlog__hist_value(unsigned index)
{
    if (index == NLOG__HIST_ZERO || index >= NLOG__HIST_BINS)
        return 0.0;
    int neg = index < NLOG__HIST_ZERO;
    unsigned pos = neg ? NLOG__HIST_ZERO - 1 - index : index - NLOG__HIST_ZERO - 1;
    int e = (int) (pos / SUB) + NLOG__HIST_EXP_MIN;
    unsigned j = pos % SUB;
    double v = ldexp(1.0 + ((double) j + 0.5) / SUB, e);
    return neg ? -v : v;
}

/* First word whose bin is >= index. */
static uint32_t lower_bound(const nlog__hist *h, unsigned index)
{
    uint64_t key = (uint64_t) index << 48;
    uint32_t lo = 0, hi = h->len;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (h->bins[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static long grow(nlog__hist *h, size_t limit)
{
    uint32_t ncap = h->cap ? h->cap * 2 : 4;
    size_t more = (size_t) (ncap - h->cap) * sizeof *h->bins;
    if (more > limit)
        return -1;
    uint64_t *nb = realloc(h->bins, (size_t) ncap * sizeof *nb);
    if (!nb)
        return -1;
    h->bins = nb;
    h->cap = ncap;
    return (long) more;
}

long nlog__hist_reserve(nlog__hist *h, unsigned index, size_t limit)
{
    uint32_t i = lower_bound(h, index);
    if ((i < h->len && (h->bins[i] >> 48) == index) || h->len < h->cap)
        return 0;
    return grow(h, limit);
}

long nlog__hist_add(nlog__hist *h, unsigned index, uint64_t n, size_t limit)
{
    uint32_t i = lower_bound(h, index);
    if (i < h->len && (h->bins[i] >> 48) == index) {
        uint64_t c = (h->bins[i] & COUNT_MASK) + n;
        if (c > COUNT_MASK)
            c = COUNT_MASK;
        h->bins[i] = ((uint64_t) index << 48) | c;
        return 0;
    }
    long grew = 0;
    if (h->len == h->cap && (grew = grow(h, limit)) < 0)
        return -1;
    memmove(h->bins + i + 1, h->bins + i, (size_t) (h->len - i) * sizeof *h->bins);
    h->bins[i] = ((uint64_t) index << 48) | (n > COUNT_MASK ? COUNT_MASK : n);
    h->len++;
    return grew;
}

size_t nlog__hist_bytes(const nlog__hist *h)
{
    return (size_t) h->cap * sizeof *h->bins;
}

void nlog__hist_free(nlog__hist *h)
{
    free(h->bins);
    h->bins = NULL;
    h->len = h->cap = 0;
}

void nlog__hist_merge_dense(const nlog__hist *h, uint64_t *dense)
{
    for (uint32_t i = 0; i < h->len; i++)
        dense[h->bins[i] >> 48] += h->bins[i] & COUNT_MASK;
}

double nlog__hist_quantile(const uint64_t *dense, uint64_t total, double q, double min,
                           double max)
{
    if (total == 0)
        return NAN;
    /* nearest rank: the smallest value with at least ceil(q * total) samples at or below it */
    double r = ceil(q * (double) total);
    uint64_t rank = r < 1 ? 1 : r > (double) total ? total : (uint64_t) r;
    if (rank == total)
        return max; /* the largest sample is known exactly */
    if (rank == 1)
        return min;
    uint64_t seen = 0;
    for (unsigned i = 0; i < NLOG__HIST_BINS; i++) {
        seen += dense[i];
        if (seen >= rank) {
            double v = nlog__hist_value(i);
            return v < min ? min : v > max ? max : v;
        }
    }
    return max;
}
