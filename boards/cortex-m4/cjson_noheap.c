/* Heap-free stand-ins for the C library calls of cJSON (see cjson_noheap.h).
 * Numbers: only integral values within +-2^53 are printed ("%1.15g" and
 * "%1.17g" give the same digits for them); anything else makes cJSON's
 * printer fail cleanly, and smtpc_tlsrpt_render() with it. TLS-RPT
 * reports only hold counts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cjson_noheap.h"

void *board_cjson_malloc(size_t n)
{
    (void)n;
    return NULL;
}

void board_cjson_free(void *p)
{
    (void)p;
}

void *board_cjson_realloc(void *p, size_t n)
{
    (void)p;
    (void)n;
    return NULL;
}

int board_cjson_sprintf(char *out, const char *fmt, ...)
{
    va_list ap;
    char digits[20];
    int n = 0, len = 0;
    double d;
    uint64_t v;

    if (strcmp(fmt, "null") == 0) {
        memcpy(out, "null", 5);
        return 4;
    }
    if (strcmp(fmt, "%1.15g") != 0 && strcmp(fmt, "%1.17g") != 0) {
        return -1;
    }
    va_start(ap, fmt);
    d = va_arg(ap, double);
    va_end(ap);
    if (!(d > -9007199254740992.0 && d < 9007199254740992.0) || d != (double)(int64_t)d) {
        return -1;
    }
    if (d < 0) {
        out[len++] = '-';
        d = -d;
    }
    v = (uint64_t)d;
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    while (n > 0) {
        out[len++] = digits[--n];
    }
    out[len] = '\0';
    return len;
}

int board_cjson_sscanf(const char *in, const char *fmt, ...)
{
    va_list ap;
    double v = 0, sign = 1;
    int any = 0;

    if (strcmp(fmt, "%lg") != 0) {
        return 0;
    }
    if (*in == '-') {
        sign = -1;
        in++;
    }
    for (; *in >= '0' && *in <= '9'; in++, any = 1) {
        v = v * 10 + (*in - '0');
    }
    if (!any || *in != '\0') {
        return 0;
    }
    va_start(ap, fmt);
    *va_arg(ap, double *) = sign * v;
    va_end(ap);
    return 1;
}
