# Unit tests of the MTA-STS parsers (smtpc_stsparse.c), included from
# tests/CMakeLists.txt: one executable, one CTest test labelled "unit".
#
# Tests that expose a known defect of core/ are in a second cmocka group that
# CTest does not run (they fail until the defect is fixed); run them by hand:
#   test_stsparse --known-bugs
add_executable(test_stsparse "${CMAKE_CURRENT_LIST_DIR}/test_stsparse.c")
target_include_directories(test_stsparse PRIVATE ${CMOCKA_INCLUDE_DIR})
target_link_libraries(test_stsparse PRIVATE smtpc_core ${CMOCKA_LIB})
target_compile_options(test_stsparse PRIVATE ${SMTPC_WARN_COMMON})
add_test(NAME unit_test_stsparse COMMAND test_stsparse)
set_tests_properties(unit_test_stsparse PROPERTIES LABELS "unit")
