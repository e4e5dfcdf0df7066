/* cmd_verify.c: `nlog verify --key PUB [options] FILE|DIR...`: verifies
 * sealed log files with the public key(s) only (nlog_seal_verify in
 * seal.h) and reports, per log, either OK with what is sealed and what is
 * not yet, or FAIL with the first bad record's sequence number, byte offset
 * and kind, followed by every problem found.
 *
 * Exit status: 0 every log verified; 1 a log failed verification; 2 usage
 * error; 3 nothing could be verified (unreadable input, invalid key or
 * exported checkpoint file) or an export could not be written (a log with no
 * checkpoint yet is skipped, with a note on stderr).
 * Tested by: tests/integration/seal/cli_seal.sh */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nlog/nlog.h>

int tool_cmd_verify(int argc, char **argv);

static const char usage_text[] =
    "usage: nlog verify --key PUB [--key PUB]... [options] FILE|DIR...\n"
    "\n"
    "Verifies sealed log files: plain, .zst or .gz; a directory means every log in it.\n"
    "  --key PUB                 a trusted public key (seal.pub); repeatable\n"
    "  --json                    one JSON object on stdout instead of text\n"
    "  --export-checkpoint F     after a successful verification, write the last\n"
    "                            checkpoint of the log to F (F.<log> for several logs,\n"
    "                            '/' in <log> as '_'; logs without one are skipped)\n"
    "  --against F               the logs must still extend the exported checkpoint F\n"
    "                            (detects truncation and rollback to an older copy)\n"
    "  --partial                 the inputs need not start at the log's beginning\n"
    "  --max-problems N          problems listed per log (default 100)\n"
    "  --quiet                   print only the result line per log\n"
    "Exit status: 0 verified, 1 verification failed, 2 usage error, 3 cannot verify.\n";

#define MAX_KEYS 16

/* The characters a log name keeps in an export's file name suffix. */
static int sane_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-' || c == '_';
}
#define MAX_PATHS 4096

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("nlog verify: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fputs(usage_text, stderr);
    return 2;
}

/* ---- progress on a terminal --------------------------------------------------------- */

typedef struct progress {
    int on;
    double last;
    int drawn;
} progress;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void on_progress(uint64_t done, uint64_t total, void *user)
{
    progress *p = user;
    double t = now_s();
    if (!p->on || total == 0 || (t - p->last < 0.1 && done < total))
        return;
    p->last = t;
    int width = 40, fill = (int) ((double) width * (double) done / (double) total);
    if (fill > width)
        fill = width;
    fprintf(stderr, "\r[%.*s%*s] %3d%% %.1f/%.1f MB", fill,
            "========================================", width - fill, "",
            (int) (100.0 * (double) done / (double) total), (double) done / 1e6,
            (double) total / 1e6);
    p->drawn = 1;
}

static void progress_clear(progress *p)
{
    if (p->drawn)
        fputs("\r\033[K", stderr);
    p->drawn = 0;
}

/* ---- output ------------------------------------------------------------------------- */

static void json_str(FILE *o, const char *s)
{
    fputc('"', o);
    for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(o, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(o, "\\u%04x", *p);
        else
            fputc(*p, o);
    }
    fputc('"', o);
}

static void print_json(const nlog_seal_report *r, const char *export_err)
{
    printf("{\"ok\":%s,\"logs\":[", nlog_seal_report_ok(r) ? "true" : "false");
    for (size_t i = 0; i < nlog_seal_report_n_logs(r); i++) {
        const nlog_seal_log_summary *s = nlog_seal_report_log(r, i);
        printf("%s{\"name\":", i ? "," : "");
        json_str(stdout, s->name);
        printf(",\"ok\":%s,\"files\":%zu,\"bytes\":%llu,\"records\":%llu,\"checkpoints\":%llu,"
               "\"streams\":%llu,\"sealed\":{\"first\":%llu,\"last\":%llu,\"records\":%llu},"
               "\"trailing\":%llu,\"partial_lines\":%llu,\"unsealed_leading\":%llu,"
               "\"retention\":{\"first\":%llu,\"last\":%llu},\"clock_steps\":%llu,"
               "\"crash_fragments\":%llu,\"against_checked\":%s,\"problems\":%llu,\"found\":[",
               s->problems ? "false" : "true", s->files, (unsigned long long) s->bytes,
               (unsigned long long) s->records, (unsigned long long) s->checkpoints,
               (unsigned long long) s->streams, (unsigned long long) s->sealed_first,
               (unsigned long long) s->sealed_last, (unsigned long long) s->sealed_records,
               (unsigned long long) s->trailing, (unsigned long long) s->partial_lines,
               (unsigned long long) s->unsealed_leading,
               (unsigned long long) s->retention_first, (unsigned long long) s->retention_last,
               (unsigned long long) s->clock_steps, (unsigned long long) s->crash_fragments,
               s->against_checked ? "true" : "false", (unsigned long long) s->problems);
        int first = 1;
        for (size_t k = 0; k < nlog_seal_report_n_problems(r); k++) {
            const nlog_seal_problem *p = nlog_seal_report_problem(r, k);
            if (strcmp(p->log, s->name) != 0)
                continue;
            printf("%s{\"kind\":\"%s\",\"seq\":%llu,\"offset\":%lld,\"file\":", first ? "" : ",",
                   nlog_seal_kind_name(p->kind), (unsigned long long) p->seq,
                   (long long) p->offset);
            json_str(stdout, p->file);
            fputs(",\"message\":", stdout);
            json_str(stdout, p->message);
            fputc('}', stdout);
            first = 0;
        }
        fputs("]}", stdout);
    }
    fputs("]", stdout);
    if (export_err) {
        fputs(",\"export_error\":", stdout);
        json_str(stdout, export_err);
    }
    fputs("}\n", stdout);
}

static void print_text(const nlog_seal_report *r, int quiet)
{
    for (size_t i = 0; i < nlog_seal_report_n_logs(r); i++) {
        const nlog_seal_log_summary *s = nlog_seal_report_log(r, i);
        const nlog_seal_problem *first = NULL;
        for (size_t k = 0; k < nlog_seal_report_n_problems(r) && !first; k++)
            if (strcmp(nlog_seal_report_problem(r, k)->log, s->name) == 0)
                first = nlog_seal_report_problem(r, k);
        if (!s->problems) {
            printf("%s: OK: %zu file%s, %llu records", s->name, s->files, s->files == 1 ? "" : "s",
                   (unsigned long long) s->records);
            if (s->sealed_last)
                printf(", sealed %llu..%llu by %llu checkpoint%s",
                       (unsigned long long) s->sealed_first, (unsigned long long) s->sealed_last,
                       (unsigned long long) s->checkpoints, s->checkpoints == 1 ? "" : "s");
            printf("; %llu trailing record%s not yet covered by a checkpoint\n",
                   (unsigned long long) s->trailing, s->trailing == 1 ? "" : "s");
        } else if (first) {
            printf("%s: FAIL: %s at seq %llu", s->name, nlog_seal_kind_name(first->kind),
                   (unsigned long long) first->seq);
            if (first->offset >= 0)
                printf(", byte %lld of %s", (long long) first->offset, first->file);
            else
                printf(" (%s)", first->file);
            printf(": %s\n", first->message);
        } else {
            printf("%s: FAIL: %llu problems\n", s->name, (unsigned long long) s->problems);
        }
        if (quiet)
            continue;
        if (s->retention_last)
            printf("  records %llu..%llu were deleted by retention (a signed retention record "
                   "names them)\n",
                   (unsigned long long) s->retention_first, (unsigned long long) s->retention_last);
        if (s->streams > 1)
            printf("  %llu sealed streams (the sealing keys were replaced)\n",
                   (unsigned long long) s->streams);
        if (s->unsealed_leading)
            printf("  %llu line%s before the sealed part begins (written before sealing was "
                   "on): not protected\n",
                   (unsigned long long) s->unsealed_leading, s->unsealed_leading == 1 ? "" : "s");
        if (s->partial_lines)
            printf("  the last line is incomplete (a crash while writing): not protected\n");
        if (s->crash_fragments)
            printf("  %llu incomplete line%s left by a crash, noted by the writer\n",
                   (unsigned long long) s->crash_fragments, s->crash_fragments == 1 ? "" : "s");
        if (s->clock_steps)
            printf("  %llu wall-clock step%s recorded by the writer\n",
                   (unsigned long long) s->clock_steps, s->clock_steps == 1 ? "" : "s");
        if (s->against_checked && !s->problems)
            printf("  extends the exported checkpoint\n");
        size_t shown = 0;
        for (size_t k = 0; k < nlog_seal_report_n_problems(r); k++) {
            const nlog_seal_problem *p = nlog_seal_report_problem(r, k);
            if (strcmp(p->log, s->name) != 0)
                continue;
            shown++;
            if (p->offset >= 0)
                printf("  %-17s seq %-10llu %s:%lld: %s\n", nlog_seal_kind_name(p->kind),
                       (unsigned long long) p->seq, p->file, (long long) p->offset, p->message);
            else
                printf("  %-17s seq %-10llu %s: %s\n", nlog_seal_kind_name(p->kind),
                       (unsigned long long) p->seq, p->file, p->message);
        }
        if (s->problems > shown)
            printf("  ... and %llu more (--max-problems)\n",
                   (unsigned long long) (s->problems - shown));
    }
}

/* ---- main --------------------------------------------------------------------------- */

int tool_cmd_verify(int argc, char **argv)
{
    const char *key_paths[MAX_KEYS], *against = NULL, *export_path = NULL;
    const char **paths = calloc(MAX_PATHS, sizeof *paths);
    size_t n_keys = 0, n_paths = 0, max_problems = 0;
    int json = 0, partial = 0, quiet = 0, rc = 3, opts_done = 0;
    if (!paths)
        return 3;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!opts_done && a[0] == '-' && a[1]) {
            int has = i + 1 < argc;
            if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
                fputs(usage_text, stdout);
                free(paths);
                return 0;
            } else if (strcmp(a, "--") == 0) {
                opts_done = 1;
            } else if (strcmp(a, "--key") == 0 && has) {
                if (n_keys == MAX_KEYS) {
                    free(paths);
                    return usage_error("at most %d --key options", MAX_KEYS);
                }
                key_paths[n_keys++] = argv[++i];
            } else if (strcmp(a, "--against") == 0 && has && !against) {
                against = argv[++i];
            } else if (strcmp(a, "--export-checkpoint") == 0 && has && !export_path) {
                export_path = argv[++i];
            } else if (strcmp(a, "--max-problems") == 0 && has) {
                char *end;
                unsigned long v = strtoul(argv[++i], &end, 10);
                if (*end || v == 0 || v > 1000000) {
                    free(paths);
                    return usage_error("--max-problems takes a number from 1 to 1000000, not "
                                       "'%s'",
                                       argv[i]);
                }
                max_problems = v;
            } else if (strcmp(a, "--json") == 0) {
                json = 1;
            } else if (strcmp(a, "--partial") == 0) {
                partial = 1;
            } else if (strcmp(a, "--quiet") == 0) {
                quiet = 1;
            } else {
                free(paths);
                return usage_error("unknown option '%s'%s", a,
                                   has ? "" : " (or its value is missing)");
            }
            continue;
        }
        if (n_paths == MAX_PATHS) {
            free(paths);
            return usage_error("at most %d paths", MAX_PATHS);
        }
        paths[n_paths++] = a;
    }
    if (!n_keys) {
        free(paths);
        return usage_error("--key PUB is needed (the seal.pub of the master key)");
    }
    if (!n_paths) {
        free(paths);
        return usage_error("give the files or directories to verify");
    }
    nlog_seal_key *keys[MAX_KEYS] = {0};
    nlog_seal_report *report = NULL;
    size_t loaded = 0;
    for (; loaded < n_keys; loaded++)
        if (nlog_seal_key_load(key_paths[loaded], &keys[loaded]) != NLOG_OK) {
            fprintf(stderr, "nlog verify: %s\n", nlog_errmsg());
            goto out;
        }
    nlog_seal_verify_opts o;
    nlog_seal_verify_opts_init(&o);
    o.keys = (const nlog_seal_key *const *) keys;
    o.n_keys = n_keys;
    o.against = against;
    o.allow_partial = partial;
    o.max_problems = max_problems;
    progress pr = {isatty(STDERR_FILENO) && !json, 0, 0};
    o.progress = on_progress;
    o.progress_user = &pr;
    nlog_status st = nlog_seal_verify(&o, paths, n_paths, &report);
    progress_clear(&pr);
    if (st != NLOG_OK) {
        fprintf(stderr, "nlog verify: %s\n", nlog_errmsg());
        goto out;
    }
    rc = nlog_seal_report_ok(report) ? 0 : 1;
    char export_err[1200] = "";
    if (export_path && rc == 0) {
        size_t n = nlog_seal_report_n_logs(report);
        for (size_t i = 0; i < n; i++) {
            const char *name = nlog_seal_report_log(report, i)->name;
            char p[4096];
            if (n == 1) {
                snprintf(p, sizeof p, "%s", export_path);
            } else {
                /* F.<log>; with several directories a log's name holds a '/',
                 * which must not make the export land in another directory */
                int k = snprintf(p, sizeof p, "%s.", export_path);
                for (const char *c = name; *c && k >= 0 && (size_t) k + 1 < sizeof p; c++)
                    p[k++] = sane_name_char(*c) ? *c : '_';
                if (k >= 0 && (size_t) k < sizeof p)
                    p[k] = '\0';
            }
            nlog_status es = nlog_seal_report_export_checkpoint(report, i, p);
            if (es == NLOG_ESTATE) {
                /* a log that has no checkpoint yet (only trailing records):
                 * nothing to export for it, which is not a failure */
                fprintf(stderr, "nlog verify: %s: nothing exported for this log\n",
                        nlog_errmsg());
                continue;
            }
            if (es != NLOG_OK) {
                snprintf(export_err, sizeof export_err, "%s", nlog_errmsg());
                rc = 3;
                break;
            }
            if (!json && !quiet)
                printf("exported the last checkpoint of %s to %s\n", name, p);
        }
    } else if (export_path) {
        snprintf(export_err, sizeof export_err, "verification failed: no checkpoint exported");
    }
    if (json) {
        print_json(report, export_err[0] ? export_err : NULL);
    } else {
        print_text(report, quiet);
        if (export_err[0])
            fprintf(stderr, "nlog verify: %s\n", export_err);
    }
out:
    nlog_seal_report_destroy(report);
    for (size_t i = 0; i < loaded; i++)
        nlog_seal_key_destroy(keys[i]);
    free(paths);
    return rc;
}
