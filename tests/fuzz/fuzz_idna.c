/* Fuzz target: domain names to A-labels and Punycode (smtpc_idna.c).
 *
 * Input: byte 0 selects the output capacity for a second conversion; the
 * rest is the name (UTF-8, not NUL-terminated).
 * Invariants: on success the output is NUL-terminated at out_len, at most
 * 253 bytes, only lower-case letters, digits, '-', '_' and '.', with labels
 * of 1..63 bytes, no leading or trailing dot; converting it again gives the
 * same name (A-labels pass through); a smaller buffer gives NO_SPACE only
 * for a valid name, and the same result whenever it is large enough; on
 * error the output is the empty string. The same bytes taken as 32-bit
 * code points go through the Punycode encoder, whose output is bounded and
 * lower-case basic code points. */
#include <string.h>

#include "smtpc/idna.h"

#include "fuzz_common.h"

static void check_name(const char *out, size_t len)
{
    size_t i, label = 0;
    FUZZ_CHECK(len >= 1 && len <= 253);
    FUZZ_CHECK(strlen(out) == len);
    FUZZ_CHECK(out[0] != '.' && out[len - 1] != '.');
    for (i = 0; i < len; i++) {
        char c = out[i];
        if (c == '.') {
            FUZZ_CHECK(label >= 1);
            label = 0;
            continue;
        }
        FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_');
        label++;
        FUZZ_CHECK(label <= 63);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[300], out2[300], small[300];
    size_t len = 12345, len2 = 0, cap_small;
    int rc, rc2;
    if (size < 1) {
        return 0;
    }
    cap_small = data[0] % 260u;
    data++;
    size--;

    memset(out, 'Z', sizeof(out));
    rc = smtpc_idna_to_ascii((const char *)data, size, out, sizeof(out), &len);
    if (rc == SMTPC_OK) {
        check_name(out, len);
        rc2 = smtpc_idna_to_ascii(out, len, out2, sizeof(out2), &len2);
        FUZZ_CHECK(rc2 == SMTPC_OK && len2 == len && memcmp(out, out2, len + 1u) == 0);
    } else {
        FUZZ_CHECK(rc == SMTPC_ERR_BAD_ADDRESS);
        FUZZ_CHECK(out[0] == '\0');
        FUZZ_CHECK(len == 12345);
    }

    memset(small, 'Z', sizeof(small));
    len2 = 54321;
    rc2 = smtpc_idna_to_ascii((const char *)data, size, small, cap_small, &len2);
    if (rc != SMTPC_OK) {
        FUZZ_CHECK(rc2 == rc);
    } else if (cap_small > len) {
        FUZZ_CHECK(rc2 == SMTPC_OK && len2 == len && memcmp(small, out, len + 1u) == 0);
    } else {
        FUZZ_CHECK(rc2 == SMTPC_ERR_NO_SPACE);
        FUZZ_CHECK(len2 == 54321);
    }
    if (rc2 != SMTPC_OK && cap_small > 0) {
        FUZZ_CHECK(small[0] == '\0');
    }
    FUZZ_CHECK(cap_small >= sizeof(small) || small[cap_small] == 'Z'); /* no write past cap */

    /* Punycode over the raw bytes as code points (any 32-bit value). */
    {
        uint32_t cp[64];
        size_t n = size / 4u, i;
        char pc[512];
        size_t plen = 0;
        if (n > 64) {
            n = 64;
        }
        for (i = 0; i < n; i++) {
            memcpy(&cp[i], data + 4u * i, 4);
        }
        rc = smtpc_punycode_encode(cp, n, pc, sizeof(pc), &plen);
        if (rc == SMTPC_OK) {
            FUZZ_CHECK(plen <= sizeof(pc));
            for (i = 0; i < plen; i++) {
                FUZZ_CHECK((uint8_t)pc[i] < 0x80u);
            }
        } else {
            FUZZ_CHECK(rc == SMTPC_ERR_NO_SPACE || rc == SMTPC_ERR_BAD_ADDRESS);
        }
    }
    return 0;
}
