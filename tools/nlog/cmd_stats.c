/* cmd_stats.c: `nlog stats` — an nlogd's statistics.
 *
 *   nlog stats [--server URL] [--json]
 *
 * Prints GET /api/v2/logs/stats as a short report, or the JSON as is.
 * Exit status: 0 ok, 1 the server refused or could not be reached, 2 usage.
 * Tested by: tests/integration/server/test_server.py (group cli) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "client.h"

int tool_cmd_stats(int argc, char **argv);

typedef struct page {
    char *data;
    size_t len;
} page;

static int collect(const char *d, size_t n, void *user)
{
    page *p = user;
    char *nd = p->len + n < (64u << 20) ? realloc(p->data, p->len + n + 1) : NULL;
    if (!nd)
        return 1;
    memcpy(nd + p->len, d, n);
    p->data = nd;
    p->len += n;
    p->data[p->len] = '\0';
    return 0;
}

static void section(json_object *o, const char *key, const char *title)
{
    json_object *m;
    if (!json_object_object_get_ex(o, key, &m) || !json_object_is_type(m, json_type_object))
        return;
    printf("%s:\n", title);
    json_object_object_foreach(m, k, v) {
        printf("  %-24s %s\n", k, json_object_get_string(v));
    }
}

int tool_cmd_stats(int argc, char **argv)
{
    tool_filter f;
    char server[1024];
    memset(&f, 0, sizeof f);
    tool_filter_defaults(&f, server, sizeof server);
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--server") == 0) {
            if (tool_filter_option("stats", argc, argv, &i, &f) < 0)
                return 2;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            puts("usage: nlog stats [--server URL] [--json]");
            return 0;
        } else {
            fprintf(stderr, "nlog stats: unknown option '%s'\nusage: nlog stats [--server URL] "
                    "[--json]\n", argv[i]);
            return 2;
        }
    }
    char url[1200], err[1024];
    long status = 0;
    page p = {NULL, 0};
    snprintf(url, sizeof url, "%s/api/v2/logs/stats", f.server);
    if (tool_http("GET", url, NULL, collect, &p, &status, err, sizeof err) != 0 || status != 200) {
        fprintf(stderr, "nlog stats: %s\n", err);
        free(p.data);
        return 1;
    }
    if (json) {
        fputs(p.data ? p.data : "", stdout);
        free(p.data);
        return 0;
    }
    json_object *o = p.data ? json_tokener_parse(p.data) : NULL, *v;
    free(p.data);
    if (!o) {
        fprintf(stderr, "nlog stats: %s did not answer with JSON\n", f.server);
        return 1;
    }
    const char *top[] = {"total_entries", "oldest_entry", "newest_entry", "categories_total",
                         "loggers_total", "uptime_seconds"};
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
        if (json_object_object_get_ex(o, top[i], &v))
            printf("%-26s %s\n", top[i], json_object_get_string(v));
    section(o, "by_level", "by level");
    section(o, "by_category", "by category (largest)");
    section(o, "by_logger", "by logger (largest)");
    section(o, "rates", "rates");
    section(o, "store", "store");
    section(o, "ingest", "ingest");
    section(o, "queue", "queue");
    json_object_put(o);
    return 0;
}
