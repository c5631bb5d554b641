/* The simulated world: virtual clock, in-memory pipe, fake net, body source
 * and the driver loop. See sim.h. */
#include <stdio.h>
#include <string.h>

#include "sim.h"

/* ------------------------------------------------------------ clock ---- */

static uint32_t sim_clock_now(void *ctx)
{
    return ((const sim_clock_t *)ctx)->now_ms;
}

static uint64_t sim_clock_utc(void *ctx)
{
    (void)ctx;
    return 0; /* smtpc does not need the wall clock here; mbedTLS reads the real one */
}

const smtpc_clock_ops_t sim_clock_ops = {sim_clock_now, sim_clock_utc};

/* ------------------------------------------------------------- ring ---- */

static size_t ring_put(sim_ring_t *r, const uint8_t *data, size_t len)
{
    size_t n = SIM_RING_CAP - r->len;
    size_t i;
    if (len < n) {
        n = len;
    }
    for (i = 0; i < n; i++) {
        r->buf[(r->head + r->len + i) % SIM_RING_CAP] = data[i];
    }
    r->len += n;
    return n;
}

static size_t ring_get(sim_ring_t *r, uint8_t *out, size_t cap)
{
    size_t n = r->len < cap ? r->len : cap;
    size_t i;
    for (i = 0; i < n; i++) {
        out[i] = r->buf[(r->head + i) % SIM_RING_CAP];
    }
    r->head = (r->head + n) % SIM_RING_CAP;
    r->len -= n;
    return n;
}

/* ------------------------------------------------------------- pipe ---- */

static size_t pipe_limit(const sim_pipe_t *p, size_t len)
{
    return (p->chunk != 0 && len > p->chunk) ? p->chunk : len;
}

static int32_t pipe_client_send(void *ctx, const uint8_t *buf, size_t len)
{
    sim_pipe_t *p = (sim_pipe_t *)ctx;
    size_t n;
    if (p->client_closed) {
        return SMTPC_ERR_NET_IO; /* use after close is the caller's bug */
    }
    if (p->server_closed) {
        return SMTPC_ERR_NET_CLOSED; /* EPIPE */
    }
    n = ring_put(&p->c2s, buf, pipe_limit(p, len));
    if (n > 0) {
        size_t room = SIM_WIRE_LOG_CAP - p->wire_len;
        size_t keep = n < room ? n : room;
        memcpy(p->wire + p->wire_len, buf, keep);
        p->wire_len += keep;
        p->wire_truncated = p->wire_truncated || keep < n;
    }
    p->c_sent += n;
    return (int32_t)n;
}

static int32_t pipe_client_recv(void *ctx, uint8_t *buf, size_t cap)
{
    sim_pipe_t *p = (sim_pipe_t *)ctx;
    size_t n;
    if (p->client_closed) {
        return SMTPC_ERR_NET_IO;
    }
    n = ring_get(&p->s2c, buf, pipe_limit(p, cap));
    if (n == 0 && p->server_closed) {
        return SMTPC_ERR_NET_CLOSED;
    }
    p->c_recv += n;
    return (int32_t)n;
}

static void pipe_client_close(void *ctx)
{
    sim_pipe_t *p = (sim_pipe_t *)ctx;
    p->client_closed = true;
    p->client_close_calls++;
}

const smtpc_stream_ops_t sim_pipe_client_ops = {pipe_client_send, pipe_client_recv,
                                                pipe_client_close};

size_t sim_pipe_server_write(sim_pipe_t *p, const uint8_t *data, size_t len)
{
    size_t n;
    if (p->server_closed || p->client_closed) {
        return 0;
    }
    n = ring_put(&p->s2c, data, len);
    p->s_sent += n;
    return n;
}

int32_t sim_pipe_server_read(sim_pipe_t *p, uint8_t *buf, size_t cap)
{
    size_t n = ring_get(&p->c2s, buf, cap);
    if (n == 0 && p->client_closed) {
        return SMTPC_ERR_NET_CLOSED;
    }
    p->s_recv += n;
    return (int32_t)n;
}

void sim_pipe_server_close(sim_pipe_t *p)
{
    p->server_closed = true;
}

/* -------------------------------------------------------------- net ---- */

static int sim_net_connect(void *ctx, const char *host, uint16_t port, smtpc_stream_t *out)
{
    sim_net_t *n = (sim_net_t *)ctx;
    size_t len = strlen(host);
    if (len >= sizeof(n->host)) {
        return SMTPC_ERR_NET_RESOLVE;
    }
    memcpy(n->host, host, len + 1);
    n->port = port;
    n->connects++;
    out->ops = &sim_pipe_client_ops;
    out->ctx = n->pipe;
    return SMTPC_OK;
}

static int sim_net_connect_poll(void *ctx, smtpc_stream_t *out)
{
    (void)ctx;
    (void)out;
    return SMTPC_ERR_STATE; /* connect() always completes at once */
}

const smtpc_net_ops_t sim_net_ops = {sim_net_connect, sim_net_connect_poll};

/* ------------------------------------------------------------- body ---- */

static int sim_body_read(void *arg, uint8_t *buf, size_t cap, size_t *len, bool *eof)
{
    sim_body_t *b = (sim_body_t *)arg;
    size_t n = b->len - b->off;
    if (n > cap) {
        n = cap;
    }
    if (b->chunk != 0 && n > b->chunk) {
        n = b->chunk;
    }
    memcpy(buf, b->data + b->off, n);
    b->off += n;
    *len = n;
    *eof = b->off == b->len;
    return SMTPC_OK;
}

static int sim_body_rewind(void *arg)
{
    ((sim_body_t *)arg)->off = 0;
    return SMTPC_OK;
}

const smtpc_body_src_t sim_body_src_template = {sim_body_read, sim_body_rewind, NULL};

/* ------------------------------------------------------------ world ---- */

/* The clock starts 100 virtual seconds before the 32-bit wrap, so every
 * long scenario also proves the deadlines are wrap-safe. */
#define SIM_CLOCK_START (0xFFFFFFFFu - 100000u)

void sim_world_defaults(sim_world_t *w)
{
    memset(w, 0, sizeof(*w));
    w->clock.now_ms = SIM_CLOCK_START;
    w->net.pipe = &w->pipe;

    w->ccfg.host = "mail.example.test";
    w->ccfg.port = 587;
    w->ccfg.session.helo_name = "client.example.test";
    w->ccfg.session.tls_mode = SMTPC_TLS_STARTTLS;
    w->ccfg.session.tls_level = SMTPC_TLS_VERIFIED;
    w->ccfg.session.user = SIM_USER;
    w->ccfg.session.pass = SIM_PASS;

    w->plat.net = &sim_net_ops;
    w->plat.net_ctx = &w->net;
    w->plat.tls = &smtpc_mbedtls_tls_ops;
    w->plat.tls_ctx = &w->tls;
    w->plat.clock = &sim_clock_ops;
    w->plat.clock_ctx = &w->clock;

    w->body.data = (const uint8_t *)sim_msg;
    w->body.len = strlen(sim_msg);

    w->rcpts[0] = "bob@example.test";
    w->env.from = SIM_USER;
    w->env.to = w->rcpts;
    w->env.to_count = 1;

    w->peer_cfg.ehlo_plain = "250-mail.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
                             "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n";
    w->peer_cfg.ehlo_tls = "250-mail.example.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
                           "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n"
                           "250 AUTH PLAIN LOGIN\r\n";
    w->peer_cfg.starttls_reply = "220 2.0.0 Ready to start TLS\r\n";
    w->peer_cfg.cert = "good";
    w->peer_cfg.user = SIM_USER;
    w->peer_cfg.pass = SIM_PASS;
}

static bool world_setup(sim_world_t *w, const char *cert_dir, char *err, size_t err_cap)
{
    char ca[1024];
    smtpc_mbedtls_cfg_t tcfg;
    int rc;
    memset(&tcfg, 0, sizeof(tcfg));
    if ((size_t)snprintf(ca, sizeof(ca), "%s/ca.crt", cert_dir) >= sizeof(ca)) {
        snprintf(err, err_cap, "cert dir path too long");
        return false;
    }
    tcfg.ca_file = ca;
    rc = smtpc_mbedtls_init(&w->tls, &tcfg);
    if (rc != SMTPC_OK) {
        snprintf(err, err_cap, "smtpc_mbedtls_init(%s): %s", ca, smtpc_strerror(rc));
        return false;
    }
    w->tls_inited = true;
    if (sim_peer_init(&w->peer, &w->peer_cfg, &w->pipe, cert_dir, err, err_cap) != 0) {
        return false;
    }
    rc = smtpc_client_init(&w->client, &w->ccfg, &w->plat, &w->mem);
    if (rc != SMTPC_OK) {
        snprintf(err, err_cap, "smtpc_client_init: %s", smtpc_strerror(rc));
        return false;
    }
    return true;
}

/* Advance the clock to the earliest thing anyone waits for. Returns false
 * when nothing is scheduled in the future (the loop then steps again). */
static bool world_advance(sim_world_t *w)
{
    uint32_t dl = 0;
    uint32_t ev;
    uint32_t now = w->clock.now_ms;
    unsigned wants = smtpc_client_wants(&w->client, &dl);
    bool have = (wants & SMTPC_WANT_TIMER) != 0u;
    if (have && !sim_before(now, dl)) {
        return false; /* due now (or the client yielded its step budget) */
    }
    if (sim_peer_next_event(&w->peer, &ev) && sim_before(now, ev) &&
        (!have || sim_before(ev, dl))) {
        dl = ev;
        have = true;
    }
    if (!have) {
        return false;
    }
    w->clock.now_ms = dl;
    return true;
}

int sim_world_run(sim_world_t *w, const char *cert_dir, char *err, size_t err_cap)
{
    smtpc_body_src_t src = sim_body_src_template;
    unsigned i;
    err[0] = '\0';
    if (!world_setup(w, cert_dir, err, err_cap)) {
        return -1;
    }
    src.arg = &w->body;
    w->t_begin = w->clock.now_ms;
    w->rc = smtpc_client_start(&w->client, &w->env, &src);
    for (i = 0; w->rc == SMTPC_IN_PROGRESS && i < SIM_MAX_ITERS; i++) {
        uint64_t moved = w->pipe.c_sent + w->pipe.c_recv;
        bool peer_moved;
        w->rc = smtpc_client_step(&w->client);
        if (w->rc != SMTPC_IN_PROGRESS) {
            break;
        }
        peer_moved = sim_peer_step(&w->peer, w->clock.now_ms);
        if (peer_moved || moved != w->pipe.c_sent + w->pipe.c_recv) {
            continue;
        }
        (void)world_advance(w);
    }
    w->iterations = i;
    w->exhausted = w->rc == SMTPC_IN_PROGRESS;
    w->t_end = w->clock.now_ms;
    /* Let the peer take in what the client sent last (QUIT, alerts, close). */
    for (i = 0; i < 64u && sim_peer_step(&w->peer, w->clock.now_ms); i++) {
    }
    return 0;
}

void sim_world_free(sim_world_t *w)
{
    sim_peer_free(&w->peer);
    if (w->tls_inited) {
        smtpc_mbedtls_free(&w->tls);
        w->tls_inited = false;
    }
}
