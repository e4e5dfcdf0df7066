/* keys.c: the configuration key table and the checks every value goes through.
 *
 * The table is the single description of the configuration (see
 * config_internal.h). Values are parsed from text here and only here, so a
 * value means the same and fails with the same words whether it came from the
 * YAML file, the environment, nlog_config_set() or a profile column.
 * Messages have the shape "problem; accepted: what is accepted"; callers put
 * "source: key: " in front.
 * Tested by: tests/unit/config/test_config_keys.c */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"
#include "config/url.h"
#include "internal/ascii.h"
#include "security/sec_internal.h"

#define MEMBER(m) .offset = offsetof(nlog_config, m), .size = sizeof(((nlog_config *) 0)->m)
#define PROFILES(dev, test, prod, dbg) .profile = {dev, test, prod, dbg}

static const char *const stream_names[] = {"stderr", "stdout", NULL};
static const char *const overflow_names[] = {"block", "drop_newest", "drop_oldest", NULL};
static const char *const rotate_names[] = {"none", "hourly", "daily", NULL};
static const char *const compression_names[] = {"zstd", "gzip", NULL};
static const char *const fsync_names[] = {"never", "rotate", "interval", "always", NULL};
static const char *const smtp_schemes[] = {"smtp", "smtps", NULL};
static const char *const web_schemes[] = {"http", "https", NULL};

/* Profile columns: development, testing, production, debug. NULL leaves the
 * default in place. docs/configuration.md carries the same table. */
const nlog__cfg_key nlog__cfg_keys[] = {
    {.name = "directory", .type = NLOG__CFG_PATH, MEMBER(directory), .def = "logs",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "directory for log files; created if missing"},
    {.name = "level", .type = NLOG__CFG_LEVEL, MEMBER(level), .def = "INFO",
     PROFILES("DEBUG", "WARNING", "INFO", "TRACE"),
     .help = "global threshold: records below it are not written"},
    {.name = "console_enabled", .type = NLOG__CFG_BOOL, MEMBER(console_enabled), .def = "true",
     PROFILES("true", "true", "false", "true"),
     .help = "write records to the console"},
    {.name = "console_colors", .type = NLOG__CFG_BOOL, MEMBER(console_colors), .def = "true",
     PROFILES("true", "false", NULL, "true"),
     .help = "colour console output when the stream is a terminal"},
    {.name = "console_stream", .type = NLOG__CFG_ENUM, MEMBER(console_stream),
     .names = stream_names, .def = "stderr", PROFILES(NULL, NULL, NULL, NULL),
     .help = "console stream"},
    {.name = "console_utc", .type = NLOG__CFG_BOOL, MEMBER(console_utc), .def = "false",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "console times in UTC instead of local time"},
    {.name = "console_fields", .type = NLOG__CFG_BOOL, MEMBER(console_fields), .def = "false",
     PROFILES("true", NULL, NULL, "true"),
     .help = "append structured fields to console lines as key=value"},
    {.name = "console_caller", .type = NLOG__CFG_BOOL, MEMBER(console_caller), .def = "false",
     PROFILES(NULL, NULL, NULL, "true"),
     .help = "append (file:line function) to console lines"},
    {.name = "file_enabled", .type = NLOG__CFG_BOOL, MEMBER(file_enabled), .def = "true",
     PROFILES("true", "false", "true", "true"),
     .help = "write records to files in the directory"},
    {.name = "structured_enabled", .type = NLOG__CFG_BOOL, MEMBER(structured_enabled),
     .def = "true", PROFILES(NULL, NULL, "true", NULL),
     .help = "main log file as JSON lines (true) or text (false)"},
    {.name = "performance_enabled", .type = NLOG__CFG_BOOL, MEMBER(performance_enabled),
     .def = "false", PROFILES("true", "false", "true", "true"),
     .help = "collect and log performance metrics"},
    {.name = "performance_interval", .type = NLOG__CFG_INT, MEMBER(performance_interval),
     .min = 1, .max = 86400, .unit = "seconds", .def = "30", PROFILES(NULL, NULL, NULL, NULL),
     .help = "seconds between performance samples"},
    {.name = "security_enabled", .type = NLOG__CFG_BOOL, MEMBER(security_enabled), .def = "true",
     PROFILES("true", NULL, "true", NULL),
     .help = "write SECURITY records"},
    {.name = "audit_enabled", .type = NLOG__CFG_BOOL, MEMBER(audit_enabled), .def = "true",
     PROFILES("true", NULL, "true", NULL),
     .help = "write AUDIT records"},
    {.name = "alerts_enabled", .type = NLOG__CFG_BOOL, MEMBER(alerts_enabled), .def = "false",
     PROFILES("false", "false", "true", NULL),
     .help = "raise alerts for critical events"},
    {.name = "alert_email", .type = NLOG__CFG_EMAIL, MEMBER(alert_email), .def = "",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "where alerts are sent; empty for none"},
    {.name = "compression_enabled", .type = NLOG__CFG_BOOL, MEMBER(compression_enabled),
     .def = "true", PROFILES("false", "false", "true", NULL),
     .help = "compress rotated log files"},
    {.name = "max_record_size", .type = NLOG__CFG_SIZE, MEMBER(max_record_size), .min = 1024,
     .max = 1048576, .unit = "bytes", .def = "65536", PROFILES(NULL, NULL, NULL, NULL),
     .help = "longest record line; longer records are cut"},
    {.name = "async", .type = NLOG__CFG_BOOL, MEMBER(async), .def = "false",
     PROFILES(NULL, NULL, "true", NULL),
     .help = "queue records per thread and write them from a background thread"},
    {.name = "overflow_policy", .type = NLOG__CFG_ENUM, MEMBER(overflow_policy),
     .names = overflow_names, .def = "block", PROFILES(NULL, NULL, NULL, NULL),
     .help = "full queue: block, drop_newest or drop_oldest (SECURITY/AUDIT always wait)"},
    {.name = "queue_size", .type = NLOG__CFG_SIZE, MEMBER(queue_size), .min = 65536,
     .max = 268435456, .unit = "bytes", .def = "1MB", PROFILES(NULL, NULL, NULL, NULL),
     .help = "bytes of each logging thread's queue in async mode"},
    {.name = "audit_sync", .type = NLOG__CFG_BOOL, MEMBER(audit_sync), .def = "false",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "AUDIT calls return only once their record is on disk"},
    {.name = "crash_drain", .type = NLOG__CFG_BOOL, MEMBER(crash_drain), .def = "true",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "async: on SIGSEGV/SIGBUS/SIGABRT/SIGFPE/SIGILL, write queued records first"},
    {.name = "fsync", .type = NLOG__CFG_ENUM, MEMBER(fsync), .names = fsync_names,
     .def = "never", PROFILES(NULL, NULL, "interval", NULL),
     .help = "when files are synced to disk: never, rotate, interval or always"},
    {.name = "fsync_interval_ms", .type = NLOG__CFG_INT, MEMBER(fsync_interval_ms), .min = 1,
     .max = 3600000, .unit = "milliseconds", .def = "1000", PROFILES(NULL, NULL, NULL, NULL),
     .help = "with fsync: interval, the longest time between syncs"},
    {.name = "max_file_size", .type = NLOG__CFG_SIZE, MEMBER(max_file_size), .min = 0,
     .max = 1099511627776L, .unit = "bytes", .def = "0", PROFILES(NULL, NULL, NULL, NULL),
     .help = "rotate a log file before it grows past this size; 0 for no size rotation"},
    {.name = "rotate", .type = NLOG__CFG_ENUM, MEMBER(rotate), .names = rotate_names,
     .def = "none", PROFILES(NULL, NULL, NULL, NULL),
     .help = "time-based rotation at UTC boundaries: none, hourly or daily"},
    {.name = "compression", .type = NLOG__CFG_ENUM, MEMBER(compression),
     .names = compression_names, .def = "zstd", PROFILES(NULL, NULL, NULL, NULL),
     .help = "how rotated files are compressed (with compression_enabled): zstd or gzip"},
    {.name = "retention_max_files", .type = NLOG__CFG_INT, MEMBER(retention_max_files),
     .min = 0, .max = 1000000, .unit = "files", .def = "0", PROFILES(NULL, NULL, NULL, NULL),
     .help = "rotated netlink.log files kept; 0 for no limit"},
    {.name = "retention_max_age_days", .type = NLOG__CFG_INT, MEMBER(retention_max_age_days),
     .min = 0, .max = 36500, .unit = "days", .def = "30", PROFILES(NULL, NULL, NULL, NULL),
     .help = "rotated netlink.log files older than this are deleted; 0 for no limit"},
    {.name = "retention_max_total_size", .type = NLOG__CFG_SIZE,
     MEMBER(retention_max_total_size), .min = 0, .max = 1099511627776L, .unit = "bytes",
     .def = "0", PROFILES(NULL, NULL, NULL, NULL),
     .help = "bytes of rotated netlink.log files kept, oldest deleted first; 0 for no limit"},
    {.name = "security_retention_max_files", .type = NLOG__CFG_INT,
     MEMBER(security_retention_max_files), .min = 0, .max = 1000000, .unit = "files",
     .def = "0", PROFILES(NULL, NULL, NULL, NULL),
     .help = "rotated security.log files kept; 0 for no limit"},
    {.name = "security_retention_max_age_days", .type = NLOG__CFG_INT,
     MEMBER(security_retention_max_age_days), .min = 0, .max = 36500, .unit = "days",
     .def = "365", PROFILES(NULL, NULL, NULL, NULL),
     .help = "rotated security.log files older than this are deleted; 0 for no limit"},
    {.name = "security_retention_max_total_size", .type = NLOG__CFG_SIZE,
     MEMBER(security_retention_max_total_size), .min = 0, .max = 1099511627776L,
     .unit = "bytes", .def = "0", PROFILES(NULL, NULL, NULL, NULL),
     .help = "bytes of rotated security.log files kept; 0 for no limit"},
    {.name = "audit_retention_max_files", .type = NLOG__CFG_INT,
     MEMBER(audit_retention_max_files), .min = 0, .max = 1000000, .unit = "files",
     .def = "0", PROFILES(NULL, NULL, NULL, NULL),
     .help = "rotated audit.log files kept; 0 for no limit"},
    {.name = "audit_retention_max_age_days", .type = NLOG__CFG_INT,
     MEMBER(audit_retention_max_age_days), .min = 0, .max = 36500, .unit = "days",
     .def = "365", PROFILES(NULL, NULL, NULL, NULL),
     .help = "rotated audit.log files older than this are deleted; 0 for no limit"},
    {.name = "audit_retention_max_total_size", .type = NLOG__CFG_SIZE,
     MEMBER(audit_retention_max_total_size), .min = 0, .max = 1099511627776L,
     .unit = "bytes", .def = "0", PROFILES(NULL, NULL, NULL, NULL),
     .help = "bytes of rotated audit.log files kept; 0 for no limit"},
    /* -- rows: performance monitoring -- */
    {.name = "performance_record_level", .type = NLOG__CFG_LEVEL,
     MEMBER(performance_record_level), .def = "INFO", PROFILES(NULL, NULL, NULL, NULL),
     .help = "level of the performance records that timers and metrics become"},
    {.name = "performance_record_every", .type = NLOG__CFG_INT, MEMBER(performance_record_every),
     .min = 0, .max = 1000000, .unit = "samples", .def = "1", PROFILES(NULL, NULL, "100", NULL),
     .help = "one performance record per this many samples of a series; 0 for none"},
    {.name = "performance_buffer_size", .type = NLOG__CFG_SIZE, MEMBER(performance_buffer_size),
     .min = 16384, .max = 67108864, .unit = "bytes", .def = "256KB",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "bytes of each recording thread's sample buffer; a full buffer drops and counts"},
    {.name = "performance_max_series", .type = NLOG__CFG_INT, MEMBER(performance_max_series),
     .min = 1, .max = 1000000, .unit = "series", .def = "10000",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "most metric and tag sets kept; samples of further sets are dropped and counted"},
    {.name = "performance_raw_samples", .type = NLOG__CFG_INT, MEMBER(performance_raw_samples),
     .min = 16, .max = 1000000, .unit = "samples", .def = "1024",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "most recent raw samples kept per series, besides the rollups"},
    {.name = "performance_history_memory", .type = NLOG__CFG_SIZE,
     MEMBER(performance_history_memory), .min = 1048576, .max = 68719476736L,
     .unit = "bytes", .def = "64MB", PROFILES(NULL, NULL, NULL, NULL),
     .help = "memory cap of the metric history; the oldest rollups are evicted first"},
    {.name = "alert_email_from", .type = NLOG__CFG_EMAIL, MEMBER(alert_email_from), .def = "",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "sender of alert e-mails; empty for nlog@<host name>"},
    {.name = "alert_smtp_url", .type = NLOG__CFG_URL, MEMBER(alert_smtp_url),
     .names = smtp_schemes, .def = "", PROFILES(NULL, NULL, NULL, NULL),
     .help = "SMTP relay for alert e-mails (smtp:// or smtps://); empty for none"},
    {.name = "alert_webhook_url", .type = NLOG__CFG_URL, MEMBER(alert_webhook_url),
     .names = web_schemes, .def = "", PROFILES(NULL, NULL, NULL, NULL),
     .help = "incoming-webhook URL alerts are posted to as JSON; empty for none"},

    /* -- rows: security, audit, masking, field encryption -- */
    {.name = "audit_lifecycle", .type = NLOG__CFG_BOOL, MEMBER(audit_lifecycle), .def = "true",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "write AUDIT records for configuration and level changes and start/stop of logging"},
    {.name = "mask_fields", .type = NLOG__CFG_CUSTOM, MEMBER(mask_fields), .def = "defaults",
     PROFILES(NULL, NULL, NULL, NULL), .custom = &nlog__sec_cfg_mask_fields,
     .help = "field names whose values are written as ***; 'defaults' is the built-in list"},
    {.name = "mask_card_numbers", .type = NLOG__CFG_BOOL, MEMBER(mask_card_numbers),
     .def = "true", PROFILES(NULL, NULL, NULL, NULL),
     .help = "write Luhn-valid 13-19 digit card numbers in text as ***"},
    {.name = "mask_bearer_tokens", .type = NLOG__CFG_BOOL, MEMBER(mask_bearer_tokens),
     .def = "true", PROFILES(NULL, NULL, NULL, NULL),
     .help = "write the token of 'Bearer <token>' in text as ***"},
    {.name = "encrypt_fields", .type = NLOG__CFG_CUSTOM, MEMBER(encrypt_fields), .def = "",
     PROFILES(NULL, NULL, NULL, NULL), .custom = &nlog__sec_cfg_names,
     .help = "field names whose values are encrypted for encryption_public_key"},
    {.name = "encryption_public_key", .type = NLOG__CFG_CUSTOM, MEMBER(encryption_public_key),
     .def = "", PROFILES(NULL, NULL, NULL, NULL), .custom = &nlog__sec_cfg_public_key,
     .help = "the recipient's public key (base64) for encrypt_fields"},
    {.name = "encryption_batch_records", .type = NLOG__CFG_INT, MEMBER(encryption_batch_records),
     .min = 1, .max = 1000000, .unit = "records", .def = "1000", PROFILES(NULL, NULL, NULL, NULL),
     .help = "records encrypted with one data key before a new one is made"},
    {.name = "security.detection", .type = NLOG__CFG_BOOL, MEMBER(security_detection),
     .def = "true", PROFILES(NULL, NULL, NULL, NULL),
     .help = "run the threat detectors over security events"},
    {.name = "security.memory_cap", .type = NLOG__CFG_SIZE, MEMBER(security_memory_cap),
     .min = 1048576, .max = 68719476736L, .unit = "bytes", .def = "64MB",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "bytes the detectors' state may take; least recently used state goes first"},
#define DETECTOR_ROWS(key, member, thr, win, what)                                            \
    {.name = "security." key ".threshold", .type = NLOG__CFG_INT, MEMBER(member.threshold),   \
     .min = 0, .max = 10000, .unit = what, .def = thr, PROFILES(NULL, NULL, NULL, NULL),     \
     .help = key ": " what " that fire it; 0 turns it off"},                                  \
    {.name = "security." key ".window", .type = NLOG__CFG_INT, MEMBER(member.window),         \
     .min = 1, .max = 2592000, .unit = "seconds", .def = win,                                 \
     PROFILES(NULL, NULL, NULL, NULL), .help = key ": the window counted, in seconds"},       \
    {.name = "security." key ".cooldown", .type = NLOG__CFG_INT, MEMBER(member.cooldown),     \
     .min = 0, .max = 2592000, .unit = "seconds", .def = win,                                 \
     PROFILES(NULL, NULL, NULL, NULL),                                                        \
     .help = key ": seconds before the same group fires again"}
    DETECTOR_ROWS("brute_force", security_brute_force, "5", "300", "failed logins"),
    DETECTOR_ROWS("targeted_brute_force", security_targeted_brute_force, "10", "600",
                  "failed logins"),
    DETECTOR_ROWS("distributed_brute_force", security_distributed_brute_force, "5", "600",
                  "distinct addresses"),
    DETECTOR_ROWS("password_spraying", security_password_spraying, "10", "600",
                  "distinct users"),
    DETECTOR_ROWS("success_after_failures", security_success_after_failures, "3", "600",
                  "failed logins"),
    DETECTOR_ROWS("privilege_then_config", security_privilege_then_config, "1", "600",
                  "privilege escalations"),
#undef DETECTOR_ROWS
    {.name = "security.patterns", .type = NLOG__CFG_BOOL, MEMBER(security_patterns),
     .def = "true", PROFILES(NULL, NULL, NULL, NULL),
     .help = "flag SQL injection, path traversal, XSS and command injection in request fields"},
    {.name = "security.pattern_fields", .type = NLOG__CFG_CUSTOM,
     MEMBER(security_pattern_fields), .def = "defaults", PROFILES(NULL, NULL, NULL, NULL),
     .custom = &nlog__sec_cfg_pattern_fields,
     .help = "fields the content patterns scan; 'defaults' is the built-in list"},
    {.name = "security.pattern_cooldown", .type = NLOG__CFG_INT,
     MEMBER(security_pattern_cooldown), .min = 0, .max = 2592000, .unit = "seconds",
     .def = "60", PROFILES(NULL, NULL, NULL, NULL),
     .help = "seconds before a pattern fires again for the same address"},
    {.name = "security.rules", .type = NLOG__CFG_CUSTOM, MEMBER(security_rules), .def = "",
     PROFILES(NULL, NULL, NULL, NULL), .custom = &nlog__sec_cfg_rules,
     .help = "custom detection rules"},

    /* -- rows: sealed logs -- */
    {.name = "seal", .type = NLOG__CFG_BOOL, MEMBER(seal), .def = "false",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "seal netlink.log: tamper-evident, verifiable with nlog verify (needs keys)"},
    {.name = "seal_security", .type = NLOG__CFG_BOOL, MEMBER(seal_security), .def = "true",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "seal security.log (needs a host sealing state in seal_key_dir)"},
    {.name = "seal_audit", .type = NLOG__CFG_BOOL, MEMBER(seal_audit), .def = "true",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "seal audit.log (needs a host sealing state in seal_key_dir)"},
    {.name = "seal_key_dir", .type = NLOG__CFG_PATH, MEMBER(seal_key_dir), .def = ".seal",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "directory of the host sealing states (<name>.seal); relative to directory"},
    {.name = "seal_checkpoint_records", .type = NLOG__CFG_INT, MEMBER(seal_checkpoint_records),
     .min = 1, .max = 1000, .unit = "records", .def = "1000", PROFILES(NULL, NULL, NULL, NULL),
     .help = "a signed checkpoint after at most this many records"},
    {.name = "seal_checkpoint_interval_ms", .type = NLOG__CFG_INT,
     MEMBER(seal_checkpoint_interval_ms), .min = 1, .max = 1000, .unit = "milliseconds",
     .def = "1000", PROFILES(NULL, NULL, NULL, NULL),
     .help = "a record waits at most this long for its checkpoint"},
    {.name = "seal_required", .type = NLOG__CFG_BOOL, MEMBER(seal_required), .def = "false",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "fail nlog_init() when a file that should be sealed cannot be"},

    /* -- rows: server and remote output -- */
    {.name = "server_url", .type = NLOG__CFG_STRING, MEMBER(server_url), .def = "",
     PROFILES(NULL, NULL, NULL, NULL), .check = nlog__cfg_check_url,
     .accepted = "empty for none, or http://HOST[:PORT][/PATH] of an nlogd (https:// too), "
                 "at most 511 bytes",
     .help = "ship records to this nlogd over HTTP (remote output); empty for none"},
    {.name = "server_spool_directory", .type = NLOG__CFG_STRING,
     MEMBER(server_spool_directory), .def = "", PROFILES(NULL, NULL, NULL, NULL),
     .check = nlog__cfg_check_opt_path,
     .accepted = "empty for DIRECTORY/spool, or a path of at most 1023 bytes",
     .help = "where the remote output keeps batches while the server is unreachable"},
    {.name = "server_spool_max_size", .type = NLOG__CFG_SIZE, MEMBER(server_spool_max_size),
     .min = 1048576, .max = 1099511627776L, .unit = "bytes", .def = "64MB",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "bytes of spooled batches kept on disk at most"},
    {.name = "server_flush_interval_ms", .type = NLOG__CFG_INT,
     MEMBER(server_flush_interval_ms), .min = 1, .max = 60000, .unit = "milliseconds",
     .def = "200", PROFILES(NULL, NULL, NULL, NULL),
     .help = "longest time a record waits in memory before its batch is sent"},
    {.name = "server.listen", .type = NLOG__CFG_STRING, MEMBER(server_listen),
     .def = "127.0.0.1:8000", PROFILES(NULL, NULL, NULL, NULL), .check = nlog__cfg_check_listen,
     .accepted = "IPV4:PORT or localhost:PORT, port 0 to 65535 (0 picks a free port), "
                 "e.g. 127.0.0.1:8000 or 0.0.0.0:8000",
     .help = "nlogd: address and port to listen on"},
    {.name = "server.database", .type = NLOG__CFG_PATH, MEMBER(server_database),
     .def = "nlogd.db", PROFILES(NULL, NULL, NULL, NULL),
     .help = "nlogd: the SQLite store file (with -wal and -shm beside it)"},
    {.name = "server.num_threads", .type = NLOG__CFG_INT, MEMBER(server_num_threads), .min = 2,
     .max = 1024, .unit = "threads", .def = "32", PROFILES(NULL, NULL, NULL, NULL),
     .help = "nlogd: HTTP worker threads, one per open connection"},
    {.name = "server.queue_records", .type = NLOG__CFG_INT, MEMBER(server_queue_records),
     .min = 1000, .max = 10000000, .unit = "records", .def = "200000",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "nlogd: records waiting for the store at most; beyond, ingest answers 429"},
    {.name = "server.max_body_size", .type = NLOG__CFG_SIZE, MEMBER(server_max_body_size),
     .min = 1024, .max = 1073741824, .unit = "bytes", .def = "16MB",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "nlogd: largest request body, after gzip decoding; beyond, 413"},
    {.name = "server.max_request_memory", .type = NLOG__CFG_SIZE,
     MEMBER(server_max_request_memory), .min = 1048576, .max = 17179869184L, .unit = "bytes",
     .def = "128MB", PROFILES(NULL, NULL, NULL, NULL),
     .help = "nlogd: memory one ingest request's parsed records may take; beyond, 413"},
    {.name = "server.queue_max_bytes", .type = NLOG__CFG_SIZE, MEMBER(server_queue_max_bytes),
     .min = 1048576, .max = 68719476736L, .unit = "bytes", .def = "512MB",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "nlogd: memory of the records waiting for the store at most; beyond, ingest "
             "answers 429"},
    {.name = "server.retention_days", .type = NLOG__CFG_INT, MEMBER(server_retention_days),
     .min = 0, .max = 36500, .unit = "days", .def = "30", PROFILES(NULL, NULL, NULL, NULL),
     .help = "nlogd: records older than this are deleted from the store; 0 for no limit"},
    {.name = "server.watch_directory", .type = NLOG__CFG_STRING,
     MEMBER(server_watch_directory), .def = "", PROFILES(NULL, NULL, NULL, NULL),
     .check = nlog__cfg_check_opt_path,
     .accepted = "empty for none, or a directory path of at most 1023 bytes",
     .help = "nlogd: follow the *.log JSON-lines files in this directory"},
    {.name = "server.request_timeout_ms", .type = NLOG__CFG_INT,
     MEMBER(server_request_timeout_ms), .min = 100, .max = 3600000, .unit = "milliseconds",
     .def = "30000", PROFILES(NULL, NULL, NULL, NULL),
     .help = "nlogd: a request (headers and body) must arrive within this"},
    /* nlogd access control, TLS and request limits (src/server/auth.c, roles.c,
     * ratelimit.c, tls.c; docs/rest-api.md "Access control"). */
    {.name = "server.api_keys_file", .type = NLOG__CFG_STRING, MEMBER(server_api_keys_file),
     .def = "", PROFILES(NULL, NULL, NULL, NULL), .check = nlog__cfg_check_opt_path,
     .accepted = "empty for none (open access, loopback only), or the path of a key file "
                 "of at most 1023 bytes",
     .help = "nlogd: API keys (name, role, hash per line); empty: no keys, loopback only"},
    {.name = "server.tls_certificate", .type = NLOG__CFG_STRING,
     MEMBER(server_tls_certificate), .def = "", PROFILES(NULL, NULL, NULL, NULL),
     .check = nlog__cfg_check_opt_path,
     .accepted = "empty for plain HTTP, or the path of a PEM certificate (chain) file of at "
                 "most 1023 bytes",
     .help = "nlogd: PEM certificate chain; with server.tls_key, nlogd speaks HTTPS and WSS"},
    {.name = "server.tls_key", .type = NLOG__CFG_STRING, MEMBER(server_tls_key), .def = "",
     PROFILES(NULL, NULL, NULL, NULL), .check = nlog__cfg_check_opt_path,
     .accepted = "empty for plain HTTP, or the path of a PEM private key file of at most "
                 "1023 bytes",
     .help = "nlogd: PEM private key of server.tls_certificate"},
    {.name = "server.max_header_size", .type = NLOG__CFG_SIZE, MEMBER(server_max_header_size),
     .min = 4096, .max = 1048576, .unit = "bytes", .def = "64KB",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "nlogd: largest request line plus headers; beyond, the request is refused"},
    {.name = "server.rate_limit", .type = NLOG__CFG_INT, MEMBER(server_rate_limit), .min = 0,
     .max = 1000000, .unit = "requests per second", .def = "1000",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "nlogd: requests per second per API key (bursts of one second's worth); beyond, "
             "429; 0 for no limit"},
    {.name = "server.allowed_origins", .type = NLOG__CFG_STRING, MEMBER(server_allowed_origins),
     .def = "", PROFILES(NULL, NULL, NULL, NULL), .check = nlog__cfg_check_origins,
     .accepted = "empty for none, or a comma-separated list of origins http[s]://HOST[:PORT] "
                 "(as a browser sends them, no path), at most 511 bytes",
     .help = "nlogd: web origins besides nlogd's own that may open the live stream"},
    {.name = "server_api_key", .type = NLOG__CFG_STRING, MEMBER(server_api_key), .def = "",
     PROFILES(NULL, NULL, NULL, NULL), .check = nlog__cfg_check_api_key, .secret = 1,
     .accepted = "empty for none, or an nlogd API key: 16 to 256 of A-Z a-z 0-9 - . _ ~ + / =",
     .help = "API key the remote output and the nlog client send to nlogd (Bearer); never "
             "shown"},
    /* nlogd live streaming (src/server/live_hub.c, ws_stream.c; docs/internals/live.md). */
    {.name = "server.stream_max_clients", .type = NLOG__CFG_INT,
     MEMBER(server_stream_max_clients), .min = 0, .max = 10000, .unit = "clients",
     .def = "16", PROFILES(NULL, NULL, NULL, NULL),
     .help = "nlogd: live-stream clients at once (each holds a worker thread); 0 disables "
             "the stream"},
    {.name = "server.stream_queue_entries", .type = NLOG__CFG_INT,
     MEMBER(server_stream_queue_entries), .min = 16, .max = 1000000, .unit = "entries",
     .def = "4096", PROFILES(NULL, NULL, NULL, NULL),
     .help = "nlogd: entries waiting for one stream client at most; beyond, counted and "
             "reported as dropped"},
    {.name = "server.stream_max_message_size", .type = NLOG__CFG_SIZE,
     MEMBER(server_stream_max_message_size), .min = 256, .max = 1048576, .unit = "bytes",
     .def = "4KB", PROFILES(NULL, NULL, NULL, NULL),
     .help = "nlogd: largest message a stream client may send; beyond, the stream is closed"},
    {.name = "server.stream_idle_timeout_ms", .type = NLOG__CFG_INT,
     MEMBER(server_stream_idle_timeout_ms), .min = 1000, .max = 3600000,
     .unit = "milliseconds", .def = "60000", PROFILES(NULL, NULL, NULL, NULL),
     .help = "nlogd: a stream client that sends nothing (not even a pong) this long is closed"},
    {.name = "server.stream_replay_records", .type = NLOG__CFG_INT,
     MEMBER(server_stream_replay_records), .min = 0, .max = 10000000, .unit = "entries",
     .def = "100000", PROFILES(NULL, NULL, NULL, NULL),
     .help = "nlogd: recent entries kept in memory for exact resume_from; older resumes read "
             "the store"},
    {.name = "server.stream_resume_max", .type = NLOG__CFG_INT, MEMBER(server_stream_resume_max),
     .min = 0, .max = 10000000, .unit = "entries", .def = "100000",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "nlogd: entries replayed at most for one resume_from; the rest is reported"},

    {.name = "loggers", .type = NLOG__CFG_LEVELS, MEMBER(loggers), .def = "",
     PROFILES(NULL, NULL, NULL, NULL),
     .help = "per-logger thresholds: dotted logger name -> level"},
};

const size_t nlog__cfg_n_keys = NLOG__ARRAY_SIZE(nlog__cfg_keys);

_Static_assert(NLOG__ARRAY_SIZE(nlog__cfg_keys) <= NLOG__CFG_KEYS_MAX,
               "raise NLOG__CFG_KEYS_MAX");

static const char level_accepted[] =
    "TRACE, DEBUG, INFO, WARNING (or WARN), ERROR, CRITICAL, SECURITY, AUDIT (any case)";
static const char bool_accepted[] = "true, false, yes, no, on, off, 1, 0 (any case)";

void nlog__cfg_layer_init(nlog__cfg_layer *layer)
{
    memset(layer, 0, sizeof *layer);
    nlog_config_init(&layer->v);
}

const nlog__cfg_key *nlog__cfg_key_find(const char *name, size_t len)
{
    for (size_t i = 0; i < nlog__cfg_n_keys; i++) {
        const char *n = nlog__cfg_keys[i].name;
        if (strlen(n) == len && memcmp(n, name, len) == 0)
            return &nlog__cfg_keys[i];
    }
    return NULL;
}

size_t nlog__cfg_key_index(const nlog__cfg_key *k)
{
    return (size_t) (k - nlog__cfg_keys);
}

const nlog__cfg_key *nlog__cfg_key_loggers(void)
{
    return &nlog__cfg_keys[nlog__cfg_n_keys - 1];
}

int nlog__cfg_is_section(const char *name, size_t len)
{
    for (size_t i = 0; i < nlog__cfg_n_keys; i++) {
        const char *n = nlog__cfg_keys[i].name;
        if (strlen(n) > len && memcmp(n, name, len) == 0 && n[len] == '.')
            return 1;
    }
    return 0;
}

void nlog__cfg_env_name(const nlog__cfg_key *k, char *buf, size_t size)
{
    int n = snprintf(buf, size, "NETLINK_LOG_%s", k->name);
    if (n < 0)
        return;
    for (char *p = buf + strlen("NETLINK_LOG_"); *p; p++)
        *p = *p == '.' ? '_' : (char) (*p >= 'a' && *p <= 'z' ? *p - ('a' - 'A') : *p);
}

/* Appends to a fixed buffer, silently truncating. */
static void append(char *buf, size_t size, const char *fmt, ...) NLOG__PRINTF(3, 4);
static void append(char *buf, size_t size, const char *fmt, ...)
{
    size_t used = strnlen(buf, size);
    if (used + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    (void) vsnprintf(buf + used, size - used, fmt, ap);
    va_end(ap);
}

/* Appends `s` with control characters as \xNN, so that a message built
 * from a caller's key or a file name stays on one line. */
static void append_escaped(char *buf, size_t size, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char) *s;
        if (c < 0x20 || c == 0x7f)
            append(buf, size, "\\x%02x", c);
        else
            append(buf, size, "%c", c);
    }
}

void nlog__cfg_quote(char *buf, size_t size, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const size_t show = 80; /* bytes of the value shown */
    size_t o = 0;
    if (size < 8) {
        if (size)
            buf[0] = '\0';
        return;
    }
    buf[o++] = '\'';
    for (size_t i = 0; i < len && i < show && o + 8 < size; i++) {
        unsigned char c = (unsigned char) s[i];
        if (c < 0x20 || c == 0x7f || c == '\\') {
            buf[o++] = '\\';
            if (c == '\\') {
                buf[o++] = '\\';
            } else {
                buf[o++] = 'x';
                buf[o++] = hex[c >> 4];
                buf[o++] = hex[c & 15];
            }
        } else {
            buf[o++] = (char) c;
        }
    }
    if (len > show && o + 5 < size) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '\'';
    buf[o] = '\0';
}

void nlog__cfg_fail(nlog_error *err, nlog_status status, const char *source, const char *key,
                    int show_key, const char *fmt, ...)
{
    if (!err)
        return;
    source = source ? source : "";
    key = key ? key : "";
    err->status = status;
    snprintf(err->source, sizeof err->source, "%s", source);
    snprintf(err->key, sizeof err->key, "%s", key);
    err->message[0] = '\0';
    if (*source) {
        append_escaped(err->message, sizeof err->message, source);
        append(err->message, sizeof err->message, ": ");
    }
    if (show_key && *key) {
        append_escaped(err->message, sizeof err->message, key);
        append(err->message, sizeof err->message, ": ");
    }
    size_t used = strlen(err->message);
    va_list ap;
    va_start(ap, fmt);
    (void) vsnprintf(err->message + used, sizeof err->message - used, fmt, ap);
    va_end(ap);
}

static int *int_member(const nlog__cfg_key *k, nlog_config *cfg)
{
    return (int *) (void *) ((char *) cfg + k->offset);
}

static const int *int_member_c(const nlog__cfg_key *k, const nlog_config *cfg)
{
    return (const int *) (const void *) ((const char *) cfg + k->offset);
}

/* A SIZE row whose member is an int64_t (sizes beyond 2 GB), not an int. */
static int is_size64(const nlog__cfg_key *k)
{
    return k->type == NLOG__CFG_SIZE && k->size == sizeof(int64_t);
}

/* The value of an int or int64_t member. */
static long long num_member_c(const nlog__cfg_key *k, const nlog_config *cfg)
{
    if (is_size64(k))
        return *(const int64_t *) (const void *) ((const char *) cfg + k->offset);
    return *int_member_c(k, cfg);
}

static int eq_ci(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    if (n != len)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (nlog__ascii_lower((unsigned char) s[i]) != nlog__ascii_lower((unsigned char) lit[i]))
            return 0;
    return 1;
}

static int has_control(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];
        if (c < 0x20 || c == 0x7f)
            return 1;
    }
    return 0;
}

void nlog__cfg_accepted(const nlog__cfg_key *k, char *buf, size_t size)
{
    buf[0] = '\0';
    switch (k->type) {
    case NLOG__CFG_BOOL:
        append(buf, size, "%s", bool_accepted);
        break;
    case NLOG__CFG_INT:
        append(buf, size, "a whole number of %s from %ld to %ld", k->unit, k->min, k->max);
        break;
    case NLOG__CFG_SIZE:
        append(buf, size,
               "a size from %ld to %ld %s, as a number of bytes or with a suffix KB or MB "
               "(1KB = 1024 bytes), e.g. 64KB",
               k->min, k->max, k->unit);
        break;
    case NLOG__CFG_LEVEL:
        append(buf, size, "%s", level_accepted);
        break;
    case NLOG__CFG_ENUM:
        for (size_t i = 0; k->names[i]; i++)
            append(buf, size, "%s%s", i ? ", " : "", k->names[i]);
        append(buf, size, " (any case)");
        break;
    case NLOG__CFG_PATH:
        append(buf, size, "a non-empty path of at most %zu bytes without control characters",
               k->size - 1);
        break;
    case NLOG__CFG_EMAIL:
        append(buf, size,
               "an e-mail address such as admin@example.com (at most %zu bytes), or empty "
               "for none",
               k->size - 1);
        break;
    case NLOG__CFG_STRING:
        append(buf, size, "%s", k->accepted ? k->accepted : "a string");
        break;
    case NLOG__CFG_CUSTOM:
        append(buf, size, "%s", k->custom->accepted);
        break;
    case NLOG__CFG_LEVELS:
        append(buf, size,
               "a mapping from logger names (1 to %d bytes, dotted like noisy.lib) to levels: "
               "%s",
               NLOG_LOGGER_NAME_MAX, level_accepted);
        break;
    case NLOG__CFG_URL:
        append(buf, size, "a URL ");
        for (size_t i = 0; k->names[i]; i++)
            append(buf, size, "%s%s://", i ? " or " : "", k->names[i]);
        append(buf, size,
               "[user[:password]@]host[:port][/path] of at most %zu bytes, without spaces, "
               "control characters or a fragment, or empty for none",
               k->size - 1);
        break;
    }
}

/* Writes "problem; accepted: ..." into why. */
static nlog_status reject(const nlog__cfg_key *k, char *why, size_t why_size, const char *fmt,
                          ...) NLOG__PRINTF(4, 5);
static nlog_status reject(const nlog__cfg_key *k, char *why, size_t why_size, const char *fmt,
                          ...)
{
    if (why && why_size) {
        char acc[NLOG__CFG_WHY_MAX / 2];
        va_list ap;
        va_start(ap, fmt);
        (void) vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
        nlog__cfg_accepted(k, acc, sizeof acc);
        append(why, why_size, "; accepted: %s", acc);
    }
    return NLOG_ECONFIG;
}

nlog_status nlog__cfg_parse_level(const char *text, size_t len, nlog_level *ret_level, char *why,
                                  size_t why_size)
{
    char name[16];
    char q[128];
    if (len == 0) {
        if (why)
            snprintf(why, why_size, "no level given; accepted: %s", level_accepted);
        return NLOG_ECONFIG;
    }
    if (len < sizeof name && !memchr(text, '\0', len)) {
        memcpy(name, text, len);
        name[len] = '\0';
        if (nlog_level_parse(name, ret_level) == NLOG_OK)
            return NLOG_OK;
    }
    nlog__cfg_quote(q, sizeof q, text, len);
    if (why)
        snprintf(why, why_size, "unknown level %s; accepted: %s", q, level_accepted);
    return NLOG_ECONFIG;
}

/* Decimal digits into a long, saturating above `cap`. Returns the number of
 * digits read. */
static size_t read_digits(const char *s, size_t len, long cap, long *ret)
{
    size_t i = 0;
    long v = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v <= cap)
            v = v * 10 + (s[i] - '0');
    }
    *ret = v;
    return i;
}

static nlog_status parse_int(const nlog__cfg_key *k, const char *s, size_t len, long *ret,
                             char *why, size_t why_size)
{
    char q[128];
    long v;
    size_t n = read_digits(s, len, k->max, &v);
    nlog__cfg_quote(q, sizeof q, s, len);
    if (n == 0 || n != len)
        return reject(k, why, why_size, "%s is not a whole number", q);
    if (v < k->min || v > k->max)
        return reject(k, why, why_size, "%s is out of range", q);
    *ret = v;
    return NLOG_OK;
}

static nlog_status parse_size(const nlog__cfg_key *k, const char *s, size_t len, long *ret,
                              char *why, size_t why_size)
{
    static const struct {
        const char *suffix;
        long mult;
    } suffixes[] = {
        {"", 1},          {"b", 1},          {"k", 1024},       {"kb", 1024},
        {"kib", 1024},    {"m", 1048576},    {"mb", 1048576},   {"mib", 1048576},
        {"g", 1073741824}, {"gb", 1073741824}, {"gib", 1073741824},
    };
    char q[128];
    long v;
    size_t n = read_digits(s, len, k->max, &v);
    size_t rest = n;
    nlog__cfg_quote(q, sizeof q, s, len);
    while (rest < len && s[rest] == ' ')
        rest++;
    if (n == 0)
        return reject(k, why, why_size, "%s is not a size", q);
    for (size_t i = 0; i < NLOG__ARRAY_SIZE(suffixes); i++) {
        if (!eq_ci(s + rest, len - rest, suffixes[i].suffix))
            continue;
        if (v > k->max || v > k->max / suffixes[i].mult + 1)
            return reject(k, why, why_size, "%s is out of range", q);
        v *= suffixes[i].mult;
        if (v < k->min || v > k->max)
            return reject(k, why, why_size, "%s is out of range", q);
        *ret = v;
        return NLOG_OK;
    }
    return reject(k, why, why_size, "%s is not a size", q);
}

static nlog_status check_email(const nlog__cfg_key *k, const char *s, size_t len, char *why,
                               size_t why_size)
{
    char q[128];
    const char *at;
    nlog__cfg_quote(q, sizeof q, s, len);
    if (len == 0)
        return NLOG_OK;
    if (len >= k->size)
        return reject(k, why, why_size, "address is %zu bytes long", len);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];
        if (c <= 0x20 || c == 0x7f || c == ',' || c == '<' || c == '>')
            return reject(k, why, why_size, "%s is not an e-mail address", q);
    }
    at = memchr(s, '@', len);
    if (!at || at == s || at == s + len - 1 ||
        memchr(at + 1, '@', (size_t) (s + len - at - 1)) != NULL)
        return reject(k, why, why_size, "%s is not an e-mail address", q);
    return NLOG_OK;
}

static nlog_status check_path(const nlog__cfg_key *k, const char *s, size_t len, char *why,
                              size_t why_size)
{
    char q[128];
    nlog__cfg_quote(q, sizeof q, s, len);
    if (len == 0)
        return reject(k, why, why_size, "no value given");
    if (len >= k->size)
        return reject(k, why, why_size, "path is %zu bytes long", len);
    if (has_control(s, len))
        return reject(k, why, why_size, "%s contains a control character", q);
    return NLOG_OK;
}

/* A URL is never quoted back in a message: it may carry a password or a
 * webhook token. The problem and its byte offset say what is wrong. */
static nlog_status check_url(const nlog__cfg_key *k, const char *s, size_t len, char *why,
                             size_t why_size)
{
    nlog__url u;
    const char *problem;
    size_t at;
    if (len == 0)
        return NLOG_OK;
    if (len >= k->size)
        return reject(k, why, why_size, "the URL is %zu bytes long", len);
    if (nlog__url_parse(s, len, &u, &problem, &at) != NLOG_OK)
        return reject(k, why, why_size, "not a valid URL: %s at byte %zu", problem, at + 1);
    for (size_t i = 0; k->names[i]; i++)
        if (nlog__url_scheme_is(&u, k->names[i]))
            return NLOG_OK;
    return reject(k, why, why_size, "scheme '%.*s' is not accepted",
                  (int) NLOG__MIN(u.scheme_len, 16), u.scheme);
}

/* STRING rows: length and control characters here, the rest in the row's check. */
static nlog_status check_string(const nlog__cfg_key *k, const char *s, size_t len, char *why,
                                size_t why_size)
{
    char q[128];
    char problem[NLOG__CFG_WHY_MAX / 2];
    if (k->secret)
        snprintf(q, sizeof q, "the value"); /* a secret is never quoted back */
    else
        nlog__cfg_quote(q, sizeof q, s, len);
    if (len >= k->size)
        return reject(k, why, why_size, "value is %zu bytes long", len);
    if (has_control(s, len))
        return reject(k, why, why_size, "%s contains a control character", q);
    problem[0] = '\0';
    if (k->check && k->check(s, len, problem, sizeof problem) != 0)
        return reject(k, why, why_size, "%s: %s", q, problem[0] ? problem : "not accepted");
    return NLOG_OK;
}

/* A CUSTOM row's value as text: read as a YAML value tree, parsed by the
 * row's ops into a copy, stored only if all of it is valid. A position
 * inside the text is put in front of the problem. */
static nlog_status parse_custom(const nlog__cfg_key *k, const char *text, size_t len,
                                nlog_config *cfg, char *why, size_t why_size)
{
    char local[NLOG__CFG_WHY_MAX];
    nlog__cfg_tree t;
    nlog__cfg_pos pos = {0, 0};
    nlog_status st;
    void *copy = malloc(k->size);

    if (!why) {
        why = local;
        why_size = sizeof local;
    }
    why[0] = '\0';
    if (!copy) {
        snprintf(why, why_size, "out of memory");
        return NLOG_ENOMEM;
    }
    st = nlog__cfg_tree_from_text(text, len, &t, why, why_size, &pos);
    if (st == NLOG_OK) {
        st = k->custom->parse(t.root, copy, why, why_size, &pos);
        nlog__cfg_tree_free(&t);
    }
    if (st == NLOG_OK) {
        memcpy((char *) cfg + k->offset, copy, k->size);
    } else if (pos.line > 0 && why[0] && (pos.line > 1 || pos.column > 1)) {
        char inner[NLOG__CFG_WHY_MAX];
        snprintf(inner, sizeof inner, "%s", why);
        if (memchr(text, '\n', len))
            snprintf(why, why_size, "at line %d, column %d of the value: %s", pos.line,
                     pos.column, inner);
        else
            snprintf(why, why_size, "at column %d of the value: %s", pos.column, inner);
    }
    free(copy);
    return st == NLOG_ENOMEM ? NLOG_ENOMEM : st == NLOG_OK ? NLOG_OK : NLOG_ECONFIG;
}

nlog_status nlog__cfg_parse_value(const nlog__cfg_key *k, const char *text, size_t len,
                                  nlog_config *cfg, char *why, size_t why_size)
{
    char q[128];
    long v = 0;
    nlog_level lv;
    nlog_status st;

    nlog__cfg_quote(q, sizeof q, text, len);
    if (k->type == NLOG__CFG_CUSTOM)
        return parse_custom(k, text, len, cfg, why, why_size);
    if (len == 0 && k->type != NLOG__CFG_EMAIL && k->type != NLOG__CFG_URL &&
        k->type != NLOG__CFG_STRING)
        return reject(k, why, why_size, "no value given");
    switch (k->type) {
    case NLOG__CFG_BOOL: {
        static const char *const yes[] = {"true", "yes", "on", "1"};
        static const char *const no[] = {"false", "no", "off", "0"};
        for (size_t i = 0; i < NLOG__ARRAY_SIZE(yes); i++) {
            if (eq_ci(text, len, yes[i]) || eq_ci(text, len, no[i])) {
                *int_member(k, cfg) = eq_ci(text, len, yes[i]);
                return NLOG_OK;
            }
        }
        return reject(k, why, why_size, "%s is not a boolean", q);
    }
    case NLOG__CFG_INT:
        st = parse_int(k, text, len, &v, why, why_size);
        if (st == NLOG_OK)
            *int_member(k, cfg) = (int) v;
        return st;
    case NLOG__CFG_SIZE:
        st = parse_size(k, text, len, &v, why, why_size);
        if (st == NLOG_OK && is_size64(k))
            *(int64_t *) (void *) ((char *) cfg + k->offset) = (int64_t) v;
        else if (st == NLOG_OK)
            *int_member(k, cfg) = (int) v;
        return st;
    case NLOG__CFG_LEVEL:
        st = nlog__cfg_parse_level(text, len, &lv, why, why_size);
        if (st == NLOG_OK)
            *(nlog_level *) (void *) ((char *) cfg + k->offset) = lv;
        return st;
    case NLOG__CFG_ENUM:
        for (size_t i = 0; k->names[i]; i++) {
            if (eq_ci(text, len, k->names[i])) {
                *int_member(k, cfg) = (int) i;
                return NLOG_OK;
            }
        }
        return reject(k, why, why_size, "unknown value %s", q);
    case NLOG__CFG_PATH:
    case NLOG__CFG_EMAIL:
    case NLOG__CFG_URL:
        st = k->type == NLOG__CFG_PATH    ? check_path(k, text, len, why, why_size)
             : k->type == NLOG__CFG_EMAIL ? check_email(k, text, len, why, why_size)
                                          : check_url(k, text, len, why, why_size);
        if (st == NLOG_OK) {
            char *dst = (char *) cfg + k->offset;
            memcpy(dst, text, len);
            dst[len] = '\0';
        }
        return st;
    case NLOG__CFG_STRING:
        st = check_string(k, text, len, why, why_size);
        if (st == NLOG_OK) {
            char *dst = (char *) cfg + k->offset;
            memcpy(dst, text, len);
            dst[len] = '\0';
        }
        return st;
    case NLOG__CFG_CUSTOM: /* handled above */
    case NLOG__CFG_LEVELS:
        break;
    }
    return reject(k, why, why_size, "not a single value");
}

nlog_status nlog__cfg_check_member(const nlog__cfg_key *k, const nlog_config *cfg, int *is_set,
                                   char *why, size_t why_size)
{
    const char *base = (const char *) cfg + k->offset;
    long long v;

    *is_set = 0;
    switch (k->type) {
    case NLOG__CFG_CUSTOM:
        if (!k->custom->is_set(base))
            return NLOG_OK;
        *is_set = 1;
        return k->custom->check(base, why, why_size);
    case NLOG__CFG_BOOL:
    case NLOG__CFG_INT:
    case NLOG__CFG_SIZE:
    case NLOG__CFG_ENUM:
        v = num_member_c(k, cfg);
        if (v == NLOG_UNSET)
            return NLOG_OK;
        *is_set = 1;
        if (k->type == NLOG__CFG_BOOL && v != 0 && v != 1)
            return reject(k, why, why_size, "%lld is not a boolean (set 1 or 0)", v);
        if (k->type == NLOG__CFG_ENUM) {
            size_t n = 0;
            while (k->names[n])
                n++;
            if (v < 0 || (size_t) v >= n)
                return reject(k, why, why_size, "%lld is not a valid value", v);
        }
        if ((k->type == NLOG__CFG_INT || k->type == NLOG__CFG_SIZE) && (v < k->min || v > k->max))
            return reject(k, why, why_size, "%lld is out of range", v);
        return NLOG_OK;
    case NLOG__CFG_LEVEL: {
        nlog_level lv = *(const nlog_level *) (const void *) base;
        if (lv == NLOG_LEVEL_INVALID)
            return NLOG_OK;
        *is_set = 1;
        if (nlog_level_index(lv) < 0)
            return reject(k, why, why_size, "%d is not a level", (int) lv);
        return NLOG_OK;
    }
    case NLOG__CFG_PATH:
    case NLOG__CFG_EMAIL:
    case NLOG__CFG_URL: {
        const char *nul = memchr(base, '\0', k->size);
        if (!nul)
            return reject(k, why, why_size, "the string is not NUL-terminated");
        if (nul == base)
            return NLOG_OK;
        *is_set = 1;
        size_t n = (size_t) (nul - base);
        return k->type == NLOG__CFG_PATH    ? check_path(k, base, n, why, why_size)
               : k->type == NLOG__CFG_EMAIL ? check_email(k, base, n, why, why_size)
                                            : check_url(k, base, n, why, why_size);
    }
    case NLOG__CFG_STRING: {
        const char *nul = memchr(base, '\0', k->size);
        if (!nul)
            return reject(k, why, why_size, "the string is not NUL-terminated");
        if (nul == base)
            return NLOG_OK;
        *is_set = 1;
        return check_string(k, base, (size_t) (nul - base), why, why_size);
    }
    case NLOG__CFG_LEVELS:
        break;
    }
    return NLOG_OK;
}

void nlog__cfg_value_text(const nlog__cfg_key *k, const nlog_config *cfg, char *buf, size_t size)
{
    const char *base = (const char *) cfg + k->offset;
    long long v = 0;
    if (k->type == NLOG__CFG_BOOL || k->type == NLOG__CFG_INT || k->type == NLOG__CFG_SIZE ||
        k->type == NLOG__CFG_ENUM)
        v = num_member_c(k, cfg);
    switch (k->type) {
    case NLOG__CFG_BOOL:
        snprintf(buf, size, "%s", v == NLOG_UNSET ? "" : v ? "true" : "false");
        return;
    case NLOG__CFG_INT:
    case NLOG__CFG_SIZE:
        if (v == NLOG_UNSET)
            snprintf(buf, size, "%s", "");
        else
            snprintf(buf, size, "%lld", v);
        return;
    case NLOG__CFG_ENUM: {
        size_t n = 0;
        while (k->names[n])
            n++;
        snprintf(buf, size, "%s", v >= 0 && (size_t) v < n ? k->names[v] : "");
        return;
    }
    case NLOG__CFG_LEVEL: {
        const char *name = nlog_level_name(*(const nlog_level *) (const void *) base);
        snprintf(buf, size, "%s", name ? name : "");
        return;
    }
    case NLOG__CFG_PATH:
    case NLOG__CFG_EMAIL:
    case NLOG__CFG_STRING:
        if (k->secret && base[0])
            snprintf(buf, size, "***");
        else
            snprintf(buf, size, "%.*s", (int) strnlen(base, k->size), base);
        return;
    case NLOG__CFG_URL: {
        size_t n = strnlen(base, k->size);
        if (n == 0 && size)
            buf[0] = '\0';
        else
            (void) nlog__url_redact(base, n, buf, size);
        return;
    }
    case NLOG__CFG_CUSTOM:
        if (size)
            buf[0] = '\0';
        k->custom->render(base, buf, size);
        return;
    case NLOG__CFG_LEVELS:
        break;
    }
    if (size)
        buf[0] = '\0';
}

/* The first component of row i's name below `prefix`, or NULL if the row is
 * not under it. */
static const char *child_name(size_t i, const char *prefix, size_t *ret_len)
{
    const char *n = nlog__cfg_keys[i].name;
    size_t plen = strlen(prefix);
    if (strncmp(n, prefix, plen) != 0)
        return NULL;
    n += plen;
    const char *dot = strchr(n, '.');
    *ret_len = dot ? (size_t) (dot - n) : strlen(n);
    return n;
}

/* Whether an earlier row already yielded the same child name. */
static int child_seen(size_t upto, const char *prefix, const char *name, size_t len)
{
    for (size_t j = 0; j < upto; j++) {
        size_t l;
        const char *c = child_name(j, prefix, &l);
        if (c && l == len && memcmp(c, name, len) == 0)
            return 1;
    }
    return 0;
}

void nlog__cfg_key_list(const char *prefix, char *buf, size_t size)
{
    /* Names that do not fit whole are left out and counted, so the list never
     * ends in a cut name; room for the tail is kept back. */
    static const char tail[] = ", and %zu more (nlog config show lists them all)";
    const size_t reserve = sizeof tail + 20;
    size_t used = 0, more = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < nlog__cfg_n_keys; i++) {
        size_t len;
        const char *c = child_name(i, prefix, &len);
        if (!c || child_seen(i, prefix, c, len))
            continue;
        size_t need = len + (used ? 2 : 0);
        if (more || used + need + reserve >= size) {
            more++;
            continue;
        }
        append(buf, size, "%s%.*s", used ? ", " : "", (int) len, c);
        used += need;
    }
    if (more)
        append(buf, size, tail, more);
}

/* Optimal string alignment distance (a transposition counts as one edit),
 * case-insensitive, for names of at most 64 bytes; three rolling rows keep
 * the stack small. */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    enum { N = 64 };
    unsigned short rows[3][N + 1];
    unsigned short *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    if (la > N || lb > N)
        return (size_t) -1;
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (unsigned short) j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (unsigned short) i;
        int ca = nlog__ascii_lower((unsigned char) a[i - 1]);
        for (size_t j = 1; j <= lb; j++) {
            int cb = nlog__ascii_lower((unsigned char) b[j - 1]);
            unsigned best = prev[j - 1] + (ca != cb);
            best = NLOG__MIN(best, prev[j] + 1u);
            best = NLOG__MIN(best, cur[j - 1] + 1u);
            if (i > 1 && j > 1 && ca == nlog__ascii_lower((unsigned char) b[j - 2]) &&
                nlog__ascii_lower((unsigned char) a[i - 2]) == cb)
                best = NLOG__MIN(best, prev2[j - 2] + 1u);
            cur[j] = (unsigned short) best;
        }
        unsigned short *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

const char *nlog__cfg_suggest(const char *prefix, const char *name, size_t len, size_t *ret_len)
{
    const char *best = NULL;
    size_t best_d = (size_t) -1;
    for (size_t i = 0; i < nlog__cfg_n_keys; i++) {
        size_t clen;
        const char *c = child_name(i, prefix, &clen);
        if (!c)
            continue;
        size_t d = edit_distance(name, len, c, clen);
        /* Close enough to be a typo: two edits, three for long names, and
         * never most of the word. */
        size_t limit = clen >= 10 ? 3 : 2;
        if (d <= limit && d < clen && d < best_d) {
            best = c;
            best_d = d;
            *ret_len = clen;
        }
    }
    return best;
}

nlog_status nlog__cfg_check_logger_name(const char *name, size_t len, char *why, size_t why_size)
{
    char q[128];
    nlog__cfg_quote(q, sizeof q, name, len);
    if (len == 0) {
        if (why)
            snprintf(why, why_size, "empty logger name; accepted: names of 1 to %d bytes",
                     NLOG_LOGGER_NAME_MAX);
        return NLOG_ECONFIG;
    }
    if (len > NLOG_LOGGER_NAME_MAX) {
        if (why)
            snprintf(why, why_size,
                     "logger name %s is %zu bytes long; accepted: names of 1 to %d bytes", q, len,
                     NLOG_LOGGER_NAME_MAX);
        return NLOG_ECONFIG;
    }
    if (has_control(name, len)) {
        if (why)
            snprintf(why, why_size,
                     "logger name %s contains a control character; accepted: names of 1 to %d "
                     "bytes without control characters",
                     q, NLOG_LOGGER_NAME_MAX);
        return NLOG_ECONFIG;
    }
    return NLOG_OK;
}

nlog_status nlog__cfg_logger_put(nlog_config *cfg, const char *name, nlog_level level,
                                 size_t *ret_index)
{
    size_t i;
    for (i = 0; i < cfg->n_loggers; i++)
        if (strcmp(cfg->loggers[i].name, name) == 0)
            break;
    if (i == cfg->n_loggers) {
        if (cfg->n_loggers >= NLOG_CONFIG_LOGGERS_MAX)
            return NLOG_ELIMIT;
        snprintf(cfg->loggers[i].name, sizeof cfg->loggers[i].name, "%s", name);
        cfg->n_loggers++;
    }
    cfg->loggers[i].level = level;
    if (ret_index)
        *ret_index = i;
    return NLOG_OK;
}
