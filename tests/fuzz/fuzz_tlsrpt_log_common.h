/* The TLS-RPT compact log over an arbitrary flash image: mount, list every
 * report and load each one, checking what a loaded report may hold. Shared
 * by the log and render targets. */
#ifndef SMTPC_FUZZ_TLSRPT_LOG_COMMON_H
#define SMTPC_FUZZ_TLSRPT_LOG_COMMON_H

#include <string.h>

#include "smtpc/tlsrpt.h"

#include "fuzz_flash_common.h"

static uint32_t fuzz_clock_ms(void *ctx)
{
    (void)ctx;
    return 1000u;
}

static uint64_t fuzz_clock_utc(void *ctx)
{
    (void)ctx;
    return 1790000000u;
}

static const smtpc_clock_ops_t k_fuzz_clock = {fuzz_clock_ms, fuzz_clock_utc};

/* What any report the log hands out must satisfy. */
static inline void fuzz_check_report(const smtpc_tlsrpt_report_t *r, uint32_t day,
                                     const char *domain)
{
    unsigned i;
    FUZZ_CHECK(r->day == day);
    FUZZ_CHECK(strnlen(r->domain, sizeof(r->domain)) < sizeof(r->domain));
    FUZZ_CHECK(strcmp(r->domain, domain) == 0);
    FUZZ_CHECK(r->policy_count <= SMTPC_TLSRPT_POLICIES);
    FUZZ_CHECK(r->detail_count <= SMTPC_TLSRPT_DETAILS);
    FUZZ_CHECK(r->mx_pool_len <= sizeof(r->mx_pool));
    for (i = 0; i < r->policy_count; i++) {
        const smtpc_rpt_policy_t *p = &r->policies[i];
        FUZZ_CHECK(p->type <= SMTPC_RPT_POLICY_STS_UNKNOWN);
        if (p->type == SMTPC_RPT_POLICY_STS) {
            FUZZ_CHECK(p->policy.mode <= SMTPC_STS_MODE_ENFORCE);
            FUZZ_CHECK(p->policy.mx_count <= SMTPC_STS_MAX_MX_PATTERNS);
            FUZZ_CHECK(p->policy.mx_pool_len <= sizeof(p->policy.mx_pool));
        }
    }
    for (i = 0; i < r->detail_count; i++) {
        const smtpc_rpt_detail_t *d = &r->details[i];
        FUZZ_CHECK(d->policy < r->policy_count);
        FUZZ_CHECK(d->result > SMTPC_RPT_SUCCESS && d->result < SMTPC_RPT_RESULT_COUNT_);
        FUZZ_CHECK(d->ip.len == 0 || d->ip.len == 4 || d->ip.len == 16);
        if (d->mx != 0xFFFFu) {
            FUZZ_CHECK(d->mx < r->mx_pool_len);
            FUZZ_CHECK(memchr(r->mx_pool + d->mx, '\0', r->mx_pool_len - d->mx) != NULL);
        }
    }
}

#endif /* SMTPC_FUZZ_TLSRPT_LOG_COMMON_H */
