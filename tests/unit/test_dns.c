/* DNS query engine (smtpc_dns.c) over the datagram fake, a fake clock, a
 * deterministic rng and, for the TCP retry after TC=1, the net/stream fakes:
 * tries, timeouts, server rotation, spoofed datagrams, rcodes, TCP framing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "smtpc/dns.h"

#include "fake_clock.h"
#include "fake_dgram.h"
#include "fake_net.h"
#include "fake_stream.h"

#define T0  1000000u
#define TMO SMTPC_DNS_TIMEOUT_MS

/* ------------------------------------------------------------ fixture --- */

typedef struct {
    /* what the scripted nameserver does */
    unsigned drop_first; /* queries answered with silence */
    uint8_t rcode;
    bool nodata;
    bool tc; /* UDP answers carry TC=1 */
    uint32_t delay_ms;
    unsigned spoof_id;   /* datagrams with a wrong ID queued before the answer */
    unsigned spoof_q;    /* datagrams with the right ID and another question */
    unsigned spoof_type; /* right ID and name, another type */
    bool spoof_only;     /* queue the spoofs, never the answer */
    unsigned queries;
    uint16_t ids[16];
} server_t;

typedef struct {
    unsigned n;
    uint8_t ip[8][4];
} sink_t;

typedef struct {
    fake_clock_t clk;
    fake_dgram_t dg;
    fake_rng_t rng;
    fake_stream_t tcp;
    fake_net_t net;
    smtpc_dns_io_t io;
    smtpc_dns_t d;
    server_t srv;
    sink_t sink;
} fx_t;

static fx_t fx;

static const uint8_t REAL_IP[4] = {192, 0, 2, 1};
static const uint8_t EVIL_IP[4] = {203, 0, 113, 66};

static int sink_cb(void *arg, const smtpc_dns_rr_t *rr)
{
    sink_t *s = (sink_t *)arg;
    if (s->n < 8u && rr->rdlen == 4u) {
        memcpy(s->ip[s->n], rr->rdata, 4);
    }
    s->n++;
    return SMTPC_OK;
}

/* The answer to @p q: A 192.0.2.1 (or @p ip) unless the server is told otherwise. */
static void build_answer(fake_dns_msg_t *m, const uint8_t *q, size_t len, const uint8_t *ip,
                         bool tc)
{
    assert_true(fdm_reply_to(m, q, len, fx.srv.rcode));
    if (tc) {
        m->b[2] |= 0x02u;
    }
    if (fx.srv.rcode == 0 && !fx.srv.nodata) {
        size_t o;
        fdm_ptr(m, 12);
        o = fdm_rr_begin_raw(m, SMTPC_DNS_TYPE_A, 1, 300);
        fdm_bytes(m, ip, 4);
        fdm_rr_end(m, o);
        fdm_set_ancount(m, 1);
    }
}

static void responder(void *arg, fake_dgram_t *fd, unsigned server, const uint8_t *q, size_t len)
{
    server_t *s = (server_t *)arg;
    fake_dns_msg_t m;
    unsigned i;
    uint16_t id = 0;
    uint16_t qtype = 0;
    (void)server;
    assert_true(fdm_query_info(q, len, &id, &qtype));
    if (s->queries < 16u) {
        s->ids[s->queries] = id;
    }
    s->queries++;
    if (s->queries <= s->drop_first) {
        return;
    }
    for (i = 0; i < s->spoof_id; i++) {
        build_answer(&m, q, len, EVIL_IP, false);
        m.b[1] ^= (uint8_t)(1u + (i % 255u)); /* never the real ID */
        fake_dgram_queue(fd, m.b, m.len, 0);
    }
    for (i = 0; i < s->spoof_q; i++) {
        fdm_init(&m);
        fdm_header(&m, id, 0x8180, 1, 1, 0, 0);
        fdm_question(&m, "evil.test", qtype, 1);
        {
            size_t o;
            fdm_ptr(&m, 12);
            o = fdm_rr_begin_raw(&m, qtype, 1, 300);
            fdm_bytes(&m, EVIL_IP, 4);
            fdm_rr_end(&m, o);
        }
        fake_dgram_queue(fd, m.b, m.len, 0);
    }
    for (i = 0; i < s->spoof_type; i++) {
        build_answer(&m, q, len, EVIL_IP, false);
        /* QTYPE right after the question name "good.test" */
        m.b[12 + 11 + 1] = (uint8_t)(m.b[12 + 11 + 1] ^ 0x20u);
        fake_dgram_queue(fd, m.b, m.len, 0);
    }
    if (s->spoof_only) {
        return;
    }
    build_answer(&m, q, len, REAL_IP, s->tc);
    fake_dgram_queue(fd, m.b, m.len, s->delay_ms);
}

static int setup(void **state)
{
    (void)state;
    memset(&fx, 0, sizeof(fx));
    fake_clock_init(&fx.clk, T0);
    fake_dgram_init(&fx.dg, &fx.clk);
    fx.dg.count = 2;
    fx.dg.addr[1] = "192.0.2.54";
    fx.dg.port[1] = 5353;
    fx.dg.responder = responder;
    fx.dg.responder_arg = &fx.srv;
    fake_rng_init(&fx.rng, 0xdecafbadu);
    fake_stream_init(&fx.tcp);
    fake_net_init(&fx.net, &fx.tcp);
    fx.io.dgram = &fake_dgram_ops;
    fx.io.dgram_ctx = &fx.dg;
    fx.io.net = &fake_net_ops;
    fx.io.net_ctx = &fx.net;
    fx.io.clock = &fake_clock_ops;
    fx.io.clock_ctx = &fx.clk;
    fx.io.rng = &fake_rng_ops;
    fx.io.rng_ctx = &fx.rng;
    return 0;
}

/* Every socket the engine opened is closed again, and used properly. */
static int teardown(void **state)
{
    (void)state;
    smtpc_dns_stop(&fx.d);
    assert_false(fx.dg.is_open);
    assert_false(fx.dg.misuse);
    assert_false(fx.dg.q_overflow);
    assert_int_equal(fx.tcp.close_calls,
                     fx.net.connect_calls > 0 && fx.net.connect_rc == SMTPC_OK ? 1u : 0u);
    return 0;
}

static void start(const char *name)
{
    assert_int_equal(smtpc_dns_start(&fx.d, &fx.io, name, SMTPC_DNS_TYPE_A, sink_cb, &fx.sink),
                     SMTPC_IN_PROGRESS);
}

static void assert_real_answer(void)
{
    assert_int_equal(fx.sink.n, 1);
    assert_memory_equal(fx.sink.ip[0], REAL_IP, 4);
}

/* ---------------------------------------------------------------- UDP --- */

static void test_dns_answer_first_try(void **state)
{
    uint8_t want[64];
    size_t wlen = 0;
    uint32_t dl = 0;
    (void)state;
    start("Good.Test.");
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_OK);
    assert_real_answer();
    assert_int_equal(fx.dg.open_calls, 1);
    assert_int_equal(fx.dg.opened[0], 0);
    assert_int_equal(fx.dg.send_calls, 1);
    assert_int_equal(fx.dg.close_calls, 1);
    /* the query on the wire: the normalised name, the engine's ID, RD */
    assert_int_equal(
        smtpc_dns_query_build(want, sizeof(want), &wlen, fx.d.id, "good.test", SMTPC_DNS_TYPE_A),
        SMTPC_OK);
    assert_int_equal(fx.dg.last_len, wlen);
    assert_memory_equal(fx.dg.last, want, wlen);
    assert_int_equal(fx.srv.ids[0], fx.d.id);
    /* done: nothing wanted, step keeps returning the result */
    assert_int_equal(smtpc_dns_wants(&fx.d, &dl), 0);
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_OK);
    assert_int_equal(fx.dg.send_calls, 1);
}

static void test_dns_loss_retries_next_server_then_timeout(void **state)
{
    uint32_t dl = 0;
    unsigned t;
    (void)state;
    fx.srv.drop_first = 99;
    start("good.test");
    for (t = 0; t < SMTPC_DNS_TRIES; t++) {
        assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_IN_PROGRESS);
        assert_int_equal(fx.dg.send_calls, t + 1u);
        assert_int_equal(fx.dg.sent_to[t], t % 2u);
        assert_int_equal(fx.dg.opened[t], t % 2u);
        assert_int_equal(fx.dg.sent_at[t], T0 + t * TMO);
        assert_int_equal(smtpc_dns_wants(&fx.d, &dl), SMTPC_WANT_READ | SMTPC_WANT_TIMER);
        assert_int_equal(dl, T0 + (t + 1u) * TMO);
        /* one ms early: still waiting, nothing re-sent */
        fake_clock_advance(&fx.clk, TMO - 1u);
        assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_IN_PROGRESS);
        assert_int_equal(fx.dg.send_calls, t + 1u);
        fake_clock_advance(&fx.clk, 1);
        if (t + 1u < SMTPC_DNS_TRIES) {
            continue;
        }
        assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_ERR_DNS_TIMEOUT);
    }
    assert_int_equal(fx.dg.send_calls, SMTPC_DNS_TRIES);
    assert_int_equal(fx.dg.open_calls, SMTPC_DNS_TRIES);
    assert_int_equal(fx.dg.close_calls, SMTPC_DNS_TRIES);
    assert_int_equal(fx.sink.n, 0);
    /* a fresh random ID for every try */
    assert_int_not_equal(fx.srv.ids[0], fx.srv.ids[1]);
    assert_int_not_equal(fx.srv.ids[1], fx.srv.ids[2]);
    assert_int_not_equal(fx.srv.ids[0], fx.srv.ids[2]);
    assert_int_equal(smtpc_dns_wants(&fx.d, &dl), 0);
}

static void test_dns_loss_then_answer_from_second_server(void **state)
{
    (void)state;
    fx.srv.drop_first = 1;
    start("good.test");
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_IN_PROGRESS);
    fake_clock_advance(&fx.clk, TMO);
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_OK);
    assert_real_answer();
    assert_int_equal(fx.dg.send_calls, 2);
    assert_int_equal(fx.dg.sent_to[1], 1);
    assert_int_equal(fx.d.id, fx.srv.ids[1]);
}

static void test_dns_server_rotates_per_try(void **state)
{
    unsigned t;
    (void)state;
    fx.dg.count = 3;
    fx.dg.addr[2] = "192.0.2.55";
    fx.dg.port[2] = 53;
    fx.srv.drop_first = 99;
    start("good.test");
    for (t = 0; t < SMTPC_DNS_TRIES; t++) {
        smtpc_dns_step(&fx.d);
        fake_clock_advance(&fx.clk, TMO);
    }
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_ERR_DNS_TIMEOUT);
    for (t = 0; t < SMTPC_DNS_TRIES; t++) {
        assert_int_equal(fx.dg.opened[t], t % 3u);
    }
    /* one server: every try goes to it */
    setup(NULL);
    fx.dg.count = 1;
    fx.srv.drop_first = 99;
    start("good.test");
    for (t = 0; t < SMTPC_DNS_TRIES; t++) {
        smtpc_dns_step(&fx.d);
        fake_clock_advance(&fx.clk, TMO);
    }
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_ERR_DNS_TIMEOUT);
    for (t = 0; t < SMTPC_DNS_TRIES; t++) {
        assert_int_equal(fx.dg.opened[t], 0);
    }
}

static void test_dns_delayed_answer_within_timeout(void **state)
{
    uint32_t dl = 0;
    (void)state;
    fx.srv.delay_ms = TMO - 1u;
    start("good.test");
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_IN_PROGRESS);
    fake_clock_advance(&fx.clk, TMO - 2u);
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_IN_PROGRESS);
    assert_int_equal(smtpc_dns_wants(&fx.d, &dl), SMTPC_WANT_READ | SMTPC_WANT_TIMER);
    assert_int_equal(dl, T0 + TMO);
    fake_clock_advance(&fx.clk, 1);
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_OK);
    assert_real_answer();
    assert_int_equal(fx.dg.send_calls, 1);
}

static void test_dns_answer_later_than_timeout_is_lost(void **state)
{
    (void)state;
    fx.srv.delay_ms = TMO; /* arrives when the try is already over */
    fx.srv.spoof_only = false;
    start("good.test");
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_IN_PROGRESS);
    fake_clock_advance(&fx.clk, TMO);
    /* the engine reads first: the answer is there at exactly the deadline */
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_OK);
    assert_int_equal(fx.dg.send_calls, 1);
    /* one ms later: try 2 (whose answer is late again), then try 3 ... */
    setup(NULL);
    fx.srv.delay_ms = TMO + 1u;
    start("good.test");
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_IN_PROGRESS);
    fake_clock_advance(&fx.clk, TMO);
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_IN_PROGRESS);
    assert_int_equal(fx.dg.send_calls, 2);
    assert_true(fx.dg.dropped >= 1u); /* the fresh socket never sees the old answer */
}

static void test_dns_rcodes_final(void **state)
{
    static const struct {
        uint8_t rcode;
        bool nodata;
        int want;
    } v[] = {
        {2, false, SMTPC_ERR_DNS_SERVFAIL}, {3, false, SMTPC_ERR_DNS_NXDOMAIN},
        {5, false, SMTPC_ERR_DNS_REFUSED},  {1, false, SMTPC_ERR_DNS_FORMAT},
        {0, true, SMTPC_ERR_DNS_NODATA},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        setup(NULL);
        fx.srv.rcode = v[i].rcode;
        fx.srv.nodata = v[i].nodata;
        start("good.test");
        assert_int_equal(smtpc_dns_step(&fx.d), v[i].want);
        /* an answer is an answer: no other server is asked */
        assert_int_equal(fx.dg.send_calls, 1);
        assert_int_equal(fx.sink.n, 0);
        assert_false(fx.dg.is_open);
    }
}

static void test_dns_spoofed_wrong_id_dropped(void **state)
{
    (void)state;
    fx.srv.spoof_id = 3;
    start("good.test");
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_OK);
    assert_real_answer();
    assert_int_equal(fx.dg.recv_calls, 4);
}

static void test_dns_spoofed_wrong_question_dropped(void **state)
{
    (void)state;
    fx.srv.spoof_q = 2;
    fx.srv.spoof_type = 2;
    start("good.test");
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_OK);
    assert_real_answer();
    assert_int_equal(fx.dg.recv_calls, 5);
    assert_int_equal(fx.dg.send_calls, 1);
}

static void test_dns_spoof_flood_bounded(void **state)
{
    unsigned steps = 0;
    int rc;
    (void)state;
    fx.srv.spoof_id = 100;
    start("good.test");
    do {
        rc = smtpc_dns_step(&fx.d);
        steps++;
        /* each step call handles a bounded number of datagrams */
        assert_true(fx.dg.recv_calls <= steps * 32u);
    } while (rc == SMTPC_IN_PROGRESS && steps < 50u);
    assert_int_equal(rc, SMTPC_OK);
    assert_real_answer();
    assert_int_equal(fx.dg.recv_calls, 101);
    assert_true(steps >= 4u);
    assert_int_equal(fx.dg.send_calls, 1);
    /* a flood without the answer: the try still times out on time */
    setup(NULL);
    fx.srv.spoof_id = 100;
    fx.srv.spoof_only = true;
    start("good.test");
    for (steps = 0; steps < 10u; steps++) {
        assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_IN_PROGRESS);
    }
    assert_int_equal(fake_dgram_pending(&fx.dg), 0);
    assert_int_equal(fx.dg.send_calls, 1);
    fake_clock_advance(&fx.clk, TMO);
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_IN_PROGRESS);
    assert_int_equal(fx.dg.send_calls, 2);
}

static void test_dns_open_failure_counts_as_try(void **state)
{
    (void)state;
    fx.dg.open_fail = 1;
    fx.dg.open_err = SMTPC_ERR_NET_IO;
    start("good.test");
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_OK);
    assert_real_answer();
    assert_int_equal(fx.dg.open_calls, 2);
    assert_int_equal(fx.dg.opened[0], 0);
    assert_int_equal(fx.dg.opened[1], 1);
    assert_int_equal(fx.dg.send_calls, 1);
    /* every open fails: the tries are used up, the open error is the result */
    setup(NULL);
    fx.dg.open_fail = 99;
    fx.dg.open_err = SMTPC_ERR_NET_NO_MEMORY;
    start("good.test");
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_ERR_NET_NO_MEMORY);
    assert_int_equal(fx.dg.open_calls, SMTPC_DNS_TRIES);
    assert_int_equal(fx.dg.send_calls, 0);
    assert_int_equal(fx.dg.close_calls, 0);
}

static void test_dns_send_would_block_then_sent(void **state)
{
    uint32_t dl = 0;
    (void)state;
    fx.dg.send_block = 1;
    start("good.test");
    assert_int_equal(smtpc_dns_wants(&fx.d, &dl), SMTPC_WANT_WRITE | SMTPC_WANT_TIMER);
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_IN_PROGRESS);
    assert_int_equal(fx.dg.send_calls, 0);
    assert_int_equal(smtpc_dns_wants(&fx.d, &dl), SMTPC_WANT_WRITE | SMTPC_WANT_TIMER);
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_OK);
    assert_int_equal(fx.dg.open_calls, 1);
    assert_real_answer();
}

static void test_dns_send_and_recv_errors_count_as_tries(void **state)
{
    (void)state;
    fx.dg.send_err = SMTPC_ERR_NET_IO;
    start("good.test");
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_ERR_NET_IO);
    assert_int_equal(fx.dg.open_calls, SMTPC_DNS_TRIES);
    assert_int_equal(fx.dg.close_calls, SMTPC_DNS_TRIES);
    setup(NULL);
    fx.dg.recv_err = SMTPC_ERR_NET_IO;
    fx.srv.drop_first = 99;
    start("good.test");
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_ERR_NET_IO);
    assert_int_equal(fx.dg.send_calls, SMTPC_DNS_TRIES);
}

static void test_dns_rng_failure(void **state)
{
    (void)state;
    fx.rng.fail = SMTPC_ERR_INTERNAL;
    start("good.test");
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_ERR_INTERNAL);
    assert_int_equal(fx.dg.send_calls, 0);
}

static void test_dns_clock_wrap(void **state)
{
    uint32_t dl = 0;
    (void)state;
    fake_clock_init(&fx.clk, 0xffffffffu - 500u);
    fx.srv.drop_first = 1;
    start("good.test");
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_IN_PROGRESS);
    assert_int_equal(smtpc_dns_wants(&fx.d, &dl), SMTPC_WANT_READ | SMTPC_WANT_TIMER);
    assert_int_equal(dl, (uint32_t)(0xffffffffu - 500u + TMO));
    fake_clock_advance(&fx.clk, TMO - 1u);
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_IN_PROGRESS);
    assert_int_equal(fx.dg.send_calls, 1);
    fake_clock_advance(&fx.clk, 1);
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_OK);
    assert_int_equal(fx.dg.send_calls, 2);
}

static void test_dns_start_bad_args(void **state)
{
    smtpc_dns_io_t io = fx.io;
    uint32_t dl = 0;
    (void)state;
    assert_int_equal(smtpc_dns_start(&fx.d, &fx.io, "bad name", 1, sink_cb, NULL),
                     SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_dns_wants(&fx.d, &dl), 0);
    assert_int_equal(smtpc_dns_start(&fx.d, &fx.io, "", 1, sink_cb, NULL), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_dns_start(&fx.d, &fx.io, ".", 1, sink_cb, NULL), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_dns_start(&fx.d, NULL, "a.test", 1, sink_cb, NULL), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_dns_start(&fx.d, &fx.io, NULL, 1, sink_cb, NULL), SMTPC_ERR_BAD_ARG);
    io.dgram = NULL;
    assert_int_equal(smtpc_dns_start(&fx.d, &io, "a.test", 1, sink_cb, NULL), SMTPC_ERR_BAD_ARG);
    io = fx.io;
    io.rng = NULL;
    assert_int_equal(smtpc_dns_start(&fx.d, &io, "a.test", 1, sink_cb, NULL), SMTPC_ERR_BAD_ARG);
    io = fx.io;
    io.clock = NULL;
    assert_int_equal(smtpc_dns_start(&fx.d, &io, "a.test", 1, sink_cb, NULL), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_dns_step(NULL), SMTPC_ERR_BAD_ARG);
    assert_int_equal(fx.dg.open_calls, 0);
}

static void test_dns_stop_mid_query(void **state)
{
    uint32_t dl = 0;
    (void)state;
    fx.srv.drop_first = 99;
    start("good.test");
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_IN_PROGRESS);
    assert_true(fx.dg.is_open);
    smtpc_dns_stop(&fx.d);
    assert_false(fx.dg.is_open);
    assert_int_equal(fx.dg.close_calls, 1);
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_ERR_ABORTED);
    assert_int_equal(smtpc_dns_wants(&fx.d, &dl), 0);
    smtpc_dns_stop(&fx.d);
    assert_int_equal(fx.dg.close_calls, 1);
    {
        smtpc_dns_t never;
        memset(&never, 0, sizeof(never));
        smtpc_dns_stop(&never);
        smtpc_dns_stop(NULL);
    }
}

/* ---------------------------------------------------------------- TCP --- */

/* Run until the engine has sent its whole TCP query and waits for the answer. */
static void tcp_wait_for_query(void)
{
    unsigned i;
    for (i = 0; i < 200u; i++) {
        int rc = smtpc_dns_step(&fx.d);
        assert_int_equal(rc, SMTPC_IN_PROGRESS);
        if (fx.tcp.out_len >= 2u &&
            fx.tcp.out_len == 2u + (((size_t)fx.tcp.out[0] << 8) | fx.tcp.out[1])) {
            return;
        }
    }
    fail_msg("the TCP query was never sent");
}

static void tcp_feed_answer(void)
{
    fake_dns_msg_t m;
    uint8_t pfx[2];
    build_answer(&m, fx.tcp.out + 2, fx.tcp.out_len - 2u, REAL_IP, false);
    pfx[0] = (uint8_t)(m.len >> 8);
    pfx[1] = (uint8_t)m.len;
    fake_stream_feed(&fx.tcp, pfx, 2);
    fake_stream_feed(&fx.tcp, m.b, m.len);
}

static int run_to_end(unsigned max_steps)
{
    unsigned i;
    int rc = SMTPC_IN_PROGRESS;
    for (i = 0; i < max_steps && rc == SMTPC_IN_PROGRESS; i++) {
        rc = smtpc_dns_step(&fx.d);
    }
    return rc;
}

static void test_dns_truncated_retried_over_tcp(void **state)
{
    uint8_t want[64];
    size_t wlen = 0;
    uint16_t udp_id;
    uint32_t dl = 0;
    (void)state;
    fx.srv.tc = true;
    fx.srv.drop_first = 1; /* the TC answer comes from server 1 */
    fx.tcp.recv_chunk = 1;
    fx.tcp.send_chunk = 5;
    fx.tcp.would_block = true;
    start("good.test");
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_IN_PROGRESS);
    fake_clock_advance(&fx.clk, TMO);
    udp_id = 0;
    tcp_wait_for_query();
    udp_id = fx.srv.ids[1];
    assert_false(fx.dg.is_open); /* UDP is done with */
    assert_int_equal(fx.net.connect_calls, 1);
    assert_string_equal(fx.net.host, "192.0.2.54");
    assert_int_equal(fx.net.port, 5353);
    /* 2-byte length, then the query with a fresh ID */
    assert_int_equal(
        smtpc_dns_query_build(want, sizeof(want), &wlen, fx.d.id, "good.test", SMTPC_DNS_TYPE_A),
        SMTPC_OK);
    assert_int_equal(fx.tcp.out_len, 2u + wlen);
    assert_int_equal(fx.tcp.out[0], (uint8_t)(wlen >> 8));
    assert_int_equal(fx.tcp.out[1], (uint8_t)wlen);
    assert_memory_equal(fx.tcp.out + 2, want, wlen);
    assert_int_not_equal(fx.d.id, udp_id);
    assert_int_equal(smtpc_dns_wants(&fx.d, &dl), SMTPC_WANT_READ | SMTPC_WANT_TIMER);
    assert_int_equal(dl, T0 + TMO + 2u * TMO);
    tcp_feed_answer();
    assert_int_equal(run_to_end(200), SMTPC_OK);
    assert_real_answer();
    assert_int_equal(fx.tcp.close_calls, 1);
    assert_int_equal(fake_stream_pending(&fx.tcp), 0);
    assert_int_equal(fx.dg.send_calls, 2);
}

static void test_dns_truncated_without_net_ops(void **state)
{
    (void)state;
    fx.io.net = NULL;
    fx.srv.tc = true;
    start("good.test");
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_ERR_DNS_TRUNCATED);
    assert_int_equal(fx.net.connect_calls, 0);
    assert_int_equal(fx.sink.n, 0);
}

static void test_dns_tcp_length_prefix_checked(void **state)
{
    static const uint16_t bad[] = {SMTPC_DNS_MSG_MAX + 1u, 0xffffu, 11u, 0u};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t pfx[2];
        setup(NULL);
        fx.srv.tc = true;
        start("good.test");
        tcp_wait_for_query();
        pfx[0] = (uint8_t)(bad[i] >> 8);
        pfx[1] = (uint8_t)bad[i];
        fake_stream_feed(&fx.tcp, pfx, 2);
        assert_int_equal(run_to_end(10), SMTPC_ERR_DNS_FORMAT);
        assert_int_equal(fx.tcp.close_calls, 1);
        assert_int_equal(fx.sink.n, 0);
    }
}

static void test_dns_tcp_failures(void **state)
{
    (void)state;
    /* connect refused */
    fx.srv.tc = true;
    fx.net.connect_rc = SMTPC_ERR_NET_CONNECT;
    start("good.test");
    assert_int_equal(run_to_end(10), SMTPC_ERR_NET_CONNECT);
    assert_int_equal(fx.tcp.close_calls, 0);
    /* connect pending, then the peer closes in the middle of the answer */
    setup(NULL);
    fx.srv.tc = true;
    fx.net.connect_rc = SMTPC_IN_PROGRESS;
    fx.net.poll_pending = 2;
    start("good.test");
    tcp_wait_for_query();
    assert_int_equal(fx.net.poll_calls, 3);
    tcp_feed_answer();
    fx.tcp.has_close_at = true;
    fx.tcp.close_at = 7;
    assert_int_equal(run_to_end(50), SMTPC_ERR_NET_CLOSED);
    assert_int_equal(fx.tcp.close_calls, 1);
    /* no answer at all over TCP: bounded by twice the per-try timeout */
    setup(NULL);
    fx.srv.tc = true;
    start("good.test");
    tcp_wait_for_query();
    fake_clock_advance(&fx.clk, 2u * TMO - 1u);
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_IN_PROGRESS);
    fake_clock_advance(&fx.clk, 1);
    assert_int_equal(smtpc_dns_step(&fx.d), SMTPC_ERR_DNS_TIMEOUT);
    assert_int_equal(fx.tcp.close_calls, 1);
    /* the answer over TCP is itself truncated: no loop, TRUNCATED */
    setup(NULL);
    fx.srv.tc = true;
    start("good.test");
    tcp_wait_for_query();
    {
        fake_dns_msg_t m;
        uint8_t pfx[2];
        build_answer(&m, fx.tcp.out + 2, fx.tcp.out_len - 2u, REAL_IP, true);
        pfx[0] = (uint8_t)(m.len >> 8);
        pfx[1] = (uint8_t)m.len;
        fake_stream_feed(&fx.tcp, pfx, 2);
        fake_stream_feed(&fx.tcp, m.b, m.len);
    }
    assert_int_equal(run_to_end(10), SMTPC_ERR_DNS_TRUNCATED);
    assert_int_equal(fx.net.connect_calls, 1);
    /* server() fails: that error */
    setup(NULL);
    fx.srv.tc = true;
    fx.dg.server_rc = SMTPC_ERR_BAD_ARG;
    start("good.test");
    assert_int_equal(run_to_end(10), SMTPC_ERR_BAD_ARG);
    assert_int_equal(fx.net.connect_calls, 0);
}

static void test_dns_tcp_answer_with_wrong_id_format(void **state)
{
    fake_dns_msg_t m;
    uint8_t pfx[2];
    (void)state;
    fx.srv.tc = true;
    start("good.test");
    tcp_wait_for_query();
    build_answer(&m, fx.tcp.out + 2, fx.tcp.out_len - 2u, EVIL_IP, false);
    m.b[1] ^= 0x5au;
    pfx[0] = (uint8_t)(m.len >> 8);
    pfx[1] = (uint8_t)m.len;
    fake_stream_feed(&fx.tcp, pfx, 2);
    fake_stream_feed(&fx.tcp, m.b, m.len);
    assert_int_equal(run_to_end(10), SMTPC_ERR_DNS_FORMAT);
    assert_int_equal(fx.sink.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dns_answer_first_try, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dns_loss_retries_next_server_then_timeout, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dns_loss_then_answer_from_second_server, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dns_server_rotates_per_try, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dns_delayed_answer_within_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dns_answer_later_than_timeout_is_lost, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dns_rcodes_final, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dns_spoofed_wrong_id_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dns_spoofed_wrong_question_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dns_spoof_flood_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dns_open_failure_counts_as_try, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dns_send_would_block_then_sent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dns_send_and_recv_errors_count_as_tries, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dns_rng_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dns_clock_wrap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dns_start_bad_args, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dns_stop_mid_query, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dns_truncated_retried_over_tcp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dns_truncated_without_net_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dns_tcp_length_prefix_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dns_tcp_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dns_tcp_answer_with_wrong_id_format, setup, teardown),
    };
    return cmocka_run_group_tests_name("dns", tests, NULL, NULL);
}
