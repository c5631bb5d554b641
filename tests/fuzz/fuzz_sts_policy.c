/* Fuzz target: MTA-STS policy body parser and MX matching
 * (smtpc_stsparse.c, RFC 8461 §3.2 and §4.1).
 *
 * Input: the policy body. After a NUL byte (if any), the rest is an MX host
 * name to match against the parsed patterns.
 * Invariants: a parsed policy has a known mode, max_age within the RFC's
 * bound, at most SMTPC_STS_MAX_MX_PATTERNS patterns packed into the pool as
 * exactly mx_count lower-case NUL-terminated strings filling mx_pool_len;
 * the policy printed back as a body parses to the same policy; every
 * pattern matches its own name (a wildcard one, its name with a label in
 * front); smtpc_sts_mx_allowed() agrees with matching each pattern. */
#include <string.h>

#include "smtpc/sts.h"

#include "fuzz_common.h"

static char g_body[SMTPC_STS_MX_POOL * 2 + 256];

static void check_pool(const smtpc_sts_policy_t *p)
{
    size_t off = 0;
    unsigned n = 0;
    FUZZ_CHECK(p->mx_pool_len <= sizeof(p->mx_pool));
    FUZZ_CHECK(p->mx_count <= SMTPC_STS_MAX_MX_PATTERNS);
    while (off < p->mx_pool_len) {
        size_t l = strnlen(p->mx_pool + off, p->mx_pool_len - off);
        size_t i;
        FUZZ_CHECK(off + l < p->mx_pool_len); /* NUL-terminated inside */
        FUZZ_CHECK(l > 0);
        for (i = 0; i < l; i++) {
            char c = p->mx_pool[off + i];
            FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
        }
        off += l + 1u;
        n++;
    }
    FUZZ_CHECK(n == p->mx_count);
}

static size_t print_policy(const smtpc_sts_policy_t *p, char *out, size_t cap)
{
    size_t o = 0, off = 0;
    int n = snprintf(out, cap, "version: STSv1\r\nmode: %s\r\n", smtpc_sts_mode_name(p->mode));
    FUZZ_CHECK(n > 0 && (size_t)n < cap);
    o = (size_t)n;
    while (off < p->mx_pool_len) {
        const char *pat = p->mx_pool + off;
        n = snprintf(out + o, cap - o, "mx: %s\n", pat);
        FUZZ_CHECK(n > 0 && (size_t)n < cap - o);
        o += (size_t)n;
        off += strlen(pat) + 1u;
    }
    n = snprintf(out + o, cap - o, "max_age: %lu\r\n", (unsigned long)p->max_age);
    FUZZ_CHECK(n > 0 && (size_t)n < cap - o);
    return o + (size_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static smtpc_sts_policy_t pol, again;
    const char *body = (const char *)data;
    const char *nul = memchr(data, '\0', size);
    size_t blen = nul ? (size_t)(nul - body) : size;
    char host[300];
    size_t off, hlen = 0;
    int rc, any = 0;

    memset(&pol, 0x5A, sizeof(pol));
    rc = smtpc_sts_policy_parse(body, size, &pol); /* with the NUL and what follows */
    FUZZ_CHECK(rc == SMTPC_OK || rc == SMTPC_ERR_STS_POLICY_INVALID || rc == SMTPC_ERR_NO_SPACE ||
               (rc == SMTPC_ERR_HTTP_TOO_LARGE && size > SMTPC_STS_POLICY_MAX));
    memset(&pol, 0, sizeof(pol));
    rc = smtpc_sts_policy_parse(body, blen, &pol);
    if (rc != SMTPC_OK) {
        FUZZ_CHECK(rc == SMTPC_ERR_STS_POLICY_INVALID || rc == SMTPC_ERR_NO_SPACE ||
                   (rc == SMTPC_ERR_HTTP_TOO_LARGE && blen > SMTPC_STS_POLICY_MAX));
        return 0;
    }
    FUZZ_CHECK(pol.mode <= SMTPC_STS_MODE_ENFORCE);
    FUZZ_CHECK(pol.max_age <= 31557600u);
    FUZZ_CHECK(pol.mx_count > 0 || pol.mode == SMTPC_STS_MODE_NONE);
    check_pool(&pol);

    /* print and parse back */
    {
        size_t n = print_policy(&pol, g_body, sizeof(g_body));
        memset(&again, 0, sizeof(again));
        FUZZ_CHECK(smtpc_sts_policy_parse(g_body, n, &again) == SMTPC_OK);
        FUZZ_CHECK(again.mode == pol.mode && again.max_age == pol.max_age);
        FUZZ_CHECK(again.mx_count == pol.mx_count && again.mx_pool_len == pol.mx_pool_len);
        FUZZ_CHECK(memcmp(again.mx_pool, pol.mx_pool, pol.mx_pool_len) == 0);
    }

    /* each pattern matches its own name */
    for (off = 0; off < pol.mx_pool_len; off += strlen(pol.mx_pool + off) + 1u) {
        const char *pat = pol.mx_pool + off;
        char name[300];
        if (pat[0] == '*' && pat[1] == '.') {
            snprintf(name, sizeof(name), "x%s", pat + 1);
            FUZZ_CHECK(smtpc_sts_mx_match(pat, name));
            FUZZ_CHECK(!smtpc_sts_mx_match(pat, pat + 2)); /* exactly one label */
        } else {
            FUZZ_CHECK(smtpc_sts_mx_match(pat, pat));
            snprintf(name, sizeof(name), "%s.", pat);
            FUZZ_CHECK(smtpc_sts_mx_match(pat, name)); /* trailing dot ignored */
        }
    }

    /* the host after the NUL */
    if (nul != NULL) {
        hlen = size - blen - 1u;
        if (hlen > sizeof(host) - 1u) {
            hlen = sizeof(host) - 1u;
        }
        memcpy(host, nul + 1, hlen);
    }
    host[hlen] = '\0';
    for (off = 0; off < pol.mx_pool_len; off += strlen(pol.mx_pool + off) + 1u) {
        any |= smtpc_sts_mx_match(pol.mx_pool + off, host) != 0;
    }
    FUZZ_CHECK((smtpc_sts_mx_allowed(&pol, host) != 0) == any);
    return 0;
}
