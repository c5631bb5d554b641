# CMake toolchain file: RV32IMAC (ilp32), riscv64-unknown-elf-gcc, freestanding.
# Debian's riscv64-unknown-elf toolchain ships no C library: the core is
# compiled -ffreestanding (stdint.h, stddef.h, stdbool.h come from GCC) with
# the board's string.h shim, and the board provides memcpy, memmove, memset
# and memcmp. Selected automatically for -DSMTPC_BOARD=riscv32.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv32)

set(_prefix riscv64-unknown-elf-)
find_program(CMAKE_C_COMPILER ${_prefix}gcc REQUIRED)
find_program(CMAKE_AR ${_prefix}ar REQUIRED)
find_program(CMAKE_RANLIB ${_prefix}ranlib REQUIRED)
find_program(CMAKE_SIZE ${_prefix}size)
find_program(CMAKE_NM ${_prefix}nm)

set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(SMTPC_CPU_FLAGS "-march=rv32imac -mabi=ilp32")
set(CMAKE_C_FLAGS_INIT
    "${SMTPC_CPU_FLAGS} -Os -ffreestanding -ffunction-sections -fdata-sections -fno-common")
set(CMAKE_C_FLAGS_RELEASE_INIT "-DNDEBUG")
set(CMAKE_C_FLAGS_MINSIZEREL_INIT "-DNDEBUG")
set(CMAKE_C_FLAGS_RELWITHDEBINFO_INIT "-g -DNDEBUG")
set(CMAKE_C_FLAGS_DEBUG_INIT "-g")
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "${SMTPC_CPU_FLAGS} -nostdlib -nostartfiles -Wl,--gc-sections -Wl,--no-warn-rwx-segments")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
