/* Log-structured key-value store on NOR flash, safe under power loss. See
 * smtpc/kvs.h for the format and the contract.
 *
 * Invariants kept by every function below:
 * - Every read is at a read_size-aligned address with a read_size-multiple
 *   length, into the staging buffer; every prog is at a unit-aligned address
 *   (unit = the larger of read_size and prog_size) with a unit-multiple
 *   length, from the staging buffer, padded with the erased value.
 * - Only erased bytes are ever programmed: the active sector is appended to
 *   at `head` only while the bytes from `head` to the end of the sector are
 *   known to be erased (mount checks them; any failed or torn write sets
 *   `dirty`, and a dirty store compacts into a freshly erased sector first).
 * - The RAM index lists the live PUT records of the active sector in log
 *   order (a replaced key moves to the end), which is exactly the order mount
 *   rebuilds from the log, and the order compaction copies them in.
 * - A change becomes visible by one prog: the record carrying it (its CRC
 *   gates it), or, when the change is folded into a compaction, the header
 *   of the new sector, written after everything else is synced.
 */
#include <string.h>

#include "smtpc/kvs.h"

/* Sector header: "SMKV" | u8 version | u8 log2(unit) | u16 0 | u32 revision
 * | u32 crc32 of the 12 bytes before it. */
#define KVS_HDR_RAW 16u
/* Record: u16 total_len | u8 type | u8 key_len | key | value | u32 crc32. */
#define KVS_REC_HEAD 4u
#define KVS_REC_OVER 8u /* head + crc */
#define KVS_REC_MIN  (KVS_REC_OVER + 1u)

static const uint8_t kvs_magic[4] = {'S', 'M', 'K', 'V'};

/* ---------------------------------------------------------------- crc --- */

/* CRC-32 (IEEE, reflected) four bits at a time: a 64-byte table instead of
 * the usual 1 KiB, about half the speed of the byte table and four times the
 * speed of the bitwise loop; records are short, so this is the sweet spot for
 * a small MCU. */
static const uint32_t kvs_crc_nibble[16] = {0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu,
                                            0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
                                            0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
                                            0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu};

uint32_t smtpc_crc32(uint32_t crc, const uint8_t *data, size_t len)
{
    size_t i;
    crc = ~crc;
    for (i = 0; i < len; i++) {
        crc ^= data[i];
        crc = (crc >> 4) ^ kvs_crc_nibble[crc & 0x0Fu];
        crc = (crc >> 4) ^ kvs_crc_nibble[crc & 0x0Fu];
    }
    return ~crc;
}

/* ------------------------------------------------------------ helpers --- */

static uint32_t kvs_rd16(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

static uint32_t kvs_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void kvs_wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static int kvs_pow2(uint32_t v)
{
    return v != 0u && (v & (v - 1u)) == 0u;
}

/* Records and the header are padded to, and start at multiples of, this. */
static uint32_t kvs_unit(const smtpc_kvs_t *s)
{
    return s->flash->read_size > s->flash->prog_size ? s->flash->read_size : s->flash->prog_size;
}

static uint32_t kvs_pad(const smtpc_kvs_t *s, uint32_t n)
{
    uint32_t u = kvs_unit(s);
    return (n + u - 1u) & ~(u - 1u);
}

/* Longest record: it must fit the staging buffer once padded. */
static uint32_t kvs_rec_max(const smtpc_kvs_t *s)
{
    return (uint32_t)SMTPC_KVS_RECORD_MAX & ~(kvs_unit(s) - 1u);
}

static uint16_t kvs_hash(const uint8_t *key, size_t len)
{
    uint32_t c = smtpc_crc32(0, key, len);
    return (uint16_t)(c ^ (c >> 16));
}

/* Sequence-number order: @p a is newer than @p b (int32 difference > 0). */
static int kvs_newer(uint32_t a, uint32_t b)
{
    uint32_t d = a - b;
    return d != 0u && d < 0x80000000u;
}

/* ---------------------------------------------------------- flash I/O --- */

static int kvs_read(smtpc_kvs_t *s, uint32_t sec, uint32_t off, uint8_t *buf, uint32_t len)
{
    uint32_t addr = sec * s->flash->sector_size + off;
    return s->flash->read(s->flash_ctx, addr, buf, len) == SMTPC_OK ? SMTPC_OK : SMTPC_ERR_FLASH_IO;
}

static int kvs_prog(smtpc_kvs_t *s, uint32_t sec, uint32_t off, uint32_t len)
{
    uint32_t addr = sec * s->flash->sector_size + off;
    s->st.progs++;
    s->st.bytes += len;
    return s->flash->prog(s->flash_ctx, addr, s->stage, len) == SMTPC_OK ? SMTPC_OK
                                                                         : SMTPC_ERR_FLASH_IO;
}

static int kvs_erase(smtpc_kvs_t *s, uint32_t sec)
{
    s->st.erases++;
    return s->flash->erase(s->flash_ctx, sec) == SMTPC_OK ? SMTPC_OK : SMTPC_ERR_FLASH_IO;
}

static int kvs_sync(smtpc_kvs_t *s)
{
    if (s->flash->sync == NULL) {
        return SMTPC_OK;
    }
    return s->flash->sync(s->flash_ctx) == SMTPC_OK ? SMTPC_OK : SMTPC_ERR_FLASH_IO;
}

/* Reads a read-aligned window holding sector bytes [off, off + want) (or a
 * first part of them) into stage[base .. base + cap). *p points at byte
 * @p off, *got (>= 1 when want >= 1) says how many of the wanted bytes are
 * there. cap must be at least read_size. */
static int kvs_window(smtpc_kvs_t *s, uint32_t sec, uint32_t off, uint32_t want, uint32_t base,
                      uint32_t cap, const uint8_t **p, uint32_t *got)
{
    uint32_t rs = s->flash->read_size;
    uint32_t start = off & ~(rs - 1u);
    uint32_t end = (off + want + rs - 1u) & ~(rs - 1u);
    uint32_t capal = cap & ~(rs - 1u);
    int rc;
    if (off >= s->flash->sector_size) {
        return SMTPC_ERR_CACHE_CORRUPT;
    }
    if (end > s->flash->sector_size) {
        end = s->flash->sector_size;
    }
    if (end - start > capal) {
        end = start + capal;
    }
    rc = kvs_read(s, sec, start, s->stage + base, end - start);
    if (rc != SMTPC_OK) {
        return rc;
    }
    *p = s->stage + base + (off - start);
    *got = end - off < want ? end - off : want;
    return SMTPC_OK;
}

/* The sector bytes [off, sector end) all read as erased. */
static int kvs_tail_erased(smtpc_kvs_t *s, uint32_t sec, uint32_t off, int *erased)
{
    uint32_t end = s->flash->sector_size;
    uint32_t guard;
    *erased = 1;
    for (guard = 0; off < end && guard <= end; guard++) {
        const uint8_t *p;
        uint32_t got;
        uint32_t i;
        int rc = kvs_window(s, sec, off, end - off, 0, SMTPC_KVS_RECORD_MAX, &p, &got);
        if (rc != SMTPC_OK) {
            return rc;
        }
        for (i = 0; i < got; i++) {
            if (p[i] != s->flash->erased_value) {
                *erased = 0;
                return SMTPC_OK;
            }
        }
        off += got;
    }
    return SMTPC_OK;
}

/* Flash-to-flash comparison of @p n bytes at sector offsets @p a and @p b,
 * through the two halves of the staging buffer. */
static int kvs_flash_eq(smtpc_kvs_t *s, uint32_t sec, uint32_t a, uint32_t b, uint32_t n, int *eq)
{
    const uint32_t half = (uint32_t)SMTPC_KVS_RECORD_MAX / 2u;
    uint32_t guard;
    *eq = 1;
    for (guard = 0; n > 0u && guard <= SMTPC_KVS_KEY_MAX + 1u; guard++) {
        const uint8_t *pa;
        const uint8_t *pb;
        uint32_t ga;
        uint32_t gb;
        int rc = kvs_window(s, sec, a, n, 0, half, &pa, &ga);
        if (rc == SMTPC_OK) {
            rc = kvs_window(s, sec, b, ga, half, half, &pb, &gb);
        }
        if (rc != SMTPC_OK) {
            return rc;
        }
        if (memcmp(pa, pb, gb) != 0) {
            *eq = 0;
            return SMTPC_OK;
        }
        a += gb;
        b += gb;
        n -= gb;
    }
    return SMTPC_OK;
}

/* ------------------------------------------------------------ records --- */

/* The record of @p total bytes in the stage is well framed and its CRC
 * matches. */
static int kvs_rec_ok(const smtpc_kvs_t *s, uint32_t total)
{
    uint32_t type = s->stage[2];
    uint32_t kl = s->stage[3];
    if (total < KVS_REC_MIN || total > kvs_rec_max(s) || kvs_rd16(s->stage) != total || kl == 0u ||
        KVS_REC_OVER + kl > total) {
        return 0;
    }
    if (type == SMTPC_KVS_DEL) {
        if (total != KVS_REC_OVER + kl) {
            return 0;
        }
    } else if (type != SMTPC_KVS_PUT) {
        return 0;
    }
    return smtpc_crc32(0, s->stage, total - 4u) == kvs_rd32(s->stage + total - 4u);
}

/* Loads the record of slot @p i (active sector) into the stage; *ok says
 * whether it still checks out. */
static int kvs_load_slot(smtpc_kvs_t *s, unsigned i, int *ok)
{
    const smtpc_kvs_slot_t *sl = &s->slot[i];
    int rc;
    *ok = 0;
    if (sl->len < KVS_REC_MIN || sl->len > kvs_rec_max(s) ||
        sl->off + kvs_pad(s, sl->len) > s->flash->sector_size) {
        memset(s->stage, 0, KVS_REC_HEAD); /* key_len 0 matches no key */
        return SMTPC_OK;
    }
    rc = kvs_read(s, s->active, sl->off, s->stage, kvs_pad(s, sl->len));
    if (rc == SMTPC_OK) {
        *ok = kvs_rec_ok(s, sl->len) && s->stage[2] == SMTPC_KVS_PUT;
    }
    return rc;
}

/* Builds a record in the stage, padded with the erased value; returns its
 * padded length. The caller checked that it fits. */
static uint32_t kvs_build(smtpc_kvs_t *s, uint8_t type, const uint8_t *key, size_t kl,
                          const uint8_t *val, size_t vl)
{
    uint32_t total = (uint32_t)(KVS_REC_OVER + kl + vl);
    uint32_t padded = kvs_pad(s, total);
    s->stage[0] = (uint8_t)total;
    s->stage[1] = (uint8_t)(total >> 8);
    s->stage[2] = type;
    s->stage[3] = (uint8_t)kl;
    memcpy(s->stage + KVS_REC_HEAD, key, kl);
    if (vl > 0u) {
        memcpy(s->stage + KVS_REC_HEAD + kl, val, vl);
    }
    kvs_wr32(s->stage + total - 4u, smtpc_crc32(0, s->stage, total - 4u));
    memset(s->stage + total, s->flash->erased_value, padded - total);
    return padded;
}

/* Builds a sector header in the stage; returns its padded length. */
static uint32_t kvs_build_hdr(smtpc_kvs_t *s, uint32_t rev)
{
    uint32_t u = kvs_unit(s);
    uint8_t lg = 0;
    while ((1u << lg) < u) {
        lg++;
    }
    memcpy(s->stage, kvs_magic, 4);
    s->stage[4] = (uint8_t)SMTPC_KVS_VERSION;
    s->stage[5] = lg;
    s->stage[6] = 0;
    s->stage[7] = 0;
    kvs_wr32(s->stage + 8, rev);
    kvs_wr32(s->stage + 12, smtpc_crc32(0, s->stage, 12));
    memset(s->stage + KVS_HDR_RAW, s->flash->erased_value, s->hdr_len - KVS_HDR_RAW);
    return s->hdr_len;
}

/* Reads the header of sector @p sec; *ok when it is valid (magic, version,
 * padding unit, CRC), with its revision. */
static int kvs_read_hdr(smtpc_kvs_t *s, uint32_t sec, int *ok, uint32_t *rev)
{
    uint32_t rs = s->flash->read_size;
    uint32_t len = (KVS_HDR_RAW + rs - 1u) & ~(rs - 1u);
    int rc = kvs_read(s, sec, 0, s->stage, len);
    uint32_t u = kvs_unit(s);
    *ok = 0;
    if (rc != SMTPC_OK) {
        return rc;
    }
    if (memcmp(s->stage, kvs_magic, 4) != 0 || s->stage[4] != SMTPC_KVS_VERSION ||
        s->stage[5] > 31u || (1u << s->stage[5]) != u ||
        smtpc_crc32(0, s->stage, 12) != kvs_rd32(s->stage + 12)) {
        return SMTPC_OK;
    }
    *ok = 1;
    *rev = kvs_rd32(s->stage + 8);
    return SMTPC_OK;
}

/* -------------------------------------------------------------- index --- */

static void kvs_slot_remove(smtpc_kvs_t *s, unsigned i)
{
    if (i + 1u < s->count) {
        memmove(&s->slot[i], &s->slot[i + 1u], (size_t)(s->count - 1u - i) * sizeof(s->slot[0]));
    }
    s->count--;
}

static void kvs_slot_add(smtpc_kvs_t *s, uint32_t off, uint16_t hash, uint32_t len)
{
    smtpc_kvs_slot_t *sl = &s->slot[s->count++];
    sl->off = off;
    sl->hash = hash;
    sl->len = (uint16_t)len;
}

/* Finds @p key. *idx = slot or -1. When found, the record is in the stage
 * and *ok says whether it checks out; *bad counts slots of the same hash
 * whose record no longer checks out. */
static int kvs_find(smtpc_kvs_t *s, const uint8_t *key, size_t kl, int *idx, int *ok, int *bad)
{
    uint16_t h = kvs_hash(key, kl);
    unsigned i;
    *idx = -1;
    *ok = 0;
    *bad = 0;
    for (i = 0; i < s->count; i++) {
        int rok;
        int rc;
        if (s->slot[i].hash != h) {
            continue;
        }
        rc = kvs_load_slot(s, i, &rok);
        if (rc != SMTPC_OK) {
            return rc;
        }
        if (!rok) {
            /* Framing still sane: the key can be compared, the data not trusted. */
            if (s->slot[i].len >= KVS_REC_MIN && s->stage[3] == kl &&
                KVS_REC_OVER + kl <= s->slot[i].len &&
                memcmp(s->stage + KVS_REC_HEAD, key, kl) == 0) {
                *idx = (int)i;
                return SMTPC_OK;
            }
            (*bad)++;
            continue;
        }
        if (s->stage[3] == kl && memcmp(s->stage + KVS_REC_HEAD, key, kl) == 0) {
            *idx = (int)i;
            *ok = 1;
            return SMTPC_OK;
        }
    }
    return SMTPC_OK;
}

/* Bytes the live records take, padded, leaving out slot @p skip (-1: none). */
static uint32_t kvs_live(const smtpc_kvs_t *s, int skip)
{
    uint32_t sum = 0;
    unsigned i;
    for (i = 0; i < s->count; i++) {
        if ((int)i != skip) {
            sum += kvs_pad(s, s->slot[i].len);
        }
    }
    return sum;
}

/* --------------------------------------------------------------- mount --- */

/* Replays the log of the active sector into the index; sets head, and dirty
 * when the log ends in anything but erased flash. */
static int kvs_replay(smtpc_kvs_t *s)
{
    const uint32_t ss = s->flash->sector_size;
    const uint32_t rs = s->flash->read_size;
    const uint32_t first = rs < KVS_REC_HEAD ? KVS_REC_HEAD : rs;
    const uint32_t erased16 = (uint32_t)s->flash->erased_value * 0x0101u;
    uint32_t off = s->hdr_len;
    uint32_t guard;
    int rc;
    int erased;

    for (guard = 0; guard <= ss / KVS_REC_MIN; guard++) {
        uint32_t total;
        uint32_t padded;
        uint32_t kl;
        uint8_t type;
        uint16_t h;
        unsigned i;
        int found = -1;

        if (ss - off < first) {
            break;
        }
        rc = kvs_read(s, s->active, off, s->stage, first);
        if (rc != SMTPC_OK) {
            return rc;
        }
        total = kvs_rd16(s->stage);
        if (total == 0u || total == erased16) {
            break; /* end of the log; the tail check below */
        }
        padded = kvs_pad(s, total);
        if (total < KVS_REC_MIN || total > kvs_rec_max(s) || padded > ss - off) {
            s->dirty = 1;
            break;
        }
        if (padded > first) {
            rc = kvs_read(s, s->active, off + first, s->stage + first, padded - first);
            if (rc != SMTPC_OK) {
                return rc;
            }
        }
        if (!kvs_rec_ok(s, total)) {
            s->dirty = 1; /* torn write (or rot): the log ends here */
            break;
        }
        type = s->stage[2];
        kl = s->stage[3];
        h = kvs_hash(s->stage + KVS_REC_HEAD, kl);
        for (i = 0; i < s->count && found < 0; i++) {
            int eq;
            if (s->slot[i].hash != h) {
                continue;
            }
            /* key_len byte and key, both on flash (the stage gets reused) */
            rc = kvs_flash_eq(s, s->active, s->slot[i].off + 3u, off + 3u, kl + 1u, &eq);
            if (rc != SMTPC_OK) {
                return rc;
            }
            if (eq) {
                found = (int)i;
            }
        }
        if (found >= 0) {
            kvs_slot_remove(s, (unsigned)found);
        } else if (type == SMTPC_KVS_PUT && s->count >= SMTPC_KVS_MAX_KEYS) {
            /* More live keys than this build indexes: keep the consistent
             * prefix, and let the next write compact it. */
            s->dirty = 1;
            break;
        }
        if (type == SMTPC_KVS_PUT) {
            kvs_slot_add(s, off, h, total);
        }
        off += padded;
    }
    s->head = off;
    if (!s->dirty) {
        rc = kvs_tail_erased(s, s->active, off, &erased);
        if (rc != SMTPC_OK) {
            return rc;
        }
        if (!erased) {
            s->dirty = 1;
        }
    }
    s->st.torn = s->dirty;
    return SMTPC_OK;
}

static int kvs_geometry_ok(const smtpc_flash_ops_t *f)
{
    uint32_t unit;
    uint32_t hdr;
    uint32_t rec;
    if (f->read == NULL || f->prog == NULL || f->erase == NULL || !kvs_pow2(f->read_size) ||
        !kvs_pow2(f->prog_size) || !kvs_pow2(f->sector_size) || f->sector_count < 2u) {
        return 0;
    }
    /* Two read windows must fit the stage (key comparison), and one record
     * padded to the unit. */
    if (f->read_size > (uint32_t)SMTPC_KVS_RECORD_MAX / 2u ||
        f->prog_size > (uint32_t)SMTPC_KVS_RECORD_MAX) {
        return 0;
    }
    unit = f->read_size > f->prog_size ? f->read_size : f->prog_size;
    hdr = (KVS_HDR_RAW + unit - 1u) & ~(unit - 1u);
    rec = (uint32_t)SMTPC_KVS_RECORD_MAX & ~(unit - 1u);
    if (f->sector_size < hdr + rec) {
        return 0;
    }
    /* Every address must fit 32 bits. */
    return f->sector_count - 1u <= 0xFFFFFFFFu / f->sector_size;
}

int smtpc_kvs_mount(smtpc_kvs_t *s, const smtpc_flash_ops_t *flash, void *flash_ctx)
{
    uint32_t sec;
    uint32_t best_rev = 0;
    int best = -1;
    int rc;

    if (s == NULL || flash == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    memset(s, 0, sizeof(*s));
    if (!kvs_geometry_ok(flash)) {
        return SMTPC_ERR_BAD_ARG;
    }
    s->flash = flash;
    s->flash_ctx = flash_ctx;
    s->hdr_len = kvs_pad(s, KVS_HDR_RAW);

    for (sec = 0; sec < flash->sector_count; sec++) {
        int ok;
        uint32_t rev = 0;
        rc = kvs_read_hdr(s, sec, &ok, &rev);
        if (rc != SMTPC_OK) {
            return rc;
        }
        if (ok && (best < 0 || kvs_newer(rev, best_rev))) {
            best = (int)sec;
            best_rev = rev;
        }
    }

    if (best < 0) {
        /* Blank, foreign or unreadable: format sector 0. A cut here leaves
         * no valid sector again, and the next mount formats again. The sync
         * between erase and header keeps a write-back cache (the file
         * backend) from landing the header over stale records. */
        rc = kvs_erase(s, 0);
        if (rc == SMTPC_OK) {
            rc = kvs_sync(s);
        }
        if (rc == SMTPC_OK) {
            rc = kvs_prog(s, 0, 0, kvs_build_hdr(s, 1u));
        }
        if (rc == SMTPC_OK) {
            rc = kvs_sync(s);
        }
        if (rc != SMTPC_OK) {
            return rc;
        }
        s->active = 0;
        s->head = s->hdr_len;
        s->st.revision = 1u;
        s->st.formatted = 1;
        s->mounted = 1;
        return SMTPC_OK;
    }

    s->active = (uint32_t)best;
    s->st.revision = best_rev;
    rc = kvs_replay(s);
    if (rc != SMTPC_OK) {
        s->count = 0;
        return rc;
    }
    s->mounted = 1;
    return SMTPC_OK;
}

/* ---------------------------------------------------------- compaction --- */

/* Copies the live records, except slot @p skip, into the next sector; then,
 * when @p key is given, a new PUT record of key/val; syncs; writes the
 * header with revision + 1 last; syncs. The index switches to the new sector
 * only once that header is on flash. The caller checked that it all fits. */
static int kvs_compact_into(smtpc_kvs_t *s, int skip, const uint8_t *key, size_t kl,
                            const uint8_t *val, size_t vl)
{
    const uint32_t next = (s->active + 1u) % s->flash->sector_count;
    const uint32_t rev = s->st.revision + 1u;
    uint32_t off = s->hdr_len;
    uint32_t new_len = 0;
    unsigned i;
    int rc;

    /* Until the new header is synced the old sector stays the truth; a
     * failure anywhere leaves the store dirty so the next write starts over
     * with a fresh erase of the same sector. */
    s->dirty = 1;
    rc = kvs_erase(s, next);
    for (i = 0; rc == SMTPC_OK && i < s->count;) {
        int ok;
        uint32_t padded;
        if ((int)i == skip) {
            i++;
            continue;
        }
        rc = kvs_load_slot(s, i, &ok);
        if (rc != SMTPC_OK) {
            break;
        }
        if (!ok) {
            /* Rotted since it was written: nothing to carry over. */
            kvs_slot_remove(s, i);
            if (skip > (int)i) {
                skip--;
            }
            continue;
        }
        padded = kvs_pad(s, s->slot[i].len);
        rc = kvs_prog(s, next, off, padded);
        off += padded;
        i++;
    }
    if (rc == SMTPC_OK && key != NULL) {
        uint32_t padded = kvs_build(s, SMTPC_KVS_PUT, key, kl, val, vl);
        new_len = (uint32_t)(KVS_REC_OVER + kl + vl);
        rc = kvs_prog(s, next, off, padded);
    }
    if (rc == SMTPC_OK) {
        rc = kvs_sync(s); /* the erase, the copies and the new record first */
    }
    if (rc == SMTPC_OK) {
        rc = kvs_prog(s, next, 0, kvs_build_hdr(s, rev));
    }
    if (rc == SMTPC_OK) {
        rc = kvs_sync(s);
    }
    if (rc != SMTPC_OK) {
        return rc;
    }

    /* Committed: the same walk again, now renumbering the index. */
    off = s->hdr_len;
    if (skip >= 0) {
        kvs_slot_remove(s, (unsigned)skip);
    }
    for (i = 0; i < s->count; i++) {
        s->slot[i].off = off;
        off += kvs_pad(s, s->slot[i].len);
    }
    if (key != NULL) {
        kvs_slot_add(s, off, kvs_hash(key, kl), new_len);
        off += kvs_pad(s, new_len);
    }
    s->active = next;
    s->head = off;
    s->dirty = 0;
    s->st.revision = rev;
    s->st.compactions++;
    return SMTPC_OK;
}

/* Appends a record at head and syncs; the index is the caller's. */
static int kvs_append(smtpc_kvs_t *s, uint8_t type, const uint8_t *key, size_t kl,
                      const uint8_t *val, size_t vl, uint32_t *at)
{
    uint32_t padded = kvs_build(s, type, key, kl, val, vl);
    int rc = kvs_prog(s, s->active, s->head, padded);
    if (rc == SMTPC_OK) {
        rc = kvs_sync(s);
    }
    if (rc != SMTPC_OK) {
        s->dirty = 1; /* the tail is unknown now: never program it again */
        return rc;
    }
    *at = s->head;
    s->head += padded;
    return SMTPC_OK;
}

/* ----------------------------------------------------------------- API --- */

static int kvs_key_ok(const smtpc_kvs_t *s, const uint8_t *key, size_t kl)
{
    return s != NULL && key != NULL && kl >= 1u && kl <= SMTPC_KVS_KEY_MAX;
}

int smtpc_kvs_get(smtpc_kvs_t *s, const uint8_t *key, size_t key_len, uint8_t *val, size_t cap,
                  size_t *len)
{
    int idx;
    int ok;
    int bad;
    int rc;
    size_t vl;
    if (!kvs_key_ok(s, key, key_len) || (val == NULL && cap > 0u)) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (!s->mounted) {
        return SMTPC_ERR_STATE;
    }
    rc = kvs_find(s, key, key_len, &idx, &ok, &bad);
    if (rc != SMTPC_OK) {
        return rc;
    }
    if (idx < 0) {
        return bad > 0 ? SMTPC_ERR_CACHE_CORRUPT : SMTPC_ERR_NOT_FOUND;
    }
    if (!ok) {
        return SMTPC_ERR_CACHE_CORRUPT;
    }
    vl = (size_t)s->slot[idx].len - KVS_REC_OVER - key_len;
    if (len != NULL) {
        *len = vl;
    }
    if (vl > cap) {
        return SMTPC_ERR_NO_SPACE;
    }
    if (vl > 0u) {
        memcpy(val, s->stage + KVS_REC_HEAD + key_len, vl);
    }
    return SMTPC_OK;
}

int smtpc_kvs_put(smtpc_kvs_t *s, const uint8_t *key, size_t key_len, const uint8_t *val,
                  size_t val_len)
{
    int idx;
    int ok;
    int bad;
    int rc;
    uint32_t need;
    uint32_t at;
    if (!kvs_key_ok(s, key, key_len) || (val == NULL && val_len > 0u)) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (!s->mounted) {
        return SMTPC_ERR_STATE;
    }
    if (val_len > (size_t)SMTPC_KVS_RECORD_MAX ||
        KVS_REC_OVER + key_len + val_len > (size_t)kvs_rec_max(s)) {
        return SMTPC_ERR_NO_SPACE;
    }
    rc = kvs_find(s, key, key_len, &idx, &ok, &bad);
    if (rc != SMTPC_OK) {
        return rc;
    }
    if (idx >= 0 && ok && (size_t)s->slot[idx].len == KVS_REC_OVER + key_len + val_len &&
        (val_len == 0u || memcmp(s->stage + KVS_REC_HEAD + key_len, val, val_len) == 0)) {
        s->st.skipped++;
        return SMTPC_OK;
    }
    if (idx < 0 && s->count >= SMTPC_KVS_MAX_KEYS) {
        return SMTPC_ERR_CACHE_FULL;
    }
    need = kvs_pad(s, (uint32_t)(KVS_REC_OVER + key_len + val_len));
    if (!s->dirty && need <= s->flash->sector_size - s->head) {
        rc = kvs_append(s, SMTPC_KVS_PUT, key, key_len, val, val_len, &at);
        if (rc != SMTPC_OK) {
            return rc;
        }
        if (idx >= 0) {
            kvs_slot_remove(s, (unsigned)idx);
        }
        kvs_slot_add(s, at, kvs_hash(key, key_len), KVS_REC_OVER + (uint32_t)(key_len + val_len));
        return SMTPC_OK;
    }
    if (s->hdr_len + kvs_live(s, idx) + need > s->flash->sector_size) {
        return SMTPC_ERR_NO_SPACE;
    }
    return kvs_compact_into(s, idx, key, key_len, val, val_len);
}

int smtpc_kvs_del(smtpc_kvs_t *s, const uint8_t *key, size_t key_len)
{
    int idx;
    int ok;
    int bad;
    int rc;
    uint32_t at;
    if (!kvs_key_ok(s, key, key_len)) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (!s->mounted) {
        return SMTPC_ERR_STATE;
    }
    rc = kvs_find(s, key, key_len, &idx, &ok, &bad);
    if (rc != SMTPC_OK || idx < 0) {
        return rc;
    }
    if (!s->dirty &&
        kvs_pad(s, KVS_REC_OVER + (uint32_t)key_len) <= s->flash->sector_size - s->head) {
        rc = kvs_append(s, SMTPC_KVS_DEL, key, key_len, NULL, 0, &at);
        if (rc == SMTPC_OK) {
            kvs_slot_remove(s, (unsigned)idx);
        }
        return rc;
    }
    /* No room for the DEL record (or a torn tail): a compaction that leaves
     * the key out, which always fits. */
    return kvs_compact_into(s, idx, NULL, 0, NULL, 0);
}

int smtpc_kvs_key(smtpc_kvs_t *s, unsigned idx, uint8_t *key, size_t cap, size_t *key_len)
{
    int ok;
    int rc;
    size_t kl;
    if (s == NULL || (key == NULL && cap > 0u)) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (!s->mounted) {
        return SMTPC_ERR_STATE;
    }
    if (idx >= s->count) {
        return SMTPC_ERR_NOT_FOUND;
    }
    rc = kvs_load_slot(s, idx, &ok);
    if (rc != SMTPC_OK) {
        return rc;
    }
    if (!ok) {
        return SMTPC_ERR_CACHE_CORRUPT;
    }
    kl = s->stage[3];
    if (key_len != NULL) {
        *key_len = kl;
    }
    if (kl == 0u || kl > cap) {
        return kl == 0u ? SMTPC_ERR_CACHE_CORRUPT : SMTPC_ERR_NO_SPACE;
    }
    memcpy(key, s->stage + KVS_REC_HEAD, kl);
    if (kl < cap) {
        key[kl] = 0;
    }
    return SMTPC_OK;
}

int smtpc_kvs_compact(smtpc_kvs_t *s)
{
    if (s == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (!s->mounted) {
        return SMTPC_ERR_STATE;
    }
    return kvs_compact_into(s, -1, NULL, 0, NULL, 0);
}

const smtpc_kvs_stats_t *smtpc_kvs_stats(const smtpc_kvs_t *s)
{
    return s != NULL ? &s->st : NULL;
}
