/**
 * @file idna.h
 * @brief Domain names to A-label form: RFC 3492 Punycode with the IDNA
 *        "xn--" prefix (RFC 5890/5891), for MTA-STS policy domains, DNS
 *        queries and certificate names.
 *
 * smtpc does not carry Unicode tables: the input is expected to be in
 * U-label form already (NFC, lower case where case exists), as a mail
 * system that accepted the address with SMTPUTF8 holds it. What is checked:
 * well-formed UTF-8 (no overlong forms, no surrogates, nothing above
 * U+10FFFF, no truncated sequences or stray continuation bytes, no C0/C1
 * controls or DEL), label lengths (1..63 octets after conversion, so no
 * empty label: no leading dot, no ".."), the name length (at most 253 octets
 * without a trailing dot), and that an ASCII label is letters, digits, '-'
 * and '_'. ASCII letters are lower-cased, one trailing dot is dropped. An
 * ASCII label that already starts with "xn--" is passed through
 * (lower-cased) unchanged; it is not decoded or checked further.
 *
 * A label with any non-ASCII code point is converted to "xn--" + Punycode
 * (its ASCII letters lower-cased first). Such a label must follow the
 * IDNA2008 hyphen rules of RFC 5891 §4.2.3.1 in its Unicode form: no '-' at
 * its start or end, and not '-' in both the 3rd and 4th positions; its ASCII
 * code points must be letters, digits or '-' ('_' is not allowed in a
 * U-label). Pure-ASCII labels are DNS names as they are, so neither hyphen
 * rule applies to them (e.g. "r3---sn-x" is accepted).
 *
 * The ideographic full stop U+3002, the fullwidth full stop U+FF0E and the
 * halfwidth ideographic full stop U+FF61 separate labels exactly like '.'
 * (as RFC 3490 §3.1 did and UTS #46 does): they are output as '.', never
 * encoded inside a label, and one of them at the end is the one trailing
 * dot that is dropped.
 *
 * Pure code: no I/O, no allocation; any context.
 */
#ifndef SMTPC_IDNA_H
#define SMTPC_IDNA_H

#include <stddef.h>
#include <stdint.h>

#include "smtpc/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Convert a domain name (UTF-8, @p len octets, need not be
 * NUL-terminated) into its A-label form in @p out (NUL-terminated).
 *
 * A name that is not valid gives ::SMTPC_ERR_BAD_ADDRESS whatever @p cap is;
 * ::SMTPC_ERR_NO_SPACE is only returned for a valid name. The output needs
 * at most 254 octets (253 and the NUL). On any error, @p out holds the empty
 * string when @p cap > 0 and @p out_len is not written.
 * @return ::SMTPC_OK with @p out_len (without the NUL), ::SMTPC_ERR_BAD_ADDRESS
 *         for a name that is not a valid domain (see above),
 *         ::SMTPC_ERR_NO_SPACE when @p cap is too small, or
 *         ::SMTPC_ERR_BAD_ARG when @p in, @p out or @p out_len is NULL.
 */
int smtpc_idna_to_ascii(const char *in, size_t len, char *out, size_t cap, size_t *out_len);

/**
 * @brief Punycode-encode one label (RFC 3492 §6.3) of code points
 * @p cp[0..n) into @p out (no prefix, not NUL-terminated).
 *
 * Code points are taken as they are: any 32-bit value is encoded (checking
 * that they are Unicode scalar values is the caller's job, as
 * smtpc_idna_to_ascii() does); the output is lower case, basic code points
 * are copied as they are. @p cp may be NULL when @p n is 0, @p out when
 * @p cap is 0.
 * @return ::SMTPC_OK with @p out_len, ::SMTPC_ERR_NO_SPACE, or
 *         ::SMTPC_ERR_BAD_ADDRESS on overflow of the RFC's integer arithmetic
 *         (32-bit, §6.4), or ::SMTPC_ERR_BAD_ARG for a NULL pointer that
 *         is needed. @p out_len is only written on success.
 */
int smtpc_punycode_encode(const uint32_t *cp, size_t n, char *out, size_t cap, size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif /* SMTPC_IDNA_H */
