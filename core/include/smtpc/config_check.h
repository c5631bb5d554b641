/**
 * @file config_check.h
 * @brief Rejects inconsistent option sets at compile time. Included by opts.h.
 */
#ifndef SMTPC_CONFIG_CHECK_H
#define SMTPC_CONFIG_CHECK_H

#if SMTPC_REPLY_LINE_MAX < 512 || SMTPC_REPLY_LINE_MAX > 4096
#error "SMTPC_REPLY_LINE_MAX must be 512..4096 (RFC 5321 §4.5.3.1.5): set it in smtpc_config.h"
#endif
#if SMTPC_REPLY_LINES_MAX < 4 || SMTPC_REPLY_LINES_MAX > 1000
#error "SMTPC_REPLY_LINES_MAX must be 4..1000: set it in smtpc_config.h"
#endif
#if SMTPC_REPLY_TEXT_MAX < 16 || SMTPC_REPLY_TEXT_MAX > 512
#error "SMTPC_REPLY_TEXT_MAX must be 16..512: set it in smtpc_config.h"
#endif
#if SMTPC_TX_BUF_SIZE < 512 || SMTPC_TX_BUF_SIZE > 65536
#error                                                                                             \
    "SMTPC_TX_BUF_SIZE must be 512..65536 (a whole command line must fit): set it in smtpc_config.h"
#endif
#if SMTPC_RX_BUF_SIZE < 16 || SMTPC_RX_BUF_SIZE > 65536
#error "SMTPC_RX_BUF_SIZE must be 16..65536: set it in smtpc_config.h"
#endif
#if SMTPC_MAX_RCPT < 1 || SMTPC_MAX_RCPT > 100
#error "SMTPC_MAX_RCPT must be 1..100: set it in smtpc_config.h"
#endif
#if SMTPC_ADDR_MAX < 64 || SMTPC_ADDR_MAX > 320
#error "SMTPC_ADDR_MAX must be 64..320 (RFC 5321 §4.5.3.1): set it in smtpc_config.h"
#endif
#if SMTPC_ADDR_MAX + 32 > SMTPC_TX_BUF_SIZE
#error "SMTPC_TX_BUF_SIZE must hold a MAIL FROM line with SMTPC_ADDR_MAX: raise SMTPC_TX_BUF_SIZE"
#endif
#if SMTPC_HOSTNAME_MAX < 16 || SMTPC_HOSTNAME_MAX > 255
#error "SMTPC_HOSTNAME_MAX must be 16..255: set it in smtpc_config.h"
#endif
#if SMTPC_BODY_LINE_MAX < 78 || SMTPC_BODY_LINE_MAX > 998
#error "SMTPC_BODY_LINE_MAX must be 78..998 (RFC 5321 §4.5.3.1.6): set it in smtpc_config.h"
#endif
#if SMTPC_DNS_MSG_MAX < 512 || SMTPC_DNS_MSG_MAX > 4096
#error "SMTPC_DNS_MSG_MAX must be 512..4096 (RFC 1035 §4.2.1): set it in smtpc_config.h"
#endif
#if SMTPC_DNS_MAX_ANSWERS < 1 || SMTPC_DNS_MAX_ANSWERS > 64
#error "SMTPC_DNS_MAX_ANSWERS must be 1..64: set it in smtpc_config.h"
#endif
#if SMTPC_DNS_MAX_HOPS < 1 || SMTPC_DNS_MAX_HOPS > 64
#error "SMTPC_DNS_MAX_HOPS must be 1..64: set it in smtpc_config.h"
#endif
#if SMTPC_DNS_MAX_CNAME < 0 || SMTPC_DNS_MAX_CNAME > 16
#error "SMTPC_DNS_MAX_CNAME must be 0..16: set it in smtpc_config.h"
#endif
#if SMTPC_DNS_TRIES < 1 || SMTPC_DNS_TRIES > 10
#error "SMTPC_DNS_TRIES must be 1..10: set it in smtpc_config.h"
#endif
#if SMTPC_MAX_MX < 1 || SMTPC_MAX_MX > 16
#error "SMTPC_MAX_MX must be 1..16: set it in smtpc_config.h"
#endif
#if SMTPC_STS_POLICY_MAX < 128 || SMTPC_STS_POLICY_MAX > 65536
#error "SMTPC_STS_POLICY_MAX must be 128..65536: set it in smtpc_config.h"
#endif
#if SMTPC_STS_MX_POOL < 64 || SMTPC_STS_MX_POOL > 4096
#error "SMTPC_STS_MX_POOL must be 64..4096: set it in smtpc_config.h"
#endif
#if SMTPC_STS_MAX_MX_PATTERNS < 1 || SMTPC_STS_MAX_MX_PATTERNS > 64
#error "SMTPC_STS_MAX_MX_PATTERNS must be 1..64: set it in smtpc_config.h"
#endif
#if SMTPC_HTTP_LINE_MAX < 64 || SMTPC_HTTP_LINE_MAX > 4096
#error "SMTPC_HTTP_LINE_MAX must be 64..4096: set it in smtpc_config.h"
#endif
#if SMTPC_HTTP_MAX_HEADERS < 8 || SMTPC_HTTP_MAX_HEADERS > 1000
#error "SMTPC_HTTP_MAX_HEADERS must be 8..1000: set it in smtpc_config.h"
#endif
#if SMTPC_STS_FETCH_TIMEOUT_MS < 1000 || SMTPC_STS_FETCH_TIMEOUT_MS > 600000
#error "SMTPC_STS_FETCH_TIMEOUT_MS must be 1000..600000: set it in smtpc_config.h"
#endif
#if SMTPC_STS_RETRY_S < 300
#error "SMTPC_STS_RETRY_S must be at least 300 (RFC 8461 §3.3): set it in smtpc_config.h"
#endif
#if SMTPC_STS_RAM_ENTRIES < 1 || SMTPC_STS_RAM_ENTRIES > 64
#error "SMTPC_STS_RAM_ENTRIES must be 1..64: set it in smtpc_config.h"
#endif
#if SMTPC_KVS_MAX_KEYS < 4 || SMTPC_KVS_MAX_KEYS > 1024
#error "SMTPC_KVS_MAX_KEYS must be 4..1024: set it in smtpc_config.h"
#endif
#if SMTPC_KVS_RECORD_MAX < 64 || SMTPC_KVS_RECORD_MAX > 4096
#error "SMTPC_KVS_RECORD_MAX must be 64..4096: set it in smtpc_config.h"
#endif
#if SMTPC_CACHE_ENTRIES < 1 || 2 * SMTPC_CACHE_ENTRIES + 1 > SMTPC_KVS_MAX_KEYS
#error "SMTPC_CACHE_ENTRIES must be >= 1 and 2 * SMTPC_CACHE_ENTRIES + 1 <= SMTPC_KVS_MAX_KEYS"
#endif
#if !SMTPC_ENABLE_AUTH_PLAIN && !SMTPC_ENABLE_AUTH_LOGIN && !SMTPC_ENABLE_AUTH_XOAUTH2
/* Allowed: a build for MX delivery only. AUTH then fails with SMTPC_ERR_AUTH_UNSUPPORTED. */
#endif

#if SMTPC_TLSRPT_URI_MAX < 32 || SMTPC_TLSRPT_URI_MAX > 512
#error "SMTPC_TLSRPT_URI_MAX must be 32..512: set it in smtpc_config.h"
#endif
#if SMTPC_TLSRPT_RUA_MAX < 1 || SMTPC_TLSRPT_RUA_MAX > 8
#error "SMTPC_TLSRPT_RUA_MAX must be 1..8: set it in smtpc_config.h"
#endif
#if SMTPC_TLSRPT_DOMAINS < 1 || SMTPC_TLSRPT_DOMAINS > 32
#error "SMTPC_TLSRPT_DOMAINS must be 1..32: set it in smtpc_config.h"
#endif
#if SMTPC_TLSRPT_POLICIES < 1 || SMTPC_TLSRPT_POLICIES > 4
#error "SMTPC_TLSRPT_POLICIES must be 1..4: set it in smtpc_config.h"
#endif
#if SMTPC_TLSRPT_DETAILS < 1 || SMTPC_TLSRPT_DETAILS > 16
#error "SMTPC_TLSRPT_DETAILS must be 1..16: set it in smtpc_config.h"
#endif
#if SMTPC_TLSRPT_MX_POOL < 64 || SMTPC_TLSRPT_MX_POOL > 1024
#error "SMTPC_TLSRPT_MX_POOL must be 64..1024: set it in smtpc_config.h"
#endif
#if SMTPC_TLSRPT_SUCCESS_BATCH < 1 || SMTPC_TLSRPT_SUCCESS_BATCH > 1000
#error "SMTPC_TLSRPT_SUCCESS_BATCH must be 1..1000: set it in smtpc_config.h"
#endif
#if SMTPC_TLSRPT_KEEP_DAYS < 1 || SMTPC_TLSRPT_KEEP_DAYS > 30
#error "SMTPC_TLSRPT_KEEP_DAYS must be 1..30: set it in smtpc_config.h"
#endif

#endif /* SMTPC_CONFIG_CHECK_H */
