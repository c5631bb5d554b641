/**
 * @file dns.h
 * @brief DNS stub resolver: wire codec (RFC 1035, 3596, 2181) and MX helpers
 *        (RFC 5321 §5.1, RFC 7505).
 *
 * lwIP's DNS client resolves only A/AAAA; MTA-STS and TLS-RPT need TXT and
 * delivery needs MX, so smtpc carries its own small, hardened stub resolver.
 *
 * The codec is pure: smtpc_dns_query_build() writes one query;
 * smtpc_dns_resp_parse() checks a response against that query (ID, flags,
 * question echo compared case-insensitively, RCODE, TC) and hands each answer
 * of the asked type to a callback, following a bounded CNAME chain. Name
 * decompression is iterative with a hop limit and accepts only pointers that
 * go backwards, so loops and forward tricks are rejected. Every RDATA is
 * bounds-checked before the callback sees it.
 *
 * No I/O, no allocation; any context.
 */
#ifndef SMTPC_DNS_H
#define SMTPC_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smtpc/err.h"
#include "smtpc/opts.h"
#include "smtpc/port.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SMTPC_DNS_TYPE_A     1u
#define SMTPC_DNS_TYPE_CNAME 5u
#define SMTPC_DNS_TYPE_MX    15u
#define SMTPC_DNS_TYPE_TXT   16u
#define SMTPC_DNS_TYPE_AAAA  28u

/** Longest name in text form (without the trailing dot) + NUL. */
#define SMTPC_DNS_NAME_BUF 254u

/** One answer record, as given to the callback. Views point into the message. */
typedef struct {
    uint16_t type;
    uint32_t ttl;
    const uint8_t *rdata; /**< RDATA, bounds-checked */
    uint16_t rdlen;
    uint16_t pref; /**< MX: preference */
    /** MX: exchange; CNAME: target; text form, lower case, no trailing dot,
     *  NUL-terminated ("" for the root, i.e. a null MX). */
    char name[SMTPC_DNS_NAME_BUF];
} smtpc_dns_rr_t;

/** Answer callback: return SMTPC_OK to go on, anything else stops the parse
 *  and becomes its result. */
typedef int (*smtpc_dns_rr_fn)(void *arg, const smtpc_dns_rr_t *rr);

/**
 * @brief Build a query: header (ID, RD=1), one question.
 * @param name text name, dots between labels, optional trailing dot; labels of
 *             1..63 bytes of letters, digits, '-' or '_'; at most 253 bytes.
 * @return ::SMTPC_OK with @p out_len set, ::SMTPC_ERR_BAD_ARG for a bad name,
 *         ::SMTPC_ERR_NO_SPACE when @p cap is too small.
 */
int smtpc_dns_query_build(uint8_t *out, size_t cap, size_t *out_len, uint16_t id, const char *name,
                          uint16_t qtype);

/**
 * @brief Check a response and deliver its answers.
 * @param msg,len  the response
 * @param id,name,qtype  what was asked (as given to smtpc_dns_query_build())
 * @param cb,arg   called for each answer of type @p qtype owned by the name
 *                 asked or by the end of its CNAME chain (at most
 *                 ::SMTPC_DNS_MAX_ANSWERS answers are looked at)
 * @return ::SMTPC_OK (at least one answer delivered), ::SMTPC_ERR_DNS_NODATA
 *         (NOERROR, no answer of that type), ::SMTPC_ERR_DNS_NXDOMAIN,
 *         ::SMTPC_ERR_DNS_SERVFAIL, ::SMTPC_ERR_DNS_REFUSED,
 *         ::SMTPC_ERR_DNS_TRUNCATED (TC=1: retry over TCP),
 *         ::SMTPC_ERR_DNS_FORMAT (malformed, or not the answer to this query:
 *         wrong ID, not a response, question not echoed), or the callback's
 *         result.
 */
int smtpc_dns_resp_parse(const uint8_t *msg, size_t len, uint16_t id, const char *name,
                         uint16_t qtype, smtpc_dns_rr_fn cb, void *arg);

/**
 * @brief Join the character-strings of one TXT record into @p out, without a
 * separator (RFC 8461 §3.1, RFC 7208 §3.3). Not NUL-terminated.
 * @return ::SMTPC_OK with @p out_len, ::SMTPC_ERR_NO_SPACE when @p cap is too
 *         small, ::SMTPC_ERR_DNS_FORMAT when a length runs past the RDATA.
 */
int smtpc_dns_txt_join(const smtpc_dns_rr_t *rr, char *out, size_t cap, size_t *out_len);

/** One MX target. */
typedef struct {
    uint16_t pref;
    char host[SMTPC_DNS_NAME_BUF];
} smtpc_mx_t;

/** MX set of a domain, sorted. */
typedef struct {
    uint8_t count;
    uint8_t implicit; /**< no MX records: the domain itself (RFC 5321 §5.1) */
    smtpc_mx_t mx[SMTPC_MAX_MX];
} smtpc_mx_list_t;

/**
 * @brief Add an MX answer to a list (use as or from an smtpc_dns_rr_fn).
 * A null MX ("0 .", RFC 7505) gives ::SMTPC_ERR_DNS_NULL_MX. When the list is
 * full the entry with the highest preference is replaced if the new one is
 * preferred, so the best ::SMTPC_MAX_MX hosts are kept.
 */
int smtpc_mx_add(smtpc_mx_list_t *l, const smtpc_dns_rr_t *rr);

/**
 * @brief Sort by preference; shuffle hosts of equal preference with @p seed
 * bytes (RFC 5321 §5.1: spread the load).
 */
void smtpc_mx_sort(smtpc_mx_list_t *l, const uint8_t *seed, size_t seed_len);

/**
 * @brief Does @p msg answer the query (ID, QR, opcode, question echo)?
 * ::SMTPC_OK or ::SMTPC_ERR_DNS_FORMAT. Nothing else is looked at, so a
 * resolver can drop spoofed or stray datagrams and keep waiting.
 */
int smtpc_dns_resp_match(const uint8_t *msg, size_t len, uint16_t id, const char *name,
                         uint16_t qtype);

/* ------------------------------------------------------------ engine --- */

/** What a DNS query engine needs from the platform. */
typedef struct smtpc_dns_io {
    const smtpc_dgram_ops_t *dgram; /**< required */
    void *dgram_ctx;
    const smtpc_net_ops_t *net; /**< optional: TCP retry after TC=1 */
    void *net_ctx;
    const smtpc_clock_ops_t *clock; /**< required */
    void *clock_ctx;
    const smtpc_rng_ops_t *rng; /**< required: query IDs */
    void *rng_ctx;
} smtpc_dns_io_t;

/** One query in flight. Caller-owned; ~SMTPC_DNS_MSG_MAX + 300 bytes. */
typedef struct smtpc_dns {
    const smtpc_dns_io_t *io;
    smtpc_dns_rr_fn cb;
    void *cb_arg;
    uint8_t msg[SMTPC_DNS_MSG_MAX];
    size_t msg_len;
    size_t tcp_need;
    smtpc_stream_t tcp;
    char name[SMTPC_DNS_NAME_BUF];
    uint16_t id;
    uint16_t qtype;
    uint32_t t_try;
    int status;
    int last_err;
    uint8_t state;
    uint8_t tries;
    uint8_t open;
    uint8_t tcp_open;
    uint8_t got_len;
} smtpc_dns_t;

/**
 * @brief Start resolving @p name / @p qtype. Answers go to @p cb once a
 * matching response arrives (see smtpc_dns_resp_parse()).
 * @return ::SMTPC_IN_PROGRESS or an error (bad name, no ops).
 */
int smtpc_dns_start(smtpc_dns_t *d, const smtpc_dns_io_t *io, const char *name, uint16_t qtype,
                    smtpc_dns_rr_fn cb, void *arg);

/**
 * @brief Progress without blocking. Each try waits ::SMTPC_DNS_TIMEOUT_MS
 * and goes to the next nameserver; ::SMTPC_DNS_TRIES tries in all. A
 * response with TC=1 is asked again over TCP when net ops are given.
 * @return ::SMTPC_IN_PROGRESS, ::SMTPC_OK, or ::SMTPC_ERR_DNS_NXDOMAIN /
 *         _NODATA / _SERVFAIL / _REFUSED / _TIMEOUT / _TRUNCATED / _FORMAT
 *         or the callback's error.
 */
int smtpc_dns_step(smtpc_dns_t *d);

/** SMTPC_WANT_* bits and the deadline by which step() must run again. */
unsigned smtpc_dns_wants(const smtpc_dns_t *d, uint32_t *deadline_ms);

/** Stop and release the sockets. Safe at any time, and twice. */
void smtpc_dns_stop(smtpc_dns_t *d);

/** Normalise a domain in place: lower case, strip one trailing dot.
 *  @return its length, or 0 when it is empty or longer than 253 bytes. */
size_t smtpc_dns_name_norm(char *name, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_DNS_H */
