/**
 * @file smtp.h
 * @brief The SMTP session engine (sans-I/O): RFC 5321, 3207, 4954, 2920,
 *        6152, 6531, 1870.
 *
 * The engine produces the bytes to send and consumes the bytes received; it
 * never touches a socket, a clock or TLS. The driver (smtpc_client) moves the
 * bytes, performs the TLS handshake when the engine asks for it, pulls the
 * message body from the caller, and enforces the deadlines of each stage.
 *
 * Fail closed is a property of the state machine: while the session's
 * required TLS level is not reached, the engine cannot emit AUTH, MAIL, RCPT,
 * DATA or body bytes; the only ways forward are STARTTLS or an error.
 *
 * Wire side, BearSSL style: smtpc_smtp_tx_buf() / smtpc_smtp_tx_ack() for
 * bytes to send, smtpc_smtp_rx_buf() / smtpc_smtp_rx_ack() for bytes
 * received. smtpc_smtp_wants() says what the engine needs next.
 * Errors are sticky: once failed, every call keeps reporting the same error.
 */
#ifndef SMTPC_SMTP_H
#define SMTPC_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smtpc/port.h"
#include "smtpc/reply.h"
#include "smtpc/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * XOAUTH2 token source: set @p *tok / @p *len to the bearer token (valid until
 * the session ends). Return ::SMTPC_OK or an error (ends the session).
 */
typedef int (*smtpc_token_fn)(void *arg, const char **tok, size_t *len);

/** Per-session SMTP settings. Strings are NUL-terminated and must outlive the session. */
typedef struct smtpc_session_cfg {
    const char *helo_name;       /**< EHLO/HELO argument (FQDN or address literal) */
    smtpc_tls_mode_t tls_mode;   /**< STARTTLS, IMPLICIT or NONE */
    smtpc_tls_level_t tls_level; /**< level required before AUTH/MAIL */
    const char *user;            /**< AUTH identity; NULL: no AUTH */
    const char *pass;            /**< password for PLAIN/LOGIN */
    smtpc_token_fn token;        /**< XOAUTH2 token source; NULL: no XOAUTH2 */
    void *token_arg;
    uint8_t auth_mechs; /**< SMTPC_AUTH_* the caller allows; 0: every mechanism compiled in */
    bool pipelining;    /**< use PIPELINING when advertised (needs SMTPC_ENABLE_PIPELINING) */
} smtpc_session_cfg_t;

/** Envelope flags. */
#define SMTPC_ENV_8BITMIME 0x01u /**< the body has 8-bit bytes: BODY=8BITMIME (RFC 6152) */
/** UTF-8 headers/addresses (RFC 6531); set automatically when an address
 *  has a non-ASCII byte. */
#define SMTPC_ENV_SMTPUTF8 0x02u

/** Envelope of one message. Strings are NUL-terminated and outlive the session. */
typedef struct smtpc_envelope {
    const char *from;      /**< reverse-path without <>; "" for the null path */
    const char *const *to; /**< recipients without <> */
    size_t to_count;       /**< 1..SMTPC_MAX_RCPT */
    uint32_t size_hint;    /**< message size for SIZE= (0: unknown) */
    uint8_t flags;         /**< SMTPC_ENV_* */
} smtpc_envelope_t;

/** What the engine needs next (bit set). */
#define SMTPC_SMTP_WANT_READ  0x01u /**< bytes from the server (rx_buf/rx_ack) */
#define SMTPC_SMTP_WANT_WRITE 0x02u /**< bytes are waiting in tx_buf */
#define SMTPC_SMTP_WANT_TLS   0x04u /**< do the TLS handshake now, then smtpc_smtp_tls_up() */
#define SMTPC_SMTP_WANT_BODY  0x08u /**< feed body bytes with smtpc_smtp_body() */
#define SMTPC_SMTP_WANT_DONE  0x10u /**< finished: see smtpc_smtp_status() */

/** Engine state. Treat as opaque. */
typedef struct smtpc_smtp {
    const smtpc_session_cfg_t *cfg;
    const smtpc_envelope_t *env;
    smtpc_result_t *res;
    smtpc_trace_fn trace;
    void *trace_arg;
    uint8_t *tx;
    size_t tx_cap, tx_len, tx_off;
    uint8_t *rx;
    size_t rx_cap, rx_len, rx_off;
    smtpc_reply_t reply;
    int status;    /* IN_PROGRESS, OK or sticky error */
    int final_err; /* error to report once QUIT is out */
    uint8_t state;
    uint8_t stage;
    uint8_t tls_active;
    uint8_t tls_verified;
    uint8_t use_pipelining;
    uint8_t auth_mech;
    uint8_t auth_step;
    uint8_t need_utf8;
    uint16_t caps;
    uint8_t mechs;
    uint32_t size_max;
    /* transaction: commands 0 = MAIL, 1..n = RCPT, n+1 = DATA */
    uint16_t cmd_next, cmd_wait;
    /* body */
    uint8_t body_at_bol, body_prev_cr, body_eof;
    uint16_t body_line_len;
    uint32_t body_bytes;
    /* base64 stream for AUTH */
    const uint8_t *seg_p[5];
    size_t seg_n[5];
    uint8_t seg_count, seg_idx;
    size_t seg_off;
} smtpc_smtp_t;

/**
 * @brief Prepare an engine for one session.
 * @param res    Result to fill (cleared here); must outlive the session.
 * @param tx,rx  Caller buffers (tx ≥ 512 bytes, rx ≥ 16 bytes).
 * @return ::SMTPC_OK, ::SMTPC_ERR_BAD_ARG, ::SMTPC_ERR_BAD_ADDRESS (an address
 *         or the EHLO name has CR, LF, NUL, '<' or '>' or is too long),
 *         ::SMTPC_ERR_TOO_MANY_RCPT, or ::SMTPC_ERR_PLAINTEXT_FORBIDDEN (mode
 *         NONE without ::SMTPC_TLS_PLAINTEXT_ALLOWED).
 */
int smtpc_smtp_init(smtpc_smtp_t *s, const smtpc_session_cfg_t *cfg, const smtpc_envelope_t *env,
                    smtpc_result_t *res, uint8_t *tx, size_t tx_cap, uint8_t *rx, size_t rx_cap);

/** Set the transcript hook (optional). */
void smtpc_smtp_set_trace(smtpc_smtp_t *s, smtpc_trace_fn fn, void *arg);

/** ::SMTPC_SMTP_WANT_* bits. */
unsigned smtpc_smtp_wants(const smtpc_smtp_t *s);

/** ::SMTPC_IN_PROGRESS, ::SMTPC_OK or the (sticky) error. */
int smtpc_smtp_status(const smtpc_smtp_t *s);

/** Current ::smtpc_stage_t (drives the driver's deadlines). */
smtpc_stage_t smtpc_smtp_stage(const smtpc_smtp_t *s);

/** Bytes waiting to be sent (NULL and 0 when none). */
const uint8_t *smtpc_smtp_tx_buf(const smtpc_smtp_t *s, size_t *len);

/** @p n bytes of smtpc_smtp_tx_buf() were sent. */
void smtpc_smtp_tx_ack(smtpc_smtp_t *s, size_t n);

/** Where to put received bytes, and how many fit (NULL and 0 when none). */
uint8_t *smtpc_smtp_rx_buf(smtpc_smtp_t *s, size_t *cap);

/** @p n bytes were written to smtpc_smtp_rx_buf(): parse them.
 *  @return smtpc_smtp_status() afterwards. */
int smtpc_smtp_rx_ack(smtpc_smtp_t *s, size_t n);

/**
 * @brief The TLS handshake asked for by ::SMTPC_SMTP_WANT_TLS completed.
 * @param verdict the certificate verdict; at ::SMTPC_TLS_VERIFIED anything but
 *                ::SMTPC_CERT_OK fails the session with the matching error.
 * @return smtpc_smtp_status() afterwards.
 */
int smtpc_smtp_tls_up(smtpc_smtp_t *s, smtpc_cert_verdict_t verdict);

/**
 * @brief Feed message bytes (RFC 5322 text, any line endings) after DATA.
 *
 * Bare CR and bare LF become CRLF, lines starting with '.' are dot-stuffed
 * (RFC 5321 §4.5.2), and a line longer than ::SMTPC_BODY_LINE_MAX ends the
 * session with ::SMTPC_ERR_BODY_LINE_TOO_LONG before the end-of-data mark is
 * sent (close the connection then: the server discards the partial message).
 * @param eof true with the last bytes (or alone): the end-of-data mark follows.
 * @return bytes consumed (may be less than @p len when the tx buffer is full).
 */
size_t smtpc_smtp_body(smtpc_smtp_t *s, const uint8_t *data, size_t len, bool eof);

/** End the session with @p err (sticky), e.g. on a transport error or timeout. */
void smtpc_smtp_fail(smtpc_smtp_t *s, int err);

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_SMTP_H */
