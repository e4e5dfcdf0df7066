/* keygen.c: nlog_seal_keygen(), the offline side of sealing (seal.h).
 *
 * The master secret signs one genesis per host state and, on key rotation,
 * a transition to the next master; it never goes to the logging host. A
 * host state starts at epoch 0 of a fresh key tree whose root seed exists
 * only in this function (tree.h), so not even the master's holder can sign
 * a checkpoint for the host: the master vouches for the stream, the stream's
 * own keys vouch for its records. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlog/seal.h>

#include "core/core.h"
#include "platform/platform.h"
#include "seal/keyfile.h"
#include "seal/state.h"
#include "seal/tree.h"

#define TRANS_ITEM (NLOG__SEAL_TRANS_LEN + NLOG__SEAL_SIG_LEN)

static const char *const default_names[] = {"netlink.log", "security.log", "audit.log"};

static int name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > NLOG__SEAL_NAME_MAX || n[0] == '.')
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = n[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static nlog_status io_fail(const char *what, const char *path, int err)
{
    nlog__set_errmsg("cannot %s %s: %s", what, path, strerror(err));
    return err == ENOMEM ? NLOG_ENOMEM : NLOG_EIO;
}

/* Creates a master key pair in dir; returns its secret in sk. */
static nlog_status new_master(const char *dir, uint8_t *sk, uint8_t *pk)
{
    char path[4200], id[17], comment[160];
    crypto_sign_keypair(pk, sk);
    nlog__seal_key_id(pk, id);
    snprintf(path, sizeof path, "%s/master.key", dir);
    snprintf(comment, sizeof comment,
             "nlog sealing MASTER SECRET key %s: keep it offline, never on a logging host", id);
    int err = nlog__seal_keyfile_write(path, comment, "nlog-seal-master-key", sk,
                                       NLOG__SEAL_SK_LEN, 0600);
    if (err)
        return err == EEXIST ? (nlog__set_errmsg("%s already exists", path), NLOG_ESTATE)
                             : io_fail("write", path, err);
    snprintf(path, sizeof path, "%s/seal.pub", dir);
    snprintf(comment, sizeof comment, "nlog sealing public key %s", id);
    (void) unlink(path); /* a public key of another master would be misleading */
    err = nlog__seal_keyfile_write(path, comment, "nlog-seal-public-key", pk, NLOG__SEAL_PK_LEN,
                                   0644);
    return err ? io_fail("write", path, err) : NLOG_OK;
}

static nlog_status load_master(const char *dir, uint8_t *sk, uint8_t *pk)
{
    char path[4200], why[512];
    snprintf(path, sizeof path, "%s/master.key", dir);
    int err = nlog__seal_keyfile_read(path, "nlog-seal-master-key", sk, NLOG__SEAL_SK_LEN, why,
                                      sizeof why);
    if (err) {
        nlog__set_errmsg("%s", why);
        return err == ENOENT ? NLOG_ENOTFOUND : err == EINVAL ? NLOG_EINVAL : NLOG_EIO;
    }
    memcpy(pk, sk + 32, NLOG__SEAL_PK_LEN); /* libsodium's secret key is seed || pk */
    uint8_t seed_pk[NLOG__SEAL_PK_LEN], check_sk[NLOG__SEAL_SK_LEN];
    crypto_sign_seed_keypair(seed_pk, check_sk, sk);
    int ok = sodium_memcmp(seed_pk, pk, NLOG__SEAL_PK_LEN) == 0;
    sodium_memzero(check_sk, sizeof check_sk);
    if (!ok) {
        nlog__set_errmsg("%s: the secret and public halves of the key do not match", path);
        return NLOG_EINVAL;
    }
    /* keep seal.pub next to it */
    snprintf(path, sizeof path, "%s/seal.pub", dir);
    struct stat st;
    if (stat(path, &st) != 0) {
        char id[17], comment[96];
        nlog__seal_key_id(pk, id);
        snprintf(comment, sizeof comment, "nlog sealing public key %s", id);
        err = nlog__seal_keyfile_write(path, comment, "nlog-seal-public-key", pk,
                                       NLOG__SEAL_PK_LEN, 0644);
        if (err)
            return io_fail("write", path, err);
    }
    return NLOG_OK;
}

static nlog_status make_state(const char *host, const char *name, const char *suffix,
                              const uint8_t *msk, const uint8_t *mpk, const uint8_t *trans,
                              size_t n_trans)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s.seal%s", host, name, suffix);
    struct stat st;
    if (stat(path, &st) == 0) {
        nlog__set_errmsg("%s already exists; a host state is never overwritten", path);
        return NLOG_ESTATE;
    }
    nlog__seal_keys *k = sodium_malloc(sizeof *k);
    uint8_t *root = sodium_malloc(32);
    if (!k || !root) {
        if (k)
            sodium_free(k);
        if (root)
            sodium_free(root);
        return NLOG_ENOMEM;
    }
    randombytes_buf(root, 32);
    nlog__seal_tree_init(k, root);
    sodium_free(root); /* the root seed never leaves this function */

    nlog__seal_gen g;
    memset(&g, 0, sizeof g);
    randombytes_buf(g.stream, sizeof g.stream);
    memcpy(g.master_pk, mpk, NLOG__SEAL_PK_LEN);
    g.created_ns = nlog__clock_realtime_ns();
    g.depth = NLOG__SEAL_DEPTH;
    g.name_len = (uint8_t) strlen(name);
    memcpy(g.name, name, g.name_len + 1u);
    memcpy(g.p0, k->pk, NLOG__SEAL_PK_LEN);
    uint8_t gen[NLOG__SEAL_GEN_MAX + NLOG__SEAL_SIG_LEN];
    size_t gl = nlog__seal_gen_encode(&g, gen);
    nlog__seal_gen_sign(&g, msk, gen + gl);
    int err = nlog__seal_state_create(path, &g, gen, gl + NLOG__SEAL_SIG_LEN, trans,
                                      n_trans * TRANS_ITEM, k);
    sodium_free(k);
    return err ? io_fail("create", path, err) : NLOG_OK;
}

nlog_status nlog_seal_keygen(const char *dir, const char *const *names, size_t n_names,
                             const char *rotate_from)
{
    nlog__clear_errmsg();
    if (!dir || !*dir) {
        nlog__set_errmsg("nlog_seal_keygen: a directory is needed");
        return NLOG_EINVAL;
    }
    if (!names || n_names == 0) {
        names = default_names;
        n_names = sizeof default_names / sizeof default_names[0];
    }
    for (size_t i = 0; i < n_names; i++)
        if (!names[i] || !name_ok(names[i])) {
            nlog__set_errmsg("'%s' is not a log file name; accepted: 1 to 255 of "
                             "[A-Za-z0-9._-], not starting with '.'",
                             names[i] ? names[i] : "(null)");
            return NLOG_EINVAL;
        }
    if (nlog__seal_crypto_init() != 0) {
        nlog__set_errmsg("libsodium cannot be initialised");
        return NLOG_EIO;
    }
    char host[4200];
    if (snprintf(host, sizeof host, "%s/host", dir) >= (int) sizeof host) {
        nlog__set_errmsg("the directory name %s is too long", dir);
        return NLOG_EINVAL;
    }
    int err = nlog__mkdir_p(host, 0700);
    if (err)
        return io_fail("create", host, err);

    uint8_t *msk = sodium_malloc(NLOG__SEAL_SK_LEN);
    uint8_t *trans = malloc(NLOG__SEAL_TRANS_MAX * TRANS_ITEM);
    uint8_t mpk[NLOG__SEAL_PK_LEN];
    nlog_status st = msk && trans ? NLOG_OK : NLOG_ENOMEM;
    int n_trans = 0;
    char path[4200], why[512];
    if (st == NLOG_OK && rotate_from) {
        /* The previous master vouches for a new one. */
        uint8_t *old = sodium_malloc(NLOG__SEAL_SK_LEN);
        uint8_t old_pk[NLOG__SEAL_PK_LEN];
        st = old ? load_master(rotate_from, old, old_pk) : NLOG_ENOMEM;
        if (st == NLOG_OK) {
            snprintf(path, sizeof path, "%s/transitions", rotate_from);
            n_trans = nlog__seal_transitions_read(path, trans, NLOG__SEAL_TRANS_MAX - 1, why,
                                                  sizeof why);
            if (n_trans < 0) {
                nlog__set_errmsg("%s", why);
                st = NLOG_EINVAL;
            }
        }
        if (st == NLOG_OK)
            st = new_master(dir, msk, mpk);
        if (st == NLOG_OK) {
            nlog__seal_trans t;
            memcpy(t.old_pk, old_pk, sizeof old_pk);
            memcpy(t.new_pk, mpk, sizeof mpk);
            t.created_ns = nlog__clock_realtime_ns();
            uint8_t *item = trans + (size_t) n_trans * TRANS_ITEM;
            nlog__seal_trans_encode(&t, item);
            nlog__seal_trans_sign(&t, old, item + NLOG__SEAL_TRANS_LEN);
            n_trans++;
            snprintf(path, sizeof path, "%s/transitions", dir);
            (void) unlink(path);
            err = nlog__seal_transitions_write(path, trans, (size_t) n_trans);
            if (err)
                st = io_fail("write", path, err);
        }
        if (old)
            sodium_free(old);
    } else if (st == NLOG_OK) {
        st = load_master(dir, msk, mpk);
        if (st == NLOG_ENOTFOUND) {
            nlog__clear_errmsg();
            st = new_master(dir, msk, mpk);
        } else if (st == NLOG_OK) {
            snprintf(path, sizeof path, "%s/transitions", dir);
            n_trans = nlog__seal_transitions_read(path, trans, NLOG__SEAL_TRANS_MAX, why,
                                                  sizeof why);
            if (n_trans < 0) {
                nlog__set_errmsg("%s", why);
                st = NLOG_EINVAL;
            }
        }
    }
    for (size_t i = 0; st == NLOG_OK && i < n_names; i++)
        st = make_state(host, names[i], rotate_from ? ".next" : "", msk, mpk, trans,
                        (size_t) n_trans);
    if (msk)
        sodium_free(msk);
    free(trans);
    return st;
}
