/* Fuzz target: HTTP/1.1 response parser (smtpc_httpparse.c): status line,
 * headers, Content-Length, chunked and close-delimited bodies.
 *
 * Input: byte 0: bit 0 requires text/plain, bits 1-7 pick the chunk size of
 * the split delivery; byte 1: body cap (x 8, 0 means SMTPC_STS_POLICY_MAX);
 * the rest is the response.
 * Invariants: consumed <= offered, and everything is consumed while the
 * parse goes on; the sink never gets an empty span nor more than the cap in
 * total, and the parser's body_len equals what the sink got; results are
 * sticky; a response fed whole, in chunks and one byte at a time gives the
 * same result, the same body and the same consumed count; after the end of
 * the input the EOF verdict is the same too; SMTPC_OK means status 200. */
#include <string.h>

#include "smtpc/http.h"

#include "fuzz_common.h"

#define BODY_MAX 65536u

typedef struct {
    uint8_t body[BODY_MAX];
    size_t len;
    size_t cap;
} sink_t;

typedef struct {
    int rc;
    int eof_rc;
    size_t used;
    uint16_t status;
} outcome_t;

static sink_t g_s1, g_s2;
static smtpc_http_parser_t g_p;

static int sink(void *arg, const uint8_t *data, size_t len)
{
    sink_t *s = arg;
    FUZZ_CHECK(len > 0);
    FUZZ_CHECK(s->len + len <= s->cap);
    memcpy(s->body + s->len, data, len);
    s->len += len;
    return SMTPC_OK;
}

static outcome_t run(const uint8_t *data, size_t size, size_t chunk, uint32_t cap, int want_text,
                     sink_t *s)
{
    outcome_t o;
    size_t off = 0;
    o.rc = SMTPC_IN_PROGRESS;
    s->len = 0;
    s->cap = cap;
    smtpc_http_parser_init(&g_p, cap, want_text);
    while (off < size) {
        size_t want = size - off, used = (size_t)-1;
        if (chunk != 0 && want > chunk) {
            want = chunk;
        }
        o.rc = smtpc_http_parse(&g_p, data + off, want, &used, sink, s);
        FUZZ_CHECK(used <= want);
        off += used;
        if (o.rc != SMTPC_IN_PROGRESS) {
            int again;
            size_t u2 = 7;
            FUZZ_CHECK(o.rc <= 0);
            again = smtpc_http_parse(&g_p, data + off, size - off, &u2, sink, s);
            FUZZ_CHECK(again == o.rc && u2 == 0);
            break;
        }
        FUZZ_CHECK(used == want);
    }
    FUZZ_CHECK(g_p.body_len == s->len);
    FUZZ_CHECK(s->len <= cap);
    if (o.rc == SMTPC_OK) {
        FUZZ_CHECK(g_p.status == 200);
    }
    o.used = off;
    o.status = g_p.status;
    o.eof_rc = smtpc_http_parse_eof(&g_p);
    if (o.rc != SMTPC_IN_PROGRESS) {
        FUZZ_CHECK(o.eof_rc == o.rc);
    }
    FUZZ_CHECK(o.eof_rc <= 0);
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    outcome_t a, b;
    int want_text;
    size_t chunk;
    uint32_t cap;
    if (size < 2) {
        return 0;
    }
    want_text = data[0] & 1;
    chunk = (size_t)(data[0] >> 1) + 1u;
    cap = data[1] ? (uint32_t)data[1] * 8u : SMTPC_STS_POLICY_MAX;
    data += 2;
    size -= 2;

    a = run(data, size, 0, cap, want_text, &g_s1);
    b = run(data, size, 1, cap, want_text, &g_s2);
    FUZZ_CHECK(a.rc == b.rc && a.eof_rc == b.eof_rc && a.used == b.used);
    FUZZ_CHECK(g_s1.len == g_s2.len && memcmp(g_s1.body, g_s2.body, g_s1.len) == 0);
    b = run(data, size, chunk, cap, want_text, &g_s2);
    FUZZ_CHECK(a.rc == b.rc && a.eof_rc == b.eof_rc && a.used == b.used);
    FUZZ_CHECK(g_s1.len == g_s2.len && memcmp(g_s1.body, g_s2.body, g_s1.len) == 0);
    return 0;
}
