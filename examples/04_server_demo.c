/* 04_server_demo.c: a web service's traffic shipped to nlogd through the
 * remote output (server_url), as scripts/run.sh shows it.
 *
 *   04_server_demo [SERVER_URL [RECORDS]]
 *
 * SERVER_URL defaults to the configuration's server_url (for example
 * NETLINK_LOG_SERVER_URL), else http://127.0.0.1:8000; RECORDS (default 5000)
 * is roughly how many records are logged. The traffic: API requests with
 * their method, path, status and response time; database queries with their
 * timings; periodic CPU and memory samples (category performance); logins,
 * mostly successful, and a brute-force burst of failed logins from one
 * address followed by the SECURITY event that flags it; now and then an
 * error or an AUDIT record of a configuration change. Everything is logged
 * asynchronously, and nlog_shutdown() sends what is left before exiting. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nlog/nlog.h>

static unsigned long rng = 12345;

static unsigned rnd(unsigned n)
{
    rng = rng * 6364136223846793005UL + 1442695040888963407UL;
    return (unsigned) ((rng >> 33) % n);
}

static const char *const paths[] = {"/api/users", "/api/orders", "/api/orders/{id}",
                                    "/api/search", "/api/cart", "/health"};
static const char *const methods[] = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};
static const char *const users[] = {"alice", "bob", "carol", "dave", "erin", "frank"};

static void api_request(nlog_logger *api, long i)
{
    const char *path = paths[rnd(6)];
    int status = rnd(100) < 93 ? 200 : rnd(2) ? 404 : 500;
    double rt = 0.005 + rnd(200) / 1000.0 + (status == 500 ? 1.5 : 0.0);
    char req[32];
    snprintf(req, sizeof req, "req_%06ld", i);
    if (status == 500)
        NLOG_ERROR(api, "Request failed: upstream timeout", NLOG_CATEGORY(NLOG_CAT_API),
                   NLOG_CTX("request_id", req), NLOG_CTX("method", methods[rnd(6)]),
                   NLOG_CTX("path", path), NLOG_META("status_code", status),
                   NLOG_PERF("response_time", rt));
    else
        NLOG_INFO(api, "Request processed", NLOG_CATEGORY(NLOG_CAT_API),
                  NLOG_CTX("request_id", req), NLOG_CTX("method", methods[rnd(6)]),
                  NLOG_CTX("path", path), NLOG_CTX("user_id", users[rnd(6)]),
                  NLOG_META("status_code", status), NLOG_PERF("response_time", rt));
}

static void db_query(nlog_logger *db)
{
    static const char *const tables[] = {"users", "orders", "products", "sessions"};
    double ms = 0.3 + rnd(4000) / 100.0;
    const char *table = tables[rnd(4)];
    if (ms > 35.0)
        NLOG_WARNING(db, "Slow query", NLOG_CATEGORY(NLOG_CAT_DATABASE),
                     NLOG_CTX("table", table), NLOG_PERF("query_time_ms", ms),
                     NLOG_PERF("rows", (int) rnd(5000)));
    else
        NLOG_DEBUG(db, "Query executed", NLOG_CATEGORY(NLOG_CAT_DATABASE),
                   NLOG_CTX("table", table), NLOG_PERF("query_time_ms", ms),
                   NLOG_PERF("rows", (int) rnd(100)));
    if (rnd(400) == 0)
        NLOG_WARNING(db, "Connection pool exhausted, creating new connection",
                     NLOG_CATEGORY(NLOG_CAT_DATABASE), NLOG_META("pool_size", 32));
}

static void login(nlog_logger *auth, const char *user, const char *ip, int ok)
{
    if (ok)
        NLOG_SECURITY(auth, "User login", NLOG_CATEGORY(NLOG_CAT_SECURITY),
                      NLOG_CTX("user_id", user), NLOG_CTX("ip_address", ip),
                      NLOG_META("event_type", "LOGIN_SUCCESS"), NLOG_META("severity", "LOW"),
                      NLOG_META("login_method", "password"), NLOG_META("success", true));
    else
        NLOG_SECURITY(auth, "Login failed", NLOG_CATEGORY(NLOG_CAT_SECURITY),
                      NLOG_CTX("user_id", user), NLOG_CTX("ip_address", ip),
                      NLOG_META("event_type", "LOGIN_FAILURE"), NLOG_META("severity", "MEDIUM"),
                      NLOG_META("reason", "invalid_password"), NLOG_META("success", false));
}

static void brute_force(nlog_logger *auth)
{
    const char *ip = "203.0.113.66";
    for (int i = 0; i < 25; i++)
        login(auth, "admin", ip, 0);
    NLOG_SECURITY(auth, "Brute force attack detected", NLOG_CATEGORY(NLOG_CAT_SECURITY),
                  NLOG_CTX("user_id", "admin"), NLOG_CTX("ip_address", ip),
                  NLOG_META("event_type", "BRUTE_FORCE"), NLOG_META("severity", "CRITICAL"),
                  NLOG_META("attempts", 25), NLOG_META("window_seconds", 10));
}

int main(int argc, char **argv)
{
    nlog_config cfg;
    nlog_error err;
    nlog_config_init(&cfg);
    snprintf(cfg.profile, sizeof cfg.profile, "production"); /* async, files, no console */
    snprintf(cfg.directory, sizeof cfg.directory, "demo-logs");
    cfg.level = NLOG_LEVEL_DEBUG;
    if (argc > 1 && nlog_config_set(&cfg, "server_url", argv[1], &err) != NLOG_OK) {
        fprintf(stderr, "04_server_demo: %s\n", err.message);
        return 2;
    }
    long records = argc > 2 ? atol(argv[2]) : 5000;
    nlog_config used;
    if (nlog_config_resolve(&cfg, &used, &err) != NLOG_OK) {
        fprintf(stderr, "04_server_demo: %s\n", err.message);
        return 2;
    }
    if (!used.server_url[0]) /* no server_url anywhere: the local default */
        snprintf(cfg.server_url, sizeof cfg.server_url, "http://127.0.0.1:8000");
    if (nlog_init(&cfg) != NLOG_OK || nlog_get_config(&used) != NLOG_OK) {
        fprintf(stderr, "04_server_demo: %s\n", nlog_errmsg());
        return 1;
    }
    nlog_logger *api = nlog_get_logger("shop.api"), *db = nlog_get_logger("shop.db.pool");
    nlog_logger *auth = nlog_get_logger("shop.auth"), *perf = nlog_get_logger("shop.metrics");
    nlog_logger *admin = nlog_get_logger("shop.admin");
    nlog_info(api, "Service starting, version %s", "2.4.1");
    long n = 0;
    for (long i = 0; n < records; i++) {
        api_request(api, i);
        db_query(db);
        n += 2;
        if (i % 10 == 0) {
            login(auth, users[rnd(6)], "192.168.1.100", rnd(10) != 0);
            n++;
        }
        if (i % 50 == 0) {
            NLOG_INFO(perf, "System metrics", NLOG_CATEGORY(NLOG_CAT_PERFORMANCE),
                      NLOG_PERF("cpu_usage", 20.0 + rnd(600) / 10.0),
                      NLOG_PERF("memory_usage", 512.0 + rnd(2560) / 10.0),
                      NLOG_PERF("active_connections", (int) rnd(200)));
            n++;
        }
        if (i == records / 4)
            brute_force(auth), n += 26;
        if (i % 700 == 0)
            NLOG_AUDIT(admin, "Configuration changed", NLOG_CATEGORY(NLOG_CAT_AUDIT),
                       NLOG_CTX("user_id", "ops"), NLOG_META("setting", "cache_ttl"),
                       NLOG_META("old", 60), NLOG_META("new", 120)), n++;
        if (i % 100 == 0) { /* a little pacing, so rates and series spread over time */
            struct timespec ts = {0, 20000000};
            nanosleep(&ts, NULL);
        }
    }
    NLOG_CRITICAL(api, "Payment provider unreachable", NLOG_CATEGORY(NLOG_CAT_NETWORK),
                  NLOG_CTX("provider", "acme-pay"), NLOG_META("retries", 3));
    nlog_shutdown(); /* sends (or spools) everything still queued */
    nlog_counters c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    unsigned long long total = 0;
    if (nlog_stats(&c) == NLOG_OK)
        for (int l = 0; l < NLOG_LEVEL_COUNT; l++)
            total += c.records[l];
    printf("04_server_demo: logged %llu records; %s acknowledged %llu\n", total,
           used.server_url, (unsigned long long) c.remote_sent);
    return 0;
}
