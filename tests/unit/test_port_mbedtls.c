/**
 * @file test_port_mbedtls.c
 * @brief The mbedTLS binding against a real mbedTLS server in the same process.
 *
 * Client (the binding) and server talk over an in-memory duplex pipe. The
 * client sees the pipe as an ::smtpc_stream_t with the "0 = would block"
 * contract; the server uses it through its own bio callbacks. The test drives
 * both sides alternately: no threads, no sleeps, every loop bounded. Each
 * "turn" may give each direction a byte budget, so the one-byte-at-a-time
 * runs exercise every WANT_READ / WANT_WRITE path of both sides.
 *
 * Certificates come from tests/certs/gen.sh; their directory is argv[1] or
 * the compile definition SMTPC_TEST_CERT_DIR.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbedtls/ctr_drbg.h"
#include "mbedtls/entropy.h"
#include "mbedtls/net_sockets.h"
#include "mbedtls/pk.h"
#include "mbedtls/ssl.h"
#include "mbedtls/version.h"
#include "mbedtls/x509_crt.h"

#include "smtpc_mbedtls.h"

#ifndef SMTPC_TEST_CERT_DIR
#define SMTPC_TEST_CERT_DIR "certs"
#endif

static const char *cert_dir = SMTPC_TEST_CERT_DIR;

/* A handshake takes a few thousand bytes; one byte per turn stays far below. */
#define MAX_TURNS 200000
#define PIPE_CAP  32768

/* ------------------------------------------------------------- the pipe ---- */

typedef struct {
    uint8_t buf[PIPE_CAP];
    size_t head; /* index of the oldest byte */
    size_t len;  /* bytes stored */
} ring_t;

typedef struct {
    ring_t c2s, s2c;
    size_t chunk; /* bytes per direction and turn; 0 = unlimited */
    size_t c_send_left, c_recv_left, s_send_left, s_recv_left; /* this turn */
    int closed;       /* both directions shut (reads drain first) */
    size_t s2c_limit; /* when non-zero: the client's reads end after this many */
    size_t s2c_given; /* bytes the client has read */
    int client_calls; /* stream op calls by the client, to prove progress */
} pipe_t;

static size_t ring_put(ring_t *r, const uint8_t *p, size_t n)
{
    size_t i, room = PIPE_CAP - r->len;

    if (n > room) {
        n = room;
    }
    for (i = 0; i < n; i++) {
        r->buf[(r->head + r->len + i) % PIPE_CAP] = p[i];
    }
    r->len += n;
    return n;
}

static size_t ring_get(ring_t *r, uint8_t *p, size_t n)
{
    size_t i;

    if (n > r->len) {
        n = r->len;
    }
    for (i = 0; i < n; i++) {
        p[i] = r->buf[(r->head + i) % PIPE_CAP];
    }
    r->head = (r->head + n) % PIPE_CAP;
    r->len -= n;
    return n;
}

static size_t budget(const pipe_t *p, size_t want, size_t left)
{
    return (p->chunk != 0 && want > left) ? left : want;
}

/* Start a new turn: each direction may move `chunk` bytes again. */
static void pipe_turn(pipe_t *p)
{
    p->c_send_left = p->c_recv_left = p->s_send_left = p->s_recv_left = p->chunk;
}

static int32_t cli_send(void *ctx, const uint8_t *buf, size_t len)
{
    pipe_t *p = (pipe_t *)ctx;
    size_t n;

    p->client_calls++;
    if (p->closed) {
        return SMTPC_ERR_NET_CLOSED;
    }
    n = ring_put(&p->c2s, buf, budget(p, len, p->c_send_left));
    if (p->chunk != 0) {
        p->c_send_left -= n;
    }
    return (int32_t)n;
}

static int32_t cli_recv(void *ctx, uint8_t *buf, size_t cap)
{
    pipe_t *p = (pipe_t *)ctx;
    size_t n;

    p->client_calls++;
    if (p->s2c_limit != 0) {
        if (p->s2c_given >= p->s2c_limit) {
            return SMTPC_ERR_NET_CLOSED;
        }
        if (cap > p->s2c_limit - p->s2c_given) {
            cap = p->s2c_limit - p->s2c_given;
        }
    }
    n = ring_get(&p->s2c, buf, budget(p, cap, p->c_recv_left));
    if (n == 0 && p->closed) {
        return SMTPC_ERR_NET_CLOSED;
    }
    if (p->chunk != 0) {
        p->c_recv_left -= n;
    }
    p->s2c_given += n;
    return (int32_t)n;
}

static void cli_close(void *ctx)
{
    ((pipe_t *)ctx)->closed = 1;
}

static const smtpc_stream_ops_t cli_stream_ops = {cli_send, cli_recv, cli_close};

static int srv_bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    pipe_t *p = (pipe_t *)ctx;
    size_t n;

    if (p->closed) {
        return MBEDTLS_ERR_NET_CONN_RESET;
    }
    n = ring_put(&p->s2c, buf, budget(p, len, p->s_send_left));
    if (p->chunk != 0) {
        p->s_send_left -= n;
    }
    return n == 0 ? MBEDTLS_ERR_SSL_WANT_WRITE : (int)n;
}

static int srv_bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    pipe_t *p = (pipe_t *)ctx;
    size_t n = ring_get(&p->c2s, buf, budget(p, len, p->s_recv_left));

    if (p->chunk != 0) {
        p->s_recv_left -= n;
    }
    if (n == 0) {
        return p->closed ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_SSL_WANT_READ;
    }
    return (int)n;
}

/* ------------------------------------------------------------- the server -- */

typedef struct {
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    int suites[8];
    int ret;  /* last handshake result */
    int done; /* handshake ended (ret says how) */
} server_t;

/* A scripted peer for what an mbedTLS server cannot be made to send: it waits
 * for the whole ClientHello record, then answers with fixed bytes. */
typedef struct {
    const uint8_t *reply;
    size_t reply_len;
    int answered;
} script_t;

typedef struct {
    pipe_t pipe;
    server_t srv;
    script_t script;
    int use_script;
    int srv_inited;
    smtpc_mbedtls_t cli;
    smtpc_stream_t under;
} world_t;

static world_t *w;
static const smtpc_tls_ops_t *ops = &smtpc_mbedtls_tls_ops;

static void path_of(char *out, size_t cap, const char *name, const char *ext)
{
    int n = snprintf(out, cap, "%s/%s.%s", cert_dir, name, ext);

    assert_true(n > 0 && (size_t)n < cap);
}

typedef struct {
    const char *cert; /* tests/certs name */
    int min_minor;    /* 3 = TLS 1.2 */
    int max_minor;
    const int *suites; /* NULL: mbedTLS defaults */
} server_opts_t;

static void server_start(const server_opts_t *o)
{
    server_t *s = &w->srv;
    char crt[512], key[512];
    static const unsigned char pers[] = "smtpc test server";

    path_of(crt, sizeof(crt), o->cert, "crt");
    path_of(key, sizeof(key), o->cert, "key");
    mbedtls_ssl_init(&s->ssl);
    mbedtls_ssl_config_init(&s->conf);
    mbedtls_x509_crt_init(&s->chain);
    mbedtls_pk_init(&s->key);
    mbedtls_entropy_init(&s->entropy);
    mbedtls_ctr_drbg_init(&s->drbg);
    w->srv_inited = 1;

    assert_int_equal(
        mbedtls_ctr_drbg_seed(&s->drbg, mbedtls_entropy_func, &s->entropy, pers, sizeof(pers) - 1),
        0);
    assert_int_equal(mbedtls_x509_crt_parse_file(&s->chain, crt), 0);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    assert_int_equal(
        mbedtls_pk_parse_keyfile(&s->key, key, NULL, mbedtls_ctr_drbg_random, &s->drbg), 0);
#else
    assert_int_equal(mbedtls_pk_parse_keyfile(&s->key, key, NULL), 0);
#endif
    assert_int_equal(mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_SERVER,
                                                 MBEDTLS_SSL_TRANSPORT_STREAM,
                                                 MBEDTLS_SSL_PRESET_DEFAULT),
                     0);
    mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random, &s->drbg);
    mbedtls_ssl_conf_authmode(&s->conf, MBEDTLS_SSL_VERIFY_NONE);
    assert_int_equal(mbedtls_ssl_conf_own_cert(&s->conf, &s->chain, &s->key), 0);
#if MBEDTLS_VERSION_NUMBER < 0x03000000
    mbedtls_ssl_conf_min_version(&s->conf, 3, o->min_minor);
    mbedtls_ssl_conf_max_version(&s->conf, 3, o->max_minor);
#endif
    if (o->suites != NULL) {
        mbedtls_ssl_conf_ciphersuites(&s->conf, o->suites);
    }
    assert_int_equal(mbedtls_ssl_setup(&s->ssl, &s->conf), 0);
    mbedtls_ssl_set_bio(&s->ssl, &w->pipe, srv_bio_send, srv_bio_recv, NULL);
}

static void server_start_cert(const char *cert)
{
    server_opts_t o = {cert, 3, 3, NULL};

    server_start(&o);
}

static void server_stop(void)
{
    server_t *s = &w->srv;

    if (!w->srv_inited) {
        return;
    }
    mbedtls_ssl_free(&s->ssl);
    mbedtls_ssl_config_free(&s->conf);
    mbedtls_x509_crt_free(&s->chain);
    mbedtls_pk_free(&s->key);
    mbedtls_ctr_drbg_free(&s->drbg);
    mbedtls_entropy_free(&s->entropy);
    w->srv_inited = 0;
}

static void script_step(void)
{
    script_t *sc = &w->script;
    ring_t *r = &w->pipe.c2s;
    uint8_t hdr[5], junk[512];
    size_t rec, i;

    if (sc->answered || r->len < sizeof(hdr)) {
        return;
    }
    for (i = 0; i < sizeof(hdr); i++) {
        hdr[i] = r->buf[(r->head + i) % PIPE_CAP];
    }
    rec = ((size_t)hdr[3] << 8) | hdr[4];
    if (hdr[0] != 0x16 || r->len < sizeof(hdr) + rec) {
        return; /* ClientHello not complete yet */
    }
    rec += sizeof(hdr);
    while (rec > 0) {
        rec -= ring_get(r, junk, rec < sizeof(junk) ? rec : sizeof(junk));
    }
    assert_int_equal(ring_put(&w->pipe.s2c, sc->reply, sc->reply_len), sc->reply_len);
    sc->answered = 1;
}

static void server_step(void)
{
    server_t *s = &w->srv;
    int ret;

    if (w->use_script) {
        script_step();
        return;
    }
    if (s->done) {
        return;
    }
    ret = mbedtls_ssl_handshake(&s->ssl);
    if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
        s->ret = ret;
        s->done = 1;
    }
}

/* ------------------------------------------------------------- fixtures ---- */

static int client_init_with(const smtpc_mbedtls_cfg_t *cfg)
{
    return smtpc_mbedtls_init(&w->cli, cfg);
}

static int setup(void **state)
{
    char ca[512];
    smtpc_mbedtls_cfg_t cfg;

    (void)state;
    w = calloc(1, sizeof(*w));
    assert_non_null(w);
    w->under.ops = &cli_stream_ops;
    w->under.ctx = &w->pipe;
    path_of(ca, sizeof(ca), "ca", "crt");
    memset(&cfg, 0, sizeof(cfg));
    cfg.ca_file = ca;
    assert_int_equal(client_init_with(&cfg), SMTPC_OK);
    return 0;
}

/* For tests that initialise the client themselves. */
static int setup_bare(void **state)
{
    (void)state;
    w = calloc(1, sizeof(*w));
    assert_non_null(w);
    w->under.ops = &cli_stream_ops;
    w->under.ctx = &w->pipe;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ops->end(&w->cli);
    smtpc_mbedtls_free(&w->cli);
    server_stop();
    free(w);
    w = NULL;
    return 0;
}

/* Fresh pipe and server state for another session in the same test. */
static void world_reset(size_t chunk)
{
    server_stop();
    memset(&w->pipe, 0, sizeof(w->pipe));
    memset(&w->srv, 0, sizeof(w->srv));
    memset(&w->script, 0, sizeof(w->script));
    w->use_script = 0;
    w->pipe.chunk = chunk;
}

/* Drive both handshakes until the client's has ended and, when it succeeded,
 * the server's too (whichever side sends the last flight finishes first). */
static int run_handshake(void)
{
    unsigned wants = 0;
    int rc = SMTPC_IN_PROGRESS;
    long i;

    for (i = 0; i < MAX_TURNS; i++) {
        pipe_turn(&w->pipe);
        if (rc == SMTPC_IN_PROGRESS) {
            rc = ops->handshake(&w->cli, &wants);
            if (rc == SMTPC_IN_PROGRESS) {
                assert_true(wants == SMTPC_WANT_READ || wants == SMTPC_WANT_WRITE);
                assert_int_equal(smtpc_mbedtls_wants(&w->cli), wants);
            }
        }
        server_step();
        if (rc != SMTPC_IN_PROGRESS && (rc != SMTPC_OK || w->use_script || w->srv.done)) {
            return rc;
        }
    }
    fail_msg("handshake did not end within %d turns", MAX_TURNS);
    return SMTPC_ERR_TIMEOUT;
}

static int handshake_with(const char *cert, const char *host, smtpc_verify_t verify)
{
    world_reset(0);
    server_start_cert(cert);
    assert_int_equal(ops->start(&w->cli, &w->under, host, verify), SMTPC_OK);
    return run_handshake();
}

/* Client -> server: everything in @p data must arrive, whatever the budget. */
static void send_to_server(const char *data)
{
    size_t len = strlen(data), sent = 0, got = 0;
    uint8_t rx[256];
    long i;

    assert_true(len <= sizeof(rx));
    for (i = 0; i < MAX_TURNS && got < len; i++) {
        pipe_turn(&w->pipe);
        if (sent < len) {
            int32_t n = ops->stream.send(&w->cli, (const uint8_t *)data + sent, len - sent);
            assert_true(n >= 0);
            sent += (size_t)n;
        }
        int r = mbedtls_ssl_read(&w->srv.ssl, rx + got, sizeof(rx) - got);
        if (r > 0) {
            got += (size_t)r;
        } else {
            assert_true(r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE);
        }
    }
    assert_int_equal(sent, len);
    assert_int_equal(got, len);
    assert_memory_equal(rx, data, len);
}

/* Server -> client, read by the client in pieces of at most @p cap bytes. */
static void recv_from_server(const char *data, size_t cap)
{
    size_t len = strlen(data), sent = 0, got = 0;
    uint8_t rx[256];
    long i;

    assert_true(len <= sizeof(rx) && cap > 0);
    for (i = 0; i < MAX_TURNS && got < len; i++) {
        pipe_turn(&w->pipe);
        if (sent < len) {
            int r = mbedtls_ssl_write(&w->srv.ssl, (const unsigned char *)data + sent, len - sent);
            if (r > 0) {
                sent += (size_t)r;
            } else {
                assert_true(r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE);
            }
        }
        size_t want = len - got < cap ? len - got : cap;
        int32_t n = ops->stream.recv(&w->cli, rx + got, want);
        assert_true(n >= 0);
        got += (size_t)n;
        if (got < len && n > 0 && sent == len) {
            /* whatever the record still holds is buffered in the session */
            assert_int_equal(smtpc_mbedtls_pending(&w->cli), 1);
        }
    }
    assert_int_equal(got, len);
    assert_memory_equal(rx, data, len);
    assert_int_equal(smtpc_mbedtls_pending(&w->cli), 0);
}

/* ------------------------------------------------------------- verdicts ---- */

static void test_mbedtls_good_chain_verifies_and_carries_data(void **state)
{
    (void)state;
    assert_int_equal(handshake_with("good", "mail.example.test", SMTPC_VERIFY_REQUIRED), SMTPC_OK);
    assert_int_equal(w->srv.ret, 0);
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_OK);
    /* a second call after completion is a no-op */
    assert_int_equal(ops->handshake(&w->cli, NULL), SMTPC_OK);
    send_to_server("EHLO client.example.test\r\n");
    recv_from_server("250-mail.example.test\r\n250 STARTTLS\r\n", 1000);

    /* end() sends close_notify, which the server sees as an orderly close */
    ops->end(&w->cli);
    uint8_t b[8];
    assert_int_equal(mbedtls_ssl_read(&w->srv.ssl, b, sizeof(b)),
                     MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY);
    ops->end(&w->cli);                                      /* twice is fine */
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_OK); /* kept until next start */
    assert_int_equal(ops->stream.recv(&w->cli, b, sizeof(b)), SMTPC_ERR_STATE);
}

static void test_mbedtls_rsa_chain_verifies(void **state)
{
    (void)state;
    assert_int_equal(handshake_with("rsa", "mail.example.test", SMTPC_VERIFY_REQUIRED), SMTPC_OK);
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_OK);
    send_to_server("QUIT\r\n");
}

static void test_mbedtls_expired_required_fails(void **state)
{
    (void)state;
    assert_int_equal(handshake_with("expired", "mail.example.test", SMTPC_VERIFY_REQUIRED),
                     SMTPC_ERR_TLS_CERT_EXPIRED);
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_EXPIRED);
    /* the error is sticky */
    assert_int_equal(ops->handshake(&w->cli, NULL), SMTPC_ERR_TLS_CERT_EXPIRED);
    uint8_t b[4];
    assert_int_equal(ops->stream.send(&w->cli, b, sizeof(b)), SMTPC_ERR_STATE);
}

static void test_mbedtls_expired_optional_connects_and_records(void **state)
{
    (void)state;
    assert_int_equal(handshake_with("expired", "mail.example.test", SMTPC_VERIFY_OPTIONAL),
                     SMTPC_OK);
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_EXPIRED);
    send_to_server("EHLO x\r\n");
    recv_from_server("250 ok\r\n", 64);
}

static void test_mbedtls_not_yet_valid_fails(void **state)
{
    (void)state;
    assert_int_equal(handshake_with("notyet", "mail.example.test", SMTPC_VERIFY_REQUIRED),
                     SMTPC_ERR_TLS_CERT_NOT_YET_VALID);
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_NOT_YET_VALID);
}

static void test_mbedtls_wrong_host_fails(void **state)
{
    (void)state;
    assert_int_equal(handshake_with("wronghost", "mail.example.test", SMTPC_VERIFY_REQUIRED),
                     SMTPC_ERR_TLS_CERT_HOSTNAME);
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_HOSTNAME);
}

static void test_mbedtls_wrong_host_optional_records(void **state)
{
    (void)state;
    assert_int_equal(handshake_with("wronghost", "mail.example.test", SMTPC_VERIFY_OPTIONAL),
                     SMTPC_OK);
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_HOSTNAME);
}

static void test_mbedtls_untrusted_root_fails(void **state)
{
    (void)state;
    assert_int_equal(handshake_with("untrusted", "mail.example.test", SMTPC_VERIFY_REQUIRED),
                     SMTPC_ERR_TLS_CERT_UNTRUSTED);
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_UNTRUSTED);
}

static void test_mbedtls_untrusted_intermediate_fails(void **state)
{
    (void)state;
    assert_int_equal(handshake_with("untrusted_int", "mail.example.test", SMTPC_VERIFY_REQUIRED),
                     SMTPC_ERR_TLS_CERT_UNTRUSTED);
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_UNTRUSTED);
}

static void test_mbedtls_wildcard_one_label_verifies(void **state)
{
    (void)state;
    assert_int_equal(handshake_with("wildcard", "a.example.test", SMTPC_VERIFY_REQUIRED), SMTPC_OK);
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_OK);
}

static void test_mbedtls_wildcard_two_labels_fails(void **state)
{
    (void)state;
    /* RFC 6125 §6.4.3: '*' stands for exactly one label */
    assert_int_equal(handshake_with("wildcard", "a.b.example.test", SMTPC_VERIFY_REQUIRED),
                     SMTPC_ERR_TLS_CERT_HOSTNAME);
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_HOSTNAME);
}

static void test_mbedtls_leaf_as_ca_fails_untrusted(void **state)
{
    (void)state;
    /* mbedTLS never accepts a certificate without CA:TRUE as a parent, so the
     * chain stops at the leaf, which no trust anchor signed: "not trusted".
     * That is also the honest TLS-RPT reason (certificate-not-trusted). */
    assert_int_equal(handshake_with("leafca", "mail.example.test", SMTPC_VERIFY_REQUIRED),
                     SMTPC_ERR_TLS_CERT_UNTRUSTED);
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_UNTRUSTED);
}

static void test_mbedtls_self_signed_fails_untrusted(void **state)
{
    (void)state;
    assert_int_equal(handshake_with("selfsigned", "mail.example.test", SMTPC_VERIFY_REQUIRED),
                     SMTPC_ERR_TLS_CERT_UNTRUSTED);
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_UNTRUSTED);
}

static void test_mbedtls_verify_none_does_not_check(void **state)
{
    (void)state;
    assert_int_equal(handshake_with("selfsigned", "mail.example.test", SMTPC_VERIFY_NONE),
                     SMTPC_OK);
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_NOT_CHECKED);
    ops->end(&w->cli);
    /* without a host name: no SNI, still fine under NONE */
    world_reset(0);
    server_start_cert("good");
    assert_int_equal(ops->start(&w->cli, &w->under, NULL, SMTPC_VERIFY_NONE), SMTPC_OK);
    assert_int_equal(run_handshake(), SMTPC_OK);
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_NOT_CHECKED);
}

/* ------------------------------------------------------------- protocol ---- */

static void test_mbedtls_tls11_only_server_refused(void **state)
{
    static const int cbc[] = {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
                              MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 0};
    server_opts_t o = {"good", 2, 2, cbc};

    (void)state;
    /* A TLS 1.1 server can only pick a suite valid in TLS 1.1; we offer AEAD
     * suites only, which are all TLS 1.2, so it never gets to send its version:
     * it answers handshake_failure. The client cannot tell this from "no
     * shared cipher" (which it is), so the result is SMTPC_ERR_TLS_CIPHER. */
    world_reset(0);
    server_start(&o);
    assert_int_equal(ops->start(&w->cli, &w->under, "mail.example.test", SMTPC_VERIFY_REQUIRED),
                     SMTPC_OK);
    assert_int_equal(run_handshake(), SMTPC_ERR_TLS_CIPHER);
#if MBEDTLS_VERSION_NUMBER < 0x03000000
    /* the server saw the GCM suite in common, but unusable in TLS 1.1 */
    assert_int_equal(w->srv.ret, MBEDTLS_ERR_SSL_NO_USABLE_CIPHERSUITE);
#endif
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_NOT_CHECKED);
}

/* A ServerHello that selects TLS 1.1 (what a TLS 1.1 server sharing a suite
 * with the client answers): record version 3.2, handshake type 2, length 38,
 * version 3.2, 32 random bytes, empty session id, suite C02B, no compression. */
static const uint8_t hello_tls11[] = {
    0x16, 0x03, 0x02, 0x00, 0x2a, 0x02, 0x00, 0x00, 0x26, 0x03, 0x02, 1,    2,    3,    4,   5,
    6,    7,    8,    9,    10,   11,   12,   13,   14,   15,   16,   17,   18,   19,   20,  21,
    22,   23,   24,   25,   26,   27,   28,   29,   30,   31,   32,   0x00, 0xc0, 0x2b, 0x00};
static const uint8_t alert_version[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 70};
static const uint8_t alert_hs_failure[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 40};
static const uint8_t alert_decode[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 50};

static int scripted(const uint8_t *reply, size_t len)
{
    world_reset(0);
    w->use_script = 1;
    w->script.reply = reply;
    w->script.reply_len = len;
    assert_int_equal(ops->start(&w->cli, &w->under, "mail.example.test", SMTPC_VERIFY_REQUIRED),
                     SMTPC_OK);
    return run_handshake();
}

static void test_mbedtls_server_hello_tls11_is_version_error(void **state)
{
    (void)state;
    assert_int_equal(scripted(hello_tls11, sizeof(hello_tls11)), SMTPC_ERR_TLS_VERSION);
    /* the client told the server why: a fatal protocol_version alert */
    uint8_t a[7];
    assert_int_equal(ring_get(&w->pipe.c2s, a, sizeof(a)), sizeof(a));
    assert_int_equal(a[0], 0x15);
    assert_int_equal(a[5], 2);
    assert_int_equal(a[6], 70);
}

static void test_mbedtls_alerts_map_to_causes(void **state)
{
    (void)state;
    assert_int_equal(scripted(alert_version, sizeof(alert_version)), SMTPC_ERR_TLS_VERSION);
    ops->end(&w->cli);
    assert_int_equal(scripted(alert_hs_failure, sizeof(alert_hs_failure)), SMTPC_ERR_TLS_CIPHER);
    ops->end(&w->cli);
    assert_int_equal(scripted(alert_decode, sizeof(alert_decode)), SMTPC_ERR_TLS_HANDSHAKE);
}

static void test_mbedtls_no_ecdhe_aead_server_is_cipher_error(void **state)
{
    static const int weak[] = {MBEDTLS_TLS_RSA_WITH_AES_128_GCM_SHA256,
                               MBEDTLS_TLS_RSA_WITH_AES_128_CBC_SHA256,
                               MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, 0};
    server_opts_t o = {"rsa", 3, 3, weak};

    (void)state;
    world_reset(0);
    server_start(&o);
    assert_int_equal(ops->start(&w->cli, &w->under, "mail.example.test", SMTPC_VERIFY_REQUIRED),
                     SMTPC_OK);
    /* the server finds no suite in common and sends handshake_failure */
    assert_int_equal(run_handshake(), SMTPC_ERR_TLS_CIPHER);
#if MBEDTLS_VERSION_NUMBER < 0x03000000
    assert_int_equal(w->srv.ret, MBEDTLS_ERR_SSL_NO_CIPHER_CHOSEN);
#endif
}

/* ------------------------------------------------------------- transport --- */

static void test_mbedtls_pipe_closed_mid_handshake(void **state)
{
    (void)state;
    /* the server's first flight is cut after 100 bytes (inside its certificate) */
    world_reset(0);
    w->pipe.s2c_limit = 100;
    server_start_cert("good");
    assert_int_equal(ops->start(&w->cli, &w->under, "mail.example.test", SMTPC_VERIFY_REQUIRED),
                     SMTPC_OK);
    assert_int_equal(run_handshake(), SMTPC_ERR_NET_CLOSED);
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_NOT_CHECKED);
    ops->end(&w->cli);

    /* closed before the server said anything */
    world_reset(0);
    w->pipe.closed = 1;
    server_start_cert("good");
    assert_int_equal(ops->start(&w->cli, &w->under, "mail.example.test", SMTPC_VERIFY_REQUIRED),
                     SMTPC_OK);
    assert_int_equal(run_handshake(), SMTPC_ERR_NET_CLOSED);
}

static int32_t failing_recv(void *ctx, uint8_t *buf, size_t cap)
{
    (void)ctx;
    (void)buf;
    (void)cap;
    return SMTPC_ERR_NET_IO;
}

static void test_mbedtls_under_stream_error_is_tls_io(void **state)
{
    static const smtpc_stream_ops_t bad = {cli_send, failing_recv, cli_close};
    smtpc_stream_t s = {&bad, NULL};

    (void)state;
    world_reset(0);
    s.ctx = &w->pipe;
    assert_int_equal(ops->start(&w->cli, &s, "mail.example.test", SMTPC_VERIFY_REQUIRED), SMTPC_OK);
    unsigned wants = 0;
    int rc = SMTPC_IN_PROGRESS;
    for (int i = 0; i < 10 && rc == SMTPC_IN_PROGRESS; i++) {
        rc = ops->handshake(&w->cli, &wants);
    }
    assert_int_equal(rc, SMTPC_ERR_TLS_IO);
}

static void test_mbedtls_one_byte_at_a_time(void **state)
{
    (void)state;
    world_reset(1);
    server_start_cert("good");
    assert_int_equal(ops->start(&w->cli, &w->under, "mail.example.test", SMTPC_VERIFY_REQUIRED),
                     SMTPC_OK);
    assert_int_equal(run_handshake(), SMTPC_OK);
    assert_int_equal(w->srv.ret, 0);
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_OK);
    assert_true(w->pipe.client_calls > 1000);
    send_to_server("MAIL FROM:<a@example.test>\r\n");
    recv_from_server("250 2.1.0 Ok\r\n", 3);
}

static void test_mbedtls_send_would_block_keeps_count(void **state)
{
    uint8_t rx[16];
    int32_t n;
    int r, i;

    (void)state;
    assert_int_equal(handshake_with("good", "mail.example.test", SMTPC_VERIFY_REQUIRED), SMTPC_OK);
    /* the pipe takes nothing this turn: the record is built but not sent */
    w->pipe.chunk = 1;
    w->pipe.c_send_left = 0;
    assert_int_equal(ops->stream.send(&w->cli, (const uint8_t *)"AAAA", 4), 0);
    assert_int_equal(smtpc_mbedtls_wants(&w->cli), SMTPC_WANT_WRITE);
    /* the caller offers more on the retry: only the 4 bytes already encrypted
     * may be reported, the rest must be offered again */
    w->pipe.chunk = 0;
    n = ops->stream.send(&w->cli, (const uint8_t *)"AAAABBBB", 8);
    assert_int_equal(n, 4);
    n = ops->stream.send(&w->cli, (const uint8_t *)"BBBB", 4);
    assert_int_equal(n, 4);
    memset(rx, 0, sizeof(rx));
    size_t got = 0;
    for (i = 0; i < 4 && got < 8; i++) {
        r = mbedtls_ssl_read(&w->srv.ssl, rx + got, sizeof(rx) - got);
        assert_true(r > 0);
        got += (size_t)r;
    }
    assert_int_equal(got, 8);
    assert_memory_equal(rx, "AAAABBBB", 8);
}

static void test_mbedtls_peer_close_notify_is_net_closed(void **state)
{
    uint8_t b[16];
    int i, r = MBEDTLS_ERR_SSL_WANT_WRITE;

    (void)state;
    assert_int_equal(handshake_with("good", "mail.example.test", SMTPC_VERIFY_REQUIRED), SMTPC_OK);
    assert_int_equal(ops->stream.recv(&w->cli, b, sizeof(b)), 0);
    assert_int_equal(smtpc_mbedtls_wants(&w->cli), SMTPC_WANT_READ);
    for (i = 0; i < 4 && r != 0; i++) {
        r = mbedtls_ssl_close_notify(&w->srv.ssl);
    }
    assert_int_equal(r, 0);
    assert_int_equal(ops->stream.recv(&w->cli, b, sizeof(b)), SMTPC_ERR_NET_CLOSED);
    assert_int_equal(ops->stream.recv(&w->cli, b, sizeof(b)), SMTPC_ERR_NET_CLOSED);
}

static void test_mbedtls_transport_close_after_handshake(void **state)
{
    uint8_t b[16];

    (void)state;
    assert_int_equal(handshake_with("good", "mail.example.test", SMTPC_VERIFY_REQUIRED), SMTPC_OK);
    w->pipe.closed = 1;
    assert_int_equal(ops->stream.recv(&w->cli, b, sizeof(b)), SMTPC_ERR_NET_CLOSED);
    assert_int_equal(ops->stream.send(&w->cli, b, sizeof(b)), SMTPC_ERR_NET_CLOSED);
}

/* ------------------------------------------------------------- lifecycle --- */

static void test_mbedtls_sessions_in_a_row(void **state)
{
    int i;

    (void)state;
    ops->end(&w->cli); /* without start: harmless */
    for (i = 0; i < 3; i++) {
        assert_int_equal(handshake_with("good", "mail.example.test", SMTPC_VERIFY_REQUIRED),
                         SMTPC_OK);
        assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_OK);
        /* a second start without end() is refused */
        assert_int_equal(ops->start(&w->cli, &w->under, "x.test", SMTPC_VERIFY_REQUIRED),
                         SMTPC_ERR_STATE);
        send_to_server("NOOP\r\n");
        ops->end(&w->cli);
        assert_int_equal(handshake_with("expired", "mail.example.test", SMTPC_VERIFY_REQUIRED),
                         SMTPC_ERR_TLS_CERT_EXPIRED);
        ops->stream.close(&w->cli); /* same as end() */
    }
    /* the verdict of the new session starts unchecked */
    world_reset(0);
    assert_int_equal(ops->start(&w->cli, &w->under, "mail.example.test", SMTPC_VERIFY_REQUIRED),
                     SMTPC_OK);
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_NOT_CHECKED);
}

static void test_mbedtls_bad_arguments(void **state)
{
    smtpc_stream_t none = {NULL, NULL};
    char longname[300];
    unsigned wants = 7;

    (void)state;
    assert_int_equal(ops->handshake(&w->cli, &wants), SMTPC_ERR_STATE);
    assert_int_equal(wants, 0u);
    assert_int_equal(ops->start(&w->cli, &none, "a.test", SMTPC_VERIFY_REQUIRED),
                     SMTPC_ERR_BAD_ARG);
    assert_int_equal(ops->start(&w->cli, &w->under, NULL, SMTPC_VERIFY_REQUIRED),
                     SMTPC_ERR_BAD_ARG);
    assert_int_equal(ops->start(&w->cli, &w->under, NULL, SMTPC_VERIFY_OPTIONAL),
                     SMTPC_ERR_BAD_ARG);
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(ops->start(&w->cli, &w->under, longname, SMTPC_VERIFY_REQUIRED),
                     SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_mbedtls_init(NULL, NULL), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_mbedtls_wants(NULL), 0u);
    assert_int_equal(smtpc_mbedtls_pending(&w->cli), 0);
}

static void test_mbedtls_no_ca_required_is_untrusted(void **state)
{
    smtpc_mbedtls_cfg_t cfg;

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    assert_int_equal(client_init_with(&cfg), SMTPC_OK);
    assert_int_equal(handshake_with("good", "mail.example.test", SMTPC_VERIFY_REQUIRED),
                     SMTPC_ERR_TLS_CERT_UNTRUSTED);
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_UNTRUSTED);
    ops->end(&w->cli);
    assert_int_equal(handshake_with("good", "mail.example.test", SMTPC_VERIFY_OPTIONAL), SMTPC_OK);
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_UNTRUSTED);
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    size_t n;

    assert_non_null(f);
    buf = malloc(65536);
    assert_non_null(buf);
    n = fread(buf, 1, 65535, f);
    fclose(f);
    buf[n] = '\0';
    *len = n + 1; /* mbedTLS wants the NUL counted for PEM */
    return buf;
}

static void test_mbedtls_ca_from_memory(void **state)
{
    smtpc_mbedtls_cfg_t cfg;
    char ca[512];
    size_t len;
    uint8_t *pem;

    (void)state;
    path_of(ca, sizeof(ca), "ca", "crt");
    pem = read_all(ca, &len);
    memset(&cfg, 0, sizeof(cfg));
    cfg.ca_pem = pem;
    cfg.ca_pem_len = len;
    assert_int_equal(client_init_with(&cfg), SMTPC_OK);
    free(pem); /* the parsed copy is all that is kept */
    assert_int_equal(handshake_with("good", "mail.example.test", SMTPC_VERIFY_REQUIRED), SMTPC_OK);
    assert_int_equal(ops->verdict(&w->cli), SMTPC_CERT_OK);
}

static void test_mbedtls_bad_ca_is_config_error(void **state)
{
    static const uint8_t junk[] = "-----BEGIN CERTIFICATE-----\nnot base64\n"
                                  "-----END CERTIFICATE-----\n";
    smtpc_mbedtls_cfg_t cfg;

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    cfg.ca_pem = junk;
    cfg.ca_pem_len = sizeof(junk);
    assert_int_equal(client_init_with(&cfg), SMTPC_ERR_TLS_CONFIG);
    memset(&cfg, 0, sizeof(cfg));
    cfg.ca_file = "/nonexistent/smtpc/ca.crt";
    assert_int_equal(client_init_with(&cfg), SMTPC_ERR_TLS_CONFIG);
    smtpc_mbedtls_free(&w->cli); /* after a failed init: nothing to do */
}

static int rng_calls;

static int rng_fill_ok(void *ctx, uint8_t *buf, size_t len)
{
    size_t i;

    (void)ctx;
    rng_calls++;
    for (i = 0; i < len; i++) {
        buf[i] = (uint8_t)(i * 131u + 7u); /* content irrelevant: platform entropy mixes in */
    }
    return SMTPC_OK;
}

static int rng_fill_fail(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    (void)len;
    return SMTPC_ERR_INTERNAL;
}

static void test_mbedtls_extra_entropy_source(void **state)
{
    static const smtpc_rng_ops_t good = {rng_fill_ok};
    static const smtpc_rng_ops_t bad = {rng_fill_fail};
    smtpc_mbedtls_cfg_t cfg;
    char ca[512];

    (void)state;
    path_of(ca, sizeof(ca), "ca", "crt");
    memset(&cfg, 0, sizeof(cfg));
    cfg.ca_file = ca;
    cfg.rng = &bad;
    /* a strong source that fails makes seeding fail: never run on less */
    assert_int_equal(client_init_with(&cfg), SMTPC_ERR_TLS_CONFIG);
    cfg.rng = &good;
    rng_calls = 0;
    assert_int_equal(client_init_with(&cfg), SMTPC_OK);
    assert_true(rng_calls > 0);
    assert_int_equal(handshake_with("good", "mail.example.test", SMTPC_VERIFY_REQUIRED), SMTPC_OK);
}

static void test_mbedtls_arena_matches_build(void **state)
{
    size_t cur = 0, peak = 0;

    (void)state;
#if defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C)
    assert_int_equal(smtpc_mbedtls_arena_init(NULL, 0), SMTPC_ERR_BAD_ARG);
#else
    /* Debian's mbedTLS uses the system heap: the arena is not available */
    uint8_t buf[64];
    assert_int_equal(smtpc_mbedtls_arena_init(buf, sizeof(buf)), SMTPC_ERR_TLS_CONFIG);
    assert_int_equal(smtpc_mbedtls_arena_stats(&cur, &peak), SMTPC_ERR_TLS_CONFIG);
#endif
    (void)cur;
    (void)peak;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
#define T(fn)  cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define TB(fn) cmocka_unit_test_setup_teardown(fn, setup_bare, teardown)
        T(test_mbedtls_good_chain_verifies_and_carries_data),
        T(test_mbedtls_rsa_chain_verifies),
        T(test_mbedtls_expired_required_fails),
        T(test_mbedtls_expired_optional_connects_and_records),
        T(test_mbedtls_not_yet_valid_fails),
        T(test_mbedtls_wrong_host_fails),
        T(test_mbedtls_wrong_host_optional_records),
        T(test_mbedtls_untrusted_root_fails),
        T(test_mbedtls_untrusted_intermediate_fails),
        T(test_mbedtls_wildcard_one_label_verifies),
        T(test_mbedtls_wildcard_two_labels_fails),
        T(test_mbedtls_leaf_as_ca_fails_untrusted),
        T(test_mbedtls_self_signed_fails_untrusted),
        T(test_mbedtls_verify_none_does_not_check),
        T(test_mbedtls_tls11_only_server_refused),
        T(test_mbedtls_server_hello_tls11_is_version_error),
        T(test_mbedtls_alerts_map_to_causes),
        T(test_mbedtls_no_ecdhe_aead_server_is_cipher_error),
        T(test_mbedtls_pipe_closed_mid_handshake),
        T(test_mbedtls_under_stream_error_is_tls_io),
        T(test_mbedtls_one_byte_at_a_time),
        T(test_mbedtls_send_would_block_keeps_count),
        T(test_mbedtls_peer_close_notify_is_net_closed),
        T(test_mbedtls_transport_close_after_handshake),
        T(test_mbedtls_sessions_in_a_row),
        T(test_mbedtls_bad_arguments),
        TB(test_mbedtls_no_ca_required_is_untrusted),
        TB(test_mbedtls_ca_from_memory),
        TB(test_mbedtls_bad_ca_is_config_error),
        TB(test_mbedtls_extra_entropy_source),
        TB(test_mbedtls_arena_matches_build),
#undef T
#undef TB
    };

    if (argc > 1) {
        cert_dir = argv[1];
    }
    return cmocka_run_group_tests_name("port_mbedtls", tests, NULL, NULL);
}
