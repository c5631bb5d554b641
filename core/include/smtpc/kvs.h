/**
 * @file kvs.h
 * @brief A small log-structured key-value store on NOR flash (littlefs ideas,
 *        scaled down), safe under power loss, with bounded wear.
 *
 * Used by the MTA-STS policy cache (and later the TLS-RPT log and an outbound
 * queue). Layout over the ::smtpc_flash_ops_t geometry (sector_count >= 2).
 * The padding unit is the larger of read_size and prog_size (normally the
 * program size): the header and every record start at a multiple of it and
 * are padded to it with the erased value, so every read and prog is aligned.
 *
 * - Each sector starts with a header of 16 bytes, padded to the unit:
 *   `"SMKV" | u8 version | u8 log2(unit) | u16 0 | u32 revision | u32 crc32`
 *   (the CRC covers the 12 bytes before it). A header with a wrong magic, an
 *   unknown version, another unit or a bad CRC is ignored.
 * - Records follow, each padded to the unit:
 *   `u16 total_len | u8 type | u8 key_len | key | value | u32 crc32`
 *   (little-endian; total_len counts from itself to the CRC, the CRC covers
 *   everything before it; keys are 1..255 bytes, a DEL has no value). A
 *   record whose length field reads as erased flash (or 0) ends the log; a
 *   record that fails its framing or CRC (a torn write) ends the log too, and
 *   so does a PUT of one key more than the RAM index holds. In the last two
 *   cases, and when anything after the end of the log is not erased, the
 *   store is `dirty`: the sector is compacted before anything more is
 *   appended to it (NOR cannot be re-programmed), so no byte is ever
 *   programmed twice.
 * - Types: PUT (key -> value, last one wins) and DEL (key removed).
 * - Mount reads every sector header, picks the valid one with the highest
 *   revision (compared as sequence numbers: int32 difference, so wrap-around
 *   is safe), and replays its records into a RAM index (key hash + offset),
 *   kept in log order (a put moves its key to the end; smtpc_kvs_key()
 *   iterates in that order). The scan is bounded by the sector size. Flash
 *   with no valid header is formatted: sector 0 erased, header revision 1.
 * - Appending: a put or del writes one record (one prog, then a sync); the
 *   record's CRC makes it all-or-nothing.
 * - Compaction, when the record does not fit the active sector, the store is
 *   dirty, or smtpc_kvs_compact() asks: erase the next sector (round robin
 *   over all sectors: wear spreads evenly), copy the live records in index
 *   order, then the record of the put being made (a put or del that
 *   triggers a compaction is folded into it: the key's old record is not
 *   copied), sync, then write the header with revision + 1 **last** and sync
 *   again. Until that header is valid, mount keeps picking the old sector,
 *   so a power cut at any point leaves either the old or the new state,
 *   never a mix.
 * - A put that does not change the stored value writes nothing.
 * - After ::SMTPC_ERR_FLASH_IO from a write the store stays usable: the
 *   change may or may not be on flash (the key holds the old or the new
 *   value) and the next write compacts first.
 *
 * Context: one task; not re-entrant. No allocation: the caller gives the
 * store its RAM (::smtpc_kvs_t holds the index and one staging buffer).
 * Functions other than mount return ::SMTPC_ERR_STATE on a store that is not
 * mounted, and ::SMTPC_ERR_BAD_ARG for NULL pointers or a key length outside
 * 1..255.
 */
#ifndef SMTPC_KVS_H
#define SMTPC_KVS_H

#include <stddef.h>
#include <stdint.h>

#include "smtpc/err.h"
#include "smtpc/opts.h"
#include "smtpc/port.h"

#ifdef __cplusplus
extern "C" {
#endif

/** On-flash format version. */
#define SMTPC_KVS_VERSION 1u

/** Record types. */
#define SMTPC_KVS_PUT 0x01u
#define SMTPC_KVS_DEL 0x02u

/** Longest key. */
#define SMTPC_KVS_KEY_MAX 255u

/** One live key in the RAM index. */
typedef struct {
    uint32_t off;  /**< offset of its PUT record in the active sector */
    uint16_t hash; /**< of the key, to skip most flash reads on lookup */
    uint16_t len;  /**< total record length */
} smtpc_kvs_slot_t;

/** Wear and health figures (progs and bytes count padding; erases count
 *  the format too). */
typedef struct {
    uint32_t erases;      /**< sector erases since mount */
    uint32_t progs;       /**< program operations since mount */
    uint32_t bytes;       /**< bytes programmed since mount */
    uint32_t compactions; /**< since mount */
    uint32_t skipped;     /**< puts that wrote nothing (value unchanged) */
    uint32_t revision;    /**< of the active sector */
    uint8_t torn;         /**< mount found a torn tail (compacted before the next write) */
    uint8_t formatted;    /**< mount found no valid sector and formatted */
} smtpc_kvs_stats_t;

/** The store. Caller-owned; RAM ~ SMTPC_KVS_MAX_KEYS * 8 + SMTPC_KVS_RECORD_MAX. */
typedef struct smtpc_kvs {
    const smtpc_flash_ops_t *flash;
    void *flash_ctx;
    uint32_t active;  /**< sector index */
    uint32_t head;    /**< append offset in the active sector (end of the log) */
    uint32_t hdr_len; /**< header size, padded */
    uint16_t count;   /**< live keys */
    uint8_t mounted;
    uint8_t dirty; /**< torn tail: compact before appending */
    smtpc_kvs_stats_t st;
    smtpc_kvs_slot_t slot[SMTPC_KVS_MAX_KEYS];
    uint8_t stage[SMTPC_KVS_RECORD_MAX]; /**< one record, being read or written */
} smtpc_kvs_t;

/**
 * @brief Mount: find the newest valid sector and rebuild the index. Flash
 * holding no valid sector (blank, foreign or corrupted) is formatted. A
 * corrupted image mounts as its last consistent state or as empty; it never
 * makes mount fail, loop or read out of bounds.
 * Mount writes nothing except when it formats.
 * @return ::SMTPC_OK, ::SMTPC_ERR_BAD_ARG (geometry unusable: fewer than 2
 *         sectors, sizes not powers of two, a sector smaller than a header
 *         plus one largest record, read_size over SMTPC_KVS_RECORD_MAX / 2
 *         or prog_size over SMTPC_KVS_RECORD_MAX (the staging buffer), a
 *         device over 4 GiB, no read/prog/erase; sync may be NULL), or
 *         ::SMTPC_ERR_FLASH_IO.
 */
int smtpc_kvs_mount(smtpc_kvs_t *s, const smtpc_flash_ops_t *flash, void *flash_ctx);

/**
 * @brief Read the value of @p key into @p val (up to @p cap bytes).
 * @return ::SMTPC_OK with @p len, ::SMTPC_ERR_NOT_FOUND,
 *         ::SMTPC_ERR_NO_SPACE (value longer than @p cap; @p len says how
 *         long), ::SMTPC_ERR_CACHE_CORRUPT (the record no longer checks out),
 *         ::SMTPC_ERR_FLASH_IO.
 */
int smtpc_kvs_get(smtpc_kvs_t *s, const uint8_t *key, size_t key_len, uint8_t *val, size_t cap,
                  size_t *len);

/**
 * @brief Store @p val under @p key (replacing any value). Atomic: after a
 * power cut the key holds the old or the new value. Compacts when needed.
 * @return ::SMTPC_OK, ::SMTPC_ERR_NO_SPACE (record larger than
 *         ::SMTPC_KVS_RECORD_MAX rounded down to the padding unit, or the
 *         live data with the new record would not fit a sector even after
 *         compaction; nothing is written then),
 *         ::SMTPC_ERR_CACHE_FULL (::SMTPC_KVS_MAX_KEYS live keys and @p key
 *         is new), ::SMTPC_ERR_FLASH_IO.
 */
int smtpc_kvs_put(smtpc_kvs_t *s, const uint8_t *key, size_t key_len, const uint8_t *val,
                  size_t val_len);

/** @brief Remove @p key (atomic). ::SMTPC_OK also when it was absent (then
 *  nothing is written). */
int smtpc_kvs_del(smtpc_kvs_t *s, const uint8_t *key, size_t key_len);

/**
 * @brief The @p idx-th live key (0, 1, ...) into @p key (NUL-terminated when
 * room allows), for iteration.
 * @return ::SMTPC_OK with @p key_len, ::SMTPC_ERR_NOT_FOUND past the last,
 *         ::SMTPC_ERR_NO_SPACE (key longer than @p cap; @p key_len says how
 *         long), ::SMTPC_ERR_CACHE_CORRUPT, ::SMTPC_ERR_FLASH_IO.
 */
int smtpc_kvs_key(smtpc_kvs_t *s, unsigned idx, uint8_t *key, size_t cap, size_t *key_len);

/** @brief Compact now (e.g. in idle time). */
int smtpc_kvs_compact(smtpc_kvs_t *s);

/** Wear and health figures (NULL for a NULL store). */
const smtpc_kvs_stats_t *smtpc_kvs_stats(const smtpc_kvs_t *s);

/** CRC-32 (IEEE 802.3, reflected, as zlib), continued from @p crc (0 to
 *  start). Four bits per step with a 64-byte table: small code and data,
 *  about four times the speed of the bitwise loop. */
uint32_t smtpc_crc32(uint32_t crc, const uint8_t *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_KVS_H */
