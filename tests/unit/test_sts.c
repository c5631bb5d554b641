/* MTA-STS cache decision and discovery/fetch engine (smtpc_sts.c) and the
 * RAM policy store (smtpc_sts_ram.c), RFC 8461 §3.3, §5.1, §10.2:
 *  - the pure decision (smtpc_sts_need_fetch / smtpc_sts_settle) as a table,
 *    one row per rule of ../shared/notes/mtasts.md (iv);
 *  - the RAM store (get/put/iter, replacement, eviction order);
 *  - smtpc_sts_refresh_due;
 *  - the engine over the fakes: TXT answers from fake_dgram, the HTTPS fetch
 *    through fake_net + fake_tls + a scripted server on fake_stream, a
 *    virtual clock (fake_clock). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "smtpc/dns.h"
#include "smtpc/err.h"
#include "smtpc/sts.h"

#include "fake_clock.h"
#include "fake_dgram.h"
#include "fake_net.h"
#include "fake_stream.h"
#include "fake_tls.h"

#define T0    1000000u    /* monotonic ms at the start of every engine test */
#define NOW   1767225600u /* fake_clock's default wall clock: 2026-01-01 */
#define DAY   86400u
#define RETRY SMTPC_STS_RETRY_S

/* ============================================================ policies === */

static smtpc_sts_policy_t mkpol(uint8_t mode, uint32_t max_age, const char *mx)
{
    smtpc_sts_policy_t p;
    size_t n = mx != NULL ? strlen(mx) : 0u;
    memset(&p, 0, sizeof(p));
    p.mode = mode;
    p.max_age = max_age;
    if (n > 0u) {
        memcpy(p.mx_pool, mx, n + 1u);
        p.mx_pool_len = (uint16_t)(n + 1u);
        p.mx_count = 1;
    }
    return p;
}

static smtpc_sts_txt_t mktxt(const char *id)
{
    smtpc_sts_txt_t t;
    memset(&t, 0, sizeof(t));
    t.id_len = (uint8_t)strlen(id);
    memcpy(t.id, id, t.id_len + 1u);
    return t;
}

/* ====================================================== decision table === */

/* Cache state of one domain, as a row gives it. */
typedef struct {
    uint8_t has_policy;
    const char *id;
    uint64_t fetched_at;
    uint32_t max_age;
    uint8_t mode;
    const char *fail_id;
    uint64_t fail_at;
} ent_t;

enum { NOPOL = 0, POL_OLD, POL_NEW, POL_NONE, POL_AGE0 };
enum { FETCH_OK = 0, FETCH_FAIL = 1 };

typedef struct {
    const char *rule;
    ent_t before;
    uint64_t now;
    int txt_rc;
    const char *txt_id; /* used when txt_rc == SMTPC_OK */
    unsigned flags;
    int need;        /* expected smtpc_sts_need_fetch() */
    int fetch;       /* FETCH_OK / FETCH_FAIL, when need */
    int fetched_pol; /* POL_* returned by a successful fetch */
    int applied;
    int changed;
    ent_t after;
} row_t;

static smtpc_sts_policy_t pol_of(int which)
{
    switch (which) {
    case POL_OLD:
        return mkpol(SMTPC_STS_MODE_ENFORCE, DAY, "mx.example.com");
    case POL_NEW:
        return mkpol(SMTPC_STS_MODE_TESTING, 7u * DAY, "*.example.net");
    case POL_NONE:
        return mkpol(SMTPC_STS_MODE_NONE, DAY, NULL);
    case POL_AGE0:
        return mkpol(SMTPC_STS_MODE_ENFORCE, 0, "mx0.example.com");
    default:
        return mkpol(0, 0, NULL);
    }
}

static void ent_fill(smtpc_sts_entry_t *e, const ent_t *s)
{
    memset(e, 0, sizeof(*e));
    strcpy(e->domain, "example.com");
    if (s->id != NULL) {
        strcpy(e->id, s->id);
    }
    if (s->fail_id != NULL) {
        strcpy(e->fail_id, s->fail_id);
    }
    e->has_policy = s->has_policy;
    e->fetched_at = s->fetched_at;
    e->fail_at = s->fail_at;
    if (s->has_policy) {
        e->policy = mkpol(s->mode, s->max_age, "cached.example.com");
    }
}

static void ent_check(const char *rule, const smtpc_sts_entry_t *e, const ent_t *w)
{
    int ok = 1;
    ok &= strcmp(e->domain, "example.com") == 0;
    ok &= e->has_policy == w->has_policy;
    ok &= strcmp(e->id, w->id != NULL ? w->id : "") == 0;
    ok &= strcmp(e->fail_id, w->fail_id != NULL ? w->fail_id : "") == 0;
    ok &= e->fetched_at == w->fetched_at;
    ok &= e->fail_at == w->fail_at;
    if (w->has_policy) {
        ok &= e->policy.mode == w->mode;
        ok &= e->policy.max_age == w->max_age;
    }
    if (!ok) {
        fprintf(stderr,
                "row \"%s\": entry after: has_policy=%u id=\"%s\" fail_id=\"%s\" fetched_at=%llu "
                "fail_at=%llu mode=%u max_age=%u\n"
                "                 expected: has_policy=%u id=\"%s\" fail_id=\"%s\" fetched_at=%llu "
                "fail_at=%llu mode=%u max_age=%u\n",
                rule, e->has_policy, e->id, e->fail_id, (unsigned long long)e->fetched_at,
                (unsigned long long)e->fail_at, e->policy.mode, e->policy.max_age, w->has_policy,
                w->id != NULL ? w->id : "", w->fail_id != NULL ? w->fail_id : "",
                (unsigned long long)w->fetched_at, (unsigned long long)w->fail_at, w->mode,
                w->max_age);
    }
    assert_true(ok);
}

#define E_NONE                                                                                     \
    {                                                                                              \
        0, NULL, 0, 0, 0, NULL, 0                                                                  \
    }
#define E_OLD(fa)                                                                                  \
    {                                                                                              \
        1, "old1", (fa), DAY, SMTPC_STS_MODE_ENFORCE, NULL, 0                                      \
    }
#define E_OLDF(fa, fid, fat)                                                                       \
    {                                                                                              \
        1, "old1", (fa), DAY, SMTPC_STS_MODE_ENFORCE, (fid), (fat)                                 \
    }
#define E_NEW(id, fa)                                                                              \
    {                                                                                              \
        1, (id), (fa), 7u * DAY, SMTPC_STS_MODE_TESTING, NULL, 0                                   \
    }
#define E_FAILONLY(fid, fat)                                                                       \
    {                                                                                              \
        0, NULL, 0, 0, 0, (fid), (fat)                                                             \
    }

static const row_t ROWS[] = {
    /* ---- first contact */
    {"no cache + valid TXT -> fetch; ok -> FETCHED, entry takes id/policy/now", E_NONE, NOW,
     SMTPC_OK, "new1", 0, 1, FETCH_OK, POL_NEW, SMTPC_STS_APPLY_FETCHED, 1, E_NEW("new1", NOW)},
    {"no cache + fetch fails -> NONE, back-off recorded", E_NONE, NOW, SMTPC_OK, "new1", 0, 1,
     FETCH_FAIL, 0, SMTPC_STS_APPLY_NONE, 1, E_FAILONLY("new1", NOW)},
    {"no cache, same id failed 10 s ago -> back-off, NONE", E_FAILONLY("new1", NOW - 10u), NOW,
     SMTPC_OK, "new1", 0, 0, 0, 0, SMTPC_STS_APPLY_NONE, 0, E_FAILONLY("new1", NOW - 10u)},
    /* ---- §5.1 case 1: unchanged id */
    {"fresh cache + same id -> no fetch, CACHED", E_OLD(NOW - 100u), NOW, SMTPC_OK, "old1", 0, 0, 0,
     0, SMTPC_STS_APPLY_CACHED, 0, E_OLD(NOW - 100u)},
    /* ---- case 2: new id */
    {"fresh cache + new id -> fetch; ok -> FETCHED", E_OLD(NOW - 100u), NOW, SMTPC_OK, "new1", 0, 1,
     FETCH_OK, POL_NEW, SMTPC_STS_APPLY_FETCHED, 1, E_NEW("new1", NOW)},
    {"new id + fetch fails -> CACHED, old policy and id kept, fail_id/fail_at set",
     E_OLD(NOW - 100u), NOW, SMTPC_OK, "new1", 0, 1, FETCH_FAIL, 0, SMTPC_STS_APPLY_CACHED, 1,
     E_OLDF(NOW - 100u, "new1", NOW)},
    {"second attempt within RETRY_S -> no fetch (back-off), CACHED",
     E_OLDF(NOW - 100u, "new1", NOW - (RETRY - 1u)), NOW, SMTPC_OK, "new1", 0, 0, 0, 0,
     SMTPC_STS_APPLY_CACHED, 0, E_OLDF(NOW - 100u, "new1", NOW - (RETRY - 1u))},
    {"attempt after RETRY_S -> fetch again; ok clears the back-off",
     E_OLDF(NOW - 100u, "new1", NOW - RETRY), NOW, SMTPC_OK, "new1", 0, 1, FETCH_OK, POL_NEW,
     SMTPC_STS_APPLY_FETCHED, 1, E_NEW("new1", NOW)},
    {"attempt after RETRY_S fails again -> fail_at moves to now",
     E_OLDF(NOW - 100u, "new1", NOW - RETRY), NOW, SMTPC_OK, "new1", 0, 1, FETCH_FAIL, 0,
     SMTPC_STS_APPLY_CACHED, 1, E_OLDF(NOW - 100u, "new1", NOW)},
    {"back-off is per id: a newer id fetches at once", E_OLDF(NOW - 100u, "new1", NOW - 10u), NOW,
     SMTPC_OK, "new2", 0, 1, FETCH_FAIL, 0, SMTPC_STS_APPLY_CACHED, 1,
     E_OLDF(NOW - 100u, "new2", NOW)},
    {"back-off of another id does not stop the cached id's use",
     E_OLDF(NOW - 100u, "new1", NOW - 10u), NOW, SMTPC_OK, "old1", 0, 0, 0, 0,
     SMTPC_STS_APPLY_CACHED, 0, E_OLDF(NOW - 100u, "new1", NOW - 10u)},
    /* ---- case 4: expiry (strict: max_age counts from the last fetch) */
    {"expired cache + same id -> fetch; ok -> FETCHED, new fetch time", E_OLD(NOW - DAY - 1u), NOW,
     SMTPC_OK, "old1", 0, 1, FETCH_OK, POL_OLD, SMTPC_STS_APPLY_FETCHED, 1, E_OLD(NOW)},
    {"expired cache + fetch fails -> NONE (stale policy kept but not applied)",
     E_OLD(NOW - DAY - 1u), NOW, SMTPC_OK, "old1", 0, 1, FETCH_FAIL, 0, SMTPC_STS_APPLY_NONE, 1,
     E_OLDF(NOW - DAY - 1u, "old1", NOW)},
    {"boundary: now - fetched_at == max_age is still fresh", E_OLD(NOW - DAY), NOW, SMTPC_OK,
     "old1", 0, 0, 0, 0, SMTPC_STS_APPLY_CACHED, 0, E_OLD(NOW - DAY)},
    {"boundary: max_age + 1 is expired, no record -> NONE, entry kept", E_OLD(NOW - DAY - 1u), NOW,
     SMTPC_ERR_DNS_NODATA, NULL, 0, 0, 0, 0, SMTPC_STS_APPLY_NONE, 0, E_OLD(NOW - DAY - 1u)},
    {"max_age 0 at the fetch second -> fresh",
     {1, "old1", NOW, 0, SMTPC_STS_MODE_ENFORCE, NULL, 0},
     NOW,
     SMTPC_OK,
     "old1",
     0,
     0,
     0,
     0,
     SMTPC_STS_APPLY_CACHED,
     0,
     {1, "old1", NOW, 0, SMTPC_STS_MODE_ENFORCE, NULL, 0}},
    {"max_age 0 one second later -> fetch",
     {1, "old1", NOW - 1u, 0, SMTPC_STS_MODE_ENFORCE, NULL, 0},
     NOW,
     SMTPC_OK,
     "old1",
     0,
     1,
     FETCH_FAIL,
     0,
     SMTPC_STS_APPLY_NONE,
     1,
     {1, "old1", NOW - 1u, 0, SMTPC_STS_MODE_ENFORCE, "old1", NOW}},
    {"max_age 0 fetched policy applies to the fetching delivery",
     E_NONE,
     NOW,
     SMTPC_OK,
     "new1",
     0,
     1,
     FETCH_OK,
     POL_AGE0,
     SMTPC_STS_APPLY_FETCHED,
     1,
     {1, "new1", NOW, 0, SMTPC_STS_MODE_ENFORCE, NULL, 0}},
    /* ---- case 3: no usable record, DNS errors: the cache is never dropped */
    {"TXT NODATA + fresh cache -> CACHED", E_OLD(NOW - 100u), NOW, SMTPC_ERR_DNS_NODATA, NULL, 0, 0,
     0, 0, SMTPC_STS_APPLY_CACHED, 0, E_OLD(NOW - 100u)},
    {"TXT NXDOMAIN + fresh cache -> CACHED", E_OLD(NOW - 100u), NOW, SMTPC_ERR_DNS_NXDOMAIN, NULL,
     0, 0, 0, 0, SMTPC_STS_APPLY_CACHED, 0, E_OLD(NOW - 100u)},
    {"TXT invalid + fresh cache -> CACHED", E_OLD(NOW - 100u), NOW, SMTPC_ERR_STS_TXT_INVALID, NULL,
     0, 0, 0, 0, SMTPC_STS_APPLY_CACHED, 0, E_OLD(NOW - 100u)},
    {"TXT SERVFAIL + fresh cache -> CACHED", E_OLD(NOW - 100u), NOW, SMTPC_ERR_DNS_SERVFAIL, NULL,
     0, 0, 0, 0, SMTPC_STS_APPLY_CACHED, 0, E_OLD(NOW - 100u)},
    {"TXT TIMEOUT + fresh cache -> CACHED", E_OLD(NOW - 100u), NOW, SMTPC_ERR_DNS_TIMEOUT, NULL, 0,
     0, 0, 0, SMTPC_STS_APPLY_CACHED, 0, E_OLD(NOW - 100u)},
    {"TXT NODATA, no cache -> NONE", E_NONE, NOW, SMTPC_ERR_DNS_NODATA, NULL, 0, 0, 0, 0,
     SMTPC_STS_APPLY_NONE, 0, E_NONE},
    {"TXT NXDOMAIN, no cache -> NONE", E_NONE, NOW, SMTPC_ERR_DNS_NXDOMAIN, NULL, 0, 0, 0, 0,
     SMTPC_STS_APPLY_NONE, 0, E_NONE},
    {"TXT invalid, no cache -> NONE", E_NONE, NOW, SMTPC_ERR_STS_TXT_INVALID, NULL, 0, 0, 0, 0,
     SMTPC_STS_APPLY_NONE, 0, E_NONE},
    {"TXT SERVFAIL, no cache -> NONE", E_NONE, NOW, SMTPC_ERR_DNS_SERVFAIL, NULL, 0, 0, 0, 0,
     SMTPC_STS_APPLY_NONE, 0, E_NONE},
    {"TXT TIMEOUT, no cache -> NONE", E_NONE, NOW, SMTPC_ERR_DNS_TIMEOUT, NULL, 0, 0, 0, 0,
     SMTPC_STS_APPLY_NONE, 0, E_NONE},
    /* ---- §8.3 opt-out */
    {"fetched `none` policy replaces enforce",
     E_OLD(NOW - 100u),
     NOW,
     SMTPC_OK,
     "new1",
     0,
     1,
     FETCH_OK,
     POL_NONE,
     SMTPC_STS_APPLY_FETCHED,
     1,
     {1, "new1", NOW, DAY, SMTPC_STS_MODE_NONE, NULL, 0}},
    /* ---- §10.2 proactive refresh */
    {"refresh: fetch even with same id and fresh cache", E_OLD(NOW - 100u), NOW, SMTPC_OK, "old1",
     SMTPC_STS_F_REFRESH, 1, FETCH_OK, POL_OLD, SMTPC_STS_APPLY_FETCHED, 1, E_OLD(NOW)},
    {"refresh without record, cached policy -> fetch with cached id", E_OLD(NOW - 100u), NOW,
     SMTPC_ERR_DNS_NODATA, NULL, SMTPC_STS_F_REFRESH, 1, FETCH_OK, POL_NEW, SMTPC_STS_APPLY_FETCHED,
     1, E_NEW("old1", NOW)},
    {"refresh without record fails -> CACHED, back-off on the cached id", E_OLD(NOW - 100u), NOW,
     SMTPC_ERR_DNS_SERVFAIL, NULL, SMTPC_STS_F_REFRESH, 1, FETCH_FAIL, 0, SMTPC_STS_APPLY_CACHED, 1,
     E_OLDF(NOW - 100u, "old1", NOW)},
    {"refresh without record and no cache -> no fetch, NONE", E_NONE, NOW, SMTPC_ERR_DNS_NODATA,
     NULL, SMTPC_STS_F_REFRESH, 0, 0, 0, SMTPC_STS_APPLY_NONE, 0, E_NONE},
    {"refresh honours the back-off of its id", E_OLDF(NOW - 100u, "old1", NOW - 10u), NOW, SMTPC_OK,
     "old1", SMTPC_STS_F_REFRESH, 0, 0, 0, SMTPC_STS_APPLY_CACHED, 0,
     E_OLDF(NOW - 100u, "old1", NOW - 10u)},
    /* ---- unknown clock */
    {"clock unknown: an old cached policy stays in force", E_OLD(1000u), 0, SMTPC_OK, "old1", 0, 0,
     0, 0, SMTPC_STS_APPLY_CACHED, 0, E_OLD(1000u)},
    {"clock unknown: no record, old cached policy still CACHED", E_OLD(1000u), 0,
     SMTPC_ERR_DNS_NODATA, NULL, 0, 0, 0, 0, SMTPC_STS_APPLY_CACHED, 0, E_OLD(1000u)},
    {"clock unknown: new id fetched -> FETCHED but not changed (no fetch time)", E_OLD(1000u), 0,
     SMTPC_OK, "new1", 0, 1, FETCH_OK, POL_NEW, SMTPC_STS_APPLY_FETCHED, 0, E_NEW("new1", 1000u)},
    {"clock unknown: fetch fails -> CACHED, no back-off recorded", E_OLD(1000u), 0, SMTPC_OK,
     "new1", 0, 1, FETCH_FAIL, 0, SMTPC_STS_APPLY_CACHED, 0, E_OLD(1000u)},
    {"clock unknown, no cache: fetch fails -> NONE, nothing recorded", E_NONE, 0, SMTPC_OK, "new1",
     0, 1, FETCH_FAIL, 0, SMTPC_STS_APPLY_NONE, 0, E_NONE},
    {"clock unknown ignores a back-off", E_OLDF(1000u, "new1", NOW - 10u), 0, SMTPC_OK, "new1", 0,
     1, FETCH_FAIL, 0, SMTPC_STS_APPLY_CACHED, 0, E_OLDF(1000u, "new1", NOW - 10u)},
    /* ---- clock went backwards */
    {"clock went backwards (now < fetched_at) -> fresh", E_OLD(NOW + 1000u), NOW, SMTPC_OK, "old1",
     0, 0, 0, 0, SMTPC_STS_APPLY_CACHED, 0, E_OLD(NOW + 1000u)},
    {"clock went backwards, no record -> still CACHED", E_OLD(NOW + 5u * DAY), NOW,
     SMTPC_ERR_DNS_NXDOMAIN, NULL, 0, 0, 0, 0, SMTPC_STS_APPLY_CACHED, 0, E_OLD(NOW + 5u * DAY)},
};

static void test_decision_table(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(ROWS) / sizeof(ROWS[0]); i++) {
        const row_t *r = &ROWS[i];
        smtpc_sts_entry_t e;
        smtpc_sts_txt_t txt = mktxt(r->txt_id != NULL ? r->txt_id : "unused0");
        smtpc_sts_policy_t got = pol_of(r->fetched_pol);
        int need;
        int applied;
        int changed = -1;
        ent_fill(&e, &r->before);
        need = smtpc_sts_need_fetch(&e, r->now, r->txt_rc, r->txt_rc == SMTPC_OK ? &txt : NULL,
                                    r->flags);
        if (need != r->need) {
            fprintf(stderr, "row \"%s\": need_fetch %d, expected %d\n", r->rule, need, r->need);
        }
        assert_int_equal(need, r->need);
        applied =
            smtpc_sts_settle(&e, r->now, r->txt_rc, r->txt_rc == SMTPC_OK ? &txt : NULL, need,
                             need && r->fetch == FETCH_FAIL ? SMTPC_ERR_HTTP_STATUS : SMTPC_OK,
                             need && r->fetch == FETCH_OK ? &got : NULL, &changed);
        if (applied != r->applied || changed != r->changed) {
            fprintf(stderr, "row \"%s\": applied %d changed %d, expected %d %d\n", r->rule, applied,
                    changed, r->applied, r->changed);
        }
        assert_int_equal(applied, r->applied);
        assert_int_equal(changed, r->changed);
        ent_check(r->rule, &e, &r->after);
        /* a fetched policy is what the entry now carries, mx list included */
        if (applied == SMTPC_STS_APPLY_FETCHED) {
            assert_memory_equal(&e.policy, &got, sizeof(got));
        }
    }
}

/* The same decision, also with txt == NULL for a TXT error, and NULL args. */
static void test_decision_edges(void **state)
{
    smtpc_sts_entry_t e;
    smtpc_sts_txt_t t = mktxt("abc");
    smtpc_sts_policy_t p = pol_of(POL_OLD);
    int changed = 7;
    (void)state;
    assert_int_equal(smtpc_sts_need_fetch(NULL, NOW, SMTPC_OK, &t, 0), 0);
    assert_int_equal(smtpc_sts_settle(NULL, NOW, SMTPC_OK, &t, 1, SMTPC_OK, &p, &changed),
                     SMTPC_STS_APPLY_NONE);
    assert_int_equal(changed, 0);
    /* txt_rc OK but no txt pointer: no id to fetch for */
    memset(&e, 0, sizeof(e));
    assert_int_equal(smtpc_sts_need_fetch(&e, NOW, SMTPC_OK, NULL, 0), 0);
    /* changed may be NULL */
    assert_int_equal(smtpc_sts_settle(&e, NOW, SMTPC_OK, &t, 1, SMTPC_OK, &p, NULL),
                     SMTPC_STS_APPLY_FETCHED);
    assert_string_equal(e.id, "abc");
    assert_int_equal(e.fetched_at, NOW);
    /* a fetch reported OK without a policy is a failed fetch */
    memset(&e, 0, sizeof(e));
    assert_int_equal(smtpc_sts_settle(&e, NOW, SMTPC_OK, &t, 1, SMTPC_OK, NULL, &changed),
                     SMTPC_STS_APPLY_NONE);
    assert_int_equal(changed, 1);
    assert_string_equal(e.fail_id, "abc");
    assert_int_equal(e.has_policy, 0);
    /* a 32-character id is copied whole */
    t = mktxt("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345");
    memset(&e, 0, sizeof(e));
    assert_int_equal(smtpc_sts_settle(&e, NOW, SMTPC_OK, &t, 1, SMTPC_OK, &p, &changed),
                     SMTPC_STS_APPLY_FETCHED);
    assert_string_equal(e.id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345");
    /* ids compare exactly (case-sensitive) */
    t = mktxt("abcdefghijklmnopqrstuvwxyz012345");
    assert_int_equal(smtpc_sts_need_fetch(&e, NOW, SMTPC_OK, &t, 0), 1);
    t = mktxt("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345");
    assert_int_equal(smtpc_sts_need_fetch(&e, NOW, SMTPC_OK, &t, 0), 0);
    t = mktxt("ABCDEFGHIJKLMNOPQRSTUVWXYZ01234");
    assert_int_equal(smtpc_sts_need_fetch(&e, NOW, SMTPC_OK, &t, 0), 1);
}

static void test_entry_fresh_expires(void **state)
{
    smtpc_sts_entry_t e;
    (void)state;
    memset(&e, 0, sizeof(e));
    assert_int_equal(smtpc_sts_entry_fresh(NULL, NOW), 0);
    e.fetched_at = NOW;
    e.policy.max_age = 60;
    assert_int_equal(smtpc_sts_entry_fresh(&e, NOW), 0); /* no policy */
    assert_int_equal(smtpc_sts_entry_fresh(&e, 0), 0);
    e.has_policy = 1;
    assert_int_equal(smtpc_sts_entry_expires(&e), (uint64_t)NOW + 60u);
    assert_int_equal(smtpc_sts_entry_fresh(&e, NOW), 1);
    assert_int_equal(smtpc_sts_entry_fresh(&e, NOW + 60u), 1);
    assert_int_equal(smtpc_sts_entry_fresh(&e, NOW + 61u), 0);
    assert_int_equal(smtpc_sts_entry_fresh(&e, NOW - 1u), 1);
    assert_int_equal(smtpc_sts_entry_fresh(&e, 0), 1);
    e.policy.max_age = 31557600u;
    assert_int_equal(smtpc_sts_entry_expires(&e), (uint64_t)NOW + 31557600u);
    assert_int_equal(smtpc_sts_entry_fresh(&e, NOW + 31557600u), 1);
    assert_int_equal(smtpc_sts_entry_fresh(&e, NOW + 31557601u), 0);
}

/* ============================================================ RAM store === */

static smtpc_sts_entry_t mkent(const char *domain, int has_policy, uint64_t fetched_at,
                               uint32_t max_age)
{
    smtpc_sts_entry_t e;
    memset(&e, 0, sizeof(e));
    strcpy(e.domain, domain);
    e.has_policy = (uint8_t)has_policy;
    if (has_policy) {
        strcpy(e.id, "id1");
        e.policy = mkpol(SMTPC_STS_MODE_ENFORCE, max_age, "mx.example.com");
    } else {
        strcpy(e.fail_id, "id1");
        e.fail_at = fetched_at;
    }
    e.fetched_at = has_policy ? fetched_at : 0u;
    return e;
}

static void test_ram_get_put_iter(void **state)
{
    static smtpc_sts_ram_t ram;
    const smtpc_sts_store_ops_t *o = &smtpc_sts_ram_ops;
    smtpc_sts_entry_t a = mkent("a.example", 1, NOW, DAY);
    smtpc_sts_entry_t b = mkent("b.example", 1, NOW, 2u * DAY);
    smtpc_sts_entry_t out;
    (void)state;
    memset(&ram, 0xA5, sizeof(ram));
    smtpc_sts_ram_init(&ram);
    smtpc_sts_ram_init(NULL);
    assert_int_equal(o->get(&ram, "a.example", &out), SMTPC_ERR_NOT_FOUND);
    assert_int_equal(o->iter(&ram, 0, &out), SMTPC_ERR_NOT_FOUND);
    assert_int_equal(o->put(&ram, &a), SMTPC_OK);
    assert_int_equal(o->put(&ram, &b), SMTPC_OK);
    memset(&out, 0, sizeof(out));
    assert_int_equal(o->get(&ram, "a.example", &out), SMTPC_OK);
    assert_memory_equal(&out, &a, sizeof(a));
    assert_int_equal(o->get(&ram, "b.example", &out), SMTPC_OK);
    assert_memory_equal(&out, &b, sizeof(b));
    /* keys compare exactly: callers normalise */
    assert_int_equal(o->get(&ram, "A.example", &out), SMTPC_ERR_NOT_FOUND);
    assert_int_equal(o->get(&ram, "a.exampl", &out), SMTPC_ERR_NOT_FOUND);
    assert_int_equal(o->get(&ram, "a.example.", &out), SMTPC_ERR_NOT_FOUND);
    assert_int_equal(o->iter(&ram, 0, &out), SMTPC_OK);
    assert_string_equal(out.domain, "a.example");
    assert_int_equal(o->iter(&ram, 1, &out), SMTPC_OK);
    assert_string_equal(out.domain, "b.example");
    assert_int_equal(o->iter(&ram, 2, &out), SMTPC_ERR_NOT_FOUND);
    /* replacing the same domain keeps one entry */
    a.policy.mode = SMTPC_STS_MODE_TESTING;
    strcpy(a.id, "id2");
    assert_int_equal(o->put(&ram, &a), SMTPC_OK);
    assert_int_equal(o->get(&ram, "a.example", &out), SMTPC_OK);
    assert_string_equal(out.id, "id2");
    assert_int_equal(out.policy.mode, SMTPC_STS_MODE_TESTING);
    assert_int_equal(o->iter(&ram, 2, &out), SMTPC_ERR_NOT_FOUND);
    /* NULL arguments */
    assert_int_equal(o->get(NULL, "a.example", &out), SMTPC_ERR_BAD_ARG);
    assert_int_equal(o->get(&ram, NULL, &out), SMTPC_ERR_BAD_ARG);
    assert_int_equal(o->get(&ram, "a.example", NULL), SMTPC_ERR_BAD_ARG);
    assert_int_equal(o->put(NULL, &a), SMTPC_ERR_BAD_ARG);
    assert_int_equal(o->put(&ram, NULL), SMTPC_ERR_BAD_ARG);
    assert_int_equal(o->iter(NULL, 0, &out), SMTPC_ERR_BAD_ARG);
    assert_int_equal(o->iter(&ram, 0, NULL), SMTPC_ERR_BAD_ARG);
}

static void test_ram_bad_domain(void **state)
{
    static smtpc_sts_ram_t ram;
    const smtpc_sts_store_ops_t *o = &smtpc_sts_ram_ops;
    smtpc_sts_entry_t e = mkent("x.example", 1, NOW, DAY);
    smtpc_sts_entry_t out;
    (void)state;
    smtpc_sts_ram_init(&ram);
    e.domain[0] = '\0';
    assert_int_equal(o->put(&ram, &e), SMTPC_ERR_BAD_ARG);
    memset(e.domain, 'a', sizeof(e.domain)); /* unterminated */
    assert_int_equal(o->put(&ram, &e), SMTPC_ERR_BAD_ARG);
    assert_int_equal(o->iter(&ram, 0, &out), SMTPC_ERR_NOT_FOUND);
    /* the longest name (253) is fine */
    memset(e.domain, 'a', sizeof(e.domain));
    e.domain[sizeof(e.domain) - 1u] = '\0';
    assert_int_equal(o->put(&ram, &e), SMTPC_OK);
    assert_int_equal(o->get(&ram, e.domain, &out), SMTPC_OK);
    assert_int_equal(strlen(out.domain), SMTPC_DNS_NAME_BUF - 1u);
}

static int ram_has(smtpc_sts_ram_t *ram, const char *d)
{
    smtpc_sts_entry_t out;
    return smtpc_sts_ram_ops.get(ram, d, &out) == SMTPC_OK;
}

static void test_ram_eviction(void **state)
{
    static smtpc_sts_ram_t ram;
    const smtpc_sts_store_ops_t *o = &smtpc_sts_ram_ops;
    smtpc_sts_entry_t e;
    char name[32];
    unsigned i;
    (void)state;
    assert_true(SMTPC_STS_RAM_ENTRIES >= 3);
    smtpc_sts_ram_init(&ram);
    /* fill: d0 expires last, d1 first ... */
    for (i = 0; i < SMTPC_STS_RAM_ENTRIES; i++) {
        snprintf(name, sizeof(name), "d%u.example", i);
        e = mkent(name, 1, NOW, i == 1u ? 100u : DAY + i);
        assert_int_equal(o->put(&ram, &e), SMTPC_OK);
    }
    /* a new domain evicts the policy expiring first (d1) */
    e = mkent("new1.example", 1, NOW, 10u * DAY);
    assert_int_equal(o->put(&ram, &e), SMTPC_OK);
    assert_true(ram_has(&ram, "new1.example"));
    assert_false(ram_has(&ram, "d1.example"));
    assert_true(ram_has(&ram, "d0.example"));
    assert_true(ram_has(&ram, "d2.example"));
    /* an entry without a policy (back-off only) goes first, even if the
     * others expire sooner */
    e = mkent("fail.example", 0, NOW, 0);
    /* left-over fields that would make it expire last: has_policy decides */
    e.fetched_at = NOW;
    e.policy.max_age = 100u * DAY;
    assert_int_equal(o->put(&ram, &e), SMTPC_OK); /* evicts d0 (expires DAY+0) */
    assert_false(ram_has(&ram, "d0.example"));
    assert_true(ram_has(&ram, "fail.example"));
    e = mkent("new2.example", 1, NOW, 20u * DAY);
    assert_int_equal(o->put(&ram, &e), SMTPC_OK);
    assert_false(ram_has(&ram, "fail.example"));
    assert_true(ram_has(&ram, "new2.example"));
    assert_true(ram_has(&ram, "d2.example"));
    assert_true(ram_has(&ram, "new1.example"));
    /* an older fetch with a longer max_age can expire first */
    e = mkent("old.example", 1, NOW - 30u * DAY, 31u * DAY); /* expires NOW + DAY */
    assert_int_equal(o->put(&ram, &e), SMTPC_OK);
    assert_false(ram_has(&ram, "d2.example")); /* NOW + DAY + 2 */
    e = mkent("new3.example", 1, NOW, 30u * DAY);
    assert_int_equal(o->put(&ram, &e), SMTPC_OK);
    assert_false(ram_has(&ram, "old.example"));
    /* replacing an existing domain in a full store evicts nothing */
    e = mkent("new1.example", 1, NOW, 1u);
    assert_int_equal(o->put(&ram, &e), SMTPC_OK);
    assert_true(ram_has(&ram, "new2.example"));
    assert_true(ram_has(&ram, "new3.example"));
    assert_true(ram_has(&ram, "new1.example"));
    for (i = 0; o->iter(&ram, i, &e) == SMTPC_OK; i++) {
    }
    assert_int_equal(i, SMTPC_STS_RAM_ENTRIES);
}

static void test_ram_iter_holes(void **state)
{
    static smtpc_sts_ram_t ram;
    const smtpc_sts_store_ops_t *o = &smtpc_sts_ram_ops;
    smtpc_sts_entry_t e;
    char name[32];
    unsigned i;
    (void)state;
    smtpc_sts_ram_init(&ram);
    for (i = 0; i < 3u; i++) {
        snprintf(name, sizeof(name), "h%u.example", i);
        e = mkent(name, 1, NOW, DAY);
        assert_int_equal(o->put(&ram, &e), SMTPC_OK);
    }
    ram.used[1] = 0; /* a hole, as a flash-backed store may have */
    assert_int_equal(o->iter(&ram, 0, &e), SMTPC_OK);
    assert_string_equal(e.domain, "h0.example");
    assert_int_equal(o->iter(&ram, 1, &e), SMTPC_OK);
    assert_string_equal(e.domain, "h2.example");
    assert_int_equal(o->iter(&ram, 2, &e), SMTPC_ERR_NOT_FOUND);
    assert_int_equal(o->get(&ram, "h1.example", &e), SMTPC_ERR_NOT_FOUND);
    /* the hole is reused */
    e = mkent("h3.example", 1, NOW, DAY);
    assert_int_equal(o->put(&ram, &e), SMTPC_OK);
    assert_int_equal(ram.used[1], 1);
    assert_string_equal(ram.e[1].domain, "h3.example");
    assert_int_equal(o->iter(&ram, 1, &e), SMTPC_OK);
    assert_string_equal(e.domain, "h3.example");
}

/* ======================================================= refresh_due === */

static void test_refresh_due(void **state)
{
    static smtpc_sts_ram_t ram;
    const smtpc_sts_store_ops_t *o = &smtpc_sts_ram_ops;
    smtpc_sts_entry_t e;
    smtpc_sts_entry_t out;
    (void)state;
    smtpc_sts_ram_init(&ram);
    assert_int_equal(smtpc_sts_refresh_due(o, &ram, NOW, &out), SMTPC_ERR_NOT_FOUND);
    assert_int_equal(smtpc_sts_refresh_due(NULL, &ram, NOW, &out), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_sts_refresh_due(o, &ram, NOW, NULL), SMTPC_ERR_BAD_ARG);
    /* far: expires in 10 days */
    e = mkent("far.example", 1, NOW, 10u * DAY);
    assert_int_equal(o->put(&ram, &e), SMTPC_OK);
    /* back-off only: no policy, never due */
    e = mkent("fail.example", 0, NOW - 1000u, 0);
    assert_int_equal(o->put(&ram, &e), SMTPC_OK);
    assert_int_equal(smtpc_sts_refresh_due(o, &ram, NOW, &out), SMTPC_ERR_NOT_FOUND);
    /* b: expires in 10 h, c: in 5 h (both within REFRESH_AHEAD = 1 day) */
    e = mkent("b.example", 1, NOW - 50u * 3600u, 60u * 3600u);
    assert_int_equal(o->put(&ram, &e), SMTPC_OK);
    e = mkent("c.example", 1, NOW - 55u * 3600u, 60u * 3600u);
    assert_int_equal(o->put(&ram, &e), SMTPC_OK);
    assert_int_equal(smtpc_sts_refresh_due(o, &ram, NOW, &out), SMTPC_OK);
    assert_string_equal(out.domain, "c.example");
    assert_int_equal(out.fetched_at, NOW - 55u * 3600u);
    /* the wall clock unknown: nothing */
    assert_int_equal(smtpc_sts_refresh_due(o, &ram, 0, &out), SMTPC_ERR_NOT_FOUND);
    /* c in back-off for its id (failed 10 s ago): b */
    e = mkent("c.example", 1, NOW - 55u * 3600u, 60u * 3600u);
    strcpy(e.fail_id, "id1");
    e.fail_at = NOW - 10u;
    assert_int_equal(o->put(&ram, &e), SMTPC_OK);
    assert_int_equal(smtpc_sts_refresh_due(o, &ram, NOW, &out), SMTPC_OK);
    assert_string_equal(out.domain, "b.example");
    /* once RETRY_S passed, c again */
    assert_int_equal(smtpc_sts_refresh_due(o, &ram, NOW - 10u + RETRY, &out), SMTPC_OK);
    assert_string_equal(out.domain, "c.example");
    /* c in back-off for a newer id (a delivery saw id2 and its fetch failed
     * 10 s ago): a refresh would find id2 backed off and do nothing, so c is
     * in back-off too */
    e = mkent("c.example", 1, NOW - 55u * 3600u, 60u * 3600u);
    strcpy(e.fail_id, "id2");
    e.fail_at = NOW - 10u;
    assert_int_equal(o->put(&ram, &e), SMTPC_OK);
    assert_int_equal(smtpc_sts_refresh_due(o, &ram, NOW, &out), SMTPC_OK);
    assert_string_equal(out.domain, "b.example");
    assert_int_equal(smtpc_sts_refresh_due(o, &ram, NOW - 10u + RETRY, &out), SMTPC_OK);
    assert_string_equal(out.domain, "c.example");
    /* an expired policy is due too, and expires first */
    e = mkent("exp.example", 1, NOW - 3u * DAY, DAY);
    assert_int_equal(o->put(&ram, &e), SMTPC_OK); /* full: evicts fail.example */
    assert_false(ram_has(&ram, "fail.example"));
    assert_int_equal(smtpc_sts_refresh_due(o, &ram, NOW, &out), SMTPC_OK);
    assert_string_equal(out.domain, "exp.example");
}

static void test_refresh_due_half_max_age(void **state)
{
    static smtpc_sts_ram_t ram;
    const smtpc_sts_store_ops_t *o = &smtpc_sts_ram_ops;
    smtpc_sts_entry_t e;
    smtpc_sts_entry_t out;
    (void)state;
    smtpc_sts_ram_init(&ram);
    /* max_age 1 h: due within 30 min of expiry, not a day ahead */
    e = mkent("short.example", 1, NOW, 3600u);
    assert_int_equal(o->put(&ram, &e), SMTPC_OK);
    assert_int_equal(smtpc_sts_refresh_due(o, &ram, NOW, &out), SMTPC_ERR_NOT_FOUND);
    assert_int_equal(smtpc_sts_refresh_due(o, &ram, NOW + 1799u, &out), SMTPC_ERR_NOT_FOUND);
    assert_int_equal(smtpc_sts_refresh_due(o, &ram, NOW + 1800u, &out), SMTPC_OK);
    assert_string_equal(out.domain, "short.example");
    /* a long max_age: REFRESH_AHEAD (1 day) before expiry */
    smtpc_sts_ram_init(&ram);
    e = mkent("long.example", 1, NOW, 10u * DAY);
    assert_int_equal(o->put(&ram, &e), SMTPC_OK);
    assert_int_equal(smtpc_sts_refresh_due(o, &ram, NOW + 9u * DAY - 1u, &out),
                     SMTPC_ERR_NOT_FOUND);
    assert_int_equal(smtpc_sts_refresh_due(o, &ram, NOW + 9u * DAY, &out), SMTPC_OK);
    assert_string_equal(out.domain, "long.example");
    /* a `none` policy is kept current too */
    smtpc_sts_ram_init(&ram);
    e = mkent("none.example", 1, NOW - DAY, DAY);
    e.policy.mode = SMTPC_STS_MODE_NONE;
    assert_int_equal(o->put(&ram, &e), SMTPC_OK);
    assert_int_equal(smtpc_sts_refresh_due(o, &ram, NOW, &out), SMTPC_OK);
    assert_string_equal(out.domain, "none.example");
    /* max_age 0: due at once */
    smtpc_sts_ram_init(&ram);
    e = mkent("zero.example", 1, NOW, 0);
    assert_int_equal(o->put(&ram, &e), SMTPC_OK);
    assert_int_equal(smtpc_sts_refresh_due(o, &ram, NOW, &out), SMTPC_OK);
}

/* ============================================================== engine === */

#define DOMAIN "example.com"
#define HOST   "mta-sts." DOMAIN
#define NREC   4u

static const char REQUEST[] = "GET /.well-known/mta-sts.txt HTTP/1.1\r\n"
                              "Host: " HOST "\r\n"
                              "User-Agent: smtpc\r\n"
                              "Connection: close\r\n"
                              "Accept: text/plain\r\n"
                              "\r\n";

static const char POLICY[] = "version: STSv1\r\n"
                             "mode: enforce\r\n"
                             "mx: mx1.example.com\r\n"
                             "mx: *.example.net\r\n"
                             "max_age: 604800\r\n";

typedef struct {
    uint8_t rcode;
    bool silent;
    unsigned nrec;
    uint8_t rd[NREC][600];
    size_t rd_len[NREC];
    unsigned queries;
    unsigned bad_queries; /* not TXT, or not "_mta-sts.<domain>" */
    char qname[SMTPC_DNS_NAME_BUF + 16];
} dns_srv_t;

typedef struct {
    fake_clock_t clk;
    fake_dgram_t dg;
    fake_rng_t rng;
    fake_stream_t fs;
    fake_net_t net;
    fake_tls_t tls;
    dns_srv_t srv;
    smtpc_dns_io_t dio;
    smtpc_sts_io_t io;
    smtpc_sts_ram_t ram;
    unsigned gets, puts;
    int put_rc;
    unsigned streams; /* TCP streams handed out by the connector */
    smtpc_dns_t dns;
    uint8_t body[SMTPC_STS_POLICY_MAX];
    uint8_t iobuf[512];
    smtpc_sts_bufs_t bufs;
    smtpc_sts_t s;
    fake_step_t steps[8];
    char response[4096];
    size_t response_len;
    char notes[4096];
    size_t notes_len;
} efx_t;

static efx_t fx;

/* A store over the RAM store that counts calls (writes must happen only when
 * an entry changed) and can refuse writes. */
static int cs_get(void *ctx, const char *domain, smtpc_sts_entry_t *out)
{
    fx.gets++;
    return smtpc_sts_ram_ops.get(ctx, domain, out);
}

static int cs_put(void *ctx, const smtpc_sts_entry_t *e)
{
    fx.puts++;
    if (fx.put_rc != SMTPC_OK) {
        return fx.put_rc;
    }
    return smtpc_sts_ram_ops.put(ctx, e);
}

static int cs_iter(void *ctx, unsigned idx, smtpc_sts_entry_t *out)
{
    return smtpc_sts_ram_ops.iter(ctx, idx, out);
}

static const smtpc_sts_store_ops_t count_store = {cs_get, cs_put, cs_iter};

/* fake_net, counting the streams it hands out (each must be closed once). */
static int cn_connect(void *ctx, const char *host, uint16_t port, smtpc_stream_t *out)
{
    int rc = fake_net_ops.connect(ctx, host, port, out);
    if (rc == SMTPC_OK) {
        fx.streams++;
    }
    return rc;
}

static int cn_connect_poll(void *ctx, smtpc_stream_t *out)
{
    int rc = fake_net_ops.connect_poll(ctx, out);
    if (rc == SMTPC_OK) {
        fx.streams++;
    }
    return rc;
}

static const smtpc_net_ops_t count_net = {cn_connect, cn_connect_poll, NULL};

static void trace_fn(void *arg, smtpc_trace_dir_t dir, const uint8_t *data, size_t len)
{
    (void)arg;
    assert_int_equal(dir, SMTPC_TRACE_INFO);
    if (len + 1u < sizeof(fx.notes) - fx.notes_len) {
        memcpy(fx.notes + fx.notes_len, data, len);
        fx.notes_len += len;
        fx.notes[fx.notes_len++] = '\n';
        fx.notes[fx.notes_len] = '\0';
    }
}

static void dns_responder(void *arg, fake_dgram_t *fd, unsigned server, const uint8_t *q,
                          size_t len)
{
    dns_srv_t *srv = (dns_srv_t *)arg;
    fake_dns_msg_t m;
    fake_dns_msg_t want;
    uint16_t id = 0;
    uint16_t qtype = 0;
    unsigned i;
    (void)server;
    srv->queries++;
    fdm_init(&want);
    fdm_question(&want, srv->qname, SMTPC_DNS_TYPE_TXT, 1);
    if (!fdm_query_info(q, len, &id, &qtype) || qtype != SMTPC_DNS_TYPE_TXT ||
        len != 12u + want.len || memcmp(q + 12, want.b, want.len) != 0) {
        srv->bad_queries++;
    }
    if (srv->silent) {
        return;
    }
    assert_true(fdm_reply_to(&m, q, len, srv->rcode));
    if (srv->rcode == 0) {
        for (i = 0; i < srv->nrec; i++) {
            size_t o;
            fdm_ptr(&m, 12);
            o = fdm_rr_begin_raw(&m, SMTPC_DNS_TYPE_TXT, 1, 300);
            fdm_bytes(&m, srv->rd[i], srv->rd_len[i]);
            fdm_rr_end(&m, o);
        }
        fdm_set_ancount(&m, (uint16_t)srv->nrec);
    }
    assert_false(m.overflow);
    fake_dgram_queue(fd, m.b, m.len, 0);
}

/* A TXT record of one or more character-strings (NULL-terminated list). */
static void txt_strings(const char *first, ...)
{
    va_list ap;
    const char *p = first;
    uint8_t *rd = fx.srv.rd[fx.srv.nrec];
    size_t n = 0;
    assert_true(fx.srv.nrec < NREC);
    va_start(ap, first);
    while (p != NULL) {
        size_t l = strlen(p);
        assert_true(l <= 255u && n + 1u + l <= sizeof(fx.srv.rd[0]));
        rd[n++] = (uint8_t)l;
        memcpy(rd + n, p, l);
        n += l;
        p = va_arg(ap, const char *);
    }
    va_end(ap);
    fx.srv.rd_len[fx.srv.nrec++] = n;
}

/* A TXT record from one text, split into 255-byte character-strings. */
static void txt(const char *text)
{
    size_t l = strlen(text);
    size_t off = 0;
    uint8_t *rd = fx.srv.rd[fx.srv.nrec];
    size_t n = 0;
    assert_true(fx.srv.nrec < NREC);
    do {
        size_t k = l - off > 255u ? 255u : l - off;
        assert_true(n + 1u + k <= sizeof(fx.srv.rd[0]));
        rd[n++] = (uint8_t)k;
        memcpy(rd + n, text + off, k);
        n += k;
        off += k;
    } while (off < l);
    fx.srv.rd_len[fx.srv.nrec++] = n;
}

/* The policy server: answers the complete request (line by line, each line
 * checked) with @p resp. */
static void serve_n(const char *resp, size_t len)
{
    assert_true(len < sizeof(fx.response));
    memcpy(fx.response, resp, len);
    fx.response_len = len;
    fx.steps[0].expect = "GET /.well-known/mta-sts.txt HTTP/1.1\r\n";
    fx.steps[1].expect = "Host: " HOST "\r\n";
    fx.steps[2].expect = "User-Agent: smtpc\r\n";
    fx.steps[3].expect = "Connection: close\r\n";
    fx.steps[4].expect = "Accept: text/plain\r\n";
    fx.steps[5].expect = "\r\n";
    fx.steps[5].reply = fx.response;
    fx.steps[5].reply_len = len;
    fake_stream_script(&fx.fs, fx.steps, 6);
}

static void serve(const char *resp)
{
    serve_n(resp, strlen(resp));
}

/* "HTTP/1.1 200 OK" text/plain with Content-Length. */
static void serve_200(const char *body)
{
    static char r[4096];
    int n = snprintf(r, sizeof(r),
                     "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     strlen(body), body);
    assert_true(n > 0 && (size_t)n < sizeof(r));
    serve(r);
}

static int engine_setup(void **state)
{
    (void)state;
    memset(&fx, 0, sizeof(fx));
    fake_clock_init(&fx.clk, T0);
    fake_dgram_init(&fx.dg, &fx.clk);
    fx.dg.responder = dns_responder;
    fx.dg.responder_arg = &fx.srv;
    strcpy(fx.srv.qname, "_mta-sts." DOMAIN);
    fake_rng_init(&fx.rng, 0x5eed5u);
    fake_stream_init(&fx.fs);
    fake_net_init(&fx.net, &fx.fs);
    fake_tls_init(&fx.tls);
    smtpc_sts_ram_init(&fx.ram);
    fx.put_rc = SMTPC_OK;
    fx.dio.dgram = &fake_dgram_ops;
    fx.dio.dgram_ctx = &fx.dg;
    fx.dio.clock = &fake_clock_ops;
    fx.dio.clock_ctx = &fx.clk;
    fx.dio.rng = &fake_rng_ops;
    fx.dio.rng_ctx = &fx.rng;
    fx.io.dns = &fx.dio;
    fx.io.net = &count_net;
    fx.io.net_ctx = &fx.net;
    fx.io.tls = &fake_tls_ops;
    fx.io.tls_ctx = &fx.tls;
    fx.io.store = &count_store;
    fx.io.store_ctx = &fx.ram;
    fx.io.trace = trace_fn;
    fx.bufs.dns = &fx.dns;
    fx.bufs.body = fx.body;
    fx.bufs.body_cap = sizeof(fx.body);
    fx.bufs.io = fx.iobuf;
    fx.bufs.io_cap = sizeof(fx.iobuf);
    return 0;
}

/* Whatever the test did, nothing is left open and the fakes were used right. */
static int engine_teardown(void **state)
{
    (void)state;
    smtpc_sts_stop(&fx.s);
    assert_false(fx.dg.is_open);
    assert_false(fx.dg.misuse);
    assert_false(fx.dg.q_overflow);
    assert_int_equal(fx.srv.bad_queries, 0);
    assert_false(fx.fs.in_overflow);
    assert_false(fx.tls.started); /* end() after every start() */
    /* every TCP connection handed out is closed exactly once */
    assert_int_equal(fx.fs.close_calls, fx.streams);
    /* end() after every successful start() (a failed start owns nothing) */
    assert_int_equal(fx.tls.end_calls, fx.tls.start_rc == SMTPC_OK ? fx.tls.start_calls : 0u);
    assert_int_equal(fx.tls.io_before_active, 0);
    return 0;
}

static void start_flags(unsigned flags)
{
    assert_int_equal(smtpc_sts_start(&fx.s, &fx.io, &fx.bufs, DOMAIN, flags), SMTPC_IN_PROGRESS);
}

/* Step until decided (at most @p max calls), moving the clock @p adv ms
 * between calls; returns the number of step() calls. */
static unsigned run_adv(unsigned max, uint32_t adv)
{
    unsigned i;
    for (i = 1; i <= max; i++) {
        int rc = smtpc_sts_step(&fx.s);
        if (rc == SMTPC_OK) {
            return i;
        }
        assert_int_equal(rc, SMTPC_IN_PROGRESS);
        fake_clock_advance(&fx.clk, adv);
    }
    fail_msg("engine not decided after %u steps", max);
    return 0;
}

static void run(void)
{
    (void)run_adv(100, 0);
}

static void put_cached(const char *id, uint64_t fetched_at, uint32_t max_age)
{
    smtpc_sts_entry_t e;
    memset(&e, 0, sizeof(e));
    strcpy(e.domain, DOMAIN);
    strcpy(e.id, id);
    e.has_policy = 1;
    e.fetched_at = fetched_at;
    e.policy = mkpol(SMTPC_STS_MODE_TESTING, max_age, "old-mx.example.com");
    assert_int_equal(smtpc_sts_ram_ops.put(&fx.ram, &e), SMTPC_OK);
}

static smtpc_sts_entry_t stored(void)
{
    smtpc_sts_entry_t e;
    memset(&e, 0, sizeof(e));
    assert_int_equal(smtpc_sts_ram_ops.get(&fx.ram, DOMAIN, &e), SMTPC_OK);
    return e;
}

static void assert_no_fetch(void)
{
    assert_int_equal(fx.net.connect_calls, 0);
    assert_int_equal(fx.tls.start_calls, 0);
    assert_int_equal(fx.s.fetched, 0);
}

/* ---------------------------------------------------------- success --- */

static void test_engine_fetch_200(void **state)
{
    smtpc_sts_entry_t e;
    const smtpc_sts_policy_t *p;
    uint32_t dl = 0;
    (void)state;
    txt("v=STSv1; id=20260101T000000;");
    txt("v=spf1 -all"); /* unrelated, ignored */
    serve_200(POLICY);
    start_flags(0);
    run();
    assert_int_equal(fx.srv.queries, 1);
    assert_int_equal(fx.s.txt_rc, SMTPC_OK);
    assert_string_equal(fx.s.txt.id, "20260101T000000");
    assert_int_equal(fx.s.fetched, 1);
    assert_int_equal(fx.s.fetch_rc, SMTPC_OK);
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_FETCHED);
    assert_int_equal(fx.s.store_rc, SMTPC_OK);
    assert_int_equal(fx.s.clock_unknown, 0);
    /* the connection: mta-sts.<domain>:443, TLS verified for that name */
    assert_int_equal(fx.net.connect_calls, 1);
    assert_string_equal(fx.net.host, HOST);
    assert_int_equal(fx.net.port, 443);
    assert_int_equal(fx.tls.start_calls, 1);
    assert_string_equal(fx.tls.sni, HOST);
    assert_int_equal(fx.tls.verify, SMTPC_VERIFY_REQUIRED);
    assert_ptr_equal(fx.tls.under.ctx, &fx.fs);
    /* the request, byte for byte, and all of it through TLS */
    if (fx.tls.sent_len != sizeof(REQUEST) - 1u ||
        memcmp(fx.tls.sent, REQUEST, fx.tls.sent_len) != 0) {
        fake_print_escaped("request", fx.tls.sent, fx.tls.sent_len);
    }
    assert_int_equal(fx.tls.sent_len, sizeof(REQUEST) - 1u);
    assert_memory_equal(fx.tls.sent, REQUEST, sizeof(REQUEST) - 1u);
    assert_int_equal(fx.fs.plain_len, 0);
    assert_true(fake_stream_script_done(&fx.fs));
    /* closed after the response */
    assert_int_equal(fx.tls.end_calls, 1);
    assert_int_equal(fx.fs.close_calls, 1);
    /* the policy that applies */
    p = smtpc_sts_policy(&fx.s);
    assert_non_null(p);
    assert_ptr_equal(p, &fx.s.entry.policy);
    assert_int_equal(p->mode, SMTPC_STS_MODE_ENFORCE);
    assert_int_equal(p->max_age, 604800u);
    assert_int_equal(p->mx_count, 2);
    assert_memory_equal(p->mx_pool, "mx1.example.com\0*.example.net\0", 30);
    assert_true(smtpc_sts_mx_allowed(p, "mx1.example.com"));
    assert_true(smtpc_sts_mx_allowed(p, "a.example.net"));
    assert_false(smtpc_sts_mx_allowed(p, "mx2.example.com"));
    /* stored once, with id and fetch time */
    assert_int_equal(fx.gets, 1);
    assert_int_equal(fx.puts, 1);
    e = stored();
    assert_string_equal(e.domain, DOMAIN);
    assert_string_equal(e.id, "20260101T000000");
    assert_int_equal(e.has_policy, 1);
    assert_int_equal(e.fetched_at, NOW);
    assert_string_equal(e.fail_id, "");
    assert_int_equal(e.fail_at, 0);
    assert_memory_equal(&e.policy, p, sizeof(*p));
    /* done: nothing wanted; step again is OK */
    assert_int_equal(smtpc_sts_wants(&fx.s, &dl), 0);
    assert_int_equal(smtpc_sts_step(&fx.s), SMTPC_OK);
    assert_non_null(strstr(fx.notes, "MTA-STS TXT id=20260101T000000\n"));
    assert_non_null(strstr(fx.notes, "MTA-STS fetching policy from " HOST "\n"));
    assert_non_null(strstr(fx.notes, "MTA-STS fetched policy applies, mode enforce\n"));
}

static void test_engine_port_async_connect_and_handshake(void **state)
{
    uint32_t dl = 0;
    unsigned w;
    (void)state;
    fx.io.https_port = 8443;
    fx.net.connect_rc = SMTPC_IN_PROGRESS;
    fx.net.poll_pending = 2;
    fx.tls.handshake_pending = 2;
    fx.tls.handshake_wants = SMTPC_WANT_READ | SMTPC_WANT_WRITE;
    txt("v=STSv1; id=abc;");
    serve_200(POLICY);
    start_flags(0);
    /* TXT answered, connecting */
    assert_int_equal(smtpc_sts_step(&fx.s), SMTPC_IN_PROGRESS);
    assert_int_equal(fx.net.port, 8443);
    w = smtpc_sts_wants(&fx.s, &dl);
    assert_int_equal(w, SMTPC_WANT_WRITE | SMTPC_WANT_TIMER);
    assert_int_equal(dl, T0 + SMTPC_STS_FETCH_TIMEOUT_MS);
    assert_int_equal(smtpc_sts_step(&fx.s), SMTPC_IN_PROGRESS);
    assert_int_equal(fx.tls.start_calls, 0);
    /* connected; handshake in progress with its wants */
    assert_int_equal(smtpc_sts_step(&fx.s), SMTPC_IN_PROGRESS);
    assert_int_equal(fx.tls.start_calls, 1);
    w = smtpc_sts_wants(&fx.s, &dl);
    assert_int_equal(w, SMTPC_WANT_READ | SMTPC_WANT_WRITE | SMTPC_WANT_TIMER);
    run();
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_FETCHED);
    assert_int_equal(fx.net.poll_calls, 3);
    assert_int_equal(fx.tls.handshake_calls, 3);
    assert_memory_equal(fx.tls.sent, REQUEST, sizeof(REQUEST) - 1u);
}

/* Bytes a few at a time, would-block on every other call: same outcome. */
static void test_engine_slow_stream(void **state)
{
    (void)state;
    fx.fs.recv_chunk = 7;
    fx.fs.send_chunk = 5;
    fx.fs.would_block = true;
    txt("v=STSv1; id=abc;");
    serve_200(POLICY);
    start_flags(0);
    assert_true(run_adv(2000, 1) > 10u);
    assert_int_equal(fx.s.fetch_rc, SMTPC_OK);
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_FETCHED);
    assert_int_equal(fx.s.entry.policy.mx_count, 2);
    assert_memory_equal(fx.tls.sent, REQUEST, sizeof(REQUEST) - 1u);
}

/* A body delimited only by the close of the connection is refused: the
 * stream cannot show that a closure alert ended it, so a cut in the network
 * could pass for its end (RFC 9112 §9.8). */
static void test_engine_close_delimited(void **state)
{
    static char r[1024];
    (void)state;
    snprintf(r, sizeof(r), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n%s", POLICY);
    fx.fs.close_when_idle = true;
    txt("v=STSv1; id=abc;");
    serve(r);
    start_flags(0);
    run();
    assert_int_equal(fx.s.fetch_rc, SMTPC_ERR_NET_CLOSED);
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_NONE);
    assert_int_equal(fx.s.entry.has_policy, 0);
}

/* The body buffer may alias the DNS query (used only after it ended). */
static void test_engine_body_aliases_dns(void **state)
{
    (void)state;
    assert_true(sizeof(smtpc_dns_t) >= 64u);
    fx.bufs.body = (uint8_t *)&fx.dns;
    fx.bufs.body_cap = sizeof(fx.dns);
    txt("v=STSv1; id=abc;");
    serve_200(POLICY);
    start_flags(0);
    run();
    assert_int_equal(fx.s.fetch_rc, SMTPC_OK);
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_FETCHED);
    assert_int_equal(fx.s.entry.policy.mx_count, 2);
}

/* A `none` policy replaces a cached enforce one; nothing applies. */
static void test_engine_fetched_none_policy(void **state)
{
    smtpc_sts_entry_t e;
    (void)state;
    put_cached("old1", NOW - 100u, DAY);
    txt("v=STSv1; id=new1;");
    serve_200("version: STSv1\nmode: none\nmax_age: 86400\n");
    start_flags(0);
    run();
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_FETCHED);
    assert_int_equal(fx.s.entry.policy.mode, SMTPC_STS_MODE_NONE);
    assert_null(smtpc_sts_policy(&fx.s));
    e = stored();
    assert_string_equal(e.id, "new1");
    assert_int_equal(e.policy.mode, SMTPC_STS_MODE_NONE);
    assert_int_equal(e.fetched_at, NOW);
}

/* ----------------------------------------------------- fetch failures --- */

/* Run one failing fetch with no cache, then the same with a fresh cache. */
static void fetch_fails(int want_rc)
{
    smtpc_sts_entry_t e;
    assert_int_equal(fx.s.fetched, 1);
    assert_int_equal(fx.s.fetch_rc, want_rc);
    assert_int_equal(fx.s.txt_rc, SMTPC_OK);
    if (fx.s.applied == SMTPC_STS_APPLY_NONE) {
        assert_null(smtpc_sts_policy(&fx.s));
    }
    e = stored();
    assert_string_equal(e.fail_id, "new1");
    assert_int_equal(e.fail_at, NOW);
    assert_int_equal(fx.tls.end_calls, fx.tls.start_rc == SMTPC_OK ? fx.tls.start_calls : 0u);
}

static void test_engine_redirect_no_cache(void **state)
{
    smtpc_sts_entry_t e;
    (void)state;
    txt("v=STSv1; id=new1;");
    serve("HTTP/1.1 301 Moved Permanently\r\nLocation: https://evil.example/x\r\n"
          "Content-Length: 0\r\n\r\n");
    start_flags(0);
    run();
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_NONE);
    fetch_fails(SMTPC_ERR_HTTP_REDIRECT);
    e = stored();
    assert_int_equal(e.has_policy, 0);         /* back-off state only */
    assert_int_equal(fx.net.connect_calls, 1); /* never followed */
    assert_int_equal(fx.puts, 1);
    assert_non_null(strstr(fx.notes, "MTA-STS no policy applies to " DOMAIN "\n"));
}

static void test_engine_redirect_fresh_cache(void **state)
{
    smtpc_sts_entry_t e;
    const smtpc_sts_policy_t *p;
    (void)state;
    put_cached("old1", NOW - 100u, DAY);
    txt("v=STSv1; id=new1;");
    serve("HTTP/1.1 301 Moved Permanently\r\nLocation: https://evil.example/x\r\n\r\n");
    start_flags(0);
    run();
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_CACHED);
    fetch_fails(SMTPC_ERR_HTTP_REDIRECT);
    p = smtpc_sts_policy(&fx.s);
    assert_non_null(p);
    assert_int_equal(p->mode, SMTPC_STS_MODE_TESTING);
    assert_string_equal(p->mx_pool, "old-mx.example.com");
    assert_string_equal(fx.s.entry.id, "old1");
    e = stored();
    assert_string_equal(e.id, "old1");
    assert_int_equal(e.fetched_at, NOW - 100u);
    assert_int_equal(e.has_policy, 1);
    assert_non_null(strstr(fx.notes, "MTA-STS cached policy applies, mode testing\n"));
}

static void test_engine_404(void **state)
{
    (void)state;
    txt("v=STSv1; id=new1;");
    serve("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\n"
          "not found");
    start_flags(0);
    run();
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_NONE);
    fetch_fails(SMTPC_ERR_HTTP_STATUS);
}

static void test_engine_text_html(void **state)
{
    static char r[1024];
    (void)state;
    snprintf(r, sizeof(r),
             "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(POLICY), POLICY);
    txt("v=STSv1; id=new1;");
    serve(r);
    start_flags(0);
    run();
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_NONE);
    fetch_fails(SMTPC_ERR_HTTP_TYPE);
}

/* A chunked body of @p total bytes: the policy padded with an extension line. */
static void serve_chunked(size_t total)
{
    static char body[2048];
    static char r[4096];
    size_t plen = strlen(POLICY);
    size_t n = 0;
    size_t off = 0;
    assert_true(total > plen + 8u && total < sizeof(body));
    memcpy(body, POLICY, plen);
    n = plen;
    memcpy(body + n, "pad: ", 5);
    n += 5;
    while (n < total - 1u) {
        body[n++] = 'x';
    }
    body[n++] = '\n';
    n = (size_t)snprintf(r, sizeof(r),
                         "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n");
    /* chunks of 300 bytes */
    while (off < total) {
        size_t k = total - off > 300u ? 300u : total - off;
        n += (size_t)snprintf(r + n, sizeof(r) - n, "%zx\r\n", k);
        memcpy(r + n, body + off, k);
        n += k;
        memcpy(r + n, "\r\n", 2);
        n += 2;
        off += k;
    }
    n += (size_t)snprintf(r + n, sizeof(r) - n, "0\r\n\r\n");
    assert_true(n < sizeof(r));
    serve_n(r, n);
}

static void test_engine_chunked_at_cap(void **state)
{
    (void)state;
    assert_int_equal(sizeof(fx.body), SMTPC_STS_POLICY_MAX);
    txt("v=STSv1; id=new1;");
    serve_chunked(SMTPC_STS_POLICY_MAX);
    start_flags(0);
    run();
    assert_int_equal(fx.s.fetch_rc, SMTPC_OK);
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_FETCHED);
    assert_int_equal(fx.s.body_len, SMTPC_STS_POLICY_MAX);
}

static void test_engine_chunked_oversize(void **state)
{
    (void)state;
    txt("v=STSv1; id=new1;");
    serve_chunked(SMTPC_STS_POLICY_MAX + 1u);
    start_flags(0);
    run();
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_NONE);
    fetch_fails(SMTPC_ERR_HTTP_TOO_LARGE);
}

/* A smaller body buffer lowers the cap. */
static void test_engine_body_cap_from_buffer(void **state)
{
    (void)state;
    fx.bufs.body_cap = 100;
    txt("v=STSv1; id=new1;");
    serve_200(POLICY); /* 96 bytes: fits */
    start_flags(0);
    run();
    assert_int_equal(fx.s.fetch_rc, SMTPC_OK);
    smtpc_sts_stop(&fx.s);
    /* again with 95 bytes of room */
    engine_teardown(NULL);
    engine_setup(NULL);
    fx.bufs.body_cap = strlen(POLICY) - 1u;
    txt("v=STSv1; id=new1;");
    serve_200(POLICY);
    start_flags(0);
    run();
    assert_int_equal(fx.s.fetch_rc, SMTPC_ERR_HTTP_TOO_LARGE);
}

static void test_engine_invalid_policy(void **state)
{
    (void)state;
    txt("v=STSv1; id=new1;");
    serve_200("version: STSv1\nmode: Enforce\nmx: mx.example.com\nmax_age: 86400\n");
    start_flags(0);
    run();
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_NONE);
    fetch_fails(SMTPC_ERR_STS_POLICY_INVALID);
}

static void test_engine_invalid_policy_keeps_cache(void **state)
{
    (void)state;
    put_cached("old1", NOW - 100u, DAY);
    txt("v=STSv1; id=new1;");
    serve_200("version: STSv1\nmode: enforce\nmax_age: 86400\n"); /* no mx */
    start_flags(0);
    run();
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_CACHED);
    fetch_fails(SMTPC_ERR_STS_POLICY_INVALID);
    assert_string_equal(fx.s.entry.id, "old1");
    assert_int_equal(fx.s.entry.policy.mode, SMTPC_STS_MODE_TESTING);
}

static void test_engine_truncated_response(void **state)
{
    (void)state;
    fx.fs.close_when_idle = true;
    txt("v=STSv1; id=new1;");
    serve("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 500\r\n\r\n"
          "version: STSv1\r\n");
    start_flags(0);
    run();
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_NONE);
    fetch_fails(SMTPC_ERR_NET_CLOSED);
}

static void test_engine_tls_cert_failure(void **state)
{
    (void)state;
    fx.tls.handshake_rc = SMTPC_ERR_TLS_CERT_HOSTNAME;
    fx.tls.handshake_pending = 1;
    txt("v=STSv1; id=new1;");
    serve_200(POLICY);
    start_flags(0);
    run();
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_NONE);
    fetch_fails(SMTPC_ERR_TLS_CERT_HOSTNAME);
    assert_int_equal(fx.tls.sent_len, 0); /* no request before a verified handshake */
    assert_int_equal(fx.fs.out_len, 0);
    assert_int_equal(fx.tls.end_calls, 1);
    assert_int_equal(fx.fs.close_calls, 1);
}

static void test_engine_tls_start_failure(void **state)
{
    (void)state;
    fx.tls.start_rc = SMTPC_ERR_TLS_NO_MEMORY;
    txt("v=STSv1; id=new1;");
    start_flags(0);
    run();
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_NONE);
    fetch_fails(SMTPC_ERR_TLS_NO_MEMORY);
    assert_int_equal(fx.fs.close_calls, 1);
}

static void test_engine_connection_refused(void **state)
{
    (void)state;
    fx.net.connect_rc = SMTPC_ERR_NET_CONNECT;
    txt("v=STSv1; id=new1;");
    start_flags(0);
    run();
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_NONE);
    fetch_fails(SMTPC_ERR_NET_CONNECT);
    assert_int_equal(fx.net.connect_calls, 1);
    assert_int_equal(fx.tls.start_calls, 0);
    assert_int_equal(fx.fs.close_calls, 0);
}

static void test_engine_connect_poll_fails(void **state)
{
    (void)state;
    fx.net.connect_rc = SMTPC_IN_PROGRESS;
    fx.net.poll_pending = 1;
    fx.net.poll_rc = SMTPC_ERR_NET_CONNECT;
    txt("v=STSv1; id=new1;");
    start_flags(0);
    run();
    fetch_fails(SMTPC_ERR_NET_CONNECT);
    assert_int_equal(fx.tls.start_calls, 0);
}

static void test_engine_server_silent(void **state)
{
    uint32_t dl = 0;
    uint32_t t_fetch;
    (void)state;
    fx.io.fetch_timeout_ms = 5000;
    txt("v=STSv1; id=new1;");
    fake_clock_advance(&fx.clk, 123);
    start_flags(0);
    assert_int_equal(smtpc_sts_step(&fx.s), SMTPC_IN_PROGRESS);
    assert_int_equal(fx.tls.sent_len, sizeof(REQUEST) - 1u); /* request sent, no answer */
    t_fetch = fx.s.t_fetch;
    assert_int_equal(t_fetch, T0 + 123u);
    assert_int_equal(smtpc_sts_wants(&fx.s, &dl), SMTPC_WANT_READ | SMTPC_WANT_TIMER);
    assert_int_equal(dl, t_fetch + 5000u);
    fake_clock_advance(&fx.clk, 4999);
    assert_int_equal(smtpc_sts_step(&fx.s), SMTPC_IN_PROGRESS);
    assert_int_equal(smtpc_sts_wants(&fx.s, &dl), SMTPC_WANT_READ | SMTPC_WANT_TIMER);
    assert_int_equal(dl, t_fetch + 5000u);
    fake_clock_advance(&fx.clk, 1);
    assert_int_equal(smtpc_sts_step(&fx.s), SMTPC_OK);
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_NONE);
    fetch_fails(SMTPC_ERR_TIMEOUT);
    assert_int_equal(fx.tls.end_calls, 1);
    assert_int_equal(fx.fs.close_calls, 1);
}

/* The default fetch deadline, across a monotonic clock wrap. */
static void test_engine_default_timeout_wraps(void **state)
{
    uint32_t dl = 0;
    (void)state;
    fx.clk.now_ms = 0xFFFFFFFFu - 100u;
    txt("v=STSv1; id=new1;");
    start_flags(0);
    assert_int_equal(smtpc_sts_step(&fx.s), SMTPC_IN_PROGRESS);
    assert_int_equal(smtpc_sts_wants(&fx.s, &dl), SMTPC_WANT_READ | SMTPC_WANT_TIMER);
    assert_int_equal(dl, (uint32_t)(0xFFFFFFFFu - 100u + SMTPC_STS_FETCH_TIMEOUT_MS));
    fake_clock_advance(&fx.clk, SMTPC_STS_FETCH_TIMEOUT_MS - 1u);
    assert_int_equal(smtpc_sts_step(&fx.s), SMTPC_IN_PROGRESS);
    fake_clock_advance(&fx.clk, 1);
    assert_int_equal(smtpc_sts_step(&fx.s), SMTPC_OK);
    fetch_fails(SMTPC_ERR_TIMEOUT);
}

/* ------------------------------------------------------- TXT discovery --- */

static void test_engine_two_records(void **state)
{
    (void)state;
    txt("v=STSv1; id=one;");
    txt("v=STSv1; id=two;");
    serve_200(POLICY);
    start_flags(0);
    run();
    assert_int_equal(fx.s.txt_rc, SMTPC_ERR_STS_TXT_INVALID);
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_NONE);
    assert_no_fetch();
    assert_int_equal(fx.puts, 0);
}

static void test_engine_two_records_keep_cache(void **state)
{
    (void)state;
    put_cached("old1", NOW - 100u, DAY);
    txt("v=STSv1; id=one;");
    txt("v=STSv1; id=two;");
    start_flags(0);
    run();
    assert_int_equal(fx.s.txt_rc, SMTPC_ERR_STS_TXT_INVALID);
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_CACHED);
    assert_non_null(smtpc_sts_policy(&fx.s));
    assert_no_fetch();
    assert_int_equal(fx.puts, 0);
}

/* A valid record split over two character-strings is joined. */
static void test_engine_split_record(void **state)
{
    (void)state;
    txt_strings("v=STSv1; ", "id=split1;", NULL);
    serve_200(POLICY);
    start_flags(0);
    run();
    assert_int_equal(fx.s.txt_rc, SMTPC_OK);
    assert_string_equal(fx.s.entry.id, "split1");
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_FETCHED);
}

static void long_record(char *buf, size_t len, const char *head)
{
    size_t n = strlen(head);
    memcpy(buf, head, n);
    while (n < len - 1u) {
        buf[n++] = 'a';
    }
    buf[n - 1u] = ';'; /* a valid record if it could be read */
    buf[n] = '\0';
}

/* A record longer than the io buffer (which cannot be joined) still counts as
 * a candidate when it starts with v=STSv1: it cannot hide a second one. */
static void test_engine_long_record_is_candidate(void **state)
{
    static char big[400];
    (void)state;
    assert_true(sizeof(big) > 200u);
    fx.bufs.io_cap = 200;
    long_record(big, sizeof(big), "v=STSv1; id=big1; ext=");
    txt(big);                   /* 399 bytes: two character-strings */
    txt("v=STSv1; id=small1;"); /* alone it would be fetched */
    serve_200(POLICY);
    start_flags(0);
    run();
    assert_int_equal(fx.s.txt_rc, SMTPC_ERR_STS_TXT_INVALID);
    assert_no_fetch();
}

static void test_engine_long_record_alone(void **state)
{
    static char big[400];
    (void)state;
    fx.bufs.io_cap = 200;
    long_record(big, sizeof(big), "v=STSv1; id=big1; ext=");
    txt(big);
    start_flags(0);
    run();
    /* a candidate that could not be checked: invalid, not "no record" */
    assert_int_equal(fx.s.txt_rc, SMTPC_ERR_STS_TXT_INVALID);
    assert_no_fetch();
}

/* The same when the long record's first character-string is short. */
static void test_engine_long_record_short_first_string(void **state)
{
    static char rest[300];
    (void)state;
    fx.bufs.io_cap = 200;
    long_record(rest, 250, "; id=big1; ext=");
    txt_strings("v=STSv1", rest, NULL);
    txt("v=STSv1; id=small1;");
    serve_200(POLICY);
    start_flags(0);
    run();
    assert_int_equal(fx.s.txt_rc, SMTPC_ERR_STS_TXT_INVALID);
    assert_no_fetch();
}

/* A long unrelated record (SPF) is ignored. */
static void test_engine_long_unrelated_record(void **state)
{
    static char big[400];
    (void)state;
    fx.bufs.io_cap = 200;
    long_record(big, sizeof(big), "v=spf1 include:");
    txt(big);
    txt("v=STSv1; id=small1;");
    serve_200(POLICY);
    start_flags(0);
    run();
    assert_int_equal(fx.s.txt_rc, SMTPC_OK);
    assert_string_equal(fx.s.txt.id, "small1");
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_FETCHED);
}

static void dns_error_case(uint8_t rcode, bool silent, int want_txt_rc, bool cached)
{
    engine_setup(NULL);
    if (cached) {
        put_cached("old1", NOW - 100u, DAY);
    }
    fx.srv.rcode = rcode;
    fx.srv.silent = silent;
    txt("v=STSv1; id=new1;"); /* not sent with an error rcode */
    start_flags(0);
    (void)run_adv(100, 1000);
    assert_int_equal(fx.s.txt_rc, want_txt_rc);
    assert_int_equal(fx.s.applied, cached ? SMTPC_STS_APPLY_CACHED : SMTPC_STS_APPLY_NONE);
    assert_no_fetch();
    assert_int_equal(fx.puts, 0);
    if (cached) {
        smtpc_sts_entry_t e = stored();
        assert_string_equal(e.id, "old1");
        assert_int_equal(e.fetched_at, NOW - 100u);
        assert_non_null(smtpc_sts_policy(&fx.s));
    } else {
        assert_null(smtpc_sts_policy(&fx.s));
    }
    engine_teardown(NULL);
}

static void test_engine_dns_errors(void **state)
{
    int c;
    (void)state;
    for (c = 0; c < 2; c++) {
        dns_error_case(3, false, SMTPC_ERR_DNS_NXDOMAIN, c != 0);
        dns_error_case(2, false, SMTPC_ERR_DNS_SERVFAIL, c != 0);
        dns_error_case(0, true, SMTPC_ERR_DNS_TIMEOUT, c != 0);
    }
    /* NOERROR without a TXT record */
    engine_setup(NULL);
    put_cached("old1", NOW - 100u, DAY);
    start_flags(0);
    run();
    assert_int_equal(fx.s.txt_rc, SMTPC_ERR_DNS_NODATA);
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_CACHED);
    assert_no_fetch();
    /* teardown runs from cmocka */
}

/* ---------------------------------------------------------- the cache --- */

static void test_engine_second_run_uses_cache(void **state)
{
    (void)state;
    txt("v=STSv1; id=abc;");
    serve_200(POLICY);
    start_flags(0);
    run();
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_FETCHED);
    assert_int_equal(fx.net.connect_calls, 1);
    assert_int_equal(fx.puts, 1);
    smtpc_sts_stop(&fx.s);
    /* an hour later, same id */
    fx.clk.utc_s += 3600u;
    fake_clock_advance(&fx.clk, 3600u * 1000u);
    start_flags(0);
    run();
    assert_int_equal(fx.srv.queries, 2);
    assert_int_equal(fx.s.txt_rc, SMTPC_OK);
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_CACHED);
    assert_int_equal(fx.s.fetched, 0);
    assert_int_equal(fx.net.connect_calls, 1); /* no new connection */
    assert_int_equal(fx.tls.start_calls, 1);
    assert_int_equal(fx.puts, 1); /* nothing written */
    assert_non_null(smtpc_sts_policy(&fx.s));
    assert_int_equal(smtpc_sts_policy(&fx.s)->mx_count, 2);
    assert_int_equal(fx.s.entry.fetched_at, NOW);
}

static void test_engine_expired_cache_refetches(void **state)
{
    smtpc_sts_entry_t e;
    (void)state;
    put_cached("abc", NOW - DAY - 1u, DAY);
    txt("v=STSv1; id=abc;"); /* unchanged id does not revalidate */
    serve_200(POLICY);
    start_flags(0);
    run();
    assert_int_equal(fx.net.connect_calls, 1);
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_FETCHED);
    e = stored();
    assert_int_equal(e.fetched_at, NOW);
    assert_int_equal(e.policy.mode, SMTPC_STS_MODE_ENFORCE);
}

static void test_engine_backoff_then_retry(void **state)
{
    (void)state;
    txt("v=STSv1; id=new1;");
    fx.net.connect_rc = SMTPC_ERR_NET_CONNECT;
    start_flags(0);
    run();
    fetch_fails(SMTPC_ERR_NET_CONNECT);
    smtpc_sts_stop(&fx.s);
    /* within RETRY_S: no new attempt */
    fx.clk.utc_s += RETRY - 1u;
    fx.net.connect_rc = SMTPC_OK;
    serve_200(POLICY);
    start_flags(0);
    run();
    assert_int_equal(fx.s.fetched, 0);
    assert_int_equal(fx.net.connect_calls, 1);
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_NONE);
    smtpc_sts_stop(&fx.s);
    /* after RETRY_S: fetched */
    fx.clk.utc_s += 1u;
    start_flags(0);
    run();
    assert_int_equal(fx.net.connect_calls, 2);
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_FETCHED);
    assert_string_equal(stored().fail_id, "");
}

static void test_engine_refresh(void **state)
{
    smtpc_sts_entry_t e;
    smtpc_sts_entry_t due;
    (void)state;
    put_cached("abc", NOW - 6u * DAY - 1u, 7u * DAY); /* expires within a day */
    assert_int_equal(smtpc_sts_refresh_due(&count_store, &fx.ram, NOW, &due), SMTPC_OK);
    assert_string_equal(due.domain, DOMAIN);
    txt("v=STSv1; id=abc;");
    serve_200(POLICY);
    /* a delivery would not fetch; a refresh does */
    assert_int_equal(smtpc_sts_start(&fx.s, &fx.io, &fx.bufs, due.domain, SMTPC_STS_F_REFRESH),
                     SMTPC_IN_PROGRESS);
    run();
    assert_int_equal(fx.net.connect_calls, 1);
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_FETCHED);
    e = stored();
    assert_int_equal(e.fetched_at, NOW);
    assert_int_equal(e.policy.max_age, 604800u);
    assert_int_equal(smtpc_sts_refresh_due(&count_store, &fx.ram, NOW, &due), SMTPC_ERR_NOT_FOUND);
}

/* A policy about to expire whose newer id is in fetch back-off: not due
 * until the back-off ends (a refresh in between would query DNS, find the id
 * backed off and change nothing, and the entry would stay due: a busy loop
 * in idle time). */
static void test_engine_refresh_backoff_newer_id(void **state)
{
    smtpc_sts_entry_t e;
    smtpc_sts_entry_t due;
    (void)state;
    memset(&e, 0, sizeof(e));
    strcpy(e.domain, DOMAIN);
    strcpy(e.id, "abc");
    strcpy(e.fail_id, "new1");
    e.fail_at = NOW - 10u;
    e.has_policy = 1;
    e.fetched_at = NOW - 6u * DAY - 1u;
    e.policy = mkpol(SMTPC_STS_MODE_ENFORCE, 7u * DAY, "mx.example.com");
    assert_int_equal(smtpc_sts_ram_ops.put(&fx.ram, &e), SMTPC_OK);
    txt("v=STSv1; id=new1;");
    serve_200(POLICY);
    assert_int_equal(smtpc_sts_refresh_due(&count_store, &fx.ram, NOW, &due), SMTPC_ERR_NOT_FOUND);
    /* a refresh run anyway does nothing */
    start_flags(SMTPC_STS_F_REFRESH);
    run();
    assert_no_fetch();
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_CACHED);
    assert_int_equal(fx.puts, 0);
    smtpc_sts_stop(&fx.s);
    /* once the back-off ends it is due, and the refresh fetches */
    fx.clk.utc_s = NOW - 10u + RETRY;
    assert_int_equal(smtpc_sts_refresh_due(&count_store, &fx.ram, fx.clk.utc_s, &due), SMTPC_OK);
    assert_string_equal(due.domain, DOMAIN);
    assert_int_equal(smtpc_sts_start(&fx.s, &fx.io, &fx.bufs, due.domain, SMTPC_STS_F_REFRESH),
                     SMTPC_IN_PROGRESS);
    run();
    assert_int_equal(fx.net.connect_calls, 1);
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_FETCHED);
    assert_string_equal(stored().id, "new1");
}

static void test_engine_refresh_without_record(void **state)
{
    smtpc_sts_entry_t e;
    (void)state;
    put_cached("abc", NOW - 100u, DAY);
    fx.srv.rcode = 3; /* NXDOMAIN */
    serve_200(POLICY);
    start_flags(SMTPC_STS_F_REFRESH);
    run();
    assert_int_equal(fx.s.txt_rc, SMTPC_ERR_DNS_NXDOMAIN);
    assert_int_equal(fx.net.connect_calls, 1);
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_FETCHED);
    e = stored();
    assert_string_equal(e.id, "abc");
    assert_int_equal(e.fetched_at, NOW);
    assert_int_equal(e.policy.mode, SMTPC_STS_MODE_ENFORCE);
}

static void test_engine_clock_unknown(void **state)
{
    (void)state;
    fx.clk.utc_s = 0;
    txt("v=STSv1; id=abc;");
    serve_200(POLICY);
    start_flags(0);
    run();
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_FETCHED);
    assert_int_equal(fx.s.clock_unknown, 1);
    assert_non_null(smtpc_sts_policy(&fx.s));
    assert_int_equal(fx.puts, 0); /* no fetch time to store */
    assert_int_equal(fx.s.store_rc, SMTPC_OK);
}

static void test_engine_store_refuses(void **state)
{
    (void)state;
    fx.put_rc = SMTPC_ERR_NO_SPACE;
    txt("v=STSv1; id=abc;");
    serve_200(POLICY);
    start_flags(0);
    run();
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_FETCHED);
    assert_int_equal(fx.s.store_rc, SMTPC_ERR_NO_SPACE);
    assert_int_equal(fx.puts, 1);
    assert_non_null(strstr(fx.notes, "MTA-STS store refused the entry: "));
}

static void test_engine_no_store(void **state)
{
    (void)state;
    fx.io.store = NULL;
    txt("v=STSv1; id=abc;");
    serve_200(POLICY);
    start_flags(0);
    run();
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_FETCHED);
    smtpc_sts_stop(&fx.s);
    /* every delivery fetches afresh */
    serve_200(POLICY);
    start_flags(0);
    run();
    assert_int_equal(fx.net.connect_calls, 2);
    assert_int_equal(fx.fs.close_calls, 2);
    assert_int_equal(fx.gets, 0);
    assert_int_equal(fx.puts, 0);
}

/* ------------------------------------------------- lifecycle, arguments --- */

static void test_engine_stop_mid_fetch(void **state)
{
    (void)state;
    txt("v=STSv1; id=abc;");
    start_flags(0);
    assert_int_equal(smtpc_sts_step(&fx.s), SMTPC_IN_PROGRESS); /* waiting for the response */
    assert_int_equal(fx.tls.start_calls, 1);
    assert_int_equal(fx.tls.end_calls, 0);
    assert_int_equal(fx.fs.close_calls, 0);
    smtpc_sts_stop(&fx.s);
    assert_int_equal(fx.tls.end_calls, 1);
    assert_int_equal(fx.fs.close_calls, 1);
    smtpc_sts_stop(&fx.s); /* safe twice */
    assert_int_equal(fx.tls.end_calls, 1);
    assert_int_equal(fx.fs.close_calls, 1);
    assert_int_equal(smtpc_sts_step(&fx.s), SMTPC_ERR_STATE);
    assert_null(smtpc_sts_policy(&fx.s));
    assert_int_equal(fx.puts, 0);
}

static void test_engine_stop_mid_connect(void **state)
{
    (void)state;
    fx.net.connect_rc = SMTPC_IN_PROGRESS;
    fx.net.poll_pending = 100;
    txt("v=STSv1; id=abc;");
    start_flags(0);
    assert_int_equal(smtpc_sts_step(&fx.s), SMTPC_IN_PROGRESS);
    smtpc_sts_stop(&fx.s);
    assert_int_equal(fx.tls.start_calls, 0);
    assert_int_equal(fx.streams, 0);
    assert_int_equal(fx.fs.close_calls, 0);
}

static void test_engine_stop_mid_txt(void **state)
{
    (void)state;
    fx.srv.silent = true;
    start_flags(0);
    assert_int_equal(smtpc_sts_step(&fx.s), SMTPC_IN_PROGRESS);
    assert_true(fx.dg.is_open);
    smtpc_sts_stop(&fx.s);
    assert_false(fx.dg.is_open);
    assert_int_equal(smtpc_sts_step(&fx.s), SMTPC_ERR_STATE);
    assert_no_fetch();
}

static void test_engine_txt_wants(void **state)
{
    uint32_t dl = 0;
    unsigned w;
    (void)state;
    fx.srv.silent = true;
    start_flags(0);
    assert_int_equal(smtpc_sts_step(&fx.s), SMTPC_IN_PROGRESS);
    w = smtpc_sts_wants(&fx.s, &dl);
    assert_true((w & SMTPC_WANT_TIMER) != 0u);
    assert_int_equal(dl, T0 + SMTPC_DNS_TIMEOUT_MS);
    assert_int_equal(smtpc_sts_wants(&fx.s, NULL), 0);
    assert_int_equal(smtpc_sts_wants(NULL, &dl), 0);
}

static void test_engine_step_before_start(void **state)
{
    static smtpc_sts_t s;
    (void)state;
    memset(&s, 0, sizeof(s));
    assert_int_equal(smtpc_sts_step(&s), SMTPC_ERR_STATE);
    assert_int_equal(smtpc_sts_step(NULL), SMTPC_ERR_STATE);
    smtpc_sts_stop(&s);
    smtpc_sts_stop(NULL);
    assert_null(smtpc_sts_policy(&s));
    assert_null(smtpc_sts_policy(NULL));
}

static void test_engine_start_bad_args(void **state)
{
    static char longname[300];
    smtpc_sts_bufs_t b;
    smtpc_sts_io_t io;
    (void)state;
#define BAD(expr) assert_int_equal((expr), SMTPC_ERR_BAD_ARG)
    BAD(smtpc_sts_start(NULL, &fx.io, &fx.bufs, DOMAIN, 0));
    BAD(smtpc_sts_start(&fx.s, NULL, &fx.bufs, DOMAIN, 0));
    BAD(smtpc_sts_start(&fx.s, &fx.io, NULL, DOMAIN, 0));
    BAD(smtpc_sts_start(&fx.s, &fx.io, &fx.bufs, NULL, 0));
    BAD(smtpc_sts_start(&fx.s, &fx.io, &fx.bufs, "", 0));
    b = fx.bufs;
    b.io_cap = 159;
    BAD(smtpc_sts_start(&fx.s, &fx.io, &b, DOMAIN, 0));
    b = fx.bufs;
    b.io_cap = 0x10000u;
    BAD(smtpc_sts_start(&fx.s, &fx.io, &b, DOMAIN, 0));
    b = fx.bufs;
    b.body_cap = 63;
    BAD(smtpc_sts_start(&fx.s, &fx.io, &b, DOMAIN, 0));
    b = fx.bufs;
    b.body = NULL;
    BAD(smtpc_sts_start(&fx.s, &fx.io, &b, DOMAIN, 0));
    b = fx.bufs;
    b.io = NULL;
    BAD(smtpc_sts_start(&fx.s, &fx.io, &b, DOMAIN, 0));
    b = fx.bufs;
    b.dns = NULL;
    BAD(smtpc_sts_start(&fx.s, &fx.io, &b, DOMAIN, 0));
    io = fx.io;
    io.dns = NULL;
    BAD(smtpc_sts_start(&fx.s, &io, &fx.bufs, DOMAIN, 0));
    io = fx.io;
    io.net = NULL;
    BAD(smtpc_sts_start(&fx.s, &io, &fx.bufs, DOMAIN, 0));
    io = fx.io;
    io.tls = NULL;
    BAD(smtpc_sts_start(&fx.s, &io, &fx.bufs, DOMAIN, 0));
    memset(longname, 'a', 254);
    longname[254] = '\0';
    BAD(smtpc_sts_start(&fx.s, &fx.io, &fx.bufs, longname, 0));
#undef BAD
    /* the smallest buffers are accepted and work */
    assert_int_equal(fx.srv.queries, 0);
    fx.bufs.io_cap = 160;
    fx.bufs.body_cap = 128;
    txt("v=STSv1; id=abc;");
    serve_200(POLICY);
    start_flags(0);
    run();
    assert_int_equal(fx.s.fetch_rc, SMTPC_OK);
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_FETCHED);
}

/* A name too long to carry "_mta-sts." publishes nothing: decided at once,
 * a cached policy (if any) still applies. */
static void test_engine_name_too_long_for_prefix(void **state)
{
    static char name[254];
    smtpc_sts_entry_t e;
    (void)state;
    memset(name, 'a', 253);
    name[253] = '\0';
    memset(&e, 0, sizeof(e));
    strcpy(e.domain, name);
    strcpy(e.id, "abc");
    e.has_policy = 1;
    e.fetched_at = NOW - 10u;
    e.policy = mkpol(SMTPC_STS_MODE_ENFORCE, DAY, "mx.example.com");
    assert_int_equal(smtpc_sts_ram_ops.put(&fx.ram, &e), SMTPC_OK);
    assert_int_equal(smtpc_sts_start(&fx.s, &fx.io, &fx.bufs, name, 0), SMTPC_IN_PROGRESS);
    assert_int_equal(smtpc_sts_step(&fx.s), SMTPC_OK);
    assert_int_equal(fx.srv.queries, 0);
    assert_int_equal(fx.s.applied, SMTPC_STS_APPLY_CACHED);
    assert_no_fetch();
}

/* ================================================================= main === */

#define ET(f) cmocka_unit_test_setup_teardown(f, engine_setup, engine_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decision_table),
        cmocka_unit_test(test_decision_edges),
        cmocka_unit_test(test_entry_fresh_expires),
        cmocka_unit_test(test_ram_get_put_iter),
        cmocka_unit_test(test_ram_bad_domain),
        cmocka_unit_test(test_ram_eviction),
        cmocka_unit_test(test_ram_iter_holes),
        cmocka_unit_test(test_refresh_due),
        cmocka_unit_test(test_refresh_due_half_max_age),
        ET(test_engine_fetch_200),
        ET(test_engine_port_async_connect_and_handshake),
        ET(test_engine_slow_stream),
        ET(test_engine_close_delimited),
        ET(test_engine_body_aliases_dns),
        ET(test_engine_fetched_none_policy),
        ET(test_engine_redirect_no_cache),
        ET(test_engine_redirect_fresh_cache),
        ET(test_engine_404),
        ET(test_engine_text_html),
        ET(test_engine_chunked_at_cap),
        ET(test_engine_chunked_oversize),
        ET(test_engine_body_cap_from_buffer),
        ET(test_engine_invalid_policy),
        ET(test_engine_invalid_policy_keeps_cache),
        ET(test_engine_truncated_response),
        ET(test_engine_tls_cert_failure),
        ET(test_engine_tls_start_failure),
        ET(test_engine_connection_refused),
        ET(test_engine_connect_poll_fails),
        ET(test_engine_server_silent),
        ET(test_engine_default_timeout_wraps),
        ET(test_engine_two_records),
        ET(test_engine_two_records_keep_cache),
        ET(test_engine_split_record),
        ET(test_engine_long_record_is_candidate),
        ET(test_engine_long_record_alone),
        ET(test_engine_long_record_short_first_string),
        ET(test_engine_long_unrelated_record),
        ET(test_engine_dns_errors),
        ET(test_engine_second_run_uses_cache),
        ET(test_engine_expired_cache_refetches),
        ET(test_engine_backoff_then_retry),
        ET(test_engine_refresh),
        ET(test_engine_refresh_backoff_newer_id),
        ET(test_engine_refresh_without_record),
        ET(test_engine_clock_unknown),
        ET(test_engine_store_refuses),
        ET(test_engine_no_store),
        ET(test_engine_stop_mid_fetch),
        ET(test_engine_stop_mid_connect),
        ET(test_engine_stop_mid_txt),
        ET(test_engine_txt_wants),
        ET(test_engine_step_before_start),
        ET(test_engine_start_bad_args),
        ET(test_engine_name_too_long_for_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
