/* lwIP port of smtpc: host name -> IPv4 address with the core DNS engine.
 *
 * The driver hands host names to the net ops (MX exchanges, mta-sts.<domain>,
 * a submission server). Rather than enabling lwIP's own resolver (LWIP_DNS,
 * A/AAAA only, its own table and pcb), the port asks the core engine for the
 * A record over the same datagram ops the driver uses: one resolver, one set
 * of defences (random ids and ports, question echo, server check). */
#include <string.h>

#include "lwip/ip_addr.h"

#include "smtpc/err.h"
#include "smtpc_lwip.h"

void smtpc_lwip_resolver_init(smtpc_lwip_resolver_t *r, const smtpc_dgram_ops_t *dgram,
                              void *dgram_ctx, const smtpc_clock_ops_t *clock, void *clock_ctx,
                              const smtpc_rng_ops_t *rng, void *rng_ctx)
{
    if (r == NULL) {
        return;
    }
    memset(r, 0, sizeof *r);
    r->io.dgram = dgram;
    r->io.dgram_ctx = dgram_ctx;
    r->io.clock = clock;
    r->io.clock_ctx = clock_ctx;
    r->io.rng = rng;
    r->io.rng_ctx = rng_ctx;
    /* No TCP retry: an A answer for one name fits any UDP datagram. */
    r->io.net = NULL;
}

/* First A record of the answer (CNAME records before it are skipped: the
 * recursive server gives the chain and its target's address together). */
static int resolve_rr(void *arg, const smtpc_dns_rr_t *rr)
{
    smtpc_lwip_resolver_t *r = arg;
    if (!r->found && rr->type == SMTPC_DNS_TYPE_A && rr->rdlen == 4u) {
        IP4_ADDR(ip_2_ip4(&r->addr), rr->rdata[0], rr->rdata[1], rr->rdata[2], rr->rdata[3]);
        IP_SET_TYPE_VAL(r->addr, IPADDR_TYPE_V4);
        r->found = 1;
    }
    return SMTPC_OK;
}

int smtpc_lwip_resolve_start(smtpc_lwip_resolver_t *r, const char *host)
{
    ip4_addr_t a;
    if (r == NULL || host == NULL || host[0] == '\0') {
        return SMTPC_ERR_BAD_ARG;
    }
    smtpc_lwip_resolve_stop(r);
    r->found = 0;
    if (ip4addr_aton(host, &a)) {
        ip_addr_copy_from_ip4(r->addr, a);
        r->found = 1;
        return SMTPC_OK;
    }
    if (r->io.dgram == NULL || r->io.clock == NULL || r->io.rng == NULL) {
        return SMTPC_ERR_NET_RESOLVE;
    }
    int rc = smtpc_dns_start(&r->dns, &r->io, host, SMTPC_DNS_TYPE_A, resolve_rr, r);
    if (rc != SMTPC_IN_PROGRESS) {
        return rc == SMTPC_ERR_NET_NO_MEMORY ? rc : SMTPC_ERR_NET_RESOLVE;
    }
    r->running = 1;
    return smtpc_lwip_resolve_step(r);
}

int smtpc_lwip_resolve_step(smtpc_lwip_resolver_t *r)
{
    if (r == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (!r->running) {
        return r->found ? SMTPC_OK : SMTPC_ERR_STATE;
    }
    int rc = smtpc_dns_step(&r->dns);
    if (rc == SMTPC_IN_PROGRESS) {
        return rc;
    }
    smtpc_lwip_resolve_stop(r);
    if (rc == SMTPC_OK && r->found) {
        return SMTPC_OK;
    }
    /* The pool error keeps its name (a UDP pcb or pbuf could not be had);
     * every DNS outcome without an address is a failed resolution, as in the
     * POSIX port. */
    return rc == SMTPC_ERR_NET_NO_MEMORY ? rc : SMTPC_ERR_NET_RESOLVE;
}

void smtpc_lwip_resolve_stop(smtpc_lwip_resolver_t *r)
{
    if (r != NULL && r->running) {
        smtpc_dns_stop(&r->dns);
        r->running = 0;
    }
}
