# Unit tests of TLS-RPT rendering and delivery, included (OPTIONAL) from
# tests/CMakeLists.txt, label "unit":
#  - test_tlsrpt_json: smtpc_tlsrpt_render (cJSON on an arena), the report
#    mail (smtpc_tlsrpt_mail_build); needs cJSON in the core and zlib;
#  - test_upload: the HTTPS POST engine (smtpc_upload.c) over the fakes;
#  - test_dkim: the DKIM signer of port/mbedtls, verified with mbedTLS.
get_filename_component(_smtpc_rpt_fakes "${CMAKE_CURRENT_LIST_DIR}/../fakes" ABSOLUTE)

if(SMTPC_HAVE_TLSRPT_JSON)
  find_package(ZLIB)
  if(ZLIB_FOUND)
    add_executable(test_tlsrpt_json "${CMAKE_CURRENT_LIST_DIR}/test_tlsrpt_json.c")
    target_include_directories(test_tlsrpt_json PRIVATE ${CMOCKA_INCLUDE_DIR})
    target_link_libraries(test_tlsrpt_json PRIVATE smtpc_core ${CMOCKA_LIB} ZLIB::ZLIB)
    target_compile_options(test_tlsrpt_json PRIVATE ${SMTPC_WARN_COMMON})
    target_compile_definitions(test_tlsrpt_json PRIVATE _GNU_SOURCE)
    add_test(NAME unit_test_tlsrpt_json COMMAND test_tlsrpt_json)
    set_tests_properties(unit_test_tlsrpt_json PROPERTIES LABELS "unit")
  else()
    message(WARNING "zlib not found (Debian: zlib1g-dev): test_tlsrpt_json is not built")
  endif()
endif()

add_executable(test_upload "${CMAKE_CURRENT_LIST_DIR}/test_upload.c"
  "${_smtpc_rpt_fakes}/fake_clock.c" "${_smtpc_rpt_fakes}/fake_stream.c"
  "${_smtpc_rpt_fakes}/fake_net.c" "${_smtpc_rpt_fakes}/fake_tls.c")
target_include_directories(test_upload PRIVATE ${CMOCKA_INCLUDE_DIR} "${_smtpc_rpt_fakes}")
target_link_libraries(test_upload PRIVATE smtpc_core ${CMOCKA_LIB})
target_compile_options(test_upload PRIVATE ${SMTPC_WARN_COMMON})
add_test(NAME unit_test_upload COMMAND test_upload)
set_tests_properties(unit_test_upload PROPERTIES LABELS "unit")

if(TARGET smtpc_port_mbedtls)
  add_executable(test_dkim "${CMAKE_CURRENT_LIST_DIR}/test_dkim.c")
  target_include_directories(test_dkim PRIVATE ${CMOCKA_INCLUDE_DIR})
  target_link_libraries(test_dkim PRIVATE smtpc_port_mbedtls ${CMOCKA_LIB})
  target_compile_options(test_dkim PRIVATE ${SMTPC_WARN_COMMON})
  target_compile_definitions(test_dkim PRIVATE _GNU_SOURCE)
  add_test(NAME unit_test_dkim COMMAND test_dkim)
  set_tests_properties(unit_test_dkim PROPERTIES LABELS "unit" TIMEOUT 120)
endif()

# The smtpc-tlsrpt CLI (txt, list, render, mail, send --rua) over a log
# filled with synthetic events by a small helper, label "cli".
if(TARGET smtpc-tlsrpt)
  get_filename_component(_smtpc_rpt_cli "${CMAKE_CURRENT_LIST_DIR}/../cli" ABSOLUTE)
  get_filename_component(_smtpc_rpt_common "${CMAKE_CURRENT_LIST_DIR}/../../examples/common"
                         ABSOLUTE)
  add_executable(tlsrpt_log_fill "${_smtpc_rpt_cli}/tlsrpt_log_fill.c"
                 "${_smtpc_rpt_common}/cli_cache.c")
  target_include_directories(tlsrpt_log_fill PRIVATE "${_smtpc_rpt_common}")
  target_link_libraries(tlsrpt_log_fill PRIVATE smtpc_core smtpc_port_posix smtpc_port_flash)
  target_compile_options(tlsrpt_log_fill PRIVATE ${SMTPC_WARN_COMMON})
  target_compile_definitions(tlsrpt_log_fill PRIVATE _GNU_SOURCE)
endif()
