/* `smtpc-sim demo`: one submission session (STARTTLS, verified certificate,
 * AUTH PLAIN) with the transcript hook on, printed for people. Credentials are
 * redacted by the library itself; the message body is never printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

typedef struct {
    sim_world_t *w;
    char sline[1024];
    size_t slen;
    char tls_info[160];
} demo_t;

static void demo_print(const char *prefix, const uint8_t *data, size_t len)
{
    size_t i;
    fputs(prefix, stdout);
    for (i = 0; i < len; i++) {
        uint8_t c = data[i];
        if (c >= 0x20 && c < 0x7f) {
            putchar(c);
        } else {
            printf("\\x%02x", c);
        }
    }
    putchar('\n');
}

static void demo_server(demo_t *d, const uint8_t *data, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        if (data[i] == '\n') {
            size_t n = d->slen;
            if (n > 0 && d->sline[n - 1] == '\r') {
                n--;
            }
            demo_print("  S: ", (const uint8_t *)d->sline, n);
            d->slen = 0;
        } else if (d->slen < sizeof(d->sline)) {
            d->sline[d->slen++] = (char)data[i];
        }
    }
}

static void demo_info(demo_t *d, const uint8_t *data, size_t len)
{
    sim_world_t *w = d->w;
    if (len >= 6 && memcmp(data, "TLS up", 6) == 0) {
        /* The session as the simulated server negotiated it (the client's
         * mbedTLS context is private to the binding). */
        snprintf(d->tls_info, sizeof(d->tls_info), "%s, %s", w->peer.tls_version,
                 w->peer.tls_suite);
        printf("  * %.*s (%s)\n", (int)len, (const char *)data, d->tls_info);
    } else if (len == 9 && memcmp(data, "connected", 9) == 0) {
        printf("  * connected to %s port %u (simulated)\n", w->net.host, (unsigned)w->net.port);
    } else if (len == 11 && memcmp(data, "end of data", 11) == 0) {
        printf("  * message: %zu bytes (not shown)\n", w->body.len);
        printf("  * end of data\n");
    } else {
        demo_print("  * ", data, len);
    }
}

static void demo_trace(void *arg, smtpc_trace_dir_t dir, const uint8_t *data, size_t len)
{
    demo_t *d = (demo_t *)arg;
    if (dir == SMTPC_TRACE_CLIENT) {
        demo_print("  C: ", data, len);
    } else if (dir == SMTPC_TRACE_SERVER) {
        demo_server(d, data, len);
    } else {
        demo_info(d, data, len);
    }
}

static const char *demo_reached(uint8_t r)
{
    switch (r) {
    case SMTPC_REACHED_VERIFIED:
        return "verified (encrypted, certificate valid for the host)";
    case SMTPC_REACHED_ENCRYPTED:
        return "encrypted (certificate NOT valid for the host)";
    default:
        return "none (plaintext)";
    }
}

static void demo_result(const demo_t *d)
{
    const sim_world_t *w = d->w;
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    char line[256];
    size_t i;
    (void)smtpc_result_format(r, line, sizeof(line));
    printf("\nresult\n");
    printf("  summary      %s\n", line);
    printf("  TLS level    %s\n", demo_reached(r->tls_reached));
    if (d->tls_info[0] != '\0') {
        printf("  TLS session  %s\n", d->tls_info);
    }
    printf("  certificate  %s\n", smtpc_cert_name(r->cert));
    printf("  recipients   %u of %u accepted\n", (unsigned)r->rcpt_accepted,
           (unsigned)r->rcpt_count);
    for (i = 0; i < r->rcpt_count && i < SMTPC_MAX_RCPT; i++) {
        const smtpc_rcpt_result_t *rr = &r->rcpt[i];
        printf("    %-24s %u %u.%u.%u %s\n", w->env.to[i], (unsigned)rr->code, (unsigned)rr->enh[0],
               (unsigned)rr->enh[1], (unsigned)rr->enh[2], smtpc_strerror(rr->err));
    }
    printf("  bytes        %llu sent and %llu received on the wire (TLS records included); "
           "message %zu bytes\n",
           (unsigned long long)w->pipe.c_sent, (unsigned long long)w->pipe.c_recv, w->body.len);
    printf("  virtual time %lu ms\n", (unsigned long)(uint32_t)(w->t_end - w->t_begin));
}

int sim_demo(const char *cert_dir)
{
    sim_world_t *w = (sim_world_t *)calloc(1, sizeof(*w));
    demo_t *d = (demo_t *)calloc(1, sizeof(*d));
    char err[512];
    int rc = 1;
    if (w == NULL || d == NULL) {
        free(w);
        free(d);
        return 1;
    }
    sim_world_defaults(w);
    d->w = w;
    w->plat.trace = demo_trace;
    w->plat.trace_arg = d;
    printf("smtpc demo: the real smtpc client and mbedTLS talking to an in-process simulated\n"
           "SMTP server (scripted, real TLS with a test CA, virtual clock, no network).\n\n");
    printf("submission to %s:%u, STARTTLS required, certificate verified, AUTH PLAIN\n\n",
           w->ccfg.host, (unsigned)w->ccfg.port);
    if (sim_world_run(w, cert_dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "smtpc-sim demo: %s\n", err);
    } else {
        demo_result(d);
        rc = w->rc == SMTPC_OK ? 0 : 1;
    }
    sim_world_free(w);
    free(w);
    free(d);
    return rc;
}
