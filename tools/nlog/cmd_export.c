/* cmd_export.c: `nlog export` — stream an export from an nlogd into a file.
 *
 *   nlog export --format csv|json|ndjson|txt [--server URL] [--level L]
 *               [--category C] [--logger NAME] [--search WORDS] [--since T]
 *               [--until T] -o FILE
 *
 * The body goes to FILE.part and is renamed to FILE once complete, so FILE
 * is never a partial export. On a terminal, stderr shows a progress line
 * (bytes, records, rate); elsewhere nothing. "-o -" writes to stdout.
 * Exit status: 0 ok, 1 the export failed, 2 usage.
 * Tested by: tests/integration/server/test_server.py (group cli) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "client.h"

int tool_cmd_export(int argc, char **argv);

static const char usage_text[] =
    "usage: nlog export --format csv|json|ndjson|txt [--server URL] [--level L]\n"
    "                   [--category C] [--logger NAME] [--search WORDS] [--since T]\n"
    "                   [--until T] -o FILE\n";

typedef struct sink {
    FILE *out;
    unsigned long long bytes, lines;
    int tty;
    double started, last;
    int failed;
} sink;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void progress(sink *s, int final)
{
    double t = now_s() - s->started;
    fprintf(stderr, "\r%8.1f MB  %10llu lines  %7.1f MB/s%s", (double) s->bytes / 1e6, s->lines,
            t > 0 ? (double) s->bytes / 1e6 / t : 0.0, final ? "\n" : "");
}

static int on_data(const char *d, size_t n, void *user)
{
    sink *s = user;
    if (fwrite(d, 1, n, s->out) != n) {
        s->failed = 1;
        return 1;
    }
    s->bytes += n;
    for (const char *p = d; (p = memchr(p, '\n', (size_t) (d + n - p))) != NULL; p++)
        s->lines++;
    if (s->tty && now_s() - s->last > 0.2) {
        s->last = now_s();
        progress(s, 0);
    }
    return 0;
}

int tool_cmd_export(int argc, char **argv)
{
    tool_filter f;
    char server[1024];
    memset(&f, 0, sizeof f);
    tool_filter_defaults(&f, server, sizeof server);
    const char *format = NULL, *path = NULL;
    static const char *const formats[] = {"csv", "json", "ndjson", "txt", NULL};
    for (int i = 1; i < argc; i++) {
        int r = tool_filter_option("export", argc, argv, &i, &f);
        if (r < 0)
            return 2;
        if (r)
            continue;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            format = argv[++i];
        } else if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) &&
                   i + 1 < argc) {
            path = argv[++i];
        } else {
            fprintf(stderr, "nlog export: unknown option '%s'\n%s", argv[i], usage_text);
            return 2;
        }
    }
    size_t k = 0;
    while (format && formats[k] && strcmp(formats[k], format) != 0)
        k++;
    if (!format || !formats[k]) {
        fprintf(stderr, "nlog export: --format %s; accepted: csv, json, ndjson, txt\n%s",
                format ? "is not accepted" : "is required", usage_text);
        return 2;
    }
    if (!path) {
        fprintf(stderr, "nlog export: -o FILE is required (- for stdout)\n%s", usage_text);
        return 2;
    }
    json_object *b = json_object_new_object();
    json_object_object_add(b, "format", json_object_new_string(format));
    const char *keys[] = {"level", "category", "logger", "search_query", "start_time",
                          "end_time"};
    const char *vals[] = {f.level, f.category, f.logger, f.search,
                          f.since[0] ? f.since : NULL, f.until[0] ? f.until : NULL};
    for (int i = 0; i < 6; i++)
        if (vals[i])
            json_object_object_add(b, keys[i], json_object_new_string(vals[i]));
    char *body = strdup(json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN));
    json_object_put(b);
    char tmp[4200];
    int to_stdout = strcmp(path, "-") == 0;
    snprintf(tmp, sizeof tmp, "%s.part", path);
    sink s = {.tty = isatty(STDERR_FILENO), .started = now_s()};
    s.out = to_stdout ? stdout : fopen(tmp, "wb");
    if (!s.out || !body) {
        perror(tmp);
        free(body);
        return 1;
    }
    char url[1200], err[1024];
    long status = 0;
    snprintf(url, sizeof url, "%s/api/v2/logs/export", f.server);
    int rc = tool_http("POST", url, body, on_data, &s, &status, err, sizeof err);
    free(body);
    int ok = rc == 0 && status == 200 && !s.failed;
    if (!to_stdout && fclose(s.out) != 0)
        ok = 0;
    if (s.tty)
        progress(&s, 1);
    if (!ok) {
        fprintf(stderr, "nlog export: %s\n", s.failed ? "cannot write the file" : err);
        if (!to_stdout)
            (void) remove(tmp);
        return 1;
    }
    if (!to_stdout && rename(tmp, path) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}
