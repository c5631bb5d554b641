/* Seed generator part: TLS-RPT TXT records and compact-log flash images made
 * with the real log (see gen_seeds.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpc/tlsrpt.h"

#include "fuzz_flash_common.h"
#include "gen_seeds.h"

static smtpc_flash_ram_t g_fl;
static smtpc_tlsrpt_log_t g_log;
static uint64_t g_now = 1790000000u;

static uint32_t clk_ms(void *ctx)
{
    (void)ctx;
    return 1u;
}

static uint64_t clk_utc(void *ctx)
{
    (void)ctx;
    return g_now;
}

static const smtpc_clock_ops_t k_clock = {clk_ms, clk_utc};

static void txt_seeds(void)
{
    /* Lengths from the literals: a NUL inside one separates two records. */
#define REC(x)                                                                                     \
    {                                                                                              \
        x, sizeof(x) - 1u                                                                          \
    }
    static const struct {
        const char *s;
        size_t n;
    } recs[] = {
        REC("v=TLSRPTv1; rua=mailto:tlsrpt@example.com"),
        REC("v=TLSRPTv1;rua=mailto:a@example.com,https://report.example.com/v1/tlsrpt"),
        REC("v=TLSRPTv1; rua=https://r.example:8443/path?q=1"),
        REC("v=TLSRPTv1 ; rua=mailto:a%40b@example.com?subject=x; ext=1"),
        REC("v=TLSRPTv1; rua=ftp://x.example/"),
        REC("v=TLSRPTv1;"),
        REC("v=TLSRPTv1; rua=mailto:a@x, mailto:b@y, mailto:c@z"),
        REC("v=TLSRPTv1; rua=mailto:a@x; rua=mailto:b@y"),
        REC("v=TLSRPTv1; rua=https://user@h.example/"),
        REC("v=TLSRPTv1; rua=https://[2001:db8::1]/r"),
        REC("v=TLSRPTv1; rua=https://h.example:0/"),
        REC("v=TLSRPTv1; rua=https://h.example/#frag"),
        REC("v=TLSRPTv1; rua=mailto:x@y\0v=TLSRPTv1; rua=mailto:z@w"),
        REC("v=spf1 -all\0v=TLSRPTv1; rua=mailto:only@example.net"),
        REC("v=TLSRPTv10; rua=mailto:a@b"),
        REC("v=TLSRPTv1; novalue"),
    };
    size_t i;
    char nm[32];
    for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
        snprintf(nm, sizeof(nm), "txt-%02u", (unsigned)i);
        put_file("tlsrpt_txt", nm, recs[i].s, recs[i].n);
    }
}

static void image(const char *target, const char *name, unsigned gi)
{
    static uint8_t buf[1 + FUZZ_FLASH_MAX];
    const smtpc_flash_geom_t *g = &k_fuzz_geoms[gi];
    size_t dev = (size_t)g->sector_size * g->sector_count;
    while (dev > 0 && g_flash_mem[dev - 1] == g->erased_value) {
        dev--;
    }
    buf[0] = (uint8_t)gi;
    memcpy(buf + 1, g_flash_mem, dev);
    put_file(target, name, buf, dev + 1);
}

static void event(const char *domain, const char *mx, int err, uint8_t cert, uint8_t flags,
                  const smtpc_sts_policy_t *pol)
{
    smtpc_tls_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = SMTPC_EV_SESSION;
    ev.err = err;
    ev.cert = cert;
    ev.flags = flags;
    ev.domain = domain;
    ev.policy_id = pol ? "pid1" : "";
    ev.policy = pol;
    ev.sts_mode = pol ? pol->mode : 0;
    ev.sts_applied = pol ? SMTPC_STS_APPLY_FETCHED : SMTPC_STS_APPLY_NONE;
    ev.mx_host = mx;
    ev.rpt = SMTPC_RPT_PUBLISHED;
    ev.tls_reached = err == SMTPC_OK ? SMTPC_REACHED_VERIFIED : SMTPC_REACHED_NONE;
    ev.ip_len = 4;
    memcpy(ev.ip, "\xc6\x33\x64\x09", 4);
    (void)smtpc_tlsrpt_log_record(&g_log, &ev, g_now);
}

static void log_seeds(void)
{
    static const unsigned geoms[3] = {0, 3, 5};
    smtpc_sts_policy_t pol;
    unsigned k, i;
    char nm[48];
    memset(&pol, 0, sizeof(pol));
    pol.mode = SMTPC_STS_MODE_ENFORCE;
    pol.max_age = 604800;
    memcpy(pol.mx_pool, "mx.example.com\0*.example.net", 29);
    pol.mx_pool_len = 29;
    pol.mx_count = 2;
    for (k = 0; k < 3; k++) {
        unsigned gi = geoms[k];
        const smtpc_flash_geom_t *g = &k_fuzz_geoms[gi];
        g_now = 1790000000u;
        if (smtpc_flash_ram_init(&g_fl, g_flash_mem, (size_t)g->sector_size * g->sector_count, g) !=
                SMTPC_OK ||
            smtpc_tlsrpt_log_mount(&g_log, &g_fl.ops, &g_fl, &k_clock, NULL) != SMTPC_OK) {
            fprintf(stderr, "gen_seeds: TLS-RPT log mount failed\n");
            exit(1);
        }
        snprintf(nm, sizeof(nm), "g%u-empty", gi);
        image("tlsrpt_log", nm, gi);
        event("example.com", "mx.example.com", SMTPC_OK, SMTPC_CERT_OK, 0, &pol);
        event("example.com", "mx.example.com", SMTPC_ERR_TLS_CERT_EXPIRED, SMTPC_CERT_EXPIRED, 0,
              &pol);
        (void)smtpc_tlsrpt_log_flush(&g_log);
        snprintf(nm, sizeof(nm), "g%u-one-domain", gi);
        image("tlsrpt_log", nm, gi);
        image("tlsrpt_render", nm, gi);
        event("example.org", "mx1.example.org", SMTPC_ERR_STARTTLS_REQUIRED, 0, SMTPC_EV_F_STRIP,
              NULL);
        event("example.org", "evil.example", SMTPC_ERR_STS_MX_NOT_ALLOWED, 0,
              SMTPC_EV_F_MX_MISMATCH, &pol);
        for (i = 0; i < 5; i++) {
            char mx[40];
            snprintf(mx, sizeof(mx), "mx%u.example.org", i);
            event("example.org", mx, SMTPC_ERR_TLS_CERT_UNTRUSTED, SMTPC_CERT_UNTRUSTED, 0, NULL);
        }
        g_now += 86400; /* the next day */
        event("example.com", "mx.example.com", SMTPC_ERR_TLS_CERT_HOSTNAME, SMTPC_CERT_HOSTNAME, 0,
              &pol);
        event("b\x63.example", "mx.bc.example", SMTPC_OK, SMTPC_CERT_OK, 0, NULL);
        (void)smtpc_tlsrpt_log_flush(&g_log);
        snprintf(nm, sizeof(nm), "g%u-two-days", gi);
        image("tlsrpt_log", nm, gi);
        image("tlsrpt_render", nm, gi);
    }
}

void seeds_tlsrpt(void)
{
    txt_seeds();
    log_seeds();
}
