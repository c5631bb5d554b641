/* RFC 8460 §4 report JSON from a decoded report (smtpc/tlsrpt.h).
 *
 * The only core file that includes cJSON. The tree is built on the caller's
 * arena: cJSON's hooks point at a bump allocator for the duration of the
 * call (free is a no-op, the arena is simply dropped afterwards) and are
 * reset to cJSON's defaults before returning. Keys are constant strings
 * (cJSON_AddItemToObjectCS) and values are references to text kept in the
 * report or carved from the same arena, so the arena holds little more
 * than the nodes themselves. The tree is printed with
 * cJSON_PrintPreallocated into the caller's buffer: no heap at any point.
 *
 * smtpc_tlsrpt_rfc3339() does not need cJSON and is always built. */
#include <string.h>

#include "smtpc/tlsrpt.h"
#include "smtpc_priv.h"

#define RPT_DAY_S 86400u

/* days since 1970-01-01 to a proleptic Gregorian (y, m, d): shift the year
 * to start in March so the leap day is the last day of the shifted year,
 * then split into 400-year eras of 146097 days. */
static void rpt_civil(uint32_t days, uint32_t *y, uint32_t *m, uint32_t *d)
{
    uint32_t z = days + 719468u; /* days since 0000-03-01 */
    uint32_t era = z / 146097u;
    uint32_t doe = z - era * 146097u;
    uint32_t yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u;
    uint32_t doy = doe - (365u * yoe + yoe / 4u - yoe / 100u);
    uint32_t mp = (5u * doy + 2u) / 153u;
    uint32_t dd = doy - (153u * mp + 2u) / 5u + 1u;
    uint32_t mm = mp < 10u ? mp + 3u : mp - 9u;
    uint32_t yy = yoe + era * 400u + (mm <= 2u ? 1u : 0u);
    *y = yy;
    *m = mm;
    *d = dd;
}

static void rpt_dig(char *out, uint32_t v, size_t n)
{
    while (n > 0u) {
        n--;
        out[n] = (char)('0' + v % 10u);
        v /= 10u;
    }
}

size_t smtpc_tlsrpt_rfc3339(uint64_t t, char *out)
{
    uint32_t y;
    uint32_t m;
    uint32_t d;
    uint32_t sod = (uint32_t)(t % RPT_DAY_S);
    uint64_t days = t / RPT_DAY_S;
    if (out == NULL) {
        return 0;
    }
    if (days > 2932896u) { /* beyond 9999-12-31: clamp to a 4-digit year */
        days = 2932896u;
        sod = RPT_DAY_S - 1u;
    }
    rpt_civil((uint32_t)days, &y, &m, &d);
    rpt_dig(out, y, 4);
    out[4] = '-';
    rpt_dig(out + 5, m, 2);
    out[7] = '-';
    rpt_dig(out + 8, d, 2);
    out[10] = 'T';
    rpt_dig(out + 11, sod / 3600u, 2);
    out[13] = ':';
    rpt_dig(out + 14, sod / 60u % 60u, 2);
    out[16] = ':';
    rpt_dig(out + 17, sod % 60u, 2);
    out[19] = 'Z';
    out[20] = '\0';
    return 20;
}

#if SMTPC_ENABLE_TLSRPT_JSON

#include <limits.h>

#include <cjson/cJSON.h>

/* ------------------------------------------------------------ arena --- */

/* The arena of the render in progress (cJSON's hooks take no context). */
static uint8_t *rpt_arena;
static size_t rpt_arena_len;
static size_t rpt_arena_off;

#define RPT_ALIGN 8u

static void *rpt_alloc(size_t n)
{
    size_t mis = (size_t)((uintptr_t)(rpt_arena + rpt_arena_off) % RPT_ALIGN);
    size_t off = rpt_arena_off + (mis != 0u ? RPT_ALIGN - mis : 0u);
    if (rpt_arena == NULL || off > rpt_arena_len || n > rpt_arena_len - off) {
        return NULL;
    }
    rpt_arena_off = off + n;
    return rpt_arena + off;
}

static void rpt_free(void *p)
{
    (void)p; /* the whole arena is dropped after the call */
}

/* A copy of @p n bytes of @p s in the arena, NUL-terminated. */
static const char *rpt_text(const char *s, size_t n)
{
    char *t = (char *)rpt_alloc(n + 1u);
    if (t != NULL) {
        memcpy(t, s, n);
        t[n] = '\0';
    }
    return t;
}

/* ------------------------------------------------------- tree helpers --- */

/* Sticky failure: any node that could not be made or attached sets it, and
 * the render ends with SMTPC_ERR_NO_SPACE (the arena is the only thing that
 * can run out). */
typedef struct {
    int fail;
} rpt_b_t;

static cJSON *rpt_attach(rpt_b_t *b, cJSON *parent, const char *key, cJSON *item)
{
    if (item == NULL || parent == NULL) {
        b->fail = 1;
        return NULL;
    }
    if (key != NULL ? !cJSON_AddItemToObjectCS(parent, key, item)
                    : !cJSON_AddItemToArray(parent, item)) {
        b->fail = 1;
        return NULL;
    }
    return item;
}

/* A string value by reference (@p s must outlive the print). Never empty. */
static void rpt_str(rpt_b_t *b, cJSON *parent, const char *key, const char *s)
{
    if (s == NULL || s[0] == '\0') {
        b->fail = 1;
        return;
    }
    (void)rpt_attach(b, parent, key, cJSON_CreateStringReference(s));
}

static void rpt_num(rpt_b_t *b, cJSON *parent, const char *key, uint32_t v)
{
    (void)rpt_attach(b, parent, key, cJSON_CreateNumber((double)v));
}

/* "<prefix><value>" copied into the arena. */
static const char *rpt_join(const char *prefix, const char *s, size_t n)
{
    size_t pl = smtpc_strnlen_(prefix, 32);
    char *t = (char *)rpt_alloc(pl + n + 1u);
    if (t != NULL) {
        memcpy(t, prefix, pl);
        memcpy(t + pl, s, n);
        t[pl + n] = '\0';
    }
    return t;
}

static size_t rpt_u32(uint32_t v, char out[11])
{
    char tmp[10];
    size_t n = 0;
    size_t i;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    for (i = 0; i < n; i++) {
        out[i] = tmp[n - 1u - i];
    }
    out[n] = '\0';
    return n;
}

/* ---------------------------------------------------------- addresses --- */

static size_t rpt_ipv4(const uint8_t *a, char *out)
{
    size_t n = 0;
    unsigned i;
    for (i = 0; i < 4u; i++) {
        n += rpt_u32(a[i], out + n);
        if (i < 3u) {
            out[n++] = '.';
        }
    }
    out[n] = '\0';
    return n;
}

static size_t rpt_hex16(unsigned v, char *out)
{
    static const char hx[] = "0123456789abcdef";
    size_t n = 0;
    int shift;
    int started = 0;
    for (shift = 12; shift >= 0; shift -= 4) {
        unsigned nib = (v >> (unsigned)shift) & 0xFu;
        if (nib != 0u || started || shift == 0) {
            out[n++] = hx[nib];
            started = 1;
        }
    }
    return n;
}

/* RFC 5952 §4: lower-case hex, no leading zeros, the longest run of two or
 * more zero groups (the first one on a tie) as "::"; §5: an IPv4-mapped
 * address ends in dotted decimal. At most 45 characters. */
static size_t rpt_ipv6(const uint8_t *a, char *out)
{
    unsigned g[8];
    int best = -1;
    int best_len = 0;
    int i;
    size_t n = 0;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a, mapped, sizeof(mapped)) == 0) {
        memcpy(out, "::ffff:", 7);
        return 7u + rpt_ipv4(a + 12, out + 7);
    }
    for (i = 0; i < 8; i++) {
        g[i] = ((unsigned)a[2u * (size_t)i] << 8) | a[2u * (size_t)i + 1u];
    }
    for (i = 0; i < 8;) {
        int j = i;
        while (j < 8 && g[j] == 0u) {
            j++;
        }
        if (j - i > best_len && j - i >= 2) {
            best = i;
            best_len = j - i;
        }
        i = j > i ? j : i + 1;
    }
    for (i = 0; i < 8; i++) {
        if (i == best) {
            out[n++] = ':';
            out[n++] = ':';
            i += best_len - 1;
            continue;
        }
        if (i > 0 && i != best + best_len) {
            out[n++] = ':';
        }
        n += rpt_hex16(g[i], out + n);
    }
    out[n] = '\0';
    return n;
}

/* ------------------------------------------------------------- render --- */

static cJSON *rpt_policy(rpt_b_t *b, const smtpc_tlsrpt_report_t *r, const smtpc_rpt_policy_t *p)
{
    cJSON *pol = cJSON_CreateObject();
    char num[11];
    size_t off;
    unsigned k;
    if (pol == NULL) {
        b->fail = 1;
        return NULL;
    }
    rpt_str(b, pol, "policy-type",
            p->type == SMTPC_RPT_POLICY_NONE_FOUND ? "no-policy-found" : "sts");
    if (p->type == SMTPC_RPT_POLICY_STS) {
        const smtpc_sts_policy_t *sp = &p->policy;
        cJSON *ps = rpt_attach(b, pol, "policy-string", cJSON_CreateArray());
        const char *mode = smtpc_sts_mode_name(sp->mode);
        rpt_str(b, ps, NULL, "version: STSv1");
        rpt_str(b, ps, NULL, rpt_join("mode: ", mode, smtpc_strnlen_(mode, 16)));
        for (k = 0, off = 0; k < sp->mx_count && off < sp->mx_pool_len; k++) {
            size_t n = smtpc_strnlen_(sp->mx_pool + off, (size_t)(sp->mx_pool_len - off));
            if (n == 0u || off + n >= sp->mx_pool_len) {
                break; /* a pool without its NUL: stop at what is sound */
            }
            rpt_str(b, ps, NULL, rpt_join("mx: ", sp->mx_pool + off, n));
            off += n + 1u;
        }
        rpt_str(b, ps, NULL, rpt_join("max_age: ", num, rpt_u32(sp->max_age, num)));
    }
    rpt_str(b, pol, "policy-domain", r->domain);
    if (p->type == SMTPC_RPT_POLICY_STS && p->policy.mx_count > 0u) {
        const smtpc_sts_policy_t *sp = &p->policy;
        cJSON *mh = rpt_attach(b, pol, "mx-host", cJSON_CreateArray());
        for (k = 0, off = 0; k < sp->mx_count && off < sp->mx_pool_len; k++) {
            size_t n = smtpc_strnlen_(sp->mx_pool + off, (size_t)(sp->mx_pool_len - off));
            if (n == 0u || off + n >= sp->mx_pool_len) {
                break;
            }
            rpt_str(b, mh, NULL, sp->mx_pool + off);
            off += n + 1u;
        }
    }
    return pol;
}

static void rpt_detail(rpt_b_t *b, cJSON *arr, const smtpc_tlsrpt_report_t *r,
                       const smtpc_rpt_detail_t *d, const char *sending_ip)
{
    cJSON *o = rpt_attach(b, arr, NULL, cJSON_CreateObject());
    char txt[64];
    size_t n;
    if (o == NULL) {
        return;
    }
    rpt_str(b, o, "result-type", smtpc_tlsrpt_result_name(d->result));
    if (sending_ip != NULL && sending_ip[0] != '\0') {
        rpt_str(b, o, "sending-mta-ip", sending_ip);
    }
    if (d->mx != 0xFFFFu && d->mx < r->mx_pool_len && d->mx < sizeof(r->mx_pool) &&
        r->mx_pool[d->mx] != '\0') {
        size_t lim = (size_t)(r->mx_pool_len - d->mx);
        n = smtpc_strnlen_(r->mx_pool + d->mx, lim);
        if (n < lim) {
            rpt_str(b, o, "receiving-mx-hostname", r->mx_pool + d->mx);
        }
    }
    if (d->ip.len == 4u || d->ip.len == 16u) {
        n = d->ip.len == 4u ? rpt_ipv4(d->ip.addr, txt) : rpt_ipv6(d->ip.addr, txt);
        rpt_str(b, o, "receiving-ip", rpt_text(txt, n));
    }
    rpt_num(b, o, "failed-session-count", d->count);
    n = smtpc_tlsrpt_reason_text(d->reason_ns, d->reason, txt, sizeof(txt));
    if (n > 0u && n < sizeof(txt)) {
        rpt_str(b, o, "failure-reason-code", rpt_text(txt, n));
    }
}

/* A report the renderer can state truthfully: at least one policy, every
 * detail pointing at one, counted, of a failure type, and each policy's
 * failure total equal to the sum of its details. */
static int rpt_check(const smtpc_tlsrpt_report_t *r)
{
    uint64_t sum[SMTPC_TLSRPT_POLICIES];
    unsigned i;
    if (r->policy_count == 0u || r->policy_count > SMTPC_TLSRPT_POLICIES ||
        r->detail_count > SMTPC_TLSRPT_GROUPS || r->domain[0] == '\0' ||
        smtpc_strnlen_(r->domain, sizeof(r->domain) - 1u) > sizeof(r->domain) - 1u ||
        r->mx_pool_len > sizeof(r->mx_pool)) {
        return SMTPC_ERR_BAD_ARG;
    }
    memset(sum, 0, sizeof(sum));
    for (i = 0; i < r->detail_count; i++) {
        const smtpc_rpt_detail_t *d = &r->details[i];
        if (d->policy >= r->policy_count || d->result == SMTPC_RPT_SUCCESS ||
            d->result >= SMTPC_RPT_RESULT_COUNT_ || d->count == 0u) {
            return SMTPC_ERR_BAD_ARG;
        }
        sum[d->policy] += d->count;
    }
    for (i = 0; i < r->policy_count; i++) {
        if (r->policies[i].type > SMTPC_RPT_POLICY_STS_UNKNOWN ||
            sum[i] != r->policies[i].failure) {
            return SMTPC_ERR_BAD_ARG;
        }
    }
    return SMTPC_OK;
}

static int rpt_meta_ok(const smtpc_tlsrpt_meta_t *m)
{
    return m != NULL && m->org != NULL && m->org[0] != '\0' && m->contact != NULL &&
           m->contact[0] != '\0' && (m->report_id == NULL || m->report_id[0] != '\0');
}

/* The default report-id: "<YYYY-MM-DD>_<domain>[_<unique>]". */
static const char *rpt_default_id(const smtpc_tlsrpt_report_t *r, const char *unique)
{
    char date[21];
    size_t dl = smtpc_strnlen_(r->domain, sizeof(r->domain));
    size_t ul = unique != NULL ? smtpc_strnlen_(unique, 64) : 0u;
    char *t;
    size_t n;
    if (ul > 64u) {
        ul = 64u;
    }
    (void)smtpc_tlsrpt_rfc3339((uint64_t)r->day * RPT_DAY_S, date);
    t = (char *)rpt_alloc(10u + 1u + dl + 1u + ul + 1u);
    if (t == NULL) {
        return NULL;
    }
    memcpy(t, date, 10);
    t[10] = '_';
    memcpy(t + 11, r->domain, dl);
    n = 11u + dl;
    if (ul > 0u) {
        t[n++] = '_';
        memcpy(t + n, unique, ul);
        n += ul;
    }
    t[n] = '\0';
    return t;
}

static cJSON *rpt_tree(rpt_b_t *b, const smtpc_tlsrpt_report_t *r, const smtpc_tlsrpt_meta_t *m)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *dr;
    cJSON *pols;
    char t[21];
    unsigned i;
    unsigned k;
    uint64_t start = (uint64_t)r->day * RPT_DAY_S;
    if (root == NULL) {
        b->fail = 1;
        return NULL;
    }
    rpt_str(b, root, "organization-name", m->org);
    dr = rpt_attach(b, root, "date-range", cJSON_CreateObject());
    (void)smtpc_tlsrpt_rfc3339(start, t);
    rpt_str(b, dr, "start-datetime", rpt_text(t, 20));
    (void)smtpc_tlsrpt_rfc3339(start + RPT_DAY_S - 1u, t);
    rpt_str(b, dr, "end-datetime", rpt_text(t, 20));
    rpt_str(b, root, "contact-info", m->contact);
    rpt_str(b, root, "report-id",
            m->report_id != NULL ? m->report_id : rpt_default_id(r, m->unique));
    pols = rpt_attach(b, root, "policies", cJSON_CreateArray());
    for (i = 0; i < r->policy_count && !b->fail; i++) {
        const smtpc_rpt_policy_t *p = &r->policies[i];
        cJSON *e = rpt_attach(b, pols, NULL, cJSON_CreateObject());
        cJSON *sum;
        (void)rpt_attach(b, e, "policy", rpt_policy(b, r, p));
        sum = rpt_attach(b, e, "summary", cJSON_CreateObject());
        rpt_num(b, sum, "total-successful-session-count", p->success);
        rpt_num(b, sum, "total-failure-session-count", p->failure);
        if (p->failure > 0u) {
            cJSON *fd = rpt_attach(b, e, "failure-details", cJSON_CreateArray());
            for (k = 0; k < r->detail_count; k++) {
                if (r->details[k].policy == i) {
                    rpt_detail(b, fd, r, &r->details[k], m->sending_ip);
                }
            }
        }
    }
    return root;
}

int smtpc_tlsrpt_render(const smtpc_tlsrpt_report_t *r, const smtpc_tlsrpt_meta_t *meta,
                        uint8_t *arena, size_t arena_len, char *out, size_t cap, size_t *len)
{
    rpt_b_t b;
    cJSON *root;
    int rc;
    if (len != NULL) {
        *len = 0;
    }
    if (r == NULL || !rpt_meta_ok(meta) || arena == NULL || out == NULL || len == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    rc = rpt_check(r);
    if (rc != SMTPC_OK) {
        return rc;
    }
    if (cap > 0u) {
        out[0] = '\0';
    }
    b.fail = 0;
    rpt_arena = arena;
    rpt_arena_len = arena_len;
    rpt_arena_off = 0;
#if SMTPC_TLSRPT_CJSON_HOOKS
    {
        cJSON_Hooks h;
        h.malloc_fn = rpt_alloc;
        h.free_fn = rpt_free;
        cJSON_InitHooks(&h);
    }
#endif
    root = rpt_tree(&b, r, meta);
    rc = SMTPC_OK;
    if (b.fail || root == NULL || cap < 2u ||
        !cJSON_PrintPreallocated(root, out, cap > (size_t)INT_MAX ? INT_MAX : (int)cap, 0)) {
        rc = SMTPC_ERR_NO_SPACE; /* the arena ran out, or the text does not fit @p out */
    } else {
        size_t n = smtpc_strnlen_(out, cap - 1u);
        if (n >= cap) {
            rc = SMTPC_ERR_NO_SPACE;
        } else {
            *len = n;
        }
    }
    if (rc != SMTPC_OK && cap > 0u) {
        out[0] = '\0';
    }
#if SMTPC_TLSRPT_CJSON_HOOKS
    cJSON_InitHooks(NULL);
#endif
    rpt_arena = NULL;
    rpt_arena_len = 0;
    rpt_arena_off = 0;
    return rc;
}

#endif /* SMTPC_ENABLE_TLSRPT_JSON */
