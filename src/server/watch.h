/* watch.h: following the JSON-lines files applications write
 * (server.watch_directory).
 *
 * The active *.log files of the directory are followed: not security.log,
 * audit.log or security-* / audit-* (their records are already in
 * netlink.log), not rotated segments (<stem>-YYYYMMDDTHHMMSSZ-NNNNNN.log,
 * read while they were active), not symbolic links or other non-regular
 * files. Complete lines are parsed as NDJSON, always (a line starting with
 * '[' is one rejected line, not an array body), and stored together with
 * the file's new position (path, device, inode, offset) in one transaction,
 * so after a restart reading resumes exactly after the last stored line.
 * Rotation (the path names a new inode) is handled by reading the old file
 * to its end, then the segments rotated after it, before switching; after a
 * restart, a stored inode that was rotated away is found among the segments
 * and read on from its offset. A file that shrank (truncated) is read again
 * from the start. The directory is scanned every 200 ms. Details: watch.c.
 * Tested by: tests/integration/server/test_server.py (watch, watch_rotate) */
#ifndef NLOGD_WATCH_H
#define NLOGD_WATCH_H

#include "server/server.h"

typedef struct nlogd_watch nlogd_watch;

int nlogd_watch_start(nlogd_server *srv, const char *dir, nlogd_watch **ret, char *why,
                      size_t why_size);
void nlogd_watch_stop(nlogd_watch *w);

#endif
