/* Flash images for the store fuzz targets: byte 0 of the input picks a
 * geometry, the rest is copied over the erased device (a short input leaves
 * the tail erased). The RAM flash runs in strict mode, so a program over
 * bytes that are not erased fails and is counted. */
#ifndef SMTPC_FUZZ_FLASH_COMMON_H
#define SMTPC_FUZZ_FLASH_COMMON_H

#include <string.h>

#include "smtpc/opts.h"
#include "smtpc_flash_ram.h"

#include "fuzz_common.h"

/* read, prog, sector size, count, erased value; all usable by the store
 * with the default SMTPC_KVS_RECORD_MAX (a sector holds a header and one
 * largest record). */
static const smtpc_flash_geom_t k_fuzz_geoms[8] = {
    {1, 1, 1024, 2, 0xFF},   {1, 4, 1024, 2, 0xFF}, {4, 16, 1024, 3, 0xFF}, {1, 1, 2048, 2, 0x00},
    {16, 16, 1024, 2, 0xFF}, {1, 8, 2048, 2, 0xFF}, {2, 2, 1024, 4, 0x00},  {1, 256, 2048, 2, 0xFF},
};

#define FUZZ_FLASH_MAX (4u * 2048u)

static uint8_t g_flash_mem[FUZZ_FLASH_MAX];

/* Set up @p f with the geometry and image from the input; returns the
 * geometry index. */
static inline unsigned fuzz_flash_setup(smtpc_flash_ram_t *f, const uint8_t *data, size_t size)
{
    unsigned gi = size > 0 ? data[0] & 7u : 0u;
    const smtpc_flash_geom_t *g = &k_fuzz_geoms[gi];
    if (g->prog_size > SMTPC_KVS_RECORD_MAX || g->read_size > SMTPC_KVS_RECORD_MAX / 2u ||
        g->sector_size < 2u * SMTPC_KVS_RECORD_MAX) {
        gi = 0; /* a geometry the store refuses with this configuration */
        g = &k_fuzz_geoms[gi];
    }
    size_t dev = (size_t)g->sector_size * g->sector_count;
    FUZZ_CHECK(dev <= sizeof(g_flash_mem));
    FUZZ_CHECK(smtpc_flash_ram_init(f, g_flash_mem, dev, g) == SMTPC_OK);
    if (size > 1) {
        size_t n = size - 1u < dev ? size - 1u : dev;
        memcpy(g_flash_mem, data + 1, n);
    }
    f->strict = 1;
    return gi;
}

static inline void fuzz_flash_clean(const smtpc_flash_ram_t *f)
{
    FUZZ_CHECK(f->violations == 0); /* never programmed over live bytes */
    FUZZ_CHECK(f->misaligned == 0); /* never an unaligned or out-of-range call */
}

#endif /* SMTPC_FUZZ_FLASH_COMMON_H */
