/* The driver in SMTPC_MODE_MX (smtpc_client.c): recipients grouped per
 * domain, MX lookups through the core resolver over the datagram fake,
 * implicit and null MX, DNS failures, falling back to the next MX, address
 * literals, body rewinds. SMTP peers are scripted fake streams behind a
 * connector that routes by host name; sessions are plaintext (TLS_NONE,
 * PLAINTEXT_ALLOWED) except where STARTTLS itself is the subject. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "smtpc/client.h"
#include "smtpc/smtpc.h"

#include "fake_clock.h"
#include "fake_dgram.h"
#include "fake_stream.h"
#include "fake_tls.h"

#define T0      5000u
#define NSTREAM 4u

/* ------------------------------------------------- routing connector --- */

typedef struct {
    const char *host;
    int rc;
    fake_stream_t *fs;
} route_t;

typedef struct {
    route_t r[8];
    size_t n;
    unsigned calls;
    char host[8][SMTPC_HOSTNAME_MAX + 1];
    uint16_t port[8];
} mnet_t;

static int mnet_connect(void *ctx, const char *host, uint16_t port, smtpc_stream_t *out)
{
    mnet_t *mn = (mnet_t *)ctx;
    size_t i;
    if (mn->calls < 8u) {
        snprintf(mn->host[mn->calls], sizeof(mn->host[0]), "%s", host);
        mn->port[mn->calls] = port;
    }
    mn->calls++;
    for (i = 0; i < mn->n; i++) {
        if (strcmp(mn->r[i].host, host) == 0) {
            if (mn->r[i].rc == SMTPC_OK) {
                *out = fake_stream_handle(mn->r[i].fs);
            }
            return mn->r[i].rc;
        }
    }
    return SMTPC_ERR_NET_CONNECT; /* nothing listens there */
}

static int mnet_poll(void *ctx, smtpc_stream_t *out)
{
    (void)ctx;
    (void)out;
    return SMTPC_ERR_STATE; /* connect() never answers IN_PROGRESS here */
}

static const smtpc_net_ops_t mnet_ops = {mnet_connect, mnet_poll, NULL};

/* -------------------------------------------------------- nameserver --- */

enum { Z_MX, Z_NODATA, Z_NXDOMAIN, Z_SERVFAIL, Z_REFUSED, Z_DROP, Z_NULLMX };

typedef struct {
    const char *name;
    int kind;
    const char *mx[4]; /* "pref host" */
} zone_t;

typedef struct {
    const zone_t *zones;
    size_t n;
    unsigned queries;
    char asked[8][SMTPC_DNS_NAME_BUF];
} ns_t;

static void qname_text(const uint8_t *q, size_t len, char *out, size_t cap)
{
    size_t off = 12;
    size_t o = 0;
    while (off < len && q[off] != 0u && o + q[off] + 2u < cap) {
        if (o > 0) {
            out[o++] = '.';
        }
        memcpy(out + o, q + off + 1u, q[off]);
        o += q[off];
        off += 1u + q[off];
    }
    out[o] = '\0';
}

static void ns_responder(void *arg, fake_dgram_t *fd, unsigned server, const uint8_t *q, size_t len)
{
    ns_t *ns = (ns_t *)arg;
    char name[SMTPC_DNS_NAME_BUF];
    const zone_t *z = NULL;
    fake_dns_msg_t m;
    uint16_t an = 0;
    size_t i;
    (void)server;
    qname_text(q, len, name, sizeof(name));
    if (ns->queries < 8u) {
        snprintf(ns->asked[ns->queries], sizeof(ns->asked[0]), "%s", name);
    }
    ns->queries++;
    for (i = 0; i < ns->n; i++) {
        if (strcmp(ns->zones[i].name, name) == 0) {
            z = &ns->zones[i];
        }
    }
    if (z != NULL && z->kind == Z_DROP) {
        return;
    }
    assert_true(fdm_reply_to(&m, q, len,
                             z == NULL || z->kind == Z_NXDOMAIN ? 3u
                             : z->kind == Z_SERVFAIL            ? 2u
                             : z->kind == Z_REFUSED             ? 5u
                                                                : 0u));
    if (z != NULL && z->kind == Z_NULLMX) {
        size_t o;
        fdm_ptr(&m, 12);
        o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_MX, 1, 300);
        fdm_bytes(&m, "\x00\x00\x00", 3);
        fdm_rr_end(&m, o);
        an = 1;
    }
    for (i = 0; z != NULL && z->kind == Z_MX && i < 4u && z->mx[i] != NULL; i++) {
        unsigned pref = 0;
        char host[128];
        size_t o;
        assert_int_equal(sscanf(z->mx[i], "%u %127s", &pref, host), 2);
        fdm_ptr(&m, 12);
        o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_MX, 1, 300);
        fdm_u16(&m, (uint16_t)pref);
        fdm_name(&m, host);
        fdm_rr_end(&m, o);
        an++;
    }
    fdm_set_ancount(&m, an);
    fake_dgram_queue(fd, m.b, m.len, 0);
}

/* ------------------------------------------------------------ body --- */

typedef struct {
    const char *data;
    size_t len, off;
    unsigned reads, rewinds;
} body_t;

static int body_read(void *arg, uint8_t *buf, size_t cap, size_t *len, bool *eof)
{
    body_t *b = (body_t *)arg;
    size_t n = b->len - b->off < cap ? b->len - b->off : cap;
    b->reads++;
    memcpy(buf, b->data + b->off, n);
    b->off += n;
    *len = n;
    *eof = b->off == b->len;
    return SMTPC_OK;
}

static int body_rewind(void *arg)
{
    body_t *b = (body_t *)arg;
    b->rewinds++;
    b->off = 0;
    return SMTPC_OK;
}

/* ---------------------------------------------------------- fixture --- */

typedef struct {
    fake_clock_t clk;
    fake_dgram_t dg;
    fake_rng_t rng;
    fake_tls_t tls;
    fake_stream_t fs[NSTREAM];
    mnet_t net;
    ns_t ns;
    body_t body;
    smtpc_platform_t plat;
    smtpc_client_cfg_t cfg;
    smtpc_client_t c;
    smtpc_client_mem_t mem;
    smtpc_envelope_t env;
    smtpc_body_src_t src;
    const char *to[SMTPC_MAX_RCPT];
} fx_t;

static fx_t fx;

static const char BODY[] = "Subject: mx test\r\n\r\nhello\r\n";

static int setup(void **state)
{
    size_t i;
    (void)state;
    memset(&fx, 0, sizeof(fx));
    fake_clock_init(&fx.clk, T0);
    fake_dgram_init(&fx.dg, &fx.clk);
    fx.dg.responder = ns_responder;
    fx.dg.responder_arg = &fx.ns;
    fake_rng_init(&fx.rng, 77);
    fake_tls_init(&fx.tls);
    for (i = 0; i < NSTREAM; i++) {
        fake_stream_init(&fx.fs[i]);
    }
    fx.body.data = BODY;
    fx.body.len = sizeof(BODY) - 1u;
    fx.plat.net = &mnet_ops;
    fx.plat.net_ctx = &fx.net;
    fx.plat.tls = &fake_tls_ops;
    fx.plat.tls_ctx = &fx.tls;
    fx.plat.clock = &fake_clock_ops;
    fx.plat.clock_ctx = &fx.clk;
    fx.plat.rng = &fake_rng_ops;
    fx.plat.rng_ctx = &fx.rng;
    fx.plat.dgram = &fake_dgram_ops;
    fx.plat.dgram_ctx = &fx.dg;
    fx.cfg.mode = SMTPC_MODE_MX;
    fx.cfg.sts_off = 1; /* MTA-STS has its own tests (test_sts, the simulator) */
    fx.cfg.session.helo_name = "client.test";
    fx.cfg.session.tls_mode = SMTPC_TLS_NONE;
    fx.cfg.session.tls_level = SMTPC_TLS_PLAINTEXT_ALLOWED;
    fx.env.from = "a@sender.test";
    fx.env.to = fx.to;
    fx.src.read = body_read;
    fx.src.rewind = body_rewind;
    fx.src.arg = &fx.body;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_false(fx.dg.is_open);
    assert_false(fx.dg.misuse);
    return 0;
}

static void zones(const zone_t *z, size_t n)
{
    fx.ns.zones = z;
    fx.ns.n = n;
}

static void route(const char *host, int rc, fake_stream_t *fs)
{
    fx.net.r[fx.net.n].host = host;
    fx.net.r[fx.net.n].rc = rc;
    fx.net.r[fx.net.n].fs = fs;
    fx.net.n++;
}

/* Start and step to the end; when nothing can progress, the fake clock jumps
 * to the deadline the client asked for. Returns the final status. */
static int run(void)
{
    int rc;
    unsigned i;
    assert_int_equal(smtpc_client_init(&fx.c, &fx.cfg, &fx.plat, &fx.mem), SMTPC_OK);
    rc = smtpc_client_start(&fx.c, &fx.env, &fx.src);
    for (i = 0; i < 10000u && rc == SMTPC_IN_PROGRESS; i++) {
        uint32_t dl = 0;
        rc = smtpc_client_step(&fx.c);
        if (rc != SMTPC_IN_PROGRESS) {
            break;
        }
        (void)smtpc_client_wants(&fx.c, &dl);
        if ((int32_t)(dl - fx.clk.now_ms) > 0) {
            fx.clk.now_ms = dl;
        }
    }
    assert_int_not_equal(rc, SMTPC_IN_PROGRESS);
    return rc;
}

static void set_to(const char *a, const char *b, const char *c)
{
    fx.env.to_count = 0;
    if (a != NULL) {
        fx.to[fx.env.to_count++] = a;
    }
    if (b != NULL) {
        fx.to[fx.env.to_count++] = b;
    }
    if (c != NULL) {
        fx.to[fx.env.to_count++] = c;
    }
}

static bool sent_contains(const fake_stream_t *fs, const char *s)
{
    size_t n = strlen(s);
    size_t i;
    for (i = 0; i + n <= fs->out_len; i++) {
        if (memcmp(fs->out + i, s, n) == 0) {
            return true;
        }
    }
    return false;
}

/* Sent outside TLS. */
static bool plain_contains(const fake_stream_t *fs, const char *s)
{
    size_t n = strlen(s);
    size_t i;
    for (i = 0; i + n <= fs->plain_len; i++) {
        if (memcmp(fs->plain + i, s, n) == 0) {
            return true;
        }
    }
    return false;
}

/* --------------------------------------------------------- scripts --- */

#define GREET(h)                                                                                   \
    {                                                                                              \
        NULL, "220 " h " ESMTP\r\n", 0                                                             \
    }
#define EHLO_OK(h)                                                                                 \
    {                                                                                              \
        "EHLO client.test\r\n", "250-" h "\r\n250 8BITMIME\r\n", 0                                 \
    }
#define MAIL_OK                                                                                    \
    {                                                                                              \
        "MAIL FROM:<a@sender.test>\r\n", "250 2.1.0 Ok\r\n", 0                                     \
    }
#define RCPT_OK(a)                                                                                 \
    {                                                                                              \
        "RCPT TO:<" a ">\r\n", "250 2.1.5 Ok\r\n", 0                                               \
    }
#define DATA_OK                                                                                    \
    {"DATA\r\n", "354 go ahead\r\n", 0},                                                           \
    {                                                                                              \
        ".\r\n", "250 2.0.0 Ok: queued\r\n", 0                                                     \
    }
#define QUIT_OK                                                                                    \
    {                                                                                              \
        "QUIT\r\n", "221 2.0.0 Bye\r\n", 0                                                         \
    }

static const fake_step_t S_GOOD_ALICE_CAROL[] = {
    GREET("mx1.good.test"),
    EHLO_OK("mx1.good.test"),
    MAIL_OK,
    RCPT_OK("alice@good.test"),
    RCPT_OK("carol@GOOD.test"),
    DATA_OK,
    QUIT_OK,
};
static const fake_step_t S_GOOD_ALICE[] = {
    GREET("mx1.good.test"),
    EHLO_OK("mx1.good.test"),
    MAIL_OK,
    RCPT_OK("alice@good.test"),
    DATA_OK,
    QUIT_OK,
};
static const fake_step_t S_OTHER_BOB_REJECTED[] = {
    GREET("mx.other.test"),
    EHLO_OK("mx.other.test"),
    MAIL_OK,
    {"RCPT TO:<bob@other.test>\r\n", "550 5.1.1 No such user\r\n", 0},
    QUIT_OK,
};
static const fake_step_t S_OTHER_BOB[] = {
    GREET("mx.other.test"),
    EHLO_OK("mx.other.test"),
    MAIL_OK,
    RCPT_OK("bob@other.test"),
    DATA_OK,
    QUIT_OK,
};
static const fake_step_t S_GREETING_421[] = {
    {NULL, "421 4.3.2 busy\r\n", 0},
    QUIT_OK,
};
static const fake_step_t S_MAIL_550[] = {
    GREET("mx1.good.test"),
    EHLO_OK("mx1.good.test"),
    {"MAIL FROM:<a@sender.test>\r\n", "550 5.7.1 go away\r\n", 0},
    QUIT_OK,
};
static const fake_step_t S_NO_STARTTLS[] = {
    GREET("mx1.good.test"),
    EHLO_OK("mx1.good.test"),
    QUIT_OK,
};
static const fake_step_t S_STARTTLS[] = {
    GREET("mx2.good.test"),
    {"EHLO client.test\r\n", "250-mx2.good.test\r\n250 STARTTLS\r\n", 0},
    {"STARTTLS\r\n", "220 2.0.0 Ready\r\n", 0},
    EHLO_OK("mx2.good.test"),
    MAIL_OK,
    RCPT_OK("alice@good.test"),
    DATA_OK,
    QUIT_OK,
};

#define SCRIPT(fs, s) fake_stream_script((fs), (s), sizeof(s) / sizeof((s)[0]))

/* ------------------------------------------------------------ tests --- */

static void test_client_mx_two_domains_two_sessions(void **state)
{
    static const zone_t z[] = {
        {"good.test", Z_MX, {"10 mx1.good.test"}},
        {"other.test", Z_MX, {"10 mx.other.test", "20 mx2.other.test"}},
    };
    const smtpc_result_t *r;
    (void)state;
    zones(z, 2);
    SCRIPT(&fx.fs[0], S_GOOD_ALICE_CAROL);
    SCRIPT(&fx.fs[1], S_OTHER_BOB_REJECTED);
    route("mx1.good.test", SMTPC_OK, &fx.fs[0]);
    route("mx.other.test", SMTPC_OK, &fx.fs[1]);
    route("mx2.other.test", SMTPC_OK, &fx.fs[2]);
    set_to("alice@good.test", "bob@other.test", "carol@GOOD.test");
    assert_int_equal(run(), SMTPC_ERR_RCPT_SOME_REJECTED);
    r = smtpc_client_result(&fx.c);
    /* two lookups, in the order the domains first appear */
    assert_int_equal(fx.ns.queries, 2);
    assert_string_equal(fx.ns.asked[0], "good.test");
    assert_string_equal(fx.ns.asked[1], "other.test");
    /* two sessions, port 25; a 5xx to RCPT is final: mx2.other.test untried */
    assert_int_equal(fx.net.calls, 2);
    assert_string_equal(fx.net.host[0], "mx1.good.test");
    assert_int_equal(fx.net.port[0], 25);
    assert_string_equal(fx.net.host[1], "mx.other.test");
    assert_int_equal(fx.net.port[1], 25);
    assert_true(fake_stream_script_done(&fx.fs[0]));
    assert_true(fake_stream_script_done(&fx.fs[1]));
    assert_int_equal(fx.fs[2].send_calls, 0);
    /* each recipient with its own result */
    assert_int_equal(r->err, SMTPC_ERR_RCPT_SOME_REJECTED);
    assert_int_equal(r->rcpt_count, 3);
    assert_int_equal(r->rcpt_accepted, 2);
    assert_int_equal(r->hosts_tried, 2);
    assert_int_equal(r->rcpt[0].err, SMTPC_OK);
    assert_int_equal(r->rcpt[0].code, 250);
    assert_int_equal(r->rcpt[1].err, SMTPC_ERR_SMTP_REJECTED);
    assert_int_equal(r->rcpt[1].code, 550);
    assert_int_equal(r->rcpt[1].enh[0], 5);
    assert_int_equal(r->rcpt[1].enh[1], 1);
    assert_int_equal(r->rcpt[1].enh[2], 1);
    assert_int_equal(r->rcpt[2].err, SMTPC_OK);
    assert_int_equal(r->rcpt[2].code, 250);
    assert_true(r->flags & SMTPC_RESULT_ACCEPTED);
    /* the body went to the session that accepted it */
    assert_true(sent_contains(&fx.fs[0], "hello\r\n.\r\n"));
    assert_false(sent_contains(&fx.fs[1], "hello"));
}

static void test_client_mx_two_domains_all_delivered_rewinds(void **state)
{
    static const zone_t z[] = {
        {"good.test", Z_MX, {"10 mx1.good.test"}},
        {"other.test", Z_MX, {"10 mx.other.test"}},
    };
    const smtpc_result_t *r;
    (void)state;
    zones(z, 2);
    SCRIPT(&fx.fs[0], S_GOOD_ALICE);
    SCRIPT(&fx.fs[1], S_OTHER_BOB);
    route("mx1.good.test", SMTPC_OK, &fx.fs[0]);
    route("mx.other.test", SMTPC_OK, &fx.fs[1]);
    set_to("alice@good.test", "bob@other.test", NULL);
    assert_int_equal(run(), SMTPC_OK);
    r = smtpc_client_result(&fx.c);
    assert_int_equal(r->stage, SMTPC_STAGE_DONE);
    assert_int_equal(r->rcpt_accepted, 2);
    assert_int_equal(fx.body.rewinds, 1);
    assert_true(sent_contains(&fx.fs[0], "Subject: mx test\r\n\r\nhello\r\n.\r\n"));
    assert_true(sent_contains(&fx.fs[1], "Subject: mx test\r\n\r\nhello\r\n.\r\n"));
    assert_true(fake_stream_script_done(&fx.fs[0]));
    assert_true(fake_stream_script_done(&fx.fs[1]));
}

static void test_client_mx_connect_failure_next_mx(void **state)
{
    static const zone_t z[] = {
        {"fallback.test", Z_MX, {"20 mx1.good.test", "10 mx.dead.test"}},
    };
    const smtpc_result_t *r;
    static const fake_step_t s[] = {
        GREET("mx1.good.test"),
        EHLO_OK("mx1.good.test"),
        MAIL_OK,
        RCPT_OK("alice@fallback.test"),
        DATA_OK,
        QUIT_OK,
    };
    (void)state;
    zones(z, 1);
    SCRIPT(&fx.fs[0], s);
    route("mx.dead.test", SMTPC_ERR_NET_CONNECT, NULL);
    route("mx1.good.test", SMTPC_OK, &fx.fs[0]);
    fx.src.rewind = NULL; /* nothing was read: no rewind needed */
    set_to("alice@fallback.test", NULL, NULL);
    assert_int_equal(run(), SMTPC_OK);
    r = smtpc_client_result(&fx.c);
    assert_int_equal(fx.net.calls, 2);
    assert_string_equal(fx.net.host[0], "mx.dead.test");
    assert_string_equal(fx.net.host[1], "mx1.good.test");
    assert_int_equal(r->hosts_tried, 2);
    assert_string_equal(r->host, "mx1.good.test");
    assert_int_equal(r->rcpt[0].err, SMTPC_OK);
    assert_false(r->flags & SMTPC_RESULT_NO_REWIND);
    assert_true(fake_stream_script_done(&fx.fs[0]));
}

static void test_client_mx_all_mx_fail_last_error(void **state)
{
    static const zone_t z[] = {
        {"fallback.test", Z_MX, {"10 mx.dead.test", "20 mx.dead2.test"}},
    };
    const smtpc_result_t *r;
    (void)state;
    zones(z, 1);
    route("mx.dead.test", SMTPC_ERR_NET_CONNECT, NULL);
    route("mx.dead2.test", SMTPC_ERR_NET_RESOLVE, NULL);
    set_to("alice@fallback.test", NULL, NULL);
    assert_int_equal(run(), SMTPC_ERR_NET_RESOLVE);
    r = smtpc_client_result(&fx.c);
    assert_int_equal(r->stage, SMTPC_STAGE_CONNECT);
    assert_int_equal(r->hosts_tried, 2);
    assert_int_equal(r->rcpt[0].err, SMTPC_ERR_NET_RESOLVE);
    assert_int_equal(r->rcpt[0].code, 0);
}

static void test_client_mx_greeting_421_next_mx(void **state)
{
    static const zone_t z[] = {
        {"good.test", Z_MX, {"10 mx0.good.test", "20 mx1.good.test"}},
    };
    (void)state;
    zones(z, 1);
    SCRIPT(&fx.fs[0], S_GREETING_421);
    SCRIPT(&fx.fs[1], S_GOOD_ALICE);
    route("mx0.good.test", SMTPC_OK, &fx.fs[0]);
    route("mx1.good.test", SMTPC_OK, &fx.fs[1]);
    set_to("alice@good.test", NULL, NULL);
    assert_int_equal(run(), SMTPC_OK);
    assert_int_equal(fx.net.calls, 2);
    assert_string_equal(fx.net.host[1], "mx1.good.test");
    assert_true(fake_stream_script_done(&fx.fs[1]));
    assert_int_equal(smtpc_client_result(&fx.c)->hosts_tried, 2);
}

static void test_client_mx_starttls_missing_next_mx(void **state)
{
    static const zone_t z[] = {
        {"good.test", Z_MX, {"10 mx1.good.test", "20 mx2.good.test"}},
    };
    const smtpc_result_t *r;
    (void)state;
    zones(z, 1);
    fx.cfg.session.tls_mode = SMTPC_TLS_STARTTLS;
    fx.cfg.session.tls_level = SMTPC_TLS_ENCRYPTED;
    SCRIPT(&fx.fs[0], S_NO_STARTTLS);
    SCRIPT(&fx.fs[1], S_STARTTLS);
    route("mx1.good.test", SMTPC_OK, &fx.fs[0]);
    route("mx2.good.test", SMTPC_OK, &fx.fs[1]);
    set_to("alice@good.test", NULL, NULL);
    assert_int_equal(run(), SMTPC_OK);
    r = smtpc_client_result(&fx.c);
    assert_int_equal(fx.net.calls, 2);
    assert_string_equal(fx.net.host[1], "mx2.good.test");
    assert_string_equal(fx.tls.sni, "mx2.good.test");
    assert_int_equal(r->tls_reached, SMTPC_REACHED_VERIFIED);
    /* nothing of the transaction went to mx1 */
    assert_false(sent_contains(&fx.fs[0], "MAIL FROM"));
    assert_true(fake_stream_script_done(&fx.fs[1]));
    /* MAIL, RCPT and the body only inside TLS at mx2 */
    assert_true(sent_contains(&fx.fs[1], "MAIL FROM:<a@sender.test>"));
    assert_false(plain_contains(&fx.fs[1], "MAIL FROM"));
    assert_false(plain_contains(&fx.fs[1], "hello"));
}

static void test_client_mx_mail_5xx_final(void **state)
{
    static const zone_t z[] = {
        {"good.test", Z_MX, {"10 mx1.good.test", "20 mx2.good.test"}},
    };
    const smtpc_result_t *r;
    (void)state;
    zones(z, 1);
    SCRIPT(&fx.fs[0], S_MAIL_550);
    route("mx1.good.test", SMTPC_OK, &fx.fs[0]);
    route("mx2.good.test", SMTPC_OK, &fx.fs[1]);
    set_to("alice@good.test", NULL, NULL);
    assert_int_equal(run(), SMTPC_ERR_MAIL_REJECTED);
    r = smtpc_client_result(&fx.c);
    assert_int_equal(fx.net.calls, 1);
    assert_int_equal(r->stage, SMTPC_STAGE_MAIL);
    assert_int_equal(r->reply_code, 550);
    assert_int_equal(r->hosts_tried, 1);
    assert_int_equal(r->rcpt[0].err, SMTPC_ERR_MAIL_REJECTED);
    assert_int_equal(r->rcpt[0].code, 0);
}

static void test_client_mx_rcpt_5xx_final(void **state)
{
    static const zone_t z[] = {
        {"other.test", Z_MX, {"10 mx.other.test", "20 mx2.other.test"}},
    };
    const smtpc_result_t *r;
    (void)state;
    zones(z, 1);
    SCRIPT(&fx.fs[0], S_OTHER_BOB_REJECTED);
    route("mx.other.test", SMTPC_OK, &fx.fs[0]);
    route("mx2.other.test", SMTPC_OK, &fx.fs[1]);
    set_to("bob@other.test", NULL, NULL);
    assert_int_equal(run(), SMTPC_ERR_RCPT_ALL_REJECTED);
    r = smtpc_client_result(&fx.c);
    assert_int_equal(fx.net.calls, 1);
    assert_int_equal(r->stage, SMTPC_STAGE_RCPT);
    assert_int_equal(r->rcpt[0].err, SMTPC_ERR_SMTP_REJECTED);
    assert_int_equal(r->rcpt[0].code, 550);
    assert_int_equal(fx.fs[1].send_calls, 0);
}

static void assert_dns_failure(const char *domain, int kind, int want)
{
    zone_t z[1];
    const smtpc_result_t *r;
    char to[64];
    setup(NULL);
    z[0].name = domain;
    z[0].kind = kind;
    memset(z[0].mx, 0, sizeof(z[0].mx));
    zones(z, 1);
    snprintf(to, sizeof(to), "alice@%s", domain);
    set_to(to, NULL, NULL);
    assert_int_equal(run(), want);
    r = smtpc_client_result(&fx.c);
    assert_int_equal(r->err, want);
    assert_int_equal(r->stage, SMTPC_STAGE_DNS);
    assert_int_equal(r->rcpt[0].err, want);
    assert_int_equal(r->rcpt[0].code, 0);
    assert_int_equal(r->hosts_tried, 0);
    assert_int_equal(r->rcpt_accepted, 0);
    assert_int_equal(fx.net.calls, 0);
    assert_false(fx.dg.is_open);
}

static void test_client_mx_null_mx(void **state)
{
    char line[160];
    (void)state;
    assert_dns_failure("nullmx.test", Z_NULLMX, SMTPC_ERR_DNS_NULL_MX);
    smtpc_result_format(smtpc_client_result(&fx.c), line, sizeof(line));
    assert_non_null(strstr(line, "SMTPC_ERR_DNS_NULL_MX stage=DNS"));
}

static void test_client_mx_dns_errors(void **state)
{
    (void)state;
    assert_dns_failure("nosuch.test", Z_NXDOMAIN, SMTPC_ERR_DNS_NXDOMAIN);
    assert_int_equal(fx.dg.send_calls, 1);
    assert_dns_failure("servfail.test", Z_SERVFAIL, SMTPC_ERR_DNS_SERVFAIL);
    assert_dns_failure("refused.test", Z_REFUSED, SMTPC_ERR_DNS_REFUSED);
    assert_dns_failure("dnstimeout.test", Z_DROP, SMTPC_ERR_DNS_TIMEOUT);
    /* SMTPC_DNS_TRIES tries of SMTPC_DNS_TIMEOUT_MS each, on the fake clock */
    assert_int_equal(fx.dg.send_calls, SMTPC_DNS_TRIES);
    assert_int_equal(fx.clk.now_ms - T0, SMTPC_DNS_TRIES * SMTPC_DNS_TIMEOUT_MS);
}

static void test_client_mx_nodata_implicit_mx(void **state)
{
    static const zone_t z[] = {{"nomx.test", Z_NODATA, {NULL}}};
    static const fake_step_t s[] = {
        GREET("nomx.test"),
        EHLO_OK("nomx.test"),
        MAIL_OK,
        RCPT_OK("alice@NoMX.test"),
        DATA_OK,
        QUIT_OK,
    };
    const smtpc_result_t *r;
    (void)state;
    zones(z, 1);
    SCRIPT(&fx.fs[0], s);
    route("nomx.test", SMTPC_OK, &fx.fs[0]);
    set_to("alice@NoMX.test", NULL, NULL);
    assert_int_equal(run(), SMTPC_OK);
    r = smtpc_client_result(&fx.c);
    assert_string_equal(fx.ns.asked[0], "nomx.test");
    assert_int_equal(fx.net.calls, 1);
    assert_string_equal(fx.net.host[0], "nomx.test");
    assert_int_equal(fx.net.port[0], 25);
    assert_true(r->flags & SMTPC_RESULT_IMPLICIT_MX);
    assert_int_equal(r->hosts_tried, 1);
}

static void test_client_mx_one_domain_fails_other_delivered(void **state)
{
    static const zone_t z[] = {
        {"good.test", Z_MX, {"10 mx1.good.test"}},
        {"nosuch.test", Z_NXDOMAIN, {NULL}},
    };
    const smtpc_result_t *r;
    (void)state;
    zones(z, 2);
    SCRIPT(&fx.fs[0], S_GOOD_ALICE);
    route("mx1.good.test", SMTPC_OK, &fx.fs[0]);
    set_to("x@nosuch.test", "alice@good.test", NULL);
    assert_int_equal(run(), SMTPC_ERR_RCPT_SOME_REJECTED);
    r = smtpc_client_result(&fx.c);
    assert_int_equal(r->rcpt[0].err, SMTPC_ERR_DNS_NXDOMAIN);
    assert_int_equal(r->rcpt[1].err, SMTPC_OK);
    assert_int_equal(r->rcpt_accepted, 1);
    assert_true(fake_stream_script_done(&fx.fs[0]));
}

/* Two domains, a body source without rewind: the body was read for the
 * first domain's session, so the second domain cannot get it. */
static void no_rewind_two_domains(void)
{
    static const zone_t z[] = {
        {"good.test", Z_MX, {"10 mx1.good.test"}},
        {"other.test", Z_MX, {"10 mx.other.test"}},
    };
    zones(z, 2);
    SCRIPT(&fx.fs[0], S_GOOD_ALICE);
    SCRIPT(&fx.fs[1], S_OTHER_BOB);
    route("mx1.good.test", SMTPC_OK, &fx.fs[0]);
    route("mx.other.test", SMTPC_OK, &fx.fs[1]);
    fx.src.rewind = NULL;
    set_to("alice@good.test", "bob@other.test", NULL);
}

static void test_client_mx_no_rewind_second_domain(void **state)
{
    const smtpc_result_t *r;
    (void)state;
    no_rewind_two_domains();
    (void)run();
    r = smtpc_client_result(&fx.c);
    assert_true(r->flags & SMTPC_RESULT_NO_REWIND);
    assert_int_equal(r->rcpt[0].err, SMTPC_OK);
    assert_int_equal(r->rcpt[0].code, 250);
    assert_true(fake_stream_script_done(&fx.fs[0]));
    /* other.test was never contacted */
    assert_int_equal(fx.net.calls, 1);
    assert_int_equal(fx.fs[1].send_calls, 0);
    assert_int_equal(fx.ns.queries, 2);
}

/* A session that ends in client_begin_session() before it connects (no
 * rewind, total deadline) must report its own error, not the outcome of the
 * previous session (which was SMTPC_OK: the recipients would be reported
 * accepted although nothing was sent). */
static void test_client_mx_no_rewind_second_domain_reported_failed(void **state)
{
    const smtpc_result_t *r;
    (void)state;
    no_rewind_two_domains();
    assert_int_equal(run(), SMTPC_ERR_RCPT_SOME_REJECTED);
    r = smtpc_client_result(&fx.c);
    assert_int_equal(r->rcpt_accepted, 1);
    assert_int_equal(r->rcpt[1].err, SMTPC_ERR_NO_REWIND);
    assert_int_equal(r->rcpt[1].code, 0);
}

static void test_client_mx_deadline_before_literal_session_reported_failed(void **state)
{
    static const zone_t z[] = {
        {"good.test", Z_MX, {"10 mx1.good.test"}},
        {"dnstimeout.test", Z_DROP, {NULL}},
    };
    const smtpc_result_t *r;
    (void)state;
    zones(z, 2);
    SCRIPT(&fx.fs[0], S_GOOD_ALICE);
    route("mx1.good.test", SMTPC_OK, &fx.fs[0]);
    route("192.0.2.1", SMTPC_OK, &fx.fs[1]);
    fx.cfg.timeouts.total_ms = SMTPC_DNS_TIMEOUT_MS + 1000u; /* runs out during the 2nd lookup */
    set_to("alice@good.test", "x@dnstimeout.test", "y@[192.0.2.1]");
    assert_int_equal(run(), SMTPC_ERR_RCPT_SOME_REJECTED);
    r = smtpc_client_result(&fx.c);
    assert_int_equal(r->rcpt[0].err, SMTPC_OK);
    assert_int_equal(r->rcpt[1].err, SMTPC_ERR_TIMEOUT);
    assert_int_equal(fx.net.calls, 1);                   /* 192.0.2.1 was never contacted ... */
    assert_int_equal(r->rcpt[2].err, SMTPC_ERR_TIMEOUT); /* ... so it cannot be accepted */
    assert_int_equal(r->rcpt_accepted, 1);
}

static void test_client_mx_no_rewind_failure_after_body_not_retried(void **state)
{
    static const zone_t z[] = {
        {"good.test", Z_MX, {"10 mx1.good.test", "20 mx2.good.test"}},
    };
    static const fake_step_t s[] = {
        GREET("mx1.good.test"),
        EHLO_OK("mx1.good.test"),
        MAIL_OK,
        RCPT_OK("alice@good.test"),
        {"DATA\r\n", "354 go ahead\r\n", 0},
        {".\r\n", "451 4.3.0 try later\r\n", 0},
        QUIT_OK,
    };
    const smtpc_result_t *r;
    (void)state;
    zones(z, 1);
    SCRIPT(&fx.fs[0], s);
    route("mx1.good.test", SMTPC_OK, &fx.fs[0]);
    route("mx2.good.test", SMTPC_OK, &fx.fs[1]);
    fx.src.rewind = NULL;
    set_to("alice@good.test", NULL, NULL);
    assert_int_not_equal(run(), SMTPC_OK);
    r = smtpc_client_result(&fx.c);
    /* after the body the transaction had begun: no second MX, rewind or not */
    assert_int_equal(fx.net.calls, 1);
    assert_int_equal(fx.fs[1].send_calls, 0);
    assert_int_equal(r->stage, SMTPC_STAGE_DATA_END);
    assert_int_equal(r->reply_code, 451);
    assert_int_equal(fx.body.rewinds, 0);
}

static void test_client_mx_address_literal_no_dns(void **state)
{
    static const fake_step_t s4[] = {
        GREET("literal"), EHLO_OK("literal"), MAIL_OK, RCPT_OK("alice@[192.0.2.1]"), DATA_OK,
        QUIT_OK,
    };
    static const fake_step_t s6[] = {
        GREET("literal6"), EHLO_OK("literal6"), MAIL_OK, RCPT_OK("bob@[IPv6:2001:db8::1]"), DATA_OK,
        QUIT_OK,
    };
    const smtpc_result_t *r;
    (void)state;
    SCRIPT(&fx.fs[0], s4);
    SCRIPT(&fx.fs[1], s6);
    route("192.0.2.1", SMTPC_OK, &fx.fs[0]);
    route("2001:db8::1", SMTPC_OK, &fx.fs[1]);
    set_to("alice@[192.0.2.1]", "bob@[IPv6:2001:db8::1]", NULL);
    assert_int_equal(run(), SMTPC_OK);
    r = smtpc_client_result(&fx.c);
    assert_int_equal(fx.dg.open_calls, 0);
    assert_int_equal(fx.ns.queries, 0);
    assert_int_equal(fx.net.calls, 2);
    assert_string_equal(fx.net.host[0], "192.0.2.1");
    assert_int_equal(fx.net.port[0], 25);
    assert_string_equal(fx.net.host[1], "2001:db8::1");
    assert_int_equal(r->rcpt_accepted, 2);
}

static void test_client_mx_literal_exchange_skipped(void **state)
{
    static const zone_t z[] = {
        {"good.test", Z_MX, {"5 192.0.2.7", "10 mx1.good.test"}},
        {"bad.test", Z_MX, {"10 192.0.2.8"}},
    };
    const smtpc_result_t *r;
    (void)state;
    zones(z, 2);
    SCRIPT(&fx.fs[0], S_GOOD_ALICE);
    route("mx1.good.test", SMTPC_OK, &fx.fs[0]);
    route("192.0.2.7", SMTPC_OK, &fx.fs[1]);
    route("192.0.2.8", SMTPC_OK, &fx.fs[2]);
    set_to("alice@good.test", "x@bad.test", NULL);
    assert_int_equal(run(), SMTPC_ERR_RCPT_SOME_REJECTED);
    r = smtpc_client_result(&fx.c);
    assert_int_equal(fx.net.calls, 1);
    assert_string_equal(fx.net.host[0], "mx1.good.test");
    assert_int_equal(r->rcpt[0].err, SMTPC_OK);
    /* only an address-like exchange: nothing usable */
    assert_int_equal(r->rcpt[1].err, SMTPC_ERR_DNS_FORMAT);
}

static void test_client_mx_best_preference_first(void **state)
{
    static const zone_t z[] = {
        {"good.test", Z_MX, {"30 mx3.good.test", "10 mx1.good.test", "20 mx2.good.test"}},
    };
    (void)state;
    zones(z, 1);
    SCRIPT(&fx.fs[0], S_GOOD_ALICE);
    route("mx1.good.test", SMTPC_OK, &fx.fs[0]);
    set_to("alice@good.test", NULL, NULL);
    assert_int_equal(run(), SMTPC_OK);
    assert_int_equal(fx.net.calls, 1);
    assert_string_equal(fx.net.host[0], "mx1.good.test");
}

static void test_client_mx_init_needs_dgram_and_rng(void **state)
{
    (void)state;
    fx.plat.dgram = NULL;
    assert_int_equal(smtpc_client_init(&fx.c, &fx.cfg, &fx.plat, &fx.mem), SMTPC_ERR_BAD_ARG);
    fx.plat.dgram = &fake_dgram_ops;
    fx.plat.rng = NULL;
    assert_int_equal(smtpc_client_init(&fx.c, &fx.cfg, &fx.plat, &fx.mem), SMTPC_ERR_BAD_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_client_mx_two_domains_two_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_mx_two_domains_all_delivered_rewinds, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_client_mx_connect_failure_next_mx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_mx_all_mx_fail_last_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_mx_greeting_421_next_mx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_mx_starttls_missing_next_mx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_mx_mail_5xx_final, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_mx_rcpt_5xx_final, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_mx_null_mx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_mx_dns_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_mx_nodata_implicit_mx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_mx_one_domain_fails_other_delivered, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_client_mx_no_rewind_second_domain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_mx_no_rewind_second_domain_reported_failed,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_client_mx_deadline_before_literal_session_reported_failed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_mx_no_rewind_failure_after_body_not_retried,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_mx_address_literal_no_dns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_mx_literal_exchange_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_mx_best_preference_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_mx_init_needs_dgram_and_rng, setup, teardown),
    };

    return cmocka_run_group_tests_name("client_mx", tests, NULL, NULL);
}
