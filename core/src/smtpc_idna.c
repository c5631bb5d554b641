/* Domain names to A-label form: the Punycode encoder of RFC 3492 (§6.3, with
 * the bias adaptation of §6.1 and the overflow checks of §6.4) and the
 * label rules of smtpc/idna.h (RFC 5890/5891 without Unicode tables). */
#include "smtpc/idna.h"

/* RFC 3492 §5: the Bootstring parameter values of Punycode. */
#define PUNY_BASE         36u
#define PUNY_TMIN         1u
#define PUNY_TMAX         26u
#define PUNY_SKEW         38u
#define PUNY_DAMP         700u
#define PUNY_INITIAL_BIAS 72u
#define PUNY_INITIAL_N    0x80u
#define PUNY_DELIMITER    '-'

#define IDNA_LABEL_MAX 63u  /* octets of a label (RFC 1035 §2.3.4) */
#define IDNA_NAME_MAX  253u /* octets of a name without its trailing dot */
#define IDNA_ACE_LEN   4u   /* "xn--" */

/* ------------------------------------------------------- Punycode ------ */

/* One output octet, never past @p cap. */
static int puny_put(char *out, size_t cap, size_t *pos, char c)
{
    if (*pos >= cap) {
        return SMTPC_ERR_NO_SPACE;
    }
    out[*pos] = c;
    (*pos)++;
    return SMTPC_OK;
}

/* §5: digit values 0..25 are a..z, 26..35 are 0..9 (lower case output). */
static char puny_digit(uint32_t d)
{
    return (char)(d < 26u ? 'a' + d : '0' + (d - 26u));
}

/* §6.1 bias adaptation. No overflow: delta is halved (or divided by damp)
 * first, and the half plus at most the half again stays below 2^32. */
static uint32_t puny_adapt(uint32_t delta, uint32_t numpoints, int firsttime)
{
    uint32_t k = 0;
    delta = firsttime ? delta / PUNY_DAMP : delta / 2u;
    delta += delta / numpoints;
    while (delta > ((PUNY_BASE - PUNY_TMIN) * PUNY_TMAX) / 2u) {
        delta /= PUNY_BASE - PUNY_TMIN;
        k += PUNY_BASE;
    }
    return k + ((PUNY_BASE - PUNY_TMIN + 1u) * delta) / (delta + PUNY_SKEW);
}

/* §6.3 inner loop: @p q as a generalized variable-length integer (§3.3)
 * whose thresholds follow @p bias. At most 11 digits for a 32-bit q, since
 * every digit but the last divides q by at least base - tmax = 10. */
static int puny_put_varint(uint32_t q, uint32_t bias, char *out, size_t cap, size_t *pos)
{
    uint32_t k;
    for (k = PUNY_BASE;; k += PUNY_BASE) {
        uint32_t t;
        int rc;
        if (k <= bias) {
            t = PUNY_TMIN;
        } else if (k >= bias + PUNY_TMAX) {
            t = PUNY_TMAX;
        } else {
            t = k - bias;
        }
        if (q < t) {
            break;
        }
        rc = puny_put(out, cap, pos, puny_digit(t + (q - t) % (PUNY_BASE - t)));
        if (rc != SMTPC_OK) {
            return rc;
        }
        q = (q - t) / (PUNY_BASE - t);
    }
    return puny_put(out, cap, pos, puny_digit(q));
}

/* Smallest code point >= @p floor; one exists while h < n (the code points
 * not yet handled are exactly those >= floor). */
static uint32_t puny_next_min(const uint32_t *cp, size_t n, uint32_t floor)
{
    uint32_t m = UINT32_MAX;
    size_t i;
    for (i = 0; i < n; i++) {
        if (cp[i] >= floor && cp[i] < m) {
            m = cp[i];
        }
    }
    return m;
}

int smtpc_punycode_encode(const uint32_t *cp, size_t n, char *out, size_t cap, size_t *out_len)
{
    uint32_t cur = PUNY_INITIAL_N;
    uint32_t delta = 0;
    uint32_t bias = PUNY_INITIAL_BIAS;
    uint32_t b = 0;
    uint32_t h;
    size_t pos = 0;
    size_t i;
    int rc;
    if ((cp == NULL && n > 0) || (out == NULL && cap > 0) || out_len == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (n >= UINT32_MAX) {
        return SMTPC_ERR_BAD_ADDRESS; /* h + 1 (numpoints) must fit in 32 bits */
    }
    /* Basic code points first, in order, then the delimiter if there were any. */
    for (i = 0; i < n; i++) {
        if (cp[i] < PUNY_INITIAL_N) {
            rc = puny_put(out, cap, &pos, (char)cp[i]);
            if (rc != SMTPC_OK) {
                return rc;
            }
            b++;
        }
    }
    if (b > 0) {
        rc = puny_put(out, cap, &pos, PUNY_DELIMITER);
        if (rc != SMTPC_OK) {
            return rc;
        }
    }
    h = b;
    while (h < n) {
        uint32_t m = puny_next_min(cp, n, cur);
        /* §6.4: delta + (m - n) * (h + 1) overflows iff (m - n) > (maxint - delta) / (h + 1). */
        if (m - cur > (UINT32_MAX - delta) / (h + 1u)) {
            return SMTPC_ERR_BAD_ADDRESS;
        }
        delta += (m - cur) * (h + 1u);
        cur = m;
        for (i = 0; i < n; i++) {
            if (cp[i] < cur) {
                if (delta == UINT32_MAX) {
                    return SMTPC_ERR_BAD_ADDRESS;
                }
                delta++;
            } else if (cp[i] == cur) {
                rc = puny_put_varint(delta, bias, out, cap, &pos);
                if (rc != SMTPC_OK) {
                    return rc;
                }
                bias = puny_adapt(delta, h + 1u, h == b);
                delta = 0;
                h++;
            }
        }
        if (delta == UINT32_MAX) {
            return SMTPC_ERR_BAD_ADDRESS;
        }
        delta++;
        /* Wraps to 0 only when m was UINT32_MAX, and then every code point
         * has been handled, so the loop ends without using it. */
        cur++;
    }
    *out_len = pos;
    return SMTPC_OK;
}

/* ------------------------------------------------------------ UTF-8 ---- */

/* Decode the code point at s[*pos] (*pos < len) as strict UTF-8 (RFC 3629
 * §3-4): no overlong form, no surrogate, nothing above U+10FFFF, no stray
 * continuation byte, no sequence cut short by the end or by a byte that is
 * not a continuation. Never reads at or past s[len]. */
static int utf8_next(const uint8_t *s, size_t len, size_t *pos, uint32_t *cp)
{
    size_t i = *pos;
    uint8_t c = s[i];
    size_t need;
    size_t k;
    uint32_t v;
    uint32_t min;
    if (c < 0x80u) {
        *pos = i + 1u;
        *cp = c;
        return 1;
    }
    if (c < 0xc2u) {
        return 0; /* 80..BF: continuation without a lead; C0, C1: overlong */
    }
    if (c < 0xe0u) {
        need = 1;
        v = c & 0x1fu;
        min = 0x80u;
    } else if (c < 0xf0u) {
        need = 2;
        v = c & 0x0fu;
        min = 0x800u;
    } else if (c < 0xf5u) {
        need = 3;
        v = c & 0x07u;
        min = 0x10000u;
    } else {
        return 0; /* F5..FF would start a code point above U+10FFFF */
    }
    if (need > len - i - 1u) {
        return 0; /* truncated by the end of the input */
    }
    for (k = 1; k <= need; k++) {
        uint8_t cc = s[i + k];
        if ((cc & 0xc0u) != 0x80u) {
            return 0;
        }
        v = (v << 6) | (uint32_t)(cc & 0x3fu);
    }
    if (v < min || (v >= 0xd800u && v <= 0xdfffu) || v > 0x10ffffu) {
        return 0;
    }
    *pos = i + 1u + need;
    *cp = v;
    return 1;
}

/* ------------------------------------------------------------ names ---- */

/* Output of smtpc_idna_to_ascii(): octets past cap are counted, not written,
 * so that a name found invalid further on still gives BAD_ADDRESS, whatever
 * the buffer size. */
typedef struct {
    char *buf;
    size_t cap;
    size_t len;
} idna_out_t;

static void out_put(idna_out_t *o, char c)
{
    if (o->len < o->cap) {
        o->buf[o->len] = c;
    }
    o->len++;
}

static int is_ldh(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static uint32_t lower(uint32_t c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32u : c;
}

/* '.' and the three dots IDNA2003 (RFC 3490 §3.1) and UTS #46 also take as
 * label separators; taken as separators here too, a name typed with an
 * ideographic full stop finds the same host. */
static int is_dot(uint32_t c)
{
    return c == '.' || c == 0x3002u || c == 0xff0eu || c == 0xff61u;
}

/* C0 controls, DEL and C1 controls (U+0080..U+009F): never in a name. */
static int is_control(uint32_t c)
{
    return c < 0x20u || (c >= 0x7fu && c <= 0x9fu);
}

/* A pure-ASCII label (1..63 octets, already checked by the caller): letters,
 * digits, '-' and '_' ('_' for service names such as _mta-sts), lowered.
 * "xn--" labels are one case of this: passed through without decoding. */
static int emit_ascii_label(idna_out_t *o, const uint32_t *cp, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t c = lower(cp[i]);
        if (!is_ldh(c) && c != '_') {
            return SMTPC_ERR_BAD_ADDRESS;
        }
        out_put(o, (char)c);
    }
    return SMTPC_OK;
}

/* A label with a non-ASCII code point: ASCII letters lowered in place, the
 * RFC 5891 §4.2.3.1 hyphen rules on the Unicode form, then "xn--" and the
 * Punycode, which must fit the 63 octets of a label. */
static int emit_unicode_label(idna_out_t *o, uint32_t *cp, size_t n)
{
    char ace[IDNA_LABEL_MAX - IDNA_ACE_LEN];
    size_t alen;
    size_t i;
    int rc;
    for (i = 0; i < n; i++) {
        cp[i] = lower(cp[i]);
        if (cp[i] < 0x80u && !is_ldh(cp[i])) {
            return SMTPC_ERR_BAD_ADDRESS; /* '_' and punctuation are not PVALID */
        }
    }
    if (cp[0] == '-' || cp[n - 1u] == '-' || (n >= 4u && cp[2] == '-' && cp[3] == '-')) {
        return SMTPC_ERR_BAD_ADDRESS;
    }
    rc = smtpc_punycode_encode(cp, n, ace, sizeof(ace), &alen);
    if (rc != SMTPC_OK) {
        return SMTPC_ERR_BAD_ADDRESS; /* NO_SPACE here: longer than 63 octets */
    }
    out_put(o, 'x');
    out_put(o, 'n');
    out_put(o, '-');
    out_put(o, '-');
    for (i = 0; i < alen; i++) {
        out_put(o, ace[i]);
    }
    return SMTPC_OK;
}

/* One non-empty label, after a '.' unless it is the first. */
static int emit_label(idna_out_t *o, uint32_t *cp, size_t n, int non_ascii)
{
    int rc;
    if (o->len > 0) {
        out_put(o, '.');
    }
    rc = non_ascii ? emit_unicode_label(o, cp, n) : emit_ascii_label(o, cp, n);
    if (rc == SMTPC_OK && o->len > IDNA_NAME_MAX) {
        rc = SMTPC_ERR_BAD_ADDRESS; /* stop early: no need to count further */
    }
    return rc;
}

/* The whole name into @p o; BAD_ADDRESS or OK (the caller checks space). */
static int idna_name(const uint8_t *s, size_t len, idna_out_t *o)
{
    uint32_t cp[IDNA_LABEL_MAX]; /* a label never holds more code points than octets */
    size_t n = 0;
    size_t pos = 0;
    int non_ascii = 0;
    int rc;
    while (pos < len) {
        uint32_t c;
        if (!utf8_next(s, len, &pos, &c)) {
            return SMTPC_ERR_BAD_ADDRESS;
        }
        if (is_dot(c)) {
            if (n == 0) {
                return SMTPC_ERR_BAD_ADDRESS; /* leading dot, "..", or a lone "." */
            }
            rc = emit_label(o, cp, n, non_ascii);
            if (rc != SMTPC_OK) {
                return rc;
            }
            n = 0;
            non_ascii = 0;
            continue;
        }
        if (is_control(c) || n == IDNA_LABEL_MAX) {
            return SMTPC_ERR_BAD_ADDRESS;
        }
        non_ascii |= c >= 0x80u;
        cp[n++] = c;
    }
    if (n > 0) {
        return emit_label(o, cp, n, non_ascii);
    }
    /* Here the input ended just after a separator (the one trailing dot,
     * dropped), or it was empty. */
    return o->len > 0 ? SMTPC_OK : SMTPC_ERR_BAD_ADDRESS;
}

int smtpc_idna_to_ascii(const char *in, size_t len, char *out, size_t cap, size_t *out_len)
{
    idna_out_t o;
    int rc;
    if (in == NULL || out == NULL || out_len == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    o.buf = out;
    o.cap = cap;
    o.len = 0;
    rc = idna_name((const uint8_t *)in, len, &o);
    if (rc == SMTPC_OK && o.len >= cap) {
        rc = SMTPC_ERR_NO_SPACE; /* the NUL needs one more octet */
    }
    if (rc != SMTPC_OK) {
        if (cap > 0) {
            out[0] = '\0'; /* never leave a partial name behind */
        }
        return rc;
    }
    out[o.len] = '\0';
    *out_len = o.len;
    return SMTPC_OK;
}
