/**
 * @file fake_clock.h
 * @brief A clock the test moves by hand: now_ms() and utc_s() return the
 *        values set here; nothing reads the wall clock.
 */
#ifndef FAKE_CLOCK_H
#define FAKE_CLOCK_H

#include <stdint.h>

#include "smtpc/port.h"

/* ---------------------------------------------------------------- clock --- */

typedef struct fake_clock {
    uint32_t now_ms;
    uint64_t utc_s;
    uint32_t step_ms; /**< added after every now_ms() call (0: frozen) */
    unsigned now_calls;
} fake_clock_t;

extern const smtpc_clock_ops_t fake_clock_ops;
void fake_clock_init(fake_clock_t *clk, uint32_t now_ms);
void fake_clock_advance(fake_clock_t *clk, uint32_t ms);

#endif /* FAKE_CLOCK_H */
