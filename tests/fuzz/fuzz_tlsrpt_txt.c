/* Fuzz target: TLS-RPT TXT record parser, selection rule and rua helpers
 * (smtpc_tlsrpt.c, RFC 8460 §3).
 *
 * Input: records separated by NUL bytes (the first is also parsed alone).
 * Invariants: a valid record is a candidate; rua_count within
 * SMTPC_TLSRPT_RUA_MAX, each kept URI NUL-terminated within
 * SMTPC_TLSRPT_URI_MAX, of a known kind and beginning with its scheme; the
 * selection gives OK only for exactly one candidate that is valid, NODATA
 * only without candidates; mailto and https splitting stay within the
 * buffers given (checked with canaries), and a parsed https port is never 0. */
#include <string.h>
#include <strings.h>

#include "smtpc/tlsrpt.h"

#include "fuzz_common.h"

#if SMTPC_ENABLE_TLSRPT

static void check_uri(const smtpc_rua_t *r)
{
    size_t n = strnlen(r->uri, sizeof(r->uri));
    FUZZ_CHECK(n < sizeof(r->uri));
    FUZZ_CHECK(n <= SMTPC_TLSRPT_URI_MAX);
    if (r->kind == SMTPC_RUA_MAILTO) {
        char addr[80];
        int rc;
        FUZZ_CHECK(n >= 7 && strncasecmp(r->uri, "mailto:", 7) == 0);
        memset(addr, 0x7E, sizeof(addr));
        rc = smtpc_tlsrpt_mailto_addr(r->uri, addr, 64);
        FUZZ_CHECK(addr[64] == 0x7E); /* nothing written past the cap */
        if (rc == SMTPC_OK) {
            size_t al = strnlen(addr, 64);
            FUZZ_CHECK(al < 64 && strchr(addr, '@') != NULL);
        } else {
            FUZZ_CHECK(rc == SMTPC_ERR_BAD_ADDRESS || rc == SMTPC_ERR_NO_SPACE);
        }
    } else {
        char host[40], target[60];
        uint16_t port = 0;
        int rc;
        FUZZ_CHECK(r->kind == SMTPC_RUA_HTTPS);
        FUZZ_CHECK(n >= 8 && strncasecmp(r->uri, "https://", 8) == 0);
        memset(host, 0x7E, sizeof(host));
        memset(target, 0x7E, sizeof(target));
        rc = smtpc_tlsrpt_https_split(r->uri, host, 32, &port, target, 48);
        FUZZ_CHECK(host[32] == 0x7E && target[48] == 0x7E);
        if (rc == SMTPC_OK) {
            FUZZ_CHECK(strnlen(host, 32) < 32 && strnlen(host, 32) > 0);
            FUZZ_CHECK(strnlen(target, 48) < 48 && target[0] == '/');
            FUZZ_CHECK(port != 0);
        } else {
            FUZZ_CHECK(rc == SMTPC_ERR_BAD_ARG || rc == SMTPC_ERR_NO_SPACE);
        }
    }
}

static int check_one(const char *rec, size_t len)
{
    smtpc_tlsrpt_txt_t t;
    int rc, cand;
    unsigned i;
    memset(&t, 0xA5, sizeof(t));
    rc = smtpc_tlsrpt_txt_parse(rec, len, &t);
    cand = smtpc_tlsrpt_txt_is_candidate(rec, len);
    if (rc == SMTPC_OK) {
        FUZZ_CHECK(cand);
        FUZZ_CHECK(t.rua_count <= SMTPC_TLSRPT_RUA_MAX);
        for (i = 0; i < t.rua_count; i++) {
            check_uri(&t.rua[i]);
        }
    } else {
        FUZZ_CHECK(rc == SMTPC_ERR_TLSRPT_TXT_INVALID);
    }
    return rc == SMTPC_OK ? 2 : (cand ? 1 : 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    smtpc_tlsrpt_sel_t sel;
    smtpc_tlsrpt_txt_t out;
    unsigned cands = 0, valid = 0;
    size_t off = 0;
    int rc;

    check_one(p, size);
    smtpc_tlsrpt_sel_init(&sel);
    while (off <= size) {
        const char *e = memchr(p + off, '\0', size - off);
        size_t len = e ? (size_t)(e - (p + off)) : size - off;
        int k = check_one(p + off, len);
        cands += k > 0;
        valid += k == 2;
        smtpc_tlsrpt_sel_add(&sel, p + off, len);
        off += len + 1u;
    }
    rc = smtpc_tlsrpt_sel_result(&sel, &out);
    if (cands == 0) {
        FUZZ_CHECK(rc == SMTPC_ERR_DNS_NODATA);
    } else if (cands == 1 && valid == 1) {
        FUZZ_CHECK(rc == SMTPC_OK);
        FUZZ_CHECK(out.rua_count <= SMTPC_TLSRPT_RUA_MAX);
    } else {
        FUZZ_CHECK(rc == SMTPC_ERR_TLSRPT_TXT_INVALID);
    }
    return 0;
}

#else /* TLS-RPT compiled out: nothing to fuzz */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)data;
    (void)size;
    return 0;
}

#endif
