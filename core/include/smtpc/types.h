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
    SMTPC_STAGE_STS, /**< MTA-STS discovery and policy fetch */
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

/** Buffer for an MTA-STS policy id (1..32 alphanumerics + NUL). */
#define SMTPC_STS_ID_BUF 33

/** How an MX host stood with the policy in force. */
typedef enum {
    SMTPC_MX_NO_POLICY = 0, /**< no policy applied (or mode none) */
    SMTPC_MX_MATCH = 1,     /**< listed by the policy */
    SMTPC_MX_NO_MATCH = 2   /**< not listed: skipped under enforce, used and
                                 reported under testing */
} smtpc_mx_policy_t;

/** What happened with one MX host of the last domain (in MX order). */
typedef struct {
    uint8_t policy;      /**< ::smtpc_mx_policy_t */
    uint8_t tried;       /**< a session was attempted */
    uint8_t level;       /**< ::smtpc_tls_level_t required of it */
    uint8_t tls_reached; /**< ::smtpc_tls_reached_t */
    uint8_t cert;        /**< ::smtpc_cert_verdict_t */
    int16_t err;         /**< outcome of its session (SMTPC_OK: delivered) */
} smtpc_mx_verdict_t;

/** Outcome of one recipient. */
typedef struct {
    int16_t err;    /**< SMTPC_OK when accepted, else the cause (e.g. SMTPC_ERR_SMTP_REJECTED) */
    uint16_t code;  /**< the server's reply code to RCPT (0 if never sent) */
    uint8_t enh[3]; /**< enhanced status class.subject.detail (0.0.0 if none) */
} smtpc_rcpt_result_t;

/** Everything a caller needs to know about how a session ended. */
typedef struct {
    int err;               /**< SMTPC_OK or the error that ended the session */
    uint8_t stage;         /**< ::smtpc_stage_t in which it ended */
    uint8_t tls_reached;   /**< ::smtpc_tls_reached_t */
    uint8_t cert;          /**< ::smtpc_cert_verdict_t of the last handshake */
    uint8_t rcpt_count;    /**< recipients in the envelope */
    uint8_t rcpt_accepted; /**< recipients the server accepted */
    uint16_t reply_code;   /**< last reply code seen (0: none) */
    uint8_t reply_enh[3];  /**< enhanced status of the last reply (0.0.0: none) */
    uint16_t flags;        /**< SMTPC_RESULT_* */
    uint8_t hosts_tried;   /**< servers (MX hosts) a session was attempted with */
    const char *host;      /**< last server tried (points into the client; valid
                                until the next start), NULL if none */
    uint16_t reply_text_len;
    char
        reply_text[SMTPC_REPLY_TEXT_MAX]; /**< excerpt of the last reply text, not NUL-terminated */
    smtpc_rcpt_result_t rcpt[SMTPC_MAX_RCPT];
    /* MTA-STS, for the last policy domain looked at. */
    uint8_t sts_mode;                    /**< mode in force (::smtpc_sts_mode_t; 0 none) */
    uint8_t sts_applied;                 /**< ::smtpc_sts_applied_t: none, cached, fetched */
    uint8_t sts_fetched;                 /**< a policy fetch was attempted */
    int16_t sts_txt_err;                 /**< TXT discovery: SMTPC_OK or why no record was used */
    int16_t sts_fetch_err;               /**< when fetched: SMTPC_OK or why the fetch failed */
    char sts_id[SMTPC_STS_ID_BUF];       /**< id of the policy in force ("" none) */
    uint8_t mx_count;                    /**< entries in @ref mx */
    smtpc_mx_verdict_t mx[SMTPC_MAX_MX]; /**< per MX host, in the order of
                                    the MX list (names: smtpc_client_mx_name()) */
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
/** An MTA-STS policy in mode enforce applied (to any domain of the message):
 *  only listed MX hosts, TLS verified for the MX name. */
#define SMTPC_RESULT_STS_ENFORCED 0x80u
/** An MTA-STS policy in mode testing applied (to any domain of the
 *  message): failures were reported, not enforced. */
#define SMTPC_RESULT_STS_TESTING 0x100u

/* --------------------------------------------------------- TLS reports --- */

/** Kinds of TLS events given to the report hook. */
typedef enum {
    SMTPC_EV_POLICY = 0, /**< the policy decision of a domain (fetch outcome) */
    SMTPC_EV_SESSION = 1 /**< one delivery attempt to one MX host */
} smtpc_event_kind_t;

/** The EHLO lacked STARTTLS but showed an unknown 8-letter keyword in its
 *  place: the signature of a STARTTLS strip (RFC 8460 report material). */
#define SMTPC_EV_F_STRIP 0x01u
/** The MX host did not match the policy. */
#define SMTPC_EV_F_MX_MISMATCH 0x02u
/** Sessions: the policy fetch of this delivery failed and no policy applied
 *  (the failure was reported once, by the policy event). */
#define SMTPC_EV_F_FETCH_FAILED 0x04u

/** What the `_smtp._tls` TXT lookup of the policy domain found. */
typedef enum {
    SMTPC_RPT_UNKNOWN = 0,   /**< not looked up (no report hook, TLS-RPT off) */
    SMTPC_RPT_PUBLISHED = 1, /**< exactly one valid TLSRPT record */
    SMTPC_RPT_ABSENT = 2     /**< none, several, or invalid (RFC 8460 §3) */
} smtpc_rpt_published_t;

/**
 * A TLS event, for the TLS-RPT hook (RFC 8460). Strings are valid during the
 * call only. @ref err is SMTPC_OK for a success, else the named cause.
 */
typedef struct smtpc_tls_event {
    uint8_t kind;          /**< ::smtpc_event_kind_t */
    uint8_t sts_mode;      /**< mode in force (0 none) */
    uint8_t sts_applied;   /**< ::smtpc_sts_applied_t */
    uint8_t cert;          /**< ::smtpc_cert_verdict_t (sessions) */
    uint8_t flags;         /**< SMTPC_EV_F_* */
    int err;               /**< SMTPC_OK or the cause */
    const char *domain;    /**< policy domain */
    const char *policy_id; /**< "" when none */
    const void *policy;    /**< const smtpc_sts_policy_t * in force, or NULL */
    const char *mx_host;   /**< sessions: the MX; policy: "mta-sts.<domain>" */
    uint8_t rpt;           /**< ::smtpc_rpt_published_t for @ref domain */
    uint8_t tls_reached;   /**< sessions: ::smtpc_tls_reached_t */
    uint8_t ip_len;        /**< sessions: 4 or 16 when @ref ip holds the address
                                connected to, 0 unknown */
    uint8_t ip[16];        /**< network byte order */
} smtpc_tls_event_t;

/** Report hook: called by the driver for every policy decision and every
 *  MX session. Must not block. */
typedef void (*smtpc_report_fn)(void *arg, const smtpc_tls_event_t *ev);

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_TYPES_H */
