/* The driver: connects, runs TLS over the live stream when the engine asks
 * for it, moves bytes between the stream and the SMTP engine, pulls the body,
 * and enforces a deadline per stage plus an overall deadline. */
#include <string.h>

#include "smtpc/client.h"
#include "smtpc/idna.h"
#include "smtpc/tlsrpt.h"
#include "smtpc_priv.h"

/* P_NEXT: the current domain is decided; client_advance() starts the next
 * one (a loop, not a call chain: the driver never recurses). */
enum { P_IDLE = 0, P_STS, P_DNS, P_CONNECT, P_TLS, P_SMTP, P_NEXT, P_DONE };

/* Progress steps taken in one smtpc_client_step() call before yielding, so a
 * fast peer cannot monopolise the caller's loop. */
#define SMTPC_STEP_BUDGET 256u
/* Retry delay when the body source is not ready. */
#define SMTPC_BODY_RETRY_MS 10u

static uint32_t client_now(const smtpc_client_t *c)
{
    return c->plat->clock->now_ms(c->plat->clock_ctx);
}

static uint32_t pick(uint32_t v, uint32_t dflt)
{
    return v != 0u ? v : dflt;
}

static uint32_t client_stage_budget(const smtpc_client_t *c, uint8_t stage)
{
    const smtpc_timeouts_t *t = &c->cfg->timeouts;
    switch (stage) {
    case SMTPC_STAGE_DNS:
        /* The resolver has its own per-try timeouts; this bounds the whole. */
        return (uint32_t)SMTPC_DNS_TRIES * 2u * SMTPC_DNS_TIMEOUT_MS + 1000u;
    case SMTPC_STAGE_STS:
        /* TXT lookup, then at most one fetch with its own deadline. */
        return (uint32_t)SMTPC_DNS_TRIES * 2u * SMTPC_DNS_TIMEOUT_MS + 2000u +
               pick(t->sts_fetch_ms, SMTPC_STS_FETCH_TIMEOUT_MS);
    case SMTPC_STAGE_CONNECT:
        return pick(t->connect_ms, SMTPC_TIMEOUT_CONNECT_MS);
    case SMTPC_STAGE_TLS_IMPLICIT:
    case SMTPC_STAGE_TLS_HANDSHAKE:
        return pick(t->tls_ms, SMTPC_TIMEOUT_TLS_MS);
    case SMTPC_STAGE_GREETING:
        return pick(t->greeting_ms, SMTPC_TIMEOUT_GREETING_MS);
    case SMTPC_STAGE_DATA:
        return pick(t->data_init_ms, SMTPC_TIMEOUT_DATA_INIT_MS);
    case SMTPC_STAGE_BODY:
        return pick(t->data_block_ms, SMTPC_TIMEOUT_DATA_BLOCK_MS);
    case SMTPC_STAGE_DATA_END:
        return pick(t->data_end_ms, SMTPC_TIMEOUT_DATA_END_MS);
    default:
        return pick(t->command_ms, SMTPC_TIMEOUT_COMMAND_MS);
    }
}

static uint32_t client_total_budget(const smtpc_client_t *c)
{
    return pick(c->cfg->timeouts.total_ms, SMTPC_TIMEOUT_TOTAL_MS);
}

static void client_trace(const smtpc_client_t *c, const char *msg)
{
    if (c->plat->trace != NULL) {
        c->plat->trace(c->plat->trace_arg, SMTPC_TRACE_INFO, (const uint8_t *)msg,
                       smtpc_strnlen_(msg, 128));
    }
}

/* "what name" in one trace line (no stdio in core: composed by hand). */
static void client_trace2(const smtpc_client_t *c, const char *what, const char *name)
{
    char line[48 + SMTPC_DNS_NAME_BUF];
    size_t a;
    size_t b;
    if (c->plat->trace == NULL) {
        return;
    }
    a = smtpc_strnlen_(what, 46);
    b = smtpc_strnlen_(name, SMTPC_DNS_NAME_BUF - 1u);
    memcpy(line, what, a);
    line[a] = ' ';
    memcpy(line + a + 1u, name, b);
    c->plat->trace(c->plat->trace_arg, SMTPC_TRACE_INFO, (const uint8_t *)line, a + 1u + b);
}

static uint8_t client_cur_stage(const smtpc_client_t *c)
{
    if (c->phase == P_CONNECT) {
        return SMTPC_STAGE_CONNECT;
    }
    if (c->phase == P_DNS) {
        return SMTPC_STAGE_DNS;
    }
    if (c->phase == P_STS) {
        return SMTPC_STAGE_STS;
    }
    return (uint8_t)smtpc_smtp_stage(&c->smtp);
}

/* Restart the stage clock whenever the stage changes. */
static void client_track_stage(smtpc_client_t *c, uint32_t now)
{
    uint8_t st = client_cur_stage(c);
    if (st != c->stage) {
        c->stage = st;
        c->t_stage = now;
        c->stage_budget = client_stage_budget(c, st);
    }
}

static void client_close(smtpc_client_t *c)
{
    if (c->tls_open) {
        c->plat->tls->end(c->plat->tls_ctx);
        c->tls_open = 0;
    }
    if (c->tcp_open) {
        c->tcp.ops->close(c->tcp.ctx);
        c->tcp_open = 0;
    }
}

/* Close the current session and return its outcome. Errors the engine
 * recorded keep their stage; driver errors (connect, TLS, deadline) get the
 * driver's stage. */
static int client_session_close(smtpc_client_t *c, int err)
{
    int rc = smtpc_smtp_status(&c->smtp);
    if (rc == SMTPC_IN_PROGRESS) {
        smtpc_smtp_fail(&c->smtp, err);
        rc = smtpc_smtp_status(&c->smtp);
        if (rc == SMTPC_IN_PROGRESS) {
            rc = err;
        }
        if (rc == err && rc != SMTPC_OK) {
            c->sres.stage = c->stage;
        }
    }
    c->sres.err = rc;
    if (rc == SMTPC_OK) {
        c->sres.stage = SMTPC_STAGE_DONE;
    }
    client_close(c);
    return rc;
}

static const smtpc_stream_t *client_stream(const smtpc_client_t *c)
{
    return c->tls_open ? &c->tls : &c->tcp;
}

/* ------------------------------------------------------------ TLS ------ */

static int client_tls_start(smtpc_client_t *c)
{
    const smtpc_session_cfg_t *sc = &c->scfg;
    smtpc_verify_t v =
        sc->tls_level == SMTPC_TLS_VERIFIED ? SMTPC_VERIFY_REQUIRED : SMTPC_VERIFY_OPTIONAL;
    int rc;
    if (sc->tls_mode == SMTPC_TLS_STARTTLS) {
        /* Anything already waiting in plaintext after the 220 is an
         * injection (CVE-2011-0411 class): look once before TLS starts. */
        size_t cap = 0;
        uint8_t *buf = smtpc_smtp_rx_buf(&c->smtp, &cap);
        int32_t n = buf != NULL ? c->tcp.ops->recv(c->tcp.ctx, buf, cap) : 0;
        if (n > 0) {
            return smtpc_smtp_rx_ack(&c->smtp, (size_t)n);
        }
        if (n < 0) {
            return n;
        }
    }
    rc = c->plat->tls->start(c->plat->tls_ctx, &c->tcp, c->host, v);
    if (rc != SMTPC_OK) {
        return rc;
    }
    c->tls.ops = &c->plat->tls->stream;
    c->tls.ctx = c->plat->tls_ctx;
    c->tls_open = 1;
    c->phase = P_TLS;
    c->io_wants = SMTPC_WANT_WRITE;
    return SMTPC_IN_PROGRESS;
}

static int client_tls_step(smtpc_client_t *c, int *progress)
{
    unsigned w = 0;
    int rc = c->plat->tls->handshake(c->plat->tls_ctx, &w);
    if (rc == SMTPC_IN_PROGRESS) {
        c->io_wants = w != 0u ? w : SMTPC_WANT_READ;
        return rc;
    }
    c->sres.cert = (uint8_t)c->plat->tls->verdict(c->plat->tls_ctx);
    if (rc != SMTPC_OK) {
        return rc;
    }
    c->phase = P_SMTP;
    *progress = 1;
    return smtpc_smtp_tls_up(&c->smtp, (smtpc_cert_verdict_t)c->sres.cert);
}

/* ------------------------------------------------------------ body ----- */

static int client_body(smtpc_client_t *c, int *progress)
{
    size_t used;
    if (c->body_off == c->body_len && !c->body_eof) {
        size_t len = 0;
        bool eof = false;
        int rc;
        c->body_used = 1;
        rc = c->body.read(c->body.arg, c->mem->body, sizeof(c->mem->body), &len, &eof);
        if (rc != SMTPC_OK) {
            return rc < 0 ? rc : SMTPC_ERR_BODY_SOURCE;
        }
        if (len > sizeof(c->mem->body)) {
            return SMTPC_ERR_BODY_SOURCE;
        }
        c->body_len = (uint16_t)len;
        c->body_off = 0;
        c->body_eof = (uint8_t)eof;
        if (len == 0 && !eof) {
            c->body_wait = 1;
            return SMTPC_IN_PROGRESS;
        }
    }
    c->body_wait = 0;
    used = smtpc_smtp_body(&c->smtp, c->mem->body + c->body_off,
                           (size_t)(c->body_len - c->body_off), c->body_eof != 0u);
    c->body_off = (uint16_t)(c->body_off + used);
    if (used > 0 || (smtpc_smtp_wants(&c->smtp) & SMTPC_SMTP_WANT_BODY) == 0u) {
        *progress = 1;
    }
    return smtpc_smtp_status(&c->smtp);
}

/* ------------------------------------------------------------ I/O ------ */

static int client_write(smtpc_client_t *c, int *progress, uint32_t now)
{
    const smtpc_stream_t *st = client_stream(c);
    size_t len = 0;
    const uint8_t *buf = smtpc_smtp_tx_buf(&c->smtp, &len);
    int32_t n;
    if (buf == NULL) {
        return SMTPC_IN_PROGRESS;
    }
    n = st->ops->send(st->ctx, buf, len);
    if (n < 0) {
        return n;
    }
    if (n > 0) {
        if ((size_t)n > len) {
            return SMTPC_ERR_NET_IO;
        }
        smtpc_smtp_tx_ack(&c->smtp, (size_t)n);
        *progress = 1;
        if (c->stage == SMTPC_STAGE_BODY) {
            c->t_stage = now; /* RFC 5321 §4.5.3.2.5: per send, not per message */
        }
    }
    return smtpc_smtp_status(&c->smtp);
}

static int client_read(smtpc_client_t *c, int *progress)
{
    const smtpc_stream_t *st = client_stream(c);
    size_t cap = 0;
    uint8_t *buf = smtpc_smtp_rx_buf(&c->smtp, &cap);
    int32_t n;
    if (buf == NULL) {
        return SMTPC_IN_PROGRESS;
    }
    n = st->ops->recv(st->ctx, buf, cap);
    if (n < 0) {
        return n;
    }
    if (n > 0) {
        if ((size_t)n > cap) {
            return SMTPC_ERR_NET_IO;
        }
        *progress = 1;
        return smtpc_smtp_rx_ack(&c->smtp, (size_t)n);
    }
    return SMTPC_IN_PROGRESS;
}

/* One round over what the engine wants. */
static int client_smtp_round(smtpc_client_t *c, int *progress, uint32_t now)
{
    unsigned w = smtpc_smtp_wants(&c->smtp);
    int rc = SMTPC_IN_PROGRESS;
    if (w & SMTPC_SMTP_WANT_DONE) {
        return smtpc_smtp_status(&c->smtp);
    }
    if (w & SMTPC_SMTP_WANT_WRITE) {
        rc = client_write(c, progress, now);
    }
    if (rc == SMTPC_IN_PROGRESS && (w & SMTPC_SMTP_WANT_TLS)) {
        rc = client_tls_start(c);
        *progress = 1;
        return rc;
    }
    if (rc == SMTPC_IN_PROGRESS && (w & SMTPC_SMTP_WANT_BODY)) {
        rc = client_body(c, progress);
    }
    if (rc == SMTPC_IN_PROGRESS && (w & SMTPC_SMTP_WANT_READ)) {
        rc = client_read(c, progress);
    }
    return rc;
}

/* The address connected to, for the receiving-ip of TLS reports. */
static void client_note_peer(smtpc_client_t *c)
{
    uint8_t len = 0;
    c->peer_len = 0;
    if (c->plat->net->peer != NULL &&
        c->plat->net->peer(c->plat->net_ctx, c->peer, &len) == SMTPC_OK &&
        (len == 4u || len == 16u)) {
        c->peer_len = len;
    }
}

static int client_connect_step(smtpc_client_t *c, int *progress)
{
    int rc = c->plat->net->connect_poll(c->plat->net_ctx, &c->tcp);
    if (rc == SMTPC_OK) {
        client_note_peer(c);
        c->tcp_open = 1;
        c->phase = P_SMTP;
        *progress = 1;
        client_trace(c, "connected");
        return SMTPC_IN_PROGRESS;
    }
    return rc;
}

static int client_begin_domain(smtpc_client_t *c);
#if SMTPC_ENABLE_MX
static int client_hosts_ready(smtpc_client_t *c);
static int client_policy_ready(smtpc_client_t *c);
static int client_domain_fail(smtpc_client_t *c, int rc, uint8_t stage);
#endif

/* ------------------------------------------------------ sessions ----- */

static int client_total_expired(const smtpc_client_t *c, uint32_t now)
{
    uint32_t total = client_total_budget(c);
    return total != 0u && (uint32_t)(now - c->t_start) >= total;
}

static uint16_t client_port(const smtpc_client_t *c)
{
    if (c->cfg->port != 0u) {
        return c->cfg->port;
    }
    if (c->cfg->mode == SMTPC_MODE_MX) {
        return 25u;
    }
    return c->cfg->session.tls_mode == SMTPC_TLS_IMPLICIT ? 465u : 587u;
}

/* The policy in force for the current domain, or NULL. */
static const smtpc_sts_policy_t *client_policy(const smtpc_client_t *c)
{
#if SMTPC_ENABLE_MX
    return c->sts_on ? smtpc_sts_policy(&c->mem->sts) : NULL;
#else
    (void)c;
    return NULL;
#endif
}

/* The settings of the next session: the caller's, raised by the policy.
 * Under enforce a listed MX must present a certificate valid for its name
 * over STARTTLS (RFC 8461 §4.2, §5): level VERIFIED whatever the caller
 * allowed. */
static void client_session_cfg(smtpc_client_t *c)
{
    const smtpc_sts_policy_t *pol = client_policy(c);
    c->scfg = c->cfg->session;
    if (pol != NULL && pol->mode == SMTPC_STS_MODE_ENFORCE) {
        c->scfg.tls_level = SMTPC_TLS_VERIFIED;
        if (c->scfg.tls_mode == SMTPC_TLS_NONE) {
            c->scfg.tls_mode = SMTPC_TLS_STARTTLS;
        }
    }
    if (c->mx_idx < c->result.mx_count) {
        smtpc_mx_verdict_t *v = &c->result.mx[c->mx_idx];
        v->tried = 1;
        v->level = (uint8_t)c->scfg.tls_level;
    }
}

/* Start a session with c->host for the recipients in c->sub. Returns
 * IN_PROGRESS or the error that ended it at once (phase is a session phase). */
static int client_begin_session(smtpc_client_t *c)
{
    int rc;
    size_t n;
    c->phase = P_CONNECT;
    c->stage = SMTPC_STAGE_CONNECT;
    client_session_cfg(c);
    /* A fresh engine first: a session that cannot start must not inherit the
     * outcome of the previous one. */
    rc = smtpc_smtp_init(&c->smtp, &c->scfg, &c->sub, &c->sres, c->mem->tx, sizeof(c->mem->tx),
                         c->mem->rx, sizeof(c->mem->rx));
    if (rc != SMTPC_OK) {
        return rc;
    }
    if (c->expired) {
        return SMTPC_ERR_TIMEOUT;
    }
    if (c->body_used) {
        if (c->body.rewind == NULL) {
            c->result.flags |= SMTPC_RESULT_NO_REWIND;
            return SMTPC_ERR_NO_REWIND;
        }
        rc = c->body.rewind(c->body.arg);
        if (rc != SMTPC_OK) {
            return rc < 0 ? rc : SMTPC_ERR_BODY_SOURCE;
        }
    }
    c->body_len = 0;
    c->body_off = 0;
    c->body_eof = 0;
    c->body_wait = 0;
    c->body_used = 0;
    /* The result names the server by a copy: the MX list changes per domain. */
    n = smtpc_strnlen_(c->host, sizeof(c->host_copy) - 1u);
    memcpy(c->host_copy, c->host, n);
    c->host_copy[n] = '\0';
    smtpc_smtp_set_trace(&c->smtp, c->plat->trace, c->plat->trace_arg);
    c->result.host = c->host_copy;
    c->result.hosts_tried++;
    client_trace2(c, "connecting to", c->host);
    c->stage = SMTPC_STAGE_NONE;
    client_track_stage(c, client_now(c));
    c->peer_len = 0;
    rc = c->plat->net->connect(c->plat->net_ctx, c->host, client_port(c), &c->tcp);
    if (rc == SMTPC_OK) {
        client_note_peer(c);
        c->tcp_open = 1;
        c->phase = P_SMTP;
        client_trace(c, "connected");
        return SMTPC_IN_PROGRESS;
    }
    return rc;
}

#if SMTPC_ENABLE_MX
/* May another MX host be tried after this outcome? Only when nothing of the
 * transaction happened (no MAIL was answered), so no message is duplicated
 * and a 5xx to MAIL/RCPT stays final (RFC 5321 §5.1). */
static int client_retryable(const smtpc_client_t *c, int rc)
{
    switch (rc) {
    case SMTPC_OK:
    case SMTPC_ERR_RCPT_SOME_REJECTED:
    case SMTPC_ERR_BAD_ARG:
    case SMTPC_ERR_BAD_ADDRESS:
    case SMTPC_ERR_PLAINTEXT_FORBIDDEN:
    case SMTPC_ERR_NO_REWIND:
    case SMTPC_ERR_BODY_SOURCE:
    case SMTPC_ERR_ABORTED:
    case SMTPC_ERR_AUTH_FAILED:
    case SMTPC_ERR_AUTH_UNSUPPORTED:
    case SMTPC_ERR_AUTH_NEEDS_TLS:
        return 0;
    default:
        break;
    }
    return !c->expired && c->sres.stage < SMTPC_STAGE_MAIL;
}
#endif

/* Fold a finished session into the aggregate result. */
static void client_fold_session(smtpc_client_t *c)
{
    smtpc_result_t *r = &c->result;
    const smtpc_result_t *s = &c->sres;
    r->stage = s->stage;
    r->tls_reached = s->tls_reached;
    r->cert = s->cert;
    r->reply_code = s->reply_code;
    memcpy(r->reply_enh, s->reply_enh, sizeof(r->reply_enh));
    r->reply_text_len = s->reply_text_len;
    memcpy(r->reply_text, s->reply_text, s->reply_text_len);
    r->flags = (uint16_t)(r->flags | s->flags);
}

/* Final per-recipient results for the recipients of c->sub. */
static void client_domain_result(smtpc_client_t *c, int rc)
{
    size_t k;
    int delivered = rc == SMTPC_OK || rc == SMTPC_ERR_RCPT_SOME_REJECTED;
    for (k = 0; k < c->sub.to_count; k++) {
        uint8_t i = c->sub_map[k];
        const smtpc_rcpt_result_t *sr = &c->sres.rcpt[k];
        smtpc_rcpt_result_t *r = &c->result.rcpt[i];
        *r = *sr;
        if (!(sr->code != 0u && sr->err != SMTPC_OK) && !delivered) {
            r->err = (int16_t)rc;
        }
        c->rcpt_done[i] = 1;
    }
    if (!delivered || rc == SMTPC_ERR_RCPT_SOME_REJECTED) {
        c->last_err = rc;
        c->last_stage = c->sres.stage;
    }
}

static int client_complete(smtpc_client_t *c)
{
    smtpc_result_t *r = &c->result;
    size_t i;
    unsigned ok = 0;
    for (i = 0; i < c->env.to_count; i++) {
        ok += r->rcpt[i].err == SMTPC_OK ? 1u : 0u;
    }
    r->rcpt_count = (uint8_t)c->env.to_count;
    r->rcpt_accepted = (uint8_t)ok;
    if (ok == c->env.to_count) {
        c->status = SMTPC_OK;
        r->stage = SMTPC_STAGE_DONE;
    } else if (ok > 0u) {
        c->status = SMTPC_ERR_RCPT_SOME_REJECTED;
    } else {
        c->status = c->last_err != SMTPC_OK ? c->last_err : SMTPC_ERR_INTERNAL;
        r->stage = c->last_stage;
    }
    r->err = c->status;
    c->phase = P_DONE;
    return c->status;
}

static const char *client_domain_of(const char *addr)
{
    const char *at = NULL;
    size_t i;
    for (i = 0; i <= SMTPC_ADDR_MAX && addr[i] != '\0'; i++) {
        if (addr[i] == '@') {
            at = addr + i;
        }
    }
    return at != NULL ? at + 1 : addr + i;
}

static int client_same_domain(const char *a, const char *b)
{
    size_t i;
    for (i = 0; i <= SMTPC_HOSTNAME_MAX; i++) {
        uint8_t x = (uint8_t)a[i];
        uint8_t y = (uint8_t)b[i];
        x = (x >= 'A' && x <= 'Z') ? (uint8_t)(x + 32u) : x;
        y = (y >= 'A' && y <= 'Z') ? (uint8_t)(y + 32u) : y;
        if (x != y) {
            return 0;
        }
        if (x == '\0') {
            return 1;
        }
    }
    return 0;
}

#if SMTPC_ENABLE_MX
/* MX answers go straight into the list (the best SMTPC_MAX_MX are kept). */
static int client_mx_cb(void *arg, const smtpc_dns_rr_t *rr)
{
    smtpc_client_t *c = (smtpc_client_t *)arg;
    return smtpc_mx_add(&c->mem->mx, rr);
}

/* An address literal "[192.0.2.1]" / "[IPv6:2001:db8::1]" (RFC 5321 §4.1.3)
 * names the host itself: no MX lookup. */
static int client_literal_domain(smtpc_client_t *c, const char *dom)
{
    size_t n = smtpc_strnlen_(dom, SMTPC_DNS_NAME_BUF);
    size_t off = 1;
    smtpc_mx_t *m = &c->mem->mx.mx[0];
    if (n < 3u || n >= SMTPC_DNS_NAME_BUF || dom[n - 1u] != ']') {
        return SMTPC_ERR_BAD_ADDRESS;
    }
    if (n > 6u && memcmp(dom + 1, "IPv6:", 5) == 0) {
        off = 6;
    }
    memcpy(m->host, dom + off, n - off - 1u);
    m->host[n - off - 1u] = '\0';
    m->pref = 0;
    c->mem->mx.count = 1;
    return client_hosts_ready(c);
}
#endif

/* ------------------------------------------------------- MTA-STS ----- */

/* Give an event to the report hook (TLS-RPT). */
static void client_report(const smtpc_client_t *c, uint8_t kind, int err, uint8_t cert,
                          uint8_t flags, const char *mx_host)
{
    smtpc_tls_event_t ev;
    if (c->plat->report == NULL) {
        return;
    }
    memset(&ev, 0, sizeof(ev));
    ev.kind = kind;
    ev.err = err;
    ev.cert = cert;
    ev.flags = flags;
    ev.domain = "";
    ev.mx_host = mx_host;
    ev.policy_id = "";
    ev.rpt = c->rpt;
    if (kind == SMTPC_EV_SESSION) {
        ev.tls_reached = c->sres.tls_reached;
        if (c->fetch_failed) {
            ev.flags = (uint8_t)(ev.flags | SMTPC_EV_F_FETCH_FAILED);
        }
        if (c->peer_len != 0u && mx_host == c->host) {
            ev.ip_len = c->peer_len;
            memcpy(ev.ip, c->peer, sizeof(ev.ip));
        }
    }
#if SMTPC_ENABLE_MX
    ev.domain = c->domain;
    if (c->sts_on) {
        const smtpc_sts_t *st = &c->mem->sts;
        ev.sts_applied = st->applied;
        if (st->applied != SMTPC_STS_APPLY_NONE) {
            ev.sts_mode = st->entry.policy.mode;
            ev.policy_id = st->entry.id;
            ev.policy = &st->entry.policy;
        }
    }
#endif
    c->plat->report(c->plat->report_arg, &ev);
}

#if SMTPC_ENABLE_MX

/* The MTA-STS decision of the current domain is made: note it in the result,
 * report it, and go on with the MX lookup (or the smarthost session). */
static int client_sts_done(smtpc_client_t *c)
{
    const smtpc_sts_t *st = &c->mem->sts;
    const smtpc_sts_policy_t *pol = smtpc_sts_policy(st);
    smtpc_result_t *r = &c->result;
    size_t n;
    r->sts_applied = st->applied;
    r->sts_fetched = st->fetched;
    r->sts_txt_err = (int16_t)st->txt_rc;
    r->sts_fetch_err = (int16_t)(st->fetched ? st->fetch_rc : SMTPC_OK);
    r->sts_mode = st->applied != SMTPC_STS_APPLY_NONE ? st->entry.policy.mode : 0u;
    r->sts_id[0] = '\0';
    if (st->applied != SMTPC_STS_APPLY_NONE) {
        n = smtpc_strnlen_(st->entry.id, SMTPC_STS_ID_MAX);
        n = n > SMTPC_STS_ID_MAX ? SMTPC_STS_ID_MAX : n;
        memcpy(r->sts_id, st->entry.id, n);
        r->sts_id[n] = '\0';
        if (st->clock_unknown) {
            r->flags |= SMTPC_RESULT_CLOCK_UNKNOWN;
        }
    }
    if (pol != NULL) {
        r->flags |= pol->mode == SMTPC_STS_MODE_ENFORCE ? SMTPC_RESULT_STS_ENFORCED
                                                        : SMTPC_RESULT_STS_TESTING;
    }
    c->fetch_failed =
        (uint8_t)(st->fetched && st->fetch_rc != SMTPC_OK && st->applied == SMTPC_STS_APPLY_NONE);
    return client_policy_ready(c);
}

/* The policy of the domain is known: report it, then look the MX hosts up
 * (or go to the smarthost). */
static int client_policy_go(smtpc_client_t *c)
{
    const smtpc_sts_t *st = &c->mem->sts;
    if (c->sts_on) {
        client_report(c, SMTPC_EV_POLICY, st->fetched ? st->fetch_rc : SMTPC_OK,
                      SMTPC_CERT_NOT_CHECKED, 0, st->fetched ? st->host : "");
    }
    if (c->cfg->mode != SMTPC_MODE_MX) {
        return client_hosts_ready(c);
    }
    c->phase = P_DNS;
    c->stage = SMTPC_STAGE_NONE;
    client_track_stage(c, client_now(c));
    client_trace2(c, "MX lookup for", c->domain);
    return smtpc_dns_start(&c->mem->q.dns, &c->dns_io, c->domain, SMTPC_DNS_TYPE_MX, client_mx_cb,
                           c);
}

#if SMTPC_ENABLE_TLSRPT
/* Each TXT answer of `_smtp._tls.<domain>`: count the records that begin
 * with v=TLSRPTv1 and the valid ones (RFC 8460 §3: exactly one must be
 * left). A record too long to join still counts as a candidate, so it can
 * never hide a second one; it cannot be checked, so it is not valid. */
static int client_rpt_cb(void *arg, const smtpc_dns_rr_t *rr)
{
    smtpc_client_t *c = (smtpc_client_t *)arg;
    size_t len = 0;
    int rc = smtpc_dns_txt_join(rr, (char *)c->mem->tx, sizeof(c->mem->tx), &len);
    if (rc != SMTPC_OK) {
        size_t off = 0;
        len = 0;
        while (off < rr->rdlen && len < sizeof(c->mem->tx)) {
            size_t k = rr->rdata[off++];
            size_t n;
            k = k < (size_t)rr->rdlen - off ? k : (size_t)rr->rdlen - off;
            n = k < sizeof(c->mem->tx) - len ? k : sizeof(c->mem->tx) - len;
            memcpy(c->mem->tx + len, rr->rdata + off, n);
            len += n;
            off += k;
        }
    }
    if (smtpc_tlsrpt_txt_is_candidate((const char *)c->mem->tx, len)) {
        if (c->rpt_cand < 255u) {
            c->rpt_cand++;
        }
        if (rc == SMTPC_OK &&
            smtpc_tlsrpt_txt_parse((const char *)c->mem->tx, len, NULL) == SMTPC_OK &&
            c->rpt_valid < 255u) {
            c->rpt_valid++;
        }
    }
    return SMTPC_OK;
}

/* The `_smtp._tls` lookup ended: only a domain with exactly one valid
 * record gets its sessions logged. A failed lookup is not fatal. */
static int client_rpt_done(smtpc_client_t *c, int rc)
{
    smtpc_dns_stop(&c->mem->q.dns);
    c->rpt_query = 0;
    if (rc == SMTPC_ERR_TIMEOUT && c->expired) {
        return client_domain_fail(c, rc, SMTPC_STAGE_DNS);
    }
    c->rpt =
        (uint8_t)(rc == SMTPC_OK && c->rpt_cand == 1u && c->rpt_valid == 1u ? SMTPC_RPT_PUBLISHED
                                                                            : SMTPC_RPT_ABSENT);
    client_trace(c, c->rpt == SMTPC_RPT_PUBLISHED ? "TLS-RPT: record found, sessions reported"
                                                  : "TLS-RPT: no record, sessions not reported");
    return client_policy_go(c);
}
#endif

/* Before the MX lookup: does the domain publish a TLSRPT record? Asked only
 * when a report hook is installed. */
static int client_policy_ready(smtpc_client_t *c)
{
#if SMTPC_ENABLE_TLSRPT
    if (c->plat->report != NULL && !c->cfg->tlsrpt_off && c->plat->dgram != NULL) {
        char name[SMTPC_DNS_NAME_BUF];
        size_t n = smtpc_strnlen_(c->domain, SMTPC_DNS_NAME_BUF - 1u);
        if (n + 11u < sizeof(name)) {
            memcpy(name, "_smtp._tls.", 11);
            memcpy(name + 11, c->domain, n);
            name[11u + n] = '\0';
            c->rpt_query = 1;
            c->rpt_cand = 0;
            c->rpt_valid = 0;
            c->phase = P_DNS;
            c->stage = SMTPC_STAGE_NONE;
            client_track_stage(c, client_now(c));
            client_trace2(c, "TLS-RPT lookup for", c->domain);
            return smtpc_dns_start(&c->mem->q.dns, &c->dns_io, name, SMTPC_DNS_TYPE_TXT,
                                   client_rpt_cb, c);
        }
        c->rpt = SMTPC_RPT_ABSENT; /* the name cannot be formed: no report */
    }
#endif
    return client_policy_go(c);
}

/* The first MX at or after @p from that may be used: under enforce only the
 * hosts the policy lists (§4.1, §5); the others count as unreachable. */
static uint8_t client_pick_mx(const smtpc_client_t *c, unsigned from)
{
    const smtpc_sts_policy_t *pol = client_policy(c);
    unsigned i;
    for (i = from; i < c->mem->mx.count; i++) {
        if (pol == NULL || pol->mode != SMTPC_STS_MODE_ENFORCE ||
            c->result.mx[i].policy == SMTPC_MX_MATCH) {
            break;
        }
    }
    return (uint8_t)i;
}

/* A domain's recipients end before any session (DNS, policy). */
static int client_domain_fail(smtpc_client_t *c, int rc, uint8_t stage)
{
    c->sres.stage = stage;
    c->sres.err = rc;
    c->result.stage = stage;
    client_domain_result(c, rc);
    c->phase = P_NEXT;
    return SMTPC_OK;
}

/* The host list of the domain is final: match it against the policy and
 * start with the first usable host. */
static int client_hosts_ready(smtpc_client_t *c)
{
    const smtpc_sts_policy_t *pol = client_policy(c);
    smtpc_mx_list_t *l = &c->mem->mx;
    size_t i;
    c->result.mx_count = l->count;
    memset(c->result.mx, 0, sizeof(c->result.mx));
    for (i = 0; i < l->count; i++) {
        smtpc_mx_verdict_t *v = &c->result.mx[i];
        v->err = SMTPC_OK;
        if (pol != NULL) {
            v->policy =
                smtpc_sts_mx_allowed(pol, l->mx[i].host) ? SMTPC_MX_MATCH : SMTPC_MX_NO_MATCH;
        }
        if (pol != NULL && v->policy == SMTPC_MX_NO_MATCH) {
            client_trace2(c,
                          pol->mode == SMTPC_STS_MODE_ENFORCE
                              ? "MTA-STS enforce: MX not in policy, skipped:"
                              : "MTA-STS testing: MX not in policy (reported):",
                          l->mx[i].host);
            if (pol->mode == SMTPC_STS_MODE_ENFORCE) {
                v->err = SMTPC_ERR_STS_MX_NOT_ALLOWED;
                client_report(c, SMTPC_EV_SESSION, SMTPC_ERR_STS_MX_NOT_ALLOWED,
                              SMTPC_CERT_NOT_CHECKED, SMTPC_EV_F_MX_MISMATCH, l->mx[i].host);
            }
        }
    }
    c->mx_idx = client_pick_mx(c, 0);
    if (c->mx_idx >= l->count) {
        /* Never fall back to an unlisted host or to plaintext: the
         * delivery fails, temporarily (the caller retries later). */
        client_trace(c, "MTA-STS enforce: no MX host is allowed by the policy");
        return client_domain_fail(c, SMTPC_ERR_STS_MX_NOT_ALLOWED, SMTPC_STAGE_STS);
    }
    c->host = l->mx[c->mx_idx].host;
    return client_begin_session(c);
}
#endif /* SMTPC_ENABLE_MX */

/* --------------------------------------------------------- domains ----- */

/* Pick the next domain with undelivered recipients and start on it.
 * Returns IN_PROGRESS, the final status when nothing is left, or an error
 * that ended this domain at once (phase tells which unit failed). */
static int client_begin_domain(smtpc_client_t *c)
{
    size_t i;
    size_t j;
    size_t n = 0;
    const char *dom;
    int rc;
    for (i = 0; i < c->env.to_count && c->rcpt_done[i]; i++) {
    }
    if (i == c->env.to_count) {
        return client_complete(c);
    }
    dom = client_domain_of(c->env.to[i]);
    for (j = i; j < c->env.to_count; j++) {
        if (!c->rcpt_done[j] && (c->cfg->mode != SMTPC_MODE_MX ||
                                 client_same_domain(dom, client_domain_of(c->env.to[j])))) {
            c->sub_to[n] = c->env.to[j];
            c->sub_map[n] = (uint8_t)j;
            n++;
        }
    }
    c->sub = c->env;
    c->sub.to = c->sub_to;
    c->sub.to_count = n;
    /* The MTA-STS and MX parts of the result describe the last domain. */
    c->result.mx_count = 0;
    c->result.sts_mode = 0;
    c->result.sts_applied = 0;
    c->result.sts_fetched = 0;
    c->result.sts_txt_err = 0;
    c->result.sts_fetch_err = 0;
    c->result.sts_id[0] = '\0';
    c->sts_on = 0;
    c->rpt = SMTPC_RPT_UNKNOWN;
    c->rpt_query = 0;
    c->fetch_failed = 0;
    c->peer_len = 0;
    c->mx_idx = 0;
    memset(&c->sres, 0, sizeof(c->sres));
#if !SMTPC_ENABLE_MX
    (void)rc;
    c->host = c->cfg->host;
    return client_begin_session(c);
#else
    memset(&c->mem->mx, 0, sizeof(c->mem->mx));
    if (c->cfg->mode != SMTPC_MODE_MX) {
        c->host = c->cfg->host;
        if (c->cfg->sts_domain == NULL) {
            return client_begin_session(c);
        }
        /* A smarthost: its domain's policy applies to it (RFC 8461 §3.4). */
        n = smtpc_strnlen_(c->cfg->host, SMTPC_DNS_NAME_BUF - 1u);
        if (n > SMTPC_DNS_NAME_BUF - 1u) {
            return client_domain_fail(c, SMTPC_ERR_BAD_ARG, SMTPC_STAGE_STS);
        }
        memcpy(c->mem->mx.mx[0].host, c->cfg->host, n);
        c->mem->mx.mx[0].host[n] = '\0';
        (void)smtpc_dns_name_norm(c->mem->mx.mx[0].host, SMTPC_DNS_NAME_BUF);
        c->mem->mx.count = 1;
        dom = c->cfg->sts_domain;
    } else if (dom[0] == '[') {
        return client_literal_domain(c, dom);
    }
    c->phase = P_DNS;
    if (c->expired) {
        return SMTPC_ERR_TIMEOUT;
    }
    /* Normalised A-label: the query name, the policy key and the URL. */
    n = smtpc_strnlen_(dom, SMTPC_ADDR_MAX);
    rc = smtpc_idna_to_ascii(dom, n, c->domain, sizeof(c->domain), &j);
    if (rc != SMTPC_OK || smtpc_dns_name_norm(c->domain, sizeof(c->domain)) == 0) {
        return SMTPC_ERR_BAD_ADDRESS;
    }
    c->stage = SMTPC_STAGE_NONE;
    if (!c->cfg->sts_off && c->plat->tls != NULL &&
        (c->cfg->mode == SMTPC_MODE_MX || c->cfg->sts_domain != NULL)) {
        smtpc_sts_bufs_t b;
        b.dns = &c->mem->q.dns;
        b.body = c->mem->q.sts_body;
        b.body_cap = sizeof(c->mem->q.sts_body);
        b.io = c->mem->tx;
        b.io_cap = sizeof(c->mem->tx);
        c->phase = P_STS;
        c->sts_on = 1;
        client_track_stage(c, client_now(c));
        client_trace2(c, "MTA-STS discovery for", c->domain);
        return smtpc_sts_start(&c->mem->sts, &c->sts_io, &b, c->domain, 0);
    }
    return client_policy_ready(c);
#endif
}

#if SMTPC_ENABLE_MX
/* RFC 5321 §5.1: an MX exchange is a domain name; an address literal in an
 * MX record is not valid and is skipped. */
static int client_mx_is_literal(const char *h)
{
    size_t i;
    for (i = 0; i < SMTPC_DNS_NAME_BUF && h[i] != '\0'; i++) {
        if ((h[i] < '0' || h[i] > '9') && h[i] != '.') {
            return 0;
        }
    }
    return 1;
}

static int client_dns_done(smtpc_client_t *c, int rc)
{
    smtpc_mx_list_t *l = &c->mem->mx;
    uint8_t seed[8];
    size_t i;
    size_t keep = 0;
    smtpc_dns_stop(&c->mem->q.dns);
    if (rc == SMTPC_ERR_DNS_NODATA) {
        /* RFC 5321 §5.1: no MX records - the domain itself is the implicit MX. */
        memcpy(l->mx[0].host, c->domain, sizeof(l->mx[0].host));
        l->mx[0].pref = 0;
        l->count = 1;
        l->implicit = 1;
        c->result.flags |= SMTPC_RESULT_IMPLICIT_MX;
        client_trace(c, "no MX records: implicit MX");
        rc = SMTPC_OK;
    }
    for (i = 0; rc == SMTPC_OK && i < l->count; i++) {
        if (!client_mx_is_literal(l->mx[i].host)) {
            l->mx[keep++] = l->mx[i];
        }
    }
    if (rc == SMTPC_OK) {
        l->count = (uint8_t)keep;
        rc = keep > 0u ? SMTPC_OK : SMTPC_ERR_DNS_FORMAT;
    }
    if (rc != SMTPC_OK) {
        return client_domain_fail(c, rc, SMTPC_STAGE_DNS);
    }
    memset(seed, 0, sizeof(seed));
    if (c->plat->rng->fill(c->plat->rng_ctx, seed, sizeof(seed)) != SMTPC_OK) {
        memset(seed, 0, sizeof(seed));
    }
    smtpc_mx_sort(l, seed, sizeof(seed));
    for (i = 0; i < l->count; i++) {
        client_trace2(c, "MX", l->mx[i].host);
    }
    return client_hosts_ready(c);
}
#endif /* SMTPC_ENABLE_MX */

static int client_session_done(smtpc_client_t *c, int err)
{
    int rc = client_session_close(c, err);
#if SMTPC_ENABLE_MX
    uint8_t next;
#endif
    client_fold_session(c);
    if (c->mx_idx < c->result.mx_count) {
        smtpc_mx_verdict_t *v = &c->result.mx[c->mx_idx];
        uint8_t flags = v->policy == SMTPC_MX_NO_MATCH ? SMTPC_EV_F_MX_MISMATCH : 0u;
        v->err = (int16_t)rc;
        v->tls_reached = c->sres.tls_reached;
        v->cert = c->sres.cert;
        if (rc == SMTPC_ERR_STARTTLS_REQUIRED && (c->smtp.caps & SMTPC_CAP_UNKNOWN_8) != 0u) {
            flags |= SMTPC_EV_F_STRIP;
        }
        client_report(c, SMTPC_EV_SESSION, rc, c->sres.cert, flags, c->host);
    } else if (c->plat->report != NULL) {
        client_report(c, SMTPC_EV_SESSION, rc, c->sres.cert, 0, c->host);
    }
#if SMTPC_ENABLE_MX
    next = client_pick_mx(c, (unsigned)c->mx_idx + 1u);
    if (c->cfg->mode == SMTPC_MODE_MX && next < c->mem->mx.count && client_retryable(c, rc)) {
        /* client_begin_session() rewinds the body, or reports NO_REWIND. */
        c->mx_idx = next;
        c->host = c->mem->mx.mx[c->mx_idx].host;
        client_trace(c, "trying the next MX");
        return client_begin_session(c);
    }
#endif
    client_domain_result(c, rc);
    c->phase = P_NEXT;
    return SMTPC_OK;
}

/* The current unit (DNS query or session) ended with @p rc: move on until
 * something is in progress or everything is decided. Bounded: each round
 * ends a session or a domain. */
static int client_advance(smtpc_client_t *c, int rc)
{
    unsigned guard;
    for (guard = 0; guard < (SMTPC_MAX_RCPT + 1u) * (2u * SMTPC_MAX_MX + 8u); guard++) {
        if (rc == SMTPC_IN_PROGRESS || c->phase == P_DONE) {
            return c->phase == P_DONE ? c->status : SMTPC_IN_PROGRESS;
        }
        if (c->phase == P_NEXT) {
            rc = client_begin_domain(c);
            continue;
        }
#if SMTPC_ENABLE_MX
        if (c->phase == P_STS && rc != SMTPC_OK) {
            /* Cut short (deadline): close the policy fetch's socket and TLS,
             * and say in the result where the discovery stood. */
            const smtpc_sts_t *st = &c->mem->sts;
            smtpc_sts_stop(&c->mem->sts);
            c->result.sts_fetched = st->fetched;
            c->result.sts_txt_err = (int16_t)(st->fetched ? st->txt_rc : rc);
            c->result.sts_fetch_err = (int16_t)(st->fetched ? rc : SMTPC_OK);
        }
        if (c->phase == P_STS) {
            rc = rc == SMTPC_OK ? client_sts_done(c) : client_domain_fail(c, rc, SMTPC_STAGE_STS);
        } else if (c->phase == P_DNS) {
#if SMTPC_ENABLE_TLSRPT
            rc = c->rpt_query ? client_rpt_done(c, rc) : client_dns_done(c, rc);
#else
            rc = client_dns_done(c, rc);
#endif
        } else {
            rc = client_session_done(c, rc);
        }
#else
        rc = client_session_done(c, rc);
#endif
    }
    client_close(c);
    c->last_err = SMTPC_ERR_INTERNAL;
    return client_complete(c);
}

/* ------------------------------------------------------------ API ------ */

int smtpc_client_init(smtpc_client_t *c, const smtpc_client_cfg_t *cfg,
                      const smtpc_platform_t *platform, smtpc_client_mem_t *mem)
{
    if (c == NULL || cfg == NULL || platform == NULL || mem == NULL || platform->net == NULL ||
        platform->clock == NULL ||
        (platform->tls == NULL && cfg->session.tls_mode != SMTPC_TLS_NONE) ||
        (cfg->mode == SMTPC_MODE_SUBMISSION && cfg->host == NULL) ||
        ((cfg->mode == SMTPC_MODE_MX || (cfg->sts_domain != NULL && !cfg->sts_off)) &&
         (!SMTPC_ENABLE_MX || platform->dgram == NULL || platform->rng == NULL)) ||
        cfg->mode > SMTPC_MODE_MX) {
        return SMTPC_ERR_BAD_ARG;
    }
    memset(c, 0, sizeof(*c));
    c->cfg = cfg;
    c->plat = platform;
    c->mem = mem;
    c->status = SMTPC_ERR_STATE;
#if SMTPC_ENABLE_MX
    c->dns_io.dgram = platform->dgram;
    c->dns_io.dgram_ctx = platform->dgram_ctx;
    c->dns_io.net = platform->net;
    c->dns_io.net_ctx = platform->net_ctx;
    c->dns_io.clock = platform->clock;
    c->dns_io.clock_ctx = platform->clock_ctx;
    c->dns_io.rng = platform->rng;
    c->dns_io.rng_ctx = platform->rng_ctx;
    c->sts_io.dns = &c->dns_io;
    c->sts_io.net = platform->net;
    c->sts_io.net_ctx = platform->net_ctx;
    c->sts_io.tls = platform->tls;
    c->sts_io.tls_ctx = platform->tls_ctx;
    c->sts_io.store = platform->sts_store;
    c->sts_io.store_ctx = platform->sts_store_ctx;
    c->sts_io.trace = platform->trace;
    c->sts_io.trace_arg = platform->trace_arg;
    c->sts_io.fetch_timeout_ms = cfg->timeouts.sts_fetch_ms;
#endif
    return SMTPC_OK;
}

int smtpc_client_start(smtpc_client_t *c, const smtpc_envelope_t *env, const smtpc_body_src_t *body)
{
    int rc;
    if (c == NULL || c->cfg == NULL || env == NULL || body == NULL || body->read == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (c->phase != P_IDLE && c->phase != P_DONE) {
        return SMTPC_ERR_STATE;
    }
    client_close(c);
    memset(&c->result, 0, sizeof(c->result));
    memset(c->rcpt_done, 0, sizeof(c->rcpt_done));
#if SMTPC_ENABLE_MX
    memset(&c->mem->mx, 0, sizeof(c->mem->mx));
#endif
    c->env = *env;
    c->body = *body;
    c->body_used = 0;
    c->busy = 0;
    c->expired = 0;
    c->last_err = SMTPC_OK;
    c->last_stage = SMTPC_STAGE_NONE;
    /* Check the whole envelope once, before any network activity. */
    rc = smtpc_smtp_init(&c->smtp, &c->cfg->session, &c->env, &c->sres, c->mem->tx,
                         sizeof(c->mem->tx), c->mem->rx, sizeof(c->mem->rx));
    if (rc != SMTPC_OK) {
        c->result.err = rc;
        c->status = rc;
        c->phase = P_DONE;
        return rc;
    }
    c->t_start = client_now(c);
    c->status = SMTPC_IN_PROGRESS;
    return client_advance(c, client_begin_domain(c));
}

int smtpc_client_step(smtpc_client_t *c)
{
    uint32_t now;
    unsigned rounds;
    if (c == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (c->phase == P_IDLE || c->phase == P_DONE) {
        return c->status;
    }
    now = client_now(c);
    c->busy = 0;
    for (rounds = 0; rounds < SMTPC_STEP_BUDGET; rounds++) {
        int progress = 0;
        int rc;
        client_track_stage(c, now);
        if (client_total_expired(c, now)) {
            c->expired = 1;
        }
        if (c->expired || (uint32_t)(now - c->t_stage) >= c->stage_budget) {
            rc = SMTPC_ERR_TIMEOUT;
#if SMTPC_ENABLE_MX
        } else if (c->phase == P_STS) {
            rc = smtpc_sts_step(&c->mem->sts);
        } else if (c->phase == P_DNS) {
            rc = smtpc_dns_step(&c->mem->q.dns);
#endif
        } else if (c->phase == P_CONNECT) {
            rc = client_connect_step(c, &progress);
        } else if (c->phase == P_TLS) {
            rc = client_tls_step(c, &progress);
        } else {
            rc = client_smtp_round(c, &progress, now);
        }
        if (rc != SMTPC_IN_PROGRESS) {
            rc = client_advance(c, rc);
            if (rc != SMTPC_IN_PROGRESS) {
                return rc;
            }
            progress = 1;
        }
        if (!progress) {
            client_track_stage(c, now);
            return SMTPC_IN_PROGRESS;
        }
        now = client_now(c);
    }
    c->busy = 1;
    return SMTPC_IN_PROGRESS;
}

unsigned smtpc_client_wants(const smtpc_client_t *c, uint32_t *deadline_ms)
{
    unsigned w = SMTPC_WANT_TIMER;
    uint32_t total;
    uint32_t dl;
    if (c == NULL || deadline_ms == NULL) {
        return 0;
    }
    if (c->phase == P_IDLE || c->phase == P_DONE) {
        *deadline_ms = 0;
        return 0;
    }
    dl = c->t_stage + c->stage_budget;
    total = client_total_budget(c);
    if (total != 0u && (int32_t)((c->t_start + total) - dl) < 0) {
        dl = c->t_start + total;
    }
    if (c->busy) {
        *deadline_ms = client_now(c); /* more work is ready: call step() again now */
        return w;
    }
    if (0) {
#if SMTPC_ENABLE_MX
    } else if (c->phase == P_STS) {
        uint32_t sdl = dl;
        w |= smtpc_sts_wants(&c->mem->sts, &sdl);
        if ((int32_t)(sdl - dl) < 0) {
            dl = sdl;
        }
    } else if (c->phase == P_DNS) {
        uint32_t ddl = dl;
        w |= smtpc_dns_wants(&c->mem->q.dns, &ddl);
        if ((int32_t)(ddl - dl) < 0) {
            dl = ddl;
        }
#endif
    } else if (c->phase == P_CONNECT) {
        w |= SMTPC_WANT_WRITE;
    } else if (c->phase == P_TLS) {
        w |= c->io_wants;
    } else {
        unsigned sw = smtpc_smtp_wants(&c->smtp);
        if (sw & SMTPC_SMTP_WANT_READ) {
            w |= SMTPC_WANT_READ;
        }
        if (sw & SMTPC_SMTP_WANT_WRITE) {
            w |= SMTPC_WANT_WRITE;
        }
        if ((sw & SMTPC_SMTP_WANT_BODY) && c->body_wait) {
            uint32_t retry = client_now(c) + SMTPC_BODY_RETRY_MS;
            if ((int32_t)(retry - dl) < 0) {
                dl = retry;
            }
        } else if (sw & SMTPC_SMTP_WANT_BODY) {
            dl = client_now(c); /* body can be fed now */
        }
    }
    *deadline_ms = dl;
    return w;
}

const smtpc_result_t *smtpc_client_result(const smtpc_client_t *c)
{
    return c != NULL ? &c->result : NULL;
}

const char *smtpc_client_mx_name(const smtpc_client_t *c, unsigned idx)
{
#if SMTPC_ENABLE_MX
    if (c == NULL || idx >= c->result.mx_count || idx >= c->mem->mx.count) {
        return NULL;
    }
    return c->mem->mx.mx[idx].host;
#else
    (void)c;
    (void)idx;
    return NULL;
#endif
}

void smtpc_client_abort(smtpc_client_t *c)
{
    size_t i;
    if (c == NULL || c->phase == P_IDLE || c->phase == P_DONE) {
        return;
    }
    if (0) {
#if SMTPC_ENABLE_MX
    } else if (c->phase == P_STS) {
        smtpc_sts_stop(&c->mem->sts);
    } else if (c->phase == P_DNS) {
        smtpc_dns_stop(&c->mem->q.dns);
#endif
    } else {
        (void)client_session_close(c, SMTPC_ERR_ABORTED);
        client_fold_session(c);
    }
    for (i = 0; i < c->env.to_count; i++) {
        if (!c->rcpt_done[i]) {
            c->result.rcpt[i].err = SMTPC_ERR_ABORTED;
        }
    }
    c->last_err = SMTPC_ERR_ABORTED;
    c->last_stage = c->stage;
    (void)client_complete(c);
}

/* ------------------------------------------------------ result text ---- */

typedef struct {
    char *p;
    size_t cap;
    size_t len;
} fmt_t;

static void fmt_put(fmt_t *f, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n && f->len + 1u < f->cap; i++) {
        char ch = s[i];
        /* Keep the summary one printable line whatever the server sent. */
        f->p[f->len++] = (ch < 0x20 || ch == 0x7f) ? '?' : ch;
    }
}

static void fmt_str(fmt_t *f, const char *s)
{
    fmt_put(f, s, smtpc_strnlen_(s, 64));
}

static void fmt_u32(fmt_t *f, uint32_t v)
{
    char d[10];
    size_t n = 0;
    do {
        d[sizeof(d) - 1u - n] = (char)('0' + v % 10u);
        v /= 10u;
        n++;
    } while (v != 0u && n < sizeof(d));
    fmt_put(f, d + sizeof(d) - n, n);
}

size_t smtpc_result_format(const smtpc_result_t *r, char *out, size_t cap)
{
    fmt_t f;
    if (out == NULL || cap == 0) {
        return 0;
    }
    f.p = out;
    f.cap = cap;
    f.len = 0;
    if (r == NULL) {
        out[0] = '\0';
        return 0;
    }
    fmt_str(&f, smtpc_strerror(r->err));
    fmt_str(&f, " stage=");
    fmt_str(&f, smtpc_stage_name(r->stage));
    if (r->reply_code != 0u) {
        fmt_str(&f, " reply=");
        fmt_u32(&f, r->reply_code);
        if (r->reply_enh[0] != 0u) {
            fmt_str(&f, " ");
            fmt_u32(&f, r->reply_enh[0]);
            fmt_str(&f, ".");
            fmt_u32(&f, r->reply_enh[1]);
            fmt_str(&f, ".");
            fmt_u32(&f, r->reply_enh[2]);
        }
        if (r->reply_text_len > 0u) {
            /* The text usually starts with the enhanced code printed above. */
            uint8_t enh[3];
            size_t skip = 0;
            if (r->reply_enh[0] != 0u &&
                smtpc_enh_parse(r->reply_text, r->reply_text_len, enh) > 0u &&
                memcmp(enh, r->reply_enh, 3) == 0) {
                skip = smtpc_enh_parse(r->reply_text, r->reply_text_len, enh);
                if (skip < r->reply_text_len && r->reply_text[skip] == ' ') {
                    skip++;
                }
            }
            if (skip < r->reply_text_len) {
                fmt_str(&f, " ");
                fmt_put(&f, r->reply_text + skip, (size_t)(r->reply_text_len - skip));
            }
        }
    }
    if (r->cert != SMTPC_CERT_NOT_CHECKED) {
        fmt_str(&f, " cert=");
        fmt_str(&f, smtpc_cert_name(r->cert));
    }
    fmt_str(&f, " tls=");
    fmt_str(&f, r->tls_reached == SMTPC_REACHED_VERIFIED    ? "verified"
                : r->tls_reached == SMTPC_REACHED_ENCRYPTED ? "encrypted"
                                                            : "none");
    out[f.len] = '\0';
    return f.len;
}
