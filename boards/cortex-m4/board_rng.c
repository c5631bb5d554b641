/* Hardware random numbers on the Cortex-M4 board: an STM32-style TRNG
 * (RNG_CR/RNG_SR/RNG_DR). Through smtpc_lwip_rng_init() it feeds mbedTLS
 * (the strong entropy source of smtpc_mbedtls_cfg_t::rng), the smtpc core
 * (DNS ids, MX shuffling) and lwIP (LWIP_RAND: TCP sequence numbers, DNS
 * ids and ports). Compile-only
 * skeleton: register addresses of an STM32F4. */
#include <stddef.h>
#include <stdint.h>

#include "board.h"
#include "smtpc/err.h"

#define RNG_BASE     0x50060800u
#define RNG_CR       (*(volatile uint32_t *)(RNG_BASE + 0x0u))
#define RNG_SR       (*(volatile uint32_t *)(RNG_BASE + 0x4u))
#define RNG_DR       (*(volatile uint32_t *)(RNG_BASE + 0x8u))
#define RNG_CR_RNGEN 0x4u
#define RNG_SR_DRDY  0x1u
#define RNG_SR_ERR   0x6u /* clock error, seed error */
#define RNG_SPIN_MAX 10000u

static int rng_word(uint32_t *out)
{
    uint32_t spin;

    RNG_CR |= RNG_CR_RNGEN;
    for (spin = 0; spin < RNG_SPIN_MAX; spin++) {
        uint32_t sr = RNG_SR;
        if ((sr & RNG_SR_ERR) != 0) {
            RNG_SR = 0; /* clear; the next word comes from a new seed */
            continue;
        }
        if ((sr & RNG_SR_DRDY) != 0) {
            *out = RNG_DR;
            return 0;
        }
    }
    return -1;
}

int board_trng_fill(void *arg, uint8_t *buf, size_t len)
{
    (void)arg;
    while (len > 0) {
        uint32_t w;
        size_t i;
        if (rng_word(&w) != 0) {
            return SMTPC_ERR_INTERNAL;
        }
        for (i = 0; i < 4 && len > 0; i++, len--) {
            *buf++ = (uint8_t)(w >> (8 * i));
        }
    }
    return SMTPC_OK;
}

void board_lwip_assert(void)
{
    for (;;) {
        __asm volatile("bkpt #1");
    }
}
