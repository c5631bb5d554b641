/* Small helpers shared by the flash store and cache tests: a seeded
 * xorshift generator and flash geometry arithmetic. */
#ifndef SMTPC_FLASH_TEST_UTIL_H
#define SMTPC_FLASH_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>

#include "smtpc_flash_ram.h"

/* The generator's state: seed it per test for reproducible runs. */
static uint32_t g_rng = 1;

static inline uint32_t rnd(void)
{
    uint32_t x = g_rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    g_rng = x;
    return x;
}

static inline smtpc_flash_geom_t geom(uint32_t rs, uint32_t ps, uint32_t ss, uint32_t sc,
                                      uint8_t ev)
{
    smtpc_flash_geom_t g;
    g.read_size = rs;
    g.prog_size = ps;
    g.sector_size = ss;
    g.sector_count = sc;
    g.erased_value = ev;
    return g;
}

/* The store's padding unit: the larger of the read and program sizes. */
static inline uint32_t g_unit(const smtpc_flash_geom_t *g)
{
    return g->read_size > g->prog_size ? g->read_size : g->prog_size;
}

static inline uint32_t g_pad(const smtpc_flash_geom_t *g, uint32_t n)
{
    uint32_t u = g_unit(g);
    return (n + u - 1u) / u * u;
}

/* Name of a smtpc_flash_cut_t mode. */
static inline const char *cut_mode_name(unsigned m)
{
    static const char *const n[] = {"not-done", "prefix", "random-bits", "done"};
    return m < 4u ? n[m] : "?";
}

/* Count a power-cut failure and print the first 20: what failed, the
 * scenario, the geometry, the cut (and the nested cut when n2 is set). */
static inline void cut_report_fail(unsigned long *fails, const smtpc_flash_geom_t *g,
                                   const char *scen, const char *what, unsigned mode, uint32_t n,
                                   unsigned mode2, uint32_t n2)
{
    (*fails)++;
    if (*fails <= 20u) {
        printf("FAIL %s: scenario %s, geometry r%u/p%u/s%u/x%u/%02X, cut %s at op %u", what, scen,
               (unsigned)g->read_size, (unsigned)g->prog_size, (unsigned)g->sector_size,
               (unsigned)g->sector_count, g->erased_value, cut_mode_name(mode), (unsigned)n);
        if (n2 != UINT32_MAX) {
            printf(", then %s at op %u", cut_mode_name(mode2), (unsigned)n2);
        }
        printf("\n");
    }
}

#endif /* SMTPC_FLASH_TEST_UTIL_H */
