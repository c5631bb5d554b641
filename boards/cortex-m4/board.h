/* Board services of the Cortex-M4 board, shared by its start-up code,
 * drivers and the example application. */
#ifndef SMTPC_BOARD_CM4_H
#define SMTPC_BOARD_CM4_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "smtpc/port.h"

#define BOARD_CPU_HZ 168000000u

/* Monotonic milliseconds since reset (SysTick). */
uint32_t board_ms(void);

/* Hardware TRNG: fills buf, 0 on success (the entropy source handed to
 * smtpc_lwip_rng_init(), which feeds smtpc, mbedTLS and LWIP_RAND()). */
int board_trng_fill(void *arg, uint8_t *buf, size_t len);

/* Internal flash areas for smtpc key-value stores; the area is the ops'
 * context. */
typedef struct {
    const uint8_t *base;
} board_flash_area_t;
extern const smtpc_flash_ops_t board_flash_ops;
extern const board_flash_area_t board_flash_cache;  /* MTA-STS policy cache */
extern const board_flash_area_t board_flash_rptlog; /* TLS-RPT log */

/* lwIP assertion hook (arch/cc.h). */
void board_lwip_assert(void);

/* Ethernet interface: MAC/DMA skeleton feeding lwIP. */
struct netif;
int board_eth_init(struct netif *nif);
void board_eth_poll(struct netif *nif);

#endif /* SMTPC_BOARD_CM4_H */
