/* Unit tests of the sans-I/O SMTP session engine (core/src/smtpc_smtp.c).
 *
 * The engine is driven directly over the fake stream and its scripted peer:
 * tx_buf/tx_ack to the stream, stream to rx_buf/rx_ack, tls_up when it asks
 * for TLS, and body() when it wants the message. Every scenario runs four
 * ways (whole replies, one byte at a time with one-byte writes, would-block
 * on every other call, and both) and must give the same result and the same
 * byte-exact transcript each time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "smtpc/smtp.h"

#include "fake_stream.h"

/* ------------------------------------------------------------ harness --- */

typedef enum { RUN_WHOLE = 0, RUN_BYTE, RUN_BLOCK, RUN_BYTE_BLOCK, RUN_COUNT } run_mode_t;

static const char *const run_names[RUN_COUNT] = {"whole", "one-byte", "would-block",
                                                 "one-byte+would-block"};

typedef struct {
    const fake_step_t *steps;
    size_t nsteps;
    const smtpc_session_cfg_t *cfg;
    const smtpc_envelope_t *env;
    const char *const *body; /* pieces, each one body() call in whole mode */
    size_t body_pieces;
    smtpc_cert_verdict_t verdict;
} scen_t;

#define FLIGHTS_MAX 256

typedef struct {
    int init_rc;
    int status;
    smtpc_result_t res;
    uint8_t stage;
    unsigned tls_ups;
    size_t tls_mark;
    bool stalled;
    bool script_done;
    size_t flight_off[FLIGHTS_MAX];
    size_t flight_len[FLIGHTS_MAX];
    size_t nflights;
    size_t body_calls;
} outcome_t;

typedef struct {
    int status;
    uint8_t stage;
    const char *plain; /* bytes sent before TLS */
    const char *tls;   /* bytes sent after TLS; NULL: TLS never came up */
} expect_t;

static fake_stream_t g_fs;
static smtpc_smtp_t g_s;
static uint8_t g_tx[SMTPC_TX_BUF_SIZE];
static uint8_t g_rx[SMTPC_RX_BUF_SIZE];
static outcome_t g_out[RUN_COUNT];
static const uint8_t g_empty[1] = {0};

static void stream_setup(run_mode_t mode)
{
    fake_stream_init(&g_fs);
    if (mode == RUN_BYTE || mode == RUN_BYTE_BLOCK) {
        g_fs.recv_chunk = 1;
        g_fs.send_chunk = 1;
    }
    g_fs.would_block = mode == RUN_BLOCK || mode == RUN_BYTE_BLOCK;
}

/* The driver looks at the plaintext stream once before starting TLS, so
 * bytes already there after the 220 reach the engine (which must refuse). */
static void peek_before_tls(void)
{
    size_t cap = 0;
    uint8_t *buf = smtpc_smtp_rx_buf(&g_s, &cap);
    size_t chunk = g_fs.recv_chunk;
    bool wb = g_fs.would_block;
    int32_t n;
    if (buf == NULL || fake_stream_pending(&g_fs) == 0) {
        return;
    }
    g_fs.recv_chunk = 0;
    g_fs.would_block = false;
    n = fake_stream_recv(&g_fs, buf, cap);
    g_fs.recv_chunk = chunk;
    g_fs.would_block = wb;
    if (n > 0) {
        (void)smtpc_smtp_rx_ack(&g_s, (size_t)n);
    }
}

typedef struct {
    const scen_t *sc;
    run_mode_t mode;
    size_t piece, off;
} body_feed_t;

static bool feed_body(body_feed_t *bf, outcome_t *o)
{
    const scen_t *sc = bf->sc;
    const uint8_t *p;
    size_t len;
    bool eof;
    size_t used;
    /* skip empty pieces that are not the last */
    while (bf->piece + 1 < sc->body_pieces && bf->off == strlen(sc->body[bf->piece])) {
        bf->piece++;
        bf->off = 0;
    }
    if (sc->body_pieces == 0) {
        p = g_empty;
        len = 0;
        eof = true;
    } else {
        size_t plen = strlen(sc->body[bf->piece]);
        bool last = bf->piece + 1 == sc->body_pieces;
        p = (const uint8_t *)sc->body[bf->piece] + bf->off;
        len = plen - bf->off;
        if ((bf->mode == RUN_BYTE || bf->mode == RUN_BYTE_BLOCK) && len > 1) {
            len = 1;
        }
        eof = last && bf->off + len == plen;
    }
    used = smtpc_smtp_body(&g_s, p, len, eof);
    o->body_calls++;
    bf->off += used;
    return used > 0 || eof;
}

static void run_once(const scen_t *sc, run_mode_t mode, outcome_t *o)
{
    body_feed_t bf;
    unsigned idle = 0;
    unsigned long iter;
    memset(o, 0, sizeof(*o));
    memset(&bf, 0, sizeof(bf));
    bf.sc = sc;
    bf.mode = mode;
    stream_setup(mode);
    fake_stream_script(&g_fs, sc->steps, sc->nsteps);
    o->init_rc =
        smtpc_smtp_init(&g_s, sc->cfg, sc->env, &o->res, g_tx, sizeof(g_tx), g_rx, sizeof(g_rx));
    for (iter = 0; o->init_rc == SMTPC_OK && iter < 4000000ul && idle < 8; iter++) {
        unsigned w = smtpc_smtp_wants(&g_s);
        bool moved = false;
        if (w & SMTPC_SMTP_WANT_DONE) {
            break;
        }
        if (w & SMTPC_SMTP_WANT_WRITE) {
            size_t len = 0;
            const uint8_t *buf = smtpc_smtp_tx_buf(&g_s, &len);
            if (buf != NULL) {
                int32_t n = fake_stream_send(&g_fs, buf, len);
                if (n > 0) {
                    if (o->nflights < FLIGHTS_MAX) {
                        o->flight_off[o->nflights] = g_fs.out_len - (size_t)n;
                        o->flight_len[o->nflights++] = (size_t)n;
                    }
                    smtpc_smtp_tx_ack(&g_s, (size_t)n);
                    moved = true;
                }
            }
        }
        if (w & SMTPC_SMTP_WANT_TLS) {
            if (sc->cfg->tls_mode == SMTPC_TLS_STARTTLS) {
                peek_before_tls();
            }
            if (smtpc_smtp_status(&g_s) == SMTPC_IN_PROGRESS) {
                o->tls_ups++;
                o->tls_mark = g_fs.out_len;
                (void)smtpc_smtp_tls_up(&g_s, sc->verdict);
            }
            idle = 0;
            continue;
        }
        if (w & SMTPC_SMTP_WANT_BODY) {
            moved = feed_body(&bf, o) || moved;
        }
        if (w & SMTPC_SMTP_WANT_READ) {
            size_t cap = 0;
            uint8_t *buf = smtpc_smtp_rx_buf(&g_s, &cap);
            if (buf != NULL) {
                int32_t n = fake_stream_recv(&g_fs, buf, cap);
                if (n > 0) {
                    (void)smtpc_smtp_rx_ack(&g_s, (size_t)n);
                    moved = true;
                } else if (n < 0) {
                    smtpc_smtp_fail(&g_s, n);
                    moved = true;
                }
            }
        }
        idle = moved ? 0 : idle + 1;
    }
    o->stalled = o->init_rc == SMTPC_OK && !(smtpc_smtp_wants(&g_s) & SMTPC_SMTP_WANT_DONE);
    o->status = smtpc_smtp_status(&g_s);
    o->stage = (uint8_t)smtpc_smtp_stage(&g_s);
    o->script_done = fake_stream_script_done(&g_fs);
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

static void assert_same_result(const smtpc_result_t *a, const smtpc_result_t *b, run_mode_t mode)
{
    unsigned i;
    if (a->err != b->err || a->stage != b->stage || a->tls_reached != b->tls_reached ||
        a->cert != b->cert || a->rcpt_count != b->rcpt_count ||
        a->rcpt_accepted != b->rcpt_accepted || a->reply_code != b->reply_code ||
        memcmp(a->reply_enh, b->reply_enh, 3) != 0 || a->flags != b->flags ||
        a->reply_text_len != b->reply_text_len ||
        memcmp(a->reply_text, b->reply_text, a->reply_text_len) != 0) {
        fail_msg("result of %s differs from whole: err %d/%d stage %u/%u flags 0x%x/0x%x "
                 "reply %u/%u",
                 run_names[mode], b->err, a->err, b->stage, a->stage, b->flags, a->flags,
                 b->reply_code, a->reply_code);
    }
    for (i = 0; i < a->rcpt_count && i < SMTPC_MAX_RCPT; i++) {
        if (a->rcpt[i].err != b->rcpt[i].err || a->rcpt[i].code != b->rcpt[i].code ||
            memcmp(a->rcpt[i].enh, b->rcpt[i].enh, 3) != 0) {
            fail_msg("recipient %u of %s differs from whole", i, run_names[mode]);
        }
    }
}

static void check_transcript(const expect_t *ex, const outcome_t *o, run_mode_t mode)
{
    if (ex->tls == NULL) {
        if (o->tls_ups != 0) {
            fail_msg("TLS came up unexpectedly (%s)", run_names[mode]);
        }
        assert_bytes("transcript", mode, ex->plain, g_fs.out, g_fs.out_len);
        return;
    }
    if (o->tls_ups != 1) {
        fail_msg("TLS came up %u times, expected once (%s)", o->tls_ups, run_names[mode]);
    }
    assert_bytes("plaintext transcript", mode, ex->plain, g_fs.out, o->tls_mark);
    assert_bytes("TLS transcript", mode, ex->tls, g_fs.out + o->tls_mark,
                 g_fs.out_len - o->tls_mark);
}

static void check_outcome(const expect_t *ex, const outcome_t *o, run_mode_t mode)
{
    assert_int_equal(o->init_rc, SMTPC_OK);
    if (o->stalled) {
        fake_print_escaped("transcript", g_fs.out, g_fs.out_len);
        fail_msg("engine stalled with status %d (%s)", o->status, run_names[mode]);
    }
    if (g_fs.mismatch) {
        fake_print_escaped("transcript", g_fs.out, g_fs.out_len);
        fail_msg("peer got an unexpected line at offset %zu (%s)", g_fs.mismatch_at,
                 run_names[mode]);
    }
    if (o->status != ex->status) {
        fake_print_escaped("transcript", g_fs.out, g_fs.out_len);
        fail_msg("status %s (%d), expected %s (%d) (%s)", smtpc_strerror(o->status), o->status,
                 smtpc_strerror(ex->status), ex->status, run_names[mode]);
    }
    assert_int_equal(o->res.err, ex->status);
    if (o->res.stage != ex->stage) {
        fail_msg("stage %s, expected %s (%s)", smtpc_stage_name(o->res.stage),
                 smtpc_stage_name(ex->stage), run_names[mode]);
    }
    check_transcript(ex, o, mode);
}

/* Run @p sc in every mode; g_out[RUN_WHOLE] keeps the reference outcome. */
static void run_all(const scen_t *sc, const expect_t *ex)
{
    int m;
    for (m = 0; m < RUN_COUNT; m++) {
        run_once(sc, (run_mode_t)m, &g_out[m]);
        check_outcome(ex, &g_out[m], (run_mode_t)m);
        if (m != RUN_WHOLE) {
            assert_same_result(&g_out[RUN_WHOLE].res, &g_out[m].res, (run_mode_t)m);
        }
    }
    /* leave the whole-mode run in the stream for flight checks */
    run_once(sc, RUN_WHOLE, &g_out[RUN_WHOLE]);
}

/* In whole mode, one send carried exactly @p exp. */
static void assert_flight(const char *exp)
{
    const outcome_t *o = &g_out[RUN_WHOLE];
    size_t n = strlen(exp);
    size_t i;
    for (i = 0; i < o->nflights; i++) {
        if (o->flight_len[i] == n && memcmp(g_fs.out + o->flight_off[i], exp, n) == 0) {
            return;
        }
    }
    fake_print_escaped("wanted flight", (const uint8_t *)exp, n);
    for (i = 0; i < o->nflights; i++) {
        fake_print_escaped("flight", g_fs.out + o->flight_off[i], o->flight_len[i]);
    }
    fail_msg("no send carried exactly the expected bytes");
}

static void assert_text(const smtpc_result_t *r, const char *exp)
{
    size_t n = strlen(exp);
    if (r->reply_text_len != n || memcmp(r->reply_text, exp, n) != 0) {
        fail_msg("reply text '%.*s', expected '%s'", (int)r->reply_text_len, r->reply_text, exp);
    }
}

static void assert_enh(const uint8_t enh[3], uint8_t a, uint8_t b, uint8_t c)
{
    if (enh[0] != a || enh[1] != b || enh[2] != c) {
        fail_msg("enhanced status %u.%u.%u, expected %u.%u.%u", enh[0], enh[1], enh[2], a, b, c);
    }
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ fixtures -- */

static const char *const to1[] = {"b@example.net"};
static const char *const to2[] = {"b@example.net", "c@example.net"};
static const char *const body_std[] = {"Subject: hi\r\n\r\nhello\r\n"};

static smtpc_session_cfg_t cfg_submission(void)
{
    smtpc_session_cfg_t c;
    memset(&c, 0, sizeof(c));
    c.helo_name = "client.example";
    c.tls_mode = SMTPC_TLS_STARTTLS;
    c.tls_level = SMTPC_TLS_VERIFIED;
    c.user = "user";
    c.pass = "pass";
    return c;
}

static smtpc_session_cfg_t cfg_mx(smtpc_tls_level_t level)
{
    smtpc_session_cfg_t c;
    memset(&c, 0, sizeof(c));
    c.helo_name = "client.example";
    c.tls_mode = SMTPC_TLS_STARTTLS;
    c.tls_level = level;
    return c;
}

static smtpc_session_cfg_t cfg_plain(void)
{
    smtpc_session_cfg_t c = cfg_mx(SMTPC_TLS_PLAINTEXT_ALLOWED);
    c.tls_mode = SMTPC_TLS_NONE;
    return c;
}

static smtpc_envelope_t env_to(const char *const *to, size_t n)
{
    smtpc_envelope_t e;
    memset(&e, 0, sizeof(e));
    e.from = "a@example.org";
    e.to = to;
    e.to_count = n;
    return e;
}

static scen_t scen(const fake_step_t *steps, size_t n, const smtpc_session_cfg_t *cfg,
                   const smtpc_envelope_t *env)
{
    scen_t s;
    memset(&s, 0, sizeof(s));
    s.steps = steps;
    s.nsteps = n;
    s.cfg = cfg;
    s.env = env;
    s.body = body_std;
    s.body_pieces = 1;
    s.verdict = SMTPC_CERT_OK;
    return s;
}

#define S_GREET                                                                                    \
    {                                                                                              \
        NULL, "220 mx.example.net ESMTP\r\n", 0                                                    \
    }
#define S_EHLO_STARTTLS                                                                            \
    {                                                                                              \
        "EHLO client.example\r\n", "250-mx.example.net\r\n250-PIPELINING\r\n250 STARTTLS\r\n", 0   \
    }
#define S_STARTTLS                                                                                 \
    {                                                                                              \
        "STARTTLS\r\n", "220 2.0.0 Ready to start TLS\r\n", 0                                      \
    }
#define S_EHLO(caps)                                                                               \
    {                                                                                              \
        "EHLO client.example\r\n", "250-mx.example.net\r\n" caps, 0                                \
    }
#define S_MAIL_OK                                                                                  \
    {                                                                                              \
        "MAIL FROM:<a@example.org>\r\n", "250 2.1.0 Ok\r\n", 0                                     \
    }
#define S_RCPT_B_OK                                                                                \
    {                                                                                              \
        "RCPT TO:<b@example.net>\r\n", "250 2.1.5 Ok\r\n", 0                                       \
    }
#define S_RCPT_C_OK                                                                                \
    {                                                                                              \
        "RCPT TO:<c@example.net>\r\n", "250 2.1.5 Ok\r\n", 0                                       \
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

#define PRE      "EHLO client.example\r\nSTARTTLS\r\n"
#define TXN1     "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n"
#define BODY_STD "Subject: hi\r\n\r\nhello\r\n.\r\n"

/* -------------------------------------------------- golden sessions ----- */

static void test_smtp_submission_starttls_auth_plain_golden(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        S_STARTTLS,
        S_EHLO("250-AUTH PLAIN LOGIN\r\n250 ENHANCEDSTATUSCODES\r\n"),
        {"AUTH PLAIN AHVzZXIAcGFzcw==\r\n", "235 2.7.0 Authentication successful\r\n", 0},
        S_MAIL_OK,
        S_RCPT_B_OK,
        S_DATA_354,
        S_DOT_OK,
        S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_OK, SMTPC_STAGE_DONE, PRE,
                   "EHLO client.example\r\nAUTH PLAIN AHVzZXIAcGFzcw==\r\n" TXN1 BODY_STD
                   "QUIT\r\n"};
    const smtpc_result_t *r = &g_out[RUN_WHOLE].res;
    (void)state;
    run_all(&sc, &ex);
    assert_true(g_out[RUN_WHOLE].script_done);
    assert_int_equal(r->tls_reached, SMTPC_REACHED_VERIFIED);
    assert_int_equal(r->cert, SMTPC_CERT_OK);
    assert_int_equal(r->flags, SMTPC_RESULT_STARTTLS_OFFERED | SMTPC_RESULT_AUTHENTICATED |
                                   SMTPC_RESULT_ACCEPTED);
    assert_int_equal(r->rcpt_count, 1);
    assert_int_equal(r->rcpt_accepted, 1);
    assert_int_equal(r->rcpt[0].err, SMTPC_OK);
    assert_int_equal(r->rcpt[0].code, 250);
    assert_enh(r->rcpt[0].enh, 2, 1, 5);
    assert_int_equal(r->reply_code, 250);
    assert_enh(r->reply_enh, 2, 0, 0);
    assert_text(r, "2.0.0 Ok: queued as 4XyZ");
}

static void test_smtp_submission_auth_login_golden(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        S_STARTTLS,
        S_EHLO("250 AUTH PLAIN LOGIN\r\n"),
        {"AUTH LOGIN\r\n", "334 VXNlcm5hbWU6\r\n", 0},
        {"dXNlcg==\r\n", "334 UGFzc3dvcmQ6\r\n", 0},
        {"cGFzcw==\r\n", "235 2.7.0 Authentication successful\r\n", 0},
        S_MAIL_OK,
        S_RCPT_B_OK,
        S_DATA_354,
        S_DOT_OK,
        S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_OK, SMTPC_STAGE_DONE, PRE,
                   "EHLO client.example\r\nAUTH LOGIN\r\ndXNlcg==\r\ncGFzcw==\r\n" TXN1 BODY_STD
                   "QUIT\r\n"};
    (void)state;
    cfg.auth_mechs = SMTPC_AUTH_LOGIN;
    run_all(&sc, &ex);
    assert_int_equal(g_out[RUN_WHOLE].res.flags & SMTPC_RESULT_AUTHENTICATED,
                     SMTPC_RESULT_AUTHENTICATED);
}

/* LOGIN is used when it is the only mechanism both sides have. */
static void test_smtp_auth_login_only_offered_chosen(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        S_STARTTLS,
        S_EHLO("250 AUTH LOGIN CRAM-MD5\r\n"),
        {"AUTH LOGIN\r\n", "334 VXNlcm5hbWU6\r\n", 0},
        {"dXNlcg==\r\n", "334 UGFzc3dvcmQ6\r\n", 0},
        {"cGFzcw==\r\n", "535 5.7.8 Error: authentication failed\r\n", 0},
        S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_ERR_AUTH_FAILED, SMTPC_STAGE_AUTH, PRE,
                   "EHLO client.example\r\nAUTH LOGIN\r\ndXNlcg==\r\ncGFzcw==\r\nQUIT\r\n"};
    (void)state;
    run_all(&sc, &ex);
    assert_int_equal(g_out[RUN_WHOLE].res.reply_code, 535);
    assert_enh(g_out[RUN_WHOLE].res.reply_enh, 5, 7, 8);
    assert_int_equal(g_out[RUN_WHOLE].res.flags & SMTPC_RESULT_AUTHENTICATED, 0);
}

static void test_smtp_auth_plain_535_fails_with_quit(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        S_STARTTLS,
        S_EHLO("250 AUTH PLAIN\r\n"),
        {"AUTH PLAIN AHVzZXIAcGFzcw==\r\n", "535 5.7.8 Error: authentication failed\r\n", 0},
        S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_ERR_AUTH_FAILED, SMTPC_STAGE_AUTH, PRE,
                   "EHLO client.example\r\nAUTH PLAIN AHVzZXIAcGFzcw==\r\nQUIT\r\n"};
    (void)state;
    run_all(&sc, &ex);
    assert_int_equal(g_out[RUN_WHOLE].res.reply_code, 535);
    assert_text(&g_out[RUN_WHOLE].res, "5.7.8 Error: authentication failed");
}

static int token_ok(void *arg, const char **tok, size_t *len)
{
    unsigned *calls = (unsigned *)arg;
    (*calls)++;
    *tok = "tok123";
    *len = 6;
    return SMTPC_OK;
}

static int token_fails(void *arg, const char **tok, size_t *len)
{
    (void)arg;
    (void)tok;
    (void)len;
    return SMTPC_ERR_ABORTED;
}

static int token_empty(void *arg, const char **tok, size_t *len)
{
    (void)arg;
    *tok = "";
    *len = 0;
    return SMTPC_OK;
}

#define XOAUTH2_LINE "AUTH XOAUTH2 dXNlcj11c2VyAWF1dGg9QmVhcmVyIHRvazEyMwEB\r\n"

static void test_smtp_auth_xoauth2_golden(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        S_STARTTLS,
        S_EHLO("250 AUTH PLAIN LOGIN XOAUTH2\r\n"),
        {XOAUTH2_LINE, "235 2.7.0 Accepted\r\n", 0},
        S_MAIL_OK,
        S_RCPT_B_OK,
        S_DATA_354,
        S_DOT_OK,
        S_QUIT,
    };
    static unsigned calls;
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_OK, SMTPC_STAGE_DONE, PRE,
                   "EHLO client.example\r\n" XOAUTH2_LINE TXN1 BODY_STD "QUIT\r\n"};
    (void)state;
    cfg.pass = NULL;
    cfg.token = token_ok;
    cfg.token_arg = &calls;
    calls = 0;
    run_all(&sc, &ex);
    assert_int_equal(calls, RUN_COUNT + 1); /* once per session */
}

static void test_smtp_auth_xoauth2_334_sends_empty_line_then_fails(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        S_STARTTLS,
        S_EHLO("250 AUTH XOAUTH2\r\n"),
        {XOAUTH2_LINE, "334 eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIn0=\r\n", 0},
        {"\r\n", "535 5.7.8 Username and Password not accepted\r\n", 0},
        S_QUIT,
    };
    static unsigned calls;
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_ERR_AUTH_FAILED, SMTPC_STAGE_AUTH, PRE,
                   "EHLO client.example\r\n" XOAUTH2_LINE "\r\nQUIT\r\n"};
    (void)state;
    cfg.pass = NULL;
    cfg.token = token_ok;
    cfg.token_arg = &calls;
    run_all(&sc, &ex);
    assert_int_equal(g_out[RUN_WHOLE].res.reply_code, 535);
    assert_enh(g_out[RUN_WHOLE].res.reply_enh, 5, 7, 8);
}

static void test_smtp_auth_xoauth2_token_errors_end_session(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET, S_EHLO_STARTTLS, S_STARTTLS, S_EHLO("250 AUTH XOAUTH2\r\n"), S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_ERR_ABORTED, SMTPC_STAGE_AUTH, PRE, "EHLO client.example\r\nQUIT\r\n"};
    (void)state;
    cfg.pass = NULL;
    cfg.token = token_fails;
    run_all(&sc, &ex);
    cfg.token = token_empty;
    ex.status = SMTPC_ERR_AUTH_FAILED;
    run_all(&sc, &ex);
}

/* Mechanisms only the server offers, or none in common: no credentials sent. */
static void test_smtp_auth_no_common_mechanism_unsupported(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET, S_EHLO_STARTTLS, S_STARTTLS, S_EHLO("250 AUTH XOAUTH2 CRAM-MD5\r\n"), S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_ERR_AUTH_UNSUPPORTED, SMTPC_STAGE_EHLO_TLS, PRE,
                   "EHLO client.example\r\nQUIT\r\n"};
    (void)state;
    run_all(&sc, &ex); /* XOAUTH2 offered but no token source */
}

static void test_smtp_plain_mx_session_golden(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        {"EHLO client.example\r\n", "250-mx.example.net\r\n250-STARTTLS\r\n250 8BITMIME\r\n", 0},
        S_MAIL_OK,
        S_RCPT_B_OK,
        S_DATA_354,
        S_DOT_OK,
        S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_plain();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_OK, SMTPC_STAGE_DONE, "EHLO client.example\r\n" TXN1 BODY_STD "QUIT\r\n",
                   NULL};
    const smtpc_result_t *r = &g_out[RUN_WHOLE].res;
    (void)state;
    run_all(&sc, &ex);
    assert_int_equal(r->tls_reached, SMTPC_REACHED_NONE);
    assert_int_equal(r->cert, SMTPC_CERT_NOT_CHECKED);
    assert_int_equal(r->flags, SMTPC_RESULT_ACCEPTED);
}

/* STARTTLS mode with plaintext allowed: upgrade when offered, go on in
 * plaintext when not. */
static void test_smtp_plaintext_allowed_upgrades_when_offered(void **state)
{
    static const fake_step_t with_tls[] = {
        S_GREET,   S_EHLO_STARTTLS, S_STARTTLS, S_EHLO("250 SIZE 1000\r\n"),
        S_MAIL_OK, S_RCPT_B_OK,     S_DATA_354, S_DOT_OK,
        S_QUIT,
    };
    static const fake_step_t without_tls[] = {
        S_GREET, S_EHLO("250 SIZE 1000\r\n"), S_MAIL_OK, S_RCPT_B_OK, S_DATA_354, S_DOT_OK, S_QUIT,
    };
    static const fake_step_t refused[] = {
        S_GREET,   S_EHLO_STARTTLS, {"STARTTLS\r\n", "454 4.7.0 TLS not available\r\n", 0},
        S_MAIL_OK, S_RCPT_B_OK,     S_DATA_354,
        S_DOT_OK,  S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_mx(SMTPC_TLS_PLAINTEXT_ALLOWED);
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(with_tls, COUNT(with_tls), &cfg, &env);
    expect_t ex = {SMTPC_OK, SMTPC_STAGE_DONE, PRE,
                   "EHLO client.example\r\n" TXN1 BODY_STD "QUIT\r\n"};
    (void)state;
    run_all(&sc, &ex);
    assert_int_equal(g_out[RUN_WHOLE].res.tls_reached, SMTPC_REACHED_VERIFIED);

    sc = scen(without_tls, COUNT(without_tls), &cfg, &env);
    ex.plain = "EHLO client.example\r\n" TXN1 BODY_STD "QUIT\r\n";
    ex.tls = NULL;
    run_all(&sc, &ex);
    assert_int_equal(g_out[RUN_WHOLE].res.tls_reached, SMTPC_REACHED_NONE);

    sc = scen(refused, COUNT(refused), &cfg, &env);
    ex.plain = PRE TXN1 BODY_STD "QUIT\r\n";
    run_all(&sc, &ex);
}

/* Implicit TLS: TLS before the greeting; nothing at all in plaintext. */
static void test_smtp_implicit_tls_waits_for_tls_first(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        S_EHLO("250 AUTH PLAIN\r\n"),
        {"AUTH PLAIN AHVzZXIAcGFzcw==\r\n", "235 2.7.0 ok\r\n", 0},
        S_MAIL_OK,
        S_RCPT_B_OK,
        S_DATA_354,
        S_DOT_OK,
        S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_OK, SMTPC_STAGE_DONE, "",
                   "EHLO client.example\r\nAUTH PLAIN AHVzZXIAcGFzcw==\r\n" TXN1 BODY_STD
                   "QUIT\r\n"};
    smtpc_result_t res;
    (void)state;
    cfg.tls_mode = SMTPC_TLS_IMPLICIT;
    assert_int_equal(
        smtpc_smtp_init(&g_s, &cfg, &env, &res, g_tx, sizeof(g_tx), g_rx, sizeof(g_rx)), SMTPC_OK);
    assert_int_equal(smtpc_smtp_wants(&g_s), SMTPC_SMTP_WANT_TLS);
    assert_int_equal(smtpc_smtp_stage(&g_s), SMTPC_STAGE_TLS_IMPLICIT);
    run_all(&sc, &ex);
    /* no STARTTLS offered on the plaintext EHLO: there was none */
    assert_int_equal(g_out[RUN_WHOLE].res.flags & SMTPC_RESULT_STARTTLS_OFFERED, 0);
}

/* ---------------------------------------------------------- PIPELINING --- */

#define TXN2                                                                                       \
    "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nRCPT TO:<c@example.net>\r\nDATA\r\n"

static void test_smtp_pipelining_one_flight_when_advertised(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,   S_EHLO_STARTTLS, S_STARTTLS,  S_EHLO("250 PIPELINING\r\n"),
        S_MAIL_OK, S_RCPT_B_OK,     S_RCPT_C_OK, S_DATA_354,
        S_DOT_OK,  S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_mx(SMTPC_TLS_VERIFIED);
    smtpc_envelope_t env = env_to(to2, 2);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_OK, SMTPC_STAGE_DONE, PRE,
                   "EHLO client.example\r\n" TXN2 BODY_STD "QUIT\r\n"};
    (void)state;
    cfg.pipelining = true;
    run_all(&sc, &ex);
    assert_flight(TXN2);
    assert_int_equal(g_out[RUN_WHOLE].res.flags & SMTPC_RESULT_PIPELINED, SMTPC_RESULT_PIPELINED);
    assert_int_equal(g_out[RUN_WHOLE].res.rcpt_accepted, 2);
}

static void test_smtp_pipelining_off_one_command_per_flight(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,   S_EHLO_STARTTLS, S_STARTTLS,  S_EHLO("250 PIPELINING\r\n"),
        S_MAIL_OK, S_RCPT_B_OK,     S_RCPT_C_OK, S_DATA_354,
        S_DOT_OK,  S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_mx(SMTPC_TLS_VERIFIED);
    smtpc_envelope_t env = env_to(to2, 2);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_OK, SMTPC_STAGE_DONE, PRE,
                   "EHLO client.example\r\n" TXN2 BODY_STD "QUIT\r\n"};
    (void)state;
    cfg.pipelining = false; /* advertised, but not asked for */
    run_all(&sc, &ex);
    assert_flight("MAIL FROM:<a@example.org>\r\n");
    assert_flight("RCPT TO:<b@example.net>\r\n");
    assert_flight("RCPT TO:<c@example.net>\r\n");
    assert_flight("DATA\r\n");
    assert_int_equal(g_out[RUN_WHOLE].res.flags & SMTPC_RESULT_PIPELINED, 0);
}

/* RFC 3207 §4.2: PIPELINING seen before TLS is forgotten. */
static void test_smtp_pipelining_from_before_tls_not_used(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,   S_EHLO_STARTTLS, S_STARTTLS,  S_EHLO("250 SIZE 1000\r\n"),
        S_MAIL_OK, S_RCPT_B_OK,     S_RCPT_C_OK, S_DATA_354,
        S_DOT_OK,  S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_mx(SMTPC_TLS_VERIFIED);
    smtpc_envelope_t env = env_to(to2, 2);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_OK, SMTPC_STAGE_DONE, PRE,
                   "EHLO client.example\r\n" TXN2 BODY_STD "QUIT\r\n"};
    (void)state;
    cfg.pipelining = true;
    run_all(&sc, &ex);
    assert_flight("MAIL FROM:<a@example.org>\r\n");
    assert_flight("DATA\r\n");
    assert_int_equal(g_out[RUN_WHOLE].res.flags & SMTPC_RESULT_PIPELINED, 0);
}

/* ------------------------------------------------ MAIL parameters ------- */

static void test_smtp_size_sent_only_when_advertised_and_known(void **state)
{
    static const fake_step_t with_size[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        S_STARTTLS,
        S_EHLO("250 SIZE 1000000\r\n"),
        {"MAIL FROM:<a@example.org> SIZE=1234\r\n", "250 2.1.0 Ok\r\n", 0},
        S_RCPT_B_OK,
        S_DATA_354,
        S_DOT_OK,
        S_QUIT,
    };
    static const fake_step_t no_size[] = {
        S_GREET,    S_EHLO_STARTTLS, S_STARTTLS, S_EHLO("250 8BITMIME\r\n"), S_MAIL_OK, S_RCPT_B_OK,
        S_DATA_354, S_DOT_OK,        S_QUIT,
    };
    static const fake_step_t size_unknown[] = {
        S_GREET,   S_EHLO_STARTTLS, S_STARTTLS, S_EHLO("250 SIZE 1000000\r\n"),
        S_MAIL_OK, S_RCPT_B_OK,     S_DATA_354, S_DOT_OK,
        S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_mx(SMTPC_TLS_VERIFIED);
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(with_size, COUNT(with_size), &cfg, &env);
    expect_t ex = {SMTPC_OK, SMTPC_STAGE_DONE, PRE,
                   "EHLO client.example\r\nMAIL FROM:<a@example.org> SIZE=1234\r\n"
                   "RCPT TO:<b@example.net>\r\nDATA\r\n" BODY_STD "QUIT\r\n"};
    (void)state;
    env.size_hint = 1234;
    run_all(&sc, &ex);

    sc = scen(no_size, COUNT(no_size), &cfg, &env);
    ex.tls = "EHLO client.example\r\n" TXN1 BODY_STD "QUIT\r\n";
    run_all(&sc, &ex);

    env.size_hint = 0;
    sc = scen(size_unknown, COUNT(size_unknown), &cfg, &env);
    run_all(&sc, &ex);
}

static void test_smtp_size_over_announced_limit_fails_before_mail(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET, S_EHLO_STARTTLS, S_STARTTLS, S_EHLO("250 SIZE 1000000\r\n"), S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_mx(SMTPC_TLS_VERIFIED);
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_ERR_MSG_TOO_BIG, SMTPC_STAGE_EHLO_TLS, PRE,
                   "EHLO client.example\r\nQUIT\r\n"};
    (void)state;
    env.size_hint = 1000001;
    run_all(&sc, &ex);
}

/* Pre-TLS SIZE is forgotten too: a smaller pre-TLS limit does not refuse. */
static void test_smtp_size_from_before_tls_forgotten(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        {"EHLO client.example\r\n", "250-mx.example.net\r\n250-SIZE 10\r\n250 STARTTLS\r\n", 0},
        S_STARTTLS,
        S_EHLO("250 8BITMIME\r\n"),
        S_MAIL_OK,
        S_RCPT_B_OK,
        S_DATA_354,
        S_DOT_OK,
        S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_mx(SMTPC_TLS_VERIFIED);
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_OK, SMTPC_STAGE_DONE, PRE,
                   "EHLO client.example\r\n" TXN1 BODY_STD "QUIT\r\n"};
    (void)state;
    env.size_hint = 5000;
    run_all(&sc, &ex);
}

static void test_smtp_8bitmime_body_param_and_unsupported(void **state)
{
    static const fake_step_t ok[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        S_STARTTLS,
        S_EHLO("250 8BITMIME\r\n"),
        {"MAIL FROM:<a@example.org> BODY=8BITMIME\r\n", "250 2.1.0 Ok\r\n", 0},
        S_RCPT_B_OK,
        S_DATA_354,
        S_DOT_OK,
        S_QUIT,
    };
    static const fake_step_t missing[] = {
        S_GREET, S_EHLO_STARTTLS, S_STARTTLS, S_EHLO("250 SMTPUTF8\r\n"), S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_mx(SMTPC_TLS_VERIFIED);
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(ok, COUNT(ok), &cfg, &env);
    expect_t ex = {SMTPC_OK, SMTPC_STAGE_DONE, PRE,
                   "EHLO client.example\r\nMAIL FROM:<a@example.org> BODY=8BITMIME\r\n"
                   "RCPT TO:<b@example.net>\r\nDATA\r\n" BODY_STD "QUIT\r\n"};
    (void)state;
    env.flags = SMTPC_ENV_8BITMIME;
    run_all(&sc, &ex);

    sc = scen(missing, COUNT(missing), &cfg, &env);
    ex.status = SMTPC_ERR_8BITMIME_UNSUPPORTED;
    ex.stage = SMTPC_STAGE_EHLO_TLS;
    ex.tls = "EHLO client.example\r\nQUIT\r\n";
    run_all(&sc, &ex);
}

/* "δοκιμή@παράδειγμα.δοκιμή" (RFC 6531 style address) in UTF-8 */
#define UTF8_ADDR                                                                                  \
    "\xce\xb4\xce\xbf\xce\xba\xce\xb9\xce\xbc\xce\xae@\xcf\x80\xce\xb1\xcf\x81\xce\xac\xce\xb4"    \
    "\xce\xb5\xce\xb9\xce\xb3\xce\xbc\xce\xb1.\xce\xb4\xce\xbf\xce\xba\xce\xb9\xce\xbc\xce\xae"

static void test_smtp_smtputf8_automatic_for_non_ascii_address(void **state)
{
    static const char *const to_utf8[] = {UTF8_ADDR};
    static const fake_step_t ok[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        S_STARTTLS,
        S_EHLO("250-8BITMIME\r\n250 SMTPUTF8\r\n"),
        {"MAIL FROM:<a@example.org> SMTPUTF8\r\n", "250 2.1.0 Ok\r\n", 0},
        {"RCPT TO:<" UTF8_ADDR ">\r\n", "250 2.1.5 Ok\r\n", 0},
        S_DATA_354,
        S_DOT_OK,
        S_QUIT,
    };
    static const fake_step_t missing[] = {
        S_GREET, S_EHLO_STARTTLS, S_STARTTLS, S_EHLO("250 8BITMIME\r\n"), S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_mx(SMTPC_TLS_VERIFIED);
    smtpc_envelope_t env = env_to(to_utf8, 1);
    scen_t sc = scen(ok, COUNT(ok), &cfg, &env);
    expect_t ex = {SMTPC_OK, SMTPC_STAGE_DONE, PRE,
                   "EHLO client.example\r\nMAIL FROM:<a@example.org> SMTPUTF8\r\n"
                   "RCPT TO:<" UTF8_ADDR ">\r\nDATA\r\n" BODY_STD "QUIT\r\n"};
    (void)state;
    run_all(&sc, &ex);

    sc = scen(missing, COUNT(missing), &cfg, &env);
    ex.status = SMTPC_ERR_SMTPUTF8_UNSUPPORTED;
    ex.stage = SMTPC_STAGE_EHLO_TLS;
    ex.tls = "EHLO client.example\r\nQUIT\r\n";
    run_all(&sc, &ex);
}

static void test_smtp_mail_params_all_in_order(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        S_STARTTLS,
        S_EHLO("250-SIZE 0\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"),
        {"MAIL FROM:<> SIZE=4294967295 BODY=8BITMIME SMTPUTF8\r\n", "250 2.1.0 Ok\r\n", 0},
        S_RCPT_B_OK,
        S_DATA_354,
        S_DOT_OK,
        S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_mx(SMTPC_TLS_VERIFIED);
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_OK, SMTPC_STAGE_DONE, PRE,
                   "EHLO client.example\r\nMAIL FROM:<> SIZE=4294967295 BODY=8BITMIME SMTPUTF8\r\n"
                   "RCPT TO:<b@example.net>\r\nDATA\r\n" BODY_STD "QUIT\r\n"};
    (void)state;
    env.from = "";               /* null reverse-path (bounce) */
    env.size_hint = 4294967295u; /* "SIZE 0": no limit announced */
    env.flags = SMTPC_ENV_8BITMIME | SMTPC_ENV_SMTPUTF8;
    run_all(&sc, &ex);
}

/* ------------------------------------------------------- recipients ----- */

static void test_smtp_one_rcpt_refused_some_rejected(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        S_STARTTLS,
        S_EHLO("250 8BITMIME\r\n"),
        S_MAIL_OK,
        S_RCPT_B_OK,
        {"RCPT TO:<c@example.net>\r\n", "550 5.1.1 <c@example.net>: Recipient address rejected\r\n",
         0},
        S_DATA_354,
        S_DOT_OK,
        S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_mx(SMTPC_TLS_VERIFIED);
    smtpc_envelope_t env = env_to(to2, 2);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_ERR_RCPT_SOME_REJECTED, SMTPC_STAGE_DONE, PRE,
                   "EHLO client.example\r\n" TXN2 BODY_STD "QUIT\r\n"};
    const smtpc_result_t *r = &g_out[RUN_WHOLE].res;
    (void)state;
    run_all(&sc, &ex);
    assert_int_equal(r->flags & SMTPC_RESULT_ACCEPTED, SMTPC_RESULT_ACCEPTED);
    assert_int_equal(r->rcpt_count, 2);
    assert_int_equal(r->rcpt_accepted, 1);
    assert_int_equal(r->rcpt[0].err, SMTPC_OK);
    assert_int_equal(r->rcpt[0].code, 250);
    assert_enh(r->rcpt[0].enh, 2, 1, 5);
    assert_int_equal(r->rcpt[1].err, SMTPC_ERR_SMTP_REJECTED);
    assert_int_equal(r->rcpt[1].code, 550);
    assert_enh(r->rcpt[1].enh, 5, 1, 1);
}

static void test_smtp_all_rcpt_refused_no_data(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        S_STARTTLS,
        S_EHLO("250 8BITMIME\r\n"),
        S_MAIL_OK,
        {"RCPT TO:<b@example.net>\r\n", "550 5.1.1 no such user\r\n", 0},
        {"RCPT TO:<c@example.net>\r\n", "450 4.2.0 try later\r\n", 0},
        S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_mx(SMTPC_TLS_VERIFIED);
    smtpc_envelope_t env = env_to(to2, 2);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_ERR_RCPT_ALL_REJECTED, SMTPC_STAGE_RCPT, PRE,
                   "EHLO client.example\r\nMAIL FROM:<a@example.org>\r\n"
                   "RCPT TO:<b@example.net>\r\nRCPT TO:<c@example.net>\r\nQUIT\r\n"};
    const smtpc_result_t *r = &g_out[RUN_WHOLE].res;
    (void)state;
    run_all(&sc, &ex);
    assert_int_equal(r->rcpt_accepted, 0);
    assert_int_equal(r->rcpt[0].code, 550);
    assert_int_equal(r->rcpt[1].code, 450);
    assert_enh(r->rcpt[1].enh, 4, 2, 0);
    assert_int_equal(r->flags & SMTPC_RESULT_ACCEPTED, 0);
}

static void test_smtp_pipelined_all_refused_354_sends_lone_dot(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        S_STARTTLS,
        S_EHLO("250 PIPELINING\r\n"),
        S_MAIL_OK,
        {"RCPT TO:<b@example.net>\r\n", "550 5.1.1 no such user\r\n", 0},
        {"RCPT TO:<c@example.net>\r\n", "550 5.1.1 no such user\r\n", 0},
        S_DATA_354,
        {".\r\n", "554 5.5.1 Error: no valid recipients\r\n", 0},
        S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_mx(SMTPC_TLS_VERIFIED);
    smtpc_envelope_t env = env_to(to2, 2);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_ERR_RCPT_ALL_REJECTED, SMTPC_STAGE_DATA, PRE,
                   "EHLO client.example\r\n" TXN2 ".\r\nQUIT\r\n"};
    (void)state;
    cfg.pipelining = true;
    run_all(&sc, &ex);
    assert_int_equal(g_out[RUN_WHOLE].body_calls, 0); /* no byte of the body */
    assert_int_equal(g_out[RUN_WHOLE].res.flags & SMTPC_RESULT_ACCEPTED, 0);
}

static void test_smtp_pipelined_all_refused_data_554(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        S_STARTTLS,
        S_EHLO("250 PIPELINING\r\n"),
        S_MAIL_OK,
        {"RCPT TO:<b@example.net>\r\n", "550 5.1.1 no such user\r\n", 0},
        {"RCPT TO:<c@example.net>\r\n", "550 5.1.1 no such user\r\n", 0},
        {"DATA\r\n", "554 5.5.1 Error: no valid recipients\r\n", 0},
        S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_mx(SMTPC_TLS_VERIFIED);
    smtpc_envelope_t env = env_to(to2, 2);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_ERR_RCPT_ALL_REJECTED, SMTPC_STAGE_DATA, PRE,
                   "EHLO client.example\r\n" TXN2 "QUIT\r\n"};
    (void)state;
    cfg.pipelining = true;
    run_all(&sc, &ex);
}

static void test_smtp_mail_data_and_message_refusals(void **state)
{
    static const fake_step_t mail_no[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        S_STARTTLS,
        S_EHLO("250 8BITMIME\r\n"),
        {"MAIL FROM:<a@example.org>\r\n", "553 5.7.1 Sender address rejected\r\n", 0},
        S_QUIT,
    };
    static const fake_step_t data_no[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        S_STARTTLS,
        S_EHLO("250 8BITMIME\r\n"),
        S_MAIL_OK,
        S_RCPT_B_OK,
        {"DATA\r\n", "554 5.5.1 Error: no\r\n", 0},
        S_QUIT,
    };
    static const fake_step_t msg_no[] = {
        S_GREET,   S_EHLO_STARTTLS, S_STARTTLS, S_EHLO("250 8BITMIME\r\n"),
        S_MAIL_OK, S_RCPT_B_OK,     S_DATA_354, {".\r\n", "554 5.7.1 Spam message rejected\r\n", 0},
        S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_mx(SMTPC_TLS_VERIFIED);
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(mail_no, COUNT(mail_no), &cfg, &env);
    expect_t ex = {SMTPC_ERR_MAIL_REJECTED, SMTPC_STAGE_MAIL, PRE,
                   "EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nQUIT\r\n"};
    (void)state;
    run_all(&sc, &ex);
    assert_int_equal(g_out[RUN_WHOLE].res.reply_code, 553);

    sc = scen(data_no, COUNT(data_no), &cfg, &env);
    ex.status = SMTPC_ERR_DATA_REJECTED;
    ex.stage = SMTPC_STAGE_DATA;
    ex.tls = "EHLO client.example\r\n" TXN1 "QUIT\r\n";
    run_all(&sc, &ex);

    sc = scen(msg_no, COUNT(msg_no), &cfg, &env);
    ex.status = SMTPC_ERR_MSG_REJECTED;
    ex.stage = SMTPC_STAGE_DATA_END;
    ex.tls = "EHLO client.example\r\n" TXN1 BODY_STD "QUIT\r\n";
    run_all(&sc, &ex);
    assert_int_equal(g_out[RUN_WHOLE].res.flags & SMTPC_RESULT_ACCEPTED, 0);
    assert_int_equal(g_out[RUN_WHOLE].res.reply_code, 554);
    assert_text(&g_out[RUN_WHOLE].res, "5.7.1 Spam message rejected");
}

/* ------------------------------------------------------------- body ----- */

typedef struct {
    const char *name;
    const char *pieces[4];
    size_t count;
    const char *wire;
} body_vec_t;

static const body_vec_t body_vectors[] = {
    {"CRLF text", {"Subject: x\r\n\r\nhello\r\n"}, 1, "Subject: x\r\n\r\nhello\r\n.\r\n"},
    {"no final line break", {"hello"}, 1, "hello\r\n.\r\n"},
    {"empty body", {""}, 1, ".\r\n"},
    {"only a line break", {"\r\n"}, 1, "\r\n.\r\n"},
    {"dot on the first line", {".first\r\n"}, 1, "..first\r\n.\r\n"},
    {"lone dot first", {"."}, 1, "..\r\n.\r\n"},
    {"dot after CRLF", {"a\r\n.b\r\n"}, 1, "a\r\n..b\r\n.\r\n"},
    {"lone dot line inside", {"a\r\n.\r\nb\r\n"}, 1, "a\r\n..\r\nb\r\n.\r\n"},
    {"end mark inside", {"\r\n.\r\n"}, 1, "\r\n..\r\n.\r\n"},
    {"two dots", {"..x\r\n"}, 1, "...x\r\n.\r\n"},
    {"dot not at line start", {"a.b\r\nc.\r\n"}, 1, "a.b\r\nc.\r\n.\r\n"},
    {"bare LF", {"a\nb\n"}, 1, "a\r\nb\r\n.\r\n"},
    {"dot after bare LF", {"a\n.b"}, 1, "a\r\n..b\r\n.\r\n"},
    {"bare CR", {"a\rb\r"}, 1, "a\r\nb\r\n.\r\n"},
    {"dot after bare CR", {"a\r.b"}, 1, "a\r\n..b\r\n.\r\n"},
    {"LF LF", {"a\n\nb"}, 1, "a\r\n\r\nb\r\n.\r\n"},
    {"CR CR", {"a\r\rb"}, 1, "a\r\n\r\nb\r\n.\r\n"},
    {"LF CR is two breaks", {"a\n\rb"}, 1, "a\r\n\r\nb\r\n.\r\n"},
    {"CR CR LF", {"a\r\r\nb"}, 1, "a\r\n\r\nb\r\n.\r\n"},
    {"CRLF split across calls", {"a\r", "\nb"}, 2, "a\r\nb\r\n.\r\n"},
    {"CRLF split then dot", {"a\r", "\n", ".b"}, 3, "a\r\n..b\r\n.\r\n"},
    {"CR at the very end", {"a\r"}, 1, "a\r\n.\r\n"},
    {"empty middle call", {"a", "", "b\n"}, 3, "ab\r\n.\r\n"},
    {"8-bit bytes kept", {"caf\xc3\xa9\r\n"}, 1, "caf\xc3\xa9\r\n.\r\n"},
};

static void test_smtp_body_transformation_vectors(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,    {"EHLO client.example\r\n", "250 mx.example.net\r\n", 0},
        S_MAIL_OK,  S_RCPT_B_OK,
        S_DATA_354, S_DOT_OK,
        S_QUIT,
    };
    static char wire[256];
    smtpc_session_cfg_t cfg = cfg_plain();
    smtpc_envelope_t env = env_to(to1, 1);
    size_t i;
    (void)state;
    for (i = 0; i < COUNT(body_vectors); i++) {
        const body_vec_t *v = &body_vectors[i];
        scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
        expect_t ex = {SMTPC_OK, SMTPC_STAGE_DONE, wire, NULL};
        sc.body = v->pieces;
        sc.body_pieces = v->count;
        snprintf(wire, sizeof(wire), "EHLO client.example\r\n" TXN1 "%sQUIT\r\n", v->wire);
        fprintf(stderr, "  body vector: %s\n", v->name);
        run_all(&sc, &ex);
    }
}

static char g_long[2 * SMTPC_BODY_LINE_MAX + 16];
static char g_wire[4 * SMTPC_BODY_LINE_MAX + 256];

static void test_smtp_body_line_of_max_length_accepted(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,    {"EHLO client.example\r\n", "250 mx.example.net\r\n", 0},
        S_MAIL_OK,  S_RCPT_B_OK,
        S_DATA_354, S_DOT_OK,
        S_QUIT,
    };
    const char *pieces[1];
    smtpc_session_cfg_t cfg = cfg_plain();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_OK, SMTPC_STAGE_DONE, g_wire, NULL};
    size_t n;
    (void)state;
    /* two lines of exactly SMTPC_BODY_LINE_MAX octets: the count restarts per line */
    memset(g_long, 'x', SMTPC_BODY_LINE_MAX);
    memcpy(g_long + SMTPC_BODY_LINE_MAX, "\n", 1);
    memset(g_long + SMTPC_BODY_LINE_MAX + 1, 'y', SMTPC_BODY_LINE_MAX);
    g_long[2 * SMTPC_BODY_LINE_MAX + 1] = '\0';
    pieces[0] = g_long;
    sc.body = pieces;
    n = (size_t)snprintf(g_wire, sizeof(g_wire), "EHLO client.example\r\n" TXN1);
    memset(g_wire + n, 'x', SMTPC_BODY_LINE_MAX);
    n += SMTPC_BODY_LINE_MAX;
    memcpy(g_wire + n, "\r\n", 2);
    n += 2;
    memset(g_wire + n, 'y', SMTPC_BODY_LINE_MAX);
    n += SMTPC_BODY_LINE_MAX;
    memcpy(g_wire + n, "\r\n.\r\nQUIT\r\n", 12);
    run_all(&sc, &ex);
}

/* RFC 5321 §4.5.3.1.6: the 1000-octet limit does not count the dot added for
 * transparency, so a 998-octet line starting with '.' is valid. */
static void test_smtp_body_dot_line_of_max_length_accepted(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,    {"EHLO client.example\r\n", "250 mx.example.net\r\n", 0},
        S_MAIL_OK,  S_RCPT_B_OK,
        S_DATA_354, S_DOT_OK,
        S_QUIT,
    };
    const char *pieces[1];
    smtpc_session_cfg_t cfg = cfg_plain();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_OK, SMTPC_STAGE_DONE, g_wire, NULL};
    size_t n;
    (void)state;
    memset(g_long, 0, sizeof(g_long));
    g_long[0] = '.';
    memset(g_long + 1, 'x', SMTPC_BODY_LINE_MAX - 1);
    pieces[0] = g_long;
    sc.body = pieces;
    n = (size_t)snprintf(g_wire, sizeof(g_wire), "EHLO client.example\r\n" TXN1 ".");
    memcpy(g_wire + n, g_long, SMTPC_BODY_LINE_MAX);
    n += SMTPC_BODY_LINE_MAX;
    memcpy(g_wire + n, "\r\n.\r\nQUIT\r\n", 12);
    run_all(&sc, &ex);
}

static void test_smtp_body_line_over_max_fails_without_end_mark(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,    {"EHLO client.example\r\n", "250 mx.example.net\r\n", 0},
        S_MAIL_OK,  S_RCPT_B_OK,
        S_DATA_354,
    };
    static const char head[] = "EHLO client.example\r\n" TXN1;
    const char *pieces[1];
    smtpc_session_cfg_t cfg = cfg_plain();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    int m;
    (void)state;
    memset(g_long, 0, sizeof(g_long));
    memcpy(g_long, "ok\r\n", 4);
    memset(g_long + 4, 'x', SMTPC_BODY_LINE_MAX + 1);
    memcpy(g_long + 4 + SMTPC_BODY_LINE_MAX + 1, "\r\n", 2);
    pieces[0] = g_long;
    sc.body = pieces;
    for (m = 0; m < RUN_COUNT; m++) {
        outcome_t *o = &g_out[m];
        size_t hn = sizeof(head) - 1;
        size_t i;
        size_t sent_x;
        run_once(&sc, (run_mode_t)m, o);
        assert_int_equal(o->status, SMTPC_ERR_BODY_LINE_TOO_LONG);
        assert_int_equal(o->res.err, SMTPC_ERR_BODY_LINE_TOO_LONG);
        assert_int_equal(o->res.stage, SMTPC_STAGE_BODY);
        assert_false(o->stalled);
        assert_false(g_fs.mismatch);
        /* the head, then "ok\r\n" and some 'x': never the end of data, no QUIT */
        assert_true(g_fs.out_len >= hn);
        assert_memory_equal(g_fs.out, head, hn);
        if (m == RUN_BYTE || m == RUN_BYTE_BLOCK) {
            /* one-byte writes: part of the line left before the limit was hit */
            assert_true(g_fs.out_len >= hn + 4);
            assert_true(g_fs.out_len <= hn + 4 + SMTPC_BODY_LINE_MAX);
            assert_memory_equal(g_fs.out + hn, "ok\r\n", 4);
        } else {
            /* the whole line sat in the tx buffer: none of the body left */
            assert_int_equal(g_fs.out_len, hn);
        }
        sent_x = g_fs.out_len > hn + 4 ? g_fs.out_len - hn - 4 : 0;
        for (i = 0; i < sent_x; i++) {
            assert_int_equal(g_fs.out[hn + 4 + i], 'x');
        }
        assert_int_equal(smtpc_smtp_wants(&g_s), SMTPC_SMTP_WANT_DONE);
    }
}

/* ------------------------------------------- fail-closed guard tests ---- */

static void test_smtp_starttls_missing_fails_closed(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        {"EHLO client.example\r\n",
         "250-mx.example.net\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n", 0},
        S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_ERR_STARTTLS_REQUIRED, SMTPC_STAGE_EHLO, "EHLO client.example\r\nQUIT\r\n",
                   NULL};
    (void)state;
    run_all(&sc, &ex);
    assert_int_equal(g_out[RUN_WHOLE].res.flags, 0);
    assert_int_equal(g_out[RUN_WHOLE].res.tls_reached, SMTPC_REACHED_NONE);
    /* the same at level ENCRYPTED, without credentials (MX delivery) */
    cfg = cfg_mx(SMTPC_TLS_ENCRYPTED);
    run_all(&sc, &ex);
}

static void test_smtp_starttls_stripped_to_xxxxxxxa_fails_closed(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        {"EHLO client.example\r\n",
         "250-mx.example.net\r\n250-XXXXXXXA\r\n250 AUTH PLAIN LOGIN\r\n", 0},
        S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_ERR_STARTTLS_REQUIRED, SMTPC_STAGE_EHLO, "EHLO client.example\r\nQUIT\r\n",
                   NULL};
    (void)state;
    run_all(&sc, &ex);
    cfg = cfg_mx(SMTPC_TLS_ENCRYPTED);
    run_all(&sc, &ex);
}

static void test_smtp_starttls_454_fails_closed(void **state)
{
    static const fake_step_t s454[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        {"STARTTLS\r\n", "454 4.7.0 TLS not available due to local problem\r\n", 0},
        S_QUIT,
    };
    static const fake_step_t s502[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        {"STARTTLS\r\n", "502 5.5.1 Not implemented\r\n", 0},
        S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(s454, COUNT(s454), &cfg, &env);
    expect_t ex = {SMTPC_ERR_STARTTLS_REFUSED, SMTPC_STAGE_STARTTLS, PRE "QUIT\r\n", NULL};
    (void)state;
    run_all(&sc, &ex);
    assert_int_equal(g_out[RUN_WHOLE].res.reply_code, 454);
    assert_enh(g_out[RUN_WHOLE].res.reply_enh, 4, 7, 0);
    assert_int_equal(g_out[RUN_WHOLE].res.flags, SMTPC_RESULT_STARTTLS_OFFERED);

    sc = scen(s502, COUNT(s502), &cfg, &env);
    cfg = cfg_mx(SMTPC_TLS_ENCRYPTED);
    run_all(&sc, &ex);
    assert_int_equal(g_out[RUN_WHOLE].res.reply_code, 502);
}

static void test_smtp_starttls_garbage_reply_syntax_error(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        {"STARTTLS\r\n", "HTTP/1.1 400 Bad Request\r\n", 0},
    };
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_ERR_REPLY_SYNTAX, SMTPC_STAGE_STARTTLS, PRE, NULL};
    (void)state;
    run_all(&sc, &ex);
}

#define INJECTED "250-mx.example.net\r\n250 AUTH PLAIN\r\n"

/* CVE-2011-0411 class: commands smuggled after the 220 in the plaintext
 * stream must not survive into the TLS session. */
static void test_smtp_starttls_injection_after_220_refused(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        {"STARTTLS\r\n", "220 2.0.0 Ready\r\n" INJECTED, 0},
    };
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    int m;
    (void)state;
    for (m = 0; m < RUN_COUNT; m++) {
        run_once(&sc, (run_mode_t)m, &g_out[m]);
        assert_int_equal(g_out[m].status, SMTPC_ERR_STARTTLS_INJECTION);
        assert_int_equal(g_out[m].res.err, SMTPC_ERR_STARTTLS_INJECTION);
        assert_int_equal(g_out[m].tls_ups, 0);
        assert_false(g_out[m].stalled);
        assert_bytes("transcript", (run_mode_t)m, PRE, g_fs.out, g_fs.out_len);
    }
}

/* The stage of an injection does not depend on how the bytes were chunked. */
static void test_smtp_starttls_injection_stage_same_for_any_chunking(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        {"STARTTLS\r\n", "220 2.0.0 Ready\r\n" INJECTED, 0},
    };
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    int m;
    (void)state;
    for (m = 0; m < RUN_COUNT; m++) {
        run_once(&sc, (run_mode_t)m, &g_out[m]);
        if (g_out[m].res.stage != SMTPC_STAGE_STARTTLS) {
            fail_msg("injection reported at stage %s (%s)", smtpc_stage_name(g_out[m].res.stage),
                     run_names[m]);
        }
    }
}

/* Direct engine check: the 220 alone is fine, anything after it is not, and
 * tls_up() refuses while plaintext bytes are buffered. */
static void test_smtp_starttls_injection_direct_rx(void **state)
{
    static const char r1[] = "220 mx ESMTP\r\n";
    static const char r2[] = "250-mx\r\n250 STARTTLS\r\n";
    static const char r3[] = "220 go\r\n";
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    smtpc_result_t res;
    size_t cap;
    size_t len;
    uint8_t *rx;
    (void)state;
    assert_int_equal(
        smtpc_smtp_init(&g_s, &cfg, &env, &res, g_tx, sizeof(g_tx), g_rx, sizeof(g_rx)), SMTPC_OK);
    rx = smtpc_smtp_rx_buf(&g_s, &cap);
    memcpy(rx, r1, sizeof(r1) - 1);
    assert_int_equal(smtpc_smtp_rx_ack(&g_s, sizeof(r1) - 1), SMTPC_IN_PROGRESS);
    (void)smtpc_smtp_tx_buf(&g_s, &len);
    smtpc_smtp_tx_ack(&g_s, len);
    rx = smtpc_smtp_rx_buf(&g_s, &cap);
    memcpy(rx, r2, sizeof(r2) - 1);
    assert_int_equal(smtpc_smtp_rx_ack(&g_s, sizeof(r2) - 1), SMTPC_IN_PROGRESS);
    assert_non_null(smtpc_smtp_tx_buf(&g_s, &len));
    assert_int_equal(len, 10);
    assert_memory_equal(smtpc_smtp_tx_buf(&g_s, &len), "STARTTLS\r\n", 10);
    smtpc_smtp_tx_ack(&g_s, len);
    rx = smtpc_smtp_rx_buf(&g_s, &cap);
    memcpy(rx, r3, sizeof(r3) - 1);
    assert_int_equal(smtpc_smtp_rx_ack(&g_s, sizeof(r3) - 1), SMTPC_IN_PROGRESS);
    /* waiting for TLS: the engine does not ask to read plaintext any more */
    assert_int_equal(smtpc_smtp_wants(&g_s), SMTPC_SMTP_WANT_TLS);
    assert_int_equal(smtpc_smtp_stage(&g_s), SMTPC_STAGE_TLS_HANDSHAKE);
    /* one late plaintext byte is an injection */
    rx = smtpc_smtp_rx_buf(&g_s, &cap);
    rx[0] = '2';
    assert_int_equal(smtpc_smtp_rx_ack(&g_s, 1), SMTPC_ERR_STARTTLS_INJECTION);
    assert_int_equal(smtpc_smtp_tls_up(&g_s, SMTPC_CERT_OK), SMTPC_ERR_STARTTLS_INJECTION);
    assert_null(smtpc_smtp_tx_buf(&g_s, &len));
    assert_int_equal(res.tls_reached, SMTPC_REACHED_NONE);
}

/* RFC 3207 §4.2: AUTH seen before TLS is forgotten. */
static void test_smtp_caps_before_tls_forgotten_auth_unsupported(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,
        {"EHLO client.example\r\n",
         "250-mx.example.net\r\n250-AUTH PLAIN LOGIN\r\n250-PIPELINING\r\n250 STARTTLS\r\n", 0},
        S_STARTTLS,
        S_EHLO("250 8BITMIME\r\n"),
        S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_ERR_AUTH_UNSUPPORTED, SMTPC_STAGE_EHLO_TLS, PRE,
                   "EHLO client.example\r\nQUIT\r\n"};
    (void)state;
    run_all(&sc, &ex);
}

typedef struct {
    smtpc_cert_verdict_t verdict;
    int err;
} verdict_vec_t;

static void test_smtp_tls_verdict_at_verified_fails_closed(void **state)
{
    static const verdict_vec_t vecs[] = {
        {SMTPC_CERT_EXPIRED, SMTPC_ERR_TLS_CERT_EXPIRED},
        {SMTPC_CERT_NOT_YET_VALID, SMTPC_ERR_TLS_CERT_NOT_YET_VALID},
        {SMTPC_CERT_UNTRUSTED, SMTPC_ERR_TLS_CERT_UNTRUSTED},
        {SMTPC_CERT_HOSTNAME, SMTPC_ERR_TLS_CERT_HOSTNAME},
        {SMTPC_CERT_OTHER, SMTPC_ERR_TLS_CERT_OTHER},
        {SMTPC_CERT_NOT_CHECKED, SMTPC_ERR_TLS_CERT_OTHER},
    };
    static const fake_step_t steps[] = {S_GREET, S_EHLO_STARTTLS, S_STARTTLS};
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    size_t i;
    (void)state;
    for (i = 0; i < COUNT(vecs); i++) {
        expect_t ex = {vecs[i].err, SMTPC_STAGE_TLS_HANDSHAKE, PRE, ""};
        sc.verdict = vecs[i].verdict;
        run_all(&sc, &ex);
        assert_int_equal(g_out[RUN_WHOLE].res.cert, vecs[i].verdict);
        assert_int_equal(g_out[RUN_WHOLE].res.tls_reached, SMTPC_REACHED_ENCRYPTED);
    }
}

static void test_smtp_tls_verdict_at_encrypted_continues(void **state)
{
    static const fake_step_t steps[] = {
        S_GREET,    S_EHLO_STARTTLS, S_STARTTLS, S_EHLO("250 8BITMIME\r\n"), S_MAIL_OK, S_RCPT_B_OK,
        S_DATA_354, S_DOT_OK,        S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_mx(SMTPC_TLS_ENCRYPTED);
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_OK, SMTPC_STAGE_DONE, PRE,
                   "EHLO client.example\r\n" TXN1 BODY_STD "QUIT\r\n"};
    (void)state;
    sc.verdict = SMTPC_CERT_UNTRUSTED;
    run_all(&sc, &ex);
    assert_int_equal(g_out[RUN_WHOLE].res.cert, SMTPC_CERT_UNTRUSTED);
    assert_int_equal(g_out[RUN_WHOLE].res.tls_reached, SMTPC_REACHED_ENCRYPTED);
}

static void test_smtp_ehlo_502_helo_fallback_only_when_plaintext_allowed(void **state)
{
    static const fake_step_t helo[] = {
        S_GREET,
        {"EHLO client.example\r\n", "502 5.5.2 Error: command not recognized\r\n", 0},
        {"HELO client.example\r\n", "250 mx.example.net\r\n", 0},
        S_MAIL_OK,
        S_RCPT_B_OK,
        S_DATA_354,
        S_DOT_OK,
        S_QUIT,
    };
    static const fake_step_t refused[] = {
        S_GREET,
        {"EHLO client.example\r\n", "502 5.5.2 Error: command not recognized\r\n", 0},
        S_QUIT,
    };
    static const fake_step_t ehlo_4xx[] = {
        S_GREET,
        {"EHLO client.example\r\n", "421 4.3.2 Shutting down\r\n", 0},
        S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_plain();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(helo, COUNT(helo), &cfg, &env);
    expect_t ex = {SMTPC_OK, SMTPC_STAGE_DONE,
                   "EHLO client.example\r\nHELO client.example\r\n" TXN1 BODY_STD "QUIT\r\n", NULL};
    (void)state;
    run_all(&sc, &ex);
    /* STARTTLS mode with plaintext allowed: HELO has no STARTTLS, go on */
    cfg = cfg_mx(SMTPC_TLS_PLAINTEXT_ALLOWED);
    run_all(&sc, &ex);

    cfg = cfg_mx(SMTPC_TLS_ENCRYPTED);
    sc = scen(refused, COUNT(refused), &cfg, &env);
    ex.status = SMTPC_ERR_EHLO_REJECTED;
    ex.stage = SMTPC_STAGE_EHLO;
    ex.plain = "EHLO client.example\r\nQUIT\r\n";
    run_all(&sc, &ex);

    cfg = cfg_plain();
    sc = scen(ehlo_4xx, COUNT(ehlo_4xx), &cfg, &env);
    run_all(&sc, &ex);
}

static void test_smtp_greeting_554_quits(void **state)
{
    static const fake_step_t steps[] = {
        {NULL, "554 5.7.1 No SMTP service here\r\n", 0},
        S_QUIT,
    };
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_ERR_SMTP_GREETING, SMTPC_STAGE_GREETING, "QUIT\r\n", NULL};
    (void)state;
    run_all(&sc, &ex);
    assert_int_equal(g_out[RUN_WHOLE].res.reply_code, 554);
    assert_text(&g_out[RUN_WHOLE].res, "5.7.1 No SMTP service here");
}

static void test_smtp_greeting_garbage_syntax_error(void **state)
{
    static const fake_step_t steps[] = {{NULL, "SSH-2.0-OpenSSH_9.2\r\n", 0}};
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(steps, COUNT(steps), &cfg, &env);
    expect_t ex = {SMTPC_ERR_REPLY_SYNTAX, SMTPC_STAGE_GREETING, "", NULL};
    (void)state;
    run_all(&sc, &ex);
}

/* ------------------------------------------------------------- init ----- */

typedef struct {
    const char *name;
    const char *helo;
    const char *from;
    const char *to;
    int err;
} init_vec_t;

static char g_addr320[SMTPC_ADDR_MAX + 2];
static char g_addr321[SMTPC_ADDR_MAX + 3];

static void test_smtp_init_rejects_hostile_addresses(void **state)
{
    static const init_vec_t vecs[] = {
        {"from with CRLF command", "client.example", "a@x\r\nRCPT TO:<evil@x>", "b@example.net",
         SMTPC_ERR_BAD_ADDRESS},
        {"from with LF", "client.example", "a@x\nb", "b@example.net", SMTPC_ERR_BAD_ADDRESS},
        {"from with CR", "client.example", "a@x\rb", "b@example.net", SMTPC_ERR_BAD_ADDRESS},
        {"from with >", "client.example", "a@x> SIZE=1", "b@example.net", SMTPC_ERR_BAD_ADDRESS},
        {"from with <", "client.example", "<a@x", "b@example.net", SMTPC_ERR_BAD_ADDRESS},
        {"from with space", "client.example", "a b@x", "b@example.net", SMTPC_ERR_BAD_ADDRESS},
        {"from with DEL", "client.example", "a\x7f@x", "b@example.net", SMTPC_ERR_BAD_ADDRESS},
        {"to with CRLF", "client.example", "a@x", "b@x\r\nDATA", SMTPC_ERR_BAD_ADDRESS},
        {"to with >", "client.example", "a@x", "b@x>", SMTPC_ERR_BAD_ADDRESS},
        {"to with <", "client.example", "a@x", "<b@x", SMTPC_ERR_BAD_ADDRESS},
        {"to with tab", "client.example", "a@x", "b\t@x", SMTPC_ERR_BAD_ADDRESS},
        {"empty to", "client.example", "a@x", "", SMTPC_ERR_BAD_ADDRESS},
        {"helo with CRLF", "client\r\nMAIL FROM:<x>", "a@x", "b@x", SMTPC_ERR_BAD_ADDRESS},
        {"helo with space", "client example", "a@x", "b@x", SMTPC_ERR_BAD_ADDRESS},
        {"empty helo", "", "a@x", "b@x", SMTPC_ERR_BAD_ADDRESS},
        {"null helo", NULL, "a@x", "b@x", SMTPC_ERR_BAD_ADDRESS},
        {"null from", "client.example", NULL, "b@x", SMTPC_ERR_BAD_ARG},
        {"to over SMTPC_ADDR_MAX", "client.example", "a@x", g_addr321, SMTPC_ERR_BAD_ADDRESS},
        {"from over SMTPC_ADDR_MAX", "client.example", g_addr321, "b@x", SMTPC_ERR_BAD_ADDRESS},
        {"to of SMTPC_ADDR_MAX", "client.example", "a@x", g_addr320, SMTPC_OK},
        {"null reverse-path", "client.example", "", "b@x", SMTPC_OK},
    };
    size_t i;
    (void)state;
    memset(g_addr320, 'a', SMTPC_ADDR_MAX);
    g_addr320[SMTPC_ADDR_MAX - 12] = '@';
    g_addr320[SMTPC_ADDR_MAX] = '\0';
    memset(g_addr321, 'a', SMTPC_ADDR_MAX + 1);
    g_addr321[SMTPC_ADDR_MAX - 12] = '@';
    g_addr321[SMTPC_ADDR_MAX + 1] = '\0';
    for (i = 0; i < COUNT(vecs); i++) {
        const char *to[1];
        smtpc_session_cfg_t cfg = cfg_mx(SMTPC_TLS_ENCRYPTED);
        smtpc_envelope_t env = env_to(to, 1);
        smtpc_result_t res;
        size_t len = 99;
        int rc;
        to[0] = vecs[i].to;
        cfg.helo_name = vecs[i].helo;
        env.from = vecs[i].from;
        rc = smtpc_smtp_init(&g_s, &cfg, &env, &res, g_tx, sizeof(g_tx), g_rx, sizeof(g_rx));
        if (rc != vecs[i].err) {
            fail_msg("init '%s': %s, expected %s", vecs[i].name, smtpc_strerror(rc),
                     smtpc_strerror(vecs[i].err));
        }
        if (rc != SMTPC_OK) {
            /* failed init: a defined, finished state that emits nothing */
            assert_int_equal(smtpc_smtp_status(&g_s), rc);
            assert_int_equal(res.err, rc);
            assert_int_equal(smtpc_smtp_wants(&g_s), SMTPC_SMTP_WANT_DONE);
            assert_null(smtpc_smtp_tx_buf(&g_s, &len));
            assert_int_equal(len, 0);
        }
    }
}

static void test_smtp_init_rejects_bad_config(void **state)
{
    static const char *const many[SMTPC_MAX_RCPT + 1] = {0};
    static const char *many_to[SMTPC_MAX_RCPT + 1];
    smtpc_session_cfg_t cfg;
    smtpc_envelope_t env = env_to(to1, 1);
    smtpc_result_t res;
    size_t i;
    (void)state;
    (void)many;
    cfg = cfg_plain();
    cfg.tls_level = SMTPC_TLS_ENCRYPTED;
    assert_int_equal(
        smtpc_smtp_init(&g_s, &cfg, &env, &res, g_tx, sizeof(g_tx), g_rx, sizeof(g_rx)),
        SMTPC_ERR_PLAINTEXT_FORBIDDEN);
    assert_int_equal(res.err, SMTPC_ERR_PLAINTEXT_FORBIDDEN);
    cfg.tls_level = SMTPC_TLS_VERIFIED;
    assert_int_equal(
        smtpc_smtp_init(&g_s, &cfg, &env, &res, g_tx, sizeof(g_tx), g_rx, sizeof(g_rx)),
        SMTPC_ERR_PLAINTEXT_FORBIDDEN);

    cfg = cfg_submission();
    cfg.pass = NULL; /* user without password or token */
    assert_int_equal(
        smtpc_smtp_init(&g_s, &cfg, &env, &res, g_tx, sizeof(g_tx), g_rx, sizeof(g_rx)),
        SMTPC_ERR_BAD_ARG);

    cfg = cfg_submission();
    assert_int_equal(smtpc_smtp_init(&g_s, &cfg, &env, &res, g_tx, 511, g_rx, sizeof(g_rx)),
                     SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_smtp_init(&g_s, &cfg, &env, &res, g_tx, sizeof(g_tx), g_rx, 15),
                     SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_smtp_init(&g_s, &cfg, &env, &res, g_tx, 512, g_rx, 16), SMTPC_OK);
    assert_int_equal(smtpc_smtp_init(NULL, &cfg, &env, &res, g_tx, 512, g_rx, 16),
                     SMTPC_ERR_BAD_ARG);

    env.to_count = 0;
    assert_int_equal(
        smtpc_smtp_init(&g_s, &cfg, &env, &res, g_tx, sizeof(g_tx), g_rx, sizeof(g_rx)),
        SMTPC_ERR_BAD_ARG);
    for (i = 0; i < COUNT(many_to); i++) {
        many_to[i] = "b@example.net";
    }
    env.to = many_to;
    env.to_count = SMTPC_MAX_RCPT + 1u;
    assert_int_equal(
        smtpc_smtp_init(&g_s, &cfg, &env, &res, g_tx, sizeof(g_tx), g_rx, sizeof(g_rx)),
        SMTPC_ERR_TOO_MANY_RCPT);
    env.to_count = SMTPC_MAX_RCPT;
    assert_int_equal(
        smtpc_smtp_init(&g_s, &cfg, &env, &res, g_tx, sizeof(g_tx), g_rx, sizeof(g_rx)), SMTPC_OK);
    assert_int_equal(res.rcpt_count, SMTPC_MAX_RCPT);
}

/* --------------------------------------------------- sticky / misuse ---- */

static void test_smtp_errors_are_sticky(void **state)
{
    static const char bad[] = "220 ok\n";
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    smtpc_result_t res;
    size_t cap = 0;
    size_t len = 0;
    uint8_t *rx;
    (void)state;
    assert_int_equal(
        smtpc_smtp_init(&g_s, &cfg, &env, &res, g_tx, sizeof(g_tx), g_rx, sizeof(g_rx)), SMTPC_OK);
    assert_int_equal(smtpc_smtp_wants(&g_s), SMTPC_SMTP_WANT_READ);
    rx = smtpc_smtp_rx_buf(&g_s, &cap);
    assert_non_null(rx);
    assert_int_equal(cap, sizeof(g_rx));
    memcpy(rx, bad, sizeof(bad) - 1);
    assert_int_equal(smtpc_smtp_rx_ack(&g_s, sizeof(bad) - 1), SMTPC_ERR_REPLY_SYNTAX);
    /* every entry point keeps reporting the same error and emits nothing */
    assert_int_equal(smtpc_smtp_status(&g_s), SMTPC_ERR_REPLY_SYNTAX);
    assert_int_equal(smtpc_smtp_wants(&g_s), SMTPC_SMTP_WANT_DONE);
    assert_null(smtpc_smtp_rx_buf(&g_s, &cap));
    assert_int_equal(cap, 0);
    assert_int_equal(smtpc_smtp_rx_ack(&g_s, 3), SMTPC_ERR_REPLY_SYNTAX);
    assert_int_equal(smtpc_smtp_tls_up(&g_s, SMTPC_CERT_OK), SMTPC_ERR_REPLY_SYNTAX);
    assert_int_equal(smtpc_smtp_body(&g_s, (const uint8_t *)"x", 1, true), 0);
    smtpc_smtp_fail(&g_s, SMTPC_ERR_NET_IO);
    assert_int_equal(smtpc_smtp_status(&g_s), SMTPC_ERR_REPLY_SYNTAX);
    assert_null(smtpc_smtp_tx_buf(&g_s, &len));
    assert_int_equal(len, 0);
    smtpc_smtp_tx_ack(&g_s, 100);
    assert_int_equal(smtpc_smtp_status(&g_s), SMTPC_ERR_REPLY_SYNTAX);
    assert_int_equal(res.err, SMTPC_ERR_REPLY_SYNTAX);
    assert_int_equal(res.stage, SMTPC_STAGE_GREETING);
}

static void test_smtp_misuse_reported(void **state)
{
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    smtpc_result_t res;
    size_t cap = 0;
    (void)state;
    /* tls_up when no TLS was asked for */
    assert_int_equal(
        smtpc_smtp_init(&g_s, &cfg, &env, &res, g_tx, sizeof(g_tx), g_rx, sizeof(g_rx)), SMTPC_OK);
    assert_int_equal(smtpc_smtp_tls_up(&g_s, SMTPC_CERT_OK), SMTPC_ERR_STATE);
    /* body() outside DATA does nothing */
    assert_int_equal(
        smtpc_smtp_init(&g_s, &cfg, &env, &res, g_tx, sizeof(g_tx), g_rx, sizeof(g_rx)), SMTPC_OK);
    assert_int_equal(smtpc_smtp_body(&g_s, (const uint8_t *)"MAIL", 4, false), 0);
    assert_int_equal(smtpc_smtp_status(&g_s), SMTPC_IN_PROGRESS);
    /* acking more than the buffer holds */
    (void)smtpc_smtp_rx_buf(&g_s, &cap);
    assert_int_equal(smtpc_smtp_rx_ack(&g_s, cap + 1), SMTPC_ERR_BAD_ARG);
}

/* Transport failures through smtpc_smtp_fail(). */
static void test_smtp_fail_mid_session_and_after_acceptance(void **state)
{
    static const fake_step_t accept_then_silent[] = {
        S_GREET,
        {"EHLO client.example\r\n", "250 mx.example.net\r\n", 0},
        S_MAIL_OK,
        S_RCPT_B_OK,
        S_DATA_354,
        S_DOT_OK,
        {"QUIT\r\n", NULL, 0},
    };
    smtpc_session_cfg_t cfg = cfg_plain();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(accept_then_silent, COUNT(accept_then_silent), &cfg, &env);
    outcome_t *o = &g_out[RUN_WHOLE];
    smtpc_result_t res;
    size_t len;
    (void)state;
    /* lost connection while waiting for the EHLO reply */
    assert_int_equal(
        smtpc_smtp_init(&g_s, &cfg, &env, &res, g_tx, sizeof(g_tx), g_rx, sizeof(g_rx)), SMTPC_OK);
    {
        size_t cap;
        uint8_t *rx = smtpc_smtp_rx_buf(&g_s, &cap);
        memcpy(rx, "220 hi\r\n", 8);
        assert_int_equal(smtpc_smtp_rx_ack(&g_s, 8), SMTPC_IN_PROGRESS);
        (void)smtpc_smtp_tx_buf(&g_s, &len);
        smtpc_smtp_tx_ack(&g_s, len);
    }
    smtpc_smtp_fail(&g_s, SMTPC_ERR_NET_CLOSED);
    assert_int_equal(smtpc_smtp_status(&g_s), SMTPC_ERR_NET_CLOSED);
    assert_int_equal(res.err, SMTPC_ERR_NET_CLOSED);
    assert_int_equal(res.stage, SMTPC_STAGE_EHLO);

    /* the message was accepted; the QUIT reply never comes */
    run_once(&sc, RUN_WHOLE, o);
    assert_int_equal(o->status, SMTPC_IN_PROGRESS);
    assert_int_equal(o->stage, SMTPC_STAGE_QUIT);
    smtpc_smtp_fail(&g_s, SMTPC_ERR_TIMEOUT);
    assert_int_equal(smtpc_smtp_status(&g_s), SMTPC_OK);
    assert_int_equal(o->res.err, SMTPC_OK);
    assert_int_equal(o->res.stage, SMTPC_STAGE_DONE);
    assert_int_equal(o->res.flags & SMTPC_RESULT_ACCEPTED, SMTPC_RESULT_ACCEPTED);
}

/* A refusal keeps its cause when the connection drops before QUIT is out. */
static void test_smtp_fail_before_quit_keeps_refusal(void **state)
{
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    smtpc_result_t res;
    size_t cap;
    size_t len;
    uint8_t *rx;
    (void)state;
    assert_int_equal(
        smtpc_smtp_init(&g_s, &cfg, &env, &res, g_tx, sizeof(g_tx), g_rx, sizeof(g_rx)), SMTPC_OK);
    rx = smtpc_smtp_rx_buf(&g_s, &cap);
    memcpy(rx, "554 go away\r\n", 13);
    assert_int_equal(smtpc_smtp_rx_ack(&g_s, 13), SMTPC_IN_PROGRESS);
    assert_memory_equal(smtpc_smtp_tx_buf(&g_s, &len), "QUIT\r\n", 6);
    smtpc_smtp_fail(&g_s, SMTPC_ERR_NET_IO);
    assert_int_equal(smtpc_smtp_status(&g_s), SMTPC_ERR_SMTP_GREETING);
    assert_int_equal(res.err, SMTPC_ERR_SMTP_GREETING);
    assert_int_equal(res.stage, SMTPC_STAGE_GREETING);
}

/* ------------------------------------------------------------- trace ---- */

typedef struct {
    char client[4096];
    size_t client_len;
    char all[8192];
    size_t all_len;
} trace_log_t;

static trace_log_t g_trace;

static void trace_cb(void *arg, smtpc_trace_dir_t dir, const uint8_t *data, size_t len)
{
    trace_log_t *t = (trace_log_t *)arg;
    if (dir == SMTPC_TRACE_CLIENT && len + 1 <= sizeof(t->client) - t->client_len) {
        memcpy(t->client + t->client_len, data, len);
        t->client_len += len;
        t->client[t->client_len++] = '\n';
    }
    if (len <= sizeof(t->all) - t->all_len) {
        memcpy(t->all + t->all_len, data, len);
        t->all_len += len;
    }
}

static bool contains(const char *hay, size_t n, const char *needle)
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

/* Drive one whole-mode session with a trace hook. */
static void run_traced(const scen_t *sc)
{
    memset(&g_trace, 0, sizeof(g_trace));
    stream_setup(RUN_WHOLE);
    fake_stream_script(&g_fs, sc->steps, sc->nsteps);
    assert_int_equal(smtpc_smtp_init(&g_s, sc->cfg, sc->env, &g_out[0].res, g_tx, sizeof(g_tx),
                                     g_rx, sizeof(g_rx)),
                     SMTPC_OK);
    smtpc_smtp_set_trace(&g_s, trace_cb, &g_trace);
    {
        unsigned i;
        for (i = 0; i < 10000 && !(smtpc_smtp_wants(&g_s) & SMTPC_SMTP_WANT_DONE); i++) {
            unsigned w = smtpc_smtp_wants(&g_s);
            size_t len;
            const uint8_t *b = smtpc_smtp_tx_buf(&g_s, &len);
            if (b != NULL) {
                int32_t n = fake_stream_send(&g_fs, b, len);
                smtpc_smtp_tx_ack(&g_s, (size_t)n);
                continue;
            }
            if (w & SMTPC_SMTP_WANT_TLS) {
                (void)smtpc_smtp_tls_up(&g_s, SMTPC_CERT_OK);
            } else if (w & SMTPC_SMTP_WANT_BODY) {
                (void)smtpc_smtp_body(&g_s, (const uint8_t *)sc->body[0], strlen(sc->body[0]),
                                      true);
            } else if (w & SMTPC_SMTP_WANT_READ) {
                size_t cap;
                uint8_t *rx = smtpc_smtp_rx_buf(&g_s, &cap);
                int32_t n = fake_stream_recv(&g_fs, rx, cap);
                if (n <= 0) {
                    break;
                }
                (void)smtpc_smtp_rx_ack(&g_s, (size_t)n);
            }
        }
    }
}

static void test_smtp_trace_redacts_credentials_and_body(void **state)
{
    static const fake_step_t plain[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        S_STARTTLS,
        S_EHLO("250 AUTH PLAIN LOGIN\r\n"),
        {"AUTH PLAIN AHVzZXIAcGFzcw==\r\n", "235 2.7.0 ok\r\n", 0},
        S_MAIL_OK,
        S_RCPT_B_OK,
        S_DATA_354,
        S_DOT_OK,
        S_QUIT,
    };
    static const fake_step_t login[] = {
        S_GREET,
        S_EHLO_STARTTLS,
        S_STARTTLS,
        S_EHLO("250 AUTH LOGIN\r\n"),
        {"AUTH LOGIN\r\n", "334 VXNlcm5hbWU6\r\n", 0},
        {"dXNlcg==\r\n", "334 UGFzc3dvcmQ6\r\n", 0},
        {"cGFzcw==\r\n", "235 2.7.0 ok\r\n", 0},
        S_MAIL_OK,
        S_RCPT_B_OK,
        S_DATA_354,
        S_DOT_OK,
        S_QUIT,
    };
    static const char *const secret_body[] = {"Subject: secret-subject\r\n\r\nsecret-body\r\n"};
    smtpc_session_cfg_t cfg = cfg_submission();
    smtpc_envelope_t env = env_to(to1, 1);
    scen_t sc = scen(plain, COUNT(plain), &cfg, &env);
    (void)state;
    sc.body = secret_body;
    run_traced(&sc);
    assert_int_equal(smtpc_smtp_status(&g_s), SMTPC_OK);
    assert_true(contains(g_trace.client, g_trace.client_len, "AUTH PLAIN <redacted>\n"));
    assert_true(contains(g_trace.client, g_trace.client_len, "MAIL FROM:<a@example.org>\n"));
    assert_false(contains(g_trace.all, g_trace.all_len, "AHVzZXIAcGFzcw"));
    assert_false(contains(g_trace.all, g_trace.all_len, "secret-subject"));
    assert_false(contains(g_trace.all, g_trace.all_len, "secret-body"));

    sc = scen(login, COUNT(login), &cfg, &env);
    sc.body = secret_body;
    run_traced(&sc);
    assert_int_equal(smtpc_smtp_status(&g_s), SMTPC_OK);
    assert_true(
        contains(g_trace.client, g_trace.client_len, "AUTH LOGIN\n<redacted>\n<redacted>\n"));
    assert_false(contains(g_trace.all, g_trace.all_len, "dXNlcg=="));
    assert_false(contains(g_trace.all, g_trace.all_len, "cGFzcw=="));
    assert_false(contains(g_trace.all, g_trace.all_len, "secret-body"));
}

/* ------------------------------------------------------------- main ---- */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smtp_submission_starttls_auth_plain_golden),
        cmocka_unit_test(test_smtp_submission_auth_login_golden),
        cmocka_unit_test(test_smtp_auth_login_only_offered_chosen),
        cmocka_unit_test(test_smtp_auth_plain_535_fails_with_quit),
        cmocka_unit_test(test_smtp_auth_xoauth2_golden),
        cmocka_unit_test(test_smtp_auth_xoauth2_334_sends_empty_line_then_fails),
        cmocka_unit_test(test_smtp_auth_xoauth2_token_errors_end_session),
        cmocka_unit_test(test_smtp_auth_no_common_mechanism_unsupported),
        cmocka_unit_test(test_smtp_plain_mx_session_golden),
        cmocka_unit_test(test_smtp_plaintext_allowed_upgrades_when_offered),
        cmocka_unit_test(test_smtp_implicit_tls_waits_for_tls_first),
        cmocka_unit_test(test_smtp_pipelining_one_flight_when_advertised),
        cmocka_unit_test(test_smtp_pipelining_off_one_command_per_flight),
        cmocka_unit_test(test_smtp_pipelining_from_before_tls_not_used),
        cmocka_unit_test(test_smtp_size_sent_only_when_advertised_and_known),
        cmocka_unit_test(test_smtp_size_over_announced_limit_fails_before_mail),
        cmocka_unit_test(test_smtp_size_from_before_tls_forgotten),
        cmocka_unit_test(test_smtp_8bitmime_body_param_and_unsupported),
        cmocka_unit_test(test_smtp_smtputf8_automatic_for_non_ascii_address),
        cmocka_unit_test(test_smtp_mail_params_all_in_order),
        cmocka_unit_test(test_smtp_one_rcpt_refused_some_rejected),
        cmocka_unit_test(test_smtp_all_rcpt_refused_no_data),
        cmocka_unit_test(test_smtp_pipelined_all_refused_354_sends_lone_dot),
        cmocka_unit_test(test_smtp_pipelined_all_refused_data_554),
        cmocka_unit_test(test_smtp_mail_data_and_message_refusals),
        cmocka_unit_test(test_smtp_body_transformation_vectors),
        cmocka_unit_test(test_smtp_body_line_of_max_length_accepted),
        cmocka_unit_test(test_smtp_body_line_over_max_fails_without_end_mark),
        cmocka_unit_test(test_smtp_starttls_missing_fails_closed),
        cmocka_unit_test(test_smtp_starttls_stripped_to_xxxxxxxa_fails_closed),
        cmocka_unit_test(test_smtp_starttls_454_fails_closed),
        cmocka_unit_test(test_smtp_starttls_garbage_reply_syntax_error),
        cmocka_unit_test(test_smtp_starttls_injection_after_220_refused),
        cmocka_unit_test(test_smtp_starttls_injection_stage_same_for_any_chunking),
        cmocka_unit_test(test_smtp_starttls_injection_direct_rx),
        cmocka_unit_test(test_smtp_caps_before_tls_forgotten_auth_unsupported),
        cmocka_unit_test(test_smtp_tls_verdict_at_verified_fails_closed),
        cmocka_unit_test(test_smtp_tls_verdict_at_encrypted_continues),
        cmocka_unit_test(test_smtp_ehlo_502_helo_fallback_only_when_plaintext_allowed),
        cmocka_unit_test(test_smtp_greeting_554_quits),
        cmocka_unit_test(test_smtp_greeting_garbage_syntax_error),
        cmocka_unit_test(test_smtp_init_rejects_hostile_addresses),
        cmocka_unit_test(test_smtp_init_rejects_bad_config),
        cmocka_unit_test(test_smtp_errors_are_sticky),
        cmocka_unit_test(test_smtp_misuse_reported),
        cmocka_unit_test(test_smtp_fail_mid_session_and_after_acceptance),
        cmocka_unit_test(test_smtp_fail_before_quit_keeps_refusal),
        cmocka_unit_test(test_smtp_trace_redacts_credentials_and_body),
        /* regressions */
        cmocka_unit_test(test_smtp_body_dot_line_of_max_length_accepted),
    };
    return cmocka_run_group_tests_name("smtp", tests, NULL, NULL);
}
