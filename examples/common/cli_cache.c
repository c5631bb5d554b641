/* The `--cache FILE` of the CLIs. See cli_cache.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_cache.h"

#include "smtpc/err.h"

void cli_cache_geom_default(smtpc_flash_geom_t *g)
{
    /* Keep in step with CLI_CACHE_GEOM_DEFAULT. */
    g->sector_count = 4;
    g->sector_size = 4096;
    g->prog_size = 16;
    g->read_size = 16;
    g->erased_value = 0xFF;
}

static int is_pow2(unsigned long v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

/* A decimal number ending at @p end (':' or NUL); advances *s past it. */
static int geom_num(const char **s, char end, unsigned long *out)
{
    const char *p = *s;
    unsigned long v = 0;
    if (*p < '0' || *p > '9') {
        return -1;
    }
    while (*p >= '0' && *p <= '9') {
        if (v > 100000000ul) {
            return -1;
        }
        v = v * 10 + (unsigned long)(*p - '0');
        p++;
    }
    if (*p != end) {
        return -1;
    }
    *s = end != '\0' ? p + 1 : p;
    *out = v;
    return 0;
}

int cli_cache_geom_parse(const char *s, smtpc_flash_geom_t *g)
{
    unsigned long n, size, prog;
    if (s == NULL || geom_num(&s, ':', &n) != 0 || geom_num(&s, ':', &size) != 0 ||
        geom_num(&s, '\0', &prog) != 0) {
        return -1;
    }
    if (n < CLI_CACHE_SECTORS_MIN || n > CLI_CACHE_SECTORS_MAX || !is_pow2(size) ||
        size < CLI_CACHE_SECTOR_MIN || size > CLI_CACHE_SECTOR_MAX || !is_pow2(prog) ||
        prog > CLI_CACHE_PROG_MAX) {
        return -1;
    }
    g->sector_count = (uint32_t)n;
    g->sector_size = (uint32_t)size;
    g->prog_size = (uint32_t)prog;
    g->read_size = (uint32_t)(prog < CLI_CACHE_READ_MAX ? prog : CLI_CACHE_READ_MAX);
    g->erased_value = 0xFF;
    return 0;
}

void cli_cache_geom_format(const smtpc_flash_geom_t *g, char *buf, size_t cap)
{
    snprintf(buf, cap, "%lu:%lu:%lu", (unsigned long)g->sector_count, (unsigned long)g->sector_size,
             (unsigned long)g->prog_size);
}

int cli_flash_open(const char *prog, const char *opt, const char *path, const smtpc_flash_geom_t *g,
                   int *lock_fd, smtpc_flash_file_t *file)
{
    struct stat st;
    char geom[48];
    unsigned long want = (unsigned long)g->sector_count * (unsigned long)g->sector_size;
    int rc;
    *lock_fd = -1;
    file->fd = -1;
    cli_cache_geom_format(g, geom, sizeof geom);
    /* A descriptor of our own holds the lock across the flash backend's
     * open, so a second process never sees a half-created file. */
    *lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*lock_fd < 0) {
        fprintf(stderr, "%s: %s %s: %s\n", prog, opt, path, strerror(errno));
        return -1;
    }
    while ((rc = flock(*lock_fd, LOCK_EX)) != 0 && errno == EINTR) {
    }
    if (rc != 0 || fstat(*lock_fd, &st) != 0) {
        fprintf(stderr, "%s: %s %s: %s\n", prog, opt, path, strerror(errno));
        cli_flash_close(lock_fd, file);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "%s: %s %s: not a regular file\n", prog, opt, path);
        cli_flash_close(lock_fd, file);
        return -1;
    }
    if (st.st_size != 0 && (unsigned long long)st.st_size != (unsigned long long)want) {
        fprintf(stderr,
                "%s: %s %s: the file has %lld bytes but geometry %s needs %lu: give the "
                "geometry it was created with (or remove the file)\n",
                prog, opt, path, (long long)st.st_size, geom, want);
        cli_flash_close(lock_fd, file);
        return -1;
    }
    errno = 0;
    rc = smtpc_flash_file_open(file, path, g);
    if (rc != SMTPC_OK) {
        fprintf(stderr, "%s: %s %s: cannot open as flash (%s%s%s)\n", prog, opt, path,
                smtpc_strerror(rc), errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
        cli_flash_close(lock_fd, file);
        return -1;
    }
    return 0;
}

void cli_flash_close(int *lock_fd, smtpc_flash_file_t *file)
{
    if (file->fd >= 0) {
        smtpc_flash_file_close(file);
    }
    if (*lock_fd >= 0) {
        close(*lock_fd); /* drops the lock */
        *lock_fd = -1;
    }
}

int cli_cache_open(cli_cache_t *c, const char *prog, const char *path, const smtpc_flash_geom_t *g,
                   const smtpc_clock_ops_t *inner, void *inner_ctx)
{
    char geom[48];
    int rc;
    memset(c, 0, sizeof *c);
    c->path = path;
    c->geom = *g;
    if (cli_flash_open(prog, "--cache", path, g, &c->lock_fd, &c->file) != 0) {
        return -1;
    }
    cli_cache_geom_format(g, geom, sizeof geom);
    rc = smtpc_kvs_mount(&c->kvs, &c->file.ops, &c->file);
    if (rc == SMTPC_OK) {
        rc = smtpc_cache_init(&c->cache, &c->kvs);
    }
    if (rc != SMTPC_OK) {
        fprintf(stderr, "%s: --cache %s: cannot mount the store with geometry %s (%s)\n", prog,
                path, geom, smtpc_strerror(rc));
        cli_cache_close(c);
        return -1;
    }
    c->clock.inner = inner;
    c->clock.inner_ctx = inner_ctx;
    c->clock.cache = &c->cache;
    c->is_open = 1;
    return 0;
}

void cli_cache_close(cli_cache_t *c)
{
    if (c == NULL || c->path == NULL) {
        return; /* never opened (a zeroed struct) */
    }
    cli_flash_close(&c->lock_fd, &c->file);
    c->is_open = 0;
}

#if SMTPC_ENABLE_TLSRPT
int cli_rptlog_open(cli_rptlog_t *l, const char *prog, const char *opt, const char *path,
                    const smtpc_flash_geom_t *g, const smtpc_clock_ops_t *clock, void *clock_ctx)
{
    char geom[48];
    int rc;
    memset(l, 0, sizeof *l);
    l->path = path;
    if (cli_flash_open(prog, opt, path, g, &l->lock_fd, &l->file) != 0) {
        return -1;
    }
    rc = smtpc_tlsrpt_log_mount(&l->log, &l->file.ops, &l->file, clock, clock_ctx);
    if (rc != SMTPC_OK) {
        cli_cache_geom_format(g, geom, sizeof geom);
        fprintf(stderr, "%s: %s %s: cannot mount the log with geometry %s (%s)\n", prog, opt, path,
                geom, smtpc_strerror(rc));
        cli_flash_close(&l->lock_fd, &l->file);
        return -1;
    }
    l->is_open = 1;
    return 0;
}

int cli_rptlog_close(cli_rptlog_t *l)
{
    int rc = SMTPC_OK;
    if (l == NULL || l->path == NULL) {
        return SMTPC_OK;
    }
    if (l->is_open) {
        rc = smtpc_tlsrpt_log_flush(&l->log);
    }
    cli_flash_close(&l->lock_fd, &l->file);
    l->is_open = 0;
    return rc;
}
#endif
