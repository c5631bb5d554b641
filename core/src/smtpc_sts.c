/* MTA-STS policy logic (RFC 8461 §3.3, §5.1, §10.2): the cache decision,
 * and the engine that discovers the `_mta-sts` TXT record, fetches the
 * policy over HTTPS and settles which policy applies. See smtpc/sts.h. */
#include <string.h>

#include "smtpc/sts.h"
#include "smtpc_priv.h"

enum { S_IDLE = 0, S_TXT, S_CONNECT, S_TLS, S_SEND, S_RECV, S_DONE };

/* Progress steps per smtpc_sts_step() call before yielding. */
#define STS_STEP_BUDGET 64u

static const char sts_path[] = "/.well-known/mta-sts.txt";

/* ------------------------------------------------------- decisions ----- */

static int sts_id_eq(const char *a, const char *b)
{
    size_t i;
    for (i = 0; i <= SMTPC_STS_ID_MAX; i++) {
        if (a[i] != b[i]) {
            return 0;
        }
        if (a[i] == '\0') {
            return 1;
        }
    }
    return 0;
}

static void sts_id_copy(char *dst, const char *src)
{
    size_t n = smtpc_strnlen_(src, SMTPC_STS_ID_MAX);
    if (n > SMTPC_STS_ID_MAX) {
        n = SMTPC_STS_ID_MAX;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int smtpc_sts_entry_fresh(const smtpc_sts_entry_t *e, uint64_t now)
{
    if (e == NULL || !e->has_policy) {
        return 0;
    }
    if (now == 0u || now < e->fetched_at) {
        return 1;
    }
    return now - e->fetched_at <= (uint64_t)e->policy.max_age;
}

uint64_t smtpc_sts_entry_expires(const smtpc_sts_entry_t *e)
{
    return e->fetched_at + (uint64_t)e->policy.max_age;
}

/* A fetch of @p id failed less than SMTPC_STS_RETRY_S ago (§3.3). */
static int sts_backed_off(const smtpc_sts_entry_t *e, const char *id, uint64_t now)
{
    return e->fail_id[0] != '\0' && sts_id_eq(e->fail_id, id) && now != 0u && e->fail_at != 0u &&
           now >= e->fail_at && now - e->fail_at < (uint64_t)SMTPC_STS_RETRY_S;
}

/* The id a fetch is made for: the record's, or on a refresh without a record
 * the cached one. NULL when no fetch can be justified. */
static const char *sts_fetch_id(const smtpc_sts_entry_t *e, int txt_rc, const smtpc_sts_txt_t *txt,
                                unsigned flags)
{
    if (txt_rc == SMTPC_OK && txt != NULL) {
        return txt->id;
    }
    if ((flags & SMTPC_STS_F_REFRESH) != 0u && e->has_policy) {
        return e->id;
    }
    return NULL;
}

int smtpc_sts_need_fetch(const smtpc_sts_entry_t *e, uint64_t now, int txt_rc,
                         const smtpc_sts_txt_t *txt, unsigned flags)
{
    const char *id;
    if (e == NULL) {
        return 0;
    }
    id = sts_fetch_id(e, txt_rc, txt, flags);
    if (id == NULL) {
        return 0;
    }
    if ((flags & SMTPC_STS_F_REFRESH) == 0u && smtpc_sts_entry_fresh(e, now) &&
        sts_id_eq(e->id, id)) {
        return 0;
    }
    return !sts_backed_off(e, id, now);
}

int smtpc_sts_settle(smtpc_sts_entry_t *e, uint64_t now, int txt_rc, const smtpc_sts_txt_t *txt,
                     int fetched, int fetch_rc, const smtpc_sts_policy_t *pol, int *changed)
{
    const char *id;
    int dummy = 0;
    if (changed == NULL) {
        changed = &dummy;
    }
    *changed = 0;
    if (e == NULL) {
        return SMTPC_STS_APPLY_NONE;
    }
    /* On a refresh without a record the cached id is kept. */
    id = txt_rc == SMTPC_OK && txt != NULL ? txt->id : e->id;
    if (fetched && fetch_rc == SMTPC_OK && pol != NULL) {
        if (id != e->id) {
            sts_id_copy(e->id, id);
        }
        e->policy = *pol;
        e->has_policy = 1;
        if (now != 0u) {
            e->fetched_at = now;
            e->fail_id[0] = '\0';
            e->fail_at = 0;
            *changed = 1;
        }
        return SMTPC_STS_APPLY_FETCHED;
    }
    if (fetched && now != 0u) {
        sts_id_copy(e->fail_id, id);
        e->fail_at = now;
        *changed = 1;
    }
    return smtpc_sts_entry_fresh(e, now) ? SMTPC_STS_APPLY_CACHED : SMTPC_STS_APPLY_NONE;
}

int smtpc_sts_refresh_due(const smtpc_sts_store_ops_t *ops, void *ctx, uint64_t now,
                          smtpc_sts_entry_t *out)
{
    uint64_t best = 0;
    unsigned best_idx = 0;
    unsigned i;
    int found = 0;
    if (ops == NULL || out == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (now == 0u) {
        return SMTPC_ERR_NOT_FOUND;
    }
    for (i = 0; i < 1024u && ops->iter(ctx, i, out) == SMTPC_OK; i++) {
        uint64_t exp;
        uint64_t ahead = SMTPC_STS_REFRESH_AHEAD_S;
        /* Back-off of any id (a newer one seen by a delivery included): a
         * refresh now would change nothing, and the entry would stay due. */
        if (!out->has_policy || sts_backed_off(out, out->fail_id, now)) {
            continue;
        }
        exp = smtpc_sts_entry_expires(out);
        if ((uint64_t)out->policy.max_age / 2u < ahead) {
            ahead = (uint64_t)out->policy.max_age / 2u;
        }
        if (now + ahead < exp || (found && exp >= best)) {
            continue;
        }
        best = exp;
        best_idx = i;
        found = 1;
    }
    if (!found || ops->iter(ctx, best_idx, out) != SMTPC_OK) {
        return SMTPC_ERR_NOT_FOUND;
    }
    return SMTPC_OK;
}

/* ---------------------------------------------------------- engine ----- */

static uint32_t sts_now_ms(const smtpc_sts_t *s)
{
    return s->io->dns->clock->now_ms(s->io->dns->clock_ctx);
}

static uint64_t sts_utc(const smtpc_sts_t *s)
{
    if (s->io->dns->clock->utc_s == NULL) {
        return 0;
    }
    return s->io->dns->clock->utc_s(s->io->dns->clock_ctx);
}

static uint32_t sts_fetch_budget(const smtpc_sts_t *s)
{
    return s->io->fetch_timeout_ms != 0u ? s->io->fetch_timeout_ms : SMTPC_STS_FETCH_TIMEOUT_MS;
}

/* A note for the transcript: "MTA-STS <a><b>". */
static void sts_note(const smtpc_sts_t *s, const char *a, const char *b)
{
    smtpc_note_(s->io->trace, s->io->trace_arg, "MTA-STS ", a, b);
}

/* "<prefix><domain>" into out; 0 when it does not fit a DNS name. */
static size_t sts_prefixed(char *out, const char *prefix, size_t plen, const char *domain)
{
    size_t n = smtpc_strnlen_(domain, SMTPC_DNS_NAME_BUF);
    if (plen + n > SMTPC_DNS_NAME_BUF - 1u) {
        return 0;
    }
    memcpy(out, prefix, plen);
    memcpy(out + plen, domain, n);
    out[plen + n] = '\0';
    return plen + n;
}

/* Each TXT answer is joined and offered to the selection. A record too long
 * to join is still counted when it starts like an STS record, so it can
 * never hide a second candidate (§3.1: exactly one must remain). The start
 * is taken from the joined strings (as much as fits the io buffer), not from
 * the first string alone, which may be shorter than "v=STSv1;". */
static int sts_txt_cb(void *arg, const smtpc_dns_rr_t *rr)
{
    smtpc_sts_t *s = (smtpc_sts_t *)arg;
    size_t len = 0;
    int rc = smtpc_dns_txt_join(rr, (char *)s->b.io, s->b.io_cap, &len);
    if (rc == SMTPC_OK) {
        smtpc_sts_sel_add(&s->sel, (const char *)s->b.io, len);
    } else {
        size_t off = 0;
        len = 0;
        while (off < rr->rdlen && len < s->b.io_cap) {
            size_t k = rr->rdata[off++];
            size_t c;
            k = k < (size_t)rr->rdlen - off ? k : (size_t)rr->rdlen - off;
            c = k < s->b.io_cap - len ? k : s->b.io_cap - len;
            memcpy(s->b.io + len, rr->rdata + off, c);
            len += c;
            off += k;
        }
        if (smtpc_sts_txt_is_candidate((const char *)s->b.io, len) && s->sel.candidates < 255u) {
            s->sel.candidates++;
        }
    }
    return SMTPC_OK;
}

static int sts_body_sink(void *arg, const uint8_t *data, size_t len)
{
    smtpc_sts_t *s = (smtpc_sts_t *)arg;
    size_t cap = s->b.body_cap < SMTPC_STS_POLICY_MAX ? s->b.body_cap : SMTPC_STS_POLICY_MAX;
    if (len > cap - s->body_len) {
        return SMTPC_ERR_HTTP_TOO_LARGE;
    }
    memcpy(s->b.body + s->body_len, data, len);
    s->body_len += (uint32_t)len;
    return SMTPC_OK;
}

static void sts_close(smtpc_sts_t *s)
{
    if (s->tls_open) {
        s->io->tls->end(s->io->tls_ctx);
        s->tls_open = 0;
    }
    if (s->tcp_open) {
        s->tcp.ops->close(s->tcp.ctx);
        s->tcp_open = 0;
    }
}

/* The decision at wall-clock time @p now, and the store written back when
 * the entry changed. */
static int sts_decide_at(smtpc_sts_t *s, const smtpc_sts_policy_t *pol, uint64_t now)
{
    int changed = 0;
    sts_close(s);
    s->clock_unknown = now == 0u ? 1u : 0u;
    s->applied = (uint8_t)smtpc_sts_settle(&s->entry, now, s->txt_rc, &s->txt, s->fetched,
                                           s->fetch_rc, pol, &changed);
    if (changed && s->io->store != NULL) {
        s->store_rc = s->io->store->put(s->io->store_ctx, &s->entry);
        if (s->store_rc != SMTPC_OK) {
            sts_note(s, "store refused the entry: ", smtpc_strerror(s->store_rc));
        }
    }
    if (s->applied == SMTPC_STS_APPLY_NONE) {
        sts_note(s, "no policy applies to ", s->entry.domain);
    } else {
        sts_note(s,
                 s->applied == SMTPC_STS_APPLY_FETCHED ? "fetched policy applies, mode "
                                                       : "cached policy applies, mode ",
                 smtpc_sts_mode_name(s->entry.policy.mode));
    }
    s->state = S_DONE;
    return SMTPC_OK;
}

/* The decision after a fetch (or without a TXT lookup): the time is now. */
static int sts_decide(smtpc_sts_t *s, const smtpc_sts_policy_t *pol)
{
    return sts_decide_at(s, pol, sts_utc(s));
}

static int sts_fetch_failed(smtpc_sts_t *s, int rc)
{
    s->fetch_rc = rc;
    sts_note(s, "policy fetch failed: ", smtpc_strerror(rc));
    return sts_decide(s, NULL);
}

static int sts_tls_start(smtpc_sts_t *s)
{
    int rc = s->io->tls->start(s->io->tls_ctx, &s->tcp, s->host, SMTPC_VERIFY_REQUIRED);
    if (rc != SMTPC_OK) {
        return sts_fetch_failed(s, rc);
    }
    s->tls.ops = &s->io->tls->stream;
    s->tls.ctx = s->io->tls_ctx;
    s->tls_open = 1;
    s->state = S_TLS;
    s->io_wants = SMTPC_WANT_WRITE;
    return SMTPC_IN_PROGRESS;
}

static int sts_fetch_begin(smtpc_sts_t *s)
{
    int rc;
    if (sts_prefixed(s->host, "mta-sts.", 8, s->entry.domain) == 0u) {
        return sts_fetch_failed(s, SMTPC_ERR_BAD_ARG);
    }
    s->fetched = 1;
    s->t_fetch = sts_now_ms(s);
    sts_note(s, "fetching policy from ", s->host);
    rc = s->io->net->connect(s->io->net_ctx, s->host,
                             s->io->https_port != 0u ? s->io->https_port : 443u, &s->tcp);
    if (rc == SMTPC_OK) {
        s->tcp_open = 1;
        return sts_tls_start(s);
    }
    if (rc == SMTPC_IN_PROGRESS) {
        s->state = S_CONNECT;
        s->io_wants = SMTPC_WANT_WRITE;
        return rc;
    }
    return sts_fetch_failed(s, rc);
}

static int sts_txt_done(smtpc_sts_t *s, int rc)
{
    uint64_t now;
    smtpc_dns_stop(s->b.dns);
    s->txt_rc = rc == SMTPC_OK ? smtpc_sts_sel_result(&s->sel, &s->txt) : rc;
    if (s->txt_rc == SMTPC_OK) {
        sts_note(s, "TXT id=", s->txt.id);
    } else {
        sts_note(s, "TXT: ", smtpc_strerror(s->txt_rc));
    }
    now = sts_utc(s);
    if (smtpc_sts_need_fetch(&s->entry, now, s->txt_rc, &s->txt, s->flags)) {
        return sts_fetch_begin(s);
    }
    /* The same instant as the fetch decision: a clock step in between must
     * not expire the policy that decision kept (no fetch, and no policy). */
    return sts_decide_at(s, NULL, now);
}

/* The response is complete: parse the body as a policy (§3.2). An invalid
 * policy is a failed fetch, never "no policy". */
static int sts_response_done(smtpc_sts_t *s)
{
    int rc = smtpc_sts_policy_parse((const char *)s->b.body, s->body_len, &s->u.pol);
    if (rc != SMTPC_OK) {
        return sts_fetch_failed(s, rc);
    }
    s->fetch_rc = SMTPC_OK;
    return sts_decide(s, &s->u.pol);
}

static int sts_send(smtpc_sts_t *s, int *progress)
{
    int32_t n =
        s->tls.ops->send(s->tls.ctx, s->b.io + s->req_off, (size_t)(s->req_len - s->req_off));
    if (n < 0) {
        return sts_fetch_failed(s, (int)n);
    }
    if (n == 0) {
        s->io_wants = SMTPC_WANT_WRITE;
        return SMTPC_IN_PROGRESS;
    }
    s->req_off = (uint16_t)(s->req_off + (uint16_t)n);
    *progress = 1;
    if (s->req_off >= s->req_len) {
        smtpc_http_parser_init(
            &s->u.http,
            (uint32_t)(s->b.body_cap < SMTPC_STS_POLICY_MAX ? s->b.body_cap : SMTPC_STS_POLICY_MAX),
            1);
        s->body_len = 0;
        s->state = S_RECV;
        s->io_wants = SMTPC_WANT_READ;
    }
    return SMTPC_IN_PROGRESS;
}

static int sts_recv(smtpc_sts_t *s, int *progress)
{
    size_t used = 0;
    int rc;
    int32_t n = s->tls.ops->recv(s->tls.ctx, s->b.io, s->b.io_cap);
    if (n == 0) {
        s->io_wants = SMTPC_WANT_READ;
        return SMTPC_IN_PROGRESS;
    }
    if (n == SMTPC_ERR_NET_CLOSED) {
        rc = smtpc_http_parse_eof(&s->u.http);
        if (rc == SMTPC_OK) {
            /* Only a body delimited by the close gets here (a framed one
             * completed in smtpc_http_parse()). The stream cannot tell a
             * close_notify from a cut in the network, and such a body is
             * complete only after a closure alert (RFC 9112 §9.8): a cut
             * could shorten the policy (max_age, an mx pattern). */
            sts_note(s, "policy body without Content-Length or chunked framing", NULL);
            rc = SMTPC_ERR_NET_CLOSED;
        }
    } else if (n < 0) {
        return sts_fetch_failed(s, (int)n);
    } else {
        *progress = 1;
        rc = smtpc_http_parse(&s->u.http, s->b.io, (size_t)n, &used, sts_body_sink, s);
    }
    if (rc == SMTPC_IN_PROGRESS) {
        return rc;
    }
    if (rc != SMTPC_OK) {
        return sts_fetch_failed(s, rc);
    }
    return sts_response_done(s);
}

static int sts_round(smtpc_sts_t *s, int *progress)
{
    int rc;
    unsigned w = 0;
    switch (s->state) {
    case S_TXT:
        rc = smtpc_dns_step(s->b.dns);
        if (rc == SMTPC_IN_PROGRESS) {
            return rc;
        }
        *progress = 1;
        return sts_txt_done(s, rc);
    case S_CONNECT:
        rc = s->io->net->connect_poll(s->io->net_ctx, &s->tcp);
        if (rc == SMTPC_IN_PROGRESS) {
            return rc;
        }
        if (rc != SMTPC_OK) {
            return sts_fetch_failed(s, rc);
        }
        s->tcp_open = 1;
        *progress = 1;
        return sts_tls_start(s);
    case S_TLS:
        rc = s->io->tls->handshake(s->io->tls_ctx, &w);
        if (rc == SMTPC_IN_PROGRESS) {
            s->io_wants = w != 0u ? w : SMTPC_WANT_READ;
            return rc;
        }
        if (rc != SMTPC_OK) {
            return sts_fetch_failed(s, rc);
        }
        {
            size_t len = 0;
            rc =
                smtpc_http_req_build(s->b.io, s->b.io_cap, &len, "GET", s->host, sts_path, NULL, 0);
            if (rc != SMTPC_OK) {
                return sts_fetch_failed(s, rc);
            }
            s->req_len = (uint16_t)len;
        }
        s->req_off = 0;
        s->state = S_SEND;
        *progress = 1;
        return SMTPC_IN_PROGRESS;
    case S_SEND:
        return sts_send(s, progress);
    case S_RECV:
        return sts_recv(s, progress);
    case S_DONE:
        return SMTPC_OK;
    default:
        return SMTPC_ERR_STATE;
    }
}

int smtpc_sts_start(smtpc_sts_t *s, const smtpc_sts_io_t *io, const smtpc_sts_bufs_t *bufs,
                    const char *domain, unsigned flags)
{
    size_t n;
    int rc;
    char name[SMTPC_DNS_NAME_BUF];
    if (s == NULL || io == NULL || bufs == NULL || domain == NULL || io->dns == NULL ||
        io->net == NULL || io->tls == NULL || bufs->dns == NULL || bufs->body == NULL ||
        bufs->io == NULL || bufs->body_cap < 64u || bufs->io_cap < 160u || bufs->io_cap > 0xFFFFu) {
        return SMTPC_ERR_BAD_ARG;
    }
    n = smtpc_strnlen_(domain, SMTPC_DNS_NAME_BUF - 1u);
    if (n == 0u || n > SMTPC_DNS_NAME_BUF - 1u) {
        return SMTPC_ERR_BAD_ARG;
    }
    memset(s, 0, sizeof(*s));
    s->io = io;
    s->b = *bufs;
    s->flags = flags;
    s->txt_rc = SMTPC_ERR_DNS_NODATA;
    if (io->store == NULL || io->store->get(io->store_ctx, domain, &s->entry) != SMTPC_OK) {
        memset(&s->entry, 0, sizeof(s->entry));
    }
    memcpy(s->entry.domain, domain, n);
    s->entry.domain[n] = '\0';
    smtpc_sts_sel_init(&s->sel);
    /* A name that cannot carry "_mta-sts." cannot publish a record. */
    if (sts_prefixed(name, "_mta-sts.", 9, s->entry.domain) == 0u) {
        return sts_decide(s, NULL) == SMTPC_OK ? SMTPC_IN_PROGRESS : SMTPC_ERR_INTERNAL;
    }
    rc = smtpc_dns_start(s->b.dns, io->dns, name, SMTPC_DNS_TYPE_TXT, sts_txt_cb, s);
    if (rc != SMTPC_IN_PROGRESS) {
        s->txt_rc = rc;
        return sts_decide(s, NULL) == SMTPC_OK ? SMTPC_IN_PROGRESS : SMTPC_ERR_INTERNAL;
    }
    s->state = S_TXT;
    return SMTPC_IN_PROGRESS;
}

int smtpc_sts_step(smtpc_sts_t *s)
{
    unsigned i;
    if (s == NULL || s->state == S_IDLE) {
        return SMTPC_ERR_STATE;
    }
    for (i = 0; i < STS_STEP_BUDGET && s->state != S_DONE; i++) {
        int progress = 0;
        int rc;
        if (s->state >= S_CONNECT &&
            (uint32_t)(sts_now_ms(s) - s->t_fetch) >= sts_fetch_budget(s)) {
            return sts_fetch_failed(s, SMTPC_ERR_TIMEOUT);
        }
        rc = sts_round(s, &progress);
        if (rc != SMTPC_IN_PROGRESS || !progress) {
            return rc;
        }
    }
    return s->state == S_DONE ? SMTPC_OK : SMTPC_IN_PROGRESS;
}

unsigned smtpc_sts_wants(const smtpc_sts_t *s, uint32_t *deadline_ms)
{
    uint32_t dl = 0;
    if (s == NULL || deadline_ms == NULL) {
        return 0;
    }
    if (s->state == S_TXT) {
        return smtpc_dns_wants(s->b.dns, deadline_ms);
    }
    if (s->state == S_IDLE || s->state == S_DONE) {
        *deadline_ms = sts_now_ms(s);
        return 0;
    }
    dl = s->t_fetch + sts_fetch_budget(s);
    *deadline_ms = dl;
    return s->io_wants | SMTPC_WANT_TIMER;
}

void smtpc_sts_stop(smtpc_sts_t *s)
{
    if (s == NULL || s->io == NULL) {
        return;
    }
    if (s->state == S_TXT) {
        smtpc_dns_stop(s->b.dns);
    }
    sts_close(s);
    if (s->state != S_DONE) {
        s->state = S_IDLE;
    }
}

const smtpc_sts_policy_t *smtpc_sts_policy(const smtpc_sts_t *s)
{
    if (s == NULL || s->state != S_DONE || s->applied == SMTPC_STS_APPLY_NONE ||
        s->entry.policy.mode == SMTPC_STS_MODE_NONE) {
        return NULL;
    }
    return &s->entry.policy;
}
