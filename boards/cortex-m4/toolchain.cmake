# CMake toolchain file: Cortex-M4 (Thumb-2, soft float ABI), arm-none-eabi-gcc,
# newlib-nano. Selected automatically for -DSMTPC_BOARD=cortex-m4, or
#   cmake -DCMAKE_TOOLCHAIN_FILE=boards/cortex-m4/toolchain.cmake ...
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(_prefix arm-none-eabi-)
find_program(CMAKE_C_COMPILER ${_prefix}gcc REQUIRED)
find_program(CMAKE_AR ${_prefix}ar REQUIRED)
find_program(CMAKE_RANLIB ${_prefix}ranlib REQUIRED)
find_program(CMAKE_OBJCOPY ${_prefix}objcopy)
find_program(CMAKE_SIZE ${_prefix}size)
find_program(CMAKE_NM ${_prefix}nm)

# The compiler checks link a program: a static library avoids needing the
# board's startup code and linker script at that point.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(SMTPC_CPU_FLAGS "-mcpu=cortex-m4 -mthumb -mfloat-abi=soft")
set(CMAKE_C_FLAGS_INIT
    "${SMTPC_CPU_FLAGS} -Os -ffunction-sections -fdata-sections -fno-common --specs=nano.specs")
# -Os whatever the build type: the footprint figures are for -Os.
set(CMAKE_C_FLAGS_RELEASE_INIT "-DNDEBUG")
set(CMAKE_C_FLAGS_MINSIZEREL_INIT "-DNDEBUG")
set(CMAKE_C_FLAGS_RELWITHDEBINFO_INIT "-g -DNDEBUG")
set(CMAKE_C_FLAGS_DEBUG_INIT "-g")
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "${SMTPC_CPU_FLAGS} -Wl,--gc-sections -Wl,--no-warn-rwx-segments")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
