/* main.c: nlogd, the NetLink log server.
 *
 *   nlogd [--config FILE] [--listen ADDR] [--database PATH] [--threads N]
 *         [--watch DIR] [--retention-days N] [--port-file FILE]
 *         [--api-keys-file FILE] [--tls-cert FILE] [--tls-key FILE]
 *   nlogd --add-key NAME:ROLE [--api-keys-file FILE | --config FILE]
 *   nlogd --hash-key < KEY
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

#include <sodium.h>
#include <sqlite3.h>

#include "server/auth.h"
#include "server/http/router.h"
#include "server/live_hub.h"
#include "server/selflog.h"
#include "server/server.h"
#include "server/tls.h"
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
            "  --api-keys-file FILE  API keys: NAME ROLE HASH lines (server.api_keys_file); without\n"
            "                        keys nlogd is open to local callers and listens on loopback only\n"
            "  --tls-cert FILE       PEM certificate chain: serve HTTPS/WSS (server.tls_certificate)\n"
            "  --tls-key FILE        its PEM private key (server.tls_key)\n"
            "  --add-key NAME:ROLE   make a new random key, add its hash to the key file, print the\n"
            "                        key once and exit; ROLE: ingest, viewer, security or admin\n"
            "  --hash-key            read a key from stdin, print its hash for a key file, exit\n"
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

/* --hash-key: a key brought by the user (at least NLOGD_KEY_MIN bytes of
 * the key alphabet), read from stdin so it stays out of shell history. */
static int hash_key_main(void)
{
    char key[NLOGD_KEY_MAX + 2];
    if (!fgets(key, sizeof key, stdin)) {
        fprintf(stderr, "nlogd: --hash-key: no key on standard input\n");
        return 2;
    }
    size_t n = strcspn(key, "\r\n");
    key[n] = '\0';
    if (!nlogd_auth_key_syntax_ok(key, n)) {
        explicit_bzero(key, sizeof key);
        fprintf(stderr, "nlogd: --hash-key: the key is not well-formed; accepted: %d to %d of "
                        "A-Z a-z 0-9 - . _ ~ + / = (use a random key: nlogd --add-key makes one)\n",
                NLOGD_KEY_MIN, NLOGD_KEY_MAX);
        return 2;
    }
    unsigned char d[NLOGD_KEY_DIGEST];
    char h[8 + 2 * NLOGD_KEY_DIGEST + 1];
    nlogd_key_digest(key, n, d);
    explicit_bzero(key, sizeof key);
    nlogd_key_digest_text(d, h, sizeof h);
    printf("%s\n", h);
    return 0;
}

/* --add-key NAME:ROLE: a new random key into the configured key file. */
static int add_key_main(const char *spec, const char *path)
{
    const char *colon = strchr(spec, ':');
    nlogd_role role = colon ? nlogd_role_parse(colon + 1, strlen(colon + 1)) : NLOGD_ROLE_NONE;
    if (!colon || !nlogd_key_name_ok(spec, (size_t) (colon - spec)) || role == NLOGD_ROLE_NONE) {
        fprintf(stderr, "nlogd: --add-key: expected NAME:ROLE, NAME %s, ROLE one of %s\n",
                NLOGD_KEY_NAME_ACCEPTED, NLOGD_ROLES_ACCEPTED);
        return 2;
    }
    if (!path[0]) {
        fprintf(stderr, "nlogd: --add-key: no key file: give --api-keys-file FILE (or "
                        "server.api_keys_file in --config FILE)\n");
        return 2;
    }
    char name[NLOGD_KEY_NAME_MAX + 1], key[NLOGD_KEY_NEW_LEN + 1], why[800];
    snprintf(name, sizeof name, "%.*s", (int) (colon - spec), spec);
    unsigned char d[NLOGD_KEY_DIGEST];
    nlogd_key_generate(key);
    nlogd_key_digest(key, strlen(key), d);
    if (nlogd_keys_append_file(path, name, role, d, why, sizeof why) != 0) {
        explicit_bzero(key, sizeof key);
        fprintf(stderr, "nlogd: --add-key: %s\n", why);
        return 1;
    }
    printf("%s\n", key);
    fprintf(stderr, "nlogd: key '%s' (%s) added to %s; the key above is shown only now\n", name,
            nlogd_role_name(role), path);
    explicit_bzero(key, sizeof key);
    return 0;
}

static int is_loopback(const char *listen)
{
    return strncmp(listen, "127.", 4) == 0 || strncmp(listen, "localhost:", 10) == 0;
}

/* Keys, the loopback rule, TLS and the thread budget, before anything starts. */
static int check_access(nlogd_server *srv, char *why, size_t why_size)
{
    nlog_config *c = &srv->cfg;
    if (nlogd_keys_load(&srv->keys, c->server_api_keys_file, why, why_size) != 0)
        return -1;
    if (!nlogd_keys_enabled(&srv->keys) && !is_loopback(c->server_listen)) {
        snprintf(why, why_size,
                 "refusing to listen on %s without API keys: anyone who can reach it could read "
                 "and write every log; configure keys (server.api_keys_file, see nlogd "
                 "--add-key) or listen on a loopback address (127.0.0.1:PORT)",
                 c->server_listen);
        return -1;
    }
    int tls = nlogd_tls_configured(c, why, why_size);
    if (tls < 0)
        return -1;
    srv->tls = tls;
    /* stream off (0 clients): nothing holds a worker, any num_threads will do */
    if (c->server_stream_max_clients > 0 &&
        c->server_stream_max_clients > c->server_num_threads - 4) {
        snprintf(why, why_size,
                 "server.stream_max_clients (%d) must leave at least 4 of server.num_threads (%d) "
                 "for other requests: each live-stream client holds a worker thread; raise "
                 "server.num_threads to at least %d or lower server.stream_max_clients",
                 c->server_stream_max_clients, c->server_num_threads,
                 c->server_stream_max_clients + 4);
        return -1;
    }
    srv->rate = malloc(sizeof *srv->rate);
    if (!srv->rate) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    nlogd_rate_init(srv->rate, nlogd_keys_enabled(&srv->keys) ? c->server_rate_limit : 0);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'},   {"listen", required_argument, 0, 'l'},
        {"database", required_argument, 0, 'd'}, {"threads", required_argument, 0, 't'},
        {"watch", required_argument, 0, 'w'},    {"retention-days", required_argument, 0, 'r'},
        {"port-file", required_argument, 0, 'p'}, {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},        {"api-keys-file", required_argument, 0, 'k'},
        {"tls-cert", required_argument, 0, 'C'}, {"tls-key", required_argument, 0, 'K'},
        {"add-key", required_argument, 0, 'A'},  {"hash-key", no_argument, 0, 'H'},
        {0, 0, 0, 0},
    };
    static const struct {
        int opt;
        const char *flag, *key;
    } flag_keys[] = {{'l', "listen", "server.listen"},
                     {'d', "database", "server.database"},
                     {'t', "threads", "server.num_threads"},
                     {'w', "watch", "server.watch_directory"},
                     {'r', "retention-days", "server.retention_days"},
                     {'k', "api-keys-file", "server.api_keys_file"},
                     {'C', "tls-cert", "server.tls_certificate"},
                     {'K', "tls-key", "server.tls_key"}};
    nlog_config in;
    nlog_error err;
    const char *port_file = NULL, *add_key = NULL;
    int hash_key = 0;
    /* SQLite's memory statistics take a global mutex around every malloc
     * of every connection (about 2% of the writer's CPU under ingest);
     * nlogd never reads them. Before any other SQLite call. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
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
        if (c == 'A') {
            add_key = optarg;
            continue;
        }
        if (c == 'H') {
            hash_key = 1;
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

    if (sodium_init() < 0) {
        fprintf(stderr, "nlogd: cannot initialise libsodium\n");
        return 1;
    }
    if (hash_key)
        return hash_key_main();
    static nlogd_server srv;
    if (nlog_config_resolve(&in, &srv.cfg, &err) != NLOG_OK) {
        fprintf(stderr, "nlogd: %s\n", err.message);
        return 2;
    }
    if (add_key)
        return add_key_main(add_key, srv.cfg.server_api_keys_file);
    char why0[1400];
    if (check_access(&srv, why0, sizeof why0) != 0) {
        fprintf(stderr, "nlogd: %s\n", why0);
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
    nlogd_queue_config qc;
    nlogd_queue_config_init(&qc);
    qc.cap_records = (size_t) srv.cfg.server_queue_records;
    qc.cap_bytes = (size_t) srv.cfg.server_queue_max_bytes;
    qc.retention_days = srv.cfg.server_retention_days;
    if (nlogd_queue_start_cfg(srv.store, &qc, &srv.queue) != NLOG_OK) {
        fprintf(stderr, "nlogd: cannot start the store writer\n");
        goto out;
    }
    if (nlogd_selflog_start(&srv, &srv.selflog) != 0 || nlogd_hub_start(&srv, &srv.hub) != 0) {
        fprintf(stderr, "nlogd: cannot start the live stream and security-event threads\n");
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
        nlog_logf(lg, NLOG_LEVEL_INFO, NULL,
                  "listening on %s://%s:%d (store %s, %d threads, live page at /, stream of at "
                  "most %d clients)",
                  srv.tls ? "https" : "http", host, srv.port, srv.cfg.server_database,
                  srv.cfg.server_num_threads, srv.cfg.server_stream_max_clients);
        if (nlogd_keys_enabled(&srv.keys))
            nlog_logf(lg, NLOG_LEVEL_INFO, NULL, "access control: %zu API keys from %s",
                      srv.keys.n, srv.keys.path);
        else
            nlog_logf(lg, NLOG_LEVEL_WARNING, NULL,
                      "access control: no API keys configured (server.api_keys_file), so every "
                      "local caller may do everything; listening on loopback only");
    }
    int sig = 0;
    while (sigwait(&stop_set, &sig) != 0)
        ;
    nlog_logf(lg, NLOG_LEVEL_INFO, NULL, "signal %d: stopping", sig);
    status = 0;
out:
    nlogd_watch_stop(watch);
    nlogd_http_stop(&srv);
    nlogd_hub_stop(srv.hub);
    nlogd_selflog_stop(srv.selflog);
    nlogd_queue_stop(srv.queue);
    nlogd_store_close(srv.store);
    nlogd_keys_free(&srv.keys);
    if (srv.rate) {
        nlogd_rate_deinit(srv.rate);
        free(srv.rate);
    }
    if (status == 0)
        nlog_info(lg, "stopped");
    nlog_shutdown();
    return status;
}
