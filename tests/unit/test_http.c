/* HTTP/1.1 client codec (smtpc_httpparse.c): the response push parser used
 * for the MTA-STS policy fetch (RFC 8461 §3.3) and the request writer.
 *
 * Every response vector is fed in one piece, split in two at every offset,
 * split in three at every pair of offsets (short vectors), and one byte at a
 * time; each run must give the same result, the same body and the same
 * number of consumed bytes. Every piece is an exactly sized heap copy, so a
 * read past its end is caught by ASan or valgrind. The sink checks that it
 * never receives a byte beyond the cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtpc/http.h"

/* A string literal with its length (embedded NULs kept). */
#define L(s) (s), (sizeof(s) - 1u)

#define CAP           64u      /* body cap of most vectors */
#define NOCHECK       SIZE_MAX /* `rest` not given: only split-invariance is checked */
#define SINK_BUF      4096u    /* largest cap a vector may use */
#define PAIRS_MAX_LEN 160u     /* three-piece splits only up to this length */

#define H200    "HTTP/1.1 200 OK\r\n"
#define CT      "Content-Type: text/plain\r\n"
#define CHUNKED "Transfer-Encoding: chunked\r\n"

/* ------------------------------------------------------------ helpers --- */

typedef struct {
    uint8_t buf[SINK_BUF];
    size_t len;
    uint32_t cap;
    size_t calls;
    int fail_rc; /* non-zero: returned once the body would pass fail_after */
    size_t fail_after;
} sink_t;

static int sink_fn(void *arg, const uint8_t *d, size_t n)
{
    sink_t *s = (sink_t *)arg;
    assert_non_null(d);
    assert_true(n > 0);
    assert_true(s->len + n <= s->cap); /* never a byte beyond the cap */
    s->calls++;
    if (s->fail_rc != 0 && s->len + n > s->fail_after) {
        return s->fail_rc;
    }
    memcpy(s->buf + s->len, d, n);
    s->len += n;
    return SMTPC_OK;
}

typedef struct {
    int rc;            /* final result, after smtpc_http_parse_eof() if needed */
    int rc_before_eof; /* result of the last feed */
    size_t used;       /* bytes consumed over all feeds */
    sink_t sink;
} run_t;

/* Feeds in[0..len) in pieces ending at cuts[0..ncuts) (ascending, the last
 * one len), each from an exactly sized heap copy, then signals the close if
 * the response is still open. Checks the contract of every call on the way:
 * a piece is consumed whole while in progress, a finished parser consumes
 * nothing and repeats its result, and so does the close. */
static void run_pieces(const uint8_t *in, size_t len, const size_t *cuts, size_t ncuts,
                       uint32_t cap, int want_text, int fail_rc, size_t fail_after, run_t *r)
{
    smtpc_http_parser_t p;
    size_t start = 0;
    size_t k;
    size_t used;
    int rc = SMTPC_IN_PROGRESS;
    assert_true(cap <= SINK_BUF);
    memset(r, 0, sizeof(*r));
    r->sink.cap = cap;
    r->sink.fail_rc = fail_rc;
    r->sink.fail_after = fail_after;
    smtpc_http_parser_init(&p, cap, want_text);
    for (k = 0; k < ncuts; k++) {
        size_t n = cuts[k] - start;
        uint8_t *c = malloc(n > 0 ? n : 1u);
        int prc;
        assert_non_null(c);
        assert_true(cuts[k] >= start && cuts[k] <= len);
        memcpy(c, in + start, n);
        used = 12345u;
        prc = smtpc_http_parse(&p, c, n, &used, sink_fn, &r->sink);
        free(c);
        if (rc != SMTPC_IN_PROGRESS) {
            assert_int_equal(prc, rc); /* sticky */
            assert_int_equal(used, 0);
        } else {
            rc = prc;
            assert_true(used <= n);
            if (rc == SMTPC_IN_PROGRESS) {
                assert_int_equal(used, n);
            }
            r->used += used;
        }
        start = cuts[k];
    }
    r->rc_before_eof = rc;
    if (rc == SMTPC_IN_PROGRESS) {
        rc = smtpc_http_parse_eof(&p);
        assert_int_not_equal(rc, SMTPC_IN_PROGRESS);
    } else {
        assert_int_equal(smtpc_http_parse_eof(&p), rc);
    }
    assert_int_equal(smtpc_http_parse_eof(&p), rc);
    used = 1;
    assert_int_equal(smtpc_http_parse(&p, (const uint8_t *)"HTTP", 4, &used, sink_fn, &r->sink),
                     rc);
    assert_int_equal(used, 0);
    r->rc = rc;
}

static void run_whole(const uint8_t *in, size_t len, uint32_t cap, int want_text, run_t *r)
{
    run_pieces(in, len, &len, 1, cap, want_text, 0, 0, r);
}

static void same_run(const run_t *a, const run_t *b, const char *what, const char *how, size_t at)
{
    if (a->rc != b->rc || a->rc_before_eof != b->rc_before_eof || a->used != b->used ||
        a->sink.len != b->sink.len || memcmp(a->sink.buf, b->sink.buf, a->sink.len) != 0) {
        print_error("%s: %s at %zu: rc %d/%d (before eof %d/%d) used %zu/%zu body %zu/%zu\n", what,
                    how, at, a->rc, b->rc, a->rc_before_eof, b->rc_before_eof, a->used, b->used,
                    a->sink.len, b->sink.len);
        fail();
    }
}

typedef struct {
    const char *what;
    const char *in;
    size_t len;
    uint32_t cap;
    int want_text;
    int rc;           /* final result */
    int at_eof;       /* 1: the result comes from the close, not from the bytes */
    const char *body; /* what the sink received (also on failure) */
    size_t body_len;
    size_t rest; /* bytes left unconsumed, or NOCHECK */
} http_case_t;

static size_t g_runs; /* parser runs, for the record */

/* One vector in every split; returns nothing, fails the test on mismatch. */
static void check_case(const http_case_t *c)
{
    const uint8_t *in = (const uint8_t *)c->in;
    run_t *whole = malloc(sizeof(run_t));
    run_t *r = malloc(sizeof(run_t));
    size_t *cuts = malloc((c->len + 3u) * sizeof(size_t)); /* >= 3 cuts, even for len 0 */
    size_t s;
    size_t t;
    assert_non_null(whole);
    assert_non_null(r);
    assert_non_null(cuts);

    run_whole(in, c->len, c->cap, c->want_text, whole);
    g_runs++;
    if (whole->rc != c->rc || (whole->rc_before_eof == SMTPC_IN_PROGRESS) != (c->at_eof != 0) ||
        whole->sink.len != c->body_len || memcmp(whole->sink.buf, c->body, c->body_len) != 0 ||
        (c->rest != NOCHECK && c->len - whole->used != c->rest)) {
        print_error("%s: rc %d (%s) want %d (%s), before eof %d, body %zu want %zu, rest %zu "
                    "want %zu\n",
                    c->what, whole->rc, smtpc_strerror(whole->rc), c->rc, smtpc_strerror(c->rc),
                    whole->rc_before_eof, whole->sink.len, c->body_len, c->len - whole->used,
                    c->rest);
        fail();
    }
    /* Two pieces, at every offset (0 and len give an empty piece). */
    for (s = 0; s <= c->len; s++) {
        cuts[0] = s;
        cuts[1] = c->len;
        run_pieces(in, c->len, cuts, 2, c->cap, c->want_text, 0, 0, r);
        g_runs++;
        same_run(whole, r, c->what, "split", s);
    }
    /* One byte at a time. */
    for (s = 0; s < c->len; s++) {
        cuts[s] = s + 1u;
    }
    if (c->len > 0) {
        run_pieces(in, c->len, cuts, c->len, c->cap, c->want_text, 0, 0, r);
        g_runs++;
        same_run(whole, r, c->what, "bytewise", 0);
    }
    /* Three pieces, at every pair of offsets. */
    if (c->len <= PAIRS_MAX_LEN) {
        for (s = 1; s < c->len; s++) {
            for (t = s + 1u; t < c->len; t++) {
                cuts[0] = s;
                cuts[1] = t;
                cuts[2] = c->len;
                run_pieces(in, c->len, cuts, 3, c->cap, c->want_text, 0, 0, r);
                g_runs++;
                same_run(whole, r, c->what, "3-split", s * 10000u + t);
            }
        }
    }
    free(cuts);
    free(r);
    free(whole);
}

static void check_table(const http_case_t *t, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        check_case(&t[i]);
    }
}

/* Vector makers: text/plain required, cap CAP unless said. */
#define OK_BODY(what, in, body, rest)                                                              \
    {                                                                                              \
        what, L(in), CAP, 1, SMTPC_OK, 0, L(body), rest                                            \
    }
#define FAIL(what, in, rc)                                                                         \
    {                                                                                              \
        what, L(in), CAP, 1, rc, 0, L(""), NOCHECK                                                 \
    }
#define FAIL_BODY(what, in, rc, body)                                                              \
    {                                                                                              \
        what, L(in), CAP, 1, rc, 0, L(body), NOCHECK                                               \
    }

/* ------------------------------------------------------------ status --- */

static const http_case_t STATUS_CASES[] = {
    OK_BODY("200 OK", H200 CT "Content-Length: 5\r\n\r\nhello", "hello", 0),
    OK_BODY("HTTP/1.0 200", "HTTP/1.0 200 OK\r\n" CT "Content-Length: 5\r\n\r\nhello", "hello", 0),
    OK_BODY("empty reason after SP", "HTTP/1.1 200 \r\n" CT "Content-Length: 2\r\n\r\nab", "ab", 0),
    OK_BODY("no SP, no reason", "HTTP/1.1 200\r\n" CT "Content-Length: 2\r\n\r\nab", "ab", 0),
    OK_BODY("reason with HTAB, SP and obs-text",
            "HTTP/1.1 200 Tr\xc3\xa8s\tbien  ok\r\n" CT "Content-Length: 2\r\n\r\nab", "ab", 0),
    OK_BODY("LF line ends throughout",
            "HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 5\n\nhello", "hello", 0),
    OK_BODY("mixed CRLF and LF", "HTTP/1.1 200 OK\n" CT "Content-Length: 1\n\r\nz", "z", 0),
    {"301 redirect, rest not read", L("HTTP/1.1 301 Moved Permanently\r\nLocation: x\r\n\r\n"), CAP,
     1, SMTPC_ERR_HTTP_REDIRECT, 0, L(""), 15},
    {"302 redirect", L("HTTP/1.1 302 Found\r\n"), CAP, 1, SMTPC_ERR_HTTP_REDIRECT, 0, L(""), 0},
    {"303 redirect", L("HTTP/1.1 303 See Other\r\n"), CAP, 1, SMTPC_ERR_HTTP_REDIRECT, 0, L(""), 0},
    {"307 redirect", L("HTTP/1.1 307 Temporary Redirect\r\nLocation: y\r\n"), CAP, 1,
     SMTPC_ERR_HTTP_REDIRECT, 0, L(""), 13},
    {"308 redirect", L("HTTP/1.0 308 Permanent Redirect\r\n\r\n"), CAP, 1, SMTPC_ERR_HTTP_REDIRECT,
     0, L(""), 2},
    {"300 redirect", L("HTTP/1.1 300 \r\n"), CAP, 1, SMTPC_ERR_HTTP_REDIRECT, 0, L(""), 0},
    {"304 is a refusal, not a redirect", L("HTTP/1.1 304 Not Modified\r\n\r\n"), CAP, 1,
     SMTPC_ERR_HTTP_STATUS, 0, L(""), 2},
    {"404", L("HTTP/1.1 404 Not Found\r\n" CT "Content-Length: 3\r\n\r\nabc"), CAP, 1,
     SMTPC_ERR_HTTP_STATUS, 0, L(""), 50},
    {"500", L("HTTP/1.1 500 Internal Server Error\r\n"), CAP, 1, SMTPC_ERR_HTTP_STATUS, 0, L(""),
     0},
    {"204 (no body) never succeeds", L("HTTP/1.1 204 No Content\r\n\r\n"), CAP, 1,
     SMTPC_ERR_HTTP_STATUS, 0, L(""), 2},
    {"206 partial never succeeds", L("HTTP/1.1 206 Partial Content\r\n" CT), CAP, 1,
     SMTPC_ERR_HTTP_STATUS, 0, L(""), 26},
    {"100 continue is a refusal", L("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"), CAP, 1,
     SMTPC_ERR_HTTP_STATUS, 0, L(""), 19},
    {"201 is not 200", L("HTTP/1.1 201 Created\r\n"), CAP, 1, SMTPC_ERR_HTTP_STATUS, 0, L(""), 0},
    {"599", L("HTTP/1.1 599 x\r\n"), CAP, 1, SMTPC_ERR_HTTP_STATUS, 0, L(""), 0},
    {"404 without reason", L("HTTP/1.1 404\n"), CAP, 1, SMTPC_ERR_HTTP_STATUS, 0, L(""), 0},
    FAIL("HTTP/2", "HTTP/2 200 OK\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("HTTP/2.0", "HTTP/2.0 200 OK\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("HTTP/1.2", "HTTP/1.2 200 OK\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("HTTP/1.10", "HTTP/1.10 200 OK\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("HTTP/0.9", "HTTP/0.9 200 OK\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("four digits", "HTTP/1.1 2000 OK\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("four digits, no reason", "HTTP/1.1 2000\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("two digits", "HTTP/1.1 20 OK\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("two digits, no reason", "HTTP/1.1 20\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("no digits", "HTTP/1.1 OK\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("no code at all", "HTTP/1.1\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("letter in code", "HTTP/1.1 2a0 OK\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("code 099", "HTTP/1.1 099 x\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("code 000", "HTTP/1.1 000 x\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("code 600", "HTTP/1.1 600 x\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("lowercase http", "http/1.1 200 OK\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("two SP before code", "HTTP/1.1  200 OK\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("HTAB before code", "HTTP/1.1\t200 OK\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("no SP after code", "HTTP/1.1 200OK\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("HTAB after code", "HTTP/1.1 200\tOK\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("leading SP", " HTTP/1.1 200 OK\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("leading empty line", "\r\nHTTP/1.1 200 OK\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("not HTTP", "ICY 200 OK\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("SMTP greeting", "220 mx.example.com ESMTP\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("NUL in reason", "HTTP/1.1 200 O\0K\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("DEL in reason", "HTTP/1.1 200 O\x7fK\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("bare CR in reason", "HTTP/1.1 200 O\rK\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("CR CR LF", "HTTP/1.1 200 OK\r\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("bare CR instead of CRLF", "HTTP/1.1 200 OK\r" CT "\r\n", SMTPC_ERR_HTTP_SYNTAX),
    {"nothing then close", L(""), CAP, 1, SMTPC_ERR_NET_CLOSED, 1, L(""), 0},
    {"truncated status line", L("HTTP/1.1 20"), CAP, 1, SMTPC_ERR_NET_CLOSED, 1, L(""), 0},
    {"status line without line end", L("HTTP/1.1 200 OK"), CAP, 1, SMTPC_ERR_NET_CLOSED, 1, L(""),
     0},
    {"status line ending in CR", L("HTTP/1.1 200 OK\r"), CAP, 1, SMTPC_ERR_NET_CLOSED, 1, L(""), 0},
};

static void test_http_status_lines_expected(void **state)
{
    (void)state;
    check_table(STATUS_CASES, sizeof(STATUS_CASES) / sizeof(STATUS_CASES[0]));
}

/* ------------------------------------------------------ content type --- */

#define CL2 "Content-Length: 2\r\n\r\nab"

static const http_case_t TYPE_CASES[] = {
    OK_BODY("charset parameter", H200 "Content-Type: text/plain; charset=utf-8\r\n" CL2, "ab", 0),
    OK_BODY("upper case", H200 "Content-Type: TEXT/PLAIN\r\n" CL2, "ab", 0),
    OK_BODY("mixed case, OWS before ';'",
            H200 "Content-Type: Text/Plain ;charset=\"utf-8\"\r\n" CL2, "ab", 0),
    OK_BODY("lower-case field name, no OWS", H200 "content-type:text/plain\r\n" CL2, "ab", 0),
    OK_BODY("upper-case field name", H200 "CONTENT-TYPE: text/plain\r\n" CL2, "ab", 0),
    OK_BODY("trailing OWS", H200 "Content-Type: \t text/plain \t \r\n" CL2, "ab", 0),
    OK_BODY("empty parameter list", H200 "Content-Type: text/plain;\r\n" CL2, "ab", 0),
    OK_BODY("repeated, both text/plain",
            H200 CT "Content-Type: text/plain; charset=us-ascii\r\n" CL2, "ab", 0),
    FAIL("text/plainx", H200 "Content-Type: text/plainx\r\n" CL2, SMTPC_ERR_HTTP_TYPE),
    FAIL("text/html", H200 "Content-Type: text/html\r\n" CL2, SMTPC_ERR_HTTP_TYPE),
    FAIL("text/plai", H200 "Content-Type: text/plai\r\n" CL2, SMTPC_ERR_HTTP_TYPE),
    FAIL("text only", H200 "Content-Type: text\r\n" CL2, SMTPC_ERR_HTTP_TYPE),
    FAIL("spaces inside", H200 "Content-Type: text / plain\r\n" CL2, SMTPC_ERR_HTTP_TYPE),
    FAIL("list", H200 "Content-Type: text/plain, text/html\r\n" CL2, SMTPC_ERR_HTTP_TYPE),
    FAIL("junk after the type", H200 "Content-Type: text/plain x\r\n" CL2, SMTPC_ERR_HTTP_TYPE),
    FAIL("empty value", H200 "Content-Type:\r\n" CL2, SMTPC_ERR_HTTP_TYPE),
    FAIL("missing", H200 CL2, SMTPC_ERR_HTTP_TYPE),
    FAIL("missing, chunked", H200 CHUNKED "\r\n2\r\nab\r\n0\r\n\r\n", SMTPC_ERR_HTTP_TYPE),
    FAIL("missing, close-delimited", H200 "\r\nab", SMTPC_ERR_HTTP_TYPE),
    FAIL("missing, no header at all", H200 "\r\n", SMTPC_ERR_HTTP_TYPE),
    FAIL("repeated, second one text/html", H200 CT "Content-Type: text/html\r\n" CL2,
         SMTPC_ERR_HTTP_TYPE),
    FAIL("repeated, first one text/html", H200 "Content-Type: text/html\r\n" CT CL2,
         SMTPC_ERR_HTTP_TYPE),
    FAIL("field name misspelt", H200 "Content-Typ: text/plain\r\n" CL2, SMTPC_ERR_HTTP_TYPE),
    FAIL("space before the colon is syntax, not type", H200 "Content-Type : text/plain\r\n" CL2,
         SMTPC_ERR_HTTP_SYNTAX),
    FAIL("a syntax error after a bad type is syntax",
         H200 "Content-Type: text/html\r\nContent-Length: x\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX),
    {"missing, not required", L(H200 CL2), CAP, 0, SMTPC_OK, 0, L("ab"), 0},
    {"text/html, not required", L(H200 "Content-Type: text/html\r\n" CL2), CAP, 0, SMTPC_OK, 0,
     L("ab"), 0},
    {"empty, not required", L(H200 "Content-Type:\r\n" CL2), CAP, 0, SMTPC_OK, 0, L("ab"), 0},
};

static void test_http_content_type_expected(void **state)
{
    (void)state;
    check_table(TYPE_CASES, sizeof(TYPE_CASES) / sizeof(TYPE_CASES[0]));
}

/* ---------------------------------------------------- content length --- */

static const http_case_t CLEN_CASES[] = {
    OK_BODY("exact body", H200 CT "Content-Length: 11\r\n\r\nhello world", "hello world", 0),
    OK_BODY("OWS around the value", H200 CT "Content-Length: \t 3 \t\r\n\r\nabc", "abc", 0),
    OK_BODY("no OWS, lower-case name", H200 CT "content-length:3\r\n\r\nabc", "abc", 0),
    OK_BODY("leading zeros", H200 CT "Content-Length: 00000000000000000003\r\n\r\nabc", "abc", 0),
    OK_BODY("repeated, same value", H200 CT "Content-Length: 3\r\nContent-Length: 003\r\n\r\nabc",
            "abc", 0),
    OK_BODY("zero: complete empty body", H200 CT "Content-Length: 0\r\n\r\n", "", 0),
    OK_BODY("zero: later bytes not consumed", H200 CT "Content-Length: 0\r\n\r\njunk", "", 4),
    OK_BODY("bytes after the body not consumed", H200 CT "Content-Length: 3\r\n\r\nabcEXTRA", "abc",
            5),
    OK_BODY("next response not consumed",
            H200 CT "Content-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\n\r\n", "x", 19),
    OK_BODY("body bytes are opaque (CR, LF, NUL)",
            H200 CT "Content-Length: 6\r\n\r\n\r\n\0\r\x7f\n", "\r\n\0\r\x7f\n", 0),
    OK_BODY("exactly at the cap",
            H200 CT "Content-Length: 64\r\n\r\n"
                    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 0),
    {"one beyond the cap: nothing reaches the sink",
     L(H200 CT "Content-Length: 65\r\n\r\n"
               "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefX"),
     CAP, 1, SMTPC_ERR_HTTP_TOO_LARGE, 0, L(""), 65},
    {"largest 32-bit value: too large", L(H200 CT "Content-Length: 4294967295\r\n\r\nabc"), CAP, 1,
     SMTPC_ERR_HTTP_TOO_LARGE, 0, L(""), 3},
    {"cap 0, length 1", L(H200 CT "Content-Length: 1\r\n\r\na"), 0, 1, SMTPC_ERR_HTTP_TOO_LARGE, 0,
     L(""), 1},
    {"cap 0, length 0", L(H200 CT "Content-Length: 0\r\n\r\n"), 0, 1, SMTPC_OK, 0, L(""), 0},
    {"short body then close", L(H200 CT "Content-Length: 10\r\n\r\nhello"), CAP, 1,
     SMTPC_ERR_NET_CLOSED, 1, L("hello"), 0},
    {"no body then close", L(H200 CT "Content-Length: 10\r\n\r\n"), CAP, 1, SMTPC_ERR_NET_CLOSED, 1,
     L(""), 0},
    {"close inside the header", L(H200 CT "Content-Length: 10\r\n"), CAP, 1, SMTPC_ERR_NET_CLOSED,
     1, L(""), 0},
    {"close inside a header line", L(H200 CT "Content-Len"), CAP, 1, SMTPC_ERR_NET_CLOSED, 1, L(""),
     0},
    FAIL("repeated, different values", H200 CT "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
         SMTPC_ERR_HTTP_SYNTAX),
    FAIL("repeated, different values, chunked too",
         H200 CT CHUNKED "Content-Length: 3\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
         SMTPC_ERR_HTTP_SYNTAX),
    FAIL("list of equal values", H200 CT "Content-Length: 3, 3\r\n\r\nabc", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("trailing letter", H200 CT "Content-Length: 5a\r\n\r\nhello", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("hex", H200 CT "Content-Length: 0x5\r\n\r\nhello", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("sign +", H200 CT "Content-Length: +5\r\n\r\nhello", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("sign -", H200 CT "Content-Length: -5\r\n\r\nhello", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("two numbers", H200 CT "Content-Length: 5 5\r\n\r\nhello", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("empty", H200 CT "Content-Length:\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("blanks only", H200 CT "Content-Length:  \t\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("2^32 overflows", H200 CT "Content-Length: 4294967296\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("2^32 + 5 overflows (would wrap to 5)", H200 CT "Content-Length: 4294967301\r\n\r\nhello",
         SMTPC_ERR_HTTP_SYNTAX),
    FAIL("20 digits", H200 CT "Content-Length: 99999999999999999999\r\n\r\n",
         SMTPC_ERR_HTTP_SYNTAX),
    FAIL("10 digits over 2^32", H200 CT "Content-Length: 9999999999\r\n\r\n",
         SMTPC_ERR_HTTP_SYNTAX),
};

static void test_http_content_length_expected(void **state)
{
    (void)state;
    check_table(CLEN_CASES, sizeof(CLEN_CASES) / sizeof(CLEN_CASES[0]));
}

/* ----------------------------------------------------------- chunked --- */

#define HC H200 CT CHUNKED "\r\n"

static const http_case_t CHUNK_CASES[] = {
    OK_BODY("several chunks", HC "5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n", "hello world",
            0),
    OK_BODY("one chunk", HC "3\r\nabc\r\n0\r\n\r\n", "abc", 0),
    OK_BODY("no chunk: empty body", HC "0\r\n\r\n", "", 0),
    OK_BODY("chunk extensions",
            HC "5;name=val\r\nhello\r\n6 ;x;y=\"q;r\"\r\n world\r\n0\t; last\r\n\r\n",
            "hello world", 0),
    OK_BODY("extension without name", HC "3;\r\nabc\r\n0\r\n\r\n", "abc", 0),
    OK_BODY("trailers", HC "3\r\nabc\r\n0\r\nX-Trailer: 1\r\nExpires:\r\n\r\n", "abc", 0),
    OK_BODY("upper-case hex", HC "A\r\n0123456789\r\n0\r\n\r\n", "0123456789", 0),
    OK_BODY("lower-case hex", HC "a\r\n0123456789\r\n0\r\n\r\n", "0123456789", 0),
    OK_BODY("leading zeros", HC "0000000000000003\r\nabc\r\n000\r\n\r\n", "abc", 0),
    OK_BODY("LF line ends", H200 CT CHUNKED "\n3\nabc\n0\n\n", "abc", 0),
    OK_BODY("chunk data is opaque", HC "4\r\n\r\n0\n\r\n0\r\n\r\n", "\r\n0\n", 0),
    OK_BODY("name case-insensitive",
            H200 CT "transfer-encoding:   CHUNKED  \r\n\r\n3\r\nabc\r\n0\r\n\r\n", "abc", 0),
    OK_BODY("chunked wins over Content-Length",
            H200 CT "Content-Length: 3\r\n" CHUNKED "\r\n5\r\nhello\r\n0\r\n\r\n", "hello", 0),
    OK_BODY("chunked wins over a later Content-Length",
            H200 CT CHUNKED "Content-Length: 3\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "hello", 0),
    OK_BODY("chunked wins over a Content-Length beyond the cap",
            H200 CT CHUNKED "Content-Length: 1000000\r\n\r\n2\r\nok\r\n0\r\n\r\n", "ok", 0),
    OK_BODY("bytes after the end not consumed", HC "2\r\nok\r\n0\r\n\r\nNEXT", "ok", 4),
    OK_BODY("exactly at the cap across chunks",
            HC "20\r\n0123456789abcdef0123456789abcdef\r\n"
               "20\r\n0123456789abcdef0123456789abcdef\r\n0\r\n\r\n",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 0),
    {"one beyond the cap across chunks",
     L(HC "20\r\n0123456789abcdef0123456789abcdef\r\n"
          "21\r\n0123456789abcdef0123456789abcdef!\r\n0\r\n\r\n"),
     CAP, 1, SMTPC_ERR_HTTP_TOO_LARGE, 0, L("0123456789abcdef0123456789abcdef"), 40},
    {"cap exceeded by the third chunk", L(HC "3\r\nabc\r\n3\r\ndef\r\n3\r\nghi\r\n0\r\n\r\n"), 8, 1,
     SMTPC_ERR_HTTP_TOO_LARGE, 0, L("abcdef"), 10},
    {"largest size: too large", L(HC "FFFFFFFF\r\nabc"), CAP, 1, SMTPC_ERR_HTTP_TOO_LARGE, 0, L(""),
     3},
    FAIL("size overflows 32 bits", HC "100000000\r\nabc\r\n0\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("size overflows, leading zeros fine", HC "0000FFFFFFFFF\r\nabc\r\n0\r\n\r\n",
         SMTPC_ERR_HTTP_SYNTAX),
    FAIL("size of 64 bits wraps to 3", HC "10000000000000003\r\nabc\r\n0\r\n\r\n",
         SMTPC_ERR_HTTP_SYNTAX),
    FAIL_BODY("missing CRLF after data", HC "3\r\nabcd\r\n0\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX, "abc"),
    FAIL_BODY("CR then junk after data", HC "3\r\nabc\rX\n0\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX, "abc"),
    FAIL_BODY("CR CR after data", HC "3\r\nabc\r\r\n0\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX, "abc"),
    FAIL("empty size line", HC "\r\nabc\r\n0\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("non-hex size", HC "g\r\nabc\r\n0\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("size then junk", HC "3x\r\nabc\r\n0\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("signed size", HC "-3\r\nabc\r\n0\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("0x prefix", HC "0x3\r\nabc\r\n0\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("leading blank", HC " 3\r\nabc\r\n0\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("trailing blank without extension", HC "3 \r\nabc\r\n0\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("bare CR in extension", HC "3;a\rb\r\nabc\r\n0\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("NUL in extension", HC "3;a\0b\r\nabc\r\n0\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("trailer obs-fold", HC "0\r\nX-A: 1\r\n 2\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("trailer without colon", HC "0\r\ngarbage\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("trailer with bare CR", HC "0\r\nX-A: 1\r\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("transfer-coding gzip", H200 CT "Transfer-Encoding: gzip\r\n\r\nabc",
         SMTPC_ERR_HTTP_SYNTAX),
    FAIL("transfer-coding gzip, chunked",
         H200 CT "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("transfer-coding chunked, chunked",
         H200 CT "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("transfer-coding identity", H200 CT "Transfer-Encoding: identity\r\n\r\nabc",
         SMTPC_ERR_HTTP_SYNTAX),
    FAIL("transfer-coding empty", H200 CT "Transfer-Encoding:\r\n\r\nabc", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("transfer-coding with parameter",
         H200 CT "Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("two chunked fields (chunked twice)", H200 CT CHUNKED CHUNKED "\r\n0\r\n\r\n",
         SMTPC_ERR_HTTP_SYNTAX),
    FAIL("gzip after chunked", H200 CT CHUNKED "Transfer-Encoding: gzip\r\n\r\n0\r\n\r\n",
         SMTPC_ERR_HTTP_SYNTAX),
    FAIL("Transfer-Encoding in HTTP/1.0", "HTTP/1.0 200 OK\r\n" CT CHUNKED "\r\n0\r\n\r\n",
         SMTPC_ERR_HTTP_SYNTAX),
    {"close in a size line", L(HC "3\r\nabc\r\n1"), CAP, 1, SMTPC_ERR_NET_CLOSED, 1, L("abc"), 0},
    {"close before a size line", L(HC), CAP, 1, SMTPC_ERR_NET_CLOSED, 1, L(""), 0},
    {"close in chunk data", L(HC "5\r\nhel"), CAP, 1, SMTPC_ERR_NET_CLOSED, 1, L("hel"), 0},
    {"close before the CRLF after data", L(HC "3\r\nabc"), CAP, 1, SMTPC_ERR_NET_CLOSED, 1,
     L("abc"), 0},
    {"close between CR and LF after data", L(HC "3\r\nabc\r"), CAP, 1, SMTPC_ERR_NET_CLOSED, 1,
     L("abc"), 0},
    {"close after the last chunk", L(HC "3\r\nabc\r\n0\r\n"), CAP, 1, SMTPC_ERR_NET_CLOSED, 1,
     L("abc"), 0},
    {"close in a trailer", L(HC "3\r\nabc\r\n0\r\nX-A: 1\r\n"), CAP, 1, SMTPC_ERR_NET_CLOSED, 1,
     L("abc"), 0},
};

static void test_http_chunked_expected(void **state)
{
    (void)state;
    check_table(CHUNK_CASES, sizeof(CHUNK_CASES) / sizeof(CHUNK_CASES[0]));
}

/* ---------------------------------------------------- close-delimited --- */

static const http_case_t CLOSE_CASES[] = {
    {"close completes the body", L(H200 CT "\r\nhello world"), CAP, 1, SMTPC_OK, 1,
     L("hello world"), 0},
    {"empty body", L(H200 CT "\r\n"), CAP, 1, SMTPC_OK, 1, L(""), 0},
    {"HTTP/1.0", L("HTTP/1.0 200 OK\r\n" CT "\r\nabc"), CAP, 1, SMTPC_OK, 1, L("abc"), 0},
    {"body bytes are opaque", L(H200 CT "\r\n\r\r\0\n"), CAP, 1, SMTPC_OK, 1, L("\r\r\0\n"), 0},
    {"exactly at the cap", L(H200 CT "\r\nhello"), 5, 1, SMTPC_OK, 1, L("hello"), 0},
    {"one beyond the cap: the cap's worth is delivered", L(H200 CT "\r\nhello!"), 5, 1,
     SMTPC_ERR_HTTP_TOO_LARGE, 0, L("hello"), 0},
    {"beyond the cap, more follows", L(H200 CT "\r\nhello world"), 4, 1, SMTPC_ERR_HTTP_TOO_LARGE,
     0, L("hell"), 6},
    {"cap 0, one byte", L(H200 CT "\r\nx"), 0, 1, SMTPC_ERR_HTTP_TOO_LARGE, 0, L(""), 0},
    {"cap 0, empty", L(H200 CT "\r\n"), 0, 1, SMTPC_OK, 1, L(""), 0},
};

static void test_http_close_delimited_expected(void **state)
{
    (void)state;
    check_table(CLOSE_CASES, sizeof(CLOSE_CASES) / sizeof(CLOSE_CASES[0]));
}

/* ------------------------------------------------------ header lines --- */

static const http_case_t HEADER_CASES[] = {
    OK_BODY("unknown fields ignored, empty value fine",
            H200 "Server: x\r\nX-Empty:\r\nX-Blank:   \r\n" CT CL2, "ab", 0),
    OK_BODY("every tchar in a name", H200 "X-!#$%&'*+.^_`|~09az: v\r\n" CT CL2, "ab", 0),
    OK_BODY("obs-text and HTAB in a value", H200 "X-A: caf\xc3\xa9\tok\r\n" CT CL2, "ab", 0),
    OK_BODY("colon in a value", H200 "Date: Tue, 15 Nov 1994 08:12:31 GMT\r\n" CT CL2, "ab", 0),
    FAIL("bare CR inside a header line", H200 "Content-Type: text/plain\rX-A: b\r\n" CL2,
         SMTPC_ERR_HTTP_SYNTAX),
    FAIL("bare CR ending a header line", H200 CT "X-A: b\r\r\n" CL2, SMTPC_ERR_HTTP_SYNTAX),
    FAIL("bare CR as the empty line", H200 CT "Content-Length: 2\r\n\rab", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("obs-fold with SP", H200 CT "X-A: b\r\n c\r\n" CL2, SMTPC_ERR_HTTP_SYNTAX),
    FAIL("obs-fold with HTAB", H200 CT "X-A: b\r\n\tc\r\n" CL2, SMTPC_ERR_HTTP_SYNTAX),
    FAIL("whitespace before the first field", H200 " " CT CL2, SMTPC_ERR_HTTP_SYNTAX),
    FAIL("space before the colon", H200 CT "Content-Length : 2\r\n\r\nab", SMTPC_ERR_HTTP_SYNTAX),
    FAIL("HTAB before the colon", H200 CT "X-A\t: b\r\n" CL2, SMTPC_ERR_HTTP_SYNTAX),
    FAIL("no colon", H200 CT "Garbage\r\n" CL2, SMTPC_ERR_HTTP_SYNTAX),
    FAIL("empty name", H200 CT ": v\r\n" CL2, SMTPC_ERR_HTTP_SYNTAX),
    FAIL("non-token name", H200 CT "X@Y: v\r\n" CL2, SMTPC_ERR_HTTP_SYNTAX),
    FAIL("non-ASCII name", H200 CT "X\xc3\xa9: v\r\n" CL2, SMTPC_ERR_HTTP_SYNTAX),
    FAIL("NUL in a value", H200 CT "X-A: a\0b\r\n" CL2, SMTPC_ERR_HTTP_SYNTAX),
    FAIL("DEL in a value", H200 CT "X-A: a\x7f\r\n" CL2, SMTPC_ERR_HTTP_SYNTAX),
    FAIL("ESC in a value", H200 CT "X-A: \x1b[0m\r\n" CL2, SMTPC_ERR_HTTP_SYNTAX),
    FAIL("request line instead of a field", H200 "GET / HTTP/1.1\r\n" CT CL2,
         SMTPC_ERR_HTTP_SYNTAX),
};

static void test_http_header_lines_expected(void **state)
{
    (void)state;
    check_table(HEADER_CASES, sizeof(HEADER_CASES) / sizeof(HEADER_CASES[0]));
}

/* Builds H200 CT, then a field line of exactly @p line_len bytes (line end
 * included, CRLF when crlf else LF), then CL2, into a heap buffer. */
static char *long_line_response(size_t line_len, int crlf, size_t *len)
{
    static const char head[] = H200 CT;
    static const char tail[] = CL2;
    size_t end = crlf ? 2u : 1u;
    size_t n = (sizeof(head) - 1u) + line_len + (sizeof(tail) - 1u);
    char *b = malloc(n);
    char *q = b;
    assert_non_null(b);
    assert_true(line_len >= 6u + end);
    memcpy(q, head, sizeof(head) - 1u);
    q += sizeof(head) - 1u;
    memcpy(q, "X-A: ", 5);
    memset(q + 5, 'v', line_len - 5u - end);
    q += line_len - end;
    memcpy(q, crlf ? "\r\n" : "\n", end);
    q += end;
    memcpy(q, tail, sizeof(tail) - 1u);
    *len = n;
    return b;
}

static void test_http_line_max_boundary(void **state)
{
    int crlf;
    (void)state;
    for (crlf = 0; crlf <= 1; crlf++) {
        size_t len;
        char *b = long_line_response(SMTPC_HTTP_LINE_MAX, crlf, &len);
        http_case_t c = {"line of SMTPC_HTTP_LINE_MAX", b, len, CAP, 1, SMTPC_OK, 0, L("ab"), 0};
        check_case(&c);
        free(b);
        b = long_line_response(SMTPC_HTTP_LINE_MAX + 1u, crlf, &len);
        c.what = "line of SMTPC_HTTP_LINE_MAX + 1";
        c.in = b;
        c.len = len;
        c.rc = SMTPC_ERR_HTTP_SYNTAX;
        c.body_len = 0;
        c.rest = NOCHECK;
        check_case(&c);
        free(b);
    }
}

static void test_http_long_lines_syntax(void **state)
{
    /* Status line, chunk-size line (extensions) and trailer line over the
     * cap; and a header line far over it, which must not overrun the buffer. */
    static const char *const prefixes[] = {"HTTP/1.1 200 ", HC "3;", HC "0\r\nX-T: ", H200 "X-A: "};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t pl = strlen(prefixes[i]);
        size_t n = pl + 3u * SMTPC_HTTP_LINE_MAX + 2u;
        char *b = malloc(n);
        http_case_t c = {"long line", b, n, CAP, 1, SMTPC_ERR_HTTP_SYNTAX, 0, L(""), NOCHECK};
        assert_non_null(b);
        memcpy(b, prefixes[i], pl);
        memset(b + pl, 'x', n - pl - 2u);
        memcpy(b + n - 2u, "\r\n", 2);
        check_case(&c);
        free(b);
    }
}

/* H200 CT then @p extra more field lines, then CL2. */
static char *many_headers_response(size_t extra, size_t *len)
{
    static const char head[] = H200 CT;
    static const char field[] = "X-F: 1\r\n";
    static const char tail[] = CL2;
    size_t n = (sizeof(head) - 1u) + extra * (sizeof(field) - 1u) + (sizeof(tail) - 1u);
    char *b = malloc(n);
    char *q = b;
    size_t i;
    assert_non_null(b);
    memcpy(q, head, sizeof(head) - 1u);
    q += sizeof(head) - 1u;
    for (i = 0; i < extra; i++) {
        memcpy(q, field, sizeof(field) - 1u);
        q += sizeof(field) - 1u;
    }
    memcpy(q, tail, sizeof(tail) - 1u);
    *len = n;
    return b;
}

static void test_http_max_headers_boundary(void **state)
{
    size_t len;
    /* CT and Content-Length are header lines too. */
    char *b = many_headers_response(SMTPC_HTTP_MAX_HEADERS - 2u, &len);
    http_case_t c = {"SMTPC_HTTP_MAX_HEADERS lines", b, len, CAP, 1, SMTPC_OK, 0, L("ab"), 0};
    (void)state;
    check_case(&c);
    free(b);
    b = many_headers_response(SMTPC_HTTP_MAX_HEADERS - 1u, &len);
    c.what = "SMTPC_HTTP_MAX_HEADERS + 1 lines";
    c.in = b;
    c.len = len;
    c.rc = SMTPC_ERR_HTTP_SYNTAX;
    c.body_len = 0;
    c.rest = NOCHECK;
    check_case(&c);
    free(b);
}

static void test_http_trailers_count_with_headers(void **state)
{
    /* Two header lines (CT, TE), then trailers up to the shared limit. */
    static const char head[] = HC "0\r\n";
    static const char field[] = "X-T: 1\r\n";
    size_t k;
    (void)state;
    for (k = SMTPC_HTTP_MAX_HEADERS - 2u; k <= SMTPC_HTTP_MAX_HEADERS - 1u; k++) {
        size_t n = (sizeof(head) - 1u) + k * (sizeof(field) - 1u) + 2u;
        char *b = malloc(n);
        char *q = b;
        size_t i;
        http_case_t c = {"trailers", b, n, CAP, 1, SMTPC_OK, 0, L(""), 0};
        assert_non_null(b);
        memcpy(q, head, sizeof(head) - 1u);
        q += sizeof(head) - 1u;
        for (i = 0; i < k; i++) {
            memcpy(q, field, sizeof(field) - 1u);
            q += sizeof(field) - 1u;
        }
        memcpy(q, "\r\n", 2);
        if (k == SMTPC_HTTP_MAX_HEADERS - 1u) {
            c.rc = SMTPC_ERR_HTTP_SYNTAX;
            c.rest = NOCHECK;
        }
        check_case(&c);
        free(b);
    }
}

/* -------------------------------------------------------------- sink --- */

static void check_sink_failure(const char *in, size_t len, size_t fail_after, int fail_rc,
                               int want_rc, size_t want_body)
{
    run_t *r = malloc(sizeof(run_t));
    size_t *cuts = malloc((len + 3u) * sizeof(size_t));
    size_t s;
    assert_non_null(r);
    assert_non_null(cuts);
    /* Whole, every two-piece split, bytewise: the same result, and the sink
     * never got more than it accepted plus the refused call. */
    for (s = 0; s <= len + 1u; s++) {
        size_t ncuts = 2;
        size_t k;
        if (s <= len) {
            cuts[0] = s;
            cuts[1] = len;
        } else {
            for (k = 0; k < len; k++) {
                cuts[k] = k + 1u;
            }
            ncuts = len;
        }
        run_pieces((const uint8_t *)in, len, cuts, ncuts, CAP, 1, fail_rc, fail_after, r);
        assert_int_equal(r->rc, want_rc);
        assert_int_not_equal(r->rc_before_eof, SMTPC_IN_PROGRESS);
        assert_true(r->sink.len <= want_body);
    }
    free(cuts);
    free(r);
}

static void test_http_sink_error_propagates(void **state)
{
    static const char clen[] = H200 CT "Content-Length: 11\r\n\r\nhello world";
    static const char chunked[] = HC "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    static const char closed[] = H200 CT "\r\nhello world";
    (void)state;
    check_sink_failure(L(clen), 0, SMTPC_ERR_ABORTED, SMTPC_ERR_ABORTED, 0);
    check_sink_failure(L(clen), 6, SMTPC_ERR_FLASH_IO, SMTPC_ERR_FLASH_IO, 6);
    check_sink_failure(L(chunked), 0, SMTPC_ERR_ABORTED, SMTPC_ERR_ABORTED, 0);
    check_sink_failure(L(chunked), 5, SMTPC_ERR_NO_SPACE, SMTPC_ERR_NO_SPACE, 5);
    check_sink_failure(L(closed), 3, SMTPC_ERR_ABORTED, SMTPC_ERR_ABORTED, 3);
    /* A positive value is no error code: it must not become a sticky
     * "in progress". */
    check_sink_failure(L(clen), 0, SMTPC_IN_PROGRESS, SMTPC_ERR_INTERNAL, 0);
    check_sink_failure(L(closed), 0, 7, SMTPC_ERR_INTERNAL, 0);
}

static void test_http_sink_error_on_close_delimited_before_cap(void **state)
{
    /* The sink refuses the bytes up to the cap: its error wins over
     * TOO_LARGE, which was not reached. */
    static const char in[] = H200 CT "\r\nhello world";
    run_t *r = malloc(sizeof(run_t));
    size_t len = sizeof(in) - 1u;
    (void)state;
    assert_non_null(r);
    run_pieces((const uint8_t *)in, len, &len, 1, 4, 1, SMTPC_ERR_ABORTED, 0, r);
    assert_int_equal(r->rc, SMTPC_ERR_ABORTED);
    free(r);
}

static void test_http_null_sink_discards(void **state)
{
    static const char in[] = HC "5\r\nhello\r\n0\r\n\r\n";
    smtpc_http_parser_t p;
    size_t used = 0;
    (void)state;
    smtpc_http_parser_init(&p, CAP, 1);
    assert_int_equal(smtpc_http_parse(&p, (const uint8_t *)in, sizeof(in) - 1u, &used, NULL, NULL),
                     SMTPC_OK);
    assert_int_equal(used, sizeof(in) - 1u);
    assert_int_equal(p.body_len, 5);
    assert_int_equal(p.status, 200);
}

/* ------------------------------------------------------------ sticky --- */

static void test_http_sticky_after_completion(void **state)
{
    static const char in[] = H200 CT "Content-Length: 2\r\n\r\nabHTTP/1.1 404 x\r\n";
    smtpc_http_parser_t p;
    sink_t s;
    size_t used = 0;
    (void)state;
    memset(&s, 0, sizeof(s));
    s.cap = CAP;
    smtpc_http_parser_init(&p, CAP, 1);
    assert_int_equal(smtpc_http_parse(&p, (const uint8_t *)in, sizeof(in) - 1u, &used, sink_fn, &s),
                     SMTPC_OK);
    assert_int_equal(used, sizeof(in) - 1u - 16u);
    assert_int_equal(s.len, 2);
    /* The rest, fed again, is not parsed: same result, nothing consumed. */
    assert_int_equal(smtpc_http_parse(&p, (const uint8_t *)in + used, 16, &used, sink_fn, &s),
                     SMTPC_OK);
    assert_int_equal(used, 0);
    assert_int_equal(smtpc_http_parse(&p, NULL, 0, &used, sink_fn, &s), SMTPC_OK);
    assert_int_equal(smtpc_http_parse_eof(&p), SMTPC_OK);
    assert_int_equal(smtpc_http_parse(&p, (const uint8_t *)"x", 1, &used, sink_fn, &s), SMTPC_OK);
    assert_int_equal(used, 0);
    assert_int_equal(s.len, 2);
    assert_int_equal(s.calls, 1);
    assert_int_equal(p.status, 200);
    assert_int_equal(p.body_len, 2);
}

static void test_http_sticky_after_error(void **state)
{
    static const char in[] = "HTTP/1.1 404 Not Found\r\n";
    smtpc_http_parser_t p;
    size_t used = 0;
    (void)state;
    smtpc_http_parser_init(&p, CAP, 1);
    assert_int_equal(smtpc_http_parse(&p, (const uint8_t *)in, sizeof(in) - 1u, &used, NULL, NULL),
                     SMTPC_ERR_HTTP_STATUS);
    assert_int_equal(p.status, 404);
    assert_int_equal(smtpc_http_parse_eof(&p), SMTPC_ERR_HTTP_STATUS);
    assert_int_equal(smtpc_http_parse(&p, (const uint8_t *)in, sizeof(in) - 1u, &used, NULL, NULL),
                     SMTPC_ERR_HTTP_STATUS);
    assert_int_equal(used, 0);
    /* A truncated response: the close error sticks as well. */
    smtpc_http_parser_init(&p, CAP, 1);
    assert_int_equal(smtpc_http_parse(&p, (const uint8_t *)in, 5, &used, NULL, NULL),
                     SMTPC_IN_PROGRESS);
    assert_int_equal(smtpc_http_parse_eof(&p), SMTPC_ERR_NET_CLOSED);
    assert_int_equal(smtpc_http_parse(&p, (const uint8_t *)in, 1, &used, NULL, NULL),
                     SMTPC_ERR_NET_CLOSED);
    assert_int_equal(used, 0);
    assert_int_equal(smtpc_http_parse_eof(&p), SMTPC_ERR_NET_CLOSED);
}

static void test_http_parser_reinit_reuses(void **state)
{
    static const char bad[] = "HTTP/1.1 301 x\r\n";
    static const char good[] = H200 CT "Content-Length: 2\r\n\r\nok";
    smtpc_http_parser_t p;
    size_t used = 0;
    (void)state;
    smtpc_http_parser_init(&p, CAP, 1);
    assert_int_equal(
        smtpc_http_parse(&p, (const uint8_t *)bad, sizeof(bad) - 1u, &used, NULL, NULL),
        SMTPC_ERR_HTTP_REDIRECT);
    smtpc_http_parser_init(&p, CAP, 1);
    assert_int_equal(
        smtpc_http_parse(&p, (const uint8_t *)good, sizeof(good) - 1u, &used, NULL, NULL),
        SMTPC_OK);
}

static void test_http_bad_args(void **state)
{
    smtpc_http_parser_t p;
    size_t used = 99;
    (void)state;
    smtpc_http_parser_init(NULL, CAP, 1); /* no crash */
    smtpc_http_parser_init(&p, CAP, 1);
    assert_int_equal(smtpc_http_parse(NULL, (const uint8_t *)"H", 1, &used, NULL, NULL),
                     SMTPC_ERR_BAD_ARG);
    assert_int_equal(used, 0);
    assert_int_equal(smtpc_http_parse(&p, (const uint8_t *)"H", 1, NULL, NULL, NULL),
                     SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_http_parse(&p, NULL, 1, &used, NULL, NULL), SMTPC_ERR_BAD_ARG);
    /* Bad arguments leave the parser as it was. */
    assert_int_equal(smtpc_http_parse(&p, NULL, 0, &used, NULL, NULL), SMTPC_IN_PROGRESS);
    assert_int_equal(
        smtpc_http_parse(&p, (const uint8_t *)"HTTP/1.1 200 OK\r\n", 17, &used, NULL, NULL),
        SMTPC_IN_PROGRESS);
    assert_int_equal(smtpc_http_parse_eof(NULL), SMTPC_ERR_BAD_ARG);
}

static void test_http_uninitialised_parser_state(void **state)
{
    smtpc_http_parser_t p;
    size_t used = 99;
    (void)state;
    memset(&p, 0, sizeof(p));
    assert_int_equal(smtpc_http_parse(&p, (const uint8_t *)"HTTP", 4, &used, NULL, NULL),
                     SMTPC_ERR_STATE);
    assert_int_equal(smtpc_http_parse(&p, (const uint8_t *)"HTTP", 4, &used, NULL, NULL),
                     SMTPC_ERR_STATE);
    assert_int_equal(used, 0);
    memset(&p, 0, sizeof(p));
    assert_int_equal(smtpc_http_parse_eof(&p), SMTPC_ERR_STATE);
}

/* ----------------------------------------------------------- garbage --- */

static uint32_t g_xs = 0x2545f491u;

static uint32_t xorshift32(void)
{
    g_xs ^= g_xs << 13;
    g_xs ^= g_xs >> 17;
    g_xs ^= g_xs << 5;
    return g_xs;
}

static const char *const TOKENS[] = {"HTTP/1.1 ",
                                     "HTTP/1.0 ",
                                     "200",
                                     "301",
                                     "404",
                                     "500",
                                     "304",
                                     "100",
                                     "2000",
                                     " OK",
                                     "\r\n",
                                     "\r\n",
                                     "\n",
                                     "\r",
                                     ":",
                                     " ",
                                     "\t",
                                     ";",
                                     "=",
                                     "0",
                                     "1",
                                     "5",
                                     "a",
                                     "F",
                                     "ff",
                                     "10",
                                     "hello",
                                     "X-A: b",
                                     "Content-Type: text/plain",
                                     "Content-Type: text/html",
                                     "Content-Length: ",
                                     "Content-Length: 5",
                                     "Transfer-Encoding: chunked",
                                     "Transfer-Encoding: gzip",
                                     "chunked",
                                     "text/plain",
                                     "\r\n\r\n",
                                     "0\r\n\r\n",
                                     "5\r\nhello\r\n",
                                     "FFFFFFFFF",
                                     "\x00",
                                     "\x7f",
                                     "\xff"};

#define N_TOKENS        (sizeof(TOKENS) / sizeof(TOKENS[0]))
#define GARBAGE_INPUTS  20000u
#define GARBAGE_MAX_LEN 600u

static size_t garbage_make(uint8_t *b)
{
    static const char *const preludes[] = {"",
                                           "HTTP/1.1 ",
                                           H200,
                                           H200 CT,
                                           H200 CT CHUNKED "\r\n",
                                           H200 CT "Content-Length: 40\r\n\r\n",
                                           H200 CT "\r\n",
                                           "HTTP/1.0 200 OK\r\n" CT "\r\n"};
    size_t target = xorshift32() % (GARBAGE_MAX_LEN + 1u);
    const char *pre = preludes[xorshift32() % (sizeof(preludes) / sizeof(preludes[0]))];
    size_t n = strlen(pre);
    if (n > target) {
        n = target;
    }
    memcpy(b, pre, n);
    while (n < target) {
        uint32_t r = xorshift32();
        if (r % 8u == 0u) {
            b[n++] = (uint8_t)(r >> 8); /* any byte */
        } else {
            const char *t = TOKENS[(r >> 3) % N_TOKENS];
            size_t k = (t[0] == '\0') ? 1u : strlen(t); /* the "\x00" token is one NUL */
            size_t i;
            for (i = 0; i < k && n < target; i++) {
                b[n++] = (uint8_t)t[i];
            }
        }
    }
    return n;
}

static void test_http_garbage_defined(void **state)
{
    static const int allowed[] = {SMTPC_OK,
                                  SMTPC_ERR_HTTP_STATUS,
                                  SMTPC_ERR_HTTP_REDIRECT,
                                  SMTPC_ERR_HTTP_TYPE,
                                  SMTPC_ERR_HTTP_TOO_LARGE,
                                  SMTPC_ERR_HTTP_SYNTAX,
                                  SMTPC_ERR_NET_CLOSED};
    size_t seen[sizeof(allowed) / sizeof(allowed[0])] = {0};
    uint8_t *b = malloc(GARBAGE_MAX_LEN);
    run_t *whole = malloc(sizeof(run_t));
    run_t *r = malloc(sizeof(run_t));
    size_t *cuts = malloc((GARBAGE_MAX_LEN + 3u) * sizeof(size_t));
    unsigned i;
    (void)state;
    assert_non_null(b);
    assert_non_null(whole);
    assert_non_null(r);
    assert_non_null(cuts);
    for (i = 0; i < GARBAGE_INPUTS; i++) {
        size_t len = garbage_make(b);
        uint32_t cap = xorshift32() % 128u;
        int want = (int)(xorshift32() & 1u);
        size_t k;
        size_t found = sizeof(allowed) / sizeof(allowed[0]);
        run_whole(b, len, cap, want, whole);
        for (k = 0; k < sizeof(allowed) / sizeof(allowed[0]); k++) {
            if (whole->rc == allowed[k]) {
                found = k;
            }
        }
        if (found == sizeof(allowed) / sizeof(allowed[0])) {
            print_error("garbage input %u: result %d (%s)\n", i, whole->rc,
                        smtpc_strerror(whole->rc));
            fail();
        }
        seen[found]++;
        assert_true(whole->sink.len <= cap);
        /* One random split in three, and every 16th input bytewise. */
        if (len > 0) {
            size_t s = xorshift32() % (len + 1u);
            size_t t = s + xorshift32() % (len - s + 1u);
            cuts[0] = s;
            cuts[1] = t;
            cuts[2] = len;
            run_pieces(b, len, cuts, 3, cap, want, 0, 0, r);
            same_run(whole, r, "garbage", "3-split", i);
            if (i % 16u == 0u) {
                for (k = 0; k < len; k++) {
                    cuts[k] = k + 1u;
                }
                run_pieces(b, len, cuts, len, cap, want, 0, 0, r);
                same_run(whole, r, "garbage", "bytewise", i);
            }
        }
    }
    /* The generator reaches every outcome, so the test means something. */
    print_message("garbage outcomes:");
    for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
        print_message(" %s=%zu", smtpc_strerror(allowed[i]) + 6, seen[i]);
    }
    print_message("\n");
    for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
        if (seen[i] == 0) {
            print_error("garbage: result %s never produced\n", smtpc_strerror(allowed[i]));
            fail();
        }
    }
    free(cuts);
    free(r);
    free(whole);
    free(b);
}

/* ----------------------------------------------------------- request --- */

#define REQ_GET                                                                                    \
    "GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.example.com\r\n"                       \
    "User-Agent: smtpc\r\nConnection: close\r\nAccept: text/plain\r\n\r\n"
#define REQ_POST                                                                                   \
    "POST /report HTTP/1.1\r\nHost: tlsrpt.example.net\r\nUser-Agent: smtpc\r\n"                   \
    "Connection: close\r\nContent-Type: application/tlsrpt+gzip\r\nContent-Length: 1234\r\n\r\n"

static void test_http_req_get_exact(void **state)
{
    uint8_t out[512];
    size_t n = 0;
    (void)state;
    assert_int_equal(smtpc_http_req_build(out, sizeof(out), &n, "GET", "mta-sts.example.com",
                                          "/.well-known/mta-sts.txt", NULL, 77),
                     SMTPC_OK);
    assert_int_equal(n, sizeof(REQ_GET) - 1u);
    assert_memory_equal(out, REQ_GET, n);
}

static void test_http_req_post_exact(void **state)
{
    uint8_t out[512];
    size_t n = 0;
    (void)state;
    assert_int_equal(smtpc_http_req_build(out, sizeof(out), &n, "POST", "tlsrpt.example.net",
                                          "/report", "application/tlsrpt+gzip", 1234),
                     SMTPC_OK);
    assert_int_equal(n, sizeof(REQ_POST) - 1u);
    assert_memory_equal(out, REQ_POST, n);
    assert_int_equal(smtpc_http_req_build(out, sizeof(out), &n, "POST", "h", "/", "text/plain", 0),
                     SMTPC_OK);
    assert_memory_equal(out,
                        "POST / HTTP/1.1\r\nHost: h\r\nUser-Agent: smtpc\r\nConnection: close\r\n"
                        "Content-Type: text/plain\r\nContent-Length: 0\r\n\r\n",
                        n);
    assert_int_equal(smtpc_http_req_build(out, sizeof(out), &n, "POST", "h", "/",
                                          "application/tlsrpt+json; charset=utf-8", 4294967295u),
                     SMTPC_OK);
    assert_memory_equal(out,
                        "POST / HTTP/1.1\r\nHost: h\r\nUser-Agent: smtpc\r\nConnection: close\r\n"
                        "Content-Type: application/tlsrpt+json; charset=utf-8\r\n"
                        "Content-Length: 4294967295\r\n\r\n",
                        n);
}

static void check_no_space(const char *method, const char *host, const char *path,
                           const char *ctype, uint32_t clen, const char *want)
{
    size_t need = strlen(want);
    size_t cap;
    for (cap = 0; cap < need; cap++) {
        /* An exactly sized buffer: a write past it is caught. */
        uint8_t *b = malloc(cap > 0 ? cap : 1u);
        size_t n = 0;
        assert_non_null(b);
        memset(b, 0xA5, cap > 0 ? cap : 1u);
        assert_int_equal(smtpc_http_req_build(b, cap, &n, method, host, path, ctype, clen),
                         SMTPC_ERR_NO_SPACE);
        assert_int_equal(n, need); /* the size needed */
        {
            size_t k;
            for (k = 0; k < cap; k++) {
                assert_int_equal(b[k], 0xA5); /* nothing written */
            }
        }
        free(b);
    }
    {
        size_t n = 0;
        uint8_t *b = malloc(need);
        assert_non_null(b);
        assert_int_equal(smtpc_http_req_build(b, need, &n, method, host, path, ctype, clen),
                         SMTPC_OK);
        assert_int_equal(n, need);
        assert_memory_equal(b, want, need);
        free(b);
    }
}

static void test_http_req_no_space_every_cap(void **state)
{
    (void)state;
    check_no_space("GET", "mta-sts.example.com", "/.well-known/mta-sts.txt", NULL, 0, REQ_GET);
    check_no_space("POST", "tlsrpt.example.net", "/report", "application/tlsrpt+gzip", 1234,
                   REQ_POST);
}

static void test_http_req_bad_args(void **state)
{
    static const char *const bad_hosts[] = {"mta-sts.example.com ",
                                            "mta sts.example.com",
                                            "a\rb",
                                            "a\nb",
                                            "a\r\nHost: evil",
                                            "",
                                            "exa_mple.com",
                                            "host:443",
                                            "h\xc3\xa9.example",
                                            "a\tb",
                                            "a/b"};
    static const char *const bad_paths[] = {"",
                                            "noslash",
                                            ".well-known/mta-sts.txt",
                                            "/a b",
                                            "/a\rb",
                                            "/a\nb",
                                            "/a\r\nX-Evil: 1",
                                            "/a\tb",
                                            "/\x7f",
                                            "/caf\xc3\xa9",
                                            " /"};
    static const char *const bad_methods[] = {"", "get", "PUT", "GETX", "POS", "POST ", "HEAD"};
    static const char *const bad_ctypes[] = {"",     " text/plain", "text/plain ", "a\r\nb",
                                             "a\nb", "a\tb",        "t\x7f",       "caf\xc3\xa9"};
    uint8_t out[512];
    size_t n = 0;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(bad_hosts) / sizeof(bad_hosts[0]); i++) {
        assert_int_equal(
            smtpc_http_req_build(out, sizeof(out), &n, "GET", bad_hosts[i], "/", NULL, 0),
            SMTPC_ERR_BAD_ARG);
    }
    for (i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
        assert_int_equal(
            smtpc_http_req_build(out, sizeof(out), &n, "GET", "h", bad_paths[i], NULL, 0),
            SMTPC_ERR_BAD_ARG);
    }
    for (i = 0; i < sizeof(bad_methods) / sizeof(bad_methods[0]); i++) {
        assert_int_equal(
            smtpc_http_req_build(out, sizeof(out), &n, bad_methods[i], "h", "/", NULL, 0),
            SMTPC_ERR_BAD_ARG);
    }
    for (i = 0; i < sizeof(bad_ctypes) / sizeof(bad_ctypes[0]); i++) {
        assert_int_equal(
            smtpc_http_req_build(out, sizeof(out), &n, "POST", "h", "/", bad_ctypes[i], 1),
            SMTPC_ERR_BAD_ARG);
    }
    assert_int_equal(smtpc_http_req_build(out, sizeof(out), &n, NULL, "h", "/", NULL, 0),
                     SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_http_req_build(out, sizeof(out), &n, "GET", NULL, "/", NULL, 0),
                     SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_http_req_build(out, sizeof(out), &n, "GET", "h", NULL, NULL, 0),
                     SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_http_req_build(NULL, sizeof(out), &n, "GET", "h", "/", NULL, 0),
                     SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_http_req_build(out, sizeof(out), NULL, "GET", "h", "/", NULL, 0),
                     SMTPC_ERR_BAD_ARG);
    /* A bad argument wins over a too small buffer. */
    assert_int_equal(smtpc_http_req_build(out, 0, &n, "GET", "a b", "/", NULL, 0),
                     SMTPC_ERR_BAD_ARG);
}

static void test_http_req_length_limits(void **state)
{
    /* Host of 253 characters fine, 254 refused; path of 2048 fine, 2049 refused. */
    static char host[256];
    static char path[2051];
    static uint8_t out[4096];
    size_t n = 0;
    (void)state;
    memset(host, 'a', 253);
    host[253] = '\0';
    assert_int_equal(smtpc_http_req_build(out, sizeof(out), &n, "GET", host, "/", NULL, 0),
                     SMTPC_OK);
    host[253] = 'a';
    host[254] = '\0';
    assert_int_equal(smtpc_http_req_build(out, sizeof(out), &n, "GET", host, "/", NULL, 0),
                     SMTPC_ERR_BAD_ARG);
    memset(path, 'p', 2048);
    path[0] = '/';
    path[2048] = '\0';
    assert_int_equal(smtpc_http_req_build(out, sizeof(out), &n, "GET", "h", path, NULL, 0),
                     SMTPC_OK);
    path[2048] = 'p';
    path[2049] = '\0';
    assert_int_equal(smtpc_http_req_build(out, sizeof(out), &n, "GET", "h", path, NULL, 0),
                     SMTPC_ERR_BAD_ARG);
}

static void test_http_req_then_response_roundtrip(void **state)
{
    /* The request a fetch sends, and the policy response it parses. */
    static const char resp[] =
        "HTTP/1.1 200 OK\r\nServer: nginx\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 64\r\nConnection: close\r\n\r\n"
        "version: STSv1\r\nmode: enforce\r\nmx: mx1.example\r\nmax_age: 86400\r\n";
    uint8_t out[256];
    size_t n = 0;
    run_t *r = malloc(sizeof(run_t));
    (void)state;
    assert_non_null(r);
    assert_int_equal(smtpc_http_req_build(out, sizeof(out), &n, "GET", "mta-sts.example.com",
                                          "/.well-known/mta-sts.txt", NULL, 0),
                     SMTPC_OK);
    run_whole((const uint8_t *)resp, sizeof(resp) - 1u, 64, 1, r);
    assert_int_equal(r->rc, SMTPC_OK);
    assert_int_equal(r->sink.len, 64);
    free(r);
}

/* -------------------------------------------------------------- main --- */

static size_t table_vectors(void)
{
    return sizeof(STATUS_CASES) / sizeof(STATUS_CASES[0]) +
           sizeof(TYPE_CASES) / sizeof(TYPE_CASES[0]) + sizeof(CLEN_CASES) / sizeof(CLEN_CASES[0]) +
           sizeof(CHUNK_CASES) / sizeof(CHUNK_CASES[0]) +
           sizeof(CLOSE_CASES) / sizeof(CLOSE_CASES[0]) +
           sizeof(HEADER_CASES) / sizeof(HEADER_CASES[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_status_lines_expected),
        cmocka_unit_test(test_http_content_type_expected),
        cmocka_unit_test(test_http_content_length_expected),
        cmocka_unit_test(test_http_chunked_expected),
        cmocka_unit_test(test_http_close_delimited_expected),
        cmocka_unit_test(test_http_header_lines_expected),
        cmocka_unit_test(test_http_line_max_boundary),
        cmocka_unit_test(test_http_long_lines_syntax),
        cmocka_unit_test(test_http_max_headers_boundary),
        cmocka_unit_test(test_http_trailers_count_with_headers),
        cmocka_unit_test(test_http_sink_error_propagates),
        cmocka_unit_test(test_http_sink_error_on_close_delimited_before_cap),
        cmocka_unit_test(test_http_null_sink_discards),
        cmocka_unit_test(test_http_sticky_after_completion),
        cmocka_unit_test(test_http_sticky_after_error),
        cmocka_unit_test(test_http_parser_reinit_reuses),
        cmocka_unit_test(test_http_bad_args),
        cmocka_unit_test(test_http_uninitialised_parser_state),
        cmocka_unit_test(test_http_garbage_defined),
        cmocka_unit_test(test_http_req_get_exact),
        cmocka_unit_test(test_http_req_post_exact),
        cmocka_unit_test(test_http_req_no_space_every_cap),
        cmocka_unit_test(test_http_req_bad_args),
        cmocka_unit_test(test_http_req_length_limits),
        cmocka_unit_test(test_http_req_then_response_roundtrip),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    printf("test_http: %zu table vectors, %zu parser runs\n", table_vectors(), g_runs);
    return rc;
}
