/* HTTPS POST of a TLS-RPT report (RFC 8460 §5.4), smtpc/upload.h.
 *
 * Same shape as the MTA-STS fetch of smtpc_sts.c: connect through the net
 * ops, TLS through the TLS ops over that stream, the request head from
 * smtpc_http_req_build() in the scratch buffer, then the body straight from
 * the caller's buffer, then the status line through the core HTTP parser.
 * The parser treats only 200 as success (it was written for policies); an
 * upload accepts any 2xx, so the decision is taken here from the status the
 * parser recorded, as soon as the status line of the final response is in.
 * Interim 1xx responses (RFC 9110 §15.2: a client must be able to parse
 * them) are skipped to their empty line and the parser starts over. */
#include <string.h>

#include "smtpc/upload.h"
#include "smtpc_priv.h"

enum { U_IDLE = 0, U_CONNECT, U_TLS, U_SEND_HEAD, U_SEND_BODY, U_RECV, U_DONE };

/* 1xx header skipping: at a line start, inside a line, CR at a line start. */
enum { SK_NONE = 0, SK_START, SK_LINE, SK_CR };

#define UP_STEP_BUDGET 64u
#define UP_INTERIM_MAX 8u

static uint32_t up_now(const smtpc_upload_t *u)
{
    return u->io->clock->now_ms(u->io->clock_ctx);
}

static uint32_t up_budget(const smtpc_upload_t *u)
{
    return u->io->timeout_ms != 0u ? u->io->timeout_ms : SMTPC_UPLOAD_TIMEOUT_MS;
}

static void up_note(const smtpc_upload_t *u, const char *a, const char *b)
{
    smtpc_note_(u->io->trace, u->io->trace_arg, "TLS-RPT upload ", a, b);
}

static void up_close(smtpc_upload_t *u)
{
    if (u->tls_open) {
        u->io->tls->end(u->io->tls_ctx);
        u->tls_open = 0;
    }
    if (u->tcp_open) {
        u->tcp.ops->close(u->tcp.ctx);
        u->tcp_open = 0;
    }
}

static int up_end(smtpc_upload_t *u, int rc)
{
    char st[4];
    up_close(u);
    u->rc = rc;
    u->state = U_DONE;
    u->io_wants = 0;
    if (u->status != 0u) {
        st[0] = (char)('0' + u->status / 100u);
        st[1] = (char)('0' + u->status / 10u % 10u);
        st[2] = (char)('0' + u->status % 10u);
        st[3] = '\0';
        up_note(u, "status ", st);
    }
    up_note(u,
            rc == SMTPC_OK ? "accepted" : "failed: ", rc == SMTPC_OK ? NULL : smtpc_strerror(rc));
    return rc;
}

static int up_tls_start(smtpc_upload_t *u)
{
    smtpc_verify_t v = u->io->allow_cert_errors ? SMTPC_VERIFY_OPTIONAL : SMTPC_VERIFY_REQUIRED;
    int rc = u->io->tls->start(u->io->tls_ctx, &u->tcp, u->host, v);
    if (rc != SMTPC_OK) {
        return up_end(u, rc);
    }
    u->tls.ops = &u->io->tls->stream;
    u->tls.ctx = u->io->tls_ctx;
    u->tls_open = 1;
    u->state = U_TLS;
    u->io_wants = SMTPC_WANT_WRITE;
    return SMTPC_IN_PROGRESS;
}

/* Sends the rest of the current piece (head or body). */
static int up_send(smtpc_upload_t *u, int *progress)
{
    const uint8_t *p = u->state == U_SEND_HEAD ? u->buf : u->body;
    uint32_t total = u->state == U_SEND_HEAD ? u->head_len : u->body_len;
    int32_t n;
    if (u->off < total) {
        n = u->tls.ops->send(u->tls.ctx, p + u->off, (size_t)(total - u->off));
        if (n < 0) {
            return up_end(u, (int)n);
        }
        if (n == 0) {
            u->io_wants = SMTPC_WANT_WRITE;
            return SMTPC_IN_PROGRESS;
        }
        u->off += (uint32_t)n;
        *progress = 1;
    }
    if (u->off >= total) {
        u->off = 0;
        *progress = 1;
        if (u->state == U_SEND_HEAD) {
            u->state = U_SEND_BODY;
        } else {
            smtpc_http_parser_init(&u->http, 0, 0);
            u->state = U_RECV;
            u->io_wants = SMTPC_WANT_READ;
        }
    }
    return SMTPC_IN_PROGRESS;
}

/* Response bytes: skip interim responses, decide on the final status. */
static int up_feed(smtpc_upload_t *u, const uint8_t *d, size_t n, unsigned *interim)
{
    size_t pos = 0;
    while (pos < n) {
        size_t used = 0;
        int rc;
        if (u->skip != SK_NONE) {
            uint8_t c = d[pos++];
            if (u->skip == SK_LINE) {
                u->skip = c == '\n' ? (uint8_t)SK_START : (uint8_t)SK_LINE;
            } else if (u->skip == SK_CR) {
                if (c != '\n') {
                    return SMTPC_ERR_HTTP_SYNTAX;
                }
                u->skip = SK_NONE; /* end of the interim response */
            } else if (c == '\n') {
                u->skip = SK_NONE;
            } else {
                u->skip = c == '\r' ? (uint8_t)SK_CR : (uint8_t)SK_LINE;
            }
            if (u->skip == SK_NONE) {
                smtpc_http_parser_init(&u->http, 0, 0);
            }
            continue;
        }
        rc = smtpc_http_parse(&u->http, d + pos, n - pos, &used, NULL, NULL);
        pos += used;
        if (u->http.status != 0u) {
            uint16_t st = u->http.status;
            if (st == 100u || st == 102u || st == 103u) {
                if (++*interim > UP_INTERIM_MAX) {
                    return SMTPC_ERR_HTTP_SYNTAX;
                }
                u->skip = SK_START;
                continue;
            }
            u->status = st;
            if (st >= 200u && st <= 299u) {
                return SMTPC_OK;
            }
            return rc < 0 ? rc : SMTPC_ERR_HTTP_STATUS;
        }
        if (rc != SMTPC_IN_PROGRESS) {
            return rc;
        }
        if (used == 0u) {
            return SMTPC_ERR_INTERNAL; /* the parser always consumes while in progress */
        }
    }
    return SMTPC_IN_PROGRESS;
}

static int up_recv(smtpc_upload_t *u, int *progress)
{
    unsigned interim = 0;
    int rc;
    int32_t n = u->tls.ops->recv(u->tls.ctx, u->buf, u->buf_cap);
    if (n == 0) {
        u->io_wants = SMTPC_WANT_READ;
        return SMTPC_IN_PROGRESS;
    }
    if (n == SMTPC_ERR_NET_CLOSED) {
        return up_end(u, SMTPC_ERR_NET_CLOSED); /* no final status line */
    }
    if (n < 0) {
        return up_end(u, (int)n);
    }
    *progress = 1;
    rc = up_feed(u, u->buf, (size_t)n, &interim);
    if (rc == SMTPC_IN_PROGRESS) {
        return rc;
    }
    return up_end(u, rc);
}

static int up_round(smtpc_upload_t *u, int *progress)
{
    int rc;
    unsigned w = 0;
    switch (u->state) {
    case U_CONNECT:
        rc = u->io->net->connect_poll(u->io->net_ctx, &u->tcp);
        if (rc == SMTPC_IN_PROGRESS) {
            u->io_wants = SMTPC_WANT_WRITE;
            return rc;
        }
        if (rc != SMTPC_OK) {
            return up_end(u, rc);
        }
        u->tcp_open = 1;
        *progress = 1;
        return up_tls_start(u);
    case U_TLS:
        rc = u->io->tls->handshake(u->io->tls_ctx, &w);
        if (rc == SMTPC_IN_PROGRESS) {
            u->io_wants = w != 0u ? w : SMTPC_WANT_READ;
            return rc;
        }
        if (rc != SMTPC_OK) {
            return up_end(u, rc);
        }
        if (u->io->tls->verdict != NULL) {
            u->verdict = (uint8_t)u->io->tls->verdict(u->io->tls_ctx);
        }
        u->off = 0;
        u->state = U_SEND_HEAD;
        *progress = 1;
        return SMTPC_IN_PROGRESS;
    case U_SEND_HEAD:
    case U_SEND_BODY:
        return up_send(u, progress);
    case U_RECV:
        return up_recv(u, progress);
    case U_DONE:
        return u->rc;
    default:
        return SMTPC_ERR_STATE;
    }
}

int smtpc_upload_start(smtpc_upload_t *u, const smtpc_upload_io_t *io, const char *host,
                       uint16_t port, const char *target, const char *ctype, const uint8_t *body,
                       size_t body_len, uint8_t *buf, size_t buf_cap)
{
    size_t hl;
    size_t len = 0;
    int rc;
    if (u == NULL || io == NULL || io->net == NULL || io->tls == NULL || io->clock == NULL ||
        host == NULL || target == NULL || ctype == NULL || (body == NULL && body_len > 0u) ||
        body_len > 0xFFFFFFFFu || buf == NULL || buf_cap < SMTPC_UPLOAD_BUF_MIN || port == 0u) {
        return SMTPC_ERR_BAD_ARG;
    }
    hl = smtpc_strnlen_(host, SMTPC_HOSTNAME_MAX);
    if (hl == 0u || hl > SMTPC_HOSTNAME_MAX) {
        return SMTPC_ERR_BAD_ARG;
    }
    memset(u, 0, sizeof(*u));
    u->io = io;
    rc = smtpc_http_req_build(buf, buf_cap, &len, "POST", host, target, ctype, (uint32_t)body_len);
    if (rc != SMTPC_OK) {
        return rc;
    }
    memcpy(u->host, host, hl);
    u->host[hl] = '\0';
    u->port = port;
    u->buf = buf;
    u->buf_cap = buf_cap;
    u->head_len = (uint32_t)len;
    u->body = body;
    u->body_len = (uint32_t)body_len;
    u->t_start = up_now(u);
    up_note(u, "to ", u->host);
    rc = io->net->connect(io->net_ctx, u->host, port, &u->tcp);
    if (rc == SMTPC_OK) {
        u->tcp_open = 1;
        (void)up_tls_start(u);
        return SMTPC_IN_PROGRESS; /* a failed TLS start is reported by step() */
    }
    if (rc == SMTPC_IN_PROGRESS) {
        u->state = U_CONNECT;
        u->io_wants = SMTPC_WANT_WRITE;
        return rc;
    }
    (void)up_end(u, rc);
    return SMTPC_IN_PROGRESS;
}

int smtpc_upload_step(smtpc_upload_t *u)
{
    unsigned i;
    if (u == NULL || u->state == U_IDLE) {
        return SMTPC_ERR_STATE;
    }
    for (i = 0; i < UP_STEP_BUDGET && u->state != U_DONE; i++) {
        int progress = 0;
        int rc;
        if ((uint32_t)(up_now(u) - u->t_start) >= up_budget(u)) {
            return up_end(u, SMTPC_ERR_TIMEOUT);
        }
        rc = up_round(u, &progress);
        if (rc != SMTPC_IN_PROGRESS || !progress) {
            return rc;
        }
    }
    return u->state == U_DONE ? u->rc : SMTPC_IN_PROGRESS;
}

unsigned smtpc_upload_wants(const smtpc_upload_t *u, uint32_t *deadline_ms)
{
    if (u == NULL || deadline_ms == NULL) {
        return 0;
    }
    if (u->state == U_IDLE || u->state == U_DONE) {
        *deadline_ms = u->io != NULL ? up_now(u) : 0u;
        return 0;
    }
    *deadline_ms = u->t_start + up_budget(u);
    return u->io_wants | SMTPC_WANT_TIMER;
}

void smtpc_upload_stop(smtpc_upload_t *u)
{
    if (u == NULL || u->io == NULL) {
        return;
    }
    up_close(u);
    if (u->state != U_DONE) {
        u->rc = SMTPC_ERR_ABORTED;
        u->state = U_DONE;
    }
}
