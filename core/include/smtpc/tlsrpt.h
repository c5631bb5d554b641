/**
 * @file tlsrpt.h
 * @brief SMTP TLS Reporting (RFC 8460): the `_smtp._tls` TXT record, the
 * compact failure log on flash, the report as data, its JSON rendering
 * (cJSON), gzip framing, the report mail and the daily schedule.
 *
 * Pieces, each usable alone:
 *  - TXT: smtpc_tlsrpt_txt_parse() and the §3 selection over all TXT records
 *    of `_smtp._tls.<domain>` (smtpc_tlsrpt_sel_*), plus helpers that split
 *    a `mailto:` or `https:` rua into what a sender needs.
 *  - Classification: smtpc_tlsrpt_classify() turns one ::smtpc_tls_event_t
 *    of the driver into "count as success", "count as failure of result type
 *    R with reason code C", or "do not count" (transient network trouble).
 *  - Log: ::smtpc_tlsrpt_log_t keeps, per (UTC day, policy domain), one
 *    aggregate record in a ::smtpc_kvs_t of its own (its own flash sectors):
 *    the policies that applied (by hash of a stored policy snapshot), their
 *    success and failure counts, and a fixed-size failure-group record per
 *    distinct (policy, result type, MX, receiving IP, reason code) with its
 *    count; MX names live in the day's string table. Failures are written
 *    through at once; successes are counted in RAM and written in batches
 *    (::SMTPC_TLSRPT_SUCCESS_BATCH, a day change, or smtpc_tlsrpt_log_flush()).
 *    Only domains whose TXT lookup found a TLSRPT record are logged
 *    (::smtpc_tls_event_t::rpt). Nothing is dropped silently: a full table
 *    degrades the failure group (MX/IP/reason left out, result type kept, so
 *    the sums stay exact) and counts it in the report's @c overflow; a
 *    domain or day that cannot get a record is counted in the log stats.
 *  - Report: smtpc_tlsrpt_log_load() decodes one (day, domain) into
 *    ::smtpc_tlsrpt_report_t, which is all the renderer needs.
 *  - Render (needs cJSON, ::SMTPC_ENABLE_TLSRPT_JSON): smtpc_tlsrpt_render()
 *    builds the RFC 8460 JSON on a caller-supplied static arena.
 *  - gzip: smtpc_gzip_stored() wraps bytes into a valid gzip member of
 *    stored deflate blocks (RFC 1951 §3.2.4, RFC 1952).
 *  - Mail: smtpc_tlsrpt_mail_build() composes the RFC 8460 §5.3 message
 *    (multipart/report; report-type="tlsrpt", application/tlsrpt+gzip).
 *  - Schedule: smtpc_tlsrpt_log_due() picks the next report to send; a
 *    report leaves flash only through smtpc_tlsrpt_log_remove(), which the
 *    caller calls after one rua accepted it.
 */
#ifndef SMTPC_TLSRPT_H
#define SMTPC_TLSRPT_H

#include <stddef.h>
#include <stdint.h>

#include "smtpc/opts.h"
#include "smtpc/err.h"
#include "smtpc/types.h"
#include "smtpc/port.h"
#include "smtpc/dns.h"
#include "smtpc/sts.h"
#include "smtpc/kvs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ================================================================= TXT === */

/** Kinds of rua URI. */
typedef enum {
    SMTPC_RUA_MAILTO = 1, /**< mailto: (RFC 6068) */
    SMTPC_RUA_HTTPS = 2   /**< https: */
} smtpc_rua_kind_t;

/** One rua URI as published (percent-encoding kept), NUL-terminated. */
typedef struct {
    uint8_t kind; /**< ::smtpc_rua_kind_t */
    char uri[SMTPC_TLSRPT_URI_MAX + 1];
} smtpc_rua_t;

/** A parsed `v=TLSRPTv1` record. */
typedef struct {
    uint8_t rua_count;   /**< usable entries in @ref rua */
    uint8_t rua_skipped; /**< syntactically valid URIs not kept: unsupported
                              scheme, longer than ::SMTPC_TLSRPT_URI_MAX, or
                              beyond ::SMTPC_TLSRPT_RUA_MAX */
    smtpc_rua_t rua[SMTPC_TLSRPT_RUA_MAX];
} smtpc_tlsrpt_txt_t;

/**
 * @brief Parse one TLSRPT record (its character-strings already joined
 * without spaces), RFC 8460 §3 ABNF.
 *
 * Decisions on the RFC's ambiguities (see README "TLS-RPT"): white space
 * before the first ';' is accepted (the ABNF allows it); a second `rua=`
 * field is accepted and its URIs appended; an unencoded '!' in a URI is
 * accepted (RFC 3986 allows it); an extension is ext-name "=" ext-value and
 * is ignored; a field without '=' makes the record invalid; at least one
 * rua field is required.
 *
 * @p out may be NULL: the record is then only validated (the driver does
 * this, without the stack cost of a ::smtpc_tlsrpt_txt_t).
 *
 * @return ::SMTPC_OK with @p out filled (rua_count may be 0 when no URI has a
 *         supported scheme), or ::SMTPC_ERR_TLSRPT_TXT_INVALID (@p out is
 *         then cleared).
 */
int smtpc_tlsrpt_txt_parse(const char *rec, size_t len, smtpc_tlsrpt_txt_t *out);

/** True when @p rec begins with "v=TLSRPTv1" followed by optional blanks and
 *  ';' (a candidate for the §3 selection rule). */
int smtpc_tlsrpt_txt_is_candidate(const char *rec, size_t len);

/** Selection state over the TXT records of one `_smtp._tls` name. */
typedef struct {
    uint8_t candidates;     /**< records that begin with v=TLSRPTv1 */
    uint8_t valid;          /**< of those, valid ones */
    smtpc_tlsrpt_txt_t txt; /**< the first valid one */
} smtpc_tlsrpt_sel_t;

void smtpc_tlsrpt_sel_init(smtpc_tlsrpt_sel_t *sel);
void smtpc_tlsrpt_sel_add(smtpc_tlsrpt_sel_t *sel, const char *rec, size_t len);

/**
 * @brief §3: "if the number of records that begin with v=TLSRPTv1 is not
 * exactly one, assume the domain does not implement TLSRPT".
 * @return ::SMTPC_OK (@p out filled), ::SMTPC_ERR_DNS_NODATA (no candidate),
 *         ::SMTPC_ERR_TLSRPT_TXT_INVALID (several candidates, or the only one
 *         is invalid).
 */
int smtpc_tlsrpt_sel_result(const smtpc_tlsrpt_sel_t *sel, smtpc_tlsrpt_txt_t *out);

/**
 * @brief The single addr-spec of a `mailto:` rua: percent-decoded, any
 * `?hfields` dropped. Fails on several addresses, an empty local part or
 * domain, bytes outside printable ASCII after decoding (blanks, controls,
 * 8-bit; '<' and '>' too), bad percent-encoding, or a result longer than
 * @p cap - 1. An encoded comma (%2C) stays inside the one address. On
 * failure @p out is the empty string.
 * @return ::SMTPC_OK or ::SMTPC_ERR_BAD_ADDRESS / ::SMTPC_ERR_NO_SPACE
 *         (::SMTPC_ERR_BAD_ARG for NULL or @p cap 0).
 */
int smtpc_tlsrpt_mailto_addr(const char *uri, char *out, size_t cap);

/**
 * @brief Split an `https:` rua into host (lower case, no brackets), port
 * (443 when absent) and request target (path and query, "/" when empty).
 * Fails on userinfo, an empty host, a bad port, a fragment, or a part that
 * does not fit. The host must be a name of letters, digits, '-' and '.', an
 * IPv4 address or a bracketed IPv6 literal (no zone, no percent-encoding);
 * the target must be visible ASCII. An empty port (`h:`) means 443.
 * @return ::SMTPC_OK or ::SMTPC_ERR_BAD_ARG / ::SMTPC_ERR_NO_SPACE.
 */
int smtpc_tlsrpt_https_split(const char *uri, char *host, size_t host_cap, uint16_t *port,
                             char *target, size_t target_cap);

/* ====================================================== classification === */

/** RFC 8460 §4.3 result types this client can produce (values are stored
 *  in flash: never renumber). 0 is "success". */
typedef enum {
    SMTPC_RPT_SUCCESS = 0,
    SMTPC_RPT_STARTTLS_NOT_SUPPORTED = 1,
    SMTPC_RPT_CERT_HOST_MISMATCH = 2,
    SMTPC_RPT_CERT_EXPIRED = 3,
    SMTPC_RPT_CERT_NOT_TRUSTED = 4,
    SMTPC_RPT_VALIDATION_FAILURE = 5,
    SMTPC_RPT_STS_POLICY_FETCH_ERROR = 6,
    SMTPC_RPT_STS_POLICY_INVALID = 7,
    SMTPC_RPT_STS_WEBPKI_INVALID = 8,
    SMTPC_RPT_RESULT_COUNT_ = 9
} smtpc_rpt_result_t;

/** Namespaces of the failure reason value (stored in flash: never renumber). */
typedef enum {
    SMTPC_RPT_REASON_NONE = 0,
    SMTPC_RPT_REASON_SMTPC = 1, /**< an smtpc error code (value: -err) */
    SMTPC_RPT_REASON_STRIP = 2  /**< STARTTLS strip signature seen (value 0) */
} smtpc_rpt_reason_ns_t;

/** What one event means for the report. */
typedef struct {
    uint8_t count;     /**< 1: counts as a session; 0: not counted */
    uint8_t result;    /**< ::smtpc_rpt_result_t (when counted) */
    uint8_t reason_ns; /**< ::smtpc_rpt_reason_ns_t */
    uint32_t reason;   /**< value within the namespace */
} smtpc_rpt_class_t;

/**
 * @brief Classify a driver event (pure function).
 *
 * Rules (README "TLS-RPT" restates them):
 *  - Events of a domain without a TLSRPT record (ev->rpt != 1): not counted.
 *  - Policy events: a fetch that failed while no policy applied counts once
 *    as sts-policy-fetch-error (network, HTTP status, redirect, type, size),
 *    sts-policy-invalid (the body did not parse) or sts-webpki-invalid (the
 *    policy host's certificate failed); the MX sessions of that delivery are
 *    then not counted (one failure per delivery attempt affected). Every
 *    other policy event is not counted.
 *  - Session events: TLS established and, under an STS policy, the MX listed
 *    and the certificate valid → success. STARTTLS not offered or refused →
 *    starttls-not-supported (reason namespace STRIP when the strip signature
 *    was seen). Certificate verdicts map to host-mismatch / expired /
 *    not-trusted / validation-failure; an MX not listed by the policy →
 *    validation-failure with its reason. Connection, DNS and timeout errors
 *    before any TLS outcome are transient: not counted.
 *
 * Precise decisions:
 *  - The session's error is looked at first: ERR_TLS_CERT_HOSTNAME →
 *    host-mismatch; ERR_TLS_CERT_EXPIRED and ERR_TLS_CERT_NOT_YET_VALID →
 *    certificate-expired (a validity-period failure; the reason code tells
 *    them apart); ERR_TLS_CERT_UNTRUSTED → not-trusted; ERR_TLS_CERT_OTHER,
 *    ERR_TLS_HANDSHAKE, ERR_TLS_VERSION, ERR_TLS_CIPHER and
 *    ERR_STARTTLS_INJECTION → validation-failure; ERR_STARTTLS_REQUIRED and
 *    ERR_STARTTLS_REFUSED → starttls-not-supported; ERR_STS_MX_NOT_ALLOWED
 *    → validation-failure. The reason is the error (namespace SMTPC).
 *  - Otherwise, without TLS: a delivery in plaintext (err OK) is
 *    starttls-not-supported; any other error (network, DNS, timeouts,
 *    ERR_TLS_IO, local resource and configuration errors) is not counted.
 *  - With TLS up, errors after the handshake (rejections, timeouts) do not
 *    matter. Under a policy in mode testing or enforce, a certificate
 *    verdict other than OK (NOT_CHECKED is accepted only with
 *    tls_reached VERIFIED) gives the verdict's type, reason the matching
 *    ERR_TLS_CERT_* code; then an unlisted MX gives validation-failure.
 *    Without a policy (or with mode none), TLS up is a success whatever the
 *    verdict (opportunistic TLS validates nothing).
 *  - Policy events: IN_PROGRESS/OK, a policy still applied (cached), and
 *    local errors (ERR_*_NO_MEMORY, ERR_TLS_CONFIG, ERR_BAD_ARG,
 *    ERR_INTERNAL, ERR_STATE, ERR_ABORTED) are not counted;
 *    ERR_STS_POLICY_INVALID and ERR_NO_SPACE → sts-policy-invalid;
 *    ERR_TLS_CERT_* → sts-webpki-invalid; any other error →
 *    sts-policy-fetch-error.
 *  - Every counted failure has a reason (namespace SMTPC or STRIP).
 */
smtpc_rpt_class_t smtpc_tlsrpt_classify(const smtpc_tls_event_t *ev);

/** RFC 8460 name of a result type ("certificate-expired"), "success" for 0. */
const char *smtpc_tlsrpt_result_name(int result);

/**
 * @brief The short `failure-reason-code` text of a reason, written into @p out
 * (NUL-terminated): "starttls-stripped" for the strip signature, the smtpc
 * error name otherwise ("SMTPC_ERR_TLS_CERT_UNTRUSTED"). Empty for none.
 * @return length written (without the NUL).
 */
size_t smtpc_tlsrpt_reason_text(uint8_t ns, uint32_t value, char *out, size_t cap);

/* ================================================================= report === */

/** Policy types of a report entry (stored in flash: never renumber). */
typedef enum {
    SMTPC_RPT_POLICY_NONE_FOUND = 0, /**< "no-policy-found" */
    SMTPC_RPT_POLICY_STS = 1,        /**< "sts" with the policy in @c policy */
    SMTPC_RPT_POLICY_STS_UNKNOWN = 2 /**< "sts" without a usable policy (fetch
                                          or validation failed): no policy-string */
} smtpc_rpt_policy_type_t;

/** One policy entry of a report. */
typedef struct {
    uint8_t type;              /**< ::smtpc_rpt_policy_type_t */
    uint32_t success;          /**< total-successful-session-count */
    uint32_t failure;          /**< total-failure-session-count (= sum of its details) */
    smtpc_sts_policy_t policy; /**< mode, max_age, mx patterns (type STS) */
} smtpc_rpt_policy_t;

/** Receiving IP of a failure group. */
typedef struct {
    uint8_t len; /**< 0 (unknown), 4 or 16 */
    uint8_t addr[16];
} smtpc_rpt_ip_t;

/** One failure-details entry. */
typedef struct {
    uint8_t policy;    /**< index into smtpc_tlsrpt_report_t::policies */
    uint8_t result;    /**< ::smtpc_rpt_result_t (never SUCCESS) */
    uint8_t reason_ns; /**< ::smtpc_rpt_reason_ns_t */
    uint32_t reason;
    uint16_t mx; /**< offset of the MX name in @c mx_pool, 0xFFFF none */
    smtpc_rpt_ip_t ip;
    uint32_t count; /**< failed-session-count */
} smtpc_rpt_detail_t;

/** Failure groups a report can hold: ::SMTPC_TLSRPT_DETAILS detailed ones,
 *  plus one degraded group (no MX, IP or reason) per policy and result type,
 *  which the log keeps room for so that no failure is ever lost to a full
 *  table. */
#define SMTPC_TLSRPT_GROUPS                                                                        \
    (SMTPC_TLSRPT_DETAILS + SMTPC_TLSRPT_POLICIES * (SMTPC_RPT_RESULT_COUNT_ - 1))

/** Everything one (UTC day, policy domain) report holds. */
typedef struct {
    uint32_t day;                    /**< days since 1970-01-01 (UTC) */
    char domain[SMTPC_DNS_NAME_BUF]; /**< policy domain, A-labels, lower case */
    uint8_t policy_count;
    smtpc_rpt_policy_t policies[SMTPC_TLSRPT_POLICIES];
    uint8_t detail_count; /**< detailed groups first, then the
                               degraded ones (reason_ns NONE,
                               mx 0xFFFF, ip.len 0) */
    smtpc_rpt_detail_t details[SMTPC_TLSRPT_GROUPS];
    uint32_t overflow; /**< failures counted in degraded groups
                            for lack of room (= the sum of
                            their counts) */
    uint16_t mx_pool_len;
    char mx_pool[SMTPC_TLSRPT_MX_POOL]; /**< MX names, NUL-terminated, back to back */
} smtpc_tlsrpt_report_t;

/* ==================================================================== log === */

/** Log counters (RAM; since mount). */
typedef struct {
    uint32_t recorded;     /**< events counted into a report */
    uint32_t ignored;      /**< events not counted (no TLSRPT record, transient) */
    uint32_t dropped;      /**< sessions that could not be recorded at all
                              (no room for a new domain or day, flash error):
                              never silent, also given by the last error */
    uint32_t degraded;     /**< failures counted in a degraded group (no room
                              for their detailed group or MX name) */
    uint32_t flash_writes; /**< store puts and deletes */
    uint32_t expired;      /**< undelivered reports older than
                              ::SMTPC_TLSRPT_KEEP_DAYS deleted to make room */
    uint32_t corrupt;      /**< aggregate records that did not decode and
                              were replaced by record() */
    int last_err;          /**< last error of a record or flush (SMTPC_OK) */
} smtpc_tlsrpt_stats_t;

/** Batched success counts, per (day, domain, policy hash). */
typedef struct {
    uint32_t day;
    uint32_t policy_hash;
    uint16_t count;
    uint8_t type;
    char domain[SMTPC_DNS_NAME_BUF];
} smtpc_tlsrpt_pending_t;

/**
 * The compact log. One per device; not shared between tasks without a lock.
 *
 * On flash (the log owns every key of its store; values start with a format
 * byte, little-endian):
 *  - `'Q' u16 day | domain` → the aggregate of one report: policy entries
 *    (type, snapshot hash, success, failure), detailed failure groups
 *    (29 bytes: policy, result, reason namespace and value, MX index,
 *    receiving IP) and degraded groups (6 bytes: policy, result, count),
 *    and the overflow. Detailed groups are limited by
 *    ::SMTPC_TLSRPT_DETAILS and the record size; room is always kept for
 *    one degraded group per (policy, result type), so a failure is never
 *    lost to a full table. A policy's groups sum to its failure count and
 *    the degraded ones to the overflow; a record is checked on every read.
 *    The day is a u16 (until 2149); the domain (lower case, no trailing
 *    dot) is at most 252 characters (the key limit; a domain with a
 *    `_smtp._tls` record has at most 242).
 *  - `'S' u16 day` → the day's MX names (NUL-terminated; an index is the
 *    position, at most 255 names, ::SMTPC_TLSRPT_MX_POOL bytes). Written
 *    before the aggregate that refers to it; a name that finds no room
 *    sends the failure to its degraded group.
 *  - `'Y' u32 hash` → a policy snapshot (mode, max_age, patterns); the hash
 *    is the CRC-32 of the snapshot, probed upwards when another policy holds
 *    it. Written before any aggregate refers to it.
 * Every update is one kvs put (atomic); a power cut can only leave an
 * unreferenced table or snapshot, collected by the next remove() or when
 * room is needed. A new record that does not fit first reclaims reports
 * older than ::SMTPC_TLSRPT_KEEP_DAYS (stats.expired), then drops the
 * session (stats.dropped, ::SMTPC_ERR_TLSRPT_OVERFLOW). A third policy in
 * one report (::SMTPC_TLSRPT_POLICIES) is dropped and counted the same way.
 */
typedef struct smtpc_tlsrpt_log {
    smtpc_kvs_t kvs;                /**< its own sectors (not the policy cache's) */
    const smtpc_clock_ops_t *clock; /**< wall clock for the UTC day */
    void *clock_ctx;
    uint8_t mounted;
    uint8_t pending_count;
    smtpc_tlsrpt_pending_t pending[SMTPC_TLSRPT_DOMAINS];
    smtpc_tlsrpt_stats_t stats;
    uint8_t buf[SMTPC_KVS_RECORD_MAX];  /**< scratch for one aggregate record */
    uint8_t key[SMTPC_KVS_KEY_MAX + 1]; /**< scratch for one record key */
} smtpc_tlsrpt_log_t;

/**
 * @brief Mount the log on its own flash region (a ::smtpc_flash_ops_t distinct
 * from the policy cache's) and remember the clock used to date events.
 * An unformatted region is formatted.
 * @return ::SMTPC_OK, ::SMTPC_ERR_FLASH_IO, ::SMTPC_ERR_BAD_ARG.
 */
int smtpc_tlsrpt_log_mount(smtpc_tlsrpt_log_t *log, const smtpc_flash_ops_t *flash, void *flash_ctx,
                           const smtpc_clock_ops_t *clock, void *clock_ctx);

/**
 * @brief Count one driver event (see smtpc_tlsrpt_classify()) at wall time
 * @p utc_s (events while the wall clock is unknown, 0, are dropped and
 * counted: a report needs its day). Failures are written before returning;
 * successes are batched.
 * An aggregate that does not decode is replaced (stats.corrupt).
 * @return ::SMTPC_OK (recorded or deliberately not counted),
 *         ::SMTPC_ERR_TLSRPT_OVERFLOW (no room, or no day: counted in
 *         stats.dropped), ::SMTPC_ERR_BAD_ARG (a domain or policy that
 *         cannot be stored: counted too), ::SMTPC_ERR_FLASH_IO (counted),
 *         ::SMTPC_ERR_STATE (not mounted).
 */
int smtpc_tlsrpt_log_record(smtpc_tlsrpt_log_t *log, const smtpc_tls_event_t *ev, uint64_t utc_s);

/** A ::smtpc_report_fn for smtpc_platform_t::report: @p arg is the log; the
 *  time comes from the log's clock. */
void smtpc_tlsrpt_hook(void *arg, const smtpc_tls_event_t *ev);

/** Write the batched success counts (call before a planned reboot). */
int smtpc_tlsrpt_log_flush(smtpc_tlsrpt_log_t *log);

/**
 * @brief The @p idx-th report held (any order, stable while the log is not
 * written), as its day and domain. Batched successes are flushed first.
 * @return ::SMTPC_OK, or ::SMTPC_ERR_NOT_FOUND past the last one.
 */
int smtpc_tlsrpt_log_list(smtpc_tlsrpt_log_t *log, unsigned idx, uint32_t *day, char *domain,
                          size_t cap);

/**
 * @brief Decode the report of (@p day, @p domain), flushing batched
 * successes first. @return ::SMTPC_OK, ::SMTPC_ERR_NOT_FOUND,
 * ::SMTPC_ERR_CACHE_CORRUPT (a record that does not decode), ::SMTPC_ERR_FLASH_IO.
 */
int smtpc_tlsrpt_log_load(smtpc_tlsrpt_log_t *log, uint32_t day, const char *domain,
                          smtpc_tlsrpt_report_t *out);

/** Remove the report of (@p day, @p domain) after a successful delivery, and
 *  any policy snapshot and string table no report uses any more (batched
 *  successes are flushed first). @return ::SMTPC_OK, ::SMTPC_ERR_NOT_FOUND
 *  (nothing to remove; the collection still runs), ::SMTPC_ERR_FLASH_IO. */
int smtpc_tlsrpt_log_remove(smtpc_tlsrpt_log_t *log, uint32_t day, const char *domain);

/**
 * @brief Daily schedule: the next report due at @p now_utc, i.e. of a day
 * that has ended at least @p delay_s seconds ago (RFC 8460 §4.1 suggests a
 * random delay of up to a few hours after midnight UTC).
 * @return ::SMTPC_OK (@p day, @p domain filled) or ::SMTPC_ERR_NOT_FOUND.
 */
int smtpc_tlsrpt_log_due(smtpc_tlsrpt_log_t *log, uint64_t now_utc, uint32_t delay_s, uint32_t *day,
                         char *domain, size_t cap);

/** Counters since mount. */
const smtpc_tlsrpt_stats_t *smtpc_tlsrpt_log_stats(const smtpc_tlsrpt_log_t *log);

/* ================================================================ render === */

/** What a report needs besides the log (all from configuration). */
typedef struct {
    const char *org;        /**< organization-name */
    const char *contact;    /**< contact-info: an addr-spec; its domain is the
                                 TLS-Report-Submitter */
    const char *report_id;  /**< NULL: "<YYYY-MM-DD>_<domain>_<unique>" built
                                 from @ref unique */
    const char *unique;     /**< device id or sequence (ALPHA/DIGIT), may be NULL */
    const char *sending_ip; /**< sending-mta-ip to write, NULL to omit (privacy,
                                 RFC 8460 §8: behind NAT it is a LAN address) */
} smtpc_tlsrpt_meta_t;

/**
 * @brief Render @p r as RFC 8460 JSON into @p out (NUL-terminated).
 *
 * Builds the cJSON tree with nodes from @p arena (a bump allocator; nothing
 * is freed piecemeal) and prints it with cJSON_PrintPreallocated. cJSON's
 * hooks are process-wide: they are installed for the duration of the call
 * and the defaults restored before returning (unless
 * ::SMTPC_TLSRPT_CJSON_HOOKS is 0). Not re-entrant with other cJSON users
 * in the same instant.
 *
 * The report must be consistent: every detail names an existing policy,
 * has a failure result type and a count, and each policy's failure total
 * equals the sum of its details (RFC 8460 faithfulness; anything else is
 * ::SMTPC_ERR_BAD_ARG). Details without MX, IP or reason leave the key out;
 * no empty string is ever written. @p *len excludes the NUL.
 *
 * @return ::SMTPC_OK, ::SMTPC_ERR_NO_SPACE (arena or @p out too small),
 *         ::SMTPC_ERR_BAD_ARG (missing meta, empty or inconsistent report).
 */
int smtpc_tlsrpt_render(const smtpc_tlsrpt_report_t *r, const smtpc_tlsrpt_meta_t *meta,
                        uint8_t *arena, size_t arena_len, char *out, size_t cap, size_t *len);

/** RFC 3339 UTC date-time of second @p t ("2026-11-22T00:00:00Z"), into
 *  @p out (at least 21 bytes). Returns 20. */
size_t smtpc_tlsrpt_rfc3339(uint64_t t, char *out);

/* ================================================================== gzip === */

/** Bytes a stored gzip member of @p n input bytes takes: n + 18 + 5 per
 *  started 65535 bytes (one empty block for n = 0); SIZE_MAX on overflow. */
size_t smtpc_gzip_stored_bound(size_t n);

/**
 * @brief Wrap @p in into one gzip member (RFC 1952) made of stored deflate
 * blocks (RFC 1951 §3.2.4), CRC-32 and ISIZE trailer. Header: no name,
 * MTIME 0, XFL 0, OS 255. @p in and @p out must not overlap.
 * @return ::SMTPC_OK, ::SMTPC_ERR_NO_SPACE (@p cap below the bound), or
 *         ::SMTPC_ERR_BAD_ARG (NULL pointers).
 */
int smtpc_gzip_stored(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *out_len);

/* ================================================================== mail === */

/** Inputs of the report mail. */
typedef struct {
    const char *from;          /**< RFC 5322 From address (addr-spec) */
    const char *to;            /**< the rua's addr-spec */
    const char *policy_domain; /**< TLS-Report-Domain */
    const char *submitter;     /**< TLS-Report-Submitter: contact-info's domain */
    const char *report_id;     /**< msg-id left part for the Subject's Report-ID */
    const char *date;          /**< RFC 5322 Date header value */
    const char *message_id;    /**< Message-ID header value, with the <> */
    uint64_t range_start;      /**< epoch seconds of the range (file name) */
    uint64_t range_end;
    const char *unique; /**< file-name unique-id (ALPHA/DIGIT), may be NULL */
    const uint8_t *gz;  /**< the gzip report */
    size_t gz_len;
} smtpc_tlsrpt_mail_t;

/**
 * @brief Compose the report message (CRLF line ends, lines ≤ 78 chars):
 * `multipart/report; report-type="tlsrpt"`, a text/plain part and the
 * `application/tlsrpt+gzip` part (base64) named
 * `<submitter>!<domain>!<start>!<end>[!<unique>].json.gz`; headers
 * TLS-Report-Domain, TLS-Report-Submitter, the §5.3 Subject, and
 * `TLS-Required: No` (RFC 8689) and `Auto-Submitted: auto-generated`.
 * A DKIM-Signature is prepended by the signer (port/mbedtls).
 *
 * Header values fold at blanks and a long file name uses RFC 2231
 * continuations; only a single token longer than a line (a very long report
 * id) exceeds 78. The MIME boundary is derived from the report identity, so
 * equal input gives equal bytes. @c message_id may be NULL (no Message-ID);
 * @c report_id must be dot-atom-text, domains letters/digits/'-'/'.', other
 * strings printable ASCII (no CR/LF: no header injection). @p out is
 * NUL-terminated, @p *len excludes the NUL.
 * @return ::SMTPC_OK or ::SMTPC_ERR_NO_SPACE / ::SMTPC_ERR_BAD_ARG.
 */
int smtpc_tlsrpt_mail_build(const smtpc_tlsrpt_mail_t *m, char *out, size_t cap, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_TLSRPT_H */
