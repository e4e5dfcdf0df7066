/* line.c: rendering and strict parsing of sealed lines (see line.h and
 * docs/FORMAT.md). The parser is a cursor over the line that accepts only
 * the canonical form the renderer writes; every accessor checks the bytes
 * left before reading them. */
#include <stdio.h>
#include <string.h>

#include "format/timefmt.h"
#include "seal/b64.h"
#include "seal/line.h"

/* ---- rendering --------------------------------------------------------------- */

static char *put_str(char *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(o, s, n);
    return o + n;
}

static char *put_u64(char *o, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char) ('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *o++ = tmp[--n];
    return o;
}

static char *put_i64(char *o, int64_t v)
{
    if (v < 0) {
        *o++ = '-';
        return put_u64(o, (uint64_t) 0 - (uint64_t) v);
    }
    return put_u64(o, (uint64_t) v);
}

static char *put_b64(char *o, const uint8_t *p, size_t n)
{
    *o++ = '"';
    o += nlog__b64_encode(p, n, o);
    *o++ = '"';
    return o;
}

size_t nlog__seal_record_render(const char *line, size_t len, uint64_t seq, char *out)
{
    memcpy(out, line, len - 2);
    char *o = out + len - 2;
    o = put_str(o, ",\"seal\":");
    o = put_u64(o, seq);
    *o++ = '}';
    *o++ = '\n';
    return (size_t) (o - out);
}

size_t nlog__seal_extra_render(const nlog__seal_extra *x, char *out)
{
    if (!x->has_clock && !x->n_frags && !x->has_cut)
        return 0;
    char *o = out;
    const char *sep = "";
    *o++ = '{';
    if (x->has_clock) {
        o = put_str(o, "\"clock\":{\"step_ns\":");
        o = put_i64(o, x->clock_step_ns);
        o = put_str(o, ",\"before_seq\":");
        o = put_u64(o, x->clock_before);
        *o++ = '}';
        sep = ",";
    }
    if (x->n_frags) {
        o = put_str(o, sep);
        o = put_str(o, "\"fragments\":[");
        for (size_t i = 0; i < x->n_frags; i++) {
            o = put_str(o, i ? ",{\"offset\":" : "{\"offset\":");
            o = put_u64(o, x->frag_off[i]);
            o = put_str(o, ",\"length\":");
            o = put_u64(o, x->frag_len[i]);
            *o++ = '}';
        }
        *o++ = ']';
        sep = ",";
    }
    if (x->has_cut) {
        o = put_str(o, sep);
        o = put_str(o, "\"cut\":{");
        if (x->has_cut_stream) {
            o = put_str(o, "\"stream\":");
            o = put_b64(o, x->cut_stream, sizeof x->cut_stream);
            *o++ = ',';
        }
        o = put_str(o, "\"first\":");
        o = put_u64(o, x->cut_first);
        o = put_str(o, ",\"last\":");
        o = put_u64(o, x->cut_last);
        o = put_str(o, ",\"files\":[");
        for (size_t i = 0; i < x->n_cut_files; i++) {
            if (i)
                *o++ = ',';
            *o++ = '"';
            o = put_str(o, x->cut_files[i]);
            *o++ = '"';
        }
        o = put_str(o, "]}");
    }
    *o++ = '}';
    return (size_t) (o - out);
}

size_t nlog__seal_ckpt_render(const nlog__seal_hdr *h, const uint8_t *sig,
                              const uint8_t (*tags)[NLOG__SEAL_TAG_LEN], size_t n_tags,
                              const uint8_t (*prev_tags)[NLOG__SEAL_TAG_LEN], const char *extra,
                              size_t extra_len, char *out)
{
    char *o = out;
    char t[NLOG__RFC3339_LEN];
    o = put_str(o, "{\"nlog_seal\":\"checkpoint\",\"v\":1,\"stream\":");
    o = put_b64(o, h->stream, sizeof h->stream);
    o = put_str(o, ",\"epoch\":");
    o = put_u64(o, h->epoch);
    o = put_str(o, ",\"first\":");
    o = put_u64(o, h->first);
    o = put_str(o, ",\"last\":");
    o = put_u64(o, h->last);
    o = put_str(o, ",\"time\":\"");
    nlog__fmt_rfc3339(h->wall_ns, t);
    memcpy(o, t, sizeof t);
    o += sizeof t;
    o = put_str(o, "\",\"wall_ns\":");
    o = put_i64(o, h->wall_ns);
    o = put_str(o, ",\"reason\":\"");
    o = put_str(o, nlog__seal_reason_name(h->reason));
    o = put_str(o, "\",\"prev\":");
    o = put_b64(o, h->prev, 32);
    o = put_str(o, ",\"root\":");
    o = put_b64(o, h->root, 32);
    o = put_str(o, ",\"keys\":");
    o = put_b64(o, &h->keys[0][0], (size_t) h->n_keys * NLOG__SEAL_PK_LEN);
    o = put_str(o, ",\"tags\":");
    o = put_b64(o, n_tags ? &tags[0][0] : (const uint8_t *) "", n_tags * NLOG__SEAL_TAG_LEN);
    o = put_str(o, ",\"prev_tags\":");
    o = put_b64(o, h->n_prev ? &prev_tags[0][0] : (const uint8_t *) "",
                (size_t) h->n_prev * NLOG__SEAL_TAG_LEN);
    if (extra_len) {
        o = put_str(o, ",\"extra\":");
        memcpy(o, extra, extra_len);
        o += extra_len;
    }
    o = put_str(o, ",\"sig\":");
    o = put_b64(o, sig, NLOG__SEAL_SIG_LEN);
    o = put_str(o, "}\n");
    return (size_t) (o - out);
}

size_t nlog__seal_anchor_render(const uint8_t *stream, const char *name, uint64_t epoch,
                                uint64_t first, const uint8_t *prev, const uint8_t *gen,
                                size_t gen_len, const uint8_t *proof, size_t proof_len,
                                const uint8_t *trans, size_t trans_len, char *out)
{
    char *o = out;
    o = put_str(o, "{\"nlog_seal\":\"anchor\",\"v\":1,\"stream\":");
    o = put_b64(o, stream, NLOG__SEAL_STREAM_LEN);
    o = put_str(o, ",\"name\":\"");
    o = put_str(o, name);
    o = put_str(o, "\",\"epoch\":");
    o = put_u64(o, epoch);
    o = put_str(o, ",\"first\":");
    o = put_u64(o, first);
    o = put_str(o, ",\"prev\":");
    o = put_b64(o, prev, NLOG__SEAL_HASH_LEN);
    o = put_str(o, ",\"genesis\":");
    o = put_b64(o, gen, gen_len);
    o = put_str(o, ",\"proof\":");
    o = put_b64(o, proof_len ? proof : (const uint8_t *) "", proof_len);
    if (trans_len) {
        o = put_str(o, ",\"transition\":");
        o = put_b64(o, trans, trans_len);
    }
    o = put_str(o, "}\n");
    return (size_t) (o - out);
}

/* ---- parsing ----------------------------------------------------------------- */

typedef struct cursor {
    const char *p, *end;
    char *why;
    size_t why_size;
    int failed;
} cursor;

static int fail(cursor *c, const char *what)
{
    if (!c->failed) {
        c->failed = 1;
        if (c->why && c->why_size)
            snprintf(c->why, c->why_size, "%s", what);
    }
    return -1;
}

static int lit(cursor *c, const char *s)
{
    size_t n = strlen(s);
    if (c->failed || (size_t) (c->end - c->p) < n || memcmp(c->p, s, n) != 0)
        return fail(c, s);
    c->p += n;
    return 0;
}

static int peek(const cursor *c, const char *s)
{
    size_t n = strlen(s);
    return !c->failed && (size_t) (c->end - c->p) >= n && memcmp(c->p, s, n) == 0;
}

/* A canonical unsigned decimal: "0" or [1-9][0-9]*, at most 2^64 - 1. */
static int u64(cursor *c, uint64_t *ret)
{
    if (c->failed || c->p == c->end || *c->p < '0' || *c->p > '9')
        return fail(c, "a number");
    if (*c->p == '0') {
        c->p++;
        *ret = 0;
        if (c->p < c->end && *c->p >= '0' && *c->p <= '9')
            return fail(c, "a number without leading zeros");
        return 0;
    }
    uint64_t v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        unsigned d = (unsigned) (*c->p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return fail(c, "a number below 2^64");
        v = v * 10 + d;
        c->p++;
    }
    *ret = v;
    return 0;
}

static int i64(cursor *c, int64_t *ret)
{
    int neg = 0;
    if (!c->failed && c->p < c->end && *c->p == '-') {
        neg = 1;
        c->p++;
    }
    uint64_t v;
    if (u64(c, &v) != 0)
        return -1;
    if (neg ? (v == 0 || v > (uint64_t) INT64_MAX + 1) : v > (uint64_t) INT64_MAX)
        return fail(c, "a 64-bit signed number");
    *ret = neg ? (int64_t) (0 - v) : (int64_t) v;
    return 0;
}

/* A quoted base64url string decoded into out[0..cap); *ret_n gets the size. */
static int b64(cursor *c, uint8_t *out, size_t cap, size_t *ret_n)
{
    if (lit(c, "\"") != 0)
        return -1;
    const char *q = memchr(c->p, '"', (size_t) (c->end - c->p));
    if (!q)
        return fail(c, "a closing quote");
    long n = nlog__b64_decode(c->p, (size_t) (q - c->p), out, cap);
    if (n < 0)
        return fail(c, "canonical base64url of the expected size");
    c->p = q + 1;
    *ret_n = (size_t) n;
    return 0;
}

static int b64_exact(cursor *c, uint8_t *out, size_t n)
{
    size_t got;
    if (b64(c, out, n, &got) != 0)
        return -1;
    return got == n ? 0 : fail(c, "a value of the expected size");
}

/* A quoted plain file name ([A-Za-z0-9._-], 1..255 bytes). */
static int name(cursor *c, char *out)
{
    if (lit(c, "\"") != 0)
        return -1;
    size_t n = 0;
    while (c->p < c->end && *c->p != '"') {
        char ch = *c->p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-') ||
            n >= NLOG__SEAL_NAME_MAX)
            return fail(c, "a file name of [A-Za-z0-9._-]");
        out[n++] = ch;
        c->p++;
    }
    if (n == 0 || out[0] == '.')
        return fail(c, "a file name");
    out[n] = '\0';
    return lit(c, "\"");
}

static int parse_extra(cursor *c, nlog__seal_extra *x)
{
    memset(x, 0, sizeof *x);
    if (lit(c, "{") != 0)
        return -1;
    int any = 0;
    if (peek(c, "\"clock\":")) {
        lit(c, "\"clock\":{\"step_ns\":");
        i64(c, &x->clock_step_ns);
        lit(c, ",\"before_seq\":");
        u64(c, &x->clock_before);
        lit(c, "}");
        x->has_clock = 1;
        any = 1;
    }
    if (peek(c, any ? ",\"fragments\":" : "\"fragments\":")) {
        if (any)
            lit(c, ",");
        lit(c, "\"fragments\":[");
        do {
            if (x->n_frags >= NLOG__SEAL_FRAGS_MAX)
                return fail(c, "at most 8 fragments");
            lit(c, "{\"offset\":");
            u64(c, &x->frag_off[x->n_frags]);
            lit(c, ",\"length\":");
            u64(c, &x->frag_len[x->n_frags]);
            lit(c, "}");
            x->n_frags++;
        } while (!c->failed && peek(c, ",") && lit(c, ",") == 0);
        lit(c, "]");
        any = 1;
    }
    if (peek(c, any ? ",\"cut\":" : "\"cut\":")) {
        if (any)
            lit(c, ",");
        lit(c, "\"cut\":{");
        if (peek(c, "\"stream\":")) {
            lit(c, "\"stream\":");
            b64_exact(c, x->cut_stream, sizeof x->cut_stream);
            lit(c, ",");
            x->has_cut_stream = 1;
        }
        lit(c, "\"first\":");
        u64(c, &x->cut_first);
        lit(c, ",\"last\":");
        u64(c, &x->cut_last);
        lit(c, ",\"files\":[");
        if (!peek(c, "]")) {
            do {
                if (x->n_cut_files >= NLOG__SEAL_CUT_FILES_MAX)
                    return fail(c, "at most 64 files in a cut");
                name(c, x->cut_files[x->n_cut_files++]);
            } while (!c->failed && peek(c, ",") && lit(c, ",") == 0);
        }
        lit(c, "]}");
        x->has_cut = 1;
        any = 1;
    }
    if (!any)
        return fail(c, "an extra member with a known note");
    return lit(c, "}");
}

nlog__seal_line_kind nlog__seal_line_classify(const char *line, size_t len, uint64_t *ret_seq)
{
    static const char ck[] = "{\"nlog_seal\":\"checkpoint\"";
    static const char an[] = "{\"nlog_seal\":\"anchor\"";
    static const char ctrl[] = "{\"nlog_seal\":";
    if (len >= sizeof ctrl - 1 && memcmp(line, ctrl, sizeof ctrl - 1) == 0) {
        if (len >= sizeof ck - 1 && memcmp(line, ck, sizeof ck - 1) == 0)
            return NLOG__LINE_CHECKPOINT;
        if (len >= sizeof an - 1 && memcmp(line, an, sizeof an - 1) == 0)
            return NLOG__LINE_ANCHOR;
        return NLOG__LINE_BAD;
    }
    /* ...,"seal":N} : scan back over the digits. */
    static const char mem[] = ",\"seal\":";
    const size_t ml = sizeof mem - 1;
    if (len < ml + 3 || line[0] != '{' || line[len - 1] != '}')
        return NLOG__LINE_PLAIN;
    size_t i = len - 1;
    while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9' && len - 1 - i < 21)
        i--;
    size_t nd = len - 1 - i;
    if (i < ml + 1 || memcmp(line + i - ml, mem, ml) != 0)
        return NLOG__LINE_PLAIN;
    if (nd == 0 || nd > 20 || (line[i] == '0'))
        return NLOG__LINE_BAD;
    uint64_t v = 0;
    for (size_t k = i; k < len - 1; k++) {
        unsigned d = (unsigned) (line[k] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return NLOG__LINE_BAD;
        v = v * 10 + d;
    }
    *ret_seq = v;
    return NLOG__LINE_RECORD;
}

int nlog__seal_ckpt_parse(const char *line, size_t len, nlog__seal_ckpt *ck, char *why,
                          size_t why_size)
{
    cursor c = {line, line + len, why, why_size, 0};
    nlog__seal_hdr *h = &ck->hdr;
    memset(h, 0, sizeof *h);
    uint64_t v, first, last;
    int64_t wall;
    uint8_t stream[16], prev[32], root[32];
    size_t nk;
    lit(&c, "{\"nlog_seal\":\"checkpoint\",\"v\":");
    if (u64(&c, &v) == 0 && v != 1)
        return fail(&c, "version 1");
    lit(&c, ",\"stream\":");
    b64_exact(&c, stream, sizeof stream);
    lit(&c, ",\"epoch\":");
    u64(&c, &h->epoch);
    lit(&c, ",\"first\":");
    u64(&c, &first);
    lit(&c, ",\"last\":");
    u64(&c, &last);
    lit(&c, ",\"time\":\"");
    const char *tp = c.p;
    if (!c.failed && (size_t) (c.end - c.p) < NLOG__RFC3339_LEN)
        fail(&c, "a time");
    if (!c.failed)
        c.p += NLOG__RFC3339_LEN;
    lit(&c, "\",\"wall_ns\":");
    i64(&c, &wall);
    lit(&c, ",\"reason\":\"");
    const char *rp = c.p;
    while (!c.failed && c.p < c.end && *c.p >= 'a' && *c.p <= 'z')
        c.p++;
    int reason = c.failed ? 0 : nlog__seal_reason_find(rp, (size_t) (c.p - rp));
    if (!c.failed && !reason)
        fail(&c, "a known reason");
    lit(&c, "\",\"prev\":");
    b64_exact(&c, prev, 32);
    lit(&c, ",\"root\":");
    b64_exact(&c, root, 32);
    lit(&c, ",\"keys\":");
    b64(&c, &h->keys[0][0], sizeof h->keys, &nk);
    lit(&c, ",\"tags\":");
    size_t nt = 0, np = 0;
    b64(&c, &ck->tags[0][0], sizeof ck->tags, &nt);
    lit(&c, ",\"prev_tags\":");
    b64(&c, &ck->prev_tags[0][0], sizeof ck->prev_tags, &np);
    ck->has_extra = 0;
    const char *xp = NULL, *xe = NULL;
    if (peek(&c, ",\"extra\":")) {
        lit(&c, ",\"extra\":");
        xp = c.p;
        parse_extra(&c, &ck->extra);
        xe = c.p;
        ck->has_extra = 1;
    } else {
        memset(&ck->extra, 0, sizeof ck->extra);
    }
    lit(&c, ",\"sig\":");
    b64_exact(&c, ck->sig, sizeof ck->sig);
    lit(&c, "}");
    if (c.failed)
        return -1;
    if (c.p != c.end)
        return fail(&c, "the end of the line after the signature");
    /* Values the text must agree with. */
    char t[NLOG__RFC3339_LEN];
    nlog__fmt_rfc3339(wall, t);
    if (memcmp(t, tp, sizeof t) != 0)
        return fail(&c, "a time that matches wall_ns");
    if (nk % NLOG__SEAL_PK_LEN || nk / NLOG__SEAL_PK_LEN != nlog__seal_n_keys(h->epoch) || nk == 0)
        return fail(&c, "as many keys as the epoch vouches for");
    if (first == 0 || last + 1 < first || last + 1 - first > NLOG__SEAL_RANGE_MAX)
        return fail(&c, "a range of at most 1000 records");
    if (nt != (last + 1 - first) * NLOG__SEAL_TAG_LEN)
        return fail(&c, "one 8-byte tag per record of the range");
    if (np % NLOG__SEAL_TAG_LEN)
        return fail(&c, "8-byte tags of the previous range");
    memcpy(h->stream, stream, sizeof stream);
    h->first = first;
    h->last = last;
    h->wall_ns = wall;
    h->reason = (uint8_t) reason;
    h->n_keys = (uint8_t) (nk / NLOG__SEAL_PK_LEN);
    memcpy(h->prev, prev, 32);
    memcpy(h->root, root, 32);
    ck->n_tags = nt / NLOG__SEAL_TAG_LEN;
    h->n_prev = (uint16_t) (np / NLOG__SEAL_TAG_LEN);
    nlog__seal_hash(ck->tags, nt, h->tags_hash);
    if (np)
        nlog__seal_hash(ck->prev_tags, np, h->prev_tags_hash);
    if (ck->has_extra)
        nlog__seal_hash(xp, (size_t) (xe - xp), h->extra_hash);
    return 0;
}

/* Decodes a run of (structure || signature) items from base64url. */
static int decode_items(cursor *c, uint8_t *buf, size_t cap, size_t *ret_n)
{
    return b64(c, buf, cap, ret_n);
}

int nlog__seal_anchor_parse(const char *line, size_t len, nlog__seal_anchor *a, char *why,
                            size_t why_size)
{
    cursor c = {line, line + len, why, why_size, 0};
    uint64_t v;
    uint8_t *buf = a->raw;
    memset(a, 0, offsetof(nlog__seal_anchor, proof));
    a->n_proof = 0;
    a->n_trans = 0;
    lit(&c, "{\"nlog_seal\":\"anchor\",\"v\":");
    if (u64(&c, &v) == 0 && v != 1)
        return fail(&c, "version 1");
    lit(&c, ",\"stream\":");
    b64_exact(&c, a->stream, sizeof a->stream);
    lit(&c, ",\"name\":");
    name(&c, a->name);
    lit(&c, ",\"epoch\":");
    u64(&c, &a->epoch);
    lit(&c, ",\"first\":");
    u64(&c, &a->first);
    lit(&c, ",\"prev\":");
    b64_exact(&c, a->prev, sizeof a->prev);
    lit(&c, ",\"genesis\":");
    size_t n = 0;
    decode_items(&c, buf, NLOG__SEAL_GEN_MAX + NLOG__SEAL_SIG_LEN, &n);
    if (c.failed)
        return -1;
    size_t used = nlog__seal_gen_decode(buf, n, &a->gen);
    if (!used || n != used + NLOG__SEAL_SIG_LEN)
        return fail(&c, "a genesis structure and its signature");
    memcpy(a->gen_sig, buf + used, NLOG__SEAL_SIG_LEN);
    lit(&c, ",\"proof\":");
    decode_items(&c, buf, sizeof a->raw, &n);
    if (c.failed)
        return -1;
    for (size_t off = 0; off < n;) {
        if (a->n_proof >= NLOG__SEAL_PROOF_MAX)
            return fail(&c, "at most 41 proof checkpoints");
        size_t u = nlog__seal_hdr_decode(buf + off, n - off, &a->proof[a->n_proof]);
        if (!u || n - off - u < NLOG__SEAL_SIG_LEN)
            return fail(&c, "proof checkpoints with their signatures");
        memcpy(a->proof_sig[a->n_proof], buf + off + u, NLOG__SEAL_SIG_LEN);
        off += u + NLOG__SEAL_SIG_LEN;
        a->n_proof++;
    }
    if (peek(&c, ",\"transition\":")) {
        lit(&c, ",\"transition\":");
        decode_items(&c, buf, NLOG__SEAL_TRANS_MAX * (NLOG__SEAL_TRANS_LEN + NLOG__SEAL_SIG_LEN),
                     &n);
        if (c.failed)
            return -1;
        if (n == 0 || n % (NLOG__SEAL_TRANS_LEN + NLOG__SEAL_SIG_LEN))
            return fail(&c, "transitions with their signatures");
        for (size_t off = 0; off < n; off += NLOG__SEAL_TRANS_LEN + NLOG__SEAL_SIG_LEN) {
            if (!nlog__seal_trans_decode(buf + off, n - off, &a->trans[a->n_trans]))
                return fail(&c, "a transition structure");
            memcpy(a->trans_sig[a->n_trans], buf + off + NLOG__SEAL_TRANS_LEN,
                   NLOG__SEAL_SIG_LEN);
            a->n_trans++;
        }
    }
    lit(&c, "}");
    if (c.failed)
        return -1;
    if (c.p != c.end)
        return fail(&c, "the end of the line");
    if (a->first == 0)
        return fail(&c, "a first sequence number of at least 1");
    return 0;
}
