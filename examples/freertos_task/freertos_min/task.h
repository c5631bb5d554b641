/* Minimal task API declarations (see FreeRTOS.h in this folder). */
#ifndef FREERTOS_MIN_TASK_H
#define FREERTOS_MIN_TASK_H

#include "FreeRTOS.h"

typedef struct tskTaskControlBlock *TaskHandle_t;
typedef void (*TaskFunction_t)(void *);

BaseType_t xTaskCreate(TaskFunction_t code, const char *name, configSTACK_DEPTH_TYPE stack_words,
                       void *arg, UBaseType_t prio, TaskHandle_t *created);
void vTaskDelay(TickType_t ticks);

#endif
