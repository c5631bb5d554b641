/* Scriptable stream and scripted SMTP peer: see fake_stream.h. */
#include <stdio.h>
#include <string.h>

#include "fake_stream.h"

void fake_stream_init(fake_stream_t *fs)
{
    memset(fs, 0, sizeof(*fs));
}

void fake_stream_feed(fake_stream_t *fs, const void *data, size_t len)
{
    if (len > sizeof(fs->in) - fs->in_len) {
        fs->in_overflow = 1;
        len = sizeof(fs->in) - fs->in_len;
    }
    memcpy(fs->in + fs->in_len, data, len);
    fs->in_len += len;
}

size_t fake_stream_pending(const fake_stream_t *fs)
{
    return fs->in_len - fs->in_off;
}

static void peer_queue_reply(fake_stream_t *fs, const fake_step_t *st)
{
    size_t n;
    if (st->reply == NULL) {
        return;
    }
    n = st->reply_len != 0 ? st->reply_len : strlen(st->reply);
    fake_stream_feed(fs, st->reply, n);
    if (n >= 3 && memcmp(st->reply, "354", 3) == 0) {
        fs->in_data = true;
    }
}

/* Queue the replies of leading steps that expect nothing (greetings). */
static void peer_unprompted(fake_stream_t *fs)
{
    while (fs->step_idx < fs->step_count && fs->steps[fs->step_idx].expect == NULL) {
        peer_queue_reply(fs, &fs->steps[fs->step_idx]);
        fs->step_idx++;
    }
}

void fake_stream_script(fake_stream_t *fs, const fake_step_t *steps, size_t count)
{
    fs->steps = steps;
    fs->step_count = count;
    fs->step_idx = 0;
    fs->line_off = fs->out_len;
    fs->in_data = false;
    fs->mismatch = false;
    peer_unprompted(fs);
}

bool fake_stream_script_done(const fake_stream_t *fs)
{
    return fs->steps != NULL && !fs->mismatch && fs->step_idx == fs->step_count;
}

static void peer_line(fake_stream_t *fs, const uint8_t *line, size_t len)
{
    const fake_step_t *st;
    size_t elen;
    if (fs->mismatch || fs->steps == NULL) {
        return;
    }
    if (fs->in_data) {
        if (len != 3 || memcmp(line, ".\r\n", 3) != 0) {
            return; /* message text */
        }
        fs->in_data = false;
    }
    if (fs->step_idx >= fs->step_count) {
        fs->mismatch = true;
        fs->mismatch_at = (size_t)(line - fs->out);
        return;
    }
    st = &fs->steps[fs->step_idx];
    elen = strlen(st->expect);
    if (elen > len || memcmp(line, st->expect, elen) != 0) {
        fs->mismatch = true;
        fs->mismatch_at = (size_t)(line - fs->out);
        return;
    }
    fs->step_idx++;
    peer_queue_reply(fs, st);
    peer_unprompted(fs);
}

static void peer_scan(fake_stream_t *fs)
{
    size_t i;
    for (i = fs->line_off; i + 1 < fs->out_len; i++) {
        if (fs->out[i] == '\r' && fs->out[i + 1] == '\n') {
            size_t start = fs->line_off;
            fs->line_off = i + 2;
            peer_line(fs, fs->out + start, fs->line_off - start);
            i++;
        }
    }
}

static void capture(uint8_t *dst, size_t *dlen, int *overflow, const uint8_t *src, size_t n)
{
    if (n > FAKE_OUT_MAX - *dlen) {
        *overflow = 1;
        n = FAKE_OUT_MAX - *dlen;
    }
    memcpy(dst + *dlen, src, n);
    *dlen += n;
}

int32_t fake_stream_send(void *ctx, const uint8_t *buf, size_t len)
{
    fake_stream_t *fs = (fake_stream_t *)ctx;
    size_t n = len;
    fs->send_calls++;
    if (fs->via_tls == 0) {
        fs->plain_send_calls++;
    }
    if (fs->send_err != 0) {
        return fs->send_err;
    }
    if (fs->would_block && (fs->send_tick++ % 2u) == 0u) {
        return 0;
    }
    if (fs->send_chunk != 0 && n > fs->send_chunk) {
        n = fs->send_chunk;
    }
    if (n == 0) {
        return 0;
    }
    capture(fs->out, &fs->out_len, &fs->out_overflow, buf, n);
    if (fs->via_tls == 0) {
        capture(fs->plain, &fs->plain_len, &fs->out_overflow, buf, n);
    }
    peer_scan(fs);
    return (int32_t)n;
}

int32_t fake_stream_recv(void *ctx, uint8_t *buf, size_t cap)
{
    fake_stream_t *fs = (fake_stream_t *)ctx;
    size_t n = fs->in_len - fs->in_off;
    fs->recv_calls++;
    if (fs->via_tls == 0) {
        fs->plain_recv_calls++;
    }
    if (fs->clock != NULL) {
        fake_clock_advance(fs->clock, fs->recv_advance_ms);
    }
    if (fs->recv_err != 0) {
        return fs->recv_err;
    }
    if (fs->has_close_at && fs->recv_total >= fs->close_at) {
        return SMTPC_ERR_NET_CLOSED;
    }
    if (fs->would_block && (fs->recv_tick++ % 2u) == 0u) {
        return 0;
    }
    if (n == 0) {
        if (fs->close_when_idle &&
            (fs->steps == NULL || fs->step_idx >= fs->step_count || fs->mismatch)) {
            return SMTPC_ERR_NET_CLOSED;
        }
        return 0;
    }
    if (n > cap) {
        n = cap;
    }
    if (fs->recv_chunk != 0 && n > fs->recv_chunk) {
        n = fs->recv_chunk;
    }
    if (fs->has_close_at && n > fs->close_at - fs->recv_total) {
        n = fs->close_at - fs->recv_total;
    }
    memcpy(buf, fs->in + fs->in_off, n);
    fs->in_off += n;
    fs->recv_total += n;
    return (int32_t)n;
}

void fake_stream_close(void *ctx)
{
    ((fake_stream_t *)ctx)->close_calls++;
}

const smtpc_stream_ops_t fake_stream_ops = {fake_stream_send, fake_stream_recv, fake_stream_close};

smtpc_stream_t fake_stream_handle(fake_stream_t *fs)
{
    smtpc_stream_t h;
    h.ops = &fake_stream_ops;
    h.ctx = fs;
    return h;
}

void fake_print_escaped(const char *label, const uint8_t *p, size_t n)
{
    size_t i;
    fprintf(stderr, "%s (%zu bytes): \"", label, n);
    for (i = 0; i < n && i < 2000; i++) {
        if (p[i] == '\r') {
            fputs("\\r", stderr);
        } else if (p[i] == '\n') {
            fputs("\\n", stderr);
        } else if (p[i] < 0x20 || p[i] >= 0x7f) {
            fprintf(stderr, "\\x%02x", p[i]);
        } else {
            fputc(p[i], stderr);
        }
    }
    fputs(n > 2000 ? "...\"\n" : "\"\n", stderr);
}
