/* smtpc configuration for the Cortex-M4 board: a device that mails alerts to
 * a few recipients, directly to their MX hosts under MTA-STS, with the policy
 * cache in internal flash. Every option not set here takes the default of
 * core/include/smtpc/opts.h.
 *
 * The feature switches are guarded so tools/footprint.sh can build its
 * profiles (submission only; + MX delivery; + TLS-RPT) from this file with
 * -D overrides. */
#ifndef SMTPC_CONFIG_CORTEX_M4_H
#define SMTPC_CONFIG_CORTEX_M4_H

/* Features: MX delivery with MTA-STS and TLS-RPT on; only AUTH PLAIN (a
 * device that submits uses an app password, never LOGIN or OAuth). */
#ifndef SMTPC_ENABLE_MX
#define SMTPC_ENABLE_MX 1
#endif
#ifndef SMTPC_ENABLE_TLSRPT
#define SMTPC_ENABLE_TLSRPT 1
#endif
#define SMTPC_ENABLE_AUTH_LOGIN   0
#define SMTPC_ENABLE_AUTH_XOAUTH2 0

/* Buffers: the minimum command buffer, small reads and body chunks. */
#define SMTPC_TX_BUF_SIZE     512
#define SMTPC_RX_BUF_SIZE     128
#define SMTPC_BODY_CHUNK_SIZE 64
#define SMTPC_REPLY_TEXT_MAX  64
#define SMTPC_REPLY_LINES_MAX 24

/* Envelope: a handful of operators; addresses of ordinary length. */
#define SMTPC_MAX_RCPT 4
#define SMTPC_ADDR_MAX 254

/* DNS and MX: UDP-sized answers are the norm; two MX hosts per domain. */
#define SMTPC_DNS_MSG_MAX     768
#define SMTPC_DNS_MAX_ANSWERS 8
#define SMTPC_MAX_MX          2

/* MTA-STS: real policies are a few hundred bytes (shares RAM with the DNS
 * message buffer). */
#define SMTPC_STS_POLICY_MAX      768
#define SMTPC_STS_MX_POOL         128
#define SMTPC_STS_MAX_MX_PATTERNS 4
#define SMTPC_HTTP_MAX_HEADERS    32
#define SMTPC_STS_RAM_ENTRIES     1

/* Flash cache: four domains (2 keys each + the time floor). */
#define SMTPC_KVS_MAX_KEYS   12
#define SMTPC_KVS_RECORD_MAX 256
#define SMTPC_CACHE_ENTRIES  4

/* TLS-RPT: two policy domains batched in RAM, a 32-bit cJSON arena. */
#define SMTPC_TLSRPT_DOMAINS 2
#define SMTPC_TLSRPT_RUA_MAX 1
#define SMTPC_TLSRPT_DETAILS 4
#define SMTPC_TLSRPT_MX_POOL 128
#define SMTPC_TLSRPT_ARENA   4096

/* Deadlines a device can afford (a stuck server must not hold the alert
 * path for RFC 5321's ten minutes). */
#define SMTPC_TIMEOUT_GREETING_MS 60000u
#define SMTPC_TIMEOUT_COMMAND_MS  60000u
#define SMTPC_TIMEOUT_DATA_END_MS 120000u
#define SMTPC_TIMEOUT_TOTAL_MS    300000u

#endif /* SMTPC_CONFIG_CORTEX_M4_H */
