/*
 * mbedTLS 2.28 configuration for the smtpc host board (simulator and tests).
 *
 * Selected with -DMBEDTLS_CONFIG_FILE="<path>/boards/host/mbedtls_config.h"
 * when mbedTLS is built from source (cmake/deps_source.cmake). It replaces
 * mbedtls/config.h entirely: anything not defined here is off.
 *
 * Shape: firmware-like. Everything the smtpc client needs to reach an
 * arbitrary MX over STARTTLS, all allocations from one static arena, no file
 * system, no sockets inside mbedTLS, no threading. The host build keeps a few
 * conveniences a device would drop (MBEDTLS_ERROR_C, MBEDTLS_MEMORY_DEBUG)
 * because the tests print error strings and arena high-water marks.
 *
 * The simulator runs TLS *servers* in the same process, so the server side is
 * compiled in as well.
 *
 * LEGACY ON PURPOSE: TLS 1.1, CBC ciphers and the static-RSA key exchange are
 * enabled ONLY so the simulator can play a weak/legacy server. The smtpc
 * client restricts itself at run time (TLS 1.2 minimum, ECDHE with AEAD
 * ciphersuites only) and must refuse such a server; the tests check that it
 * does. The cortex-m4 configuration leaves these blocks out. Do not copy them
 * into a device configuration.
 */
#ifndef SMTPC_BOARD_HOST_MBEDTLS_CONFIG_H
#define SMTPC_BOARD_HOST_MBEDTLS_CONFIG_H

/* ------------------------------------------------------------ system -- */

/* Assembly for bignum inner loops: RSA and ECC dominate handshake time,
 * and every target we care about (x86-64, Cortex-M4, RV32) has a path. */
#define MBEDTLS_HAVE_ASM

/* time() for the TLS session and gmtime_r() for certificate validity:
 * smtpc refuses expired or not-yet-valid certificates (the cert_expired
 * simulator scenario), so the date check must be compiled in. */
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE

/* Removes deprecated APIs so nothing in smtpc can come to rely on them;
 * eases the later move to mbedTLS 3.x. */
#define MBEDTLS_DEPRECATED_REMOVED

/* ---------------------------------------------------------- platform -- */

/* All allocations go through mbedtls_calloc()/mbedtls_free(), which
 * mbedtls_memory_buffer_alloc_init() points at a static arena: no libc heap
 * on a device, and a measurable high-water mark (ARCHITECTURE §6). */
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C

/* The arena's default alignment is 4 bytes, which leaves its own block
 * headers and every 64-bit field (SHA-512 and GCM state, pointers on a
 * 64-bit host) misaligned: undefined behaviour that UBSan reports, and on a
 * Cortex-M an LDRD/LDM fault. 8 covers both targets for a few bytes per
 * block. */
#define MBEDTLS_MEMORY_ALIGN_MULTIPLE 8

/* Host only: keeps the counters behind mbedtls_memory_buffer_alloc_max_get()
 * and _cur_get(), used by the arena report and by the tests that assert the
 * arena is empty after each connection. A device build leaves it out. */
#define MBEDTLS_MEMORY_DEBUG

/* ----------------------------------------------------------- entropy -- */

/* Entropy pool fed by the platform source: on Linux hosts that is the
 * getrandom() system call (entropy_poll.c). Devices define
 * MBEDTLS_NO_PLATFORM_ENTROPY and poll a hardware RNG instead. */
#define MBEDTLS_ENTROPY_C

/* The deterministic random bit generator used for every TLS context,
 * AES-based so it shares code with the record cipher. */
#define MBEDTLS_CTR_DRBG_C

/* ------------------------------------------------ hashes and MACs -- */

/* Message-digest layer, required by TLS and X.509. */
#define MBEDTLS_MD_C

/* SHA-256 for the TLS 1.2 PRF and most certificate signatures; SHA-512
 * also provides SHA-384 (P-384 ECDSA chains, *_SHA384 GCM suites). */
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA512_C

/* LEGACY (see top): the TLS 1.1 PRF is MD5+SHA-1 and the CBC suites use
 * HMAC-SHA1. Also needed to *parse* SHA-1-signed certificates, which the
 * default verification profile then rejects. */
#define MBEDTLS_MD5_C
#define MBEDTLS_SHA1_C

/* ----------------------------------------------------------- ciphers -- */

/* Generic cipher layer, required by TLS. */
#define MBEDTLS_CIPHER_C

/* AES for AES-GCM and CTR_DRBG. Tables in flash (ROM) rather than built in
 * RAM at first use, as a device would; the host follows so the arena and
 * RAM figures mean the same thing on both. */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES

/* AEAD record protection: AES-128/256-GCM and ChaCha20-Poly1305, the two
 * families the smtpc client offers. ChaCha20 is the fast choice on cores
 * without AES acceleration. */
#define MBEDTLS_GCM_C
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C

/* LEGACY (see top): CBC mode, only for the weak-server simulator role
 * (TLS_RSA_WITH_AES_128_CBC_SHA and friends). */
#define MBEDTLS_CIPHER_MODE_CBC

/* ------------------------------------------- public keys and bignums -- */

/* Bignums, generic public-key layer and key parsing (PEM or DER keys of the
 * simulator's servers, public keys inside certificates). */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C

/* RSA for RSA certificate chains (2048-bit and up) and for the ECDHE-RSA
 * key exchange; PKCS#1 v1.5 is the signature scheme of TLS 1.2 and of
 * nearly all RSA certificates. */
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15

/* Elliptic curves: ECDHE key agreement and ECDSA signatures over P-256 and
 * P-384, the curves public CAs and MX servers actually use. NIST_OPTIM
 * gives the fast modular reduction for these two curves. */
#define MBEDTLS_ECP_C
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM

/* ------------------------------------------------- ASN.1, PEM, X.509 -- */

/* DER parsing for certificates and keys; the writer is needed by ECDSA
 * (signatures are DER-encoded); OIDs name algorithms and extensions. */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C

/* PEM input: trust anchors and test certificates come as PEM text. */
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C

/* Certificate parsing and chain verification, with key-usage and
 * extended-key-usage checks (a CA-only or client-only certificate must not
 * pass as a server certificate). */
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CHECK_KEY_USAGE
#define MBEDTLS_X509_CHECK_EXTENDED_KEY_USAGE

/* ------------------------------------------------------------- TLS ---- */

/* TLS core, client (smtpc) and server (simulator peers). */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_SRV_C

/* TLS 1.2, the protocol smtpc speaks (RFC 8996 deprecates 1.0/1.1). */
#define MBEDTLS_SSL_PROTO_TLS1_2

/* LEGACY (see top): TLS 1.1 only so the simulator can offer it and check
 * the client refuses. mbedTLS forbids 1.0+1.2 without 1.1, so 1.1 is the
 * oldest version that can sit next to 1.2 here. */
#define MBEDTLS_SSL_PROTO_TLS1_1

/* Forward-secret key exchanges the client offers: ECDHE with an ECDSA or an
 * RSA certificate. */
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED

/* LEGACY (see top): static RSA key exchange (no forward secrecy), only for
 * the weak-server simulator role. */
#define MBEDTLS_KEY_EXCHANGE_RSA_ENABLED

/* SNI: the client names the MX host it wants (many MX hosts serve several
 * domains), and simulator servers pick a certificate by name. */
#define MBEDTLS_SSL_SERVER_NAME_INDICATION

/* RFC 7627 extended master secret (prevents triple-handshake attacks) and
 * RFC 7366 encrypt-then-MAC (only matters for the legacy CBC suites). */
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_ENCRYPT_THEN_MAC

/* Full alert set, so a refused handshake tells the peer why (and the
 * simulator's logs show it). Costs a few bytes of code. */
#define MBEDTLS_SSL_ALL_ALERT_MESSAGES

/* Renegotiation stays off (MBEDTLS_SSL_RENEGOTIATION undefined): SMTP never
 * needs it and it is a classic attack surface. Likewise no session tickets,
 * session cache, DTLS, PSK or context serialisation: one short-lived
 * connection per mail, nothing to resume. */

/* The peer certificate is verified during the handshake and then dropped
 * (only its digest is kept): saves a parsed chain in the arena for the whole
 * session. Verification results stay available via
 * mbedtls_ssl_get_verify_result(). */
/* (MBEDTLS_SSL_KEEP_PEER_CERTIFICATE left undefined.) */

/* Error strings for mbedtls_strerror(): host logs and test output. A device
 * build drops it to save flash. */
#define MBEDTLS_ERROR_C

/* ---------------------------------------------------- sizes (arena) -- */

/* Incoming records: 16384 bytes of plaintext, the TLS maximum. An MX server
 * may send full-size records and rarely negotiates max_fragment_length, so
 * anything smaller breaks interoperability (ARCHITECTURE §6). */
#define MBEDTLS_SSL_MAX_CONTENT_LEN 16384
#define MBEDTLS_SSL_IN_CONTENT_LEN  16384

/* Outgoing records: we choose what we send (SMTP lines, message chunks),
 * so a 4 KB record buffer is enough and saves 12 KB per connection.
 * Simulator servers share it: their Certificate message (leaf only, trust
 * anchor not sent) must fit in 4 KB, which test chains do. */
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096

/* Upper bound for RSA: 4096-bit moduli (RSA root CAs are often 4096-bit). */
#define MBEDTLS_MPI_MAX_SIZE 512

/* Smaller exponentiation / scalar-multiplication windows and no cached
 * fixed-point tables: slower, but far less arena during RSA verification
 * and ECDHE, the handshake's peak. Same values as a device. */
#define MBEDTLS_MPI_WINDOW_SIZE       2
#define MBEDTLS_ECP_WINDOW_SIZE       2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0

/* Largest curve compiled in is P-384. */
#define MBEDTLS_ECP_MAX_BITS 384

/* Smaller code for the hashes (loops instead of unrolled rounds). */
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_SHA512_SMALLER

/* Rejects any combination mbedTLS cannot build. */
#include "mbedtls/check_config.h"

#endif /* SMTPC_BOARD_HOST_MBEDTLS_CONFIG_H */
