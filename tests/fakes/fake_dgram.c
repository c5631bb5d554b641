/* Datagram, rng and DNS message fakes: see fake_dgram.h. */
#include <string.h>

#include "fake_dgram.h"

/* ---------------------------------------------------- message builder --- */

void fdm_init(fake_dns_msg_t *m)
{
    memset(m, 0, sizeof(*m));
}

void fdm_bytes(fake_dns_msg_t *m, const void *p, size_t n)
{
    if (n > sizeof(m->b) - m->len) {
        m->overflow = true;
        return;
    }
    memcpy(m->b + m->len, p, n);
    m->len += n;
}

void fdm_u8(fake_dns_msg_t *m, uint8_t v)
{
    fdm_bytes(m, &v, 1);
}

void fdm_u16(fake_dns_msg_t *m, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    fdm_bytes(m, b, 2);
}

void fdm_u32(fake_dns_msg_t *m, uint32_t v)
{
    fdm_u16(m, (uint16_t)(v >> 16));
    fdm_u16(m, (uint16_t)v);
}

void fdm_header(fake_dns_msg_t *m, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an,
                uint16_t ns, uint16_t ar)
{
    fdm_u16(m, id);
    fdm_u16(m, flags);
    fdm_u16(m, qd);
    fdm_u16(m, an);
    fdm_u16(m, ns);
    fdm_u16(m, ar);
}

void fdm_labels(fake_dns_msg_t *m, const char *dotted)
{
    const char *p = dotted;
    while (*p != '\0') {
        const char *dot = strchr(p, '.');
        size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);
        if (n == 0) {
            break; /* "" or a trailing dot: the root */
        }
        fdm_u8(m, (uint8_t)n);
        fdm_bytes(m, p, n);
        p += n;
        if (*p == '.') {
            p++;
        }
    }
}

void fdm_name(fake_dns_msg_t *m, const char *dotted)
{
    fdm_labels(m, dotted);
    fdm_u8(m, 0);
}

void fdm_ptr(fake_dns_msg_t *m, uint16_t off)
{
    fdm_u16(m, (uint16_t)(0xc000u | off));
}

void fdm_question(fake_dns_msg_t *m, const char *name, uint16_t type, uint16_t klass)
{
    fdm_name(m, name);
    fdm_u16(m, type);
    fdm_u16(m, klass);
}

size_t fdm_rr_begin_raw(fake_dns_msg_t *m, uint16_t type, uint16_t klass, uint32_t ttl)
{
    size_t off;
    fdm_u16(m, type);
    fdm_u16(m, klass);
    fdm_u32(m, ttl);
    off = m->len;
    fdm_u16(m, 0);
    return off;
}

size_t fdm_rr_begin(fake_dns_msg_t *m, const char *owner, uint16_t type, uint16_t klass,
                    uint32_t ttl)
{
    fdm_name(m, owner);
    return fdm_rr_begin_raw(m, type, klass, ttl);
}

void fdm_set_u16(fake_dns_msg_t *m, size_t off, uint16_t v)
{
    if (off + 2u <= m->len) {
        m->b[off] = (uint8_t)(v >> 8);
        m->b[off + 1u] = (uint8_t)v;
    }
}

void fdm_rr_end(fake_dns_msg_t *m, size_t rdlen_off)
{
    fdm_set_u16(m, rdlen_off, (uint16_t)(m->len - rdlen_off - 2u));
}

void fdm_set_ancount(fake_dns_msg_t *m, uint16_t n)
{
    fdm_set_u16(m, 6, n);
}

/* Offset just after an uncompressed name at @p off (queries never compress). */
static size_t plain_name_end(const uint8_t *q, size_t len, size_t off)
{
    while (off < len && q[off] != 0u) {
        if ((q[off] & 0xc0u) != 0u) {
            return 0;
        }
        off += 1u + q[off];
    }
    return off < len ? off + 1u : 0;
}

bool fdm_query_info(const uint8_t *q, size_t len, uint16_t *id, uint16_t *qtype)
{
    size_t end;
    if (len < 12u + 5u) {
        return false;
    }
    end = plain_name_end(q, len, 12);
    if (end == 0 || end + 4u > len) {
        return false;
    }
    *id = (uint16_t)((q[0] << 8) | q[1]);
    *qtype = (uint16_t)((q[end] << 8) | q[end + 1u]);
    return true;
}

bool fdm_reply_to(fake_dns_msg_t *m, const uint8_t *query, size_t qlen, uint8_t rcode)
{
    size_t end;
    fdm_init(m);
    if (qlen < 12u + 5u) {
        return false;
    }
    end = plain_name_end(query, qlen, 12);
    if (end == 0 || end + 4u > qlen) {
        return false;
    }
    fdm_header(m, (uint16_t)((query[0] << 8) | query[1]),
               (uint16_t)(0x8000u | 0x0400u | 0x0100u | 0x0080u | (rcode & 0x0fu)), 1, 0, 0, 0);
    fdm_bytes(m, query + 12, end + 4u - 12u);
    return true;
}

/* ------------------------------------------------------------ dgram --- */

static uint32_t fd_now(const fake_dgram_t *fd)
{
    return fd->clock != NULL ? fd->clock->now_ms : 0u;
}

static unsigned fake_dgram_server_count(void *ctx)
{
    return ((fake_dgram_t *)ctx)->count;
}

static int fake_dgram_server(void *ctx, unsigned idx, const char **addr, uint16_t *port)
{
    fake_dgram_t *fd = (fake_dgram_t *)ctx;
    fd->server_calls++;
    if (fd->server_rc != SMTPC_OK) {
        return fd->server_rc;
    }
    if (idx >= fd->count || idx >= FAKE_DGRAM_SERVERS) {
        return SMTPC_ERR_BAD_ARG;
    }
    *addr = fd->addr[idx];
    *port = fd->port[idx];
    return SMTPC_OK;
}

static void fd_flush(fake_dgram_t *fd)
{
    fd->dropped += (unsigned)(fd->q_tail - fd->q_head);
    fd->q_head = 0;
    fd->q_tail = 0;
}

static int fake_dgram_open(void *ctx, unsigned idx)
{
    fake_dgram_t *fd = (fake_dgram_t *)ctx;
    unsigned n = fd->open_calls++;
    if (n < FAKE_DGRAM_LOG) {
        fd->opened[n] = idx;
    }
    if (fd->is_open || idx >= fd->count) {
        fd->misuse = true;
    }
    if (n < fd->open_fail) {
        return fd->open_err;
    }
    fd->is_open = true;
    fd->cur = idx;
    fd_flush(fd);
    return SMTPC_OK;
}

static int32_t fake_dgram_send(void *ctx, const uint8_t *buf, size_t len)
{
    fake_dgram_t *fd = (fake_dgram_t *)ctx;
    unsigned n;
    if (!fd->is_open) {
        fd->misuse = true;
        return SMTPC_ERR_STATE;
    }
    if (fd->send_err != 0) {
        return fd->send_err;
    }
    if (fd->send_block > 0) {
        fd->send_block--;
        return 0;
    }
    n = fd->send_calls++;
    if (n < FAKE_DGRAM_LOG) {
        fd->sent_to[n] = fd->cur;
        fd->sent_at[n] = fd_now(fd);
    }
    fd->last_len = len < sizeof(fd->last) ? len : sizeof(fd->last);
    memcpy(fd->last, buf, fd->last_len);
    if (fd->responder != NULL) {
        fd->responder(fd->responder_arg, fd, fd->cur, buf, len);
    }
    return (int32_t)len;
}

static int32_t fake_dgram_recv(void *ctx, uint8_t *buf, size_t cap)
{
    fake_dgram_t *fd = (fake_dgram_t *)ctx;
    size_t n;
    fd->recv_calls++;
    if (!fd->is_open) {
        fd->misuse = true;
        return SMTPC_ERR_STATE;
    }
    if (fd->recv_err != 0) {
        return fd->recv_err;
    }
    if (fd->q_head == fd->q_tail || (int32_t)(fd_now(fd) - fd->q_at[fd->q_head]) < 0) {
        return 0;
    }
    n = fd->q_len[fd->q_head];
    if (n > cap) {
        n = cap; /* a datagram larger than the buffer is cut, as recv(2) does */
    }
    memcpy(buf, fd->q[fd->q_head], n);
    fd->q_head++;
    if (fd->q_head == fd->q_tail) {
        fd->q_head = 0;
        fd->q_tail = 0;
    }
    return (int32_t)n;
}

static void fake_dgram_close(void *ctx)
{
    fake_dgram_t *fd = (fake_dgram_t *)ctx;
    fd->close_calls++;
    fd->is_open = false;
    fd_flush(fd);
}

const smtpc_dgram_ops_t fake_dgram_ops = {fake_dgram_server_count, fake_dgram_server,
                                          fake_dgram_open,         fake_dgram_send,
                                          fake_dgram_recv,         fake_dgram_close};

void fake_dgram_init(fake_dgram_t *fd, fake_clock_t *clock)
{
    memset(fd, 0, sizeof(*fd));
    fd->count = 1;
    fd->addr[0] = "192.0.2.53";
    fd->port[0] = 53;
    fd->clock = clock;
    fd->server_rc = SMTPC_OK;
}

void fake_dgram_queue(fake_dgram_t *fd, const void *buf, size_t len, uint32_t delay_ms)
{
    if (fd->q_tail >= FAKE_DGRAM_QUEUE || len > FAKE_DGRAM_SIZE) {
        fd->q_overflow = true;
        return;
    }
    memcpy(fd->q[fd->q_tail], buf, len);
    fd->q_len[fd->q_tail] = len;
    fd->q_at[fd->q_tail] = fd_now(fd) + delay_ms;
    fd->q_tail++;
}

size_t fake_dgram_pending(const fake_dgram_t *fd)
{
    return fd->q_tail - fd->q_head;
}

/* -------------------------------------------------------------- rng --- */

static int fake_rng_fill(void *ctx, uint8_t *buf, size_t len)
{
    fake_rng_t *r = (fake_rng_t *)ctx;
    size_t i;
    r->calls++;
    if (r->fail != 0) {
        return r->fail;
    }
    for (i = 0; i < len; i++) {
        if (r->fixed_len > 0) {
            buf[i] = r->fixed[r->fixed_off++ % r->fixed_len];
        } else {
            uint32_t x = r->state;
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            r->state = x;
            buf[i] = (uint8_t)(x >> 24);
        }
    }
    return SMTPC_OK;
}

const smtpc_rng_ops_t fake_rng_ops = {fake_rng_fill};

void fake_rng_init(fake_rng_t *r, uint32_t seed)
{
    memset(r, 0, sizeof(r[0]));
    r->state = seed != 0u ? seed : 0x2545f491u;
}
