/* rules.c: the built-in detectors and the custom rules, compiled into one
 * list the engine runs in order.
 *
 * The built-in detectors are rules like any other, so their semantics (the
 * window (t - W, t], the cooldown, the evidence) are the engine's and are
 * documented once:
 *
 *   brute_force              LOGIN_FAILURE by ip_address, count        -> BRUTE_FORCE_DETECTED
 *   targeted_brute_force     LOGIN_FAILURE by user_id, count           -> BRUTE_FORCE_DETECTED
 *   distributed_brute_force  LOGIN_FAILURE by user_id, distinct IPs    -> BRUTE_FORCE_DETECTED
 *   password_spraying        LOGIN_FAILURE by ip_address, distinct users -> BRUTE_FORCE_DETECTED
 *   success_after_failures   LOGIN_SUCCESS by user_id after failures   -> SUSPICIOUS_ACTIVITY
 *   privilege_then_config    CONFIG_CHANGE by user_id after PRIVILEGE_ESCALATION
 *                                                                      -> SUSPICIOUS_ACTIVITY
 *   sql_injection, path_traversal, xss, command_injection
 *                            any event whose pattern fields match, by ip_address
 *                                                                      -> SUSPICIOUS_ACTIVITY
 * Tested by: tests/unit/security/test_security_detect.c */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "security/detect.h"
#include "security/sec_internal.h"

static void ref(nlog__field_ref *r, const char *name)
{
    snprintf(r->name, sizeof r->name, "%s", name);
    r->schema = nlog__sec_field_find(name);
}

static void types_one(nlog__type_set *s, nlog_security_event_type t)
{
    memset(s, 0, sizeof *s);
    s->builtin = 1u << t;
}

static void types_from(nlog__type_set *s, int n, char (*names)[NLOG_SECURITY_NAME_MAX])
{
    memset(s, 0, sizeof *s);
    if (n == 0) {
        s->any = 1;
        return;
    }
    for (int i = 0; i < n; i++) {
        nlog_security_event_type t;
        if (nlog_security_event_type_parse(names[i], &t) == NLOG_OK && t != NLOG_SEC_CUSTOM)
            s->builtin |= 1u << t;
        else if (s->n_custom < NLOG_SECURITY_RULE_TYPES_MAX)
            snprintf(s->custom[s->n_custom++], NLOG_SECURITY_NAME_MAX, "%s", names[i]);
    }
}

static void sample_for(nlog__crule *r)
{
    r->has_sample = 1;
    if (r->kind == NLOG__RULE_DISTINCT)
        r->sample = r->distinct;
    else if (strcmp(r->group.name, "ip_address") == 0)
        ref(&r->sample, "user_id");
    else
        ref(&r->sample, "ip_address");
}

static void builtin(nlog__crule *r, const char *name, nlog__rule_kind kind,
                    nlog_security_event_type trigger, nlog_security_event_type history,
                    const char *group, const char *distinct, int threshold, int window,
                    int cooldown, nlog_security_event_type emit, nlog_security_severity sev)
{
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    r->kind = kind;
    types_one(&r->types, trigger);
    if (kind == NLOG__RULE_SEQUENCE)
        types_one(&r->history, history);
    ref(&r->group, group);
    if (distinct)
        ref(&r->distinct, distinct);
    r->threshold = (uint32_t) threshold;
    r->window_ns = (int64_t) window * 1000000000;
    r->cooldown_ns = (int64_t) cooldown * 1000000000;
    r->emit = emit;
    r->severity = sev;
    sample_for(r);
}

static void scan_fields(nlog__crule *r, const nlog_name_list *l)
{
    r->n_scan = 0;
    for (int i = 0; i < l->n && i < NLOG__SCAN_MAX; i++)
        ref(&r->scan[r->n_scan++], l->names[i]);
}

void nlog__rules_free(nlog__crule *rules, size_t n)
{
    if (!rules)
        return;
    for (size_t i = 0; i < n; i++)
        nlog__pattern_destroy(rules[i].re);
    free(rules);
}

nlog_status nlog__rules_compile(const nlog_config *cfg, nlog__crule **ret_rules, size_t *ret_n,
                                char *why, size_t why_size)
{
    size_t max = 6 + 4 + NLOG_SECURITY_RULES_MAX, n = 0;
    nlog__crule *rs = calloc(max, sizeof *rs);
    if (!rs) {
        snprintf(why, why_size, "out of memory");
        return NLOG_ENOMEM;
    }
    const struct {
        const char *name;
        nlog__rule_kind kind;
        nlog_security_event_type trigger, history;
        const char *group, *distinct;
        const nlog_security_threshold *t;
        nlog_security_event_type emit;
    } b[] = {
        {"brute_force", NLOG__RULE_COUNT, NLOG_SEC_LOGIN_FAILURE, 0, "ip_address", NULL,
         &cfg->security_brute_force, NLOG_SEC_BRUTE_FORCE_DETECTED},
        {"targeted_brute_force", NLOG__RULE_COUNT, NLOG_SEC_LOGIN_FAILURE, 0, "user_id", NULL,
         &cfg->security_targeted_brute_force, NLOG_SEC_BRUTE_FORCE_DETECTED},
        {"distributed_brute_force", NLOG__RULE_DISTINCT, NLOG_SEC_LOGIN_FAILURE, 0, "user_id",
         "ip_address", &cfg->security_distributed_brute_force, NLOG_SEC_BRUTE_FORCE_DETECTED},
        {"password_spraying", NLOG__RULE_DISTINCT, NLOG_SEC_LOGIN_FAILURE, 0, "ip_address",
         "user_id", &cfg->security_password_spraying, NLOG_SEC_BRUTE_FORCE_DETECTED},
        {"success_after_failures", NLOG__RULE_SEQUENCE, NLOG_SEC_LOGIN_SUCCESS,
         NLOG_SEC_LOGIN_FAILURE, "user_id", NULL, &cfg->security_success_after_failures,
         NLOG_SEC_SUSPICIOUS_ACTIVITY},
        {"privilege_then_config", NLOG__RULE_SEQUENCE, NLOG_SEC_CONFIG_CHANGE,
         NLOG_SEC_PRIVILEGE_ESCALATION, "user_id", NULL, &cfg->security_privilege_then_config,
         NLOG_SEC_SUSPICIOUS_ACTIVITY},
    };
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) {
        if (b[i].t->threshold <= 0 || b[i].t->window <= 0)
            continue;
        builtin(&rs[n++], b[i].name, b[i].kind, b[i].trigger, b[i].history, b[i].group,
                b[i].distinct, b[i].t->threshold, b[i].t->window,
                b[i].t->cooldown > 0 ? b[i].t->cooldown : 0, b[i].emit,
                NLOG_SEC_SEVERITY_HIGH);
    }
    nlog_status st = NLOG_OK;
    char perr[256];
    if (cfg->security_patterns > 0) {
        for (size_t i = 0; nlog__builtin_patterns[i].name; i++) {
            nlog__crule *r = &rs[n];
            int cd = cfg->security_pattern_cooldown > 0 ? cfg->security_pattern_cooldown : 0;
            builtin(r, nlog__builtin_patterns[i].name, NLOG__RULE_COUNT, NLOG_SEC_INVALID, 0,
                    "ip_address", NULL, 1, cd > 0 ? cd : 1, cd, NLOG_SEC_SUSPICIOUS_ACTIVITY,
                    NLOG_SEC_SEVERITY_HIGH);
            r->types.builtin = 0;
            r->types.any = 1;
            r->group_optional = 1;
            scan_fields(r, &cfg->security_pattern_fields);
            st = nlog__pattern_create(nlog__builtin_patterns[i].regex, &r->re, perr, sizeof perr);
            if (st != NLOG_OK) { /* a bug in the built-in set, caught by the tests */
                snprintf(why, why_size, "built-in pattern %s: %s", r->name, perr);
                goto fail;
            }
            n++;
        }
    }
    for (int i = 0; i < cfg->security_rules.n && i < NLOG_SECURITY_RULES_MAX; i++) {
        const nlog_security_rule *c = &cfg->security_rules.rule[i];
        nlog__crule *r = &rs[n];
        memset(r, 0, sizeof *r);
        snprintf(r->name, sizeof r->name, "%s", c->name);
        r->kind = c->count_distinct[0] ? NLOG__RULE_DISTINCT
                  : c->n_preceded_by   ? NLOG__RULE_SEQUENCE
                                       : NLOG__RULE_COUNT;
        types_from(&r->types, c->n_event_types,
                   (char (*)[NLOG_SECURITY_NAME_MAX]) c->event_types);
        if (r->kind == NLOG__RULE_SEQUENCE)
            types_from(&r->history, c->n_preceded_by,
                       (char (*)[NLOG_SECURITY_NAME_MAX]) c->preceded_by);
        r->n_match = c->n_match;
        for (int j = 0; j < c->n_match; j++) {
            ref(&r->match[j].f, c->match[j].field);
            snprintf(r->match[j].value, sizeof r->match[j].value, "%s", c->match[j].value);
            r->match[j].len = strlen(r->match[j].value);
            r->match[j].prefix = c->match[j].prefix;
        }
        if (c->pattern[0]) {
            st = nlog__pattern_create(c->pattern, &r->re, perr, sizeof perr);
            if (st != NLOG_OK) {
                snprintf(why, why_size, "security.rules: rule %d ('%s'): pattern %s", i + 1,
                         c->name, perr);
                goto fail;
            }
            if (c->n_fields) {
                for (int j = 0; j < c->n_fields; j++)
                    ref(&r->scan[r->n_scan++], c->fields[j]);
            } else {
                scan_fields(r, &cfg->security_pattern_fields);
            }
        }
        ref(&r->group, c->group_by);
        if (c->count_distinct[0])
            ref(&r->distinct, c->count_distinct);
        r->threshold = (uint32_t) c->threshold;
        r->window_ns = (int64_t) c->window * 1000000000;
        r->cooldown_ns = (int64_t) c->cooldown * 1000000000;
        r->emit = (nlog_security_event_type) c->emit;
        r->severity = (nlog_security_severity) c->severity;
        sample_for(r);
        n++;
    }
    *ret_rules = rs;
    *ret_n = n;
    return NLOG_OK;
fail:
    nlog__rules_free(rs, max);
    return st == NLOG_ENOMEM ? NLOG_ENOMEM : NLOG_ECONFIG;
}
