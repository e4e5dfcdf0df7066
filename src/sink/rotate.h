/* rotate.h: rotation of the file sink, the names of rotated files, and the
 * options the pipeline passes to a file sink (see docs/internals/rotation.md).
 *
 * A file "netlink.log" is split into its stem "netlink" and extension
 * ".log"; its rotated segments are named
 *
 *     <stem>-<YYYYMMDD>T<HHMMSS>Z-<NNNNNN><ext>       netlink-20261124T012548Z-000001.log
 *
 * with the UTC time of the rotation and a sequence number that makes the name
 * unique (fixed widths, so names sort in time order), followed by ".zst" or
 * ".gz" once compressed and ".tmp" while being compressed. */
#ifndef NLOG_SINK_ROTATE_H
#define NLOG_SINK_ROTATE_H

#include <stddef.h>
#include <stdint.h>

#include <nlog/status.h>

#include "internal/compiler.h"
#include "sink/sink.h"

struct nlog__seg;

/* Sealed files: called before retention deletes the n_del oldest segments
 * (segs[i]: one entry of each, oldest first; kept: the oldest segment that
 * stays, NULL if only the active file does). Returns 0 to go ahead (a signed
 * retention record now names them), non-zero to keep them for a later pass. */
typedef int (*nlog__rot_cut_fn)(void *ctx, const char *dir, const struct nlog__seg *const *segs,
                                size_t n_del, const struct nlog__seg *kept);

/* What happens to one file's rotated segments (compression and retention). */
typedef struct nlog__rot_policy {
    int compress;       /* 1: compress rotated segments */
    int algo;           /* nlog_compression */
    int keep_files;     /* segments kept; 0 = no limit */
    int keep_days;      /* days; 0 = no limit */
    int64_t keep_bytes; /* bytes of segments kept; 0 = no limit */
    nlog__rot_cut_fn cut; /* sealed files: see above; NULL otherwise */
    void *cut_ctx;
} nlog__rot_policy;

/* Rotation options of a file sink. All zero: plain append-only file. */
typedef struct nlog__file_opts {
    int64_t max_size;        /* bytes; 0 = no size rotation */
    int period;              /* nlog_rotate_period */
    nlog__rot_policy policy; /* for the rotated segments */
    /* Sealing (src/seal): seal 1 asks for it; seal_required 1 fails the
     * sink's creation when it cannot be sealed. seal_if_set_up 1 (the files
     * sealed by default): when the key directory does not exist at all, the
     * host is not set up for sealing and the file is written unsealed
     * without a report; otherwise a file that cannot be sealed is reported. */
    int seal;
    int seal_required;
    int seal_if_set_up;
    const char *seal_key_dir;        /* copied at creation */
    unsigned seal_max_records;
    int64_t seal_interval_ns;
} nlog__file_opts;

/* File sink with rotation (sink.h's nlog__file_sink_create() is this with
 * all-zero options). Tested by: tests/unit/sink/test_rotate.c */
NLOG_NODISCARD nlog_status nlog__file_sink_create_opts(const char *dir, const char *name,
                                                       const nlog__file_opts *opts,
                                                       nlog__sink **ret_sink);

/* Kinds of directory entries that belong to a file's segments. */
typedef enum nlog__seg_kind {
    NLOG__SEG_PLAIN = 0, /* <seg><ext> */
    NLOG__SEG_ZST,       /* <seg><ext>.zst */
    NLOG__SEG_GZ,        /* <seg><ext>.gz */
    NLOG__SEG_TMP        /* <seg><ext>.zst.tmp or .gz.tmp: an unfinished compression */
} nlog__seg_kind;

/* One directory entry of a segment. */
typedef struct nlog__seg {
    char name[256];   /* the entry's name */
    size_t base_len;  /* bytes of name that are "<stem>-<time>-<seq><ext>" */
    int64_t time_s;   /* rotation time, seconds since the epoch (UTC) */
    nlog__seg_kind kind;
    int64_t size;     /* bytes */
} nlog__seg;

/* Splits "netlink.log" into "netlink" and ".log" (no dot: the extension is
 * ""). Returns 0, or -1 if a part does not fit. This function can't fail
 * otherwise. */
int nlog__rot_split(const char *name, char *stem, size_t stem_size, char *ext, size_t ext_size);

/* Writes "<stem>-<time>-<seq><ext>" (time: UTC seconds). Returns 0, or -1 if
 * it does not fit. */
int nlog__rot_format(char *buf, size_t size, const char *stem, const char *ext, int64_t time_s,
                     unsigned seq);

/* Parses a directory entry; returns 1 and fills *ret if it is a segment of
 * stem/ext (size left 0), else 0. */
int nlog__rot_parse(const char *entry, const char *stem, const char *ext, nlog__seg *ret);

/* Lists the segments of stem/ext in `dir`, sorted by name (time order), with
 * their sizes. *ret_segs is malloc'ed (free it; NULL when none). Returns 0 or
 * an errno. */
int nlog__rot_list(const char *dir, const char *stem, const char *ext, nlog__seg **ret_segs,
                   size_t *ret_n);

/* Index of the UTC period (hour or day) containing `time_ns`; 0 for
 * NLOG_ROTATE_NONE. */
int64_t nlog__rot_period_index(int period, int64_t time_ns);

#endif /* NLOG_SINK_ROTATE_H */
