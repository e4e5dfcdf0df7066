/* cut.c: retention records for sealed files (see cut.h).
 *
 * Each sealed segment starts with an anchor whose "first" is the first
 * sequence number it holds, so the range of a run of segments is known from
 * first lines alone (no segment is read to its end): from the first deleted
 * segment's anchor to the one before the first later file of the same
 * stream (or, for the current stream when none is left, the next sequence
 * number). Segments written before sealing was switched on belong to no
 * stream and need no record.
 *
 * After a key change (a rekey, `nlog keygen --sealing --rotate-from`) a log
 * holds several streams one after the other, each numbered from 1. The
 * current stream writes the cuts of the earlier ones too, naming their
 * stream id, because only a stream that still writes can sign. A file whose
 * anchor is of stream A also holds the start of stream B when the next file
 * with an anchor is B's: B began inside it (the rekey checkpoint ends A,
 * B's anchor of epoch 0 follows in the same file), so deleting it deletes
 * B's records 1 .. first(next file) - 1 as well. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seal/cut.h"
#include "seal/reader.h"
#include "seal/sealer_impl.h"

/* What a file's first line says about it. */
typedef struct seg_info {
    int64_t first; /* the "first" of its opening anchor; 0: no anchor */
    uint8_t stream[NLOG__SEAL_STREAM_LEN];
} seg_info;

/* Reads the anchor that opens `path`: 0 (first is 0 if there is none), or
 * -1 if the file cannot be read. */
static int first_anchor(const char *path, seg_info *out)
{
    nlog__seal_reader *r;
    char why[256];
    memset(out, 0, sizeof *out);
    if (nlog__seal_reader_open(path, &r, why, sizeof why) != 0)
        return -1;
    const char *line;
    size_t len;
    uint64_t off, seq;
    int rc = 0;
    nlog__seal_read rd = nlog__seal_reader_next(r, &line, &len, &off);
    if (rd == NLOG__READ_ERROR) {
        rc = -1;
    } else if (rd == NLOG__READ_LINE &&
               nlog__seal_line_classify(line, len, &seq) == NLOG__LINE_ANCHOR) {
        nlog__seal_anchor *a = malloc(sizeof *a);
        if (!a) {
            rc = -1;
        } else if (nlog__seal_anchor_parse(line, len, a, why, sizeof why) == 0 && a->first > 0 &&
                   a->first <= INT64_MAX) {
            out->first = (int64_t) a->first;
            memcpy(out->stream, a->stream, sizeof out->stream);
        }
        free(a);
    }
    nlog__seal_reader_close(r);
    return rc;
}

/* Where deleted file i starts in stream x: its own first if its anchor is
 * x's; 1 if x begins inside it (i's anchor is another stream's, and the
 * next file with an anchor is x's and does not start at record 1); 0 if it
 * holds none of x. `info` covers every file
 * in order, deleted ones first, `n` in all. */
static int64_t start_in(const seg_info *info, size_t n, size_t i, const uint8_t *x)
{
    if (!info[i].first)
        return 0;
    if (memcmp(info[i].stream, x, NLOG__SEAL_STREAM_LEN) == 0)
        return info[i].first;
    for (size_t j = i + 1; j < n; j++)
        if (info[j].first)
            return memcmp(info[j].stream, x, NLOG__SEAL_STREAM_LEN) == 0 && info[j].first > 1;
    return 0;
}

/* Writes the cuts of stream x for the deleted files 0..n_del-1: 0, or -1 to
 * keep the files for a later pass. */
static int cut_stream(nlog__sealer *s, const nlog__seg *const *segs, size_t n_del,
                      const seg_info *info, size_t n, const uint8_t *x, int own,
                      nlog__seal_extra *cut)
{
    /* the first later file of x that stays; none: x ends with the deletion */
    int64_t end = 0;
    for (size_t j = n_del; j < n && !end; j++)
        if (info[j].first && memcmp(info[j].stream, x, NLOG__SEAL_STREAM_LEN) == 0)
            end = info[j].first;
    if (!end && own)
        end = (int64_t) nlog__sealer_next_seq(s);
    if (!end)
        return 0; /* nothing of x is left to explain (docs/FORMAT.md, Limits) */
    size_t i = 0;
    while (i < n_del) {
        while (i < n_del && !start_in(info, n, i, x))
            i++;
        if (i == n_del)
            break;
        memset(cut, 0, sizeof *cut);
        cut->has_cut = 1;
        if (!own) {
            cut->has_cut_stream = 1;
            memcpy(cut->cut_stream, x, sizeof cut->cut_stream);
        }
        cut->cut_first = (uint64_t) start_in(info, n, i, x);
        /* in runs of at most NLOG__SEAL_CUT_FILES_MAX files */
        size_t j = i;
        while (j < n_del && cut->n_cut_files < NLOG__SEAL_CUT_FILES_MAX) {
            if (start_in(info, n, j, x))
                snprintf(cut->cut_files[cut->n_cut_files++], sizeof cut->cut_files[0], "%.*s",
                         (int) segs[j]->base_len, segs[j]->name); /* without .zst/.gz */
            j++;
        }
        int64_t next = end;
        for (size_t k = j; k < n_del; k++)
            if (start_in(info, n, k, x)) {
                next = start_in(info, n, k, x);
                break;
            }
        if (next <= (int64_t) cut->cut_first)
            return -1; /* inconsistent numbering: keep the files, verification will tell */
        cut->cut_last = (uint64_t) next - 1;
        nlog_status st = nlog__sealer_control(s, NLOG__SEAL_R_RETENTION, cut);
        if (st == NLOG_ESTATE)
            return 1; /* the state is unusable (reported): see the caller */
        if (st != NLOG_OK)
            return -1; /* kept for a later pass */
        i = j;
    }
    return 0;
}

int nlog__seal_retention_cut(void *ctx, const char *dir, const nlog__seg *const *segs,
                             size_t n_del, const nlog__seg *kept)
{
    nlog__sealer *s = ctx;
    size_t n = n_del + 2; /* the deleted files, the first kept one, the active file */
    seg_info *info = calloc(n, sizeof *info);
    nlog__seal_extra *cut = malloc(sizeof *cut);
    uint8_t cur[NLOG__SEAL_STREAM_LEN];
    int rc = -1, have;
    char path[4400];
    if (!info || !cut)
        goto out;
    pthread_mutex_lock(&s->mu);
    have = s->m != NULL;
    if (have)
        memcpy(cur, nlog__sealer_meta(s)->stream, sizeof cur);
    pthread_mutex_unlock(&s->mu);
    if (!have) {
        rc = 0; /* no stream to sign with (reported when it was lost) */
        goto out;
    }
    for (size_t i = 0; i < n_del; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, segs[i]->name);
        if (first_anchor(path, &info[i]) != 0)
            goto out;
    }
    /* The files that stay only bound the ranges: one that cannot be read
     * counts as having no anchor (the range then reaches further, over
     * records that are still there, and verification reads them anyway). */
    if (kept) {
        snprintf(path, sizeof path, "%s/%s", dir, kept->name);
        (void) first_anchor(path, &info[n_del]);
    }
    (void) first_anchor(nlog__sealer_log_path(s), &info[n_del + 1]);
    /* Every stream that opens a deleted file or the first file kept (whose
     * start may lie in the last deleted one), each once. */
    for (size_t i = 0; i < n_del + 2; i++) {
        if (!info[i].first)
            continue;
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++)
            seen = info[k].first &&
                   memcmp(info[k].stream, info[i].stream, sizeof info[i].stream) == 0;
        if (seen)
            continue;
        int own = memcmp(info[i].stream, cur, sizeof cur) == 0;
        int r = cut_stream(s, segs, n_del, info, n, info[i].stream, own, cut);
        if (r == 1) {
            /* The state is unusable (reported): retention is what the operator
             * asked for, and a full disk helps nobody. Verification will show
             * the gap. */
            rc = 0;
            goto out;
        }
        if (r != 0)
            goto out;
    }
    rc = 0;
out:
    free(info);
    free(cut);
    return rc;
}
