/* cfg_rules.c: the security.rules configuration type (custom detection
 * rules).
 *
 *     security:
 *       rules:
 *         - name: admin_probe
 *           event_type: [PERMISSION_DENIED, ACCESS_VIOLATION]
 *           match: {resource: "/admin*"}
 *           group_by: ip_address
 *           count_distinct: resource
 *           threshold: 5
 *           window: 10m
 *           cooldown: 1h
 *           emit: SUSPICIOUS_ACTIVITY
 *           severity: HIGH
 *
 * Every problem names the rule (by number and name), the key, what is wrong
 * and what is accepted; the position is the offending node's. The same
 * checks run on rules set in code (nlog__sec_rule_check()). Rules render
 * back to flow YAML that reads back to the same bytes (the fuzz target
 * checks it).
 * Tested by: tests/unit/security/test_security_config.c; fuzzed by
 * tests/fuzz/fuzz_security_rules.c */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/utf8.h"
#include "security/pattern.h"
#include "security/sec_internal.h"

const char *const nlog__sec_builtin_rule_names[] = {
    "brute_force",       "targeted_brute_force", "distributed_brute_force", "password_spraying",
    "success_after_failures", "privilege_then_config", "sql_injection", "path_traversal",
    "xss",               "command_injection",    NULL};

static const char *const rule_keys[] = {
    "name",        "event_type", "match",     "pattern",  "fields",
    "group_by",    "count_distinct", "preceded_by", "threshold", "window",
    "cooldown",    "emit",       "severity",  NULL};

static const char accepted_keys[] =
    "name, event_type, match, pattern, fields, group_by, count_distinct, preceded_by, "
    "threshold, window, cooldown, emit, severity";

#define WINDOW_MAX 2592000 /* 30 days */
#define THRESHOLD_MAX 10000

int nlog__sec_valid_type_name(const char *s, size_t len)
{
    if (len == 0 || len > NLOG_SECURITY_TYPE_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

int nlog__sec_valid_rule_name(const char *s, size_t len)
{
    if (len == 0 || len >= NLOG_SECURITY_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.'))
            return 0;
    }
    return 1;
}

/* Parser state for one rule: where the problem is and what to say. */
typedef struct ctx {
    char *why;
    size_t why_size;
    nlog__cfg_pos *pos;
    int index;           /* 1-based rule number */
    const char *name;    /* the rule's name once known, else "" */
} ctx;

static nlog_status fail(ctx *c, const nlog__cfg_node *at, const char *key, const char *fmt,
                        ...) NLOG__PRINTF(4, 5);
static nlog_status fail(ctx *c, const nlog__cfg_node *at, const char *key, const char *fmt, ...)
{
    char text[NLOG__CFG_WHY_MAX];
    va_list ap;
    va_start(ap, fmt);
    (void) vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (at)
        *c->pos = at->pos;
    if (c->name[0])
        snprintf(c->why, c->why_size, "rule %d ('%s'): %s%s%s", c->index, c->name,
                 key ? key : "", key ? ": " : "", text);
    else
        snprintf(c->why, c->why_size, "rule %d: %s%s%s", c->index, key ? key : "",
                 key ? ": " : "", text);
    return NLOG_ECONFIG;
}

static int scalar(const nlog__cfg_node *n)
{
    return n && n->kind == NLOG__CFG_NODE_SCALAR && !n->is_null;
}

static nlog_status copy_name(ctx *c, const nlog__cfg_node *v, const char *key, char *dst,
                             int (*valid)(const char *, size_t), const char *accepted)
{
    char q[128];
    if (!scalar(v))
        return fail(c, v, key, "expected a single value; accepted: %s", accepted);
    if (!valid(v->text, v->len)) {
        nlog__cfg_quote(q, sizeof q, v->text, v->len);
        return fail(c, v, key, "%s is not valid; accepted: %s", q, accepted);
    }
    memcpy(dst, v->text, v->len);
    dst[v->len] = '\0';
    return NLOG_OK;
}

static const char type_accepted[] =
    "event type names such as LOGIN_FAILURE or a custom [A-Z0-9_] name of at most 47 "
    "characters, one or a YAML sequence of at most 4";
static const char field_accepted[] =
    "a field name: event_type, severity, outcome, user_id, ip_address, session_id, resource, "
    "action, or a detail key (1 to 47 characters from A-Z a-z 0-9 _ - .)";

/* One name or a sequence of names into dst[max][NAME_MAX]. */
static nlog_status copy_names(ctx *c, const nlog__cfg_node *v, const char *key,
                              char (*dst)[NLOG_SECURITY_NAME_MAX], int max, int *ret_n,
                              int (*valid)(const char *, size_t), const char *accepted)
{
    *ret_n = 0;
    if (scalar(v)) {
        *ret_n = 1;
        return copy_name(c, v, key, dst[0], valid, accepted);
    }
    if (!v || v->kind != NLOG__CFG_NODE_SEQ || v->n_children == 0)
        return fail(c, v, key, "expected a name or a sequence of names; accepted: %s",
                    accepted);
    for (const nlog__cfg_node *i = v->child; i; i = i->next) {
        if (*ret_n >= max)
            return fail(c, i, key, "more than %d names; accepted: %s", max, accepted);
        nlog_status st = copy_name(c, i, key, dst[*ret_n], valid, accepted);
        if (st != NLOG_OK)
            return st;
        for (int j = 0; j < *ret_n; j++)
            if (strcmp(dst[j], dst[*ret_n]) == 0)
                return fail(c, i, key, "'%s' is listed twice; accepted: %s", dst[j], accepted);
        (*ret_n)++;
    }
    return NLOG_OK;
}

static nlog_status read_int(ctx *c, const nlog__cfg_node *v, const char *key, long min, long max,
                            int *dst)
{
    char q[128];
    long n = 0;
    size_t i = 0;
    if (!scalar(v))
        return fail(c, v, key, "expected a whole number; accepted: %ld to %ld", min, max);
    for (; i < v->len && v->text[i] >= '0' && v->text[i] <= '9'; i++)
        if (n <= max)
            n = n * 10 + (v->text[i] - '0');
    nlog__cfg_quote(q, sizeof q, v->text, v->len);
    if (i == 0 || i != v->len)
        return fail(c, v, key, "%s is not a whole number; accepted: %ld to %ld", q, min, max);
    if (n < min || n > max)
        return fail(c, v, key, "%s is out of range; accepted: %ld to %ld", q, min, max);
    *dst = (int) n;
    return NLOG_OK;
}

/* A duration: whole seconds, or with a unit s, m, h, d ("90s", "10m"). */
static nlog_status read_duration(ctx *c, const nlog__cfg_node *v, const char *key, long min,
                                 int *dst)
{
    char q[128];
    long n = 0, mult = 1;
    size_t i = 0;
    const char *acc = "a number of seconds, or with a unit s, m, h or d (90s, 10m, 1h, 1d), "
                      "at most 30 days";
    if (!scalar(v))
        return fail(c, v, key, "expected a duration; accepted: %s%s", acc,
                    min ? "" : ", 0 for none");
    for (; i < v->len && v->text[i] >= '0' && v->text[i] <= '9'; i++)
        if (n <= WINDOW_MAX)
            n = n * 10 + (v->text[i] - '0');
    nlog__cfg_quote(q, sizeof q, v->text, v->len);
    if (i + 1 == v->len) {
        switch (v->text[i]) {
        case 's': mult = 1; break;
        case 'm': mult = 60; break;
        case 'h': mult = 3600; break;
        case 'd': mult = 86400; break;
        default: i = 0; break;
        }
        if (i)
            i++;
    }
    if (i == 0 || i != v->len || (i == 1 && (v->text[0] < '0' || v->text[0] > '9')))
        return fail(c, v, key, "%s is not a duration; accepted: %s", q, acc);
    if (n > WINDOW_MAX || n * mult > WINDOW_MAX || n * mult < min)
        return fail(c, v, key, "%s is out of range; accepted: %s%s", q, acc,
                    min ? ", at least 1 second" : "");
    *dst = (int) (n * mult);
    return NLOG_OK;
}

static nlog_status read_match(ctx *c, const nlog__cfg_node *v, nlog_security_rule *r)
{
    char q[128];
    if (!v || v->kind != NLOG__CFG_NODE_MAP)
        return fail(c, v, "match",
                    "expected a mapping of field names to values; accepted: up to %d "
                    "conditions such as {resource: \"/admin*\"} (a trailing * matches a prefix)",
                    NLOG_SECURITY_RULE_MATCH_MAX);
    for (const nlog__cfg_node *k = v->child; k && k->next; k = k->next->next) {
        const nlog__cfg_node *val = k->next;
        if (r->n_match >= NLOG_SECURITY_RULE_MATCH_MAX)
            return fail(c, k, "match", "more than %d conditions; accepted: at most %d",
                        NLOG_SECURITY_RULE_MATCH_MAX, NLOG_SECURITY_RULE_MATCH_MAX);
        nlog_security_rule_match *m = &r->match[r->n_match];
        nlog_status st = copy_name(c, k, "match", m->field, nlog__sec_valid_field_name,
                                   field_accepted);
        if (st != NLOG_OK)
            return st;
        for (int j = 0; j < r->n_match; j++)
            if (strcmp(r->match[j].field, m->field) == 0)
                return fail(c, k, "match", "field '%s' is given twice", m->field);
        if (!scalar(val))
            return fail(c, val ? val : k, "match",
                        "%s: expected a single value; accepted: a text of at most %d bytes, "
                        "a trailing * for a prefix",
                        m->field, NLOG_SECURITY_MATCH_VALUE_MAX - 1);
        size_t len = val->len;
        m->prefix = len > 0 && val->text[len - 1] == '*';
        if (m->prefix)
            len--;
        if (len >= NLOG_SECURITY_MATCH_VALUE_MAX || memchr(val->text, '\0', len)) {
            nlog__cfg_quote(q, sizeof q, val->text, val->len);
            return fail(c, val, "match", "%s: value %s is too long or holds a NUL byte; "
                        "accepted: a text of at most %d bytes",
                        m->field, q, NLOG_SECURITY_MATCH_VALUE_MAX - 1);
        }
        memcpy(m->value, val->text, len);
        m->value[len] = '\0';
        r->n_match++;
    }
    return NLOG_OK;
}

static const char *suggest_key(const char *s, size_t len)
{
    /* A cheap typo check: same first letter and length within one, or a
     * shared prefix of four. Enough for "treshold", "windows", "group". */
    for (size_t i = 0; rule_keys[i]; i++) {
        size_t kl = strlen(rule_keys[i]);
        size_t common = 0;
        while (common < len && common < kl && s[common] == rule_keys[i][common])
            common++;
        if (common >= 4 || (len && s[0] == rule_keys[i][0] &&
                            (kl > len ? kl - len : len - kl) <= 1 && common >= 1 &&
                            len >= 4))
            return rule_keys[i];
    }
    return NULL;
}

static nlog_status parse_rule(ctx *c, const nlog__cfg_node *m, nlog_security_rule *r)
{
    char q[128];
    unsigned seen = 0;
    int has_threshold = 0, has_window = 0, has_cooldown = 0;
    const nlog__cfg_node *name_node = NULL, *group_node = NULL;

    memset(r, 0, sizeof *r);
    r->emit = NLOG_SEC_SUSPICIOUS_ACTIVITY;
    r->severity = NLOG_SEC_SEVERITY_HIGH;
    if (!m || m->kind != NLOG__CFG_NODE_MAP)
        return fail(c, m, NULL, "expected a mapping of rule keys; accepted keys: %s",
                    accepted_keys);
    /* The name first, so every later message can name the rule. */
    for (const nlog__cfg_node *k = m->child; k && k->next; k = k->next->next)
        if (scalar(k) && k->len == 4 && memcmp(k->text, "name", 4) == 0)
            name_node = k->next;
    if (!name_node)
        return fail(c, m, "name", "missing; accepted: a unique name of 1 to 47 characters "
                    "from a-z 0-9 _ - .");
    nlog_status st = copy_name(c, name_node, "name", r->name, nlog__sec_valid_rule_name,
                               "a unique name of 1 to 47 characters from a-z 0-9 _ - .");
    if (st != NLOG_OK)
        return st;
    for (size_t i = 0; nlog__sec_builtin_rule_names[i]; i++)
        if (strcmp(r->name, nlog__sec_builtin_rule_names[i]) == 0)
            return fail(c, name_node, "name",
                        "'%s' is the name of a built-in detector; accepted: another name "
                        "(the built-in ones are configured under security.%s)",
                        r->name, r->name);
    c->name = r->name;

    for (const nlog__cfg_node *k = m->child; k; k = k->next ? k->next->next : NULL) {
        const nlog__cfg_node *v = k->next;
        size_t ki;
        if (!scalar(k))
            return fail(c, k, NULL, "a key must be a plain name; accepted keys: %s",
                        accepted_keys);
        for (ki = 0; rule_keys[ki]; ki++)
            if (strlen(rule_keys[ki]) == k->len && memcmp(rule_keys[ki], k->text, k->len) == 0)
                break;
        if (!rule_keys[ki]) {
            const char *s = suggest_key(k->text, k->len);
            char hint[64] = "";
            nlog__cfg_quote(q, sizeof q, k->text, k->len);
            if (s)
                snprintf(hint, sizeof hint, " did you mean '%s'?", s);
            return fail(c, k, NULL, "unknown key %s;%s accepted keys: %s", q, hint,
                        accepted_keys);
        }
        const char *key = rule_keys[ki];
        if (seen & (1u << ki))
            return fail(c, k, key, "given twice");
        seen |= 1u << ki;
        if (!v)
            return fail(c, k, key, "no value");
        switch (ki) {
        case 0: /* name: done above */
            break;
        case 1:
            st = copy_names(c, v, key, r->event_types, NLOG_SECURITY_RULE_TYPES_MAX,
                            &r->n_event_types, nlog__sec_valid_type_name, type_accepted);
            break;
        case 2:
            st = read_match(c, v, r);
            break;
        case 3:
            if (!scalar(v))
                return fail(c, v, key, "expected a regular expression; accepted: a PCRE2 "
                            "pattern of at most %d bytes", NLOG_SECURITY_PATTERN_MAX - 1);
            if (v->len >= NLOG_SECURITY_PATTERN_MAX || memchr(v->text, '\0', v->len))
                return fail(c, v, key, "%zu bytes long or holds a NUL byte; accepted: a PCRE2 "
                            "pattern of at most %d bytes", v->len, NLOG_SECURITY_PATTERN_MAX - 1);
            memcpy(r->pattern, v->text, v->len);
            r->pattern[v->len] = '\0';
            {
                char perr[256];
                if (nlog__sec_pattern_check(r->pattern, perr, sizeof perr) != NLOG_OK)
                    return fail(c, v, key, "%s; accepted: a PCRE2 regular expression", perr);
            }
            break;
        case 4:
            if (scalar(v)) {
                /* one text with commas, like the name lists */
                const char *s = v->text;
                size_t len = v->len, i = 0;
                r->n_fields = 0;
                while (i < len) {
                    size_t j = i;
                    while (j < len && s[j] != ',')
                        j++;
                    size_t a = i, b = j;
                    while (a < b && s[a] == ' ')
                        a++;
                    while (b > a && s[b - 1] == ' ')
                        b--;
                    if (b > a) {
                        if (r->n_fields >= NLOG_SECURITY_RULE_FIELDS_MAX)
                            return fail(c, v, key, "more than %d fields; accepted: %s",
                                        NLOG_SECURITY_RULE_FIELDS_MAX, field_accepted);
                        if (!nlog__sec_valid_field_name(s + a, b - a)) {
                            nlog__cfg_quote(q, sizeof q, s + a, b - a);
                            return fail(c, v, key, "%s is not valid; accepted: %s", q,
                                        field_accepted);
                        }
                        memcpy(r->fields[r->n_fields], s + a, b - a);
                        r->fields[r->n_fields][b - a] = '\0';
                        r->n_fields++;
                    }
                    i = j + 1;
                }
            } else {
                st = copy_names(c, v, key, r->fields, NLOG_SECURITY_RULE_FIELDS_MAX,
                                &r->n_fields, nlog__sec_valid_field_name, field_accepted);
            }
            break;
        case 5:
            group_node = v;
            st = copy_name(c, v, key, r->group_by, nlog__sec_valid_field_name, field_accepted);
            break;
        case 6:
            st = copy_name(c, v, key, r->count_distinct, nlog__sec_valid_field_name,
                           field_accepted);
            break;
        case 7:
            st = copy_names(c, v, key, r->preceded_by, NLOG_SECURITY_RULE_TYPES_MAX,
                            &r->n_preceded_by, nlog__sec_valid_type_name, type_accepted);
            break;
        case 8:
            has_threshold = 1;
            st = read_int(c, v, key, 1, THRESHOLD_MAX, &r->threshold);
            break;
        case 9:
            has_window = 1;
            st = read_duration(c, v, key, 1, &r->window);
            break;
        case 10:
            has_cooldown = 1;
            st = read_duration(c, v, key, 0, &r->cooldown);
            break;
        case 11: {
            static const char acc[] = "BRUTE_FORCE_DETECTED or SUSPICIOUS_ACTIVITY";
            if (scalar(v) && v->len == 20 && memcmp(v->text, "BRUTE_FORCE_DETECTED", 20) == 0)
                r->emit = NLOG_SEC_BRUTE_FORCE_DETECTED;
            else if (scalar(v) && v->len == 19 &&
                     memcmp(v->text, "SUSPICIOUS_ACTIVITY", 19) == 0)
                r->emit = NLOG_SEC_SUSPICIOUS_ACTIVITY;
            else if (scalar(v)) {
                nlog__cfg_quote(q, sizeof q, v->text, v->len);
                return fail(c, v, key, "unknown value %s; accepted: %s", q, acc);
            } else
                return fail(c, v, key, "expected a single value; accepted: %s", acc);
            break;
        }
        case 12: {
            static const char acc[] = "LOW, MEDIUM, HIGH, CRITICAL (any case)";
            nlog_security_severity sv;
            char buf[16];
            if (!scalar(v))
                return fail(c, v, key, "expected a single value; accepted: %s", acc);
            snprintf(buf, sizeof buf, "%.*s", (int) (v->len < 15 ? v->len : 15), v->text);
            if (v->len >= sizeof buf || nlog_security_severity_parse(buf, &sv) != NLOG_OK) {
                nlog__cfg_quote(q, sizeof q, v->text, v->len);
                return fail(c, v, key, "unknown severity %s; accepted: %s", q, acc);
            }
            r->severity = (int) sv;
            break;
        }
        default:
            break;
        }
        if (st != NLOG_OK)
            return st;
    }
    if (!group_node)
        return fail(c, m, "group_by", "missing; accepted: %s", field_accepted);
    if (!has_threshold)
        r->threshold = 1;
    if (!has_window)
        r->window = 60;
    if (!has_cooldown)
        r->cooldown = r->window;
    char why[NLOG__CFG_WHY_MAX];
    if (nlog__sec_rule_check(r, why, sizeof why) != NLOG_OK)
        return fail(c, m, NULL, "%s", why);
    return NLOG_OK;
}

static nlog_status parse_rules(const nlog__cfg_node *v, void *member, char *why, size_t why_size,
                               nlog__cfg_pos *ret_pos)
{
    nlog_security_rules *rules = member;
    memset(rules, 0, sizeof *rules);
    if (!v)
        return NLOG_OK;
    if (v->kind != NLOG__CFG_NODE_SEQ) {
        *ret_pos = v->pos;
        snprintf(why, why_size, "expected a sequence of rules, found %s; accepted: %s",
                 v->kind == NLOG__CFG_NODE_MAP ? "a mapping" : "a single value",
                 nlog__sec_cfg_rules.accepted);
        return NLOG_ECONFIG;
    }
    int i = 0;
    for (const nlog__cfg_node *m = v->child; m; m = m->next, i++) {
        ctx c = {why, why_size, ret_pos, i + 1, ""};
        if (i >= NLOG_SECURITY_RULES_MAX)
            return fail(&c, m, NULL, "more than %d rules; accepted: at most %d custom rules",
                        NLOG_SECURITY_RULES_MAX, NLOG_SECURITY_RULES_MAX);
        nlog_status st = parse_rule(&c, m, &rules->rule[i]);
        if (st != NLOG_OK)
            return st;
        for (int j = 0; j < i; j++)
            if (strcmp(rules->rule[j].name, rules->rule[i].name) == 0)
                return fail(&c, m, "name", "'%s' is the name of rule %d too; accepted: a "
                            "unique name", rules->rule[i].name, j + 1);
    }
    rules->n = i;
    return NLOG_OK;
}

static int terminated(const char *s, size_t size)
{
    return memchr(s, '\0', size) != NULL;
}

nlog_status nlog__sec_rule_check(const nlog_security_rule *r, char *why, size_t why_size)
{
    if (!terminated(r->name, sizeof r->name) || !nlog__sec_valid_rule_name(r->name, strlen(r->name))) {
        snprintf(why, why_size, "name: not a rule name; accepted: 1 to 47 characters from a-z "
                 "0-9 _ - .");
        return NLOG_ECONFIG;
    }
    if (r->n_event_types < 0 || r->n_event_types > NLOG_SECURITY_RULE_TYPES_MAX ||
        r->n_preceded_by < 0 || r->n_preceded_by > NLOG_SECURITY_RULE_TYPES_MAX) {
        snprintf(why, why_size, "event_type/preceded_by: count out of range; accepted: 0 to %d",
                 NLOG_SECURITY_RULE_TYPES_MAX);
        return NLOG_ECONFIG;
    }
    for (int i = 0; i < r->n_event_types; i++)
        if (!terminated(r->event_types[i], NLOG_SECURITY_NAME_MAX) ||
            !nlog__sec_valid_type_name(r->event_types[i], strlen(r->event_types[i]))) {
            snprintf(why, why_size, "event_type: entry %d is not valid; accepted: %s", i + 1,
                     type_accepted);
            return NLOG_ECONFIG;
        }
    for (int i = 0; i < r->n_preceded_by; i++)
        if (!terminated(r->preceded_by[i], NLOG_SECURITY_NAME_MAX) ||
            !nlog__sec_valid_type_name(r->preceded_by[i], strlen(r->preceded_by[i]))) {
            snprintf(why, why_size, "preceded_by: entry %d is not valid; accepted: %s", i + 1,
                     type_accepted);
            return NLOG_ECONFIG;
        }
    if (r->n_match < 0 || r->n_match > NLOG_SECURITY_RULE_MATCH_MAX) {
        snprintf(why, why_size, "match: count out of range; accepted: 0 to %d",
                 NLOG_SECURITY_RULE_MATCH_MAX);
        return NLOG_ECONFIG;
    }
    for (int i = 0; i < r->n_match; i++)
        if (!terminated(r->match[i].field, NLOG_SECURITY_NAME_MAX) ||
            !nlog__sec_valid_field_name(r->match[i].field, strlen(r->match[i].field)) ||
            !terminated(r->match[i].value, NLOG_SECURITY_MATCH_VALUE_MAX) ||
            (r->match[i].prefix != 0 && r->match[i].prefix != 1)) {
            snprintf(why, why_size, "match: condition %d is not valid; accepted: %s and a text",
                     i + 1, field_accepted);
            return NLOG_ECONFIG;
        }
    if (r->n_fields < 0 || r->n_fields > NLOG_SECURITY_RULE_FIELDS_MAX) {
        snprintf(why, why_size, "fields: count out of range; accepted: 0 to %d",
                 NLOG_SECURITY_RULE_FIELDS_MAX);
        return NLOG_ECONFIG;
    }
    for (int i = 0; i < r->n_fields; i++)
        if (!terminated(r->fields[i], NLOG_SECURITY_NAME_MAX) ||
            !nlog__sec_valid_field_name(r->fields[i], strlen(r->fields[i]))) {
            snprintf(why, why_size, "fields: entry %d is not valid; accepted: %s", i + 1,
                     field_accepted);
            return NLOG_ECONFIG;
        }
    if (!terminated(r->pattern, sizeof r->pattern)) {
        snprintf(why, why_size, "pattern: not NUL-terminated");
        return NLOG_ECONFIG;
    }
    if (r->pattern[0]) {
        char perr[256];
        if (nlog__sec_pattern_check(r->pattern, perr, sizeof perr) != NLOG_OK) {
            snprintf(why, why_size, "pattern: %s; accepted: a PCRE2 regular expression", perr);
            return NLOG_ECONFIG;
        }
    } else if (r->n_fields) {
        snprintf(why, why_size, "fields: only a rule with a pattern scans fields; accepted: "
                 "fields together with pattern");
        return NLOG_ECONFIG;
    }
    if (!terminated(r->group_by, sizeof r->group_by) ||
        !nlog__sec_valid_field_name(r->group_by, strlen(r->group_by))) {
        snprintf(why, why_size, "group_by: not a field name; accepted: %s", field_accepted);
        return NLOG_ECONFIG;
    }
    if (!terminated(r->count_distinct, sizeof r->count_distinct) ||
        (r->count_distinct[0] &&
         !nlog__sec_valid_field_name(r->count_distinct, strlen(r->count_distinct)))) {
        snprintf(why, why_size, "count_distinct: not a field name; accepted: %s", field_accepted);
        return NLOG_ECONFIG;
    }
    if (r->count_distinct[0] && r->n_preceded_by) {
        snprintf(why, why_size, "count_distinct and preceded_by cannot be combined; accepted: "
                 "one of them");
        return NLOG_ECONFIG;
    }
    if (r->threshold < 1 || r->threshold > THRESHOLD_MAX) {
        snprintf(why, why_size, "threshold: %d is out of range; accepted: 1 to %d", r->threshold,
                 THRESHOLD_MAX);
        return NLOG_ECONFIG;
    }
    if (r->window < 1 || r->window > WINDOW_MAX || r->cooldown < 0 || r->cooldown > WINDOW_MAX) {
        snprintf(why, why_size, "window/cooldown: out of range; accepted: window 1 s to 30 days, "
                 "cooldown 0 to 30 days");
        return NLOG_ECONFIG;
    }
    if (r->emit != NLOG_SEC_BRUTE_FORCE_DETECTED && r->emit != NLOG_SEC_SUSPICIOUS_ACTIVITY) {
        snprintf(why, why_size, "emit: %d is not valid; accepted: BRUTE_FORCE_DETECTED or "
                 "SUSPICIOUS_ACTIVITY", r->emit);
        return NLOG_ECONFIG;
    }
    if (r->severity < NLOG_SEC_SEVERITY_LOW || r->severity > NLOG_SEC_SEVERITY_CRITICAL) {
        snprintf(why, why_size, "severity: %d is not valid; accepted: LOW, MEDIUM, HIGH, CRITICAL",
                 r->severity);
        return NLOG_ECONFIG;
    }
    return NLOG_OK;
}

static void unset_rules(void *m)
{
    nlog_security_rules *r = m;
    memset(r, 0, sizeof *r);
    r->n = NLOG_UNSET;
}

static int rules_is_set(const void *m)
{
    return ((const nlog_security_rules *) m)->n != NLOG_UNSET;
}

static nlog_status check_rules(const void *m, char *why, size_t why_size)
{
    const nlog_security_rules *rs = m;
    char inner[NLOG__CFG_WHY_MAX];
    if (rs->n < 0 || rs->n > NLOG_SECURITY_RULES_MAX) {
        snprintf(why, why_size, "n is %d; accepted: 0 to %d rules", rs->n, NLOG_SECURITY_RULES_MAX);
        return NLOG_ECONFIG;
    }
    for (int i = 0; i < rs->n; i++) {
        if (nlog__sec_rule_check(&rs->rule[i], inner, sizeof inner) != NLOG_OK) {
            snprintf(why, why_size, "rule %d: %s", i + 1, inner);
            return NLOG_ECONFIG;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(rs->rule[j].name, rs->rule[i].name) == 0) {
                snprintf(why, why_size, "rule %d: name '%s' is the name of rule %d too", i + 1,
                         rs->rule[i].name, j + 1);
                return NLOG_ECONFIG;
            }
        for (size_t b = 0; nlog__sec_builtin_rule_names[b]; b++)
            if (strcmp(rs->rule[i].name, nlog__sec_builtin_rule_names[b]) == 0) {
                snprintf(why, why_size, "rule %d: '%s' is the name of a built-in detector",
                         i + 1, rs->rule[i].name);
                return NLOG_ECONFIG;
            }
    }
    return NLOG_OK;
}

/* ---- rendering: flow YAML that reads back to the same struct -------------- */

typedef struct out {
    char *buf;
    size_t size, used;
    int full;
} out;

static void put(out *o, const char *s, size_t n)
{
    if (o->full || o->used + n + 1 > o->size) {
        o->full = 1;
        return;
    }
    memcpy(o->buf + o->used, s, n);
    o->used += n;
    o->buf[o->used] = '\0';
}

static void puts_(out *o, const char *s)
{
    put(o, s, strlen(s));
}

/* A double-quoted YAML string. Every character outside printable ASCII is
 * escaped by code point: YAML folds some raw ones (NEL, U+2028) inside
 * quotes, and \xNN would mean U+00NN, not a byte. */
static void put_quoted(out *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char e[16];
    put(o, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char) s[i];
        if (c == '"' || c == '\\') {
            e[0] = '\\';
            e[1] = (char) c;
            put(o, e, 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            e[0] = '\\';
            e[1] = 'x';
            e[2] = hex[c >> 4];
            e[3] = hex[c & 15];
            put(o, e, 4);
            i++;
        } else if (c < 0x80) {
            put(o, (const char *) &c, 1);
            i++;
        } else {
            uint32_t cp;
            size_t k = nlog__utf8_next((const unsigned char *) s + i, n - i, &cp);
            if (cp == NLOG__UTF8_BAD) {
                put(o, s + i, k); /* cannot come from a file; kept as it is */
            } else {
                int w = snprintf(e, sizeof e, cp > 0xffff ? "\\U%08x" : "\\u%04x",
                                 (unsigned) cp);
                put(o, e, (size_t) w);
            }
            i += k;
        }
    }
    put(o, "\"", 1);
}

/* A name, quoted when YAML would read it plain as something else (a null
 * word; a leading '-' or '.'), so that the text reads back the same. */
static void put_name(out *o, const char *s)
{
    int quote = strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0 ||
                s[0] == '-' || s[0] == '.' || s[0] == '\0';
    if (quote)
        put_quoted(o, s, strlen(s));
    else
        puts_(o, s);
}

static void put_names(out *o, const char *key, char (*names)[NLOG_SECURITY_NAME_MAX], int n)
{
    if (n <= 0)
        return;
    puts_(o, ", ");
    puts_(o, key);
    puts_(o, ": [");
    for (int i = 0; i < n; i++) {
        if (i)
            puts_(o, ", ");
        put_name(o, names[i]);
    }
    puts_(o, "]");
}

static void render_rules(const void *m, char *buf, size_t size)
{
    const nlog_security_rules *rs = m;
    out o = {buf, size, 0, 0};
    char num[64];
    if (!size)
        return;
    buf[0] = '\0';
    if (rs->n <= 0)
        return;
    puts_(&o, "[");
    for (int i = 0; i < rs->n && i < NLOG_SECURITY_RULES_MAX; i++) {
        nlog_security_rule r = rs->rule[i];
        if (i)
            puts_(&o, ", ");
        puts_(&o, "{name: ");
        put_name(&o, r.name);
        put_names(&o, "event_type", r.event_types, r.n_event_types);
        if (r.n_match > 0) {
            puts_(&o, ", match: {");
            for (int j = 0; j < r.n_match; j++) {
                char v[NLOG_SECURITY_MATCH_VALUE_MAX + 1];
                size_t len = strnlen(r.match[j].value, NLOG_SECURITY_MATCH_VALUE_MAX - 1);
                memcpy(v, r.match[j].value, len);
                if (r.match[j].prefix)
                    v[len++] = '*';
                if (j)
                    puts_(&o, ", ");
                put_name(&o, r.match[j].field);
                puts_(&o, ": ");
                put_quoted(&o, v, len);
            }
            puts_(&o, "}");
        }
        if (r.pattern[0]) {
            puts_(&o, ", pattern: ");
            put_quoted(&o, r.pattern, strnlen(r.pattern, sizeof r.pattern));
        }
        put_names(&o, "fields", r.fields, r.n_fields);
        puts_(&o, ", group_by: ");
        put_name(&o, r.group_by);
        if (r.count_distinct[0]) {
            puts_(&o, ", count_distinct: ");
            put_name(&o, r.count_distinct);
        }
        put_names(&o, "preceded_by", r.preceded_by, r.n_preceded_by);
        snprintf(num, sizeof num, ", threshold: %d, window: %d, cooldown: %d", r.threshold,
                 r.window, r.cooldown);
        puts_(&o, num);
        puts_(&o, ", emit: ");
        puts_(&o, nlog_security_event_type_name((nlog_security_event_type) r.emit)
                      ? nlog_security_event_type_name((nlog_security_event_type) r.emit)
                      : "SUSPICIOUS_ACTIVITY");
        puts_(&o, ", severity: ");
        puts_(&o, nlog_security_severity_name((nlog_security_severity) r.severity)
                      ? nlog_security_severity_name((nlog_security_severity) r.severity)
                      : "HIGH");
        puts_(&o, "}");
    }
    puts_(&o, "]");
    if (o.full && size > 4) /* shown cut; never read back in this form */
        snprintf(buf + (size > 64 ? size - 64 : 0), size > 64 ? 64 : size,
                 "... (%d rules)", rs->n);
}

const nlog__cfg_custom nlog__sec_cfg_rules = {
    .accepted = "a sequence of at most 16 rules, each a mapping with name, group_by and "
                "optionally event_type, match, pattern, fields, count_distinct, preceded_by, "
                "threshold, window, cooldown, emit, severity (docs/configuration.md, "
                "\"Custom rules\")",
    .unset = unset_rules,
    .is_set = rules_is_set,
    .parse = parse_rules,
    .check = check_rules,
    .render = render_rules,
};
