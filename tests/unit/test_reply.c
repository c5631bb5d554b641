/* Unit tests of the SMTP reply parser (core/src/smtpc_reply.c).
 *
 * Table-driven: RFC examples first, then hostile inputs. Every vector is fed
 * whole, one byte at a time, and split in two at every position; the three
 * feeds must give identical results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "smtpc/reply.h"

#define LEN_STR 0u           /* in_len 0: strlen(in) */
#define ALL     ((size_t)-1) /* consumed: the whole input */

typedef struct {
    const char *name;
    const char *in;
    size_t in_len;
    bool ehlo;
    uint8_t event;
    int err;
    size_t consumed;
    uint16_t code;
    uint8_t enh[3];
    uint16_t lines;
    const char *text;
    uint16_t caps;
    uint8_t mechs;
    uint32_t size_max;
} reply_vec_t;

/* ------------------------------------------------------------ runner --- */

static size_t feed_whole(smtpc_reply_t *p, const uint8_t *d, size_t n)
{
    return smtpc_reply_push(p, d, n);
}

static size_t feed_bytes(smtpc_reply_t *p, const uint8_t *d, size_t n)
{
    size_t total = 0;
    size_t i;
    for (i = 0; i < n && p->event == SMTPC_REPLY_MORE; i++) {
        size_t used = smtpc_reply_push(p, d + i, 1);
        assert_true(used <= 1);
        total += used;
        if (used == 0) {
            break;
        }
    }
    return total;
}

static size_t feed_split(smtpc_reply_t *p, const uint8_t *d, size_t n, size_t at)
{
    size_t used = smtpc_reply_push(p, d, at);
    if (used < at || p->event != SMTPC_REPLY_MORE) {
        return used;
    }
    return used + smtpc_reply_push(p, d + at, n - at);
}

static void assert_same_parse(const smtpc_reply_t *a, const smtpc_reply_t *b, const char *name)
{
    if (a->event != b->event || a->err != b->err || a->code != b->code ||
        memcmp(a->enh, b->enh, 3) != 0 || a->lines != b->lines || a->text_len != b->text_len ||
        memcmp(a->text, b->text, a->text_len) != 0 || a->caps != b->caps ||
        a->auth_mechs != b->auth_mechs || a->size_max != b->size_max) {
        fail_msg("vector '%s': chunked feed differs from whole feed", name);
    }
}

static void check_parse(const reply_vec_t *v, const smtpc_reply_t *p, size_t used, size_t n)
{
    size_t want_used = v->consumed == ALL ? n : v->consumed;
    size_t tlen = strlen(v->text);
    if (p->event != v->event) {
        fail_msg("vector '%s': event %u, expected %u (err %d)", v->name, p->event, v->event,
                 p->err);
    }
    if (v->event == SMTPC_REPLY_ERROR && p->err != v->err) {
        fail_msg("vector '%s': err %d, expected %d", v->name, p->err, v->err);
    }
    if (used != want_used) {
        fail_msg("vector '%s': consumed %zu, expected %zu", v->name, used, want_used);
    }
    if (p->code != v->code) {
        fail_msg("vector '%s': code %u, expected %u", v->name, p->code, v->code);
    }
    if (memcmp(p->enh, v->enh, 3) != 0) {
        fail_msg("vector '%s': enh %u.%u.%u, expected %u.%u.%u", v->name, p->enh[0], p->enh[1],
                 p->enh[2], v->enh[0], v->enh[1], v->enh[2]);
    }
    if (p->lines != v->lines) {
        fail_msg("vector '%s': lines %u, expected %u", v->name, p->lines, v->lines);
    }
    if (p->text_len != tlen || memcmp(p->text, v->text, tlen) != 0) {
        fail_msg("vector '%s': text '%.*s', expected '%s'", v->name, (int)p->text_len, p->text,
                 v->text);
    }
    if (p->caps != v->caps || p->auth_mechs != v->mechs || p->size_max != v->size_max) {
        fail_msg("vector '%s': caps 0x%04x mechs 0x%02x size %u, expected 0x%04x 0x%02x %u",
                 v->name, p->caps, p->auth_mechs, (unsigned)p->size_max, v->caps, v->mechs,
                 (unsigned)v->size_max);
    }
}

static void run_vector(const reply_vec_t *v)
{
    const uint8_t *d = (const uint8_t *)v->in;
    size_t n = v->in_len != LEN_STR ? v->in_len : strlen(v->in);
    smtpc_reply_t whole;
    smtpc_reply_t bytes;
    smtpc_reply_t split;
    size_t used;
    size_t at;

    smtpc_reply_begin(&whole, v->ehlo);
    used = feed_whole(&whole, d, n);
    check_parse(v, &whole, used, n);

    smtpc_reply_begin(&bytes, v->ehlo);
    used = feed_bytes(&bytes, d, n);
    check_parse(v, &bytes, used, n);
    assert_same_parse(&whole, &bytes, v->name);

    for (at = 0; at <= n; at++) {
        smtpc_reply_begin(&split, v->ehlo);
        used = feed_split(&split, d, n, at);
        check_parse(v, &split, used, n);
        assert_same_parse(&whole, &split, v->name);
    }

    /* A finished parser takes nothing more. */
    if (whole.event != SMTPC_REPLY_MORE) {
        assert_int_equal(smtpc_reply_push(&whole, d, n), 0);
    }
}

static void run_table(const reply_vec_t *tab, size_t count)
{
    size_t i;
    for (i = 0; i < count; i++) {
        run_vector(&tab[i]);
    }
}

#define DONE_ SMTPC_REPLY_DONE
#define MORE_ SMTPC_REPLY_MORE
#define ERR_  SMTPC_REPLY_ERROR

/* ---------------------------------------------------- basic replies ----- */

static const reply_vec_t basic_vectors[] = {
    /* RFC 5321 §4.2 / appendix D examples */
    {"greeting",
     "220 foo.com Simple Mail Transfer Service Ready\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     220,
     {0, 0, 0},
     1,
     "foo.com Simple Mail Transfer Service Ready",
     0,
     0,
     0},
    {"rfc5321 D.1 ehlo",
     "250-foo.com greets bar.com\r\n250-8BITMIME\r\n250-SIZE\r\n250-DSN\r\n250 HELP\r\n",
     LEN_STR,
     true,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     5,
     "foo.com greets bar.com 8BITMIME SIZE DSN HELP",
     SMTPC_CAP_8BITMIME | SMTPC_CAP_SIZE,
     0,
     0},
    {"rfc5321 D.1 ok",
     "250 OK\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     1,
     "OK",
     0,
     0,
     0},
    {"354",
     "354 Start mail input; end with <CRLF>.<CRLF>\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     354,
     {0, 0, 0},
     1,
     "Start mail input; end with <CRLF>.<CRLF>",
     0,
     0,
     0},
    {"221",
     "221 foo.com Service closing transmission channel\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     221,
     {0, 0, 0},
     1,
     "foo.com Service closing transmission channel",
     0,
     0,
     0},
    {"code only", "250\r\n", LEN_STR, false, DONE_, 0, ALL, 250, {0, 0, 0}, 1, "", 0, 0, 0},
    {"code and space", "250 \r\n", LEN_STR, false, DONE_, 0, ALL, 250, {0, 0, 0}, 1, "", 0, 0, 0},
    {"multi-line joined",
     "250-first\r\n250-second\r\n250 third\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     3,
     "first second third",
     0,
     0,
     0},
    {"multi-line empty first",
     "250-\r\n250 x\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     2,
     "x",
     0,
     0,
     0},
    {"multi-line code-only last",
     "220-a\r\n220\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     220,
     {0, 0, 0},
     2,
     "a ",
     0,
     0,
     0},
    {"5xx",
     "554 5.7.1 Service unavailable\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     554,
     {5, 7, 1},
     1,
     "5.7.1 Service unavailable",
     0,
     0,
     0},
    {"incomplete line", "250 ok", LEN_STR, false, MORE_, 0, ALL, 250, {0, 0, 0}, 0, "ok", 0, 0, 0},
    {"incomplete multi-line",
     "250-a\r\n",
     LEN_STR,
     false,
     MORE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     1,
     "a",
     0,
     0,
     0},
    {"empty input", "", LEN_STR, false, MORE_, 0, ALL, 0, {0, 0, 0}, 0, "", 0, 0, 0},
    {"8-bit text kept",
     "250 caf\xc3\xa9\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     1,
     "caf\xc3\xa9",
     0,
     0,
     0},
    /* bytes after the final line stay unconsumed */
    {"trailing reply unconsumed",
     "250 ok\r\n221 bye\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     8,
     250,
     {0, 0, 0},
     1,
     "ok",
     0,
     0,
     0},
    {"trailing garbage unconsumed",
     "250 ok\r\n\x00\xff",
     10,
     false,
     DONE_,
     0,
     8,
     250,
     {0, 0, 0},
     1,
     "ok",
     0,
     0,
     0},
};

static void test_reply_basic_vectors_parse(void **state)
{
    (void)state;
    run_table(basic_vectors, sizeof(basic_vectors) / sizeof(basic_vectors[0]));
}

/* ------------------------------------------------- enhanced status ----- */

static const reply_vec_t enh_vectors[] = {
    /* RFC 3463 examples */
    {"2.0.0",
     "250 2.0.0 Ok: queued as 12345\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     250,
     {2, 0, 0},
     1,
     "2.0.0 Ok: queued as 12345",
     0,
     0,
     0},
    {"5.1.1",
     "550 5.1.1 <nobody@example.org>: Recipient address rejected\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     550,
     {5, 1, 1},
     1,
     "5.1.1 <nobody@example.org>: Recipient address rejected",
     0,
     0,
     0},
    {"4.7.0",
     "454 4.7.0 TLS not available due to local problem\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     454,
     {4, 7, 0},
     1,
     "4.7.0 TLS not available due to local problem",
     0,
     0,
     0},
    {"code then status only",
     "250 2.1.5\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     250,
     {2, 1, 5},
     1,
     "2.1.5",
     0,
     0,
     0},
    {"three-digit parts",
     "550 5.123.255 x\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     550,
     {5, 123, 255},
     1,
     "5.123.255 x",
     0,
     0,
     0},
    {"first line only",
     "250-2.1.0 Sender ok\r\n250 2.1.5 Recipient ok\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     250,
     {2, 1, 0},
     2,
     "2.1.0 Sender ok 2.1.5 Recipient ok",
     0,
     0,
     0},
    /* class must match the first digit of the code */
    {"class mismatch",
     "250 5.1.1 odd\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     1,
     "5.1.1 odd",
     0,
     0,
     0},
    {"class 4 on 5xx",
     "550 4.0.0 odd\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     550,
     {0, 0, 0},
     1,
     "4.0.0 odd",
     0,
     0,
     0},
    /* invalid forms are ignored, never fatal */
    {"two parts",
     "250 2.0 Ok\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     1,
     "2.0 Ok",
     0,
     0,
     0},
    {"four parts",
     "250 2.0.0.0 Ok\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     1,
     "2.0.0.0 Ok",
     0,
     0,
     0},
    {"class 3",
     "354 3.0.0 go\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     354,
     {0, 0, 0},
     1,
     "3.0.0 go",
     0,
     0,
     0},
    {"two-digit class",
     "250 22.0.0 Ok\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     1,
     "22.0.0 Ok",
     0,
     0,
     0},
    {"four-digit subject",
     "250 2.1000.0 Ok\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     1,
     "2.1000.0 Ok",
     0,
     0,
     0},
    {"detail over 255",
     "250 2.0.256 Ok\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     1,
     "2.0.256 Ok",
     0,
     0,
     0},
    {"empty part",
     "250 2..0 Ok\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     1,
     "2..0 Ok",
     0,
     0,
     0},
    {"trailing dot",
     "250 2.0. Ok\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     1,
     "2.0. Ok",
     0,
     0,
     0},
    {"glued text",
     "250 2.0.0Ok\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     1,
     "2.0.0Ok",
     0,
     0,
     0},
    {"leading space",
     "250  2.0.0 Ok\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     1,
     " 2.0.0 Ok",
     0,
     0,
     0},
    {"letters",
     "250 a.b.c Ok\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     1,
     "a.b.c Ok",
     0,
     0,
     0},
    {"status on second line only",
     "250-hello\r\n250 2.0.0 Ok\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     2,
     "hello 2.0.0 Ok",
     0,
     0,
     0},
};

static void test_reply_enhanced_status_vectors_parse(void **state)
{
    (void)state;
    run_table(enh_vectors, sizeof(enh_vectors) / sizeof(enh_vectors[0]));
}

typedef struct {
    const char *in;
    size_t used;
    uint8_t out[3];
} enh_vec_t;

static void test_reply_enh_parse_vectors_return_length(void **state)
{
    static const enh_vec_t vecs[] = {
        {"2.0.0", 5, {2, 0, 0}},
        {"2.0.0 Ok", 5, {2, 0, 0}},
        {"5.7.1 x", 5, {5, 7, 1}},
        {"4.7.0", 5, {4, 7, 0}},
        {"5.10.100", 8, {5, 10, 100}},
        {"3.0.0", 0, {0, 0, 0}},
        {"1.0.0", 0, {0, 0, 0}},
        {"2.0", 0, {0, 0, 0}},
        {"2.0.", 0, {0, 0, 0}},
        {".2.0.0", 0, {0, 0, 0}},
        {"", 0, {0, 0, 0}},
        {"2.0.0.", 0, {0, 0, 0}},
        {"2.0.1234", 0, {0, 0, 0}},
        {"2.0.0\t", 0, {0, 0, 0}},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
        uint8_t out[3] = {0xaa, 0xaa, 0xaa};
        size_t used = smtpc_enh_parse(vecs[i].in, strlen(vecs[i].in), out);
        if (used != vecs[i].used) {
            fail_msg("enh '%s': used %zu, expected %zu", vecs[i].in, used, vecs[i].used);
        }
        if (used > 0) {
            assert_memory_equal(out, vecs[i].out, 3);
        } else {
            /* outputs are written only on success */
            assert_int_equal(out[0], 0xaa);
            assert_int_equal(out[1], 0xaa);
            assert_int_equal(out[2], 0xaa);
        }
    }
}

/* A subject over 255 must not wrap into a different code (5.300.1 is not 5.44.1). */
static void test_reply_enh_parse_subject_over_255_rejected(void **state)
{
    uint8_t out[3] = {0, 0, 0};
    (void)state;
    assert_int_equal(smtpc_enh_parse("5.300.1", 7, out), 0);
}

/* -------------------------------------------------------- EHLO keywords - */

static const reply_vec_t ehlo_vectors[] = {
    {"all keywords",
     "250-mx.example.net\r\n250-STARTTLS\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n"
     "250-SIZE 35882577\r\n250-ENHANCEDSTATUSCODES\r\n250-AUTH PLAIN LOGIN XOAUTH2\r\n"
     "250 CHUNKING\r\n",
     LEN_STR,
     true,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     9,
     "mx.example.net STARTTLS PIPELINING 8BITMIME SMTPUTF8 SIZE 35882577 ENHANCEDSTATU",
     SMTPC_CAP_STARTTLS | SMTPC_CAP_PIPELINING | SMTPC_CAP_8BITMIME | SMTPC_CAP_SMTPUTF8 |
         SMTPC_CAP_SIZE | SMTPC_CAP_ENHANCEDSTATUSCODES | SMTPC_CAP_AUTH | SMTPC_CAP_CHUNKING,
     SMTPC_AUTH_PLAIN | SMTPC_AUTH_LOGIN | SMTPC_AUTH_XOAUTH2,
     35882577u},
    {"lower case",
     "250-x\r\n250-starttls\r\n250-Pipelining\r\n250 auth plain xoauth2\r\n",
     LEN_STR,
     true,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     4,
     "x starttls Pipelining auth plain xoauth2",
     SMTPC_CAP_STARTTLS | SMTPC_CAP_PIPELINING | SMTPC_CAP_AUTH,
     SMTPC_AUTH_PLAIN | SMTPC_AUTH_XOAUTH2,
     0},
    {"old AUTH= form",
     "250-x\r\n250 AUTH=LOGIN\r\n",
     LEN_STR,
     true,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     2,
     "x AUTH=LOGIN",
     SMTPC_CAP_AUTH,
     SMTPC_AUTH_LOGIN,
     0},
    {"old AUTH= form with more",
     "250-x\r\n250 AUTH=LOGIN PLAIN\r\n",
     LEN_STR,
     true,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     2,
     "x AUTH=LOGIN PLAIN",
     SMTPC_CAP_AUTH,
     SMTPC_AUTH_LOGIN | SMTPC_AUTH_PLAIN,
     0},
    {"both AUTH forms",
     "250-x\r\n250-AUTH PLAIN\r\n250 AUTH=LOGIN\r\n",
     LEN_STR,
     true,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     3,
     "x AUTH PLAIN AUTH=LOGIN",
     SMTPC_CAP_AUTH,
     SMTPC_AUTH_PLAIN | SMTPC_AUTH_LOGIN,
     0},
    {"unknown mechanisms ignored",
     "250-x\r\n250 AUTH CRAM-MD5 GSSAPI NTLM\r\n",
     LEN_STR,
     true,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     2,
     "x AUTH CRAM-MD5 GSSAPI NTLM",
     SMTPC_CAP_AUTH,
     0,
     0},
    {"unknown keywords ignored",
     "250-x\r\n250-DSN\r\n250-ETRN\r\n250-VRFY\r\n250 HELP\r\n",
     LEN_STR,
     true,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     5,
     "x DSN ETRN VRFY HELP",
     0,
     0,
     0},
    {"stripped STARTTLS",
     "250-x\r\n250-XXXXXXXA\r\n250 AUTH PLAIN\r\n",
     LEN_STR,
     true,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     3,
     "x XXXXXXXA AUTH PLAIN",
     SMTPC_CAP_UNKNOWN_8 | SMTPC_CAP_AUTH,
     SMTPC_AUTH_PLAIN,
     0},
    {"STARTTLS near misses",
     "250-x\r\n250-STARTTLSX\r\n250-STARTTL\r\n250 XSTARTTLS\r\n",
     LEN_STR,
     true,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     4,
     "x STARTTLSX STARTTL XSTARTTLS",
     0,
     0,
     0},
    {"keyword parameter",
     "250-x\r\n250 STARTTLS now\r\n",
     LEN_STR,
     true,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     2,
     "x STARTTLS now",
     SMTPC_CAP_STARTTLS,
     0,
     0},
    {"keyword as parameter only",
     "250-x\r\n250 X-EXT STARTTLS PLAIN\r\n",
     LEN_STR,
     true,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     2,
     "x X-EXT STARTTLS PLAIN",
     0,
     0,
     0},
    {"first line is the domain",
     "250 STARTTLS\r\n",
     LEN_STR,
     true,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     1,
     "STARTTLS",
     0,
     0,
     0},
    {"not an EHLO reply",
     "250-x\r\n250 STARTTLS\r\n",
     LEN_STR,
     false,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     2,
     "x STARTTLS",
     0,
     0,
     0},
    {"over-long keyword",
     "250-x\r\n250 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA STARTTLS\r\n",
     LEN_STR,
     true,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     2,
     "x AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA STARTTLS",
     0,
     0,
     0},
    {"SIZE no number",
     "250-x\r\n250 SIZE\r\n",
     LEN_STR,
     true,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     2,
     "x SIZE",
     SMTPC_CAP_SIZE,
     0,
     0},
    {"SIZE max",
     "250-x\r\n250 SIZE 4294967295\r\n",
     LEN_STR,
     true,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     2,
     "x SIZE 4294967295",
     SMTPC_CAP_SIZE,
     0,
     4294967295u},
    {"SIZE overflow by one",
     "250-x\r\n250 SIZE 4294967296\r\n",
     LEN_STR,
     true,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     2,
     "x SIZE 4294967296",
     SMTPC_CAP_SIZE,
     0,
     4294967295u},
    {"SIZE overflow",
     "250-x\r\n250 SIZE 99999999999999999999\r\n",
     LEN_STR,
     true,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     2,
     "x SIZE 99999999999999999999",
     SMTPC_CAP_SIZE,
     0,
     4294967295u},
    {"SIZE not a number",
     "250-x\r\n250 SIZE 12a\r\n",
     LEN_STR,
     true,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     2,
     "x SIZE 12a",
     SMTPC_CAP_SIZE,
     0,
     0},
    {"SIZE zero",
     "250-x\r\n250 SIZE 0\r\n",
     LEN_STR,
     true,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     2,
     "x SIZE 0",
     SMTPC_CAP_SIZE,
     0,
     0},
    {"mechanisms only after AUTH",
     "250-x\r\n250-SIZE PLAIN\r\n250 PLAIN LOGIN\r\n",
     LEN_STR,
     true,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     3,
     "x SIZE PLAIN PLAIN LOGIN",
     SMTPC_CAP_SIZE,
     0,
     0},
    {"keywords do not leak across lines",
     "250-x\r\n250-AUTH\r\n250 PLAIN\r\n",
     LEN_STR,
     true,
     DONE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     3,
     "x AUTH PLAIN",
     SMTPC_CAP_AUTH,
     0,
     0},
};

static void test_reply_ehlo_keyword_vectors_extract(void **state)
{
    (void)state;
    run_table(ehlo_vectors, sizeof(ehlo_vectors) / sizeof(ehlo_vectors[0]));
}

/* --------------------------------------------------------- hostile ----- */

static const reply_vec_t hostile_vectors[] = {
    {"code 600",
     "600 x\r\n",
     LEN_STR,
     false,
     ERR_,
     SMTPC_ERR_REPLY_SYNTAX,
     0,
     0,
     {0, 0, 0},
     0,
     "",
     0,
     0,
     0},
    {"code 199",
     "199 x\r\n",
     LEN_STR,
     false,
     ERR_,
     SMTPC_ERR_REPLY_SYNTAX,
     0,
     0,
     {0, 0, 0},
     0,
     "",
     0,
     0,
     0},
    {"code 2a0",
     "2a0 x\r\n",
     LEN_STR,
     false,
     ERR_,
     SMTPC_ERR_REPLY_SYNTAX,
     1,
     0,
     {0, 0, 0},
     0,
     "",
     0,
     0,
     0},
    {"code 260",
     "260 x\r\n",
     LEN_STR,
     false,
     ERR_,
     SMTPC_ERR_REPLY_SYNTAX,
     1,
     0,
     {0, 0, 0},
     0,
     "",
     0,
     0,
     0},
    {"code 25x",
     "25x x\r\n",
     LEN_STR,
     false,
     ERR_,
     SMTPC_ERR_REPLY_SYNTAX,
     2,
     0,
     {0, 0, 0},
     0,
     "",
     0,
     0,
     0},
    {"two-digit code",
     "25\r\n",
     LEN_STR,
     false,
     ERR_,
     SMTPC_ERR_REPLY_SYNTAX,
     2,
     0,
     {0, 0, 0},
     0,
     "",
     0,
     0,
     0},
    {"four-digit code",
     "2500 x\r\n",
     LEN_STR,
     false,
     ERR_,
     SMTPC_ERR_REPLY_SYNTAX,
     3,
     250,
     {0, 0, 0},
     0,
     "",
     0,
     0,
     0},
    {"bad separator",
     "250_x\r\n",
     LEN_STR,
     false,
     ERR_,
     SMTPC_ERR_REPLY_SYNTAX,
     3,
     250,
     {0, 0, 0},
     0,
     "",
     0,
     0,
     0},
    {"tab separator",
     "250\tx\r\n",
     LEN_STR,
     false,
     ERR_,
     SMTPC_ERR_REPLY_SYNTAX,
     3,
     250,
     {0, 0, 0},
     0,
     "",
     0,
     0,
     0},
    {"leading space",
     " 250 x\r\n",
     LEN_STR,
     false,
     ERR_,
     SMTPC_ERR_REPLY_SYNTAX,
     0,
     0,
     {0, 0, 0},
     0,
     "",
     0,
     0,
     0},
    {"empty line",
     "\r\n",
     LEN_STR,
     false,
     ERR_,
     SMTPC_ERR_REPLY_SYNTAX,
     0,
     0,
     {0, 0, 0},
     0,
     "",
     0,
     0,
     0},
    {"HTTP answer",
     "HTTP/1.1 400 Bad Request\r\n",
     LEN_STR,
     false,
     ERR_,
     SMTPC_ERR_REPLY_SYNTAX,
     0,
     0,
     {0, 0, 0},
     0,
     "",
     0,
     0,
     0},
    {"code mismatch",
     "250-a\r\n251 b\r\n",
     LEN_STR,
     false,
     ERR_,
     SMTPC_ERR_REPLY_CODE_MISMATCH,
     9,
     250,
     {0, 0, 0},
     1,
     "a",
     0,
     0,
     0},
    {"code mismatch class",
     "250-a\r\n550 b\r\n",
     LEN_STR,
     false,
     ERR_,
     SMTPC_ERR_REPLY_CODE_MISMATCH,
     9,
     250,
     {0, 0, 0},
     1,
     "a",
     0,
     0,
     0},
    {"bare LF",
     "250 ok\n",
     LEN_STR,
     false,
     ERR_,
     SMTPC_ERR_REPLY_SYNTAX,
     6,
     250,
     {0, 0, 0},
     0,
     "ok",
     0,
     0,
     0},
    {"bare LF in multi-line",
     "250-ok\n250 x\r\n",
     LEN_STR,
     false,
     ERR_,
     SMTPC_ERR_REPLY_SYNTAX,
     6,
     250,
     {0, 0, 0},
     0,
     "ok",
     0,
     0,
     0},
    {"LF right after code",
     "250\n",
     LEN_STR,
     false,
     ERR_,
     SMTPC_ERR_REPLY_SYNTAX,
     3,
     250,
     {0, 0, 0},
     0,
     "",
     0,
     0,
     0},
    {"CR without LF",
     "250 ok\rX\r\n",
     LEN_STR,
     false,
     ERR_,
     SMTPC_ERR_REPLY_SYNTAX,
     7,
     250,
     {0, 0, 0},
     0,
     "ok",
     0,
     0,
     0},
    {"CR CR LF",
     "250 ok\r\r\n",
     LEN_STR,
     false,
     ERR_,
     SMTPC_ERR_REPLY_SYNTAX,
     7,
     250,
     {0, 0, 0},
     0,
     "ok",
     0,
     0,
     0},
    {"NUL in text",
     "250 o\0k\r\n",
     9,
     false,
     ERR_,
     SMTPC_ERR_REPLY_SYNTAX,
     5,
     250,
     {0, 0, 0},
     0,
     "o",
     0,
     0,
     0},
    {"NUL as separator",
     "250\0ok\r\n",
     8,
     false,
     ERR_,
     SMTPC_ERR_REPLY_SYNTAX,
     3,
     250,
     {0, 0, 0},
     0,
     "",
     0,
     0,
     0},
    {"NUL in code",
     "2\0"
     "50 ok\r\n",
     9,
     false,
     ERR_,
     SMTPC_ERR_REPLY_SYNTAX,
     1,
     0,
     {0, 0, 0},
     0,
     "",
     0,
     0,
     0},
    {"NUL in EHLO keyword",
     "250-x\r\n250 START\0TLS\r\n",
     23,
     true,
     ERR_,
     SMTPC_ERR_REPLY_SYNTAX,
     16,
     250,
     {0, 0, 0},
     1,
     "x START",
     0,
     0,
     0},
    {"continuation never ends",
     "250-a\r\n250-b\r\n",
     LEN_STR,
     false,
     MORE_,
     0,
     ALL,
     250,
     {0, 0, 0},
     2,
     "a b",
     0,
     0,
     0},
};

static void test_reply_hostile_vectors_rejected(void **state)
{
    (void)state;
    run_table(hostile_vectors, sizeof(hostile_vectors) / sizeof(hostile_vectors[0]));
}

/* ------------------------------------------------- generated bounds ---- */

static char big[64 * 1024];
static char big_text[SMTPC_REPLY_TEXT_MAX + 1];

/* "250 " + n-6 text bytes + CRLF: a line of exactly n bytes. */
static size_t make_line(char *out, size_t n, char fill)
{
    memcpy(out, "250 ", 4);
    memset(out + 4, fill, n - 6);
    memcpy(out + n - 2, "\r\n", 2);
    return n;
}

static void test_reply_line_of_max_length_accepted(void **state)
{
    reply_vec_t v;
    size_t n = make_line(big, SMTPC_REPLY_LINE_MAX, 'a');
    (void)state;
    memset(big_text, 'a', SMTPC_REPLY_TEXT_MAX);
    big_text[SMTPC_REPLY_TEXT_MAX] = '\0';
    memset(&v, 0, sizeof(v));
    v.name = "line of SMTPC_REPLY_LINE_MAX";
    v.in = big;
    v.in_len = n;
    v.event = SMTPC_REPLY_DONE;
    v.consumed = ALL;
    v.code = 250;
    v.lines = 1;
    v.text = big_text; /* truncated at SMTPC_REPLY_TEXT_MAX */
    run_vector(&v);
}

static void test_reply_line_over_max_length_rejected(void **state)
{
    reply_vec_t v;
    size_t n = make_line(big, SMTPC_REPLY_LINE_MAX + 1u, 'a');
    (void)state;
    memset(big_text, 'a', SMTPC_REPLY_TEXT_MAX);
    big_text[SMTPC_REPLY_TEXT_MAX] = '\0';
    memset(&v, 0, sizeof(v));
    v.name = "line of SMTPC_REPLY_LINE_MAX + 1";
    v.in = big;
    v.in_len = n;
    v.event = SMTPC_REPLY_ERROR;
    v.err = SMTPC_ERR_REPLY_LINE_TOO_LONG;
    v.consumed = SMTPC_REPLY_LINE_MAX; /* stops at the byte over the limit (the LF) */
    v.code = 250;
    v.lines = 0;
    v.text = big_text;
    run_vector(&v);
}

/* The limit holds on every line, not only the first, and a line without any
 * line break is cut at the limit too. */
static void test_reply_second_line_over_max_length_rejected(void **state)
{
    reply_vec_t v;
    size_t n;
    (void)state;
    memcpy(big, "250-x\r\n", 7);
    n = 7 + make_line(big + 7, SMTPC_REPLY_LINE_MAX + 1u, 'b');
    memset(&v, 0, sizeof(v));
    v.name = "second line over the limit";
    v.in = big;
    v.in_len = n;
    v.event = SMTPC_REPLY_ERROR;
    v.err = SMTPC_ERR_REPLY_LINE_TOO_LONG;
    v.consumed = 7 + SMTPC_REPLY_LINE_MAX;
    v.code = 250;
    v.lines = 1;
    memset(big_text, 0, sizeof(big_text));
    big_text[0] = 'x';
    big_text[1] = ' ';
    memset(big_text + 2, 'b', SMTPC_REPLY_TEXT_MAX - 2);
    v.text = big_text;
    run_vector(&v);

    memset(big, 'c', sizeof(big));
    memcpy(big, "250 ", 4);
    v.name = "no line break at all";
    v.in_len = 4096;
    v.consumed = SMTPC_REPLY_LINE_MAX;
    v.lines = 0;
    memset(big_text, 'c', SMTPC_REPLY_TEXT_MAX);
    big_text[SMTPC_REPLY_TEXT_MAX] = '\0';
    run_vector(&v);
}

static size_t make_lines(char *out, unsigned count)
{
    size_t n = 0;
    unsigned i;
    for (i = 0; i < count; i++) {
        memcpy(out + n, i + 1 < count ? "250-x\r\n" : "250 x\r\n", 7);
        n += 7;
    }
    return n;
}

static void test_reply_max_lines_accepted(void **state)
{
    reply_vec_t v;
    size_t n = make_lines(big, SMTPC_REPLY_LINES_MAX);
    size_t i;
    (void)state;
    memset(big_text, 0, sizeof(big_text));
    for (i = 0; i < SMTPC_REPLY_TEXT_MAX && i < 2u * SMTPC_REPLY_LINES_MAX - 1u; i++) {
        big_text[i] = (i % 2u) == 0 ? 'x' : ' ';
    }
    memset(&v, 0, sizeof(v));
    v.name = "SMTPC_REPLY_LINES_MAX lines";
    v.in = big;
    v.in_len = n;
    v.event = SMTPC_REPLY_DONE;
    v.consumed = ALL;
    v.code = 250;
    v.lines = SMTPC_REPLY_LINES_MAX;
    v.text = big_text;
    run_vector(&v);
}

static void test_reply_too_many_lines_rejected(void **state)
{
    reply_vec_t v;
    size_t n = make_lines(big, SMTPC_REPLY_LINES_MAX + 1u);
    size_t i;
    (void)state;
    memset(big_text, 0, sizeof(big_text));
    for (i = 0; i < SMTPC_REPLY_TEXT_MAX && i < 2u * SMTPC_REPLY_LINES_MAX - 1u; i++) {
        big_text[i] = (i % 2u) == 0 ? 'x' : ' ';
    }
    memset(&v, 0, sizeof(v));
    v.name = "SMTPC_REPLY_LINES_MAX + 1 lines";
    v.in = big;
    v.in_len = n;
    v.event = SMTPC_REPLY_ERROR;
    v.err = SMTPC_ERR_REPLY_TOO_MANY_LINES;
    v.consumed = 7u * SMTPC_REPLY_LINES_MAX;
    v.code = 250;
    v.lines = SMTPC_REPLY_LINES_MAX;
    v.text = big_text;
    run_vector(&v);
}

/* Text excerpt: joined with ' ' and cut at SMTPC_REPLY_TEXT_MAX, also when
 * the joining space would be the byte over the limit. */
static void test_reply_text_excerpt_truncated_at_max(void **state)
{
    reply_vec_t v;
    size_t n;
    (void)state;
    /* first line: exactly SMTPC_REPLY_TEXT_MAX - 1 text bytes, then a space fits */
    memcpy(big, "250-", 4);
    memset(big + 4, 'a', SMTPC_REPLY_TEXT_MAX - 1u);
    n = 4 + SMTPC_REPLY_TEXT_MAX - 1u;
    memcpy(big + n, "\r\n250 zzz\r\n", 11);
    n += 11;
    memset(big_text, 'a', SMTPC_REPLY_TEXT_MAX - 1u);
    big_text[SMTPC_REPLY_TEXT_MAX - 1u] = ' ';
    big_text[SMTPC_REPLY_TEXT_MAX] = '\0';
    memset(&v, 0, sizeof(v));
    v.name = "space is the last byte kept";
    v.in = big;
    v.in_len = n;
    v.event = SMTPC_REPLY_DONE;
    v.consumed = ALL;
    v.code = 250;
    v.lines = 2;
    v.text = big_text;
    run_vector(&v);

    /* first line fills the excerpt: no space, nothing of the second line */
    memcpy(big, "250-", 4);
    memset(big + 4, 'a', SMTPC_REPLY_TEXT_MAX);
    n = 4 + SMTPC_REPLY_TEXT_MAX;
    memcpy(big + n, "\r\n250 zzz\r\n", 11);
    n += 11;
    memset(big_text, 'a', SMTPC_REPLY_TEXT_MAX);
    v.name = "first line fills the excerpt";
    v.in_len = n;
    run_vector(&v);
}

/* Parsing two replies back to back from one buffer, as the engine does. */
static void test_reply_back_to_back_replies_parse_in_turn(void **state)
{
    static const char in[] = "250 ok\r\n354 go ahead\r\n";
    smtpc_reply_t p;
    size_t used;
    (void)state;
    smtpc_reply_begin(&p, false);
    used = smtpc_reply_push(&p, (const uint8_t *)in, sizeof(in) - 1u);
    assert_int_equal(used, 8);
    assert_int_equal(p.event, SMTPC_REPLY_DONE);
    assert_int_equal(p.code, 250);
    smtpc_reply_begin(&p, false);
    used = smtpc_reply_push(&p, (const uint8_t *)in + 8, sizeof(in) - 9u);
    assert_int_equal(used, sizeof(in) - 9u);
    assert_int_equal(p.event, SMTPC_REPLY_DONE);
    assert_int_equal(p.code, 354);
    assert_int_equal(p.text_len, 8);
    assert_memory_equal(p.text, "go ahead", 8);
}

/* Once failed, the parser stays failed with the same cause. */
static void test_reply_error_is_sticky(void **state)
{
    smtpc_reply_t p;
    (void)state;
    smtpc_reply_begin(&p, false);
    assert_int_equal(smtpc_reply_push(&p, (const uint8_t *)"250 a\n", 6), 5);
    assert_int_equal(p.event, SMTPC_REPLY_ERROR);
    assert_int_equal(p.err, SMTPC_ERR_REPLY_SYNTAX);
    assert_int_equal(smtpc_reply_push(&p, (const uint8_t *)"250 ok\r\n", 8), 0);
    assert_int_equal(p.event, SMTPC_REPLY_ERROR);
    assert_int_equal(p.err, SMTPC_ERR_REPLY_SYNTAX);
    /* begin() starts afresh */
    smtpc_reply_begin(&p, false);
    assert_int_equal(smtpc_reply_push(&p, (const uint8_t *)"250 ok\r\n", 8), 8);
    assert_int_equal(p.event, SMTPC_REPLY_DONE);
}

/* ------------------------------------------------------------- main ---- */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_basic_vectors_parse),
        cmocka_unit_test(test_reply_enhanced_status_vectors_parse),
        cmocka_unit_test(test_reply_enh_parse_vectors_return_length),
        cmocka_unit_test(test_reply_ehlo_keyword_vectors_extract),
        cmocka_unit_test(test_reply_hostile_vectors_rejected),
        cmocka_unit_test(test_reply_line_of_max_length_accepted),
        cmocka_unit_test(test_reply_line_over_max_length_rejected),
        cmocka_unit_test(test_reply_second_line_over_max_length_rejected),
        cmocka_unit_test(test_reply_max_lines_accepted),
        cmocka_unit_test(test_reply_too_many_lines_rejected),
        cmocka_unit_test(test_reply_text_excerpt_truncated_at_max),
        cmocka_unit_test(test_reply_back_to_back_replies_parse_in_turn),
        cmocka_unit_test(test_reply_error_is_sticky),
        /* regressions */
        cmocka_unit_test(test_reply_enh_parse_subject_over_255_rejected),
    };
    return cmocka_run_group_tests_name("reply", tests, NULL, NULL);
}
