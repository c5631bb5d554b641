/* host-lwip board: the board functions of the lwIP examples (alert_board.h)
 * over lwIP's TAP netif (Debian's lwIP source, port/netif/tapif.c), with
 * command-line options instead of a device's configuration.
 *
 * The TAP device must exist already (PRECONFIGURED_TAPIF, set from --tap):
 * tests/interop/lwip/run.sh creates it inside the test world's namespace.
 * lwIP gets its own address on it (--ip, --mask, --gw); the kernel side of
 * the TAP is the gateway into the world.
 *
 * Built twice, once per lwIP flavour (NO_SYS=1 raw, NO_SYS=0 sockets). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "lwip/init.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "netif/ethernet.h"
#include "netif/tapif.h"
#if !NO_SYS
#include "lwip/tcpip.h"
#endif

#include "smtpc/smtpc.h"
#include "smtpc_lwip.h"
#include "smtpc_mbedtls.h"

#include "alert_board.h"

static struct netif board_netif;
static uint8_t board_ca[16 * 1024];
static char board_pass[128];

int board_entropy(void *arg, uint8_t *buf, size_t len)
{
    (void)arg;
    size_t off = 0;
    for (unsigned tries = 0; off < len && tries < 64u; tries++) {
        ssize_t r = getrandom(buf + off, len - off, 0);
        if (r > 0) {
            off += (size_t)r;
        } else if (r < 0 && errno != EINTR) {
            return SMTPC_ERR_INTERNAL;
        }
    }
    return off == len ? SMTPC_OK : SMTPC_ERR_INTERNAL;
}

static int board_read_file(const char *path, uint8_t *out, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return -1;
    }
    size_t n = fread(out, 1, cap - 1u, f);
    int bad = ferror(f) || !feof(f);
    fclose(f);
    out[n] = 0;
    *len = n;
    return bad ? -1 : 0;
}

/* ---------------------------------------------------- pool exhaustion --- */

/* Takes every element of a pool and keeps it, so the next allocation of
 * that kind fails as it would on a device whose pool is too small. */
static int board_exhaust(const char *what)
{
    unsigned n = 0;
    if (strcmp(what, "tcp-pcb") == 0) {
        while (n < 1000u && tcp_new() != NULL) {
            n++;
        }
    } else if (strcmp(what, "tcp-seg") == 0) {
        while (n < 1000u && memp_malloc(MEMP_TCP_SEG) != NULL) {
            n++;
        }
    } else if (strcmp(what, "pbuf-pool") == 0) {
        while (n < 1000u && pbuf_alloc(PBUF_RAW, 256, PBUF_POOL) != NULL) {
            n++;
        }
    } else if (strcmp(what, "udp-pcb") == 0) {
        while (n < 1000u && udp_new() != NULL) {
            n++;
        }
    } else {
        return -1;
    }
    fprintf(stderr, "* exhausted %s: took %u\n", what, n);
    return 0;
}

/* -------------------------------------------------------------- netif --- */

#if NO_SYS
static void board_poll_wake(void *arg)
{
    (void)arg;
}

void board_poll(uint32_t max_ms)
{
    /* tapif_select() sleeps until the next lwIP timer at most; a one-shot
     * timer at the client's deadline bounds the wait by it. */
    sys_timeout(max_ms, board_poll_wake, NULL);
    (void)tapif_select(&board_netif);
    sys_untimeout(board_poll_wake, NULL);
    sys_check_timeouts();
}
#else
void board_poll(uint32_t max_ms)
{
    (void)max_ms; /* the tcpip and tapif threads do the work */
}

static volatile int board_tcpip_ready;

static void board_tcpip_done(void *arg)
{
    (void)arg;
    board_tcpip_ready = 1;
}
#endif

static int board_netif_up(const ip4_addr_t *ip, const ip4_addr_t *mask, const ip4_addr_t *gw,
                          const char *exhaust)
{
#if NO_SYS
    lwip_init();
    if (netif_add(&board_netif, ip, mask, gw, NULL, tapif_init, netif_input) == NULL) {
        return -1;
    }
#else
    tcpip_init(board_tcpip_done, NULL);
    for (unsigned i = 0; i < 5000u && !board_tcpip_ready; i++) {
        sys_msleep(1);
    }
    LOCK_TCPIP_CORE();
    struct netif *nif = netif_add(&board_netif, ip, mask, gw, NULL, tapif_init, tcpip_input);
#endif
    int rc = 0;
#if !NO_SYS
    if (nif == NULL) {
        rc = -1;
    }
#endif
    if (rc == 0) {
        netif_set_default(&board_netif);
        netif_set_up(&board_netif);
        if (exhaust != NULL && board_exhaust(exhaust) != 0) {
            rc = -1;
        }
    }
#if !NO_SYS
    UNLOCK_TCPIP_CORE();
#endif
    return rc;
}

/* --------------------------------------------------------- options --- */

static void board_usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s --tap IF --ip A --gw A [--mask M] --dns A --from ADDR --to ADDR\n"
            "       [--mode submit|mx] [--host H] [--port P] [--user U --pass-file F]\n"
            "       --ca FILE [--id ALERT_ID] [--helo NAME] [--timeout S] [--connect-timeout S]\n"
            "       [--exhaust tcp-pcb|tcp-seg|pbuf-pool|udp-pcb]\n",
            prog);
}

static int board_addr(const char *text, ip4_addr_t *out)
{
    return text != NULL && ip4addr_aton(text, out) ? 0 : -1;
}

int board_init(int argc, char **argv, alert_cfg_t *cfg)
{
    const char *tap = NULL, *ip = NULL, *gw = NULL, *mask = "255.255.255.0", *dns = NULL;
    const char *ca = NULL, *pass_file = NULL, *exhaust = NULL;
    memset(cfg, 0, sizeof *cfg);
    cfg->mode = SMTPC_MODE_SUBMISSION;
    cfg->helo = "lwip.smtpc.test";
    cfg->total_ms = 60000u;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "--tap") == 0)
            tap = v;
        else if (strcmp(k, "--ip") == 0)
            ip = v;
        else if (strcmp(k, "--gw") == 0)
            gw = v;
        else if (strcmp(k, "--mask") == 0)
            mask = v;
        else if (strcmp(k, "--dns") == 0)
            dns = v;
        else if (strcmp(k, "--ca") == 0)
            ca = v;
        else if (strcmp(k, "--pass-file") == 0)
            pass_file = v;
        else if (strcmp(k, "--exhaust") == 0)
            exhaust = v;
        else if (strcmp(k, "--mode") == 0)
            cfg->mode = strcmp(v, "mx") == 0 ? SMTPC_MODE_MX : SMTPC_MODE_SUBMISSION;
        else if (strcmp(k, "--host") == 0)
            cfg->host = v;
        else if (strcmp(k, "--port") == 0)
            cfg->port = (uint16_t)atoi(v);
        else if (strcmp(k, "--from") == 0)
            cfg->from = v;
        else if (strcmp(k, "--to") == 0)
            cfg->to = v;
        else if (strcmp(k, "--user") == 0)
            cfg->user = v;
        else if (strcmp(k, "--helo") == 0)
            cfg->helo = v;
        else if (strcmp(k, "--id") == 0)
            cfg->alert_id = v;
        else if (strcmp(k, "--timeout") == 0)
            cfg->total_ms = (uint32_t)atoi(v) * 1000u;
        else if (strcmp(k, "--connect-timeout") == 0)
            cfg->connect_ms = (uint32_t)atoi(v) * 1000u;
        else {
            board_usage(argv[0]);
            return 2;
        }
    }
    ip4_addr_t a_ip, a_gw, a_mask, a_dns;
    if (argc % 2 != 1 || tap == NULL || board_addr(ip, &a_ip) || board_addr(gw, &a_gw) ||
        board_addr(mask, &a_mask) || board_addr(dns, &a_dns) || ca == NULL || cfg->from == NULL ||
        cfg->to == NULL || (cfg->mode == SMTPC_MODE_SUBMISSION && cfg->host == NULL)) {
        board_usage(argv[0]);
        return 2;
    }
    ip_addr_copy_from_ip4(cfg->dns, a_dns);
    if (board_read_file(ca, board_ca, sizeof board_ca, &cfg->ca_pem_len) != 0) {
        fprintf(stderr, "cannot read %s\n", ca);
        return 2;
    }
    cfg->ca_pem = board_ca;
    cfg->ca_pem_len++; /* mbedTLS wants the NUL of a PEM buffer counted */
    if (pass_file != NULL) {
        size_t n = 0;
        if (board_read_file(pass_file, (uint8_t *)board_pass, sizeof board_pass, &n) != 0) {
            fprintf(stderr, "cannot read %s\n", pass_file);
            return 2;
        }
        board_pass[strcspn(board_pass, "\r\n")] = '\0';
        cfg->pass = board_pass;
    }
    /* lwIP's tapif attaches to this existing device instead of creating one. */
    setenv("PRECONFIGURED_TAPIF", tap, 1);
    if (board_netif_up(&a_ip, &a_mask, &a_gw, exhaust) != 0) {
        fprintf(stderr, "cannot bring up the lwIP interface on %s\n", tap);
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------- report --- */

void board_report(const smtpc_client_t *c, int rc)
{
    const smtpc_result_t *r = smtpc_client_result(c);
    char line[256];
    smtpc_result_format(r, line, sizeof line);
    printf("%s: %s\n", rc == SMTPC_OK ? "sent" : "failed", line);
    if (r->sts_applied != SMTPC_STS_APPLY_NONE || r->sts_txt_err != SMTPC_OK) {
        printf("* mta-sts: policy=%s mode=%s id=%s txt=%s fetch=%s\n",
               r->sts_applied == SMTPC_STS_APPLY_FETCHED  ? "fetched"
               : r->sts_applied == SMTPC_STS_APPLY_CACHED ? "cached"
                                                          : "none",
               smtpc_sts_mode_name(r->sts_mode), r->sts_id[0] ? r->sts_id : "-",
               smtpc_strerror(r->sts_txt_err), smtpc_strerror(r->sts_fetch_err));
    }
    for (unsigned i = 0; i < r->mx_count && i < SMTPC_MAX_MX; i++) {
        const smtpc_mx_verdict_t *v = &r->mx[i];
        const char *name = smtpc_client_mx_name(c, i);
        printf("* mx %s: %s tried=%u cert=%s %s\n", name != NULL ? name : "?",
               v->policy == SMTPC_MX_MATCH      ? "listed"
               : v->policy == SMTPC_MX_NO_MATCH ? "not-listed"
                                                : "no-policy",
               v->tried, smtpc_cert_name(v->cert), smtpc_strerror(v->err));
    }
    size_t cur = 0, peak = 0;
    if (smtpc_mbedtls_arena_stats(&cur, &peak) == SMTPC_OK) {
        printf("* ram: mbedtls-arena-peak=%zu mbedtls-arena-now=%zu\n", peak, cur);
    }
    printf("* ram: smtpc_client_t=%zu smtpc_client_mem_t=%zu smtpc_mbedtls_t=%zu\n",
           sizeof(smtpc_client_t), sizeof(smtpc_client_mem_t), sizeof(smtpc_mbedtls_t));
    printf("* ram: smtpc_lwip_net_t=%zu smtpc_lwip_dns_t=%zu (raw port contexts)\n",
           sizeof(smtpc_lwip_net_t), sizeof(smtpc_lwip_dns_t));
    printf("* ram: lwip MEM_SIZE=%u PBUF_POOL=%ux%u TCP_PCB=%u UDP_PCB=%u TCP_SEG=%u "
           "TCP_WND=%u TCP_SND_BUF=%u\n",
           (unsigned)MEM_SIZE, (unsigned)PBUF_POOL_SIZE, (unsigned)PBUF_POOL_BUFSIZE,
           (unsigned)MEMP_NUM_TCP_PCB, (unsigned)MEMP_NUM_UDP_PCB, (unsigned)MEMP_NUM_TCP_SEG,
           (unsigned)TCP_WND, (unsigned)TCP_SND_BUF);
    fflush(stdout);
}
