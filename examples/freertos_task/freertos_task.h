/* The alert task of the freertos_task example. */
#ifndef FREERTOS_TASK_H
#define FREERTOS_TASK_H

#include <stdint.h>

#include "FreeRTOS.h"

#include "alert_board.h"

/** One alert, copied into the queue. */
typedef struct {
    uint8_t sensor;
    char text[96];
} alert_event_t;

/** Create the queue and the task. Call after tcpip_init() and
 *  alert_mail_early_init(); @p cfg must outlive the task. @return 0 or -1. */
int alert_task_start(const alert_cfg_t *cfg, UBaseType_t prio);

/** Queue an alert from any task (never blocks). @return 0, or -1 when the
 *  queue is full (the event is dropped and counted). */
int alert_post(const alert_event_t *ev);

#endif
