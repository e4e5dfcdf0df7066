/* 02_fields.c: every field type, a custom category, and silencing a noisy
 * third-party component through the logger hierarchy. */
#include <stdio.h>
#include <stdint.h>

#include <nlog/nlog.h>

int main(void)
{
    nlog_config cfg;
    nlog_config_init(&cfg);
    cfg.level = NLOG_LEVEL_DEBUG;
    cfg.console_fields = 1;
    /* Everything under "noisy.lib" only logs ERROR and above. */
    cfg.n_loggers = 1;
    snprintf(cfg.loggers[0].name, sizeof cfg.loggers[0].name, "noisy.lib");
    cfg.loggers[0].level = NLOG_LEVEL_ERROR;
    if (nlog_init(&cfg) != NLOG_OK) {
        fprintf(stderr, "cannot start logging: %s\n", nlog_errmsg());
        return 1;
    }

    nlog_category billing;
    if (nlog_category_register("billing", &billing) != NLOG_OK) {
        fprintf(stderr, "%s\n", nlog_errmsg());
        return 1;
    }

    nlog_logger *app = nlog_get_logger("shop.checkout");
    uint64_t order = 9007199254740993ull; /* exact in JSON, beyond double precision */
    const char *coupon = NULL;
    NLOG_INFO(app, "Order placed", NLOG_CATEGORY(billing), NLOG_CTX("order_id", order),
              NLOG_CTX("customer", "c-42"), NLOG_CTX("coupon", coupon),
              NLOG_META("items", 3), NLOG_META("gift", false), NLOG_META("total_eur", 59.90),
              NLOG_PERF("checkout_seconds", 1.5));

    nlog_logger *noisy = nlog_get_logger("noisy.lib.http");
    nlog_info(noisy, "this is silenced by the loggers map");
    nlog_error(noisy, "errors still get through");

    nlog_shutdown();
    return 0;
}
