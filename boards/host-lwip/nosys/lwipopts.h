/* lwIP options of the host-lwip board, bare-metal flavour: NO_SYS=1, raw
 * API only, one superloop (examples/lwip_nosys). */
#ifndef SMTPC_HOST_LWIP_LWIPOPTS_H
#define SMTPC_HOST_LWIP_LWIPOPTS_H

#define NO_SYS               1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_NETCONN         0
#define LWIP_SOCKET          0
#define LWIP_TIMERS          1
/* One timeout more than lwIP's own: board_poll() bounds its wait for a frame
 * by the client's deadline with a one-shot timeout. */
#define MEMP_NUM_SYS_TIMEOUT (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 1)

#include "lwipopts_common.h"

#endif
