# Targets tools/footprint.sh reads (cross boards only; included by
# boards/<board>/CMakeLists.txt):
#   smtpc_fp_core<N>, smtpc-fp-app<N>  the core built for profile N and the
#                                      profile application linked with
#                                      --gc-sections and a map file
#                                      (1 submission, 2 + MX/MTA-STS/cache,
#                                      3 + TLS-RPT)
#   smtpc_fp_sizes_board / _default    sizeof() of the state types as symbol
#                                      sizes (board config / opts.h defaults)
#
#   smtpc_fp_targets(LINK_OPTIONS <opts...> LIBS <libs...> [INCLUDES <dirs...>])
include_guard(GLOBAL)
set(_smtpc_fp_dir "${CMAKE_CURRENT_LIST_DIR}")

function(smtpc_fp_targets)
  cmake_parse_arguments(FP "" "" "LINK_OPTIONS;LIBS;INCLUDES" ${ARGN})
  # Whether the driver knows SMTPC_ENABLE_MX (otherwise profile 1 is the
  # submission-only application over the full core, trimmed by gc-sections).
  file(STRINGS "${SMTPC_ROOT}/core/src/smtpc_client.c" _mx REGEX "SMTPC_ENABLE_MX")
  if(_mx)
    set(SMTPC_FP_HAVE_ENABLE_MX 1 PARENT_SCOPE)
  else()
    set(SMTPC_FP_HAVE_ENABLE_MX 0 PARENT_SCOPE)
  endif()
  set(_defs1 SMTPC_ENABLE_MX=0 SMTPC_ENABLE_TLSRPT=0)
  set(_defs2 SMTPC_ENABLE_MX=1 SMTPC_ENABLE_TLSRPT=0)
  set(_defs3 SMTPC_ENABLE_MX=1 SMTPC_ENABLE_TLSRPT=1)
  foreach(_p 1 2 3)
    add_library(smtpc_fp_core${_p} STATIC ${SMTPC_CORE_SOURCES})
    target_include_directories(smtpc_fp_core${_p} PUBLIC ${SMTPC_CORE_INCLUDE_DIRS}
                               ${SMTPC_BOARD_DIR} ${FP_INCLUDES})
    target_compile_definitions(smtpc_fp_core${_p} PUBLIC ${_defs${_p}})
    target_compile_options(smtpc_fp_core${_p} PRIVATE ${SMTPC_WARN_CORE})
    add_executable(smtpc-fp-app${_p} "${_smtpc_fp_dir}/prof_app.c")
    target_compile_definitions(smtpc-fp-app${_p} PRIVATE FP_PROFILE=${_p})
    target_compile_options(smtpc-fp-app${_p} PRIVATE ${SMTPC_WARN_COMMON})
    target_link_libraries(smtpc-fp-app${_p} PRIVATE smtpc_fp_core${_p} ${FP_LIBS})
    target_link_options(smtpc-fp-app${_p} PRIVATE ${FP_LINK_OPTIONS} "LINKER:--entry=main"
                        "LINKER:-Map=$<TARGET_FILE:smtpc-fp-app${_p}>.map")
  endforeach()

  add_library(smtpc_fp_sizes_board OBJECT "${_smtpc_fp_dir}/sizes.c")
  target_include_directories(smtpc_fp_sizes_board PRIVATE ${SMTPC_CORE_INCLUDE_DIRS}
                             ${SMTPC_BOARD_DIR} ${FP_INCLUDES})
  add_library(smtpc_fp_sizes_default OBJECT "${_smtpc_fp_dir}/sizes.c")
  target_include_directories(smtpc_fp_sizes_default PRIVATE ${SMTPC_CORE_INCLUDE_DIRS} ${FP_INCLUDES})
  target_compile_definitions(smtpc_fp_sizes_default PRIVATE SMTPC_NO_USER_CONFIG)
  foreach(_t smtpc_fp_sizes_board smtpc_fp_sizes_default)
    target_compile_options(${_t} PRIVATE ${SMTPC_WARN_COMMON})
  endforeach()
endfunction()
