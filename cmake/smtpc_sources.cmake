# smtpc source lists, for integrators with their own build system (make,
# ESP-IDF, vendor IDEs): only variables, no targets.
#   include(path/to/smtpc/cmake/smtpc_sources.cmake)
get_filename_component(SMTPC_ROOT "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)

set(SMTPC_CORE_INCLUDE_DIRS "${SMTPC_ROOT}/core/include")
set(SMTPC_CORE_SOURCES
    "${SMTPC_ROOT}/core/src/smtpc_err.c"
    "${SMTPC_ROOT}/core/src/smtpc_b64.c"
    "${SMTPC_ROOT}/core/src/smtpc_reply.c"
    "${SMTPC_ROOT}/core/src/smtpc_dnswire.c"
    "${SMTPC_ROOT}/core/src/smtpc_dns.c"
    "${SMTPC_ROOT}/core/src/smtpc_idna.c"
    "${SMTPC_ROOT}/core/src/smtpc_stsparse.c"
    "${SMTPC_ROOT}/core/src/smtpc_httpparse.c"
    "${SMTPC_ROOT}/core/src/smtpc_sts.c"
    "${SMTPC_ROOT}/core/src/smtpc_sts_ram.c"
    "${SMTPC_ROOT}/core/src/smtpc_smtp.c"
    "${SMTPC_ROOT}/core/src/smtpc_client.c"
    "${SMTPC_ROOT}/core/src/smtpc_kvs.c"
    "${SMTPC_ROOT}/core/src/smtpc_cache.c"
    "${SMTPC_ROOT}/core/src/smtpc_tlsrpt.c"
    "${SMTPC_ROOT}/core/src/smtpc_gzip.c"
    "${SMTPC_ROOT}/core/src/smtpc_tlsrpt_json.c"
    "${SMTPC_ROOT}/core/src/smtpc_tlsrpt_mail.c"
    "${SMTPC_ROOT}/core/src/smtpc_upload.c")

set(SMTPC_PORT_POSIX_INCLUDE_DIRS "${SMTPC_ROOT}/port/posix")
set(SMTPC_PORT_POSIX_SOURCES
    "${SMTPC_ROOT}/port/posix/smtpc_posix_net.c"
    "${SMTPC_ROOT}/port/posix/smtpc_posix_sys.c"
    "${SMTPC_ROOT}/port/posix/smtpc_posix_blocking.c"
    "${SMTPC_ROOT}/port/posix/smtpc_posix_dns.c")

# lwIP port (port/lwip/lwip.cmake builds lwIP and these against a board's
# lwipopts.h): the raw-API variant (NO_SYS=1 superloop or the tcpip thread)
# and the sockets variant (LWIP_SOCKET, NO_SYS=0), which also needs the raw
# sources' resolver, clock and rng.
set(SMTPC_PORT_LWIP_INCLUDE_DIRS "${SMTPC_ROOT}/port/lwip")
set(SMTPC_PORT_LWIP_RAW_SOURCES
    "${SMTPC_ROOT}/port/lwip/smtpc_lwip_raw.c"
    "${SMTPC_ROOT}/port/lwip/smtpc_lwip_dns.c"
    "${SMTPC_ROOT}/port/lwip/smtpc_lwip_resolve.c"
    "${SMTPC_ROOT}/port/lwip/smtpc_lwip_sys.c")
set(SMTPC_PORT_LWIP_SOCKETS_SOURCES
    "${SMTPC_ROOT}/port/lwip/smtpc_lwip_sockets.c")

set(SMTPC_PORT_MBEDTLS_INCLUDE_DIRS "${SMTPC_ROOT}/port/mbedtls")
set(SMTPC_PORT_MBEDTLS_SOURCES
    "${SMTPC_ROOT}/port/mbedtls/smtpc_mbedtls.c"
    "${SMTPC_ROOT}/port/mbedtls/smtpc_dkim.c")

# Flash backends: a RAM-backed NOR (portable) and a host file behaving like
# NOR (POSIX). The power-cut emulator over the RAM backend is for tests only.
set(SMTPC_PORT_FLASH_INCLUDE_DIRS "${SMTPC_ROOT}/port/flash")
set(SMTPC_PORT_FLASH_SOURCES
    "${SMTPC_ROOT}/port/flash/smtpc_flash_ram.c"
    "${SMTPC_ROOT}/port/flash/smtpc_flash_file.c")
set(SMTPC_PORT_FLASH_EMU_SOURCES
    "${SMTPC_ROOT}/port/flash/smtpc_flash_emu.c")
