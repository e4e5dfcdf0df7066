/* cut.h (internal): the retention hook of sealed files.
 *
 * Before retention deletes rotated segments of a sealed log, the sealer
 * writes a checkpoint (reason "retention") whose signed extra names the
 * files and the sequence numbers they hold, so that verification can tell
 * records deleted by policy from records removed by someone else.
 * After a key change, the current stream also writes the cuts of the
 * earlier streams still in the log, naming their ids (docs/FORMAT.md).
 * Tested by: tests/unit/seal/test_seal_attacks.c (deletion by retention,
 * retention_after_rekey) */
#ifndef NLOG_SEAL_CUT_H
#define NLOG_SEAL_CUT_H

#include <stddef.h>

#include "sink/rotate.h"

/* An nlog__rot_cut_fn; ctx is the file's nlog__sealer. */
int nlog__seal_retention_cut(void *ctx, const char *dir, const nlog__seg *const *segs,
                             size_t n_del, const nlog__seg *kept);

#endif /* NLOG_SEAL_CUT_H */
