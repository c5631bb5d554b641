/* SMTP TLS Reporting (RFC 8460): the `_smtp._tls` TXT record (§3), the
 * classification of driver events into report counts (§4.3), and the
 * compact report log on a flash key-value store of its own.
 * See smtpc/tlsrpt.h for the API and the on-flash layout. */
#include "smtpc/opts.h"

#if SMTPC_ENABLE_TLSRPT

#include <string.h>

#include "smtpc/tlsrpt.h"
#include "smtpc_priv.h"

/* ================================================================ chars === */

static int hex_val(uint8_t c)
{
    if (smtpc_is_digit_(c)) {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Does @p s (length @p n) start with @p lit, ASCII case-insensitively? */
static int ci_prefix(const char *s, size_t n, const char *lit)
{
    size_t i;
    for (i = 0; lit[i] != '\0'; i++) {
        if (i >= n || smtpc_lower_((uint8_t)s[i]) != (uint8_t)lit[i]) {
            return 0;
        }
    }
    return 1;
}

/* A host or domain name: LDH labels separated by dots (one trailing dot is
 * dropped by the caller); returns its length without the dot, 0 if bad. */
static size_t name_len(const char *s, size_t max)
{
    size_t n;
    size_t i;
    if (s == NULL) {
        return 0;
    }
    n = smtpc_strnlen_(s, max + 1u);
    if (n > 0u && s[n - 1u] == '.') {
        n--;
    }
    if (n == 0u || n > max) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c == '.') {
            if (i == 0u || s[i - 1u] == '.') {
                return 0;
            }
        } else if (!smtpc_is_alnum_(c) && c != '-' && c != '_') {
            return 0;
        }
    }
    return n;
}

/* ================================================================= TXT === */

#define RPT_PREFIX     "v=TLSRPTv1"
#define RPT_PREFIX_LEN 10u
#define RPT_NAME_MAX   32u

/* ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".") */
static int ext_name_ok(const char *p, size_t n)
{
    size_t i;
    if (n == 0u || n > RPT_NAME_MAX || !smtpc_is_alnum_((uint8_t)p[0])) {
        return 0;
    }
    for (i = 1; i < n; i++) {
        uint8_t c = (uint8_t)p[i];
        if (!smtpc_is_alnum_(c) && c != '_' && c != '-' && c != '.') {
            return 0;
        }
    }
    return 1;
}

/* ext-value = 1*(%x21-3A / %x3C / %x3E-7E) */
static int ext_value_char(uint8_t c)
{
    return c >= 0x21u && c <= 0x7eu && c != ';' && c != '=';
}

/* RFC 3986 characters after the scheme: unreserved, sub-delims and the
 * gen-delims; ',' and ';' end a rua URI (RFC 8460 §3: they MUST be
 * percent-encoded), '%' is checked apart. */
static int uri_char(uint8_t c)
{
    if (smtpc_is_alnum_(c)) {
        return 1;
    }
    switch (c) {
    case '-':
    case '.':
    case '_':
    case '~': /* unreserved */
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')': /* sub-delims */
    case '*':
    case '+':
    case '=':
    case ':':
    case '@':
    case '/':
    case '?':
    case '#':
    case '[':
    case ']': /* gen-delims */
        return 1;
    default:
        return 0;
    }
}

/* One URI at *pos: it ends before white space, ',' or ';' or at the end.
 * scheme = ALPHA *(ALPHA / DIGIT / "+" / "-" / "."), then ":", then URI
 * characters with well-formed percent-encoding and at most one '#'. */
static int uri_scan(const char *r, size_t len, size_t *pos)
{
    size_t p = *pos;
    size_t start = p;
    unsigned hashes = 0;
    while (p < len && r[p] != ':') {
        uint8_t c = (uint8_t)r[p];
        if (p == start ? !smtpc_is_alpha_(c)
                       : (!smtpc_is_alnum_(c) && c != '+' && c != '-' && c != '.')) {
            return SMTPC_ERR_TLSRPT_TXT_INVALID;
        }
        p++;
    }
    if (p == start || p == len) {
        return SMTPC_ERR_TLSRPT_TXT_INVALID; /* no scheme */
    }
    p++;
    while (p < len && !smtpc_is_wsp_((uint8_t)r[p]) && r[p] != ',' && r[p] != ';') {
        uint8_t c = (uint8_t)r[p];
        if (c == '%') {
            if (len - p < 3u || hex_val((uint8_t)r[p + 1u]) < 0 ||
                hex_val((uint8_t)r[p + 2u]) < 0) {
                return SMTPC_ERR_TLSRPT_TXT_INVALID;
            }
            p += 3u;
            continue;
        }
        if (!uri_char(c) || (c == '#' && ++hashes > 1u)) {
            return SMTPC_ERR_TLSRPT_TXT_INVALID;
        }
        p++;
    }
    *pos = p;
    return SMTPC_OK;
}

/* Keep a syntactically valid URI when its scheme is supported and it fits
 * (@p t NULL: validation only). */
static void rua_keep(smtpc_tlsrpt_txt_t *t, const char *u, size_t n)
{
    uint8_t kind = 0;
    if (t == NULL) {
        return;
    }
    if (ci_prefix(u, n, "mailto:")) {
        kind = SMTPC_RUA_MAILTO;
    } else if (ci_prefix(u, n, "https://")) {
        kind = SMTPC_RUA_HTTPS; /* an https URI needs an authority (RFC 9110 §4.2.2) */
    }
    if (kind == 0u || n > SMTPC_TLSRPT_URI_MAX || t->rua_count >= SMTPC_TLSRPT_RUA_MAX) {
        if (t->rua_skipped < 255u) {
            t->rua_skipped++;
        }
        return;
    }
    t->rua[t->rua_count].kind = kind;
    memcpy(t->rua[t->rua_count].uri, u, n);
    t->rua[t->rua_count].uri[n] = '\0';
    t->rua_count++;
}

/* rua = %s"rua=" uri *(*WSP "," *WSP uri); *pos is after "rua=". */
static int rua_list(const char *r, size_t len, size_t *pos, smtpc_tlsrpt_txt_t *t)
{
    size_t p = *pos;
    for (;;) {
        size_t start = p;
        size_t end;
        int rc = uri_scan(r, len, &p);
        if (rc != SMTPC_OK) {
            return rc;
        }
        rua_keep(t, r + start, p - start);
        end = p;
        while (p < len && smtpc_is_wsp_((uint8_t)r[p])) {
            p++;
        }
        if (p < len && r[p] == ',') {
            p++;
            while (p < len && smtpc_is_wsp_((uint8_t)r[p])) {
                p++;
            }
            continue; /* a URI must follow: a trailing ',' is invalid */
        }
        p = end; /* the blanks belong to the next delimiter */
        break;
    }
    *pos = p;
    return SMTPC_OK;
}

/* extension = ext-name "=" ext-value (ignored). */
static int ext_field(const char *r, size_t len, size_t *pos)
{
    size_t p = *pos;
    size_t start = p;
    size_t vstart;
    while (p < len && r[p] != '=' && r[p] != ';' && !smtpc_is_wsp_((uint8_t)r[p])) {
        p++;
    }
    if (p == len || r[p] != '=' || !ext_name_ok(r + start, p - start)) {
        return SMTPC_ERR_TLSRPT_TXT_INVALID; /* a field without '=' too */
    }
    vstart = ++p;
    while (p < len && ext_value_char((uint8_t)r[p])) {
        p++;
    }
    if (p == vstart) {
        return SMTPC_ERR_TLSRPT_TXT_INVALID;
    }
    *pos = p;
    return SMTPC_OK;
}

int smtpc_tlsrpt_txt_is_candidate(const char *rec, size_t len)
{
    size_t i = RPT_PREFIX_LEN;
    if (rec == NULL || len <= RPT_PREFIX_LEN || memcmp(rec, RPT_PREFIX, RPT_PREFIX_LEN) != 0) {
        return 0;
    }
    while (i < len && smtpc_is_wsp_((uint8_t)rec[i])) {
        i++;
    }
    return i < len && rec[i] == ';';
}

int smtpc_tlsrpt_txt_parse(const char *rec, size_t len, smtpc_tlsrpt_txt_t *out)
{
    size_t pos = RPT_PREFIX_LEN;
    int have_rua = 0;
    int rc = SMTPC_OK;
    if (out != NULL) {
        memset(out, 0, sizeof(*out)); /* filled in place: no copy on the stack */
    }
    if (rec == NULL || len < RPT_PREFIX_LEN || memcmp(rec, RPT_PREFIX, RPT_PREFIX_LEN) != 0) {
        return SMTPC_ERR_TLSRPT_TXT_INVALID;
    }
    /* record = %s"v=TLSRPTv1" 1*(delim field) [delim] */
    while (pos < len && rc == SMTPC_OK) {
        while (pos < len && smtpc_is_wsp_((uint8_t)rec[pos])) {
            pos++;
        }
        if (pos == len || rec[pos] != ';') {
            rc = SMTPC_ERR_TLSRPT_TXT_INVALID; /* trailing blanks, or no delimiter */
            break;
        }
        pos++;
        while (pos < len && smtpc_is_wsp_((uint8_t)rec[pos])) {
            pos++;
        }
        if (pos == len) {
            break; /* the optional trailing delimiter */
        }
        if (len - pos >= 4u && memcmp(rec + pos, "rua=", 4) == 0) {
            pos += 4u;
            rc = rua_list(rec, len, &pos, out); /* a second rua= appends */
            have_rua = 1;
        } else {
            rc = ext_field(rec, len, &pos);
        }
    }
    if (rc != SMTPC_OK || !have_rua) {
        if (out != NULL) {
            memset(out, 0, sizeof(*out));
        }
        return SMTPC_ERR_TLSRPT_TXT_INVALID;
    }
    return SMTPC_OK;
}

void smtpc_tlsrpt_sel_init(smtpc_tlsrpt_sel_t *sel)
{
    if (sel != NULL) {
        memset(sel, 0, sizeof(*sel));
    }
}

void smtpc_tlsrpt_sel_add(smtpc_tlsrpt_sel_t *sel, const char *rec, size_t len)
{
    if (sel == NULL || rec == NULL || !smtpc_tlsrpt_txt_is_candidate(rec, len)) {
        return; /* other TXT records at the name are ignored */
    }
    if (sel->candidates < 255u) {
        sel->candidates++;
    }
    /* the first valid record is kept; later ones are only validated */
    if (smtpc_tlsrpt_txt_parse(rec, len, sel->valid == 0u ? &sel->txt : NULL) == SMTPC_OK &&
        sel->valid < 255u) {
        sel->valid++;
    }
}

int smtpc_tlsrpt_sel_result(const smtpc_tlsrpt_sel_t *sel, smtpc_tlsrpt_txt_t *out)
{
    if (sel == NULL || out == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (sel->candidates == 0u) {
        return SMTPC_ERR_DNS_NODATA;
    }
    if (sel->candidates != 1u || sel->valid != 1u) {
        return SMTPC_ERR_TLSRPT_TXT_INVALID; /* counted before any syntax check */
    }
    *out = sel->txt;
    return SMTPC_OK;
}

/* ------------------------------------------------------ rua helpers --- */

static int mailto_addr(const char *uri, char *out, size_t cap);

int smtpc_tlsrpt_mailto_addr(const char *uri, char *out, size_t cap)
{
    int rc;
    if (uri == NULL || out == NULL || cap == 0u) {
        return SMTPC_ERR_BAD_ARG;
    }
    rc = mailto_addr(uri, out, cap);
    if (rc != SMTPC_OK) {
        out[0] = '\0'; /* nothing partial on failure */
    }
    return rc;
}

static int mailto_addr(const char *uri, char *out, size_t cap)
{
    size_t n;
    size_t i;
    size_t o = 0;
    size_t at = 0;
    int have_at = 0;
    n = smtpc_strnlen_(uri, SMTPC_TLSRPT_URI_MAX);
    if (n > SMTPC_TLSRPT_URI_MAX || !ci_prefix(uri, n, "mailto:")) {
        return SMTPC_ERR_BAD_ADDRESS;
    }
    /* to = addr-spec *("," addr-spec) [ "?" hfields ] (RFC 6068 §2): one
     * addr-spec only; an encoded comma (%2C) stays inside the address. */
    for (i = 7; i < n && uri[i] != '?'; i++) {
        uint8_t c = (uint8_t)uri[i];
        if (c == ',') {
            return SMTPC_ERR_BAD_ADDRESS;
        }
        if (c == '%') {
            int hi = i + 2u < n ? hex_val((uint8_t)uri[i + 1u]) : -1;
            int lo = i + 2u < n ? hex_val((uint8_t)uri[i + 2u]) : -1;
            if (hi < 0 || lo < 0) {
                return SMTPC_ERR_BAD_ADDRESS;
            }
            c = (uint8_t)(hi * 16 + lo);
            i += 2u;
        }
        if (c < 0x21u || c > 0x7eu || c == '<' || c == '>') {
            return SMTPC_ERR_BAD_ADDRESS; /* controls, blanks, 8-bit, brackets */
        }
        if (c == '@') {
            at = o;
            have_at = 1;
        }
        if (o + 1u < cap) {
            out[o] = (char)c;
        }
        o++;
    }
    if (!have_at || at == 0u || at + 1u == o) {
        out[0] = '\0';
        return SMTPC_ERR_BAD_ADDRESS;
    }
    if (o + 1u > cap) {
        out[0] = '\0';
        return SMTPC_ERR_NO_SPACE;
    }
    out[o] = '\0';
    return SMTPC_OK;
}

/* Copy @p n bytes (lower-cased when @p low) plus a NUL into a buffer of @p cap. */
static int put_str(char *dst, size_t cap, const char *src, size_t n, int low)
{
    size_t i;
    if (n + 1u > cap) {
        return SMTPC_ERR_NO_SPACE;
    }
    for (i = 0; i < n; i++) {
        dst[i] = low ? (char)smtpc_lower_((uint8_t)src[i]) : src[i];
    }
    dst[n] = '\0';
    return SMTPC_OK;
}

int smtpc_tlsrpt_https_split(const char *uri, char *host, size_t host_cap, uint16_t *port,
                             char *target, size_t target_cap)
{
    size_t n;
    size_t p = 8;
    size_t a_end;
    size_t h0;
    size_t h1;
    size_t i;
    uint32_t pv = 0;
    int rc;
    if (uri == NULL || host == NULL || port == NULL || target == NULL || host_cap == 0u ||
        target_cap == 0u) {
        return SMTPC_ERR_BAD_ARG;
    }
    host[0] = '\0';
    target[0] = '\0';
    n = smtpc_strnlen_(uri, SMTPC_TLSRPT_URI_MAX);
    if (n > SMTPC_TLSRPT_URI_MAX || !ci_prefix(uri, n, "https://")) {
        return SMTPC_ERR_BAD_ARG;
    }
    a_end = p;
    while (a_end < n && uri[a_end] != '/' && uri[a_end] != '?' && uri[a_end] != '#') {
        a_end++;
    }
    /* authority = host [ ":" port ]; no userinfo */
    if (a_end > p && uri[p] == '[') {
        h0 = p + 1u;
        h1 = h0;
        while (h1 < a_end && uri[h1] != ']') {
            uint8_t c = (uint8_t)uri[h1];
            if (hex_val(c) < 0 && c != ':' && c != '.') {
                return SMTPC_ERR_BAD_ARG; /* IPv6 (or IPv4-suffixed) literal only */
            }
            h1++;
        }
        if (h1 == a_end || h1 == h0) {
            return SMTPC_ERR_BAD_ARG;
        }
        i = h1 + 1u;
    } else {
        h0 = p;
        h1 = p;
        while (h1 < a_end && uri[h1] != ':') {
            uint8_t c = (uint8_t)uri[h1];
            if (!smtpc_is_alnum_(c) && c != '-' && c != '.') {
                return SMTPC_ERR_BAD_ARG; /* userinfo ('@'), encoded or odd hosts */
            }
            h1++;
        }
        if (h1 == h0) {
            return SMTPC_ERR_BAD_ARG;
        }
        i = h1;
    }
    if (i < a_end) {
        size_t digits = 0;
        if (uri[i] != ':') {
            return SMTPC_ERR_BAD_ARG;
        }
        for (i++; i < a_end; i++) {
            if (!smtpc_is_digit_((uint8_t)uri[i]) || ++digits > 5u) {
                return SMTPC_ERR_BAD_ARG;
            }
            pv = pv * 10u + (uint32_t)(uri[i] - '0');
        }
        if (digits > 0u && (pv == 0u || pv > 65535u)) {
            return SMTPC_ERR_BAD_ARG;
        }
    }
    /* path-abempty [ "?" query ]; no fragment */
    for (i = a_end; i < n; i++) {
        uint8_t c = (uint8_t)uri[i];
        if (c == '#' || c < 0x21u || c > 0x7eu) {
            return SMTPC_ERR_BAD_ARG;
        }
    }
    rc = put_str(host, host_cap, uri + h0, h1 - h0, 1);
    if (rc != SMTPC_OK) {
        return rc;
    }
    if (a_end == n || uri[a_end] != '/') {
        /* empty path: "/" then the query, if any */
        if (n - a_end + 2u > target_cap) {
            host[0] = '\0';
            return SMTPC_ERR_NO_SPACE;
        }
        target[0] = '/';
        memcpy(target + 1, uri + a_end, n - a_end);
        target[n - a_end + 1u] = '\0';
    } else {
        rc = put_str(target, target_cap, uri + a_end, n - a_end, 0);
        if (rc != SMTPC_OK) {
            host[0] = '\0';
            return rc;
        }
    }
    *port = (uint16_t)(pv == 0u ? 443u : pv);
    return SMTPC_OK;
}

/* ====================================================== classification === */

static uint32_t reason_of(int err)
{
    return err < 0 ? (uint32_t)(-(long)err) : 0u;
}

static smtpc_rpt_class_t cls_fail(uint8_t result, uint8_t ns, uint32_t reason)
{
    smtpc_rpt_class_t c;
    c.count = 1;
    c.result = result;
    c.reason_ns = ns;
    c.reason = reason;
    return c;
}

static smtpc_rpt_class_t cls_err(uint8_t result, int err)
{
    return cls_fail(result, SMTPC_RPT_REASON_SMTPC, reason_of(err));
}

static int err_is_cert(int e)
{
    return e == SMTPC_ERR_TLS_CERT_UNTRUSTED || e == SMTPC_ERR_TLS_CERT_HOSTNAME ||
           e == SMTPC_ERR_TLS_CERT_EXPIRED || e == SMTPC_ERR_TLS_CERT_NOT_YET_VALID ||
           e == SMTPC_ERR_TLS_CERT_OTHER;
}

/* Result type of a certificate error. A certificate that is not yet valid
 * is reported as certificate-expired: both are a validity-period failure
 * (RFC 8460 has no separate type); the reason code tells them apart. */
static uint8_t cert_result(int e)
{
    switch (e) {
    case SMTPC_ERR_TLS_CERT_HOSTNAME:
        return SMTPC_RPT_CERT_HOST_MISMATCH;
    case SMTPC_ERR_TLS_CERT_EXPIRED:
    case SMTPC_ERR_TLS_CERT_NOT_YET_VALID:
        return SMTPC_RPT_CERT_EXPIRED;
    case SMTPC_ERR_TLS_CERT_UNTRUSTED:
        return SMTPC_RPT_CERT_NOT_TRUSTED;
    default:
        return SMTPC_RPT_VALIDATION_FAILURE;
    }
}

/* The error a certificate verdict stands for (verdicts that are not valid). */
static int verdict_err(uint8_t v)
{
    switch (v) {
    case SMTPC_CERT_EXPIRED:
        return SMTPC_ERR_TLS_CERT_EXPIRED;
    case SMTPC_CERT_NOT_YET_VALID:
        return SMTPC_ERR_TLS_CERT_NOT_YET_VALID;
    case SMTPC_CERT_UNTRUSTED:
        return SMTPC_ERR_TLS_CERT_UNTRUSTED;
    case SMTPC_CERT_HOSTNAME:
        return SMTPC_ERR_TLS_CERT_HOSTNAME;
    default:
        return SMTPC_ERR_TLS_CERT_OTHER; /* OTHER, or not checked although required */
    }
}

/* Errors of this device rather than of the path or the peer. */
static int err_is_local(int e)
{
    return e == SMTPC_ERR_NET_NO_MEMORY || e == SMTPC_ERR_TLS_NO_MEMORY ||
           e == SMTPC_ERR_TLS_CONFIG || e == SMTPC_ERR_BAD_ARG || e == SMTPC_ERR_INTERNAL ||
           e == SMTPC_ERR_STATE || e == SMTPC_ERR_ABORTED;
}

static int policy_in_force(const smtpc_tls_event_t *ev)
{
    return ev->sts_applied != SMTPC_STS_APPLY_NONE &&
           (ev->sts_mode == SMTPC_STS_MODE_TESTING || ev->sts_mode == SMTPC_STS_MODE_ENFORCE);
}

static smtpc_rpt_class_t cls_policy(const smtpc_tls_event_t *ev)
{
    smtpc_rpt_class_t none;
    int e = ev->err;
    memset(&none, 0, sizeof(none));
    if (e >= SMTPC_OK || ev->sts_applied != SMTPC_STS_APPLY_NONE || err_is_local(e)) {
        return none; /* fetched, cached policy kept, or our own trouble */
    }
    if (e == SMTPC_ERR_STS_POLICY_INVALID || e == SMTPC_ERR_NO_SPACE) {
        return cls_err(SMTPC_RPT_STS_POLICY_INVALID, e);
    }
    if (err_is_cert(e)) {
        return cls_err(SMTPC_RPT_STS_WEBPKI_INVALID, e);
    }
    return cls_err(SMTPC_RPT_STS_POLICY_FETCH_ERROR, e);
}

static smtpc_rpt_class_t cls_starttls(const smtpc_tls_event_t *ev)
{
    if ((ev->flags & SMTPC_EV_F_STRIP) != 0u) {
        return cls_fail(SMTPC_RPT_STARTTLS_NOT_SUPPORTED, SMTPC_RPT_REASON_STRIP, 0);
    }
    return cls_err(SMTPC_RPT_STARTTLS_NOT_SUPPORTED,
                   ev->err != SMTPC_OK ? ev->err : SMTPC_ERR_STARTTLS_REQUIRED);
}

smtpc_rpt_class_t smtpc_tlsrpt_classify(const smtpc_tls_event_t *ev)
{
    smtpc_rpt_class_t none;
    int e;
    memset(&none, 0, sizeof(none));
    if (ev == NULL || ev->rpt != SMTPC_RPT_PUBLISHED) {
        return none;
    }
    if (ev->kind == SMTPC_EV_POLICY) {
        return cls_policy(ev);
    }
    if (ev->kind != SMTPC_EV_SESSION || (ev->flags & SMTPC_EV_F_FETCH_FAILED) != 0u) {
        return none; /* the failed fetch was counted once, by its policy event */
    }
    e = ev->err;
    /* 1. The session's own error, when it is about TLS. */
    if (err_is_cert(e)) {
        return cls_err(cert_result(e), e);
    }
    if (e == SMTPC_ERR_TLS_HANDSHAKE || e == SMTPC_ERR_TLS_VERSION || e == SMTPC_ERR_TLS_CIPHER ||
        e == SMTPC_ERR_STARTTLS_INJECTION) {
        return cls_err(SMTPC_RPT_VALIDATION_FAILURE, e);
    }
    if (e == SMTPC_ERR_STARTTLS_REQUIRED || e == SMTPC_ERR_STARTTLS_REFUSED) {
        return cls_starttls(ev);
    }
    if (e == SMTPC_ERR_STS_MX_NOT_ALLOWED) {
        return cls_err(SMTPC_RPT_VALIDATION_FAILURE, e);
    }
    /* 2. No TLS: delivered in plaintext (STARTTLS not offered) is a failure;
     *    anything else before a TLS outcome is transient. */
    if (ev->tls_reached == SMTPC_REACHED_NONE) {
        return e == SMTPC_OK ? cls_starttls(ev) : none;
    }
    /* 3. TLS was up: what happened afterwards (a rejection, a timeout) is
     *    not a TLS matter. Under a policy the certificate must be valid and
     *    the MX listed (testing mode delivers anyway). */
    if (policy_in_force(ev)) {
        int cert_ok = ev->cert == SMTPC_CERT_OK || (ev->cert == SMTPC_CERT_NOT_CHECKED &&
                                                    ev->tls_reached == SMTPC_REACHED_VERIFIED);
        if (!cert_ok) {
            int ve = verdict_err(ev->cert);
            return cls_err(cert_result(ve), ve);
        }
        if ((ev->flags & SMTPC_EV_F_MX_MISMATCH) != 0u) {
            return cls_err(SMTPC_RPT_VALIDATION_FAILURE, SMTPC_ERR_STS_MX_NOT_ALLOWED);
        }
    }
    none.count = 1;
    none.result = SMTPC_RPT_SUCCESS;
    return none;
}

const char *smtpc_tlsrpt_result_name(int result)
{
    static const char *const names[SMTPC_RPT_RESULT_COUNT_] = {"success",
                                                               "starttls-not-supported",
                                                               "certificate-host-mismatch",
                                                               "certificate-expired",
                                                               "certificate-not-trusted",
                                                               "validation-failure",
                                                               "sts-policy-fetch-error",
                                                               "sts-policy-invalid",
                                                               "sts-webpki-invalid"};
    if (result < 0 || result >= (int)SMTPC_RPT_RESULT_COUNT_) {
        return "unknown";
    }
    return names[result];
}

size_t smtpc_tlsrpt_reason_text(uint8_t ns, uint32_t value, char *out, size_t cap)
{
    const char *s = "";
    size_t n;
    if (out == NULL || cap == 0u) {
        return 0;
    }
    if (ns == SMTPC_RPT_REASON_STRIP) {
        s = "starttls-stripped";
    } else if (ns == SMTPC_RPT_REASON_SMTPC) {
        s = smtpc_strerror(value <= 255u ? -(int)value : SMTPC_ERR_MIN_);
    }
    n = smtpc_strnlen_(s, cap - 1u);
    if (n > cap - 1u) {
        n = cap - 1u;
    }
    memcpy(out, s, n);
    out[n] = '\0';
    return n;
}

/* ==================================================================== log === */

/*
 * Keys (the log owns its whole store):
 *   'Q' day(u16 LE) domain  aggregate of one (UTC day, policy domain)
 *   'S' day(u16 LE)         the day's MX name table
 *   'Y' hash(u32 LE)        a policy snapshot
 * Values start with a format byte (LOG_FMT). Aggregate, little-endian:
 *   u8 fmt | u8 npol | u8 ndet | u8 ndeg | u32 overflow
 *   npol x { u8 type | u32 hash | u32 success | u32 failure }         13 B
 *   ndet x { u8 policy | u8 result | u8 reason_ns | u32 reason | u8 mx |
 *            u8 ip_len | 16 ip (zero-padded) | u32 count }            29 B
 *   ndeg x { u8 policy | u8 result | u32 count }                       6 B
 * Detailed groups are limited by SMTPC_TLSRPT_DETAILS and by the record
 * size, which always keeps room for one degraded group (no MX, IP or
 * reason) per (policy, result type) and for the missing policy entries:
 * a failure whose detailed group finds no room is counted in its degraded
 * group, never lost and never under another result type. Every group
 * belongs to one policy; a policy's groups sum to its failure count and
 * the degraded groups to the overflow (both checked on read).
 * S: u8 fmt | names, each NUL-terminated (index = position, 0xFF none).
 * Y: u8 fmt | u8 mode | u32 max_age | u8 mx_count | u16 pool_len | pool;
 *    the hash is the CRC-32 of the bytes after fmt (0 is never used),
 *    probed upwards when another policy already holds it.
 */
#define KEY_AGG 'Q'
#define KEY_STR 'S'
#define KEY_POL 'Y'
#define LOG_FMT 1u
#define AGG_HDR 8u
#define AGG_POL 13u
#define AGG_DET 29u
#define DET_KEY 25u /* bytes of a group record that identify the group */
#define AGG_DEG 6u
/* degraded groups: at most one per (policy, result type) */
#define AGG_DEG_MAX     ((unsigned)SMTPC_TLSRPT_POLICIES * ((unsigned)SMTPC_RPT_RESULT_COUNT_ - 1u))
#define MX_NONE         0xFFu
#define STR_MAX_NAMES   255u
#define DAY_S           86400u
#define DAY_MAX         0xFFFFu
#define DOMAIN_KEY_MAX  (SMTPC_KVS_KEY_MAX - 3u)
#define Y_HDR           9u
#define Y_PROBES        4u
#define STS_MAX_AGE_MAX 31557600u

typedef struct {
    uint8_t ptype;
    uint32_t hash;
    const smtpc_sts_policy_t *pol;
    uint8_t result;
    uint8_t ns;
    uint32_t reason;
    const char *mx; /* not normalised: compared and stored lower case */
    size_t mx_len;  /* 0: none */
    uint8_t ip_len;
    uint8_t ip[16];
} rpt_fail_t;

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t rd16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static void wr16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static int space_err(int rc)
{
    return rc == SMTPC_ERR_CACHE_FULL || rc == SMTPC_ERR_NO_SPACE;
}

static int log_note(smtpc_tlsrpt_log_t *log, int rc)
{
    if (rc != SMTPC_OK) {
        log->stats.last_err = rc;
    }
    return rc;
}

/* Largest value a record with a key of @p klen bytes can carry. */
static size_t val_max(const smtpc_tlsrpt_log_t *log, size_t klen)
{
    const smtpc_flash_ops_t *f = log->kvs.flash;
    uint32_t unit = f->read_size > f->prog_size ? f->read_size : f->prog_size;
    size_t rec = (size_t)(SMTPC_KVS_RECORD_MAX & ~(unit - 1u));
    size_t over = 8u + klen; /* record head and CRC */
    size_t m = rec > over ? rec - over : 0u;
    return m < sizeof(log->buf) ? m : sizeof(log->buf);
}

static int log_put(smtpc_tlsrpt_log_t *log, const uint8_t *key, size_t kl, const uint8_t *v,
                   size_t vl)
{
    int rc = smtpc_kvs_put(&log->kvs, key, kl, v, vl);
    if (rc == SMTPC_OK) {
        log->stats.flash_writes++;
    }
    return rc;
}

static int log_del(smtpc_tlsrpt_log_t *log, const uint8_t *key, size_t kl)
{
    int rc = smtpc_kvs_del(&log->kvs, key, kl);
    if (rc == SMTPC_OK) {
        log->stats.flash_writes++;
    }
    return rc;
}

/* 'Q' + day + domain (lower case) into log->key; returns the key length. */
static size_t q_key(smtpc_tlsrpt_log_t *log, uint32_t day, const char *dom, size_t dlen)
{
    size_t i;
    log->key[0] = KEY_AGG;
    wr16(log->key + 1, day);
    for (i = 0; i < dlen; i++) {
        log->key[3u + i] = smtpc_lower_((uint8_t)dom[i]);
    }
    return dlen + 3u;
}

/* A policy domain usable in a key: its length, or 0. */
static size_t dom_len(const char *dom)
{
    size_t n = name_len(dom, SMTPC_DNS_NAME_BUF - 1u);
    return n <= DOMAIN_KEY_MAX ? n : 0u;
}

/* Is the key in log->key (@p kl bytes) an aggregate key q_key() could have
 * made: 'Q', a day, a lower-case name of allowed characters? A damaged or
 * forged one is never listed (it could not be loaded) and is collected. */
static int q_key_usable(const smtpc_tlsrpt_log_t *log, size_t kl)
{
    size_t i;
    if (kl < 4u || kl - 3u > DOMAIN_KEY_MAX || log->key[0] != KEY_AGG) {
        return 0;
    }
    for (i = 3; i < kl; i++) {
        uint8_t c = log->key[i];
        if (c == '.') {
            if (i == 3u || i + 1u == kl || log->key[i - 1u] == '.') {
                return 0;
            }
        } else if (!(smtpc_is_digit_(c) || (c >= 'a' && c <= 'z') || c == '-' || c == '_')) {
            return 0;
        }
    }
    return 1;
}

/* ---------------------------------------------------- aggregate bytes --- */

static uint8_t *agg_pol(uint8_t *b, unsigned i)
{
    return b + AGG_HDR + (size_t)i * AGG_POL;
}

/* Offset of detailed group @p i, and of degraded group @p i. */
static size_t agg_det_off(const uint8_t *b, unsigned i)
{
    return AGG_HDR + (size_t)b[1] * AGG_POL + (size_t)i * AGG_DET;
}

static size_t agg_deg_off(const uint8_t *b, unsigned i)
{
    return AGG_HDR + (size_t)b[1] * AGG_POL + (size_t)b[2] * AGG_DET + (size_t)i * AGG_DEG;
}

/* Does the aggregate in @p b (@p len bytes) decode? Checks every bound,
 * that the groups of each policy sum to its failure count and that the
 * degraded groups sum to the overflow. */
static int agg_ok(const uint8_t *b, size_t len)
{
    uint64_t sum[SMTPC_TLSRPT_POLICIES];
    uint64_t overflow = 0;
    unsigned np;
    unsigned nd;
    unsigned ng;
    unsigned i;
    unsigned j;
    if (len < AGG_HDR || b[0] != LOG_FMT) {
        return 0;
    }
    np = b[1];
    nd = b[2];
    ng = b[3];
    if (np > SMTPC_TLSRPT_POLICIES || nd > SMTPC_TLSRPT_DETAILS || ng > AGG_DEG_MAX ||
        len != AGG_HDR + (size_t)np * AGG_POL + (size_t)nd * AGG_DET + (size_t)ng * AGG_DEG) {
        return 0;
    }
    for (i = 0; i < np; i++) {
        const uint8_t *p = b + AGG_HDR + (size_t)i * AGG_POL;
        uint32_t h = rd32(p + 1);
        if (p[0] > SMTPC_RPT_POLICY_STS_UNKNOWN || (p[0] == SMTPC_RPT_POLICY_STS) != (h != 0u)) {
            return 0;
        }
        for (j = 0; j < i; j++) {
            const uint8_t *q = b + AGG_HDR + (size_t)j * AGG_POL;
            if (q[0] == p[0] && rd32(q + 1) == h) {
                return 0;
            }
        }
        sum[i] = 0;
    }
    for (i = 0; i < nd; i++) {
        const uint8_t *d = b + agg_det_off(b, i);
        unsigned k;
        /* a detailed group always has a reason */
        if (d[0] >= np || d[1] == SMTPC_RPT_SUCCESS || d[1] >= SMTPC_RPT_RESULT_COUNT_ ||
            d[2] == SMTPC_RPT_REASON_NONE || d[2] > SMTPC_RPT_REASON_STRIP ||
            (d[8] != 0u && d[8] != 4u && d[8] != 16u) || rd32(d + DET_KEY) == 0u) {
            return 0;
        }
        for (k = d[8]; k < 16u; k++) {
            if (d[9u + k] != 0u) {
                return 0;
            }
        }
        for (j = 0; j < i; j++) {
            if (memcmp(b + agg_det_off(b, j), d, DET_KEY) == 0) {
                return 0;
            }
        }
        sum[d[0]] += rd32(d + DET_KEY);
    }
    for (i = 0; i < ng; i++) {
        const uint8_t *g = b + agg_deg_off(b, i);
        if (g[0] >= np || g[1] == SMTPC_RPT_SUCCESS || g[1] >= SMTPC_RPT_RESULT_COUNT_ ||
            rd32(g + 2) == 0u) {
            return 0;
        }
        for (j = 0; j < i; j++) {
            const uint8_t *q = b + agg_deg_off(b, j);
            if (q[0] == g[0] && q[1] == g[1]) {
                return 0;
            }
        }
        sum[g[0]] += rd32(g + 2);
        overflow += rd32(g + 2);
    }
    for (i = 0; i < np; i++) {
        if (sum[i] != rd32(b + AGG_HDR + (size_t)i * AGG_POL + 9u)) {
            return 0;
        }
    }
    return overflow == rd32(b + 4);
}

/* Index of policy (type, hash), added when missing and room allows; -1. */
static int agg_policy(uint8_t *b, size_t *len, size_t vmax, uint8_t type, uint32_t hash)
{
    unsigned np = b[1];
    unsigned i;
    uint8_t *p;
    for (i = 0; i < np; i++) {
        p = agg_pol(b, i);
        if (p[0] == type && rd32(p + 1) == hash) {
            return (int)i;
        }
    }
    if (np >= SMTPC_TLSRPT_POLICIES || *len + AGG_POL > vmax) {
        return -1;
    }
    p = agg_pol(b, np);
    memmove(p + AGG_POL, p, *len - (size_t)(p - b)); /* the groups move up */
    memset(p, 0, AGG_POL);
    p[0] = type;
    wr32(p + 1, hash);
    b[1] = (uint8_t)(np + 1u);
    *len += AGG_POL;
    return (int)np;
}

static void add32(uint8_t *p, uint32_t n)
{
    uint32_t v = rd32(p);
    wr32(p, v > UINT32_MAX - n ? UINT32_MAX : v + n);
}

/* Room for one more detailed group, keeping room for every policy entry
 * and degraded group the aggregate may still need. */
static int agg_room(const uint8_t *b, size_t len, size_t vmax)
{
    size_t reserve =
        (size_t)(SMTPC_TLSRPT_POLICIES - b[1]) * AGG_POL + (size_t)(AGG_DEG_MAX - b[3]) * AGG_DEG;
    return b[2] < SMTPC_TLSRPT_DETAILS && len + AGG_DET + reserve <= vmax;
}

static void det_make(uint8_t *d, unsigned pol, uint8_t result, uint8_t ns, uint32_t reason,
                     uint8_t mx, uint8_t ip_len, const uint8_t *ip)
{
    memset(d, 0, AGG_DET);
    d[0] = (uint8_t)pol;
    d[1] = result;
    d[2] = ns;
    wr32(d + 3, reason);
    d[7] = mx;
    d[8] = ip_len;
    if (ip_len > 0u) {
        memcpy(d + 9, ip, ip_len);
    }
}

/* Count one failure of (policy @p p, result @p r) without details, in the
 * degraded group of that pair (room for one per pair is kept free). */
static int agg_degrade(smtpc_tlsrpt_log_t *log, size_t *len, size_t vmax, unsigned p, uint8_t r)
{
    uint8_t *b = log->buf;
    unsigned i;
    uint8_t *g = NULL;
    for (i = 0; i < b[3] && g == NULL; i++) {
        uint8_t *q = b + agg_deg_off(b, i);
        if (q[0] == p && q[1] == r) {
            g = q;
        }
    }
    if (g == NULL) {
        if (b[3] >= AGG_DEG_MAX || *len + AGG_DEG > vmax) {
            return 0; /* only with a record size below what the options need */
        }
        g = b + *len;
        g[0] = (uint8_t)p;
        g[1] = r;
        wr32(g + 2, 0);
        b[3]++;
        *len += AGG_DEG;
    }
    add32(g + 2, 1u);
    add32(agg_pol(b, p) + 9u, 1u);
    add32(b + 4, 1u);
    log->stats.degraded++;
    return 1;
}

enum { ACT_DONE = 0, ACT_NEED_NAME = 1, ACT_DROP = 2 };
enum { NAME_NONE = 0, NAME_HAVE = 1, NAME_CAN_ADD = 2, NAME_NO_ROOM = 3 };

/* Add failure @p f to the aggregate in log->buf. */
static int agg_fail(smtpc_tlsrpt_log_t *log, size_t *len, size_t vmax, const rpt_fail_t *f,
                    int name_state, uint8_t mx_idx)
{
    uint8_t *b = log->buf;
    uint8_t det[AGG_DET];
    int p = agg_policy(b, len, vmax, f->ptype, f->hash);
    unsigned i;
    if (p < 0 || rd32(agg_pol(b, (unsigned)p) + 9u) == UINT32_MAX) {
        return ACT_DROP;
    }
    if (name_state == NAME_NONE || name_state == NAME_HAVE) {
        det_make(det, (unsigned)p, f->result, f->ns, f->reason,
                 name_state == NAME_HAVE ? mx_idx : (uint8_t)MX_NONE, f->ip_len, f->ip);
        for (i = 0; i < b[2]; i++) {
            uint8_t *d = b + agg_det_off(b, i);
            if (memcmp(d, det, DET_KEY) == 0) {
                add32(d + DET_KEY, 1u);
                add32(agg_pol(b, (unsigned)p) + 9u, 1u);
                return ACT_DONE;
            }
        }
        if (agg_room(b, *len, vmax)) {
            size_t at = agg_det_off(b, b[2]); /* before the degraded groups */
            memmove(b + at + AGG_DET, b + at, *len - at);
            wr32(det + DET_KEY, 1u);
            memcpy(b + at, det, AGG_DET);
            b[2]++;
            *len += AGG_DET;
            add32(agg_pol(b, (unsigned)p) + 9u, 1u);
            return ACT_DONE;
        }
    } else if (name_state == NAME_CAN_ADD && agg_room(b, *len, vmax)) {
        return ACT_NEED_NAME; /* the name goes to the day's table first */
    }
    return agg_degrade(log, len, vmax, (unsigned)p, f->result) ? ACT_DONE : ACT_DROP;
}

/* ------------------------------------------------------ string table --- */

static size_t s_key(uint8_t *k, uint32_t day)
{
    k[0] = KEY_STR;
    wr16(k + 1, day);
    return 3;
}

/* Read the day's MX table into log->buf (@p len 0 when absent) and count
 * its names: ::SMTPC_OK, ::SMTPC_ERR_CACHE_CORRUPT, ::SMTPC_ERR_FLASH_IO. */
static int s_read(smtpc_tlsrpt_log_t *log, uint32_t day, size_t *len, unsigned *names)
{
    uint8_t k[3];
    size_t i;
    size_t start = 1;
    int rc = smtpc_kvs_get(&log->kvs, k, s_key(k, day), log->buf, sizeof(log->buf), len);
    *names = 0;
    if (rc == SMTPC_ERR_NOT_FOUND) {
        *len = 0;
        return SMTPC_OK;
    }
    if (rc == SMTPC_ERR_NO_SPACE) {
        rc = SMTPC_ERR_CACHE_CORRUPT;
    }
    if (rc != SMTPC_OK) {
        return rc;
    }
    if (*len < 1u || log->buf[0] != LOG_FMT || *len - 1u > SMTPC_TLSRPT_MX_POOL ||
        (*len > 1u && log->buf[*len - 1u] != 0u)) {
        return SMTPC_ERR_CACHE_CORRUPT;
    }
    for (i = 1; i < *len; i++) {
        if (log->buf[i] == 0u) {
            if (i == start || ++*names > STR_MAX_NAMES) {
                return SMTPC_ERR_CACHE_CORRUPT;
            }
            start = i + 1u;
        }
    }
    return SMTPC_OK;
}

/* Find MX @p f->mx in the day's table: NAME_HAVE (index in @p idx),
 * NAME_CAN_ADD or NAME_NO_ROOM (full or unreadable), or a flash error. */
static int s_find(smtpc_tlsrpt_log_t *log, uint32_t day, const rpt_fail_t *f, int *state,
                  uint8_t *idx)
{
    size_t len = 0;
    unsigned names = 0;
    unsigned n = 0;
    size_t i = 1;
    int rc = s_read(log, day, &len, &names);
    if (rc == SMTPC_ERR_FLASH_IO) {
        return rc;
    }
    if (rc != SMTPC_OK) {
        *state = NAME_NO_ROOM;
        return SMTPC_OK;
    }
    while (i < len) {
        size_t s = i;
        size_t k;
        while (log->buf[i] != 0u) {
            i++;
        }
        if (i - s == f->mx_len) {
            for (k = 0; k < f->mx_len && log->buf[s + k] == smtpc_lower_((uint8_t)f->mx[k]); k++) {
            }
            if (k == f->mx_len) {
                *state = NAME_HAVE;
                *idx = (uint8_t)n;
                return SMTPC_OK;
            }
        }
        i++;
        n++;
    }
    *state = (names < STR_MAX_NAMES &&
              (len > 0u ? len - 1u : 0u) + f->mx_len + 1u <= SMTPC_TLSRPT_MX_POOL &&
              (len > 0u ? len : 1u) + f->mx_len + 1u <= val_max(log, 3))
                 ? NAME_CAN_ADD
                 : NAME_NO_ROOM;
    return SMTPC_OK;
}

/* Append the MX name to the day's table (written before any aggregate
 * refers to it). */
static int s_add(smtpc_tlsrpt_log_t *log, uint32_t day, const rpt_fail_t *f, uint8_t *idx)
{
    uint8_t k[3];
    size_t len = 0;
    unsigned names = 0;
    size_t i;
    int rc = s_read(log, day, &len, &names);
    if (rc != SMTPC_OK) {
        return rc;
    }
    if (len == 0u) {
        log->buf[0] = LOG_FMT;
        len = 1;
    }
    if (names >= STR_MAX_NAMES || len - 1u + f->mx_len + 1u > SMTPC_TLSRPT_MX_POOL ||
        len + f->mx_len + 1u > val_max(log, 3)) {
        return SMTPC_ERR_NO_SPACE;
    }
    for (i = 0; i < f->mx_len; i++) {
        log->buf[len + i] = smtpc_lower_((uint8_t)f->mx[i]);
    }
    log->buf[len + f->mx_len] = 0;
    rc = log_put(log, k, s_key(k, day), log->buf, len + f->mx_len + 1u);
    if (rc == SMTPC_OK) {
        *idx = (uint8_t)names;
    }
    return rc;
}

/* ----------------------------------------------------- policy snapshot --- */

static size_t y_key(uint8_t *k, uint32_t h)
{
    k[0] = KEY_POL;
    wr32(k + 1, h);
    return 5;
}

/* Are the patterns mx_count NUL-terminated names filling pool_len? */
static int pool_ok(const smtpc_sts_policy_t *pol)
{
    size_t i;
    unsigned n = 0;
    if (pol->mx_pool_len > sizeof(pol->mx_pool) || pol->mx_count > SMTPC_STS_MAX_MX_PATTERNS ||
        pol->mode > SMTPC_STS_MODE_ENFORCE || pol->max_age > STS_MAX_AGE_MAX) {
        return 0;
    }
    for (i = 0; i < pol->mx_pool_len; i++) {
        if (pol->mx_pool[i] == '\0') {
            if (i == 0u || pol->mx_pool[i - 1u] == '\0') {
                return 0;
            }
            n++;
        }
    }
    return n == pol->mx_count &&
           (pol->mx_pool_len == 0u || pol->mx_pool[pol->mx_pool_len - 1u] == '\0');
}

static void y_head(uint8_t *h, const smtpc_sts_policy_t *pol)
{
    h[0] = pol->mode;
    wr32(h + 1, pol->max_age);
    h[5] = pol->mx_count;
    wr16(h + 6, pol->mx_pool_len);
}

static int reclaim(smtpc_tlsrpt_log_t *log, uint32_t today, int32_t keep_day, uint32_t keep_hash,
                   unsigned *freed);

/* The snapshot's first hash (before any probing), and its header bytes. */
static uint32_t y_hash(const smtpc_sts_policy_t *pol, uint8_t *head)
{
    uint32_t h;
    y_head(head, pol);
    h = smtpc_crc32(smtpc_crc32(0, head, Y_HDR - 1u), (const uint8_t *)pol->mx_pool,
                    pol->mx_pool_len <= sizeof(pol->mx_pool) ? pol->mx_pool_len
                                                             : sizeof(pol->mx_pool));
    return h != 0u ? h : 1u;
}

/* Store the snapshot of @p pol (once) and give its hash. */
static int y_ensure(smtpc_tlsrpt_log_t *log, const smtpc_sts_policy_t *pol, uint32_t today,
                    uint32_t *hash)
{
    uint8_t head[Y_HDR - 1u];
    uint8_t k[5];
    uint32_t h;
    unsigned probe;
    int reclaimed = 0;
    if (!pool_ok(pol)) {
        return SMTPC_ERR_BAD_ARG;
    }
    h = y_hash(pol, head);
    for (probe = 0; probe < Y_PROBES; probe++, h++) {
        size_t len = 0;
        int rc;
        if (h == 0u) {
            h = 1;
        }
        rc = smtpc_kvs_get(&log->kvs, k, y_key(k, h), log->buf, sizeof(log->buf), &len);
        if (rc == SMTPC_OK) {
            if (len == Y_HDR + pol->mx_pool_len && log->buf[0] == LOG_FMT &&
                memcmp(log->buf + 1, head, sizeof(head)) == 0 &&
                memcmp(log->buf + Y_HDR, pol->mx_pool, pol->mx_pool_len) == 0) {
                *hash = h;
                return SMTPC_OK;
            }
            continue; /* another policy holds this hash */
        }
        if (rc == SMTPC_ERR_FLASH_IO) {
            return rc;
        }
        if (rc != SMTPC_ERR_NOT_FOUND) {
            continue; /* unreadable: leave it, probe on */
        }
        for (;;) {
            log->buf[0] = LOG_FMT;
            memcpy(log->buf + 1, head, sizeof(head));
            if (Y_HDR + (size_t)pol->mx_pool_len > val_max(log, 5)) {
                return SMTPC_ERR_TLSRPT_OVERFLOW;
            }
            memcpy(log->buf + Y_HDR, pol->mx_pool, pol->mx_pool_len);
            rc = log_put(log, k, y_key(k, h), log->buf, Y_HDR + (size_t)pol->mx_pool_len);
            if (rc == SMTPC_OK) {
                *hash = h;
                return SMTPC_OK;
            }
            if (space_err(rc) && !reclaimed) {
                unsigned freed = 0;
                reclaimed = 1;
                rc = reclaim(log, today, -1, h, &freed);
                if (rc == SMTPC_OK && freed > 0u) {
                    continue;
                }
            }
            return space_err(rc) ? SMTPC_ERR_TLSRPT_OVERFLOW : rc;
        }
    }
    return SMTPC_ERR_TLSRPT_OVERFLOW;
}

static int y_decode(const uint8_t *b, size_t len, smtpc_sts_policy_t *pol)
{
    if (len < Y_HDR || b[0] != LOG_FMT) {
        return 0;
    }
    memset(pol, 0, sizeof(*pol));
    pol->mode = b[1];
    pol->max_age = rd32(b + 2);
    pol->mx_count = b[6];
    pol->mx_pool_len = (uint16_t)rd16(b + 7);
    if (len != Y_HDR + (size_t)pol->mx_pool_len || pol->mx_pool_len > sizeof(pol->mx_pool)) {
        return 0;
    }
    memcpy(pol->mx_pool, b + Y_HDR, pol->mx_pool_len);
    return pool_ok(pol);
}

/* ----------------------------------------------------------- pending --- */

static int pend_dom_eq(const smtpc_tlsrpt_pending_t *p, const char *dom, size_t dlen)
{
    size_t i;
    for (i = 0; i < dlen; i++) {
        if ((uint8_t)p->domain[i] != smtpc_lower_((uint8_t)dom[i])) {
            return 0;
        }
    }
    return p->domain[dlen] == '\0';
}

static int pend_uses(const smtpc_tlsrpt_log_t *log, uint32_t hash)
{
    unsigned i;
    for (i = 0; i < log->pending_count; i++) {
        if (log->pending[i].count > 0u && log->pending[i].policy_hash == hash) {
            return 1;
        }
    }
    return 0;
}

static void pend_trim(smtpc_tlsrpt_log_t *log)
{
    while (log->pending_count > 0u && log->pending[log->pending_count - 1u].count == 0u) {
        log->pending_count--;
    }
}

/* Fold the batched successes of (day, domain) into the aggregate in
 * log->buf; returns the mask of the entries folded. A success whose policy
 * finds no room is dropped (counted) at once. */
static uint32_t pend_fold(smtpc_tlsrpt_log_t *log, uint32_t day, const char *dom, size_t dlen,
                          size_t *len, size_t vmax)
{
    uint32_t mask = 0;
    unsigned i;
    for (i = 0; i < log->pending_count; i++) {
        smtpc_tlsrpt_pending_t *p = &log->pending[i];
        int at;
        if (p->count == 0u || p->day != day || !pend_dom_eq(p, dom, dlen)) {
            continue;
        }
        at = agg_policy(log->buf, len, vmax, p->type, p->policy_hash);
        if (at < 0) {
            log->stats.dropped += p->count;
            log->stats.last_err = SMTPC_ERR_TLSRPT_OVERFLOW;
            p->count = 0;
            continue;
        }
        add32(agg_pol(log->buf, (unsigned)at) + 5u, p->count);
        mask |= (uint32_t)1u << i;
    }
    return mask;
}

/* ---------------------------------------------------------- collection --- */

/* Is there an aggregate of @p day (want_day) / one that uses policy @p hash? */
static int q_refs(smtpc_tlsrpt_log_t *log, int want_day, uint32_t day, uint32_t hash, int *found)
{
    unsigned k;
    *found = 0;
    for (k = 0; k < SMTPC_KVS_MAX_KEYS; k++) {
        size_t kl = 0;
        size_t len = 0;
        unsigned i;
        int rc = smtpc_kvs_key(&log->kvs, k, log->key, sizeof(log->key), &kl);
        if (rc == SMTPC_ERR_NOT_FOUND) {
            break;
        }
        if (rc == SMTPC_ERR_FLASH_IO) {
            return rc;
        }
        if (rc != SMTPC_OK || !q_key_usable(log, kl)) {
            continue;
        }
        if (want_day) {
            if (rd16(log->key + 1) == day) {
                *found = 1;
                return SMTPC_OK;
            }
            continue;
        }
        rc = smtpc_kvs_get(&log->kvs, log->key, kl, log->buf, sizeof(log->buf), &len);
        if (rc == SMTPC_ERR_FLASH_IO) {
            return rc;
        }
        if (rc != SMTPC_OK || !agg_ok(log->buf, len)) {
            continue;
        }
        for (i = 0; i < log->buf[1]; i++) {
            const uint8_t *p = agg_pol(log->buf, i);
            if (p[0] == SMTPC_RPT_POLICY_STS && rd32(p + 1) == hash) {
                *found = 1;
                return SMTPC_OK;
            }
        }
    }
    return SMTPC_OK;
}

/* Delete string tables and snapshots no aggregate (nor a batched success)
 * refers to, except those of @p keep_day / @p keep_hash. Clobbers log->buf
 * and log->key. */
static int gc(smtpc_tlsrpt_log_t *log, int32_t keep_day, uint32_t keep_hash, unsigned *freed)
{
    unsigned k = 0;
    unsigned guard;
    for (guard = 0; guard < 2u * SMTPC_KVS_MAX_KEYS + 2u; guard++) {
        uint8_t dk[5];
        size_t kl = 0;
        size_t dkl = 0;
        int found = 1;
        int rc = smtpc_kvs_key(&log->kvs, k, log->key, sizeof(log->key), &kl);
        if (rc == SMTPC_ERR_NOT_FOUND) {
            break;
        }
        if (rc == SMTPC_ERR_FLASH_IO) {
            return rc;
        }
        if (rc == SMTPC_OK && log->key[0] == KEY_AGG && !q_key_usable(log, kl)) {
            /* an aggregate that can never be listed or loaded */
            rc = log_del(log, log->key, kl);
            if (rc != SMTPC_OK) {
                return rc;
            }
            log->stats.corrupt++;
            (*freed)++;
            continue;
        }
        if (rc == SMTPC_OK && kl == 3u && log->key[0] == KEY_STR &&
            (int32_t)rd16(log->key + 1) != keep_day) {
            uint32_t day = rd16(log->key + 1);
            dkl = s_key(dk, day);
            rc = q_refs(log, 1, day, 0, &found);
        } else if (rc == SMTPC_OK && kl == 5u && log->key[0] == KEY_POL &&
                   rd32(log->key + 1) != keep_hash && !pend_uses(log, rd32(log->key + 1))) {
            uint32_t h = rd32(log->key + 1);
            dkl = y_key(dk, h);
            rc = q_refs(log, 0, 0, h, &found);
        }
        if (rc == SMTPC_ERR_FLASH_IO) {
            return rc;
        }
        if (found) {
            k++;
            continue;
        }
        rc = log_del(log, dk, dkl);
        if (rc != SMTPC_OK) {
            return rc;
        }
        (*freed)++; /* the next key moved to index k */
    }
    return SMTPC_OK;
}

/* Make room: delete reports older than SMTPC_TLSRPT_KEEP_DAYS before
 * @p today (undelivered, past their retention), then collect orphans. */
static int reclaim(smtpc_tlsrpt_log_t *log, uint32_t today, int32_t keep_day, uint32_t keep_hash,
                   unsigned *freed)
{
    unsigned k = 0;
    unsigned guard;
    for (guard = 0; guard < 2u * SMTPC_KVS_MAX_KEYS + 2u; guard++) {
        size_t kl = 0;
        uint32_t day;
        int rc = smtpc_kvs_key(&log->kvs, k, log->key, sizeof(log->key), &kl);
        if (rc == SMTPC_ERR_NOT_FOUND) {
            break;
        }
        if (rc == SMTPC_ERR_FLASH_IO) {
            return rc;
        }
        if (rc != SMTPC_OK || kl < 4u || log->key[0] != KEY_AGG) {
            k++;
            continue;
        }
        day = rd16(log->key + 1);
        if ((int32_t)day == keep_day || (uint64_t)day + SMTPC_TLSRPT_KEEP_DAYS >= today) {
            k++;
            continue;
        }
        rc = log_del(log, log->key, kl);
        if (rc != SMTPC_OK) {
            return rc;
        }
        log->stats.expired++;
        (*freed)++;
    }
    return gc(log, keep_day, keep_hash, freed);
}

/* ------------------------------------------------------------ update --- */

/* Read the aggregate of the key in log->key into log->buf; a missing one
 * (or one that does not decode: counted, replaced) starts empty. */
static int q_read(smtpc_tlsrpt_log_t *log, size_t klen, size_t *len, int *counted_corrupt)
{
    int rc = smtpc_kvs_get(&log->kvs, log->key, klen, log->buf, sizeof(log->buf), len);
    if (rc == SMTPC_ERR_FLASH_IO) {
        return rc;
    }
    if (rc == SMTPC_OK && agg_ok(log->buf, *len)) {
        return SMTPC_OK;
    }
    if (rc != SMTPC_ERR_NOT_FOUND && !*counted_corrupt) {
        log->stats.corrupt++;
        *counted_corrupt = 1;
    }
    memset(log->buf, 0, AGG_HDR);
    log->buf[0] = LOG_FMT;
    *len = AGG_HDR;
    return SMTPC_OK;
}

/* Read-modify-write the aggregate of (@p day, @p dom): fold in its batched
 * successes and add failure @p f (NULL: none). Committed on return OK. */
static int agg_update(smtpc_tlsrpt_log_t *log, uint32_t day, const char *dom, size_t dlen,
                      const rpt_fail_t *f, uint32_t today)
{
    int name_state = (f != NULL && f->mx_len > 0u) ? -1 : NAME_NONE;
    uint8_t mx_idx = MX_NONE;
    int reclaimed = 0;
    int corrupt = 0;
    unsigned round;
    int rc = SMTPC_ERR_TLSRPT_OVERFLOW;
    for (round = 0; round < 6u; round++) {
        size_t klen;
        size_t len = 0;
        size_t vmax;
        uint32_t mask;
        int act = ACT_DONE;
        unsigned i;
        if (name_state < 0) {
            rc = s_find(log, day, f, &name_state, &mx_idx);
            if (rc != SMTPC_OK) {
                return rc;
            }
        }
        klen = q_key(log, day, dom, dlen);
        vmax = val_max(log, klen);
        rc = q_read(log, klen, &len, &corrupt);
        if (rc != SMTPC_OK) {
            return rc;
        }
        mask = pend_fold(log, day, dom, dlen, &len, vmax);
        if (f != NULL) {
            act = agg_fail(log, &len, vmax, f, name_state, mx_idx);
            if (act == ACT_NEED_NAME) {
                rc = s_add(log, day, f, &mx_idx);
                if (rc == SMTPC_OK) {
                    name_state = NAME_HAVE;
                } else if (rc == SMTPC_ERR_FLASH_IO) {
                    return rc;
                } else if (space_err(rc) && !reclaimed) {
                    unsigned freed = 0;
                    reclaimed = 1;
                    rc = reclaim(log, today, (int32_t)day, f->hash, &freed);
                    if (rc == SMTPC_ERR_FLASH_IO) {
                        return rc;
                    }
                    name_state = (rc == SMTPC_OK && freed > 0u) ? -1 : NAME_NO_ROOM;
                } else {
                    name_state = NAME_NO_ROOM;
                }
                continue; /* read the aggregate again */
            }
        }
        if (mask == 0u && (f == NULL || act == ACT_DROP)) {
            pend_trim(log);
            return f != NULL ? SMTPC_ERR_TLSRPT_OVERFLOW : SMTPC_OK;
        }
        q_key(log, day, dom, dlen);
        rc = log_put(log, log->key, klen, log->buf, len);
        if (rc == SMTPC_OK) {
            for (i = 0; i < log->pending_count; i++) {
                if ((mask >> i) & 1u) {
                    log->pending[i].count = 0;
                }
            }
            pend_trim(log);
            return act == ACT_DROP ? SMTPC_ERR_TLSRPT_OVERFLOW : SMTPC_OK;
        }
        if (space_err(rc) && !reclaimed) {
            unsigned freed = 0;
            reclaimed = 1;
            rc = reclaim(log, today, (int32_t)day, f != NULL ? f->hash : 0u, &freed);
            if (rc == SMTPC_OK && freed > 0u) {
                if (name_state == NAME_HAVE) {
                    name_state = -1; /* look the index up again */
                }
                continue;
            }
            if (rc == SMTPC_OK) {
                rc = SMTPC_ERR_TLSRPT_OVERFLOW;
            }
        }
        if (space_err(rc) || rc == SMTPC_ERR_TLSRPT_OVERFLOW) {
            /* no room at all: the folded successes are lost, and counted */
            for (i = 0; i < log->pending_count; i++) {
                if ((mask >> i) & 1u) {
                    log->stats.dropped += log->pending[i].count;
                    log->pending[i].count = 0;
                }
            }
            pend_trim(log);
            return SMTPC_ERR_TLSRPT_OVERFLOW;
        }
        return rc; /* flash error: batched successes stay batched */
    }
    return rc == SMTPC_OK ? SMTPC_ERR_TLSRPT_OVERFLOW : rc;
}

/* Write the batched successes matching: all (@p before == 0) or those of
 * days before @p before. Returns the first error. */
static int flush_where(smtpc_tlsrpt_log_t *log, uint32_t before, uint32_t today)
{
    int first = SMTPC_OK;
    unsigned i;
    for (i = 0; i < log->pending_count; i++) {
        smtpc_tlsrpt_pending_t *p = &log->pending[i];
        int rc;
        if (p->count == 0u || (before != 0u && p->day >= before)) {
            continue;
        }
        rc = agg_update(log, p->day, p->domain, smtpc_strnlen_(p->domain, DOMAIN_KEY_MAX), NULL,
                        today);
        if (rc != SMTPC_OK && first == SMTPC_OK) {
            first = rc;
        }
    }
    return log_note(log, first);
}

static uint32_t log_today(const smtpc_tlsrpt_log_t *log)
{
    uint64_t t = 0;
    if (log->clock != NULL && log->clock->utc_s != NULL) {
        t = log->clock->utc_s(log->clock_ctx);
    }
    return t / DAY_S > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)(t / DAY_S);
}

static smtpc_tlsrpt_pending_t *pend_find(smtpc_tlsrpt_log_t *log, uint32_t day, const char *dom,
                                         size_t dlen, uint8_t type, uint32_t hash)
{
    unsigned i;
    for (i = 0; i < log->pending_count; i++) {
        smtpc_tlsrpt_pending_t *q = &log->pending[i];
        if (q->count > 0u && q->day == day && q->type == type && q->policy_hash == hash &&
            pend_dom_eq(q, dom, dlen)) {
            return q;
        }
    }
    return NULL;
}

/* A success: batched in RAM, written when the batch is full. */
static int record_success(smtpc_tlsrpt_log_t *log, uint32_t day, const char *dom, size_t dlen,
                          uint8_t type, uint32_t hash)
{
    smtpc_tlsrpt_pending_t *p = pend_find(log, day, dom, dlen, type, hash);
    unsigned i;
    int rc;
    if (p == NULL) {
        unsigned guard;
        for (guard = 0; guard < 2u && p == NULL; guard++) {
            for (i = 0; i < SMTPC_TLSRPT_DOMAINS && p == NULL; i++) {
                if (i >= log->pending_count || log->pending[i].count == 0u) {
                    p = &log->pending[i];
                    if (i >= log->pending_count) {
                        log->pending_count = (uint8_t)(i + 1u);
                    }
                }
            }
            if (p == NULL) {
                /* all slots busy: write the oldest day's entry */
                unsigned old = 0;
                for (i = 1; i < log->pending_count; i++) {
                    if (log->pending[i].day < log->pending[old].day) {
                        old = i;
                    }
                }
                rc =
                    agg_update(log, log->pending[old].day, log->pending[old].domain,
                               smtpc_strnlen_(log->pending[old].domain, DOMAIN_KEY_MAX), NULL, day);
                (void)log_note(log, rc);
            }
        }
        if (p == NULL) {
            log->stats.dropped++;
            return log_note(log, SMTPC_ERR_FLASH_IO);
        }
        memset(p, 0, sizeof(*p));
        p->day = day;
        p->type = type;
        p->policy_hash = hash;
        for (i = 0; i < dlen; i++) {
            p->domain[i] = (char)smtpc_lower_((uint8_t)dom[i]);
        }
        p->domain[dlen] = '\0';
    }
    if (p->count == 0xFFFFu) {
        log->stats.dropped++;
        return log_note(log, SMTPC_ERR_TLSRPT_OVERFLOW);
    }
    p->count++;
    log->stats.recorded++;
    if (p->count >= SMTPC_TLSRPT_SUCCESS_BATCH) {
        return log_note(log, agg_update(log, day, p->domain, dlen, NULL, day));
    }
    return SMTPC_OK;
}

static int log_drop(smtpc_tlsrpt_log_t *log, int rc)
{
    log->stats.dropped++;
    return log_note(log, rc);
}

int smtpc_tlsrpt_log_record(smtpc_tlsrpt_log_t *log, const smtpc_tls_event_t *ev, uint64_t utc_s)
{
    smtpc_rpt_class_t cls;
    rpt_fail_t f;
    uint32_t day;
    size_t dlen;
    int rc;
    if (log == NULL || ev == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (!log->mounted) {
        return SMTPC_ERR_STATE;
    }
    cls = smtpc_tlsrpt_classify(ev);
    if (!cls.count) {
        log->stats.ignored++;
        return SMTPC_OK;
    }
    if (utc_s == 0u || utc_s / DAY_S > DAY_MAX) {
        return log_drop(log, SMTPC_ERR_TLSRPT_OVERFLOW); /* no day to file it under */
    }
    day = (uint32_t)(utc_s / DAY_S);
    dlen = dom_len(ev->domain);
    if (dlen == 0u) {
        return log_drop(log, SMTPC_ERR_BAD_ARG);
    }
    (void)flush_where(log, day, day); /* a new day: earlier days are complete */
    memset(&f, 0, sizeof(f));
    f.ptype = SMTPC_RPT_POLICY_NONE_FOUND;
    if (ev->kind == SMTPC_EV_POLICY) {
        f.ptype = SMTPC_RPT_POLICY_STS_UNKNOWN;
    } else if (policy_in_force(ev)) {
        f.ptype = ev->policy != NULL ? SMTPC_RPT_POLICY_STS : SMTPC_RPT_POLICY_STS_UNKNOWN;
    }
    if (f.ptype == SMTPC_RPT_POLICY_STS) {
        uint8_t head[Y_HDR - 1u];
        f.pol = (const smtpc_sts_policy_t *)ev->policy;
        f.hash = y_hash(f.pol, head);
        /* a success of a batch being counted: its snapshot is stored (and
         * kept while batched), no flash access needed */
        rc = cls.result == SMTPC_RPT_SUCCESS &&
                     pend_find(log, day, ev->domain, dlen, f.ptype, f.hash) != NULL
                 ? SMTPC_OK
                 : y_ensure(log, f.pol, day, &f.hash);
        if (rc != SMTPC_OK) {
            return log_drop(log, rc == SMTPC_ERR_FLASH_IO || rc == SMTPC_ERR_BAD_ARG
                                     ? rc
                                     : SMTPC_ERR_TLSRPT_OVERFLOW);
        }
    }
    if (cls.result == SMTPC_RPT_SUCCESS) {
        return record_success(log, day, ev->domain, dlen, f.ptype, f.hash);
    }
    f.result = cls.result;
    f.ns = cls.reason_ns;
    f.reason = cls.reason;
    if (ev->kind == SMTPC_EV_SESSION) {
        f.mx_len = name_len(ev->mx_host, SMTPC_DNS_NAME_BUF - 1u);
        f.mx = ev->mx_host;
        if (ev->ip_len == 4u || ev->ip_len == 16u) {
            f.ip_len = ev->ip_len;
            memcpy(f.ip, ev->ip, ev->ip_len);
        }
    }
    rc = agg_update(log, day, ev->domain, dlen, &f, day);
    if (rc != SMTPC_OK) {
        return log_drop(log, rc);
    }
    log->stats.recorded++;
    return SMTPC_OK;
}

void smtpc_tlsrpt_hook(void *arg, const smtpc_tls_event_t *ev)
{
    smtpc_tlsrpt_log_t *log = (smtpc_tlsrpt_log_t *)arg;
    uint64_t t = 0;
    if (log == NULL) {
        return;
    }
    if (log->clock != NULL && log->clock->utc_s != NULL) {
        t = log->clock->utc_s(log->clock_ctx);
    }
    (void)smtpc_tlsrpt_log_record(log, ev, t);
}

int smtpc_tlsrpt_log_mount(smtpc_tlsrpt_log_t *log, const smtpc_flash_ops_t *flash, void *flash_ctx,
                           const smtpc_clock_ops_t *clock, void *clock_ctx)
{
    int rc;
    if (log == NULL || flash == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    memset(log, 0, sizeof(*log));
    rc = smtpc_kvs_mount(&log->kvs, flash, flash_ctx);
    if (rc != SMTPC_OK) {
        return rc;
    }
    log->clock = clock;
    log->clock_ctx = clock_ctx;
    log->mounted = 1;
    return SMTPC_OK;
}

int smtpc_tlsrpt_log_flush(smtpc_tlsrpt_log_t *log)
{
    if (log == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (!log->mounted) {
        return SMTPC_ERR_STATE;
    }
    return flush_where(log, 0, log_today(log));
}

/* The @p idx-th aggregate key into log->key (-> day, domain): OK or NOT_FOUND. */
static int q_nth(smtpc_tlsrpt_log_t *log, unsigned idx, size_t *kl)
{
    unsigned seen = 0;
    unsigned k;
    for (k = 0; k < SMTPC_KVS_MAX_KEYS; k++) {
        int rc = smtpc_kvs_key(&log->kvs, k, log->key, sizeof(log->key), kl);
        if (rc == SMTPC_ERR_NOT_FOUND) {
            break;
        }
        if (rc == SMTPC_ERR_FLASH_IO) {
            return rc;
        }
        if (rc == SMTPC_OK && q_key_usable(log, *kl) && seen++ == idx) {
            return SMTPC_OK;
        }
    }
    return SMTPC_ERR_NOT_FOUND;
}

static int key_domain(const smtpc_tlsrpt_log_t *log, size_t kl, char *domain, size_t cap)
{
    if (domain == NULL || kl - 3u + 1u > cap) {
        return SMTPC_ERR_NO_SPACE;
    }
    memcpy(domain, log->key + 3, kl - 3u);
    domain[kl - 3u] = '\0';
    return SMTPC_OK;
}

int smtpc_tlsrpt_log_list(smtpc_tlsrpt_log_t *log, unsigned idx, uint32_t *day, char *domain,
                          size_t cap)
{
    size_t kl = 0;
    int rc;
    if (log == NULL || day == NULL || domain == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (!log->mounted) {
        return SMTPC_ERR_STATE;
    }
    (void)flush_where(log, 0, log_today(log));
    rc = q_nth(log, idx, &kl);
    if (rc != SMTPC_OK) {
        return rc;
    }
    *day = rd16(log->key + 1);
    return key_domain(log, kl, domain, cap);
}

int smtpc_tlsrpt_log_due(smtpc_tlsrpt_log_t *log, uint64_t now_utc, uint32_t delay_s, uint32_t *day,
                         char *domain, size_t cap)
{
    unsigned k;
    int best = -1;
    uint32_t best_day = 0;
    size_t kl = 0;
    if (log == NULL || day == NULL || domain == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (!log->mounted) {
        return SMTPC_ERR_STATE;
    }
    if (now_utc == 0u) {
        return SMTPC_ERR_NOT_FOUND;
    }
    (void)flush_where(log, 0, (uint32_t)(now_utc / DAY_S));
    for (k = 0;; k++) {
        uint32_t d;
        int rc = q_nth(log, k, &kl);
        if (rc != SMTPC_OK) {
            break;
        }
        d = rd16(log->key + 1);
        /* the day ended at (d + 1) * 86400 */
        if (((uint64_t)d + 1u) * DAY_S + delay_s <= now_utc && (best < 0 || d < best_day)) {
            best = (int)k;
            best_day = d;
        }
    }
    if (best < 0 || q_nth(log, (unsigned)best, &kl) != SMTPC_OK) {
        return SMTPC_ERR_NOT_FOUND;
    }
    *day = best_day;
    return key_domain(log, kl, domain, cap);
}

int smtpc_tlsrpt_log_load(smtpc_tlsrpt_log_t *log, uint32_t day, const char *domain,
                          smtpc_tlsrpt_report_t *out)
{
    uint32_t hashes[SMTPC_TLSRPT_POLICIES];
    uint8_t mxi[SMTPC_TLSRPT_GROUPS];
    uint8_t kk[5];
    size_t dlen;
    size_t klen;
    size_t len = 0;
    size_t slen = 0;
    unsigned names = 0;
    unsigned i;
    int need_s = 0;
    int rc;
    if (log == NULL || domain == NULL || out == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (!log->mounted) {
        return SMTPC_ERR_STATE;
    }
    dlen = dom_len(domain);
    if (dlen == 0u) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (day > DAY_MAX) {
        return SMTPC_ERR_NOT_FOUND;
    }
    (void)flush_where(log, 0, log_today(log));
    klen = q_key(log, day, domain, dlen);
    rc = smtpc_kvs_get(&log->kvs, log->key, klen, log->buf, sizeof(log->buf), &len);
    if (rc == SMTPC_ERR_NO_SPACE) {
        rc = SMTPC_ERR_CACHE_CORRUPT;
    }
    if (rc != SMTPC_OK) {
        return rc;
    }
    if (!agg_ok(log->buf, len)) {
        return SMTPC_ERR_CACHE_CORRUPT;
    }
    memset(out, 0, sizeof(*out));
    out->day = day;
    for (i = 0; i < dlen; i++) {
        out->domain[i] = (char)smtpc_lower_((uint8_t)domain[i]);
    }
    out->overflow = rd32(log->buf + 4);
    out->policy_count = log->buf[1];
    for (i = 0; i < out->policy_count; i++) {
        const uint8_t *p = agg_pol(log->buf, i);
        out->policies[i].type = p[0];
        hashes[i] = rd32(p + 1);
        out->policies[i].success = rd32(p + 5);
        out->policies[i].failure = rd32(p + 9);
    }
    out->detail_count = (uint8_t)(log->buf[2] + log->buf[3]);
    for (i = log->buf[2]; i < out->detail_count; i++) {
        /* degraded groups: after the detailed ones, without MX, IP or reason */
        const uint8_t *g = log->buf + agg_deg_off(log->buf, i - log->buf[2]);
        smtpc_rpt_detail_t *o = &out->details[i];
        mxi[i] = MX_NONE;
        o->policy = g[0];
        o->result = g[1];
        o->mx = 0xFFFFu;
        o->count = rd32(g + 2);
    }
    for (i = 0; i < log->buf[2]; i++) {
        const uint8_t *d = log->buf + agg_det_off(log->buf, i);
        smtpc_rpt_detail_t *o = &out->details[i];
        mxi[i] = d[7];
        o->policy = d[0];
        o->result = d[1];
        o->reason_ns = d[2];
        o->reason = rd32(d + 3);
        o->mx = 0xFFFFu; /* mapped below */
        o->ip.len = d[8];
        memcpy(o->ip.addr, d + 9, 16);
        o->count = rd32(d + DET_KEY);
        need_s |= d[7] != MX_NONE;
    }
    for (i = 0; i < out->policy_count; i++) {
        if (out->policies[i].type != SMTPC_RPT_POLICY_STS) {
            continue;
        }
        rc = smtpc_kvs_get(&log->kvs, kk, y_key(kk, hashes[i]), log->buf, sizeof(log->buf), &len);
        if (rc == SMTPC_ERR_FLASH_IO) {
            return rc;
        }
        if (rc != SMTPC_OK || !y_decode(log->buf, len, &out->policies[i].policy)) {
            return SMTPC_ERR_CACHE_CORRUPT; /* a snapshot it refers to is missing or bad */
        }
    }
    if (!need_s) {
        return SMTPC_OK;
    }
    rc = s_read(log, day, &slen, &names);
    if (rc != SMTPC_OK) {
        return rc;
    }
    for (i = 0; i < out->detail_count; i++) {
        smtpc_rpt_detail_t *o = &out->details[i];
        unsigned j;
        unsigned n = 0;
        size_t at = 1;
        size_t nl;
        if (mxi[i] == MX_NONE) {
            continue;
        }
        if (mxi[i] >= names) {
            return SMTPC_ERR_CACHE_CORRUPT; /* refers past the day's table */
        }
        for (j = 0; j < i && mxi[j] != mxi[i]; j++) {
        }
        if (j < i) {
            o->mx = out->details[j].mx; /* the same name, copied once */
            continue;
        }
        while (n < mxi[i]) {
            while (log->buf[at] != 0u) {
                at++;
            }
            at++;
            n++;
        }
        nl = smtpc_strnlen_((const char *)log->buf + at, slen - at);
        if ((size_t)out->mx_pool_len + nl + 1u > sizeof(out->mx_pool)) {
            return SMTPC_ERR_CACHE_CORRUPT;
        }
        memcpy(out->mx_pool + out->mx_pool_len, log->buf + at, nl + 1u);
        o->mx = out->mx_pool_len;
        out->mx_pool_len = (uint16_t)(out->mx_pool_len + nl + 1u);
    }
    return SMTPC_OK;
}

int smtpc_tlsrpt_log_remove(smtpc_tlsrpt_log_t *log, uint32_t day, const char *domain)
{
    size_t dlen;
    size_t klen;
    size_t len = 0;
    unsigned freed = 0;
    int rc;
    int gone;
    if (log == NULL || domain == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (!log->mounted) {
        return SMTPC_ERR_STATE;
    }
    dlen = dom_len(domain);
    if (dlen == 0u) {
        return SMTPC_ERR_BAD_ARG;
    }
    (void)flush_where(log, 0, log_today(log));
    if (day > DAY_MAX) {
        return SMTPC_ERR_NOT_FOUND;
    }
    klen = q_key(log, day, domain, dlen);
    rc = smtpc_kvs_get(&log->kvs, log->key, klen, NULL, 0, &len);
    gone = rc == SMTPC_ERR_NOT_FOUND;
    if (rc == SMTPC_ERR_FLASH_IO) {
        return rc;
    }
    if (!gone) {
        rc = log_del(log, log->key, klen);
        if (rc != SMTPC_OK) {
            return rc;
        }
    }
    rc = gc(log, -1, 0, &freed);
    if (rc != SMTPC_OK) {
        return rc;
    }
    return gone ? SMTPC_ERR_NOT_FOUND : SMTPC_OK;
}

const smtpc_tlsrpt_stats_t *smtpc_tlsrpt_log_stats(const smtpc_tlsrpt_log_t *log)
{
    return log != NULL ? &log->stats : NULL;
}

#else

typedef int smtpc_tlsrpt_unused_t;

#endif
