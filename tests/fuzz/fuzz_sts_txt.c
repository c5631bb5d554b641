/* Fuzz target: MTA-STS TXT record parser and selection rule
 * (smtpc_stsparse.c, RFC 8461 §3.1).
 *
 * Input: records separated by NUL bytes (the first one is parsed alone).
 * Invariants: a valid record is a candidate; its id is 1..32 letters and
 * digits, NUL-terminated, and a record rebuilt as "v=STSv1; id=<id>;" parses
 * to the same id; the selection over all records gives OK only for exactly
 * one candidate that is valid, NODATA only with no candidate. */
#include <string.h>

#include "smtpc/sts.h"

#include "fuzz_common.h"

static int check_one(const char *rec, size_t len)
{
    smtpc_sts_txt_t t;
    int rc, cand;
    memset(&t, 0xA5, sizeof(t));
    rc = smtpc_sts_txt_parse(rec, len, &t);
    cand = smtpc_sts_txt_is_candidate(rec, len);
    if (rc == SMTPC_OK) {
        char again[64];
        smtpc_sts_txt_t t2;
        size_t i;
        int n;
        FUZZ_CHECK(cand);
        FUZZ_CHECK(t.id_len >= 1 && t.id_len <= SMTPC_STS_ID_MAX);
        FUZZ_CHECK(t.id[t.id_len] == '\0');
        for (i = 0; i < t.id_len; i++) {
            char ch = t.id[i];
            FUZZ_CHECK((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
                       (ch >= 'A' && ch <= 'Z'));
        }
        n = snprintf(again, sizeof(again), "v=STSv1; id=%s;", t.id);
        FUZZ_CHECK(n > 0 && (size_t)n < sizeof(again));
        FUZZ_CHECK(smtpc_sts_txt_parse(again, (size_t)n, &t2) == SMTPC_OK);
        FUZZ_CHECK(t2.id_len == t.id_len && memcmp(t2.id, t.id, t.id_len) == 0);
    } else {
        FUZZ_CHECK(rc == SMTPC_ERR_STS_TXT_INVALID);
    }
    return rc == SMTPC_OK ? 2 : (cand ? 1 : 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    smtpc_sts_sel_t sel;
    smtpc_sts_txt_t out;
    unsigned cands = 0, valid = 0;
    size_t off = 0;
    int rc;

    check_one(p, size); /* the whole input as one record, NULs and all */
    smtpc_sts_sel_init(&sel);
    while (off <= size) {
        const char *e = memchr(p + off, '\0', size - off);
        size_t len = e ? (size_t)(e - (p + off)) : size - off;
        int k = check_one(p + off, len);
        cands += k > 0;
        valid += k == 2;
        smtpc_sts_sel_add(&sel, p + off, len);
        off += len + 1u;
    }
    rc = smtpc_sts_sel_result(&sel, &out);
    if (cands == 0) {
        FUZZ_CHECK(rc == SMTPC_ERR_DNS_NODATA);
    } else if (cands == 1 && valid == 1) {
        FUZZ_CHECK(rc == SMTPC_OK);
        FUZZ_CHECK(out.id_len >= 1 && out.id_len <= SMTPC_STS_ID_MAX);
    } else {
        FUZZ_CHECK(rc == SMTPC_ERR_STS_TXT_INVALID);
    }
    return 0;
}
