/* rotate.c: names of rotated segments, listing them, and UTC periods.
 *
 * The rotation step itself (lock, check, rename, reopen) lives in file.c,
 * next to the state it changes; this file holds what file.c, compress.c and
 * retention.c share about names. Dates are computed with the civil-calendar
 * arithmetic of H. Hinnant (no C library time conversion, no time zone, no locale).
 * Tested by: tests/unit/sink/test_rotate.c */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <nlog/config.h>

#include "sink/rotate.h"

#define SEG_TIME_LEN 16 /* "YYYYMMDDTHHMMSSZ" */
#define SEG_SEQ_LEN 6

int nlog__rot_split(const char *name, char *stem, size_t stem_size, char *ext, size_t ext_size)
{
    const char *dot = strrchr(name, '.');
    size_t sl = dot && dot != name ? (size_t) (dot - name) : strlen(name);
    size_t el = strlen(name) - sl;
    if (sl + 1 > stem_size || el + 1 > ext_size)
        return -1;
    memcpy(stem, name, sl);
    stem[sl] = '\0';
    memcpy(ext, name + sl, el + 1);
    return 0;
}

static void civil_from_days(int64_t z, int *ry, unsigned *rm, unsigned *rd)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned) (z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t) yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    *ry = (int) (y + (m <= 2));
    *rm = m;
    *rd = d;
}

static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned) (y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t) doe - 719468;
}

int nlog__rot_format(char *buf, size_t size, const char *stem, const char *ext, int64_t time_s,
                     unsigned seq)
{
    if (time_s < 0)
        time_s = 0;
    int64_t days = time_s / 86400, secs = time_s % 86400;
    int y;
    unsigned mo, d;
    civil_from_days(days, &y, &mo, &d);
    if (y > 9999)
        y = 9999;
    int n = snprintf(buf, size, "%s-%04d%02u%02uT%02d%02d%02dZ-%06u%s", stem, y, mo, d,
                     (int) (secs / 3600), (int) (secs / 60 % 60), (int) (secs % 60),
                     seq % 1000000u, ext);
    return n < 0 || (size_t) n >= size ? -1 : 0;
}

static int digits(const char *s, size_t n, unsigned *ret)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (unsigned) (s[i] - '0');
    }
    *ret = v;
    return 1;
}

int nlog__rot_parse(const char *entry, const char *stem, const char *ext, nlog__seg *ret)
{
    size_t sl = strlen(stem), el = strlen(ext), len = strlen(entry);
    size_t base = sl + 1 + SEG_TIME_LEN + 1 + SEG_SEQ_LEN + el;
    if (len < base || len >= sizeof ret->name || memcmp(entry, stem, sl) != 0 || entry[sl] != '-')
        return 0;
    const char *t = entry + sl + 1;
    unsigned y, mo, d, h, mi, s, seq;
    if (!digits(t, 4, &y) || !digits(t + 4, 2, &mo) || !digits(t + 6, 2, &d) || t[8] != 'T' ||
        !digits(t + 9, 2, &h) || !digits(t + 11, 2, &mi) || !digits(t + 13, 2, &s) ||
        t[15] != 'Z' || t[16] != '-' || !digits(t + 17, SEG_SEQ_LEN, &seq))
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return 0;
    if (memcmp(t + 17 + SEG_SEQ_LEN, ext, el) != 0)
        return 0;
    const char *rest = entry + base;
    nlog__seg_kind kind;
    if (!*rest)
        kind = NLOG__SEG_PLAIN;
    else if (strcmp(rest, ".zst") == 0)
        kind = NLOG__SEG_ZST;
    else if (strcmp(rest, ".gz") == 0)
        kind = NLOG__SEG_GZ;
    else if (strcmp(rest, ".zst.tmp") == 0 || strcmp(rest, ".gz.tmp") == 0)
        kind = NLOG__SEG_TMP;
    else
        return 0;
    memset(ret, 0, sizeof *ret);
    memcpy(ret->name, entry, len + 1);
    ret->base_len = base;
    ret->kind = kind;
    ret->time_s = days_from_civil((int) y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    return 1;
}

static int cmp_seg(const void *a, const void *b)
{
    return strcmp(((const nlog__seg *) a)->name, ((const nlog__seg *) b)->name);
}

int nlog__rot_list(const char *dir, const char *stem, const char *ext, nlog__seg **ret_segs,
                   size_t *ret_n)
{
    *ret_segs = NULL;
    *ret_n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return errno;
    nlog__seg *segs = NULL;
    size_t n = 0, cap = 0;
    int err = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        nlog__seg s;
        if (!nlog__rot_parse(e->d_name, stem, ext, &s))
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue; /* gone meanwhile, or not ours to touch */
        s.size = (int64_t) st.st_size;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 32;
            nlog__seg *ns = realloc(segs, nc * sizeof *ns);
            if (!ns) {
                err = ENOMEM;
                break;
            }
            segs = ns;
            cap = nc;
        }
        segs[n++] = s;
    }
    (void) closedir(d);
    if (err) {
        free(segs);
        return err;
    }
    if (n > 1)
        qsort(segs, n, sizeof *segs, cmp_seg);
    *ret_segs = segs;
    *ret_n = n;
    return 0;
}

int64_t nlog__rot_period_index(int period, int64_t time_ns)
{
    int64_t len = period == NLOG_ROTATE_HOURLY  ? 3600
                  : period == NLOG_ROTATE_DAILY ? 86400
                                                : 0;
    if (!len)
        return 0;
    int64_t s = time_ns / 1000000000LL;
    if (time_ns < 0 && s * 1000000000LL != time_ns)
        s--;
    return (s >= 0 ? s : s - len + 1) / len;
}
