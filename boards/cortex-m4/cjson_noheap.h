/* Forced into the compilation of cJSON.c for this board (-include): cJSON's
 * default allocator hooks name malloc/free/realloc, and its number printer
 * uses sprintf/sscanf, which in newlib pull in the heap (and the float
 * formatting code). Here they name the board's heap-free versions instead:
 * the allocators fail (smtpc installs arena hooks around every use of
 * cJSON), and the number functions handle the integers TLS-RPT reports
 * carry. cJSON's own source is not modified. */
#ifndef SMTPC_BOARD_CM4_CJSON_NOHEAP_H
#define SMTPC_BOARD_CM4_CJSON_NOHEAP_H

#include <stddef.h>

void *board_cjson_malloc(size_t n);
void board_cjson_free(void *p);
void *board_cjson_realloc(void *p, size_t n);
int board_cjson_sprintf(char *out, const char *fmt, ...);
int board_cjson_sscanf(const char *in, const char *fmt, ...);

#define malloc  board_cjson_malloc
#define free    board_cjson_free
#define realloc board_cjson_realloc
#define sprintf board_cjson_sprintf
#define sscanf  board_cjson_sscanf

#endif /* SMTPC_BOARD_CM4_CJSON_NOHEAP_H */
