/*
 * lwIP 2.1 options for the Cortex-M4 board: bare metal (NO_SYS=1, raw API,
 * one superloop), IPv4 with ARP, TCP, UDP and DNS. Every pool is static:
 * lwIP's heap (MEM_SIZE) is its own array, memp pools are arrays, and libc
 * malloc is never used (MEM_LIBC_MALLOC / MEMP_MEM_MALLOC are 0).
 *
 * One SMTP or HTTPS connection at a time (ARCHITECTURE §1.5), plus lwIP's
 * own DNS for host names and the smtpc core resolver's UDP socket.
 */
#ifndef SMTPC_BOARD_CM4_LWIPOPTS_H
#define SMTPC_BOARD_CM4_LWIPOPTS_H

/* ------------------------------------------------------------ system -- */
#define NO_SYS               1
#define SYS_LIGHTWEIGHT_PROT 0 /* single context: no interrupt-level lwIP calls */
#define LWIP_SOCKET          0
#define LWIP_NETCONN         0
#define LWIP_NETIF_API       0
#define LWIP_TIMERS          1

/* Randomness for TCP initial sequence numbers, DNS ids and source ports:
 * the board's TRNG through the lwIP port, never newlib's rand()
 * (predictable, and it drags in the reentrancy structure). */
#include <stdint.h>
uint32_t smtpc_lwip_rand(void);
#define LWIP_RAND() smtpc_lwip_rand()

/* ------------------------------------------------------------ memory -- */
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0
#define MEM_ALIGNMENT   4
/* lwIP heap: outgoing TCP segments (TCP_SND_BUF) and PBUF_RAM headers. */
#define MEM_SIZE                (6 * 1024)
#define MEMP_NUM_PBUF           8
#define MEMP_NUM_RAW_PCB        0
#define MEMP_NUM_UDP_PCB        3 /* lwIP DNS, smtpc resolver, spare (SNTP) */
#define MEMP_NUM_TCP_PCB        2
#define MEMP_NUM_TCP_PCB_LISTEN 0
#define MEMP_NUM_TCP_SEG        12
#define MEMP_NUM_REASSDATA      2
#define MEMP_NUM_FRAG_PBUF      4
#define MEMP_NUM_ARP_QUEUE      4
#define MEMP_NUM_SYS_TIMEOUT    (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 1)
#define PBUF_POOL_SIZE          8
#define PBUF_POOL_BUFSIZE       1536

/* ---------------------------------------------------------- protocols -- */
#define LWIP_IPV4      1
#define LWIP_IPV6      0
#define LWIP_ARP       1
#define ARP_TABLE_SIZE 4
#define ARP_QUEUEING   1
#define LWIP_ETHERNET  1
#define LWIP_ICMP      1
#define LWIP_RAW       0
#define LWIP_DHCP      0
#define LWIP_AUTOIP    0
#define LWIP_IGMP      0
#define IP_REASSEMBLY  1
#define IP_FRAG        0

#define LWIP_UDP 1
#define LWIP_TCP 1
#define TCP_MSS  1460
/* Receive window: a 16 KB TLS record arrives in ~12 segments; 4 MSS in
 * flight keeps the pbuf pool bounded while staying fast enough. */
#define TCP_WND            (4 * TCP_MSS)
#define TCP_SND_BUF        (2 * TCP_MSS)
#define TCP_SND_QUEUELEN   ((4 * (TCP_SND_BUF) + (TCP_MSS - 1)) / (TCP_MSS))
#define TCP_QUEUE_OOSEQ    0
#define LWIP_TCP_KEEPALIVE 0
#define LWIP_CALLBACK_API  1

#define LWIP_DNS            1
#define DNS_TABLE_SIZE      2
#define DNS_MAX_NAME_LENGTH 256
#define DNS_MAX_SERVERS     2
#define LWIP_DNS_SECURE                                                                            \
    (LWIP_DNS_SECURE_RAND_XID | LWIP_DNS_SECURE_NO_MULTIPLE_OUTSTANDING |                          \
     LWIP_DNS_SECURE_RAND_SRC_PORT)

#define LWIP_NETIF_HOSTNAME        0
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK   1
#define LWIP_ALTCP                 0 /* smtpc runs mbedTLS over its own stream (not altcp_tls) */

/* ---------------------------------------------------------- checksums -- */
#define LWIP_CHECKSUM_ON_COPY 1

/* ------------------------------------------------------- diagnostics -- */
#define LWIP_STATS 0
#define LWIP_DEBUG 0
#define LWIP_PERF  0

#endif /* SMTPC_BOARD_CM4_LWIPOPTS_H */
