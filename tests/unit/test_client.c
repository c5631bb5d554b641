/* Unit tests of the driver (core/src/smtpc_client.c) in submission mode,
 * over the fake connector, TLS layer, stream and clock. Scenarios run with
 * whole replies, one byte at a time (one-byte writes too), with would-block
 * on every other call, and with both. Time only moves when a test moves the
 * fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "smtpc/client.h"

#include "fake_clock.h"
#include "fake_net.h"
#include "fake_stream.h"
#include "fake_tls.h"

/* ------------------------------------------------------------ harness --- */

typedef enum { RUN_WHOLE = 0, RUN_BYTE, RUN_BLOCK, RUN_BYTE_BLOCK, RUN_COUNT } run_mode_t;

static const char *const run_names[RUN_COUNT] = {"whole", "one-byte", "would-block",
                                                 "one-byte+would-block"};

#define T0   1000000u
#define HOST "smtp.example.net"

typedef struct {
    fake_stream_t fs;
    fake_net_t net;
    fake_tls_t tls;
    fake_clock_t clk;
    smtpc_platform_t plat;
    smtpc_client_cfg_t cfg;
    smtpc_client_mem_t mem;
    smtpc_client_t c;
    smtpc_envelope_t env;
} world_t;

static world_t W;

/* Body source over a buffer, with fault knobs. */
typedef struct {
    const uint8_t *data;
    size_t len, off;
    unsigned calls;
    unsigned not_ready; /* first calls that return "not ready" */
    unsigned fail_at;   /* 1-based call that fails (0: never) */
    int fail_rc;
    size_t max_cap;
} body_t;

static body_t g_body;

static int body_read(void *arg, uint8_t *buf, size_t cap, size_t *len, bool *eof)
{
    body_t *b = (body_t *)arg;
    size_t n = b->len - b->off;
    b->calls++;
    if (cap > b->max_cap) {
        b->max_cap = cap;
    }
    if (b->fail_at != 0 && b->calls == b->fail_at) {
        return b->fail_rc;
    }
    if (b->not_ready > 0) {
        b->not_ready--;
        *len = 0;
        *eof = false;
        return SMTPC_OK;
    }
    if (n > cap) {
        n = cap;
    }
    memcpy(buf, b->data + b->off, n);
    b->off += n;
    *len = n;
    *eof = b->off == b->len;
    return SMTPC_OK;
}

static const char *const to1[] = {"b@example.net"};

static void body_set(const char *text)
{
    memset(&g_body, 0, sizeof(g_body));
    g_body.data = (const uint8_t *)text;
    g_body.len = strlen(text);
}

static void world_setup(run_mode_t mode, const fake_step_t *steps, size_t n)
{
    memset(&W.plat, 0, sizeof(W.plat));
    memset(&W.cfg, 0, sizeof(W.cfg));
    fake_stream_init(&W.fs);
    if (mode == RUN_BYTE || mode == RUN_BYTE_BLOCK) {
        W.fs.recv_chunk = 1;
        W.fs.send_chunk = 1;
    }
    W.fs.would_block = mode == RUN_BLOCK || mode == RUN_BYTE_BLOCK;
    fake_stream_script(&W.fs, steps, n);
    fake_net_init(&W.net, &W.fs);
    fake_tls_init(&W.tls);
    fake_clock_init(&W.clk, T0);
    W.plat.net = &fake_net_ops;
    W.plat.net_ctx = &W.net;
    W.plat.tls = &fake_tls_ops;
    W.plat.tls_ctx = &W.tls;
    W.plat.clock = &fake_clock_ops;
    W.plat.clock_ctx = &W.clk;
    W.cfg.mode = SMTPC_MODE_SUBMISSION;
    W.cfg.host = HOST;
    W.cfg.session.helo_name = "client.example";
    W.cfg.session.tls_mode = SMTPC_TLS_STARTTLS;
    W.cfg.session.tls_level = SMTPC_TLS_VERIFIED;
    W.cfg.session.user = "user";
    W.cfg.session.pass = "pass";
    memset(&W.env, 0, sizeof(W.env));
    W.env.from = "a@example.org";
    W.env.to = to1;
    W.env.to_count = 1;
    body_set("Subject: hi\r\n\r\nhello\r\n");
}

static int start(void)
{
    smtpc_body_src_t src;
    assert_int_equal(smtpc_client_init(&W.c, &W.cfg, &W.plat, &W.mem), SMTPC_OK);
    src.read = body_read;
    src.rewind = NULL;
    src.arg = &g_body;
    return smtpc_client_start(&W.c, &W.env, &src);
}

/* Step until the client finishes (the clock stays where it is). */
static int drive(void)
{
    unsigned long i;
    int rc = SMTPC_IN_PROGRESS;
    for (i = 0; i < 2000000ul && rc == SMTPC_IN_PROGRESS; i++) {
        rc = smtpc_client_step(&W.c);
    }
    return rc;
}

/* Step until TLS was started (the handshake is then in progress). */
static int drive_steps_until_tls(void)
{
    unsigned i;
    for (i = 0; i < 10000 && W.tls.start_calls == 0; i++) {
        if (smtpc_client_step(&W.c) != SMTPC_IN_PROGRESS) {
            return -1;
        }
    }
    return W.tls.start_calls == 1 ? 0 : -1;
}

static int start_and_drive(void)
{
    int rc = start();
    return rc == SMTPC_IN_PROGRESS ? drive() : rc;
}

static void assert_bytes(const char *what, run_mode_t mode, const char *exp, const uint8_t *got,
                         size_t got_len)
{
    size_t n = strlen(exp);
    if (n != got_len || memcmp(exp, got, n) != 0) {
        fake_print_escaped("expected", (const uint8_t *)exp, n);
        fake_print_escaped("got     ", got, got_len);
        fail_msg("%s differs (%s)", what, run_names[mode]);
    }
}

static bool contains(const uint8_t *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    size_t i;
    for (i = 0; i + k <= n; i++) {
        if (memcmp(hay + i, needle, k) == 0) {
            return true;
        }
    }
    return false;
}

static void assert_status(int got, int exp, run_mode_t mode)
{
    if (got != exp) {
        fake_print_escaped("transcript", W.fs.out, W.fs.out_len);
        fail_msg("status %s (%d), expected %s (%d) (%s)", smtpc_strerror(got), got,
                 smtpc_strerror(exp), exp, run_names[mode]);
    }
}

static void assert_stage(int exp, run_mode_t mode)
{
    const smtpc_result_t *r = smtpc_client_result(&W.c);
    if (r->stage != exp) {
        fail_msg("stage %s, expected %s (%s)", smtpc_stage_name(r->stage), smtpc_stage_name(exp),
                 run_names[mode]);
    }
}

/* Everything was released exactly once. */
static void assert_closed(bool tls_started)
{
    assert_int_equal(W.fs.close_calls, 1);
    assert_int_equal(W.tls.end_calls, tls_started ? 1 : 0);
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#define S_GREET                                                                                    \
    {                                                                                              \
        NULL, "220 smtp.example.net ESMTP\r\n", 0                                                  \
    }
#define S_EHLO_STARTTLS                                                                            \
    {                                                                                              \
        "EHLO client.example\r\n", "250-smtp.example.net\r\n250-PIPELINING\r\n250 STARTTLS\r\n", 0 \
    }
#define S_STARTTLS                                                                                 \
    {                                                                                              \
        "STARTTLS\r\n", "220 2.0.0 Ready to start TLS\r\n", 0                                      \
    }
#define S_EHLO_AUTH                                                                                \
    {                                                                                              \
        "EHLO client.example\r\n", "250-smtp.example.net\r\n250 AUTH PLAIN LOGIN\r\n", 0           \
    }
#define S_AUTH_OK                                                                                  \
    {                                                                                              \
        "AUTH PLAIN AHVzZXIAcGFzcw==\r\n", "235 2.7.0 Authentication successful\r\n", 0            \
    }
#define S_MAIL_OK                                                                                  \
    {                                                                                              \
        "MAIL FROM:<a@example.org>\r\n", "250 2.1.0 Ok\r\n", 0                                     \
    }
#define S_RCPT_OK                                                                                  \
    {                                                                                              \
        "RCPT TO:<b@example.net>\r\n", "250 2.1.5 Ok\r\n", 0                                       \
    }
#define S_DATA_354                                                                                 \
    {                                                                                              \
        "DATA\r\n", "354 End data with <CR><LF>.<CR><LF>\r\n", 0                                   \
    }
#define S_DOT_OK                                                                                   \
    {                                                                                              \
        ".\r\n", "250 2.0.0 Ok: queued as 4XyZ\r\n", 0                                             \
    }
#define S_QUIT                                                                                     \
    {                                                                                              \
        "QUIT\r\n", "221 2.0.0 Bye\r\n", 0                                                         \
    }

#define PRE       "EHLO client.example\r\nSTARTTLS\r\n"
#define POST_AUTH "EHLO client.example\r\nAUTH PLAIN AHVzZXIAcGFzcw==\r\n"
#define TXN1      "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n"
#define BODY_STD  "Subject: hi\r\n\r\nhello\r\n.\r\n"

static const fake_step_t full_session[] = {
    S_GREET,   S_EHLO_STARTTLS, S_STARTTLS, S_EHLO_AUTH, S_AUTH_OK,
    S_MAIL_OK, S_RCPT_OK,       S_DATA_354, S_DOT_OK,    S_QUIT,
};

/* -------------------------------------------------- golden sessions ----- */

static void test_client_starttls_submission_delivers_exact_transcript(void **state)
{
    int m;
    (void)state;
    for (m = 0; m < RUN_COUNT; m++) {
        const smtpc_result_t *r;
        world_setup((run_mode_t)m, full_session, COUNT(full_session));
        assert_status(start_and_drive(), SMTPC_OK, (run_mode_t)m);
        r = smtpc_client_result(&W.c);
        assert_true(fake_stream_script_done(&W.fs));
        assert_bytes("plaintext", (run_mode_t)m, PRE, W.fs.plain, W.fs.plain_len);
        assert_bytes("through TLS", (run_mode_t)m, POST_AUTH TXN1 BODY_STD "QUIT\r\n", W.tls.sent,
                     W.tls.sent_len);
        assert_bytes("wire", (run_mode_t)m, PRE POST_AUTH TXN1 BODY_STD "QUIT\r\n", W.fs.out,
                     W.fs.out_len);
        assert_string_equal(W.net.host, HOST);
        assert_int_equal(W.net.port, 587);
        assert_string_equal(W.tls.sni, HOST);
        assert_int_equal(W.tls.verify, SMTPC_VERIFY_REQUIRED);
        assert_int_equal(W.tls.io_before_active, 0);
        assert_closed(true);
        assert_int_equal(r->err, SMTPC_OK);
        assert_int_equal(r->stage, SMTPC_STAGE_DONE);
        assert_int_equal(r->tls_reached, SMTPC_REACHED_VERIFIED);
        assert_int_equal(r->cert, SMTPC_CERT_OK);
        assert_int_equal(r->flags, SMTPC_RESULT_STARTTLS_OFFERED | SMTPC_RESULT_AUTHENTICATED |
                                       SMTPC_RESULT_ACCEPTED);
        assert_int_equal(r->rcpt_count, 1);
        assert_int_equal(r->rcpt_accepted, 1);
        assert_int_equal(r->rcpt[0].err, SMTPC_OK);
        assert_int_equal(r->reply_code, 250);
        assert_int_equal(r->hosts_tried, 1);
        /* finished: sticky, and nothing more is wanted */
        assert_int_equal(smtpc_client_step(&W.c), SMTPC_OK);
        {
            uint32_t dl = 7;
            assert_int_equal(smtpc_client_wants(&W.c, &dl), 0);
            assert_int_equal(dl, 0);
        }
    }
}

/* No AUTH, MAIL, RCPT, DATA or body byte ever leaves outside TLS, whatever
 * the server does before TLS is up. */
static void test_client_no_plaintext_leak_before_tls(void **state)
{
    static const fake_step_t stripped[] = {
        S_GREET,
        {"EHLO client.example\r\n", "250-smtp.example.net\r\n250-XXXXXXXA\r\n250 AUTH PLAIN\r\n",
         0},
        S_QUIT,
    };
    static const fake_step_t refused[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        {"STARTTLS\r\n", "454 4.7.0 TLS not available\r\n", 0},
        S_QUIT,
    };
    int m;
    (void)state;
    for (m = 0; m < RUN_COUNT; m++) {
        world_setup((run_mode_t)m, full_session, COUNT(full_session));
        assert_status(start_and_drive(), SMTPC_OK, (run_mode_t)m);
        assert_false(contains(W.fs.plain, W.fs.plain_len, "AUTH"));
        assert_false(contains(W.fs.plain, W.fs.plain_len, "MAIL"));
        assert_false(contains(W.fs.plain, W.fs.plain_len, "RCPT"));
        assert_false(contains(W.fs.plain, W.fs.plain_len, "DATA"));
        assert_false(contains(W.fs.plain, W.fs.plain_len, "hello"));
        assert_true(contains(W.tls.sent, W.tls.sent_len, "hello"));

        world_setup((run_mode_t)m, stripped, COUNT(stripped));
        assert_status(start_and_drive(), SMTPC_ERR_STARTTLS_REQUIRED, (run_mode_t)m);
        assert_stage(SMTPC_STAGE_EHLO, (run_mode_t)m);
        assert_bytes("wire", (run_mode_t)m, "EHLO client.example\r\nQUIT\r\n", W.fs.out,
                     W.fs.out_len);
        assert_int_equal(W.tls.start_calls, 0);
        assert_closed(false);

        world_setup((run_mode_t)m, refused, COUNT(refused));
        assert_status(start_and_drive(), SMTPC_ERR_STARTTLS_REFUSED, (run_mode_t)m);
        assert_stage(SMTPC_STAGE_STARTTLS, (run_mode_t)m);
        assert_bytes("wire", (run_mode_t)m, PRE "QUIT\r\n", W.fs.out, W.fs.out_len);
        assert_int_equal(smtpc_client_result(&W.c)->reply_code, 454);
        assert_int_equal(W.tls.start_calls, 0);
    }
}

static void test_client_starttls_injection_refused(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        {"STARTTLS\r\n", "220 2.0.0 Ready\r\n250-evil\r\n250 AUTH PLAIN\r\n", 0},
    };
    static const run_mode_t modes[] = {RUN_WHOLE, RUN_BYTE};
    size_t i;
    (void)state;
    for (i = 0; i < COUNT(modes); i++) {
        world_setup(modes[i], steps, COUNT(steps));
        assert_status(start_and_drive(), SMTPC_ERR_STARTTLS_INJECTION, modes[i]);
        assert_stage(SMTPC_STAGE_STARTTLS, modes[i]);
        assert_int_equal(W.tls.start_calls, 0);
        assert_int_equal(W.tls.sent_len, 0);
        assert_bytes("wire", modes[i], PRE, W.fs.out, W.fs.out_len);
    }
    /* With would-block the one look may come too early; a TLS stack that then
     * reads plaintext fails the handshake. Either way nothing is sent. */
    world_setup(RUN_BLOCK, steps, COUNT(steps));
    W.tls.fail_on_plaintext = true;
    {
        int rc = start_and_drive();
        assert_true(rc == SMTPC_ERR_STARTTLS_INJECTION || rc == SMTPC_ERR_TLS_HANDSHAKE);
    }
    assert_int_equal(W.tls.sent_len, 0);
    assert_bytes("wire", RUN_BLOCK, PRE, W.fs.out, W.fs.out_len);
}

static void test_client_implicit_tls_handshake_before_greeting(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET, S_EHLO_AUTH, S_AUTH_OK, S_MAIL_OK, S_RCPT_OK, S_DATA_354, S_DOT_OK, S_QUIT,
    };
    int m;
    (void)state;
    for (m = 0; m < RUN_COUNT; m++) {
        world_setup((run_mode_t)m, steps, COUNT(steps));
        W.cfg.session.tls_mode = SMTPC_TLS_IMPLICIT;
        W.tls.handshake_pending = 3;
        assert_status(start_and_drive(), SMTPC_OK, (run_mode_t)m);
        assert_int_equal(W.net.port, 465);
        /* not one byte read or written outside TLS: the greeting came through it */
        assert_int_equal(W.fs.plain_recv_calls, 0);
        assert_int_equal(W.fs.plain_send_calls, 0);
        assert_int_equal(W.fs.plain_len, 0);
        assert_int_equal(W.tls.io_before_active, 0);
        assert_int_equal(W.tls.handshake_calls, 4);
        assert_bytes("through TLS", (run_mode_t)m, POST_AUTH TXN1 BODY_STD "QUIT\r\n", W.tls.sent,
                     W.tls.sent_len);
        assert_int_equal(smtpc_client_result(&W.c)->flags,
                         SMTPC_RESULT_AUTHENTICATED | SMTPC_RESULT_ACCEPTED);
        assert_closed(true);
    }
}

static void test_client_plaintext_session_when_allowed(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,    {"EHLO client.example\r\n", "250 smtp.example.net\r\n", 0},
        S_MAIL_OK,  S_RCPT_OK,
        S_DATA_354, S_DOT_OK,
        S_QUIT,
    };
    (void)state;
    world_setup(RUN_WHOLE, steps, COUNT(steps));
    W.cfg.session.tls_mode = SMTPC_TLS_NONE;
    W.cfg.session.tls_level = SMTPC_TLS_PLAINTEXT_ALLOWED;
    W.cfg.session.user = NULL;
    W.cfg.port = 2525;
    W.plat.tls = NULL; /* no TLS port needed */
    assert_status(start_and_drive(), SMTPC_OK, RUN_WHOLE);
    assert_int_equal(W.net.port, 2525);
    assert_bytes("wire", RUN_WHOLE, "EHLO client.example\r\n" TXN1 BODY_STD "QUIT\r\n", W.fs.plain,
                 W.fs.plain_len);
    assert_int_equal(smtpc_client_result(&W.c)->tls_reached, SMTPC_REACHED_NONE);
}

/* ------------------------------------------------------------ connect --- */

static void test_client_connect_in_progress_then_ok(void **state)
{
    uint32_t dl = 0;
    (void)state;
    world_setup(RUN_WHOLE, full_session, COUNT(full_session));
    W.net.connect_rc = SMTPC_IN_PROGRESS;
    W.net.poll_pending = 3;
    W.cfg.timeouts.connect_ms = 5000;
    assert_int_equal(start(), SMTPC_IN_PROGRESS);
    assert_int_equal(smtpc_client_wants(&W.c, &dl), SMTPC_WANT_WRITE | SMTPC_WANT_TIMER);
    assert_int_equal(dl, T0 + 5000u);
    assert_int_equal(smtpc_client_step(&W.c), SMTPC_IN_PROGRESS);
    assert_status(drive(), SMTPC_OK, RUN_WHOLE);
    assert_int_equal(W.net.connect_calls, 1);
    assert_int_equal(W.net.poll_calls, 4);
}

static void test_client_connect_error_reported_at_connect(void **state)
{
    (void)state;
    world_setup(RUN_WHOLE, full_session, COUNT(full_session));
    W.net.connect_rc = SMTPC_ERR_NET_CONNECT;
    assert_status(start(), SMTPC_ERR_NET_CONNECT, RUN_WHOLE);
    assert_int_equal(smtpc_client_result(&W.c)->err, SMTPC_ERR_NET_CONNECT);
    assert_stage(SMTPC_STAGE_CONNECT, RUN_WHOLE);
    assert_int_equal(smtpc_client_step(&W.c), SMTPC_ERR_NET_CONNECT);
    assert_int_equal(W.fs.out_len, 0);

    world_setup(RUN_WHOLE, full_session, COUNT(full_session));
    W.net.connect_rc = SMTPC_IN_PROGRESS;
    W.net.poll_pending = 2;
    W.net.poll_rc = SMTPC_ERR_NET_RESOLVE;
    assert_int_equal(start(), SMTPC_IN_PROGRESS);
    assert_status(drive(), SMTPC_ERR_NET_RESOLVE, RUN_WHOLE);
    assert_stage(SMTPC_STAGE_CONNECT, RUN_WHOLE);
    assert_int_equal(smtpc_client_result(&W.c)->rcpt[0].err, SMTPC_ERR_NET_RESOLVE);
}

static void test_client_connect_timeout(void **state)
{
    uint32_t dl = 0;
    (void)state;
    world_setup(RUN_WHOLE, full_session, COUNT(full_session));
    W.net.connect_rc = SMTPC_IN_PROGRESS;
    W.net.poll_pending = 1000000;
    W.cfg.timeouts.connect_ms = 3000;
    assert_int_equal(start(), SMTPC_IN_PROGRESS);
    assert_int_equal(smtpc_client_step(&W.c), SMTPC_IN_PROGRESS);
    (void)smtpc_client_wants(&W.c, &dl);
    assert_int_equal(dl, T0 + 3000u);
    fake_clock_advance(&W.clk, 2999);
    assert_int_equal(smtpc_client_step(&W.c), SMTPC_IN_PROGRESS);
    fake_clock_advance(&W.clk, 1);
    assert_status(smtpc_client_step(&W.c), SMTPC_ERR_TIMEOUT, RUN_WHOLE);
    assert_stage(SMTPC_STAGE_CONNECT, RUN_WHOLE);
}

/* ---------------------------------------------------------------- TLS --- */

typedef struct {
    int handshake_rc;
    smtpc_cert_verdict_t verdict;
} hs_vec_t;

static void test_client_handshake_errors_propagate(void **state)
{
    static const fake_step_t steps[] = {S_GREET, S_EHLO_STARTTLS, S_STARTTLS};
    static const hs_vec_t vecs[] = {
        {SMTPC_ERR_TLS_CERT_EXPIRED, SMTPC_CERT_EXPIRED},
        {SMTPC_ERR_TLS_CERT_HOSTNAME, SMTPC_CERT_HOSTNAME},
        {SMTPC_ERR_TLS_CERT_UNTRUSTED, SMTPC_CERT_UNTRUSTED},
        {SMTPC_ERR_TLS_HANDSHAKE, SMTPC_CERT_NOT_CHECKED},
        {SMTPC_ERR_TLS_VERSION, SMTPC_CERT_NOT_CHECKED},
    };
    size_t i;
    int m;
    (void)state;
    for (m = 0; m < RUN_COUNT; m++) {
        for (i = 0; i < COUNT(vecs); i++) {
            const smtpc_result_t *r;
            world_setup((run_mode_t)m, steps, COUNT(steps));
            W.tls.handshake_pending = 2;
            W.tls.handshake_rc = vecs[i].handshake_rc;
            W.tls.verdict_value = vecs[i].verdict;
            assert_status(start_and_drive(), vecs[i].handshake_rc, (run_mode_t)m);
            r = smtpc_client_result(&W.c);
            assert_stage(SMTPC_STAGE_TLS_HANDSHAKE, (run_mode_t)m);
            assert_int_equal(r->cert, vecs[i].verdict);
            assert_int_equal(W.tls.sent_len, 0);
            assert_bytes("wire", (run_mode_t)m, PRE, W.fs.out, W.fs.out_len);
            assert_closed(true);
        }
    }
}

/* A handshake that succeeds with a bad verdict still fails at VERIFIED, and
 * goes on at ENCRYPTED. */
static void test_client_verdict_checked_against_level(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,   S_EHLO_STARTTLS, S_STARTTLS, S_EHLO_AUTH, S_AUTH_OK,
        S_MAIL_OK, S_RCPT_OK,       S_DATA_354, S_DOT_OK,    S_QUIT,
    };
    (void)state;
    world_setup(RUN_WHOLE, steps, COUNT(steps));
    W.tls.verdict_value = SMTPC_CERT_HOSTNAME;
    assert_status(start_and_drive(), SMTPC_ERR_TLS_CERT_HOSTNAME, RUN_WHOLE);
    assert_stage(SMTPC_STAGE_TLS_HANDSHAKE, RUN_WHOLE);
    assert_int_equal(W.tls.sent_len, 0);

    world_setup(RUN_WHOLE, steps, COUNT(steps));
    W.cfg.session.tls_level = SMTPC_TLS_ENCRYPTED;
    W.tls.verdict_value = SMTPC_CERT_HOSTNAME;
    assert_status(start_and_drive(), SMTPC_OK, RUN_WHOLE);
    assert_int_equal(W.tls.verify, SMTPC_VERIFY_OPTIONAL);
    assert_int_equal(smtpc_client_result(&W.c)->tls_reached, SMTPC_REACHED_ENCRYPTED);
    assert_int_equal(smtpc_client_result(&W.c)->cert, SMTPC_CERT_HOSTNAME);
}

static void test_client_tls_start_failure_propagates(void **state)
{
    static const fake_step_t steps[] = {S_GREET, S_EHLO_STARTTLS, S_STARTTLS};
    (void)state;
    world_setup(RUN_WHOLE, steps, COUNT(steps));
    W.tls.start_rc = SMTPC_ERR_TLS_NO_MEMORY;
    assert_status(start_and_drive(), SMTPC_ERR_TLS_NO_MEMORY, RUN_WHOLE);
    assert_stage(SMTPC_STAGE_TLS_HANDSHAKE, RUN_WHOLE);
    assert_int_equal(W.tls.handshake_calls, 0);
    assert_closed(false);
}

/* ---------------------------------------------------------- deadlines --- */

static void test_client_greeting_never_sent_times_out(void **state)
{
    uint32_t dl = 0;
    unsigned w;
    (void)state;
    world_setup(RUN_WHOLE, NULL, 0);
    W.cfg.timeouts.greeting_ms = 10000;
    assert_int_equal(start(), SMTPC_IN_PROGRESS);
    assert_int_equal(smtpc_client_step(&W.c), SMTPC_IN_PROGRESS);
    w = smtpc_client_wants(&W.c, &dl);
    assert_int_equal(w, SMTPC_WANT_READ | SMTPC_WANT_TIMER);
    assert_int_equal(dl, T0 + 10000u);
    fake_clock_advance(&W.clk, 9999);
    assert_int_equal(smtpc_client_step(&W.c), SMTPC_IN_PROGRESS);
    fake_clock_advance(&W.clk, 1);
    assert_status(smtpc_client_step(&W.c), SMTPC_ERR_TIMEOUT, RUN_WHOLE);
    assert_stage(SMTPC_STAGE_GREETING, RUN_WHOLE);
    assert_int_equal(W.fs.out_len, 0);
    assert_closed(false);
}

/* Slowloris: one byte per read, the clock moving 1 s per read. The stage
 * deadline holds however steady the trickle. */
static void test_client_slowloris_greeting_times_out_in_budget(void **state)
{
    static const fake_step_t steps[] = {
        {NULL, "220 smtp.example.net ESMTP a very slow greeting that never quite ends\r\n", 0},
    };
    int rc;
    unsigned long i;
    (void)state;
    world_setup(RUN_BYTE_BLOCK, steps, COUNT(steps));
    W.cfg.timeouts.greeting_ms = 10000;
    W.fs.clock = &W.clk;
    W.fs.recv_advance_ms = 1000;
    assert_int_equal(start(), SMTPC_IN_PROGRESS);
    rc = SMTPC_IN_PROGRESS;
    for (i = 0; i < 100000ul && rc == SMTPC_IN_PROGRESS; i++) {
        rc = smtpc_client_step(&W.c);
    }
    assert_status(rc, SMTPC_ERR_TIMEOUT, RUN_BYTE_BLOCK);
    assert_stage(SMTPC_STAGE_GREETING, RUN_BYTE_BLOCK);
    assert_true(W.clk.now_ms - T0 <= 10000u + 1000u);
    assert_true(W.fs.recv_total < 20);
}

static void test_client_slowloris_command_reply_times_out(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        {"EHLO client.example\r\n",
         "250-smtp.example.net\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE 1000\r\n"
         "250-SMTPUTF8\r\n250 STARTTLS\r\n",
         0},
    };
    int rc;
    unsigned long i;
    (void)state;
    world_setup(RUN_BYTE_BLOCK, steps, COUNT(steps));
    W.cfg.timeouts.command_ms = 20000;
    W.cfg.timeouts.greeting_ms = 60000;
    W.fs.clock = &W.clk;
    W.fs.recv_advance_ms = 1000;
    assert_int_equal(start(), SMTPC_IN_PROGRESS);
    rc = SMTPC_IN_PROGRESS;
    for (i = 0; i < 100000ul && rc == SMTPC_IN_PROGRESS; i++) {
        rc = smtpc_client_step(&W.c);
    }
    assert_status(rc, SMTPC_ERR_TIMEOUT, RUN_BYTE_BLOCK);
    assert_stage(SMTPC_STAGE_EHLO, RUN_BYTE_BLOCK);
    assert_bytes("wire", RUN_BYTE_BLOCK, "EHLO client.example\r\n", W.fs.out, W.fs.out_len);
}

static void test_client_total_deadline_ends_session(void **state)
{
    static const fake_step_t steps[] = {S_GREET};
    uint32_t dl = 0;
    (void)state;
    world_setup(RUN_WHOLE, steps, COUNT(steps));
    W.cfg.timeouts.greeting_ms = 60000;
    W.cfg.timeouts.command_ms = 60000;
    W.cfg.timeouts.total_ms = 15000;
    assert_int_equal(start(), SMTPC_IN_PROGRESS);
    fake_clock_advance(&W.clk, 5000);
    assert_int_equal(smtpc_client_step(&W.c), SMTPC_IN_PROGRESS);
    /* EHLO sent at T0 + 5 s: its own budget ends later than the session's */
    assert_int_equal(smtpc_client_wants(&W.c, &dl), SMTPC_WANT_READ | SMTPC_WANT_TIMER);
    assert_int_equal(dl, T0 + 15000u);
    fake_clock_advance(&W.clk, 9999);
    assert_int_equal(smtpc_client_step(&W.c), SMTPC_IN_PROGRESS);
    fake_clock_advance(&W.clk, 1);
    assert_status(smtpc_client_step(&W.c), SMTPC_ERR_TIMEOUT, RUN_WHOLE);
    assert_stage(SMTPC_STAGE_EHLO, RUN_WHOLE);
}

static void test_client_stalled_handshake_times_out(void **state)
{
    static const fake_step_t steps[] = {S_GREET, S_EHLO_STARTTLS, S_STARTTLS};
    uint32_t dl = 0;
    (void)state;
    world_setup(RUN_WHOLE, steps, COUNT(steps));
    W.tls.handshake_pending = 1000000;
    W.tls.handshake_wants = SMTPC_WANT_READ;
    W.cfg.timeouts.tls_ms = 5000;
    assert_int_equal(start(), SMTPC_IN_PROGRESS);
    assert_int_equal(drive_steps_until_tls(), 0);
    assert_int_equal(smtpc_client_wants(&W.c, &dl), SMTPC_WANT_READ | SMTPC_WANT_TIMER);
    assert_int_equal(dl, T0 + 5000u);
    fake_clock_advance(&W.clk, 4999);
    assert_int_equal(smtpc_client_step(&W.c), SMTPC_IN_PROGRESS);
    fake_clock_advance(&W.clk, 1);
    assert_status(smtpc_client_step(&W.c), SMTPC_ERR_TIMEOUT, RUN_WHOLE);
    assert_stage(SMTPC_STAGE_TLS_HANDSHAKE, RUN_WHOLE);
    assert_closed(true);
}

static char g_endless[8192];

static void test_client_endless_multiline_reply_refused(void **state)
{
    fake_step_t steps[1];
    size_t n = 0;
    int m;
    (void)state;
    while (n + 7 < sizeof(g_endless)) {
        memcpy(g_endless + n, "220-xx\n", 7);
        g_endless[n + 5] = '\r';
        g_endless[n + 6] = '\n';
        n += 7;
    }
    g_endless[n] = '\0';
    steps[0].expect = NULL;
    steps[0].reply = g_endless;
    steps[0].reply_len = n;
    for (m = 0; m < RUN_COUNT; m++) {
        world_setup((run_mode_t)m, steps, 1);
        assert_status(start_and_drive(), SMTPC_ERR_REPLY_TOO_MANY_LINES, (run_mode_t)m);
        assert_stage(SMTPC_STAGE_GREETING, (run_mode_t)m);
        assert_true(W.fs.recv_total <= 7u * (SMTPC_REPLY_LINES_MAX + 1u) + SMTPC_RX_BUF_SIZE);
        assert_int_equal(W.fs.out_len, 0);
    }
}

/* --------------------------------------------------------------- body --- */

#define BIG_BODY (100u * 1024u)
static uint8_t g_big[BIG_BODY];
static char g_expect[BIG_BODY + 512];

static void make_big_body(void)
{
    size_t i;
    size_t col = 0;
    unsigned line = 0;
    for (i = 0; i < BIG_BODY; i++) {
        if (col == 78) {
            g_big[i] = '\r';
            col++;
        } else if (col == 79) {
            g_big[i] = '\n';
            col = 0;
            line++;
        } else {
            g_big[i] = (uint8_t)('a' + (line + col) % 26u);
            col++;
        }
    }
}

static void test_client_big_body_pulled_in_chunks(void **state)
{
    int m;
    size_t n;
    (void)state;
    make_big_body();
    n = (size_t)snprintf(g_expect, sizeof(g_expect), "%s%s", POST_AUTH, TXN1);
    memcpy(g_expect + n, g_big, BIG_BODY);
    n += BIG_BODY;
    /* 100 KiB is a whole number of 80-octet lines: the mark is ".\r\n" alone */
    assert_int_equal(g_big[BIG_BODY - 1], '\n');
    memcpy(g_expect + n, ".\r\nQUIT\r\n", 10);
    for (m = 0; m < RUN_COUNT; m++) {
        world_setup((run_mode_t)m, full_session, COUNT(full_session));
        memset(&g_body, 0, sizeof(g_body));
        g_body.data = g_big;
        g_body.len = BIG_BODY;
        assert_status(start_and_drive(), SMTPC_OK, (run_mode_t)m);
        assert_int_equal(g_body.calls,
                         (BIG_BODY + SMTPC_BODY_CHUNK_SIZE - 1u) / SMTPC_BODY_CHUNK_SIZE);
        assert_int_equal(g_body.max_cap, SMTPC_BODY_CHUNK_SIZE);
        assert_bytes("through TLS", (run_mode_t)m, g_expect, W.tls.sent, W.tls.sent_len);
    }
}

static void test_client_body_not_ready_waits_on_short_timer(void **state)
{
    uint32_t dl = 0;
    unsigned w;
    unsigned i;
    (void)state;
    world_setup(RUN_WHOLE, full_session, COUNT(full_session));
    g_body.not_ready = 3;
    assert_int_equal(start(), SMTPC_IN_PROGRESS);
    for (i = 0; i < 1000 && g_body.calls == 0; i++) {
        assert_int_equal(smtpc_client_step(&W.c), SMTPC_IN_PROGRESS);
    }
    assert_int_equal(g_body.calls, 1);
    w = smtpc_client_wants(&W.c, &dl);
    assert_int_equal(w, SMTPC_WANT_TIMER);
    assert_true(dl - W.clk.now_ms > 0u && dl - W.clk.now_ms <= 1000u);
    assert_int_equal(smtpc_client_step(&W.c), SMTPC_IN_PROGRESS);
    assert_int_equal(smtpc_client_step(&W.c), SMTPC_IN_PROGRESS);
    assert_status(drive(), SMTPC_OK, RUN_WHOLE);
    assert_int_equal(g_body.calls, 4);
    assert_bytes("through TLS", RUN_WHOLE, POST_AUTH TXN1 BODY_STD "QUIT\r\n", W.tls.sent,
                 W.tls.sent_len);
}

static void test_client_body_source_error_ends_session(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,   S_EHLO_STARTTLS, S_STARTTLS, S_EHLO_AUTH,
        S_AUTH_OK, S_MAIL_OK,       S_RCPT_OK,  S_DATA_354,
    };
    static const int rcs[] = {SMTPC_ERR_BODY_SOURCE, SMTPC_ERR_NO_REWIND, 5};
    static const int want[] = {SMTPC_ERR_BODY_SOURCE, SMTPC_ERR_NO_REWIND, SMTPC_ERR_BODY_SOURCE};
    size_t i;
    (void)state;
    make_big_body();
    for (i = 0; i < COUNT(rcs); i++) {
        world_setup(RUN_WHOLE, steps, COUNT(steps));
        memset(&g_body, 0, sizeof(g_body));
        g_body.data = g_big;
        g_body.len = 1000;
        g_body.fail_at = 3;
        g_body.fail_rc = rcs[i];
        assert_status(start_and_drive(), want[i], RUN_WHOLE);
        assert_stage(SMTPC_STAGE_BODY, RUN_WHOLE);
        assert_int_equal(smtpc_client_result(&W.c)->flags & SMTPC_RESULT_ACCEPTED, 0);
        /* the end-of-data mark never left */
        assert_false(contains(W.tls.sent, W.tls.sent_len, "\r\n.\r\n"));
        assert_closed(true);
    }
}

/* ------------------------------------------------- peer and caller ends - */

static void test_client_peer_close_mid_session(void **state)
{
    static const char greet[] = "220 smtp.example.net ESMTP\r\n";
    static const char ehlo[] = "250-smtp.example.net\r\n250-PIPELINING\r\n250 STARTTLS\r\n";
    int m;
    (void)state;
    for (m = 0; m < RUN_COUNT; m++) {
        world_setup((run_mode_t)m, full_session, COUNT(full_session));
        W.fs.has_close_at = true;
        W.fs.close_at = sizeof(greet) - 1 + sizeof(ehlo) - 1;
        assert_status(start_and_drive(), SMTPC_ERR_NET_CLOSED, (run_mode_t)m);
        assert_stage(SMTPC_STAGE_STARTTLS, (run_mode_t)m);
        assert_bytes("wire", (run_mode_t)m, PRE, W.fs.out, W.fs.out_len);
        assert_closed(false);
    }
}

static void test_client_abort_closes_streams(void **state)
{
    static const fake_step_t steps[] = {S_GREET, S_EHLO_STARTTLS, S_STARTTLS};
    uint32_t dl = 5;
    (void)state;
    world_setup(RUN_WHOLE, steps, COUNT(steps));
    W.tls.handshake_pending = 1000000;
    assert_int_equal(start(), SMTPC_IN_PROGRESS);
    assert_int_equal(drive_steps_until_tls(), 0);
    smtpc_client_abort(&W.c);
    assert_int_equal(smtpc_client_step(&W.c), SMTPC_ERR_ABORTED);
    assert_int_equal(smtpc_client_result(&W.c)->err, SMTPC_ERR_ABORTED);
    assert_int_equal(smtpc_client_result(&W.c)->rcpt[0].err, SMTPC_ERR_ABORTED);
    assert_closed(true);
    assert_int_equal(smtpc_client_wants(&W.c, &dl), 0);
    /* a second abort is harmless */
    smtpc_client_abort(&W.c);
    assert_closed(true);
}

static void test_client_bad_arguments_rejected(void **state)
{
    static const char *const bad_to[] = {"b@example.net>\r\nDATA"};
    smtpc_body_src_t src = {body_read, NULL, &g_body};
    (void)state;
    world_setup(RUN_WHOLE, full_session, COUNT(full_session));
    W.cfg.host = NULL;
    assert_int_equal(smtpc_client_init(&W.c, &W.cfg, &W.plat, &W.mem), SMTPC_ERR_BAD_ARG);
    W.cfg.host = HOST;
    W.plat.tls = NULL;
    assert_int_equal(smtpc_client_init(&W.c, &W.cfg, &W.plat, &W.mem), SMTPC_ERR_BAD_ARG);
    W.plat.tls = &fake_tls_ops;
    W.plat.clock = NULL;
    assert_int_equal(smtpc_client_init(&W.c, &W.cfg, &W.plat, &W.mem), SMTPC_ERR_BAD_ARG);
    W.plat.clock = &fake_clock_ops;
    assert_int_equal(smtpc_client_init(&W.c, &W.cfg, &W.plat, &W.mem), SMTPC_OK);
    assert_int_equal(smtpc_client_step(&W.c), SMTPC_ERR_STATE); /* not started */
    src.read = NULL;
    assert_int_equal(smtpc_client_start(&W.c, &W.env, &src), SMTPC_ERR_BAD_ARG);
    src.read = body_read;
    W.env.to = bad_to;
    assert_int_equal(smtpc_client_start(&W.c, &W.env, &src), SMTPC_ERR_BAD_ADDRESS);
    assert_int_equal(smtpc_client_result(&W.c)->err, SMTPC_ERR_BAD_ADDRESS);
    assert_int_equal(W.net.connect_calls, 0);
    assert_int_equal(W.fs.out_len, 0);
}

/* ------------------------------------------------------ result format --- */

static void test_client_result_format_after_auth_failure(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        S_STARTTLS,
        S_EHLO_AUTH,
        {"AUTH PLAIN AHVzZXIAcGFzcw==\r\n", "535 5.7.8 Error: authentication failed\r\n", 0},
        S_QUIT,
    };
    char out[256];
    size_t n;
    (void)state;
    world_setup(RUN_WHOLE, steps, COUNT(steps));
    assert_status(start_and_drive(), SMTPC_ERR_AUTH_FAILED, RUN_WHOLE);
    n = smtpc_result_format(smtpc_client_result(&W.c), out, sizeof(out));
    assert_string_equal(out, "SMTPC_ERR_AUTH_FAILED stage=AUTH reply=535 5.7.8 Error: "
                             "authentication failed cert=ok tls=verified");
    assert_int_equal(n, strlen(out));
}

static void test_client_result_format_exact(void **state)
{
    smtpc_result_t r;
    char out[256];
    char small[12];
    (void)state;
    memset(&r, 0, sizeof(r));
    r.err = SMTPC_ERR_STARTTLS_REQUIRED;
    r.stage = SMTPC_STAGE_EHLO;
    assert_int_equal(smtpc_result_format(&r, out, sizeof(out)), 47);
    assert_string_equal(out, "SMTPC_ERR_STARTTLS_REQUIRED stage=EHLO tls=none");

    memset(&r, 0, sizeof(r));
    r.err = SMTPC_ERR_RCPT_ALL_REJECTED;
    r.stage = SMTPC_STAGE_RCPT;
    r.reply_code = 550;
    r.reply_enh[0] = 5;
    r.reply_enh[1] = 1;
    r.reply_enh[2] = 1;
    memcpy(r.reply_text, "5.1.1 <x@y>: no\r\nsuch user", 26);
    r.reply_text_len = 26;
    r.cert = SMTPC_CERT_UNTRUSTED;
    r.tls_reached = SMTPC_REACHED_ENCRYPTED;
    (void)smtpc_result_format(&r, out, sizeof(out));
    /* control bytes from the server never break the line */
    assert_string_equal(out, "SMTPC_ERR_RCPT_ALL_REJECTED stage=RCPT reply=550 5.1.1 <x@y>: "
                             "no??such user cert=untrusted tls=encrypted");

    memset(&r, 0, sizeof(r));
    r.err = SMTPC_OK;
    r.stage = SMTPC_STAGE_DONE;
    r.reply_code = 250;
    memcpy(r.reply_text, "Ok", 2);
    r.reply_text_len = 2;
    r.cert = SMTPC_CERT_OK;
    r.tls_reached = SMTPC_REACHED_VERIFIED;
    (void)smtpc_result_format(&r, out, sizeof(out));
    assert_string_equal(out, "SMTPC_OK stage=DONE reply=250 Ok cert=ok tls=verified");

    /* truncated, always NUL-terminated */
    assert_int_equal(smtpc_result_format(&r, small, sizeof(small)), sizeof(small) - 1);
    assert_string_equal(small, "SMTPC_OK st");
    assert_int_equal(smtpc_result_format(&r, small, 1), 0);
    assert_int_equal(small[0], '\0');
    assert_int_equal(smtpc_result_format(&r, NULL, 10), 0);
    assert_int_equal(smtpc_result_format(NULL, out, sizeof(out)), 0);
    assert_string_equal(out, "");
}

/* An enhanced code the parser did not accept (class differs from the reply
 * code) is not printed separately, so it must stay in the text. */
static void test_client_result_format_keeps_unparsed_status_text(void **state)
{
    smtpc_result_t r;
    char out[128];
    (void)state;
    memset(&r, 0, sizeof(r));
    r.err = SMTPC_ERR_SMTP_GREETING;
    r.stage = SMTPC_STAGE_GREETING;
    r.reply_code = 421;
    memcpy(r.reply_text, "5.1.1 odd", 9);
    r.reply_text_len = 9;
    (void)smtpc_result_format(&r, out, sizeof(out));
    assert_string_equal(out, "SMTPC_ERR_SMTP_GREETING stage=GREETING reply=421 5.1.1 odd tls=none");
}

/* ------------------------------------------------------------- main ---- */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_starttls_submission_delivers_exact_transcript),
        cmocka_unit_test(test_client_no_plaintext_leak_before_tls),
        cmocka_unit_test(test_client_starttls_injection_refused),
        cmocka_unit_test(test_client_implicit_tls_handshake_before_greeting),
        cmocka_unit_test(test_client_plaintext_session_when_allowed),
        cmocka_unit_test(test_client_connect_in_progress_then_ok),
        cmocka_unit_test(test_client_connect_error_reported_at_connect),
        cmocka_unit_test(test_client_connect_timeout),
        cmocka_unit_test(test_client_handshake_errors_propagate),
        cmocka_unit_test(test_client_verdict_checked_against_level),
        cmocka_unit_test(test_client_tls_start_failure_propagates),
        cmocka_unit_test(test_client_greeting_never_sent_times_out),
        cmocka_unit_test(test_client_slowloris_greeting_times_out_in_budget),
        cmocka_unit_test(test_client_slowloris_command_reply_times_out),
        cmocka_unit_test(test_client_total_deadline_ends_session),
        cmocka_unit_test(test_client_stalled_handshake_times_out),
        cmocka_unit_test(test_client_endless_multiline_reply_refused),
        cmocka_unit_test(test_client_big_body_pulled_in_chunks),
        cmocka_unit_test(test_client_body_not_ready_waits_on_short_timer),
        cmocka_unit_test(test_client_body_source_error_ends_session),
        cmocka_unit_test(test_client_peer_close_mid_session),
        cmocka_unit_test(test_client_abort_closes_streams),
        cmocka_unit_test(test_client_bad_arguments_rejected),
        cmocka_unit_test(test_client_result_format_after_auth_failure),
        cmocka_unit_test(test_client_result_format_exact),
        /* regressions */
        cmocka_unit_test(test_client_result_format_keeps_unparsed_status_text),
    };
    return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
