/* 05_security.c: the product's security quick start in C.
 *
 * Logs a failed login as a security event, an audit record, and then a
 * brute force against one account that the detectors notice; a password and
 * a card number logged by mistake come out masked. Run it in an empty
 * directory and look at logs/security.log and logs/audit.log.
 *
 * Build: cc 05_security.c $(pkg-config --cflags --libs nlog) */
#include <stdio.h>

#include <nlog/nlog.h>

/* Called for every detection, on the thread that logged the event. */
static void on_detection(const nlog_security_detection *d, void *user)
{
    char line[4096];
    (void) user;
    if (nlog_security_detection_format(d, line, sizeof line, NULL) == NLOG_OK)
        printf("detection: %s\n", line);
}

int main(void)
{
    nlog_config cfg;
    nlog_config_init(&cfg);
    cfg.console_enabled = 0;
    if (nlog_init(&cfg) != NLOG_OK) {
        fprintf(stderr, "%s\n", nlog_errmsg());
        return 1;
    }
    nlog_security_set_detection_callback(on_detection, NULL);

    /* The product's example: one failed login. */
    nlog_security_event event = {
        .type = NLOG_SEC_LOGIN_FAILURE,
        .severity = NLOG_SEC_SEVERITY_MEDIUM,
        .timestamp_ns = 0, /* now */
        .user_id = "user123",
        .ip_address = "192.168.1.100",
        .details = (const nlog_field[]){NLOG_META("reason", "invalid_password"),
                                        NLOG_META("attempts", 3)},
        .n_details = 2,
    };
    nlog_log_security_event(&event);

    /* An audit record: who did what to which resource, and whether it worked. */
    NLOG_AUDIT_EVENT("admin", "user.delete", "users/42", NLOG_OUTCOME_SUCCESS,
                     NLOG_META("reason", "account closed on request"));

    /* Four more failures from one address: the fifth is a brute force. */
    for (int i = 0; i < 4; i++)
        nlog_log_security_event(&event);

    /* Secrets logged by mistake are masked before they are written. */
    NLOG_INFO(nlog_get_logger("payments"), "charged card 4111 1111 1111 1111",
              NLOG_CTX("user_id", "user123"), NLOG_META("password", "hunter2"));

    nlog_security_stats st = {.struct_size = sizeof st};
    if (nlog_security_stats_get(&st) == NLOG_OK)
        printf("detector: %llu events, %llu detections\n", (unsigned long long) st.events,
               (unsigned long long) st.detections);
    nlog_shutdown();
    puts("see logs/security.log and logs/audit.log");
    return 0;
}
