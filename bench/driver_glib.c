/* driver_glib.c: GLib structured logging (g_log_structured) with a writer
 * function that writes JSON lines.
 *
 * g_log_structured() takes the record as key/value pairs of strings, the
 * last being MESSAGE (a printf format, which GLib formats into a heap
 * string per call). GLib adds GLIB_DOMAIN and PRIORITY, and hands the
 * fields to the writer installed with g_log_set_writer_func(), which here
 * picks them out by key and writes one line with one fwrite() to a buffered
 * FILE (stdio locks it). Values are strings in this API, so the request
 * counter is converted by the caller, and that is part of GLib's figures.
 *
 * GLib has no threshold in front of the writer: a message below the level
 * is built and passed to the writer, which drops it. That is what the
 * disabled-call figure measures for GLib.
 *
 * A process can install a writer only once, so it is installed on the first
 * open and writes to whichever file is current. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "harness.h"
#include "peer_json.h"

static FILE *out;
static char path[4096];
/* Levels GLib should drop: everything less severe than INFO. */
static const GLogLevelFlags dropped = G_LOG_LEVEL_DEBUG;

BENCH_INLINE void log_one(uint64_t i)
{
    char id[24];
    snprintf(id, sizeof id, "%" PRIu64, i);
    g_log_structured(BENCH_LOGGER, G_LOG_LEVEL_INFO, "CODE_FILE", __FILE__, "CODE_LINE",
                     G_STRINGIFY(__LINE__), "CODE_FUNC", G_STRFUNC, "CATEGORY", BENCH_CATEGORY,
                     "REQUEST_ID", id, "USER_ID", BENCH_USER_ID, "AUTH_METHOD", BENCH_AUTH_METHOD,
                     "MESSAGE", BENCH_MESSAGE);
}

BENCH_INLINE void log_disabled(uint64_t i)
{
    char id[24];
    snprintf(id, sizeof id, "%" PRIu64, i);
    g_log_structured(BENCH_LOGGER, G_LOG_LEVEL_DEBUG, "CODE_FILE", __FILE__, "CODE_LINE",
                     G_STRINGIFY(__LINE__), "CODE_FUNC", G_STRFUNC, "CATEGORY", BENCH_CATEGORY,
                     "REQUEST_ID", id, "USER_ID", BENCH_USER_ID, "AUTH_METHOD", BENCH_AUTH_METHOD,
                     "MESSAGE", BENCH_MESSAGE);
}

#include "loops.h"

static const char *level_name(GLogLevelFlags level)
{
    if (level & G_LOG_LEVEL_ERROR)
        return "CRITICAL";
    if (level & G_LOG_LEVEL_CRITICAL)
        return "ERROR";
    if (level & G_LOG_LEVEL_WARNING)
        return "WARNING";
    if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
        return BENCH_LEVEL_INFO;
    return BENCH_LEVEL_DEBUG;
}

static GLogWriterOutput json_writer(GLogLevelFlags level, const GLogField *fields, gsize n,
                                    gpointer user)
{
    (void) user;
    if (level & dropped)
        return G_LOG_WRITER_HANDLED;
    const char *message = "", *domain = "", *func = "", *line = "0", *category = "",
               *request_id = "0", *user_id = "", *auth_method = "";
    for (gsize k = 0; k < n; k++) {
        const char *key = fields[k].key;
        const char *v = fields[k].value;
        if (!strcmp(key, "MESSAGE"))
            message = v;
        else if (!strcmp(key, "GLIB_DOMAIN"))
            domain = v;
        else if (!strcmp(key, "CODE_FUNC"))
            func = v;
        else if (!strcmp(key, "CODE_LINE"))
            line = v;
        else if (!strcmp(key, "CATEGORY"))
            category = v;
        else if (!strcmp(key, "REQUEST_ID"))
            request_id = v;
        else if (!strcmp(key, "USER_ID"))
            user_id = v;
        else if (!strcmp(key, "AUTH_METHOD"))
            auth_method = v;
    }
    char ts[BENCH_STAMP_SIZE];
    char buf[1024];
    bench_utc_now(ts);
    int len =
        snprintf(buf, sizeof buf,
                 "{\"timestamp\":\"%s\",\"level\":\"%s\",\"category\":\"%s\","
                 "\"message\":\"%s\",\"module\":\"%s\",\"function\":\"%s\",\"line\":%s,"
                 "\"context\":{\"request_id\":%s,\"user_id\":\"%s\"},"
                 "\"metadata\":{\"auth_method\":\"%s\"},\"process_id\":%d,\"thread_id\":%d}\n",
                 ts, level_name(level), category, message, domain, func, line, request_id, user_id,
                 auth_method, bench_pid(), bench_tid());
    if (len < 0 || (size_t) len >= sizeof buf)
        bench_die("glib: the record does not fit the writer's buffer");
    if (fwrite(buf, 1, (size_t) len, out) != (size_t) len)
        return G_LOG_WRITER_UNHANDLED;
    return G_LOG_WRITER_HANDLED;
}

static int open_glib(const char *dir, char *why, size_t why_size)
{
    static int writer_set;
    (void) why;
    (void) why_size;
    bench_path(path, sizeof path, dir, bench_driver_glib.file);
    out = fopen(path, "w");
    if (!out)
        bench_die("glib: cannot open %s", path);
    if (!writer_set) {
        g_log_set_writer_func(json_writer, NULL, NULL);
        writer_set = 1;
    }
    return 0;
}

static void close_glib(void)
{
    if (fclose(out) != 0)
        bench_die("glib: closing %s failed", path);
    out = NULL;
}

static const char *version(void)
{
    static char v[32];
    snprintf(v, sizeof v, "%u.%u.%u", glib_major_version, glib_minor_version, glib_micro_version);
    return v;
}

const bench_driver bench_driver_glib = {
    "GLib", "glib.log", open_glib, close_glib, BENCH_LOOPS, version,
};
