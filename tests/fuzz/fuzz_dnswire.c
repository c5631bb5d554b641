/* Fuzz target: DNS wire codec (smtpc_dnswire.c).
 *
 * Input: byte 0 picks the query type (bits 0-2) and the name asked (bits
 * 3-4); the rest is the response. Its first two bytes are taken as the query
 * ID, so most inputs get past the ID check.
 * Invariants: every answer handed to the callback is of the type asked, its
 * RDATA lies inside the message, its name is NUL-terminated, lower case,
 * without a trailing dot and at most 253 bytes; no more than
 * SMTPC_DNS_MAX_ANSWERS answers are delivered; SMTPC_OK means at least one
 * was; smtpc_dns_resp_match() agrees with the parse (a response the parse
 * accepts matches, one that does not match is a format error); TXT joins fit
 * and never exceed the RDATA; MX lists stay bounded and sort by preference.
 * Round trip: the same bytes read as a name go through smtpc_dns_query_build;
 * a built query, turned into a response, matches and parses as NODATA. */
#include <string.h>

#include "smtpc/dns.h"

#include "fuzz_common.h"

static const uint16_t k_types[8] = {
    SMTPC_DNS_TYPE_A,    SMTPC_DNS_TYPE_CNAME, SMTPC_DNS_TYPE_MX,  SMTPC_DNS_TYPE_TXT,
    SMTPC_DNS_TYPE_AAAA, SMTPC_DNS_TYPE_MX,    SMTPC_DNS_TYPE_TXT, 99};
static const char *const k_names[4] = {"example.com", "_mta-sts.example.com",
                                       "_smtp._tls.example.org", "mx1.example.net."};

typedef struct {
    const uint8_t *msg;
    size_t len;
    uint16_t qtype;
    unsigned count;
    smtpc_mx_list_t mx;
    int stop_after; /* return an error from the callback after this many */
} ctx_t;

static int on_rr(void *arg, const smtpc_dns_rr_t *rr)
{
    ctx_t *c = arg;
    size_t nlen = strnlen(rr->name, sizeof(rr->name));
    size_t i;
    char txt[SMTPC_DNS_MSG_MAX];
    size_t tlen = 0;

    c->count++;
    FUZZ_CHECK(c->count <= SMTPC_DNS_MAX_ANSWERS);
    FUZZ_CHECK(rr->type == c->qtype);
    FUZZ_CHECK(rr->rdlen == 0 || (rr->rdata >= c->msg && rr->rdata + rr->rdlen <= c->msg + c->len));
    FUZZ_CHECK(nlen < sizeof(rr->name));
    FUZZ_CHECK(nlen <= 253);
    FUZZ_CHECK(nlen == 0 || rr->name[nlen - 1] != '.');
    for (i = 0; i < nlen; i++) {
        FUZZ_CHECK(!(rr->name[i] >= 'A' && rr->name[i] <= 'Z'));
    }
    switch (rr->type) {
    case SMTPC_DNS_TYPE_A:
        FUZZ_CHECK(rr->rdlen == 4);
        break;
    case SMTPC_DNS_TYPE_AAAA:
        FUZZ_CHECK(rr->rdlen == 16);
        break;
    case SMTPC_DNS_TYPE_TXT: {
        int rc = smtpc_dns_txt_join(rr, txt, sizeof(txt), &tlen);
        if (rc == SMTPC_OK) {
            FUZZ_CHECK(tlen < rr->rdlen || rr->rdlen == 0);
        }
        rc = smtpc_dns_txt_join(rr, txt, 8, &tlen);
        if (rc == SMTPC_OK) {
            FUZZ_CHECK(tlen <= 8);
        }
        break;
    }
    case SMTPC_DNS_TYPE_MX: {
        int rc = smtpc_mx_add(&c->mx, rr);
        FUZZ_CHECK(c->mx.count <= SMTPC_MAX_MX);
        if (rc == SMTPC_ERR_DNS_NULL_MX) {
            return rc;
        }
        FUZZ_CHECK(rc == SMTPC_OK || rc < 0);
        break;
    }
    default:
        break;
    }
    if (c->stop_after > 0 && (int)c->count >= c->stop_after) {
        return SMTPC_ERR_NO_SPACE;
    }
    return SMTPC_OK;
}

static void check_query_build(const uint8_t *data, size_t size, uint16_t qtype)
{
    char name[300];
    uint8_t q[SMTPC_DNS_MSG_MAX];
    size_t n = size < sizeof(name) - 1u ? size : sizeof(name) - 1u;
    size_t qlen = 0;
    int rc;
    memcpy(name, data, n);
    name[n] = '\0';
    rc = smtpc_dns_query_build(q, sizeof(q), &qlen, 0x1234, name, qtype);
    if (rc != SMTPC_OK) {
        FUZZ_CHECK(rc == SMTPC_ERR_BAD_ARG || rc == SMTPC_ERR_NO_SPACE);
        return;
    }
    FUZZ_CHECK(qlen >= 12 + 5 && qlen <= sizeof(q));
    FUZZ_CHECK(q[0] == 0x12 && q[1] == 0x34);
    q[2] |= 0x80u; /* QR: make it its own (empty) answer */
    FUZZ_CHECK(smtpc_dns_resp_match(q, qlen, 0x1234, name, qtype) == SMTPC_OK);
    {
        ctx_t c;
        memset(&c, 0, sizeof(c));
        c.msg = q;
        c.len = qlen;
        c.qtype = qtype;
        rc = smtpc_dns_resp_parse(q, qlen, 0x1234, name, qtype, on_rr, &c);
        FUZZ_CHECK(rc == SMTPC_ERR_DNS_NODATA);
        FUZZ_CHECK(c.count == 0);
    }
    /* A shorter buffer either fits or says so. */
    rc = smtpc_dns_query_build(q, qlen - 1u, &n, 0x1234, name, qtype);
    FUZZ_CHECK(rc == SMTPC_ERR_NO_SPACE);
    /* Normalisation is idempotent. */
    {
        size_t l1 = smtpc_dns_name_norm(name, sizeof(name));
        char again[300];
        memcpy(again, name, sizeof(again));
        if (l1 > 0) {
            FUZZ_CHECK(smtpc_dns_name_norm(again, sizeof(again)) == l1);
            FUZZ_CHECK(strcmp(again, name) == 0);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ctx_t c;
    uint16_t id, qtype;
    const char *name;
    int rc, m;
    unsigned i;

    if (size < 1) {
        return 0;
    }
    qtype = k_types[data[0] & 7u];
    name = k_names[(data[0] >> 3) & 3u];
    data++;
    size--;
    id = size >= 2 ? (uint16_t)((data[0] << 8) | data[1]) : 0;

    memset(&c, 0, sizeof(c));
    c.msg = data;
    c.len = size;
    c.qtype = qtype;
    rc = smtpc_dns_resp_parse(data, size, id, name, qtype, on_rr, &c);
    m = smtpc_dns_resp_match(data, size, id, name, qtype);
    if (m != SMTPC_OK) {
        FUZZ_CHECK(m == SMTPC_ERR_DNS_FORMAT);
        FUZZ_CHECK(rc == SMTPC_ERR_DNS_FORMAT);
    }
    if (rc == SMTPC_OK) {
        FUZZ_CHECK(c.count >= 1);
        FUZZ_CHECK(m == SMTPC_OK);
    } else {
        FUZZ_CHECK(rc < 0);
    }
    if (rc == SMTPC_ERR_DNS_NODATA) {
        FUZZ_CHECK(c.count == 0);
    }
    if (qtype == SMTPC_DNS_TYPE_MX && c.mx.count > 0) {
        smtpc_mx_sort(&c.mx, data, size < 8 ? size : 8);
        FUZZ_CHECK(c.mx.count <= SMTPC_MAX_MX);
        for (i = 1; i < c.mx.count; i++) {
            FUZZ_CHECK(c.mx.mx[i - 1].pref <= c.mx.mx[i].pref);
        }
        for (i = 0; i < c.mx.count; i++) {
            FUZZ_CHECK(strnlen(c.mx.mx[i].host, SMTPC_DNS_NAME_BUF) < SMTPC_DNS_NAME_BUF);
        }
    }

    /* The callback stopping the parse: its error comes back unchanged. */
    if (rc == SMTPC_OK) {
        memset(&c, 0, sizeof(c));
        c.msg = data;
        c.len = size;
        c.qtype = qtype;
        c.stop_after = 1;
        rc = smtpc_dns_resp_parse(data, size, id, name, qtype, on_rr, &c);
        FUZZ_CHECK(rc == SMTPC_ERR_NO_SPACE || rc == SMTPC_ERR_DNS_NULL_MX);
        FUZZ_CHECK(c.count == 1);
    }

    check_query_build(data, size, qtype == 99 ? SMTPC_DNS_TYPE_TXT : qtype);
    return 0;
}
