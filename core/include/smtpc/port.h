/**
 * @file port.h
 * @brief The port boundary: the ops structs a platform implements.
 *
 * The core of smtpc never calls a socket, a TLS library, a clock or flash. It
 * reaches the world only through the small ops structs below, each paired with
 * an opaque `ctx` pointer owned by the integrator. `port/` holds ready-made
 * implementations (POSIX, lwIP, mbedTLS, flash backends); a board may supply
 * its own.
 *
 * Uniform return convention for byte-moving functions (the coreMQTT transport
 * contract): a value above 0 is a byte count (progress), 0 means "would block,
 * call again later", and a value below 0 is an ::smtpc_err_t. 0 is never
 * returned after the peer closed: that is ::SMTPC_ERR_NET_CLOSED.
 *
 * Calling context: all ops are called from the context that calls
 * smtpc_client_step() (one task or the lwIP tcpip thread); none may block
 * for longer than the port documents (the ports shipped never block).
 */
#ifndef SMTPC_PORT_H
#define SMTPC_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "smtpc/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Readiness bits, used by wants() functions. */
#define SMTPC_WANT_READ  0x01u /**< progress needs bytes from the peer */
#define SMTPC_WANT_WRITE 0x02u /**< progress needs the transport to accept bytes */
#define SMTPC_WANT_TIMER 0x04u /**< progress needs a deadline to pass */

/** A byte stream (TCP, or TLS over TCP). */
typedef struct smtpc_stream_ops {
    /** Send up to @p len bytes. Returns bytes taken (>0), 0 (would block) or < 0. */
    int32_t (*send)(void *ctx, const uint8_t *buf, size_t len);
    /** Receive up to @p cap bytes. Returns bytes (>0), 0 (would block) or < 0;
     *  an orderly close by the peer is ::SMTPC_ERR_NET_CLOSED. */
    int32_t (*recv)(void *ctx, uint8_t *buf, size_t cap);
    /** Release the stream. Safe to call twice. */
    void (*close)(void *ctx);
} smtpc_stream_ops_t;

/** A stream handle: ops + their context. */
typedef struct {
    const smtpc_stream_ops_t *ops;
    void *ctx;
} smtpc_stream_t;

/** Outgoing TCP connections. One connection at a time per context. */
typedef struct smtpc_net_ops {
    /**
     * Start connecting to @p host (a DNS name or an address literal, NUL
     * terminated, at most ::SMTPC_HOSTNAME_MAX chars) on @p port.
     * @return ::SMTPC_OK when connected (then @p out is valid),
     *         ::SMTPC_IN_PROGRESS when connect_poll() must be called later,
     *         or an error (::SMTPC_ERR_NET_RESOLVE, ::SMTPC_ERR_NET_CONNECT, ...).
     */
    int (*connect)(void *ctx, const char *host, uint16_t port, smtpc_stream_t *out);
    /** Poll a connection in progress: ::SMTPC_OK (then @p out is valid),
     *  ::SMTPC_IN_PROGRESS or an error. */
    int (*connect_poll)(void *ctx, smtpc_stream_t *out);
    /** Optional (NULL: unknown). The address of the peer of the connection
     *  just made, network byte order, into @p addr; @p *len set to 4 or 16.
     *  Called right after connect() or connect_poll() returned ::SMTPC_OK;
     *  used for the receiving-ip of TLS reports. ::SMTPC_OK or an error. */
    int (*peer)(void *ctx, uint8_t addr[16], uint8_t *len);
} smtpc_net_ops_t;

/**
 * TLS over any smtpc stream. This is how STARTTLS works: the driver hands the
 * live plaintext stream to start() after the server's "220".
 */
typedef struct smtpc_tls_ops {
    /**
     * Set up a client session over @p under (which stays owned by the caller).
     * @param sni_host name sent as SNI and, unless @p verify is NONE, checked
     *                 against the certificate's subjectAltName.
     * @return ::SMTPC_OK or an error (::SMTPC_ERR_TLS_NO_MEMORY, ::SMTPC_ERR_TLS_CONFIG).
     */
    int (*start)(void *ctx, const smtpc_stream_t *under, const char *sni_host,
                 smtpc_verify_t verify);
    /**
     * Advance the handshake. ::SMTPC_OK when done, ::SMTPC_IN_PROGRESS with
     * @p wants set to SMTPC_WANT_READ and/or SMTPC_WANT_WRITE, or an error:
     * a certificate rejected under ::SMTPC_VERIFY_REQUIRED gives its own code
     * (::SMTPC_ERR_TLS_CERT_EXPIRED, _UNTRUSTED, _HOSTNAME, _OTHER).
     */
    int (*handshake)(void *ctx, unsigned *wants);
    /** The secured stream, usable after handshake() returned ::SMTPC_OK. */
    smtpc_stream_ops_t stream;
    /** Verdict of the certificate check of the last handshake. */
    smtpc_cert_verdict_t (*verdict)(void *ctx);
    /** End the session (close_notify, best effort) and free its state. Does not
     *  close the under stream. Safe to call twice and without start(). */
    void (*end)(void *ctx);
} smtpc_tls_ops_t;

/**
 * Datagrams to the configured DNS servers. The port keeps the nameserver
 * list; each open() uses a fresh socket with a random source port (RFC 5452
 * §9.2) and recv() returns only datagrams whose source address and port are
 * those of the server opened: spoofed answers from elsewhere never reach core.
 */
typedef struct smtpc_dgram_ops {
    /** Number of configured nameservers (at least 1). */
    unsigned (*server_count)(void *ctx);
    /** Address literal and port of nameserver @p idx, for the TCP retry after
     *  a truncated answer (through the net ops). ::SMTPC_OK or an error. */
    int (*server)(void *ctx, unsigned idx, const char **addr, uint16_t *port);
    /** Open a fresh socket towards nameserver @p idx. ::SMTPC_OK or an error. */
    int (*open)(void *ctx, unsigned idx);
    int32_t (*send)(void *ctx, const uint8_t *buf, size_t len);
    int32_t (*recv)(void *ctx, uint8_t *buf, size_t cap);
    /** Close the socket; safe twice. */
    void (*close)(void *ctx);
} smtpc_dgram_ops_t;

/** Monotonic and wall-clock time. */
typedef struct smtpc_clock_ops {
    /** Monotonic milliseconds; may wrap (deadlines use wrap-safe arithmetic). */
    uint32_t (*now_ms)(void *ctx);
    /** Seconds since the Unix epoch, or 0 when the wall clock is unknown. */
    uint64_t (*utc_s)(void *ctx);
} smtpc_clock_ops_t;

/** Random bytes (DNS ids, TLS entropy in the ports). */
typedef struct smtpc_rng_ops {
    int (*fill)(void *ctx, uint8_t *buf, size_t len);
} smtpc_rng_ops_t;

/** NOR flash with littlefs-style geometry (prog only clears bits). */
typedef struct smtpc_flash_ops {
    int (*read)(void *ctx, uint32_t addr, uint8_t *buf, size_t len);
    int (*prog)(void *ctx, uint32_t addr, const uint8_t *buf, size_t len);
    int (*erase)(void *ctx, uint32_t sector);
    int (*sync)(void *ctx);
    uint32_t read_size, prog_size, sector_size, sector_count;
    uint8_t erased_value;
} smtpc_flash_ops_t;

/** Direction of a transcript event. */
typedef enum {
    SMTPC_TRACE_CLIENT = 0, /**< a command line as sent (AUTH payloads redacted) */
    SMTPC_TRACE_SERVER = 1, /**< raw bytes received from the server (plain or decrypted) */
    SMTPC_TRACE_INFO = 2    /**< a note from the library ("TLS up", "body 1234 bytes") */
} smtpc_trace_dir_t;

/** Transcript hook. Never receives credentials or message body bytes. */
typedef void (*smtpc_trace_fn)(void *arg, smtpc_trace_dir_t dir, const uint8_t *data, size_t len);

struct smtpc_sts_store_ops; /* smtpc/sts.h */

/** Everything the driver needs from the platform, filled once by the integrator. */
typedef struct smtpc_platform {
    const smtpc_net_ops_t *net;
    void *net_ctx;
    const smtpc_tls_ops_t *tls;
    void *tls_ctx;
    const smtpc_clock_ops_t *clock;
    void *clock_ctx;
    const smtpc_rng_ops_t *rng; /**< optional until DNS is used */
    void *rng_ctx;
    const smtpc_dgram_ops_t *dgram; /**< optional: core DNS */
    void *dgram_ctx;
    const smtpc_flash_ops_t *flash; /**< optional: policy cache */
    void *flash_ctx;
    smtpc_trace_fn trace; /**< optional transcript hook */
    void *trace_arg;
    /** optional MTA-STS policy store (smtpc_sts_ram_ops, the flash cache);
     *  NULL: every delivery discovers and fetches afresh */
    const struct smtpc_sts_store_ops *sts_store;
    void *sts_store_ctx;
    smtpc_report_fn report; /**< optional TLS-RPT hook */
    void *report_arg;
} smtpc_platform_t;

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_PORT_H */
