/* peer_json.c: see peer_json.h. */
#include <time.h>
#include <unistd.h>

#include "peer_json.h"

typedef struct stamp_cache {
    int64_t sec;     /* second the prefix is for; -1 before the first use */
    char prefix[20]; /* "2026-11-24T00:43:51", no NUL */
} stamp_cache;

static _Thread_local stamp_cache cache = {-1, {0}};

static void put2(char *p, int v)
{
    p[0] = (char) ('0' + v / 10);
    p[1] = (char) ('0' + v % 10);
}

size_t bench_utc_stamp(char *out, int64_t sec, long usec)
{
    if (sec != cache.sec) {
        time_t t = (time_t) sec;
        struct tm tm;
        gmtime_r(&t, &tm);
        int y = tm.tm_year + 1900;
        char *p = cache.prefix;
        p[0] = (char) ('0' + y / 1000 % 10);
        p[1] = (char) ('0' + y / 100 % 10);
        put2(p + 2, y % 100);
        p[4] = '-';
        put2(p + 5, tm.tm_mon + 1);
        p[7] = '-';
        put2(p + 8, tm.tm_mday);
        p[10] = 'T';
        put2(p + 11, tm.tm_hour);
        p[13] = ':';
        put2(p + 14, tm.tm_min);
        p[16] = ':';
        put2(p + 17, tm.tm_sec);
        cache.sec = sec;
    }
    for (int i = 0; i < 19; i++)
        out[i] = cache.prefix[i];
    out[19] = '.';
    for (int i = 25; i >= 20; i--) {
        out[i] = (char) ('0' + usec % 10);
        usec /= 10;
    }
    out[26] = 'Z';
    out[27] = '\0';
    return 27;
}

size_t bench_utc_now(char *out)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return bench_utc_stamp(out, (int64_t) ts.tv_sec, ts.tv_nsec / 1000);
}

int bench_pid(void)
{
    static int pid;
    int p = __atomic_load_n(&pid, __ATOMIC_RELAXED);
    if (!p) {
        p = (int) getpid();
        __atomic_store_n(&pid, p, __ATOMIC_RELAXED);
    }
    return p;
}

int bench_tid(void)
{
    static _Thread_local int tid;
    if (!tid)
        tid = (int) gettid();
    return tid;
}
