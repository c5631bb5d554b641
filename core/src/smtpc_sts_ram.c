/* A policy store in RAM (smtpc_sts_ram_ops): for devices without flash, and
 * for tests. The flash cache implements the same ops. See smtpc/sts.h. */
#include <string.h>

#include "smtpc/sts.h"
#include "smtpc_priv.h"

static int ram_same(const char *a, const char *b)
{
    size_t i;
    for (i = 0; i < SMTPC_DNS_NAME_BUF; i++) {
        if (a[i] != b[i]) {
            return 0;
        }
        if (a[i] == '\0') {
            return 1;
        }
    }
    return 0;
}

static int ram_find(const smtpc_sts_ram_t *r, const char *domain)
{
    int i;
    for (i = 0; i < SMTPC_STS_RAM_ENTRIES; i++) {
        if (r->used[i] && ram_same(r->e[i].domain, domain)) {
            return i;
        }
    }
    return -1;
}

static int ram_get(void *ctx, const char *domain, smtpc_sts_entry_t *out)
{
    const smtpc_sts_ram_t *r = (const smtpc_sts_ram_t *)ctx;
    int i;
    if (r == NULL || domain == NULL || out == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    i = ram_find(r, domain);
    if (i < 0) {
        return SMTPC_ERR_NOT_FOUND;
    }
    *out = r->e[i];
    return SMTPC_OK;
}

/* The slot to reuse when full: an entry without a policy (back-off state
 * only) first, else the policy that expires first. */
static int ram_victim(const smtpc_sts_ram_t *r)
{
    int i;
    int best = 0;
    for (i = 0; i < SMTPC_STS_RAM_ENTRIES; i++) {
        if (!r->used[i]) {
            return i;
        }
    }
    for (i = 0; i < SMTPC_STS_RAM_ENTRIES; i++) {
        if (!r->e[i].has_policy) {
            return i;
        }
    }
    for (i = 1; i < SMTPC_STS_RAM_ENTRIES; i++) {
        if (smtpc_sts_entry_expires(&r->e[i]) < smtpc_sts_entry_expires(&r->e[best])) {
            best = i;
        }
    }
    return best;
}

static int ram_put(void *ctx, const smtpc_sts_entry_t *e)
{
    smtpc_sts_ram_t *r = (smtpc_sts_ram_t *)ctx;
    int i;
    if (r == NULL || e == NULL || e->domain[0] == '\0' ||
        smtpc_strnlen_(e->domain, sizeof(e->domain) - 1u) > sizeof(e->domain) - 1u) {
        return SMTPC_ERR_BAD_ARG;
    }
    i = ram_find(r, e->domain);
    if (i < 0) {
        i = ram_victim(r);
    }
    r->e[i] = *e;
    r->used[i] = 1;
    return SMTPC_OK;
}

static int ram_iter(void *ctx, unsigned idx, smtpc_sts_entry_t *out)
{
    const smtpc_sts_ram_t *r = (const smtpc_sts_ram_t *)ctx;
    unsigned i;
    unsigned k = 0;
    if (r == NULL || out == NULL) {
        return SMTPC_ERR_BAD_ARG;
    }
    for (i = 0; i < SMTPC_STS_RAM_ENTRIES; i++) {
        if (r->used[i] && k++ == idx) {
            *out = r->e[i];
            return SMTPC_OK;
        }
    }
    return SMTPC_ERR_NOT_FOUND;
}

const smtpc_sts_store_ops_t smtpc_sts_ram_ops = {ram_get, ram_put, ram_iter};

void smtpc_sts_ram_init(smtpc_sts_ram_t *ram)
{
    if (ram != NULL) {
        memset(ram, 0, sizeof(*ram));
    }
}
