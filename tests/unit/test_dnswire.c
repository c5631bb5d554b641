/* DNS wire codec (smtpc_dnswire.c): query building, response checks and
 * answer extraction, RFC 1035-style vectors first, then hostile packets;
 * MX list helpers and name normalisation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtpc/dns.h"

#include "fake_dgram.h"

#define ID         0x1234u
#define F_RESP     0x8180u /* QR, RD, RA, NOERROR */
#define CLASS_IN   1u
#define TYPE_OTHER 99u
#define Q_OFF      12u /* offset of the question name */

/* ------------------------------------------------------------ helpers --- */

typedef struct {
    unsigned n;
    int stop_rc; /* returned by the callback (SMTPC_OK to go on) */
    smtpc_dns_rr_t rr[24];
    uint8_t rdata[24][320];
} sink_t;

/* Keeps a copy of each answer; its rdata view is re-pointed at the copy,
 * because the message given to the parser is freed right after. */
static int sink_cb(void *arg, const smtpc_dns_rr_t *rr)
{
    sink_t *s = (sink_t *)arg;
    if (s->n < 24u) {
        assert_true(rr->rdlen <= sizeof(s->rdata[0]));
        s->rr[s->n] = *rr;
        memcpy(s->rdata[s->n], rr->rdata, rr->rdlen);
        s->rr[s->n].rdata = s->rdata[s->n];
    }
    s->n++;
    return s->stop_rc;
}

/* Header + question "name"/qtype/IN, @p an answers announced. */
static void resp_start(fake_dns_msg_t *m, uint16_t flags, const char *qname, uint16_t qtype,
                       uint16_t an)
{
    fdm_init(m);
    fdm_header(m, ID, flags, 1, an, 0, 0);
    fdm_question(m, qname, qtype, CLASS_IN);
}

static int parse(const fake_dns_msg_t *m, const char *name, uint16_t qtype, sink_t *s)
{
    assert_false(m->overflow);
    memset(s, 0, sizeof(*s));
    /* Exactly sized heap copy: any read past the end is caught by ASan/valgrind. */
    {
        uint8_t *copy = malloc(m->len > 0 ? m->len : 1u);
        int rc;
        assert_non_null(copy);
        memcpy(copy, m->b, m->len);
        rc = smtpc_dns_resp_parse(copy, m->len, ID, name, qtype, sink_cb, s);
        free(copy);
        return rc;
    }
}

static void add_a(fake_dns_msg_t *m, const uint8_t ip[4])
{
    size_t o;
    fdm_ptr(m, Q_OFF);
    o = fdm_rr_begin_raw(m, SMTPC_DNS_TYPE_A, CLASS_IN, 300);
    fdm_bytes(m, ip, 4);
    fdm_rr_end(m, o);
}

static const uint8_t IP1[4] = {192, 0, 2, 1};

/* A name of @p len characters made of labels of at most 63 ("aaa...a.bbb...") */
static void long_name(char *out, size_t len)
{
    size_t i;
    size_t lab = 0;
    char c = 'a';
    for (i = 0; i < len; i++) {
        if (lab == 63u && i + 1u < len) {
            out[i] = '.';
            lab = 0;
            c++;
            continue;
        }
        out[i] = c;
        lab++;
    }
    out[len] = '\0';
}

/* ---------------------------------------------------------- query build --- */

static void test_dnswire_query_mx_exact_bytes(void **state)
{
    static const uint8_t want[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x00, 4,    'g',  'o',  'o',  'd',  4,
                                   't',  'e',  's',  't',  0,    0x00, 0x0f, 0x00, 0x01};
    uint8_t out[64];
    size_t len = 0;
    (void)state;
    assert_int_equal(
        smtpc_dns_query_build(out, sizeof(out), &len, 0x1234, "good.test", SMTPC_DNS_TYPE_MX),
        SMTPC_OK);
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(out, want, sizeof(want));
    /* A trailing dot names the same (absolute) name. */
    memset(out, 0xee, sizeof(out));
    assert_int_equal(
        smtpc_dns_query_build(out, sizeof(out), &len, 0x1234, "good.test.", SMTPC_DNS_TYPE_MX),
        SMTPC_OK);
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(out, want, sizeof(want));
}

static void test_dnswire_query_upper_case_kept(void **state)
{
    static const uint8_t qname[] = {4, 'G', 'O', 'o', 'D', 4, 'T', 'e', 's', 't', 0, 0, 16, 0, 1};
    uint8_t out[64];
    size_t len = 0;
    (void)state;
    assert_int_equal(
        smtpc_dns_query_build(out, sizeof(out), &len, 7, "GOoD.Test", SMTPC_DNS_TYPE_TXT),
        SMTPC_OK);
    assert_int_equal(len, 12u + sizeof(qname));
    assert_memory_equal(out + 12, qname, sizeof(qname));
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 7);
}

static void test_dnswire_query_label_63_ok_64_rejected(void **state)
{
    char name[80];
    uint8_t out[128];
    size_t len = 0;
    (void)state;
    memset(name, 'x', 63);
    strcpy(name + 63, ".test");
    assert_int_equal(smtpc_dns_query_build(out, sizeof(out), &len, 1, name, SMTPC_DNS_TYPE_A),
                     SMTPC_OK);
    assert_int_equal(len, 12u + 1u + 63u + 5u + 1u + 4u);
    assert_int_equal(out[12], 63);
    memset(name, 'x', 64);
    strcpy(name + 64, ".test");
    assert_int_equal(smtpc_dns_query_build(out, sizeof(out), &len, 1, name, SMTPC_DNS_TYPE_A),
                     SMTPC_ERR_BAD_ARG);
    /* last label too long */
    memcpy(name, "test.", 5);
    memset(name + 5, 'y', 64);
    name[69] = '\0';
    assert_int_equal(smtpc_dns_query_build(out, sizeof(out), &len, 1, name, SMTPC_DNS_TYPE_A),
                     SMTPC_ERR_BAD_ARG);
}

static void test_dnswire_query_name_253_ok_longer_rejected(void **state)
{
    char name[300];
    uint8_t out[400];
    size_t len = 0;
    (void)state;
    long_name(name, 253);
    assert_int_equal(strlen(name), 253u);
    assert_int_equal(smtpc_dns_query_build(out, sizeof(out), &len, 1, name, SMTPC_DNS_TYPE_A),
                     SMTPC_OK);
    assert_int_equal(len, 12u + 255u + 4u); /* 255 octets on the wire */
    strcat(name, ".");                      /* 253 + trailing dot: same name */
    assert_int_equal(smtpc_dns_query_build(out, sizeof(out), &len, 1, name, SMTPC_DNS_TYPE_A),
                     SMTPC_OK);
    assert_int_equal(len, 12u + 255u + 4u);
    long_name(name, 254);
    assert_int_equal(smtpc_dns_query_build(out, sizeof(out), &len, 1, name, SMTPC_DNS_TYPE_A),
                     SMTPC_ERR_BAD_ARG);
    long_name(name, 290);
    assert_int_equal(smtpc_dns_query_build(out, sizeof(out), &len, 1, name, SMTPC_DNS_TYPE_A),
                     SMTPC_ERR_BAD_ARG);
}

static void test_dnswire_query_bad_names_rejected(void **state)
{
    static const char *const bad[] = {
        "",           ".",           "..",         "a..b",       ".good.test",
        "good..test", "good.test..", "go od.test", "good.te*st", "g\xc3\xb6od.test",
        "good/test",  "good.test\n", "a@b.test",   "x\x7f.test",
    };
    uint8_t out[128];
    size_t len = 0;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(smtpc_dns_query_build(out, sizeof(out), &len, 1, bad[i], SMTPC_DNS_TYPE_A),
                         SMTPC_ERR_BAD_ARG);
    }
    /* '_' and '-' are allowed (service labels) */
    assert_int_equal(smtpc_dns_query_build(out, sizeof(out), &len, 1, "_mta-sts.good-1.test",
                                           SMTPC_DNS_TYPE_TXT),
                     SMTPC_OK);
    assert_int_equal(smtpc_dns_query_build(NULL, sizeof(out), &len, 1, "a.test", 1),
                     SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_dns_query_build(out, sizeof(out), NULL, 1, "a.test", 1),
                     SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_dns_query_build(out, sizeof(out), &len, 1, NULL, 1), SMTPC_ERR_BAD_ARG);
}

static void test_dnswire_query_small_buffer_no_space(void **state)
{
    uint8_t out[64];
    size_t len = 0;
    size_t cap;
    (void)state;
    /* "good.test" MX needs 27 bytes */
    for (cap = 0; cap < 27u; cap++) {
        assert_int_equal(smtpc_dns_query_build(out, cap, &len, 1, "good.test", 15),
                         SMTPC_ERR_NO_SPACE);
    }
    assert_int_equal(smtpc_dns_query_build(out, 27, &len, 1, "good.test", 15), SMTPC_OK);
    assert_int_equal(len, 27u);
}

/* ------------------------------------------------------ answer vectors --- */

static void test_dnswire_a_answer_delivered(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    (void)state;
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_A, 1);
    add_a(&m, IP1);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_OK);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.rr[0].type, SMTPC_DNS_TYPE_A);
    assert_int_equal(s.rr[0].ttl, 300);
    assert_int_equal(s.rr[0].rdlen, 4);
    assert_memory_equal(s.rdata[0], IP1, 4);
    assert_string_equal(s.rr[0].name, "");
}

static void test_dnswire_ttl_high_bit_cleared(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    size_t o;
    (void)state;
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_A, 1);
    fdm_ptr(&m, Q_OFF);
    o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_A, CLASS_IN, 0x80000005u);
    fdm_bytes(&m, IP1, 4);
    fdm_rr_end(&m, o);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_OK);
    assert_int_equal(s.rr[0].ttl, 5);
}

static void test_dnswire_a_bad_rdlength_format(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    size_t o;
    (void)state;
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_A, 1);
    fdm_ptr(&m, Q_OFF);
    o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_A, CLASS_IN, 300);
    fdm_bytes(&m, "\xc0\x00\x02\x01\x05", 5);
    fdm_rr_end(&m, o);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_ERR_DNS_FORMAT);
    assert_int_equal(s.n, 0);
}

static void test_dnswire_aaaa_answer_delivered(void **state)
{
    static const uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    fake_dns_msg_t m;
    sink_t s;
    size_t o;
    (void)state;
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_AAAA, 1);
    fdm_ptr(&m, Q_OFF);
    o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_AAAA, CLASS_IN, 60);
    fdm_bytes(&m, ip6, 16);
    fdm_rr_end(&m, o);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_AAAA, &s), SMTPC_OK);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.rr[0].rdlen, 16);
    assert_memory_equal(s.rdata[0], ip6, 16);
    /* 4 bytes are not an AAAA */
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_AAAA, 1);
    fdm_ptr(&m, Q_OFF);
    o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_AAAA, CLASS_IN, 60);
    fdm_bytes(&m, IP1, 4);
    fdm_rr_end(&m, o);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_AAAA, &s), SMTPC_ERR_DNS_FORMAT);
}

/* good.test MX 10 mx1.good.test, MX 20 MX2.Good.Test (compressed against
 * the question and against the first exchange). */
static void build_mx_pair(fake_dns_msg_t *m)
{
    size_t o;
    size_t ex1;
    resp_start(m, F_RESP, "good.test", SMTPC_DNS_TYPE_MX, 2);
    fdm_ptr(m, Q_OFF);
    o = fdm_rr_begin_raw(m, SMTPC_DNS_TYPE_MX, CLASS_IN, 300);
    fdm_u16(m, 10);
    ex1 = m->len;
    fdm_labels(m, "mx1");
    fdm_ptr(m, Q_OFF);
    fdm_rr_end(m, o);
    fdm_ptr(m, Q_OFF);
    o = fdm_rr_begin_raw(m, SMTPC_DNS_TYPE_MX, CLASS_IN, 300);
    fdm_u16(m, 20);
    fdm_labels(m, "MX2");
    fdm_ptr(m, (uint16_t)(ex1 + 4u)); /* -> "good.test" via the first exchange */
    fdm_rr_end(m, o);
}

static void test_dnswire_mx_compressed_delivered(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    (void)state;
    build_mx_pair(&m);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_OK);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.rr[0].type, SMTPC_DNS_TYPE_MX);
    assert_int_equal(s.rr[0].pref, 10);
    assert_string_equal(s.rr[0].name, "mx1.good.test");
    assert_int_equal(s.rr[1].pref, 20);
    assert_string_equal(s.rr[1].name, "mx2.good.test"); /* lower-cased */
}

static void test_dnswire_mx_pointer_to_pointer_accepted(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    size_t o;
    size_t ex1;
    (void)state;
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_MX, 2);
    fdm_ptr(&m, Q_OFF);
    o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_MX, CLASS_IN, 300);
    fdm_u16(&m, 10);
    ex1 = m.len;
    fdm_labels(&m, "mx1");
    fdm_ptr(&m, Q_OFF);
    fdm_rr_end(&m, o);
    fdm_ptr(&m, Q_OFF);
    o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_MX, CLASS_IN, 300);
    fdm_u16(&m, 30);
    fdm_ptr(&m, (uint16_t)ex1); /* whole exchange is a pointer to a name ending in a pointer */
    fdm_rr_end(&m, o);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_OK);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.rr[1].name, "mx1.good.test");
    assert_int_equal(s.rr[1].pref, 30);
}

static void test_dnswire_mx_max_length_exchange(void **state)
{
    char host[300];
    fake_dns_msg_t m;
    sink_t s;
    size_t o;
    (void)state;
    long_name(host, 253);
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_MX, 1);
    fdm_ptr(&m, Q_OFF);
    o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_MX, CLASS_IN, 300);
    fdm_u16(&m, 5);
    fdm_name(&m, host);
    fdm_rr_end(&m, o);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_OK);
    assert_int_equal(s.n, 1);
    assert_int_equal(strlen(s.rr[0].name), 253u);
    assert_string_equal(s.rr[0].name, host);
}

static void add_txt(fake_dns_msg_t *m, const char *const *strs, size_t n)
{
    size_t o;
    size_t i;
    fdm_ptr(m, Q_OFF);
    o = fdm_rr_begin_raw(m, SMTPC_DNS_TYPE_TXT, CLASS_IN, 300);
    for (i = 0; i < n; i++) {
        fdm_u8(m, (uint8_t)strlen(strs[i]));
        fdm_bytes(m, strs[i], strlen(strs[i]));
    }
    fdm_rr_end(m, o);
}

static void assert_txt(const smtpc_dns_rr_t *rr, const char *want)
{
    char out[256];
    size_t len = 99;
    assert_int_equal(smtpc_dns_txt_join(rr, out, sizeof(out), &len), SMTPC_OK);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(out, want, len);
}

static void test_dnswire_txt_variants(void **state)
{
    static const char *const one[] = {"v=STSv1; id=20261122T000000;"};
    static const char *const split[] = {"v=STSv1; ", "id=20261122T000000;"};
    static const char *const spf[] = {"v=spf1 -all"};
    static const char *const empty[] = {""};
    fake_dns_msg_t m;
    sink_t s;
    smtpc_dns_rr_t rr;
    uint8_t raw[] = {3, 'a', 'b', 'c', 2, 'd', 'e'};
    char out[8];
    size_t len = 0;
    (void)state;
    /* one string */
    resp_start(&m, F_RESP, "_mta-sts.good.test", SMTPC_DNS_TYPE_TXT, 1);
    add_txt(&m, one, 1);
    assert_int_equal(parse(&m, "_mta-sts.good.test", SMTPC_DNS_TYPE_TXT, &s), SMTPC_OK);
    assert_int_equal(s.n, 1);
    assert_txt(&s.rr[0], "v=STSv1; id=20261122T000000;");
    /* several strings of one RR: joined without a separator */
    resp_start(&m, F_RESP, "_mta-sts.good.test", SMTPC_DNS_TYPE_TXT, 1);
    add_txt(&m, split, 2);
    assert_int_equal(parse(&m, "_mta-sts.good.test", SMTPC_DNS_TYPE_TXT, &s), SMTPC_OK);
    assert_int_equal(s.n, 1);
    assert_txt(&s.rr[0], "v=STSv1; id=20261122T000000;");
    /* several RRs: kept apart */
    resp_start(&m, F_RESP, "_mta-sts.good.test", SMTPC_DNS_TYPE_TXT, 2);
    add_txt(&m, spf, 1);
    add_txt(&m, one, 1);
    assert_int_equal(parse(&m, "_mta-sts.good.test", SMTPC_DNS_TYPE_TXT, &s), SMTPC_OK);
    assert_int_equal(s.n, 2);
    assert_txt(&s.rr[0], "v=spf1 -all");
    assert_txt(&s.rr[1], "v=STSv1; id=20261122T000000;");
    /* an empty string */
    resp_start(&m, F_RESP, "_mta-sts.good.test", SMTPC_DNS_TYPE_TXT, 1);
    add_txt(&m, empty, 1);
    assert_int_equal(parse(&m, "_mta-sts.good.test", SMTPC_DNS_TYPE_TXT, &s), SMTPC_OK);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.rr[0].rdlen, 1);
    assert_txt(&s.rr[0], "");
    /* join: exact fit, one byte short, length past the RDATA, bad args */
    memset(&rr, 0, sizeof(rr));
    rr.type = SMTPC_DNS_TYPE_TXT;
    rr.rdata = raw;
    rr.rdlen = sizeof(raw);
    assert_int_equal(smtpc_dns_txt_join(&rr, out, 5, &len), SMTPC_OK);
    assert_int_equal(len, 5);
    assert_memory_equal(out, "abcde", 5);
    assert_int_equal(smtpc_dns_txt_join(&rr, out, 4, &len), SMTPC_ERR_NO_SPACE);
    raw[4] = 3;
    assert_int_equal(smtpc_dns_txt_join(&rr, out, sizeof(out), &len), SMTPC_ERR_DNS_FORMAT);
    assert_int_equal(smtpc_dns_txt_join(NULL, out, sizeof(out), &len), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_dns_txt_join(&rr, NULL, sizeof(out), &len), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_dns_txt_join(&rr, out, sizeof(out), NULL), SMTPC_ERR_BAD_ARG);
}

static void test_dnswire_txt_string_past_rdata_format(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    size_t o;
    (void)state;
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_TXT, 1);
    fdm_ptr(&m, Q_OFF);
    o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_TXT, CLASS_IN, 300);
    fdm_bytes(&m,
              "\x05"
              "ab",
              3); /* says 5, has 2 */
    fdm_rr_end(&m, o);
    fdm_bytes(&m, "cdefgh", 6); /* bytes after the RDATA must not count */
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_TXT, &s), SMTPC_ERR_DNS_FORMAT);
    assert_int_equal(s.n, 0);
}

static void add_cname(fake_dns_msg_t *m, const char *owner, const char *target)
{
    size_t o = fdm_rr_begin(m, owner, SMTPC_DNS_TYPE_CNAME, CLASS_IN, 300);
    fdm_name(m, target);
    fdm_rr_end(m, o);
}

static void test_dnswire_cname_chain_then_a(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    size_t o;
    (void)state;
    resp_start(&m, F_RESP, "www.good.test", SMTPC_DNS_TYPE_A, 3);
    add_cname(&m, "www.good.test", "alias.good.test");
    add_cname(&m, "ALIAS.good.test", "mx1.good.test");
    o = fdm_rr_begin(&m, "mx1.good.test", SMTPC_DNS_TYPE_A, CLASS_IN, 300);
    fdm_bytes(&m, IP1, 4);
    fdm_rr_end(&m, o);
    assert_int_equal(parse(&m, "www.good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_OK);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.rr[0].type, SMTPC_DNS_TYPE_A);
    assert_memory_equal(s.rdata[0], IP1, 4);
    /* asked for the CNAME itself: it is the answer */
    resp_start(&m, F_RESP, "www.good.test", SMTPC_DNS_TYPE_CNAME, 1);
    add_cname(&m, "www.good.test", "alias.good.test");
    assert_int_equal(parse(&m, "www.good.test", SMTPC_DNS_TYPE_CNAME, &s), SMTPC_OK);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.rr[0].name, "alias.good.test");
}

static void cname_chain(fake_dns_msg_t *m, unsigned links)
{
    char a[32];
    char b[32];
    unsigned i;
    size_t o;
    resp_start(m, F_RESP, "c0.test", SMTPC_DNS_TYPE_A, (uint16_t)(links + 1u));
    for (i = 0; i < links; i++) {
        snprintf(a, sizeof(a), "c%u.test", i);
        snprintf(b, sizeof(b), "c%u.test", i + 1u);
        add_cname(m, a, b);
    }
    snprintf(a, sizeof(a), "c%u.test", links);
    o = fdm_rr_begin(m, a, SMTPC_DNS_TYPE_A, CLASS_IN, 300);
    fdm_bytes(m, IP1, 4);
    fdm_rr_end(m, o);
}

static void test_dnswire_cname_chain_limit(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    (void)state;
    cname_chain(&m, SMTPC_DNS_MAX_CNAME);
    assert_int_equal(parse(&m, "c0.test", SMTPC_DNS_TYPE_A, &s), SMTPC_OK);
    assert_int_equal(s.n, 1);
    cname_chain(&m, SMTPC_DNS_MAX_CNAME + 1u);
    assert_int_equal(parse(&m, "c0.test", SMTPC_DNS_TYPE_A, &s), SMTPC_ERR_DNS_FORMAT);
    assert_int_equal(s.n, 0);
}

static void test_dnswire_cname_rdata_garbage_format(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    size_t o;
    (void)state;
    resp_start(&m, F_RESP, "www.good.test", SMTPC_DNS_TYPE_A, 1);
    o = fdm_rr_begin(&m, "www.good.test", SMTPC_DNS_TYPE_CNAME, CLASS_IN, 300);
    fdm_name(&m, "alias.good.test");
    fdm_u8(&m, 0x55);
    fdm_rr_end(&m, o);
    assert_int_equal(parse(&m, "www.good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_ERR_DNS_FORMAT);
}

static void test_dnswire_other_owner_class_type_ignored(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    size_t o;
    (void)state;
    /* A records of another name, of class CH, and a TXT: none is ours */
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_A, 4);
    o = fdm_rr_begin(&m, "evil.test", SMTPC_DNS_TYPE_A, CLASS_IN, 300);
    fdm_bytes(&m, IP1, 4);
    fdm_rr_end(&m, o);
    o = fdm_rr_begin(&m, "good.test.evil", SMTPC_DNS_TYPE_A, CLASS_IN, 300);
    fdm_bytes(&m, IP1, 4);
    fdm_rr_end(&m, o);
    fdm_ptr(&m, Q_OFF);
    o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_A, 3u, 300);
    fdm_bytes(&m, IP1, 4);
    fdm_rr_end(&m, o);
    fdm_ptr(&m, Q_OFF);
    o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_TXT, CLASS_IN, 300);
    fdm_bytes(&m, "\x01x", 2);
    fdm_rr_end(&m, o);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_ERR_DNS_NODATA);
    assert_int_equal(s.n, 0);
    /* ... and one that is: only it is delivered */
    fdm_set_ancount(&m, 5);
    add_a(&m, IP1);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_OK);
    assert_int_equal(s.n, 1);
    /* an A record of the CNAME target before the CNAME itself is not ours yet */
    resp_start(&m, F_RESP, "www.good.test", SMTPC_DNS_TYPE_A, 2);
    o = fdm_rr_begin(&m, "mx1.good.test", SMTPC_DNS_TYPE_A, CLASS_IN, 300);
    fdm_bytes(&m, IP1, 4);
    fdm_rr_end(&m, o);
    add_cname(&m, "www.good.test", "mx1.good.test");
    assert_int_equal(parse(&m, "www.good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_ERR_DNS_NODATA);
}

static void test_dnswire_answers_beyond_limit_ignored(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    unsigned i;
    (void)state;
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_A, SMTPC_DNS_MAX_ANSWERS + 4u);
    for (i = 0; i < SMTPC_DNS_MAX_ANSWERS; i++) {
        uint8_t ip[4] = {192, 0, 2, (uint8_t)i};
        add_a(&m, ip);
    }
    /* answer 17 is garbage and 18..20 are missing: never looked at */
    fdm_bytes(&m, "\xc0\xff\xff", 3);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_OK);
    assert_int_equal(s.n, SMTPC_DNS_MAX_ANSWERS);
    assert_int_equal(s.rdata[SMTPC_DNS_MAX_ANSWERS - 1u][3], SMTPC_DNS_MAX_ANSWERS - 1u);
}

static void test_dnswire_callback_result_stops(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    uint8_t *copy;
    (void)state;
    build_mx_pair(&m);
    memset(&s, 0, sizeof(s));
    s.stop_rc = SMTPC_ERR_NO_SPACE;
    copy = malloc(m.len);
    assert_non_null(copy);
    memcpy(copy, m.b, m.len);
    assert_int_equal(
        smtpc_dns_resp_parse(copy, m.len, ID, "good.test", SMTPC_DNS_TYPE_MX, sink_cb, &s),
        SMTPC_ERR_NO_SPACE);
    assert_int_equal(s.n, 1);
    /* no callback at all: still checked */
    assert_int_equal(
        smtpc_dns_resp_parse(copy, m.len, ID, "good.test", SMTPC_DNS_TYPE_MX, NULL, NULL),
        SMTPC_OK);
    assert_int_equal(
        smtpc_dns_resp_parse(NULL, m.len, ID, "good.test", SMTPC_DNS_TYPE_MX, NULL, NULL),
        SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_dns_resp_parse(copy, m.len, ID, NULL, SMTPC_DNS_TYPE_MX, NULL, NULL),
                     SMTPC_ERR_BAD_ARG);
    free(copy);
}

/* ------------------------------------------------------ header checks --- */

static void test_dnswire_header_checks(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    uint8_t *copy;
    (void)state;
    build_mx_pair(&m);
    copy = malloc(m.len);
    assert_non_null(copy);
    memcpy(copy, m.b, m.len);
    /* mismatched ID */
    assert_int_equal(
        smtpc_dns_resp_parse(copy, m.len, ID + 1u, "good.test", SMTPC_DNS_TYPE_MX, sink_cb, &s),
        SMTPC_ERR_DNS_FORMAT);
    assert_int_equal(smtpc_dns_resp_match(copy, m.len, ID + 1u, "good.test", SMTPC_DNS_TYPE_MX),
                     SMTPC_ERR_DNS_FORMAT);
    assert_int_equal(smtpc_dns_resp_match(copy, m.len, ID, "good.test", SMTPC_DNS_TYPE_MX),
                     SMTPC_OK);
    free(copy);
    /* QR = 0 */
    m.b[2] &= 0x7fu;
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
    m.b[2] |= 0x80u;
    /* opcode 1 (IQUERY), 2 (STATUS), 15 */
    m.b[2] = (uint8_t)((m.b[2] & 0x87u) | (1u << 3));
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
    m.b[2] = (uint8_t)((m.b[2] & 0x87u) | (2u << 3));
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
    m.b[2] = (uint8_t)((m.b[2] & 0x87u) | (15u << 3));
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
    m.b[2] &= 0x87u;
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_OK);
    /* QDCOUNT 0, 2, 256 */
    fdm_set_u16(&m, 4, 0);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
    fdm_set_u16(&m, 4, 2);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
    fdm_set_u16(&m, 4, 256);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
}

static void test_dnswire_question_echo(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    size_t o;
    (void)state;
    /* name, type, class must echo ours */
    resp_start(&m, F_RESP, "evil.test", SMTPC_DNS_TYPE_MX, 0);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
    resp_start(&m, F_RESP, "good.test.evil", SMTPC_DNS_TYPE_MX, 0);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
    resp_start(&m, F_RESP, "good", SMTPC_DNS_TYPE_MX, 0);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
    resp_start(&m, F_RESP, "good.tesT", SMTPC_DNS_TYPE_A, 0);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
    fdm_init(&m);
    fdm_header(&m, ID, F_RESP, 1, 0, 0, 0);
    fdm_question(&m, "good.test", SMTPC_DNS_TYPE_MX, 3u); /* CH */
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
    /* question cut inside type/class */
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_MX, 0);
    m.len -= 1;
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
    /* case-insensitive echo (0x20 randomisation) is accepted; answers too */
    resp_start(&m, F_RESP, "GoOd.TeSt", SMTPC_DNS_TYPE_MX, 1);
    o = fdm_rr_begin(&m, "GOOD.TEST", SMTPC_DNS_TYPE_MX, CLASS_IN, 300);
    fdm_u16(&m, 10);
    fdm_name(&m, "Mx1.GOOD.test");
    fdm_rr_end(&m, o);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_OK);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.rr[0].name, "mx1.good.test");
    /* asked with a trailing dot / in other case: the same */
    assert_int_equal(parse(&m, "good.test.", SMTPC_DNS_TYPE_MX, &s), SMTPC_OK);
    assert_int_equal(parse(&m, "GOOD.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_OK);
    /* question name compressed to the header: rejected */
    fdm_init(&m);
    fdm_header(&m, ID, F_RESP, 1, 0, 0, 0);
    fdm_ptr(&m, 0);
    fdm_u16(&m, SMTPC_DNS_TYPE_MX);
    fdm_u16(&m, CLASS_IN);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
}

static void test_dnswire_truncated_header_format(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    size_t n;
    (void)state;
    build_mx_pair(&m);
    for (n = 0; n < 12u; n++) {
        fake_dns_msg_t t = m;
        t.len = n;
        assert_int_equal(parse(&t, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
        assert_int_equal(smtpc_dns_resp_match(m.b, n, ID, "good.test", SMTPC_DNS_TYPE_MX),
                         SMTPC_ERR_DNS_FORMAT);
    }
}

static void test_dnswire_rcodes(void **state)
{
    static const struct {
        uint8_t rcode;
        int want;
    } v[] = {
        {0, SMTPC_ERR_DNS_NODATA},   {1, SMTPC_ERR_DNS_FORMAT},    {2, SMTPC_ERR_DNS_SERVFAIL},
        {3, SMTPC_ERR_DNS_NXDOMAIN}, {4, SMTPC_ERR_DNS_SERVFAIL},  {5, SMTPC_ERR_DNS_REFUSED},
        {9, SMTPC_ERR_DNS_SERVFAIL}, {15, SMTPC_ERR_DNS_SERVFAIL},
    };
    fake_dns_msg_t m;
    sink_t s;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        resp_start(&m, (uint16_t)(F_RESP | v[i].rcode), "good.test", SMTPC_DNS_TYPE_MX, 0);
        assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), v[i].want);
        /* match() looks at nothing but ID, flags QR/opcode and the question */
        assert_int_equal(smtpc_dns_resp_match(m.b, m.len, ID, "good.test", SMTPC_DNS_TYPE_MX),
                         SMTPC_OK);
    }
    /* NXDOMAIN with answers present: still NXDOMAIN, nothing delivered */
    resp_start(&m, F_RESP | 3u, "good.test", SMTPC_DNS_TYPE_A, 1);
    add_a(&m, IP1);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_ERR_DNS_NXDOMAIN);
    assert_int_equal(s.n, 0);
}

static void test_dnswire_tc_truncated(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    (void)state;
    build_mx_pair(&m);
    m.b[2] |= 0x02u;
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_TRUNCATED);
    assert_int_equal(s.n, 0);
    /* TC with a cut-off answer section, and TC with SERVFAIL: TRUNCATED */
    m.len -= 5;
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_TRUNCATED);
    resp_start(&m, 0x8382u, "good.test", SMTPC_DNS_TYPE_MX, 0);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_TRUNCATED);
}

/* ------------------------------------------------------ hostile names --- */

/* One answer whose owner is given raw: @p raw bytes at the answer's start. */
static void answer_with_owner(fake_dns_msg_t *m, const uint8_t *raw, size_t n)
{
    size_t o;
    resp_start(m, F_RESP, "good.test", SMTPC_DNS_TYPE_A, 1);
    fdm_bytes(m, raw, n);
    o = fdm_rr_begin_raw(m, SMTPC_DNS_TYPE_A, CLASS_IN, 300);
    fdm_bytes(m, IP1, 4);
    fdm_rr_end(m, o);
}

static void test_dnswire_pointer_self_loop_format(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    uint8_t raw[2];
    size_t at;
    (void)state;
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_A, 0);
    at = m.len; /* where the owner will be */
    raw[0] = (uint8_t)(0xc0u | (at >> 8));
    raw[1] = (uint8_t)at;
    answer_with_owner(&m, raw, 2);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_ERR_DNS_FORMAT);
    /* a label then a pointer back to that label */
    {
        uint8_t raw2[4] = {1, 'x', (uint8_t)(0xc0u | (at >> 8)), (uint8_t)at};
        answer_with_owner(&m, raw2, 4);
        assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_ERR_DNS_FORMAT);
    }
}

static void test_dnswire_pointer_cycle_format(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    size_t o;
    size_t p1;
    size_t p2;
    (void)state;
    /* answer 1 (a type we skip) carries "c0 p2" at p1 in its RDATA;
     * answer 2's owner at p2 is "c0 p1": p2 -> p1 -> p2 ... */
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_A, 2);
    fdm_ptr(&m, Q_OFF);
    o = fdm_rr_begin_raw(&m, TYPE_OTHER, CLASS_IN, 300);
    p1 = m.len;
    fdm_u16(&m, 0); /* patched below */
    fdm_rr_end(&m, o);
    p2 = m.len;
    fdm_ptr(&m, (uint16_t)p1);
    o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_A, CLASS_IN, 300);
    fdm_bytes(&m, IP1, 4);
    fdm_rr_end(&m, o);
    fdm_set_u16(&m, p1, (uint16_t)(0xc000u | p2));
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_ERR_DNS_FORMAT);
    assert_int_equal(s.n, 0);
}

static void test_dnswire_pointer_forward_format(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    uint8_t raw[2];
    size_t at;
    (void)state;
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_A, 0);
    at = m.len + 2u + 10u; /* the RDATA of this very answer, later on */
    raw[0] = (uint8_t)(0xc0u | (at >> 8));
    raw[1] = (uint8_t)at;
    answer_with_owner(&m, raw, 2);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_ERR_DNS_FORMAT);
    /* and far past the end */
    raw[0] = 0xff;
    raw[1] = 0xff;
    answer_with_owner(&m, raw, 2);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_ERR_DNS_FORMAT);
}

static void test_dnswire_pointer_into_header_format(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    uint8_t off;
    (void)state;
    for (off = 0; off < 12u; off++) {
        uint8_t raw[2] = {0xc0, off};
        answer_with_owner(&m, raw, 2);
        assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_ERR_DNS_FORMAT);
    }
    /* an MX exchange pointing into the header */
    {
        size_t o;
        resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_MX, 1);
        fdm_ptr(&m, Q_OFF);
        o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_MX, CLASS_IN, 300);
        fdm_u16(&m, 10);
        fdm_ptr(&m, 4);
        fdm_rr_end(&m, o);
        assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
    }
}

static void test_dnswire_pointer_hops_limited(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    size_t o;
    size_t prev;
    unsigned i;
    (void)state;
    /* answer 1 (skipped type) holds a backwards chain of SMTPC_DNS_MAX_HOPS+1
     * pointers ending at the question name; answer 2's owner enters it at the
     * top: every pointer goes backwards, but there are too many. */
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_A, 2);
    fdm_ptr(&m, Q_OFF);
    o = fdm_rr_begin_raw(&m, TYPE_OTHER, CLASS_IN, 300);
    prev = Q_OFF;
    for (i = 0; i < SMTPC_DNS_MAX_HOPS; i++) {
        size_t here = m.len;
        fdm_ptr(&m, (uint16_t)prev);
        prev = here;
    }
    fdm_rr_end(&m, o);
    fdm_ptr(&m, (uint16_t)prev); /* hop SMTPC_DNS_MAX_HOPS + 1 */
    o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_A, CLASS_IN, 300);
    fdm_bytes(&m, IP1, 4);
    fdm_rr_end(&m, o);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_ERR_DNS_FORMAT);
    /* one hop fewer: accepted, and the owner is ours */
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_A, 2);
    fdm_ptr(&m, Q_OFF);
    o = fdm_rr_begin_raw(&m, TYPE_OTHER, CLASS_IN, 300);
    prev = Q_OFF;
    for (i = 0; i + 1u < SMTPC_DNS_MAX_HOPS; i++) {
        size_t here = m.len;
        fdm_ptr(&m, (uint16_t)prev);
        prev = here;
    }
    fdm_rr_end(&m, o);
    fdm_ptr(&m, (uint16_t)prev);
    o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_A, CLASS_IN, 300);
    fdm_bytes(&m, IP1, 4);
    fdm_rr_end(&m, o);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_OK);
    assert_int_equal(s.n, 1);
}

static void test_dnswire_label_types_format(void **state)
{
    static const uint8_t types[] = {0x40, 0x41, 0x7f, 0x80, 0x81, 0xbf};
    fake_dns_msg_t m;
    sink_t s;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(types); i++) {
        uint8_t raw[5] = {types[i], 'a', 'b', 'c', 0};
        answer_with_owner(&m, raw, sizeof(raw));
        assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_ERR_DNS_FORMAT);
    }
    /* in the question too */
    fdm_init(&m);
    fdm_header(&m, ID, F_RESP, 1, 0, 0, 0);
    fdm_bytes(&m, "\x44good\x04test\x00\x00\x0f\x00\x01", 15);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
}

static void test_dnswire_name_over_255_format(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    uint8_t raw[300];
    size_t n = 0;
    unsigned i;
    (void)state;
    /* 63,63,63,61: 255 octets - valid, not ours */
    for (i = 0; i < 4u; i++) {
        size_t l = i < 3u ? 63u : 61u;
        raw[n++] = (uint8_t)l;
        memset(raw + n, 'a', l);
        n += l;
    }
    raw[n++] = 0;
    assert_int_equal(n, 255u);
    answer_with_owner(&m, raw, n);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_ERR_DNS_NODATA);
    /* 63,63,63,62: 256 octets */
    raw[3u * 64u] = 62;
    memset(raw + 3u * 64u + 1u, 'a', 62);
    raw[256 - 1] = 0;
    answer_with_owner(&m, raw, 256);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_ERR_DNS_FORMAT);
    /* over 255 through compression: 4 x 63 octets of labels ending in a
     * pointer to the 255-octet name of an earlier skipped answer */
    {
        size_t o;
        size_t big;
        resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_A, 2);
        fdm_ptr(&m, Q_OFF);
        o = fdm_rr_begin_raw(&m, TYPE_OTHER, CLASS_IN, 300);
        big = m.len;
        fdm_bytes(&m, "\x3e", 1);
        for (i = 0; i < 62u; i++) {
            fdm_u8(&m, 'b');
        }
        fdm_u8(&m, 0);
        fdm_rr_end(&m, o);
        fdm_bytes(&m, raw, 3u * 64u); /* 3 labels of 63 */
        fdm_ptr(&m, (uint16_t)big);   /* + 1+62+1: 256 */
        o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_A, CLASS_IN, 300);
        fdm_bytes(&m, IP1, 4);
        fdm_rr_end(&m, o);
        assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_ERR_DNS_FORMAT);
    }
}

static void test_dnswire_bad_char_in_name_format(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    size_t o;
    (void)state;
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_MX, 1);
    fdm_ptr(&m, Q_OFF);
    o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_MX, CLASS_IN, 300);
    fdm_u16(&m, 10);
    fdm_bytes(&m,
              "\x04mx\x00"
              "1\x00",
              6); /* NUL inside a label */
    fdm_rr_end(&m, o);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_MX, 1);
    fdm_ptr(&m, Q_OFF);
    o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_MX, CLASS_IN, 300);
    fdm_u16(&m, 10);
    fdm_bytes(&m, "\x03m.x\x00", 5); /* a dot inside a label */
    fdm_rr_end(&m, o);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
}

static void test_dnswire_rdlength_past_end_format(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    size_t o;
    (void)state;
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_A, 1);
    fdm_ptr(&m, Q_OFF);
    o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_A, CLASS_IN, 300);
    fdm_bytes(&m, IP1, 4);
    fdm_set_u16(&m, o, 5);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_ERR_DNS_FORMAT);
    fdm_set_u16(&m, o, 0xffff);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_ERR_DNS_FORMAT);
    /* RR header itself cut */
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_A, 1);
    fdm_ptr(&m, Q_OFF);
    fdm_bytes(&m, "\x00\x01\x00\x01\x00\x00\x01", 7);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_ERR_DNS_FORMAT);
    /* ANCOUNT larger than what is there */
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_A, 2);
    add_a(&m, IP1);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_A, &s), SMTPC_ERR_DNS_FORMAT);
}

static void test_dnswire_mx_rdata_checks(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    size_t o;
    (void)state;
    /* trailing garbage after the exchange */
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_MX, 1);
    fdm_ptr(&m, Q_OFF);
    o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_MX, CLASS_IN, 300);
    fdm_u16(&m, 10);
    fdm_name(&m, "mx1.good.test");
    fdm_bytes(&m, "zz", 2);
    fdm_rr_end(&m, o);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
    assert_int_equal(s.n, 0);
    /* exchange running past RDLENGTH (but not past the message) */
    resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_MX, 1);
    fdm_ptr(&m, Q_OFF);
    o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_MX, CLASS_IN, 300);
    fdm_u16(&m, 10);
    fdm_name(&m, "mx1.good.test");
    fdm_set_u16(&m, o, 2u + 4u); /* only "\x03mx1" */
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
    /* RDLENGTH 0, 1, 2 */
    {
        uint16_t rl;
        for (rl = 0; rl < 3u; rl++) {
            resp_start(&m, F_RESP, "good.test", SMTPC_DNS_TYPE_MX, 1);
            fdm_ptr(&m, Q_OFF);
            o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_MX, CLASS_IN, 300);
            fdm_bytes(&m, "\x00\x00", rl);
            fdm_rr_end(&m, o);
            assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
        }
    }
}

/* -------------------------------------------- every truncation length --- */

static void test_dnswire_every_truncation_defined(void **state)
{
    fake_dns_msg_t m;
    sink_t s;
    size_t n;
    (void)state;
    build_mx_pair(&m);
    assert_int_equal(parse(&m, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_OK);
    for (n = 0; n < m.len; n++) {
        fake_dns_msg_t t = m;
        t.len = n;
        /* ANCOUNT = 2 and both answers are needed: every cut is malformed */
        assert_int_equal(parse(&t, "good.test", SMTPC_DNS_TYPE_MX, &s), SMTPC_ERR_DNS_FORMAT);
    }
    /* the same for a CNAME + TXT response */
    {
        static const char *const txt[] = {"v=STSv1; ", "id=1;"};
        resp_start(&m, F_RESP, "_mta-sts.good.test", SMTPC_DNS_TYPE_TXT, 2);
        add_cname(&m, "_mta-sts.good.test", "sts.good.test");
        {
            size_t o = fdm_rr_begin(&m, "sts.good.test", SMTPC_DNS_TYPE_TXT, CLASS_IN, 300);
            size_t i;
            for (i = 0; i < 2u; i++) {
                fdm_u8(&m, (uint8_t)strlen(txt[i]));
                fdm_bytes(&m, txt[i], strlen(txt[i]));
            }
            fdm_rr_end(&m, o);
        }
        assert_int_equal(parse(&m, "_mta-sts.good.test", SMTPC_DNS_TYPE_TXT, &s), SMTPC_OK);
        for (n = 0; n < m.len; n++) {
            fake_dns_msg_t t = m;
            t.len = n;
            assert_int_equal(parse(&t, "_mta-sts.good.test", SMTPC_DNS_TYPE_TXT, &s),
                             SMTPC_ERR_DNS_FORMAT);
        }
    }
}

/* Every byte overwritten with a few nasty values: the result is always one
 * of the documented ones and nothing reads outside the message. */
static void test_dnswire_byte_mutations_defined(void **state)
{
    static const uint8_t vals[] = {0x00, 0x01, 0x0c, 0x3f, 0x40, 0x80, 0xc0, 0xff};
    fake_dns_msg_t m;
    sink_t s;
    size_t i;
    size_t v;
    (void)state;
    build_mx_pair(&m);
    for (i = 0; i < m.len; i++) {
        for (v = 0; v < sizeof(vals); v++) {
            fake_dns_msg_t t = m;
            int rc;
            t.b[i] = vals[v];
            rc = parse(&t, "good.test", SMTPC_DNS_TYPE_MX, &s);
            assert_true(rc == SMTPC_OK || rc == SMTPC_ERR_DNS_FORMAT ||
                        rc == SMTPC_ERR_DNS_NODATA || rc == SMTPC_ERR_DNS_NXDOMAIN ||
                        rc == SMTPC_ERR_DNS_SERVFAIL || rc == SMTPC_ERR_DNS_REFUSED ||
                        rc == SMTPC_ERR_DNS_TRUNCATED);
            assert_true(s.n <= 2u);
        }
    }
}

/* ------------------------------------------------------------- MX list --- */

static smtpc_dns_rr_t mx_rr(uint16_t pref, const char *host)
{
    smtpc_dns_rr_t rr;
    memset(&rr, 0, sizeof(rr));
    rr.type = SMTPC_DNS_TYPE_MX;
    rr.pref = pref;
    strcpy(rr.name, host);
    return rr;
}

static int mx_cb(void *arg, const smtpc_dns_rr_t *rr)
{
    return smtpc_mx_add((smtpc_mx_list_t *)arg, rr);
}

static void test_dnswire_null_mx(void **state)
{
    fake_dns_msg_t m;
    smtpc_mx_list_t l;
    smtpc_dns_rr_t rr;
    size_t o;
    (void)state;
    resp_start(&m, F_RESP, "nullmx.test", SMTPC_DNS_TYPE_MX, 1);
    fdm_ptr(&m, Q_OFF);
    o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_MX, CLASS_IN, 300);
    fdm_bytes(&m, "\x00\x00\x00", 3); /* 0 . */
    fdm_rr_end(&m, o);
    memset(&l, 0, sizeof(l));
    assert_int_equal(
        smtpc_dns_resp_parse(m.b, m.len, ID, "nullmx.test", SMTPC_DNS_TYPE_MX, mx_cb, &l),
        SMTPC_ERR_DNS_NULL_MX);
    assert_int_equal(l.count, 0);
    rr = mx_rr(0, "");
    assert_int_equal(smtpc_mx_add(&l, &rr), SMTPC_ERR_DNS_NULL_MX);
    rr = mx_rr(10, "mx.test");
    rr.type = SMTPC_DNS_TYPE_A;
    assert_int_equal(smtpc_mx_add(&l, &rr), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_mx_add(NULL, &rr), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_mx_add(&l, NULL), SMTPC_ERR_BAD_ARG);
}

static void test_dnswire_mx_list_keeps_best(void **state)
{
    static const uint16_t prefs[] = {50, 40, 30, 60, 20, 10, 45, 5};
    smtpc_mx_list_t l;
    size_t i;
    char host[32];
    (void)state;
    memset(&l, 0, sizeof(l));
    for (i = 0; i < sizeof(prefs) / sizeof(prefs[0]); i++) {
        smtpc_dns_rr_t rr;
        snprintf(host, sizeof(host), "mx%u.test", (unsigned)prefs[i]);
        rr = mx_rr(prefs[i], host);
        assert_int_equal(smtpc_mx_add(&l, &rr), SMTPC_OK);
        assert_true(l.count <= SMTPC_MAX_MX);
    }
    assert_int_equal(l.count, SMTPC_MAX_MX);
    smtpc_mx_sort(&l, NULL, 0);
#if SMTPC_MAX_MX == 4
    assert_int_equal(l.mx[0].pref, 5);
    assert_string_equal(l.mx[0].host, "mx5.test");
    assert_int_equal(l.mx[1].pref, 10);
    assert_int_equal(l.mx[2].pref, 20);
    assert_int_equal(l.mx[3].pref, 30);
    assert_string_equal(l.mx[3].host, "mx30.test");
#endif
    for (i = 1; i < l.count; i++) {
        assert_true(l.mx[i - 1u].pref <= l.mx[i].pref);
    }
}

static void test_dnswire_mx_sort_by_preference(void **state)
{
    smtpc_mx_list_t l;
    smtpc_dns_rr_t rr;
    static const uint8_t seed[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    (void)state;
    memset(&l, 0, sizeof(l));
    rr = mx_rr(30, "c.test");
    smtpc_mx_add(&l, &rr);
    rr = mx_rr(10, "a.test");
    smtpc_mx_add(&l, &rr);
    rr = mx_rr(65535, "d.test");
    smtpc_mx_add(&l, &rr);
    rr = mx_rr(20, "b.test");
    smtpc_mx_add(&l, &rr);
    smtpc_mx_sort(&l, seed, sizeof(seed));
    assert_string_equal(l.mx[0].host, "a.test");
    assert_string_equal(l.mx[1].host, "b.test");
    assert_string_equal(l.mx[2].host, "c.test");
    assert_string_equal(l.mx[3].host, "d.test");
    smtpc_mx_sort(NULL, seed, sizeof(seed)); /* no crash */
}

static void fill_equal(smtpc_mx_list_t *l, uint16_t p0, uint16_t p1, uint16_t p2, uint16_t p3)
{
    const uint16_t p[4] = {p0, p1, p2, p3};
    size_t i;
    memset(l, 0, sizeof(*l));
    for (i = 0; i < 4u && i < SMTPC_MAX_MX; i++) {
        char h[16];
        smtpc_dns_rr_t rr;
        snprintf(h, sizeof(h), "h%u.test", (unsigned)i);
        rr = mx_rr(p[i], h);
        assert_int_equal(smtpc_mx_add(l, &rr), SMTPC_OK);
    }
}

/* Permutation index of h0..h3 in l (0..23). */
static unsigned perm_id(const smtpc_mx_list_t *l)
{
    unsigned id = 0;
    size_t i;
    for (i = 0; i < 4u; i++) {
        id = id * 4u + (unsigned)(l->mx[i].host[1] - '0');
    }
    return id;
}

static void test_dnswire_mx_equal_pref_shuffled_by_seed(void **state)
{
    static uint8_t seen[256];
    smtpc_mx_list_t a;
    smtpc_mx_list_t b;
    fake_rng_t rng;
    unsigned distinct = 0;
    unsigned k;
    (void)state;
#if SMTPC_MAX_MX >= 4
    memset(seen, 0, sizeof(seen));
    fake_rng_init(&rng, 12345);
    for (k = 0; k < 2000u; k++) {
        uint8_t seed[8];
        unsigned mask = 0;
        size_t i;
        assert_int_equal(fake_rng_ops.fill(&rng, seed, sizeof(seed)), SMTPC_OK);
        fill_equal(&a, 10, 10, 10, 10);
        fill_equal(&b, 10, 10, 10, 10);
        smtpc_mx_sort(&a, seed, sizeof(seed));
        smtpc_mx_sort(&b, seed, sizeof(seed));
        /* deterministic for a seed, and a permutation */
        assert_int_equal(perm_id(&a), perm_id(&b));
        for (i = 0; i < 4u; i++) {
            mask |= 1u << (a.mx[i].host[1] - '0');
            assert_int_equal(a.mx[i].pref, 10);
        }
        assert_int_equal(mask, 0xfu);
        if (!seen[perm_id(&a)]) {
            seen[perm_id(&a)] = 1;
            distinct++;
        }
    }
    assert_int_equal(distinct, 24u); /* every order is reachable */
    /* two groups: shuffled within, never across */
    for (k = 0; k < 200u; k++) {
        uint8_t seed[8];
        assert_int_equal(fake_rng_ops.fill(&rng, seed, sizeof(seed)), SMTPC_OK);
        fill_equal(&a, 20, 10, 20, 10);
        smtpc_mx_sort(&a, seed, sizeof(seed));
        assert_int_equal(a.mx[0].pref, 10);
        assert_int_equal(a.mx[1].pref, 10);
        assert_int_equal(a.mx[2].pref, 20);
        assert_int_equal(a.mx[3].pref, 20);
        assert_true((a.mx[0].host[1] == '1' && a.mx[1].host[1] == '3') ||
                    (a.mx[0].host[1] == '3' && a.mx[1].host[1] == '1'));
        assert_true((a.mx[2].host[1] == '0' && a.mx[3].host[1] == '2') ||
                    (a.mx[2].host[1] == '2' && a.mx[3].host[1] == '0'));
    }
    /* without a seed: a stable sort */
    fill_equal(&a, 10, 10, 10, 10);
    smtpc_mx_sort(&a, NULL, 0);
    assert_int_equal(perm_id(&a), 0u * 64u + 1u * 16u + 2u * 4u + 3u);
#else
    (void)a;
    (void)b;
    (void)rng;
    (void)distinct;
    (void)k;
    skip();
#endif
}

static void test_dnswire_name_norm(void **state)
{
    char n[300];
    (void)state;
    strcpy(n, "Good.TEST.");
    assert_int_equal(smtpc_dns_name_norm(n, sizeof(n)), 9);
    assert_string_equal(n, "good.test");
    strcpy(n, "good.test");
    assert_int_equal(smtpc_dns_name_norm(n, sizeof(n)), 9);
    strcpy(n, "");
    assert_int_equal(smtpc_dns_name_norm(n, sizeof(n)), 0);
    strcpy(n, ".");
    assert_int_equal(smtpc_dns_name_norm(n, sizeof(n)), 0);
    long_name(n, 253);
    assert_int_equal(smtpc_dns_name_norm(n, sizeof(n)), 253);
    long_name(n, 253);
    strcat(n, ".");
    assert_int_equal(smtpc_dns_name_norm(n, sizeof(n)), 253);
    assert_int_equal(strlen(n), 253u);
    long_name(n, 254);
    assert_int_equal(smtpc_dns_name_norm(n, sizeof(n)), 0);
    /* no NUL within cap */
    memset(n, 'a', 8);
    assert_int_equal(smtpc_dns_name_norm(n, 8), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dnswire_query_mx_exact_bytes),
        cmocka_unit_test(test_dnswire_query_upper_case_kept),
        cmocka_unit_test(test_dnswire_query_label_63_ok_64_rejected),
        cmocka_unit_test(test_dnswire_query_name_253_ok_longer_rejected),
        cmocka_unit_test(test_dnswire_query_bad_names_rejected),
        cmocka_unit_test(test_dnswire_query_small_buffer_no_space),
        cmocka_unit_test(test_dnswire_a_answer_delivered),
        cmocka_unit_test(test_dnswire_ttl_high_bit_cleared),
        cmocka_unit_test(test_dnswire_a_bad_rdlength_format),
        cmocka_unit_test(test_dnswire_aaaa_answer_delivered),
        cmocka_unit_test(test_dnswire_mx_compressed_delivered),
        cmocka_unit_test(test_dnswire_mx_pointer_to_pointer_accepted),
        cmocka_unit_test(test_dnswire_mx_max_length_exchange),
        cmocka_unit_test(test_dnswire_txt_variants),
        cmocka_unit_test(test_dnswire_txt_string_past_rdata_format),
        cmocka_unit_test(test_dnswire_cname_chain_then_a),
        cmocka_unit_test(test_dnswire_cname_chain_limit),
        cmocka_unit_test(test_dnswire_cname_rdata_garbage_format),
        cmocka_unit_test(test_dnswire_other_owner_class_type_ignored),
        cmocka_unit_test(test_dnswire_answers_beyond_limit_ignored),
        cmocka_unit_test(test_dnswire_callback_result_stops),
        cmocka_unit_test(test_dnswire_header_checks),
        cmocka_unit_test(test_dnswire_question_echo),
        cmocka_unit_test(test_dnswire_truncated_header_format),
        cmocka_unit_test(test_dnswire_rcodes),
        cmocka_unit_test(test_dnswire_tc_truncated),
        cmocka_unit_test(test_dnswire_pointer_self_loop_format),
        cmocka_unit_test(test_dnswire_pointer_cycle_format),
        cmocka_unit_test(test_dnswire_pointer_forward_format),
        cmocka_unit_test(test_dnswire_pointer_into_header_format),
        cmocka_unit_test(test_dnswire_pointer_hops_limited),
        cmocka_unit_test(test_dnswire_label_types_format),
        cmocka_unit_test(test_dnswire_name_over_255_format),
        cmocka_unit_test(test_dnswire_bad_char_in_name_format),
        cmocka_unit_test(test_dnswire_rdlength_past_end_format),
        cmocka_unit_test(test_dnswire_mx_rdata_checks),
        cmocka_unit_test(test_dnswire_every_truncation_defined),
        cmocka_unit_test(test_dnswire_byte_mutations_defined),
        cmocka_unit_test(test_dnswire_null_mx),
        cmocka_unit_test(test_dnswire_mx_list_keeps_best),
        cmocka_unit_test(test_dnswire_mx_sort_by_preference),
        cmocka_unit_test(test_dnswire_mx_equal_pref_shuffled_by_seed),
        cmocka_unit_test(test_dnswire_name_norm),
    };
    return cmocka_run_group_tests_name("dnswire", tests, NULL, NULL);
}
