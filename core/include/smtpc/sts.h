/**
 * @file sts.h
 * @brief MTA-STS (RFC 8461) parsers and MX matching.
 *
 * smtpc_sts_txt_parse() checks one `_mta-sts` TXT record (§3.1);
 * smtpc_sts_sel_add() / smtpc_sts_sel_result() apply the selection rule over
 * all the records of the name (keep those starting with `v=STSv1`, exactly
 * one must remain, and it must be valid).
 * smtpc_sts_policy_parse() checks a policy body (§3.2) and packs the `mx`
 * patterns into a small pool. smtpc_sts_mx_match() is the §4.1 name match.
 *
 * The grammar is read strictly (the RFC's ABNF, errata 6253 and 7282, the
 * "first occurrence wins" rule for every field but `mx`): an invalid policy
 * is a failed fetch, never "no policy", so it cannot replace a cached one.
 * Pure code: no I/O, no allocation; any context.
 */
#ifndef SMTPC_STS_H
#define SMTPC_STS_H

#include <stddef.h>
#include <stdint.h>

#include "smtpc/dns.h"
#include "smtpc/err.h"
#include "smtpc/http.h"
#include "smtpc/opts.h"
#include "smtpc/port.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest policy id (§3.1: 1*32 ALPHA/DIGIT). */
#define SMTPC_STS_ID_MAX 32

/** Policy modes (§5). */
typedef enum {
    SMTPC_STS_MODE_NONE = 0,
    SMTPC_STS_MODE_TESTING = 1,
    SMTPC_STS_MODE_ENFORCE = 2
} smtpc_sts_mode_t;

/** A parsed TXT record. */
typedef struct {
    uint8_t id_len;
    char id[SMTPC_STS_ID_MAX + 1]; /**< NUL-terminated, case-sensitive */
} smtpc_sts_txt_t;

/** A parsed policy. */
typedef struct {
    uint8_t mode;     /**< ::smtpc_sts_mode_t */
    uint8_t mx_count; /**< patterns in @ref mx_pool */
    uint16_t mx_pool_len;
    uint32_t max_age; /**< seconds, 0..31557600 */
    /** Patterns, lower case, each NUL-terminated, back to back. */
    char mx_pool[SMTPC_STS_MX_POOL];
} smtpc_sts_policy_t;

/**
 * @brief Is @p rec a valid STSv1 record (§3.1 ABNF)?
 * @return ::SMTPC_OK with @p out filled, or ::SMTPC_ERR_STS_TXT_INVALID.
 */
int smtpc_sts_txt_parse(const char *rec, size_t len, smtpc_sts_txt_t *out);

/** True when @p rec starts with "v=STSv1" then optional blanks and ';' (a
 *  candidate for the selection rule of §3.1). */
int smtpc_sts_txt_is_candidate(const char *rec, size_t len);

/** Selection state over the TXT records of one `_mta-sts` name. */
typedef struct {
    uint8_t candidates;  /**< records starting with v=STSv1 */
    uint8_t valid;       /**< of those, valid ones */
    smtpc_sts_txt_t txt; /**< the first valid one */
} smtpc_sts_sel_t;

/** Start a selection. */
void smtpc_sts_sel_init(smtpc_sts_sel_t *sel);

/** Offer one TXT record (its strings already joined). */
void smtpc_sts_sel_add(smtpc_sts_sel_t *sel, const char *rec, size_t len);

/**
 * @brief The outcome of §3.1's rule.
 * @return ::SMTPC_OK (exactly one candidate, valid; @p out filled),
 *         ::SMTPC_ERR_DNS_NODATA (no candidate: no STS record published), or
 *         ::SMTPC_ERR_STS_TXT_INVALID (several candidates, or the one is
 *         invalid: "assume no available policy", keep any cached one).
 */
int smtpc_sts_sel_result(const smtpc_sts_sel_t *sel, smtpc_sts_txt_t *out);

/**
 * @brief Parse a policy body (§3.2).
 * @return ::SMTPC_OK, ::SMTPC_ERR_STS_POLICY_INVALID, or ::SMTPC_ERR_NO_SPACE
 *         when the patterns exceed ::SMTPC_STS_MX_POOL or
 *         ::SMTPC_STS_MAX_MX_PATTERNS (the policy is then not applied as
 *         parsed; the driver treats it as a failed fetch).
 */
int smtpc_sts_policy_parse(const char *body, size_t len, smtpc_sts_policy_t *out);

/**
 * @brief §4.1: does MX host @p host (one trailing dot ignored) match
 * @p pattern? Case-insensitive; `*.example.com` matches exactly one
 * non-empty left-most label.
 */
int smtpc_sts_mx_match(const char *pattern, const char *host);

/** Does @p host match any pattern of @p pol? */
int smtpc_sts_mx_allowed(const smtpc_sts_policy_t *pol, const char *host);

/** Mode name ("enforce", "testing", "none"). */
const char *smtpc_sts_mode_name(int mode);

/* ============================================================ decisions === */

/** How the policy of a delivery was obtained. */
typedef enum {
    SMTPC_STS_APPLY_NONE = 0,   /**< no policy in force: deliver as usual */
    SMTPC_STS_APPLY_CACHED = 1, /**< a cached, unexpired policy */
    SMTPC_STS_APPLY_FETCHED = 2 /**< the policy fetched for this delivery */
} smtpc_sts_applied_t;

/**
 * One policy domain as the cache holds it (RFC 8461 §3.3, §5.1): the policy
 * with the id that came with it and its fetch time, plus the fetch back-off
 * state. An entry may hold no policy and only back-off state (a first fetch
 * that failed). Times are Unix seconds; 0 means "unknown".
 */
typedef struct smtpc_sts_entry {
    char domain[SMTPC_DNS_NAME_BUF];    /**< key: normalised A-label, NUL-terminated */
    char id[SMTPC_STS_ID_MAX + 1];      /**< id of the cached policy */
    char fail_id[SMTPC_STS_ID_MAX + 1]; /**< id whose last fetch failed ("" none) */
    uint8_t has_policy;
    uint64_t fetched_at; /**< last successful fetch */
    uint64_t fail_at;    /**< last failed fetch of fail_id */
    smtpc_sts_policy_t policy;
} smtpc_sts_entry_t;

/** Is the policy of @p e in force at @p now: has it not exceeded max_age since
 *  the last fetch (§3.2)? With an unknown clock (@p now == 0) or a clock that
 *  went backwards, a cached policy stays in force. */
int smtpc_sts_entry_fresh(const smtpc_sts_entry_t *e, uint64_t now);

/** Unix second at which the cached policy stops applying. */
uint64_t smtpc_sts_entry_expires(const smtpc_sts_entry_t *e);

/** Flags of smtpc_sts_need_fetch() and smtpc_sts_start(). */
/** Proactive refresh (§10.2): fetch whatever the TXT id says. */
#define SMTPC_STS_F_REFRESH 0x01u

/**
 * @brief Step 1 of the decision (§3.3, §5.1): fetch the policy or not?
 * @param e       the cache entry of the domain (has_policy 0 when none)
 * @param now     Unix seconds, 0 when the wall clock is unknown
 * @param txt_rc  outcome of the TXT discovery: ::SMTPC_OK (then @p txt),
 *                ::SMTPC_ERR_DNS_NODATA / _NXDOMAIN (no record),
 *                ::SMTPC_ERR_STS_TXT_INVALID, or a DNS error
 * @return 1 to fetch. Fetch when a valid record names an id other than the
 *         cached one, or the cached policy expired, or nothing is cached -
 *         unless a fetch of that same id failed less than
 *         ::SMTPC_STS_RETRY_S seconds ago. Never fetch without a valid
 *         record, except a refresh of a cached policy.
 */
int smtpc_sts_need_fetch(const smtpc_sts_entry_t *e, uint64_t now, int txt_rc,
                         const smtpc_sts_txt_t *txt, unsigned flags);

/**
 * @brief Step 2: fold the outcome of a fetch (if one was made) into @p e and
 * say which policy applies.
 * - Fetch succeeded: the entry takes the new policy, the TXT id (or keeps its
 *   id on a refresh without a record) and @p now as fetch time; it applies.
 *   A `none` policy replaces an `enforce` one (§8.3, the clean opt-out).
 * - Fetch failed: the back-off state records the id and time; a still-fresh
 *   cached policy applies (it is never dropped because of a failed fetch, a
 *   vanished record or a DNS error).
 * - No fetch: a fresh cached policy applies, else none.
 * With an unknown clock (@p now == 0) a fetched policy applies to this
 * delivery but the entry is not changed (no fetch time to store).
 * @param changed set to 1 when @p e must be written back to the store
 * @return ::smtpc_sts_applied_t
 */
int smtpc_sts_settle(smtpc_sts_entry_t *e, uint64_t now, int txt_rc, const smtpc_sts_txt_t *txt,
                     int fetched, int fetch_rc, const smtpc_sts_policy_t *pol, int *changed);

/* ============================================================= the store === */

/**
 * Where policies are kept between deliveries. ::smtpc_sts_ram_ops keeps
 * them in RAM; the flash cache persists them. All calls are short and
 * non-blocking (a flash store may program a few pages).
 */
typedef struct smtpc_sts_store_ops {
    /** Copy the entry of @p domain into @p out: ::SMTPC_OK or
     *  ::SMTPC_ERR_NOT_FOUND. */
    int (*get)(void *ctx, const char *domain, smtpc_sts_entry_t *out);
    /** Insert or replace the entry of @p e->domain (evicting another entry
     *  when full). ::SMTPC_OK or an error; a failed put leaves the previous
     *  state. */
    int (*put)(void *ctx, const smtpc_sts_entry_t *e);
    /** The @p idx-th entry (0, 1, ...): ::SMTPC_OK or ::SMTPC_ERR_NOT_FOUND
     *  past the last. */
    int (*iter)(void *ctx, unsigned idx, smtpc_sts_entry_t *out);
} smtpc_sts_store_ops_t;

/** A RAM store of ::SMTPC_STS_RAM_ENTRIES entries. When full, an entry that
 *  holds no policy is evicted first, then the one expiring first. */
typedef struct smtpc_sts_ram {
    uint8_t used[SMTPC_STS_RAM_ENTRIES];
    smtpc_sts_entry_t e[SMTPC_STS_RAM_ENTRIES];
} smtpc_sts_ram_t;

/** Ops of the RAM store; the context is an ::smtpc_sts_ram_t. */
extern const smtpc_sts_store_ops_t smtpc_sts_ram_ops;

/** Empty a RAM store. */
void smtpc_sts_ram_init(smtpc_sts_ram_t *ram);

/**
 * @brief Proactive refresh (§10.2): find the cached policy most worth
 * refreshing at @p now: an entry holding a policy (of any mode: a `none`
 * policy is kept current too, it is how a domain opts back in) that expires
 * within ::SMTPC_STS_REFRESH_AHEAD_S (or within half its max_age when that
 * is shorter), or has expired, and is not in fetch back-off; the one
 * expiring first. Run smtpc_sts_start() with ::SMTPC_STS_F_REFRESH on its
 * domain in idle time.
 * @param out receives that entry (also used as scratch while scanning)
 * @return ::SMTPC_OK with @p out, or ::SMTPC_ERR_NOT_FOUND (nothing due, or
 *         the wall clock is unknown).
 */
int smtpc_sts_refresh_due(const smtpc_sts_store_ops_t *ops, void *ctx, uint64_t now,
                          smtpc_sts_entry_t *out);

/* ============================================================ the engine === */

/** What the discovery/fetch engine needs from the platform. */
typedef struct smtpc_sts_io {
    const smtpc_dns_io_t *dns;  /**< required: the TXT lookup */
    const smtpc_net_ops_t *net; /**< required: the HTTPS connection */
    void *net_ctx;
    const smtpc_tls_ops_t *tls; /**< required */
    void *tls_ctx;
    const smtpc_sts_store_ops_t *store; /**< optional policy store */
    void *store_ctx;
    smtpc_trace_fn trace; /**< optional notes ("policy fetched") */
    void *trace_arg;
    uint16_t https_port;       /**< 0: 443 */
    uint32_t fetch_timeout_ms; /**< 0: ::SMTPC_STS_FETCH_TIMEOUT_MS */
} smtpc_sts_io_t;

/** Buffers the engine borrows; they may be shared with other engines that do
 *  not run at the same time (the client lends its SMTP buffers). */
typedef struct smtpc_sts_bufs {
    smtpc_dns_t *dns; /**< the TXT query */
    uint8_t *body;    /**< the policy body; may alias @p dns (used only after
                           the query ended) */
    size_t body_cap;  /**< at least 64; the cap is min(body_cap, SMTPC_STS_POLICY_MAX) */
    uint8_t *io;      /**< the request, then received bytes */
    size_t io_cap;    /**< at least 160 */
} smtpc_sts_bufs_t;

/** Discovery + fetch + decision for one policy domain. Caller-owned. */
typedef struct smtpc_sts {
    const smtpc_sts_io_t *io;
    smtpc_sts_bufs_t b;
    union {
        smtpc_http_parser_t http; /**< while the response arrives */
        smtpc_sts_policy_t pol;   /**< then the policy parsed from it */
    } u;
    smtpc_stream_t tcp;
    smtpc_stream_t tls;
    smtpc_sts_sel_t sel;
    smtpc_sts_txt_t txt;
    smtpc_sts_entry_t entry;       /**< cache state; after the decision, the
                                        policy that applies (when applied != NONE) */
    char host[SMTPC_DNS_NAME_BUF]; /**< "mta-sts.<domain>" */
    uint32_t t_fetch;
    uint32_t body_len;
    uint16_t req_len;
    uint16_t req_off;
    unsigned io_wants;
    unsigned flags;
    int txt_rc;   /**< TXT discovery outcome */
    int fetch_rc; /**< fetch outcome (valid when fetched) */
    int store_rc; /**< SMTPC_OK, or why the store refused the entry */
    uint8_t state;
    uint8_t fetched; /**< a fetch was attempted */
    uint8_t applied; /**< ::smtpc_sts_applied_t */
    uint8_t clock_unknown;
    uint8_t tcp_open;
    uint8_t tls_open;
} smtpc_sts_t;

/**
 * @brief Start discovering the policy of @p domain (normalised A-label, no
 * trailing dot): look it up in the store, query `_mta-sts.<domain>` TXT,
 * fetch `https://mta-sts.<domain>/.well-known/mta-sts.txt` when
 * smtpc_sts_need_fetch() says so (TLS verified for `mta-sts.<domain>`, SNI
 * the same), decide with smtpc_sts_settle() and write the store back when
 * the entry changed.
 * @return ::SMTPC_IN_PROGRESS, or ::SMTPC_ERR_BAD_ARG.
 */
int smtpc_sts_start(smtpc_sts_t *s, const smtpc_sts_io_t *io, const smtpc_sts_bufs_t *bufs,
                    const char *domain, unsigned flags);

/**
 * @brief Make progress without blocking.
 * @return ::SMTPC_IN_PROGRESS, or ::SMTPC_OK once decided: read `applied`,
 *         `entry.policy`, `entry.id`, `txt_rc`, `fetched` and `fetch_rc`. A
 *         failed lookup or fetch is a decision too (the fetch error is kept
 *         in `fetch_rc`), never an error of step().
 */
int smtpc_sts_step(smtpc_sts_t *s);

/** SMTPC_WANT_* bits and the deadline by which step() must run again. */
unsigned smtpc_sts_wants(const smtpc_sts_t *s, uint32_t *deadline_ms);

/** Stop: release the DNS query, TLS and the connection. Safe twice. */
void smtpc_sts_stop(smtpc_sts_t *s);

/** The policy in force after the decision, or NULL when none applies (no
 *  policy, or a `none` policy). */
const smtpc_sts_policy_t *smtpc_sts_policy(const smtpc_sts_t *s);

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_STS_H */
