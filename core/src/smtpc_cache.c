/* The MTA-STS policy cache on the flash key-value store, and the time floor.
 * See smtpc/cache.h for the record layout and why every update is atomic. */
#include <string.h>

#include "smtpc/cache.h"
#include "smtpc_priv.h"

#define CACHE_FMT   1u
#define KEY_POLICY  'P'
#define KEY_REFRESH 'R'
#define KEY_FLOOR   'T'

/* Longest max_age a policy may carry (RFC 8461 §3.2). */
#define CACHE_MAX_AGE_MAX 31557600u

/* Keys looked at per scan: the index holds at most this many. */
#define CACHE_SCAN_MAX SMTPC_KVS_MAX_KEYS

/* ------------------------------------------------------- encoding ------ */

typedef struct {
    uint8_t *p;
    size_t cap;
    size_t len;
    int ok;
} wr_t;

static void wr_bytes(wr_t *w, const void *src, size_t n)
{
    if (!w->ok || n > w->cap - w->len) {
        w->ok = 0;
        return;
    }
    memcpy(w->p + w->len, src, n);
    w->len += n;
}

static void wr_u8(wr_t *w, uint8_t v)
{
    wr_bytes(w, &v, 1);
}

static void wr_le(wr_t *w, uint64_t v, unsigned n)
{
    uint8_t b[8];
    unsigned i;
    for (i = 0; i < n; i++) {
        b[i] = (uint8_t)(v >> (8u * i));
    }
    wr_bytes(w, b, n);
}

typedef struct {
    const uint8_t *p;
    size_t len;
    size_t off;
    int ok;
} rd_t;

static const uint8_t *rd_bytes(rd_t *r, size_t n)
{
    const uint8_t *q;
    if (!r->ok || n > r->len - r->off) {
        r->ok = 0;
        return NULL;
    }
    q = r->p + r->off;
    r->off += n;
    return q;
}

static uint64_t rd_le(rd_t *r, unsigned n)
{
    const uint8_t *b = rd_bytes(r, n);
    uint64_t v = 0;
    unsigned i;
    for (i = 0; b != NULL && i < n; i++) {
        v |= (uint64_t)b[i] << (8u * i);
    }
    return v;
}

/* A short string (id) as length + bytes. */
static void wr_str(wr_t *w, const char *s, size_t max)
{
    size_t n = smtpc_strnlen_(s, max);
    n = n > max ? max : n;
    wr_u8(w, (uint8_t)n);
    wr_bytes(w, s, n);
}

static void rd_str(rd_t *r, char *out, size_t max)
{
    size_t n = (size_t)rd_le(r, 1);
    const uint8_t *b;
    if (n > max) {
        r->ok = 0;
        return;
    }
    b = rd_bytes(r, n);
    if (b != NULL) {
        memcpy(out, b, n);
        out[n] = '\0';
    }
}

/* The policy part of an entry: equal bytes mean the same policy and id. */
static void enc_policy(wr_t *w, const smtpc_sts_entry_t *e)
{
    wr_u8(w, CACHE_FMT);
    wr_u8(w, e->has_policy ? 1u : 0u);
    wr_u8(w, e->policy.mode);
    wr_str(w, e->id, SMTPC_STS_ID_MAX);
    wr_le(w, e->policy.max_age, 4);
    wr_u8(w, e->policy.mx_count);
    wr_le(w, e->policy.mx_pool_len, 2);
    wr_bytes(w, e->policy.mx_pool,
             e->policy.mx_pool_len <= sizeof(e->policy.mx_pool) ? e->policy.mx_pool_len
                                                                : sizeof(e->policy.mx_pool));
}

/* The state part: fetch time and back-off. */
static void enc_state(wr_t *w, const smtpc_sts_entry_t *e)
{
    wr_le(w, e->fetched_at, 8);
    wr_str(w, e->fail_id, SMTPC_STS_ID_MAX);
    wr_le(w, e->fail_at, 8);
}

static void dec_state(rd_t *r, smtpc_sts_entry_t *e)
{
    e->fetched_at = rd_le(r, 8);
    rd_str(r, e->fail_id, SMTPC_STS_ID_MAX);
    e->fail_at = rd_le(r, 8);
}

/* The patterns must be mx_count NUL-terminated strings filling pool_len. */
static int pool_ok(const smtpc_sts_policy_t *pol)
{
    size_t i;
    unsigned n = 0;
    if (pol->mx_pool_len > sizeof(pol->mx_pool) || pol->mx_count > SMTPC_STS_MAX_MX_PATTERNS) {
        return 0;
    }
    for (i = 0; i < pol->mx_pool_len; i++) {
        if (pol->mx_pool[i] == '\0') {
            if (i == 0u || pol->mx_pool[i - 1u] == '\0') {
                return 0;
            }
            n++;
        }
    }
    return n == pol->mx_count &&
           (pol->mx_pool_len == 0u || pol->mx_pool[pol->mx_pool_len - 1u] == '\0');
}

static int dec_policy(rd_t *r, smtpc_sts_entry_t *e)
{
    const uint8_t *b;
    if (rd_le(r, 1) != CACHE_FMT) {
        return 0;
    }
    e->has_policy = (uint8_t)rd_le(r, 1);
    e->policy.mode = (uint8_t)rd_le(r, 1);
    rd_str(r, e->id, SMTPC_STS_ID_MAX);
    e->policy.max_age = (uint32_t)rd_le(r, 4);
    e->policy.mx_count = (uint8_t)rd_le(r, 1);
    e->policy.mx_pool_len = (uint16_t)rd_le(r, 2);
    if (!r->ok || e->policy.mx_pool_len > sizeof(e->policy.mx_pool)) {
        return 0;
    }
    b = rd_bytes(r, e->policy.mx_pool_len);
    if (b == NULL) {
        return 0;
    }
    memcpy(e->policy.mx_pool, b, e->policy.mx_pool_len);
    return r->ok && e->has_policy <= 1u && e->policy.mode <= SMTPC_STS_MODE_ENFORCE &&
           e->policy.max_age <= CACHE_MAX_AGE_MAX && pool_ok(&e->policy);
}

/* ----------------------------------------------------------- keys ------ */

static size_t cache_key(smtpc_cache_t *c, uint8_t kind, const char *domain)
{
    size_t n = smtpc_strnlen_(domain, SMTPC_DNS_NAME_BUF - 1u);
    if (n == 0u || n > SMTPC_DNS_NAME_BUF - 1u) {
        return 0;
    }
    c->key[0] = kind;
    memcpy(c->key + 1, domain, n);
    return n + 1u;
}

static void note_err(smtpc_cache_t *c, int rc)
{
    if (rc != SMTPC_OK && rc != SMTPC_ERR_NOT_FOUND) {
        c->last_err = rc;
    }
}

/* Read P (and R) of @p domain into @p e. Leaves the P value in c->val. */
static int cache_load(smtpc_cache_t *c, const char *domain, smtpc_sts_entry_t *e, size_t *pval_len)
{
    uint8_t rbuf[1 + 4 + 8 + 1 + SMTPC_STS_ID_MAX + 8];
    size_t klen = cache_key(c, KEY_POLICY, domain);
    size_t len = 0;
    uint32_t pcrc;
    rd_t r;
    int rc;
    if (klen == 0u) {
        return SMTPC_ERR_BAD_ARG;
    }
    rc = smtpc_kvs_get(c->kvs, c->key, klen, c->val, sizeof(c->val), &len);
    note_err(c, rc);
    if (rc != SMTPC_OK) {
        return rc == SMTPC_ERR_NO_SPACE ? SMTPC_ERR_CACHE_CORRUPT : rc;
    }
    memset(e, 0, sizeof(*e));
    r.p = c->val;
    r.len = len;
    r.off = 0;
    r.ok = 1;
    if (!dec_policy(&r, e)) {
        return SMTPC_ERR_CACHE_CORRUPT;
    }
    dec_state(&r, e);
    if (!r.ok || r.off != len) {
        return SMTPC_ERR_CACHE_CORRUPT;
    }
    memcpy(e->domain, domain, klen - 1u);
    e->domain[klen - 1u] = '\0';
    *pval_len = len;
    /* A refreshed record applies only to the P value it names. It is read
     * into its own small buffer: c->val keeps the P value for cache_put. */
    pcrc = smtpc_crc32(0, c->val, len);
    c->key[0] = KEY_REFRESH;
    rc = smtpc_kvs_get(c->kvs, c->key, klen, rbuf, sizeof(rbuf), &len);
    note_err(c, rc);
    if (rc == SMTPC_OK) {
        uint64_t fetched_at;
        uint64_t fail_at;
        char fail_id[SMTPC_STS_ID_MAX + 1];
        r.p = rbuf;
        r.len = len;
        r.off = 0;
        r.ok = 1;
        fail_id[0] = '\0';
        if (rd_le(&r, 1) == CACHE_FMT && (uint32_t)rd_le(&r, 4) == pcrc) {
            fetched_at = rd_le(&r, 8);
            rd_str(&r, fail_id, SMTPC_STS_ID_MAX);
            fail_at = rd_le(&r, 8);
            if (r.ok && r.off == len) {
                e->fetched_at = fetched_at;
                memcpy(e->fail_id, fail_id, sizeof(e->fail_id));
                e->fail_at = fail_at;
            }
        }
    }
    return SMTPC_OK;
}

/* The domain of the @p k-th key of the store, when that is a policy record,
 * into @p name. ::SMTPC_OK; ::SMTPC_ERR_CACHE_CORRUPT for a key that is not
 * a cache entry or cannot be read (skip it: the keys after it still count);
 * ::SMTPC_ERR_NOT_FOUND past the last key, or another error: stop. */
static int cache_key_at(smtpc_cache_t *c, unsigned k, char name[SMTPC_DNS_NAME_BUF])
{
    size_t klen = 0;
    int rc = smtpc_kvs_key(c->kvs, k, c->key, sizeof(c->key), &klen);
    if (rc == SMTPC_ERR_CACHE_CORRUPT || rc == SMTPC_ERR_NO_SPACE) {
        return SMTPC_ERR_CACHE_CORRUPT;
    }
    if (rc != SMTPC_OK) {
        return rc;
    }
    if (klen < 2u || klen > SMTPC_DNS_NAME_BUF || c->key[0] != KEY_POLICY) {
        return SMTPC_ERR_CACHE_CORRUPT;
    }
    memcpy(name, c->key + 1, klen - 1u);
    name[klen - 1u] = '\0';
    return SMTPC_OK;
}

/* ------------------------------------------------------- store ops ----- */

static int cache_get(void *ctx, const char *domain, smtpc_sts_entry_t *out)
{
    smtpc_cache_t *c = (smtpc_cache_t *)ctx;
    size_t plen = 0;
    if (c == NULL || c->kvs == NULL || domain == NULL || out == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    return cache_load(c, domain, out, &plen) == SMTPC_OK ? SMTPC_OK : SMTPC_ERR_NOT_FOUND;
}

static int cache_iter(void *ctx, unsigned idx, smtpc_sts_entry_t *out)
{
    smtpc_cache_t *c = (smtpc_cache_t *)ctx;
    char name[SMTPC_DNS_NAME_BUF];
    size_t plen = 0;
    unsigned skip = 0;
    unsigned k;
    if (c == NULL || c->kvs == NULL || out == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    /* One pass over the store's keys; unreadable entries are skipped, so
     * idx counts readable ones. */
    for (k = 0; k < CACHE_SCAN_MAX; k++) {
        int rc = cache_key_at(c, k, name);
        if (rc == SMTPC_ERR_CACHE_CORRUPT) {
            continue;
        }
        if (rc != SMTPC_OK) {
            break;
        }
        if (cache_load(c, name, out, &plen) == SMTPC_OK && skip++ == idx) {
            return SMTPC_OK;
        }
    }
    return SMTPC_ERR_NOT_FOUND;
}

unsigned smtpc_cache_count(smtpc_cache_t *c)
{
    char name[SMTPC_DNS_NAME_BUF];
    unsigned n = 0;
    unsigned k;
    if (c == NULL || c->kvs == NULL) {
        return 0;
    }
    for (k = 0; k < CACHE_SCAN_MAX; k++) {
        int rc = cache_key_at(c, k, name);
        if (rc == SMTPC_ERR_CACHE_CORRUPT) {
            continue;
        }
        if (rc != SMTPC_OK) {
            break;
        }
        n++;
    }
    return n;
}

int smtpc_cache_drop(smtpc_cache_t *c, const char *domain)
{
    size_t klen;
    int rc;
    if (c == NULL || c->kvs == NULL || domain == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    klen = cache_key(c, KEY_POLICY, domain);
    if (klen == 0u) {
        return SMTPC_ERR_BAD_ARG;
    }
    /* P first: a stale R without its P is never read (and cache_gc()
     * removes it when its index slot is needed). */
    rc = smtpc_kvs_del(c->kvs, c->key, klen);
    if (rc == SMTPC_OK) {
        c->key[0] = KEY_REFRESH;
        rc = smtpc_kvs_del(c->kvs, c->key, klen);
    }
    note_err(c, rc);
    return rc;
}

/* Trim to @p limit entries, never dropping @p keep: unreadable entries
 * first (they would hold a slot forever), then entries without a policy,
 * then the one expiring first. */
static void cache_trim(smtpc_cache_t *c, const char *keep, unsigned limit)
{
    size_t keep_len = smtpc_strnlen_(keep, SMTPC_DNS_NAME_BUF - 1u);
    unsigned round;
    if (keep_len > SMTPC_DNS_NAME_BUF - 1u) {
        return;
    }
    for (round = 0; round < 4u && smtpc_cache_count(c) > limit; round++) {
        char victim[SMTPC_DNS_NAME_BUF];
        char name[SMTPC_DNS_NAME_BUF];
        int have = 0;
        unsigned v_rank = 0;
        uint64_t v_exp = 0;
        unsigned k;
        for (k = 0; k < CACHE_SCAN_MAX; k++) {
            size_t plen = 0;
            uint64_t exp = 0;
            unsigned rank;
            int rc = cache_key_at(c, k, name);
            if (rc == SMTPC_ERR_CACHE_CORRUPT) {
                continue;
            }
            if (rc != SMTPC_OK) {
                break;
            }
            if (memcmp(name, keep, keep_len + 1u) == 0) {
                continue;
            }
            rc = cache_load(c, name, &c->tmp, &plen);
            if (rc == SMTPC_ERR_CACHE_CORRUPT) {
                rank = 0; /* stored but unreadable */
            } else if (rc == SMTPC_OK) {
                rank = c->tmp.has_policy ? 2u : 1u;
                exp = smtpc_sts_entry_expires(&c->tmp);
            } else {
                continue;
            }
            if (!have || rank < v_rank || (rank == v_rank && exp < v_exp)) {
                memcpy(victim, name, sizeof(victim));
                v_rank = rank;
                v_exp = exp;
                have = 1;
            }
        }
        if (!have || smtpc_cache_drop(c, victim) != SMTPC_OK) {
            return;
        }
    }
}

/* Delete refresh records whose policy record is gone (a cut between the two
 * deletes of a drop leaves one): nothing reads them, but each holds a slot
 * of the store's index. Called when the index is full; returns how many. */
static unsigned cache_gc(smtpc_cache_t *c)
{
    unsigned k = 0;
    unsigned n = 0;
    while (k < CACHE_SCAN_MAX) {
        size_t klen = 0;
        size_t vlen = 0;
        int rc = smtpc_kvs_key(c->kvs, k, c->key, sizeof(c->key), &klen);
        if (rc == SMTPC_ERR_NOT_FOUND || rc == SMTPC_ERR_FLASH_IO) {
            break;
        }
        if (rc != SMTPC_OK || klen < 2u || c->key[0] != KEY_REFRESH) {
            k++;
            continue;
        }
        c->key[0] = KEY_POLICY;
        if (smtpc_kvs_get(c->kvs, c->key, klen, NULL, 0, &vlen) != SMTPC_ERR_NOT_FOUND) {
            k++; /* its entry is there (or unreadable: left alone) */
            continue;
        }
        c->key[0] = KEY_REFRESH;
        if (smtpc_kvs_del(c->kvs, c->key, klen) != SMTPC_OK) {
            break;
        }
        n++; /* the next key moved up to index k */
    }
    return n;
}

/* The entry can be stored and read back (the rules of dec_policy()), under a
 * key the store takes. */
static int entry_ok(const smtpc_sts_entry_t *e)
{
    size_t n = smtpc_strnlen_(e->domain, sizeof(e->domain) - 1u);
    return n >= 1u && n <= sizeof(e->domain) - 1u && e->has_policy <= 1u &&
           e->policy.mode <= SMTPC_STS_MODE_ENFORCE && e->policy.max_age <= CACHE_MAX_AGE_MAX &&
           pool_ok(&e->policy);
}

/* The state parts (fetch time, back-off) are equal, as enc_state() writes
 * them. */
static int state_eq(const smtpc_sts_entry_t *a, const smtpc_sts_entry_t *b)
{
    size_t na = smtpc_strnlen_(a->fail_id, SMTPC_STS_ID_MAX);
    size_t nb = smtpc_strnlen_(b->fail_id, SMTPC_STS_ID_MAX);
    na = na > SMTPC_STS_ID_MAX ? SMTPC_STS_ID_MAX : na;
    nb = nb > SMTPC_STS_ID_MAX ? SMTPC_STS_ID_MAX : nb;
    return a->fetched_at == b->fetched_at && a->fail_at == b->fail_at && na == nb &&
           memcmp(a->fail_id, b->fail_id, na) == 0;
}

static int cache_put(void *ctx, const smtpc_sts_entry_t *e)
{
    smtpc_cache_t *c = (smtpc_cache_t *)ctx;
    smtpc_sts_entry_t *old;
    size_t plen = 0;
    size_t klen;
    wr_t w;
    int rc;
    int existed;
    if (c == NULL || c->kvs == NULL || e == NULL || !entry_ok(e)) {
        return SMTPC_ERR_BAD_ARG;
    }
    old = &c->tmp;
    existed = cache_load(c, e->domain, old, &plen) == SMTPC_OK;
    if (existed) {
        /* c->val holds the stored P value: same policy part? */
        uint8_t *stored = c->val;
        size_t pol_len;
        uint32_t pcrc = smtpc_crc32(0, stored, plen);
        uint8_t probe[8 + SMTPC_STS_ID_MAX + 2 + SMTPC_STS_MX_POOL + 8];
        w.p = probe;
        w.cap = sizeof(probe);
        w.len = 0;
        w.ok = 1;
        enc_policy(&w, e);
        pol_len = w.len;
        if (w.ok && pol_len <= plen && memcmp(probe, stored, pol_len) == 0) {
            /* Same policy: nothing to write when the state is the same
             * too, else only the compact refreshed record. */
            if (state_eq(old, e)) {
                cache_trim(c, e->domain, SMTPC_CACHE_ENTRIES);
                return SMTPC_OK;
            }
            w.p = c->val;
            w.cap = sizeof(c->val);
            w.len = 0;
            w.ok = 1;
            wr_u8(&w, CACHE_FMT);
            wr_le(&w, pcrc, 4);
            enc_state(&w, e);
            klen = cache_key(c, KEY_REFRESH, e->domain);
            rc = w.ok ? smtpc_kvs_put(c->kvs, c->key, klen, c->val, w.len) : SMTPC_ERR_NO_SPACE;
            if (rc == SMTPC_ERR_CACHE_FULL && cache_gc(c) > 0u) {
                klen = cache_key(c, KEY_REFRESH, e->domain); /* the scan used c->key */
                rc = smtpc_kvs_put(c->kvs, c->key, klen, c->val, w.len);
            }
            if (rc != SMTPC_ERR_CACHE_FULL) {
                note_err(c, rc);
                if (rc == SMTPC_OK) {
                    cache_trim(c, e->domain, SMTPC_CACHE_ENTRIES);
                }
                return rc;
            }
            /* No index slot for the refreshed record (other users of the
             * store hold them): the whole entry instead, under its key. */
        }
    }
    w.p = c->val;
    w.cap = sizeof(c->val);
    w.len = 0;
    w.ok = 1;
    enc_policy(&w, e);
    enc_state(&w, e);
    klen = cache_key(c, KEY_POLICY, e->domain);
    if (!w.ok) {
        return SMTPC_ERR_NO_SPACE;
    }
    rc = smtpc_kvs_put(c->kvs, c->key, klen, c->val, w.len);
    if (rc == SMTPC_ERR_CACHE_FULL && !existed) {
        /* The index is full. Refresh records left without their entry go
         * first; failing that, make room by eviction first (the new entry
         * cannot then be written atomically with the eviction, but a cut
         * in between only loses the evicted entry, which was going anyway). */
        if (cache_gc(c) == 0u) {
            cache_trim(c, e->domain, SMTPC_CACHE_ENTRIES - 1u);
        }
        /* The scans used the scratch buffers: encode again. */
        w.p = c->val;
        w.cap = sizeof(c->val);
        w.len = 0;
        w.ok = 1;
        enc_policy(&w, e);
        enc_state(&w, e);
        klen = cache_key(c, KEY_POLICY, e->domain);
        rc = smtpc_kvs_put(c->kvs, c->key, klen, c->val, w.len);
    }
    note_err(c, rc);
    if (rc != SMTPC_OK) {
        return rc;
    }
    /* The old refreshed record no longer matches: drop it (a cut before
     * this leaves it stale, and a stale one is ignored). */
    c->key[0] = KEY_REFRESH;
    (void)smtpc_kvs_del(c->kvs, c->key, klen);
    /* Also after an update: a cut during an earlier eviction may have left
     * one entry too many (cache.h). */
    cache_trim(c, e->domain, SMTPC_CACHE_ENTRIES);
    return SMTPC_OK;
}

const smtpc_sts_store_ops_t smtpc_cache_ops = {cache_get, cache_put, cache_iter};

/* ------------------------------------------------------- time floor ---- */

int smtpc_cache_init(smtpc_cache_t *c, smtpc_kvs_t *kvs)
{
    uint8_t key = KEY_FLOOR;
    uint8_t b[8];
    size_t len = 0;
    unsigned i;
    if (c == NULL || kvs == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    memset(c, 0, sizeof(*c));
    c->kvs = kvs;
    if (smtpc_kvs_get(kvs, &key, 1, b, sizeof(b), &len) == SMTPC_OK && len == 8u) {
        for (i = 0; i < 8u; i++) {
            c->floor |= (uint64_t)b[i] << (8u * i);
        }
        c->floor_saved = c->floor;
    }
    return SMTPC_OK;
}

void smtpc_cache_time_seen(smtpc_cache_t *c, uint64_t utc)
{
    uint8_t key = KEY_FLOOR;
    uint8_t b[8];
    unsigned i;
    if (c == NULL || c->kvs == NULL || utc <= c->floor) {
        return;
    }
    c->floor = utc;
    if (c->floor_saved != 0u && c->floor - c->floor_saved < (uint64_t)SMTPC_TIME_FLOOR_STEP_S) {
        return;
    }
    for (i = 0; i < 8u; i++) {
        b[i] = (uint8_t)(utc >> (8u * i));
    }
    if (smtpc_kvs_put(c->kvs, &key, 1, b, sizeof(b)) == SMTPC_OK) {
        c->floor_saved = utc;
    }
}

uint64_t smtpc_cache_floor(const smtpc_cache_t *c)
{
    return c != NULL ? c->floor : 0u;
}

static uint32_t floor_now_ms(void *ctx)
{
    const smtpc_floor_clock_t *f = (const smtpc_floor_clock_t *)ctx;
    return f->inner->now_ms(f->inner_ctx);
}

static uint64_t floor_utc_s(void *ctx)
{
    smtpc_floor_clock_t *f = (smtpc_floor_clock_t *)ctx;
    uint64_t t = f->inner->utc_s != NULL ? f->inner->utc_s(f->inner_ctx) : 0u;
    if (t == 0u) {
        return 0; /* unknown stays unknown: cached policies keep applying */
    }
    if (t < f->cache->floor) {
        return f->cache->floor;
    }
    smtpc_cache_time_seen(f->cache, t);
    return t;
}

const smtpc_clock_ops_t smtpc_floor_clock_ops = {floor_now_ms, floor_utc_s};
