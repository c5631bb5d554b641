/* lwIP port of smtpc over the sockets API (LWIP_SOCKET, NO_SYS=0): TCP
 * streams, UDP datagrams for the core DNS resolver and a select() loop. Only
 * lwip_* functions are used, so the code builds with LWIP_COMPAT_SOCKETS=0
 * next to an OS's own socket headers. */
#include <errno.h>
#include <string.h>

#include "lwip/sockets.h"

#include "smtpc/err.h"
#include "smtpc_lwip_sockets.h"

enum { SOCK_IDLE = 0, SOCK_RESOLVING, SOCK_CONNECTING, SOCK_OPEN };

/* Bind attempts on random ports before giving up. */
#define SOCK_BIND_TRIES 8u
#define SOCK_PORT_MIN   1024u
/* Longest single wait of the runner: the client is stepped at least this
 * often even when it reports a later deadline. */
#define SOCK_WAIT_MAX_MS 500u
/* Upper bound on loop iterations (each wait ends at the client's deadline;
 * this only stops a client that keeps asking to be stepped). */
#define SOCK_STEPS_MAX 50000000u

static int sock_nonblock(int fd)
{
    int fl = lwip_fcntl(fd, F_GETFL, 0);
    return fl < 0 ? -1 : lwip_fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int sock_no_memory(int e)
{
    return e == ENOMEM || e == ENOBUFS || e == ENFILE || e == EMFILE;
}

static void sock_addr(struct sockaddr_in *sa, const ip_addr_t *ip, uint16_t port)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_len = sizeof *sa;
    sa->sin_family = AF_INET;
    sa->sin_port = lwip_htons(port);
    sa->sin_addr.s_addr = ip != NULL ? ip_2_ip4(ip)->addr : 0u;
}

/* ------------------------------------------------------------ datagrams --- */

void smtpc_lwip_sock_dns_init(smtpc_lwip_sock_dns_t *d, const smtpc_rng_ops_t *rng, void *rng_ctx)
{
    if (d == NULL) {
        return;
    }
    memset(d, 0, sizeof *d);
    d->fd = -1;
    d->rng = rng;
    d->rng_ctx = rng_ctx;
}

int smtpc_lwip_sock_dns_add_server(smtpc_lwip_sock_dns_t *d, const ip_addr_t *addr, uint16_t port)
{
    if (d == NULL || addr == NULL || d->count >= SMTPC_LWIP_NS_MAX || !IP_IS_V4(addr)) {
        return SMTPC_ERR_BAD_ARG;
    }
    smtpc_lwip_ns_t *ns = &d->ns[d->count];
    ip_addr_copy(ns->addr, *addr);
    ns->port = port != 0u ? port : 53u;
    if (ip4addr_ntoa_r(ip_2_ip4(addr), ns->text, (int)sizeof ns->text) == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    d->count++;
    return SMTPC_OK;
}

static unsigned sdns_count(void *ctx)
{
    return ((const smtpc_lwip_sock_dns_t *)ctx)->count;
}

static int sdns_server(void *ctx, unsigned idx, const char **addr, uint16_t *port)
{
    const smtpc_lwip_sock_dns_t *d = ctx;
    if (idx >= d->count || addr == NULL || port == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    *addr = d->ns[idx].text;
    *port = d->ns[idx].port;
    return SMTPC_OK;
}

static void sdns_close(void *ctx)
{
    smtpc_lwip_sock_dns_t *d = ctx;
    if (d->fd >= 0) {
        (void)lwip_close(d->fd);
        d->fd = -1;
    }
}

/* RFC 5452 §9.2: a random source port per query. */
static int sdns_bind_random(smtpc_lwip_sock_dns_t *d)
{
    for (unsigned t = 0; t < SOCK_BIND_TRIES; t++) {
        uint8_t b[2];
        struct sockaddr_in sa;
        if (d->rng == NULL || d->rng->fill(d->rng_ctx, b, sizeof b) != SMTPC_OK) {
            return SMTPC_ERR_INTERNAL;
        }
        uint32_t span = 65536u - SOCK_PORT_MIN;
        sock_addr(&sa, NULL, (uint16_t)(SOCK_PORT_MIN + (((uint32_t)b[0] << 8 | b[1]) % span)));
        if (lwip_bind(d->fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
            return SMTPC_OK;
        }
        if (errno != EADDRINUSE) {
            return SMTPC_ERR_NET_IO;
        }
    }
    return SMTPC_ERR_NET_IO;
}

static int sdns_open(void *ctx, unsigned idx)
{
    smtpc_lwip_sock_dns_t *d = ctx;
    struct sockaddr_in sa;
    sdns_close(ctx);
    if (idx >= d->count) {
        return SMTPC_ERR_BAD_ARG;
    }
    d->fd = lwip_socket(AF_INET, SOCK_DGRAM, 0);
    if (d->fd < 0) {
        d->fd = -1;
        return sock_no_memory(errno) ? SMTPC_ERR_NET_NO_MEMORY : SMTPC_ERR_NET_IO;
    }
    d->cur = idx;
    int rc = sock_nonblock(d->fd) == 0 ? sdns_bind_random(d) : SMTPC_ERR_NET_IO;
    sock_addr(&sa, &d->ns[idx].addr, d->ns[idx].port);
    /* connect(): only this server's address and port get through. */
    if (rc == SMTPC_OK && lwip_connect(d->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        rc = SMTPC_ERR_NET_CONNECT;
    }
    if (rc != SMTPC_OK) {
        sdns_close(ctx);
    }
    return rc;
}

static int32_t sdns_send(void *ctx, const uint8_t *buf, size_t len)
{
    smtpc_lwip_sock_dns_t *d = ctx;
    if (d->fd < 0) {
        return SMTPC_ERR_STATE;
    }
    ssize_t r = lwip_send(d->fd, buf, len, 0);
    if (r >= 0) {
        return (int32_t)r;
    }
    if (errno == EWOULDBLOCK || errno == EAGAIN || sock_no_memory(errno)) {
        return 0; /* the DNS engine retries on its own timer */
    }
    return SMTPC_ERR_NET_IO;
}

static int32_t sdns_recv(void *ctx, uint8_t *buf, size_t cap)
{
    smtpc_lwip_sock_dns_t *d = ctx;
    if (d->fd < 0) {
        return SMTPC_ERR_STATE;
    }
    ssize_t r = lwip_recv(d->fd, buf, cap, 0);
    if (r > 0) {
        return (int32_t)r;
    }
    if (r == 0 || errno == EWOULDBLOCK || errno == EAGAIN) {
        return 0;
    }
    return SMTPC_ERR_NET_IO;
}

const smtpc_dgram_ops_t smtpc_lwip_sock_dgram_ops = {
    sdns_count, sdns_server, sdns_open, sdns_send, sdns_recv, sdns_close,
};

/* ---------------------------------------------------------------- TCP --- */

static int32_t snet_send(void *ctx, const uint8_t *buf, size_t len)
{
    smtpc_lwip_sock_net_t *n = ctx;
    if (n == NULL || n->fd < 0 || n->state != SOCK_OPEN) {
        return SMTPC_ERR_STATE;
    }
    ssize_t r = lwip_send(n->fd, buf, len, 0);
    if (r > 0) {
        return (int32_t)r;
    }
    if (r == 0 || errno == EWOULDBLOCK || errno == EAGAIN) {
        return 0;
    }
    if (sock_no_memory(errno)) {
        return SMTPC_ERR_NET_NO_MEMORY;
    }
    if (errno == ECONNRESET || errno == EPIPE || errno == ENOTCONN || errno == ECONNABORTED) {
        return SMTPC_ERR_NET_CLOSED;
    }
    return SMTPC_ERR_NET_IO;
}

static int32_t snet_recv(void *ctx, uint8_t *buf, size_t cap)
{
    smtpc_lwip_sock_net_t *n = ctx;
    if (n == NULL || n->fd < 0 || n->state != SOCK_OPEN) {
        return SMTPC_ERR_STATE;
    }
    if (cap == 0u) {
        return 0;
    }
    ssize_t r = lwip_recv(n->fd, buf, cap, 0);
    if (r > 0) {
        return (int32_t)r;
    }
    if (r == 0) {
        return SMTPC_ERR_NET_CLOSED;
    }
    if (errno == EWOULDBLOCK || errno == EAGAIN) {
        return 0;
    }
    if (sock_no_memory(errno)) {
        return SMTPC_ERR_NET_NO_MEMORY;
    }
    if (errno == ECONNRESET || errno == ENOTCONN || errno == ECONNABORTED) {
        return SMTPC_ERR_NET_CLOSED;
    }
    return SMTPC_ERR_NET_IO;
}

static void snet_close(void *ctx)
{
    smtpc_lwip_sock_net_t *n = ctx;
    if (n == NULL) {
        return;
    }
    smtpc_lwip_resolve_stop(&n->res);
    if (n->fd >= 0) {
        (void)lwip_close(n->fd);
    }
    n->fd = -1;
    n->state = SOCK_IDLE;
}

static const smtpc_stream_ops_t snet_stream_ops = {
    .send = snet_send,
    .recv = snet_recv,
    .close = snet_close,
};

static int snet_hand_out(smtpc_lwip_sock_net_t *n, smtpc_stream_t *out)
{
    n->state = SOCK_OPEN;
    out->ops = &snet_stream_ops;
    out->ctx = n;
    return SMTPC_OK;
}

static int snet_start_tcp(smtpc_lwip_sock_net_t *n, smtpc_stream_t *out)
{
    struct sockaddr_in sa;
    int one = 1;
    n->fd = lwip_socket(AF_INET, SOCK_STREAM, 0);
    if (n->fd < 0) {
        n->fd = -1;
        return sock_no_memory(errno) ? SMTPC_ERR_NET_NO_MEMORY : SMTPC_ERR_NET_IO;
    }
    if (sock_nonblock(n->fd) != 0) {
        snet_close(n);
        return SMTPC_ERR_NET_IO;
    }
    /* Commands are small and each waits for a reply: Nagle only adds latency. */
    (void)lwip_setsockopt(n->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sock_addr(&sa, &n->res.addr, n->port);
    if (lwip_connect(n->fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
        return snet_hand_out(n, out);
    }
    if (errno == EINPROGRESS || errno == EALREADY) {
        n->state = SOCK_CONNECTING;
        return SMTPC_IN_PROGRESS;
    }
    int rc = sock_no_memory(errno) ? SMTPC_ERR_NET_NO_MEMORY : SMTPC_ERR_NET_CONNECT;
    snet_close(n);
    return rc;
}

static int snet_connect(void *ctx, const char *host, uint16_t port, smtpc_stream_t *out)
{
    smtpc_lwip_sock_net_t *n = ctx;
    if (n == NULL || host == NULL || host[0] == '\0' || out == NULL || port == 0u) {
        return SMTPC_ERR_BAD_ARG;
    }
    snet_close(n);
    n->port = port;
    int rc = smtpc_lwip_resolve_start(&n->res, host);
    if (rc == SMTPC_IN_PROGRESS) {
        n->state = SOCK_RESOLVING;
        return rc;
    }
    return rc == SMTPC_OK ? snet_start_tcp(n, out) : rc;
}

/* Result of a finished non-blocking connect, from SO_ERROR. */
static int snet_connect_result(smtpc_lwip_sock_net_t *n, smtpc_stream_t *out)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (lwip_getsockopt(n->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
        err = EIO;
    }
    if (err == 0) {
        return snet_hand_out(n, out);
    }
    snet_close(n);
    return sock_no_memory(err) ? SMTPC_ERR_NET_NO_MEMORY : SMTPC_ERR_NET_CONNECT;
}

static int snet_connect_poll(void *ctx, smtpc_stream_t *out)
{
    smtpc_lwip_sock_net_t *n = ctx;
    if (n == NULL || out == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (n->state == SOCK_RESOLVING) {
        int rc = smtpc_lwip_resolve_step(&n->res);
        if (rc == SMTPC_IN_PROGRESS) {
            return rc;
        }
        if (rc != SMTPC_OK) {
            snet_close(n);
            return rc;
        }
        return snet_start_tcp(n, out);
    }
    if (n->state == SOCK_OPEN) {
        return snet_hand_out(n, out);
    }
    if (n->state != SOCK_CONNECTING || n->fd < 0) {
        return SMTPC_ERR_STATE;
    }
    fd_set wr;
    struct timeval tv = {0, 0};
    FD_ZERO(&wr);
    FD_SET(n->fd, &wr);
    int r = lwip_select(n->fd + 1, NULL, &wr, NULL, &tv);
    if (r == 0 || (r < 0 && errno == EINTR)) {
        return SMTPC_IN_PROGRESS;
    }
    return snet_connect_result(n, out);
}

static int snet_peer(void *ctx, uint8_t addr[16], uint8_t *len)
{
    const smtpc_lwip_sock_net_t *n = ctx;
    if (n == NULL || addr == NULL || len == NULL || !n->res.found) {
        return SMTPC_ERR_BAD_ARG;
    }
    memcpy(addr, &ip_2_ip4(&n->res.addr)->addr, 4);
    *len = 4;
    return SMTPC_OK;
}

const smtpc_net_ops_t smtpc_lwip_sock_net_ops = {
    .connect = snet_connect,
    .connect_poll = snet_connect_poll,
    .peer = snet_peer,
};

void smtpc_lwip_sock_net_init(smtpc_lwip_sock_net_t *n, smtpc_lwip_sock_dns_t *dns,
                              smtpc_lwip_clock_t *clk, smtpc_lwip_rng_t *rng)
{
    if (n == NULL) {
        return;
    }
    memset(n, 0, sizeof *n);
    n->fd = -1;
    n->dns = dns;
    smtpc_lwip_resolver_init(&n->res, dns != NULL ? &smtpc_lwip_sock_dgram_ops : NULL, dns,
                             &smtpc_lwip_clock_ops, clk, &smtpc_lwip_rng_ops, rng);
}

/* ------------------------------------------------------------- runner --- */

static uint32_t sock_wait_ms(unsigned wants, uint32_t deadline_ms)
{
    if (!(wants & SMTPC_WANT_TIMER)) {
        return SOCK_WAIT_MAX_MS;
    }
    int32_t left = (int32_t)(deadline_ms - smtpc_lwip_clock_ops.now_ms(NULL));
    if (left <= 0) {
        return 0;
    }
    return (uint32_t)left < SOCK_WAIT_MAX_MS ? (uint32_t)left : SOCK_WAIT_MAX_MS;
}

/* The one socket to wait on, and for what. */
static int sock_pick(const smtpc_lwip_sock_net_t *net, const smtpc_lwip_sock_dns_t *dns,
                     unsigned wants, unsigned *ev)
{
    if (net->state == SOCK_RESOLVING && net->dns != NULL && net->dns->fd >= 0) {
        *ev = SMTPC_WANT_READ;
        return net->dns->fd;
    }
    if (net->state == SOCK_CONNECTING) {
        *ev = SMTPC_WANT_WRITE;
        return net->fd;
    }
    if (net->fd >= 0) {
        *ev = wants & (SMTPC_WANT_READ | SMTPC_WANT_WRITE);
        return net->fd;
    }
    if (dns != NULL && dns->fd >= 0) {
        *ev = SMTPC_WANT_READ;
        return dns->fd;
    }
    *ev = 0;
    return -1;
}

int smtpc_lwip_sock_run(smtpc_client_t *c, const smtpc_lwip_sock_net_t *net,
                        const smtpc_lwip_sock_dns_t *dns)
{
    if (c == NULL || net == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    for (uint32_t i = 0; i < SOCK_STEPS_MAX; i++) {
        int rc = smtpc_client_step(c);
        if (rc != SMTPC_IN_PROGRESS) {
            return rc;
        }
        uint32_t deadline_ms = 0;
        unsigned wants = smtpc_client_wants(c, &deadline_ms);
        uint32_t ms = sock_wait_ms(wants, deadline_ms);
        unsigned ev = 0;
        int fd = sock_pick(net, dns, wants, &ev);
        struct timeval tv = {(long)(ms / 1000u), (long)(ms % 1000u) * 1000L};
        fd_set rd, wr;
        FD_ZERO(&rd);
        FD_ZERO(&wr);
        if (fd >= 0 && (ev & SMTPC_WANT_READ)) {
            FD_SET(fd, &rd);
        }
        if (fd >= 0 && (ev & SMTPC_WANT_WRITE)) {
            FD_SET(fd, &wr);
        }
        /* Readiness, timeout and errors all mean the same: step again, and
         * the client decides. */
        (void)lwip_select(fd >= 0 && ev != 0u ? fd + 1 : 0, &rd, &wr, NULL, &tv);
    }
    smtpc_client_abort(c);
    return smtpc_client_result(c)->err;
}
