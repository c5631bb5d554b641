/* lwip_nosys: one alert e-mail from a bare-metal superloop (lwIP NO_SYS=1,
 * raw API, no OS), with MTA-STS when delivering straight to the recipient's
 * MX hosts, STARTTLS through mbedTLS over the lwIP stream.
 *
 * The loop owns everything: it feeds received frames to lwIP and runs its
 * timers (board_poll), then steps the client, until the client is done. The
 * board functions (alert_board.h) are the only hardware-specific part; on the
 * host-lwip board they read command-line options and drive a TAP device. */
#include <string.h>

#include "lwip/init.h"
#include "smtpc/smtpc.h"
#include "smtpc/sts.h"
#include "smtpc_lwip.h"
#include "smtpc_mbedtls.h"

#include "alert_board.h"

/* All state static: no heap in smtpc, lwIP (MEM_SIZE array) or mbedTLS
 * (this arena). */
static uint8_t tls_arena[64 * 1024];
static smtpc_mbedtls_t tls;
static smtpc_lwip_rng_t rng;
static smtpc_lwip_dns_t dns;
static smtpc_lwip_net_t net;
static smtpc_sts_ram_t sts_ram;
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

int main(int argc, char **argv)
{
    static alert_cfg_t cfg;
    /* lwIP draws sequence numbers and ports from LWIP_RAND() during init. */
    smtpc_lwip_rng_init(&rng, board_entropy, NULL);
    int rc = board_init(argc, argv, &cfg);
    if (rc != 0) {
        return rc;
    }
    cursor_t cur = {0, alert_format(message, sizeof message, &cfg, "alert: door open",
                                    "Sensor 3 reports the cabinet door open.")};

    smtpc_mbedtls_cfg_t tcfg = {.ca_pem = cfg.ca_pem,
                                .ca_pem_len = cfg.ca_pem_len,
                                .rng = &smtpc_lwip_rng_ops,
                                .rng_ctx = &rng};
    if (cur.len == 0u || smtpc_mbedtls_arena_init(tls_arena, sizeof tls_arena) != SMTPC_OK ||
        smtpc_mbedtls_init(&tls, &tcfg) != SMTPC_OK) {
        return 1;
    }
    smtpc_lwip_dns_init(&dns, &smtpc_lwip_rng_ops, &rng);
    smtpc_lwip_dns_add_server(&dns, &cfg.dns, 53);
    smtpc_lwip_net_init(&net, &dns, &smtpc_lwip_clock, &rng);
    smtpc_sts_ram_init(&sts_ram);

    smtpc_platform_t plat = {
        .net = &smtpc_lwip_net_ops,
        .net_ctx = &net,
        .tls = &smtpc_mbedtls_tls_ops,
        .tls_ctx = &tls,
        .clock = &smtpc_lwip_clock_ops,
        .clock_ctx = &smtpc_lwip_clock,
        .rng = &smtpc_lwip_rng_ops,
        .rng_ctx = &rng,
        .dgram = &smtpc_lwip_dgram_ops,
        .dgram_ctx = &dns,
        .sts_store = &smtpc_sts_ram_ops,
        .sts_store_ctx = &sts_ram,
    };
    smtpc_client_cfg_t ccfg = {
        .mode = cfg.mode,
        .host = cfg.host,
        .port = cfg.port,
        .session = {.helo_name = cfg.helo,
                    .tls_mode = SMTPC_TLS_STARTTLS,
                    /* submission: verified; MX: encrypted unless a policy raises it */
                    .tls_level =
                        cfg.mode == SMTPC_MODE_MX ? SMTPC_TLS_ENCRYPTED : SMTPC_TLS_VERIFIED,
                    .user = cfg.user,
                    .pass = cfg.pass},
        .timeouts = {.total_ms = cfg.total_ms, .connect_ms = cfg.connect_ms},
    };
    const char *to[1] = {cfg.to};
    smtpc_envelope_t env = {
        .from = cfg.from, .to = to, .to_count = 1, .size_hint = (uint32_t)cur.len};
    smtpc_body_src_t body = {.read = body_read, .rewind = body_rewind, .arg = &cur};

    rc = smtpc_client_init(&client, &ccfg, &plat, &mem);
    if (rc == SMTPC_OK) {
        rc = smtpc_client_start(&client, &env, &body);
    }
    /* The superloop: lwIP input and timers, then the client, until done.
     * Every wait is bounded by the client's deadline. */
    while (rc == SMTPC_IN_PROGRESS) {
        rc = smtpc_client_step(&client);
        if (rc == SMTPC_IN_PROGRESS) {
            uint32_t deadline = 0;
            (void)smtpc_client_wants(&client, &deadline);
            int32_t left = (int32_t)(deadline - smtpc_lwip_clock_ops.now_ms(NULL));
            board_poll(left > 0 ? (uint32_t)left : 0u);
        }
    }
    board_report(&client, rc);
    smtpc_mbedtls_free(&tls);
    return rc == SMTPC_OK ? 0 : 1;
}
