/* SMTP session engine: RFC 5321 (protocol), RFC 3207 (STARTTLS), RFC 4954
 * (AUTH), RFC 2920 (PIPELINING), RFC 6152 (8BITMIME), RFC 6531 (SMTPUTF8),
 * RFC 1870 (SIZE). Sans-I/O: see smtpc/smtp.h. */
#include <string.h>

#include "smtpc/smtp.h"
#include "smtpc_priv.h"

enum {
    S_TLS_IMPLICIT = 0, /* wants TLS before anything else (port 465) */
    S_GREETING,
    S_EHLO,
    S_HELO,
    S_STARTTLS,
    S_TLS_WAIT, /* "220" to STARTTLS received: wants TLS */
    S_EHLO_TLS,
    S_AUTH,
    S_TXN,        /* MAIL, RCPT..., DATA (pipelined or one by one) */
    S_BODY,       /* feeding the message */
    S_DATA_END,   /* "." sent, waiting for the verdict */
    S_DATA_EMPTY, /* pipelined DATA got 354 with no recipient: "." sent */
    S_QUIT,       /* QUIT sent after success: waiting for 221 */
    S_QUIT_ERR,   /* QUIT queued after a refusal: done once it is out */
    S_DONE
};

/* AUTH steps */
enum { A_FINAL = 0, A_LOGIN_USER, A_LOGIN_PASS, A_XOAUTH2_ERR };

#define SMTPC_AUTH_COMPILED                                                                        \
    ((SMTPC_ENABLE_AUTH_PLAIN ? SMTPC_AUTH_PLAIN : 0u) |                                           \
     (SMTPC_ENABLE_AUTH_LOGIN ? SMTPC_AUTH_LOGIN : 0u) |                                           \
     (SMTPC_ENABLE_AUTH_XOAUTH2 ? SMTPC_AUTH_XOAUTH2 : 0u))

/* SASL credentials are limited to 255 octets each (RFC 4616 §2). */
#define SMTPC_CRED_MAX 255u
/* XOAUTH2 bearer tokens are longer: cap them so the AUTH line stays bounded. */
#define SMTPC_TOKEN_MAX 4096u

size_t smtpc_strnlen_(const char *s, size_t max)
{
    size_t n = 0;
    while (n <= max && s[n] != '\0') {
        n++;
    }
    return n;
}

void smtpc_note_(smtpc_trace_fn fn, void *arg, const char *prefix, const char *a, const char *b)
{
    char line[112];
    const char *part[3];
    size_t n = 0;
    size_t i;
    if (fn == NULL) {
        return;
    }
    part[0] = prefix;
    part[1] = a;
    part[2] = b;
    for (i = 0; i < 3u; i++) {
        size_t k;
        if (part[i] == NULL) {
            continue;
        }
        k = smtpc_strnlen_(part[i], sizeof(line) - n);
        k = k > sizeof(line) - n ? sizeof(line) - n : k;
        memcpy(line + n, part[i], k);
        n += k;
    }
    fn(arg, SMTPC_TRACE_INFO, (const uint8_t *)line, n);
}

/* ------------------------------------------------------------ helpers --- */

static int smtp_expects_reply(const smtpc_smtp_t *s)
{
    switch (s->state) {
    case S_GREETING:
    case S_EHLO:
    case S_HELO:
    case S_STARTTLS:
    case S_EHLO_TLS:
    case S_AUTH:
    case S_DATA_END:
    case S_DATA_EMPTY:
    case S_QUIT:
        return 1;
    case S_TXN:
        return s->cmd_wait < s->cmd_next;
    default:
        return 0;
    }
}

static size_t smtp_room(smtpc_smtp_t *s)
{
    if (s->tx_off > 0) {
        memmove(s->tx, s->tx + s->tx_off, s->tx_len - s->tx_off);
        s->tx_len -= s->tx_off;
        s->tx_off = 0;
    }
    return s->tx_cap - s->tx_len;
}

static void smtp_trace(smtpc_smtp_t *s, smtpc_trace_dir_t dir, const void *p, size_t n)
{
    if (s->trace != NULL) {
        s->trace(s->trace_arg, dir, (const uint8_t *)p, n);
    }
}

static void smtp_note(smtpc_smtp_t *s, const char *msg)
{
    smtp_trace(s, SMTPC_TRACE_INFO, msg, smtpc_strnlen_(msg, 128));
}

/* Sticky failure; no more bytes are produced. */
static void smtp_set_error(smtpc_smtp_t *s, int err)
{
    if (s->status != SMTPC_IN_PROGRESS) {
        return;
    }
    s->status = err;
    s->state = S_DONE;
    s->res->err = err;
    s->res->stage = s->stage;
}

/* ---------------------------------------------------- command writer --- */

/* A command line is composed in place at the end of the tx buffer; on
 * overflow nothing is kept (commands are never sent in part). */
typedef struct {
    smtpc_smtp_t *s;
    size_t start;
    size_t len;
    int ok;
} smtp_line_t;

static void line_begin(smtp_line_t *l, smtpc_smtp_t *s)
{
    l->s = s;
    (void)smtp_room(s);
    l->start = s->tx_len;
    l->len = 0;
    l->ok = 1;
}

static void line_put(smtp_line_t *l, const char *str, size_t n)
{
    smtpc_smtp_t *s = l->s;
    if (!l->ok || n > s->tx_cap - l->start - l->len) {
        l->ok = 0;
        return;
    }
    memcpy(s->tx + l->start + l->len, str, n);
    l->len += n;
}

static void line_str(smtp_line_t *l, const char *str)
{
    line_put(l, str, smtpc_strnlen_(str, SMTPC_ADDR_MAX + SMTPC_HOSTNAME_MAX));
}

static void line_u32(smtp_line_t *l, uint32_t v)
{
    char d[10];
    size_t n = 0;
    char out[10];
    size_t i;
    do {
        d[n++] = (char)('0' + (v % 10u));
        v /= 10u;
    } while (v != 0u && n < sizeof(d));
    for (i = 0; i < n; i++) {
        out[i] = d[n - 1u - i];
    }
    line_put(l, out, n);
}

/* Finish the line: CRLF, length check (RFC 5321 §4.5.3.1.4: 512 octets), trace. */
static int line_end(smtp_line_t *l, const char *redacted)
{
    smtpc_smtp_t *s = l->s;
    line_put(l, "\r\n", 2);
    if (!l->ok || l->len > 512u) {
        return SMTPC_ERR_NO_SPACE;
    }
    if (redacted != NULL) {
        smtp_trace(s, SMTPC_TRACE_CLIENT, redacted, smtpc_strnlen_(redacted, 64));
    } else {
        smtp_trace(s, SMTPC_TRACE_CLIENT, s->tx + l->start, l->len - 2u);
    }
    s->tx_len += l->len;
    return SMTPC_OK;
}

static void smtp_cmd(smtpc_smtp_t *s, const char *a, const char *b)
{
    smtp_line_t l;
    line_begin(&l, s);
    line_str(&l, a);
    if (b != NULL) {
        line_str(&l, b);
    }
    if (line_end(&l, NULL) != SMTPC_OK) {
        smtp_set_error(s, SMTPC_ERR_NO_SPACE);
    }
}

/* After a refusal: say QUIT (RFC 5321 §4.1.1.10), report @p err once it is out. */
static void smtp_fail_quit(smtpc_smtp_t *s, int err)
{
    s->final_err = err;
    s->res->err = err;
    s->res->stage = s->stage;
    s->state = S_QUIT_ERR;
    smtp_cmd(s, "QUIT", NULL);
    if (s->state == S_QUIT_ERR && s->tx_len == s->tx_off) {
        smtp_set_error(s, err);
    }
}

/* ------------------------------------------------------ TLS guard ------ */

/* The fail-closed guard (ARCHITECTURE "Decisions that are fixed"): nothing
 * but EHLO, STARTTLS and QUIT may leave before the required level. */
static int smtp_level_reached(const smtpc_smtp_t *s)
{
    switch (s->cfg->tls_level) {
    case SMTPC_TLS_PLAINTEXT_ALLOWED:
        return 1;
    case SMTPC_TLS_ENCRYPTED:
        return s->tls_active;
    default:
        return s->tls_active && s->tls_verified;
    }
}

/* ------------------------------------------------------ base64 pump ---- */

static void smtp_b64_start(smtpc_smtp_t *s, const uint8_t *const *p, const size_t *n, uint8_t count)
{
    uint8_t i;
    for (i = 0; i < count; i++) {
        s->seg_p[i] = p[i];
        s->seg_n[i] = n[i];
    }
    s->seg_count = count;
    s->seg_idx = 0;
    s->seg_off = 0;
}

static size_t smtp_b64_take(smtpc_smtp_t *s, uint8_t *in)
{
    size_t k = 0;
    while (k < 3 && s->seg_idx < s->seg_count) {
        if (s->seg_off < s->seg_n[s->seg_idx]) {
            in[k++] = s->seg_p[s->seg_idx][s->seg_off++];
        } else {
            s->seg_idx++;
            s->seg_off = 0;
        }
    }
    return k;
}

/* Stream the base64 of the segments into tx, then CRLF. Called again on each
 * tx drain until done; the line may exceed the tx buffer. */
static void smtp_b64_pump(smtpc_smtp_t *s)
{
    uint8_t in[3];
    while (s->seg_count > 0) {
        size_t room = smtp_room(s);
        size_t k;
        if (room < 6) {
            return;
        }
        k = smtp_b64_take(s, in);
        if (k > 0) {
            smtpc_b64_group(in, k, s->tx + s->tx_len);
            s->tx_len += 4;
        }
        if (k < 3 && s->seg_idx >= s->seg_count) {
            s->tx[s->tx_len++] = '\r';
            s->tx[s->tx_len++] = '\n';
            s->seg_count = 0;
        }
    }
}

static void smtp_b64_line(smtpc_smtp_t *s, const char *prefix, const char *redacted,
                          const uint8_t *const *p, const size_t *n, uint8_t count)
{
    size_t plen = smtpc_strnlen_(prefix, 32);
    if (smtp_room(s) < plen + 6u) {
        smtp_set_error(s, SMTPC_ERR_NO_SPACE);
        return;
    }
    memcpy(s->tx + s->tx_len, prefix, plen);
    s->tx_len += plen;
    smtp_trace(s, SMTPC_TRACE_CLIENT, redacted, smtpc_strnlen_(redacted, 64));
    smtp_b64_start(s, p, n, count);
    smtp_b64_pump(s);
}

/* ------------------------------------------------------ transaction ---- */

static void smtp_mail_params(smtpc_smtp_t *s, smtp_line_t *l)
{
    if ((s->caps & SMTPC_CAP_SIZE) && s->env->size_hint > 0u) {
        line_str(l, " SIZE=");
        line_u32(l, s->env->size_hint);
    }
    if ((s->env->flags & SMTPC_ENV_8BITMIME) && (s->caps & SMTPC_CAP_8BITMIME)) {
        line_str(l, " BODY=8BITMIME");
    }
    if (s->need_utf8) {
        line_str(l, " SMTPUTF8");
    }
}

/* Compose transaction command @p k: 0 = MAIL, 1..n = RCPT, n+1 = DATA. */
static int smtp_txn_compose(smtpc_smtp_t *s, uint16_t k)
{
    smtp_line_t l;
    size_t n = s->env->to_count;
    if (!smtp_level_reached(s)) {
        return SMTPC_ERR_STARTTLS_REQUIRED; /* unreachable by construction; kept as the guard */
    }
    line_begin(&l, s);
    if (k == 0) {
        line_str(&l, "MAIL FROM:<");
        line_str(&l, s->env->from);
        line_str(&l, ">");
        smtp_mail_params(s, &l);
    } else if (k <= n) {
        line_str(&l, "RCPT TO:<");
        line_str(&l, s->env->to[k - 1u]);
        line_str(&l, ">");
    } else {
        line_str(&l, "DATA");
    }
    return line_end(&l, NULL);
}

static void smtp_txn_emit(smtpc_smtp_t *s)
{
    uint16_t total = (uint16_t)(s->env->to_count + 2u);
    while (s->state == S_TXN && s->cmd_next < total &&
           (s->use_pipelining || s->cmd_next == s->cmd_wait)) {
        int rc = smtp_txn_compose(s, s->cmd_next);
        if (rc == SMTPC_ERR_NO_SPACE && s->use_pipelining && s->tx_len > 0) {
            return; /* the rest follows when the buffer drains */
        }
        if (rc != SMTPC_OK) {
            smtp_set_error(s, rc);
            return;
        }
        s->cmd_next++;
    }
}

static void smtp_txn_stage(smtpc_smtp_t *s)
{
    size_t n = s->env->to_count;
    if (s->cmd_wait == 0) {
        s->stage = SMTPC_STAGE_MAIL;
    } else if (s->cmd_wait <= n) {
        s->stage = SMTPC_STAGE_RCPT;
    } else {
        s->stage = SMTPC_STAGE_DATA;
    }
}

static void smtp_txn_start(smtpc_smtp_t *s)
{
    if (!smtp_level_reached(s)) {
        smtp_fail_quit(s, SMTPC_ERR_STARTTLS_REQUIRED);
        return;
    }
    if (s->need_utf8 && !(s->caps & SMTPC_CAP_SMTPUTF8)) {
        smtp_fail_quit(s, SMTPC_ERR_SMTPUTF8_UNSUPPORTED);
        return;
    }
    if ((s->env->flags & SMTPC_ENV_8BITMIME) && !(s->caps & SMTPC_CAP_8BITMIME)) {
        smtp_fail_quit(s, SMTPC_ERR_8BITMIME_UNSUPPORTED);
        return;
    }
    if ((s->caps & SMTPC_CAP_SIZE) && s->size_max > 0u && s->env->size_hint > s->size_max) {
        smtp_fail_quit(s, SMTPC_ERR_MSG_TOO_BIG);
        return;
    }
    s->use_pipelining = (uint8_t)(SMTPC_ENABLE_PIPELINING && s->cfg->pipelining &&
                                  (s->caps & SMTPC_CAP_PIPELINING) != 0u);
    if (s->use_pipelining) {
        s->res->flags |= SMTPC_RESULT_PIPELINED;
    }
    s->state = S_TXN;
    s->cmd_next = 0;
    s->cmd_wait = 0;
    smtp_txn_stage(s);
    smtp_txn_emit(s);
}

static void smtp_on_txn_reply(smtpc_smtp_t *s, uint16_t code)
{
    size_t n = s->env->to_count;
    uint16_t k = s->cmd_wait;
    int ok = code >= 200 && code < 300;
    smtpc_result_t *r = s->res;
    if (k == 0) {
        if (!ok) {
            smtp_fail_quit(s, SMTPC_ERR_MAIL_REJECTED);
            return;
        }
    } else if (k <= n) {
        smtpc_rcpt_result_t *rr = &r->rcpt[k - 1u];
        rr->code = code;
        memcpy(rr->enh, s->reply.enh, 3);
        rr->err = (int16_t)(ok ? SMTPC_OK : SMTPC_ERR_SMTP_REJECTED);
        if (ok) {
            r->rcpt_accepted++;
        } else if (k == n && r->rcpt_accepted == 0 && !s->use_pipelining) {
            smtp_fail_quit(s, SMTPC_ERR_RCPT_ALL_REJECTED);
            return;
        }
    } else {
        if (code == 354 && r->rcpt_accepted > 0) {
            s->state = S_BODY;
            s->stage = SMTPC_STAGE_BODY;
            s->body_at_bol = 1;
            return;
        }
        if (code == 354) {
            /* Pipelined DATA accepted with no recipient: end the empty message. */
            s->state = S_DATA_EMPTY;
            smtp_cmd(s, ".", NULL);
            return;
        }
        smtp_fail_quit(s, r->rcpt_accepted == 0 ? SMTPC_ERR_RCPT_ALL_REJECTED
                                                : SMTPC_ERR_DATA_REJECTED);
        return;
    }
    s->cmd_wait++;
    smtp_txn_stage(s);
    smtp_txn_emit(s);
}

/* ------------------------------------------------------------ AUTH ----- */

static void smtp_auth_plain(smtpc_smtp_t *s)
{
    /* RFC 4616: authzid (empty) NUL authcid NUL passwd */
    const uint8_t *p[4];
    size_t n[4];
    p[0] = (const uint8_t *)"";
    n[0] = 1;
    p[1] = (const uint8_t *)s->cfg->user;
    n[1] = smtpc_strnlen_(s->cfg->user, SMTPC_CRED_MAX);
    p[2] = (const uint8_t *)"";
    n[2] = 1;
    p[3] = (const uint8_t *)s->cfg->pass;
    n[3] = smtpc_strnlen_(s->cfg->pass, SMTPC_CRED_MAX);
    smtp_b64_line(s, "AUTH PLAIN ", "AUTH PLAIN <redacted>", p, n, 4);
}

static void smtp_auth_xoauth2(smtpc_smtp_t *s)
{
    const char *tok = NULL;
    size_t tok_len = 0;
    const uint8_t *p[5];
    size_t n[5];
    int rc;
    if (s->cfg->token == NULL) {
        smtp_fail_quit(s, SMTPC_ERR_AUTH_UNSUPPORTED);
        return;
    }
    rc = s->cfg->token(s->cfg->token_arg, &tok, &tok_len);
    if (rc != SMTPC_OK || tok == NULL || tok_len == 0 || tok_len > SMTPC_TOKEN_MAX) {
        smtp_fail_quit(s, rc < 0 ? rc : SMTPC_ERR_AUTH_FAILED);
        return;
    }
    p[0] = (const uint8_t *)"user=";
    n[0] = 5;
    p[1] = (const uint8_t *)s->cfg->user;
    n[1] = smtpc_strnlen_(s->cfg->user, SMTPC_CRED_MAX);
    p[2] = (const uint8_t *)"\001auth=Bearer ";
    n[2] = 13;
    p[3] = (const uint8_t *)tok;
    n[3] = tok_len;
    p[4] = (const uint8_t *)"\001\001";
    n[4] = 2;
    smtp_b64_line(s, "AUTH XOAUTH2 ", "AUTH XOAUTH2 <redacted>", p, n, 5);
}

static void smtp_auth_start(smtpc_smtp_t *s)
{
    unsigned allowed = (s->cfg->auth_mechs != 0u ? s->cfg->auth_mechs : SMTPC_AUTH_COMPILED) &
                       SMTPC_AUTH_COMPILED & s->mechs;
    if (!smtp_level_reached(s)) {
        /* RFC 4954 §4 and this library's rule: no credentials before TLS. */
        smtp_fail_quit(s, SMTPC_ERR_AUTH_NEEDS_TLS);
        return;
    }
    if (s->cfg->token == NULL) {
        allowed &= ~(unsigned)SMTPC_AUTH_XOAUTH2;
    }
    if (s->cfg->pass == NULL) {
        /* A token-only configuration: PLAIN and LOGIN need the password. */
        allowed &= ~(unsigned)(SMTPC_AUTH_PLAIN | SMTPC_AUTH_LOGIN);
    }
    if (!(s->caps & SMTPC_CAP_AUTH) || allowed == 0u) {
        smtp_fail_quit(s, SMTPC_ERR_AUTH_UNSUPPORTED);
        return;
    }
    s->state = S_AUTH;
    s->stage = SMTPC_STAGE_AUTH;
    s->auth_step = A_FINAL;
    if (allowed & SMTPC_AUTH_XOAUTH2) {
        s->auth_mech = SMTPC_AUTH_XOAUTH2;
        smtp_auth_xoauth2(s);
    } else if (allowed & SMTPC_AUTH_PLAIN) {
        s->auth_mech = SMTPC_AUTH_PLAIN;
        smtp_auth_plain(s);
    } else {
        s->auth_mech = SMTPC_AUTH_LOGIN;
        s->auth_step = A_LOGIN_USER;
        smtp_cmd(s, "AUTH LOGIN", NULL);
    }
}

static void smtp_login_send(smtpc_smtp_t *s, const char *cred)
{
    const uint8_t *p[1];
    size_t n[1];
    p[0] = (const uint8_t *)cred;
    n[0] = smtpc_strnlen_(cred, SMTPC_CRED_MAX);
    smtp_b64_line(s, "", "<redacted>", p, n, 1);
}

static void smtp_on_auth_reply(smtpc_smtp_t *s, uint16_t code)
{
    if (code == 235 && s->auth_step == A_FINAL) {
        s->res->flags |= SMTPC_RESULT_AUTHENTICATED;
        smtp_txn_start(s);
        return;
    }
    if (code == 334 && s->auth_step == A_LOGIN_USER) {
        s->auth_step = A_LOGIN_PASS;
        smtp_login_send(s, s->cfg->user);
        return;
    }
    if (code == 334 && s->auth_step == A_LOGIN_PASS) {
        s->auth_step = A_FINAL;
        smtp_login_send(s, s->cfg->pass);
        return;
    }
    if (code == 334 && s->auth_mech == SMTPC_AUTH_XOAUTH2 && s->auth_step == A_FINAL) {
        /* The 334 carries an error description; an empty response ends the
         * exchange and the server answers with the final failure. */
        s->auth_step = A_XOAUTH2_ERR;
        smtp_cmd(s, "", NULL);
        return;
    }
    smtp_fail_quit(s, SMTPC_ERR_AUTH_FAILED);
}

/* ------------------------------------------------------ EHLO / TLS ----- */

static void smtp_after_ehlo(smtpc_smtp_t *s)
{
    if (!smtp_level_reached(s)) {
        smtp_fail_quit(s, SMTPC_ERR_STARTTLS_REQUIRED);
    } else if (s->cfg->user != NULL) {
        smtp_auth_start(s);
    } else {
        smtp_txn_start(s);
    }
}

static void smtp_send_ehlo(smtpc_smtp_t *s, uint8_t state, uint8_t stage)
{
    s->state = state;
    s->stage = stage;
    smtp_cmd(s, state == S_HELO ? "HELO " : "EHLO ", s->cfg->helo_name);
}

static void smtp_on_ehlo_reply(smtpc_smtp_t *s, uint16_t code)
{
    int plain_ok = s->cfg->tls_level == SMTPC_TLS_PLAINTEXT_ALLOWED;
    if (code != 250) {
        if (s->state == S_EHLO && code >= 500 && plain_ok) {
            /* RFC 5321 §3.2: fall back to HELO (no extensions, no STARTTLS). */
            smtp_send_ehlo(s, S_HELO, SMTPC_STAGE_EHLO);
        } else {
            smtp_fail_quit(s, SMTPC_ERR_EHLO_REJECTED);
        }
        return;
    }
    if (s->state == S_HELO) {
        s->caps = 0;
        s->mechs = 0;
        s->size_max = 0;
    } else {
        s->caps = s->reply.caps;
        s->mechs = s->reply.auth_mechs;
        s->size_max = s->reply.size_max;
    }
    if (s->tls_active || s->cfg->tls_mode == SMTPC_TLS_NONE) {
        smtp_after_ehlo(s);
        return;
    }
    if (s->caps & SMTPC_CAP_STARTTLS) {
        s->res->flags |= SMTPC_RESULT_STARTTLS_OFFERED;
        s->state = S_STARTTLS;
        s->stage = SMTPC_STAGE_STARTTLS;
        smtp_cmd(s, "STARTTLS", NULL);
    } else if (plain_ok) {
        smtp_after_ehlo(s);
    } else {
        smtp_fail_quit(s, SMTPC_ERR_STARTTLS_REQUIRED);
    }
}

static void smtp_on_starttls_reply(smtpc_smtp_t *s, uint16_t code)
{
    if (code == 220) {
        /* RFC 3207 §4.2 and CVE-2011-0411: nothing received in plaintext after
         * the 220 may survive into the TLS session. */
        if (s->rx_off < s->rx_len) {
            smtp_set_error(s, SMTPC_ERR_STARTTLS_INJECTION);
            return;
        }
        s->state = S_TLS_WAIT;
        s->stage = SMTPC_STAGE_TLS_HANDSHAKE;
        return;
    }
    if (s->cfg->tls_level == SMTPC_TLS_PLAINTEXT_ALLOWED) {
        smtp_after_ehlo(s);
    } else {
        smtp_fail_quit(s, SMTPC_ERR_STARTTLS_REFUSED);
    }
}

/* ------------------------------------------------------ replies -------- */

static void smtp_record_reply(smtpc_smtp_t *s)
{
    smtpc_result_t *r = s->res;
    r->reply_code = s->reply.code;
    memcpy(r->reply_enh, s->reply.enh, 3);
    r->reply_text_len = s->reply.text_len;
    memcpy(r->reply_text, s->reply.text, s->reply.text_len);
}

static void smtp_on_reply(smtpc_smtp_t *s)
{
    uint16_t code = s->reply.code;
    if (s->state != S_QUIT) {
        smtp_record_reply(s);
    }
    switch (s->state) {
    case S_GREETING:
        if (code == 220) {
            smtp_send_ehlo(s, S_EHLO, s->tls_active ? SMTPC_STAGE_EHLO_TLS : SMTPC_STAGE_EHLO);
        } else {
            smtp_fail_quit(s, SMTPC_ERR_SMTP_GREETING);
        }
        break;
    case S_EHLO:
    case S_HELO:
    case S_EHLO_TLS:
        smtp_on_ehlo_reply(s, code);
        break;
    case S_STARTTLS:
        smtp_on_starttls_reply(s, code);
        break;
    case S_AUTH:
        smtp_on_auth_reply(s, code);
        break;
    case S_TXN:
        smtp_on_txn_reply(s, code);
        break;
    case S_DATA_EMPTY:
        smtp_fail_quit(s, SMTPC_ERR_RCPT_ALL_REJECTED);
        break;
    case S_DATA_END:
        if (code >= 200 && code < 300) {
            s->res->flags |= SMTPC_RESULT_ACCEPTED;
            s->final_err = s->res->rcpt_accepted == s->res->rcpt_count
                               ? SMTPC_OK
                               : SMTPC_ERR_RCPT_SOME_REJECTED;
            s->state = S_QUIT;
            s->stage = SMTPC_STAGE_QUIT;
            smtp_cmd(s, "QUIT", NULL);
        } else {
            smtp_fail_quit(s, SMTPC_ERR_MSG_REJECTED);
        }
        break;
    case S_QUIT:
        /* Whatever the answer, the message was accepted already. */
        s->status = s->final_err;
        s->res->err = s->final_err;
        s->res->stage = SMTPC_STAGE_DONE;
        s->state = S_DONE;
        break;
    default:
        smtp_set_error(s, SMTPC_ERR_SMTP_UNEXPECTED);
        break;
    }
}

static int smtp_is_ehlo_state(uint8_t st)
{
    return st == S_EHLO || st == S_EHLO_TLS;
}

/* Parse buffered bytes for as long as replies are expected. */
static void smtp_parse(smtpc_smtp_t *s)
{
    while (s->status == SMTPC_IN_PROGRESS && s->rx_off < s->rx_len && smtp_expects_reply(s)) {
        size_t used = smtpc_reply_push(&s->reply, s->rx + s->rx_off, s->rx_len - s->rx_off);
        s->rx_off += used;
        if (s->reply.event == SMTPC_REPLY_ERROR) {
            smtp_record_reply(s);
            smtp_set_error(s, s->reply.err);
        } else if (s->reply.event == SMTPC_REPLY_DONE) {
            smtp_on_reply(s);
            smtpc_reply_begin(&s->reply, smtp_is_ehlo_state(s->state));
        }
    }
    if (s->rx_off == s->rx_len) {
        s->rx_off = 0;
        s->rx_len = 0;
    }
}

/* ------------------------------------------------------------ body ----- */

static int smtp_body_finish(smtpc_smtp_t *s)
{
    size_t need = s->body_at_bol ? 3u : 5u;
    if (smtp_room(s) < need) {
        return 0;
    }
    if (!s->body_at_bol) {
        /* RFC 5321 §4.1.1.4: the mark is CRLF.CRLF, so end the last line. */
        s->tx[s->tx_len++] = '\r';
        s->tx[s->tx_len++] = '\n';
    }
    memcpy(s->tx + s->tx_len, ".\r\n", 3);
    s->tx_len += 3;
    s->state = S_DATA_END;
    s->stage = SMTPC_STAGE_DATA_END;
    s->body_eof = 0;
    smtpc_reply_begin(&s->reply, false);
    smtp_note(s, "end of data");
    return 1;
}

static void smtp_body_out(smtpc_smtp_t *s, uint8_t c)
{
    s->tx[s->tx_len++] = c;
}

size_t smtpc_smtp_body(smtpc_smtp_t *s, const uint8_t *data, size_t len, bool eof)
{
    size_t i = 0;
    if (s == NULL || s->state != S_BODY || s->body_eof) {
        return 0;
    }
    if (!smtp_level_reached(s)) {
        smtp_set_error(s, SMTPC_ERR_STARTTLS_REQUIRED);
        return 0;
    }
    (void)smtp_room(s);
    while (i < len && s->tx_cap - s->tx_len >= 2u) {
        uint8_t c = data[i];
        if (c == '\n' && s->body_prev_cr) {
            s->body_prev_cr = 0; /* second half of a CRLF already written */
        } else if (c == '\r' || c == '\n') {
            /* Bare CR and bare LF become CRLF (RFC 5321 §2.3.8). */
            smtp_body_out(s, '\r');
            smtp_body_out(s, '\n');
            s->body_prev_cr = (uint8_t)(c == '\r');
            s->body_at_bol = 1;
            s->body_line_len = 0;
        } else {
            s->body_prev_cr = 0;
            if (s->body_at_bol && c == '.') {
                /* RFC 5321 §4.5.2 transparency; §4.5.3.1.6: the added dot
                 * does not count toward the line limit. */
                smtp_body_out(s, '.');
            }
            s->body_at_bol = 0;
            smtp_body_out(s, c);
            s->body_line_len++;
            if (s->body_line_len > SMTPC_BODY_LINE_MAX) {
                smtp_set_error(s, SMTPC_ERR_BODY_LINE_TOO_LONG);
                return i + 1u;
            }
        }
        i++;
    }
    s->body_bytes += (uint32_t)i;
    if (eof && i == len) {
        s->body_eof = 1;
        (void)smtp_body_finish(s);
    }
    return i;
}

/* ------------------------------------------------------------ API ------ */

static int smtp_check_name(const char *p, size_t max, int allow_empty)
{
    size_t n;
    size_t i;
    if (p == NULL) {
        return 0;
    }
    n = smtpc_strnlen_(p, max);
    if (n > max || (n == 0 && !allow_empty)) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        uint8_t c = (uint8_t)p[i];
        /* CR/LF/NUL/controls/space/<> could inject commands or parameters. */
        if (c <= 0x20u || c == 0x7fu || c == '<' || c == '>') {
            return 0;
        }
    }
    return 1;
}

static int smtp_has_8bit(const char *p)
{
    size_t i;
    for (i = 0; i <= SMTPC_ADDR_MAX && p[i] != '\0'; i++) {
        if ((uint8_t)p[i] >= 0x80u) {
            return 1;
        }
    }
    return 0;
}

static int smtp_check_cfg(const smtpc_session_cfg_t *cfg)
{
    if (!smtp_check_name(cfg->helo_name, SMTPC_HOSTNAME_MAX, 0)) {
        return SMTPC_ERR_BAD_ADDRESS;
    }
    if (cfg->tls_mode > SMTPC_TLS_NONE || cfg->tls_level > SMTPC_TLS_VERIFIED) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (cfg->tls_mode == SMTPC_TLS_NONE && cfg->tls_level != SMTPC_TLS_PLAINTEXT_ALLOWED) {
        return SMTPC_ERR_PLAINTEXT_FORBIDDEN;
    }
    if (cfg->user != NULL) {
        if (smtpc_strnlen_(cfg->user, SMTPC_CRED_MAX) > SMTPC_CRED_MAX ||
            (cfg->pass != NULL && smtpc_strnlen_(cfg->pass, SMTPC_CRED_MAX) > SMTPC_CRED_MAX)) {
            return SMTPC_ERR_BAD_ARG;
        }
        if (cfg->pass == NULL && cfg->token == NULL) {
            return SMTPC_ERR_BAD_ARG;
        }
    }
    return SMTPC_OK;
}

static int smtp_check_env(const smtpc_envelope_t *env)
{
    size_t i;
    if (env->to_count == 0 || env->to == NULL || env->from == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    if (env->to_count > SMTPC_MAX_RCPT) {
        return SMTPC_ERR_TOO_MANY_RCPT;
    }
    if (!smtp_check_name(env->from, SMTPC_ADDR_MAX, 1)) {
        return SMTPC_ERR_BAD_ADDRESS;
    }
    for (i = 0; i < env->to_count; i++) {
        if (!smtp_check_name(env->to[i], SMTPC_ADDR_MAX, 0)) {
            return SMTPC_ERR_BAD_ADDRESS;
        }
    }
    return SMTPC_OK;
}

int smtpc_smtp_init(smtpc_smtp_t *s, const smtpc_session_cfg_t *cfg, const smtpc_envelope_t *env,
                    smtpc_result_t *res, uint8_t *tx, size_t tx_cap, uint8_t *rx, size_t rx_cap)
{
    int rc;
    size_t i;
    if (s == NULL || cfg == NULL || env == NULL || res == NULL || tx == NULL || rx == NULL ||
        tx_cap < 512u || rx_cap < 16u) {
        return SMTPC_ERR_BAD_ARG;
    }
    memset(s, 0, sizeof(*s));
    memset(res, 0, sizeof(*res));
    s->cfg = cfg;
    s->env = env;
    s->res = res;
    s->tx = tx;
    s->tx_cap = tx_cap;
    s->rx = rx;
    s->rx_cap = rx_cap;
    s->status = SMTPC_IN_PROGRESS;
    rc = smtp_check_cfg(cfg);
    if (rc == SMTPC_OK) {
        rc = smtp_check_env(env);
    }
    if (rc != SMTPC_OK) {
        s->status = rc;
        s->state = S_DONE;
        res->err = rc;
        return rc;
    }
    res->rcpt_count = (uint8_t)env->to_count;
    s->need_utf8 = (uint8_t)((env->flags & SMTPC_ENV_SMTPUTF8) != 0u || smtp_has_8bit(env->from));
    for (i = 0; i < env->to_count; i++) {
        s->need_utf8 = (uint8_t)(s->need_utf8 | smtp_has_8bit(env->to[i]));
    }
    if (cfg->tls_mode == SMTPC_TLS_IMPLICIT) {
        s->state = S_TLS_IMPLICIT;
        s->stage = SMTPC_STAGE_TLS_IMPLICIT;
    } else {
        s->state = S_GREETING;
        s->stage = SMTPC_STAGE_GREETING;
    }
    smtpc_reply_begin(&s->reply, false);
    return SMTPC_OK;
}

void smtpc_smtp_set_trace(smtpc_smtp_t *s, smtpc_trace_fn fn, void *arg)
{
    s->trace = fn;
    s->trace_arg = arg;
}

unsigned smtpc_smtp_wants(const smtpc_smtp_t *s)
{
    unsigned w = 0;
    int tx_pending = s->tx_len > s->tx_off;
    if (s->state == S_DONE) {
        return SMTPC_SMTP_WANT_DONE;
    }
    if (tx_pending || s->seg_count > 0) {
        w |= SMTPC_SMTP_WANT_WRITE;
    }
    if ((s->state == S_TLS_IMPLICIT || s->state == S_TLS_WAIT) && !tx_pending) {
        w |= SMTPC_SMTP_WANT_TLS;
    }
    if (s->state == S_BODY && !s->body_eof) {
        w |= SMTPC_SMTP_WANT_BODY;
    }
    /* Replies are read once the command is out (or while pipelining), so an
     * early reply can never overrun a half-sent command. */
    if (smtp_expects_reply(s) &&
        ((!tx_pending && s->seg_count == 0) || (s->state == S_TXN && s->use_pipelining))) {
        w |= SMTPC_SMTP_WANT_READ;
    }
    return w;
}

int smtpc_smtp_status(const smtpc_smtp_t *s)
{
    return s->status;
}

smtpc_stage_t smtpc_smtp_stage(const smtpc_smtp_t *s)
{
    return (smtpc_stage_t)s->stage;
}

const uint8_t *smtpc_smtp_tx_buf(const smtpc_smtp_t *s, size_t *len)
{
    if (s->status != SMTPC_IN_PROGRESS && s->state != S_QUIT_ERR) {
        *len = 0;
        return NULL;
    }
    *len = s->tx_len - s->tx_off;
    return *len > 0 ? s->tx + s->tx_off : NULL;
}

void smtpc_smtp_tx_ack(smtpc_smtp_t *s, size_t n)
{
    if (n > s->tx_len - s->tx_off) {
        n = s->tx_len - s->tx_off;
    }
    s->tx_off += n;
    if (s->tx_off == s->tx_len) {
        s->tx_off = 0;
        s->tx_len = 0;
    }
    if (s->status != SMTPC_IN_PROGRESS) {
        return;
    }
    if (s->seg_count > 0) {
        smtp_b64_pump(s);
    }
    if (s->state == S_QUIT_ERR && s->tx_len == 0) {
        smtp_set_error(s, s->final_err);
    } else if (s->state == S_TXN) {
        smtp_txn_emit(s);
    } else if (s->state == S_BODY && s->body_eof) {
        (void)smtp_body_finish(s);
    }
}

uint8_t *smtpc_smtp_rx_buf(smtpc_smtp_t *s, size_t *cap)
{
    if (s->status != SMTPC_IN_PROGRESS || s->rx_len >= s->rx_cap) {
        *cap = 0;
        return NULL;
    }
    *cap = s->rx_cap - s->rx_len;
    return s->rx + s->rx_len;
}

int smtpc_smtp_rx_ack(smtpc_smtp_t *s, size_t n)
{
    if (s->status != SMTPC_IN_PROGRESS) {
        return s->status;
    }
    if (n > s->rx_cap - s->rx_len) {
        smtp_set_error(s, SMTPC_ERR_BAD_ARG);
        return s->status;
    }
    smtp_trace(s, SMTPC_TRACE_SERVER, s->rx + s->rx_len, n);
    s->rx_len += n;
    smtp_parse(s);
    /* Plaintext bytes that arrived after the STARTTLS 220 are an injection,
     * reported at the STARTTLS stage however the bytes were split. */
    if (s->status == SMTPC_IN_PROGRESS && s->state == S_TLS_WAIT && s->rx_len > 0) {
        s->stage = SMTPC_STAGE_STARTTLS;
        smtp_set_error(s, SMTPC_ERR_STARTTLS_INJECTION);
    }
    return s->status;
}

int smtpc_smtp_tls_up(smtpc_smtp_t *s, smtpc_cert_verdict_t verdict)
{
    static const int cert_err[] = {SMTPC_ERR_TLS_CERT_OTHER,     SMTPC_OK,
                                   SMTPC_ERR_TLS_CERT_EXPIRED,   SMTPC_ERR_TLS_CERT_NOT_YET_VALID,
                                   SMTPC_ERR_TLS_CERT_UNTRUSTED, SMTPC_ERR_TLS_CERT_HOSTNAME,
                                   SMTPC_ERR_TLS_CERT_OTHER};
    if (s->status != SMTPC_IN_PROGRESS) {
        return s->status;
    }
    if (s->state != S_TLS_IMPLICIT && s->state != S_TLS_WAIT) {
        smtp_set_error(s, SMTPC_ERR_STATE);
        return s->status;
    }
    if (s->rx_len > 0) {
        s->stage = SMTPC_STAGE_STARTTLS;
        smtp_set_error(s, SMTPC_ERR_STARTTLS_INJECTION);
        return s->status;
    }
    s->tls_active = 1;
    s->tls_verified = (uint8_t)(verdict == SMTPC_CERT_OK);
    s->res->cert = (uint8_t)verdict;
    s->res->tls_reached = s->tls_verified ? SMTPC_REACHED_VERIFIED : SMTPC_REACHED_ENCRYPTED;
    if (s->cfg->tls_level == SMTPC_TLS_VERIFIED && !s->tls_verified) {
        unsigned v = (unsigned)verdict;
        smtp_set_error(s, v < sizeof(cert_err) / sizeof(cert_err[0]) ? cert_err[v]
                                                                     : SMTPC_ERR_TLS_CERT_OTHER);
        return s->status;
    }
    smtp_note(s, s->tls_verified ? "TLS up, certificate verified"
                                 : "TLS up, certificate NOT verified");
    /* RFC 3207 §4.2: forget everything learnt before TLS. */
    s->caps = 0;
    s->mechs = 0;
    s->size_max = 0;
    smtpc_reply_begin(&s->reply, false);
    if (s->state == S_TLS_IMPLICIT) {
        s->state = S_GREETING;
        s->stage = SMTPC_STAGE_GREETING;
    } else {
        smtp_send_ehlo(s, S_EHLO_TLS, SMTPC_STAGE_EHLO_TLS);
        smtpc_reply_begin(&s->reply, true);
    }
    return s->status;
}

void smtpc_smtp_fail(smtpc_smtp_t *s, int err)
{
    if (s->status != SMTPC_IN_PROGRESS) {
        return;
    }
    if (s->state == S_QUIT) {
        /* The message was accepted; a lost QUIT reply does not change that. */
        s->status = s->final_err;
        s->res->err = s->final_err;
        s->res->stage = SMTPC_STAGE_DONE;
        s->state = S_DONE;
        return;
    }
    if (s->state == S_QUIT_ERR) {
        err = s->final_err;
    }
    smtp_set_error(s, err);
}
