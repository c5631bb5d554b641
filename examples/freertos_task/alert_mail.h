/* Mailing one alert over lwIP sockets (LWIP_SOCKET, NO_SYS=0), from the
 * calling task. Used by the FreeRTOS alert task; OS-independent. */
#ifndef ALERT_MAIL_H
#define ALERT_MAIL_H

#include "alert_board.h"

/** Bind smtpc's rng (and lwIP's LWIP_RAND()) to board_entropy(). Call once,
 *  before tcpip_init(). */
void alert_mail_early_init(void);

/** Deliver one alert; blocks the calling task until done or the deadline
 *  (cfg->total_ms). Not re-entrant: one task mails. @return SMTPC_OK or the
 *  error (details: alert_mail_client()). */
int alert_mail_send(const alert_cfg_t *cfg, const char *subject, const char *text);

/** The client of the last alert_mail_send(), for its result. */
const smtpc_client_t *alert_mail_client(void);

#endif
