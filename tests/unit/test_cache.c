/* The MTA-STS policy cache on flash (smtpc_cache.c) over the key-value store
 * and the flash backends of port/flash:
 *  - store semantics: put/get/iter round trips of whole entries (policies
 *    packed by smtpc_sts_policy_parse, back-off state, back-off-only
 *    entries), persistence across a remount, the compact refresh record (a
 *    same-policy refetch programs one small R record, an identical put
 *    nothing), a changed policy (a new P record; the stale R no longer
 *    applies), eviction beyond SMTPC_CACHE_ENTRIES, drop, count, BAD_ARG,
 *    undecodable values (NOT_FOUND, skipped by iter, evicted first);
 *  - the time floor: written once per SMTPC_TIME_FLOOR_STEP_S, kept across
 *    remounts; smtpc_floor_clock_ops over a fake inner clock;
 *  - a random workload against a model, with remounts;
 *  - corrupted images (seeded): flipped bits, random bytes, wrong versions,
 *    fuzzed values: mount works and every get returns NOT_FOUND or an entry
 *    that was put at some point;
 *  - power cuts (the emulator of port/flash): for each scenario and each cut
 *    mode, a cut at every write operation, a reboot and a remount (kvs and
 *    cache); the cache must hold exactly the old or exactly the new state
 *    (or, for eviction, the one intermediate state cache.h documents for
 *    the path taken), every other domain intact, and take further puts;
 *  - wear: erases per sector and bytes programmed per refresh.
 *
 * `test_cache` runs the unit group with a power-cut sample on one geometry
 * (fast enough for valgrind); `test_cache --powercut` runs the exhaustive
 * suite: six geometries, eight seeds per half-done cut, nested cuts (a cut
 * during the redo after a cut) for the compaction scenarios, and the every-
 * byte bit flip. Both print "cache power-cut: N cut points, F failures".
 * Every random input comes from a fixed seed, so a failure replays.
 *
 * Every RAM flash here is strict: a prog over programmed bits, or an
 * unaligned access, is counted and the tests assert the counts stay zero.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtpc/cache.h"
#include "smtpc/err.h"
#include "smtpc/kvs.h"
#include "smtpc/sts.h"

#include "smtpc_flash_emu.h"
#include "smtpc_flash_ram.h"
#include "flash_test_util.h"

#define DAY 86400u
#define T0  1700000000ull

/* ============================================================ helpers === */

/* rnd(), geom(), g_unit(), g_pad(): tests/fakes/flash_test_util.h */

/* A strict RAM flash, the emulator over it, a store, a cache, two images. */
typedef struct {
    smtpc_flash_geom_t g;
    uint32_t size;
    uint8_t *mem;
    uint8_t *img;
    uint8_t *img2;
    smtpc_flash_ram_t ram;
    smtpc_flash_emu_t emu;
    smtpc_kvs_t kvs;
    smtpc_cache_t cache;
} rig_t;

static rig_t *rig_new(const smtpc_flash_geom_t *g)
{
    rig_t *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->g = *g;
    r->size = g->sector_size * g->sector_count;
    r->mem = malloc(r->size);
    r->img = malloc(r->size);
    r->img2 = malloc(r->size);
    assert_non_null(r->mem);
    assert_non_null(r->img);
    assert_non_null(r->img2);
    assert_int_equal(smtpc_flash_ram_init(&r->ram, r->mem, r->size, g), SMTPC_OK);
    r->ram.strict = 1;
    assert_int_equal(smtpc_flash_emu_init(&r->emu, &r->ram), SMTPC_OK);
    return r;
}

static void rig_free(rig_t *r)
{
    free(r->mem);
    free(r->img);
    free(r->img2);
    free(r);
}

/* Mount the store, then attach the cache (what a board does at boot). */
static int rig_mount(rig_t *r)
{
    int rc = smtpc_kvs_mount(&r->kvs, &r->emu.ops, &r->emu);
    if (rc != SMTPC_OK) {
        return rc;
    }
    return smtpc_cache_init(&r->cache, &r->kvs);
}

static int rig_remount(rig_t *r)
{
    smtpc_flash_emu_reboot(&r->emu);
    return rig_mount(r);
}

static void rig_save(rig_t *r, uint8_t *img)
{
    memcpy(img, r->mem, r->size);
}

static void rig_load(rig_t *r, const uint8_t *img)
{
    memcpy(r->mem, img, r->size);
    smtpc_flash_emu_reboot(&r->emu);
    r->ram.violations = 0;
    r->ram.misaligned = 0;
}

static int rig_clean(const rig_t *r)
{
    return r->ram.violations == 0u && r->ram.misaligned == 0u;
}

static int c_put(rig_t *r, const smtpc_sts_entry_t *e)
{
    return smtpc_cache_ops.put(&r->cache, e);
}

static int c_get(rig_t *r, const char *domain, smtpc_sts_entry_t *out)
{
    return smtpc_cache_ops.get(&r->cache, domain, out);
}

static int c_iter(rig_t *r, unsigned idx, smtpc_sts_entry_t *out)
{
    return smtpc_cache_ops.iter(&r->cache, idx, out);
}

static uint32_t kbytes(const rig_t *r)
{
    return smtpc_kvs_stats(&r->kvs)->bytes;
}

static uint32_t kcompactions(const rig_t *r)
{
    return smtpc_kvs_stats(&r->kvs)->compactions;
}

/* Is the record @p kind + @p domain in the store? */
static int kvs_has(rig_t *r, char kind, const char *domain)
{
    uint8_t key[300];
    size_t n = strlen(domain);
    size_t len = 0;
    key[0] = (uint8_t)kind;
    memcpy(key + 1, domain, n);
    return smtpc_kvs_get(&r->kvs, key, n + 1u, NULL, 0, &len) != SMTPC_ERR_NOT_FOUND;
}

static int kvs_read_rec(rig_t *r, char kind, const char *domain, uint8_t *val, size_t cap,
                        size_t *len)
{
    uint8_t key[300];
    size_t n = strlen(domain);
    key[0] = (uint8_t)kind;
    memcpy(key + 1, domain, n);
    return smtpc_kvs_get(&r->kvs, key, n + 1u, val, cap, len);
}

static int kvs_write_rec(rig_t *r, char kind, const char *domain, const uint8_t *val, size_t len)
{
    uint8_t key[300];
    size_t n = strlen(domain);
    key[0] = (uint8_t)kind;
    memcpy(key + 1, domain, n);
    return smtpc_kvs_put(&r->kvs, key, n + 1u, val, len);
}

/* ---------------------------------------------------------- entries --- */

#define MAXD 12u

static const char *dom(unsigned i)
{
    static char names[MAXD + 4u][24];
    static int init;
    if (!init) {
        unsigned k;
        for (k = 0; k < MAXD + 4u; k++) {
            snprintf(names[k], sizeof(names[k]), "d%02u.example.org", k);
        }
        init = 1;
    }
    return names[i];
}

static int dom_index(const char *d)
{
    unsigned i;
    for (i = 0; i < MAXD; i++) {
        if (strcmp(d, dom(i)) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* A policy body as a server sends it; @p variant changes the mx patterns. */
static void policy_text(char *buf, size_t cap, int mode, uint32_t max_age, unsigned variant,
                        unsigned nmx)
{
    static const char *const modes[] = {"none", "testing", "enforce"};
    size_t n;
    unsigned i;
    snprintf(buf, cap, "version: STSv1\r\nmode: %s\r\n", modes[mode]);
    for (i = 0; i < nmx; i++) {
        n = strlen(buf);
        snprintf(buf + n, cap - n, "mx: %smx%u.v%u.example.net\r\n", i == 0u ? "*." : "", i,
                 variant);
    }
    n = strlen(buf);
    snprintf(buf + n, cap - n, "max_age: %u\r\n", (unsigned)max_age);
}

/* An entry holding a policy parsed by smtpc_sts_policy_parse. */
static void mk_entry(smtpc_sts_entry_t *e, const char *domain, const char *id, int mode,
                     uint32_t max_age, unsigned variant, unsigned nmx, uint64_t fetched_at)
{
    char body[1024];
    memset(e, 0, sizeof(*e));
    snprintf(e->domain, sizeof(e->domain), "%s", domain);
    snprintf(e->id, sizeof(e->id), "%s", id);
    policy_text(body, sizeof(body), mode, max_age, variant, nmx);
    assert_int_equal(smtpc_sts_policy_parse(body, strlen(body), &e->policy), SMTPC_OK);
    e->has_policy = 1;
    e->fetched_at = fetched_at;
}

/* An entry with back-off state only (a first fetch that failed). */
static void mk_backoff(smtpc_sts_entry_t *e, const char *domain, const char *fail_id,
                       uint64_t fail_at)
{
    memset(e, 0, sizeof(*e));
    snprintf(e->domain, sizeof(e->domain), "%s", domain);
    snprintf(e->fail_id, sizeof(e->fail_id), "%s", fail_id);
    e->fail_at = fail_at;
}

static int entry_eq(const smtpc_sts_entry_t *a, const smtpc_sts_entry_t *b)
{
    return strcmp(a->domain, b->domain) == 0 && strcmp(a->id, b->id) == 0 &&
           strcmp(a->fail_id, b->fail_id) == 0 && a->has_policy == b->has_policy &&
           a->fetched_at == b->fetched_at && a->fail_at == b->fail_at &&
           a->policy.mode == b->policy.mode && a->policy.mx_count == b->policy.mx_count &&
           a->policy.max_age == b->policy.max_age &&
           a->policy.mx_pool_len == b->policy.mx_pool_len &&
           a->policy.mx_pool_len <= sizeof(a->policy.mx_pool) &&
           memcmp(a->policy.mx_pool, b->policy.mx_pool, a->policy.mx_pool_len) == 0;
}

/* An entry read back is well formed: strings terminated, the patterns fill
 * the pool as mx_count NUL-terminated strings. */
static int entry_sane(const smtpc_sts_entry_t *e)
{
    unsigned n = 0;
    size_t i;
    if (memchr(e->domain, 0, sizeof(e->domain)) == NULL ||
        memchr(e->id, 0, sizeof(e->id)) == NULL ||
        memchr(e->fail_id, 0, sizeof(e->fail_id)) == NULL || e->has_policy > 1u ||
        e->policy.mode > SMTPC_STS_MODE_ENFORCE || e->policy.max_age > 31557600u ||
        e->policy.mx_pool_len > sizeof(e->policy.mx_pool)) {
        return 0;
    }
    for (i = 0; i < e->policy.mx_pool_len; i++) {
        n += e->policy.mx_pool[i] == '\0';
    }
    if (n != e->policy.mx_count ||
        (e->policy.mx_pool_len > 0u && e->policy.mx_pool[e->policy.mx_pool_len - 1u] != '\0')) {
        return 0;
    }
    (void)smtpc_sts_mx_allowed(&e->policy, "mx0.v1.example.net");
    return 1;
}

/* Record sizes of the format in smtpc_cache.c (P: the whole entry; R: the
 * refresh record), before padding. */
static uint32_t p_rec(const smtpc_sts_entry_t *e)
{
    return (uint32_t)(8u + 1u + strlen(e->domain) + 28u + strlen(e->id) + e->policy.mx_pool_len +
                      strlen(e->fail_id));
}

static uint32_t r_rec(const smtpc_sts_entry_t *e)
{
    return (uint32_t)(8u + 1u + strlen(e->domain) + 22u + strlen(e->fail_id));
}

/* ------------------------------------------------------------ the model --- */

typedef struct {
    uint8_t has[MAXD];
    smtpc_sts_entry_t e[MAXD];
} model_t;

static unsigned model_count(const model_t *m)
{
    unsigned i;
    unsigned n = 0;
    for (i = 0; i < MAXD; i++) {
        n += m->has[i];
    }
    return n;
}

static unsigned long g_ties;

/* The eviction rule of cache.h: an entry without a policy first, else the
 * one expiring first; never @p keep. Ties would depend on the store's
 * order: the scenarios avoid them (counted in g_ties). */
/* With @p r (the random workload, where back-off-only entries tie at 0), a
 * tie goes to the candidate the cache no longer holds. */
static int model_victim(const model_t *m, int keep, rig_t *r)
{
    int best = -1;
    uint64_t best_exp = 0;
    unsigned i;
    for (i = 0; i < MAXD; i++) {
        uint64_t exp;
        if (!m->has[i] || (int)i == keep) {
            continue;
        }
        exp = smtpc_sts_entry_expires(&m->e[i]);
        if (best >= 0 && m->e[i].has_policy == m->e[best].has_policy && exp == best_exp) {
            smtpc_sts_entry_t tmp;
            if (r == NULL) {
                g_ties++;
            } else if (c_get(r, m->e[best].domain, &tmp) == SMTPC_OK &&
                       c_get(r, m->e[i].domain, &tmp) == SMTPC_ERR_NOT_FOUND) {
                best = (int)i;
            }
        }
        if (best < 0 || m->e[i].has_policy < m->e[best].has_policy ||
            (m->e[i].has_policy == m->e[best].has_policy && exp < best_exp)) {
            best = (int)i;
            best_exp = exp;
        }
    }
    return best;
}

/* A put as cache.h describes it: store, then trim to SMTPC_CACHE_ENTRIES.
 * Returns the (last) victim or -1. */
static int model_put_r(model_t *m, const smtpc_sts_entry_t *e, rig_t *r)
{
    int k = dom_index(e->domain);
    int victim = -1;
    assert_true(k >= 0);
    m->has[k] = 1;
    m->e[k] = *e;
    while (model_count(m) > SMTPC_CACHE_ENTRIES) {
        int v = model_victim(m, k, r);
        if (v < 0) {
            break;
        }
        m->has[v] = 0;
        victim = v;
    }
    return victim;
}

static int model_put(model_t *m, const smtpc_sts_entry_t *e)
{
    return model_put_r(m, e, NULL);
}

static int g_verbose_mismatch;

/* The cache holds exactly @p m: get, iter and count agree with it. */
static int cache_is(rig_t *r, const model_t *m)
{
    smtpc_sts_entry_t got;
    unsigned seen[MAXD];
    unsigned i;
    memset(seen, 0, sizeof(seen));
    for (i = 0; i < MAXD; i++) {
        int rc = c_get(r, dom(i), &got);
        if (m->has[i] ? rc != SMTPC_OK || !entry_eq(&got, &m->e[i]) : rc != SMTPC_ERR_NOT_FOUND) {
            if (g_verbose_mismatch) {
                printf("  mismatch at %s: rc %d, model has %u (fetched %llu / got %llu)\n", dom(i),
                       rc, m->has[i], (unsigned long long)m->e[i].fetched_at,
                       (unsigned long long)got.fetched_at);
            }
            return 0;
        }
    }
    for (i = 0; c_iter(r, i, &got) == SMTPC_OK; i++) {
        int k = dom_index(got.domain);
        if (i > 2u * MAXD || k < 0 || !m->has[k] || seen[k]++ != 0u || !entry_eq(&got, &m->e[k])) {
            return 0;
        }
    }
    return i == model_count(m) && smtpc_cache_count(&r->cache) == model_count(m);
}

/* Base entry @p i: distinct expiries, in the order d3 d5 d1 d7 d0 d2 d4 d6
 * d8 d9 d10 d11 (max_age in days below), and a few mx patterns. */
static void base_entry(smtpc_sts_entry_t *e, unsigned i)
{
    static const uint32_t days[MAXD] = {5, 3, 6, 1, 7, 2, 8, 4, 30, 31, 32, 33};
    char id[16];
    snprintf(id, sizeof(id), "id%ua", i);
    mk_entry(e, dom(i), id, i % 3u == 2u ? SMTPC_STS_MODE_TESTING : SMTPC_STS_MODE_ENFORCE,
             days[i] * DAY, i, 1u + i % 3u, T0 + i * 10u);
}

/* Puts base entries 0..n-1 (entry @p nopol, when < n, as back-off only),
 * then a same-policy refresh of every domain in @p refresh_mask. */
static void setup_base(rig_t *r, model_t *m, unsigned n, unsigned nopol, unsigned refresh_mask)
{
    smtpc_sts_entry_t e;
    unsigned i;
    memset(m, 0, sizeof(*m));
    for (i = 0; i < n; i++) {
        if (i == nopol) {
            mk_backoff(&e, dom(i), "idnope", T0 + i * 10u);
        } else {
            base_entry(&e, i);
        }
        assert_int_equal(c_put(r, &e), SMTPC_OK);
        assert_int_equal(model_put(m, &e), -1);
    }
    for (i = 0; i < n; i++) {
        if ((refresh_mask & (1u << i)) != 0u && m->e[i].has_policy) {
            e = m->e[i];
            e.fetched_at += 3600u;
            assert_int_equal(c_put(r, &e), SMTPC_OK);
            (void)model_put(m, &e);
            assert_true(kvs_has(r, 'R', dom(i)));
        }
    }
    assert_true(cache_is(r, m));
}

/* ======================================================= store semantics === */

static void test_cache_roundtrip_iter_persist(void **state)
{
    smtpc_flash_geom_t g = geom(1, 16, 4096, 2, 0xFF);
    rig_t *r = rig_new(&g);
    smtpc_sts_entry_t e[8];
    smtpc_sts_entry_t got;
    smtpc_kvs_t *kvs2;
    smtpc_cache_t *c2;
    char body[1024];
    char longd[254];
    unsigned seen = 0;
    unsigned i;
    unsigned n = 0;
    (void)state;
    assert_int_equal(rig_mount(r), SMTPC_OK);
    assert_int_equal(smtpc_cache_count(&r->cache), 0);
    assert_int_equal(c_iter(r, 0, &got), SMTPC_ERR_NOT_FOUND);

    /* enforce, two patterns, an id of the largest size */
    mk_entry(&e[n++], "example.com", "20240101T000000abcdefghijklmnopq", SMTPC_STS_MODE_ENFORCE,
             604800, 1, 2, T0);
    assert_int_equal(strlen(e[0].id), SMTPC_STS_ID_MAX);
    /* testing, one wildcard pattern */
    mk_entry(&e[n++], "mail.example.org", "t1", SMTPC_STS_MODE_TESTING, DAY, 2, 1, T0 + 1u);
    /* mode none: no patterns */
    mk_entry(&e[n++], "optout.example.net", "none1", SMTPC_STS_MODE_NONE, 3600, 0, 0, T0 + 2u);
    assert_int_equal(e[2].policy.mx_count, 0);
    /* back-off only: no policy */
    mk_backoff(&e[n++], "nopolicy.example", "abc123", T0 + 5u);
    /* a policy with back-off state of a newer id, the largest fail_id */
    mk_entry(&e[n], "backoff.example", "old1", SMTPC_STS_MODE_ENFORCE, 2u * DAY, 3, 3, T0 + 6u);
    snprintf(e[n].fail_id, sizeof(e[n].fail_id), "%s", "ffffffffffffffffffffffffffffffff");
    e[n++].fail_at = T0 + 7u;
    /* the most patterns a policy may carry, from a hand-written body */
    memset(&e[n], 0, sizeof(e[n]));
    snprintf(e[n].domain, sizeof(e[n].domain), "%s", "many.example");
    snprintf(e[n].id, sizeof(e[n].id), "%s", "many");
    snprintf(body, sizeof(body), "version: STSv1\nmode: enforce\n");
    for (i = 0; i < SMTPC_STS_MAX_MX_PATTERNS; i++) {
        size_t l = strlen(body);
        snprintf(body + l, sizeof(body) - l, "mx: MX%u.Many.Example\n", i);
    }
    strcat(body, "max_age: 31557600\n");
    assert_int_equal(smtpc_sts_policy_parse(body, strlen(body), &e[n].policy), SMTPC_OK);
    assert_int_equal(e[n].policy.mx_count, SMTPC_STS_MAX_MX_PATTERNS);
    e[n].has_policy = 1;
    e[n++].fetched_at = T0 + 8u;
    /* the longest domain (253 octets) with a small policy */
    memset(longd, 'a', sizeof(longd));
    longd[63] = '.';
    longd[127] = '.';
    longd[191] = '.';
    longd[253] = '\0';
    mk_entry(&e[n++], longd, "L", SMTPC_STS_MODE_ENFORCE, DAY, 4, 1, T0 + 9u);
    assert_int_equal(strlen(e[n - 1u].domain), 253);

    for (i = 0; i < n; i++) {
        assert_int_equal(c_put(r, &e[i]), SMTPC_OK);
    }
    for (i = 0; i < n; i++) {
        assert_int_equal(c_get(r, e[i].domain, &got), SMTPC_OK);
        assert_true(entry_eq(&got, &e[i]));
        assert_true(entry_sane(&got));
    }
    /* the patterns still match after the round trip */
    assert_int_equal(c_get(r, "example.com", &got), SMTPC_OK);
    assert_true(smtpc_sts_mx_allowed(&got.policy, "a.mx0.v1.example.net"));
    assert_true(smtpc_sts_mx_allowed(&got.policy, "mx1.v1.example.net"));
    assert_false(smtpc_sts_mx_allowed(&got.policy, "mx2.v1.example.net"));
    assert_int_equal(c_get(r, "many.example", &got), SMTPC_OK);
    assert_true(smtpc_sts_mx_allowed(&got.policy, "mx7.many.example"));
    assert_int_equal(c_get(r, "absent.example", &got), SMTPC_ERR_NOT_FOUND);
    assert_int_equal(c_get(r, "Example.com", &got), SMTPC_ERR_NOT_FOUND); /* keys are exact */

    /* iter: every entry once, then NOT_FOUND */
    for (i = 0; c_iter(r, i, &got) == SMTPC_OK; i++) {
        unsigned k;
        for (k = 0; k < n; k++) {
            if (entry_eq(&got, &e[k])) {
                assert_int_equal(seen & (1u << k), 0);
                seen |= 1u << k;
            }
        }
    }
    assert_int_equal(i, n);
    assert_int_equal(seen, (1u << n) - 1u);
    assert_int_equal(smtpc_cache_count(&r->cache), n);

    /* an entry too large for one record (longest domain, many long
     * patterns): refused, the previous entry kept */
    got = e[n - 1u];
    memset(got.id, 'i', SMTPC_STS_ID_MAX);
    got.id[SMTPC_STS_ID_MAX] = '\0';
    snprintf(body, sizeof(body), "version: STSv1\nmode: enforce\n");
    for (i = 0; i < SMTPC_STS_MAX_MX_PATTERNS; i++) {
        size_t l = strlen(body);
        snprintf(body + l, sizeof(body) - l, "mx: mx%u.long-name.example.com\n", i);
    }
    strcat(body, "max_age: 600\n");
    assert_int_equal(smtpc_sts_policy_parse(body, strlen(body), &got.policy), SMTPC_OK);
    assert_int_equal(c_put(r, &got), SMTPC_ERR_NO_SPACE);
    assert_int_equal(c_get(r, longd, &got), SMTPC_OK);
    assert_true(entry_eq(&got, &e[n - 1u]));

    /* persistence: a new store and a new cache over the same flash */
    kvs2 = calloc(1, sizeof(*kvs2));
    c2 = calloc(1, sizeof(*c2));
    assert_non_null(kvs2);
    assert_non_null(c2);
    smtpc_flash_emu_reboot(&r->emu);
    assert_int_equal(smtpc_kvs_mount(kvs2, &r->emu.ops, &r->emu), SMTPC_OK);
    assert_int_equal(smtpc_kvs_stats(kvs2)->formatted, 0);
    assert_int_equal(smtpc_kvs_stats(kvs2)->torn, 0);
    assert_int_equal(smtpc_cache_init(c2, kvs2), SMTPC_OK);
    for (i = 0; i < n; i++) {
        assert_int_equal(smtpc_cache_ops.get(c2, e[i].domain, &got), SMTPC_OK);
        assert_true(entry_eq(&got, &e[i]));
    }
    for (i = 0; smtpc_cache_ops.iter(c2, i, &got) == SMTPC_OK; i++) {
    }
    assert_int_equal(i, n);
    assert_int_equal(smtpc_cache_count(c2), n);
    free(kvs2);
    free(c2);
    assert_true(rig_clean(r));
    rig_free(r);
}

static void test_cache_refresh_writes_only_refresh_record(void **state)
{
    smtpc_flash_geom_t g = geom(1, 16, 4096, 2, 0xFF);
    rig_t *r = rig_new(&g);
    smtpc_sts_entry_t e;
    smtpc_sts_entry_t got;
    uint8_t stale[64];
    size_t stale_len = 0;
    uint32_t b;
    uint32_t w;
    uint32_t p_pad;
    uint32_t r_pad;
    unsigned k;
    (void)state;
    assert_int_equal(rig_mount(r), SMTPC_OK);
    mk_entry(&e, dom(0), "id1", SMTPC_STS_MODE_ENFORCE, 7u * DAY, 1, 3, T0);
    b = kbytes(r);
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    p_pad = g_pad(&g, p_rec(&e));
    assert_int_equal(kbytes(r) - b, p_pad);
    /* a plain refresh record is less than half a policy record */
    assert_true(2u * g_pad(&g, r_rec(&e)) <= p_pad);
    assert_false(kvs_has(r, 'R', dom(0)));

    /* refetches of the same policy, some with back-off state: one compact
     * R record each, however many in a row */
    for (k = 1; k <= 20u; k++) {
        e.fetched_at = T0 + k * 3600u;
        if (k % 4u == 0u) {
            snprintf(e.fail_id, sizeof(e.fail_id), "next%u", k);
            e.fail_at = e.fetched_at + 60u;
        } else {
            e.fail_id[0] = '\0';
            e.fail_at = 0;
        }
        r_pad = g_pad(&g, r_rec(&e));
        b = kbytes(r);
        w = smtpc_kvs_stats(&r->kvs)->progs;
        assert_int_equal(c_put(r, &e), SMTPC_OK);
        assert_int_equal(smtpc_kvs_stats(&r->kvs)->progs - w, 1);
        assert_int_equal(kbytes(r) - b, r_pad);
        assert_true(r_pad < p_pad);
        assert_int_equal(c_get(r, dom(0), &got), SMTPC_OK);
        assert_true(entry_eq(&got, &e));
    }
    got = e;
    got.fail_id[0] = '\0';
    printf("cache: P record %u bytes programmed, R record %u (prog 16, domain %u octets, 3 "
           "patterns)\n",
           (unsigned)p_pad, (unsigned)g_pad(&g, r_rec(&got)), (unsigned)strlen(e.domain));
    assert_true(kvs_has(r, 'R', dom(0)));

    /* an identical put writes nothing */
    w = r->emu.wops;
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    assert_int_equal(r->emu.wops, w);

    /* persisted: P plus the refresh */
    assert_int_equal(rig_remount(r), SMTPC_OK);
    assert_int_equal(c_get(r, dom(0), &got), SMTPC_OK);
    assert_true(entry_eq(&got, &e));
    w = r->emu.wops;
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    assert_int_equal(r->emu.wops, w);
    assert_int_equal(kvs_read_rec(r, 'R', dom(0), stale, sizeof(stale), &stale_len), SMTPC_OK);

    /* a new id: a new P record, the refresh record goes */
    snprintf(e.id, sizeof(e.id), "%s", "id2");
    e.fetched_at += 3600u;
    b = kbytes(r);
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    assert_true(kbytes(r) - b >= g_pad(&g, p_rec(&e)));
    assert_false(kvs_has(r, 'R', dom(0)));
    assert_int_equal(c_get(r, dom(0), &got), SMTPC_OK);
    assert_true(entry_eq(&got, &e));
    /* an identical put right after a P record writes nothing either */
    w = r->emu.wops;
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    assert_int_equal(r->emu.wops, w);
    assert_false(kvs_has(r, 'R', dom(0)));

    /* the stale R record (it names the old P value) no longer applies */
    assert_int_equal(kvs_write_rec(r, 'R', dom(0), stale, stale_len), SMTPC_OK);
    assert_int_equal(c_get(r, dom(0), &got), SMTPC_OK);
    assert_true(entry_eq(&got, &e));
    assert_int_equal(rig_remount(r), SMTPC_OK);
    assert_int_equal(c_get(r, dom(0), &got), SMTPC_OK);
    assert_true(entry_eq(&got, &e));

    /* same id, other patterns: a P record; then the mode; then max_age */
    e.fetched_at += 3600u;
    assert_int_equal(c_put(r, &e), SMTPC_OK); /* a refresh (R) first */
    assert_true(kvs_has(r, 'R', dom(0)));
    mk_entry(&got, dom(0), "id2", SMTPC_STS_MODE_ENFORCE, 7u * DAY, 2, 2, e.fetched_at + 60u);
    e = got;
    b = kbytes(r);
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    assert_true(kbytes(r) - b >= g_pad(&g, p_rec(&e)));
    assert_false(kvs_has(r, 'R', dom(0)));
    assert_int_equal(c_get(r, dom(0), &got), SMTPC_OK);
    assert_true(entry_eq(&got, &e));
    e.policy.mode = SMTPC_STS_MODE_TESTING;
    b = kbytes(r);
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    assert_true(kbytes(r) - b >= g_pad(&g, p_rec(&e)));
    e.policy.max_age = DAY;
    b = kbytes(r);
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    assert_true(kbytes(r) - b >= g_pad(&g, p_rec(&e)));
    assert_int_equal(c_get(r, dom(0), &got), SMTPC_OK);
    assert_true(entry_eq(&got, &e));
    /* a policy dropped to back-off only is a change too */
    mk_backoff(&got, dom(0), "id3", e.fetched_at + 99u);
    e = got;
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    assert_int_equal(c_get(r, dom(0), &got), SMTPC_OK);
    assert_true(entry_eq(&got, &e));
    e.fail_at += 600u; /* back-off only, updated: R */
    b = kbytes(r);
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    assert_int_equal(kbytes(r) - b, g_pad(&g, r_rec(&e)));
    assert_int_equal(rig_remount(r), SMTPC_OK);
    assert_int_equal(c_get(r, dom(0), &got), SMTPC_OK);
    assert_true(entry_eq(&got, &e));
    assert_int_equal(kcompactions(r), 0);
    assert_true(rig_clean(r));
    rig_free(r);
}

static void test_cache_eviction_drop_count(void **state)
{
    smtpc_flash_geom_t g = geom(1, 16, 4096, 2, 0xFF);
    rig_t *r = rig_new(&g);
    static model_t m;
    smtpc_sts_entry_t e;
    uint32_t w;
    (void)state;
    g_ties = 0;
    assert_int_equal(rig_mount(r), SMTPC_OK);
    /* the cache full of policies, some refreshed (R records) */
    setup_base(r, &m, SMTPC_CACHE_ENTRIES, MAXD, 0x55u);
    assert_int_equal(smtpc_cache_count(&r->cache), SMTPC_CACHE_ENTRIES);

    /* a new domain evicts the one expiring first (d3: max_age 1 day) */
    base_entry(&e, 8);
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    assert_int_equal(model_put(&m, &e), 3);
    assert_true(cache_is(r, &m));
    assert_false(kvs_has(r, 'P', dom(3)));
    assert_false(kvs_has(r, 'R', dom(3)));

    /* a new domain with no policy is not its own victim: d5 (2 days) goes */
    mk_backoff(&e, dom(9), "x9", T0 + 50u);
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    assert_int_equal(model_put(&m, &e), 5);
    assert_true(cache_is(r, &m));

    /* the next new domain evicts the entry without a policy first, though
     * d1 expires earlier */
    base_entry(&e, 10);
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    assert_int_equal(model_put(&m, &e), 9);
    assert_true(cache_is(r, &m));

    /* a new domain expiring before all the others is kept: d1 goes */
    mk_entry(&e, dom(11), "short", SMTPC_STS_MODE_ENFORCE, 60, 11, 1, T0);
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    assert_int_equal(model_put(&m, &e), 1);
    assert_true(cache_is(r, &m));

    /* updates of cached domains evict nothing */
    e = m.e[0];
    e.fetched_at += DAY;
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    assert_int_equal(model_put(&m, &e), -1);
    snprintf(e.id, sizeof(e.id), "%s", "newid");
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    assert_int_equal(model_put(&m, &e), -1);
    assert_true(cache_is(r, &m));
    assert_int_equal(smtpc_cache_count(&r->cache), SMTPC_CACHE_ENTRIES);

    /* drop: entry and refresh record gone; absent: OK, nothing written */
    e = m.e[2];
    e.fetched_at += 10u;
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    (void)model_put(&m, &e);
    assert_true(kvs_has(r, 'R', dom(2)));
    assert_int_equal(smtpc_cache_drop(&r->cache, dom(2)), SMTPC_OK);
    m.has[2] = 0;
    assert_false(kvs_has(r, 'P', dom(2)));
    assert_false(kvs_has(r, 'R', dom(2)));
    assert_true(cache_is(r, &m));
    assert_int_equal(smtpc_cache_count(&r->cache), SMTPC_CACHE_ENTRIES - 1u);
    w = r->emu.wops;
    assert_int_equal(smtpc_cache_drop(&r->cache, dom(2)), SMTPC_OK);
    assert_int_equal(smtpc_cache_drop(&r->cache, "never.example"), SMTPC_OK);
    assert_int_equal(r->emu.wops, w);
    /* room again: a new domain evicts nothing */
    base_entry(&e, 3);
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    assert_int_equal(model_put(&m, &e), -1);
    assert_true(cache_is(r, &m));

    assert_int_equal(rig_remount(r), SMTPC_OK);
    assert_true(cache_is(r, &m));
    assert_int_equal(g_ties, 0);
    assert_true(rig_clean(r));
    rig_free(r);
}

/* Keys that are not the cache's, filling the rest of the store's index. */
static void put_foreign(rig_t *r, unsigned n)
{
    unsigned i;
    for (i = 0; i < n; i++) {
        char k[4] = {'X', 'f', (char)('0' + i), '\0'};
        char v[24];
        snprintf(v, sizeof(v), "foreign-%u", i);
        assert_int_equal(
            smtpc_kvs_put(&r->kvs, (const uint8_t *)k, 3, (const uint8_t *)v, strlen(v)), SMTPC_OK);
    }
}

static int foreign_ok(rig_t *r, unsigned n)
{
    unsigned i;
    for (i = 0; i < n; i++) {
        char k[4] = {'X', 'f', (char)('0' + i), '\0'};
        char v[24];
        uint8_t got[24];
        size_t len = 0;
        snprintf(v, sizeof(v), "foreign-%u", i);
        if (smtpc_kvs_get(&r->kvs, (const uint8_t *)k, 3, got, sizeof(got), &len) != SMTPC_OK ||
            len != strlen(v) || memcmp(got, v, len) != 0) {
            return 0;
        }
    }
    return 1;
}

/* The store's index full: the cache makes room before it writes (the path
 * cache.h calls "trims first"), and an orphaned refresh record (a cut
 * between the two deletes of a drop leaves one) does not block it. */
static void test_cache_eviction_index_full(void **state)
{
    smtpc_flash_geom_t g = geom(1, 16, 4096, 2, 0xFF);
    rig_t *r = rig_new(&g);
    static model_t m;
    smtpc_sts_entry_t e;
    const unsigned nforeign = SMTPC_KVS_MAX_KEYS - 2u * SMTPC_CACHE_ENTRIES;
    uint8_t key[32];
    (void)state;
    assert_true(nforeign >= 1u && nforeign <= 9u);
    assert_int_equal(rig_mount(r), SMTPC_OK);
    setup_base(r, &m, SMTPC_CACHE_ENTRIES, MAXD, 0xFFu);
    put_foreign(r, nforeign);
    assert_int_equal(r->kvs.count, SMTPC_KVS_MAX_KEYS);

    base_entry(&e, 8);
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    assert_int_equal(model_put(&m, &e), 3);
    assert_true(cache_is(r, &m));
    assert_true(foreign_ok(r, nforeign));
    /* its refresh needs one more key: there is one */
    e.fetched_at += 60u;
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    (void)model_put(&m, &e);
    assert_true(cache_is(r, &m));
    assert_int_equal(r->kvs.count, SMTPC_KVS_MAX_KEYS);

    /* orphan the refresh record of d0 (its P deleted under the cache) */
    key[0] = 'P';
    memcpy(key + 1, dom(0), strlen(dom(0)));
    assert_int_equal(smtpc_kvs_del(&r->kvs, key, strlen(dom(0)) + 1u), SMTPC_OK);
    m.has[0] = 0;
    assert_true(kvs_has(r, 'R', dom(0)));
    assert_true(cache_is(r, &m));
    /* a new domain fits (no eviction: 7 entries), its refresh then needs
     * the key the orphan holds */
    base_entry(&e, 9);
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    assert_int_equal(model_put(&m, &e), -1);
    assert_int_equal(r->kvs.count, SMTPC_KVS_MAX_KEYS);
    e.fetched_at += 60u;
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    (void)model_put(&m, &e);
    assert_true(cache_is(r, &m));
    assert_false(kvs_has(r, 'R', dom(0)));
    assert_true(foreign_ok(r, nforeign));

    assert_int_equal(rig_remount(r), SMTPC_OK);
    assert_true(cache_is(r, &m));
    assert_true(rig_clean(r));
    rig_free(r);

    /* foreign keys filling the index around a small cache: a new domain is
     * refused (CACHE_FULL: nothing of the cache could make room), nothing
     * is lost, and a refresh still lands (as a whole P record when there is
     * no key left for its R record) */
    r = rig_new(&g);
    assert_int_equal(rig_mount(r), SMTPC_OK);
    setup_base(r, &m, 3, MAXD, 0);
    put_foreign(r, SMTPC_KVS_MAX_KEYS - 3u);
    base_entry(&e, 4);
    assert_int_equal(c_put(r, &e), SMTPC_ERR_CACHE_FULL);
    assert_true(cache_is(r, &m));
    e = m.e[1];
    e.fetched_at += DAY;
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    (void)model_put(&m, &e);
    assert_true(cache_is(r, &m));
    assert_true(foreign_ok(r, SMTPC_KVS_MAX_KEYS - 3u));
    assert_int_equal(rig_remount(r), SMTPC_OK);
    assert_true(cache_is(r, &m));
    assert_true(rig_clean(r));
    rig_free(r);
}

static void test_cache_bad_args(void **state)
{
    smtpc_flash_geom_t g = geom(1, 16, 4096, 2, 0xFF);
    rig_t *r = rig_new(&g);
    smtpc_cache_t *blank = calloc(1, sizeof(*blank));
    smtpc_sts_entry_t e;
    smtpc_sts_entry_t bad;
    smtpc_sts_entry_t got;
    uint32_t w;
    (void)state;
    assert_non_null(blank);
    assert_int_equal(rig_mount(r), SMTPC_OK);
    assert_int_equal(smtpc_cache_init(NULL, &r->kvs), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_cache_init(blank, NULL), SMTPC_ERR_BAD_ARG);
    mk_entry(&e, dom(0), "id1", SMTPC_STS_MODE_ENFORCE, DAY, 1, 2, T0);
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    w = r->emu.wops;

    assert_int_equal(smtpc_cache_ops.get(NULL, dom(0), &got), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_cache_ops.get(&r->cache, NULL, &got), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_cache_ops.get(&r->cache, dom(0), NULL), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_cache_ops.put(NULL, &e), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_cache_ops.put(&r->cache, NULL), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_cache_ops.iter(NULL, 0, &got), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_cache_ops.iter(&r->cache, 0, NULL), SMTPC_ERR_BAD_ARG);
    /* a cache never initialised */
    assert_int_equal(smtpc_cache_ops.get(blank, dom(0), &got), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_cache_ops.put(blank, &e), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_cache_ops.iter(blank, 0, &got), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_cache_drop(blank, dom(0)), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_cache_count(blank), 0);
    assert_int_equal(smtpc_cache_count(NULL), 0);
    assert_int_equal(smtpc_cache_drop(NULL, dom(0)), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_cache_drop(&r->cache, NULL), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_cache_drop(&r->cache, ""), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_cache_floor(NULL), 0);
    smtpc_cache_time_seen(NULL, T0);
    smtpc_cache_time_seen(blank, T0);
    /* an empty or unterminated domain */
    bad = e;
    bad.domain[0] = '\0';
    assert_int_equal(c_put(r, &bad), SMTPC_ERR_BAD_ARG);
    memset(bad.domain, 'a', sizeof(bad.domain));
    assert_int_equal(c_put(r, &bad), SMTPC_ERR_BAD_ARG);
    assert_int_equal(c_get(r, "", &got), SMTPC_ERR_NOT_FOUND);
    assert_int_equal(c_get(r, bad.domain, &got),
                     SMTPC_ERR_NOT_FOUND); /* 254 octets, no NUL in reach */
    /* entries the cache could not read back are refused, the stored one kept */
    bad = e;
    bad.policy.mode = 3;
    assert_int_equal(c_put(r, &bad), SMTPC_ERR_BAD_ARG);
    bad = e;
    bad.has_policy = 2;
    assert_int_equal(c_put(r, &bad), SMTPC_ERR_BAD_ARG);
    bad = e;
    bad.policy.max_age = 31557601u;
    assert_int_equal(c_put(r, &bad), SMTPC_ERR_BAD_ARG);
    bad = e;
    bad.policy.mx_count = (uint8_t)(bad.policy.mx_count + 1u);
    assert_int_equal(c_put(r, &bad), SMTPC_ERR_BAD_ARG);
    bad = e;
    bad.policy.mx_pool_len = (uint16_t)(sizeof(bad.policy.mx_pool) + 1u);
    assert_int_equal(c_put(r, &bad), SMTPC_ERR_BAD_ARG);
    bad = e;
    bad.policy.mx_pool[bad.policy.mx_pool_len - 1u] = 'x'; /* last pattern unterminated */
    assert_int_equal(c_put(r, &bad), SMTPC_ERR_BAD_ARG);
    assert_int_equal(r->emu.wops, w);
    assert_int_equal(c_get(r, dom(0), &got), SMTPC_OK);
    assert_true(entry_eq(&got, &e));
    assert_int_equal(smtpc_cache_count(&r->cache), 1);
    assert_true(rig_clean(r));
    free(blank);
    rig_free(r);
}

/* Values the cache cannot decode: NOT_FOUND, skipped by iter, never a
 * crash; they take a slot (count) until a put replaces or evicts them, and
 * they are evicted before any readable entry. */
static void test_cache_undecodable_values(void **state)
{
    smtpc_flash_geom_t g = geom(1, 16, 4096, 2, 0xFF);
    rig_t *r = rig_new(&g);
    static model_t m;
    smtpc_sts_entry_t e;
    smtpc_sts_entry_t got;
    uint8_t pval[SMTPC_KVS_RECORD_MAX];
    uint8_t v[SMTPC_KVS_RECORD_MAX];
    size_t plen = 0;
    static const char *const bogus[] = {"garbage.example", "trunc.example", "fmt.example",
                                        "empty.example", "long.example"};
    const unsigned nb = 5;
    unsigned i;
    (void)state;
    g_rng = 777;
    assert_int_equal(rig_mount(r), SMTPC_OK);
    setup_base(r, &m, 3, MAXD, 0x2u);
    assert_int_equal(kvs_read_rec(r, 'P', dom(0), pval, sizeof(pval), &plen), SMTPC_OK);

    for (i = 0; i < 40u; i++) {
        v[i] = (uint8_t)rnd();
    }
    assert_int_equal(kvs_write_rec(r, 'P', bogus[0], v, 40), SMTPC_OK);
    assert_int_equal(kvs_write_rec(r, 'P', bogus[1], pval, plen / 2u), SMTPC_OK);
    memcpy(v, pval, plen);
    v[0] = 2; /* another format */
    assert_int_equal(kvs_write_rec(r, 'P', bogus[2], v, plen), SMTPC_OK);
    assert_int_equal(kvs_write_rec(r, 'P', bogus[3], NULL, 0), SMTPC_OK);
    memcpy(v, pval, plen);
    v[plen] = 0; /* one byte too many */
    assert_int_equal(kvs_write_rec(r, 'P', bogus[4], v, plen + 1u), SMTPC_OK);
    /* a garbage refresh record of a readable entry is ignored */
    assert_int_equal(kvs_write_rec(r, 'R', dom(1), v, 30), SMTPC_OK);
    assert_int_equal(kvs_write_rec(r, 'R', dom(0), v, 0), SMTPC_OK);

    for (i = 0; i < nb; i++) {
        assert_int_equal(c_get(r, bogus[i], &got), SMTPC_ERR_NOT_FOUND);
    }
    assert_int_equal(c_get(r, dom(1), &got), SMTPC_OK);
    assert_int_equal(got.fetched_at, T0 + 10u); /* the P record's state */
    m.e[1].fetched_at = T0 + 10u;
    assert_true(entry_eq(&got, &m.e[1]));
    /* iter: the readable ones only */
    for (i = 0; c_iter(r, i, &got) == SMTPC_OK; i++) {
        assert_true(dom_index(got.domain) >= 0);
    }
    assert_int_equal(i, 3);
    /* count: every stored policy record (each takes a slot) */
    assert_int_equal(smtpc_cache_count(&r->cache), 3u + nb);
    assert_int_equal(rig_remount(r), SMTPC_OK);
    assert_int_equal(c_get(r, bogus[0], &got), SMTPC_ERR_NOT_FOUND);

    /* a put over an unreadable entry replaces it */
    mk_entry(&e, bogus[0], "ok", SMTPC_STS_MODE_ENFORCE, DAY, 5, 1, T0);
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    assert_int_equal(c_get(r, bogus[0], &got), SMTPC_OK);
    assert_true(entry_eq(&got, &e));
    assert_int_equal(smtpc_cache_drop(&r->cache, bogus[0]), SMTPC_OK);
    assert_int_equal(smtpc_cache_count(&r->cache), 3u + nb - 1u);

    /* new domains evict the unreadable entries, never a readable one */
    for (i = 3; i < SMTPC_CACHE_ENTRIES; i++) {
        base_entry(&e, i);
        assert_int_equal(c_put(r, &e), SMTPC_OK);
        assert_int_equal(model_put(&m, &e), -1);
        assert_true(cache_is(r, &m) || smtpc_cache_count(&r->cache) > model_count(&m));
    }
    for (i = 1; i < nb; i++) {
        assert_false(kvs_has(r, 'P', bogus[i]));
    }
    assert_true(cache_is(r, &m));
    assert_true(rig_clean(r));
    rig_free(r);
}

/* Fuzzed P and R values under valid store framing: get and iter return
 * NOT_FOUND or a well-formed entry; nothing reads out of bounds (ASan,
 * valgrind). */
static void test_cache_fuzzed_values(void **state)
{
    smtpc_flash_geom_t g = geom(1, 4, 4096, 2, 0xFF);
    rig_t *r = rig_new(&g);
    smtpc_sts_entry_t e;
    smtpc_sts_entry_t got;
    uint8_t pval[SMTPC_KVS_RECORD_MAX];
    uint8_t rval[SMTPC_KVS_RECORD_MAX];
    uint8_t v[SMTPC_KVS_RECORD_MAX];
    size_t plen = 0;
    size_t rlen = 0;
    unsigned round;
    unsigned ok = 0;
    (void)state;
    memset(v, 0, sizeof(v));
    g_rng = 31337;
    assert_int_equal(rig_mount(r), SMTPC_OK);
    mk_entry(&e, "fuzz.example", "fz1", SMTPC_STS_MODE_ENFORCE, DAY, 3, 3, T0);
    snprintf(e.fail_id, sizeof(e.fail_id), "%s", "fz2");
    e.fail_at = T0 + 1u;
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    e.fetched_at += 5u;
    assert_int_equal(c_put(r, &e), SMTPC_OK);
    assert_int_equal(kvs_read_rec(r, 'P', e.domain, pval, sizeof(pval), &plen), SMTPC_OK);
    assert_int_equal(kvs_read_rec(r, 'R', e.domain, rval, sizeof(rval), &rlen), SMTPC_OK);
    for (round = 0; round < 600u; round++) {
        int is_r = round % 3u == 2u;
        size_t len = is_r ? rlen : plen;
        unsigned k;
        unsigned flips = 1u + rnd() % 4u;
        int rc;
        memcpy(v, is_r ? rval : pval, len);
        for (k = 0; k < flips; k++) {
            v[rnd() % len] =
                (uint8_t)(rnd() % 3u == 0u ? rnd() : v[rnd() % len] ^ (1u << (rnd() % 8u)));
        }
        if (rnd() % 5u == 0u) {
            len = rnd() % (len + 8u); /* truncated, or extended with stale bytes */
        }
        if (is_r) {
            assert_int_equal(kvs_write_rec(r, 'P', e.domain, pval, plen), SMTPC_OK);
        }
        assert_int_equal(kvs_write_rec(r, is_r ? 'R' : 'P', e.domain, v, len), SMTPC_OK);
        rc = c_get(r, e.domain, &got);
        assert_true(rc == SMTPC_OK || rc == SMTPC_ERR_NOT_FOUND);
        if (rc == SMTPC_OK) {
            ok++;
            assert_true(entry_sane(&got));
            assert_string_equal(got.domain, e.domain);
        }
        rc = c_iter(r, 0, &got);
        assert_true(rc == SMTPC_OK || rc == SMTPC_ERR_NOT_FOUND);
        if (rc == SMTPC_OK) {
            assert_true(entry_sane(&got));
        }
    }
    printf("cache: %u of 600 fuzzed values decoded\n", ok);
    assert_true(rig_clean(r));
    rig_free(r);
}

/* A record rotting under a mounted store (its CRC no longer checks out):
 * that entry is lost, the others still listed. */
static void test_cache_rot_under_mounted_store(void **state)
{
    smtpc_flash_geom_t g = geom(1, 1, 4096, 2, 0xFF);
    rig_t *r = rig_new(&g);
    static model_t m;
    smtpc_sts_entry_t got;
    const uint8_t *sec;
    const char *d1 = dom(1);
    size_t dl = strlen(d1);
    uint32_t off;
    int found = 0;
    unsigned i;
    (void)state;
    assert_int_equal(rig_mount(r), SMTPC_OK);
    setup_base(r, &m, 4, MAXD, 0);
    sec = r->mem + r->kvs.active * g.sector_size;
    for (off = 0; off + dl + 1u < g.sector_size; off++) {
        if (sec[off] == 'P' && memcmp(sec + off + 1, d1, dl) == 0) {
            r->mem[r->kvs.active * g.sector_size + off + dl + 8u] ^= 0x10u; /* in the value */
            found = 1;
            break;
        }
    }
    assert_true(found);
    m.has[1] = 0;
    assert_int_equal(c_get(r, d1, &got), SMTPC_ERR_NOT_FOUND);
    for (i = 0; c_iter(r, i, &got) == SMTPC_OK; i++) {
        assert_true(dom_index(got.domain) >= 0);
    }
    assert_int_equal(i, 3);
    /* the store still takes puts (a compaction leaves the rotten record) */
    base_entry(&got, 5);
    assert_int_equal(c_put(r, &got), SMTPC_OK);
    (void)model_put(&m, &got);
    assert_int_equal(smtpc_kvs_compact(&r->kvs), SMTPC_OK);
    assert_int_equal(rig_remount(r), SMTPC_OK);
    assert_true(cache_is(r, &m));
    rig_free(r);
}

/* ============================================================ time floor === */

static void test_cache_time_floor_steps(void **state)
{
    smtpc_flash_geom_t g = geom(1, 16, 4096, 2, 0xFF);
    rig_t *r = rig_new(&g);
    smtpc_kvs_t *kvs2;
    smtpc_cache_t *c2;
    uint32_t p;
    uint64_t t;
    uint64_t saved;
    unsigned writes = 0;
    (void)state;
    assert_int_equal(rig_mount(r), SMTPC_OK);
    assert_int_equal(smtpc_cache_floor(&r->cache), 0);
    p = smtpc_kvs_stats(&r->kvs)->progs;
    smtpc_cache_time_seen(&r->cache, 0);
    assert_int_equal(smtpc_kvs_stats(&r->kvs)->progs, p);
    /* the first time seen is written at once */
    smtpc_cache_time_seen(&r->cache, T0);
    assert_int_equal(smtpc_cache_floor(&r->cache), T0);
    assert_int_equal(smtpc_kvs_stats(&r->kvs)->progs, p + 1u);
    /* earlier: nothing; later but within the step: raised in RAM only */
    smtpc_cache_time_seen(&r->cache, T0 - 10u);
    assert_int_equal(smtpc_cache_floor(&r->cache), T0);
    smtpc_cache_time_seen(&r->cache, T0 + SMTPC_TIME_FLOOR_STEP_S - 1u);
    assert_int_equal(smtpc_cache_floor(&r->cache), T0 + SMTPC_TIME_FLOOR_STEP_S - 1u);
    assert_int_equal(smtpc_kvs_stats(&r->kvs)->progs, p + 1u);
    assert_int_equal(rig_remount(r), SMTPC_OK);
    assert_int_equal(smtpc_cache_floor(&r->cache), T0);
    /* a day of clock ticks every minute: one write per step */
    p = smtpc_kvs_stats(&r->kvs)->progs;
    saved = T0;
    for (t = T0 + 60u; t <= T0 + DAY; t += 60u) {
        smtpc_cache_time_seen(&r->cache, t);
        if (t - saved >= SMTPC_TIME_FLOOR_STEP_S) {
            saved = t;
            writes++;
        }
        assert_int_equal(smtpc_cache_floor(&r->cache), t);
    }
    assert_int_equal(smtpc_kvs_stats(&r->kvs)->progs - p, writes);
    assert_int_equal(writes, DAY / SMTPC_TIME_FLOOR_STEP_S);
    printf("cache: time floor, a day of 1-minute ticks: %u writes\n", writes);
    /* a new store and cache over the same flash: the last floor written */
    kvs2 = calloc(1, sizeof(*kvs2));
    c2 = calloc(1, sizeof(*c2));
    assert_non_null(kvs2);
    assert_non_null(c2);
    smtpc_flash_emu_reboot(&r->emu);
    assert_int_equal(smtpc_kvs_mount(kvs2, &r->emu.ops, &r->emu), SMTPC_OK);
    assert_int_equal(smtpc_cache_init(c2, kvs2), SMTPC_OK);
    assert_int_equal(smtpc_cache_floor(c2), saved);
    /* within a step of the stored floor: nothing written */
    p = smtpc_kvs_stats(kvs2)->progs;
    smtpc_cache_time_seen(c2, saved + SMTPC_TIME_FLOOR_STEP_S - 1u);
    assert_int_equal(smtpc_kvs_stats(kvs2)->progs, p);
    smtpc_cache_time_seen(c2, saved + SMTPC_TIME_FLOOR_STEP_S);
    assert_int_equal(smtpc_kvs_stats(kvs2)->progs, p + 1u);
    free(kvs2);
    free(c2);
    assert_true(rig_clean(r));
    rig_free(r);
}

typedef struct {
    uint32_t ms;
    uint64_t utc;
    unsigned calls;
} fake_clock_t;

static uint32_t fake_now_ms(void *ctx)
{
    return ((fake_clock_t *)ctx)->ms;
}

static uint64_t fake_utc_s(void *ctx)
{
    fake_clock_t *f = (fake_clock_t *)ctx;
    f->calls++;
    return f->utc;
}

static const smtpc_clock_ops_t fake_clock_ops = {fake_now_ms, fake_utc_s};
static const smtpc_clock_ops_t fake_clock_no_utc = {fake_now_ms, NULL};

static void test_cache_floor_clock(void **state)
{
    smtpc_flash_geom_t g = geom(1, 16, 4096, 2, 0xFF);
    rig_t *r = rig_new(&g);
    fake_clock_t fk;
    smtpc_floor_clock_t fc;
    const smtpc_clock_ops_t *ops = &smtpc_floor_clock_ops;
    uint32_t p;
    (void)state;
    memset(&fk, 0, sizeof(fk));
    assert_int_equal(rig_mount(r), SMTPC_OK);
    fc.inner = &fake_clock_ops;
    fc.inner_ctx = &fk;
    fc.cache = &r->cache;

    /* monotonic time passes through */
    fk.ms = 123456u;
    assert_int_equal(ops->now_ms(&fc), 123456u);
    /* unknown stays unknown, the floor untouched */
    fk.utc = 0;
    assert_int_equal(ops->utc_s(&fc), 0);
    assert_int_equal(smtpc_cache_floor(&r->cache), 0);
    /* a known time with no floor yet: that time, and it becomes the floor */
    fk.utc = T0;
    assert_int_equal(ops->utc_s(&fc), T0);
    assert_int_equal(smtpc_cache_floor(&r->cache), T0);
    /* the clock falls back: the floor */
    fk.utc = T0 - 5000u;
    assert_int_equal(ops->utc_s(&fc), T0);
    assert_int_equal(smtpc_cache_floor(&r->cache), T0);
    /* later: that time, raising the floor (in RAM within a step) */
    p = smtpc_kvs_stats(&r->kvs)->progs;
    fk.utc = T0 + 50u;
    assert_int_equal(ops->utc_s(&fc), T0 + 50u);
    assert_int_equal(smtpc_cache_floor(&r->cache), T0 + 50u);
    assert_int_equal(smtpc_kvs_stats(&r->kvs)->progs, p);
    fk.utc = T0 + 20u;
    assert_int_equal(ops->utc_s(&fc), T0 + 50u);
    /* a step later: persisted */
    fk.utc = T0 + SMTPC_TIME_FLOOR_STEP_S;
    assert_int_equal(ops->utc_s(&fc), T0 + SMTPC_TIME_FLOOR_STEP_S);
    assert_int_equal(smtpc_kvs_stats(&r->kvs)->progs, p + 1u);
    /* after a reboot with a clock that fell back to its build date */
    assert_int_equal(rig_remount(r), SMTPC_OK);
    assert_int_equal(smtpc_cache_floor(&r->cache), T0 + SMTPC_TIME_FLOOR_STEP_S);
    fk.utc = 1600000000u;
    assert_int_equal(ops->utc_s(&fc), T0 + SMTPC_TIME_FLOOR_STEP_S);
    fk.utc = 0;
    assert_int_equal(ops->utc_s(&fc), 0);
    /* an inner clock without a wall clock */
    fc.inner = &fake_clock_no_utc;
    assert_int_equal(ops->utc_s(&fc), 0);
    assert_int_equal(ops->now_ms(&fc), 123456u);
    assert_true(rig_clean(r));
    rig_free(r);
}

/* ================================================ workload, corruption === */

/* Every entry ever put, to judge what a corrupted image gives back. */
typedef struct {
    smtpc_sts_entry_t *e;
    unsigned n;
    unsigned cap;
} hist_t;

static void hist_add(hist_t *h, const smtpc_sts_entry_t *e)
{
    if (h->n == h->cap) {
        h->cap = h->cap != 0u ? 2u * h->cap : 256u;
        h->e = realloc(h->e, h->cap * sizeof(h->e[0]));
        assert_non_null(h->e);
    }
    h->e[h->n++] = *e;
}

static int hist_has(const hist_t *h, const smtpc_sts_entry_t *e)
{
    unsigned i;
    for (i = 0; i < h->n; i++) {
        if (entry_eq(&h->e[i], e)) {
            return 1;
        }
    }
    return 0;
}

/* A random workload over MAXD domains: refreshes (R), back-off updates,
 * policy changes, new domains (evictions), drops, clock ticks; checked
 * against the model, with remounts. Leaves the rig mounted. */
static void workload(rig_t *r, model_t *m, hist_t *h, unsigned nops, uint32_t seed,
                     uint64_t *floor_out)
{
    smtpc_sts_entry_t e;
    uint64_t now = T0;
    unsigned i;
    g_rng = seed;
    memset(m, 0, sizeof(*m));
    assert_int_equal(rig_mount(r), SMTPC_OK);
    for (i = 0; i < nops; i++) {
        unsigned d = rnd() % MAXD;
        unsigned kind = rnd() % 10u;
        char id[16];
        now += 1u + rnd() % 4000u;
        if (kind == 9u) {
            smtpc_cache_time_seen(&r->cache, now);
            continue;
        }
        if (kind == 8u) {
            assert_int_equal(smtpc_cache_drop(&r->cache, dom(d)), SMTPC_OK);
            m->has[d] = 0;
            continue;
        }
        if (m->has[d] && m->e[d].has_policy && kind <= 3u) {
            e = m->e[d]; /* refetch, same policy */
            e.fetched_at = now;
            e.fail_id[0] = '\0';
            e.fail_at = 0;
        } else if (m->has[d] && kind <= 5u) {
            e = m->e[d]; /* a failed fetch of a new id */
            snprintf(e.fail_id, sizeof(e.fail_id), "f%u", i);
            e.fail_at = now;
        } else if (kind == 6u) {
            snprintf(id, sizeof(id), "b%u", i);
            mk_backoff(&e, dom(d), id, now);
        } else {
            snprintf(id, sizeof(id), "p%u", i);
            mk_entry(&e, dom(d), id, (int)(rnd() % 3u), (1u + rnd() % 60u) * DAY + rnd() % 1000u,
                     rnd() % 50u, d < 2u && rnd() % 3u == 0u ? 8u : 1u + rnd() % 3u, now);
            if (e.policy.mode != SMTPC_STS_MODE_NONE && e.policy.mx_count == 0u) {
                continue;
            }
        }
        assert_int_equal(c_put(r, &e), SMTPC_OK);
        (void)model_put_r(m, &e, r);
        hist_add(h, &e);
        if (i % 11u == 0u) {
            assert_true(cache_is(r, m));
        }
        if (i % 37u == 0u) {
            assert_int_equal(rig_remount(r), SMTPC_OK);
            assert_int_equal(smtpc_kvs_stats(&r->kvs)->torn, 0);
        }
    }
    assert_int_equal(rig_remount(r), SMTPC_OK);
    assert_true(cache_is(r, m));
    if (floor_out != NULL) {
        *floor_out = smtpc_cache_floor(&r->cache);
    }
}

static void test_cache_random_workload(void **state)
{
    static const uint32_t ss[] = {2048, 4096};
    static const uint32_t ps[] = {1, 16};
    static model_t m;
    hist_t h;
    unsigned i;
    (void)state;
    for (i = 0; i < 2u; i++) {
        smtpc_flash_geom_t g = geom(1, ps[i], ss[i], 3, i == 0u ? 0xFF : 0x00);
        rig_t *r = rig_new(&g);
        memset(&h, 0, sizeof(h));
        g_ties = 0;
        workload(r, &m, &h, 600, 4000u + i, NULL);
        assert_true(smtpc_kvs_stats(&r->kvs)->revision > 3u); /* it compacted */
        assert_true(rig_clean(r));
        free(h.e);
        rig_free(r);
    }
}

static unsigned long g_bad;

/* After corruption: mount works; every get is NOT_FOUND or an entry that
 * was put at some point; iter lists only such entries; the floor is one
 * that was seen; then the cache takes a put that sticks. */
static void check_corrupt(rig_t *r, const hist_t *h, uint64_t floor_max, int further)
{
    smtpc_sts_entry_t got;
    smtpc_sts_entry_t e;
    unsigned i;
    smtpc_flash_emu_reboot(&r->emu);
    r->ram.violations = 0;
    if (rig_mount(r) != SMTPC_OK) {
        g_bad++;
        return;
    }
    for (i = 0; i < MAXD; i++) {
        int rc = c_get(r, dom(i), &got);
        if (rc == SMTPC_ERR_NOT_FOUND) {
            continue;
        }
        if (rc != SMTPC_OK || !hist_has(h, &got)) {
            g_bad++;
        }
    }
    for (i = 0; c_iter(r, i, &got) == SMTPC_OK && i <= SMTPC_KVS_MAX_KEYS; i++) {
        if (!hist_has(h, &got)) {
            g_bad++;
        }
    }
    if (i > smtpc_cache_count(&r->cache) || smtpc_cache_floor(&r->cache) > floor_max) {
        g_bad++;
    }
    if (!further) {
        return;
    }
    mk_entry(&e, dom(0), "after", SMTPC_STS_MODE_ENFORCE, 40u * DAY, 77, 2, T0 + 100u * DAY);
    if (c_put(r, &e) != SMTPC_OK || c_get(r, dom(0), &got) != SMTPC_OK || !entry_eq(&got, &e) ||
        rig_remount(r) != SMTPC_OK || c_get(r, dom(0), &got) != SMTPC_OK || !entry_eq(&got, &e) ||
        smtpc_kvs_stats(&r->kvs)->torn || !rig_clean(r)) {
        g_bad++;
    }
}

/* Rewrites the header of sector @p sec with another version (CRC fixed). */
static void set_version(rig_t *r, uint32_t sec, uint8_t version)
{
    uint8_t *p = r->mem + sec * r->g.sector_size;
    uint32_t crc;
    p[4] = version;
    crc = smtpc_crc32(0, p, 12);
    p[12] = (uint8_t)crc;
    p[13] = (uint8_t)(crc >> 8);
    p[14] = (uint8_t)(crc >> 16);
    p[15] = (uint8_t)(crc >> 24);
}

/* Seeded corruption of a populated image. With @p every_byte, one flipped
 * bit at every byte (the --powercut suite); else at every 3rd byte. */
static void corruption_suite(int every_byte)
{
    smtpc_flash_geom_t g = geom(1, 16, 2048, 3, 0xFF);
    rig_t *r = rig_new(&g);
    static model_t m;
    hist_t h;
    uint64_t floor_max = 0;
    uint32_t pos;
    unsigned round;
    unsigned flips = 0;
    memset(&h, 0, sizeof(h));
    workload(r, &m, &h, 260, 99, &floor_max);
    rig_save(r, r->img);
    g_bad = 0;

    /* flipped bits */
    g_rng = 5150;
    for (pos = 0; pos < r->size; pos += every_byte ? 1u : 3u) {
        rig_load(r, r->img);
        r->mem[pos] ^= (uint8_t)(1u << (rnd() % 8u));
        check_corrupt(r, &h, floor_max, pos % 61u == 0u);
        flips++;
    }
    /* random bytes: the whole image, or a run in the populated one */
    for (round = 0; round < 60u; round++) {
        uint32_t i;
        rig_load(r, r->img);
        if (round % 6u == 0u) {
            for (i = 0; i < r->size; i++) {
                r->mem[i] = (uint8_t)rnd();
            }
        } else {
            uint32_t at = rnd() % r->size;
            uint32_t n = 1u + rnd() % 64u;
            for (i = at; i < at + n && i < r->size; i++) {
                r->mem[i] = (uint8_t)rnd();
            }
        }
        check_corrupt(r, &h, floor_max, 1);
    }
    /* wrong versions: the active sector's header (an older sector or a
     * format), then every header (a format: empty) */
    rig_load(r, r->img);
    assert_int_equal(rig_mount(r), SMTPC_OK);
    set_version(r, r->kvs.active, SMTPC_KVS_VERSION + 1u);
    check_corrupt(r, &h, floor_max, 1);
    rig_load(r, r->img);
    for (pos = 0; pos < g.sector_count; pos++) {
        set_version(r, pos, SMTPC_KVS_VERSION + 1u);
    }
    smtpc_flash_emu_reboot(&r->emu);
    assert_int_equal(rig_mount(r), SMTPC_OK);
    assert_int_equal(smtpc_kvs_stats(&r->kvs)->formatted, 1);
    assert_int_equal(smtpc_cache_count(&r->cache), 0);
    assert_int_equal(smtpc_cache_floor(&r->cache), 0);
    check_corrupt(r, &h, floor_max, 1);
    /* another cache format in every P record: nothing readable; in every R
     * record: the P records' state */
    {
        static const char kinds[2] = {'P', 'R'};
        unsigned k;
        for (k = 0; k < 2u; k++) {
            unsigned i;
            rig_load(r, r->img);
            assert_int_equal(rig_mount(r), SMTPC_OK);
            for (i = 0; i < MAXD; i++) {
                uint8_t v[SMTPC_KVS_RECORD_MAX];
                size_t len = 0;
                if (kvs_read_rec(r, kinds[k], dom(i), v, sizeof(v), &len) == SMTPC_OK && len > 0u) {
                    v[0] = 2;
                    assert_int_equal(kvs_write_rec(r, kinds[k], dom(i), v, len), SMTPC_OK);
                }
            }
            if (k == 0u) {
                smtpc_sts_entry_t got;
                assert_int_equal(c_iter(r, 0, &got), SMTPC_ERR_NOT_FOUND);
            }
            check_corrupt(r, &h, floor_max, 1);
        }
    }
    printf("cache corruption: %u bit flips, 60 random-byte images, 4 version/format cases: %lu "
           "bad\n",
           flips, g_bad);
    assert_int_equal(g_bad, 0);
    free(h.e);
    rig_free(r);
}

static void test_cache_corrupted_images(void **state)
{
    (void)state;
    corruption_suite(0);
}

/* ============================================================ power cuts === */

static unsigned long g_cuts;
static unsigned long g_fails;
/* Seeds tried per cut point in the half-done modes (prefix, random bits). */
static unsigned g_seeds = 1;

enum { OP_PUT = 0, OP_DROP = 1, OP_FLOOR = 2 };

/* The states a cut may leave: old, new, and for eviction the intermediate
 * state cache.h documents for the path the put takes. */
#define ST_OLD 0
#define ST_NEW 1
#define ST_MID 2

typedef struct {
    const char *name;
    int blank; /* start from blank flash: the format is under the cut too */
    int kind;  /* OP_* */
    smtpc_sts_entry_t e;
    unsigned dom; /* the domain written or dropped */
    uint64_t t;   /* OP_FLOOR: the time seen */
    model_t st[3];
    unsigned nst;      /* 2, or 3 with ST_MID */
    int mid_when_done; /* the put may return OK in ST_MID (the eviction after the
                          write is housekeeping; a cut there is not the put's failure) */
    unsigned long seen[3];
    uint64_t floor_old;
    uint64_t floor_new;
    unsigned nforeign;
    int expect_compaction;
    int nested; /* also cut during the redo after a cut */
} scen_t;

static void report_fail(const rig_t *r, const scen_t *sc, const char *what, unsigned mode,
                        uint32_t n, unsigned mode2, uint32_t n2)
{
    cut_report_fail(&g_fails, &r->g, sc->name, what, mode, n, mode2, n2);
}

static int scen_op(rig_t *r, const scen_t *sc)
{
    switch (sc->kind) {
    case OP_DROP:
        return smtpc_cache_drop(&r->cache, dom(sc->dom));
    case OP_FLOOR:
        smtpc_cache_time_seen(&r->cache, sc->t);
        return r->cache.floor_saved == sc->t ? SMTPC_OK : SMTPC_ERR_FLASH_IO;
    default:
        return c_put(r, &sc->e);
    }
}

/* Boot (mount, attach) and run the operation: 1 when it returned OK. */
static int scen_run(rig_t *r, const scen_t *sc)
{
    if (rig_mount(r) != SMTPC_OK) {
        return 0;
    }
    return scen_op(r, sc) == SMTPC_OK;
}

/* After a cut: reboot, remount; the cache must be one of the states in
 * @p mask, every other domain and key intact. Returns which, or -1. With
 * @p further, a changed policy and then a refresh of the domain must work
 * and stick across one more remount. */
static int check_after_cut(rig_t *r, const scen_t *sc, unsigned mask, int further)
{
    static model_t want;
    smtpc_sts_entry_t f;
    uint64_t fl;
    int which = -1;
    unsigned k;
    smtpc_flash_emu_reboot(&r->emu);
    if (rig_mount(r) != SMTPC_OK || !rig_clean(r)) {
        return -1;
    }
    fl = smtpc_cache_floor(&r->cache);
    if (sc->kind == OP_FLOOR) {
        if (!cache_is(r, &sc->st[ST_OLD])) {
            return -1;
        }
        which = fl == sc->floor_new ? ST_NEW : fl == sc->floor_old ? ST_OLD : -1;
        if (which < 0 || ((mask >> which) & 1u) == 0u) {
            return -1;
        }
    } else {
        for (k = 0; k < sc->nst && which < 0; k++) {
            if (((mask >> k) & 1u) != 0u && cache_is(r, &sc->st[k])) {
                which = (int)k;
            }
        }
        if (which < 0 || fl != sc->floor_old) {
            return -1;
        }
    }
    if (!foreign_ok(r, sc->nforeign)) {
        return -1;
    }
    if (!further) {
        return which;
    }
    want = sc->st[which];
    mk_entry(&f, dom(sc->dom), "after1", SMTPC_STS_MODE_ENFORCE, 20u * DAY, 99, 2, T0 + 50u * DAY);
    if (c_put(r, &f) != SMTPC_OK) {
        return -1;
    }
    (void)model_put(&want, &f);
    if (!cache_is(r, &want)) {
        return -1;
    }
    f.fetched_at += 3600u;
    if (c_put(r, &f) != SMTPC_OK) {
        return -1;
    }
    (void)model_put(&want, &f);
    if (!cache_is(r, &want)) {
        return -1;
    }
    smtpc_flash_emu_reboot(&r->emu);
    if (rig_mount(r) != SMTPC_OK || !cache_is(r, &want) || smtpc_kvs_stats(&r->kvs)->torn ||
        !rig_clean(r) || !foreign_ok(r, sc->nforeign)) {
        return -1;
    }
    return which;
}

/* Write operations of the uncut run (mount included), checked. */
static uint32_t scen_total(rig_t *r, const scen_t *sc)
{
    uint32_t total;
    rig_load(r, r->img);
    assert_int_equal(rig_mount(r), SMTPC_OK);
    assert_int_equal(scen_op(r, sc), SMTPC_OK);
    if (sc->expect_compaction) {
        assert_true(kcompactions(r) >= 1u);
    }
    if (sc->kind == OP_FLOOR) {
        assert_int_equal(smtpc_cache_floor(&r->cache), sc->floor_new);
    } else {
        assert_true(cache_is(r, &sc->st[ST_NEW]));
    }
    total = r->emu.wops;
    assert_int_equal(check_after_cut(r, sc, 1u << ST_NEW, 0), ST_NEW);
    return total;
}

static uint32_t cut_seed(uint32_t n, unsigned mode, uint32_t salt)
{
    return (n + 1u) * 2654435761u ^ (mode + 1u) * 97u ^ salt * 40503u;
}

static void judge(rig_t *r, scen_t *sc, int which, int done, unsigned mode, uint32_t n,
                  unsigned mode2, uint32_t n2)
{
    if (which < 0) {
        report_fail(r, sc, "state after remount", mode, n, mode2, n2);
        return;
    }
    sc->seen[which]++;
    if (done && (which == ST_OLD || (which == ST_MID && !sc->mid_when_done))) {
        report_fail(r, sc, "the operation returned OK but did not take", mode, n, mode2, n2);
    }
}

/* Every cut point of one scenario. */
static void powercut_scenario(rig_t *r, scen_t *sc)
{
    uint32_t total = scen_total(r, sc);
    unsigned mode;
    uint32_t n;
    for (mode = 0; mode < SMTPC_FLASH_CUT_MODES; mode++) {
        for (n = 0; n <= total; n++) {
            unsigned seeds =
                mode == SMTPC_FLASH_CUT_PREFIX || mode == SMTPC_FLASH_CUT_RANDOM ? g_seeds : 1u;
            unsigned k;
            for (k = 0; k < seeds; k++) {
                int done;
                int which;
                rig_load(r, r->img);
                smtpc_flash_emu_arm(&r->emu, n, (smtpc_flash_cut_t)mode,
                                    cut_seed(n, mode, 1u + 1000u * k));
                done = scen_run(r, sc);
                g_cuts++;
                if (n == total && !done) {
                    report_fail(r, sc, "uncut run failed", mode, n, 0, UINT32_MAX);
                }
                which = check_after_cut(r, sc, (1u << sc->nst) - 1u, 1);
                judge(r, sc, which, done, mode, n, 0, UINT32_MAX);
            }
        }
    }
    if (sc->nst > 2u && sc->seen[ST_MID] == 0u) {
        report_fail(r, sc, "the intermediate state was never reached", 0, 0, 0, UINT32_MAX);
    }
}

/* A cut, a remount, then a cut during the redo (compaction during
 * compaction when the first cut hit one: the redo starts over with a fresh
 * erase of the same sector). */
static void powercut_nested(rig_t *r, scen_t *sc, uint32_t stride2)
{
    uint32_t total = scen_total(r, sc);
    const unsigned all = (1u << sc->nst) - 1u;
    unsigned m1;
    uint32_t n1;
    for (m1 = 0; m1 < SMTPC_FLASH_CUT_MODES; m1++) {
        for (n1 = 0; n1 < total; n1++) {
            int first;
            uint32_t total2;
            unsigned mask2;
            unsigned m2;
            uint32_t n2;
            rig_load(r, r->img);
            smtpc_flash_emu_arm(&r->emu, n1, (smtpc_flash_cut_t)m1, cut_seed(n1, m1, 2));
            (void)scen_run(r, sc);
            g_cuts++;
            first = check_after_cut(r, sc, all, 0);
            if (first < 0) {
                report_fail(r, sc, "state after the first cut", m1, n1, 0, UINT32_MAX);
                continue;
            }
            rig_save(r, r->img2);
            rig_load(r, r->img2);
            if (!scen_run(r, sc)) {
                report_fail(r, sc, "redo failed", m1, n1, 0, UINT32_MAX);
                continue;
            }
            total2 = r->emu.wops;
            mask2 = first == ST_OLD   ? all
                    : first == ST_MID ? (1u << ST_MID) | (1u << ST_NEW)
                                      : 1u << ST_NEW;
            for (m2 = 0; m2 < SMTPC_FLASH_CUT_MODES; m2++) {
                for (n2 = 0;; n2 += stride2) {
                    int done;
                    rig_load(r, r->img2);
                    smtpc_flash_emu_arm(&r->emu, n2, (smtpc_flash_cut_t)m2,
                                        cut_seed(n2, m2, 3u + n1));
                    done = scen_run(r, sc);
                    g_cuts++;
                    judge(r, sc, check_after_cut(r, sc, mask2, 1), done, m1, n1, m2, n2);
                    if (n2 >= total2) {
                        break;
                    }
                    if (n2 + stride2 > total2) {
                        n2 = total2 - stride2; /* the last point (no cut) always */
                    }
                }
            }
        }
    }
}

/* Fills the active sector with records of a key that is not the cache's
 * ("Yf", replaced each time) until exactly @p target bytes stay free, so the
 * scenario's N-th record is the one that does not fit (compacting first
 * when less is free already). */
static void fill_to(rig_t *r, uint32_t target)
{
    const uint32_t ss = r->g.sector_size;
    const uint32_t minrec = g_pad(&r->g, 8u + 2u);
    uint8_t v[SMTPC_KVS_RECORD_MAX];
    unsigned guard;
    memset(v, 0x5A, sizeof(v));
    if (ss - r->kvs.head < target || r->kvs.dirty ||
        (ss - r->kvs.head > target && ss - r->kvs.head - target < minrec)) {
        assert_int_equal(smtpc_kvs_compact(&r->kvs), SMTPC_OK);
    }
    assert_true(ss - r->kvs.head >= target);
    for (guard = 0; ss - r->kvs.head > target && guard < 200u; guard++) {
        uint32_t gap = ss - r->kvs.head - target;
        uint32_t rec = gap;
        uint32_t c0 = kcompactions(r);
        if (rec > 256u) {
            rec = gap - 256u >= minrec ? 256u : gap - minrec;
        }
        assert_true(rec >= minrec);
        v[0] = (uint8_t)guard; /* never the stored value: always written */
        assert_int_equal(smtpc_kvs_put(&r->kvs, (const uint8_t *)"Yf", 2, v, rec - 10u), SMTPC_OK);
        assert_int_equal(kcompactions(r), c0);
    }
    assert_int_equal(ss - r->kvs.head, target);
}

#define NSCEN 17u

/* Padded sizes of a P record, an R record and a DEL of @p e's domain. */
static uint32_t pad_p(const rig_t *r, const smtpc_sts_entry_t *e)
{
    return g_pad(&r->g, p_rec(e));
}

static uint32_t pad_r(const rig_t *r, const smtpc_sts_entry_t *e)
{
    return g_pad(&r->g, r_rec(e));
}

static uint32_t pad_del(const rig_t *r, unsigned d)
{
    return g_pad(&r->g, (uint32_t)(8u + 1u + strlen(dom(d))));
}

static void build_scenario(rig_t *r, scen_t *sc, unsigned which)
{
    model_t *m = &sc->st[ST_OLD];
    const uint32_t u = r->g.read_size > r->g.prog_size ? r->g.read_size : r->g.prog_size;
    int victim = -1;
    memset(sc, 0, sizeof(*sc));
    sc->nst = 2;
    sc->kind = OP_PUT;
    memset(r->mem, r->g.erased_value, r->size);
    smtpc_flash_emu_reboot(&r->emu);
    if (which != 0u) {
        assert_int_equal(rig_mount(r), SMTPC_OK);
    }
    switch (which) {
    case 0:
        sc->name = "first put (blank flash)";
        sc->blank = 1;
        base_entry(&sc->e, 0);
        sc->dom = 0;
        break;
    case 1:
        sc->name = "refresh, same policy (R record)";
        setup_base(r, m, 4, MAXD, 0);
        sc->dom = 1;
        sc->e = m->e[1];
        sc->e.fetched_at += DAY;
        break;
    case 2:
        sc->name = "back-off update over a refresh (R replaced)";
        setup_base(r, m, 4, MAXD, 0x2u);
        sc->dom = 1;
        sc->e = m->e[1];
        snprintf(sc->e.fail_id, sizeof(sc->e.fail_id), "%s", "id1b");
        sc->e.fail_at = sc->e.fetched_at + DAY;
        break;
    case 3:
        sc->name = "policy changed (new id and mx, stale R)";
        setup_base(r, m, 4, MAXD, 0x2u);
        sc->dom = 1;
        mk_entry(&sc->e, dom(1), "id1c", SMTPC_STS_MODE_ENFORCE, 9u * DAY, 42, 3, T0 + 3u * DAY);
        break;
    case 4:
        sc->name = "eviction of the entry without a policy (new domain)";
        setup_base(r, m, SMTPC_CACHE_ENTRIES, 5, 0x5u);
        sc->dom = 8;
        base_entry(&sc->e, 8);
        sc->nst = 3; /* new entry written first, victim dropped after */
        sc->mid_when_done = 1;
        break;
    case 5:
        sc->name = "eviction of the entry expiring first (new domain)";
        setup_base(r, m, SMTPC_CACHE_ENTRIES, MAXD, 0xFFu);
        sc->dom = 8;
        base_entry(&sc->e, 8);
        sc->nst = 3;
        sc->mid_when_done = 1;
        break;
    case 6:
        sc->name = "eviction with the store's index full (trims first)";
        setup_base(r, m, SMTPC_CACHE_ENTRIES, MAXD, 0xFFu);
        sc->nforeign = SMTPC_KVS_MAX_KEYS - 2u * SMTPC_CACHE_ENTRIES;
        put_foreign(r, sc->nforeign);
        assert_int_equal(r->kvs.count, SMTPC_KVS_MAX_KEYS);
        sc->dom = 8;
        base_entry(&sc->e, 8);
        sc->nst = 3; /* victim dropped first, new entry written after */
        break;
    case 7:
        sc->name = "refresh whose R record compacts";
        setup_base(r, m, 4, MAXD, 0);
        sc->dom = 1;
        sc->e = m->e[1];
        sc->e.fetched_at += DAY;
        fill_to(r, pad_r(r, &sc->e) - u);
        sc->expect_compaction = 1;
        sc->nested = 1;
        break;
    case 8:
        sc->name = "policy change whose P record compacts";
        setup_base(r, m, 4, MAXD, 0x2u);
        sc->dom = 1;
        mk_entry(&sc->e, dom(1), "id1c", SMTPC_STS_MODE_TESTING, 9u * DAY, 43, 2, T0 + 3u * DAY);
        fill_to(r, pad_p(r, &sc->e) - u);
        sc->expect_compaction = 1;
        sc->nested = 1;
        break;
    case 9:
        sc->name = "policy change whose stale-R delete compacts";
        setup_base(r, m, 4, MAXD, 0x2u);
        sc->dom = 1;
        mk_entry(&sc->e, dom(1), "id1c", SMTPC_STS_MODE_TESTING, 9u * DAY, 43, 2, T0 + 3u * DAY);
        fill_to(r, pad_p(r, &sc->e) + pad_del(r, 1) - u);
        sc->expect_compaction = 1;
        sc->nested = 1;
        break;
    case 10:
        sc->name = "eviction whose new P record compacts";
        setup_base(r, m, SMTPC_CACHE_ENTRIES, 5, 0x1u);
        sc->dom = 8;
        base_entry(&sc->e, 8);
        fill_to(r, pad_p(r, &sc->e) - u);
        sc->nst = 3;
        sc->mid_when_done = 1;
        sc->expect_compaction = 1;
        sc->nested = 1;
        break;
    case 11:
        sc->name = "eviction whose victim delete compacts";
        setup_base(r, m, SMTPC_CACHE_ENTRIES, 5, 0x1u);
        sc->dom = 8;
        base_entry(&sc->e, 8);
        fill_to(r, pad_p(r, &sc->e) + pad_del(r, 5) - u);
        sc->nst = 3;
        sc->mid_when_done = 1;
        sc->expect_compaction = 1;
        sc->nested = 1;
        break;
    case 12:
        sc->name = "eviction whose victim's R delete compacts";
        setup_base(r, m, SMTPC_CACHE_ENTRIES, MAXD, 0xFFu);
        sc->dom = 8;
        base_entry(&sc->e, 8);
        fill_to(r, pad_p(r, &sc->e) + 2u * pad_del(r, 3) - u);
        sc->nst = 3;
        sc->mid_when_done = 1;
        sc->expect_compaction = 1;
        sc->nested = 1;
        break;
    case 13:
        sc->name = "drop";
        setup_base(r, m, 4, MAXD, 0x4u);
        sc->kind = OP_DROP;
        sc->dom = 2;
        break;
    case 14:
        sc->name = "drop whose R delete compacts";
        setup_base(r, m, 4, MAXD, 0x4u);
        sc->kind = OP_DROP;
        sc->dom = 2;
        fill_to(r, 2u * pad_del(r, 2) - u);
        sc->expect_compaction = 1;
        sc->nested = 1;
        break;
    case 15:
        sc->name = "time floor";
        setup_base(r, m, 2, MAXD, 0x1u);
        smtpc_cache_time_seen(&r->cache, T0);
        sc->kind = OP_FLOOR;
        sc->floor_old = T0;
        sc->t = T0 + SMTPC_TIME_FLOOR_STEP_S;
        sc->floor_new = sc->t;
        sc->dom = 0;
        break;
    default:
        sc->name = "time floor write that compacts";
        setup_base(r, m, 2, MAXD, 0x1u);
        smtpc_cache_time_seen(&r->cache, T0);
        sc->kind = OP_FLOOR;
        sc->floor_old = T0;
        sc->t = T0 + SMTPC_TIME_FLOOR_STEP_S;
        sc->floor_new = sc->t;
        sc->dom = 0;
        fill_to(r, g_pad(&r->g, 8u + 1u + 8u) - u);
        sc->expect_compaction = 1;
        sc->nested = 1;
        break;
    }
    if (sc->kind != OP_FLOOR) {
        sc->floor_old = smtpc_cache_floor(&r->cache);
        sc->floor_new = sc->floor_old;
    }
    rig_save(r, r->img);
    sc->st[ST_NEW] = *m;
    if (sc->kind == OP_PUT) {
        victim = model_put(&sc->st[ST_NEW], &sc->e);
    } else if (sc->kind == OP_DROP) {
        sc->st[ST_NEW].has[sc->dom] = 0;
    }
    if (sc->nst == 3u) {
        assert_true(victim >= 0);
        sc->st[ST_MID] = *m;
        if (which == 6u) {
            sc->st[ST_MID].has[victim] = 0; /* victim gone, new entry absent */
        } else {
            sc->st[ST_MID].has[sc->dom] = 1; /* new entry present, victim too */
            sc->st[ST_MID].e[sc->dom] = sc->e;
        }
    } else {
        assert_int_equal(victim, -1);
    }
}

static void powercut_geometry(const smtpc_flash_geom_t *g, int nested_all, uint32_t stride2)
{
    rig_t *r = rig_new(g);
    scen_t *sc = malloc(sizeof(*sc));
    unsigned i;
    assert_non_null(sc);
    for (i = 0; i < NSCEN; i++) {
        build_scenario(r, sc, i);
        powercut_scenario(r, sc);
        if (sc->nested && (nested_all || i == 8u || i == 11u)) {
            powercut_nested(r, sc, stride2);
        }
        if (sc->nst == 3u) {
            printf("cache power-cut: %s: old %lu, intermediate %lu, new %lu\n", sc->name,
                   sc->seen[ST_OLD], sc->seen[ST_MID], sc->seen[ST_NEW]);
        }
    }
    free(sc);
    rig_free(r);
}

static void powercut_report(void)
{
    printf("cache power-cut: %lu cut points, %lu failures\n", g_cuts, g_fails);
}

/* The sample in the unit group: one geometry, every scenario, every mode,
 * one seed per half-done cut, nested cuts on one scenario (stride 2). */
static void test_cache_powercut_sample(void **state)
{
    smtpc_flash_geom_t g = geom(1, 16, 2048, 3, 0xFF);
    (void)state;
    g_cuts = 0;
    g_fails = 0;
    g_ties = 0;
    g_seeds = 1;
    powercut_geometry(&g, 0, 2);
    powercut_report();
    assert_int_equal(g_ties, 0);
    assert_true(g_cuts > 500u);
    assert_int_equal(g_fails, 0);
}

/* The exhaustive suite: six geometries, every scenario, every mode, every
 * cut point, eight seeds per half-done cut, nested cuts (every pair) on the
 * three compaction scenarios. */
static void test_cache_powercut_exhaustive(void **state)
{
    smtpc_flash_geom_t gs[6];
    unsigned i;
    (void)state;
    gs[0] = geom(1, 1, 2048, 2, 0xFF);
    gs[1] = geom(4, 16, 2048, 3, 0x00);
    gs[2] = geom(1, 16, 2048, 4, 0xFF);
    gs[3] = geom(16, 4, 4096, 2, 0xFF);
    gs[4] = geom(256, 256, 8192, 2, 0x00);
    gs[5] = geom(8, 8, 2048, 5, 0xFF);
    g_cuts = 0;
    g_fails = 0;
    g_ties = 0;
    g_seeds = 8;
    for (i = 0; i < 6u; i++) {
        unsigned long before = g_cuts;
        powercut_geometry(&gs[i], 1, 1);
        printf("cache power-cut: geometry read %u prog %u sector %u x%u erased 0x%02X: %lu cut "
               "points\n",
               (unsigned)gs[i].read_size, (unsigned)gs[i].prog_size, (unsigned)gs[i].sector_size,
               (unsigned)gs[i].sector_count, gs[i].erased_value, g_cuts - before);
    }
    powercut_report();
    assert_int_equal(g_ties, 0);
    assert_true(g_cuts > 20000u);
    assert_int_equal(g_fails, 0);
}

static void test_cache_corruption_every_byte(void **state)
{
    (void)state;
    corruption_suite(1);
}

/* ================================================================= wear === */

static void test_cache_wear(void **state)
{
    smtpc_flash_geom_t g = geom(1, 16, 2048, 4, 0xFF);
    rig_t *r = rig_new(&g);
    static model_t m;
    const unsigned n = 5000;
    static const char *const kname[3] = {"same-policy refresh", "failed fetch (back-off)",
                                         "policy change"};
    uint64_t now = T0;
    uint32_t bytes[3] = {0, 0, 0};
    uint32_t cnt[3] = {0, 0, 0};
    uint32_t comp_bytes = 0;
    uint32_t comp_ops = 0;
    uint32_t floor_writes = 0;
    uint32_t b0;
    uint32_t mn = UINT32_MAX;
    uint32_t mx = 0;
    unsigned i;
    (void)state;
    assert_int_equal(rig_mount(r), SMTPC_OK);
    setup_base(r, &m, 4, MAXD, 0);
    b0 = kbytes(r);
    for (i = 0; i < n; i++) {
        unsigned d = i % 4u;
        unsigned k = (i / 4u) % 10u;
        smtpc_sts_entry_t e = m.e[d];
        uint32_t b;
        uint32_t c;
        uint32_t p;
        now += 600u;
        if (k < 5u) {
            k = 0;
            e.fetched_at = now;
            e.fail_id[0] = '\0';
            e.fail_at = 0;
        } else if (k < 8u) {
            k = 1;
            snprintf(e.fail_id, sizeof(e.fail_id), "f%u", i);
            e.fail_at = now;
        } else {
            char id[16];
            k = 2;
            snprintf(id, sizeof(id), "c%u", i);
            mk_entry(&e, dom(d), id, SMTPC_STS_MODE_ENFORCE, 7u * DAY, i % 7u, 2, now);
        }
        b = kbytes(r);
        c = kcompactions(r);
        assert_int_equal(c_put(r, &e), SMTPC_OK);
        (void)model_put(&m, &e);
        if (kcompactions(r) != c) {
            comp_bytes += kbytes(r) - b;
            comp_ops++;
        } else {
            bytes[k] += kbytes(r) - b;
            cnt[k]++;
        }
        p = smtpc_kvs_stats(&r->kvs)->progs;
        smtpc_cache_time_seen(&r->cache, now);
        floor_writes += smtpc_kvs_stats(&r->kvs)->progs != p;
    }
    printf("cache wear: %u refreshes of 4 domains, 4 x 2 KiB sectors, prog 16:\n", n);
    printf("cache wear: erases per sector:");
    for (i = 0; i < g.sector_count; i++) {
        uint32_t e = r->emu.sector_erases[i];
        printf(" %u", (unsigned)e);
        mn = e < mn ? e : mn;
        mx = e > mx ? e : mx;
    }
    printf("\n");
    for (i = 0; i < 3u; i++) {
        printf("cache wear: %-24s %5u, %.1f bytes programmed each (no compaction)\n", kname[i],
               (unsigned)cnt[i], cnt[i] != 0u ? (double)bytes[i] / cnt[i] : 0.0);
    }
    printf("cache wear: %u compactions (%u puts compacted, %.1f bytes each), %u floor writes, "
           "%.1f bytes programmed per refresh overall\n",
           (unsigned)kcompactions(r), (unsigned)comp_ops,
           comp_ops != 0u ? (double)comp_bytes / comp_ops : 0.0, (unsigned)floor_writes,
           (double)(kbytes(r) - b0) / n);
    assert_true(mn > 0u);
    assert_true(mx <= 2u * mn);
    assert_true(cnt[0] > 0u && cnt[2] > 0u);
    assert_true(2u * bytes[0] / cnt[0] <= bytes[2] / cnt[2]);
    assert_int_equal(floor_writes, (unsigned)((uint64_t)n * 600u / SMTPC_TIME_FLOOR_STEP_S) + 1u);
    assert_int_equal(rig_remount(r), SMTPC_OK);
    assert_true(cache_is(r, &m));
    assert_true(rig_clean(r));
    rig_free(r);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_roundtrip_iter_persist),
        cmocka_unit_test(test_cache_refresh_writes_only_refresh_record),
        cmocka_unit_test(test_cache_eviction_drop_count),
        cmocka_unit_test(test_cache_eviction_index_full),
        cmocka_unit_test(test_cache_bad_args),
        cmocka_unit_test(test_cache_undecodable_values),
        cmocka_unit_test(test_cache_fuzzed_values),
        cmocka_unit_test(test_cache_rot_under_mounted_store),
        cmocka_unit_test(test_cache_time_floor_steps),
        cmocka_unit_test(test_cache_floor_clock),
        cmocka_unit_test(test_cache_random_workload),
        cmocka_unit_test(test_cache_corrupted_images),
        cmocka_unit_test(test_cache_wear),
        cmocka_unit_test(test_cache_powercut_sample),
    };
    const struct CMUnitTest powercut[] = {
        cmocka_unit_test(test_cache_powercut_exhaustive),
        cmocka_unit_test(test_cache_corruption_every_byte),
    };
    if (argc > 1 && strcmp(argv[1], "--powercut") == 0) {
        return cmocka_run_group_tests_name("cache power-cut", powercut, NULL, NULL);
    }
    return cmocka_run_group_tests_name("cache", tests, NULL, NULL);
}
