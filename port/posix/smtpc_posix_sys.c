/* POSIX clock and random bytes for smtpc. */
#include <errno.h>
#include <sys/random.h>
#include <time.h>

#include "smtpc/err.h"
#include "smtpc_posix.h"

/* A wall clock earlier than 2020-01-01 has not been set (a device without an
 * RTC boots at 1970): report it as unknown rather than as a time that would
 * make every certificate "not yet valid". */
#define POSIX_UTC_FLOOR_S 1577836800u

/* getrandom() calls per fill before giving up; a call returns at least
 * 256 bytes unless interrupted, so this covers any sane request. */
#define POSIX_RNG_TRIES_MAX 64u

static uint32_t posix_now_ms(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        return 0;
    }
    /* Truncation to 32 bits is the intended wrap (about every 49.7 days). */
    uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    return (uint32_t)ms;
}

static uint64_t posix_utc_s(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < (time_t)POSIX_UTC_FLOOR_S) {
        return 0;
    }
    return (uint64_t)ts.tv_sec;
}

const smtpc_clock_ops_t smtpc_posix_clock_ops = {
    .now_ms = posix_now_ms,
    .utc_s = posix_utc_s,
};

static int posix_rng_fill(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    if (buf == NULL && len != 0) {
        return SMTPC_ERR_BAD_ARG;
    }
    size_t off = 0;
    for (unsigned tries = 0; off < len && tries < POSIX_RNG_TRIES_MAX; tries++) {
        ssize_t r = getrandom(buf + off, len - off, 0);
        if (r > 0) {
            off += (size_t)r;
        } else if (r < 0 && errno != EINTR && errno != EAGAIN) {
            return SMTPC_ERR_INTERNAL;
        }
    }
    return off == len ? SMTPC_OK : SMTPC_ERR_INTERNAL;
}

const smtpc_rng_ops_t smtpc_posix_rng_ops = {
    .fill = posix_rng_fill,
};
