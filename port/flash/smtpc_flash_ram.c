/* RAM-backed NOR flash. See smtpc_flash_ram.h. */
#include <string.h>

#include "smtpc_flash_ram.h"

#include "smtpc/err.h"

static unsigned flash_popcount8(unsigned v)
{
    unsigned n = 0;
    while (v != 0u) {
        n += v & 1u;
        v >>= 1;
    }
    return n;
}

uint32_t smtpc_flash_nor_merge(uint8_t *cell, const uint8_t *data, size_t len, uint8_t erased)
{
    uint32_t bad = 0;
    size_t i;
    for (i = 0; i < len; i++) {
        unsigned old = cell[i];
        unsigned want = data[i];
        /* bits already away from the erased value stay; the others take
         * the data (erased 0xFF: old & want; erased 0x00: old | want) */
        unsigned keep = (old ^ erased) & 0xFFu;
        unsigned got = (old & keep) | (want & ~keep & 0xFFu);
        bad += flash_popcount8((got ^ want) & 0xFFu);
        cell[i] = (uint8_t)got;
    }
    return bad;
}

static int ram_check(smtpc_flash_ram_t *f, uint32_t addr, size_t len, uint32_t align)
{
    if (addr % align != 0u || len % align != 0u || addr > f->size || len > f->size - addr) {
        f->misaligned++;
        return SMTPC_ERR_BAD_ARG;
    }
    return SMTPC_OK;
}

static int ram_read(void *ctx, uint32_t addr, uint8_t *buf, size_t len)
{
    smtpc_flash_ram_t *f = (smtpc_flash_ram_t *)ctx;
    int rc = ram_check(f, addr, len, f->ops.read_size);
    if (rc == SMTPC_OK) {
        memcpy(buf, f->mem + addr, len);
    }
    return rc;
}

static int ram_prog(void *ctx, uint32_t addr, const uint8_t *buf, size_t len)
{
    smtpc_flash_ram_t *f = (smtpc_flash_ram_t *)ctx;
    uint32_t bad;
    int rc = ram_check(f, addr, len, f->ops.prog_size);
    if (rc != SMTPC_OK) {
        return rc;
    }
    bad = smtpc_flash_nor_merge(f->mem + addr, buf, len, f->ops.erased_value);
    if (bad != 0u) {
        f->violations++;
        if (f->strict) {
            return SMTPC_ERR_FLASH_IO;
        }
    }
    return SMTPC_OK;
}

static int ram_erase(void *ctx, uint32_t sector)
{
    smtpc_flash_ram_t *f = (smtpc_flash_ram_t *)ctx;
    if (sector >= f->ops.sector_count) {
        f->misaligned++;
        return SMTPC_ERR_BAD_ARG;
    }
    memset(f->mem + (size_t)sector * f->ops.sector_size, f->ops.erased_value, f->ops.sector_size);
    return SMTPC_OK;
}

static int ram_sync(void *ctx)
{
    (void)ctx;
    return SMTPC_OK;
}

int smtpc_flash_ram_init(smtpc_flash_ram_t *f, uint8_t *mem, size_t mem_size,
                         const smtpc_flash_geom_t *g)
{
    if (f == NULL || mem == NULL || g == NULL || g->read_size == 0u || g->prog_size == 0u ||
        g->sector_size == 0u || g->sector_count == 0u ||
        g->sector_count > 0xFFFFFFFFu / g->sector_size ||
        mem_size < (size_t)g->sector_size * g->sector_count) {
        return SMTPC_ERR_BAD_ARG;
    }
    memset(f, 0, sizeof(*f));
    f->ops.read = ram_read;
    f->ops.prog = ram_prog;
    f->ops.erase = ram_erase;
    f->ops.sync = ram_sync;
    f->ops.read_size = g->read_size;
    f->ops.prog_size = g->prog_size;
    f->ops.sector_size = g->sector_size;
    f->ops.sector_count = g->sector_count;
    f->ops.erased_value = g->erased_value;
    f->mem = mem;
    f->size = g->sector_size * g->sector_count;
    memset(mem, g->erased_value, f->size);
    return SMTPC_OK;
}
