/**
 * @file smtpc_flash_file.h
 * @brief A host file that behaves like NOR flash behind ::smtpc_flash_ops_t
 *        (POSIX): the CLIs' `--cache FILE`, and host tests.
 *
 * The file is sector_size * sector_count bytes. When it does not exist (or is
 * empty) it is created erased; an existing file of another size is refused
 * (the geometry changed). The same rules as the RAM backend apply: erase sets
 * a sector to the erased value, prog only moves bits away from it (a prog
 * that would need an erase keeps the old bits and is counted in
 * `violations`; strict mode also fails it with ::SMTPC_ERR_FLASH_IO), and
 * unaligned or out-of-range calls fail with ::SMTPC_ERR_BAD_ARG. sync is
 * fsync(). Not locked: one process at a time.
 *
 * @code
 *   smtpc_flash_file_t ff;
 *   smtpc_flash_geom_t g = {1, 1, 4096, 4, 0xFF};
 *   if (smtpc_flash_file_open(&ff, "cache.bin", &g) == SMTPC_OK) {
 *       smtpc_kvs_mount(&kvs, &ff.ops, &ff);
 *       ...
 *       smtpc_flash_file_close(&ff);
 *   }
 * @endcode
 */
#ifndef SMTPC_FLASH_FILE_H
#define SMTPC_FLASH_FILE_H

#include <stdint.h>

#include "smtpc/port.h"
#include "smtpc_flash_ram.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A file-backed NOR device. */
typedef struct smtpc_flash_file {
    smtpc_flash_ops_t ops; /**< pass &ops with the device as context */
    int fd;                /**< -1 when closed */
    uint32_t size;
    uint8_t strict;
    uint32_t violations;
    uint32_t misaligned;
} smtpc_flash_file_t;

/**
 * @brief Open (or create, erased) @p path as a flash device of geometry @p g.
 * @return ::SMTPC_OK, ::SMTPC_ERR_BAD_ARG (zero sizes, a device over 4 GiB,
 *         or an existing file of another size), ::SMTPC_ERR_FLASH_IO (the
 *         file cannot be opened, created, read or written).
 */
int smtpc_flash_file_open(smtpc_flash_file_t *f, const char *path, const smtpc_flash_geom_t *g);

/** @brief Close the file; safe twice. */
void smtpc_flash_file_close(smtpc_flash_file_t *f);

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_FLASH_FILE_H */
