/* codec.c: the general path of codec.h (strings that must be copied) and the
 * writer-side decoding. The fast path is inline in codec.h. */
#include <string.h>

#include "async/codec.h"
#include "core/logger_impl.h"

static size_t take(size_t want, size_t *budget)
{
    size_t got = want < *budget ? want : *budget;
    *budget -= got;
    return got;
}

/* Bytes of a NUL-terminated site string to copy, or NLOG__QKEEP32 if it is
 * kept as a pointer (static or NULL). */
static uint32_t site_len(const char *s)
{
    if (!s || nlog__is_static(s))
        return NLOG__QKEEP32;
    size_t n = strlen(s);
    return (uint32_t) (n > NLOG__QKEY_MAX ? NLOG__QKEY_MAX : n);
}

uint32_t nlog__qrec_measure(const nlog__qcall *c, size_t budget, nlog__qlens *L)
{
    size_t size = sizeof(nlog__qrec) + c->n_fields * sizeof(nlog__qfield);
    L->flags = c->truncated ? NLOG__QF_TRUNC : 0;
    L->file = site_len(c->site ? c->site->file : NULL);
    L->function = site_len(c->site ? c->site->function : NULL);
    if (L->file != NLOG__QKEEP32) {
        L->flags |= NLOG__QF_FILE;
        size += L->file + 1;
    }
    if (L->function != NLOG__QKEEP32) {
        L->flags |= NLOG__QF_FUNCTION;
        size += L->function + 1;
    }
    if (nlog__is_static(c->msg)) {
        L->msg = NLOG__QKEEP32;
    } else {
        size_t m = take(c->msg_len, &budget);
        if (m < c->msg_len)
            L->flags |= NLOG__QF_TRUNC;
        L->msg = (uint32_t) m;
        L->flags |= NLOG__QF_MSG;
        size += m;
    }
    for (size_t i = 0; i < c->n_fields; i++) {
        const nlog_field *f = &c->fields[i];
        L->key[i] = NLOG__QKEEP16;
        L->str[i] = NLOG__QKEEP32;
        if (f->group > NLOG_GROUP_PERFORMANCE)
            continue; /* category (or unknown) entries carry no strings */
        if (f->key && !nlog__is_static(f->key)) {
            size_t kl = strlen(f->key);
            if (kl > NLOG__QKEY_MAX)
                kl = NLOG__QKEY_MAX;
            L->key[i] = (uint16_t) kl;
            size += kl + 1;
        }
        if (f->type == NLOG_VALUE_STRING && f->v.s && !nlog__is_static(f->v.s)) {
            size_t want = f->len == NLOG_LEN_NUL ? strlen(f->v.s) : f->len;
            size_t sl = take(want, &budget);
            if (sl < want)
                L->flags |= NLOG__QF_TRUNC;
            L->str[i] = (uint32_t) sl;
            size += sl;
        }
    }
    return (uint32_t) ((size + 7) & ~(size_t) 7);
}

/* Copies n bytes to the entry's tail and returns their offset. */
static uintptr_t put(char *base, size_t *pos, const char *s, size_t n, int nul)
{
    uintptr_t off = *pos;
    memcpy(base + off, s, n);
    if (nul)
        base[off + n] = '\0';
    *pos += n + (nul ? 1 : 0);
    return off;
}

void nlog__qrec_write(void *dst, uint32_t size, const nlog__qcall *c, const nlog__qlens *L)
{
    nlog__qrec *q = dst;
    char *base = dst;
    size_t pos = sizeof(nlog__qrec) + c->n_fields * sizeof(nlog__qfield);
    q->h.size = size;
    q->h.kind = NLOG__QKIND_RECORD;
    q->h.level_index = (uint8_t) c->level_index;
    q->h.reserved = 0;
    q->time = c->time;
    q->logger = c->logger;
    q->line = c->site ? c->site->line : 0;
    q->n_fields = (uint32_t) c->n_fields;
    q->flags = L->flags | c->time_flags;
    if (!(L->flags & (NLOG__QF_FILE | NLOG__QF_FUNCTION | NLOG__QF_MSG)))
        q->flags |= NLOG__QF_STATIC; /* cleared below if a field's string is copied */
    const char *file = c->site ? c->site->file : NULL;
    const char *function = c->site ? c->site->function : NULL;
    q->file = (L->flags & NLOG__QF_FILE) ? (const char *) put(base, &pos, file, L->file, 1) : file;
    q->function = (L->flags & NLOG__QF_FUNCTION)
                      ? (const char *) put(base, &pos, function, L->function, 1)
                      : function;
    if (L->flags & NLOG__QF_MSG) {
        q->msg = (const char *) put(base, &pos, c->msg, L->msg, 0);
        q->msg_len = L->msg;
    } else {
        q->msg = c->msg;
        q->msg_len = (uint32_t) c->msg_len;
    }
    nlog__qfield *o = (nlog__qfield *) (q + 1);
    for (size_t i = 0; i < c->n_fields; i++) {
        const nlog_field *f = &c->fields[i];
        memcpy(&o[i], f, sizeof *f);
        o[i].flags = 0;
        if (L->key[i] != NLOG__QKEEP16) {
            o[i].key = (const char *) put(base, &pos, f->key, L->key[i], 1);
            o[i].flags |= NLOG__QFF_KEY;
            q->flags &= ~NLOG__QF_STATIC;
        }
        if (L->str[i] != NLOG__QKEEP32) {
            o[i].v.s = (const char *) put(base, &pos, f->v.s, L->str[i], 0);
            o[i].len = L->str[i];
            o[i].flags |= NLOG__QFF_STR;
            q->flags &= ~NLOG__QF_STATIC;
        }
    }
    memset(base + pos, 0, size - pos); /* padding */
}

static const char *at(const char *base, const char *slot, int copied)
{
    return copied ? base + (uintptr_t) slot : slot;
}

nlog_category nlog__qrec_read(const void *entry, nlog__record *r, nlog_field *fields, int64_t pid,
                              int64_t tid)
{
    const nlog__qrec *q = entry;
    const char *base = entry;
    const nlog__qfield *qf = (const nlog__qfield *) (q + 1);
    r->time_ns = q->time;
    r->level = nlog_level_from_index(q->h.level_index);
    r->logger = q->logger->name;
    r->logger_len = q->logger->name_len;
    r->message = at(base, q->msg, q->flags & NLOG__QF_MSG);
    r->message_len = q->msg_len == NLOG_LEN_NUL ? strlen(r->message) : q->msg_len;
    r->file = at(base, q->file, q->flags & NLOG__QF_FILE);
    r->function = at(base, q->function, q->flags & NLOG__QF_FUNCTION);
    r->line = q->line;
    r->pid = pid;
    r->tid = tid;
    r->flags = (q->flags & NLOG__QF_STATIC) ? NLOG__REC_STATIC : 0;
    nlog_category cat = NLOG_CAT_APPLICATION;
    const nlog_field *view = fields;
    size_t n = 0, total = q->n_fields < NLOG_FIELDS_MAX ? q->n_fields : NLOG_FIELDS_MAX;
    if (q->flags & NLOG__QF_STATIC) {
        /* Nothing was copied: the entry's field array is the caller's, in
         * nlog_field layout, and is used in place (the encoders skip the
         * category entries themselves). */
        for (size_t i = 0; i < total; i++)
            if (qf[i].group == NLOG_GROUP_CATEGORY)
                cat = (nlog_category) qf[i].v.i;
        view = (const nlog_field *) (const void *) qf;
        n = total;
        total = 0;
    }
    for (size_t i = 0; i < total; i++) {
        if (qf[i].group == NLOG_GROUP_CATEGORY) {
            cat = (nlog_category) qf[i].v.i;
            continue;
        }
        nlog_field *f = &fields[n++];
        memcpy(f, &qf[i], sizeof *f);
        f->key = at(base, qf[i].key, qf[i].flags & NLOG__QFF_KEY);
        if (qf[i].flags & NLOG__QFF_STR)
            f->v.s = base + (uintptr_t) qf[i].v.s;
    }
    const char *cat_name = nlog_category_name(cat);
    if (!cat_name) { /* refused (and reported) by the calling thread */
        cat = NLOG_CAT_APPLICATION;
        cat_name = "application";
    }
    r->category = cat_name;
    r->fields = view;
    r->n_fields = n;
    return cat;
}
