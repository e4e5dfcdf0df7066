/* codec.c: see codec.h. Both directions are straight-line copies; the
 * producer side runs on the calling thread and must stay short: one strlen
 * per string, one memcpy per string, no branches on content. */
#include <string.h>

#include "async/codec.h"
#include "core/logger_impl.h"

/* Copies n bytes; short copies (the usual keys and values) avoid a call. */
static inline void copy(char *dst, const char *src, size_t n)
{
    if (n >= 8 && n <= 16) {
        uint64_t a, b;
        memcpy(&a, src, 8);
        memcpy(&b, src + n - 8, 8);
        memcpy(dst, &a, 8);
        memcpy(dst + n - 8, &b, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t a, b;
        memcpy(&a, src, 4);
        memcpy(&b, src + n - 4, 4);
        memcpy(dst, &a, 4);
        memcpy(dst + n - 4, &b, 4);
    } else if (n < 4) {
        for (size_t i = 0; i < n; i++)
            dst[i] = src[i];
    } else {
        memcpy(dst, src, n);
    }
}

static size_t take(size_t want, size_t *budget)
{
    size_t got = want < *budget ? want : *budget;
    *budget -= got;
    return got;
}

uint32_t nlog__qrec_measure(const nlog__qcall *c, size_t budget, nlog__qlens *L)
{
    size_t m = take(c->msg_len, &budget);
    L->cut = c->truncated | (m < c->msg_len);
    L->msg = (uint32_t) m;
    size_t size = sizeof(nlog__qrec) + m;
    uint32_t n = 0;
    for (size_t i = 0; i < c->n_fields; i++) {
        const nlog_field *f = &c->fields[i];
        if (f->group > NLOG_GROUP_PERFORMANCE)
            continue;
        size_t kl = f->key ? strlen(f->key) : 0;
        if (kl > NLOG__QKEY_MAX)
            kl = NLOG__QKEY_MAX;
        size_t sl = 0;
        if (f->type == NLOG_VALUE_STRING) {
            size_t want = f->len == NLOG_LEN_NUL ? strlen(f->v.s) : f->len;
            sl = take(want, &budget);
            L->cut |= sl < want;
        }
        L->key[i] = (uint16_t) kl;
        L->str[i] = (uint32_t) sl;
        size += sizeof(nlog__qfield) + kl + 1 + sl;
        n++;
    }
    L->n_real = n;
    return (uint32_t) ((size + 7) & ~(size_t) 7);
}

void nlog__qrec_write(void *dst, uint32_t size, const nlog__qcall *c, const nlog__qlens *L)
{
    nlog__qrec *q = dst;
    q->h.size = size;
    q->h.kind = NLOG__QKIND_RECORD;
    /* dense index of a valid level: TRACE (5) is 0, the others are level/10 */
    q->h.level_index = (uint8_t) (c->level < 10 ? 0 : c->level / 10);
    q->h.reserved = 0;
    q->level = (int32_t) c->level;
    q->line = c->site ? c->site->line : 0;
    q->time_ns = c->time_ns;
    q->logger = c->logger;
    q->file = c->site ? c->site->file : NULL;
    q->function = c->site ? c->site->function : NULL;
    q->msg_len = L->msg;
    q->n_fields = (uint16_t) L->n_real;
    q->category = (uint16_t) c->category;
    q->truncated = (uint32_t) L->cut;
    q->reserved = 0;
    q->tid = c->tid;

    nlog__qfield *o = (nlog__qfield *) (q + 1);
    char *p = (char *) (o + L->n_real);
    copy(p, c->msg, L->msg);
    p += L->msg;
    for (size_t i = 0; i < c->n_fields; i++) {
        const nlog_field *f = &c->fields[i];
        if (f->group > NLOG_GROUP_PERFORMANCE)
            continue;
        size_t kl = L->key[i];
        o->group = f->group;
        o->type = f->type;
        o->key_len = (uint16_t) kl;
        o->str_len = L->str[i];
        /* every value type is 8 bytes wide: copy the union as it is */
        memcpy(&o->v, &f->v, sizeof o->v);
        o++;
        copy(p, f->key ? f->key : "", kl);
        p[kl] = '\0';
        p += kl + 1;
        if (f->type == NLOG_VALUE_STRING) {
            copy(p, f->v.s, L->str[i]);
            p += L->str[i];
        }
    }
}

nlog_category nlog__qrec_read(const void *entry, nlog__record *r, nlog_field *fields, int64_t pid)
{
    const nlog__qrec *q = entry;
    const nlog__qfield *qf = (const nlog__qfield *) (q + 1);
    const char *p = (const char *) (qf + q->n_fields);
    nlog_category cat = (nlog_category) q->category;
    const char *cat_name = nlog_category_name(cat);
    r->time_ns = q->time_ns;
    r->level = (nlog_level) q->level;
    r->category = cat_name ? cat_name : "application";
    r->logger = q->logger->name;
    r->logger_len = q->logger->name_len;
    r->message = p;
    r->message_len = q->msg_len;
    p += q->msg_len;
    r->file = q->file;
    r->function = q->function;
    r->line = q->line;
    r->pid = pid;
    r->tid = q->tid;
    size_t n = q->n_fields < NLOG_FIELDS_MAX ? q->n_fields : NLOG_FIELDS_MAX;
    for (size_t i = 0; i < n; i++) {
        nlog_field *f = &fields[i];
        f->group = qf[i].group;
        f->type = qf[i].type;
        f->key = p;
        p += qf[i].key_len + 1;
        f->len = 0;
        switch (f->type) {
        case NLOG_VALUE_STRING:
            f->v.s = p;
            f->len = qf[i].str_len;
            p += qf[i].str_len;
            break;
        case NLOG_VALUE_BOOL: f->v.b = qf[i].v.b; break;
        case NLOG_VALUE_INT: f->v.i = qf[i].v.i; break;
        case NLOG_VALUE_UINT: f->v.u = qf[i].v.u; break;
        case NLOG_VALUE_DOUBLE: f->v.d = qf[i].v.d; break;
        case NLOG_VALUE_POINTER: f->v.p = qf[i].v.p; break;
        default: break;
        }
    }
    r->fields = fields;
    r->n_fields = n;
    return cat_name ? cat : NLOG_CAT_APPLICATION;
}
