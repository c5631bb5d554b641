/*
 * Arena probe: how much of the static mbedTLS arena does one TLS 1.2
 * handshake need?
 *
 * One process, no sockets: an mbedTLS client and an mbedTLS server talk over
 * two in-memory byte rings. Every mbedTLS allocation of both sides comes from
 * one static arena (mbedtls_memory_buffer_alloc_init), as on a device. The
 * probe runs one handshake with an ECDSA P-256 chain and one with an RSA-2048
 * chain, the client verifying the chain and the host name, and prints the
 * arena high-water mark of each.
 *
 * The high-water mark covers client and server together, since they share the
 * arena. When built with the linker wrap (see CMakeLists.txt) the probe also
 * attributes each block to the side that allocated it and prints the
 * client-only peak, which is the figure a device running smtpc needs.
 *
 *   smtpc-arena-probe CERTDIR      (CERTDIR from tests/arena/gen.sh)
 *
 * Exit status: 0 if both handshakes succeed and the arena is empty
 * afterwards, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbedtls/ctr_drbg.h"
#include "mbedtls/entropy.h"
#include "mbedtls/error.h"
#include "mbedtls/memory_buffer_alloc.h"
#include "mbedtls/pk.h"
#include "mbedtls/platform.h"
#include "mbedtls/ssl.h"
#include "mbedtls/ssl_internal.h" /* MBEDTLS_SSL_{IN,OUT}_BUFFER_LEN (2.28) */
#include "mbedtls/version.h"
#include "mbedtls/x509_crt.h"

#if MBEDTLS_VERSION_MAJOR != 2
#error "arena_probe targets mbedTLS 2.28"
#endif
#if !defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C) || !defined(MBEDTLS_MEMORY_DEBUG)
#error "arena_probe needs MBEDTLS_MEMORY_BUFFER_ALLOC_C and MBEDTLS_MEMORY_DEBUG"
#endif

#define PROBE_ARENA_CAP (96u * 1024u)
#define PROBE_RING_CAP  4096u /* in-flight bytes per direction */
#define PROBE_PEM_CAP   8192u /* largest PEM file read */
#define PROBE_STEPS_MAX 1000  /* handshake steps per side before giving up */
#define PROBE_LIVE_MAX  2048u /* live blocks tracked for the split */
#define PROBE_HOST      "mail.example.test"

static unsigned char probe_arena[PROBE_ARENA_CAP];

/* ------------------------------------------------- per-side accounting -- */

enum { SIDE_CLIENT = 0, SIDE_SERVER = 1 };

typedef struct {
    void *ptr;
    size_t len;
    int side;
} probe_block_t;

static int acct_side = SIDE_CLIENT;
static size_t acct_cur[2];
static size_t acct_peak[2];
static int acct_overflow;

#if defined(SMTPC_PROBE_WRAP)
static probe_block_t acct_live[PROBE_LIVE_MAX];
static void *(*acct_real_calloc)(size_t, size_t);
static void (*acct_real_free)(void *);

static void *acct_calloc(size_t n, size_t size)
{
    void *p = acct_real_calloc(n, size);
    size_t i;

    if (p == NULL) {
        return NULL;
    }
    for (i = 0; i < PROBE_LIVE_MAX; i++) {
        if (acct_live[i].ptr == NULL) {
            acct_live[i].ptr = p;
            acct_live[i].len = n * size; /* the allocator rejected overflow */
            acct_live[i].side = acct_side;
            acct_cur[acct_side] += n * size;
            if (acct_cur[acct_side] > acct_peak[acct_side]) {
                acct_peak[acct_side] = acct_cur[acct_side];
            }
            return p;
        }
    }
    acct_overflow = 1;
    return p;
}

static void acct_free(void *p)
{
    size_t i;

    if (p != NULL) {
        for (i = 0; i < PROBE_LIVE_MAX; i++) {
            if (acct_live[i].ptr == p) {
                acct_cur[acct_live[i].side] -= acct_live[i].len;
                acct_live[i].ptr = NULL;
                break;
            }
        }
    }
    acct_real_free(p);
}

/* Linked with -Wl,--wrap=mbedtls_platform_set_calloc_free: the call inside
 * mbedtls_memory_buffer_alloc_init() lands here, so the arena functions are
 * kept and the accounting functions are installed in front of them. */
int __real_mbedtls_platform_set_calloc_free(void *(*c)(size_t, size_t), void (*f)(void *));
int __wrap_mbedtls_platform_set_calloc_free(void *(*c)(size_t, size_t), void (*f)(void *));
int __wrap_mbedtls_platform_set_calloc_free(void *(*c)(size_t, size_t), void (*f)(void *))
{
    acct_real_calloc = c;
    acct_real_free = f;
    return __real_mbedtls_platform_set_calloc_free(acct_calloc, acct_free);
}
#endif

static void acct_reset(void)
{
    acct_peak[SIDE_CLIENT] = acct_cur[SIDE_CLIENT];
    acct_peak[SIDE_SERVER] = acct_cur[SIDE_SERVER];
}

/* -------------------------------------------------- in-memory pipe ----- */

typedef struct {
    unsigned char buf[PROBE_RING_CAP];
    size_t head; /* next byte to read */
    size_t len;  /* bytes stored */
} probe_ring_t;

/* One end of the pipe: sends into tx, receives from rx. */
typedef struct {
    probe_ring_t *tx;
    probe_ring_t *rx;
} probe_link_t;

static int ring_send(void *ctx, const unsigned char *data, size_t len)
{
    probe_ring_t *r = ((probe_link_t *)ctx)->tx;
    size_t i;

    if (r->len == PROBE_RING_CAP) {
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    }
    if (len > PROBE_RING_CAP - r->len) {
        len = PROBE_RING_CAP - r->len;
    }
    for (i = 0; i < len; i++) {
        r->buf[(r->head + r->len + i) % PROBE_RING_CAP] = data[i];
    }
    r->len += len;
    return (int)len;
}

static int ring_recv(void *ctx, unsigned char *out, size_t cap)
{
    probe_ring_t *r = ((probe_link_t *)ctx)->rx;
    size_t i;

    if (r->len == 0) {
        return MBEDTLS_ERR_SSL_WANT_READ;
    }
    if (cap > r->len) {
        cap = r->len;
    }
    for (i = 0; i < cap; i++) {
        out[i] = r->buf[(r->head + i) % PROBE_RING_CAP];
    }
    r->head = (r->head + cap) % PROBE_RING_CAP;
    r->len -= cap;
    return (int)cap;
}

/* --------------------------------------------------------- helpers ----- */

static int probe_fail(const char *what, int ret)
{
    char msg[128];

    mbedtls_strerror(ret, msg, sizeof msg);
    fprintf(stderr, "arena probe: %s: -0x%04x %s\n", what, (unsigned)-ret, msg);
    return 1;
}

/* Reads a PEM file and parses it with NUL included, as mbedTLS requires. */
static int read_pem(const char *dir, const char *name, unsigned char *buf, size_t *len)
{
    char path[512];
    FILE *f;
    size_t n;

    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
        fprintf(stderr, "arena probe: path too long: %s/%s\n", dir, name);
        return 1;
    }
    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "arena probe: cannot open %s\n", path);
        return 1;
    }
    n = fread(buf, 1, PROBE_PEM_CAP - 1, f);
    fclose(f);
    if (n == 0 || n == PROBE_PEM_CAP - 1) {
        fprintf(stderr, "arena probe: %s empty or larger than %u B\n", path, PROBE_PEM_CAP - 2);
        return 1;
    }
    buf[n] = '\0';
    *len = n + 1;
    return 0;
}

/* ------------------------------------------------------ endpoints ----- */

typedef struct {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    mbedtls_x509_crt crt;   /* client: trust anchor; server: own chain */
    mbedtls_pk_context key; /* server only */
} probe_end_t;

/* What the smtpc client offers at run time: TLS 1.2, ECDHE, AEAD only. The
 * legacy parts of the host config (TLS 1.1, CBC, static RSA) stay unused. */
static const int client_suites[] = {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                                    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                                    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                                    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                                    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                                    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
                                    0};

static void end_init(probe_end_t *e)
{
    mbedtls_entropy_init(&e->entropy);
    mbedtls_ctr_drbg_init(&e->drbg);
    mbedtls_ssl_config_init(&e->conf);
    mbedtls_ssl_init(&e->ssl);
    mbedtls_x509_crt_init(&e->crt);
    mbedtls_pk_init(&e->key);
}

static void end_free(probe_end_t *e)
{
    mbedtls_ssl_free(&e->ssl);
    mbedtls_ssl_config_free(&e->conf);
    mbedtls_x509_crt_free(&e->crt);
    mbedtls_pk_free(&e->key);
    mbedtls_ctr_drbg_free(&e->drbg);
    mbedtls_entropy_free(&e->entropy);
}

static int end_seed(probe_end_t *e, const char *who)
{
    int ret = mbedtls_ctr_drbg_seed(&e->drbg, mbedtls_entropy_func, &e->entropy,
                                    (const unsigned char *)who, strlen(who));
    return ret != 0 ? probe_fail("ctr_drbg_seed", ret) : 0;
}

static int client_setup(probe_end_t *c, const char *dir, probe_link_t *link)
{
    static unsigned char pem[PROBE_PEM_CAP];
    size_t len;
    int ret;

    if (end_seed(c, "smtpc arena probe client") != 0 || read_pem(dir, "ca.crt", pem, &len) != 0) {
        return 1;
    }
    if ((ret = mbedtls_x509_crt_parse(&c->crt, pem, len)) != 0) {
        return probe_fail("client: parse ca.crt", ret);
    }
    ret = mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                      MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0) {
        return probe_fail("client: config_defaults", ret);
    }
    mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&c->conf, &c->crt, NULL);
    mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, &c->drbg);
    mbedtls_ssl_conf_min_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_ciphersuites(&c->conf, client_suites);
    if ((ret = mbedtls_ssl_setup(&c->ssl, &c->conf)) != 0) {
        return probe_fail("client: ssl_setup", ret);
    }
    if ((ret = mbedtls_ssl_set_hostname(&c->ssl, PROBE_HOST)) != 0) {
        return probe_fail("client: set_hostname", ret);
    }
    mbedtls_ssl_set_bio(&c->ssl, link, ring_send, ring_recv, NULL);
    return 0;
}

static int server_setup(probe_end_t *s, const char *dir, probe_link_t *link)
{
    static unsigned char pem[PROBE_PEM_CAP];
    size_t len;
    int ret;

    if (end_seed(s, "smtpc arena probe server") != 0 || read_pem(dir, "leaf.crt", pem, &len) != 0) {
        return 1;
    }
    if ((ret = mbedtls_x509_crt_parse(&s->crt, pem, len)) != 0) {
        return probe_fail("server: parse leaf.crt", ret);
    }
    if (read_pem(dir, "leaf.key", pem, &len) != 0) {
        return 1;
    }
    if ((ret = mbedtls_pk_parse_key(&s->key, pem, len, NULL, 0)) != 0) {
        return probe_fail("server: parse leaf.key", ret);
    }
    ret = mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                      MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0) {
        return probe_fail("server: config_defaults", ret);
    }
    mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random, &s->drbg);
    if ((ret = mbedtls_ssl_conf_own_cert(&s->conf, &s->crt, &s->key)) != 0) {
        return probe_fail("server: conf_own_cert", ret);
    }
    if ((ret = mbedtls_ssl_setup(&s->ssl, &s->conf)) != 0) {
        return probe_fail("server: ssl_setup", ret);
    }
    mbedtls_ssl_set_bio(&s->ssl, link, ring_send, ring_recv, NULL);
    return 0;
}

static int is_want(int ret)
{
    return ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE;
}

/* Steps both handshakes in turn until both are over. */
static int run_handshake(probe_end_t *c, probe_end_t *s)
{
    int c_done = 0;
    int s_done = 0;
    int step;
    int ret;

    for (step = 0; step < PROBE_STEPS_MAX && !(c_done && s_done); step++) {
        if (!c_done) {
            acct_side = SIDE_CLIENT;
            ret = mbedtls_ssl_handshake(&c->ssl);
            if (ret == 0) {
                c_done = 1;
            } else if (!is_want(ret)) {
                return probe_fail("client handshake", ret);
            }
        }
        if (!s_done) {
            acct_side = SIDE_SERVER;
            ret = mbedtls_ssl_handshake(&s->ssl);
            if (ret == 0) {
                s_done = 1;
            } else if (!is_want(ret)) {
                return probe_fail("server handshake", ret);
            }
        }
    }
    acct_side = SIDE_CLIENT;
    if (!(c_done && s_done)) {
        fprintf(stderr, "arena probe: handshake not over after %d steps\n", PROBE_STEPS_MAX);
        return 1;
    }
    return 0;
}

/* One SMTP-sized exchange each way proves both sides derived the same keys. */
static int exchange(probe_end_t *c, probe_end_t *s)
{
    static const unsigned char ehlo[] = "EHLO probe.example.test\r\n";
    static const unsigned char ok[] = "250 mail.example.test\r\n";
    unsigned char buf[64];
    int ret;

    acct_side = SIDE_CLIENT;
    if ((ret = mbedtls_ssl_write(&c->ssl, ehlo, sizeof ehlo - 1)) != (int)(sizeof ehlo - 1)) {
        return probe_fail("client write", ret);
    }
    acct_side = SIDE_SERVER;
    ret = mbedtls_ssl_read(&s->ssl, buf, sizeof buf);
    if (ret != (int)(sizeof ehlo - 1) || memcmp(buf, ehlo, sizeof ehlo - 1) != 0) {
        return probe_fail("server read", ret < 0 ? ret : MBEDTLS_ERR_SSL_INTERNAL_ERROR);
    }
    if ((ret = mbedtls_ssl_write(&s->ssl, ok, sizeof ok - 1)) != (int)(sizeof ok - 1)) {
        return probe_fail("server write", ret);
    }
    acct_side = SIDE_CLIENT;
    ret = mbedtls_ssl_read(&c->ssl, buf, sizeof buf);
    if (ret != (int)(sizeof ok - 1) || memcmp(buf, ok, sizeof ok - 1) != 0) {
        return probe_fail("client read", ret < 0 ? ret : MBEDTLS_ERR_SSL_INTERNAL_ERROR);
    }
    return 0;
}

typedef struct {
    const char *name;
    size_t peak;        /* arena high-water mark, both sides, payload bytes */
    size_t peak_blocks; /* most blocks live at once */
    size_t client_peak; /* client-only high-water mark (SMTPC_PROBE_WRAP) */
    size_t server_peak;
    const char *suite;
} probe_result_t;

static int run_chain(const char *certdir, probe_result_t *res)
{
    static probe_ring_t c2s;
    static probe_ring_t s2c;
    static probe_end_t cli;
    static probe_end_t srv;
    probe_link_t cli_link = {&c2s, &s2c};
    probe_link_t srv_link = {&s2c, &c2s};
    char dir[512];
    size_t used;
    size_t blocks;
    uint32_t flags;
    int ret;
    int rc = 1;

    if (snprintf(dir, sizeof dir, "%s/%s", certdir, res->name) >= (int)sizeof dir) {
        fprintf(stderr, "arena probe: certificate path too long\n");
        return 1;
    }
    memset(&c2s, 0, sizeof c2s);
    memset(&s2c, 0, sizeof s2c);
    mbedtls_memory_buffer_alloc_max_reset();
    acct_reset();
    end_init(&cli);
    end_init(&srv);

    acct_side = SIDE_CLIENT;
    if (client_setup(&cli, dir, &cli_link) != 0) {
        goto out;
    }
    acct_side = SIDE_SERVER;
    if (server_setup(&srv, dir, &srv_link) != 0) {
        goto out;
    }
    ret = run_handshake(&cli, &srv);
    flags = mbedtls_ssl_get_verify_result(&cli.ssl);
    if (ret != 0 || flags != 0) {
        char info[256];

        if (flags != 0 && flags != (uint32_t)-1) {
            mbedtls_x509_crt_verify_info(info, sizeof info, "  ", flags);
            fprintf(stderr, "arena probe: %s: verification flags 0x%x\n%s", res->name,
                    (unsigned)flags, info);
        }
        goto out;
    }
    if (exchange(&cli, &srv) != 0) {
        goto out;
    }
    res->suite = mbedtls_ssl_get_ciphersuite(&cli.ssl);
    mbedtls_memory_buffer_alloc_max_get(&res->peak, &res->peak_blocks);
    res->client_peak = acct_peak[SIDE_CLIENT];
    res->server_peak = acct_peak[SIDE_SERVER];
    rc = 0;
out:
    acct_side = SIDE_CLIENT;
    end_free(&cli);
    acct_side = SIDE_SERVER;
    end_free(&srv);
    acct_side = SIDE_CLIENT;
    mbedtls_memory_buffer_alloc_cur_get(&used, &blocks);
    if (used != 0 || blocks != 0) {
        fprintf(stderr, "arena probe: %s: %zu B in %zu blocks still allocated after free\n",
                res->name, used, blocks);
        rc = 1;
    }
    if (rc != 0) {
        fprintf(stderr, "arena probe: %s handshake FAILED\n", res->name);
    }
    return rc;
}

int main(int argc, char **argv)
{
    probe_result_t res[2] = {{"ecdsa-p256", 0, 0, 0, 0, NULL}, {"rsa-2048", 0, 0, 0, 0, NULL}};
    int rc = 0;
    size_t i;

    if (argc != 2) {
        fprintf(stderr, "usage: %s CERTDIR   (CERTDIR made by tests/arena/gen.sh)\n", argv[0]);
        return 2;
    }
    mbedtls_memory_buffer_alloc_init(probe_arena, sizeof probe_arena);

    for (i = 0; i < 2; i++) {
        rc |= run_chain(argv[1], &res[i]);
    }

    printf("mbedTLS %s, arena %u B, record buffers IN %u B (content %u), OUT %u B (content %u)\n",
           MBEDTLS_VERSION_STRING, PROBE_ARENA_CAP, (unsigned)MBEDTLS_SSL_IN_BUFFER_LEN,
           (unsigned)MBEDTLS_SSL_IN_CONTENT_LEN, (unsigned)MBEDTLS_SSL_OUT_BUFFER_LEN,
           (unsigned)MBEDTLS_SSL_OUT_CONTENT_LEN);
    printf("arena peak: %s %zu B, %s %zu B\n", res[0].name, res[0].peak, res[1].name, res[1].peak);
    for (i = 0; i < 2; i++) {
        printf("  %-10s %-45s peak %6zu B in %3zu blocks", res[i].name,
               res[i].suite != NULL ? res[i].suite : "(failed)", res[i].peak, res[i].peak_blocks);
#if defined(SMTPC_PROBE_WRAP)
        printf("; client alone %6zu B, server alone %6zu B", res[i].client_peak,
               res[i].server_peak);
#endif
        printf("\n");
    }
    printf("  (payload bytes; the allocator adds a header per block; client and server share the"
           " arena)\n");
    if (acct_overflow) {
        fprintf(stderr, "arena probe: more than %u live blocks, split incomplete\n",
                PROBE_LIVE_MAX);
        rc = 1;
    }
    mbedtls_memory_buffer_alloc_free();
    return rc != 0 ? 1 : 0;
}
