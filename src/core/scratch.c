/* scratch.c: see scratch.h. A pthread key's destructor frees a thread's
 * buffers at thread exit; the thread-local pointer makes the lookup a load. */
#include <pthread.h>
#include <stdlib.h>

#include "core/scratch.h"
#include "internal/diag.h"

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static _Thread_local nlog__scratch *mine;
static int oom_reported;

static void release(void *p)
{
    nlog__scratch *sc = p;
    if (!sc)
        return;
    free(sc->msg);
    free(sc);
    mine = NULL;
}

static void make_key(void)
{
    (void) pthread_key_create(&key, release);
}

nlog__scratch *nlog__scratch_get(size_t cap)
{
    nlog__scratch *sc = mine;
    if (sc && sc->cap >= cap)
        return sc;
    (void) pthread_once(&key_once, make_key);
    if (!sc) {
        sc = calloc(1, sizeof *sc);
        if (!sc)
            goto oom;
        mine = sc;
        (void) pthread_setspecific(key, sc);
    }
    char *block = malloc(cap * 3);
    if (!block)
        goto oom;
    free(sc->msg);
    sc->msg = block;
    sc->json = block + cap;
    sc->text = block + 2 * cap;
    sc->cap = cap;
    return sc;
oom:
    if (!__atomic_exchange_n(&oom_reported, 1, __ATOMIC_RELAXED))
        nlog__diag(NLOG_DIAG_INTERNAL, NLOG_ENOMEM, 0, NULL,
                   "out of memory allocating %zu bytes of record buffers; records are counted "
                   "as failed",
                   cap * 3);
    return NULL;
}
