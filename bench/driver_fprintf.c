/* driver_fprintf.c: the baseline a team writes when it has no logging
 * library: a level check, then one fprintf() of the whole line to a
 * buffered FILE, behind a pthread mutex so that lines from several threads
 * stay whole and in one order. */
#include <gnu/libc-version.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>

#include "harness.h"
#include "peer_json.h"

enum { LEVEL_DEBUG = 10, LEVEL_INFO = 20 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *out;
static char path[4096];
static int threshold = LEVEL_INFO;

#define FLOG(level, name, category, message, request_id, user_id, auth_method)                     \
    do {                                                                                           \
        if ((level) >= __atomic_load_n(&threshold, __ATOMIC_RELAXED)) {                            \
            char ts_[BENCH_STAMP_SIZE];                                                            \
            bench_utc_now(ts_);                                                                    \
            pthread_mutex_lock(&lock);                                                             \
            fprintf(out,                                                                           \
                    "{\"timestamp\":\"%s\",\"level\":\"%s\",\"category\":\"%s\","                  \
                    "\"message\":\"%s\",\"module\":\"%s\",\"function\":\"%s\",\"line\":%d,"        \
                    "\"context\":{\"request_id\":%" PRIu64 ",\"user_id\":\"%s\"},"                 \
                    "\"metadata\":{\"auth_method\":\"%s\"},\"process_id\":%d,"                     \
                    "\"thread_id\":%d}\n",                                                         \
                    ts_, (name), (category), (message), BENCH_LOGGER, __func__, __LINE__,          \
                    (uint64_t) (request_id), (user_id), (auth_method), bench_pid(), bench_tid());  \
            pthread_mutex_unlock(&lock);                                                           \
        }                                                                                          \
    } while (0)

BENCH_INLINE void log_one(uint64_t i)
{
    FLOG(LEVEL_INFO, BENCH_LEVEL_INFO, BENCH_CATEGORY, BENCH_MESSAGE, i, BENCH_USER_ID,
         BENCH_AUTH_METHOD);
}

BENCH_INLINE void log_disabled(uint64_t i)
{
    FLOG(LEVEL_DEBUG, BENCH_LEVEL_DEBUG, BENCH_CATEGORY, BENCH_MESSAGE, i, BENCH_USER_ID,
         BENCH_AUTH_METHOD);
}

#include "loops.h"

static int open_fprintf(const char *dir, char *why, size_t why_size)
{
    (void) why;
    (void) why_size;
    bench_path(path, sizeof path, dir, bench_driver_fprintf.file);
    out = fopen(path, "w");
    if (!out)
        bench_die("fprintf: cannot open %s", path);
    return 0;
}

static void close_fprintf(void)
{
    if (fclose(out) != 0)
        bench_die("fprintf: closing %s failed", path);
    out = NULL;
}

static const char *version(void)
{
    static char v[32];
    snprintf(v, sizeof v, "glibc %s", gnu_get_libc_version());
    return v;
}

const bench_driver bench_driver_fprintf = {
    "fprintf+mutex", "fprintf.log", open_fprintf, close_fprintf, BENCH_LOOPS, version,
};
