/* Minimal queue API declarations (see FreeRTOS.h in this folder). In the
 * kernel these are macros over the xQueueGeneric* functions; plain functions
 * are enough for a compile check. */
#ifndef FREERTOS_MIN_QUEUE_H
#define FREERTOS_MIN_QUEUE_H

#include "FreeRTOS.h"

typedef struct QueueDefinition *QueueHandle_t;

QueueHandle_t xQueueCreate(UBaseType_t length, UBaseType_t item_size);
BaseType_t xQueueSend(QueueHandle_t q, const void *item, TickType_t wait);
BaseType_t xQueueReceive(QueueHandle_t q, void *item, TickType_t wait);

#endif
