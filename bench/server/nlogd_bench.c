/* nlogd_bench.c: the log server's benchmark (scripts/bench_server.sh).
 *
 *   nlogd_bench --nlogd PATH [--dir DIR] [--records N] [--store N] [--queries N]
 *
 * 1. Ingest: starts a fresh nlogd and POSTs N records (default 2,000,000) as
 *    gzip NDJSON bodies of 5,000 records over kept-alive connections, from
 *    one client and then (fresh store) from two clients at once. A 202 means
 *    the batch is committed, so records/s is the rate of stored records.
 *    The peers in the same run: the same rows inserted by one thread straight
 *    into SQLite in 10,000-row transactions (no HTTP, no JSON, no word
 *    index), once into the table alone (what nlogd's ingest transaction
 *    writes: its indexes are built afterwards) and once with the three
 *    secondary indexes kept by SQLite on every insert (nlogd's schema 1).
 *    After the 1-client ingest it times how long the deferred indexes take
 *    to catch up, and reports records / (ingest + catch-up) as the rate at
 *    which records become fully indexed (sustained ingest).
 * 2. Queries: fills a store with --store records (default 10,000,000), waits
 *    until the word index has caught up, then times --queries requests
 *    (default 200) of each kind: filtered list (level=ERROR&category=api,
 *    limit 100), filtered list with a one-hour window, text search (a word in
 *    about 1% of messages, limit 100), text search + level, and stats.
 * Prints Markdown. Bodies are generated and compressed before timing starts. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sqlite3.h>
#include <zlib.h>

#define BATCH 5000

static const char *nlogd_path;
static char dir[1024] = "/tmp/nlogd-bench";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static unsigned long long rng = 88172645463325252ULL;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned) (rng % n);
}

static const char *const levels[] = {"DEBUG", "INFO", "INFO", "INFO", "INFO", "INFO",
                                     "WARNING", "ERROR", "SECURITY", "CRITICAL"};
static const char *const cats[] = {"api", "database", "security", "performance", "system"};
static const char *const words[] = {"request", "processed", "user", "session", "cache", "query",
                                    "order", "payment", "retry", "connection", "pool", "worker",
                                    "upstream", "latency", "ok", "completed", "scheduled", "job"};

/* One realistic record (about 330 bytes) at time t_us. */
static int make_record(char *out, size_t size, long long t_us, long i)
{
    time_t s = (time_t) (t_us / 1000000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char msg[160];
    int n = snprintf(msg, sizeof msg, "%s %s %s %s id=%ld", words[rnd(18)], words[rnd(18)],
                     words[rnd(18)], rnd(100) == 0 ? "timeout" : words[rnd(18)], i);
    (void) n;
    return snprintf(out, size,
                    "{\"timestamp\":\"%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ\",\"level\":\"%s\","
                    "\"category\":\"%s\",\"message\":\"%s\",\"module\":\"svc.%u\","
                    "\"function\":\"handle_request\",\"line\":%u,\"context\":{\"request_id\":"
                    "\"req_%ld\",\"user_id\":\"user_%u\",\"ip_address\":\"10.0.%u.%u\"},"
                    "\"metadata\":{\"status\":%u},\"performance_data\":{\"response_time\":%.3f},"
                    "\"process_id\":4242,\"thread_id\":4243}\n",
                    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                    tm.tm_sec, t_us % 1000000, levels[rnd(10)], cats[rnd(5)], msg, rnd(40),
                    rnd(900) + 10, i, rnd(5000), rnd(256), rnd(256), 200 + rnd(4) * 100,
                    rnd(2000) / 1000.0);
}

typedef struct body {
    unsigned char *gz;
    size_t len;
} body;

/* Bodies of BATCH records, timestamps spread over the last `span_s` seconds. */
static body *make_bodies(long records, double span_s, size_t *ret_n, size_t *ret_raw)
{
    size_t nb = (size_t) ((records + BATCH - 1) / BATCH);
    body *b = calloc(nb, sizeof *b);
    char *raw = malloc((size_t) BATCH * 700);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long end_us = (long long) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    long long start_us = end_us - (long long) (span_s * 1e6);
    size_t total_raw = 0;
    for (size_t k = 0; k < nb; k++) {
        size_t len = 0;
        for (long j = 0; j < BATCH; j++) {
            long i = (long) k * BATCH + j;
            if (i >= records)
                break;
            long long t = start_us + (long long) ((double) (end_us - start_us) * i / records);
            len += (size_t) make_record(raw + len, 700, t, i);
        }
        total_raw += len;
        uLongf cap = compressBound((uLong) len) + 32;
        b[k].gz = malloc(cap);
        z_stream z;
        memset(&z, 0, sizeof z);
        deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
        z.next_in = (unsigned char *) raw;
        z.avail_in = (uInt) len;
        z.next_out = b[k].gz;
        z.avail_out = (uInt) cap;
        deflate(&z, Z_FINISH);
        b[k].len = cap - z.avail_out;
        deflateEnd(&z);
    }
    free(raw);
    *ret_n = nb;
    *ret_raw = total_raw;
    return b;
}

/* ---- nlogd process ------------------------------------------------------------ */

static pid_t server_pid;
static int server_port;

static void server_start(const char *db)
{
    char pf[1200], log[1200];
    snprintf(pf, sizeof pf, "%s/port", dir);
    snprintf(log, sizeof log, "%s/nlogd.log", dir);
    unlink(pf);
    server_pid = fork();
    if (server_pid == 0) {
        FILE *f = freopen(log, "a", stderr);
        (void) f;
        execl(nlogd_path, nlogd_path, "--listen", "127.0.0.1:0", "--database", db, "--port-file",
              pf, "--threads", "24", "--retention-days", "0", (char *) NULL);
        _exit(127);
    }
    for (int i = 0; i < 1000; i++) {
        FILE *f = fopen(pf, "r");
        if (f && fscanf(f, "%d", &server_port) == 1) {
            fclose(f);
            return;
        }
        if (f)
            fclose(f);
        usleep(10000);
    }
    fprintf(stderr, "nlogd_bench: nlogd did not start (see %s)\n", log);
    exit(1);
}

static void server_stop(void)
{
    kill(server_pid, SIGTERM);
    int st;
    waitpid(server_pid, &st, 0);
}

/* ---- HTTP ---------------------------------------------------------------------- */

typedef struct resp {
    char *data;
    size_t len;
} resp;

static size_t on_body(char *p, size_t s, size_t n, void *u)
{
    resp *r = u;
    size_t add = s * n;
    char *nd = realloc(r->data, r->len + add + 1);
    if (!nd)
        return 0;
    memcpy(nd + r->len, p, add);
    r->data = nd;
    r->len += add;
    r->data[r->len] = '\0';
    return add;
}

static CURL *client(void)
{
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    return c;
}

static long get(CURL *c, const char *path, resp *r)
{
    char url[4096];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", server_port, path);
    r->len = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    long code = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

typedef struct job {
    body *bodies;
    size_t from, to;
    long failures;
} job;

static void *ingest_thread(void *arg)
{
    job *j = arg;
    CURL *c = client();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Encoding: gzip");
    h = curl_slist_append(h, "Content-Type: application/x-ndjson");
    h = curl_slist_append(h, "Expect:");
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v2/logs/entries", server_port);
    resp r = {NULL, 0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    for (size_t k = j->from; k < j->to; k++) {
        for (int attempt = 0;; attempt++) {
            r.len = 0;
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, j->bodies[k].gz);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long) j->bodies[k].len);
            long code = 0;
            if (curl_easy_perform(c) == CURLE_OK)
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
            if (code == 202)
                break;
            j->failures++;
            if (code != 429 || attempt > 1000) {
                fprintf(stderr, "nlogd_bench: ingest answered %ld: %.200s\n", code,
                        r.data ? r.data : "");
                exit(1);
            }
            usleep(20000); /* 429: the server asked to come back later */
        }
    }
    free(r.data);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return NULL;
}

static double ingest(body *b, size_t nb, int clients)
{
    pthread_t t[8];
    job j[8];
    double t0 = now_s();
    for (int i = 0; i < clients; i++) {
        j[i].bodies = b;
        j[i].from = nb * (size_t) i / (size_t) clients;
        j[i].to = nb * (size_t) (i + 1) / (size_t) clients;
        j[i].failures = 0;
        pthread_create(&t[i], NULL, ingest_thread, &j[i]);
    }
    for (int i = 0; i < clients; i++)
        pthread_join(t[i], NULL);
    return now_s() - t0;
}

/* Whether the stats answer contains `text`. */
static int stat_has(CURL *c, const char *text)
{
    resp r = {NULL, 0};
    int v = get(c, "/api/v2/logs/stats", &r) == 200 && r.data && strstr(r.data, text);
    free(r.data);
    return v;
}

static long long stat_field(CURL *c, const char *name)
{
    resp r = {NULL, 0};
    long long v = -1;
    if (get(c, "/api/v2/logs/stats", &r) == 200) {
        const char *p = strstr(r.data, name);
        if (p)
            v = atoll(p + strlen(name) + 1); /* past the ':' */
    }
    free(r.data);
    return v;
}

/* ---- the SQLite peer ----------------------------------------------------------- */

static double sqlite_peer(long records, int with_indexes)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/peer.db", dir);
    unlink(path);
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA page_size=8192; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                     "PRAGMA cache_size=-131072;"
                     "CREATE TABLE entries(id INTEGER PRIMARY KEY, ts INTEGER, level INTEGER,"
                     " category INTEGER, logger INTEGER, message TEXT, function TEXT, line INTEGER,"
                     " pid INTEGER, tid INTEGER, context TEXT, metadata TEXT, perf TEXT, extra TEXT);",
                 NULL, NULL, NULL);
    if (with_indexes)
        sqlite3_exec(db, "CREATE INDEX e_l ON entries(level); CREATE INDEX e_c ON entries(category,"
                         " level); CREATE INDEX e_g ON entries(logger, level);",
                     NULL, NULL, NULL);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "INSERT INTO entries VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,NULL)", -1, &st,
                       NULL);
    char msg[160], ctx[200];
    double t0 = now_s();
    long long id0 = 1764547200000000LL * 1024;
    for (long i = 0; i < records; i++) {
        if (i % 10000 == 0)
            sqlite3_exec(db, i ? "COMMIT; BEGIN" : "BEGIN", NULL, NULL, NULL);
        int ml = snprintf(msg, sizeof msg, "%s %s %s %s id=%ld", words[rnd(18)], words[rnd(18)],
                          words[rnd(18)], words[rnd(18)], i);
        int cl = snprintf(ctx, sizeof ctx,
                          "{\"request_id\":\"req_%ld\",\"user_id\":\"user_%u\",\"ip_address\":"
                          "\"10.0.%u.%u\"}", i, rnd(5000), rnd(256), rnd(256));
        sqlite3_bind_int64(st, 1, id0 + (long long) i * 5 * 1024);
        sqlite3_bind_int64(st, 2, (id0 / 1024 + i * 5) * 1000);
        sqlite3_bind_int(st, 3, 10 * (1 + (int) rnd(7)));
        sqlite3_bind_int(st, 4, 1 + (int) rnd(5));
        sqlite3_bind_int(st, 5, 10 + (int) rnd(40));
        sqlite3_bind_text(st, 6, msg, ml, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, "handle_request", -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 8, (int) rnd(900));
        sqlite3_bind_int(st, 9, 4242);
        sqlite3_bind_int(st, 10, 4243);
        sqlite3_bind_text(st, 11, ctx, cl, SQLITE_STATIC);
        sqlite3_bind_text(st, 12, "{\"status\":200}", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 13, "{\"response_time\":0.045}", -1, SQLITE_STATIC);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    double el = now_s() - t0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    unlink(path);
    return el;
}

/* ---- queries ------------------------------------------------------------------- */

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static void latency(CURL *c, const char *label, const char *path, int n, double target_ms)
{
    double *v = malloc((size_t) n * sizeof *v);
    resp r = {NULL, 0};
    long code = get(c, path, &r); /* warm-up */
    size_t bytes = r.len;
    for (int i = 0; i < n; i++) {
        double t0 = now_s();
        code = get(c, path, &r);
        v[i] = (now_s() - t0) * 1000.0;
        if (code != 200) {
            fprintf(stderr, "nlogd_bench: %s answered %ld\n", path, code);
            exit(1);
        }
    }
    qsort(v, (size_t) n, sizeof *v, cmp_d);
    double p50 = v[n / 2], p99 = v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1];
    char verdict[64] = "—";
    if (target_ms > 0)
        snprintf(verdict, sizeof verdict, "≤ %.0f ms: **%s**", target_ms,
                 p50 <= target_ms ? "met" : "missed");
    printf("| %s | `%s` | %.2f ms | %.2f ms | %zu B | %s |\n", label, path, p50, p99, bytes,
           verdict);
    free(v);
    free(r.data);
}

int main(int argc, char **argv)
{
    long records = 2000000, store = 10000000;
    int queries = 200;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--nlogd") == 0 && i + 1 < argc)
            nlogd_path = argv[++i];
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            snprintf(dir, sizeof dir, "%s", argv[++i]);
        else if (strcmp(argv[i], "--records") == 0 && i + 1 < argc)
            records = atol(argv[++i]);
        else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
            store = atol(argv[++i]);
        else if (strcmp(argv[i], "--queries") == 0 && i + 1 < argc)
            queries = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: nlogd_bench --nlogd PATH [--dir DIR] [--records N] "
                            "[--store N] [--queries N]\n");
            return 2;
        }
    }
    if (!nlogd_path)
        return 2;
    mkdir(dir, 0755);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char db[1200];
    size_t nb, raw;
    body *b = NULL;
    double rates[3], index_rate = 0, sustained = 0;
    if (records > 0) {
    fprintf(stderr, "nlogd_bench: generating %ld records\n", records);
    b = make_bodies(records, 3600.0, &nb, &raw);
    for (int clients = 1; clients <= 2; clients++) {
        snprintf(db, sizeof db, "%s/ingest%d.db", dir, clients);
        char rm[1300];
        snprintf(rm, sizeof rm, "rm -f %s %s-wal %s-shm", db, db, db);
        if (system(rm) != 0)
            return 1;
        server_start(db);
        fprintf(stderr, "nlogd_bench: ingest, %d client(s)\n", clients);
        double el = ingest(b, nb, clients);
        rates[clients] = (double) records / el;
        if (clients == 1) { /* how fast the deferred indexes catch up once ingest stops */
            CURL *c = client();
            double t0 = now_s();
            long long pending = stat_field(c, "\"text_index_pending\"");
            long long at_end = pending;
            while ((pending = stat_field(c, "\"text_index_pending\"")) > 0)
                usleep(100000);
            double catchup = now_s() - t0;
        /* Then the segment merges the idle writer does (store.h): queries
         * right after a large catch-up read many small segments. */
        while (stat_has(c, "\"index_merging\":true") && now_s() - t0 < 600) {
            fprintf(stderr, "\rnlogd_bench: index segments merging                   ");
            sleep(2);
        }
        double merged = now_s() - t0;
            index_rate = at_end > 0 ? (double) at_end / catchup : 0;
            sustained = (double) records / (el + catchup);
            curl_easy_cleanup(c);
        }
        server_stop();
        snprintf(rm, sizeof rm, "rm -f %s %s-wal %s-shm", db, db, db);
        if (system(rm) != 0)
            return 1;
    }
    fprintf(stderr, "nlogd_bench: SQLite peers\n");
    double peer = (double) records / sqlite_peer(records, 0);
    double peer_ix = (double) records / sqlite_peer(records, 1);
    printf("Ingest: %ld records of about %zu bytes (%zu bytes of NDJSON per request of %d "
           "records, sent gzip-compressed), timed from the first request to the last 202 "
           "(each 202 means committed).\n\n",
           records, raw / (size_t) records, raw / nb, BATCH);
    printf("| measure | records/s | target | vs SQLite alone (rows only) |\n|---|---|---|---|\n");
    for (int c = 1; c <= 2; c++)
        printf("| HTTP ingest, %d client%s (202 = committed; indexes built afterwards) | %.0f | "
               "≥ 150,000: **%s** | %.2f× |\n", c, c > 1 ? "s" : "", rates[c],
               rates[c] >= 150000 ? "met" : "missed", rates[c] / peer);
    printf("| peer: one thread inserting the same rows into the table alone, as nlogd's ingest "
           "transaction does (no HTTP/JSON) | %.0f | — | 1.00× |\n", peer);
    printf("| peer: the same with the three secondary indexes kept by SQLite on each insert "
           "(nlogd's schema before) | %.0f | — | %.2f× |\n", peer_ix, peer_ix / peer);
    printf("| deferred indexes (word + level, category, logger) catching up after the 1-client "
           "ingest (idle time) | %.0f | — | %.2f× |\n", index_rate, index_rate / peer);
    printf("| 1 client, records / (ingest + catch-up): fully indexed, sustained | %.0f | — | "
           "%.2f× |\n\n", sustained, sustained / peer);
    for (size_t k = 0; k < nb; k++)
        free(b[k].gz);
    free(b);
    }

    if (store > 0) {
        snprintf(db, sizeof db, "%s/store.db", dir);
        struct stat sb;
        int reuse = stat(db, &sb) == 0;
        server_start(db);
        CURL *c = client();
        long long have = stat_field(c, "\"total_entries\"");
        if (!reuse || have < store) {
            fprintf(stderr, "nlogd_bench: filling a store of %ld records\n", store);
            long left = store - (have > 0 ? have : 0);
            while (left > 0) {
                long chunk = left > 1000000 ? 1000000 : left;
                b = make_bodies(chunk, 86400.0 * 7, &nb, &raw);
                ingest(b, nb, 2);
                for (size_t k = 0; k < nb; k++)
                    free(b[k].gz);
                free(b);
                left -= chunk;
                fprintf(stderr, "nlogd_bench: %ld to go\n", left);
            }
        }
        double t0 = now_s();
        long long pending;
        while ((pending = stat_field(c, "\"text_index_pending\"")) > 0) {
            fprintf(stderr, "\rnlogd_bench: word index catching up, %lld to go   ", pending);
            sleep(2);
        }
        double catchup = now_s() - t0;
        /* Then the segment merges the idle writer does (store.h): queries
         * right after a large catch-up read many small segments. */
        while (stat_has(c, "\"index_merging\":true") && now_s() - t0 < 600) {
            fprintf(stderr, "\rnlogd_bench: index segments merging                   ");
            sleep(2);
        }
        double merged = now_s() - t0;
        long long total = stat_field(c, "\"total_entries\"");
        if (stat(db, &sb) != 0)
            sb.st_size = 0;
        printf("Queries on a store of %lld records (%.1f GB, timestamps over 7 days); %d timed "
               "requests each after one warm-up, one client, kept-alive connection. The word "
               "index caught up %.0f s after the last insert, its segments were merged %.0f s after "
               "it.\n\n",
               total, (double) sb.st_size / 1e9, queries, catchup, merged);
        printf("| query | request | p50 | p99 | answer | target |\n|---|---|---|---|---|---|\n");
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        time_t h = ts.tv_sec - 3 * 86400;
        struct tm tm;
        gmtime_r(&h, &tm);
        char window[256];
        snprintf(window, sizeof window,
                 "/api/v2/logs/entries?level=WARNING&start_time=%04d-%02d-%02dT%02d:00:00Z"
                 "&end_time=%04d-%02d-%02dT%02d:59:59Z&limit=100",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour);
        latency(c, "filtered list", "/api/v2/logs/entries?level=ERROR&category=api&limit=100",
                queries, 5);
        latency(c, "filtered list, one-hour window", window, queries, 5);
        latency(c, "newest 100", "/api/v2/logs/entries?limit=100", queries, 0);
        latency(c, "text search (1% of messages)",
                "/api/v2/logs/entries?search_query=timeout&limit=100", queries, 50);
        latency(c, "text search, two words + level",
                "/api/v2/logs/entries?search_query=payment+retry&level=WARNING&limit=100",
                queries, 50);
        latency(c, "stats", "/api/v2/logs/stats", queries, 0);
        curl_easy_cleanup(c);
        server_stop();
    }
    return 0;
}
