/**
 * @file upload.h
 * @brief HTTPS POST of a TLS-RPT report to an `https:` rua (RFC 8460 §5.4).
 *
 * A small non-blocking step engine over the platform's net, TLS and clock
 * ops (the same ops the SMTP driver and the MTA-STS fetch use): connect,
 * TLS (chain and host name verified unless the caller relaxes it: RFC 8460
 * §3 says submitters MAY ignore certificate errors, smtpc does not by
 * default), send the request written by smtpc_http_req_build() followed by
 * the body, read the status line with the core HTTP parser. Any 2xx is
 * success (§5.4: "typically 200 or 201"); 1xx interim responses are
 * skipped; anything else is a failure with the status kept in
 * smtpc_upload_t::status. The response body is not read: once the status of
 * the final response is known the connection is closed.
 *
 * The body is sent from the caller's buffer (not copied); the request head
 * and the received bytes use @p buf. One upload per ::smtpc_upload_t; not
 * thread-safe. Pure core code: no heap, no stdio.
 *
 * @code
 *   smtpc_upload_io_t io = {&net_ops, &net, &tls_ops, &tls, &clock_ops, NULL};
 *   smtpc_upload_start(&u, &io, "reports.example", 443, "/tlsrpt",
 *                      "application/tlsrpt+gzip", gz, gz_len, buf, sizeof(buf));
 *   while ((rc = smtpc_upload_step(&u)) == SMTPC_IN_PROGRESS) { wait on
 *       smtpc_upload_wants() }
 * @endcode
 */
#ifndef SMTPC_UPLOAD_H
#define SMTPC_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "smtpc/err.h"
#include "smtpc/http.h"
#include "smtpc/opts.h"
#include "smtpc/port.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Default budget of one upload (connect to status line), ms. */
#ifndef SMTPC_UPLOAD_TIMEOUT_MS
#define SMTPC_UPLOAD_TIMEOUT_MS 30000u
#endif

/** What the upload engine needs from the platform. */
typedef struct smtpc_upload_io {
    const smtpc_net_ops_t *net; /**< required */
    void *net_ctx;
    const smtpc_tls_ops_t *tls; /**< required */
    void *tls_ctx;
    const smtpc_clock_ops_t *clock; /**< required (now_ms for the deadline) */
    void *clock_ctx;
    smtpc_trace_fn trace; /**< optional notes ("status 201") */
    void *trace_arg;
    uint8_t allow_cert_errors; /**< 0 (default): ::SMTPC_VERIFY_REQUIRED;
                                    1: ::SMTPC_VERIFY_OPTIONAL, the verdict
                                    is kept in smtpc_upload_t::verdict */
    uint32_t timeout_ms;       /**< 0: ::SMTPC_UPLOAD_TIMEOUT_MS */
} smtpc_upload_io_t;

/** One upload. Caller-owned; fields below are readable after the end. */
typedef struct smtpc_upload {
    const smtpc_upload_io_t *io;
    smtpc_http_parser_t http;
    smtpc_stream_t tcp;
    smtpc_stream_t tls;
    const uint8_t *body;
    uint32_t body_len;
    uint32_t off; /**< bytes of the current piece sent */
    uint8_t *buf;
    size_t buf_cap;
    uint32_t head_len; /**< request head length in @ref buf */
    uint32_t t_start;
    uint16_t port;
    uint16_t status; /**< HTTP status of the final response, 0 none */
    uint8_t state;
    uint8_t skip; /**< 1xx header skipping state */
    uint8_t tcp_open;
    uint8_t tls_open;
    uint8_t verdict; /**< ::smtpc_cert_verdict_t of the handshake */
    unsigned io_wants;
    int rc; /**< final result once done */
    char host[SMTPC_HOSTNAME_MAX + 1];
} smtpc_upload_t;

/**
 * @brief Start a POST of @p body to `https://host:port/target`.
 * @param host   DNS name (letters, digits, '-', '.'), sent as SNI and Host
 *               (without the port) and checked in the certificate
 * @param target absolute path and query, starting with '/'
 * @param ctype  Content-Type, e.g. "application/tlsrpt+gzip"
 * @param buf    scratch for the request head and the response, at least
 *               ::SMTPC_UPLOAD_BUF_MIN bytes and large enough for the head
 * @return ::SMTPC_IN_PROGRESS, ::SMTPC_ERR_BAD_ARG, ::SMTPC_ERR_NO_SPACE
 *         (@p buf cannot hold the request head).
 */
int smtpc_upload_start(smtpc_upload_t *u, const smtpc_upload_io_t *io, const char *host,
                       uint16_t port, const char *target, const char *ctype, const uint8_t *body,
                       size_t body_len, uint8_t *buf, size_t buf_cap);

/** Smallest @p buf of smtpc_upload_start(). */
#define SMTPC_UPLOAD_BUF_MIN 256u

/**
 * @brief Make progress without blocking.
 * @return ::SMTPC_IN_PROGRESS; ::SMTPC_OK (a 2xx status); or the error that
 *         ended the upload: a connect or TLS error (a certificate rejected
 *         gives its own code), ::SMTPC_ERR_HTTP_STATUS /
 *         ::SMTPC_ERR_HTTP_REDIRECT (read @c status),
 *         ::SMTPC_ERR_HTTP_SYNTAX, ::SMTPC_ERR_NET_CLOSED (no status line),
 *         ::SMTPC_ERR_TIMEOUT. Once ended, returns the same result.
 */
int smtpc_upload_step(smtpc_upload_t *u);

/** SMTPC_WANT_* bits and the deadline by which step() must run again. */
unsigned smtpc_upload_wants(const smtpc_upload_t *u, uint32_t *deadline_ms);

/** Abort: release TLS and the connection. Safe twice and after the end. */
void smtpc_upload_stop(smtpc_upload_t *u);

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_UPLOAD_H */
