/* cmd_query.c: `nlog query` — list stored records from an nlogd.
 *
 *   nlog query [--server URL] [--level L] [--category C] [--logger NAME]
 *              [--search WORDS] [--since T] [--until T] [--limit N] [--json] [--utc]
 *
 * Newest first, as GET /api/v2/logs/entries returns them; pages are fetched
 * with the cursor until --limit records (default 100, 0 = all) were printed.
 * Each record is printed as a console line (local time unless --utc), or as
 * its JSON record with --json. T is RFC 3339 or a duration before now (10m).
 * Exit status: 0 ok, 1 the server refused or could not be reached, 2 usage.
 * Tested by: tests/integration/server/test_server.py (group cli) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <nlog/nlog.h>

#include "client.h"

int tool_cmd_query(int argc, char **argv);

static const char usage_text[] =
    "usage: nlog query [--server URL] [--level L] [--category C] [--logger NAME]\n"
    "                  [--search WORDS] [--since T] [--until T] [--limit N] [--json] [--utc]\n"
    "  T: an RFC 3339 time (2024-01-15T10:30:00Z) or a duration before now (30s, 10m, 2h, 7d)\n";

typedef struct page {
    char *data;
    size_t len;
} page;

static int collect(const char *d, size_t n, void *user)
{
    page *p = user;
    if (p->len + n > (512u << 20))
        return 1;
    char *nd = realloc(p->data, p->len + n + 1);
    if (!nd)
        return 1;
    memcpy(nd + p->len, d, n);
    p->data = nd;
    p->len += n;
    p->data[p->len] = '\0';
    return 0;
}

/* A page of entries. Records nest up to the server's depth (64, ingest)
 * inside {"entries": [...]}: json_tokener_parse() stops at 32. */
#define PAGE_DEPTH 128

static json_object *parse_page(const char *data, size_t len)
{
    if (!data || len > 0x7fffffff)
        return NULL;
    json_tokener *tok = json_tokener_new_ex(PAGE_DEPTH);
    if (!tok)
        return NULL;
    json_object *o = json_tokener_parse_ex(tok, data, (int) len);
    if (json_tokener_get_error(tok) != json_tokener_success) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    return o;
}

static const char *str(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

/* Days since 1970-01-01 of a civil date. */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned) (y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long) doe - 719468;
}

static long long parse_ts(const char *t)
{
    int y, mo, d, h, mi, s, us = 0;
    if (!t || sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d.%6d", &y, &mo, &d, &h, &mi, &s, &us) < 6)
        return 0;
    return ((days_from_civil(y, (unsigned) mo, (unsigned) d) * 86400 + h * 3600 + mi * 60 + s) *
                1000000LL + us) * 1000LL;
}

static void print_line(json_object *r, unsigned flags)
{
    char line[8192];
    nlog_level lv = NLOG_LEVEL_INFO;
    const char *lvname = str(r, "level");
    if (!lvname || nlog_level_parse(lvname, &lv) != NLOG_OK)
        lv = NLOG_LEVEL_INFO;
    const char *mod = str(r, "module"), *msg = str(r, "message");
    nlog_record_view v = {
        .time_ns = parse_ts(str(r, "timestamp")),
        .level = lv,
        .category = str(r, "category"),
        .logger = mod,
        .logger_len = mod ? strlen(mod) : 0,
        .message = msg,
        .message_len = msg ? strlen(msg) : 0,
    };
    size_t n = nlog_format_console(&v, flags, line, sizeof line, NULL);
    fwrite(line, 1, n, stdout);
}

int tool_cmd_query(int argc, char **argv)
{
    tool_filter f;
    char server[1024];
    memset(&f, 0, sizeof f);
    tool_filter_defaults(&f, server, sizeof server);
    long limit = 100;
    int json = 0;
    unsigned flags = 0;
    for (int i = 1; i < argc; i++) {
        int r = tool_filter_option("query", argc, argv, &i, &f);
        if (r < 0)
            return 2;
        if (r)
            continue;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--utc") == 0) {
            flags |= NLOG_FORMAT_UTC;
        } else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
            char *end;
            limit = strtol(argv[++i], &end, 10);
            if (*end || limit < 0) {
                fprintf(stderr, "nlog query: --limit: '%s' is not accepted; accepted: a whole "
                        "number, 0 for every record\n", argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "nlog query: unknown option '%s'\n%s", argv[i], usage_text);
            return 2;
        }
    }
    char base[4096] = "";
    if (f.level)
        tool_query_add(base, sizeof base, "level", f.level);
    if (f.category)
        tool_query_add(base, sizeof base, "category", f.category);
    if (f.logger)
        tool_query_add(base, sizeof base, "logger", f.logger);
    if (f.search)
        tool_query_add(base, sizeof base, "search_query", f.search);
    if (f.since[0])
        tool_query_add(base, sizeof base, "start_time", f.since);
    if (f.until[0])
        tool_query_add(base, sizeof base, "end_time", f.until);
    char cursor[128] = "";
    long printed = 0;
    for (;;) {
        long want = limit == 0 || limit - printed > 1000 ? 1000 : limit - printed;
        char q[4400], url[5500], num[24], err[1024];
        snprintf(q, sizeof q, "%s", base);
        snprintf(num, sizeof num, "%ld", want);
        tool_query_add(q, sizeof q, "limit", num);
        if (cursor[0])
            tool_query_add(q, sizeof q, "cursor", cursor);
        snprintf(url, sizeof url, "%s/api/v2/logs/entries?%s", f.server, q);
        page p = {NULL, 0};
        long status = 0;
        if (tool_http("GET", url, NULL, collect, &p, &status, err, sizeof err) != 0 ||
            status != 200) {
            fprintf(stderr, "nlog query: %s\n", err);
            free(p.data);
            return 1;
        }
        json_object *o = parse_page(p.data, p.len), *entries, *next;
        free(p.data);
        if (!o || !json_object_object_get_ex(o, "entries", &entries)) {
            fprintf(stderr, "nlog query: %s did not answer with entries\n", f.server);
            json_object_put(o);
            return 1;
        }
        size_t n = json_object_array_length(entries);
        for (size_t k = 0; k < n; k++) {
            json_object *r = json_object_array_get_idx(entries, k);
            if (json)
                printf("%s\n", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN |
                                                                     JSON_C_TO_STRING_NOSLASHESCAPE));
            else
                print_line(r, flags);
        }
        printed += (long) n;
        cursor[0] = '\0';
        if (json_object_object_get_ex(o, "next_cursor", &next) &&
            json_object_is_type(next, json_type_string))
            snprintf(cursor, sizeof cursor, "%s", json_object_get_string(next));
        json_object_put(o);
        if (!cursor[0] || (limit && printed >= limit))
            break;
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
