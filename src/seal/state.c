/* state.c: creating, opening and mapping host state files (see state.h). */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seal/state.h"

unsigned nlog__seal_proof_level(uint64_t e)
{
    return e == 0 ? NLOG__SEAL_DEPTH : (unsigned) __builtin_ctzll(e);
}

/* Appends the slot holding the checkpoint of epoch e; -1 if it does not. */
static int put_slot(const nlog__seal_proof_slot *slots, uint64_t e, uint8_t *out, size_t *len)
{
    const nlog__seal_proof_slot *p = &slots[nlog__seal_proof_level(e)];
    nlog__seal_hdr h;
    if (p->len < NLOG__SEAL_SIG_LEN || p->len > sizeof p->data ||
        nlog__seal_hdr_decode(p->data, p->len - NLOG__SEAL_SIG_LEN, &h) !=
            p->len - NLOG__SEAL_SIG_LEN ||
        h.epoch != e)
        return -1;
    memcpy(out + *len, p->data, p->len);
    *len += p->len;
    return 0;
}

size_t nlog__seal_proof_build(const nlog__seal_proof_slot *slots, uint64_t n, uint8_t *out)
{
    if (n == 0)
        return 0;
    const uint64_t before = n - 1;
    size_t len = 0;
    uint64_t c = 0;
    /* hop from c to c + 2^b with the checkpoint of epoch c: the slot of c's
     * level still holds c, as no later epoch up to n - 1 has that level */
    for (int b = 63; b >= 0; b--) {
        if (!(before >> b & 1))
            continue;
        if (put_slot(slots, c, out, &len) != 0)
            return (size_t) -1;
        c += (uint64_t) 1 << b;
    }
    /* c == n - 1: its own checkpoint, the hop to n */
    if (put_slot(slots, c, out, &len) != 0)
        return (size_t) -1;
    return len;
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (w == 0)
            return ENOSPC;
        c += w;
        n -= (size_t) w;
    }
    return 0;
}

int nlog__seal_state_create(const char *path, const nlog__seal_gen *g, const uint8_t *gen,
                            size_t gen_len, const uint8_t *trans, size_t trans_len,
                            const nlog__seal_keys *k0)
{
    if (gen_len > sizeof(((nlog__seal_meta *) 0)->gen) ||
        trans_len > sizeof(((nlog__seal_meta *) 0)->trans))
        return EINVAL;
    nlog__seal_file *f = calloc(1, sizeof *f);
    if (!f)
        return ENOMEM;
    nlog__seal_meta *m = &f->meta.m;
    memcpy(m->magic, "NLSEALS1", 8);
    m->version = NLOG__SEAL_STATE_VERSION;
    m->size = (uint32_t) sizeof *f;
    memcpy(m->stream, g->stream, sizeof m->stream);
    memcpy(m->master_pk, g->master_pk, sizeof m->master_pk);
    memcpy(m->name, g->name, g->name_len + 1u);
    m->gen_len = (uint32_t) gen_len;
    memcpy(m->gen, gen, gen_len);
    m->trans_len = (uint32_t) trans_len;
    if (trans_len)
        memcpy(m->trans, trans, trans_len);
    f->keys[0].k = *k0;
    nlog__seal_head *h = &f->head[0].h;
    h->seq_next = 1;
    h->first_uncovered = 1;
    h->retained_from = 1;
    h->cut_origin = 1;
    nlog__seal_gen_hash(g, gen + gen_len - NLOG__SEAL_SIG_LEN, h->prev);

    char tmp[4200];
    int err = 0, fd = -1;
    if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long) getpid()) >= (int) sizeof tmp) {
        err = ENAMETOOLONG;
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        err = errno;
        goto out;
    }
    if ((err = write_all(fd, f, sizeof *f)) != 0 || (fsync(fd) != 0 && (err = errno) != 0))
        goto out;
    if (close(fd) != 0) {
        fd = -1;
        err = errno;
        goto out;
    }
    fd = -1;
    /* link + unlink: never replaces an existing state */
    if (link(tmp, path) != 0) {
        err = errno;
        goto out;
    }
out:
    if (fd >= 0)
        (void) close(fd);
    (void) unlink(tmp);
    sodium_memzero(f, sizeof *f);
    free(f);
    return err;
}

int nlog__seal_state_map(const char *path, int *ret_fd, nlog__seal_file **ret_map)
{
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        (void) close(fd);
        return e;
    }
    if (!S_ISREG(st.st_mode) || (size_t) st.st_size != sizeof(nlog__seal_file)) {
        (void) close(fd);
        return EINVAL;
    }
    void *p = mmap(NULL, sizeof(nlog__seal_file), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        (void) close(fd);
        return e;
    }
    nlog__seal_file *f = p;
    const nlog__seal_meta *m = &f->meta.m;
    nlog__seal_gen g;
    if (memcmp(m->magic, "NLSEALS1", 8) != 0 || m->version != NLOG__SEAL_STATE_VERSION ||
        m->size != sizeof *f || m->gen_len < NLOG__SEAL_SIG_LEN ||
        m->gen_len > sizeof m->gen || m->trans_len > sizeof m->trans ||
        nlog__seal_gen_decode(m->gen, m->gen_len - NLOG__SEAL_SIG_LEN, &g) !=
            m->gen_len - NLOG__SEAL_SIG_LEN ||
        memcmp(g.stream, m->stream, sizeof g.stream) != 0 ||
        memcmp(g.master_pk, m->master_pk, sizeof g.master_pk) != 0 ||
        memcmp(g.name, m->name, g.name_len + 1u) != 0 || !memchr(m->dir, '\0', sizeof m->dir)) {
        (void) munmap(p, sizeof *f);
        (void) close(fd);
        return EINVAL;
    }
    *ret_fd = fd;
    *ret_map = f;
    return 0;
}

void nlog__seal_state_unmap(int fd, nlog__seal_file *m)
{
    if (m)
        (void) munmap(m, sizeof *m);
    if (fd >= 0)
        (void) close(fd);
}
