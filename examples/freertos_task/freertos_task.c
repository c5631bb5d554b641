/* freertos_task: a FreeRTOS task that mails alert events.
 *
 * Other tasks (sensors, an ISR through its deferred handler) post
 * ::alert_event_t records to a queue with alert_post(); the alert task waits
 * on the queue, and for each event sends one e-mail with smtpc over lwIP
 * sockets (alert_mail.c): STARTTLS through mbedTLS, MTA-STS when delivering
 * to the recipient's MX hosts. A failed delivery is retried with a growing
 * delay, and events that arrive meanwhile wait in the queue (a full queue
 * drops the newest event and counts it).
 *
 * Kernel calls used: xQueueCreate, xQueueSend, xQueueReceive, xTaskCreate,
 * vTaskDelay (see freertos_min/ for the compile-check declarations). */
#include <stdio.h>
#include <string.h>

#include "FreeRTOS.h"
#include "queue.h"
#include "task.h"

#include "alert_mail.h"
#include "freertos_task.h"

#define ALERT_QUEUE_LEN      8
#define ALERT_STACK_WORDS    2048 /* mbedTLS handshakes need a few KB of stack */
#define ALERT_RETRY_FIRST_MS 30000u
#define ALERT_RETRY_MAX_MS   900000u
#define ALERT_TRIES          5u

static QueueHandle_t alert_queue;
static volatile uint32_t alert_dropped;

int alert_post(const alert_event_t *ev)
{
    if (alert_queue == NULL || xQueueSend(alert_queue, ev, 0) != pdPASS) {
        alert_dropped++;
        return -1;
    }
    return 0;
}

static void alert_mail_with_retries(const alert_cfg_t *cfg, const alert_event_t *ev)
{
    char subject[64];
    (void)snprintf(subject, sizeof subject, "alert: sensor %u", (unsigned)ev->sensor);
    uint32_t delay_ms = ALERT_RETRY_FIRST_MS;
    for (unsigned t = 0; t < ALERT_TRIES; t++) {
        if (alert_mail_send(cfg, subject, ev->text) == SMTPC_OK) {
            return;
        }
        vTaskDelay(pdMS_TO_TICKS(delay_ms));
        delay_ms = delay_ms * 2u < ALERT_RETRY_MAX_MS ? delay_ms * 2u : ALERT_RETRY_MAX_MS;
    }
}

static void alert_task(void *arg)
{
    const alert_cfg_t *cfg = arg;
    alert_event_t ev;
    for (;;) {
        if (xQueueReceive(alert_queue, &ev, portMAX_DELAY) == pdPASS) {
            ev.text[sizeof ev.text - 1u] = '\0';
            alert_mail_with_retries(cfg, &ev);
        }
    }
}

int alert_task_start(const alert_cfg_t *cfg, UBaseType_t prio)
{
    alert_queue = xQueueCreate(ALERT_QUEUE_LEN, sizeof(alert_event_t));
    if (alert_queue == NULL) {
        return -1;
    }
    if (xTaskCreate(alert_task, "alert", ALERT_STACK_WORDS, (void *)cfg, prio, NULL) != pdPASS) {
        return -1;
    }
    return 0;
}
