/**
 * @file http.h
 * @brief Minimal HTTP/1.1 client codec for the MTA-STS policy fetch
 *        (RFC 8461 §3.3) and, later, TLS-RPT https reports (RFC 8460 §3).
 *
 * smtpc_http_req_build() writes one request; the response parser is a push
 * parser: feed it whatever bytes arrived, in any split, and it hands the body
 * bytes to a sink callback as they come, so no response is ever held whole.
 *
 * Strict by design (RFC 9112 read as a client that fetches a security
 * policy):
 * - status line `HTTP/1.x SP 3DIGIT SP reason` (the SP before an empty
 *   reason may be missing; a code outside 100..599 is ::SMTPC_ERR_HTTP_SYNTAX);
 *   only 200 succeeds, 3xx is ::SMTPC_ERR_HTTP_REDIRECT (never followed)
 *   except 304, which answers a conditional request smtpc never sends; any
 *   other code is ::SMTPC_ERR_HTTP_STATUS (1xx included: a GET without Expect
 *   gets none); the parse stops at the status line, headers of a refusal are
 *   not read;
 * - header lines end in CRLF (a bare LF is accepted as a line end, a bare CR
 *   is ::SMTPC_ERR_HTTP_SYNTAX); no obsolete line folding; a field name is a
 *   token followed directly by ':'; control characters other than HTAB
 *   (NUL, DEL, ...) in any line are ::SMTPC_ERR_HTTP_SYNTAX; lines longer than
 *   ::SMTPC_HTTP_LINE_MAX or more than ::SMTPC_HTTP_MAX_HEADERS field lines
 *   (header and trailer lines together) are ::SMTPC_ERR_HTTP_SYNTAX;
 * - when required (see smtpc_http_parser_init()), Content-Type must be
 *   present and its media type equal `text/plain` (case-insensitive,
 *   parameters allowed) or ::SMTPC_ERR_HTTP_TYPE;
 * - framing: `Transfer-Encoding: chunked` (any other transfer coding is
 *   ::SMTPC_ERR_HTTP_SYNTAX, and so is Transfer-Encoding in an HTTP/1.0
 *   response; chunked wins over Content-Length), else
 *   Content-Length (digits only, no overflow, repeated values must agree),
 *   else the body ends when the connection closes;
 * - the body cap is enforced while streaming (::SMTPC_ERR_HTTP_TOO_LARGE):
 *   a Content-Length above the cap fails at the end of the header, a chunk
 *   that would take the body beyond it at its chunk-size line, and a
 *   close-delimited body as soon as one byte beyond the cap arrives (the
 *   bytes up to the cap have reached the sink). A body exactly at the cap
 *   is accepted; the sink never receives more than the cap.
 * Pure code: no I/O, no allocation; any context.
 */
#ifndef SMTPC_HTTP_H
#define SMTPC_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "smtpc/err.h"
#include "smtpc/opts.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Body sink: receives body bytes in order (decoded from chunked framing),
 *  never an empty span. Return ::SMTPC_OK to go on; an error code stops the
 *  parse and becomes its result (a positive value becomes
 *  ::SMTPC_ERR_INTERNAL, so ::SMTPC_IN_PROGRESS never sticks). */
typedef int (*smtpc_http_body_fn)(void *arg, const uint8_t *data, size_t len);

/** Response parser state. Caller-owned, ~SMTPC_HTTP_LINE_MAX + 32 bytes. */
typedef struct smtpc_http_parser {
    uint8_t state;
    uint8_t flags;
    uint8_t want_text; /**< Content-Type text/plain required */
    uint16_t status;   /**< status code once the status line is read */
    uint16_t headers;  /**< header lines seen */
    uint16_t line_len;
    uint32_t cap;      /**< body cap */
    uint32_t clen;     /**< Content-Length, when given */
    uint32_t left;     /**< bytes left in the body or the current chunk */
    uint32_t body_len; /**< body bytes delivered so far */
    int status_rc;     /**< sticky result once finished or failed */
    char line[SMTPC_HTTP_LINE_MAX];
} smtpc_http_parser_t;

/**
 * @brief Start parsing one response.
 * @param body_cap  largest body accepted (e.g. ::SMTPC_STS_POLICY_MAX)
 * @param want_text non-zero: Content-Type must be text/plain (RFC 8461 §3.3)
 */
void smtpc_http_parser_init(smtpc_http_parser_t *p, uint32_t body_cap, int want_text);

/**
 * @brief Feed response bytes.
 * @param used set to the bytes consumed (all of @p len unless the response
 *             ended or failed inside the buffer; bytes after the end of a
 *             complete response are not consumed)
 * @param sink body sink, or NULL to discard the body (still capped)
 * @return ::SMTPC_IN_PROGRESS (feed more), ::SMTPC_OK (the response is
 *         complete: status 200, header and whole body seen), or an error:
 *         ::SMTPC_ERR_HTTP_STATUS, ::SMTPC_ERR_HTTP_REDIRECT,
 *         ::SMTPC_ERR_HTTP_TYPE, ::SMTPC_ERR_HTTP_TOO_LARGE,
 *         ::SMTPC_ERR_HTTP_SYNTAX, or the sink's result. Once finished or
 *         failed, later calls return the same result and consume nothing.
 *         ::SMTPC_ERR_BAD_ARG (parser untouched) when @p p or @p used is
 *         NULL, or @p data is NULL with @p len > 0; ::SMTPC_ERR_STATE for a
 *         zeroed parser that smtpc_http_parser_init() never set up.
 */
int smtpc_http_parse(smtpc_http_parser_t *p, const uint8_t *data, size_t len, size_t *used,
                     smtpc_http_body_fn sink, void *arg);

/**
 * @brief The server closed the connection.
 * @return ::SMTPC_OK when that completes the response (a close-delimited
 *         body, or a response already complete), the sticky error if one
 *         was found, else ::SMTPC_ERR_NET_CLOSED (truncated response).
 */
int smtpc_http_parse_eof(smtpc_http_parser_t *p);

/**
 * @brief Build a request:
 * `METHOD path HTTP/1.1\r\nHost: host\r\nUser-Agent: smtpc\r\n`
 * `Connection: close\r\n` [+ `Accept: text/plain\r\n` for GET]
 * [+ `Content-Type: ctype\r\nContent-Length: N\r\n` when @p ctype != NULL]
 * `\r\n`. No conditional or cache headers (RFC 8461 §3.3: HTTP caching MUST
 * NOT be used).
 * @param method "GET" or "POST"
 * @param host   host name (letters, digits, '-', '.'; 1..253; checked)
 * @param path   absolute path starting with '/', visible ASCII, at most 2048
 *               characters (checked)
 * @param ctype  Content-Type value (1..128 of visible ASCII and inner SP), or
 *               NULL for no body headers; @p content_len is then ignored
 * @return ::SMTPC_OK with @p out_len, ::SMTPC_ERR_BAD_ARG, or
 *         ::SMTPC_ERR_NO_SPACE with @p out_len set to the size needed and
 *         @p out untouched.
 */
int smtpc_http_req_build(uint8_t *out, size_t cap, size_t *out_len, const char *method,
                         const char *host, const char *path, const char *ctype,
                         uint32_t content_len);

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_HTTP_H */
