/* arena.c: chunked bump allocation (see arena.h). */
#include <stdlib.h>
#include <string.h>

#include "server/arena.h"

struct nlogd_arena_chunk {
    nlogd_arena_chunk *next;
    size_t size, off;
    max_align_t data[];
};

#define CHUNK_MIN (64 * 1024)

void nlogd_arena_init(nlogd_arena *a)
{
    a->head = NULL;
    a->used = 0;
}

void nlogd_arena_free(nlogd_arena *a)
{
    while (a->head) {
        nlogd_arena_chunk *c = a->head;
        a->head = c->next;
        free(c);
    }
    a->used = 0;
}

void *nlogd_arena_alloc(nlogd_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t) 7;
    nlogd_arena_chunk *c = a->head;
    if (!c || c->size - c->off < n) {
        size_t sz = n > CHUNK_MIN ? n : CHUNK_MIN;
        c = malloc(sizeof *c + sz);
        if (!c)
            return NULL;
        c->size = sz;
        c->off = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = (char *) c->data + c->off;
    c->off += n;
    a->used += n;
    return p;
}

char *nlogd_arena_strdup(nlogd_arena *a, const char *s, size_t n)
{
    char *p = nlogd_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
