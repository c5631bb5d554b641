/* lwIP options of the host-lwip board, RTOS flavour: NO_SYS=0 with lwIP's
 * tcpip thread and sockets; the sys layer is lwIP's unix port on pthreads
 * (on a device: FreeRTOS's). */
#ifndef SMTPC_HOST_LWIP_LWIPOPTS_H
#define SMTPC_HOST_LWIP_LWIPOPTS_H

#define NO_SYS                  0
#define SYS_LIGHTWEIGHT_PROT    1
#define LWIP_TCPIP_CORE_LOCKING 1
#define LWIP_NETCONN            1
#define LWIP_SOCKET             1
/* lwip_* names only: the host's own socket headers stay usable. */
#define LWIP_COMPAT_SOCKETS         0
#define LWIP_POSIX_SOCKETS_IO_NAMES 0
#define LWIP_SOCKET_SELECT          1
#define LWIP_SOCKET_POLL            0
#define LWIP_SO_RCVTIMEO            0
#define LWIP_SO_SNDTIMEO            0
/* Debian's lwIP (patch "port") has sockets.c set and read address lengths
 * through these macros, which its own posix/sockets.h defines; lwIP's
 * built-in socket types carry sin_len / sa_len. */
#define IP4ADDR_SOCKADDR_SET_LEN(sin) ((sin)->sin_len = (u8_t)sizeof(struct sockaddr_in))
#define IPADDR_SOCKADDR_GET_LEN(addr) ((addr)->sa.sa_len)

#define MEMP_NUM_NETCONN          4
#define MEMP_NUM_NETBUF           4
#define MEMP_NUM_TCPIP_MSG_API    8
#define MEMP_NUM_TCPIP_MSG_INPKT  16
#define TCPIP_MBOX_SIZE           16
#define DEFAULT_TCP_RECVMBOX_SIZE 8
#define DEFAULT_UDP_RECVMBOX_SIZE 4
#define DEFAULT_ACCEPTMBOX_SIZE   2
#define TCPIP_THREAD_STACKSIZE    16384
#define DEFAULT_THREAD_STACKSIZE  16384
#define TCPIP_THREAD_PRIO         1
#define DEFAULT_THREAD_PRIO       1

#include "lwipopts_common.h"

#endif
