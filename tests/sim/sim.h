/**
 * @file sim.h
 * @brief The host-side simulator: a deterministic in-process world for the
 *        real smtpc client (core + mbedTLS binding).
 *
 * Pieces:
 * - a virtual clock (::smtpc_clock_ops_t) that only moves when the driver
 *   advances it to the next deadline, so timeouts are exact and instant;
 * - a duplex in-memory pipe with bounded buffers; its client end is an
 *   ::smtpc_stream_t honouring the "0 = would block" contract, either end can
 *   close, and the client end can be limited to N bytes per call (1 = drip);
 * - a fake ::smtpc_net_ops_t whose connect() hands out the pipe's client end;
 * - a scripted SMTP peer (a small state machine) that answers the client's
 *   commands and runs a real mbedTLS server over the pipe after its "220" to
 *   STARTTLS (or from the first byte for implicit TLS);
 * - a driver loop alternating client and peer steps, advancing the clock to
 *   the earliest deadline when neither makes progress, with a hard bound on
 *   the number of iterations.
 *
 * The peer keeps every byte it received before TLS (the plaintext log), so a
 * scenario can prove that no AUTH, MAIL, RCPT, DATA or body byte ever crossed
 * the wire unprotected.
 *
 * mbedTLS checks certificate dates against the real system time; the virtual
 * clock only drives smtpc's own deadlines.
 */
#ifndef SMTPC_SIM_H
#define SMTPC_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mbedtls/ctr_drbg.h"
#include "mbedtls/entropy.h"
#include "mbedtls/pk.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"

#include "smtpc/smtpc.h"
#include "smtpc_mbedtls.h"

/* ------------------------------------------------------------ clock ---- */

typedef struct {
    uint32_t now_ms;
} sim_clock_t;

extern const smtpc_clock_ops_t sim_clock_ops;

/** Wrap-safe "a is before b" on the 32-bit millisecond clock. */
static inline bool sim_before(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

/* ------------------------------------------------------------- pipe ---- */

#define SIM_RING_CAP     65536u
#define SIM_WIRE_LOG_CAP 65536u

typedef struct {
    uint8_t buf[SIM_RING_CAP];
    size_t head;
    size_t len;
} sim_ring_t;

typedef struct sim_pipe {
    sim_ring_t c2s; /**< client -> server */
    sim_ring_t s2c; /**< server -> client */
    bool client_closed;
    bool server_closed;
    size_t chunk;    /**< max bytes per client send/recv call; 0: unlimited */
    uint64_t c_sent; /**< bytes the client wrote */
    uint64_t c_recv; /**< bytes the client read */
    uint64_t s_sent; /**< bytes the server wrote */
    uint64_t s_recv; /**< bytes the server read */
    unsigned client_close_calls;
    /** Every byte the client ever wrote (ciphertext included), for leak searches. */
    uint8_t wire[SIM_WIRE_LOG_CAP];
    size_t wire_len;
    bool wire_truncated;
} sim_pipe_t;

extern const smtpc_stream_ops_t sim_pipe_client_ops;

/** Server end: write; returns bytes taken (may be < len when the ring is full). */
size_t sim_pipe_server_write(sim_pipe_t *p, const uint8_t *data, size_t len);
/** Server end: read; bytes, 0 (nothing yet) or SMTPC_ERR_NET_CLOSED. */
int32_t sim_pipe_server_read(sim_pipe_t *p, uint8_t *buf, size_t cap);
/** Server end: close (the client then reads what is left, then NET_CLOSED). */
void sim_pipe_server_close(sim_pipe_t *p);

/* -------------------------------------------------------------- net ---- */

typedef struct {
    sim_pipe_t *pipe;
    char host[SMTPC_HOSTNAME_MAX + 1];
    uint16_t port;
    unsigned connects;
} sim_net_t;

extern const smtpc_net_ops_t sim_net_ops;

/* ------------------------------------------------------------- peer ---- */

/** Misbehaviour of the peer's TLS server. */
typedef enum {
    SIM_TLS_NORMAL = 0,
    SIM_TLS_CLOSE_MID,  /**< close the connection after the first server flight */
    SIM_TLS_STALL_MID,  /**< stop answering after the first server flight */
    SIM_TLS_FAKE_HELLO, /**< answer the ClientHello with a crafted ServerHello record */
} sim_tls_fault_t;

/** The script of one peer. Strings are replies sent verbatim (CRLF included). */
typedef struct sim_peer_cfg {
    bool implicit_tls;
    const char *greeting;      /**< NULL: "220 mail.example.test ESMTP smtpc-sim\r\n" */
    size_t greeting_len;       /**< 0: strlen(greeting) (set it to send NUL bytes) */
    uint32_t greeting_drip_ms; /**< >0: one greeting byte per this many virtual ms */
    const char *ehlo_plain;    /**< EHLO reply before TLS */
    const char *ehlo_tls;      /**< EHLO reply under TLS */
    bool ehlo_endless;         /**< answer EHLO with an endless multi-line reply */
    const char *starttls_reply;
    const char *inject_same_write;  /**< appended to the STARTTLS reply, same write */
    const char *inject_next_write;  /**< a separate write right after the reply */
    const char *inject_after_hello; /**< written once the ClientHello has arrived */
    const char *cert;               /**< chain/key base name in the cert dir ("good") */
    int tls_min_minor;              /**< 0: mbedTLS default; 1 = TLS 1.0 .. 3 = TLS 1.2 */
    int tls_max_minor;
    const int *suites; /**< 0-terminated; NULL: mbedTLS default */
    sim_tls_fault_t tls_fault;
    const uint8_t *fake_hello; /**< record bytes for SIM_TLS_FAKE_HELLO */
    size_t fake_hello_len;
    const char *rcpt_reply[SMTPC_MAX_RCPT]; /**< NULL entries: "250 2.1.5 Ok\r\n" */
    const char *user;                       /**< expected credentials */
    const char *pass;
} sim_peer_cfg_t;

enum {
    SIM_PS_GREETING = 0,
    SIM_PS_TLS_HANDSHAKE,
    SIM_PS_COMMAND,
    SIM_PS_BODY,
    SIM_PS_STALLED,
    SIM_PS_CLOSED
};

#define SIM_LINE_CAP 4096u
#define SIM_LOG_CAP  32768u
#define SIM_BODY_CAP 32768u

typedef struct sim_peer {
    const sim_peer_cfg_t *cfg;
    sim_pipe_t *pipe;
    int state;
    bool tls; /**< the peer runs TLS on the pipe */
    bool tls_inited;
    bool greeted;
    int auth_step; /**< 0 none, 1 PLAIN waiting, 2 LOGIN user, 3 LOGIN pass */
    char login_user[256];
    unsigned rcpt_idx;
    unsigned ehlo_count;
    unsigned spam_lines;
    bool spamming;
    bool hello_injected;
    bool fake_sent;
    size_t drip_off;
    uint32_t next_event_ms;
    bool has_event;
    uint32_t t_tls_start; /**< virtual time the peer entered TLS */
    uint32_t now;

    /* what the peer saw */
    bool auth_ok;
    bool saw_mail;
    unsigned auth_cmds; /**< AUTH commands received (any mechanism) */
    bool saw_quit;
    bool body_done;
    unsigned max_lines_buffered; /**< most complete command lines waiting at once */
    int tls_error;               /**< mbedTLS error of the server handshake, 0 if none */
    char tls_version[16];
    char tls_suite[64];
    char violation[160]; /**< first protocol violation by the client */

    uint8_t in[SIM_LINE_CAP];
    size_t in_len;
    uint8_t plain_log[SIM_LOG_CAP];
    size_t plain_len;
    bool plain_truncated;
    uint8_t body[SIM_BODY_CAP];
    size_t body_len;
    bool body_truncated;

    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
} sim_peer_t;

/** Prepare a peer; loads the certificate when the script uses TLS. */
int sim_peer_init(sim_peer_t *p, const sim_peer_cfg_t *cfg, sim_pipe_t *pipe, const char *cert_dir,
                  char *err, size_t err_cap);
/** Do all the peer can do now. Returns true when it made progress. */
bool sim_peer_step(sim_peer_t *p, uint32_t now);
/** Earliest scheduled peer event (false when none). */
bool sim_peer_next_event(const sim_peer_t *p, uint32_t *at);
void sim_peer_free(sim_peer_t *p);

/* ------------------------------------------------------------ world ---- */

/** Body source over a constant buffer; @c chunk > 0 limits each read. */
typedef struct {
    const uint8_t *data;
    size_t len;
    size_t off;
    size_t chunk;
} sim_body_t;

extern const smtpc_body_src_t sim_body_src_template;

#define SIM_MAX_ITERS 400000u

/** One simulated session: everything the client and the peer need. */
typedef struct sim_world {
    sim_clock_t clock;
    sim_pipe_t pipe;
    sim_net_t net;
    sim_peer_t peer;
    sim_peer_cfg_t peer_cfg;
    smtpc_client_t client;
    smtpc_client_mem_t mem;
    smtpc_client_cfg_t ccfg;
    smtpc_platform_t plat;
    smtpc_mbedtls_t tls;
    bool tls_inited;
    sim_body_t body;
    smtpc_envelope_t env;
    const char *rcpts[SMTPC_MAX_RCPT];
    int rc;           /**< what smtpc_client_step() finally returned */
    uint32_t t_begin; /**< virtual time at smtpc_client_start() */
    uint32_t t_end;   /**< virtual time when the client finished */
    unsigned iterations;
    bool exhausted; /**< the iteration bound was hit */
} sim_world_t;

/** Fill @p w with defaults: submission on 587, STARTTLS, VERIFIED, AUTH. */
void sim_world_defaults(sim_world_t *w);
/** Initialise TLS and the peer, run the session to its end, drain the peer. */
int sim_world_run(sim_world_t *w, const char *cert_dir, char *err, size_t err_cap);
void sim_world_free(sim_world_t *w);

/* ------------------------------------------------------- scenarios ---- */

/** Run a scenario by name; fills @p why on failure. 1 pass, 0 fail, -1 unknown. */
int sim_scenario_run(const char *name, const char *cert_dir, char *why, size_t why_cap);
size_t sim_scenario_count(void);
const char *sim_scenario_name(size_t i);
const char *sim_scenario_desc(size_t i);

/** The demo: one session with the transcript printed. Returns the exit status. */
int sim_demo(const char *cert_dir);

/** Default message of the scenarios (header and body with dot lines). */
extern const char sim_msg[];
/** The same message as it must appear on the wire after DATA (CRLF, dot-stuffed,
 *  terminated by CRLF.CRLF). */
extern const char sim_msg_wire[];
#define SIM_BODY_MARKER "SIMBODY-7f3a"
#define SIM_USER        "alice@example.test"
#define SIM_PASS        "s3cret-Passw0rd"

#endif /* SMTPC_SIM_H */
