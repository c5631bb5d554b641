# Unit tests of the MTA-STS cache decision, the RAM policy store and the
# discovery/fetch engine (smtpc_sts.c, smtpc_sts_ram.c), included from
# tests/CMakeLists.txt: one executable, one CTest test labelled "unit".
# The engine runs over the fakes: DNS answers from fake_dgram, the HTTPS
# fetch through fake_net + fake_tls + fake_stream, a virtual fake_clock.
get_filename_component(_smtpc_sts_fakes "${CMAKE_CURRENT_LIST_DIR}/../fakes" ABSOLUTE)

add_executable(test_sts "${CMAKE_CURRENT_LIST_DIR}/test_sts.c"
  "${_smtpc_sts_fakes}/fake_dgram.c" "${_smtpc_sts_fakes}/fake_clock.c"
  "${_smtpc_sts_fakes}/fake_stream.c" "${_smtpc_sts_fakes}/fake_net.c"
  "${_smtpc_sts_fakes}/fake_tls.c")
target_include_directories(test_sts PRIVATE ${CMOCKA_INCLUDE_DIR} "${_smtpc_sts_fakes}")
target_link_libraries(test_sts PRIVATE smtpc_core ${CMOCKA_LIB})
target_compile_options(test_sts PRIVATE ${SMTPC_WARN_COMMON})
add_test(NAME unit_test_sts COMMAND test_sts)
set_tests_properties(unit_test_sts PROPERTIES LABELS "unit")
