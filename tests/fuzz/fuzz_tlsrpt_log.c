/* Fuzz target: the TLS-RPT compact log reader (smtpc_tlsrpt.c) over
 * arbitrary flash images: mount, list, load, then record and remove.
 *
 * Input: byte 0 picks the geometry (fuzz_flash_common.h), the rest is the
 * image.
 * Invariants: mount succeeds on any image; listing ends within the store's
 * key count; every listed report loads as OK or CACHE_CORRUPT (never
 * anything else) and a loaded report is well formed (counts within their
 * arrays, detail policy indexes and MX offsets inside the report, result
 * types known); the schedule names a listed report; a recorded failure is
 * counted in the log (or the log says why not); a removed report is gone,
 * also after a remount; nothing is programmed over live bytes. */
#include "fuzz_tlsrpt_log_common.h"

#if SMTPC_ENABLE_TLSRPT

static smtpc_tlsrpt_log_t g_log;
static smtpc_flash_ram_t g_fl;
static smtpc_tlsrpt_report_t g_rep;

typedef struct {
    uint32_t day;
    char domain[SMTPC_DNS_NAME_BUF];
} ref_t;

static ref_t g_refs[SMTPC_KVS_MAX_KEYS + 1];

static unsigned list_and_load(void)
{
    unsigned idx;
    for (idx = 0;; idx++) {
        ref_t *r = &g_refs[idx];
        int rc;
        FUZZ_CHECK(idx <= SMTPC_KVS_MAX_KEYS);
        memset(r, 0, sizeof(*r));
        rc = smtpc_tlsrpt_log_list(&g_log, idx, &r->day, r->domain, sizeof(r->domain));
        if (rc == SMTPC_ERR_NOT_FOUND) {
            break;
        }
        FUZZ_CHECK(rc == SMTPC_OK);
        FUZZ_CHECK(strnlen(r->domain, sizeof(r->domain)) < sizeof(r->domain));
        memset(&g_rep, 0x5A, sizeof(g_rep));
        rc = smtpc_tlsrpt_log_load(&g_log, r->day, r->domain, &g_rep);
        FUZZ_CHECK(rc == SMTPC_OK || rc == SMTPC_ERR_CACHE_CORRUPT);
        if (rc == SMTPC_OK) {
            fuzz_check_report(&g_rep, r->day, r->domain);
        }
    }
    return idx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    smtpc_tls_event_t ev;
    uint32_t day = 0;
    char dom[SMTPC_DNS_NAME_BUF];
    unsigned n, i;
    int rc;

    (void)fuzz_flash_setup(&g_fl, data, size);
    memset(&g_log, 0, sizeof(g_log));
    rc = smtpc_tlsrpt_log_mount(&g_log, &g_fl.ops, &g_fl, &k_fuzz_clock, NULL);
    FUZZ_CHECK(rc == SMTPC_OK);
    n = list_and_load();
    fuzz_flash_clean(&g_fl);

    rc = smtpc_tlsrpt_log_due(&g_log, 1790000000u + 86400u * 400u, 0, &day, dom, sizeof(dom));
    if (rc == SMTPC_OK) {
        int found = 0;
        for (i = 0; i < n; i++) {
            found |= g_refs[i].day == day && strcmp(g_refs[i].domain, dom) == 0;
        }
        FUZZ_CHECK(found);
    } else {
        FUZZ_CHECK(rc == SMTPC_ERR_NOT_FOUND);
    }

    /* record one failure: counted, or the log says why not */
    memset(&ev, 0, sizeof(ev));
    ev.kind = SMTPC_EV_SESSION;
    ev.err = SMTPC_ERR_TLS_CERT_EXPIRED;
    ev.cert = SMTPC_CERT_EXPIRED;
    ev.domain = "fuzz.example";
    ev.policy_id = "";
    ev.mx_host = "mx.fuzz.example";
    ev.rpt = SMTPC_RPT_PUBLISHED;
    ev.tls_reached = SMTPC_REACHED_ENCRYPTED;
    ev.ip_len = 4;
    memcpy(ev.ip, "\xc0\x00\x02\x07", 4);
    rc = smtpc_tlsrpt_log_record(&g_log, &ev, 1790000000u);
    FUZZ_CHECK(rc == SMTPC_OK || rc == SMTPC_ERR_TLSRPT_OVERFLOW || rc == SMTPC_ERR_NO_SPACE ||
               rc == SMTPC_ERR_CACHE_FULL);
    FUZZ_CHECK(smtpc_tlsrpt_log_stats(&g_log)->recorded + smtpc_tlsrpt_log_stats(&g_log)->dropped +
                   smtpc_tlsrpt_log_stats(&g_log)->ignored >=
               1u);
    (void)smtpc_tlsrpt_log_flush(&g_log);
    fuzz_flash_clean(&g_fl);

    /* remove the first listed report: gone, also after a remount */
    if (n > 0) {
        ref_t r = g_refs[0];
        rc = smtpc_tlsrpt_log_remove(&g_log, r.day, r.domain);
        if (rc == SMTPC_OK) {
            FUZZ_CHECK(smtpc_tlsrpt_log_load(&g_log, r.day, r.domain, &g_rep) ==
                       SMTPC_ERR_NOT_FOUND);
            FUZZ_CHECK(smtpc_tlsrpt_log_mount(&g_log, &g_fl.ops, &g_fl, &k_fuzz_clock, NULL) ==
                       SMTPC_OK);
            FUZZ_CHECK(smtpc_tlsrpt_log_load(&g_log, r.day, r.domain, &g_rep) ==
                       SMTPC_ERR_NOT_FOUND);
        }
    }
    (void)list_and_load();
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
