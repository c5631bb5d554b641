/* sizeof() of smtpc's state types on the target, without running anything:
 * each figure becomes the size of a .bss symbol fp_sizeof_<name>, which
 * tools/footprint.sh reads back with `nm -S`. Compiled with the board's
 * smtpc_config.h, or with -DSMTPC_NO_USER_CONFIG for opts.h's defaults. */
#include "smtpc/smtpc.h"
#include "smtpc/cache.h"
#include "smtpc/kvs.h"
#if SMTPC_ENABLE_TLSRPT
#include "smtpc/tlsrpt.h"
#endif

#define FP_SIZEOF(name, type) char fp_sizeof_##name[sizeof(type)] __attribute__((used))

FP_SIZEOF(smtpc_client_t, smtpc_client_t);
FP_SIZEOF(smtpc_client_mem_t, smtpc_client_mem_t);
FP_SIZEOF(smtpc_kvs_t, smtpc_kvs_t);
FP_SIZEOF(smtpc_cache_t, smtpc_cache_t);
FP_SIZEOF(smtpc_sts_ram_t, smtpc_sts_ram_t);
#if SMTPC_ENABLE_TLSRPT
FP_SIZEOF(smtpc_tlsrpt_log_t, smtpc_tlsrpt_log_t);
FP_SIZEOF(smtpc_tlsrpt_report_t, smtpc_tlsrpt_report_t);
#endif
