# Unit tests of TLS reporting (smtpc_tlsrpt.c: TXT record, classification,
# the compact report log; smtpc_gzip.c), over the RAM flash and the power-cut
# emulator of port/flash. Included from tests/CMakeLists.txt. One
# executable, two CTest tests:
#   unit_test_tlsrpt       label "unit": parser tables, classification,
#                          the log (batching, rollover, degradation, removal,
#                          schedule, corrupted records, a full store, a random
#                          workload against a model), gzip through zlib, and
#                          a power-cut sample on one geometry;
#   powercut_test_tlsrpt   label "powercut": every cut point and mode over
#                          four geometries, several seeds per half-done cut.
# zlib (Debian: zlib1g-dev) is used by the test only, to inflate the gzip
# members; without it the gzip test checks the framing by hand.
add_executable(test_tlsrpt "${CMAKE_CURRENT_LIST_DIR}/test_tlsrpt.c" ${SMTPC_PORT_FLASH_EMU_SOURCES})
target_include_directories(test_tlsrpt PRIVATE ${CMOCKA_INCLUDE_DIR} ${CMAKE_CURRENT_LIST_DIR}/../fakes)
target_compile_definitions(test_tlsrpt PRIVATE _POSIX_C_SOURCE=200809L)
target_link_libraries(test_tlsrpt PRIVATE smtpc_port_flash smtpc_core ${CMOCKA_LIB})
target_compile_options(test_tlsrpt PRIVATE ${SMTPC_WARN_COMMON})
find_package(ZLIB QUIET)
if(ZLIB_FOUND)
  target_compile_definitions(test_tlsrpt PRIVATE TEST_HAVE_ZLIB=1)
  target_link_libraries(test_tlsrpt PRIVATE ZLIB::ZLIB)
endif()
add_test(NAME unit_test_tlsrpt COMMAND test_tlsrpt)
set_tests_properties(unit_test_tlsrpt PROPERTIES LABELS "unit")
add_test(NAME powercut_test_tlsrpt COMMAND test_tlsrpt --powercut)
set_tests_properties(powercut_test_tlsrpt PROPERTIES LABELS "powercut")
