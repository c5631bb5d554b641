/* lwIP port of smtpc: TCP streams over the raw API.
 *
 * lwIP calls back with received pbufs; the recv callback copies what fits
 * into a small ring and keeps the rest (chained) without acknowledging it to
 * the window, so a slow reader throttles the peer instead of draining lwIP's
 * pools. The window is reopened (tcp_recved) only as the client reads. The
 * sent and poll callbacks only wake the caller's loop; every wait is bounded
 * by the client's own deadline. */
#include <string.h>

#include "lwip/err.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"

#include "smtpc/err.h"
#include "smtpc_lwip.h"

enum { NET_IDLE = 0, NET_RESOLVING, NET_CONNECTING, NET_OPEN };

static void net_wake(smtpc_lwip_net_t *n)
{
    if (n->wake != NULL) {
        n->wake(n->wake_arg);
    }
}

/* ---------------------------------------------------------------- ring --- */

/* Copies from @p p (offset @p off) into the free space of the ring. */
static uint16_t ring_fill(smtpc_lwip_net_t *n, const struct pbuf *p, uint16_t off)
{
    uint16_t done = 0;
    for (unsigned part = 0; part < 2u && off < p->tot_len; part++) {
        uint16_t tail = (uint16_t)((n->rx_head + n->rx_len) % SMTPC_LWIP_RX_RING);
        uint16_t space = (uint16_t)(SMTPC_LWIP_RX_RING - n->rx_len);
        uint16_t run = (uint16_t)(SMTPC_LWIP_RX_RING - tail);
        if (run > space) {
            run = space;
        }
        if (run == 0u) {
            break;
        }
        uint16_t avail = (uint16_t)(p->tot_len - off);
        uint16_t k = pbuf_copy_partial(p, &n->rx[tail], run < avail ? run : avail, off);
        if (k == 0u) {
            break;
        }
        n->rx_len = (uint16_t)(n->rx_len + k);
        off = (uint16_t)(off + k);
        done = (uint16_t)(done + k);
    }
    return done;
}

/* Moves held-back bytes into the ring. */
static void ring_refill(smtpc_lwip_net_t *n)
{
    while (n->rx_pend != NULL && n->rx_len < SMTPC_LWIP_RX_RING) {
        uint16_t k = ring_fill(n, n->rx_pend, 0);
        if (k == 0u) {
            break;
        }
        n->rx_pend = pbuf_free_header(n->rx_pend, k);
    }
}

static size_t ring_take(smtpc_lwip_net_t *n, uint8_t *buf, size_t cap)
{
    size_t done = 0;
    while (done < cap && n->rx_len > 0u) {
        size_t run = SMTPC_LWIP_RX_RING - n->rx_head;
        if (run > n->rx_len) {
            run = n->rx_len;
        }
        if (run > cap - done) {
            run = cap - done;
        }
        memcpy(buf + done, &n->rx[n->rx_head], run);
        n->rx_head = (uint16_t)((n->rx_head + run) % SMTPC_LWIP_RX_RING);
        n->rx_len = (uint16_t)(n->rx_len - run);
        done += run;
    }
    return done;
}

/* ------------------------------------------------------------ callbacks --- */

static err_t net_recv_cb(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    smtpc_lwip_net_t *n = arg;
    (void)pcb;
    if (p == NULL) {
        n->rx_fin = 1; /* orderly close by the peer */
        net_wake(n);
        return ERR_OK;
    }
    if (err != ERR_OK) {
        pbuf_free(p);
        return ERR_OK;
    }
    uint16_t k = n->rx_pend == NULL ? ring_fill(n, p, 0) : 0u;
    struct pbuf *rest = pbuf_free_header(p, k); /* NULL once all of p was taken */
    if (rest != NULL) {
        if (n->rx_pend == NULL) {
            n->rx_pend = rest;
        } else {
            pbuf_cat(n->rx_pend, rest);
        }
    }
    net_wake(n);
    return ERR_OK;
}

static err_t net_sent_cb(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)pcb;
    (void)len;
    net_wake(arg);
    return ERR_OK;
}

static err_t net_poll_cb(void *arg, struct tcp_pcb *pcb)
{
    (void)pcb;
    net_wake(arg);
    return ERR_OK;
}

static err_t net_connected_cb(void *arg, struct tcp_pcb *pcb, err_t err)
{
    smtpc_lwip_net_t *n = arg;
    (void)pcb;
    (void)err; /* always ERR_OK in lwIP 2.1; failures go to the err callback */
    n->state = NET_OPEN;
    net_wake(n);
    return ERR_OK;
}

/* lwIP has freed the pcb when this runs. */
static void net_err_cb(void *arg, err_t err)
{
    smtpc_lwip_net_t *n = arg;
    if (n == NULL) {
        return;
    }
    n->pcb = NULL;
    if (err == ERR_MEM || err == ERR_BUF) {
        n->err = SMTPC_ERR_NET_NO_MEMORY;
    } else if (n->state != NET_OPEN) {
        n->err = SMTPC_ERR_NET_CONNECT; /* RST to the SYN, or SYN retries exhausted */
    } else if (err == ERR_RST || err == ERR_CLSD) {
        n->err = SMTPC_ERR_NET_CLOSED;
    } else {
        n->err = SMTPC_ERR_NET_IO;
    }
    net_wake(n);
}

/* ------------------------------------------------------------- streams --- */

static int32_t net_send(void *ctx, const uint8_t *buf, size_t len)
{
    smtpc_lwip_net_t *n = ctx;
    if (n == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (n->err != 0) {
        return n->err;
    }
    if (n->pcb == NULL || n->state != NET_OPEN) {
        return SMTPC_ERR_STATE;
    }
    u16_t room = tcp_sndbuf(n->pcb);
    if (room == 0u || len == 0u) {
        return 0;
    }
    u16_t k = len < room ? (u16_t)len : room;
    err_t e = tcp_write(n->pcb, buf, k, TCP_WRITE_FLAG_COPY);
    if (e == ERR_MEM) {
        /* Segments or pbufs ran out. With bytes in flight, their ACKs give
         * memory back: would block (the client's deadline bounds the wait).
         * With nothing queued nothing will: name the cause now. */
        if (tcp_sndqueuelen(n->pcb) == 0u) {
            n->err = SMTPC_ERR_NET_NO_MEMORY;
            return n->err;
        }
        return 0;
    }
    if (e != ERR_OK) {
        n->err = e == ERR_CONN || e == ERR_CLSD ? SMTPC_ERR_NET_CLOSED : SMTPC_ERR_NET_IO;
        return n->err;
    }
    /* Commands are small and each waits for a reply: send now. A failure here
     * (no pbuf for the header) leaves the data queued for the timers. */
    (void)tcp_output(n->pcb);
    return (int32_t)k;
}

static int32_t net_recv(void *ctx, uint8_t *buf, size_t cap)
{
    smtpc_lwip_net_t *n = ctx;
    if (n == NULL || (buf == NULL && cap != 0u)) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (n->state != NET_OPEN) {
        return SMTPC_ERR_STATE;
    }
    if (cap > INT32_MAX) {
        cap = INT32_MAX;
    }
    size_t k = ring_take(n, buf, cap);
    ring_refill(n);
    if (k > 0u) {
        n->unacked_reads = (uint16_t)(n->unacked_reads + k);
        if (n->pcb != NULL) {
            tcp_recved(n->pcb, n->unacked_reads);
            n->unacked_reads = 0;
        }
        return (int32_t)k;
    }
    if (n->rx_pend == NULL && n->rx_fin) {
        return SMTPC_ERR_NET_CLOSED;
    }
    if (n->err != 0) {
        return n->err;
    }
    return 0;
}

static void net_drop(smtpc_lwip_net_t *n)
{
    smtpc_lwip_resolve_stop(&n->res);
    if (n->pcb != NULL) {
        tcp_arg(n->pcb, NULL);
        tcp_recv(n->pcb, NULL);
        tcp_sent(n->pcb, NULL);
        tcp_err(n->pcb, NULL);
        tcp_poll(n->pcb, NULL, 0);
        if (tcp_close(n->pcb) != ERR_OK) {
            tcp_abort(n->pcb); /* close needs memory for the FIN; abort does not */
        }
        n->pcb = NULL;
    }
    if (n->rx_pend != NULL) {
        pbuf_free(n->rx_pend);
        n->rx_pend = NULL;
    }
    n->rx_head = 0;
    n->rx_len = 0;
    n->rx_fin = 0;
    n->unacked_reads = 0;
    n->err = 0;
    n->state = NET_IDLE;
}

static void net_close(void *ctx)
{
    if (ctx != NULL) {
        net_drop(ctx);
    }
}

static const smtpc_stream_ops_t net_stream_ops = {
    .send = net_send,
    .recv = net_recv,
    .close = net_close,
};

/* ------------------------------------------------------------- connect --- */

static int net_start_tcp(smtpc_lwip_net_t *n)
{
    n->pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
    if (n->pcb == NULL) {
        return SMTPC_ERR_NET_NO_MEMORY; /* MEMP_NUM_TCP_PCB exhausted */
    }
    tcp_arg(n->pcb, n);
    tcp_err(n->pcb, net_err_cb);
    tcp_recv(n->pcb, net_recv_cb);
    tcp_sent(n->pcb, net_sent_cb);
    tcp_poll(n->pcb, net_poll_cb, SMTPC_LWIP_POLL_INTERVAL);
    tcp_nagle_disable(n->pcb);
    n->state = NET_CONNECTING;
    err_t e = tcp_connect(n->pcb, &n->res.addr, n->port, net_connected_cb);
    if (e == ERR_OK) {
        return SMTPC_IN_PROGRESS;
    }
    int rc = e == ERR_MEM || e == ERR_BUF ? SMTPC_ERR_NET_NO_MEMORY : SMTPC_ERR_NET_CONNECT;
    net_drop(n);
    return rc;
}

static int net_connect(void *ctx, const char *host, uint16_t port, smtpc_stream_t *out)
{
    smtpc_lwip_net_t *n = ctx;
    if (n == NULL || host == NULL || host[0] == '\0' || out == NULL || port == 0u) {
        return SMTPC_ERR_BAD_ARG;
    }
    net_drop(n);
    n->port = port;
    int rc = smtpc_lwip_resolve_start(&n->res, host);
    if (rc == SMTPC_IN_PROGRESS) {
        n->state = NET_RESOLVING;
        return rc;
    }
    return rc == SMTPC_OK ? net_start_tcp(n) : rc;
}

static int net_connect_poll(void *ctx, smtpc_stream_t *out)
{
    smtpc_lwip_net_t *n = ctx;
    if (n == NULL || out == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (n->state == NET_RESOLVING) {
        int rc = smtpc_lwip_resolve_step(&n->res);
        if (rc == SMTPC_IN_PROGRESS) {
            return rc;
        }
        if (rc != SMTPC_OK) {
            net_drop(n);
            return rc;
        }
        return net_start_tcp(n);
    }
    if (n->err != 0) {
        int rc = n->err;
        net_drop(n);
        return rc;
    }
    if (n->state == NET_OPEN) {
        out->ops = &net_stream_ops;
        out->ctx = n;
        return SMTPC_OK;
    }
    return n->state == NET_CONNECTING ? SMTPC_IN_PROGRESS : SMTPC_ERR_STATE;
}

static int net_peer(void *ctx, uint8_t addr[16], uint8_t *len)
{
    const smtpc_lwip_net_t *n = ctx;
    if (n == NULL || addr == NULL || len == NULL || !n->res.found) {
        return SMTPC_ERR_BAD_ARG;
    }
    memcpy(addr, &ip_2_ip4(&n->res.addr)->addr, 4); /* already network order */
    *len = 4;
    return SMTPC_OK;
}

const smtpc_net_ops_t smtpc_lwip_net_ops = {
    .connect = net_connect,
    .connect_poll = net_connect_poll,
    .peer = net_peer,
};

/* ---------------------------------------------------------- public API --- */

void smtpc_lwip_net_init(smtpc_lwip_net_t *n, smtpc_lwip_dns_t *dns, smtpc_lwip_clock_t *clk,
                         smtpc_lwip_rng_t *rng)
{
    if (n == NULL) {
        return;
    }
    memset(n, 0, sizeof *n);
    smtpc_lwip_resolver_init(&n->res, dns != NULL ? &smtpc_lwip_dgram_ops : NULL, dns,
                             &smtpc_lwip_clock_ops, clk, &smtpc_lwip_rng_ops, rng);
}

void smtpc_lwip_net_set_wake(smtpc_lwip_net_t *n, smtpc_lwip_wake_fn fn, void *arg)
{
    if (n != NULL) {
        n->wake = fn;
        n->wake_arg = arg;
    }
}
