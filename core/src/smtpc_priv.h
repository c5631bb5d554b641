/* Internal helpers shared by core modules. Not part of the public API. */
#ifndef SMTPC_PRIV_H
#define SMTPC_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "smtpc/port.h"

/** Encode @p n (1..3) bytes of @p in as four base64 characters. */
void smtpc_b64_group(const uint8_t *in, size_t n, uint8_t out[4]);

/** Length of a NUL-terminated string, at most @p max (returns max + 1 when longer). */
size_t smtpc_strnlen_(const char *s, size_t max);

/** One transcript note "<prefix><a><b>" (b may be NULL), cut at 112 bytes;
 *  nothing when @p fn is NULL. */
void smtpc_note_(smtpc_trace_fn fn, void *arg, const char *prefix, const char *a, const char *b);

/* ASCII character classes and case folding (no locale, no libc). */
static inline int smtpc_is_alpha_(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int smtpc_is_digit_(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static inline int smtpc_is_alnum_(uint8_t c)
{
    return smtpc_is_alpha_(c) || smtpc_is_digit_(c);
}

/** SP or HTAB (RFC 5234 WSP). */
static inline int smtpc_is_wsp_(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static inline uint8_t smtpc_lower_(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32u) : c;
}

#endif
