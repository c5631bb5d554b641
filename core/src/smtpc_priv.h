/* Internal helpers shared by core modules. Not part of the public API. */
#ifndef SMTPC_PRIV_H
#define SMTPC_PRIV_H

#include <stddef.h>
#include <stdint.h>

/** Encode @p n (1..3) bytes of @p in as four base64 characters. */
void smtpc_b64_group(const uint8_t *in, size_t n, uint8_t out[4]);

/** Length of a NUL-terminated string, at most @p max (returns max + 1 when longer). */
size_t smtpc_strnlen_(const char *s, size_t max);

#endif
