/* smtpc configuration for the host-lwip board: lwIP built from Debian's
 * source package over a TAP device, mbedTLS built from source with a static
 * arena. Firmware-sized buffers; every other option takes the default of
 * core/include/smtpc/opts.h. */
#ifndef SMTPC_CONFIG_HOST_LWIP_H
#define SMTPC_CONFIG_HOST_LWIP_H

#define SMTPC_MAX_RCPT    4
#define SMTPC_RX_BUF_SIZE 512
#define SMTPC_TX_BUF_SIZE 512
/* UDP DNS without EDNS (RFC 1035 §4.2.1); longer answers come over TCP. */
#define SMTPC_DNS_MSG_MAX 512

#endif
