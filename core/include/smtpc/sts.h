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

#include "smtpc/err.h"
#include "smtpc/opts.h"

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
    uint8_t mode;        /**< ::smtpc_sts_mode_t */
    uint8_t mx_count;    /**< patterns in @ref mx_pool */
    uint16_t mx_pool_len;
    uint32_t max_age;    /**< seconds, 0..31557600 */
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
    uint8_t candidates; /**< records starting with v=STSv1 */
    uint8_t valid;      /**< of those, valid ones */
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

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_STS_H */
