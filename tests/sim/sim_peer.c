/* The scripted SMTP peer: a small server state machine with a real mbedTLS
 * server for STARTTLS and implicit TLS. See sim.h. */
#include <stdio.h>
#include <string.h>

#include "mbedtls/base64.h"
#include "mbedtls/net_sockets.h" /* MBEDTLS_ERR_NET_* only */
#include "mbedtls/version.h"

#include "sim.h"

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define SIM_SSL_STATE(ssl) ((ssl)->MBEDTLS_PRIVATE(state))
#else
#define SIM_SSL_STATE(ssl) ((ssl)->state)
#endif

#define SIM_DEFAULT_GREETING "220 mail.example.test ESMTP smtpc-sim\r\n"

/* Bounds of the peer's inner loops (every loop of the simulator is bounded). */
#define PEER_READ_ROUNDS    256u
#define PEER_LINES_PER_READ 256u
#define PEER_HS_STEPS       64u
#define PEER_SPAM_MAX       100000u
#define PEER_SPAM_WINDOW    4096u

static void peer_violation(sim_peer_t *p, const char *what)
{
    if (p->violation[0] == '\0') {
        snprintf(p->violation, sizeof(p->violation), "%s", what);
    }
}

static void peer_close(sim_peer_t *p)
{
    if (p->state == SIM_PS_CLOSED) {
        return;
    }
    if (p->tls && SIM_SSL_STATE(&p->ssl) == MBEDTLS_SSL_HANDSHAKE_OVER) {
        (void)mbedtls_ssl_close_notify(&p->ssl);
    }
    sim_pipe_server_close(p->pipe);
    p->state = SIM_PS_CLOSED;
}

/* ------------------------------------------------------------ bio ------ */

static int peer_bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    sim_peer_t *p = (sim_peer_t *)ctx;
    size_t n;
    if (p->pipe->client_closed) {
        return MBEDTLS_ERR_NET_CONN_RESET;
    }
    n = sim_pipe_server_write(p->pipe, buf, len);
    return n == 0 ? MBEDTLS_ERR_SSL_WANT_WRITE : (int)n;
}

static int peer_bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    sim_peer_t *p = (sim_peer_t *)ctx;
    int32_t n = sim_pipe_server_read(p->pipe, buf, len);
    if (n < 0) {
        return MBEDTLS_ERR_NET_CONN_RESET;
    }
    return n == 0 ? MBEDTLS_ERR_SSL_WANT_READ : (int)n;
}

/* ------------------------------------------------------------ output --- */

static void peer_send(sim_peer_t *p, const void *data, size_t len)
{
    const uint8_t *d = (const uint8_t *)data;
    size_t off = 0;
    unsigned k;
    if (p->state == SIM_PS_CLOSED || p->pipe->client_closed) {
        return;
    }
    if (!p->tls) {
        if (sim_pipe_server_write(p->pipe, d, len) != len) {
            peer_violation(p, "peer: pipe to the client is full");
        }
        return;
    }
    for (k = 0; k < 64u && off < len; k++) {
        int ret = mbedtls_ssl_write(&p->ssl, d + off, len - off);
        if (ret > 0) {
            off += (size_t)ret;
        } else if (ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
            return; /* client gone */
        }
    }
    if (off < len) {
        peer_violation(p, "peer: could not write a TLS reply");
    }
}

static void peer_say(sim_peer_t *p, const char *s)
{
    peer_send(p, s, strlen(s));
}

/* ------------------------------------------------------------ TLS ------ */

#if defined(MBEDTLS_SSL_SERVER_NAME_INDICATION)
/* Record the server name of the ClientHello; the certificate stays the one
 * configured (a mismatch is the client's to notice). */
static int peer_sni(void *ctx, mbedtls_ssl_context *ssl, const unsigned char *name, size_t len)
{
    sim_peer_t *p = (sim_peer_t *)ctx;
    size_t n = len < sizeof(p->sni) - 1u ? len : sizeof(p->sni) - 1u;
    (void)ssl;
    memcpy(p->sni, name, n);
    p->sni[n] = '\0';
    p->sni_count++;
    return 0;
}
#endif

static int peer_tls_load(sim_peer_t *p, const char *cert_dir, char *err, size_t err_cap)
{
    char path[1024];
    int ret;
    static const unsigned char pers[] = "smtpc-sim peer";
    ret =
        mbedtls_ctr_drbg_seed(&p->drbg, mbedtls_entropy_func, &p->entropy, pers, sizeof(pers) - 1u);
    if (ret != 0) {
        snprintf(err, err_cap, "peer DRBG seed failed (-0x%04x)", (unsigned)-ret);
        return -1;
    }
    snprintf(path, sizeof(path), "%s/%s.crt", cert_dir, p->cfg->cert);
    ret = mbedtls_x509_crt_parse_file(&p->chain, path);
    if (ret != 0) {
        snprintf(err, err_cap, "cannot load %s (-0x%04x): run tests/certs/gen.sh %s", path,
                 (unsigned)-ret, cert_dir);
        return -1;
    }
    snprintf(path, sizeof(path), "%s/%s.key", cert_dir, p->cfg->cert);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    ret = mbedtls_pk_parse_keyfile(&p->key, path, NULL, mbedtls_ctr_drbg_random, &p->drbg);
#else
    ret = mbedtls_pk_parse_keyfile(&p->key, path, NULL);
#endif
    if (ret != 0) {
        snprintf(err, err_cap, "cannot load %s (-0x%04x)", path, (unsigned)-ret);
        return -1;
    }
    ret = mbedtls_ssl_config_defaults(&p->conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                      MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret == 0) {
        mbedtls_ssl_conf_rng(&p->conf, mbedtls_ctr_drbg_random, &p->drbg);
        ret = mbedtls_ssl_conf_own_cert(&p->conf, &p->chain, &p->key);
    }
#if defined(MBEDTLS_SSL_SERVER_NAME_INDICATION)
    mbedtls_ssl_conf_sni(&p->conf, peer_sni, p);
#endif
    if (ret != 0) {
        snprintf(err, err_cap, "peer TLS configuration failed (-0x%04x)", (unsigned)-ret);
        return -1;
    }
#if MBEDTLS_VERSION_NUMBER < 0x03000000
    if (p->cfg->tls_min_minor > 0) {
        mbedtls_ssl_conf_min_version(&p->conf, MBEDTLS_SSL_MAJOR_VERSION_3, p->cfg->tls_min_minor);
    }
    if (p->cfg->tls_max_minor > 0) {
        mbedtls_ssl_conf_max_version(&p->conf, MBEDTLS_SSL_MAJOR_VERSION_3, p->cfg->tls_max_minor);
    }
#endif
    if (p->cfg->suites != NULL) {
        mbedtls_ssl_conf_ciphersuites(&p->conf, p->cfg->suites);
    }
    return 0;
}

static void peer_tls_enter(sim_peer_t *p)
{
    int ret = mbedtls_ssl_setup(&p->ssl, &p->conf);
    if (ret != 0) {
        peer_violation(p, "peer: mbedtls_ssl_setup failed");
        peer_close(p);
        return;
    }
    mbedtls_ssl_set_bio(&p->ssl, p, peer_bio_send, peer_bio_recv, NULL);
    p->tls = true;
    p->t_tls_start = p->now;
    p->state = SIM_PS_TLS_HANDSHAKE;
}

static void peer_tls_done(sim_peer_t *p)
{
    snprintf(p->tls_version, sizeof(p->tls_version), "%s", mbedtls_ssl_get_version(&p->ssl));
    snprintf(p->tls_suite, sizeof(p->tls_suite), "%s", mbedtls_ssl_get_ciphersuite(&p->ssl));
    p->state = SIM_PS_COMMAND;
    if (p->cfg->implicit_tls) {
        p->state = SIM_PS_GREETING;
    }
}

/* The first server flight (ServerHello .. ServerHelloDone) is out once the
 * state machine waits for the client's certificate. */
static bool peer_flight_sent(const sim_peer_t *p)
{
    return SIM_SSL_STATE(&p->ssl) >= MBEDTLS_SSL_CLIENT_CERTIFICATE;
}

static void peer_handshake(sim_peer_t *p)
{
    unsigned k;
    const sim_peer_cfg_t *c = p->cfg;
    if (p->pipe->c2s.len > 0 && c->inject_after_hello != NULL && !p->hello_injected) {
        /* The attacker's bytes reach the client after it started TLS. */
        p->hello_injected = true;
        (void)sim_pipe_server_write(p->pipe, (const uint8_t *)c->inject_after_hello,
                                    strlen(c->inject_after_hello));
    }
    if (c->tls_fault == SIM_TLS_FAKE_HELLO) {
        if (p->pipe->c2s.len > 0 && !p->fake_sent) {
            uint8_t sink[1024];
            while (sim_pipe_server_read(p->pipe, sink, sizeof(sink)) > 0) {
            }
            p->fake_sent = true;
            (void)sim_pipe_server_write(p->pipe, c->fake_hello, c->fake_hello_len);
            p->state = SIM_PS_STALLED;
        }
        return;
    }
    for (k = 0; k < PEER_HS_STEPS; k++) {
        int ret;
        if (SIM_SSL_STATE(&p->ssl) == MBEDTLS_SSL_HANDSHAKE_OVER) {
            peer_tls_done(p);
            return;
        }
        if (c->tls_fault == SIM_TLS_STALL_MID && peer_flight_sent(p)) {
            p->state = SIM_PS_STALLED;
            return;
        }
        if (c->tls_fault == SIM_TLS_CLOSE_MID && peer_flight_sent(p)) {
            sim_pipe_server_close(p->pipe);
            p->state = SIM_PS_CLOSED;
            return;
        }
        ret = mbedtls_ssl_handshake_step(&p->ssl);
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
            return;
        }
        if (ret != 0) {
            p->tls_error = ret;
            sim_pipe_server_close(p->pipe);
            p->state = SIM_PS_CLOSED;
            return;
        }
    }
}

/* ------------------------------------------------------------ commands - */

static bool peer_is(const uint8_t *line, size_t len, const char *cmd)
{
    size_t n = strlen(cmd);
    size_t i;
    if (len < n) {
        return false;
    }
    for (i = 0; i < n; i++) {
        uint8_t c = line[i];
        if (c >= 'a' && c <= 'z') {
            c = (uint8_t)(c - 32u);
        }
        if (c != (uint8_t)cmd[i]) {
            return false;
        }
    }
    return true;
}

static bool peer_b64_equals(const uint8_t *b64, size_t len, const uint8_t *want, size_t want_len)
{
    uint8_t out[600];
    size_t olen = 0;
    if (mbedtls_base64_decode(out, sizeof(out), &olen, b64, len) != 0) {
        return false;
    }
    return olen == want_len && memcmp(out, want, olen) == 0;
}

static void peer_auth_plain(sim_peer_t *p, const uint8_t *b64, size_t len)
{
    uint8_t want[600];
    size_t ul = strlen(p->cfg->user);
    size_t pl = strlen(p->cfg->pass);
    want[0] = 0;
    memcpy(want + 1, p->cfg->user, ul);
    want[1 + ul] = 0;
    memcpy(want + 2 + ul, p->cfg->pass, pl);
    p->auth_step = 0;
    if (peer_b64_equals(b64, len, want, ul + pl + 2u)) {
        p->auth_ok = true;
        peer_say(p, "235 2.7.0 Authentication successful\r\n");
    } else {
        peer_say(p, "535 5.7.8 Authentication credentials invalid\r\n");
    }
}

static void peer_auth_continue(sim_peer_t *p, const uint8_t *line, size_t len)
{
    if (p->auth_step == 1) {
        peer_auth_plain(p, line, len);
    } else if (p->auth_step == 2) {
        p->auth_step =
            peer_b64_equals(line, len, (const uint8_t *)p->cfg->user, strlen(p->cfg->user)) ? 3 : 4;
        peer_say(p, "334 UGFzc3dvcmQ6\r\n");
    } else {
        bool ok = p->auth_step == 3 &&
                  peer_b64_equals(line, len, (const uint8_t *)p->cfg->pass, strlen(p->cfg->pass));
        p->auth_step = 0;
        p->auth_ok = ok;
        peer_say(p, ok ? "235 2.7.0 Authentication successful\r\n"
                       : "535 5.7.8 Authentication credentials invalid\r\n");
    }
}

static void peer_starttls(sim_peer_t *p)
{
    const sim_peer_cfg_t *c = p->cfg;
    char first[512];
    int n;
    if (p->tls) {
        peer_say(p, "503 5.5.1 TLS already active\r\n");
        return;
    }
    n = snprintf(first, sizeof(first), "%s%s", c->starttls_reply,
                 c->inject_same_write != NULL ? c->inject_same_write : "");
    peer_send(p, first, (size_t)n);
    if (c->inject_next_write != NULL) {
        peer_say(p, c->inject_next_write);
    }
    if (strncmp(c->starttls_reply, "220", 3) != 0) {
        return;
    }
    if (p->in_len > 0) {
        peer_violation(p, "client sent plaintext after STARTTLS");
        p->in_len = 0;
    }
    peer_tls_enter(p);
}

static void peer_ehlo(sim_peer_t *p)
{
    p->ehlo_count++;
    if (p->cfg->ehlo_endless) {
        p->spamming = true;
        peer_say(p, "250-mail.example.test\r\n");
        return;
    }
    peer_say(p, p->tls ? p->cfg->ehlo_tls : p->cfg->ehlo_plain);
}

static void peer_rcpt(sim_peer_t *p)
{
    const char *r = NULL;
    if (p->rcpt_idx < SMTPC_MAX_RCPT) {
        r = p->cfg->rcpt_reply[p->rcpt_idx];
    }
    p->rcpt_idx++;
    peer_say(p, r != NULL ? r : "250 2.1.5 Ok\r\n");
}

static void peer_command(sim_peer_t *p, const uint8_t *line, size_t len)
{
    if (p->auth_step == 0 && peer_is(line, len, "AUTH")) {
        p->auth_cmds++;
    }
    if (p->auth_step != 0) {
        peer_auth_continue(p, line, len);
    } else if (peer_is(line, len, "EHLO ")) {
        peer_ehlo(p);
    } else if (peer_is(line, len, "HELO ")) {
        peer_say(p, "250 mail.example.test\r\n");
    } else if (len == 8 && peer_is(line, len, "STARTTLS")) {
        peer_starttls(p);
    } else if (peer_is(line, len, "AUTH PLAIN ")) {
        peer_auth_plain(p, line + 11, len - 11u);
    } else if (len == 10 && peer_is(line, len, "AUTH PLAIN")) {
        p->auth_step = 1;
        peer_say(p, "334 \r\n");
    } else if (len == 10 && peer_is(line, len, "AUTH LOGIN")) {
        p->auth_step = 2;
        peer_say(p, "334 VXNlcm5hbWU6\r\n");
    } else if (peer_is(line, len, "MAIL FROM:")) {
        p->saw_mail = true;
        p->rcpt_idx = 0;
        peer_say(p, "250 2.1.0 Ok\r\n");
    } else if (peer_is(line, len, "RCPT TO:")) {
        peer_rcpt(p);
    } else if (len == 4 && peer_is(line, len, "DATA")) {
        p->state = SIM_PS_BODY;
        p->body_len = 0;
        peer_say(p, "354 End data with <CR><LF>.<CR><LF>\r\n");
    } else if (len == 4 && peer_is(line, len, "QUIT")) {
        p->saw_quit = true;
        peer_say(p, "221 2.0.0 Bye\r\n");
        peer_close(p);
    } else if (len == 4 && (peer_is(line, len, "RSET") || peer_is(line, len, "NOOP"))) {
        peer_say(p, "250 2.0.0 Ok\r\n");
    } else {
        peer_say(p, "500 5.5.2 Error: command not recognized\r\n");
    }
}

/* The body runs up to CRLF.CRLF (or a first line that is just "."). Bytes are
 * kept exactly as received, dot-stuffing included. Returns bytes used. */
static size_t peer_body(sim_peer_t *p, const uint8_t *d, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        if (p->body_len < SIM_BODY_CAP) {
            p->body[p->body_len++] = d[i];
        } else {
            p->body_truncated = true;
            continue;
        }
        if ((p->body_len >= 5 && memcmp(p->body + p->body_len - 5, "\r\n.\r\n", 5) == 0) ||
            (p->body_len == 3 && memcmp(p->body, ".\r\n", 3) == 0)) {
            p->body_done = true;
            p->state = SIM_PS_COMMAND;
            peer_say(p, "250 2.0.0 Ok: queued as SIM0001\r\n");
            return i + 1u;
        }
    }
    return len;
}

static void peer_consume(sim_peer_t *p, size_t n)
{
    memmove(p->in, p->in + n, p->in_len - n);
    p->in_len -= n;
}

static unsigned peer_count_lines(const sim_peer_t *p)
{
    unsigned n = 0;
    size_t i;
    for (i = 1; i < p->in_len; i++) {
        if (p->in[i - 1] == '\r' && p->in[i] == '\n') {
            n++;
        }
    }
    return n;
}

static void peer_process(sim_peer_t *p)
{
    unsigned k;
    for (k = 0; k < PEER_LINES_PER_READ; k++) {
        size_t i;
        size_t end = 0;
        unsigned waiting;
        if (p->state == SIM_PS_BODY && p->in_len > 0) {
            peer_consume(p, peer_body(p, p->in, p->in_len));
            continue;
        }
        if (p->state != SIM_PS_COMMAND) {
            return;
        }
        for (i = 0; i < p->in_len; i++) {
            if (p->in[i] == '\n') {
                if (i == 0 || p->in[i - 1] != '\r') {
                    peer_violation(p, "client sent a bare LF");
                }
                end = i + 1u;
                break;
            }
        }
        if (end == 0) {
            return;
        }
        if (end - 2u > 510u) {
            peer_violation(p, "client sent a command line over 512 octets");
        }
        waiting = peer_count_lines(p);
        if (waiting > p->max_lines_buffered) {
            p->max_lines_buffered = waiting;
        }
        {
            uint8_t line[SIM_LINE_CAP];
            size_t n = end >= 2u ? end - 2u : 0u;
            memcpy(line, p->in, n);
            peer_consume(p, end);
            peer_command(p, line, n);
        }
    }
}

/* Take in what the client sent (plaintext or TLS). */
static void peer_read(sim_peer_t *p)
{
    unsigned k;
    for (k = 0; k < PEER_READ_ROUNDS; k++) {
        size_t room = SIM_LINE_CAP - p->in_len;
        int32_t n;
        if (p->state != SIM_PS_COMMAND && p->state != SIM_PS_BODY) {
            return;
        }
        if (room == 0) {
            peer_violation(p, "client line longer than the peer's buffer");
            peer_close(p);
            return;
        }
        if (p->tls) {
            int ret = mbedtls_ssl_read(&p->ssl, p->in + p->in_len, room);
            if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
                return;
            }
            n = ret > 0 ? ret : SMTPC_ERR_NET_CLOSED;
        } else {
            n = sim_pipe_server_read(p->pipe, p->in + p->in_len, room);
            if (n > 0) {
                size_t keep = SIM_LOG_CAP - p->plain_len;
                if (keep > (size_t)n) {
                    keep = (size_t)n;
                }
                memcpy(p->plain_log + p->plain_len, p->in + p->in_len, keep);
                p->plain_len += keep;
                p->plain_truncated = p->plain_truncated || keep < (size_t)n;
            }
        }
        if (n == 0) {
            return;
        }
        if (n < 0) {
            peer_close(p);
            return;
        }
        p->in_len += (size_t)n;
        peer_process(p);
    }
}

static void peer_spam(sim_peer_t *p)
{
    static const char line[] = "250-an endless reply holds the client\r\n";
    while (p->spamming && p->state == SIM_PS_COMMAND && !p->pipe->client_closed &&
           p->pipe->s2c.len < PEER_SPAM_WINDOW && p->spam_lines < PEER_SPAM_MAX) {
        peer_send(p, line, sizeof(line) - 1u);
        p->spam_lines++;
    }
}

static void peer_greeting(sim_peer_t *p)
{
    const sim_peer_cfg_t *c = p->cfg;
    const char *g = c->greeting != NULL ? c->greeting : SIM_DEFAULT_GREETING;
    size_t len = c->greeting_len != 0 ? c->greeting_len : strlen(g);
    if (c->greeting_drip_ms == 0) {
        peer_send(p, g, len);
        p->greeted = true;
        p->state = SIM_PS_COMMAND;
        return;
    }
    if (!p->has_event) {
        p->has_event = true;
        p->next_event_ms = p->now;
    }
    if (sim_before(p->now, p->next_event_ms)) {
        return;
    }
    peer_send(p, g + p->drip_off, 1);
    p->drip_off++;
    p->next_event_ms = p->now + c->greeting_drip_ms;
    if (p->drip_off == len) {
        p->has_event = false;
        p->greeted = true;
        p->state = SIM_PS_COMMAND;
    }
}

/* ------------------------------------------------------------ API ------ */

int sim_peer_init(sim_peer_t *p, const sim_peer_cfg_t *cfg, sim_pipe_t *pipe, const char *cert_dir,
                  char *err, size_t err_cap)
{
    memset(p, 0, sizeof(*p));
    p->cfg = cfg;
    p->pipe = pipe;
    mbedtls_ssl_init(&p->ssl);
    mbedtls_ssl_config_init(&p->conf);
    mbedtls_x509_crt_init(&p->chain);
    mbedtls_pk_init(&p->key);
    mbedtls_entropy_init(&p->entropy);
    mbedtls_ctr_drbg_init(&p->drbg);
    p->tls_inited = true;
    p->state = SIM_PS_GREETING;
    if (cfg->cert != NULL && peer_tls_load(p, cert_dir, err, err_cap) != 0) {
        return -1;
    }
    return 0;
}

bool sim_peer_next_event(const sim_peer_t *p, uint32_t *at)
{
    if (!p->has_event || p->state == SIM_PS_CLOSED) {
        return false;
    }
    *at = p->next_event_ms;
    return true;
}

bool sim_peer_step(sim_peer_t *p, uint32_t now)
{
    uint64_t before = p->pipe->s_sent + p->pipe->s_recv;
    int state = p->state;
    size_t drip = p->drip_off;
    p->now = now;
    if (p->cfg->https != NULL) {
        size_t resp = p->resp_off;
        sim_https_step(p);
        return before != p->pipe->s_sent + p->pipe->s_recv || state != p->state ||
               resp != p->resp_off;
    }
    if (p->state == SIM_PS_GREETING && p->cfg->implicit_tls && !p->tls) {
        peer_tls_enter(p);
    }
    if (p->state == SIM_PS_TLS_HANDSHAKE) {
        peer_handshake(p);
    }
    if (p->state == SIM_PS_GREETING) {
        peer_greeting(p);
    }
    if (p->state == SIM_PS_COMMAND || p->state == SIM_PS_BODY) {
        peer_process(p); /* lines left over from a previous read */
        peer_read(p);
    }
    if (p->state == SIM_PS_TLS_HANDSHAKE) {
        peer_handshake(p); /* STARTTLS was just accepted */
    }
    peer_spam(p);
    if (p->state != SIM_PS_CLOSED && p->state != SIM_PS_STALLED && p->pipe->client_closed &&
        p->pipe->c2s.len == 0) {
        peer_close(p);
    }
    return before != p->pipe->s_sent + p->pipe->s_recv || state != p->state || drip != p->drip_off;
}

void sim_peer_free(sim_peer_t *p)
{
    if (!p->tls_inited) {
        return;
    }
    mbedtls_ssl_free(&p->ssl);
    mbedtls_ssl_config_free(&p->conf);
    mbedtls_x509_crt_free(&p->chain);
    mbedtls_pk_free(&p->key);
    mbedtls_ctr_drbg_free(&p->drbg);
    mbedtls_entropy_free(&p->entropy);
    p->tls_inited = false;
}

/* ------------------------------------------------------------ shared --- */

void sim_peer_tls_enter(sim_peer_t *p)
{
    peer_tls_enter(p);
}

void sim_peer_handshake(sim_peer_t *p)
{
    peer_handshake(p);
}

void sim_peer_send(sim_peer_t *p, const void *data, size_t len)
{
    peer_send(p, data, len);
}

void sim_peer_close(sim_peer_t *p)
{
    peer_close(p);
}

void sim_peer_violation(sim_peer_t *p, const char *what)
{
    peer_violation(p, what);
}
