/* gzip framing without compression: one RFC 1952 member whose deflate
 * stream is made of stored blocks (RFC 1951 §3.2.4). A TLS report is a few
 * kilobytes of JSON; the receiver only requires the gzip media type, and a
 * stored member costs 5 bytes per 64 KiB plus 18, with no window in RAM.
 * See smtpc/tlsrpt.h. */
#include "smtpc/opts.h"

#if SMTPC_ENABLE_TLSRPT

#include <string.h>

#include "smtpc/kvs.h"
#include "smtpc/tlsrpt.h"

#define GZ_HEAD       10u
#define GZ_TAIL       8u
#define GZ_BLOCK_HEAD 5u
#define GZ_BLOCK_MAX  65535u

/* Stored blocks needed for @p n bytes: at least one (an empty final block). */
static size_t gz_blocks(size_t n)
{
    return n == 0u ? 1u : (n - 1u) / GZ_BLOCK_MAX + 1u;
}

size_t smtpc_gzip_stored_bound(size_t n)
{
    size_t over = GZ_HEAD + GZ_TAIL + gz_blocks(n) * GZ_BLOCK_HEAD;
    if (n > (size_t)-1 - over) {
        return (size_t)-1; /* no buffer is that large: smtpc_gzip_stored() fails */
    }
    return n + over;
}

static void gz_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

int smtpc_gzip_stored(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
    /* ID1 ID2, CM=8 (deflate), FLG=0, MTIME=0, XFL=0, OS=255 (unknown) */
    static const uint8_t head[GZ_HEAD] = {0x1fu, 0x8bu, 8u, 0u, 0u, 0u, 0u, 0u, 0u, 0xffu};
    size_t need = smtpc_gzip_stored_bound(n);
    size_t pos = GZ_HEAD;
    size_t done = 0;
    if ((in == NULL && n > 0u) || out == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (need == (size_t)-1 || need > cap) {
        return SMTPC_ERR_NO_SPACE;
    }
    memcpy(out, head, GZ_HEAD);
    do {
        size_t k = n - done > GZ_BLOCK_MAX ? GZ_BLOCK_MAX : n - done;
        uint16_t len = (uint16_t)k;
        uint16_t nlen = (uint16_t)~len;
        /* BFINAL in bit 0, BTYPE 00 in bits 1-2; the rest of the byte is
         * padding up to the byte boundary LEN starts on. */
        out[pos] = done + k == n ? 1u : 0u;
        out[pos + 1u] = (uint8_t)len;
        out[pos + 2u] = (uint8_t)(len >> 8);
        out[pos + 3u] = (uint8_t)nlen;
        out[pos + 4u] = (uint8_t)(nlen >> 8);
        pos += GZ_BLOCK_HEAD;
        if (k > 0u) {
            memcpy(out + pos, in + done, k);
        }
        pos += k;
        done += k;
    } while (done < n);
    gz_le32(out + pos, smtpc_crc32(0, in, n));
    gz_le32(out + pos + 4u, (uint32_t)n); /* ISIZE: the length modulo 2^32 */
    pos += GZ_TAIL;
    if (out_len != NULL) {
        *out_len = pos;
    }
    return SMTPC_OK;
}

#else

typedef int smtpc_gzip_unused_t;

#endif
