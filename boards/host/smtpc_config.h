/* smtpc configuration for the host board (Linux, POSIX sockets, Debian's mbedTLS).
 * Every option not set here takes the default of core/include/smtpc/opts.h. */
#ifndef SMTPC_CONFIG_HOST_H
#define SMTPC_CONFIG_HOST_H

#define SMTPC_MAX_RCPT    16
#define SMTPC_RX_BUF_SIZE 512
#define SMTPC_TX_BUF_SIZE 1024

#endif
