/**
 * @file smtpc_lwip.h
 * @brief lwIP port of smtpc, raw API: TCP streams, UDP datagrams for the
 *        core DNS resolver, clock and random bytes.
 *
 * The pieces plug into a ::smtpc_platform_t:
 * @code
 *   static smtpc_lwip_dns_t dns;          // nameservers + one UDP pcb
 *   static smtpc_lwip_net_t net;          // one TCP pcb + rx ring
 *   static smtpc_lwip_clock_t clk;
 *   smtpc_lwip_rng_init(&rng, board_trng_fill, NULL);
 *   smtpc_lwip_dns_init(&dns, &rng_ops, &rng);
 *   smtpc_lwip_dns_add_server(&dns, &server_ip, 53);
 *   smtpc_lwip_net_init(&net, &dns, &clk);
 *   plat.net = &smtpc_lwip_net_ops;     plat.net_ctx = &net;
 *   plat.dgram = &smtpc_lwip_dgram_ops; plat.dgram_ctx = &dns;
 *   plat.clock = &smtpc_lwip_clock_ops; plat.clock_ctx = &clk;
 *   plat.rng = &smtpc_lwip_rng_ops;     plat.rng_ctx = &rng;
 * @endcode
 * and the TLS ops of port/mbedtls run unchanged on top of the streams: the
 * TLS records travel over the plain TCP stream handed out here, which is how
 * STARTTLS works mid-session. lwIP's altcp_tls is not used.
 *
 * Name resolution: the driver passes host names to connect(). This port
 * resolves them with the core DNS engine (smtpc/dns.h) over its own datagram
 * ops, so lwIP's resolver (LWIP_DNS) is not needed: one resolver, with random
 * query IDs and a random source port per query (RFC 5452 §9.2), and answers
 * accepted only from the server queried. Address literals skip DNS. IPv4 only
 * (A records; LWIP_IPV4). The resolution runs inside connect()/connect_poll()
 * and never blocks; its own deadline is SMTPC_DNS_TIMEOUT_MS per try, inside
 * the client's connect deadline.
 *
 * Calling context: everything here runs where lwIP's raw API may be called:
 * the superloop of a NO_SYS=1 system, or the tcpip thread (or under
 * LOCK_TCPIP_CORE()) with NO_SYS=0. Nothing blocks. The lwIP callbacks only
 * move bytes and set flags; the caller steps the client from its loop, and
 * may pass a wake hook (smtpc_lwip_net_set_wake()) that the callbacks call
 * when progress is possible (recv, sent, poll, error).
 *
 * Memory: a ::smtpc_lwip_net_t holds the receive ring
 * (::SMTPC_LWIP_RX_RING bytes) and a core DNS query (about
 * SMTPC_DNS_MSG_MAX + 300 bytes); lwIP's pools hold the rest (one TCP pcb,
 * one UDP pcb, segments and pbufs while in flight). Pool exhaustion is never
 * a hang: a pcb, segment or pbuf that cannot be allocated is
 * ::SMTPC_ERR_NET_NO_MEMORY at once, or, when bytes are still in flight and
 * space may come back, "would block" bounded by the client's deadline.
 */
#ifndef SMTPC_LWIP_H
#define SMTPC_LWIP_H

#include <stddef.h>
#include <stdint.h>

#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

#include "smtpc/dns.h"
#include "smtpc/port.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Receive ring of a TCP stream, bytes. Received data beyond it stays in
 *  lwIP's pbufs (the TCP window is only reopened as the client reads), so the
 *  ring bounds the copy, the window bounds the total. Range 64..65535. */
#ifndef SMTPC_LWIP_RX_RING
#define SMTPC_LWIP_RX_RING 1024u
#endif

/** Nameservers kept by ::smtpc_lwip_dns_t. */
#ifndef SMTPC_LWIP_NS_MAX
#define SMTPC_LWIP_NS_MAX 3u
#endif

/** Datagrams queued between two recv() calls of the DNS engine. */
#ifndef SMTPC_LWIP_DGRAM_QUEUE
#define SMTPC_LWIP_DGRAM_QUEUE 2u
#endif

/** lwIP poll interval for TCP streams, in units of 500 ms (tcp_poll()). */
#ifndef SMTPC_LWIP_POLL_INTERVAL
#define SMTPC_LWIP_POLL_INTERVAL 2u
#endif

/* ----------------------------------------------------------- random --- */

/** Entropy source of the board: fill @p buf with @p len unpredictable bytes
 *  (a hardware TRNG, or getrandom() on a host). ::SMTPC_OK or an error. */
typedef int (*smtpc_lwip_entropy_fn)(void *arg, uint8_t *buf, size_t len);

/** Random bytes for smtpc (DNS ids, source ports) and for lwIP's LWIP_RAND(). */
typedef struct smtpc_lwip_rng {
    smtpc_lwip_entropy_fn source;
    void *arg;
} smtpc_lwip_rng_t;

/**
 * @brief Bind an rng to the board's entropy source. The first rng initialised
 * also becomes the source of smtpc_lwip_rand() (lwIP's LWIP_RAND()).
 */
void smtpc_lwip_rng_init(smtpc_lwip_rng_t *r, smtpc_lwip_entropy_fn source, void *arg);

/** The rng ops; ctx is a ::smtpc_lwip_rng_t. */
extern const smtpc_rng_ops_t smtpc_lwip_rng_ops;

/**
 * @brief 32 random bits for lwIP: define `LWIP_RAND() smtpc_lwip_rand()` in
 * the board's arch/cc.h (lwIP uses it for initial sequence numbers, local
 * ports and DNS ids; libc rand() is predictable). Before any rng was
 * initialised this returns 0 and lwIP's choices are predictable: initialise
 * the rng before lwip_init() / tcpip_init().
 */
uint32_t smtpc_lwip_rand(void);

/* ------------------------------------------------------------ clock --- */

/** Monotonic time from sys_now(), extended past its 32-bit wrap, plus a wall
 *  clock that is unknown until set (from SNTP or an RTC). */
typedef struct smtpc_lwip_clock {
    uint64_t ms;       /**< extended sys_now() at the last reading */
    uint32_t last;     /**< sys_now() at the last reading */
    uint64_t utc_base; /**< Unix seconds at @ref utc_at_ms, 0: unknown */
    uint64_t utc_at_ms;
} smtpc_lwip_clock_t;

/** now_ms() is sys_now(); utc_s() is 0 until smtpc_lwip_clock_set_utc(). */
extern const smtpc_clock_ops_t smtpc_lwip_clock_ops;

/** Default clock, set by smtpc_lwip_sntp_set_time(); may be used as clock_ctx. */
extern smtpc_lwip_clock_t smtpc_lwip_clock;

/** @brief Set the wall clock of @p clk to @p unix_s (seconds since 1970). */
void smtpc_lwip_clock_set_utc(smtpc_lwip_clock_t *clk, uint64_t unix_s);

/**
 * @brief SNTP hook for ::smtpc_lwip_clock: in lwipopts.h,
 * `#define SNTP_SET_SYSTEM_TIME(sec) smtpc_lwip_sntp_set_time(sec)`.
 * Runs in lwIP's context (tcpip thread or superloop).
 */
void smtpc_lwip_sntp_set_time(uint32_t sec);

/* -------------------------------------------------------- datagrams --- */

/** One nameserver. */
typedef struct {
    ip_addr_t addr;
    uint16_t port;
    char text[16]; /**< dotted quad, for the TCP retry of the DNS engine */
} smtpc_lwip_ns_t;

/** Datagram context for the core DNS resolver: nameservers and the UDP pcb
 *  of the query in flight. Initialise with smtpc_lwip_dns_init(). */
typedef struct smtpc_lwip_dns {
    struct udp_pcb *pcb;
    const smtpc_rng_ops_t *rng;
    void *rng_ctx;
    struct pbuf *q[SMTPC_LWIP_DGRAM_QUEUE]; /**< received, not yet read */
    uint8_t q_len;
    unsigned cur;
    unsigned count;
    smtpc_lwip_ns_t ns[SMTPC_LWIP_NS_MAX];
} smtpc_lwip_dns_t;

/** Datagram ops over a ::smtpc_lwip_dns_t: a fresh UDP pcb per query, bound
 *  to a random port and connected to the nameserver; datagrams from any other
 *  address or port are dropped. open() gives ::SMTPC_ERR_NET_NO_MEMORY when
 *  the UDP pcb pool (MEMP_NUM_UDP_PCB) is exhausted. */
extern const smtpc_dgram_ops_t smtpc_lwip_dgram_ops;

/** @brief Empty nameserver list; @p rng (required) picks source ports. */
void smtpc_lwip_dns_init(smtpc_lwip_dns_t *d, const smtpc_rng_ops_t *rng, void *rng_ctx);

/** @brief Add an IPv4 nameserver. ::SMTPC_OK or ::SMTPC_ERR_BAD_ARG (list full). */
int smtpc_lwip_dns_add_server(smtpc_lwip_dns_t *d, const ip_addr_t *addr, uint16_t port);

/* ---------------------------------------------------------- resolver --- */

/** Host name -> IPv4 address with the core DNS engine (used by both the raw
 *  and the sockets net ops). */
typedef struct smtpc_lwip_resolver {
    smtpc_dns_t dns;
    smtpc_dns_io_t io;
    ip_addr_t addr;
    uint8_t found;
    uint8_t running;
} smtpc_lwip_resolver_t;

/** @brief Bind the resolver to datagram ops, a clock and an rng (all required). */
void smtpc_lwip_resolver_init(smtpc_lwip_resolver_t *r, const smtpc_dgram_ops_t *dgram,
                              void *dgram_ctx, const smtpc_clock_ops_t *clock, void *clock_ctx,
                              const smtpc_rng_ops_t *rng, void *rng_ctx);

/**
 * @brief Start resolving @p host (an IPv4 literal is taken as is).
 * @return ::SMTPC_OK (address in r->addr), ::SMTPC_IN_PROGRESS (call
 *         smtpc_lwip_resolver_step()), ::SMTPC_ERR_NET_RESOLVE or
 *         ::SMTPC_ERR_NET_NO_MEMORY.
 */
int smtpc_lwip_resolve_start(smtpc_lwip_resolver_t *r, const char *host);

/** @brief Progress: ::SMTPC_OK, ::SMTPC_IN_PROGRESS or an error as above. */
int smtpc_lwip_resolve_step(smtpc_lwip_resolver_t *r);

/** @brief Stop a lookup in progress (releases its socket); safe twice. */
void smtpc_lwip_resolve_stop(smtpc_lwip_resolver_t *r);

/* ------------------------------------------------------------- TCP ---- */

/** Called from lwIP callbacks when the client can make progress. */
typedef void (*smtpc_lwip_wake_fn)(void *arg);

/** TCP network context (one connection at a time). Initialise with
 *  smtpc_lwip_net_init(); treat as opaque. */
typedef struct smtpc_lwip_net {
    struct tcp_pcb *pcb;
    smtpc_lwip_resolver_t res;
    uint16_t port;
    uint8_t state;        /**< internal: idle, resolving, connecting, open */
    uint8_t rx_fin;       /**< the peer sent FIN */
    int err;              /**< sticky smtpc error of the connection, 0 while healthy */
    struct pbuf *rx_pend; /**< received bytes that did not fit the ring */
    uint16_t rx_head;
    uint16_t rx_len;
    uint16_t unacked_reads; /**< bytes read, window not yet reopened */
    smtpc_lwip_wake_fn wake;
    void *wake_arg;
    uint8_t rx[SMTPC_LWIP_RX_RING];
} smtpc_lwip_net_t;

/** Net ops over the raw TCP API; ctx is a ::smtpc_lwip_net_t. Errors:
 *  ::SMTPC_ERR_NET_RESOLVE, ::SMTPC_ERR_NET_CONNECT (refused, unreachable,
 *  no route), ::SMTPC_ERR_NET_NO_MEMORY (pcb, segment or pbuf pool empty),
 *  ::SMTPC_ERR_NET_CLOSED, ::SMTPC_ERR_NET_IO. */
extern const smtpc_net_ops_t smtpc_lwip_net_ops;

/**
 * @brief Initialise a network context.
 * @param n     Context (any content).
 * @param dns   Nameservers for host names (required unless only literals are
 *              used; may be the platform's own dgram context: the driver
 *              never runs a DNS query and a connect at the same time).
 * @param clk   Clock of the resolver's timeouts.
 * @param rng   Source of DNS query ids.
 */
void smtpc_lwip_net_init(smtpc_lwip_net_t *n, smtpc_lwip_dns_t *dns, smtpc_lwip_clock_t *clk,
                         smtpc_lwip_rng_t *rng);

/** @brief Register a hook called (from lwIP callbacks) when progress may be
 *  possible; @p fn NULL removes it. */
void smtpc_lwip_net_set_wake(smtpc_lwip_net_t *n, smtpc_lwip_wake_fn fn, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_LWIP_H */
