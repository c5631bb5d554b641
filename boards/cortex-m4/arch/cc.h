/* lwIP architecture header for the Cortex-M4 board (GCC, newlib-nano,
 * little endian). Diagnostics and assertions never reach printf: an
 * assertion stops in board_lwip_assert() (a breakpoint for the debugger). */
#ifndef SMTPC_BOARD_CM4_ARCH_CC_H
#define SMTPC_BOARD_CM4_ARCH_CC_H

#include <stdint.h>

#define BYTE_ORDER      LITTLE_ENDIAN
#define LWIP_NO_CTYPE_H 1 /* lwIP's own isdigit & co., no locale tables */

void board_lwip_assert(void);

#define LWIP_PLATFORM_DIAG(x)                                                                      \
    do {                                                                                           \
    } while (0)
#define LWIP_PLATFORM_ASSERT(x) board_lwip_assert()

#endif /* SMTPC_BOARD_CM4_ARCH_CC_H */
