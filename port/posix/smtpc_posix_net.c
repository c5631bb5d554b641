/* POSIX TCP for smtpc: getaddrinfo() lookup, non-blocking connect tried over
 * every address in order, and the non-blocking stream ops of smtpc/port.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "smtpc/err.h"
#include "smtpc_posix.h"

/* ------------------------------------------------------------- streams --- */

static int32_t net_send(void *ctx, const uint8_t *buf, size_t len)
{
    smtpc_posix_net_t *n = ctx;
    if (n == NULL || n->fd < 0 || !n->connected) {
        return SMTPC_ERR_STATE;
    }
    if (len > INT32_MAX) {
        len = INT32_MAX;
    }
    /* MSG_NOSIGNAL: a peer that went away must give EPIPE, not kill the process. */
    ssize_t r = send(n->fd, buf, len, MSG_NOSIGNAL);
    if (r > 0) {
        return (int32_t)r;
    }
    if (r == 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        return 0;
    }
    if (errno == EPIPE || errno == ECONNRESET) {
        return SMTPC_ERR_NET_CLOSED;
    }
    return SMTPC_ERR_NET_IO;
}

static int32_t net_recv(void *ctx, uint8_t *buf, size_t cap)
{
    smtpc_posix_net_t *n = ctx;
    if (n == NULL || n->fd < 0 || !n->connected) {
        return SMTPC_ERR_STATE;
    }
    if (cap == 0) {
        return 0;
    }
    if (cap > INT32_MAX) {
        cap = INT32_MAX;
    }
    ssize_t r = recv(n->fd, buf, cap, 0);
    if (r > 0) {
        return (int32_t)r;
    }
    /* The port contract: 0 never means "closed"; an orderly close is its own error. */
    if (r == 0) {
        return SMTPC_ERR_NET_CLOSED;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        return 0;
    }
    if (errno == ECONNRESET || errno == EPIPE) {
        return SMTPC_ERR_NET_CLOSED;
    }
    return SMTPC_ERR_NET_IO;
}

static void net_close_fd(smtpc_posix_net_t *n)
{
    if (n->fd >= 0) {
        (void)close(n->fd);
    }
    n->fd = -1;
    n->connected = 0;
}

static void net_close(void *ctx)
{
    smtpc_posix_net_t *n = ctx;
    if (n == NULL) {
        return;
    }
    net_close_fd(n);
    n->addr_count = 0;
    n->addr_next = 0;
}

static const smtpc_stream_ops_t net_stream_ops = {
    .send = net_send,
    .recv = net_recv,
    .close = net_close,
};

static void net_hand_out(smtpc_posix_net_t *n, smtpc_stream_t *out)
{
    n->connected = 1;
    out->ops = &net_stream_ops;
    out->ctx = n;
}

/* ---------------------------------------------------------- resolution --- */

static const smtpc_posix_resolve_t *net_find_resolve(const smtpc_posix_net_t *n, const char *host,
                                                     uint16_t port)
{
    for (size_t i = 0; i < n->resolve_count && i < SMTPC_POSIX_RESOLVE_MAX; i++) {
        const smtpc_posix_resolve_t *r = &n->resolve[i];
        if ((r->port == 0 || r->port == port) && strcasecmp(r->host, host) == 0) {
            return r;
        }
    }
    return NULL;
}

static int net_lookup(const char *name, uint16_t port, int flags, struct addrinfo **res)
{
    struct addrinfo hints;
    char service[8];
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = flags | AI_NUMERICSERV;
    unsigned p = port;
    size_t k = sizeof service - 1;
    service[k] = '\0';
    do {
        service[--k] = (char)('0' + p % 10u);
        p /= 10u;
    } while (p != 0 && k > 0);
    return getaddrinfo(name, &service[k], &hints, res);
}

/* Fills n->addrs from an address literal or a DNS lookup. */
static int net_resolve(smtpc_posix_net_t *n, const char *host, uint16_t port)
{
    const smtpc_posix_resolve_t *pin = net_find_resolve(n, host, port);
    const char *name = pin != NULL ? pin->addr : host;
    struct addrinfo *res = NULL;

    int rc = net_lookup(name, port, AI_NUMERICHOST, &res);
    if (rc != 0 && pin == NULL) {
        rc = net_lookup(name, port, AI_ADDRCONFIG, &res);
        /* AI_ADDRCONFIG ignores loopback, so a host (or a test namespace) with
         * only "lo" would see no address at all: ask once more without it. */
        if (rc == EAI_NONAME || rc == EAI_ADDRFAMILY || rc == EAI_NODATA) {
            rc = net_lookup(name, port, 0, &res);
        }
    }
    if (rc == EAI_MEMORY) {
        return SMTPC_ERR_NET_NO_MEMORY;
    }
    if (rc != 0) {
        return SMTPC_ERR_NET_RESOLVE;
    }
    n->addr_count = 0;
    n->addr_next = 0;
    for (const struct addrinfo *ai = res; ai != NULL && n->addr_count < SMTPC_POSIX_ADDRS_MAX;
         ai = ai->ai_next) {
        smtpc_posix_addr_t *a = &n->addrs[n->addr_count];
        if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
            ai->ai_addrlen > sizeof a->sa) {
            continue;
        }
        memset(a, 0, sizeof *a);
        memcpy(&a->sa, ai->ai_addr, ai->ai_addrlen);
        a->family = ai->ai_family;
        n->addr_count++;
    }
    freeaddrinfo(res);
    return n->addr_count > 0 ? SMTPC_OK : SMTPC_ERR_NET_RESOLVE;
}

/* ------------------------------------------------------------- connect --- */

/* Starts a connect to the next untried address: OK, IN_PROGRESS or NET_CONNECT
 * once every address failed. */
static int net_try_next(smtpc_posix_net_t *n, smtpc_stream_t *out)
{
    while (n->addr_next < n->addr_count && n->addr_next < SMTPC_POSIX_ADDRS_MAX) {
        const smtpc_posix_addr_t *a = &n->addrs[n->addr_next++];
        socklen_t sa_len =
            a->family == AF_INET6 ? (socklen_t)sizeof a->sa.v6 : (socklen_t)sizeof a->sa.v4;
        n->fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
        if (n->fd < 0) {
            continue;
        }
        /* Commands are small and each waits for a reply: Nagle would only add latency. */
        int one = 1;
        (void)setsockopt(n->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(n->fd, (const struct sockaddr *)&a->sa, sa_len) == 0) {
            net_hand_out(n, out);
            return SMTPC_OK;
        }
        if (errno == EINPROGRESS || errno == EINTR) {
            return SMTPC_IN_PROGRESS;
        }
        net_close_fd(n);
    }
    return SMTPC_ERR_NET_CONNECT;
}

static int net_connect(void *ctx, const char *host, uint16_t port, smtpc_stream_t *out)
{
    smtpc_posix_net_t *n = ctx;
    if (n == NULL || host == NULL || host[0] == '\0' || out == NULL || port == 0) {
        return SMTPC_ERR_BAD_ARG;
    }
    net_close(n);
    int rc = net_resolve(n, host, port);
    if (rc != SMTPC_OK) {
        return rc;
    }
    return net_try_next(n, out);
}

static int net_connect_poll(void *ctx, smtpc_stream_t *out)
{
    smtpc_posix_net_t *n = ctx;
    if (n == NULL || out == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (n->fd < 0) {
        return SMTPC_ERR_STATE;
    }
    if (n->connected) {
        net_hand_out(n, out);
        return SMTPC_OK;
    }
    struct pollfd pfd = {.fd = n->fd, .events = POLLOUT, .revents = 0};
    int pr = poll(&pfd, 1, 0);
    if (pr == 0 || (pr < 0 && errno == EINTR)) {
        return SMTPC_IN_PROGRESS;
    }
    int err = 0;
    socklen_t err_len = sizeof err;
    if (pr < 0 || getsockopt(n->fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) {
        err = EIO;
    }
    if (err == 0) {
        net_hand_out(n, out);
        return SMTPC_OK;
    }
    /* Refused or unreachable: the next address of the lookup may work. */
    net_close_fd(n);
    return net_try_next(n, out);
}

/* The peer of the connection just made (getpeername on the live socket). */
static int net_peer(void *ctx, uint8_t addr[16], uint8_t *len)
{
    smtpc_posix_net_t *n = (smtpc_posix_net_t *)ctx;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    memset(&ss, 0, sizeof(ss));
    if (n == NULL || addr == NULL || len == NULL || n->fd < 0 ||
        getpeername(n->fd, (struct sockaddr *)&ss, &sl) != 0) {
        return SMTPC_ERR_STATE;
    }
    if (ss.ss_family == AF_INET) {
        memcpy(addr, &((const struct sockaddr_in *)&ss)->sin_addr, 4);
        *len = 4;
        return SMTPC_OK;
    }
    if (ss.ss_family == AF_INET6) {
        memcpy(addr, &((const struct sockaddr_in6 *)&ss)->sin6_addr, 16);
        *len = 16;
        return SMTPC_OK;
    }
    return SMTPC_ERR_STATE;
}

const smtpc_net_ops_t smtpc_posix_net_ops = {
    .connect = net_connect,
    .connect_poll = net_connect_poll,
    .peer = net_peer,
};

/* ---------------------------------------------------------- public API --- */

void smtpc_posix_net_init(smtpc_posix_net_t *n)
{
    if (n == NULL) {
        return;
    }
    memset(n, 0, sizeof *n);
    n->fd = -1;
}

int smtpc_posix_net_fd(const smtpc_posix_net_t *n)
{
    return n != NULL ? n->fd : -1;
}

/* Copies @p addr without brackets into @p out if it is an IPv4 or IPv6 literal. */
static int net_copy_literal(char *out, const char *addr, size_t len)
{
    if (len >= 2 && addr[0] == '[' && addr[len - 1] == ']') {
        addr++;
        len -= 2;
    }
    if (len == 0 || len > SMTPC_POSIX_ADDR_MAX) {
        return SMTPC_ERR_BAD_ARG;
    }
    memcpy(out, addr, len);
    out[len] = '\0';
    uint8_t bin[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, out, bin) != 1 && inet_pton(AF_INET6, out, bin) != 1) {
        return SMTPC_ERR_BAD_ARG;
    }
    return SMTPC_OK;
}

int smtpc_posix_net_add_resolve(smtpc_posix_net_t *n, const char *host, uint16_t port,
                                const char *addr)
{
    if (n == NULL || host == NULL || addr == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    size_t host_len = strlen(host);
    if (host_len == 0 || host_len > SMTPC_HOSTNAME_MAX) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (n->resolve_count >= SMTPC_POSIX_RESOLVE_MAX) {
        return SMTPC_ERR_NO_SPACE;
    }
    smtpc_posix_resolve_t *r = &n->resolve[n->resolve_count];
    if (net_copy_literal(r->addr, addr, strlen(addr)) != SMTPC_OK) {
        return SMTPC_ERR_BAD_ARG;
    }
    memcpy(r->host, host, host_len + 1);
    r->port = port;
    n->resolve_count++;
    return SMTPC_OK;
}

int smtpc_posix_parse_resolve(smtpc_posix_net_t *n, const char *spec)
{
    if (n == NULL || spec == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    const char *c1 = strchr(spec, ':');
    if (c1 == NULL || c1 == spec || (size_t)(c1 - spec) > SMTPC_HOSTNAME_MAX) {
        return SMTPC_ERR_BAD_ARG;
    }
    char host[SMTPC_HOSTNAME_MAX + 1];
    memcpy(host, spec, (size_t)(c1 - spec));
    host[c1 - spec] = '\0';

    /* PORT: 1..65535, decimal, at most 5 digits. */
    const char *p = c1 + 1;
    uint32_t port = 0;
    size_t digits = 0;
    for (; digits < 6 && p[digits] >= '0' && p[digits] <= '9'; digits++) {
        port = port * 10u + (uint32_t)(p[digits] - '0');
    }
    if (digits == 0 || digits > 5 || p[digits] != ':' || port == 0 || port > 65535u) {
        return SMTPC_ERR_BAD_ARG;
    }
    return smtpc_posix_net_add_resolve(n, host, (uint16_t)port, p + digits + 1);
}
