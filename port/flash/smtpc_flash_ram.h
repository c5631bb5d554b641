/**
 * @file smtpc_flash_ram.h
 * @brief A RAM-backed NOR flash behind ::smtpc_flash_ops_t, with any
 *        geometry: for tests, simulators and boards that keep the store in
 *        retained RAM.
 *
 * NOR semantics: erase sets a whole sector to the erased value; prog can only
 * move bits away from it (AND into the cell for erased 0xFF, OR for erased
 * 0x00). A prog that would turn a bit back to the erased value cannot happen
 * on real NOR, which silently keeps the bit: this backend does the same and
 * counts the violation; in strict mode it also fails the prog with
 * ::SMTPC_ERR_FLASH_IO, so a store that programs over live data is caught.
 * Reads and progs at addresses or lengths not aligned to read_size /
 * prog_size, or outside the device, fail with ::SMTPC_ERR_BAD_ARG and are
 * counted too. Tests assert both counters stay zero.
 *
 * @code
 *   static uint8_t mem[4 * 4096];
 *   static smtpc_flash_ram_t fl;
 *   smtpc_flash_geom_t g = {1, 16, 4096, 4, 0xFF};
 *   smtpc_flash_ram_init(&fl, mem, sizeof(mem), &g);
 *   smtpc_kvs_mount(&kvs, &fl.ops, &fl);
 * @endcode
 *
 * No allocation: the caller gives the memory. Context: one task.
 */
#ifndef SMTPC_FLASH_RAM_H
#define SMTPC_FLASH_RAM_H

#include <stddef.h>
#include <stdint.h>

#include "smtpc/port.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Geometry of a flash device (the fields of ::smtpc_flash_ops_t). */
typedef struct smtpc_flash_geom {
    uint32_t read_size;
    uint32_t prog_size;
    uint32_t sector_size;
    uint32_t sector_count;
    uint8_t erased_value; /**< 0xFF for most NOR, 0x00 for some MCU flash */
} smtpc_flash_geom_t;

/** A RAM-backed NOR device. */
typedef struct smtpc_flash_ram {
    smtpc_flash_ops_t ops; /**< pass &ops with the device as context */
    uint8_t *mem;
    uint32_t size;       /**< sector_size * sector_count */
    uint8_t strict;      /**< fail progs that would need an erase */
    uint32_t violations; /**< progs that would have turned bits back to erased */
    uint32_t misaligned; /**< unaligned or out-of-range calls */
} smtpc_flash_ram_t;

/**
 * @brief Set up @p f over @p mem (at least sector_size * sector_count bytes)
 * with geometry @p g, and erase all of it. Geometry is checked only for
 * zero sizes and for fitting @p mem: a store on top checks the rest.
 * @return ::SMTPC_OK or ::SMTPC_ERR_BAD_ARG.
 */
int smtpc_flash_ram_init(smtpc_flash_ram_t *f, uint8_t *mem, size_t mem_size,
                         const smtpc_flash_geom_t *g);

/** Program @p len bytes at @p addr under NOR rules, ignoring alignment and
 *  strictness (a helper for other backends and tests). Returns how many bits
 *  would have had to go back to the erased value. */
uint32_t smtpc_flash_nor_merge(uint8_t *cell, const uint8_t *data, size_t len, uint8_t erased);

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_FLASH_RAM_H */
