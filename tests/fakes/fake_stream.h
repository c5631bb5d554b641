/**
 * @file fake_stream.h
 * @brief A scriptable byte stream (port.h smtpc_stream_ops_t) with a
 *        scripted SMTP peer behind it.
 *
 * Everything is caller-allocated (declare the structs `static`: the capture
 * buffers are large); nothing allocates. The stream follows the port.h
 * contract: recv/send return a byte count (> 0), 0 for "would block", or a
 * negative ::smtpc_err_t, and ::SMTPC_ERR_NET_CLOSED once the peer closed.
 *
 * Fault knobs of the stream:
 *  - recv_chunk: deliver at most this many bytes per recv (1 = one byte at a time)
 *  - send_chunk: accept at most this many bytes per send (short writes)
 *  - would_block: every other recv and every other send returns 0
 *  - close_at: the peer closes after this many bytes were delivered
 *  - recv_err / send_err: the next calls fail with this error
 *  - close_when_idle: with the script finished and nothing queued, recv
 *    reports ::SMTPC_ERR_NET_CLOSED instead of 0
 *
 * Scripted peer: a list of steps (expect, reply). Steps whose expect is NULL
 * are queued at once (the greeting). Each complete line the client sends
 * (CRLF included) must start with the expect of the next step; the step's
 * reply is then queued for recv. After a reply starting with "354" the peer
 * is in DATA mode: lines are skipped until the ".\r\n" line, which is then
 * matched against the next step. A line that does not match sets
 * @ref fake_stream_t::mismatch and silences the peer.
 */
#ifndef FAKE_STREAM_H
#define FAKE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smtpc/port.h"

#include "fake_clock.h"

#define FAKE_IN_MAX  (64u * 1024u)
#define FAKE_OUT_MAX (256u * 1024u)

/* --------------------------------------------------------------- stream --- */

typedef struct fake_step {
    const char *expect; /**< line prefix the client must send; NULL: queue the reply at once */
    const char *reply;  /**< bytes queued when the line arrives (may be NULL) */
    size_t reply_len;   /**< 0: strlen(reply) */
} fake_step_t;

typedef struct fake_stream {
    /* server -> client */
    uint8_t in[FAKE_IN_MAX];
    size_t in_len, in_off;
    int in_overflow;
    /* client -> server: everything, and what was sent outside a TLS layer */
    uint8_t out[FAKE_OUT_MAX];
    size_t out_len;
    uint8_t plain[FAKE_OUT_MAX];
    size_t plain_len;
    int out_overflow;
    /* faults */
    size_t recv_chunk;
    size_t send_chunk;
    bool would_block;
    unsigned recv_tick, send_tick;
    bool has_close_at;
    size_t close_at;
    size_t recv_total;
    int recv_err, send_err;
    bool close_when_idle;
    /* clock coupling: advance this clock on every recv call */
    fake_clock_t *clock;
    uint32_t recv_advance_ms;
    /* bookkeeping */
    unsigned recv_calls, send_calls, plain_recv_calls, plain_send_calls;
    unsigned close_calls;
    unsigned via_tls; /**< > 0 while the fake TLS layer forwards */
    /* scripted peer */
    const fake_step_t *steps;
    size_t step_count, step_idx;
    size_t line_off;
    bool in_data;
    bool mismatch;
    size_t mismatch_at; /**< offset in out[] of the line that did not match */
} fake_stream_t;

extern const smtpc_stream_ops_t fake_stream_ops;

void fake_stream_init(fake_stream_t *fs);
/** Install a script and queue its leading NULL-expect steps. */
void fake_stream_script(fake_stream_t *fs, const fake_step_t *steps, size_t count);
/** Queue raw server bytes. */
void fake_stream_feed(fake_stream_t *fs, const void *data, size_t len);
/** Bytes queued and not yet delivered. */
size_t fake_stream_pending(const fake_stream_t *fs);
/** A handle on @p fs. */
smtpc_stream_t fake_stream_handle(fake_stream_t *fs);
/** true when every step of the script was consumed and no line mismatched. */
bool fake_stream_script_done(const fake_stream_t *fs);

int32_t fake_stream_send(void *ctx, const uint8_t *buf, size_t len);
int32_t fake_stream_recv(void *ctx, uint8_t *buf, size_t cap);
void fake_stream_close(void *ctx);

/** Print @p n bytes on stderr with CR, LF and non-printables escaped (test
 *  failure diagnostics; at most 2000 bytes shown). */
void fake_print_escaped(const char *label, const uint8_t *p, size_t n);

#endif /* FAKE_STREAM_H */
