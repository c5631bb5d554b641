/* Mailing one alert over lwIP sockets: the smtpc client, mbedTLS over the
 * lwIP stream (STARTTLS), the core DNS resolver over an lwIP UDP socket and
 * MTA-STS when delivering to the recipient's MX hosts. Everything static. */
#include <string.h>

#include "smtpc/smtpc.h"
#include "smtpc/sts.h"
#include "smtpc_lwip_sockets.h"
#include "smtpc_mbedtls.h"

#include "alert_mail.h"

static uint8_t tls_arena[64 * 1024];
static smtpc_mbedtls_t tls;
static uint8_t tls_ready;
static smtpc_lwip_rng_t rng;
static smtpc_lwip_sock_dns_t dns;
static smtpc_lwip_sock_net_t net;
static smtpc_sts_ram_t sts_ram; /* policies stay known between alerts */
static smtpc_client_mem_t mem;
static smtpc_client_t client;
static char message[1024];

typedef struct {
    size_t off, len;
} cursor_t;

static int body_read(void *arg, uint8_t *buf, size_t cap, size_t *len, bool *eof)
{
    cursor_t *cur = arg;
    size_t n = cur->len - cur->off < cap ? cur->len - cur->off : cap;
    memcpy(buf, message + cur->off, n);
    cur->off += n;
    *len = n;
    *eof = cur->off == cur->len;
    return SMTPC_OK;
}

static int body_rewind(void *arg)
{
    ((cursor_t *)arg)->off = 0;
    return SMTPC_OK;
}

void alert_mail_early_init(void)
{
    smtpc_lwip_rng_init(&rng, board_entropy, NULL);
    smtpc_sts_ram_init(&sts_ram);
}

/* TLS is set up once (trust anchors, DRBG); each session takes its buffers
 * from the arena and gives them back. */
static int alert_tls_once(const alert_cfg_t *cfg)
{
    if (tls_ready) {
        return SMTPC_OK;
    }
    smtpc_mbedtls_cfg_t tcfg = {.ca_pem = cfg->ca_pem,
                                .ca_pem_len = cfg->ca_pem_len,
                                .rng = &smtpc_lwip_rng_ops,
                                .rng_ctx = &rng};
    int rc = smtpc_mbedtls_arena_init(tls_arena, sizeof tls_arena);
    if (rc == SMTPC_OK) {
        rc = smtpc_mbedtls_init(&tls, &tcfg);
    }
    tls_ready = rc == SMTPC_OK;
    return rc;
}

int alert_mail_send(const alert_cfg_t *cfg, const char *subject, const char *text)
{
    cursor_t cur = {0, alert_format(message, sizeof message, cfg, subject, text)};
    if (cur.len == 0u) {
        return SMTPC_ERR_NO_SPACE;
    }
    int rc = alert_tls_once(cfg);
    if (rc != SMTPC_OK) {
        return rc;
    }
    smtpc_lwip_sock_dns_init(&dns, &smtpc_lwip_rng_ops, &rng);
    smtpc_lwip_sock_dns_add_server(&dns, &cfg->dns, 53);
    smtpc_lwip_sock_net_init(&net, &dns, &smtpc_lwip_clock, &rng);

    static smtpc_platform_t plat;
    plat = (smtpc_platform_t){
        .net = &smtpc_lwip_sock_net_ops,
        .net_ctx = &net,
        .tls = &smtpc_mbedtls_tls_ops,
        .tls_ctx = &tls,
        .clock = &smtpc_lwip_clock_ops,
        .clock_ctx = &smtpc_lwip_clock,
        .rng = &smtpc_lwip_rng_ops,
        .rng_ctx = &rng,
        .dgram = &smtpc_lwip_sock_dgram_ops,
        .dgram_ctx = &dns,
        .sts_store = &smtpc_sts_ram_ops,
        .sts_store_ctx = &sts_ram,
    };
    static smtpc_client_cfg_t ccfg;
    ccfg = (smtpc_client_cfg_t){
        .mode = cfg->mode,
        .host = cfg->host,
        .port = cfg->port,
        .session = {.helo_name = cfg->helo,
                    .tls_mode = SMTPC_TLS_STARTTLS,
                    .tls_level =
                        cfg->mode == SMTPC_MODE_MX ? SMTPC_TLS_ENCRYPTED : SMTPC_TLS_VERIFIED,
                    .user = cfg->user,
                    .pass = cfg->pass},
        .timeouts = {.total_ms = cfg->total_ms, .connect_ms = cfg->connect_ms},
    };
    const char *to[1] = {cfg->to};
    smtpc_envelope_t env = {
        .from = cfg->from, .to = to, .to_count = 1, .size_hint = (uint32_t)cur.len};
    smtpc_body_src_t body = {.read = body_read, .rewind = body_rewind, .arg = &cur};

    rc = smtpc_client_init(&client, &ccfg, &plat, &mem);
    if (rc == SMTPC_OK) {
        rc = smtpc_client_start(&client, &env, &body);
    }
    if (rc == SMTPC_IN_PROGRESS) {
        rc = smtpc_lwip_sock_run(&client, &net, &dns);
    }
    return rc;
}

const smtpc_client_t *alert_mail_client(void)
{
    return &client;
}
