/* state.h: the library state in force (configuration and pipeline),
 * guarded by a writer-preferring read/write lock. Logging calls hold the read
 * side while they deliver; nlog_init(), nlog_set_profile() and
 * nlog_shutdown() take the write side to swap the pipeline. */
#ifndef NLOG_CORE_STATE_H
#define NLOG_CORE_STATE_H

#include "core/pipeline.h"

/* Takes the read lock and returns the pipeline (NULL after shutdown). Must be
 * paired with nlog__state_read_end() whatever it returned. */
nlog__pipeline *nlog__state_read_begin(void);
void nlog__state_read_end(void);

#endif /* NLOG_CORE_STATE_H */
