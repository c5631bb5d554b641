/* smtpc-sim-faults: fault injection in the simulated world (issue 9).
 *
 * The real client, the mbedTLS binding and the flash policy cache run
 * against the simulator's scripted peers, nameservers and policy host, while
 * a thin layer between the client and the world breaks things on purpose:
 *
 * - reset:  every connection of a complete session dies after N bytes, for
 *           every N in the server->client and the client->server direction
 *           (counted over all the session's connections: the HTTPS policy
 *           fetch, then SMTP), half of them as an orderly close, half as a
 *           reset;
 * - short:  the stream moves 1 byte per call, or a random number of bytes;
 * - storm:  send/recv return 0 (would block) many times in a row, with and
 *           without the clock moving meanwhile;
 * - clock:  the monotonic clock wraps at every point of a session, jumps
 *           forwards past every deadline, steps backwards; the wall clock
 *           jumps back a year or forward past a policy's max_age in the
 *           middle of a delivery, with the RAM store and with the flash
 *           cache behind its time floor;
 * - alloc:  the client's mbedTLS allocator fails at every allocation index
 *           of a STARTTLS handshake (and of the policy fetch), once or from
 *           that index on;
 * - flash:  every read, prog, erase and sync of the policy cache fails in
 *           turn during a delivery that stores a policy (leaving a write not
 *           done, half done, random bits, or done but reported failed), and
 *           the power is cut at every write operation.
 *
 * Every run must end (no hang: a bound on loop iterations and on virtual
 * time) with a named error and a consistent result, never SMTPC_OK unless
 * the server took the message, with no plaintext AUTH/MAIL/RCPT/DATA/body
 * byte, every connection closed, no client mbedTLS block left allocated,
 * and a policy store holding either the old or the new complete entry.
 *
 * Client-side mbedTLS allocations are seen through the linker: the
 * executable links the static mbedTLS archives with calloc and free wrapped
 * (sim_faults.cmake), and only the allocations made while a client TLS op
 * runs are counted (the simulated servers use the same library).
 *
 *   smtpc-sim-faults [--certs DIR] list | run NAME | point NAME N | all
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpc/cache.h"
#include "smtpc/kvs.h"
#include "smtpc_flash_emu.h"
#include "smtpc_flash_ram.h"

#include "sim.h"

#ifndef SMTPC_SIM_CERT_DIR
#define SMTPC_SIM_CERT_DIR "certs"
#endif

/* =========================================================== allocator === */

#define FA_TRACK_CAP 8192u   /* live client blocks tracked (power of two) */
#define FA_SITE_CAP  131072u /* allocations whose call site is noted */

typedef struct {
    unsigned depth;      /* >0 while a client TLS op runs */
    unsigned long count; /* client allocations since the last reset */
    unsigned long fail_at;
    int fail_mode; /* 0 off, 1 only fail_at, 2 fail_at and every later one */
    unsigned long failed;
    unsigned long live; /* client blocks still allocated */
    unsigned long live_bytes;
    unsigned long overflow; /* blocks the table could not track */
    bool record_sites;      /* the reference run: note each allocation's call site */
    unsigned long nsites;
    const void *site[FA_SITE_CAP];
    void *ptr[FA_TRACK_CAP];
    size_t len[FA_TRACK_CAP];
} fa_state_t;

static fa_state_t g_fa;

#if defined(SIM_FAULTS_WRAP_ALLOC)
void *__real_calloc(size_t n, size_t size);
void __real_free(void *p);
void *__wrap_calloc(size_t n, size_t size);
void __wrap_free(void *p);

static size_t fa_slot(const void *p)
{
    uintptr_t v = (uintptr_t)p;
    v ^= v >> 17;
    v *= (uintptr_t)0x9E3779B1u;
    return (size_t)(v >> 4) & (FA_TRACK_CAP - 1u);
}

static void fa_track(void *p, size_t len)
{
    size_t i = fa_slot(p);
    size_t k;
    for (k = 0; k < FA_TRACK_CAP; k++, i = (i + 1u) & (FA_TRACK_CAP - 1u)) {
        if (g_fa.ptr[i] == NULL) {
            g_fa.ptr[i] = p;
            g_fa.len[i] = len;
            g_fa.live++;
            g_fa.live_bytes += len;
            return;
        }
    }
    g_fa.overflow++;
}

/* Linear probing with backward-shift deletion, so lookups stay exact. */
static void fa_untrack(void *p)
{
    size_t i = fa_slot(p);
    size_t k;
    if (g_fa.live == 0u) {
        return;
    }
    for (k = 0; k < FA_TRACK_CAP; k++, i = (i + 1u) & (FA_TRACK_CAP - 1u)) {
        if (g_fa.ptr[i] == NULL) {
            return;
        }
        if (g_fa.ptr[i] == p) {
            size_t j = i;
            g_fa.live--;
            g_fa.live_bytes -= g_fa.len[i];
            g_fa.ptr[i] = NULL;
            for (;;) {
                size_t h;
                j = (j + 1u) & (FA_TRACK_CAP - 1u);
                if (g_fa.ptr[j] == NULL) {
                    return;
                }
                h = fa_slot(g_fa.ptr[j]);
                /* move j back to i when its home is not in (i, j] */
                if ((i <= j) ? (h <= i || h > j) : (h <= i && h > j)) {
                    g_fa.ptr[i] = g_fa.ptr[j];
                    g_fa.len[i] = g_fa.len[j];
                    g_fa.ptr[j] = NULL;
                    i = j;
                }
            }
        }
    }
}

void *__wrap_calloc(size_t n, size_t size)
{
    void *p;
    if (g_fa.depth == 0u) {
        return __real_calloc(n, size);
    }
    if (g_fa.fail_mode != 0 &&
        (g_fa.count == g_fa.fail_at || (g_fa.fail_mode == 2 && g_fa.count > g_fa.fail_at))) {
        g_fa.count++;
        g_fa.failed++;
        return NULL;
    }
    if (g_fa.record_sites && g_fa.nsites < FA_SITE_CAP) {
        g_fa.site[g_fa.nsites++] = __builtin_return_address(0);
    }
    g_fa.count++;
    p = __real_calloc(n, size);
    if (p != NULL) {
        fa_track(p, n * size);
    }
    return p;
}

void __wrap_free(void *p)
{
    if (p != NULL) {
        fa_untrack(p);
    }
    __real_free(p);
}
#define FA_AVAILABLE 1
#else
#define FA_AVAILABLE 0
#endif

static void fa_reset(void)
{
    g_fa.count = 0;
    g_fa.fail_mode = 0;
    g_fa.fail_at = 0;
    g_fa.failed = 0;
    /* blocks of a previous run still live stay tracked: they show up as a
     * leak of that run, which already failed */
}

/* ============================================================ the layer === */

#define FX_CONNS     8u
#define FX_TRACE_CAP 32768u
#define FX_NO_POINT  (~0ul)
#define FX_BYTES_CAP 65536u

enum { CUT_NONE = 0, CUT_S2C, CUT_C2S };
enum { CHUNK_NONE = 0, CHUNK_ONE, CHUNK_RANDOM };

struct fx;

typedef struct {
    struct fx *f;
    smtpc_stream_t under;
    sim_pipe_t *pipe;
    unsigned idx;
    uint64_t rx0, tx0;         /* stream offsets when it opened */
    uint64_t tls_rx0, tls_tx0; /* ... and when TLS started on it */
    bool tls;
    bool dead;
    int dead_err;
    unsigned closes;
} fx_conn_t;

typedef struct fx {
    sim_world_t *w;
    /* reset */
    int cut_dir;
    uint64_t cut_at;
    int cut_err;
    bool fired;
    unsigned fired_conn;
    uint64_t rx, tx; /* client bytes over every connection */
    bool log_bytes;  /* the reference run keeps them */
    uint8_t rx_log[FX_BYTES_CAP];
    uint8_t tx_log[FX_BYTES_CAP];
    /* short transfers */
    int chunk_mode;
    uint32_t rng;
    /* would-block storms */
    unsigned storm_prob;         /* a storm starts on 1 call in this many (0 none) */
    unsigned storm_max;          /* longest random storm */
    uint32_t storm_adv_ms;       /* clock advance per would-block */
    unsigned long storm_at_call; /* one storm at this stream call (FX_NO_POINT none) */
    unsigned storm_len;
    unsigned storm_left;
    bool storm_after_accept; /* the one storm began after the message was taken */
    unsigned storm_conn;
    uint64_t wb_events;
    uint64_t storm_ms_total;
    unsigned long stream_calls;
    /* connections */
    fx_conn_t conn[FX_CONNS];
    unsigned nconn;
    /* monotonic clock */
    uint32_t tick_ms; /* added on every now_ms() call */
    unsigned long mono_jump_at;
    int64_t mono_jump_ms;
    unsigned long now_calls;
    bool jump_after_accept; /* the jump came after the message was taken */
    /* wall clock */
    unsigned long utc_jump_at;
    int64_t utc_jump_s;
    unsigned long utc_calls;
    /* TLS */
    unsigned tls_starts;
    /* transcript: commands and server bytes as the client traced them */
    uint8_t cli[FX_TRACE_CAP];
    size_t cli_len;
    uint8_t srv[FX_TRACE_CAP];
    size_t srv_len;
    bool trace_truncated;
} fx_t;

static fx_t g_fx;

static uint32_t fx_rand(fx_t *f)
{
    uint32_t x = f->rng != 0u ? f->rng : 0x2545F491u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    f->rng = x;
    return x;
}

static const char fx_queued[] = "250 2.0.0 Ok: queued as SIM0001\r\n";

static bool fx_mem_has(const uint8_t *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    size_t i;
    for (i = 0; n <= len && i + n <= len; i++) {
        if (memcmp(hay + i, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

static bool fx_accept_seen(const fx_t *f)
{
    return fx_mem_has(f->srv, f->srv_len, fx_queued);
}

static void fx_trace(void *arg, smtpc_trace_dir_t dir, const uint8_t *data, size_t len)
{
    fx_t *f = (fx_t *)arg;
    uint8_t *buf;
    size_t *blen;
    if (dir == SMTPC_TRACE_CLIENT) {
        buf = f->cli;
        blen = &f->cli_len;
    } else if (dir == SMTPC_TRACE_SERVER) {
        buf = f->srv;
        blen = &f->srv_len;
    } else {
        return;
    }
    if (len > FX_TRACE_CAP - *blen) {
        f->trace_truncated = true;
        len = FX_TRACE_CAP - *blen;
    }
    memcpy(buf + *blen, data, len);
    *blen += len;
}

/* A would-block storm on this call? Counts the stream calls. */
static bool fx_storm(fx_t *f, const fx_conn_t *c)
{
    unsigned long call = f->stream_calls++;
    if (f->storm_left == 0u) {
        if (call == f->storm_at_call) {
            f->storm_left = f->storm_len;
            f->storm_after_accept = fx_accept_seen(f);
            f->storm_conn = c->idx;
        } else if (f->storm_prob != 0u && fx_rand(f) % f->storm_prob == 0u) {
            f->storm_left = 1u + fx_rand(f) % f->storm_max;
        }
    }
    if (f->storm_left == 0u) {
        return false;
    }
    f->storm_left--;
    f->wb_events++;
    if (f->storm_adv_ms != 0u) {
        f->w->clock.now_ms += f->storm_adv_ms;
        f->storm_ms_total += f->storm_adv_ms;
    }
    return true;
}

static size_t fx_limit(fx_t *f, size_t len)
{
    size_t n = len;
    if (f->chunk_mode == CHUNK_ONE) {
        n = 1;
    } else if (f->chunk_mode == CHUNK_RANDOM) {
        n = 1u + fx_rand(f) % 97u;
    }
    return n < len ? n : len;
}

/* The connection dies: the peer sees it go, bytes in flight are lost. */
static void fx_die(fx_conn_t *c)
{
    fx_t *f = c->f;
    c->dead = true;
    c->dead_err = f->cut_err;
    f->fired = true;
    f->fired_conn = c->idx;
    c->pipe->client_closed = true;
    c->pipe->s2c.len = 0;
}

static int32_t fx_send(void *ctx, const uint8_t *buf, size_t len)
{
    fx_conn_t *c = (fx_conn_t *)ctx;
    fx_t *f = c->f;
    int32_t n;
    if (c->dead) {
        return c->dead_err;
    }
    if (len > 0u && fx_storm(f, c)) {
        return 0;
    }
    len = fx_limit(f, len);
    if (f->cut_dir == CUT_C2S && !f->fired) {
        uint64_t room = f->cut_at - f->tx;
        if (room == 0u) {
            fx_die(c);
            return c->dead_err;
        }
        if (len > room) {
            len = (size_t)room;
        }
    }
    n = c->under.ops->send(c->under.ctx, buf, len);
    if (n > 0) {
        if (f->log_bytes && f->tx + (uint64_t)n <= FX_BYTES_CAP) {
            memcpy(f->tx_log + f->tx, buf, (size_t)n);
        }
        f->tx += (uint64_t)n;
        if (f->cut_dir == CUT_C2S && !f->fired && f->tx == f->cut_at) {
            fx_die(c); /* the bytes got out; nothing more will */
        }
    }
    return n;
}

static int32_t fx_recv(void *ctx, uint8_t *buf, size_t cap)
{
    fx_conn_t *c = (fx_conn_t *)ctx;
    fx_t *f = c->f;
    int32_t n;
    if (c->dead) {
        return c->dead_err;
    }
    if (cap > 0u && fx_storm(f, c)) {
        return 0;
    }
    cap = fx_limit(f, cap);
    if (f->cut_dir == CUT_S2C && !f->fired) {
        uint64_t room = f->cut_at - f->rx;
        if (room == 0u) {
            fx_die(c);
            return c->dead_err;
        }
        if (cap > room) {
            cap = (size_t)room;
        }
    }
    n = c->under.ops->recv(c->under.ctx, buf, cap);
    if (n > 0) {
        if (f->log_bytes && f->rx + (uint64_t)n <= FX_BYTES_CAP) {
            memcpy(f->rx_log + f->rx, buf, (size_t)n);
        }
        f->rx += (uint64_t)n;
    }
    return n;
}

static void fx_close(void *ctx)
{
    fx_conn_t *c = (fx_conn_t *)ctx;
    c->closes++;
    c->under.ops->close(c->under.ctx);
}

static const smtpc_stream_ops_t fx_stream_ops = {fx_send, fx_recv, fx_close};

static int fx_connect(void *ctx, const char *host, uint16_t port, smtpc_stream_t *out)
{
    fx_t *f = (fx_t *)ctx;
    int rc = sim_net_ops.connect(&f->w->net, host, port, out);
    if (rc == SMTPC_OK && f->nconn < FX_CONNS) {
        fx_conn_t *c = &f->conn[f->nconn];
        memset(c, 0, sizeof(*c));
        c->f = f;
        c->under = *out;
        c->pipe = (sim_pipe_t *)out->ctx;
        c->idx = f->nconn++;
        c->rx0 = f->rx;
        c->tx0 = f->tx;
        out->ops = &fx_stream_ops;
        out->ctx = c;
    }
    return rc;
}

static int fx_connect_poll(void *ctx, smtpc_stream_t *out)
{
    fx_t *f = (fx_t *)ctx;
    return sim_net_ops.connect_poll(&f->w->net, out);
}

static const smtpc_net_ops_t fx_net_ops = {.connect = fx_connect, .connect_poll = fx_connect_poll};

/* ---- TLS: the binding, with the client's allocations counted ---- */

static int fx_tls_start(void *ctx, const smtpc_stream_t *under, const char *sni, smtpc_verify_t v)
{
    int rc;
    g_fx.tls_starts++;
    if (under != NULL && under->ops == &fx_stream_ops) {
        fx_conn_t *c = (fx_conn_t *)under->ctx;
        c->tls = true;
        c->tls_rx0 = g_fx.rx;
        c->tls_tx0 = g_fx.tx;
    }
    g_fa.depth++;
    rc = smtpc_mbedtls_tls_ops.start(ctx, under, sni, v);
    g_fa.depth--;
    return rc;
}

static int fx_tls_handshake(void *ctx, unsigned *wants)
{
    int rc;
    g_fa.depth++;
    rc = smtpc_mbedtls_tls_ops.handshake(ctx, wants);
    g_fa.depth--;
    return rc;
}

static smtpc_cert_verdict_t fx_tls_verdict(void *ctx)
{
    return smtpc_mbedtls_tls_ops.verdict(ctx);
}

static void fx_tls_end(void *ctx)
{
    g_fa.depth++;
    smtpc_mbedtls_tls_ops.end(ctx);
    g_fa.depth--;
}

static int32_t fx_tls_send(void *ctx, const uint8_t *buf, size_t len)
{
    int32_t n;
    g_fa.depth++;
    n = smtpc_mbedtls_tls_ops.stream.send(ctx, buf, len);
    g_fa.depth--;
    return n;
}

static int32_t fx_tls_recv(void *ctx, uint8_t *buf, size_t cap)
{
    int32_t n;
    g_fa.depth++;
    n = smtpc_mbedtls_tls_ops.stream.recv(ctx, buf, cap);
    g_fa.depth--;
    return n;
}

static void fx_tls_close(void *ctx)
{
    g_fa.depth++;
    smtpc_mbedtls_tls_ops.stream.close(ctx);
    g_fa.depth--;
}

static const smtpc_tls_ops_t fx_tls_ops = {fx_tls_start,
                                           fx_tls_handshake,
                                           {fx_tls_send, fx_tls_recv, fx_tls_close},
                                           fx_tls_verdict,
                                           fx_tls_end};

/* ---- clocks ---- */

static uint32_t fx_now_ms(void *ctx)
{
    fx_t *f = (fx_t *)ctx;
    unsigned long k = f->now_calls++;
    f->w->clock.now_ms += f->tick_ms;
    if (k == f->mono_jump_at) {
        f->jump_after_accept = fx_accept_seen(f);
        f->w->clock.now_ms = (uint32_t)((int64_t)f->w->clock.now_ms + f->mono_jump_ms);
    }
    return f->w->clock.now_ms;
}

static uint64_t fx_utc_s(void *ctx)
{
    fx_t *f = (fx_t *)ctx;
    unsigned long k = f->utc_calls++;
    if (k == f->utc_jump_at && f->w->clock.utc_s != 0u) {
        f->w->clock.utc_s = (uint64_t)((int64_t)f->w->clock.utc_s + f->utc_jump_s);
    }
    return f->w->clock.utc_s;
}

static const smtpc_clock_ops_t fx_clock_ops = {fx_now_ms, fx_utc_s};

/* ================================================================ flash === */

#define FL_SECTOR 1024u
#define FL_COUNT  4u

enum { FLF_OFF = 0, FLF_ONCE, FLF_POWER };

typedef struct {
    smtpc_flash_ops_t ops;
    smtpc_flash_ram_t ram;
    smtpc_flash_emu_t emu;
    uint8_t mem[FL_SECTOR * FL_COUNT];
    unsigned long calls; /* operations since armed */
    unsigned long fail_at;
    int fail_kind;           /* FLF_* */
    smtpc_flash_cut_t wmode; /* what a failing write leaves */
    unsigned long fails;
    char failed_op; /* 'r' 'p' 'e' 's' */
    smtpc_kvs_t kvs;
    smtpc_cache_t cache;
    smtpc_floor_clock_t floor;
} fl_t;

static fl_t g_fl;

/* A failing write: record it; unless it is "not done", let the emulator
 * cut this very operation as @p l->wmode says (power back at once after). */
static bool fl_write_fault(fl_t *l, char op)
{
    l->failed_op = op;
    l->fails++;
    if (l->wmode == SMTPC_FLASH_CUT_NOT_DONE) {
        return true;
    }
    if (l->wmode != SMTPC_FLASH_CUT_DONE) {
        smtpc_flash_emu_arm(&l->emu, l->emu.wops, l->wmode, (uint32_t)(l->fail_at * 2654435761u));
    }
    return false;
}

static bool fl_hit(fl_t *l)
{
    unsigned long k = l->calls++;
    return l->fail_kind == FLF_ONCE && k == l->fail_at;
}

static int fl_read(void *ctx, uint32_t addr, uint8_t *buf, size_t len)
{
    fl_t *l = (fl_t *)ctx;
    if (fl_hit(l)) {
        l->failed_op = 'r';
        l->fails++;
        memset(buf, 0xA5, len);
        return SMTPC_ERR_FLASH_IO;
    }
    return l->emu.ops.read(&l->emu, addr, buf, len);
}

/* Writes that fail: not done, half done (prefix / random bits, through the
 * emulator's cut, then power back at once), or done but reported failed. */
static int fl_prog(void *ctx, uint32_t addr, const uint8_t *buf, size_t len)
{
    fl_t *l = (fl_t *)ctx;
    int rc;
    if (!fl_hit(l)) {
        return l->emu.ops.prog(&l->emu, addr, buf, len);
    }
    if (fl_write_fault(l, 'p')) {
        return SMTPC_ERR_FLASH_IO;
    }
    if (l->wmode == SMTPC_FLASH_CUT_DONE) {
        (void)l->emu.ops.prog(&l->emu, addr, buf, len);
        return SMTPC_ERR_FLASH_IO;
    }
    rc = l->emu.ops.prog(&l->emu, addr, buf, len);
    smtpc_flash_emu_resume(&l->emu);
    return rc != SMTPC_OK ? rc : SMTPC_ERR_FLASH_IO;
}

static int fl_erase(void *ctx, uint32_t sector)
{
    fl_t *l = (fl_t *)ctx;
    int rc;
    if (!fl_hit(l)) {
        return l->emu.ops.erase(&l->emu, sector);
    }
    if (fl_write_fault(l, 'e')) {
        return SMTPC_ERR_FLASH_IO;
    }
    if (l->wmode == SMTPC_FLASH_CUT_DONE) {
        (void)l->emu.ops.erase(&l->emu, sector);
        return SMTPC_ERR_FLASH_IO;
    }
    rc = l->emu.ops.erase(&l->emu, sector);
    smtpc_flash_emu_resume(&l->emu);
    return rc != SMTPC_OK ? rc : SMTPC_ERR_FLASH_IO;
}

static int fl_sync(void *ctx)
{
    fl_t *l = (fl_t *)ctx;
    if (!fl_hit(l)) {
        return l->emu.ops.sync(&l->emu);
    }
    l->failed_op = 's';
    l->fails++;
    if (l->wmode == SMTPC_FLASH_CUT_DONE) {
        (void)l->emu.ops.sync(&l->emu);
    }
    return SMTPC_ERR_FLASH_IO;
}

/* =============================================================== worlds === */

#define FX_DOMAIN      "example.test"
#define FX_TXT_NAME    "_mta-sts.example.test"
#define FX_STS_HOST    "mta-sts.example.test"
#define FX_MX1         "mx1.example.test"
#define FX_MX2         "mx2.example.test"
#define FX_UTC0        1767225600u /* 2026-01-01T00:00:00Z */
#define FX_OLD_AT      (FX_UTC0 - 3600u)
#define FX_ID_OLD      "20251231T000000"
#define FX_ID_NEW      "20260101T000000"
#define FX_YEAR_S      31536000
#define FX_OLD_MAX_AGE 86400u

#define FX_POL_OLD                                                                                 \
    "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\nmx: mx2.example.test\r\n"          \
    "max_age: 86400\r\n"
#define FX_POL_NEW                                                                                 \
    "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\nmx: *.example.test\r\n"            \
    "max_age: 604800\r\n"

#define FX_EHLO_HEAD "250-mx.example.test Hello client.example.test\r\n"
#define FX_EHLO_PLAIN                                                                              \
    FX_EHLO_HEAD "250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n"                         \
                 "250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n"
#define FX_EHLO_TLS                                                                                \
    FX_EHLO_HEAD "250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n"                         \
                 "250 ENHANCEDSTATUSCODES\r\n"

enum { W_SUB = 0, W_MX_RAM, W_MX_FLASH, W_MX_FLASH_FULL };

static const char *const fx_world_names[] = {"submission", "mx-sts-ram", "mx-sts-flash",
                                             "mx-sts-flash-compacting"};

static char fx_http_resp[1024];

static const char *fx_response(void)
{
    snprintf(fx_http_resp, sizeof(fx_http_resp),
             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(FX_POL_NEW), FX_POL_NEW);
    return fx_http_resp;
}

static void fx_entry(smtpc_sts_entry_t *e, const char *id, const char *body, uint64_t at)
{
    memset(e, 0, sizeof(*e));
    snprintf(e->domain, sizeof(e->domain), "%s", FX_DOMAIN);
    snprintf(e->id, sizeof(e->id), "%s", id);
    e->has_policy = 1;
    e->fetched_at = at;
    (void)smtpc_sts_policy_parse(body, strlen(body), &e->policy);
}

static bool fx_entry_same(const smtpc_sts_entry_t *a, const smtpc_sts_entry_t *b)
{
    return strcmp(a->id, b->id) == 0 && a->has_policy == b->has_policy &&
           a->fetched_at == b->fetched_at && a->policy.mode == b->policy.mode &&
           a->policy.max_age == b->policy.max_age && a->policy.mx_count == b->policy.mx_count &&
           a->policy.mx_pool_len == b->policy.mx_pool_len &&
           memcmp(a->policy.mx_pool, b->policy.mx_pool, a->policy.mx_pool_len) == 0;
}

/* ---- the flash image every flash run starts from ---- */

static uint8_t g_fl_img[2][FL_SECTOR * FL_COUNT];
static bool g_fl_img_ok[2];

static int fl_mount(fl_t *l)
{
    int rc = smtpc_kvs_mount(&l->kvs, &l->ops, l);
    if (rc == SMTPC_OK) {
        rc = smtpc_cache_init(&l->cache, &l->kvs);
    }
    return rc;
}

static int fl_power_on(fl_t *l, const uint8_t *img)
{
    static const smtpc_flash_geom_t g = {16, 16, FL_SECTOR, FL_COUNT, 0xFF};
    int rc = smtpc_flash_ram_init(&l->ram, l->mem, sizeof(l->mem), &g);
    if (rc != SMTPC_OK) {
        return rc;
    }
    if (img != NULL) {
        memcpy(l->mem, img, sizeof(l->mem));
    }
    rc = smtpc_flash_emu_init(&l->emu, &l->ram);
    if (rc != SMTPC_OK) {
        return rc;
    }
    l->ops = l->emu.ops;
    l->ops.read = fl_read;
    l->ops.prog = fl_prog;
    l->ops.erase = fl_erase;
    l->ops.sync = fl_sync;
    l->calls = 0;
    l->fail_kind = FLF_OFF;
    l->fails = 0;
    l->failed_op = 0;
    return fl_mount(l);
}

/* The old entry and a time floor; @p full: the active sector filled with
 * refresh records, so that the next put compacts. */
static int fl_make_image(unsigned which)
{
    fl_t *l = &g_fl;
    smtpc_sts_entry_t e;
    unsigned i;
    int rc;
    if (g_fl_img_ok[which]) {
        return SMTPC_OK;
    }
    rc = fl_power_on(l, NULL);
    if (rc != SMTPC_OK) {
        return rc;
    }
    smtpc_cache_time_seen(&l->cache, FX_OLD_AT);
    fx_entry(&e, FX_ID_OLD, FX_POL_OLD, FX_OLD_AT);
    rc = smtpc_cache_ops.put(&l->cache, &e);
    for (i = 0; rc == SMTPC_OK && which == 1u && i < 200u; i++) {
        if (l->kvs.head + 160u > FL_SECTOR) {
            break;
        }
        snprintf(e.fail_id, sizeof(e.fail_id), "prefill%u", i);
        e.fail_at = FX_OLD_AT - 1000u + i;
        rc = smtpc_cache_ops.put(&l->cache, &e);
    }
    if (rc == SMTPC_OK) {
        e.fail_id[0] = '\0';
        e.fail_at = 0;
        rc = smtpc_cache_ops.put(&l->cache, &e);
    }
    if (rc != SMTPC_OK) {
        return rc;
    }
    memcpy(g_fl_img[which], l->mem, sizeof(l->mem));
    g_fl_img_ok[which] = true;
    return SMTPC_OK;
}

/* ---- the run ---- */

typedef struct {
    int kind;   /* W_* */
    bool floor; /* flash worlds: the clock through the time floor */
    bool tick;  /* the monotonic clock moves on every read */
    uint32_t clock_start;
    uint32_t greeting_drip_ms; /* submission: a server that drips its greeting */
    uint32_t greeting_ms;      /* submission: greeting deadline (0 default) */
    bool txt_old;              /* MX: the TXT record names the cached id */
} fx_opts_t;

static sim_world_t *g_w;

static void fx_configure(sim_world_t *w, const fx_opts_t *o)
{
    sim_world_defaults(w);
    w->rcpts[0] = "bob@example.test";
    w->rcpts[1] = "carol@example.test";
    w->rcpts[2] = "dave@example.test";
    w->env.to_count = 3;
    w->plat.net = &fx_net_ops;
    w->plat.net_ctx = &g_fx;
    w->plat.tls = &fx_tls_ops;
    w->plat.tls_ctx = &w->tls;
    w->plat.clock = &fx_clock_ops;
    w->plat.clock_ctx = &g_fx;
    w->plat.trace = fx_trace;
    w->plat.trace_arg = &g_fx;
    if (o->clock_start != 0u) {
        w->clock.now_ms = o->clock_start;
    }
    if (o->kind == W_SUB) {
        w->peer_cfg.greeting_drip_ms = o->greeting_drip_ms;
        w->ccfg.timeouts.greeting_ms = o->greeting_ms;
        return;
    }
    w->env.to_count = 2;
    w->ccfg.mode = SMTPC_MODE_MX;
    w->ccfg.host = NULL;
    w->ccfg.port = 0;
    w->ccfg.session.user = NULL;
    w->ccfg.session.pass = NULL;
    w->ccfg.session.tls_level = SMTPC_TLS_ENCRYPTED;
    w->peer_cfg.ehlo_plain = FX_EHLO_PLAIN;
    w->peer_cfg.ehlo_tls = FX_EHLO_TLS;
    w->clock.utc_s = FX_UTC0;
    w->plat.report = sim_report_hook;
    w->plat.report_arg = w;
    (void)sim_dns_add(&w->dns, FX_TXT_NAME, SMTPC_DNS_TYPE_TXT, 0,
                      o->txt_old ? "v=STSv1; id=" FX_ID_OLD ";" : "v=STSv1; id=" FX_ID_NEW ";");
    (void)sim_dns_add(&w->dns, FX_DOMAIN, SMTPC_DNS_TYPE_MX, 10, FX_MX1);
    (void)sim_dns_add(&w->dns, FX_DOMAIN, SMTPC_DNS_TYPE_MX, 20, FX_MX2);
    (void)sim_world_add_https(w, FX_STS_HOST, "sts", fx_response());
    (void)sim_world_add_host(w, FX_MX1, "mx1");
    (void)sim_world_add_host(w, FX_MX2, "mx2");
    if (o->kind == W_MX_RAM) {
        smtpc_sts_entry_t e;
        smtpc_sts_ram_init(&w->sts_ram);
        fx_entry(&e, FX_ID_OLD, FX_POL_OLD, FX_OLD_AT);
        (void)smtpc_sts_ram_ops.put(&w->sts_ram, &e);
        w->plat.sts_store = &smtpc_sts_ram_ops;
        w->plat.sts_store_ctx = &w->sts_ram;
    } else {
        w->plat.sts_store = &smtpc_cache_ops;
        w->plat.sts_store_ctx = &g_fl.cache;
        if (o->floor) {
            g_fl.floor.inner = &fx_clock_ops;
            g_fl.floor.inner_ctx = &g_fx;
            g_fl.floor.cache = &g_fl.cache;
            w->plat.clock = &smtpc_floor_clock_ops;
            w->plat.clock_ctx = &g_fl.floor;
        }
    }
}

/* Fresh layer state for a run (the fault settings are set afterwards). */
static void fx_reset(sim_world_t *w)
{
    memset(&g_fx, 0, sizeof(g_fx));
    g_fx.w = w;
    g_fx.storm_at_call = FX_NO_POINT;
    g_fx.mono_jump_at = FX_NO_POINT;
    g_fx.utc_jump_at = FX_NO_POINT;
    g_fx.rng = 0x9E3779B9u;
    fa_reset();
}

static bool fx_setup(sim_world_t *w, const char *cert_dir, char *err, size_t cap)
{
    char ca[1024];
    smtpc_mbedtls_cfg_t tcfg;
    size_t i;
    int rc;
    memset(&tcfg, 0, sizeof(tcfg));
    snprintf(ca, sizeof(ca), "%s/ca.crt", cert_dir);
    tcfg.ca_file = ca;
    rc = smtpc_mbedtls_init(&w->tls, &tcfg);
    if (rc != SMTPC_OK) {
        snprintf(err, cap, "smtpc_mbedtls_init(%.200s): %s", ca, smtpc_strerror(rc));
        return false;
    }
    w->tls_inited = true;
    if (w->host_count == 0u &&
        sim_peer_init(&w->peer, &w->peer_cfg, &w->pipe, cert_dir, err, cap) != 0) {
        return false;
    }
    for (i = 0; i < w->host_count; i++) {
        if (sim_peer_init(&w->hosts[i].peer, &w->hosts[i].cfg, &w->hosts[i].pipe, cert_dir, err,
                          cap) != 0) {
            return false;
        }
    }
    rc = smtpc_client_init(&w->client, &w->ccfg, &w->plat, &w->mem);
    if (rc != SMTPC_OK) {
        snprintf(err, cap, "smtpc_client_init: %s", smtpc_strerror(rc));
        return false;
    }
    return true;
}

static uint64_t fx_traffic(const sim_world_t *w)
{
    uint64_t t = w->pipe.c_sent + w->pipe.c_recv + w->dns.traffic + w->dns.tcp.c_sent +
                 w->dns.tcp.c_recv + g_fx.wb_events;
    size_t i;
    for (i = 0; i < w->host_count; i++) {
        t += w->hosts[i].pipe.c_sent + w->hosts[i].pipe.c_recv;
    }
    return t;
}

static bool fx_peers_step(sim_world_t *w)
{
    uint32_t now = w->clock.now_ms;
    bool moved = sim_dns_step(&w->dns, now);
    size_t i;
    if (w->host_count == 0u) {
        moved = sim_peer_step(&w->peer, now) || moved;
    }
    for (i = 0; i < w->host_count; i++) {
        if (w->hosts[i].connects > 0u) {
            moved = sim_peer_step(&w->hosts[i].peer, now) || moved;
        }
    }
    return moved;
}

static void fx_min_event(bool *have, uint32_t *dl, uint32_t now, bool has, uint32_t ev)
{
    if (has && sim_before(now, ev) && (!*have || sim_before(ev, *dl))) {
        *dl = ev;
        *have = true;
    }
}

/* Nothing moved: the clock goes to the earliest deadline or peer event. */
static void fx_advance(sim_world_t *w)
{
    uint32_t dl = 0;
    uint32_t ev = 0;
    uint32_t now = w->clock.now_ms;
    unsigned wants = smtpc_client_wants(&w->client, &dl);
    bool have = (wants & SMTPC_WANT_TIMER) != 0u;
    size_t i;
    if (have && !sim_before(now, dl)) {
        return;
    }
    if (w->host_count == 0u) {
        bool has = sim_peer_next_event(&w->peer, &ev);
        fx_min_event(&have, &dl, now, has, ev);
    }
    for (i = 0; i < w->host_count; i++) {
        if (w->hosts[i].connects > 0u) {
            bool has = sim_peer_next_event(&w->hosts[i].peer, &ev);
            fx_min_event(&have, &dl, now, has, ev);
        }
    }
    fx_min_event(&have, &dl, now, sim_dns_next_event(&w->dns, now, &ev), ev);
    if (have) {
        w->clock.now_ms = dl;
    }
}

static void fx_deliver(sim_world_t *w)
{
    smtpc_body_src_t src = sim_body_src_template;
    unsigned i;
    src.arg = &w->body;
    w->body.off = 0;
    w->t_begin = w->clock.now_ms;
    w->rc = smtpc_client_start(&w->client, &w->env, &src);
    for (i = 0; w->rc == SMTPC_IN_PROGRESS && i < SIM_MAX_ITERS; i++) {
        uint64_t before = fx_traffic(w);
        bool peers;
        w->rc = smtpc_client_step(&w->client);
        if (w->rc != SMTPC_IN_PROGRESS) {
            break;
        }
        peers = fx_peers_step(w);
        if (peers || before != fx_traffic(w)) {
            continue;
        }
        fx_advance(w);
    }
    w->iterations = i;
    w->exhausted = w->rc == SMTPC_IN_PROGRESS;
    w->t_end = w->clock.now_ms;
    for (i = 0; i < 64u && fx_peers_step(w); i++) {
    }
}

static void fx_world_free(sim_world_t *w)
{
    size_t i;
    if (w->host_count == 0u) {
        sim_peer_free(&w->peer);
    }
    for (i = 0; i < w->host_count; i++) {
        sim_peer_free(&w->hosts[i].peer);
    }
    if (w->tls_inited) {
        smtpc_mbedtls_free(&w->tls);
        w->tls_inited = false;
    }
}

/* ============================================================== checks === */

typedef struct {
    const char *cert_dir;
    const char *family;
    unsigned long points;
    unsigned long fails;
    unsigned long only; /* run only this point (FX_NO_POINT: all) */
    bool verbose;
    /* tallies for the summary */
    unsigned long n_ok, n_err;
    unsigned long n_old, n_new;
    /* the reference run */
    uint64_t ref_rx, ref_tx;
    unsigned long ref_calls, ref_allocs, ref_now_calls;
    uint8_t ref_cli[FX_TRACE_CAP];
    size_t ref_cli_len;
    uint8_t ref_srv[FX_TRACE_CAP];
    size_t ref_srv_len;
    fx_conn_t ref_conn[FX_CONNS];
    unsigned ref_nconn;
    uint8_t ref_rx_log[FX_BYTES_CAP];
    uint8_t ref_tx_log[FX_BYTES_CAP];
    /* the fault points chosen */
    uint8_t sel[FX_BYTES_CAP + 2u];
    unsigned long pts[FX_BYTES_CAP + 2u];
    unsigned long npts;
} fam_t;

static void fam_fail(fam_t *fm, unsigned long point, const char *fmt, ...)
{
    va_list ap;
    fm->fails++;
    if (fm->fails > 8u && !fm->verbose) {
        return;
    }
    printf("FAIL %s point %lu: ", fm->family, point);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

static bool fx_named(int rc)
{
    return rc != SMTPC_IN_PROGRESS && strcmp(smtpc_strerror(rc), "SMTPC_ERR_UNKNOWN") != 0;
}

/* The server that took the message, if any. */
static const sim_peer_t *fx_taker(const sim_world_t *w)
{
    size_t i;
    if (w->host_count == 0u) {
        return w->peer.body_done ? &w->peer : NULL;
    }
    for (i = 0; i < w->host_count; i++) {
        if (w->hosts[i].cfg.https == NULL && w->hosts[i].peer.body_done) {
            return &w->hosts[i].peer;
        }
    }
    return NULL;
}

static const char *fx_leaks(const sim_peer_t *p)
{
    static const char *const words[] = {"AUTH", "MAIL", "RCPT", "DATA", SIM_BODY_MARKER};
    size_t i;
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (sim_contains_ci(p->plain_log, p->plain_len, words[i])) {
            return words[i];
        }
    }
    return NULL;
}

/* What every run must satisfy. Returns NULL or why not (in @p buf). */
static const char *fx_check_common(const sim_world_t *w, char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    const sim_peer_t *taker = fx_taker(w);
    uint32_t elapsed = w->t_end - w->t_begin;
    char line[256];
    size_t i;
    (void)smtpc_result_format(r, line, sizeof(line));
    if (w->exhausted) {
        snprintf(buf, cap, "no end after %u iterations (hang) [%s]", w->iterations, line);
        return buf;
    }
    if (elapsed > SMTPC_TIMEOUT_TOTAL_MS + 1000u && g_fx.storm_ms_total == 0u &&
        g_fx.mono_jump_ms == 0) {
        snprintf(buf, cap, "virtual time %lu ms over the overall deadline", (unsigned long)elapsed);
        return buf;
    }
    if (!fx_named(w->rc) || w->rc != r->err) {
        snprintf(buf, cap, "rc %d (%s) result.err %d: not one named error [%s]", w->rc,
                 smtpc_strerror(w->rc), r->err, line);
        return buf;
    }
    if (r->stage >= SMTPC_STAGE_COUNT_) {
        snprintf(buf, cap, "stage %u out of range", (unsigned)r->stage);
        return buf;
    }
    if ((w->rc == SMTPC_OK) != ((r->flags & SMTPC_RESULT_ACCEPTED) != 0u)) {
        snprintf(buf, cap, "rc %s but ACCEPTED flag %s [%s]", smtpc_strerror(w->rc),
                 (r->flags & SMTPC_RESULT_ACCEPTED) ? "set" : "clear", line);
        return buf;
    }
    if (w->rc == SMTPC_OK) {
        size_t want = strlen(sim_msg_wire);
        if (r->stage != SMTPC_STAGE_DONE || r->rcpt_accepted != w->env.to_count ||
            r->rcpt_count != w->env.to_count) {
            snprintf(buf, cap, "SMTPC_OK with stage %s, %u of %u recipients",
                     smtpc_stage_name(r->stage), r->rcpt_accepted, r->rcpt_count);
            return buf;
        }
        if (taker == NULL || taker->body_len != want || memcmp(taker->body, sim_msg_wire, want)) {
            snprintf(buf, cap, "SMTPC_OK but no server holds the intact message");
            return buf;
        }
        if (!fx_accept_seen(&g_fx)) {
            snprintf(buf, cap, "SMTPC_OK but the client never read the 250 after the data");
            return buf;
        }
    } else {
        if (r->stage == SMTPC_STAGE_DONE) {
            snprintf(buf, cap, "error %s with stage DONE", smtpc_strerror(w->rc));
            return buf;
        }
        if (fx_accept_seen(&g_fx)) {
            snprintf(buf, cap, "the client read the 250 after the data but says %s [%s]",
                     smtpc_strerror(w->rc), line);
            return buf;
        }
        if (r->rcpt_accepted != 0u) {
            snprintf(buf, cap, "error %s with %u recipients accepted", smtpc_strerror(w->rc),
                     r->rcpt_accepted);
            return buf;
        }
        for (i = 0; i < w->env.to_count; i++) {
            if (r->rcpt[i].err == SMTPC_OK || !fx_named(r->rcpt[i].err)) {
                snprintf(buf, cap, "recipient %zu has %s after %s", i,
                         smtpc_strerror(r->rcpt[i].err), smtpc_strerror(w->rc));
                return buf;
            }
        }
    }
    if ((r->flags & SMTPC_RESULT_AUTHENTICATED) != 0u &&
        (r->tls_reached != SMTPC_REACHED_VERIFIED || !w->peer.auth_ok)) {
        snprintf(buf, cap, "AUTHENTICATED without a verified TLS session and a server that agreed");
        return buf;
    }
    if (g_fx.trace_truncated) {
        snprintf(buf, cap, "transcript over %u bytes", FX_TRACE_CAP);
        return buf;
    }
    /* plaintext and connections */
    if (w->host_count == 0u) {
        const char *leak = fx_leaks(&w->peer);
        if (leak != NULL) {
            snprintf(buf, cap, "%s in plaintext", leak);
            return buf;
        }
        if (w->peer.violation[0] != '\0') {
            snprintf(buf, cap, "server saw: %s", w->peer.violation);
            return buf;
        }
    }
    for (i = 0; i < w->host_count; i++) {
        const char *leak = w->hosts[i].cfg.https == NULL ? fx_leaks(&w->hosts[i].peer) : NULL;
        if (leak != NULL) {
            snprintf(buf, cap, "%s in plaintext to %s", leak, w->hosts[i].name);
            return buf;
        }
        if (w->hosts[i].peer.violation[0] != '\0') {
            snprintf(buf, cap, "%s saw: %s", w->hosts[i].name, w->hosts[i].peer.violation);
            return buf;
        }
    }
    if (w->net.violation[0] != '\0' || w->dns.violation[0] != '\0') {
        snprintf(buf, cap, "net/dns misuse: %s%s", w->net.violation, w->dns.violation);
        return buf;
    }
    for (i = 0; i < g_fx.nconn; i++) {
        if (g_fx.conn[i].closes == 0u) {
            snprintf(buf, cap, "connection %zu left open", i);
            return buf;
        }
    }
    if (FA_AVAILABLE && (g_fa.live != 0u || g_fa.overflow != 0u)) {
        snprintf(buf, cap,
                 "%lu client mbedTLS blocks (%lu bytes) still allocated after the session",
                 g_fa.live, g_fa.live_bytes);
        return buf;
    }
    return NULL;
}

/* MTA-STS worlds: the decision and the store. @p expect_applied: 0 any of
 * cached/fetched, else that value. */
static const char *fx_check_sts(fam_t *fm, const sim_world_t *w, const fx_opts_t *o, char *buf,
                                size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    smtpc_sts_entry_t got;
    smtpc_sts_entry_t old_e;
    smtpc_sts_entry_t new_e;
    uint64_t new_at = FX_UTC0;
    bool is_old;
    bool is_new;
    int rc;
    fx_entry(&old_e, FX_ID_OLD, FX_POL_OLD, FX_OLD_AT);
    fx_entry(&new_e, FX_ID_NEW, FX_POL_NEW, new_at);
    if (r->stage > SMTPC_STAGE_STS) {
        if (!((r->sts_applied == SMTPC_STS_APPLY_CACHED && strcmp(r->sts_id, FX_ID_OLD) == 0) ||
              (r->sts_applied == SMTPC_STS_APPLY_FETCHED && strcmp(r->sts_id, FX_ID_NEW) == 0)) ||
            r->sts_mode != SMTPC_STS_MODE_ENFORCE || !(r->flags & SMTPC_RESULT_STS_ENFORCED)) {
            snprintf(buf, cap,
                     "policy applied=%u id=%s mode=%u: neither the cached nor the new one",
                     (unsigned)r->sts_applied, r->sts_id, (unsigned)r->sts_mode);
            return buf;
        }
    }
    if (o->kind == W_MX_RAM) {
        rc = smtpc_sts_ram_ops.get((void *)&w->sts_ram, FX_DOMAIN, &got);
    } else {
        /* a reboot: what a fresh mount of the flash finds */
        smtpc_flash_emu_reboot(&g_fl.emu);
        g_fl.fail_kind = FLF_OFF;
        rc = fl_mount(&g_fl);
        if (rc != SMTPC_OK) {
            snprintf(buf, cap, "remount failed: %s", smtpc_strerror(rc));
            return buf;
        }
        rc = smtpc_cache_ops.get(&g_fl.cache, FX_DOMAIN, &got);
        if (o->floor && smtpc_cache_floor(&g_fl.cache) > w->clock.utc_s &&
            smtpc_cache_floor(&g_fl.cache) != FX_OLD_AT) {
            snprintf(buf, cap, "time floor %lu beyond any time seen",
                     (unsigned long)smtpc_cache_floor(&g_fl.cache));
            return buf;
        }
    }
    if (rc != SMTPC_OK) {
        snprintf(buf, cap, "the store lost the entry: %s", smtpc_strerror(rc));
        return buf;
    }
    is_old = fx_entry_same(&got, &old_e);
    is_new = fx_entry_same(&got, &new_e);
    if (!is_old && !is_new) {
        snprintf(buf, cap, "store holds id=%s fetched_at=%lu max_age=%lu: half-committed", got.id,
                 (unsigned long)got.fetched_at, (unsigned long)got.policy.max_age);
        return buf;
    }
    if (is_old && (got.fail_id[0] != '\0') &&
        (strcmp(got.fail_id, FX_ID_NEW) != 0 || got.fail_at != FX_UTC0)) {
        snprintf(buf, cap, "old entry with back-off state %s@%lu", got.fail_id,
                 (unsigned long)got.fail_at);
        return buf;
    }
    if (r->sts_applied == SMTPC_STS_APPLY_FETCHED && w->mem.sts.store_rc == SMTPC_OK && !is_new) {
        snprintf(buf, cap,
                 "the fetched policy was stored (SMTPC_OK) but the store has the old one");
        return buf;
    }
    fm->n_old += is_old ? 1u : 0u;
    fm->n_new += is_new ? 1u : 0u;
    return NULL;
}

/* One complete run with the fault settings already in g_fx / g_fa / g_fl.
 * @p tune sets them after the world is configured. Returns the world (still
 * set up: call fx_end()). */
typedef void (*fx_tune_fn)(fam_t *fm, unsigned long point, void *arg);

static sim_world_t *fx_run(fam_t *fm, const fx_opts_t *o, fx_tune_fn tune, unsigned long point,
                           void *arg, char *err, size_t cap)
{
    sim_world_t *w = g_w;
    memset(w, 0, sizeof(*w));
    if (o->kind == W_MX_FLASH || o->kind == W_MX_FLASH_FULL) {
        unsigned which = o->kind == W_MX_FLASH_FULL ? 1u : 0u;
        int rc = fl_make_image(which);
        if (rc == SMTPC_OK) {
            rc = fl_power_on(&g_fl, g_fl_img[which]);
        }
        if (rc != SMTPC_OK) {
            snprintf(err, cap, "flash image: %s", smtpc_strerror(rc));
            return NULL;
        }
    }
    fx_configure(w, o);
    fx_reset(w);
    if (o->tick) {
        g_fx.tick_ms = 1;
    }
    if (tune != NULL) {
        tune(fm, point, arg);
    }
    if (!fx_setup(w, fm->cert_dir, err, cap)) {
        fx_world_free(w);
        return NULL;
    }
    fx_deliver(w);
    g_fa.fail_mode = 0;
    g_fl.fail_kind = FLF_OFF;
    return w;
}

static void fx_end(sim_world_t *w)
{
    fx_world_free(w);
}

static bool fx_transcript_same(const fam_t *fm)
{
    return g_fx.cli_len == fm->ref_cli_len && memcmp(g_fx.cli, fm->ref_cli, fm->ref_cli_len) == 0 &&
           g_fx.srv_len == fm->ref_srv_len && memcmp(g_fx.srv, fm->ref_srv, fm->ref_srv_len) == 0;
}

static void tune_ref(fam_t *fm, unsigned long point, void *arg)
{
    (void)fm;
    (void)point;
    (void)arg;
    g_fx.log_bytes = true;
    g_fa.record_sites = true;
    g_fa.nsites = 0;
}

/* The unfaulted run: bytes, calls, allocations, transcript. */
static bool fx_reference(fam_t *fm, const fx_opts_t *o, char *why, size_t cap)
{
    char err[256];
    const char *bad;
    sim_world_t *w = fx_run(fm, o, tune_ref, 0, NULL, err, sizeof(err));
    g_fa.record_sites = false;
    if (w == NULL) {
        snprintf(why, cap, "setup: %s", err);
        return false;
    }
    bad = fx_check_common(w, err, sizeof(err));
    if (bad == NULL && w->rc != SMTPC_OK) {
        bad = "the unfaulted session did not deliver";
    }
    if (bad == NULL && o->kind != W_SUB) {
        bad = fx_check_sts(fm, w, o, err, sizeof(err));
    }
    if (bad != NULL) {
        snprintf(why, cap, "reference run (%s): %s", fx_world_names[o->kind], bad);
        fx_end(w);
        return false;
    }
    fm->ref_rx = g_fx.rx;
    fm->ref_tx = g_fx.tx;
    fm->ref_calls = g_fx.stream_calls;
    fm->ref_allocs = g_fa.count;
    fm->ref_now_calls = g_fx.now_calls;
    memcpy(fm->ref_cli, g_fx.cli, g_fx.cli_len);
    fm->ref_cli_len = g_fx.cli_len;
    memcpy(fm->ref_srv, g_fx.srv, g_fx.srv_len);
    fm->ref_srv_len = g_fx.srv_len;
    memcpy(fm->ref_conn, g_fx.conn, sizeof(fm->ref_conn));
    fm->ref_nconn = g_fx.nconn;
    memcpy(fm->ref_rx_log, g_fx.rx_log, sizeof(fm->ref_rx_log));
    memcpy(fm->ref_tx_log, g_fx.tx_log, sizeof(fm->ref_tx_log));
    fx_end(w);
    fm->n_old = 0;
    fm->n_new = 0;
    return true;
}

static bool fam_want(const fam_t *fm, unsigned long point)
{
    return fm->only == FX_NO_POINT || fm->only == point;
}

static void fam_summary(const fam_t *fm, const char *extra)
{
    printf("faults: %s %lu points, %s%s%s\n", fm->family, fm->points,
           fm->fails == 0u ? "all ok" : "FAILED", extra[0] != '\0' ? " - " : "", extra);
    fflush(stdout);
}

/* ========================================================== families === */

static bool fx_exhaustive(void)
{
    const char *e = getenv("SMTPC_FAULTS_EXHAUSTIVE");
    return e != NULL && e[0] == '1';
}

static void fx_sel(fam_t *fm, uint64_t o, uint64_t limit)
{
    if (o <= limit && o < sizeof(fm->sel)) {
        fm->sel[o] = 1;
    }
}

/* The cut offsets of one direction. Every offset of the plaintext parts
 * (each is a different state of the SMTP reply parser or command writer);
 * in the TLS parts, every offset of each record header and its first body
 * byte, the middle and the last byte of the body (inside a record body the
 * client only waits for more bytes: every offset there is one case); the
 * end of each connection and of the session. Record edges and connection
 * ends are taken 2 bytes wide on either side: ECDSA signatures make two runs
 * differ by a byte or two. With SMTPC_FAULTS_EXHAUSTIVE=1
 * every offset. @p only: the connection to cut (FX_CONNS: all). */
static void fx_cut_points(fam_t *fm, int dir, unsigned only)
{
    uint64_t total = dir == CUT_S2C ? fm->ref_rx : fm->ref_tx;
    const uint8_t *log = dir == CUT_S2C ? fm->ref_rx_log : fm->ref_tx_log;
    unsigned i;
    uint64_t o;
    memset(fm->sel, 0, sizeof(fm->sel));
    fm->npts = 0;
    if (total + 2u > sizeof(fm->sel)) {
        total = sizeof(fm->sel) - 2u;
    }
    for (i = 0; i < fm->ref_nconn; i++) {
        const fx_conn_t *c = &fm->ref_conn[i];
        uint64_t start = dir == CUT_S2C ? c->rx0 : c->tx0;
        uint64_t end = total;
        uint64_t tstart;
        uint64_t p;
        if (i + 1u < fm->ref_nconn) {
            end = dir == CUT_S2C ? fm->ref_conn[i + 1u].rx0 : fm->ref_conn[i + 1u].tx0;
        }
        if (only != FX_CONNS && i != only) {
            continue;
        }
        tstart = c->tls ? (dir == CUT_S2C ? c->tls_rx0 : c->tls_tx0) : end;
        if (fx_exhaustive()) {
            tstart = end;
        }
        for (o = start; o < tstart; o++) {
            fx_sel(fm, o, total);
        }
        p = tstart;
        while (p < end) {
            uint64_t len;
            /* from 2 bytes before: signatures make the records of two runs
             * differ by a byte or two */
            for (o = p >= tstart + 2u ? p - 2u : tstart; o <= p + 5u && o < end; o++) {
                fx_sel(fm, o, total);
            }
            if (p + 5u > end) {
                break;
            }
            len = ((uint64_t)log[p + 3u] << 8) | log[p + 4u];
            if (len > 0u) {
                fx_sel(fm, p + 5u + len / 2u, end);
                fx_sel(fm, p + 5u + len - 1u, end);
            }
            p += 5u + len;
        }
        for (o = end >= start + 2u ? end - 2u : start; o <= end + 2u; o++) {
            fx_sel(fm, o, total);
        }
    }
    if (only == FX_CONNS) {
        fx_sel(fm, total, total);
        fx_sel(fm, total + 1u, total + 1u);
    }
    for (o = 0; o < total + 2u; o++) {
        if (fm->sel[o]) {
            fm->pts[fm->npts++] = (unsigned long)o;
        }
    }
}

/* ---- reset at every byte offset ---- */

typedef struct {
    int dir;
} reset_arg_t;

static void tune_reset(fam_t *fm, unsigned long point, void *arg)
{
    const reset_arg_t *a = (const reset_arg_t *)arg;
    (void)fm;
    g_fx.cut_dir = a->dir;
    g_fx.cut_at = point;
    g_fx.cut_err = (point & 1u) ? SMTPC_ERR_NET_IO : SMTPC_ERR_NET_CLOSED;
}

static int fam_reset(fam_t *fm, int kind, int dir, char *why, size_t cap)
{
    fx_opts_t o;
    reset_arg_t a;
    unsigned long n;
    unsigned long k;
    unsigned long total;
    char extra[240];
    memset(&o, 0, sizeof(o));
    o.kind = kind;
    o.floor = kind != W_MX_RAM;
    if (!fx_reference(fm, &o, why, cap)) {
        return 0;
    }
    a.dir = dir;
    total = (unsigned long)(dir == CUT_S2C ? fm->ref_rx : fm->ref_tx);
    /* the flash world: the store is only written by the policy fetch, so
     * only its connection is cut (the SMTP part is the RAM world's) */
    fx_cut_points(fm, dir, kind == W_MX_FLASH ? 0u : FX_CONNS);
    if (fm->verbose) {
        printf("%lu cut points:", fm->npts);
        for (k = 0; k < fm->npts; k++) {
            printf(" %lu", fm->pts[k]);
        }
        printf("\n");
    }
    for (k = 0; k < fm->npts; k++) {
        char err[512];
        const char *bad;
        sim_world_t *w;
        n = fm->pts[k];
        if (!fam_want(fm, n)) {
            continue;
        }
        fm->points++;
        w = fx_run(fm, &o, tune_reset, n, &a, err, sizeof(err));
        if (w == NULL) {
            fam_fail(fm, n, "setup: %s", err);
            continue;
        }
        bad = fx_check_common(w, err, sizeof(err));
        if (bad == NULL && o.kind != W_SUB) {
            bad = fx_check_sts(fm, w, &o, err, sizeof(err));
        }
        if (bad == NULL && !g_fx.fired && w->rc != SMTPC_OK) {
            bad = "no cut happened, yet no delivery";
        }
        if (fm->verbose) {
            const smtpc_result_t *rv = smtpc_client_result(&w->client);
            printf(
                "point %lu: fired %d on connection %u, %s, policy applied %u fetch %s store %s\n",
                n, g_fx.fired, g_fx.fired_conn, smtpc_strerror(w->rc), (unsigned)rv->sts_applied,
                smtpc_strerror(rv->sts_fetch_err), smtpc_strerror(w->mem.sts.store_rc));
        }
        if (bad == NULL && w->rc == SMTPC_OK && !g_fx.fired && !fx_transcript_same(fm)) {
            bad = "no cut happened, yet the transcript differs";
        }
        if (bad != NULL) {
            char line[200];
            (void)smtpc_result_format(smtpc_client_result(&w->client), line, sizeof(line));
            fam_fail(fm, n, "%s cut after %lu bytes: %s [%s]",
                     dir == CUT_S2C ? "server->client" : "client->server", n, bad, line);
        } else if (w->rc == SMTPC_OK) {
            fm->n_ok++;
        } else {
            fm->n_err++;
        }
        fx_end(w);
    }
    snprintf(extra, sizeof(extra), "%lu bytes %s%s, %s, %lu delivered, %lu named errors", total,
             dir == CUT_S2C ? "server->client" : "client->server",
             kind == W_MX_FLASH ? " (policy fetch connection cut)" : "",
             fx_exhaustive() ? "every offset" : "every plaintext offset and TLS record edge",
             fm->n_ok, fm->n_err);
    if (kind != W_SUB) {
        size_t used = strlen(extra);
        snprintf(extra + used, sizeof(extra) - used, ", store old %lu / new %lu", fm->n_old,
                 fm->n_new);
    }
    fam_summary(fm, extra);
    return fm->fails == 0u;
}

/* ---- short transfers ---- */

typedef struct {
    int mode;
} short_arg_t;

static void tune_short(fam_t *fm, unsigned long point, void *arg)
{
    const short_arg_t *a = (const short_arg_t *)arg;
    (void)fm;
    g_fx.chunk_mode = a->mode;
    g_fx.rng = 0x1234567u + (uint32_t)point * 7919u;
}

#define SHORT_SEEDS 12u

static int fam_short(fam_t *fm, char *why, size_t cap)
{
    int kind;
    for (kind = W_SUB; kind <= W_MX_FLASH; kind++) {
        fx_opts_t o;
        unsigned long s;
        memset(&o, 0, sizeof(o));
        o.kind = kind;
        o.floor = true;
        if (!fx_reference(fm, &o, why, cap)) {
            return 0;
        }
        for (s = 0; s <= SHORT_SEEDS; s++) {
            short_arg_t a;
            char err[512];
            const char *bad;
            sim_world_t *w;
            unsigned long point = (unsigned long)kind * 100u + s;
            if (!fam_want(fm, point)) {
                continue;
            }
            a.mode = s == 0u ? CHUNK_ONE : CHUNK_RANDOM;
            fm->points++;
            w = fx_run(fm, &o, tune_short, point, &a, err, sizeof(err));
            if (w == NULL) {
                fam_fail(fm, point, "setup: %s", err);
                continue;
            }
            bad = fx_check_common(w, err, sizeof(err));
            if (bad == NULL && kind != W_SUB) {
                bad = fx_check_sts(fm, w, &o, err, sizeof(err));
            }
            if (bad == NULL && (w->rc != SMTPC_OK || !fx_transcript_same(fm))) {
                bad = w->rc != SMTPC_OK ? "no delivery" : "transcript differs from the normal run";
            }
            if (bad != NULL) {
                fam_fail(fm, point, "%s, %s: %s (%s)", fx_world_names[kind],
                         s == 0u ? "1 byte per call" : "random sizes", bad, smtpc_strerror(w->rc));
            }
            fx_end(w);
        }
    }
    fam_summary(fm, "1 byte per call and 12 random-size seeds, submission and MX+MTA-STS, "
                    "transcripts identical");
    return fm->fails == 0u;
}

/* ---- would-block storms ---- */

typedef struct {
    int variant; /* 0 random storms, clock still; 1 random storms, clock +1 ms each;
                    2 one storm past every deadline at the point's stream call */
} storm_arg_t;

static void tune_storm(fam_t *fm, unsigned long point, void *arg)
{
    const storm_arg_t *a = (const storm_arg_t *)arg;
    (void)fm;
    g_fx.rng = 0xBADC0DEu + (uint32_t)point * 104729u;
    if (a->variant == 0) {
        g_fx.storm_prob = 3;
        g_fx.storm_max = 200;
    } else if (a->variant == 1) {
        g_fx.storm_prob = 3;
        g_fx.storm_max = 50;
        g_fx.storm_adv_ms = 1;
    } else {
        g_fx.storm_at_call = point;
        g_fx.storm_len = 1000;
        g_fx.storm_adv_ms = 1000; /* 1000 s: beyond every stage and the overall deadline */
    }
}

#define STORM_SEEDS 16u

static int fam_storm(fam_t *fm, char *why, size_t cap)
{
    int kind;
    unsigned long timeouts = 0;
    unsigned long fetch_timeouts = 0;
    unsigned long after_accept = 0;
    char extra[200];
    for (kind = W_SUB; kind <= W_MX_RAM; kind++) {
        fx_opts_t o;
        int variant;
        memset(&o, 0, sizeof(o));
        o.kind = kind;
        if (!fx_reference(fm, &o, why, cap)) {
            return 0;
        }
        for (variant = 0; variant < 3; variant++) {
            unsigned long count = variant < 2 ? STORM_SEEDS : fm->ref_calls;
            unsigned long s;
            for (s = 0; s < count; s++) {
                storm_arg_t a;
                char err[512];
                const char *bad;
                sim_world_t *w;
                unsigned long point =
                    (unsigned long)kind * 100000u + (unsigned long)variant * 10000u + s;
                const smtpc_result_t *r;
                if (!fam_want(fm, point)) {
                    continue;
                }
                a.variant = variant;
                fm->points++;
                w = fx_run(fm, &o, tune_storm, variant == 2 ? s : point, &a, err, sizeof(err));
                if (w == NULL) {
                    fam_fail(fm, point, "setup: %s", err);
                    continue;
                }
                r = smtpc_client_result(&w->client);
                bad = fx_check_common(w, err, sizeof(err));
                if (bad == NULL && kind != W_SUB) {
                    bad = fx_check_sts(fm, w, &o, err, sizeof(err));
                }
                if (bad == NULL && variant < 2 && (w->rc != SMTPC_OK || !fx_transcript_same(fm))) {
                    bad = w->rc != SMTPC_OK ? "no delivery" : "transcript differs";
                }
                if (bad == NULL && variant == 2) {
                    if (w->rc == SMTPC_ERR_TIMEOUT) {
                        timeouts++;
                    } else if (w->rc == SMTPC_OK && g_fx.storm_after_accept) {
                        after_accept++;
                    } else if (w->rc == SMTPC_OK && kind != W_SUB && g_fx.storm_conn == 0u &&
                               r->sts_fetch_err == SMTPC_ERR_TIMEOUT) {
                        fetch_timeouts++;
                    } else {
                        bad = "a storm past the deadline did not end in SMTPC_ERR_TIMEOUT";
                    }
                }
                if (bad != NULL) {
                    char line[200];
                    (void)smtpc_result_format(r, line, sizeof(line));
                    fam_fail(fm, point, "%s variant %d: %s [%s]", fx_world_names[kind], variant,
                             bad, line);
                }
                fx_end(w);
            }
        }
    }
    snprintf(extra, sizeof(extra),
             "2x16 random storm seeds per session delivered identically; a 1000 s storm at "
             "every stream call: %lu timeouts, %lu policy-fetch timeouts, %lu after acceptance",
             timeouts, fetch_timeouts, after_accept);
    fam_summary(fm, extra);
    return fm->fails == 0u;
}

/* ---- clocks ---- */

typedef struct {
    int variant;
    uint32_t start;
    unsigned long at;
    int64_t jump;
} clock_arg_t;

static void tune_clock(fam_t *fm, unsigned long point, void *arg)
{
    const clock_arg_t *a = (const clock_arg_t *)arg;
    (void)fm;
    (void)point;
    if (a->variant == 1 || a->variant == 2) {
        g_fx.mono_jump_at = a->at;
        g_fx.mono_jump_ms = a->jump;
    } else if (a->variant == 3) {
        g_fx.utc_jump_at = a->at;
        g_fx.utc_jump_s = a->jump;
    }
}

/* Wall-clock jumps with the TXT naming the cached id (read 0 decides whether
 * to fetch; after a fetch, read 1 settles). The
 * cached policy was fetched an hour ago with max_age one day.
 * - back a year, at any read: a time before the fetch time (RAM store) or
 *   the time floor (flash) keeps the cached policy: CACHED, store unchanged;
 * - forward two days at read 0: expired, so fetched again: FETCHED with the
 *   cached id, stored with the new fetch time;
 * - forward two days at a later read: the decision not to fetch and the
 *   settle are one instant (one read), so nothing happens: the cached
 *   policy applies, store unchanged (a settle at a later time than the fetch
 *   decision would have found the policy expired without refetching it, and
 *   applied none). */
static const char *fx_check_wall(const sim_world_t *w, const fx_opts_t *o, const clock_arg_t *a,
                                 char *buf, size_t cap)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    bool fwd = a->jump > 0;
    uint8_t want = SMTPC_STS_APPLY_CACHED;
    smtpc_sts_entry_t want_e;
    smtpc_sts_entry_t got;
    uint64_t want_floor = FX_UTC0;
    int rc;
    if (fwd && a->at == 0u) {
        want = SMTPC_STS_APPLY_FETCHED;
    }
    if (w->rc != SMTPC_OK) {
        snprintf(buf, cap, "no delivery: %s", smtpc_strerror(w->rc));
        return buf;
    }
    if (r->sts_applied != want ||
        (want != SMTPC_STS_APPLY_NONE && strcmp(r->sts_id, FX_ID_OLD) != 0)) {
        snprintf(buf, cap, "policy applied=%u id=%s, expected applied=%u", (unsigned)r->sts_applied,
                 r->sts_id, (unsigned)want);
        return buf;
    }
    if (want == SMTPC_STS_APPLY_FETCHED) {
        fx_entry(&want_e, FX_ID_OLD, FX_POL_NEW, FX_UTC0 + 2u * 86400u);
    } else {
        fx_entry(&want_e, FX_ID_OLD, FX_POL_OLD, FX_OLD_AT);
    }
    if (o->kind == W_MX_RAM) {
        rc = smtpc_sts_ram_ops.get((void *)&w->sts_ram, FX_DOMAIN, &got);
    } else {
        smtpc_flash_emu_reboot(&g_fl.emu);
        rc = fl_mount(&g_fl);
        if (rc == SMTPC_OK) {
            rc = smtpc_cache_ops.get(&g_fl.cache, FX_DOMAIN, &got);
        }
        if (fwd && a->at == 0u) {
            want_floor = FX_UTC0 + 2u * 86400u;
        } else if (!fwd && a->at == 0u) {
            want_floor = FX_OLD_AT;
        }
        if (rc == SMTPC_OK && smtpc_cache_floor(&g_fl.cache) != want_floor) {
            snprintf(buf, cap, "time floor after remount %lu, expected %lu",
                     (unsigned long)smtpc_cache_floor(&g_fl.cache), (unsigned long)want_floor);
            return buf;
        }
    }
    if (rc != SMTPC_OK) {
        snprintf(buf, cap, "store: %s", smtpc_strerror(rc));
        return buf;
    }
    if (!fx_entry_same(&got, &want_e) || got.fail_id[0] != '\0') {
        snprintf(buf, cap,
                 "store holds id=%s fetched_at=%lu max_age=%lu fail_id=%s, expected "
                 "fetched_at=%lu max_age=%lu",
                 got.id, (unsigned long)got.fetched_at, (unsigned long)got.policy.max_age,
                 got.fail_id, (unsigned long)want_e.fetched_at,
                 (unsigned long)want_e.policy.max_age);
        return buf;
    }
    return NULL;
}

static int fam_clock(fam_t *fm, char *why, size_t cap)
{
    fx_opts_t o;
    unsigned long wrap_pts = 0;
    unsigned long fwd_pts = 0;
    unsigned long back_pts = 0;
    unsigned long wall_pts = 0;
    unsigned long exact_pts = 0;
    unsigned long k;
    unsigned long point = 0;
    int kind;
    char extra[240];
    for (kind = W_SUB; kind <= W_MX_RAM; kind++) {
        unsigned long calls;
        unsigned long stride;
        memset(&o, 0, sizeof(o));
        o.kind = kind;
        o.tick = true;
        if (!fx_reference(fm, &o, why, cap)) {
            return 0;
        }
        calls = fm->ref_now_calls;
        /* (1) the 32-bit wrap at every 1/64th of the session's clock reads,
         * and at each of the first 64 reads */
        stride = calls / 64u + 1u;
        for (k = 0; k <= calls + 1u; k += (k < 64u ? 1u : stride)) {
            clock_arg_t a;
            char err[512];
            const char *bad;
            sim_world_t *w;
            point++;
            if (!fam_want(fm, point)) {
                continue;
            }
            memset(&a, 0, sizeof(a));
            o.clock_start = (uint32_t)(0u - (uint32_t)k);
            fm->points++;
            wrap_pts++;
            w = fx_run(fm, &o, tune_clock, point, &a, err, sizeof(err));
            if (w == NULL) {
                fam_fail(fm, point, "setup: %s", err);
                continue;
            }
            bad = fx_check_common(w, err, sizeof(err));
            if (bad == NULL && (w->rc != SMTPC_OK || !fx_transcript_same(fm))) {
                bad = w->rc != SMTPC_OK ? "no delivery across the wrap"
                                        : "transcript differs across the wrap";
            }
            if (bad == NULL && (uint32_t)(w->t_end - w->t_begin) > 100000u) {
                bad = "virtual duration wrong across the wrap";
            }
            if (bad != NULL) {
                fam_fail(fm, point, "%s wrap after %lu clock reads: %s (%s)", fx_world_names[kind],
                         k, bad, smtpc_strerror(w->rc));
            }
            fx_end(w);
        }
        o.clock_start = 0;
        /* (2) forward by 1000 s, (3) back by 1 s (a broken port), at every
         * 1/32nd of the reads */
        stride = calls / 32u + 1u;
        for (k = 0; k <= calls; k += stride) {
            int v;
            for (v = 1; v <= 2; v++) {
                clock_arg_t a;
                char err[512];
                const char *bad;
                sim_world_t *w;
                const smtpc_result_t *r;
                point++;
                if (!fam_want(fm, point)) {
                    continue;
                }
                memset(&a, 0, sizeof(a));
                a.variant = v;
                a.at = k;
                a.jump = v == 1 ? 1000000 : -1000;
                fm->points++;
                if (v == 1) {
                    fwd_pts++;
                } else {
                    back_pts++;
                }
                w = fx_run(fm, &o, tune_clock, point, &a, err, sizeof(err));
                if (w == NULL) {
                    fam_fail(fm, point, "setup: %s", err);
                    continue;
                }
                r = smtpc_client_result(&w->client);
                bad = fx_check_common(w, err, sizeof(err));
                if (bad == NULL && kind != W_SUB) {
                    bad = fx_check_sts(fm, w, &o, err, sizeof(err));
                }
                if (bad == NULL && v == 1 && w->rc != SMTPC_ERR_TIMEOUT &&
                    !(w->rc == SMTPC_OK && (fx_transcript_same(fm) || g_fx.jump_after_accept ||
                                            r->sts_fetch_err == SMTPC_ERR_TIMEOUT))) {
                    bad = "a jump past every deadline neither timed out nor left the session "
                          "unaffected";
                }
                if (bad != NULL) {
                    char line[200];
                    (void)smtpc_result_format(r, line, sizeof(line));
                    fam_fail(fm, point, "%s monotonic %s at read %lu: %s [%s]",
                             fx_world_names[kind], v == 1 ? "+1000 s" : "-1 s", k, bad, line);
                }
                fx_end(w);
            }
        }
    }
    /* (4) the wall clock during an MTA-STS delivery */
    for (kind = W_MX_RAM; kind <= W_MX_FLASH; kind++) {
        static const int64_t jumps[] = {-FX_YEAR_S, 2 * 86400};
        unsigned j;
        memset(&o, 0, sizeof(o));
        o.kind = kind;
        o.floor = kind == W_MX_FLASH;
        o.txt_old = true;
        for (j = 0; j < 2u; j++) {
            for (k = 0; k < 4u; k++) {
                clock_arg_t a;
                char err[512];
                const char *bad;
                sim_world_t *w;
                point++;
                if (!fam_want(fm, point)) {
                    continue;
                }
                memset(&a, 0, sizeof(a));
                a.variant = 3;
                a.at = k;
                a.jump = jumps[j];
                fm->points++;
                wall_pts++;
                w = fx_run(fm, &o, tune_clock, point, &a, err, sizeof(err));
                if (w == NULL) {
                    fam_fail(fm, point, "setup: %s", err);
                    continue;
                }
                bad = fx_check_common(w, err, sizeof(err));
                if (bad == NULL) {
                    bad = fx_check_wall(w, &o, &a, err, sizeof(err));
                }
                if (bad != NULL) {
                    fam_fail(fm, point, "%s wall clock %+lld s at read %lu: %s",
                             fx_world_names[kind], (long long)a.jump, k, bad);
                }
                fx_end(w);
            }
        }
    }
    /* (5) a deadline across the wrap is exact: a server that drips its
     * greeting slower than the 5 s greeting deadline */
    {
        static const uint32_t before_wrap[] = {0, 1, 2, 999, 2500, 4999, 5000, 5001, 7000};
        unsigned j;
        for (j = 0; j < sizeof(before_wrap) / sizeof(before_wrap[0]); j++) {
            clock_arg_t a;
            char err[512];
            const char *bad;
            sim_world_t *w;
            const smtpc_result_t *r;
            point++;
            if (!fam_want(fm, point)) {
                continue;
            }
            memset(&o, 0, sizeof(o));
            memset(&a, 0, sizeof(a));
            o.kind = W_SUB;
            o.clock_start = 0u - before_wrap[j];
            o.greeting_drip_ms = 3000;
            o.greeting_ms = 5000;
            fm->points++;
            exact_pts++;
            w = fx_run(fm, &o, tune_clock, point, &a, err, sizeof(err));
            if (w == NULL) {
                fam_fail(fm, point, "setup: %s", err);
                continue;
            }
            r = smtpc_client_result(&w->client);
            bad = fx_check_common(w, err, sizeof(err));
            if (bad == NULL && (w->rc != SMTPC_ERR_TIMEOUT || r->stage != SMTPC_STAGE_GREETING ||
                                (uint32_t)(w->t_end - w->t_begin) != 5000u)) {
                snprintf(err, sizeof(err),
                         "%s at stage %s after %lu ms, expected a timeout in "
                         "GREETING after exactly 5000 ms",
                         smtpc_strerror(w->rc), smtpc_stage_name(r->stage),
                         (unsigned long)(w->t_end - w->t_begin));
                bad = err;
            }
            if (bad != NULL) {
                fam_fail(fm, point, "greeting deadline %lu ms before the wrap: %s",
                         (unsigned long)before_wrap[j], bad);
            }
            fx_end(w);
        }
    }
    snprintf(extra, sizeof(extra),
             "wrap %lu, monotonic +1000 s %lu, monotonic -1 s %lu, wall clock -1 year / +2 days "
             "%lu, deadline across the wrap %lu",
             wrap_pts, fwd_pts, back_pts, wall_pts, exact_pts);
    fam_summary(fm, extra);
    return fm->fails == 0u;
}

/* ---- allocation failures in the client's mbedTLS ---- */

typedef struct {
    int mode; /* 1 once, 2 from then on */
} alloc_arg_t;

static void tune_alloc(fam_t *fm, unsigned long point, void *arg)
{
    const alloc_arg_t *a = (const alloc_arg_t *)arg;
    (void)fm;
    g_fa.fail_mode = a->mode;
    g_fa.fail_at = point;
}

static bool fx_is_tls_err(int rc)
{
    return rc <= SMTPC_ERR_TLS_HANDSHAKE && rc >= SMTPC_ERR_TLS_CERT_NOT_YET_VALID;
}

/* The allocation indices to fail. mbedTLS allocates for every bignum
 * (tens of thousands of calls per handshake, from a few call sites), so
 * unless SMTPC_FAULTS_EXHAUSTIVE=1 the points are, per call site (the
 * return address of the allocation), its first 3 and last 3 calls and 4
 * spread between: every site fails, early and late. */
static unsigned long fx_alloc_points(fam_t *fm, unsigned long *nsites_out)
{
    static const void *site[2048];
    static unsigned long cnt[2048];
    static unsigned long seen[2048];
    unsigned ns = 0;
    unsigned long i;
    unsigned long n = g_fa.nsites;
    fm->npts = 0;
    for (i = 0; i < n; i++) {
        unsigned j;
        for (j = 0; j < ns && site[j] != g_fa.site[i]; j++) {
        }
        if (j == ns && ns < 2048u) {
            site[ns] = g_fa.site[i];
            cnt[ns] = 0;
            seen[ns] = 0;
            ns++;
        }
        if (j < ns) {
            cnt[j]++;
        }
    }
    for (i = 0; i < n && fm->npts < sizeof(fm->pts) / sizeof(fm->pts[0]) - 1u; i++) {
        unsigned j;
        unsigned long q;
        unsigned long t;
        for (j = 0; j < ns && site[j] != g_fa.site[i]; j++) {
        }
        if (j == ns) {
            fm->pts[fm->npts++] = i;
            continue;
        }
        q = seen[j]++;
        t = cnt[j];
        if (fx_exhaustive() || t <= 10u || q < 3u || q + 3u >= t || q % (t / 4u + 1u) == 0u) {
            fm->pts[fm->npts++] = i;
        }
    }
    fm->pts[fm->npts++] = n; /* past the last: nothing fails */
    *nsites_out = ns;
    return fm->npts;
}

static int fam_alloc(fam_t *fm, char *why, size_t cap)
{
    int kind;
    unsigned long nomem = 0;
    unsigned long other_tls = 0;
    unsigned long delivered = 0;
    unsigned long next_mx = 0;
    unsigned long handshake_allocs[2] = {0, 0};
    unsigned long nsites[2] = {0, 0};
    unsigned long points_per[2] = {0, 0};
    char extra[400];
    if (!FA_AVAILABLE) {
        snprintf(why, cap, "built without the allocator wrap");
        return 0;
    }
    for (kind = W_SUB; kind <= W_MX_RAM; kind++) {
        fx_opts_t o;
        int mode;
        memset(&o, 0, sizeof(o));
        o.kind = kind;
        if (!fx_reference(fm, &o, why, cap)) {
            return 0;
        }
        handshake_allocs[kind] = fm->ref_allocs;
        (void)fx_alloc_points(fm, &nsites[kind]);
        points_per[kind] = fm->npts;
        for (mode = 1; mode <= 2; mode++) {
            unsigned long kk;
            for (kk = 0; kk < fm->npts; kk++) {
                unsigned long k = fm->pts[kk];
                alloc_arg_t a;
                char err[512];
                const char *bad;
                sim_world_t *w;
                const smtpc_result_t *r;
                unsigned long point =
                    (unsigned long)kind * 100000u + (unsigned long)mode * 10000u + k;
                if (!fam_want(fm, point)) {
                    continue;
                }
                a.mode = mode;
                fm->points++;
                w = fx_run(fm, &o, tune_alloc, k, &a, err, sizeof(err));
                if (w == NULL) {
                    fam_fail(fm, point, "setup: %s", err);
                    continue;
                }
                r = smtpc_client_result(&w->client);
                bad = fx_check_common(w, err, sizeof(err));
                if (bad == NULL && kind != W_SUB) {
                    bad = fx_check_sts(fm, w, &o, err, sizeof(err));
                }
                if (bad == NULL && g_fa.failed == 0u && w->rc != SMTPC_OK) {
                    bad = "no allocation failed, yet no delivery";
                }
                if (bad == NULL && g_fa.failed != 0u && kind == W_SUB) {
                    /* the one TLS session failed: a TLS error, AUTH and MAIL
                     * never sent (checked on the plaintext log above) */
                    if (w->rc == SMTPC_ERR_TLS_NO_MEMORY) {
                        nomem++;
                    } else if (fx_is_tls_err(w->rc)) {
                        other_tls++;
                    } else {
                        bad = "an allocation failure ended in a non-TLS error";
                    }
                    if (bad == NULL && (w->peer.auth_cmds != 0u || w->peer.saw_mail)) {
                        bad = "AUTH or MAIL reached the server";
                    }
                }
                if (bad == NULL && g_fa.failed != 0u && kind != W_SUB) {
                    /* the policy fetch or the SMTP session failed */
                    if (w->rc == SMTPC_OK) {
                        /* a failed fetch leaves the cached policy in force;
                         * a failed handshake with mx1 moves on to mx2 */
                        if (r->sts_applied == SMTPC_STS_APPLY_CACHED &&
                            fx_is_tls_err(r->sts_fetch_err)) {
                            delivered++;
                        } else if (r->hosts_tried == 2u && r->mx_count == 2u &&
                                   fx_is_tls_err(r->mx[0].err) && r->mx[1].err == SMTPC_OK) {
                            next_mx++;
                        } else {
                            bad = "delivered after a failed allocation without a failed fetch "
                                  "or a failed first MX";
                        }
                    } else if (w->rc == SMTPC_ERR_TLS_NO_MEMORY) {
                        nomem++;
                    } else if (fx_is_tls_err(w->rc)) {
                        other_tls++;
                    } else {
                        bad = "an allocation failure ended in a non-TLS error";
                    }
                }
                if (bad != NULL) {
                    char line[200];
                    (void)smtpc_result_format(r, line, sizeof(line));
                    fam_fail(fm, point, "%s allocation %lu fails %s: %s [%s]", fx_world_names[kind],
                             k, mode == 1 ? "once" : "from then on", bad, line);
                }
                fx_end(w);
            }
        }
    }
    snprintf(extra, sizeof(extra),
             "STARTTLS submission: %lu client allocations from %lu call sites, %lu indices each "
             "failed once and from then on; MX delivery with policy fetch: %lu allocations, %lu "
             "sites, %lu indices failed once and from then on; %lu SMTPC_ERR_TLS_NO_MEMORY, %lu "
             "other TLS "
             "errors, %lu delivered under the cached policy, %lu delivered by the next MX",
             handshake_allocs[0], nsites[0], points_per[0], handshake_allocs[1], nsites[1],
             points_per[1], nomem, other_tls, delivered, next_mx);
    fam_summary(fm, extra);
    return fm->fails == 0u;
}

/* ---- flash operation errors ---- */

typedef struct {
    int kind; /* FLF_ONCE or FLF_POWER */
    smtpc_flash_cut_t wmode;
} flash_arg_t;

static void tune_flash(fam_t *fm, unsigned long point, void *arg)
{
    const flash_arg_t *a = (const flash_arg_t *)arg;
    (void)fm;
    g_fl.calls = 0;
    g_fl.wmode = a->wmode;
    if (a->kind == FLF_ONCE) {
        g_fl.fail_kind = FLF_ONCE;
        g_fl.fail_at = point;
    } else {
        g_fl.fail_kind = FLF_OFF;
        smtpc_flash_emu_arm(&g_fl.emu, (uint32_t)point, a->wmode, (uint32_t)point * 40503u + 7u);
    }
}

static int fam_flash(fam_t *fm, char *why, size_t cap)
{
    int kind;
    unsigned long ops_seen[2] = {0, 0};
    unsigned long wops_seen[2] = {0, 0};
    unsigned long store_failed = 0;
    char extra[240];
    for (kind = W_MX_FLASH; kind <= W_MX_FLASH_FULL; kind++) {
        fx_opts_t o;
        unsigned long total;
        unsigned long wtotal;
        int fk;
        memset(&o, 0, sizeof(o));
        o.kind = kind;
        o.floor = true;
        if (!fx_reference(fm, &o, why, cap)) {
            return 0;
        }
        /* count the reference run's flash operations */
        {
            char err[256];
            sim_world_t *w = fx_run(fm, &o, NULL, 0, NULL, err, sizeof(err));
            if (w == NULL) {
                snprintf(why, cap, "setup: %s", err);
                return 0;
            }
            total = g_fl.calls;
            wtotal = g_fl.emu.wops;
            fx_end(w);
        }
        ops_seen[kind - W_MX_FLASH] = total;
        wops_seen[kind - W_MX_FLASH] = wtotal;
        for (fk = FLF_ONCE; fk <= FLF_POWER; fk++) {
            unsigned m;
            for (m = 0; m < SMTPC_FLASH_CUT_MODES; m++) {
                unsigned long k;
                unsigned long n = fk == FLF_ONCE ? total : wtotal;
                for (k = 0; k <= n; k++) {
                    flash_arg_t a;
                    char err[512];
                    const char *bad;
                    sim_world_t *w;
                    const smtpc_result_t *r;
                    unsigned long point =
                        (unsigned long)kind * 100000u + (unsigned long)fk * 10000u + m * 1000u + k;
                    if (!fam_want(fm, point)) {
                        continue;
                    }
                    a.kind = fk;
                    a.wmode = (smtpc_flash_cut_t)m;
                    fm->points++;
                    w = fx_run(fm, &o, tune_flash, k, &a, err, sizeof(err));
                    if (w == NULL) {
                        fam_fail(fm, point, "setup: %s", err);
                        continue;
                    }
                    r = smtpc_client_result(&w->client);
                    bad = fx_check_common(w, err, sizeof(err));
                    /* the store may fail; the delivery goes on with the
                     * fetched policy from RAM (sts.h: a failed put leaves the
                     * previous state, the decision stands) */
                    if (bad == NULL &&
                        (w->rc != SMTPC_OK || r->sts_applied != SMTPC_STS_APPLY_FETCHED ||
                         strcmp(r->sts_id, FX_ID_NEW) != 0)) {
                        bad = "the delivery did not go on under the fetched policy";
                    }
                    if (bad == NULL && w->mem.sts.store_rc != SMTPC_OK) {
                        store_failed++;
                    }
                    if (bad == NULL) {
                        bad = fx_check_sts(fm, w, &o, err, sizeof(err));
                    }
                    if (bad != NULL) {
                        char line[200];
                        (void)smtpc_result_format(r, line, sizeof(line));
                        fam_fail(fm, point, "%s, %s at op %lu (%s, op '%c'): %s [%s]",
                                 fx_world_names[kind],
                                 fk == FLF_ONCE ? "one failing flash op" : "power cut", k,
                                 m == 0   ? "not done"
                                 : m == 1 ? "prefix"
                                 : m == 2 ? "random bits"
                                          : "done",
                                 g_fl.failed_op != 0 ? g_fl.failed_op : '-', bad, line);
                    }
                    fx_end(w);
                    if (fk == FLF_ONCE && k < n && m > 0u) {
                        /* reads take one variant only */
                    }
                }
            }
        }
    }
    snprintf(extra, sizeof(extra),
             "%lu/%lu flash ops (%lu/%lu writes) per delivery without/with compaction, each "
             "failing in 4 ways, and a power cut at each write in 4 ways; store refused %lu times, "
             "delivery always under the fetched policy; store old %lu / new %lu after remount",
             ops_seen[0], ops_seen[1], wops_seen[0], wops_seen[1], store_failed, fm->n_old,
             fm->n_new);
    fam_summary(fm, extra);
    return fm->fails == 0u;
}

/* ============================================================ registry === */

typedef struct {
    const char *name;
    const char *desc;
    int (*run)(fam_t *fm, char *why, size_t cap);
} ftest_t;

static int t_reset_sub_s2c(fam_t *fm, char *why, size_t cap)
{
    return fam_reset(fm, W_SUB, CUT_S2C, why, cap);
}
static int t_reset_sub_c2s(fam_t *fm, char *why, size_t cap)
{
    return fam_reset(fm, W_SUB, CUT_C2S, why, cap);
}
static int t_reset_mx_ram_s2c(fam_t *fm, char *why, size_t cap)
{
    return fam_reset(fm, W_MX_RAM, CUT_S2C, why, cap);
}
static int t_reset_mx_ram_c2s(fam_t *fm, char *why, size_t cap)
{
    return fam_reset(fm, W_MX_RAM, CUT_C2S, why, cap);
}
static int t_reset_mx_flash_s2c(fam_t *fm, char *why, size_t cap)
{
    return fam_reset(fm, W_MX_FLASH, CUT_S2C, why, cap);
}
static int t_reset_mx_flash_c2s(fam_t *fm, char *why, size_t cap)
{
    return fam_reset(fm, W_MX_FLASH, CUT_C2S, why, cap);
}

static const ftest_t g_tests[] = {
    {"fault_reset_submission_s2c",
     "submission (STARTTLS, AUTH, 3 recipients): the server->client stream dies after every byte",
     t_reset_sub_s2c},
    {"fault_reset_submission_c2s",
     "submission (STARTTLS, AUTH, 3 recipients): the client->server stream dies after every byte",
     t_reset_sub_c2s},
    {"fault_reset_mx_ram_s2c",
     "MX + MTA-STS enforce with policy fetch, RAM store: server->client dies after every byte",
     t_reset_mx_ram_s2c},
    {"fault_reset_mx_ram_c2s",
     "MX + MTA-STS enforce with policy fetch, RAM store: client->server dies after every byte",
     t_reset_mx_ram_c2s},
    {"fault_reset_mx_flash_s2c",
     "MX + MTA-STS, flash cache and time floor: server->client dies after every byte",
     t_reset_mx_flash_s2c},
    {"fault_reset_mx_flash_c2s",
     "MX + MTA-STS, flash cache and time floor: client->server dies after every byte",
     t_reset_mx_flash_c2s},
    {"fault_short_io", "1-byte and random-size sends and receives: identical transcripts",
     fam_short},
    {"fault_wouldblock", "would-block storms with and without the clock moving", fam_storm},
    {"fault_clock", "monotonic wrap and jumps, wall clock jumps during an MTA-STS delivery",
     fam_clock},
    {"fault_tls_alloc", "the client's mbedTLS allocator fails at every allocation index",
     fam_alloc},
    {"fault_flash", "every policy-cache flash operation fails in turn; power cut at every write",
     fam_flash},
};

#define N_TESTS (sizeof(g_tests) / sizeof(g_tests[0]))

static fam_t g_fam;

static int run_test(const ftest_t *t, const char *cert_dir, unsigned long only)
{
    char why[512];
    int ok;
    memset(&g_fam, 0, sizeof(g_fam));
    g_fam.cert_dir = cert_dir;
    g_fam.family = t->name + 6; /* without "fault_" */
    g_fam.only = only;
    g_fam.verbose = only != FX_NO_POINT;
    why[0] = '\0';
    ok = t->run(&g_fam, why, sizeof(why));
    if (ok) {
        printf("PASS %s\n", t->name);
    } else {
        printf("FAIL %s: %s\n", t->name, why[0] != '\0' ? why : "see the failing points above");
    }
    fflush(stdout);
    return ok;
}

static int usage(void)
{
    fprintf(stderr, "usage: smtpc-sim-faults [--certs DIR] list | run NAME | point NAME N | all\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *cert_dir = SMTPC_SIM_CERT_DIR;
    int i = 1;
    size_t t;
    int rc = 2;
    if (argc > 2 && strcmp(argv[1], "--certs") == 0) {
        cert_dir = argv[2];
        i = 3;
    }
    if (i >= argc) {
        return usage();
    }
    if (strcmp(argv[i], "list") == 0) {
        for (t = 0; t < N_TESTS; t++) {
            printf("%-32s %s\n", g_tests[t].name, g_tests[t].desc);
        }
        return 0;
    }
    g_w = (sim_world_t *)calloc(1, sizeof(*g_w));
    if (g_w == NULL) {
        return 1;
    }
    if (strcmp(argv[i], "all") == 0 && i + 1 == argc) {
        unsigned failed = 0;
        for (t = 0; t < N_TESTS; t++) {
            failed += run_test(&g_tests[t], cert_dir, FX_NO_POINT) ? 0u : 1u;
        }
        printf("%u of %u fault tests failed\n", failed, (unsigned)N_TESTS);
        rc = failed != 0u ? 1 : 0;
    } else if ((strcmp(argv[i], "run") == 0 && i + 2 == argc) ||
               (strcmp(argv[i], "point") == 0 && i + 3 == argc)) {
        unsigned long only = i + 3 == argc ? strtoul(argv[i + 2], NULL, 10) : FX_NO_POINT;
        for (t = 0; t < N_TESTS; t++) {
            if (strcmp(g_tests[t].name, argv[i + 1]) == 0) {
                rc = run_test(&g_tests[t], cert_dir, only) ? 0 : 1;
                break;
            }
        }
        if (t == N_TESTS) {
            fprintf(stderr, "smtpc-sim-faults: no test named '%s'\n", argv[i + 1]);
        }
    } else {
        rc = usage();
    }
    free(g_w);
    return rc;
}
