# smtpc-sim-faults: the fault-injection suite (sim_faults.c) over the same
# simulated world as smtpc-sim. It is its own executable because it links
# the static mbedTLS archives with calloc and free wrapped by the linker, so
# that every mbedTLS allocation the client makes can be counted and failed;
# smtpc-sim keeps the shared system library. Included from CMakeLists.txt.
#
#   smtpc-sim-faults [--certs DIR] list | run NAME | point NAME N | all
#
# Each fault family is one CTest test, sim_fault_<family>, labelled "sim",
# discovered from `smtpc-sim-faults list` like the scenarios.
set(_fault_ok FALSE)
if(NOT SMTPC_MBEDTLS_TARGETS AND CMAKE_SYSTEM_NAME STREQUAL "Linux" AND
   CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
  find_library(SMTPC_MBEDTLS_STATIC_LIB NAMES libmbedtls.a)
  find_library(SMTPC_MBEDX509_STATIC_LIB NAMES libmbedx509.a)
  find_library(SMTPC_MBEDCRYPTO_STATIC_LIB NAMES libmbedcrypto.a)
  if(SMTPC_MBEDTLS_STATIC_LIB AND SMTPC_MBEDX509_STATIC_LIB AND SMTPC_MBEDCRYPTO_STATIC_LIB)
    set(_fault_ok TRUE)
  endif()
endif()
if(NOT _fault_ok)
  message(STATUS "smtpc-sim-faults: not built (needs the static mbedTLS archives and GNU ld)")
  return()
endif()

# The world and the scenario tables of smtpc-sim (the faults reuse its
# message and peers), without its main().
get_target_property(_fault_sim_sources smtpc-sim SOURCES)
list(REMOVE_ITEM _fault_sim_sources sim_main.c)
add_executable(smtpc-sim-faults
  sim_faults.c
  ${_fault_sim_sources}
  ${SMTPC_PORT_MBEDTLS_SOURCES}
  ${SMTPC_PORT_FLASH_EMU_SOURCES})
target_include_directories(smtpc-sim-faults PRIVATE ${SMTPC_PORT_MBEDTLS_INCLUDE_DIRS})
target_link_libraries(smtpc-sim-faults PRIVATE smtpc_port_flash smtpc_core
                      ${SMTPC_MBEDTLS_STATIC_LIB} ${SMTPC_MBEDX509_STATIC_LIB}
                      ${SMTPC_MBEDCRYPTO_STATIC_LIB})
target_link_options(smtpc-sim-faults PRIVATE "LINKER:--wrap=calloc,--wrap=free")
target_compile_options(smtpc-sim-faults PRIVATE ${SMTPC_WARN_COMMON})
target_compile_definitions(smtpc-sim-faults PRIVATE SMTPC_SIM_CERT_DIR="${SMTPC_SIM_CERT_DIR}"
                           SIM_FAULTS_WRAP_ALLOC=1)
add_dependencies(smtpc-sim-faults smtpc_sim_certs)

set(_fault_tests "${CMAKE_CURRENT_BINARY_DIR}/sim_fault_tests.cmake")
add_custom_command(TARGET smtpc-sim-faults POST_BUILD
  COMMAND "${CMAKE_COMMAND}"
          -D "SIM=$<TARGET_FILE:smtpc-sim-faults>"
          -D "CERTS=${SMTPC_SIM_CERT_DIR}"
          -D "OUT=${_fault_tests}"
          -P "${CMAKE_CURRENT_SOURCE_DIR}/sim_discover.cmake"
  VERBATIM)
file(WRITE "${CMAKE_CURRENT_BINARY_DIR}/sim_fault_include.cmake"
  "if(EXISTS \"${_fault_tests}\")\n"
  "  include(\"${_fault_tests}\")\n"
  "else()\n"
  "  add_test(sim_fault_NOT_BUILT \"${CMAKE_COMMAND}\" -E echo \"smtpc-sim-faults is not built\")\n"
  "  set_tests_properties(sim_fault_NOT_BUILT PROPERTIES WILL_FAIL TRUE LABELS sim)\n"
  "endif()\n")
set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES
             "${CMAKE_CURRENT_BINARY_DIR}/sim_fault_include.cmake")
