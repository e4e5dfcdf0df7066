/* 01_quickstart.c: the product's quick start in C.
 *
 * Logs every level, a few categories and structured fields with the
 * development profile (DEBUG, colours, fields on the console), then says
 * where the JSON-lines files are. Run it from any directory: the files go to
 * ./logs unless NETLINK_LOG_DIRECTORY says otherwise. */
#define _XOPEN_SOURCE 700 /* realpath() */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include <nlog/nlog.h>

static void authenticate_user(nlog_logger *logger, const char *user, int attempts)
{
    NLOG_INFO(logger, "User authenticated successfully", NLOG_CATEGORY(NLOG_CAT_API),
              NLOG_CTX("request_id", "req_123456"), NLOG_CTX("user_id", user),
              NLOG_CTX("ip_address", "192.168.1.100"), NLOG_META("auth_method", "password"),
              NLOG_META("attempts", attempts), NLOG_PERF("response_time", 0.045),
              NLOG_PERF("memory_usage", 128.5));
}

int main(void)
{
    nlog_config cfg;
    nlog_config_init(&cfg); /* everything "not set": profile, file and environment decide */
    snprintf(cfg.profile, sizeof cfg.profile, "development");
    if (nlog_init(&cfg) != NLOG_OK) {
        fprintf(stderr, "cannot start logging: %s\n", nlog_errmsg());
        return 1;
    }

    /* Get a logger */
    nlog_logger *logger = nlog_get_logger("my_module");

    /* Basic logging, printf-style */
    nlog_info(logger, "Application started");
    nlog_warning(logger, "Configuration file not found, using defaults");
    nlog_error(logger, "Database connection failed");
    nlog_debug(logger, "Pool has %d of %d connections free", 3, 10);
    nlog_trace(logger, "below the development threshold: not written");

    /* Structured logging with context */
    NLOG_INFO(logger, "User login", NLOG_CATEGORY(NLOG_CAT_SECURITY),
              NLOG_CTX("user_id", "user123"), NLOG_CTX("ip_address", "192.168.1.100"),
              NLOG_META("login_method", "password"), NLOG_META("success", true));
    authenticate_user(nlog_get_logger("auth_service"), "user_789", 1);

    /* Other categories */
    NLOG_WARNING(nlog_get_logger("database"), "Slow query", NLOG_CATEGORY(NLOG_CAT_DATABASE),
                 NLOG_CTX("table", "users"), NLOG_PERF("query_time", 1.27));
    NLOG_CRITICAL(nlog_get_logger("network"), "Upstream unreachable",
                  NLOG_CATEGORY(NLOG_CAT_NETWORK), NLOG_CTX("host", "10.0.0.7"),
                  NLOG_META("retries", 5));

    /* SECURITY and AUDIT records pass any threshold and get files of their own */
    NLOG_SECURITY(logger, "Login failure", NLOG_CATEGORY(NLOG_CAT_AUTH),
                  NLOG_CTX("user_id", "user123"), NLOG_CTX("ip_address", "203.0.113.9"),
                  NLOG_META("reason", "invalid_password"), NLOG_META("attempts", 3));
    NLOG_AUDIT(logger, "Configuration changed", NLOG_CATEGORY(NLOG_CAT_AUDIT),
               NLOG_CTX("actor", "admin"), NLOG_META("key", "level"),
               NLOG_META("new_value", "DEBUG"));

    nlog_config got;
    if (nlog_get_config(&got) == NLOG_OK && got.file_enabled) {
        char abs[PATH_MAX];
        const char *where = realpath(got.directory, abs) ? abs : got.directory;
        printf("\nThe console above shows the records; JSON lines were written to:\n"
               "  %s/netlink.log    every record\n"
               "  %s/security.log   SECURITY records and category \"security\"\n"
               "  %s/audit.log      AUDIT records and category \"audit\"\n"
               "Try: tail -n 3 %s/netlink.log\n",
               where, where, where, where);
    }
    nlog_shutdown();
    return 0;
}
