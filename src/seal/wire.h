/* wire.h (internal): the binary structures that sealed logs sign, and the
 * cryptographic primitives around them (docs/FORMAT.md, "Signed structures").
 *
 * Three structures are signed with Ed25519; each is encoded in a fixed
 * little-endian layout, and the signature covers a domain string followed by
 * those bytes, so a signature made for one structure can never be taken for
 * another:
 *
 *   genesis     a stream's birth certificate, signed by the master key:
 *               stream id, master public key, log name, tree depth and the
 *               public key of epoch 0;
 *   checkpoint  ("header"), signed by the key of its epoch: the range of
 *               sequence numbers it covers, the hash of the previous
 *               checkpoint, the hash of its per-record tags, the root over
 *               the full record hashes, the hash of its extra notes, and the
 *               public keys of later epochs it vouches for;
 *   transition  the old master key vouching for a new one (key rotation).
 *
 * Decoders check every length and reserved byte; they never read past the
 * buffer they are given.
 * Tested by: tests/unit/seal/test_seal_format.c */
#ifndef NLOG_SEAL_WIRE_H
#define NLOG_SEAL_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define NLOG__SEAL_DEPTH 40        /* levels of the epoch key tree: 2^40 epochs */
#define NLOG__SEAL_STREAM_LEN 16   /* bytes of a stream id */
#define NLOG__SEAL_HASH_LEN 32     /* BLAKE2b-256 */
#define NLOG__SEAL_TAG_LEN 8       /* bytes of a record's tag in a checkpoint */
#define NLOG__SEAL_PK_LEN 32       /* Ed25519 public key */
#define NLOG__SEAL_SK_LEN 64       /* Ed25519 secret key (libsodium form: seed || pk) */
#define NLOG__SEAL_SIG_LEN 64      /* Ed25519 signature */
#define NLOG__SEAL_RANGE_MAX 1000  /* records one checkpoint covers at most */
#define NLOG__SEAL_NAME_MAX 255    /* bytes of a log name */

/* A checkpoint header: 232 bytes plus 32 per key. */
#define NLOG__SEAL_HDR_FIXED 232
#define NLOG__SEAL_HDR_MAX (NLOG__SEAL_HDR_FIXED + NLOG__SEAL_PK_LEN * NLOG__SEAL_DEPTH)
/* A genesis: 104 bytes plus the name. */
#define NLOG__SEAL_GEN_FIXED 104
#define NLOG__SEAL_GEN_MAX (NLOG__SEAL_GEN_FIXED + NLOG__SEAL_NAME_MAX)
#define NLOG__SEAL_TRANS_LEN 80
#define NLOG__SEAL_TRANS_MAX 8     /* transitions one stream may carry (a chain) */

/* Why a checkpoint was written (its "reason"). */
typedef enum nlog__seal_reason {
    NLOG__SEAL_R_COUNT = 1,     /* the range reached seal_checkpoint_records */
    NLOG__SEAL_R_INTERVAL = 2,  /* the oldest record waited seal_checkpoint_interval_ms */
    NLOG__SEAL_R_ROTATE = 3,    /* last line of a rotated segment */
    NLOG__SEAL_R_CLOSE = 4,     /* the writer closed the file */
    NLOG__SEAL_R_RETENTION = 5, /* carries a retention cut */
    NLOG__SEAL_R_CLOCK = 6,     /* the wall clock stepped */
    NLOG__SEAL_R_REKEY = 7,     /* last checkpoint of a stream replaced by a new key */
    NLOG__SEAL_R_MAX = 7
} nlog__seal_reason;

/* "count", "interval", ...; NULL for an unknown value. */
const char *nlog__seal_reason_name(int reason);
/* The reason called name[0..len), or 0. */
int nlog__seal_reason_find(const char *name, size_t len);

typedef struct nlog__seal_hdr {
    uint8_t stream[NLOG__SEAL_STREAM_LEN];
    uint64_t epoch;
    uint64_t first;  /* first sequence number covered */
    uint64_t last;   /* last one; first - 1 when the checkpoint covers none */
    int64_t wall_ns; /* writer's wall clock, ns since the epoch */
    uint8_t reason;  /* nlog__seal_reason */
    uint8_t n_keys;  /* keys[0..n_keys): keys[j] is the public key of epoch + 2^j */
    uint16_t n_prev; /* records of the previous checkpoint's range, whose tags it repeats */
    uint8_t prev[NLOG__SEAL_HASH_LEN];
    uint8_t tags_hash[NLOG__SEAL_HASH_LEN];
    uint8_t prev_tags_hash[NLOG__SEAL_HASH_LEN]; /* of the repeated tags (zeros when none) */
    uint8_t root[NLOG__SEAL_HASH_LEN];
    uint8_t extra_hash[NLOG__SEAL_HASH_LEN]; /* zeros when there is no extra */
    uint8_t keys[NLOG__SEAL_DEPTH][NLOG__SEAL_PK_LEN];
} nlog__seal_hdr;

typedef struct nlog__seal_gen {
    uint8_t stream[NLOG__SEAL_STREAM_LEN];
    uint8_t master_pk[NLOG__SEAL_PK_LEN];
    int64_t created_ns;
    uint8_t depth;                     /* NLOG__SEAL_DEPTH */
    uint8_t name_len;
    char name[NLOG__SEAL_NAME_MAX + 1]; /* NUL-terminated copy */
    uint8_t p0[NLOG__SEAL_PK_LEN];     /* public key of epoch 0 */
} nlog__seal_gen;

typedef struct nlog__seal_trans {
    uint8_t old_pk[NLOG__SEAL_PK_LEN];
    uint8_t new_pk[NLOG__SEAL_PK_LEN];
    int64_t created_ns;
} nlog__seal_trans;

/* How many keys the checkpoint of `epoch` carries: the larger of 2 and the
 * number of trailing zero bits of epoch (all 40 for epoch 0), limited to
 * the epochs that exist (< 2^40); 0 for the last epoch. Two at least, so
 * that the key of epoch e + 2 is known even if checkpoint e + 1 is not
 * (damaged or deleted). */
unsigned nlog__seal_n_keys(uint64_t epoch);

/* Encoders return the number of bytes written (out must hold the _MAX). */
size_t nlog__seal_hdr_encode(const nlog__seal_hdr *h, uint8_t *out);
size_t nlog__seal_gen_encode(const nlog__seal_gen *g, uint8_t *out);
size_t nlog__seal_trans_encode(const nlog__seal_trans *t, uint8_t *out);

/* Decoders read one structure at the start of in[0..len); return the bytes
 * it takes, or 0 if it is malformed or does not fit. */
size_t nlog__seal_hdr_decode(const uint8_t *in, size_t len, nlog__seal_hdr *h);
size_t nlog__seal_gen_decode(const uint8_t *in, size_t len, nlog__seal_gen *g);
size_t nlog__seal_trans_decode(const uint8_t *in, size_t len, nlog__seal_trans *t);

/* Checkpoint signatures made by this process so far (tests and bench/ use
 * it to show that sealing signs once per checkpoint). */
extern uint64_t nlog__seal_signatures;

/* Signatures over domain string || encoding. Verifiers return 1 if valid. */
void nlog__seal_hdr_sign(const nlog__seal_hdr *h, const uint8_t *sk,
                         uint8_t *sig);
int nlog__seal_hdr_verify(const nlog__seal_hdr *h, const uint8_t *sig,
                          const uint8_t *pk);
void nlog__seal_gen_sign(const nlog__seal_gen *g, const uint8_t *sk,
                         uint8_t *sig);
int nlog__seal_gen_verify(const nlog__seal_gen *g, const uint8_t *sig);
void nlog__seal_trans_sign(const nlog__seal_trans *t, const uint8_t *sk,
                           uint8_t *sig);
int nlog__seal_trans_verify(const nlog__seal_trans *t, const uint8_t *sig);

/* The chain hash of a checkpoint: BLAKE2b-256(header encoding || signature). */
void nlog__seal_hdr_hash(const nlog__seal_hdr *h, const uint8_t *sig,
                         uint8_t *out);
/* The hash that starts a stream's chain: BLAKE2b-256(genesis encoding || signature). */
void nlog__seal_gen_hash(const nlog__seal_gen *g, const uint8_t *sig,
                         uint8_t *out);

/* BLAKE2b-256 of data (one record line, without its newline). */
void nlog__seal_hash(const void *data, size_t len, uint8_t *out);

/* A key identifier: the first 8 bytes of BLAKE2b-256(pk) as 16 hex digits
 * and a NUL. */
void nlog__seal_key_id(const uint8_t *pk, char *out);

/* libsodium's initialisation, once per process. Returns 0, or -1 if the
 * library cannot be used (then nothing is sealed or verified). */
int nlog__seal_crypto_init(void);

#endif /* NLOG_SEAL_WIRE_H */
