/**
 * @file smtpc_mbedtls.c
 * @brief ::smtpc_tls_ops_t over any smtpc stream, with mbedTLS (2.28; 3.x behind
 *        MBEDTLS_VERSION_NUMBER checks).
 */
#include "smtpc_mbedtls.h"

#include <limits.h>
#include <string.h>

#include "mbedtls/version.h"
#include "mbedtls/asn1.h"
#include "mbedtls/bignum.h"
#include "mbedtls/cipher.h"
#include "mbedtls/ecp.h"
#include "mbedtls/error.h"
#include "mbedtls/md.h"
#include "mbedtls/pem.h"
#include "mbedtls/pk.h"
#include "mbedtls/net_sockets.h" /* MBEDTLS_ERR_NET_* codes only; no socket is used */
#include "mbedtls/ssl_ciphersuites.h"
#include "mbedtls/x509.h"
#if defined(MBEDTLS_DEBUG_C)
#include "mbedtls/debug.h"
#include "mbedtls/platform.h"
#endif
#if defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C)
#include "mbedtls/memory_buffer_alloc.h"
#endif
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
#include "psa/crypto.h"
#endif

#include "smtpc/err.h"

/* mbedTLS 3 made the context fields private; 2.28 has no MBEDTLS_PRIVATE. */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define MBX_FIELD(f)             MBEDTLS_PRIVATE(f)
#define MBX_ERR_PROTOCOL_VERSION MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION
#else
#define MBX_FIELD(f)             f
#define MBX_ERR_PROTOCOL_VERSION MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION
#endif

/* flags */
#define MBX_INITED    0x01u /* contexts initialised: free() has work to do */
#define MBX_STARTED   0x02u /* ssl context set up for a session */
#define MBX_HS_DONE   0x04u /* handshake completed */
#define MBX_NO_NOTIFY 0x08u /* do not send close_notify at end() */
#define MBX_CERT_SEEN 0x10u /* the peer's chain went through verification */

/* Personalisation string of the DRBG (NIST SP 800-90A: distinguishes users). */
static const unsigned char mbx_pers[] = "smtpc tls";

/* Preference order: ECDSA before RSA (smaller, faster on small CPUs), AES-128
 * before AES-256 (AES-GCM has hardware help on most parts that matter), then
 * ChaCha20 for parts without it. All are AEAD with ephemeral ECDH. */
static const int mbx_suites_wanted[] = {
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_SSL_PROTO_TLS1_3)
    MBEDTLS_TLS1_3_AES_128_GCM_SHA256,
    MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
    MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,
#endif
};
#define MBX_N_SUITES (sizeof(mbx_suites_wanted) / sizeof(mbx_suites_wanted[0]))

/* Key exchange groups: X25519 first, then the NIST curves servers commonly
 * insist on. Anything smaller than 256 bits is left out. */
#if MBEDTLS_VERSION_NUMBER >= 0x03010000
static const uint16_t mbx_groups_wanted[] = {
    MBEDTLS_SSL_IANA_TLS_GROUP_X25519,
    MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1,
    MBEDTLS_SSL_IANA_TLS_GROUP_SECP384R1,
};
#else
static const mbedtls_ecp_group_id mbx_groups_wanted[] = {
    MBEDTLS_ECP_DP_CURVE25519,
    MBEDTLS_ECP_DP_SECP256R1,
    MBEDTLS_ECP_DP_SECP384R1,
};
#endif
#define MBX_N_GROUPS (sizeof(mbx_groups_wanted) / sizeof(mbx_groups_wanted[0]))

/* Compile-time check (C99 has no static_assert): the arrays in smtpc_mbedtls_t
 * must hold every wanted entry plus the terminator. */
typedef char mbx_suites_fit[(MBX_N_SUITES <= SMTPC_MBEDTLS_SUITES_MAX) ? 1 : -1];
typedef char mbx_groups_fit[(MBX_N_GROUPS <= SMTPC_MBEDTLS_GROUPS_MAX) ? 1 : -1];

/* ------------------------------------------------------------ helpers ---- */

/* mbedTLS 2.x composes a high-level and a low-level code by addition. */
static int mbx_is_alloc_error(int ret)
{
    int hi, lo;

    if (ret >= 0) {
        return 0;
    }
    hi = -((-ret) & 0xFF80);
    lo = -((-ret) & 0x007F);
    return hi == MBEDTLS_ERR_SSL_ALLOC_FAILED || hi == MBEDTLS_ERR_X509_ALLOC_FAILED ||
           hi == MBEDTLS_ERR_PK_ALLOC_FAILED || hi == MBEDTLS_ERR_ECP_ALLOC_FAILED ||
           hi == MBEDTLS_ERR_CIPHER_ALLOC_FAILED || hi == MBEDTLS_ERR_MD_ALLOC_FAILED ||
           hi == MBEDTLS_ERR_PEM_ALLOC_FAILED || lo == MBEDTLS_ERR_MPI_ALLOC_FAILED ||
           lo == MBEDTLS_ERR_ASN1_ALLOC_FAILED;
}

/* Verification flags to a verdict. The order is the contract: a chain that is
 * both untrusted and expired reports "untrusted" (an attacker can always make
 * a certificate with fresh dates, so trust is the root cause). */
static smtpc_cert_verdict_t mbx_verdict_of(uint32_t flags)
{
    if (flags == 0) {
        return SMTPC_CERT_OK;
    }
    if (flags == UINT32_MAX || (flags & MBEDTLS_X509_BADCERT_SKIP_VERIFY) != 0) {
        return SMTPC_CERT_NOT_CHECKED;
    }
    if ((flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) != 0) {
        return SMTPC_CERT_UNTRUSTED;
    }
    if ((flags & MBEDTLS_X509_BADCERT_EXPIRED) != 0) {
        return SMTPC_CERT_EXPIRED;
    }
    if ((flags & MBEDTLS_X509_BADCERT_FUTURE) != 0) {
        return SMTPC_CERT_NOT_YET_VALID;
    }
    if ((flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) != 0) {
        return SMTPC_CERT_HOSTNAME;
    }
    return SMTPC_CERT_OTHER;
}

static int mbx_cert_error(smtpc_cert_verdict_t v)
{
    switch (v) {
    case SMTPC_CERT_UNTRUSTED:
        return SMTPC_ERR_TLS_CERT_UNTRUSTED;
    case SMTPC_CERT_EXPIRED:
        return SMTPC_ERR_TLS_CERT_EXPIRED;
    case SMTPC_CERT_NOT_YET_VALID:
        return SMTPC_ERR_TLS_CERT_NOT_YET_VALID;
    case SMTPC_CERT_HOSTNAME:
        return SMTPC_ERR_TLS_CERT_HOSTNAME;
    default:
        return SMTPC_ERR_TLS_CERT_OTHER;
    }
}

/* mbedTLS reports 0 ("no flags") until a certificate arrives, so a handshake
 * that failed earlier would look verified. The verify callback runs once per
 * certificate of the chain, which tells the two apart. */
static int mbx_verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    smtpc_mbedtls_t *t = (smtpc_mbedtls_t *)ctx;

    (void)crt;
    (void)depth;
    (void)flags;
    t->flags |= MBX_CERT_SEEN;
    return 0;
}

static void mbx_update_verdict(smtpc_mbedtls_t *t)
{
    if ((t->flags & MBX_CERT_SEEN) != 0) {
        t->verdict = (uint8_t)mbx_verdict_of(mbedtls_ssl_get_verify_result(&t->ssl));
    }
}

/* The description byte of a fatal alert the peer sent, or -1. mbedTLS keeps
 * the alert record in in_msg when it returns FATAL_ALERT_MESSAGE and offers no
 * accessor for it. */
static int mbx_peer_alert(const smtpc_mbedtls_t *t)
{
    const unsigned char *msg = t->ssl.MBX_FIELD(in_msg);

    if (msg == NULL || t->ssl.MBX_FIELD(in_msglen) < 2) {
        return -1;
    }
    return msg[1];
}

/* Errors from reading or writing records (shared by handshake and stream). */
static int mbx_io_error(const smtpc_mbedtls_t *t, int ret)
{
    if (ret == MBEDTLS_ERR_NET_CONN_RESET || ret == MBEDTLS_ERR_NET_RECV_FAILED ||
        ret == MBEDTLS_ERR_NET_SEND_FAILED) {
        return t->under_err == SMTPC_ERR_NET_CLOSED ? SMTPC_ERR_NET_CLOSED : SMTPC_ERR_TLS_IO;
    }
    if (ret == MBEDTLS_ERR_SSL_CONN_EOF || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
        return SMTPC_ERR_NET_CLOSED;
    }
    if (mbx_is_alloc_error(ret)) {
        return SMTPC_ERR_TLS_NO_MEMORY;
    }
    return 0;
}

static int mbx_handshake_error(smtpc_mbedtls_t *t, int ret)
{
    int err = mbx_io_error(t, ret);

    if (err != 0) {
        return err;
    }
    if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
        return mbx_cert_error((smtpc_cert_verdict_t)t->verdict);
    }
    if (ret == MBEDTLS_ERR_SSL_CA_CHAIN_REQUIRED) {
        /* REQUIRED without any trust anchor: nothing can be trusted. */
        t->verdict = SMTPC_CERT_UNTRUSTED;
        return SMTPC_ERR_TLS_CERT_UNTRUSTED;
    }
    if (ret == MBX_ERR_PROTOCOL_VERSION) {
        return SMTPC_ERR_TLS_VERSION;
    }
    if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
        switch (mbx_peer_alert(t)) {
        case MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION:
            return SMTPC_ERR_TLS_VERSION;
        /* What a server sends when nothing we offer is acceptable to it: no
         * shared suite (RFC 5246), also no shared group or signature
         * algorithm, which is the same problem for the operator. */
        case MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE:
        case MBEDTLS_SSL_ALERT_MSG_INSUFFICIENT_SECURITY:
            return SMTPC_ERR_TLS_CIPHER;
        default:
            return SMTPC_ERR_TLS_HANDSHAKE;
        }
    }
    return SMTPC_ERR_TLS_HANDSHAKE;
}

/* ------------------------------------------------------------ bio ----------- */

/* The record layer's view of the under stream: smtpc's 0 ("would block")
 * becomes WANT_READ / WANT_WRITE, and errors become the NET codes mbedTLS
 * treats as fatal; the smtpc cause is kept in under_err for the mapping back. */
static int mbx_bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    smtpc_mbedtls_t *t = (smtpc_mbedtls_t *)ctx;
    int32_t n;

    if (len > (size_t)INT_MAX) {
        len = (size_t)INT_MAX;
    }
    n = t->under.ops->send(t->under.ctx, buf, len);
    if (n == 0) {
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    }
    if (n > 0 && (size_t)n <= len) {
        return (int)n;
    }
    t->under_err = n > 0 ? SMTPC_ERR_NET_IO : n;
    return n == SMTPC_ERR_NET_CLOSED ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int mbx_bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    smtpc_mbedtls_t *t = (smtpc_mbedtls_t *)ctx;
    int32_t n;

    if (len > (size_t)INT_MAX) {
        len = (size_t)INT_MAX;
    }
    n = t->under.ops->recv(t->under.ctx, buf, len);
    if (n == 0) {
        return MBEDTLS_ERR_SSL_WANT_READ;
    }
    if (n > 0 && (size_t)n <= len) {
        return (int)n;
    }
    t->under_err = n > 0 ? SMTPC_ERR_NET_IO : n;
    return n == SMTPC_ERR_NET_CLOSED ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
}

static int mbx_entropy_source(void *ctx, unsigned char *out, size_t len, size_t *olen)
{
    const smtpc_mbedtls_t *t = (const smtpc_mbedtls_t *)ctx;

    *olen = 0;
    if (t->rng->fill(t->rng_ctx, out, len) != SMTPC_OK) {
        return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
    }
    *olen = len;
    return 0;
}

#if defined(MBEDTLS_DEBUG_C)
static void mbx_debug(void *ctx, int level, const char *file, int line, const char *msg)
{
    (void)ctx;
    mbedtls_printf("smtpc tls %d %s:%d: %s", level, file, line, msg);
}
#endif

/* ------------------------------------------------------------ init ---------- */

static int mbx_load_cas(smtpc_mbedtls_t *t, const smtpc_mbedtls_cfg_t *cfg)
{
    int ret;

    if (cfg->ca_file != NULL) {
#if defined(MBEDTLS_FS_IO)
        /* A positive result counts certificates that failed to parse: system
         * bundles carry a few that mbedTLS does not support, which is fine as
         * long as some did parse. */
        ret = mbedtls_x509_crt_parse_file(&t->cacert, cfg->ca_file);
        if (ret < 0) {
            return mbx_is_alloc_error(ret) ? SMTPC_ERR_TLS_NO_MEMORY : SMTPC_ERR_TLS_CONFIG;
        }
#else
        return SMTPC_ERR_TLS_CONFIG;
#endif
    }
    if (cfg->ca_pem != NULL) {
        ret = mbedtls_x509_crt_parse(&t->cacert, cfg->ca_pem, cfg->ca_pem_len);
        if (ret < 0) {
            return mbx_is_alloc_error(ret) ? SMTPC_ERR_TLS_NO_MEMORY : SMTPC_ERR_TLS_CONFIG;
        }
    }
    if ((cfg->ca_file != NULL || cfg->ca_pem != NULL) && t->cacert.version == 0) {
        return SMTPC_ERR_TLS_CONFIG; /* sources given, none parsed */
    }
    if (t->cacert.version != 0) {
        mbedtls_ssl_conf_ca_chain(&t->conf, &t->cacert, NULL);
    }
    return SMTPC_OK;
}

static int mbx_seed(smtpc_mbedtls_t *t, const smtpc_mbedtls_cfg_t *cfg)
{
    int ret;

    if (cfg->rng != NULL) {
        if (cfg->rng->fill == NULL) {
            return SMTPC_ERR_BAD_ARG;
        }
        t->rng = cfg->rng;
        t->rng_ctx = cfg->rng_ctx;
        ret = mbedtls_entropy_add_source(&t->entropy, mbx_entropy_source, t, 32,
                                         MBEDTLS_ENTROPY_SOURCE_STRONG);
        if (ret != 0) {
            return SMTPC_ERR_TLS_CONFIG;
        }
    }
    ret = mbedtls_ctr_drbg_seed(&t->ctr_drbg, mbedtls_entropy_func, &t->entropy, mbx_pers,
                                sizeof(mbx_pers) - 1);
    if (ret != 0) {
        return mbx_is_alloc_error(ret) ? SMTPC_ERR_TLS_NO_MEMORY : SMTPC_ERR_TLS_CONFIG;
    }
    mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->ctr_drbg);
    return SMTPC_OK;
}

/* Offer only what the linked library really implements. */
static int mbx_conf_algorithms(smtpc_mbedtls_t *t)
{
    size_t i, n = 0, g = 0;

    for (i = 0; i < MBX_N_SUITES; i++) {
        if (mbedtls_ssl_ciphersuite_from_id(mbx_suites_wanted[i]) != NULL) {
            t->suites[n++] = mbx_suites_wanted[i];
        }
    }
    t->suites[n] = 0;
    if (n == 0) {
        return SMTPC_ERR_TLS_CONFIG;
    }
    mbedtls_ssl_conf_ciphersuites(&t->conf, t->suites);

#if MBEDTLS_VERSION_NUMBER >= 0x03010000
    for (i = 0; i < MBX_N_GROUPS; i++) {
        const mbedtls_ecp_curve_info *ci = mbedtls_ecp_curve_info_from_tls_id(mbx_groups_wanted[i]);
        if (ci != NULL) {
            t->groups[g++] = mbx_groups_wanted[i];
        }
    }
    t->groups[g] = 0;
    if (g == 0) {
        return SMTPC_ERR_TLS_CONFIG;
    }
    mbedtls_ssl_conf_groups(&t->conf, t->groups);
#else
    for (i = 0; i < MBX_N_GROUPS; i++) {
        if (mbedtls_ecp_curve_info_from_grp_id(mbx_groups_wanted[i]) != NULL) {
            t->groups[g++] = mbx_groups_wanted[i];
        }
    }
    t->groups[g] = MBEDTLS_ECP_DP_NONE;
    if (g == 0) {
        return SMTPC_ERR_TLS_CONFIG;
    }
    mbedtls_ssl_conf_curves(&t->conf, t->groups);
#endif
    return SMTPC_OK;
}

static int mbx_conf(smtpc_mbedtls_t *t, const smtpc_mbedtls_cfg_t *cfg)
{
    int ret;

#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
    /* mbedTLS 3 runs TLS 1.3 and parts of 1.2 through PSA, which the
     * application must start; repeated calls are harmless. */
    if (psa_crypto_init() != PSA_SUCCESS) {
        return SMTPC_ERR_TLS_CONFIG;
    }
#endif
    ret = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                      MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0) {
        return SMTPC_ERR_TLS_CONFIG;
    }
#if MBEDTLS_VERSION_NUMBER >= 0x03020000
    mbedtls_ssl_conf_min_tls_version(&t->conf, MBEDTLS_SSL_VERSION_TLS1_2);
#else
    /* 3,3 is TLS 1.2; TLS 1.0/1.1 are deprecated by RFC 8996. 2.28 has no TLS
     * 1.3 client, so 1.2 is also the maximum there. */
    mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
#endif
#if defined(MBEDTLS_SSL_RENEGOTIATION)
    mbedtls_ssl_conf_renegotiation(&t->conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
#endif
#if defined(MBEDTLS_SSL_SESSION_TICKETS) && defined(MBEDTLS_SSL_CLI_C)
    /* One session per connection: a ticket would only cost RAM. */
    mbedtls_ssl_conf_session_tickets(&t->conf, MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
#endif
    mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_verify(&t->conf, mbx_verify_cb, t);
#if defined(MBEDTLS_DEBUG_C)
    if (cfg->debug_level > 0) {
        mbedtls_ssl_conf_dbg(&t->conf, mbx_debug, NULL);
        mbedtls_debug_set_threshold(cfg->debug_level > 4 ? 4 : (int)cfg->debug_level);
    }
#else
    (void)cfg;
#endif
    return mbx_conf_algorithms(t);
}

int smtpc_mbedtls_init(smtpc_mbedtls_t *t, const smtpc_mbedtls_cfg_t *cfg)
{
    int err;

    if (t == NULL || cfg == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    memset(t, 0, sizeof(*t));
    mbedtls_ssl_config_init(&t->conf);
    mbedtls_x509_crt_init(&t->cacert);
    mbedtls_entropy_init(&t->entropy);
    mbedtls_ctr_drbg_init(&t->ctr_drbg);
    t->flags = MBX_INITED;

    err = mbx_conf(t, cfg);
    if (err == SMTPC_OK) {
        err = mbx_seed(t, cfg);
    }
    if (err == SMTPC_OK) {
        err = mbx_load_cas(t, cfg);
    }
    if (err != SMTPC_OK) {
        smtpc_mbedtls_free(t);
    }
    return err;
}

/* ------------------------------------------------------------ session ------- */

static void mbx_end(void *ctx)
{
    smtpc_mbedtls_t *t = (smtpc_mbedtls_t *)ctx;

    if (t == NULL || (t->flags & MBX_STARTED) == 0) {
        return;
    }
    /* One attempt: the peer gets the alert if the transport takes it now.
     * Waiting for it would add a blocking path for no security benefit, since
     * SMTP frames its own end (QUIT). Not after a failure: the session state is
     * not trustworthy and mbedTLS already sent any fatal alert. */
    if ((t->flags & (MBX_HS_DONE | MBX_NO_NOTIFY)) == MBX_HS_DONE) {
        (void)mbedtls_ssl_close_notify(&t->ssl);
    }
    mbedtls_ssl_free(&t->ssl);
    t->flags = (uint8_t)(t->flags & ~(MBX_STARTED | MBX_HS_DONE | MBX_NO_NOTIFY | MBX_CERT_SEEN));
    t->under.ops = NULL;
    t->under.ctx = NULL;
    t->err = 0;
    t->under_err = 0;
    t->pending_len = 0;
    t->want = 0;
}

static int mbx_start(void *ctx, const smtpc_stream_t *under, const char *sni_host,
                     smtpc_verify_t verify)
{
    smtpc_mbedtls_t *t = (smtpc_mbedtls_t *)ctx;
    int ret, mode;

    if (t == NULL || under == NULL || under->ops == NULL || under->ops->send == NULL ||
        under->ops->recv == NULL || (sni_host == NULL && verify != SMTPC_VERIFY_NONE)) {
        return SMTPC_ERR_BAD_ARG;
    }
    if ((t->flags & MBX_INITED) == 0 || (t->flags & MBX_STARTED) != 0) {
        return SMTPC_ERR_STATE;
    }
    switch (verify) {
    case SMTPC_VERIFY_NONE:
        mode = MBEDTLS_SSL_VERIFY_NONE;
        break;
    case SMTPC_VERIFY_OPTIONAL:
        mode = MBEDTLS_SSL_VERIFY_OPTIONAL;
        break;
    case SMTPC_VERIFY_REQUIRED:
        mode = MBEDTLS_SSL_VERIFY_REQUIRED;
        break;
    default:
        return SMTPC_ERR_BAD_ARG;
    }
    /* The configuration is shared by nothing else while no session runs, so
     * the per-session verify mode can be set on it. */
    mbedtls_ssl_conf_authmode(&t->conf, mode);

    t->verdict = SMTPC_CERT_NOT_CHECKED;
    t->err = 0;
    t->under_err = 0;
    t->pending_len = 0;
    t->want = 0;
    t->under = *under;
    mbedtls_ssl_init(&t->ssl);
    t->flags |= MBX_STARTED;
    ret = mbedtls_ssl_setup(&t->ssl, &t->conf);
    if (ret == 0 && sni_host != NULL) {
        ret = mbedtls_ssl_set_hostname(&t->ssl, sni_host);
    }
    if (ret != 0) {
        t->flags |= MBX_NO_NOTIFY;
        mbx_end(t);
        if (mbx_is_alloc_error(ret)) {
            return SMTPC_ERR_TLS_NO_MEMORY;
        }
        return ret == MBEDTLS_ERR_SSL_BAD_INPUT_DATA ? SMTPC_ERR_BAD_ARG : SMTPC_ERR_TLS_CONFIG;
    }
    mbedtls_ssl_set_bio(&t->ssl, t, mbx_bio_send, mbx_bio_recv, NULL);
    return SMTPC_OK;
}

static int mbx_handshake(void *ctx, unsigned *wants)
{
    smtpc_mbedtls_t *t = (smtpc_mbedtls_t *)ctx;
    int ret;

    if (wants != NULL) {
        *wants = 0;
    }
    if (t == NULL || (t->flags & MBX_STARTED) == 0) {
        return SMTPC_ERR_STATE;
    }
    if (t->err != 0) {
        return t->err;
    }
    if ((t->flags & MBX_HS_DONE) != 0) {
        return SMTPC_OK;
    }
    ret = mbedtls_ssl_handshake(&t->ssl);
    if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
        t->want = ret == MBEDTLS_ERR_SSL_WANT_READ ? SMTPC_WANT_READ : SMTPC_WANT_WRITE;
        if (wants != NULL) {
            *wants = t->want;
        }
        return SMTPC_IN_PROGRESS;
    }
    t->want = 0;
    mbx_update_verdict(t);
    if (ret == 0) {
        t->flags |= MBX_HS_DONE;
        return SMTPC_OK;
    }
    t->err = mbx_handshake_error(t, ret);
    t->flags |= MBX_NO_NOTIFY;
    return t->err;
}

/* Stream ops after the handshake. */
static int mbx_stream_ready(const smtpc_mbedtls_t *t)
{
    if (t == NULL || (t->flags & MBX_HS_DONE) == 0) {
        return SMTPC_ERR_STATE;
    }
    return t->err;
}

static int32_t mbx_stream_fail(smtpc_mbedtls_t *t, int ret)
{
    int err = mbx_io_error(t, ret);

    t->err = err != 0 && err != SMTPC_ERR_TLS_NO_MEMORY ? err : SMTPC_ERR_TLS_IO;
    if (t->err == SMTPC_ERR_NET_CLOSED && ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
        return t->err; /* orderly: our close_notify may still answer it */
    }
    t->flags |= MBX_NO_NOTIFY;
    return t->err;
}

static int32_t mbx_send(void *ctx, const uint8_t *buf, size_t len)
{
    smtpc_mbedtls_t *t = (smtpc_mbedtls_t *)ctx;
    int ret = mbx_stream_ready(t);

    if (ret != 0) {
        return ret;
    }
    if (buf == NULL && len > 0) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (len > (size_t)INT32_MAX) {
        len = (size_t)INT32_MAX;
    }
    /* After WANT_WRITE, mbedTLS has already encrypted a record from the first
     * pending_len bytes and only flushes it on the next call; it then reports
     * the length of that call. Offer exactly the pending prefix so the count
     * returned is the count encrypted. */
    if (t->pending_len != 0 && len > t->pending_len) {
        len = t->pending_len;
    }
    ret = mbedtls_ssl_write(&t->ssl, buf, len);
    if (ret == MBEDTLS_ERR_SSL_WANT_WRITE || ret == MBEDTLS_ERR_SSL_WANT_READ) {
        int max = mbedtls_ssl_get_max_out_record_payload(&t->ssl);
        if (t->pending_len == 0) {
            t->pending_len = (max > 0 && len > (size_t)max) ? (size_t)max : len;
        }
        t->want = ret == MBEDTLS_ERR_SSL_WANT_READ ? SMTPC_WANT_READ : SMTPC_WANT_WRITE;
        return 0;
    }
    t->want = 0;
    if (ret >= 0) {
        t->pending_len = 0;
        return (int32_t)ret;
    }
    return mbx_stream_fail(t, ret);
}

static int32_t mbx_recv(void *ctx, uint8_t *buf, size_t cap)
{
    smtpc_mbedtls_t *t = (smtpc_mbedtls_t *)ctx;
    int ret = mbx_stream_ready(t);

    if (ret != 0) {
        return ret;
    }
    if (buf == NULL || cap == 0) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (cap > (size_t)INT32_MAX) {
        cap = (size_t)INT32_MAX;
    }
    ret = mbedtls_ssl_read(&t->ssl, buf, cap);
#if defined(MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
    /* TLS 1.3 (mbedTLS 3): a ticket arrived instead of data; nothing to do */
    if (ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
        ret = MBEDTLS_ERR_SSL_WANT_READ;
    }
#endif
    if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
        t->want = ret == MBEDTLS_ERR_SSL_WANT_READ ? SMTPC_WANT_READ : SMTPC_WANT_WRITE;
        return 0;
    }
    t->want = 0;
    if (ret > 0) {
        return (int32_t)ret;
    }
    if (ret == 0) {
        /* The transport ended without close_notify (the bio never returns 0,
         * so only mbedTLS's own EOF path gets here). SMTP frames its own data,
         * so this is a close, not a truncation the caller could miss. */
        t->err = SMTPC_ERR_NET_CLOSED;
        t->flags |= MBX_NO_NOTIFY;
        return t->err;
    }
    return mbx_stream_fail(t, ret);
}

static smtpc_cert_verdict_t mbx_verdict(void *ctx)
{
    const smtpc_mbedtls_t *t = (const smtpc_mbedtls_t *)ctx;

    return t == NULL ? SMTPC_CERT_NOT_CHECKED : (smtpc_cert_verdict_t)t->verdict;
}

const smtpc_tls_ops_t smtpc_mbedtls_tls_ops = {
    .start = mbx_start,
    .handshake = mbx_handshake,
    .stream = {.send = mbx_send, .recv = mbx_recv, .close = mbx_end},
    .verdict = mbx_verdict,
    .end = mbx_end,
};

void smtpc_mbedtls_free(smtpc_mbedtls_t *t)
{
    if (t == NULL || (t->flags & MBX_INITED) == 0) {
        return;
    }
    mbx_end(t);
    mbedtls_ssl_config_free(&t->conf);
    mbedtls_x509_crt_free(&t->cacert);
    mbedtls_ctr_drbg_free(&t->ctr_drbg);
    mbedtls_entropy_free(&t->entropy);
    memset(t, 0, sizeof(*t));
}

unsigned smtpc_mbedtls_wants(const smtpc_mbedtls_t *t)
{
    return t == NULL ? 0u : (unsigned)t->want;
}

int smtpc_mbedtls_pending(const smtpc_mbedtls_t *t)
{
    if (t == NULL || (t->flags & MBX_HS_DONE) == 0) {
        return 0;
    }
    return mbedtls_ssl_get_bytes_avail(&t->ssl) > 0 || mbedtls_ssl_check_pending(&t->ssl) != 0;
}

/* ------------------------------------------------------------ arena --------- */

int smtpc_mbedtls_arena_init(uint8_t *buf, size_t len)
{
#if defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C)
    if (buf == NULL || len == 0) {
        return SMTPC_ERR_BAD_ARG;
    }
    mbedtls_memory_buffer_alloc_init(buf, len);
    return SMTPC_OK;
#else
    (void)buf;
    (void)len;
    return SMTPC_ERR_TLS_CONFIG;
#endif
}

int smtpc_mbedtls_arena_stats(size_t *cur, size_t *peak)
{
#if defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C) && defined(MBEDTLS_MEMORY_DEBUG)
    size_t cur_used, cur_blocks, max_used, max_blocks;

    mbedtls_memory_buffer_alloc_cur_get(&cur_used, &cur_blocks);
    mbedtls_memory_buffer_alloc_max_get(&max_used, &max_blocks);
    if (cur != NULL) {
        *cur = cur_used;
    }
    if (peak != NULL) {
        *peak = max_used;
    }
    return SMTPC_OK;
#else
    (void)cur;
    (void)peak;
    return SMTPC_ERR_TLS_CONFIG;
#endif
}
