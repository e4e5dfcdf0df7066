/* tool_lines.h: reading JSON-lines input one line at a time, with a cap on
 * the length of a line (a record is at most 1 MiB; anything longer is
 * reported, not read into memory without bound). */
#ifndef NLOG_TOOL_LINES_H
#define NLOG_TOOL_LINES_H

#include <stddef.h>
#include <stdio.h>

#define TOOL_LINE_MAX (8u * 1024 * 1024) /* bytes: the longest line accepted */

typedef struct tool_line_reader {
    FILE *in;
    char *buf;
    size_t cap;
    size_t line_no;    /* 1-based number of the line returned last */
    const char *error; /* set when reading stopped on an error */
    size_t skipped;    /* lines skipped for their length */
} tool_line_reader;

void tool_lines_init(tool_line_reader *r, FILE *in);
/* The next line without its newline (NUL-terminated), or NULL at the end
 * or on an error (then r->error says which). A line longer than
 * TOOL_LINE_MAX is skipped whole and reported on stderr. */
const char *tool_lines_next(tool_line_reader *r, size_t *ret_len);
void tool_lines_free(tool_line_reader *r);

#endif /* NLOG_TOOL_LINES_H */
