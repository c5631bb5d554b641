/* DNS query engine: UDP with retries across the configured nameservers,
 * TCP after a truncated answer (RFC 7766), over the port's datagram and net
 * ops. One query in flight per engine. See smtpc/dns.h. */
#include <string.h>

#include "smtpc/dns.h"

enum { Q_IDLE = 0, Q_SEND, Q_UDP, Q_TCP_CONNECT, Q_TCP_SEND, Q_TCP_RECV, Q_DONE };

/* Datagrams handled per step: a flood of spoofed answers cannot keep the
 * caller in one call. */
#define DNS_STEP_BUDGET 32u

static uint32_t dns_now(const smtpc_dns_t *d)
{
    return d->io->clock->now_ms(d->io->clock_ctx);
}

static void dns_close_all(smtpc_dns_t *d)
{
    if (d->open) {
        d->io->dgram->close(d->io->dgram_ctx);
        d->open = 0;
    }
    if (d->tcp_open) {
        d->tcp.ops->close(d->tcp.ctx);
        d->tcp_open = 0;
    }
}

static int dns_finish(smtpc_dns_t *d, int rc)
{
    dns_close_all(d);
    d->status = rc;
    d->state = Q_DONE;
    return rc;
}

static int dns_build(smtpc_dns_t *d, size_t prefix)
{
    uint8_t r[2] = {0, 0};
    size_t len = 0;
    int rc = d->io->rng->fill(d->io->rng_ctx, r, sizeof(r));
    if (rc != SMTPC_OK) {
        return rc;
    }
    d->id = (uint16_t)((r[0] << 8) | r[1]);
    rc = smtpc_dns_query_build(d->msg + prefix, sizeof(d->msg) - prefix, &len, d->id, d->name,
                               d->qtype);
    if (rc != SMTPC_OK) {
        return rc;
    }
    if (prefix == 2u) {
        /* RFC 1035 §4.2.2: two-octet length before the message on TCP. */
        d->msg[0] = (uint8_t)(len >> 8);
        d->msg[1] = (uint8_t)len;
    }
    d->msg_len = prefix + len;
    return SMTPC_OK;
}

/* A try failed (timeout or I/O): next nameserver, or give up. */
static int dns_next_try(smtpc_dns_t *d, int err)
{
    d->last_err = err;
    if (d->open) {
        d->io->dgram->close(d->io->dgram_ctx);
        d->open = 0;
    }
    if (d->tries >= SMTPC_DNS_TRIES) {
        return dns_finish(d, err);
    }
    d->state = Q_SEND;
    return SMTPC_IN_PROGRESS;
}

static int dns_send_udp(smtpc_dns_t *d, uint32_t now)
{
    unsigned count = d->io->dgram->server_count(d->io->dgram_ctx);
    int rc;
    int32_t n;
    if (!d->open) {
        rc = d->io->dgram->open(d->io->dgram_ctx, count > 0u ? d->tries % count : 0u);
        if (rc != SMTPC_OK) {
            d->tries++;
            return dns_next_try(d, rc);
        }
        d->open = 1;
        rc = dns_build(d, 0);
        if (rc != SMTPC_OK) {
            return dns_finish(d, rc);
        }
    }
    n = d->io->dgram->send(d->io->dgram_ctx, d->msg, d->msg_len);
    if (n == 0) {
        return 0; /* would block: wait for writable */
    }
    d->tries++;
    if (n < 0 || (size_t)n != d->msg_len) {
        return dns_next_try(d, n < 0 ? n : SMTPC_ERR_NET_IO);
    }
    d->t_try = now;
    d->state = Q_UDP;
    return SMTPC_IN_PROGRESS;
}

/* A matching response is in msg[0..len): deliver it. */
static int dns_answer(smtpc_dns_t *d, const uint8_t *msg, size_t len, int via_tcp)
{
    int rc = smtpc_dns_resp_parse(msg, len, d->id, d->name, d->qtype, d->cb, d->cb_arg);
    if (rc == SMTPC_ERR_DNS_TRUNCATED && !via_tcp && d->io->net != NULL) {
        if (d->open) {
            d->io->dgram->close(d->io->dgram_ctx);
            d->open = 0;
        }
        d->state = Q_TCP_CONNECT;
        d->t_try = dns_now(d);
        return SMTPC_IN_PROGRESS;
    }
    return dns_finish(d, rc);
}

static int dns_recv_udp(smtpc_dns_t *d, uint32_t now)
{
    int32_t n = d->io->dgram->recv(d->io->dgram_ctx, d->msg, sizeof(d->msg));
    if (n < 0) {
        return dns_next_try(d, n);
    }
    if (n == 0) {
        if ((uint32_t)(now - d->t_try) >= SMTPC_DNS_TIMEOUT_MS) {
            return dns_next_try(d, SMTPC_ERR_DNS_TIMEOUT);
        }
        return 0;
    }
    if ((size_t)n > sizeof(d->msg)) {
        return dns_finish(d, SMTPC_ERR_NET_IO);
    }
    if (smtpc_dns_resp_match(d->msg, (size_t)n, d->id, d->name, d->qtype) != SMTPC_OK) {
        return SMTPC_IN_PROGRESS; /* stray or spoofed: drop, keep waiting */
    }
    return dns_answer(d, d->msg, (size_t)n, 0);
}

static int dns_tcp_connect(smtpc_dns_t *d)
{
    const char *addr = NULL;
    uint16_t port = 53;
    unsigned count = d->io->dgram->server_count(d->io->dgram_ctx);
    unsigned idx = count > 0u ? (unsigned)(d->tries - 1u) % count : 0u;
    int rc;
    if (!d->tcp_open) {
        rc = d->io->dgram->server(d->io->dgram_ctx, idx, &addr, &port);
        if (rc != SMTPC_OK) {
            return dns_finish(d, rc);
        }
        rc = d->io->net->connect(d->io->net_ctx, addr, port, &d->tcp);
        d->tcp_open = 1;
    } else {
        rc = d->io->net->connect_poll(d->io->net_ctx, &d->tcp);
    }
    if (rc == SMTPC_IN_PROGRESS) {
        return 0;
    }
    if (rc != SMTPC_OK) {
        d->tcp_open = 0;
        return dns_finish(d, rc);
    }
    rc = dns_build(d, 2);
    if (rc != SMTPC_OK) {
        return dns_finish(d, rc);
    }
    d->tcp_need = 0;
    d->state = Q_TCP_SEND;
    return SMTPC_IN_PROGRESS;
}

static int dns_tcp_send(smtpc_dns_t *d)
{
    int32_t n = d->tcp.ops->send(d->tcp.ctx, d->msg + d->tcp_need, d->msg_len - d->tcp_need);
    if (n < 0) {
        return dns_finish(d, n);
    }
    if (n == 0) {
        return 0;
    }
    d->tcp_need += (size_t)n;
    if (d->tcp_need >= d->msg_len) {
        d->state = Q_TCP_RECV;
        d->msg_len = 0;
        d->tcp_need = 2;
        d->got_len = 0;
    }
    return SMTPC_IN_PROGRESS;
}

static int dns_tcp_recv(smtpc_dns_t *d)
{
    int32_t n = d->tcp.ops->recv(d->tcp.ctx, d->msg + d->msg_len, d->tcp_need - d->msg_len);
    if (n < 0) {
        return dns_finish(d, n);
    }
    if (n == 0) {
        return 0;
    }
    d->msg_len += (size_t)n;
    if (d->msg_len < d->tcp_need) {
        return SMTPC_IN_PROGRESS;
    }
    if (!d->got_len) {
        size_t len = ((size_t)d->msg[0] << 8) | d->msg[1];
        if (len < 12u || len > sizeof(d->msg)) {
            return dns_finish(d, SMTPC_ERR_DNS_FORMAT);
        }
        d->got_len = 1;
        d->msg_len = 0;
        d->tcp_need = len;
        return SMTPC_IN_PROGRESS;
    }
    return dns_answer(d, d->msg, d->msg_len, 1);
}

int smtpc_dns_start(smtpc_dns_t *d, const smtpc_dns_io_t *io, const char *name, uint16_t qtype,
                    smtpc_dns_rr_fn cb, void *arg)
{
    size_t n = 0;
    size_t len = 0;
    if (d == NULL || io == NULL || name == NULL || io->dgram == NULL || io->clock == NULL ||
        io->rng == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    memset(d, 0, sizeof(*d));
    d->io = io;
    while (n < sizeof(d->name) - 1u && name[n] != '\0') {
        d->name[n] = name[n];
        n++;
    }
    if (name[n] != '\0' || smtpc_dns_name_norm(d->name, sizeof(d->name)) == 0 ||
        smtpc_dns_query_build(d->msg, sizeof(d->msg), &len, 0, d->name, qtype) != SMTPC_OK) {
        d->status = SMTPC_ERR_BAD_ARG;
        d->state = Q_DONE;
        return SMTPC_ERR_BAD_ARG;
    }
    d->qtype = qtype;
    d->cb = cb;
    d->cb_arg = arg;
    d->status = SMTPC_IN_PROGRESS;
    d->state = Q_SEND;
    return SMTPC_IN_PROGRESS;
}

int smtpc_dns_step(smtpc_dns_t *d)
{
    unsigned i;
    if (d == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    for (i = 0; i < DNS_STEP_BUDGET && d->status == SMTPC_IN_PROGRESS; i++) {
        uint32_t now = dns_now(d);
        int rc;
        if (d->state >= Q_TCP_CONNECT && d->state <= Q_TCP_RECV &&
            (uint32_t)(now - d->t_try) >= 2u * SMTPC_DNS_TIMEOUT_MS) {
            return dns_finish(d, SMTPC_ERR_DNS_TIMEOUT);
        }
        switch (d->state) {
        case Q_SEND:
            rc = dns_send_udp(d, now);
            break;
        case Q_UDP:
            rc = dns_recv_udp(d, now);
            break;
        case Q_TCP_CONNECT:
            rc = dns_tcp_connect(d);
            break;
        case Q_TCP_SEND:
            rc = dns_tcp_send(d);
            break;
        case Q_TCP_RECV:
            rc = dns_tcp_recv(d);
            break;
        default:
            rc = dns_finish(d, SMTPC_ERR_STATE);
            break;
        }
        if (rc == 0) {
            break; /* would block */
        }
    }
    return d->status;
}

unsigned smtpc_dns_wants(const smtpc_dns_t *d, uint32_t *deadline_ms)
{
    if (d == NULL || d->status != SMTPC_IN_PROGRESS) {
        return 0;
    }
    switch (d->state) {
    case Q_SEND:
        *deadline_ms = dns_now(d);
        return SMTPC_WANT_WRITE | SMTPC_WANT_TIMER;
    case Q_UDP:
        *deadline_ms = d->t_try + SMTPC_DNS_TIMEOUT_MS;
        return SMTPC_WANT_READ | SMTPC_WANT_TIMER;
    case Q_TCP_RECV:
        *deadline_ms = d->t_try + 2u * SMTPC_DNS_TIMEOUT_MS;
        return SMTPC_WANT_READ | SMTPC_WANT_TIMER;
    default:
        *deadline_ms = d->t_try + 2u * SMTPC_DNS_TIMEOUT_MS;
        return SMTPC_WANT_WRITE | SMTPC_WANT_TIMER;
    }
}

void smtpc_dns_stop(smtpc_dns_t *d)
{
    if (d == NULL || d->io == NULL) {
        return;
    }
    dns_close_all(d);
    if (d->status == SMTPC_IN_PROGRESS) {
        d->status = SMTPC_ERR_ABORTED;
        d->state = Q_DONE;
    }
}
