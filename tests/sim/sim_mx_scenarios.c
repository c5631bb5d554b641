/* DNS and MX delivery scenarios: the real client in SMTPC_MODE_MX against the
 * simulated nameservers of sim_dns.c and named SMTP hosts of the fake net.
 *
 * Each scenario states the exact outcome: error and stage, the error of each
 * recipient, how many hosts were tried and which came last, the MX flags of
 * the result, how many UDP and TCP queries the client sent, and the virtual
 * time from the start to the first SMTP connect (or to the end, when no host
 * was reached). On top, every run checks that the client closed what it
 * opened, that no peer saw a protocol violation and, unless plaintext was
 * allowed, that no MAIL, RCPT, DATA or body byte reached a host before TLS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define MX_DELIVERS     0x01u /* the message arrives intact at result.host */
#define MX_PLAINTEXT_OK 0x02u /* plaintext allowed: no leak check */
#define MX_SHUFFLE      0x04u /* run with several rng seeds; result.host varies */

#define MX_RESULT_FLAGS (SMTPC_RESULT_IMPLICIT_MX | SMTPC_RESULT_NO_REWIND)

#define MX_SHUFFLE_SEEDS 8u

typedef const char *(*mx_check_fn)(sim_world_t *w, char *buf, size_t cap);

typedef struct {
    const char *name;
    const char *desc;
    void (*setup)(sim_world_t *w);
    int err;
    int stage;
    int rcpt_err[SMTPC_MAX_RCPT]; /* per recipient of the envelope */
    unsigned hosts_tried;
    const char *host;  /* result.host; NULL: none (no session started) */
    unsigned mx_flags; /* result.flags & MX_RESULT_FLAGS */
    unsigned udp;      /* UDP queries the client sent (lost ones included) */
    unsigned tcp;      /* DNS-over-TCP queries */
    uint32_t t_ms;     /* virtual ms: start -> first SMTP connect, or -> end */
    unsigned flags;    /* MX_* */
    mx_check_fn check;
} mx_scenario_t;

/* ------------------------------------------------------------ helpers -- */

static const char *mx_fail(char *buf, size_t cap, const char *want, const char *got)
{
    snprintf(buf, cap, "expected %s got %s", want, got);
    return buf;
}

static const char *mx_fail_u(char *buf, size_t cap, const char *what, unsigned long want,
                             unsigned long got)
{
    snprintf(buf, cap, "expected %s %lu got %lu", what, want, got);
    return buf;
}

/* Virtual ms from the start to the first SMTP connect (or to the end). */
static uint32_t mx_elapsed(const sim_world_t *w)
{
    unsigned i;
    for (i = 0; i < w->net.log_len; i++) {
        if (!sim_is_nameserver(w->net.log[i].host)) {
            return w->net.log[i].t - w->t_begin;
        }
    }
    return w->t_end - w->t_begin;
}

/* ------------------------------------------------------------ setups --- */

#define MX_EHLO_HEAD "250-mail.example.test Hello client.example.test\r\n"
#define MX_EHLO_PLAIN                                                                              \
    MX_EHLO_HEAD "250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n"                         \
                 "250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n"
#define MX_EHLO_TLS                                                                                \
    MX_EHLO_HEAD "250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n"                         \
                 "250 ENHANCEDSTATUSCODES\r\n"
#define MX_EHLO_NO_STARTTLS MX_EHLO_HEAD "250-PIPELINING\r\n250 8BITMIME\r\n"

/* MX delivery on port 25 with STARTTLS at level VERIFIED and no AUTH; one
 * nameserver that knows nothing yet. The hosts' certificates: "good" is for
 * mail.example.test, "wildcard" for *.example.test. */
static void mx_base(sim_world_t *w)
{
    w->ccfg.mode = SMTPC_MODE_MX;
    w->ccfg.host = NULL;
    w->ccfg.port = 0;
    w->ccfg.session.user = NULL;
    w->ccfg.session.pass = NULL;
    w->ccfg.session.tls_level = SMTPC_TLS_VERIFIED;
    w->peer_cfg.ehlo_plain = MX_EHLO_PLAIN;
    w->peer_cfg.ehlo_tls = MX_EHLO_TLS;
    /* MTA-STS (on by default in MX mode) has its own scenarios in
     * sim_sts_scenarios.c; here its TXT lookup would only shift the query
     * counts and timings these scenarios pin down for the MX lookup. */
    w->ccfg.sts_off = 1;
}

/* example.test MX 10 mail.example.test, and that host. */
static void su_std(sim_world_t *w)
{
    (void)sim_dns_add(&w->dns, "example.test", SMTPC_DNS_TYPE_MX, 10, "mail.example.test");
    (void)sim_world_add_host(w, "mail.example.test", "good");
}

static void su_loss(sim_world_t *w)
{
    su_std(w);
    w->dns.cfg.drop_first = 1;
}

static void su_all_lost(sim_world_t *w)
{
    su_std(w);
    w->dns.cfg.drop_first = SMTPC_DNS_TRIES;
}

static void su_delay(sim_world_t *w)
{
    su_std(w);
    w->dns.cfg.delay_ms = 1500;
}

static void su_delay_late(sim_world_t *w)
{
    su_std(w);
    w->dns.cfg.delay_ms = SMTPC_DNS_TIMEOUT_MS + 500u;
}

static void su_servfail(sim_world_t *w)
{
    su_std(w);
    w->dns.cfg.mode[0] = SIM_NS_SERVFAIL;
}

static void su_refused(sim_world_t *w)
{
    su_std(w);
    w->dns.cfg.mode[0] = SIM_NS_REFUSED;
}

static void su_nxdomain(sim_world_t *w)
{
    su_std(w);
    w->rcpts[0] = "bob@nowhere.example.test";
}

static void su_truncated(sim_world_t *w)
{
    su_std(w);
    w->dns.cfg.truncate_udp = true;
}

static void su_spoof(sim_world_t *w)
{
    su_std(w);
    w->dns.cfg.spoof = true;
    /* The attacker's MX exists and would take the mail. */
    (void)sim_world_add_host(w, SIM_DNS_EVIL_MX, "wildcard");
}

static void su_second_server(sim_world_t *w)
{
    su_std(w);
    w->dns.cfg.servers = 2;
    w->dns.cfg.mode[0] = SIM_NS_SILENT;
}

static void su_second_unreachable(sim_world_t *w)
{
    su_std(w);
    w->dns.cfg.servers = 2;
    w->dns.cfg.mode[0] = SIM_NS_UNREACHABLE;
}

static void su_cname(sim_world_t *w)
{
    (void)sim_dns_add(&w->dns, "example.test", SMTPC_DNS_TYPE_CNAME, 0, "alias.example.net");
    (void)sim_dns_add(&w->dns, "alias.example.net", SMTPC_DNS_TYPE_CNAME, 0, "mx.example.net");
    (void)sim_dns_add(&w->dns, "mx.example.net", SMTPC_DNS_TYPE_MX, 10, "mail.example.test");
    (void)sim_world_add_host(w, "mail.example.test", "good");
}

static void su_other_types(sim_world_t *w)
{
    (void)sim_dns_add(&w->dns, "example.test", SMTPC_DNS_TYPE_TXT, 0, "v=spf1 mx -all");
    (void)sim_dns_add(&w->dns, "example.test", SMTPC_DNS_TYPE_A, 0, "192.0.2.10");
    su_std(w);
    w->dns.cfg.answer_all_types = true;
}

static void su_null_mx(sim_world_t *w)
{
    (void)sim_dns_add(&w->dns, "example.test", SMTPC_DNS_TYPE_MX, 0, "");
    (void)sim_world_add_host(w, "example.test", "wildcard");
}

static void su_implicit(sim_world_t *w)
{
    /* The domain has an address but no MX: it is its own mail host. */
    (void)sim_dns_add(&w->dns, "mail.example.test", SMTPC_DNS_TYPE_A, 0, "192.0.2.25");
    (void)sim_world_add_host(w, "mail.example.test", "good");
    w->rcpts[0] = "bob@mail.example.test";
}

/* MX 20 mail.example.test listed first, MX 10 a.example.test: sorting puts
 * a.example.test first. */
static void su_two_mx(sim_world_t *w)
{
    (void)sim_dns_add(&w->dns, "example.test", SMTPC_DNS_TYPE_MX, 20, "mail.example.test");
    (void)sim_dns_add(&w->dns, "example.test", SMTPC_DNS_TYPE_MX, 10, "a.example.test");
    (void)sim_world_add_host(w, "a.example.test", "wildcard");
    (void)sim_world_add_host(w, "mail.example.test", "good");
}

static void su_fallback(sim_world_t *w)
{
    su_two_mx(w);
    sim_world_host(w, "a.example.test")->refuse = true;
}

static void su_fallback_starttls(sim_world_t *w)
{
    su_two_mx(w);
    w->ccfg.session.tls_level = SMTPC_TLS_ENCRYPTED;
    /* A middlebox strips STARTTLS from the first MX's EHLO reply. */
    sim_world_host(w, "a.example.test")->cfg.ehlo_plain = MX_EHLO_NO_STARTTLS;
}

static void su_rcpt_5xx(sim_world_t *w)
{
    su_two_mx(w);
    sim_world_host(w, "a.example.test")->cfg.rcpt_reply[0] =
        "550 5.1.1 <bob@example.test>: Recipient address rejected\r\n";
}

static void su_two_domains(sim_world_t *w)
{
    sim_host_t *a;
    su_std(w);
    (void)sim_dns_add(&w->dns, "other.test", SMTPC_DNS_TYPE_MX, 10, "a.example.test");
    a = sim_world_add_host(w, "a.example.test", "wildcard");
    a->cfg.rcpt_reply[0] = "550 5.1.1 <carol@other.test>: Recipient address rejected\r\n";
    w->rcpts[1] = "carol@other.test";
    w->rcpts[2] = "dave@example.test";
    w->env.to_count = 3;
}

static void su_two_domains_no_rewind(sim_world_t *w)
{
    su_std(w);
    (void)sim_dns_add(&w->dns, "other.test", SMTPC_DNS_TYPE_MX, 10, "a.example.test");
    (void)sim_world_add_host(w, "a.example.test", "wildcard");
    w->rcpts[1] = "carol@other.test";
    w->env.to_count = 2;
    w->body_no_rewind = true;
}

static void su_no_rewind(sim_world_t *w)
{
    su_two_mx(w);
    w->body_no_rewind = true;
    sim_world_host(w, "a.example.test")->cfg.greeting = "554 5.3.2 No service here\r\n";
}

static void su_equal_pref(sim_world_t *w)
{
    (void)sim_dns_add(&w->dns, "example.test", SMTPC_DNS_TYPE_MX, 10, "a.example.test");
    (void)sim_dns_add(&w->dns, "example.test", SMTPC_DNS_TYPE_MX, 10, "mail.example.test");
    (void)sim_world_add_host(w, "a.example.test", "wildcard");
    (void)sim_world_add_host(w, "mail.example.test", "good");
}

/* ------------------------------------------------------------ checks --- */

static const char *ck_first_query(sim_world_t *w, char *buf, size_t cap)
{
    const sim_dns_query_t *q = &w->dns.log[0];
    if (w->dns.log_len < 1u || strcmp(q->qname, "example.test") != 0 ||
        q->qtype != SMTPC_DNS_TYPE_MX || q->server != 0u || q->tcp) {
        return mx_fail(buf, cap, "a UDP MX query for example.test to server 0",
                       w->dns.log_len < 1u ? "none" : q->qname);
    }
    return NULL;
}

/* Every try uses a fresh ID (RFC 5452 §9.2) and waits exactly the per-try
 * timeout before the next. */
static const char *ck_tries(sim_world_t *w, char *buf, size_t cap)
{
    unsigned i;
    unsigned j;
    for (i = 1; i < w->dns.log_len; i++) {
        uint32_t gap = w->dns.log[i].t - w->dns.log[i - 1u].t;
        if (gap != SMTPC_DNS_TIMEOUT_MS) {
            return mx_fail_u(buf, cap, "ms between tries", SMTPC_DNS_TIMEOUT_MS, gap);
        }
        for (j = 0; j < i; j++) {
            if (w->dns.log[i].id == w->dns.log[j].id) {
                return mx_fail_u(buf, cap, "a fresh ID per try, repeated", w->dns.log[j].id,
                                 w->dns.log[i].id);
            }
        }
    }
    return ck_first_query(w, buf, cap);
}

static const char *ck_loss(sim_world_t *w, char *buf, size_t cap)
{
    if (w->dns.lost != 1u || !w->dns.log[0].lost || w->dns.log[1].lost) {
        return mx_fail_u(buf, cap, "lost queries (the first)", 1, w->dns.lost);
    }
    return ck_tries(w, buf, cap);
}

static const char *ck_all_lost(sim_world_t *w, char *buf, size_t cap)
{
    if (w->dns.lost != SMTPC_DNS_TRIES || w->dns.delivered != 0u) {
        return mx_fail_u(buf, cap, "lost queries", SMTPC_DNS_TRIES, w->dns.lost);
    }
    return ck_tries(w, buf, cap);
}

static const char *ck_delay_late(sim_world_t *w, char *buf, size_t cap)
{
    if (w->dns.stale != SMTPC_DNS_TRIES || w->dns.delivered != 0u || w->dns.lost != 0u) {
        return mx_fail_u(buf, cap, "answers discarded at closed sockets", SMTPC_DNS_TRIES,
                         w->dns.stale);
    }
    return ck_tries(w, buf, cap);
}

static const char *ck_tcp(sim_world_t *w, char *buf, size_t cap)
{
    const sim_connect_t *c = &w->net.log[0];
    if (w->dns.tcp_connects != 1u || w->net.log_len < 2u || strcmp(c->host, SIM_DNS_ADDR0) != 0 ||
        c->port != SIM_DNS_PORT) {
        return mx_fail(buf, cap, "one TCP connect to " SIM_DNS_ADDR0 ":53",
                       w->net.log_len > 0u ? c->host : "none");
    }
    if (w->dns.tcp.client_close_calls == 0u) {
        return mx_fail(buf, cap, "the DNS TCP connection closed", "left open");
    }
    if (w->dns.log_len != 2u || w->dns.log[0].tcp || !w->dns.log[1].tcp) {
        return mx_fail(buf, cap, "a UDP then a TCP query", "another sequence");
    }
    return NULL;
}

static const char *ck_spoof(sim_world_t *w, char *buf, size_t cap)
{
    sim_host_t *evil = sim_world_host(w, SIM_DNS_EVIL_MX);
    if (evil->connects != 0u) {
        return mx_fail(buf, cap, "no connection to " SIM_DNS_EVIL_MX, "one");
    }
    /* Four forgeries and the real answer all reached the resolver. */
    if (w->dns.spoofs_sent != 4u || w->dns.delivered != 5u) {
        return mx_fail_u(buf, cap, "datagrams received by the client", 5, w->dns.delivered);
    }
    return ck_first_query(w, buf, cap);
}

static const char *ck_second_server(sim_world_t *w, char *buf, size_t cap)
{
    if (w->dns.udp_queries[0] != 1u || w->dns.udp_queries[1] != 1u || w->dns.log_len != 2u ||
        w->dns.log[0].server != 0u || w->dns.log[1].server != 1u) {
        return mx_fail_u(buf, cap, "queries at server 1 (after one at server 0)", 1,
                         w->dns.udp_queries[1]);
    }
    return NULL;
}

static const char *ck_connect_order(sim_world_t *w, char *buf, size_t cap)
{
    if (w->net.log_len != 2u || strcmp(w->net.log[0].host, "a.example.test") != 0 ||
        strcmp(w->net.log[1].host, "mail.example.test") != 0 || w->net.log[0].port != 25u ||
        w->net.log[1].port != 25u) {
        return mx_fail(buf, cap, "a.example.test:25 then mail.example.test:25",
                       w->net.log_len > 0u ? w->net.log[0].host : "none");
    }
    return NULL;
}

static const char *ck_starttls_missing(sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    sim_host_t *a = sim_world_host(w, "a.example.test");
    if (a->peer.saw_mail || !a->peer.saw_quit || a->peer.tls) {
        return mx_fail(buf, cap, "QUIT and no MAIL at the host without STARTTLS", "otherwise");
    }
    if (r->tls_reached == SMTPC_REACHED_NONE) {
        return mx_fail(buf, cap, "TLS with the second MX", "plaintext");
    }
    return ck_connect_order(w, buf, cap);
}

static const char *ck_rcpt_5xx(sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    if (sim_world_host(w, "mail.example.test")->connects != 0u) {
        return mx_fail(buf, cap, "no second MX after a 5xx to RCPT", "a connection");
    }
    if (r->rcpt[0].code != 550 || r->rcpt[0].enh[0] != 5 || r->rcpt[0].enh[1] != 1 ||
        r->rcpt[0].enh[2] != 1) {
        return mx_fail_u(buf, cap, "rcpt[0].code", 550, r->rcpt[0].code);
    }
    return NULL;
}

static const char *ck_two_domains(sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    sim_host_t *m = sim_world_host(w, "mail.example.test");
    sim_host_t *a = sim_world_host(w, "a.example.test");
    if (w->dns.log_len != 2u || strcmp(w->dns.log[0].qname, "example.test") != 0 ||
        strcmp(w->dns.log[1].qname, "other.test") != 0) {
        return mx_fail(buf, cap, "MX lookups for example.test then other.test", "others");
    }
    /* bob and dave share example.test: one session with two RCPTs. */
    if (m->peer.rcpt_idx != 2u || !m->peer.body_done || a->peer.rcpt_idx != 1u ||
        a->peer.body_done) {
        return mx_fail_u(buf, cap, "RCPTs at mail.example.test", 2, m->peer.rcpt_idx);
    }
    if (r->rcpt[1].code != 550 || r->rcpt_accepted != 2u || r->rcpt_count != 3u) {
        return mx_fail_u(buf, cap, "rcpt[1].code", 550, r->rcpt[1].code);
    }
    return NULL;
}

static const char *ck_two_domains_no_rewind(sim_world_t *w, char *buf, size_t cap)
{
    if (sim_world_host(w, "a.example.test")->connects != 0u) {
        return mx_fail(buf, cap, "no session without a rewound body", "a connection");
    }
    if (!sim_world_host(w, "mail.example.test")->peer.body_done) {
        return mx_fail(buf, cap, "the first domain delivered", "not delivered");
    }
    return NULL;
}

static const char *ck_no_rewind(sim_world_t *w, char *buf, size_t cap)
{
    sim_host_t *a = sim_world_host(w, "a.example.test");
    if (a->peer.ehlo_count != 0u || !a->peer.greeted) {
        return mx_fail(buf, cap, "the first MX refusing in its greeting", "otherwise");
    }
    return ck_connect_order(w, buf, cap);
}

/* ------------------------------------------------------------ table ---- */

#define OK_DONE .err = SMTPC_OK, .stage = SMTPC_STAGE_DONE
#define DNS_FAIL(e)                                                                                \
    .err = (e), .stage = SMTPC_STAGE_DNS, .rcpt_err = {(e)}, .hosts_tried = 0, .host = NULL
#define MAIL_HOST "mail.example.test"

static const mx_scenario_t mx_scenarios[] = {
    /* ---- the resolver */
    {.name = "dns_answer_first_try",
     .desc = "MX lookup answered at once; delivered to the MX",
     .setup = su_std,
     OK_DONE,
     .hosts_tried = 1,
     .host = MAIL_HOST,
     .udp = 1,
     .flags = MX_DELIVERS,
     .check = ck_first_query},
    {.name = "dns_loss_retry",
     .desc = "first query lost; answered on the retry one timeout later",
     .setup = su_loss,
     OK_DONE,
     .hosts_tried = 1,
     .host = MAIL_HOST,
     .udp = 2,
     .t_ms = SMTPC_DNS_TIMEOUT_MS,
     .flags = MX_DELIVERS,
     .check = ck_loss},
    {.name = "dns_all_lost",
     .desc = "every query lost: DNS timeout after SMTPC_DNS_TRIES tries",
     .setup = su_all_lost,
     DNS_FAIL(SMTPC_ERR_DNS_TIMEOUT),
     .udp = SMTPC_DNS_TRIES,
     .t_ms = SMTPC_DNS_TRIES * SMTPC_DNS_TIMEOUT_MS,
     .check = ck_all_lost},
    {.name = "dns_delay",
     .desc = "answer 1500 virtual ms late (within the per-try timeout)",
     .setup = su_delay,
     OK_DONE,
     .hosts_tried = 1,
     .host = MAIL_HOST,
     .udp = 1,
     .t_ms = 1500,
     .flags = MX_DELIVERS,
     .check = ck_first_query},
    /* Every answer arrives after the per-try timeout, so each reaches a
     * socket the resolver already closed (a fresh one per try): none is
     * used, and the lookup times out like a silent server. */
    {.name = "dns_delay_too_late",
     .desc = "every answer arrives after the per-try timeout, at a closed socket",
     .setup = su_delay_late,
     DNS_FAIL(SMTPC_ERR_DNS_TIMEOUT),
     .udp = SMTPC_DNS_TRIES,
     .t_ms = SMTPC_DNS_TRIES * SMTPC_DNS_TIMEOUT_MS,
     .check = ck_delay_late},
    {.name = "dns_servfail",
     .desc = "nameserver answers SERVFAIL",
     .setup = su_servfail,
     DNS_FAIL(SMTPC_ERR_DNS_SERVFAIL),
     .udp = 1,
     .check = ck_first_query},
    {.name = "dns_refused",
     .desc = "nameserver answers REFUSED",
     .setup = su_refused,
     DNS_FAIL(SMTPC_ERR_DNS_REFUSED),
     .udp = 1,
     .check = ck_first_query},
    {.name = "dns_nxdomain",
     .desc = "recipient domain does not exist",
     .setup = su_nxdomain,
     DNS_FAIL(SMTPC_ERR_DNS_NXDOMAIN),
     .udp = 1},
    {.name = "dns_truncated_tcp",
     .desc = "UDP answer with TC=1; asked again over TCP and delivered",
     .setup = su_truncated,
     OK_DONE,
     .hosts_tried = 1,
     .host = MAIL_HOST,
     .udp = 1,
     .tcp = 1,
     .flags = MX_DELIVERS,
     .check = ck_tcp},
    {.name = "dns_spoof_wrong_id",
     .desc = "forged answers (wrong ID, name, type, no QR) naming an attacker MX arrive first",
     .setup = su_spoof,
     OK_DONE,
     .hosts_tried = 1,
     .host = MAIL_HOST,
     .udp = 1,
     .flags = MX_DELIVERS,
     .check = ck_spoof},
    {.name = "dns_second_server",
     .desc = "nameserver 1 silent, nameserver 2 answers the second try",
     .setup = su_second_server,
     OK_DONE,
     .hosts_tried = 1,
     .host = MAIL_HOST,
     .udp = 2,
     .t_ms = SMTPC_DNS_TIMEOUT_MS,
     .flags = MX_DELIVERS,
     .check = ck_second_server},
    {.name = "dns_second_server_unreachable",
     .desc = "nameserver 1 port unreachable: nameserver 2 asked at once",
     .setup = su_second_unreachable,
     OK_DONE,
     .hosts_tried = 1,
     .host = MAIL_HOST,
     .udp = 2,
     .flags = MX_DELIVERS,
     .check = ck_second_server},
    {.name = "dns_cname_chain",
     .desc = "domain is a CNAME chain ending at the MX records",
     .setup = su_cname,
     OK_DONE,
     .hosts_tried = 1,
     .host = MAIL_HOST,
     .udp = 1,
     .flags = MX_DELIVERS},
    {.name = "dns_other_types",
     .desc = "TXT and A records in the answer next to the MX are ignored",
     .setup = su_other_types,
     OK_DONE,
     .hosts_tried = 1,
     .host = MAIL_HOST,
     .udp = 1,
     .flags = MX_DELIVERS},

    /* ---- MX selection and failover */
    {.name = "mx_null",
     .desc = "null MX (RFC 7505): the domain accepts no mail",
     .setup = su_null_mx,
     DNS_FAIL(SMTPC_ERR_DNS_NULL_MX),
     .udp = 1},
    {.name = "mx_implicit",
     .desc = "no MX records (NODATA): the domain itself is the mail host",
     .setup = su_implicit,
     OK_DONE,
     .hosts_tried = 1,
     .host = MAIL_HOST,
     .mx_flags = SMTPC_RESULT_IMPLICIT_MX,
     .udp = 1,
     .flags = MX_DELIVERS},
    {.name = "mx_fallback",
     .desc = "MX 10 refuses the connection; MX 20 delivers",
     .setup = su_fallback,
     OK_DONE,
     .hosts_tried = 2,
     .host = MAIL_HOST,
     .udp = 1,
     .flags = MX_DELIVERS,
     .check = ck_connect_order},
    {.name = "mx_fallback_starttls_missing",
     .desc = "STARTTLS stripped at MX 10 under level ENCRYPTED; MX 20 used",
     .setup = su_fallback_starttls,
     OK_DONE,
     .hosts_tried = 2,
     .host = MAIL_HOST,
     .udp = 1,
     .flags = MX_DELIVERS,
     .check = ck_starttls_missing},
    {.name = "mx_rcpt_5xx_final",
     .desc = "MX 10 answers 550 to RCPT: final, MX 20 is not tried",
     .setup = su_rcpt_5xx,
     .err = SMTPC_ERR_RCPT_ALL_REJECTED,
     .stage = SMTPC_STAGE_RCPT,
     .rcpt_err = {SMTPC_ERR_SMTP_REJECTED},
     .hosts_tried = 1,
     .host = "a.example.test",
     .udp = 1,
     .check = ck_rcpt_5xx},
    {.name = "mx_two_domains",
     .desc = "recipients in two domains: two lookups, two sessions, a result each",
     .setup = su_two_domains,
     .err = SMTPC_ERR_RCPT_SOME_REJECTED,
     .stage = SMTPC_STAGE_RCPT,
     .rcpt_err = {SMTPC_OK, SMTPC_ERR_SMTP_REJECTED, SMTPC_OK},
     .hosts_tried = 2,
     .host = "a.example.test",
     .udp = 2,
     .check = ck_two_domains},
    /* The body was read for the first domain and cannot be read again: the
     * second domain gets SMTPC_ERR_NO_REWIND and no session at all, so the
     * last host tried stays the first domain's, and the failure is placed at
     * the CONNECT stage (nothing was connected). */
    {.name = "mx_two_domains_no_rewind",
     .desc = "second domain after the body was read, without rewind: NO_REWIND",
     .setup = su_two_domains_no_rewind,
     .err = SMTPC_ERR_RCPT_SOME_REJECTED,
     .stage = SMTPC_STAGE_CONNECT,
     .rcpt_err = {SMTPC_OK, SMTPC_ERR_NO_REWIND},
     .hosts_tried = 1,
     .host = MAIL_HOST,
     .mx_flags = SMTPC_RESULT_NO_REWIND,
     .udp = 2,
     .check = ck_two_domains_no_rewind},
    /* Another MX needs the body again only once it was read, which happens
     * after DATA, where the outcome is final anyway. A failure at the
     * greeting read nothing: MX 20 is tried without rewind, and the result
     * does not claim NO_REWIND. */
    {.name = "mx_no_rewind",
     .desc = "body without rewind; MX 10 refuses at the greeting, MX 20 delivers",
     .setup = su_no_rewind,
     OK_DONE,
     .hosts_tried = 2,
     .host = MAIL_HOST,
     .udp = 1,
     .flags = MX_DELIVERS,
     .check = ck_no_rewind},
    {.name = "mx_equal_pref_shuffle",
     .desc = "two MX of equal preference: both orders occur over rng seeds",
     .setup = su_equal_pref,
     OK_DONE,
     .hosts_tried = 1,
     .host = NULL,
     .udp = 1,
     .flags = MX_DELIVERS | MX_SHUFFLE},
};

#define N_MX (sizeof(mx_scenarios) / sizeof(mx_scenarios[0]))

size_t sim_mx_scenario_count(void)
{
    return N_MX;
}

const char *sim_mx_scenario_name(size_t i)
{
    return i < N_MX ? mx_scenarios[i].name : NULL;
}

const char *sim_mx_scenario_desc(size_t i)
{
    return i < N_MX ? mx_scenarios[i].desc : NULL;
}

/* ------------------------------------------------------------ judging -- */

static const char *mx_outcome(const mx_scenario_t *s, sim_world_t *w, char *buf, size_t cap)
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
    if (r->hosts_tried != s->hosts_tried) {
        return mx_fail_u(buf, cap, "hosts_tried", s->hosts_tried, r->hosts_tried);
    }
    if ((s->flags & MX_SHUFFLE) == 0u &&
        (s->host == NULL ? r->host != NULL : (r->host == NULL || strcmp(r->host, s->host) != 0))) {
        return mx_fail(buf, cap, s->host != NULL ? s->host : "no host",
                       r->host != NULL ? r->host : "no host");
    }
    if ((r->flags & MX_RESULT_FLAGS) != s->mx_flags) {
        return mx_fail_u(buf, cap, "MX result flags", s->mx_flags, r->flags & MX_RESULT_FLAGS);
    }
    return NULL;
}

static const char *mx_rcpts(const mx_scenario_t *s, sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    size_t i;
    for (i = 0; i < w->env.to_count; i++) {
        const smtpc_rcpt_result_t *rr = &r->rcpt[i];
        if (rr->err != s->rcpt_err[i] || (s->rcpt_err[i] == SMTPC_OK && rr->code != 250u)) {
            snprintf(buf, cap, "expected rcpt[%zu] %s got %s (code %u)", i,
                     smtpc_strerror(s->rcpt_err[i]), smtpc_strerror(rr->err), (unsigned)rr->code);
            return buf;
        }
    }
    return NULL;
}

static const char *mx_dns(const mx_scenario_t *s, sim_world_t *w, char *buf, size_t cap)
{
    uint32_t t = mx_elapsed(w);
    if (w->dns.udp_sent != s->udp) {
        return mx_fail_u(buf, cap, "UDP queries", s->udp, w->dns.udp_sent);
    }
    if (w->dns.tcp_queries != s->tcp) {
        return mx_fail_u(buf, cap, "TCP queries", s->tcp, w->dns.tcp_queries);
    }
    if (t != s->t_ms) {
        return mx_fail_u(buf, cap, "virtual ms to the first connect (or end)", s->t_ms, t);
    }
    if (w->dns.open || w->dns.opens != w->dns.closes) {
        return mx_fail_u(buf, cap, "DNS sockets closed of those opened", w->dns.opens,
                         w->dns.closes);
    }
    if (w->dns.tcp_used && w->dns.tcp.client_close_calls == 0u) {
        return mx_fail(buf, cap, "the DNS TCP connection closed", "left open");
    }
    return NULL;
}

/* Per host the client reached: closed, well-behaved, nothing before TLS. */
static const char *mx_hosts(const mx_scenario_t *s, sim_world_t *w, char *buf, size_t cap)
{
    static const char *const words[] = {"MAIL", "RCPT", "DATA", SIM_BODY_MARKER};
    size_t i;
    size_t k;
    for (i = 0; i < w->host_count; i++) {
        const sim_host_t *h = &w->hosts[i];
        if (h->connects == 0u) {
            continue;
        }
        if (h->pipe.client_close_calls == 0u) {
            return mx_fail(buf, cap, "every connection closed", h->name);
        }
        if (h->peer.violation[0] != '\0') {
            return mx_fail(buf, cap, "a well-behaved client", h->peer.violation);
        }
        for (k = 0; (s->flags & MX_PLAINTEXT_OK) == 0u && k < sizeof(words) / sizeof(words[0]);
             k++) {
            if (h->peer.plain_truncated ||
                sim_contains_ci(h->peer.plain_log, h->peer.plain_len, words[k])) {
                snprintf(buf, cap, "expected no %s before TLS got it at %s", words[k], h->name);
                return buf;
            }
        }
    }
    return NULL;
}

static const char *mx_delivered(sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    sim_host_t *h = r->host != NULL ? sim_world_host(w, r->host) : NULL;
    size_t want = strlen(sim_msg_wire);
    if (h == NULL || !h->peer.body_done || h->peer.body_len != want ||
        memcmp(h->peer.body, sim_msg_wire, want) != 0) {
        return mx_fail(buf, cap, "the dot-stuffed CRLF body at result.host",
                       h == NULL ? "no such host" : "another body");
    }
    return NULL;
}

static const char *mx_judge(const mx_scenario_t *s, sim_world_t *w, char *buf, size_t cap)
{
    const char *why = mx_outcome(s, w, buf, cap);
    if (why == NULL) {
        why = mx_rcpts(s, w, buf, cap);
    }
    if (why == NULL) {
        why = mx_dns(s, w, buf, cap);
    }
    if (why == NULL && w->dns.violation[0] != '\0') {
        why = mx_fail(buf, cap, "well-formed DNS use", w->dns.violation);
    }
    if (why == NULL && w->net.violation[0] != '\0') {
        why = mx_fail(buf, cap, "well-formed network use", w->net.violation);
    }
    if (why == NULL) {
        why = mx_hosts(s, w, buf, cap);
    }
    if (why == NULL && (s->flags & MX_DELIVERS) != 0u) {
        why = mx_delivered(w, buf, cap);
    }
    if (why == NULL && s->check != NULL) {
        why = s->check(w, buf, cap);
    }
    return why;
}

/* ------------------------------------------------------------ running -- */

/* One run with rng @p seed. 1 pass, 0 fail; @p host gets result.host. */
static int mx_run_seed(const mx_scenario_t *s, uint64_t seed, const char *cert_dir, char *why,
                       size_t why_cap, char *host, size_t host_cap)
{
    sim_world_t *w = (sim_world_t *)calloc(1, sizeof(*w));
    const char *fail;
    const smtpc_result_t *r;
    if (w == NULL) {
        snprintf(why, why_cap, "expected memory got none");
        return 0;
    }
    sim_world_defaults(w);
    mx_base(w);
    sim_rng_seed(&w->rng, seed);
    s->setup(w);
    if (sim_world_run(w, cert_dir, why, why_cap) != 0) {
        char setup[256];
        snprintf(setup, sizeof(setup), "%s", why);
        snprintf(why, why_cap, "expected a working setup got %s", setup);
        sim_world_free(w);
        free(w);
        return 0;
    }
    fail = mx_judge(s, w, why, why_cap);
    r = smtpc_client_result(&w->client);
    if (host != NULL) {
        snprintf(host, host_cap, "%s", r->host != NULL ? r->host : "");
    }
    sim_world_free(w);
    free(w);
    return fail == NULL;
}

/* RFC 5321 §5.1: hosts of equal preference in random order. Every seed must
 * deliver; over the seeds, each host must come first at least once. */
static int mx_shuffle(const mx_scenario_t *s, const char *cert_dir, char *why, size_t why_cap)
{
    unsigned seed;
    unsigned first_a = 0;
    unsigned first_mail = 0;
    for (seed = 1; seed <= MX_SHUFFLE_SEEDS && (first_a == 0u || first_mail == 0u); seed++) {
        char host[SMTPC_DNS_NAME_BUF];
        if (mx_run_seed(s, seed, cert_dir, why, why_cap, host, sizeof(host)) != 1) {
            char inner[256];
            snprintf(inner, sizeof(inner), "%s", why);
            snprintf(why, why_cap, "seed %u: %s", seed, inner);
            return 0;
        }
        first_a += strcmp(host, "a.example.test") == 0;
        first_mail += strcmp(host, MAIL_HOST) == 0;
    }
    if (first_a == 0u || first_mail == 0u) {
        snprintf(why, why_cap,
                 "expected both MX first over %u seeds got a.example.test %u times, "
                 "mail.example.test %u times",
                 MX_SHUFFLE_SEEDS, first_a, first_mail);
        return 0;
    }
    return 1;
}

int sim_mx_scenario_run(size_t i, const char *cert_dir, char *why, size_t why_cap)
{
    const mx_scenario_t *s;
    if (i >= N_MX) {
        snprintf(why, why_cap, "expected a scenario got index %zu", i);
        return 0;
    }
    s = &mx_scenarios[i];
    if ((s->flags & MX_SHUFFLE) != 0u) {
        return mx_shuffle(s, cert_dir, why, why_cap);
    }
    return mx_run_seed(s, 1, cert_dir, why, why_cap, NULL, 0);
}
