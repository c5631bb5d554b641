/* Shared by the parts of the seed generator. */
#ifndef SMTPC_FUZZ_GEN_SEEDS_H
#define SMTPC_FUZZ_GEN_SEEDS_H

#include <stddef.h>

/* Write OUTDIR/<target>/<name>. */
void put_file(const char *target, const char *name, const void *p, size_t n);

/* The TLS-RPT seeds (gen_seeds_tlsrpt.c, or nothing: gen_seeds_none.c). */
void seeds_tlsrpt(void);

#endif
