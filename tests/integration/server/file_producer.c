/* file_producer.c: a test program that logs numbered records to files with
 * libnlog's own rotation, for the watcher tests (the files nlogd follows
 * are exactly what the library writes and how it rotates them).
 *
 *   file_producer DIR MAX_FILE_SIZE COMPRESSION
 *
 * COMPRESSION is none, zstd or gzip. Reads commands on stdin:
 *   N         logs N records "wrec <i>" (i counting on from earlier
 *             commands; every tenth is a SECURITY record "wsec <i>"), then
 *             nlog_flush(), then prints "ok <records so far>"
 *   m TEXT    logs one INFO record with message TEXT, flushes, prints "ok"
 *   q         nlog_shutdown() and exit 0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nlog/nlog.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: file_producer DIR MAX_FILE_SIZE none|zstd|gzip\n");
        return 2;
    }
    nlog_config cfg;
    nlog_error err;
    nlog_config_init(&cfg);
    cfg.use_environment = 0;
    cfg.console_enabled = 0;
    cfg.level = NLOG_LEVEL_TRACE;
    snprintf(cfg.directory, sizeof cfg.directory, "%s", argv[1]);
    int compress = strcmp(argv[3], "none") != 0;
    if (nlog_config_set(&cfg, "max_file_size", argv[2], &err) != NLOG_OK ||
        nlog_config_set(&cfg, "compression_enabled", compress ? "true" : "false", &err) !=
            NLOG_OK ||
        (compress && nlog_config_set(&cfg, "compression", argv[3], &err) != NLOG_OK) ||
        nlog_config_set(&cfg, "audit_lifecycle", "false", &err) != NLOG_OK) {
        fprintf(stderr, "file_producer: %s\n", err.message);
        return 2;
    }
    if (nlog_init(&cfg) != NLOG_OK) {
        fprintf(stderr, "file_producer: %s\n", nlog_errmsg());
        return 1;
    }
    nlog_logger *lg = nlog_get_logger("producer");
    long next = 0;
    char line[512];
    while (fgets(line, sizeof line, stdin)) {
        if (line[0] == 'q')
            break;
        if (line[0] == 'm' && line[1] == ' ') {
            line[strcspn(line, "\n")] = '\0';
            (void) nlog_logf(lg, NLOG_LEVEL_INFO, NULL, "%s", line + 2);
        } else {
            long n = atol(line);
            for (long i = 0; i < n; i++, next++) {
                if (next % 10 == 9)
                    (void) nlog_logf(lg, NLOG_LEVEL_SECURITY, NULL, "wsec %ld", next);
                else
                    (void) nlog_logf(lg, NLOG_LEVEL_INFO, NULL, "wrec %ld", next);
            }
        }
        if (nlog_flush() != NLOG_OK) {
            fprintf(stderr, "file_producer: flush failed\n");
            return 1;
        }
        printf("ok %ld\n", next);
        fflush(stdout);
    }
    nlog_shutdown();
    return 0;
}
