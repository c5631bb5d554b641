/* Fuzz target: the MTA-STS policy cache (smtpc_cache.c) mounted over
 * arbitrary flash images, then read and written.
 *
 * Input: byte 0 picks the geometry (fuzz_flash_common.h), bytes 1..8 a wall
 * clock, the rest is the image (from byte 1 too: the clock bytes are also
 * the image's first bytes).
 * Invariants: every entry the cache lists is well formed (domain
 * NUL-terminated, ids of 0..32 alphanumerics, a policy of a known mode with
 * a consistent pattern pool) and reads back equal by its domain; there are
 * no more of them than the store has keys; refresh_due names a listed
 * domain; a put of a fresh entry reads back equal, also after a remount, and
 * every other entry that could be read before is unchanged; the time floor
 * only rises; nothing is programmed over live bytes. */
#include <string.h>

#include "smtpc/cache.h"

#include "fuzz_flash_common.h"

static smtpc_kvs_t g_kvs;
static smtpc_cache_t g_cache;
static smtpc_flash_ram_t g_fl;
static smtpc_sts_entry_t g_list[SMTPC_KVS_MAX_KEYS + 1];

static void check_id(const char *id)
{
    size_t n = strnlen(id, SMTPC_STS_ID_MAX + 1);
    size_t i;
    FUZZ_CHECK(n <= SMTPC_STS_ID_MAX);
    for (i = 0; i < n; i++) {
        char c = id[i];
        FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
    }
}

static void check_entry(const smtpc_sts_entry_t *e)
{
    const smtpc_sts_policy_t *p = &e->policy;
    size_t off = 0;
    unsigned n = 0;
    size_t dl = strnlen(e->domain, sizeof(e->domain));
    FUZZ_CHECK(dl >= 1 && dl < sizeof(e->domain));
    check_id(e->id);
    check_id(e->fail_id);
    FUZZ_CHECK(e->has_policy <= 1);
    if (!e->has_policy) {
        return;
    }
    FUZZ_CHECK(p->mode <= SMTPC_STS_MODE_ENFORCE);
    FUZZ_CHECK(p->max_age <= 31557600u);
    FUZZ_CHECK(p->mx_count <= SMTPC_STS_MAX_MX_PATTERNS);
    FUZZ_CHECK(p->mx_pool_len <= sizeof(p->mx_pool));
    while (off < p->mx_pool_len) {
        size_t l = strnlen(p->mx_pool + off, p->mx_pool_len - off);
        FUZZ_CHECK(off + l < p->mx_pool_len);
        off += l + 1u;
        n++;
    }
    FUZZ_CHECK(n == p->mx_count);
}

static int same_entry(const smtpc_sts_entry_t *a, const smtpc_sts_entry_t *b)
{
    if (strcmp(a->domain, b->domain) != 0 || strcmp(a->id, b->id) != 0 ||
        strcmp(a->fail_id, b->fail_id) != 0 || a->has_policy != b->has_policy ||
        a->fetched_at != b->fetched_at || a->fail_at != b->fail_at) {
        return 0;
    }
    if (!a->has_policy) {
        return 1;
    }
    return a->policy.mode == b->policy.mode && a->policy.max_age == b->policy.max_age &&
           a->policy.mx_count == b->policy.mx_count &&
           a->policy.mx_pool_len == b->policy.mx_pool_len &&
           memcmp(a->policy.mx_pool, b->policy.mx_pool, a->policy.mx_pool_len) == 0;
}

static unsigned list_all(void)
{
    unsigned idx;
    for (idx = 0;; idx++) {
        smtpc_sts_entry_t *e = &g_list[idx];
        smtpc_sts_entry_t again;
        int rc;
        FUZZ_CHECK(idx <= SMTPC_KVS_MAX_KEYS);
        memset(e, 0, sizeof(*e));
        rc = smtpc_cache_ops.iter(&g_cache, idx, e);
        if (rc == SMTPC_ERR_NOT_FOUND) {
            break;
        }
        FUZZ_CHECK(rc == SMTPC_OK);
        check_entry(e);
        memset(&again, 0, sizeof(again));
        FUZZ_CHECK(smtpc_cache_ops.get(&g_cache, e->domain, &again) == SMTPC_OK);
        FUZZ_CHECK(same_entry(e, &again));
    }
    FUZZ_CHECK(idx <= smtpc_cache_count(&g_cache));
    return idx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static smtpc_sts_entry_t ne, got, due;
    uint64_t now = 0, floor0;
    unsigned n, i, n2;
    int rc;
    size_t k;

    (void)fuzz_flash_setup(&g_fl, data, size);
    for (k = 1; k < 9 && k < size; k++) {
        now = (now << 8) | data[k];
    }
    now &= 0xFFFFFFFFFull; /* within a few centuries */
    FUZZ_CHECK(smtpc_kvs_mount(&g_kvs, &g_fl.ops, &g_fl) == SMTPC_OK);
    FUZZ_CHECK(smtpc_cache_init(&g_cache, &g_kvs) == SMTPC_OK);
    n = list_all();
    fuzz_flash_clean(&g_fl);

    memset(&due, 0, sizeof(due));
    rc = smtpc_sts_refresh_due(&smtpc_cache_ops, &g_cache, now, &due);
    if (rc == SMTPC_OK) {
        int found = 0;
        for (i = 0; i < n; i++) {
            found |= strcmp(g_list[i].domain, due.domain) == 0;
        }
        FUZZ_CHECK(found);
    } else {
        FUZZ_CHECK(rc == SMTPC_ERR_NOT_FOUND);
    }

    floor0 = smtpc_cache_floor(&g_cache);
    smtpc_cache_time_seen(&g_cache, now);
    FUZZ_CHECK(smtpc_cache_floor(&g_cache) >= floor0);
    FUZZ_CHECK(smtpc_cache_floor(&g_cache) >= now);

    /* put a fresh entry */
    memset(&ne, 0, sizeof(ne));
    strcpy(ne.domain, "fuzz-new.example");
    strcpy(ne.id, "20260101T000000");
    ne.has_policy = 1;
    ne.fetched_at = now ? now : 1;
    ne.policy.mode = SMTPC_STS_MODE_ENFORCE;
    ne.policy.max_age = 86400;
    memcpy(ne.policy.mx_pool, "mx.fuzz-new.example\0*.backup.example", 37);
    ne.policy.mx_pool_len = 37;
    ne.policy.mx_count = 2;
    rc = smtpc_cache_ops.put(&g_cache, &ne);
    FUZZ_CHECK(rc <= SMTPC_OK); /* a refused put must leave the previous state (checked below) */
    if (rc == SMTPC_OK) {
        memset(&got, 0, sizeof(got));
        FUZZ_CHECK(smtpc_cache_ops.get(&g_cache, ne.domain, &got) == SMTPC_OK);
        FUZZ_CHECK(same_entry(&ne, &got));
    }
    fuzz_flash_clean(&g_fl);

    /* remount: the new entry persists; entries not evicted are unchanged */
    FUZZ_CHECK(smtpc_kvs_mount(&g_kvs, &g_fl.ops, &g_fl) == SMTPC_OK);
    FUZZ_CHECK(smtpc_cache_init(&g_cache, &g_kvs) == SMTPC_OK);
    FUZZ_CHECK(smtpc_cache_floor(&g_cache) >= floor0);
    if (rc == SMTPC_OK) {
        memset(&got, 0, sizeof(got));
        FUZZ_CHECK(smtpc_cache_ops.get(&g_cache, ne.domain, &got) == SMTPC_OK);
        FUZZ_CHECK(same_entry(&ne, &got));
    }
    for (i = 0; i < n; i++) {
        if (strcmp(g_list[i].domain, ne.domain) == 0) {
            continue;
        }
        memset(&got, 0, sizeof(got));
        if (smtpc_cache_ops.get(&g_cache, g_list[i].domain, &got) == SMTPC_OK) {
            FUZZ_CHECK(same_entry(&g_list[i], &got));
        }
    }
    n2 = list_all();
    FUZZ_CHECK(n2 <= SMTPC_CACHE_ENTRIES + 1u || n2 <= n + 1u);

    /* drop the first entry: gone after a remount */
    if (n2 > 0) {
        char dom[SMTPC_DNS_NAME_BUF];
        strcpy(dom, g_list[0].domain);
        rc = smtpc_cache_drop(&g_cache, dom);
        FUZZ_CHECK(rc == SMTPC_OK || rc == SMTPC_ERR_NO_SPACE);
        if (rc == SMTPC_OK) {
            FUZZ_CHECK(smtpc_cache_ops.get(&g_cache, dom, &got) == SMTPC_ERR_NOT_FOUND);
            FUZZ_CHECK(smtpc_kvs_mount(&g_kvs, &g_fl.ops, &g_fl) == SMTPC_OK);
            FUZZ_CHECK(smtpc_cache_init(&g_cache, &g_kvs) == SMTPC_OK);
            FUZZ_CHECK(smtpc_cache_ops.get(&g_cache, dom, &got) == SMTPC_ERR_NOT_FOUND);
        }
    }
    fuzz_flash_clean(&g_fl);
    return 0;
}
