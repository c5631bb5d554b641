/**
 * @file opts.h
 * @brief Compile-time options of smtpc, with their defaults.
 *
 * The user's `smtpc_config.h` (found on the include path, usually in
 * `boards/<board>/`) is included first; every option it does not define gets
 * the default below. Define `SMTPC_NO_USER_CONFIG` to build with the defaults
 * alone. `config_check.h` then rejects inconsistent settings with an `#error`
 * that names the option to change.
 *
 * Each option states its meaning, default, range and cost.
 */
#ifndef SMTPC_OPTS_H
#define SMTPC_OPTS_H

#ifndef SMTPC_NO_USER_CONFIG
#include "smtpc_config.h"
#endif

/* ---------------------------------------------------------------- features */

/** AUTH PLAIN (RFC 4616). Default 1. Only ever sent over TLS unless the caller
 *  allowed plaintext. Cost: ~150 B flash. */
#ifndef SMTPC_ENABLE_AUTH_PLAIN
#define SMTPC_ENABLE_AUTH_PLAIN 1
#endif

/** AUTH LOGIN (draft-murchison-sasl-login). Default 1. Cost: ~150 B flash. */
#ifndef SMTPC_ENABLE_AUTH_LOGIN
#define SMTPC_ENABLE_AUTH_LOGIN 1
#endif

/** AUTH XOAUTH2 (bearer token from a callback). Default 1. Cost: ~200 B flash. */
#ifndef SMTPC_ENABLE_AUTH_XOAUTH2
#define SMTPC_ENABLE_AUTH_XOAUTH2 1
#endif

/** RFC 2920 PIPELINING: MAIL, RCPT… and DATA sent in one flight when the
 *  server advertises it and the session config asks for it. Default 1
 *  (compiled in; off at run time unless smtpc_session_cfg_t::pipelining).
 *  Cost: ~100 B flash, no RAM. */
#ifndef SMTPC_ENABLE_PIPELINING
#define SMTPC_ENABLE_PIPELINING 1
#endif

/** Direct-to-MX delivery (SMTPC_MODE_MX): the DNS resolver, MTA-STS
 *  (discovery, fetch, policy store), the MX loop, the `_smtp._tls` lookup.
 *  Default 1. 0 builds a submission-only client: the client context loses
 *  the DNS/policy buffers (about 3 KB of RAM) and MX mode or sts_domain in
 *  the configuration is refused with SMTPC_ERR_BAD_ARG. */
#ifndef SMTPC_ENABLE_MX
#define SMTPC_ENABLE_MX 1
#endif

/* ------------------------------------------------------------------- sizes */

/** Longest reply line accepted, CRLF included. RFC 5321 §4.5.3.1.5: 512.
 *  Range 512..4096. No RAM cost (the reply parser streams). */
#ifndef SMTPC_REPLY_LINE_MAX
#define SMTPC_REPLY_LINE_MAX 512
#endif

/** Most lines accepted in one multi-line reply (EHLO lists ~15). Default 32.
 *  Range 4..1000. Bounds the time an endless reply can hold the client. */
#ifndef SMTPC_REPLY_LINES_MAX
#define SMTPC_REPLY_LINES_MAX 32
#endif

/** Bytes of the last reply's text kept for the result. Default 80. Range
 *  16..512. RAM: twice this (parser + result). */
#ifndef SMTPC_REPLY_TEXT_MAX
#define SMTPC_REPLY_TEXT_MAX 80
#endif

/** Transmit buffer: commands and the dot-stuffed body pass through it.
 *  Default 512, minimum 512 (a whole command line, RFC 5321 §4.5.3.1.4). */
#ifndef SMTPC_TX_BUF_SIZE
#define SMTPC_TX_BUF_SIZE 512
#endif

/** Receive buffer: bytes read from the server before parsing. Default 128,
 *  minimum 16 (the parser streams, so this only sets the read size). */
#ifndef SMTPC_RX_BUF_SIZE
#define SMTPC_RX_BUF_SIZE 128
#endif

/** Bytes the driver reads from the body source at a time. Default 128,
 *  range 16..4096. RAM: this many bytes in smtpc_client_mem_t. */
#ifndef SMTPC_BODY_CHUNK_SIZE
#define SMTPC_BODY_CHUNK_SIZE 128
#endif

/** Recipients per message. Default 8. Range 1..100 (RFC 5321 §4.5.3.1.8
 *  asks servers to take 100). RAM: 8 bytes each in the result. */
#ifndef SMTPC_MAX_RCPT
#define SMTPC_MAX_RCPT 8
#endif

/** Longest address (local@domain) accepted in an envelope. RFC 5321:
 *  local part 64 + '@' + domain 255 = 320. Default 320. */
#ifndef SMTPC_ADDR_MAX
#define SMTPC_ADDR_MAX 320
#endif

/** Longest host name (EHLO name, server name). Default 255 (RFC 1035). */
#ifndef SMTPC_HOSTNAME_MAX
#define SMTPC_HOSTNAME_MAX 255
#endif

/** Longest body line, CRLF excluded: 998 (RFC 5321 §4.5.3.1.6). A longer line
 *  ends the session with SMTPC_ERR_BODY_LINE_TOO_LONG before the end of data
 *  is sent, so the server discards the message. Range 78..998. */
#ifndef SMTPC_BODY_LINE_MAX
#define SMTPC_BODY_LINE_MAX 998
#endif

/* --------------------------------------------------------------------- DNS */

/** Largest DNS message handled (UDP without EDNS is 512, RFC 1035 §4.2.1; a
 *  TCP answer after TC=1 may be larger and is read up to this size).
 *  Default 1024, range 512..4096. RAM: this many bytes in the DNS context. */
#ifndef SMTPC_DNS_MSG_MAX
#define SMTPC_DNS_MSG_MAX 1024
#endif

/** Answer records looked at per response. Default 16, range 1..64. */
#ifndef SMTPC_DNS_MAX_ANSWERS
#define SMTPC_DNS_MAX_ANSWERS 16
#endif

/** Compression pointers followed per name. Default 16, range 1..64. */
#ifndef SMTPC_DNS_MAX_HOPS
#define SMTPC_DNS_MAX_HOPS 16
#endif

/** CNAMEs followed in one answer. Default 8, range 0..16. */
#ifndef SMTPC_DNS_MAX_CNAME
#define SMTPC_DNS_MAX_CNAME 8
#endif

/** Per-try timeout of a DNS query, ms. Default 2000. */
#ifndef SMTPC_DNS_TIMEOUT_MS
#define SMTPC_DNS_TIMEOUT_MS 2000u
#endif

/** Tries per DNS query, spread over the configured nameservers. Default 3,
 *  range 1..10. */
#ifndef SMTPC_DNS_TRIES
#define SMTPC_DNS_TRIES 3
#endif

/** MX hosts kept and tried per domain (the best by preference). Default 4,
 *  range 1..16. RAM: ~256 bytes each in the MX list. */
#ifndef SMTPC_MAX_MX
#define SMTPC_MAX_MX 4
#endif

/* ----------------------------------------------------------------- MTA-STS */

/** Largest policy body accepted (RFC 8461 §3.3 suggests clients MAY cap at
 *  64 KiB; real policies are a few hundred bytes). Default 1024, range
 *  128..65536. Enforced while streaming. */
#ifndef SMTPC_STS_POLICY_MAX
#define SMTPC_STS_POLICY_MAX 1024
#endif

/** Bytes for a policy's mx patterns, packed NUL-separated (no 254-byte slot
 *  per pattern). Default 256, range 64..4096. RAM: once per policy held. */
#ifndef SMTPC_STS_MX_POOL
#define SMTPC_STS_MX_POOL 256
#endif

/** mx patterns per policy. Default 8, range 1..64. */
#ifndef SMTPC_STS_MAX_MX_PATTERNS
#define SMTPC_STS_MAX_MX_PATTERNS 8
#endif

/** Longest HTTP status or header line of a policy response, CRLF included
 *  (longer lines fail the fetch). Default 256, range 64..4096. RAM: once, in
 *  the parser. */
#ifndef SMTPC_HTTP_LINE_MAX
#define SMTPC_HTTP_LINE_MAX 256
#endif

/** Most header lines accepted in one response. Default 64. */
#ifndef SMTPC_HTTP_MAX_HEADERS
#define SMTPC_HTTP_MAX_HEADERS 64
#endif

/** Deadline of a whole policy fetch (connect, TLS, request, response), in
 *  ms. RFC 8461 §3.3 suggests one minute. Default 30000. */
#ifndef SMTPC_STS_FETCH_TIMEOUT_MS
#define SMTPC_STS_FETCH_TIMEOUT_MS 30000u
#endif

/** Seconds before retrying the fetch of a policy id whose fetch failed
 *  (RFC 8461 §3.3: no sooner than 5 minutes). Default 300. */
#ifndef SMTPC_STS_RETRY_S
#define SMTPC_STS_RETRY_S 300u
#endif

/** Policies held by the RAM policy store (smtpc_sts_ram_store). Default 4,
 *  range 1..64. RAM: ~sizeof(smtpc_sts_entry_t) (~620 bytes) each. */
#ifndef SMTPC_STS_RAM_ENTRIES
#define SMTPC_STS_RAM_ENTRIES 4
#endif

/** Proactive refresh (RFC 8461 §10.2): a cached policy is refreshed when it
 *  expires within this many seconds. Default 86400 (a day). */
#ifndef SMTPC_STS_REFRESH_AHEAD_S
#define SMTPC_STS_REFRESH_AHEAD_S 86400u
#endif

/* ------------------------------------------------------ flash store/cache */

/** Live keys the flash key-value store indexes in RAM (8 bytes each). The
 *  policy cache uses two per domain plus one for the time floor. Default 20,
 *  range 4..1024. */
#ifndef SMTPC_KVS_MAX_KEYS
#define SMTPC_KVS_MAX_KEYS 20
#endif

/** Largest flash record (header + key + value + CRC), and the size of the
 *  store's one staging buffer. A policy record is ~100 bytes plus its domain
 *  and mx patterns. Default 512, range 64..4096; a sector must hold a header
 *  and one such record (more make compaction rarer). */
#ifndef SMTPC_KVS_RECORD_MAX
#define SMTPC_KVS_RECORD_MAX 512
#endif

/** The time floor is written to flash when the clock moved this many
 *  seconds past the stored floor (bounded wear). Default 3600. */
#ifndef SMTPC_TIME_FLOOR_STEP_S
#define SMTPC_TIME_FLOOR_STEP_S 3600u
#endif

/** Policies the flash cache keeps (the one expiring first is evicted).
 *  Default 8. */
#ifndef SMTPC_CACHE_ENTRIES
#define SMTPC_CACHE_ENTRIES 8
#endif

/* ---------------------------------------------------------------- TLS-RPT */

/** TLS reporting (RFC 8460): the `_smtp._tls` lookup in the driver, the
 *  compact log, gzip and the report mail. Default 1. 0 removes all of it
 *  (the driver then never looks the record up; events carry rpt=UNKNOWN). */
#ifndef SMTPC_ENABLE_TLSRPT
#define SMTPC_ENABLE_TLSRPT 1
#endif

/** JSON rendering of reports with cJSON (smtpc_tlsrpt_render). Default 1;
 *  needs cJSON on the include path. Forced to 0 when TLS-RPT is off. */
#ifndef SMTPC_ENABLE_TLSRPT_JSON
#define SMTPC_ENABLE_TLSRPT_JSON 1
#endif

/** 1: smtpc_tlsrpt_render installs cJSON hooks on its arena for the call
 *  and restores cJSON's defaults after; 0: the integrator manages cJSON's
 *  hooks (they must then not call malloc if the core is to stay heap-free). */
#ifndef SMTPC_TLSRPT_CJSON_HOOKS
#define SMTPC_TLSRPT_CJSON_HOOKS 1
#endif

/** Longest rua URI kept. Default 128. Range 32..512. Longer ones are
 *  counted in smtpc_tlsrpt_txt_t::rua_skipped. */
#ifndef SMTPC_TLSRPT_URI_MAX
#define SMTPC_TLSRPT_URI_MAX 128
#endif

/** rua URIs kept per record. Default 2. Range 1..8. */
#ifndef SMTPC_TLSRPT_RUA_MAX
#define SMTPC_TLSRPT_RUA_MAX 2
#endif

/** Policy domains with batched (RAM) success counts at once. Default 4.
 *  Range 1..32. Cost: ~270 B RAM each. */
#ifndef SMTPC_TLSRPT_DOMAINS
#define SMTPC_TLSRPT_DOMAINS 4
#endif

/** Policy entries per report (a policy can change during a day). Default 2.
 *  Range 1..4. */
#ifndef SMTPC_TLSRPT_POLICIES
#define SMTPC_TLSRPT_POLICIES 2
#endif

/** Distinct failure groups per report. Default 8. Range 1..16. Beyond it a
 *  failure is counted in a group without MX/IP/reason (report.overflow). */
#ifndef SMTPC_TLSRPT_DETAILS
#define SMTPC_TLSRPT_DETAILS 8
#endif

/** Bytes of MX names per report (and per day's string table). Default 256. */
#ifndef SMTPC_TLSRPT_MX_POOL
#define SMTPC_TLSRPT_MX_POOL 256
#endif

/** cJSON arena for one report render, in bytes. Default: enough for the
 *  largest report the options allow (every policy with the most patterns,
 *  every failure group), counted as cJSON nodes of at most ten pointers:
 *  about 17 KB on 64-bit hosts, 8.5 KB on 32-bit targets with the other
 *  defaults. A smaller arena makes large reports fail with
 *  SMTPC_ERR_NO_SPACE (the report then stays in flash). Only used inside
 *  smtpc_tlsrpt_render()'s caller-supplied buffer: no static cost. */
#ifndef SMTPC_TLSRPT_ARENA
#define SMTPC_TLSRPT_ARENA                                                                         \
    ((24u + (16u + 2u * SMTPC_STS_MAX_MX_PATTERNS) * SMTPC_TLSRPT_POLICIES +                       \
      9u * SMTPC_TLSRPT_GROUPS) *                                                                  \
     10u * sizeof(void *))
#endif

/** Successes counted in RAM before they are written. Default 16. Range
 *  1..1000. A power cut loses at most this many successes per domain;
 *  failures are never batched. */
#ifndef SMTPC_TLSRPT_SUCCESS_BATCH
#define SMTPC_TLSRPT_SUCCESS_BATCH 16
#endif

/** Days an undelivered report is kept before the log may reclaim it for a
 *  new one (RFC 8460 §5.5 retries for up to 24 h). Default 3. */
#ifndef SMTPC_TLSRPT_KEEP_DAYS
#define SMTPC_TLSRPT_KEEP_DAYS 3
#endif

#if !SMTPC_ENABLE_TLSRPT
#undef SMTPC_ENABLE_TLSRPT_JSON
#define SMTPC_ENABLE_TLSRPT_JSON 0
#endif

/* ---------------------------------------------------------------- timeouts */

/** Deadlines per stage, in ms. Defaults are RFC 5321 §4.5.3.2 values; devices
 *  usually lower them in smtpc_config.h or per session. */
#ifndef SMTPC_TIMEOUT_CONNECT_MS
#define SMTPC_TIMEOUT_CONNECT_MS 30000u
#endif
#ifndef SMTPC_TIMEOUT_GREETING_MS
#define SMTPC_TIMEOUT_GREETING_MS 300000u /* §4.5.3.2.1: 5 min */
#endif
#ifndef SMTPC_TIMEOUT_COMMAND_MS
#define SMTPC_TIMEOUT_COMMAND_MS 300000u /* §4.5.3.2.2/3: MAIL, RCPT 5 min */
#endif
#ifndef SMTPC_TIMEOUT_TLS_MS
#define SMTPC_TIMEOUT_TLS_MS 60000u /* TLS handshake */
#endif
#ifndef SMTPC_TIMEOUT_DATA_INIT_MS
#define SMTPC_TIMEOUT_DATA_INIT_MS 120000u /* §4.5.3.2.4: 2 min */
#endif
#ifndef SMTPC_TIMEOUT_DATA_BLOCK_MS
#define SMTPC_TIMEOUT_DATA_BLOCK_MS 180000u /* §4.5.3.2.5: 3 min per send */
#endif
#ifndef SMTPC_TIMEOUT_DATA_END_MS
#define SMTPC_TIMEOUT_DATA_END_MS 600000u /* §4.5.3.2.6: 10 min */
#endif
/** Overall deadline for a whole session. Default 15 min. 0 = none. */
#ifndef SMTPC_TIMEOUT_TOTAL_MS
#define SMTPC_TIMEOUT_TOTAL_MS 900000u
#endif

/* ----------------------------------------------------------------- debug */

/** Programmer-error checks (never on input). Off by default. */
#ifndef SMTPC_ASSERT
#define SMTPC_ASSERT(x) ((void)0)
#endif

#include "smtpc/config_check.h"

#endif /* SMTPC_OPTS_H */
