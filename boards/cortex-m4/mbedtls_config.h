/*
 * mbedTLS 2.28 configuration for the Cortex-M4 board: a minimal verifying
 * TLS 1.2 client, nothing else.
 *
 * Selected with -DMBEDTLS_CONFIG_FILE="<path>/boards/cortex-m4/mbedtls_config.h"
 * and replaces mbedtls/config.h entirely: anything not defined here is off.
 *
 * What the smtpc client needs to reach an arbitrary MX host or MTA-STS
 * policy host and verify it: ECDHE with ECDSA or RSA certificates, AES-GCM
 * records, SHA-256/384, X.509 chain and host name verification with
 * certificate dates, P-256 and P-384. No server, no file system, no sockets,
 * no threads, no error strings, no debug output; every allocation comes from
 * one static arena (MEMORY_BUFFER_ALLOC_C).
 *
 * Trust anchors are DER (no PEM/base64 code): convert a PEM bundle with
 * `openssl x509 -outform der` and concatenate the DER certificates.
 *
 * Hidden libc use avoided on purpose:
 * - newlib's gmtime() mallocs its result buffer and drags in printf through
 *   the locale code: MBEDTLS_PLATFORM_GMTIME_R_ALT points mbedTLS at the
 *   board's own conversion (boards/cortex-m4/board_time.c).
 * - time() would go through newlib's _gettimeofday syscall stub:
 *   MBEDTLS_PLATFORM_TIME_MACRO reads the board's wall clock instead.
 * - Allocator defaults: MBEDTLS_PLATFORM_STD_CALLOC/FREE name functions
 *   that fail, so only the arena ever allocates.
 * - No platform entropy (there is no /dev/urandom): the TRNG reaches
 *   mbedTLS as the strong source of smtpc_mbedtls_cfg_t::rng.
 */
#ifndef SMTPC_BOARD_CM4_MBEDTLS_CONFIG_H
#define SMTPC_BOARD_CM4_MBEDTLS_CONFIG_H

/* ------------------------------------------------------------ system -- */

/* Thumb-2 assembly for the bignum inner loops (bn_mul.h). */
#define MBEDTLS_HAVE_ASM

/* Certificate validity needs the date: the board keeps UTC (SNTP or RTC). */
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE
#define MBEDTLS_PLATFORM_GMTIME_R_ALT

#define MBEDTLS_DEPRECATED_REMOVED

/* ---------------------------------------------------------- platform -- */

#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
/* 8: 64-bit fields (SHA-512 state, GCM tables) must not trap LDRD. */
#define MBEDTLS_MEMORY_ALIGN_MULTIPLE 8

/* Before mbedtls_memory_buffer_alloc_init() installs the arena, mbedTLS's
 * allocator pointers hold these defaults; left to mbedTLS they would name
 * libc's calloc/free and pull newlib's heap into the image. The board's
 * versions fail (board_time.c). */
#include <stddef.h>
void *board_mbedtls_no_calloc(size_t n, size_t size);
void board_mbedtls_no_free(void *p);
#define MBEDTLS_PLATFORM_STD_CALLOC board_mbedtls_no_calloc
#define MBEDTLS_PLATFORM_STD_FREE   board_mbedtls_no_free

/* The wall clock of the board (seconds since the epoch, 0 if unknown). */
#include <time.h>
time_t board_utc_time(time_t *t);
#define MBEDTLS_PLATFORM_TIME_MACRO board_utc_time

/* ----------------------------------------------------------- entropy -- */

#define MBEDTLS_ENTROPY_C
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_CTR_DRBG_C

/* ------------------------------------------------ hashes and MACs -- */

#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA512_C /* SHA-384 */
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_SHA512_SMALLER

/* ----------------------------------------------------------- ciphers -- */

#define MBEDTLS_CIPHER_C
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_GCM_C

/* ------------------------------------------- public keys and bignums -- */

#define MBEDTLS_BIGNUM_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_ECP_C
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM

/* ------------------------------------------------- ASN.1, X.509 -- */

#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C /* ECDSA signatures are DER */
#define MBEDTLS_OID_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CHECK_KEY_USAGE
#define MBEDTLS_X509_CHECK_EXTENDED_KEY_USAGE

/* ------------------------------------------------------------- TLS ---- */

#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET

/* Only the suites the binding offers: keeps the ciphersuite table small. */
#define MBEDTLS_SSL_CIPHERSUITES                                                                   \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,                                               \
        MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,                                             \
        MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,                                           \
        MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384

/* No renegotiation, tickets, session cache, DTLS, PSK, server, FS, net,
 * error strings or debug: all left undefined. The peer certificate is
 * dropped after verification (MBEDTLS_SSL_KEEP_PEER_CERTIFICATE unset). */

/* ---------------------------------------------------- sizes (arena) -- */

/* 16 KB in: an MX host may send full-size records (ARCHITECTURE §6). */
#define MBEDTLS_SSL_MAX_CONTENT_LEN 16384
#define MBEDTLS_SSL_IN_CONTENT_LEN  16384
/* 4 KB out: we only send SMTP lines and body chunks. */
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096

/* 4096-bit RSA roots; small windows and no fixed-point tables (RAM over
 * speed at the handshake peak). */
#define MBEDTLS_MPI_MAX_SIZE          512
#define MBEDTLS_MPI_WINDOW_SIZE       2
#define MBEDTLS_ECP_WINDOW_SIZE       2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
#define MBEDTLS_ECP_MAX_BITS          384

#include "mbedtls/check_config.h"

#endif /* SMTPC_BOARD_CM4_MBEDTLS_CONFIG_H */
