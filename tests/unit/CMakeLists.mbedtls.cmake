# Unit test of the mbedTLS binding (port/mbedtls), included from
# tests/CMakeLists.txt. Needs the smtpc_port_mbedtls target, cmocka and the
# openssl command line (the test PKI is generated fresh for every ctest run,
# because its validity dates are relative to now).
if(NOT TARGET smtpc_port_mbedtls)
  message(FATAL_ERROR "CMakeLists.mbedtls.cmake needs the smtpc_port_mbedtls target")
endif()
if(NOT CMOCKA_LIBRARIES)
  find_package(cmocka REQUIRED CONFIG)
endif()
find_program(SMTPC_OPENSSL openssl REQUIRED)

set(SMTPC_TEST_CERT_DIR "${CMAKE_CURRENT_BINARY_DIR}/certs")
get_filename_component(_smtpc_certs_gen "${CMAKE_CURRENT_LIST_DIR}/../certs/gen.sh" ABSOLUTE)

# Fixture: the PKI is (re)generated before any test that requires it.
add_test(NAME port_mbedtls_certs COMMAND sh "${_smtpc_certs_gen}" "${SMTPC_TEST_CERT_DIR}")
set_tests_properties(port_mbedtls_certs PROPERTIES FIXTURES_SETUP smtpc_test_certs)

# For running the test binary by hand: `cmake --build . --target smtpc_test_certs`.
add_custom_target(smtpc_test_certs
  COMMAND sh "${_smtpc_certs_gen}" "${SMTPC_TEST_CERT_DIR}"
  COMMENT "Generating the test PKI in ${SMTPC_TEST_CERT_DIR}"
  VERBATIM)

add_executable(test_port_mbedtls "${CMAKE_CURRENT_LIST_DIR}/test_port_mbedtls.c")
target_include_directories(test_port_mbedtls PRIVATE ${CMOCKA_INCLUDE_DIR})
target_link_libraries(test_port_mbedtls PRIVATE smtpc_port_mbedtls ${CMOCKA_LIBRARIES})
target_compile_options(test_port_mbedtls PRIVATE ${SMTPC_WARN_COMMON})
target_compile_definitions(test_port_mbedtls PRIVATE
  SMTPC_TEST_CERT_DIR="${SMTPC_TEST_CERT_DIR}")

add_test(NAME port_mbedtls COMMAND test_port_mbedtls "${SMTPC_TEST_CERT_DIR}")
set_tests_properties(port_mbedtls PROPERTIES FIXTURES_REQUIRED smtpc_test_certs TIMEOUT 120)
