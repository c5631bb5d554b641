/* Seed generator part for a core without TLS-RPT: no TLS-RPT seeds. */
#include "gen_seeds.h"

void seeds_tlsrpt(void)
{
}
