/* Internal flash driver of the Cortex-M4 board for the smtpc key-value
 * stores (MTA-STS policy cache, TLS-RPT log): smtpc_flash_ops_t over two
 * 8 KiB areas at the end of an STM32-like internal flash (STM32L4/G4 register layout: 2 KiB pages,
 * 64-bit double-word programming, erased value 0xFF).
 *
 * Compile-only skeleton: the register sequence is the reference manual's,
 * but it has not run on hardware. Notes for a real port:
 * - The area is reserved by the linker script (CACHE region); the store
 *   sees addresses relative to its start.
 * - Each double word is programmed once per erase (the ECC forbids
 *   rewriting it); the store writes every location at most once, with
 *   records padded to prog_size.
 * - Programming stalls instruction fetch from the same bank: on a
 *   single-bank part keep the superloop's deadlines in mind (a page erase
 *   takes ~22 ms).
 * - sync has nothing to flush (writes are not buffered). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "smtpc/err.h"

extern const uint8_t __cache_start[];
extern const uint8_t __rptlog_start[];
#define AREA_SIZE  8192u
#define AREA_PAGES (AREA_SIZE / FLASH_PAGE)

const board_flash_area_t board_flash_cache = {__cache_start};
const board_flash_area_t board_flash_rptlog = {__rptlog_start};

#define FLASH_ORIGIN        0x08000000u
#define FLASH_PAGE          2048u
#define FLASH_REG_BASE      0x40022000u
#define FLASH_KEYR          (*(volatile uint32_t *)(FLASH_REG_BASE + 0x08u))
#define FLASH_SR            (*(volatile uint32_t *)(FLASH_REG_BASE + 0x10u))
#define FLASH_CR            (*(volatile uint32_t *)(FLASH_REG_BASE + 0x14u))
#define FLASH_KEY1          0x45670123u
#define FLASH_KEY2          0xCDEF89ABu
#define FLASH_CR_PG         0x1u
#define FLASH_CR_PER        0x2u
#define FLASH_CR_PNB_SHIFT  3u
#define FLASH_CR_PNB_MASK   (0xFFu << FLASH_CR_PNB_SHIFT)
#define FLASH_CR_STRT       (1u << 16)
#define FLASH_CR_LOCK       (1u << 31)
#define FLASH_SR_BSY        (1u << 16)
#define FLASH_SR_ERRORS     0x3FAu /* OPERR PROGERR WRPERR PGAERR SIZERR PGSERR MISSERR FASTERR */
#define FLASH_SR_EOP        0x1u
#define FLASH_BUSY_SPIN_MAX 2000000u

static int flash_wait(void)
{
    uint32_t spin;

    for (spin = 0; spin < FLASH_BUSY_SPIN_MAX; spin++) {
        if ((FLASH_SR & FLASH_SR_BSY) == 0) {
            uint32_t err = FLASH_SR & FLASH_SR_ERRORS;
            FLASH_SR = err | FLASH_SR_EOP; /* write 1 to clear */
            return err == 0 ? 0 : -1;
        }
    }
    return -1;
}

static void flash_unlock(void)
{
    if ((FLASH_CR & FLASH_CR_LOCK) != 0) {
        FLASH_KEYR = FLASH_KEY1;
        FLASH_KEYR = FLASH_KEY2;
    }
}

static void flash_lock(void)
{
    FLASH_CR |= FLASH_CR_LOCK;
}

static int range_ok(uint32_t addr, size_t len)
{
    return addr <= AREA_SIZE && len <= AREA_SIZE - addr;
}

static int flash_read(void *ctx, uint32_t addr, uint8_t *buf, size_t len)
{
    const board_flash_area_t *area = ctx;

    if (!range_ok(addr, len)) {
        return SMTPC_ERR_BAD_ARG;
    }
    memcpy(buf, area->base + addr, len); /* memory mapped */
    return SMTPC_OK;
}

static int flash_prog(void *ctx, uint32_t addr, const uint8_t *buf, size_t len)
{
    const board_flash_area_t *area = ctx;
    uintptr_t dst = (uintptr_t)area->base + addr;
    int rc = SMTPC_OK;

    if (!range_ok(addr, len) || (addr % 8u) != 0 || (len % 8u) != 0) {
        return SMTPC_ERR_BAD_ARG;
    }
    flash_unlock();
    if (flash_wait() != 0) {
        flash_lock();
        return SMTPC_ERR_INTERNAL;
    }
    FLASH_CR |= FLASH_CR_PG;
    for (; len > 0; len -= 8, buf += 8, dst += 8) {
        uint32_t lo, hi;
        memcpy(&lo, buf, 4); /* buf may be unaligned */
        memcpy(&hi, buf + 4, 4);
        *(volatile uint32_t *)dst = lo;
        *(volatile uint32_t *)(dst + 4) = hi;
        if (flash_wait() != 0) {
            rc = SMTPC_ERR_INTERNAL;
            break;
        }
    }
    FLASH_CR &= ~FLASH_CR_PG;
    flash_lock();
    return rc;
}

static int flash_erase(void *ctx, uint32_t sector)
{
    const board_flash_area_t *area = ctx;
    uint32_t page = ((uint32_t)(uintptr_t)area->base - FLASH_ORIGIN) / FLASH_PAGE + sector;
    int rc;

    if (sector >= AREA_PAGES) {
        return SMTPC_ERR_BAD_ARG;
    }
    flash_unlock();
    if (flash_wait() != 0) {
        flash_lock();
        return SMTPC_ERR_INTERNAL;
    }
    FLASH_CR = (FLASH_CR & ~FLASH_CR_PNB_MASK) | FLASH_CR_PER | (page << FLASH_CR_PNB_SHIFT);
    FLASH_CR |= FLASH_CR_STRT;
    rc = flash_wait() == 0 ? SMTPC_OK : SMTPC_ERR_INTERNAL;
    FLASH_CR &= ~(FLASH_CR_PER | FLASH_CR_PNB_MASK);
    flash_lock();
    return rc;
}

static int flash_sync(void *ctx)
{
    (void)ctx;
    return SMTPC_OK;
}

/* 4 pages of 2 KiB per area; read granularity 1 byte. */
const smtpc_flash_ops_t board_flash_ops = {
    .read = flash_read,
    .prog = flash_prog,
    .erase = flash_erase,
    .sync = flash_sync,
    .read_size = 1,
    .prog_size = 8,
    .sector_size = FLASH_PAGE,
    .sector_count = AREA_PAGES,
    .erased_value = 0xFF,
};
