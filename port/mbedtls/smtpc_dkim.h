/**
 * @file smtpc_dkim.h
 * @brief DKIM signer (RFC 6376) over mbedTLS, for TLS-RPT report mail
 *        (RFC 8460 §3: mailed reports MUST carry a valid DKIM signature of
 *        the reporting domain, without `l=`).
 *
 * Signs a complete RFC 5322 message with rsa-sha256, c=relaxed/relaxed, no
 * l=, and h= listing whichever of From, To, Subject, Date, Message-ID,
 * MIME-Version, Content-Type, TLS-Report-Domain and TLS-Report-Submitter
 * the message has (the last instance of each is signed, RFC 6376 §5.4.2).
 * The result is the folded `DKIM-Signature: ...` field with its CRLF, to be
 * put in front of the message unchanged.
 *
 * Host and port code: mbedTLS allocates through its own allocator (the
 * platform heap, or the static arena of MBEDTLS_MEMORY_BUFFER_ALLOC_C).
 * The RSA blinding uses a CTR_DRBG seeded from the caller's entropy
 * callback, or from mbedtls_entropy when none is given. Targets mbedTLS
 * 2.28; 3.x differences are behind MBEDTLS_VERSION_NUMBER.
 */
#ifndef SMTPC_DKIM_H
#define SMTPC_DKIM_H

#include <stddef.h>
#include <stdint.h>

#include "smtpc/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Entropy source with mbedTLS's f_entropy signature: fill @p out with
 *  @p len bytes, 0 on success. */
typedef int (*smtpc_dkim_entropy_fn)(void *ctx, unsigned char *out, size_t len);

/** Signing parameters. */
typedef struct {
    const char *key_pem;           /**< RSA private key, PEM (PKCS#1 or PKCS#8), NUL-terminated */
    const char *selector;          /**< s= (letters, digits, '-', '_', '.') */
    const char *domain;            /**< d= (letters, digits, '-', '.') */
    uint64_t timestamp;            /**< t= (Unix seconds), 0 to leave t= out */
    smtpc_dkim_entropy_fn entropy; /**< NULL: mbedtls_entropy_func */
    void *entropy_ctx;
} smtpc_dkim_params_t;

/**
 * @brief Sign @p msg (headers, empty line, body; CRLF line ends, bare LF is
 * read as CRLF) and write the DKIM-Signature field into @p out
 * (NUL-terminated, ending in CRLF).
 * @return ::SMTPC_OK with @p out_len; ::SMTPC_ERR_BAD_ARG (bad parameters,
 *         no From field, no header/body separator, a key that is not an
 *         RSA private key); ::SMTPC_ERR_NO_SPACE; ::SMTPC_ERR_INTERNAL (a
 *         mbedTLS failure: RNG seeding, signing).
 */
int smtpc_dkim_sign(const smtpc_dkim_params_t *p, const char *msg, size_t msg_len, char *out,
                    size_t cap, size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_DKIM_H */
