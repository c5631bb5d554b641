/* File-backed NOR flash (POSIX). See smtpc_flash_file.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "smtpc_flash_file.h"

#include "smtpc/err.h"

/* Progs and erases go through this much stack at a time. */
#define FLASH_FILE_CHUNK 256u

static int file_pread(int fd, uint8_t *buf, size_t len, off_t at)
{
    while (len > 0u) {
        ssize_t n = pread(fd, buf, len, at);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return SMTPC_ERR_FLASH_IO;
        }
        buf += n;
        len -= (size_t)n;
        at += n;
    }
    return SMTPC_OK;
}

static int file_pwrite(int fd, const uint8_t *buf, size_t len, off_t at)
{
    while (len > 0u) {
        ssize_t n = pwrite(fd, buf, len, at);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return SMTPC_ERR_FLASH_IO;
        }
        buf += n;
        len -= (size_t)n;
        at += n;
    }
    return SMTPC_OK;
}

static int file_check(smtpc_flash_file_t *f, uint32_t addr, size_t len, uint32_t align)
{
    if (f->fd < 0) {
        return SMTPC_ERR_FLASH_IO;
    }
    if (addr % align != 0u || len % align != 0u || addr > f->size || len > f->size - addr) {
        f->misaligned++;
        return SMTPC_ERR_BAD_ARG;
    }
    return SMTPC_OK;
}

static int file_read(void *ctx, uint32_t addr, uint8_t *buf, size_t len)
{
    smtpc_flash_file_t *f = (smtpc_flash_file_t *)ctx;
    int rc = file_check(f, addr, len, f->ops.read_size);
    if (rc != SMTPC_OK) {
        return rc;
    }
    return file_pread(f->fd, buf, len, (off_t)addr);
}

static int file_prog(void *ctx, uint32_t addr, const uint8_t *buf, size_t len)
{
    smtpc_flash_file_t *f = (smtpc_flash_file_t *)ctx;
    uint8_t cell[FLASH_FILE_CHUNK];
    uint32_t bad = 0;
    int rc = file_check(f, addr, len, f->ops.prog_size);
    while (rc == SMTPC_OK && len > 0u) {
        size_t n = len < sizeof(cell) ? len : sizeof(cell);
        rc = file_pread(f->fd, cell, n, (off_t)addr);
        if (rc == SMTPC_OK) {
            bad += smtpc_flash_nor_merge(cell, buf, n, f->ops.erased_value);
            rc = file_pwrite(f->fd, cell, n, (off_t)addr);
        }
        buf += n;
        len -= n;
        addr += (uint32_t)n;
    }
    if (rc == SMTPC_OK && bad != 0u) {
        f->violations++;
        if (f->strict) {
            rc = SMTPC_ERR_FLASH_IO;
        }
    }
    return rc;
}

static int file_fill(int fd, uint8_t value, uint32_t at, uint32_t len)
{
    uint8_t buf[FLASH_FILE_CHUNK];
    int rc = SMTPC_OK;
    memset(buf, value, sizeof(buf));
    while (rc == SMTPC_OK && len > 0u) {
        uint32_t n = len < sizeof(buf) ? len : (uint32_t)sizeof(buf);
        rc = file_pwrite(fd, buf, n, (off_t)at);
        at += n;
        len -= n;
    }
    return rc;
}

static int file_erase(void *ctx, uint32_t sector)
{
    smtpc_flash_file_t *f = (smtpc_flash_file_t *)ctx;
    if (f->fd < 0) {
        return SMTPC_ERR_FLASH_IO;
    }
    if (sector >= f->ops.sector_count) {
        f->misaligned++;
        return SMTPC_ERR_BAD_ARG;
    }
    return file_fill(f->fd, f->ops.erased_value, sector * f->ops.sector_size, f->ops.sector_size);
}

static int file_sync(void *ctx)
{
    smtpc_flash_file_t *f = (smtpc_flash_file_t *)ctx;
    if (f->fd < 0) {
        return SMTPC_ERR_FLASH_IO;
    }
    return fsync(f->fd) == 0 ? SMTPC_OK : SMTPC_ERR_FLASH_IO;
}

int smtpc_flash_file_open(smtpc_flash_file_t *f, const char *path, const smtpc_flash_geom_t *g)
{
    struct stat st;
    int fd;
    if (f == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    memset(f, 0, sizeof(*f));
    f->fd = -1;
    if (path == NULL || g == NULL || g->read_size == 0u || g->prog_size == 0u ||
        g->sector_size == 0u || g->sector_count == 0u ||
        g->sector_count > 0xFFFFFFFFu / g->sector_size) {
        return SMTPC_ERR_BAD_ARG;
    }
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return SMTPC_ERR_FLASH_IO;
    }
    if (fstat(fd, &st) != 0) {
        close(fd);
        return SMTPC_ERR_FLASH_IO;
    }
    f->size = g->sector_size * g->sector_count;
    if (st.st_size == 0) {
        if (file_fill(fd, g->erased_value, 0, f->size) != SMTPC_OK || fsync(fd) != 0) {
            close(fd);
            return SMTPC_ERR_FLASH_IO;
        }
    } else if (st.st_size != (off_t)f->size) {
        close(fd);
        return SMTPC_ERR_BAD_ARG;
    }
    f->fd = fd;
    f->ops.read = file_read;
    f->ops.prog = file_prog;
    f->ops.erase = file_erase;
    f->ops.sync = file_sync;
    f->ops.read_size = g->read_size;
    f->ops.prog_size = g->prog_size;
    f->ops.sector_size = g->sector_size;
    f->ops.sector_count = g->sector_count;
    f->ops.erased_value = g->erased_value;
    return SMTPC_OK;
}

void smtpc_flash_file_close(smtpc_flash_file_t *f)
{
    if (f != NULL && f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
    }
}
