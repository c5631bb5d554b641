/* DKIM signer (RFC 6376) with mbedTLS: rsa-sha256, relaxed/relaxed.
 *
 * Both canonicalizations (§3.4.2, §3.4.4) stream straight into SHA-256, so
 * the message is never copied: the body hash is taken over the body's
 * lines, the header hash over the selected fields followed by the
 * DKIM-Signature field itself with an empty b= (§3.7), exactly as it is
 * written out, folding included (relaxed canonicalization unfolds it the
 * same way a verifier does). */
#include <string.h>

#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include "smtpc_dkim.h"

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define DK_SHA_START(c)        mbedtls_sha256_starts((c), 0)
#define DK_SHA_UPDATE(c, p, n) mbedtls_sha256_update((c), (p), (n))
#define DK_SHA_FINISH(c, h)    mbedtls_sha256_finish((c), (h))
#else
#define DK_SHA_START(c)        mbedtls_sha256_starts_ret((c), 0)
#define DK_SHA_UPDATE(c, p, n) mbedtls_sha256_update_ret((c), (p), (n))
#define DK_SHA_FINISH(c, h)    mbedtls_sha256_finish_ret((c), (h))
#endif

#define DK_LINE    76u   /* fold before a line would pass this */
#define DK_SIG_MAX 1024u /* RSA up to 8192 bits */

/* Header fields signed when present, in this order (h=). */
static const char *const dk_fields[] = {"from",
                                        "to",
                                        "subject",
                                        "date",
                                        "message-id",
                                        "mime-version",
                                        "content-type",
                                        "tls-report-domain",
                                        "tls-report-submitter"};
#define DK_NFIELDS (sizeof(dk_fields) / sizeof(dk_fields[0]))

/* ------------------------------------------------------------ hashing --- */

/* SHA-256 with a small staging buffer, so byte-wise canonical output does
 * not cost one update per byte. */
typedef struct {
    mbedtls_sha256_context sha;
    unsigned char buf[128];
    size_t n;
    int err;
} dk_hash_t;

static void dk_flush(dk_hash_t *h)
{
    if (h->n > 0u && DK_SHA_UPDATE(&h->sha, h->buf, h->n) != 0) {
        h->err = 1;
    }
    h->n = 0;
}

static void dk_byte(dk_hash_t *h, unsigned char c)
{
    if (h->n == sizeof(h->buf)) {
        dk_flush(h);
    }
    h->buf[h->n++] = c;
}

static void dk_bytes(dk_hash_t *h, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        dk_byte(h, (unsigned char)s[i]);
    }
}

static void dk_hash_start(dk_hash_t *h)
{
    mbedtls_sha256_init(&h->sha);
    h->n = 0;
    h->err = DK_SHA_START(&h->sha) != 0;
}

static int dk_hash_finish(dk_hash_t *h, unsigned char out[32])
{
    dk_flush(h);
    if (!h->err && DK_SHA_FINISH(&h->sha, out) != 0) {
        h->err = 1;
    }
    mbedtls_sha256_free(&h->sha);
    return h->err ? SMTPC_ERR_INTERNAL : SMTPC_OK;
}

static int dk_wsp(char c)
{
    return c == ' ' || c == '\t';
}

static char dk_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* ------------------------------------------------------- the message --- */

/* Offset just past the line starting at @p i (after its LF), or @p n. */
static size_t dk_line_end(const char *m, size_t n, size_t i)
{
    while (i < n && m[i] != '\n') {
        i++;
    }
    return i < n ? i + 1u : n;
}

/* Length of the line content [i, e) without its CRLF or LF. */
static size_t dk_content(const char *m, size_t i, size_t e)
{
    if (e > i && m[e - 1u] == '\n') {
        e--;
        if (e > i && m[e - 1u] == '\r') {
            e--;
        }
    }
    return e - i;
}

/* The header section ends at the first empty line; its offset (start of
 * that line) and the body offset. 0 when there is no empty line. */
static int dk_split(const char *m, size_t n, size_t *hdr_end, size_t *body)
{
    size_t i = 0;
    while (i < n) {
        size_t e = dk_line_end(m, n, i);
        if (dk_content(m, i, e) == 0u && e > i && m[e - 1u] == '\n') {
            *hdr_end = i;
            *body = e;
            return 1;
        }
        i = e;
    }
    return 0;
}

/* One header field [s, e) (with its continuation lines) whose name is
 * @p name (case-insensitive), or not. */
static int dk_name_is(const char *m, size_t s, size_t e, const char *name)
{
    size_t k = 0;
    while (s + k < e && name[k] != '\0' && dk_lower(m[s + k]) == name[k]) {
        k++;
    }
    if (name[k] != '\0') {
        return 0;
    }
    s += k;
    while (s < e && dk_wsp(m[s])) {
        s++;
    }
    return s < e && m[s] == ':';
}

/* End of the field starting at @p s (continuation lines start with WSP). */
static size_t dk_field_end(const char *m, size_t hdr_end, size_t s)
{
    size_t e = dk_line_end(m, hdr_end, s);
    while (e < hdr_end && dk_wsp(m[e])) {
        e = dk_line_end(m, hdr_end, e);
    }
    return e;
}

/* The last field named @p name: its start in *s, end in *e. */
static int dk_find_last(const char *m, size_t hdr_end, const char *name, size_t *s, size_t *e)
{
    size_t i = 0;
    int found = 0;
    while (i < hdr_end) {
        size_t fe = dk_field_end(m, hdr_end, i);
        if (!dk_wsp(m[i]) && dk_name_is(m, i, fe, name)) {
            *s = i;
            *e = fe;
            found = 1;
        }
        i = fe;
    }
    return found;
}

/* Relaxed header canonicalization (§3.4.2) of the field [s, e): lower-case
 * name, no WSP around the colon, unfolded, WSP runs as one SP, no trailing
 * WSP; then CRLF unless @p last (the signature field itself). */
static void dk_canon_header(dk_hash_t *h, const char *m, size_t s, size_t e, int last)
{
    size_t i = s;
    int started = 0;
    int pending = 0;
    while (i < e && m[i] != ':' && !dk_wsp(m[i])) {
        dk_byte(h, (unsigned char)dk_lower(m[i]));
        i++;
    }
    while (i < e && m[i] != ':') {
        i++;
    }
    dk_byte(h, ':');
    for (i++; i < e; i++) {
        char c = m[i];
        if (dk_wsp(c) || c == '\r' || c == '\n') {
            pending = started;
            continue;
        }
        if (pending) {
            dk_byte(h, ' ');
            pending = 0;
        }
        dk_byte(h, (unsigned char)c);
        started = 1;
    }
    if (!last) {
        dk_bytes(h, "\r\n", 2);
    }
}

/* Relaxed body canonicalization (§3.4.4): WSP runs as one SP, no trailing
 * WSP, no empty lines at the end, a CRLF after the last line. */
static void dk_canon_body(dk_hash_t *h, const char *m, size_t n, size_t i)
{
    unsigned long empty = 0;
    while (i < n) {
        size_t e = dk_line_end(m, n, i);
        size_t len = dk_content(m, i, e);
        size_t k;
        size_t last = len;
        while (last > 0u && dk_wsp(m[i + last - 1u])) {
            last--;
        }
        if (last == 0u) {
            empty++;
        } else {
            int pending = 0;
            for (; empty > 0u; empty--) {
                dk_bytes(h, "\r\n", 2);
            }
            for (k = 0; k < last; k++) {
                char c = m[i + k];
                if (dk_wsp(c)) {
                    pending = 1;
                    continue;
                }
                if (pending) {
                    dk_byte(h, ' ');
                    pending = 0;
                }
                dk_byte(h, (unsigned char)c);
            }
            dk_bytes(h, "\r\n", 2);
        }
        i = e;
    }
}

/* -------------------------------------------------------------- output --- */

typedef struct {
    char *out;
    size_t cap;
    size_t len;
    size_t col;
    int rc;
} dk_w_t;

static void dk_put(dk_w_t *w, const char *s, size_t n)
{
    size_t i;
    if (w->rc != SMTPC_OK) {
        return;
    }
    if (n >= w->cap - w->len) { /* keep room for the NUL */
        w->rc = SMTPC_ERR_NO_SPACE;
        return;
    }
    memcpy(w->out + w->len, s, n);
    w->len += n;
    for (i = 0; i < n; i++) {
        w->col = s[i] == '\n' ? 0u : w->col + 1u;
    }
}

static void dk_puts(dk_w_t *w, const char *s)
{
    dk_put(w, s, strlen(s));
}

/* A tag piece, after a blank or a fold. */
static void dk_piece(dk_w_t *w, const char *s, size_t n, int glue)
{
    if (w->col + 1u + n > DK_LINE) {
        dk_puts(w, "\r\n\t");
    } else if (!glue) {
        dk_puts(w, " ");
    }
    dk_put(w, s, n);
}

static int dk_name_ok(const char *s, int underscore)
{
    size_t i;
    size_t n = s != NULL ? strlen(s) : 0u;
    if (n == 0u || n > 253u) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        char c = dk_lower(s[i]);
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              (underscore && c == '_'))) {
            return 0;
        }
    }
    return 1;
}

static size_t dk_u64(uint64_t v, char out[21])
{
    char tmp[20];
    size_t n = 0;
    size_t i;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0u);
    for (i = 0; i < n; i++) {
        out[i] = tmp[n - 1u - i];
    }
    out[n] = '\0';
    return n;
}

/* "<tag>=<value>;" as one piece. */
static void dk_tag(dk_w_t *w, const char *tag, const char *value, size_t vlen)
{
    char piece[300];
    size_t tl = strlen(tag);
    if (tl + 2u + vlen > sizeof(piece)) {
        w->rc = SMTPC_ERR_BAD_ARG;
        return;
    }
    memcpy(piece, tag, tl);
    piece[tl] = '=';
    memcpy(piece + tl + 1u, value, vlen);
    piece[tl + 1u + vlen] = ';';
    dk_piece(w, piece, tl + 2u + vlen, 0);
}

/* The field up to and including "b=" (no value yet). Tags are pieces that
 * fold as a whole; h= folds after a colon. */
static void dk_write_head(dk_w_t *w, const smtpc_dkim_params_t *p, const char *m, size_t hdr_end,
                          const char *bh)
{
    char num[21];
    char piece[40];
    unsigned f;
    unsigned last = DK_NFIELDS;
    int first = 1;
    size_t s;
    size_t e;
    dk_puts(w, "DKIM-Signature:");
    dk_tag(w, "v", "1", 1);
    dk_tag(w, "a", "rsa-sha256", 10);
    dk_tag(w, "c", "relaxed/relaxed", 15);
    dk_tag(w, "d", p->domain, strlen(p->domain));
    dk_tag(w, "s", p->selector, strlen(p->selector));
    if (p->timestamp != 0u) {
        dk_tag(w, "t", num, dk_u64(p->timestamp, num));
    }
    for (f = 0; f < DK_NFIELDS; f++) {
        if (dk_find_last(m, hdr_end, dk_fields[f], &s, &e)) {
            last = f;
        }
    }
    for (f = 0; f < DK_NFIELDS; f++) {
        size_t n = 0;
        if (!dk_find_last(m, hdr_end, dk_fields[f], &s, &e)) {
            continue;
        }
        if (first) {
            memcpy(piece, "h=", 2);
            n = 2;
        }
        memcpy(piece + n, dk_fields[f], strlen(dk_fields[f]));
        n += strlen(dk_fields[f]);
        piece[n++] = f == last ? ';' : ':';
        dk_piece(w, piece, n, !first);
        first = 0;
    }
    dk_tag(w, "bh", bh, strlen(bh));
    dk_puts(w, "\r\n\tb=");
}

int smtpc_dkim_sign(const smtpc_dkim_params_t *p, const char *msg, size_t msg_len, char *out,
                    size_t cap, size_t *out_len)
{
    mbedtls_pk_context pk;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_entropy_context ent;
    dk_hash_t h;
    dk_w_t w;
    unsigned char digest[32];
    unsigned char sig[DK_SIG_MAX];
    unsigned char b64[DK_SIG_MAX * 4 / 3 + 8];
    char bh[48];
    size_t hdr_end = 0;
    size_t body = 0;
    size_t sig_len = 0;
    size_t b64_len = 0;
    size_t s;
    size_t e;
    size_t head_len;
    unsigned f;
    int rc = SMTPC_OK;
    static const unsigned char pers[] = "smtpc-dkim";

    if (out_len != NULL) {
        *out_len = 0;
    }
    if (p == NULL || p->key_pem == NULL || msg == NULL || out == NULL || out_len == NULL ||
        cap == 0u || !dk_name_ok(p->domain, 0) || !dk_name_ok(p->selector, 1) ||
        !dk_split(msg, msg_len, &hdr_end, &body) || !dk_find_last(msg, hdr_end, "from", &s, &e)) {
        return SMTPC_ERR_BAD_ARG;
    }

    /* bh=: the body hash. */
    dk_hash_start(&h);
    dk_canon_body(&h, msg, msg_len, body);
    if (dk_hash_finish(&h, digest) != SMTPC_OK ||
        mbedtls_base64_encode((unsigned char *)bh, sizeof(bh), &b64_len, digest, 32) != 0) {
        return SMTPC_ERR_INTERNAL;
    }

    memset(&w, 0, sizeof(w));
    w.out = out;
    w.cap = cap;
    w.rc = SMTPC_OK;
    dk_write_head(&w, p, msg, hdr_end, bh);
    if (w.rc != SMTPC_OK) {
        out[0] = '\0';
        return w.rc;
    }
    head_len = w.len;

    /* The header hash: the signed fields, then this field with b= empty. */
    dk_hash_start(&h);
    for (f = 0; f < DK_NFIELDS; f++) {
        if (dk_find_last(msg, hdr_end, dk_fields[f], &s, &e)) {
            dk_canon_header(&h, msg, s, e, 0);
        }
    }
    dk_canon_header(&h, out, 0, head_len, 1);
    if (dk_hash_finish(&h, digest) != SMTPC_OK) {
        return SMTPC_ERR_INTERNAL;
    }

    mbedtls_pk_init(&pk);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_entropy_init(&ent);
    if (p->entropy != NULL) {
        if (mbedtls_ctr_drbg_seed(&drbg, p->entropy, p->entropy_ctx, pers, sizeof(pers) - 1u) !=
            0) {
            rc = SMTPC_ERR_INTERNAL;
        }
    } else if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, pers, sizeof(pers) - 1u) !=
               0) {
        rc = SMTPC_ERR_INTERNAL;
    }
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    if (rc == SMTPC_OK &&
        mbedtls_pk_parse_key(&pk, (const unsigned char *)p->key_pem, strlen(p->key_pem) + 1u, NULL,
                             0, mbedtls_ctr_drbg_random, &drbg) != 0) {
        rc = SMTPC_ERR_BAD_ARG;
    }
#else
    if (rc == SMTPC_OK && mbedtls_pk_parse_key(&pk, (const unsigned char *)p->key_pem,
                                               strlen(p->key_pem) + 1u, NULL, 0) != 0) {
        rc = SMTPC_ERR_BAD_ARG;
    }
#endif
    if (rc == SMTPC_OK && !mbedtls_pk_can_do(&pk, MBEDTLS_PK_RSA)) {
        rc = SMTPC_ERR_BAD_ARG;
    }
    if (rc == SMTPC_OK && mbedtls_pk_get_len(&pk) > sizeof(sig)) {
        rc = SMTPC_ERR_BAD_ARG;
    }
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    if (rc == SMTPC_OK &&
        mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA256, digest, sizeof(digest), sig, sizeof(sig), &sig_len,
                        mbedtls_ctr_drbg_random, &drbg) != 0) {
        rc = SMTPC_ERR_INTERNAL;
    }
#else
    if (rc == SMTPC_OK && mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA256, digest, sizeof(digest), sig,
                                          &sig_len, mbedtls_ctr_drbg_random, &drbg) != 0) {
        rc = SMTPC_ERR_INTERNAL;
    }
#endif
    mbedtls_pk_free(&pk);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&ent);
    if (rc == SMTPC_OK && mbedtls_base64_encode(b64, sizeof(b64), &b64_len, sig, sig_len) != 0) {
        rc = SMTPC_ERR_INTERNAL;
    }
    if (rc != SMTPC_OK) {
        out[0] = '\0';
        return rc;
    }

    /* b=, folded into lines of at most DK_LINE characters. */
    {
        size_t off = 0;
        while (off < b64_len && w.rc == SMTPC_OK) {
            size_t room = w.col < DK_LINE ? DK_LINE - w.col : 0u;
            size_t k = b64_len - off < room ? b64_len - off : room;
            if (k == 0u) {
                dk_puts(&w, "\r\n\t");
                continue;
            }
            dk_put(&w, (const char *)b64 + off, k);
            off += k;
        }
        dk_puts(&w, "\r\n");
    }
    if (w.rc != SMTPC_OK) {
        out[0] = '\0';
        return w.rc;
    }
    out[w.len] = '\0';
    *out_len = w.len;
    return SMTPC_OK;
}
