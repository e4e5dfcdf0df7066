/* security.h: security events, the audit trail, threat detection and
 * client-side field encryption.
 *
 * A security event is a record at level SECURITY, category "security", with
 * a fixed field schema (docs/internals/security.md, "Record schema"): the
 * event type, severity, outcome, user, IP address, session, resource and
 * action go into `context`, free details into `metadata`. Such records reach
 * security.log and netlink.log (and the console) like any SECURITY record.
 * Every event also goes through the threat detectors, which may log a
 * BRUTE_FORCE_DETECTED or SUSPICIOUS_ACTIVITY event of their own and call
 * the detection callback.
 *
 *     nlog_security_event ev = {
 *         .type = NLOG_SEC_LOGIN_FAILURE,
 *         .severity = NLOG_SEC_SEVERITY_MEDIUM,
 *         .user_id = "user123",
 *         .ip_address = "192.168.1.100",
 *         .details = (nlog_field[]){NLOG_META("reason", "invalid_password"),
 *                                   NLOG_META("attempts", 3)},
 *         .n_details = 2,
 *     };
 *     nlog_log_security_event(&ev);
 *
 * An audit record (nlog_audit()) is a record at level AUDIT, category
 * "audit", that always names who (user), what (event type and action), when
 * (timestamp), whether it worked (outcome), where from (origin) and on what
 * (resource): the data PCI DSS 10.2.2 asks of every audit trail entry. AUDIT
 * records are never dropped by a queue policy and honour audit_sync.
 *
 * Thread-safety: every function here may be called from any thread between
 * initialisation and nlog_shutdown(), unless its comment says otherwise.
 * Since: 0.1 */
#ifndef NLOG_SECURITY_H
#define NLOG_SECURITY_H

#include <stddef.h>
#include <stdint.h>

#include <nlog/config.h>
#include <nlog/export.h>
#include <nlog/field.h>
#include <nlog/logger.h>
#include <nlog/status.h>

NLOG_BEGIN_DECLS

/* Event types. The names (nlog_security_event_type_name()) are what records
 * carry in context.event_type. Values are stable: append only. */
typedef enum nlog_security_event_type {
    NLOG_SEC_INVALID = 0, /* parsing failures; never logged */
    NLOG_SEC_LOGIN_SUCCESS = 1,
    NLOG_SEC_LOGIN_FAILURE = 2,
    NLOG_SEC_LOGOUT = 3,
    NLOG_SEC_PASSWORD_CHANGE = 4,
    NLOG_SEC_PERMISSION_DENIED = 5,
    NLOG_SEC_ACCESS_VIOLATION = 6,
    NLOG_SEC_PRIVILEGE_ESCALATION = 7,
    NLOG_SEC_SUSPICIOUS_ACTIVITY = 8,
    NLOG_SEC_BRUTE_FORCE_DETECTED = 9,
    NLOG_SEC_DATA_ACCESS = 10,
    NLOG_SEC_DATA_MODIFICATION = 11,
    NLOG_SEC_DATA_EXPORT = 12,
    NLOG_SEC_CONFIG_CHANGE = 13,
    NLOG_SEC_MALWARE_DETECTED = 14,
    NLOG_SEC_ACCOUNT_LOCKED = 15,
    NLOG_SEC_CUSTOM = 16, /* named by nlog_security_event.custom_type */
    NLOG_SEC_EVENT_TYPE_COUNT = 17
} nlog_security_event_type;

/* Severities. NLOG_SEC_SEVERITY_DEFAULT picks the type's usual severity
 * (docs/internals/security.md lists them). */
typedef enum nlog_security_severity {
    NLOG_SEC_SEVERITY_DEFAULT = 0,
    NLOG_SEC_SEVERITY_LOW = 1,
    NLOG_SEC_SEVERITY_MEDIUM = 2,
    NLOG_SEC_SEVERITY_HIGH = 3,
    NLOG_SEC_SEVERITY_CRITICAL = 4,
    NLOG_SEC_SEVERITY_COUNT = 5
} nlog_security_severity;

/* Whether the action an event or audit record describes succeeded.
 * NLOG_OUTCOME_UNKNOWN on a security event picks the type's implied outcome
 * (LOGIN_FAILURE is a failure, LOGIN_SUCCESS a success, ...). */
typedef enum nlog_outcome {
    NLOG_OUTCOME_UNKNOWN = 0,
    NLOG_OUTCOME_SUCCESS = 1,
    NLOG_OUTCOME_FAILURE = 2
} nlog_outcome;

/* Longest custom event type name in bytes: [A-Z0-9_]{1,47}. */
#define NLOG_SECURITY_TYPE_NAME_MAX 47

/* One security event. Every pointer may be NULL (then the member is left
 * out of the record). Strings and details are borrowed for the call only.
 * Zero-initialise (designated initialisers) and set what applies. */
typedef struct nlog_security_event {
    size_t struct_size;                /* 0 or sizeof(nlog_security_event): lets it grow */
    nlog_security_event_type type;
    const char *custom_type;           /* with NLOG_SEC_CUSTOM: the type's name */
    nlog_security_severity severity;
    int64_t timestamp_ns;              /* ns since the Unix epoch, UTC; 0 = now. The record
                                          and the detectors use it (to the microsecond) */
    const char *user_id;
    const char *ip_address;
    const char *session_id;            /* masked by the default mask_fields */
    const char *resource;
    const char *action;
    nlog_outcome outcome;
    const char *message;               /* NULL: the type's name */
    const nlog_field *details;         /* written into "metadata", whatever their group */
    size_t n_details;                  /* at most NLOG_SECURITY_DETAILS_MAX */
} nlog_security_event;

/* Most details one event carries (the rest are ignored and counted in
 * nlog_counters.fields_ignored). */
#define NLOG_SECURITY_DETAILS_MAX 48

/* The logger security events are written with ("security"). Never NULL;
 * valid until nlog_shutdown(). Initialises the library from the
 * environment if nothing did yet. Since: 0.1 */
NLOG_API nlog_logger *nlog_get_security_logger(void);

/* Logs `ev` with the security logger and runs the threat detectors over it.
 * Returns NLOG_OK; NLOG_EINVAL for a NULL event, a type outside the enum or
 * a custom type name that is not [A-Z0-9_]{1,47} (the record is still
 * written, as type "CUSTOM" or with the given type, so that nothing is lost
 * silently; nlog_errmsg() says what was wrong); NLOG_EIO if an output
 * failed; NLOG_ESTATE after nlog_shutdown(). SECURITY records are never
 * dropped by a queue policy. Since: 0.1 */
NLOG_API nlog_status nlog_log_security_event(const nlog_security_event *ev);

/* The same with another logger (its name becomes the record's "module"). */
NLOG_API nlog_status nlog_logger_log_security_event(nlog_logger *lg, const nlog_security_event *ev);

/* The name of a type ("LOGIN_FAILURE"), of a severity ("MEDIUM") or of an
 * outcome ("success", "failure", "unknown"); NULL for values outside the
 * enums (and for NLOG_SEC_SEVERITY_DEFAULT). Since: 0.1 */
NLOG_API const char *nlog_security_event_type_name(nlog_security_event_type type);
NLOG_API const char *nlog_security_severity_name(nlog_security_severity severity);
NLOG_API const char *nlog_outcome_name(nlog_outcome outcome);

/* Parses a type name (exact upper case, as written in records) or a severity
 * name (any case). NLOG_EINVAL for anything else. A well-formed name that is
 * not a built-in type parses as NLOG_SEC_CUSTOM. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_security_event_type_parse(const char *name,
                                                                   nlog_security_event_type *ret);
NLOG_API NLOG_NODISCARD nlog_status nlog_security_severity_parse(const char *name,
                                                                 nlog_security_severity *ret);

/* ---- audit trail --------------------------------------------------------- */

/* One audit entry. `actor`, `action` and `resource` are required; a missing
 * one is written as "unknown" and the call returns NLOG_EINVAL (the record
 * is never lost). `origin` NULL means this process: "host/program[pid]".
 * `event_type` NULL means `action`. */
typedef struct nlog_audit_entry {
    size_t struct_size;        /* 0 or sizeof(nlog_audit_entry) */
    const char *actor;         /* who: a user or service identity */
    const char *action;        /* what was done: "user.create", "config_change" */
    const char *resource;      /* on what: "users/42", "nlog.configuration" */
    nlog_outcome outcome;      /* UNKNOWN is written as "unknown" */
    const char *origin;        /* where from: a client IP, a host; NULL: this process */
    const char *event_type;    /* the type of event; NULL: `action` */
    int64_t timestamp_ns;      /* 0 = now */
    const nlog_field *details; /* written into "metadata" */
    size_t n_details;          /* at most NLOG_SECURITY_DETAILS_MAX */
} nlog_audit_entry;

/* Writes an AUDIT record (category "audit") into audit.log and netlink.log.
 * With audit_sync the call returns once the record is on disk. Returns
 * NLOG_OK, NLOG_EINVAL (see nlog_audit_entry), NLOG_EIO, NLOG_ESTATE.
 * Since: 0.1 */
NLOG_API nlog_status nlog_audit_log(const nlog_audit_entry *entry);

/* The short form: nlog_audit("alice", "user.delete", "users/42",
 * NLOG_OUTCOME_SUCCESS, details, n_details). Since: 0.1 */
NLOG_API nlog_status nlog_audit(const char *actor, const char *action, const char *resource,
                                nlog_outcome outcome, const nlog_field *details,
                                size_t n_details);

#ifndef __cplusplus
/* nlog_audit with details written inline:
 * NLOG_AUDIT_EVENT("alice", "user.delete", "users/42", NLOG_OUTCOME_SUCCESS,
 *                  NLOG_META("reason", "gdpr request")); evaluates to nlog_status. */
#define NLOG_AUDIT_EVENT(...) NLOG__AUDIT_EVENT(__VA_ARGS__, NLOG__END)
#define NLOG__AUDIT_EVENT(actor, action, resource, outcome, ...)                        \
    nlog_audit((actor), (action), (resource), (outcome), (const nlog_field[]){__VA_ARGS__}, \
               sizeof((const nlog_field[]){__VA_ARGS__}) / sizeof(nlog_field) - 1)
#endif

/* ---- threat detection ------------------------------------------------------ */

/* What a detector found. Strings and arrays are valid during the callback
 * only. */
typedef struct nlog_security_detection {
    const char *detector;              /* rule name: "brute_force", a custom rule's name */
    nlog_security_event_type type;     /* BRUTE_FORCE_DETECTED or SUSPICIOUS_ACTIVITY */
    nlog_security_severity severity;
    const char *group_by;              /* the field grouped by: "ip_address" */
    const char *key;                   /* its value: "203.0.113.7" */
    const char *counted;               /* "events", or the field counted distinct */
    uint64_t count;                    /* events (or distinct values) in the window */
    uint64_t threshold;
    int64_t window_ns;
    int64_t first_ns, last_ns;         /* first and last counted event, to the microsecond */
    int64_t time_ns;                   /* the event that fired the rule */
    const char *sample_of;             /* the field the sample holds, or "" */
    const char *const *sample;         /* most recent distinct values, newest last */
    size_t n_sample;                   /* at most NLOG_SECURITY_SAMPLE_MAX */
    const char *matched_field;         /* pattern rules: the field that matched, else "" */
} nlog_security_detection;

/* Values in a detection's sample. */
#define NLOG_SECURITY_SAMPLE_MAX 8

/* Receives detections. Called on the thread that logged the event, after
 * the detection's own event was logged, with no library lock held (it may
 * log). */
typedef void (*nlog_security_detection_fn)(const nlog_security_detection *d, void *user);

/* Installs the callback of the library's detectors (NULL removes it).
 * Calls already running may still reach the previous one. Since: 0.1 */
NLOG_API void nlog_security_set_detection_callback(nlog_security_detection_fn fn, void *user);

/* Counters of a detector. */
typedef struct nlog_security_stats {
    size_t struct_size;        /* set by the caller: sizeof(nlog_security_stats) */
    uint64_t events;           /* events examined */
    uint64_t detections;       /* detections fired */
    uint64_t evictions;        /* group states dropped to stay under the memory cap */
    uint64_t keys;             /* group states held now */
    uint64_t memory_bytes;     /* bytes of state held now (allocator overhead included) */
    uint64_t memory_cap;       /* security.memory_cap */
    uint64_t pattern_matches;  /* content pattern hits */
    uint64_t pattern_errors;   /* pattern runs stopped by the match limits (each counted as a
                                  match; docs/internals/security.md, "Content patterns") */
    uint64_t ghosts;           /* evicted groups still remembered by their newest event
                                  (docs/internals/security.md, "State and memory") */
} nlog_security_stats;

/* Opaque: one set of detectors with its own state. The library runs one
 * over every nlog_log_security_event(); programs may run their own (over a
 * stored log, as `nlog security replay` does). */
typedef struct nlog_security_detector nlog_security_detector;

/* Creates detectors from the security settings of a resolved configuration
 * (nlog_config_resolve() or nlog_get_config()). On success *ret owns a new
 * detector; on failure *ret is unchanged and NLOG_ECONFIG comes with a
 * message in nlog_errmsg() (a pattern that does not compile, ...).
 * Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_security_detector_create(const nlog_config *cfg,
                                                                  nlog_security_detector **ret);

/* Frees. NULL is a no-op. Must not race with feeds of the same detector. */
NLOG_API void nlog_security_detector_destroy(nlog_security_detector *d);

/* Runs the detectors over one event (its time: timestamp_ns, to the
 * microsecond; 0 = now) and calls `fn` (may be NULL) for each detection,
 * in rule order, with no lock held. Logs nothing. Thread-safe. Returns
 * NLOG_EINVAL for a NULL detector or event. Since: 0.1 */
NLOG_API nlog_status nlog_security_detector_feed(nlog_security_detector *d,
                                                 const nlog_security_event *ev,
                                                 nlog_security_detection_fn fn, void *user);

/* Copies the detector's counters (up to out->struct_size bytes). */
NLOG_API NLOG_NODISCARD nlog_status nlog_security_detector_stats(nlog_security_detector *d,
                                                                 nlog_security_stats *out);

/* The counters of the library's own detectors (zeros before any event). */
NLOG_API NLOG_NODISCARD nlog_status nlog_security_stats_get(nlog_security_stats *out);

/* Writes `d` as one line of JSON (no newline, NUL-terminated) into
 * buf[0..size), the form `nlog security replay` prints, and its length into
 * *ret_len (may be NULL). NLOG_ELIMIT if it does not fit. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_security_detection_format(const nlog_security_detection *d,
                                                                   char *buf, size_t size,
                                                                   size_t *ret_len);

/* Parses a record timestamp "YYYY-MM-DDTHH:MM:SS.ffffffZ" (the form records
 * carry; 0 to 9 fractional digits accepted) into ns since the epoch.
 * NLOG_EINVAL for anything else. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_timestamp_parse(const char *text, size_t len,
                                                         int64_t *ret_ns);

/* ---- client-side field encryption ------------------------------------------ */

/* Bytes of a key in base64 text (44 characters) plus the NUL. */
#define NLOG_ENCRYPTION_KEY_B64_SIZE 45

/* Makes an X25519 key pair for encryption_public_key / `nlog decrypt`, as
 * base64 text (NUL-terminated). Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_encryption_keypair(char public_b64[NLOG_ENCRYPTION_KEY_B64_SIZE],
                                                            char secret_b64[NLOG_ENCRYPTION_KEY_B64_SIZE]);

/* Opaque: decrypts the fields of records encrypted for one key pair; caches
 * the data keys it has unwrapped. Not thread-safe: one per thread. */
typedef struct nlog_decryptor nlog_decryptor;

/* Creates a decryptor from a secret key in base64 (as written by
 * nlog_encryption_keypair() and `nlog keygen --encryption`). NLOG_EINVAL
 * for a malformed key. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_decryptor_create(const char *secret_b64,
                                                          nlog_decryptor **ret);
/* Frees, wiping the keys. NULL is a no-op. */
NLOG_API void nlog_decryptor_destroy(nlog_decryptor *d);

/* Decrypts one field of a record. `marker` is the record's
 * metadata.nlog_encryption value, `time_ns` its timestamp (as parsed by
 * nlog_timestamp_parse()), `group` "context", "metadata" or
 * "performance_data", `key` the field's key and `value` its "enc1:..." text.
 * On success writes the field's original value as JSON text ("\"secret\"",
 * "42", "true") into out[0..size) (NUL-terminated) and returns NLOG_OK.
 * Otherwise returns NLOG_EINVAL with a reason in nlog_errmsg(): a malformed
 * marker or value, a record encrypted for another key ("wrong key"), or a
 * value that fails authentication (altered, cut, or moved from another
 * record or field); NLOG_ELIMIT if out is too small. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_decryptor_open(nlog_decryptor *d, const char *marker,
                                                        int64_t time_ns, const char *group,
                                                        const char *key, const char *value,
                                                        size_t value_len, char *out,
                                                        size_t size);

/* Whether a string value is an encrypted field ("enc1:" prefix). */
NLOG_API int nlog_encryption_is_encrypted(const char *value, size_t len);

NLOG_END_DECLS

#endif /* NLOG_SECURITY_H */
