/**
 * @file reply.h
 * @brief SMTP reply parser (RFC 5321 §4.2, RFC 3463, RFC 1869 EHLO keywords).
 *
 * A push parser that streams byte by byte: it never holds a whole line, so a
 * small receive buffer is enough and one-byte delivery works the same as
 * bulk delivery. It checks every line (three-digit code in 2xx..5xx, the same
 * code on every line, '-' continuation or ' ' / end of line on the last line,
 * CRLF endings, no NUL), caps the line length (::SMTPC_REPLY_LINE_MAX) and the
 * number of lines (::SMTPC_REPLY_LINES_MAX), extracts the RFC 3463 enhanced
 * status code, keeps an excerpt of the text, and for an EHLO reply extracts
 * the keywords smtpc acts on.
 *
 * Usage: smtpc_reply_begin(), then smtpc_reply_push() until the returned
 * event is ::SMTPC_REPLY_DONE or ::SMTPC_REPLY_ERROR. Bytes after the final
 * line are left unconsumed (the push returns how many it took).
 * Pure code: no I/O, no allocation; any context.
 */
#ifndef SMTPC_REPLY_H
#define SMTPC_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smtpc/err.h"
#include "smtpc/opts.h"

#ifdef __cplusplus
extern "C" {
#endif

/** EHLO capabilities (bit set in smtpc_reply_t::caps). */
#define SMTPC_CAP_STARTTLS            0x0001u
#define SMTPC_CAP_PIPELINING          0x0002u
#define SMTPC_CAP_8BITMIME            0x0004u
#define SMTPC_CAP_SMTPUTF8            0x0008u
#define SMTPC_CAP_SIZE                0x0010u
#define SMTPC_CAP_ENHANCEDSTATUSCODES 0x0020u
#define SMTPC_CAP_AUTH                0x0040u
#define SMTPC_CAP_CHUNKING            0x0080u
/** An unknown 8-letter keyword was seen (the STARTTLS-strip signature when
 *  STARTTLS itself is missing, e.g. "XXXXXXXA"). */
#define SMTPC_CAP_UNKNOWN_8 0x8000u

/** SASL mechanisms (smtpc_reply_t::auth_mechs, smtpc_session_cfg_t::auth_mechs). */
#define SMTPC_AUTH_PLAIN   0x01u
#define SMTPC_AUTH_LOGIN   0x02u
#define SMTPC_AUTH_XOAUTH2 0x04u

/** Parser events. */
typedef enum {
    SMTPC_REPLY_MORE = 0, /**< the reply is not complete: push more bytes */
    SMTPC_REPLY_DONE = 1, /**< a whole reply was parsed */
    SMTPC_REPLY_ERROR = 2 /**< the bytes are not a valid reply; see smtpc_reply_t::err */
} smtpc_reply_event_t;

/** Parser state and the parsed reply. Fields are read-only for the caller. */
typedef struct {
    uint16_t code;     /**< reply code (valid once a line has started) */
    uint8_t enh[3];    /**< RFC 3463 class.subject.detail of the first line, 0.0.0 if none */
    uint8_t event;     /**< ::smtpc_reply_event_t */
    int16_t err;       /**< with ::SMTPC_REPLY_ERROR: the cause */
    uint16_t lines;    /**< lines completed */
    uint16_t text_len; /**< bytes in @ref text */
    char text[SMTPC_REPLY_TEXT_MAX]; /**< text excerpt, lines joined by ' ', not NUL-terminated */
    /* EHLO extraction (only when begun with is_ehlo) */
    uint16_t caps;      /**< SMTPC_CAP_* */
    uint8_t auth_mechs; /**< SMTPC_AUTH_* advertised */
    uint32_t size_max;  /**< SIZE parameter (0: none announced) */
    /* private */
    uint8_t st_;
    uint8_t is_ehlo_;
    uint8_t last_;
    uint8_t wlen_;
    uint8_t widx_;
    uint16_t kw_;
    uint16_t llen_;
    uint16_t code_cur_;
    uint8_t enhbuf_len_;
    char enhbuf_[12];
    char word_[24];
} smtpc_reply_t;

/**
 * @brief Prepare for the next reply.
 * @param is_ehlo true when the reply answers EHLO (keywords are extracted).
 */
void smtpc_reply_begin(smtpc_reply_t *p, bool is_ehlo);

/**
 * @brief Feed received bytes.
 * @param[in,out] p  Parser (smtpc_reply_begin() first).
 * @param[in] data   Bytes from the server; need not be a whole line.
 * @param[in] len    Number of bytes in @p data.
 * @return Bytes consumed (0..len). Stops right after the final LF of a reply
 *         or at the first invalid byte; then p->event says which.
 */
size_t smtpc_reply_push(smtpc_reply_t *p, const uint8_t *data, size_t len);

/** Parse "x.y.z" (RFC 3463) at the start of @p s. Returns bytes used, 0 if none. */
size_t smtpc_enh_parse(const char *s, size_t len, uint8_t out[3]);

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_REPLY_H */
