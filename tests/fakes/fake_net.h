/**
 * @file fake_net.h
 * @brief A connector whose connect() hands out a fake stream, optionally
 *        after a number of IN_PROGRESS polls, or fails with a chosen error.
 */
#ifndef FAKE_NET_H
#define FAKE_NET_H

#include <stdint.h>

#include "smtpc/port.h"

#include "fake_stream.h"

/* ------------------------------------------------------------------ net --- */

typedef struct fake_net {
    fake_stream_t *stream;
    int connect_rc;        /**< SMTPC_OK, SMTPC_IN_PROGRESS or an error */
    unsigned poll_pending; /**< connect_poll() returns IN_PROGRESS this many times */
    int poll_rc;           /**< then this (SMTPC_OK or an error) */
    char host[SMTPC_HOSTNAME_MAX + 1];
    uint16_t port;
    unsigned connect_calls, poll_calls;
} fake_net_t;

extern const smtpc_net_ops_t fake_net_ops;
void fake_net_init(fake_net_t *fn, fake_stream_t *fs);

#endif /* FAKE_NET_H */
