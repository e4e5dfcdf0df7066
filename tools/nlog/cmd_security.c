/* cmd_security.c: `nlog security replay [--config FILE] [--recorded] LOG...`
 *
 * replay runs the threat detectors over the security events of stored
 * JSON-lines logs (netlink.log or security.log), in file order, with the
 * detector settings resolved the way nlog_init() would (defaults, profile,
 * the --config file or NETLINK_LOG_CONFIG, the environment), and prints each
 * detection as one line of JSON (nlog_security_detection_format()). Events
 * carry their own times, so the same log and settings give the same
 * detections as the live run that wrote it.
 *
 * --recorded prints, in the same form, the detections the live run logged
 * (records whose context has "detector"), so the two can be compared:
 *     diff <(nlog security replay logs/security.log) \
 *          <(nlog security replay --recorded logs/security.log)
 *
 * Detection records are never fed back to the detectors (as in the live
 * run); records that are not security events are skipped. A line that is
 * not JSON is reported on stderr with its number and skipped.
 * Exit status: 0 ok, 1 a file or the configuration could not be read, 2
 * usage error.
 * Tested by: tests/unit/security/test_security_replay.c (live against replay),
 * tests/integration/security/cli_security.sh */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <nlog/nlog.h>

#include "tool_lines.h"

int tool_cmd_security(int argc, char **argv);

static const char usage_text[] =
    "usage: nlog security replay [--config FILE] [--recorded] LOG...\n"
    "  --config FILE  the configuration with the detector settings (default: as nlog_init,\n"
    "                 from NETLINK_LOG_CONFIG and the environment)\n"
    "  --recorded     print the detections the log holds instead of running the detectors\n";

static const char *const schema[] = {"user_id", "ip_address", "session_id", "resource", "action"};

static const char *str_member(json_object *obj, const char *key)
{
    json_object *v;
    if (!obj || !json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static void print_detection(const nlog_security_detection *d, void *user)
{
    char buf[8192];
    (void) user;
    if (nlog_security_detection_format(d, buf, sizeof buf, NULL) == NLOG_OK)
        puts(buf);
}

static int parse_time(json_object *rec, const char *key, int64_t *ret)
{
    const char *s = str_member(rec, key);
    return s && nlog_timestamp_parse(s, strlen(s), ret) == NLOG_OK;
}

/* A detection record back into its detection, for --recorded. */
static void recorded(json_object *rec, json_object *ctx, json_object *meta)
{
    nlog_security_detection d;
    const char *sample[NLOG_SECURITY_SAMPLE_MAX];
    json_object *v;
    memset(&d, 0, sizeof d);
    d.detector = str_member(ctx, "detector");
    if (nlog_security_event_type_parse(str_member(ctx, "event_type"), &d.type) != NLOG_OK)
        d.type = NLOG_SEC_INVALID;
    if (nlog_security_severity_parse(str_member(ctx, "severity"), &d.severity) != NLOG_OK)
        d.severity = NLOG_SEC_SEVERITY_DEFAULT;
    d.group_by = str_member(meta, "group_by");
    d.key = str_member(meta, "key");
    d.counted = str_member(meta, "counted");
    d.sample_of = str_member(meta, "sample_of");
    d.matched_field = str_member(meta, "matched_field");
    if (json_object_object_get_ex(meta, "count", &v))
        d.count = (uint64_t) json_object_get_int64(v);
    if (json_object_object_get_ex(meta, "threshold", &v))
        d.threshold = (uint64_t) json_object_get_int64(v);
    if (json_object_object_get_ex(meta, "window_s", &v))
        d.window_ns = json_object_get_int64(v) * 1000000000;
    (void) parse_time(rec, "timestamp", &d.time_ns);
    (void) parse_time(meta, "first_seen", &d.first_ns);
    (void) parse_time(meta, "last_seen", &d.last_ns);
    for (size_t i = 0; i < NLOG_SECURITY_SAMPLE_MAX; i++) {
        char k[16];
        snprintf(k, sizeof k, "sample_%zu", i + 1);
        if (!(sample[i] = str_member(meta, k)))
            break;
        d.n_sample = i + 1;
    }
    d.sample = sample;
    print_detection(&d, NULL);
}

/* A security event record back into the event the application logged. */
static void feed(nlog_security_detector *det, json_object *rec, json_object *ctx,
                 json_object *meta)
{
    nlog_security_event ev;
    nlog_field details[NLOG_SECURITY_DETAILS_MAX];
    size_t nd = 0;
    memset(&ev, 0, sizeof ev);
    const char *type = str_member(ctx, "event_type");
    if (!type || nlog_security_event_type_parse(type, &ev.type) != NLOG_OK)
        return;
    if (ev.type == NLOG_SEC_CUSTOM)
        ev.custom_type = type;
    if (!parse_time(rec, "timestamp", &ev.timestamp_ns))
        return;
    /* 0 asks the detectors for "now": a record stamped at the epoch would be
     * judged at the time of the replay, as if it were live. 1 ns is the same
     * microsecond, which is all the detectors look at. */
    if (ev.timestamp_ns == 0)
        ev.timestamp_ns = 1;
    if (nlog_security_severity_parse(str_member(ctx, "severity"), &ev.severity) != NLOG_OK)
        ev.severity = NLOG_SEC_SEVERITY_DEFAULT;
    const char *out = str_member(ctx, "outcome");
    ev.outcome = !out                          ? NLOG_OUTCOME_UNKNOWN
                 : strcmp(out, "success") == 0 ? NLOG_OUTCOME_SUCCESS
                 : strcmp(out, "failure") == 0 ? NLOG_OUTCOME_FAILURE
                                               : NLOG_OUTCOME_UNKNOWN;
    const char **slot[] = {&ev.user_id, &ev.ip_address, &ev.session_id, &ev.resource, &ev.action};
    for (size_t i = 0; i < 5; i++)
        *slot[i] = str_member(ctx, schema[i]);
    if (meta) {
        json_object_object_foreach(meta, key, val)
        {
            if (nd >= NLOG_SECURITY_DETAILS_MAX)
                break;
            if (strcmp(key, "nlog_encryption") == 0)
                continue; /* added where the record was encoded, not by the application */
            switch (json_object_get_type(val)) {
            case json_type_string:
                details[nd++] = nlog_field_strn(NLOG_GROUP_METADATA, key, json_object_get_string(val),
                                                (uint32_t) json_object_get_string_len(val));
                break;
            case json_type_int: {
                const char *text = json_object_to_json_string(val);
                if (text[0] != '-' && json_object_get_int64(val) == INT64_MAX)
                    details[nd++] = nlog_field_uint(NLOG_GROUP_METADATA, key, json_object_get_uint64(val));
                else
                    details[nd++] = nlog_field_int(NLOG_GROUP_METADATA, key, json_object_get_int64(val));
                break;
            }
            case json_type_double:
                details[nd++] = nlog_field_double(NLOG_GROUP_METADATA, key, json_object_get_double(val));
                break;
            case json_type_boolean:
                details[nd++] = nlog_field_bool(NLOG_GROUP_METADATA, key, json_object_get_boolean(val));
                break;
            default:
                break; /* null: the live detectors did not see a value either */
            }
        }
    }
    ev.details = details;
    ev.n_details = nd;
    (void) nlog_security_detector_feed(det, &ev, print_detection, NULL);
}

static int replay_file(nlog_security_detector *det, FILE *in, const char *name, int only_recorded,
                       unsigned long long *events)
{
    tool_line_reader lr;
    tool_lines_init(&lr, in);
    const char *line;
    size_t len;
    int rc = 0;
    while ((line = tool_lines_next(&lr, &len)) != NULL) {
        if (!memmem(line, len, "\"event_type\"", 12))
            continue;
        json_tokener *tok = json_tokener_new();
        json_object *rec = tok ? json_tokener_parse_ex(tok, line, (int) len) : NULL;
        if (!rec || json_tokener_get_error(tok) != json_tokener_success ||
            !json_object_is_type(rec, json_type_object)) {
            fprintf(stderr, "nlog security replay: %s:%zu: not a JSON object; skipped\n", name,
                    lr.line_no);
            json_tokener_free(tok);
            json_object_put(rec);
            continue;
        }
        json_tokener_free(tok);
        json_object *ctx = NULL, *meta = NULL;
        const char *level = str_member(rec, "level");
        const char *cat = str_member(rec, "category");
        (void) json_object_object_get_ex(rec, "context", &ctx);
        (void) json_object_object_get_ex(rec, "metadata", &meta);
        if (level && cat && strcmp(level, "SECURITY") == 0 && strcmp(cat, "security") == 0 &&
            ctx && json_object_is_type(ctx, json_type_object)) {
            if (meta && !json_object_is_type(meta, json_type_object))
                meta = NULL;
            int is_detection = str_member(ctx, "detector") != NULL;
            if (only_recorded && is_detection)
                recorded(rec, ctx, meta);
            else if (!only_recorded && !is_detection) {
                feed(det, rec, ctx, meta);
                (*events)++;
            }
        }
        json_object_put(rec);
    }
    if (lr.error || lr.skipped) {
        fprintf(stderr, "nlog security replay: %s: %s\n", name, lr.error ? lr.error : "lines skipped");
        rc = 1;
    }
    tool_lines_free(&lr);
    return rc;
}

static int cmd_replay(int argc, char **argv)
{
    const char *config = NULL;
    int only_recorded = 0, first = argc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else if (strcmp(argv[i], "--recorded") == 0) {
            only_recorded = 1;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "nlog security replay: unknown option '%s'\n%s", argv[i], usage_text);
            return 2;
        } else {
            first = i;
            break;
        }
    }
    if (first >= argc) {
        fprintf(stderr, "nlog security replay: no LOG file given\n%s", usage_text);
        return 2;
    }
    nlog_config *in = malloc(sizeof *in), *res = malloc(sizeof *res);
    nlog_error err;
    if (!in || !res) {
        free(in);
        free(res);
        fprintf(stderr, "nlog security replay: out of memory\n");
        return 1;
    }
    nlog_config_init(in);
    if (config)
        snprintf(in->config_file, sizeof in->config_file, "%s", config);
    memset(&err, 0, sizeof err);
    nlog_security_detector *det = NULL;
    int rc = 0;
    if (nlog_config_resolve(in, res, &err) != NLOG_OK) {
        fprintf(stderr, "nlog security replay: %s\n", err.message);
        rc = 1;
    } else if (!only_recorded && nlog_security_detector_create(res, &det) != NLOG_OK) {
        fprintf(stderr, "nlog security replay: %s\n", nlog_errmsg());
        rc = 1;
    }
    free(in);
    free(res);
    if (rc)
        return rc;
    unsigned long long events = 0;
    for (int i = first; i < argc; i++) {
        FILE *f = strcmp(argv[i], "-") == 0 ? stdin : fopen(argv[i], "re");
        if (!f) {
            fprintf(stderr, "nlog security replay: cannot open %s: %s\n", argv[i], strerror(errno));
            rc = 1;
            continue;
        }
        rc |= replay_file(det, f, argv[i], only_recorded, &events);
        if (f != stdin)
            fclose(f);
    }
    if (det) {
        nlog_security_stats st = {.struct_size = sizeof st};
        if (nlog_security_detector_stats(det, &st) == NLOG_OK)
            fprintf(stderr,
                    "replay: %llu events, %llu detections, %llu evictions, %llu bytes of state "
                    "(cap %llu)\n",
                    events, (unsigned long long) st.detections,
                    (unsigned long long) st.evictions, (unsigned long long) st.memory_bytes,
                    (unsigned long long) st.memory_cap);
        nlog_security_detector_destroy(det);
    }
    if (fflush(stdout) != 0)
        rc = 1;
    return rc;
}

int tool_cmd_security(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "nlog security: say what to do\n%s", usage_text);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(argv[1], "replay") == 0)
        return cmd_replay(argc - 1, argv + 1);
    fprintf(stderr, "nlog security: unknown subcommand '%s'\n%s", argv[1], usage_text);
    return 2;
}
