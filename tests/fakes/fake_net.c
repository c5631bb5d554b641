/* Scripted connector: see fake_net.h. */
#include <string.h>

#include "fake_net.h"

static int fake_net_connect(void *ctx, const char *host, uint16_t port, smtpc_stream_t *out)
{
    fake_net_t *fn = (fake_net_t *)ctx;
    size_t n = strlen(host);
    fn->connect_calls++;
    if (n > SMTPC_HOSTNAME_MAX) {
        n = SMTPC_HOSTNAME_MAX;
    }
    memcpy(fn->host, host, n);
    fn->host[n] = '\0';
    fn->port = port;
    if (fn->connect_rc == SMTPC_OK) {
        *out = fake_stream_handle(fn->stream);
    }
    return fn->connect_rc;
}

static int fake_net_connect_poll(void *ctx, smtpc_stream_t *out)
{
    fake_net_t *fn = (fake_net_t *)ctx;
    fn->poll_calls++;
    if (fn->poll_pending > 0) {
        fn->poll_pending--;
        return SMTPC_IN_PROGRESS;
    }
    if (fn->poll_rc == SMTPC_OK) {
        *out = fake_stream_handle(fn->stream);
    }
    return fn->poll_rc;
}

const smtpc_net_ops_t fake_net_ops = {fake_net_connect, fake_net_connect_poll, NULL};

void fake_net_init(fake_net_t *fn, fake_stream_t *fs)
{
    memset(fn, 0, sizeof(*fn));
    fn->stream = fs;
    fn->connect_rc = SMTPC_OK;
    fn->poll_rc = SMTPC_OK;
}
