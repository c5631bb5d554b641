/* Minimal declarations of the FreeRTOS kernel API used by the freertos_task
 * example, for a compile check without the kernel (CI). Types and signatures
 * follow the FreeRTOS V10/V11 API reference; nothing here is linked. Build
 * against the real kernel with -DFREERTOS_KERNEL_PATH=... instead. */
#ifndef FREERTOS_MIN_FREERTOS_H
#define FREERTOS_MIN_FREERTOS_H

#include <stddef.h>
#include <stdint.h>

typedef long BaseType_t;
typedef unsigned long UBaseType_t;
typedef uint32_t TickType_t;
typedef uint16_t configSTACK_DEPTH_TYPE;

#define pdFALSE            ((BaseType_t)0)
#define pdTRUE             ((BaseType_t)1)
#define pdPASS             pdTRUE
#define pdFAIL             pdFALSE
#define portMAX_DELAY      ((TickType_t)0xffffffffUL)
#define configTICK_RATE_HZ 1000u
#define pdMS_TO_TICKS(ms)                                                                          \
    ((TickType_t)(((TickType_t)(ms) * (TickType_t)configTICK_RATE_HZ) / 1000u))
#define tskIDLE_PRIORITY ((UBaseType_t)0)

#endif
