/* detect.c: the detector engine.
 *
 * Semantics (docs/internals/security.md, "Detection"). An event's time t is
 * its timestamp cut to the microsecond, as records keep it, so a replay of
 * the stored log sees exactly the times the live run saw. A rule fires on an
 * event at t when at least `threshold` counted events (or distinct values,
 * or history events) have times in the window (t - W, t] — an event exactly
 * W before t is outside — and the group has not fired in [t - cooldown, t).
 *
 * State: one node per (rule, group value), holding the times (and a hash of
 * the sampled or counted value) of at most `threshold` most recent events,
 * which is all a ">= threshold in the window" decision needs, plus a sample
 * of at most NLOG_SECURITY_SAMPLE_MAX recent distinct values for the
 * evidence. Group values are identified by a keyed 64-bit SipHash (the key is
 * random per detector, so nobody can aim collisions at the table); two
 * values sharing a hash would share a node, which at 2^-64 per pair is
 * accepted.
 *
 * Memory: every byte the nodes, their arrays and the hash table take,
 * allocator overhead included, is counted against security.memory_cap.
 * Eviction is a segmented LRU: a new node enters the probation segment and
 * moves to the protected one on its second event; the least recently used
 * probation node goes first, so a flood of one-off values (a million IPs a
 * minute) recycles probation space while a group that keeps coming back (the
 * one IP really guessing passwords) stays. Protected nodes are demoted when
 * their segment holds more than 80% of the cap. Every eviction is counted.
 *
 * Concurrency: one mutex per detector around a whole event; detections are
 * copied out (nlog__sec_hit) so callbacks run without it.
 * Tested by: tests/unit/security/test_security_detect.c,
 * test_security_flood.c, test_concurrency_security.c */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/core.h"
#include "format/numfmt.h"
#include "internal/diag.h"
#include "platform/platform.h"
#include "security/detect.h"
#include "security/sec_internal.h"

#define MALLOC_OVERHEAD 16        /* bytes glibc adds to each allocation (counted) */
#define PROTECTED_SHARE 80        /* percent of the cap the protected segment may hold */
#define VIEW_TEXT_MAX 65536       /* bytes of masked text one event may need */
#define VALUE_MAX 4096            /* bytes of a value used as a group or counted value */
#define NONE INT64_MIN

typedef struct entry {
    int64_t t;   /* ns, to the microsecond */
    uint64_t h;  /* hash of the counted or sampled value (0: none) */
} entry;

typedef struct sample {
    uint64_t h;
    uint8_t len;
    char s[39];
} sample;

typedef struct node {
    struct node *hnext;       /* hash chain */
    struct node *prev, *next; /* LRU list of its segment */
    uint64_t key;
    int64_t last_fire;        /* NONE: never */
    entry *e;                 /* ring of cap entries in time order; &e1 while cap is 1 */
    sample *smp;              /* ns samples, oldest first; &s1 while at most 1 */
    uint32_t head, n, cap;
    uint16_t rule;
    uint8_t seg;              /* 0 probation, 1 protected */
    uint8_t ns;
    entry e1;
    sample s1;
} node;

/* One event as the rules see it: the values records will hold (masked, and
 * without the fields that are encrypted). */
typedef struct vfield {
    const char *key;
    const char *s;   /* NULL: absent */
    size_t len;
    uint64_t h;
    int hashed;
} vfield;

typedef struct view {
    int64_t t;
    nlog_security_event_type type;
    const char *type_name;
    vfield f[NLOG__SF_COUNT];
    size_t nd;
    vfield d[NLOG_SECURITY_DETAILS_MAX];
} view;

struct nlog_security_detector {
    pthread_mutex_t lock;
    nlog__crule *rules;
    size_t n_rules;
    nlog__masker masker;
    unsigned char hkey[crypto_shorthash_KEYBYTES];
    node **buckets;
    size_t n_buckets, n_nodes;
    node seg[2];              /* list sentinels: probation, protected */
    size_t seg_bytes[2];
    size_t bytes, cap;
    nlog_security_stats st;
    char *text;               /* VIEW_TEXT_MAX bytes of masked values */
    size_t text_used;
    view v;                   /* the event being examined (under the lock) */
    nlog_config cfg_copy;     /* the settings it was made from */
};

/* ---- the view ------------------------------------------------------------- */

static const char *view_text(nlog_security_detector *d, const nlog__masker *m, const char *key,
                             const char *s, size_t len, size_t *ret_len)
{
    int what = nlog__masker_key(m, key, strlen(key));
    if (what == NLOG__KEY_ENCRYPT)
        return NULL; /* encrypted: the detectors cannot read it, nor can a replay */
    if (what == NLOG__KEY_MASK) {
        *ret_len = 3;
        return NLOG__MASKED;
    }
    if (len > VALUE_MAX)
        len = VALUE_MAX;
    if (nlog__mask_needed(m, s, len)) {
        if (VIEW_TEXT_MAX - d->text_used < len)
            return NULL;
        char *dst = d->text + d->text_used;
        *ret_len = nlog__mask_copy(m, s, len, dst);
        d->text_used += *ret_len;
        return dst;
    }
    *ret_len = len;
    return s;
}

/* A detail's value as text, as a record shows it (numbers in their JSON
 * form), written into the view's text buffer. */
static const char *detail_text(nlog_security_detector *d, const nlog_field *f, size_t *ret_len)
{
    char num[64];
    int n;
    switch (f->type) {
    case NLOG_VALUE_STRING:
        if (!f->v.s)
            return NULL;
        *ret_len = f->len == NLOG_LEN_NUL ? strlen(f->v.s) : f->len;
        return f->v.s;
    case NLOG_VALUE_BOOL:
        *ret_len = f->v.b ? 4 : 5;
        return f->v.b ? "true" : "false";
    case NLOG_VALUE_INT:
        n = snprintf(num, sizeof num, "%lld", (long long) f->v.i);
        break;
    case NLOG_VALUE_UINT:
        n = snprintf(num, sizeof num, "%llu", (unsigned long long) f->v.u);
        break;
    case NLOG_VALUE_DOUBLE:
        if (f->v.d != f->v.d || f->v.d - f->v.d != 0)
            return NULL; /* NaN and infinities are null in records */
        n = (int) nlog__fmt_double(num, f->v.d); /* the text records hold */
        break;
    case NLOG_VALUE_POINTER:
        n = snprintf(num, sizeof num, "0x%llx", (unsigned long long) (uintptr_t) f->v.p);
        break;
    default:
        return NULL;
    }
    if (n <= 0 || VIEW_TEXT_MAX - d->text_used < (size_t) n)
        return NULL;
    char *dst = d->text + d->text_used;
    memcpy(dst, num, (size_t) n);
    d->text_used += (size_t) n;
    *ret_len = (size_t) n;
    return dst;
}

static void build_view(nlog_security_detector *d, const nlog_security_event *ev, view *v)
{
    const nlog__masker *m = &d->masker;
    memset(v, 0, sizeof *v);
    d->text_used = 0;
    int64_t t = ev->timestamp_ns ? ev->timestamp_ns : nlog__clock_realtime_ns();
    v->t = nlog__sec_floor_us(t);
    v->type = ev->type;
    v->type_name = nlog_security_event_type_name(ev->type);
    if (ev->type == NLOG_SEC_CUSTOM)
        v->type_name = ev->custom_type && nlog__sec_valid_type_name(ev->custom_type,
                                                                    strlen(ev->custom_type))
                           ? ev->custom_type
                           : "CUSTOM";
    if (!v->type_name)
        v->type_name = "CUSTOM";
    nlog_security_severity sev = nlog_security_severity_name(ev->severity)
                                     ? ev->severity
                                     : nlog__sec_default_severity(ev->type);
    nlog_outcome out = ev->outcome != NLOG_OUTCOME_UNKNOWN && nlog_outcome_name(ev->outcome)
                           ? ev->outcome
                           : nlog__sec_implied_outcome(ev->type);
    const char *raw[NLOG__SF_COUNT] = {
        v->type_name, nlog_security_severity_name(sev), nlog_outcome_name(out), ev->user_id,
        ev->ip_address, ev->session_id, ev->resource, ev->action};
    for (int i = 0; i < NLOG__SF_COUNT; i++) {
        v->f[i].key = nlog__sec_field_names[i];
        if (raw[i])
            v->f[i].s = view_text(d, m, v->f[i].key, raw[i], strlen(raw[i]), &v->f[i].len);
    }
    size_t nd = ev->details ? ev->n_details : 0;
    for (size_t i = 0; i < nd && i < NLOG_SECURITY_DETAILS_MAX; i++) {
        const nlog_field *f = &ev->details[i];
        if (!f->key || f->group == NLOG_GROUP_CATEGORY)
            continue;
        size_t len = 0;
        const char *s = detail_text(d, f, &len);
        if (!s)
            continue;
        vfield *vf = &v->d[v->nd++];
        vf->key = f->key;
        vf->s = view_text(d, m, f->key, s, len, &vf->len);
    }
}

static vfield *lookup_field(view *v, const nlog__field_ref *r)
{
    vfield *f = NULL;
    if (r->schema >= 0) {
        f = &v->f[r->schema];
    } else {
        for (size_t i = v->nd; i-- > 0;) /* the last one wins, as JSON readers do */
            if (strcmp(v->d[i].key, r->name) == 0) {
                f = &v->d[i];
                break;
            }
    }
    return f && f->s ? f : NULL;
}

static uint64_t hash_of(nlog_security_detector *d, vfield *f)
{
    if (!f->hashed) {
        unsigned char out[crypto_shorthash_BYTES];
        crypto_shorthash(out, (const unsigned char *) f->s, f->len, d->hkey);
        memcpy(&f->h, out, sizeof f->h);
        if (f->h == 0)
            f->h = 1;
        f->hashed = 1;
    }
    return f->h;
}

static int types_match(const nlog__type_set *s, const view *v)
{
    if (s->any)
        return 1;
    if (v->type > 0 && v->type < NLOG_SEC_CUSTOM && (s->builtin & (1u << v->type)))
        return 1;
    for (int i = 0; i < s->n_custom; i++)
        if (strcmp(s->custom[i], v->type_name) == 0)
            return 1;
    return 0;
}

/* ---- the state table ------------------------------------------------------- */

static size_t node_bytes(const node *n)
{
    size_t b = sizeof *n + MALLOC_OVERHEAD;
    if (n->e != &n->e1)
        b += n->cap * sizeof(entry) + MALLOC_OVERHEAD;
    if (n->smp != &n->s1)
        b += n->ns * sizeof(sample) + MALLOC_OVERHEAD;
    return b;
}

static void list_remove(node *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
}

static void list_push(node *head, node *n)
{
    n->next = head->next;
    n->prev = head;
    head->next->prev = n;
    head->next = n;
}

static void account(nlog_security_detector *d, node *n, ptrdiff_t delta)
{
    d->bytes = (size_t) ((ptrdiff_t) d->bytes + delta);
    d->seg_bytes[n->seg] = (size_t) ((ptrdiff_t) d->seg_bytes[n->seg] + delta);
}

static void free_node(node *n)
{
    if (n->e != &n->e1)
        free(n->e);
    if (n->smp != &n->s1)
        free(n->smp);
    free(n);
}

static void unlink_hash(nlog_security_detector *d, node *n)
{
    node **pp = &d->buckets[n->key & (d->n_buckets - 1)];
    while (*pp != n)
        pp = &(*pp)->hnext;
    *pp = n->hnext;
}

static void evict_one(nlog_security_detector *d, const node *keep)
{
    node *victim = d->seg[0].prev;
    if (victim == &d->seg[0] || victim == keep)
        victim = d->seg[1].prev;
    if (victim == &d->seg[1] || victim == keep)
        return;
    list_remove(victim);
    unlink_hash(d, victim);
    account(d, victim, -(ptrdiff_t) node_bytes(victim));
    free_node(victim);
    d->n_nodes--;
    d->st.evictions++;
}

/* Frees least recently used nodes until `need` more bytes fit. */
static void make_room(nlog_security_detector *d, size_t need, const node *keep)
{
    while (d->bytes + need > d->cap && d->n_nodes > (keep ? 1u : 0u)) {
        size_t before = d->n_nodes;
        evict_one(d, keep);
        if (d->n_nodes == before)
            break;
    }
}

static int grow_buckets(nlog_security_detector *d)
{
    size_t nb = d->n_buckets ? d->n_buckets * 2 : 1024;
    size_t add = (nb - d->n_buckets) * sizeof(node *);
    if (nb * sizeof(node *) > d->cap / 4)
        return 0; /* the table never takes more than a quarter of the cap */
    node **b = calloc(nb, sizeof *b);
    if (!b)
        return 0;
    for (size_t i = 0; i < d->n_buckets; i++) {
        node *n = d->buckets[i];
        while (n) {
            node *next = n->hnext;
            n->hnext = b[n->key & (nb - 1)];
            b[n->key & (nb - 1)] = n;
            n = next;
        }
    }
    free(d->buckets);
    d->buckets = b;
    d->bytes += add;
    d->n_buckets = nb;
    return 1;
}

static uint64_t node_key(uint64_t group_hash, size_t rule)
{
    uint64_t k = group_hash + 0x9e3779b97f4a7c15ull * (rule + 1);
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return k;
}

/* The node of (rule, group), created if missing. NULL if memory ran out. */
static node *get_node(nlog_security_detector *d, size_t rule, uint64_t group_hash)
{
    uint64_t key = node_key(group_hash, rule);
    if (d->n_buckets) {
        for (node *n = d->buckets[key & (d->n_buckets - 1)]; n; n = n->hnext) {
            if (n->key == key && n->rule == rule) {
                list_remove(n);
                if (n->seg == 0) { /* second event: protected from the flood */
                    d->seg_bytes[0] -= node_bytes(n);
                    n->seg = 1;
                    d->seg_bytes[1] += node_bytes(n);
                    while (d->seg_bytes[1] > d->cap / 100 * PROTECTED_SHARE &&
                           d->seg[1].prev != &d->seg[1]) {
                        node *old = d->seg[1].prev;
                        list_remove(old);
                        d->seg_bytes[1] -= node_bytes(old);
                        old->seg = 0;
                        d->seg_bytes[0] += node_bytes(old);
                        list_push(&d->seg[0], old);
                    }
                }
                list_push(&d->seg[n->seg], n);
                return n;
            }
        }
    }
    if (d->n_nodes >= d->n_buckets)
        (void) grow_buckets(d);
    if (!d->n_buckets)
        return NULL;
    make_room(d, sizeof(node) + MALLOC_OVERHEAD, NULL);
    node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->key = key;
    n->rule = (uint16_t) rule;
    n->last_fire = NONE;
    n->e = &n->e1;
    n->smp = &n->s1;
    n->cap = 1;
    size_t i = key & (d->n_buckets - 1);
    n->hnext = d->buckets[i];
    d->buckets[i] = n;
    list_push(&d->seg[0], n);
    d->n_nodes++;
    account(d, n, (ptrdiff_t) node_bytes(n));
    return n;
}

static entry *at(node *n, uint32_t i)
{
    return &n->e[(n->head + i) % n->cap];
}

/* Makes room for up to `want` entries (at most the rule's threshold). */
static void grow_entries(nlog_security_detector *d, node *n, uint32_t want)
{
    if (n->cap >= want)
        return;
    uint32_t nc = n->cap * 2 > want ? want : n->cap * 2;
    size_t before = node_bytes(n);
    make_room(d, (nc - (n->e == &n->e1 ? 0 : n->cap)) * sizeof(entry) + MALLOC_OVERHEAD, n);
    entry *e = malloc(nc * sizeof *e);
    if (!e)
        return;
    for (uint32_t i = 0; i < n->n; i++)
        e[i] = *at(n, i);
    if (n->e != &n->e1)
        free(n->e);
    n->e = e;
    n->head = 0;
    n->cap = nc;
    account(d, n, (ptrdiff_t) node_bytes(n) - (ptrdiff_t) before);
}

/* Inserts (t, h) in time order, keeping at most `limit` newest entries. */
static void insert_entry(nlog_security_detector *d, node *n, int64_t t, uint64_t h,
                         uint32_t limit)
{
    if (n->n == n->cap && n->cap < limit)
        grow_entries(d, n, limit);
    if (n->n == n->cap) {
        if (t < at(n, 0)->t)
            return; /* older than everything kept: it cannot change a decision */
        n->head = (n->head + 1) % n->cap; /* drop the oldest */
        n->n--;
    }
    uint32_t i = n->n; /* shift newer entries up: events usually arrive in order */
    while (i > 0 && at(n, i - 1)->t > t) {
        *at(n, i) = *at(n, i - 1);
        i--;
    }
    at(n, i)->t = t;
    at(n, i)->h = h;
    n->n++;
}

/* DISTINCT: one entry per value, with its latest time. */
static void upsert_entry(nlog_security_detector *d, node *n, int64_t t, uint64_t h, uint32_t limit)
{
    for (uint32_t i = 0; i < n->n; i++) {
        if (at(n, i)->h != h)
            continue;
        if (at(n, i)->t >= t)
            return;
        for (uint32_t j = i; j + 1 < n->n; j++) /* remove, then insert anew */
            *at(n, j) = *at(n, j + 1);
        n->n--;
        break;
    }
    insert_entry(d, n, t, h, limit);
}

/* Counts entries in (t - w, t]; *first receives the oldest counted time. */
static uint32_t count_window(node *n, int64_t t, int64_t w, int64_t *first)
{
    uint32_t c = 0;
    *first = t;
    for (uint32_t i = n->n; i-- > 0;) {
        int64_t et = at(n, i)->t;
        if (et > t)
            continue;
        if (et <= t - w)
            break;
        c++;
        *first = et;
    }
    return c;
}

static void add_sample(nlog_security_detector *d, node *n, vfield *f)
{
    uint64_t h = hash_of(d, f);
    for (uint8_t i = 0; i < n->ns; i++) {
        if (n->smp[i].h != h)
            continue;
        sample s = n->smp[i]; /* seen again: now the newest */
        memmove(&n->smp[i], &n->smp[i + 1], (size_t) (n->ns - i - 1) * sizeof s);
        n->smp[n->ns - 1] = s;
        return;
    }
    if (n->ns == 0) {
        n->ns = 1;
    } else if (n->ns < NLOG_SECURITY_SAMPLE_MAX) {
        size_t before = node_bytes(n);
        make_room(d, (size_t) (n->ns + 1) * sizeof(sample) + MALLOC_OVERHEAD, n);
        sample *ns = malloc((size_t) (n->ns + 1) * sizeof *ns);
        if (!ns)
            return;
        memcpy(ns, n->smp, n->ns * sizeof *ns);
        if (n->smp != &n->s1)
            free(n->smp);
        n->smp = ns;
        n->ns++;
        account(d, n, (ptrdiff_t) node_bytes(n) - (ptrdiff_t) before);
    } else {
        memmove(&n->smp[0], &n->smp[1], (size_t) (n->ns - 1) * sizeof(sample));
    }
    sample *s = &n->smp[n->ns - 1];
    s->h = h;
    /* cut at a character boundary so samples stay valid UTF-8 */
    size_t len = f->len < sizeof s->s ? f->len : sizeof s->s;
    if (len < f->len)
        while (len > 0 && ((unsigned char) f->s[len] & 0xC0) == 0x80)
            len--;
    memcpy(s->s, f->s, len);
    s->len = (uint8_t) len;
}

/* ---- rules ------------------------------------------------------------------- */

static int conditions_hold(view *v, const nlog__crule *r)
{
    for (int i = 0; i < r->n_match; i++) {
        vfield *f = lookup_field(v, &r->match[i].f);
        if (!f)
            return 0;
        if (r->match[i].prefix ? f->len < r->match[i].len
                               : f->len != r->match[i].len)
            return 0;
        if (memcmp(f->s, r->match[i].value, r->match[i].len) != 0)
            return 0;
    }
    return 1;
}

/* The first scanned field the rule's pattern matches, or NULL. */
static const char *pattern_hit(nlog_security_detector *d, view *v, const nlog__crule *r)
{
    for (int i = 0; i < r->n_scan; i++) {
        vfield *f = lookup_field(v, &r->scan[i]);
        if (!f)
            continue;
        int m = nlog__pattern_match(r->re, f->s, f->len);
        if (m < 0)
            d->st.pattern_errors++;
        if (m > 0) {
            d->st.pattern_matches++;
            return r->scan[i].name;
        }
    }
    return NULL;
}

static void fire(nlog_security_detector *d, nlog__sec_hits **hits, const nlog__crule *r,
                 node *n, view *v, vfield *group, uint32_t count, int64_t first,
                 const char *matched)
{
    if (!*hits) {
        *hits = calloc(1, sizeof **hits);
        if (!*hits) { /* the detection cannot be reported: say so, never silently */
            nlog__diag(NLOG_DIAG_INTERNAL, NLOG_ENOMEM, 0, r->name,
                       "out of memory reporting a detection of %s for %s %.*s", r->name,
                       r->group.name, group ? (int) (group->len < 64 ? group->len : 64) : 6,
                       group ? group->s : "(none)");
            return;
        }
    }
    if ((*hits)->n >= NLOG__SEC_HITS_MAX)
        return;
    nlog__sec_hit *h = &(*hits)->hit[(*hits)->n++];
    memset(h, 0, sizeof *h);
    snprintf(h->detector, sizeof h->detector, "%s", r->name);
    snprintf(h->group_by, sizeof h->group_by, "%s", r->group.name);
    snprintf(h->counted, sizeof h->counted, "%s",
             r->kind == NLOG__RULE_DISTINCT ? r->distinct.name : "events");
    snprintf(h->sample_of, sizeof h->sample_of, "%s", r->has_sample ? r->sample.name : "");
    snprintf(h->matched, sizeof h->matched, "%s", matched ? matched : "");
    size_t klen = group ? group->len : 6;
    if (klen >= sizeof h->key)
        klen = sizeof h->key - 1;
    memcpy(h->key, group ? group->s : "(none)", klen);
    h->key[klen] = '\0';
    for (uint8_t i = 0; i < n->ns; i++) {
        memcpy(h->sample[i], n->smp[i].s, n->smp[i].len);
        h->sample[i][n->smp[i].len] = '\0';
        h->sample_ptr[i] = h->sample[i];
    }
    h->d.detector = h->detector;
    h->d.type = r->emit;
    h->d.severity = r->severity;
    h->d.group_by = h->group_by;
    h->d.key = h->key;
    h->d.counted = h->counted;
    h->d.count = count;
    h->d.threshold = r->threshold;
    h->d.window_ns = r->window_ns;
    h->d.first_ns = first;
    h->d.last_ns = v->t;
    h->d.time_ns = v->t;
    h->d.sample_of = h->sample_of;
    h->d.sample = h->sample_ptr;
    h->d.n_sample = n->ns;
    h->d.matched_field = h->matched;
    d->st.detections++;
}

static void run_rule(nlog_security_detector *d, size_t ri, view *v, nlog__sec_hits **hits)
{
    const nlog__crule *r = &d->rules[ri];
    int trigger = types_match(&r->types, v);
    int history = r->kind == NLOG__RULE_SEQUENCE && types_match(&r->history, v);
    const char *matched = NULL;
    if (!trigger && !history)
        return;
    if (trigger && (!conditions_hold(v, r) || (r->re && !(matched = pattern_hit(d, v, r)))))
        trigger = 0;
    if (!trigger && !history)
        return;
    vfield *group = lookup_field(v, &r->group);
    if (!group && !r->group_optional)
        return;
    uint64_t gh = group ? hash_of(d, group) : 0;
    node *n = get_node(d, ri, gh);
    if (!n)
        return;
    vfield *smp = r->has_sample ? lookup_field(v, &r->sample) : NULL;
    uint32_t count = 0;
    int64_t first = v->t;
    if (trigger) {
        switch (r->kind) {
        case NLOG__RULE_COUNT:
            insert_entry(d, n, v->t, smp ? hash_of(d, smp) : 0, r->threshold);
            if (smp)
                add_sample(d, n, smp);
            count = count_window(n, v->t, r->window_ns, &first);
            break;
        case NLOG__RULE_DISTINCT: {
            vfield *dv = lookup_field(v, &r->distinct);
            if (!dv)
                return;
            upsert_entry(d, n, v->t, hash_of(d, dv), r->threshold);
            add_sample(d, n, dv);
            count = count_window(n, v->t, r->window_ns, &first);
            break;
        }
        case NLOG__RULE_SEQUENCE:
            count = count_window(n, v->t, r->window_ns, &first);
            break;
        }
        if (count >= r->threshold &&
            (n->last_fire == NONE || v->t - n->last_fire >= r->cooldown_ns)) {
            fire(d, hits, r, n, v, group, count, first, matched);
            n->last_fire = v->t;
            if (r->kind == NLOG__RULE_SEQUENCE) { /* the series is spent */
                n->n = 0;
                n->head = 0;
            }
        }
    }
    if (history) {
        insert_entry(d, n, v->t, smp ? hash_of(d, smp) : 0, r->threshold);
        if (smp)
            add_sample(d, n, smp);
    }
}

nlog_status nlog__detector_run(nlog_security_detector *d, const nlog_security_event *ev,
                               nlog__sec_hits **hits)
{
    nlog_security_event e = *ev;
    if (ev->struct_size && ev->struct_size < sizeof e) /* an older, shorter layout */
        memset((char *) &e + ev->struct_size, 0, sizeof e - ev->struct_size);
    pthread_mutex_lock(&d->lock);
    build_view(d, &e, &d->v);
    d->st.events++;
    for (size_t i = 0; i < d->n_rules; i++)
        run_rule(d, i, &d->v, hits);
    pthread_mutex_unlock(&d->lock);
    return NLOG_OK;
}

/* ---- the public object -------------------------------------------------------- */

nlog_status nlog_security_detector_create(const nlog_config *cfg, nlog_security_detector **ret)
{
    char why[NLOG__CFG_WHY_MAX];
    nlog__clear_errmsg();
    if (!cfg || !ret) {
        nlog__set_errmsg("nlog_security_detector_create: cfg and ret must not be NULL");
        return NLOG_EINVAL;
    }
    if (cfg->security_memory_cap <= 0 || cfg->security_rules.n < 0 || cfg->mask_fields.n < 0 ||
        cfg->encrypt_fields.n < 0 || cfg->security_pattern_fields.n < 0) {
        nlog__set_errmsg("nlog_security_detector_create: the configuration is not resolved "
                         "(use nlog_config_resolve() or nlog_get_config())");
        return NLOG_EINVAL;
    }
    if (sodium_init() < 0) {
        nlog__set_errmsg("libsodium could not be initialised");
        return NLOG_ENOMEM;
    }
    nlog_security_detector *d = calloc(1, sizeof *d);
    if (!d) {
        nlog__set_errmsg("out of memory");
        return NLOG_ENOMEM;
    }
    d->text = malloc(VIEW_TEXT_MAX);
    nlog_status st = d->text ? nlog__rules_compile(cfg, &d->rules, &d->n_rules, why, sizeof why)
                             : NLOG_ENOMEM;
    if (st != NLOG_OK) {
        nlog__set_errmsg("%s", d->text ? why : "out of memory");
        free(d->text);
        free(d);
        return st;
    }
    pthread_mutex_init(&d->lock, NULL);
    nlog__masker_init(&d->masker, cfg, 1);
    randombytes_buf(d->hkey, sizeof d->hkey);
    d->seg[0].next = d->seg[0].prev = &d->seg[0];
    d->seg[1].next = d->seg[1].prev = &d->seg[1];
    d->cap = (size_t) cfg->security_memory_cap;
    d->st.memory_cap = (uint64_t) d->cap;
    d->cfg_copy = *cfg;
    *ret = d;
    return NLOG_OK;
}

void nlog_security_detector_destroy(nlog_security_detector *d)
{
    if (!d)
        return;
    for (int s = 0; s < 2; s++) {
        node *n = d->seg[s].next;
        while (n != &d->seg[s]) {
            node *next = n->next;
            free_node(n);
            n = next;
        }
    }
    free(d->buckets);
    nlog__rules_free(d->rules, d->n_rules);
    free(d->text);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

nlog_status nlog_security_detector_feed(nlog_security_detector *d, const nlog_security_event *ev,
                                        nlog_security_detection_fn fn, void *user)
{
    if (!d || !ev)
        return NLOG_EINVAL;
    nlog__sec_hits *hits = NULL;
    nlog_status st = nlog__detector_run(d, ev, &hits);
    if (hits) {
        for (size_t i = 0; i < hits->n && fn; i++)
            fn(&hits->hit[i].d, user);
        free(hits);
    }
    return st;
}

nlog_status nlog_security_detector_stats(nlog_security_detector *d, nlog_security_stats *out)
{
    if (!d || !out || out->struct_size < sizeof(size_t))
        return NLOG_EINVAL;
    pthread_mutex_lock(&d->lock);
    nlog_security_stats s = d->st;
    s.keys = d->n_nodes;
    s.memory_bytes = d->bytes;
    pthread_mutex_unlock(&d->lock);
    size_t keep = out->struct_size;
    s.struct_size = sizeof s;
    memcpy(out, &s, keep < sizeof s ? keep : sizeof s);
    out->struct_size = keep;
    return NLOG_OK;
}

int nlog__detector_same_config(const nlog_security_detector *d, const nlog_config *cfg)
{
    const nlog_config *a = &d->cfg_copy;
#define SAME(m) (memcmp(&a->m, &cfg->m, sizeof a->m) == 0)
    return SAME(mask_fields) && SAME(mask_card_numbers) && SAME(mask_bearer_tokens) &&
           SAME(encrypt_fields) && SAME(security_memory_cap) && SAME(security_brute_force) &&
           SAME(security_targeted_brute_force) && SAME(security_distributed_brute_force) &&
           SAME(security_password_spraying) && SAME(security_success_after_failures) &&
           SAME(security_privilege_then_config) && SAME(security_patterns) &&
           SAME(security_pattern_fields) && SAME(security_pattern_cooldown) &&
           SAME(security_rules);
#undef SAME
}
