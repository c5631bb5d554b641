/* host-lwip-sockets: the host test program of the sockets flavour. It runs
 * the mailer of examples/freertos_task (alert_mail.c) in the main thread,
 * with lwIP's tcpip thread and the TAP thread on pthreads (lwIP's unix sys
 * layer) standing in for the RTOS. Options: see host_board.c. */
#include "lwip/sys.h"
#include "smtpc/smtpc.h"

#include "alert_board.h"
#include "alert_mail.h"

int main(int argc, char **argv)
{
    static alert_cfg_t cfg;
    alert_mail_early_init(); /* before tcpip_init(): LWIP_RAND() */
    int rc = board_init(argc, argv, &cfg);
    if (rc != 0) {
        return rc;
    }
    rc = alert_mail_send(&cfg, "alert: door open", "Sensor 3 reports the cabinet door open.");
    board_report(alert_mail_client(), rc);
    return rc == SMTPC_OK ? 0 : 1;
}
