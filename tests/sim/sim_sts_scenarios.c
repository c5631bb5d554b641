/* MTA-STS scenarios (RFC 8461): the real client in SMTPC_MODE_MX (and once in
 * SUBMISSION mode through a smarthost) against the simulated nameservers, a
 * scripted HTTPS policy host (sim_https.c) and named SMTP hosts.
 *
 * A scenario is one or more deliveries with the same client, the same RAM
 * policy store and clocks that only move when told to (the virtual clock
 * drives the deadlines, the wall clock the cache ages). Each delivery states
 * the exact outcome: error and stage, every recipient's error, the host
 * delivered to and the hosts tried, every connect the client made (besides
 * the nameservers) in order, the MTA-STS fields of the result (mode, how the
 * policy was obtained, fetch attempted, TXT and fetch errors, policy id,
 * ENFORCED/TESTING flags) and the verdict of every MX host. On top, every
 * delivery checks that:
 * - the first DNS question is the TXT `_mta-sts.example.test` (none when
 *   MTA-STS is off), DNS sockets were closed, no DNS or net misuse;
 * - the policy host saw SNI `mta-sts.example.test` and, when a request came,
 *   exactly the request smtpc must send, and only one;
 * - every connection was closed by the client and no peer saw a violation;
 * - no MAIL, RCPT, DATA or body byte reached any SMTP host before TLS, and no
 *   such byte reached any host other than the one that took the message;
 * - the report hook got one policy event matching the result, then one
 *   session event per MX tried or refused by the policy, each matching that
 *   MX's verdict.
 * Multi-delivery scenarios move the clocks and change the zone and the
 * policy host's script between deliveries (the `before` hooks). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define STS_DOMAIN   "example.test"
#define STS_TXT_NAME "_mta-sts.example.test"
#define STS_HOST     "mta-sts.example.test"
#define MX1          "mx1.example.test"
#define MX2          "mx2.example.test"
#define EVIL         SIM_DNS_EVIL_MX
#define RELAY        "relay.example.test"

/* The wall clock of every scenario starts at 2026-01-01T00:00:00Z. */
#define STS_UTC0 1767225600u

#define STS_REQUEST                                                                                \
    "GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: " STS_HOST "\r\n"                              \
    "User-Agent: smtpc\r\nConnection: close\r\nAccept: text/plain\r\n\r\n"

/* Step flags */
#define ST_DELIVERS     0x01u /* the message arrives intact at result.host */
#define ST_PLAINTEXT_OK 0x02u /* plaintext allowed and expected: no leak check */
#define ST_TIMED        0x04u /* check t_ms: start -> first SMTP connect */
#define ST_NO_TXT       0x08u /* MTA-STS off: no TXT question at all */
#define ST_SUBMISSION   0x10u /* smarthost: no MX question */
#define ST_TWO_DOMAINS  0x20u /* two recipient domains: DNS, hosts and reports checked by .check */

#define ST_RESULT_FLAGS                                                                            \
    (SMTPC_RESULT_STS_ENFORCED | SMTPC_RESULT_STS_TESTING | SMTPC_RESULT_CLOCK_UNKNOWN)

#define STS_MAX_STEPS 5u

typedef const char *(*st_check_fn)(sim_world_t *w, char *buf, size_t cap);

/* The expected verdict of one MX host. */
typedef struct {
    const char *name;
    uint8_t policy; /* smtpc_mx_policy_t */
    uint8_t tried;
    uint8_t level;   /* smtpc_tls_level_t (when tried) */
    uint8_t reached; /* smtpc_tls_reached_t (when tried) */
    uint8_t cert;    /* smtpc_cert_verdict_t (when tried) */
    int err;
} st_mx_t;

/* One delivery and what it must end with. */
typedef struct {
    void (*before)(sim_world_t *w); /* changes before this delivery (not the first) */
    int err;
    int stage;
    const char *host; /* result.host; NULL: no session */
    unsigned hosts_tried;
    const char *connects; /* every non-nameserver connect: "host:port,host:port" */
    uint8_t mode;         /* smtpc_sts_mode_t */
    uint8_t applied;      /* smtpc_sts_applied_t */
    uint8_t fetched;
    int txt_err;
    int fetch_err;
    const char *id;  /* result.sts_id */
    unsigned rflags; /* result.flags & ST_RESULT_FLAGS */
    unsigned mx_count;
    st_mx_t mx[SMTPC_MAX_MX];
    uint32_t t_ms; /* with ST_TIMED */
    unsigned flags;
    st_check_fn check;
} st_step_t;

typedef struct {
    const char *name;
    const char *desc;
    void (*setup)(sim_world_t *w);
    unsigned steps;
    st_step_t step[STS_MAX_STEPS];
} st_scenario_t;

/* ------------------------------------------------------------ helpers -- */

static const char *st_fail(char *buf, size_t cap, const char *want, const char *got)
{
    snprintf(buf, cap, "expected %s got %s", want, got);
    return buf;
}

static const char *st_fail_u(char *buf, size_t cap, const char *what, unsigned long want,
                             unsigned long got)
{
    snprintf(buf, cap, "expected %s %lu got %lu", what, want, got);
    return buf;
}

static const char *st_fail_e(char *buf, size_t cap, const char *what, int want, int got)
{
    snprintf(buf, cap, "expected %s %s got %s", what, smtpc_strerror(want), smtpc_strerror(got));
    return buf;
}

/* HTTP responses are built at setup time (Content-Length counted), in slots
 * that live until the next scenario's setup. */
#define ST_RESP_SLOTS 4u
#define ST_RESP_CAP   4096u
static char st_resp[ST_RESP_SLOTS][ST_RESP_CAP];

static const char *st_http(unsigned slot, const char *status, const char *ctype, const char *body)
{
    char *out = st_resp[slot % ST_RESP_SLOTS];
    if (ctype != NULL) {
        snprintf(out, ST_RESP_CAP,
                 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n%s", status, ctype,
                 strlen(body), body);
    } else {
        snprintf(out, ST_RESP_CAP, "HTTP/1.1 %s\r\nContent-Length: %zu\r\n\r\n%s", status,
                 strlen(body), body);
    }
    return out;
}

static const char *st_ok(unsigned slot, const char *policy)
{
    return st_http(slot, "200 OK", "text/plain", policy);
}

/* A 200 text/plain response with a chunked body, @p chunk bytes a chunk. */
static const char *st_chunked(unsigned slot, const char *body, size_t blen, size_t chunk)
{
    char *out = st_resp[slot % ST_RESP_SLOTS];
    size_t off = 0;
    size_t n = (size_t)snprintf(out, ST_RESP_CAP,
                                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                "Transfer-Encoding: chunked\r\n\r\n");
    while (off < blen && n < ST_RESP_CAP) {
        size_t k = blen - off > chunk ? chunk : blen - off;
        n += (size_t)snprintf(out + n, ST_RESP_CAP - n, "%zx\r\n%.*s\r\n", k, (int)k, body + off);
        off += k;
    }
    if (n < ST_RESP_CAP) {
        (void)snprintf(out + n, ST_RESP_CAP - n, "0\r\n\r\n");
    }
    return out;
}

/* ------------------------------------------------------------ policies - */

#define POL_ENFORCE_MX1                                                                            \
    "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\nmax_age: 86400\r\n"
#define POL_ENFORCE_BOTH                                                                           \
    "version: STSv1\nmode: enforce\nmx: mx1.example.test\nmx: mx2.example.test\nmax_age: 604800\n"
#define POL_ENFORCE_SHORT                                                                          \
    "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\nmax_age: 60\r\n"
#define POL_TESTING "version: STSv1\r\nmode: testing\r\nmx: mx1.example.test\r\nmax_age: 86400\r\n"
#define POL_NONE    "version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n"
#define POL_STRICT  "version: STSv1\r\nmode: strict\r\nmx: mx1.example.test\r\nmax_age: 86400\r\n"

#define TXT_ID1 "v=STSv1; id=20260101T000000;"
#define ID1     "20260101T000000"
#define TXT_ID2 "v=STSv1; id=20260102T000000;"
#define ID2     "20260102T000000"

#define ST_HTTP_500                                                                                \
    "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n"      \
    "\r\noops\r\n"

/* ------------------------------------------------------------ setups --- */

#define ST_EHLO_HEAD "250-mx.example.test Hello client.example.test\r\n"
#define ST_EHLO_PLAIN                                                                              \
    ST_EHLO_HEAD "250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n"                         \
                 "250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n"
#define ST_EHLO_TLS                                                                                \
    ST_EHLO_HEAD "250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n"                         \
                 "250 ENHANCEDSTATUSCODES\r\n"
#define ST_EHLO_NO_STARTTLS ST_EHLO_HEAD "250-PIPELINING\r\n250 8BITMIME\r\n"
#define ST_EHLO_STRIPPED    ST_EHLO_HEAD "250-PIPELINING\r\n250-XXXXXXXA\r\n250 8BITMIME\r\n"

/* MX delivery on port 25, STARTTLS at level ENCRYPTED (an opportunistic
 * sender: what a policy must raise), no AUTH; a RAM policy store, the report
 * hook, and a known wall clock. */
static void st_base(sim_world_t *w)
{
    w->ccfg.mode = SMTPC_MODE_MX;
    w->ccfg.host = NULL;
    w->ccfg.port = 0;
    w->ccfg.session.user = NULL;
    w->ccfg.session.pass = NULL;
    w->ccfg.session.tls_level = SMTPC_TLS_ENCRYPTED;
    w->peer_cfg.ehlo_plain = ST_EHLO_PLAIN;
    w->peer_cfg.ehlo_tls = ST_EHLO_TLS;
    w->clock.utc_s = STS_UTC0;
    smtpc_sts_ram_init(&w->sts_ram);
    w->plat.sts_store = &smtpc_sts_ram_ops;
    w->plat.sts_store_ctx = &w->sts_ram;
    w->plat.report = sim_report_hook;
    w->plat.report_arg = w;
    /* The DNS traffic checked here is MTA-STS's own: the `_smtp._tls`
     * lookup a report hook brings is covered by sim_tlsrpt.c. */
    w->ccfg.tlsrpt_off = 1;
}

/* TXT id 1, MX 10 mx1, the policy host answering @p resp. */
static sim_host_t *st_std(sim_world_t *w, const char *resp)
{
    (void)sim_dns_add(&w->dns, STS_TXT_NAME, SMTPC_DNS_TYPE_TXT, 0, TXT_ID1);
    (void)sim_dns_add(&w->dns, STS_DOMAIN, SMTPC_DNS_TYPE_MX, 10, MX1);
    (void)sim_world_add_host(w, MX1, "mx1");
    return sim_world_add_https(w, STS_HOST, "sts", resp);
}

static void su_enforce(sim_world_t *w)
{
    (void)st_std(w, st_ok(0, POL_ENFORCE_MX1));
}

/* The attacker's MX has a certificate valid for its own name: only the
 * policy keeps mail away from it. */
static void st_add_evil(sim_world_t *w)
{
    (void)sim_world_add_host(w, EVIL, "wildcard");
}

static void su_spoof_only(sim_world_t *w)
{
    (void)sim_dns_add(&w->dns, STS_TXT_NAME, SMTPC_DNS_TYPE_TXT, 0, TXT_ID1);
    (void)sim_dns_add(&w->dns, STS_DOMAIN, SMTPC_DNS_TYPE_MX, 10, EVIL);
    (void)sim_world_add_https(w, STS_HOST, "sts", st_ok(0, POL_ENFORCE_MX1));
    (void)sim_world_add_host(w, MX1, "mx1");
    st_add_evil(w);
}

static void su_partial_spoof(sim_world_t *w)
{
    (void)sim_dns_add(&w->dns, STS_DOMAIN, SMTPC_DNS_TYPE_MX, 5, EVIL);
    su_enforce(w);
    st_add_evil(w);
}

static void su_policy_wronghost(sim_world_t *w)
{
    st_std(w, st_ok(0, POL_ENFORCE_MX1))->cfg.cert = "sts_wronghost";
}

static void su_policy_expired(sim_world_t *w)
{
    st_std(w, st_ok(0, POL_ENFORCE_MX1))->cfg.cert = "sts_expired";
}

static void su_redirect(sim_world_t *w)
{
    (void)st_std(w, "HTTP/1.1 301 Moved Permanently\r\n"
                    "Location: https://mta-sts.evil.example.test/.well-known/mta-sts.txt\r\n"
                    "Content-Length: 0\r\n\r\n");
}

/* A chunked body of valid policy lines padded by an extension line past
 * SMTPC_STS_POLICY_MAX, in 200-byte chunks. */
static void su_oversize(sim_world_t *w)
{
    static char body[SMTPC_STS_POLICY_MAX + 512];
    size_t blen = SMTPC_STS_POLICY_MAX + 64u;
    size_t n = (size_t)snprintf(body, sizeof(body), "%sx_pad: ", POL_ENFORCE_MX1);
    memset(body + n, 'a', blen - n);
    memcpy(body + blen, "\r\n", 3);
    blen += 2u;
    (void)st_std(w, st_chunked(0, body, blen, 200));
}

/* The same policy in 7-byte chunks (chunk boundaries inside lines). */
static void su_chunked_ok(sim_world_t *w)
{
    (void)st_std(w, st_chunked(0, POL_ENFORCE_MX1, strlen(POL_ENFORCE_MX1), 7));
}

static void su_wrong_ctype(sim_world_t *w)
{
    (void)st_std(w, st_http(0, "200 OK", "text/html; charset=utf-8", POL_ENFORCE_MX1));
}

static void su_invalid(sim_world_t *w)
{
    (void)st_std(w, st_ok(0, POL_STRICT));
}

static void su_404(sim_world_t *w)
{
    (void)st_std(w, st_http(0, "404 Not Found", "text/plain", "no policy here\n"));
}

/* Between deliveries both clocks move by @p s seconds. */
static void st_advance(sim_world_t *w, uint32_t s)
{
    w->clock.now_ms += s * 1000u;
    w->clock.utc_s += s;
}

static void st_set_txt(sim_world_t *w, const char *txt)
{
    (void)sim_dns_remove(&w->dns, STS_TXT_NAME);
    if (txt != NULL) {
        (void)sim_dns_add(&w->dns, STS_TXT_NAME, SMTPC_DNS_TYPE_TXT, 0, txt);
    }
}

static void st_set_mx(sim_world_t *w, const char *mx)
{
    (void)sim_dns_remove(&w->dns, STS_DOMAIN);
    (void)sim_dns_add(&w->dns, STS_DOMAIN, SMTPC_DNS_TYPE_MX, 10, mx);
}

/* txt_id_churn: the policy host always fails; the id moves. */
static void su_churn(sim_world_t *w)
{
    (void)st_std(w, ST_HTTP_500);
    st_set_txt(w, "v=STSv1; id=churn1;");
}

static void bf_churn2(sim_world_t *w)
{
    st_advance(w, 60);
    st_set_txt(w, "v=STSv1; id=churn2;");
}

static void bf_churn3(sim_world_t *w)
{
    st_advance(w, 60);
    st_set_txt(w, "v=STSv1; id=churn3;");
}

static void bf_churn3_again(sim_world_t *w)
{
    st_advance(w, 60);
}

static void bf_churn3_retry(sim_world_t *w)
{
    st_advance(w, SMTPC_STS_RETRY_S - 60u); /* exactly SMTPC_STS_RETRY_S after its fetch */
}

/* fetch_fails_cached_valid, second delivery: a new id, the policy host
 * broken, and the MX spoofed. */
static void bf_new_id_500_spoof(sim_world_t *w)
{
    st_advance(w, 3600);
    st_set_txt(w, TXT_ID2);
    sim_world_host(w, STS_HOST)->https.response = ST_HTTP_500;
    st_set_mx(w, EVIL);
}

static void su_enforce_evil_ready(sim_world_t *w)
{
    su_enforce(w);
    st_add_evil(w);
}

/* dns_spoof_with_cache, second delivery: the TXT lookup answered NXDOMAIN,
 * the MX spoofed. */
static void bf_nxdomain_spoof(sim_world_t *w)
{
    st_advance(w, 3600);
    st_set_txt(w, NULL);
    st_set_mx(w, EVIL);
}

static void su_short(sim_world_t *w)
{
    (void)st_std(w, st_ok(0, POL_ENFORCE_SHORT));
}

static void bf_txt_gone_60(sim_world_t *w)
{
    st_advance(w, 60);
    st_set_txt(w, NULL);
}

static void bf_plus_1(sim_world_t *w)
{
    st_advance(w, 1);
}

static void bf_plus_61(sim_world_t *w)
{
    st_advance(w, 61);
}

static void su_testing(sim_world_t *w)
{
    (void)sim_dns_add(&w->dns, STS_TXT_NAME, SMTPC_DNS_TYPE_TXT, 0, TXT_ID1);
    (void)sim_dns_add(&w->dns, STS_DOMAIN, SMTPC_DNS_TYPE_MX, 10, MX2);
    (void)sim_world_add_https(w, STS_HOST, "sts", st_ok(0, POL_TESTING));
    /* Not listed, and its certificate names another host. */
    (void)sim_world_add_host(w, MX2, "wronghost");
}

static void su_stripped(sim_world_t *w)
{
    su_enforce(w);
    w->ccfg.session.tls_level = SMTPC_TLS_PLAINTEXT_ALLOWED;
    sim_world_host(w, MX1)->cfg.ehlo_plain = ST_EHLO_NO_STARTTLS;
}

static void su_stripped_keyword(sim_world_t *w)
{
    su_stripped(w);
    sim_world_host(w, MX1)->cfg.ehlo_plain = ST_EHLO_STRIPPED;
}

static void su_mx_bad_cert(sim_world_t *w)
{
    (void)sim_dns_add(&w->dns, STS_TXT_NAME, SMTPC_DNS_TYPE_TXT, 0, TXT_ID1);
    (void)sim_dns_add(&w->dns, STS_DOMAIN, SMTPC_DNS_TYPE_MX, 20, MX2);
    (void)sim_dns_add(&w->dns, STS_DOMAIN, SMTPC_DNS_TYPE_MX, 10, MX1);
    (void)sim_world_add_https(w, STS_HOST, "sts", st_ok(0, POL_ENFORCE_BOTH));
    (void)sim_world_add_host(w, MX1, "wronghost");
    (void)sim_world_add_host(w, MX2, "mx2");
}

static void su_plaintext_allowed(sim_world_t *w)
{
    su_enforce(w);
    w->ccfg.session.tls_level = SMTPC_TLS_PLAINTEXT_ALLOWED;
    w->ccfg.session.tls_mode = SMTPC_TLS_NONE;
}

static void su_fetch_timeout(sim_world_t *w)
{
    (void)st_std(w, NULL);
}

/* 150-odd response bytes, one per virtual second: past the fetch deadline. */
static void su_drip_slow(sim_world_t *w)
{
    st_std(w, st_ok(0, POL_ENFORCE_MX1))->https.drip_ms = 1000;
}

/* The same, one byte per 100 ms: done well within the deadline. */
static void su_drip_ok(sim_world_t *w)
{
    st_std(w, st_ok(0, POL_ENFORCE_MX1))->https.drip_ms = 100;
}

static void su_fetch_timeout_cfg(sim_world_t *w)
{
    (void)st_std(w, NULL);
    w->ccfg.timeouts.sts_fetch_ms = 5000;
}

/* A mode none policy replaces the cached enforce one (§8.3). */
static void bf_optout(sim_world_t *w)
{
    st_advance(w, 3600);
    st_set_txt(w, TXT_ID2);
    sim_world_host(w, STS_HOST)->https.response = st_ok(1, POL_NONE);
    st_set_mx(w, MX2);
}

static void su_optout(sim_world_t *w)
{
    su_enforce(w);
    (void)sim_world_add_host(w, MX2, "mx2");
}

static void su_clock_unknown(sim_world_t *w)
{
    su_enforce(w);
    w->clock.utc_s = 0;
}

static void bf_later(sim_world_t *w)
{
    w->clock.now_ms += 3600000u; /* the wall clock stays unknown */
}

static void su_txt_two(sim_world_t *w)
{
    su_enforce(w);
    (void)sim_dns_add(&w->dns, STS_TXT_NAME, SMTPC_DNS_TYPE_TXT, 0, TXT_ID2);
}

static void su_txt_unrelated(sim_world_t *w)
{
    (void)sim_dns_add(&w->dns, STS_TXT_NAME, SMTPC_DNS_TYPE_TXT, 0, "v=spf1 -all");
    su_enforce(w);
    (void)sim_dns_add(&w->dns, STS_TXT_NAME, SMTPC_DNS_TYPE_TXT, 0,
                      "google-site-verification=abc123");
}

/* §8.2: the record delegated to a provider by CNAME. */
static void su_txt_cname(sim_world_t *w)
{
    (void)sim_dns_add(&w->dns, STS_TXT_NAME, SMTPC_DNS_TYPE_CNAME, 0, "_mta-sts.provider.test");
    (void)sim_dns_add(&w->dns, "_mta-sts.provider.test", SMTPC_DNS_TYPE_TXT, 0, TXT_ID1);
    (void)sim_dns_add(&w->dns, STS_DOMAIN, SMTPC_DNS_TYPE_MX, 10, MX1);
    (void)sim_world_add_host(w, MX1, "mx1");
    (void)sim_world_add_https(w, STS_HOST, "sts", st_ok(0, POL_ENFORCE_MX1));
}

/* The listed MX refuses; the next MX is not listed: never used (§8.4). */
static void su_no_fallback(sim_world_t *w)
{
    (void)sim_dns_add(&w->dns, STS_DOMAIN, SMTPC_DNS_TYPE_MX, 20, EVIL);
    su_enforce(w);
    sim_world_host(w, MX1)->refuse = true;
    st_add_evil(w);
}

/* The recipient domain in mixed case: one normalised name for the TXT
 * question, the MX question, the policy URL, SNI and the cache key. */
static void su_mixed_case(sim_world_t *w)
{
    su_enforce(w);
    w->rcpts[0] = "bob@EXAMPLE.Test";
}

/* A close-delimited body cut inside max_age by a FIN without close_notify. */
static void su_cut_close_delimited(sim_world_t *w)
{
    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"
                               "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\n"
                               "max_age: 86400";
    sim_host_t *h = st_std(w, resp);
    h->https.cut_at = sizeof(resp) - 1u - 4u; /* "max_age: 8" */
    h->https.abrupt_close = true;
}

static void su_cut_content_length(sim_world_t *w)
{
    sim_host_t *h = st_std(w, st_ok(0, POL_ENFORCE_MX1));
    h->https.cut_at = strlen(h->https.response) - 4u; /* "max_age: 8" */
    h->https.abrupt_close = true;
}

static void su_cut_chunked(sim_world_t *w)
{
    const char *r = st_chunked(0, POL_ENFORCE_MX1, strlen(POL_ENFORCE_MX1), 16);
    sim_host_t *h = st_std(w, r);
    h->https.cut_at = strlen(r) - 5u; /* everything but "0\r\n\r\n" */
    h->https.abrupt_close = true;
}

/* A second recipient in other.test, which publishes no policy: MX 10 mx2. */
static void su_two_domains(sim_world_t *w)
{
    su_enforce(w);
    (void)sim_dns_add(&w->dns, "other.test", SMTPC_DNS_TYPE_MX, 10, MX2);
    (void)sim_world_add_host(w, MX2, "mx2");
    w->rcpts[1] = "carol@other.test";
    w->env.to_count = 2;
}

/* The TXT question lost on every try (a DNS failure, not an absent record)
 * and the MX spoofed: the cached policy still applies. */
static void bf_txt_lost_spoof(sim_world_t *w)
{
    st_advance(w, 3600);
    w->dns.cfg.drop_first = w->dns.lost + w->dns.udp_queries[0] + SMTPC_DNS_TRIES;
    st_set_mx(w, EVIL);
}

/* Nine mx lines: more than SMTPC_STS_MAX_MX_PATTERNS. */
static void su_too_many_patterns(sim_world_t *w)
{
    static char body[512];
    size_t n = (size_t)snprintf(body, sizeof(body), "version: STSv1\nmode: enforce\n");
    unsigned i;
    for (i = 0; i <= SMTPC_STS_MAX_MX_PATTERNS; i++) {
        n += (size_t)snprintf(body + n, sizeof(body) - n, "mx: mx%u.example.test\n", i + 1u);
    }
    (void)snprintf(body + n, sizeof(body) - n, "max_age: 86400\n");
    (void)st_std(w, st_ok(0, body));
}

/* Only unrelated TXT records at _mta-sts: no STS record published. */
static void su_txt_only_unrelated(sim_world_t *w)
{
    su_enforce(w);
    st_set_txt(w, "v=spf1 -all");
}

static void su_policy_tls_stall(sim_world_t *w)
{
    st_std(w, st_ok(0, POL_ENFORCE_MX1))->cfg.tls_fault = SIM_TLS_STALL_MID;
}

static void su_policy_refused(sim_world_t *w)
{
    st_std(w, st_ok(0, POL_ENFORCE_MX1))->refuse = true;
}

/* The MX answer in mixed case: names are compared case-insensitively (§4.1)
 * and reported in lower case. */
static void su_mx_mixed_case(sim_world_t *w)
{
    (void)sim_dns_add(&w->dns, STS_TXT_NAME, SMTPC_DNS_TYPE_TXT, 0, TXT_ID1);
    (void)sim_dns_add(&w->dns, STS_DOMAIN, SMTPC_DNS_TYPE_MX, 10, "MX1.Example.TEST");
    (void)sim_world_add_host(w, MX1, "mx1");
    (void)sim_world_add_https(w, STS_HOST, "sts", st_ok(0, POL_ENFORCE_MX1));
}

static void su_sts_off(sim_world_t *w)
{
    su_enforce(w);
    w->ccfg.sts_off = 1;
}

/* A smarthost on 587 whose domain publishes the enforce policy. */
static void st_smarthost(sim_world_t *w, const char *host)
{
    w->ccfg.mode = SMTPC_MODE_SUBMISSION;
    w->ccfg.host = host;
    w->ccfg.port = 587;
    w->ccfg.sts_domain = STS_DOMAIN;
    (void)sim_dns_add(&w->dns, STS_TXT_NAME, SMTPC_DNS_TYPE_TXT, 0, TXT_ID1);
    (void)sim_world_add_https(w, STS_HOST, "sts", st_ok(0, POL_ENFORCE_MX1));
    (void)sim_world_add_host(w, MX1, "mx1");
    (void)sim_world_add_host(w, RELAY, "wildcard");
}

static void su_smarthost_unlisted(sim_world_t *w)
{
    st_smarthost(w, RELAY);
}

static void su_smarthost_listed(sim_world_t *w)
{
    st_smarthost(w, MX1);
}

/* ------------------------------------------------------------ checks --- */

static const sim_report_t *st_session_event(const sim_world_t *w, const char *mx)
{
    unsigned i;
    for (i = 0; i < w->report_count && i < SIM_REPORT_LOG; i++) {
        if (w->reports[i].ev.kind == SMTPC_EV_SESSION && strcmp(w->reports[i].mx_host, mx) == 0) {
            return &w->reports[i];
        }
    }
    return NULL;
}

/* The MX's certificate is checked for the MX name: SNI says so (§7.1). */
static const char *ck_mx1_sni(sim_world_t *w, char *buf, size_t cap)
{
    const sim_host_t *h = sim_world_host(w, MX1);
    if (h->peer.sni_count != 1u || strcmp(h->peer.sni, MX1) != 0) {
        return st_fail(buf, cap, "SNI " MX1 " at " MX1, h->peer.sni);
    }
    return NULL;
}

static const char *ck_spoof_event(sim_world_t *w, char *buf, size_t cap)
{
    const sim_report_t *r = st_session_event(w, EVIL);
    if (r == NULL || r->ev.err != SMTPC_ERR_STS_MX_NOT_ALLOWED ||
        r->ev.flags != SMTPC_EV_F_MX_MISMATCH || r->ev.sts_mode != SMTPC_STS_MODE_ENFORCE ||
        strcmp(r->policy_id, ID1) != 0 || !r->has_policy) {
        return st_fail(buf, cap, "a session event for " EVIL " (MX mismatch, enforce, id 1)",
                       r == NULL ? "none" : "another");
    }
    return NULL;
}

static const char *ck_partial_spoof(sim_world_t *w, char *buf, size_t cap)
{
    const char *why = ck_spoof_event(w, buf, cap);
    return why != NULL ? why : ck_mx1_sni(w, buf, cap);
}

/* The ClientHello reached the policy host; the client refused the
 * certificate, so no request was sent. */
static const char *ck_no_request(sim_world_t *w, char *buf, size_t cap)
{
    const sim_host_t *h = sim_world_host(w, STS_HOST);
    if (h->peer.sni_count != 1u || h->peer.requests != 0u || h->peer.req_len != 0u) {
        return st_fail_u(buf, cap, "requests at the policy host", 0, h->peer.requests);
    }
    return NULL;
}

/* The store holds the failed id (back-off) and no policy. */
static const char *st_store_fail(sim_world_t *w, char *buf, size_t cap, const char *fail_id)
{
    smtpc_sts_entry_t e;
    if (smtpc_sts_ram_ops.get(&w->sts_ram, STS_DOMAIN, &e) != SMTPC_OK) {
        return st_fail(buf, cap, "a store entry for " STS_DOMAIN, "none");
    }
    if (e.has_policy || strcmp(e.fail_id, fail_id) != 0) {
        return st_fail(buf, cap, fail_id, e.fail_id);
    }
    return NULL;
}

static const char *ck_churn1(sim_world_t *w, char *buf, size_t cap)
{
    return st_store_fail(w, buf, cap, "churn1");
}

static const char *ck_churn3(sim_world_t *w, char *buf, size_t cap)
{
    const char *why = st_store_fail(w, buf, cap, "churn3");
    const sim_host_t *h = sim_world_host(w, STS_HOST);
    if (why == NULL && h->total_connects != (w->deliveries == 5u ? 4u : 3u)) {
        return st_fail_u(buf, cap, "policy host connections in all", w->deliveries == 5u ? 4u : 3u,
                         h->total_connects);
    }
    return why;
}

/* The cached policy is kept: the failed fetch did not replace it. */
static const char *ck_cache_kept(sim_world_t *w, char *buf, size_t cap)
{
    smtpc_sts_entry_t e;
    if (smtpc_sts_ram_ops.get(&w->sts_ram, STS_DOMAIN, &e) != SMTPC_OK || !e.has_policy ||
        strcmp(e.id, ID1) != 0 || e.fetched_at != STS_UTC0 ||
        e.policy.mode != SMTPC_STS_MODE_ENFORCE) {
        return st_fail(buf, cap, "the cached enforce policy id 1 fetched at the start",
                       "another entry");
    }
    return NULL;
}

static const char *ck_testing(sim_world_t *w, char *buf, size_t cap)
{
    const sim_report_t *r = st_session_event(w, MX2);
    if (r == NULL || r->ev.err != SMTPC_OK || r->ev.flags != SMTPC_EV_F_MX_MISMATCH ||
        r->ev.cert != SMTPC_CERT_HOSTNAME || r->ev.sts_mode != SMTPC_STS_MODE_TESTING ||
        r->ev.sts_applied != SMTPC_STS_APPLY_FETCHED || strcmp(r->policy_id, ID1) != 0) {
        return st_fail(buf, cap,
                       "a session event for " MX2 ": delivered, MX mismatch, cert host-mismatch, "
                       "testing",
                       r == NULL ? "none" : "another");
    }
    return NULL;
}

static const char *st_strip_event(sim_world_t *w, char *buf, size_t cap, unsigned flags)
{
    const sim_report_t *r = st_session_event(w, MX1);
    const sim_host_t *h = sim_world_host(w, MX1);
    if (r == NULL || r->ev.err != SMTPC_ERR_STARTTLS_REQUIRED || r->ev.flags != flags ||
        r->ev.sts_mode != SMTPC_STS_MODE_ENFORCE) {
        return st_fail(buf, cap, "a session event for " MX1 " with STARTTLS_REQUIRED",
                       r == NULL ? "none" : "other flags or error");
    }
    if (!h->peer.saw_quit || h->peer.tls) {
        return st_fail(buf, cap, "QUIT in plaintext and no TLS", "otherwise");
    }
    return NULL;
}

static const char *ck_stripped(sim_world_t *w, char *buf, size_t cap)
{
    return st_strip_event(w, buf, cap, 0u);
}

static const char *ck_stripped_keyword(sim_world_t *w, char *buf, size_t cap)
{
    return st_strip_event(w, buf, cap, SMTPC_EV_F_STRIP);
}

static const char *ck_mx_bad_cert(sim_world_t *w, char *buf, size_t cap)
{
    const sim_host_t *h = sim_world_host(w, MX1);
    const sim_host_t *h2 = sim_world_host(w, MX2);
    if (h->peer.sni_count != 1u || strcmp(h->peer.sni, MX1) != 0 || h2->peer.sni_count != 1u ||
        strcmp(h2->peer.sni, MX2) != 0) {
        return st_fail(buf, cap, "SNI = each MX name", "another");
    }
    return NULL;
}

static const char *ck_plaintext_allowed(sim_world_t *w, char *buf, size_t cap)
{
    const sim_host_t *h = sim_world_host(w, MX1);
    if (!h->peer.tls || h->peer.ehlo_count != 2u) {
        return st_fail(buf, cap, "STARTTLS and EHLO again under TLS", "plaintext");
    }
    return ck_mx1_sni(w, buf, cap);
}

/* The response dripped one byte per 100 ms: the first SMTP connect came
 * when its last byte did. */
static const char *ck_drip_ok(sim_world_t *w, char *buf, size_t cap)
{
    const sim_host_t *h = sim_world_host(w, STS_HOST);
    size_t len = strlen(h->https.response);
    unsigned i;
    for (i = 0; i < w->net.log_len; i++) {
        if (w->net.log[i].port == 25u) {
            uint32_t t = w->net.log[i].t - w->t_begin;
            if (t != (uint32_t)(len - 1u) * 100u) {
                return st_fail_u(buf, cap, "ms to the MX connect", (unsigned long)(len - 1u) * 100u,
                                 t);
            }
            return NULL;
        }
    }
    return st_fail(buf, cap, "an MX connect", "none");
}

static const char *ck_optout(sim_world_t *w, char *buf, size_t cap)
{
    smtpc_sts_entry_t e;
    if (smtpc_sts_ram_ops.get(&w->sts_ram, STS_DOMAIN, &e) != SMTPC_OK || !e.has_policy ||
        strcmp(e.id, ID2) != 0 || e.policy.mode != SMTPC_STS_MODE_NONE ||
        e.fetched_at != STS_UTC0 + 3600u) {
        return st_fail(buf, cap, "the mode none policy id 2 cached", "another entry");
    }
    return NULL;
}

/* Without a wall clock nothing can be aged, so nothing is stored. */
static const char *ck_nothing_stored(sim_world_t *w, char *buf, size_t cap)
{
    smtpc_sts_entry_t e;
    if (smtpc_sts_ram_ops.get(&w->sts_ram, STS_DOMAIN, &e) != SMTPC_ERR_NOT_FOUND) {
        return st_fail(buf, cap, "no store entry", "one");
    }
    return ck_mx1_sni(w, buf, cap);
}

static const char *ck_cname(sim_world_t *w, char *buf, size_t cap)
{
    if (w->dns.log_len != 2u || w->dns.log[0].qtype != SMTPC_DNS_TYPE_TXT) {
        return st_fail_u(buf, cap, "DNS questions (one TXT followed through the CNAME, one MX)", 2,
                         w->dns.log_len);
    }
    return NULL;
}

/* The failed fetch left back-off state and no policy in the store. */
static const char *ck_nothing_cached(sim_world_t *w, char *buf, size_t cap)
{
    return st_store_fail(w, buf, cap, ID1);
}

static bool st_event_is(const sim_report_t *r, uint8_t kind, const char *domain, const char *host,
                        int err, uint8_t applied)
{
    return r->ev.kind == kind && strcmp(r->domain, domain) == 0 && strcmp(r->mx_host, host) == 0 &&
           r->ev.err == err && r->ev.sts_applied == applied;
}

/* Per domain: TXT then MX; a policy event then a session event; each MX
 * took its own recipient. */
static const char *ck_two_domains(sim_world_t *w, char *buf, size_t cap)
{
    static const char *const q[] = {STS_TXT_NAME, STS_DOMAIN, "_mta-sts.other.test", "other.test"};
    const sim_host_t *h1 = sim_world_host(w, MX1);
    const sim_host_t *h2 = sim_world_host(w, MX2);
    unsigned i;
    if (w->dns.log_len != 4u) {
        return st_fail_u(buf, cap, "DNS questions", 4, w->dns.log_len);
    }
    for (i = 0; i < 4u; i++) {
        if (strcmp(w->dns.log[i].qname, q[i]) != 0 ||
            w->dns.log[i].qtype != (i % 2u == 0u ? SMTPC_DNS_TYPE_TXT : SMTPC_DNS_TYPE_MX)) {
            return st_fail(buf, cap, q[i], w->dns.log[i].qname);
        }
    }
    if (w->report_count != 4u ||
        !st_event_is(&w->reports[0], SMTPC_EV_POLICY, STS_DOMAIN, STS_HOST, SMTPC_OK,
                     SMTPC_STS_APPLY_FETCHED) ||
        !st_event_is(&w->reports[1], SMTPC_EV_SESSION, STS_DOMAIN, MX1, SMTPC_OK,
                     SMTPC_STS_APPLY_FETCHED) ||
        w->reports[1].ev.sts_mode != SMTPC_STS_MODE_ENFORCE ||
        !st_event_is(&w->reports[2], SMTPC_EV_POLICY, "other.test", "", SMTPC_OK,
                     SMTPC_STS_APPLY_NONE) ||
        !st_event_is(&w->reports[3], SMTPC_EV_SESSION, "other.test", MX2, SMTPC_OK,
                     SMTPC_STS_APPLY_NONE) ||
        w->reports[3].ev.sts_mode != 0u || strcmp(w->reports[3].policy_id, "") != 0) {
        return st_fail_u(buf, cap, "events (policy, session per domain)", 4, w->report_count);
    }
    if (!h1->peer.body_done || h1->peer.rcpt_idx != 1u || !h2->peer.body_done ||
        h2->peer.rcpt_idx != 1u) {
        return st_fail(buf, cap, "one recipient and the message at each MX", "otherwise");
    }
    return ck_mx1_sni(w, buf, cap);
}

static const char *ck_txt_lost(sim_world_t *w, char *buf, size_t cap)
{
    uint32_t t = w->t_end - w->t_begin;
    if (w->dns.log_len != SMTPC_DNS_TRIES + 1u || w->dns.lost != SMTPC_DNS_TRIES) {
        return st_fail_u(buf, cap, "TXT questions lost", SMTPC_DNS_TRIES, w->dns.lost);
    }
    if (t != SMTPC_DNS_TRIES * SMTPC_DNS_TIMEOUT_MS) {
        return st_fail_u(buf, cap, "virtual ms to the end", SMTPC_DNS_TRIES * SMTPC_DNS_TIMEOUT_MS,
                         t);
    }
    return ck_cache_kept(w, buf, cap);
}

static const char *ck_sts_off(sim_world_t *w, char *buf, size_t cap)
{
    unsigned i;
    for (i = 0; i < w->dns.log_len; i++) {
        if (w->dns.log[i].qtype == SMTPC_DNS_TYPE_TXT) {
            return st_fail(buf, cap, "no TXT question", w->dns.log[i].qname);
        }
    }
    if (w->dns.log_len != 1u || w->report_count != 1u ||
        w->reports[0].ev.kind != SMTPC_EV_SESSION) {
        return st_fail_u(buf, cap, "DNS questions (MX only)", 1, w->dns.log_len);
    }
    return NULL;
}

static const char *ck_smarthost(sim_world_t *w, char *buf, size_t cap)
{
    if (w->dns.log_len != 1u) {
        return st_fail_u(buf, cap, "DNS questions (TXT only)", 1, w->dns.log_len);
    }
    return NULL;
}

static const char *ck_smarthost_listed(sim_world_t *w, char *buf, size_t cap)
{
    const char *why = ck_smarthost(w, buf, cap);
    return why != NULL ? why : ck_mx1_sni(w, buf, cap);
}

/* ------------------------------------------------------------ table ---- */

#define OK_VIA(h) .err = SMTPC_OK, .stage = SMTPC_STAGE_DONE, .host = (h), .hosts_tried = 1
#define FAIL_STS                                                                                   \
    .err = SMTPC_ERR_STS_MX_NOT_ALLOWED, .stage = SMTPC_STAGE_STS, .host = NULL, .hosts_tried = 0
/* A policy fetched for this delivery. */
#define FETCHED(m, i)                                                                              \
    .mode = (m), .applied = SMTPC_STS_APPLY_FETCHED, .fetched = 1, .txt_err = SMTPC_OK,            \
    .fetch_err = SMTPC_OK, .id = (i)
#define ENFORCED_FETCHED_F(f)                                                                      \
    FETCHED(SMTPC_STS_MODE_ENFORCE, ID1), .rflags = SMTPC_RESULT_STS_ENFORCED | (f)
#define ENFORCED_FETCHED ENFORCED_FETCHED_F(0u)
/* A fetch that failed: no policy. */
#define FETCH_FAILED(e)                                                                            \
    .mode = 0, .applied = SMTPC_STS_APPLY_NONE, .fetched = 1, .txt_err = SMTPC_OK,                 \
    .fetch_err = (e), .id = "", .rflags = 0
#define CONN_BOTH STS_HOST ":443," MX1 ":25"
/* mx1 listed and used: level raised to VERIFIED, reached. */
#define MX1_VERIFIED                                                                               \
    {                                                                                              \
        MX1, SMTPC_MX_MATCH, 1, SMTPC_TLS_VERIFIED, SMTPC_REACHED_VERIFIED, SMTPC_CERT_OK,         \
            SMTPC_OK                                                                               \
    }
/* mx1 without a policy: the caller's level ENCRYPTED; its certificate is good. */
#define MX1_PLAIN_POLICY                                                                           \
    {                                                                                              \
        MX1, SMTPC_MX_NO_POLICY, 1, SMTPC_TLS_ENCRYPTED, SMTPC_REACHED_VERIFIED, SMTPC_CERT_OK,    \
            SMTPC_OK                                                                               \
    }
#define EVIL_SKIPPED                                                                               \
    {                                                                                              \
        EVIL, SMTPC_MX_NO_MATCH, 0, 0, 0, 0, SMTPC_ERR_STS_MX_NOT_ALLOWED                          \
    }
/* A delivery through mx1 with no policy in force (the fetch failed with e). */
#define NO_POLICY_VIA_MX1_F(e, f)                                                                  \
    OK_VIA(MX1), .connects = CONN_BOTH, FETCH_FAILED(e), .mx_count = 1, .mx = {MX1_PLAIN_POLICY},  \
                 .flags = ST_DELIVERS | (f)
#define NO_POLICY_VIA_MX1(e) NO_POLICY_VIA_MX1_F(e, 0u)

static const st_scenario_t st_scenarios[] = {
    {.name = "sts_enforce_delivers",
     .desc = "enforce policy fetched over HTTPS lists mx1: delivered at level VERIFIED",
     .setup = su_enforce,
     .steps = 1,
     .step = {{OK_VIA(MX1), .connects = CONN_BOTH, ENFORCED_FETCHED, .mx_count = 1,
               .mx = {MX1_VERIFIED}, .flags = ST_DELIVERS, .check = ck_mx1_sni}}},
    {.name = "sts_mx_spoof_not_in_policy",
     .desc = "MX answer names only an attacker host; enforce: no connection, STS_MX_NOT_ALLOWED",
     .setup = su_spoof_only,
     .steps = 1,
     .step = {{FAIL_STS, .connects = STS_HOST ":443", ENFORCED_FETCHED, .mx_count = 1,
               .mx = {EVIL_SKIPPED}, .check = ck_spoof_event}}},
    {.name = "sts_mx_partial_spoof",
     .desc = "attacker MX 5 before mx1 MX 10: the unlisted one skipped, delivered via mx1",
     .setup = su_partial_spoof,
     .steps = 1,
     .step = {{OK_VIA(MX1), .connects = CONN_BOTH, ENFORCED_FETCHED, .mx_count = 2,
               .mx = {EVIL_SKIPPED, MX1_VERIFIED}, .flags = ST_DELIVERS,
               .check = ck_partial_spoof}}},
    {.name = "sts_policy_host_bad_cert",
     .desc = "policy host certificate for another name: fetch fails, delivered as without policy",
     .setup = su_policy_wronghost,
     .steps = 1,
     .step = {{NO_POLICY_VIA_MX1(SMTPC_ERR_TLS_CERT_HOSTNAME), .check = ck_no_request}}},
    {.name = "sts_policy_host_expired_cert",
     .desc = "policy host certificate expired: fetch fails, delivered as without policy",
     .setup = su_policy_expired,
     .steps = 1,
     .step = {{NO_POLICY_VIA_MX1(SMTPC_ERR_TLS_CERT_EXPIRED), .check = ck_no_request}}},
    {.name = "sts_policy_redirect",
     .desc = "policy answered 301 to another host: HTTP_REDIRECT, never followed",
     .setup = su_redirect,
     .steps = 1,
     .step = {{NO_POLICY_VIA_MX1(SMTPC_ERR_HTTP_REDIRECT)}}},
    {.name = "sts_policy_oversize",
     .desc = "chunked policy body past SMTPC_STS_POLICY_MAX: HTTP_TOO_LARGE",
     .setup = su_oversize,
     .steps = 1,
     .step = {{NO_POLICY_VIA_MX1(SMTPC_ERR_HTTP_TOO_LARGE)}}},
    {.name = "sts_policy_wrong_ctype",
     .desc = "policy served as text/html: HTTP_TYPE",
     .setup = su_wrong_ctype,
     .steps = 1,
     .step = {{NO_POLICY_VIA_MX1(SMTPC_ERR_HTTP_TYPE)}}},
    {.name = "sts_policy_invalid",
     .desc = "policy with mode: strict: STS_POLICY_INVALID",
     .setup = su_invalid,
     .steps = 1,
     .step = {{NO_POLICY_VIA_MX1(SMTPC_ERR_STS_POLICY_INVALID)}}},
    {.name = "sts_policy_404",
     .desc = "policy URL answers 404: HTTP_STATUS",
     .setup = su_404,
     .steps = 1,
     .step = {{NO_POLICY_VIA_MX1(SMTPC_ERR_HTTP_STATUS)}}},
    /* The policy host answers 500 every time. Each new id is fetched once;
     * the same id again within SMTPC_STS_RETRY_S is not; at the retry time
     * it is fetched again (§3.3: per version id). */
    {.name = "sts_txt_id_churn",
     .desc = "TXT id changes per delivery, policy host failing: one fetch per id per retry time",
     .setup = su_churn,
     .steps = 5,
     .step = {{NO_POLICY_VIA_MX1(SMTPC_ERR_HTTP_STATUS), .check = ck_churn1},
              {.before = bf_churn2, NO_POLICY_VIA_MX1(SMTPC_ERR_HTTP_STATUS)},
              {.before = bf_churn3, NO_POLICY_VIA_MX1(SMTPC_ERR_HTTP_STATUS), .check = ck_churn3},
              {.before = bf_churn3_again,
               OK_VIA(MX1),
               .connects = MX1 ":25",
               .txt_err = SMTPC_OK,
               .id = "",
               .mx_count = 1,
               .mx = {MX1_PLAIN_POLICY},
               .flags = ST_DELIVERS,
               .check = ck_churn3},
              {.before = bf_churn3_retry,
               NO_POLICY_VIA_MX1(SMTPC_ERR_HTTP_STATUS),
               .check = ck_churn3}}},
    {.name = "sts_fetch_fails_cached_valid",
     .desc = "new TXT id, the policy host answers 500: the cached enforce policy still refuses "
             "a spoofed MX",
     .setup = su_enforce_evil_ready,
     .steps = 2,
     .step = {{OK_VIA(MX1), .connects = CONN_BOTH, ENFORCED_FETCHED, .mx_count = 1,
               .mx = {MX1_VERIFIED}, .flags = ST_DELIVERS},
              {.before = bf_new_id_500_spoof,
               FAIL_STS,
               .connects = STS_HOST ":443",
               .mode = SMTPC_STS_MODE_ENFORCE,
               .applied = SMTPC_STS_APPLY_CACHED,
               .fetched = 1,
               .txt_err = SMTPC_OK,
               .fetch_err = SMTPC_ERR_HTTP_STATUS,
               .id = ID1,
               .rflags = SMTPC_RESULT_STS_ENFORCED,
               .mx_count = 1,
               .mx = {EVIL_SKIPPED},
               .check = ck_cache_kept}}},
    {.name = "sts_dns_spoof_with_cache",
     .desc = "TXT answered NXDOMAIN and MX spoofed after a policy was cached: still refused",
     .setup = su_enforce_evil_ready,
     .steps = 2,
     .step = {{OK_VIA(MX1), .connects = CONN_BOTH, ENFORCED_FETCHED, .mx_count = 1,
               .mx = {MX1_VERIFIED}, .flags = ST_DELIVERS},
              {.before = bf_nxdomain_spoof,
               FAIL_STS,
               .connects = "",
               .mode = SMTPC_STS_MODE_ENFORCE,
               .applied = SMTPC_STS_APPLY_CACHED,
               .fetched = 0,
               .txt_err = SMTPC_ERR_DNS_NXDOMAIN,
               .fetch_err = SMTPC_OK,
               .id = ID1,
               .rflags = SMTPC_RESULT_STS_ENFORCED,
               .mx_count = 1,
               .mx = {EVIL_SKIPPED},
               .check = ck_cache_kept}}},
    /* max_age 60: at +60 s the policy has not exceeded it (cached, TXT gone),
     * at +61 s it has: no policy applies and the caller's level is back. */
    {.name = "sts_max_age_expiry",
     .desc = "policy max_age 60; TXT gone: cached at +60 s, no policy at +61 s",
     .setup = su_short,
     .steps = 3,
     .step = {{OK_VIA(MX1), .connects = CONN_BOTH, FETCHED(SMTPC_STS_MODE_ENFORCE, ID1),
               .rflags = SMTPC_RESULT_STS_ENFORCED, .mx_count = 1, .mx = {MX1_VERIFIED},
               .flags = ST_DELIVERS},
              {.before = bf_txt_gone_60,
               OK_VIA(MX1),
               .connects = MX1 ":25",
               .mode = SMTPC_STS_MODE_ENFORCE,
               .applied = SMTPC_STS_APPLY_CACHED,
               .txt_err = SMTPC_ERR_DNS_NXDOMAIN,
               .id = ID1,
               .rflags = SMTPC_RESULT_STS_ENFORCED,
               .mx_count = 1,
               .mx = {MX1_VERIFIED},
               .flags = ST_DELIVERS},
              {.before = bf_plus_1,
               OK_VIA(MX1),
               .connects = MX1 ":25",
               .txt_err = SMTPC_ERR_DNS_NXDOMAIN,
               .id = "",
               .mx_count = 1,
               .mx = {MX1_PLAIN_POLICY},
               .flags = ST_DELIVERS}}},
    /* An unchanged id does not revalidate an expired policy: max_age counts
     * from the last fetch, so it is fetched again. */
    {.name = "sts_max_age_expiry_refetch",
     .desc = "policy max_age 60, +61 s, same TXT id: fetched again",
     .setup = su_short,
     .steps = 2,
     .step = {{OK_VIA(MX1), .connects = CONN_BOTH, FETCHED(SMTPC_STS_MODE_ENFORCE, ID1),
               .rflags = SMTPC_RESULT_STS_ENFORCED, .mx_count = 1, .mx = {MX1_VERIFIED},
               .flags = ST_DELIVERS},
              {.before = bf_plus_61,
               OK_VIA(MX1),
               .connects = CONN_BOTH,
               FETCHED(SMTPC_STS_MODE_ENFORCE, ID1),
               .rflags = SMTPC_RESULT_STS_ENFORCED,
               .mx_count = 1,
               .mx = {MX1_VERIFIED},
               .flags = ST_DELIVERS}}},
    {.name = "sts_testing_mode_reports_but_delivers",
     .desc = "testing policy; MX not listed, certificate for another host: delivered and reported",
     .setup = su_testing,
     .steps = 1,
     .step = {{OK_VIA(MX2), .connects = STS_HOST ":443," MX2 ":25",
               FETCHED(SMTPC_STS_MODE_TESTING, ID1), .rflags = SMTPC_RESULT_STS_TESTING,
               .mx_count = 1,
               .mx = {{MX2, SMTPC_MX_NO_MATCH, 1, SMTPC_TLS_ENCRYPTED, SMTPC_REACHED_ENCRYPTED,
                       SMTPC_CERT_HOSTNAME, SMTPC_OK}},
               .flags = ST_DELIVERS, .check = ck_testing}}},
    {.name = "sts_enforce_starttls_stripped",
     .desc = "enforce; the listed MX offers no STARTTLS (caller allowed plaintext): refused",
     .setup = su_stripped,
     .steps = 1,
     .step = {{.err = SMTPC_ERR_STARTTLS_REQUIRED,
               .stage = SMTPC_STAGE_EHLO,
               .host = MX1,
               .hosts_tried = 1,
               .connects = CONN_BOTH,
               ENFORCED_FETCHED,
               .mx_count = 1,
               .mx = {{MX1, SMTPC_MX_MATCH, 1, SMTPC_TLS_VERIFIED, SMTPC_REACHED_NONE,
                       SMTPC_CERT_NOT_CHECKED, SMTPC_ERR_STARTTLS_REQUIRED}},
               .check = ck_stripped}}},
    {.name = "sts_enforce_starttls_stripped_keyword",
     .desc = "enforce; STARTTLS overwritten with XXXXXXXA: refused, reported as a strip",
     .setup = su_stripped_keyword,
     .steps = 1,
     .step = {{.err = SMTPC_ERR_STARTTLS_REQUIRED,
               .stage = SMTPC_STAGE_EHLO,
               .host = MX1,
               .hosts_tried = 1,
               .connects = CONN_BOTH,
               ENFORCED_FETCHED,
               .mx_count = 1,
               .mx = {{MX1, SMTPC_MX_MATCH, 1, SMTPC_TLS_VERIFIED, SMTPC_REACHED_NONE,
                       SMTPC_CERT_NOT_CHECKED, SMTPC_ERR_STARTTLS_REQUIRED}},
               .check = ck_stripped_keyword}}},
    {.name = "sts_enforce_mx_bad_cert",
     .desc = "enforce; listed MX 10 presents a certificate for another host: MX 20 used",
     .setup = su_mx_bad_cert,
     .steps = 1,
     .step = {{.err = SMTPC_OK,
               .stage = SMTPC_STAGE_DONE,
               .host = MX2,
               .hosts_tried = 2,
               .connects = STS_HOST ":443," MX1 ":25," MX2 ":25",
               ENFORCED_FETCHED,
               .mx_count = 2,
               .mx = {{MX1, SMTPC_MX_MATCH, 1, SMTPC_TLS_VERIFIED, SMTPC_REACHED_NONE,
                       SMTPC_CERT_HOSTNAME, SMTPC_ERR_TLS_CERT_HOSTNAME},
                      {MX2, SMTPC_MX_MATCH, 1, SMTPC_TLS_VERIFIED, SMTPC_REACHED_VERIFIED,
                       SMTPC_CERT_OK, SMTPC_OK}},
               .flags = ST_DELIVERS,
               .check = ck_mx_bad_cert}}},
    {.name = "sts_enforce_overrides_plaintext_allowed",
     .desc = "caller set PLAINTEXT_ALLOWED and TLS none; enforce raises to STARTTLS, VERIFIED",
     .setup = su_plaintext_allowed,
     .steps = 1,
     .step = {{OK_VIA(MX1), .connects = CONN_BOTH, ENFORCED_FETCHED, .mx_count = 1,
               .mx = {MX1_VERIFIED}, .flags = ST_DELIVERS, .check = ck_plaintext_allowed}}},
    {.name = "sts_policy_fetch_timeout",
     .desc = "policy host never answers: TIMEOUT at the fetch deadline, delivered without policy",
     .setup = su_fetch_timeout,
     .steps = 1,
     .step = {{NO_POLICY_VIA_MX1_F(SMTPC_ERR_TIMEOUT, ST_TIMED),
               .t_ms = SMTPC_STS_FETCH_TIMEOUT_MS}}},
    {.name = "sts_policy_drip_timeout",
     .desc = "policy dripped one byte per second: the fetch deadline bounds the whole response",
     .setup = su_drip_slow,
     .steps = 1,
     .step = {{NO_POLICY_VIA_MX1_F(SMTPC_ERR_TIMEOUT, ST_TIMED),
               .t_ms = SMTPC_STS_FETCH_TIMEOUT_MS}}},
    {.name = "sts_policy_drip_ok",
     .desc = "policy dripped one byte per 100 ms, within the deadline: applied",
     .setup = su_drip_ok,
     .steps = 1,
     .step = {{OK_VIA(MX1), .connects = CONN_BOTH, ENFORCED_FETCHED, .mx_count = 1,
               .mx = {MX1_VERIFIED}, .flags = ST_DELIVERS, .check = ck_drip_ok}}},
    {.name = "sts_policy_fetch_timeout_cfg",
     .desc = "policy host never answers; cfg.timeouts.sts_fetch_ms 5000 bounds the fetch",
     .setup = su_fetch_timeout_cfg,
     .steps = 1,
     .step = {{NO_POLICY_VIA_MX1_F(SMTPC_ERR_TIMEOUT, ST_TIMED), .t_ms = 5000}}},
    {.name = "sts_policy_chunked_ok",
     .desc = "policy in 7-byte chunks, charset parameter: applied",
     .setup = su_chunked_ok,
     .steps = 1,
     .step = {{OK_VIA(MX1), .connects = CONN_BOTH, ENFORCED_FETCHED, .mx_count = 1,
               .mx = {MX1_VERIFIED}, .flags = ST_DELIVERS}}},
    {.name = "sts_mode_none_optout",
     .desc = "cached enforce policy, then a new id with mode none: replaced, no longer enforced",
     .setup = su_optout,
     .steps = 2,
     .step = {{OK_VIA(MX1), .connects = CONN_BOTH, ENFORCED_FETCHED, .mx_count = 1,
               .mx = {MX1_VERIFIED}, .flags = ST_DELIVERS},
              {.before = bf_optout,
               OK_VIA(MX2),
               .connects = STS_HOST ":443," MX2 ":25",
               FETCHED(SMTPC_STS_MODE_NONE, ID2),
               .mx_count = 1,
               .mx = {{MX2, SMTPC_MX_NO_POLICY, 1, SMTPC_TLS_ENCRYPTED, SMTPC_REACHED_VERIFIED,
                       SMTPC_CERT_OK, SMTPC_OK}},
               .flags = ST_DELIVERS,
               .check = ck_optout}}},
    {.name = "sts_clock_unknown",
     .desc = "wall clock unknown: the fetched policy applies, is not stored, is fetched again",
     .setup = su_clock_unknown,
     .steps = 2,
     .step = {{OK_VIA(MX1), .connects = CONN_BOTH, ENFORCED_FETCHED_F(SMTPC_RESULT_CLOCK_UNKNOWN),
               .mx_count = 1, .mx = {MX1_VERIFIED}, .flags = ST_DELIVERS,
               .check = ck_nothing_stored},
              {.before = bf_later,
               OK_VIA(MX1),
               .connects = CONN_BOTH,
               ENFORCED_FETCHED_F(SMTPC_RESULT_CLOCK_UNKNOWN),
               .mx_count = 1,
               .mx = {MX1_VERIFIED},
               .flags = ST_DELIVERS,
               .check = ck_nothing_stored}}},
    {.name = "sts_txt_two_records",
     .desc = "two v=STSv1 records: no usable record (§3.1), no fetch, no policy",
     .setup = su_txt_two,
     .steps = 1,
     .step = {{OK_VIA(MX1), .connects = MX1 ":25", .txt_err = SMTPC_ERR_STS_TXT_INVALID, .id = "",
               .mx_count = 1, .mx = {MX1_PLAIN_POLICY}, .flags = ST_DELIVERS}}},
    {.name = "sts_txt_unrelated_records",
     .desc = "SPF and site-verification TXT records next to the STS record are ignored",
     .setup = su_txt_unrelated,
     .steps = 1,
     .step = {{OK_VIA(MX1), .connects = CONN_BOTH, ENFORCED_FETCHED, .mx_count = 1,
               .mx = {MX1_VERIFIED}, .flags = ST_DELIVERS}}},
    {.name = "sts_txt_cname",
     .desc = "_mta-sts delegated by CNAME to a provider (§8.2): followed",
     .setup = su_txt_cname,
     .steps = 1,
     .step = {{OK_VIA(MX1), .connects = CONN_BOTH, ENFORCED_FETCHED, .mx_count = 1,
               .mx = {MX1_VERIFIED}, .flags = ST_DELIVERS, .check = ck_cname}}},
    {.name = "sts_enforce_no_fallback_unlisted",
     .desc = "enforce; the listed MX refuses, the unlisted MX 20 is never tried (§8.4)",
     .setup = su_no_fallback,
     .steps = 1,
     .step = {{.err = SMTPC_ERR_NET_CONNECT,
               .stage = SMTPC_STAGE_CONNECT,
               .host = MX1,
               .hosts_tried = 1,
               .connects = CONN_BOTH,
               ENFORCED_FETCHED,
               .mx_count = 2,
               .mx = {{MX1, SMTPC_MX_MATCH, 1, SMTPC_TLS_VERIFIED, SMTPC_REACHED_NONE,
                       SMTPC_CERT_NOT_CHECKED, SMTPC_ERR_NET_CONNECT},
                      EVIL_SKIPPED}}}},
    {.name = "sts_domain_mixed_case",
     .desc = "recipient domain EXAMPLE.Test: one lower-case name for TXT, MX, URL, SNI",
     .setup = su_mixed_case,
     .steps = 1,
     .step = {{OK_VIA(MX1), .connects = CONN_BOTH, ENFORCED_FETCHED, .mx_count = 1,
               .mx = {MX1_VERIFIED}, .flags = ST_DELIVERS, .check = ck_mx1_sni}}},
    /* Without framing, the end of the body is the close; a network cut (a
     * FIN without close_notify) looks the same to the client, so the body
     * could lose its tail: here max_age 86400 would become 8. */
    {.name = "sts_policy_cut_close_delimited",
     .desc = "close-delimited policy cut inside max_age, FIN without close_notify: refused",
     .setup = su_cut_close_delimited,
     .steps = 1,
     .step = {{NO_POLICY_VIA_MX1(SMTPC_ERR_NET_CLOSED), .check = ck_nothing_cached}}},
    {.name = "sts_policy_cut_content_length",
     .desc = "policy cut short of its Content-Length, FIN without close_notify: refused",
     .setup = su_cut_content_length,
     .steps = 1,
     .step = {{NO_POLICY_VIA_MX1(SMTPC_ERR_NET_CLOSED), .check = ck_nothing_cached}}},
    {.name = "sts_policy_cut_chunked",
     .desc = "chunked policy cut before its last chunk, FIN without close_notify: refused",
     .setup = su_cut_chunked,
     .steps = 1,
     .step = {{NO_POLICY_VIA_MX1(SMTPC_ERR_NET_CLOSED), .check = ck_nothing_cached}}},
    /* The STS part of the result describes the last domain; the ENFORCED
     * flag, like every flag, is an aggregate over the whole delivery. */
    {.name = "sts_two_domains",
     .desc = "recipients in a domain with an enforce policy and in one without: each its own",
     .setup = su_two_domains,
     .steps = 1,
     .step = {{.err = SMTPC_OK,
               .stage = SMTPC_STAGE_DONE,
               .host = MX2,
               .hosts_tried = 2,
               .connects = CONN_BOTH "," MX2 ":25",
               .txt_err = SMTPC_ERR_DNS_NXDOMAIN,
               .id = "",
               .rflags = SMTPC_RESULT_STS_ENFORCED,
               .mx_count = 1,
               .mx = {{MX2, SMTPC_MX_NO_POLICY, 1, SMTPC_TLS_ENCRYPTED, SMTPC_REACHED_VERIFIED,
                       SMTPC_CERT_OK, SMTPC_OK}},
               .flags = ST_DELIVERS | ST_TWO_DOMAINS,
               .check = ck_two_domains}}},
    {.name = "sts_txt_timeout_with_cache",
     .desc = "TXT lookup times out (DNS failure) and the MX is spoofed: the cached policy refuses",
     .setup = su_enforce_evil_ready,
     .steps = 2,
     .step = {{OK_VIA(MX1), .connects = CONN_BOTH, ENFORCED_FETCHED, .mx_count = 1,
               .mx = {MX1_VERIFIED}, .flags = ST_DELIVERS},
              {.before = bf_txt_lost_spoof,
               FAIL_STS,
               .connects = "",
               .mode = SMTPC_STS_MODE_ENFORCE,
               .applied = SMTPC_STS_APPLY_CACHED,
               .fetched = 0,
               .txt_err = SMTPC_ERR_DNS_TIMEOUT,
               .fetch_err = SMTPC_OK,
               .id = ID1,
               .rflags = SMTPC_RESULT_STS_ENFORCED,
               .mx_count = 1,
               .mx = {EVIL_SKIPPED},
               .check = ck_txt_lost}}},
    {.name = "sts_policy_too_many_patterns",
     .desc = "policy with more mx lines than SMTPC_STS_MAX_MX_PATTERNS: a failed fetch (NO_SPACE)",
     .setup = su_too_many_patterns,
     .steps = 1,
     .step = {{NO_POLICY_VIA_MX1(SMTPC_ERR_NO_SPACE)}}},
    {.name = "sts_txt_only_unrelated",
     .desc = "_mta-sts holds only an SPF record: no STS record (NODATA), no fetch",
     .setup = su_txt_only_unrelated,
     .steps = 1,
     .step = {{OK_VIA(MX1), .connects = MX1 ":25", .txt_err = SMTPC_ERR_DNS_NODATA, .id = "",
               .mx_count = 1, .mx = {MX1_PLAIN_POLICY}, .flags = ST_DELIVERS}}},
    {.name = "sts_policy_tls_stall",
     .desc = "policy host stalls in the TLS handshake: TIMEOUT at the fetch deadline",
     .setup = su_policy_tls_stall,
     .steps = 1,
     .step = {{NO_POLICY_VIA_MX1_F(SMTPC_ERR_TIMEOUT, ST_TIMED), .t_ms = SMTPC_STS_FETCH_TIMEOUT_MS,
               .check = ck_no_request}}},
    {.name = "sts_policy_host_refused",
     .desc = "policy host refuses the connection: NET_CONNECT, delivered without policy",
     .setup = su_policy_refused,
     .steps = 1,
     .step = {{NO_POLICY_VIA_MX1(SMTPC_ERR_NET_CONNECT)}}},
    {.name = "sts_mx_mixed_case",
     .desc = "MX answer MX1.Example.TEST matches the policy's mx1.example.test",
     .setup = su_mx_mixed_case,
     .steps = 1,
     .step = {{OK_VIA(MX1), .connects = CONN_BOTH, ENFORCED_FETCHED, .mx_count = 1,
               .mx = {MX1_VERIFIED}, .flags = ST_DELIVERS, .check = ck_mx1_sni}}},
    {.name = "sts_off",
     .desc = "cfg.sts_off: no TXT question, no policy fetch, the caller's level",
     .setup = su_sts_off,
     .steps = 1,
     .step = {{OK_VIA(MX1), .connects = MX1 ":25", .txt_err = SMTPC_OK, .id = "", .mx_count = 1,
               .mx = {MX1_PLAIN_POLICY}, .flags = ST_DELIVERS | ST_NO_TXT, .check = ck_sts_off}}},
    {.name = "sts_smarthost_not_listed",
     .desc = "SUBMISSION via a smarthost with cfg.sts_domain; the host is not in the policy",
     .setup = su_smarthost_unlisted,
     .steps = 1,
     .step = {{FAIL_STS, .connects = STS_HOST ":443", ENFORCED_FETCHED, .mx_count = 1,
               .mx = {{RELAY, SMTPC_MX_NO_MATCH, 0, 0, 0, 0, SMTPC_ERR_STS_MX_NOT_ALLOWED}},
               .flags = ST_SUBMISSION, .check = ck_smarthost}}},
    {.name = "sts_smarthost_listed",
     .desc = "SUBMISSION via a smarthost the policy lists: delivered at level VERIFIED",
     .setup = su_smarthost_listed,
     .steps = 1,
     .step = {{OK_VIA(MX1), .connects = STS_HOST ":443," MX1 ":587", ENFORCED_FETCHED,
               .mx_count = 1, .mx = {MX1_VERIFIED}, .flags = ST_DELIVERS | ST_SUBMISSION,
               .check = ck_smarthost_listed}}},
};

#define N_STS (sizeof(st_scenarios) / sizeof(st_scenarios[0]))

size_t sim_sts_scenario_count(void)
{
    return N_STS;
}

const char *sim_sts_scenario_name(size_t i)
{
    return i < N_STS ? st_scenarios[i].name : NULL;
}

const char *sim_sts_scenario_desc(size_t i)
{
    return i < N_STS ? st_scenarios[i].desc : NULL;
}

/* ------------------------------------------------------------ judging -- */

static const char *st_outcome(const st_step_t *s, sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    char line[256];
    size_t i;
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
    for (i = 0; i < w->env.to_count; i++) {
        if (r->rcpt[i].err != s->err || (s->err == SMTPC_OK && r->rcpt[i].code != 250u)) {
            return st_fail_e(buf, cap, "rcpt error", s->err, r->rcpt[i].err);
        }
    }
    if (r->hosts_tried != s->hosts_tried) {
        return st_fail_u(buf, cap, "hosts_tried", s->hosts_tried, r->hosts_tried);
    }
    if (s->host == NULL ? r->host != NULL : (r->host == NULL || strcmp(r->host, s->host) != 0)) {
        return st_fail(buf, cap, s->host != NULL ? s->host : "no host",
                       r->host != NULL ? r->host : "no host");
    }
    return NULL;
}

static const char *st_connects(const st_step_t *s, sim_world_t *w, char *buf, size_t cap)
{
    char got[512];
    size_t n = 0;
    unsigned i;
    got[0] = '\0';
    for (i = 0; i < w->net.log_len; i++) {
        const sim_connect_t *c = &w->net.log[i];
        if (sim_is_nameserver(c->host)) {
            continue;
        }
        n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%s:%u", n > 0 ? "," : "", c->host,
                              (unsigned)c->port);
        if (n >= sizeof(got)) {
            n = sizeof(got) - 1u;
        }
    }
    if (strcmp(got, s->connects) != 0) {
        snprintf(buf, cap, "expected connects [%s] got [%s]", s->connects, got);
        return buf;
    }
    return NULL;
}

static const char *st_sts(const st_step_t *s, sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    if (r->sts_mode != s->mode) {
        return st_fail_u(buf, cap, "sts_mode", s->mode, r->sts_mode);
    }
    if (r->sts_applied != s->applied) {
        return st_fail_u(buf, cap, "sts_applied", s->applied, r->sts_applied);
    }
    if (r->sts_fetched != s->fetched) {
        return st_fail_u(buf, cap, "sts_fetched", s->fetched, r->sts_fetched);
    }
    if (r->sts_txt_err != s->txt_err) {
        return st_fail_e(buf, cap, "sts_txt_err", s->txt_err, r->sts_txt_err);
    }
    if (r->sts_fetch_err != s->fetch_err) {
        return st_fail_e(buf, cap, "sts_fetch_err", s->fetch_err, r->sts_fetch_err);
    }
    if (strcmp(r->sts_id, s->id != NULL ? s->id : "") != 0) {
        return st_fail(buf, cap, s->id != NULL ? s->id : "no id", r->sts_id);
    }
    if ((r->flags & ST_RESULT_FLAGS) != s->rflags) {
        return st_fail_u(buf, cap, "result flags (STS, clock)", s->rflags,
                         r->flags & ST_RESULT_FLAGS);
    }
    return NULL;
}

static const char *st_mx(const st_step_t *s, sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    unsigned i;
    if (r->mx_count != s->mx_count) {
        return st_fail_u(buf, cap, "mx_count", s->mx_count, r->mx_count);
    }
    for (i = 0; i < s->mx_count; i++) {
        const st_mx_t *e = &s->mx[i];
        const smtpc_mx_verdict_t *v = &r->mx[i];
        const char *name = smtpc_client_mx_name(&w->client, i);
        if (name == NULL || strcmp(name, e->name) != 0) {
            snprintf(buf, cap, "expected mx[%u] %s got %s", i, e->name, name ? name : "none");
            return buf;
        }
        if (v->policy != e->policy || v->tried != e->tried || v->err != e->err ||
            (e->tried &&
             (v->level != e->level || v->tls_reached != e->reached || v->cert != e->cert))) {
            snprintf(buf, cap,
                     "expected mx[%u] %s policy %u tried %u level %u reached %u cert %s err %s "
                     "got policy %u tried %u level %u reached %u cert %s err %s",
                     i, e->name, e->policy, e->tried, e->level, e->reached,
                     smtpc_cert_name(e->cert), smtpc_strerror(e->err), v->policy, v->tried,
                     v->level, v->tls_reached, smtpc_cert_name(v->cert), smtpc_strerror(v->err));
            return buf;
        }
    }
    return NULL;
}

static const char *st_dns(const st_step_t *s, sim_world_t *w, char *buf, size_t cap)
{
    const sim_dns_query_t *q = &w->dns.log[0];
    if (w->dns.violation[0] != '\0') {
        return st_fail(buf, cap, "well-formed DNS use", w->dns.violation);
    }
    if (w->net.violation[0] != '\0') {
        return st_fail(buf, cap, "well-formed network use", w->net.violation);
    }
    if (w->dns.open || w->dns.opens != w->dns.closes) {
        return st_fail_u(buf, cap, "DNS sockets closed of those opened", w->dns.opens,
                         w->dns.closes);
    }
    if ((s->flags & ST_NO_TXT) == 0u && (w->dns.log_len == 0u || q->qtype != SMTPC_DNS_TYPE_TXT ||
                                         strcmp(q->qname, STS_TXT_NAME) != 0)) {
        return st_fail(buf, cap, "a first TXT question for " STS_TXT_NAME,
                       w->dns.log_len == 0u ? "none" : q->qname);
    }
    if ((s->flags & (ST_NO_TXT | ST_SUBMISSION | ST_TWO_DOMAINS)) == 0u) {
        /* TXT (retries included), then one MX question, and nothing else. */
        unsigned i;
        const sim_dns_query_t *m = &w->dns.log[w->dns.log_len - 1u];
        for (i = 0; i + 1u < w->dns.log_len; i++) {
            if (w->dns.log[i].qtype != SMTPC_DNS_TYPE_TXT ||
                strcmp(w->dns.log[i].qname, STS_TXT_NAME) != 0) {
                return st_fail(buf, cap, "only TXT questions before the MX question",
                               w->dns.log[i].qname);
            }
        }
        if (w->dns.log_len < 2u || m->qtype != SMTPC_DNS_TYPE_MX ||
            strcmp(m->qname, STS_DOMAIN) != 0) {
            return st_fail(buf, cap, "a last question MX " STS_DOMAIN, m->qname);
        }
    }
    if ((s->flags & ST_TIMED) != 0u) {
        unsigned i;
        for (i = 0; i < w->net.log_len; i++) {
            if (w->net.log[i].port == 25u || w->net.log[i].port == 587u) {
                uint32_t t = w->net.log[i].t - w->t_begin;
                if (t != s->t_ms) {
                    return st_fail_u(buf, cap, "virtual ms to the first SMTP connect", s->t_ms, t);
                }
                break;
            }
        }
        if (i == w->net.log_len) {
            return st_fail(buf, cap, "an SMTP connect", "none");
        }
    }
    return NULL;
}

/* Per host: closed by the client, well-behaved, nothing before TLS, and no
 * message byte anywhere but at the host that took the message. */
static const char *st_hosts(const st_step_t *s, sim_world_t *w, char *buf, size_t cap)
{
    static const char *const words[] = {"MAIL", "RCPT", "DATA", SIM_BODY_MARKER};
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    size_t i;
    size_t k;
    for (i = 0; i < w->host_count; i++) {
        const sim_host_t *h = &w->hosts[i];
        bool taker = s->err == SMTPC_OK && r->host != NULL && strcmp(r->host, h->name) == 0;
        if (h->connects == 0u) {
            continue;
        }
        if (h->pipe.client_close_calls == 0u) {
            return st_fail(buf, cap, "every connection closed", h->name);
        }
        if (h->peer.violation[0] != '\0') {
            return st_fail(buf, cap, "a well-behaved client", h->peer.violation);
        }
        if (h->cfg.https != NULL) {
            if (h->peer.sni_count != 1u || strcmp(h->peer.sni, STS_HOST) != 0) {
                return st_fail(buf, cap, "SNI " STS_HOST " at the policy host", h->peer.sni);
            }
            /* A handshake the server finished is one the client accepted:
             * the request must follow. */
            if (h->peer.tls_version[0] != '\0' && h->peer.requests != 1u) {
                return st_fail_u(buf, cap, "requests at the policy host", 1, h->peer.requests);
            }
            if (h->peer.requests > 1u ||
                (h->peer.req_len > 0u && (h->peer.req_len != strlen(STS_REQUEST) ||
                                          memcmp(h->peer.req, STS_REQUEST, h->peer.req_len)))) {
                snprintf(buf, cap, "expected one request [%s] got [%.*s]", STS_REQUEST,
                         (int)h->peer.req_len, (const char *)h->peer.req);
                return buf;
            }
            continue;
        }
        for (k = 0; (s->flags & ST_PLAINTEXT_OK) == 0u && k < sizeof(words) / sizeof(words[0]);
             k++) {
            if (h->peer.plain_truncated ||
                sim_contains_ci(h->peer.plain_log, h->peer.plain_len, words[k])) {
                snprintf(buf, cap, "expected no %s before TLS got it at %s", words[k], h->name);
                return buf;
            }
        }
        if ((s->flags & ST_TWO_DOMAINS) != 0u && strcmp(h->name, MX1) == 0) {
            taker = true; /* the first domain's MX (see ck_two_domains) */
        }
        if (!taker && (h->peer.saw_mail || h->peer.rcpt_idx != 0u || h->peer.body_len != 0u)) {
            return st_fail(buf, cap, "no MAIL, RCPT or body at a host that did not deliver",
                           h->name);
        }
        if (h->pipe.wire_truncated ||
            sim_contains_ci(h->pipe.wire, h->pipe.wire_len, SIM_BODY_MARKER)) {
            return st_fail(buf, cap, "no cleartext body on the wire", h->name);
        }
    }
    return NULL;
}

static const char *st_delivered(sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    sim_host_t *h = r->host != NULL ? sim_world_host(w, r->host) : NULL;
    size_t want = strlen(sim_msg_wire);
    if (h == NULL || !h->peer.body_done || h->peer.body_len != want ||
        memcmp(h->peer.body, sim_msg_wire, want) != 0) {
        return st_fail(buf, cap, "the dot-stuffed CRLF body at result.host",
                       h == NULL ? "no such host" : "another body");
    }
    return NULL;
}

/* One policy event matching the result first (when MTA-STS ran), then one
 * session event per MX tried or refused by the policy, matching its
 * verdict. */
static const char *st_reports(const st_step_t *s, sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    unsigned first = 0;
    unsigned want = 0;
    unsigned i;
    if (w->report_count > SIM_REPORT_LOG) {
        return st_fail_u(buf, cap, "events at most", SIM_REPORT_LOG, w->report_count);
    }
    if ((s->flags & ST_TWO_DOMAINS) != 0u) {
        return NULL; /* see ck_two_domains */
    }
    if ((s->flags & ST_NO_TXT) == 0u) {
        const sim_report_t *p = &w->reports[0];
        const char *mx_host = r->sts_fetched ? STS_HOST : "";
        if (w->report_count == 0u || p->ev.kind != SMTPC_EV_POLICY ||
            p->ev.err != (r->sts_fetched ? r->sts_fetch_err : SMTPC_OK) ||
            p->ev.sts_applied != r->sts_applied || p->ev.sts_mode != r->sts_mode ||
            strcmp(p->domain, STS_DOMAIN) != 0 || strcmp(p->mx_host, mx_host) != 0 ||
            strcmp(p->policy_id, r->sts_id) != 0) {
            return st_fail(buf, cap, "a first policy event matching the result",
                           w->report_count == 0u ? "none" : "another");
        }
        first = 1;
    }
    for (i = 0; i < r->mx_count; i++) {
        const smtpc_mx_verdict_t *v = &r->mx[i];
        const char *name = smtpc_client_mx_name(&w->client, i);
        const sim_report_t *e;
        if (!v->tried && v->err == SMTPC_OK) {
            continue;
        }
        want++;
        e = st_session_event(w, name);
        if (e == NULL || e->ev.err != v->err || (v->tried && e->ev.cert != v->cert) ||
            ((e->ev.flags & SMTPC_EV_F_MX_MISMATCH) != 0u) != (v->policy == SMTPC_MX_NO_MATCH) ||
            e->ev.sts_mode != r->sts_mode || e->ev.sts_applied != r->sts_applied) {
            snprintf(buf, cap, "expected a session event for %s matching its verdict got %s", name,
                     e == NULL ? "none" : "another");
            return buf;
        }
    }
    if (w->report_count != first + want) {
        return st_fail_u(buf, cap, "report events", first + want, w->report_count);
    }
    return NULL;
}

static const char *st_judge(const st_step_t *s, sim_world_t *w, char *buf, size_t cap)
{
    const char *why = st_outcome(s, w, buf, cap);
    if (why == NULL) {
        why = st_connects(s, w, buf, cap);
    }
    if (why == NULL) {
        why = st_sts(s, w, buf, cap);
    }
    if (why == NULL) {
        why = st_mx(s, w, buf, cap);
    }
    if (why == NULL) {
        why = st_dns(s, w, buf, cap);
    }
    if (why == NULL) {
        why = st_hosts(s, w, buf, cap);
    }
    if (why == NULL && (s->flags & ST_DELIVERS) != 0u) {
        why = st_delivered(w, buf, cap);
    }
    if (why == NULL) {
        why = st_reports(s, w, buf, cap);
    }
    if (why == NULL && s->check != NULL) {
        why = s->check(w, buf, cap);
    }
    return why;
}

/* ------------------------------------------------------------ running -- */

int sim_sts_scenario_run(size_t i, const char *cert_dir, char *why, size_t why_cap)
{
    const st_scenario_t *s;
    sim_world_t *w;
    unsigned k;
    int ok = 1;
    if (i >= N_STS) {
        snprintf(why, why_cap, "expected a scenario got index %zu", i);
        return 0;
    }
    s = &st_scenarios[i];
    w = (sim_world_t *)calloc(1, sizeof(*w));
    if (w == NULL) {
        snprintf(why, why_cap, "expected memory got none");
        return 0;
    }
    sim_world_defaults(w);
    st_base(w);
    s->setup(w);
    for (k = 0; k < s->steps && ok; k++) {
        const st_step_t *st = &s->step[k];
        const char *fail;
        int rc;
        if (k > 0u && st->before != NULL) {
            st->before(w);
        }
        rc = k == 0u ? sim_world_run(w, cert_dir, why, why_cap)
                     : sim_world_rerun(w, cert_dir, why, why_cap);
        if (rc != 0) {
            char setup[256];
            snprintf(setup, sizeof(setup), "%s", why);
            snprintf(why, why_cap, "expected a working setup got %s", setup);
            ok = 0;
            break;
        }
        fail = st_judge(st, w, why, why_cap);
        if (fail != NULL) {
            char inner[512];
            snprintf(inner, sizeof(inner), "%s", why);
            if (s->steps > 1u) {
                snprintf(why, why_cap, "delivery %u: %s", k + 1u, inner);
            }
            ok = 0;
        }
    }
    sim_world_free(w);
    free(w);
    return ok;
}
