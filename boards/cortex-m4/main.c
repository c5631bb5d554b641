/* Example application of the Cortex-M4 board: on an alarm, mail an alert to
 * the operators directly through their domain's MX hosts, under MTA-STS,
 * with the policy cache in internal flash. Bare metal: lwIP raw API in a
 * superloop (NO_SYS=1), mbedTLS with a static arena, no heap anywhere.
 *
 * With TLS-RPT compiled in (SMTPC_ENABLE_TLSRPT), every session is counted
 * in a flash log and the daily RFC 8460 report is rendered (cJSON), gzipped
 * and mailed to the policy domain's rua address.
 *
 * This image is built to be measured (tools/footprint.sh); it has not run
 * on hardware. Addresses and names below are placeholders. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "smtpc/cache.h"
#include "smtpc/kvs.h"
#include "smtpc/smtpc.h"
#include "smtpc_lwip.h"
#include "smtpc_mbedtls.h"
#if BOARD_HAVE_TLSRPT
#include "smtpc/tlsrpt.h"
#endif

/* Trust anchors, DER, concatenated (placeholder: the real image links the
 * roots the operators' MX and policy hosts chain to). */
static const uint8_t trust_anchors_der[] = {0x30, 0x82, 0x00, 0x00};

static const char alert_text[] = "From: <alarm@device.example>\r\n"
                                 "To: <ops@example.net>\r\n"
                                 "Subject: ALARM: pump 2 pressure low\r\n"
                                 "Auto-Submitted: auto-generated\r\n"
                                 "MIME-Version: 1.0\r\n"
                                 "Content-Type: text/plain; charset=us-ascii\r\n"
                                 "\r\n"
                                 "Pump 2 pressure below 1.2 bar for 60 s.\r\n";
static const char *const alert_to[] = {"ops@example.net", "oncall@example.net"};

/* Every piece of state is static: the map file shows all RAM. */
static struct netif eth_if;
static smtpc_lwip_rng_t rng;
static smtpc_lwip_dns_t dns;
static smtpc_lwip_net_t net;
static smtpc_mbedtls_t tls;
static uint8_t tls_arena[40 * 1024] __attribute__((aligned(8)));
static smtpc_kvs_t kvs;
static smtpc_cache_t cache;
static smtpc_floor_clock_t fclock;
static smtpc_platform_t plat;
static smtpc_client_cfg_t cfg;
static smtpc_client_t client;
static smtpc_client_mem_t mem;
#if BOARD_HAVE_TLSRPT
static smtpc_tlsrpt_log_t rptlog;
#endif

typedef struct {
    const char *p;
    size_t len, off;
} text_src_t;

static int text_read(void *arg, uint8_t *buf, size_t cap, size_t *len, bool *eof)
{
    text_src_t *t = arg;
    size_t n = t->len - t->off < cap ? t->len - t->off : cap;

    memcpy(buf, t->p + t->off, n);
    t->off += n;
    *len = n;
    *eof = t->off == t->len;
    return SMTPC_OK;
}

static int text_rewind(void *arg)
{
    ((text_src_t *)arg)->off = 0;
    return SMTPC_OK;
}

/* Runs one delivery to completion, serving lwIP between steps. */
static int deliver(const smtpc_client_cfg_t *c, const smtpc_envelope_t *env, text_src_t *src)
{
    smtpc_body_src_t body = {.read = text_read, .rewind = text_rewind, .arg = src};
    int rc = smtpc_client_init(&client, c, &plat, &mem);

    if (rc == SMTPC_OK) {
        rc = smtpc_client_start(&client, env, &body);
    }
    while (rc == SMTPC_IN_PROGRESS) {
        uint32_t deadline;
        board_eth_poll(&eth_if);
        sys_check_timeouts();
        rc = smtpc_client_step(&client);
        (void)smtpc_client_wants(&client, &deadline);
        /* a real board sleeps here (WFI) until an interrupt or the deadline */
    }
    return rc;
}

static int send_alert(void)
{
    text_src_t src = {alert_text, sizeof alert_text - 1, 0};
    smtpc_envelope_t env = {.from = "alarm@device.example", .to = alert_to, .to_count = 2};

    cfg.mode = SMTPC_MODE_MX;
    cfg.session.helo_name = "device.example";
    cfg.session.tls_mode = SMTPC_TLS_STARTTLS;
    cfg.session.tls_level = SMTPC_TLS_ENCRYPTED; /* raised to VERIFIED by enforce */
    cfg.sts_off = 0;
    return deliver(&cfg, &env, &src);
}

#if BOARD_HAVE_TLSRPT
/* Once a day: the oldest due report, rendered, gzipped and mailed to the
 * rua address through the same client (submission to the domain's MX). */
static char rpt_json[1536];
static uint8_t rpt_gz[1600];
static char rpt_mail[3072];
static smtpc_tlsrpt_report_t rpt;
#if BOARD_HAVE_TLSRPT_JSON
static uint8_t rpt_arena[SMTPC_TLSRPT_ARENA] __attribute__((aligned(8)));
#endif

static void send_due_report(uint64_t now)
{
    uint32_t day;
    size_t json_len = 0, gz_len = 0, mail_len = 0;
    char date[24];

    if (smtpc_tlsrpt_log_due(&rptlog, now, 3600u, &day, rpt.domain, sizeof rpt.domain) !=
            SMTPC_OK ||
        smtpc_tlsrpt_log_load(&rptlog, day, rpt.domain, &rpt) != SMTPC_OK) {
        return;
    }
#if BOARD_HAVE_TLSRPT_JSON
    {
        smtpc_tlsrpt_meta_t meta = {
            .org = "Example Devices", .contact = "tlsrpt@device.example", .unique = "D0001"};
        if (smtpc_tlsrpt_render(&rpt, &meta, rpt_arena, sizeof rpt_arena, rpt_json, sizeof rpt_json,
                                &json_len) != SMTPC_OK) {
            return;
        }
    }
#endif
    if (smtpc_gzip_stored((const uint8_t *)rpt_json, json_len, rpt_gz, sizeof rpt_gz, &gz_len) !=
        SMTPC_OK) {
        return;
    }
    (void)smtpc_tlsrpt_rfc3339(now, date);
    {
        smtpc_tlsrpt_mail_t m = {.from = "tlsrpt@device.example",
                                 .to = "tlsrpt@example.net",
                                 .policy_domain = rpt.domain,
                                 .submitter = "device.example",
                                 .report_id = "D0001",
                                 .date = date,
                                 .message_id = "<r1@device.example>",
                                 .range_start = (uint64_t)day * 86400u,
                                 .range_end = (uint64_t)day * 86400u + 86399u,
                                 .unique = "D0001",
                                 .gz = rpt_gz,
                                 .gz_len = gz_len};
        const char *to[1] = {"tlsrpt@example.net"};
        smtpc_envelope_t env = {.from = "tlsrpt@device.example", .to = to, .to_count = 1};
        text_src_t src = {rpt_mail, 0, 0};
        if (smtpc_tlsrpt_mail_build(&m, rpt_mail, sizeof rpt_mail, &mail_len) != SMTPC_OK) {
            return;
        }
        src.len = mail_len;
        if (deliver(&cfg, &env, &src) == SMTPC_OK) {
            (void)smtpc_tlsrpt_log_remove(&rptlog, day, rpt.domain);
        }
    }
}
#endif

int main(void)
{
    ip_addr_t ns;
    smtpc_mbedtls_cfg_t tcfg;

    lwip_init();
    if (board_eth_init(&eth_if) != 0) {
        return 1;
    }
    smtpc_lwip_rng_init(&rng, board_trng_fill, NULL);
    smtpc_lwip_dns_init(&dns, &smtpc_lwip_rng_ops, &rng);
    IP_ADDR4(&ns, 192, 0, 2, 53);
    (void)smtpc_lwip_dns_add_server(&dns, &ns, 53);
    smtpc_lwip_net_init(&net, &dns, &smtpc_lwip_clock, &rng);

    memset(&tcfg, 0, sizeof tcfg);
    tcfg.ca_pem = trust_anchors_der;
    tcfg.ca_pem_len = sizeof trust_anchors_der;
    tcfg.rng = &smtpc_lwip_rng_ops;
    tcfg.rng_ctx = &rng;
    if (smtpc_mbedtls_arena_init(tls_arena, sizeof tls_arena) != SMTPC_OK ||
        smtpc_mbedtls_init(&tls, &tcfg) != SMTPC_OK) {
        return 1;
    }

    /* Policy cache on flash, and the time floor behind the wall clock. */
    (void)smtpc_kvs_mount(&kvs, &board_flash_ops, (void *)&board_flash_cache);
    (void)smtpc_cache_init(&cache, &kvs);
    fclock = (smtpc_floor_clock_t){
        .inner = &smtpc_lwip_clock_ops, .inner_ctx = &smtpc_lwip_clock, .cache = &cache};

    plat.net = &smtpc_lwip_net_ops;
    plat.net_ctx = &net;
    plat.tls = &smtpc_mbedtls_tls_ops;
    plat.tls_ctx = &tls;
    plat.clock = &smtpc_floor_clock_ops;
    plat.clock_ctx = &fclock;
    plat.rng = &smtpc_lwip_rng_ops;
    plat.rng_ctx = &rng;
    plat.dgram = &smtpc_lwip_dgram_ops;
    plat.dgram_ctx = &dns;
    plat.sts_store = &smtpc_cache_ops;
    plat.sts_store_ctx = &cache;
#if BOARD_HAVE_TLSRPT
    (void)smtpc_tlsrpt_log_mount(&rptlog, &board_flash_ops, (void *)&board_flash_rptlog,
                                 &smtpc_floor_clock_ops, &fclock);
    plat.report = smtpc_tlsrpt_hook;
    plat.report_arg = &rptlog;
#endif

    for (;;) {
        board_eth_poll(&eth_if);
        sys_check_timeouts();
        if (send_alert() != SMTPC_OK) {
            /* retried at the next alarm; the result says why */
        }
#if BOARD_HAVE_TLSRPT
        send_due_report(smtpc_floor_clock_ops.utc_s(&fclock));
#endif
    }
}
