/* tool_lines.c: see tool_lines.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tool_lines.h"

void tool_lines_init(tool_line_reader *r, FILE *in)
{
    memset(r, 0, sizeof *r);
    r->in = in;
}

const char *tool_lines_next(tool_line_reader *r, size_t *ret_len)
{
    for (;;) {
        size_t len = 0;
        int c, too_long = 0;
        while ((c = getc_unlocked(r->in)) != EOF && c != '\n') {
            if (len + 1 >= TOOL_LINE_MAX) {
                too_long = 1;
                continue;
            }
            if (len + 1 >= r->cap) {
                size_t nc = r->cap ? r->cap * 2 : 65536;
                char *nb = realloc(r->buf, nc);
                if (!nb) {
                    r->error = "out of memory";
                    return NULL;
                }
                r->buf = nb;
                r->cap = nc;
            }
            r->buf[len++] = (char) c;
        }
        if (c == EOF && ferror(r->in)) {
            r->error = strerror(errno);
            return NULL;
        }
        if (c == EOF && len == 0 && !too_long)
            return NULL;
        r->line_no++;
        if (too_long) {
            r->skipped++;
            fprintf(stderr, "line %zu: longer than %u bytes; skipped\n", r->line_no,
                    TOOL_LINE_MAX);
            continue;
        }
        if (!r->buf) {
            r->buf = malloc(1);
            if (!r->buf) {
                r->error = "out of memory";
                return NULL;
            }
            r->cap = 1;
        }
        r->buf[len] = '\0';
        *ret_len = len;
        return r->buf;
    }
}

void tool_lines_free(tool_line_reader *r)
{
    free(r->buf);
    r->buf = NULL;
}
