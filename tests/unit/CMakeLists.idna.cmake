# Unit tests of the IDNA conversion and the Punycode encoder (smtpc_idna.c),
# included from tests/CMakeLists.txt: one executable, one CTest test labelled
# "unit".
add_executable(test_idna "${CMAKE_CURRENT_LIST_DIR}/test_idna.c")
target_include_directories(test_idna PRIVATE ${CMOCKA_INCLUDE_DIR})
target_link_libraries(test_idna PRIVATE smtpc_core ${CMOCKA_LIB})
target_compile_options(test_idna PRIVATE ${SMTPC_WARN_COMMON})
add_test(NAME unit_test_idna COMMAND test_idna)
set_tests_properties(unit_test_idna PROPERTIES LABELS "unit")
