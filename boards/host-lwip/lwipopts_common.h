/* lwIP options shared by the two host-lwip stacks (nosys/ and sys/).
 *
 * Static memory only: lwIP's heap is the static array of MEM_SIZE bytes
 * (MEM_LIBC_MALLOC 0) and every pool is a static array (MEMP_MEM_MALLOC 0).
 * The sizes are those of a small device sending mail now and then: one TCP
 * connection at a time (smtpc never needs two), one UDP pcb for DNS. */
#ifndef SMTPC_HOST_LWIP_LWIPOPTS_COMMON_H
#define SMTPC_HOST_LWIP_LWIPOPTS_COMMON_H

/* ---- memory: static heap and pools ---- */
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0
#define MEM_USE_POOLS   0
#define MEM_ALIGNMENT   8
/* Heap: TX segments (TCP_WRITE_FLAG_COPY copies into PBUF_RAM), ARP/UDP
 * headers, the tapif state. */
#define MEM_SIZE                (12 * 1024)
#define MEMP_NUM_PBUF           8
#define MEMP_NUM_RAW_PCB        0
#define MEMP_NUM_UDP_PCB        3
#define MEMP_NUM_TCP_PCB        3
#define MEMP_NUM_TCP_PCB_LISTEN 1
#define MEMP_NUM_TCP_SEG        16
#define MEMP_NUM_ARP_QUEUE      4
#define MEMP_NUM_REASSDATA      2
#define MEMP_NUM_FRAG_PBUF      4
/* RX: one pool buffer per received Ethernet frame. */
#define PBUF_POOL_SIZE    10
#define PBUF_POOL_BUFSIZE 1536

/* ---- protocols ---- */
#define LWIP_IPV4     1
#define LWIP_IPV6     0
#define LWIP_ARP      1
#define LWIP_ETHERNET 1
#define LWIP_ICMP     1
#define LWIP_RAW      0
#define LWIP_DHCP     0
#define LWIP_AUTOIP   0
#define LWIP_IGMP     0
/* Names are resolved by smtpc's own DNS engine over a UDP pcb. */
#define LWIP_DNS      0
#define LWIP_UDP      1
#define LWIP_TCP      1
#define IP_REASSEMBLY 1
#define IP_FRAG       1

/* ---- TCP ---- */
#define TCP_MSS 1460
/* Receive window: 4 segments. The smtpc rx ring is small; what the client has
 * not read yet stays in pool pbufs, so PBUF_POOL_SIZE must exceed
 * TCP_WND / TCP_MSS plus what the netif needs. */
#define TCP_WND                            (4 * TCP_MSS)
#define TCP_SND_BUF                        (4 * TCP_MSS)
#define TCP_SND_QUEUELEN                   (4 * TCP_SND_BUF / TCP_MSS)
#define LWIP_TCP_KEEPALIVE                 0
#define TCP_QUEUE_OOSEQ                    1
#define LWIP_RANDOMIZE_INITIAL_LOCAL_PORTS 1

/* ---- netif ---- */
#define LWIP_NETIF_TX_SINGLE_PBUF  1
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK   0
#define ETH_PAD_SIZE               0

/* ---- time: lwIP's SNTP app (when built) feeds smtpc's wall clock ---- */
#define SNTP_SET_SYSTEM_TIME(sec) smtpc_lwip_sntp_set_time(sec)
#include <stdint.h>
void smtpc_lwip_sntp_set_time(uint32_t sec);

/* ---- diagnostics off ---- */
#define LWIP_STATS 0
#define LWIP_DEBUG 0

#endif
