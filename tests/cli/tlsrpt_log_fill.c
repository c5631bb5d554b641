/* Test helper: records synthetic driver events into a TLS-RPT log file (the
 * file smtpc-send --tlsrpt-log and smtpc-tlsrpt --log use, default
 * geometry), so the CLI can be tested without deliveries.
 *
 *   tlsrpt_log_fill FILE UTC_SECONDS EVENT...
 *     ok:DOMAIN:MX              TLS verified, no policy
 *     sts-ok:DOMAIN:MX          TLS verified under an enforce policy listing MX
 *     expired:DOMAIN:MX:IPV4    certificate expired, under that policy
 *     plain:DOMAIN:MX:IPV4      delivered without STARTTLS (not offered)
 * Every event is for a domain that publishes a TLSRPT record. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_cache.h"
#include "smtpc/smtpc.h"
#include "smtpc/tlsrpt.h"
#include "smtpc_posix.h"

static smtpc_sts_policy_t pol;

static void policy_for(const char *mx)
{
    size_t n = strlen(mx) + 1;
    memset(&pol, 0, sizeof pol);
    pol.mode = SMTPC_STS_MODE_ENFORCE;
    pol.max_age = 86400;
    memcpy(pol.mx_pool, mx, n);
    pol.mx_pool_len = (uint16_t)n;
    pol.mx_count = 1;
}

int main(int argc, char **argv)
{
    static cli_rptlog_t l;
    smtpc_flash_geom_t g;
    if (argc < 4) {
        fprintf(stderr, "usage: tlsrpt_log_fill FILE UTC_SECONDS EVENT...\n");
        return 2;
    }
    uint64_t utc = strtoull(argv[2], NULL, 10);
    cli_cache_geom_default(&g);
    if (cli_rptlog_open(&l, "tlsrpt_log_fill", "--log", argv[1], &g, &smtpc_posix_clock_ops,
                        NULL) != 0) {
        return 2;
    }
    for (int i = 3; i < argc; i++) {
        char buf[512];
        char *kind, *domain, *mx, *ip;
        smtpc_tls_event_t ev;
        snprintf(buf, sizeof buf, "%s", argv[i]);
        kind = strtok(buf, ":");
        domain = strtok(NULL, ":");
        mx = strtok(NULL, ":");
        ip = strtok(NULL, ":");
        if (kind == NULL || domain == NULL || mx == NULL) {
            fprintf(stderr, "bad event %s\n", argv[i]);
            return 2;
        }
        memset(&ev, 0, sizeof ev);
        ev.kind = SMTPC_EV_SESSION;
        ev.rpt = SMTPC_RPT_PUBLISHED;
        ev.domain = domain;
        ev.mx_host = mx;
        ev.policy_id = "";
        if (ip != NULL && inet_pton(AF_INET, ip, ev.ip) == 1) {
            ev.ip_len = 4;
        }
        if (strcmp(kind, "ok") == 0) {
            ev.tls_reached = SMTPC_REACHED_VERIFIED;
            ev.cert = SMTPC_CERT_OK;
        } else if (strcmp(kind, "sts-ok") == 0 || strcmp(kind, "expired") == 0) {
            policy_for(mx);
            ev.policy = &pol;
            ev.policy_id = "id1";
            ev.sts_mode = SMTPC_STS_MODE_ENFORCE;
            ev.sts_applied = SMTPC_STS_APPLY_FETCHED;
            if (kind[0] == 's') {
                ev.tls_reached = SMTPC_REACHED_VERIFIED;
                ev.cert = SMTPC_CERT_OK;
            } else {
                ev.err = SMTPC_ERR_TLS_CERT_EXPIRED;
                ev.cert = SMTPC_CERT_EXPIRED;
            }
        } else if (strcmp(kind, "plain") == 0) {
            ev.tls_reached = SMTPC_REACHED_NONE;
        } else {
            fprintf(stderr, "bad event kind %s\n", kind);
            return 2;
        }
        int rc = smtpc_tlsrpt_log_record(&l.log, &ev, utc);
        if (rc != SMTPC_OK) {
            fprintf(stderr, "record %s: %s\n", argv[i], smtpc_strerror(rc));
            return 1;
        }
    }
    return cli_rptlog_close(&l) == SMTPC_OK ? 0 : 1;
}
