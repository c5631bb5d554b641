/* TLS-RPT rendering and report mail (smtpc_tlsrpt_json.c, smtpc_tlsrpt_mail.c):
 *  - smtpc_tlsrpt_rfc3339 against known instants;
 *  - hand-filled reports rendered, parsed back with cJSON (default hooks)
 *    and compared field by field, RFC 8460 key names, canonical IPs,
 *    summary totals equal to the sums of the details, no empty strings;
 *  - the arena and the output buffer at every size from 0 up: NO_SPACE
 *    until the size that fits, never a write outside (buffers are malloc'd
 *    to the exact size, so ASan sees any overflow);
 *  - cJSON's hooks after the call: a counting hook installed before the
 *    render is neither called by it nor still installed after it, and a
 *    node made after it comes from malloc (cJSON_Delete frees it; under
 *    ASan a free of an arena pointer would abort);
 *  - the report mail: structure, CRLF, line lengths, headers, file name,
 *    base64 that decodes and gunzips (zlib) back to the JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <zlib.h>

#include "smtpc/err.h"
#include "smtpc/tlsrpt.h"

#define DAY_2026_01_01 20454u /* 1767225600 / 86400 */

/* ============================================================ fixtures === */

static void add_mx(smtpc_sts_policy_t *p, const char *mx)
{
    size_t n = strlen(mx) + 1u;
    memcpy(p->mx_pool + p->mx_pool_len, mx, n);
    p->mx_pool_len = (uint16_t)(p->mx_pool_len + n);
    p->mx_count++;
}

static uint16_t add_host(smtpc_tlsrpt_report_t *r, const char *h)
{
    uint16_t off = r->mx_pool_len;
    size_t n = strlen(h) + 1u;
    memcpy(r->mx_pool + off, h, n);
    r->mx_pool_len = (uint16_t)(off + n);
    return off;
}

static smtpc_rpt_detail_t *add_detail(smtpc_tlsrpt_report_t *r, uint8_t pol, uint8_t result,
                                      uint8_t ns, uint32_t reason, uint16_t mx, uint32_t count)
{
    smtpc_rpt_detail_t *d = &r->details[r->detail_count++];
    memset(d, 0, sizeof(*d));
    d->policy = pol;
    d->result = result;
    d->reason_ns = ns;
    d->reason = reason;
    d->mx = mx;
    d->count = count;
    r->policies[pol].failure += count;
    return d;
}

/* An sts policy with failures and a no-policy-found entry. */
static void report_a(smtpc_tlsrpt_report_t *r)
{
    smtpc_rpt_detail_t *d;
    uint16_t mx1;
    uint16_t mx2;
    memset(r, 0, sizeof(*r));
    r->day = DAY_2026_01_01;
    strcpy(r->domain, "good.test");
    r->policy_count = 2;
    r->policies[0].type = SMTPC_RPT_POLICY_STS;
    r->policies[0].success = 5;
    r->policies[0].policy.mode = SMTPC_STS_MODE_ENFORCE;
    r->policies[0].policy.max_age = 604800;
    add_mx(&r->policies[0].policy, "mx1.good.test");
    add_mx(&r->policies[0].policy, "*.backup.good.test");
    r->policies[1].type = SMTPC_RPT_POLICY_NONE_FOUND;
    r->policies[1].success = 2;
    mx1 = add_host(r, "mx1.good.test");
    mx2 = add_host(r, "mx2.backup.good.test");
    d = add_detail(r, 0, SMTPC_RPT_CERT_EXPIRED, SMTPC_RPT_REASON_SMTPC,
                   (uint32_t)-SMTPC_ERR_TLS_CERT_EXPIRED, mx1, 2);
    d->ip.len = 4;
    memcpy(d->ip.addr, "\xc0\x00\x02\x01", 4);
    d = add_detail(r, 0, SMTPC_RPT_STARTTLS_NOT_SUPPORTED, SMTPC_RPT_REASON_STRIP, 0, mx2, 1);
    d->ip.len = 16;
    memcpy(d->ip.addr, "\x20\x01\x0d\xb8\xab\xcd\x00\x12\x00\x00\x00\x00\x00\x00\x00\x01", 16);
}

/* A failed policy fetch: sts without a policy, one detail without MX or IP. */
static void report_b(smtpc_tlsrpt_report_t *r)
{
    memset(r, 0, sizeof(*r));
    r->day = DAY_2026_01_01 + 1u;
    strcpy(r->domain, "fetch-fail.test");
    r->policy_count = 1;
    r->policies[0].type = SMTPC_RPT_POLICY_STS_UNKNOWN;
    (void)add_detail(r, 0, SMTPC_RPT_STS_POLICY_FETCH_ERROR, SMTPC_RPT_REASON_SMTPC,
                     (uint32_t)-SMTPC_ERR_HTTP_STATUS, 0xFFFFu, 3);
}

static const smtpc_tlsrpt_meta_t meta_a = {"Example Devices Ltd", "tlsrpt@reporter.test", NULL,
                                           "dev01", "192.0.2.77"};

static uint8_t arena[16384];
static char json[16384];

static cJSON *render_parse(const smtpc_tlsrpt_report_t *r, const smtpc_tlsrpt_meta_t *m)
{
    size_t len = 0;
    cJSON *root;
    assert_int_equal(smtpc_tlsrpt_render(r, m, arena, sizeof(arena), json, sizeof(json), &len),
                     SMTPC_OK);
    assert_int_equal(len, strlen(json));
    root = cJSON_Parse(json);
    assert_non_null(root);
    return root;
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    assert_non_null(v);
    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

static double jnum(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    assert_non_null(v);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

/* Every string in the tree is non-empty, and no placeholder key appears. */
static void no_empty_strings(const cJSON *n)
{
    const cJSON *c;
    if (n->string != NULL) {
        assert_true(n->string[0] != '\0');
        assert_true(strcmp(n->string, "mx-host-pattern") != 0);
        assert_true(strcmp(n->string, "additional-info-uri") != 0);
        assert_true(strcmp(n->string, "ip-address") != 0);
    }
    if (cJSON_IsString(n)) {
        assert_true(n->valuestring[0] != '\0');
    }
    for (c = n->child; c != NULL; c = c->next) {
        no_empty_strings(c);
    }
}

/* ============================================================= rfc3339 === */

static void test_rfc3339(void **state)
{
    char t[21];
    (void)state;
    assert_int_equal(smtpc_tlsrpt_rfc3339(0, t), 20);
    assert_string_equal(t, "1970-01-01T00:00:00Z");
    smtpc_tlsrpt_rfc3339(951782400u, t);
    assert_string_equal(t, "2000-02-29T00:00:00Z");
    smtpc_tlsrpt_rfc3339(951868799u, t);
    assert_string_equal(t, "2000-02-29T23:59:59Z");
    smtpc_tlsrpt_rfc3339(1767225600u, t);
    assert_string_equal(t, "2026-01-01T00:00:00Z");
    smtpc_tlsrpt_rfc3339(1725407999u, t);
    assert_string_equal(t, "2024-09-03T23:59:59Z");
    smtpc_tlsrpt_rfc3339(4107542399u, t); /* 2100 is no leap year */
    assert_string_equal(t, "2100-02-28T23:59:59Z");
    smtpc_tlsrpt_rfc3339(4107542400u, t);
    assert_string_equal(t, "2100-03-01T00:00:00Z");
    smtpc_tlsrpt_rfc3339(253402300799u, t);
    assert_string_equal(t, "9999-12-31T23:59:59Z");
}

/* ============================================================== render === */

static void test_render_fields(void **state)
{
    smtpc_tlsrpt_report_t r;
    cJSON *root;
    const cJSON *pols;
    const cJSON *p0;
    const cJSON *p1;
    const cJSON *pol;
    const cJSON *ps;
    const cJSON *mh;
    const cJSON *fd;
    const cJSON *d;
    const cJSON *it;
    double sum = 0;
    (void)state;
    report_a(&r);
    root = render_parse(&r, &meta_a);
    no_empty_strings(root);
    assert_string_equal(jstr(root, "organization-name"), "Example Devices Ltd");
    assert_string_equal(jstr(root, "contact-info"), "tlsrpt@reporter.test");
    assert_string_equal(jstr(root, "report-id"), "2026-01-01_good.test_dev01");
    it = cJSON_GetObjectItemCaseSensitive(root, "date-range");
    assert_non_null(it);
    assert_string_equal(jstr(it, "start-datetime"), "2026-01-01T00:00:00Z");
    assert_string_equal(jstr(it, "end-datetime"), "2026-01-01T23:59:59Z");
    pols = cJSON_GetObjectItemCaseSensitive(root, "policies");
    assert_true(cJSON_IsArray(pols));
    assert_int_equal(cJSON_GetArraySize(pols), 2);
    assert_int_equal(cJSON_GetArraySize(root), 5);

    p0 = cJSON_GetArrayItem(pols, 0);
    pol = cJSON_GetObjectItemCaseSensitive(p0, "policy");
    assert_string_equal(jstr(pol, "policy-type"), "sts");
    assert_string_equal(jstr(pol, "policy-domain"), "good.test");
    ps = cJSON_GetObjectItemCaseSensitive(pol, "policy-string");
    assert_int_equal(cJSON_GetArraySize(ps), 5);
    assert_string_equal(cJSON_GetArrayItem(ps, 0)->valuestring, "version: STSv1");
    assert_string_equal(cJSON_GetArrayItem(ps, 1)->valuestring, "mode: enforce");
    assert_string_equal(cJSON_GetArrayItem(ps, 2)->valuestring, "mx: mx1.good.test");
    assert_string_equal(cJSON_GetArrayItem(ps, 3)->valuestring, "mx: *.backup.good.test");
    assert_string_equal(cJSON_GetArrayItem(ps, 4)->valuestring, "max_age: 604800");
    mh = cJSON_GetObjectItemCaseSensitive(pol, "mx-host");
    assert_int_equal(cJSON_GetArraySize(mh), 2);
    assert_string_equal(cJSON_GetArrayItem(mh, 0)->valuestring, "mx1.good.test");
    assert_string_equal(cJSON_GetArrayItem(mh, 1)->valuestring, "*.backup.good.test");
    it = cJSON_GetObjectItemCaseSensitive(p0, "summary");
    assert_true(jnum(it, "total-successful-session-count") == 5.0);
    assert_true(jnum(it, "total-failure-session-count") == 3.0);
    fd = cJSON_GetObjectItemCaseSensitive(p0, "failure-details");
    assert_int_equal(cJSON_GetArraySize(fd), 2);
    d = cJSON_GetArrayItem(fd, 0);
    assert_string_equal(jstr(d, "result-type"), "certificate-expired");
    assert_string_equal(jstr(d, "sending-mta-ip"), "192.0.2.77");
    assert_string_equal(jstr(d, "receiving-mx-hostname"), "mx1.good.test");
    assert_string_equal(jstr(d, "receiving-ip"), "192.0.2.1");
    assert_string_equal(jstr(d, "failure-reason-code"), "SMTPC_ERR_TLS_CERT_EXPIRED");
    assert_true(jnum(d, "failed-session-count") == 2.0);
    d = cJSON_GetArrayItem(fd, 1);
    assert_string_equal(jstr(d, "result-type"), "starttls-not-supported");
    assert_string_equal(jstr(d, "receiving-mx-hostname"), "mx2.backup.good.test");
    assert_string_equal(jstr(d, "receiving-ip"), "2001:db8:abcd:12::1");
    assert_string_equal(jstr(d, "failure-reason-code"), "starttls-stripped");
    cJSON_ArrayForEach(it, fd)
    {
        sum += jnum(it, "failed-session-count");
    }
    assert_true(sum == jnum(cJSON_GetObjectItemCaseSensitive(p0, "summary"),
                            "total-failure-session-count"));

    p1 = cJSON_GetArrayItem(pols, 1);
    pol = cJSON_GetObjectItemCaseSensitive(p1, "policy");
    assert_string_equal(jstr(pol, "policy-type"), "no-policy-found");
    assert_string_equal(jstr(pol, "policy-domain"), "good.test");
    assert_null(cJSON_GetObjectItemCaseSensitive(pol, "policy-string"));
    assert_null(cJSON_GetObjectItemCaseSensitive(pol, "mx-host"));
    assert_null(cJSON_GetObjectItemCaseSensitive(p1, "failure-details"));
    it = cJSON_GetObjectItemCaseSensitive(p1, "summary");
    assert_true(jnum(it, "total-successful-session-count") == 2.0);
    assert_true(jnum(it, "total-failure-session-count") == 0.0);
    cJSON_Delete(root);
}

static void test_render_sts_unknown_and_meta(void **state)
{
    smtpc_tlsrpt_report_t r;
    smtpc_tlsrpt_meta_t m = {"Org", "rpt@example.org", "custom-id-1", NULL, NULL};
    cJSON *root;
    const cJSON *p0;
    const cJSON *pol;
    const cJSON *d;
    (void)state;
    report_b(&r);
    root = render_parse(&r, &m);
    no_empty_strings(root);
    assert_string_equal(jstr(root, "report-id"), "custom-id-1");
    assert_string_equal(
        jstr(cJSON_GetObjectItemCaseSensitive(root, "date-range"), "start-datetime"),
        "2026-01-02T00:00:00Z");
    p0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "policies"), 0);
    pol = cJSON_GetObjectItemCaseSensitive(p0, "policy");
    assert_string_equal(jstr(pol, "policy-type"), "sts");
    assert_null(cJSON_GetObjectItemCaseSensitive(pol, "policy-string"));
    assert_null(cJSON_GetObjectItemCaseSensitive(pol, "mx-host"));
    d = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p0, "failure-details"), 0);
    assert_string_equal(jstr(d, "result-type"), "sts-policy-fetch-error");
    assert_null(cJSON_GetObjectItemCaseSensitive(d, "sending-mta-ip"));
    assert_null(cJSON_GetObjectItemCaseSensitive(d, "receiving-mx-hostname"));
    assert_null(cJSON_GetObjectItemCaseSensitive(d, "receiving-ip"));
    assert_true(jnum(d, "failed-session-count") == 3.0);
    cJSON_Delete(root);

    /* No unique: "<date>_<domain>". An empty sending ip is left out. */
    m.report_id = NULL;
    m.sending_ip = "";
    root = render_parse(&r, &m);
    assert_string_equal(jstr(root, "report-id"), "2026-01-02_fetch-fail.test");
    no_empty_strings(root);
    cJSON_Delete(root);
}

/* RFC 5952 text of the receiving IP, through the renderer. */
static void test_render_ipv6_canonical(void **state)
{
    static const struct {
        const char *bytes;
        const char *text;
    } v[] = {
        {"\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x01", "2001:db8::1:0:0:1"},
        {"\x20\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01", "2001:0:0:1::1"},
        {"\x20\x01\x0d\xb8\x00\x00\x00\x01\x00\x01\x00\x01\x00\x01\x00\x01",
         "2001:db8:0:1:1:1:1:1"},
        {"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", "::1"},
        {"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "::"},
        {"\xfe\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "fe80::"},
        {"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xc0\x00\x02\x80", "::ffff:192.0.2.128"},
        {"\x20\x01\x0d\xb8\x0a\xbc\xff\xff\x01\x23\x45\x67\x89\xab\xcd\xef",
         "2001:db8:abc:ffff:123:4567:89ab:cdef"},
    };
    smtpc_tlsrpt_report_t r;
    cJSON *root;
    const cJSON *fd;
    size_t i;
    (void)state;
    memset(&r, 0, sizeof(r));
    r.day = 1;
    strcpy(r.domain, "v6.test");
    r.policy_count = 1;
    r.policies[0].type = SMTPC_RPT_POLICY_NONE_FOUND;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        smtpc_rpt_detail_t *d =
            add_detail(&r, 0, SMTPC_RPT_CERT_NOT_TRUSTED, 0, 0, 0xFFFFu, (uint32_t)(i + 1u));
        d->ip.len = 16;
        memcpy(d->ip.addr, v[i].bytes, 16);
    }
    root = render_parse(&r, &meta_a);
    fd = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "policies"), 0),
        "failure-details");
    assert_int_equal(cJSON_GetArraySize(fd), (int)(sizeof(v) / sizeof(v[0])));
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        const cJSON *d = cJSON_GetArrayItem(fd, (int)i);
        assert_string_equal(jstr(d, "receiving-ip"), v[i].text);
        /* reason namespace NONE: no failure-reason-code at all */
        assert_null(cJSON_GetObjectItemCaseSensitive(d, "failure-reason-code"));
    }
    cJSON_Delete(root);
}

static void test_render_bad_args(void **state)
{
    smtpc_tlsrpt_report_t r;
    smtpc_tlsrpt_meta_t m = meta_a;
    size_t len = 99;
    (void)state;
    report_a(&r);
    assert_int_equal(smtpc_tlsrpt_render(NULL, &m, arena, sizeof(arena), json, sizeof(json), &len),
                     SMTPC_ERR_BAD_ARG);
    assert_int_equal(len, 0);
    assert_int_equal(smtpc_tlsrpt_render(&r, NULL, arena, sizeof(arena), json, sizeof(json), &len),
                     SMTPC_ERR_BAD_ARG);
    m.org = "";
    assert_int_equal(smtpc_tlsrpt_render(&r, &m, arena, sizeof(arena), json, sizeof(json), &len),
                     SMTPC_ERR_BAD_ARG);
    m = meta_a;
    m.contact = NULL;
    assert_int_equal(smtpc_tlsrpt_render(&r, &m, arena, sizeof(arena), json, sizeof(json), &len),
                     SMTPC_ERR_BAD_ARG);
    m = meta_a;
    /* totals that disagree with the details */
    r.policies[0].failure++;
    assert_int_equal(smtpc_tlsrpt_render(&r, &m, arena, sizeof(arena), json, sizeof(json), &len),
                     SMTPC_ERR_BAD_ARG);
    report_a(&r);
    r.details[1].policy = 5; /* no such policy */
    assert_int_equal(smtpc_tlsrpt_render(&r, &m, arena, sizeof(arena), json, sizeof(json), &len),
                     SMTPC_ERR_BAD_ARG);
    report_a(&r);
    r.policy_count = 0; /* empty report */
    assert_int_equal(smtpc_tlsrpt_render(&r, &m, arena, sizeof(arena), json, sizeof(json), &len),
                     SMTPC_ERR_BAD_ARG);
    report_a(&r);
    r.domain[0] = '\0';
    assert_int_equal(smtpc_tlsrpt_render(&r, &m, arena, sizeof(arena), json, sizeof(json), &len),
                     SMTPC_ERR_BAD_ARG);
}

/* Smallest arena and output that work, found by going up from 0: every
 * smaller size fails cleanly, every larger one works and gives the same
 * text. Exact-size heap buffers make ASan see any write past the end. */
static void sweep(const smtpc_tlsrpt_report_t *r)
{
    size_t need_len = 0;
    size_t a;
    size_t c;
    size_t min_arena = 0;
    char *ref;
    assert_int_equal(
        smtpc_tlsrpt_render(r, &meta_a, arena, sizeof(arena), json, sizeof(json), &need_len),
        SMTPC_OK);
    ref = strdup(json);
    for (a = 0; a <= sizeof(arena); a++) {
        uint8_t *ar = malloc(a > 0u ? a : 1u);
        size_t len = 1;
        int rc = smtpc_tlsrpt_render(r, &meta_a, a > 0u ? ar : ar, a, json, sizeof(json), &len);
        free(ar);
        if (rc == SMTPC_OK) {
            assert_string_equal(json, ref);
            min_arena = a;
            break;
        }
        assert_int_equal(rc, SMTPC_ERR_NO_SPACE);
        assert_int_equal(len, 0);
    }
    assert_true(min_arena > 0u);
    /* A few sizes beyond the minimum also work. */
    for (a = min_arena; a < min_arena + 64u; a++) {
        uint8_t *ar = malloc(a);
        size_t len = 0;
        assert_int_equal(smtpc_tlsrpt_render(r, &meta_a, ar, a, json, sizeof(json), &len),
                         SMTPC_OK);
        free(ar);
    }
    for (c = 0; c <= need_len + 8u; c++) {
        char *o = malloc(c > 0u ? c : 1u);
        size_t len = 1;
        int rc = smtpc_tlsrpt_render(r, &meta_a, arena, sizeof(arena), o, c, &len);
        if (rc == SMTPC_OK) {
            assert_int_equal(len, need_len);
            assert_memory_equal(o, ref, need_len + 1u);
            assert_true(c >= need_len + 1u);
        } else {
            assert_int_equal(rc, SMTPC_ERR_NO_SPACE);
            assert_int_equal(len, 0);
            assert_true(c <= need_len + 6u); /* cJSON's documented margin */
            if (c > 0u) {
                assert_int_equal(o[0], '\0');
            }
        }
        free(o);
    }
    free(ref);
    print_message("  report needs %zu bytes of arena, %zu of text\n", min_arena, need_len + 1u);
}

static void test_render_sizes(void **state)
{
    smtpc_tlsrpt_report_t r;
    (void)state;
    report_a(&r);
    sweep(&r);
    report_b(&r);
    sweep(&r);
}

/* ---------------------------------------------------------- the hooks --- */

static unsigned hook_mallocs;
static unsigned hook_frees;

static void *count_malloc(size_t n)
{
    hook_mallocs++;
    return malloc(n);
}

static void count_free(void *p)
{
    hook_frees++;
    free(p);
}

static void test_render_restores_hooks(void **state)
{
    smtpc_tlsrpt_report_t r;
    cJSON_Hooks h = {count_malloc, count_free};
    cJSON *o;
    size_t len = 0;
    (void)state;
    report_a(&r);

    /* The counting hooks work: a node made now goes through them. */
    cJSON_InitHooks(&h);
    hook_mallocs = 0;
    o = cJSON_CreateObject();
    assert_int_equal(hook_mallocs, 1);
    cJSON_Delete(o);
    assert_int_equal(hook_frees, 1);

    /* The render never calls them (its nodes come from the arena) ... */
    hook_mallocs = 0;
    hook_frees = 0;
    memset(arena, 0, sizeof(arena));
    assert_int_equal(
        smtpc_tlsrpt_render(&r, &meta_a, arena, sizeof(arena), json, sizeof(json), &len), SMTPC_OK);
    assert_int_equal(hook_mallocs, 0);
    assert_int_equal(hook_frees, 0);

    /* ... and leaves cJSON's defaults behind, not ours and not its arena:
     * a node made now is neither counted nor inside the arena, and
     * cJSON_Delete hands it to free() (ASan would abort on a foreign one). */
    o = cJSON_CreateObject();
    assert_non_null(o);
    assert_int_equal(hook_mallocs, 0);
    assert_true((uint8_t *)o < arena || (uint8_t *)o >= arena + sizeof(arena));
    assert_true(cJSON_AddStringToObject(o, "k", "v") != NULL);
    cJSON_Delete(o);
    assert_int_equal(hook_frees, 0);

    /* The same after a render that ran out of arena. */
    cJSON_InitHooks(&h);
    assert_int_equal(smtpc_tlsrpt_render(&r, &meta_a, arena, 64, json, sizeof(json), &len),
                     SMTPC_ERR_NO_SPACE);
    o = cJSON_CreateObject();
    assert_int_equal(hook_mallocs, 0);
    cJSON_Delete(o);
    assert_int_equal(hook_frees, 0);
}

/* ================================================================ mail === */

static char mail[65536];

static size_t b64_val(char c)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = strchr(a, c);
    return (c != '\0' && p != NULL) ? (size_t)(p - a) : 64u;
}

/* Base64 lines from @p s up to the next boundary line into @p out. */
static size_t b64_decode_part(const char *s, uint8_t *out)
{
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    while (*s != '\0' && !(s[0] == '-' && s[1] == '-')) {
        const char *eol = strstr(s, "\r\n");
        assert_non_null(eol);
        assert_true(eol - s <= 76);
        for (; s < eol; s++) {
            size_t v;
            if (*s == '=') {
                continue;
            }
            v = b64_val(*s);
            assert_true(v < 64u);
            acc = (acc << 6) | (uint32_t)v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                out[n++] = (uint8_t)(acc >> bits);
            }
        }
        s = eol + 2;
        if (s[0] == '\r' && s[1] == '\n') {
            s += 2; /* the blank line before the closing boundary */
        }
    }
    return n;
}

static size_t gunzip(const uint8_t *in, size_t n, char *out, size_t cap)
{
    z_stream z;
    size_t got;
    memset(&z, 0, sizeof(z));
    assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    got = cap - z.avail_out;
    inflateEnd(&z);
    return got;
}

static void fill_mail(smtpc_tlsrpt_mail_t *m, const uint8_t *gz, size_t gz_len)
{
    memset(m, 0, sizeof(*m));
    m->from = "tlsrpt@reporter.test";
    m->to = "tlsrpt@reports.test";
    m->policy_domain = "good.test";
    m->submitter = "reporter.test";
    m->report_id = "2026-01-01.good.test.dev01";
    m->date = "Fri, 02 Jan 2026 01:00:00 +0000";
    m->message_id = "<2026-01-01.good.test.dev01@reporter.test>";
    m->range_start = 1767225600u;
    m->range_end = 1767225600u + 86399u;
    m->unique = "dev01";
    m->gz = gz;
    m->gz_len = gz_len;
}

static const char *header_value(const char *msg, const char *name)
{
    static char buf[2048];
    const char *end = strstr(msg, "\r\n\r\n");
    size_t nl = strlen(name);
    const char *p = msg;
    while (p < end) {
        if (strncmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *e = p + nl + 1;
            size_t k = 0;
            while (e < end + 2 && !(e[0] == '\r' && e[1] == '\n' && e[2] != ' ' && e[2] != '\t')) {
                if (*e != '\r' && *e != '\n') {
                    buf[k++] = *e;
                }
                e++;
            }
            buf[k] = '\0';
            return buf + (buf[0] == ' ' ? 1 : 0);
        }
        p = strstr(p, "\r\n") + 2;
    }
    return NULL;
}

static void test_mail_structure(void **state)
{
    smtpc_tlsrpt_report_t r;
    smtpc_tlsrpt_mail_t m;
    static uint8_t gz[20000];
    static uint8_t raw[20000];
    static char back[20000];
    size_t jlen = 0;
    size_t gz_len = 0;
    size_t len = 0;
    size_t i;
    size_t col = 0;
    const char *part;
    const char *v;
    size_t rawn;
    (void)state;
    report_a(&r);
    assert_int_equal(
        smtpc_tlsrpt_render(&r, &meta_a, arena, sizeof(arena), json, sizeof(json), &jlen),
        SMTPC_OK);
    assert_int_equal(smtpc_gzip_stored((const uint8_t *)json, jlen, gz, sizeof(gz), &gz_len),
                     SMTPC_OK);
    fill_mail(&m, gz, gz_len);
    assert_int_equal(smtpc_tlsrpt_mail_build(&m, mail, sizeof(mail), &len), SMTPC_OK);
    assert_int_equal(len, strlen(mail));

    /* CRLF only, and no line beyond 78 characters. */
    for (i = 0; i < len; i++) {
        if (mail[i] == '\n') {
            assert_true(i > 0 && mail[i - 1] == '\r');
            col = 0;
        } else if (mail[i] == '\r') {
            assert_true(mail[i + 1] == '\n');
        } else {
            col++;
            assert_true(col <= 78);
            assert_true((unsigned char)mail[i] >= 0x20 && (unsigned char)mail[i] < 0x7f);
        }
    }
    assert_true(len >= 2 && mail[len - 2] == '\r' && mail[len - 1] == '\n');

    assert_string_equal(header_value(mail, "From"), "tlsrpt@reporter.test");
    assert_string_equal(header_value(mail, "To"), "tlsrpt@reports.test");
    assert_string_equal(header_value(mail, "TLS-Report-Domain"), "good.test");
    assert_string_equal(header_value(mail, "TLS-Report-Submitter"), "reporter.test");
    assert_string_equal(header_value(mail, "TLS-Required"), "No");
    assert_string_equal(header_value(mail, "Auto-Submitted"), "auto-generated");
    assert_string_equal(header_value(mail, "MIME-Version"), "1.0");
    assert_string_equal(header_value(mail, "Message-ID"),
                        "<2026-01-01.good.test.dev01@reporter.test>");
    assert_string_equal(header_value(mail, "Date"), "Fri, 02 Jan 2026 01:00:00 +0000");
    assert_string_equal(header_value(mail, "Subject"),
                        "Report Domain: good.test Submitter: reporter.test Report-ID: "
                        "<2026-01-01.good.test.dev01@reporter.test>");
    v = header_value(mail, "Content-Type");
    assert_non_null(strstr(v, "multipart/report; report-type=\"tlsrpt\";"));
    assert_non_null(strstr(v, "boundary=\"=_tlsrpt_"));

    /* Two parts and the closing delimiter. */
    {
        char delim[64];
        const char *b = strstr(v, "boundary=\"") + 10;
        size_t bl = (size_t)(strchr(b, '"') - b);
        int parts = 0;
        const char *p = mail;
        snprintf(delim, sizeof(delim), "\r\n--%.*s", (int)bl, b);
        while ((p = strstr(p, delim)) != NULL) {
            parts++;
            p += strlen(delim);
        }
        assert_int_equal(parts, 3);
        snprintf(delim, sizeof(delim), "\r\n--%.*s--\r\n", (int)bl, b);
        assert_non_null(strstr(mail, delim));
    }
    assert_non_null(strstr(mail, "Content-Type: text/plain; charset=us-ascii\r\n"));
    assert_non_null(strstr(mail, "Content-Type: application/tlsrpt+gzip;\r\n"
                                 " name=\"reporter.test!good.test!1767225600!1767311999!dev01"
                                 ".json.gz\"\r\n"));
    assert_non_null(strstr(mail, "Content-Disposition: attachment;\r\n"
                                 " filename=\"reporter.test!good.test!1767225600!1767311999!"
                                 "dev01.json.gz\"\r\n"));
    part = strstr(mail, "Content-Transfer-Encoding: base64\r\n");
    assert_non_null(part);
    part = strstr(part, "\r\n\r\n") + 4;
    rawn = b64_decode_part(part, raw);
    assert_int_equal(rawn, gz_len);
    assert_memory_equal(raw, gz, gz_len);
    assert_int_equal(gunzip(raw, rawn, back, sizeof(back)), jlen);
    assert_memory_equal(back, json, jlen);

    /* The same input gives the same bytes (the boundary is derived). */
    {
        static char again[65536];
        size_t l2 = 0;
        assert_int_equal(smtpc_tlsrpt_mail_build(&m, again, sizeof(again), &l2), SMTPC_OK);
        assert_int_equal(l2, len);
        assert_memory_equal(again, mail, len);
    }
}

/* Long names: the Subject folds, the file name goes into RFC 2231
 * continuations, the text part puts a long name on its own line; still no
 * line beyond 78 (a single token longer than that cannot fold: then the line
 * holds that token alone). No unique-id: no "!unique". */
/* A line over 78 at @p i: it must be one token (after one leading blank). */
static void one_token_line(const char *m, size_t i)
{
    size_t s = i;
    size_t e = i;
    size_t k;
    while (s > 0 && m[s - 1] != '\n') {
        s--;
    }
    while (m[e] != '\r') {
        e++;
    }
    if (m[s] == ' ' || m[s] == '\t') {
        s++;
    }
    for (k = s; k < e; k++) {
        if (m[k] == ' ') {
            print_error("long line with a blank: %.*s\n", (int)(e - s), m + s);
            fail();
        }
    }
}

static void test_mail_long_names(void **state)
{
    smtpc_tlsrpt_mail_t m;
    static const uint8_t gz[3] = {1, 2, 3};
    size_t len = 0;
    size_t i;
    size_t col = 0;
    (void)state;
    fill_mail(&m, gz, sizeof(gz));
    m.policy_domain =
        "a-rather-long-label-for-testing.another-long-label.example-policy-domain.test";
    m.submitter = "reporting-department.some-long-organisation-name.example";
    m.unique = NULL;
    assert_int_equal(smtpc_tlsrpt_mail_build(&m, mail, sizeof(mail), &len), SMTPC_OK);
    for (i = 0; i < len; i++) {
        if (mail[i] == '\n') {
            col = 0;
        } else if (mail[i] != '\r') {
            col++;
            if (col > 78) {
                one_token_line(mail, i);
            }
        }
    }
    assert_non_null(strstr(mail, " filename*0=\""));
    assert_non_null(strstr(mail, " name*1=\""));
    assert_null(strstr(mail, "!dev01"));
    assert_non_null(strstr(mail, "1767311999.json.gz\""));
    assert_string_equal(
        header_value(mail, "Subject"),
        "Report Domain: "
        "a-rather-long-label-for-testing.another-long-label.example-policy-domain.test Submitter: "
        "reporting-department.some-long-organisation-name.example Report-ID: "
        "<2026-01-01.good.test.dev01@reporting-department.some-long-organisation-name.example>");
}

static void test_mail_bad_args_and_sizes(void **state)
{
    smtpc_tlsrpt_mail_t m;
    static const uint8_t gz[100] = {0x1f, 0x8b};
    size_t len = 0;
    size_t need;
    size_t c;
    (void)state;
    fill_mail(&m, gz, sizeof(gz));
    assert_int_equal(smtpc_tlsrpt_mail_build(&m, mail, sizeof(mail), &need), SMTPC_OK);
    for (c = 0; c <= need + 1u; c++) {
        char *o = malloc(c > 0u ? c : 1u);
        int rc = smtpc_tlsrpt_mail_build(&m, o, c, &len);
        if (c >= need + 1u) {
            assert_int_equal(rc, SMTPC_OK);
            assert_int_equal(len, need);
            assert_memory_equal(o, mail, need + 1u);
        } else {
            assert_int_equal(rc, SMTPC_ERR_NO_SPACE);
            assert_int_equal(len, 0);
        }
        free(o);
    }
    m.report_id = "bad id"; /* not dot-atom-text */
    assert_int_equal(smtpc_tlsrpt_mail_build(&m, mail, sizeof(mail), &len), SMTPC_ERR_BAD_ARG);
    fill_mail(&m, gz, sizeof(gz));
    m.unique = "dev-01"; /* unique-id is ALPHA / DIGIT */
    assert_int_equal(smtpc_tlsrpt_mail_build(&m, mail, sizeof(mail), &len), SMTPC_ERR_BAD_ARG);
    fill_mail(&m, gz, sizeof(gz));
    m.to = "x@y\r\nBcc: z@w"; /* header injection */
    assert_int_equal(smtpc_tlsrpt_mail_build(&m, mail, sizeof(mail), &len), SMTPC_ERR_BAD_ARG);
    fill_mail(&m, gz, sizeof(gz));
    m.policy_domain = "good.test!x";
    assert_int_equal(smtpc_tlsrpt_mail_build(&m, mail, sizeof(mail), &len), SMTPC_ERR_BAD_ARG);
    fill_mail(&m, gz, sizeof(gz));
    m.gz_len = 0;
    assert_int_equal(smtpc_tlsrpt_mail_build(&m, mail, sizeof(mail), &len), SMTPC_ERR_BAD_ARG);
    fill_mail(&m, gz, sizeof(gz));
    m.range_end = m.range_start - 1u;
    assert_int_equal(smtpc_tlsrpt_mail_build(&m, mail, sizeof(mail), &len), SMTPC_ERR_BAD_ARG);
    fill_mail(&m, gz, sizeof(gz));
    m.message_id = NULL; /* optional */
    assert_int_equal(smtpc_tlsrpt_mail_build(&m, mail, sizeof(mail), &len), SMTPC_OK);
    assert_null(strstr(mail, "Message-ID:"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_render_fields),
        cmocka_unit_test(test_render_sts_unknown_and_meta),
        cmocka_unit_test(test_render_ipv6_canonical),
        cmocka_unit_test(test_render_bad_args),
        cmocka_unit_test(test_render_sizes),
        cmocka_unit_test(test_render_restores_hooks),
        cmocka_unit_test(test_mail_structure),
        cmocka_unit_test(test_mail_long_names),
        cmocka_unit_test(test_mail_bad_args_and_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
