/**
 * @file smtpc_lwip_sockets.h
 * @brief lwIP port of smtpc for RTOS tasks: TCP and UDP over lwIP's sockets
 *        API (LWIP_SOCKET, NO_SYS=0), and a loop that runs a client to its end
 *        in the calling task.
 *
 * Use it when smtpc runs in its own task (FreeRTOS, or pthreads on a host),
 * outside the tcpip thread. The sockets are non-blocking; the runner waits in
 * lwip_select() on the one socket the client needs, never longer than the
 * client's next deadline, so the task blocks only there.
 * @code
 *   static smtpc_lwip_sock_dns_t dns;
 *   static smtpc_lwip_sock_net_t net;
 *   smtpc_lwip_sock_dns_init(&dns, &smtpc_lwip_rng_ops, &rng);
 *   smtpc_lwip_sock_dns_add_server(&dns, &ns_ip, 53);
 *   smtpc_lwip_sock_net_init(&net, &dns, &smtpc_lwip_clock, &rng);
 *   plat.net = &smtpc_lwip_sock_net_ops;     plat.net_ctx = &net;
 *   plat.dgram = &smtpc_lwip_sock_dgram_ops; plat.dgram_ctx = &dns;
 *   plat.clock = &smtpc_lwip_clock_ops;      plat.clock_ctx = &smtpc_lwip_clock;
 *   rc = smtpc_lwip_sock_run(&client, &net, &dns);
 * @endcode
 * Host names are resolved as in the raw variant: by the core DNS engine over
 * these datagram ops (LWIP_DNS is not needed). Socket allocation failures
 * (MEMP_NUM_NETCONN, MEMP_NUM_TCP_PCB, MEMP_NUM_UDP_PCB exhausted: ENFILE,
 * ENOBUFS, ENOMEM) are ::SMTPC_ERR_NET_NO_MEMORY.
 *
 * Calling context: one task owns a net context and the client using it.
 */
#ifndef SMTPC_LWIP_SOCKETS_H
#define SMTPC_LWIP_SOCKETS_H

#include "smtpc/client.h"
#include "smtpc_lwip.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Datagram context over lwIP UDP sockets. */
typedef struct smtpc_lwip_sock_dns {
    int fd; /**< socket of the query in flight, -1 when none */
    unsigned cur;
    unsigned count;
    smtpc_lwip_ns_t ns[SMTPC_LWIP_NS_MAX];
    const smtpc_rng_ops_t *rng;
    void *rng_ctx;
} smtpc_lwip_sock_dns_t;

/** Datagram ops; ctx is a ::smtpc_lwip_sock_dns_t. Fresh socket per query,
 *  random source port, connected to the server. */
extern const smtpc_dgram_ops_t smtpc_lwip_sock_dgram_ops;

/** @brief Empty nameserver list; @p rng (required) picks source ports. */
void smtpc_lwip_sock_dns_init(smtpc_lwip_sock_dns_t *d, const smtpc_rng_ops_t *rng, void *rng_ctx);

/** @brief Add an IPv4 nameserver. ::SMTPC_OK or ::SMTPC_ERR_BAD_ARG. */
int smtpc_lwip_sock_dns_add_server(smtpc_lwip_sock_dns_t *d, const ip_addr_t *addr, uint16_t port);

/** TCP network context over lwIP sockets (one connection at a time). */
typedef struct smtpc_lwip_sock_net {
    int fd; /**< socket of the connection, -1 when none */
    uint8_t state;
    uint16_t port;
    smtpc_lwip_sock_dns_t *dns;
    smtpc_lwip_resolver_t res;
} smtpc_lwip_sock_net_t;

/** Net ops; ctx is a ::smtpc_lwip_sock_net_t. */
extern const smtpc_net_ops_t smtpc_lwip_sock_net_ops;

/** @brief Initialise; @p dns, @p clk and @p rng serve the host name lookups. */
void smtpc_lwip_sock_net_init(smtpc_lwip_sock_net_t *n, smtpc_lwip_sock_dns_t *dns,
                              smtpc_lwip_clock_t *clk, smtpc_lwip_rng_t *rng);

/**
 * @brief Run a started client to its end, waiting in lwip_select() on the
 * socket it needs (the TCP connection of @p net, its host name lookup, or
 * the DNS socket of @p dns, which may be NULL in SUBMISSION mode). Each wait
 * ends at the client's deadline. Blocks the calling task.
 * @return the client's final status (details in smtpc_client_result()).
 */
int smtpc_lwip_sock_run(smtpc_client_t *c, const smtpc_lwip_sock_net_t *net,
                        const smtpc_lwip_sock_dns_t *dns);

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_LWIP_SOCKETS_H */
