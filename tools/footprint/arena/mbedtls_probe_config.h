/* mbedTLS configuration of the arena probe run by tools/footprint.sh: the
 * Cortex-M4 board's client configuration, plus what the probe's in-process
 * server and its host environment need. The server's allocations are
 * accounted separately by the probe, so the client figure is the device's. */
#ifndef SMTPC_FP_PROBE_MBEDTLS_CONFIG_H
#define SMTPC_FP_PROBE_MBEDTLS_CONFIG_H

#include "../../../boards/cortex-m4/mbedtls_config.h"

/* Host services instead of the board's. */
#undef MBEDTLS_PLATFORM_TIME_MACRO
#undef MBEDTLS_PLATFORM_GMTIME_R_ALT
#undef MBEDTLS_NO_PLATFORM_ENTROPY
#undef MBEDTLS_PLATFORM_STD_CALLOC
#undef MBEDTLS_PLATFORM_STD_FREE

/* The probe's server side, PEM test files, error strings, arena counters. */
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_ERROR_C
#define MBEDTLS_MEMORY_DEBUG

#endif /* SMTPC_FP_PROBE_MBEDTLS_CONFIG_H */
