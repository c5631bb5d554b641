/**
 * @file smtpc_posix.h
 * @brief POSIX port of smtpc: non-blocking TCP sockets, clock, random bytes
 *        and a blocking "send this message" helper.
 *
 * The pieces plug into a ::smtpc_platform_t:
 * @code
 *   static smtpc_posix_net_t net;
 *   smtpc_posix_net_init(&net);
 *   plat.net = &smtpc_posix_net_ops;     plat.net_ctx = &net;
 *   plat.clock = &smtpc_posix_clock_ops; plat.clock_ctx = NULL;
 *   plat.rng = &smtpc_posix_rng_ops;     plat.rng_ctx = NULL;
 *   ...
 *   rc = smtpc_posix_send_blocking(&client, &net);
 * @endcode
 *
 * Networking: connect() resolves the host with getaddrinfo() (IPv4 and IPv6,
 * AI_ADDRCONFIG), which blocks the caller for the duration of the lookup:
 * this port is meant for hosts, where that is acceptable. The TCP connect
 * itself is non-blocking and is finished by connect_poll(); when an address
 * fails, the next address of the lookup is tried. A curl-style resolve table
 * (smtpc_posix_net_add_resolve()) pins a host name to an address without DNS
 * while the name stays what TLS sends as SNI and checks in the certificate.
 *
 * Context: a ::smtpc_posix_net_t is owned by one thread, the one calling
 * smtpc_client_step(); it carries one connection at a time.
 */
#ifndef SMTPC_POSIX_H
#define SMTPC_POSIX_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "smtpc/client.h"
#include "smtpc/port.h"
#include "smtpc/upload.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Entries of the resolve override table. */
#define SMTPC_POSIX_RESOLVE_MAX 4
/** Longest address literal in the resolve table (IPv6 text form, NUL excluded). */
#define SMTPC_POSIX_ADDR_MAX 45
/** Addresses kept from one lookup and tried in order. */
#define SMTPC_POSIX_ADDRS_MAX 8

/** One pinned host name: connections to host:port go to addr instead. */
typedef struct {
    char host[SMTPC_HOSTNAME_MAX + 1];
    char addr[SMTPC_POSIX_ADDR_MAX + 1];
    uint16_t port;
} smtpc_posix_resolve_t;

/** One address to connect to (IPv4 or IPv6). */
typedef struct {
    union {
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } sa;
    int family; /**< AF_INET or AF_INET6 */
} smtpc_posix_addr_t;

/** POSIX network context. Treat as opaque; initialise with smtpc_posix_net_init(). */
typedef struct smtpc_posix_net {
    int fd;              /**< socket of the current connection, -1 when none */
    int connected;       /**< 1 once the TCP connect completed */
    uint16_t addr_count; /**< addresses of the current lookup */
    uint16_t addr_next;  /**< next address to try */
    smtpc_posix_addr_t addrs[SMTPC_POSIX_ADDRS_MAX];
    smtpc_posix_resolve_t resolve[SMTPC_POSIX_RESOLVE_MAX];
    uint8_t resolve_count;
} smtpc_posix_net_t;

/** Network ops; ctx is a ::smtpc_posix_net_t. The streams they hand out use
 *  the same ctx and close the socket in their close(). */
extern const smtpc_net_ops_t smtpc_posix_net_ops;

/** Monotonic milliseconds (CLOCK_MONOTONIC, wrapping) and CLOCK_REALTIME
 *  seconds; ctx is unused (NULL). */
extern const smtpc_clock_ops_t smtpc_posix_clock_ops;

/** Random bytes from getrandom(); ctx is unused (NULL). */
extern const smtpc_rng_ops_t smtpc_posix_rng_ops;

/**
 * @brief Put a network context in its initial state (no socket, empty resolve table).
 * @param[out] n Context to initialise.
 */
void smtpc_posix_net_init(smtpc_posix_net_t *n);

/**
 * @brief Pin @p host : @p port to the address literal @p addr (like curl's --resolve).
 *
 * Later connects to that host and port skip DNS and connect to @p addr; the
 * host name is still the one given to TLS for SNI and certificate checks.
 * Port 0 matches every port.
 * @param[in,out] n    Context initialised with smtpc_posix_net_init().
 * @param[in]     host Host name, NUL-terminated, copied.
 * @param[in]     port Port to match, 0 for any.
 * @param[in]     addr IPv4 or IPv6 literal (brackets allowed), copied.
 * @return ::SMTPC_OK, ::SMTPC_ERR_BAD_ARG (empty or too long host, @p addr not
 *         an address literal) or ::SMTPC_ERR_NO_SPACE (table full).
 */
int smtpc_posix_net_add_resolve(smtpc_posix_net_t *n, const char *host, uint16_t port,
                                const char *addr);

/**
 * @brief Parse a "HOST:PORT:ADDR" resolve entry (curl syntax; ADDR may be an
 *        IPv6 literal, with or without brackets) and add it.
 * @param[in,out] n    Context initialised with smtpc_posix_net_init().
 * @param[in]     spec NUL-terminated entry.
 * @return ::SMTPC_OK, ::SMTPC_ERR_BAD_ARG (malformed) or ::SMTPC_ERR_NO_SPACE.
 */
int smtpc_posix_parse_resolve(smtpc_posix_net_t *n, const char *spec);

/**
 * @brief Socket of the current connection, for poll().
 * @return The file descriptor, or -1 when no socket is open.
 */
int smtpc_posix_net_fd(const smtpc_posix_net_t *n);

/**
 * @brief Run a started client to completion, waiting in poll().
 *
 * Loops smtpc_client_step(), smtpc_client_wants() and poll() on the socket of
 * @p net until step() returns something other than ::SMTPC_IN_PROGRESS. Each
 * wait ends at the client's deadline, so the call is bounded by the client's
 * total session deadline.
 * @param[in,out] c   Client after smtpc_client_start(), whose platform uses @p net.
 * @param[in]     net The network context of that platform.
 * @return ::SMTPC_OK or the error that ended the session (details in
 *         smtpc_client_result()). Blocks the calling thread.
 */
int smtpc_posix_send_blocking(smtpc_client_t *c, const smtpc_posix_net_t *net);

/* ------------------------------------------------------------------ DNS --- */

/** Nameservers kept by smtpc_posix_dns_t. */
#define SMTPC_POSIX_NS_MAX 3

/** One nameserver. */
typedef struct {
    smtpc_posix_addr_t addr;
    char text[SMTPC_POSIX_ADDR_MAX + 1];
    uint16_t port;
} smtpc_posix_ns_t;

/** Datagram context for the core DNS resolver (smtpc_platform_t::dgram_ctx). */
typedef struct smtpc_posix_dns {
    int fd;         /**< socket of the query in flight, -1 when none */
    unsigned cur;   /**< nameserver of that socket */
    unsigned count; /**< nameservers configured */
    smtpc_posix_ns_t ns[SMTPC_POSIX_NS_MAX];
} smtpc_posix_dns_t;

/** Datagram ops over @ref smtpc_posix_dns_t: a fresh connected UDP socket per
 *  query (random source port; answers from other addresses or ports are
 *  dropped by the kernel). */
extern const smtpc_dgram_ops_t smtpc_posix_dgram_ops;

/** Empty nameserver list. */
void smtpc_posix_dns_init(smtpc_posix_dns_t *d);

/** Add a nameserver: "ADDR", "ADDR:PORT", "[V6ADDR]:PORT" (literals only).
 *  @return SMTPC_OK or SMTPC_ERR_BAD_ARG (bad text, list full). */
int smtpc_posix_dns_add_server(smtpc_posix_dns_t *d, const char *spec);

/** Add the "nameserver" lines of @p path (NULL: /etc/resolv.conf).
 *  @return SMTPC_OK when at least one server is configured afterwards,
 *  else SMTPC_ERR_NET_RESOLVE. Blocking file read: call at start-up. */
int smtpc_posix_dns_load_resolv_conf(smtpc_posix_dns_t *d, const char *path);

/** Socket of the query in flight, or -1 (for poll()). */
int smtpc_posix_dns_fd(const smtpc_posix_dns_t *d);

/**
 * @brief Run a started client to completion, blocking in poll() on whichever
 * socket it waits for (the TCP connection of @p net or the DNS socket of
 * @p dns, which may be NULL in SUBMISSION mode).
 * @return the client's final status (smtpc_client_result() has the details).
 */
int smtpc_posix_run(smtpc_client_t *c, const smtpc_posix_net_t *net, const smtpc_posix_dns_t *dns);

/**
 * @brief Drive an MTA-STS discovery (smtpc_sts_start() done) to its decision
 * with poll(): for tools and refresh jobs.
 * @return ::SMTPC_OK once decided (see the engine's fields), or an error.
 */
int smtpc_posix_sts_run(smtpc_sts_t *s, const smtpc_posix_net_t *net, const smtpc_posix_dns_t *dns);

/**
 * @brief Drive a started DNS query (smtpc_dns_start() done, its io using
 * ::smtpc_posix_dgram_ops over @p dns) to its end with poll(): for tools.
 * @param net the network context of the io's TCP fallback (after TC=1), or
 *            NULL when the io has no net ops
 * @return what smtpc_dns_step() ended with (::SMTPC_OK, a DNS error or the
 *         callback's error), ::SMTPC_ERR_DNS_TIMEOUT when the wait loop gave
 *         up, or ::SMTPC_ERR_BAD_ARG.
 */
int smtpc_posix_dns_run(smtpc_dns_t *d, const smtpc_posix_net_t *net, const smtpc_posix_dns_t *dns);

/**
 * @brief Drive a started TLS-RPT upload (smtpc_upload_start() done, its io
 * using the net ops over @p net) to its end with poll(): for tools.
 * @return what smtpc_upload_step() ended with (::SMTPC_OK for a 2xx), or
 *         ::SMTPC_ERR_TIMEOUT when the wait loop gave up.
 */
int smtpc_posix_upload_run(smtpc_upload_t *u, const smtpc_posix_net_t *net);

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_POSIX_H */
