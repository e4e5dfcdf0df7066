/* consumer.c: an outside program built against an installed libnlog. */
#include <stdio.h>
#include <string.h>

#include <nlog/nlog.h>

int main(void)
{
    if (strcmp(nlog_version(), NLOG_VERSION_STRING) != 0) {
        fprintf(stderr, "header %s, library %s\n", NLOG_VERSION_STRING, nlog_version());
        return 1;
    }
    nlog_config cfg;
    nlog_config_init(&cfg);
    cfg.use_environment = 0;
    cfg.file_enabled = 0;
    cfg.console_stream = NLOG_CONSOLE_STDOUT;
    cfg.console_colors = 0;
    if (nlog_init(&cfg) != NLOG_OK)
        return 1;
    NLOG_INFO(nlog_get_logger("consumer"), "consumer works", NLOG_CTX("ok", true));
    nlog_shutdown();
    return 0;
}
