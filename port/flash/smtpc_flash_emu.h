/**
 * @file smtpc_flash_emu.h
 * @brief Test-only power-cut emulator over the RAM flash backend.
 *
 * Counts every operation, and can cut the power at write operation N (the
 * N-th prog, erase or sync since the last reboot, counting from 0), leaving
 * that operation in one of the ::smtpc_flash_cut_t states. From the cut on,
 * every operation (reads included) fails with ::SMTPC_ERR_FLASH_IO until
 * smtpc_flash_emu_reboot(). Reads are not cut points: a cut during a read
 * leaves the flash as a cut after the previous write operation does.
 *
 * A "half done" operation follows what NOR can do: a prog leaves a prefix of
 * its bytes programmed, or any subset of the bits it was changing; an erase
 * leaves a prefix of the sector erased, or any subset of the bits moved
 * towards the erased value. The randomness comes from a seed, so a failing
 * cut point can be replayed.
 */
#ifndef SMTPC_FLASH_EMU_H
#define SMTPC_FLASH_EMU_H

#include <stdint.h>

#include "smtpc/port.h"
#include "smtpc_flash_ram.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What the cut leaves of the operation it hits. */
typedef enum {
    SMTPC_FLASH_CUT_NOT_DONE = 0, /**< no trace */
    SMTPC_FLASH_CUT_PREFIX = 1,   /**< a prefix of the bytes (prog) or of the sector (erase) */
    SMTPC_FLASH_CUT_RANDOM = 2,   /**< a random subset of the bits that were changing */
    SMTPC_FLASH_CUT_DONE = 3      /**< the operation completes, then the power goes */
} smtpc_flash_cut_t;

#define SMTPC_FLASH_CUT_MODES 4

/** Sectors whose erases are counted one by one. */
#define SMTPC_FLASH_EMU_MAX_SECTORS 64u

typedef struct smtpc_flash_emu {
    smtpc_flash_ops_t ops; /**< pass &ops with the emulator as context */
    smtpc_flash_ram_t *ram;
    /* since the last reboot */
    uint32_t reads, progs, erases, syncs;
    uint32_t wops;  /**< write operations (prog, erase, sync): the cut index */
    uint32_t bytes; /**< bytes programmed */
    /* the cut */
    uint32_t cut_at;
    smtpc_flash_cut_t cut_mode;
    uint8_t armed;
    uint8_t off; /**< the power is cut */
    uint32_t rng;
    /** erases per sector since init (wear) */
    uint32_t sector_erases[SMTPC_FLASH_EMU_MAX_SECTORS];
} smtpc_flash_emu_t;

/** @brief Wrap @p ram (same geometry). ::SMTPC_OK or ::SMTPC_ERR_BAD_ARG. */
int smtpc_flash_emu_init(smtpc_flash_emu_t *e, smtpc_flash_ram_t *ram);

/** @brief Cut the power at write operation @p n (counted since the last
 *  reboot), leaving it as @p mode says; @p seed drives the half-done states. */
void smtpc_flash_emu_arm(smtpc_flash_emu_t *e, uint32_t n, smtpc_flash_cut_t mode, uint32_t seed);

/** @brief Power back on: disarm and zero the counters since reboot (the
 *  flash content and the per-sector erase counts stay). */
void smtpc_flash_emu_reboot(smtpc_flash_emu_t *e);

/** @brief Let operations work again without a reboot, the cut one left as it
 *  was: a transient flash error, for testing recovery within a session. */
void smtpc_flash_emu_resume(smtpc_flash_emu_t *e);

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_FLASH_EMU_H */
