# lwIP port of smtpc (ARCHITECTURE §6): builds lwIP itself from a source tree
# with a board's lwipopts.h, and the smtpc port library against it.
#
#   include(path/to/smtpc/port/lwip/lwip.cmake)
#   smtpc_lwip_stack(NAME NO_SYS 0|1 OPTS_DIR dir
#                    [INCLUDE_DIRS dirs...] [SOURCES board lwIP sources...])
#     -> NAME       static lwIP (core, IPv4, Ethernet; + netconn/sockets/tcpip
#                   when NO_SYS is 0) with the board's own sources (netif,
#                   sys_arch), include dirs public
#     -> NAME_port  the smtpc port over it: raw TCP + UDP + resolver + clock +
#                   rng (SMTPC_PORT_LWIP_RAW_SOURCES), and the sockets variant
#                   (SMTPC_PORT_LWIP_SOCKETS_SOURCES) when NO_SYS is 0
#
# LWIP_DIR: the lwIP tree. Default: Debian's lwip source package as fetched by
# tools/fetch-sources.sh into ${SMTPC_DEPS_DIR}/src/lwip; an integrator points
# it at the SDK's copy. lwIP's own Filelists.cmake is not included (it writes
# into the source tree and may add a documentation target); the sources are
# listed here. lwIP keeps its warnings visible but never fails the build.
include_guard(GLOBAL)
include("${CMAKE_CURRENT_LIST_DIR}/../../cmake/deps_source.cmake")
include("${CMAKE_CURRENT_LIST_DIR}/../../cmake/smtpc_sources.cmake")

set(LWIP_DIR "${SMTPC_DEPS_DIR}/src/lwip" CACHE PATH
    "lwIP source tree (Debian's lwip source package, or an SDK's copy)")

function(smtpc_lwip_stack name)
  cmake_parse_arguments(A "" "NO_SYS;OPTS_DIR" "INCLUDE_DIRS;SOURCES" ${ARGN})
  if(NOT EXISTS "${LWIP_DIR}/src/include/lwip/opt.h")
    message(FATAL_ERROR "smtpc lwIP: no lwIP source in LWIP_DIR=${LWIP_DIR} "
                        "(run tools/fetch-sources.sh ${SMTPC_DEPS_DIR} lwip, or set LWIP_DIR)")
  endif()
  set(_s "${LWIP_DIR}/src")
  set(_srcs
      ${_s}/core/init.c ${_s}/core/def.c ${_s}/core/inet_chksum.c ${_s}/core/ip.c
      ${_s}/core/mem.c ${_s}/core/memp.c ${_s}/core/netif.c ${_s}/core/pbuf.c
      ${_s}/core/raw.c ${_s}/core/stats.c ${_s}/core/sys.c ${_s}/core/tcp.c
      ${_s}/core/tcp_in.c ${_s}/core/tcp_out.c ${_s}/core/timeouts.c ${_s}/core/udp.c
      ${_s}/core/dns.c
      ${_s}/core/ipv4/etharp.c ${_s}/core/ipv4/icmp.c ${_s}/core/ipv4/ip4.c
      ${_s}/core/ipv4/ip4_addr.c ${_s}/core/ipv4/ip4_frag.c
      ${_s}/netif/ethernet.c)
  if(NOT A_NO_SYS)
    list(APPEND _srcs ${_s}/api/api_lib.c ${_s}/api/api_msg.c ${_s}/api/err.c
         ${_s}/api/netbuf.c ${_s}/api/sockets.c ${_s}/api/tcpip.c)
  endif()
  add_library(${name} STATIC ${_srcs} ${A_SOURCES})
  # SYSTEM: code built with the strict warning sets includes these headers.
  target_include_directories(${name} SYSTEM PUBLIC
      ${A_OPTS_DIR} ${A_INCLUDE_DIRS} "${_s}/include")
  _smtpc_dep_third_party_flags(${name})
  if(NOT A_NO_SYS)
    find_package(Threads REQUIRED)
    target_link_libraries(${name} PUBLIC Threads::Threads)
  endif()
  set_source_files_properties(${_srcs} ${A_SOURCES} PROPERTIES
      OBJECT_DEPENDS "${A_OPTS_DIR}/lwipopts.h")

  set(_port ${SMTPC_PORT_LWIP_RAW_SOURCES})
  if(NOT A_NO_SYS)
    list(APPEND _port ${SMTPC_PORT_LWIP_SOCKETS_SOURCES})
  endif()
  add_library(${name}_port STATIC ${_port})
  target_include_directories(${name}_port PUBLIC ${SMTPC_PORT_LWIP_INCLUDE_DIRS})
  target_link_libraries(${name}_port PUBLIC smtpc_core ${name})
  target_compile_options(${name}_port PRIVATE ${SMTPC_WARN_COMMON})
endfunction()
