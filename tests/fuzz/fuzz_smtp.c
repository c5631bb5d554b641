/* Fuzz target: the SMTP session engine (smtpc_smtp.c) fed arbitrary server
 * bytes, with the TLS handshake faked (the engine asks for TLS, the harness
 * answers smtpc_smtp_tls_up() with a verdict taken from the input).
 *
 * Input: 6 parameter bytes, then the message body, then server bytes.
 *   b0: bits 0-1 TLS mode (3: STARTTLS), bits 2-3 level (3: VERIFIED),
 *       bit 4 AUTH user/password, bit 5 PIPELINING, bit 6 XOAUTH2 token,
 *       bit 7 8BITMIME envelope
 *   b1: bits 0-2 certificate verdict, bits 3-5 allowed AUTH mechanisms
 *   b2: bits 0-1 recipients - 1, bits 2-7 read size - 1
 *   b3: bits 0-6 send size - 1 (how much of tx_buf the "socket" takes per
 *       call); bit 7 line mode: a read stops after a LF, as from a server
 *       that answers each command only once it has it (otherwise reads take
 *       whatever is there, as from a server that talks early)
 *   b4, b5: body length, big-endian, at most BODY_MAX (that many body bytes
 *       follow)
 * Invariants: the engine never asks for nothing while in progress and never
 * stalls; once the server bytes are exhausted and the connection is
 * reported closed it ends; buffers it hands out stay within their capacity;
 * everything sent is CRLF-framed; while the required TLS level is not
 * reached only EHLO, STARTTLS and QUIT cross the wire (HELO only when
 * plaintext is allowed); a VERIFIED session with a bad certificate sends
 * nothing but QUIT after the handshake and fails; a session that succeeds
 * reached the level, had a recipient accepted, and sent exactly the body it
 * was given (CRLF-normalised, dot-stuffed, ended by "." on its own line). */
#include <string.h>

#include "smtpc/smtp.h"

#include "fuzz_common.h"

#define LOG_MAX  65536u
#define BODY_MAX 2048u

typedef struct {
    uint8_t b[LOG_MAX];
    size_t n;
    int overflow;
} log_t;

static log_t g_plain, g_tls;
static uint8_t g_tx[SMTPC_TX_BUF_SIZE];
static uint8_t g_rx[SMTPC_RX_BUF_SIZE];
static uint8_t g_norm[2 * BODY_MAX + 4];
static uint8_t g_got[2 * BODY_MAX + 4];
static smtpc_smtp_t g_s;
static smtpc_result_t g_res;

static void log_add(log_t *l, const uint8_t *p, size_t n)
{
    if (l->n + n > LOG_MAX) {
        l->overflow = 1;
        n = LOG_MAX - l->n;
    }
    memcpy(l->b + l->n, p, n);
    l->n += n;
}

static int token_fn(void *arg, const char **tok, size_t *len)
{
    (void)arg;
    *tok = "ya29.fuzz-token";
    *len = strlen(*tok);
    return SMTPC_OK;
}

/* Every LF is preceded by CR and every CR followed by LF (a CR may end an
 * unfinished stream). */
static void check_crlf(const log_t *l)
{
    size_t i;
    for (i = 0; i < l->n; i++) {
        if (l->b[i] == '\n') {
            FUZZ_CHECK(i > 0 && l->b[i - 1] == '\r');
        } else if (l->b[i] == '\r' && i + 1 < l->n) {
            FUZZ_CHECK(l->b[i + 1] == '\n');
        }
    }
}

static int starts(const uint8_t *p, size_t n, const char *word)
{
    size_t k = strlen(word);
    return n >= k && memcmp(p, word, k) == 0;
}

/* Only the listed commands appear (each line must start with one of them). */
static void check_only(const log_t *l, int allow_ehlo, int allow_helo)
{
    size_t i = 0;
    while (i < l->n) {
        const uint8_t *p = l->b + i;
        size_t n = l->n - i;
        const uint8_t *e = memchr(p, '\n', n);
        size_t len = e ? (size_t)(e - p) + 1u : n;
        int ok = starts(p, len, "QUIT\r") || (allow_ehlo && starts(p, len, "EHLO ")) ||
                 (allow_ehlo && starts(p, len, "STARTTLS\r")) ||
                 (allow_helo && starts(p, len, "HELO "));
        if (!ok) {
            fprintf(stderr, "unexpected command: %.*s\n", (int)(len > 40 ? 40 : len),
                    (const char *)p);
        }
        FUZZ_CHECK(ok);
        i += len;
    }
}

/* The body as the engine must send it: bare CR and bare LF become CRLF, a
 * last line without an end gets one. */
static size_t normalise(const uint8_t *b, size_t n, uint8_t *out)
{
    size_t i, o = 0;
    int bol = 1;
    for (i = 0; i < n; i++) {
        if (b[i] == '\r' || b[i] == '\n') {
            out[o++] = '\r';
            out[o++] = '\n';
            bol = 1;
            if (b[i] == '\r' && i + 1 < n && b[i + 1] == '\n') {
                i++;
            }
        } else {
            out[o++] = b[i];
            bol = 0;
        }
    }
    if (!bol) {
        out[o++] = '\r';
        out[o++] = '\n';
    }
    return o;
}

/* Longest line of a normalised body, CRLF excluded. */
static size_t longest_line(const uint8_t *b, size_t n)
{
    size_t i, cur = 0, max = 0;
    for (i = 0; i < n; i++) {
        if (b[i] == '\r') {
            max = cur > max ? cur : max;
            cur = 0;
            i++;
        } else {
            cur++;
        }
    }
    return cur > max ? cur : max;
}

/* Find "DATA\r\n" as a line, take the lines after it up to "." and undo the
 * dot-stuffing. Returns the body length, or (size_t)-1 if not found. */
static size_t extract_body(const log_t *l, uint8_t *out, size_t cap)
{
    size_t i = 0, o = 0;
    int in_body = 0;
    while (i < l->n) {
        const uint8_t *p = l->b + i;
        const uint8_t *e = memchr(p, '\n', l->n - i);
        size_t len;
        if (e == NULL) {
            return (size_t)-1;
        }
        len = (size_t)(e - p) + 1u;
        if (!in_body) {
            if (len == 6 && memcmp(p, "DATA\r\n", 6) == 0) {
                in_body = 1;
            }
        } else if (len == 3 && p[0] == '.') {
            return o;
        } else {
            if (p[0] == '.') {
                FUZZ_CHECK(len >= 4 && p[1] == '.'); /* a leading dot is doubled */
                p++;
                len--;
            }
            FUZZ_CHECK(o + len <= cap);
            memcpy(out + o, p, len);
            o += len;
        }
        i += (size_t)(e - l->b) + 1u - i;
    }
    return (size_t)-1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const rcpts[4] = {"r1@example.net", "r2@example.org", "r3@b.example",
                                         "r4@c.example"};
    fuzz_in_t in = {data, size};
    smtpc_session_cfg_t cfg;
    smtpc_envelope_t env;
    uint8_t b0 = fuzz_u8(&in), b1 = fuzz_u8(&in), b2 = fuzz_u8(&in), b3 = fuzz_u8(&in);
    size_t body_len = fuzz_u16(&in) % (BODY_MAX + 1u);
    const uint8_t *body;
    size_t body_off = 0;
    size_t rd_chunk = (size_t)(b2 >> 2) + 1u, wr_chunk = (size_t)(b3 & 0x7Fu) + 1u;
    int line_mode = (b3 & 0x80u) != 0;
    smtpc_cert_verdict_t verdict = (smtpc_cert_verdict_t)(b1 & 7u) > SMTPC_CERT_OTHER
                                       ? SMTPC_CERT_OK
                                       : (smtpc_cert_verdict_t)(b1 & 7u);
    int tls_done = 0, closed = 0, rc;
    unsigned idle = 0;
    unsigned long iter = 0;

    if (body_len > in.n) {
        body_len = in.n;
    }
    body = in.p;
    in.p += body_len;
    in.n -= body_len;

    memset(&cfg, 0, sizeof(cfg));
    cfg.helo_name = "client.example";
    cfg.tls_mode = (b0 & 3u) == 3u ? SMTPC_TLS_STARTTLS : (smtpc_tls_mode_t)(b0 & 3u);
    cfg.tls_level =
        ((b0 >> 2) & 3u) == 3u ? SMTPC_TLS_VERIFIED : (smtpc_tls_level_t)((b0 >> 2) & 3u);
    if (b0 & 0x10u) {
        cfg.user = "user@example.com";
        cfg.pass = "secret password";
    }
    if (b0 & 0x40u) {
        cfg.user = "user@example.com";
        cfg.token = token_fn;
    }
    cfg.pipelining = (b0 & 0x20u) != 0;
    cfg.auth_mechs = (uint8_t)((b1 >> 3) & 7u);

    memset(&env, 0, sizeof(env));
    env.from = "sender@example.com";
    env.to = rcpts;
    env.to_count = (size_t)(b2 & 3u) + 1u;
    if (env.to_count > SMTPC_MAX_RCPT) {
        env.to_count = SMTPC_MAX_RCPT;
    }
    env.size_hint = (uint32_t)body_len;
    env.flags = (b0 & 0x80u) ? SMTPC_ENV_8BITMIME : 0u;

    g_plain.n = g_tls.n = 0;
    g_plain.overflow = g_tls.overflow = 0;
    rc = smtpc_smtp_init(&g_s, &cfg, &env, &g_res, g_tx, sizeof(g_tx), g_rx, sizeof(g_rx));
    if (rc != SMTPC_OK) {
        FUZZ_CHECK(rc < 0);
        return 0;
    }

    while (smtpc_smtp_status(&g_s) == SMTPC_IN_PROGRESS) {
        unsigned w = smtpc_smtp_wants(&g_s);
        int progress = 0;
        iter++;
        FUZZ_CHECK(iter < 1000000ul);
        FUZZ_CHECK(smtpc_smtp_stage(&g_s) < SMTPC_STAGE_COUNT_);
        if (w & SMTPC_SMTP_WANT_WRITE) {
            size_t len = 0, n;
            const uint8_t *p = smtpc_smtp_tx_buf(&g_s, &len);
            FUZZ_CHECK(p != NULL && len > 0 && len <= sizeof(g_tx));
            FUZZ_CHECK(p >= g_tx && p + len <= g_tx + sizeof(g_tx));
            n = len < wr_chunk ? len : wr_chunk;
            log_add(tls_done ? &g_tls : &g_plain, p, n);
            smtpc_smtp_tx_ack(&g_s, n);
            progress = 1;
        } else if (w & SMTPC_SMTP_WANT_TLS) {
            FUZZ_CHECK(!tls_done);
            tls_done = 1;
            (void)smtpc_smtp_tls_up(&g_s, cfg.tls_level == SMTPC_TLS_PLAINTEXT_ALLOWED &&
                                                  verdict == SMTPC_CERT_NOT_CHECKED
                                              ? SMTPC_CERT_OK
                                              : verdict);
            progress = 1;
        } else if (w & SMTPC_SMTP_WANT_BODY) {
            size_t n = smtpc_smtp_body(&g_s, body + body_off, body_len - body_off, true);
            FUZZ_CHECK(n <= body_len - body_off);
            body_off += n;
            progress = n > 0 || smtpc_smtp_wants(&g_s) != w;
        } else if (w & SMTPC_SMTP_WANT_READ) {
            size_t cap = 0, n;
            uint8_t *p = smtpc_smtp_rx_buf(&g_s, &cap);
            FUZZ_CHECK(p != NULL && cap > 0 && cap <= sizeof(g_rx));
            FUZZ_CHECK(p >= g_rx && p + cap <= g_rx + sizeof(g_rx));
            if (in.n == 0) {
                FUZZ_CHECK(!closed);
                closed = 1;
                smtpc_smtp_fail(&g_s, SMTPC_ERR_NET_CLOSED);
                FUZZ_CHECK(smtpc_smtp_status(&g_s) != SMTPC_IN_PROGRESS);
            } else {
                n = cap < rd_chunk ? cap : rd_chunk;
                n = n < in.n ? n : in.n;
                if (line_mode) {
                    const uint8_t *lf = memchr(in.p, '\n', n);
                    n = lf ? (size_t)(lf - in.p) + 1u : n;
                }
                memcpy(p, in.p, n);
                in.p += n;
                in.n -= n;
                (void)smtpc_smtp_rx_ack(&g_s, n);
            }
            progress = 1;
        } else {
            /* in progress but wanting nothing: the caller would wait forever */
            FUZZ_CHECK(w != 0 && (w & SMTPC_SMTP_WANT_DONE) == 0);
        }
        idle = progress ? 0u : idle + 1u;
        FUZZ_CHECK(idle < 1000u);
    }

    rc = smtpc_smtp_status(&g_s);
    if (getenv("SMTPC_FUZZ_VERBOSE") != NULL) {
        fprintf(stderr, "session: status %d, stage %u, tls %d, sent %zu+%zu bytes\n", rc,
                (unsigned)g_res.stage, tls_done, g_plain.n, g_tls.n);
    }
    FUZZ_CHECK(rc == SMTPC_OK || rc < 0);
    FUZZ_CHECK(g_res.reply_text_len <= SMTPC_REPLY_TEXT_MAX);
    FUZZ_CHECK(g_res.rcpt_accepted <= g_res.rcpt_count);
    FUZZ_CHECK(g_res.rcpt_count <= SMTPC_MAX_RCPT);
    FUZZ_CHECK(g_res.stage < SMTPC_STAGE_COUNT_);
    FUZZ_CHECK(rc == SMTPC_OK ? g_res.err == SMTPC_OK : g_res.err == rc);
    /* Drain what is left to send, as a driver would before closing. */
    for (;;) {
        size_t len = 0;
        const uint8_t *p = smtpc_smtp_tx_buf(&g_s, &len);
        if (p == NULL || len == 0) {
            break;
        }
        log_add(tls_done ? &g_tls : &g_plain, p, len);
        smtpc_smtp_tx_ack(&g_s, len);
    }
    FUZZ_CHECK(smtpc_smtp_status(&g_s) == rc); /* sticky */

    if (g_plain.overflow || g_tls.overflow) {
        return 0;
    }
    check_crlf(&g_plain);
    check_crlf(&g_tls);
    if (cfg.tls_level != SMTPC_TLS_PLAINTEXT_ALLOWED) {
        /* Fail closed: nothing but EHLO/STARTTLS/QUIT before TLS. */
        check_only(&g_plain, 1, 0);
        if (cfg.tls_level == SMTPC_TLS_VERIFIED && tls_done && verdict != SMTPC_CERT_OK) {
            check_only(&g_tls, 0, 0);
            FUZZ_CHECK(rc != SMTPC_OK);
        }
    }
    if (cfg.tls_mode == SMTPC_TLS_IMPLICIT) {
        FUZZ_CHECK(g_plain.n == 0);
    }
    if (rc == SMTPC_OK) {
        const log_t *l = tls_done ? &g_tls : &g_plain;
        size_t nlen = normalise(body, body_len, g_norm);
        size_t glen = extract_body(l, g_got, sizeof(g_got));
        FUZZ_CHECK(g_res.rcpt_accepted >= 1);
        FUZZ_CHECK(g_res.flags & SMTPC_RESULT_ACCEPTED);
        FUZZ_CHECK(g_res.tls_reached >= (uint8_t)cfg.tls_level);
        FUZZ_CHECK(body_off == body_len);
        FUZZ_CHECK(longest_line(g_norm, nlen) <= SMTPC_BODY_LINE_MAX);
        FUZZ_CHECK(glen == nlen);
        FUZZ_CHECK(memcmp(g_got, g_norm, nlen) == 0);
    }
    return 0;
}
