/* POSIX datagram ops for the core DNS resolver.
 *
 * Each query gets a fresh UDP socket bound to an ephemeral port (Linux picks
 * it at random: RFC 5452 §9.2) and connect()ed to the nameserver, so the
 * kernel drops datagrams from any other address or port: a spoofed answer
 * must also guess the port, and never reaches the core from elsewhere. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "smtpc/err.h"
#include "smtpc_posix.h"

void smtpc_posix_dns_init(smtpc_posix_dns_t *d)
{
    memset(d, 0, sizeof(*d));
    d->fd = -1;
}

/* "ADDR", "ADDR:PORT", "[V6ADDR]:PORT" or a bare IPv6 address. */
int smtpc_posix_dns_add_server(smtpc_posix_dns_t *d, const char *spec)
{
    char host[SMTPC_POSIX_ADDR_MAX + 1];
    const char *port_s = NULL;
    size_t n;
    unsigned long port = 53;
    smtpc_posix_ns_t *ns;
    if (d == NULL || spec == NULL || d->count >= SMTPC_POSIX_NS_MAX) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (spec[0] == '[') {
        const char *end = strchr(spec, ']');
        if (end == NULL || (end[1] != '\0' && end[1] != ':')) {
            return SMTPC_ERR_BAD_ARG;
        }
        n = (size_t)(end - spec - 1);
        if (n > SMTPC_POSIX_ADDR_MAX) {
            return SMTPC_ERR_BAD_ARG;
        }
        memcpy(host, spec + 1, n);
        host[n] = '\0';
        port_s = end[1] == ':' ? end + 2 : NULL;
    } else {
        const char *colon = strchr(spec, ':');
        /* One colon: ADDR:PORT; more: a bare IPv6 address. */
        if (colon != NULL && strchr(colon + 1, ':') == NULL) {
            n = (size_t)(colon - spec);
            port_s = colon + 1;
        } else {
            n = strlen(spec);
        }
        if (n > SMTPC_POSIX_ADDR_MAX) {
            return SMTPC_ERR_BAD_ARG;
        }
        memcpy(host, spec, n);
        host[n] = '\0';
    }
    if (port_s != NULL) {
        char *endp = NULL;
        port = strtoul(port_s, &endp, 10);
        if (*port_s == '\0' || endp == NULL || *endp != '\0' || port == 0 || port > 65535) {
            return SMTPC_ERR_BAD_ARG;
        }
    }
    ns = &d->ns[d->count];
    memset(ns, 0, sizeof(*ns));
    if (inet_pton(AF_INET, host, &ns->addr.sa.v4.sin_addr) == 1) {
        ns->addr.family = AF_INET;
        ns->addr.sa.v4.sin_family = AF_INET;
        ns->addr.sa.v4.sin_port = htons((uint16_t)port);
    } else if (inet_pton(AF_INET6, host, &ns->addr.sa.v6.sin6_addr) == 1) {
        ns->addr.family = AF_INET6;
        ns->addr.sa.v6.sin6_family = AF_INET6;
        ns->addr.sa.v6.sin6_port = htons((uint16_t)port);
    } else {
        return SMTPC_ERR_BAD_ARG;
    }
    memcpy(ns->text, host, strlen(host) + 1u);
    ns->port = (uint16_t)port;
    d->count++;
    return SMTPC_OK;
}

/* "nameserver ADDR" lines of resolv.conf(5); other lines are ignored. */
int smtpc_posix_dns_load_resolv_conf(smtpc_posix_dns_t *d, const char *path)
{
    char line[256];
    unsigned lines = 0;
    FILE *f;
    if (d == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    f = fopen(path != NULL ? path : "/etc/resolv.conf", "r");
    if (f == NULL) {
        return SMTPC_ERR_NET_RESOLVE;
    }
    while (d->count < SMTPC_POSIX_NS_MAX && lines++ < 1000u && fgets(line, sizeof(line), f)) {
        char *p = line;
        char *end;
        if (strncmp(p, "nameserver", 10) != 0 || (p[10] != ' ' && p[10] != '\t')) {
            continue;
        }
        p += 10;
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        end = p;
        while (*end != '\0' && *end != ' ' && *end != '\t' && *end != '\n' && *end != '\r' &&
               *end != '%') {
            end++;
        }
        *end = '\0';
        (void)smtpc_posix_dns_add_server(d, p);
    }
    fclose(f);
    return d->count > 0u ? SMTPC_OK : SMTPC_ERR_NET_RESOLVE;
}

int smtpc_posix_dns_fd(const smtpc_posix_dns_t *d)
{
    return d != NULL ? d->fd : -1;
}

static unsigned dns_server_count(void *ctx)
{
    const smtpc_posix_dns_t *d = ctx;
    return d->count;
}

static int dns_server(void *ctx, unsigned idx, const char **addr, uint16_t *port)
{
    const smtpc_posix_dns_t *d = ctx;
    if (idx >= d->count) {
        return SMTPC_ERR_BAD_ARG;
    }
    *addr = d->ns[idx].text;
    *port = d->ns[idx].port;
    return SMTPC_OK;
}

static void dns_close(void *ctx)
{
    smtpc_posix_dns_t *d = ctx;
    if (d->fd >= 0) {
        close(d->fd);
        d->fd = -1;
    }
}

static int dns_open(void *ctx, unsigned idx)
{
    smtpc_posix_dns_t *d = ctx;
    const smtpc_posix_addr_t *a;
    socklen_t len;
    int fd;
    dns_close(ctx);
    if (idx >= d->count) {
        return SMTPC_ERR_BAD_ARG;
    }
    a = &d->ns[idx].addr;
    fd = socket(a->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return SMTPC_ERR_NET_IO;
    }
    len = a->family == AF_INET ? (socklen_t)sizeof(a->sa.v4) : (socklen_t)sizeof(a->sa.v6);
    /* connect() on UDP: only this server's address and port get through. */
    if (connect(fd, (const struct sockaddr *)&a->sa, len) != 0) {
        close(fd);
        return SMTPC_ERR_NET_CONNECT;
    }
    d->fd = fd;
    d->cur = idx;
    return SMTPC_OK;
}

static int32_t dns_send(void *ctx, const uint8_t *buf, size_t len)
{
    smtpc_posix_dns_t *d = ctx;
    ssize_t r;
    if (d->fd < 0) {
        return SMTPC_ERR_STATE;
    }
    r = send(d->fd, buf, len, MSG_NOSIGNAL);
    if (r >= 0) {
        return (int32_t)r;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        return 0;
    }
    return SMTPC_ERR_NET_IO;
}

static int32_t dns_recv(void *ctx, uint8_t *buf, size_t cap)
{
    smtpc_posix_dns_t *d = ctx;
    ssize_t r;
    if (d->fd < 0) {
        return SMTPC_ERR_STATE;
    }
    r = recv(d->fd, buf, cap, 0);
    if (r > 0) {
        return (int32_t)r;
    }
    if (r == 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        return 0; /* an empty datagram carries nothing: keep waiting */
    }
    /* ECONNREFUSED: ICMP port unreachable from the server: try the next one. */
    return SMTPC_ERR_NET_IO;
}

const smtpc_dgram_ops_t smtpc_posix_dgram_ops = {
    dns_server_count, dns_server, dns_open, dns_send, dns_recv, dns_close,
};
