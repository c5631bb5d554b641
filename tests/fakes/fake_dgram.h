/**
 * @file fake_dgram.h
 * @brief Fakes for the DNS resolver: a datagram port (smtpc_dgram_ops_t)
 *        with scripted nameservers, a deterministic random source, and a
 *        small DNS message builder for hand-made responses.
 *
 * Datagram fake: every send() is recorded (server, bytes) and handed to an
 * optional responder callback, which may queue datagrams with
 * fake_dgram_queue(). A queued datagram becomes readable once the fake clock
 * reaches its delivery time; recv() returns datagrams in queue order. Closing
 * the socket drops whatever is still queued (a fresh socket never sees the
 * answers meant for the previous one). Open failures and send/recv errors can
 * be injected. Nothing allocates; declare the structs `static`.
 *
 * Message builder: fake_dns_msg_t is a byte buffer with helpers to append
 * a header, names (text or raw labels, compression pointers), questions and
 * resource records, and to patch counts and RDLENGTH afterwards.
 */
#ifndef FAKE_DGRAM_H
#define FAKE_DGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smtpc/port.h"

#include "fake_clock.h"

#define FAKE_DGRAM_SERVERS 4u
#define FAKE_DGRAM_QUEUE   160u  /**< datagrams queued at most */
#define FAKE_DGRAM_SIZE    1600u /**< bytes per queued datagram */
#define FAKE_DGRAM_LOG     16u   /**< opens / sends remembered */

/* ---------------------------------------------------- message builder --- */

typedef struct fake_dns_msg {
    uint8_t b[FAKE_DGRAM_SIZE];
    size_t len;
    bool overflow;
} fake_dns_msg_t;

void fdm_init(fake_dns_msg_t *m);
void fdm_u8(fake_dns_msg_t *m, uint8_t v);
void fdm_u16(fake_dns_msg_t *m, uint16_t v);
void fdm_u32(fake_dns_msg_t *m, uint32_t v);
void fdm_bytes(fake_dns_msg_t *m, const void *p, size_t n);
/** Header: id, flags (QR|opcode|AA|TC|RD|RA|rcode as 16 bits), counts. */
void fdm_header(fake_dns_msg_t *m, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an,
                uint16_t ns, uint16_t ar);
/** Labels of a dotted text name, then the root label ("" or "." = root only). */
void fdm_name(fake_dns_msg_t *m, const char *dotted);
/** Labels of a dotted text name without the root label (to end with fdm_ptr()). */
void fdm_labels(fake_dns_msg_t *m, const char *dotted);
/** Compression pointer to @p off. */
void fdm_ptr(fake_dns_msg_t *m, uint16_t off);
void fdm_question(fake_dns_msg_t *m, const char *name, uint16_t type, uint16_t klass);
/** Owner name (text), type, class, TTL, and a RDLENGTH placeholder: returns
 *  the offset of RDLENGTH for fdm_rr_end(). */
size_t fdm_rr_begin(fake_dns_msg_t *m, const char *owner, uint16_t type, uint16_t klass,
                    uint32_t ttl);
/** Same with the owner already written (e.g. a pointer). */
size_t fdm_rr_begin_raw(fake_dns_msg_t *m, uint16_t type, uint16_t klass, uint32_t ttl);
/** Patch RDLENGTH to the bytes written since fdm_rr_begin(). */
void fdm_rr_end(fake_dns_msg_t *m, size_t rdlen_off);
void fdm_set_u16(fake_dns_msg_t *m, size_t off, uint16_t v);
/** ANCOUNT (offset 6). */
void fdm_set_ancount(fake_dns_msg_t *m, uint16_t n);
/** Start a response to @p query: same ID and question (copied raw), QR, RD,
 *  RA set, @p rcode, ANCOUNT 0. Returns false when the query is not one. */
bool fdm_reply_to(fake_dns_msg_t *m, const uint8_t *query, size_t qlen, uint8_t rcode);
/** ID and QTYPE of a query (false if malformed). */
bool fdm_query_info(const uint8_t *q, size_t len, uint16_t *id, uint16_t *qtype);

/* ------------------------------------------------------------ dgram --- */

struct fake_dgram;
/** Called for every datagram sent (after it is recorded). */
typedef void (*fake_dgram_responder_fn)(void *arg, struct fake_dgram *fd, unsigned server,
                                        const uint8_t *q, size_t len);

typedef struct fake_dgram {
    /* configuration */
    unsigned count;                       /**< server_count() */
    const char *addr[FAKE_DGRAM_SERVERS]; /**< server(): address literals */
    uint16_t port[FAKE_DGRAM_SERVERS];
    int server_rc;       /**< what server() returns */
    unsigned open_fail;  /**< the first this many open() calls fail ... */
    int open_err;        /**< ... with this error */
    int send_err;        /**< != 0: every send() fails with it */
    int send_block;      /**< send() returns 0 this many times first */
    int recv_err;        /**< != 0: recv() fails with it */
    fake_clock_t *clock; /**< delivery times (NULL: at once) */
    fake_dgram_responder_fn responder;
    void *responder_arg;
    /* the socket */
    bool is_open;
    unsigned cur; /**< server of the open socket */
    /* queue */
    uint8_t q[FAKE_DGRAM_QUEUE][FAKE_DGRAM_SIZE];
    size_t q_len[FAKE_DGRAM_QUEUE];
    uint32_t q_at[FAKE_DGRAM_QUEUE];
    size_t q_head, q_tail;
    bool q_overflow;
    /* observations */
    unsigned open_calls, close_calls, send_calls, recv_calls, server_calls;
    unsigned opened[FAKE_DGRAM_LOG];  /**< server index of each open() */
    unsigned sent_to[FAKE_DGRAM_LOG]; /**< server index of each send() */
    uint32_t sent_at[FAKE_DGRAM_LOG]; /**< fake clock at each send() */
    uint8_t last[FAKE_DGRAM_SIZE];    /**< the last datagram sent */
    size_t last_len;
    unsigned dropped; /**< queued datagrams dropped by close() */
    bool misuse;      /**< send/recv without an open socket */
} fake_dgram_t;

extern const smtpc_dgram_ops_t fake_dgram_ops;
/** Defaults: one server 192.0.2.53:53, no faults, no responder. */
void fake_dgram_init(fake_dgram_t *fd, fake_clock_t *clock);
/** Queue a datagram readable from now + @p delay_ms. */
void fake_dgram_queue(fake_dgram_t *fd, const void *buf, size_t len, uint32_t delay_ms);
size_t fake_dgram_pending(const fake_dgram_t *fd);

/* -------------------------------------------------------------- rng --- */

/** Deterministic bytes: a xorshift32 stream from @p seed; or, with
 *  @p fixed_len > 0, the bytes of @p fixed repeated. */
typedef struct fake_rng {
    uint32_t state;
    const uint8_t *fixed;
    size_t fixed_len, fixed_off;
    int fail; /**< != 0: fill() fails with it */
    unsigned calls;
} fake_rng_t;

extern const smtpc_rng_ops_t fake_rng_ops;
void fake_rng_init(fake_rng_t *r, uint32_t seed);

#endif /* FAKE_DGRAM_H */
