/* 04_performance.c: the product's performance quick start in C — a timed
 * block, custom metrics, a timed function, an alert with a callback — then
 * a window's statistics and trend, and the first lines of the Prometheus
 * exposition. Records of category "performance" go to logs/netlink.log (or
 * the directory given as the first argument).
 *
 *     ./04_performance [log-directory] */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <nlog/nlog.h>

/* Stands in for real work. */
static volatile double work_sink;
static void simulated_work(int units)
{
    for (int i = 0; i < units * 100000; i++)
        work_sink = work_sink * 0.5 + i;
}

/* The product's @time_function("user_authentication"): every call of the
 * function is timed, whatever path returns from it. */
static bool authenticate_user(const char *username, const char *password)
{
    NLOG_TIME_SCOPE("user_authentication");
    simulated_work(2);
    return username && password && strcmp(password, "wrong") != 0;
}

/* The product's PerformanceAlert callback. */
static void on_alert(const nlog_alert_event *ev, void *user)
{
    (void) user;
    printf("alert %s: %s = %g %s\n", ev->state == NLOG_ALERT_FIRING ? "FIRING" : "resolved",
           ev->metric, ev->value, ev->unit);
}

int main(int argc, char **argv)
{
    nlog_config cfg;
    nlog_config_init(&cfg);
    snprintf(cfg.directory, sizeof cfg.directory, "%s", argc > 1 ? argv[1] : "logs");
    cfg.console_enabled = 0; /* the records go to the file; this program prints a summary */
    if (nlog_init(&cfg) != NLOG_OK) {
        fprintf(stderr, "cannot start logging: %s\n", nlog_errmsg());
        return 1;
    }

    /* response_time > 2 s sustained for 60 s (duration 0 here, so the demo fires) */
    nlog_alert_config alert;
    nlog_alert_config_init(&alert);
    alert.metric = "response_time";
    alert.threshold = 2.0;
    alert.compare = NLOG_CMP_GT;
    alert.duration_ns = 0; /* the product's example uses 60 s: 60 * 1000000000LL */
    alert.callback = on_alert;
    if (nlog_perf_alert(&alert, NULL) != NLOG_OK) {
        fprintf(stderr, "cannot add the alert: %s\n", nlog_errmsg());
        return 1;
    }

    /* Time operations with a block */
    NLOG_TIMED("database_query", NLOG_TAG("table", "users")) {
        simulated_work(5);
    }

    /* Record custom metrics */
    nlog_record_metric("active_users", 1250, "count");
    nlog_record_metric("response_size", 2048, "bytes", NLOG_TAG("endpoint", "/api/users"));

    /* Automatic function timing */
    for (int i = 0; i < 10; i++)
        (void) authenticate_user("user123", i == 3 ? "wrong" : "secret");

    /* A start/stop timer around a request, and one slow response for the alert */
    for (int i = 0; i < 20; i++) {
        nlog_timer t;
        nlog_timer_start(&t, "request_processing", (nlog_tag[]){{"endpoint", "/api/users"}}, 1);
        simulated_work(1);
        double seconds = nlog_timer_stop(&t);
        nlog_record_metric("response_time", seconds, "seconds");
    }
    nlog_record_metric("response_time", 2.5, "seconds"); /* fires the alert */
    nlog_record_metric("response_time", 0.1, "seconds"); /* resolves it */

    /* Statistics and trend of the last 5 minutes */
    nlog_perf_query q;
    nlog_perf_query_init(&q);
    q.metric = "user_authentication";
    nlog_perf_summary s;
    nlog_perf_trend tr;
    if (nlog_perf_query_run(&q, &s, &tr) == NLOG_OK)
        printf("user_authentication: %llu calls, mean %.3f ms, p95 %.3f ms, trend %s\n",
               (unsigned long long) s.count, s.mean * 1e3, s.p95 * 1e3,
               nlog_trend_name(tr.direction));

    /* What a Prometheus scrape of /metrics would read */
    char *text = NULL;
    if (nlog_perf_prometheus(&text, NULL) == NLOG_OK) {
        const char *p = text;
        for (int line = 0; line < 6 && *p; line++) {
            const char *nl = strchr(p, '\n');
            printf("%.*s\n", (int) (nl ? nl - p : (long) strlen(p)), p);
            p = nl ? nl + 1 : p + strlen(p);
        }
        nlog_perf_free(text);
    }

    printf("performance records written to %s/netlink.log\n", cfg.directory);
    nlog_shutdown();
    return 0;
}
