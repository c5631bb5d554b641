/* Kernel configuration for building examples/freertos_task against a real
 * FreeRTOS kernel with its POSIX port (FreeRTOS on pthreads, for trying the
 * example on a Linux host): cmake -DFREERTOS_KERNEL_PATH=/path/to/FreeRTOS-Kernel.
 * A device uses its own FreeRTOSConfig.h. */
#ifndef FREERTOS_CONFIG_H
#define FREERTOS_CONFIG_H

#define configUSE_PREEMPTION              1
#define configUSE_IDLE_HOOK               0
#define configUSE_TICK_HOOK               0
#define configTICK_RATE_HZ                1000
#define configMAX_PRIORITIES              7
#define configMINIMAL_STACK_SIZE          1024
#define configTOTAL_HEAP_SIZE             (256 * 1024)
#define configMAX_TASK_NAME_LEN           16
#define configUSE_16_BIT_TICKS            0
#define configUSE_MUTEXES                 1
#define configUSE_RECURSIVE_MUTEXES       1
#define configUSE_COUNTING_SEMAPHORES     1
#define configQUEUE_REGISTRY_SIZE         0
#define configSUPPORT_DYNAMIC_ALLOCATION  1
#define configSUPPORT_STATIC_ALLOCATION   0
#define configCHECK_FOR_STACK_OVERFLOW    0
#define configUSE_MALLOC_FAILED_HOOK      0
#define configUSE_TIMERS                  1
#define configTIMER_TASK_PRIORITY         (configMAX_PRIORITIES - 1)
#define configTIMER_QUEUE_LENGTH          10
#define configTIMER_TASK_STACK_DEPTH      configMINIMAL_STACK_SIZE
#define INCLUDE_vTaskDelay                1
#define INCLUDE_vTaskDelete               1
#define INCLUDE_xTaskGetSchedulerState    1
#define INCLUDE_xTaskGetCurrentTaskHandle 1

#endif
