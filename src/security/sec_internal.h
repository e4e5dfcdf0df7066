/* sec_internal.h: what the files of src/security share (never installed).
 *
 * The module has four parts: events and audit records (event.c, audit.c),
 * threat detection (detect.c, rules.c, pattern.c, live.c), masking and
 * field encryption where records are encoded (mask.c, redact.c,
 * fieldcrypt.c), and the configuration types they read (cfg_lists.c,
 * cfg_rules.c). docs/internals/security.md is the module's page. */
#ifndef NLOG_SECURITY_INTERNAL_H
#define NLOG_SECURITY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <nlog/nlog.h>

#include "config/config_internal.h"

/* Configuration types (cfg_lists.c, cfg_rules.c) ------------------------- */

/* Name lists; "defaults" in mask_fields / security.pattern_fields stands for
 * the built-in list. */
extern const nlog__cfg_custom nlog__sec_cfg_mask_fields;
extern const nlog__cfg_custom nlog__sec_cfg_pattern_fields;
extern const nlog__cfg_custom nlog__sec_cfg_names;
/* encryption_public_key: 32 bytes in base64, or "". */
extern const nlog__cfg_custom nlog__sec_cfg_public_key;
/* security.rules */
extern const nlog__cfg_custom nlog__sec_cfg_rules;

/* The built-in lists, NULL-terminated. */
extern const char *const nlog__sec_default_mask_fields[];
extern const char *const nlog__sec_default_pattern_fields[];

/* Whether `s` is a field name: [A-Za-z0-9_.-]{1,47}. */
int nlog__sec_valid_field_name(const char *s, size_t len);
/* Whether `s` is an event type name: [A-Z0-9_]{1,47}. */
int nlog__sec_valid_type_name(const char *s, size_t len);
/* Whether `s` is a rule name: [a-z0-9_.-]{1,47}. */
int nlog__sec_valid_rule_name(const char *s, size_t len);
/* Names of the built-in detectors and patterns, NULL-terminated (custom
 * rules may not reuse them). */
extern const char *const nlog__sec_builtin_rule_names[];

/* Checks one rule as the configuration would (names, ranges, the pattern
 * compiles). On failure writes "key: problem; accepted: ..." and returns
 * NLOG_ECONFIG. */
nlog_status nlog__sec_rule_check(const nlog_security_rule *rule, char *why, size_t why_size);

/* Events (event.c) ---------------------------------------------------------- */

/* The schema's fields in context, in the order they are written. */
typedef enum nlog__sec_field {
    NLOG__SF_EVENT_TYPE,
    NLOG__SF_SEVERITY,
    NLOG__SF_OUTCOME,
    NLOG__SF_USER_ID,
    NLOG__SF_IP_ADDRESS,
    NLOG__SF_SESSION_ID,
    NLOG__SF_RESOURCE,
    NLOG__SF_ACTION,
    NLOG__SF_COUNT
} nlog__sec_field;

extern const char *const nlog__sec_field_names[NLOG__SF_COUNT];

/* The field's schema index, or -1 for a detail key. */
int nlog__sec_field_find(const char *name);

/* The severity and outcome an event of `type` has when the caller gave none. */
nlog_security_severity nlog__sec_default_severity(nlog_security_event_type type);
nlog_outcome nlog__sec_implied_outcome(nlog_security_event_type type);

/* Logs `ev` at `time_ns` with logger `lg` (the detectors are not run).
 * `extra_ctx` are added to context after the schema fields (detections use
 * it for "detector"). Returns what nlog_log() returns. */
nlog_status nlog__sec_log_event(nlog_logger *lg, const nlog_security_event *ev, int64_t time_ns,
                                const nlog_field *extra_ctx, size_t n_extra);

/* Time ------------------------------------------------------------------------ */

/* Truncates ns to the microsecond, toward the past (what records keep).
 * Within the last microsecond before INT64_MIN's it rounds toward zero
 * instead: the floor is not representable there. */
static inline int64_t nlog__sec_floor_us(int64_t ns)
{
    int64_t us = ns / 1000;
    if (ns % 1000 < 0 && us > INT64_MIN / 1000)
        us--;
    return us * 1000;
}

/* Detection (detect.c, live.c) ---------------------------------------------- */

/* Applies a resolved configuration to the library's detectors (called by
 * lifecycle.c with the configuration lock held; keeps the state when the
 * security settings did not change). Reports problems as diagnostics. */
void nlog__sec_live_configure(const nlog_config *cfg);
/* Frees the library's detectors (nlog_shutdown). */
void nlog__sec_live_shutdown(void);

/* Audit hooks (audit.c) --------------------------------------------------------- */

/* What the library audits about itself. */
typedef enum nlog__audit_kind {
    NLOG__AUDIT_START,        /* logging started (first configuration) */
    NLOG__AUDIT_RECONFIGURE,  /* nlog_init() again, nlog_set_profile() */
    NLOG__AUDIT_REJECTED,     /* a reconfiguration that was refused */
    NLOG__AUDIT_STOP          /* nlog_shutdown() */
} nlog__audit_kind;

/* Applies audit_lifecycle (called with each configuration). */
void nlog__audit_configure(const nlog_config *cfg);
/* Records a configuration event. `before` (NULL at start) and `after` are
 * resolved configurations; `how` names the call ("nlog_init",
 * "nlog_set_profile", "environment"); `why` is the refusal message for
 * NLOG__AUDIT_REJECTED. Must be called with no state lock held. */
void nlog__audit_config(nlog__audit_kind kind, const nlog_config *before,
                        const nlog_config *after, const char *how, const char *why);
/* 1 if applying `after` over `before` (both resolved) switches auditing off:
 * audit_enabled from true to false, or audit_lifecycle from on to off while
 * audit_enabled stays true. */
int nlog__audit_turns_off(const nlog_config *before, const nlog_config *after);
/* Records (action audit.disable) that `after` is about to turn auditing off;
 * called while `before` is still in force (its outputs, its audit_sync), so
 * the record lands in the trail being switched off. No state lock held. */
void nlog__audit_disabling(const nlog_config *before, const nlog_config *after, const char *how);
/* Records a level change: `name` NULL for the global level; level
 * NLOG_LEVEL_INVALID when an override was removed. */
void nlog__audit_level(const char *name, nlog_level level, nlog_status st);

#endif /* NLOG_SECURITY_INTERNAL_H */
