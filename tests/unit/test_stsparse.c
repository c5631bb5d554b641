/* MTA-STS parsers (smtpc_stsparse.c): the `_mta-sts` TXT record (RFC 8461
 * §3.1), the selection rule over the records of one name, the policy body
 * (§3.2) and MX name matching (§4.1). RFC examples first, then hostile input.
 *
 * Every input is parsed from an exactly sized heap copy, so a read past the
 * end is caught by ASan or valgrind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtpc/sts.h"

/* A string literal with its length (embedded NULs kept). */
#define L(s) (s), (sizeof(s) - 1u)

#define RFC_TXT "v=STSv1; id=20160831085700Z;"
#define RFC_POLICY_CRLF                                                                            \
    "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\n"             \
    "mx: backupmx.example.com\r\nmax_age: 604800\r\n"
#define RFC_POLICY_LF                                                                              \
    "version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\n"                     \
    "mx: backupmx.example.com\nmax_age: 604800\n"

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

static int txt_parse(const char *rec, size_t len, smtpc_sts_txt_t *out)
{
    char *c = dup_exact(rec, len);
    int rc = smtpc_sts_txt_parse(c, len, out);
    free(c);
    return rc;
}

static int txt_candidate(const char *rec, size_t len)
{
    char *c = dup_exact(rec, len);
    int rc = smtpc_sts_txt_is_candidate(c, len);
    free(c);
    return rc;
}

static void sel_add(smtpc_sts_sel_t *sel, const char *rec, size_t len)
{
    char *c = dup_exact(rec, len);
    smtpc_sts_sel_add(sel, c, len);
    free(c);
}

static int policy_parse(const char *body, size_t len, smtpc_sts_policy_t *out)
{
    char *c = dup_exact(body, len);
    int rc = smtpc_sts_policy_parse(c, len, out);
    free(c);
    return rc;
}

/* The @p i-th pattern of the pool, or NULL. */
static const char *pool_at(const smtpc_sts_policy_t *p, unsigned i)
{
    size_t off = 0;
    unsigned k;
    for (k = 0; k < p->mx_count && off < p->mx_pool_len; k++) {
        if (k == i) {
            return p->mx_pool + off;
        }
        off += strlen(p->mx_pool + off) + 1u;
    }
    return NULL;
}

/* ------------------------------------------------------- TXT record --- */

typedef struct {
    const char *what;
    const char *rec;
    size_t len;
    int rc;
    const char *id; /* expected id when rc == SMTPC_OK */
} txt_case_t;

static const char ID32[] = "abcdefghijklmnopqrstuvwxyz012345";
#define ID32_S   "abcdefghijklmnopqrstuvwxyz012345"
#define NAME32_S "a234567890123456789012345678901b"

static const txt_case_t TXT_VALID[] = {
    {"RFC 8461 §3.1 example", L(RFC_TXT), SMTPC_OK, "20160831085700Z"},
    {"no trailing delimiter", L("v=STSv1; id=20160831085700Z"), SMTPC_OK, "20160831085700Z"},
    {"no blanks at all", L("v=STSv1;id=abc;"), SMTPC_OK, "abc"},
    {"trailing delimiter with blanks", L("v=STSv1; id=abc ; \t"), SMTPC_OK, "abc"},
    {"extension before id", L("v=STSv1; ext=val; id=abc"), SMTPC_OK, "abc"},
    {"extension after id", L("v=STSv1; id=abc; ext=val;"), SMTPC_OK, "abc"},
    {"extensions on both sides", L("v=STSv1; a=1; id=X9; b.c-d_e=!\"#$%&'()*+,-./:<>?@[]^_`{|}~"),
     SMTPC_OK, "X9"},
    {"id of 1 char", L("v=STSv1; id=Z"), SMTPC_OK, "Z"},
    {"id of 32 chars", L("v=STSv1; id=" ID32_S), SMTPC_OK, ID32},
    {"id is case-sensitive, kept as is", L("v=STSv1; id=AbC"), SMTPC_OK, "AbC"},
    {"tabs around ';'", L("v=STSv1\t;\tid=abc\t;"), SMTPC_OK, "abc"},
    {"several blanks around ';'", L("v=STSv1 \t ; \t id=abc"), SMTPC_OK, "abc"},
    {"duplicate id: the first wins", L("v=STSv1; id=abc; id=def"), SMTPC_OK, "abc"},
    {"duplicate id: the second need only be an extension", L("v=STSv1; id=abc; id=d-e.f_g"),
     SMTPC_OK, "abc"},
    {"duplicate id: a second id of 33 chars is an extension", L("v=STSv1; id=abc; id=" ID32_S "x"),
     SMTPC_OK, "abc"},
    {"ID= is an extension next to a real id", L("v=STSv1; ID=xyz; id=abc"), SMTPC_OK, "abc"},
    {"extension name of 32 chars", L("v=STSv1; " NAME32_S "=v; id=abc"), SMTPC_OK, "abc"},
    {"extension name starting with a digit", L("v=STSv1; 9x=v; id=abc"), SMTPC_OK, "abc"},
    {"extension name with _ - . after the first char", L("v=STSv1; a_b-c.d=v; id=abc"), SMTPC_OK,
     "abc"},
};

static const txt_case_t TXT_INVALID[] = {
    {"empty", L(""), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"version only", L("v=STSv1"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"version and delimiter only", L("v=STSv1;"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"id missing, extension only", L("v=STSv1; ext=1"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"ID= is an extension, so id is missing", L("v=STSv1; ID=abc"), SMTPC_ERR_STS_TXT_INVALID,
     NULL},
    {"Id= is an extension, so id is missing", L("v=STSv1; Id=abc"), SMTPC_ERR_STS_TXT_INVALID,
     NULL},
    {"empty id", L("v=STSv1; id="), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"empty id then delimiter", L("v=STSv1; id=;"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"id of 33 chars", L("v=STSv1; id=" ID32_S "x"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"id with '-'", L("v=STSv1; id=2016-08-31"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"id with '.'", L("v=STSv1; id=1.0"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"id with '_'", L("v=STSv1; id=a_b"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"id with a space inside", L("v=STSv1; id=ab cd"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"first id invalid, second valid", L("v=STSv1; id=a-b; id=abc"), SMTPC_ERR_STS_TXT_INVALID,
     NULL},
    {"duplicate id, second not even an extension", L("v=STSv1; id=abc; id="),
     SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"V= upper case", L("V=STSv1; id=abc"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"v=stsv1 lower case", L("v=stsv1; id=abc"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"v=STSV1", L("v=STSV1; id=abc"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"v=STSv10", L("v=STSv10; id=abc"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"v=STSv2", L("v=STSv2; id=abc"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"id before version", L("id=abc; v=STSv1"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"blank around '=' of v", L("v = STSv1; id=abc"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"leading space", L(" v=STSv1; id=abc"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"leading tab", L("\tv=STSv1; id=abc"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"trailing space without ';'", L("v=STSv1; id=abc "), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"trailing tab without ';'", L("v=STSv1; id=abc\t"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"';;' after version", L("v=STSv1;; id=abc"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"';;' at the end", L("v=STSv1; id=abc;;"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"'; ;' at the end", L("v=STSv1; id=abc; ;"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"no delimiter between fields", L("v=STSv1; id=abc ext=1"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"comma as delimiter", L("v=STSv1, id=abc"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"blank before '=' of id", L("v=STSv1; id =abc"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"blank after '=' of id", L("v=STSv1; id= abc"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"CR LF at the end", L("v=STSv1; id=abc\r\n"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"extension name of 33 chars", L("v=STSv1; " NAME32_S "x=v; id=abc"), SMTPC_ERR_STS_TXT_INVALID,
     NULL},
    {"extension name starting with '_'", L("v=STSv1; _x=v; id=abc"), SMTPC_ERR_STS_TXT_INVALID,
     NULL},
    {"extension name starting with '-'", L("v=STSv1; -x=v; id=abc"), SMTPC_ERR_STS_TXT_INVALID,
     NULL},
    {"extension name starting with '.'", L("v=STSv1; .x=v; id=abc"), SMTPC_ERR_STS_TXT_INVALID,
     NULL},
    {"extension name with '/'", L("v=STSv1; a/b=v; id=abc"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"extension name empty", L("v=STSv1; =v; id=abc"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"extension without '='", L("v=STSv1; ext; id=abc"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"extension value empty", L("v=STSv1; ext=; id=abc"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"extension value with '='", L("v=STSv1; ext=a=b; id=abc"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"extension value with a space", L("v=STSv1; ext=a b; id=abc"), SMTPC_ERR_STS_TXT_INVALID,
     NULL},
    {"extension value with non-ASCII (UTF-8)", L("v=STSv1; ext=caf\xc3\xa9; id=abc"),
     SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"extension value with DEL", L("v=STSv1; ext=a\x7f; id=abc"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"id with non-ASCII", L("v=STSv1; id=ab\xc3\xa9"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"NUL inside the id", L("v=STSv1; id=ab\0cd"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"NUL after the record", L("v=STSv1; id=abc\0"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"NUL inside the version", L("v=STS\0v1; id=abc"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"NUL in an extension value", L("v=STSv1; ext=a\0b; id=abc"), SMTPC_ERR_STS_TXT_INVALID, NULL},
    {"SPF record", L("v=spf1 -all"), SMTPC_ERR_STS_TXT_INVALID, NULL},
};

static void check_txt_table(const txt_case_t *t, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        smtpc_sts_txt_t out;
        int rc;
        memset(&out, 0x5a, sizeof(out));
        rc = txt_parse(t[i].rec, t[i].len, &out);
        if (rc != t[i].rc) {
            print_error("TXT case \"%s\": rc %d, expected %d\n", t[i].what, rc, t[i].rc);
        }
        assert_int_equal(rc, t[i].rc);
        if (t[i].rc == SMTPC_OK) {
            assert_string_equal(out.id, t[i].id);
            assert_int_equal(out.id_len, strlen(t[i].id));
        }
    }
}

static void test_sts_txt_valid_records_ok(void **state)
{
    (void)state;
    check_txt_table(TXT_VALID, sizeof(TXT_VALID) / sizeof(TXT_VALID[0]));
}

static void test_sts_txt_hostile_records_invalid(void **state)
{
    (void)state;
    check_txt_table(TXT_INVALID, sizeof(TXT_INVALID) / sizeof(TXT_INVALID[0]));
}

/* A failed parse leaves the output untouched. */
static void test_sts_txt_invalid_output_untouched(void **state)
{
    smtpc_sts_txt_t out;
    smtpc_sts_txt_t before;
    (void)state;
    memset(&out, 0x5a, sizeof(out));
    before = out;
    assert_int_equal(txt_parse(L("v=STSv1; id=abc; bad"), &out), SMTPC_ERR_STS_TXT_INVALID);
    assert_memory_equal(&out, &before, sizeof(out));
}

/* Every prefix of a valid record gives a defined result and no overread. */
static void test_sts_txt_every_prefix_defined(void **state)
{
    static const char rec[] = "v=STSv1; ext-1=a!b; id=" ID32_S "; z=1;";
    size_t n;
    (void)state;
    for (n = 0; n < sizeof(rec); n++) {
        smtpc_sts_txt_t out;
        int rc = txt_parse(rec, n, &out);
        assert_true(rc == SMTPC_OK || rc == SMTPC_ERR_STS_TXT_INVALID);
        (void)txt_candidate(rec, n);
    }
}

typedef struct {
    const char *what;
    const char *rec;
    size_t len;
    int candidate;
} cand_case_t;

static const cand_case_t CANDIDATES[] = {
    {"RFC example", L(RFC_TXT), 1},
    {"version then ';' only", L("v=STSv1;"), 1},
    {"invalid record, still a candidate", L("v=STSv1; id=a-b"), 1},
    {"blank before ';'", L("v=STSv1 ;id=abc"), 1},
    {"tab before ';'", L("v=STSv1\t; id=abc"), 1},
    {"version alone", L("v=STSv1"), 0},
    {"version and blank", L("v=STSv1 "), 0},
    {"v=STSv10", L("v=STSv10; id=abc"), 0},
    {"v=stsv1", L("v=stsv1; id=abc"), 0},
    {"leading space", L(" v=STSv1; id=abc"), 0},
    {"SPF", L("v=spf1 include:_spf.example.com -all"), 0},
    {"site verification", L("google-site-verification=abc"), 0},
    {"empty", L(""), 0},
};

static void test_sts_txt_candidate_rule(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(CANDIDATES) / sizeof(CANDIDATES[0]); i++) {
        int c = txt_candidate(CANDIDATES[i].rec, CANDIDATES[i].len);
        if ((c != 0) != CANDIDATES[i].candidate) {
            print_error("candidate case \"%s\": %d\n", CANDIDATES[i].what, c);
        }
        assert_int_equal(c != 0, CANDIDATES[i].candidate);
    }
}

static void test_sts_txt_null_args_invalid(void **state)
{
    smtpc_sts_txt_t out;
    (void)state;
    assert_int_equal(smtpc_sts_txt_parse(NULL, 10, &out), SMTPC_ERR_STS_TXT_INVALID);
    assert_int_equal(smtpc_sts_txt_parse(RFC_TXT, strlen(RFC_TXT), NULL),
                     SMTPC_ERR_STS_TXT_INVALID);
    assert_false(smtpc_sts_txt_is_candidate(NULL, 10));
}

/* ------------------------------------------------------- selection ---- */

typedef struct {
    const char *what;
    const char *recs[5]; /* NULL-terminated */
    int rc;
    const char *id;
} sel_case_t;

static const sel_case_t SELECTIONS[] = {
    {"no record at all", {NULL}, SMTPC_ERR_DNS_NODATA, NULL},
    {"SPF record only", {"v=spf1 -all", NULL}, SMTPC_ERR_DNS_NODATA, NULL},
    {"unrelated records only",
     {"v=spf1 -all", "v=STSv10; id=x", "foo", NULL},
     SMTPC_ERR_DNS_NODATA,
     NULL},
    {"one valid", {RFC_TXT, NULL}, SMTPC_OK, "20160831085700Z"},
    {"one valid among unrelated",
     {"v=spf1 -all", "google-site-verification=x", "v=STSv1; id=abc", "v=STSv2; id=z", NULL},
     SMTPC_OK,
     "abc"},
    {"one valid with blank before ';'", {"v=STSv1 ; id=abc", NULL}, SMTPC_OK, "abc"},
    {"two valid candidates",
     {"v=STSv1; id=abc", "v=STSv1; id=def", NULL},
     SMTPC_ERR_STS_TXT_INVALID,
     NULL},
    {"two identical candidates",
     {"v=STSv1; id=abc", "v=STSv1; id=abc", NULL},
     SMTPC_ERR_STS_TXT_INVALID,
     NULL},
    {"valid plus invalid candidate",
     {"v=STSv1; id=abc", "v=STSv1; id=a-b", NULL},
     SMTPC_ERR_STS_TXT_INVALID,
     NULL},
    {"invalid plus valid candidate",
     {"v=STSv1;", "v=STSv1; id=abc", NULL},
     SMTPC_ERR_STS_TXT_INVALID,
     NULL},
    {"one invalid candidate plus SPF",
     {"v=spf1 -all", "v=STSv1; id=a_b", NULL},
     SMTPC_ERR_STS_TXT_INVALID,
     NULL},
    {"one invalid candidate (trailing space)",
     {"v=STSv1; id=abc ", NULL},
     SMTPC_ERR_STS_TXT_INVALID,
     NULL},
};

static void test_sts_sel_table_expected(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(SELECTIONS) / sizeof(SELECTIONS[0]); i++) {
        const sel_case_t *c = &SELECTIONS[i];
        smtpc_sts_sel_t sel;
        smtpc_sts_txt_t out;
        size_t k;
        int rc;
        smtpc_sts_sel_init(&sel);
        for (k = 0; c->recs[k] != NULL; k++) {
            sel_add(&sel, c->recs[k], strlen(c->recs[k]));
        }
        memset(&out, 0, sizeof(out));
        rc = smtpc_sts_sel_result(&sel, &out);
        if (rc != c->rc) {
            print_error("selection case \"%s\": rc %d, expected %d\n", c->what, rc, c->rc);
        }
        assert_int_equal(rc, c->rc);
        if (c->rc == SMTPC_OK) {
            assert_string_equal(out.id, c->id);
        }
    }
}

/* Many candidates: the counter saturates instead of wrapping back to 1. */
static void test_sts_sel_many_candidates_invalid(void **state)
{
    smtpc_sts_sel_t sel;
    smtpc_sts_txt_t out;
    unsigned i;
    (void)state;
    smtpc_sts_sel_init(&sel);
    for (i = 0; i < 257u; i++) {
        sel_add(&sel, L("v=STSv1; id=abc"));
    }
    assert_int_equal(smtpc_sts_sel_result(&sel, &out), SMTPC_ERR_STS_TXT_INVALID);
}

static void test_sts_sel_null_args_bad_arg(void **state)
{
    smtpc_sts_sel_t sel;
    smtpc_sts_txt_t out;
    (void)state;
    smtpc_sts_sel_init(&sel);
    smtpc_sts_sel_add(&sel, NULL, 5);
    smtpc_sts_sel_add(NULL, L("v=STSv1; id=abc"));
    assert_int_equal(smtpc_sts_sel_result(&sel, &out), SMTPC_ERR_DNS_NODATA);
    assert_int_equal(smtpc_sts_sel_result(NULL, &out), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_sts_sel_result(&sel, NULL), SMTPC_ERR_BAD_ARG);
}

/* ------------------------------------------------------------ policy --- */

typedef struct {
    const char *what;
    const char *body;
    size_t len;
    int rc;
    int mode;
    uint32_t max_age;
    unsigned mx_count;
    const char *mx0; /* first pattern, or NULL */
} pol_case_t;

#define HDR_N   "version: STSv1\nmode: none\n"
#define HDR_E   "version: STSv1\nmode: enforce\n"
#define TAIL_MX "mx: mx.example.com\n"
#define BASE_E  HDR_E TAIL_MX
#define OK_E(what, body, age)                                                                      \
    {                                                                                              \
        what, L(body), SMTPC_OK, SMTPC_STS_MODE_ENFORCE, age, 1, "mx.example.com"                  \
    }
#define BAD(what, body)                                                                            \
    {                                                                                              \
        what, L(body), SMTPC_ERR_STS_POLICY_INVALID, 0, 0, 0, NULL                                 \
    }

static const pol_case_t POL_VALID[] = {
    {"RFC 8461 §3.2 example, CRLF", L(RFC_POLICY_CRLF), SMTPC_OK, SMTPC_STS_MODE_ENFORCE, 604800, 3,
     "mail.example.com"},
    {"RFC example, LF", L(RFC_POLICY_LF), SMTPC_OK, SMTPC_STS_MODE_ENFORCE, 604800, 3,
     "mail.example.com"},
    {"RFC example, mixed CRLF and LF",
     L("version: STSv1\r\nmode: enforce\nmx: mail.example.com\r\nmx: *.example.net\n"
       "mx: backupmx.example.com\r\nmax_age: 604800"),
     SMTPC_OK, SMTPC_STS_MODE_ENFORCE, 604800, 3, "mail.example.com"},
    {"RFC example, no final newline",
     L("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\n"
       "mx: backupmx.example.com\r\nmax_age: 604800"),
     SMTPC_OK, SMTPC_STS_MODE_ENFORCE, 604800, 3, "mail.example.com"},
    {"fields in reverse order",
     L("max_age: 86400\nmx: mx.example.com\nmode: testing\nversion: STSv1\n"), SMTPC_OK,
     SMTPC_STS_MODE_TESTING, 86400, 1, "mx.example.com"},
    {"version last, mx first", L("mx: mx.example.com\nmax_age: 1\nmode: enforce\nversion: STSv1"),
     SMTPC_OK, SMTPC_STS_MODE_ENFORCE, 1, 1, "mx.example.com"},
    {"mode none without mx", L(HDR_N "max_age: 86400\n"), SMTPC_OK, SMTPC_STS_MODE_NONE, 86400, 0,
     NULL},
    {"mode none with mx", L(HDR_N "mx: mx.example.com\nmax_age: 86400\n"), SMTPC_OK,
     SMTPC_STS_MODE_NONE, 86400, 1, "mx.example.com"},
    OK_E("max_age 0", BASE_E "max_age: 0\n", 0),
    OK_E("max_age 31557600", BASE_E "max_age: 31557600\n", 31557600),
    OK_E("max_age with leading zeros, 10 digits", BASE_E "max_age: 0000086400\n", 86400),
    OK_E("no blank after ':'", "version:STSv1\nmode:enforce\nmx:mx.example.com\nmax_age:10\n", 10),
    OK_E("tabs and spaces around values",
         "version:\t STSv1 \t\nmode: \tenforce\t\nmx:  mx.example.com  \nmax_age:\t10\t\n", 10),
    OK_E("duplicate mode: the first wins", BASE_E "mode: testing\nmax_age: 10\n", 10),
    OK_E("duplicate mode: the second is not checked", BASE_E "mode: Bogus\nmax_age: 10\n", 10),
    OK_E("duplicate max_age: the first wins", BASE_E "max_age: 10\nmax_age: 20\n", 10),
    OK_E("duplicate version: the first wins", BASE_E "version: STSv2\nmax_age: 10\n", 10),
    OK_E("mx pattern upper case is stored lower case", HDR_E "mx: MX.Example.COM\nmax_age: 10\n",
         10),
    OK_E("unknown key with spaces in the value", BASE_E "max_age: 10\nfoo: a b  c\n", 10),
    OK_E("unknown key with UTF-8 value", BASE_E "foo: caf\xc3\xa9 \xe2\x9c\x93\nmax_age: 10\n", 10),
    OK_E("unknown key with ':' '=' ';' in the value", BASE_E "x.y-z_1: a:b=c;d\nmax_age: 10\n", 10),
    OK_E("Version: is an unknown key next to version", "Version: junk\n" BASE_E "max_age: 10\n",
         10),
    OK_E("unknown key of 32 chars", BASE_E NAME32_S ": v\nmax_age: 10\n", 10),
    {"wildcard pattern", L(HDR_E "mx: *.example.com\nmax_age: 10\n"), SMTPC_OK,
     SMTPC_STS_MODE_ENFORCE, 10, 1, "*.example.com"},
    {"single-label pattern", L(HDR_E "mx: localhost\nmax_age: 10\n"), SMTPC_OK,
     SMTPC_STS_MODE_ENFORCE, 10, 1, "localhost"},
    {"label of 63",
     L(HDR_E "mx: a23456789012345678901234567890123456789012345678901234567890123.com\n"
             "max_age: 10\n"),
     SMTPC_OK, SMTPC_STS_MODE_ENFORCE, 10, 1,
     "a23456789012345678901234567890123456789012345678901234567890123.com"},
    {"inner hyphens and digits", L(HDR_E "mx: mx-1.x--y.0.example.com\nmax_age: 10\n"), SMTPC_OK,
     SMTPC_STS_MODE_ENFORCE, 10, 1, "mx-1.x--y.0.example.com"},
    {"A-label pattern", L(HDR_E "mx: xn--bcher-kva.example\nmax_age: 10\n"), SMTPC_OK,
     SMTPC_STS_MODE_ENFORCE, 10, 1, "xn--bcher-kva.example"},
};

static const pol_case_t POL_INVALID[] = {
    BAD("empty body", ""),
    BAD("version missing", "mode: enforce\nmx: mx.example.com\nmax_age: 10\n"),
    BAD("mode missing", "version: STSv1\nmx: mx.example.com\nmax_age: 10\n"),
    BAD("max_age missing", BASE_E),
    BAD("enforce without mx", HDR_E "max_age: 10\n"),
    BAD("testing without mx", "version: STSv1\nmode: testing\nmax_age: 10\n"),
    BAD("Version: key (case-sensitive)", "Version: STSv1\nmode: enforce\n" TAIL_MX "max_age: 10\n"),
    BAD("MX: key (case-sensitive), mx missing", HDR_E "MX: mx.example.com\nmax_age: 10\n"),
    BAD("Mode: key", "version: STSv1\nMode: enforce\n" TAIL_MX "max_age: 10\n"),
    BAD("MAX_AGE: key", BASE_E "MAX_AGE: 10\n"),
    BAD("mode: Enforce", "version: STSv1\nmode: Enforce\n" TAIL_MX "max_age: 10\n"),
    BAD("mode: ENFORCE", "version: STSv1\nmode: ENFORCE\n" TAIL_MX "max_age: 10\n"),
    BAD("mode: unknown", "version: STSv1\nmode: report\n" TAIL_MX "max_age: 10\n"),
    BAD("version: stsv1", "version: stsv1\nmode: enforce\n" TAIL_MX "max_age: 10\n"),
    BAD("version: STSv2", "version: STSv2\nmode: enforce\n" TAIL_MX "max_age: 10\n"),
    BAD("version: STSv10", "version: STSv10\nmode: enforce\n" TAIL_MX "max_age: 10\n"),
    BAD("first mode invalid, second valid",
        "version: STSv1\nmode: x\nmode: enforce\n" TAIL_MX "max_age: 10\n"),
    BAD("max_age 31557601", BASE_E "max_age: 31557601\n"),
    BAD("max_age 99999999999 (11 digits)", BASE_E "max_age: 99999999999\n"),
    BAD("max_age 4294967296 (wraps in 32 bits)", BASE_E "max_age: 4294967296\n"),
    BAD("max_age 4294967295", BASE_E "max_age: 4294967295\n"),
    BAD("max_age 11 digits with leading zeros", BASE_E "max_age: 00000086400\n"),
    BAD("max_age +1", BASE_E "max_age: +1\n"),
    BAD("max_age -1", BASE_E "max_age: -1\n"),
    BAD("max_age 1e3", BASE_E "max_age: 1e3\n"),
    BAD("max_age empty", BASE_E "max_age:\n"),
    BAD("max_age blanks only", BASE_E "max_age: \t \n"),
    BAD("max_age 86400s", BASE_E "max_age: 86400s\n"),
    BAD("max_age 86_400", BASE_E "max_age: 86_400\n"),
    BAD("max_age 1 000", BASE_E "max_age: 1 000\n"),
    BAD("mx *", HDR_E "mx: *\nmax_age: 10\n"),
    BAD("mx *.", HDR_E "mx: *.\nmax_age: 10\n"),
    BAD("mx *example.com", HDR_E "mx: *example.com\nmax_age: 10\n"),
    BAD("mx a.*.example.com", HDR_E "mx: a.*.example.com\nmax_age: 10\n"),
    BAD("mx *.*.example.com", HDR_E "mx: *.*.example.com\nmax_age: 10\n"),
    BAD("mx example.*", HDR_E "mx: example.*\nmax_age: 10\n"),
    BAD("mx trailing dot", HDR_E "mx: mx.example.com.\nmax_age: 10\n"),
    BAD("mx leading dot", HDR_E "mx: .example.com\nmax_age: 10\n"),
    BAD("mx empty label", HDR_E "mx: mx..example.com\nmax_age: 10\n"),
    BAD("mx label of 64",
        HDR_E "mx: a234567890123456789012345678901234567890123456789012345678901234.com\n"
              "max_age: 10\n"),
    BAD("mx U-label", HDR_E "mx: b\xc3\xbc"
                            "cher.example\nmax_age: 10\n"),
    BAD("mx with port", HDR_E "mx: mx.example.com:25\nmax_age: 10\n"),
    BAD("mx port only", HDR_E "mx: :25\nmax_age: 10\n"),
    BAD("mx leading hyphen", HDR_E "mx: -mx.example.com\nmax_age: 10\n"),
    BAD("mx trailing hyphen", HDR_E "mx: mx-.example.com\nmax_age: 10\n"),
    BAD("mx trailing hyphen, last label", HDR_E "mx: mx.example-\nmax_age: 10\n"),
    BAD("mx underscore", HDR_E "mx: _mx.example.com\nmax_age: 10\n"),
    BAD("mx two patterns on one line", HDR_E "mx: a.example.com b.example.com\nmax_age: 10\n"),
    BAD("mx comma list", HDR_E "mx: a.example.com,b.example.com\nmax_age: 10\n"),
    BAD("mx empty", HDR_E "mx:\nmx: mx.example.com\nmax_age: 10\n"),
    BAD("mx address literal", HDR_E "mx: [192.0.2.1]\nmax_age: 10\n"),
    BAD("invalid mx under mode none", HDR_N "mx: *\nmax_age: 10\n"),
    BAD("blank line in the middle", BASE_E "\nmax_age: 10\n"),
    BAD("blank CRLF line in the middle",
        "version: STSv1\r\n\r\nmode: enforce\r\n" TAIL_MX "max_age: 10\r\n"),
    BAD("trailing blank line", BASE_E "max_age: 10\n\n"),
    BAD("trailing blank CRLF line", BASE_E "max_age: 10\r\n\r\n"),
    BAD("leading blank line", "\n" BASE_E "max_age: 10\n"),
    BAD("line of blanks only", BASE_E "  \nmax_age: 10\n"),
    BAD("leading space on a line", BASE_E " max_age: 10\n"),
    BAD("leading tab on a line", BASE_E "\tmax_age: 10\n"),
    BAD("leading space on an unknown key", BASE_E "max_age: 10\n foo: bar\n"),
    BAD("space before ':'", BASE_E "max_age : 10\n"),
    BAD("tab before ':'", BASE_E "max_age\t: 10\n"),
    BAD("space before ':' of an unknown key", BASE_E "max_age: 10\nfoo : bar\n"),
    BAD("bare CR inside a line",
        "version: STSv1\nmode: enforce\rmx: mx.example.com\nmax_age: 10\n"),
    BAD("bare CR inside a value", BASE_E "max_age: 10\nfoo: a\rb\n"),
    BAD("bare CR as line ending before CRLF", BASE_E "max_age: 10\r\r\n"),
    BAD("line without ':'", BASE_E "max_age: 10\nfoo\n"),
    BAD("key empty", BASE_E "max_age: 10\n: bar\n"),
    BAD("key starting with '_'", BASE_E "max_age: 10\n_foo: bar\n"),
    BAD("key of 33 chars", BASE_E "max_age: 10\n" NAME32_S "x: v\n"),
    BAD("key with UTF-8", BASE_E "max_age: 10\nf\xc3\xb6o: v\n"),
    BAD("unknown key with empty value", BASE_E "max_age: 10\nfoo:\n"),
    BAD("unknown key with control char", BASE_E "max_age: 10\nfoo: a\x01"
                                                "b\n"),
    BAD("unknown key with DEL", BASE_E "max_age: 10\nfoo: a\x7f\n"),
    BAD("NUL in a value", BASE_E "max_age: 1\0"
                                 "0\n"),
    BAD("NUL in a key", BASE_E "max\0age: 10\n"),
    BAD("NUL line", BASE_E "max_age: 10\n\0"),
    BAD("form feed line ending", "version: STSv1\fmode: enforce\n" TAIL_MX "max_age: 10\n"),
};

static void check_pol_table(const pol_case_t *t, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        smtpc_sts_policy_t out;
        int rc;
        memset(&out, 0, sizeof(out));
        rc = policy_parse(t[i].body, t[i].len, &out);
        if (rc != t[i].rc) {
            print_error("policy case \"%s\": rc %d, expected %d\n", t[i].what, rc, t[i].rc);
        }
        assert_int_equal(rc, t[i].rc);
        if (t[i].rc == SMTPC_OK) {
            assert_int_equal(out.mode, t[i].mode);
            assert_int_equal(out.max_age, t[i].max_age);
            assert_int_equal(out.mx_count, t[i].mx_count);
            if (t[i].mx0 != NULL) {
                assert_non_null(pool_at(&out, 0));
                assert_string_equal(pool_at(&out, 0), t[i].mx0);
            }
        }
    }
}

static void test_sts_policy_valid_bodies_ok(void **state)
{
    (void)state;
    check_pol_table(POL_VALID, sizeof(POL_VALID) / sizeof(POL_VALID[0]));
}

static void test_sts_policy_hostile_bodies_invalid(void **state)
{
    (void)state;
    check_pol_table(POL_INVALID, sizeof(POL_INVALID) / sizeof(POL_INVALID[0]));
}

static void test_sts_policy_rfc_example_pool_in_order(void **state)
{
    smtpc_sts_policy_t p;
    (void)state;
    assert_int_equal(policy_parse(L(RFC_POLICY_CRLF), &p), SMTPC_OK);
    assert_int_equal(p.mx_count, 3);
    assert_string_equal(pool_at(&p, 0), "mail.example.com");
    assert_string_equal(pool_at(&p, 1), "*.example.net");
    assert_string_equal(pool_at(&p, 2), "backupmx.example.com");
    assert_null(pool_at(&p, 3));
    assert_int_equal(p.mx_pool_len, sizeof("mail.example.com") + sizeof("*.example.net") +
                                        sizeof("backupmx.example.com"));
    assert_string_equal(smtpc_sts_mode_name(p.mode), "enforce");
}

static void test_sts_policy_invalid_output_untouched(void **state)
{
    smtpc_sts_policy_t out;
    smtpc_sts_policy_t before;
    (void)state;
    memset(&out, 0x5a, sizeof(out));
    before = out;
    assert_int_equal(policy_parse(L(BASE_E "max_age: 1e3\n"), &out), SMTPC_ERR_STS_POLICY_INVALID);
    assert_memory_equal(&out, &before, sizeof(out));
}

/* Build "version/mode/max_age" plus @p n lines "mx: m<i>.e.com" into @p buf. */
static size_t body_with_mx(char *buf, size_t cap, unsigned n)
{
    size_t len = (size_t)snprintf(buf, cap, "version: STSv1\nmode: enforce\nmax_age: 10\n");
    unsigned i;
    for (i = 0; i < n; i++) {
        len += (size_t)snprintf(buf + len, cap - len, "mx: m%u.e.com\n", i);
        assert_true(len < cap);
    }
    return len;
}

static void test_sts_policy_max_patterns_ok(void **state)
{
    static char buf[SMTPC_STS_POLICY_MAX + 64];
    smtpc_sts_policy_t p;
    size_t len;
    (void)state;
    len = body_with_mx(buf, sizeof(buf), SMTPC_STS_MAX_MX_PATTERNS);
    assert_true(len <= SMTPC_STS_POLICY_MAX);
    assert_int_equal(policy_parse(buf, len, &p), SMTPC_OK);
    assert_int_equal(p.mx_count, SMTPC_STS_MAX_MX_PATTERNS);
    assert_true(smtpc_sts_mx_allowed(&p, "m0.e.com"));
    assert_true(smtpc_sts_mx_allowed(&p, "M7.E.COM."));
}

static void test_sts_policy_too_many_patterns_no_space(void **state)
{
    static char buf[SMTPC_STS_POLICY_MAX + 64];
    smtpc_sts_policy_t p;
    size_t len;
    (void)state;
    len = body_with_mx(buf, sizeof(buf), SMTPC_STS_MAX_MX_PATTERNS + 1u);
    assert_true(len <= SMTPC_STS_POLICY_MAX);
    assert_int_equal(policy_parse(buf, len, &p), SMTPC_ERR_NO_SPACE);
}

/* Patterns within the count but over the pool bytes. */
static void test_sts_policy_pool_overflow_no_space(void **state)
{
    static char buf[SMTPC_STS_POLICY_MAX + 512];
    static const char lbl[] = "a23456789012345678901234567890123456789012345678901234567890123";
    smtpc_sts_policy_t p;
    size_t len;
    unsigned n = 0;
    (void)state;
    len = (size_t)snprintf(buf, sizeof(buf), "version: STSv1\nmode: enforce\nmax_age: 10\n");
    /* 3 labels of 63 + 2 dots + NUL = 192 bytes per pattern. */
    while ((n + 1u) * 192u <= SMTPC_STS_MX_POOL) {
        n++;
    }
    n++; /* one more than fits */
    if (n > SMTPC_STS_MAX_MX_PATTERNS) {
        skip();
    }
    while (n-- > 0u) {
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "mx: %s.%s.%s\n", lbl, lbl, lbl);
    }
    assert_true(len <= SMTPC_STS_POLICY_MAX);
    assert_int_equal(policy_parse(buf, len, &p), SMTPC_ERR_NO_SPACE);
}

static void test_sts_policy_body_too_large_http_too_large(void **state)
{
    static char buf[SMTPC_STS_POLICY_MAX + 1];
    smtpc_sts_policy_t p;
    size_t len;
    (void)state;
    len = (size_t)snprintf(buf, sizeof(buf), BASE_E "max_age: 10\n");
    /* Pad with an unknown field up to exactly the cap: still valid. */
    memset(buf + len, 'x', sizeof(buf) - len);
    memcpy(buf + len, "pad: ", 5);
    buf[SMTPC_STS_POLICY_MAX - 1u] = '\n';
    assert_int_equal(policy_parse(buf, SMTPC_STS_POLICY_MAX, &p), SMTPC_OK);
    buf[SMTPC_STS_POLICY_MAX - 1u] = 'x';
    buf[SMTPC_STS_POLICY_MAX] = '\n';
    assert_int_equal(policy_parse(buf, SMTPC_STS_POLICY_MAX + 1u, &p), SMTPC_ERR_HTTP_TOO_LARGE);
}

/* Every prefix of valid bodies: a defined result, no overread (ASan). */
static void test_sts_policy_every_prefix_defined(void **state)
{
    static const char *const bodies[] = {RFC_POLICY_CRLF, RFC_POLICY_LF,
                                         "mx: *.example.net\nfoo: caf\xc3\xa9\nmax_age: 31557600\n"
                                         "mode: testing\r\nversion: STSv1"};
    size_t b;
    (void)state;
    for (b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++) {
        size_t total = strlen(bodies[b]);
        size_t n;
        for (n = 0; n <= total; n++) {
            smtpc_sts_policy_t p;
            int rc = policy_parse(bodies[b], n, &p);
            assert_true(rc == SMTPC_OK || rc == SMTPC_ERR_STS_POLICY_INVALID);
            if (rc == SMTPC_OK) {
                assert_true(p.mx_count <= SMTPC_STS_MAX_MX_PATTERNS);
                assert_true(p.mx_pool_len <= SMTPC_STS_MX_POOL);
            }
        }
        /* The full body is valid. */
        {
            smtpc_sts_policy_t p;
            assert_int_equal(policy_parse(bodies[b], total, &p), SMTPC_OK);
        }
    }
}

static void test_sts_policy_null_args_bad_arg(void **state)
{
    smtpc_sts_policy_t p;
    (void)state;
    assert_int_equal(smtpc_sts_policy_parse(NULL, 0, &p), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_sts_policy_parse("x", 1, NULL), SMTPC_ERR_BAD_ARG);
}

static void test_sts_mode_name_expected(void **state)
{
    (void)state;
    assert_string_equal(smtpc_sts_mode_name(SMTPC_STS_MODE_NONE), "none");
    assert_string_equal(smtpc_sts_mode_name(SMTPC_STS_MODE_TESTING), "testing");
    assert_string_equal(smtpc_sts_mode_name(SMTPC_STS_MODE_ENFORCE), "enforce");
    assert_string_equal(smtpc_sts_mode_name(3), "unknown");
    assert_string_equal(smtpc_sts_mode_name(-1), "unknown");
}

/* ---------------------------------------------------------- matching --- */

typedef struct {
    const char *pattern;
    const char *host;
    int match;
} match_case_t;

static const match_case_t MATCHES[] = {
    /* RFC 8461 §4.1 */
    {"mail.example.com", "mail.example.com", 1},
    {"*.example.net", "mx1.example.net", 1},
    {"*.example.net", "example.net", 0},
    {"*.example.net", "a.b.example.net", 0},
    /* exact */
    {"mx.example.com", "mx.example.com.", 1},
    {"mx.example.com", "MX.EXAMPLE.COM", 1},
    {"MX.Example.Com", "mx.example.com", 1},
    {"mx.example.com", "Mx.ExAmPlE.cOm.", 1},
    {"mx.example.com", "mx.example.com..", 0},
    {"mx.example.com", "mx.example.co", 0},
    {"mx.example.com", "mx.example.comm", 0},
    {"mx.example.com", "xmx.example.com", 0},
    {"mx.example.com", "a.mx.example.com", 0},
    {"mx.example.com", "example.com", 0},
    {"mx.example.com", "", 0},
    {"mx.example.com", ".", 0},
    {"mx.example.com", "mx", 0},
    /* wildcard */
    {"*.example.com", "mx1.example.com", 1},
    {"*.example.com", "MX1.EXAMPLE.COM.", 1},
    {"*.EXAMPLE.com", "mx1.example.com", 1},
    {"*.example.com", "example.com", 0},
    {"*.example.com", "example.com.", 0},
    {"*.example.com", "a.b.example.com", 0},
    {"*.example.com", ".example.com", 0},
    {"*.example.com", "xexample.com", 0},
    {"*.example.com", "x.xexample.com", 0},
    {"*.example.com", "mx1.example.com..", 0},
    {"*.example.com", "mx1.example.org", 0},
    {"*.example.com", "", 0},
    {"*.example.com", ".", 0},
    /* the pattern is not a wildcard on the host side */
    {"mx1.example.com", "*.example.com", 0},
};

static void test_sts_mx_match_table_expected(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(MATCHES) / sizeof(MATCHES[0]); i++) {
        int m = smtpc_sts_mx_match(MATCHES[i].pattern, MATCHES[i].host);
        if ((m != 0) != MATCHES[i].match) {
            print_error("match \"%s\" vs \"%s\": %d, expected %d\n", MATCHES[i].pattern,
                        MATCHES[i].host, m, MATCHES[i].match);
        }
        assert_int_equal(m != 0, MATCHES[i].match);
    }
}

static void test_sts_mx_match_null_no_match(void **state)
{
    (void)state;
    assert_false(smtpc_sts_mx_match(NULL, "mx.example.com"));
    assert_false(smtpc_sts_mx_match("mx.example.com", NULL));
    assert_false(smtpc_sts_mx_allowed(NULL, "mx.example.com"));
}

/* Over-long host names never match (and are not read past 256 bytes). */
static void test_sts_mx_match_long_host_no_match(void **state)
{
    char host[400];
    (void)state;
    memset(host, 'a', sizeof(host));
    memcpy(host + sizeof(host) - 13u, ".example.com", 13);
    assert_false(smtpc_sts_mx_match("*.example.com", host));
}

static void test_sts_mx_allowed_rfc_pool_expected(void **state)
{
    static const struct {
        const char *host;
        int allowed;
    } hosts[] = {
        {"mail.example.com", 1}, {"MAIL.example.com.", 1},
        {"mx1.example.net", 1},  {"backupmx.example.com", 1},
        {"example.net", 0},      {"a.b.example.net", 0},
        {"mx1.example.com", 0},  {"example.com", 0},
        {"evil.example", 0},     {"", 0},
    };
    smtpc_sts_policy_t p;
    size_t i;
    (void)state;
    assert_int_equal(policy_parse(L(RFC_POLICY_LF), &p), SMTPC_OK);
    for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        if ((smtpc_sts_mx_allowed(&p, hosts[i].host) != 0) != hosts[i].allowed) {
            print_error("allowed \"%s\": expected %d\n", hosts[i].host, hosts[i].allowed);
        }
        assert_int_equal(smtpc_sts_mx_allowed(&p, hosts[i].host) != 0, hosts[i].allowed);
    }
}

static void test_sts_mx_allowed_empty_pool_none(void **state)
{
    smtpc_sts_policy_t p;
    (void)state;
    assert_int_equal(policy_parse(L(HDR_N "max_age: 10\n"), &p), SMTPC_OK);
    assert_false(smtpc_sts_mx_allowed(&p, "mx.example.com"));
    assert_false(smtpc_sts_mx_allowed(&p, ""));
}

/* -------------------------------------------------- known deviations --- */

/* Notes (iii): "A bare CR does not end a line" and the final line ending is
 * optional, so a body ending in a lone CR has a CR inside its last value,
 * a control character: invalid. */
static void test_sts_policy_final_bare_cr_invalid(void **state)
{
    smtpc_sts_policy_t p;
    (void)state;
    assert_int_equal(policy_parse(L(BASE_E "max_age: 10\r"), &p), SMTPC_ERR_STS_POLICY_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sts_txt_valid_records_ok),
        cmocka_unit_test(test_sts_txt_hostile_records_invalid),
        cmocka_unit_test(test_sts_txt_invalid_output_untouched),
        cmocka_unit_test(test_sts_txt_every_prefix_defined),
        cmocka_unit_test(test_sts_txt_candidate_rule),
        cmocka_unit_test(test_sts_txt_null_args_invalid),
        cmocka_unit_test(test_sts_sel_table_expected),
        cmocka_unit_test(test_sts_sel_many_candidates_invalid),
        cmocka_unit_test(test_sts_sel_null_args_bad_arg),
        cmocka_unit_test(test_sts_policy_valid_bodies_ok),
        cmocka_unit_test(test_sts_policy_hostile_bodies_invalid),
        cmocka_unit_test(test_sts_policy_rfc_example_pool_in_order),
        cmocka_unit_test(test_sts_policy_invalid_output_untouched),
        cmocka_unit_test(test_sts_policy_max_patterns_ok),
        cmocka_unit_test(test_sts_policy_too_many_patterns_no_space),
        cmocka_unit_test(test_sts_policy_pool_overflow_no_space),
        cmocka_unit_test(test_sts_policy_body_too_large_http_too_large),
        cmocka_unit_test(test_sts_policy_every_prefix_defined),
        cmocka_unit_test(test_sts_policy_null_args_bad_arg),
        cmocka_unit_test(test_sts_mode_name_expected),
        cmocka_unit_test(test_sts_mx_match_table_expected),
        cmocka_unit_test(test_sts_mx_match_null_no_match),
        cmocka_unit_test(test_sts_mx_match_long_host_no_match),
        cmocka_unit_test(test_sts_mx_allowed_rfc_pool_expected),
        cmocka_unit_test(test_sts_mx_allowed_empty_pool_none),
        cmocka_unit_test(test_sts_policy_final_bare_cr_invalid),
    };
    return cmocka_run_group_tests_name("stsparse", tests, NULL, NULL);
}
