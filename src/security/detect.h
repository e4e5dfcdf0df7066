/* detect.h: the detector engine's compiled rules and its internal entry
 * points (never installed).
 *
 * Every detector, built-in or custom, is one compiled rule (crule): which
 * events it looks at, how it groups them, what it counts, and when it fires.
 * rules.c builds them from a configuration; detect.c runs them.
 * Tested by: tests/unit/security/test_security_detect.c */
#ifndef NLOG_SECURITY_DETECT_H
#define NLOG_SECURITY_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include <nlog/nlog.h>

#include "security/mask.h"
#include "security/pattern.h"

typedef enum nlog__rule_kind {
    NLOG__RULE_COUNT,    /* >= threshold events in the window */
    NLOG__RULE_DISTINCT, /* >= threshold distinct values of a field in the window */
    NLOG__RULE_SEQUENCE  /* on a trigger: >= threshold history events in the window */
} nlog__rule_kind;

/* A field of the event: a schema field (index) or a detail key. */
typedef struct nlog__field_ref {
    int schema;                       /* nlog__sec_field, or -1 for a detail */
    char name[NLOG_SECURITY_NAME_MAX];
} nlog__field_ref;

/* A set of event types. */
typedef struct nlog__type_set {
    int any;                          /* every type */
    uint32_t builtin;                 /* bit t: built-in type t */
    int n_custom;
    char custom[NLOG_SECURITY_RULE_TYPES_MAX][NLOG_SECURITY_NAME_MAX];
} nlog__type_set;

#define NLOG__SCAN_MAX NLOG_NAME_LIST_MAX
/* Rules one detector runs: 6 built-in detectors, 4 built-in patterns and the
 * custom rules. */
#define NLOG__RULES_MAX (6 + 4 + NLOG_SECURITY_RULES_MAX)

typedef struct nlog__crule {
    char name[NLOG_SECURITY_NAME_MAX];
    nlog__rule_kind kind;
    nlog__type_set types;             /* events that count (or trigger) */
    nlog__type_set history;           /* SEQUENCE: events that make up the history */
    int n_match;
    struct {
        nlog__field_ref f;
        char value[NLOG_SECURITY_MATCH_VALUE_MAX];
        size_t len;
        int prefix;
    } match[NLOG_SECURITY_RULE_MATCH_MAX];
    nlog__pattern *re;                /* NULL: no content pattern */
    int n_scan;
    nlog__field_ref scan[NLOG__SCAN_MAX];
    nlog__field_ref group;
    int group_optional;               /* an event without the group field counts as "(none)" */
    nlog__field_ref distinct;         /* DISTINCT */
    nlog__field_ref sample;           /* the field whose values are sampled */
    int has_sample;
    uint32_t threshold;
    int64_t window_ns;
    int64_t cooldown_ns;
    nlog_security_event_type emit;
    nlog_security_severity severity;
} nlog__crule;

/* Builds the rules of a resolved configuration: the built-in detectors
 * whose threshold is not 0, the built-in patterns (security.patterns), then
 * the custom rules. On failure writes the reason into why. */
nlog_status nlog__rules_compile(const nlog_config *cfg, nlog__crule **ret_rules, size_t *ret_n,
                                char *why, size_t why_size);
void nlog__rules_free(nlog__crule *rules, size_t n);

/* One detection with its own copies of every string, so that it outlives
 * the detector's lock (and the detector). */
typedef struct nlog__sec_hit {
    nlog_security_detection d;
    char detector[NLOG_SECURITY_NAME_MAX];
    char group_by[NLOG_SECURITY_NAME_MAX];
    char counted[NLOG_SECURITY_NAME_MAX];
    char sample_of[NLOG_SECURITY_NAME_MAX];
    char matched[NLOG_SECURITY_NAME_MAX];
    char key[256];
    char sample[NLOG_SECURITY_SAMPLE_MAX][48];
    const char *sample_ptr[NLOG_SECURITY_SAMPLE_MAX];
} nlog__sec_hit;

#define NLOG__SEC_HITS_MAX 32

typedef struct nlog__sec_hits {
    size_t n;
    nlog__sec_hit hit[NLOG__SEC_HITS_MAX];
} nlog__sec_hits;

/* Runs the detector over one event. Detections go into *hits, allocated on
 * the first one (the caller frees it); *hits stays NULL when none fired. */
nlog_status nlog__detector_run(nlog_security_detector *d, const nlog_security_event *ev,
                               nlog__sec_hits **hits);

/* The detector's configuration fingerprint (the settings it was made from),
 * so reconfiguration can keep a detector whose settings did not change. */
int nlog__detector_same_config(const nlog_security_detector *d, const nlog_config *cfg);

#endif /* NLOG_SECURITY_DETECT_H */
