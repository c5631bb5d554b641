/* Minimal HTTP/1.1 client codec (RFC 9110, RFC 9112) for the MTA-STS policy
 * fetch (RFC 8461 §3.3) and TLS-RPT reports (RFC 8460 §3): a request writer
 * and a push parser of the response. See smtpc/http.h.
 *
 * The parser keeps one line at a time (status, header, chunk-size, trailer
 * lines) in p->line and streams the body to the sink, so its memory is the
 * struct alone. Every step consumes at least one input byte or ends the
 * parse, so a call never loops, whatever the bytes and their split. */
#include <string.h>

#include "smtpc/http.h"
#include "smtpc_priv.h"

/* p->line_len is a uint16_t and a status line needs 12 bytes plus CRLF. */
typedef char
    smtpc_http_line_max_ok_[(SMTPC_HTTP_LINE_MAX >= 64 && SMTPC_HTTP_LINE_MAX <= 4096) ? 1 : -1];

/* Request argument bounds: far above any real policy or report URL. */
#define HTTP_HOST_MAX  253u
#define HTTP_PATH_MAX  2048u
#define HTTP_CTYPE_MAX 128u

/* Parser states. 0 is no state, so a zeroed, never initialised parser
 * fails with SMTPC_ERR_STATE instead of parsing. */
enum {
    ST_STATUS = 1, /* status line */
    ST_HEADER,     /* header lines, up to the empty line */
    ST_BODY_LEN,   /* Content-Length body, `left` bytes to go */
    ST_BODY_CLOSE, /* body delimited by the connection close */
    ST_CHUNK_SIZE, /* chunk-size [chunk-ext] line */
    ST_CHUNK_DATA, /* chunk data, `left` bytes to go */
    ST_CHUNK_END,  /* CRLF (or LF) after chunk data */
    ST_TRAILER,    /* trailer lines after the last chunk, up to the empty line */
    ST_DONE        /* finished or failed: status_rc holds the result */
};

/* p->flags */
#define F_HTTP10  0x01u /* the status line said HTTP/1.0 */
#define F_CT_SEEN 0x02u /* a Content-Type was seen (only tracked when want_text) */
#define F_CT_BAD  0x04u /* a Content-Type was not text/plain */
#define F_CLEN    0x08u /* p->clen holds a Content-Length */
#define F_CHUNKED 0x10u /* Transfer-Encoding: chunked */
#define F_CR      0x20u /* CR seen after chunk data, LF expected */

/* ------------------------------------------------------------ helpers --- */

/* Value of a hex digit, or 16 when @p c is none. */
static uint32_t hex_val(uint8_t c)
{
    if (smtpc_is_digit_(c)) {
        return (uint32_t)(c - '0');
    }
    c = smtpc_lower_(c);
    if (c >= 'a' && c <= 'f') {
        return (uint32_t)(c - 'a' + 10);
    }
    return 16u;
}

/* tchar of RFC 9110 §5.6.2: the characters of a field name. */
static int is_tchar(uint8_t c)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    size_t i;
    if (smtpc_is_digit_(c) || (smtpc_lower_(c) >= 'a' && smtpc_lower_(c) <= 'z')) {
        return 1;
    }
    for (i = 0; i + 1u < sizeof(extra); i++) {
        if (c == (uint8_t)extra[i]) {
            return 1;
        }
    }
    return 0;
}

/* Case-insensitive compare of a counted span with a lower-case literal. */
static int span_ieq(const uint8_t *s, size_t n, const char *lit, size_t lit_len)
{
    size_t i;
    if (n != lit_len) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (smtpc_lower_(s[i]) != (uint8_t)lit[i]) {
            return 0;
        }
    }
    return 1;
}

#define SPAN_IS(s, n, lit) span_ieq((s), (n), (lit), sizeof(lit) - 1u)

/* ------------------------------------------------------------- lines --- */

/* Gathers one line into p->line from data[*pos]. Returns SMTPC_IN_PROGRESS
 * when the input ends inside the line, SMTPC_OK with *n (the length without
 * its CRLF or LF) once the LF is consumed, or SMTPC_ERR_HTTP_SYNTAX for a
 * bare CR, a control character, or a line longer than SMTPC_HTTP_LINE_MAX
 * with its line end. Checking controls here covers every kind of line:
 * none of them may hold one (RFC 9110 §5.5: no NUL, CR or LF in a value). */
static int line_take(smtpc_http_parser_t *p, const uint8_t *data, size_t len, size_t *pos,
                     size_t *n)
{
    size_t i = *pos;
    int rc = SMTPC_IN_PROGRESS;
    while (i < len) {
        uint8_t c = data[i++];
        size_t k = p->line_len;
        int cr_before = k > 0 && p->line[k - 1u] == '\r';
        if (c == '\n') {
            *n = cr_before ? k - 1u : k;
            p->line_len = 0;
            rc = SMTPC_OK;
            break;
        }
        if (cr_before || (c < 0x20u && c != '\t' && c != '\r') || c == 0x7fu) {
            rc = SMTPC_ERR_HTTP_SYNTAX; /* a CR must be followed by LF */
            break;
        }
        if (k >= SMTPC_HTTP_LINE_MAX - 1u) {
            rc = SMTPC_ERR_HTTP_SYNTAX; /* no room left for the LF: too long */
            break;
        }
        p->line[k] = (char)c;
        p->line_len = (uint16_t)(k + 1u);
    }
    *pos = i;
    return rc;
}

/* status-line = HTTP-version SP 3DIGIT SP [reason-phrase] (RFC 9112 §4);
 * the SP before an empty reason may be missing. The reason is not checked
 * further: line_take() already refused controls in it. */
static int on_status(smtpc_http_parser_t *p, const uint8_t *l, size_t n)
{
    unsigned code;
    if (n < 12u || memcmp(l, "HTTP/1.", 7) != 0 || (l[7] != '0' && l[7] != '1') || l[8] != ' ' ||
        !smtpc_is_digit_(l[9]) || !smtpc_is_digit_(l[10]) || !smtpc_is_digit_(l[11]) ||
        (n > 12u && l[12] != ' ')) {
        return SMTPC_ERR_HTTP_SYNTAX;
    }
    code = (unsigned)(l[9] - '0') * 100u + (unsigned)(l[10] - '0') * 10u + (unsigned)(l[11] - '0');
    if (code < 100u || code > 599u) {
        return SMTPC_ERR_HTTP_SYNTAX; /* RFC 9110 §15: outside 100..599 is invalid */
    }
    p->status = (uint16_t)code;
    if (l[7] == '0') {
        p->flags = (uint8_t)(p->flags | F_HTTP10);
    }
    if (code == 200u) {
        p->state = ST_HEADER;
        return SMTPC_IN_PROGRESS;
    }
    /* RFC 8461 §3.3: only 200 is a policy, redirects are not followed.
     * 304 is no redirect (nothing to go to) but the answer to a conditional
     * request, which smtpc never sends: a plain refusal. */
    if (code / 100u == 3u && code != 304u) {
        return SMTPC_ERR_HTTP_REDIRECT;
    }
    return SMTPC_ERR_HTTP_STATUS;
}

/* field-line = field-name ":" OWS field-value OWS (RFC 9112 §5): the name
 * is a token directly followed by ':', so whitespace before the colon and
 * obs-fold (a line starting with SP or HTAB) are refused. Counts the line
 * against SMTPC_HTTP_MAX_HEADERS (header and trailer lines together). */
static int field_split(smtpc_http_parser_t *p, const uint8_t *l, size_t n, size_t *name_len,
                       size_t *v, size_t *e)
{
    size_t k = 0;
    size_t vs;
    size_t ve = n;
    if (p->headers >= SMTPC_HTTP_MAX_HEADERS) {
        return SMTPC_ERR_HTTP_SYNTAX;
    }
    p->headers = (uint16_t)(p->headers + 1u);
    while (k < n && is_tchar(l[k])) {
        k++;
    }
    if (k == 0 || k == n || l[k] != ':') {
        return SMTPC_ERR_HTTP_SYNTAX;
    }
    vs = k + 1u;
    while (vs < n && smtpc_is_wsp_(l[vs])) {
        vs++;
    }
    while (ve > vs && smtpc_is_wsp_(l[ve - 1u])) {
        ve--;
    }
    *name_len = k;
    *v = vs;
    *e = ve;
    return SMTPC_OK;
}

/* media-type = type "/" subtype parameters; parameters start with OWS ";"
 * (RFC 9110 §8.3.1) and are not checked: the charset is the policy
 * parser's business, and RFC 8461 §3.2 fixes it anyway. */
static int media_is_text_plain(const uint8_t *v, size_t n)
{
    size_t e = 0;
    while (e < n && v[e] != ';') {
        e++;
    }
    while (e > 0 && smtpc_is_wsp_(v[e - 1u])) {
        e--;
    }
    return SPAN_IS(v, e, "text/plain");
}

/* Content-Length = 1*DIGIT (RFC 9112 §6.3): no sign, no list, no overflow
 * of the 32-bit field; a repeated field must carry the same value. */
static int on_content_length(smtpc_http_parser_t *p, const uint8_t *v, size_t n)
{
    uint32_t x = 0;
    size_t i;
    if (n == 0) {
        return SMTPC_ERR_HTTP_SYNTAX;
    }
    for (i = 0; i < n; i++) {
        uint32_t d;
        if (!smtpc_is_digit_(v[i])) {
            return SMTPC_ERR_HTTP_SYNTAX;
        }
        d = (uint32_t)(v[i] - '0');
        if (x > (UINT32_MAX - d) / 10u) {
            return SMTPC_ERR_HTTP_SYNTAX;
        }
        x = x * 10u + d;
    }
    if ((p->flags & F_CLEN) != 0u && p->clen != x) {
        return SMTPC_ERR_HTTP_SYNTAX; /* disagreeing lengths: framing is unknown */
    }
    p->clen = x;
    p->flags = (uint8_t)(p->flags | F_CLEN);
    return SMTPC_IN_PROGRESS;
}

/* Transfer-Encoding: only a single "chunked" (RFC 9112 §6.1). Any other
 * coding (gzip, a list, a second field that would chunk twice) is refused,
 * and so is the field in an HTTP/1.0 response (§6.1: faulty framing). */
static int on_transfer_encoding(smtpc_http_parser_t *p, const uint8_t *v, size_t n)
{
    if ((p->flags & (F_CHUNKED | F_HTTP10)) != 0u || !SPAN_IS(v, n, "chunked")) {
        return SMTPC_ERR_HTTP_SYNTAX;
    }
    p->flags = (uint8_t)(p->flags | F_CHUNKED);
    return SMTPC_IN_PROGRESS;
}

/* The empty line: check the type, then pick the framing (RFC 9112 §6.3). */
static int on_header_end(smtpc_http_parser_t *p)
{
    if (p->want_text && (p->flags & (F_CT_SEEN | F_CT_BAD)) != F_CT_SEEN) {
        return SMTPC_ERR_HTTP_TYPE; /* missing, or some Content-Type not text/plain */
    }
    if ((p->flags & F_CHUNKED) != 0u) {
        p->state = ST_CHUNK_SIZE; /* chunked wins over Content-Length */
        return SMTPC_IN_PROGRESS;
    }
    if ((p->flags & F_CLEN) != 0u) {
        if (p->clen > p->cap) {
            return SMTPC_ERR_HTTP_TOO_LARGE; /* before any body byte reaches the sink */
        }
        if (p->clen == 0u) {
            return SMTPC_OK;
        }
        p->left = p->clen;
        p->state = ST_BODY_LEN;
        return SMTPC_IN_PROGRESS;
    }
    p->state = ST_BODY_CLOSE;
    return SMTPC_IN_PROGRESS;
}

static int on_header(smtpc_http_parser_t *p, const uint8_t *l, size_t n)
{
    size_t k;
    size_t v;
    size_t e;
    int rc;
    if (n == 0) {
        return on_header_end(p);
    }
    rc = field_split(p, l, n, &k, &v, &e);
    if (rc != SMTPC_OK) {
        return rc;
    }
    if (SPAN_IS(l, k, "content-type")) {
        if (p->want_text) {
            p->flags = (uint8_t)(p->flags | F_CT_SEEN);
            if (!media_is_text_plain(l + v, e - v)) {
                p->flags = (uint8_t)(p->flags | F_CT_BAD);
            }
        }
    } else if (SPAN_IS(l, k, "content-length")) {
        return on_content_length(p, l + v, e - v);
    } else if (SPAN_IS(l, k, "transfer-encoding")) {
        return on_transfer_encoding(p, l + v, e - v);
    }
    return SMTPC_IN_PROGRESS;
}

/* chunk-size [chunk-ext] (RFC 9112 §7.1): 1*HEXDIG, then optionally BWS ";"
 * and extensions, which are skipped (line_take() bounds and vets them). The
 * cap is checked against the announced size, so a chunk that would take the
 * body beyond it fails before any of its bytes reaches the sink. */
static int on_chunk_size(smtpc_http_parser_t *p, const uint8_t *l, size_t n)
{
    uint32_t size = 0;
    size_t k = 0;
    size_t j;
    while (k < n && hex_val(l[k]) < 16u) {
        uint32_t d = hex_val(l[k]);
        if (size > (UINT32_MAX - d) / 16u) {
            return SMTPC_ERR_HTTP_SYNTAX;
        }
        size = size * 16u + d;
        k++;
    }
    j = k;
    while (j < n && smtpc_is_wsp_(l[j])) {
        j++;
    }
    if (k == 0 || (j < n && l[j] != ';') || (j == n && j != k)) {
        return SMTPC_ERR_HTTP_SYNTAX; /* no digits, junk, or blanks without extension */
    }
    if (size == 0u) {
        p->state = ST_TRAILER; /* last-chunk */
        return SMTPC_IN_PROGRESS;
    }
    if (size > p->cap - p->body_len) {
        return SMTPC_ERR_HTTP_TOO_LARGE;
    }
    p->left = size;
    p->state = ST_CHUNK_DATA;
    return SMTPC_IN_PROGRESS;
}

/* trailer-section: field lines, ignored but held to the header rules. */
static int on_trailer(smtpc_http_parser_t *p, const uint8_t *l, size_t n)
{
    size_t k;
    size_t v;
    size_t e;
    int rc;
    if (n == 0) {
        return SMTPC_OK; /* the end of the chunked message */
    }
    rc = field_split(p, l, n, &k, &v, &e);
    return rc == SMTPC_OK ? SMTPC_IN_PROGRESS : rc;
}

static int line_step(smtpc_http_parser_t *p, const uint8_t *data, size_t len, size_t *pos)
{
    const uint8_t *l = (const uint8_t *)p->line;
    size_t n = 0;
    int rc = line_take(p, data, len, pos, &n);
    if (rc != SMTPC_OK) {
        return rc;
    }
    switch (p->state) {
    case ST_STATUS:
        return on_status(p, l, n);
    case ST_HEADER:
        return on_header(p, l, n);
    case ST_CHUNK_SIZE:
        return on_chunk_size(p, l, n);
    default:
        return on_trailer(p, l, n);
    }
}

/* -------------------------------------------------------------- body --- */

/* Hands @p n > 0 body bytes to the sink; the callers keep body_len + n
 * within the cap. A positive sink result is no error code: it becomes
 * SMTPC_ERR_INTERNAL, so that SMTPC_IN_PROGRESS never becomes sticky. */
static int deliver(smtpc_http_parser_t *p, const uint8_t *d, size_t n, smtpc_http_body_fn sink,
                   void *arg)
{
    p->body_len += (uint32_t)n;
    if (sink != NULL) {
        int rc = sink(arg, d, n);
        if (rc != SMTPC_OK) {
            return rc > 0 ? SMTPC_ERR_INTERNAL : rc;
        }
    }
    return SMTPC_IN_PROGRESS;
}

/* Content-Length body or chunk data: up to `left` bytes. */
static int counted_step(smtpc_http_parser_t *p, const uint8_t *data, size_t len, size_t *pos,
                        smtpc_http_body_fn sink, void *arg)
{
    size_t n = len - *pos;
    int rc;
    if (n > p->left) {
        n = p->left;
    }
    p->left -= (uint32_t)n;
    rc = deliver(p, data + *pos, n, sink, arg);
    *pos += n;
    if (rc != SMTPC_IN_PROGRESS || p->left != 0u) {
        return rc;
    }
    if (p->state == ST_BODY_LEN) {
        return SMTPC_OK;
    }
    p->state = ST_CHUNK_END;
    return SMTPC_IN_PROGRESS;
}

/* Close-delimited body: everything up to the close, within the cap. Bytes
 * up to the cap are delivered first, so the sink sees the same bytes
 * whatever the split; the first byte beyond it fails the parse. */
static int close_step(smtpc_http_parser_t *p, const uint8_t *data, size_t len, size_t *pos,
                      smtpc_http_body_fn sink, void *arg)
{
    size_t n = len - *pos;
    size_t room = p->cap - p->body_len;
    int rc = SMTPC_IN_PROGRESS;
    if (n <= room) {
        rc = deliver(p, data + *pos, n, sink, arg);
        *pos += n;
        return rc;
    }
    if (room > 0) {
        rc = deliver(p, data + *pos, room, sink, arg);
        *pos += room;
    }
    if (rc != SMTPC_IN_PROGRESS) {
        return rc;
    }
    (*pos)++; /* the first byte beyond the cap */
    return SMTPC_ERR_HTTP_TOO_LARGE;
}

/* CRLF (or a bare LF, as for lines) after chunk data. */
static int chunk_end_step(smtpc_http_parser_t *p, const uint8_t *data, size_t *pos)
{
    uint8_t c = data[(*pos)++];
    if ((p->flags & F_CR) != 0u) {
        if (c != '\n') {
            return SMTPC_ERR_HTTP_SYNTAX;
        }
        p->flags = (uint8_t)(p->flags & ~F_CR);
        p->state = ST_CHUNK_SIZE;
    } else if (c == '\r') {
        p->flags = (uint8_t)(p->flags | F_CR);
    } else if (c == '\n') {
        p->state = ST_CHUNK_SIZE;
    } else {
        return SMTPC_ERR_HTTP_SYNTAX; /* more data than the chunk size said */
    }
    return SMTPC_IN_PROGRESS;
}

/* ------------------------------------------------------------ parser --- */

void smtpc_http_parser_init(smtpc_http_parser_t *p, uint32_t body_cap, int want_text)
{
    if (p == NULL) {
        return;
    }
    memset(p, 0, sizeof(*p));
    p->state = ST_STATUS;
    p->want_text = want_text ? 1u : 0u;
    p->cap = body_cap;
    p->status_rc = SMTPC_IN_PROGRESS;
}

int smtpc_http_parse(smtpc_http_parser_t *p, const uint8_t *data, size_t len, size_t *used,
                     smtpc_http_body_fn sink, void *arg)
{
    size_t pos = 0;
    int rc = SMTPC_IN_PROGRESS;
    if (used != NULL) {
        *used = 0;
    }
    if (p == NULL || used == NULL || (data == NULL && len > 0)) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (p->state == ST_DONE) {
        return p->status_rc;
    }
    while (pos < len && rc == SMTPC_IN_PROGRESS) {
        switch (p->state) {
        case ST_STATUS:
        case ST_HEADER:
        case ST_CHUNK_SIZE:
        case ST_TRAILER:
            rc = line_step(p, data, len, &pos);
            break;
        case ST_BODY_LEN:
        case ST_CHUNK_DATA:
            rc = counted_step(p, data, len, &pos, sink, arg);
            break;
        case ST_BODY_CLOSE:
            rc = close_step(p, data, len, &pos, sink, arg);
            break;
        case ST_CHUNK_END:
            rc = chunk_end_step(p, data, &pos);
            break;
        default:
            rc = SMTPC_ERR_STATE; /* not initialised, or overwritten */
            break;
        }
    }
    if (rc != SMTPC_IN_PROGRESS) {
        p->state = ST_DONE;
        p->status_rc = rc;
    }
    *used = pos;
    return rc;
}

int smtpc_http_parse_eof(smtpc_http_parser_t *p)
{
    int rc;
    if (p == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    switch (p->state) {
    case ST_DONE:
        return p->status_rc;
    case ST_BODY_CLOSE:
        rc = SMTPC_OK;
        break;
    case ST_STATUS:
    case ST_HEADER:
    case ST_BODY_LEN:
    case ST_CHUNK_SIZE:
    case ST_CHUNK_DATA:
    case ST_CHUNK_END:
    case ST_TRAILER:
        rc = SMTPC_ERR_NET_CLOSED; /* truncated response */
        break;
    default:
        rc = SMTPC_ERR_STATE;
        break;
    }
    p->state = ST_DONE;
    p->status_rc = rc;
    return rc;
}

/* ----------------------------------------------------------- request --- */

/* Request writer: with out == NULL it only counts, so the length is known
 * before anything is written. */
typedef struct {
    uint8_t *out;
    size_t len;
} http_w_t;

static void w_put(http_w_t *w, const char *s, size_t n)
{
    if (w->out != NULL) {
        memcpy(w->out + w->len, s, n);
    }
    w->len += n;
}

#define W_LIT(w, lit) w_put((w), (lit), sizeof(lit) - 1u)

/* Length of @p s when it is 1..max bytes of which check() accepts each,
 * else 0. */
static size_t arg_len(const char *s, size_t max, int (*check)(uint8_t c))
{
    size_t n;
    size_t i;
    if (s == NULL) {
        return 0;
    }
    n = smtpc_strnlen_(s, max);
    if (n > max) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!check((uint8_t)s[i])) {
            return 0;
        }
    }
    return n;
}

static int host_char(uint8_t c)
{
    return smtpc_is_digit_(c) || (smtpc_lower_(c) >= 'a' && smtpc_lower_(c) <= 'z') || c == '-' ||
           c == '.';
}

static int visible_char(uint8_t c)
{
    return c >= 0x21u && c <= 0x7eu;
}

/* A field value: visible characters and SP (no controls, so no CR/LF). */
static int value_char(uint8_t c)
{
    return c >= 0x20u && c <= 0x7eu;
}

static size_t u32_dec(uint32_t v, char out[10])
{
    char tmp[10];
    size_t n = 0;
    size_t i;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    for (i = 0; i < n; i++) {
        out[i] = tmp[n - 1u - i];
    }
    return n;
}

int smtpc_http_req_build(uint8_t *out, size_t cap, size_t *out_len, const char *method,
                         const char *host, const char *path, const char *ctype,
                         uint32_t content_len)
{
    size_t ml = smtpc_strnlen_(method != NULL ? method : "", 4);
    size_t hl = arg_len(host, HTTP_HOST_MAX, host_char);
    size_t pl = arg_len(path, HTTP_PATH_MAX, visible_char);
    size_t cl = arg_len(ctype, HTTP_CTYPE_MAX, value_char);
    int get = method != NULL && ml == 3u && memcmp(method, "GET", 3) == 0;
    int post = method != NULL && ml == 4u && memcmp(method, "POST", 4) == 0;
    char num[10];
    size_t nl = u32_dec(content_len, num);
    http_w_t w;
    int pass;
    if (out == NULL || out_len == NULL || (!get && !post) || hl == 0 || pl == 0 || path[0] != '/' ||
        (ctype != NULL && (cl == 0 || ctype[0] == ' ' || ctype[cl - 1u] == ' '))) {
        return SMTPC_ERR_BAD_ARG;
    }
    /* Pass 0 counts, pass 1 writes: nothing is written when it does not fit. */
    for (pass = 0; pass < 2; pass++) {
        w.out = pass == 0 ? NULL : out;
        w.len = 0;
        w_put(&w, method, ml);
        W_LIT(&w, " ");
        w_put(&w, path, pl);
        W_LIT(&w, " HTTP/1.1\r\nHost: ");
        w_put(&w, host, hl);
        /* No conditional or cache headers: RFC 8461 §3.3 forbids HTTP caching. */
        W_LIT(&w, "\r\nUser-Agent: smtpc\r\nConnection: close\r\n");
        if (get) {
            W_LIT(&w, "Accept: text/plain\r\n");
        }
        if (ctype != NULL) {
            W_LIT(&w, "Content-Type: ");
            w_put(&w, ctype, cl);
            W_LIT(&w, "\r\nContent-Length: ");
            w_put(&w, num, nl);
            W_LIT(&w, "\r\n");
        }
        W_LIT(&w, "\r\n");
        *out_len = w.len;
        if (w.len > cap) {
            return SMTPC_ERR_NO_SPACE; /* *out_len tells the size needed */
        }
    }
    return SMTPC_OK;
}
