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

/* The wall clock smtpc sees (MTA-STS cache ages); 0 unless a scenario sets
 * it. mbedTLS reads the real time for certificate dates. */
static uint64_t sim_clock_utc(void *ctx)
{
    return ((const sim_clock_t *)ctx)->utc_s;
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

static bool net_name_eq(const char *a, const char *b)
{
    size_t i;
    for (i = 0; i <= SMTPC_HOSTNAME_MAX; i++) {
        char x = (a[i] >= 'A' && a[i] <= 'Z') ? (char)(a[i] + 32) : a[i];
        char y = (b[i] >= 'A' && b[i] <= 'Z') ? (char)(b[i] + 32) : b[i];
        if (x != y) {
            return false;
        }
        if (x == '\0') {
            return true;
        }
    }
    return false;
}

static void net_violation(sim_net_t *n, const char *what)
{
    if (n->violation[0] == '\0') {
        snprintf(n->violation, sizeof(n->violation), "%s", what);
    }
}

/* A named host of the table: its pipe, or a refusal. An HTTPS host listens
 * on 443 only, an SMTP host on every other port. */
static int net_connect_host(sim_net_t *n, const char *host, uint16_t port, smtpc_stream_t *out)
{
    size_t i;
    for (i = 0; i < n->host_count; i++) {
        sim_host_t *h = &n->hosts[i];
        if (!net_name_eq(h->name, host)) {
            continue;
        }
        if (h->refuse || (h->cfg.https != NULL) != (port == 443u)) {
            return SMTPC_ERR_NET_CONNECT; /* RST to the SYN */
        }
        if (h->connects > 0) {
            net_violation(n, "sim: second connection to one simulated host");
            return SMTPC_ERR_NET_CONNECT;
        }
        h->connects++;
        h->total_connects++;
        out->ops = &sim_pipe_client_ops;
        out->ctx = &h->pipe;
        return SMTPC_OK;
    }
    return SMTPC_ERR_NET_RESOLVE; /* no such host */
}

static int sim_net_connect(void *ctx, const char *host, uint16_t port, smtpc_stream_t *out)
{
    sim_net_t *n = (sim_net_t *)ctx;
    size_t len = strlen(host);
    int rc = SMTPC_ERR_NET_RESOLVE;
    if (len >= sizeof(n->host)) {
        return SMTPC_ERR_NET_RESOLVE;
    }
    memcpy(n->host, host, len + 1);
    n->port = port;
    n->connects++;
    if (n->dns != NULL) {
        rc = sim_dns_tcp_connect(n->dns, host, port, out);
    }
    if (rc == SMTPC_ERR_NET_RESOLVE && n->host_count > 0) {
        rc = net_connect_host(n, host, port, out);
    } else if (rc == SMTPC_ERR_NET_RESOLVE) {
        out->ops = &sim_pipe_client_ops;
        out->ctx = n->pipe;
        rc = SMTPC_OK;
    }
    if (n->log_len < SIM_CONNECT_LOG) {
        sim_connect_t *e = &n->log[n->log_len++];
        memcpy(e->host, host, len + 1);
        e->port = port;
        e->t = n->clock != NULL ? n->clock->now_ms : 0u;
        e->rc = rc;
    }
    return rc;
}

static int sim_net_connect_poll(void *ctx, smtpc_stream_t *out)
{
    (void)ctx;
    (void)out;
    return SMTPC_ERR_STATE; /* connect() always completes at once */
}

/* The peer address of the last connection: named host i is 192.0.2.(10+i),
 * the default pipe 192.0.2.1, a nameserver over TCP its own address. */
static int sim_net_peer(void *ctx, uint8_t addr[16], uint8_t *len)
{
    const sim_net_t *n = (const sim_net_t *)ctx;
    size_t i;
    addr[0] = 192;
    addr[1] = 0;
    addr[2] = 2;
    addr[3] = 1;
    *len = 4;
    if (sim_is_nameserver(n->host)) {
        addr[3] = strcmp(n->host, SIM_DNS_ADDR0) == 0 ? 53u : 54u;
        return SMTPC_OK;
    }
    for (i = 0; i < n->host_count; i++) {
        if (net_name_eq(n->hosts[i].name, n->host)) {
            addr[3] = (uint8_t)(10u + i);
        }
    }
    return SMTPC_OK;
}

const smtpc_net_ops_t sim_net_ops = {sim_net_connect, sim_net_connect_poll, sim_net_peer};

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
    w->plat.rng = &sim_rng_ops;
    w->plat.rng_ctx = &w->rng;
    w->plat.dgram = &sim_dgram_ops;
    w->plat.dgram_ctx = &w->dns;
    sim_rng_seed(&w->rng, 1);
    w->dns.clock = &w->clock;
    w->dns.cfg.servers = 1;
    w->net.dns = &w->dns;
    w->net.hosts = w->hosts;
    w->net.clock = &w->clock;

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

sim_host_t *sim_world_add_host(sim_world_t *w, const char *name, const char *cert)
{
    sim_host_t *h;
    if (w->host_count >= SIM_MAX_HOSTS) {
        return NULL;
    }
    h = &w->hosts[w->host_count++];
    w->net.host_count = w->host_count;
    h->name = name;
    h->cfg = w->peer_cfg;
    h->cfg.cert = cert;
    return h;
}

sim_host_t *sim_world_add_https(sim_world_t *w, const char *name, const char *cert,
                                const char *response)
{
    sim_host_t *h = sim_world_add_host(w, name, cert);
    if (h == NULL) {
        return NULL;
    }
    h->cfg.implicit_tls = false;
    h->cfg.tls_fault = SIM_TLS_NORMAL;
    h->cfg.https = &h->https;
    h->https.response = response;
    return h;
}

void sim_report_hook(void *arg, const smtpc_tls_event_t *ev)
{
    sim_world_t *w = (sim_world_t *)arg;
    sim_report_t *r;
#if SMTPC_ENABLE_TLSRPT
    if (w->rptlog != NULL) {
        w->rpt_rc = smtpc_tlsrpt_log_record(w->rptlog, ev, w->clock.utc_s);
    }
#endif
    if (w->report_count++ >= SIM_REPORT_LOG) {
        return;
    }
    r = &w->reports[w->report_count - 1u];
    memset(r, 0, sizeof(*r));
    r->ev = *ev;
    r->ev.domain = NULL;
    r->ev.policy_id = NULL;
    r->ev.mx_host = NULL;
    r->ev.policy = NULL;
    r->has_policy = ev->policy != NULL;
    snprintf(r->domain, sizeof(r->domain), "%s", ev->domain != NULL ? ev->domain : "(null)");
    snprintf(r->policy_id, sizeof(r->policy_id), "%s",
             ev->policy_id != NULL ? ev->policy_id : "(null)");
    snprintf(r->mx_host, sizeof(r->mx_host), "%s", ev->mx_host != NULL ? ev->mx_host : "(null)");
}

sim_host_t *sim_world_host(sim_world_t *w, const char *name)
{
    size_t i;
    for (i = 0; i < w->host_count; i++) {
        if (net_name_eq(w->hosts[i].name, name)) {
            return &w->hosts[i];
        }
    }
    return NULL;
}

static bool world_setup(sim_world_t *w, const char *cert_dir, char *err, size_t err_cap)
{
    size_t i;
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
    if (w->host_count == 0 &&
        sim_peer_init(&w->peer, &w->peer_cfg, &w->pipe, cert_dir, err, err_cap) != 0) {
        return false;
    }
    for (i = 0; i < w->host_count; i++) {
        sim_host_t *h = &w->hosts[i];
        if (sim_peer_init(&h->peer, &h->cfg, &h->pipe, cert_dir, err, err_cap) != 0) {
            return false;
        }
    }
    rc = smtpc_client_init(&w->client, &w->ccfg, &w->plat, &w->mem);
    if (rc != SMTPC_OK) {
        snprintf(err, err_cap, "smtpc_client_init: %s", smtpc_strerror(rc));
        return false;
    }
    return true;
}

/* Bytes and datagrams the client moved, on every connection. */
static uint64_t world_traffic(const sim_world_t *w)
{
    uint64_t t =
        w->pipe.c_sent + w->pipe.c_recv + w->dns.traffic + w->dns.tcp.c_sent + w->dns.tcp.c_recv;
    size_t i;
    for (i = 0; i < w->host_count; i++) {
        t += w->hosts[i].pipe.c_sent + w->hosts[i].pipe.c_recv;
    }
    return t;
}

/* Step every peer that is connected (the default one, the named hosts the
 * client reached, the DNS). Returns true when any made progress. */
static bool world_peers_step(sim_world_t *w)
{
    uint32_t now = w->clock.now_ms;
    bool moved = sim_dns_step(&w->dns, now);
    size_t i;
    if (w->host_count == 0) {
        moved = sim_peer_step(&w->peer, now) || moved;
    }
    for (i = 0; i < w->host_count; i++) {
        if (w->hosts[i].connects > 0) {
            moved = sim_peer_step(&w->hosts[i].peer, now) || moved;
        }
    }
    return moved;
}

/* Keep the earlier of *dl and a peer's future event. */
static void world_min_event(bool *have, uint32_t *dl, uint32_t now, bool has_ev, uint32_t ev)
{
    if (has_ev && sim_before(now, ev) && (!*have || sim_before(ev, *dl))) {
        *dl = ev;
        *have = true;
    }
}

/* Advance the clock to the earliest thing anyone waits for. Returns false
 * when nothing is scheduled in the future (the loop then steps again). */
static bool world_advance(sim_world_t *w)
{
    uint32_t dl = 0;
    uint32_t ev = 0;
    uint32_t now = w->clock.now_ms;
    unsigned wants = smtpc_client_wants(&w->client, &dl);
    bool have = (wants & SMTPC_WANT_TIMER) != 0u;
    bool has_ev;
    size_t i;
    if (have && !sim_before(now, dl)) {
        return false; /* due now (or the client yielded its step budget) */
    }
    if (w->host_count == 0) {
        has_ev = sim_peer_next_event(&w->peer, &ev);
        world_min_event(&have, &dl, now, has_ev, ev);
    }
    for (i = 0; i < w->host_count; i++) {
        if (w->hosts[i].connects > 0) {
            has_ev = sim_peer_next_event(&w->hosts[i].peer, &ev);
            world_min_event(&have, &dl, now, has_ev, ev);
        }
    }
    has_ev = sim_dns_next_event(&w->dns, now, &ev);
    world_min_event(&have, &dl, now, has_ev, ev);
    if (!have) {
        return false;
    }
    w->clock.now_ms = dl;
    return true;
}

/* One delivery with the client as it is set up. */
static void world_deliver(sim_world_t *w)
{
    smtpc_body_src_t src = sim_body_src_template;
    unsigned i;
    w->deliveries++;
    w->body.off = 0;
    if (w->body_no_rewind) {
        src.rewind = NULL;
    }
    src.arg = &w->body;
    w->t_begin = w->clock.now_ms;
    w->rc = smtpc_client_start(&w->client, &w->env, &src);
    for (i = 0; w->rc == SMTPC_IN_PROGRESS && i < SIM_MAX_ITERS; i++) {
        uint64_t moved = world_traffic(w);
        bool peer_moved;
        w->rc = smtpc_client_step(&w->client);
        if (w->rc != SMTPC_IN_PROGRESS) {
            break;
        }
        peer_moved = world_peers_step(w);
        if (peer_moved || moved != world_traffic(w)) {
            continue;
        }
        (void)world_advance(w);
    }
    w->iterations = i;
    w->exhausted = w->rc == SMTPC_IN_PROGRESS;
    w->t_end = w->clock.now_ms;
    /* Let the peers take in what the client sent last (QUIT, alerts, close). */
    for (i = 0; i < 64u && world_peers_step(w); i++) {
    }
}

int sim_world_run(sim_world_t *w, const char *cert_dir, char *err, size_t err_cap)
{
    err[0] = '\0';
    if (!world_setup(w, cert_dir, err, err_cap)) {
        return -1;
    }
    world_deliver(w);
    return 0;
}

int sim_world_rerun(sim_world_t *w, const char *cert_dir, char *err, size_t err_cap)
{
    size_t i;
    err[0] = '\0';
    if (!w->tls_inited || w->host_count == 0) {
        snprintf(err, err_cap, "sim_world_rerun needs a run with named hosts first");
        return -1;
    }
    for (i = 0; i < w->host_count; i++) {
        sim_host_t *h = &w->hosts[i];
        sim_peer_free(&h->peer);
        memset(&h->pipe, 0, sizeof(h->pipe));
        h->connects = 0;
        if (h->cfg.https != NULL) {
            h->cfg.https = &h->https;
        }
        if (sim_peer_init(&h->peer, &h->cfg, &h->pipe, cert_dir, err, err_cap) != 0) {
            return -1;
        }
    }
    w->net.log_len = 0;
    w->dns.log_len = 0;
    w->report_count = 0;
    world_deliver(w);
    return 0;
}

void sim_world_free(sim_world_t *w)
{
    size_t i;
    sim_peer_free(&w->peer);
    for (i = 0; i < w->host_count; i++) {
        sim_peer_free(&w->hosts[i].peer);
    }
    if (w->tls_inited) {
        smtpc_mbedtls_free(&w->tls);
        w->tls_inited = false;
    }
}

/* ------------------------------------------------------ helpers ------ */

bool sim_contains_ci(const uint8_t *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    size_t i;
    size_t j;
    for (i = 0; n <= len && i <= len - n; i++) {
        for (j = 0; j < n; j++) {
            uint8_t a = hay[i + j];
            uint8_t b = (uint8_t)needle[j];
            a = (a >= 'a' && a <= 'z') ? (uint8_t)(a - 32u) : a;
            b = (b >= 'a' && b <= 'z') ? (uint8_t)(b - 32u) : b;
            if (a != b) {
                break;
            }
        }
        if (j == n) {
            return true;
        }
    }
    return false;
}

bool sim_is_nameserver(const char *host)
{
    return strcmp(host, SIM_DNS_ADDR0) == 0 || strcmp(host, SIM_DNS_ADDR1) == 0;
}
