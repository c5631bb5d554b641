# Unit tests of the MTA-STS policy cache on flash (smtpc_cache.c: the store
# ops over the key-value store, the time floor, the floor clock), over the
# RAM flash and the power-cut emulator of port/flash. Included from
# tests/CMakeLists.txt. One executable, two CTest tests:
#   unit_test_cache       label "unit": store semantics, persistence, the
#                         compact refresh record, eviction, the time floor,
#                         corrupted images, wear, and a power-cut sample on
#                         one geometry (fast enough for valgrind);
#   powercut_test_cache   label "powercut": the exhaustive power-cut suite
#                         over six geometries, eight seeds per half-done cut,
#                         nested cuts (too slow for valgrind).
add_executable(test_cache "${CMAKE_CURRENT_LIST_DIR}/test_cache.c" ${SMTPC_PORT_FLASH_EMU_SOURCES})
target_include_directories(test_cache PRIVATE ${CMOCKA_INCLUDE_DIR} ${CMAKE_CURRENT_LIST_DIR}/../fakes)
target_compile_definitions(test_cache PRIVATE _POSIX_C_SOURCE=200809L)
target_link_libraries(test_cache PRIVATE smtpc_port_flash smtpc_core ${CMOCKA_LIB})
target_compile_options(test_cache PRIVATE ${SMTPC_WARN_COMMON})
add_test(NAME unit_test_cache COMMAND test_cache)
set_tests_properties(unit_test_cache PROPERTIES LABELS "unit")
add_test(NAME powercut_test_cache COMMAND test_cache --powercut)
set_tests_properties(powercut_test_cache PROPERTIES LABELS "powercut")
