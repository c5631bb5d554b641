/* TXT records on stdin for the CLIs. See cli_txt.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli_txt.h"

int cli_txt_read_stdin(const char *prog, void (*add)(void *arg, const char *rec, size_t len),
                       void *arg)
{
    static char line[CLI_TXT_LINE_MAX + 1];
    static char rec[CLI_TXT_LINE_MAX];
    unsigned long lineno = 0;
    for (;;) {
        size_t len = 0;
        size_t n = 0;
        int ch = EOF;
        while (len <= CLI_TXT_LINE_MAX && (ch = getchar()) != EOF && ch != '\n') {
            line[len++] = (char)ch;
        }
        if (ferror(stdin)) {
            fprintf(stderr, "%s: stdin: %s\n", prog, strerror(errno));
            return 2;
        }
        lineno++;
        if (len > CLI_TXT_LINE_MAX) {
            fprintf(stderr, "%s: stdin line %lu: longer than %u bytes\n", prog, lineno,
                    CLI_TXT_LINE_MAX);
            return 2;
        }
        if (ch == EOF && len == 0) {
            return 0;
        }
        if (len > 0 && line[len - 1] == '\r') {
            len--; /* CRLF input */
        }
        for (size_t i = 0; i < len; i++) {
            if (line[i] != '\t') { /* TAB separates the strings of one RR */
                rec[n++] = line[i];
            }
        }
        if (n > 0) {
            add(arg, rec, n);
        }
        if (ch == EOF) {
            return 0;
        }
    }
}
