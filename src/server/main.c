/* main.c: nlogd, the NetLink log server.
 *
 *   nlogd [--config FILE] [--listen ADDR] [--database PATH] [--threads N]
 *         [--watch DIR] [--retention-days N] [--port-file FILE]
 *
 * Settings come from the same layers as the library's (defaults, profile,
 * YAML file, NETLINK_LOG_SERVER_* variables), and flags win over all of
 * them. Start-up order: store, writer queue, HTTP, watcher; SIGTERM/SIGINT
 * stop them in reverse: no new connections, requests in progress finish
 * (their batches are committed), the queue is drained, the store closed.
 * Exit status: 0 after a clean stop, 1 when start-up fails, 2 for a wrong
 * command line or configuration.
 * Tested by: tests/integration/server/test_server.py */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nlog/nlog.h>

#include "server/http/router.h"
#include "server/server.h"
#include "server/watch.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: nlogd [options]\n"
            "  --config FILE         YAML configuration (its server: section); also $NETLINK_LOG_CONFIG\n"
            "  --listen ADDR         IPV4:PORT to listen on (server.listen, default 127.0.0.1:8000;\n"
            "                        port 0 picks a free port)\n"
            "  --database PATH       SQLite store (server.database, default nlogd.db)\n"
            "  --threads N           HTTP worker threads = concurrent connections (server.num_threads)\n"
            "  --watch DIR           follow the *.log JSON-lines files in DIR (server.watch_directory)\n"
            "  --retention-days N    delete records older than N days; 0 keeps all (server.retention_days)\n"
            "  --port-file FILE      write the port listened on to FILE once listening\n"
            "  --help, --version\n"
            "Every server.* key also reads NETLINK_LOG_SERVER_<KEY>; see docs/configuration.md.\n");
}

static int write_port_file(const char *path, int port)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'},   {"listen", required_argument, 0, 'l'},
        {"database", required_argument, 0, 'd'}, {"threads", required_argument, 0, 't'},
        {"watch", required_argument, 0, 'w'},    {"retention-days", required_argument, 0, 'r'},
        {"port-file", required_argument, 0, 'p'}, {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},        {0, 0, 0, 0},
    };
    static const struct {
        int opt;
        const char *flag, *key;
    } flag_keys[] = {{'l', "listen", "server.listen"},
                     {'d', "database", "server.database"},
                     {'t', "threads", "server.num_threads"},
                     {'w', "watch", "server.watch_directory"},
                     {'r', "retention-days", "server.retention_days"}};
    nlog_config in;
    nlog_error err;
    const char *port_file = NULL;
    nlog_config_init(&in);
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        if (c == 'V') {
            printf("nlogd %s\n", nlog_version());
            return 0;
        }
        if (c == 'c') {
            if (strlen(optarg) >= sizeof in.config_file) {
                fprintf(stderr, "nlogd: --config: path longer than %zu bytes\n",
                        sizeof in.config_file - 1);
                return 2;
            }
            snprintf(in.config_file, sizeof in.config_file, "%s", optarg);
            continue;
        }
        if (c == 'p') {
            port_file = optarg;
            continue;
        }
        size_t i = 0;
        while (i < sizeof flag_keys / sizeof flag_keys[0] && flag_keys[i].opt != c)
            i++;
        if (i == sizeof flag_keys / sizeof flag_keys[0]) {
            usage(stderr);
            return 2;
        }
        if (nlog_config_set(&in, flag_keys[i].key, optarg, &err) != NLOG_OK) {
            fprintf(stderr, "nlogd: --%s: %s\n", flag_keys[i].flag, err.message);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "nlogd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }

    static nlogd_server srv;
    if (nlog_config_resolve(&in, &srv.cfg, &err) != NLOG_OK) {
        fprintf(stderr, "nlogd: %s\n", err.message);
        return 2;
    }

    /* Signals are taken by sigwait() below; every thread inherits the mask,
     * so it is set before any thread starts — nlog_init() may start some. */
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* nlogd's own messages: console only, never its own remote output. */
    nlog_config own;
    nlog_config_init(&own);
    own.use_environment = 0;
    own.file_enabled = 0;
    own.console_enabled = 1;
    own.level = NLOG_LEVEL_INFO;
    if (nlog_init(&own) != NLOG_OK) {
        fprintf(stderr, "nlogd: %s\n", nlog_errmsg());
        return 1;
    }
    nlog_logger *lg = nlog_get_logger("nlogd");

    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    srv.started_mono_ns = (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
    srv.started_ns = nlogd_now_ns();

    char why[1400];
    int status = 1;
    nlogd_watch *watch = NULL;
    if (nlogd_store_open(srv.cfg.server_database, &srv.store, why, sizeof why) != NLOG_OK) {
        NLOG_CRITICAL(lg, "cannot open the store", NLOG_META("reason", why));
        fprintf(stderr, "nlogd: %s\n", why);
        goto out;
    }
    if (nlogd_queue_start(srv.store, (size_t) srv.cfg.server_queue_records,
                          srv.cfg.server_retention_days, &srv.queue) != NLOG_OK) {
        fprintf(stderr, "nlogd: cannot start the store writer\n");
        goto out;
    }
    if (nlogd_http_start(&srv, why, sizeof why) != 0) {
        fprintf(stderr, "nlogd: %s\n", why);
        goto out;
    }
    if (srv.cfg.server_watch_directory[0] &&
        nlogd_watch_start(&srv, srv.cfg.server_watch_directory, &watch, why, sizeof why) != 0) {
        fprintf(stderr, "nlogd: %s\n", why);
        goto out;
    }
    if (port_file && write_port_file(port_file, srv.port) != 0) {
        fprintf(stderr, "nlogd: --port-file %s: %s\n", port_file, strerror(errno));
        goto out;
    }
    {
        char host[NLOG_CONFIG_LISTEN_MAX];
        snprintf(host, sizeof host, "%s", srv.cfg.server_listen);
        char *colon = strrchr(host, ':');
        if (colon)
            *colon = '\0';
        nlog_logf(lg, NLOG_LEVEL_INFO, NULL, "listening on http://%s:%d (store %s, %d threads)",
                  host, srv.port, srv.cfg.server_database, srv.cfg.server_num_threads);
    }
    int sig = 0;
    while (sigwait(&stop_set, &sig) != 0)
        ;
    nlog_logf(lg, NLOG_LEVEL_INFO, NULL, "signal %d: stopping", sig);
    status = 0;
out:
    nlogd_watch_stop(watch);
    nlogd_http_stop(&srv);
    nlogd_queue_stop(srv.queue);
    nlogd_store_close(srv.store);
    if (status == 0)
        nlog_info(lg, "stopped");
    nlog_shutdown();
    return status;
}
