/* lwIP port of smtpc: datagram ops over a UDP pcb for the core DNS resolver.
 *
 * Each query gets a fresh pcb bound to a random port from the rng (RFC 5452
 * §9.2: the source port is part of what a spoofer must guess) and connected
 * to the nameserver. A connected pcb only receives datagrams from that
 * address and port (udp_input); the recv callback checks again, so spoofed
 * answers from elsewhere never reach the core. */
#include <string.h>

#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/udp.h"

#include "smtpc/err.h"
#include "smtpc_lwip.h"

/* Bind attempts on random ports before giving up (a port may be in use). */
#define DNS_BIND_TRIES 8u
/* Ephemeral range of RFC 6335 §6: 49152..65535 is too small a space for
 * RFC 5452's advice; 1024..65535 is used, as most stub resolvers do. */
#define DNS_PORT_MIN 1024u

void smtpc_lwip_dns_init(smtpc_lwip_dns_t *d, const smtpc_rng_ops_t *rng, void *rng_ctx)
{
    if (d == NULL) {
        return;
    }
    memset(d, 0, sizeof *d);
    d->rng = rng;
    d->rng_ctx = rng_ctx;
}

int smtpc_lwip_dns_add_server(smtpc_lwip_dns_t *d, const ip_addr_t *addr, uint16_t port)
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

static void dns_flush(smtpc_lwip_dns_t *d)
{
    for (unsigned i = 0; i < d->q_len && i < SMTPC_LWIP_DGRAM_QUEUE; i++) {
        pbuf_free(d->q[i]);
        d->q[i] = NULL;
    }
    d->q_len = 0;
}

static void dns_recv_cb(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                        u16_t port)
{
    smtpc_lwip_dns_t *d = arg;
    const smtpc_lwip_ns_t *ns = &d->ns[d->cur];
    (void)pcb;
    if (p == NULL) {
        return;
    }
    /* Belt and braces: the pcb is connected, so lwIP already filtered. */
    if (d->pcb == NULL || port != ns->port || !ip_addr_cmp(addr, &ns->addr) ||
        d->q_len >= SMTPC_LWIP_DGRAM_QUEUE) {
        pbuf_free(p);
        return;
    }
    d->q[d->q_len++] = p;
}

static unsigned dns_server_count(void *ctx)
{
    const smtpc_lwip_dns_t *d = ctx;
    return d->count;
}

static int dns_server(void *ctx, unsigned idx, const char **addr, uint16_t *port)
{
    const smtpc_lwip_dns_t *d = ctx;
    if (idx >= d->count || addr == NULL || port == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    *addr = d->ns[idx].text;
    *port = d->ns[idx].port;
    return SMTPC_OK;
}

static void dns_close(void *ctx)
{
    smtpc_lwip_dns_t *d = ctx;
    if (d->pcb != NULL) {
        udp_remove(d->pcb);
        d->pcb = NULL;
    }
    dns_flush(d);
}

static int dns_bind_random(smtpc_lwip_dns_t *d)
{
    for (unsigned t = 0; t < DNS_BIND_TRIES; t++) {
        uint8_t b[2];
        if (d->rng == NULL || d->rng->fill(d->rng_ctx, b, sizeof b) != SMTPC_OK) {
            return SMTPC_ERR_INTERNAL;
        }
        uint32_t span = 65536u - DNS_PORT_MIN;
        uint16_t port = (uint16_t)(DNS_PORT_MIN + (((uint32_t)b[0] << 8 | b[1]) % span));
        err_t e = udp_bind(d->pcb, IP4_ADDR_ANY, port);
        if (e == ERR_OK) {
            return SMTPC_OK;
        }
        if (e != ERR_USE) {
            return SMTPC_ERR_NET_IO;
        }
    }
    return SMTPC_ERR_NET_IO;
}

static int dns_open(void *ctx, unsigned idx)
{
    smtpc_lwip_dns_t *d = ctx;
    dns_close(ctx);
    if (idx >= d->count) {
        return SMTPC_ERR_BAD_ARG;
    }
    d->pcb = udp_new_ip_type(IPADDR_TYPE_V4);
    if (d->pcb == NULL) {
        return SMTPC_ERR_NET_NO_MEMORY; /* MEMP_NUM_UDP_PCB exhausted */
    }
    d->cur = idx;
    int rc = dns_bind_random(d);
    if (rc == SMTPC_OK && udp_connect(d->pcb, &d->ns[idx].addr, d->ns[idx].port) != ERR_OK) {
        rc = SMTPC_ERR_NET_CONNECT;
    }
    if (rc != SMTPC_OK) {
        dns_close(ctx);
        return rc;
    }
    udp_recv(d->pcb, dns_recv_cb, d);
    return SMTPC_OK;
}

static int32_t dns_send(void *ctx, const uint8_t *buf, size_t len)
{
    smtpc_lwip_dns_t *d = ctx;
    if (d->pcb == NULL) {
        return SMTPC_ERR_STATE;
    }
    if (len == 0u || len > 0xffffu) {
        return SMTPC_ERR_BAD_ARG;
    }
    struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
    if (p == NULL) {
        return SMTPC_ERR_NET_NO_MEMORY;
    }
    if (pbuf_take(p, buf, (u16_t)len) != ERR_OK) {
        pbuf_free(p);
        return SMTPC_ERR_INTERNAL;
    }
    err_t e = udp_send(d->pcb, p);
    pbuf_free(p);
    if (e == ERR_OK) {
        return (int32_t)len;
    }
    /* ERR_MEM: no pbuf for the headers or the ARP queue is full. The DNS
     * engine retries on its own timer, so this is "would block". */
    if (e == ERR_MEM) {
        return 0;
    }
    return e == ERR_RTE ? SMTPC_ERR_NET_CONNECT : SMTPC_ERR_NET_IO;
}

static int32_t dns_recv(void *ctx, uint8_t *buf, size_t cap)
{
    smtpc_lwip_dns_t *d = ctx;
    if (d->pcb == NULL) {
        return SMTPC_ERR_STATE;
    }
    if (d->q_len == 0u) {
        return 0;
    }
    struct pbuf *p = d->q[0];
    for (unsigned i = 1; i < d->q_len && i < SMTPC_LWIP_DGRAM_QUEUE; i++) {
        d->q[i - 1u] = d->q[i];
    }
    d->q_len--;
    d->q[d->q_len] = NULL;
    /* A datagram longer than cap is cut, as recv() on a socket does; the DNS
     * engine then sees a malformed message and keeps waiting. */
    u16_t n = p->tot_len < cap ? p->tot_len : (u16_t)(cap > 0xffffu ? 0xffffu : cap);
    n = pbuf_copy_partial(p, buf, n, 0);
    pbuf_free(p);
    return n > 0u ? (int32_t)n : 0;
}

const smtpc_dgram_ops_t smtpc_lwip_dgram_ops = {
    dns_server_count, dns_server, dns_open, dns_send, dns_recv, dns_close,
};
