/* codec.c: see codec.h. Both directions are straight-line copies; the
 * producer side runs on the calling thread and must stay short: one strlen
 * per string, one memcpy per string, no branches on content. */
#include <string.h>

#include "async/codec.h"
#include "core/logger_impl.h"

static size_t str_len(const nlog_field *f)
{
    if (f->type != NLOG_VALUE_STRING)
        return 0;
    return f->len == NLOG_LEN_NUL ? strlen(f->v.s) : f->len;
}

static size_t key_len(const nlog_field *f)
{
    if (!f->key)
        return 0;
    size_t n = strlen(f->key);
    return n > NLOG__QKEY_MAX ? NLOG__QKEY_MAX : n;
}

static size_t take(size_t want, size_t *budget)
{
    size_t got = want < *budget ? want : *budget;
    *budget -= got;
    return got;
}

uint32_t nlog__qrec_size(const nlog__qcall *c, size_t budget)
{
    size_t size = sizeof(nlog__qrec) + take(c->msg_len, &budget);
    for (size_t i = 0; i < c->n_fields; i++) {
        const nlog_field *f = &c->fields[i];
        if (f->group > NLOG_GROUP_PERFORMANCE)
            continue;
        size += sizeof(nlog__qfield) + key_len(f) + 1 + take(str_len(f), &budget);
    }
    return (uint32_t) ((size + 7) & ~(size_t) 7);
}

void nlog__qrec_write(void *dst, uint32_t size, const nlog__qcall *c, size_t budget)
{
    nlog__qrec *q = dst;
    q->h.size = size;
    q->h.kind = NLOG__QKIND_RECORD;
    q->h.level_index = (uint8_t) nlog_level_index(c->level);
    q->h.reserved = 0;
    q->level = (int32_t) c->level;
    q->line = c->site ? c->site->line : 0;
    q->time_ns = c->time_ns;
    q->logger = c->logger;
    q->file = c->site ? c->site->file : NULL;
    q->function = c->site ? c->site->function : NULL;
    q->category = (uint16_t) c->category;
    q->tid = c->tid;
    q->reserved = 0;
    int cut = c->truncated;

    /* category fields travel in q->category, not as fields */
    size_t n_real = 0;
    for (size_t i = 0; i < c->n_fields; i++)
        n_real += c->fields[i].group <= NLOG_GROUP_PERFORMANCE;
    nlog__qfield *qf = (nlog__qfield *) (q + 1);
    char *p = (char *) (qf + n_real);
    size_t m = take(c->msg_len, &budget);
    cut |= m < c->msg_len;
    memcpy(p, c->msg, m);
    q->msg_len = (uint32_t) m;
    p += m;

    uint16_t n = 0;
    for (size_t i = 0; i < c->n_fields; i++) {
        const nlog_field *f = &c->fields[i];
        if (f->group > NLOG_GROUP_PERFORMANCE)
            continue;
        nlog__qfield *o = &qf[n++];
        o->group = f->group;
        o->type = f->type;
        size_t kl = key_len(f);
        o->key_len = (uint16_t) kl;
        if (kl)
            memcpy(p, f->key, kl);
        p[kl] = '\0';
        p += kl + 1;
        o->v.u = 0;
        if (f->type == NLOG_VALUE_STRING) {
            size_t want = str_len(f);
            size_t sl = take(want, &budget);
            cut |= sl < want;
            memcpy(p, f->v.s, sl);
            p += sl;
            o->str_len = (uint32_t) sl;
        } else {
            o->str_len = 0;
            switch (f->type) {
            case NLOG_VALUE_BOOL: o->v.b = f->v.b; break;
            case NLOG_VALUE_INT: o->v.i = f->v.i; break;
            case NLOG_VALUE_UINT: o->v.u = f->v.u; break;
            case NLOG_VALUE_DOUBLE: o->v.d = f->v.d; break;
            case NLOG_VALUE_POINTER: o->v.p = f->v.p; break;
            default: break;
            }
        }
    }
    q->n_fields = n;
    q->truncated = (uint32_t) cut;
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
