/* Profile application for tools/footprint.sh: calls exactly the API one
 * smtpc profile needs, over do-nothing port ops, so that a link with
 * --gc-sections keeps only the smtpc code that profile can reach.
 *
 *   FP_PROFILE 1  submission: one server, STARTTLS, AUTH, several recipients
 *   FP_PROFILE 2  + MX delivery with MTA-STS and the flash policy cache
 *   FP_PROFILE 3  + TLS-RPT (log hook, report render, gzip, report mail)
 *
 * Never run: it only has to link. The ops live here (counted as "app"). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smtpc/smtpc.h"
#if FP_PROFILE >= 2
#include "smtpc/cache.h"
#include "smtpc/kvs.h"
#endif
#if FP_PROFILE >= 3
#include "smtpc/tlsrpt.h"
#endif

static int32_t s_send(void *ctx, const uint8_t *b, size_t n)
{
    (void)ctx;
    (void)b;
    return (int32_t)n;
}
static int32_t s_recv(void *ctx, uint8_t *b, size_t n)
{
    (void)ctx;
    (void)b;
    (void)n;
    return 0;
}
static void s_close(void *ctx)
{
    (void)ctx;
}
static const smtpc_stream_ops_t stream_ops = {.send = s_send, .recv = s_recv, .close = s_close};
static int n_connect(void *ctx, const char *h, uint16_t p, smtpc_stream_t *out)
{
    (void)h;
    (void)p;
    out->ops = &stream_ops;
    out->ctx = ctx;
    return SMTPC_OK;
}
static int n_poll(void *ctx, smtpc_stream_t *out)
{
    out->ops = &stream_ops;
    out->ctx = ctx;
    return SMTPC_OK;
}
static const smtpc_net_ops_t net_ops = {.connect = n_connect, .connect_poll = n_poll};
static int t_start(void *ctx, const smtpc_stream_t *u, const char *sni, smtpc_verify_t v)
{
    (void)ctx;
    (void)u;
    (void)sni;
    (void)v;
    return SMTPC_OK;
}
static int t_hs(void *ctx, unsigned *w)
{
    (void)ctx;
    *w = 0;
    return SMTPC_OK;
}
static smtpc_cert_verdict_t t_verdict(void *ctx)
{
    (void)ctx;
    return (smtpc_cert_verdict_t)0;
}
static void t_end(void *ctx)
{
    (void)ctx;
}
static const smtpc_tls_ops_t tls_ops = {
    .start = t_start,
    .handshake = t_hs,
    .stream = {.send = s_send, .recv = s_recv, .close = s_close},
    .verdict = t_verdict,
    .end = t_end};
static uint32_t c_ms(void *ctx)
{
    (void)ctx;
    return 0;
}
static uint64_t c_utc(void *ctx)
{
    (void)ctx;
    return 0;
}
static const smtpc_clock_ops_t clock_ops = {.now_ms = c_ms, .utc_s = c_utc};
#if FP_PROFILE >= 2
static int r_fill(void *ctx, uint8_t *b, size_t n)
{
    (void)ctx;
    while (n-- > 0) {
        *b++ = 4;
    }
    return SMTPC_OK;
}
static const smtpc_rng_ops_t rng_ops = {.fill = r_fill};
static unsigned d_count(void *ctx)
{
    (void)ctx;
    return 1;
}
static int d_server(void *ctx, unsigned i, const char **a, uint16_t *p)
{
    (void)ctx;
    (void)i;
    *a = "192.0.2.53";
    *p = 53;
    return SMTPC_OK;
}
static int d_open(void *ctx, unsigned i)
{
    (void)ctx;
    (void)i;
    return SMTPC_OK;
}
static const smtpc_dgram_ops_t dgram_ops = {.server_count = d_count,
                                            .server = d_server,
                                            .open = d_open,
                                            .send = s_send,
                                            .recv = s_recv,
                                            .close = s_close};
static int f_read(void *ctx, uint32_t a, uint8_t *b, size_t n)
{
    (void)ctx;
    (void)a;
    while (n-- > 0) {
        *b++ = 0xFF;
    }
    return SMTPC_OK;
}
static int f_prog(void *ctx, uint32_t a, const uint8_t *b, size_t n)
{
    (void)ctx;
    (void)a;
    (void)b;
    (void)n;
    return SMTPC_OK;
}
static int f_erase(void *ctx, uint32_t s)
{
    (void)ctx;
    (void)s;
    return SMTPC_OK;
}
static const smtpc_flash_ops_t flash_ops = {.read = f_read,
                                            .prog = f_prog,
                                            .erase = f_erase,
                                            .read_size = 1,
                                            .prog_size = 8,
                                            .sector_size = 2048,
                                            .sector_count = 4,
                                            .erased_value = 0xFF};
static smtpc_kvs_t kvs;
static smtpc_cache_t cache;
static smtpc_floor_clock_t fclock;
#endif
#if FP_PROFILE >= 3
static smtpc_tlsrpt_log_t rptlog;
static smtpc_tlsrpt_report_t rpt;
#if SMTPC_ENABLE_TLSRPT_JSON
static uint8_t arena[SMTPC_TLSRPT_ARENA];
#endif
static char json[1024];
static uint8_t gz[1100];
static char mail[2048];
#endif

static int b_read(void *arg, uint8_t *buf, size_t cap, size_t *len, bool *eof)
{
    (void)arg;
    (void)buf;
    (void)cap;
    *len = 0;
    *eof = true;
    return SMTPC_OK;
}

static smtpc_client_t client;
static smtpc_client_mem_t mem;
static smtpc_platform_t plat;
static smtpc_client_cfg_t cfg;
volatile int fp_sink;

int main(void);
int main(void)
{
    static const char *const to[] = {"a@example.net", "b@example.net"};
    smtpc_envelope_t env = {.from = "dev@example.org", .to = to, .to_count = 2};
    smtpc_body_src_t body = {.read = b_read};
    uint32_t deadline;
    int rc;

    plat.net = &net_ops;
    plat.tls = &tls_ops;
    plat.clock = &clock_ops;
    cfg.host = "smtp.example.org";
    cfg.session.helo_name = "dev.example.org";
    cfg.session.tls_mode = SMTPC_TLS_STARTTLS;
    cfg.session.tls_level = SMTPC_TLS_VERIFIED;
    cfg.session.user = "dev";
    cfg.session.pass = "secret";
    cfg.session.pipelining = true;
#if FP_PROFILE >= 2
    plat.rng = &rng_ops;
    plat.dgram = &dgram_ops;
    (void)smtpc_kvs_mount(&kvs, &flash_ops, NULL);
    (void)smtpc_cache_init(&cache, &kvs);
    fclock = (smtpc_floor_clock_t){.inner = &clock_ops, .cache = &cache};
    plat.clock = &smtpc_floor_clock_ops;
    plat.clock_ctx = &fclock;
    plat.sts_store = &smtpc_cache_ops;
    plat.sts_store_ctx = &cache;
    cfg.mode = fp_sink ? SMTPC_MODE_MX : SMTPC_MODE_SUBMISSION;
#endif
#if FP_PROFILE >= 3
    (void)smtpc_tlsrpt_log_mount(&rptlog, &flash_ops, NULL, &clock_ops, NULL);
    plat.report = smtpc_tlsrpt_hook;
    plat.report_arg = &rptlog;
#endif
    rc = smtpc_client_init(&client, &cfg, &plat, &mem);
    if (rc == SMTPC_OK) {
        rc = smtpc_client_start(&client, &env, &body);
    }
    while (rc == SMTPC_IN_PROGRESS) {
        rc = smtpc_client_step(&client);
        fp_sink += (int)smtpc_client_wants(&client, &deadline);
    }
    fp_sink += smtpc_client_result(&client)->err;
#if FP_PROFILE >= 3
    {
        uint32_t day;
        size_t jl = 0, gl = 0, ml = 0;
        char date[24];
        if (smtpc_tlsrpt_log_due(&rptlog, 86400u * 2u, 3600u, &day, rpt.domain,
                                 sizeof rpt.domain) == SMTPC_OK &&
            smtpc_tlsrpt_log_load(&rptlog, day, rpt.domain, &rpt) == SMTPC_OK) {
#if SMTPC_ENABLE_TLSRPT_JSON
            smtpc_tlsrpt_meta_t meta = {.org = "org", .contact = "r@example.org", .unique = "u1"};
            (void)smtpc_tlsrpt_render(&rpt, &meta, arena, sizeof arena, json, sizeof json, &jl);
#endif
            (void)smtpc_gzip_stored((const uint8_t *)json, jl, gz, sizeof gz, &gl);
            (void)smtpc_tlsrpt_rfc3339(86400u, date);
            smtpc_tlsrpt_mail_t m = {.from = "r@example.org",
                                     .to = "rua@example.net",
                                     .policy_domain = rpt.domain,
                                     .submitter = "example.org",
                                     .report_id = "id",
                                     .date = date,
                                     .message_id = "<m@example.org>",
                                     .range_end = 86399u,
                                     .unique = "u1",
                                     .gz = gz,
                                     .gz_len = gl};
            (void)smtpc_tlsrpt_mail_build(&m, mail, sizeof mail, &ml);
            (void)smtpc_tlsrpt_log_remove(&rptlog, day, rpt.domain);
            fp_sink += (int)ml;
        }
    }
#endif
    return rc;
}
