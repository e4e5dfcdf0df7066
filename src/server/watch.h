/* watch.h: following the JSON-lines files applications write
 * (server.watch_directory).
 *
 * Every *.log file in the directory is followed except security.log and
 * audit.log, whose records are already in netlink.log. Complete lines are
 * parsed like an NDJSON ingest body and stored together with the file's
 * new position (path, device, inode, offset) in one transaction, so after a
 * restart reading resumes exactly after the last stored line. Rotation (the
 * path names a new inode) is handled by reading the old file to its end
 * before switching; a file that shrank (truncated) is read again from the
 * start. The directory is scanned every 200 ms.
 * Tested by: tests/integration/server/test_server.py (watch) */
#ifndef NLOGD_WATCH_H
#define NLOGD_WATCH_H

#include "server/server.h"

typedef struct nlogd_watch nlogd_watch;

int nlogd_watch_start(nlogd_server *srv, const char *dir, nlogd_watch **ret, char *why,
                      size_t why_size);
void nlogd_watch_stop(nlogd_watch *w);

#endif
