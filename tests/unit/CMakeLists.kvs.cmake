# Unit tests of the flash key-value store (smtpc_kvs.c) over the flash
# backends of port/flash, included from tests/CMakeLists.txt. One executable,
# two CTest tests:
#   unit_test_kvs       label "unit": the API, geometries, corrupted images,
#                       wear, and a power-cut sample on one geometry;
#   powercut_test_kvs   label "powercut": the exhaustive power-cut suite over
#                       four geometries (too slow for valgrind, which run.sh
#                       runs on the "unit" label only).
add_executable(test_kvs "${CMAKE_CURRENT_LIST_DIR}/test_kvs.c" ${SMTPC_PORT_FLASH_EMU_SOURCES})
target_include_directories(test_kvs PRIVATE ${CMOCKA_INCLUDE_DIR} ${CMAKE_CURRENT_LIST_DIR}/../fakes)
target_compile_definitions(test_kvs PRIVATE _POSIX_C_SOURCE=200809L)
target_link_libraries(test_kvs PRIVATE smtpc_port_flash smtpc_core ${CMOCKA_LIB})
target_compile_options(test_kvs PRIVATE ${SMTPC_WARN_COMMON})
add_test(NAME unit_test_kvs COMMAND test_kvs)
set_tests_properties(unit_test_kvs PROPERTIES LABELS "unit")
add_test(NAME powercut_test_kvs COMMAND test_kvs --powercut)
set_tests_properties(powercut_test_kvs PROPERTIES LABELS "powercut")
