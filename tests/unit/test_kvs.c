/* Flash key-value store (smtpc_kvs.c) over the flash backends of port/flash:
 *  - the API: get/put/del, key iteration, persistence across remounts, the
 *    unchanged put, CACHE_FULL, NO_SPACE, geometry checks;
 *  - every geometry the store claims: read and prog sizes 1, 4, 16, 256,
 *    erased 0xFF and 0x00, against a model;
 *  - revision wrap-around, torn tails, corrupted images (random bytes, a
 *    wrong version, a flipped bit at every byte): mount never fails and each
 *    key holds a value it held at some committed point, or is absent;
 *  - power cuts (the emulator of port/flash): for each scenario and each cut
 *    mode, a cut at every write operation, then a reboot, a remount, and the
 *    store must hold exactly the old or exactly the new state, and take a
 *    further put;
 *  - transient flash errors: a write fails, the flash works again, the same
 *    store goes on (another put first, then the retry) and must stay right;
 *  - wear: erases per sector and bytes programmed per put.
 *
 * `test_kvs` runs the unit group with a power-cut sample (two geometries);
 * `test_kvs --powercut` runs the exhaustive suite: eight geometries, eight
 * seeds per half-done cut, a second cut during the redo of every
 * single-operation scenario (CTest: powercut_test_kvs, label "powercut", not
 * under valgrind). Both print "kvs power-cut: N cut points, F failures".
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
#include <unistd.h>

#include <cmocka.h>

#include "smtpc/err.h"
#include "smtpc/kvs.h"

#include "smtpc_flash_emu.h"
#include "smtpc_flash_file.h"
#include "smtpc_flash_ram.h"
#include "flash_test_util.h"

/* ============================================================ helpers === */

/* rnd(), geom(), g_unit(), g_pad(): tests/fakes/flash_test_util.h */

static uint32_t g_hdr(const smtpc_flash_geom_t *g)
{
    return g_pad(g, 16u);
}

/* A RAM flash (strict), the emulator over it, a store and a saved image. */
typedef struct {
    smtpc_flash_geom_t g;
    uint32_t size;
    uint8_t *mem;
    uint8_t *img;
    smtpc_flash_ram_t ram;
    smtpc_flash_emu_t emu;
    smtpc_kvs_t kvs;
} rig_t;

static rig_t *rig_new(const smtpc_flash_geom_t *g)
{
    rig_t *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    r->g = *g;
    r->size = g->sector_size * g->sector_count;
    r->mem = malloc(r->size);
    r->img = malloc(r->size);
    assert_non_null(r->mem);
    assert_non_null(r->img);
    assert_int_equal(smtpc_flash_ram_init(&r->ram, r->mem, r->size, g), SMTPC_OK);
    r->ram.strict = 1;
    assert_int_equal(smtpc_flash_emu_init(&r->emu, &r->ram), SMTPC_OK);
    return r;
}

static void rig_free(rig_t *r)
{
    free(r->mem);
    free(r->img);
    free(r);
}

static int rig_mount(rig_t *r)
{
    return smtpc_kvs_mount(&r->kvs, &r->emu.ops, &r->emu);
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

/* ------------------------------------------------------------ the model --- */

/* Keys "k00".."k39"; a value is a function of (key, version, length). */
#define NK 40u

typedef struct {
    uint16_t ver[NK]; /* 0: absent */
    uint16_t len[NK];
} model_t;

typedef struct {
    uint8_t del; /* 0 put, 1 del, 2 compact */
    uint8_t key;
    uint16_t len;
    uint16_t ver;
} op_t;

static void key_name(unsigned i, uint8_t k[3])
{
    k[0] = 'k';
    k[1] = (uint8_t)('0' + i / 10u);
    k[2] = (uint8_t)('0' + i % 10u);
}

static void val_bytes(unsigned key, unsigned ver, size_t len, uint8_t *out)
{
    uint32_t x = (key + 1u) * 2654435761u ^ (ver + 7u) * 40503u ^ (uint32_t)len * 977u;
    size_t i;
    for (i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = (uint8_t)(x >> 11);
    }
}

static int do_op(smtpc_kvs_t *s, const op_t *op)
{
    uint8_t k[3];
    uint8_t v[SMTPC_KVS_RECORD_MAX];
    key_name(op->key, k);
    if (op->del == 2u) {
        return smtpc_kvs_compact(s);
    }
    if (op->del) {
        return smtpc_kvs_del(s, k, 3);
    }
    val_bytes(op->key, op->ver, op->len, v);
    return smtpc_kvs_put(s, k, 3, v, op->len);
}

static void model_apply(model_t *m, const op_t *op)
{
    if (op->del == 2u) {
        return;
    }
    m->ver[op->key] = op->del ? 0u : op->ver;
    m->len[op->key] = op->del ? 0u : op->len;
}

static unsigned model_count(const model_t *m)
{
    unsigned i;
    unsigned n = 0;
    for (i = 0; i < NK; i++) {
        n += m->ver[i] != 0u;
    }
    return n;
}

/* The store holds exactly @p m. */
static int store_is(smtpc_kvs_t *s, const model_t *m)
{
    uint8_t k[3];
    uint8_t v[SMTPC_KVS_RECORD_MAX];
    uint8_t want[SMTPC_KVS_RECORD_MAX];
    uint8_t kb[SMTPC_KVS_KEY_MAX + 1];
    size_t len;
    unsigned i;
    unsigned n = 0;
    while (n <= SMTPC_KVS_MAX_KEYS && smtpc_kvs_key(s, n, kb, sizeof(kb), &len) == SMTPC_OK) {
        n++;
    }
    if (n != model_count(m)) {
        return 0;
    }
    for (i = 0; i < NK; i++) {
        int rc;
        key_name(i, k);
        rc = smtpc_kvs_get(s, k, 3, v, sizeof(v), &len);
        if (m->ver[i] == 0u) {
            if (rc != SMTPC_ERR_NOT_FOUND) {
                return 0;
            }
            continue;
        }
        val_bytes(i, m->ver[i], m->len[i], want);
        if (rc != SMTPC_OK || len != m->len[i] || memcmp(v, want, len) != 0) {
            return 0;
        }
    }
    return 1;
}

/* ============================================================ API ====== */

static const uint8_t K1[] = "alpha";
static const uint8_t K2[] = "beta";
static const uint8_t K3[] = "gamma";

#define KL(k) (k), (sizeof(k) - 1u)

static void test_kvs_crc32_check_value(void **state)
{
    static const uint8_t nine[] = "123456789";
    (void)state;
    assert_int_equal(smtpc_crc32(0, nine, 9), 0xCBF43926u);
    /* continued */
    assert_int_equal(smtpc_crc32(smtpc_crc32(0, nine, 4), nine + 4, 5), 0xCBF43926u);
    assert_int_equal(smtpc_crc32(0, NULL, 0), 0u);
}

static void test_kvs_basic_get_put_del_iterate(void **state)
{
    smtpc_flash_geom_t g = geom(1, 1, 1024, 2, 0xFF);
    rig_t *r = rig_new(&g);
    uint8_t buf[64];
    size_t len = 0;
    unsigned i;
    (void)state;

    assert_int_equal(rig_mount(r), SMTPC_OK);
    assert_int_equal(smtpc_kvs_stats(&r->kvs)->formatted, 1);
    assert_int_equal(smtpc_kvs_get(&r->kvs, KL(K1), buf, sizeof(buf), &len), SMTPC_ERR_NOT_FOUND);
    assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K1), (const uint8_t *)"one", 3), SMTPC_OK);
    assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K2), (const uint8_t *)"two", 3), SMTPC_OK);
    assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K3), NULL, 0), SMTPC_OK);
    assert_int_equal(smtpc_kvs_get(&r->kvs, KL(K1), buf, sizeof(buf), &len), SMTPC_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(buf, "one", 3);
    assert_int_equal(smtpc_kvs_get(&r->kvs, KL(K3), buf, sizeof(buf), &len), SMTPC_OK);
    assert_int_equal(len, 0);

    /* too small a buffer: NO_SPACE with the length */
    assert_int_equal(smtpc_kvs_get(&r->kvs, KL(K2), buf, 2, &len), SMTPC_ERR_NO_SPACE);
    assert_int_equal(len, 3);

    /* update moves the key to the end of the iteration order */
    assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K1), (const uint8_t *)"uno!", 4), SMTPC_OK);
    assert_int_equal(smtpc_kvs_key(&r->kvs, 0, buf, sizeof(buf), &len), SMTPC_OK);
    assert_int_equal(len, 4);
    assert_string_equal((const char *)buf, "beta");
    assert_int_equal(smtpc_kvs_key(&r->kvs, 2, buf, sizeof(buf), &len), SMTPC_OK);
    assert_string_equal((const char *)buf, "alpha");
    assert_int_equal(smtpc_kvs_key(&r->kvs, 3, buf, sizeof(buf), &len), SMTPC_ERR_NOT_FOUND);
    assert_int_equal(smtpc_kvs_key(&r->kvs, 2, buf, 5, &len), SMTPC_OK); /* no room for NUL */
    assert_int_equal(smtpc_kvs_key(&r->kvs, 2, buf, 4, &len), SMTPC_ERR_NO_SPACE);
    assert_int_equal(len, 5);

    /* delete, and delete of an absent key writes nothing */
    assert_int_equal(smtpc_kvs_del(&r->kvs, KL(K2)), SMTPC_OK);
    assert_int_equal(smtpc_kvs_get(&r->kvs, KL(K2), buf, sizeof(buf), &len), SMTPC_ERR_NOT_FOUND);
    i = r->emu.progs;
    assert_int_equal(smtpc_kvs_del(&r->kvs, KL(K2)), SMTPC_OK);
    assert_int_equal(r->emu.progs, i);

    /* persistence */
    smtpc_flash_emu_reboot(&r->emu);
    assert_int_equal(rig_mount(r), SMTPC_OK);
    assert_int_equal(smtpc_kvs_stats(&r->kvs)->formatted, 0);
    assert_int_equal(smtpc_kvs_stats(&r->kvs)->torn, 0);
    assert_int_equal(smtpc_kvs_get(&r->kvs, KL(K1), buf, sizeof(buf), &len), SMTPC_OK);
    assert_int_equal(len, 4);
    assert_memory_equal(buf, "uno!", 4);
    assert_int_equal(smtpc_kvs_get(&r->kvs, KL(K2), buf, sizeof(buf), &len), SMTPC_ERR_NOT_FOUND);
    assert_int_equal(smtpc_kvs_key(&r->kvs, 0, buf, sizeof(buf), &len), SMTPC_OK);
    assert_string_equal((const char *)buf, "gamma");
    assert_int_equal(smtpc_kvs_key(&r->kvs, 1, buf, sizeof(buf), &len), SMTPC_OK);
    assert_string_equal((const char *)buf, "alpha");

    /* explicit compaction keeps everything, on the next sector */
    assert_int_equal(smtpc_kvs_compact(&r->kvs), SMTPC_OK);
    assert_int_equal(r->kvs.active, 1);
    assert_int_equal(smtpc_kvs_stats(&r->kvs)->revision, 2);
    smtpc_flash_emu_reboot(&r->emu);
    assert_int_equal(rig_mount(r), SMTPC_OK);
    assert_int_equal(r->kvs.active, 1);
    assert_int_equal(smtpc_kvs_get(&r->kvs, KL(K1), buf, sizeof(buf), &len), SMTPC_OK);
    assert_memory_equal(buf, "uno!", 4);
    assert_int_equal(smtpc_kvs_get(&r->kvs, KL(K3), buf, sizeof(buf), &len), SMTPC_OK);
    assert_true(rig_clean(r));
    rig_free(r);
}

static void test_kvs_bad_args(void **state)
{
    smtpc_flash_geom_t g = geom(1, 1, 1024, 2, 0xFF);
    rig_t *r = rig_new(&g);
    uint8_t big[300];
    uint8_t buf[8];
    size_t len;
    smtpc_kvs_t fresh;
    (void)state;
    memset(big, 'k', sizeof(big));
    memset(buf, 'v', sizeof(buf));
    memset(&fresh, 0, sizeof(fresh));

    assert_int_equal(smtpc_kvs_put(&fresh, KL(K1), buf, 1), SMTPC_ERR_STATE);
    assert_int_equal(smtpc_kvs_mount(NULL, &r->emu.ops, &r->emu), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_kvs_mount(&r->kvs, NULL, NULL), SMTPC_ERR_BAD_ARG);
    assert_int_equal(rig_mount(r), SMTPC_OK);
    assert_int_equal(smtpc_kvs_put(&r->kvs, NULL, 3, buf, 1), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_kvs_put(&r->kvs, K1, 0, buf, 1), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_kvs_put(&r->kvs, big, 256, buf, 1), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K1), NULL, 1), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_kvs_get(&r->kvs, KL(K1), NULL, 4, &len), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_kvs_del(&r->kvs, NULL, 1), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_kvs_key(NULL, 0, buf, sizeof(buf), &len), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_kvs_compact(NULL), SMTPC_ERR_BAD_ARG);
    assert_null(smtpc_kvs_stats(NULL));
    /* the longest key works */
    assert_int_equal(smtpc_kvs_put(&r->kvs, big, 255, buf, 1), SMTPC_OK);
    assert_int_equal(smtpc_kvs_get(&r->kvs, big, 255, buf, sizeof(buf), &len), SMTPC_OK);
    assert_int_equal(len, 1);
    assert_true(rig_clean(r));
    rig_free(r);
}

static void test_kvs_unchanged_put_writes_nothing(void **state)
{
    smtpc_flash_geom_t g = geom(1, 16, 1024, 2, 0xFF);
    rig_t *r = rig_new(&g);
    uint32_t w;
    (void)state;
    assert_int_equal(rig_mount(r), SMTPC_OK);
    assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K1), (const uint8_t *)"v1", 2), SMTPC_OK);
    assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K2), NULL, 0), SMTPC_OK);
    w = r->emu.wops;
    assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K1), (const uint8_t *)"v1", 2), SMTPC_OK);
    assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K2), NULL, 0), SMTPC_OK);
    assert_int_equal(r->emu.wops, w);
    assert_int_equal(smtpc_kvs_stats(&r->kvs)->skipped, 2);
    /* same length, other bytes: written */
    assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K1), (const uint8_t *)"v2", 2), SMTPC_OK);
    assert_true(r->emu.wops > w);
    assert_int_equal(smtpc_kvs_stats(&r->kvs)->skipped, 2);
    rig_free(r);
}

static void test_kvs_cache_full_and_no_space(void **state)
{
    smtpc_flash_geom_t g = geom(1, 4, 2048, 2, 0xFF);
    rig_t *r = rig_new(&g);
    uint8_t k[3];
    uint8_t v[SMTPC_KVS_RECORD_MAX + 8];
    uint8_t out[SMTPC_KVS_RECORD_MAX];
    size_t len;
    unsigned i;
    (void)state;
    memset(v, 'x', sizeof(v));
    assert_int_equal(rig_mount(r), SMTPC_OK);
    for (i = 0; i < SMTPC_KVS_MAX_KEYS; i++) {
        key_name(i, k);
        assert_int_equal(smtpc_kvs_put(&r->kvs, k, 3, v, 4), SMTPC_OK);
    }
    key_name(SMTPC_KVS_MAX_KEYS, k);
    assert_int_equal(smtpc_kvs_put(&r->kvs, k, 3, v, 4), SMTPC_ERR_CACHE_FULL);
    key_name(0, k);
    assert_int_equal(smtpc_kvs_put(&r->kvs, k, 3, v, 5), SMTPC_OK); /* an update still works */
    assert_int_equal(smtpc_kvs_del(&r->kvs, k, 3), SMTPC_OK);
    key_name(SMTPC_KVS_MAX_KEYS, k);
    assert_int_equal(smtpc_kvs_put(&r->kvs, k, 3, v, 4), SMTPC_OK);
    for (i = 1; i <= SMTPC_KVS_MAX_KEYS; i++) {
        key_name(i, k);
        assert_int_equal(smtpc_kvs_del(&r->kvs, k, 3), SMTPC_OK);
    }
    assert_int_equal(r->kvs.count, 0);

    /* record larger than SMTPC_KVS_RECORD_MAX */
    assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K1), v, SMTPC_KVS_RECORD_MAX - 12u),
                     SMTPC_ERR_NO_SPACE);
    assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K1), v, SMTPC_KVS_RECORD_MAX + 1u),
                     SMTPC_ERR_NO_SPACE);
    /* exactly the largest record */
    assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K1), v, SMTPC_KVS_RECORD_MAX - 13u), SMTPC_OK);
    assert_int_equal(smtpc_kvs_get(&r->kvs, KL(K1), out, sizeof(out), &len), SMTPC_OK);
    assert_int_equal(len, SMTPC_KVS_RECORD_MAX - 13u);
    /* three of them do not fit a 2 KiB sector even after compaction */
    assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K2), v, SMTPC_KVS_RECORD_MAX - 12u), SMTPC_OK);
    assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K3), v, SMTPC_KVS_RECORD_MAX - 13u), SMTPC_OK);
    v[0] = 'y';
    assert_int_equal(
        smtpc_kvs_put(&r->kvs, (const uint8_t *)"delta", 5, v, SMTPC_KVS_RECORD_MAX - 13u),
        SMTPC_ERR_NO_SPACE);
    /* ...but replacing one of them does (the compaction folds it in) */
    assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K2), v, SMTPC_KVS_RECORD_MAX - 12u), SMTPC_OK);
    assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K2), v + 1, SMTPC_KVS_RECORD_MAX - 12u), SMTPC_OK);
    assert_true(smtpc_kvs_stats(&r->kvs)->compactions >= 1u);
    assert_int_equal(smtpc_kvs_get(&r->kvs, KL(K2), out, sizeof(out), &len), SMTPC_OK);
    assert_memory_equal(out, v + 1, len);
    smtpc_flash_emu_reboot(&r->emu);
    assert_int_equal(rig_mount(r), SMTPC_OK);
    assert_int_equal(smtpc_kvs_get(&r->kvs, KL(K2), out, sizeof(out), &len), SMTPC_OK);
    assert_memory_equal(out, v + 1, len);
    assert_int_equal(smtpc_kvs_get(&r->kvs, KL(K1), out, sizeof(out), &len), SMTPC_OK);
    assert_true(rig_clean(r));
    rig_free(r);
}

static int dummy_read(void *ctx, uint32_t a, uint8_t *b, size_t l)
{
    (void)ctx;
    (void)a;
    (void)b;
    (void)l;
    return SMTPC_ERR_FLASH_IO;
}

static int dummy_prog(void *ctx, uint32_t a, const uint8_t *b, size_t l)
{
    (void)ctx;
    (void)a;
    (void)b;
    (void)l;
    return SMTPC_ERR_FLASH_IO;
}

static int dummy_erase(void *ctx, uint32_t s)
{
    (void)ctx;
    (void)s;
    return SMTPC_ERR_FLASH_IO;
}

static void test_kvs_geometry_bad_arg(void **state)
{
    static const struct {
        uint32_t rs, ps, ss, sc;
    } bad[] = {
        {1, 1, 1024, 1}, /* one sector */
        {1, 1, 1024, 0}, /* none */
        {0, 1, 1024, 2}, /* zero read size */
        {1, 0, 1024, 2}, /* zero prog size */
        {3, 1, 1024, 2}, /* not powers of two */
        {1, 12, 1024, 2},
        {1, 1, 1000, 2},
        {1, 1, 512, 2}, /* a header plus one largest record does not fit */
        {1, 256, 512, 2},
        {512, 1, 4096, 2},         /* two read windows must fit the stage */
        {1, 1024, 4096, 2},        /* a prog unit larger than the stage */
        {1, 1, 0x10000u, 0x10001u} /* addresses beyond 32 bits */
    };
    smtpc_flash_ops_t ops;
    smtpc_kvs_t s;
    unsigned i;
    (void)state;
    memset(&ops, 0, sizeof(ops));
    ops.read = dummy_read;
    ops.prog = dummy_prog;
    ops.erase = dummy_erase;
    ops.erased_value = 0xFF;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ops.read_size = bad[i].rs;
        ops.prog_size = bad[i].ps;
        ops.sector_size = bad[i].ss;
        ops.sector_count = bad[i].sc;
        assert_int_equal(smtpc_kvs_mount(&s, &ops, NULL), SMTPC_ERR_BAD_ARG);
        assert_int_equal(smtpc_kvs_put(&s, KL(K1), NULL, 0), SMTPC_ERR_STATE);
    }
    /* a good geometry reaches the flash (which fails here) */
    ops.read_size = 1;
    ops.prog_size = 1;
    ops.sector_size = 1024;
    ops.sector_count = 2;
    assert_int_equal(smtpc_kvs_mount(&s, &ops, NULL), SMTPC_ERR_FLASH_IO);
    ops.read = NULL;
    assert_int_equal(smtpc_kvs_mount(&s, &ops, NULL), SMTPC_ERR_BAD_ARG);
    /* the largest valid address span */
    ops.read = dummy_read;
    ops.sector_size = 0x10000u;
    ops.sector_count = 0x10000u;
    assert_int_equal(smtpc_kvs_mount(&s, &ops, NULL), SMTPC_ERR_FLASH_IO);
}

/* A random workload against the model on one geometry, with remounts. */
static void workload(const smtpc_flash_geom_t *g, unsigned nops, uint32_t seed)
{
    rig_t *r = rig_new(g);
    model_t m;
    unsigned i;
    unsigned keys = 12;
    uint32_t room = g->sector_size - g_hdr(g);
    uint16_t maxlen = 60;
    memset(&m, 0, sizeof(m));
    g_rng = seed;
    /* keep the live data within a sector */
    while (keys > 2u && keys * g_pad(g, 8u + 3u + maxlen) > room) {
        keys--;
    }
    assert_int_equal(rig_mount(r), SMTPC_OK);
    for (i = 0; i < nops; i++) {
        op_t op;
        op.key = (uint8_t)(rnd() % keys);
        op.del = rnd() % 5u == 0u;
        op.len = (uint16_t)(rnd() % (maxlen + 1u));
        op.ver = (uint16_t)(i + 1u);
        assert_int_equal(do_op(&r->kvs, &op), SMTPC_OK);
        model_apply(&m, &op);
        if (i % 37u == 0u) {
            smtpc_flash_emu_reboot(&r->emu);
            assert_int_equal(rig_mount(r), SMTPC_OK);
            assert_int_equal(smtpc_kvs_stats(&r->kvs)->torn, 0);
        }
        if (i % 7u == 0u) {
            assert_true(store_is(&r->kvs, &m));
        }
    }
    smtpc_flash_emu_reboot(&r->emu);
    assert_int_equal(rig_mount(r), SMTPC_OK);
    assert_true(store_is(&r->kvs, &m));
    assert_int_equal(r->ram.violations, 0);
    assert_int_equal(r->ram.misaligned, 0);
    rig_free(r);
}

static void test_kvs_geometries_read_prog_sizes(void **state)
{
    static const uint32_t sizes[] = {1, 4, 16, 256};
    static const uint8_t erased[] = {0xFF, 0x00};
    unsigned a;
    unsigned b;
    unsigned e;
    (void)state;
    for (e = 0; e < 2u; e++) {
        for (a = 0; a < 4u; a++) {
            for (b = 0; b < 4u; b++) {
                smtpc_flash_geom_t g = geom(sizes[a], sizes[b], 2048, 3, erased[e]);
                workload(&g, 150, 1000u + a * 16u + b * 4u + e);
            }
        }
    }
    /* the smallest sector of each unit */
    {
        smtpc_flash_geom_t g = geom(1, 1, 1024, 2, 0xFF);
        workload(&g, 300, 77);
        g = geom(256, 256, 1024, 2, 0x00);
        workload(&g, 100, 78);
    }
}

/* Writes a valid header (the format of kvs.h) for sector @p sec. */
static void put_header(rig_t *r, uint32_t sec, uint8_t version, uint32_t rev)
{
    uint8_t h[16];
    uint32_t u = g_unit(&r->g);
    uint8_t lg = 0;
    uint32_t crc;
    uint8_t *p = r->mem + sec * r->g.sector_size;
    while ((1u << lg) < u) {
        lg++;
    }
    memcpy(h, "SMKV", 4);
    h[4] = version;
    h[5] = lg;
    h[6] = 0;
    h[7] = 0;
    h[8] = (uint8_t)rev;
    h[9] = (uint8_t)(rev >> 8);
    h[10] = (uint8_t)(rev >> 16);
    h[11] = (uint8_t)(rev >> 24);
    crc = smtpc_crc32(0, h, 12);
    h[12] = (uint8_t)crc;
    h[13] = (uint8_t)(crc >> 8);
    h[14] = (uint8_t)(crc >> 16);
    h[15] = (uint8_t)(crc >> 24);
    memset(p, r->g.erased_value, r->g.sector_size);
    memcpy(p, h, 16);
}

static void test_kvs_revision_wraps(void **state)
{
    smtpc_flash_geom_t geoms[2];
    unsigned gi;
    (void)state;
    geoms[0] = geom(1, 1, 1024, 2, 0xFF);
    geoms[1] = geom(4, 16, 1024, 3, 0x00);
    for (gi = 0; gi < 2u; gi++) {
        rig_t *r = rig_new(&geoms[gi]);
        uint8_t buf[16];
        size_t len;
        unsigned i;
        put_header(r, 0, SMTPC_KVS_VERSION, 0xFFFFFFFEu);
        assert_int_equal(rig_mount(r), SMTPC_OK);
        assert_int_equal(smtpc_kvs_stats(&r->kvs)->formatted, 0);
        assert_int_equal(smtpc_kvs_stats(&r->kvs)->revision, 0xFFFFFFFEu);
        assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K1), (const uint8_t *)"a", 1), SMTPC_OK);
        for (i = 0; i < 5u; i++) {
            uint32_t want = 0xFFFFFFFEu + i + 1u;
            buf[0] = (uint8_t)('b' + i);
            assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K2), buf, 1), SMTPC_OK);
            assert_int_equal(smtpc_kvs_compact(&r->kvs), SMTPC_OK);
            assert_int_equal(smtpc_kvs_stats(&r->kvs)->revision, want);
            smtpc_flash_emu_reboot(&r->emu);
            assert_int_equal(rig_mount(r), SMTPC_OK);
            assert_int_equal(smtpc_kvs_stats(&r->kvs)->revision, want);
            assert_int_equal(r->kvs.active, (i + 1u) % geoms[gi].sector_count);
            assert_int_equal(smtpc_kvs_get(&r->kvs, KL(K2), buf, sizeof(buf), &len), SMTPC_OK);
            assert_int_equal(buf[0], 'b' + i);
            assert_int_equal(smtpc_kvs_get(&r->kvs, KL(K1), buf, sizeof(buf), &len), SMTPC_OK);
            assert_int_equal(buf[0], 'a');
        }
        assert_true(rig_clean(r));
        rig_free(r);
    }
}

static void test_kvs_headers_ignored(void **state)
{
    smtpc_flash_geom_t g = geom(1, 1, 1024, 2, 0xFF);
    rig_t *r = rig_new(&g);
    uint8_t buf[8];
    size_t len;
    (void)state;
    /* a newer sector of an unknown version is ignored */
    assert_int_equal(rig_mount(r), SMTPC_OK);
    assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K1), (const uint8_t *)"1", 1), SMTPC_OK);
    put_header(r, 1, SMTPC_KVS_VERSION + 1u, 50);
    smtpc_flash_emu_reboot(&r->emu);
    assert_int_equal(rig_mount(r), SMTPC_OK);
    assert_int_equal(r->kvs.active, 0);
    assert_int_equal(smtpc_kvs_get(&r->kvs, KL(K1), buf, sizeof(buf), &len), SMTPC_OK);
    /* a newer valid one wins; a wrong magic or CRC makes it ignored again */
    put_header(r, 1, SMTPC_KVS_VERSION, 50);
    smtpc_flash_emu_reboot(&r->emu);
    assert_int_equal(rig_mount(r), SMTPC_OK);
    assert_int_equal(r->kvs.active, 1);
    assert_int_equal(r->kvs.count, 0);
    r->mem[g.sector_size + 1] = 'X';
    smtpc_flash_emu_reboot(&r->emu);
    assert_int_equal(rig_mount(r), SMTPC_OK);
    assert_int_equal(r->kvs.active, 0);
    put_header(r, 1, SMTPC_KVS_VERSION, 50);
    r->mem[g.sector_size + 12] ^= 1u;
    smtpc_flash_emu_reboot(&r->emu);
    assert_int_equal(rig_mount(r), SMTPC_OK);
    assert_int_equal(r->kvs.active, 0);
    assert_int_equal(smtpc_kvs_get(&r->kvs, KL(K1), buf, sizeof(buf), &len), SMTPC_OK);
    /* only foreign sectors: formatted */
    put_header(r, 0, SMTPC_KVS_VERSION + 1u, 3);
    smtpc_flash_emu_reboot(&r->emu);
    assert_int_equal(rig_mount(r), SMTPC_OK);
    assert_int_equal(smtpc_kvs_stats(&r->kvs)->formatted, 1);
    assert_int_equal(r->kvs.count, 0);
    assert_true(rig_clean(r));
    rig_free(r);
}

static void test_kvs_torn_tail_dirty_then_compacts(void **state)
{
    static const uint8_t ev[] = {0xFF, 0x00};
    unsigned e;
    (void)state;
    for (e = 0; e < 2u; e++) {
        smtpc_flash_geom_t g = geom(1, 4, 1024, 2, ev[e]);
        rig_t *r = rig_new(&g);
        uint8_t buf[16];
        size_t len;
        uint32_t head;
        assert_int_equal(rig_mount(r), SMTPC_OK);
        assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K1), (const uint8_t *)"one", 3), SMTPC_OK);
        head = r->kvs.head;
        assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K2), (const uint8_t *)"two", 3), SMTPC_OK);
        /* tear the second record: a byte of its value */
        r->mem[head + 9u] = (uint8_t)(r->mem[head + 9u] ^ 0x5A);
        smtpc_flash_emu_reboot(&r->emu);
        assert_int_equal(rig_mount(r), SMTPC_OK);
        assert_int_equal(smtpc_kvs_stats(&r->kvs)->torn, 1);
        assert_int_equal(r->kvs.dirty, 1);
        assert_int_equal(r->kvs.head, head);
        assert_int_equal(smtpc_kvs_get(&r->kvs, KL(K1), buf, sizeof(buf), &len), SMTPC_OK);
        assert_int_equal(smtpc_kvs_get(&r->kvs, KL(K2), buf, sizeof(buf), &len),
                         SMTPC_ERR_NOT_FOUND);
        /* the next write compacts first */
        assert_int_equal(smtpc_kvs_put(&r->kvs, KL(K3), (const uint8_t *)"3", 1), SMTPC_OK);
        assert_int_equal(smtpc_kvs_stats(&r->kvs)->compactions, 1);
        assert_int_equal(r->kvs.active, 1);
        smtpc_flash_emu_reboot(&r->emu);
        assert_int_equal(rig_mount(r), SMTPC_OK);
        assert_int_equal(smtpc_kvs_stats(&r->kvs)->torn, 0);
        assert_int_equal(r->kvs.count, 2);

        /* a stray programmed byte past the end of the log also counts */
        r->mem[g.sector_size + g.sector_size - 3u] = 0x11;
        smtpc_flash_emu_reboot(&r->emu);
        assert_int_equal(rig_mount(r), SMTPC_OK);
        assert_int_equal(smtpc_kvs_stats(&r->kvs)->torn, 1);
        assert_int_equal(smtpc_kvs_del(&r->kvs, KL(K1)), SMTPC_OK);
        assert_int_equal(smtpc_kvs_stats(&r->kvs)->compactions, 1);
        smtpc_flash_emu_reboot(&r->emu);
        assert_int_equal(rig_mount(r), SMTPC_OK);
        assert_int_equal(r->kvs.count, 1);
        assert_int_equal(smtpc_kvs_get(&r->kvs, KL(K3), buf, sizeof(buf), &len), SMTPC_OK);
        assert_true(rig_clean(r));
        rig_free(r);
    }
}

/* ------------------------------------------------------ corrupted images --- */

/* A record of the format of kvs.h, unpadded, at @p p; returns its length. */
static uint32_t raw_record(uint8_t *p, uint8_t type, const uint8_t *key, uint8_t kl,
                           const uint8_t *val, uint16_t vl)
{
    uint32_t total = 8u + kl + vl;
    uint32_t crc;
    p[0] = (uint8_t)total;
    p[1] = (uint8_t)(total >> 8);
    p[2] = type;
    p[3] = kl;
    memcpy(p + 4, key, kl);
    if (vl > 0u) {
        memcpy(p + 4 + kl, val, vl);
    }
    crc = smtpc_crc32(0, p, total - 4u);
    p[total - 4u] = (uint8_t)crc;
    p[total - 3u] = (uint8_t)(crc >> 8);
    p[total - 2u] = (uint8_t)(crc >> 16);
    p[total - 1u] = (uint8_t)(crc >> 24);
    return total;
}

/* After any mount: every key the store lists reads back, and the store takes
 * a put, a del and a remount. */
static void store_usable(rig_t *r)
{
    uint8_t kb[SMTPC_KVS_KEY_MAX + 1];
    uint8_t v[SMTPC_KVS_RECORD_MAX];
    size_t kl;
    size_t vl;
    unsigned i;
    for (i = 0; i < r->kvs.count; i++) {
        assert_int_equal(smtpc_kvs_key(&r->kvs, i, kb, sizeof(kb), &kl), SMTPC_OK);
        assert_int_equal(smtpc_kvs_get(&r->kvs, kb, kl, v, sizeof(v), &vl), SMTPC_OK);
    }
    if (r->kvs.count >= SMTPC_KVS_MAX_KEYS) {
        assert_int_equal(smtpc_kvs_key(&r->kvs, 0, kb, sizeof(kb), &kl), SMTPC_OK);
        assert_int_equal(smtpc_kvs_del(&r->kvs, kb, kl), SMTPC_OK);
    }
    assert_int_equal(smtpc_kvs_put(&r->kvs, (const uint8_t *)"after", 5, (const uint8_t *)"x", 1),
                     SMTPC_OK);
    smtpc_flash_emu_reboot(&r->emu);
    assert_int_equal(rig_mount(r), SMTPC_OK);
    assert_int_equal(smtpc_kvs_get(&r->kvs, (const uint8_t *)"after", 5, v, sizeof(v), &vl),
                     SMTPC_OK);
    assert_int_equal(smtpc_kvs_stats(&r->kvs)->torn, 0);
    assert_true(rig_clean(r));
}

/* The replay rule of kvs.h, in the test: a list in log order. */
typedef struct {
    uint8_t key[8];
    uint8_t kl;
    uint8_t val[40];
    uint16_t vl;
} xent_t;

typedef struct {
    xent_t e[SMTPC_KVS_MAX_KEYS];
    unsigned n;
    int stopped;
} xlog_t;

static void xlog_apply(xlog_t *x, uint8_t type, const uint8_t *key, uint8_t kl, const uint8_t *val,
                       uint16_t vl)
{
    unsigned i;
    int found = 0;
    if (x->stopped) {
        return;
    }
    for (i = 0; i < x->n && !found; i++) {
        if (x->e[i].kl == kl && memcmp(x->e[i].key, key, kl) == 0) {
            memmove(&x->e[i], &x->e[i + 1u], (x->n - 1u - i) * sizeof(x->e[0]));
            x->n--;
            found = 1;
        }
    }
    if (type != SMTPC_KVS_PUT) {
        return;
    }
    if (!found && x->n >= SMTPC_KVS_MAX_KEYS) {
        x->stopped = 1; /* one key more than the index holds: the log ends */
        return;
    }
    memcpy(x->e[x->n].key, key, kl);
    x->e[x->n].kl = kl;
    if (vl > 0u) {
        memcpy(x->e[x->n].val, val, vl);
    }
    x->e[x->n].vl = vl;
    x->n++;
}

static int xlog_matches(smtpc_kvs_t *s, const xlog_t *x)
{
    uint8_t kb[SMTPC_KVS_KEY_MAX + 1];
    uint8_t v[SMTPC_KVS_RECORD_MAX];
    size_t kl;
    size_t vl;
    unsigned i;
    if (s->count != x->n) {
        return 0;
    }
    for (i = 0; i < x->n; i++) {
        if (smtpc_kvs_key(s, i, kb, sizeof(kb), &kl) != SMTPC_OK || kl != x->e[i].kl ||
            memcmp(kb, x->e[i].key, kl) != 0 ||
            smtpc_kvs_get(s, kb, kl, v, sizeof(v), &vl) != SMTPC_OK || vl != x->e[i].vl ||
            memcmp(v, x->e[i].val, vl) != 0) {
            return 0;
        }
    }
    return 1;
}

static void test_kvs_random_images_mount(void **state)
{
    smtpc_flash_geom_t gs[2];
    static xlog_t x;
    unsigned gi;
    unsigned round;
    (void)state;
    gs[0] = geom(1, 1, 1024, 2, 0xFF);
    gs[1] = geom(4, 16, 1024, 3, 0x00);
    g_rng = 4242;
    for (gi = 0; gi < 2u; gi++) {
        rig_t *r = rig_new(&gs[gi]);
        for (round = 0; round < 60u; round++) {
            uint32_t i;
            uint32_t off;
            uint32_t u = g_unit(&r->g);
            uint32_t sec = rnd() % r->g.sector_count;
            for (i = 0; i < r->size; i++) {
                r->mem[i] = (uint8_t)rnd();
            }
            memset(&x, 0, sizeof(x));
            if (round % 3u != 0u) {
                /* a valid header with random records, some well formed (all
                 * of them in one round out of three: checked against the
                 * replay rule) */
                put_header(r, sec, SMTPC_KVS_VERSION, rnd());
                off = g_hdr(&r->g);
                while (off + 64u + u < r->g.sector_size) {
                    uint8_t *p = r->mem + sec * r->g.sector_size + off;
                    uint8_t key[8];
                    uint8_t val[40];
                    uint32_t t;
                    for (t = 0; t < sizeof(key); t++) {
                        /* 16 one-letter keys in half the well-formed rounds
                         * (the index never fills), many keys in the others */
                        key[t] = (uint8_t)('a' + rnd() % (round % 6u == 1u ? 16u : 26u));
                    }
                    for (t = 0; t < sizeof(val); t++) {
                        val[t] = (uint8_t)rnd();
                    }
                    if (round % 3u == 1u || rnd() % 8u != 0u) {
                        uint8_t kl =
                            (uint8_t)(round % 6u == 1u ? 1u
                                                       : 1u + rnd() % (round % 3u == 1u ? 8u : 2u));
                        t = raw_record(p, rnd() % 4u == 0u ? SMTPC_KVS_DEL : SMTPC_KVS_PUT, key, kl,
                                       val, 0);
                        if (p[2] == SMTPC_KVS_PUT) {
                            uint16_t vl = (uint16_t)(rnd() % 40u);
                            t = raw_record(p, SMTPC_KVS_PUT, key, kl, val, vl);
                            xlog_apply(&x, SMTPC_KVS_PUT, key, kl, val, vl);
                        } else {
                            xlog_apply(&x, SMTPC_KVS_DEL, key, kl, NULL, 0);
                        }
                        memset(p + t, r->g.erased_value, g_pad(&r->g, t) - t);
                        off += g_pad(&r->g, t);
                    } else {
                        for (t = 0; t < 64u; t++) {
                            p[t] = (uint8_t)rnd();
                        }
                        if (rnd() % 2u == 0u) {
                            p[0] = 0x20; /* a plausible length */
                            p[1] = 0x00;
                        }
                        off += g_pad(&r->g, 64u);
                    }
                }
            }
            smtpc_flash_emu_reboot(&r->emu);
            assert_int_equal(rig_mount(r), SMTPC_OK);
            assert_true(r->kvs.count <= SMTPC_KVS_MAX_KEYS);
            if (round % 3u == 1u) {
                assert_true(xlog_matches(&r->kvs, &x));
                assert_int_equal(r->kvs.dirty, x.stopped);
            }
            store_usable(r);
        }
        rig_free(r);
    }
}

static void test_kvs_too_many_keys_on_flash(void **state)
{
    smtpc_flash_geom_t g = geom(1, 1, 2048, 2, 0xFF);
    rig_t *r = rig_new(&g);
    uint32_t off = g_hdr(&g);
    unsigned i;
    uint8_t v[8];
    size_t vl;
    (void)state;
    put_header(r, 0, SMTPC_KVS_VERSION, 9);
    for (i = 0; i < SMTPC_KVS_MAX_KEYS + 5u; i++) {
        uint8_t k[3];
        key_name(i, k);
        off += raw_record(r->mem + off, SMTPC_KVS_PUT, k, 3, (const uint8_t *)"v", 1);
    }
    assert_int_equal(rig_mount(r), SMTPC_OK);
    assert_int_equal(r->kvs.count, SMTPC_KVS_MAX_KEYS);
    assert_int_equal(smtpc_kvs_stats(&r->kvs)->torn, 1); /* the prefix that fits */
    assert_int_equal(smtpc_kvs_get(&r->kvs, (const uint8_t *)"k00", 3, v, sizeof(v), &vl),
                     SMTPC_OK);
    assert_int_equal(smtpc_kvs_get(&r->kvs, (const uint8_t *)"k20", 3, v, sizeof(v), &vl),
                     SMTPC_ERR_NOT_FOUND);
    store_usable(r);
    rig_free(r);
}

/* Flip one bit at every byte of a small image holding an old sector and a
 * newer one: mount succeeds and every key holds a value it held at some
 * committed point, or is absent. */
static void test_kvs_flipped_bits_every_byte(void **state)
{
    static const uint8_t ev[] = {0xFF, 0x00};
    unsigned e;
    (void)state;
    for (e = 0; e < 2u; e++) {
        smtpc_flash_geom_t g = geom(1, e == 0u ? 1u : 16u, 1024, 2, ev[e]);
        rig_t *r = rig_new(&g);
        model_t hist[40];
        unsigned nh = 0;
        model_t m;
        unsigned i;
        unsigned pos;
        unsigned bad = 0;
        memset(&m, 0, sizeof(m));
        g_rng = 99u + e;
        assert_int_equal(rig_mount(r), SMTPC_OK);
        hist[nh++] = m;
        for (i = 0; i < 30u; i++) {
            op_t op;
            op.key = (uint8_t)(rnd() % 6u);
            op.del = rnd() % 6u == 0u;
            op.len = (uint16_t)(1u + rnd() % 30u);
            op.ver = (uint16_t)(i + 1u);
            assert_int_equal(do_op(&r->kvs, &op), SMTPC_OK);
            model_apply(&m, &op);
            hist[nh++] = m;
            if (i == 15u) {
                assert_int_equal(smtpc_kvs_compact(&r->kvs), SMTPC_OK);
            }
        }
        rig_save(r, r->img);
        for (pos = 0; pos < r->size; pos++) {
            uint8_t kb[SMTPC_KVS_KEY_MAX + 1];
            uint8_t v[SMTPC_KVS_RECORD_MAX];
            uint8_t want[SMTPC_KVS_RECORD_MAX];
            size_t kl;
            size_t vl;
            unsigned k;
            rig_load(r, r->img);
            r->mem[pos] ^= (uint8_t)(1u << (rnd() % 8u));
            if (rig_mount(r) != SMTPC_OK) {
                bad++;
                continue;
            }
            /* listed keys are model keys */
            for (k = 0; k < r->kvs.count; k++) {
                if (smtpc_kvs_key(&r->kvs, k, kb, sizeof(kb), &kl) != SMTPC_OK || kl != 3u ||
                    kb[0] != 'k') {
                    bad++;
                }
            }
            for (k = 0; k < NK; k++) {
                uint8_t kn[3];
                int rc;
                unsigned h;
                int seen = 0;
                key_name(k, kn);
                rc = smtpc_kvs_get(&r->kvs, kn, 3, v, sizeof(v), &vl);
                if (rc == SMTPC_ERR_NOT_FOUND) {
                    continue;
                }
                if (rc != SMTPC_OK) {
                    bad++;
                    continue;
                }
                for (h = 0; h < nh && !seen; h++) {
                    if (hist[h].ver[k] != 0u && hist[h].len[k] == vl) {
                        val_bytes(k, hist[h].ver[k], vl, want);
                        seen = memcmp(v, want, vl) == 0;
                    }
                }
                bad += !seen;
            }
            if (pos % 64u == 0u) {
                store_usable(r);
            }
        }
        assert_int_equal(bad, 0);
        rig_free(r);
    }
}

/* ------------------------------------------------------------ backends --- */

static void test_flash_ram_nor_rules(void **state)
{
    uint8_t mem[2 * 64];
    smtpc_flash_ram_t f;
    smtpc_flash_geom_t g = geom(4, 8, 64, 2, 0xFF);
    uint8_t b[8];
    (void)state;
    assert_int_equal(smtpc_flash_ram_init(&f, mem, sizeof(mem), &g), SMTPC_OK);
    assert_int_equal(mem[10], 0xFF);
    memset(b, 0xF0, sizeof(b));
    assert_int_equal(f.ops.prog(&f, 8, b, 8), SMTPC_OK);
    memset(b, 0x0F, sizeof(b));
    assert_int_equal(f.ops.prog(&f, 8, b, 8), SMTPC_OK); /* silently ANDed */
    assert_int_equal(mem[8], 0x00);
    assert_int_equal(f.violations, 1);
    f.strict = 1;
    assert_int_equal(f.ops.prog(&f, 8, b, 8), SMTPC_ERR_FLASH_IO);
    assert_int_equal(f.violations, 2);
    memset(b, 0x00, sizeof(b));
    assert_int_equal(f.ops.prog(&f, 8, b, 8), SMTPC_OK); /* no bit back to erased */
    assert_int_equal(f.violations, 2);
    assert_int_equal(f.ops.prog(&f, 4, b, 8), SMTPC_ERR_BAD_ARG);
    assert_int_equal(f.ops.read(&f, 2, b, 4), SMTPC_ERR_BAD_ARG);
    assert_int_equal(f.ops.read(&f, 124, b, 8), SMTPC_ERR_BAD_ARG);
    assert_int_equal(f.ops.erase(&f, 2), SMTPC_ERR_BAD_ARG);
    assert_int_equal(f.misaligned, 4);
    assert_int_equal(f.ops.erase(&f, 0), SMTPC_OK);
    assert_int_equal(mem[8], 0xFF);
    /* erased 0x00: prog only sets bits */
    g.erased_value = 0x00;
    assert_int_equal(smtpc_flash_ram_init(&f, mem, sizeof(mem), &g), SMTPC_OK);
    memset(b, 0x0F, sizeof(b));
    assert_int_equal(f.ops.prog(&f, 0, b, 8), SMTPC_OK);
    memset(b, 0xF0, sizeof(b));
    assert_int_equal(f.ops.prog(&f, 0, b, 8), SMTPC_OK);
    assert_int_equal(mem[0], 0xFF);
    assert_int_equal(f.violations, 1);
    assert_int_equal(smtpc_flash_ram_init(&f, mem, sizeof(mem) - 1u, &g), SMTPC_ERR_BAD_ARG);
}

static void test_flash_emu_cut_modes(void **state)
{
    uint8_t mem[2 * 64];
    smtpc_flash_ram_t f;
    smtpc_flash_emu_t e;
    smtpc_flash_geom_t g = geom(1, 1, 64, 2, 0xFF);
    uint8_t b[32];
    unsigned i;
    unsigned n;
    (void)state;
    assert_int_equal(smtpc_flash_ram_init(&f, mem, sizeof(mem), &g), SMTPC_OK);
    f.strict = 1;
    assert_int_equal(smtpc_flash_emu_init(&e, &f), SMTPC_OK);
    memset(b, 0x00, sizeof(b));
    /* not done */
    smtpc_flash_emu_arm(&e, 1, SMTPC_FLASH_CUT_NOT_DONE, 5);
    assert_int_equal(e.ops.sync(&e), SMTPC_OK);
    assert_int_equal(e.ops.prog(&e, 0, b, 32), SMTPC_ERR_FLASH_IO);
    assert_int_equal(mem[0], 0xFF);
    assert_int_equal(e.ops.read(&e, 0, b, 1), SMTPC_ERR_FLASH_IO);
    assert_int_equal(e.ops.erase(&e, 0), SMTPC_ERR_FLASH_IO);
    smtpc_flash_emu_reboot(&e);
    assert_int_equal(e.ops.read(&e, 0, b, 1), SMTPC_OK);
    memset(b, 0x00, sizeof(b));
    /* prefix */
    smtpc_flash_emu_arm(&e, 0, SMTPC_FLASH_CUT_PREFIX, 5);
    assert_int_equal(e.ops.prog(&e, 0, b, 32), SMTPC_ERR_FLASH_IO);
    for (n = 0; n < 32u && mem[n] == 0x00; n++) {
    }
    assert_true(n < 32u);
    for (i = n; i < 32u; i++) {
        assert_int_equal(mem[i], 0xFF);
    }
    /* random bits: only bits that were to change did */
    smtpc_flash_emu_reboot(&e);
    assert_int_equal(e.ops.erase(&e, 0), SMTPC_OK);
    for (i = 0; i < 32u; i++) {
        b[i] = (uint8_t)(0x0F + i);
    }
    smtpc_flash_emu_arm(&e, 1, SMTPC_FLASH_CUT_RANDOM, 77); /* op 0 was the erase */
    assert_int_equal(e.ops.prog(&e, 0, b, 32), SMTPC_ERR_FLASH_IO);
    n = 0;
    for (i = 0; i < 32u; i++) {
        assert_int_equal(mem[i] & b[i], b[i]); /* never below the target */
        n += mem[i] != b[i] && mem[i] != 0xFF;
    }
    assert_true(n > 0u);
    /* erase: prefix, random, done */
    smtpc_flash_emu_reboot(&e);
    memset(b, 0x00, sizeof(b));
    assert_int_equal(e.ops.prog(&e, 64, b, 32), SMTPC_OK);
    assert_int_equal(e.ops.prog(&e, 96, b, 32), SMTPC_OK);
    smtpc_flash_emu_arm(&e, 2, SMTPC_FLASH_CUT_RANDOM, 3);
    assert_int_equal(e.ops.erase(&e, 1), SMTPC_ERR_FLASH_IO);
    n = 0;
    for (i = 64; i < 128u; i++) {
        n += mem[i] != 0x00 && mem[i] != 0xFF;
    }
    assert_true(n > 0u);
    smtpc_flash_emu_reboot(&e);
    smtpc_flash_emu_arm(&e, 0, SMTPC_FLASH_CUT_DONE, 3);
    assert_int_equal(e.ops.erase(&e, 1), SMTPC_ERR_FLASH_IO);
    assert_int_equal(mem[64], 0xFF);
    assert_int_equal(mem[127], 0xFF);
    assert_int_equal(e.sector_erases[1], 0); /* the cut one is not counted */
    assert_int_equal(f.violations, 0);
}

static void test_flash_file_backend(void **state)
{
    char path[] = "/tmp/smtpc_kvs_XXXXXX";
    smtpc_flash_file_t ff;
    smtpc_flash_geom_t g = geom(1, 4, 1024, 3, 0xFF);
    smtpc_flash_geom_t g2 = geom(1, 4, 1024, 4, 0xFF);
    smtpc_kvs_t *s = calloc(1, sizeof(*s));
    uint8_t buf[16];
    size_t len;
    int fd;
    (void)state;
    assert_non_null(s);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path); /* absent: created erased */

    assert_int_equal(smtpc_flash_file_open(&ff, path, &g), SMTPC_OK);
    ff.strict = 1;
    assert_int_equal(smtpc_kvs_mount(s, &ff.ops, &ff), SMTPC_OK);
    assert_int_equal(smtpc_kvs_stats(s)->formatted, 1);
    assert_int_equal(smtpc_kvs_put(s, KL(K1), (const uint8_t *)"file", 4), SMTPC_OK);
    assert_int_equal(smtpc_kvs_compact(s), SMTPC_OK);
    assert_int_equal(smtpc_kvs_put(s, KL(K2), (const uint8_t *)"2", 1), SMTPC_OK);
    assert_int_equal(ff.violations, 0);
    assert_int_equal(ff.misaligned, 0);
    smtpc_flash_file_close(&ff);
    smtpc_flash_file_close(&ff);

    assert_int_equal(smtpc_flash_file_open(&ff, path, &g2), SMTPC_ERR_BAD_ARG);
    assert_int_equal(smtpc_flash_file_open(&ff, path, &g), SMTPC_OK);
    assert_int_equal(smtpc_kvs_mount(s, &ff.ops, &ff), SMTPC_OK);
    assert_int_equal(smtpc_kvs_stats(s)->formatted, 0);
    assert_int_equal(smtpc_kvs_get(s, KL(K1), buf, sizeof(buf), &len), SMTPC_OK);
    assert_memory_equal(buf, "file", 4);
    assert_int_equal(smtpc_kvs_get(s, KL(K2), buf, sizeof(buf), &len), SMTPC_OK);
    /* NOR rules on the file */
    ff.strict = 1;
    memset(buf, 0xFF, sizeof(buf));
    assert_int_equal(ff.ops.prog(&ff, 0, buf, 4), SMTPC_ERR_FLASH_IO);
    assert_int_equal(ff.violations, 1);
    assert_int_equal(ff.ops.prog(&ff, 2, buf, 4), SMTPC_ERR_BAD_ARG);
    smtpc_flash_file_close(&ff);
    unlink(path);
    assert_int_equal(smtpc_flash_file_open(&ff, "/nonexistent-dir/x", &g), SMTPC_ERR_FLASH_IO);
    free(s);
}

/* ============================================================ power cuts === */

static unsigned long g_cuts;
static unsigned long g_fails;
/* Seeds tried per cut point in the half-done modes (prefix, random bits). */
static unsigned g_seeds = 1;

#define MAX_OPS   64u
#define MAX_SETUP 400u

typedef struct {
    const char *name;
    int blank; /* start from blank flash: the format is under the cut too */
    op_t setup[MAX_SETUP];
    unsigned nsetup;
    op_t ops[MAX_OPS];
    unsigned nops;
    int expect_compaction; /* the first op must compact */
} scen_t;

static void report_fail(const rig_t *r, const scen_t *sc, const char *what, unsigned mode,
                        uint32_t n, unsigned mode2, uint32_t n2)
{
    cut_report_fail(&g_fails, &r->g, sc->name, what, mode, n, mode2, n2);
}

static op_t mkop(int del, unsigned key, unsigned len, unsigned ver)
{
    op_t op;
    op.del = (uint8_t)del;
    op.key = (uint8_t)key;
    op.len = (uint16_t)len;
    op.ver = (uint16_t)ver;
    return op;
}

/* Mounts and runs @p ops until one fails; returns how many succeeded. */
static unsigned run_ops(rig_t *r, const op_t *ops, unsigned n)
{
    unsigned i;
    if (rig_mount(r) != SMTPC_OK) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (do_op(&r->kvs, &ops[i]) != SMTPC_OK) {
            break;
        }
    }
    return i;
}

/* After a cut: reboot, remount; the store must be @p a or @p b (may be the
 * same). Returns which (0, 1) or -1; then, when @p further, a put must work
 * and stick across one more remount. */
static int check_after_cut(rig_t *r, const model_t *a, const model_t *b, int further)
{
    model_t want;
    const model_t *got;
    op_t op;
    unsigned k;
    int which;
    smtpc_flash_emu_reboot(&r->emu);
    if (rig_mount(r) != SMTPC_OK) {
        return -1;
    }
    if (store_is(&r->kvs, a)) {
        which = 0;
        got = a;
    } else if (b != NULL && store_is(&r->kvs, b)) {
        which = 1;
        got = b;
    } else {
        return -1;
    }
    if (!rig_clean(r)) {
        return -1;
    }
    if (!further) {
        return which;
    }
    /* update the first live key with a same-sized value, or add one */
    want = *got;
    op.del = 0;
    op.key = NK - 1u;
    op.len = 10;
    for (k = 0; k < NK; k++) {
        if (want.ver[k] != 0u) {
            op.key = (uint8_t)k;
            op.len = want.len[k];
            break;
        }
    }
    op.ver = 60000u;
    if (do_op(&r->kvs, &op) != SMTPC_OK) {
        return -1;
    }
    model_apply(&want, &op);
    if (!store_is(&r->kvs, &want)) {
        return -1;
    }
    smtpc_flash_emu_reboot(&r->emu);
    if (rig_mount(r) != SMTPC_OK || !store_is(&r->kvs, &want) || !rig_clean(r) ||
        smtpc_kvs_stats(&r->kvs)->torn) {
        return -1;
    }
    return which;
}

/* Sets the scenario's start up on @p r (blank, or mounted with the setup
 * applied); fills @p states[0..nops]. */
static void scen_start(rig_t *r, scen_t *sc, model_t *states)
{
    unsigned i;
    memset(&states[0], 0, sizeof(states[0]));
    memset(r->mem, r->g.erased_value, r->size);
    smtpc_flash_emu_reboot(&r->emu);
    if (!sc->blank) {
        assert_int_equal(rig_mount(r), SMTPC_OK);
        for (i = 0; i < sc->nsetup; i++) {
            assert_int_equal(do_op(&r->kvs, &sc->setup[i]), SMTPC_OK);
            model_apply(&states[0], &sc->setup[i]);
        }
    }
    for (i = 0; i < sc->nops; i++) {
        states[i + 1u] = states[i];
        model_apply(&states[i + 1u], &sc->ops[i]);
    }
    rig_save(r, r->img);
}

/* Total write operations of the scenario (mount included), checked uncut. */
static uint32_t scen_total(rig_t *r, const scen_t *sc, const model_t *states)
{
    uint32_t total;
    unsigned i;
    rig_load(r, r->img);
    assert_int_equal(rig_mount(r), SMTPC_OK);
    for (i = 0; i < sc->nops; i++) {
        uint32_t c0 = smtpc_kvs_stats(&r->kvs)->compactions;
        assert_int_equal(do_op(&r->kvs, &sc->ops[i]), SMTPC_OK);
        if (i == 0u && sc->expect_compaction) {
            assert_int_equal(smtpc_kvs_stats(&r->kvs)->compactions, c0 + 1u);
        }
        assert_true(store_is(&r->kvs, &states[i + 1u]));
    }
    total = r->emu.wops;
    assert_int_equal(check_after_cut(r, &states[sc->nops], NULL, 0), 0);
    return total;
}

static uint32_t cut_seed(uint32_t n, unsigned mode, uint32_t salt)
{
    return (n + 1u) * 2654435761u ^ (mode + 1u) * 97u ^ salt * 40503u;
}

/* Every cut point of one scenario on one geometry. */
static void powercut_scenario(rig_t *r, scen_t *sc, unsigned modes_mask)
{
    static model_t states[MAX_OPS + 1u];
    uint32_t total;
    unsigned mode;
    uint32_t n;
    scen_start(r, sc, states);
    total = scen_total(r, sc, states);
    for (mode = 0; mode < SMTPC_FLASH_CUT_MODES; mode++) {
        if ((modes_mask & (1u << mode)) == 0u) {
            continue;
        }
        for (n = 0; n <= total; n++) {
            unsigned seeds =
                mode == SMTPC_FLASH_CUT_PREFIX || mode == SMTPC_FLASH_CUT_RANDOM ? g_seeds : 1u;
            unsigned k;
            for (k = 0; k < seeds; k++) {
                unsigned done;
                rig_load(r, r->img);
                smtpc_flash_emu_arm(&r->emu, n, (smtpc_flash_cut_t)mode,
                                    cut_seed(n, mode, 1u + 1000u * k));
                done = run_ops(r, sc->ops, sc->nops);
                g_cuts++;
                if (n == total && done != sc->nops) {
                    report_fail(r, sc, "uncut run failed", mode, n, 0, UINT32_MAX);
                    continue;
                }
                if (check_after_cut(r, &states[done], done < sc->nops ? &states[done + 1u] : NULL,
                                    1) < 0) {
                    report_fail(r, sc, "state after remount", mode, n, 0, UINT32_MAX);
                }
            }
        }
    }
}

/* The extra put of the transient test: a same-sized update of a live key
 * that @p op does not touch (so the live data does not grow), or a new key
 * when there is none. */
static op_t transient_extra(const model_t *m, const op_t *op, uint32_t n)
{
    unsigned k;
    for (k = 0; k < NK; k++) {
        if (m->ver[k] != 0u && (op->del == 2u || op->key != k)) {
            return mkop(0, k, m->len[k], 60000u + n % 1000u);
        }
    }
    return mkop(0, NK - 2u, n % 3u, 60000u);
}

/* A transient failure at every write operation: the failed call returns an
 * error, the flash works again without a reboot, the same store first takes
 * a put of another key (which may fit the old sector), then retries the
 * failed call; a power cut in between would leave the old or the new state
 * (with that put), and everything must come out right at the end, in RAM
 * and on flash. */
static void transient_scenario(rig_t *r, scen_t *sc)
{
    static model_t states[MAX_OPS + 1u];
    static smtpc_kvs_t shadow_store;
    smtpc_kvs_t *shadow = &shadow_store;
    uint32_t total;
    unsigned mode;
    uint32_t n;
    scen_start(r, sc, states);
    total = scen_total(r, sc, states);
    for (mode = 0; mode < SMTPC_FLASH_CUT_MODES; mode++) {
        for (n = 0; n < total; n++) {
            model_t cur = states[0];
            unsigned i;
            int ok = 1;
            rig_load(r, r->img);
            smtpc_flash_emu_arm(&r->emu, n, (smtpc_flash_cut_t)mode, cut_seed(n, mode, 9));
            g_cuts++;
            if (rig_mount(r) != SMTPC_OK) {
                smtpc_flash_emu_resume(&r->emu);
                ok = rig_mount(r) == SMTPC_OK;
            }
            for (i = 0; ok && i < sc->nops; i++) {
                if (do_op(&r->kvs, &sc->ops[i]) != SMTPC_OK) {
                    op_t extra = transient_extra(&cur, &sc->ops[i], n);
                    model_t after;
                    smtpc_flash_emu_resume(&r->emu);
                    ok = do_op(&r->kvs, &extra) == SMTPC_OK;
                    model_apply(&cur, &extra);
                    after = cur;
                    model_apply(&after, &sc->ops[i]);
                    /* what a power cut now would leave */
                    ok = ok && smtpc_kvs_mount(shadow, &r->emu.ops, &r->emu) == SMTPC_OK &&
                         (store_is(shadow, &cur) || store_is(shadow, &after));
                    ok = ok && do_op(&r->kvs, &sc->ops[i]) == SMTPC_OK;
                }
                model_apply(&cur, &sc->ops[i]);
            }
            ok = ok && store_is(&r->kvs, &cur) && rig_clean(r);
            if (!ok || check_after_cut(r, &cur, NULL, 1) != 0) {
                report_fail(r, sc, "transient failure", mode, n, 0, UINT32_MAX);
            }
        }
    }
}

/* A cut during a compaction, a remount, then a cut during the redo. */
static void powercut_nested(rig_t *r, scen_t *sc, unsigned modes_mask, uint32_t stride2)
{
    static model_t states[MAX_OPS + 1u];
    uint8_t *img2 = malloc(r->size);
    uint32_t total;
    unsigned m1;
    uint32_t n1;
    assert_non_null(img2);
    assert_int_equal(sc->nops, 1);
    scen_start(r, sc, states);
    total = scen_total(r, sc, states);
    for (m1 = 0; m1 < SMTPC_FLASH_CUT_MODES; m1++) {
        if ((modes_mask & (1u << m1)) == 0u) {
            continue;
        }
        for (n1 = 0; n1 < total; n1++) {
            int first;
            uint32_t total2;
            unsigned m2;
            uint32_t n2;
            rig_load(r, r->img);
            smtpc_flash_emu_arm(&r->emu, n1, (smtpc_flash_cut_t)m1, cut_seed(n1, m1, 2));
            (void)run_ops(r, sc->ops, 1);
            g_cuts++;
            first = check_after_cut(r, &states[0], &states[1], 0);
            if (first < 0) {
                report_fail(r, sc, "state after the first cut", m1, n1, 0, UINT32_MAX);
                continue;
            }
            rig_save(r, img2);
            /* the redo, uncut, for its length */
            rig_load(r, img2);
            if (run_ops(r, sc->ops, 1) != 1u) {
                report_fail(r, sc, "redo failed", m1, n1, 0, UINT32_MAX);
                continue;
            }
            total2 = r->emu.wops;
            for (m2 = 0; m2 < SMTPC_FLASH_CUT_MODES; m2++) {
                if ((modes_mask & (1u << m2)) == 0u) {
                    continue;
                }
                for (n2 = 0;; n2 += stride2) {
                    unsigned done;
                    rig_load(r, img2);
                    smtpc_flash_emu_arm(&r->emu, n2, (smtpc_flash_cut_t)m2,
                                        cut_seed(n2, m2, 3 + n1));
                    done = run_ops(r, sc->ops, 1);
                    g_cuts++;
                    if (check_after_cut(r, first == 0 && done == 0u ? &states[0] : &states[1],
                                        &states[1], 1) < 0) {
                        report_fail(r, sc, "state after the second cut", m1, n1, m2, n2);
                    }
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
    free(img2);
}

/* Live records of value length @p vlen that fit a sector. */
static unsigned fit(const smtpc_flash_geom_t *g, unsigned vlen)
{
    return (g->sector_size - g_hdr(g)) / g_pad(g, 8u + 3u + vlen);
}

static unsigned umin(unsigned a, unsigned b)
{
    return a < b ? a : b;
}

/* Setup of a few keys, then updates until the next put of a 20-byte value
 * and a DEL record no longer fit the active sector (found by running it). */
static void scen_fill(rig_t *r, scen_t *sc)
{
    unsigned keys = umin(4, fit(&r->g, 20));
    unsigned i;
    unsigned ver = 100;
    unsigned k = 0;
    smtpc_kvs_t *s = &r->kvs;
    memset(r->mem, r->g.erased_value, r->size);
    smtpc_flash_emu_reboot(&r->emu);
    assert_int_equal(rig_mount(r), SMTPC_OK);
    sc->nsetup = 0;
    for (i = 0; i < keys; i++) {
        sc->setup[sc->nsetup] = mkop(0, i, 20, ver++);
        assert_int_equal(do_op(s, &sc->setup[sc->nsetup++]), SMTPC_OK);
    }
    while (sc->nsetup < MAX_SETUP) {
        uint32_t free_b = r->g.sector_size - s->head;
        unsigned len;
        if (free_b < g_pad(&r->g, 8u + 3u)) {
            break;
        }
        /* small steps near the end, so the fill ends with less than a DEL record free */
        len = free_b >= g_pad(&r->g, 8u + 3u + 30u) + g_pad(&r->g, 8u + 3u + 20u) ? 20u : 0u;
        sc->setup[sc->nsetup] = mkop(0, len == 0u ? (k++ % 8u) + 10u : i++ % keys, len, ver++);
        if (len == 0u && s->count >= SMTPC_KVS_MAX_KEYS) {
            break;
        }
        assert_int_equal(do_op(s, &sc->setup[sc->nsetup++]), SMTPC_OK);
        assert_int_equal(smtpc_kvs_stats(s)->compactions, 0);
    }
}

static void build_scenarios(rig_t *r, scen_t *sc, unsigned which)
{
    const smtpc_flash_geom_t *g = &r->g;
    unsigned i;
    unsigned keys;
    memset(sc, 0, sizeof(*sc));
    switch (which) {
    case 0:
        sc->name = "first put (blank flash)";
        sc->blank = 1;
        sc->ops[sc->nops++] = mkop(0, 0, 20, 1);
        break;
    case 1:
        sc->name = "update of an existing key";
        keys = umin(4, fit(g, 24) - 1u);
        for (i = 0; i < keys; i++) {
            sc->setup[sc->nsetup++] = mkop(0, i, 20, i + 1u);
        }
        sc->ops[sc->nops++] = mkop(0, 1, 24, 50);
        break;
    case 2:
        sc->name = "delete";
        keys = umin(4, fit(g, 20));
        for (i = 0; i < keys; i++) {
            sc->setup[sc->nsetup++] = mkop(0, i, 20, i + 1u);
        }
        sc->ops[sc->nops++] = mkop(1, keys > 2u ? 2u : 0u, 0, 0);
        break;
    case 3:
        /* eviction-like churn: the oldest key out, a new one in, one updated */
        sc->name = "churn (many keys)";
        keys = umin(SMTPC_KVS_MAX_KEYS - 1u, fit(g, 40) - 1u);
        if (keys > 10u) {
            keys = 10u;
        }
        for (i = 0; i < keys; i++) {
            sc->setup[sc->nsetup++] = mkop(0, i, 8u + (i * 7u) % 33u, i + 1u);
        }
        for (i = 0; i < 8u; i++) {
            sc->ops[sc->nops++] = mkop(1, i, 0, 0);
            sc->ops[sc->nops++] = mkop(0, keys + i, 8u + (i * 11u) % 33u, 100u + i);
            sc->ops[sc->nops++] =
                mkop(0, i + 1u + (i * 3u) % (keys - 1u), 8u + (i * 5u) % 33u, 200u + i);
        }
        break;
    case 4:
        sc->name = "put that compacts";
        scen_fill(r, sc);
        sc->ops[sc->nops++] = mkop(0, 1, 20, 5000);
        sc->expect_compaction = 1;
        break;
    case 5:
        sc->name = "delete that compacts";
        scen_fill(r, sc);
        sc->ops[sc->nops++] = mkop(1, 0, 0, 0);
        sc->expect_compaction = 1;
        break;
    case 6:
        sc->name = "new key that compacts";
        scen_fill(r, sc);
        sc->ops[sc->nops++] = mkop(0, 30, 20, 5001);
        sc->expect_compaction = 1;
        if (r->kvs.count >= SMTPC_KVS_MAX_KEYS ||
            g_hdr(g) + (r->kvs.count + 1u) * g_pad(g, 31) > g->sector_size) {
            sc->ops[0] = mkop(0, 1, 20, 5001); /* no room for one more key here */
        }
        break;
    case 7:
        sc->name = "explicit compaction, then a put";
        for (i = 0; i < 3u; i++) {
            sc->setup[sc->nsetup++] = mkop(0, i, 20, i + 1u);
        }
        sc->setup[sc->nsetup++] = mkop(1, 1, 0, 0);
        sc->ops[sc->nops++] = mkop(2, 0, 0, 0);
        sc->ops[sc->nops++] = mkop(0, 3, 10, 70);
        sc->expect_compaction = 1;
        break;
    default:
        sc->name = "compaction during compaction";
        scen_fill(r, sc);
        sc->ops[sc->nops++] = mkop(0, 2, 20, 5002);
        sc->expect_compaction = 1;
        break;
    }
}

#define NSCEN 9u

/* Every scenario on one geometry: power cuts (the last scenario as nested
 * cuts; with @p nested_all, every single-operation scenario also gets a
 * second cut during the redo after the first), or transient errors. */
static void powercut_geometry(const smtpc_flash_geom_t *g, unsigned modes_mask, uint32_t stride2,
                              int transient, int nested_all)
{
    rig_t *r = rig_new(g);
    scen_t *sc = malloc(sizeof(*sc));
    unsigned i;
    assert_non_null(sc);
    for (i = 0; i < NSCEN; i++) {
        build_scenarios(r, sc, i);
        if (transient) {
            transient_scenario(r, sc);
            continue;
        }
        if (i != NSCEN - 1u) {
            powercut_scenario(r, sc, modes_mask);
        }
        if (sc->nops == 1u && (i == NSCEN - 1u || nested_all)) {
            powercut_nested(r, sc, modes_mask, stride2);
        }
    }
    free(sc);
    rig_free(r);
}

static void powercut_report(void)
{
    printf("kvs power-cut: %lu cut points, %lu failures\n", g_cuts, g_fails);
}

/* The sample in the unit group: two geometries (erased 0xFF and 0x00),
 * every scenario, every mode, two seeds per half-done cut. */
static void test_kvs_powercut_sample(void **state)
{
    smtpc_flash_geom_t g1 = geom(1, 1, 1024, 2, 0xFF);
    smtpc_flash_geom_t g2 = geom(4, 16, 1024, 3, 0x00);
    (void)state;
    g_cuts = 0;
    g_fails = 0;
    g_seeds = 2;
    powercut_geometry(&g1, 0xFu, 1, 0, 0);
    powercut_geometry(&g2, 0xFu, 2, 0, 0);
    powercut_report();
    assert_true(g_cuts > 3000u);
    assert_int_equal(g_fails, 0);
}

/* Transient flash errors at every write operation of every scenario. */
static void test_kvs_transient_errors_recover(void **state)
{
    smtpc_flash_geom_t g1 = geom(1, 1, 1024, 2, 0xFF);
    smtpc_flash_geom_t g2 = geom(4, 16, 1024, 3, 0x00);
    (void)state;
    g_cuts = 0;
    g_fails = 0;
    powercut_geometry(&g1, 0xFu, 1, 1, 0);
    powercut_geometry(&g2, 0xFu, 1, 1, 0);
    printf("kvs transient errors: %lu failure points, %lu failures\n", g_cuts, g_fails);
    assert_int_equal(g_fails, 0);
}

/* The exhaustive suite: eight geometries, every scenario, every mode, every
 * cut point (nested: every pair), eight seeds per half-done cut; then the
 * transient errors on each geometry. */
static void test_kvs_powercut_exhaustive(void **state)
{
    smtpc_flash_geom_t gs[8];
    unsigned long transient = 0;
    unsigned long cuts = 0;
    unsigned i;
    (void)state;
    gs[0] = geom(1, 1, 1024, 2, 0xFF);
    gs[1] = geom(4, 16, 1024, 3, 0x00);
    gs[2] = geom(1, 256, 1024, 2, 0xFF);
    gs[3] = geom(16, 4, 2048, 4, 0xFF);
    gs[4] = geom(256, 256, 1024, 2, 0x00);
    gs[5] = geom(1, 1, 1024, 5, 0x00);
    gs[6] = geom(8, 8, 2048, 2, 0xFF);
    gs[7] = geom(1, 4, 4096, 3, 0xFF);
    g_cuts = 0;
    g_fails = 0;
    g_seeds = 8;
    for (i = 0; i < 8u; i++) {
        unsigned long before = g_cuts;
        powercut_geometry(&gs[i], 0xFu, 1, 0, 1);
        cuts += g_cuts - before;
        printf("kvs power-cut: geometry read %u prog %u sector %u x%u erased 0x%02X: %lu cut "
               "points\n",
               (unsigned)gs[i].read_size, (unsigned)gs[i].prog_size, (unsigned)gs[i].sector_size,
               (unsigned)gs[i].sector_count, gs[i].erased_value, g_cuts - before);
        before = g_cuts;
        powercut_geometry(&gs[i], 0xFu, 1, 1, 0);
        transient += g_cuts - before;
    }
    printf("kvs transient errors: %lu failure points\n", transient);
    g_cuts = cuts;
    powercut_report();
    assert_true(cuts > 20000u);
    assert_int_equal(g_fails, 0);
}

/* ================================================================= wear === */

static void test_kvs_wear_spread(void **state)
{
    smtpc_flash_geom_t g = geom(1, 16, 1024, 4, 0xFF);
    rig_t *r = rig_new(&g);
    unsigned i;
    uint32_t mn = UINT32_MAX;
    uint32_t mx = 0;
    uint32_t bytes;
    model_t m;
    const unsigned updates = 10000;
    (void)state;
    memset(&m, 0, sizeof(m));
    assert_int_equal(rig_mount(r), SMTPC_OK);
    for (i = 0; i < updates; i++) {
        op_t op = mkop(0, i % 8u, 24, i + 1u);
        assert_int_equal(do_op(&r->kvs, &op), SMTPC_OK);
        model_apply(&m, &op);
    }
    bytes = smtpc_kvs_stats(&r->kvs)->bytes;
    printf("kvs wear: %u updates of 8 keys (24-byte values), 4 x 1 KiB sectors, prog 16:\n",
           updates);
    printf("kvs wear: erases per sector:");
    for (i = 0; i < g.sector_count; i++) {
        uint32_t e = r->emu.sector_erases[i];
        printf(" %u", (unsigned)e);
        mn = e < mn ? e : mn;
        mx = e > mx ? e : mx;
    }
    printf("\nkvs wear: %u compactions, %.1f bytes programmed per put (record %u padded)\n",
           (unsigned)smtpc_kvs_stats(&r->kvs)->compactions, (double)bytes / updates,
           (unsigned)g_pad(&g, 8u + 3u + 24u));
    assert_true(mn > 0u);
    assert_true(mx <= 2u * mn);
    smtpc_flash_emu_reboot(&r->emu);
    assert_int_equal(rig_mount(r), SMTPC_OK);
    assert_true(store_is(&r->kvs, &m));
    assert_true(rig_clean(r));
    rig_free(r);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kvs_crc32_check_value),
        cmocka_unit_test(test_kvs_basic_get_put_del_iterate),
        cmocka_unit_test(test_kvs_bad_args),
        cmocka_unit_test(test_kvs_unchanged_put_writes_nothing),
        cmocka_unit_test(test_kvs_cache_full_and_no_space),
        cmocka_unit_test(test_kvs_geometry_bad_arg),
        cmocka_unit_test(test_kvs_geometries_read_prog_sizes),
        cmocka_unit_test(test_kvs_revision_wraps),
        cmocka_unit_test(test_kvs_headers_ignored),
        cmocka_unit_test(test_kvs_torn_tail_dirty_then_compacts),
        cmocka_unit_test(test_kvs_random_images_mount),
        cmocka_unit_test(test_kvs_too_many_keys_on_flash),
        cmocka_unit_test(test_kvs_flipped_bits_every_byte),
        cmocka_unit_test(test_flash_ram_nor_rules),
        cmocka_unit_test(test_flash_emu_cut_modes),
        cmocka_unit_test(test_flash_file_backend),
        cmocka_unit_test(test_kvs_wear_spread),
        cmocka_unit_test(test_kvs_powercut_sample),
        cmocka_unit_test(test_kvs_transient_errors_recover),
    };
    const struct CMUnitTest powercut[] = {
        cmocka_unit_test(test_kvs_powercut_exhaustive),
    };
    if (argc > 1 && strcmp(argv[1], "--powercut") == 0) {
        return cmocka_run_group_tests_name("kvs power-cut", powercut, NULL, NULL);
    }
    return cmocka_run_group_tests_name("kvs", tests, NULL, NULL);
}
