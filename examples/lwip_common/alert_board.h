/* What the lwIP examples need from their board. A device implements these for
 * its hardware (TRNG, Ethernet driver, configuration in flash); the host-lwip
 * board implements them over a TAP device with command-line options
 * (boards/host-lwip/host_board.c). */
#ifndef ALERT_BOARD_H
#define ALERT_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "lwip/ip_addr.h"
#include "smtpc/client.h"

/** Where and how the alert is mailed. */
typedef struct {
    smtpc_mode_t mode; /**< SUBMISSION (587 + AUTH) or MX (MTA-STS applied) */
    const char *host;  /**< submission server (SUBMISSION only) */
    uint16_t port;     /**< 0: the mode's default */
    const char *from;
    const char *to;
    const char *user; /**< AUTH identity, NULL: none */
    const char *pass;
    const char *helo;      /**< EHLO name */
    const char *alert_id;  /**< goes into an X-Alert-Id header */
    const uint8_t *ca_pem; /**< trust anchors, PEM with its NUL */
    size_t ca_pem_len;
    ip_addr_t dns;       /**< nameserver */
    uint32_t total_ms;   /**< whole delivery */
    uint32_t connect_ms; /**< each connect (0: default) */
} alert_cfg_t;

/** Board entropy (TRNG): fill @p buf; SMTPC_OK or an error. */
int board_entropy(void *arg, uint8_t *buf, size_t len);

/** Bring the network interface up (lwIP initialised by the caller's
 *  flavour: lwip_init() or tcpip_init() inside) and fill @p cfg.
 *  @return 0, or an exit status for main(). */
int board_init(int argc, char **argv, alert_cfg_t *cfg);

/** NO_SYS only: feed received frames to lwIP and run its timers, waiting at
 *  most about @p max_ms for a frame. */
void board_poll(uint32_t max_ms);

/** Print what happened (result, MTA-STS decision, RAM figures). */
void board_report(const smtpc_client_t *c, int rc);

/** Build the alert message into @p out; returns its length (0: too long). */
size_t alert_format(char *out, size_t cap, const alert_cfg_t *cfg, const char *subject,
                    const char *text);

#endif
