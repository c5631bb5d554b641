/* TLS-RPT scenarios (RFC 8460): the real client delivers in SMTPC_MODE_MX in
 * the simulated world with the report hook feeding a compact log
 * (smtpc_tlsrpt_log_t) on a RAM-backed NOR flash. After the deliveries the
 * scenario loads the report of (day, example.test) and checks it whole:
 * the policy entries (type, mode, patterns), success and failure totals,
 * and every failure group (result type, MX name, receiving IP, reason),
 * plus the log's counters. Sessions of a domain without exactly one valid
 * `_smtp._tls` record must leave no report at all. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "smtpc/tlsrpt.h"
#include "smtpc_flash_ram.h"

#if SMTPC_ENABLE_TLSRPT

#define RP_DOMAIN   "example.test"
#define RP_STS_TXT  "_mta-sts.example.test"
#define RP_RPT_TXT  "_smtp._tls.example.test"
#define RP_STS_HOST "mta-sts.example.test"
#define RP_MX1      "mx1.example.test"
#define RP_RUA      "v=TLSRPTv1; rua=mailto:tlsrpt@reports.example.test"
/* 2026-01-01T00:00:00Z, day 20454 since the epoch. */
#define RP_UTC0 1767225600u
#define RP_DAY0 (RP_UTC0 / 86400u)

#define RP_EHLO_HEAD     "250-mx.example.test Hello client.example.test\r\n"
#define RP_EHLO_PLAIN    RP_EHLO_HEAD "250-PIPELINING\r\n250-8BITMIME\r\n250 STARTTLS\r\n"
#define RP_EHLO_TLS      RP_EHLO_HEAD "250-PIPELINING\r\n250 8BITMIME\r\n"
#define RP_EHLO_STRIPPED RP_EHLO_HEAD "250-PIPELINING\r\n250-XXXXXXXA\r\n250 8BITMIME\r\n"
#define RP_EHLO_NO_TLS   RP_EHLO_HEAD "250-PIPELINING\r\n250 8BITMIME\r\n"

#define RP_POL_ENFORCE                                                                             \
    "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\nmax_age: 86400\r\n"
#define RP_POL_TESTING                                                                             \
    "version: STSv1\r\nmode: testing\r\nmx: mx1.example.test\r\nmax_age: 86400\r\n"

/* The flash of the log: 4 sectors of 4 KiB, 16-byte program unit. */
#define RP_SECTOR  4096u
#define RP_SECTORS 4u

typedef struct {
    sim_world_t w;
    uint8_t flash_mem[RP_SECTOR * RP_SECTORS];
    smtpc_flash_ram_t flash;
    smtpc_tlsrpt_log_t log;
    smtpc_tlsrpt_report_t rep;
    char resp[1024];
} rp_ctx_t;

/* An expected failure group. */
typedef struct {
    uint8_t result;
    const char *mx;  /* NULL: none */
    uint8_t ip_last; /* 192.0.2.x; 0: no IP */
    uint8_t reason_ns;
    int reason_err; /* smtpc error for REASON_SMTPC */
    uint32_t count;
} rp_detail_t;

typedef struct {
    const char *name;
    const char *desc;
    void (*setup)(rp_ctx_t *x);
    unsigned deliveries;
    void (*between)(rp_ctx_t *x, unsigned k); /* before delivery k (k >= 1) */
    int err;                                  /* of the last delivery */
    int logged;                               /* 0: no report must exist */
    uint8_t pol_type;
    uint8_t pol_mode;
    uint32_t success;
    uint32_t failure;
    unsigned detail_count;
    rp_detail_t details[3];
} rp_scenario_t;

static const char *rp_http_ok(rp_ctx_t *x, const char *policy)
{
    snprintf(x->resp, sizeof(x->resp),
             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(policy), policy);
    return x->resp;
}

/* MX delivery at level ENCRYPTED, report hook on, log mounted on fresh flash. */
static void rp_base(rp_ctx_t *x)
{
    sim_world_t *w = &x->w;
    w->ccfg.mode = SMTPC_MODE_MX;
    w->ccfg.host = NULL;
    w->ccfg.port = 0;
    w->ccfg.session.user = NULL;
    w->ccfg.session.pass = NULL;
    w->ccfg.session.tls_level = SMTPC_TLS_ENCRYPTED;
    w->peer_cfg.ehlo_plain = RP_EHLO_PLAIN;
    w->peer_cfg.ehlo_tls = RP_EHLO_TLS;
    w->clock.utc_s = RP_UTC0 + 3600u;
    smtpc_sts_ram_init(&w->sts_ram);
    w->plat.sts_store = &smtpc_sts_ram_ops;
    w->plat.sts_store_ctx = &w->sts_ram;
    w->plat.report = sim_report_hook;
    w->plat.report_arg = w;
    w->rptlog = &x->log;
    (void)sim_dns_add(&w->dns, RP_DOMAIN, SMTPC_DNS_TYPE_MX, 10, RP_MX1);
}

static void rp_rua(rp_ctx_t *x)
{
    (void)sim_dns_add(&x->w.dns, RP_RPT_TXT, SMTPC_DNS_TYPE_TXT, 0, RP_RUA);
}

static void rp_sts(rp_ctx_t *x, const char *policy, const char *mx_cert)
{
    (void)sim_dns_add(&x->w.dns, RP_STS_TXT, SMTPC_DNS_TYPE_TXT, 0, "v=STSv1; id=rp1;");
    (void)sim_world_add_host(&x->w, RP_MX1, mx_cert);
    (void)sim_world_add_https(&x->w, RP_STS_HOST, "sts", rp_http_ok(x, policy));
}

/* ------------------------------------------------------------ setups --- */

static void su_enforce_ok(rp_ctx_t *x)
{
    rp_base(x);
    rp_rua(x);
    rp_sts(x, RP_POL_ENFORCE, "mx1");
}

static void su_no_record(rp_ctx_t *x)
{
    rp_base(x);
    rp_sts(x, RP_POL_ENFORCE, "mx1");
}

static void su_two_records(rp_ctx_t *x)
{
    su_enforce_ok(x);
    (void)sim_dns_add(&x->w.dns, RP_RPT_TXT, SMTPC_DNS_TYPE_TXT, 0,
                      "v=TLSRPTv1; rua=https://reports.example.test/tlsrpt");
}

static void su_invalid_record(rp_ctx_t *x)
{
    rp_base(x);
    rp_sts(x, RP_POL_ENFORCE, "mx1");
    (void)sim_dns_add(&x->w.dns, RP_RPT_TXT, SMTPC_DNS_TYPE_TXT, 0, "v=TLSRPTv1; ruax");
}

static void su_stripped(rp_ctx_t *x)
{
    su_enforce_ok(x);
    x->w.hosts[0].cfg.ehlo_plain = RP_EHLO_STRIPPED;
}

static void su_testing_wronghost(rp_ctx_t *x)
{
    rp_base(x);
    rp_rua(x);
    rp_sts(x, RP_POL_TESTING, "good"); /* a chain for another name */
}

static void su_enforce_wronghost(rp_ctx_t *x)
{
    rp_base(x);
    rp_rua(x);
    rp_sts(x, RP_POL_ENFORCE, "good");
}

static void su_spoofed_mx(rp_ctx_t *x)
{
    su_enforce_ok(x);
    (void)sim_dns_add(&x->w.dns, RP_DOMAIN, SMTPC_DNS_TYPE_MX, 5, SIM_DNS_EVIL_MX);
    (void)sim_world_add_host(&x->w, SIM_DNS_EVIL_MX, "good");
}

static void su_fetch_404(rp_ctx_t *x)
{
    rp_base(x);
    rp_rua(x);
    (void)sim_dns_add(&x->w.dns, RP_STS_TXT, SMTPC_DNS_TYPE_TXT, 0, "v=STSv1; id=rp1;");
    (void)sim_world_add_host(&x->w, RP_MX1, "mx1");
    (void)sim_world_add_https(&x->w, RP_STS_HOST, "sts",
                              "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
}

static void su_policy_invalid(rp_ctx_t *x)
{
    rp_base(x);
    rp_rua(x);
    rp_sts(x, "version: STSv1\r\nmode: sometimes\r\nmax_age: 86400\r\n", "mx1");
}

static void su_policy_webpki(rp_ctx_t *x)
{
    rp_base(x);
    rp_rua(x);
    (void)sim_dns_add(&x->w.dns, RP_STS_TXT, SMTPC_DNS_TYPE_TXT, 0, "v=STSv1; id=rp1;");
    (void)sim_world_add_host(&x->w, RP_MX1, "mx1");
    (void)sim_world_add_https(&x->w, RP_STS_HOST, "sts_wronghost", rp_http_ok(x, RP_POL_ENFORCE));
}

static void su_no_policy(rp_ctx_t *x)
{
    rp_base(x);
    rp_rua(x);
    (void)sim_world_add_host(&x->w, RP_MX1, "mx1");
}

static void su_no_policy_no_tls(rp_ctx_t *x)
{
    su_no_policy(x);
    x->w.hosts[0].cfg.ehlo_plain = RP_EHLO_NO_TLS;
}

static void bt_same_day(rp_ctx_t *x, unsigned k)
{
    x->w.clock.utc_s += 600u * k;
}

/* --------------------------------------------------------- scenarios --- */

static const rp_scenario_t rp_scenarios[] = {
    {"tlsrpt_enforce_success",
     "enforce policy, valid MX certificate: one success, no failure",
     su_enforce_ok,
     1,
     NULL,
     SMTPC_OK,
     1,
     SMTPC_RPT_POLICY_STS,
     SMTPC_STS_MODE_ENFORCE,
     1,
     0,
     0,
     {{0}}},
    {"tlsrpt_batched_successes",
     "five deliveries in a day: successes are batched in RAM and all counted after a flush",
     su_enforce_ok,
     5,
     bt_same_day,
     SMTPC_OK,
     1,
     SMTPC_RPT_POLICY_STS,
     SMTPC_STS_MODE_ENFORCE,
     5,
     0,
     0,
     {{0}}},
    {"tlsrpt_no_record",
     "the domain publishes no _smtp._tls record: nothing is logged",
     su_no_record,
     1,
     NULL,
     SMTPC_OK,
     0,
     0,
     0,
     0,
     0,
     0,
     {{0}}},
    {"tlsrpt_two_records",
     "two TLSRPTv1 records (RFC 8460 §3: not exactly one): nothing logged",
     su_two_records,
     1,
     NULL,
     SMTPC_OK,
     0,
     0,
     0,
     0,
     0,
     0,
     {{0}}},
    {"tlsrpt_invalid_record",
     "the only TLSRPTv1 record is invalid: nothing logged",
     su_invalid_record,
     1,
     NULL,
     SMTPC_OK,
     0,
     0,
     0,
     0,
     0,
     0,
     {{0}}},
    {"tlsrpt_starttls_stripped",
     "enforce, the MX's EHLO shows XXXXXXXA instead of STARTTLS: starttls-not-supported with "
     "the strip reason, MX and IP",
     su_stripped,
     1,
     NULL,
     SMTPC_ERR_STARTTLS_REQUIRED,
     1,
     SMTPC_RPT_POLICY_STS,
     SMTPC_STS_MODE_ENFORCE,
     0,
     1,
     1,
     {{SMTPC_RPT_STARTTLS_NOT_SUPPORTED, RP_MX1, 10, SMTPC_RPT_REASON_STRIP, 0, 1}}},
    {"tlsrpt_testing_host_mismatch",
     "testing mode, MX certificate for another name: delivered, counted as "
     "certificate-host-mismatch",
     su_testing_wronghost,
     1,
     NULL,
     SMTPC_OK,
     1,
     SMTPC_RPT_POLICY_STS,
     SMTPC_STS_MODE_TESTING,
     0,
     1,
     1,
     {{SMTPC_RPT_CERT_HOST_MISMATCH, RP_MX1, 10, SMTPC_RPT_REASON_SMTPC,
       SMTPC_ERR_TLS_CERT_HOSTNAME, 1}}},
    {"tlsrpt_enforce_host_mismatch",
     "enforce, MX certificate for another name: refused, certificate-host-mismatch",
     su_enforce_wronghost,
     1,
     NULL,
     SMTPC_ERR_TLS_CERT_HOSTNAME,
     1,
     SMTPC_RPT_POLICY_STS,
     SMTPC_STS_MODE_ENFORCE,
     0,
     1,
     1,
     {{SMTPC_RPT_CERT_HOST_MISMATCH, RP_MX1, 10, SMTPC_RPT_REASON_SMTPC,
       SMTPC_ERR_TLS_CERT_HOSTNAME, 1}}},
    {"tlsrpt_spoofed_mx",
     "a spoofed MX not in the enforce policy is refused (validation-failure, no IP), the listed "
     "MX delivers (success)",
     su_spoofed_mx,
     1,
     NULL,
     SMTPC_OK,
     1,
     SMTPC_RPT_POLICY_STS,
     SMTPC_STS_MODE_ENFORCE,
     1,
     1,
     1,
     {{SMTPC_RPT_VALIDATION_FAILURE, SIM_DNS_EVIL_MX, 0, SMTPC_RPT_REASON_SMTPC,
       SMTPC_ERR_STS_MX_NOT_ALLOWED, 1}}},
    {"tlsrpt_fetch_error",
     "policy host answers 404 and nothing is cached: one sts-policy-fetch-error, the MX "
     "session is not counted again",
     su_fetch_404,
     1,
     NULL,
     SMTPC_OK,
     1,
     SMTPC_RPT_POLICY_STS_UNKNOWN,
     0,
     0,
     1,
     1,
     {{SMTPC_RPT_STS_POLICY_FETCH_ERROR, NULL, 0, SMTPC_RPT_REASON_SMTPC, SMTPC_ERR_HTTP_STATUS,
       1}}},
    {"tlsrpt_policy_invalid",
     "the policy does not parse: one sts-policy-invalid",
     su_policy_invalid,
     1,
     NULL,
     SMTPC_OK,
     1,
     SMTPC_RPT_POLICY_STS_UNKNOWN,
     0,
     0,
     1,
     1,
     {{SMTPC_RPT_STS_POLICY_INVALID, NULL, 0, SMTPC_RPT_REASON_SMTPC, SMTPC_ERR_STS_POLICY_INVALID,
       1}}},
    {"tlsrpt_policy_webpki",
     "the policy host's certificate names another host: one sts-webpki-invalid",
     su_policy_webpki,
     1,
     NULL,
     SMTPC_OK,
     1,
     SMTPC_RPT_POLICY_STS_UNKNOWN,
     0,
     0,
     1,
     1,
     {{SMTPC_RPT_STS_WEBPKI_INVALID, NULL, 0, SMTPC_RPT_REASON_SMTPC, SMTPC_ERR_TLS_CERT_HOSTNAME,
       1}}},
    {"tlsrpt_no_policy_success",
     "no MTA-STS policy, STARTTLS works: no-policy-found, one success",
     su_no_policy,
     1,
     NULL,
     SMTPC_OK,
     1,
     SMTPC_RPT_POLICY_NONE_FOUND,
     0,
     1,
     0,
     0,
     {{0}}},
    {"tlsrpt_no_policy_no_starttls",
     "no policy, the MX offers no STARTTLS (sender requires encryption): "
     "starttls-not-supported under no-policy-found",
     su_no_policy_no_tls,
     1,
     NULL,
     SMTPC_ERR_STARTTLS_REQUIRED,
     1,
     SMTPC_RPT_POLICY_NONE_FOUND,
     0,
     0,
     1,
     1,
     {{SMTPC_RPT_STARTTLS_NOT_SUPPORTED, RP_MX1, 10, SMTPC_RPT_REASON_SMTPC,
       SMTPC_ERR_STARTTLS_REQUIRED, 1}}},
};

#define RP_COUNT (sizeof(rp_scenarios) / sizeof(rp_scenarios[0]))

size_t sim_rpt_scenario_count(void)
{
    return RP_COUNT;
}

const char *sim_rpt_scenario_name(size_t i)
{
    return i < RP_COUNT ? rp_scenarios[i].name : NULL;
}

const char *sim_rpt_scenario_desc(size_t i)
{
    return i < RP_COUNT ? rp_scenarios[i].desc : NULL;
}

static int rp_fail(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int rp_fail(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return 0;
}

/* Check the loaded report against the scenario. */
static int rp_check_report(const rp_scenario_t *s, const smtpc_tlsrpt_report_t *r, char *why,
                           size_t cap)
{
    const smtpc_rpt_policy_t *p;
    unsigned i;
    uint32_t sum = 0;
    if (strcmp(r->domain, RP_DOMAIN) != 0 || r->day != RP_DAY0) {
        return rp_fail(why, cap, "report %s day %lu (want day %lu)", r->domain,
                       (unsigned long)r->day, (unsigned long)RP_DAY0);
    }
    if (r->policy_count != 1) {
        return rp_fail(why, cap, "policy entries %u, want 1", r->policy_count);
    }
    p = &r->policies[0];
    if (p->type != s->pol_type) {
        return rp_fail(why, cap, "policy type %u, want %u", p->type, s->pol_type);
    }
    if (p->type == SMTPC_RPT_POLICY_STS &&
        (p->policy.mode != s->pol_mode || p->policy.mx_count != 1 ||
         strcmp(p->policy.mx_pool, RP_MX1) != 0 || p->policy.max_age != 86400u)) {
        return rp_fail(why, cap, "policy snapshot: mode %u mx_count %u max_age %lu", p->policy.mode,
                       p->policy.mx_count, (unsigned long)p->policy.max_age);
    }
    if (p->success != s->success || p->failure != s->failure) {
        return rp_fail(why, cap, "totals success/failure %lu/%lu, want %lu/%lu",
                       (unsigned long)p->success, (unsigned long)p->failure,
                       (unsigned long)s->success, (unsigned long)s->failure);
    }
    if (r->detail_count != s->detail_count || r->overflow != 0) {
        return rp_fail(why, cap, "details %u overflow %lu, want %u", r->detail_count,
                       (unsigned long)r->overflow, s->detail_count);
    }
    for (i = 0; i < r->detail_count; i++) {
        const smtpc_rpt_detail_t *d = &r->details[i];
        const rp_detail_t *e = &s->details[i];
        const char *mx = d->mx != 0xFFFFu && d->mx < r->mx_pool_len ? r->mx_pool + d->mx : NULL;
        sum += d->count;
        if (d->policy != 0 || d->result != e->result || d->count != e->count) {
            return rp_fail(why, cap, "detail %u: result %u count %lu, want %u %lu", i, d->result,
                           (unsigned long)d->count, e->result, (unsigned long)e->count);
        }
        if ((mx == NULL) != (e->mx == NULL) || (mx != NULL && strcmp(mx, e->mx) != 0)) {
            return rp_fail(why, cap, "detail %u: MX %s", i, mx != NULL ? mx : "(none)");
        }
        if (e->ip_last == 0 ? d->ip.len != 0
                            : (d->ip.len != 4 || d->ip.addr[0] != 192 || d->ip.addr[1] != 0 ||
                               d->ip.addr[2] != 2 || d->ip.addr[3] != e->ip_last)) {
            return rp_fail(why, cap, "detail %u: IP len %u last %u", i, d->ip.len,
                           d->ip.len == 4 ? d->ip.addr[3] : 0u);
        }
        if (d->reason_ns != e->reason_ns ||
            (e->reason_ns == SMTPC_RPT_REASON_SMTPC && d->reason != (uint32_t)-e->reason_err)) {
            return rp_fail(why, cap, "detail %u: reason ns %u value %lu", i, d->reason_ns,
                           (unsigned long)d->reason);
        }
    }
    if (sum != p->failure) {
        return rp_fail(why, cap, "sum of details %lu != failure total %lu", (unsigned long)sum,
                       (unsigned long)p->failure);
    }
    return 1;
}

int sim_rpt_scenario_run(size_t idx, const char *cert_dir, char *why, size_t why_cap)
{
    static const smtpc_flash_geom_t geom = {16, 16, RP_SECTOR, RP_SECTORS, 0xFF};
    const rp_scenario_t *s;
    rp_ctx_t *x;
    char err[512];
    unsigned k;
    int ok = 0;
    int rc;
    uint32_t day = 0;
    char dom[SMTPC_DNS_NAME_BUF];
    if (idx >= RP_COUNT) {
        return 0;
    }
    s = &rp_scenarios[idx];
    x = (rp_ctx_t *)calloc(1, sizeof(*x));
    if (x == NULL) {
        snprintf(why, why_cap, "out of memory");
        return 0;
    }
    sim_world_defaults(&x->w);
    if (smtpc_flash_ram_init(&x->flash, x->flash_mem, sizeof(x->flash_mem), &geom) != SMTPC_OK ||
        smtpc_tlsrpt_log_mount(&x->log, &x->flash.ops, &x->flash, &sim_clock_ops, &x->w.clock) !=
            SMTPC_OK) {
        snprintf(why, why_cap, "log mount failed");
        goto out;
    }
    s->setup(x);
    for (k = 0; k < s->deliveries; k++) {
        if (k > 0 && s->between != NULL) {
            s->between(x, k);
        }
        rc = k == 0 ? sim_world_run(&x->w, cert_dir, err, sizeof(err))
                    : sim_world_rerun(&x->w, cert_dir, err, sizeof(err));
        if (rc != 0) {
            snprintf(why, why_cap, "delivery %u: %s", k + 1, err);
            goto out;
        }
        if (x->w.rpt_rc != SMTPC_OK) {
            snprintf(why, why_cap, "delivery %u: log record: %s", k + 1,
                     smtpc_strerror(x->w.rpt_rc));
            goto out;
        }
    }
    if (x->w.rc != s->err) {
        snprintf(why, why_cap, "delivery ended with %s, want %s", smtpc_strerror(x->w.rc),
                 smtpc_strerror(s->err));
        goto out;
    }
    /* The questions of the last delivery: TXT _mta-sts (when published),
     * TXT _smtp._tls once, then MX, in this order. */
    {
        const sim_dns_t *d = &x->w.dns;
        unsigned q = 0;
        if (d->log_len > q && strcmp(d->log[q].qname, RP_STS_TXT) == 0) {
            q++;
        }
        if (d->log_len != q + 2u || d->log[q].qtype != SMTPC_DNS_TYPE_TXT ||
            strcmp(d->log[q].qname, RP_RPT_TXT) != 0 || d->log[q + 1u].qtype != SMTPC_DNS_TYPE_MX ||
            strcmp(d->log[q + 1u].qname, RP_DOMAIN) != 0) {
            snprintf(why, why_cap, "DNS questions: want [TXT %s,] TXT %s, MX %s (%u asked)",
                     RP_STS_TXT, RP_RPT_TXT, RP_DOMAIN, d->log_len);
            goto out;
        }
    }
    /* Every event says what the TLSRPT lookup found. */
    for (k = 0; k < x->w.report_count && k < SIM_REPORT_LOG; k++) {
        uint8_t want = s->logged ? SMTPC_RPT_PUBLISHED : SMTPC_RPT_ABSENT;
        if (x->w.reports[k].ev.rpt != want) {
            snprintf(why, why_cap, "event %u: rpt %u, want %u", k, x->w.reports[k].ev.rpt, want);
            goto out;
        }
    }
    /* A remount (a reboot) before reading: what was flushed survives. */
    if (smtpc_tlsrpt_log_flush(&x->log) != SMTPC_OK ||
        smtpc_tlsrpt_log_mount(&x->log, &x->flash.ops, &x->flash, &sim_clock_ops, &x->w.clock) !=
            SMTPC_OK) {
        snprintf(why, why_cap, "flush or remount failed");
        goto out;
    }
    rc = smtpc_tlsrpt_log_list(&x->log, 0, &day, dom, sizeof(dom));
    if (!s->logged) {
        if (rc != SMTPC_ERR_NOT_FOUND) {
            snprintf(why, why_cap, "a report exists (%s day %lu) but none may", dom,
                     (unsigned long)day);
            goto out;
        }
        ok = 1;
        goto out;
    }
    if (rc != SMTPC_OK ||
        smtpc_tlsrpt_log_list(&x->log, 1, &day, dom, sizeof(dom)) != SMTPC_ERR_NOT_FOUND) {
        snprintf(why, why_cap, "want exactly one report (list: %s)", smtpc_strerror(rc));
        goto out;
    }
    rc = smtpc_tlsrpt_log_load(&x->log, RP_DAY0, RP_DOMAIN, &x->rep);
    if (rc != SMTPC_OK) {
        snprintf(why, why_cap, "load: %s", smtpc_strerror(rc));
        goto out;
    }
    ok = rp_check_report(s, &x->rep, why, why_cap);
    /* Delivered reports leave the log. */
    if (ok && (smtpc_tlsrpt_log_remove(&x->log, RP_DAY0, RP_DOMAIN) != SMTPC_OK ||
               smtpc_tlsrpt_log_list(&x->log, 0, &day, dom, sizeof(dom)) != SMTPC_ERR_NOT_FOUND)) {
        snprintf(why, why_cap, "the report is still listed after remove");
        ok = 0;
    }
out:
    sim_world_free(&x->w);
    free(x);
    return ok;
}

#else /* !SMTPC_ENABLE_TLSRPT */

size_t sim_rpt_scenario_count(void)
{
    return 0;
}

const char *sim_rpt_scenario_name(size_t i)
{
    (void)i;
    return NULL;
}

const char *sim_rpt_scenario_desc(size_t i)
{
    (void)i;
    return NULL;
}

int sim_rpt_scenario_run(size_t idx, const char *cert_dir, char *why, size_t why_cap)
{
    (void)idx;
    (void)cert_dir;
    snprintf(why, why_cap, "TLS-RPT is compiled out");
    return 0;
}

#endif
