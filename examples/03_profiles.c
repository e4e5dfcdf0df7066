/* 03_profiles.c: configuration profiles and where each setting came from.
 * Usage: 03_profiles [development|testing|production|debug] */
#include <stdio.h>

#include <nlog/nlog.h>

static void show(const char *key, const char *value, const char *source, void *user)
{
    (void) user;
    printf("  %-22s %-12s (%s)\n", key, value, source);
}

int main(int argc, char **argv)
{
    nlog_config cfg;
    nlog_config_init(&cfg);
    snprintf(cfg.profile, sizeof cfg.profile, "%s", argc > 1 ? argv[1] : "production");

    nlog_error err;
    if (nlog_config_explain(&cfg, show, NULL, &err) != NLOG_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    if (nlog_init(&cfg) != NLOG_OK) {
        fprintf(stderr, "cannot start logging: %s\n", nlog_errmsg());
        return 1;
    }
    nlog_logger *lg = nlog_get_logger("profiles");
    nlog_debug(lg, "debug line (shown by development and debug)");
    nlog_info(lg, "info line");
    nlog_warning(lg, "warning line (shown by every profile)");

    /* Switch at run time: same handles, new thresholds and outputs. */
    if (nlog_set_profile("debug") == NLOG_OK)
        nlog_trace(lg, "trace line, after switching to the debug profile");
    nlog_shutdown();
    return 0;
}
