/* event.c: security events as records, and the names of types, severities
 * and outcomes.
 *
 * An event becomes one SECURITY record, category "security", with the schema
 * of docs/internals/security.md: context holds event_type, severity,
 * outcome, then user_id, ip_address, session_id, resource and action when
 * given (and, for detections, "detector"); metadata holds the details. The
 * record's timestamp is the event's. The fields are built on the stack
 * (NLOG_SECURITY_DETAILS_MAX bounds them), so logging an event allocates
 * nothing beyond what any record does.
 * Tested by: tests/unit/security/test_security_events.c */
#include <string.h>

#include "core/core.h"
#include "format/timefmt.h"
#include "internal/ascii.h"
#include "internal/diag.h"
#include "platform/platform.h"
#include "security/sec_internal.h"

static const char *const type_names[NLOG_SEC_EVENT_TYPE_COUNT] = {
    [NLOG_SEC_LOGIN_SUCCESS] = "LOGIN_SUCCESS",
    [NLOG_SEC_LOGIN_FAILURE] = "LOGIN_FAILURE",
    [NLOG_SEC_LOGOUT] = "LOGOUT",
    [NLOG_SEC_PASSWORD_CHANGE] = "PASSWORD_CHANGE",
    [NLOG_SEC_PERMISSION_DENIED] = "PERMISSION_DENIED",
    [NLOG_SEC_ACCESS_VIOLATION] = "ACCESS_VIOLATION",
    [NLOG_SEC_PRIVILEGE_ESCALATION] = "PRIVILEGE_ESCALATION",
    [NLOG_SEC_SUSPICIOUS_ACTIVITY] = "SUSPICIOUS_ACTIVITY",
    [NLOG_SEC_BRUTE_FORCE_DETECTED] = "BRUTE_FORCE_DETECTED",
    [NLOG_SEC_DATA_ACCESS] = "DATA_ACCESS",
    [NLOG_SEC_DATA_MODIFICATION] = "DATA_MODIFICATION",
    [NLOG_SEC_DATA_EXPORT] = "DATA_EXPORT",
    [NLOG_SEC_CONFIG_CHANGE] = "CONFIG_CHANGE",
    [NLOG_SEC_MALWARE_DETECTED] = "MALWARE_DETECTED",
    [NLOG_SEC_ACCOUNT_LOCKED] = "ACCOUNT_LOCKED",
    [NLOG_SEC_CUSTOM] = "CUSTOM",
};

static const char *const severity_names[NLOG_SEC_SEVERITY_COUNT] = {
    NULL, "LOW", "MEDIUM", "HIGH", "CRITICAL"};

const char *const nlog__sec_field_names[NLOG__SF_COUNT] = {
    "event_type", "severity", "outcome", "user_id", "ip_address", "session_id", "resource",
    "action"};

const char *nlog_security_event_type_name(nlog_security_event_type type)
{
    if ((int) type <= 0 || type >= NLOG_SEC_EVENT_TYPE_COUNT)
        return NULL;
    return type_names[type];
}

const char *nlog_security_severity_name(nlog_security_severity severity)
{
    if ((int) severity <= 0 || severity >= NLOG_SEC_SEVERITY_COUNT)
        return NULL;
    return severity_names[severity];
}

const char *nlog_outcome_name(nlog_outcome outcome)
{
    switch (outcome) {
    case NLOG_OUTCOME_UNKNOWN: return "unknown";
    case NLOG_OUTCOME_SUCCESS: return "success";
    case NLOG_OUTCOME_FAILURE: return "failure";
    }
    return NULL;
}

nlog_status nlog_security_event_type_parse(const char *name, nlog_security_event_type *ret)
{
    if (!name || !ret || !nlog__sec_valid_type_name(name, strlen(name)))
        return NLOG_EINVAL;
    for (int t = 1; t < NLOG_SEC_EVENT_TYPE_COUNT; t++)
        if (t != NLOG_SEC_CUSTOM && strcmp(type_names[t], name) == 0) {
            *ret = (nlog_security_event_type) t;
            return NLOG_OK;
        }
    *ret = NLOG_SEC_CUSTOM;
    return NLOG_OK;
}

nlog_status nlog_security_severity_parse(const char *name, nlog_security_severity *ret)
{
    if (!name || !ret)
        return NLOG_EINVAL;
    for (int s = 1; s < NLOG_SEC_SEVERITY_COUNT; s++)
        if (nlog__ascii_caseeq(name, severity_names[s])) {
            *ret = (nlog_security_severity) s;
            return NLOG_OK;
        }
    return NLOG_EINVAL;
}

int nlog__sec_field_find(const char *name)
{
    for (int i = 0; i < NLOG__SF_COUNT; i++)
        if (strcmp(nlog__sec_field_names[i], name) == 0)
            return i;
    return -1;
}

nlog_security_severity nlog__sec_default_severity(nlog_security_event_type type)
{
    switch (type) {
    case NLOG_SEC_LOGIN_SUCCESS:
    case NLOG_SEC_LOGOUT:
    case NLOG_SEC_DATA_ACCESS:
        return NLOG_SEC_SEVERITY_LOW;
    case NLOG_SEC_PRIVILEGE_ESCALATION:
    case NLOG_SEC_SUSPICIOUS_ACTIVITY:
    case NLOG_SEC_BRUTE_FORCE_DETECTED:
    case NLOG_SEC_ACCESS_VIOLATION:
    case NLOG_SEC_ACCOUNT_LOCKED:
        return NLOG_SEC_SEVERITY_HIGH;
    case NLOG_SEC_MALWARE_DETECTED:
        return NLOG_SEC_SEVERITY_CRITICAL;
    default:
        return NLOG_SEC_SEVERITY_MEDIUM;
    }
}

nlog_outcome nlog__sec_implied_outcome(nlog_security_event_type type)
{
    switch (type) {
    case NLOG_SEC_LOGIN_SUCCESS:
    case NLOG_SEC_LOGOUT:
    case NLOG_SEC_PASSWORD_CHANGE:
    case NLOG_SEC_DATA_ACCESS:
    case NLOG_SEC_DATA_MODIFICATION:
    case NLOG_SEC_DATA_EXPORT:
    case NLOG_SEC_CONFIG_CHANGE:
    case NLOG_SEC_PRIVILEGE_ESCALATION:
        return NLOG_OUTCOME_SUCCESS;
    case NLOG_SEC_LOGIN_FAILURE:
    case NLOG_SEC_PERMISSION_DENIED:
    case NLOG_SEC_ACCESS_VIOLATION:
        return NLOG_OUTCOME_FAILURE;
    default:
        return NLOG_OUTCOME_UNKNOWN;
    }
}

nlog_logger *nlog_get_security_logger(void)
{
    return nlog_get_logger("security");
}

nlog_status nlog__sec_log_event(nlog_logger *lg, const nlog_security_event *ev, int64_t time_ns,
                                const nlog_field *extra_ctx, size_t n_extra)
{
    nlog_field f[1 + NLOG__SF_COUNT + 4 + NLOG_SECURITY_DETAILS_MAX];
    size_t n = 0;
    nlog_status st = NLOG_OK;
    const char *type = nlog_security_event_type_name(ev->type);
    if (ev->type == NLOG_SEC_CUSTOM && ev->custom_type &&
        nlog__sec_valid_type_name(ev->custom_type, strlen(ev->custom_type)))
        type = ev->custom_type;
    else if (ev->type == NLOG_SEC_CUSTOM || !type) {
        nlog__set_errmsg("security event: %s; accepted: an nlog_security_event_type, and with "
                         "NLOG_SEC_CUSTOM a custom_type of 1 to %d characters from A-Z 0-9 _",
                         type ? "custom_type is missing or not [A-Z0-9_]{1,47}"
                              : "type is not an nlog_security_event_type",
                         NLOG_SECURITY_TYPE_NAME_MAX);
        st = NLOG_EINVAL;
        type = "CUSTOM";
    }
    nlog_security_event_type t = ev->type;
    nlog_security_severity sev = ev->severity;
    if (!nlog_security_severity_name(sev))
        sev = nlog__sec_default_severity(t);
    nlog_outcome out = ev->outcome;
    if (out == NLOG_OUTCOME_UNKNOWN || !nlog_outcome_name(out))
        out = nlog__sec_implied_outcome(t);

    f[n++] = nlog_field_category(NLOG_CAT_SECURITY);
    f[n++] = nlog_field_str(NLOG_GROUP_CONTEXT, "event_type", type);
    f[n++] = nlog_field_str(NLOG_GROUP_CONTEXT, "severity", nlog_security_severity_name(sev));
    f[n++] = nlog_field_str(NLOG_GROUP_CONTEXT, "outcome", nlog_outcome_name(out));
    const char *v[5] = {ev->user_id, ev->ip_address, ev->session_id, ev->resource, ev->action};
    for (int i = 0; i < 5; i++)
        if (v[i])
            f[n++] = nlog_field_str(NLOG_GROUP_CONTEXT, nlog__sec_field_names[NLOG__SF_USER_ID + i],
                                    v[i]);
    for (size_t i = 0; i < n_extra && i < 4; i++)
        f[n++] = extra_ctx[i];
    size_t nd = ev->details ? ev->n_details : 0;
    if (nd > NLOG_SECURITY_DETAILS_MAX) {
        NLOG__COUNT(fields_ignored, nd - NLOG_SECURITY_DETAILS_MAX);
        nd = NLOG_SECURITY_DETAILS_MAX;
    }
    for (size_t i = 0; i < nd; i++) {
        if (ev->details[i].group == NLOG_GROUP_CATEGORY || !ev->details[i].key)
            continue; /* the category is the schema's */
        f[n] = ev->details[i];
        f[n].group = NLOG_GROUP_METADATA;
        n++;
    }
    const char *msg = ev->message ? ev->message : type;
    nlog_status lst = nlog__log_at(lg, NLOG_LEVEL_SECURITY, NULL, msg, f, n, time_ns);
    return lst != NLOG_OK ? lst : st;
}

nlog_status nlog_timestamp_parse(const char *s, size_t len, int64_t *ret_ns)
{
    /* YYYY-MM-DDTHH:MM:SS[.f{0,9}]Z, UTC */
    int64_t v[6] = {0};
    static const unsigned width[6] = {4, 2, 2, 2, 2, 2};
    static const char sep[6] = {'-', '-', 'T', ':', ':', 0};
    size_t i = 0;
    if (!s || !ret_ns)
        return NLOG_EINVAL;
    for (int k = 0; k < 6; k++) {
        for (unsigned w = 0; w < width[k]; w++, i++) {
            if (i >= len || s[i] < '0' || s[i] > '9')
                return NLOG_EINVAL;
            v[k] = v[k] * 10 + (s[i] - '0');
        }
        if (sep[k]) {
            if (i >= len || s[i] != sep[k])
                return NLOG_EINVAL;
            i++;
        }
    }
    int64_t frac = 0;
    unsigned digits = 0;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 9) {
            frac = frac * 10 + (s[i] - '0');
            digits++;
            i++;
        }
        if (digits == 0)
            return NLOG_EINVAL;
    }
    if (i + 1 != len || s[i] != 'Z')
        return NLOG_EINVAL;
    while (digits < 9) {
        frac *= 10;
        digits++;
    }
    int64_t y = v[0], m = v[1], d = v[2];
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap) || v[3] > 23 ||
        v[4] > 59 || v[5] > 60)
        return NLOG_EINVAL;
    /* days from civil (proleptic Gregorian), Howard Hinnant's algorithm */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    int64_t secs = days * 86400 + v[3] * 3600 + v[4] * 60 + v[5];
    if (secs > INT64_MAX / 1000000000 - 1 || secs < INT64_MIN / 1000000000 + 1)
        return NLOG_EINVAL;
    *ret_ns = secs * 1000000000 + frac;
    return NLOG_OK;
}
