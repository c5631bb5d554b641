/* Start-up code of the Cortex-M4 board: vector table, reset handler, the
 * millisecond tick, and the newlib system call stubs.
 *
 * No heap exists: _sbrk is deliberately NOT defined, so if anything in the
 * image calls malloc (newlib's gmtime, printf's buffers, cJSON's default
 * hooks, lwIP with MEM_LIBC_MALLOC) the link fails on "_sbrk". The build
 * also checks the final image with nm (CMakeLists.txt). */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>

#include "board.h"

extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_top[];

int main(void);
void Reset_Handler(void);
void Default_Handler(void);
void SysTick_Handler(void);

/* SysTick at 1 kHz: the monotonic clock of smtpc and lwIP's sys_now(). */
static volatile uint32_t tick_ms;

void SysTick_Handler(void)
{
    tick_ms++;
}

uint32_t board_ms(void)
{
    return tick_ms;
}

void Default_Handler(void)
{
    for (;;) {
        __asm volatile("bkpt #0");
    }
}

void NMI_Handler(void) __attribute__((weak, alias("Default_Handler")));
void HardFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler(void) __attribute__((weak, alias("Default_Handler")));
void BusFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void UsageFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SVC_Handler(void) __attribute__((weak, alias("Default_Handler")));
void DebugMon_Handler(void) __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void) __attribute__((weak, alias("Default_Handler")));
void ETH_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));
void RNG_IRQHandler(void) __attribute__((weak, alias("Default_Handler")));

typedef void (*vector_t)(void);

/* Cortex-M system exceptions, then the device interrupts the board uses
 * (an STM32F4 has 82; unused slots stay on Default_Handler). */
__attribute__((section(".isr_vector"), used)) static const vector_t vectors[16 + 82] = {
    [0] = (vector_t)(uintptr_t)__stack_top,
    [1] = Reset_Handler,
    [2] = NMI_Handler,
    [3] = HardFault_Handler,
    [4] = MemManage_Handler,
    [5] = BusFault_Handler,
    [6] = UsageFault_Handler,
    [11] = SVC_Handler,
    [12] = DebugMon_Handler,
    [14] = PendSV_Handler,
    [15] = SysTick_Handler,
    [16 + 61] = ETH_IRQHandler,
    [16 + 80] = RNG_IRQHandler,
};

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

void Reset_Handler(void)
{
    uint32_t *src = __data_load;
    uint32_t *dst;

    for (dst = __data_start; dst < __data_end;) {
        *dst++ = *src++;
    }
    for (dst = __bss_start; dst < __bss_end;) {
        *dst++ = 0;
    }
    SYST_RVR = BOARD_CPU_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = 7u; /* processor clock, interrupt, enable */
    (void)main();
    Default_Handler();
}

/* ------------------------------------------------- newlib system calls --
 * Only what newlib-nano's remaining pieces (abort, the string functions'
 * reentrancy structure) may reference. None of them allocates. */

void _exit(int status);
int _kill(int pid, int sig);
int _getpid(void);
int _close(int fd);
int _fstat(int fd, struct stat *st);
int _isatty(int fd);
int _lseek(int fd, int off, int whence);
int _read(int fd, char *buf, int len);
int _write(int fd, const char *buf, int len);

void _exit(int status)
{
    (void)status;
    Default_Handler();
    for (;;) {
    }
}

int _kill(int pid, int sig)
{
    (void)pid;
    (void)sig;
    errno = EINVAL;
    return -1;
}

int _getpid(void)
{
    return 1;
}

int _close(int fd)
{
    (void)fd;
    errno = EBADF;
    return -1;
}

int _fstat(int fd, struct stat *st)
{
    (void)fd;
    st->st_mode = S_IFCHR;
    return 0;
}

int _isatty(int fd)
{
    (void)fd;
    return 1;
}

int _lseek(int fd, int off, int whence)
{
    (void)fd;
    (void)off;
    (void)whence;
    errno = ESPIPE;
    return -1;
}

int _read(int fd, char *buf, int len)
{
    (void)fd;
    (void)buf;
    (void)len;
    errno = EBADF;
    return -1;
}

int _write(int fd, const char *buf, int len)
{
    (void)fd;
    (void)buf;
    (void)len;
    errno = EBADF;
    return -1;
}
