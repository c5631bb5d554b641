/**
 * @file types.h
 * @brief Types shared by the public smtpc APIs: TLS levels and modes, session
 *        stages, certificate verdicts and the delivery result.
 */
#ifndef SMTPC_TYPES_H
#define SMTPC_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smtpc/err.h"
#include "smtpc/opts.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * TLS requirement level of a session, resolved before connecting.
 * AUTH, MAIL, RCPT and body bytes are impossible before the level is reached.
 */
typedef enum {
    /** Plaintext is acceptable. Only ever set explicitly by the caller. With
     *  ::SMTPC_TLS_STARTTLS the client still upgrades when STARTTLS is offered. */
    SMTPC_TLS_PLAINTEXT_ALLOWED = 0,
    /** TLS must be up; an invalid certificate is tolerated but recorded. */
    SMTPC_TLS_ENCRYPTED = 1,
    /** TLS must be up with a valid chain and host name (RFC 6125). */
    SMTPC_TLS_VERIFIED = 2
} smtpc_tls_level_t;

/** How TLS is started on the connection. */
typedef enum {
    SMTPC_TLS_STARTTLS = 0, /**< RFC 3207 upgrade (port 587 and 25). */
    SMTPC_TLS_IMPLICIT = 1, /**< TLS from the first byte (RFC 8314, port 465). */
    SMTPC_TLS_NONE = 2      /**< Never TLS: needs ::SMTPC_TLS_PLAINTEXT_ALLOWED. */
} smtpc_tls_mode_t;

/** Certificate verification requested from the TLS port. */
typedef enum {
    SMTPC_VERIFY_NONE = 0,     /**< No check at all (not used by the driver). */
    SMTPC_VERIFY_OPTIONAL = 1, /**< Check and record the verdict, do not fail. */
    SMTPC_VERIFY_REQUIRED = 2  /**< Check chain and host name; fail the handshake. */
} smtpc_verify_t;

/** What the certificate check concluded (maps to RFC 8460 result types). */
typedef enum {
    SMTPC_CERT_NOT_CHECKED = 0,
    SMTPC_CERT_OK = 1,
    SMTPC_CERT_EXPIRED = 2,
    SMTPC_CERT_NOT_YET_VALID = 3,
    SMTPC_CERT_UNTRUSTED = 4,
    SMTPC_CERT_HOSTNAME = 5,
    SMTPC_CERT_OTHER = 6
} smtpc_cert_verdict_t;

/** Session stages, for results and deadlines. */
typedef enum {
    SMTPC_STAGE_NONE = 0,
    SMTPC_STAGE_DNS,
    SMTPC_STAGE_CONNECT,
    SMTPC_STAGE_TLS_IMPLICIT,
    SMTPC_STAGE_GREETING,
    SMTPC_STAGE_EHLO,
    SMTPC_STAGE_STARTTLS,
    SMTPC_STAGE_TLS_HANDSHAKE,
    SMTPC_STAGE_EHLO_TLS,
    SMTPC_STAGE_AUTH,
    SMTPC_STAGE_MAIL,
    SMTPC_STAGE_RCPT,
    SMTPC_STAGE_DATA,
    SMTPC_STAGE_BODY,
    SMTPC_STAGE_DATA_END,
    SMTPC_STAGE_QUIT,
    SMTPC_STAGE_DONE,
    SMTPC_STAGE_COUNT_
} smtpc_stage_t;

/** Name of a stage ("EHLO", "STARTTLS", ...). Static string, never NULL. */
const char *smtpc_stage_name(int stage);

/** Name of a certificate verdict ("ok", "expired", ...). Static, never NULL. */
const char *smtpc_cert_name(int verdict);

/** TLS level actually reached by a session. */
typedef enum {
    SMTPC_REACHED_NONE = 0,      /**< plaintext */
    SMTPC_REACHED_ENCRYPTED = 1, /**< TLS up, certificate not valid or not checked */
    SMTPC_REACHED_VERIFIED = 2   /**< TLS up, certificate valid for the host */
} smtpc_tls_reached_t;

/** Outcome of one recipient. */
typedef struct {
    int16_t err;    /**< SMTPC_OK when accepted, else the cause (e.g. SMTPC_ERR_SMTP_REJECTED) */
    uint16_t code;  /**< the server's reply code to RCPT (0 if never sent) */
    uint8_t enh[3]; /**< enhanced status class.subject.detail (0.0.0 if none) */
} smtpc_rcpt_result_t;

/** Everything a caller needs to know about how a session ended. */
typedef struct {
    int err;                /**< SMTPC_OK or the error that ended the session */
    uint8_t stage;          /**< ::smtpc_stage_t in which it ended */
    uint8_t tls_reached;    /**< ::smtpc_tls_reached_t */
    uint8_t cert;           /**< ::smtpc_cert_verdict_t of the last handshake */
    uint8_t rcpt_count;     /**< recipients in the envelope */
    uint8_t rcpt_accepted;  /**< recipients the server accepted */
    uint16_t reply_code;    /**< last reply code seen (0: none) */
    uint8_t reply_enh[3];   /**< enhanced status of the last reply (0.0.0: none) */
    uint8_t flags;          /**< SMTPC_RESULT_* */
    uint8_t hosts_tried;    /**< servers (MX hosts) a session was attempted with */
    const char *host;       /**< last server tried (points into the client; valid
                                 until the next start), NULL if none */
    uint16_t reply_text_len;
    char reply_text[SMTPC_REPLY_TEXT_MAX]; /**< excerpt of the last reply text, not NUL-terminated */
    smtpc_rcpt_result_t rcpt[SMTPC_MAX_RCPT];
} smtpc_result_t;

/** The server advertised STARTTLS (on the plaintext EHLO). */
#define SMTPC_RESULT_STARTTLS_OFFERED 0x01u
/** AUTH succeeded. */
#define SMTPC_RESULT_AUTHENTICATED 0x02u
/** The message was accepted after the end of data (queued by the server). */
#define SMTPC_RESULT_ACCEPTED 0x04u
/** PIPELINING was used. */
#define SMTPC_RESULT_PIPELINED 0x08u
/** The wall clock was unknown (certificate dates could not be trusted). */
#define SMTPC_RESULT_CLOCK_UNKNOWN 0x10u
/** Another MX would have been tried, but the body source cannot rewind. */
#define SMTPC_RESULT_NO_REWIND 0x20u
/** MX delivery used the implicit MX (no MX records: the domain itself). */
#define SMTPC_RESULT_IMPLICIT_MX 0x40u

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_TYPES_H */
