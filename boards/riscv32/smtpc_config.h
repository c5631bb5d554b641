/* smtpc configuration for the RV32IMAC board: compile and size check of the
 * core with the same tight settings as the Cortex-M4 board, so the two
 * columns of tools/footprint.sh compare instruction sets, not options. */
#ifndef SMTPC_CONFIG_RISCV32_H
#define SMTPC_CONFIG_RISCV32_H

/* No C library on this toolchain: cJSON (which needs one) stays out, so the
 * TLS-RPT JSON renderer does too; the rest of TLS-RPT is plain core code. */
#define SMTPC_ENABLE_TLSRPT_JSON 0

#include "../cortex-m4/smtpc_config.h"

#endif /* SMTPC_CONFIG_RISCV32_H */
