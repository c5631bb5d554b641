/* TXT records on stdin for the CLIs' `txt` commands (smtpc-mtasts,
 * smtpc-tlsrpt): one resource record per line, the character-strings of
 * one record separated by TAB (joined without spaces, RFC 7208 §3.3 style),
 * CRLF accepted, empty lines ignored. */
#ifndef SMTPC_CLI_TXT_H
#define SMTPC_CLI_TXT_H

#include <stddef.h>

#define CLI_TXT_LINE_MAX 4096u /* one TXT RR per stdin line */

/* Give each record to @p add. Returns 0, or 2 after printing `PROG: ...` on
 * stderr (read error, a line longer than CLI_TXT_LINE_MAX). */
int cli_txt_read_stdin(const char *prog, void (*add)(void *arg, const char *rec, size_t len),
                       void *arg);

#endif /* SMTPC_CLI_TXT_H */
