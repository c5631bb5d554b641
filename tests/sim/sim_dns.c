/* The simulated DNS: nameservers answering from a small zone with real wire
 * messages (RFC 1035 §4), over the client's datagram ops and, after a
 * truncated answer, over TCP through the fake net. See sim.h.
 *
 * The encoder and the query parser here are the simulator's own, written
 * from RFC 1035 and independent of core/src/smtpc_dnswire.c, so the two
 * check each other. */
#include <stdio.h>
#include <string.h>

#include "sim.h"

#define DNS_HDR         12u
#define DNS_CLASS_IN    1u
#define DNS_TTL         300u
#define DNS_QR          0x8000u
#define DNS_AA          0x0400u
#define DNS_TC          0x0200u
#define DNS_RD          0x0100u
#define DNS_RA          0x0080u
#define DNS_RC_SERVFAIL 2u
#define DNS_RC_NXDOMAIN 3u
#define DNS_RC_REFUSED  5u
#define DNS_MAX_ANSWERS SIM_DNS_ZONE_MAX
#define DNS_CNAME_HOPS  8u

/* ------------------------------------------------------------ helpers -- */

static void dns_violation(sim_dns_t *d, const char *what)
{
    if (d->violation[0] == '\0') {
        snprintf(d->violation, sizeof(d->violation), "%s", what);
    }
}

static char dns_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* Names compare case-insensitively (RFC 4343); one trailing dot is ignored. */
static bool dns_name_eq(const char *a, const char *b)
{
    size_t i;
    for (i = 0; i < SMTPC_DNS_NAME_BUF; i++) {
        char x = dns_lower(a[i]);
        char y = dns_lower(b[i]);
        if (x == '.' && a[i + 1] == '\0') {
            x = '\0';
        }
        if (y == '.' && b[i + 1] == '\0') {
            y = '\0';
        }
        if (x != y) {
            return false;
        }
        if (x == '\0') {
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------ encoder -- */

typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bool overflow;
    const char *qname; /* owner names equal to this become a pointer to 12 */
} wr_t;

static void wr_u8(wr_t *w, unsigned v)
{
    if (w->len >= w->cap) {
        w->overflow = true;
        return;
    }
    w->buf[w->len++] = (uint8_t)v;
}

static void wr_u16(wr_t *w, unsigned v)
{
    wr_u8(w, (v >> 8) & 0xffu);
    wr_u8(w, v & 0xffu);
}

static void wr_u32(wr_t *w, uint32_t v)
{
    wr_u16(w, (unsigned)(v >> 16));
    wr_u16(w, (unsigned)(v & 0xffffu));
}

/* A name as labels ("" or "." is the root). Labels are cut at 63 octets. */
static void wr_name(wr_t *w, const char *name)
{
    size_t i = 0;
    size_t guard;
    for (guard = 0; guard < SMTPC_DNS_NAME_BUF && name[i] != '\0'; guard++) {
        size_t start = i;
        size_t k;
        while (name[i] != '\0' && name[i] != '.' && i - start < 63u) {
            i++;
        }
        if (i == start) {
            break; /* "." alone, or an empty label: stop at the root */
        }
        wr_u8(w, (unsigned)(i - start));
        for (k = start; k < i; k++) {
            wr_u8(w, (uint8_t)name[k]);
        }
        if (name[i] == '.') {
            i++;
        }
    }
    wr_u8(w, 0);
}

static void wr_owner(wr_t *w, const char *name)
{
    if (w->qname != NULL && dns_name_eq(name, w->qname)) {
        wr_u16(w, 0xc000u | DNS_HDR); /* RFC 1035 §4.1.4 */
        return;
    }
    wr_name(w, name);
}

static void wr_a(wr_t *w, const char *dotted)
{
    unsigned part[4] = {0, 0, 0, 0};
    size_t i;
    unsigned k = 0;
    for (i = 0; dotted[i] != '\0' && i < 16u; i++) {
        if (dotted[i] == '.') {
            k = k < 3u ? k + 1u : k;
        } else if (dotted[i] >= '0' && dotted[i] <= '9') {
            part[k] = part[k] * 10u + (unsigned)(dotted[i] - '0');
        }
    }
    for (k = 0; k < 4u; k++) {
        wr_u8(w, part[k] & 0xffu);
    }
}

/* RFC 1035 §3.3.14: one or more <character-string>s of up to 255 octets. */
static void wr_txt(wr_t *w, const char *text)
{
    size_t n = strlen(text);
    size_t off = 0;
    do {
        size_t k = n - off > 255u ? 255u : n - off;
        size_t j;
        wr_u8(w, (unsigned)k);
        for (j = 0; j < k; j++) {
            wr_u8(w, (uint8_t)text[off + j]);
        }
        off += k;
    } while (off < n);
}

static void wr_rr(wr_t *w, const sim_rr_t *rr)
{
    size_t rdlen_at;
    size_t rdlen;
    wr_owner(w, rr->name);
    wr_u16(w, rr->type);
    wr_u16(w, DNS_CLASS_IN);
    wr_u32(w, DNS_TTL);
    rdlen_at = w->len;
    wr_u16(w, 0);
    switch (rr->type) {
    case SMTPC_DNS_TYPE_MX:
        wr_u16(w, rr->pref);
        wr_name(w, rr->data); /* RFC 7505: "" is the null MX */
        break;
    case SMTPC_DNS_TYPE_CNAME:
        wr_name(w, rr->data);
        break;
    case SMTPC_DNS_TYPE_A:
        wr_a(w, rr->data);
        break;
    default:
        wr_txt(w, rr->data);
        break;
    }
    rdlen = w->len - rdlen_at - 2u;
    if (!w->overflow) {
        w->buf[rdlen_at] = (uint8_t)(rdlen >> 8);
        w->buf[rdlen_at + 1u] = (uint8_t)rdlen;
    }
}

size_t sim_dns_encode(uint8_t *out, size_t cap, uint16_t id, uint16_t flags, const char *qname,
                      uint16_t qtype, const sim_rr_t *const *an, size_t n)
{
    wr_t w;
    size_t i;
    memset(&w, 0, sizeof(w));
    w.buf = out;
    w.cap = cap;
    w.qname = qname;
    wr_u16(&w, id);
    wr_u16(&w, flags);
    wr_u16(&w, 1);           /* QDCOUNT */
    wr_u16(&w, (unsigned)n); /* ANCOUNT */
    wr_u16(&w, 0);           /* NSCOUNT */
    wr_u16(&w, 0);           /* ARCOUNT */
    wr_name(&w, qname);
    wr_u16(&w, qtype);
    wr_u16(&w, DNS_CLASS_IN);
    for (i = 0; i < n; i++) {
        wr_rr(&w, an[i]);
    }
    return w.overflow ? 0u : w.len;
}

/* ------------------------------------------------------------ queries -- */

typedef struct {
    uint16_t id;
    uint16_t flags;
    uint16_t qtype;
    char qname[SMTPC_DNS_NAME_BUF];
} dns_query_t;

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(((unsigned)p[0] << 8) | p[1]);
}

/* Parse a query as a strict server would: one question, class IN, no
 * compression, nothing after the question. NULL or what is wrong. */
static const char *dns_parse_query(const uint8_t *m, size_t len, dns_query_t *q)
{
    size_t pos = DNS_HDR;
    size_t out = 0;
    unsigned labels;
    if (len < DNS_HDR + 5u) {
        return "DNS query shorter than a header and a question";
    }
    q->id = rd16(m);
    q->flags = rd16(m + 2);
    if ((q->flags & DNS_QR) != 0u || (q->flags & 0x7800u) != 0u || (q->flags & DNS_RD) == 0u) {
        return "DNS query with QR, an opcode or without RD";
    }
    if (rd16(m + 4) != 1u || rd16(m + 6) != 0u || rd16(m + 8) != 0u || rd16(m + 10) != 0u) {
        return "DNS query without exactly one question and no records";
    }
    for (labels = 0; labels < 128u && pos < len && m[pos] != 0u; labels++) {
        size_t l = m[pos];
        if (l > 63u || pos + 1u + l >= len || out + l + 1u >= sizeof(q->qname)) {
            return "DNS query with a bad label (compressed, too long or cut)";
        }
        if (out > 0) {
            q->qname[out++] = '.';
        }
        memcpy(q->qname + out, m + pos + 1u, l);
        out += l;
        pos += 1u + l;
    }
    q->qname[out] = '\0';
    if (pos + 5u != len || m[pos] != 0u || out == 0) {
        return "DNS query with an empty name or bytes after the question";
    }
    q->qtype = rd16(m + pos + 1u);
    if (rd16(m + pos + 3u) != DNS_CLASS_IN) {
        return "DNS query for a class other than IN";
    }
    return NULL;
}

/* ------------------------------------------------------------ zone ----- */

static bool zone_has_name(const sim_dns_t *d, const char *name)
{
    size_t i;
    for (i = 0; i < d->cfg.zone_len; i++) {
        if (dns_name_eq(d->cfg.zone[i].name, name)) {
            return true;
        }
    }
    return false;
}

static const sim_rr_t *zone_find(const sim_dns_t *d, const char *name, uint16_t type)
{
    size_t i;
    for (i = 0; i < d->cfg.zone_len; i++) {
        if (d->cfg.zone[i].type == type && dns_name_eq(d->cfg.zone[i].name, name)) {
            return &d->cfg.zone[i];
        }
    }
    return NULL;
}

/* The answer section for (qname, qtype): the CNAME chain first, then the
 * records of the last name (RFC 1034 §4.3.2). Returns the RCODE. */
static unsigned zone_answer(const sim_dns_t *d, const char *qname, uint16_t qtype,
                            const sim_rr_t **an, size_t *n)
{
    const char *cur = qname;
    unsigned hop;
    size_t i;
    *n = 0;
    for (hop = 0; hop < DNS_CNAME_HOPS && qtype != SMTPC_DNS_TYPE_CNAME; hop++) {
        const sim_rr_t *c = zone_find(d, cur, SMTPC_DNS_TYPE_CNAME);
        if (c == NULL || *n >= DNS_MAX_ANSWERS) {
            break;
        }
        an[(*n)++] = c;
        cur = c->data;
    }
    for (i = 0; i < d->cfg.zone_len && *n < DNS_MAX_ANSWERS; i++) {
        const sim_rr_t *rr = &d->cfg.zone[i];
        bool type_ok =
            rr->type == qtype || (d->cfg.answer_all_types && rr->type != SMTPC_DNS_TYPE_CNAME);
        if (type_ok && dns_name_eq(rr->name, cur)) {
            an[(*n)++] = rr;
        }
    }
    /* RFC 6604: the RCODE speaks of the last name of the chain. */
    return zone_has_name(d, cur) ? 0u : DNS_RC_NXDOMAIN;
}

bool sim_dns_add(sim_dns_t *d, const char *name, uint16_t type, uint16_t pref, const char *data)
{
    sim_rr_t *rr;
    if (d->cfg.zone_len >= SIM_DNS_ZONE_MAX) {
        return false;
    }
    rr = &d->cfg.zone[d->cfg.zone_len++];
    rr->name = name;
    rr->type = type;
    rr->pref = pref;
    rr->data = data;
    return true;
}

size_t sim_dns_remove(sim_dns_t *d, const char *name)
{
    size_t i;
    size_t keep = 0;
    size_t gone = 0;
    for (i = 0; i < d->cfg.zone_len; i++) {
        if (dns_name_eq(d->cfg.zone[i].name, name)) {
            gone++;
        } else {
            d->cfg.zone[keep++] = d->cfg.zone[i];
        }
    }
    d->cfg.zone_len = keep;
    return gone;
}

/* The full response to @p q (no truncation), into @p out. */
static size_t dns_respond(const sim_dns_t *d, const dns_query_t *q, unsigned rcode_forced,
                          bool truncated, uint8_t *out, size_t cap)
{
    const sim_rr_t *an[DNS_MAX_ANSWERS];
    size_t n = 0;
    unsigned rcode = rcode_forced;
    uint16_t flags;
    if (rcode == 0u) {
        rcode = zone_answer(d, q->qname, q->qtype, an, &n);
    }
    if (truncated) {
        n = 0; /* RFC 2181 §9: what does not fit is left out, TC says so */
    }
    flags = (uint16_t)(DNS_QR | DNS_AA | DNS_RA | (q->flags & DNS_RD) | rcode |
                       (truncated ? DNS_TC : 0u));
    return sim_dns_encode(out, cap, q->id, flags, q->qname, q->qtype, an, n);
}

/* ------------------------------------------------------------ queues --- */

static sim_dgram_t *dns_slot(sim_dgram_t *q)
{
    size_t i;
    for (i = 0; i < SIM_DNS_QUEUE; i++) {
        if (!q[i].used) {
            return &q[i];
        }
    }
    return NULL;
}

/* Queue a datagram from nameserver @p server to the client's socket @p gen. */
static void dns_emit(sim_dns_t *d, const uint8_t *msg, size_t len, uint8_t server, unsigned gen,
                     uint32_t at, bool unreachable)
{
    sim_dgram_t *g = dns_slot(d->out);
    if (g == NULL || len > sizeof(g->data)) {
        dns_violation(d, "sim: DNS answer queue full");
        return;
    }
    memset(g, 0, sizeof(*g));
    if (len > 0) {
        memcpy(g->data, msg, len);
    }
    g->len = len;
    g->at = at;
    g->seq = d->seq++;
    g->gen = gen;
    g->server = server;
    g->unreachable = unreachable;
    g->used = true;
}

/*
 * Forged answers, each pointing the domain at SIM_DNS_EVIL_MX, that an
 * off-path attacker races against the real one (RFC 5452 §4): a guessed ID,
 * the right ID for another question, the right ID for another type, and a
 * "response" without QR. The resolver must drop all of them and keep waiting.
 * A forged answer from another source address or port is not simulated: a
 * port's connected socket filters those before core sees anything (see
 * smtpc_dgram_ops_t), so that check belongs to the port's own tests.
 */
static void dns_spoof(sim_dns_t *d, const dns_query_t *q, uint8_t server, unsigned gen, uint32_t at)
{
    static const sim_rr_t evil = {NULL, SMTPC_DNS_TYPE_MX, 0, SIM_DNS_EVIL_MX};
    sim_rr_t rr = evil;
    const sim_rr_t *an[1];
    uint8_t msg[SMTPC_DNS_MSG_MAX];
    uint16_t ok = (uint16_t)(DNS_QR | DNS_AA | DNS_RA | DNS_RD);
    size_t len;
    an[0] = &rr;
    rr.name = q->qname;
    len = sim_dns_encode(msg, sizeof(msg), (uint16_t)(q->id ^ 0x5a5au), ok, q->qname, q->qtype, an,
                         1);
    dns_emit(d, msg, len, server, gen, at, false);
    rr.name = SIM_DNS_EVIL_MX;
    len = sim_dns_encode(msg, sizeof(msg), q->id, ok, SIM_DNS_EVIL_MX, q->qtype, an, 1);
    dns_emit(d, msg, len, server, gen, at, false);
    rr.name = q->qname;
    len = sim_dns_encode(msg, sizeof(msg), q->id, ok, q->qname, SMTPC_DNS_TYPE_TXT, an, 1);
    dns_emit(d, msg, len, server, gen, at, false);
    len = sim_dns_encode(msg, sizeof(msg), q->id, (uint16_t)(ok & ~DNS_QR), q->qname, q->qtype, an,
                         1);
    dns_emit(d, msg, len, server, gen, at, false);
    d->spoofs_sent += 4u;
}

static void dns_log(sim_dns_t *d, const dns_query_t *q, uint8_t server, bool tcp, bool lost,
                    uint32_t now)
{
    sim_dns_query_t *e;
    if (d->log_len >= SIM_DNS_LOG) {
        return;
    }
    e = &d->log[d->log_len++];
    e->t = now;
    e->server = server;
    e->tcp = tcp;
    e->lost = lost;
    e->id = q->id;
    e->qtype = q->qtype;
    memcpy(e->qname, q->qname, sizeof(e->qname));
}

/* One UDP query reached the network: lose it, or let its server answer. */
static void dns_serve_udp(sim_dns_t *d, const sim_dgram_t *in, uint32_t now)
{
    dns_query_t q;
    const char *bad = dns_parse_query(in->data, in->len, &q);
    uint8_t msg[SMTPC_DNS_MSG_MAX];
    uint32_t at = now + d->cfg.delay_ms;
    sim_ns_mode_t mode = d->cfg.mode[in->server];
    size_t len;
    if (bad != NULL) {
        dns_violation(d, bad);
        return;
    }
    if (d->lost + d->udp_queries[0] + d->udp_queries[1] < d->cfg.drop_first) {
        d->lost++;
        dns_log(d, &q, in->server, false, true, now);
        return;
    }
    d->udp_queries[in->server]++;
    dns_log(d, &q, in->server, false, false, now);
    if (mode == SIM_NS_SILENT) {
        return;
    }
    if (mode == SIM_NS_UNREACHABLE) {
        dns_emit(d, NULL, 0, in->server, in->gen, at, true);
        return;
    }
    if (d->cfg.spoof) {
        dns_spoof(d, &q, in->server, in->gen, at);
    }
    len = dns_respond(d, &q,
                      mode == SIM_NS_SERVFAIL  ? DNS_RC_SERVFAIL
                      : mode == SIM_NS_REFUSED ? DNS_RC_REFUSED
                                               : 0u,
                      d->cfg.truncate_udp, msg, sizeof(msg));
    if (len == 0) {
        dns_violation(d, "sim: DNS answer does not fit");
        return;
    }
    dns_emit(d, msg, len, in->server, in->gen, at, false);
}

/* Datagrams for a socket the client closed go to a closed port. */
static bool dns_purge(sim_dns_t *d)
{
    size_t i;
    bool moved = false;
    for (i = 0; i < SIM_DNS_QUEUE; i++) {
        sim_dgram_t *g = &d->out[i];
        if (g->used && (!d->open || g->gen != d->gen)) {
            g->used = false;
            d->stale++;
            moved = true;
        }
    }
    return moved;
}

/* ------------------------------------------------------------ TCP ------ */

/* RFC 1035 §4.2.2 / RFC 7766: two-octet length, then the message. */
static bool dns_serve_tcp(sim_dns_t *d, uint32_t now)
{
    bool moved = false;
    unsigned k;
    for (k = 0; k < 8u; k++) {
        int32_t n;
        size_t need;
        dns_query_t q;
        const char *bad;
        uint8_t msg[SMTPC_DNS_MSG_MAX + 2u];
        size_t len;
        n = sim_pipe_server_read(&d->tcp, d->tcp_in + d->tcp_in_len,
                                 sizeof(d->tcp_in) - d->tcp_in_len);
        if (n < 0) {
            sim_pipe_server_close(&d->tcp);
            return moved;
        }
        d->tcp_in_len += (size_t)n;
        moved = moved || n > 0;
        if (d->tcp_in_len < 2u) {
            return moved;
        }
        need = 2u + rd16(d->tcp_in);
        if (need > sizeof(d->tcp_in)) {
            dns_violation(d, "DNS-over-TCP query longer than a DNS message");
            sim_pipe_server_close(&d->tcp);
            return true;
        }
        if (d->tcp_in_len < need) {
            return moved;
        }
        bad = dns_parse_query(d->tcp_in + 2, need - 2u, &q);
        memmove(d->tcp_in, d->tcp_in + need, d->tcp_in_len - need);
        d->tcp_in_len -= need;
        if (bad != NULL) {
            dns_violation(d, bad);
            continue;
        }
        d->tcp_queries++;
        dns_log(d, &q, d->tcp_server, true, false, now);
        len = dns_respond(d, &q, 0, false, msg + 2, sizeof(msg) - 2u);
        msg[0] = (uint8_t)(len >> 8);
        msg[1] = (uint8_t)len;
        if (len == 0 || sim_pipe_server_write(&d->tcp, msg, len + 2u) != len + 2u) {
            dns_violation(d, "sim: DNS-over-TCP answer not written");
        }
        moved = true;
    }
    return moved;
}

int sim_dns_tcp_connect(sim_dns_t *d, const char *host, uint16_t port, smtpc_stream_t *out)
{
    unsigned idx;
    if (strcmp(host, SIM_DNS_ADDR0) == 0) {
        idx = 0;
    } else if (strcmp(host, SIM_DNS_ADDR1) == 0 && d->cfg.servers > 1u) {
        idx = 1;
    } else {
        return SMTPC_ERR_NET_RESOLVE;
    }
    if (port != SIM_DNS_PORT || d->cfg.mode[idx] == SIM_NS_SILENT ||
        d->cfg.mode[idx] == SIM_NS_UNREACHABLE) {
        return SMTPC_ERR_NET_CONNECT;
    }
    if (d->tcp_used && !d->tcp.client_closed) {
        dns_violation(d, "second DNS-over-TCP connection while one is open");
        return SMTPC_ERR_NET_CONNECT;
    }
    memset(&d->tcp, 0, sizeof(d->tcp));
    d->tcp_used = true;
    d->tcp_server = (uint8_t)idx;
    d->tcp_in_len = 0;
    d->tcp_connects++;
    out->ops = &sim_pipe_client_ops;
    out->ctx = &d->tcp;
    return SMTPC_OK;
}

/* ------------------------------------------------------------ step ----- */

bool sim_dns_step(sim_dns_t *d, uint32_t now)
{
    size_t i;
    bool moved = dns_purge(d);
    /* Queries in the order they were sent. */
    for (i = 0; i < SIM_DNS_QUEUE; i++) {
        size_t j;
        sim_dgram_t *first = NULL;
        for (j = 0; j < SIM_DNS_QUEUE; j++) {
            if (d->in[j].used && (first == NULL || d->in[j].seq < first->seq)) {
                first = &d->in[j];
            }
        }
        if (first == NULL) {
            break;
        }
        first->used = false;
        dns_serve_udp(d, first, now);
        moved = true;
    }
    if (d->tcp_used && !d->tcp.server_closed) {
        moved = dns_serve_tcp(d, now) || moved;
        if (d->tcp.client_closed && d->tcp.c2s.len == 0) {
            sim_pipe_server_close(&d->tcp);
        }
    }
    return moved;
}

bool sim_dns_next_event(const sim_dns_t *d, uint32_t now, uint32_t *at)
{
    size_t i;
    bool have = false;
    for (i = 0; i < SIM_DNS_QUEUE; i++) {
        const sim_dgram_t *g = &d->out[i];
        if (g->used && d->open && g->gen == d->gen && sim_before(now, g->at) &&
            (!have || sim_before(g->at, *at))) {
            *at = g->at;
            have = true;
        }
    }
    return have;
}

/* ------------------------------------------------------------ ops ------ */

static unsigned dgram_server_count(void *ctx)
{
    return ((const sim_dns_t *)ctx)->cfg.servers;
}

static int dgram_server(void *ctx, unsigned idx, const char **addr, uint16_t *port)
{
    const sim_dns_t *d = (const sim_dns_t *)ctx;
    if (idx >= d->cfg.servers) {
        return SMTPC_ERR_BAD_ARG;
    }
    *addr = idx == 0u ? SIM_DNS_ADDR0 : SIM_DNS_ADDR1;
    *port = SIM_DNS_PORT;
    return SMTPC_OK;
}

static int dgram_open(void *ctx, unsigned idx)
{
    sim_dns_t *d = (sim_dns_t *)ctx;
    if (idx >= d->cfg.servers) {
        dns_violation(d, "open() of a nameserver index past server_count()");
        return SMTPC_ERR_BAD_ARG;
    }
    if (d->open) {
        dns_violation(d, "open() while the previous socket is still open");
    }
    d->open = true;
    d->open_idx = (uint8_t)idx;
    d->gen++;
    d->opens++;
    return SMTPC_OK;
}

static int32_t dgram_send(void *ctx, const uint8_t *buf, size_t len)
{
    sim_dns_t *d = (sim_dns_t *)ctx;
    sim_dgram_t *g;
    if (!d->open) {
        dns_violation(d, "send() without an open socket");
        return SMTPC_ERR_NET_IO;
    }
    g = dns_slot(d->in);
    if (g == NULL || len > sizeof(g->data)) {
        dns_violation(d, "sim: DNS query queue full or query too long");
        return SMTPC_ERR_NET_IO;
    }
    memset(g, 0, sizeof(*g));
    memcpy(g->data, buf, len);
    g->len = len;
    g->at = d->clock->now_ms;
    g->seq = d->seq++;
    g->gen = d->gen;
    g->server = d->open_idx;
    g->used = true;
    d->udp_sent++;
    d->traffic++;
    return (int32_t)len;
}

static int32_t dgram_recv(void *ctx, uint8_t *buf, size_t cap)
{
    sim_dns_t *d = (sim_dns_t *)ctx;
    sim_dgram_t *first = NULL;
    size_t i;
    size_t n;
    if (!d->open) {
        dns_violation(d, "recv() without an open socket");
        return SMTPC_ERR_NET_IO;
    }
    for (i = 0; i < SIM_DNS_QUEUE; i++) {
        sim_dgram_t *g = &d->out[i];
        if (g->used && g->gen == d->gen && !sim_before(d->clock->now_ms, g->at) &&
            (first == NULL || g->seq < first->seq)) {
            first = g;
        }
    }
    if (first == NULL) {
        return 0;
    }
    first->used = false;
    d->traffic++;
    if (first->unreachable) {
        return SMTPC_ERR_NET_IO; /* ICMP port unreachable on a connected socket */
    }
    d->delivered++;
    n = first->len < cap ? first->len : cap; /* a datagram is cut to the buffer */
    memcpy(buf, first->data, n);
    return (int32_t)n;
}

static void dgram_close(void *ctx)
{
    sim_dns_t *d = (sim_dns_t *)ctx;
    if (d->open) {
        d->closes++;
    }
    d->open = false;
}

const smtpc_dgram_ops_t sim_dgram_ops = {dgram_server_count, dgram_server, dgram_open,
                                         dgram_send,         dgram_recv,   dgram_close};

/* ------------------------------------------------------------ rng ------ */

void sim_rng_seed(sim_rng_t *r, uint64_t seed)
{
    r->state = seed != 0u ? seed : 0x9e3779b97f4a7c15u;
}

static int sim_rng_fill(void *ctx, uint8_t *buf, size_t len)
{
    sim_rng_t *r = (sim_rng_t *)ctx;
    size_t i;
    for (i = 0; i < len; i++) {
        uint64_t x = r->state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        r->state = x;
        buf[i] = (uint8_t)((x * 0x2545f4914f6cdd1du) >> 56);
    }
    return SMTPC_OK;
}

const smtpc_rng_ops_t sim_rng_ops = {sim_rng_fill};
