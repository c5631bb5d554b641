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
 * - a fake ::smtpc_net_ops_t whose connect() hands out the pipe's client end,
 *   or, once named hosts exist (MX delivery), that host's own pipe, a refusal,
 *   or a DNS-over-TCP connection to a simulated nameserver;
 * - simulated nameservers (sim_dns.c) behind ::smtpc_dgram_ops_t, answering
 *   from a small zone with real DNS messages, with loss, delay, SERVFAIL,
 *   REFUSED, truncation, forged answers and dead servers on request;
 * - a deterministic ::smtpc_rng_ops_t (DNS IDs, MX shuffling) with a seed;
 * - a scripted SMTP peer (a small state machine) that answers the client's
 *   commands and runs a real mbedTLS server over the pipe after its "220" to
 *   STARTTLS (or from the first byte for implicit TLS);
 * - a scripted HTTPS peer (sim_https.c, the same peer and TLS server with an
 *   HTTP/1.1 script) for MTA-STS policy hosts on port 443: it records the
 *   request bytes and the SNI, and answers with a raw response (optionally
 *   dripped, or never);
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
#include "smtpc/tlsrpt.h"
#include "smtpc_mbedtls.h"

/* ------------------------------------------------------------ clock ---- */

typedef struct {
    uint32_t now_ms;
    /** Wall clock for smtpc (Unix seconds; 0: unknown). Scenarios set and
     *  advance it; it does not move with now_ms. */
    uint64_t utc_s;
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

struct sim_host;
struct sim_dns;

/** One connect() the client made, in order. */
typedef struct {
    char host[SMTPC_HOSTNAME_MAX + 1];
    uint16_t port;
    uint32_t t; /**< virtual time of the call */
    int rc;     /**< what connect() returned */
} sim_connect_t;

#define SIM_CONNECT_LOG 16u

/**
 * The fake network. connect() to a simulated nameserver's address and port
 * opens a DNS-over-TCP connection to the DNS peer; a name in the host table
 * gets that host's pipe (or is refused); with an empty host table every name
 * gets the single default pipe (the submission scenarios). Other names do not
 * resolve.
 */
typedef struct {
    sim_pipe_t *pipe; /**< default pipe (empty host table) */
    char host[SMTPC_HOSTNAME_MAX + 1];
    uint16_t port;
    unsigned connects;
    struct sim_host *hosts;
    size_t host_count;
    struct sim_dns *dns;
    const sim_clock_t *clock;
    sim_connect_t log[SIM_CONNECT_LOG];
    unsigned log_len;
    char violation[160]; /**< first misuse of the network by the client */
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

/**
 * The script of an HTTPS peer (an MTA-STS policy host): TLS from the first
 * byte, one request read up to its empty line, then @ref response sent
 * verbatim (status line, header, body: the scenario writes the framing,
 * chunked or not) and the connection closed with close_notify.
 */
typedef struct sim_https_cfg {
    const char *response; /**< NULL: never answer (the connection stays open) */
    size_t response_len;  /**< 0: strlen(response) */
    uint32_t drip_ms;     /**< >0: one response byte per this many virtual ms */
    bool keep_open;       /**< do not close after the response */
    size_t cut_at;        /**< >0: send only the first cut_at bytes of the response */
    bool abrupt_close;    /**< close the connection without close_notify (a cut in
                               the network: the client cannot tell it from a FIN) */
} sim_https_cfg_t;

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
    const sim_https_cfg_t *https; /**< non-NULL: an HTTPS peer (sim_https.c) */
} sim_peer_cfg_t;

enum {
    SIM_PS_GREETING = 0,
    SIM_PS_TLS_HANDSHAKE,
    SIM_PS_COMMAND,
    SIM_PS_BODY,
    SIM_PS_STALLED,
    SIM_PS_CLOSED
};

#define SIM_LINE_CAP     4096u
#define SIM_HTTP_REQ_CAP 2048u
#define SIM_LOG_CAP      32768u
#define SIM_BODY_CAP     32768u

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
    char violation[160];              /**< first protocol violation by the client */
    char sni[SMTPC_HOSTNAME_MAX + 1]; /**< server name the ClientHello asked for */
    unsigned sni_count;               /**< ClientHellos that carried one */

    /* HTTPS peers */
    uint8_t req[SIM_HTTP_REQ_CAP]; /**< the request as received (decrypted) */
    size_t req_len;
    bool req_truncated;
    unsigned requests; /**< complete requests (header ended by an empty line) */
    size_t resp_off;   /**< response bytes sent */
    bool resp_done;

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

/* The peer's machinery, shared with the HTTPS script (sim_https.c). */
void sim_peer_tls_enter(sim_peer_t *p);
void sim_peer_handshake(sim_peer_t *p);
void sim_peer_send(sim_peer_t *p, const void *data, size_t len);
void sim_peer_close(sim_peer_t *p);
void sim_peer_violation(sim_peer_t *p, const char *what);
/** One step of an HTTPS peer (called by sim_peer_step()). */
void sim_https_step(sim_peer_t *p);

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

/* -------------------------------------------------------------- rng ---- */

/** Deterministic random bytes (xorshift64*) for DNS IDs and MX shuffling. */
typedef struct {
    uint64_t state;
} sim_rng_t;

extern const smtpc_rng_ops_t sim_rng_ops;
void sim_rng_seed(sim_rng_t *r, uint64_t seed);

/* -------------------------------------------------------------- dns ---- */

/**
 * The simulated DNS: one or two nameservers answering from a small zone with
 * real DNS wire messages (RFC 1035 §4), built by the simulator's own encoder.
 *
 * The client reaches them through ::sim_dgram_ops (the ::smtpc_dgram_ops_t of
 * a port): open() stands for a fresh connected UDP socket, so datagrams still
 * queued for a socket the client closed are discarded (a closed port), and a
 * datagram is delivered no earlier than its virtual arrival time. Queries
 * are answered when the DNS peer steps. After a truncated answer the client
 * connects to the nameserver's address through the fake net, and the peer
 * answers over TCP with the two-octet length prefix (RFC 1035 §4.2.2).
 */
typedef struct {
    const char *name;
    uint16_t type;    /**< SMTPC_DNS_TYPE_MX, _A, _TXT or _CNAME */
    uint16_t pref;    /**< MX preference */
    const char *data; /**< MX exchange ("" = root: null MX), CNAME target, TXT text,
                           dotted IPv4 address for A */
} sim_rr_t;

typedef enum {
    SIM_NS_ANSWER = 0,  /**< answers from the zone */
    SIM_NS_SILENT,      /**< never answers (dead host, firewall drop) */
    SIM_NS_UNREACHABLE, /**< ICMP port unreachable: recv() fails */
    SIM_NS_SERVFAIL,    /**< answers every query with RCODE 2 */
    SIM_NS_REFUSED      /**< answers every query with RCODE 5 */
} sim_ns_mode_t;

#define SIM_DNS_SERVERS  2u
#define SIM_DNS_ZONE_MAX 16u
#define SIM_DNS_QUEUE    32u
#define SIM_DNS_LOG      32u
#define SIM_DNS_PORT     53u
#define SIM_DNS_ADDR0    "192.0.2.53"
#define SIM_DNS_ADDR1    "192.0.2.54"
/** MX exchange the spoofed answers point to. */
#define SIM_DNS_EVIL_MX "evil.example.test"

typedef struct {
    sim_rr_t zone[SIM_DNS_ZONE_MAX];
    size_t zone_len;
    unsigned servers;                    /**< 1 or 2 */
    sim_ns_mode_t mode[SIM_DNS_SERVERS]; /**< per nameserver */
    unsigned drop_first;                 /**< UDP queries lost on the way (the first N) */
    uint32_t delay_ms;                   /**< UDP answers arrive this much later */
    bool truncate_udp;                   /**< UDP answers carry TC=1 and no records */
    bool spoof;                          /**< forged answers arrive before each real UDP answer */
    bool answer_all_types; /**< answer with every record of the name, not just qtype */
} sim_dns_cfg_t;

/** A query as the DNS peer saw it. */
typedef struct {
    uint32_t t;
    uint8_t server;
    bool tcp;
    bool lost; /**< dropped on the way (never reached the server) */
    uint16_t id;
    uint16_t qtype;
    char qname[SMTPC_DNS_NAME_BUF];
} sim_dns_query_t;

typedef struct {
    uint8_t data[SMTPC_DNS_MSG_MAX];
    size_t len;
    uint32_t at;  /**< virtual arrival time */
    uint32_t seq; /**< queue order */
    unsigned gen; /**< socket the datagram belongs to */
    uint8_t server;
    bool unreachable; /**< an ICMP error instead of a datagram */
    bool used;
} sim_dgram_t;

typedef struct sim_dns {
    sim_dns_cfg_t cfg;
    const sim_clock_t *clock;
    /* the client's socket */
    bool open;
    uint8_t open_idx;
    unsigned gen;
    unsigned opens;
    unsigned closes;
    sim_dgram_t in[SIM_DNS_QUEUE];  /**< client -> nameserver */
    sim_dgram_t out[SIM_DNS_QUEUE]; /**< nameserver -> client */
    uint32_t seq;
    /* DNS over TCP */
    sim_pipe_t tcp;
    bool tcp_used;
    uint8_t tcp_server;
    unsigned tcp_connects;
    uint8_t tcp_in[SMTPC_DNS_MSG_MAX + 2u];
    size_t tcp_in_len;
    /* what happened */
    unsigned udp_queries[SIM_DNS_SERVERS]; /**< UDP queries that reached each server */
    unsigned udp_sent;                     /**< UDP queries the client sent */
    unsigned tcp_queries;
    unsigned lost;
    unsigned spoofs_sent;
    unsigned delivered; /**< datagrams the client received */
    unsigned stale;     /**< datagrams discarded: their socket was closed */
    uint64_t traffic;   /**< client-side I/O counter, for progress detection */
    sim_dns_query_t log[SIM_DNS_LOG];
    unsigned log_len;
    char violation[160]; /**< first malformed query or misuse of the ops */
} sim_dns_t;

extern const smtpc_dgram_ops_t sim_dgram_ops;

/** Answer what arrived. Returns true when it made progress. */
bool sim_dns_step(sim_dns_t *d, uint32_t now);
/** Earliest future datagram arrival for the client's open socket. */
bool sim_dns_next_event(const sim_dns_t *d, uint32_t now, uint32_t *at);
/**
 * A connect() from the fake net: SMTPC_OK with @p out set when @p host:@p port
 * is a nameserver, SMTPC_ERR_NET_CONNECT when that nameserver is down,
 * SMTPC_ERR_NET_RESOLVE when it is not a nameserver address.
 */
int sim_dns_tcp_connect(sim_dns_t *d, const char *host, uint16_t port, smtpc_stream_t *out);
/** Add a record to the zone (false when the zone is full). */
bool sim_dns_add(sim_dns_t *d, const char *name, uint16_t type, uint16_t pref, const char *data);
/** Remove every record of @p name (any type); returns how many. */
size_t sim_dns_remove(sim_dns_t *d, const char *name);

/**
 * Encode a response to one question: header (QR=1, AA, RA, RD copied), the
 * question, and @p n answers. Owner names equal to the question name are
 * written as a compression pointer to offset 12 (RFC 1035 §4.1.4).
 * @return message length, 0 when @p cap is too small.
 */
size_t sim_dns_encode(uint8_t *out, size_t cap, uint16_t id, uint16_t flags, const char *qname,
                      uint16_t qtype, const sim_rr_t *const *an, size_t n);

/* ------------------------------------------------------------ hosts ---- */

#define SIM_MAX_HOSTS 6u

/** A named server of the fake net: an SMTP server (MX delivery) or an HTTPS
 *  policy host (port 443 only). One connection each per delivery. */
typedef struct sim_host {
    const char *name;
    bool refuse; /**< connect() fails with SMTPC_ERR_NET_CONNECT */
    sim_peer_cfg_t cfg;
    sim_https_cfg_t https; /**< the script when cfg.https is set (= &https) */
    sim_pipe_t pipe;
    sim_peer_t peer;
    unsigned connects;       /**< this delivery */
    unsigned total_connects; /**< over every delivery of the world */
} sim_host_t;

/** A TLS event the report hook received (strings copied). */
typedef struct {
    smtpc_tls_event_t ev; /**< string pointers cleared */
    bool has_policy;
    char domain[SMTPC_DNS_NAME_BUF];
    char policy_id[SMTPC_STS_ID_BUF];
    char mx_host[SMTPC_DNS_NAME_BUF];
} sim_report_t;

#define SIM_REPORT_LOG 16u

/** One simulated session: everything the client and the peer need. */
typedef struct sim_world {
    sim_clock_t clock;
    sim_pipe_t pipe;
    sim_net_t net;
    sim_peer_t peer;
    sim_peer_cfg_t peer_cfg;
    sim_dns_t dns;
    sim_rng_t rng;
    sim_host_t hosts[SIM_MAX_HOSTS];
    size_t host_count;
    smtpc_client_t client;
    smtpc_client_mem_t mem;
    smtpc_client_cfg_t ccfg;
    smtpc_platform_t plat;
    smtpc_mbedtls_t tls;
    bool tls_inited;
    sim_body_t body;
    bool body_no_rewind;                  /**< the body source has no rewind callback */
    smtpc_sts_ram_t sts_ram;              /**< the MTA-STS store, when plat.sts_store uses it */
    sim_report_t reports[SIM_REPORT_LOG]; /**< this delivery's TLS events */
    unsigned report_count;                /**< events (also those not logged) */
    /** When set, every event is also recorded into this TLS-RPT log (at
     *  the world's wall clock); rpt_rc is the last record's outcome. */
    struct smtpc_tlsrpt_log *rptlog;
    int rpt_rc;
    unsigned deliveries; /**< runs of this world */
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
/**
 * Add a named SMTP server to the fake net: a scripted peer with the world's
 * current peer script and chain @p cert. Once a host exists, only named hosts
 * (and the nameservers) can be connected to. NULL when the table is full.
 */
sim_host_t *sim_world_add_host(sim_world_t *w, const char *name, const char *cert);
/**
 * Add a named HTTPS host (an MTA-STS policy host, port 443) with chain
 * @p cert, answering every request with @p response (NULL: never). The
 * script is the host's @c https member: change it freely before a run.
 */
sim_host_t *sim_world_add_https(sim_world_t *w, const char *name, const char *cert,
                                const char *response);
/** The host named @p name (case-insensitive), or NULL. */
sim_host_t *sim_world_host(sim_world_t *w, const char *name);
/** Initialise TLS and the peer, run the session to its end, drain the peer. */
int sim_world_run(sim_world_t *w, const char *cert_dir, char *err, size_t err_cap);
/**
 * Deliver again with the same client, store and clocks, after
 * sim_world_run(): every host gets a fresh pipe and peer (with its current
 * script), the per-delivery logs (connects, DNS queries, reports) start
 * empty; the zone and the clocks are as the scenario left them.
 */
int sim_world_rerun(sim_world_t *w, const char *cert_dir, char *err, size_t err_cap);
/** Report hook recording into the world's @c reports (arg: the world). */
void sim_report_hook(void *arg, const smtpc_tls_event_t *ev);
void sim_world_free(sim_world_t *w);

/* ------------------------------------------------------- scenarios ---- */

/** Run a scenario by name; fills @p why on failure. 1 pass, 0 fail, -1 unknown. */
int sim_scenario_run(const char *name, const char *cert_dir, char *why, size_t why_cap);
size_t sim_scenario_count(void);
const char *sim_scenario_name(size_t i);
const char *sim_scenario_desc(size_t i);

/* The DNS and MX delivery scenarios (sim_mx_scenarios.c), listed after the
 * others by the functions above. */
size_t sim_mx_scenario_count(void);
const char *sim_mx_scenario_name(size_t i);
const char *sim_mx_scenario_desc(size_t i);
/** 1 pass, 0 fail. */
int sim_mx_scenario_run(size_t i, const char *cert_dir, char *why, size_t why_cap);

/* The MTA-STS scenarios (sim_sts_scenarios.c), listed after the MX ones. */
size_t sim_sts_scenario_count(void);
const char *sim_sts_scenario_name(size_t i);
const char *sim_sts_scenario_desc(size_t i);
/** 1 pass, 0 fail. */
int sim_sts_scenario_run(size_t i, const char *cert_dir, char *why, size_t why_cap);

/* The TLS-RPT scenarios (sim_tlsrpt.c), listed after the MTA-STS ones. */
size_t sim_rpt_scenario_count(void);
const char *sim_rpt_scenario_name(size_t i);
const char *sim_rpt_scenario_desc(size_t i);
/** 1 pass, 0 fail. */
int sim_rpt_scenario_run(size_t i, const char *cert_dir, char *why, size_t why_cap);

/** The demo: one session with the transcript printed. Returns the exit status. */
/** Does @p hay contain @p needle, ASCII case-insensitively? */
bool sim_contains_ci(const uint8_t *hay, size_t len, const char *needle);
/** Is @p host one of the simulated nameservers? */
bool sim_is_nameserver(const char *host);

int sim_demo(const char *cert_dir, const char *cache_file);
int sim_demo_submission(const char *cert_dir);

/** Default message of the scenarios (header and body with dot lines). */
extern const char sim_msg[];
/** The same message as it must appear on the wire after DATA (CRLF, dot-stuffed,
 *  terminated by CRLF.CRLF). */
extern const char sim_msg_wire[];
#define SIM_BODY_MARKER "SIMBODY-7f3a"
#define SIM_USER        "alice@example.test"
#define SIM_PASS        "s3cret-Passw0rd"

#endif /* SMTPC_SIM_H */
