/* DKIM signer (port/mbedtls/smtpc_dkim.c): sign, then verify here with
 * mbedTLS and an independent relaxed canonicalization (RFC 6376 §3.4.2,
 * §3.4.4, §3.7) written for this test; tamper checks (body, signed header,
 * unsigned header, whitespace that relaxed canonicalization ignores). The
 * RSA key is generated with mbedTLS at start-up (1024 bits, for speed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include "smtpc_dkim.h"

static char key_pem[4096];
static char ec_pem[1024];
static mbedtls_pk_context pub; /* the same key, used to verify */

static const char msg1[] = "From: TLS reports <tlsrpt@reporter.test>\r\n"
                           "To: tlsrpt@reports.test\r\n"
                           "Date: Fri, 02 Jan 2026 01:00:00 +0000\r\n"
                           "Message-ID: <id1@reporter.test>\r\n"
                           "Subject: Report Domain: good.test Submitter: reporter.test\r\n"
                           " Report-ID: <id1@reporter.test>\r\n"
                           "TLS-Report-Domain: good.test\r\n"
                           "TLS-Report-Submitter: reporter.test\r\n"
                           "X-Unsigned: anything\r\n"
                           "MIME-Version: 1.0\r\n"
                           "Content-Type: multipart/report; report-type=\"tlsrpt\";\r\n"
                           "\tboundary=\"=_b\"\r\n"
                           "\r\n"
                           "--=_b\r\n"
                           "Content-Type: text/plain\r\n"
                           "\r\n"
                           "Hello  \t world \r\n"
                           "\r\n"
                           "--=_b--\r\n"
                           "\r\n"
                           "\r\n";

/* ------------------------------------------------------------ helpers --- */

static void sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    assert_int_equal(mbedtls_sha256(p, n, out, 0), 0);
#else
    assert_int_equal(mbedtls_sha256_ret(p, n, out, 0), 0);
#endif
}

static int is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

/* Relaxed body: per line, WSP runs -> SP, trailing WSP cut; trailing empty
 * lines dropped; CRLF after every line. Built as a string. */
static size_t canon_body(const char *b, char *out)
{
    size_t n = 0;
    size_t keep = 0; /* length up to the last non-empty line */
    while (*b != '\0') {
        const char *eol = strstr(b, "\r\n");
        const char *end = eol != NULL ? eol : b + strlen(b);
        size_t start = n;
        const char *p;
        for (p = b; p < end; p++) {
            if (is_wsp(*p)) {
                if (n == start || out[n - 1] != ' ') {
                    out[n++] = ' ';
                }
            } else {
                out[n++] = *p;
            }
        }
        while (n > start && out[n - 1] == ' ') {
            n--;
        }
        out[n++] = '\r';
        out[n++] = '\n';
        if (n - start > 2) {
            keep = n;
        }
        b = eol != NULL ? eol + 2 : end;
    }
    return keep;
}

/* Relaxed header: lower-case name, unfold, WSP runs -> SP, trim. */
static size_t canon_header(const char *f, size_t len, char *out, int crlf)
{
    char tmp[4096];
    size_t t = 0;
    size_t n = 0;
    size_t i;
    const char *colon = memchr(f, ':', len);
    assert_non_null(colon);
    for (i = 0; f + i < colon; i++) {
        if (!is_wsp(f[i])) {
            out[n++] = (char)((f[i] >= 'A' && f[i] <= 'Z') ? f[i] + 32 : f[i]);
        }
    }
    out[n++] = ':';
    for (i = (size_t)(colon - f) + 1; i < len; i++) {
        char c = f[i];
        if (c == '\r' || c == '\n') {
            continue;
        }
        if (is_wsp(c)) {
            if (t > 0 && tmp[t - 1] != ' ') {
                tmp[t++] = ' ';
            } else if (t == 0) {
                continue;
            }
        } else {
            tmp[t++] = c;
        }
    }
    while (t > 0 && tmp[t - 1] == ' ') {
        t--;
    }
    memcpy(out + n, tmp, t);
    n += t;
    if (crlf) {
        out[n++] = '\r';
        out[n++] = '\n';
    }
    return n;
}

/* The last field named @p name (case-insensitive) in the header of @p msg. */
static int find_field(const char *msg, const char *name, const char **f, size_t *len)
{
    const char *end = strstr(msg, "\r\n\r\n") + 2;
    const char *p = msg;
    size_t nl = strlen(name);
    int found = 0;
    while (p < end) {
        const char *e = strstr(p, "\r\n") + 2;
        while (e < end && is_wsp(*e)) {
            e = strstr(e, "\r\n") + 2;
        }
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            *f = p;
            *len = (size_t)(e - p);
            found = 1;
        }
        p = e;
    }
    return found;
}

/* The value of tag @p tag in an unfolded, space-stripped signature. */
static int tag(const char *sig, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    const char *p = sig;
    while (*p != '\0') {
        const char *e = strchr(p, ';');
        size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
        if (n > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            assert_true(n - nl - 1 < cap);
            memcpy(out, p + nl + 1, n - nl - 1);
            out[n - nl - 1] = '\0';
            return 1;
        }
        p += n + (e != NULL ? 1 : 0);
    }
    return 0;
}

/* Verify the signature field @p hdr over @p msg. 0 ok, 1 body hash
 * mismatch, 2 signature mismatch. */
static int verify(const char *hdr, const char *msg)
{
    static char full[65536];
    static char canon[65536];
    char flat[4096];
    char bh[64];
    char b[1024];
    char h[512];
    uint8_t digest[32];
    uint8_t sig[512];
    size_t sig_len = 0;
    size_t n = 0;
    size_t k = 0;
    size_t i;
    const char *body;
    char *name;
    char *save = NULL;
    const char *f;
    size_t fl;

    snprintf(full, sizeof(full), "%s%s", hdr, msg);
    /* The signature's tags, without any white space. */
    for (i = strlen("DKIM-Signature:"); hdr[i] != '\0'; i++) {
        if (!is_wsp(hdr[i]) && hdr[i] != '\r' && hdr[i] != '\n') {
            flat[k++] = hdr[i];
        }
    }
    flat[k] = '\0';
    assert_true(tag(flat, "bh", bh, sizeof(bh)));
    assert_true(tag(flat, "b", b, sizeof(b)));
    assert_true(tag(flat, "h", h, sizeof(h)));
    {
        char v[64];
        assert_true(tag(flat, "v", v, sizeof(v)));
        assert_string_equal(v, "1");
        assert_true(tag(flat, "a", v, sizeof(v)));
        assert_string_equal(v, "rsa-sha256");
        assert_true(tag(flat, "c", v, sizeof(v)));
        assert_string_equal(v, "relaxed/relaxed");
        assert_false(tag(flat, "l", v, sizeof(v)));
    }

    body = strstr(msg, "\r\n\r\n") + 4;
    n = canon_body(body, canon);
    sha256((const uint8_t *)canon, n, digest);
    {
        char enc[64];
        size_t el = 0;
        assert_int_equal(mbedtls_base64_encode((unsigned char *)enc, sizeof(enc), &el, digest, 32),
                         0);
        enc[el] = '\0';
        if (strcmp(enc, bh) != 0) {
            return 1;
        }
    }

    n = 0;
    for (name = strtok_r(h, ":", &save); name != NULL; name = strtok_r(NULL, ":", &save)) {
        if (find_field(msg, name, &f, &fl)) {
            n += canon_header(f, fl, canon + n, 1);
        }
    }
    /* The signature field with b= emptied (b= is the last tag). */
    {
        const char *bpos = strstr(hdr, "\tb=");
        char sigf[4096];
        size_t sl;
        assert_non_null(bpos);
        sl = (size_t)(bpos - hdr) + 3;
        memcpy(sigf, hdr, sl);
        n += canon_header(sigf, sl, canon + n, 0);
    }
    sha256((const uint8_t *)canon, n, digest);
    assert_int_equal(
        mbedtls_base64_decode(sig, sizeof(sig), &sig_len, (const unsigned char *)b, strlen(b)), 0);
    return mbedtls_pk_verify(&pub, MBEDTLS_MD_SHA256, digest, 32, sig, sig_len) == 0 ? 0 : 2;
}

static char out[8192];

static void sign(const char *msg, smtpc_dkim_params_t *p)
{
    size_t len = 0;
    assert_int_equal(smtpc_dkim_sign(p, msg, strlen(msg), out, sizeof(out), &len), SMTPC_OK);
    assert_int_equal(len, strlen(out));
}

static smtpc_dkim_params_t params(void)
{
    smtpc_dkim_params_t p;
    memset(&p, 0, sizeof(p));
    p.key_pem = key_pem;
    p.selector = "tlsrpt2026";
    p.domain = "reporter.test";
    p.timestamp = 1767315600u;
    return p;
}

static char *replace(const char *s, const char *from, const char *to)
{
    static char buf[65536];
    const char *at = strstr(s, from);
    assert_non_null(at);
    snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    return buf;
}

/* ============================================================== tests === */

static void test_sign_verify(void **state)
{
    smtpc_dkim_params_t p = params();
    size_t i;
    size_t col = 0;
    (void)state;
    sign(msg1, &p);
    assert_int_equal(strncmp(out,
                             "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; "
                             "d=reporter.test;",
                             70),
                     0);
    {
        /* unfolded: every CRLF HTAB removed */
        static char flat[8192];
        size_t k = 0;
        for (i = 0; out[i] != '\0'; i++) {
            if (out[i] == '\r' && out[i + 1] == '\n' && out[i + 2] == '\t') {
                i += 2;
                continue;
            }
            flat[k++] = out[i];
        }
        flat[k] = '\0';
        assert_non_null(strstr(flat, "s=tlsrpt2026;"));
        assert_non_null(strstr(flat, "t=1767315600;"));
        assert_non_null(strstr(flat, "h=from:to:subject:date:message-id:mime-version:"));
        assert_non_null(strstr(flat, "content-type:tls-report-domain:tls-report-submitter;"));
        assert_null(strstr(flat, "x-unsigned"));
        assert_non_null(strstr(flat, "bh="));
        assert_non_null(strstr(flat, ";b="));
    }
    assert_true(strlen(out) > 2 && strcmp(out + strlen(out) - 2, "\r\n") == 0);
    for (i = 0; out[i] != '\0'; i++) {
        if (out[i] == '\n') {
            assert_true(i > 0 && out[i - 1] == '\r');
            col = 0;
        } else if (out[i] != '\r') {
            col++;
            assert_true(col <= 78);
        }
    }
    assert_int_equal(verify(out, msg1), 0);
}

static void test_tamper(void **state)
{
    smtpc_dkim_params_t p = params();
    char hdr[8192];
    (void)state;
    sign(msg1, &p);
    strcpy(hdr, out);
    /* A changed body byte: body hash mismatch. */
    assert_int_equal(verify(hdr, replace(msg1, "Hello", "Hallo")), 1);
    /* A changed signed header: signature mismatch. */
    assert_int_equal(verify(hdr, replace(msg1, "Submitter: reporter.test\r\n Report",
                                         "Submitter: evil.test\r\n Report")),
                     2);
    assert_int_equal(
        verify(hdr, replace(msg1, "TLS-Report-Domain: good.test", "TLS-Report-Domain: other.test")),
        2);
    /* An unsigned header may change. */
    assert_int_equal(verify(hdr, replace(msg1, "X-Unsigned: anything", "X-Unsigned: other")), 0);
    /* What relaxed canonicalization ignores: WSP runs, trailing WSP,
     * trailing empty lines, header refolding and case of names. */
    assert_int_equal(verify(hdr, replace(msg1, "Hello  \t world \r\n", "Hello world\t\r\n")), 0);
    assert_int_equal(verify(hdr, replace(msg1, "--=_b--\r\n\r\n\r\n", "--=_b--\r\n")), 0);
    assert_int_equal(
        verify(hdr, replace(msg1, "To: tlsrpt@reports.test", "to:\r\n   tlsrpt@reports.test  ")),
        0);
    /* A second From above the signed one is not what was signed... the
     * last instance is; one added below it changes the signed value. */
    assert_int_equal(verify(hdr, replace(msg1, "X-Unsigned: anything\r\n",
                                         "X-Unsigned: anything\r\nFrom: evil@evil.test\r\n")),
                     2);
}

/* A bare-LF copy of the message signs to the same signature. */
static void test_lf_and_entropy(void **state)
{
    smtpc_dkim_params_t p = params();
    static char lf[8192];
    char first[8192];
    size_t i;
    size_t n = 0;
    (void)state;
    sign(msg1, &p);
    strcpy(first, out);
    for (i = 0; msg1[i] != '\0'; i++) {
        if (msg1[i] != '\r') {
            lf[n++] = msg1[i];
        }
    }
    lf[n] = '\0';
    sign(lf, &p);
    assert_string_equal(out, first);
    /* No t=: the tag is left out. */
    p.timestamp = 0;
    sign(msg1, &p);
    assert_null(strstr(out, "t="));
    assert_int_equal(verify(out, msg1), 0);
}

static unsigned entropy_calls;

static int test_entropy(void *ctx, unsigned char *o, size_t len)
{
    size_t i;
    (void)ctx;
    entropy_calls++;
    for (i = 0; i < len; i++) {
        o[i] = (unsigned char)(i * 7u + entropy_calls);
    }
    return 0;
}

static int failing_entropy(void *ctx, unsigned char *o, size_t len)
{
    (void)ctx;
    (void)o;
    (void)len;
    return -1;
}

static void test_caller_entropy(void **state)
{
    smtpc_dkim_params_t p = params();
    char first[8192];
    size_t len = 0;
    (void)state;
    sign(msg1, &p);
    strcpy(first, out);
    p.entropy = test_entropy;
    entropy_calls = 0;
    sign(msg1, &p);
    assert_true(entropy_calls > 0);
    /* PKCS#1 v1.5 is deterministic: blinding changes nothing visible. */
    assert_string_equal(out, first);
    p.entropy = failing_entropy;
    assert_int_equal(smtpc_dkim_sign(&p, msg1, strlen(msg1), out, sizeof(out), &len),
                     SMTPC_ERR_INTERNAL);
}

static void test_bad_args(void **state)
{
    smtpc_dkim_params_t p = params();
    size_t len = 0;
    size_t need;
    size_t c;
    static const char no_from[] = "To: a@b\r\nSubject: x\r\n\r\nbody\r\n";
    static const char no_sep[] = "From: a@b\r\nSubject: x\r\n";
    (void)state;
    assert_int_equal(smtpc_dkim_sign(&p, no_from, strlen(no_from), out, sizeof(out), &len),
                     SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_dkim_sign(&p, no_sep, strlen(no_sep), out, sizeof(out), &len),
                     SMTPC_ERR_BAD_ARG);
    p.key_pem = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n";
    assert_int_equal(smtpc_dkim_sign(&p, msg1, strlen(msg1), out, sizeof(out), &len),
                     SMTPC_ERR_BAD_ARG);
    p.key_pem = ec_pem; /* not RSA */
    assert_int_equal(smtpc_dkim_sign(&p, msg1, strlen(msg1), out, sizeof(out), &len),
                     SMTPC_ERR_BAD_ARG);
    p = params();
    p.domain = "bad domain";
    assert_int_equal(smtpc_dkim_sign(&p, msg1, strlen(msg1), out, sizeof(out), &len),
                     SMTPC_ERR_BAD_ARG);
    p = params();
    p.selector = "s;x=1";
    assert_int_equal(smtpc_dkim_sign(&p, msg1, strlen(msg1), out, sizeof(out), &len),
                     SMTPC_ERR_BAD_ARG);
    p = params();
    assert_int_equal(smtpc_dkim_sign(&p, msg1, strlen(msg1), out, sizeof(out), &need), SMTPC_OK);
    for (c = 1; c <= need + 1u; c += (c < 200u ? 1u : 13u)) {
        char *o = malloc(c);
        int rc = smtpc_dkim_sign(&p, msg1, strlen(msg1), o, c, &len);
        if (c > need) {
            assert_int_equal(rc, SMTPC_OK);
        } else {
            assert_int_equal(rc, SMTPC_ERR_NO_SPACE);
            assert_int_equal(len, 0);
        }
        free(o);
    }
}

/* ============================================================== setup === */

static int make_keys(void **state)
{
    mbedtls_pk_context pk;
    mbedtls_pk_context ec;
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
    (void)state;
    mbedtls_pk_init(&pk);
    mbedtls_pk_init(&ec);
    mbedtls_entropy_init(&ent);
    mbedtls_ctr_drbg_init(&drbg);
    if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0) != 0 ||
        mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) != 0 ||
        mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk), mbedtls_ctr_drbg_random, &drbg, 1024, 65537) != 0 ||
        mbedtls_pk_write_key_pem(&pk, (unsigned char *)key_pem, sizeof(key_pem)) != 0 ||
        mbedtls_pk_setup(&ec, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
        mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(ec), mbedtls_ctr_drbg_random,
                            &drbg) != 0 ||
        mbedtls_pk_write_key_pem(&ec, (unsigned char *)ec_pem, sizeof(ec_pem)) != 0) {
        return -1;
    }
    mbedtls_pk_init(&pub);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    if (mbedtls_pk_parse_key(&pub, (const unsigned char *)key_pem, strlen(key_pem) + 1, NULL, 0,
                             mbedtls_ctr_drbg_random, &drbg) != 0) {
        return -1;
    }
#else
    if (mbedtls_pk_parse_key(&pub, (const unsigned char *)key_pem, strlen(key_pem) + 1, NULL, 0) !=
        0) {
        return -1;
    }
#endif
    mbedtls_pk_free(&pk);
    mbedtls_pk_free(&ec);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&ent);
    return 0;
}

static int free_keys(void **state)
{
    (void)state;
    mbedtls_pk_free(&pub);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_verify),    cmocka_unit_test(test_tamper),
        cmocka_unit_test(test_lf_and_entropy), cmocka_unit_test(test_caller_entropy),
        cmocka_unit_test(test_bad_args),
    };
    return cmocka_run_group_tests(tests, make_keys, free_keys);
}
