/* driver_log4c.c: log4c 1.2, with a JSON layout and a file appender.
 *
 * log4c formats a record in two steps, both through its own extension
 * points: the call's printf format gives the message (log4c renders it with
 * vsnprintf into a buffer it allocates per call), and a layout type turns
 * the logging event into the line. The record's structured fields travel
 * the way log4c provides for data a layout needs: the location info's user
 * pointer (loc_data), next to file, line and function. The layout writes
 * the whole JSON line into the event's buffer.
 *
 * The appender is a custom appender type as well, because log4c's "stream"
 * appenders prefix every line with "[appender name] ". It writes the
 * rendered line to a buffered FILE, like spdlog's file sink.
 *
 * log4c's logging path has no lock of its own; after initialisation it only
 * reads shared state, allocates per call and ends in one fputs() on a FILE,
 * which stdio locks. The appender is opened before any thread logs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <log4c.h>

#include "harness.h"
#include "peer_json.h"

typedef struct record_fields {
    const char *category;
    uint64_t request_id;
    const char *user_id;
    const char *auth_method;
} record_fields;

static log4c_category_t *cat;
static log4c_appender_t *app;
static char path[4096];

BENCH_INLINE void log_one(uint64_t i)
{
    record_fields rf = {BENCH_CATEGORY, i, BENCH_USER_ID, BENCH_AUTH_METHOD};
    const log4c_location_info_t loc = LOG4C_LOCATION_INFO_INITIALIZER(&rf);
    log4c_category_log_locinfo(cat, &loc, LOG4C_PRIORITY_INFO, BENCH_MESSAGE);
}

BENCH_INLINE void log_disabled(uint64_t i)
{
    record_fields rf = {BENCH_CATEGORY, i, BENCH_USER_ID, BENCH_AUTH_METHOD};
    const log4c_location_info_t loc = LOG4C_LOCATION_INFO_INITIALIZER(&rf);
    log4c_category_log_locinfo(cat, &loc, LOG4C_PRIORITY_DEBUG, BENCH_MESSAGE);
}

#include "loops.h"

static const char *json_format(const log4c_layout_t *layout, const log4c_logging_event_t *e)
{
    (void) layout;
    const record_fields *rf = e->evt_loc->loc_data;
    char ts[BENCH_STAMP_SIZE];
    bench_utc_stamp(ts, (int64_t) e->evt_timestamp.tv_sec, (long) e->evt_timestamp.tv_usec);
    int n = snprintf(e->evt_buffer.buf_data, e->evt_buffer.buf_size,
                     "{\"timestamp\":\"%s\",\"level\":\"%s\",\"category\":\"%s\","
                     "\"message\":\"%s\",\"module\":\"%s\",\"function\":\"%s\",\"line\":%d,"
                     "\"context\":{\"request_id\":%llu,\"user_id\":\"%s\"},"
                     "\"metadata\":{\"auth_method\":\"%s\"},\"process_id\":%d,\"thread_id\":%d}\n",
                     ts, log4c_priority_to_string(e->evt_priority), rf->category, e->evt_msg,
                     e->evt_category, e->evt_loc->loc_function, e->evt_loc->loc_line,
                     (unsigned long long) rf->request_id, rf->user_id, rf->auth_method, bench_pid(),
                     bench_tid());
    if (n < 0 || (size_t) n >= e->evt_buffer.buf_size)
        bench_die("log4c: the record does not fit the event buffer (%zu bytes)",
                  e->evt_buffer.buf_size);
    return e->evt_buffer.buf_data;
}

static const log4c_layout_type_t json_layout = {"bench_json", json_format};

static int file_open(log4c_appender_t *a)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        return -1;
    log4c_appender_set_udata(a, fp);
    return 0;
}

static int file_append(log4c_appender_t *a, const log4c_logging_event_t *e)
{
    return fputs(e->evt_rendered_msg, log4c_appender_get_udata(a));
}

static int file_close(log4c_appender_t *a)
{
    FILE *fp = log4c_appender_get_udata(a);
    log4c_appender_set_udata(a, NULL);
    return fp ? fclose(fp) : 0;
}

static const log4c_appender_type_t file_appender = {"bench_file", file_open, file_append,
                                                    file_close};

static int open_log4c(const char *dir, char *why, size_t why_size)
{
    (void) why;
    (void) why_size;
    if (!cat) {
        if (log4c_init() != 0)
            bench_die("log4c_init failed");
        log4c_layout_type_set(&json_layout);
        log4c_appender_type_set(&file_appender);
        log4c_layout_t *layout = log4c_layout_get("bench_json");
        log4c_layout_set_type(layout, &json_layout);
        app = log4c_appender_get("bench_file");
        log4c_appender_set_type(app, &file_appender);
        log4c_appender_set_layout(app, layout);
        cat = log4c_category_get(BENCH_LOGGER);
        log4c_category_set_appender(cat, app);
        log4c_category_set_additivity(cat, 0);
        log4c_category_set_priority(cat, LOG4C_PRIORITY_INFO);
    }
    bench_path(path, sizeof path, dir, bench_driver_log4c.file);
    if (log4c_appender_open(app) != 0)
        bench_die("log4c: cannot open %s", path);
    return 0;
}

static void close_log4c(void)
{
    if (log4c_appender_close(app) != 0)
        bench_die("log4c: closing %s failed", path);
}

static const char *version(void)
{
    return log4c_version();
}

const bench_driver bench_driver_log4c = {
    "log4c", "log4c.log", open_log4c, close_log4c, BENCH_LOOPS, version,
};
