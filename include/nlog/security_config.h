/* security_config.h: the configuration types of the security module
 * (custom detection rules and name lists), used as members of struct
 * nlog_config (config.h includes this header; include <nlog/nlog.h>).
 *
 * They are plain fixed-size structs so that a configuration stays one value
 * that can be copied, compared and shown like every other setting. The YAML
 * file, NETLINK_LOG_<KEY> variables and nlog_config_set() fill them from
 * text; a program may also fill them in code (then nlog_config_resolve()
 * checks them like any other value). docs/configuration.md ("Security,
 * audit, masking and field encryption") describes the keys.
 *
 * Thread-safety: plain data. Since: 0.1 */
#ifndef NLOG_SECURITY_CONFIG_H
#define NLOG_SECURITY_CONFIG_H

#include <stddef.h>

#include <nlog/export.h>

NLOG_BEGIN_DECLS

/* Bytes of one name in a name list or a rule (field, event type, rule
 * name), including the NUL: names are 1 to 47 bytes. */
#define NLOG_SECURITY_NAME_MAX 48
/* Names in one name list (mask_fields, encrypt_fields, ...). */
#define NLOG_NAME_LIST_MAX 32

/* A list of names, such as the field names masked or encrypted. `n` is
 * NLOG_UNSET (-1) in a struct fresh from nlog_config_init() ("not set"). */
typedef struct nlog_name_list {
    int n;                                            /* names used, or NLOG_UNSET */
    char names[NLOG_NAME_LIST_MAX][NLOG_SECURITY_NAME_MAX];
} nlog_name_list;

/* Custom rules one configuration may hold (security.rules). */
#define NLOG_SECURITY_RULES_MAX 16
/* Event types a rule's `event_type` or `preceded_by` may list. */
#define NLOG_SECURITY_RULE_TYPES_MAX 4
/* Conditions of a rule's `match` mapping. */
#define NLOG_SECURITY_RULE_MATCH_MAX 4
/* Bytes of a `match` value, including the NUL. */
#define NLOG_SECURITY_MATCH_VALUE_MAX 128
/* Bytes of a rule's `pattern` (a PCRE2 regular expression), including the NUL. */
#define NLOG_SECURITY_PATTERN_MAX 512
/* Fields a pattern rule's `fields` may list. */
#define NLOG_SECURITY_RULE_FIELDS_MAX 8

/* One `match` condition: the event's field equals `value`, or starts with
 * it when `prefix` is 1 (written `value*` in the file). */
typedef struct nlog_security_rule_match {
    char field[NLOG_SECURITY_NAME_MAX];
    char value[NLOG_SECURITY_MATCH_VALUE_MAX];
    int prefix;
} nlog_security_rule_match;

/* One custom detection rule. In words: "for events of `event_types` that
 * satisfy `match` (and `pattern`, if any), grouped by `group_by`, fire when
 * at least `threshold` of them (or `threshold` distinct values of
 * `count_distinct`; or, with `preceded_by`, `threshold` earlier events of
 * those types) fall in the window (t - window, t], at most once per
 * `cooldown` per group". Times are whole seconds. */
typedef struct nlog_security_rule {
    char name[NLOG_SECURITY_NAME_MAX];                       /* [a-z0-9_.-], unique */
    int n_event_types;                                       /* 0: every type */
    char event_types[NLOG_SECURITY_RULE_TYPES_MAX][NLOG_SECURITY_NAME_MAX];
    int n_match;
    nlog_security_rule_match match[NLOG_SECURITY_RULE_MATCH_MAX];
    char pattern[NLOG_SECURITY_PATTERN_MAX];                 /* "" for none */
    int n_fields;                                            /* pattern: fields scanned; 0:
                                                                security.pattern_fields */
    char fields[NLOG_SECURITY_RULE_FIELDS_MAX][NLOG_SECURITY_NAME_MAX];
    char group_by[NLOG_SECURITY_NAME_MAX];                   /* field grouped by */
    char count_distinct[NLOG_SECURITY_NAME_MAX];             /* "" counts events */
    int n_preceded_by;                                       /* 0: not a sequence rule */
    char preceded_by[NLOG_SECURITY_RULE_TYPES_MAX][NLOG_SECURITY_NAME_MAX];
    int threshold;                                           /* 1..10000 */
    int window;                                              /* seconds, 1..2592000 */
    int cooldown;                                            /* seconds, 0..2592000 */
    int emit;                                                /* nlog_security_event_type:
                                                                BRUTE_FORCE_DETECTED or
                                                                SUSPICIOUS_ACTIVITY */
    int severity;                                            /* nlog_security_severity */
} nlog_security_rule;

/* The custom rules of a configuration. `n` is NLOG_UNSET when not set. */
typedef struct nlog_security_rules {
    int n;
    nlog_security_rule rule[NLOG_SECURITY_RULES_MAX];
} nlog_security_rules;

/* The settings of one built-in detector (security.<detector>.threshold,
 * .window, .cooldown). */
typedef struct nlog_security_threshold {
    int threshold; /* events (or distinct values) that fire it; 0 turns it off */
    int window;    /* seconds */
    int cooldown;  /* seconds */
} nlog_security_threshold;

/* Bytes of encryption_public_key, including the NUL (the key is 44 base64
 * characters). */
#define NLOG_ENCRYPTION_KEY_TEXT_MAX 64

NLOG_END_DECLS

#endif /* NLOG_SECURITY_CONFIG_H */
