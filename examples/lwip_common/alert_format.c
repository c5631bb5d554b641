/* The alert message of the lwIP examples (RFC 5322 header + text). */
#include <stdio.h>

#include "alert_board.h"

size_t alert_format(char *out, size_t cap, const alert_cfg_t *cfg, const char *subject,
                    const char *text)
{
    int n =
        snprintf(out, cap,
                 "From: <%s>\r\n"
                 "To: <%s>\r\n"
                 "Subject: %s\r\n"
                 "X-Alert-Id: %s\r\n"
                 "MIME-Version: 1.0\r\n"
                 "Content-Type: text/plain; charset=us-ascii\r\n"
                 "\r\n"
                 "%s\r\n",
                 cfg->from, cfg->to, subject, cfg->alert_id != NULL ? cfg->alert_id : "-", text);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0u;
}
