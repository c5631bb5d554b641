/**
 * @file smtpc_mbedtls.h
 * @brief TLS for smtpc over any smtpc stream, with mbedTLS.
 *
 * This binding implements ::smtpc_tls_ops_t. The TLS records travel over an
 * ::smtpc_stream_t handed to start(): a POSIX socket, an lwIP connection or a
 * test pipe. That is how STARTTLS works: the driver passes the live plaintext
 * stream after the server's "220" and continues over the secured stream. The
 * binding never includes socket or lwIP headers.
 *
 * Lifecycle:
 * - smtpc_mbedtls_init() loads the trust anchors, seeds the DRBG and builds one
 *   mbedTLS client configuration. Call it once (it is the expensive part).
 * - start() / handshake() / stream / end() run one TLS session; end() releases
 *   the session's buffers, so the same ::smtpc_mbedtls_t serves any number of
 *   sessions one after the other (the MTA-STS policy fetch, then the SMTP
 *   session), and peak RAM is that of one session.
 * - smtpc_mbedtls_free() releases everything.
 *
 * Security settings, fixed by the binding: TLS 1.2 minimum (TLS 1.2 is also the
 * maximum with mbedTLS 2.28); ECDHE key exchange (ECDSA or RSA certificates)
 * with AEAD ciphers only (AES-128/256-GCM, ChaCha20-Poly1305), limited to the
 * suites the linked library has compiled in; SNI and host name check through
 * mbedtls_ssl_set_hostname(); no renegotiation; no session tickets.
 *
 * Memory: every mbedTLS context lives inside ::smtpc_mbedtls_t, so the caller
 * decides where it lives (usually a static). Its size depends on the mbedTLS
 * configuration: about 3 KB on a firmware build, but some 40 KB with Debian's
 * library, whose MBEDTLS_HAVEGE_C puts a large pool in the entropy context.
 * The record buffers and the parsed certificates are taken from mbedTLS's
 * allocator: on firmware, build mbedTLS with MBEDTLS_MEMORY_BUFFER_ALLOC_C and
 * hand it a static arena with smtpc_mbedtls_arena_init() before
 * smtpc_mbedtls_init(). Keep
 * MBEDTLS_SSL_IN_CONTENT_LEN at 16384 to interoperate with arbitrary servers;
 * MBEDTLS_SSL_OUT_CONTENT_LEN may be small (we only send SMTP commands and
 * body chunks).
 *
 * Certificate dates on firmware: mbedTLS compares certificate dates with the
 * wall clock through gmtime_r(). newlib's gmtime allocates from the heap, so a
 * newlib build must define MBEDTLS_PLATFORM_GMTIME_R_ALT and provide
 * mbedtls_platform_gmtime_r() (a pure conversion from the clock the board
 * trusts). Without a wall clock (MBEDTLS_HAVE_TIME_DATE unset) mbedTLS skips
 * the date checks entirely, so expired certificates are accepted. Nothing is
 * needed on the host.
 *
 * Calling context: every function here is non-blocking as long as the under
 * stream is; all of them run in the context that steps the smtpc client. One
 * ::smtpc_mbedtls_t is used by one task at a time.
 */
#ifndef SMTPC_MBEDTLS_H
#define SMTPC_MBEDTLS_H

#include <stddef.h>
#include <stdint.h>

#include "mbedtls/ssl.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/entropy.h"
#include "mbedtls/x509_crt.h"

#include "smtpc/port.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Upper bound of the ciphersuites the binding offers (the list is filtered
 *  against the linked library, then terminated by 0). */
#define SMTPC_MBEDTLS_SUITES_MAX 12
/** Upper bound of the key exchange groups offered (filtered, 0-terminated). */
#define SMTPC_MBEDTLS_GROUPS_MAX 4

/** Configuration of smtpc_mbedtls_init(). Read during the call only. */
typedef struct smtpc_mbedtls_cfg {
    /** PEM bundle path (host; needs MBEDTLS_FS_IO), or NULL. */
    const char *ca_file;
    /** PEM or DER trust anchors in memory (firmware), or NULL. PEM must include
     *  the terminating NUL in @ref ca_pem_len, as mbedTLS requires. */
    const uint8_t *ca_pem;
    /** Length of @ref ca_pem in bytes. */
    size_t ca_pem_len;
    /** Optional extra entropy source (firmware), mixed in as a strong source;
     *  NULL: mbedTLS's platform entropy alone. With MBEDTLS_NO_PLATFORM_ENTROPY
     *  this is the only source and must be set. Must stay valid until
     *  smtpc_mbedtls_free(). */
    const smtpc_rng_ops_t *rng;
    /** Context of @ref rng. */
    void *rng_ctx;
    /** mbedTLS debug threshold (0 = off, 1..4 = more). Needs MBEDTLS_DEBUG_C;
     *  lines go to mbedtls_printf(). The threshold is process-wide. */
    unsigned debug_level;
} smtpc_mbedtls_cfg_t;

/**
 * State of the binding: the mbedTLS contexts, inline. Owned by the caller
 * (usually a static); opaque apart from its size. It holds pointers into
 * itself, so it must not be moved or copied after smtpc_mbedtls_init().
 */
typedef struct smtpc_mbedtls {
    mbedtls_ssl_context ssl;                  /**< the current session (valid while started) */
    mbedtls_ssl_config conf;                  /**< client configuration, built once */
    mbedtls_x509_crt cacert;                  /**< trust anchors */
    mbedtls_entropy_context entropy;          /**< entropy pool */
    mbedtls_ctr_drbg_context ctr_drbg;        /**< DRBG seeded from @ref entropy */
    smtpc_stream_t under;                     /**< the stream the records travel on */
    const smtpc_rng_ops_t *rng;               /**< extra entropy source, or NULL */
    void *rng_ctx;                            /**< context of @ref rng */
    int suites[SMTPC_MBEDTLS_SUITES_MAX + 1]; /**< offered ciphersuites */
#if MBEDTLS_VERSION_NUMBER >= 0x03010000
    uint16_t groups[SMTPC_MBEDTLS_GROUPS_MAX + 1]; /**< offered groups (IANA ids) */
#else
    mbedtls_ecp_group_id groups[SMTPC_MBEDTLS_GROUPS_MAX + 1]; /**< offered curves */
#endif
    int err;            /**< sticky smtpc error of the session, 0 while healthy */
    int32_t under_err;  /**< last error the under stream returned */
    size_t pending_len; /**< plaintext bytes encrypted but not yet flushed */
    uint8_t verdict;    /**< ::smtpc_cert_verdict_t of the last handshake */
    uint8_t want;       /**< SMTPC_WANT_* of the last call that returned 0 / IN_PROGRESS */
    uint8_t flags;      /**< internal state bits */
} smtpc_mbedtls_t;

/**
 * @brief Initialise the binding: trust anchors, DRBG and client configuration.
 *
 * @param[out] t   State to initialise (any content; fully overwritten).
 * @param[in]  cfg Configuration; read during the call only, except @c rng and
 *                 @c rng_ctx, which must outlive @p t.
 * @return ::SMTPC_OK; ::SMTPC_ERR_BAD_ARG for NULL pointers;
 *         ::SMTPC_ERR_TLS_NO_MEMORY when mbedTLS's allocator ran out;
 *         ::SMTPC_ERR_TLS_CONFIG for anything else (no certificate could be
 *         parsed from a given CA source, the DRBG could not be seeded, no
 *         acceptable ciphersuite is compiled in). On error @p t holds no
 *         resources. Not having any CA is allowed: then only
 *         ::SMTPC_VERIFY_OPTIONAL and ::SMTPC_VERIFY_NONE sessions can succeed.
 *
 * Blocking: reads @c ca_file and gathers platform entropy; call it once at
 * start-up, not per session.
 */
int smtpc_mbedtls_init(smtpc_mbedtls_t *t, const smtpc_mbedtls_cfg_t *cfg);

/**
 * @brief Release everything held by @p t (ends a running session first).
 *
 * Safe on a zeroed struct, after a failed smtpc_mbedtls_init(), and twice.
 * Does not close the under stream.
 */
void smtpc_mbedtls_free(smtpc_mbedtls_t *t);

/**
 * @brief What the last call that could not progress was waiting for.
 *
 * After handshake() returned ::SMTPC_IN_PROGRESS, or a stream send/recv
 * returned 0: SMTPC_WANT_READ or SMTPC_WANT_WRITE (a TLS stream may need to
 * write in order to read, and the reverse). 0 otherwise.
 */
unsigned smtpc_mbedtls_wants(const smtpc_mbedtls_t *t);

/**
 * @brief Whether decrypted or buffered bytes are waiting inside the session.
 *
 * A recv() with a small @c cap can leave plaintext in mbedTLS's buffer, and
 * the under stream will then not signal readability for it. A caller that
 * sleeps on the under stream's readiness must drain recv() until it returns 0,
 * or check this first.
 * @return 1 if recv() would return data without reading the under stream, else 0.
 */
int smtpc_mbedtls_pending(const smtpc_mbedtls_t *t);

/**
 * The TLS ops, for ::smtpc_platform_t.tls; the ctx is a ::smtpc_mbedtls_t *
 * initialised with smtpc_mbedtls_init().
 *
 * - start(): @c sni_host is required (and checked against the certificate)
 *   unless verify is ::SMTPC_VERIFY_NONE; at most 255 characters. Returns
 *   ::SMTPC_ERR_STATE if a session is already running (end() it first).
 * - handshake(): ::SMTPC_OK, ::SMTPC_IN_PROGRESS (see @c wants), or:
 *   the certificate errors (under ::SMTPC_VERIFY_REQUIRED),
 *   ::SMTPC_ERR_TLS_VERSION (protocol version refused by either side),
 *   ::SMTPC_ERR_TLS_CIPHER (handshake_failure or insufficient_security alert
 *   from the server: in practice no shared ciphersuite or group),
 *   ::SMTPC_ERR_TLS_NO_MEMORY, ::SMTPC_ERR_NET_CLOSED (under stream closed),
 *   ::SMTPC_ERR_TLS_IO (other under stream error), ::SMTPC_ERR_TLS_HANDSHAKE
 *   (anything else). Errors are sticky until end().
 * - stream.send(): bytes taken, 0 (would block: call again later offering at
 *   least the same bytes, since they may already be encrypted), or
 *   ::SMTPC_ERR_NET_CLOSED / ::SMTPC_ERR_TLS_IO.
 * - stream.recv(): bytes, 0 (would block), ::SMTPC_ERR_NET_CLOSED on
 *   close_notify or when the peer closed the under stream, ::SMTPC_ERR_TLS_IO.
 * - stream.close(): same as end().
 * - verdict(): from the certificate check of the last handshake, kept after
 *   end() until the next start(). ::SMTPC_CERT_NOT_CHECKED under
 *   ::SMTPC_VERIFY_NONE or before a certificate was seen.
 * - end(): sends close_notify (best effort: one attempt, never waits) unless
 *   the session failed, then frees the session; the configuration, trust
 *   anchors and DRBG stay. Safe twice and without start(). The under stream is
 *   not closed.
 */
extern const smtpc_tls_ops_t smtpc_mbedtls_tls_ops;

/**
 * @brief Route mbedTLS's allocations to a static arena.
 *
 * Available when mbedTLS is built with MBEDTLS_MEMORY_BUFFER_ALLOC_C; it is
 * process-wide (mbedtls_memory_buffer_alloc_init()). Call it before
 * smtpc_mbedtls_init() and never while a session runs.
 * @param[in] buf Arena; must outlive every use of mbedTLS.
 * @param[in] len Size of @p buf in bytes.
 * @return ::SMTPC_OK, ::SMTPC_ERR_BAD_ARG, or ::SMTPC_ERR_TLS_CONFIG when the
 *         buffer allocator is not compiled into mbedTLS.
 */
int smtpc_mbedtls_arena_init(uint8_t *buf, size_t len);

/**
 * @brief Current and peak bytes in use in the arena (block headers included).
 *
 * Needs MBEDTLS_MEMORY_BUFFER_ALLOC_C and MBEDTLS_MEMORY_DEBUG in mbedTLS.
 * @param[out] cur  Bytes in use now (may be NULL).
 * @param[out] peak High-water mark since smtpc_mbedtls_arena_init() (may be NULL).
 * @return ::SMTPC_OK or ::SMTPC_ERR_TLS_CONFIG when not compiled in.
 */
int smtpc_mbedtls_arena_stats(size_t *cur, size_t *peak);

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_MBEDTLS_H */
