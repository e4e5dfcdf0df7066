/* wire.c: encoding, decoding, signing and hashing of the signed structures
 * (see wire.h; the layouts are in docs/FORMAT.md). */
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "seal/wire.h"

static const char dom_hdr[] = "nlog-seal-v1 checkpoint";  /* signed with its NUL */
static const char dom_gen[] = "nlog-seal-v1 genesis";
static const char dom_trans[] = "nlog-seal-v1 transition";

static const char *const reasons[] = {NULL,        "count",     "interval", "rotate",
                                      "close",     "retention", "clock",    "rekey"};

const char *nlog__seal_reason_name(int reason)
{
    return reason >= 1 && reason <= NLOG__SEAL_R_MAX ? reasons[reason] : NULL;
}

int nlog__seal_reason_find(const char *name, size_t len)
{
    for (int r = 1; r <= NLOG__SEAL_R_MAX; r++)
        if (strlen(reasons[r]) == len && memcmp(reasons[r], name, len) == 0)
            return r;
    return 0;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t) (v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static int zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

unsigned nlog__seal_n_keys(uint64_t epoch)
{
    const uint64_t end = (uint64_t) 1 << NLOG__SEAL_DEPTH;
    if (epoch >= end - 1)
        return 0;
    unsigned n = epoch == 0 ? NLOG__SEAL_DEPTH : (unsigned) __builtin_ctzll(epoch);
    if (n < 2)
        n = 2;
    while (n > 1 && epoch + ((uint64_t) 1 << (n - 1)) >= end)
        n--;
    return n;
}

size_t nlog__seal_hdr_encode(const nlog__seal_hdr *h, uint8_t *out)
{
    memset(out, 0, NLOG__SEAL_HDR_FIXED);
    memcpy(out, "NLSEALC1", 8);
    memcpy(out + 8, h->stream, NLOG__SEAL_STREAM_LEN);
    put64(out + 24, h->epoch);
    put64(out + 32, h->first);
    put64(out + 40, h->last);
    put64(out + 48, (uint64_t) h->wall_ns);
    out[56] = h->reason;
    out[57] = h->n_keys;
    out[58] = (uint8_t) h->n_prev;
    out[59] = (uint8_t) (h->n_prev >> 8);
    memcpy(out + 64, h->prev, 32);
    memcpy(out + 96, h->tags_hash, 32);
    memcpy(out + 128, h->prev_tags_hash, 32);
    memcpy(out + 160, h->root, 32);
    memcpy(out + 192, h->extra_hash, 32);
    memcpy(out + NLOG__SEAL_HDR_FIXED, h->keys, (size_t) h->n_keys * NLOG__SEAL_PK_LEN);
    return NLOG__SEAL_HDR_FIXED + (size_t) h->n_keys * NLOG__SEAL_PK_LEN;
}

size_t nlog__seal_hdr_decode(const uint8_t *in, size_t len, nlog__seal_hdr *h)
{
    if (len < NLOG__SEAL_HDR_FIXED || memcmp(in, "NLSEALC1", 8) != 0 || !zero(in + 60, 4) ||
        !zero(in + 224, 8))
        return 0;
    memset(h, 0, sizeof *h);
    memcpy(h->stream, in + 8, NLOG__SEAL_STREAM_LEN);
    h->epoch = get64(in + 24);
    h->first = get64(in + 32);
    h->last = get64(in + 40);
    h->wall_ns = (int64_t) get64(in + 48);
    h->reason = in[56];
    h->n_keys = in[57];
    h->n_prev = (uint16_t) (in[58] | in[59] << 8);
    if (h->n_keys == 0 || h->n_keys != nlog__seal_n_keys(h->epoch) ||
        !nlog__seal_reason_name(h->reason) || h->first == 0 || h->last + 1 < h->first ||
        h->last + 1 - h->first > NLOG__SEAL_RANGE_MAX || h->n_prev > NLOG__SEAL_RANGE_MAX)
        return 0;
    size_t need = NLOG__SEAL_HDR_FIXED + (size_t) h->n_keys * NLOG__SEAL_PK_LEN;
    if (len < need)
        return 0;
    memcpy(h->prev, in + 64, 32);
    memcpy(h->tags_hash, in + 96, 32);
    memcpy(h->prev_tags_hash, in + 128, 32);
    memcpy(h->root, in + 160, 32);
    memcpy(h->extra_hash, in + 192, 32);
    memcpy(h->keys, in + NLOG__SEAL_HDR_FIXED, need - NLOG__SEAL_HDR_FIXED);
    return need;
}

/* A log name is a plain file name: [A-Za-z0-9._-], not starting with '.'. */
static int name_ok(const uint8_t *s, size_t n)
{
    if (n == 0 || n > NLOG__SEAL_NAME_MAX || s[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

size_t nlog__seal_gen_encode(const nlog__seal_gen *g, uint8_t *out)
{
    memset(out, 0, NLOG__SEAL_GEN_FIXED);
    memcpy(out, "NLSEALG1", 8);
    memcpy(out + 8, g->stream, NLOG__SEAL_STREAM_LEN);
    memcpy(out + 24, g->master_pk, 32);
    put64(out + 56, (uint64_t) g->created_ns);
    out[64] = g->depth;
    out[65] = g->name_len;
    memcpy(out + 72, g->p0, 32);
    memcpy(out + NLOG__SEAL_GEN_FIXED, g->name, g->name_len);
    return NLOG__SEAL_GEN_FIXED + g->name_len;
}

size_t nlog__seal_gen_decode(const uint8_t *in, size_t len, nlog__seal_gen *g)
{
    if (len < NLOG__SEAL_GEN_FIXED || memcmp(in, "NLSEALG1", 8) != 0 || !zero(in + 66, 6) ||
        in[64] != NLOG__SEAL_DEPTH)
        return 0;
    size_t need = NLOG__SEAL_GEN_FIXED + in[65];
    if (len < need || !name_ok(in + NLOG__SEAL_GEN_FIXED, in[65]))
        return 0;
    memset(g, 0, sizeof *g);
    memcpy(g->stream, in + 8, NLOG__SEAL_STREAM_LEN);
    memcpy(g->master_pk, in + 24, 32);
    g->created_ns = (int64_t) get64(in + 56);
    g->depth = in[64];
    g->name_len = in[65];
    memcpy(g->p0, in + 72, 32);
    memcpy(g->name, in + NLOG__SEAL_GEN_FIXED, g->name_len);
    g->name[g->name_len] = '\0';
    return need;
}

size_t nlog__seal_trans_encode(const nlog__seal_trans *t, uint8_t *out)
{
    memcpy(out, "NLSEALT1", 8);
    memcpy(out + 8, t->old_pk, 32);
    memcpy(out + 40, t->new_pk, 32);
    put64(out + 72, (uint64_t) t->created_ns);
    return NLOG__SEAL_TRANS_LEN;
}

size_t nlog__seal_trans_decode(const uint8_t *in, size_t len, nlog__seal_trans *t)
{
    if (len < NLOG__SEAL_TRANS_LEN || memcmp(in, "NLSEALT1", 8) != 0)
        return 0;
    memcpy(t->old_pk, in + 8, 32);
    memcpy(t->new_pk, in + 40, 32);
    t->created_ns = (int64_t) get64(in + 72);
    return NLOG__SEAL_TRANS_LEN;
}

/* Signs dom (with its NUL) || enc[0..n). */
static void sign_dom(const char *dom, const uint8_t *enc, size_t n, const uint8_t *sk,
                     uint8_t *sig)
{
    uint8_t msg[32 + NLOG__SEAL_HDR_MAX];
    size_t dl = strlen(dom) + 1;
    memcpy(msg, dom, dl);
    memcpy(msg + dl, enc, n);
    crypto_sign_detached(sig, NULL, msg, dl + n, sk);
}

/* Signatures that verified, remembered by BLAKE2b-256(pk || sig || message):
 * anchors repeat the same proof checkpoints in every segment, and tools
 * verify the same files again and again. A hit costs one hash of the
 * message instead of an Ed25519 verification (about 90 us here). Only
 * successes are remembered; the key is collision-resistant, so a different
 * (pk, sig, message) never hits. */
#define VCACHE_SLOTS 256
static struct {
    pthread_mutex_t lock;
    uint8_t key[VCACHE_SLOTS][32];
    uint8_t used[VCACHE_SLOTS];
} vcache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int verify_dom(const char *dom, const uint8_t *enc, size_t n, const uint8_t *sig,
                      const uint8_t *pk)
{
    uint8_t msg[32 + NLOG__SEAL_HDR_MAX];
    size_t dl = strlen(dom) + 1;
    memcpy(msg, dom, dl);
    memcpy(msg + dl, enc, n);
    uint8_t key[32];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof key);
    crypto_generichash_update(&st, pk, NLOG__SEAL_PK_LEN);
    crypto_generichash_update(&st, sig, NLOG__SEAL_SIG_LEN);
    crypto_generichash_update(&st, msg, dl + n);
    crypto_generichash_final(&st, key, sizeof key);
    unsigned slot = key[0] % VCACHE_SLOTS;
    pthread_mutex_lock(&vcache.lock);
    int hit = vcache.used[slot] && memcmp(vcache.key[slot], key, sizeof key) == 0;
    pthread_mutex_unlock(&vcache.lock);
    if (hit)
        return 1;
    if (crypto_sign_verify_detached(sig, msg, dl + n, pk) != 0)
        return 0;
    pthread_mutex_lock(&vcache.lock);
    memcpy(vcache.key[slot], key, sizeof key);
    vcache.used[slot] = 1;
    pthread_mutex_unlock(&vcache.lock);
    return 1;
}

uint64_t nlog__seal_signatures;

void nlog__seal_hdr_sign(const nlog__seal_hdr *h, const uint8_t *sk, uint8_t *sig)
{
    __atomic_fetch_add(&nlog__seal_signatures, 1, __ATOMIC_RELAXED);
    uint8_t enc[NLOG__SEAL_HDR_MAX];
    sign_dom(dom_hdr, enc, nlog__seal_hdr_encode(h, enc), sk, sig);
}

int nlog__seal_hdr_verify(const nlog__seal_hdr *h, const uint8_t *sig, const uint8_t *pk)
{
    uint8_t enc[NLOG__SEAL_HDR_MAX];
    return verify_dom(dom_hdr, enc, nlog__seal_hdr_encode(h, enc), sig, pk);
}

void nlog__seal_gen_sign(const nlog__seal_gen *g, const uint8_t *sk, uint8_t *sig)
{
    uint8_t enc[NLOG__SEAL_GEN_MAX];
    sign_dom(dom_gen, enc, nlog__seal_gen_encode(g, enc), sk, sig);
}

int nlog__seal_gen_verify(const nlog__seal_gen *g, const uint8_t *sig)
{
    uint8_t enc[NLOG__SEAL_GEN_MAX];
    return verify_dom(dom_gen, enc, nlog__seal_gen_encode(g, enc), sig, g->master_pk);
}

void nlog__seal_trans_sign(const nlog__seal_trans *t, const uint8_t *sk, uint8_t *sig)
{
    uint8_t enc[NLOG__SEAL_TRANS_LEN];
    sign_dom(dom_trans, enc, nlog__seal_trans_encode(t, enc), sk, sig);
}

int nlog__seal_trans_verify(const nlog__seal_trans *t, const uint8_t *sig)
{
    uint8_t enc[NLOG__SEAL_TRANS_LEN];
    return verify_dom(dom_trans, enc, nlog__seal_trans_encode(t, enc), sig, t->old_pk);
}

void nlog__seal_hdr_hash(const nlog__seal_hdr *h, const uint8_t *sig, uint8_t *out)
{
    uint8_t enc[NLOG__SEAL_HDR_MAX + NLOG__SEAL_SIG_LEN];
    size_t n = nlog__seal_hdr_encode(h, enc);
    memcpy(enc + n, sig, NLOG__SEAL_SIG_LEN);
    crypto_generichash(out, NLOG__SEAL_HASH_LEN, enc, n + NLOG__SEAL_SIG_LEN, NULL, 0);
}

void nlog__seal_gen_hash(const nlog__seal_gen *g, const uint8_t *sig, uint8_t *out)
{
    uint8_t enc[NLOG__SEAL_GEN_MAX + NLOG__SEAL_SIG_LEN];
    size_t n = nlog__seal_gen_encode(g, enc);
    memcpy(enc + n, sig, NLOG__SEAL_SIG_LEN);
    crypto_generichash(out, NLOG__SEAL_HASH_LEN, enc, n + NLOG__SEAL_SIG_LEN, NULL, 0);
}

void nlog__seal_hash(const void *data, size_t len, uint8_t *out)
{
    crypto_generichash(out, NLOG__SEAL_HASH_LEN, data, len, NULL, 0);
}

void nlog__seal_key_id(const uint8_t *pk, char *out)
{
    uint8_t h[NLOG__SEAL_HASH_LEN];
    crypto_generichash(h, sizeof h, pk, NLOG__SEAL_PK_LEN, NULL, 0);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++) {
        out[2 * i] = hex[h[i] >> 4];
        out[2 * i + 1] = hex[h[i] & 15];
    }
    out[16] = '\0';
}

static int init_rc = -1;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void do_init(void)
{
    init_rc = sodium_init() < 0 ? -1 : 0;
}

int nlog__seal_crypto_init(void)
{
    (void) pthread_once(&init_once, do_init);
    return init_rc;
}
