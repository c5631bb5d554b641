/**
 * @file client.h
 * @brief The smtpc driver: deliver one message, step by step, never blocking.
 *
 * The driver composes the engines with the platform's ops: it connects,
 * starts TLS (implicit or STARTTLS) over the live stream, runs the SMTP
 * session engine, pulls the message body from the caller's source, enforces
 * a deadline for every stage plus an overall deadline, and fills a result
 * that names the cause of any failure.
 *
 * Typical use (see port/posix/smtpc_posix.h for a blocking helper):
 * @code
 *   static smtpc_client_t c;
 *   static smtpc_client_mem_t mem;
 *   smtpc_client_init(&c, &cfg, &platform, &mem);
 *   smtpc_client_start(&c, &env, &body);
 *   while ((rc = smtpc_client_step(&c)) == SMTPC_IN_PROGRESS) {
 *       unsigned w = smtpc_client_wants(&c, &deadline_ms);
 *       ... wait for w (READ/WRITE on the socket) or until deadline_ms ...
 *   }
 *   const smtpc_result_t *r = smtpc_client_result(&c);
 * @endcode
 *
 * Context: one task (or the lwIP tcpip thread) owns a client; the functions
 * are not re-entrant for the same client. Different clients are independent.
 */
#ifndef SMTPC_CLIENT_H
#define SMTPC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smtpc/dns.h"
#include "smtpc/port.h"
#include "smtpc/smtp.h"
#include "smtpc/sts.h"
#include "smtpc/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Per-stage deadlines in ms; 0 takes the SMTPC_TIMEOUT_* default of opts.h. */
typedef struct smtpc_timeouts {
    uint32_t connect_ms;
    uint32_t greeting_ms;
    uint32_t command_ms; /**< EHLO, STARTTLS, AUTH, MAIL, RCPT, QUIT */
    uint32_t tls_ms;
    uint32_t data_init_ms;
    uint32_t data_block_ms; /**< without send progress during the body */
    uint32_t data_end_ms;
    uint32_t total_ms;     /**< whole session */
    uint32_t sts_fetch_ms; /**< MTA-STS policy fetch (SMTPC_STS_FETCH_TIMEOUT_MS) */
} smtpc_timeouts_t;

/** How the client finds its server. */
typedef enum {
    /** One configured server (a submission server or a smarthost). */
    SMTPC_MODE_SUBMISSION = 0,
    /** Direct delivery: each recipient domain's MX hosts (RFC 5321 §5.1),
     *  found with the core DNS resolver (needs the dgram and rng ops). */
    SMTPC_MODE_MX = 1
} smtpc_mode_t;

/** Client configuration. Strings are NUL-terminated and outlive the client. */
typedef struct smtpc_client_cfg {
    smtpc_mode_t mode;           /**< SUBMISSION (default) or MX */
    const char *host;            /**< SUBMISSION: the server (name or literal); MX: unused */
    uint16_t port;               /**< 0: 587 (465 for implicit TLS) in SUBMISSION, 25 in MX */
    smtpc_session_cfg_t session; /**< TLS mode and level, EHLO name, AUTH */
    smtpc_timeouts_t timeouts;
    /** MX mode: MTA-STS (RFC 8461) is applied to every recipient domain
     *  unless this is set (not recommended: it re-opens downgrade attacks). */
    uint8_t sts_off;
    /** SUBMISSION mode through a smarthost: apply this domain's MTA-STS
     *  policy to the configured host (RFC 8461 §3.4: the smarthost's domain
     *  is the policy domain). NULL: no MTA-STS in SUBMISSION mode. */
    const char *sts_domain;
    /** Do not look up `_smtp._tls.<domain>` even with a report hook (events
     *  then carry rpt = SMTPC_RPT_UNKNOWN and are not counted by the TLS-RPT
     *  log). The lookup is made only when smtpc_platform_t::report is set. */
    uint8_t tlsrpt_off;
} smtpc_client_cfg_t;

/**
 * Body source: the driver pulls the message (RFC 5322 header + body) in chunks,
 * never needing it whole in RAM.
 */
typedef struct smtpc_body_src {
    /**
     * Copy up to @p cap bytes into @p buf; set @p *len (0 allowed) and @p *eof
     * (true once the last byte was given). *len == 0 && !*eof means "not ready,
     * ask again later". Return ::SMTPC_OK or an error (ends the session,
     * ::SMTPC_ERR_BODY_SOURCE is a good choice). Must not block for long.
     */
    int (*read)(void *arg, uint8_t *buf, size_t cap, size_t *len, bool *eof);
    /** Start again from the first byte (optional; NULL: one attempt only). */
    int (*rewind)(void *arg);
    void *arg;
} smtpc_body_src_t;

/** Buffers of a client, sized by opts.h: `static smtpc_client_mem_t mem;` is enough. */
typedef struct smtpc_client_mem {
    uint8_t tx[SMTPC_TX_BUF_SIZE];
    uint8_t rx[SMTPC_RX_BUF_SIZE];
    uint8_t body[SMTPC_BODY_CHUNK_SIZE];
#if SMTPC_ENABLE_MX
    /** A DNS query, or the policy body being fetched (never both at once). */
    union {
        smtpc_dns_t dns;
        uint8_t sts_body[SMTPC_STS_POLICY_MAX];
    } q;
    smtpc_mx_list_t mx; /**< MX mode: hosts of the current domain */
    smtpc_sts_t sts;    /**< MTA-STS discovery and the policy in force */
#endif
} smtpc_client_mem_t;

/** The client. Treat as opaque; place it where you like (static, task stack). */
typedef struct smtpc_client {
    const smtpc_client_cfg_t *cfg;
    const smtpc_platform_t *plat;
    smtpc_client_mem_t *mem;
    smtpc_smtp_t smtp;
    smtpc_result_t result; /**< aggregate over every session */
    smtpc_result_t sres;   /**< the current session */
    smtpc_envelope_t env;  /**< the whole message */
    smtpc_envelope_t sub;  /**< the recipients of the current domain */
    const char *sub_to[SMTPC_MAX_RCPT];
    uint8_t sub_map[SMTPC_MAX_RCPT];
    uint8_t rcpt_done[SMTPC_MAX_RCPT];
#if SMTPC_ENABLE_MX
    smtpc_dns_io_t dns_io;
    smtpc_sts_io_t sts_io;
    char domain[SMTPC_DNS_NAME_BUF]; /**< current policy domain (A-label) */
#endif
    smtpc_session_cfg_t scfg;           /**< the current session's settings (policy-raised) */
    const char *host;                   /**< server of the current session */
    char host_copy[SMTPC_DNS_NAME_BUF]; /**< the server named in the result */
    uint8_t mx_idx;
    uint8_t sts_on;       /**< MTA-STS applies to the current domain */
    uint8_t rpt;          /**< ::smtpc_rpt_published_t of the current domain */
    uint8_t rpt_query;    /**< the DNS phase is the `_smtp._tls` lookup */
    uint8_t rpt_cand;     /**< TLSRPT candidates seen in its answer */
    uint8_t rpt_valid;    /**< of those, valid ones */
    uint8_t fetch_failed; /**< the policy fetch failed and no policy applied */
    uint8_t peer_len;     /**< address of the current session's peer (0 unknown) */
    uint8_t peer[16];
    uint8_t body_used;
    uint8_t expired;
    int last_err;
    uint8_t last_stage;
    smtpc_body_src_t body;
    smtpc_stream_t tcp;
    smtpc_stream_t tls;
    int status;
    uint8_t phase;
    uint8_t stage;
    uint8_t tcp_open;
    uint8_t tls_open;
    uint8_t body_eof;
    uint8_t body_wait;
    uint8_t busy;
    unsigned io_wants;
    uint16_t body_len, body_off;
    uint32_t t_start, t_stage;
    uint32_t stage_budget;
} smtpc_client_t;

/**
 * @brief Initialise a client. Cannot fail except on bad arguments.
 * @param cfg      Configuration; must outlive the client.
 * @param platform Port ops (net, tls, clock required); must outlive the client.
 * @param mem      Buffers; must outlive the client.
 * @return ::SMTPC_OK or ::SMTPC_ERR_BAD_ARG.
 */
int smtpc_client_init(smtpc_client_t *c, const smtpc_client_cfg_t *cfg,
                      const smtpc_platform_t *platform, smtpc_client_mem_t *mem);

/**
 * @brief Start delivering one message. The envelope is copied (its strings
 * are not); the body source is copied.
 * @return ::SMTPC_IN_PROGRESS, or an argument error (also in the result).
 */
int smtpc_client_start(smtpc_client_t *c, const smtpc_envelope_t *env,
                       const smtpc_body_src_t *body);

/**
 * @brief Make all progress possible now, without blocking.
 * @return ::SMTPC_IN_PROGRESS (call again when smtpc_client_wants() is met),
 *         ::SMTPC_OK (delivered: every recipient and the message accepted), or
 *         a negative error (details in smtpc_client_result()).
 */
int smtpc_client_step(smtpc_client_t *c);

/**
 * @brief What the client waits for: SMTPC_WANT_READ / _WRITE on the current
 * stream, and always SMTPC_WANT_TIMER with @p deadline_ms (monotonic ms of the
 * platform clock) by which step() must be called again.
 */
unsigned smtpc_client_wants(const smtpc_client_t *c, uint32_t *deadline_ms);

/** The result; final once step() returned something other than IN_PROGRESS. */
const smtpc_result_t *smtpc_client_result(const smtpc_client_t *c);

/** Name of MX host @p idx of the result's `mx` verdicts (valid until the
 *  next start), or NULL. */
const char *smtpc_client_mx_name(const smtpc_client_t *c, unsigned idx);

/** Stop now: close TLS and the connection; the result says ::SMTPC_ERR_ABORTED. */
void smtpc_client_abort(smtpc_client_t *c);

/**
 * @brief Format a one-line summary of a result into @p out (NUL-terminated,
 * truncated to @p cap): "SMTPC_ERR_X stage=RCPT reply=550 5.1.1 text".
 * @return chars written (excluding the NUL).
 */
size_t smtpc_result_format(const smtpc_result_t *r, char *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_CLIENT_H */
