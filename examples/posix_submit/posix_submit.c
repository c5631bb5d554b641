/* posix_submit: the smallest complete use of smtpc on a POSIX host.
 *
 * Submits a fixed message on port 587 with STARTTLS (certificate verified
 * against the system CA bundle) and AUTH, using the blocking helper of the
 * POSIX port. The password comes from the environment, never from argv:
 *
 *   SMTP_PASSWORD=... posix_submit smtp.example.org me@example.org you@example.net me
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpc/smtpc.h"
#include "smtpc_mbedtls.h"
#include "smtpc_posix.h"

static const char message_fmt[] =
    "From: <%s>\r\n"
    "To: <%s>\r\n"
    "Subject: hello from smtpc\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "This message was submitted by the posix_submit example of smtpc.\r\n"
    ".A line starting with a dot is dot-stuffed on the wire.\r\n";

/* Everything static: no heap, and the client's buffers sized by smtpc_config.h. */
static char message[1024];
static size_t message_len;
static smtpc_client_t client;
static smtpc_client_mem_t mem;
static smtpc_posix_net_t net;
static smtpc_mbedtls_t tls;

typedef struct {
    size_t off;
} cursor_t;

/* Body source over the constant message; rewind lets the client retry. */
static int body_read(void *arg, uint8_t *buf, size_t cap, size_t *len, bool *eof)
{
    cursor_t *cur = arg;
    size_t left = message_len - cur->off;
    size_t n = left < cap ? left : cap;
    memcpy(buf, message + cur->off, n);
    cur->off += n;
    *len = n;
    *eof = cur->off == message_len;
    return SMTPC_OK;
}

static int body_rewind(void *arg)
{
    ((cursor_t *)arg)->off = 0;
    return SMTPC_OK;
}

int main(int argc, char **argv)
{
    const char *pass = getenv("SMTP_PASSWORD");
    if (argc != 5 || pass == NULL) {
        fprintf(stderr, "usage: SMTP_PASSWORD=... %s HOST FROM TO USER\n", argv[0]);
        return 2;
    }
    const char *to[1] = {argv[3]};
    int n = snprintf(message, sizeof message, message_fmt, argv[2], argv[3]);
    if (n < 0 || (size_t)n >= sizeof message) {
        fprintf(stderr, "address too long\n");
        return 2;
    }
    message_len = (size_t)n;

    smtpc_mbedtls_cfg_t tls_cfg = {
        .ca_file = "/etc/ssl/certs/ca-certificates.crt",
        .rng = &smtpc_posix_rng_ops,
    };
    if (smtpc_mbedtls_init(&tls, &tls_cfg) != SMTPC_OK) {
        fprintf(stderr, "cannot set up TLS (CA bundle missing?)\n");
        return 1;
    }
    smtpc_posix_net_init(&net);

    smtpc_platform_t plat = {
        .net = &smtpc_posix_net_ops,
        .net_ctx = &net,
        .tls = &smtpc_mbedtls_tls_ops,
        .tls_ctx = &tls,
        .clock = &smtpc_posix_clock_ops,
        .rng = &smtpc_posix_rng_ops,
    };
    smtpc_client_cfg_t cfg = {
        .host = argv[1],
        .port = 587,
        .session =
            {
                .helo_name = "localhost",
                .tls_mode = SMTPC_TLS_STARTTLS,
                .tls_level = SMTPC_TLS_VERIFIED, /* AUTH only after a verified handshake */
                .user = argv[4],
                .pass = pass,
            },
        .timeouts = {.total_ms = 120000u}, /* other stages: opts.h defaults */
    };
    smtpc_envelope_t env = {
        .from = argv[2],
        .to = to,
        .to_count = 1,
        .size_hint = (uint32_t)message_len,
    };
    cursor_t cur = {0};
    smtpc_body_src_t body = {.read = body_read, .rewind = body_rewind, .arg = &cur};

    int rc = smtpc_client_init(&client, &cfg, &plat, &mem);
    if (rc == SMTPC_OK) {
        rc = smtpc_client_start(&client, &env, &body);
    }
    if (rc == SMTPC_IN_PROGRESS) {
        rc = smtpc_posix_send_blocking(&client, &net);
    }

    char line[200];
    smtpc_result_format(smtpc_client_result(&client), line, sizeof line);
    printf("%s: %s\n", rc == SMTPC_OK ? "sent" : "failed", line);
    smtpc_mbedtls_free(&tls);
    return rc == SMTPC_OK ? 0 : 1;
}
