/* cut.c: retention records for sealed files (see cut.h).
 *
 * Each sealed segment starts with an anchor whose "first" is the first
 * sequence number it holds, so the range of a run of segments is known from
 * first lines alone (no segment is read to its end): from the first deleted
 * segment's anchor to the one before the first kept segment's (or, if none
 * is kept, the active file's, or the next sequence number). Segments that do
 * not belong to the stream (written before sealing was switched on, or by
 * an earlier stream) are not part of any range and need no record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seal/cut.h"
#include "seal/reader.h"
#include "seal/sealer_impl.h"

/* The "first" of the anchor that opens `path` if it belongs to s's stream,
 * else 0; -1 if the file cannot be read. */
static int64_t first_seq(nlog__sealer *s, const char *path)
{
    nlog__seal_reader *r;
    char why[256];
    if (nlog__seal_reader_open(path, &r, why, sizeof why) != 0)
        return -1;
    const char *line;
    size_t len;
    uint64_t off, seq;
    int64_t first = 0;
    nlog__seal_read rc = nlog__seal_reader_next(r, &line, &len, &off);
    if (rc == NLOG__READ_ERROR) {
        first = -1;
    } else if (rc == NLOG__READ_LINE &&
               nlog__seal_line_classify(line, len, &seq) == NLOG__LINE_ANCHOR) {
        nlog__seal_anchor *a = malloc(sizeof *a);
        pthread_mutex_lock(&s->mu);
        int ours = s->m && a && nlog__seal_anchor_parse(line, len, a, why, sizeof why) == 0 &&
                   memcmp(a->stream, nlog__sealer_meta(s)->stream, NLOG__SEAL_STREAM_LEN) == 0;
        pthread_mutex_unlock(&s->mu);
        if (ours)
            first = (int64_t) a->first;
        else if (!a)
            first = -1;
        free(a);
    }
    nlog__seal_reader_close(r);
    return first;
}

int nlog__seal_retention_cut(void *ctx, const char *dir, const nlog__seg *const *segs,
                             size_t n_del, const nlog__seg *kept)
{
    nlog__sealer *s = ctx;
    int64_t *firsts = malloc((n_del + 1) * sizeof *firsts);
    nlog__seal_extra *cut = malloc(sizeof *cut);
    int rc = -1;
    char path[4400];
    if (!firsts || !cut)
        goto out;
    for (size_t i = 0; i < n_del; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, segs[i]->name);
        if ((firsts[i] = first_seq(s, path)) < 0)
            goto out;
    }
    int64_t end = 0;
    if (kept) {
        snprintf(path, sizeof path, "%s/%s", dir, kept->name);
        end = first_seq(s, path);
    }
    if (end == 0)
        end = first_seq(s, nlog__sealer_log_path(s));
    if (end <= 0)
        end = (int64_t) nlog__sealer_next_seq(s);
    /* In runs of at most NLOG__SEAL_CUT_FILES_MAX files of the stream. */
    size_t i = 0;
    while (i < n_del) {
        memset(cut, 0, sizeof *cut);
        cut->has_cut = 1;
        size_t j = i;
        while (j < n_del && cut->n_cut_files < NLOG__SEAL_CUT_FILES_MAX) {
            if (firsts[j] > 0) {
                if (!cut->n_cut_files)
                    cut->cut_first = (uint64_t) firsts[j];
                snprintf(cut->cut_files[cut->n_cut_files++], sizeof cut->cut_files[0], "%.*s",
                         (int) segs[j]->base_len, segs[j]->name); /* without .zst/.gz */
            }
            j++;
        }
        if (cut->n_cut_files) {
            int64_t next = end;
            for (size_t k = j; k < n_del; k++)
                if (firsts[k] > 0) {
                    next = firsts[k];
                    break;
                }
            if (next <= (int64_t) cut->cut_first)
                goto out; /* inconsistent numbering: keep the files, verification will tell */
            cut->cut_last = (uint64_t) next - 1;
            nlog_status st = nlog__sealer_control(s, NLOG__SEAL_R_RETENTION, cut);
            if (st == NLOG_ESTATE) {
                /* The state is unusable (reported): retention is what the operator asked
                 * for, and a full disk helps nobody. Verification will show the gap. */
                rc = 0;
                goto out;
            }
            if (st != NLOG_OK)
                goto out; /* kept for a later pass */
        }
        i = j;
    }
    rc = 0;
out:
    free(firsts);
    free(cut);
    return rc;
}
