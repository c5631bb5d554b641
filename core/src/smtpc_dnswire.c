/* DNS wire codec: RFC 1035 §4 (messages), §4.1.4 (compression), RFC 3596
 * (AAAA), RFC 2181 §5.2 (TTL), RFC 7505 (null MX). See smtpc/dns.h. */
#include <string.h>

#include "smtpc/dns.h"
#include "smtpc_priv.h"

#define DNS_HDR_LEN       12u
#define DNS_CLASS_IN      1u
#define DNS_WIRE_NAME_MAX 255u

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(((unsigned)p[0] << 8) | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Characters accepted in names we handle: LDH plus '_' (service labels such
 * as _mta-sts). Anything else in a name from the network is a format error. */
static int name_char_ok(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

size_t smtpc_dns_name_norm(char *name, size_t cap)
{
    size_t n = 0;
    size_t i;
    while (n < cap && name[n] != '\0') {
        n++;
    }
    if (n == cap) {
        return 0;
    }
    if (n > 0 && name[n - 1u] == '.') {
        name[--n] = '\0';
    }
    if (n == 0 || n > SMTPC_DNS_NAME_BUF - 1u) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        name[i] = (char)smtpc_lower_((uint8_t)name[i]);
    }
    return n;
}

int smtpc_dns_query_build(uint8_t *out, size_t cap, size_t *out_len, uint16_t id, const char *name,
                          uint16_t qtype)
{
    size_t pos = DNS_HDR_LEN;
    size_t i = 0;
    if (out == NULL || out_len == NULL || name == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (cap < DNS_HDR_LEN + 1u + 4u) {
        return SMTPC_ERR_NO_SPACE;
    }
    memset(out, 0, DNS_HDR_LEN);
    out[0] = (uint8_t)(id >> 8);
    out[1] = (uint8_t)id;
    out[2] = 0x01u; /* RD: ask the resolver to recurse */
    out[5] = 1u;    /* QDCOUNT = 1 */
    /* Labels: 1..63 bytes each, whole name at most 255 octets on the wire. */
    while (name[i] != '\0') {
        size_t start = i;
        size_t n;
        while (name[i] != '\0' && name[i] != '.' && i - start <= 63u) {
            if (!name_char_ok((uint8_t)name[i])) {
                return SMTPC_ERR_BAD_ARG;
            }
            i++;
        }
        n = i - start;
        if (n == 0 || n > 63u) {
            return SMTPC_ERR_BAD_ARG;
        }
        if (pos - DNS_HDR_LEN + 1u + n + 1u > DNS_WIRE_NAME_MAX) {
            return SMTPC_ERR_BAD_ARG;
        }
        if (1u + n > cap - pos) {
            return SMTPC_ERR_NO_SPACE;
        }
        out[pos++] = (uint8_t)n;
        memcpy(out + pos, name + start, n);
        pos += n;
        if (name[i] == '.') {
            i++;
            if (name[i] == '\0') {
                break; /* one trailing dot: the root */
            }
        }
    }
    if (pos == DNS_HDR_LEN) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (5u > cap - pos) {
        return SMTPC_ERR_NO_SPACE;
    }
    out[pos++] = 0;
    out[pos++] = (uint8_t)(qtype >> 8);
    out[pos++] = (uint8_t)qtype;
    out[pos++] = 0;
    out[pos++] = DNS_CLASS_IN;
    *out_len = pos;
    return SMTPC_OK;
}

/*
 * Walk the name at @p off. Compression pointers must point strictly before
 * the previous jump target (RFC 1035 §4.1.4 only ever points back to an
 * earlier occurrence), which rules out loops; hops are capped as well.
 * With @p out: write the text form (lower case, no trailing dot).
 * With @p cmp: compare with that text name (case-insensitive, an optional
 * trailing dot on @p cmp), result in *equal.
 * *next gets the offset just after the name where it started.
 */
typedef struct {
    char *out;
    const char *cmp;
    size_t olen;
    int equal;
} name_sink_t;

static int sink_label(name_sink_t *k, const uint8_t *lab, size_t n)
{
    size_t i;
    if (k->olen > 0) {
        if (k->out != NULL) {
            k->out[k->olen] = '.';
        } else if (k->equal && k->cmp[k->olen] != '.') {
            k->equal = 0;
        }
        k->olen++;
    }
    for (i = 0; i < n; i++) {
        uint8_t c = lab[i];
        if (!name_char_ok(c)) {
            return SMTPC_ERR_DNS_FORMAT;
        }
        if (k->out != NULL) {
            k->out[k->olen] = (char)smtpc_lower_(c);
        } else if (k->equal && smtpc_lower_((uint8_t)k->cmp[k->olen]) != smtpc_lower_(c)) {
            k->equal = 0;
        }
        k->olen++;
    }
    return SMTPC_OK;
}

static int dns_name_walk(const uint8_t *msg, size_t len, size_t off, name_sink_t *k, size_t *next)
{
    size_t pos = off;
    size_t limit = off; /* jump targets must stay below this */
    size_t end = 0;
    size_t wire = 0;
    unsigned hops = 0;
    int jumped = 0;
    k->olen = 0;
    k->equal = 1;
    for (;;) {
        uint8_t b;
        if (pos >= len) {
            return SMTPC_ERR_DNS_FORMAT;
        }
        b = msg[pos];
        if (b == 0u) {
            if (!jumped) {
                end = pos + 1u;
            }
            break;
        }
        if ((b & 0xc0u) == 0xc0u) {
            size_t ptr;
            if (pos + 1u >= len) {
                return SMTPC_ERR_DNS_FORMAT;
            }
            ptr = ((size_t)(b & 0x3fu) << 8) | msg[pos + 1u];
            if (!jumped) {
                end = pos + 2u;
            }
            if (ptr >= limit || ptr < DNS_HDR_LEN || ++hops > SMTPC_DNS_MAX_HOPS) {
                return SMTPC_ERR_DNS_FORMAT;
            }
            limit = ptr;
            pos = ptr;
            jumped = 1;
            continue;
        }
        if ((b & 0xc0u) != 0u) {
            return SMTPC_ERR_DNS_FORMAT; /* extended label types: not accepted */
        }
        wire += 1u + b;
        if (wire + 1u > DNS_WIRE_NAME_MAX || b > len - pos - 1u) {
            return SMTPC_ERR_DNS_FORMAT;
        }
        if (sink_label(k, msg + pos + 1u, b) != SMTPC_OK) {
            return SMTPC_ERR_DNS_FORMAT;
        }
        pos += 1u + b;
    }
    if (k->out != NULL) {
        k->out[k->olen] = '\0';
    } else if (k->equal) {
        size_t r = k->olen;
        k->equal = k->cmp[r] == '\0' || (k->cmp[r] == '.' && k->cmp[r + 1u] == '\0' && r > 0);
    }
    *next = end;
    return SMTPC_OK;
}

static int dns_name_decode(const uint8_t *msg, size_t len, size_t off, char *out, size_t *next)
{
    name_sink_t k;
    k.out = out;
    k.cmp = NULL;
    return dns_name_walk(msg, len, off, &k, next);
}

/* *equal = the name at @p off equals @p text. A name longer than @p text
 * stops comparing at its end: cmp is only indexed while equal so far. */
static int dns_name_equal(const uint8_t *msg, size_t len, size_t off, const char *text, int *equal,
                          size_t *next)
{
    name_sink_t k;
    int rc;
    k.out = NULL;
    k.cmp = text;
    rc = dns_name_walk(msg, len, off, &k, next);
    *equal = k.equal;
    return rc;
}

static int txt_check(const uint8_t *p, size_t n)
{
    size_t pos = 0;
    while (pos < n) {
        size_t l = p[pos];
        if (l > n - pos - 1u) {
            return SMTPC_ERR_DNS_FORMAT;
        }
        pos += 1u + l;
    }
    return SMTPC_OK;
}

int smtpc_dns_txt_join(const smtpc_dns_rr_t *rr, char *out, size_t cap, size_t *out_len)
{
    size_t pos = 0;
    size_t o = 0;
    if (rr == NULL || out == NULL || out_len == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    while (pos < rr->rdlen) {
        size_t l = rr->rdata[pos];
        if (l > (size_t)rr->rdlen - pos - 1u) {
            return SMTPC_ERR_DNS_FORMAT;
        }
        if (l > cap - o) {
            return SMTPC_ERR_NO_SPACE;
        }
        memcpy(out + o, rr->rdata + pos + 1u, l);
        o += l;
        pos += 1u + l;
    }
    *out_len = o;
    return SMTPC_OK;
}

/* Check the RDATA of an answer of the asked type and fill rr. */
static int dns_rdata(const uint8_t *msg, size_t len, size_t rdoff, smtpc_dns_rr_t *rr)
{
    size_t next;
    rr->name[0] = '\0';
    rr->pref = 0;
    switch (rr->type) {
    case SMTPC_DNS_TYPE_A:
        return rr->rdlen == 4u ? SMTPC_OK : SMTPC_ERR_DNS_FORMAT;
    case SMTPC_DNS_TYPE_AAAA:
        return rr->rdlen == 16u ? SMTPC_OK : SMTPC_ERR_DNS_FORMAT;
    case SMTPC_DNS_TYPE_TXT:
        return txt_check(rr->rdata, rr->rdlen);
    case SMTPC_DNS_TYPE_MX:
        if (rr->rdlen < 3u) {
            return SMTPC_ERR_DNS_FORMAT;
        }
        rr->pref = rd16(rr->rdata);
        if (dns_name_decode(msg, rdoff + rr->rdlen, rdoff + 2u, rr->name, &next) != SMTPC_OK ||
            next != rdoff + rr->rdlen) {
            return SMTPC_ERR_DNS_FORMAT;
        }
        (void)len;
        return SMTPC_OK;
    case SMTPC_DNS_TYPE_CNAME:
        if (dns_name_decode(msg, rdoff + rr->rdlen, rdoff, rr->name, &next) != SMTPC_OK ||
            next != rdoff + rr->rdlen) {
            return SMTPC_ERR_DNS_FORMAT;
        }
        return SMTPC_OK;
    default:
        return SMTPC_OK;
    }
}

static int dns_check_header(const uint8_t *msg, size_t len, uint16_t id)
{
    if (len < DNS_HDR_LEN || rd16(msg) != id) {
        return SMTPC_ERR_DNS_FORMAT;
    }
    /* QR must be set, opcode QUERY (0), exactly one question. */
    if ((msg[2] & 0x80u) == 0u || (msg[2] & 0x78u) != 0u || rd16(msg + 4) != 1u) {
        return SMTPC_ERR_DNS_FORMAT;
    }
    return SMTPC_OK;
}

static int dns_rcode(const uint8_t *msg)
{
    switch (msg[3] & 0x0fu) {
    case 0:
        return SMTPC_OK;
    case 3:
        return SMTPC_ERR_DNS_NXDOMAIN;
    case 5:
        return SMTPC_ERR_DNS_REFUSED;
    case 1:
        return SMTPC_ERR_DNS_FORMAT;
    default:
        return SMTPC_ERR_DNS_SERVFAIL;
    }
}

typedef struct {
    const uint8_t *msg;
    size_t len;
    uint16_t qtype;
    smtpc_dns_rr_fn cb;
    void *arg;
    unsigned delivered;
    unsigned cnames;
    char cur[SMTPC_DNS_NAME_BUF]; /* the name answers must belong to */
    smtpc_dns_rr_t rr;
} dns_walk_t;

/* One answer RR at *off. */
static int dns_answer(dns_walk_t *w, size_t *off)
{
    size_t p;
    int owned = 0;
    uint16_t type;
    uint16_t klass;
    int rc = dns_name_equal(w->msg, w->len, *off, w->cur, &owned, &p);
    if (rc != SMTPC_OK) {
        return rc;
    }
    if (10u > w->len - p) {
        return SMTPC_ERR_DNS_FORMAT;
    }
    type = rd16(w->msg + p);
    klass = rd16(w->msg + p + 2u);
    w->rr.type = type;
    w->rr.ttl = rd32(w->msg + p + 4u) & 0x7fffffffu; /* RFC 2181 §8 */
    w->rr.rdlen = rd16(w->msg + p + 8u);
    p += 10u;
    if (w->rr.rdlen > w->len - p) {
        return SMTPC_ERR_DNS_FORMAT;
    }
    w->rr.rdata = w->msg + p;
    *off = p + w->rr.rdlen;
    if (!owned || klass != DNS_CLASS_IN) {
        return SMTPC_OK; /* not part of the answer to our question */
    }
    if (type == SMTPC_DNS_TYPE_CNAME && w->qtype != SMTPC_DNS_TYPE_CNAME) {
        if (++w->cnames > SMTPC_DNS_MAX_CNAME || dns_rdata(w->msg, w->len, p, &w->rr) != SMTPC_OK) {
            return SMTPC_ERR_DNS_FORMAT;
        }
        memcpy(w->cur, w->rr.name, sizeof(w->cur));
        return SMTPC_OK;
    }
    if (type != w->qtype) {
        return SMTPC_OK;
    }
    rc = dns_rdata(w->msg, w->len, p, &w->rr);
    if (rc != SMTPC_OK) {
        return rc;
    }
    w->delivered++;
    return w->cb != NULL ? w->cb(w->arg, &w->rr) : SMTPC_OK;
}

/* Header and question checks; *off gets the offset after the question. */
static int dns_match(const uint8_t *msg, size_t len, uint16_t id, const char *name, uint16_t qtype,
                     size_t *off)
{
    int equal = 0;
    int rc;
    if (msg == NULL || name == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    rc = dns_check_header(msg, len, id);
    if (rc != SMTPC_OK) {
        return rc;
    }
    /* The question must echo ours (RFC 5452 §9.1: ID and question). */
    *off = DNS_HDR_LEN;
    rc = dns_name_equal(msg, len, *off, name, &equal, off);
    if (rc != SMTPC_OK || !equal || 4u > len - *off || rd16(msg + *off) != qtype ||
        rd16(msg + *off + 2u) != DNS_CLASS_IN) {
        return SMTPC_ERR_DNS_FORMAT;
    }
    *off += 4u;
    return SMTPC_OK;
}

int smtpc_dns_resp_match(const uint8_t *msg, size_t len, uint16_t id, const char *name,
                         uint16_t qtype)
{
    size_t off;
    return dns_match(msg, len, id, name, qtype, &off);
}

int smtpc_dns_resp_parse(const uint8_t *msg, size_t len, uint16_t id, const char *name,
                         uint16_t qtype, smtpc_dns_rr_fn cb, void *arg)
{
    dns_walk_t w;
    size_t off = 0;
    size_t i;
    size_t n;
    size_t nlen;
    int rc = dns_match(msg, len, id, name, qtype, &off);
    if (rc != SMTPC_OK) {
        return rc;
    }
    if (msg[2] & 0x02u) {
        return SMTPC_ERR_DNS_TRUNCATED;
    }
    rc = dns_rcode(msg);
    if (rc != SMTPC_OK) {
        return rc;
    }
    memset(&w, 0, sizeof(w));
    nlen = 0;
    while (nlen < sizeof(w.cur) - 1u && name[nlen] != '\0') {
        w.cur[nlen] = name[nlen];
        nlen++;
    }
    w.msg = msg;
    w.len = len;
    w.qtype = qtype;
    w.cb = cb;
    w.arg = arg;
    n = rd16(msg + 6);
    if (n > SMTPC_DNS_MAX_ANSWERS) {
        n = SMTPC_DNS_MAX_ANSWERS;
    }
    for (i = 0; i < n; i++) {
        rc = dns_answer(&w, &off);
        if (rc != SMTPC_OK) {
            return rc;
        }
    }
    return w.delivered > 0 ? SMTPC_OK : SMTPC_ERR_DNS_NODATA;
}

/* --------------------------------------------------------------- MX ---- */

int smtpc_mx_add(smtpc_mx_list_t *l, const smtpc_dns_rr_t *rr)
{
    size_t worst = 0;
    size_t i;
    if (l == NULL || rr == NULL || rr->type != SMTPC_DNS_TYPE_MX) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (rr->name[0] == '\0') {
        return SMTPC_ERR_DNS_NULL_MX; /* RFC 7505 §3: "0 ." – the domain takes no mail */
    }
    if (l->count < SMTPC_MAX_MX) {
        i = l->count++;
    } else {
        for (i = 1; i < l->count; i++) {
            if (l->mx[i].pref > l->mx[worst].pref) {
                worst = i;
            }
        }
        if (rr->pref >= l->mx[worst].pref) {
            return SMTPC_OK;
        }
        i = worst;
    }
    l->mx[i].pref = rr->pref;
    memcpy(l->mx[i].host, rr->name, sizeof(l->mx[i].host));
    return SMTPC_OK;
}

static void mx_swap(smtpc_mx_t *a, smtpc_mx_t *b)
{
    smtpc_mx_t t = *a;
    *a = *b;
    *b = t;
}

void smtpc_mx_sort(smtpc_mx_list_t *l, const uint8_t *seed, size_t seed_len)
{
    size_t i;
    size_t j;
    size_t s = 0;
    if (l == NULL) {
        return;
    }
    /* Insertion sort by preference (at most SMTPC_MAX_MX entries). */
    for (i = 1; i < l->count; i++) {
        for (j = i; j > 0 && l->mx[j - 1u].pref > l->mx[j].pref; j--) {
            mx_swap(&l->mx[j - 1u], &l->mx[j]);
        }
    }
    /* RFC 5321 §5.1: hosts of equal preference are tried in random order. */
    for (i = 0; i + 1u < l->count && seed != NULL && seed_len > 0; i++) {
        size_t run = 1;
        while (i + run < l->count && l->mx[i + run].pref == l->mx[i].pref) {
            run++;
        }
        for (j = run; j > 1; j--) {
            size_t k = seed[s++ % seed_len] % j;
            mx_swap(&l->mx[i + j - 1u], &l->mx[i + k]);
        }
        i += run - 1u;
    }
}
