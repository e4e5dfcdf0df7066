/* fieldcrypt.c: see fieldcrypt.h. The encrypting half runs where records are
 * encoded (redact.c); the decrypting half (nlog_decryptor) is public, for
 * `nlog decrypt` and for programs that read their own logs. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/core.h"
#include "core/pipeline.h"
#include "format/json.h"
#include "format/numfmt.h"
#include "platform/platform.h"
#include "security/fieldcrypt.h"
#include "security/sec_internal.h"

#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define KEY_BYTES crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define AD_MAX (14 + 8 + 8 + 8 + 8 + 32 + 1 + 1024)

static const char ad_tag[] = "nlog-field-v1"; /* with its NUL: 14 bytes */

static void hex8(const unsigned char *b, char *out)
{
    static const char h[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++) {
        out[2 * i] = h[b[i] >> 4];
        out[2 * i + 1] = h[b[i] & 15];
    }
    out[16] = '\0';
}

static int unhex8(const char *s, size_t len, unsigned char *out)
{
    size_t n = 0;
    return len == 16 && sodium_hex2bin(out, 8, s, 16, NULL, &n, NULL) == 0 && n == 8;
}

static void recipient_id(const unsigned char *pk, unsigned char rk[8])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, pk, crypto_box_PUBLICKEYBYTES, NULL, 0);
    memcpy(rk, h, 8);
}

nlog_status nlog__enc_recipient_init(nlog__enc_recipient *r, const char *key_b64,
                                     int batch_records)
{
    size_t n = 0;
    memset(r, 0, sizeof *r);
    if (sodium_init() < 0)
        return NLOG_ENOMEM;
    if (!key_b64 || sodium_base642bin(r->pk, sizeof r->pk, key_b64, strlen(key_b64), NULL, &n,
                                      NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        n != sizeof r->pk)
        return NLOG_EINVAL;
    recipient_id(r->pk, r->rk);
    r->batch_records = batch_records > 0 ? batch_records : 1000;
    return NLOG_OK;
}

/* ---- per-thread data keys ------------------------------------------------ */

typedef struct enc_state {
    unsigned char pk[crypto_box_PUBLICKEYBYTES]; /* the recipient it was made for */
    unsigned char key[KEY_BYTES];
    unsigned char dk[8];
    char wrapped[sodium_base64_ENCODED_LEN(NLOG__ENC_WRAPPED_BYTES,
                                           sodium_base64_VARIANT_ORIGINAL)];
    uint64_t seq;
    unsigned char nonce_prefix[16]; /* random per data key ... */
    uint64_t nonce_ctr;             /* ... and a counter: nonces never repeat under a key */
    int64_t born_ns;
    int64_t pid;
    int valid;
    int wipes_on_fork; /* the page is MADV_WIPEONFORK: a child sees it zeroed */
} enc_state;

static pthread_key_t state_key;
static pthread_once_t state_once = PTHREAD_ONCE_INIT;
static _Thread_local enc_state *mine;

/* The state lives in a page of its own, locked in memory where the limits
 * allow (keys never reach swap) and marked MADV_WIPEONFORK: the kernel hands
 * any child — of fork(), _Fork(), clone() — a zeroed page, so a child can
 * never continue the parent's data key and nonce counter, even when no
 * atfork handler ran to tell the pid cache. Where the kernel lacks it
 * (before Linux 4.14), each record compares getpid() itself. */
static size_t state_bytes(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    size_t page = pg > 0 ? (size_t) pg : 4096;
    return (sizeof(enc_state) + page - 1) / page * page;
}

static enc_state *state_alloc(void)
{
    size_t n = state_bytes();
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    (void) mlock(p, n); /* best effort: RLIMIT_MEMLOCK may refuse */
    (void) madvise(p, n, MADV_DONTDUMP);
    enc_state *s = p;
    s->wipes_on_fork = madvise(p, n, MADV_WIPEONFORK) == 0;
    return s;
}

static void release(void *p)
{
    enc_state *s = p;
    if (s) {
        size_t n = state_bytes();
        sodium_memzero(s, n);
        (void) munlock(s, n);
        (void) munmap(s, n);
    }
    mine = NULL;
}

/* The process the state must belong to. */
static int64_t current_pid(const enc_state *s)
{
    return s->wipes_on_fork ? nlog__process_id() : (int64_t) getpid();
}

static void make_key(void)
{
    (void) pthread_key_create(&state_key, release);
}

static nlog_status renew(enc_state *s, const nlog__enc_recipient *r)
{
    unsigned char wrapped[NLOG__ENC_WRAPPED_BYTES];
    sodium_memzero(s->key, sizeof s->key);
    crypto_aead_xchacha20poly1305_ietf_keygen(s->key);
    randombytes_buf(s->dk, sizeof s->dk);
    randombytes_buf(s->nonce_prefix, sizeof s->nonce_prefix);
    s->nonce_ctr = 0;
    if (crypto_box_seal(wrapped, s->key, sizeof s->key, r->pk) != 0) {
        s->valid = 0;
        return NLOG_EIO;
    }
    sodium_bin2base64(s->wrapped, sizeof s->wrapped, wrapped, sizeof wrapped,
                      sodium_base64_VARIANT_ORIGINAL);
    memcpy(s->pk, r->pk, sizeof s->pk);
    s->seq = 0;
    s->born_ns = nlog__clock_monotonic_ns();
    if (!s->wipes_on_fork) /* a child's page came zeroed: mark it again */
        s->wipes_on_fork = madvise(s, state_bytes(), MADV_WIPEONFORK) == 0;
    s->pid = current_pid(s);
    s->valid = 1;
    return NLOG_OK;
}

nlog_status nlog__enc_begin(const nlog__enc_recipient *r, int64_t time_ns, nlog__enc_record *rec)
{
    enc_state *s = mine;
    if (!s) {
        /* a fatal-signal drain (async.c) must not allocate: a thread with no
         * data key yet gets its encrypted fields masked instead */
        if (nlog__pipeline_no_alloc)
            return NLOG_ENOMEM;
        (void) pthread_once(&state_once, make_key);
        s = state_alloc();
        if (!s)
            return NLOG_ENOMEM;
        mine = s;
        (void) pthread_setspecific(state_key, s);
    }
    /* A new data key per batch, for another recipient, when the key is old,
     * and in a child after fork() (which must never reuse the parent's key
     * and nonces: its page comes zeroed, so valid is 0, and the pid check
     * covers kernels without MADV_WIPEONFORK). */
    if (!s->valid || s->seq >= (uint64_t) r->batch_records ||
        memcmp(s->pk, r->pk, sizeof s->pk) != 0 || s->pid != current_pid(s) ||
        nlog__clock_monotonic_ns() - s->born_ns > NLOG__ENC_KEY_AGE_NS) {
        nlog_status st = renew(s, r);
        if (st != NLOG_OK)
            return st;
    }
    char rk[17], dk[17];
    hex8(r->rk, rk);
    hex8(s->dk, dk);
    rec->key = s->key;
    rec->nonce_prefix = s->nonce_prefix;
    rec->nonce_ctr = &s->nonce_ctr;
    memcpy(rec->dk, s->dk, 8);
    rec->seq = s->seq++;
    rec->rk = r->rk;
    rec->time_us = nlog__sec_floor_us(time_ns) / 1000;
    snprintf(rec->marker, sizeof rec->marker, "1.%s.%s.%llu.%s", rk, dk,
             (unsigned long long) rec->seq, s->wrapped);
    return NLOG_OK;
}

static size_t build_ad(unsigned char *ad, const unsigned char *rk, const unsigned char *dk,
                       uint64_t seq, int64_t time_us, const char *group, const char *key)
{
    size_t n = 0, gl = strlen(group), kl = strlen(key);
    if (kl > 1024)
        kl = 1024;
    memcpy(ad + n, ad_tag, sizeof ad_tag);
    n += sizeof ad_tag;
    memcpy(ad + n, rk, 8);
    n += 8;
    memcpy(ad + n, dk, 8);
    n += 8;
    for (int i = 0; i < 8; i++)
        ad[n++] = (unsigned char) (seq >> (8 * i));
    uint64_t t = (uint64_t) time_us;
    for (int i = 0; i < 8; i++)
        ad[n++] = (unsigned char) (t >> (8 * i));
    memcpy(ad + n, group, gl);
    n += gl;
    ad[n++] = 0;
    memcpy(ad + n, key, kl);
    n += kl;
    return n;
}

size_t nlog__enc_size(size_t plain)
{
    return sizeof NLOG__ENC_PREFIX +
           sodium_base64_ENCODED_LEN(NONCE_BYTES + plain + 1 + TAG_BYTES,
                                     sodium_base64_VARIANT_ORIGINAL);
}

size_t nlog__enc_field(const nlog__enc_record *rec, const char *group, const char *key,
                       const nlog_field *f, size_t max_plain, char *out, size_t cap,
                       unsigned char *scratch, size_t scratch_cap)
{
    unsigned char ad[AD_MAX];
    size_t plen = 1;
    if (scratch_cap < 80)
        return 0;
    unsigned char *p = scratch;
    switch (f->type) {
    case NLOG_VALUE_STRING: {
        size_t len = !f->v.s ? 0 : f->len == NLOG_LEN_NUL ? strlen(f->v.s) : f->len;
        if (len > max_plain)
            len = max_plain;
        p[0] = f->v.s ? 's' : 'n';
        if (len + 1 > scratch_cap / 2)
            return 0;
        memcpy(p + 1, f->v.s ? f->v.s : "", len);
        plen += len;
        break;
    }
    case NLOG_VALUE_INT:
        p[0] = 'i';
        plen += nlog__fmt_i64((char *) p + 1, f->v.i);
        break;
    case NLOG_VALUE_UINT:
        p[0] = 'u';
        plen += nlog__fmt_u64((char *) p + 1, f->v.u);
        break;
    case NLOG_VALUE_DOUBLE:
        p[0] = 'd';
        plen += nlog__fmt_double((char *) p + 1, f->v.d);
        if (plen == 5 && memcmp(p + 1, "null", 4) == 0) {
            p[0] = 'n';
            plen = 1;
        }
        break;
    case NLOG_VALUE_BOOL:
        p[0] = 'b';
        p[1] = f->v.b ? '1' : '0';
        plen = 2;
        break;
    case NLOG_VALUE_POINTER:
        p[0] = 's';
        p[1] = '0';
        p[2] = 'x';
        plen = 3 + nlog__fmt_hex64((char *) p + 3, (uint64_t) (uintptr_t) f->v.p);
        break;
    default:
        p[0] = 'n';
        break;
    }
    unsigned char *c = scratch + plen;
    size_t need = NONCE_BYTES + plen + TAG_BYTES;
    if (plen + need > scratch_cap || nlog__enc_size(plen) > cap)
        return 0;
    /* XChaCha20's 192-bit nonce: 16 random bytes of the data key and a
     * counter (a system call per field for 24 random bytes would cost more
     * than the encryption) */
    memcpy(c, rec->nonce_prefix, 16);
    uint64_t ctr = (*rec->nonce_ctr)++;
    for (int i = 0; i < 8; i++)
        c[16 + i] = (unsigned char) (ctr >> (8 * i));
    size_t adlen = build_ad(ad, rec->rk, rec->dk, rec->seq, rec->time_us, group, key);
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(c + NONCE_BYTES, &clen, p, plen, ad, adlen, NULL,
                                               c, rec->key);
    sodium_memzero(p, plen);
    memcpy(out, NLOG__ENC_PREFIX, sizeof NLOG__ENC_PREFIX - 1);
    size_t o = sizeof NLOG__ENC_PREFIX - 1;
    /* exactly the room needed: sodium_bin2base64() zeroes the rest of the
     * buffer it is given */
    size_t b64 = sodium_base64_ENCODED_LEN(NONCE_BYTES + (size_t) clen,
                                           sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(out + o, b64, c, NONCE_BYTES + (size_t) clen,
                      sodium_base64_VARIANT_ORIGINAL);
    return o + b64 - 1;
}

/* ---- public: keys and decryption ----------------------------------------- */

nlog_status nlog_encryption_keypair(char public_b64[NLOG_ENCRYPTION_KEY_B64_SIZE],
                                    char secret_b64[NLOG_ENCRYPTION_KEY_B64_SIZE])
{
    unsigned char pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
    if (!public_b64 || !secret_b64)
        return NLOG_EINVAL;
    if (sodium_init() < 0)
        return NLOG_ENOMEM;
    crypto_box_keypair(pk, sk);
    sodium_bin2base64(public_b64, NLOG_ENCRYPTION_KEY_B64_SIZE, pk, sizeof pk,
                      sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(secret_b64, NLOG_ENCRYPTION_KEY_B64_SIZE, sk, sizeof sk,
                      sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(sk, sizeof sk);
    return NLOG_OK;
}

int nlog_encryption_is_encrypted(const char *value, size_t len)
{
    return value && len >= sizeof NLOG__ENC_PREFIX - 1 &&
           memcmp(value, NLOG__ENC_PREFIX, sizeof NLOG__ENC_PREFIX - 1) == 0;
}

#define CACHE_KEYS 32

struct nlog_decryptor {
    unsigned char pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
    unsigned char rk[8];
    struct {
        int used;
        unsigned char dk[8];
        unsigned char wrapped_hash[16];
        unsigned char key[KEY_BYTES];
        uint64_t last_use;
    } cache[CACHE_KEYS];
    uint64_t tick;
    unsigned char *buf; /* decoded value and plaintext */
    size_t buf_cap;
};

nlog_status nlog_decryptor_create(const char *secret_b64, nlog_decryptor **ret)
{
    nlog__clear_errmsg();
    size_t n = 0;
    if (!secret_b64 || !ret) {
        nlog__set_errmsg("nlog_decryptor_create: the key and ret must not be NULL");
        return NLOG_EINVAL;
    }
    if (sodium_init() < 0)
        return NLOG_ENOMEM;
    nlog_decryptor *d = sodium_malloc(sizeof *d);
    if (!d)
        return NLOG_ENOMEM;
    memset(d, 0, sizeof *d);
    size_t len = strlen(secret_b64);
    while (len && (secret_b64[len - 1] == '\n' || secret_b64[len - 1] == '\r' ||
                   secret_b64[len - 1] == ' '))
        len--;
    if (sodium_base642bin(d->sk, sizeof d->sk, secret_b64, len, NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        n != sizeof d->sk) {
        sodium_free(d);
        nlog__set_errmsg("not a secret key: expected 32 bytes in base64 (44 characters), as "
                         "written by 'nlog keygen --encryption' into encryption.key");
        return NLOG_EINVAL;
    }
    crypto_scalarmult_base(d->pk, d->sk);
    recipient_id(d->pk, d->rk);
    *ret = d;
    return NLOG_OK;
}

void nlog_decryptor_destroy(nlog_decryptor *d)
{
    if (!d)
        return;
    if (d->buf) {
        sodium_memzero(d->buf, d->buf_cap);
        free(d->buf);
    }
    sodium_free(d); /* zeroes the keys */
}

/* Splits the marker "1.rk.dk.seq.wk". */
static int parse_marker(const char *m, unsigned char rk[8], unsigned char dk[8], uint64_t *seq,
                        const char **wk, size_t *wk_len)
{
    const char *p[5];
    size_t l[5];
    const char *s = m;
    for (int i = 0; i < 5; i++) {
        const char *dot = i < 4 ? strchr(s, '.') : s + strlen(s);
        if (!dot)
            return 0;
        p[i] = s;
        l[i] = (size_t) (dot - s);
        s = dot + 1;
    }
    if (l[0] != 1 || p[0][0] != '1' || !unhex8(p[1], l[1], rk) || !unhex8(p[2], l[2], dk) ||
        l[3] == 0 || l[3] > 20)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < l[3]; i++) {
        if (p[3][i] < '0' || p[3][i] > '9' || v > (UINT64_MAX - 9) / 10)
            return 0;
        v = v * 10 + (uint64_t) (p[3][i] - '0');
    }
    *seq = v;
    *wk = p[4];
    *wk_len = l[4];
    return 1;
}

static const unsigned char *data_key(nlog_decryptor *d, const unsigned char dk[8],
                                     const char *wk, size_t wk_len)
{
    unsigned char wrapped[NLOG__ENC_WRAPPED_BYTES], wh[16];
    size_t n = 0;
    crypto_generichash(wh, sizeof wh, (const unsigned char *) wk, wk_len, NULL, 0);
    int victim = -1;
    for (int i = 0; i < CACHE_KEYS; i++) {
        if (d->cache[i].used && memcmp(d->cache[i].dk, dk, 8) == 0 &&
            memcmp(d->cache[i].wrapped_hash, wh, sizeof wh) == 0) {
            d->cache[i].last_use = ++d->tick;
            return d->cache[i].key;
        }
    }
    for (int i = 0; i < CACHE_KEYS && victim < 0; i++)
        if (!d->cache[i].used)
            victim = i;
    if (victim < 0) { /* the least recently used */
        victim = 0;
        for (int i = 1; i < CACHE_KEYS; i++)
            if (d->cache[i].last_use < d->cache[victim].last_use)
                victim = i;
    }
    if (sodium_base642bin(wrapped, sizeof wrapped, wk, wk_len, NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        n != sizeof wrapped) {
        nlog__set_errmsg("the record's wrapped data key is not %d bytes of base64",
                         (int) sizeof wrapped);
        return NULL;
    }
    if (crypto_box_seal_open(d->cache[victim].key, wrapped, sizeof wrapped, d->pk, d->sk) != 0) {
        nlog__set_errmsg("the record's data key cannot be unwrapped with this key: it was "
                         "altered, or sealed for another key");
        return NULL;
    }
    d->cache[victim].used = 1;
    memcpy(d->cache[victim].dk, dk, 8);
    memcpy(d->cache[victim].wrapped_hash, wh, sizeof wh);
    d->cache[victim].last_use = ++d->tick;
    return d->cache[victim].key;
}

nlog_status nlog_decryptor_open(nlog_decryptor *d, const char *marker, int64_t time_ns,
                                const char *group, const char *key, const char *value,
                                size_t value_len, char *out, size_t size)
{
    unsigned char rk[8], dk[8], ad[AD_MAX];
    uint64_t seq;
    const char *wk;
    size_t wk_len, n = 0;
    nlog__clear_errmsg();
    if (!d || !marker || !group || !key || !value || !out || size == 0) {
        nlog__set_errmsg("nlog_decryptor_open: NULL argument");
        return NLOG_EINVAL;
    }
    if (!parse_marker(marker, rk, dk, &seq, &wk, &wk_len)) {
        nlog__set_errmsg("metadata.nlog_encryption is malformed; expected "
                         "1.<16 hex>.<16 hex>.<number>.<base64>");
        return NLOG_EINVAL;
    }
    if (memcmp(rk, d->rk, 8) != 0) {
        char a[17], b[17];
        hex8(rk, a);
        hex8(d->rk, b);
        nlog__set_errmsg("wrong key: the record was encrypted for key %s, this key is %s", a, b);
        return NLOG_EINVAL;
    }
    if (!nlog_encryption_is_encrypted(value, value_len)) {
        nlog__set_errmsg("the value does not start with '%s'", NLOG__ENC_PREFIX);
        return NLOG_EINVAL;
    }
    const unsigned char *k = data_key(d, dk, wk, wk_len);
    if (!k)
        return NLOG_EINVAL;
    const char *b64 = value + sizeof NLOG__ENC_PREFIX - 1;
    size_t b64_len = value_len - (sizeof NLOG__ENC_PREFIX - 1);
    size_t need = b64_len + 16;
    if (need > d->buf_cap) {
        unsigned char *nb = realloc(d->buf, need * 2);
        if (!nb)
            return NLOG_ENOMEM;
        d->buf = nb;
        d->buf_cap = need * 2;
    }
    unsigned char *c = d->buf, *p = d->buf + need;
    if (sodium_base642bin(c, need, b64, b64_len, NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        n < NONCE_BYTES + 1 + TAG_BYTES) {
        nlog__set_errmsg("the encrypted value is not valid base64 of a nonce, a ciphertext and a "
                         "tag (was the line cut?)");
        return NLOG_EINVAL;
    }
    int64_t time_us = nlog__sec_floor_us(time_ns) / 1000;
    size_t adlen = build_ad(ad, rk, dk, seq, time_us, group, key);
    unsigned long long plen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(p, &plen, NULL, c + NONCE_BYTES,
                                                   n - NONCE_BYTES, ad, adlen, c, k) != 0) {
        nlog__set_errmsg("authentication failed: the value was altered, cut, or moved from "
                         "another record or field");
        return NLOG_EINVAL;
    }
    size_t o = 0, used = 0;
    nlog_status st = NLOG_OK;
    switch (p[0]) {
    case 's':
        if (size < 3) {
            st = NLOG_ELIMIT;
            break;
        }
        out[o++] = '"';
        o += nlog__json_escape(out + o, size - o - 2, (const char *) p + 1, (size_t) plen - 1,
                               &used);
        if (used < (size_t) plen - 1)
            st = NLOG_ELIMIT;
        out[o++] = '"';
        break;
    case 'i':
    case 'u':
    case 'd':
        if ((size_t) plen > size) {
            st = NLOG_ELIMIT;
            break;
        }
        memcpy(out, p + 1, (size_t) plen - 1);
        o = (size_t) plen - 1;
        break;
    case 'b':
        o = (size_t) snprintf(out, size, "%s", plen == 2 && p[1] == '1' ? "true" : "false");
        break;
    case 'n':
        o = (size_t) snprintf(out, size, "null");
        break;
    default:
        nlog__set_errmsg("unknown plaintext type 0x%02x", p[0]);
        st = NLOG_EINVAL;
    }
    sodium_memzero(p, (size_t) plen);
    if (st == NLOG_ELIMIT || o >= size) {
        nlog__set_errmsg("the output buffer is too small");
        out[0] = '\0';
        return NLOG_ELIMIT;
    }
    out[o] = '\0';
    return st;
}
