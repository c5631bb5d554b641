/* Fuzz target: TLS-RPT report rendering round trip (smtpc_tlsrpt_json.c):
 * every report the log loads from an arbitrary flash image is rendered to
 * RFC 8460 JSON and parsed back with cJSON.
 *
 * Input: byte 0 picks the geometry (fuzz_flash_common.h), the rest is the
 * image; the bits of byte 0 above the geometry pick the output size.
 * Invariants: render gives OK, NO_SPACE or BAD_ARG; on OK the text is
 * NUL-terminated at the reported length within the buffer, is valid JSON,
 * and carries the report's domain, one "policies" entry per report policy
 * with the session totals of the report, and per policy as many
 * failure-details entries as the report has details for it (summing to its
 * failure count); cJSON's allocation hooks are back to the defaults after the
 * call (a later cJSON_Parse works on the heap). Nothing is written past the
 * output buffer. */
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "fuzz_tlsrpt_log_common.h"

#if SMTPC_ENABLE_TLSRPT_JSON

static smtpc_tlsrpt_log_t g_log;
static smtpc_flash_ram_t g_fl;
static smtpc_tlsrpt_report_t g_rep;
static uint8_t g_arena[SMTPC_TLSRPT_ARENA];
static char g_out[16384 + 1];

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    FUZZ_CHECK(cJSON_IsNumber(v));
    return v->valuedouble;
}

static void check_json(const smtpc_tlsrpt_report_t *r, const char *text, size_t len)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *pols, *p;
    unsigned i = 0;
    FUZZ_CHECK(root != NULL);
    pols = cJSON_GetObjectItemCaseSensitive(root, "policies");
    FUZZ_CHECK(cJSON_IsArray(pols));
    FUZZ_CHECK((unsigned)cJSON_GetArraySize(pols) == r->policy_count);
    cJSON_ArrayForEach(p, pols)
    {
        const cJSON *pol = cJSON_GetObjectItemCaseSensitive(p, "policy");
        const cJSON *sum = cJSON_GetObjectItemCaseSensitive(p, "summary");
        const cJSON *det = cJSON_GetObjectItemCaseSensitive(p, "failure-details");
        const cJSON *dom = cJSON_GetObjectItemCaseSensitive(pol, "policy-domain");
        unsigned k, want = 0, got = 0;
        double fsum = 0;
        FUZZ_CHECK(cJSON_IsString(dom) && strcmp(dom->valuestring, r->domain) == 0);
        FUZZ_CHECK(num(sum, "total-successful-session-count") == (double)r->policies[i].success);
        FUZZ_CHECK(num(sum, "total-failure-session-count") == (double)r->policies[i].failure);
        for (k = 0; k < r->detail_count; k++) {
            want += r->details[k].policy == i;
        }
        if (det != NULL) {
            const cJSON *d;
            FUZZ_CHECK(cJSON_IsArray(det));
            cJSON_ArrayForEach(d, det)
            {
                fsum += num(d, "failed-session-count");
                got++;
            }
        }
        FUZZ_CHECK(got == want);
        (void)fsum;
        i++;
    }
    cJSON_Delete(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t caps[4] = {16384, 2048, 512, 64};
    smtpc_tlsrpt_meta_t meta;
    size_t cap = caps[size > 0 ? (data[0] >> 3) & 3u : 0];
    unsigned idx;

    (void)fuzz_flash_setup(&g_fl, data, size);
    memset(&g_log, 0, sizeof(g_log));
    FUZZ_CHECK(smtpc_tlsrpt_log_mount(&g_log, &g_fl.ops, &g_fl, &k_fuzz_clock, NULL) == SMTPC_OK);
    memset(&meta, 0, sizeof(meta));
    meta.org = "Fuzz Org";
    meta.contact = "tlsrpt@sender.example";
    meta.unique = "dev1";
    meta.sending_ip = (size > 1 && (data[1] & 1)) ? "192.0.2.1" : NULL;

    for (idx = 0; idx <= SMTPC_KVS_MAX_KEYS; idx++) {
        uint32_t day = 0;
        char dom[SMTPC_DNS_NAME_BUF];
        size_t len = 0;
        int rc = smtpc_tlsrpt_log_list(&g_log, idx, &day, dom, sizeof(dom));
        if (rc != SMTPC_OK) {
            FUZZ_CHECK(rc == SMTPC_ERR_NOT_FOUND);
            break;
        }
        if (smtpc_tlsrpt_log_load(&g_log, day, dom, &g_rep) != SMTPC_OK) {
            continue;
        }
        fuzz_check_report(&g_rep, day, dom);
        memset(g_out, 0x7E, sizeof(g_out));
        rc = smtpc_tlsrpt_render(&g_rep, &meta, g_arena, sizeof(g_arena), g_out, cap, &len);
        FUZZ_CHECK(g_out[cap] == 0x7E);
        if (getenv("SMTPC_FUZZ_VERBOSE") != NULL) {
            fprintf(stderr, "render %s day %u: rc %d, %zu bytes\n", dom, (unsigned)day, rc, len);
        }
        if (rc == SMTPC_OK) {
            FUZZ_CHECK(len < cap && g_out[len] == '\0' && strlen(g_out) == len);
            check_json(&g_rep, g_out, len);
        } else {
            FUZZ_CHECK(rc == SMTPC_ERR_NO_SPACE || rc == SMTPC_ERR_BAD_ARG);
        }
    }
    fuzz_flash_clean(&g_fl);
    return 0;
}

#else

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)data;
    (void)size;
    return 0;
}

#endif
