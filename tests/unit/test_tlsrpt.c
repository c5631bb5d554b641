/* TLS reporting (smtpc_tlsrpt.c, smtpc_gzip.c):
 *  - the `_smtp._tls` TXT record: tables of valid and invalid records, each
 *    ambiguity of RFC 8460 §3 as decided in tlsrpt.h, the selection over
 *    several records, the mailto: and https: splitting helpers;
 *  - classification: every error code as a session and as a policy event,
 *    certificate verdicts under a policy, flags, rpt states;
 *  - the log over the RAM flash: round trip and persistence, batching and
 *    flush, day rollover, policy snapshots, degraded groups (the sum of the
 *    groups always equals the failure total; overflow is never silent),
 *    remove and collection of string tables and snapshots, the schedule,
 *    corrupted and fuzzed records, a full store (reclaim of expired reports,
 *    drops counted), an unknown clock, a random workload against a model;
 *  - gzip: stored members of 0 .. 200000 bytes inflated by zlib;
 *  - power cuts (the emulator of port/flash): a cut at every write operation
 *    of a sequence of record() calls, then a remount: every failure whose
 *    record() returned OK is there, at most one batch of successes per
 *    report entry is lost, and the counts stay consistent.
 * `test_tlsrpt` runs the unit group with a power-cut sample on one geometry;
 * `test_tlsrpt --powercut` runs every cut mode on four geometries with
 * several seeds per half-done cut. Every random input comes from a fixed
 * seed. Every RAM flash here is strict (a prog over programmed bits or an
 * unaligned access is counted, and the counts must stay zero).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtpc/err.h"
#include "smtpc/kvs.h"
#include "smtpc/sts.h"
#include "smtpc/tlsrpt.h"

#include "smtpc_flash_emu.h"
#include "smtpc_flash_ram.h"
#include "flash_test_util.h"

#if defined(TEST_HAVE_ZLIB)
#include <zlib.h>
#endif

#define DAY 86400ull
#define D0  20000u /* a day number (2024-10-04) */

/* ================================================================ TXT === */

typedef struct {
    const char *rec;
    unsigned count;
    unsigned skipped;
    const char *u0;
    const char *u1;
} txt_ok_t;

static void test_txt_valid(void **state)
{
    static char long_uri[SMTPC_TLSRPT_URI_MAX + 40];
    static char long_rec[SMTPC_TLSRPT_URI_MAX + 80];
    static const txt_ok_t t[] = {
        {"v=TLSRPTv1; rua=mailto:tlsrpt@example.com", 1, 0, "mailto:tlsrpt@example.com", NULL},
        {"v=TLSRPTv1;rua=mailto:a@x.org,https://r.x.org/tls", 2, 0, "mailto:a@x.org",
         "https://r.x.org/tls"},
        /* ambiguity 1: blanks before the first ';' (the ABNF allows them) */
        {"v=TLSRPTv1 ;rua=mailto:a@x.org", 1, 0, "mailto:a@x.org", NULL},
        {"v=TLSRPTv1\t; \trua=mailto:a@x.org", 1, 0, "mailto:a@x.org", NULL},
        /* trailing delimiter, with blanks around it */
        {"v=TLSRPTv1; rua=mailto:a@x.org;", 1, 0, "mailto:a@x.org", NULL},
        {"v=TLSRPTv1; rua=mailto:a@x.org ; ", 1, 0, "mailto:a@x.org", NULL},
        /* blanks around the commas */
        {"v=TLSRPTv1; rua=mailto:a@x.org , \tmailto:b@x.org", 2, 0, "mailto:a@x.org",
         "mailto:b@x.org"},
        /* ambiguity 2: a second rua= appends */
        {"v=TLSRPTv1; rua=mailto:a@x.org; rua=https://h.x.org/r", 2, 0, "mailto:a@x.org",
         "https://h.x.org/r"},
        /* ambiguity 3: an unencoded '!' is a URI character */
        {"v=TLSRPTv1; rua=mailto:a!b@x.org", 1, 0, "mailto:a!b@x.org", NULL},
        /* ambiguity 4: ';' in an https query cuts the URI; the rest is an extension */
        {"v=TLSRPTv1; rua=https://h.x.org/x?a=1;b=2", 1, 0, "https://h.x.org/x?a=1", NULL},
        /* ambiguity 5: an encoded comma stays in the URI */
        {"v=TLSRPTv1; rua=mailto:%22a%2Cb%22@x.org", 1, 0, "mailto:%22a%2Cb%22@x.org", NULL},
        /* extensions, before and after rua, are ignored */
        {"v=TLSRPTv1; ext=1; rua=mailto:a@x.org; x.y_z-1=v:a/b", 1, 0, "mailto:a@x.org", NULL},
        {"v=TLSRPTv1; abcdefghijklmnopqrstuvwxyz012345=~; rua=mailto:a@x.org", 1, 0,
         "mailto:a@x.org", NULL},
        /* a repeated version is only an extension */
        {"v=TLSRPTv1; v=TLSRPTv1; rua=mailto:a@x.org", 1, 0, "mailto:a@x.org", NULL},
        /* RUA= in capitals is an extension, not rua (case-sensitive) */
        {"v=TLSRPTv1; RUA=mailto:b@x.org; rua=mailto:a@x.org", 1, 0, "mailto:a@x.org", NULL},
        /* schemes are case-insensitive */
        {"v=TLSRPTv1; rua=MAILTO:A@X.ORG,HTTPS://H.X.ORG/", 2, 0, "MAILTO:A@X.ORG",
         "HTTPS://H.X.ORG/"},
        /* unsupported schemes are skipped, counted */
        {"v=TLSRPTv1; rua=ftp://x.org/r,mailto:a@x.org", 1, 1, "mailto:a@x.org", NULL},
        {"v=TLSRPTv1; rua=http://x.org/r", 0, 1, NULL, NULL},
        /* an https URI without an authority is unusable: skipped, counted */
        {"v=TLSRPTv1; rua=https:/r,https:r", 0, 2, NULL, NULL},
        /* more than SMTPC_TLSRPT_RUA_MAX (2) */
        {"v=TLSRPTv1; rua=mailto:a@x.org,mailto:b@x.org,mailto:c@x.org", 2, 1, "mailto:a@x.org",
         "mailto:b@x.org"},
        /* URI characters: sub-delims, brackets, fragment, percent-encoding */
        {"v=TLSRPTv1; rua=https://[2001:db8::1]:8443/a/b?c=d&e=f%20g#frag", 1, 0,
         "https://[2001:db8::1]:8443/a/b?c=d&e=f%20g#frag", NULL},
        {"v=TLSRPTv1; rua=mailto:x@y.org?subject=tls%3Breport", 1, 0,
         "mailto:x@y.org?subject=tls%3Breport", NULL},
    };
    smtpc_tlsrpt_txt_t out;
    unsigned i;
    (void)state;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        int rc = smtpc_tlsrpt_txt_parse(t[i].rec, strlen(t[i].rec), &out);
        if (rc != SMTPC_OK) {
            printf("rejected: %s\n", t[i].rec);
        }
        assert_int_equal(rc, SMTPC_OK);
        assert_int_equal(smtpc_tlsrpt_txt_parse(t[i].rec, strlen(t[i].rec), NULL), SMTPC_OK);
        assert_int_equal(out.rua_count, t[i].count);
        assert_int_equal(out.rua_skipped, t[i].skipped);
        if (t[i].u0 != NULL) {
            assert_string_equal(out.rua[0].uri, t[i].u0);
            assert_int_equal(out.rua[0].kind, strncmp(t[i].u0, "mailto", 6) == 0 ||
                                                      strncmp(t[i].u0, "MAILTO", 6) == 0
                                                  ? SMTPC_RUA_MAILTO
                                                  : SMTPC_RUA_HTTPS);
        }
        if (t[i].u1 != NULL) {
            assert_string_equal(out.rua[1].uri, t[i].u1);
        }
        assert_true(smtpc_tlsrpt_txt_is_candidate(t[i].rec, strlen(t[i].rec)));
    }
    /* a URI longer than SMTPC_TLSRPT_URI_MAX is valid but not kept */
    memset(long_uri, 0, sizeof(long_uri));
    memcpy(long_uri, "https://h.x.org/", 16);
    memset(long_uri + 16, 'a', SMTPC_TLSRPT_URI_MAX + 10 - 16);
    snprintf(long_rec, sizeof(long_rec), "v=TLSRPTv1; rua=%s,mailto:a@x.org", long_uri);
    assert_int_equal(smtpc_tlsrpt_txt_parse(long_rec, strlen(long_rec), &out), SMTPC_OK);
    assert_int_equal(out.rua_count, 1);
    assert_int_equal(out.rua_skipped, 1);
    /* exactly SMTPC_TLSRPT_URI_MAX: kept */
    long_uri[SMTPC_TLSRPT_URI_MAX] = '\0';
    snprintf(long_rec, sizeof(long_rec), "v=TLSRPTv1; rua=%s", long_uri);
    assert_int_equal(smtpc_tlsrpt_txt_parse(long_rec, strlen(long_rec), &out), SMTPC_OK);
    assert_int_equal(out.rua_count, 1);
    assert_int_equal(strlen(out.rua[0].uri), SMTPC_TLSRPT_URI_MAX);
    /* the record is given by length: bytes after it are not read */
    assert_int_equal(smtpc_tlsrpt_txt_parse("v=TLSRPTv1; rua=mailto:a@x.org\x01junk", 30, &out),
                     SMTPC_OK);
    assert_string_equal(out.rua[0].uri, "mailto:a@x.org");
}

static void test_txt_invalid(void **state)
{
    static const char *const bad[] = {
        "",
        "v=TLSRPTv1",
        "v=TLSRPTv1;",
        "v=TLSRPTv1; ",
        "v=tlsrptv1; rua=mailto:a@x.org", /* version is case-sensitive */
        "v=TLSRPTv2; rua=mailto:a@x.org",
        "v=TLSRPTv10; rua=mailto:a@x.org",
        " v=TLSRPTv1; rua=mailto:a@x.org", /* must begin with it */
        "v=TLSRPTv1 rua=mailto:a@x.org",   /* no delimiter */
        "v=TLSRPTv1; RUA=mailto:a@x.org",  /* no rua field */
        "v=TLSRPTv1; ext=1",
        "v=TLSRPTv1; rua= mailto:a@x.org", /* no WSP after "rua=" */
        "v=TLSRPTv1; rua=",
        "v=TLSRPTv1; rua=mailto:a@x.org,", /* a URI must follow ',' */
        "v=TLSRPTv1; rua=mailto:a@x.org, ",
        "v=TLSRPTv1; rua=,mailto:a@x.org",
        "v=TLSRPTv1; rua=mailto:a@x.org;;", /* empty field */
        "v=TLSRPTv1;; rua=mailto:a@x.org",
        "v=TLSRPTv1; rua=mailto:a@x.org ", /* trailing blanks without ';' */
        "v=TLSRPTv1; rua=mailto:a@x.org mailto:b@x.org",
        "v=TLSRPTv1; foo; rua=mailto:a@x.org", /* a field without '=' */
        "v=TLSRPTv1; rua=mailto:a@x.org; foo",
        "v=TLSRPTv1; rua=mailto:a@x.org; x=",    /* empty ext-value */
        "v=TLSRPTv1; rua=mailto:a@x.org; x=a=b", /* '=' in ext-value */
        "v=TLSRPTv1; rua=mailto:a@x.org; x =a",
        "v=TLSRPTv1; rua=mailto:a@x.org; x= a",
        "v=TLSRPTv1; rua=mailto:a@x.org; _x=a", /* ext-name starts with ALPHA/DIGIT */
        "v=TLSRPTv1; rua=mailto:a@x.org; abcdefghijklmnopqrstuvwxyz0123456=a", /* 33 */
        "v=TLSRPTv1; rua=mailto:a@x.org; x=\x80",
        "v=TLSRPTv1; rua=mailto:a@x.org; x=\x7f",
        "v=TLSRPTv1; rua=a@x.org",    /* no scheme */
        "v=TLSRPTv1; rua=1x:a@x.org", /* scheme starts with ALPHA */
        "v=TLSRPTv1; rua=:a@x.org",
        "v=TLSRPTv1; rua=mailto:a%G1@x.org", /* bad percent-encoding */
        "v=TLSRPTv1; rua=mailto:a@x.org%2",
        "v=TLSRPTv1; rua=mailto:a@x.org%",
        "v=TLSRPTv1; rua=mailto:<a@x.org>", /* not URI characters */
        "v=TLSRPTv1; rua=mailto:\"a\"@x.org",
        "v=TLSRPTv1; rua=https://h/{x}",
        "v=TLSRPTv1; rua=https://h/x#a#b",
        "v=TLSRPTv1; rua=mailto:\xc3\xa9@x.org",
    };
    smtpc_tlsrpt_txt_t out;
    unsigned i;
    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&out, 0x5a, sizeof(out));
        if (smtpc_tlsrpt_txt_parse(bad[i], strlen(bad[i]), &out) != SMTPC_ERR_TLSRPT_TXT_INVALID) {
            printf("accepted: '%s'\n", bad[i]);
            fail();
        }
        assert_int_equal(out.rua_count, 0); /* cleared */
        assert_int_equal(smtpc_tlsrpt_txt_parse(bad[i], strlen(bad[i]), NULL),
                         SMTPC_ERR_TLSRPT_TXT_INVALID);
    }
    /* a NUL inside */
    assert_int_equal(smtpc_tlsrpt_txt_parse("v=TLSRPTv1; rua=mailto:a\0@x.org", 31, &out),
                     SMTPC_ERR_TLSRPT_TXT_INVALID);
    assert_int_equal(smtpc_tlsrpt_txt_parse(NULL, 5, &out), SMTPC_ERR_TLSRPT_TXT_INVALID);
    /* every prefix of a valid record but the full one and the one before
     * its last char (both end on a field) fails or passes consistently */
    {
        const char *r = "v=TLSRPTv1; rua=mailto:a@x.org,https://h.x.org/r; e=1;";
        size_t n = strlen(r);
        size_t k;
        for (k = 0; k <= n; k++) {
            int rc = smtpc_tlsrpt_txt_parse(r, k, &out);
            assert_true(rc == SMTPC_OK || rc == SMTPC_ERR_TLSRPT_TXT_INVALID);
        }
    }
}

static void test_txt_selection(void **state)
{
    smtpc_tlsrpt_sel_t sel;
    smtpc_tlsrpt_txt_t out;
    const char *ok1 = "v=TLSRPTv1; rua=mailto:a@x.org";
    const char *ok2 = "v=TLSRPTv1; rua=mailto:b@x.org";
    const char *broken = "v=TLSRPTv1; rua=";
    const char *spf = "v=spf1 -all";
    (void)state;
    assert_true(smtpc_tlsrpt_txt_is_candidate(ok1, strlen(ok1)));
    assert_true(smtpc_tlsrpt_txt_is_candidate(broken, strlen(broken)));
    assert_true(smtpc_tlsrpt_txt_is_candidate("v=TLSRPTv1 \t;", 13));
    assert_false(smtpc_tlsrpt_txt_is_candidate("v=TLSRPTv1", 10));
    assert_false(smtpc_tlsrpt_txt_is_candidate("v=TLSRPTv1 ", 11));
    assert_false(smtpc_tlsrpt_txt_is_candidate("v=TLSRPTv10;", 12));
    assert_false(smtpc_tlsrpt_txt_is_candidate("v=tlsrptv1;", 11));
    assert_false(smtpc_tlsrpt_txt_is_candidate(spf, strlen(spf)));
    assert_false(smtpc_tlsrpt_txt_is_candidate(NULL, 3));

    /* none */
    smtpc_tlsrpt_sel_init(&sel);
    smtpc_tlsrpt_sel_add(&sel, spf, strlen(spf));
    smtpc_tlsrpt_sel_add(&sel, "v=TLSRPTv1", 10);
    assert_int_equal(smtpc_tlsrpt_sel_result(&sel, &out), SMTPC_ERR_DNS_NODATA);
    /* exactly one valid among other records */
    smtpc_tlsrpt_sel_add(&sel, ok1, strlen(ok1));
    assert_int_equal(smtpc_tlsrpt_sel_result(&sel, &out), SMTPC_OK);
    assert_string_equal(out.rua[0].uri, "mailto:a@x.org");
    /* two valid ones: not exactly one */
    smtpc_tlsrpt_sel_add(&sel, ok2, strlen(ok2));
    assert_int_equal(smtpc_tlsrpt_sel_result(&sel, &out), SMTPC_ERR_TLSRPT_TXT_INVALID);
    /* a valid one and a broken candidate: counted before syntax */
    smtpc_tlsrpt_sel_init(&sel);
    smtpc_tlsrpt_sel_add(&sel, ok1, strlen(ok1));
    smtpc_tlsrpt_sel_add(&sel, broken, strlen(broken));
    assert_int_equal(smtpc_tlsrpt_sel_result(&sel, &out), SMTPC_ERR_TLSRPT_TXT_INVALID);
    /* the broken one first, then the valid one: still two candidates */
    smtpc_tlsrpt_sel_init(&sel);
    smtpc_tlsrpt_sel_add(&sel, broken, strlen(broken));
    smtpc_tlsrpt_sel_add(&sel, ok2, strlen(ok2));
    assert_int_equal(smtpc_tlsrpt_sel_result(&sel, &out), SMTPC_ERR_TLSRPT_TXT_INVALID);
    /* only a broken one */
    smtpc_tlsrpt_sel_init(&sel);
    smtpc_tlsrpt_sel_add(&sel, broken, strlen(broken));
    assert_int_equal(smtpc_tlsrpt_sel_result(&sel, &out), SMTPC_ERR_TLSRPT_TXT_INVALID);
    /* blank before ';' is a candidate (and valid) */
    smtpc_tlsrpt_sel_init(&sel);
    smtpc_tlsrpt_sel_add(&sel, "v=TLSRPTv1 ;rua=mailto:c@x.org", 30);
    assert_int_equal(smtpc_tlsrpt_sel_result(&sel, &out), SMTPC_OK);
    assert_string_equal(out.rua[0].uri, "mailto:c@x.org");
    /* multi-string TXT: the strings are joined without spaces by the caller */
    {
        char joined[64];
        snprintf(joined, sizeof(joined), "%s%s", "v=TLSRPTv1; rua=mai", "lto:d@x.org");
        smtpc_tlsrpt_sel_init(&sel);
        smtpc_tlsrpt_sel_add(&sel, joined, strlen(joined));
        assert_int_equal(smtpc_tlsrpt_sel_result(&sel, &out), SMTPC_OK);
        assert_string_equal(out.rua[0].uri, "mailto:d@x.org");
    }
    assert_int_equal(smtpc_tlsrpt_sel_result(NULL, &out), SMTPC_ERR_BAD_ARG);
    smtpc_tlsrpt_sel_add(NULL, ok1, strlen(ok1));
}

static void test_mailto_addr(void **state)
{
    static const struct {
        const char *uri;
        int rc;
        const char *addr;
    } t[] = {
        {"mailto:tlsrpt@example.com", SMTPC_OK, "tlsrpt@example.com"},
        {"MAILTO:TLS@Example.COM", SMTPC_OK, "TLS@Example.COM"},
        {"mailto:a@b.example?subject=report&body=x", SMTPC_OK, "a@b.example"},
        {"mailto:%22a%2Cb%22@b.example", SMTPC_OK, "\"a,b\"@b.example"},
        {"mailto:a%2Bb@b.example", SMTPC_OK, "a+b@b.example"},
        {"mailto:a!b@b.example", SMTPC_OK, "a!b@b.example"},
        {"mailto:a@b.example,c@d.example", SMTPC_ERR_BAD_ADDRESS, ""},
        {"mailto:", SMTPC_ERR_BAD_ADDRESS, ""},
        {"mailto:?subject=x", SMTPC_ERR_BAD_ADDRESS, ""},
        {"mailto:@b.example", SMTPC_ERR_BAD_ADDRESS, ""},
        {"mailto:a@", SMTPC_ERR_BAD_ADDRESS, ""},
        {"mailto:ab.example", SMTPC_ERR_BAD_ADDRESS, ""},
        {"mailto:a%0D%0A@b.example", SMTPC_ERR_BAD_ADDRESS, ""},
        {"mailto:a%20b@b.example", SMTPC_ERR_BAD_ADDRESS, ""},
        {"mailto:a%00@b.example", SMTPC_ERR_BAD_ADDRESS, ""},
        {"mailto:a%C3%A9@b.example", SMTPC_ERR_BAD_ADDRESS, ""},
        {"mailto:a%3E@b.example", SMTPC_ERR_BAD_ADDRESS, ""},
        {"mailto:a%2@b.example", SMTPC_ERR_BAD_ADDRESS, ""},
        {"mailto:a@b.example%4", SMTPC_ERR_BAD_ADDRESS, ""},
        {"mailto:a b@b.example", SMTPC_ERR_BAD_ADDRESS, ""},
        {"https://h/x", SMTPC_ERR_BAD_ADDRESS, ""},
        {"mail:a@b", SMTPC_ERR_BAD_ADDRESS, ""},
    };
    char out[64];
    char small[8];
    unsigned i;
    (void)state;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        int rc = smtpc_tlsrpt_mailto_addr(t[i].uri, out, sizeof(out));
        if (rc != t[i].rc) {
            printf("%s: %d\n", t[i].uri, rc);
        }
        assert_int_equal(rc, t[i].rc);
        assert_string_equal(out, t[i].addr);
    }
    /* the cap: "a@b.cd" takes 7 bytes */
    assert_int_equal(smtpc_tlsrpt_mailto_addr("mailto:a@b.cd", small, 7), SMTPC_OK);
    assert_string_equal(small, "a@b.cd");
    assert_int_equal(smtpc_tlsrpt_mailto_addr("mailto:a@b.cde", small, 7), SMTPC_ERR_NO_SPACE);
    assert_string_equal(small, "");
    assert_int_equal(smtpc_tlsrpt_mailto_addr(NULL, out, sizeof(out)), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_tlsrpt_mailto_addr("mailto:a@b", NULL, 5), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_tlsrpt_mailto_addr("mailto:a@b", out, 0), SMTPC_ERR_BAD_ARG);
    /* every parsed mailto rua of the TXT tables decodes or is refused, never overruns */
    {
        char big[SMTPC_TLSRPT_URI_MAX + 20];
        memset(big, 'a', sizeof(big));
        memcpy(big, "mailto:", 7);
        big[sizeof(big) - 1] = '\0';
        assert_int_equal(smtpc_tlsrpt_mailto_addr(big, out, sizeof(out)), SMTPC_ERR_BAD_ADDRESS);
    }
}

static void test_https_split(void **state)
{
    static const struct {
        const char *uri;
        int rc;
        const char *host;
        unsigned port;
        const char *target;
    } t[] = {
        {"https://reports.example.com/tlsrpt", SMTPC_OK, "reports.example.com", 443, "/tlsrpt"},
        {"HTTPS://R.Example.COM:8443/A?b=C", SMTPC_OK, "r.example.com", 8443, "/A?b=C"},
        {"https://h.example", SMTPC_OK, "h.example", 443, "/"},
        {"https://h.example?x=1", SMTPC_OK, "h.example", 443, "/?x=1"},
        {"https://h.example:/x", SMTPC_OK, "h.example", 443, "/x"},
        {"https://h.example:65535/", SMTPC_OK, "h.example", 65535, "/"},
        {"https://192.0.2.1:444/r", SMTPC_OK, "192.0.2.1", 444, "/r"},
        {"https://[2001:DB8::1]:444/x", SMTPC_OK, "2001:db8::1", 444, "/x"},
        {"https://[2001:db8::1]", SMTPC_OK, "2001:db8::1", 443, "/"},
        {"https://h.example/a%20b?c=%3B", SMTPC_OK, "h.example", 443, "/a%20b?c=%3B"},
        {"https://u@h.example/x", SMTPC_ERR_BAD_ARG, "", 0, ""},
        {"https://u:p@h.example/x", SMTPC_ERR_BAD_ARG, "", 0, ""},
        {"https:///x", SMTPC_ERR_BAD_ARG, "", 0, ""},
        {"https://", SMTPC_ERR_BAD_ARG, "", 0, ""},
        {"https://:443/x", SMTPC_ERR_BAD_ARG, "", 0, ""},
        {"https://h.example:0/", SMTPC_ERR_BAD_ARG, "", 0, ""},
        {"https://h.example:65536/", SMTPC_ERR_BAD_ARG, "", 0, ""},
        {"https://h.example:123456/", SMTPC_ERR_BAD_ARG, "", 0, ""},
        {"https://h.example:12a/", SMTPC_ERR_BAD_ARG, "", 0, ""},
        {"https://h.example/x#frag", SMTPC_ERR_BAD_ARG, "", 0, ""},
        {"https://h.example#frag", SMTPC_ERR_BAD_ARG, "", 0, ""},
        {"https://h.example/x y", SMTPC_ERR_BAD_ARG, "", 0, ""},
        {"https://h%41.example/", SMTPC_ERR_BAD_ARG, "", 0, ""},
        {"https://[fe80::1%25eth0]/", SMTPC_ERR_BAD_ARG, "", 0, ""},
        {"https://[]/", SMTPC_ERR_BAD_ARG, "", 0, ""},
        {"https://[::1/", SMTPC_ERR_BAD_ARG, "", 0, ""},
        {"https://[::1]x/", SMTPC_ERR_BAD_ARG, "", 0, ""},
        {"http://h.example/x", SMTPC_ERR_BAD_ARG, "", 0, ""},
        {"https:h.example/x", SMTPC_ERR_BAD_ARG, "", 0, ""},
        {"mailto:a@b", SMTPC_ERR_BAD_ARG, "", 0, ""},
    };
    char host[64];
    char target[64];
    uint16_t port;
    unsigned i;
    (void)state;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        int rc;
        port = 0;
        rc = smtpc_tlsrpt_https_split(t[i].uri, host, sizeof(host), &port, target, sizeof(target));
        if (rc != t[i].rc) {
            printf("%s: %d\n", t[i].uri, rc);
        }
        assert_int_equal(rc, t[i].rc);
        assert_string_equal(host, t[i].host);
        assert_string_equal(target, t[i].target);
        if (rc == SMTPC_OK) {
            assert_int_equal(port, t[i].port);
        }
    }
    /* caps: "h.example" needs 10, "/ab" needs 4 */
    assert_int_equal(smtpc_tlsrpt_https_split("https://h.example/ab", host, 10, &port, target, 4),
                     SMTPC_OK);
    assert_int_equal(smtpc_tlsrpt_https_split("https://h.example/ab", host, 9, &port, target, 4),
                     SMTPC_ERR_NO_SPACE);
    assert_int_equal(smtpc_tlsrpt_https_split("https://h.example/ab", host, 10, &port, target, 3),
                     SMTPC_ERR_NO_SPACE);
    assert_int_equal(smtpc_tlsrpt_https_split("https://h.example?a", host, 10, &port, target, 3),
                     SMTPC_ERR_NO_SPACE);
    assert_int_equal(smtpc_tlsrpt_https_split("https://h.example?a", host, 10, &port, target, 4),
                     SMTPC_OK);
    assert_string_equal(target, "/?a");
    assert_int_equal(smtpc_tlsrpt_https_split(NULL, host, 10, &port, target, 4), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_tlsrpt_https_split("https://h/", host, 10, NULL, target, 4),
                     SMTPC_ERR_BAD_ARG);
}

/* ====================================================== classification === */

static smtpc_sts_policy_t g_pol_a; /* testing, mx1/mx2 */
static smtpc_sts_policy_t g_pol_b; /* enforce, *.b.example */

static void policies_init(void)
{
    static const char a[] = "version: STSv1\nmode: testing\nmx: mx1.a.example\nmx: mx2.a.example\n"
                            "max_age: 86400\n";
    static const char b[] = "version: STSv1\r\nmode: enforce\r\nmx: *.b.example\r\nmax_age: "
                            "604800\r\n";
    assert_int_equal(smtpc_sts_policy_parse(a, strlen(a), &g_pol_a), SMTPC_OK);
    assert_int_equal(smtpc_sts_policy_parse(b, strlen(b), &g_pol_b), SMTPC_OK);
}

static smtpc_tls_event_t ev_make(uint8_t kind, const char *dom, int err)
{
    smtpc_tls_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = kind;
    ev.err = err;
    ev.domain = dom;
    ev.policy_id = "";
    ev.mx_host = kind == SMTPC_EV_POLICY ? "" : "mx1.a.example";
    ev.rpt = SMTPC_RPT_PUBLISHED;
    ev.tls_reached = SMTPC_REACHED_NONE;
    return ev;
}

static void ev_policy(smtpc_tls_event_t *ev, const smtpc_sts_policy_t *pol)
{
    ev->sts_applied = pol != NULL ? SMTPC_STS_APPLY_CACHED : SMTPC_STS_APPLY_NONE;
    ev->sts_mode = pol != NULL ? pol->mode : 0;
    ev->policy = pol;
    ev->policy_id = pol != NULL ? "id1" : "";
}

static smtpc_tls_event_t ev_ok(const char *dom, const smtpc_sts_policy_t *pol)
{
    smtpc_tls_event_t ev = ev_make(SMTPC_EV_SESSION, dom, SMTPC_OK);
    ev.tls_reached = SMTPC_REACHED_VERIFIED;
    ev.cert = SMTPC_CERT_OK;
    ev_policy(&ev, pol);
    return ev;
}

static void expect(smtpc_rpt_class_t c, int count, int result, int ns, uint32_t reason)
{
    assert_int_equal(c.count, count);
    if (count) {
        assert_int_equal(c.result, result);
        assert_int_equal(c.reason_ns, ns);
        assert_int_equal(c.reason, reason);
    }
}

#define R(e) ((uint32_t)(-(e)))

static void test_classify_sessions(void **state)
{
    smtpc_tls_event_t ev;
    static const int certs[][2] = {
        {SMTPC_ERR_TLS_CERT_HOSTNAME, SMTPC_RPT_CERT_HOST_MISMATCH},
        {SMTPC_ERR_TLS_CERT_EXPIRED, SMTPC_RPT_CERT_EXPIRED},
        {SMTPC_ERR_TLS_CERT_NOT_YET_VALID, SMTPC_RPT_CERT_EXPIRED},
        {SMTPC_ERR_TLS_CERT_UNTRUSTED, SMTPC_RPT_CERT_NOT_TRUSTED},
        {SMTPC_ERR_TLS_CERT_OTHER, SMTPC_RPT_VALIDATION_FAILURE},
        {SMTPC_ERR_TLS_HANDSHAKE, SMTPC_RPT_VALIDATION_FAILURE},
        {SMTPC_ERR_TLS_VERSION, SMTPC_RPT_VALIDATION_FAILURE},
        {SMTPC_ERR_TLS_CIPHER, SMTPC_RPT_VALIDATION_FAILURE},
        {SMTPC_ERR_STARTTLS_INJECTION, SMTPC_RPT_VALIDATION_FAILURE},
    };
    static const struct {
        uint8_t verdict;
        int result;
        int err;
    } verdicts[] = {
        {SMTPC_CERT_EXPIRED, SMTPC_RPT_CERT_EXPIRED, SMTPC_ERR_TLS_CERT_EXPIRED},
        {SMTPC_CERT_NOT_YET_VALID, SMTPC_RPT_CERT_EXPIRED, SMTPC_ERR_TLS_CERT_NOT_YET_VALID},
        {SMTPC_CERT_UNTRUSTED, SMTPC_RPT_CERT_NOT_TRUSTED, SMTPC_ERR_TLS_CERT_UNTRUSTED},
        {SMTPC_CERT_HOSTNAME, SMTPC_RPT_CERT_HOST_MISMATCH, SMTPC_ERR_TLS_CERT_HOSTNAME},
        {SMTPC_CERT_OTHER, SMTPC_RPT_VALIDATION_FAILURE, SMTPC_ERR_TLS_CERT_OTHER},
        {SMTPC_CERT_NOT_CHECKED, SMTPC_RPT_VALIDATION_FAILURE, SMTPC_ERR_TLS_CERT_OTHER},
    };
    unsigned i;
    (void)state;
    policies_init();
    /* a verified session: success with and without a policy */
    ev = ev_ok("a.example", NULL);
    expect(smtpc_tlsrpt_classify(&ev), 1, SMTPC_RPT_SUCCESS, 0, 0);
    ev = ev_ok("a.example", &g_pol_a);
    expect(smtpc_tlsrpt_classify(&ev), 1, SMTPC_RPT_SUCCESS, 0, 0);
    /* not published: never counted */
    ev.rpt = SMTPC_RPT_UNKNOWN;
    expect(smtpc_tlsrpt_classify(&ev), 0, 0, 0, 0);
    ev.rpt = SMTPC_RPT_ABSENT;
    expect(smtpc_tlsrpt_classify(&ev), 0, 0, 0, 0);
    ev.rpt = 7;
    expect(smtpc_tlsrpt_classify(&ev), 0, 0, 0, 0);
    assert_int_equal(smtpc_tlsrpt_classify(NULL).count, 0);
    /* certificate and handshake errors, with and without a policy */
    for (i = 0; i < sizeof(certs) / sizeof(certs[0]); i++) {
        ev = ev_make(SMTPC_EV_SESSION, "a.example", certs[i][0]);
        expect(smtpc_tlsrpt_classify(&ev), 1, certs[i][1], SMTPC_RPT_REASON_SMTPC, R(certs[i][0]));
        ev_policy(&ev, &g_pol_b);
        expect(smtpc_tlsrpt_classify(&ev), 1, certs[i][1], SMTPC_RPT_REASON_SMTPC, R(certs[i][0]));
    }
    /* STARTTLS missing or refused; the strip signature */
    ev = ev_make(SMTPC_EV_SESSION, "a.example", SMTPC_ERR_STARTTLS_REQUIRED);
    expect(smtpc_tlsrpt_classify(&ev), 1, SMTPC_RPT_STARTTLS_NOT_SUPPORTED, SMTPC_RPT_REASON_SMTPC,
           R(SMTPC_ERR_STARTTLS_REQUIRED));
    ev.flags = SMTPC_EV_F_STRIP;
    expect(smtpc_tlsrpt_classify(&ev), 1, SMTPC_RPT_STARTTLS_NOT_SUPPORTED, SMTPC_RPT_REASON_STRIP,
           0);
    ev = ev_make(SMTPC_EV_SESSION, "a.example", SMTPC_ERR_STARTTLS_REFUSED);
    expect(smtpc_tlsrpt_classify(&ev), 1, SMTPC_RPT_STARTTLS_NOT_SUPPORTED, SMTPC_RPT_REASON_SMTPC,
           R(SMTPC_ERR_STARTTLS_REFUSED));
    /* delivered in plaintext (STARTTLS not offered, plaintext allowed) */
    ev = ev_make(SMTPC_EV_SESSION, "a.example", SMTPC_OK);
    expect(smtpc_tlsrpt_classify(&ev), 1, SMTPC_RPT_STARTTLS_NOT_SUPPORTED, SMTPC_RPT_REASON_SMTPC,
           R(SMTPC_ERR_STARTTLS_REQUIRED));
    /* MX not allowed (enforce, not contacted) */
    ev = ev_make(SMTPC_EV_SESSION, "b.example", SMTPC_ERR_STS_MX_NOT_ALLOWED);
    ev.flags = SMTPC_EV_F_MX_MISMATCH;
    ev_policy(&ev, &g_pol_b);
    expect(smtpc_tlsrpt_classify(&ev), 1, SMTPC_RPT_VALIDATION_FAILURE, SMTPC_RPT_REASON_SMTPC,
           R(SMTPC_ERR_STS_MX_NOT_ALLOWED));
    /* testing mode: delivered, but the verdict or the MX decide */
    for (i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
        ev = ev_ok("a.example", &g_pol_a);
        ev.tls_reached = SMTPC_REACHED_ENCRYPTED;
        ev.cert = verdicts[i].verdict;
        expect(smtpc_tlsrpt_classify(&ev), 1, verdicts[i].result, SMTPC_RPT_REASON_SMTPC,
               R(verdicts[i].err));
        /* the same without a policy: TLS was negotiated, a success */
        ev_policy(&ev, NULL);
        expect(smtpc_tlsrpt_classify(&ev), 1, SMTPC_RPT_SUCCESS, 0, 0);
        /* a policy in mode none is no policy */
        ev_policy(&ev, &g_pol_a);
        ev.sts_mode = SMTPC_STS_MODE_NONE;
        expect(smtpc_tlsrpt_classify(&ev), 1, SMTPC_RPT_SUCCESS, 0, 0);
    }
    ev = ev_ok("a.example", &g_pol_a);
    ev.cert = SMTPC_CERT_NOT_CHECKED; /* verified by the port without a verdict */
    expect(smtpc_tlsrpt_classify(&ev), 1, SMTPC_RPT_SUCCESS, 0, 0);
    ev = ev_ok("a.example", &g_pol_a);
    ev.flags = SMTPC_EV_F_MX_MISMATCH;
    expect(smtpc_tlsrpt_classify(&ev), 1, SMTPC_RPT_VALIDATION_FAILURE, SMTPC_RPT_REASON_SMTPC,
           R(SMTPC_ERR_STS_MX_NOT_ALLOWED));
    ev.cert = SMTPC_CERT_HOSTNAME; /* the certificate is looked at first */
    ev.tls_reached = SMTPC_REACHED_ENCRYPTED;
    expect(smtpc_tlsrpt_classify(&ev), 1, SMTPC_RPT_CERT_HOST_MISMATCH, SMTPC_RPT_REASON_SMTPC,
           R(SMTPC_ERR_TLS_CERT_HOSTNAME));
    /* TLS was up, then the server rejected or the line broke: TLS success */
    ev = ev_ok("a.example", &g_pol_b);
    ev.err = SMTPC_ERR_RCPT_ALL_REJECTED;
    expect(smtpc_tlsrpt_classify(&ev), 1, SMTPC_RPT_SUCCESS, 0, 0);
    ev.err = SMTPC_ERR_TIMEOUT;
    expect(smtpc_tlsrpt_classify(&ev), 1, SMTPC_RPT_SUCCESS, 0, 0);
    /* the policy fetch failed this delivery: sessions not counted */
    ev = ev_make(SMTPC_EV_SESSION, "a.example", SMTPC_ERR_TLS_CERT_UNTRUSTED);
    ev.flags = SMTPC_EV_F_FETCH_FAILED;
    expect(smtpc_tlsrpt_classify(&ev), 0, 0, 0, 0);
    ev = ev_ok("a.example", NULL);
    ev.flags = SMTPC_EV_F_FETCH_FAILED;
    expect(smtpc_tlsrpt_classify(&ev), 0, 0, 0, 0);
    /* an unknown kind */
    ev = ev_ok("a.example", NULL);
    ev.kind = 9;
    expect(smtpc_tlsrpt_classify(&ev), 0, 0, 0, 0);
}

/* Every error code, as a session before TLS and as a policy fetch outcome. */
static void test_classify_all_errors(void **state)
{
    static const int codes[] = {
#define CODE_(name, val) (val),
        SMTPC_ERR_LIST(CODE_)
#undef CODE_
    };
    unsigned i;
    unsigned counted_s = 0;
    unsigned counted_p = 0;
    (void)state;
    policies_init();
    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        int e = codes[i];
        smtpc_tls_event_t ev = ev_make(SMTPC_EV_SESSION, "a.example", e);
        smtpc_rpt_class_t c = smtpc_tlsrpt_classify(&ev);
        int want = 1;
        int res = SMTPC_RPT_VALIDATION_FAILURE;
        switch (e) {
        case SMTPC_OK:
        case SMTPC_ERR_STARTTLS_REQUIRED:
        case SMTPC_ERR_STARTTLS_REFUSED:
            res = SMTPC_RPT_STARTTLS_NOT_SUPPORTED;
            break;
        case SMTPC_ERR_TLS_CERT_HOSTNAME:
            res = SMTPC_RPT_CERT_HOST_MISMATCH;
            break;
        case SMTPC_ERR_TLS_CERT_EXPIRED:
        case SMTPC_ERR_TLS_CERT_NOT_YET_VALID:
            res = SMTPC_RPT_CERT_EXPIRED;
            break;
        case SMTPC_ERR_TLS_CERT_UNTRUSTED:
            res = SMTPC_RPT_CERT_NOT_TRUSTED;
            break;
        case SMTPC_ERR_TLS_CERT_OTHER:
        case SMTPC_ERR_TLS_HANDSHAKE:
        case SMTPC_ERR_TLS_VERSION:
        case SMTPC_ERR_TLS_CIPHER:
        case SMTPC_ERR_STARTTLS_INJECTION:
        case SMTPC_ERR_STS_MX_NOT_ALLOWED:
            break;
        default:
            want = 0; /* transient, local, or after the handshake */
        }
        assert_int_equal(c.count, want);
        if (want) {
            assert_int_equal(c.result, res);
            assert_true(c.reason_ns != SMTPC_RPT_REASON_NONE);
            counted_s++;
        }
        /* with TLS up, every error is a success (no policy) */
        ev.tls_reached = SMTPC_REACHED_VERIFIED;
        ev.cert = SMTPC_CERT_OK;
        c = smtpc_tlsrpt_classify(&ev);
        assert_int_equal(c.count, 1);
        if (e == SMTPC_OK || !want) {
            assert_int_equal(c.result, SMTPC_RPT_SUCCESS);
        }

        /* policy events: counted only when the fetch failed and no policy applied */
        ev = ev_make(SMTPC_EV_POLICY, "a.example", e);
        c = smtpc_tlsrpt_classify(&ev);
        want = e < SMTPC_OK && e != SMTPC_ERR_NET_NO_MEMORY && e != SMTPC_ERR_TLS_NO_MEMORY &&
               e != SMTPC_ERR_TLS_CONFIG && e != SMTPC_ERR_BAD_ARG && e != SMTPC_ERR_INTERNAL &&
               e != SMTPC_ERR_STATE && e != SMTPC_ERR_ABORTED;
        res = SMTPC_RPT_STS_POLICY_FETCH_ERROR;
        if (e == SMTPC_ERR_STS_POLICY_INVALID || e == SMTPC_ERR_NO_SPACE) {
            res = SMTPC_RPT_STS_POLICY_INVALID;
        } else if (e == SMTPC_ERR_TLS_CERT_HOSTNAME || e == SMTPC_ERR_TLS_CERT_EXPIRED ||
                   e == SMTPC_ERR_TLS_CERT_NOT_YET_VALID || e == SMTPC_ERR_TLS_CERT_UNTRUSTED ||
                   e == SMTPC_ERR_TLS_CERT_OTHER) {
            res = SMTPC_RPT_STS_WEBPKI_INVALID;
        }
        assert_int_equal(c.count, want);
        if (want) {
            assert_int_equal(c.result, res);
            assert_int_equal(c.reason_ns, SMTPC_RPT_REASON_SMTPC);
            assert_int_equal(c.reason, R(e));
            counted_p++;
        }
        /* a cached policy still applied: not a failure of the delivery */
        ev.sts_applied = SMTPC_STS_APPLY_CACHED;
        ev.sts_mode = SMTPC_STS_MODE_ENFORCE;
        ev.policy = &g_pol_b;
        assert_int_equal(smtpc_tlsrpt_classify(&ev).count, 0);
        ev.sts_applied = SMTPC_STS_APPLY_NONE;
        ev.rpt = SMTPC_RPT_ABSENT;
        assert_int_equal(smtpc_tlsrpt_classify(&ev).count, 0);
    }
    printf("classify: %u codes; %u counted as sessions, %u as policy fetch failures\n",
           (unsigned)(sizeof(codes) / sizeof(codes[0])), counted_s, counted_p);
    assert_int_equal(counted_s, 13);
}

static void test_names(void **state)
{
    char buf[64];
    char small[6];
    (void)state;
    assert_string_equal(smtpc_tlsrpt_result_name(SMTPC_RPT_SUCCESS), "success");
    assert_string_equal(smtpc_tlsrpt_result_name(SMTPC_RPT_STARTTLS_NOT_SUPPORTED),
                        "starttls-not-supported");
    assert_string_equal(smtpc_tlsrpt_result_name(SMTPC_RPT_CERT_HOST_MISMATCH),
                        "certificate-host-mismatch");
    assert_string_equal(smtpc_tlsrpt_result_name(SMTPC_RPT_CERT_EXPIRED), "certificate-expired");
    assert_string_equal(smtpc_tlsrpt_result_name(SMTPC_RPT_CERT_NOT_TRUSTED),
                        "certificate-not-trusted");
    assert_string_equal(smtpc_tlsrpt_result_name(SMTPC_RPT_VALIDATION_FAILURE),
                        "validation-failure");
    assert_string_equal(smtpc_tlsrpt_result_name(SMTPC_RPT_STS_POLICY_FETCH_ERROR),
                        "sts-policy-fetch-error");
    assert_string_equal(smtpc_tlsrpt_result_name(SMTPC_RPT_STS_POLICY_INVALID),
                        "sts-policy-invalid");
    assert_string_equal(smtpc_tlsrpt_result_name(SMTPC_RPT_STS_WEBPKI_INVALID),
                        "sts-webpki-invalid");
    assert_string_equal(smtpc_tlsrpt_result_name(SMTPC_RPT_RESULT_COUNT_), "unknown");
    assert_string_equal(smtpc_tlsrpt_result_name(-1), "unknown");

    assert_int_equal(smtpc_tlsrpt_reason_text(SMTPC_RPT_REASON_NONE, 5, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");
    assert_int_equal(smtpc_tlsrpt_reason_text(SMTPC_RPT_REASON_STRIP, 0, buf, sizeof(buf)), 17);
    assert_string_equal(buf, "starttls-stripped");
    smtpc_tlsrpt_reason_text(SMTPC_RPT_REASON_SMTPC, R(SMTPC_ERR_TLS_CERT_UNTRUSTED), buf,
                             sizeof(buf));
    assert_string_equal(buf, "SMTPC_ERR_TLS_CERT_UNTRUSTED");
    smtpc_tlsrpt_reason_text(SMTPC_RPT_REASON_SMTPC, 9999u, buf, sizeof(buf));
    assert_string_equal(buf, "SMTPC_ERR_UNKNOWN");
    assert_int_equal(smtpc_tlsrpt_reason_text(SMTPC_RPT_REASON_SMTPC, R(SMTPC_ERR_TIMEOUT), small,
                                              sizeof(small)),
                     5);
    assert_string_equal(small, "SMTPC");
    assert_int_equal(smtpc_tlsrpt_reason_text(9, 1, buf, sizeof(buf)), 0);
    assert_int_equal(smtpc_tlsrpt_reason_text(SMTPC_RPT_REASON_STRIP, 0, NULL, 0), 0);
}

/* ================================================================ gzip === */

/* Inflate a gzip member (zlib when available, else the stored framing
 * checked by hand) and compare with @p in. */
static void gz_check(const uint8_t *in, size_t n)
{
    size_t cap = smtpc_gzip_stored_bound(n);
    uint8_t *gz = malloc(cap + 1);
    uint8_t *back = malloc(n + 1);
    size_t len = 0;
    assert_non_null(gz);
    assert_non_null(back);
    assert_int_equal(smtpc_gzip_stored(in, n, gz, cap, &len), SMTPC_OK);
    assert_int_equal(len, cap);
    assert_int_equal(gz[0], 0x1f);
    assert_int_equal(gz[1], 0x8b);
    assert_int_equal(gz[2], 8);
    assert_int_equal(gz[3], 0);                         /* no name, no extra */
    assert_int_equal(gz[4] | gz[5] | gz[6] | gz[7], 0); /* mtime 0 */
    assert_int_equal(gz[9], 255);                       /* OS unknown */
    {
        uint32_t crc = (uint32_t)gz[len - 8] | (uint32_t)gz[len - 7] << 8 |
                       (uint32_t)gz[len - 6] << 16 | (uint32_t)gz[len - 5] << 24;
        uint32_t isz = (uint32_t)gz[len - 4] | (uint32_t)gz[len - 3] << 8 |
                       (uint32_t)gz[len - 2] << 16 | (uint32_t)gz[len - 1] << 24;
        assert_int_equal(crc, smtpc_crc32(0, in, n));
        assert_int_equal(isz, (uint32_t)n);
    }
#if defined(TEST_HAVE_ZLIB)
    {
        z_stream z;
        int rc;
        memset(&z, 0, sizeof(z));
        assert_int_equal(inflateInit2(&z, 16 + 15), Z_OK);
        z.next_in = gz;
        z.avail_in = (uInt)len;
        z.next_out = back;
        z.avail_out = (uInt)(n + 1);
        rc = inflate(&z, Z_FINISH);
        assert_int_equal(rc, Z_STREAM_END);
        assert_int_equal(z.total_out, n);
        assert_int_equal(z.avail_in, 0);
        inflateEnd(&z);
    }
#else
    {
        size_t pos = 10;
        size_t o = 0;
        for (;;) {
            unsigned fin = gz[pos] & 1u;
            size_t k = (size_t)gz[pos + 1] | (size_t)gz[pos + 2] << 8;
            assert_int_equal(gz[pos] & 6u, 0);
            assert_int_equal((gz[pos + 3] | gz[pos + 4] << 8) ^ 0xffff, k);
            memcpy(back + o, gz + pos + 5, k);
            o += k;
            pos += 5 + k;
            if (fin) {
                break;
            }
        }
        assert_int_equal(o, n);
        assert_int_equal(pos + 8, len);
    }
#endif
    assert_true(n == 0 || memcmp(back, in, n) == 0);
    /* one byte short */
    assert_int_equal(smtpc_gzip_stored(in, n, gz, cap - 1, &len), SMTPC_ERR_NO_SPACE);
    free(gz);
    free(back);
}

static void test_gzip_sizes(void **state)
{
    static const size_t sizes[] = {0,     1,     2,      100,    65534, 65535,
                                   65536, 65537, 131070, 131071, 200000};
    uint8_t *buf = malloc(200000);
    unsigned i;
    (void)state;
    assert_non_null(buf);
    g_rng = 777;
    for (i = 0; i < 200000u; i++) {
        buf[i] = (uint8_t)rnd();
    }
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        gz_check(buf, sizes[i]);
    }
    for (i = 0; i < 20u; i++) {
        gz_check(buf + rnd() % 1000u, rnd() % 150000u);
    }
    /* text, as a report is */
    gz_check((const uint8_t *)"{\"organization-name\":\"x\"}", 25);
    assert_int_equal(smtpc_gzip_stored_bound(0), 23);
    assert_int_equal(smtpc_gzip_stored_bound(65535), 65535 + 23);
    assert_int_equal(smtpc_gzip_stored_bound(65536), 65536 + 28);
    assert_int_equal(smtpc_gzip_stored_bound((size_t)-1), (size_t)-1);
    free(buf);
}

static void test_gzip_errors(void **state)
{
    uint8_t out[64];
    size_t len = 0;
    (void)state;
    assert_int_equal(smtpc_gzip_stored(NULL, 0, out, sizeof(out), &len), SMTPC_OK);
    assert_int_equal(len, 23);
    assert_int_equal(smtpc_gzip_stored(NULL, 3, out, sizeof(out), &len), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_gzip_stored(out, 3, NULL, 64, &len), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_gzip_stored(out, 3, out + 8, 10, &len), SMTPC_ERR_NO_SPACE);
    assert_int_equal(smtpc_gzip_stored((const uint8_t *)"abc", 3, out, sizeof(out), NULL),
                     SMTPC_OK);
}

/* ================================================================= log === */

static uint64_t g_now;

static uint32_t clk_ms(void *ctx)
{
    (void)ctx;
    return 0;
}

static uint64_t clk_utc(void *ctx)
{
    (void)ctx;
    return g_now;
}

static const smtpc_clock_ops_t g_clock = {clk_ms, clk_utc};

typedef struct {
    smtpc_flash_geom_t g;
    uint32_t size;
    uint8_t *mem;
    uint8_t *img;
    smtpc_flash_ram_t ram;
    smtpc_flash_emu_t emu;
    smtpc_tlsrpt_log_t log;
} rig_t;

static rig_t *rig_new(const smtpc_flash_geom_t *g)
{
    rig_t *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->g = *g;
    r->size = g->sector_size * g->sector_count;
    r->mem = malloc(r->size);
    r->img = malloc(r->size);
    assert_non_null(r->mem);
    assert_non_null(r->img);
    assert_int_equal(smtpc_flash_ram_init(&r->ram, r->mem, r->size, g), SMTPC_OK);
    r->ram.strict = 1;
    assert_int_equal(smtpc_flash_emu_init(&r->emu, &r->ram), SMTPC_OK);
    return r;
}

static void rig_free(rig_t *r)
{
    free(r->mem);
    free(r->img);
    free(r);
}

static int rig_mount(rig_t *r)
{
    return smtpc_tlsrpt_log_mount(&r->log, &r->emu.ops, &r->emu, &g_clock, NULL);
}

/* Power off (RAM lost, batched successes too) and on again. */
static int rig_remount(rig_t *r)
{
    smtpc_flash_emu_reboot(&r->emu);
    return rig_mount(r);
}

static int rig_clean(const rig_t *r)
{
    return r->ram.violations == 0u && r->ram.misaligned == 0u;
}

static rig_t *rig_std(void)
{
    smtpc_flash_geom_t g = geom(1, 16, 4096, 3, 0xFF);
    rig_t *r = rig_new(&g);
    assert_int_equal(rig_mount(r), SMTPC_OK);
    return r;
}

static int rec(rig_t *r, const smtpc_tls_event_t *ev, uint32_t day, uint32_t sec)
{
    return smtpc_tlsrpt_log_record(&r->log, ev, (uint64_t)day * DAY + sec);
}

static smtpc_tls_event_t ev_fail(const char *dom, int err, const char *mx, uint8_t ip_last,
                                 const smtpc_sts_policy_t *pol)
{
    smtpc_tls_event_t ev = ev_make(SMTPC_EV_SESSION, dom, err);
    ev_policy(&ev, pol);
    ev.mx_host = mx;
    if (ip_last != 0u) {
        ev.ip_len = 4;
        ev.ip[0] = 192;
        ev.ip[1] = 0;
        ev.ip[2] = 2;
        ev.ip[3] = ip_last;
    }
    return ev;
}

/* Number of keys in the log's store starting with @p c. */
static unsigned kcount(rig_t *r, char c)
{
    unsigned n = 0;
    unsigned k;
    for (k = 0;; k++) {
        uint8_t key[300];
        size_t kl = 0;
        int rc = smtpc_kvs_key(&r->log.kvs, k, key, sizeof(key), &kl);
        if (rc == SMTPC_ERR_NOT_FOUND) {
            break;
        }
        assert_int_equal(rc, SMTPC_OK);
        n += key[0] == (uint8_t)c;
    }
    return n;
}

static int det_is_degraded(const smtpc_rpt_detail_t *d)
{
    return d->reason_ns == SMTPC_RPT_REASON_NONE && d->mx == 0xFFFFu && d->ip.len == 0u;
}

/* The invariants of a loaded report. */
static void report_check(const smtpc_tlsrpt_report_t *rp)
{
    uint64_t sum[SMTPC_TLSRPT_POLICIES];
    uint64_t degraded = 0;
    unsigned i;
    unsigned j;
    memset(sum, 0, sizeof(sum));
    assert_true(rp->policy_count >= 1u && rp->policy_count <= SMTPC_TLSRPT_POLICIES);
    assert_true(rp->detail_count <= SMTPC_TLSRPT_GROUPS);
    for (i = 0; i < rp->detail_count; i++) {
        const smtpc_rpt_detail_t *d = &rp->details[i];
        assert_true(d->policy < rp->policy_count);
        assert_true(d->result > 0 && d->result < SMTPC_RPT_RESULT_COUNT_);
        assert_true(d->count > 0u);
        if (d->mx != 0xFFFFu) {
            assert_true(d->mx < rp->mx_pool_len);
            assert_true(strlen(rp->mx_pool + d->mx) > 0u);
        }
        sum[d->policy] += d->count;
        if (det_is_degraded(d)) {
            /* degraded groups come after the detailed ones */
            assert_true(i + 1u == rp->detail_count || det_is_degraded(&rp->details[i + 1u]));
            degraded += d->count;
            for (j = 0; j < i; j++) {
                assert_false(det_is_degraded(&rp->details[j]) &&
                             rp->details[j].policy == d->policy &&
                             rp->details[j].result == d->result);
            }
        }
    }
    for (i = 0; i < rp->policy_count; i++) {
        assert_int_equal(sum[i], rp->policies[i].failure);
    }
    /* overflow counts exactly the failures held in degraded groups */
    assert_int_equal(degraded, rp->overflow);
}

static int pol_eq(const smtpc_sts_policy_t *a, const smtpc_sts_policy_t *b)
{
    return a->mode == b->mode && a->max_age == b->max_age && a->mx_count == b->mx_count &&
           a->mx_pool_len == b->mx_pool_len && memcmp(a->mx_pool, b->mx_pool, a->mx_pool_len) == 0;
}

static smtpc_tlsrpt_report_t g_rep;

static void test_log_roundtrip_persist(void **state)
{
    rig_t *r = rig_std();
    smtpc_tls_event_t ev;
    uint32_t day = 0;
    char dom[64];
    unsigned i;
    (void)state;
    policies_init();
    g_now = (uint64_t)D0 * DAY + 100;
    /* 3 successes (batched), 2 identical failures, 1 other, 1 strip */
    ev = ev_ok("a.example", NULL);
    for (i = 0; i < 3; i++) {
        assert_int_equal(rec(r, &ev, D0, 10 + i), SMTPC_OK);
    }
    assert_int_equal(r->log.stats.flash_writes, 0);
    ev = ev_fail("A.Example.", SMTPC_ERR_TLS_CERT_EXPIRED, "MX1.A.example.", 7, NULL);
    assert_int_equal(rec(r, &ev, D0, 20), SMTPC_OK);
    assert_int_equal(rec(r, &ev, D0, 21), SMTPC_OK);
    ev = ev_fail("a.example", SMTPC_ERR_TLS_CERT_UNTRUSTED, "mx2.a.example", 0, NULL);
    assert_int_equal(rec(r, &ev, D0, 22), SMTPC_OK);
    ev = ev_fail("a.example", SMTPC_ERR_STARTTLS_REQUIRED, "mx1.a.example", 7, NULL);
    ev.flags = SMTPC_EV_F_STRIP;
    assert_int_equal(rec(r, &ev, D0, 23), SMTPC_OK);
    /* not counted: transient, no record published */
    ev = ev_fail("a.example", SMTPC_ERR_NET_CONNECT, "mx1.a.example", 7, NULL);
    assert_int_equal(rec(r, &ev, D0, 24), SMTPC_OK);
    ev = ev_ok("c.example", NULL);
    ev.rpt = SMTPC_RPT_ABSENT;
    assert_int_equal(rec(r, &ev, D0, 25), SMTPC_OK);
    assert_int_equal(r->log.stats.recorded, 7);
    assert_int_equal(r->log.stats.ignored, 2);
    assert_int_equal(r->log.stats.dropped, 0);
    /* the first failure wrote the batched successes with it */
    assert_int_equal(r->log.pending_count, 0);

    assert_int_equal(smtpc_tlsrpt_log_list(&r->log, 0, &day, dom, sizeof(dom)), SMTPC_OK);
    assert_int_equal(day, D0);
    assert_string_equal(dom, "a.example");
    assert_int_equal(smtpc_tlsrpt_log_list(&r->log, 1, &day, dom, sizeof(dom)),
                     SMTPC_ERR_NOT_FOUND);
    assert_int_equal(smtpc_tlsrpt_log_list(&r->log, 0, &day, dom, 9), SMTPC_ERR_NO_SPACE);

    for (i = 0; i < 2; i++) {
        assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "a.example", &g_rep), SMTPC_OK);
        report_check(&g_rep);
        assert_int_equal(g_rep.day, D0);
        assert_string_equal(g_rep.domain, "a.example");
        assert_int_equal(g_rep.policy_count, 1);
        assert_int_equal(g_rep.policies[0].type, SMTPC_RPT_POLICY_NONE_FOUND);
        assert_int_equal(g_rep.policies[0].success, 3);
        assert_int_equal(g_rep.policies[0].failure, 4);
        assert_int_equal(g_rep.detail_count, 3);
        assert_int_equal(g_rep.overflow, 0);
        assert_int_equal(g_rep.details[0].result, SMTPC_RPT_CERT_EXPIRED);
        assert_int_equal(g_rep.details[0].count, 2);
        assert_string_equal(g_rep.mx_pool + g_rep.details[0].mx, "mx1.a.example");
        assert_int_equal(g_rep.details[0].ip.len, 4);
        assert_int_equal(g_rep.details[0].ip.addr[3], 7);
        assert_int_equal(g_rep.details[0].reason, R(SMTPC_ERR_TLS_CERT_EXPIRED));
        assert_int_equal(g_rep.details[1].result, SMTPC_RPT_CERT_NOT_TRUSTED);
        assert_string_equal(g_rep.mx_pool + g_rep.details[1].mx, "mx2.a.example");
        assert_int_equal(g_rep.details[1].ip.len, 0);
        assert_int_equal(g_rep.details[2].result, SMTPC_RPT_STARTTLS_NOT_SUPPORTED);
        assert_int_equal(g_rep.details[2].reason_ns, SMTPC_RPT_REASON_STRIP);
        assert_int_equal(g_rep.details[2].mx, g_rep.details[0].mx); /* one copy of the name */
        assert_int_equal(g_rep.mx_pool_len, 28);
        assert_int_equal(rig_remount(r), SMTPC_OK);
    }
    /* unknown report, bad arguments */
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0 + 1, "a.example", &g_rep),
                     SMTPC_ERR_NOT_FOUND);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "b.example", &g_rep), SMTPC_ERR_NOT_FOUND);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, 70000, "a.example", &g_rep),
                     SMTPC_ERR_NOT_FOUND);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "", &g_rep), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "a..example", &g_rep), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_tlsrpt_log_load(NULL, D0, "a.example", &g_rep), SMTPC_ERR_BAD_ARG);
    assert_true(rig_clean(r));
    rig_free(r);
}

static void test_log_batching_flush(void **state)
{
    rig_t *r = rig_std();
    smtpc_tls_event_t ev = ev_ok("a.example", NULL);
    smtpc_tls_event_t ev2 = ev_ok("b.example", NULL);
    unsigned i;
    (void)state;
    g_now = (uint64_t)D0 * DAY;
    for (i = 0; i + 1 < SMTPC_TLSRPT_SUCCESS_BATCH; i++) {
        assert_int_equal(rec(r, &ev, D0, i), SMTPC_OK);
    }
    assert_int_equal(r->log.stats.flash_writes, 0);
    assert_int_equal(rec(r, &ev, D0, 99), SMTPC_OK); /* the batch is full: written */
    assert_int_equal(r->log.stats.flash_writes, 1);
    assert_int_equal(r->log.pending_count, 0);
    for (i = 0; i < 5; i++) {
        assert_int_equal(rec(r, &ev, D0, 100 + i), SMTPC_OK);
        assert_int_equal(rec(r, &ev2, D0, 100 + i), SMTPC_OK);
    }
    assert_int_equal(r->log.stats.flash_writes, 1);
    /* a power cut now loses the batched ones, never more */
    assert_int_equal(rig_remount(r), SMTPC_OK);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "a.example", &g_rep), SMTPC_OK);
    assert_int_equal(g_rep.policies[0].success, SMTPC_TLSRPT_SUCCESS_BATCH);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "b.example", &g_rep), SMTPC_ERR_NOT_FOUND);
    /* batched, then flushed: kept */
    for (i = 0; i < 5; i++) {
        assert_int_equal(rec(r, &ev, D0, 200 + i), SMTPC_OK);
        assert_int_equal(rec(r, &ev2, D0, 200 + i), SMTPC_OK);
    }
    assert_int_equal(smtpc_tlsrpt_log_flush(&r->log), SMTPC_OK);
    assert_int_equal(r->log.pending_count, 0);
    assert_int_equal(smtpc_tlsrpt_log_flush(&r->log), SMTPC_OK); /* nothing more */
    assert_int_equal(rig_remount(r), SMTPC_OK);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "a.example", &g_rep), SMTPC_OK);
    assert_int_equal(g_rep.policies[0].success, SMTPC_TLSRPT_SUCCESS_BATCH + 5);
    assert_int_equal(g_rep.policies[0].failure, 0);
    assert_int_equal(g_rep.detail_count, 0);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "b.example", &g_rep), SMTPC_OK);
    assert_int_equal(g_rep.policies[0].success, 5);
    /* load flushes first */
    assert_int_equal(rec(r, &ev2, D0, 300), SMTPC_OK);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "b.example", &g_rep), SMTPC_OK);
    assert_int_equal(g_rep.policies[0].success, 6);
    /* more domains than batch slots: the oldest is written to make room */
    {
        char d[32];
        for (i = 0; i < SMTPC_TLSRPT_DOMAINS + 2u; i++) {
            smtpc_tls_event_t e;
            snprintf(d, sizeof(d), "m%u.example", i);
            e = ev_ok(d, NULL);
            assert_int_equal(rec(r, &e, D0, 400 + i), SMTPC_OK);
        }
        assert_true(r->log.pending_count <= SMTPC_TLSRPT_DOMAINS);
        assert_int_equal(smtpc_tlsrpt_log_flush(&r->log), SMTPC_OK);
        for (i = 0; i < SMTPC_TLSRPT_DOMAINS + 2u; i++) {
            snprintf(d, sizeof(d), "m%u.example", i);
            assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, d, &g_rep), SMTPC_OK);
            assert_int_equal(g_rep.policies[0].success, 1);
        }
    }
    assert_int_equal(r->log.stats.dropped, 0);
    assert_true(rig_clean(r));
    rig_free(r);
}

static void test_log_day_rollover(void **state)
{
    rig_t *r = rig_std();
    smtpc_tls_event_t ev = ev_ok("a.example", NULL);
    unsigned i;
    (void)state;
    g_now = 0; /* no clock for flush(): rollover must not need it */
    for (i = 0; i < 3; i++) {
        assert_int_equal(rec(r, &ev, D0, 86000 + i), SMTPC_OK);
    }
    assert_int_equal(r->log.stats.flash_writes, 0);
    /* the first event of the next day writes the previous day's batch */
    assert_int_equal(rec(r, &ev, D0 + 1, 5), SMTPC_OK);
    assert_int_equal(r->log.stats.flash_writes, 1);
    assert_int_equal(rig_remount(r), SMTPC_OK);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "a.example", &g_rep), SMTPC_OK);
    assert_int_equal(g_rep.policies[0].success, 3);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0 + 1, "a.example", &g_rep),
                     SMTPC_ERR_NOT_FOUND);
    /* a failure on a day files under that day only */
    ev = ev_fail("a.example", SMTPC_ERR_TLS_CERT_HOSTNAME, "mx1.a.example", 1, NULL);
    assert_int_equal(rec(r, &ev, D0 + 1, 10), SMTPC_OK);
    assert_int_equal(rec(r, &ev, D0 + 2, 10), SMTPC_OK);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0 + 1, "a.example", &g_rep), SMTPC_OK);
    assert_int_equal(g_rep.policies[0].failure, 1);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0 + 2, "a.example", &g_rep), SMTPC_OK);
    assert_int_equal(g_rep.policies[0].failure, 1);
    /* each day has its own MX table */
    assert_int_equal(kcount(r, 'S'), 2);
    rig_free(r);
}

static void test_log_policies(void **state)
{
    rig_t *r = rig_std();
    smtpc_tls_event_t ev;
    unsigned i;
    (void)state;
    policies_init();
    g_now = (uint64_t)D0 * DAY;
    ev = ev_ok("a.example", &g_pol_a);
    for (i = 0; i < 4; i++) {
        assert_int_equal(rec(r, &ev, D0, i), SMTPC_OK);
    }
    ev = ev_fail("a.example", SMTPC_OK, "mx9.a.example", 3, &g_pol_a);
    ev.tls_reached = SMTPC_REACHED_ENCRYPTED;
    ev.cert = SMTPC_CERT_UNTRUSTED; /* testing mode: delivered, reported */
    assert_int_equal(rec(r, &ev, D0, 10), SMTPC_OK);
    /* the policy fetch failed and nothing applied: sts without a policy */
    ev = ev_make(SMTPC_EV_POLICY, "a.example", SMTPC_ERR_HTTP_STATUS);
    ev.mx_host = "mta-sts.a.example";
    assert_int_equal(rec(r, &ev, D0, 11), SMTPC_OK);
    /* a third policy the same day has no room: dropped, counted */
    ev = ev_ok("a.example", &g_pol_b);
    assert_int_equal(rec(r, &ev, D0, 12), SMTPC_OK); /* batched */
    ev = ev_fail("a.example", SMTPC_ERR_TLS_CERT_HOSTNAME, "x.b.example", 3, &g_pol_b);
    assert_int_equal(rec(r, &ev, D0, 13), SMTPC_ERR_TLSRPT_OVERFLOW);
    assert_int_equal(r->log.stats.dropped, 2); /* that failure and the batched success */
    assert_int_equal(r->log.stats.last_err, SMTPC_ERR_TLSRPT_OVERFLOW);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "a.example", &g_rep), SMTPC_OK);
    report_check(&g_rep);
    assert_int_equal(g_rep.policy_count, 2);
    assert_int_equal(g_rep.policies[0].type, SMTPC_RPT_POLICY_STS);
    assert_true(pol_eq(&g_rep.policies[0].policy, &g_pol_a));
    assert_int_equal(g_rep.policies[0].success, 4);
    assert_int_equal(g_rep.policies[0].failure, 1);
    assert_int_equal(g_rep.policies[1].type, SMTPC_RPT_POLICY_STS_UNKNOWN);
    assert_int_equal(g_rep.policies[1].failure, 1);
    assert_int_equal(g_rep.details[0].result, SMTPC_RPT_CERT_NOT_TRUSTED);
    assert_int_equal(g_rep.details[0].policy, 0);
    assert_int_equal(g_rep.details[1].result, SMTPC_RPT_STS_POLICY_FETCH_ERROR);
    assert_int_equal(g_rep.details[1].policy, 1);
    assert_int_equal(g_rep.details[1].mx, 0xFFFF); /* no MX for a fetch error */
    assert_int_equal(g_rep.details[1].reason, R(SMTPC_ERR_HTTP_STATUS));
    /* one snapshot per distinct policy, shared between domains and days */
    ev = ev_fail("b.example", SMTPC_ERR_TLS_CERT_HOSTNAME, "x.b.example", 3, &g_pol_b);
    assert_int_equal(rec(r, &ev, D0, 20), SMTPC_OK);
    ev = ev_fail("c.example", SMTPC_ERR_TLS_CERT_HOSTNAME, "x.b.example", 3, &g_pol_b);
    assert_int_equal(rec(r, &ev, D0 + 1, 20), SMTPC_OK);
    assert_int_equal(kcount(r, 'Y'), 2);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0 + 1, "c.example", &g_rep), SMTPC_OK);
    assert_true(pol_eq(&g_rep.policies[0].policy, &g_pol_b));
    /* a policy that would not decode is refused */
    {
        smtpc_sts_policy_t bad = g_pol_a;
        bad.mx_count = 5;
        ev = ev_ok("a.example", &bad);
        assert_int_equal(rec(r, &ev, D0, 30), SMTPC_ERR_BAD_ARG);
    }
    assert_true(rig_clean(r));
    rig_free(r);
}

/* Failures into groups beyond SMTPC_TLSRPT_DETAILS. */
static void test_log_degrade(void **state)
{
    rig_t *r = rig_std();
    smtpc_tls_event_t ev;
    char mx[32];
    unsigned i;
    (void)state;
    g_now = (uint64_t)D0 * DAY;
    for (i = 0; i < SMTPC_TLSRPT_DETAILS + 5u; i++) {
        snprintf(mx, sizeof(mx), "mx%u.a.example", i);
        ev = ev_fail("a.example", SMTPC_ERR_TLS_CERT_EXPIRED, mx, (uint8_t)(i + 1), NULL);
        assert_int_equal(rec(r, &ev, D0, i), SMTPC_OK);
    }
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "a.example", &g_rep), SMTPC_OK);
    report_check(&g_rep);
    assert_int_equal(g_rep.policies[0].failure, SMTPC_TLSRPT_DETAILS + 5u);
    assert_int_equal(g_rep.detail_count, SMTPC_TLSRPT_DETAILS + 1u);
    for (i = 0; i < SMTPC_TLSRPT_DETAILS; i++) {
        assert_false(det_is_degraded(&g_rep.details[i]));
        assert_int_equal(g_rep.details[i].count, 1);
    }
    assert_true(det_is_degraded(&g_rep.details[SMTPC_TLSRPT_DETAILS]));
    assert_int_equal(g_rep.details[SMTPC_TLSRPT_DETAILS].count, 5);
    assert_int_equal(g_rep.details[SMTPC_TLSRPT_DETAILS].result, SMTPC_RPT_CERT_EXPIRED);
    assert_int_equal(g_rep.overflow, 5);
    assert_int_equal(r->log.stats.degraded, 5);
    /* a known group still counts in place */
    ev = ev_fail("a.example", SMTPC_ERR_TLS_CERT_EXPIRED, "mx1.a.example", 2, NULL);
    assert_int_equal(rec(r, &ev, D0, 100), SMTPC_OK);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "a.example", &g_rep), SMTPC_OK);
    report_check(&g_rep);
    assert_int_equal(g_rep.details[1].count, 2);
    assert_string_equal(g_rep.mx_pool + g_rep.details[1].mx, "mx1.a.example");
    /* another result type with the table full: its own degraded group */
    ev = ev_fail("a.example", SMTPC_ERR_TLS_CERT_UNTRUSTED, "mx0.a.example", 1, NULL);
    assert_int_equal(rec(r, &ev, D0, 101), SMTPC_OK);
    assert_int_equal(rec(r, &ev, D0, 102), SMTPC_OK);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "a.example", &g_rep), SMTPC_OK);
    report_check(&g_rep);
    assert_int_equal(g_rep.policies[0].failure, SMTPC_TLSRPT_DETAILS + 8u);
    assert_int_equal(g_rep.detail_count, SMTPC_TLSRPT_DETAILS + 2u);
    assert_int_equal(g_rep.details[SMTPC_TLSRPT_DETAILS + 1u].result, SMTPC_RPT_CERT_NOT_TRUSTED);
    assert_int_equal(g_rep.details[SMTPC_TLSRPT_DETAILS + 1u].count, 2);
    assert_int_equal(g_rep.overflow, 7);
    assert_int_equal(r->log.stats.dropped, 0);
    /* a long domain (242 characters, the longest with a `_smtp._tls` name):
     * fewer detailed groups fit the record, nothing is lost */
    {
        char dom[243];
        unsigned k;
        for (k = 0; k < 242u; k++) {
            dom[k] = (k % 60u == 59u) ? '.' : 'x';
        }
        dom[242] = '\0';
        for (i = 0; i < 40u; i++) {
            snprintf(mx, sizeof(mx), "mx%u.a.example", i % 12u);
            ev = ev_fail(dom, (i % 3u) ? SMTPC_ERR_TLS_CERT_EXPIRED : SMTPC_ERR_STARTTLS_REQUIRED,
                         mx, (uint8_t)(i % 5u), &g_pol_a);
            ev.ip_len = (i % 2u) ? 16 : 4;
            assert_int_equal(rec(r, &ev, D0, 200 + i), SMTPC_OK);
            ev =
                ev_make(SMTPC_EV_POLICY, dom, (i % 2u) ? SMTPC_ERR_HTTP_STATUS : SMTPC_ERR_TIMEOUT);
            assert_int_equal(rec(r, &ev, D0, 300 + i), SMTPC_OK);
        }
        assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, dom, &g_rep), SMTPC_OK);
        report_check(&g_rep);
        assert_int_equal(g_rep.policies[0].failure + g_rep.policies[1].failure, 80);
        printf("242-character domain: %u groups, overflow %u\n", g_rep.detail_count,
               (unsigned)g_rep.overflow);
    }
    assert_int_equal(r->log.stats.dropped, 0);
    rig_free(r);
}

/* Many result types over two policies with the table full: every failure
 * lands in a group of its result type. */
static void test_log_extreme_groups(void **state)
{
    rig_t *r = rig_std();
    static const int errs[] = {SMTPC_ERR_TLS_CERT_EXPIRED, SMTPC_ERR_TLS_CERT_UNTRUSTED,
                               SMTPC_ERR_TLS_CERT_HOSTNAME, SMTPC_ERR_TLS_HANDSHAKE,
                               SMTPC_ERR_STARTTLS_REQUIRED};
    static const int perrs[] = {SMTPC_ERR_HTTP_STATUS, SMTPC_ERR_STS_POLICY_INVALID,
                                SMTPC_ERR_TLS_CERT_UNTRUSTED};
    uint32_t want[2][SMTPC_RPT_RESULT_COUNT_];
    unsigned i;
    unsigned ok = 0;
    unsigned dropped = 0;
    (void)state;
    policies_init();
    memset(want, 0, sizeof(want));
    g_now = (uint64_t)D0 * DAY;
    g_rng = 4242;
    for (i = 0; i < 400u; i++) {
        smtpc_tls_event_t ev;
        char mx[32];
        smtpc_rpt_class_t c;
        int rc;
        unsigned pi = rnd() % 2u;
        snprintf(mx, sizeof(mx), "mx%u.a.example", (unsigned)(rnd() % 12u));
        if (pi == 0u) {
            ev = ev_fail("a.example", errs[rnd() % 5u], mx, (uint8_t)(1u + rnd() % 3u), &g_pol_a);
        } else {
            ev = ev_make(SMTPC_EV_POLICY, "a.example", perrs[rnd() % 3u]);
        }
        c = smtpc_tlsrpt_classify(&ev);
        rc = rec(r, &ev, D0, i);
        if (rc == SMTPC_OK) {
            want[pi][c.result]++;
            ok++;
        } else {
            assert_int_equal(rc, SMTPC_ERR_TLSRPT_OVERFLOW);
            dropped++;
        }
    }
    assert_int_equal(r->log.stats.dropped, dropped);
    assert_int_equal(dropped, 0);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "a.example", &g_rep), SMTPC_OK);
    report_check(&g_rep);
    {
        uint32_t got[2][SMTPC_RPT_RESULT_COUNT_];
        memset(got, 0, sizeof(got));
        for (i = 0; i < g_rep.detail_count; i++) {
            unsigned pi =
                g_rep.policies[g_rep.details[i].policy].type == SMTPC_RPT_POLICY_STS ? 0u : 1u;
            got[pi][g_rep.details[i].result] += g_rep.details[i].count;
        }
        assert_memory_equal(got, want, sizeof(got));
    }
    printf("extreme groups: %u recorded, %u dropped, overflow %u, %u groups\n", ok, dropped,
           (unsigned)g_rep.overflow, g_rep.detail_count);
    rig_free(r);
}

static void test_log_remove_gc(void **state)
{
    rig_t *r = rig_std();
    smtpc_tls_event_t ev;
    (void)state;
    policies_init();
    g_now = (uint64_t)D0 * DAY;
    ev = ev_fail("a.example", SMTPC_ERR_TLS_CERT_EXPIRED, "mx1.a.example", 1, &g_pol_a);
    assert_int_equal(rec(r, &ev, D0, 1), SMTPC_OK);
    ev = ev_fail("b.example", SMTPC_ERR_TLS_CERT_EXPIRED, "mx1.b.example", 1, &g_pol_b);
    assert_int_equal(rec(r, &ev, D0, 2), SMTPC_OK);
    ev = ev_fail("a.example", SMTPC_ERR_TLS_CERT_EXPIRED, "mx1.a.example", 1, &g_pol_a);
    assert_int_equal(rec(r, &ev, D0 + 1, 3), SMTPC_OK);
    assert_int_equal(kcount(r, 'Q'), 3);
    assert_int_equal(kcount(r, 'S'), 2);
    assert_int_equal(kcount(r, 'Y'), 2);
    /* b's report: its snapshot goes, the day's table stays (a uses it) */
    assert_int_equal(smtpc_tlsrpt_log_remove(&r->log, D0, "b.example"), SMTPC_OK);
    assert_int_equal(kcount(r, 'Q'), 2);
    assert_int_equal(kcount(r, 'S'), 2);
    assert_int_equal(kcount(r, 'Y'), 1);
    assert_int_equal(smtpc_tlsrpt_log_remove(&r->log, D0, "b.example"), SMTPC_ERR_NOT_FOUND);
    /* a's first day: the day's table goes, the snapshot stays (day 2 uses it) */
    assert_int_equal(smtpc_tlsrpt_log_remove(&r->log, D0, "A.EXAMPLE"), SMTPC_OK);
    assert_int_equal(kcount(r, 'S'), 1);
    assert_int_equal(kcount(r, 'Y'), 1);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0 + 1, "a.example", &g_rep), SMTPC_OK);
    assert_true(pol_eq(&g_rep.policies[0].policy, &g_pol_a));
    assert_string_equal(g_rep.mx_pool + g_rep.details[0].mx, "mx1.a.example");
    assert_int_equal(smtpc_tlsrpt_log_remove(&r->log, D0 + 1, "a.example"), SMTPC_OK);
    assert_int_equal(kcount(r, 'Q') + kcount(r, 'S') + kcount(r, 'Y'), 0);
    /* orphans left by a power cut are collected by the next remove */
    {
        uint8_t k[5] = {'Y', 1, 2, 3, 4};
        uint8_t v[10] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        uint8_t s[3] = {'S', 9, 9};
        uint8_t sv[4] = {1, 'x', 0};
        assert_int_equal(smtpc_kvs_put(&r->log.kvs, k, 5, v, 10), SMTPC_OK);
        assert_int_equal(smtpc_kvs_put(&r->log.kvs, s, 3, sv, 3), SMTPC_OK);
        assert_int_equal(smtpc_tlsrpt_log_remove(&r->log, D0, "z.example"), SMTPC_ERR_NOT_FOUND);
        assert_int_equal(kcount(r, 'Y') + kcount(r, 'S'), 0);
    }
    /* a snapshot only batched successes use is kept: remove() flushes them
     * into a report first; the orphan table goes */
    ev = ev_ok("a.example", &g_pol_a);
    assert_int_equal(rec(r, &ev, D0 + 2, 1), SMTPC_OK);
    assert_int_equal(kcount(r, 'Y'), 1);
    {
        uint8_t s[3] = {'S', 9, 9};
        uint8_t sv[4] = {1, 'x', 0};
        assert_int_equal(smtpc_kvs_put(&r->log.kvs, s, 3, sv, 3), SMTPC_OK);
    }
    /* remove() flushes: the batch becomes a report and keeps its snapshot */
    assert_int_equal(smtpc_tlsrpt_log_remove(&r->log, D0, "z.example"), SMTPC_ERR_NOT_FOUND);
    assert_int_equal(kcount(r, 'Y'), 1);
    assert_int_equal(kcount(r, 'S'), 0);
    assert_int_equal(kcount(r, 'Q'), 1);
    rig_free(r);
}

static void test_log_due(void **state)
{
    rig_t *r = rig_std();
    smtpc_tls_event_t ev = ev_ok("a.example", NULL);
    smtpc_tls_event_t ev2 = ev_ok("b.example", NULL);
    uint32_t day = 0;
    char dom[64];
    (void)state;
    g_now = 0;
    assert_int_equal(rec(r, &ev, D0 + 1, 50), SMTPC_OK);
    assert_int_equal(rec(r, &ev2, D0, 50), SMTPC_OK);
    assert_int_equal(rec(r, &ev, D0 + 2, 50), SMTPC_OK);
    /* during day D0 + 2, 1 h after midnight, with a 2 h delay: only D0 */
    assert_int_equal(smtpc_tlsrpt_log_due(&r->log, (uint64_t)(D0 + 2) * DAY + 3600, 7200, &day, dom,
                                          sizeof(dom)),
                     SMTPC_OK);
    assert_int_equal(day, D0);
    assert_string_equal(dom, "b.example");
    assert_int_equal(smtpc_tlsrpt_log_remove(&r->log, day, dom), SMTPC_OK);
    /* D0 + 1 ended 1 h ago: not yet with a 2 h delay, due with none */
    assert_int_equal(smtpc_tlsrpt_log_due(&r->log, (uint64_t)(D0 + 2) * DAY + 3600, 7200, &day, dom,
                                          sizeof(dom)),
                     SMTPC_ERR_NOT_FOUND);
    assert_int_equal(
        smtpc_tlsrpt_log_due(&r->log, (uint64_t)(D0 + 2) * DAY + 3600, 0, &day, dom, sizeof(dom)),
        SMTPC_OK);
    assert_int_equal(day, D0 + 1);
    assert_string_equal(dom, "a.example");
    /* exactly at the end of the delay */
    assert_int_equal(smtpc_tlsrpt_log_due(&r->log, (uint64_t)(D0 + 2) * DAY + 7200, 7200, &day, dom,
                                          sizeof(dom)),
                     SMTPC_OK);
    assert_int_equal(smtpc_tlsrpt_log_due(&r->log, (uint64_t)(D0 + 2) * DAY + 7199, 7200, &day, dom,
                                          sizeof(dom)),
                     SMTPC_ERR_NOT_FOUND);
    /* the current day is never due; an unknown clock finds nothing */
    assert_int_equal(smtpc_tlsrpt_log_remove(&r->log, D0 + 1, "a.example"), SMTPC_OK);
    assert_int_equal(
        smtpc_tlsrpt_log_due(&r->log, (uint64_t)(D0 + 2) * DAY + 86399, 0, &day, dom, sizeof(dom)),
        SMTPC_ERR_NOT_FOUND);
    assert_int_equal(smtpc_tlsrpt_log_due(&r->log, 0, 0, &day, dom, sizeof(dom)),
                     SMTPC_ERR_NOT_FOUND);
    assert_int_equal(smtpc_tlsrpt_log_due(&r->log, (uint64_t)(D0 + 3) * DAY, 0, &day, dom, 5),
                     SMTPC_ERR_NO_SPACE);
    rig_free(r);
}

/* Overwrite the aggregate value of (day, domain) in the store. */
static void q_poke(rig_t *r, uint32_t day, const char *dom, const uint8_t *v, size_t n)
{
    uint8_t key[300];
    size_t dl = strlen(dom);
    key[0] = 'Q';
    key[1] = (uint8_t)day;
    key[2] = (uint8_t)(day >> 8);
    memcpy(key + 3, dom, dl);
    assert_int_equal(smtpc_kvs_put(&r->log.kvs, key, dl + 3, v, n), SMTPC_OK);
}

static size_t q_peek(rig_t *r, uint32_t day, const char *dom, uint8_t *v, size_t cap)
{
    uint8_t key[300];
    size_t dl = strlen(dom);
    size_t len = 0;
    key[0] = 'Q';
    key[1] = (uint8_t)day;
    key[2] = (uint8_t)(day >> 8);
    memcpy(key + 3, dom, dl);
    assert_int_equal(smtpc_kvs_get(&r->log.kvs, key, dl + 3, v, cap, &len), SMTPC_OK);
    return len;
}

static void test_log_corrupt_records(void **state)
{
    rig_t *r = rig_std();
    smtpc_tls_event_t ev;
    uint8_t v[SMTPC_KVS_RECORD_MAX];
    uint8_t w[SMTPC_KVS_RECORD_MAX];
    uint8_t s_val[SMTPC_KVS_RECORD_MAX];
    size_t s_len = 0;
    size_t n;
    unsigned i;
    unsigned ok = 0;
    unsigned bad = 0;
    (void)state;
    policies_init();
    g_now = (uint64_t)D0 * DAY;
    ev = ev_fail("a.example", SMTPC_ERR_TLS_CERT_EXPIRED, "mx1.a.example", 1, &g_pol_a);
    assert_int_equal(rec(r, &ev, D0, 1), SMTPC_OK);
    ev = ev_fail("a.example", SMTPC_ERR_STARTTLS_REQUIRED, "mx2.a.example", 2, &g_pol_a);
    assert_int_equal(rec(r, &ev, D0, 2), SMTPC_OK);
    ev = ev_make(SMTPC_EV_POLICY, "a.example", SMTPC_ERR_HTTP_STATUS);
    assert_int_equal(rec(r, &ev, D0, 3), SMTPC_OK);
    memset(w, 0, sizeof(w)); /* a fuzzed length may reach past the value */
    n = q_peek(r, D0, "a.example", v, sizeof(v));
    assert_int_equal(n, 8 + 2 * 13 + 3 * 29);
    {
        uint8_t sk[3] = {'S', (uint8_t)D0, (uint8_t)(D0 >> 8)};
        assert_int_equal(smtpc_kvs_get(&r->log.kvs, sk, 3, s_val, sizeof(s_val), &s_len), SMTPC_OK);
    }

    /* format byte from the future */
    memcpy(w, v, n);
    w[0] = 2;
    q_poke(r, D0, "a.example", w, n);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "a.example", &g_rep),
                     SMTPC_ERR_CACHE_CORRUPT);
    /* sums that disagree */
    memcpy(w, v, n);
    w[8 + 9]++;
    q_poke(r, D0, "a.example", w, n);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "a.example", &g_rep),
                     SMTPC_ERR_CACHE_CORRUPT);
    /* truncated, too long */
    q_poke(r, D0, "a.example", v, n - 1);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "a.example", &g_rep),
                     SMTPC_ERR_CACHE_CORRUPT);
    memcpy(w, v, n);
    w[n] = 0;
    q_poke(r, D0, "a.example", w, n + 1);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "a.example", &g_rep),
                     SMTPC_ERR_CACHE_CORRUPT);
    /* an MX index past the day's table */
    memcpy(w, v, n);
    w[8 + 26 + 7] = 5;
    q_poke(r, D0, "a.example", w, n);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "a.example", &g_rep),
                     SMTPC_ERR_CACHE_CORRUPT);
    /* record() replaces an undecodable aggregate, and counts it */
    q_poke(r, D0, "a.example", (const uint8_t *)"junk", 4);
    ev = ev_fail("a.example", SMTPC_ERR_TLS_CERT_EXPIRED, "mx1.a.example", 1, &g_pol_a);
    assert_int_equal(rec(r, &ev, D0, 4), SMTPC_OK);
    assert_int_equal(r->log.stats.corrupt, 1);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "a.example", &g_rep), SMTPC_OK);
    assert_int_equal(g_rep.policies[0].failure, 1);
    /* a missing snapshot */
    {
        uint8_t k[5] = {'Y', 0, 0, 0, 0};
        uint8_t key[300];
        size_t kl = 0;
        unsigned j;
        for (j = 0; smtpc_kvs_key(&r->log.kvs, j, key, sizeof(key), &kl) == SMTPC_OK; j++) {
            if (key[0] == 'Y') {
                memcpy(k, key, 5);
            }
        }
        assert_int_equal(smtpc_kvs_del(&r->log.kvs, k, 5), SMTPC_OK);
        assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "a.example", &g_rep),
                         SMTPC_ERR_CACHE_CORRUPT);
        /* a bad string table */
        assert_int_equal(rec(r, &ev, D0, 5), SMTPC_OK); /* the snapshot is written again */
        assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "a.example", &g_rep), SMTPC_OK);
        key[0] = 'S';
        key[1] = (uint8_t)D0;
        key[2] = (uint8_t)(D0 >> 8);
        assert_int_equal(smtpc_kvs_put(&r->log.kvs, key, 3,
                                       (const uint8_t *)"\x01"
                                                        "ab",
                                       3),
                         SMTPC_OK);
        assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "a.example", &g_rep),
                         SMTPC_ERR_CACHE_CORRUPT);
        /* a failure with an MX now goes to a degraded group: the table is not touched */
        ev = ev_fail("a.example", SMTPC_ERR_TLS_CERT_UNTRUSTED, "mx7.a.example", 1, &g_pol_a);
        assert_int_equal(rec(r, &ev, D0, 6), SMTPC_OK);
        assert_int_equal(r->log.stats.degraded, 1);
    }
    {
        uint8_t sk[3] = {'S', (uint8_t)D0, (uint8_t)(D0 >> 8)};
        assert_int_equal(smtpc_kvs_put(&r->log.kvs, sk, 3, s_val, s_len), SMTPC_OK);
    }
    /* fuzzed values: load never crashes; what it accepts is consistent, and
     * record() always leaves a decodable aggregate */
    g_rng = 99;
    for (i = 0; i < 3000u; i++) {
        size_t m = n;
        unsigned k;
        memcpy(w, v, n);
        for (k = 0; k < 1u + rnd() % 4u; k++) {
            w[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8u));
        }
        if (rnd() % 8u == 0u) {
            m = rnd() % (n + 30u);
        }
        q_poke(r, D0, "a.example", w, m);
        if (smtpc_tlsrpt_log_load(&r->log, D0, "a.example", &g_rep) == SMTPC_OK) {
            report_check(&g_rep);
            ok++;
        } else {
            bad++;
        }
        if (i % 10u == 0u) {
            ev = ev_fail("a.example", SMTPC_ERR_TLS_CERT_EXPIRED, "mx1.a.example", 1, &g_pol_a);
            int rc = rec(r, &ev, D0, 7);
            /* a fuzzed record that still decodes may name policies whose
             * snapshots do not exist: the failure may find no policy slot */
            assert_true(rc == SMTPC_OK || rc == SMTPC_ERR_TLSRPT_OVERFLOW);
            rc = smtpc_tlsrpt_log_load(&r->log, D0, "a.example", &g_rep);
            assert_true(rc == SMTPC_OK || rc == SMTPC_ERR_CACHE_CORRUPT);
            if (rc == SMTPC_OK) {
                report_check(&g_rep);
            }
        }
    }
    printf("fuzzed aggregates: %u loaded, %u refused\n", ok, bad);
    assert_true(ok > 0u && bad > 0u);
    (void)policies_init;
    assert_true(rig_clean(r));
    rig_free(r);
}

/* A store that fills up: new reports are dropped and counted, reports past
 * SMTPC_TLSRPT_KEEP_DAYS are reclaimed for new ones. */
static void test_log_full_store(void **state)
{
    rig_t *r = rig_std();
    smtpc_tls_event_t ev;
    char d[32];
    unsigned i;
    unsigned ok = 0;
    unsigned over = 0;
    (void)state;
    g_now = 0;
    for (i = 0; i < SMTPC_KVS_MAX_KEYS + 5u; i++) {
        int rc;
        snprintf(d, sizeof(d), "d%02u.example", i);
        ev = ev_fail(d, SMTPC_ERR_TLS_CERT_EXPIRED, "mx.example", 1, NULL);
        rc = rec(r, &ev, D0, i);
        if (rc == SMTPC_OK) {
            ok++;
        } else {
            assert_int_equal(rc, SMTPC_ERR_TLSRPT_OVERFLOW);
            over++;
        }
    }
    assert_int_equal(ok + 1u, SMTPC_KVS_MAX_KEYS); /* one key is the day's MX table */
    assert_int_equal(r->log.stats.dropped, over);
    assert_int_equal(r->log.stats.expired, 0);
    /* existing reports still count */
    ev = ev_fail("d00.example", SMTPC_ERR_TLS_CERT_EXPIRED, "mx.example", 1, NULL);
    assert_int_equal(rec(r, &ev, D0, 100), SMTPC_OK);
    /* within the retention, the next days cannot take new reports either */
    ev = ev_fail("new.example", SMTPC_ERR_TLS_CERT_EXPIRED, "mx.example", 1, NULL);
    assert_int_equal(rec(r, &ev, D0 + SMTPC_TLSRPT_KEEP_DAYS, 1), SMTPC_ERR_TLSRPT_OVERFLOW);
    assert_int_equal(r->log.stats.expired, 0);
    /* past it, the old day's reports make room (all of them: they are all expired) */
    assert_int_equal(rec(r, &ev, D0 + SMTPC_TLSRPT_KEEP_DAYS + 1, 1), SMTPC_OK);
    assert_int_equal(r->log.stats.expired, ok);
    assert_int_equal(kcount(r, 'Q'), 1);
    assert_int_equal(kcount(r, 'S'), 1);
    /* successes that find no room when written are dropped and counted too */
    {
        uint32_t before = r->log.stats.dropped;
        for (i = 0; i < SMTPC_KVS_MAX_KEYS; i++) {
            snprintf(d, sizeof(d), "e%02u.example", i);
            ev = ev_ok(d, NULL);
            (void)rec(r, &ev, D0 + SMTPC_TLSRPT_KEEP_DAYS + 1, 10 + i);
        }
        (void)smtpc_tlsrpt_log_flush(&r->log);
        assert_int_equal(r->log.pending_count, 0);
        /* every success is in a report or counted as dropped */
        assert_true(r->log.stats.dropped > before);
        assert_int_equal(r->log.stats.dropped - before + kcount(r, 'Q') - 1u, SMTPC_KVS_MAX_KEYS);
    }
    assert_true(rig_clean(r));
    rig_free(r);
}

static void test_log_clock_and_args(void **state)
{
    rig_t *r = rig_std();
    smtpc_tls_event_t ev = ev_fail("a.example", SMTPC_ERR_TLS_CERT_EXPIRED, "mx", 1, NULL);
    smtpc_tls_event_t ok = ev_ok("a.example", NULL);
    smtpc_tlsrpt_log_t unmounted;
    char big[300];
    uint32_t day;
    char dom[8];
    (void)state;
    /* unknown clock: a counted event is dropped and counted */
    assert_int_equal(smtpc_tlsrpt_log_record(&r->log, &ev, 0), SMTPC_ERR_TLSRPT_OVERFLOW);
    assert_int_equal(smtpc_tlsrpt_log_record(&r->log, &ok, 0), SMTPC_ERR_TLSRPT_OVERFLOW);
    assert_int_equal(r->log.stats.dropped, 2);
    /* a day past 65535 (year 2149) */
    assert_int_equal(smtpc_tlsrpt_log_record(&r->log, &ev, 65536ull * DAY),
                     SMTPC_ERR_TLSRPT_OVERFLOW);
    /* not counted: no clock needed */
    ev.rpt = SMTPC_RPT_ABSENT;
    assert_int_equal(smtpc_tlsrpt_log_record(&r->log, &ev, 0), SMTPC_OK);
    assert_int_equal(r->log.stats.ignored, 1);
    ev.rpt = SMTPC_RPT_PUBLISHED;
    /* bad domains */
    ev.domain = "";
    assert_int_equal(rec(r, &ev, D0, 1), SMTPC_ERR_BAD_ARG);
    ev.domain = NULL;
    assert_int_equal(rec(r, &ev, D0, 1), SMTPC_ERR_BAD_ARG);
    memset(big, 'a', sizeof(big));
    big[299] = '\0';
    ev.domain = big;
    assert_int_equal(rec(r, &ev, D0, 1), SMTPC_ERR_BAD_ARG);
    ev.domain = "a b.example";
    assert_int_equal(rec(r, &ev, D0, 1), SMTPC_ERR_BAD_ARG);
    assert_int_equal(r->log.stats.dropped, 7);
    /* an MX name that is not a host name is left out, the failure kept */
    ev.domain = "a.example";
    ev.mx_host = "bad host!";
    assert_int_equal(rec(r, &ev, D0, 1), SMTPC_OK);
    ev.mx_host = NULL;
    assert_int_equal(rec(r, &ev, D0, 2), SMTPC_OK);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "a.example", &g_rep), SMTPC_OK);
    assert_int_equal(g_rep.details[0].count, 2);
    assert_int_equal(g_rep.details[0].mx, 0xFFFF);
    /* the hook takes the log's clock */
    g_now = (uint64_t)D0 * DAY + 5;
    smtpc_tlsrpt_hook(&r->log, &ev);
    smtpc_tlsrpt_hook(NULL, &ev);
    assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0, "a.example", &g_rep), SMTPC_OK);
    assert_int_equal(g_rep.details[0].count, 3);
    assert_ptr_equal(smtpc_tlsrpt_log_stats(&r->log), &r->log.stats);
    assert_null(smtpc_tlsrpt_log_stats(NULL));
    /* arguments and state */
    memset(&unmounted, 0, sizeof(unmounted));
    assert_int_equal(smtpc_tlsrpt_log_record(&unmounted, &ev, 100000), SMTPC_ERR_STATE);
    assert_int_equal(smtpc_tlsrpt_log_flush(&unmounted), SMTPC_ERR_STATE);
    assert_int_equal(smtpc_tlsrpt_log_list(&unmounted, 0, &day, dom, sizeof(dom)), SMTPC_ERR_STATE);
    assert_int_equal(smtpc_tlsrpt_log_load(&unmounted, D0, "a.example", &g_rep), SMTPC_ERR_STATE);
    assert_int_equal(smtpc_tlsrpt_log_remove(&unmounted, D0, "a.example"), SMTPC_ERR_STATE);
    assert_int_equal(smtpc_tlsrpt_log_due(&unmounted, 1, 0, &day, dom, sizeof(dom)),
                     SMTPC_ERR_STATE);
    assert_int_equal(smtpc_tlsrpt_log_record(NULL, &ev, 1), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_tlsrpt_log_record(&r->log, NULL, 1), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_tlsrpt_log_flush(NULL), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_tlsrpt_log_list(&r->log, 0, NULL, dom, sizeof(dom)), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_tlsrpt_log_remove(&r->log, D0, NULL), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_tlsrpt_log_due(NULL, 1, 0, &day, dom, sizeof(dom)), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_tlsrpt_log_mount(NULL, &r->emu.ops, &r->emu, NULL, NULL),
                     SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_tlsrpt_log_mount(&unmounted, NULL, NULL, NULL, NULL), SMTPC_ERR_BAD_ARG);
    rig_free(r);
}

/* ------------------------------------------------- random workload --- */

#define M_DAYS 4u
#define M_DOMS 3u
#define M_POLS 4u /* 0 none found, 1 policy A, 2 policy B, 3 sts unknown */

typedef struct {
    uint32_t succ[M_DAYS][M_DOMS][M_POLS];
    uint32_t fail[M_DAYS][M_DOMS][M_POLS][SMTPC_RPT_RESULT_COUNT_];
    uint32_t dropped;
    uint32_t recorded;
} model_t;

static const char *const g_doms[M_DOMS] = {"a.example", "b.example", "c.example"};

/* Which model policy index a report entry is. */
static unsigned rep_pol_idx(const smtpc_rpt_policy_t *p)
{
    if (p->type == SMTPC_RPT_POLICY_NONE_FOUND) {
        return 0;
    }
    if (p->type == SMTPC_RPT_POLICY_STS_UNKNOWN) {
        return 3;
    }
    if (pol_eq(&p->policy, &g_pol_a)) {
        return 1;
    }
    assert_true(pol_eq(&p->policy, &g_pol_b));
    return 2;
}

/* Policy index of a batched entry (for a power-off without a flush). */
static unsigned pend_pol_idx(rig_t *r, const smtpc_tlsrpt_pending_t *p)
{
    uint8_t k[5];
    uint8_t v[400];
    size_t len = 0;
    smtpc_sts_policy_t pol;
    if (p->type == SMTPC_RPT_POLICY_NONE_FOUND) {
        return 0;
    }
    if (p->type == SMTPC_RPT_POLICY_STS_UNKNOWN) {
        return 3;
    }
    k[0] = 'Y';
    k[1] = (uint8_t)p->policy_hash;
    k[2] = (uint8_t)(p->policy_hash >> 8);
    k[3] = (uint8_t)(p->policy_hash >> 16);
    k[4] = (uint8_t)(p->policy_hash >> 24);
    assert_int_equal(smtpc_kvs_get(&r->log.kvs, k, 5, v, sizeof(v), &len), SMTPC_OK);
    memset(&pol, 0, sizeof(pol));
    pol.mode = v[1];
    pol.max_age =
        (uint32_t)v[2] | (uint32_t)v[3] << 8 | (uint32_t)v[4] << 16 | (uint32_t)v[5] << 24;
    pol.mx_count = v[6];
    pol.mx_pool_len = (uint16_t)(v[7] | v[8] << 8);
    memcpy(pol.mx_pool, v + 9, pol.mx_pool_len);
    return pol_eq(&pol, &g_pol_a) ? 1u : 2u;
}

static void model_check(rig_t *r, const model_t *m, uint32_t day0)
{
    unsigned d;
    unsigned o;
    unsigned reports = 0;
    unsigned listed = 0;
    uint32_t day;
    char dom[64];
    assert_int_equal(r->log.stats.dropped, m->dropped);
    for (d = 0; d < M_DAYS; d++) {
        for (o = 0; o < M_DOMS; o++) {
            uint32_t got_s[M_POLS];
            uint32_t got_f[M_POLS][SMTPC_RPT_RESULT_COUNT_];
            unsigned any = 0;
            unsigned p;
            unsigned i;
            int rc;
            for (p = 0; p < M_POLS; p++) {
                any |= m->succ[d][o][p] != 0u;
                for (i = 0; i < SMTPC_RPT_RESULT_COUNT_; i++) {
                    any |= m->fail[d][o][p][i] != 0u;
                }
            }
            rc = smtpc_tlsrpt_log_load(&r->log, day0 + d, g_doms[o], &g_rep);
            if (!any) {
                assert_int_equal(rc, SMTPC_ERR_NOT_FOUND);
                continue;
            }
            reports++;
            assert_int_equal(rc, SMTPC_OK);
            report_check(&g_rep);
            memset(got_s, 0, sizeof(got_s));
            memset(got_f, 0, sizeof(got_f));
            for (p = 0; p < g_rep.policy_count; p++) {
                got_s[rep_pol_idx(&g_rep.policies[p])] += g_rep.policies[p].success;
            }
            for (i = 0; i < g_rep.detail_count; i++) {
                const smtpc_rpt_detail_t *dt = &g_rep.details[i];
                got_f[rep_pol_idx(&g_rep.policies[dt->policy])][dt->result] += dt->count;
            }
            assert_memory_equal(got_s, m->succ[d][o], sizeof(got_s));
            assert_memory_equal(got_f, m->fail[d][o], sizeof(got_f));
        }
    }
    while (smtpc_tlsrpt_log_list(&r->log, listed, &day, dom, sizeof(dom)) == SMTPC_OK) {
        assert_true(day >= day0 && day < day0 + M_DAYS);
        listed++;
    }
    assert_int_equal(listed, reports);
}

/* The policy a (day, domain) may use: two per report (SMTPC_TLSRPT_POLICIES). */
static unsigned pick_pol(unsigned d, unsigned o, unsigned coin)
{
    static const unsigned pairs[4][2] = {{0, 1}, {1, 3}, {2, 0}, {2, 3}};
    return pairs[(d + o) % 4u][coin];
}

static void test_log_random_model(void **state)
{
    smtpc_flash_geom_t g = geom(1, 16, 4096, 4, 0xFF);
    rig_t *r = rig_new(&g);
    static model_t m;
    static const int s_errs[] = {SMTPC_ERR_TLS_CERT_HOSTNAME,  SMTPC_ERR_TLS_CERT_EXPIRED,
                                 SMTPC_ERR_TLS_CERT_UNTRUSTED, SMTPC_ERR_TLS_HANDSHAKE,
                                 SMTPC_ERR_STARTTLS_REQUIRED,  SMTPC_ERR_NET_CONNECT};
    static const int p_errs[] = {SMTPC_ERR_HTTP_STATUS, SMTPC_ERR_STS_POLICY_INVALID,
                                 SMTPC_ERR_TLS_CERT_UNTRUSTED, SMTPC_ERR_TIMEOUT};
    const smtpc_sts_policy_t *pols[M_POLS];
    unsigned step;
    unsigned day = 0;
    unsigned remounts = 0;
    unsigned lost = 0;
    uint32_t compactions = 0;
    (void)state;
    policies_init();
    pols[0] = NULL;
    pols[1] = &g_pol_a;
    pols[2] = &g_pol_b;
    pols[3] = NULL;
    memset(&m, 0, sizeof(m));
    g_rng = 31337;
    g_now = 0;
    assert_int_equal(rig_mount(r), SMTPC_OK);
    for (step = 0; step < 6000u; step++) {
        unsigned o;
        unsigned p;
        unsigned kind;
        smtpc_tls_event_t ev;
        smtpc_rpt_class_t c;
        char mx[32];
        int rc;
        if (step > 0u && step % 1500u == 0u) {
            /* the next day; the day before yesterday is sent and removed */
            day++;
            if (day >= 2u) {
                unsigned k;
                for (k = 0; k < M_DOMS; k++) {
                    int rr = smtpc_tlsrpt_log_remove(&r->log, D0 + day - 2u, g_doms[k]);
                    assert_true(rr == SMTPC_OK || rr == SMTPC_ERR_NOT_FOUND);
                    memset(m.succ[day - 2u][k], 0, sizeof(m.succ[0][0]));
                    memset(m.fail[day - 2u][k], 0, sizeof(m.fail[0][0]));
                }
            }
        }
        o = rnd() % M_DOMS;
        p = pick_pol(day, o, rnd() % 2u);
        kind = rnd() % 10u;
        snprintf(mx, sizeof(mx), "mx%u.%s", (unsigned)(rnd() % 5u), g_doms[o]);
        if (p == 3u) {
            ev = ev_make(SMTPC_EV_POLICY, g_doms[o], p_errs[rnd() % 4u]);
        } else if (kind < 5u) {
            ev = ev_ok(g_doms[o], pols[p]);
        } else {
            ev = ev_fail(g_doms[o], s_errs[rnd() % 6u], mx, (uint8_t)(rnd() % 4u), pols[p]);
            if (rnd() % 7u == 0u) {
                ev.ip_len = 16;
                ev.ip[15] = 1;
            }
            if (ev.err == SMTPC_ERR_STARTTLS_REQUIRED && rnd() % 2u) {
                ev.flags = SMTPC_EV_F_STRIP;
            }
        }
        if (rnd() % 50u == 0u) {
            ev.rpt = SMTPC_RPT_ABSENT;
        }
        c = smtpc_tlsrpt_classify(&ev);
        {
            uint32_t before = r->log.stats.dropped;
            rc = rec(r, &ev, D0 + day, step);
            if (getenv("RPT_DEBUG") != NULL && r->log.stats.dropped != before) {
                printf("step %u: rc %d dropped +%u class %d/%d dom %u pol %u day %u pend %u\n",
                       step, rc, (unsigned)(r->log.stats.dropped - before), c.count, c.result, o, p,
                       day, r->log.pending_count);
            }
        }
        if (!c.count) {
            assert_int_equal(rc, SMTPC_OK);
        } else if (rc == SMTPC_OK) {
            m.recorded++;
            if (c.result == SMTPC_RPT_SUCCESS) {
                m.succ[day][o][p]++;
            } else {
                m.fail[day][o][p][c.result]++;
            }
        } else {
            assert_int_equal(rc, SMTPC_ERR_TLSRPT_OVERFLOW);
            assert_true(c.result != SMTPC_RPT_SUCCESS);
            m.dropped++;
        }
        assert_int_equal(r->log.stats.dropped, m.dropped);
        if (step % 500u == 499u) {
            if (rnd() % 2u) {
                assert_int_equal(smtpc_tlsrpt_log_flush(&r->log), SMTPC_OK);
            } else {
                /* power off with successes batched: they are lost, and only they */
                unsigned i;
                for (i = 0; i < r->log.pending_count; i++) {
                    const smtpc_tlsrpt_pending_t *pe = &r->log.pending[i];
                    unsigned k;
                    if (pe->count == 0u) {
                        continue;
                    }
                    for (k = 0; k < M_DOMS && strcmp(pe->domain, g_doms[k]) != 0; k++) {
                    }
                    assert_true(k < M_DOMS);
                    assert_true(pe->count < SMTPC_TLSRPT_SUCCESS_BATCH);
                    m.succ[pe->day - D0][k][pend_pol_idx(r, pe)] -= pe->count;
                    lost += pe->count;
                }
            }
            assert_int_equal(r->log.stats.dropped, m.dropped);
            compactions += smtpc_kvs_stats(&r->log.kvs)->compactions;
            assert_int_equal(rig_remount(r), SMTPC_OK);
            m.dropped = 0; /* stats count since mount */
            remounts++;
            model_check(r, &m, D0);
        }
    }
    model_check(r, &m, D0);
    printf("random log workload: %u events, %u remounts, %u batched successes lost on power-off, "
           "%u kvs compactions, %u dropped\n",
           step, remounts, lost,
           (unsigned)(compactions + smtpc_kvs_stats(&r->log.kvs)->compactions),
           (unsigned)m.dropped);
    assert_true(compactions > 10u);
    assert_true(rig_clean(r));
    rig_free(r);
}

/* ========================================================== power cuts === */

typedef struct {
    smtpc_tls_event_t ev;
    uint32_t day;
    unsigned dom; /* index into g_doms */
    unsigned pol; /* model policy index */
    uint8_t result;
} pc_ev_t;

#define PC_MAX 128u
static pc_ev_t g_pc[PC_MAX];
static unsigned g_pc_n;
static char g_pc_mx[PC_MAX][32];
static unsigned long g_cuts;
static unsigned long g_fails;
static unsigned g_seeds = 1;
static uint32_t g_pc_compactions;

static void pc_build(void)
{
    unsigned i;
    policies_init();
    g_rng = 2024;
    g_pc_n = 0;
    for (i = 0; i < 120u; i++) {
        pc_ev_t *e = &g_pc[g_pc_n];
        unsigned o = i % 2u;
        unsigned kind = rnd() % 3u;
        e->day = D0 + (i >= 70u ? 1u : 0u);
        e->dom = o;
        e->pol = o == 0u ? 1u : 0u;
        snprintf(g_pc_mx[g_pc_n], sizeof(g_pc_mx[0]), "mx%u.%s", (unsigned)(rnd() % 6u), g_doms[o]);
        if (kind < 2u || (i >= 20u && i < 36u)) {
            e->ev = ev_ok(g_doms[o], o == 0u ? &g_pol_a : NULL);
        } else {
            static const int errs[] = {SMTPC_ERR_TLS_CERT_EXPIRED, SMTPC_ERR_TLS_CERT_HOSTNAME,
                                       SMTPC_ERR_STARTTLS_REQUIRED};
            e->ev = ev_fail(g_doms[o], errs[rnd() % 3u], g_pc_mx[g_pc_n],
                            (uint8_t)(1u + rnd() % 3u), o == 0u ? &g_pol_a : NULL);
        }
        e->result = smtpc_tlsrpt_classify(&e->ev).result;
        g_pc_n++;
    }
}

typedef struct {
    uint32_t succ[2][2]; /* [day - D0][dom] */
    uint32_t fail[2][2];
} pc_state_t;

static void pc_fail_s(const rig_t *r, const char *scen, const char *what, unsigned mode, uint32_t n)
{
    cut_report_fail(&g_fails, &r->g, scen, what, mode, n, 0, UINT32_MAX);
}

static void pc_fail(const rig_t *r, const char *what, unsigned mode, uint32_t n)
{
    pc_fail_s(r, "record sequence", what, mode, n);
}

/* Run the sequence with a cut at write @p n; check after remount. */
static void pc_run(rig_t *r, uint32_t n, unsigned mode, uint32_t seed, uint32_t *total)
{
    pc_state_t ok;
    int inflight = -1;
    unsigned i;
    int mounted;
    memset(&ok, 0, sizeof(ok));
    memset(r->mem, r->g.erased_value, r->size);
    smtpc_flash_emu_reboot(&r->emu);
    r->ram.violations = 0;
    r->ram.misaligned = 0;
    if (total == NULL) {
        smtpc_flash_emu_arm(&r->emu, n, (smtpc_flash_cut_t)mode, seed);
    }
    g_now = 0;
    mounted = rig_mount(r) == SMTPC_OK;
    for (i = 0; mounted && i < g_pc_n; i++) {
        const pc_ev_t *e = &g_pc[i];
        int rc = rec(r, &e->ev, e->day, i);
        if (rc != SMTPC_OK) {
            if (!r->emu.off) {
                pc_fail(r, "an error without a power cut", mode, n);
            }
            inflight = (int)i;
            break;
        }
        if (e->result == SMTPC_RPT_SUCCESS) {
            ok.succ[e->day - D0][e->dom]++;
        } else {
            ok.fail[e->day - D0][e->dom]++;
        }
    }
    if (total != NULL) {
        assert_int_equal(smtpc_tlsrpt_log_flush(&r->log), SMTPC_OK);
        *total = r->emu.wops;
        g_pc_compactions = smtpc_kvs_stats(&r->log.kvs)->compactions;
    }
    g_cuts++;
    /* power back: everything committed must be there */
    if (rig_remount(r) != SMTPC_OK) {
        pc_fail(r, "remount", mode, n);
        return;
    }
    {
        unsigned d;
        unsigned o;
        for (d = 0; d < 2u; d++) {
            for (o = 0; o < 2u; o++) {
                uint32_t s = 0;
                uint32_t f = 0;
                uint32_t may_f = 0;
                uint32_t may_s = 0;
                int rc = smtpc_tlsrpt_log_load(&r->log, D0 + d, g_doms[o], &g_rep);
                if (inflight >= 0 && g_pc[inflight].day == D0 + d && g_pc[inflight].dom == o) {
                    may_f = g_pc[inflight].result != SMTPC_RPT_SUCCESS;
                    may_s = g_pc[inflight].result == SMTPC_RPT_SUCCESS;
                }
                if (rc == SMTPC_OK) {
                    unsigned p;
                    report_check(&g_rep);
                    for (p = 0; p < g_rep.policy_count; p++) {
                        s += g_rep.policies[p].success;
                        f += g_rep.policies[p].failure;
                    }
                } else if (rc != SMTPC_ERR_NOT_FOUND) {
                    pc_fail(r, "load", mode, n);
                    continue;
                }
                if (f < ok.fail[d][o] || f > ok.fail[d][o] + may_f) {
                    pc_fail(r, "a committed failure is missing (or one too many)", mode, n);
                }
                if (s > ok.succ[d][o] + may_s || s + SMTPC_TLSRPT_SUCCESS_BATCH < ok.succ[d][o]) {
                    pc_fail(r, "successes out of bounds", mode, n);
                }
                if (total != NULL && (s != ok.succ[d][o] || f != ok.fail[d][o])) {
                    pc_fail(r, "uncut run not exact", mode, n);
                }
            }
        }
    }
    /* and the log goes on */
    {
        smtpc_tls_event_t ev =
            ev_fail(g_doms[1], SMTPC_ERR_TLS_CERT_EXPIRED, "mx9.example", 9, NULL);
        uint32_t before = 0;
        if (smtpc_tlsrpt_log_load(&r->log, D0 + 1, g_doms[1], &g_rep) == SMTPC_OK) {
            before = g_rep.policies[0].failure;
        }
        if (rec(r, &ev, D0 + 1, 80000) != SMTPC_OK ||
            smtpc_tlsrpt_log_load(&r->log, D0 + 1, g_doms[1], &g_rep) != SMTPC_OK ||
            g_rep.policies[0].failure != before + 1u) {
            pc_fail(r, "the log does not go on", mode, n);
        }
    }
    if (!rig_clean(r)) {
        pc_fail(r, "flash rules broken", mode, n);
    }
}

/* Removal under power cuts: from the image of the whole sequence, remove
 * (D0, a), (D0, b) and (D0 + 1, a) in turn (the last two collect the day's
 * MX table and the policy snapshot). After a cut at any write, every
 * report is intact or removed (only those whose removal had started), none
 * is unreadable, and recording goes on. */
static const struct {
    unsigned day;
    unsigned dom;
} g_rm[3] = {{0, 0}, {0, 1}, {1, 0}};

static void pc_remove_run(rig_t *r, const uint8_t *img, uint32_t n, unsigned mode, uint32_t seed,
                          uint32_t *total, const uint32_t want_s[2][2], const uint32_t want_f[2][2])
{
    int started[2][2];
    unsigned i;
    memset(started, 0, sizeof(started));
    memcpy(r->mem, img, r->size);
    smtpc_flash_emu_reboot(&r->emu);
    r->ram.violations = 0;
    r->ram.misaligned = 0;
    if (total == NULL) {
        smtpc_flash_emu_arm(&r->emu, n, (smtpc_flash_cut_t)mode, seed);
    }
    g_now = 0;
    if (rig_mount(r) == SMTPC_OK) {
        for (i = 0; i < 3u; i++) {
            started[g_rm[i].day][g_rm[i].dom] = 1;
            if (smtpc_tlsrpt_log_remove(&r->log, D0 + g_rm[i].day, g_doms[g_rm[i].dom]) !=
                SMTPC_OK) {
                if (!r->emu.off) {
                    pc_fail_s(r, "removal", "remove failed without a power cut", mode, n);
                }
                break;
            }
        }
    }
    if (total != NULL) {
        *total = r->emu.wops;
        if (kcount(r, 'Y') != 0u || kcount(r, 'S') != 1u || kcount(r, 'Q') != 1u) {
            pc_fail_s(r, "removal", "uncut removal left records behind", mode, n);
        }
    }
    g_cuts++;
    if (rig_remount(r) != SMTPC_OK) {
        pc_fail(r, "remount", mode, n);
        return;
    }
    for (i = 0; i < 4u; i++) {
        unsigned d = i / 2u;
        unsigned o = i % 2u;
        int rc = smtpc_tlsrpt_log_load(&r->log, D0 + d, g_doms[o], &g_rep);
        if (rc == SMTPC_OK) {
            unsigned p;
            uint32_t s_ = 0;
            uint32_t f_ = 0;
            report_check(&g_rep);
            for (p = 0; p < g_rep.policy_count; p++) {
                s_ += g_rep.policies[p].success;
                f_ += g_rep.policies[p].failure;
            }
            if (s_ != want_s[d][o] || f_ != want_f[d][o]) {
                pc_fail_s(r, "removal", "a report changed", mode, n);
            }
            if (total != NULL && started[d][o]) {
                pc_fail_s(r, "removal", "an uncut removal did not take", mode, n);
            }
        } else if (rc != SMTPC_ERR_NOT_FOUND || !started[d][o]) {
            pc_fail_s(r, "removal", "a report is unreadable, or gone without its removal", mode, n);
        }
    }
    {
        smtpc_tls_event_t ev =
            ev_fail(g_doms[0], SMTPC_ERR_TLS_CERT_EXPIRED, "mx9.a.example", 9, &g_pol_a);
        if (rec(r, &ev, D0 + 1, 80000) != SMTPC_OK ||
            smtpc_tlsrpt_log_load(&r->log, D0 + 1, g_doms[0], &g_rep) != SMTPC_OK) {
            pc_fail_s(r, "removal", "the log does not go on after a removal", mode, n);
        }
    }
    if (!rig_clean(r)) {
        pc_fail(r, "flash rules broken", mode, n);
    }
}

static void pc_remove(rig_t *r)
{
    uint8_t *img = malloc(r->size);
    uint32_t want_s[2][2];
    uint32_t want_f[2][2];
    uint32_t total = 0;
    unsigned mode;
    unsigned i;
    uint32_t n;
    assert_non_null(img);
    /* the image after the whole sequence, flushed */
    pc_run(r, 0, 0, 0, &total);
    smtpc_flash_emu_reboot(&r->emu);
    memset(r->mem, r->g.erased_value, r->size);
    g_now = 0;
    assert_int_equal(rig_mount(r), SMTPC_OK);
    for (i = 0; i < g_pc_n; i++) {
        assert_int_equal(rec(r, &g_pc[i].ev, g_pc[i].day, i), SMTPC_OK);
    }
    assert_int_equal(smtpc_tlsrpt_log_flush(&r->log), SMTPC_OK);
    for (i = 0; i < 4u; i++) {
        unsigned p;
        assert_int_equal(smtpc_tlsrpt_log_load(&r->log, D0 + i / 2u, g_doms[i % 2u], &g_rep),
                         SMTPC_OK);
        want_s[i / 2u][i % 2u] = 0;
        want_f[i / 2u][i % 2u] = 0;
        for (p = 0; p < g_rep.policy_count; p++) {
            want_s[i / 2u][i % 2u] += g_rep.policies[p].success;
            want_f[i / 2u][i % 2u] += g_rep.policies[p].failure;
        }
    }
    memcpy(img, r->mem, r->size);
    pc_remove_run(r, img, 0, 0, 0, &total, want_s, want_f);
    for (mode = 0; mode < SMTPC_FLASH_CUT_MODES; mode++) {
        for (n = 0; n < total; n++) {
            unsigned seeds =
                mode == SMTPC_FLASH_CUT_PREFIX || mode == SMTPC_FLASH_CUT_RANDOM ? g_seeds : 1u;
            unsigned k;
            for (k = 0; k < seeds; k++) {
                pc_remove_run(r, img, n, mode, (n + 7u) * 2654435761u ^ (mode + 1u) * 131u ^ k,
                              NULL, want_s, want_f);
            }
        }
    }
    printf("tlsrpt power-cut: removal and collection: %u write operations\n", (unsigned)total);
    free(img);
}

static void pc_geometry(const smtpc_flash_geom_t *g)
{
    rig_t *r = rig_new(g);
    uint32_t total = 0;
    unsigned mode;
    uint32_t n;
    pc_run(r, 0, 0, 0, &total);
    assert_int_equal(g_fails, 0);
    for (mode = 0; mode < SMTPC_FLASH_CUT_MODES; mode++) {
        for (n = 0; n < total; n++) {
            unsigned seeds =
                mode == SMTPC_FLASH_CUT_PREFIX || mode == SMTPC_FLASH_CUT_RANDOM ? g_seeds : 1u;
            unsigned k;
            for (k = 0; k < seeds; k++) {
                pc_run(r, n, mode, (n + 1u) * 2654435761u ^ (mode + 1u) * 97u ^ k * 40503u, NULL);
            }
        }
    }
    printf("tlsrpt power-cut: geometry read %u prog %u sector %u x%u erased 0x%02X: %u write "
           "operations, %lu cut points so far, %u compactions uncut\n",
           (unsigned)g->read_size, (unsigned)g->prog_size, (unsigned)g->sector_size,
           (unsigned)g->sector_count, g->erased_value, (unsigned)total, g_cuts,
           (unsigned)g_pc_compactions);
    if (g->sector_size <= 2048u) {
        assert_true(g_pc_compactions >= 2u); /* compaction is under the cut too */
    }
    pc_remove(r);
    rig_free(r);
}

static void test_log_powercut_sample(void **state)
{
    (void)state;
    pc_build();
    g_cuts = 0;
    g_fails = 0;
    g_seeds = 1;
    {
        smtpc_flash_geom_t g = geom(1, 16, 2048, 3, 0xFF);
        pc_geometry(&g);
    }
    printf("tlsrpt power-cut: %lu cut points, %lu failures\n", g_cuts, g_fails);
    assert_true(g_cuts > 300u);
    assert_int_equal(g_fails, 0);
}

static void test_log_powercut_exhaustive(void **state)
{
    smtpc_flash_geom_t gs[4];
    unsigned i;
    (void)state;
    pc_build();
    gs[0] = geom(1, 1, 2048, 2, 0xFF);
    gs[1] = geom(4, 16, 2048, 3, 0x00);
    gs[2] = geom(16, 4, 4096, 2, 0xFF);
    gs[3] = geom(256, 256, 8192, 2, 0x00);
    g_cuts = 0;
    g_fails = 0;
    g_seeds = 4;
    for (i = 0; i < 4u; i++) {
        pc_geometry(&gs[i]);
    }
    printf("tlsrpt power-cut: %lu cut points, %lu failures\n", g_cuts, g_fails);
    assert_true(g_cuts > 2000u);
    assert_int_equal(g_fails, 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_txt_valid),
        cmocka_unit_test(test_txt_invalid),
        cmocka_unit_test(test_txt_selection),
        cmocka_unit_test(test_mailto_addr),
        cmocka_unit_test(test_https_split),
        cmocka_unit_test(test_classify_sessions),
        cmocka_unit_test(test_classify_all_errors),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_gzip_sizes),
        cmocka_unit_test(test_gzip_errors),
        cmocka_unit_test(test_log_roundtrip_persist),
        cmocka_unit_test(test_log_batching_flush),
        cmocka_unit_test(test_log_day_rollover),
        cmocka_unit_test(test_log_policies),
        cmocka_unit_test(test_log_degrade),
        cmocka_unit_test(test_log_extreme_groups),
        cmocka_unit_test(test_log_remove_gc),
        cmocka_unit_test(test_log_due),
        cmocka_unit_test(test_log_corrupt_records),
        cmocka_unit_test(test_log_full_store),
        cmocka_unit_test(test_log_clock_and_args),
        cmocka_unit_test(test_log_random_model),
        cmocka_unit_test(test_log_powercut_sample),
    };
    const struct CMUnitTest powercut[] = {
        cmocka_unit_test(test_log_powercut_exhaustive),
    };
    if (getenv("TLSRPT_TEST_FILTER") != NULL) {
        /* e.g. "test_log_random_model" for a build with other options */
        cmocka_set_test_filter(getenv("TLSRPT_TEST_FILTER"));
    }
    if (argc > 1 && strcmp(argv[1], "--powercut") == 0) {
        return cmocka_run_group_tests_name("tlsrpt power-cut", powercut, NULL, NULL);
    }
    return cmocka_run_group_tests_name("tlsrpt", tests, NULL, NULL);
}
