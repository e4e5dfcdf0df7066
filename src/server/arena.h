/* arena.h: a bump allocator for one request's records; freed at once. */
#ifndef NLOGD_ARENA_H
#define NLOGD_ARENA_H

#include <stddef.h>

typedef struct nlogd_arena_chunk nlogd_arena_chunk;
typedef struct nlogd_arena {
    nlogd_arena_chunk *head;
    size_t used;  /* bytes handed out, for accounting */
} nlogd_arena;

void nlogd_arena_init(nlogd_arena *a);
void nlogd_arena_free(nlogd_arena *a);
/* n bytes, 8-aligned; NULL when memory runs out. */
void *nlogd_arena_alloc(nlogd_arena *a, size_t n);
/* A NUL-terminated copy of s[0..n). */
char *nlogd_arena_strdup(nlogd_arena *a, const char *s, size_t n);

#endif
