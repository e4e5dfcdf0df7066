/* json_cache.c: see json_cache.h.
 *
 * Direct-mapped, 128 slots. A slot holds the identity of its call site —
 * every input of the encoder that is not a hole: the pointers of the
 * logger name, message, function and category, the level, line, process and
 * thread ids, and per field its key pointer, group, type and (for strings)
 * value pointer and length — and the template. A lookup compares all of it,
 * so two call sites that hash alike just take turns; pointers may be
 * compared because NLOG__REC_STATIC strings never move or change.
 * Invariant: a slot with n_holes > 0 or len > 0 is complete and valid. */
#include <stdlib.h>
#include <string.h>

#include "format/json.h"
#include "format/json_cache.h"
#include "format/timefmt.h"

#define SLOTS 128            /* power of two */
#define TPL_MAX 1024         /* bytes of one template */
#define FIELDS_MAX 16        /* fields of a cacheable record */
#define HOLES_MAX (FIELDS_MAX + 1)

typedef struct site_field {
    const char *key;
    const char *str; /* string value, or NULL */
    uint32_t len;
    uint8_t group, type;
} site_field;

typedef struct slot {
    /* identity */
    const char *logger, *message, *function, *category;
    size_t message_len;
    int64_t pid, tid;
    int32_t line;
    int16_t level;
    uint16_t n_fields; /* 0xFFFF: empty slot */
    site_field fields[FIELDS_MAX];
    /* template */
    uint16_t len, n_holes;
    nlog__json_hole holes[HOLES_MAX];
    char text[TPL_MAX];
} slot;

struct nlog__json_cache {
    uint64_t hits, misses;
    slot slots[SLOTS];
};

nlog__json_cache *nlog__json_cache_create(void)
{
    nlog__json_cache *c = malloc(sizeof *c);
    if (!c)
        return NULL;
    c->hits = c->misses = 0;
    for (size_t i = 0; i < SLOTS; i++)
        c->slots[i].n_fields = 0xFFFF;
    return c;
}

void nlog__json_cache_destroy(nlog__json_cache *c)
{
    free(c);
}

void nlog__json_cache_stats(const nlog__json_cache *c, uint64_t *ret_hits, uint64_t *ret_misses)
{
    *ret_hits = c ? c->hits : 0;
    *ret_misses = c ? c->misses : 0;
}

static inline const char *field_str(const nlog_field *f)
{
    return f->type == NLOG_VALUE_STRING ? f->v.s : NULL;
}

static inline int same_site(const slot *s, const nlog__record *r)
{
    if (s->n_fields != r->n_fields || s->message != r->message || s->function != r->function ||
        s->line != r->line || s->logger != r->logger || s->tid != r->tid ||
        s->category != r->category || s->level != (int16_t) r->level || s->pid != r->pid ||
        s->message_len != r->message_len)
        return 0;
    for (size_t i = 0; i < r->n_fields; i++) {
        const nlog_field *f = &r->fields[i];
        const site_field *g = &s->fields[i];
        if (g->key != f->key || g->group != f->group || g->type != f->type)
            return 0;
        if (f->type == NLOG_VALUE_STRING && (g->str != f->v.s || g->len != f->len))
            return 0;
    }
    return 1;
}

static void remember(slot *s, const nlog__record *r)
{
    s->logger = r->logger;
    s->message = r->message;
    s->message_len = r->message_len;
    s->function = r->function;
    s->category = r->category;
    s->pid = r->pid;
    s->tid = r->tid;
    s->line = (int32_t) r->line;
    s->level = (int16_t) r->level;
    for (size_t i = 0; i < r->n_fields; i++) {
        const nlog_field *f = &r->fields[i];
        s->fields[i] = (site_field){.key = f->key, .str = field_str(f), .len = f->len,
                                    .group = f->group, .type = f->type};
    }
    s->n_fields = (uint16_t) r->n_fields;
}

static inline slot *slot_of(nlog__json_cache *c, const nlog__record *r)
{
    uintptr_t h = (uintptr_t) r->message ^ ((uintptr_t) r->function << 7) ^
                  ((uintptr_t) r->line << 17) ^ (uintptr_t) r->tid;
    return &c->slots[(h * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - 7)];
}

int nlog__json_cache_knows(nlog__json_cache *c, const nlog__record *r)
{
    return c && (r->flags & NLOG__REC_STATIC) && r->n_fields <= FIELDS_MAX &&
           same_site(slot_of(c, r), r);
}

size_t nlog__json_encode_cached(nlog__json_cache *c, const nlog__record *r, char *out, size_t cap,
                                int *ret_truncated)
{
    if (!c || !(r->flags & NLOG__REC_STATIC) || r->n_fields > FIELDS_MAX)
        return nlog__json_encode(r, out, cap, ret_truncated);
    slot *s = slot_of(c, r);
    if (NLOG_LIKELY(same_site(s, r))) {
        c->hits++;
    } else {
        c->misses++;
        s->n_fields = 0xFFFF; /* empty until complete */
        size_t n_holes = 0;
        size_t len = nlog__json_template(r, s->text, TPL_MAX, s->holes, HOLES_MAX, &n_holes);
        if (len == 0)
            return nlog__json_encode(r, out, cap, ret_truncated);
        s->len = (uint16_t) len;
        s->n_holes = (uint16_t) n_holes;
        remember(s, r);
    }
    /* The values must fit whole, or the record takes the encoder's cutting. */
    if ((size_t) s->len + (size_t) s->n_holes * NLOG__JSON_HOLE_MAX > cap)
        return nlog__json_encode(r, out, cap, ret_truncated);
    *ret_truncated = 0;
    return nlog__json_fill(s->text, s->len, s->holes, s->n_holes, r, out);
}
