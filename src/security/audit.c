/* audit.c: audit records, and the audit trail the library keeps of itself.
 *
 * An audit record is an AUDIT record, category "audit", logger "audit",
 * whose context always holds the six things PCI DSS 10.2.2 asks of an audit
 * trail entry: user_id (who), event_type (what kind of event), outcome
 * (success or failure), origin (where from), resource (what was affected) —
 * and the record's timestamp (when). action carries what was done. A missing
 * required value is written as "unknown" rather than dropping the record.
 *
 * The library audits its own configuration: the first configuration
 * (logging.start), every later one (config.change, with the keys that
 * changed), a refused one (config.change, failure), level changes
 * (level.change) and nlog_shutdown() (logging.stop). A change that turns
 * the audit trail off (audit_enabled, or audit_lifecycle) is recorded
 * (audit.disable) before it takes effect, through the outputs it is about
 * to close: turning auditing off is never itself unaudited (PCI DSS 10.2.6,
 * "stopping or pausing of the audit logs"). Those are written with
 * the registry's logger directly, because they happen while the library is
 * being configured (nlog_get_logger() would try to initialise it again).
 * Values are not written, only key names: a configuration may hold
 * addresses and keys that do not belong in a log.
 * Tested by: tests/unit/security/test_security_audit.c */
#include <stdio.h>
#include <string.h>

#include "config/config_internal.h"
#include "core/core.h"
#include "internal/diag.h"
#include "platform/platform.h"
#include "security/sec_internal.h"

static nlog_status write_entry(nlog_logger *lg, const nlog_audit_entry *in)
{
    nlog_audit_entry e = *in;
    char origin[512], msg[600];
    nlog_status st = NLOG_OK;
    if (in->struct_size && in->struct_size < sizeof e)
        memset((char *) &e + in->struct_size, 0, sizeof e - in->struct_size);
    const char *missing = !e.actor || !*e.actor     ? "actor"
                          : !e.action || !*e.action ? "action"
                          : !e.resource || !*e.resource ? "resource"
                                                        : NULL;
    if (missing) {
        nlog__set_errmsg("audit record without %s: written with %s 'unknown'; accepted: a "
                         "non-empty actor, action and resource",
                         missing, missing);
        st = NLOG_EINVAL;
    }
    if (!e.actor || !*e.actor)
        e.actor = "unknown";
    if (!e.action || !*e.action)
        e.action = "unknown";
    if (!e.resource || !*e.resource)
        e.resource = "unknown";
    if (!e.origin || !*e.origin) {
        nlog__process_origin(origin, sizeof origin);
        e.origin = origin;
    }
    if (!e.event_type || !*e.event_type)
        e.event_type = e.action;
    const char *outcome = nlog_outcome_name(e.outcome) ? nlog_outcome_name(e.outcome) : "unknown";
    snprintf(msg, sizeof msg, "%.200s %.200s: %s", e.action, e.resource, outcome);

    nlog_field f[8 + NLOG_SECURITY_DETAILS_MAX];
    size_t n = 0;
    f[n++] = nlog_field_category(NLOG_CAT_AUDIT);
    f[n++] = nlog_field_str(NLOG_GROUP_CONTEXT, "event_type", e.event_type);
    f[n++] = nlog_field_str(NLOG_GROUP_CONTEXT, "user_id", e.actor);
    f[n++] = nlog_field_str(NLOG_GROUP_CONTEXT, "action", e.action);
    f[n++] = nlog_field_str(NLOG_GROUP_CONTEXT, "resource", e.resource);
    f[n++] = nlog_field_str(NLOG_GROUP_CONTEXT, "outcome", outcome);
    f[n++] = nlog_field_str(NLOG_GROUP_CONTEXT, "origin", e.origin);
    size_t nd = e.details ? e.n_details : 0;
    if (nd > NLOG_SECURITY_DETAILS_MAX) {
        NLOG__COUNT(fields_ignored, nd - NLOG_SECURITY_DETAILS_MAX);
        nd = NLOG_SECURITY_DETAILS_MAX;
    }
    for (size_t i = 0; i < nd; i++) {
        if (!e.details[i].key || e.details[i].group == NLOG_GROUP_CATEGORY)
            continue;
        f[n] = e.details[i];
        f[n].group = NLOG_GROUP_METADATA;
        n++;
    }
    nlog_status lst = nlog__log_at(lg, NLOG_LEVEL_AUDIT, NULL, msg, f, n, e.timestamp_ns);
    return lst != NLOG_OK ? lst : st;
}

nlog_status nlog_audit_log(const nlog_audit_entry *entry)
{
    nlog__clear_errmsg();
    if (!entry) {
        nlog__set_errmsg("nlog_audit_log: the entry is NULL");
        return NLOG_EINVAL;
    }
    return write_entry(nlog_get_logger("audit"), entry);
}

nlog_status nlog_audit(const char *actor, const char *action, const char *resource,
                       nlog_outcome outcome, const nlog_field *details, size_t n_details)
{
    nlog_audit_entry e = {
        .actor = actor,
        .action = action,
        .resource = resource,
        .outcome = outcome,
        .details = details,
        .n_details = n_details,
    };
    return nlog_audit_log(&e);
}

/* ---- the library's own trail ------------------------------------------------ */

static int lifecycle_on = 1; /* atomic: audit_lifecycle in force */

void nlog__audit_configure(const nlog_config *cfg)
{
    __atomic_store_n(&lifecycle_on, cfg->audit_lifecycle > 0, __ATOMIC_RELAXED);
}

/* Comma-separated names of the keys whose values differ. */
static void changed_keys(const nlog_config *a, const nlog_config *b, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < nlog__cfg_n_keys; i++) {
        const nlog__cfg_key *k = &nlog__cfg_keys[i];
        int differ;
        if (k->type == NLOG__CFG_LEVELS) {
            differ = a->n_loggers != b->n_loggers ||
                     memcmp(a->loggers, b->loggers, a->n_loggers * sizeof a->loggers[0]) != 0;
        } else {
            differ = memcmp((const char *) a + k->offset, (const char *) b + k->offset, k->size) != 0;
        }
        if (!differ)
            continue;
        int n = snprintf(buf + o, size - o, "%s%s", o ? "," : "", k->name);
        if (n < 0 || (size_t) n >= size - o) {
            if (size > 4)
                memcpy(buf + size - 4, "...", 4);
            return;
        }
        o += (size_t) n;
    }
}

void nlog__audit_config(nlog__audit_kind kind, const nlog_config *before,
                        const nlog_config *after, const char *how, const char *why)
{
    char user[256], changed[1024];
    (void) why; /* messages may quote values; only the outcome is kept */
    if (after ? after->audit_lifecycle <= 0 : !__atomic_load_n(&lifecycle_on, __ATOMIC_RELAXED))
        return;
    nlog__process_user(user, sizeof user);
    nlog_field f[6];
    size_t n = 0;
    nlog_audit_entry e = {
        .actor = user,
        .resource = "nlog.configuration",
        .outcome = kind == NLOG__AUDIT_REJECTED ? NLOG_OUTCOME_FAILURE : NLOG_OUTCOME_SUCCESS,
        .details = f,
    };
    f[n++] = nlog_field_str(NLOG_GROUP_METADATA, "via", how ? how : "");
    switch (kind) {
    case NLOG__AUDIT_START:
        e.action = "logging.start";
        e.event_type = "LOGGING_START";
        break;
    case NLOG__AUDIT_RECONFIGURE:
    case NLOG__AUDIT_REJECTED:
        e.action = "config.change";
        e.event_type = "CONFIG_CHANGE";
        break;
    case NLOG__AUDIT_STOP:
        e.action = "logging.stop";
        e.event_type = "LOGGING_STOP";
        break;
    }
    if (after) {
        f[n++] = nlog_field_str(NLOG_GROUP_METADATA, "profile",
                                after->profile[0] ? after->profile : "none");
        f[n++] = nlog_field_str(NLOG_GROUP_METADATA, "config_file",
                                after->config_file[0] ? after->config_file : "none");
        f[n++] = nlog_field_str(NLOG_GROUP_METADATA, "level",
                                nlog_level_name(after->level) ? nlog_level_name(after->level) : "");
    }
    if (kind == NLOG__AUDIT_RECONFIGURE && before && after) {
        changed_keys(before, after, changed, sizeof changed);
        f[n++] = nlog_field_str(NLOG_GROUP_METADATA, "changed_keys", changed);
    }
    e.n_details = n;
    /* The registry's logger: this runs while the library is configured. */
    (void) write_entry(nlog__registry_get("audit"), &e);
}

int nlog__audit_turns_off(const nlog_config *before, const nlog_config *after)
{
    if (!before || !after || !before->audit_enabled)
        return 0; /* there was no audit trail to switch off */
    return !after->audit_enabled || (before->audit_lifecycle > 0 && after->audit_lifecycle <= 0);
}

void nlog__audit_disabling(const nlog_config *before, const nlog_config *after, const char *how)
{
    char user[256], changed[1024];
    nlog__process_user(user, sizeof user);
    changed_keys(before, after, changed, sizeof changed);
    nlog_field f[4];
    size_t n = 0;
    f[n++] = nlog_field_str(NLOG_GROUP_METADATA, "via", how ? how : "");
    f[n++] = nlog_field_str(NLOG_GROUP_METADATA, "changed_keys", changed);
    /* what stops being recorded: the whole trail, or the library's own entries */
    f[n++] = nlog_field_str(NLOG_GROUP_METADATA, "audit",
                            !after->audit_enabled ? "audit_enabled: false"
                                                  : "audit_lifecycle: false");
    nlog_audit_entry e = {
        .actor = user,
        .action = "audit.disable",
        .event_type = "CONFIG_CHANGE",
        .resource = "nlog.configuration",
        .outcome = NLOG_OUTCOME_SUCCESS,
        .details = f,
        .n_details = n,
    };
    /* Written while the old configuration is still in force: its audit file
     * and its audit_sync. */
    (void) write_entry(nlog__registry_get("audit"), &e);
}

void nlog__audit_level(const char *name, nlog_level level, nlog_status st)
{
    char user[256], resource[NLOG_LOGGER_NAME_MAX + 16];
    if (!__atomic_load_n(&lifecycle_on, __ATOMIC_RELAXED))
        return;
    nlog__process_user(user, sizeof user);
    snprintf(resource, sizeof resource, "logger:%s", name ? name : "*");
    nlog_field f[1] = {nlog_field_str(NLOG_GROUP_METADATA, "level",
                                      level == NLOG_LEVEL_INVALID ? "inherit"
                                      : nlog_level_name(level)  ? nlog_level_name(level)
                                                                : "invalid")};
    nlog_audit_entry e = {
        .actor = user,
        .action = "level.change",
        .event_type = "CONFIG_CHANGE",
        .resource = resource,
        .outcome = st == NLOG_OK ? NLOG_OUTCOME_SUCCESS : NLOG_OUTCOME_FAILURE,
        .details = f,
        .n_details = 1,
    };
    (void) write_entry(nlog__registry_get("audit"), &e);
}
