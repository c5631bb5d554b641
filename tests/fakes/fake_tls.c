/* Pass-through TLS layer: see fake_tls.h. */
#include <string.h>

#include "fake_tls.h"

static int fake_tls_start(void *ctx, const smtpc_stream_t *under, const char *sni_host,
                          smtpc_verify_t verify)
{
    fake_tls_t *ft = (fake_tls_t *)ctx;
    size_t n = sni_host != NULL ? strlen(sni_host) : 0;
    ft->start_calls++;
    if (n > SMTPC_HOSTNAME_MAX) {
        n = SMTPC_HOSTNAME_MAX;
    }
    memcpy(ft->sni, sni_host != NULL ? sni_host : "", n);
    ft->sni[n] = '\0';
    ft->verify = verify;
    ft->under = *under;
    if (ft->start_rc == SMTPC_OK) {
        ft->started = true;
    }
    return ft->start_rc;
}

/* A real TLS stack reading plaintext where a record is due fails the
 * handshake: model that when asked to. */
static int fake_tls_plaintext_waiting(const fake_tls_t *ft)
{
    const fake_stream_t *fs;
    if (!ft->fail_on_plaintext || ft->under.ops != &fake_stream_ops) {
        return 0;
    }
    fs = (const fake_stream_t *)ft->under.ctx;
    return fake_stream_pending(fs) > 0;
}

static int fake_tls_handshake(void *ctx, unsigned *wants)
{
    fake_tls_t *ft = (fake_tls_t *)ctx;
    ft->handshake_calls++;
    if (!ft->started) {
        return SMTPC_ERR_STATE;
    }
    if (fake_tls_plaintext_waiting(ft)) {
        return SMTPC_ERR_TLS_HANDSHAKE;
    }
    if (ft->handshake_pending > 0) {
        ft->handshake_pending--;
        *wants = ft->handshake_wants;
        return SMTPC_IN_PROGRESS;
    }
    if (ft->handshake_rc == SMTPC_OK) {
        ft->tls_active = true;
    }
    return ft->handshake_rc;
}

static fake_stream_t *fake_tls_mark(fake_tls_t *ft)
{
    return ft->under.ops == &fake_stream_ops ? (fake_stream_t *)ft->under.ctx : NULL;
}

static int32_t fake_tls_send(void *ctx, const uint8_t *buf, size_t len)
{
    fake_tls_t *ft = (fake_tls_t *)ctx;
    fake_stream_t *fs = fake_tls_mark(ft);
    int32_t n;
    if (!ft->tls_active) {
        ft->io_before_active++;
        return SMTPC_ERR_TLS_IO;
    }
    if (fs != NULL) {
        fs->via_tls++;
    }
    n = ft->under.ops->send(ft->under.ctx, buf, len);
    if (fs != NULL) {
        fs->via_tls--;
    }
    if (n > 0 && (size_t)n <= sizeof(ft->sent) - ft->sent_len) {
        memcpy(ft->sent + ft->sent_len, buf, (size_t)n);
        ft->sent_len += (size_t)n;
    }
    return n;
}

static int32_t fake_tls_recv(void *ctx, uint8_t *buf, size_t cap)
{
    fake_tls_t *ft = (fake_tls_t *)ctx;
    fake_stream_t *fs = fake_tls_mark(ft);
    int32_t n;
    ft->recv_calls++;
    if (!ft->tls_active) {
        ft->io_before_active++;
        return SMTPC_ERR_TLS_IO;
    }
    if (fs != NULL) {
        fs->via_tls++;
    }
    n = ft->under.ops->recv(ft->under.ctx, buf, cap);
    if (fs != NULL) {
        fs->via_tls--;
    }
    return n;
}

static void fake_tls_stream_close(void *ctx)
{
    (void)ctx; /* the driver ends TLS with end(); nothing to release here */
}

static smtpc_cert_verdict_t fake_tls_verdict(void *ctx)
{
    return ((fake_tls_t *)ctx)->verdict_value;
}

static void fake_tls_end(void *ctx)
{
    fake_tls_t *ft = (fake_tls_t *)ctx;
    ft->end_calls++;
    ft->started = false;
}

const smtpc_tls_ops_t fake_tls_ops = {
    fake_tls_start,   fake_tls_handshake, {fake_tls_send, fake_tls_recv, fake_tls_stream_close},
    fake_tls_verdict, fake_tls_end,
};

void fake_tls_init(fake_tls_t *ft)
{
    memset(ft, 0, sizeof(*ft));
    ft->start_rc = SMTPC_OK;
    ft->handshake_rc = SMTPC_OK;
    ft->handshake_wants = SMTPC_WANT_READ;
    ft->verdict_value = SMTPC_CERT_OK;
}
