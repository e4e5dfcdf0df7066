/* remote.h (internal): the remote output — records shipped to an nlogd.
 * docs/internals/remote.md describes the whole path; in short:
 *
 *   write()  appends the JSON lines to an in-memory batch (a memcpy under a
 *            mutex; never network I/O, never a wait for the server)
 *   sender   one thread per output: cuts batches every
 *            server_flush_interval_ms or at 512 KiB, gzips them, gives each a
 *            random batch id and POSTs it (libcurl, one kept-alive
 *            connection). A failed POST is retried with exponential backoff
 *            and jitter; meanwhile batches wait in the spool directory
 *            (spool.h), oldest sent first once the server answers again.
 *   ids      the server stores a batch id once, so a batch resent after a
 *            timeout or a crash of either side is stored exactly once.
 *
 * Tested by: tests/unit/sink/test_spool.c, tests/integration/server/
 * (test_remote_kill9). */
#ifndef NLOG_SINK_REMOTE_H
#define NLOG_SINK_REMOTE_H

#include <nlog/config.h>

#include "sink/sink.h"

/* A remote output for cfg->server_url, spooling to
 * cfg->server_spool_directory (or cfg->directory/spool). */
nlog_status nlog__remote_sink_create(const nlog_config *cfg, nlog__sink **ret_sink);

/* Test seam (tests/unit/sink/test_remote.c only; NULL otherwise): called by
 * the sender after a spooled batch was POSTed and before it is removed from
 * the spool, with no lock held. Set it before nlog_init(). */
extern void (*nlog__remote_sent_hook)(void);

#endif
