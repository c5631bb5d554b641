/* Fuzz target: SMTP reply parser (smtpc_reply.c).
 *
 * Input: byte 0 picks EHLO extraction (bit 0) and a chunk size for the
 * split delivery (bits 1..7); the rest is server bytes, parsed as a
 * sequence of replies until the first error or the end.
 * Invariants: the parser is total and bounded (consumed <= offered, text
 * excerpt within its buffer, lines within SMTPC_REPLY_LINES_MAX, a finished
 * reply has a code in 200..599 and an enhanced status of the same class or
 * none), and delivery in chunks, one byte at a time or whole gives exactly
 * the same replies (the parser streams). smtpc_enh_parse is checked on the
 * same bytes against its grammar. */
#include <string.h>

#include "smtpc/reply.h"

#include "fuzz_common.h"

#define MAX_REPLIES 64

typedef struct {
    size_t n;
    smtpc_reply_t r[MAX_REPLIES];
    size_t end[MAX_REPLIES]; /* offset just after each reply */
} replies_t;

static replies_t g_a, g_b;

static void check_reply(const smtpc_reply_t *r)
{
    FUZZ_CHECK(r->text_len <= sizeof(r->text));
    FUZZ_CHECK(r->lines <= SMTPC_REPLY_LINES_MAX);
    if (r->event == SMTPC_REPLY_DONE) {
        FUZZ_CHECK(r->code >= 200 && r->code <= 599);
        FUZZ_CHECK(r->lines >= 1);
        FUZZ_CHECK(r->err == 0);
        if (r->enh[0] != 0) {
            FUZZ_CHECK(r->enh[0] == r->code / 100);
        }
    } else if (r->event == SMTPC_REPLY_ERROR) {
        FUZZ_CHECK(r->err < 0);
    }
    if (!r->is_ehlo_) {
        FUZZ_CHECK(r->caps == 0 && r->auth_mechs == 0 && r->size_max == 0);
    }
}

/* Parse all of @p data, @p chunk bytes per push (0: everything at once). */
static void run(replies_t *out, const uint8_t *data, size_t size, size_t chunk, int ehlo)
{
    size_t off = 0;
    smtpc_reply_t *cur;
    out->n = 0;
    memset(&out->r[0], 0, sizeof(out->r[0]));
    cur = &out->r[0];
    smtpc_reply_begin(cur, ehlo != 0);
    while (out->n < MAX_REPLIES) {
        size_t want = size - off;
        size_t used;
        if (chunk != 0 && want > chunk) {
            want = chunk;
        }
        used = smtpc_reply_push(cur, data + off, want);
        FUZZ_CHECK(used <= want);
        off += used;
        check_reply(cur);
        if (cur->event == SMTPC_REPLY_MORE) {
            FUZZ_CHECK(used == want);
            if (off == size) {
                break; /* incomplete last reply */
            }
            continue;
        }
        FUZZ_CHECK(used > 0 || cur->event == SMTPC_REPLY_ERROR);
        out->end[out->n] = off;
        out->n++;
        if (cur->event == SMTPC_REPLY_ERROR || off == size || out->n == MAX_REPLIES) {
            return;
        }
        cur = &out->r[out->n];
        smtpc_reply_begin(cur, ehlo != 0);
    }
    out->end[out->n] = off;
    out->n++; /* the unfinished reply counts, in state MORE */
}

static void same(const replies_t *a, const replies_t *b)
{
    size_t i;
    FUZZ_CHECK(a->n == b->n);
    for (i = 0; i < a->n; i++) {
        const smtpc_reply_t *x = &a->r[i], *y = &b->r[i];
        FUZZ_CHECK(a->end[i] == b->end[i]);
        FUZZ_CHECK(x->event == y->event);
        FUZZ_CHECK(x->err == y->err);
        FUZZ_CHECK(x->code == y->code || x->event != SMTPC_REPLY_DONE);
        FUZZ_CHECK(x->lines == y->lines);
        FUZZ_CHECK(memcmp(x->enh, y->enh, 3) == 0);
        FUZZ_CHECK(x->text_len == y->text_len);
        FUZZ_CHECK(memcmp(x->text, y->text, x->text_len) == 0);
        FUZZ_CHECK(x->caps == y->caps);
        FUZZ_CHECK(x->auth_mechs == y->auth_mechs);
        FUZZ_CHECK(x->size_max == y->size_max);
    }
}

static void check_enh(const uint8_t *data, size_t size)
{
    uint8_t enh[3] = {0, 0, 0};
    size_t n = size < 32u ? size : 32u;
    size_t used = smtpc_enh_parse((const char *)data, n, enh);
    FUZZ_CHECK(used <= n);
    if (used > 0) {
        /* class.subject.detail: class 2, 4 or 5, then digits and two dots */
        size_t i, dots = 0;
        FUZZ_CHECK(used >= 5);
        FUZZ_CHECK(enh[0] == 2 || enh[0] == 4 || enh[0] == 5);
        FUZZ_CHECK(data[0] == (uint8_t)('0' + enh[0]));
        for (i = 0; i < used; i++) {
            FUZZ_CHECK((data[i] >= '0' && data[i] <= '9') || data[i] == '.');
            dots += data[i] == '.';
        }
        FUZZ_CHECK(dots == 2);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int ehlo;
    size_t chunk;
    if (size < 1) {
        return 0;
    }
    ehlo = data[0] & 1;
    chunk = (size_t)(data[0] >> 1) + 1u;
    data++;
    size--;
    check_enh(data, size);
    run(&g_a, data, size, 0, ehlo);
    run(&g_b, data, size, 1, ehlo);
    same(&g_a, &g_b);
    run(&g_b, data, size, chunk, ehlo);
    same(&g_a, &g_b);
    return 0;
}
