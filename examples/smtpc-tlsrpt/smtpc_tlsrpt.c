/* smtpc-tlsrpt: SMTP TLS Reporting (RFC 8460) with smtpc from the command
 * line: the `_smtp._tls` TXT record, the reports held in the compact log that
 * `smtpc-send --tlsrpt-log FILE` fills, their JSON, the report mail (DKIM
 * signed on request) and its delivery to every rua.
 *
 *   smtpc-tlsrpt txt < records                 the TXT selection (§3)
 *   smtpc-tlsrpt list --log FILE               reports held
 *   smtpc-tlsrpt render --log FILE --day D --domain D --org O --contact A
 *   smtpc-tlsrpt mail   ... --to ADDR          RFC 5322 message on stdout
 *   smtpc-tlsrpt send   ...                    deliver to every rua
 *
 * Exit status: see usage_text. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "cli_cache.h"
#include "cli_txt.h"
#include "smtpc/smtpc.h"
#include "smtpc/tlsrpt.h"
#include "smtpc/upload.h"
#include "smtpc_dkim.h"
#include "smtpc_mbedtls.h"
#include "smtpc_posix.h"

#define PROG            "smtpc-tlsrpt"
#define DEFAULT_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
#define TXT_LINE_MAX    4096u
#define JSON_MAX        (64u * 1024u)
#define ARENA_MAX       (32u * 1024u)
#define MAIL_MAX        (256u * 1024u)
#define DKIM_MAX        4096u
#define KEY_MAX         (16u * 1024u)
#define RUA_EXTRA_MAX   4u

static const char usage_text[] =
    "usage: " PROG " COMMAND [OPTIONS]\n"
    "SMTP TLS Reporting (RFC 8460) with smtpc.\n"
    "\n"
    "  txt                    TXT records of _smtp._tls.<domain> on stdin, one per line\n"
    "                         (TAB joins the strings of one record)\n"
    "                         -> {\"result\":\"tlsrpt\",\"rua\":[..],\"rua_skipped\":N} |\n"
    "                            {\"result\":\"no_tlsrpt\"} | {\"result\":\"error\",\"error\":E}\n"
    "                         exit 0 tlsrpt, 1 otherwise\n"
    "  list --log FILE        reports held -> {\"log\":FILE,\"reports\":[{\"day\",\"domain\",\n"
    "                         \"policies\",\"success\",\"failure\"},..]}\n"
    "  render REPORT          the report's RFC 8460 JSON on stdout (--gzip: gzip bytes)\n"
    "  mail REPORT --to ADDR  the complete report message (RFC 5322, CRLF) on stdout\n"
    "  send REPORT            look up _smtp._tls.<domain> (or take --rua) and deliver\n"
    "                         to every rua: mailto by direct MX delivery (STARTTLS when\n"
    "                         offered, plaintext allowed, no MTA-STS: RFC 8460 §3), https\n"
    "                         by POST of the gzip report; the report leaves the log once\n"
    "                         one rua accepted it\n"
    "                         -> "
    "{\"day\",\"domain\",\"rua\":[{\"uri\",\"result\":\"accepted|failed\",\n"
    "                             \"error\"[,\"status\"]},..],\"removed\":B}\n"
    "  -h, --help             this text\n"
    "\n"
    "REPORT options (render, mail, send):\n"
    "  --log FILE             the TLS-RPT log (smtpc-send --tlsrpt-log FILE)\n"
    "  --log-geometry G       its geometry SECTORS:SECTOR_SIZE:PROG_SIZE "
    "(default " CLI_CACHE_GEOM_DEFAULT ")\n"
    "  --day YYYY-MM-DD       the report's UTC day\n"
    "  --domain D             the policy domain\n"
    "  --org NAME             organization-name\n"
    "  --contact ADDR         contact-info; its domain is the TLS-Report-Submitter\n"
    "  --report-id ID         report-id (default <day>_<domain>[_<unique>])\n"
    "  --unique U             unique id (letters, digits) for report-id and file name\n"
    "  --sending-ip IP        sending-mta-ip to state (default: left out)\n"
    "  --gzip                 render: write the gzip report instead of the JSON\n"
    "mail and send:\n"
    "  --from ADDR            From and envelope sender (default: --contact)\n"
    "  --to ADDR              mail: the recipient (send takes it from each mailto rua)\n"
    "  --dkim-key PEM         sign with this RSA key (RFC 6376 rsa-sha256)\n"
    "  --dkim-selector S      DKIM selector (with --dkim-key)\n"
    "  --dkim-domain D        DKIM d= (default: the submitter domain)\n"
    "send:\n"
    "  --rua URI              deliver here instead of the published rua (repeatable)\n"
    "  --dns ADDR[:PORT]      nameserver (repeatable), default /etc/resolv.conf\n"
    "  --ca-file F            CA bundle for https rua (and STARTTLS), default\n"
    "                         " DEFAULT_CA_FILE "\n"
    "  --resolve H:P:A        connect to address A for host H, port P (repeatable)\n"
    "  --https-insecure       accept any certificate of an https rua (RFC 8460 §3 MAY)\n"
    "  --helo NAME            EHLO name for mailto delivery (default: the submitter)\n"
    "  --timeout S            per delivery, seconds (default 60)\n"
    "\n"
    "exit status: 0 success (send: at least one rua accepted the report, which was\n"
    "removed from the log); 1 no such report, no TLSRPT record, or no rua accepted\n"
    "(the report stays); 2 usage error or unusable input (log, key, arguments).\n";

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, PROG ": %s%s%s\n", msg, arg != NULL ? " " : "", arg != NULL ? arg : "");
    fprintf(stderr, "try '" PROG " --help'\n");
    return 2;
}

/* ---------------------------------------------------------------- JSON --- */

static int emit(cJSON *o, int rc)
{
    char *s = o != NULL ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (s == NULL) {
        fprintf(stderr, PROG ": out of memory\n");
        return 2;
    }
    puts(s);
    free(s);
    return rc;
}

/* ----------------------------------------------------------------- txt --- */

static smtpc_posix_net_t net;
static smtpc_posix_dns_t dns;

static cJSON *rua_json(const smtpc_rua_t *r)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL) {
        return NULL;
    }
    cJSON_AddStringToObject(o, "kind", r->kind == SMTPC_RUA_MAILTO ? "mailto" : "https");
    cJSON_AddStringToObject(o, "uri", r->uri);
    if (r->kind == SMTPC_RUA_MAILTO) {
        char addr[SMTPC_TLSRPT_URI_MAX + 1];
        int rc = smtpc_tlsrpt_mailto_addr(r->uri, addr, sizeof addr);
        if (rc == SMTPC_OK) {
            cJSON_AddStringToObject(o, "addr", addr);
        } else {
            cJSON_AddStringToObject(o, "error", smtpc_strerror(rc));
        }
    } else {
        char host[SMTPC_DNS_NAME_BUF];
        char target[SMTPC_TLSRPT_URI_MAX + 1];
        uint16_t port = 0;
        int rc = smtpc_tlsrpt_https_split(r->uri, host, sizeof host, &port, target, sizeof target);
        if (rc == SMTPC_OK) {
            cJSON_AddStringToObject(o, "host", host);
            cJSON_AddNumberToObject(o, "port", port);
            cJSON_AddStringToObject(o, "path", target);
        } else {
            cJSON_AddStringToObject(o, "error", smtpc_strerror(rc));
        }
    }
    return o;
}

static cJSON *txt_json(int rc, const smtpc_tlsrpt_txt_t *txt)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL) {
        return NULL;
    }
    if (rc == SMTPC_OK) {
        cJSON *arr = cJSON_AddArrayToObject(o, "rua");
        cJSON_AddStringToObject(o, "result", "tlsrpt");
        for (unsigned i = 0; i < txt->rua_count; i++) {
            cJSON_AddItemToArray(arr, rua_json(&txt->rua[i]));
        }
        cJSON_AddNumberToObject(o, "rua_skipped", txt->rua_skipped);
    } else if (rc == SMTPC_ERR_DNS_NODATA || rc == SMTPC_ERR_DNS_NXDOMAIN) {
        cJSON_AddStringToObject(o, "result", "no_tlsrpt");
    } else {
        cJSON_AddStringToObject(o, "result", "error");
        cJSON_AddStringToObject(o, "error", smtpc_strerror(rc));
    }
    return o;
}

/* One TXT record from stdin into the selection. */
static void txt_add(void *arg, const char *rec, size_t len)
{
    smtpc_tlsrpt_sel_add((smtpc_tlsrpt_sel_t *)arg, rec, len);
}

static int cmd_txt(int argc, char **argv)
{
    smtpc_tlsrpt_sel_t sel;
    smtpc_tlsrpt_txt_t txt;
    (void)argv;
    if (argc != 2) {
        return usage_error("txt reads stdin and takes no arguments", NULL);
    }
    smtpc_tlsrpt_sel_init(&sel);
    if (cli_txt_read_stdin(PROG, txt_add, &sel) != 0) {
        return 2;
    }
    int rc = smtpc_tlsrpt_sel_result(&sel, &txt);
    return emit(txt_json(rc, &txt), rc == SMTPC_OK ? 0 : 1);
}

/* -------------------------------------------------------- report args --- */

typedef struct {
    const char *log, *org, *contact, *report_id, *unique, *sending_ip;
    const char *from, *to, *dkim_key, *dkim_sel, *dkim_domain, *ca_file, *helo;
    const char *rua[RUA_EXTRA_MAX];
    unsigned rua_count;
    smtpc_flash_geom_t geom;
    unsigned long timeout_s;
    int gzip, insecure, has_day;
    uint32_t day;
    char domain[SMTPC_DNS_NAME_BUF];
    char submitter[SMTPC_DNS_NAME_BUF];
} args_t;

static const struct option report_opts[] = {
    {"log", required_argument, NULL, 'L'},
    {"log-geometry", required_argument, NULL, 'G'},
    {"day", required_argument, NULL, 'd'},
    {"domain", required_argument, NULL, 'm'},
    {"org", required_argument, NULL, 'o'},
    {"contact", required_argument, NULL, 'c'},
    {"report-id", required_argument, NULL, 'i'},
    {"unique", required_argument, NULL, 'u'},
    {"sending-ip", required_argument, NULL, 's'},
    {"gzip", no_argument, NULL, 'z'},
    {"from", required_argument, NULL, 'f'},
    {"to", required_argument, NULL, 't'},
    {"dkim-key", required_argument, NULL, 'K'},
    {"dkim-selector", required_argument, NULL, 'S'},
    {"dkim-domain", required_argument, NULL, 'Y'},
    {"rua", required_argument, NULL, 'r'},
    {"dns", required_argument, NULL, 'D'},
    {"ca-file", required_argument, NULL, 'A'},
    {"resolve", required_argument, NULL, 'R'},
    {"https-insecure", no_argument, NULL, 'I'},
    {"helo", required_argument, NULL, 'H'},
    {"timeout", required_argument, NULL, 'T'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static long days_from_civil(long y, long m, long d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int parse_day(const char *s, uint32_t *day)
{
    int y, m, d;
    char tail;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || y < 1970 ||
        m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) {
        return -1;
    }
    long v = days_from_civil(y, m, d);
    char back[21];
    smtpc_tlsrpt_rfc3339((uint64_t)v * 86400u, back);
    if (strncmp(back, s, 10) != 0) {
        return -1; /* 29 February of a common year */
    }
    *day = (uint32_t)v;
    return 0;
}

static int domain_arg(const char *in, char *out, size_t cap)
{
    size_t n = strlen(in);
    if (n > 0 && in[n - 1] == '.') {
        n--;
    }
    if (n == 0 || n >= cap) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) {
            return -1;
        }
        out[i] = c;
    }
    out[n] = '\0';
    return 0;
}

/* Returns -1 to go on, else an exit status. */
static int parse_report_args(args_t *a, const char *cmd, int argc, char **argv)
{
    int opt, li = 0;
    char what[80];
    int sub_argc = argc - 1;
    char **sub_argv = argv + 1;
    int is_list = strcmp(cmd, "list") == 0;
    memset(a, 0, sizeof *a);
    cli_cache_geom_default(&a->geom);
    a->ca_file = DEFAULT_CA_FILE;
    a->timeout_s = 60;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(sub_argc, sub_argv, "h", report_opts, &li)) != -1) {
        int bad = 0;
        switch (opt) {
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'L':
            a->log = optarg;
            break;
        case 'G':
            bad = cli_cache_geom_parse(optarg, &a->geom) != 0;
            break;
        case 'd':
            bad = parse_day(optarg, &a->day) != 0;
            a->has_day = 1;
            break;
        case 'm':
            bad = domain_arg(optarg, a->domain, sizeof a->domain) != 0;
            break;
        case 'o':
            a->org = optarg;
            bad = optarg[0] == '\0';
            break;
        case 'c':
            a->contact = optarg;
            break;
        case 'i':
            a->report_id = optarg;
            bad = optarg[0] == '\0' || strlen(optarg) > 255;
            break;
        case 'u':
            a->unique = optarg;
            bad = optarg[0] == '\0' || strlen(optarg) > 64;
            break;
        case 's':
            a->sending_ip = optarg;
            bad = optarg[0] == '\0';
            break;
        case 'z':
            a->gzip = 1;
            break;
        case 'f':
            a->from = optarg;
            break;
        case 't':
            a->to = optarg;
            break;
        case 'K':
            a->dkim_key = optarg;
            break;
        case 'S':
            a->dkim_sel = optarg;
            break;
        case 'Y':
            a->dkim_domain = optarg;
            break;
        case 'r':
            bad = a->rua_count >= RUA_EXTRA_MAX;
            if (!bad) {
                a->rua[a->rua_count++] = optarg;
            }
            break;
        case 'D':
            bad = smtpc_posix_dns_add_server(&dns, optarg) != SMTPC_OK;
            break;
        case 'A':
            a->ca_file = optarg;
            break;
        case 'R':
            bad = smtpc_posix_parse_resolve(&net, optarg) != SMTPC_OK;
            break;
        case 'I':
            a->insecure = 1;
            break;
        case 'H':
            a->helo = optarg;
            break;
        case 'T': {
            char *end;
            errno = 0;
            a->timeout_s = strtoul(optarg, &end, 10);
            bad = errno != 0 || *end != '\0' || a->timeout_s < 1 || a->timeout_s > 3600;
            break;
        }
        default:
            return usage_error("unknown option or missing value:", sub_argv[optind - 1]);
        }
        if (bad) {
            snprintf(what, sizeof what, "invalid value for --%s:", report_opts[li].name);
            return usage_error(what, optarg);
        }
    }
    if (optind != sub_argc) {
        return usage_error("unexpected argument:", sub_argv[optind]);
    }
    if (a->log == NULL) {
        return usage_error("--log FILE is required", NULL);
    }
    if (is_list) {
        return -1;
    }
    if (!a->has_day || a->domain[0] == '\0' || a->org == NULL || a->contact == NULL) {
        return usage_error("--day, --domain, --org and --contact are required", NULL);
    }
    const char *at = strrchr(a->contact, '@');
    if (at == NULL || at == a->contact || domain_arg(at + 1, a->submitter, sizeof a->submitter)) {
        return usage_error("--contact must be an address (local@domain):", a->contact);
    }
    if (strcmp(cmd, "mail") == 0 && a->to == NULL) {
        return usage_error("mail needs --to ADDR", NULL);
    }
    if ((a->dkim_key != NULL) != (a->dkim_sel != NULL)) {
        return usage_error("--dkim-key and --dkim-selector go together", NULL);
    }
    if (a->from == NULL) {
        a->from = a->contact;
    }
    return -1;
}

/* ------------------------------------------------------------- the log --- */

static cli_rptlog_t rptlog;
static smtpc_tlsrpt_report_t report;

static int log_open(const args_t *a)
{
    return cli_rptlog_open(&rptlog, PROG, "--log", a->log, &a->geom, &smtpc_posix_clock_ops, NULL);
}

static void log_close(void)
{
    int rc = cli_rptlog_close(&rptlog);
    if (rc != SMTPC_OK) {
        fprintf(stderr, PROG ": --log: %s\n", smtpc_strerror(rc));
    }
}

static int cmd_list(int argc, char **argv)
{
    args_t a;
    int rc = parse_report_args(&a, "list", argc, argv);
    if (rc >= 0) {
        return rc;
    }
    if (log_open(&a) != 0) {
        return 2;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "log", a.log);
    cJSON *arr = cJSON_AddArrayToObject(o, "reports");
    for (unsigned i = 0;; i++) {
        uint32_t day = 0;
        char domain[SMTPC_DNS_NAME_BUF];
        char date[21];
        if (smtpc_tlsrpt_log_list(&rptlog.log, i, &day, domain, sizeof domain) != SMTPC_OK) {
            break;
        }
        cJSON *r = cJSON_CreateObject();
        smtpc_tlsrpt_rfc3339((uint64_t)day * 86400u, date);
        date[10] = '\0';
        cJSON_AddStringToObject(r, "day", date);
        cJSON_AddStringToObject(r, "domain", domain);
        rc = smtpc_tlsrpt_log_load(&rptlog.log, day, domain, &report);
        if (rc == SMTPC_OK) {
            unsigned long s = 0, f = 0;
            for (unsigned k = 0; k < report.policy_count; k++) {
                s += report.policies[k].success;
                f += report.policies[k].failure;
            }
            cJSON_AddNumberToObject(r, "policies", report.policy_count);
            cJSON_AddNumberToObject(r, "success", (double)s);
            cJSON_AddNumberToObject(r, "failure", (double)f);
        } else {
            cJSON_AddStringToObject(r, "error", smtpc_strerror(rc));
        }
        cJSON_AddItemToArray(arr, r);
    }
    log_close();
    return emit(o, 0);
}

/* ------------------------------------------------------- render, mail --- */

static uint8_t arena[ARENA_MAX];
static char json[JSON_MAX];
static size_t json_len;
static uint8_t gz[JSON_MAX + 1024];
static size_t gz_len;
static char mail[MAIL_MAX];
static size_t mail_len;
static char dkim_hdr[DKIM_MAX];
static char report_id[600];

/* Loads and renders the report; gzip too. Exit status or -1. */
static int build_report(const args_t *a)
{
    char date[21];
    int rc;
    if (log_open(a) != 0) {
        return 2;
    }
    rc = smtpc_tlsrpt_log_load(&rptlog.log, a->day, a->domain, &report);
    if (rc != SMTPC_OK) {
        smtpc_tlsrpt_rfc3339((uint64_t)a->day * 86400u, date);
        date[10] = '\0';
        fprintf(stderr, PROG ": no report for %s %s in %s (%s)\n", date, a->domain, a->log,
                smtpc_strerror(rc));
        log_close();
        return rc == SMTPC_ERR_NOT_FOUND ? 1 : 2;
    }
    if (a->report_id != NULL) {
        snprintf(report_id, sizeof report_id, "%s", a->report_id);
    } else {
        smtpc_tlsrpt_rfc3339((uint64_t)a->day * 86400u, date);
        snprintf(report_id, sizeof report_id, "%.10s_%s%s%.64s", date, a->domain,
                 a->unique != NULL ? "_" : "", a->unique != NULL ? a->unique : "");
    }
    smtpc_tlsrpt_meta_t meta = {a->org, a->contact, report_id, a->unique, a->sending_ip};
    rc = smtpc_tlsrpt_render(&report, &meta, arena, sizeof arena, json, sizeof json, &json_len);
    if (rc == SMTPC_OK) {
        rc = smtpc_gzip_stored((const uint8_t *)json, json_len, gz, sizeof gz, &gz_len);
    }
    if (rc != SMTPC_OK) {
        fprintf(stderr, PROG ": cannot render the report: %s\n", smtpc_strerror(rc));
        log_close();
        return 2;
    }
    return -1;
}

static int read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (f == NULL) {
        fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
        return -1;
    }
    n = fread(buf, 1, cap - 1, f);
    if (ferror(f) || !feof(f)) {
        fprintf(stderr, PROG ": %s: unreadable or too large\n", path);
        fclose(f);
        return -1;
    }
    fclose(f);
    buf[n] = '\0';
    return 0;
}

/* The report message for @p to into mail[] (DKIM header first when
 * asked). 0 or an exit status. */
static int build_mail(const args_t *a, const char *to)
{
    static char key[KEY_MAX];
    char date_hdr[64];
    char msgid[sizeof report_id + SMTPC_DNS_NAME_BUF + 4];
    time_t now = time(NULL);
    struct tm tm;
    size_t dl = 0;
    int rc;
    gmtime_r(&now, &tm);
    strftime(date_hdr, sizeof date_hdr, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    snprintf(msgid, sizeof msgid, "<%s@%s>", report_id, a->submitter);
    smtpc_tlsrpt_mail_t m = {
        .from = a->from,
        .to = to,
        .policy_domain = a->domain,
        .submitter = a->submitter,
        .report_id = report_id,
        .date = date_hdr,
        .message_id = msgid,
        .range_start = (uint64_t)a->day * 86400u,
        .range_end = (uint64_t)a->day * 86400u + 86399u,
        .unique = a->unique,
        .gz = gz,
        .gz_len = gz_len,
    };
    rc = smtpc_tlsrpt_mail_build(&m, mail, sizeof mail, &mail_len);
    if (rc != SMTPC_OK) {
        fprintf(stderr, PROG ": cannot compose the mail: %s\n", smtpc_strerror(rc));
        return 2;
    }
    if (a->dkim_key == NULL) {
        return 0;
    }
    if (read_file(a->dkim_key, key, sizeof key) != 0) {
        return 2;
    }
    smtpc_dkim_params_t p = {
        .key_pem = key,
        .selector = a->dkim_sel,
        .domain = a->dkim_domain != NULL ? a->dkim_domain : a->submitter,
        .timestamp = (uint64_t)now,
    };
    rc = smtpc_dkim_sign(&p, mail, mail_len, dkim_hdr, sizeof dkim_hdr, &dl);
    memset(key, 0, sizeof key);
    if (rc != SMTPC_OK) {
        fprintf(stderr, PROG ": DKIM signing failed: %s\n", smtpc_strerror(rc));
        return 2;
    }
    if (dl + mail_len >= sizeof mail) {
        fprintf(stderr, PROG ": message too large\n");
        return 2;
    }
    memmove(mail + dl, mail, mail_len + 1);
    memcpy(mail, dkim_hdr, dl);
    mail_len += dl;
    return 0;
}

static int cmd_render_mail(int argc, char **argv, int is_mail)
{
    args_t a;
    int rc = parse_report_args(&a, is_mail ? "mail" : "render", argc, argv);
    if (rc >= 0) {
        return rc;
    }
    rc = build_report(&a);
    if (rc >= 0) {
        return rc;
    }
    log_close();
    if (is_mail) {
        rc = build_mail(&a, a.to);
        if (rc != 0) {
            return rc;
        }
        fwrite(mail, 1, mail_len, stdout);
    } else if (a.gzip) {
        fwrite(gz, 1, gz_len, stdout);
    } else {
        fwrite(json, 1, json_len, stdout);
        fputc('\n', stdout);
    }
    return fflush(stdout) == 0 ? 0 : 2;
}

/* ---------------------------------------------------------------- send --- */

static smtpc_mbedtls_t tls;
static smtpc_client_t client;
static smtpc_client_mem_t client_mem;
static smtpc_dns_t dns_query;
static smtpc_upload_t upload;
static uint8_t upload_buf[4096];
static char txt_join[TXT_LINE_MAX];

static smtpc_dns_io_t dns_io = {
    .dgram = &smtpc_posix_dgram_ops,
    .dgram_ctx = &dns,
    .net = &smtpc_posix_net_ops,
    .net_ctx = &net,
    .clock = &smtpc_posix_clock_ops,
    .rng = &smtpc_posix_rng_ops,
};

static int txt_cb(void *arg, const smtpc_dns_rr_t *rr)
{
    smtpc_tlsrpt_sel_t *sel = arg;
    size_t len = 0;
    if (smtpc_dns_txt_join(rr, txt_join, sizeof txt_join, &len) == SMTPC_OK) {
        smtpc_tlsrpt_sel_add(sel, txt_join, len);
    } else if (sel->candidates < 255u) {
        sel->candidates++; /* too long to judge: still counts against "exactly one" */
    }
    return SMTPC_OK;
}

static int lookup_rua(const char *domain, smtpc_tlsrpt_txt_t *txt)
{
    char name[SMTPC_DNS_NAME_BUF + 16];
    if (strlen(domain) + 11u >= SMTPC_DNS_NAME_BUF) {
        return SMTPC_ERR_DNS_NODATA; /* no room for the prefix: cannot publish */
    }
    smtpc_tlsrpt_sel_t sel;
    int rc;
    snprintf(name, sizeof name, "_smtp._tls.%s", domain);
    smtpc_tlsrpt_sel_init(&sel);
    rc = smtpc_dns_start(&dns_query, &dns_io, name, SMTPC_DNS_TYPE_TXT, txt_cb, &sel);
    if (rc == SMTPC_IN_PROGRESS) {
        rc = smtpc_posix_dns_run(&dns_query, &net, &dns);
    }
    if (rc != SMTPC_OK) {
        return rc;
    }
    return smtpc_tlsrpt_sel_result(&sel, txt);
}

typedef struct {
    const char *data;
    size_t len, off;
} msg_src_t;

static int msg_read(void *arg, uint8_t *buf, size_t cap, size_t *len, bool *eof)
{
    msg_src_t *m = arg;
    size_t n = m->len - m->off < cap ? m->len - m->off : cap;
    memcpy(buf, m->data + m->off, n);
    m->off += n;
    *len = n;
    *eof = m->off == m->len;
    return SMTPC_OK;
}

static int msg_rewind(void *arg)
{
    ((msg_src_t *)arg)->off = 0;
    return SMTPC_OK;
}

static int send_mailto(const args_t *a, const char *uri, cJSON *r)
{
    char addr[SMTPC_TLSRPT_URI_MAX + 1];
    int rc = smtpc_tlsrpt_mailto_addr(uri, addr, sizeof addr);
    if (rc != SMTPC_OK) {
        return rc;
    }
    cJSON_AddStringToObject(r, "to", addr);
    if (build_mail(a, addr) != 0) {
        return SMTPC_ERR_BAD_ARG;
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
    };
    /* RFC 8460 §3: report mail goes through whatever happened to TLS, and
     * is not subject to MTA-STS: STARTTLS when offered, plaintext allowed,
     * no policy, no TLS-RPT lookup of its own. */
    smtpc_client_cfg_t cfg = {
        .mode = SMTPC_MODE_MX,
        .session = {.helo_name = a->helo != NULL ? a->helo : a->submitter,
                    .tls_mode = SMTPC_TLS_STARTTLS,
                    .tls_level = SMTPC_TLS_PLAINTEXT_ALLOWED},
        .timeouts = {.total_ms = (uint32_t)a->timeout_s * 1000u},
        .sts_off = 1,
        .tlsrpt_off = 1,
    };
    const char *to[1] = {addr};
    smtpc_envelope_t env = {
        .from = a->from, .to = to, .to_count = 1, .size_hint = (uint32_t)mail_len};
    msg_src_t src = {mail, mail_len, 0};
    smtpc_body_src_t body = {.read = msg_read, .rewind = msg_rewind, .arg = &src};
    rc = smtpc_client_init(&client, &cfg, &plat, &client_mem);
    if (rc != SMTPC_OK) {
        return rc;
    }
    if (smtpc_client_start(&client, &env, &body) == SMTPC_IN_PROGRESS) {
        (void)smtpc_posix_run(&client, &net, &dns);
    }
    const smtpc_result_t *res = smtpc_client_result(&client);
    if (res->host != NULL) {
        cJSON_AddStringToObject(r, "mx", res->host);
    }
    if (res->reply_code != 0) {
        cJSON_AddNumberToObject(r, "reply", res->reply_code);
    }
    cJSON_AddStringToObject(r, "tls", res->tls_reached != 0 ? "yes" : "no");
    return res->err;
}

static int send_https(const args_t *a, const char *uri, cJSON *r)
{
    char host[SMTPC_DNS_NAME_BUF];
    char target[SMTPC_TLSRPT_URI_MAX + 1];
    uint16_t port = 0;
    int rc = smtpc_tlsrpt_https_split(uri, host, sizeof host, &port, target, sizeof target);
    if (rc != SMTPC_OK) {
        return rc;
    }
    smtpc_upload_io_t io = {
        .net = &smtpc_posix_net_ops,
        .net_ctx = &net,
        .tls = &smtpc_mbedtls_tls_ops,
        .tls_ctx = &tls,
        .clock = &smtpc_posix_clock_ops,
        .allow_cert_errors = (uint8_t)a->insecure,
        .timeout_ms = (uint32_t)a->timeout_s * 1000u,
    };
    rc = smtpc_upload_start(&upload, &io, host, port, target, "application/tlsrpt+gzip", gz, gz_len,
                            upload_buf, sizeof upload_buf);
    if (rc == SMTPC_IN_PROGRESS) {
        rc = smtpc_posix_upload_run(&upload, &net);
    }
    if (upload.status != 0) {
        cJSON_AddNumberToObject(r, "status", upload.status);
    }
    return rc;
}

static int cmd_send(int argc, char **argv)
{
    args_t a;
    smtpc_tlsrpt_txt_t txt;
    int rc = parse_report_args(&a, "send", argc, argv);
    if (rc >= 0) {
        return rc;
    }
    if (a.rua_count == 0 && dns.count == 0 &&
        smtpc_posix_dns_load_resolv_conf(&dns, NULL) != SMTPC_OK) {
        fprintf(stderr, PROG ": no nameserver: give --dns ADDR or fix /etc/resolv.conf\n");
        return 2;
    }
    rc = build_report(&a);
    if (rc >= 0) {
        return rc;
    }
    memset(&txt, 0, sizeof txt);
    if (a.rua_count > 0) {
        for (unsigned i = 0; i < a.rua_count && txt.rua_count < SMTPC_TLSRPT_RUA_MAX; i++) {
            smtpc_rua_t *r = &txt.rua[txt.rua_count];
            r->kind = strncmp(a.rua[i], "mailto:", 7) == 0  ? SMTPC_RUA_MAILTO
                      : strncmp(a.rua[i], "https:", 6) == 0 ? SMTPC_RUA_HTTPS
                                                            : 0;
            if (r->kind == 0 || strlen(a.rua[i]) > SMTPC_TLSRPT_URI_MAX) {
                log_close();
                return usage_error("--rua takes a mailto: or https: URI:", a.rua[i]);
            }
            snprintf(r->uri, sizeof r->uri, "%s", a.rua[i]);
            txt.rua_count++;
        }
    } else {
        rc = lookup_rua(a.domain, &txt);
        if (rc != SMTPC_OK) {
            cJSON *o = txt_json(rc, &txt);
            cJSON_AddStringToObject(o, "domain", a.domain);
            log_close();
            return emit(o, 1);
        }
    }
    /* The CA bundle is needed for verified https; STARTTLS of the mailto
     * delivery records the verdict only. */
    smtpc_mbedtls_cfg_t tcfg = {.ca_file = a.ca_file, .rng = &smtpc_posix_rng_ops};
    rc = smtpc_mbedtls_init(&tls, &tcfg);
    if (rc != SMTPC_OK) {
        fprintf(stderr, PROG ": TLS setup failed (%s, CA file %s)\n", smtpc_strerror(rc),
                a.ca_file);
        log_close();
        return 2;
    }
    cJSON *o = cJSON_CreateObject();
    char date[21];
    smtpc_tlsrpt_rfc3339((uint64_t)a.day * 86400u, date);
    date[10] = '\0';
    cJSON_AddStringToObject(o, "day", date);
    cJSON_AddStringToObject(o, "domain", a.domain);
    cJSON_AddStringToObject(o, "report_id", report_id);
    cJSON *arr = cJSON_AddArrayToObject(o, "rua");
    int accepted = 0;
    for (unsigned i = 0; i < txt.rua_count; i++) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "uri", txt.rua[i].uri);
        rc = txt.rua[i].kind == SMTPC_RUA_MAILTO ? send_mailto(&a, txt.rua[i].uri, r)
                                                 : send_https(&a, txt.rua[i].uri, r);
        cJSON_AddStringToObject(r, "result", rc == SMTPC_OK ? "accepted" : "failed");
        if (rc != SMTPC_OK) {
            cJSON_AddStringToObject(r, "error", smtpc_strerror(rc));
        }
        accepted += rc == SMTPC_OK;
        cJSON_AddItemToArray(arr, r);
    }
    if (txt.rua_skipped > 0) {
        cJSON_AddNumberToObject(o, "rua_skipped", txt.rua_skipped);
    }
    int removed = 0;
    if (accepted > 0) {
        rc = smtpc_tlsrpt_log_remove(&rptlog.log, a.day, a.domain);
        removed = rc == SMTPC_OK;
        if (!removed) {
            fprintf(stderr, PROG ": delivered, but removing it from the log failed: %s\n",
                    smtpc_strerror(rc));
        }
    }
    cJSON_AddBoolToObject(o, "removed", removed);
    smtpc_mbedtls_free(&tls);
    log_close();
    return emit(o, accepted > 0 ? 0 : 1);
}

int main(int argc, char **argv)
{
    smtpc_posix_net_init(&net);
    smtpc_posix_dns_init(&dns);
    if (argc < 2) {
        return usage_error("missing COMMAND", NULL);
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(argv[1], "txt") == 0) {
        return cmd_txt(argc, argv);
    }
    if (strcmp(argv[1], "list") == 0) {
        return cmd_list(argc, argv);
    }
    if (strcmp(argv[1], "render") == 0) {
        return cmd_render_mail(argc, argv, 0);
    }
    if (strcmp(argv[1], "mail") == 0) {
        return cmd_render_mail(argc, argv, 1);
    }
    if (strcmp(argv[1], "send") == 0) {
        return cmd_send(argc, argv);
    }
    return usage_error("unknown command:", argv[1]);
}
