/* Names of errors, stages and certificate verdicts. Always compiled in: the
 * strings make field reports readable and cost a few hundred bytes. */
#include "smtpc/err.h"
#include "smtpc/types.h"

const char *smtpc_strerror(int err)
{
    switch (err) {
#define SMTPC_ERR_CASE_(name, val)                                                                 \
    case (val):                                                                                    \
        return "SMTPC_" #name;
        SMTPC_ERR_LIST(SMTPC_ERR_CASE_)
#undef SMTPC_ERR_CASE_
    default:
        return "SMTPC_ERR_UNKNOWN";
    }
}

const char *smtpc_stage_name(int stage)
{
    static const char *const names[SMTPC_STAGE_COUNT_] = {
        "NONE", "DNS",      "STS",           "CONNECT",  "TLS_IMPLICIT", "GREETING",
        "EHLO", "STARTTLS", "TLS_HANDSHAKE", "EHLO_TLS", "AUTH",         "MAIL",
        "RCPT", "DATA",     "BODY",          "DATA_END", "QUIT",         "DONE"};
    if (stage < 0 || stage >= (int)SMTPC_STAGE_COUNT_) {
        return "UNKNOWN";
    }
    return names[stage];
}

const char *smtpc_cert_name(int verdict)
{
    static const char *const names[] = {
        "not-checked", "ok", "expired", "not-yet-valid", "untrusted", "host-mismatch", "invalid"};
    if (verdict < 0 || verdict > (int)SMTPC_CERT_OTHER) {
        return "unknown";
    }
    return names[verdict];
}
