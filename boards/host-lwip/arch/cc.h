/* Compiler and platform glue of lwIP for the host-lwip board: lwIP's own
 * unix port header (from the Debian source tree), with lwIP's random numbers
 * taken from smtpc's entropy hook instead of libc rand(), whose sequence is
 * predictable (TCP initial sequence numbers, local ports). */
#ifndef SMTPC_HOST_LWIP_ARCH_CC_H
#define SMTPC_HOST_LWIP_ARCH_CC_H

#include_next <arch/cc.h>

#include <stdint.h>

uint32_t smtpc_lwip_rand(void);

#undef LWIP_RAND
#define LWIP_RAND() ((u32_t)smtpc_lwip_rand())

#endif
