/* emit.c: see emit.h. Numbers in messages are formatted by the library's
 * own locale-independent formatter (format/numfmt.h), so a program that set
 * a locale with a decimal comma still gets "0.045". */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "format/numfmt.h"
#include "perf/emit.h"

static size_t num(char *buf, double v)
{
    size_t n = nlog__fmt_double(buf, v);
    buf[n] = '\0';
    return n;
}

/* The tags as context fields, appended to f. */
static size_t add_tags(nlog_field *f, size_t n, const nlog_tag *tags, size_t n_tags)
{
    for (size_t i = 0; i < n_tags; i++)
        f[n++] = nlog_field_str(NLOG_GROUP_CONTEXT, tags[i].key, tags[i].value);
    return n;
}

nlog_status nlog__perf_emit_sample(nlog_logger *lg, nlog_level level, const nlog__series *s,
                                   double value)
{
    const nlog__family *fam = s->fam;
    char v[NLOG__DOUBLE_MAX + 1], msg[NLOG_PERF_NAME_MAX + NLOG_PERF_UNIT_MAX + 64];
    if (fam->kind == NLOG_METRIC_TIMER) {
        num(v, value * 1000.0);
        snprintf(msg, sizeof msg, "%s took %s ms", fam->name, v);
    } else {
        num(v, value);
        snprintf(msg, sizeof msg, "%s %s %s%s%s", fam->name,
                 fam->kind == NLOG_METRIC_COUNTER ? "+=" : "=", v, fam->unit[0] ? " " : "",
                 fam->unit);
    }
    nlog_field f[4 + NLOG_PERF_TAGS_MAX];
    size_t n = 0;
    f[n++] = nlog_field_category(NLOG_CAT_PERFORMANCE);
    n = add_tags(f, n, s->tags, s->n_tags);
    f[n++] = nlog_field_str(NLOG_GROUP_METADATA, "metric", fam->name);
    f[n++] = nlog_field_str(NLOG_GROUP_METADATA, "type", nlog__kind_name(fam->kind));
    if (fam->unit[0])
        f[n++] = nlog_field_str(NLOG_GROUP_METADATA, "unit", fam->unit);
    f[n++] = nlog_field_double(NLOG_GROUP_PERFORMANCE, fam->name, value);
    return nlog_log(lg, level, NULL, msg, f, n);
}

nlog_status nlog__perf_emit_alert(nlog_logger *lg, const nlog__alert_ev *ev)
{
    const nlog__alert *a = ev->alert;
    const nlog__family *fam = ev->series->fam;
    int firing = ev->state == NLOG_ALERT_FIRING;
    nlog_level level = firing ? NLOG_LEVEL_WARNING : NLOG_LEVEL_INFO;
    if (!nlog_is_enabled(lg, level))
        return NLOG_EINVAL; /* filtered: not counted as a record */
    char v[NLOG__DOUBLE_MAX + 1], t[NLOG__DOUBLE_MAX + 1], held[NLOG__DOUBLE_MAX + 1];
    char msg[2 * NLOG_PERF_NAME_MAX + 160];
    num(v, ev->value);
    num(t, a->threshold);
    num(held, (double) (ev->t_ns - ev->since_ns) / 1e9);
    if (firing)
        snprintf(msg, sizeof msg, "alert '%s' firing: %s = %s%s%s (%s %s) for %s s", a->name,
                 fam->name, v, fam->unit[0] ? " " : "", fam->unit, nlog_compare_name(a->cmp), t,
                 held);
    else
        snprintf(msg, sizeof msg, "alert '%s' resolved: %s = %s%s%s after %s s", a->name,
                 fam->name, v, fam->unit[0] ? " " : "", fam->unit, held);
    nlog_field f[10 + NLOG_PERF_TAGS_MAX];
    size_t n = 0;
    f[n++] = nlog_field_category(NLOG_CAT_PERFORMANCE);
    n = add_tags(f, n, ev->series->tags, ev->series->n_tags);
    f[n++] = nlog_field_str(NLOG_GROUP_METADATA, "alert", a->name);
    f[n++] = nlog_field_uint(NLOG_GROUP_METADATA, "alert_id", a->id);
    f[n++] = nlog_field_str(NLOG_GROUP_METADATA, "state", firing ? "firing" : "resolved");
    f[n++] = nlog_field_str(NLOG_GROUP_METADATA, "metric", fam->name);
    f[n++] = nlog_field_str(NLOG_GROUP_METADATA, "comparison", nlog_compare_name(a->cmp));
    f[n++] = nlog_field_double(NLOG_GROUP_METADATA, "threshold", a->threshold);
    f[n++] = nlog_field_double(NLOG_GROUP_METADATA, "duration_seconds",
                               (double) a->duration_ns / 1e9);
    f[n++] = nlog_field_double(NLOG_GROUP_METADATA, "held_seconds",
                               (double) (ev->t_ns - ev->since_ns) / 1e9);
    f[n++] = nlog_field_double(NLOG_GROUP_PERFORMANCE, fam->name, ev->value);
    return nlog_log(lg, level, NULL, msg, f, n);
}

/* Logs the values of `group` (of one device or interface when tag is set). */
static int emit_group(nlog_logger *lg, const nlog__sysm_out *out, int group, const char *tag_key,
                      const char *tag_value, const char *msg)
{
    nlog_field f[NLOG_FIELDS_MAX];
    size_t n = 0;
    f[n++] = nlog_field_category(NLOG_CAT_PERFORMANCE);
    if (tag_key)
        f[n++] = nlog_field_str(NLOG_GROUP_CONTEXT, tag_key, tag_value);
    for (size_t i = 0; i < out->n && n < NLOG_FIELDS_MAX; i++) {
        const nlog__sysval *v = &out->v[i];
        if (v->group != group || (tag_key && strcmp(v->tag_value, tag_value) != 0))
            continue;
        f[n++] = nlog_field_double(NLOG_GROUP_PERFORMANCE, v->name, v->value);
    }
    if (n <= (size_t) (tag_key ? 2 : 1))
        return 0;
    return nlog_log(lg, NLOG_LEVEL_INFO, NULL, msg, f, n) == NLOG_OK;
}

uint64_t nlog__perf_emit_system(nlog_logger *lg, const nlog__sysm_out *out)
{
    if (!nlog_is_enabled(lg, NLOG_LEVEL_INFO))
        return 0;
    uint64_t n = (uint64_t) emit_group(lg, out, NLOG__SYS_MACHINE, NULL, NULL, "system metrics");
    for (size_t i = 0; i < out->n; i++) {
        const nlog__sysval *v = &out->v[i];
        if (v->group == NLOG__SYS_MACHINE)
            continue;
        int first = 1; /* one record per device / interface: at its first value */
        for (size_t j = 0; j < i && first; j++)
            first = !(out->v[j].group == v->group && strcmp(out->v[j].tag_value, v->tag_value) == 0);
        if (first)
            n += (uint64_t) emit_group(lg, out, v->group, v->tag_key, v->tag_value,
                                       v->group == NLOG__SYS_DISK ? "disk I/O" : "network I/O");
    }
    return n;
}
