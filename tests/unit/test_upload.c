/* TLS-RPT HTTPS upload engine (smtpc_upload.c) over the fakes: fake_net
 * hands out a fake_stream, fake_tls passes bytes through and records what
 * went out under TLS, fake_clock drives the deadline. The "server" is raw
 * bytes queued on the stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "smtpc/err.h"
#include "smtpc/upload.h"

#include "fake_clock.h"
#include "fake_net.h"
#include "fake_stream.h"
#include "fake_tls.h"

#define T0 5000u
#define CT "application/tlsrpt+gzip"

static struct {
    fake_clock_t clk;
    fake_stream_t fs;
    fake_net_t net;
    fake_tls_t tls;
    smtpc_upload_io_t io;
    smtpc_upload_t u;
    uint8_t buf[512];
    uint8_t body[3000];
    char notes[2048];
} fx;

static void note(void *arg, smtpc_trace_dir_t dir, const uint8_t *data, size_t len)
{
    size_t n = strlen(fx.notes);
    (void)arg;
    (void)dir;
    if (n + len + 2 < sizeof(fx.notes)) {
        memcpy(fx.notes + n, data, len);
        fx.notes[n + len] = '\n';
        fx.notes[n + len + 1] = '\0';
    }
}

static int setup(void **state)
{
    size_t i;
    (void)state;
    memset(&fx, 0, sizeof(fx));
    fake_clock_init(&fx.clk, T0);
    fake_stream_init(&fx.fs);
    fake_net_init(&fx.net, &fx.fs);
    fake_tls_init(&fx.tls);
    fx.io.net = &fake_net_ops;
    fx.io.net_ctx = &fx.net;
    fx.io.tls = &fake_tls_ops;
    fx.io.tls_ctx = &fx.tls;
    fx.io.clock = &fake_clock_ops;
    fx.io.clock_ctx = &fx.clk;
    fx.io.trace = note;
    for (i = 0; i < sizeof(fx.body); i++) {
        fx.body[i] = (uint8_t)(i * 31u + 7u);
    }
    fx.body[0] = 0x1f;
    fx.body[1] = 0x8b;
    return 0;
}

static void reply(const char *s)
{
    fake_stream_feed(&fx.fs, s, strlen(s));
}

static int start(size_t body_len)
{
    return smtpc_upload_start(&fx.u, &fx.io, "reports.test", 443, "/tlsrpt?k=1", CT, fx.body,
                              body_len, fx.buf, sizeof(fx.buf));
}

/* Steps until the end, advancing the clock by @p ms per round. */
static int run(uint32_t ms)
{
    int rc = SMTPC_IN_PROGRESS;
    unsigned i;
    for (i = 0; i < 100000u && rc == SMTPC_IN_PROGRESS; i++) {
        uint32_t dl = 0;
        rc = smtpc_upload_step(&fx.u);
        if (rc == SMTPC_IN_PROGRESS) {
            assert_true((smtpc_upload_wants(&fx.u, &dl) & SMTPC_WANT_TIMER) != 0u);
            fake_clock_advance(&fx.clk, ms);
        }
    }
    return rc;
}

/* The request that went out under TLS: head, then exactly the body. */
static void check_request(size_t body_len)
{
    char head[400];
    const uint8_t *sep;
    size_t hl;
    snprintf(head, sizeof(head),
             "POST /tlsrpt?k=1 HTTP/1.1\r\nHost: reports.test\r\nUser-Agent: smtpc\r\n"
             "Connection: close\r\nContent-Type: " CT "\r\nContent-Length: %zu\r\n\r\n",
             body_len);
    hl = strlen(head);
    assert_true(fx.tls.sent_len == hl + body_len);
    assert_memory_equal(fx.tls.sent, head, hl);
    sep = fx.tls.sent + hl;
    if (body_len > 0) {
        assert_memory_equal(sep, fx.body, body_len);
    }
    assert_int_equal(fx.fs.plain_len, 0); /* nothing left outside TLS */
}

/* ============================================================== tests === */

static void test_created(void **state)
{
    (void)state;
    reply("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    assert_int_equal(start(sizeof(fx.body)), SMTPC_IN_PROGRESS);
    assert_int_equal(run(1), SMTPC_OK);
    assert_int_equal(fx.u.status, 201);
    check_request(sizeof(fx.body));
    assert_string_equal(fx.net.host, "reports.test");
    assert_int_equal(fx.net.port, 443);
    assert_string_equal(fx.tls.sni, "reports.test");
    assert_int_equal(fx.tls.verify, SMTPC_VERIFY_REQUIRED);
    assert_int_equal(fx.tls.end_calls, 1);
    assert_true(fx.fs.close_calls >= 1);
    assert_non_null(strstr(fx.notes, "status 201"));
    /* Once ended, the same result. */
    assert_int_equal(smtpc_upload_step(&fx.u), SMTPC_OK);
    smtpc_upload_stop(&fx.u);
    smtpc_upload_stop(&fx.u);
    assert_int_equal(fx.tls.end_calls, 1);
}

/* 200 with a body, and other 2xx codes. The body is never read. */
static void test_2xx(void **state)
{
    static const char *const r[] = {
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nthanks",
        "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "HTTP/1.0 204 No Content\r\n\r\n",
        "HTTP/1.1 299 \r\n\r\n",
    };
    static const uint16_t st[] = {200, 202, 204, 299};
    size_t i;
    (void)state;
    for (i = 0; i < 4; i++) {
        setup(NULL);
        reply(r[i]);
        assert_int_equal(start(100), SMTPC_IN_PROGRESS);
        assert_int_equal(run(1), SMTPC_OK);
        assert_int_equal(fx.u.status, st[i]);
        check_request(100);
    }
}

/* Interim 100 and 103 responses are skipped, byte by byte too. */
static void test_interim(void **state)
{
    static const size_t chunks[] = {0, 1, 2, 5};
    size_t i;
    (void)state;
    for (i = 0; i < 4; i++) {
        setup(NULL);
        fx.fs.recv_chunk = chunks[i];
        fx.fs.send_chunk = chunks[i] == 0 ? 0 : 7; /* short writes too */
        fx.fs.would_block = chunks[i] == 2;
        reply("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n"
              "X: y\n\nHTTP/1.1 201 Created\r\nLocation: /r/1\r\n\r\n");
        assert_int_equal(start(1000), SMTPC_IN_PROGRESS);
        assert_int_equal(run(1), SMTPC_OK);
        assert_int_equal(fx.u.status, 201);
        check_request(1000);
    }
}

static void test_refusals(void **state)
{
    static const struct {
        const char *resp;
        int rc;
        uint16_t status;
    } v[] = {
        {"HTTP/1.1 500 Internal Server Error\r\n\r\n", SMTPC_ERR_HTTP_STATUS, 500},
        {"HTTP/1.1 413 Payload Too Large\r\n\r\n", SMTPC_ERR_HTTP_STATUS, 413},
        {"HTTP/1.1 301 Moved\r\nLocation: https://x/\r\n\r\n", SMTPC_ERR_HTTP_REDIRECT, 301},
        {"HTTP/1.1 101 Switching Protocols\r\n\r\n", SMTPC_ERR_HTTP_STATUS, 101},
        {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 403 Forbidden\r\n\r\n", SMTPC_ERR_HTTP_STATUS, 403},
        {"SMTP/1.1 200 OK\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX, 0},
        {"HTTP/1.1 100 Continue\r\n\rX\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX, 0},
        {"HTTP/1.1 2", SMTPC_ERR_NET_CLOSED, 0},
        {"", SMTPC_ERR_NET_CLOSED, 0},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        setup(NULL);
        fx.fs.close_when_idle = true;
        reply(v[i].resp);
        assert_int_equal(start(10), SMTPC_IN_PROGRESS);
        assert_int_equal(run(1), v[i].rc);
        assert_int_equal(fx.u.status, v[i].status);
        assert_int_equal(fx.tls.end_calls, 1);
    }
}

static void test_connect_and_tls(void **state)
{
    (void)state;
    /* Connect in progress, then done. */
    fx.net.connect_rc = SMTPC_IN_PROGRESS;
    fx.net.poll_pending = 3;
    fx.tls.handshake_pending = 2;
    reply("HTTP/1.1 200 OK\r\n\r\n");
    assert_int_equal(start(10), SMTPC_IN_PROGRESS);
    assert_int_equal(run(1), SMTPC_OK);
    assert_int_equal(fx.net.poll_calls, 4);

    /* Connect refused. */
    setup(NULL);
    fx.net.connect_rc = SMTPC_ERR_NET_CONNECT;
    assert_int_equal(start(10), SMTPC_IN_PROGRESS);
    assert_int_equal(run(1), SMTPC_ERR_NET_CONNECT);
    assert_int_equal(fx.tls.start_calls, 0);

    /* Certificate refused under the default (REQUIRED): nothing sent. */
    setup(NULL);
    fx.tls.handshake_rc = SMTPC_ERR_TLS_CERT_UNTRUSTED;
    assert_int_equal(start(10), SMTPC_IN_PROGRESS);
    assert_int_equal(run(1), SMTPC_ERR_TLS_CERT_UNTRUSTED);
    assert_int_equal(fx.tls.sent_len, 0);
    assert_int_equal(fx.tls.verify, SMTPC_VERIFY_REQUIRED);

    /* The caller relaxes it: OPTIONAL, and the verdict is kept. */
    setup(NULL);
    fx.io.allow_cert_errors = 1;
    fx.tls.verdict_value = SMTPC_CERT_UNTRUSTED;
    reply("HTTP/1.1 200 OK\r\n\r\n");
    assert_int_equal(start(10), SMTPC_IN_PROGRESS);
    assert_int_equal(run(1), SMTPC_OK);
    assert_int_equal(fx.tls.verify, SMTPC_VERIFY_OPTIONAL);
    assert_int_equal(fx.u.verdict, SMTPC_CERT_UNTRUSTED);

    /* TLS start fails. */
    setup(NULL);
    fx.tls.start_rc = SMTPC_ERR_TLS_NO_MEMORY;
    assert_int_equal(start(10), SMTPC_IN_PROGRESS);
    assert_int_equal(run(1), SMTPC_ERR_TLS_NO_MEMORY);

    /* Send error. */
    setup(NULL);
    fx.fs.send_err = SMTPC_ERR_NET_IO;
    assert_int_equal(start(10), SMTPC_IN_PROGRESS);
    assert_int_equal(run(1), SMTPC_ERR_NET_IO);
}

static void test_deadline(void **state)
{
    uint32_t dl = 0;
    (void)state;
    /* No answer ever: the budget ends it. */
    assert_int_equal(start(10), SMTPC_IN_PROGRESS);
    assert_int_equal(smtpc_upload_step(&fx.u), SMTPC_IN_PROGRESS);
    assert_true(smtpc_upload_wants(&fx.u, &dl) & SMTPC_WANT_READ);
    assert_int_equal(dl, T0 + SMTPC_UPLOAD_TIMEOUT_MS);
    fake_clock_advance(&fx.clk, SMTPC_UPLOAD_TIMEOUT_MS - 1u);
    assert_int_equal(smtpc_upload_step(&fx.u), SMTPC_IN_PROGRESS);
    fake_clock_advance(&fx.clk, 1);
    assert_int_equal(smtpc_upload_step(&fx.u), SMTPC_ERR_TIMEOUT);
    assert_int_equal(fx.tls.end_calls, 1);
    assert_int_equal(smtpc_upload_wants(&fx.u, &dl), 0);

    /* A caller budget. */
    setup(NULL);
    fx.io.timeout_ms = 100;
    assert_int_equal(start(10), SMTPC_IN_PROGRESS);
    assert_int_equal(run(7), SMTPC_ERR_TIMEOUT);

    /* Stop in the middle. */
    setup(NULL);
    assert_int_equal(start(10), SMTPC_IN_PROGRESS);
    assert_int_equal(smtpc_upload_step(&fx.u), SMTPC_IN_PROGRESS);
    smtpc_upload_stop(&fx.u);
    assert_int_equal(fx.tls.end_calls, 1);
    assert_int_equal(smtpc_upload_step(&fx.u), SMTPC_ERR_ABORTED);
}

static void test_bad_args(void **state)
{
    char path[400];
    (void)state;
    assert_int_equal(
        smtpc_upload_start(NULL, &fx.io, "h", 443, "/", CT, fx.body, 1, fx.buf, sizeof(fx.buf)),
        SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_upload_start(&fx.u, &fx.io, "h", 443, "/", CT, fx.body, 1, fx.buf,
                                        SMTPC_UPLOAD_BUF_MIN - 1u),
                     SMTPC_ERR_BAD_ARG);
    assert_int_equal(
        smtpc_upload_start(&fx.u, &fx.io, "", 443, "/", CT, fx.body, 1, fx.buf, sizeof(fx.buf)),
        SMTPC_ERR_BAD_ARG);
    assert_int_equal(
        smtpc_upload_start(&fx.u, &fx.io, "h", 0, "/", CT, fx.body, 1, fx.buf, sizeof(fx.buf)),
        SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_upload_start(&fx.u, &fx.io, "h", 443, "no-slash", CT, fx.body, 1, fx.buf,
                                        sizeof(fx.buf)),
                     SMTPC_ERR_BAD_ARG);
    assert_int_equal(
        smtpc_upload_start(&fx.u, &fx.io, "h:1", 443, "/", CT, fx.body, 1, fx.buf, sizeof(fx.buf)),
        SMTPC_ERR_BAD_ARG);
    assert_int_equal(
        smtpc_upload_start(&fx.u, &fx.io, "h", 443, "/", CT, NULL, 1, fx.buf, sizeof(fx.buf)),
        SMTPC_ERR_BAD_ARG);
    memset(path, 'a', sizeof(path) - 1);
    path[0] = '/';
    path[sizeof(path) - 1] = '\0';
    assert_int_equal(
        smtpc_upload_start(&fx.u, &fx.io, "h", 443, path, CT, fx.body, 1, fx.buf, sizeof(fx.buf)),
        SMTPC_ERR_NO_SPACE);
    assert_int_equal(fx.net.connect_calls, 0);
    memset(&fx.u, 0, sizeof(fx.u));
    assert_int_equal(smtpc_upload_step(&fx.u), SMTPC_ERR_STATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_created, setup),
        cmocka_unit_test_setup(test_2xx, setup),
        cmocka_unit_test_setup(test_interim, setup),
        cmocka_unit_test_setup(test_refusals, setup),
        cmocka_unit_test_setup(test_connect_and_tls, setup),
        cmocka_unit_test_setup(test_deadline, setup),
        cmocka_unit_test_setup(test_bad_args, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
