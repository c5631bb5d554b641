/* Blocking helper: drives a non-blocking smtpc client with poll(). */
#include <errno.h>
#include <poll.h>

#include "smtpc/client.h"
#include "smtpc/err.h"
#include "smtpc_posix.h"

/* Upper bound on loop iterations. Every wait ends at the client's deadline,
 * so the session deadline ends the loop long before this; the bound only
 * stops a client that keeps asking to be stepped without making progress. */
#define POSIX_STEPS_MAX 50000000u

/* Wait when the client reports no deadline: step again after this long. */
#define POSIX_IDLE_WAIT_MS 1000

static int blocking_timeout(unsigned wants, uint32_t deadline_ms)
{
    if (!(wants & SMTPC_WANT_TIMER)) {
        return POSIX_IDLE_WAIT_MS;
    }
    uint32_t now = smtpc_posix_clock_ops.now_ms(NULL);
    /* Wrap-safe: the difference of two wrapping counters, read as signed. */
    int32_t left = (int32_t)(deadline_ms - now);
    return left > 0 ? (int)left : 0;
}

static short blocking_events(const smtpc_posix_net_t *net, unsigned wants)
{
    short ev = 0;
    if (wants & SMTPC_WANT_READ) {
        ev |= POLLIN;
    }
    if (wants & SMTPC_WANT_WRITE) {
        ev |= POLLOUT;
    }
    /* A connect in progress completes as writability, whatever the client asked for. */
    if (net != NULL && net->fd >= 0 && !net->connected) {
        ev |= POLLOUT;
    }
    return ev;
}

int smtpc_posix_send_blocking(smtpc_client_t *c, const smtpc_posix_net_t *net)
{
    return smtpc_posix_run(c, net, NULL);
}

/* One engine behind step/wants/abort, so sessions and policy lookups share
 * the loop. */
typedef struct {
    int (*step)(void *e);
    unsigned (*wants)(const void *e, uint32_t *deadline_ms);
    int (*stop)(void *e);
    void *e;
} blocking_engine_t;

static int blocking_loop(const blocking_engine_t *g, const smtpc_posix_net_t *net,
                         const smtpc_posix_dns_t *dns)
{
    for (uint32_t i = 0; i < POSIX_STEPS_MAX; i++) {
        int rc = g->step(g->e);
        if (rc != SMTPC_IN_PROGRESS) {
            return rc;
        }
        uint32_t deadline_ms = 0;
        unsigned wants = g->wants(g->e, &deadline_ms);
        int timeout = blocking_timeout(wants, deadline_ms);
        int fd = smtpc_posix_net_fd(net);
        short events = blocking_events(net, wants);
        int pr;
        /* Only one socket is live at a time: the DNS query or the TCP session. */
        if (fd < 0 && smtpc_posix_dns_fd(dns) >= 0) {
            fd = smtpc_posix_dns_fd(dns);
        }
        if (fd < 0 || events == 0) {
            pr = poll(NULL, 0, timeout);
        } else {
            struct pollfd pfd = {.fd = fd, .events = events, .revents = 0};
            pr = poll(&pfd, 1, timeout);
        }
        /* Readiness, timeout and signals all mean the same here: step again,
         * and the engine decides. Any other poll() failure is unrecoverable. */
        if (pr < 0 && errno != EINTR && errno != EAGAIN) {
            break;
        }
    }
    return g->stop(g->e);
}

static int client_step_(void *e)
{
    return smtpc_client_step((smtpc_client_t *)e);
}

static unsigned client_wants_(const void *e, uint32_t *dl)
{
    return smtpc_client_wants((const smtpc_client_t *)e, dl);
}

static int client_stop_(void *e)
{
    smtpc_client_abort((smtpc_client_t *)e);
    return smtpc_client_result((smtpc_client_t *)e)->err;
}

int smtpc_posix_run(smtpc_client_t *c, const smtpc_posix_net_t *net, const smtpc_posix_dns_t *dns)
{
    if (c == NULL || net == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    blocking_engine_t g = {client_step_, client_wants_, client_stop_, c};
    return blocking_loop(&g, net, dns);
}

static int sts_step_(void *e)
{
    return smtpc_sts_step((smtpc_sts_t *)e);
}

static unsigned sts_wants_(const void *e, uint32_t *dl)
{
    return smtpc_sts_wants((const smtpc_sts_t *)e, dl);
}

static int sts_stop_(void *e)
{
    smtpc_sts_stop((smtpc_sts_t *)e);
    return SMTPC_ERR_INTERNAL;
}

int smtpc_posix_sts_run(smtpc_sts_t *s, const smtpc_posix_net_t *net, const smtpc_posix_dns_t *dns)
{
    if (s == NULL || net == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    blocking_engine_t g = {sts_step_, sts_wants_, sts_stop_, s};
    return blocking_loop(&g, net, dns);
}

static int dns_step_(void *e)
{
    return smtpc_dns_step((smtpc_dns_t *)e);
}

static unsigned dns_wants_(const void *e, uint32_t *dl)
{
    return smtpc_dns_wants((const smtpc_dns_t *)e, dl);
}

static int dns_stop_(void *e)
{
    smtpc_dns_stop((smtpc_dns_t *)e);
    return SMTPC_ERR_DNS_TIMEOUT;
}

int smtpc_posix_dns_run(smtpc_dns_t *d, const smtpc_posix_net_t *net, const smtpc_posix_dns_t *dns)
{
    if (d == NULL || dns == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    blocking_engine_t g = {dns_step_, dns_wants_, dns_stop_, d};
    return blocking_loop(&g, net, dns);
}

static int upload_step_(void *e)
{
    return smtpc_upload_step((smtpc_upload_t *)e);
}

static unsigned upload_wants_(const void *e, uint32_t *dl)
{
    return smtpc_upload_wants((const smtpc_upload_t *)e, dl);
}

static int upload_stop_(void *e)
{
    smtpc_upload_stop((smtpc_upload_t *)e);
    return SMTPC_ERR_TIMEOUT;
}

int smtpc_posix_upload_run(smtpc_upload_t *u, const smtpc_posix_net_t *net)
{
    if (u == NULL || net == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    blocking_engine_t g = {upload_step_, upload_wants_, upload_stop_, u};
    return blocking_loop(&g, net, NULL);
}
