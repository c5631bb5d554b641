/* The RFC 8460 §5.3 report message (smtpc/tlsrpt.h): RFC 5322 headers,
 * a multipart/report (RFC 6522) with report-type "tlsrpt", a short
 * text/plain part and the gzip report as an application/tlsrpt+gzip
 * attachment in base64 (RFC 2045 §6.8), named as §5.1 recommends.
 *
 * Lines end in CRLF and stay within 78 characters: header values fold at
 * their blanks, a long file name is split into RFC 2231 continuations
 * (name*0=, name*1=, ...), base64 lines carry 76 characters. Only a single
 * token longer than a line (a long report id in the Subject) exceeds 78; no
 * line exceeds RFC 5322's 998. The MIME boundary is derived from the report
 * identity, so the same report always yields the same bytes; it starts with
 * "=_", which base64 text and the fixed text part can never contain. */
#include <string.h>

#include "smtpc/tlsrpt.h"
#include "smtpc_priv.h"

#define ML_MAX         78u  /* RFC 5322 §2.1.1 SHOULD */
#define ML_HARD        998u /* RFC 5322 §2.1.1 MUST */
#define ML_ARG_MAX     512u /* longest header input accepted */
#define ML_B64_GROUPS  19u  /* 76 characters per base64 line */
#define ML_PARAM_CHUNK 48u

typedef struct {
    char *out;
    size_t cap;
    size_t len;
    size_t col; /* characters on the current line */
    int rc;
} ml_w_t;

static void ml_put(ml_w_t *w, const char *s, size_t n)
{
    size_t i;
    if (w->rc != SMTPC_OK) {
        return;
    }
    if (n > w->cap - w->len) {
        w->rc = SMTPC_ERR_NO_SPACE;
        return;
    }
    memcpy(w->out + w->len, s, n);
    w->len += n;
    for (i = 0; i < n; i++) {
        w->col = s[i] == '\n' ? 0u : w->col + 1u;
    }
    if (w->col > ML_HARD) {
        w->rc = SMTPC_ERR_BAD_ARG;
    }
}

static void ml_str(ml_w_t *w, const char *s)
{
    ml_put(w, s, smtpc_strnlen_(s, ML_ARG_MAX));
}

#define ML_LIT(w, lit) ml_put((w), (lit), sizeof(lit) - 1u)

static void ml_crlf(ml_w_t *w)
{
    ML_LIT(w, "\r\n");
}

static size_t ml_u64(uint64_t v, char out[21])
{
    char tmp[20];
    size_t n = 0;
    size_t i;
    do {
        tmp[n++] = (char)('0' + (unsigned)(v % 10u));
        v /= 10u;
    } while (v != 0u);
    for (i = 0; i < n; i++) {
        out[i] = tmp[n - 1u - i];
    }
    out[n] = '\0';
    return n;
}

/* A token, preceded by a blank, or by a fold (CRLF SP) when it would take
 * the line beyond 78 characters (the first token may go to a continuation
 * line of its own too: `Name:` CRLF SP token). */
static void ml_token(ml_w_t *w, const char *s, size_t n)
{
    if (w->col + 1u + n > ML_MAX && w->col > 1u) {
        ML_LIT(w, "\r\n ");
    } else {
        ML_LIT(w, " ");
    }
    ml_put(w, s, n);
}

/* "Name: value" with the value folded at its blanks (runs of blanks count
 * as one), then CRLF. */
static void ml_header(ml_w_t *w, const char *name, const char *value)
{
    size_t i = 0;
    size_t n = smtpc_strnlen_(value, ML_HARD);
    ml_str(w, name);
    ML_LIT(w, ":");
    while (i < n) {
        size_t j;
        while (i < n && value[i] == ' ') {
            i++;
        }
        j = i;
        while (j < n && value[j] != ' ') {
            j++;
        }
        if (j > i) {
            ml_token(w, value + i, j - i);
        }
        i = j;
    }
    ml_crlf(w);
}

/* `; name="value"` on a line of its own (the `;` ends the line before), or
 * as RFC 2231 §3 continuations when that line would exceed 78 characters.
 */
static void ml_param(ml_w_t *w, const char *name, const char *value, size_t vlen)
{
    size_t nl = smtpc_strnlen_(name, 16);
    if (1u + nl + 3u + vlen <= ML_MAX) {
        ML_LIT(w, ";\r\n ");
        ml_put(w, name, nl);
        ML_LIT(w, "=\"");
        ml_put(w, value, vlen);
        ML_LIT(w, "\"");
    } else {
        size_t off = 0;
        uint64_t k = 0;
        while (off < vlen) {
            char num[21];
            size_t c = vlen - off < ML_PARAM_CHUNK ? vlen - off : ML_PARAM_CHUNK;
            ML_LIT(w, ";\r\n ");
            ml_put(w, name, nl);
            ML_LIT(w, "*");
            ml_put(w, num, ml_u64(k, num));
            ML_LIT(w, "=\"");
            ml_put(w, value + off, c);
            ML_LIT(w, "\"");
            off += c;
            k++;
        }
    }
}

/* "Label: value" CRLF, or the value on a line of its own (indented) when
 * both do not fit one line. */
static void ml_label(ml_w_t *w, const char *label, const char *value)
{
    size_t ll = smtpc_strnlen_(label, 32);
    size_t vl = smtpc_strnlen_(value, ML_ARG_MAX);
    ml_put(w, label, ll);
    if (ll + 1u + vl > ML_MAX) {
        ML_LIT(w, "\r\n");
    }
    ML_LIT(w, " ");
    ml_put(w, value, vl);
    ml_crlf(w);
}

/* ------------------------------------------------------------- checks --- */

/* 1..ML_ARG_MAX printable ASCII characters (SP allowed when @p sp). */
static int ml_text_ok(const char *s, int sp)
{
    size_t n;
    size_t i;
    if (s == NULL) {
        return 0;
    }
    n = smtpc_strnlen_(s, ML_ARG_MAX);
    if (n == 0u || n > ML_ARG_MAX) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c > 0x7eu || c < 0x20u || (c == ' ' && !sp)) {
            return 0;
        }
    }
    return 1;
}

static int ml_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* atext of RFC 5322 §3.2.3, plus '.' (dot-atom-text, id-left of a msg-id). */
static int ml_dot_atom_ok(const char *s)
{
    static const char extra[] = "!#$%&'*+-/=?^_`{|}~.";
    size_t i;
    size_t n;
    if (!ml_text_ok(s, 0)) {
        return 0;
    }
    n = smtpc_strnlen_(s, ML_ARG_MAX);
    if (s[0] == '.' || s[n - 1u] == '.') {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!ml_alnum(s[i])) {
            size_t k = 0;
            while (k + 1u < sizeof(extra) && extra[k] != s[i]) {
                k++;
            }
            if (k + 1u >= sizeof(extra)) {
                return 0;
            }
        }
        if (s[i] == '.' && s[i + 1u] == '.') {
            return 0;
        }
    }
    return 1;
}

/* A domain as it may appear in a file name and a header: letters, digits,
 * '-', '.', 1..253. */
static int ml_domain_ok(const char *s)
{
    size_t i;
    size_t n;
    if (s == NULL) {
        return 0;
    }
    n = smtpc_strnlen_(s, 253);
    if (n == 0u || n > 253u) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!ml_alnum(s[i]) && s[i] != '-' && s[i] != '.') {
            return 0;
        }
    }
    return 1;
}

static int ml_unique_ok(const char *s)
{
    size_t i;
    size_t n;
    if (s == NULL) {
        return 1;
    }
    n = smtpc_strnlen_(s, 64);
    if (n == 0u || n > 64u) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!ml_alnum(s[i])) {
            return 0;
        }
    }
    return 1;
}

/* ---------------------------------------------------------- boundary --- */

static uint64_t ml_fnv(uint64_t h, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= (uint8_t)s[i];
        h *= 0x100000001b3u;
    }
    return h;
}

/* "=_tlsrpt_" and 16 hex digits of a hash of the report identity. */
static void ml_boundary(const smtpc_tlsrpt_mail_t *m, char out[26])
{
    static const char hx[] = "0123456789abcdef";
    char num[21];
    uint64_t h = 0xcbf29ce484222325u;
    unsigned i;
    h = ml_fnv(h, m->report_id, smtpc_strnlen_(m->report_id, ML_ARG_MAX));
    h = ml_fnv(h, "|", 1);
    h = ml_fnv(h, m->policy_domain, smtpc_strnlen_(m->policy_domain, ML_ARG_MAX));
    h = ml_fnv(h, "|", 1);
    h = ml_fnv(h, m->submitter, smtpc_strnlen_(m->submitter, ML_ARG_MAX));
    h = ml_fnv(h, "|", 1);
    memset(num, 0, sizeof(num));
    h = ml_fnv(h, num, ml_u64(m->range_start, num));
    memcpy(out, "=_tlsrpt_", 9);
    for (i = 0; i < 16u; i++) {
        out[9u + i] = hx[(unsigned)(h >> (60u - 4u * i)) & 0xFu];
    }
    out[25] = '\0';
}

/* -------------------------------------------------------------- build --- */

/* "<submitter>!<domain>!<start>!<end>[!<unique>].json.gz" into @p out. */
static size_t ml_filename(const smtpc_tlsrpt_mail_t *m, char *out)
{
    size_t n = 0;
    size_t k;
    k = smtpc_strnlen_(m->submitter, 253);
    memcpy(out + n, m->submitter, k);
    n += k;
    out[n++] = '!';
    k = smtpc_strnlen_(m->policy_domain, 253);
    memcpy(out + n, m->policy_domain, k);
    n += k;
    out[n++] = '!';
    n += ml_u64(m->range_start, out + n);
    out[n++] = '!';
    n += ml_u64(m->range_end, out + n);
    if (m->unique != NULL) {
        out[n++] = '!';
        k = smtpc_strnlen_(m->unique, 64);
        memcpy(out + n, m->unique, k);
        n += k;
    }
    memcpy(out + n, ".json.gz", 8);
    n += 8u;
    out[n] = '\0';
    return n;
}

static void ml_base64(ml_w_t *w, const uint8_t *p, size_t n)
{
    size_t off = 0;
    unsigned groups = 0;
    while (off < n && w->rc == SMTPC_OK) {
        uint8_t q[4];
        size_t k = n - off < 3u ? n - off : 3u;
        smtpc_b64_group(p + off, k, q);
        ml_put(w, (const char *)q, 4);
        off += k;
        if (++groups == ML_B64_GROUPS) {
            ml_crlf(w);
            groups = 0;
        }
    }
    if (groups != 0u) {
        ml_crlf(w);
    }
}

static void ml_dashes(ml_w_t *w, const char *boundary, int last)
{
    ML_LIT(w, "--");
    ml_str(w, boundary);
    if (last) {
        ML_LIT(w, "--");
    }
    ml_crlf(w);
}

int smtpc_tlsrpt_mail_build(const smtpc_tlsrpt_mail_t *m, char *out, size_t cap, size_t *len)
{
    ml_w_t w;
    char boundary[26];
    char fname[253 + 1 + 253 + 1 + 20 + 1 + 20 + 1 + 64 + 8 + 1];
    char subj[ML_ARG_MAX + 3 * 253 + 64];
    char t[21];
    size_t fl;
    size_t n;
    if (len != NULL) {
        *len = 0;
    }
    if (m == NULL || out == NULL || len == NULL || !ml_text_ok(m->from, 0) ||
        !ml_text_ok(m->to, 0) || !ml_domain_ok(m->policy_domain) || !ml_domain_ok(m->submitter) ||
        !ml_dot_atom_ok(m->report_id) || !ml_text_ok(m->date, 1) ||
        (m->message_id != NULL && !ml_text_ok(m->message_id, 0)) || !ml_unique_ok(m->unique) ||
        m->gz == NULL || m->gz_len == 0u || m->range_end < m->range_start) {
        return SMTPC_ERR_BAD_ARG;
    }
    memset(&w, 0, sizeof(w));
    w.out = out;
    w.cap = cap > 0u ? cap - 1u : 0u; /* room for the NUL */
    w.rc = cap > 0u ? SMTPC_OK : SMTPC_ERR_NO_SPACE;
    ml_boundary(m, boundary);
    fl = ml_filename(m, fname);

    /* Subject (§5.3): Report Domain: D Submitter: S Report-ID: <id@S> */
    memcpy(subj, "Report Domain: ", 15);
    n = 15;
    memcpy(subj + n, m->policy_domain, smtpc_strnlen_(m->policy_domain, 253));
    n += smtpc_strnlen_(m->policy_domain, 253);
    memcpy(subj + n, " Submitter: ", 12);
    n += 12;
    memcpy(subj + n, m->submitter, smtpc_strnlen_(m->submitter, 253));
    n += smtpc_strnlen_(m->submitter, 253);
    memcpy(subj + n, " Report-ID: <", 13);
    n += 13;
    memcpy(subj + n, m->report_id, smtpc_strnlen_(m->report_id, ML_ARG_MAX));
    n += smtpc_strnlen_(m->report_id, ML_ARG_MAX);
    subj[n++] = '@';
    memcpy(subj + n, m->submitter, smtpc_strnlen_(m->submitter, 253));
    n += smtpc_strnlen_(m->submitter, 253);
    subj[n++] = '>';
    subj[n] = '\0';

    ml_header(&w, "From", m->from);
    ml_header(&w, "To", m->to);
    ml_header(&w, "Date", m->date);
    if (m->message_id != NULL) {
        ml_header(&w, "Message-ID", m->message_id);
    }
    ml_header(&w, "Subject", subj);
    ml_header(&w, "TLS-Report-Domain", m->policy_domain);
    ml_header(&w, "TLS-Report-Submitter", m->submitter);
    ml_header(&w, "TLS-Required", "No");
    ml_header(&w, "Auto-Submitted", "auto-generated");
    ml_header(&w, "MIME-Version", "1.0");
    ML_LIT(&w, "Content-Type: multipart/report; report-type=\"tlsrpt\"");
    ml_param(&w, "boundary", boundary, 25);
    ml_crlf(&w);
    ml_crlf(&w);
    ML_LIT(&w, "This is a multipart message in MIME format.\r\n\r\n");

    /* Part 1: the human-readable summary (RFC 6522 §3). */
    ml_dashes(&w, boundary, 0);
    ML_LIT(&w, "Content-Type: text/plain; charset=us-ascii\r\n"
               "Content-Transfer-Encoding: 7bit\r\n\r\n"
               "This is an aggregate TLS report (RFC 8460).\r\n");
    ml_label(&w, "Submitter:", m->submitter);
    ml_label(&w, "Policy domain:", m->policy_domain);
    ML_LIT(&w, "Period: ");
    ml_put(&w, t, smtpc_tlsrpt_rfc3339(m->range_start, t));
    ML_LIT(&w, " to ");
    ml_put(&w, t, smtpc_tlsrpt_rfc3339(m->range_end, t));
    ML_LIT(&w, "\r\nThe report is attached as application/tlsrpt+gzip.\r\n\r\n");

    /* Part 2: the report (§5.3, §6.4). */
    ml_dashes(&w, boundary, 0);
    ML_LIT(&w, "Content-Type: application/tlsrpt+gzip");
    ml_param(&w, "name", fname, fl);
    ml_crlf(&w);
    ML_LIT(&w, "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment");
    ml_param(&w, "filename", fname, fl);
    ml_crlf(&w);
    ml_crlf(&w);
    ml_base64(&w, m->gz, m->gz_len);
    ml_crlf(&w);
    ml_dashes(&w, boundary, 1);

    if (w.rc != SMTPC_OK) {
        if (cap > 0u) {
            out[0] = '\0';
        }
        return w.rc;
    }
    out[w.len] = '\0';
    *len = w.len;
    return SMTPC_OK;
}
