/* MTA-STS parsers: RFC 8461 §3.1 (TXT record), §3.2 (policy body), §4.1
 * (MX matching). See smtpc/sts.h. */
#include <string.h>

#include "smtpc/sts.h"
#include "smtpc_priv.h"

#define STS_MAX_AGE_MAX 31557600u
#define STS_NAME_MAX    32u

static int span_is(const char *p, size_t n, const char *lit)
{
    size_t k = smtpc_strnlen_(lit, 16);
    return n == k && memcmp(p, lit, k) == 0;
}

/* Extension/field name: ALPHA/DIGIT then up to 31 of ALPHA/DIGIT/_/-/. */
static int name_ok(const char *p, size_t n)
{
    size_t i;
    if (n == 0 || n > STS_NAME_MAX || !smtpc_is_alnum_((uint8_t)p[0])) {
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

/* ----------------------------------------------------------- TXT ------- */

int smtpc_sts_txt_is_candidate(const char *rec, size_t len)
{
    size_t i = 7;
    if (rec == NULL || len < 8 || memcmp(rec, "v=STSv1", 7) != 0) {
        return 0;
    }
    while (i < len && smtpc_is_wsp_((uint8_t)rec[i])) {
        i++;
    }
    return i < len && rec[i] == ';';
}

/* One field at *pos (name=value; value: %x21-7E except '=' and ';'). */
static int txt_field(const char *r, size_t len, size_t *pos, smtpc_sts_txt_t *out, int *have_id)
{
    size_t p = *pos;
    size_t name_start = p;
    size_t name_len;
    size_t val_start;
    size_t val_len;
    while (p < len && r[p] != '=' && r[p] != ';' && !smtpc_is_wsp_((uint8_t)r[p])) {
        p++;
    }
    name_len = p - name_start;
    if (p >= len || r[p] != '=' || !name_ok(r + name_start, name_len)) {
        return SMTPC_ERR_STS_TXT_INVALID;
    }
    val_start = ++p;
    while (p < len && (uint8_t)r[p] >= 0x21u && (uint8_t)r[p] <= 0x7eu && r[p] != ';' &&
           r[p] != '=') {
        p++;
    }
    val_len = p - val_start;
    if (val_len == 0) {
        return SMTPC_ERR_STS_TXT_INVALID;
    }
    if (span_is(r + name_start, name_len, "id") && !*have_id) {
        size_t i;
        /* sts-id = 1*32(ALPHA / DIGIT); the first "id" counts (§3.2). */
        if (val_len > SMTPC_STS_ID_MAX) {
            return SMTPC_ERR_STS_TXT_INVALID;
        }
        for (i = 0; i < val_len; i++) {
            if (!smtpc_is_alnum_((uint8_t)r[val_start + i])) {
                return SMTPC_ERR_STS_TXT_INVALID;
            }
        }
        memcpy(out->id, r + val_start, val_len);
        out->id[val_len] = '\0';
        out->id_len = (uint8_t)val_len;
        *have_id = 1;
    }
    *pos = p;
    return SMTPC_OK;
}

int smtpc_sts_txt_parse(const char *rec, size_t len, smtpc_sts_txt_t *out)
{
    smtpc_sts_txt_t tmp;
    size_t pos = 7;
    unsigned fields = 0;
    int have_id = 0;
    if (rec == NULL || out == NULL || len < 7 || memcmp(rec, "v=STSv1", 7) != 0) {
        return SMTPC_ERR_STS_TXT_INVALID;
    }
    memset(&tmp, 0, sizeof(tmp));
    /* sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim] */
    while (pos < len) {
        size_t start = pos;
        while (pos < len && smtpc_is_wsp_((uint8_t)rec[pos])) {
            pos++;
        }
        if (pos == len || rec[pos] != ';') {
            (void)start;
            return SMTPC_ERR_STS_TXT_INVALID; /* trailing blanks, or no delimiter */
        }
        pos++;
        while (pos < len && smtpc_is_wsp_((uint8_t)rec[pos])) {
            pos++;
        }
        if (pos == len) {
            break; /* optional trailing delimiter */
        }
        if (txt_field(rec, len, &pos, &tmp, &have_id) != SMTPC_OK) {
            return SMTPC_ERR_STS_TXT_INVALID;
        }
        fields++;
    }
    if (fields == 0 || !have_id) {
        return SMTPC_ERR_STS_TXT_INVALID;
    }
    *out = tmp;
    return SMTPC_OK;
}

void smtpc_sts_sel_init(smtpc_sts_sel_t *sel)
{
    memset(sel, 0, sizeof(*sel));
}

void smtpc_sts_sel_add(smtpc_sts_sel_t *sel, const char *rec, size_t len)
{
    smtpc_sts_txt_t t;
    if (sel == NULL || rec == NULL || !smtpc_sts_txt_is_candidate(rec, len)) {
        return; /* unrelated TXT records (SPF, verification tokens) are ignored */
    }
    if (sel->candidates < 255u) {
        sel->candidates++;
    }
    if (smtpc_sts_txt_parse(rec, len, &t) == SMTPC_OK) {
        if (sel->valid == 0u) {
            sel->txt = t;
        }
        if (sel->valid < 255u) {
            sel->valid++;
        }
    }
}

int smtpc_sts_sel_result(const smtpc_sts_sel_t *sel, smtpc_sts_txt_t *out)
{
    if (sel == NULL || out == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (sel->candidates == 0u) {
        return SMTPC_ERR_DNS_NODATA;
    }
    if (sel->candidates != 1u || sel->valid != 1u) {
        return SMTPC_ERR_STS_TXT_INVALID;
    }
    *out = sel->txt;
    return SMTPC_OK;
}

/* --------------------------------------------------------- policy ------ */

/* mx pattern: ["*."] Domain; LDH labels of 1..63, no trailing dot, ASCII. */
static int mx_pattern_ok(const char *p, size_t n)
{
    size_t i = 0;
    size_t label = 0;
    if (n >= 2 && p[0] == '*' && p[1] == '.') {
        i = 2;
    }
    if (i == n || n > 253u) {
        return 0;
    }
    for (; i < n; i++) {
        uint8_t c = (uint8_t)p[i];
        if (c == '.') {
            if (label == 0 || p[i - 1u] == '-') {
                return 0;
            }
            label = 0;
        } else if (smtpc_is_alnum_(c) || (c == '-' && label > 0)) {
            if (++label > 63u) {
                return 0;
            }
        } else {
            return 0;
        }
    }
    return label > 0 && p[n - 1u] != '-';
}

typedef struct {
    uint8_t have_version, have_mode, have_max_age;
} sts_seen_t;

static int policy_put_mx(smtpc_sts_policy_t *pol, const char *v, size_t n)
{
    size_t i;
    if (!mx_pattern_ok(v, n)) {
        return SMTPC_ERR_STS_POLICY_INVALID;
    }
    if (pol->mx_count >= SMTPC_STS_MAX_MX_PATTERNS ||
        n + 1u > sizeof(pol->mx_pool) - pol->mx_pool_len) {
        return SMTPC_ERR_NO_SPACE;
    }
    for (i = 0; i < n; i++) {
        pol->mx_pool[pol->mx_pool_len + i] = (char)smtpc_lower_((uint8_t)v[i]);
    }
    pol->mx_pool[pol->mx_pool_len + n] = '\0';
    pol->mx_pool_len = (uint16_t)(pol->mx_pool_len + n + 1u);
    pol->mx_count++;
    return SMTPC_OK;
}

static int policy_max_age(const char *v, size_t n, uint32_t *out)
{
    uint32_t a = 0;
    size_t i;
    /* max-age = 1*10DIGIT, 0..31557600 (erratum 7282); no sign, no unit. */
    if (n == 0 || n > 10u) {
        return SMTPC_ERR_STS_POLICY_INVALID;
    }
    for (i = 0; i < n; i++) {
        if (!smtpc_is_digit_((uint8_t)v[i])) {
            return SMTPC_ERR_STS_POLICY_INVALID;
        }
        if (a > (STS_MAX_AGE_MAX - (uint32_t)(v[i] - '0')) / 10u) {
            return SMTPC_ERR_STS_POLICY_INVALID;
        }
        a = a * 10u + (uint32_t)(v[i] - '0');
    }
    *out = a;
    return SMTPC_OK;
}

/* One line: key ":" *WSP value *WSP (the line ending is already removed). */
static int policy_line(const char *l, size_t n, smtpc_sts_policy_t *pol, sts_seen_t *seen)
{
    size_t k = 0;
    size_t v;
    size_t e = n;
    size_t i;
    while (k < n && l[k] != ':') {
        k++;
    }
    if (k == n || !name_ok(l, k)) {
        return SMTPC_ERR_STS_POLICY_INVALID;
    }
    v = k + 1u;
    while (v < n && smtpc_is_wsp_((uint8_t)l[v])) {
        v++;
    }
    while (e > v && smtpc_is_wsp_((uint8_t)l[e - 1u])) {
        e--;
    }
    if (e == v) {
        return SMTPC_ERR_STS_POLICY_INVALID; /* every value has at least one character */
    }
    for (i = v; i < e; i++) {
        uint8_t c = (uint8_t)l[i];
        if ((c < 0x20u && c != '\t') || c == 0x7fu) {
            return SMTPC_ERR_STS_POLICY_INVALID; /* controls (WSP inside is allowed) */
        }
    }
    if (span_is(l, k, "mx")) {
        return policy_put_mx(pol, l + v, e - v);
    }
    if (span_is(l, k, "version")) {
        if (!seen->have_version) {
            seen->have_version = 1;
            return span_is(l + v, e - v, "STSv1") ? SMTPC_OK : SMTPC_ERR_STS_POLICY_INVALID;
        }
    } else if (span_is(l, k, "mode")) {
        if (!seen->have_mode) {
            seen->have_mode = 1;
            if (span_is(l + v, e - v, "enforce")) {
                pol->mode = SMTPC_STS_MODE_ENFORCE;
            } else if (span_is(l + v, e - v, "testing")) {
                pol->mode = SMTPC_STS_MODE_TESTING;
            } else if (span_is(l + v, e - v, "none")) {
                pol->mode = SMTPC_STS_MODE_NONE;
            } else {
                return SMTPC_ERR_STS_POLICY_INVALID;
            }
        }
    } else if (span_is(l, k, "max_age")) {
        if (!seen->have_max_age) {
            seen->have_max_age = 1;
            return policy_max_age(l + v, e - v, &pol->max_age);
        }
    }
    return SMTPC_OK; /* an extension, or a repeated field: ignored */
}

int smtpc_sts_policy_parse(const char *body, size_t len, smtpc_sts_policy_t *out)
{
    smtpc_sts_policy_t pol;
    sts_seen_t seen;
    size_t pos = 0;
    if (body == NULL || out == NULL || len > SMTPC_STS_POLICY_MAX) {
        return body == NULL || out == NULL ? SMTPC_ERR_BAD_ARG : SMTPC_ERR_HTTP_TOO_LARGE;
    }
    memset(&pol, 0, sizeof(pol));
    memset(&seen, 0, sizeof(seen));
    while (pos < len) {
        size_t start = pos;
        size_t end;
        int rc;
        while (pos < len && body[pos] != '\n') {
            pos++;
        }
        end = pos;
        if (pos < len && end > start && body[end - 1u] == '\r') {
            end--; /* CRLF or LF (erratum 6253); a bare CR ends no line */
        }
        if (pos < len) {
            pos++;
        }
        rc = policy_line(body + start, end - start, &pol, &seen);
        if (rc != SMTPC_OK) {
            return rc; /* blank lines are not in the grammar either */
        }
    }
    if (!seen.have_version || !seen.have_mode || !seen.have_max_age ||
        (pol.mx_count == 0 && pol.mode != SMTPC_STS_MODE_NONE)) {
        return SMTPC_ERR_STS_POLICY_INVALID;
    }
    *out = pol;
    return SMTPC_OK;
}

/* ------------------------------------------------------- matching ------ */

int smtpc_sts_mx_match(const char *pattern, const char *host)
{
    size_t pl;
    size_t hl;
    size_t i;
    size_t off = 0;
    if (pattern == NULL || host == NULL) {
        return 0;
    }
    pl = smtpc_strnlen_(pattern, 256);
    hl = smtpc_strnlen_(host, 256);
    if (pl == 0 || hl == 0 || pl > 255u || hl > 255u) {
        return 0;
    }
    for (i = 0; i < hl; i++) {
        if (host[i] == '*') {
            return 0; /* a host name never holds a wildcard */
        }
    }
    if (hl > 0 && host[hl - 1u] == '.') {
        hl--; /* one trailing root dot */
    }
    if (pl >= 2 && pattern[0] == '*' && pattern[1] == '.') {
        /* Exactly one non-empty left-most label before the suffix. */
        size_t dot = 0;
        while (dot < hl && host[dot] != '.') {
            dot++;
        }
        if (dot == 0 || dot == hl) {
            return 0;
        }
        off = dot + 1u;
        pattern += 2;
        pl -= 2;
    }
    if (hl - off != pl) {
        return 0;
    }
    for (i = 0; i < pl; i++) {
        if (smtpc_lower_((uint8_t)host[off + i]) != smtpc_lower_((uint8_t)pattern[i])) {
            return 0;
        }
    }
    return 1;
}

int smtpc_sts_mx_allowed(const smtpc_sts_policy_t *pol, const char *host)
{
    size_t off = 0;
    unsigned i;
    if (pol == NULL) {
        return 0;
    }
    for (i = 0; i < pol->mx_count && off < pol->mx_pool_len; i++) {
        const char *p = pol->mx_pool + off;
        if (smtpc_sts_mx_match(p, host)) {
            return 1;
        }
        off += smtpc_strnlen_(p, pol->mx_pool_len - off) + 1u;
    }
    return 0;
}

const char *smtpc_sts_mode_name(int mode)
{
    switch (mode) {
    case SMTPC_STS_MODE_ENFORCE:
        return "enforce";
    case SMTPC_STS_MODE_TESTING:
        return "testing";
    case SMTPC_STS_MODE_NONE:
        return "none";
    default:
        return "unknown";
    }
}
