/* lifecycle_internal.h: what lifecycle.c lends to the asynchronous writer's
 * fatal-signal drain, which cannot take locks. */
#ifndef NLOG_CORE_LIFECYCLE_INTERNAL_H
#define NLOG_CORE_LIFECYCLE_INTERNAL_H

#include "core/pipeline.h"

/* The pipeline in force, read without the state lock. Only for the fatal
 * signal drain, once the writer (the lock's only other user in async mode)
 * has parked. */
nlog__pipeline *nlog__state_peek(void);

#endif /* NLOG_CORE_LIFECYCLE_INTERNAL_H */
