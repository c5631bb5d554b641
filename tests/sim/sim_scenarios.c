/* Simulator scenarios, named after the attack (or the feature) they test.
 * Each asserts the exact error and stage of smtpc_client_result(), and, unless
 * the caller allowed plaintext, that nothing sensitive reached the peer
 * before TLS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbedtls/ssl_ciphersuites.h"

#include "sim.h"

const char sim_msg[] = "From: Alice <alice@example.test>\n"
                       "To: Bob <bob@example.test>\n"
                       "Subject: smtpc simulator\n"
                       "\n" SIM_BODY_MARKER " first line\n"
                       ".a line starting with a dot\n"
                       "..two dots\n"
                       ".\n"
                       "bare CR\rline\r\n"
                       "last line without newline";

const char sim_msg_wire[] = "From: Alice <alice@example.test>\r\n"
                            "To: Bob <bob@example.test>\r\n"
                            "Subject: smtpc simulator\r\n"
                            "\r\n" SIM_BODY_MARKER " first line\r\n"
                            "..a line starting with a dot\r\n"
                            "...two dots\r\n"
                            "..\r\n"
                            "bare CR\r\nline\r\n"
                            "last line without newline\r\n"
                            ".\r\n";

/* Scenario flags */
#define SC_DELIVERS     0x01u /* the message must arrive intact (body check) */
#define SC_PLAINTEXT_OK 0x02u /* the caller allowed plaintext: no leak check */
#define SC_1BYTE        0x04u /* also run with the pipe moving one byte per call */

#define SC_NO_VERDICT (-1)

typedef const char *(*sc_check_fn)(sim_world_t *w, char *buf, size_t cap);

typedef struct {
    const char *name;
    const char *desc;
    void (*setup)(sim_world_t *w);
    const char *cert; /* peer chain, NULL: default "good" */
    const char *host; /* server name, NULL: mail.example.test */
    int level;        /* smtpc_tls_level_t, -1: VERIFIED */
    int err;
    int stage;
    int verdict; /* expected result.cert, SC_NO_VERDICT: not checked */
    unsigned flags;
    sc_check_fn check;
} scenario_t;

/* ------------------------------------------------------------ helpers -- */

static const char *sc_fail(char *buf, size_t cap, const char *want, const char *got)
{
    snprintf(buf, cap, "expected %s got %s", want, got);
    return buf;
}

static const char *sc_fail_u(char *buf, size_t cap, const char *what, unsigned long want,
                             unsigned long got)
{
    snprintf(buf, cap, "expected %s %lu got %lu", what, want, got);
    return buf;
}

/* ------------------------------------------------------------ setups --- */

#define EHLO_HEAD "250-mail.example.test Hello client.example.test\r\n"

static void su_no_starttls(sim_world_t *w)
{
    w->peer_cfg.ehlo_plain = EHLO_HEAD "250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n"
                                       "250 8BITMIME\r\n";
}

static void su_garbage_token(sim_world_t *w)
{
    /* What a middlebox that overwrites STARTTLS in place produces. */
    w->peer_cfg.ehlo_plain = EHLO_HEAD "250-PIPELINING\r\n250-XXXXXXXA\r\n250 8BITMIME\r\n";
}

static void su_starttls_454(sim_world_t *w)
{
    w->peer_cfg.starttls_reply = "454 4.7.0 TLS not available due to local problem\r\n";
}

static void su_starttls_502(sim_world_t *w)
{
    w->peer_cfg.starttls_reply = "502 5.5.1 Command not implemented\r\n";
}

static void su_starttls_garbage(sim_world_t *w)
{
    w->peer_cfg.starttls_reply = "2x0 go ahead\r\n";
}

static void su_inject_same(sim_world_t *w)
{
    w->peer_cfg.starttls_reply = "220 go\r\n";
    w->peer_cfg.inject_same_write = "250 fake\r\n";
}

static void su_inject_next(sim_world_t *w)
{
    w->peer_cfg.starttls_reply = "220 go\r\n";
    w->peer_cfg.inject_next_write = "250 fake\r\n";
}

static void su_inject_late(sim_world_t *w)
{
    w->peer_cfg.starttls_reply = "220 go\r\n";
    w->peer_cfg.inject_after_hello = "250 fake\r\n";
}

static void su_caps_tampered(sim_world_t *w)
{
    w->peer_cfg.ehlo_plain = EHLO_HEAD "250-PIPELINING\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n";
    w->peer_cfg.ehlo_tls = EHLO_HEAD "250 8BITMIME\r\n";
    w->ccfg.session.pipelining = true;
}

/* ServerHello records a legacy or hostile server would send (a real mbedTLS
 * 2.28 server cannot be made to send them to this client, see the comments at
 * the scenarios). Random bytes are a fixed pattern. */
#define SIM_HELLO_RANDOM                                                                           \
    0x53, 0x49, 0x4d, 0x2d, 0x72, 0x61, 0x6e, 0x64, 0x6f, 0x6d, 0x2d, 0x73, 0x65, 0x72, 0x76,      \
        0x65, 0x72, 0x2d, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x2d, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,  \
        0x36, 0x37

/* TLS 1.1 ServerHello choosing TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA. */
static const uint8_t hello_tls11[] = {0x16, 0x03, 0x02,
                                      0x00, 0x2a, /* record: handshake, TLS 1.1, 42 bytes */
                                      0x02, 0x00, 0x00,
                                      0x26, /* ServerHello, 38 bytes */
                                      0x03, 0x02, SIM_HELLO_RANDOM,
                                      0x00,              /* version 1.1, random, no session id */
                                      0xc0, 0x09, 0x00}; /* suite, null compression */

/* TLS 1.2 ServerHello choosing TLS_RSA_WITH_NULL_SHA256 (no encryption). */
static const uint8_t hello_null[] = {0x16, 0x03, 0x03, 0x00, 0x2a, 0x02,
                                     0x00, 0x00, 0x26, 0x03, 0x03, SIM_HELLO_RANDOM,
                                     0x00, 0x00, 0x3b, 0x00};

static void su_tls11_hello(sim_world_t *w)
{
    w->peer_cfg.tls_fault = SIM_TLS_FAKE_HELLO;
    w->peer_cfg.fake_hello = hello_tls11;
    w->peer_cfg.fake_hello_len = sizeof(hello_tls11);
}

static void su_tls11_real(sim_world_t *w)
{
    w->peer_cfg.tls_min_minor = MBEDTLS_SSL_MINOR_VERSION_1;
    w->peer_cfg.tls_max_minor = MBEDTLS_SSL_MINOR_VERSION_2;
}

/* Static-RSA key exchange (no forward secrecy) and CBC suites only. */
static const int weak_suites[] = {
    MBEDTLS_TLS_RSA_WITH_AES_128_GCM_SHA256,    MBEDTLS_TLS_RSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_RSA_WITH_AES_128_CBC_SHA256,    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, 0};

static void su_weak_cipher(sim_world_t *w)
{
    w->peer_cfg.suites = weak_suites;
}

static void su_null_hello(sim_world_t *w)
{
    w->peer_cfg.tls_fault = SIM_TLS_FAKE_HELLO;
    w->peer_cfg.fake_hello = hello_null;
    w->peer_cfg.fake_hello_len = sizeof(hello_null);
}

static void su_close_mid(sim_world_t *w)
{
    w->peer_cfg.tls_fault = SIM_TLS_CLOSE_MID;
}

static void su_stall_mid(sim_world_t *w)
{
    w->peer_cfg.tls_fault = SIM_TLS_STALL_MID;
}

static char slow_greeting[512];

static void su_slowloris(sim_world_t *w)
{
    /* 400 bytes at one byte per virtual second would take 400 s: longer than
     * the 300 s greeting budget (RFC 5321 §4.5.3.2.1). */
    memset(slow_greeting, 'z', sizeof(slow_greeting));
    memcpy(slow_greeting, "220 ", 4);
    memcpy(slow_greeting + 398, "\r\n", 3);
    w->peer_cfg.greeting = slow_greeting;
    w->peer_cfg.greeting_drip_ms = 1000;
}

static void su_endless(sim_world_t *w)
{
    w->peer_cfg.ehlo_endless = true;
}

static char long_greeting[700];

static void su_overlong(sim_world_t *w)
{
    memset(long_greeting, 'x', sizeof(long_greeting));
    memcpy(long_greeting, "220 ", 4);
    memcpy(long_greeting + 604, "\r\n", 3);
    w->peer_cfg.greeting = long_greeting;
}

static void su_nul(sim_world_t *w)
{
    static const char g[] = "220 mail.example.test\0evil ESMTP\r\n";
    w->peer_cfg.greeting = g;
    w->peer_cfg.greeting_len = sizeof(g) - 1u;
}

static void su_bare_lf(sim_world_t *w)
{
    w->peer_cfg.greeting = "220 mail.example.test ESMTP\n";
}

static void su_code_600(sim_world_t *w)
{
    w->peer_cfg.greeting = "600 mail.example.test ESMTP\r\n";
}

static void su_code_2x0(sim_world_t *w)
{
    w->peer_cfg.greeting = "2x0 mail.example.test ESMTP\r\n";
}

static void su_code_mismatch(sim_world_t *w)
{
    w->peer_cfg.ehlo_plain = "250-mail.example.test\r\n251 STARTTLS\r\n";
}

static void su_greeting_554(sim_world_t *w)
{
    w->peer_cfg.greeting = "554 5.3.2 No service here\r\n";
}

static void su_auth_login(sim_world_t *w)
{
    w->ccfg.session.auth_mechs = SMTPC_AUTH_LOGIN;
}

static void su_implicit(sim_world_t *w)
{
    w->ccfg.session.tls_mode = SMTPC_TLS_IMPLICIT;
    w->ccfg.port = 0; /* the default for implicit TLS must be 465 */
    w->peer_cfg.implicit_tls = true;
}

static void su_pipelining(sim_world_t *w)
{
    w->ccfg.session.pipelining = true;
    w->rcpts[1] = "carol@example.test";
    w->rcpts[2] = "dave@example.test";
    w->env.to_count = 3;
}

static void su_mx_plain(sim_world_t *w)
{
    w->ccfg.host = "mx.example.test";
    w->ccfg.port = 25;
    w->ccfg.session.user = NULL;
    w->ccfg.session.pass = NULL;
    w->ccfg.session.tls_level = SMTPC_TLS_PLAINTEXT_ALLOWED;
    w->peer_cfg.ehlo_plain = EHLO_HEAD "250-PIPELINING\r\n250 8BITMIME\r\n";
}

static void su_mx_opportunistic(sim_world_t *w)
{
    w->ccfg.host = "mx.example.test";
    w->ccfg.port = 25;
    w->ccfg.session.user = NULL;
    w->ccfg.session.pass = NULL;
    w->ccfg.session.tls_level = SMTPC_TLS_PLAINTEXT_ALLOWED;
}

static void su_rcpt_partial(sim_world_t *w)
{
    w->rcpts[1] = "carol@example.test";
    w->env.to_count = 2;
    w->peer_cfg.rcpt_reply[1] = "550 5.1.1 <carol@example.test>: Recipient address rejected\r\n";
}

/* ------------------------------------------------------------ checks --- */

static const char *ck_quit_no_auth(sim_world_t *w, char *buf, size_t cap)
{
    if (!w->peer.saw_quit) {
        return sc_fail(buf, cap, "QUIT after the refusal", "no QUIT");
    }
    if (w->peer.auth_cmds != 0 || w->peer.saw_mail) {
        return sc_fail(buf, cap, "no AUTH or MAIL", "one");
    }
    return NULL;
}

static const char *ck_submission(sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    unsigned want =
        SMTPC_RESULT_STARTTLS_OFFERED | SMTPC_RESULT_AUTHENTICATED | SMTPC_RESULT_ACCEPTED;
    if ((r->flags & want) != want) {
        return sc_fail_u(buf, cap, "result flags including", want, r->flags);
    }
    if (r->tls_reached != SMTPC_REACHED_VERIFIED) {
        return sc_fail_u(buf, cap, "tls_reached", SMTPC_REACHED_VERIFIED, r->tls_reached);
    }
    if (r->rcpt_accepted != 1 || r->rcpt[0].code != 250 || r->rcpt[0].err != SMTPC_OK) {
        return sc_fail_u(buf, cap, "rcpt[0].code", 250, r->rcpt[0].code);
    }
    if (w->net.port != 587) {
        return sc_fail_u(buf, cap, "port", 587, w->net.port);
    }
    if (strcmp(w->peer.tls_version, "TLSv1.2") != 0) {
        return sc_fail(buf, cap, "TLSv1.2", w->peer.tls_version);
    }
    return NULL;
}

static const char *ck_implicit(sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    if (w->net.port != 465) {
        return sc_fail_u(buf, cap, "port", 465, w->net.port);
    }
    if ((r->flags & SMTPC_RESULT_STARTTLS_OFFERED) != 0u || w->peer.ehlo_count != 1) {
        return sc_fail_u(buf, cap, "EHLO count (no STARTTLS)", 1, w->peer.ehlo_count);
    }
    if (r->tls_reached != SMTPC_REACHED_VERIFIED || !w->peer.auth_ok) {
        return sc_fail_u(buf, cap, "tls_reached", SMTPC_REACHED_VERIFIED, r->tls_reached);
    }
    return NULL;
}

static const char *ck_pipelining(sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    if ((r->flags & SMTPC_RESULT_PIPELINED) == 0u) {
        return sc_fail(buf, cap, "PIPELINED flag", "none");
    }
    /* MAIL, three RCPT and DATA travel in one flight (RFC 2920 §3.1). */
    if (w->peer.max_lines_buffered < 5u) {
        return sc_fail_u(buf, cap, "command lines in one flight", 5, w->peer.max_lines_buffered);
    }
    if (r->rcpt_accepted != 3) {
        return sc_fail_u(buf, cap, "rcpt_accepted", 3, r->rcpt_accepted);
    }
    return NULL;
}

static const char *ck_plain(sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    if (r->tls_reached != SMTPC_REACHED_NONE || w->peer.tls) {
        return sc_fail_u(buf, cap, "tls_reached", SMTPC_REACHED_NONE, r->tls_reached);
    }
    if (w->net.port != 25 || w->peer.auth_cmds != 0) {
        return sc_fail_u(buf, cap, "port", 25, w->net.port);
    }
    return NULL;
}

static const char *ck_opportunistic(sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    if (r->tls_reached != SMTPC_REACHED_ENCRYPTED) {
        return sc_fail_u(buf, cap, "tls_reached", SMTPC_REACHED_ENCRYPTED, r->tls_reached);
    }
    return NULL;
}

static const char *ck_rcpt_partial(sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    if (r->rcpt_count != 2 || r->rcpt_accepted != 1) {
        return sc_fail_u(buf, cap, "rcpt_accepted", 1, r->rcpt_accepted);
    }
    if (r->rcpt[0].err != SMTPC_OK || r->rcpt[0].code != 250) {
        return sc_fail_u(buf, cap, "rcpt[0].code", 250, r->rcpt[0].code);
    }
    if (r->rcpt[1].err != SMTPC_ERR_SMTP_REJECTED || r->rcpt[1].code != 550 ||
        r->rcpt[1].enh[0] != 5 || r->rcpt[1].enh[1] != 1 || r->rcpt[1].enh[2] != 1) {
        return sc_fail(buf, cap, "rcpt[1] 550 5.1.1 SMTP_REJECTED", smtpc_strerror(r->rcpt[1].err));
    }
    if ((r->flags & SMTPC_RESULT_ACCEPTED) == 0u) {
        return sc_fail(buf, cap, "ACCEPTED flag", "none");
    }
    return NULL;
}

static const char *ck_reply_454(sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    if (r->reply_code != 454) {
        return sc_fail_u(buf, cap, "reply_code", 454, r->reply_code);
    }
    return ck_quit_no_auth(w, buf, cap);
}

static const char *ck_reply_502(sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    if (r->reply_code != 502) {
        return sc_fail_u(buf, cap, "reply_code", 502, r->reply_code);
    }
    return ck_quit_no_auth(w, buf, cap);
}

static const char *ck_caps(sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    if (w->peer.auth_cmds != 0 || w->peer.saw_mail) {
        return sc_fail_u(buf, cap, "AUTH commands", 0, w->peer.auth_cmds);
    }
    if ((r->flags & SMTPC_RESULT_PIPELINED) != 0u || w->peer.ehlo_count != 2) {
        return sc_fail_u(buf, cap, "EHLO count", 2, w->peer.ehlo_count);
    }
    return NULL;
}

static const char *ck_tls_encrypted(sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    if (r->tls_reached != SMTPC_REACHED_ENCRYPTED) {
        return sc_fail_u(buf, cap, "tls_reached", SMTPC_REACHED_ENCRYPTED, r->tls_reached);
    }
    return NULL;
}

static const char *ck_tls_verified(sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    if (r->tls_reached != SMTPC_REACHED_VERIFIED) {
        return sc_fail_u(buf, cap, "tls_reached", SMTPC_REACHED_VERIFIED, r->tls_reached);
    }
    return NULL;
}

static const char *ck_cert_refused(sim_world_t *w, char *buf, size_t cap)
{
    /* The handshake failed: no SMTP command may have followed it. */
    if (w->peer.ehlo_count != 1 || w->peer.auth_cmds != 0 || w->peer.saw_mail) {
        return sc_fail_u(buf, cap, "EHLO count", 1, w->peer.ehlo_count);
    }
    return NULL;
}

static const char *ck_stalled(sim_world_t *w, char *buf, size_t cap)
{
    uint32_t took = w->t_end - w->peer.t_tls_start;
    if (took != SMTPC_TIMEOUT_TLS_MS) {
        return sc_fail_u(buf, cap, "virtual ms in the handshake", SMTPC_TIMEOUT_TLS_MS, took);
    }
    return ck_cert_refused(w, buf, cap);
}

static const char *ck_slowloris(sim_world_t *w, char *buf, size_t cap)
{
    uint32_t took = w->t_end - w->t_begin;
    if (took != SMTPC_TIMEOUT_GREETING_MS) {
        return sc_fail_u(buf, cap, "virtual ms until the timeout", SMTPC_TIMEOUT_GREETING_MS, took);
    }
    /* The client read one byte at t=0 and one per second until t=299 s; the
     * byte due at t=300 s came too late. */
    if (w->pipe.c_recv != SMTPC_TIMEOUT_GREETING_MS / 1000u) {
        return sc_fail_u(buf, cap, "greeting bytes read", SMTPC_TIMEOUT_GREETING_MS / 1000u,
                         (unsigned long)w->pipe.c_recv);
    }
    return NULL;
}

static const char *ck_endless(sim_world_t *w, char *buf, size_t cap)
{
    if (w->peer.spam_lines > 1000u) {
        return sc_fail_u(buf, cap, "at most this many reply lines sent", 1000, w->peer.spam_lines);
    }
    return NULL;
}

/* ------------------------------------------------------------ table ---- */

#define L_DEF   (-1)
#define L_ENC   SMTPC_TLS_ENCRYPTED
#define L_PLAIN SMTPC_TLS_PLAINTEXT_ALLOWED
#define OK_DONE SMTPC_OK, SMTPC_STAGE_DONE
#define HS      SMTPC_STAGE_TLS_HANDSHAKE

static const scenario_t scenarios[] = {
    /* ---- delivery that must work */
    {"submission_starttls_auth_plain", "587, STARTTLS, verified certificate, AUTH PLAIN", NULL,
     NULL, NULL, L_DEF, OK_DONE, SMTPC_CERT_OK, SC_DELIVERS | SC_1BYTE, ck_submission},
    {"submission_auth_login", "587, STARTTLS, AUTH LOGIN", su_auth_login, NULL, NULL, L_DEF,
     OK_DONE, SMTPC_CERT_OK, SC_DELIVERS | SC_1BYTE, ck_tls_verified},
    {"implicit_tls_465", "465, TLS from the first byte, AUTH PLAIN", su_implicit, NULL, NULL, L_DEF,
     OK_DONE, SMTPC_CERT_OK, SC_DELIVERS | SC_1BYTE, ck_implicit},
    {"pipelining", "RFC 2920: MAIL, 3 RCPT and DATA in one flight", su_pipelining, NULL, NULL,
     L_DEF, OK_DONE, SMTPC_CERT_OK, SC_DELIVERS | SC_1BYTE, ck_pipelining},
    {"mx_plaintext_allowed", "port 25, no STARTTLS, caller allowed plaintext", su_mx_plain, NULL,
     NULL, L_DEF, OK_DONE, SMTPC_CERT_NOT_CHECKED, SC_DELIVERS | SC_PLAINTEXT_OK | SC_1BYTE,
     ck_plain},
    {"mx_opportunistic_starttls",
     "plaintext allowed but STARTTLS offered: upgrades, name mismatch only recorded",
     su_mx_opportunistic, NULL, NULL, L_DEF, OK_DONE, SMTPC_CERT_HOSTNAME, SC_DELIVERS | SC_1BYTE,
     ck_opportunistic},
    {"rcpt_partial", "one of two recipients refused: per-recipient results", su_rcpt_partial, NULL,
     NULL, L_DEF, SMTPC_ERR_RCPT_SOME_REJECTED, SMTPC_STAGE_DONE, SMTPC_CERT_OK,
     SC_DELIVERS | SC_1BYTE, ck_rcpt_partial},
    {"cert_rsa_chain", "RSA-2048 chain via an intermediate", NULL, "rsa", NULL, L_DEF, OK_DONE,
     SMTPC_CERT_OK, SC_DELIVERS, ck_tls_verified},
    {"cert_wildcard_ok", "*.example.test is valid for a.example.test", NULL, "wildcard",
     "a.example.test", L_DEF, OK_DONE, SMTPC_CERT_OK, SC_DELIVERS, ck_tls_verified},

    /* ---- STARTTLS stripping and downgrade */
    {"strip_starttls", "STARTTLS removed from the EHLO reply", su_no_starttls, NULL, NULL, L_DEF,
     SMTPC_ERR_STARTTLS_REQUIRED, SMTPC_STAGE_EHLO, SC_NO_VERDICT, SC_1BYTE, ck_quit_no_auth},
    {"starttls_garbage_token", "STARTTLS overwritten with XXXXXXXA", su_garbage_token, NULL, NULL,
     L_DEF, SMTPC_ERR_STARTTLS_REQUIRED, SMTPC_STAGE_EHLO, SC_NO_VERDICT, 0, ck_quit_no_auth},
    {"starttls_454", "STARTTLS answered 454", su_starttls_454, NULL, NULL, L_DEF,
     SMTPC_ERR_STARTTLS_REFUSED, SMTPC_STAGE_STARTTLS, SC_NO_VERDICT, SC_1BYTE, ck_reply_454},
    {"starttls_502", "STARTTLS answered 502", su_starttls_502, NULL, NULL, L_DEF,
     SMTPC_ERR_STARTTLS_REFUSED, SMTPC_STAGE_STARTTLS, SC_NO_VERDICT, 0, ck_reply_502},
    {"starttls_garbage_reply", "STARTTLS answered with a malformed reply", su_starttls_garbage,
     NULL, NULL, L_DEF, SMTPC_ERR_REPLY_SYNTAX, SMTPC_STAGE_STARTTLS, SC_NO_VERDICT, 0, NULL},
    /* CVE-2011-0411 class. The result must not depend on how the bytes were
     * segmented: the _1byte variants expect the same stage as the bulk runs.
     * The split variant writes "250 fake" separately, right after the 220 and
     * before the client's next step: a TCP stream does not keep write
     * boundaries, so the client sees exactly what it sees in the first
     * variant and must report the same injection. */
    {"starttls_injection", "plaintext injected after the 220, in the same write", su_inject_same,
     NULL, NULL, L_DEF, SMTPC_ERR_STARTTLS_INJECTION, SMTPC_STAGE_STARTTLS, SC_NO_VERDICT, SC_1BYTE,
     NULL},
    {"starttls_injection_split",
     "plaintext injected in a second write before the client steps again", su_inject_next, NULL,
     NULL, L_DEF, SMTPC_ERR_STARTTLS_INJECTION, SMTPC_STAGE_STARTTLS, SC_NO_VERDICT, SC_1BYTE,
     NULL},
    /* Once the client has started TLS, injected bytes reach mbedTLS's record
     * layer, not the SMTP parser: "250 fake" is not a TLS record, the handshake
     * fails and nothing of it is ever taken as a reply. */
    {"starttls_injection_late", "plaintext injected after the ClientHello left", su_inject_late,
     NULL, NULL, L_DEF, SMTPC_ERR_TLS_HANDSHAKE, HS, SC_NO_VERDICT, SC_1BYTE, ck_cert_refused},
    {"caps_tampered_before_tls",
     "AUTH and PIPELINING offered only before TLS: forgotten after (RFC 3207 §4.2)",
     su_caps_tampered, NULL, NULL, L_DEF, SMTPC_ERR_AUTH_UNSUPPORTED, SMTPC_STAGE_EHLO_TLS,
     SMTPC_CERT_OK, 0, ck_caps},

    /* ---- certificates: refused at VERIFIED, recorded at ENCRYPTED */
    {"cert_self_signed", "self-signed leaf", NULL, "selfsigned", NULL, L_DEF,
     SMTPC_ERR_TLS_CERT_UNTRUSTED, HS, SMTPC_CERT_UNTRUSTED, 0, ck_cert_refused},
    {"cert_self_signed_encrypted", "self-signed leaf at level ENCRYPTED", NULL, "selfsigned", NULL,
     L_ENC, OK_DONE, SMTPC_CERT_UNTRUSTED, SC_DELIVERS, ck_tls_encrypted},
    {"cert_expired", "leaf expired 30 days ago", NULL, "expired", NULL, L_DEF,
     SMTPC_ERR_TLS_CERT_EXPIRED, HS, SMTPC_CERT_EXPIRED, 0, ck_cert_refused},
    {"cert_expired_encrypted", "expired leaf at level ENCRYPTED", NULL, "expired", NULL, L_ENC,
     OK_DONE, SMTPC_CERT_EXPIRED, SC_DELIVERS, ck_tls_encrypted},
    {"cert_not_yet_valid", "leaf valid from 30 days ahead", NULL, "notyet", NULL, L_DEF,
     SMTPC_ERR_TLS_CERT_NOT_YET_VALID, HS, SMTPC_CERT_NOT_YET_VALID, 0, ck_cert_refused},
    {"cert_not_yet_valid_encrypted", "not-yet-valid leaf at level ENCRYPTED", NULL, "notyet", NULL,
     L_ENC, OK_DONE, SMTPC_CERT_NOT_YET_VALID, SC_DELIVERS, ck_tls_encrypted},
    {"cert_wrong_host", "valid chain for other.example.test", NULL, "wronghost", NULL, L_DEF,
     SMTPC_ERR_TLS_CERT_HOSTNAME, HS, SMTPC_CERT_HOSTNAME, 0, ck_cert_refused},
    {"cert_wrong_host_encrypted", "wrong host at level ENCRYPTED", NULL, "wronghost", NULL, L_ENC,
     OK_DONE, SMTPC_CERT_HOSTNAME, SC_DELIVERS, ck_tls_encrypted},
    {"cert_wildcard_depth", "*.example.test presented for a.b.example.test", NULL, "wildcard",
     "a.b.example.test", L_DEF, SMTPC_ERR_TLS_CERT_HOSTNAME, HS, SMTPC_CERT_HOSTNAME, 0,
     ck_cert_refused},
    {"cert_wildcard_depth_encrypted", "wildcard depth at level ENCRYPTED", NULL, "wildcard",
     "a.b.example.test", L_ENC, OK_DONE, SMTPC_CERT_HOSTNAME, SC_DELIVERS, ck_tls_encrypted},
    {"cert_untrusted_root", "chain to a root that is not trusted", NULL, "untrusted", NULL, L_DEF,
     SMTPC_ERR_TLS_CERT_UNTRUSTED, HS, SMTPC_CERT_UNTRUSTED, 0, ck_cert_refused},
    {"cert_untrusted_root_encrypted", "untrusted root at level ENCRYPTED", NULL, "untrusted", NULL,
     L_ENC, OK_DONE, SMTPC_CERT_UNTRUSTED, SC_DELIVERS, ck_tls_encrypted},
    {"cert_untrusted_intermediate", "intermediate issued by an untrusted root", NULL,
     "untrusted_int", NULL, L_DEF, SMTPC_ERR_TLS_CERT_UNTRUSTED, HS, SMTPC_CERT_UNTRUSTED, 0,
     ck_cert_refused},
    {"cert_untrusted_intermediate_encrypted", "untrusted intermediate at level ENCRYPTED", NULL,
     "untrusted_int", NULL, L_ENC, OK_DONE, SMTPC_CERT_UNTRUSTED, SC_DELIVERS, ck_tls_encrypted},
    {"cert_leaf_as_ca", "leaf (CA:FALSE) used to sign the server certificate", NULL, "leafca", NULL,
     L_DEF, SMTPC_ERR_TLS_CERT_UNTRUSTED, HS, SMTPC_CERT_UNTRUSTED, 0, ck_cert_refused},
    {"cert_leaf_as_ca_encrypted", "leaf-as-CA at level ENCRYPTED", NULL, "leafca", NULL, L_ENC,
     OK_DONE, SMTPC_CERT_UNTRUSTED, SC_DELIVERS, ck_tls_encrypted},
    {"implicit_tls_wrong_host", "465 with a certificate for another host", su_implicit, "wronghost",
     NULL, L_DEF, SMTPC_ERR_TLS_CERT_HOSTNAME, SMTPC_STAGE_TLS_IMPLICIT, SMTPC_CERT_HOSTNAME, 0,
     NULL},

    /* ---- protocol version and ciphers */
    /* A server capped at TLS 1.1 that shares a suite with the client answers
     * with a TLS 1.1 ServerHello; the client must refuse the version. mbedTLS
     * 2.28 as a server cannot produce that hello for this client (every suite
     * the client offers is TLS 1.2-only), so the record is crafted. */
    {"tls11_only_server", "ServerHello for TLS 1.1", su_tls11_hello, NULL, NULL, L_DEF,
     SMTPC_ERR_TLS_VERSION, HS, SMTPC_CERT_NOT_CHECKED, 0, ck_cert_refused},
    /* The same server for real: mbedTLS capped at TLS 1.1 finds no suite
     * usable with 1.1 among the client's and sends a handshake_failure alert,
     * which the binding reports as a cipher problem. */
    {"tls11_real_server", "mbedTLS server limited to TLS 1.0-1.1", su_tls11_real, NULL, NULL, L_DEF,
     SMTPC_ERR_TLS_CIPHER, HS, SMTPC_CERT_NOT_CHECKED, 0, ck_cert_refused},
    /* Static RSA (no forward secrecy) and CBC only; the client offers ECDHE
     * with AEAD only, so there is no common suite. */
    {"weak_cipher_server", "server offers only static-RSA and CBC suites", su_weak_cipher, "rsa",
     NULL, L_DEF, SMTPC_ERR_TLS_CIPHER, HS, SMTPC_CERT_NOT_CHECKED, 0, ck_cert_refused},
    /* NULL (unencrypted) suites are not compiled into Debian's mbedTLS, so no
     * real server can pick one here: a crafted ServerHello choosing
     * TLS_RSA_WITH_NULL_SHA256, which the client never offered, must be
     * refused before any certificate is looked at. */
    {"weak_cipher_null_forced", "ServerHello forcing TLS_RSA_WITH_NULL_SHA256", su_null_hello, NULL,
     NULL, L_DEF, SMTPC_ERR_TLS_HANDSHAKE, HS, SMTPC_CERT_NOT_CHECKED, 0, ck_cert_refused},

    /* ---- transport faults and time */
    {"close_during_handshake", "server closes after its first handshake flight", su_close_mid, NULL,
     NULL, L_DEF, SMTPC_ERR_NET_CLOSED, HS, SC_NO_VERDICT, 0, ck_cert_refused},
    {"stalled_handshake", "server goes silent after its first handshake flight", su_stall_mid, NULL,
     NULL, L_DEF, SMTPC_ERR_TIMEOUT, HS, SC_NO_VERDICT, 0, ck_stalled},
    {"slowloris_greeting", "greeting dripped one byte per virtual second", su_slowloris, NULL, NULL,
     L_DEF, SMTPC_ERR_TIMEOUT, SMTPC_STAGE_GREETING, SC_NO_VERDICT, 0, ck_slowloris},

    /* ---- hostile replies */
    {"endless_multiline", "EHLO answered with an endless 250- reply", su_endless, NULL, NULL, L_DEF,
     SMTPC_ERR_REPLY_TOO_MANY_LINES, SMTPC_STAGE_EHLO, SC_NO_VERDICT, 0, ck_endless},
    {"overlong_line", "greeting line of 606 octets", su_overlong, NULL, NULL, L_DEF,
     SMTPC_ERR_REPLY_LINE_TOO_LONG, SMTPC_STAGE_GREETING, SC_NO_VERDICT, 0, NULL},
    {"nul_in_reply", "NUL byte inside the greeting", su_nul, NULL, NULL, L_DEF,
     SMTPC_ERR_REPLY_SYNTAX, SMTPC_STAGE_GREETING, SC_NO_VERDICT, 0, NULL},
    {"bare_lf_reply", "greeting ended by a bare LF", su_bare_lf, NULL, NULL, L_DEF,
     SMTPC_ERR_REPLY_SYNTAX, SMTPC_STAGE_GREETING, SC_NO_VERDICT, 0, NULL},
    {"invalid_reply_code_600", "reply code 600", su_code_600, NULL, NULL, L_DEF,
     SMTPC_ERR_REPLY_SYNTAX, SMTPC_STAGE_GREETING, SC_NO_VERDICT, 0, NULL},
    {"invalid_reply_code_2x0", "reply code 2x0", su_code_2x0, NULL, NULL, L_DEF,
     SMTPC_ERR_REPLY_SYNTAX, SMTPC_STAGE_GREETING, SC_NO_VERDICT, 0, NULL},
    {"reply_code_mismatch", "multi-line EHLO reply switching from 250 to 251", su_code_mismatch,
     NULL, NULL, L_DEF, SMTPC_ERR_REPLY_CODE_MISMATCH, SMTPC_STAGE_EHLO, SC_NO_VERDICT, 0, NULL},
    {"greeting_554", "server refuses service in its greeting", su_greeting_554, NULL, NULL, L_DEF,
     SMTPC_ERR_SMTP_GREETING, SMTPC_STAGE_GREETING, SC_NO_VERDICT, 0, NULL},
};

#define N_BASE (sizeof(scenarios) / sizeof(scenarios[0]))

/* ------------------------------------------------------------ listing -- */

/* Scenario i < N_BASE is the table entry; the rest are the _1byte variants
 * of the SC_1BYTE entries, in table order. */
static const scenario_t *sc_at(size_t i, bool *one_byte)
{
    size_t k;
    size_t v = N_BASE;
    *one_byte = false;
    if (i < N_BASE) {
        return &scenarios[i];
    }
    for (k = 0; k < N_BASE; k++) {
        if ((scenarios[k].flags & SC_1BYTE) != 0u) {
            if (v == i) {
                *one_byte = true;
                return &scenarios[k];
            }
            v++;
        }
    }
    return NULL;
}

/* The scenarios of this table and their _1byte variants; the DNS and MX
 * scenarios of sim_mx_scenarios.c follow them, then the MTA-STS scenarios of
 * sim_sts_scenarios.c, then the TLS-RPT scenarios of sim_tlsrpt.c. */
static size_t sc_count_here(void)
{
    size_t n = N_BASE;
    size_t k;
    for (k = 0; k < N_BASE; k++) {
        n += (scenarios[k].flags & SC_1BYTE) != 0u;
    }
    return n;
}

size_t sim_scenario_count(void)
{
    return sc_count_here() + sim_mx_scenario_count() + sim_sts_scenario_count() +
           sim_rpt_scenario_count();
}

const char *sim_scenario_name(size_t i)
{
    static char names[N_BASE][80];
    bool one;
    const scenario_t *s;
    if (i >= sc_count_here() + sim_mx_scenario_count() + sim_sts_scenario_count()) {
        return sim_rpt_scenario_name(i - sc_count_here() - sim_mx_scenario_count() -
                                     sim_sts_scenario_count());
    }
    if (i >= sc_count_here() + sim_mx_scenario_count()) {
        return sim_sts_scenario_name(i - sc_count_here() - sim_mx_scenario_count());
    }
    if (i >= sc_count_here()) {
        return sim_mx_scenario_name(i - sc_count_here());
    }
    s = sc_at(i, &one);
    if (s == NULL) {
        return NULL;
    }
    if (!one) {
        return s->name;
    }
    snprintf(names[i - N_BASE], sizeof(names[0]), "%s_1byte", s->name);
    return names[i - N_BASE];
}

const char *sim_scenario_desc(size_t i)
{
    bool one;
    const scenario_t *s;
    if (i >= sc_count_here() + sim_mx_scenario_count() + sim_sts_scenario_count()) {
        return sim_rpt_scenario_desc(i - sc_count_here() - sim_mx_scenario_count() -
                                     sim_sts_scenario_count());
    }
    if (i >= sc_count_here() + sim_mx_scenario_count()) {
        return sim_sts_scenario_desc(i - sc_count_here() - sim_mx_scenario_count());
    }
    if (i >= sc_count_here()) {
        return sim_mx_scenario_desc(i - sc_count_here());
    }
    s = sc_at(i, &one);
    return s == NULL ? NULL : s->desc;
}

/* ------------------------------------------------------------ running -- */

static const char *sc_leaks(const sim_world_t *w, char *buf, size_t cap)
{
    static const char *const words[] = {"AUTH", "MAIL", "RCPT", "DATA", SIM_BODY_MARKER};
    size_t i;
    if (w->peer.plain_truncated || w->pipe.wire_truncated) {
        return sc_fail(buf, cap, "complete logs", "truncated");
    }
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (sim_contains_ci(w->peer.plain_log, w->peer.plain_len, words[i])) {
            snprintf(buf, cap, "expected no %s before TLS got it in the plaintext log", words[i]);
            return buf;
        }
    }
    /* Whatever the layer, body and password never appear in clear on the wire. */
    if (sim_contains_ci(w->pipe.wire, w->pipe.wire_len, SIM_BODY_MARKER) ||
        sim_contains_ci(w->pipe.wire, w->pipe.wire_len, SIM_PASS)) {
        return sc_fail(buf, cap, "no cleartext body or password", "one on the wire");
    }
    return NULL;
}

static const char *sc_delivered(const sim_world_t *w, char *buf, size_t cap)
{
    size_t want = strlen(sim_msg_wire);
    if (!w->peer.body_done || w->peer.body_len != want ||
        memcmp(w->peer.body, sim_msg_wire, want) != 0) {
        snprintf(buf, cap, "expected the dot-stuffed CRLF body (%zu bytes) got %zu bytes%s", want,
                 w->peer.body_len, w->peer.body_done ? " (different)" : " (unfinished)");
        return buf;
    }
    if (w->ccfg.session.user != NULL && !w->peer.auth_ok) {
        return sc_fail(buf, cap, "successful AUTH", "none");
    }
    return NULL;
}

static const char *sc_outcome(const scenario_t *s, sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    char line[256];
    if (w->exhausted) {
        snprintf(buf, cap, "expected an end within %u iterations got still running", SIM_MAX_ITERS);
        return buf;
    }
    (void)smtpc_result_format(r, line, sizeof(line));
    if (w->rc != s->err || r->err != s->err) {
        snprintf(buf, cap, "expected %s got %s (%s)", smtpc_strerror(s->err), smtpc_strerror(w->rc),
                 line);
        return buf;
    }
    if (r->stage != s->stage) {
        snprintf(buf, cap, "expected stage %s got stage %s (%s)", smtpc_stage_name(s->stage),
                 smtpc_stage_name(r->stage), line);
        return buf;
    }
    if (s->verdict != SC_NO_VERDICT && r->cert != s->verdict) {
        snprintf(buf, cap, "expected cert %s got cert %s", smtpc_cert_name(s->verdict),
                 smtpc_cert_name(r->cert));
        return buf;
    }
    if (w->pipe.client_close_calls == 0) {
        return sc_fail(buf, cap, "the connection closed", "left open");
    }
    return NULL;
}

static const char *sc_judge(const scenario_t *s, sim_world_t *w, char *buf, size_t cap)
{
    const char *why = sc_outcome(s, w, buf, cap);
    if (why == NULL && (s->flags & SC_PLAINTEXT_OK) == 0u) {
        why = sc_leaks(w, buf, cap);
    }
    if (why == NULL && w->peer.violation[0] != '\0') {
        why = sc_fail(buf, cap, "a well-behaved client", w->peer.violation);
    }
    if (why == NULL && (s->flags & SC_DELIVERS) != 0u) {
        why = sc_delivered(w, buf, cap);
    }
    if (why == NULL && s->check != NULL) {
        why = s->check(w, buf, cap);
    }
    return why;
}

static void sc_configure(const scenario_t *s, sim_world_t *w, bool one_byte)
{
    sim_world_defaults(w);
    if (s->cert != NULL) {
        w->peer_cfg.cert = s->cert;
    }
    if (s->host != NULL) {
        w->ccfg.host = s->host;
    }
    if (s->level != L_DEF) {
        w->ccfg.session.tls_level = (smtpc_tls_level_t)s->level;
    }
    if (s->setup != NULL) {
        s->setup(w);
    }
    if (one_byte) {
        w->pipe.chunk = 1;
        w->body.chunk = 1;
    }
}

int sim_scenario_run(const char *name, const char *cert_dir, char *why, size_t why_cap)
{
    size_t i;
    size_t n = sc_count_here();
    for (i = 0; i < sim_mx_scenario_count(); i++) {
        if (strcmp(sim_mx_scenario_name(i), name) == 0) {
            return sim_mx_scenario_run(i, cert_dir, why, why_cap);
        }
    }
    for (i = 0; i < sim_sts_scenario_count(); i++) {
        if (strcmp(sim_sts_scenario_name(i), name) == 0) {
            return sim_sts_scenario_run(i, cert_dir, why, why_cap);
        }
    }
    for (i = 0; i < sim_rpt_scenario_count(); i++) {
        if (strcmp(sim_rpt_scenario_name(i), name) == 0) {
            return sim_rpt_scenario_run(i, cert_dir, why, why_cap);
        }
    }
    for (i = 0; i < n; i++) {
        bool one;
        const scenario_t *s = sc_at(i, &one);
        sim_world_t *w;
        const char *fail;
        int ok;
        if (strcmp(sim_scenario_name(i), name) != 0) {
            continue;
        }
        w = (sim_world_t *)calloc(1, sizeof(*w));
        if (w == NULL) {
            snprintf(why, why_cap, "expected memory got none");
            return 0;
        }
        sc_configure(s, w, one);
        if (sim_world_run(w, cert_dir, why, why_cap) != 0) {
            char setup[256];
            snprintf(setup, sizeof(setup), "%s", why);
            snprintf(why, why_cap, "expected a working setup got %s", setup);
            sim_world_free(w);
            free(w);
            return 0;
        }
        fail = sc_judge(s, w, why, why_cap);
        ok = fail == NULL;
        sim_world_free(w);
        free(w);
        return ok;
    }
    return -1;
}
