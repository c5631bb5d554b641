/* The scripted HTTPS peer: an MTA-STS policy host (RFC 8461 §3.3) on the
 * simulator's peer and real mbedTLS server. TLS from the first byte; one
 * request is read up to its empty line and kept byte for byte (with the SNI
 * of the ClientHello, which the peer records for every TLS server); then the
 * scenario's raw response goes out, at once or dripped, and the connection
 * is closed with close_notify - or nothing is ever answered. See sim.h. */
#include <string.h>

#include "sim.h"

/* Bound of the read loop (every loop of the simulator is bounded). */
#define HTTPS_READ_ROUNDS 64u

/* Offset just past the empty line that ends the request header, or 0. */
static size_t https_header_end(const sim_peer_t *p)
{
    size_t i;
    for (i = 3; i < p->req_len; i++) {
        if (memcmp(p->req + i - 3u, "\r\n\r\n", 4) == 0) {
            return i + 1u;
        }
    }
    return 0;
}

/* Take in the request; a GET carries no body, so nothing may follow it. */
static void https_read(sim_peer_t *p)
{
    unsigned k;
    for (k = 0; k < HTTPS_READ_ROUNDS && p->state == SIM_PS_COMMAND; k++) {
        uint8_t buf[512];
        size_t keep;
        size_t end;
        int ret = mbedtls_ssl_read(&p->ssl, buf, sizeof(buf));
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
            return;
        }
        if (ret <= 0) {
            sim_peer_close(p); /* the client left (close_notify or reset) */
            return;
        }
        keep = SIM_HTTP_REQ_CAP - p->req_len;
        if (keep > (size_t)ret) {
            keep = (size_t)ret;
        }
        memcpy(p->req + p->req_len, buf, keep);
        p->req_len += keep;
        if (keep < (size_t)ret) {
            p->req_truncated = true;
            sim_peer_violation(p, "HTTP request longer than the peer's buffer");
            sim_peer_close(p);
            return;
        }
        end = https_header_end(p);
        if (end != 0u) {
            if (end != p->req_len) {
                sim_peer_violation(p, "client sent bytes after its GET request");
            }
            p->requests++;
            p->state = SIM_PS_BODY; /* answering */
        }
    }
}

static void https_respond(sim_peer_t *p)
{
    const sim_https_cfg_t *c = p->cfg->https;
    size_t len;
    if (c->response == NULL) {
        p->state = SIM_PS_STALLED; /* never answers */
        return;
    }
    len = c->response_len != 0u ? c->response_len : strlen(c->response);
    if (c->cut_at != 0u && c->cut_at < len) {
        len = c->cut_at;
    }
    if (c->drip_ms == 0u) {
        sim_peer_send(p, c->response + p->resp_off, len - p->resp_off);
        p->resp_off = len;
    } else {
        if (!p->has_event) {
            p->has_event = true;
            p->next_event_ms = p->now;
        }
        if (sim_before(p->now, p->next_event_ms)) {
            return;
        }
        sim_peer_send(p, c->response + p->resp_off, 1);
        p->resp_off++;
        p->next_event_ms = p->now + c->drip_ms;
    }
    if (p->resp_off < len) {
        return;
    }
    p->has_event = false;
    p->resp_done = true;
    if (c->abrupt_close) {
        sim_pipe_server_close(p->pipe); /* a FIN, no close_notify */
        p->state = SIM_PS_CLOSED;
    } else if (c->keep_open) {
        p->state = SIM_PS_STALLED;
    } else {
        sim_peer_close(p);
    }
}

void sim_https_step(sim_peer_t *p)
{
    if (p->state == SIM_PS_GREETING && !p->tls) {
        sim_peer_tls_enter(p);
    }
    if (p->state == SIM_PS_TLS_HANDSHAKE) {
        sim_peer_handshake(p);
    }
    if (p->state == SIM_PS_COMMAND) {
        https_read(p);
    }
    if (p->state == SIM_PS_BODY) {
        https_respond(p);
    }
    if (p->state != SIM_PS_CLOSED && p->pipe->client_closed) {
        sim_peer_close(p);
    }
}
