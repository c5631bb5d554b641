/* Power-cut emulator over the RAM flash backend. See smtpc_flash_emu.h. */
#include <string.h>

#include "smtpc_flash_emu.h"

#include "smtpc/err.h"

static uint32_t emu_rand(smtpc_flash_emu_t *e)
{
    /* xorshift32 */
    uint32_t x = e->rng != 0u ? e->rng : 0x9E3779B9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    e->rng = x;
    return x;
}

/* This write operation is the one the cut hits. */
static int emu_hit(smtpc_flash_emu_t *e)
{
    int hit = e->armed && e->wops == e->cut_at;
    e->wops++;
    if (hit) {
        e->off = 1;
        e->armed = 0;
    }
    return hit;
}

static int emu_read(void *ctx, uint32_t addr, uint8_t *buf, size_t len)
{
    smtpc_flash_emu_t *e = (smtpc_flash_emu_t *)ctx;
    if (e->off) {
        return SMTPC_ERR_FLASH_IO;
    }
    e->reads++;
    return e->ram->ops.read(e->ram, addr, buf, len);
}

static int emu_prog(void *ctx, uint32_t addr, const uint8_t *buf, size_t len)
{
    smtpc_flash_emu_t *e = (smtpc_flash_emu_t *)ctx;
    smtpc_flash_ram_t *r = e->ram;
    uint8_t *cell;
    size_t i;
    size_t n;
    if (e->off) {
        return SMTPC_ERR_FLASH_IO;
    }
    if (!emu_hit(e)) {
        e->progs++;
        e->bytes += (uint32_t)len;
        return r->ops.prog(r, addr, buf, len);
    }
    /* The cut: the same checks as the backend, then a partial effect. */
    if (addr % r->ops.prog_size != 0u || len % r->ops.prog_size != 0u || addr > r->size ||
        len > r->size - addr) {
        r->misaligned++;
        return SMTPC_ERR_FLASH_IO;
    }
    cell = r->mem + addr;
    switch (e->cut_mode) {
    case SMTPC_FLASH_CUT_PREFIX:
        n = len > 0u ? emu_rand(e) % len : 0u;
        if (smtpc_flash_nor_merge(cell, buf, n, r->ops.erased_value) != 0u) {
            r->violations++;
        }
        break;
    case SMTPC_FLASH_CUT_RANDOM:
        for (i = 0; i < len; i++) {
            uint8_t target = cell[i];
            if (smtpc_flash_nor_merge(&target, &buf[i], 1, r->ops.erased_value) != 0u) {
                r->violations++;
            }
            cell[i] = (uint8_t)(cell[i] ^ ((cell[i] ^ target) & emu_rand(e)));
        }
        break;
    case SMTPC_FLASH_CUT_DONE:
        if (smtpc_flash_nor_merge(cell, buf, len, r->ops.erased_value) != 0u) {
            r->violations++;
        }
        break;
    case SMTPC_FLASH_CUT_NOT_DONE:
    default:
        break;
    }
    return SMTPC_ERR_FLASH_IO;
}

static int emu_erase(void *ctx, uint32_t sector)
{
    smtpc_flash_emu_t *e = (smtpc_flash_emu_t *)ctx;
    smtpc_flash_ram_t *r = e->ram;
    uint32_t ss = r->ops.sector_size;
    uint8_t *cell;
    uint32_t i;
    uint32_t n;
    if (e->off) {
        return SMTPC_ERR_FLASH_IO;
    }
    if (!emu_hit(e)) {
        e->erases++;
        if (sector < SMTPC_FLASH_EMU_MAX_SECTORS) {
            e->sector_erases[sector]++;
        }
        return r->ops.erase(r, sector);
    }
    if (sector >= r->ops.sector_count) {
        r->misaligned++;
        return SMTPC_ERR_FLASH_IO;
    }
    cell = r->mem + (size_t)sector * ss;
    switch (e->cut_mode) {
    case SMTPC_FLASH_CUT_PREFIX:
        n = emu_rand(e) % ss;
        memset(cell, r->ops.erased_value, n);
        break;
    case SMTPC_FLASH_CUT_RANDOM:
        for (i = 0; i < ss; i++) {
            cell[i] = (uint8_t)(cell[i] ^ ((cell[i] ^ r->ops.erased_value) & emu_rand(e)));
        }
        break;
    case SMTPC_FLASH_CUT_DONE:
        memset(cell, r->ops.erased_value, ss);
        break;
    case SMTPC_FLASH_CUT_NOT_DONE:
    default:
        break;
    }
    return SMTPC_ERR_FLASH_IO;
}

static int emu_sync(void *ctx)
{
    smtpc_flash_emu_t *e = (smtpc_flash_emu_t *)ctx;
    if (e->off) {
        return SMTPC_ERR_FLASH_IO;
    }
    if (emu_hit(e)) {
        return SMTPC_ERR_FLASH_IO;
    }
    e->syncs++;
    return e->ram->ops.sync != NULL ? e->ram->ops.sync(e->ram) : SMTPC_OK;
}

int smtpc_flash_emu_init(smtpc_flash_emu_t *e, smtpc_flash_ram_t *ram)
{
    if (e == NULL || ram == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    memset(e, 0, sizeof(*e));
    e->ram = ram;
    e->ops = ram->ops;
    e->ops.read = emu_read;
    e->ops.prog = emu_prog;
    e->ops.erase = emu_erase;
    e->ops.sync = emu_sync;
    return SMTPC_OK;
}

void smtpc_flash_emu_arm(smtpc_flash_emu_t *e, uint32_t n, smtpc_flash_cut_t mode, uint32_t seed)
{
    e->cut_at = n;
    e->cut_mode = mode;
    e->armed = 1;
    e->rng = seed;
}

void smtpc_flash_emu_reboot(smtpc_flash_emu_t *e)
{
    e->off = 0;
    e->armed = 0;
    e->reads = 0;
    e->progs = 0;
    e->erases = 0;
    e->syncs = 0;
    e->wops = 0;
    e->bytes = 0;
}

void smtpc_flash_emu_resume(smtpc_flash_emu_t *e)
{
    e->off = 0;
    e->armed = 0;
}
