/* redact.c: see redact.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/pipeline.h"
#include "internal/diag.h"
#include "security/fieldcrypt.h"
#include "security/mask.h"
#include "security/redact.h"

/* What a key asks for, remembered per thread: keys repeat from record to
 * record, and most are short. The key's bytes are kept and compared, so a
 * verdict is never taken for another key. */
#define KEY_CACHE 256
#define KEY_CACHE_LEN 31

typedef struct key_entry {
    uint8_t len;     /* 0: empty */
    uint8_t what;    /* NLOG__KEY_* */
    uint8_t content; /* the key itself holds text to mask */
    char key[KEY_CACHE_LEN];
} key_entry;

struct nlog__redact_ws {
    uint64_t cache_gen;                     /* the redactor the cache was filled for */
    key_entry cache[KEY_CACHE];
    nlog_field fields[NLOG_FIELDS_MAX + 1]; /* + the encryption marker */
    char *arena;                            /* masked and encrypted strings */
    size_t cap, used;
    unsigned char *scratch;                 /* plaintext and ciphertext of one field */
    size_t scratch_cap;
};

struct nlog__redactor {
    nlog__masker m;
    int content;                 /* card numbers or bearer tokens are masked */
    int encrypt;                 /* the recipient key is valid */
    nlog__enc_recipient rcp;
    size_t record_cap;
    size_t lim;                  /* bytes of a string looked at: what can be written, and a
                                    little more so that a number cut at the end is seen */
    uint64_t gen;                /* unique per redactor: tags the key caches */
    nlog__redact_ws batch;
};

static uint64_t generations; /* atomic */

static const char *const group_names[] = {"context", "metadata", "performance_data"};

static pthread_key_t ws_key;
static pthread_once_t ws_once = PTHREAD_ONCE_INIT;
static _Thread_local nlog__redact_ws *mine;
static int oom_reported, nokey_reported;

static void ws_free(nlog__redact_ws *ws)
{
    free(ws->arena);
    if (ws->scratch) {
        memset(ws->scratch, 0, ws->scratch_cap); /* it held plaintext */
        free(ws->scratch);
    }
    ws->arena = NULL;
    ws->scratch = NULL;
    ws->cap = ws->scratch_cap = 0;
}

static void release(void *p)
{
    nlog__redact_ws *ws = p;
    if (ws) {
        ws_free(ws);
        free(ws);
    }
    mine = NULL;
}

static void make_key(void)
{
    (void) pthread_key_create(&ws_key, release);
}

/* Buffers big enough for any record of this redactor; allocated on the
 * first record that needs them. */
static int ws_ready(const nlog__redactor *rd, nlog__redact_ws *ws)
{
    size_t cap = 4 * rd->record_cap + 65536;
    size_t scap = 2 * rd->record_cap + 4096;
    if (ws->arena && ws->cap >= cap && ws->scratch_cap >= scap)
        return 1;
    if (nlog__pipeline_no_alloc)
        return ws->arena != NULL;
    ws_free(ws);
    ws->arena = malloc(cap);
    ws->scratch = malloc(scap);
    if (!ws->arena || !ws->scratch) {
        ws_free(ws);
        if (!__atomic_exchange_n(&oom_reported, 1, __ATOMIC_RELAXED))
            nlog__diag(NLOG_DIAG_INTERNAL, NLOG_ENOMEM, 0, NULL,
                       "out of memory for masking buffers; values to mask are written as ***");
        return 0;
    }
    ws->cap = cap;
    ws->scratch_cap = scap;
    return 1;
}

static char *take(nlog__redact_ws *ws, size_t n)
{
    if (!ws->arena || ws->cap - ws->used < n)
        return NULL;
    char *p = ws->arena + ws->used;
    ws->used += n;
    return p;
}

nlog_status nlog__redactor_create(const nlog_config *cfg, size_t record_cap,
                                  nlog__redactor **ret)
{
    *ret = NULL;
    int content = cfg->mask_card_numbers > 0 || cfg->mask_bearer_tokens > 0;
    int names = cfg->mask_fields.n > 0 || cfg->encrypt_fields.n > 0;
    if (!content && !names)
        return NLOG_OK;
    nlog__redactor *rd = calloc(1, sizeof *rd);
    if (!rd)
        return NLOG_ENOMEM;
    nlog__masker_init(&rd->m, cfg, 1);
    rd->gen = __atomic_add_fetch(&generations, 1, __ATOMIC_RELAXED);
    rd->content = content;
    rd->record_cap = record_cap;
    rd->lim = record_cap + 64;
    if (cfg->encrypt_fields.n > 0) {
        if (cfg->encryption_public_key[0] &&
            nlog__enc_recipient_init(&rd->rcp, cfg->encryption_public_key,
                                     cfg->encryption_batch_records) == NLOG_OK) {
            rd->encrypt = 1;
        } else if (!__atomic_exchange_n(&nokey_reported, 1, __ATOMIC_RELAXED)) {
            nlog__diag(NLOG_DIAG_CONFIG, NLOG_ECONFIG, 0, "encrypt_fields",
                       "encrypt_fields is set but encryption_public_key is not: those fields "
                       "are masked instead (set encryption_public_key to encrypt them)");
        }
    }
    *ret = rd;
    return NLOG_OK;
}

void nlog__redactor_destroy(nlog__redactor *rd)
{
    if (!rd)
        return;
    ws_free(&rd->batch);
    free(rd);
}

static size_t str_len(const nlog_field *f)
{
    return f->len == NLOG_LEN_NUL ? strlen(f->v.s) : f->len;
}

/* The key's verdict (and whether the key's own text needs masking), from
 * the thread's cache when it has it. */
static int key_verdict(const nlog__redactor *rd, nlog__redact_ws *ws, const char *key, size_t klen,
                       int *content)
{
    key_entry *e = NULL;
    if (ws && klen <= KEY_CACHE_LEN && klen > 0) {
        /* first, middle and last bytes and the length pick the slot; the
         * whole key is compared below */
        uint64_t w = (uint64_t) (unsigned char) key[0] | (uint64_t) (unsigned char) key[klen / 2] << 8 |
                     (uint64_t) (unsigned char) key[klen - 1] << 16 | (uint64_t) klen << 24;
        w *= 0x9e3779b97f4a7c15ull;
        if (ws->cache_gen != rd->gen) {
            memset(ws->cache, 0, sizeof ws->cache);
            ws->cache_gen = rd->gen;
        }
        e = &ws->cache[w >> 56];
        if (e->len == klen && memcmp(e->key, key, klen) == 0) {
            *content = e->content;
            return e->what;
        }
    }
    int what = nlog__masker_key(&rd->m, key, klen);
    *content = rd->content && nlog__mask_needed(&rd->m, key, klen < rd->lim ? klen : rd->lim);
    if (e) {
        e->len = (uint8_t) klen;
        e->what = (uint8_t) what;
        e->content = (uint8_t) *content;
        memcpy(e->key, key, klen);
    }
    return what;
}

/* The calling thread's workspace (created on its first record), or the
 * pipeline's for the batch path; NULL if none could be had. */
static nlog__redact_ws *workspace(nlog__redactor *rd, int batched)
{
    if (batched)
        return &rd->batch;
    nlog__redact_ws *ws = mine;
    if (!ws && !nlog__pipeline_no_alloc) {
        (void) pthread_once(&ws_once, make_key);
        ws = calloc(1, sizeof *ws);
        if (ws) {
            mine = ws;
            (void) pthread_setspecific(ws_key, ws);
        }
    }
    return ws;
}

/* Whether anything in the record must change (the fast path's only work). */
static int needs_work(const nlog__redactor *rd, nlog__redact_ws *ws, const nlog__record *r)
{
    const nlog__masker *m = &rd->m;
    if (rd->content &&
        nlog__mask_needed(m, r->message, r->message_len < rd->lim ? r->message_len : rd->lim))
        return 1;
    for (size_t i = 0; i < r->n_fields; i++) {
        const nlog_field *f = &r->fields[i];
        if (f->group == NLOG_GROUP_CATEGORY || !f->key)
            continue;
        int content;
        if (key_verdict(rd, ws, f->key, strlen(f->key), &content) != NLOG__KEY_PLAIN || content)
            return 1;
        if (rd->content && f->type == NLOG_VALUE_STRING && f->v.s) {
            size_t len = str_len(f);
            if (nlog__mask_needed(m, f->v.s, len < rd->lim ? len : rd->lim))
                return 1;
        }
    }
    return 0;
}

/* A masked copy of s[0..len) in the arena, or "***" if there is no room. */
static const char *masked_copy(const nlog__redactor *rd, nlog__redact_ws *ws, const char *s,
                               size_t len, size_t *ret_len)
{
    if (len > rd->lim)
        len = rd->lim;
    char *dst = take(ws, len + 1);
    if (!dst) {
        *ret_len = 3;
        return NLOG__MASKED;
    }
    *ret_len = nlog__mask_copy(&rd->m, s, len, dst);
    dst[*ret_len] = '\0';
    ws->used -= len - *ret_len; /* give back what masking saved */
    return dst;
}

static void set_masked(nlog_field *f)
{
    const char *key = f->key;
    uint8_t group = f->group;
    *f = nlog_field_str(group, key, NLOG__MASKED);
}

const nlog__record *nlog__redact(nlog__redactor *rd, const nlog__record *r, int batched,
                                 nlog__record *out)
{
    if (!rd)
        return r;
    nlog__redact_ws *ws = workspace(rd, batched);
    if (!needs_work(rd, ws, r))
        return r;
    static nlog__redact_ws none; /* no workspace: everything sensitive becomes *** */
    if (!ws || !ws_ready(rd, ws))
        ws = &none;
    else
        ws->used = 0;
    *out = *r;
    size_t n = r->n_fields < NLOG_FIELDS_MAX ? r->n_fields : NLOG_FIELDS_MAX;
    const nlog__masker *m = &rd->m;

    if (rd->content && nlog__mask_needed(m, r->message,
                                         r->message_len < rd->lim ? r->message_len : rd->lim))
        out->message = masked_copy(rd, ws, r->message, r->message_len, &out->message_len);

    nlog_field *fs = ws == &none ? NULL : ws->fields;
    nlog_field local[NLOG_FIELDS_MAX + 1];
    if (!fs)
        fs = local; /* only when no workspace: masks, never encrypts */
    nlog__enc_record enc;
    int enc_state = 0; /* 0 not begun, 1 ready, -1 unavailable */
    for (size_t i = 0; i < n; i++) {
        nlog_field *f = &fs[i];
        *f = r->fields[i];
        if (f->group == NLOG_GROUP_CATEGORY || !f->key)
            continue;
        size_t klen = strlen(f->key);
        int what = nlog__masker_key(m, f->key, klen);
        if (rd->content && nlog__mask_needed(m, f->key, klen)) {
            size_t kl;
            const char *k = masked_copy(rd, ws, f->key, klen, &kl);
            f->key = k;
        }
        if (what == NLOG__KEY_ENCRYPT && f->type != NLOG_VALUE_NULL && rd->encrypt &&
            ws != &none && f->group <= NLOG_GROUP_PERFORMANCE) {
            if (enc_state == 0)
                enc_state = nlog__enc_begin(&rd->rcp, r->time_ns, &enc) == NLOG_OK ? 1 : -1;
            size_t cap = nlog__enc_size(rd->lim) + 8;
            char *dst = enc_state == 1 ? take(ws, cap) : NULL;
            size_t len = dst ? nlog__enc_field(&enc, group_names[f->group], f->key, f, rd->lim,
                                               dst, cap, ws->scratch, ws->scratch_cap)
                             : 0;
            if (len) {
                ws->used -= cap - len - 1;
                uint8_t group = f->group;
                const char *key = f->key;
                *f = nlog_field_strn(group, key, dst, (uint32_t) len);
            } else {
                if (dst)
                    ws->used -= cap;
                set_masked(f); /* never written in clear */
            }
            continue;
        }
        if (what != NLOG__KEY_PLAIN) {
            set_masked(f);
            continue;
        }
        if (rd->content && f->type == NLOG_VALUE_STRING && f->v.s) {
            size_t len = str_len(f);
            if (nlog__mask_needed(m, f->v.s, len < rd->lim ? len : rd->lim)) {
                size_t ml;
                const char *s = masked_copy(rd, ws, f->v.s, len, &ml);
                uint8_t group = f->group;
                const char *key = f->key;
                *f = nlog_field_strn(group, key, s, (uint32_t) ml);
            }
        }
    }
    if (enc_state == 1) {
        size_t ml = strlen(enc.marker);
        char *dst = take(ws, ml + 1);
        if (dst) {
            memcpy(dst, enc.marker, ml + 1);
            fs[n++] = nlog_field_str(NLOG_GROUP_METADATA, NLOG__ENC_MARKER_KEY, dst);
        }
    }
    if (fs == local) {
        /* Without a workspace the fields cannot outlive this frame: write
         * the record with the message masked and no fields at all rather
         * than risk a value in clear. */
        out->fields = NULL;
        out->n_fields = 0;
        return out;
    }
    out->fields = fs;
    out->n_fields = n;
    return out;
}
