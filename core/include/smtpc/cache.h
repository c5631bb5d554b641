/**
 * @file cache.h
 * @brief The MTA-STS policy cache on flash (RFC 8461 §10.2: a policy cached
 *        across reboots is what makes DNS spoofing useless after the first
 *        good fetch), and the trusted time floor.
 *
 * The cache implements ::smtpc_sts_store_ops_t over the key-value store of
 * smtpc/kvs.h, so `platform.sts_store = &smtpc_cache_ops` is all a board
 * does. Per policy domain it keeps two records:
 * - `P<domain>`: the whole entry (id, mode, max_age, mx patterns, fetch time,
 *   back-off state). Written only when the policy or the id changed.
 * - `R<domain>`: a compact "refreshed" record: the fetch time and back-off
 *   state, plus the CRC-32 of the `P` value it belongs to. A refetch that
 *   returns the same policy writes only this (~30 bytes plus the domain).
 *   An `R` whose CRC does not match the current `P` is stale and ignored, so
 *   every update is one atomic record write: after a power cut the entry is
 *   exactly the old one or exactly the new one.
 * At most ::SMTPC_CACHE_ENTRIES domains are kept; a new domain evicts the
 * entry without a policy first, else the one expiring first (the new entry
 * is written before the old one is dropped: a power cut in between leaves
 * one entry too many, trimmed at the next put, never one too few).
 *
 * A put of an entry the cache could not read back (bad mode, max_age or
 * pattern pool) is ::SMTPC_ERR_BAD_ARG and writes nothing. Records that no
 * longer decode are skipped and evicted first; an `R` left without its `P`
 * by a power cut is collected when the index fills up. When the index has no
 * room for a new `R`, the refresh rewrites the `P` record instead. The cache
 * owns the keys starting with `P`, `R` and `T` of its store: give other users
 * of the same store other first letters.
 *
 * Time floor (ARCHITECTURE §4): the latest trusted wall-clock time seen is
 * kept in record `T`. smtpc_floor_clock_ops wraps the board's clock: while
 * it knows the time, the time is never earlier than the floor (a clock that
 * fell back after a reboot cannot make expired policies look fresh or fresh
 * ones expire); when it does not know the time it says so (0), and cached
 * policies keep applying (the driver flags ::SMTPC_RESULT_CLOCK_UNKNOWN).
 * The floor is written at most once per ::SMTPC_TIME_FLOOR_STEP_S of clock
 * progress (bounded wear).
 *
 * Context: one task; not re-entrant.
 */
#ifndef SMTPC_CACHE_H
#define SMTPC_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "smtpc/kvs.h"
#include "smtpc/sts.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The policy cache. Caller-owned; holds a mounted key-value store. */
typedef struct smtpc_cache {
    smtpc_kvs_t *kvs;
    uint64_t floor;                      /**< time floor (Unix s), 0 none */
    uint64_t floor_saved;                /**< the floor as last written */
    int last_err;                        /**< last flash error seen (SMTPC_OK none) */
    smtpc_sts_entry_t tmp;               /**< scratch for eviction scans */
    uint8_t key[1 + SMTPC_DNS_NAME_BUF]; /**< scratch: a record key */
    uint8_t val[SMTPC_KVS_RECORD_MAX];   /**< scratch: a record value */
} smtpc_cache_t;

/**
 * @brief Attach to a mounted store and read the time floor.
 * @return ::SMTPC_OK or ::SMTPC_ERR_BAD_ARG.
 */
int smtpc_cache_init(smtpc_cache_t *c, smtpc_kvs_t *kvs);

/** Store ops over the cache; the context is an ::smtpc_cache_t. */
extern const smtpc_sts_store_ops_t smtpc_cache_ops;

/** Number of cached domains. */
unsigned smtpc_cache_count(smtpc_cache_t *c);

/** Remove a domain's entry (e.g. a support action). ::SMTPC_OK also when absent. */
int smtpc_cache_drop(smtpc_cache_t *c, const char *domain);

/**
 * @brief A trusted wall-clock time was seen (SNTP, a verified peer): raise
 * the floor; persist it when it moved by ::SMTPC_TIME_FLOOR_STEP_S or more.
 */
void smtpc_cache_time_seen(smtpc_cache_t *c, uint64_t utc);

/** The time floor (0: none yet). */
uint64_t smtpc_cache_floor(const smtpc_cache_t *c);

/** A clock that applies the time floor to another clock. */
typedef struct smtpc_floor_clock {
    const smtpc_clock_ops_t *inner; /**< the board's clock */
    void *inner_ctx;
    smtpc_cache_t *cache;
} smtpc_floor_clock_t;

/** Clock ops over an ::smtpc_floor_clock_t: now_ms is the inner one; utc_s
 *  is 0 when the inner clock does not know the time, else the later of the
 *  inner time and the floor (and a known time raises the floor). */
extern const smtpc_clock_ops_t smtpc_floor_clock_ops;

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_CACHE_H */
