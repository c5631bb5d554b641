# Third-party libraries built from Debian source packages, with smtpc's own
# configuration (firmware-like host builds and cross builds).
#
# The sources are fetched and unpacked beforehand by
#   tools/fetch-sources.sh ${SMTPC_DEPS_DIR}
# which leaves ${SMTPC_DEPS_DIR}/src/{mbedtls,lwip,cjson}. This module only
# builds what is there; it downloads nothing.
#
#   include(path/to/smtpc/cmake/deps_source.cmake)
#   smtpc_deps_mbedtls()   # -> smtpc_dep_mbedcrypto, smtpc_dep_mbedx509, smtpc_dep_mbedtls
#   smtpc_deps_cjson()     # -> smtpc_dep_cjson
#   if(TARGET smtpc_dep_mbedtls) ... endif()
#
# Inputs (cache variables):
#   SMTPC_DEPS_DIR        root of the fetched sources (default ${CMAKE_BINARY_DIR}/deps)
#   MBEDTLS_SOURCE_DIR    unpacked mbedTLS 2.28 tree (default ${SMTPC_DEPS_DIR}/src/mbedtls)
#   CJSON_SOURCE_DIR      unpacked cJSON tree (default ${SMTPC_DEPS_DIR}/src/cjson)
#   SMTPC_MBEDTLS_CONFIG  mbedTLS config header, passed as MBEDTLS_CONFIG_FILE
#                         (default boards/host/mbedtls_config.h)
#   SMTPC_MBEDTLS_FILES   optional (normal variable): library/*.c base names to
#                         compile, e.g. "aes;gcm;ssl_tls"; default all of them
#                         (cross builds list only what their config needs)
#
# A missing tree is not an error: the functions print a status line, create
# no target, and callers test with if(TARGET ...). mbedTLS's own CMakeLists
# is not used (it builds programs and tests); library/*.c is listed here.
# lwIP is fetched by the script but built by the lwIP port, not here.
include_guard(GLOBAL)

get_filename_component(_smtpc_deps_root "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)

set(SMTPC_DEPS_DIR "${CMAKE_BINARY_DIR}/deps" CACHE PATH
    "Folder filled by tools/fetch-sources.sh (archives/ and src/)")
set(MBEDTLS_SOURCE_DIR "${SMTPC_DEPS_DIR}/src/mbedtls" CACHE PATH
    "mbedTLS 2.28 source tree (Debian source package, unpacked)")
set(CJSON_SOURCE_DIR "${SMTPC_DEPS_DIR}/src/cjson" CACHE PATH
    "cJSON source tree (Debian source package, unpacked)")
set(SMTPC_MBEDTLS_CONFIG "${_smtpc_deps_root}/boards/host/mbedtls_config.h" CACHE FILEPATH
    "mbedTLS configuration header used for the source build (MBEDTLS_CONFIG_FILE)")

# Third-party code keeps its own warnings visible but never fails the build
# on them, whatever SMTPC_WERROR or CMAKE_C_FLAGS say.
function(_smtpc_dep_third_party_flags target)
  if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wno-error)
  endif()
  set_target_properties(${target} PROPERTIES
      C_STANDARD 99 C_STANDARD_REQUIRED ON)
endfunction()

# mbedTLS 2.x: three static libraries, split as upstream splits them.
function(smtpc_deps_mbedtls)
  if(TARGET smtpc_dep_mbedtls)
    return()
  endif()
  set(_src "${MBEDTLS_SOURCE_DIR}")
  set(_version_h "${_src}/include/mbedtls/version.h")
  if(NOT EXISTS "${_version_h}" OR NOT IS_DIRECTORY "${_src}/library")
    message(STATUS "smtpc deps: no mbedTLS source in ${_src} "
                   "(run tools/fetch-sources.sh ${SMTPC_DEPS_DIR}); source-built mbedTLS disabled")
    return()
  endif()
  file(STRINGS "${_version_h}" _ver REGEX "^#define MBEDTLS_VERSION_STRING +\"[0-9.]+\"")
  string(REGEX REPLACE ".*\"([0-9.]+)\".*" "\\1" _ver "${_ver}")
  if(NOT _ver MATCHES "^2\\.")
    message(WARNING "smtpc deps: ${_src} holds mbedTLS ${_ver}; this build expects 2.28 "
                    "(configs are 2.x style). Source-built mbedTLS disabled.")
    return()
  endif()
  if(NOT EXISTS "${SMTPC_MBEDTLS_CONFIG}")
    message(FATAL_ERROR "smtpc deps: SMTPC_MBEDTLS_CONFIG not found: ${SMTPC_MBEDTLS_CONFIG}")
  endif()

  file(GLOB _all CONFIGURE_DEPENDS "${_src}/library/*.c")
  if(SMTPC_MBEDTLS_FILES)
    set(_all "")
    foreach(_n IN LISTS SMTPC_MBEDTLS_FILES)
      list(APPEND _all "${_src}/library/${_n}.c")
    endforeach()
  endif()
  set(_crypto "")
  set(_x509 "")
  set(_tls "")
  foreach(_f IN LISTS _all)
    get_filename_component(_name "${_f}" NAME)
    if(_name MATCHES "^(x509.*|certs|pkcs11)\\.c$")
      list(APPEND _x509 "${_f}")
    elseif(_name MATCHES "^(ssl_.*|debug|net_sockets)\\.c$")
      list(APPEND _tls "${_f}")
    else()
      list(APPEND _crypto "${_f}")
    endif()
  endforeach()

  # Every file is compiled; the config header decides what each contains
  # (disabled modules compile to nothing).
  add_library(smtpc_dep_mbedcrypto STATIC ${_crypto})
  add_library(smtpc_dep_mbedx509 STATIC ${_x509})
  add_library(smtpc_dep_mbedtls STATIC ${_tls})
  target_link_libraries(smtpc_dep_mbedx509 PUBLIC smtpc_dep_mbedcrypto)
  target_link_libraries(smtpc_dep_mbedtls PUBLIC smtpc_dep_mbedx509)

  foreach(_t smtpc_dep_mbedcrypto smtpc_dep_mbedx509 smtpc_dep_mbedtls)
    # SYSTEM: consumers compiled with the strict core warning set must not
    # see warnings from mbedTLS headers.
    target_include_directories(${_t} SYSTEM PUBLIC "${_src}/include")
    target_include_directories(${_t} PRIVATE "${_src}/library")
    target_compile_definitions(${_t} PUBLIC "MBEDTLS_CONFIG_FILE=\"${SMTPC_MBEDTLS_CONFIG}\"")
    _smtpc_dep_third_party_flags(${_t})
  endforeach()
  # The config header is an input of every object file.
  set_source_files_properties(${_all} PROPERTIES OBJECT_DEPENDS "${SMTPC_MBEDTLS_CONFIG}")

  message(STATUS "smtpc deps: mbedTLS ${_ver} from ${_src} (config ${SMTPC_MBEDTLS_CONFIG})")
endfunction()

# cJSON: the single cJSON.c (cJSON_Utils is not used). Code may include
# either "cJSON.h" or "cjson/cJSON.h" (the Debian -dev layout), so source
# and -dev builds share one spelling.
function(smtpc_deps_cjson)
  if(TARGET smtpc_dep_cjson)
    return()
  endif()
  set(_src "${CJSON_SOURCE_DIR}")
  if(NOT EXISTS "${_src}/cJSON.c" OR NOT EXISTS "${_src}/cJSON.h")
    message(STATUS "smtpc deps: no cJSON source in ${_src} "
                   "(run tools/fetch-sources.sh ${SMTPC_DEPS_DIR}); source-built cJSON disabled")
    return()
  endif()
  set(_stage "${CMAKE_BINARY_DIR}/smtpc_deps_include")
  configure_file("${_src}/cJSON.h" "${_stage}/cjson/cJSON.h" COPYONLY)

  add_library(smtpc_dep_cjson STATIC "${_src}/cJSON.c")
  target_include_directories(smtpc_dep_cjson SYSTEM PUBLIC "${_src}" "${_stage}")
  _smtpc_dep_third_party_flags(smtpc_dep_cjson)
  # cJSON prints and parses numbers with fabs()/floor(): libm where separate.
  find_library(SMTPC_LIBM m)
  if(SMTPC_LIBM)
    target_link_libraries(smtpc_dep_cjson PUBLIC ${SMTPC_LIBM})
  endif()
  message(STATUS "smtpc deps: cJSON from ${_src}")
endfunction()
