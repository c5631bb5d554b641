/**
 * @file err.h
 * @brief smtpc error codes.
 *
 * Every function of smtpc that can fail returns an ::smtpc_err_t: 0 is success,
 * ::SMTPC_IN_PROGRESS (the only positive value) means "not finished, call again",
 * and every error is negative, grouped in ranges by area. Each name states a
 * cause; smtpc_strerror() returns that name as a string (always compiled in,
 * a few hundred bytes of flash).
 */
#ifndef SMTPC_ERR_H
#define SMTPC_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

/* X-macro list: name, value. Keep the ranges of ARCHITECTURE §9. */
#define SMTPC_ERR_LIST(X)                                                                          \
    X(OK, 0)                                                                                       \
    X(IN_PROGRESS, 1)                                                                              \
    /* -1..-19 general */                                                                          \
    X(ERR_BAD_ARG, -1)                                                                             \
    X(ERR_NO_SPACE, -2)                                                                            \
    X(ERR_STATE, -3)                                                                               \
    X(ERR_TIMEOUT, -4)                                                                             \
    X(ERR_ABORTED, -5)                                                                             \
    X(ERR_BODY_SOURCE, -6)                                                                         \
    X(ERR_NO_REWIND, -7)                                                                           \
    X(ERR_INTERNAL, -8)                                                                            \
    X(ERR_TOO_MANY_RCPT, -9)                                                                       \
    X(ERR_BAD_ADDRESS, -10)                                                                        \
    X(ERR_NOT_FOUND, -11)                                                                          \
    /* -20..-39 network */                                                                         \
    X(ERR_NET_CONNECT, -20)                                                                        \
    X(ERR_NET_CLOSED, -21)                                                                         \
    X(ERR_NET_IO, -22)                                                                             \
    X(ERR_NET_RESOLVE, -23)                                                                        \
    X(ERR_NET_NO_MEMORY, -24)                                                                      \
    /* -40..-59 TLS */                                                                             \
    X(ERR_TLS_HANDSHAKE, -40)                                                                      \
    X(ERR_TLS_CERT_UNTRUSTED, -41)                                                                 \
    X(ERR_TLS_CERT_HOSTNAME, -42)                                                                  \
    X(ERR_TLS_CERT_EXPIRED, -43)                                                                   \
    X(ERR_TLS_CERT_OTHER, -44)                                                                     \
    X(ERR_TLS_VERSION, -45)                                                                        \
    X(ERR_TLS_NO_MEMORY, -46)                                                                      \
    X(ERR_TLS_IO, -47)                                                                             \
    X(ERR_TLS_CONFIG, -48)                                                                         \
    X(ERR_TLS_CIPHER, -49)                                                                         \
    X(ERR_TLS_CERT_NOT_YET_VALID, -50)                                                             \
    /* -60..-99 SMTP */                                                                            \
    X(ERR_REPLY_SYNTAX, -60)                                                                       \
    X(ERR_REPLY_LINE_TOO_LONG, -61)                                                                \
    X(ERR_REPLY_TOO_MANY_LINES, -62)                                                               \
    X(ERR_REPLY_CODE_MISMATCH, -63)                                                                \
    X(ERR_SMTP_GREETING, -64)                                                                      \
    X(ERR_SMTP_REJECTED, -65)                                                                      \
    X(ERR_STARTTLS_REQUIRED, -66)                                                                  \
    X(ERR_STARTTLS_REFUSED, -67)                                                                   \
    X(ERR_STARTTLS_INJECTION, -68)                                                                 \
    X(ERR_AUTH_FAILED, -69)                                                                        \
    X(ERR_AUTH_NEEDS_TLS, -70)                                                                     \
    X(ERR_AUTH_UNSUPPORTED, -71)                                                                   \
    X(ERR_BODY_LINE_TOO_LONG, -72)                                                                 \
    X(ERR_RCPT_ALL_REJECTED, -73)                                                                  \
    X(ERR_RCPT_SOME_REJECTED, -74)                                                                 \
    X(ERR_MSG_TOO_BIG, -75)                                                                        \
    X(ERR_8BITMIME_UNSUPPORTED, -76)                                                               \
    X(ERR_SMTPUTF8_UNSUPPORTED, -77)                                                               \
    X(ERR_EHLO_REJECTED, -78)                                                                      \
    X(ERR_MAIL_REJECTED, -79)                                                                      \
    X(ERR_DATA_REJECTED, -80)                                                                      \
    X(ERR_MSG_REJECTED, -81)                                                                       \
    X(ERR_SMTP_UNEXPECTED, -82)                                                                    \
    X(ERR_PLAINTEXT_FORBIDDEN, -83)                                                                \
    /* -100..-129 MTA-STS */                                                                       \
    X(ERR_STS_TXT_INVALID, -100)                                                                   \
    X(ERR_STS_POLICY_INVALID, -101)                                                                \
    X(ERR_STS_FETCH, -102)                                                                         \
    X(ERR_STS_MX_NOT_ALLOWED, -103)                                                                \
    X(ERR_STS_NO_VALID_MX, -104)                                                                   \
    /* -130..-149 DNS */                                                                           \
    X(ERR_DNS_FORMAT, -130)                                                                        \
    X(ERR_DNS_NXDOMAIN, -131)                                                                      \
    X(ERR_DNS_TRUNCATED, -132)                                                                     \
    X(ERR_DNS_NULL_MX, -133)                                                                       \
    X(ERR_DNS_SERVFAIL, -134)                                                                      \
    X(ERR_DNS_NODATA, -135)                                                                        \
    X(ERR_DNS_TIMEOUT, -136)                                                                       \
    X(ERR_DNS_REFUSED, -137)                                                                       \
    /* -150..-169 HTTP */                                                                          \
    X(ERR_HTTP_STATUS, -150)                                                                       \
    X(ERR_HTTP_REDIRECT, -151)                                                                     \
    X(ERR_HTTP_TYPE, -152)                                                                         \
    X(ERR_HTTP_TOO_LARGE, -153)                                                                    \
    X(ERR_HTTP_SYNTAX, -154)                                                                       \
    /* -170..-189 cache / flash */                                                                 \
    X(ERR_FLASH_IO, -170)                                                                          \
    X(ERR_CACHE_CORRUPT, -171)                                                                     \
    X(ERR_CACHE_FULL, -172)                                                                        \
    /* -190..-199 TLS-RPT */                                                                       \
    X(ERR_TLSRPT_OVERFLOW, -190)                                                                   \
    X(ERR_TLSRPT_TXT_INVALID, -191)                                                                \
    X(ERR_TLSRPT_DELIVERY, -192)

/** Error and status codes. */
typedef enum {
#define SMTPC_ERR_ENUM_(name, val) SMTPC_##name = (val),
    SMTPC_ERR_LIST(SMTPC_ERR_ENUM_)
#undef SMTPC_ERR_ENUM_
        SMTPC_ERR_MIN_ = -255
} smtpc_err_t;

/**
 * @brief Name of an error code, e.g. "SMTPC_ERR_STARTTLS_REQUIRED".
 * @param[in] err Any value; unknown values give "SMTPC_ERR_UNKNOWN".
 * @return A static NUL-terminated string. Never NULL. Any context.
 */
const char *smtpc_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_ERR_H */
