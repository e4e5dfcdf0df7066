/* config.h: the configuration struct and how it is built from layers.
 *
 * A configuration is resolved from five layers, lowest to highest:
 *
 *     built-in defaults < profile < YAML file < environment < values set in code
 *
 * nlog_config_init() marks every setting "not set" (NLOG_UNSET for ints,
 * NLOG_LEVEL_INVALID for the level, "" for strings, 0 loggers). Whatever the
 * program then sets in the struct is the "code" layer; every setting left
 * unset is taken from the layers below. The profile and file are chosen by
 * the `profile` and `config_file` members, else by NETLINK_LOG_PROFILE and
 * NETLINK_LOG_CONFIG. docs/configuration.md lists every key, its variable,
 * its default and its value in each profile.
 *
 * Thread-safety: these functions touch only the structs passed to them and
 * may be called from any thread. Since: 0.1 */
#ifndef NLOG_CONFIG_H
#define NLOG_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <nlog/export.h>
#include <nlog/level.h>
#include <nlog/logger.h>
#include <nlog/security_config.h>
#include <nlog/status.h>

NLOG_BEGIN_DECLS

#define NLOG_UNSET (-1)
#define NLOG_CONFIG_PATH_MAX 1024   /* bytes of a path, including the NUL */
#define NLOG_CONFIG_PROFILE_MAX 32  /* bytes of a profile name, including the NUL */
#define NLOG_CONFIG_EMAIL_MAX 256   /* bytes of an e-mail address, including the NUL */
#define NLOG_CONFIG_LOGGERS_MAX 64  /* entries of one layer's `loggers:` map */
#define NLOG_CONFIG_URL_MAX 512     /* bytes of server_url, including the NUL */
#define NLOG_CONFIG_LISTEN_MAX 64   /* bytes of server.listen, including the NUL */

typedef enum nlog_console_stream {
    NLOG_CONSOLE_STDERR = 0, /* default */
    NLOG_CONSOLE_STDOUT = 1
} nlog_console_stream;

/* What a full asynchronous queue does with a new record. SECURITY and
 * AUDIT records are never dropped: they wait, whatever the policy. */
typedef enum nlog_overflow_policy {
    NLOG_OVERFLOW_BLOCK = 0,       /* default: the call waits for room */
    NLOG_OVERFLOW_DROP_NEWEST = 1, /* the new record is dropped and counted */
    NLOG_OVERFLOW_DROP_OLDEST = 2  /* the oldest queued record is dropped and counted */
} nlog_overflow_policy;

/* When files are fsync()ed. */
typedef enum nlog_fsync_mode {
    NLOG_FSYNC_NEVER = 0,    /* default: the kernel decides */
    NLOG_FSYNC_ROTATE = 1,   /* when a file is rotated or closed */
    NLOG_FSYNC_INTERVAL = 2, /* at most every fsync_interval_ms, and on rotation/close */
    NLOG_FSYNC_ALWAYS = 3    /* after every write (every batch in async mode) */
} nlog_fsync_mode;

/* Time-based rotation of the log files, at UTC boundaries. */
typedef enum nlog_rotate_period {
    NLOG_ROTATE_NONE = 0,   /* default */
    NLOG_ROTATE_HOURLY = 1,
    NLOG_ROTATE_DAILY = 2
} nlog_rotate_period;

/* Compression of rotated files (with compression_enabled). */
typedef enum nlog_compression {
    NLOG_COMPRESSION_ZSTD = 0, /* default: NAME.log.zst */
    NLOG_COMPRESSION_GZIP = 1  /* NAME.log.gz */
} nlog_compression;

/* One entry of the `loggers:` map: a dotted name and its threshold. */
typedef struct nlog_logger_level {
    char name[NLOG_LOGGER_NAME_MAX + 1];
    nlog_level level;
} nlog_logger_level;

typedef struct nlog_config {
    size_t struct_size; /* set by nlog_config_init(); lets the struct grow */

    /* Which lower layers to use. */
    char profile[NLOG_CONFIG_PROFILE_MAX];     /* "" = $NETLINK_LOG_PROFILE, else none */
    char config_file[NLOG_CONFIG_PATH_MAX];    /* "" = $NETLINK_LOG_CONFIG, else none */
    int use_environment;                       /* 1 (default): read NETLINK_LOG_*; 0: ignore
                                                  the environment entirely */

    /* Settings. Booleans are 1 or 0 once resolved. */
    nlog_level level;                          /* global threshold */
    char directory[NLOG_CONFIG_PATH_MAX];      /* where log files go; created if missing */
    int console_enabled;
    int console_colors;                        /* colours when the stream is a terminal */
    int console_stream;                        /* nlog_console_stream */
    int console_utc;                           /* console times in UTC instead of local */
    int console_fields;                        /* append fields as key=value */
    int console_caller;                        /* append (file:line function) */
    int file_enabled;
    int structured_enabled;                    /* main file as JSON lines (1) or text (0) */
    int performance_enabled;
    int performance_interval;                  /* seconds, 1..86400 */
    int security_enabled;
    int audit_enabled;
    int alerts_enabled;
    char alert_email[NLOG_CONFIG_EMAIL_MAX];
    int compression_enabled;
    int max_record_size;                       /* bytes per record line, 1024..1048576 */
    int async;                                 /* queue records for a writer thread */
    int overflow_policy;                       /* nlog_overflow_policy */
    int queue_size;                            /* bytes of each thread's queue */
    int audit_sync;                            /* AUDIT calls return once durable */
    int crash_drain;                           /* async: write queued records on a fatal signal */
    int fsync;                                 /* nlog_fsync_mode */
    int fsync_interval_ms;                     /* with NLOG_FSYNC_INTERVAL, 1..3600000 */
    size_t n_loggers;                          /* used entries of loggers[] */
    nlog_logger_level loggers[NLOG_CONFIG_LOGGERS_MAX];

    /* Rotation, compression and retention of the three files (appended in
     * 0.1; see docs/internals/rotation.md). Sizes are int64_t bytes. */
    int64_t max_file_size;                     /* bytes; 0 = no size rotation */
    int rotate;                                /* nlog_rotate_period */
    int compression;                           /* nlog_compression: algorithm of rotated files */
    int retention_max_files;                   /* rotated netlink.log files kept; 0 = no limit */
    int retention_max_age_days;                /* days; 0 = no limit */
    int64_t retention_max_total_size;          /* bytes of rotated files; 0 = no limit */
    int security_retention_max_files;          /* the same for security.log */
    int security_retention_max_age_days;
    int64_t security_retention_max_total_size;
    int audit_retention_max_files;             /* the same for audit.log */
    int audit_retention_max_age_days;
    int64_t audit_retention_max_total_size;

    /* -- members: performance monitoring -- */
    nlog_level performance_record_level;       /* level of the records samples become */
    int performance_record_every;              /* one record per this many samples of a
                                                  series; 0: samples make no records */
    int performance_buffer_size;               /* bytes of each recording thread's buffer */
    int performance_max_series;                /* metric + tag sets kept */
    int performance_raw_samples;               /* recent raw samples kept per series */
    int64_t performance_history_memory;        /* bytes: cap of the in-memory history */
    char alert_email_from[NLOG_CONFIG_EMAIL_MAX]; /* sender; "" = nlog@<host name> */
    char alert_smtp_url[NLOG_CONFIG_PATH_MAX]; /* smtp:// or smtps:// relay; "" = no e-mail */
    char alert_webhook_url[NLOG_CONFIG_PATH_MAX]; /* http(s) incoming webhook; "" = none */

    /* -- members: security, audit, masking, field encryption -- */
    int audit_lifecycle;                       /* audit configuration and level changes,
                                                  start and stop of logging */
    /* Masking (docs/configuration.md, "Security, audit, masking and field
     * encryption"); applied wherever records are encoded. */
    nlog_name_list mask_fields;                /* field names whose values become "***" */
    int mask_card_numbers;                     /* Luhn-valid 13-19 digit numbers -> "***" */
    int mask_bearer_tokens;                    /* "Bearer <token>" -> "Bearer ***" */
    /* Client-side field encryption (docs/internals/security.md). */
    nlog_name_list encrypt_fields;             /* field names encrypted for the key below */
    char encryption_public_key[NLOG_ENCRYPTION_KEY_TEXT_MAX]; /* base64 X25519 key, or "" */
    int encryption_batch_records;              /* records per data key, 1..1000000 */
    /* Threat detection over nlog_log_security_event() events. */
    int security_detection;                    /* run the detectors */
    int64_t security_memory_cap;               /* bytes of detector state */
    nlog_security_threshold security_brute_force;            /* the built-in detectors */
    nlog_security_threshold security_targeted_brute_force;
    nlog_security_threshold security_distributed_brute_force;
    nlog_security_threshold security_password_spraying;
    nlog_security_threshold security_success_after_failures;
    nlog_security_threshold security_privilege_then_config;
    int security_patterns;                     /* the built-in content patterns */
    nlog_name_list security_pattern_fields;    /* fields content patterns scan */
    int security_pattern_cooldown;             /* seconds between pattern detections per IP */
    nlog_security_rules security_rules;        /* custom rules */

    /* -- members: sealed logs -- */
    /* Sealing (docs/FORMAT.md, docs/configuration.md#sealed-logs). */
    int seal;                                  /* seal netlink.log (JSON lines only) */
    int seal_security;                         /* seal security.log; default 1 */
    int seal_audit;                            /* seal audit.log; default 1 */
    char seal_key_dir[NLOG_CONFIG_PATH_MAX];   /* host sealing states <name>.seal; a relative
                                                  path is relative to `directory` */
    int seal_checkpoint_records;               /* records per checkpoint at most, 1..1000 */
    int seal_checkpoint_interval_ms;           /* ms a record waits for its checkpoint, 1..1000 */
    int seal_required;                         /* 1: nlog_init() fails if a file to be sealed
                                                  cannot be (no state, ...) */

    /* -- members: server and remote output -- */
    /* Remote output (src/sink/remote.c; docs/internals/remote.md). */
    char server_url[NLOG_CONFIG_URL_MAX];      /* "" = no remote output; else
                                                  http://host:port[/path] of an nlogd */
    char server_spool_directory[NLOG_CONFIG_PATH_MAX]; /* "" = <directory>/spool */
    int64_t server_spool_max_size;             /* bytes of spooled batches kept on disk */
    int server_flush_interval_ms;              /* longest wait before a batch is sent */
    /* nlogd, the log server (src/server; docs/internals/server.md). */
    char server_listen[NLOG_CONFIG_LISTEN_MAX]; /* "HOST:PORT"; port 0 = any free port */
    char server_database[NLOG_CONFIG_PATH_MAX]; /* SQLite store file */
    int server_num_threads;                    /* HTTP worker threads = concurrent connections */
    int server_queue_records;                  /* records waiting for the store, at most */
    int server_max_body_size;                  /* bytes of a request body (after gunzip) */
    int64_t server_max_request_memory;         /* bytes one request's parsed records may take */
    int64_t server_queue_max_bytes;            /* bytes of records waiting for the store */
    int server_retention_days;                 /* days of records kept; 0 = no limit */
    char server_watch_directory[NLOG_CONFIG_PATH_MAX]; /* "" = none; JSON-lines files followed */
    int server_request_timeout_ms;             /* a request must arrive within this */
    /* nlogd access control, TLS, limits and live streaming (appended in 0.1;
     * docs/rest-api.md "Access control", docs/internals/live.md). */
    char server_api_keys_file[NLOG_CONFIG_PATH_MAX]; /* "" = no keys: open, loopback only */
    char server_tls_certificate[NLOG_CONFIG_PATH_MAX]; /* "" = plain HTTP; PEM chain */
    char server_tls_key[NLOG_CONFIG_PATH_MAX]; /* PEM private key of the certificate */
    int server_max_header_size;                /* bytes of request line + headers */
    int server_rate_limit;                     /* requests per second per key; 0 = none */
    int server_stream_max_clients;             /* live-stream clients at once; 0 = off */
    int server_stream_queue_entries;           /* entries waiting per client, at most */
    int server_stream_max_message_size;        /* bytes of one client message */
    int server_stream_idle_timeout_ms;         /* silence after which a client is closed */
    int server_stream_replay_records;          /* recent entries kept for resume_from */
    int server_stream_resume_max;              /* entries replayed per resume, at most */
    char server_allowed_origins[NLOG_CONFIG_URL_MAX]; /* "" = only nlogd's own origin;
                                                  else "http[s]://HOST[:PORT],..." that may
                                                  also open the live stream */
    char server_api_key[260];                  /* "" = none; sent as Authorization: Bearer
                                                  by the remote output and nlog (secret) */
} nlog_config;

/* Where a configuration problem was found and what is accepted. */
typedef struct nlog_error {
    nlog_status status;
    char source[NLOG_CONFIG_PATH_MAX + 32]; /* "file:line:column", "NETLINK_LOG_LEVEL",
                                               "profile", "code" or "" */
    char key[NLOG_LOGGER_NAME_MAX + 16];    /* the offending key, "" if none */
    char message[2048];                     /* the whole one-line message, starting with
                                               the source and key */
} nlog_error;

/* Marks every setting of *cfg as not set and fills struct_size.
 * This function can't fail. Since: 0.1 */
NLOG_API void nlog_config_init(nlog_config *cfg);

/* Resolves the layers into *out, in which every setting is set. `in` may be
 * NULL (same as a freshly initialised struct). A bad environment value does
 * not fail: it is reported once through the diagnostics callback and that one
 * setting keeps the value of the layers below. Returns NLOG_ECONFIG (with
 * *err filled, if err is not NULL) for an unknown profile, an unreadable or
 * invalid YAML file, or an invalid value set in code; *out is then untouched.
 * Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_config_resolve(const nlog_config *in, nlog_config *out,
                                                        nlog_error *err);

/* Reads a YAML file and stores every setting it contains into *cfg, as if
 * set in code (other settings are left as they are). Returns NLOG_ECONFIG
 * with "file:line:column: key: problem; accepted: ..." in *err, and leaves
 * *cfg untouched, if the file is unreadable or invalid. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_config_load_file(const char *path, nlog_config *cfg,
                                                          nlog_error *err);

/* Checks a YAML file without applying it. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_config_validate_file(const char *path, nlog_error *err);

/* Sets one setting from text, exactly as the YAML file and environment
 * would: nlog_config_set(&cfg, "level", "debug", &err), or
 * nlog_config_set(&cfg, "loggers.noisy.lib", "ERROR", &err).
 * Returns NLOG_ECONFIG for an unknown key or a bad value. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_config_set(nlog_config *cfg, const char *key,
                                                    const char *value, nlog_error *err);

/* Receives one resolved setting: its key ("level", "loggers.noisy.lib"), its
 * value as text, and where the value came from ("default",
 * "profile production", "file app.yaml:3:8", "environment NETLINK_LOG_LEVEL",
 * "code"). The strings are valid during the call only. */
typedef void (*nlog_config_visit_fn)(const char *key, const char *value, const char *source,
                                     void *user);

/* Resolves like nlog_config_resolve() and calls `fn` once per setting, in the
 * documented order, with its provenance. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_config_explain(const nlog_config *in,
                                                        nlog_config_visit_fn fn, void *user,
                                                        nlog_error *err);

/* The profile names, NULL-terminated: development, testing, production,
 * debug. Since: 0.1 */
NLOG_API const char *const *nlog_profile_names(void);

NLOG_END_DECLS

#endif /* NLOG_CONFIG_H */
