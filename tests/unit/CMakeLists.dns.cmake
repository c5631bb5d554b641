# Unit tests of the DNS stub resolver (wire codec, query engine) and of MX
# delivery in the driver, included from tests/CMakeLists.txt. Each test file
# is one executable and one CTest test, labelled "unit".
#
# Tests that expose a known defect of core/ sit under #ifdef
# SMTPC_TEST_KNOWN_BUGS; files that have such tests are compiled a second time
# (option KNOWN_BUGS) with SMTPC_TEST_KNOWN_BUGS=1 into <name>_known_bugs,
# which runs only those tests and is not run by CTest (it fails until the
# defect is fixed): run it by hand.
get_filename_component(_smtpc_dns_fakes "${CMAKE_CURRENT_LIST_DIR}/../fakes" ABSOLUTE)

function(smtpc_dns_unit_test name)
  cmake_parse_arguments(_t "KNOWN_BUGS" "" "" ${ARGN})
  set(_variants "")
  if(_t_KNOWN_BUGS)
    set(_variants "_known_bugs")
  endif()
  foreach(_variant "" ${_variants})
    set(_exe "${name}${_variant}")
    add_executable(${_exe} "${CMAKE_CURRENT_LIST_DIR}/${name}.c" ${_t_UNPARSED_ARGUMENTS})
    target_include_directories(${_exe} PRIVATE ${CMOCKA_INCLUDE_DIR} "${_smtpc_dns_fakes}")
    target_link_libraries(${_exe} PRIVATE smtpc_core ${CMOCKA_LIB})
    target_compile_options(${_exe} PRIVATE ${SMTPC_WARN_COMMON})
    if(_variant STREQUAL "_known_bugs")
      target_compile_definitions(${_exe} PRIVATE SMTPC_TEST_KNOWN_BUGS=1)
    endif()
  endforeach()
  add_test(NAME unit_${name} COMMAND ${name})
  set_tests_properties(unit_${name} PROPERTIES LABELS "unit")
endfunction()

smtpc_dns_unit_test(test_dnswire
  "${_smtpc_dns_fakes}/fake_dgram.c")
smtpc_dns_unit_test(test_dns
  "${_smtpc_dns_fakes}/fake_dgram.c" "${_smtpc_dns_fakes}/fake_clock.c"
  "${_smtpc_dns_fakes}/fake_stream.c" "${_smtpc_dns_fakes}/fake_net.c")
smtpc_dns_unit_test(test_client_mx
  "${_smtpc_dns_fakes}/fake_dgram.c" "${_smtpc_dns_fakes}/fake_clock.c"
  "${_smtpc_dns_fakes}/fake_stream.c" "${_smtpc_dns_fakes}/fake_tls.c")
