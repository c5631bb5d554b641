/* smtpc-send: submit one message with smtpc over POSIX sockets and mbed TLS.
 *
 *   smtpc-send --host smtp.example.org --from me@example.org --to you@example.net \
 *              --user me --pass-file ~/.smtp-pass --data msg.eml
 *
 * With --cache FILE the MTA-STS policies (and the time floor) persist across
 * runs in FILE, a file that behaves like NOR flash (examples/common/cli_cache.h).
 *
 * Exit status: 0 delivered to every recipient, 3 accepted for some recipients
 * only, 1 any other failure, 2 usage error. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_cache.h"
#include "smtpc/smtpc.h"
#include "smtpc_mbedtls.h"
#include "smtpc_posix.h"

#define PROG            "smtpc-send"
#define DEFAULT_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
#define MESSAGE_MAX     (64u * 1024u * 1024u) /* SIZE= is 32-bit; a CLI has no use for more */
#define SECRET_MAX      4096                  /* OAuth bearer tokens run to a few KB */
#define TRACE_LINE_MAX  1024

/* Option ids are letters for readability only: the one short option is -h. */
static const struct option long_opts[] = {
    {"host", required_argument, NULL, 'H'},
    {"port", required_argument, NULL, 'p'},
    {"tls", required_argument, NULL, 't'},
    {"tls-level", required_argument, NULL, 'l'},
    {"allow-plaintext", no_argument, NULL, 'A'},
    {"ca-file", required_argument, NULL, 'c'},
    {"from", required_argument, NULL, 'f'},
    {"to", required_argument, NULL, 'r'},
    {"user", required_argument, NULL, 'u'},
    {"pass-file", required_argument, NULL, 'P'},
    {"auth", required_argument, NULL, 'a'},
    {"token-file", required_argument, NULL, 'k'},
    {"helo", required_argument, NULL, 'e'},
    {"timeout", required_argument, NULL, 'T'},
    {"resolve", required_argument, NULL, 'R'},
    {"pipelining", no_argument, NULL, 'i'},
    {"trace", no_argument, NULL, 'v'},
    {"data", required_argument, NULL, 'd'},
    {"8bitmime", no_argument, NULL, '8'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"mx", no_argument, NULL, 'M'},
    {"dns", required_argument, NULL, 'D'},
    {"no-sts", no_argument, NULL, 'N'},
    {"sts-domain", required_argument, NULL, 'S'},
    {"cache", required_argument, NULL, 'C'},
    {"cache-geometry", required_argument, NULL, 'G'},
    {"tlsrpt-log", required_argument, NULL, 'L'},
    {NULL, 0, NULL, 0},
};

static const char usage_text[] =
    "usage: " PROG " (--host H | --mx) --from ADDR --to ADDR [--to ADDR ...] [options]\n"
    "  --host H               server name (or address literal)\n"
    "  --mx                   deliver to each recipient domain's MX hosts (port 25)\n"
    "  --dns ADDR[:PORT]      nameserver for --mx (repeatable), default /etc/resolv.conf\n"
    "  --no-sts               --mx without MTA-STS (RFC 8461; applied by default)\n"
    "  --sts-domain D         apply D's MTA-STS policy to the --host smarthost\n"
    "  --cache FILE           keep MTA-STS policies across runs in FILE, a file that\n"
    "                         behaves like NOR flash (created erased when absent);\n"
    "                         default: a RAM store, forgotten at exit\n"
    "  --cache-geometry SECTORS:SECTOR_SIZE:PROG_SIZE\n"
    "                         flash geometry of FILE (default " CLI_CACHE_GEOM_DEFAULT
    "):\n" CLI_CACHE_GEOM_HELP
    "  --tlsrpt-log FILE      record every delivery session of a domain that publishes\n"
    "                         a TLSRPT record (RFC 8460) into the compact log in FILE\n"
    "                         (NOR-like file, geometry " CLI_CACHE_GEOM_DEFAULT "); read it\n"
    "                         with smtpc-tlsrpt\n"
    "  --port P               default 587 (starttls), 465 (implicit), 25 (none, --mx)\n"
    "  --tls MODE             starttls (default) | implicit | none\n"
    "  --tls-level L          verified (default; encrypted with --mx) | encrypted\n"
    "  --allow-plaintext      accept a session without TLS (needed with --tls none)\n"
    "  --ca-file F            CA bundle, default " DEFAULT_CA_FILE "\n"
    "  --from ADDR            envelope sender (\"\" for the null reverse-path)\n"
    "  --to ADDR              recipient, repeatable\n"
    "  --user U               AUTH identity\n"
    "  --pass-file F          password: first line of F\n"
    "  --auth M               plain | login | xoauth2 (xoauth2 reads --token-file F)\n"
    "  --helo NAME            EHLO name, default the host name\n"
    "  --timeout S            whole-session deadline in seconds\n"
    "  --resolve H:P:A        connect to address A for host H, port P (repeatable)\n"
    "  --pipelining           use PIPELINING when the server offers it\n"
    "  --trace                print the SMTP transcript on stderr (with --cache, also\n"
    "                         the cached policies after the run)\n"
    "  --data F               message file (RFC 5322), default stdin\n"
    "  --8bitmime             declare BODY=8BITMIME (automatic for 8-bit messages)\n"
    "  -h, --help             this text\n"
    "  --version              print the version\n";

/* One session per process: the client, its buffers and the port contexts are static. */
static smtpc_client_t client;
static smtpc_client_mem_t client_mem;
static smtpc_posix_net_t net;
static smtpc_posix_dns_t dns;
static smtpc_mbedtls_t tls;
static smtpc_sts_ram_t sts_ram;
static cli_cache_t cache;
static cli_rptlog_t rptlog;

static const char *rcpts[SMTPC_MAX_RCPT];
static char pass[SECRET_MAX];
static char token[SECRET_MAX];
static char helo[SMTPC_HOSTNAME_MAX + 1];

typedef struct {
    const char *host, *from, *user, *pass_file, *token_file, *ca_file, *data_file, *helo;
    const char *sts_domain, *cache_file, *rptlog_file;
    smtpc_flash_geom_t cache_geom;
    unsigned long port, timeout_s;
    size_t to_count;
    int mode_ix, level_ix, auth_ix;
    smtpc_tls_mode_t mode;
    smtpc_tls_level_t level;
    uint8_t mechs;
    int has_level, allow_plain, pipelining, trace, force_8bit, mx, no_sts, has_geom;
} args_t;

typedef struct {
    uint8_t *data;
    size_t len, off;
} message_t;

/* The server's current, unfinished transcript line. */
static char trace_line_buf[TRACE_LINE_MAX];
static size_t trace_line_len;

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

/* Index of @p arg among up to three names, or -1. */
static int pick(const char *arg, const char *n0, const char *n1, const char *n2, int *ix)
{
    const char *names[3] = {n0, n1, n2};
    for (int i = 0; i < 3; i++) {
        if (names[i] != NULL && strcmp(arg, names[i]) == 0) {
            *ix = i;
            return 0;
        }
    }
    return -1;
}

static int parse_one(args_t *a, int opt, const char *arg)
{
    switch (opt) {
    case 'H':
        a->host = arg;
        return 0;
    case 'p':
        return parse_ulong(arg, 1, 65535, &a->port);
    case 'T':
        return parse_ulong(arg, 1, 86400, &a->timeout_s);
    case 'c':
        a->ca_file = arg;
        return 0;
    case 'f':
        a->from = arg;
        return 0;
    case 'u':
        a->user = arg;
        return 0;
    case 'P':
        a->pass_file = arg;
        return 0;
    case 'k':
        a->token_file = arg;
        return 0;
    case 'e':
        a->helo = arg;
        return 0;
    case 'd':
        a->data_file = arg;
        return 0;
    case 'A':
        a->allow_plain = 1;
        return 0;
    case 'i':
        a->pipelining = 1;
        return 0;
    case 'v':
        a->trace = 1;
        return 0;
    case '8':
        a->force_8bit = 1;
        return 0;
    case 'R':
        return smtpc_posix_parse_resolve(&net, arg) == SMTPC_OK ? 0 : -1;
    case 'M':
        a->mx = 1;
        return 0;
    case 'D':
        return smtpc_posix_dns_add_server(&dns, arg) == SMTPC_OK ? 0 : -1;
    case 'N':
        a->no_sts = 1;
        return 0;
    case 'S':
        a->sts_domain = arg;
        return 0;
    case 'L':
        a->rptlog_file = arg;
        return 0;
    case 'C':
        a->cache_file = arg;
        return arg[0] != '\0' ? 0 : -1;
    case 'G':
        a->has_geom = 1;
        return cli_cache_geom_parse(arg, &a->cache_geom);
    case 'r':
        rcpts[a->to_count++] = arg;
        return 0;
    case 't':
        return pick(arg, "starttls", "implicit", "none", &a->mode_ix);
    case 'l':
        a->has_level = 1;
        return pick(arg, "encrypted", "verified", NULL, &a->level_ix);
    case 'a':
        return pick(arg, "plain", "login", "xoauth2", &a->auth_ix);
    default:
        return -1;
    }
}

/* Returns -1 to continue, else an exit status. */
static int parse_args(args_t *a, int argc, char **argv)
{
    int opt, li = 0;
    char what[64];
    memset(a, 0, sizeof *a);
    a->ca_file = DEFAULT_CA_FILE;
    a->level_ix = 1;
    a->auth_ix = -1;
    cli_cache_geom_default(&a->cache_geom);
    opterr = 0; /* one error line, ours */
    while ((opt = getopt_long(argc, argv, "h", long_opts, &li)) != -1) {
        if (opt == 'h') {
            fputs(usage_text, stdout);
            return 0;
        }
        if (opt == 'V') {
            printf(PROG " %s\n", SMTPC_VERSION_STRING);
            return 0;
        }
        if (opt == '?') {
            return usage_error("unknown option or missing value:", argv[optind - 1]);
        }
        if (opt == 'r' && a->to_count >= SMTPC_MAX_RCPT) {
            snprintf(what, sizeof what, "at most %d recipients:", SMTPC_MAX_RCPT);
            return usage_error(what, optarg);
        }
        if (parse_one(a, opt, optarg) != 0) {
            snprintf(what, sizeof what, "invalid value for --%s:", long_opts[li].name);
            return usage_error(what, optarg);
        }
    }
    static const smtpc_tls_mode_t modes[] = {SMTPC_TLS_STARTTLS, SMTPC_TLS_IMPLICIT,
                                             SMTPC_TLS_NONE};
    static const uint8_t mechs[] = {SMTPC_AUTH_PLAIN, SMTPC_AUTH_LOGIN, SMTPC_AUTH_XOAUTH2};
    a->mode = modes[a->mode_ix];
    a->level = a->level_ix == 0 ? SMTPC_TLS_ENCRYPTED : SMTPC_TLS_VERIFIED;
    if (a->mx && !a->has_level) {
        /* Direct delivery without a policy: STARTTLS required, certificate
         * recorded (ARCHITECTURE: ENCRYPTED is the MX default). */
        a->level = SMTPC_TLS_ENCRYPTED;
    }
    a->mechs = a->auth_ix >= 0 ? mechs[a->auth_ix] : 0;
    if (optind < argc) {
        return usage_error("unexpected argument:", argv[optind]);
    }
    if ((a->host == NULL) == (a->mx == 0) || a->from == NULL || a->to_count == 0) {
        return usage_error("one of --host or --mx, --from and at least one --to are required",
                           NULL);
    }
    if (a->allow_plain && a->has_level) {
        return usage_error("--allow-plaintext and --tls-level exclude each other", NULL);
    }
    if (a->mechs == SMTPC_AUTH_XOAUTH2 ? a->token_file == NULL : a->token_file != NULL) {
        return usage_error("--token-file goes with --auth xoauth2", NULL);
    }
    if ((a->user != NULL) != (a->pass_file != NULL || a->token_file != NULL) ||
        (a->mechs != 0 && a->user == NULL)) {
        return usage_error("--user needs --pass-file (or --token-file), and vice versa", NULL);
    }
    if (a->rptlog_file != NULL && !a->mx && a->sts_domain == NULL) {
        return usage_error("--tlsrpt-log records MX deliveries: it needs --mx or --sts-domain",
                           NULL);
    }
    if (a->has_geom && a->cache_file == NULL) {
        return usage_error("--cache-geometry goes with --cache", NULL);
    }
    if (a->cache_file != NULL && !((a->mx && !a->no_sts) || a->sts_domain != NULL)) {
        return usage_error("--cache keeps MTA-STS policies: it needs --mx (without --no-sts) "
                           "or --sts-domain",
                           NULL);
    }
    if (a->allow_plain) {
        a->level = SMTPC_TLS_PLAINTEXT_ALLOWED;
    }
    if (a->port == 0) {
        a->port = a->mx                           ? 25
                  : a->mode == SMTPC_TLS_IMPLICIT ? 465
                  : a->mode == SMTPC_TLS_NONE     ? 25
                                                  : 587;
    }
    return -1;
}

/* First line of a file, CR/LF stripped: secrets never appear on the command line. */
static int read_secret(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
        return -1;
    }
    int ok = fgets(out, (int)cap, f) != NULL;
    int more = ok && fgetc(f) != EOF;
    fclose(f);
    size_t len = ok ? strlen(out) : 0;
    if (len == cap - 1 && out[len - 1] != '\n' && more) {
        fprintf(stderr, PROG ": %s: first line too long\n", path);
        return -1;
    }
    while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r')) {
        out[--len] = '\0';
    }
    if (len == 0) {
        fprintf(stderr, PROG ": %s: empty\n", path);
        return -1;
    }
    return 0;
}

static int read_message(const char *path, message_t *m)
{
    FILE *f = path != NULL ? fopen(path, "rb") : stdin;
    if (f == NULL) {
        fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 0, len = 0;
    uint8_t *buf = NULL;
    int rc = 0;
    while (rc == 0) {
        if (len == cap) {
            size_t ncap = cap == 0 ? 65536 : cap * 2;
            uint8_t *nbuf = ncap <= MESSAGE_MAX + 1u ? realloc(buf, ncap) : NULL;
            if (nbuf == NULL) {
                fprintf(stderr, PROG ": message larger than %u bytes\n", MESSAGE_MAX);
                rc = -1;
                break;
            }
            buf = nbuf;
            cap = ncap;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0) {
            rc = ferror(f) ? -1 : 1;
        }
    }
    if (rc < 0 || len > MESSAGE_MAX) {
        free(buf);
        buf = NULL;
        rc = -1;
    }
    if (f != stdin) {
        fclose(f);
    }
    m->data = buf;
    m->len = len;
    m->off = 0;
    return rc < 0 ? -1 : 0;
}

static int body_read(void *arg, uint8_t *buf, size_t cap, size_t *len, bool *eof)
{
    message_t *m = arg;
    size_t n = m->len - m->off < cap ? m->len - m->off : cap;
    memcpy(buf, m->data + m->off, n);
    m->off += n;
    *len = n;
    *eof = m->off == m->len;
    return SMTPC_OK;
}

static int body_rewind(void *arg)
{
    ((message_t *)arg)->off = 0;
    return SMTPC_OK;
}

static int token_get(void *arg, const char **tok, size_t *len)
{
    (void)arg;
    *tok = token;
    *len = strlen(token);
    return SMTPC_OK;
}

/* Prints a transcript line; control bytes are escaped so a server cannot drive the terminal. */
static void trace_line(const char *tag, const char *s, size_t len)
{
    fputs(tag, stderr);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\r' && i + 1 == len) {
            break;
        }
        if (ch < 0x20 || ch == 0x7f) {
            fprintf(stderr, "\\x%02x", ch);
        } else {
            fputc(ch, stderr);
        }
    }
    fputc('\n', stderr);
}

static void trace_flush(void)
{
    if (trace_line_len > 0) {
        trace_line("S: ", trace_line_buf, trace_line_len);
        trace_line_len = 0;
    }
}

static void trace_cb(void *arg, smtpc_trace_dir_t dir, const uint8_t *data, size_t len)
{
    (void)arg;
    if (dir != SMTPC_TRACE_SERVER) {
        /* Client commands and notes arrive whole; split only a pipelined batch. */
        const char *tag = dir == SMTPC_TRACE_CLIENT ? "C: " : "* ";
        size_t start = 0;
        for (size_t i = 0; i <= len; i++) {
            if (i == len || data[i] == '\n') {
                if (i > start) {
                    trace_line(tag, (const char *)data + start, i - start);
                }
                start = i + 1;
            }
        }
        return;
    }
    /* Server bytes arrive in arbitrary chunks: keep the partial line across calls. */
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n' || trace_line_len == sizeof trace_line_buf) {
            trace_flush();
            if (data[i] == '\n') {
                continue;
            }
        }
        trace_line_buf[trace_line_len++] = (char)data[i];
    }
}

static int has_8bit(const message_t *m)
{
    for (size_t i = 0; i < m->len; i++) {
        if (m->data[i] >= 0x80) {
            return 1;
        }
    }
    return 0;
}

static uint32_t cap_ms(uint32_t dflt, uint32_t total)
{
    return total != 0 && total < dflt ? total : dflt;
}

static const char *applied_name(int a)
{
    return a == SMTPC_STS_APPLY_FETCHED  ? "fetched"
           : a == SMTPC_STS_APPLY_CACHED ? "cached"
                                         : "none";
}

static const char *mx_policy_name(int p)
{
    return p == SMTPC_MX_MATCH ? "listed" : p == SMTPC_MX_NO_MATCH ? "not-listed" : "no-policy";
}

static const char *level_name(int l)
{
    return l == SMTPC_TLS_VERIFIED    ? "verified"
           : l == SMTPC_TLS_ENCRYPTED ? "encrypted"
                                      : "plaintext";
}

/* MTA-STS outcome and per-MX verdicts: always on failure, with --trace on success. */
static void report_sts(const args_t *a, const smtpc_result_t *r)
{
    if (!a->mx && a->sts_domain == NULL) {
        return;
    }
    if (a->no_sts) {
        fprintf(stderr, "* mta-sts: off\n");
    } else {
        fprintf(stderr, "* mta-sts: policy=%s mode=%s id=%s txt=%s", applied_name(r->sts_applied),
                r->sts_applied != SMTPC_STS_APPLY_NONE ? smtpc_sts_mode_name(r->sts_mode) : "-",
                r->sts_id[0] != '\0' ? r->sts_id : "-", smtpc_strerror(r->sts_txt_err));
        if (r->sts_fetched) {
            fprintf(stderr, " fetch=%s", smtpc_strerror(r->sts_fetch_err));
        }
        fputc('\n', stderr);
    }
    for (unsigned i = 0; i < r->mx_count; i++) {
        const smtpc_mx_verdict_t *v = &r->mx[i];
        const char *name = smtpc_client_mx_name(&client, i);
        fprintf(stderr, "* mx %s: %s", name != NULL ? name : "?", mx_policy_name(v->policy));
        if (v->tried) {
            fprintf(stderr, " required=%s reached=%s cert=%s %s", level_name(v->level),
                    level_name(v->tls_reached), smtpc_cert_name(v->cert), smtpc_strerror(v->err));
        } else {
            fprintf(stderr, " not-tried %s", smtpc_strerror(v->err));
        }
        fputc('\n', stderr);
    }
}

/* "-" for an unknown (0) time. */
static const char *time_str(uint64_t t, char *buf, size_t cap)
{
    if (t == 0) {
        return "-";
    }
    snprintf(buf, cap, "%llu", (unsigned long long)t);
    return buf;
}

/* --trace with --cache: the entries the cache holds after the run. */
static void report_cache(void)
{
    static smtpc_sts_entry_t e;
    char t1[24], t2[24];
    unsigned n = 0;
    const smtpc_kvs_stats_t *st = smtpc_kvs_stats(&cache.kvs);
    while (smtpc_cache_ops.iter(&cache.cache, n, &e) == SMTPC_OK) {
        if (e.has_policy) {
            fprintf(stderr, "* cache: %s id=%s mode=%s max_age=%lu fetched_at=%s expires_at=%s",
                    e.domain, e.id, smtpc_sts_mode_name(e.policy.mode),
                    (unsigned long)e.policy.max_age, time_str(e.fetched_at, t1, sizeof t1),
                    time_str(smtpc_sts_entry_expires(&e), t2, sizeof t2));
        } else {
            fprintf(stderr, "* cache: %s id=- mode=- max_age=- fetched_at=- expires_at=-",
                    e.domain);
        }
        if (e.fail_id[0] != '\0') {
            fprintf(stderr, " backoff=%s@%s", e.fail_id, time_str(e.fail_at, t1, sizeof t1));
        }
        fputc('\n', stderr);
        n++;
    }
    unsigned held = smtpc_cache_count(&cache.cache);
    fprintf(stderr, "* cache: %u entries, floor=%llu, erases=%lu", n,
            (unsigned long long)smtpc_cache_floor(&cache.cache),
            (unsigned long)(st != NULL ? st->erases : 0));
    if (held > n) {
        fprintf(stderr, ", unreadable=%u", held - n);
    }
    fputc('\n', stderr);
}

/* The TLS-RPT hook: record into the log; with --trace say what was counted. */
static int rpt_trace;

static void rpt_hook(void *arg, const smtpc_tls_event_t *ev)
{
    smtpc_tlsrpt_log_t *log = (smtpc_tlsrpt_log_t *)arg;
    uint64_t now = log->clock->utc_s(log->clock_ctx);
    int rc = smtpc_tlsrpt_log_record(log, ev, now);
    if (rpt_trace || rc != SMTPC_OK) {
        smtpc_rpt_class_t k = smtpc_tlsrpt_classify(ev);
        char reason[64];
        (void)smtpc_tlsrpt_reason_text(k.reason_ns, k.reason, reason, sizeof reason);
        fprintf(stderr, "* tlsrpt: %s %s%s%s: %s%s%s%s%s\n", ev->domain,
                ev->kind == SMTPC_EV_POLICY ? "policy" : "session",
                ev->kind == SMTPC_EV_SESSION ? " " : "",
                ev->kind == SMTPC_EV_SESSION && ev->mx_host != NULL ? ev->mx_host : "",
                ev->rpt != SMTPC_RPT_PUBLISHED ? "not reported (no TLSRPT record)"
                : !k.count                     ? "not counted"
                                               : smtpc_tlsrpt_result_name(k.result),
                reason[0] != '\0' && k.count ? " (" : "", k.count ? reason : "",
                reason[0] != '\0' && k.count ? ")" : "", rc != SMTPC_OK ? " - NOT RECORDED" : "");
        if (rc != SMTPC_OK) {
            fprintf(stderr, PROG ": --tlsrpt-log: %s\n", smtpc_strerror(rc));
        }
    }
}

static int report(const args_t *a, const smtpc_result_t *r)
{
    char line[256];
    smtpc_result_format(r, line, sizeof line);
    if (a->trace || r->err != SMTPC_OK) {
        report_sts(a, r);
    }
    if (r->err == SMTPC_OK) {
        if (a->trace) {
            fprintf(stderr, "* result: %s\n", line);
        }
        return 0;
    }
    fprintf(stderr, PROG ": %s\n", line);
    for (size_t i = 0; i < a->to_count && i < SMTPC_MAX_RCPT; i++) {
        const smtpc_rcpt_result_t *rr = &r->rcpt[i];
        if (rr->err != SMTPC_OK && rr->code != 0) {
            fprintf(stderr, PROG ": rcpt %s: %s %u %u.%u.%u\n", rcpts[i], smtpc_strerror(rr->err),
                    rr->code, rr->enh[0], rr->enh[1], rr->enh[2]);
        }
    }
    if (r->err == SMTPC_ERR_RCPT_SOME_REJECTED && (r->flags & SMTPC_RESULT_ACCEPTED)) {
        return 3;
    }
    return 1;
}

int main(int argc, char **argv)
{
    args_t a;
    smtpc_posix_net_init(&net);
    smtpc_posix_dns_init(&dns);
    int rc = parse_args(&a, argc, argv);
    if (rc >= 0) {
        return rc;
    }
    if (a.pass_file != NULL && read_secret(a.pass_file, pass, sizeof pass) != 0) {
        return 1;
    }
    if (a.token_file != NULL && read_secret(a.token_file, token, sizeof token) != 0) {
        return 1;
    }
    if ((a.mx || a.sts_domain != NULL) && dns.count == 0 &&
        smtpc_posix_dns_load_resolv_conf(&dns, NULL) != SMTPC_OK) {
        fprintf(stderr, PROG ": no nameserver: give --dns ADDR or fix /etc/resolv.conf\n");
        return 1;
    }
    if (a.helo == NULL) {
        a.helo = gethostname(helo, sizeof helo - 1) == 0 && helo[0] != '\0' ? helo : "localhost";
    }
    message_t msg;
    if (read_message(a.data_file, &msg) != 0) {
        return 1;
    }

    /* Plaintext sessions never verify, and an "encrypted" session records the
     * verdict only: both do without a CA bundle. */
    smtpc_mbedtls_cfg_t tcfg = {.ca_file = a.ca_file, .rng = &smtpc_posix_rng_ops};
    /* An MTA-STS policy can raise any session to verified, and its fetch is
     * always verified: keep the bundle whenever it is readable. */
    int sts_on = (a.mx && !a.no_sts) || a.sts_domain != NULL;
    if ((a.mode == SMTPC_TLS_NONE && !sts_on) ||
        (a.level != SMTPC_TLS_VERIFIED && access(a.ca_file, R_OK) != 0)) {
        tcfg.ca_file = NULL;
    }
    rc = smtpc_mbedtls_init(&tls, &tcfg);
    if (rc != SMTPC_OK) {
        fprintf(stderr, PROG ": TLS setup failed (%s, CA file %s)\n", smtpc_strerror(rc),
                a.ca_file);
        free(msg.data);
        return 1;
    }
    smtpc_platform_t plat = {
        .net = &smtpc_posix_net_ops,
        .net_ctx = &net,
        .tls = &smtpc_mbedtls_tls_ops,
        .tls_ctx = &tls,
        .clock = &smtpc_posix_clock_ops,
        .rng = &smtpc_posix_rng_ops,
        .dgram = &smtpc_posix_dgram_ops,
        .dgram_ctx = &dns,
        .trace = a.trace ? trace_cb : NULL,
        .sts_store = &smtpc_sts_ram_ops,
        .sts_store_ctx = &sts_ram,
    };
    smtpc_sts_ram_init(&sts_ram);
    if (a.cache_file != NULL) {
        /* Policies and the time floor persist in the file; the clock never
         * reads earlier than the floor. */
        if (cli_cache_open(&cache, PROG, a.cache_file, &a.cache_geom, &smtpc_posix_clock_ops,
                           NULL) != 0) {
            smtpc_mbedtls_free(&tls);
            free(msg.data);
            return 1;
        }
        plat.sts_store = &smtpc_cache_ops;
        plat.sts_store_ctx = &cache.cache;
        plat.clock = &smtpc_floor_clock_ops;
        plat.clock_ctx = &cache.clock;
        if (a.trace) {
            const smtpc_kvs_stats_t *st = smtpc_kvs_stats(&cache.kvs);
            char g[48];
            cli_cache_geom_format(&a.cache_geom, g, sizeof g);
            fprintf(stderr, "* cache: %s geometry=%s revision=%lu%s%s\n", a.cache_file, g,
                    (unsigned long)st->revision, st->formatted ? " formatted" : "",
                    st->torn ? " torn-tail" : "");
        }
    }
    if (a.rptlog_file != NULL) {
        smtpc_flash_geom_t g;
        cli_cache_geom_default(&g);
        if (cli_rptlog_open(&rptlog, PROG, "--tlsrpt-log", a.rptlog_file, &g, plat.clock,
                            plat.clock_ctx) != 0) {
            cli_cache_close(&cache);
            smtpc_mbedtls_free(&tls);
            free(msg.data);
            return 1;
        }
        plat.report = rpt_hook;
        plat.report_arg = &rptlog.log;
        rpt_trace = a.trace;
    }
    uint32_t total = (uint32_t)a.timeout_s * 1000u;
    smtpc_client_cfg_t cfg = {
        .mode = a.mx ? SMTPC_MODE_MX : SMTPC_MODE_SUBMISSION,
        .host = a.host,
        .port = (uint16_t)a.port,
        .session = {.helo_name = a.helo,
                    .tls_mode = a.mode,
                    .tls_level = a.level,
                    .user = a.user,
                    .pass = a.pass_file != NULL ? pass : NULL,
                    .token = a.token_file != NULL ? token_get : NULL,
                    .auth_mechs = a.mechs,
                    .pipelining = a.pipelining != 0},
        .timeouts = {.connect_ms = cap_ms(SMTPC_TIMEOUT_CONNECT_MS, total),
                     .greeting_ms = cap_ms(SMTPC_TIMEOUT_GREETING_MS, total),
                     .command_ms = cap_ms(SMTPC_TIMEOUT_COMMAND_MS, total),
                     .tls_ms = cap_ms(SMTPC_TIMEOUT_TLS_MS, total),
                     .data_init_ms = cap_ms(SMTPC_TIMEOUT_DATA_INIT_MS, total),
                     .data_block_ms = cap_ms(SMTPC_TIMEOUT_DATA_BLOCK_MS, total),
                     .data_end_ms = cap_ms(SMTPC_TIMEOUT_DATA_END_MS, total),
                     .total_ms = total != 0 ? total : SMTPC_TIMEOUT_TOTAL_MS,
                     /* At most half the session deadline: a failed fetch
                      * still leaves time to deliver without a policy. */
                     .sts_fetch_ms = cap_ms(SMTPC_STS_FETCH_TIMEOUT_MS, total / 2u)},
        .sts_off = (uint8_t)(a.no_sts != 0),
        .sts_domain = a.sts_domain,
    };
    smtpc_envelope_t env = {
        .from = a.from,
        .to = rcpts,
        .to_count = a.to_count,
        .size_hint = (uint32_t)msg.len,
        .flags = (a.force_8bit || has_8bit(&msg)) ? SMTPC_ENV_8BITMIME : 0,
    };
    smtpc_body_src_t body = {.read = body_read, .rewind = body_rewind, .arg = &msg};

    rc = smtpc_client_init(&client, &cfg, &plat, &client_mem);
    if (rc != SMTPC_OK) {
        fprintf(stderr, PROG ": %s\n", smtpc_strerror(rc));
        rc = 1;
    } else {
        if (smtpc_client_start(&client, &env, &body) == SMTPC_IN_PROGRESS) {
            (void)smtpc_posix_run(&client, &net, &dns);
        }
        if (a.trace) {
            trace_flush();
        }
        rc = report(&a, smtpc_client_result(&client));
        if (a.trace && cache.is_open) {
            report_cache();
        }
    }
    if (rptlog.is_open) {
        const smtpc_tlsrpt_stats_t *st = smtpc_tlsrpt_log_stats(&rptlog.log);
        int frc;
        if (a.trace) {
            fprintf(stderr, "* tlsrpt log: %s recorded=%lu ignored=%lu dropped=%lu\n",
                    a.rptlog_file, (unsigned long)st->recorded, (unsigned long)st->ignored,
                    (unsigned long)st->dropped);
        }
        frc = cli_rptlog_close(&rptlog);
        if (frc != SMTPC_OK) {
            fprintf(stderr, PROG ": --tlsrpt-log %s: %s\n", a.rptlog_file, smtpc_strerror(frc));
            rc = rc == 0 ? 1 : rc;
        }
    }
    cli_cache_close(&cache);
    smtpc_mbedtls_free(&tls);
    memset(pass, 0, sizeof pass);
    memset(token, 0, sizeof token);
    free(msg.data);
    return rc;
}
