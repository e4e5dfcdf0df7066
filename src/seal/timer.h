/* timer.h (internal): the background thread that writes the checkpoints
 * nobody else writes.
 *
 * A record must not wait longer than seal_checkpoint_interval_ms for its
 * checkpoint, also when no further record comes (a synchronous program that
 * logs one line and idles, or an idle asynchronous writer). One thread per
 * process serves every open sealer: it sleeps until the earliest due time
 * (or at most a second), writes the checkpoints that are due through each
 * sealer's own descriptor, and runs the upkeep (making the state durable,
 * wiping old key slots, picking up a new state). It never takes a sink's
 * lock. Started by the first registration, stopped and joined with the last.
 * fork(): the child has no thread; its next registration or poke starts one.
 * Tested by: tests/unit/seal/test_seal_writer.c (via nlog__seal_timer_run) */
#ifndef NLOG_SEAL_TIMER_H
#define NLOG_SEAL_TIMER_H

#include <nlog/status.h>

#include "internal/compiler.h"
#include "seal/sealer.h"

typedef struct nlog__seal_timer_reg nlog__seal_timer_reg;

NLOG_NODISCARD nlog_status nlog__seal_timer_add(nlog__sealer *s, nlog__seal_timer_reg **ret);
/* Waits for a pass that is using the sealer, then forgets it; the last one
 * stops the thread. NULL is a no-op. */
void nlog__seal_timer_remove(nlog__seal_timer_reg *r);
/* A sealer has new pending records: recompute the next wake-up. Cheap;
 * must not be called with a sealer's mutex held. */
void nlog__seal_timer_poke(void);
/* Tests: one pass on the calling thread (due checkpoints and upkeep), with
 * whatever the (injected) clocks say. */
void nlog__seal_timer_run(void);
/* Tests: whether the thread runs. */
int nlog__seal_timer_running(void);
/* Tests: holds the thread before its next pass (1) or lets it go (0), so
 * that only nlog__seal_timer_run() writes interval checkpoints. */
void nlog__seal_timer_test_pause(int pause);

#endif /* NLOG_SEAL_TIMER_H */
