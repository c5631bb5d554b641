# Unit tests of the HTTP/1.1 client codec (smtpc_httpparse.c), included from
# tests/CMakeLists.txt: one executable, one CTest test labelled "unit".
add_executable(test_http "${CMAKE_CURRENT_LIST_DIR}/test_http.c")
target_include_directories(test_http PRIVATE ${CMOCKA_INCLUDE_DIR})
target_link_libraries(test_http PRIVATE smtpc_core ${CMOCKA_LIB})
target_compile_options(test_http PRIVATE ${SMTPC_WARN_COMMON})
add_test(NAME unit_test_http COMMAND test_http)
set_tests_properties(unit_test_http PROPERTIES LABELS "unit")
