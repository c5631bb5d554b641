/* Base64 (RFC 4648 §4) encoding of one group of up to 3 bytes. The SMTP engine
 * streams AUTH payloads through it straight into the transmit buffer, so no
 * buffer ever holds the whole encoded credential. */
#include "smtpc_priv.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void smtpc_b64_group(const uint8_t *in, size_t n, uint8_t out[4])
{
    uint32_t v = 0;
    size_t i;
    for (i = 0; i < 3; i++) {
        v = (v << 8) | (i < n ? in[i] : 0u);
    }
    out[0] = (uint8_t)b64_alphabet[(v >> 18) & 0x3fu];
    out[1] = (uint8_t)b64_alphabet[(v >> 12) & 0x3fu];
    out[2] = n > 1 ? (uint8_t)b64_alphabet[(v >> 6) & 0x3fu] : (uint8_t)'=';
    out[3] = n > 2 ? (uint8_t)b64_alphabet[v & 0x3fu] : (uint8_t)'=';
}
