/* IDNA conversion and Punycode encoder (smtpc_idna.c): the sample strings of
 * RFC 3492 §7.1, well-known IDN names, ASCII pass-through, then hostile input
 * (malformed UTF-8, controls, bad labels, lengths), every short buffer, and a
 * fixed-seed random run.
 *
 * Every name is converted from an exactly sized heap copy into a heap buffer
 * of cap octets followed by guard octets: a read past the input is caught by
 * ASan or valgrind, a write past cap by the guard check.
 *
 * Expected A-labels were computed independently with Python 3
 * (str.encode("punycode"), and str.encode("idna") for whole names where
 * IDNA2003 and IDNA2008 agree); the RFC samples are those of §7.1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtpc/idna.h"

/* A string literal with its length (embedded NULs kept). */
#define L(s) (s), (sizeof(s) - 1u)
/* A code point array with its element count. */
#define CPS(a) (a), (sizeof(a) / sizeof((a)[0]))

#define GUARD      16u
#define GUARD_BYTE 0xa5u
#define OUT_MAX    512u

/* ------------------------------------------------------------ helpers --- */

static char *dup_exact(const char *s, size_t len)
{
    char *c = malloc(len > 0 ? len : 1u);
    assert_non_null(c);
    if (len > 0) {
        memcpy(c, s, len);
    }
    return c;
}

/* smtpc_idna_to_ascii() on an exact copy of @p in with an output of @p cap
 * octets; the result (up to OUT_MAX) is copied to @p res. Checks the guard
 * after cap, that out_len is only written on success, and that a failure
 * leaves the empty string. */
static int conv_cap(const char *in, size_t len, size_t cap, char *res, size_t *res_len)
{
    char *c = dup_exact(in, len);
    unsigned char *o = malloc(cap + GUARD);
    size_t olen = (size_t)-1;
    size_t i;
    int rc;
    assert_non_null(o);
    memset(o, (int)GUARD_BYTE, cap + GUARD);
    rc = smtpc_idna_to_ascii(c, len, (char *)o, cap, &olen);
    for (i = cap; i < cap + GUARD; i++) {
        assert_int_equal(o[i], GUARD_BYTE);
    }
    if (rc == 0) {
        assert_true(olen < cap);
        assert_int_equal(o[olen], '\0');
        memcpy(res, o, olen + 1u);
        *res_len = olen;
    } else {
        assert_int_equal(olen, (size_t)-1);
        if (cap > 0) {
            assert_int_equal(o[0], '\0');
        }
        res[0] = '\0';
        *res_len = 0;
    }
    free(o);
    free(c);
    return rc;
}

static int conv(const char *in, size_t len, char *res, size_t *res_len)
{
    return conv_cap(in, len, 300u, res, res_len);
}

static void lower_ascii(char *s)
{
    for (; *s != '\0'; s++) {
        if (*s >= 'A' && *s <= 'Z') {
            *s = (char)(*s + 32);
        }
    }
}

/* ------------------------------------------------- RFC 3492 §7.1 ------- */

typedef struct {
    const char *what;
    const uint32_t *cp;
    size_t n;
    const char *puny; /* as printed in the RFC, with its case annotations */
} puny_case_t;

static const uint32_t RFC_A[] = {
    0x0644, 0x064A, 0x0647, 0x0645, 0x0627, 0x0628, 0x062A, 0x0643, 0x0644,
    0x0645, 0x0648, 0x0634, 0x0639, 0x0631, 0x0628, 0x064A, 0x061F,
};
static const uint32_t RFC_B[] = {
    0x4ED6, 0x4EEC, 0x4E3A, 0x4EC0, 0x4E48, 0x4E0D, 0x8BF4, 0x4E2D, 0x6587,
};
static const uint32_t RFC_C[] = {
    0x4ED6, 0x5011, 0x7232, 0x4EC0, 0x9EBD, 0x4E0D, 0x8AAA, 0x4E2D, 0x6587,
};
static const uint32_t RFC_D[] = {
    0x0050, 0x0072, 0x006F, 0x010D, 0x0070, 0x0072, 0x006F, 0x0073, 0x0074, 0x011B, 0x006E,
    0x0065, 0x006D, 0x006C, 0x0075, 0x0076, 0x00ED, 0x010D, 0x0065, 0x0073, 0x006B, 0x0079,
};
static const uint32_t RFC_E[] = {
    0x05DC, 0x05DE, 0x05D4, 0x05D4, 0x05DD, 0x05E4, 0x05E9, 0x05D5, 0x05D8, 0x05DC, 0x05D0,
    0x05DE, 0x05D3, 0x05D1, 0x05E8, 0x05D9, 0x05DD, 0x05E2, 0x05D1, 0x05E8, 0x05D9, 0x05EA,
};
static const uint32_t RFC_F[] = {
    0x092F, 0x0939, 0x0932, 0x094B, 0x0917, 0x0939, 0x093F, 0x0928, 0x094D, 0x0926,
    0x0940, 0x0915, 0x094D, 0x092F, 0x094B, 0x0902, 0x0928, 0x0939, 0x0940, 0x0902,
    0x092C, 0x094B, 0x0932, 0x0938, 0x0915, 0x0924, 0x0947, 0x0939, 0x0948, 0x0902,
};
static const uint32_t RFC_G[] = {
    0x306A, 0x305C, 0x307F, 0x3093, 0x306A, 0x65E5, 0x672C, 0x8A9E, 0x3092,
    0x8A71, 0x3057, 0x3066, 0x304F, 0x308C, 0x306A, 0x3044, 0x306E, 0x304B,
};
static const uint32_t RFC_H[] = {
    0xC138, 0xACC4, 0xC758, 0xBAA8, 0xB4E0, 0xC0AC, 0xB78C, 0xB4E4, 0xC774, 0xD55C, 0xAD6D, 0xC5B4,
    0xB97C, 0xC774, 0xD574, 0xD55C, 0xB2E4, 0xBA74, 0xC5BC, 0xB9C8, 0xB098, 0xC88B, 0xC744, 0xAE4C,
};
static const uint32_t RFC_I[] = {
    0x043F, 0x043E, 0x0447, 0x0435, 0x043C, 0x0443, 0x0436, 0x0435, 0x043E, 0x043D,
    0x0438, 0x043D, 0x0435, 0x0433, 0x043E, 0x0432, 0x043E, 0x0440, 0x044F, 0x0442,
    0x043F, 0x043E, 0x0440, 0x0443, 0x0441, 0x0441, 0x043A, 0x0438,
};
static const uint32_t RFC_J[] = {
    0x0050, 0x006F, 0x0072, 0x0071, 0x0075, 0x00E9, 0x006E, 0x006F, 0x0070, 0x0075,
    0x0065, 0x0064, 0x0065, 0x006E, 0x0073, 0x0069, 0x006D, 0x0070, 0x006C, 0x0065,
    0x006D, 0x0065, 0x006E, 0x0074, 0x0065, 0x0068, 0x0061, 0x0062, 0x006C, 0x0061,
    0x0072, 0x0065, 0x006E, 0x0045, 0x0073, 0x0070, 0x0061, 0x00F1, 0x006F, 0x006C,
};
static const uint32_t RFC_K[] = {
    0x0054, 0x1EA1, 0x0069, 0x0073, 0x0061, 0x006F, 0x0068, 0x1ECD, 0x006B, 0x0068, 0x00F4,
    0x006E, 0x0067, 0x0074, 0x0068, 0x1EC3, 0x0063, 0x0068, 0x1EC9, 0x006E, 0x00F3, 0x0069,
    0x0074, 0x0069, 0x1EBF, 0x006E, 0x0067, 0x0056, 0x0069, 0x1EC7, 0x0074,
};
static const uint32_t RFC_L[] = {
    0x0033, 0x5E74, 0x0042, 0x7D44, 0x91D1, 0x516B, 0x5148, 0x751F,
};
static const uint32_t RFC_M[] = {
    0x5B89, 0x5BA4, 0x5948, 0x7F8E, 0x6075, 0x002D, 0x0077, 0x0069, 0x0074, 0x0068, 0x002D, 0x0053,
    0x0055, 0x0050, 0x0045, 0x0052, 0x002D, 0x004D, 0x004F, 0x004E, 0x004B, 0x0045, 0x0059, 0x0053,
};
static const uint32_t RFC_N[] = {
    0x0048, 0x0065, 0x006C, 0x006C, 0x006F, 0x002D, 0x0041, 0x006E, 0x006F,
    0x0074, 0x0068, 0x0065, 0x0072, 0x002D, 0x0057, 0x0061, 0x0079, 0x002D,
    0x305D, 0x308C, 0x305E, 0x308C, 0x306E, 0x5834, 0x6240,
};
static const uint32_t RFC_O[] = {
    0x3072, 0x3068, 0x3064, 0x5C4B, 0x6839, 0x306E, 0x4E0B, 0x0032,
};
static const uint32_t RFC_P[] = {
    0x004D, 0x0061, 0x006A, 0x0069, 0x3067, 0x004B, 0x006F,
    0x0069, 0x3059, 0x308B, 0x0035, 0x79D2, 0x524D,
};
static const uint32_t RFC_Q[] = {
    0x30D1, 0x30D5, 0x30A3, 0x30FC, 0x0064, 0x0065, 0x30EB, 0x30F3, 0x30D0,
};
static const uint32_t RFC_R[] = {
    0x305D, 0x306E, 0x30B9, 0x30D4, 0x30FC, 0x30C9, 0x3067,
};
static const uint32_t RFC_S[] = {
    0x002D, 0x003E, 0x0020, 0x0024, 0x0031, 0x002E, 0x0030, 0x0030, 0x0020, 0x003C, 0x002D,
};
static const puny_case_t RFC_SAMPLES[] = {
    {"(A) Arabic (Egyptian)", CPS(RFC_A), "egbpdaj6bu4bxfgehfvwxn"},
    {"(B) Chinese (simplified)", CPS(RFC_B), "ihqwcrb4cv8a8dqg056pqjye"},
    {"(C) Chinese (traditional)", CPS(RFC_C), "ihqwctvzc91f659drss3x8bo0yb"},
    {"(D) Czech", CPS(RFC_D), "Proprostnemluvesky-uyb24dma41a"},
    {"(E) Hebrew", CPS(RFC_E), "4dbcagdahymbxekheh6e0a7fei0b"},
    {"(F) Hindi (Devanagari)", CPS(RFC_F), "i1baa7eci9glrd9b2ae1bj0hfcgg6iyaf8o0a1dig0cd"},
    {"(G) Japanese (kanji and hiragana)", CPS(RFC_G), "n8jok5ay5dzabd5bym9f0cm5685rrjetr6pdxa"},
    {"(H) Korean (Hangul syllables)", CPS(RFC_H),
     "989aomsvi5e83db1d2a355cv1e0vak1dwrv93d5xbh15a0dt30a5j"
     "psd879ccm6fea98c"},
    {"(I) Russian (Cyrillic)", CPS(RFC_I), "b1abfaaepdrnnbgefbaDotcwatmq2g4l"},
    {"(J) Spanish", CPS(RFC_J), "PorqunopuedensimplementehablarenEspaol-fmd56a"},
    {"(K) Vietnamese", CPS(RFC_K), "TisaohkhngthchnitingVit-kjcr8268qyxafd2f1b9g"},
    {"(L) 3<nen>B<gumi><kinpachi><sensei>", CPS(RFC_L), "3B-ww4c5e180e575a65lsy2b"},
    {"(M) <amuro><namie>-with-SUPER-MONKEYS", CPS(RFC_M),
     "-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n"},
    {"(N) Hello-Another-Way-<sorezore><no><basho>", CPS(RFC_N),
     "Hello-Another-Way--fc4qua05auwb3674vfr0b"},
    {"(O) <hitotsu><yane><no><shita>2", CPS(RFC_O), "2-u9tlzr9756bt3uc0v"},
    {"(P) Maji<de>Koi<suru>5<byou><mae>", CPS(RFC_P), "MajiKoi5-783gue6qz075azm5e"},
    {"(Q) <pafii>de<runba>", CPS(RFC_Q), "de-jg4avhby1noc0d"},
    {"(R) <sono><supiido><de>", CPS(RFC_R), "d9juau41awczczp"},
    {"(S) -> $1.00 <-", CPS(RFC_S), "-> $1.00 <--"},
};

/* Each sample encodes to the RFC's string; the RFC marks case with upper-case
 * letters that the encoder need not reproduce, so both are compared lower-cased.
 * Every smaller buffer gives NO_SPACE without writing past it. */
static void test_punycode_rfc3492_samples(void **state)
{
    size_t k;
    (void)state;
    for (k = 0; k < sizeof(RFC_SAMPLES) / sizeof(RFC_SAMPLES[0]); k++) {
        const puny_case_t *t = &RFC_SAMPLES[k];
        size_t want = strlen(t->puny);
        char exp[128];
        char got[128];
        size_t glen = 0;
        size_t cap;
        assert_true(want < sizeof(exp));
        memcpy(exp, t->puny, want + 1u);
        lower_ascii(exp);
        assert_int_equal(smtpc_punycode_encode(t->cp, t->n, got, want, &glen), 0);
        assert_int_equal(glen, want);
        got[glen] = '\0';
        lower_ascii(got);
        if (strcmp(got, exp) != 0) {
            print_error("%s: got \"%s\", expected \"%s\"\n", t->what, got, exp);
        }
        assert_string_equal(got, exp);
        for (cap = 0; cap < want; cap++) {
            char *o = malloc(cap + GUARD);
            size_t i;
            size_t olen = 12345u;
            assert_non_null(o);
            memset(o, (int)GUARD_BYTE, cap + GUARD);
            assert_int_equal(smtpc_punycode_encode(t->cp, t->n, o, cap, &olen), SMTPC_ERR_NO_SPACE);
            assert_int_equal(olen, 12345u);
            for (i = cap; i < cap + GUARD; i++) {
                assert_int_equal((unsigned char)o[i], GUARD_BYTE);
            }
            free(o);
        }
    }
}

static void test_punycode_empty_and_basic_only(void **state)
{
    static const uint32_t abc[] = {'a', 'b', 'c'};
    char out[8];
    size_t n = 99;
    (void)state;
    assert_int_equal(smtpc_punycode_encode(NULL, 0, out, sizeof(out), &n), SMTPC_OK);
    assert_int_equal(n, 0);
    assert_int_equal(smtpc_punycode_encode(NULL, 0, NULL, 0, &n), SMTPC_OK);
    assert_int_equal(n, 0);
    /* Basic code points only: copied, then the delimiter (§6.3). */
    assert_int_equal(smtpc_punycode_encode(CPS(abc), out, sizeof(out), &n), SMTPC_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(out, "abc-", 4);
    assert_int_equal(smtpc_punycode_encode(CPS(abc), out, 3, &n), SMTPC_ERR_NO_SPACE);
}

/* §6.4: the 32-bit arithmetic reports overflow instead of wrapping. */
static void test_punycode_overflow_bad_address(void **state)
{
    /* delta = (0xffffffff - 0x82) * 2 after the first round: overflow. */
    static const uint32_t mul[] = {0x81u, 0xffffffffu};
    /* Two basic code points: delta = (m - 0x80) * 3 == 0xffffffff exactly,
     * then the increment for 'a' (smaller, before m) overflows. */
    static const uint32_t inc[] = {'a', 'b', 0x555555d5u};
    /* One less: 0xfffffffc + 2 fits, so this one encodes. */
    static const uint32_t inc_ok[] = {'a', 'b', 0x555555d4u};
    /* The largest value alone: delta 0xffffff7f fits. */
    static const uint32_t top[] = {0xffffffffu};
    uint32_t *many;
    char out[64];
    size_t n;
    size_t i;
    (void)state;
    assert_int_equal(smtpc_punycode_encode(CPS(mul), out, sizeof(out), &n), SMTPC_ERR_BAD_ADDRESS);
    assert_int_equal(smtpc_punycode_encode(CPS(inc), out, sizeof(out), &n), SMTPC_ERR_BAD_ADDRESS);
    assert_int_equal(smtpc_punycode_encode(CPS(inc_ok), out, sizeof(out), &n), SMTPC_OK);
    assert_int_equal(smtpc_punycode_encode(CPS(top), out, sizeof(out), &n), SMTPC_OK);
    /* Unicode-sized values overflow too with enough basic code points:
     * (0x10ffff - 0x80) * 4097 > 2^32 - 1. */
    many = malloc(4098u * sizeof(*many));
    assert_non_null(many);
    for (i = 0; i < 4097u; i++) {
        many[i] = 'a';
    }
    many[4097] = 0x10ffffu;
    {
        char *big = malloc(8192u);
        assert_non_null(big);
        assert_int_equal(smtpc_punycode_encode(many, 4098u, big, 8192u, &n), SMTPC_ERR_BAD_ADDRESS);
        /* 1097 basic ones: (0x10ffff - 0x80) * 1098 fits. */
        assert_int_equal(smtpc_punycode_encode(many + 3000, 1098u, big, 8192u, &n), SMTPC_OK);
        free(big);
    }
    free(many);
}

static void test_punycode_null_args_bad_arg(void **state)
{
    static const uint32_t cp[] = {0xfcu};
    char out[8];
    size_t n;
    (void)state;
    assert_int_equal(smtpc_punycode_encode(NULL, 1, out, sizeof(out), &n), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_punycode_encode(CPS(cp), NULL, 8, &n), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_punycode_encode(CPS(cp), out, sizeof(out), NULL), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_punycode_encode(CPS(cp), NULL, 0, &n), SMTPC_ERR_NO_SPACE);
}

/* ----------------------------------------------------- valid names ----- */

typedef struct {
    const char *what;
    const char *in;
    size_t len;
    const char *out;
} name_case_t;

/* U+00FC ü is \xc3\xbc; U+3002 is \xe3\x80\x82, U+FF0E \xef\xbc\x8e, U+FF61 \xef\xbd\xa1. */
static const name_case_t NAMES_OK[] = {
    {"German",
     L("b\xc3\xbc"
       "cher.example"),
     "xn--bcher-kva.example"},
    {"German city",
     L("m\xc3\xbc"
       "nchen.de"),
     "xn--mnchen-3ya.de"},
    {"Japanese test TLD", L("\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88"),
     "xn--r8jz45g.xn--zckzah"},
    {"Russian test TLD",
     L("\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80."
       "\xd0\xb8\xd1\x81\xd0\xbf\xd1\x8b\xd1\x82\xd0\xb0\xd0\xbd\xd0\xb8\xd0\xb5"),
     "xn--e1afmkfd.xn--80akhbyknj4f"},
    {"Japanese, ccTLD", L("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e.jp"), "xn--wgv71a119e.jp"},
    {"Greek", L("\xce\xb5\xce\xbb\xce\xbb\xce\xb7\xce\xbd\xce\xb9\xce\xba\xce\xac.gr"),
     "xn--hxargifdar.gr"},
    {"Unicode label in the middle", L("mail.\xc3\xa4\xc3\xb6\xc3\xbc.de"), "mail.xn--4ca0bs.de"},
    {"accent at the end", L("caf\xc3\xa9.example.com"), "xn--caf-dma.example.com"},
    {"two non-ASCII",
     L("\xc3\xb1"
       "and\xc3\xba.example"),
     "xn--and-6ma2c.example"},
    {"IDNA2008: sharp s is encoded, not mapped to ss",
     L("stra\xc3\x9f"
       "e.de"),
     "xn--strae-oqa.de"},
    {"ASCII letters of a Unicode label are lowered",
     L("B\xc3\xbc"
       "CHER.Example"),
     "xn--bcher-kva.example"},
    {"'-' inside a Unicode label", L("\xc3\xbc-\xc3\xbc.example"), "xn----dhab.example"},
    {"'-' after one ASCII letter", L("a-\xc3\xbc.example"), "xn--a--yka.example"},
    {"'--' at positions 2 and 3 is allowed", L("\xc3\xbc--a.example"), "xn----a-goa.example"},
    {"digit in a Unicode label",
     L("\xc3\xbc"
       "0.example"),
     "xn--0-dha.example"},
    {"trailing dot dropped",
     L("b\xc3\xbc"
       "cher.example."),
     "xn--bcher-kva.example"},
    {"ASCII lowered, trailing dot dropped", L("MX1.Example.COM."), "mx1.example.com"},
    {"ASCII single label", L("localhost"), "localhost"},
    {"single char labels", L("a.b.c"), "a.b.c"},
    {"underscore labels", L("_mta-sts.Example.com"), "_mta-sts.example.com"},
    {"TLS-RPT name", L("_smtp._tls.example.com"), "_smtp._tls.example.com"},
    {"xn-- passed through", L("xn--bcher-kva.example"), "xn--bcher-kva.example"},
    {"XN-- passed through lowered", L("XN--BCHER-KVA.Example"), "xn--bcher-kva.example"},
    {"xn-- passed through undecoded", L("xn--zz.example"), "xn--zz.example"},
    {"ASCII leading/trailing hyphen kept", L("-a-.example"), "-a-.example"},
    {"ASCII '--' at 3-4 kept", L("r3---sn-abc.googlevideo.com"), "r3---sn-abc.googlevideo.com"},
    {"digits only", L("123.456"), "123.456"},
    {"U+3002 separates labels",
     L("\xe4\xbe\x8b\xe3\x81\x88\xe3\x80\x82\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88"),
     "xn--r8jz45g.xn--zckzah"},
    {"U+FF0E separates labels",
     L("b\xc3\xbc"
       "cher\xef\xbc\x8e"
       "example"),
     "xn--bcher-kva.example"},
    {"U+FF61 separates labels",
     L("b\xc3\xbc"
       "cher\xef\xbd\xa1"
       "example"),
     "xn--bcher-kva.example"},
    {"U+3002 in an ASCII name",
     L("mx\xe3\x80\x82"
       "example.com"),
     "mx.example.com"},
    {"trailing U+3002 is the trailing dot", L("example.com\xe3\x80\x82"), "example.com"},
    {"U+00A0 (first after C1)", L("\xc2\xa0"), "xn--6a"},
    {"U+00A1", L("\xc2\xa1"), "xn--7a"},
    {"U+07FF (last of 2 octets)", L("\xdf\xbf"), "xn--3tb"},
    {"U+0800 (first of 3 octets)", L("\xe0\xa0\x80"), "xn--4tb"},
    {"U+D7FF (before the surrogates)", L("\xed\x9f\xbf"), "xn--hb9b"},
    {"U+E000 (after the surrogates)", L("\xee\x80\x80"), "xn--0y0c"},
    {"U+10000 (first of 4 octets)", L("\xf0\x90\x80\x80"), "xn--2n7c"},
    {"U+10FFFF (last code point)", L("\xf4\x8f\xbf\xbf"), "xn--dn32g"},
};

static void test_idna_valid_names_expected(void **state)
{
    size_t k;
    (void)state;
    for (k = 0; k < sizeof(NAMES_OK) / sizeof(NAMES_OK[0]); k++) {
        const name_case_t *t = &NAMES_OK[k];
        char res[OUT_MAX];
        size_t n;
        int rc = conv(t->in, t->len, res, &n);
        if (rc != 0 || strcmp(res, t->out) != 0) {
            print_error("%s: rc %d, got \"%s\", expected \"%s\"\n", t->what, rc, res, t->out);
        }
        assert_int_equal(rc, SMTPC_OK);
        assert_string_equal(res, t->out);
        assert_int_equal(n, strlen(t->out));
    }
}

/* ------------------------------------------------------- bad names ----- */

typedef struct {
    const char *what;
    const char *in;
    size_t len;
} bad_case_t;

static const bad_case_t NAMES_BAD[] = {
    /* empty labels */
    {"empty", L("")},
    {"root only", L(".")},
    {"two dots", L("..")},
    {"leading dot", L(".example.com")},
    {"empty label inside", L("a..example")},
    {"two trailing dots", L("example.com..")},
    {"U+3002 only", L("\xe3\x80\x82")},
    {"leading U+FF0E", L("\xef\xbc\x8e"
                         "example")},
    {"dot then U+FF61", L("a.\xef\xbd\xa1"
                          "b")},
    /* stray continuation bytes */
    {"lone 0x80", L("\x80")},
    {"lone 0xBF", L("a\xbf"
                    ".example")},
    {"continuation inside a label", L("ab\x80"
                                      "cd")},
    {"extra continuation after ü", L("\xc3\xbc\xbc")},
    /* overlong forms */
    {"overlong '/' in 2", L("\xc0\xaf")},
    {"overlong NUL in 2", L("a\xc0\x80"
                            "b")},
    {"overlong U+007F in 2", L("\xc1\xbf")},
    {"overlong '.' in 2", L("a\xc0\xae"
                            "b")},
    {"overlong '/' in 3", L("\xe0\x80\xaf")},
    {"overlong U+07FF in 3", L("\xe0\x9f\xbf")},
    {"overlong '/' in 4", L("\xf0\x80\x80\xaf")},
    {"overlong U+FFFF in 4", L("\xf0\x8f\xbf\xbf")},
    /* surrogates */
    {"U+D800", L("\xed\xa0\x80")},
    {"U+DBFF", L("x\xed\xaf\xbf")},
    {"U+DC00", L("\xed\xb0\x80")},
    {"U+DFFF", L("\xed\xbf\xbf"
                 ".example")},
    {"CESU-8 surrogate pair", L("\xed\xa0\xbd\xed\xb2\xa9")},
    /* above U+10FFFF */
    {"U+110000", L("\xf4\x90\x80\x80")},
    {"F5 lead", L("\xf5\x80\x80\x80")},
    {"F7 lead", L("\xf7\xbf\xbf\xbf")},
    {"5-octet form", L("\xf8\x88\x80\x80\x80")},
    {"6-octet form", L("\xfc\x84\x80\x80\x80\x80")},
    {"FE", L("\xfe")},
    {"FF", L("a.\xff")},
    /* truncated */
    {"2-octet lead at the end", L("example.\xc3")},
    {"3-octet lead + 1 at the end", L("example.\xe4\xb8")},
    {"3-octet lead at the end", L("\xe4")},
    {"4-octet lead + 2 at the end", L("example.\xf0\x9f\x98")},
    {"2-octet lead then ASCII", L("\xc3"
                                  "a.example")},
    {"3-octet lead + 1 then ASCII", L("\xe4\xb8"
                                      "a")},
    {"4-octet lead + 2 then ASCII", L("\xf0\x9f\x98"
                                      "a")},
    {"lead then dot", L("\xe4.b")},
    {"lead then NUL", L("\xc3\x00")},
    {"4-octet lead + 2 then another lead", L("\xf0\x9f\x98\xf0\x9f\x98\x80")},
    /* controls, DEL */
    {"NUL", L("a\x00"
              "b.example")},
    {"NUL at the end", L("example.com\x00")},
    {"SOH", L("\x01")},
    {"TAB", L("a\tb")},
    {"LF", L("example.com\n")},
    {"CR", L("example.com\r")},
    {"US", L("a\x1f")},
    {"DEL", L("a\x7f"
              "b")},
    {"C0 in a Unicode label", L("\xc3\xbc\x01")},
    {"U+0080", L("\xc2\x80")},
    {"U+0085 NEL", L("a\xc2\x85"
                     "b")},
    {"U+009F", L("\xc3\xbc\xc2\x9f")},
    /* characters that are no part of a label */
    {"space", L("a b.example")},
    {"wildcard", L("*.example.com")},
    {"slash", L("a/b")},
    {"at", L("user@example.com")},
    {"colon", L("example.com:25")},
    {"backslash", L("a\\.b")},
    {"'_' in a Unicode label", L("\xc3\xbc_.example")},
    {"space in a Unicode label", L("\xc3\xbc b")},
    {"'$' in a Unicode label", L("\xc3\xbc$")},
    /* hyphens in Unicode labels (RFC 5891 §4.2.3.1) */
    {"leading '-' in a Unicode label", L("-\xc3\xbc.example")},
    {"trailing '-' in a Unicode label", L("\xc3\xbc-.example")},
    {"'-' alone after the label's ü", L("example.b\xc3\xbc-")},
    {"'--' at 3-4 in a Unicode label", L("ab--\xc3\xbc.example")},
    {"'--' at 3-4 after ü", L("\xc3\xbc"
                              "b--c")},
    {"Unicode label that starts xn--", L("xn--\xc3\xbc")},
};

static void test_idna_hostile_names_bad_address(void **state)
{
    size_t k;
    (void)state;
    for (k = 0; k < sizeof(NAMES_BAD) / sizeof(NAMES_BAD[0]); k++) {
        const bad_case_t *t = &NAMES_BAD[k];
        char res[OUT_MAX];
        size_t n;
        int rc = conv(t->in, t->len, res, &n);
        if (rc != SMTPC_ERR_BAD_ADDRESS) {
            print_error("%s: rc %d, got \"%s\"\n", t->what, rc, res);
        }
        assert_int_equal(rc, SMTPC_ERR_BAD_ADDRESS);
        /* Invalid whatever the buffer: never NO_SPACE for these. */
        assert_int_equal(conv_cap(t->in, t->len, 0, res, &n), SMTPC_ERR_BAD_ADDRESS);
        assert_int_equal(conv_cap(t->in, t->len, 1, res, &n), SMTPC_ERR_BAD_ADDRESS);
    }
}

/* Every prefix of a valid name, malformed UTF-8 or not, is handled within
 * its length (a truncated sequence at the end must not be read past). */
static void test_idna_every_prefix_defined(void **state)
{
    static const char name[] = "\xe4\xbe\x8b\xe3\x81\x88.b\xc3\xbc"
                               "cher\xf0\x9f\x98\x80.example.";
    size_t k;
    (void)state;
    for (k = 0; k <= sizeof(name) - 1u; k++) {
        char res[OUT_MAX];
        size_t n;
        int rc = conv(name, k, res, &n);
        assert_true(rc == SMTPC_OK || rc == SMTPC_ERR_BAD_ADDRESS);
    }
}

/* ---------------------------------------------------------- lengths ---- */

/* A name of labels of the given lengths ('a' .. ), dot separated. */
static size_t make_name(char *buf, size_t cap, const size_t *labels, size_t count)
{
    size_t pos = 0;
    size_t i;
    size_t j;
    for (i = 0; i < count; i++) {
        if (i > 0) {
            assert_true(pos < cap);
            buf[pos++] = '.';
        }
        for (j = 0; j < labels[i]; j++) {
            assert_true(pos < cap);
            buf[pos++] = (char)('a' + (char)((i + j) % 26u));
        }
    }
    assert_true(pos < cap);
    buf[pos] = '\0';
    return pos;
}

static void test_idna_label_lengths(void **state)
{
    char in[400];
    char res[OUT_MAX];
    char exp[100];
    size_t n;
    size_t len;
    size_t i;
    (void)state;
    {
        const size_t l63[] = {63, 3};
        const size_t l64[] = {64, 3};
        len = make_name(in, sizeof(in), l63, 2);
        assert_int_equal(conv(in, len, res, &n), SMTPC_OK);
        assert_int_equal(n, 67);
        assert_string_equal(res, in);
        len = make_name(in, sizeof(in), l64, 2);
        assert_int_equal(conv(in, len, res, &n), SMTPC_ERR_BAD_ADDRESS);
        /* The long label last, and with a trailing dot. */
        in[len++] = '.';
        assert_int_equal(conv(in, len, res, &n), SMTPC_ERR_BAD_ADDRESS);
    }
    /* "ü" + 55 'a': "xn--" + 59 = 63 octets; with 56 'a': 64 octets. */
    len = 0;
    in[len++] = '\xc3';
    in[len++] = '\xbc';
    for (i = 0; i < 55; i++) {
        in[len++] = 'a';
    }
    assert_int_equal(conv(in, len, res, &n), SMTPC_OK);
    assert_int_equal(n, 63);
    assert_string_equal(res, "xn--aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-oxf");
    in[len++] = 'a';
    assert_int_equal(conv(in, len, res, &n), SMTPC_ERR_BAD_ADDRESS);
    /* 57 × ü: "xn--tda" + 56 'a' = 63 octets; 58 × ü: 64 octets. */
    len = 0;
    for (i = 0; i < 57; i++) {
        in[len++] = '\xc3';
        in[len++] = '\xbc';
    }
    memcpy(exp, "xn--tda", 7);
    memset(exp + 7, 'a', 56);
    exp[63] = '\0';
    assert_int_equal(conv(in, len, res, &n), SMTPC_OK);
    assert_string_equal(res, exp);
    in[len++] = '\xc3';
    in[len++] = '\xbc';
    assert_int_equal(conv(in, len, res, &n), SMTPC_ERR_BAD_ADDRESS);
    /* Longer still: 64 and 100 code points (beyond the label buffer). */
    for (i = 0; i < 6; i++) {
        in[len++] = '\xc3';
        in[len++] = '\xbc';
    }
    assert_int_equal(conv(in, len, res, &n), SMTPC_ERR_BAD_ADDRESS);
    for (i = 0; i < 36; i++) {
        in[len++] = '\xc3';
        in[len++] = '\xbc';
    }
    assert_int_equal(conv(in, len, res, &n), SMTPC_ERR_BAD_ADDRESS);
    /* A Unicode label of 63 code points, all in 4 octets: far over 63. */
    len = 0;
    for (i = 0; i < 63; i++) {
        memcpy(in + len, "\xf0\x9f\x98\x80", 4);
        len += 4;
    }
    assert_int_equal(conv(in, len, res, &n), SMTPC_ERR_BAD_ADDRESS);
}

static void test_idna_name_lengths(void **state)
{
    const size_t l253[] = {63, 63, 63, 61};
    const size_t l254[] = {63, 63, 63, 62};
    size_t many1[127];
    char in[600];
    char res[OUT_MAX];
    size_t n;
    size_t len;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(many1) / sizeof(many1[0]); i++) {
        many1[i] = 1;
    }
    len = make_name(in, sizeof(in), l253, 4);
    assert_int_equal(len, 253);
    assert_int_equal(conv(in, len, res, &n), SMTPC_OK);
    assert_int_equal(n, 253);
    assert_string_equal(res, in);
    assert_int_equal(conv_cap(in, len, 254, res, &n), SMTPC_OK);
    assert_int_equal(conv_cap(in, len, 253, res, &n), SMTPC_ERR_NO_SPACE);
    /* 253 and the trailing dot: 254 octets of input, still valid. */
    in[len++] = '.';
    assert_int_equal(conv(in, len, res, &n), SMTPC_OK);
    assert_int_equal(n, 253);
    len = make_name(in, sizeof(in), l254, 4);
    assert_int_equal(len, 254);
    assert_int_equal(conv(in, len, res, &n), SMTPC_ERR_BAD_ADDRESS);
    in[len++] = '.';
    assert_int_equal(conv(in, len, res, &n), SMTPC_ERR_BAD_ADDRESS);
    /* 127 one-octet labels: 253 octets; one more label: 255. */
    len = make_name(in, sizeof(in), many1, sizeof(many1) / sizeof(many1[0]));
    assert_int_equal(len, 253);
    assert_int_equal(conv(in, len, res, &n), SMTPC_OK);
    in[len++] = '.';
    in[len++] = 'z';
    assert_int_equal(conv(in, len, res, &n), SMTPC_ERR_BAD_ADDRESS);
    /* Short Unicode input, long output: 4 × "ü"×57 is 4 × 63 + 3 = 255. */
    {
        size_t l;
        len = 0;
        for (l = 0; l < 4; l++) {
            if (l > 0) {
                in[len++] = '.';
            }
            for (i = 0; i < 57; i++) {
                in[len++] = '\xc3';
                in[len++] = '\xbc';
            }
        }
        assert_int_equal(conv(in, len, res, &n), SMTPC_ERR_BAD_ADDRESS);
        /* Three of them and a 1-octet label: 3 × 64 + 1 = 193. */
        len = 3u * 115u;
        in[len++] = 'x';
        assert_int_equal(conv(in, len, res, &n), SMTPC_OK);
        assert_int_equal(n, 193);
    }
    /* A very long input is rejected without reading it all into a label. */
    {
        char *big = malloc(100000u);
        assert_non_null(big);
        memset(big, 'a', 100000u);
        assert_int_equal(conv(big, 100000u, res, &n), SMTPC_ERR_BAD_ADDRESS);
        for (len = 1; len < 100000u; len += 2) {
            big[len] = '.';
        }
        assert_int_equal(conv(big, 100000u, res, &n), SMTPC_ERR_BAD_ADDRESS);
        free(big);
    }
}

/* ------------------------------------------------------- buffer size --- */

/* Every cap below the needed one (length + NUL) gives NO_SPACE, writes
 * nothing past cap and leaves "" behind; the needed cap gives OK. */
static void test_idna_no_space_every_cap(void **state)
{
    static const name_case_t cases[] = {
        {"IDN",
         L("b\xc3\xbc"
           "cher.example"),
         "xn--bcher-kva.example"},
        {"two IDN labels",
         L("\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80."
           "\xd0\xb8\xd1\x81\xd0\xbf\xd1\x8b\xd1\x82\xd0\xb0\xd0\xbd\xd0\xb8\xd0\xb5."),
         "xn--e1afmkfd.xn--80akhbyknj4f"},
        {"ASCII with trailing dot", L("MX1.Example.COM."), "mx1.example.com"},
        {"one octet", L("a"), "a"},
    };
    size_t k;
    (void)state;
    for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        size_t need = strlen(cases[k].out) + 1u;
        size_t cap;
        char res[OUT_MAX];
        size_t n;
        for (cap = 0; cap < need; cap++) {
            assert_int_equal(conv_cap(cases[k].in, cases[k].len, cap, res, &n), SMTPC_ERR_NO_SPACE);
        }
        assert_int_equal(conv_cap(cases[k].in, cases[k].len, need, res, &n), SMTPC_OK);
        assert_string_equal(res, cases[k].out);
        assert_int_equal(n, need - 1u);
    }
}

static void test_idna_null_args_bad_arg(void **state)
{
    char out[16];
    size_t n;
    (void)state;
    assert_int_equal(smtpc_idna_to_ascii(NULL, 0, out, sizeof(out), &n), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_idna_to_ascii("a", 1, NULL, 0, &n), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_idna_to_ascii("a", 1, out, sizeof(out), NULL), SMTPC_ERR_BAD_ARG);
}

/* ------------------------------------------------------------ random --- */

static uint32_t rng_state;

/* xorshift32: the same sequence on every platform. */
static uint32_t rng(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

/* Append the UTF-8 form of @p cp (any value up to 0x1FFFFF, so surrogates
 * and values above U+10FFFF come out too); returns the octet count. */
static size_t put_utf8(char *p, uint32_t cp)
{
    if (cp < 0x80u) {
        p[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800u) {
        p[0] = (char)(0xc0u | (cp >> 6));
        p[1] = (char)(0x80u | (cp & 0x3fu));
        return 2;
    }
    if (cp < 0x10000u) {
        p[0] = (char)(0xe0u | (cp >> 12));
        p[1] = (char)(0x80u | ((cp >> 6) & 0x3fu));
        p[2] = (char)(0x80u | (cp & 0x3fu));
        return 3;
    }
    p[0] = (char)(0xf0u | ((cp >> 18) & 0x07u));
    p[1] = (char)(0x80u | ((cp >> 12) & 0x3fu));
    p[2] = (char)(0x80u | ((cp >> 6) & 0x3fu));
    p[3] = (char)(0x80u | (cp & 0x3fu));
    return 4;
}

/* A random string of at most @p max octets. A quarter is raw bytes, a
 * quarter a hostile mix (stray bytes, cut sequences, surrogates, controls),
 * half clean names (LDH, dots, well-formed UTF-8, the three other dots), so
 * that every outcome comes up often. */
static size_t random_input(char *buf, size_t max)
{
    static const char ldh[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static const uint32_t special[] = {0x3002u, 0xff0eu, 0xff61u, 0x80u,   0x9fu,     0xa0u,
                                       0xd7ffu, 0xd800u, 0xdfffu, 0xe000u, 0x10ffffu, 0x110000u};
    uint32_t mode = rng() % 4u;
    size_t want = rng() % (max + 1u);
    size_t len = 0;
    while (len < want) {
        uint32_t r = mode == 0 ? 99u : rng() % 100u;
        char tmp[4];
        size_t k;
        size_t i;
        if (mode >= 2u && r >= 76u) {
            r = rng() % 76u; /* clean: no raw bytes, no specials */
        }
        if (r < 40u) {
            tmp[0] = ldh[rng() % (sizeof(ldh) - 1u)];
            k = 1;
        } else if (r < 46u) {
            tmp[0] = '.';
            k = 1;
        } else if (r < 50u) {
            tmp[0] = '-';
            k = 1;
        } else if (r < 51u) {
            tmp[0] = '_';
            k = 1;
        } else if (r < 64u) {
            k = put_utf8(tmp, 0xa0u + rng() % 0x760u); /* Latin, Greek, Cyrillic... */
        } else if (r < 71u) {
            k = put_utf8(tmp, 0xe000u + rng() % 0x2000u); /* no surrogates */
        } else if (r < 73u) {
            k = put_utf8(tmp, 0x10000u + rng() % 0x100000u);
        } else if (r < 76u) {
            k = put_utf8(tmp, special[rng() % 3u]); /* the other dots */
        } else if (r < 84u) {
            k = put_utf8(tmp, special[rng() % (sizeof(special) / sizeof(special[0]))]);
        } else if (r < 90u) {
            k = put_utf8(tmp, 0x800u + rng() % 0xf800u); /* surrogates included */
        } else {
            tmp[0] = (char)(rng() & 0xffu);
            k = 1;
        }
        if (mode == 1u && k > 1u && rng() % 8u == 0) {
            k = 1u + rng() % (k - 1u); /* cut a sequence short */
        }
        for (i = 0; i < k && len < want; i++) {
            buf[len++] = tmp[i];
        }
    }
    return len;
}

/* OK output: NUL-terminated (checked by conv_cap), at most 253 octets,
 * lower-case LDH or '_' labels of 1..63 octets between single dots. */
static void check_output(const char *s, size_t n)
{
    size_t i;
    size_t label = 0;
    assert_true(n >= 1u && n <= 253u);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        assert_true(c < 0x80u);
        if (c == '.') {
            assert_true(label > 0);
            label = 0;
            continue;
        }
        assert_true((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_');
        label++;
        assert_true(label <= 63u);
    }
    assert_true(label > 0);
}

static void test_idna_random_fixed_seed(void **state)
{
    unsigned iter;
    unsigned ok = 0;
    unsigned bad = 0;
    unsigned nospace = 0;
    (void)state;
    rng_state = 0x1d4a2008u;
    for (iter = 0; iter < 20000u; iter++) {
        char in[80];
        char res[OUT_MAX];
        char again[OUT_MAX];
        size_t len = random_input(in, sizeof(in));
        size_t cap = (rng() % 4u == 0) ? rng() % 100u : 300u;
        size_t n;
        size_t n2;
        int rc = conv_cap(in, len, cap, res, &n);
        assert_true(rc == SMTPC_OK || rc == SMTPC_ERR_BAD_ADDRESS || rc == SMTPC_ERR_NO_SPACE);
        if (rc == SMTPC_OK) {
            ok++;
            assert_true(n < cap);
            check_output(res, n);
            /* The A-label form converts to itself. */
            assert_int_equal(conv(res, n, again, &n2), SMTPC_OK);
            assert_int_equal(n2, n);
            assert_string_equal(again, res);
        } else if (rc == SMTPC_ERR_NO_SPACE) {
            nospace++;
            /* Only a valid name runs out of space: with room it converts. */
            assert_int_equal(conv(in, len, again, &n2), SMTPC_OK);
            assert_true(n2 + 1u > cap);
            check_output(again, n2);
        } else {
            bad++;
            /* Invalid whatever the buffer size. */
            assert_int_equal(conv(in, len, again, &n2), SMTPC_ERR_BAD_ADDRESS);
        }
    }
    print_message("random: %u OK, %u BAD_ADDRESS, %u NO_SPACE\n", ok, bad, nospace);
    /* The generator must reach every outcome often enough to mean something. */
    assert_true(ok > 1000u);
    assert_true(bad > 1000u);
    assert_true(nospace > 100u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_punycode_rfc3492_samples),
        cmocka_unit_test(test_punycode_empty_and_basic_only),
        cmocka_unit_test(test_punycode_overflow_bad_address),
        cmocka_unit_test(test_punycode_null_args_bad_arg),
        cmocka_unit_test(test_idna_valid_names_expected),
        cmocka_unit_test(test_idna_hostile_names_bad_address),
        cmocka_unit_test(test_idna_every_prefix_defined),
        cmocka_unit_test(test_idna_label_lengths),
        cmocka_unit_test(test_idna_name_lengths),
        cmocka_unit_test(test_idna_no_space_every_cap),
        cmocka_unit_test(test_idna_null_args_bad_arg),
        cmocka_unit_test(test_idna_random_fixed_seed),
    };
    return cmocka_run_group_tests_name("idna", tests, NULL, NULL);
}
