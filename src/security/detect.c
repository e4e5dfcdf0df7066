/* detect.c: the detector engine.
 *
 * Semantics (docs/internals/security.md, "Detection"). An event's time t is
 * its timestamp cut to the microsecond, as records keep it (and kept within
 * +-2^62 ns, so no difference of two times overflows), so a replay of the
 * stored log sees exactly the times the live run saw. A rule fires on an
 * event at t when at least `threshold` counted events (or distinct values,
 * or history events) have times in the window (t - W, t] — an event exactly
 * W before t is outside — and the group did not fire at some f with
 * t < f + cooldown (it fires again at exactly f + cooldown). A sequence
 * rule's series is spent when it fires (a trigger below the threshold
 * leaves it as it is).
 *
 * The view: an event as the rules see it is the values its record will hold
 * — masked like the record (whole values, up to what a record can hold),
 * without the fields that are encrypted, numbers in their JSON form. It is
 * built on the calling thread, in a workspace of the thread, and the
 * content patterns run there too (a compiled pattern is shared read-only,
 * each thread has its own match data), so neither waits for the detector's
 * lock; only the state update below takes it.
 *
 * State: one node per (rule, group value), holding the times (and a hash of
 * the sampled or counted value) of at most `threshold` most recent events,
 * which is all a ">= threshold in the window" decision needs, plus a sample
 * of at most NLOG_SECURITY_SAMPLE_MAX recent distinct values for the
 * evidence. Group values are identified by a keyed 64-bit SipHash (the key is
 * random per detector, so nobody can aim collisions at the table); two
 * values sharing a hash would share a node, which at 2^-64 per pair is
 * accepted. No decision depends on where a hash puts a value, only on the
 * order of events, so a replay evicts exactly what the live run evicted.
 *
 * Memory: every byte the nodes, their arrays, the hash table and the ghost
 * table take, allocator overhead included, is counted against
 * security.memory_cap. GHOST_SHARE of the cap is reserved at creation for
 * ghosts (its pages are committed only as they fill); nodes get the rest.
 *   - New nodes enter probation, an LRU. A node's second event moves it to
 *     the protected segment (at most PROTECTED_SHARE of the node budget),
 *     kept in three LRU lists by how many events the group had (2, 3, 4 or
 *     more); when it is over its share, the least recently used node of the
 *     lowest class goes back to probation. So a flood whose values come back
 *     once cannot push out a group that keeps coming back.
 *   - Eviction takes probation's least recently used node first. An evicted
 *     node that never fired leaves a ghost: its key, its newest event (time
 *     and counted value) and its event count, 24 bytes in a FIFO ring
 *     indexed by an open-addressing table. A group that comes back while its
 *     ghost lives gets a node with that event restored, in the protected
 *     segment: a one-off value costs a ghost, not a node, and a brute force
 *     slower than the nodes' turnover is still counted (the first event's
 *     sample value is what the ghost does not keep).
 * Every eviction is counted; ghosts are counted as held.
 *
 * Concurrency: the view and the patterns run without a lock; one mutex per
 * detector around the state update of an event; detections are copied out
 * (nlog__sec_hit) so callbacks run without it.
 * Tested by: tests/unit/security/test_security_detect.c,
 * test_security_flood.c, test_security_patterns.c, test_concurrency_security.c */
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
#define PROTECTED_SHARE 80        /* percent of the node budget the protected segment may hold */
#define GHOST_SHARE 80            /* percent of the cap reserved for ghosts */
#define RECORD_MIN 1024           /* the smallest max_record_size */
#define FALLBACK_TEXT 65536       /* masked text of the detector's own workspace */
#define NONE INT64_MIN
#define T_LIMIT (INT64_C(1) << 62)

enum { SEG_PROBATION, SEG_P2, SEG_P3, SEG_P4, SEG_COUNT };

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
    uint16_t head, n, cap;    /* cap <= threshold <= 10000 */
    uint16_t rule;
    uint8_t seg;              /* SEG_* */
    uint8_t ns;
    uint8_t hits;             /* events of the group, saturating at 255 */
    entry e1;
    sample s1;
} node;

/* An evicted group: its node key (0: free slot), its newest event's time
 * with the group's event count in the low digits (times are whole
 * microseconds, so t % 1000 is free), and that event's value hash. */
typedef struct ghost {
    uint64_t key;
    int64_t t_hits;
    uint64_t h;
} ghost;

/* One field of the event as the record shows it. */
typedef struct vfield {
    const char *key;
    const char *s;   /* NULL: absent */
    size_t len;
    uint64_t h;
    int hashed;
    char num[NLOG__DOUBLE_MAX + 8]; /* a number's text */
} vfield;

typedef struct view {
    int64_t t;
    nlog_security_event_type type;
    const char *type_name;
    vfield f[NLOG__SF_COUNT];
    size_t nd;
    vfield d[NLOG_SECURITY_DETAILS_MAX];
} view;

/* What an event means for one rule, worked out before the lock. */
typedef struct prep {
    uint8_t use;       /* the rule looks at this event */
    uint8_t trigger, history;
    uint8_t limit;     /* a pattern run was stopped by a limit */
    const char *matched;
    vfield *group, *smp, *dv;
    uint64_t gh;
} prep;

/* Where an event is examined: the calling thread's (or the detector's, under
 * its lock, when the thread's cannot be had). */
typedef struct sec_ws {
    view v;
    prep r[NLOG__RULES_MAX];
    char decoded[NLOG__PATTERN_SUBJECT_MAX]; /* a scanned field, decoded (pattern.h) */
    char *text;               /* masked copies of values */
    size_t cap, used;
    int grows;                /* the text may be reallocated */
} sec_ws;

struct nlog_security_detector {
    pthread_mutex_t lock;
    nlog__crule *rules;
    size_t n_rules;
    nlog__masker masker;
    size_t value_max;         /* bytes of a value looked at: max_record_size + 64 */
    unsigned char hkey[crypto_shorthash_KEYBYTES];
    node **buckets;
    size_t n_buckets, n_nodes;
    node seg[SEG_COUNT];      /* list sentinels */
    size_t seg_bytes[SEG_COUNT];
    size_t bytes, cap;
    /* ghosts: a FIFO ring and its open-addressing index (see ghost_entry()) */
    ghost *ring;
    size_t ring_cap, ring_w, n_ghosts, ghost_bytes;
    uint32_t *gidx;
    size_t gidx_cap;
    unsigned disp_bits, fp_bits;
    nlog_security_stats st;
    uint8_t limit_reported[NLOG__RULES_MAX];
    sec_ws fallback;          /* under the lock */
    nlog_config cfg_copy;     /* the settings it was made from */
};

static int oom_reported;

/* ---- times ----------------------------------------------------------------- */

static int64_t clamp_time(int64_t t)
{
    return t > T_LIMIT ? T_LIMIT : t < -T_LIMIT ? -T_LIMIT : t;
}

/* ---- the thread's workspace ------------------------------------------------ */

static pthread_key_t ws_key;
static pthread_once_t ws_once = PTHREAD_ONCE_INIT;
static _Thread_local sec_ws *mine;

static void ws_release(void *p)
{
    sec_ws *w = p;
    if (w) {
        free(w->text);
        free(w);
    }
    mine = NULL;
}

static void ws_make_key(void)
{
    (void) pthread_key_create(&ws_key, ws_release);
}

static sec_ws *thread_ws(void)
{
    if (mine)
        return mine;
    (void) pthread_once(&ws_once, ws_make_key);
    sec_ws *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->grows = 1;
    mine = w;
    (void) pthread_setspecific(ws_key, w);
    return w;
}

/* Makes the text hold at least `need` bytes (before any copy is made: copies
 * never move). 0 if it cannot. */
static int text_reserve(sec_ws *w, size_t need)
{
    if (w->cap >= need)
        return 1;
    if (!w->grows)
        return 0;
    size_t nc = w->cap ? w->cap : 4096;
    while (nc < need)
        nc *= 2;
    char *t = realloc(w->text, nc);
    if (!t)
        return 0;
    w->text = t;
    w->cap = nc;
    return 1;
}

/* ---- the view ------------------------------------------------------------- */

/* The value of `key` as the record shows it: NULL when encrypted (neither the
 * detectors nor a replay can read it), "***" when masked, else the value
 * with card numbers and bearer tokens masked. Masked copies live in the
 * workspace's text, whose size was reserved by reserve_text(). */
static const char *view_text(nlog_security_detector *d, sec_ws *w, const char *key,
                             const char *s, size_t len, int is_string, size_t *ret_len)
{
    const nlog__masker *m = &d->masker;
    int what = nlog__masker_key(m, key, strlen(key));
    if (what == NLOG__KEY_ENCRYPT)
        return NULL;
    if (what == NLOG__KEY_MASK) {
        *ret_len = 3;
        return NLOG__MASKED;
    }
    size_t look = len < d->value_max ? len : d->value_max;
    /* records mask the content of strings only (a number is written as it
     * is: redact.c and the JSON template cache rely on it) */
    if (!is_string || !nlog__mask_needed(m, s, look)) {
        *ret_len = len;
        return s;
    }
    if (w->cap - w->used < look) {
        /* never fail open: what cannot be masked reads as masked */
        if (!__atomic_exchange_n(&oom_reported, 1, __ATOMIC_RELAXED))
            nlog__diag(NLOG_DIAG_INTERNAL, NLOG_ENOMEM, 0, "security",
                       "out of memory masking an event for the detectors; its value reads "
                       "as ***");
        *ret_len = 3;
        return NLOG__MASKED;
    }
    char *dst = w->text + w->used;
    *ret_len = nlog__mask_copy(m, s, look, dst);
    w->used += *ret_len;
    return dst;
}

/* A detail's value as text, as a record shows it (numbers in their JSON
 * form). */
static const char *detail_text(const nlog_field *f, vfield *vf, size_t *ret_len)
{
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
        n = (int) nlog__fmt_i64(vf->num, f->v.i);
        break;
    case NLOG_VALUE_UINT:
        n = (int) nlog__fmt_u64(vf->num, f->v.u);
        break;
    case NLOG_VALUE_DOUBLE:
        if (f->v.d != f->v.d || f->v.d - f->v.d != 0)
            return NULL; /* NaN and infinities are null in records */
        n = (int) nlog__fmt_double(vf->num, f->v.d); /* the text records hold */
        break;
    case NLOG_VALUE_POINTER:
        n = snprintf(vf->num, sizeof vf->num, "0x%llx", (unsigned long long) (uintptr_t) f->v.p);
        break;
    default:
        return NULL;
    }
    if (n <= 0 || (size_t) n >= sizeof vf->num)
        return NULL;
    *ret_len = (size_t) n;
    return vf->num;
}

/* Text the masked copies of one event can need: every string it holds, each
 * cut to what a record can hold. Reserved up front, so copies never move. */
static void reserve_text(nlog_security_detector *d, sec_ws *w, const nlog_security_event *ev,
                         const char *const *raw)
{
    size_t need = 0;
    w->used = 0;
    for (int i = 0; i < NLOG__SF_COUNT; i++)
        if (raw[i]) {
            size_t l = strlen(raw[i]);
            need += l < d->value_max ? l : d->value_max;
        }
    size_t nd = ev->details ? ev->n_details : 0;
    for (size_t i = 0; i < nd && i < NLOG_SECURITY_DETAILS_MAX; i++) {
        const nlog_field *f = &ev->details[i];
        if (f->type == NLOG_VALUE_STRING && f->v.s) {
            size_t l = f->len == NLOG_LEN_NUL ? strlen(f->v.s) : f->len;
            need += l < d->value_max ? l : d->value_max;
        }
    }
    (void) text_reserve(w, need); /* on failure view_text() masks what does not fit */
}

static void build_view(nlog_security_detector *d, const nlog_security_event *ev, sec_ws *w)
{
    view *v = &w->v;
    memset(v, 0, offsetof(view, d));
    v->nd = 0;
    int64_t t = ev->timestamp_ns ? ev->timestamp_ns : nlog__clock_realtime_ns();
    v->t = nlog__sec_floor_us(clamp_time(t));
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
    reserve_text(d, w, ev, raw);
    for (int i = 0; i < NLOG__SF_COUNT; i++) {
        v->f[i].key = nlog__sec_field_names[i];
        v->f[i].hashed = 0;
        if (raw[i])
            v->f[i].s =
                view_text(d, w, v->f[i].key, raw[i], strlen(raw[i]), 1, &v->f[i].len);
    }
    size_t nd = ev->details ? ev->n_details : 0;
    for (size_t i = 0; i < nd && i < NLOG_SECURITY_DETAILS_MAX; i++) {
        const nlog_field *f = &ev->details[i];
        if (!f->key || f->group == NLOG_GROUP_CATEGORY)
            continue;
        vfield *vf = &v->d[v->nd];
        size_t len = 0;
        vf->hashed = 0;
        const char *s = detail_text(f, vf, &len);
        if (!s)
            continue;
        vf->key = f->key;
        vf->s = view_text(d, w, f->key, s, len, f->type == NLOG_VALUE_STRING, &vf->len);
        v->nd++;
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

static uint64_t hash_of(const nlog_security_detector *d, vfield *f)
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

static int conditions_hold(view *v, const nlog__crule *r)
{
    for (int i = 0; i < r->n_match; i++) {
        vfield *f = lookup_field(v, &r->match[i].f);
        if (!f)
            return 0;
        if (r->match[i].prefix ? f->len < r->match[i].len : f->len != r->match[i].len)
            return 0;
        if (memcmp(f->s, r->match[i].value, r->match[i].len) != 0)
            return 0;
    }
    return 1;
}

/* The first scanned field the rule's pattern matches, or NULL. A run a
 * limit stopped cannot be decided: it counts as a match (so nobody escapes
 * the patterns by making them work hard) and is reported. */
static const char *pattern_hit(view *v, const nlog__crule *r, uint8_t *limit, char *decoded)
{
    for (int i = 0; i < r->n_scan; i++) {
        vfield *f = lookup_field(v, &r->scan[i]);
        if (!f)
            continue;
        int m = nlog__pattern_match(r->re, f->s, f->len);
        size_t look = f->len < NLOG__PATTERN_SUBJECT_MAX ? f->len : NLOG__PATTERN_SUBJECT_MAX;
        if (m == 0 && (memchr(f->s, '%', look) || memchr(f->s, '+', look) ||
                       memchr(f->s, '&', look))) {
            /* URL or HTML encoding must not hide an attack: the decoded text too */
            size_t dl = nlog__pattern_decode(f->s, f->len, decoded);
            if (dl != look || memcmp(decoded, f->s, dl) != 0)
                m = nlog__pattern_match(r->re, decoded, dl);
        }
        if (m < 0)
            *limit = 1;
        if (m != 0)
            return r->scan[i].name;
    }
    return NULL;
}

/* Works out, without the lock, what the event means for each rule. */
static void prepare(const nlog_security_detector *d, sec_ws *w)
{
    view *v = &w->v;
    for (size_t i = 0; i < d->n_rules; i++) {
        const nlog__crule *r = &d->rules[i];
        prep *p = &w->r[i];
        memset(p, 0, sizeof *p);
        int trigger = types_match(&r->types, v);
        int history = r->kind == NLOG__RULE_SEQUENCE && types_match(&r->history, v);
        if (!trigger && !history)
            continue;
        if (trigger && !conditions_hold(v, r))
            trigger = 0;
        if (trigger && r->re && !(p->matched = pattern_hit(v, r, &p->limit, w->decoded)))
            trigger = 0;
        if (!trigger && !history)
            continue;
        vfield *group = lookup_field(v, &r->group);
        if (!group && !r->group_optional)
            continue;
        if (trigger && r->kind == NLOG__RULE_DISTINCT) {
            p->dv = lookup_field(v, &r->distinct);
            if (!p->dv)
                trigger = 0;
            else
                (void) hash_of(d, p->dv);
            if (!trigger && !history)
                continue;
        }
        p->group = group;
        p->gh = group ? hash_of(d, group) : 0;
        p->smp = r->has_sample ? lookup_field(v, &r->sample) : NULL;
        if (p->smp)
            (void) hash_of(d, p->smp);
        p->trigger = (uint8_t) trigger;
        p->history = (uint8_t) history;
        p->use = 1;
    }
}

/* ---- accounting and the node lists ------------------------------------------ */

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

/* Moves n (not in a list) to the head of segment `seg`. */
static void place(nlog_security_detector *d, node *n, uint8_t seg)
{
    size_t b = node_bytes(n);
    d->seg_bytes[n->seg] -= b;
    n->seg = seg;
    d->seg_bytes[seg] += b;
    list_push(&d->seg[seg], n);
}

static uint8_t protected_class(const node *n)
{
    return n->hits >= 4 ? SEG_P4 : n->hits == 3 ? SEG_P3 : SEG_P2;
}

static size_t protected_bytes(const nlog_security_detector *d)
{
    return d->seg_bytes[SEG_P2] + d->seg_bytes[SEG_P3] + d->seg_bytes[SEG_P4];
}

/* What nodes (and the node hash table) may take: the cap without the ghosts. */
static size_t node_budget(const nlog_security_detector *d)
{
    return d->cap - d->ghost_bytes;
}

/* The protected node the lists give up first: the least recently used of
 * the lowest class. NULL if there is none but `keep`. */
static node *protected_victim(nlog_security_detector *d, const node *keep)
{
    for (int s = SEG_P2; s <= SEG_P4; s++)
        for (node *n = d->seg[s].prev; n != &d->seg[s]; n = n->prev)
            if (n != keep)
                return n;
    return NULL;
}

static void demote_overflow(nlog_security_detector *d, const node *keep)
{
    size_t limit = node_budget(d) / 100 * PROTECTED_SHARE;
    while (protected_bytes(d) > limit) {
        node *old = protected_victim(d, keep);
        if (!old)
            break;
        list_remove(old);
        place(d, old, SEG_PROBATION);
    }
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

/* ---- ghosts --------------------------------------------------------------------- */

static size_t ghost_index_cap(size_t ring_cap)
{
    return ring_cap + ring_cap / 2 + 1; /* load at most 2/3 */
}

static size_t ghost_table_bytes(size_t ring_cap)
{
    return ring_cap * sizeof(ghost) + ghost_index_cap(ring_cap) * sizeof(uint32_t) +
           2 * MALLOC_OVERHEAD;
}

static size_t ghost_home(const nlog_security_detector *d, uint64_t key)
{
    return (size_t) (((key >> 32) * (uint64_t) d->gidx_cap) >> 32);
}

/* An index entry: [slot + 1][displacement from home][fingerprint of the key],
 * 0 when empty. The displacement (saturated at its field's maximum, then
 * read from the ring) lets deletion find each entry's home without touching
 * the ring; the fingerprint lets a lookup skip most entries of other keys
 * without touching it either. */
static uint32_t ghost_fp(const nlog_security_detector *d, uint64_t key)
{
    return d->fp_bits ? (uint32_t) key & ((1u << d->fp_bits) - 1) : 0;
}

static uint32_t disp_max(const nlog_security_detector *d)
{
    return d->disp_bits ? (1u << d->disp_bits) - 1 : 0;
}

static uint32_t ghost_entry(const nlog_security_detector *d, size_t slot, uint64_t key,
                            size_t disp)
{
    uint32_t dm = disp_max(d);
    uint32_t dv = disp < dm ? (uint32_t) disp : dm;
    return (uint32_t) ((slot + 1) << (d->disp_bits + d->fp_bits)) | dv << d->fp_bits |
           ghost_fp(d, key);
}

static size_t ghost_slot_of(const nlog_security_detector *d, uint32_t e)
{
    return (size_t) (e >> (d->disp_bits + d->fp_bits)) - 1;
}

static size_t next_pos(const nlog_security_detector *d, size_t i)
{
    return i + 1 == d->gidx_cap ? 0 : i + 1;
}

static size_t distance(const nlog_security_detector *d, size_t from, size_t to)
{
    return to >= from ? to - from : to + d->gidx_cap - from;
}

/* The home of the entry at index position i. */
static size_t entry_home(const nlog_security_detector *d, size_t i)
{
    uint32_t e = d->gidx[i];
    uint32_t dv = (e >> d->fp_bits) & disp_max(d);
    if (dv < disp_max(d))
        return i >= dv ? i - dv : i + d->gidx_cap - dv;
    return ghost_home(d, d->ring[ghost_slot_of(d, e)].key); /* saturated or no field */
}

/* The index position of `key`'s ghost, or SIZE_MAX. */
static size_t ghost_find(const nlog_security_detector *d, uint64_t key)
{
    if (!d->n_ghosts)
        return SIZE_MAX;
    uint32_t fp = ghost_fp(d, key);
    uint32_t mask = d->fp_bits ? (1u << d->fp_bits) - 1 : 0;
    for (size_t i = ghost_home(d, key);; i = next_pos(d, i)) {
        uint32_t e = d->gidx[i];
        if (!e)
            return SIZE_MAX;
        if ((e & mask) == fp && d->ring[ghost_slot_of(d, e)].key == key)
            return i;
    }
}

/* Removes index position `pos` (backward-shift deletion keeps every probe
 * sequence unbroken, without tombstones). */
static void ghost_index_remove(nlog_security_detector *d, size_t pos)
{
    size_t hole = pos;
    d->gidx[hole] = 0;
    for (size_t j = next_pos(d, hole); d->gidx[j]; j = next_pos(d, j)) {
        size_t home = entry_home(d, j);
        /* the entry at j stays if its home lies cyclically in (hole, j] */
        int stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (stays)
            continue;
        uint32_t e = d->gidx[j], dm = disp_max(d);
        size_t disp = distance(d, home, hole);
        uint32_t fpmask = d->fp_bits ? (1u << d->fp_bits) - 1 : 0;
        d->gidx[hole] = (uint32_t) ((ghost_slot_of(d, e) + 1) << (d->disp_bits + d->fp_bits)) |
                        (disp < dm ? (uint32_t) disp : dm) << d->fp_bits | (e & fpmask);
        d->gidx[j] = 0;
        hole = j;
    }
}

static void ghost_index_add(nlog_security_detector *d, size_t slot, uint64_t key)
{
    size_t home = ghost_home(d, key), i = home;
    while (d->gidx[i])
        i = next_pos(d, i);
    d->gidx[i] = ghost_entry(d, slot, key, distance(d, home, i));
}

/* Forgets a ghost (restored, or overwritten by a newer one). */
static void ghost_drop(nlog_security_detector *d, size_t slot)
{
    ghost *g = &d->ring[slot];
    size_t shift = d->disp_bits + d->fp_bits;
    for (size_t i = ghost_home(d, g->key);; i = next_pos(d, i)) {
        if (d->gidx[i] >> shift == slot + 1) {
            ghost_index_remove(d, i);
            break;
        }
        if (!d->gidx[i])
            break; /* cannot happen: every live slot is indexed */
    }
    g->key = 0;
    d->n_ghosts--;
}

/* Remembers an evicted node by its newest event. The oldest ghost makes
 * room: the ring is a FIFO, so which one goes depends on the order of
 * events only. */
static void ghost_put(nlog_security_detector *d, const node *n, const entry *newest)
{
    if (!d->ring_cap)
        return;
    size_t slot = d->ring_w;
    if (d->ring[slot].key)
        ghost_drop(d, slot);
    d->ring[slot].key = n->key;
    d->ring[slot].t_hits = newest->t + n->hits; /* t is whole microseconds */
    d->ring[slot].h = newest->h;
    ghost_index_add(d, slot, n->key);
    d->n_ghosts++;
    d->ring_w = slot + 1 == d->ring_cap ? 0 : slot + 1;
}

static void ghost_read(const ghost *g, entry *e, uint8_t *hits)
{
    int64_t r = g->t_hits % 1000;
    if (r < 0)
        r += 1000;
    e->t = g->t_hits - r;
    e->h = g->h;
    *hits = (uint8_t) r;
}

static void ghosts_init(nlog_security_detector *d)
{
    size_t want = d->cap / 100 * GHOST_SHARE, rc = want / (sizeof(ghost) + 6);
    while (rc > 0 && ghost_table_bytes(rc) > want)
        rc--;
    if (rc < 64)
        return; /* a cap too small to bother: eviction forgets */
    d->ring = calloc(rc, sizeof *d->ring);
    d->gidx = calloc(ghost_index_cap(rc), sizeof *d->gidx);
    if (!d->ring || !d->gidx) {
        free(d->ring);
        free(d->gidx);
        d->ring = NULL;
        d->gidx = NULL;
        return; /* nodes get the whole cap */
    }
    d->ring_cap = rc;
    d->gidx_cap = ghost_index_cap(rc);
    unsigned pos_bits = 0;
    while (pos_bits < 32 && (((uint64_t) 1) << pos_bits) <= rc)
        pos_bits++;
    unsigned rest = 32 - pos_bits;
    d->disp_bits = rest < 8 ? rest : 8;
    d->fp_bits = rest - d->disp_bits;
    d->ghost_bytes = ghost_table_bytes(rc);
    d->bytes += d->ghost_bytes;
}

/* ---- the state table ------------------------------------------------------------ */

static void evict_one(nlog_security_detector *d, const node *keep)
{
    node *victim = d->seg[SEG_PROBATION].prev;
    if (victim == keep)
        victim = victim->prev;
    if (victim == &d->seg[SEG_PROBATION])
        victim = protected_victim(d, keep);
    if (!victim)
        return;
    list_remove(victim);
    unlink_hash(d, victim);
    if (victim->last_fire == NONE && victim->n > 0)
        ghost_put(d, victim, &victim->e[(victim->head + victim->n - 1) % victim->cap]);
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
    if (nb * sizeof(node *) > node_budget(d) / 4)
        return 0; /* the table never takes more than a quarter of the node budget */
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
    return k ? k : 1; /* 0 marks a free ghost slot */
}

/* The node of (rule, group): found, restored from its ghost, or (with
 * `create`) made. NULL if there is none or memory ran out. */
static node *get_node(nlog_security_detector *d, size_t rule, uint64_t group_hash, int create)
{
    uint64_t key = node_key(group_hash, rule);
    if (d->n_buckets) {
        for (node *n = d->buckets[key & (d->n_buckets - 1)]; n; n = n->hnext) {
            if (n->key == key && n->rule == rule) {
                list_remove(n);
                if (n->hits < 255)
                    n->hits++;
                /* a second event moves it to the protected segment, and more
                 * events to a higher class there */
                place(d, n, protected_class(n));
                demote_overflow(d, n);
                return n;
            }
        }
    }
    entry restored;
    uint8_t hits = 0;
    size_t pos = ghost_find(d, key);
    if (pos != SIZE_MAX) {
        size_t slot = ghost_slot_of(d, d->gidx[pos]);
        ghost_read(&d->ring[slot], &restored, &hits);
        ghost_drop(d, slot); /* before make_room(), which may write ghosts */
    } else if (!create) {
        return NULL;
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
    n->hits = 1;
    n->seg = SEG_PROBATION;
    size_t i = key & (d->n_buckets - 1);
    n->hnext = d->buckets[i];
    d->buckets[i] = n;
    d->n_nodes++;
    account(d, n, (ptrdiff_t) node_bytes(n));
    if (pos != SIZE_MAX) { /* the group came back: its ghost's event, and protection */
        n->e1 = restored;
        n->n = 1;
        n->hits = (uint8_t) (hits < 254 ? hits + 1 : 255);
        if (n->hits < 2)
            n->hits = 2;
        place(d, n, protected_class(n));
        demote_overflow(d, n);
    } else {
        list_push(&d->seg[SEG_PROBATION], n);
    }
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
    uint32_t nc = (uint32_t) n->cap * 2 > want ? want : (uint32_t) n->cap * 2;
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
    n->cap = (uint16_t) nc;
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
        n->head = (uint16_t) ((n->head + 1) % n->cap); /* drop the oldest */
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

/* Counts entries in (t - w, t]; *first receives the oldest counted time.
 * Times are within +-2^62 and windows at most 30 days: t - w cannot
 * overflow. */
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

/* A sequence's series is spent: its events and their samples are forgotten. */
static void forget_series(nlog_security_detector *d, node *n)
{
    size_t before = node_bytes(n);
    n->n = 0;
    n->head = 0;
    if (n->smp != &n->s1)
        free(n->smp);
    n->smp = &n->s1;
    n->ns = 0;
    account(d, n, (ptrdiff_t) node_bytes(n) - (ptrdiff_t) before);
}

/* ---- rules ------------------------------------------------------------------- */

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
    if (klen >= sizeof h->key) {
        klen = sizeof h->key - 1;
        while (klen > 0 && ((unsigned char) group->s[klen] & 0xC0) == 0x80)
            klen--; /* keep the key valid UTF-8 */
    }
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

static void run_rule(nlog_security_detector *d, size_t ri, sec_ws *w, nlog__sec_hits **hits)
{
    const nlog__crule *r = &d->rules[ri];
    prep *p = &w->r[ri];
    view *v = &w->v;
    /* a sequence trigger with no history has nothing to count: no node */
    int create = p->history || r->kind != NLOG__RULE_SEQUENCE;
    node *n = get_node(d, ri, p->gh, create);
    if (!n)
        return;
    if (p->trigger) {
        uint32_t count = 0;
        int64_t first = v->t;
        switch (r->kind) {
        case NLOG__RULE_COUNT:
            insert_entry(d, n, v->t, p->smp ? p->smp->h : 0, r->threshold);
            if (p->smp)
                add_sample(d, n, p->smp);
            count = count_window(n, v->t, r->window_ns, &first);
            break;
        case NLOG__RULE_DISTINCT:
            upsert_entry(d, n, v->t, p->dv->h, r->threshold);
            add_sample(d, n, p->dv);
            count = count_window(n, v->t, r->window_ns, &first);
            break;
        case NLOG__RULE_SEQUENCE:
            count = count_window(n, v->t, r->window_ns, &first);
            break;
        }
        if (count >= r->threshold &&
            (n->last_fire == NONE || v->t - n->last_fire >= r->cooldown_ns)) {
            fire(d, hits, r, n, v, p->group, count, first, p->matched);
            n->last_fire = v->t;
            if (r->kind == NLOG__RULE_SEQUENCE) /* the series is spent */
                forget_series(d, n);
        }
    }
    if (p->history) {
        insert_entry(d, n, v->t, p->smp ? p->smp->h : 0, r->threshold);
        if (p->smp)
            add_sample(d, n, p->smp);
    }
}

/* The state an event will touch lies all over a table larger than the
 * caches: ask for every line at once (bucket heads, the ghost index where
 * this event's keys and the keys of the ghosts it may overwrite live, then
 * the first node of each chain), so the misses overlap instead of coming
 * one after the other. Under the lock; only hints. */
static void prefetch_state(const nlog_security_detector *d, sec_ws *w)
{
    if (!d->n_buckets)
        return;
    for (size_t i = 0; i < d->n_rules; i++) {
        if (!w->r[i].use)
            continue;
        uint64_t key = node_key(w->r[i].gh, i);
        __builtin_prefetch(&d->buckets[key & (d->n_buckets - 1)]);
        if (d->n_ghosts)
            __builtin_prefetch(&d->gidx[ghost_home(d, key)]);
    }
    for (size_t k = 0, s = d->ring_w; k < 8 && d->ring_cap; k++, s = s + 1 == d->ring_cap ? 0 : s + 1)
        if (d->ring[s].key)
            __builtin_prefetch(&d->gidx[ghost_home(d, d->ring[s].key)], 1);
    for (size_t i = 0; i < d->n_rules; i++) {
        if (!w->r[i].use)
            continue;
        const node *n = d->buckets[node_key(w->r[i].gh, i) & (d->n_buckets - 1)];
        if (n)
            __builtin_prefetch(n);
    }
}

nlog_status nlog__detector_run(nlog_security_detector *d, const nlog_security_event *ev,
                               nlog__sec_hits **hits)
{
    nlog_security_event e = *ev;
    if (ev->struct_size && ev->struct_size < sizeof e) /* an older, shorter layout */
        memset((char *) &e + ev->struct_size, 0, sizeof e - ev->struct_size);
    sec_ws *w = thread_ws();
    if (w) { /* the view and the patterns without the lock */
        build_view(d, &e, w);
        prepare(d, w);
        pthread_mutex_lock(&d->lock);
    } else { /* no memory for a workspace: everything under the lock */
        pthread_mutex_lock(&d->lock);
        w = &d->fallback;
        build_view(d, &e, w);
        prepare(d, w);
    }
    d->st.events++;
    prefetch_state(d, w);
    const char *limited = NULL, *limited_field = NULL;
    for (size_t i = 0; i < d->n_rules; i++) {
        prep *p = &w->r[i];
        if (p->matched)
            d->st.pattern_matches++;
        if (p->limit) {
            d->st.pattern_errors++;
            if (!d->limit_reported[i]) {
                d->limit_reported[i] = 1;
                limited = d->rules[i].name;
                limited_field = p->matched;
            }
        }
        if (p->use)
            run_rule(d, i, w, hits);
    }
    pthread_mutex_unlock(&d->lock);
    if (limited) /* once per rule and detector; the value is not quoted */
        nlog__diag(NLOG_DIAG_INPUT, NLOG_ELIMIT, 0, limited,
                   "pattern %s: a match limit stopped the scan of field %s; the value was "
                   "treated as a match (counted in pattern_errors; further ones are not "
                   "reported)",
                   limited, limited_field ? limited_field : "?");
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
    d->fallback.text = malloc(FALLBACK_TEXT);
    d->fallback.cap = FALLBACK_TEXT;
    nlog_status st = d->fallback.text
                         ? nlog__rules_compile(cfg, &d->rules, &d->n_rules, why, sizeof why)
                         : NLOG_ENOMEM;
    if (st == NLOG_OK && d->n_rules > NLOG__RULES_MAX) { /* cannot happen: the config caps it */
        nlog__rules_free(d->rules, d->n_rules);
        snprintf(why, sizeof why, "more than %d rules", NLOG__RULES_MAX);
        st = NLOG_ECONFIG;
    }
    if (st != NLOG_OK) {
        nlog__set_errmsg("%s", d->fallback.text ? why : "out of memory");
        free(d->fallback.text);
        free(d);
        return st;
    }
    pthread_mutex_init(&d->lock, NULL);
    nlog__masker_init(&d->masker, cfg, 1);
    size_t rc = cfg->max_record_size > RECORD_MIN ? (size_t) cfg->max_record_size : RECORD_MIN;
    d->value_max = rc + 64; /* what redact.c looks at */
    randombytes_buf(d->hkey, sizeof d->hkey);
    for (int s = 0; s < SEG_COUNT; s++)
        d->seg[s].next = d->seg[s].prev = &d->seg[s];
    d->cap = (size_t) cfg->security_memory_cap;
    d->st.memory_cap = (uint64_t) d->cap;
    ghosts_init(d);
    d->cfg_copy = *cfg;
    *ret = d;
    return NLOG_OK;
}

void nlog_security_detector_destroy(nlog_security_detector *d)
{
    if (!d)
        return;
    for (int s = 0; s < SEG_COUNT; s++) {
        node *n = d->seg[s].next;
        while (n != &d->seg[s]) {
            node *next = n->next;
            free_node(n);
            n = next;
        }
    }
    free(d->buckets);
    free(d->ring);
    free(d->gidx);
    nlog__rules_free(d->rules, d->n_rules);
    free(d->fallback.text);
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
    s.ghosts = d->n_ghosts;
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
           SAME(security_rules) && SAME(max_record_size);
#undef SAME
}
