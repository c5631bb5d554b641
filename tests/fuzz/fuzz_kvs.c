/* Fuzz target: the flash key-value store (smtpc_kvs.c) mounted over
 * arbitrary sector images.
 *
 * Input: byte 0 picks the geometry (fuzz_flash_common.h), the rest is the
 * image.
 * Invariants: mount succeeds on any image (a RAM flash never fails); the
 * keys it lists are distinct, as many as the index holds, and each reads
 * back; a put, a delete and a put that triggers compaction behave as the
 * API says and, after a remount of the same bytes, the store holds exactly
 * the values it held before plus those changes; nothing is ever programmed
 * over bytes that are not erased, and every flash access is aligned. */
#include <string.h>

#include "smtpc/kvs.h"

#include "fuzz_flash_common.h"

typedef struct {
    uint8_t key[SMTPC_KVS_KEY_MAX + 1];
    size_t key_len;
    uint8_t val[SMTPC_KVS_RECORD_MAX];
    size_t val_len;
} kv_t;

static smtpc_kvs_t g_kvs;
static smtpc_flash_ram_t g_fl;
static kv_t g_kv[SMTPC_KVS_MAX_KEYS + 1];
static size_t g_n;

/* Snapshot every live key and value; checks the listing on the way. */
static void snapshot(smtpc_kvs_t *s)
{
    unsigned idx;
    g_n = 0;
    for (idx = 0;; idx++) {
        kv_t *e;
        size_t i;
        int rc;
        FUZZ_CHECK(idx <= SMTPC_KVS_MAX_KEYS);
        e = &g_kv[g_n];
        rc = smtpc_kvs_key(s, idx, e->key, sizeof(e->key), &e->key_len);
        if (rc == SMTPC_ERR_NOT_FOUND) {
            break;
        }
        FUZZ_CHECK(rc == SMTPC_OK);
        FUZZ_CHECK(e->key_len >= 1 && e->key_len <= SMTPC_KVS_KEY_MAX);
        for (i = 0; i < g_n; i++) {
            FUZZ_CHECK(g_kv[i].key_len != e->key_len ||
                       memcmp(g_kv[i].key, e->key, e->key_len) != 0);
        }
        rc = smtpc_kvs_get(s, e->key, e->key_len, e->val, sizeof(e->val), &e->val_len);
        FUZZ_CHECK(rc == SMTPC_OK);
        FUZZ_CHECK(e->val_len <= sizeof(e->val));
        g_n++;
    }
    FUZZ_CHECK(g_n == s->count);
}

static void expect(smtpc_kvs_t *s, const uint8_t *key, size_t key_len, const uint8_t *val,
                   size_t val_len)
{
    static uint8_t got[SMTPC_KVS_RECORD_MAX];
    size_t len = 0;
    int rc = smtpc_kvs_get(s, key, key_len, got, sizeof(got), &len);
    if (val == NULL) {
        FUZZ_CHECK(rc == SMTPC_ERR_NOT_FOUND);
    } else {
        FUZZ_CHECK(rc == SMTPC_OK && len == val_len && memcmp(got, val, len) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t k_new[] = "fuzz-new-key";
    static uint8_t big[SMTPC_KVS_RECORD_MAX];
    static kv_t before[SMTPC_KVS_MAX_KEYS + 1];
    size_t nbefore, i;
    uint8_t val[24];
    size_t vlen;
    int rc, put_ok, del_ok = 0;
    kv_t victim;

    (void)fuzz_flash_setup(&g_fl, data, size);
    rc = smtpc_kvs_mount(&g_kvs, &g_fl.ops, &g_fl);
    FUZZ_CHECK(rc == SMTPC_OK);
    FUZZ_CHECK(g_kvs.count <= SMTPC_KVS_MAX_KEYS);
    snapshot(&g_kvs);
    fuzz_flash_clean(&g_fl);

    /* a value derived from the input, so puts differ between inputs */
    vlen = size % sizeof(val);
    for (i = 0; i < vlen; i++) {
        val[i] = (uint8_t)(data[i % (size ? size : 1)] ^ (uint8_t)i);
    }

    /* delete the first listed key, if any */
    memset(&victim, 0, sizeof(victim));
    if (g_n > 0) {
        victim = g_kv[0];
        rc = smtpc_kvs_del(&g_kvs, victim.key, victim.key_len);
        FUZZ_CHECK(rc == SMTPC_OK);
        del_ok = 1;
        expect(&g_kvs, victim.key, victim.key_len, NULL, 0);
    }
    /* put a new key */
    rc = smtpc_kvs_put(&g_kvs, k_new, sizeof(k_new) - 1u, val, vlen);
    FUZZ_CHECK(rc == SMTPC_OK || rc == SMTPC_ERR_CACHE_FULL || rc == SMTPC_ERR_NO_SPACE);
    put_ok = rc == SMTPC_OK;
    if (put_ok) {
        expect(&g_kvs, k_new, sizeof(k_new) - 1u, val, vlen);
    }
    fuzz_flash_clean(&g_fl);

    /* remount: the same state */
    memcpy(before, g_kv, sizeof(before));
    nbefore = g_n;
    rc = smtpc_kvs_mount(&g_kvs, &g_fl.ops, &g_fl);
    FUZZ_CHECK(rc == SMTPC_OK);
    for (i = 0; i < nbefore; i++) {
        const kv_t *e = &before[i];
        if (del_ok && e->key_len == victim.key_len && memcmp(e->key, victim.key, e->key_len) == 0) {
            expect(&g_kvs, e->key, e->key_len, NULL, 0);
        } else if (e->key_len == sizeof(k_new) - 1u && memcmp(e->key, k_new, e->key_len) == 0) {
            if (put_ok) {
                expect(&g_kvs, k_new, e->key_len, val, vlen);
            }
        } else {
            expect(&g_kvs, e->key, e->key_len, e->val, e->val_len);
        }
    }
    if (put_ok) {
        expect(&g_kvs, k_new, sizeof(k_new) - 1u, val, vlen);
    }
    snapshot(&g_kvs);

    /* a large put forces compactions; the store stays consistent */
    memset(big, 0x5A, sizeof(big));
    for (i = 0; i < 3; i++) {
        big[0] = (uint8_t)i;
        rc = smtpc_kvs_put(&g_kvs, (const uint8_t *)"B", 1, big, sizeof(big) / 2u);
        FUZZ_CHECK(rc == SMTPC_OK || rc == SMTPC_ERR_CACHE_FULL || rc == SMTPC_ERR_NO_SPACE);
        if (rc == SMTPC_OK) {
            expect(&g_kvs, (const uint8_t *)"B", 1, big, sizeof(big) / 2u);
        }
    }
    rc = smtpc_kvs_compact(&g_kvs);
    FUZZ_CHECK(rc == SMTPC_OK || rc == SMTPC_ERR_NO_SPACE);
    memcpy(before, g_kv, sizeof(before));
    nbefore = g_n;
    rc = smtpc_kvs_mount(&g_kvs, &g_fl.ops, &g_fl);
    FUZZ_CHECK(rc == SMTPC_OK);
    for (i = 0; i < nbefore; i++) {
        const kv_t *e = &before[i];
        if (!(e->key_len == 1 && e->key[0] == 'B')) {
            expect(&g_kvs, e->key, e->key_len, e->val, e->val_len);
        }
    }
    fuzz_flash_clean(&g_fl);
    return 0;
}
