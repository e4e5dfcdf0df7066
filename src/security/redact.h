/* redact.h: masking and field encryption applied to a record where it is
 * encoded (never installed).
 *
 * The pipeline calls nlog__redact() on every record before any encoder sees
 * it, so the console, every file and every later output get the same
 * masked and encrypted record. In asynchronous mode that is the writer
 * thread; the logging thread never pays for it. A record with nothing to
 * mask or encrypt is returned as it is after one scan (the fast path); only
 * a record that changes is copied, into a workspace owned by the thread (or,
 * for the batch path, by the pipeline, whose batch path has one user at a
 * time: the writer, or the fatal-signal drain once the writer parked).
 * When memory for a copy cannot be had, the value is written as "***":
 * masking never fails open.
 * Tested by: tests/unit/security/test_security_mask.c, test_security_crypt.c */
#ifndef NLOG_SECURITY_REDACT_H
#define NLOG_SECURITY_REDACT_H

#include <nlog/nlog.h>

#include "core/record.h"

typedef struct nlog__redactor nlog__redactor;
typedef struct nlog__redact_ws nlog__redact_ws;

/* Builds the redactor of a resolved configuration; *ret is NULL when the
 * configuration masks and encrypts nothing. `record_cap` is
 * max_record_size. Reports a missing encryption key as a diagnostic (the
 * encrypt_fields are then masked instead). */
nlog_status nlog__redactor_create(const nlog_config *cfg, size_t record_cap,
                                  nlog__redactor **ret);
void nlog__redactor_destroy(nlog__redactor *rd);

/* The record to encode: `r` itself, or *out filled with masked and
 * encrypted copies. `batched` selects the pipeline's workspace (writer
 * thread) instead of the calling thread's. NULL `rd` returns r. */
const nlog__record *nlog__redact(nlog__redactor *rd, const nlog__record *r, int batched,
                                 nlog__record *out);

#endif /* NLOG_SECURITY_REDACT_H */
