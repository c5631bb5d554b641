/* A hand-moved clock: see fake_clock.h. */
#include "fake_clock.h"

static uint32_t fake_clock_now_ms(void *ctx)
{
    fake_clock_t *clk = (fake_clock_t *)ctx;
    uint32_t now = clk->now_ms;
    clk->now_calls++;
    clk->now_ms += clk->step_ms;
    return now;
}

static uint64_t fake_clock_utc_s(void *ctx)
{
    return ((fake_clock_t *)ctx)->utc_s;
}

const smtpc_clock_ops_t fake_clock_ops = {fake_clock_now_ms, fake_clock_utc_s};

void fake_clock_init(fake_clock_t *clk, uint32_t now_ms)
{
    clk->now_ms = now_ms;
    clk->utc_s = 1767225600u; /* 2026-01-01T00:00:00Z */
    clk->step_ms = 0;
    clk->now_calls = 0;
}

void fake_clock_advance(fake_clock_t *clk, uint32_t ms)
{
    clk->now_ms += ms;
}
