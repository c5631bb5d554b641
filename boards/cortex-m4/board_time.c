/* Time on the Cortex-M4 board (and mbedTLS's allocator defaults, see
 * mbedtls_config.h): lwIP's sys_now() (which the lwIP port's
 * smtpc clock reads), the wall clock mbedTLS checks certificate dates
 * against (the lwIP port's, set by SNTP or an RTC), and the UTC conversion
 * mbedTLS needs (MBEDTLS_PLATFORM_GMTIME_R_ALT).
 *
 * newlib's gmtime() keeps its result in a buffer it mallocs on first use
 * (and drags in the locale and printf code); this conversion is pure
 * arithmetic on the caller's struct tm. */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "board.h"
#include "lwip/sys.h"
#include "mbedtls/platform_util.h"
#include "smtpc_lwip.h"

u32_t sys_now(void)
{
    return board_ms();
}

void *board_mbedtls_no_calloc(size_t n, size_t size)
{
    (void)n;
    (void)size;
    return NULL; /* the arena is not installed yet */
}

void board_mbedtls_no_free(void *p)
{
    (void)p;
}

time_t board_utc_time(time_t *t)
{
    time_t now = (time_t)smtpc_lwip_clock_ops.utc_s(&smtpc_lwip_clock);

    if (t != NULL) {
        *t = now;
    }
    return now;
}

/* Days since 1970-01-01 to civil date (proleptic Gregorian), valid for every
 * date a certificate can carry (years 1950..9999). */
struct tm *mbedtls_platform_gmtime_r(const mbedtls_time_t *tt, struct tm *tm_buf)
{
    int64_t t = (int64_t)*tt;
    int64_t days = t / 86400;
    int64_t secs = t % 86400;
    int64_t era, doe, yoe, doy, mp, y;
    unsigned m, d;

    if (secs < 0) {
        secs += 86400;
        days -= 1;
    }
    memset(tm_buf, 0, sizeof *tm_buf);
    tm_buf->tm_hour = (int)(secs / 3600);
    tm_buf->tm_min = (int)(secs / 60 % 60);
    tm_buf->tm_sec = (int)(secs % 60);
    tm_buf->tm_wday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday */

    days += 719468; /* shift the epoch to 0000-03-01 */
    era = (days >= 0 ? days : days - 146096) / 146097;
    doe = days - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    if (m <= 2) {
        y += 1;
    }
    tm_buf->tm_year = (int)(y - 1900);
    tm_buf->tm_mon = (int)m - 1;
    tm_buf->tm_mday = (int)d;
    {
        static const uint16_t before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        tm_buf->tm_yday = before[m - 1] + (int)d - 1 + (leap && m > 2 ? 1 : 0);
    }
    return tm_buf;
}
