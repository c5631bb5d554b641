/* `smtpc-sim demo`: direct-to-MX delivery with MTA-STS enforced, printed for
 * people: the transcript (DNS, policy fetch, SMTP), the result with the
 * policy and per-MX verdicts, the policy cache, the TLS events the TLS-RPT
 * hook received; then a second delivery under a DNS spoofing attack that the
 * cached policy defeats. `smtpc-sim demo-submission`: one submission session
 * (STARTTLS, verified certificate, AUTH PLAIN). Credentials are redacted by
 * the library itself; the message body is never printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"
#include "smtpc/cache.h"
#include "smtpc/tlsrpt.h"
#include "smtpc_flash_file.h"
#include "smtpc_flash_ram.h"
#if SMTPC_ENABLE_TLSRPT_JSON
#include <cjson/cJSON.h>
#endif

typedef struct {
    sim_world_t *w;
    char sline[1024];
    size_t slen;
    char tls_info[160];
} demo_t;

static void demo_print(const char *prefix, const uint8_t *data, size_t len)
{
    size_t i;
    fputs(prefix, stdout);
    for (i = 0; i < len; i++) {
        uint8_t c = data[i];
        if (c >= 0x20 && c < 0x7f) {
            putchar(c);
        } else {
            printf("\\x%02x", c);
        }
    }
    putchar('\n');
}

static void demo_server(demo_t *d, const uint8_t *data, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        if (data[i] == '\n') {
            size_t n = d->slen;
            if (n > 0 && d->sline[n - 1] == '\r') {
                n--;
            }
            demo_print("  S: ", (const uint8_t *)d->sline, n);
            d->slen = 0;
        } else if (d->slen < sizeof(d->sline)) {
            d->sline[d->slen++] = (char)data[i];
        }
    }
}

static void demo_info(demo_t *d, const uint8_t *data, size_t len)
{
    sim_world_t *w = d->w;
    if (len >= 6 && memcmp(data, "TLS up", 6) == 0) {
        /* The session as the simulated server negotiated it (the client's
         * mbedTLS context is private to the binding). */
        const sim_host_t *h = sim_world_host(w, w->net.host);
        const sim_peer_t *p = h != NULL ? &h->peer : &w->peer;
        snprintf(d->tls_info, sizeof(d->tls_info), "%s, %s", p->tls_version, p->tls_suite);
        printf("  * %.*s (%s)\n", (int)len, (const char *)data, d->tls_info);
    } else if (len == 9 && memcmp(data, "connected", 9) == 0) {
        printf("  * connected to %s port %u (simulated)\n", w->net.host, (unsigned)w->net.port);
    } else if (len == 11 && memcmp(data, "end of data", 11) == 0) {
        printf("  * message: %zu bytes (not shown)\n", w->body.len);
        printf("  * end of data\n");
    } else {
        demo_print("  * ", data, len);
    }
}

static void demo_trace(void *arg, smtpc_trace_dir_t dir, const uint8_t *data, size_t len)
{
    demo_t *d = (demo_t *)arg;
    if (dir == SMTPC_TRACE_CLIENT) {
        demo_print("  C: ", data, len);
    } else if (dir == SMTPC_TRACE_SERVER) {
        demo_server(d, data, len);
    } else {
        demo_info(d, data, len);
    }
}

static const char *demo_reached(uint8_t r)
{
    switch (r) {
    case SMTPC_REACHED_VERIFIED:
        return "verified (encrypted, certificate valid for the host)";
    case SMTPC_REACHED_ENCRYPTED:
        return "encrypted (certificate NOT valid for the host)";
    default:
        return "none (plaintext)";
    }
}

static void demo_result(const demo_t *d)
{
    const sim_world_t *w = d->w;
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    char line[256];
    size_t i;
    (void)smtpc_result_format(r, line, sizeof(line));
    printf("\nresult\n");
    printf("  summary      %s\n", line);
    printf("  TLS level    %s\n", demo_reached(r->tls_reached));
    if (d->tls_info[0] != '\0') {
        printf("  TLS session  %s\n", d->tls_info);
    }
    printf("  certificate  %s\n", smtpc_cert_name(r->cert));
    printf("  recipients   %u of %u accepted\n", (unsigned)r->rcpt_accepted,
           (unsigned)r->rcpt_count);
    for (i = 0; i < r->rcpt_count && i < SMTPC_MAX_RCPT; i++) {
        const smtpc_rcpt_result_t *rr = &r->rcpt[i];
        printf("    %-24s %u %u.%u.%u %s\n", w->env.to[i], (unsigned)rr->code, (unsigned)rr->enh[0],
               (unsigned)rr->enh[1], (unsigned)rr->enh[2], smtpc_strerror(rr->err));
    }
    printf("  bytes        %llu sent and %llu received on the wire (TLS records included); "
           "message %zu bytes\n",
           (unsigned long long)w->pipe.c_sent, (unsigned long long)w->pipe.c_recv, w->body.len);
    printf("  virtual time %lu ms\n", (unsigned long)(uint32_t)(w->t_end - w->t_begin));
}

int sim_demo_submission(const char *cert_dir)
{
    sim_world_t *w = (sim_world_t *)calloc(1, sizeof(*w));
    demo_t *d = (demo_t *)calloc(1, sizeof(*d));
    char err[512];
    int rc = 1;
    if (w == NULL || d == NULL) {
        free(w);
        free(d);
        return 1;
    }
    sim_world_defaults(w);
    d->w = w;
    w->plat.trace = demo_trace;
    w->plat.trace_arg = d;
    printf("smtpc demo: the real smtpc client and mbedTLS talking to an in-process simulated\n"
           "SMTP server (scripted, real TLS with a test CA, virtual clock, no network).\n\n");
    printf("submission to %s:%u, STARTTLS required, certificate verified, AUTH PLAIN\n\n",
           w->ccfg.host, (unsigned)w->ccfg.port);
    if (sim_world_run(w, cert_dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "smtpc-sim demo: %s\n", err);
    } else {
        demo_result(d);
        rc = w->rc == SMTPC_OK ? 0 : 1;
    }
    sim_world_free(w);
    free(w);
    free(d);
    return rc;
}

/* ------------------------------------------------------ MTA-STS demo --- */

#define DEMO_DOMAIN "example.test"
#define DEMO_UTC0   1767225600u /* 2026-01-01T00:00:00Z */
#define DEMO_POLICY "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\nmax_age: 604800\r\n"

static char demo_http[512];

static const char *demo_mx_policy(uint8_t p)
{
    return p == SMTPC_MX_MATCH ? "listed" : p == SMTPC_MX_NO_MATCH ? "NOT listed" : "no policy";
}

static const char *demo_level(uint8_t l)
{
    return l == SMTPC_TLS_VERIFIED    ? "verified"
           : l == SMTPC_TLS_ENCRYPTED ? "encrypted"
                                      : "plaintext allowed";
}

static const char *demo_applied(uint8_t a)
{
    return a == SMTPC_STS_APPLY_FETCHED  ? "fetched over HTTPS"
           : a == SMTPC_STS_APPLY_CACHED ? "from the cache (no fetch)"
                                         : "none";
}

static void demo_sts_result(const sim_world_t *w)
{
    const smtpc_result_t *r = smtpc_client_result(&w->client);
    char line[256];
    unsigned i;
    (void)smtpc_result_format(r, line, sizeof(line));
    printf("\nresult\n");
    printf("  summary      %s\n", line);
    printf("  MTA-STS      policy %s, mode %s, id %s\n", demo_applied(r->sts_applied),
           r->sts_applied != SMTPC_STS_APPLY_NONE ? smtpc_sts_mode_name(r->sts_mode) : "-",
           r->sts_id[0] != '\0' ? r->sts_id : "-");
    printf("               TXT lookup %s%s%s\n", smtpc_strerror(r->sts_txt_err),
           r->sts_fetched ? ", fetch " : "",
           r->sts_fetched ? smtpc_strerror(r->sts_fetch_err) : "");
    for (i = 0; i < r->mx_count; i++) {
        const smtpc_mx_verdict_t *v = &r->mx[i];
        const char *name = smtpc_client_mx_name(&w->client, i);
        printf("  MX %-20s %s", name != NULL ? name : "?", demo_mx_policy(v->policy));
        if (v->tried) {
            printf(", required %s, reached %s, certificate %s: %s\n", demo_level(v->level),
                   demo_reached(v->tls_reached), smtpc_cert_name(v->cert), smtpc_strerror(v->err));
        } else {
            printf(", never contacted: %s\n", smtpc_strerror(v->err));
        }
    }
    printf("  virtual time %lu ms\n", (unsigned long)(uint32_t)(w->t_end - w->t_begin));
}

static void demo_cache(const sim_world_t *w, const char *what)
{
    static smtpc_sts_entry_t e;
    unsigned i;
    printf("\npolicy cache (%s)\n", what);
    for (i = 0; w->plat.sts_store->iter(w->plat.sts_store_ctx, i, &e) == SMTPC_OK; i++) {
        const char *p = e.policy.mx_pool;
        unsigned k;
        printf("  %-14s id %s, mode %s, max_age %lu s, fetched at %llu, expires at %llu\n",
               e.domain, e.id, smtpc_sts_mode_name(e.policy.mode), (unsigned long)e.policy.max_age,
               (unsigned long long)e.fetched_at, (unsigned long long)smtpc_sts_entry_expires(&e));
        for (k = 0; k < e.policy.mx_count; k++) {
            printf("  %-14s mx %s\n", "", p);
            p += strlen(p) + 1u;
        }
    }
    if (i == 0) {
        printf("  (empty)\n");
    }
}

static void demo_events(const sim_world_t *w)
{
    unsigned i;
    printf("\nTLS events given to the TLS-RPT hook (RFC 8460 report material)\n");
    for (i = 0; i < w->report_count && i < SIM_REPORT_LOG; i++) {
        const sim_report_t *e = &w->reports[i];
        printf("  %-7s domain %s, policy %s %s, %s%s: %s\n",
               e->ev.kind == SMTPC_EV_POLICY ? "policy" : "session", e->domain,
               e->has_policy ? smtpc_sts_mode_name(e->ev.sts_mode) : "none",
               e->policy_id[0] != '\0' ? e->policy_id : "-",
               e->ev.kind == SMTPC_EV_POLICY ? "fetch from " : "MX ",
               e->mx_host[0] != '\0' ? e->mx_host : "(cache)", smtpc_strerror(e->ev.err));
    }
}

/* The flash cache of the demo: a NOR-emulating file, so a second run finds
 * the policy fetched by the first. */
static smtpc_flash_file_t demo_flash;
static smtpc_kvs_t demo_kvs;
static smtpc_cache_t demo_cache_store;
static smtpc_floor_clock_t demo_floor;

static int demo_open_cache(sim_world_t *w, const char *path)
{
    static const smtpc_flash_geom_t g = {16, 16, 4096, 4, 0xFF};
    int rc = smtpc_flash_file_open(&demo_flash, path, &g);
    if (rc == SMTPC_OK) {
        rc = smtpc_kvs_mount(&demo_kvs, &demo_flash.ops, &demo_flash);
    }
    if (rc == SMTPC_OK) {
        rc = smtpc_cache_init(&demo_cache_store, &demo_kvs);
    }
    if (rc != SMTPC_OK) {
        fprintf(stderr, "smtpc-sim demo: cache file %s: %s\n", path, smtpc_strerror(rc));
        return rc;
    }
    w->plat.sts_store = &smtpc_cache_ops;
    w->plat.sts_store_ctx = &demo_cache_store;
    /* Real wall-clock time, never earlier than the floor kept in flash. */
    w->clock.utc_s = (uint64_t)time(NULL);
    demo_floor.inner = &sim_clock_ops;
    demo_floor.inner_ctx = &w->clock;
    demo_floor.cache = &demo_cache_store;
    w->plat.clock = &smtpc_floor_clock_ops;
    w->plat.clock_ctx = &demo_floor;
    return SMTPC_OK;
}

/* The TLS-RPT log of the demo: a RAM-backed NOR flash of 4 KiB sectors. */
#if SMTPC_ENABLE_TLSRPT
static uint8_t demo_rpt_mem[4u * 4096u];
static smtpc_flash_ram_t demo_rpt_flash;
static smtpc_tlsrpt_log_t demo_rpt;
static smtpc_tlsrpt_report_t demo_rep;

static int demo_open_rptlog(sim_world_t *w)
{
    static const smtpc_flash_geom_t g = {16, 16, 4096, 4, 0xFF};
    int rc = smtpc_flash_ram_init(&demo_rpt_flash, demo_rpt_mem, sizeof(demo_rpt_mem), &g);
    if (rc == SMTPC_OK) {
        rc = smtpc_tlsrpt_log_mount(&demo_rpt, &demo_rpt_flash.ops, &demo_rpt_flash, w->plat.clock,
                                    w->plat.clock_ctx);
    }
    if (rc != SMTPC_OK) {
        fprintf(stderr, "smtpc-sim demo: TLS-RPT log: %s\n", smtpc_strerror(rc));
        return rc;
    }
    w->rptlog = &demo_rpt;
    return SMTPC_OK;
}

#if SMTPC_ENABLE_TLSRPT_JSON
/* The compact JSON the library renders, parsed back and printed indented
 * (the demo is a host program: cJSON's default heap is fine here). */
static void demo_print_json(const char *json)
{
    cJSON *root = cJSON_Parse(json);
    char *pretty = root != NULL ? cJSON_Print(root) : NULL;
    printf("%s\n", pretty != NULL ? pretty : json);
    cJSON_free(pretty);
    cJSON_Delete(root);
}
#endif

/* The day's reports of the log, rendered as RFC 8460 JSON. Returns 0 when
 * every report rendered and at least one exists. */
static int demo_reports(void)
{
    static uint8_t arena[SMTPC_TLSRPT_ARENA];
    static char json[8192];
    static uint8_t gz[8192 + 64];
    const smtpc_tlsrpt_stats_t *st = smtpc_tlsrpt_log_stats(&demo_rpt);
    char dom[SMTPC_DNS_NAME_BUF];
    uint32_t day;
    unsigned i;
    int bad = 0;
    printf("\n4. the day's TLS-RPT report (RFC 8460), rendered from the compact log\n"
           "   (%lu events counted, %lu not counted, %lu dropped)\n",
           (unsigned long)st->recorded, (unsigned long)st->ignored, (unsigned long)st->dropped);
    for (i = 0; smtpc_tlsrpt_log_list(&demo_rpt, i, &day, dom, sizeof(dom)) == SMTPC_OK; i++) {
        size_t len = 0;
        size_t gz_len = 0;
        int rc = smtpc_tlsrpt_log_load(&demo_rpt, day, dom, &demo_rep);
#if SMTPC_ENABLE_TLSRPT_JSON
        smtpc_tlsrpt_meta_t meta;
        memset(&meta, 0, sizeof(meta));
        meta.org = "smtpc demo sender";
        meta.contact = "tlsrpt-admin@sender.example";
        meta.unique = "demo1";
        if (rc == SMTPC_OK) {
            rc = smtpc_tlsrpt_render(&demo_rep, &meta, arena, sizeof(arena), json, sizeof(json),
                                     &len);
        }
        if (rc == SMTPC_OK) {
            rc = smtpc_gzip_stored((const uint8_t *)json, len, gz, sizeof(gz), &gz_len);
        }
        if (rc != SMTPC_OK) {
            printf("  %s: %s\n", dom, smtpc_strerror(rc));
            bad = 1;
            continue;
        }
        printf("\n  report for %s (%zu bytes of JSON, %zu as gzip; file name\n"
               "  sender.example!%s!%lu!%lu!demo1.json.gz), indented here for reading:\n\n",
               dom, len, gz_len, dom, (unsigned long)day * 86400ul,
               (unsigned long)day * 86400ul + 86399ul);
        demo_print_json(json);
#else
        (void)arena;
        (void)json;
        (void)gz;
        (void)len;
        (void)gz_len;
        printf("  %s: %s (JSON rendering is compiled out)\n", dom, smtpc_strerror(rc));
#endif
    }
    if (i == 0) {
        printf("  (no report)\n");
    }
    return i == 0 || bad;
}
#endif

int sim_demo(const char *cert_dir, const char *cache_file)
{
    sim_world_t *w = (sim_world_t *)calloc(1, sizeof(*w));
    demo_t *d = (demo_t *)calloc(1, sizeof(*d));
    char err[512];
    int rc = 1;
    if (w == NULL || d == NULL) {
        free(w);
        free(d);
        return 1;
    }
    sim_world_defaults(w);
    d->w = w;
    w->ccfg.mode = SMTPC_MODE_MX;
    w->ccfg.host = NULL;
    w->ccfg.port = 0;
    w->ccfg.session.user = NULL;
    w->ccfg.session.pass = NULL;
    w->ccfg.session.tls_level = SMTPC_TLS_ENCRYPTED; /* what a policy must raise */
    w->clock.utc_s = DEMO_UTC0;
    smtpc_sts_ram_init(&w->sts_ram);
    w->plat.sts_store = &smtpc_sts_ram_ops;
    w->plat.sts_store_ctx = &w->sts_ram;
    w->plat.report = sim_report_hook;
    w->plat.report_arg = w;
    w->plat.trace = demo_trace;
    w->plat.trace_arg = d;
    if (cache_file != NULL && demo_open_cache(w, cache_file) != SMTPC_OK) {
        goto out;
    }
    (void)snprintf(demo_http, sizeof(demo_http),
                   "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
                   strlen(DEMO_POLICY), DEMO_POLICY);
    (void)sim_dns_add(&w->dns, "_mta-sts." DEMO_DOMAIN, SMTPC_DNS_TYPE_TXT, 0,
                      "v=STSv1; id=20260101T000000;");
    (void)sim_dns_add(&w->dns, DEMO_DOMAIN, SMTPC_DNS_TYPE_MX, 10, "mx1." DEMO_DOMAIN);
    (void)sim_dns_add(&w->dns, "_smtp._tls." DEMO_DOMAIN, SMTPC_DNS_TYPE_TXT, 0,
                      "v=TLSRPTv1; rua=mailto:tlsrpt@" DEMO_DOMAIN);
    (void)sim_world_add_host(w, "mx1." DEMO_DOMAIN, "mx1");
#if SMTPC_ENABLE_TLSRPT
    if (demo_open_rptlog(w) != SMTPC_OK) {
        goto out;
    }
#endif
    (void)sim_world_add_https(w, "mta-sts." DEMO_DOMAIN, "sts", demo_http);
    printf("smtpc demo: the real smtpc client and mbedTLS in an in-process simulated world:\n"
           "a DNS server, an HTTPS policy host and an SMTP server (real TLS with a test CA,\n"
           "virtual clock, no network).\n\n");
    printf("1. direct delivery to bob@%s; the domain publishes an MTA-STS policy\n"
           "   (mode enforce, mx1 only); the sender alone would accept any certificate\n\n",
           DEMO_DOMAIN);
    if (sim_world_run(w, cert_dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "smtpc-sim demo: %s\n", err);
        goto out;
    }
    demo_sts_result(w);
    if (cache_file != NULL) {
        const smtpc_kvs_stats_t *st = smtpc_kvs_stats(&demo_kvs);
        char what[400];
        (void)snprintf(what, sizeof(what),
                       "flash: %s, 4 sectors of 4 KiB; revision %lu, %lu bytes programmed and "
                       "%lu erases this run",
                       cache_file, (unsigned long)st->revision, (unsigned long)st->bytes,
                       (unsigned long)st->erases);
        demo_cache(w, what);
        printf("  policy-host connections this run: %u%s\n",
               sim_world_host(w, "mta-sts." DEMO_DOMAIN)->total_connects,
               sim_world_host(w, "mta-sts." DEMO_DOMAIN)->total_connects == 0
                   ? " (the policy came from flash)"
                   : " (run the demo again: the policy will come from flash)");
    } else {
        demo_cache(w, "RAM store smtpc_sts_ram_ops");
    }
    demo_events(w);
    rc = w->rc == SMTPC_OK ? 0 : 1;

    /* The attack: the MX answer now names an attacker's host, and the TXT
     * record is gone. The cached policy still applies. */
    printf("\n2. an hour later, under attack: DNS now says the MX is %s and the\n"
           "   _mta-sts record is gone (stripped). The cached policy still applies.\n\n",
           SIM_DNS_EVIL_MX);
    w->clock.utc_s += 3600u;
    (void)sim_dns_remove(&w->dns, "_mta-sts." DEMO_DOMAIN);
    (void)sim_dns_remove(&w->dns, DEMO_DOMAIN);
    (void)sim_dns_add(&w->dns, DEMO_DOMAIN, SMTPC_DNS_TYPE_MX, 10, SIM_DNS_EVIL_MX);
    (void)sim_world_add_host(w, SIM_DNS_EVIL_MX, "good");
    if (sim_world_rerun(w, cert_dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "smtpc-sim demo: %s\n", err);
        rc = 1;
        goto out;
    }
    demo_sts_result(w);
    demo_events(w);
    printf("\nThe attacker's host was never contacted (connections to it: %u); the message\n"
           "stays with the sender, who retries later.\n",
           sim_world_host(w, SIM_DNS_EVIL_MX)->total_connects);
    if (w->rc != SMTPC_ERR_STS_MX_NOT_ALLOWED ||
        sim_world_host(w, SIM_DNS_EVIL_MX)->total_connects != 0) {
        rc = 1;
    }

    /* The second attack: the MX is right again, but a man in the middle
     * replaces STARTTLS in the EHLO answer (the classic strip). */
    printf("\n3. ten minutes later, a STARTTLS strip: DNS is back to mx1, but an attacker on\n"
           "   the path rewrites STARTTLS in the EHLO answer to XXXXXXXA.\n\n");
    w->clock.utc_s += 600u;
    (void)sim_dns_remove(&w->dns, DEMO_DOMAIN);
    (void)sim_dns_add(&w->dns, DEMO_DOMAIN, SMTPC_DNS_TYPE_MX, 10, "mx1." DEMO_DOMAIN);
    sim_world_host(w, "mx1." DEMO_DOMAIN)->cfg.ehlo_plain =
        "250-mx1.example.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 XXXXXXXA\r\n";
    if (sim_world_rerun(w, cert_dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "smtpc-sim demo: %s\n", err);
        rc = 1;
        goto out;
    }
    demo_sts_result(w);
    demo_events(w);
    printf("\nNo command after EHLO crossed the wire in plaintext: the policy requires TLS\n"
           "(fail closed). The strip is recorded with its own failure-reason-code.\n");
    if (w->rc != SMTPC_ERR_STARTTLS_REQUIRED ||
        sim_contains_ci(sim_world_host(w, "mx1." DEMO_DOMAIN)->peer.plain_log,
                        sim_world_host(w, "mx1." DEMO_DOMAIN)->peer.plain_len, "MAIL FROM")) {
        rc = 1;
    }
#if SMTPC_ENABLE_TLSRPT
    if (demo_reports() != 0) {
        rc = 1;
    }
#endif
out:
    if (cache_file != NULL) {
        smtpc_flash_file_close(&demo_flash);
    }
    sim_world_free(w);
    free(w);
    free(d);
    return rc;
}
