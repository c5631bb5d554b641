/* The `--cache FILE` of the CLIs (smtpc-send, smtpc-mtasts): a host file
 * behaving like NOR flash (port/flash/smtpc_flash_file.h) holding the
 * key-value store (smtpc/kvs.h) of the MTA-STS policy cache
 * (smtpc/cache.h), plus the time floor wrapped around the board clock.
 *
 * Geometry: CLI_CACHE_GEOM_DEFAULT unless `--cache-geometry
 * SECTORS:SECTOR_SIZE:PROG_SIZE` says otherwise; the read size is the
 * program size, at most 16; erased bytes are 0xFF. A file is tied to the
 * geometry it was created with (its size must match).
 *
 * The file is locked (flock, exclusive) while a CLI uses it: a second
 * process waits. Not re-entrant: one cache per process. */
#ifndef SMTPC_CLI_CACHE_H
#define SMTPC_CLI_CACHE_H

#include "smtpc/cache.h"
#include "smtpc/kvs.h"
#include "smtpc/tlsrpt.h"
#include "smtpc_flash_file.h"

#define CLI_CACHE_GEOM_DEFAULT "4:4096:16"
/* Bounds of --cache-geometry (every value inside them suits the store). */
#define CLI_CACHE_SECTORS_MIN 2u
#define CLI_CACHE_SECTORS_MAX 256u
#define CLI_CACHE_SECTOR_MIN  1024u
#define CLI_CACHE_SECTOR_MAX  65536u
#define CLI_CACHE_PROG_MAX    512u
#define CLI_CACHE_READ_MAX    16u

/* The ranges as --help prints them: whole lines, indented to the option
 * text of both CLIs. */
#define CLI_CACHE_GEOM_HELP                                                                        \
    "                         SECTORS 2..256, SECTOR_SIZE a power of two 1024..65536,\n"           \
    "                         PROG_SIZE a power of two 1..512 (reads of PROG_SIZE, at\n"           \
    "                         most 16; erased bytes 0xFF); the file's size must match\n"

typedef struct {
    const char *path;
    smtpc_flash_geom_t geom;
    smtpc_flash_file_t file;
    smtpc_kvs_t kvs;
    smtpc_cache_t cache;
    smtpc_floor_clock_t clock; /* the board clock under the time floor */
    int lock_fd;               /* holds the flock; -1 when closed */
    int is_open;
} cli_cache_t;

/* The default geometry into @p g. */
void cli_cache_geom_default(smtpc_flash_geom_t *g);

/* "SECTORS:SECTOR_SIZE:PROG_SIZE" into @p g: 0, or -1 when malformed or out
 * of bounds (then @p g is unchanged). */
int cli_cache_geom_parse(const char *s, smtpc_flash_geom_t *g);

/* "SECTORS:SECTOR_SIZE:PROG_SIZE" of @p g into @p buf. */
void cli_cache_geom_format(const smtpc_flash_geom_t *g, char *buf, size_t cap);

/* Open (create erased when absent or empty) @p path with geometry @p g, lock
 * it, mount the store, attach the cache and set up the floor clock over
 * @p inner. On failure prints `PROG: ...` on stderr and returns -1. */
int cli_cache_open(cli_cache_t *c, const char *prog, const char *path, const smtpc_flash_geom_t *g,
                   const smtpc_clock_ops_t *inner, void *inner_ctx);

/* Close the file (and drop the lock); safe twice and on a cache never opened. */
void cli_cache_close(cli_cache_t *c);

/* The common part of every flash-file option (--cache, --tlsrpt-log, --log):
 * open (create erased when absent or empty) @p path with geometry @p g,
 * holding an exclusive flock on @p *lock_fd. On failure prints
 * `PROG: OPT PATH: ...` on stderr and returns -1 (nothing left open). */
int cli_flash_open(const char *prog, const char *opt, const char *path, const smtpc_flash_geom_t *g,
                   int *lock_fd, smtpc_flash_file_t *file);

/* Close what cli_flash_open() opened; safe twice. */
void cli_flash_close(int *lock_fd, smtpc_flash_file_t *file);

#if SMTPC_ENABLE_TLSRPT
/* The TLS-RPT compact log on a flash file (`smtpc-send --tlsrpt-log FILE`,
 * `smtpc-tlsrpt --log FILE`): same geometry rules and locking as --cache. */
typedef struct {
    const char *path;
    smtpc_flash_file_t file;
    smtpc_tlsrpt_log_t log;
    int lock_fd;
    int is_open;
} cli_rptlog_t;

/* Open and mount; dates events with @p clock. -1 (message printed) on failure. */
int cli_rptlog_open(cli_rptlog_t *l, const char *prog, const char *opt, const char *path,
                    const smtpc_flash_geom_t *g, const smtpc_clock_ops_t *clock, void *clock_ctx);

/* Flush the batched successes and close; safe twice. Returns the flush's
 * smtpc error code (SMTPC_OK when there was nothing to do). */
int cli_rptlog_close(cli_rptlog_t *l);
#endif

#endif /* SMTPC_CLI_CACHE_H */
