/* 06_sealed.c: tamper-evident logs. Writes sealed records, then verifies
 * them with nothing but the public key, as an auditor would.
 *
 *     nlog keygen --sealing keys             (on an offline machine)
 *     mkdir -p logs/.seal && cp keys/host/NAME.seal logs/.seal/   (each log)
 *     ./06_sealed logs keys/seal.pub
 *
 * Without a host sealing state in logs/.seal the records are still written,
 * unsealed, and the library says so once; with seal_required they would not
 * start at all. */
#include <stdio.h>

#include <nlog/nlog.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s LOG_DIRECTORY SEAL_PUB\n", argv[0]);
        return 2;
    }
    nlog_config cfg;
    nlog_config_init(&cfg);
    snprintf(cfg.directory, sizeof cfg.directory, "%s", argv[1]);
    cfg.console_enabled = 0;
    cfg.seal = 1;          /* netlink.log too; security.log and audit.log are sealed by default */
    cfg.seal_required = 1; /* refuse to run unsealed */
    if (nlog_init(&cfg) != NLOG_OK) {
        fprintf(stderr, "cannot start logging: %s\n", nlog_errmsg());
        return 1;
    }
    nlog_logger *auth = nlog_get_logger("auth");
    for (int i = 0; i < 5; i++)
        NLOG_INFO(auth, "login", NLOG_CTX("user", "alice"), NLOG_META("attempt", i));
    NLOG_SECURITY(auth, "password guessing", NLOG_CTX("ip_address", "192.0.2.7"),
                  NLOG_META("attempts", 12));
    NLOG_AUDIT(auth, "role granted", NLOG_CTX("user", "alice"), NLOG_META("role", "admin"));
    nlog_shutdown(); /* closing writes the last checkpoints */

    /* The auditor's side: the public key and the files, nothing else. */
    nlog_seal_key *key;
    if (nlog_seal_key_load(argv[2], &key) != NLOG_OK) {
        fprintf(stderr, "%s\n", nlog_errmsg());
        return 1;
    }
    nlog_seal_verify_opts opts;
    nlog_seal_verify_opts_init(&opts);
    const nlog_seal_key *keys[] = {key};
    opts.keys = keys;
    opts.n_keys = 1;
    const char *paths[] = {argv[1]};
    nlog_seal_report *report;
    if (nlog_seal_verify(&opts, paths, 1, &report) != NLOG_OK) {
        fprintf(stderr, "cannot verify: %s\n", nlog_errmsg());
        nlog_seal_key_destroy(key);
        return 1;
    }
    for (size_t i = 0; i < nlog_seal_report_n_logs(report); i++) {
        const nlog_seal_log_summary *s = nlog_seal_report_log(report, i);
        printf("%s: %s, %llu records sealed by %llu checkpoints\n", s->name,
               s->problems ? "FAILED" : "verified", (unsigned long long) s->sealed_records,
               (unsigned long long) s->checkpoints);
    }
    for (size_t i = 0; i < nlog_seal_report_n_problems(report); i++) {
        const nlog_seal_problem *p = nlog_seal_report_problem(report, i);
        printf("  %s at record %llu (%s, byte %lld): %s\n", nlog_seal_kind_name(p->kind),
               (unsigned long long) p->seq, p->file, (long long) p->offset, p->message);
    }
    int ok = nlog_seal_report_ok(report);
    nlog_seal_report_destroy(report);
    nlog_seal_key_destroy(key);
    return ok ? 0 : 1;
}
