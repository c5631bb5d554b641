/**
 * @file fake_tls.h
 * @brief A TLS layer that encrypts nothing but keeps the contract of
 *        smtpc_tls_ops_t: start() records the under stream, SNI and verify
 *        mode; handshake() returns IN_PROGRESS a chosen number of times, then
 *        OK or a chosen error; verdict() returns a chosen verdict. Its stream
 *        passes bytes through to the under stream and records every byte the
 *        client sent through TLS, so a test can prove that no AUTH, MAIL,
 *        RCPT, DATA or body byte left before the handshake finished.
 */
#ifndef FAKE_TLS_H
#define FAKE_TLS_H

#include <stdbool.h>
#include <stdint.h>

#include "smtpc/port.h"

#include "fake_stream.h"

/* ------------------------------------------------------------------ tls --- */

typedef struct fake_tls {
    /* configuration */
    int start_rc;               /**< what start() returns */
    unsigned handshake_pending; /**< handshake() returns IN_PROGRESS this many times */
    unsigned handshake_wants;   /**< wants reported with IN_PROGRESS */
    int handshake_rc;           /**< then this (SMTPC_OK or an error) */
    smtpc_cert_verdict_t verdict_value;
    bool fail_on_plaintext; /**< handshake fails with SMTPC_ERR_TLS_HANDSHAKE when
                                 plaintext bytes are waiting on the under stream */
    /* observations */
    smtpc_stream_t under;
    char sni[SMTPC_HOSTNAME_MAX + 1];
    smtpc_verify_t verify;
    bool started;
    bool tls_active;
    unsigned start_calls, handshake_calls, end_calls;
    unsigned io_before_active;  /**< stream calls made before the handshake finished */
    uint8_t sent[FAKE_OUT_MAX]; /**< bytes the client sent through TLS */
    size_t sent_len;
    unsigned recv_calls;
} fake_tls_t;

extern const smtpc_tls_ops_t fake_tls_ops;
void fake_tls_init(fake_tls_t *ft);

#endif /* FAKE_TLS_H */
