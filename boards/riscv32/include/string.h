/* Freestanding string.h for the RV32 board: Debian's riscv64-unknown-elf
 * toolchain ships no C library headers. Declares only the four functions
 * the smtpc core uses (ARCHITECTURE §1); boards/riscv32/board_mem.c defines
 * them. */
#ifndef SMTPC_RISCV32_STRING_H
#define SMTPC_RISCV32_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif /* SMTPC_RISCV32_STRING_H */
