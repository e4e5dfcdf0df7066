/* image.c: the read-only address ranges of the program image.
 *
 * A string whose bytes lie in a non-writable PT_LOAD segment of the main
 * program (string literals, __func__, __FILE__, static const arrays) cannot
 * change or disappear while the process runs, so the asynchronous queue may
 * keep a pointer to it instead of a copy. Only two objects qualify: the main
 * program, which is never unloaded, and the object that holds libnlog itself
 * (the same one when linked statically), which cannot be unloaded while the
 * library runs. Shared libraries of the application are deliberately left
 * out: one opened with dlopen() may be closed again while records that
 * point into it are still queued, and the loader does not say which ones
 * were loaded at start-up. Their strings are copied, which is merely slower.
 *
 * Adjacent non-writable segments are merged (text and rodata usually touch);
 * a writable segment is never inside a range.
 * Tested by: tests/unit/async/test_codec.c */
#include <link.h>
#include <pthread.h>
#include <stdint.h>

#include "platform/platform.h"

nlog__range nlog__static_ranges[NLOG__STATIC_RANGES];

typedef struct collect {
    uintptr_t self;   /* an address inside libnlog's object */
    int seen_main;
    size_t n;
} collect;

/* Adds the non-writable PT_LOAD segments of one object as one merged range
 * per run of adjacent segments; keeps the largest run (the one with text
 * and rodata) if they are not adjacent. */
static void add_object(collect *c, const struct dl_phdr_info *info)
{
    uintptr_t lo = 0, hi = 0, best_lo = 0, best_hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t a = (uintptr_t) info->dlpi_addr + (uintptr_t) ph->p_vaddr;
        uintptr_t b = a + (uintptr_t) ph->p_memsz;
        if (ph->p_flags & PF_W) {
            /* a writable segment ends the current run */
            if (hi - lo > best_hi - best_lo) {
                best_lo = lo;
                best_hi = hi;
            }
            lo = hi = 0;
            continue;
        }
        /* segments start page-aligned; allow the gap up to the next page */
        if (hi && a <= ((hi + 4095) & ~(uintptr_t) 4095) && a >= lo) {
            hi = b > hi ? b : hi;
        } else {
            if (hi - lo > best_hi - best_lo) {
                best_lo = lo;
                best_hi = hi;
            }
            lo = a;
            hi = b;
        }
    }
    if (hi - lo > best_hi - best_lo) {
        best_lo = lo;
        best_hi = hi;
    }
    if (best_hi > best_lo && c->n < NLOG__STATIC_RANGES) {
        nlog__static_ranges[c->n].lo = best_lo;
        nlog__static_ranges[c->n].len = best_hi - best_lo;
        c->n++;
    }
}

static int contains(const struct dl_phdr_info *info, uintptr_t addr)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t a = (uintptr_t) info->dlpi_addr + (uintptr_t) ph->p_vaddr;
        if (ph->p_type == PT_LOAD && addr >= a && addr < a + (uintptr_t) ph->p_memsz)
            return 1;
    }
    return 0;
}

static int visit(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void) size;
    collect *c = arg;
    int is_main = !c->seen_main; /* the loader reports the main program first */
    c->seen_main = 1;
    int is_self = contains(info, c->self);
    if (is_main || is_self)
        add_object(c, info);
    return 0;
}

static void init_once(void)
{
    collect c = {.self = (uintptr_t) (void *) nlog__static_ranges}; /* in our object */
    (void) dl_iterate_phdr(visit, &c);
    /* the main program and libnlog may be one object: keep one range */
    if (c.n == 2 && nlog__static_ranges[0].lo == nlog__static_ranges[1].lo)
        nlog__static_ranges[1].len = 0;
}

void nlog__static_ranges_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    (void) pthread_once(&once, init_once);
}
