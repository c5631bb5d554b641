/* smtpc-mtasts: MTA-STS (RFC 8461) with smtpc's parsers, decision functions
 * and discovery engine, from the command line. Every answer is one line of
 * JSON on stdout.
 *
 *   smtpc-mtasts txt < records           the _mta-sts TXT selection (§3.1)
 *   smtpc-mtasts policy < mta-sts.txt    a policy body (§3.2)
 *   smtpc-mtasts match PATTERN HOST      the MX match (§4.1)
 *   smtpc-mtasts fetch DOMAIN            live discovery and fetch
 *   smtpc-mtasts check DOMAIN            the same, then the MX hosts judged
 *                                        (both with --cache FILE: the policy
 *                                        cache that smtpc-send --cache uses)
 *   smtpc-mtasts explain < scenario.json the cache decision (§3.3, §5.1)
 *
 * Exit status: see usage_text. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "cli_cache.h"
#include "cli_txt.h"
#include "smtpc/idna.h"
#include "smtpc/smtpc.h"
#include "smtpc/sts.h"
#include "smtpc_mbedtls.h"
#include "smtpc_posix.h"

#define PROG            "smtpc-mtasts"
#define DEFAULT_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
#define SCENARIO_MAX    (1024u * 1024u)    /* explain's stdin */
#define STS_IO_BUF      4096u              /* joined TXT records, request, response bytes */
#define UINT_JSON_MAX   9007199254740992.0 /* 2^53: integers a JSON number holds exactly */

static const char usage_text[] =
    "usage: " PROG " COMMAND [ARGS]\n"
    "MTA-STS (RFC 8461) with smtpc; every answer is one JSON line on stdout.\n"
    "\n"
    "  txt                    TXT records of _mta-sts.<domain> on stdin, one record\n"
    "                         per line (the strings of one record separated by TAB\n"
    "                         are joined without separator, as RFC 8461 3.1 says);\n"
    "                         lines of at most 4096 bytes, a trailing CR is dropped\n"
    "                         -> {\"result\":\"sts\",\"id\":ID} | {\"result\":\"no_sts\"} |\n"
    "                            {\"result\":\"error\",\"error\":\"SMTPC_ERR_STS_TXT_INVALID\"}\n"
    "                         exit 0 sts, 1 no_sts or error\n"
    "  policy                 a policy body on stdin\n"
    "                         -> "
    "{\"valid\":true,\"version\":..,\"mode\":..,\"mx\":[..],\"max_age\":N}\n"
    "                            | {\"valid\":false,\"error\":\"SMTPC_ERR_...\"}; exit 0 valid, 1 "
    "not\n"
    "  match PATTERN HOST     prints match (exit 0) or no-match (exit 1)\n"
    "  fetch DOMAIN [OPTS]    discover the TXT record and fetch the policy over HTTPS\n"
    "                         (without --cache a policy is fetched whenever a valid\n"
    "                         record is published; with it, only when the cache rules\n"
    "                         say so); exit 0 when a policy applies: fetched, or with\n"
    "                         --cache cached\n"
    "                         -> {\"domain\":D,\"txt\":{..},\"fetched\":B,\"fetch_error\":E|null,\n"
    "                             \"policy\":{..}|null[,\"cache\":{..}]}\n"
    "  check DOMAIN [OPTS]    fetch, then the domain's MX hosts with, for each, whether\n"
    "                         the policy in force allows it and the TLS level delivery\n"
    "                         would require; exit 0 when at least one MX may be used\n"
    "                         -> fetch's keys and \"mx_error\",\"implicit_mx\",\"mx\":[..]\n"
    "  explain                a JSON scenario on stdin (cached policy, TXT answer,\n"
    "                         fetch outcome, fetch history): which policy applies and\n"
    "                         the cache entry afterwards; exit 0, 2 on a bad scenario\n"
    "  -h, --help             this text\n"
    "  --version              print the version\n"
    "\n"
    "options of fetch and check:\n"
    "  --dns ADDR[:PORT]      nameserver (repeatable), default /etc/resolv.conf\n"
    "  --ca-file F            CA bundle for the policy host, default " DEFAULT_CA_FILE "\n"
    "  --resolve H:P:A        connect to address A for host H, port P (repeatable)\n"
    "  --timeout S            deadline of the policy fetch in seconds (default 30)\n"
    "  --cache FILE           the policy cache smtpc-send --cache keeps: a file that\n"
    "                         behaves like NOR flash (created erased when absent); the\n"
    "                         cached policy applies as in a delivery, and the output\n"
    "                         gets \"cache\":{\"file\":FILE,\"applied\":\"cached|fetched|none\",\n"
    "                         \"entries\":[{\"domain\",\"id\",\"fetched_at\",\"expires_at\",\n"
    "                         \"mode\",\"max_age\",\"mx\",\"backoff\"},..],\"floor\":S,\n"
    "                         \"store_error\":E|null} (all entries, after the run)\n"
    "  --cache-geometry SECTORS:SECTOR_SIZE:PROG_SIZE\n"
    "                         flash geometry of FILE (default " CLI_CACHE_GEOM_DEFAULT
    "):\n" CLI_CACHE_GEOM_HELP "\n"
    "explain scenario (times in Unix seconds, now 0 = clock unknown):\n"
    "  {\"now\":S,\"domain\":D,\n"
    "   \"cached\":null|{\"id\":ID,\"fetched_at\":S,\"mode\":M,\"max_age\":N,\"mx\":[..]},\n"
    "   \"txt\":{\"records\":[\"v=STSv1; id=..\",[\"string1\",\"string2\"],..]}\n"
    "        |{\"dns\":\"NXDOMAIN|NODATA|SERVFAIL|TIMEOUT\"},\n"
    "   \"fetch\":{\"status\":\"ok\",\"policy\":{\"mode\":M,\"max_age\":N,\"mx\":[..]}|\"BODY\"}\n"
    "           |{\"status\":\"error\",\"error\":\"SMTPC_ERR_...\"},   (needed when a fetch is)\n"
    "   \"history\":[{\"at\":S,\"id\":ID,\"fetch\":\"ok|error\"},..]}\n"
    "  -> {\"applied\":\"cached|fetched|none\",\"fetch_attempted\":B,\"fetch_error\":E|null,\n"
    "      \"policy\":{..}|null,\"cache_after\":null|{\"id\",\"fetched_at\",\"expires_at\",\n"
    "      \"mode\",\"max_age\",\"mx\"},\"backoff_after\":null|{\"id\",\"at\"}}\n"
    "\n"
    "exit status 2: usage error, unreadable input, bad scenario.\n";

/* ------------------------------------------------------------ helpers --- */

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, PROG ": %s%s%s\nTry '" PROG " --help'.\n", msg, arg != NULL ? " " : "",
            arg != NULL ? arg : "");
    return 2;
}

static int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    if (s[0] < '0' || s[0] > '9') {
        return -1;
    }
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

/* JSON building: a failed allocation anywhere makes the final print fail. */
static int json_oom;

static void jadd(cJSON *o, const char *key, cJSON *item)
{
    if (item == NULL || !cJSON_AddItemToObject(o, key, item)) {
        cJSON_Delete(item);
        json_oom = 1;
    }
}

static void jstr(cJSON *o, const char *key, const char *v)
{
    jadd(o, key, cJSON_CreateString(v));
}

static void jnum(cJSON *o, const char *key, uint64_t v)
{
    jadd(o, key, cJSON_CreateNumber((double)v));
}

static void jbool(cJSON *o, const char *key, int v)
{
    jadd(o, key, cJSON_CreateBool(v != 0));
}

static void jnull(cJSON *o, const char *key)
{
    jadd(o, key, cJSON_CreateNull());
}

/* Print @p o on one line, free it, and return @p rc (2 when printing failed). */
static int emit(cJSON *o, int rc)
{
    char *s = o != NULL && !json_oom ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (s == NULL) {
        fprintf(stderr, PROG ": out of memory\n");
        return 2;
    }
    int ok = puts(s) >= 0 && fflush(stdout) == 0;
    cJSON_free(s);
    if (!ok) {
        fprintf(stderr, PROG ": stdout: %s\n", strerror(errno));
        return 2;
    }
    return rc;
}

/* The patterns of a policy, in order. */
static cJSON *mx_array(const smtpc_sts_policy_t *p)
{
    cJSON *a = cJSON_CreateArray();
    size_t off = 0;
    if (a == NULL) {
        json_oom = 1;
        return NULL;
    }
    for (unsigned i = 0; i < p->mx_count && off < p->mx_pool_len; i++) {
        const char *pat = p->mx_pool + off;
        size_t n = strnlen(pat, p->mx_pool_len - off);
        cJSON *s = cJSON_CreateString(pat);
        if (s == NULL || !cJSON_AddItemToArray(a, s)) {
            cJSON_Delete(s);
            json_oom = 1;
        }
        off += n + 1;
    }
    return a;
}

/* "version", "mode", "mx", "max_age" of a parsed policy into @p o. */
static void policy_fields(cJSON *o, const smtpc_sts_policy_t *p)
{
    jstr(o, "version", "STSv1"); /* the only version smtpc_sts_policy_parse() accepts */
    jstr(o, "mode", smtpc_sts_mode_name(p->mode));
    jadd(o, "mx", mx_array(p));
    jnum(o, "max_age", p->max_age);
}

static cJSON *policy_json(const smtpc_sts_policy_t *p)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL) {
        json_oom = 1;
        return NULL;
    }
    policy_fields(o, p);
    return o;
}

static cJSON *new_object(void)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL) {
        json_oom = 1;
    }
    return o;
}

/* Error code of a name: "SMTPC_ERR_HTTP_STATUS", "ERR_HTTP_STATUS" or
 * "HTTP_STATUS". 0 when unknown or not an error. */
static int err_by_name(const char *name)
{
    static const char *const prefixes[] = {"", "SMTPC_", "SMTPC_ERR_"};
    char full[96];
    for (size_t k = 0; k < sizeof prefixes / sizeof prefixes[0]; k++) {
        int n = snprintf(full, sizeof full, "%s%s", prefixes[k], name);
        if (n < 0 || (size_t)n >= sizeof full || strcmp(full, "SMTPC_ERR_UNKNOWN") == 0) {
            continue;
        }
        for (int v = -1; v >= -255; v--) {
            if (strcmp(smtpc_strerror(v), full) == 0) {
                return v;
            }
        }
    }
    return 0;
}

/* A policy id (§3.1): 1*32 ALPHA/DIGIT. */
static int id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > SMTPC_STS_ID_MAX) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
            return 0;
        }
    }
    return 1;
}

/* Domain argument to the normalised A-label (the query name, URL and key). */
static int domain_arg(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    if (smtpc_idna_to_ascii(in, strlen(in), out, cap, &n) != SMTPC_OK ||
        smtpc_dns_name_norm(out, cap) == 0) {
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- txt --- */

/* One TXT record from stdin into the selection. */
static void txt_add(void *arg, const char *rec, size_t len)
{
    smtpc_sts_sel_add((smtpc_sts_sel_t *)arg, rec, len);
}

static int cmd_txt(int argc, char **argv)
{
    smtpc_sts_sel_t sel;
    smtpc_sts_txt_t txt;
    (void)argv;
    if (argc != 2) {
        return usage_error("txt reads stdin and takes no arguments", NULL);
    }
    smtpc_sts_sel_init(&sel);
    if (cli_txt_read_stdin(PROG, txt_add, &sel) != 0) {
        return 2;
    }
    cJSON *o = new_object();
    int rc = smtpc_sts_sel_result(&sel, &txt);
    if (o == NULL) {
        return emit(o, 2);
    }
    if (rc == SMTPC_OK) {
        jstr(o, "result", "sts");
        jstr(o, "id", txt.id);
        return emit(o, 0);
    }
    if (rc == SMTPC_ERR_DNS_NODATA) {
        jstr(o, "result", "no_sts");
        return emit(o, 1);
    }
    jstr(o, "result", "error");
    jstr(o, "error", smtpc_strerror(rc));
    return emit(o, 1);
}

/* ------------------------------------------------------------- policy --- */

static int cmd_policy(int argc, char **argv)
{
    static char body[SMTPC_STS_POLICY_MAX + 1];
    smtpc_sts_policy_t pol;
    (void)argv;
    if (argc != 2) {
        return usage_error("policy reads stdin and takes no arguments", NULL);
    }
    size_t n = fread(body, 1, sizeof body, stdin);
    if (ferror(stdin)) {
        fprintf(stderr, PROG ": stdin: %s\n", strerror(errno));
        return 2;
    }
    int rc =
        n > SMTPC_STS_POLICY_MAX ? SMTPC_ERR_HTTP_TOO_LARGE : smtpc_sts_policy_parse(body, n, &pol);
    cJSON *o = new_object();
    if (o == NULL) {
        return emit(o, 2);
    }
    jbool(o, "valid", rc == SMTPC_OK);
    if (rc != SMTPC_OK) {
        jstr(o, "error", smtpc_strerror(rc));
        return emit(o, 1);
    }
    policy_fields(o, &pol);
    return emit(o, 0);
}

/* -------------------------------------------------------------- match --- */

static int cmd_match(int argc, char **argv)
{
    if (argc != 4) {
        return usage_error("match takes PATTERN HOST", NULL);
    }
    int m = smtpc_sts_mx_match(argv[2], argv[3]);
    if (puts(m ? "match" : "no-match") < 0 || fflush(stdout) != 0) {
        return 2;
    }
    return m ? 0 : 1;
}

/* ------------------------------------------------------ fetch / check --- */

/* One discovery per process: the engine, its buffers and the port contexts. */
static smtpc_posix_net_t net;
static smtpc_posix_dns_t dns;
static smtpc_mbedtls_t tls;
static smtpc_dns_t dns_query;
static smtpc_sts_t sts;
static smtpc_mx_list_t mx_list;
static uint8_t sts_body[SMTPC_STS_POLICY_MAX];
static uint8_t sts_io[STS_IO_BUF];
static cli_cache_t cache;

typedef struct {
    const char *ca_file, *cache;
    smtpc_flash_geom_t cache_geom;
    unsigned long timeout_s;
    int check, has_geom;
    char domain[SMTPC_DNS_NAME_BUF];
} live_args_t;

static const struct option live_opts[] = {
    {"dns", required_argument, NULL, 'D'},     {"ca-file", required_argument, NULL, 'c'},
    {"resolve", required_argument, NULL, 'R'}, {"timeout", required_argument, NULL, 'T'},
    {"cache", required_argument, NULL, 'C'},   {"cache-geometry", required_argument, NULL, 'G'},
    {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
};

/* Returns -1 to continue, else an exit status. */
static int live_parse(live_args_t *a, int argc, char **argv)
{
    int opt, li = 0;
    char what[64];
    int sub_argc = argc - 1;
    char **sub_argv = argv + 1; /* sub_argv[0] is the command name */
    memset(a, 0, sizeof *a);
    a->check = strcmp(argv[1], "check") == 0;
    a->ca_file = DEFAULT_CA_FILE;
    cli_cache_geom_default(&a->cache_geom);
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(sub_argc, sub_argv, "h", live_opts, &li)) != -1) {
        int bad = 0;
        switch (opt) {
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'D':
            bad = smtpc_posix_dns_add_server(&dns, optarg) != SMTPC_OK;
            break;
        case 'c':
            a->ca_file = optarg;
            break;
        case 'R':
            bad = smtpc_posix_parse_resolve(&net, optarg) != SMTPC_OK;
            break;
        case 'T':
            bad = parse_ulong(optarg, 1, 86400, &a->timeout_s) != 0;
            break;
        case 'C':
            a->cache = optarg;
            bad = optarg[0] == '\0';
            break;
        case 'G':
            a->has_geom = 1;
            bad = cli_cache_geom_parse(optarg, &a->cache_geom) != 0;
            break;
        default:
            return usage_error("unknown option or missing value:", sub_argv[optind - 1]);
        }
        if (bad) {
            snprintf(what, sizeof what, "invalid value for --%s:", live_opts[li].name);
            return usage_error(what, optarg);
        }
    }
    if (sub_argc - optind != 1) {
        return usage_error(sub_argc - optind == 0 ? "missing DOMAIN" : "unexpected argument:",
                           sub_argc - optind == 0 ? NULL : sub_argv[optind + 1]);
    }
    if (domain_arg(sub_argv[optind], a->domain, sizeof a->domain) != 0) {
        return usage_error("invalid domain:", sub_argv[optind]);
    }
    if (a->has_geom && a->cache == NULL) {
        return usage_error("--cache-geometry goes with --cache", NULL);
    }
    return -1;
}

/* The clock becomes the floor clock with --cache. */
static smtpc_dns_io_t dns_io = {
    .dgram = &smtpc_posix_dgram_ops,
    .dgram_ctx = &dns,
    .net = &smtpc_posix_net_ops, /* TCP after TC=1 */
    .net_ctx = &net,
    .clock = &smtpc_posix_clock_ops,
    .rng = &smtpc_posix_rng_ops,
};

static cJSON *txt_json(int txt_rc, const smtpc_sts_txt_t *txt)
{
    cJSON *o = new_object();
    if (o == NULL) {
        return NULL;
    }
    if (txt_rc == SMTPC_OK) {
        jstr(o, "result", "sts");
        jstr(o, "id", txt->id);
    } else {
        jstr(o, "result",
             txt_rc == SMTPC_ERR_DNS_NODATA || txt_rc == SMTPC_ERR_DNS_NXDOMAIN ? "no_sts"
                                                                                : "error");
        jstr(o, "error", smtpc_strerror(txt_rc));
    }
    return o;
}

static const char *applied_name(int a);
static void entry_fields(cJSON *o, const smtpc_sts_entry_t *e);

/* One cached domain: the policy fields (null when the entry holds only
 * back-off state) and the back-off. */
static cJSON *cache_entry_json(const smtpc_sts_entry_t *e)
{
    static const char *const none[] = {"id", "fetched_at", "expires_at", "mode", "max_age"};
    cJSON *o = new_object();
    if (o == NULL) {
        return NULL;
    }
    jstr(o, "domain", e->domain);
    if (e->has_policy) {
        entry_fields(o, e);
    } else {
        for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
            jnull(o, none[i]);
        }
        jadd(o, "mx", cJSON_CreateArray());
    }
    if (e->fail_id[0] != '\0') {
        cJSON *b = new_object();
        if (b != NULL) {
            jstr(b, "id", e->fail_id);
            jnum(b, "at", e->fail_at);
            jadd(o, "backoff", b);
        }
    } else {
        jnull(o, "backoff");
    }
    return o;
}

/* "cache": the file, where the policy came from, and every entry after the run. */
static cJSON *cache_json(const live_args_t *a, int applied)
{
    static smtpc_sts_entry_t e;
    cJSON *c = new_object();
    cJSON *arr = cJSON_CreateArray();
    if (c == NULL || arr == NULL) {
        cJSON_Delete(c);
        cJSON_Delete(arr);
        json_oom = 1;
        return NULL;
    }
    jstr(c, "file", a->cache);
    jstr(c, "applied", applied_name(applied));
    for (unsigned i = 0; smtpc_cache_ops.iter(&cache.cache, i, &e) == SMTPC_OK; i++) {
        cJSON *it = cache_entry_json(&e);
        if (it == NULL || !cJSON_AddItemToArray(arr, it)) {
            cJSON_Delete(it);
            json_oom = 1;
            break;
        }
    }
    jadd(c, "entries", arr);
    jnum(c, "floor", smtpc_cache_floor(&cache.cache));
    if (sts.store_rc != SMTPC_OK) {
        jstr(c, "store_error", smtpc_strerror(sts.store_rc));
    } else {
        jnull(c, "store_error");
    }
    return c;
}

/* The discovery, as fetch prints it, into @p o. Returns the engine's end. */
static int live_sts(const live_args_t *a, cJSON *o)
{
    smtpc_sts_io_t io = {
        .dns = &dns_io,
        .net = &smtpc_posix_net_ops,
        .net_ctx = &net,
        .tls = &smtpc_mbedtls_tls_ops,
        .tls_ctx = &tls,
        .store = cache.is_open ? &smtpc_cache_ops : NULL,
        .store_ctx = cache.is_open ? &cache.cache : NULL,
        .fetch_timeout_ms = (uint32_t)a->timeout_s * 1000u,
    };
    smtpc_sts_bufs_t b = {
        .dns = &dns_query,
        .body = sts_body,
        .body_cap = sizeof sts_body,
        .io = sts_io,
        .io_cap = sizeof sts_io,
    };
    int rc = smtpc_sts_start(&sts, &io, &b, a->domain, 0);
    if (rc == SMTPC_IN_PROGRESS) {
        rc = smtpc_posix_sts_run(&sts, &net, &dns);
    }
    smtpc_sts_stop(&sts);
    jstr(o, "domain", a->domain);
    if (rc != SMTPC_OK) {
        jstr(o, "error", smtpc_strerror(rc));
    }
    jadd(o, "txt", txt_json(sts.txt_rc, &sts.txt));
    jbool(o, "fetched", sts.fetched);
    if (sts.fetched && sts.fetch_rc != SMTPC_OK) {
        jstr(o, "fetch_error", smtpc_strerror(sts.fetch_rc));
    } else {
        jnull(o, "fetch_error");
    }
    /* The policy that applies: the one fetched, or with --cache the cached one. */
    if (rc == SMTPC_OK && sts.applied != SMTPC_STS_APPLY_NONE) {
        jadd(o, "policy", policy_json(&sts.entry.policy));
    } else {
        jnull(o, "policy");
    }
    if (cache.is_open) {
        jadd(o, "cache", cache_json(a, rc == SMTPC_OK ? sts.applied : SMTPC_STS_APPLY_NONE));
    }
    return rc;
}

static int mx_cb(void *arg, const smtpc_dns_rr_t *rr)
{
    return smtpc_mx_add((smtpc_mx_list_t *)arg, rr);
}

/* RFC 5321 §5.1: an address in an MX record is not a host name (skipped, as
 * the driver does). */
static int mx_is_literal(const char *h)
{
    for (size_t i = 0; h[i] != '\0'; i++) {
        if ((h[i] < '0' || h[i] > '9') && h[i] != '.') {
            return 0;
        }
    }
    return 1;
}

/* The MX list of the domain, sorted as delivery would try it. */
static int live_mx(const live_args_t *a)
{
    uint8_t seed[8];
    size_t keep = 0;
    memset(&mx_list, 0, sizeof mx_list);
    int rc = smtpc_dns_start(&dns_query, &dns_io, a->domain, SMTPC_DNS_TYPE_MX, mx_cb, &mx_list);
    if (rc == SMTPC_IN_PROGRESS) {
        rc = smtpc_posix_dns_run(&dns_query, &net, &dns);
    }
    smtpc_dns_stop(&dns_query);
    if (rc == SMTPC_ERR_DNS_NODATA) {
        /* No MX records: the domain itself is the implicit MX. */
        memset(&mx_list, 0, sizeof mx_list);
        memcpy(mx_list.mx[0].host, a->domain, sizeof mx_list.mx[0].host);
        mx_list.count = 1;
        mx_list.implicit = 1;
        rc = SMTPC_OK;
    }
    if (rc != SMTPC_OK) {
        mx_list.count = 0;
        return rc;
    }
    for (size_t i = 0; i < mx_list.count; i++) {
        if (!mx_is_literal(mx_list.mx[i].host)) {
            mx_list.mx[keep++] = mx_list.mx[i];
        }
    }
    mx_list.count = (uint8_t)keep;
    if (keep == 0) {
        return SMTPC_ERR_DNS_FORMAT;
    }
    if (smtpc_posix_rng_ops.fill(NULL, seed, sizeof seed) != SMTPC_OK) {
        memset(seed, 0, sizeof seed);
    }
    smtpc_mx_sort(&mx_list, seed, sizeof seed);
    return SMTPC_OK;
}

/* Per MX: allowed by the policy in force, and the TLS level required. */
static int check_mx_json(cJSON *o, const smtpc_sts_policy_t *pol, int mx_rc)
{
    int usable = 0;
    cJSON *arr = cJSON_CreateArray();
    if (arr == NULL) {
        json_oom = 1;
        return 0;
    }
    if (mx_rc != SMTPC_OK) {
        jstr(o, "mx_error", smtpc_strerror(mx_rc));
    } else {
        jnull(o, "mx_error");
    }
    jbool(o, "implicit_mx", mx_rc == SMTPC_OK && mx_list.implicit);
    for (unsigned i = 0; i < mx_list.count; i++) {
        const char *host = mx_list.mx[i].host;
        int allowed = pol == NULL || smtpc_sts_mx_allowed(pol, host);
        int enforce = pol != NULL && pol->mode == SMTPC_STS_MODE_ENFORCE;
        const char *level = !enforce ? "encrypted" : allowed ? "verified" : "refused";
        cJSON *m = new_object();
        if (m == NULL) {
            break;
        }
        jstr(m, "host", host);
        jnum(m, "pref", mx_list.mx[i].pref);
        jbool(m, "allowed", allowed);
        jstr(m, "tls", level);
        if (!cJSON_AddItemToArray(arr, m)) {
            cJSON_Delete(m);
            json_oom = 1;
        }
        usable |= !enforce || allowed;
    }
    jadd(o, "mx", arr);
    return usable;
}

static int cmd_live(int argc, char **argv)
{
    live_args_t a;
    int rc = live_parse(&a, argc, argv);
    if (rc >= 0) {
        return rc;
    }
    if (dns.count == 0 && smtpc_posix_dns_load_resolv_conf(&dns, NULL) != SMTPC_OK) {
        fprintf(stderr, PROG ": no nameserver: give --dns ADDR or fix /etc/resolv.conf\n");
        return 1;
    }
    /* The policy fetch is always verified (RFC 8461 §3.3): the bundle is needed. */
    smtpc_mbedtls_cfg_t tcfg = {.ca_file = a.ca_file, .rng = &smtpc_posix_rng_ops};
    if (a.cache != NULL) {
        /* The delivery's cache: policies and the time floor from FILE, the
         * clock never earlier than the floor. */
        if (cli_cache_open(&cache, PROG, a.cache, &a.cache_geom, &smtpc_posix_clock_ops, NULL) !=
            0) {
            return 1;
        }
        dns_io.clock = &smtpc_floor_clock_ops;
        dns_io.clock_ctx = &cache.clock;
    }
    rc = smtpc_mbedtls_init(&tls, &tcfg);
    if (rc != SMTPC_OK) {
        fprintf(stderr, PROG ": TLS setup failed (%s, CA file %s)\n", smtpc_strerror(rc),
                a.ca_file);
        cli_cache_close(&cache);
        return 1;
    }
    cJSON *o = new_object();
    if (o == NULL) {
        smtpc_mbedtls_free(&tls);
        cli_cache_close(&cache);
        return emit(o, 2);
    }
    int sts_rc = live_sts(&a, o);
    /* Without a cache only a fetched policy can apply. */
    int applies = sts_rc == SMTPC_OK && sts.applied != SMTPC_STS_APPLY_NONE;
    if (!a.check) {
        smtpc_mbedtls_free(&tls);
        cli_cache_close(&cache);
        return emit(o, applies ? 0 : 1);
    }
    /* The policy in force: fetched, or cached (`none` counts as no policy). */
    const smtpc_sts_policy_t *pol = sts_rc == SMTPC_OK ? smtpc_sts_policy(&sts) : NULL;
    int mx_rc = live_mx(&a);
    int usable = check_mx_json(o, pol, mx_rc);
    smtpc_mbedtls_free(&tls);
    cli_cache_close(&cache);
    return emit(o, mx_rc == SMTPC_OK && usable ? 0 : 1);
}

/* ------------------------------------------------------------ explain --- */

static char why[320]; /* what is wrong with the scenario */

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return -1;
}

/* Keys of @p o must be among the NULL-terminated @p keys, each once (cJSON
 * would silently read the first of two). */
static int only_keys(const cJSON *o, const char *where, const char *const *keys)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, o)
    {
        size_t k = 0;
        while (keys[k] != NULL && strcmp(keys[k], it->string) != 0) {
            k++;
        }
        if (keys[k] == NULL) {
            return bad("%s: unknown key '%s'", where, it->string);
        }
        for (const cJSON *prev = o->child; prev != it; prev = prev->next) {
            if (strcmp(prev->string, it->string) == 0) {
                return bad("%s: key '%s' given twice", where, it->string);
            }
        }
    }
    return 0;
}

/* A non-negative integer that JSON holds exactly. */
static int get_uint(const cJSON *it, const char *where, uint64_t max, uint64_t *out)
{
    double v;
    if (it == NULL) {
        return bad("%s: missing", where);
    }
    if (!cJSON_IsNumber(it)) {
        return bad("%s: not a number", where);
    }
    v = it->valuedouble;
    if (!(v >= 0.0 && v <= UINT_JSON_MAX) || (double)(uint64_t)v != v || (uint64_t)v > max) {
        if (max >= (uint64_t)UINT_JSON_MAX) {
            return bad("%s: not a non-negative integer", where);
        }
        return bad("%s: not an integer in 0..%llu", where, (unsigned long long)max);
    }
    *out = (uint64_t)v;
    return 0;
}

static const char *get_str(const cJSON *o, const char *key, const char *where, int required)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (it == NULL || cJSON_IsNull(it)) {
        if (required) {
            bad("%s.%s: missing", where, key);
        }
        return NULL;
    }
    if (!cJSON_IsString(it) || it->valuestring == NULL) {
        bad("%s.%s: not a string", where, key);
        return NULL;
    }
    return it->valuestring;
}

/* A growing text buffer. */
typedef struct {
    char *p;
    size_t len, cap;
} text_t;

static int text_add(text_t *t, const char *a, const char *b, const char *c)
{
    const char *parts[3] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        size_t n = parts[i] != NULL ? strlen(parts[i]) : 0;
        if (n == 0) {
            continue;
        }
        if (t->len + n + 1 > t->cap) {
            size_t ncap = (t->len + n + 1) * 2;
            char *np = realloc(t->p, ncap);
            if (np == NULL) {
                return bad("out of memory");
            }
            t->p = np;
            t->cap = ncap;
        }
        memcpy(t->p + t->len, parts[i], n);
        t->len += n;
        t->p[t->len] = '\0';
    }
    return 0;
}

static int has_ctl(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f) {
            return 1;
        }
    }
    return 0;
}

/*
 * A policy given as JSON {"version","mode","max_age","mx"} as the body a
 * policy host would serve: one line per field, mx in order. Fields left out
 * are left out of the body. Structure errors are scenario errors (-1);
 * values that no body could carry (a control character, a non-integer
 * max_age) set *invalid; everything else is for smtpc_sts_policy_parse().
 */
static int policy_text(const cJSON *p, const char *where, int check_keys, text_t *t, int *invalid)
{
    static const char *const keys[] = {"version", "mode", "max_age", "mx", NULL};
    char num[32];
    const cJSON *it;
    const char *s;
    *invalid = 0;
    if (!cJSON_IsObject(p)) {
        return bad("%s: not an object", where);
    }
    if (check_keys && only_keys(p, where, keys) != 0) {
        return -1;
    }
    s = get_str(p, "version", where, 0);
    if (s == NULL && why[0] != '\0') {
        return -1;
    }
    *invalid |= s != NULL && has_ctl(s);
    if (text_add(t, "version: ", s != NULL ? s : "STSv1", "\n") != 0) {
        return -1;
    }
    s = get_str(p, "mode", where, 0);
    if (s == NULL && why[0] != '\0') {
        return -1;
    }
    if (s != NULL) {
        *invalid |= has_ctl(s);
        if (text_add(t, "mode: ", s, "\n") != 0) {
            return -1;
        }
    }
    it = cJSON_GetObjectItemCaseSensitive(p, "max_age");
    if (it != NULL && !cJSON_IsNull(it)) {
        double v;
        if (!cJSON_IsNumber(it)) {
            return bad("%s.max_age: not a number", where);
        }
        v = it->valuedouble;
        if (!(v >= 0.0 && v <= UINT_JSON_MAX) || (double)(uint64_t)v != v) {
            *invalid = 1; /* a sign or a fraction: no valid max_age */
        } else {
            snprintf(num, sizeof num, "%llu", (unsigned long long)(uint64_t)v);
            if (text_add(t, "max_age: ", num, "\n") != 0) {
                return -1;
            }
        }
    }
    it = cJSON_GetObjectItemCaseSensitive(p, "mx");
    if (it != NULL && !cJSON_IsNull(it)) {
        const cJSON *m;
        if (!cJSON_IsArray(it)) {
            return bad("%s.mx: not an array", where);
        }
        cJSON_ArrayForEach(m, it)
        {
            if (!cJSON_IsString(m) || m->valuestring == NULL) {
                return bad("%s.mx: not an array of strings", where);
            }
            *invalid |= has_ctl(m->valuestring);
            if (text_add(t, "mx: ", m->valuestring, "\n") != 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* Parse a policy given as JSON (or as a body string when @p allow_body, the
 * fetch's case; a cached entry has its own keys checked by the caller). */
static int policy_from_json(const cJSON *p, const char *where, int allow_body,
                            smtpc_sts_policy_t *pol, int *parse_rc)
{
    text_t t = {NULL, 0, 0};
    int invalid = 0;
    if (allow_body && cJSON_IsString(p) && p->valuestring != NULL) {
        if (text_add(&t, p->valuestring, NULL, NULL) != 0) {
            return -1;
        }
    } else if (policy_text(p, where, allow_body, &t, &invalid) != 0) {
        free(t.p);
        return -1;
    }
    *parse_rc = invalid ? SMTPC_ERR_STS_POLICY_INVALID
                        : smtpc_sts_policy_parse(t.p != NULL ? t.p : "", t.len, pol);
    free(t.p);
    return 0;
}

static int scen_cached(const cJSON *c, smtpc_sts_entry_t *e)
{
    static const char *const keys[] = {"id", "fetched_at", "mode", "max_age", "mx", NULL};
    const char *id;
    int rc = SMTPC_OK;
    if (c == NULL || cJSON_IsNull(c)) {
        return 0;
    }
    if (!cJSON_IsObject(c)) {
        return bad("cached: not an object or null");
    }
    if (only_keys(c, "cached", keys) != 0) {
        return -1;
    }
    id = get_str(c, "id", "cached", 1);
    if (id == NULL) {
        return -1;
    }
    if (!id_ok(id)) {
        return bad("cached.id: not 1 to 32 letters and digits");
    }
    if (get_uint(cJSON_GetObjectItemCaseSensitive(c, "fetched_at"), "cached.fetched_at", UINT64_MAX,
                 &e->fetched_at) != 0) {
        return -1;
    }
    if (get_str(c, "mode", "cached", 1) == NULL) {
        return -1;
    }
    {
        uint64_t age;
        if (get_uint(cJSON_GetObjectItemCaseSensitive(c, "max_age"), "cached.max_age", 31557600u,
                     &age) != 0) {
            return -1;
        }
    }
    /* Validated the faithful way: as the body it would have come from. */
    if (policy_from_json(c, "cached", 0, &e->policy, &rc) != 0) {
        return -1;
    }
    if (rc != SMTPC_OK) {
        return bad("cached: not a policy smtpc would hold (%s)", smtpc_strerror(rc));
    }
    snprintf(e->id, sizeof e->id, "%s", id);
    e->has_policy = 1;
    return 0;
}

typedef struct {
    uint64_t at;
    const char *id;
    int ok;
} hist_t;

/* Fold the fetch history into the back-off state, as smtpc_sts_settle()
 * would have left it: a failed fetch records its id and time, a successful
 * one clears them. A fetch at time 0 (clock unknown) recorded nothing. */
static int scen_history(const cJSON *h, smtpc_sts_entry_t *e)
{
    static const char *const keys[] = {"at", "id", "fetch", NULL};
    const cJSON *it;
    hist_t *items;
    size_t n = 0, cap;
    if (h == NULL || cJSON_IsNull(h)) {
        return 0;
    }
    if (!cJSON_IsArray(h)) {
        return bad("history: not an array");
    }
    cap = (size_t)cJSON_GetArraySize(h);
    items = calloc(cap > 0 ? cap : 1, sizeof *items);
    if (items == NULL) {
        return bad("out of memory");
    }
    cJSON_ArrayForEach(it, h)
    {
        char where[48];
        const char *f;
        snprintf(where, sizeof where, "history[%zu]", n);
        if (!cJSON_IsObject(it)) {
            free(items);
            return bad("%s: not an object", where);
        }
        if (only_keys(it, where, keys) != 0 ||
            get_uint(cJSON_GetObjectItemCaseSensitive(it, "at"), where, UINT64_MAX, &items[n].at) !=
                0 ||
            (items[n].id = get_str(it, "id", where, 1)) == NULL ||
            (f = get_str(it, "fetch", where, 1)) == NULL) {
            free(items);
            return -1;
        }
        if (!id_ok(items[n].id)) {
            free(items);
            return bad("%s.id: not 1 to 32 letters and digits", where);
        }
        if (strcmp(f, "ok") != 0 && strcmp(f, "error") != 0) {
            free(items);
            return bad("%s.fetch: not \"ok\" or \"error\"", where);
        }
        items[n].ok = strcmp(f, "ok") == 0;
        n++;
    }
    /* Stable insertion sort by time. */
    for (size_t i = 1; i < n; i++) {
        hist_t x = items[i];
        size_t j = i;
        while (j > 0 && items[j - 1].at > x.at) {
            items[j] = items[j - 1];
            j--;
        }
        items[j] = x;
    }
    for (size_t i = 0; i < n; i++) {
        if (items[i].at == 0) {
            continue;
        }
        if (items[i].ok) {
            e->fail_id[0] = '\0';
            e->fail_at = 0;
        } else {
            snprintf(e->fail_id, sizeof e->fail_id, "%s", items[i].id);
            e->fail_at = items[i].at;
        }
    }
    free(items);
    return 0;
}

static int dns_by_name(const char *s)
{
    static const struct {
        const char *name;
        int rc;
    } map[] = {
        {"NXDOMAIN", SMTPC_ERR_DNS_NXDOMAIN},
        {"NODATA", SMTPC_ERR_DNS_NODATA},
        {"SERVFAIL", SMTPC_ERR_DNS_SERVFAIL},
        {"TIMEOUT", SMTPC_ERR_DNS_TIMEOUT},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(s, map[i].name) == 0) {
            return map[i].rc;
        }
    }
    return 0;
}

/* The TXT answer through the §3.1 selection. */
static int scen_txt(const cJSON *t, int *txt_rc, smtpc_sts_txt_t *txt)
{
    static const char *const keys[] = {"records", "dns", NULL};
    const cJSON *recs, *d, *r;
    smtpc_sts_sel_t sel;
    size_t idx = 0;
    if (t == NULL) {
        return bad("txt: missing");
    }
    if (!cJSON_IsObject(t)) {
        return bad("txt: not an object");
    }
    if (only_keys(t, "txt", keys) != 0) {
        return -1;
    }
    recs = cJSON_GetObjectItemCaseSensitive(t, "records");
    d = cJSON_GetObjectItemCaseSensitive(t, "dns");
    if ((recs == NULL) == (d == NULL)) {
        return bad("txt: needs exactly one of \"records\" and \"dns\"");
    }
    if (d != NULL) {
        if (!cJSON_IsString(d) || (*txt_rc = dns_by_name(d->valuestring)) == 0) {
            return bad("txt.dns: not NXDOMAIN, NODATA, SERVFAIL or TIMEOUT");
        }
        return 0;
    }
    if (!cJSON_IsArray(recs)) {
        return bad("txt.records: not an array");
    }
    smtpc_sts_sel_init(&sel);
    cJSON_ArrayForEach(r, recs)
    {
        text_t rec = {NULL, 0, 0};
        if (cJSON_IsString(r)) {
            if (text_add(&rec, r->valuestring, NULL, NULL) != 0) {
                return -1;
            }
        } else if (cJSON_IsArray(r)) {
            /* One RR of several strings: joined without separator (§3.1). */
            const cJSON *s;
            cJSON_ArrayForEach(s, r)
            {
                if (!cJSON_IsString(s) || text_add(&rec, s->valuestring, NULL, NULL) != 0) {
                    free(rec.p);
                    return why[0] != '\0' ? -1
                                          : bad("txt.records[%zu]: not a string or an array "
                                                "of strings",
                                                idx);
                }
            }
        } else {
            return bad("txt.records[%zu]: not a string or an array of strings", idx);
        }
        smtpc_sts_sel_add(&sel, rec.p != NULL ? rec.p : "", rec.len);
        free(rec.p);
        idx++;
    }
    *txt_rc = smtpc_sts_sel_result(&sel, txt);
    return 0;
}

/* What the fetch would return: its result code and policy. Checked whether
 * or not a fetch is made, so a typo never hides. */
static int scen_fetch(const cJSON *f, int *present, int *fetch_rc, smtpc_sts_policy_t *pol)
{
    static const char *const keys[] = {"status", "policy", "error", NULL};
    const char *st;
    *present = 0;
    if (f == NULL || cJSON_IsNull(f)) {
        return 0;
    }
    if (!cJSON_IsObject(f)) {
        return bad("fetch: not an object");
    }
    if (only_keys(f, "fetch", keys) != 0 || (st = get_str(f, "status", "fetch", 1)) == NULL) {
        return -1;
    }
    *present = 1;
    if (strcmp(st, "ok") == 0) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(f, "policy");
        if (p == NULL) {
            return bad("fetch.policy: missing");
        }
        if (cJSON_GetObjectItemCaseSensitive(f, "error") != NULL) {
            return bad("fetch: \"error\" goes with status \"error\"");
        }
        /* An invalid policy is a failed fetch (§3.2), never "no policy". */
        return policy_from_json(p, "fetch.policy", 1, pol, fetch_rc);
    }
    if (strcmp(st, "error") == 0) {
        const char *name = get_str(f, "error", "fetch", 0);
        if (name == NULL && why[0] != '\0') {
            return -1;
        }
        if (cJSON_GetObjectItemCaseSensitive(f, "policy") != NULL) {
            return bad("fetch: \"policy\" goes with status \"ok\"");
        }
        *fetch_rc = name != NULL ? err_by_name(name) : 0;
        if (*fetch_rc == 0) {
            *fetch_rc = SMTPC_ERR_STS_FETCH;
        }
        return 0;
    }
    return bad("fetch.status: not \"ok\" or \"error\"");
}

static const char *applied_name(int a)
{
    return a == SMTPC_STS_APPLY_FETCHED  ? "fetched"
           : a == SMTPC_STS_APPLY_CACHED ? "cached"
                                         : "none";
}

/* The policy fields of a cache entry (as explain's cache_after). */
static void entry_fields(cJSON *o, const smtpc_sts_entry_t *e)
{
    jstr(o, "id", e->id);
    jnum(o, "fetched_at", e->fetched_at);
    jnum(o, "expires_at", smtpc_sts_entry_expires(e));
    jstr(o, "mode", smtpc_sts_mode_name(e->policy.mode));
    jnum(o, "max_age", e->policy.max_age);
    jadd(o, "mx", mx_array(&e->policy));
}

static cJSON *entry_json(const smtpc_sts_entry_t *e)
{
    cJSON *o = new_object();
    if (o == NULL) {
        return NULL;
    }
    entry_fields(o, e);
    return o;
}

static int explain_run(const cJSON *sc, cJSON *out)
{
    static const char *const keys[] = {"now", "domain", "cached", "txt", "fetch", "history", NULL};
    static smtpc_sts_entry_t e, before;
    static smtpc_sts_policy_t fpol;
    smtpc_sts_txt_t txt;
    uint64_t now = 0;
    int txt_rc = SMTPC_ERR_DNS_NODATA;
    int fetch_rc = SMTPC_ERR_STS_FETCH;
    int have_fetch = 0;
    int changed = 0;
    const char *dom;
    if (!cJSON_IsObject(sc)) {
        return bad("not a JSON object");
    }
    if (only_keys(sc, "scenario", keys) != 0 ||
        get_uint(cJSON_GetObjectItemCaseSensitive(sc, "now"), "now", UINT64_MAX, &now) != 0 ||
        (dom = get_str(sc, "domain", "scenario", 1)) == NULL) {
        return -1;
    }
    memset(&e, 0, sizeof e);
    memset(&txt, 0, sizeof txt);
    memset(&fpol, 0, sizeof fpol);
    if (domain_arg(dom, e.domain, sizeof e.domain) != 0) {
        return bad("domain: not a valid domain name");
    }
    if (scen_cached(cJSON_GetObjectItemCaseSensitive(sc, "cached"), &e) != 0 ||
        scen_history(cJSON_GetObjectItemCaseSensitive(sc, "history"), &e) != 0 ||
        scen_txt(cJSON_GetObjectItemCaseSensitive(sc, "txt"), &txt_rc, &txt) != 0 ||
        scen_fetch(cJSON_GetObjectItemCaseSensitive(sc, "fetch"), &have_fetch, &fetch_rc, &fpol) !=
            0) {
        return -1;
    }
    int fetch = smtpc_sts_need_fetch(&e, now, txt_rc, &txt, 0);
    if (fetch && !have_fetch) {
        return bad("fetch: missing, and the decision makes one");
    }
    before = e;
    int applied = smtpc_sts_settle(&e, now, txt_rc, &txt, fetch, fetch_rc,
                                   fetch && fetch_rc == SMTPC_OK ? &fpol : NULL, &changed);
    /* What the store holds afterwards: settle() writes back only on a change
     * (with the clock unknown a fetched policy applies once, unstored). */
    const smtpc_sts_entry_t *st = changed ? &e : &before;
    jstr(out, "applied", applied_name(applied));
    jbool(out, "fetch_attempted", fetch);
    if (fetch && fetch_rc != SMTPC_OK) {
        jstr(out, "fetch_error", smtpc_strerror(fetch_rc));
    } else {
        jnull(out, "fetch_error");
    }
    if (applied != SMTPC_STS_APPLY_NONE) {
        jadd(out, "policy", policy_json(&e.policy));
    } else {
        jnull(out, "policy");
    }
    if (st->has_policy) {
        jadd(out, "cache_after", entry_json(st));
    } else {
        jnull(out, "cache_after");
    }
    if (st->fail_id[0] != '\0') {
        cJSON *b = new_object();
        if (b != NULL) {
            jstr(b, "id", st->fail_id);
            jnum(b, "at", st->fail_at);
            jadd(out, "backoff_after", b);
        }
    } else {
        jnull(out, "backoff_after");
    }
    return 0;
}

static int cmd_explain(int argc, char **argv)
{
    char *buf;
    size_t len = 0;
    (void)argv;
    if (argc != 2) {
        return usage_error("explain reads stdin and takes no arguments", NULL);
    }
    buf = malloc(SCENARIO_MAX + 1);
    if (buf == NULL) {
        fprintf(stderr, PROG ": out of memory\n");
        return 2;
    }
    len = fread(buf, 1, SCENARIO_MAX + 1, stdin);
    if (ferror(stdin)) {
        fprintf(stderr, PROG ": stdin: %s\n", strerror(errno));
        free(buf);
        return 2;
    }
    why[0] = '\0';
    cJSON *sc = NULL;
    if (len > SCENARIO_MAX) {
        bad("larger than %u bytes", SCENARIO_MAX);
    } else {
        const char *end = NULL;
        sc = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
        while (sc != NULL && end < buf + len &&
               (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')) {
            end++;
        }
        if (sc != NULL && end != buf + len) {
            cJSON_Delete(sc);
            sc = NULL;
            bad("not valid JSON (trailing data at byte %ld)", (long)(end - buf));
        } else if (sc == NULL) {
            const char *at = cJSON_GetErrorPtr();
            bad("not valid JSON (at byte %ld)",
                at != NULL && at >= buf && at <= buf + len ? (long)(at - buf) : (long)-1);
        }
    }
    cJSON *out = new_object();
    int rc = out != NULL && sc != NULL ? explain_run(sc, out) : -1;
    cJSON_Delete(sc);
    free(buf);
    if (rc != 0) {
        char msg[sizeof why + 16];
        cJSON_Delete(out);
        out = new_object();
        if (out == NULL) {
            return emit(out, 2);
        }
        snprintf(msg, sizeof msg, "bad scenario: %s", why[0] != '\0' ? why : "out of memory");
        jstr(out, "error", msg);
        return emit(out, 2);
    }
    return emit(out, 0);
}

/* --------------------------------------------------------------- main --- */

int main(int argc, char **argv)
{
    smtpc_posix_net_init(&net);
    smtpc_posix_dns_init(&dns);
    if (argc < 2) {
        return usage_error("missing COMMAND", NULL);
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf(PROG " %s\n", SMTPC_VERSION_STRING);
        return 0;
    }
    if (strcmp(cmd, "txt") == 0) {
        return cmd_txt(argc, argv);
    }
    if (strcmp(cmd, "policy") == 0) {
        return cmd_policy(argc, argv);
    }
    if (strcmp(cmd, "match") == 0) {
        return cmd_match(argc, argv);
    }
    if (strcmp(cmd, "fetch") == 0 || strcmp(cmd, "check") == 0) {
        return cmd_live(argc, argv);
    }
    if (strcmp(cmd, "explain") == 0) {
        return cmd_explain(argc, argv);
    }
    return usage_error("unknown command:", cmd);
}
