/* lwIP port of smtpc: clock from sys_now() and random bytes from the board's
 * entropy source, shared by the raw and the sockets variants. */
#include <string.h>

#include "lwip/sys.h"

#include "smtpc/err.h"
#include "smtpc_lwip.h"

/* ------------------------------------------------------------ clock --- */

smtpc_lwip_clock_t smtpc_lwip_clock;

/* sys_now() wraps every 49.7 days; the extension keeps the wall clock right
 * across the wrap as long as the clock is read at least once per wrap (every
 * session and every SNTP update does). */
static uint64_t clock_ext_ms(smtpc_lwip_clock_t *c)
{
    uint32_t now = sys_now();
    c->ms += (uint32_t)(now - c->last);
    c->last = now;
    return c->ms;
}

static uint32_t clock_now_ms(void *ctx)
{
    (void)ctx;
    return sys_now();
}

static uint64_t clock_utc_s(void *ctx)
{
    smtpc_lwip_clock_t *c = ctx != NULL ? ctx : &smtpc_lwip_clock;
    uint64_t ms = clock_ext_ms(c);
    if (c->utc_base == 0u) {
        return 0;
    }
    return c->utc_base + (ms - c->utc_at_ms) / 1000u;
}

const smtpc_clock_ops_t smtpc_lwip_clock_ops = {
    .now_ms = clock_now_ms,
    .utc_s = clock_utc_s,
};

void smtpc_lwip_clock_set_utc(smtpc_lwip_clock_t *clk, uint64_t unix_s)
{
    if (clk == NULL) {
        return;
    }
    clk->utc_at_ms = clock_ext_ms(clk);
    clk->utc_base = unix_s;
}

void smtpc_lwip_sntp_set_time(uint32_t sec)
{
    /* SNTP gives seconds since 1970 (lwIP converts from the NTP era). */
    smtpc_lwip_clock_set_utc(&smtpc_lwip_clock, sec);
}

/* ----------------------------------------------------------- random --- */

/* The rng behind LWIP_RAND(): the first one initialised. */
static smtpc_lwip_rng_t *rng_default;

void smtpc_lwip_rng_init(smtpc_lwip_rng_t *r, smtpc_lwip_entropy_fn source, void *arg)
{
    if (r == NULL) {
        return;
    }
    r->source = source;
    r->arg = arg;
    if (rng_default == NULL) {
        rng_default = r;
    }
}

static int rng_fill(void *ctx, uint8_t *buf, size_t len)
{
    smtpc_lwip_rng_t *r = ctx;
    if (r == NULL || r->source == NULL || (buf == NULL && len != 0u)) {
        return SMTPC_ERR_BAD_ARG;
    }
    return r->source(r->arg, buf, len);
}

const smtpc_rng_ops_t smtpc_lwip_rng_ops = {
    .fill = rng_fill,
};

uint32_t smtpc_lwip_rand(void)
{
    uint8_t b[4] = {0, 0, 0, 0};
    if (rng_default == NULL || rng_fill(rng_default, b, sizeof b) != SMTPC_OK) {
        return 0;
    }
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
