/* alert.c: nlog_perf_alert(), nlog_perf_alert_remove(), and the state
 * machine of alert.h.
 *
 * Registry: a list of live alerts and a list of removed ones (the
 * "graveyard"), both under the store lock. Dispatch: `D.inflight` is the id
 * of the alert whose event the aggregation thread is acting on (0: none),
 * under `D.lock`, which is held only to read or change it — never while a
 * callback runs — so that a removal can wait for that event (D.done) and a
 * fork() during a callback leaves the child nothing held.
 * Tested by: tests/unit/perf/test_alert.c, test_concurrency_perf.c */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "format/numfmt.h"
#include "internal/ascii.h"
#include "perf/alert.h"
#include "perf/engine.h"
#include "perf/names.h"

static nlog__alert *alerts;     /* live, newest first */
static nlog__alert *graveyard;  /* removed, freed by nlog__alerts_collect() */
static size_t n_alerts;
static uint64_t next_id = 1;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t done;   /* inflight went back to 0 */
    uint64_t inflight;     /* id of the alert being acted on, 0: none */
} D = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

static const struct {
    const char *name, *op;
} cmp_names[] = {
    {"?", "?"}, {"gt", ">"}, {"ge", ">="}, {"lt", "<"}, {"le", "<="}, {"eq", "=="}, {"ne", "!="},
};

const char *nlog_compare_name(nlog_compare cmp)
{
    unsigned c = (unsigned) cmp;
    return c < NLOG__ARRAY_SIZE(cmp_names) ? cmp_names[c].name : "?";
}

static const char *cmp_op(nlog_compare cmp)
{
    unsigned c = (unsigned) cmp;
    return c < NLOG__ARRAY_SIZE(cmp_names) ? cmp_names[c].op : "?";
}

nlog_status nlog_compare_parse(const char *text, nlog_compare *ret_cmp)
{
    if (!text || !ret_cmp)
        return NLOG_EINVAL;
    for (unsigned i = 1; i < NLOG__ARRAY_SIZE(cmp_names); i++) {
        if (nlog__ascii_caseeq(text, cmp_names[i].name) || strcmp(text, cmp_names[i].op) == 0) {
            *ret_cmp = (nlog_compare) i;
            return NLOG_OK;
        }
    }
    return NLOG_EINVAL;
}

void nlog_alert_config_init(nlog_alert_config *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->struct_size = sizeof *cfg;
    cfg->compare = NLOG_CMP_GT;
    cfg->notify = 1;
}

int nlog__alert_holds(nlog_compare cmp, double v, double t)
{
    switch (cmp) {
    case NLOG_CMP_GT: return v > t;
    case NLOG_CMP_GE: return v >= t;
    case NLOG_CMP_LT: return v < t;
    case NLOG_CMP_LE: return v <= t;
    case NLOG_CMP_EQ: return v == t;
    case NLOG_CMP_NE: return v != t;
    }
    return 0;
}

int nlog__alert_step(nlog__astate *st, const nlog__alert *a, int64_t t, double v)
{
    if (st->seen && t < st->last_ns)
        return 0; /* older than what this state has seen: it cannot move it */
    st->seen = 1;
    st->last_ns = t;
    int holds = nlog__alert_holds(a->cmp, v, a->threshold);
    switch (st->state) {
    case NLOG__ASTATE_OK:
        if (!holds)
            return 0;
        st->state = NLOG__ASTATE_PENDING;
        st->since_ns = t;
        __attribute__((fallthrough)); /* with duration 0 the first sample fires */
    case NLOG__ASTATE_PENDING:
        if (!holds) {
            st->state = NLOG__ASTATE_OK;
            return 0;
        }
        if (t - st->since_ns >= a->duration_ns &&
            (!st->fired || t - st->last_fire_ns >= a->cooldown_ns)) {
            st->state = NLOG__ASTATE_FIRING;
            st->fired = 1;
            st->last_fire_ns = t;
            return NLOG_ALERT_FIRING;
        }
        return 0;
    case NLOG__ASTATE_FIRING:
        if (holds)
            return 0;
        st->state = NLOG__ASTATE_OK;
        return NLOG_ALERT_RESOLVED;
    }
    return 0;
}

static int matches(const nlog__alert *a, const nlog__series *s)
{
    if (strcmp(a->metric, s->fam->name) != 0)
        return 0;
    for (size_t i = 0; i < a->n_tags; i++) {
        size_t j = 0;
        while (j < s->n_tags && strcmp(s->tags[j].key, a->tags[i].key) != 0)
            j++;
        if (j == s->n_tags || strcmp(s->tags[j].value, a->tags[i].value) != 0)
            return 0;
    }
    return 1;
}

static void attach(nlog__alert *a, nlog__series *s)
{
    nlog__astate *st = calloc(1, sizeof *st);
    if (!st) {
        nlog__perf_report_oom("alert state");
        return;
    }
    st->alert = a;
    st->next = s->alerts;
    s->alerts = st;
}

void nlog__alerts_attach(nlog__series *s)
{
    for (nlog__alert *a = alerts; a; a = a->next)
        if (matches(a, s))
            attach(a, s);
}

void nlog__alert_states_free(nlog__series *s)
{
    nlog__astate *st = s->alerts;
    while (st) {
        nlog__astate *next = st->next;
        free(st);
        st = next;
    }
    s->alerts = NULL;
}

static void detach(nlog__alert *a)
{
    nlog__family *f = nlog__store_family(a->metric, strlen(a->metric));
    for (nlog__series *s = f ? f->series : NULL; s; s = s->fnext) {
        for (nlog__astate **pp = &s->alerts; *pp;) {
            if ((*pp)->alert == a) {
                nlog__astate *dead = *pp;
                *pp = dead->next;
                free(dead);
            } else {
                pp = &(*pp)->next;
            }
        }
    }
}

void nlog__alerts_eval(nlog__series *s, int64_t t, double v, nlog__alert_evs *evs,
                       uint64_t *lost)
{
    for (nlog__astate *st = s->alerts; st; st = st->next) {
        int r = nlog__alert_step(st, st->alert, t, v);
        if (!r)
            continue;
        if (evs->n == evs->cap) {
            size_t nc = evs->cap ? evs->cap * 2 : 16;
            nlog__alert_ev *nv = realloc(evs->v, nc * sizeof *nv);
            if (!nv) {
                (*lost)++;
                continue;
            }
            evs->v = nv;
            evs->cap = nc;
        }
        nlog__alert_ev *e = &evs->v[evs->n++];
        e->alert = st->alert;
        e->series = s;
        e->state = (nlog_alert_state) r;
        e->value = v;
        e->t_ns = t;
        e->since_ns = st->since_ns; /* resolving leaves it at the start of the episode */
    }
}

void nlog__alert_evs_free(nlog__alert_evs *evs)
{
    free(evs->v);
    memset(evs, 0, sizeof *evs);
}

void nlog__alert_event_view(const nlog__alert_ev *ev, int64_t offset_ns, nlog_alert_event *out)
{
    const nlog__alert *a = ev->alert;
    memset(out, 0, sizeof *out);
    out->alert_id = a->id;
    out->alert_name = a->name;
    out->state = ev->state;
    out->metric = ev->series->fam->name;
    out->unit = ev->series->fam->unit;
    out->tags = ev->series->tags;
    out->n_tags = ev->series->n_tags;
    out->value = ev->value;
    out->threshold = a->threshold;
    out->compare = a->cmp;
    out->time_ns = ev->t_ns + offset_ns;
    out->since_ns = ev->since_ns + offset_ns;
    out->duration_ns = a->duration_ns;
}

int nlog__alert_begin(nlog__alert *a)
{
    pthread_mutex_lock(&D.lock);
    int alive = __atomic_load_n(&a->alive, __ATOMIC_ACQUIRE);
    if (alive)
        D.inflight = a->id;
    pthread_mutex_unlock(&D.lock);
    return alive;
}

void nlog__alert_end(nlog__alert *a)
{
    (void) a;
    pthread_mutex_lock(&D.lock);
    D.inflight = 0;
    pthread_cond_broadcast(&D.done);
    pthread_mutex_unlock(&D.lock);
}

void nlog__alert_call(const nlog_alert_event *ev, const nlog__alert *a)
{
    if (a->cb)
        a->cb(ev, a->user);
}

void nlog__alert_atfork_prepare(void)
{
    pthread_mutex_lock(&D.lock);
}

void nlog__alert_atfork_parent(void)
{
    pthread_mutex_unlock(&D.lock);
}

void nlog__alert_atfork_child(void)
{
    /* An event the parent's aggregation thread was acting on is not being
     * acted on here: nothing may wait for it. */
    D.inflight = 0;
    pthread_cond_init(&D.done, NULL);
    pthread_mutex_unlock(&D.lock);
}

static size_t text_len(const char *s, size_t max)
{
    return s ? strnlen(s, max + 1) : 0;
}

nlog_status nlog_perf_alert(const nlog_alert_config *cfg, uint64_t *ret_id)
{
    nlog__clear_errmsg();
    nlog__ensure_init();
    if (!cfg || cfg->struct_size < sizeof(nlog_alert_config)) {
        nlog__set_errmsg("nlog_perf_alert: the configuration is NULL or was not set up with "
                         "nlog_alert_config_init()");
        return NLOG_EINVAL;
    }
    nlog__perf_lens lens;
    if (!cfg->metric) {
        nlog__set_errmsg("nlog_perf_alert: no metric name given");
        return NLOG_EINVAL;
    }
    if (nlog__perf_check(cfg->metric, NULL, cfg->tags, cfg->n_tags, &lens) != NLOG_OK)
        return NLOG_EINVAL; /* the message names the problem */
    if (!isfinite(cfg->threshold)) {
        nlog__set_errmsg("alert on '%s': the threshold is not a finite number", cfg->metric);
        return NLOG_EINVAL;
    }
    if (cfg->compare < NLOG_CMP_GT || cfg->compare > NLOG_CMP_NE) {
        nlog__set_errmsg("alert on '%s': unknown comparison %d; accepted: NLOG_CMP_GT, _GE, "
                         "_LT, _LE, _EQ, _NE", cfg->metric, (int) cfg->compare);
        return NLOG_EINVAL;
    }
    if (cfg->duration_ns < 0 || cfg->cooldown_ns < 0) {
        nlog__set_errmsg("alert on '%s': duration and cooldown must not be negative",
                         cfg->metric);
        return NLOG_EINVAL;
    }
    size_t name_len = text_len(cfg->name, NLOG_PERF_NAME_MAX);
    if (name_len > NLOG_PERF_NAME_MAX) {
        nlog__set_errmsg("alert on '%s': the name is longer than %d bytes", cfg->metric,
                         NLOG_PERF_NAME_MAX);
        return NLOG_EINVAL;
    }
    for (size_t i = 0; i < name_len; i++) {
        unsigned char c = (unsigned char) cfg->name[i];
        if (c < 0x20 || c == 0x7f) {
            nlog__set_errmsg("alert on '%s': the name contains a control character",
                             cfg->metric);
            return NLOG_EINVAL;
        }
    }
    char defname[NLOG_PERF_NAME_MAX + 64];
    if (name_len == 0) {
        char num[NLOG__DOUBLE_MAX + 1];
        num[nlog__fmt_double(num, cfg->threshold)] = '\0';
        snprintf(defname, sizeof defname, "%s %s %s", cfg->metric, cmp_op(cfg->compare), num);
        name_len = strlen(defname);
    }
    size_t mem = name_len + 1 + lens.name + 1;
    for (size_t i = 0; i < cfg->n_tags; i++)
        mem += (size_t) lens.key[i] + lens.value[i] + 2;
    nlog__alert *a = calloc(1, sizeof *a + mem);
    if (!a)
        return NLOG_ENOMEM;
    char *p = a->mem;
    a->name = p;
    memcpy(p, cfg->name && cfg->name[0] ? cfg->name : defname, name_len);
    p += name_len;
    *p++ = '\0';
    a->metric = p;
    memcpy(p, cfg->metric, lens.name);
    p += lens.name;
    *p++ = '\0';
    for (size_t i = 0; i < cfg->n_tags; i++) {
        a->tags[i].key = p;
        memcpy(p, cfg->tags[i].key, lens.key[i]);
        p += lens.key[i];
        *p++ = '\0';
        a->tags[i].value = p;
        memcpy(p, cfg->tags[i].value, lens.value[i]);
        p += lens.value[i];
        *p++ = '\0';
    }
    a->n_tags = cfg->n_tags;
    a->threshold = cfg->threshold;
    a->cmp = cfg->compare;
    a->duration_ns = cfg->duration_ns;
    a->cooldown_ns = cfg->cooldown_ns;
    a->cb = cfg->callback;
    a->user = cfg->user;
    a->notify = cfg->notify != 0;
    a->alive = 1;

    nlog__store_lock();
    if (n_alerts >= NLOG_PERF_ALERTS_MAX) {
        nlog__store_unlock();
        free(a);
        nlog__set_errmsg("too many alerts (the limit is %d)", NLOG_PERF_ALERTS_MAX);
        return NLOG_ELIMIT;
    }
    a->id = next_id++;
    a->next = alerts;
    alerts = a;
    n_alerts++;
    nlog__family *f = nlog__store_family(a->metric, lens.name);
    for (nlog__series *s = f ? f->series : NULL; s; s = s->fnext)
        if (matches(a, s))
            attach(a, s);
    uint64_t id = a->id;
    nlog__store_unlock();
    if (ret_id)
        *ret_id = id;
    return NLOG_OK;
}

nlog_status nlog_perf_alert_remove(uint64_t id)
{
    nlog__store_lock();
    nlog__alert **pp = &alerts;
    while (*pp && (*pp)->id != id)
        pp = &(*pp)->next;
    nlog__alert *a = *pp;
    if (a) {
        *pp = a->next;
        n_alerts--;
        detach(a);
        __atomic_store_n(&a->alive, 0, __ATOMIC_RELEASE);
        a->next = graveyard;
        graveyard = a;
    }
    nlog__store_unlock();
    if (!a)
        return NLOG_ENOTFOUND;
    if (!nlog__perf_is_aggregator()) {
        /* an event of this alert being acted on (record, callback,
         * notifications) has finished once inflight moves on; later events
         * see it dead in nlog__alert_begin() */
        pthread_mutex_lock(&D.lock);
        while (D.inflight == id)
            pthread_cond_wait(&D.done, &D.lock);
        pthread_mutex_unlock(&D.lock);
    }
    return NLOG_OK;
}

void nlog__alerts_collect(void)
{
    nlog__store_lock();
    nlog__alert *g = graveyard;
    graveyard = NULL;
    nlog__store_unlock();
    while (g) {
        nlog__alert *next = g->next;
        free(g);
        g = next;
    }
}

static void free_list(nlog__alert *a)
{
    while (a) {
        nlog__alert *next = a->next;
        free(a);
        a = next;
    }
}

void nlog__alerts_reset_locked(void)
{
    free_list(alerts);
    free_list(graveyard);
    alerts = graveyard = NULL;
    n_alerts = 0;
}
